-- 031_retired_tw_ds_result: the Taiwan read's result is written by the server around the records
-- it writes itself (tw_ds_head, tw_ds_tail; server/datastore/ds_json.c): the function that took
-- the records as text goes from databases made before.
DROP FUNCTION IF EXISTS tw_ds_result(text, text, text, bigint, bigint, bigint);
