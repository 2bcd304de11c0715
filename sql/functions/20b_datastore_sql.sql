-- 20b_datastore_sql: CKAN's datastore_search_sql (ckan-research §6.6), when the server runs
-- with --datastore-sql: one SELECT over datastore tables, answered as {sql, records, fields,
-- records_truncated?}.
--
-- What guards it, outermost first: the query runs as the role opendatad_datastore_sql
-- (sql/migrations/021), which may read the datastore tables and nothing else of this database,
-- inside SECURITY DEFINER functions it owns (PostgreSQL refuses SET ROLE and SET SESSION
-- AUTHORIZATION there), in a read-only transaction, under a statement timeout. Then, as CKAN:
-- the relations PostgreSQL's own plan (EXPLAIN VERBOSE) reads must be datastore tables of
-- resources the caller may read (system tables refused by name), and every function the text
-- or the plan calls must be one of ds_sql_allowed's. Only the lexing of names is ours
-- (ds_sql_scan); what a name means is PostgreSQL's.

-- The functions a query may call: computations on values (numbers, text, dates, JSON, arrays,
-- text search, aggregates, window functions) that read nothing else and change nothing.
CREATE OR REPLACE FUNCTION ds_sql_allowed(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT name = ANY ('{
        abs,cbrt,ceil,ceiling,degrees,div,exp,floor,ln,log,log10,mod,pi,power,radians,round,
        sign,sqrt,trunc,width_bucket,acos,asin,atan,atan2,cos,cot,sin,tan,sinh,cosh,tanh,gcd,
        lcm,scale,min_scale,trim_scale,random,
        ascii,bit_length,btrim,char_length,character_length,chr,concat,concat_ws,format,
        initcap,left,length,lower,lpad,ltrim,md5,octet_length,overlay,position,quote_ident,
        quote_literal,quote_nullable,regexp_match,regexp_matches,regexp_replace,
        regexp_split_to_array,regexp_split_to_table,regexp_count,regexp_instr,regexp_like,
        regexp_substr,repeat,replace,reverse,right,rpad,rtrim,split_part,starts_with,strpos,
        substr,substring,to_hex,translate,trim,upper,string_to_array,string_to_table,
        array_to_string,encode,decode,sha224,sha256,sha384,sha512,normalize,unistr,
        age,date_bin,date_part,date_trunc,extract,isfinite,justify_days,justify_hours,
        justify_interval,make_date,make_interval,make_time,make_timestamp,make_timestamptz,
        now,clock_timestamp,statement_timestamp,transaction_timestamp,timeofday,to_char,
        to_date,to_number,to_timestamp,timezone,
        array_agg,avg,bit_and,bit_or,bit_xor,bool_and,bool_or,count,every,json_agg,jsonb_agg,
        json_object_agg,jsonb_object_agg,max,min,string_agg,sum,corr,covar_pop,covar_samp,
        regr_avgx,regr_avgy,regr_count,regr_intercept,regr_r2,regr_slope,regr_sxx,regr_sxy,
        regr_syy,stddev,stddev_pop,stddev_samp,variance,var_pop,var_samp,mode,percentile_cont,
        percentile_disc,rank,dense_rank,percent_rank,cume_dist,row_number,ntile,lag,lead,
        first_value,last_value,nth_value,
        to_json,to_jsonb,array_to_json,row_to_json,json_build_array,jsonb_build_array,
        json_build_object,jsonb_build_object,json_object,jsonb_object,json_array_length,
        jsonb_array_length,json_each,jsonb_each,json_each_text,jsonb_each_text,
        json_extract_path,jsonb_extract_path,json_extract_path_text,jsonb_extract_path_text,
        json_object_keys,jsonb_object_keys,json_array_elements,jsonb_array_elements,
        json_array_elements_text,jsonb_array_elements_text,json_typeof,jsonb_typeof,
        json_strip_nulls,jsonb_strip_nulls,jsonb_set,jsonb_insert,jsonb_pretty,
        jsonb_path_query,jsonb_path_exists,jsonb_path_match,jsonb_path_query_array,
        jsonb_path_query_first,
        array_append,array_cat,array_dims,array_fill,array_length,array_lower,array_ndims,
        array_position,array_positions,array_prepend,array_remove,array_replace,array_upper,
        cardinality,unnest,trim_array,generate_series,generate_subscripts,
        coalesce,nullif,greatest,least,num_nulls,num_nonnulls,
        to_tsvector,to_tsquery,plainto_tsquery,phraseto_tsquery,websearch_to_tsquery,ts_rank,
        ts_rank_cd,ts_headline,setweight,strip,numnode,similarity,word_similarity,
        strict_word_similarity,like_escape,similar_escape,similar_to_escape,
        numeric,int2,int4,int8,float4,float8,text,varchar,bpchar,date,time,timetz,timestamp,
        timestamptz,interval,bool,char,bit,varbit
    }'::text[])
$$;

-- The names a SQL text calls (name followed by "(": qualified names as schema.name, quoted
-- ones with their quotes), and whether it holds more than one statement (something after a
-- ";"). Strings (E'' ones with backslash escapes), quoted identifiers, comments (nested) and
-- dollar quotes are skipped as PostgreSQL's lexer skips them; type names after :: and names
-- after AS (aliases, CAST's type) are not calls; nor are the words of SQL's syntax that take
-- parentheses (IN, EXISTS, ARRAY, ROW, OVER, FILTER, ...). It reads the text's UTF-8 bytes
-- one by one (every delimiter is ASCII), so its time is linear in the text's length.
CREATE OR REPLACE FUNCTION ds_sql_scan(q text, OUT calls text[], OUT multiple boolean)
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    -- bytes of UTF-8: what delimits is ASCII, bytes >= 128 belong to names (O(1) access)
    b bytea := convert_to(coalesce(q, ''), 'UTF8');
    n int := length(b);
    i int := 0;
    j int;
    c int;
    word text;
    tok text;            -- the name being read, when the last token was one
    prev text := '';     -- the token before it
    tag bytea;
    depth int;
    semi boolean := false;
    esc boolean := false;  -- the string next is an E'' one (backslashes escape)
    syntax text[] := '{select,from,where,and,or,not,in,exists,any,all,some,array,row,values,
        over,filter,as,using,on,join,when,then,else,case,end,by,distinct,lateral,union,
        intersect,except,within,group,order,limit,offset,having,window,partition,between,like,
        ilike,similar,is,into,with,recursive,returning,cast,escape,fetch,only,table,for,
        to,asc,desc,nulls,first,last,rows,range,groups,preceding,following,current,unbounded,
        natural,inner,cross,full,outer,tablesample,zone,at,collate,interval,default,varying,
        precision}';
BEGIN
    calls := '{}';
    multiple := false;
    WHILE i < n LOOP
        c := get_byte(b, i);
        IF c IN (32, 9, 10, 11, 12, 13) THEN
            i := i + 1;
            CONTINUE;
        END IF;
        IF c = 45 AND i + 1 < n AND get_byte(b, i + 1) = 45 THEN  -- "--" to the end of the line
            WHILE i < n AND get_byte(b, i) <> 10 LOOP
                i := i + 1;
            END LOOP;
            CONTINUE;
        END IF;
        IF c = 47 AND i + 1 < n AND get_byte(b, i + 1) = 42 THEN  -- "/*": comments nest
            depth := 1;
            i := i + 2;
            WHILE i < n AND depth > 0 LOOP
                IF i + 1 < n AND get_byte(b, i) = 47 AND get_byte(b, i + 1) = 42 THEN
                    depth := depth + 1;
                    i := i + 2;
                ELSIF i + 1 < n AND get_byte(b, i) = 42 AND get_byte(b, i + 1) = 47 THEN
                    depth := depth - 1;
                    i := i + 2;
                ELSE
                    i := i + 1;
                END IF;
            END LOOP;
            CONTINUE;
        END IF;
        IF semi THEN
            multiple := true;
        END IF;
        IF c = 40 AND tok IS NOT NULL AND prev NOT IN ('::', 'as')
           AND NOT (lower(tok) = ANY(syntax) AND left(tok, 1) <> '"') THEN
            calls := calls || tok;
        END IF;
        IF c = 34 THEN  -- a quoted identifier, "" inside
            j := i + 1;
            WHILE j < n AND NOT (get_byte(b, j) = 34 AND (j + 1 >= n OR get_byte(b, j + 1) <> 34))
            LOOP
                j := j + CASE WHEN get_byte(b, j) = 34 THEN 2 ELSE 1 END;
            END LOOP;
            word := convert_from(substring(b FROM i + 1 FOR least(j, n - 1) - i + 1), 'UTF8');
            IF tok IS NOT NULL AND prev = '.' THEN
                tok := tok || '.' || word;
                prev := '.name';
            ELSE
                prev := CASE WHEN tok IS NOT NULL THEN lower(tok) ELSE prev END;
                tok := word;
            END IF;
            i := j + 1;
            CONTINUE;
        END IF;
        IF c BETWEEN 65 AND 90 OR c BETWEEN 97 AND 122 OR c = 95 OR c >= 128 THEN
            j := i;
            WHILE j < n AND (get_byte(b, j) BETWEEN 65 AND 90 OR get_byte(b, j) BETWEEN 97 AND 122
                             OR get_byte(b, j) BETWEEN 48 AND 57 OR get_byte(b, j) IN (95, 36)
                             OR get_byte(b, j) >= 128) LOOP
                j := j + 1;
            END LOOP;
            word := lower(convert_from(substring(b FROM i + 1 FOR j - i), 'UTF8'));
            IF word IN ('e', 'u', 'b', 'x', 'n') AND j < n AND (get_byte(b, j) = 39
                    OR (word = 'u' AND get_byte(b, j) = 38)) THEN
                esc := word = 'e';
                i := j + CASE WHEN get_byte(b, j) = 38 THEN 1 ELSE 0 END;  -- a string follows
                CONTINUE;
            END IF;
            IF tok IS NOT NULL AND prev = '.' THEN
                tok := tok || '.' || word;
                prev := '.name';
            ELSE
                prev := CASE WHEN tok IS NOT NULL THEN lower(tok) ELSE prev END;
                tok := word;
            END IF;
            i := j;
            CONTINUE;
        END IF;
        IF c = 46 AND tok IS NOT NULL THEN
            prev := '.';
            i := i + 1;
            CONTINUE;
        END IF;
        IF c = 39 THEN  -- a string ('' inside; backslashes escape in E'' strings)
            j := i + 1;
            WHILE j < n LOOP
                IF get_byte(b, j) = 92 AND esc THEN
                    j := j + 2;
                ELSIF get_byte(b, j) = 39 AND j + 1 < n AND get_byte(b, j + 1) = 39 THEN
                    j := j + 2;
                ELSIF get_byte(b, j) = 39 THEN
                    EXIT;
                ELSE
                    j := j + 1;
                END IF;
            END LOOP;
            i := j + 1;
            esc := false;
            tok := NULL;
            prev := '''';
            CONTINUE;
        END IF;
        IF c = 36 THEN  -- a dollar quote ($$, $tag$), or a parameter ($1)
            j := i + 1;
            WHILE j < n AND (get_byte(b, j) BETWEEN 65 AND 90 OR get_byte(b, j) BETWEEN 97 AND 122
                             OR get_byte(b, j) = 95 OR get_byte(b, j) >= 128
                             OR (j > i + 1 AND get_byte(b, j) BETWEEN 48 AND 57)) LOOP
                j := j + 1;
            END LOOP;
            IF j < n AND get_byte(b, j) = 36 THEN
                tag := substring(b FROM i + 1 FOR j - i + 1);
                j := position(tag IN substring(b FROM j + 2));  -- the same tag closes it
                i := CASE WHEN j = 0 THEN n ELSE i + length(tag) + j - 1 + length(tag) END;
                tok := NULL;
                prev := '$';
                CONTINUE;
            END IF;
        END IF;
        IF c = 58 AND i + 1 < n AND get_byte(b, i + 1) = 58 THEN
            prev := '::';
            tok := NULL;
            i := i + 2;
            CONTINUE;
        END IF;
        IF c = 59 THEN
            semi := true;
        END IF;
        prev := chr(c);
        tok := NULL;
        i := i + 1;
    END LOOP;
END
$fn$;

-- Whether a called name may run: an allowed name, bare or as pg_catalog.name, or quoted with
-- exactly that (lower-case) spelling.
CREATE OR REPLACE FUNCTION ds_sql_call_ok(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT ds_sql_allowed(CASE
        WHEN name ~ '^"[^"]*"$' THEN substr(name, 2, length(name) - 2)
        WHEN name LIKE 'pg_catalog.%' THEN substr(name, 12)
        WHEN name ~ '^"pg_catalog"\."[^"]*"$' THEN substr(name, 15, length(name) - 15)
        ELSE name END)
$$;

-- The plan of q, as the role opendatad_datastore_sql sees it (its privileges checked).
CREATE OR REPLACE FUNCTION ds_sql_explain(q text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = datastore, pg_catalog, pg_temp AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (VERBOSE, FORMAT JSON) ' || q INTO plan;
    RETURN plan;
END
$$;

-- The rows of q (a whole query) as a JSON array of objects in column order, an object of its
-- columns (names in order, values null) and the columns' types, as opendatad_datastore_sql.
CREATE OR REPLACE FUNCTION ds_sql_run(q text, OUT rows text, OUT names text, OUT types oid[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = datastore, pg_catalog, pg_temp AS $$
DECLARE
    shape record;
    ncols int;
BEGIN
    EXECUTE format('SELECT coalesce(json_agg(b), ''[]'')::text FROM (%s) b', q) INTO rows;
    EXECUTE format('SELECT * FROM (%s) x LIMIT 0', q) INTO shape;  -- NULLs, named
    names := row_to_json(shape)::text;
    ncols := (SELECT count(*) FROM json_object_keys(names::json));
    IF ncols = 0 THEN
        types := '{}';
        RETURN;
    END IF;
    -- pg_typeof of each column, renamed c1, c2, ... (names may repeat)
    EXECUTE format('SELECT ARRAY[%s] FROM (SELECT * FROM (%s) x LIMIT 0) AS b(%s) '
                   'RIGHT JOIN (SELECT) o ON true',
                   (SELECT string_agg(format('pg_typeof(b.c%s)::oid', g), ', ')
                    FROM generate_series(1, ncols) g), q,
                   (SELECT string_agg('c' || g, ', ') FROM generate_series(1, ncols) g))
        INTO types;
END
$$;

-- Every string of a plan's nodes but the names of things (expressions, keys, conditions).
CREATE OR REPLACE FUNCTION ds_sql_plan_texts(plan jsonb) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    WITH RECURSIVE node(j) AS (
        SELECT plan
        UNION ALL
        SELECT c FROM node, LATERAL (
            SELECT e FROM jsonb_array_elements(CASE jsonb_typeof(node.j) WHEN 'array'
                                                    THEN node.j ELSE '[]' END) e
            UNION ALL
            SELECT v FROM jsonb_each(CASE jsonb_typeof(node.j) WHEN 'object'
                                          THEN node.j ELSE '{}' END) x(k, v)
            WHERE k NOT IN ('Relation Name', 'Schema', 'Alias', 'CTE Name', 'Index Name',
                            'Function Name', 'Node Type', 'Strategy', 'Join Type',
                            'Parent Relationship', 'Subplan Name', 'Scan Direction',
                            'Partial Mode', 'Sort Method', 'Command', 'Operation')
        ) x(c))
    SELECT j #>> '{}' FROM node WHERE jsonb_typeof(j) = 'string'
$$;

-- The relations (schema, name) and functions (Function Scan) of a plan's nodes.
CREATE OR REPLACE FUNCTION ds_sql_plan_nodes(plan jsonb) RETURNS TABLE (schema text,
                                                                         relation text,
                                                                         func text)
LANGUAGE sql IMMUTABLE AS $$
    WITH RECURSIVE node(j) AS (
        SELECT plan
        UNION ALL
        SELECT c FROM node, LATERAL (
            SELECT e FROM jsonb_array_elements(CASE jsonb_typeof(node.j) WHEN 'array'
                                                    THEN node.j ELSE '[]' END) e
            UNION ALL
            SELECT v FROM jsonb_each(CASE jsonb_typeof(node.j) WHEN 'object'
                                          THEN node.j ELSE '{}' END) x(k, v)
            WHERE jsonb_typeof(v) IN ('object', 'array')) x(c))
    SELECT j->>'Schema', j->>'Relation Name', j->>'Function Name' FROM node
    WHERE jsonb_typeof(j) = 'object' AND (j ? 'Relation Name' OR j ? 'Function Name')
$$;

-- CKAN's answer to a query PostgreSQL refused: its message, the statement.
CREATE OR REPLACE FUNCTION ds_sql_refused(msg text, q text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM ckan_gw_raise(jsonb_build_object('query', jsonb_build_array(msg),
        'info', jsonb_build_object('statement', jsonb_build_array(q),
                                   'params', jsonb_build_array('{}'::jsonb),
                                   'orig', jsonb_build_array(msg))));
END
$$;

-- The checks of the query's plan: no system tables, datastore tables of resources v may read
-- only, allowed functions only.
CREATE OR REPLACE FUNCTION ds_sql_check_plan(plan jsonb, v ckan_viewer) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    bad text;
BEGIN
    IF EXISTS (SELECT 1 FROM ds_sql_plan_nodes(plan) x
               WHERE x.relation LIKE 'pg\_%'
                  OR (x.relation IS NOT NULL
                      AND x.schema IN ('pg_catalog', 'information_schema', 'pg_toast'))) THEN
        RAISE EXCEPTION 'Not authorized to access system tables' USING ERRCODE = 'OD403';
    END IF;
    IF EXISTS (SELECT 1 FROM ds_sql_plan_nodes(plan) x
               WHERE x.relation IS NOT NULL AND (x.schema IS DISTINCT FROM 'datastore'
                   OR NOT EXISTS (SELECT 1 FROM datastore_table d, ds_readable(d.resource_id, v)
                                  WHERE d.table_name = x.relation))) THEN
        RAISE EXCEPTION 'Not authorized to read resource.' USING ERRCODE = 'OD403';
    END IF;
    bad := (SELECT f FROM (SELECT x.func AS f FROM ds_sql_plan_nodes(plan) x
                           UNION ALL
                           SELECT unnest((ds_sql_scan(t)).calls) FROM ds_sql_plan_texts(plan) t) y
            WHERE f IS NOT NULL AND NOT ds_sql_call_ok(f) LIMIT 1);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'Not authorized to call function %', bad USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- datastore_search_sql. p: {sql, rows_max}. The whole call runs under the server's statement
-- timeout (--statement-timeout, a setting of its connections: a SET inside a running statement
-- would not shorten it).
CREATE OR REPLACE FUNCTION ckan_datastore_search_sql(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    q text := p->>'sql';
    lim bigint := (p->>'rows_max')::bigint;
    scanned record := ds_sql_scan(q);
    whole text;
    bad text;
    plan jsonb;
    res record;
    cols jsonb;
    msg text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opendatad_datastore_sql')
       OR (SELECT r.rolname FROM pg_proc f JOIN pg_roles r ON r.oid = f.proowner
           WHERE f.oid = 'ds_sql_run(text)'::regprocedure) <> 'opendatad_datastore_sql' THEN
        RAISE EXCEPTION 'datastore_search_sql is not set up in this database' USING
            ERRCODE = 'OD409', DETAIL = 'sql';
    END IF;
    IF scanned.multiple THEN
        PERFORM ds_w_fail('query', 'Query is not a single statement.');
    END IF;
    bad := (SELECT f FROM unnest(scanned.calls) f WHERE NOT ds_sql_call_ok(f) LIMIT 1);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'Not authorized to call function %', bad USING ERRCODE = 'OD403';
    END IF;
    whole := format('SELECT * FROM (%s) AS blah LIMIT %s', q, lim + 1);
    SET LOCAL transaction_read_only = on;
    BEGIN
        plan := ds_sql_explain(whole);
        PERFORM ds_sql_check_plan(plan, v);
        res := ds_sql_run(whole);
    EXCEPTION
        WHEN query_canceled THEN
            PERFORM ds_w_fail('query', 'Query took too long');
        WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'Not authorized to read resource.' USING ERRCODE = 'OD403';
        WHEN SQLSTATE 'OD403' OR SQLSTATE 'OD422' THEN
            RAISE;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM ds_sql_refused(msg, whole);
    END;
    cols := (SELECT coalesce(jsonb_agg(jsonb_build_object('id', k.key, 'type', t.typname)
                                       ORDER BY k.n), '[]')
             FROM json_object_keys(res.names::json) WITH ORDINALITY k(key, n)
             JOIN pg_type t ON t.oid = res.types[k.n]);
    -- the records as json (not jsonb): each object keeps the query's column order
    IF json_array_length(res.rows::json) > lim THEN
        RETURN format('{"sql": %s, "fields": %s, "records": %s, "records_truncated": true}',
                      to_json(q), cols, (SELECT json_agg(e ORDER BY n)
                                         FROM json_array_elements(res.rows::json)
                                              WITH ORDINALITY x(e, n) WHERE n <= lim));
    END IF;
    RETURN format('{"sql": %s, "fields": %s, "records": %s}', to_json(q), cols, res.rows);
END
$$;

-- The role owns the functions that run the queries (SECURITY DEFINER: they run as it). Where
-- it could not be made (sql/migrations/021), they stay the server's and are never called.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opendatad_datastore_sql') THEN
        ALTER FUNCTION ds_sql_explain(text) OWNER TO opendatad_datastore_sql;
        ALTER FUNCTION ds_sql_run(text) OWNER TO opendatad_datastore_sql;
    END IF;
END
$$;
