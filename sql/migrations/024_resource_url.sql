-- 024_resource_url: the Filter API (GET /v2/filter) finds a resource by the URL it was
-- published under (sql/functions/23_hk_filter.sql), on every request: an index on that URL.
CREATE INDEX resource_url ON resource ((coalesce(download_url, access_url)));
