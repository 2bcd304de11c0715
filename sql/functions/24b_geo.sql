-- 24b_geo: where a datastore table's rows are, for the nearest searches (CKAN datastore_nearest,
-- /v1/nearest-schools) whose SELECT the DataStore generator writes (sqlbuild_geo.c).
-- A table whose fields hold a latitude and a longitude (found by name) gets, when the loading
-- library loads it (importers/load_db.c), a GiST index on the point of each row as a cube in
-- metres (the cube extension, sql/migrations/025); the search is that index's nearest-first scan
-- (`<->`, Euclidean chord, which orders as the great-circle distance does), never a scan of every
-- row. Coordinates may be numbers, decimal text, degree-minute-second text ("22-17-16") or one
-- "lat,long" field.

-- Degrees from degrees-minutes[-seconds] text, or NULL.
CREATE OR REPLACE FUNCTION ds_geo_deg_dms(s text) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    m text[];
    d float8;
BEGIN
    m := regexp_match(s, '^\s*([+-])?(\d{1,3})\s*(?:°|-|:|\s)\s*(\d{1,2})'
                         '(?:\s*(?:''|′|-|:|\s)\s*(\d{1,2}(?:\.\d{1,20})?))?'
                         '\s*(?:"|″|'''')?\s*([NSEWnsew])?\s*$');
    IF m IS NULL OR m[3]::int >= 60 OR coalesce(m[4]::float8, 0) >= 60 THEN
        RETURN NULL;
    END IF;
    d := m[2]::float8 + m[3]::float8 / 60 + coalesce(m[4]::float8, 0) / 3600;
    IF m[1] = '-' OR upper(m[5]) IN ('S', 'W') THEN
        d := -d;
    END IF;
    RETURN CASE WHEN abs(d) <= 180 THEN d END;
END
$$;

-- Degrees from a coordinate's text: decimal ("22.331", "-0.5") or degrees-minutes[-seconds]
-- ("22-17-16", "22°17'16.5\"N", "114:10:05 E"); NULL when it is neither or out of range
-- (a row without a place: it is left out of the index's answers, never an error).
-- Decimal text, nearly every row, is read here in SQL (inlined into the index expression: half
-- the time of a PL/pgSQL call a row); the rest in ds_geo_deg_dms. float8's input skips the
-- same white space \s matches.
CREATE OR REPLACE FUNCTION ds_geo_deg(s text) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s ~ '^\s*[+-]?\d{1,3}(\.\d{1,20})?\s*$'
                THEN CASE WHEN abs(s::float8) <= 180 THEN s::float8 END
                ELSE ds_geo_deg_dms(s) END
$$;

-- The point of (lat, lon) on the mean Earth sphere (metres), as a cube; NULL off the globe.
CREATE OR REPLACE FUNCTION ds_geo_point(lat float8, lon float8) RETURNS public.cube
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180 THEN
        public.cube(ARRAY[6371008.8 * cos(radians(lat)) * cos(radians(lon)),
                          6371008.8 * cos(radians(lat)) * sin(radians(lon)),
                          6371008.8 * sin(radians(lat))]) END
$$;

-- Great-circle metres from the chord between two such points (metres).
CREATE OR REPLACE FUNCTION ds_geo_arc(chord float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 2 * 6371008.8 * asin(least(1, chord / (2 * 6371008.8)))
$$;

-- The chord of a great-circle distance (metres): the bound of a radius search.
CREATE OR REPLACE FUNCTION ds_geo_chord(arc float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 2 * 6371008.8 * sin(least(pi() / 2, arc / (2 * 6371008.8)))
$$;

-- Where a table's rows are, from the names of its fields (first match in these lists, English
-- names before Chinese, then field order): the latitude and longitude fields (the same field
-- for one "lat,long" field) and the expression the loading library indexes and the searches
-- order by. NULLs when the fields name no place.
CREATE OR REPLACE FUNCTION ds_geo_fields(fields jsonb, OUT lat text, OUT lon text, OUT expr text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    lat_names text[] := ARRAY['latitude', 'lat', 'wgs84 latitude', 'wgs84_latitude', 'wgs84lat',
                              'y_lat', '緯度', '纬度'];
    lon_names text[] := ARRAY['longitude', 'lon', 'long', 'lng', 'wgs84 longitude',
                              'wgs84_longitude', 'wgs84lon', 'x_lon', '經度', '经度'];
    pair_names text[] := ARRAY['lat,long', 'lat,lon', 'lat,lng', 'latitude,longitude',
                               'lat_long', 'lat-long', 'latlong', 'lat_lng', 'latlng',
                               'map_coordinate', 'coordinates', 'coordinate', '坐標', '座標',
                               '坐标'];
BEGIN
    SELECT f->>'id' INTO lat FROM jsonb_array_elements(fields) WITH ORDINALITY x(f, n)
        JOIN unnest(lat_names) WITH ORDINALITY l(name, k) ON lower(btrim(f->>'id')) = l.name
        ORDER BY k, n LIMIT 1;
    SELECT f->>'id' INTO lon FROM jsonb_array_elements(fields) WITH ORDINALITY x(f, n)
        JOIN unnest(lon_names) WITH ORDINALITY l(name, k) ON lower(btrim(f->>'id')) = l.name
        ORDER BY k, n LIMIT 1;
    IF lat IS NOT NULL AND lon IS NOT NULL THEN
        expr := format('ds_geo_point(ds_geo_deg(%I::text), ds_geo_deg(%I::text))', lat, lon);
        RETURN;
    END IF;
    SELECT f->>'id' INTO lat FROM jsonb_array_elements(fields) WITH ORDINALITY x(f, n)
        JOIN unnest(pair_names) WITH ORDINALITY l(name, k)
          ON lower(regexp_replace(f->>'id', '\s', '', 'g')) = l.name
        ORDER BY k, n LIMIT 1;
    IF lat IS NULL THEN
        RETURN;
    END IF;
    lon := lat;
    expr := format('ds_geo_point(ds_geo_deg(split_part(%I::text, '','', 1)), '
                   'ds_geo_deg(split_part(%I::text, '','', 2)))', lat, lat);
END
$$;

-- The index the loading library makes on a datastore table (NULL: its fields name no place).
-- Run by the library after the data is usable, beside its other indexes.
-- Datastore tables are data, not schema (see ds_rel in 05): the statement is put together from
-- its words.
CREATE OR REPLACE FUNCTION ds_geo_index_sql(rid text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s %s IF NOT EXISTS %I ON datastore.%I USING gist ((%s))',
                  'CREATE', 'INDEX', t.table_name || '_geo', t.table_name, g.expr)
    FROM datastore_table t, ds_geo_fields(t.fields) g
    WHERE t.resource_id = rid AND g.expr IS NOT NULL
$$;

-- /v1/nearest-schools over the school list the portal configures (EDB's "School Location and
-- Information" columns): the nearest rows the generator found (records: the text of a JSON
-- array, nearest first; server/datastore/sqlbuild_geo.c) as {"results": [...]}, one object per
-- row with the keys Hong Kong's clients read (docs/HK_API.md). An empty cell or a missing
-- column gives "" (the source file's empty text); "lat-long" is null without a place.
CREATE OR REPLACE FUNCTION hk_schools_result(records text, lat_field text, lon_field text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('results', coalesce(json_agg(json_build_object(
        'lat-long', CASE WHEN ds_geo_deg(r->>lat_field) IS NOT NULL
                          AND ds_geo_deg(r->>lon_field) IS NOT NULL
                         THEN json_build_array(ds_geo_deg(r->>lat_field),
                                               ds_geo_deg(r->>lon_field)) END,
        'name-en', coalesce(r->>'ENGLISH NAME', ''),
        'name-zh', coalesce(r->>'中文名稱', ''),
        'category-en', coalesce(r->>'ENGLISH CATEGORY', ''),
        'category-zh', coalesce(r->>'中文類別', ''),
        'address-en', coalesce(r->>'ENGLISH ADDRESS', ''),
        'address-zh', coalesce(r->>'中文地址', ''),
        'student-gender-en', coalesce(r->>'STUDENTS GENDER', ''),
        'student-gender-zh', coalesce(r->>'就讀學生性別', ''),
        'session-en', coalesce(r->>'SESSION', ''),
        'session-zh', coalesce(r->>'學校授課時間', ''),
        'district-en', coalesce(r->>'DISTRICT', ''),
        'district-zh', coalesce(r->>'分區', ''),
        'finance-type-en', coalesce(r->>'FINANCE TYPE', ''),
        'finance-type-zh', coalesce(r->>'資助種類', ''),
        'level-en', coalesce(r->>'SCHOOL LEVEL', ''),
        'level-zh', coalesce(r->>'學校類型', ''),
        'religion-en', coalesce(r->>'RELIGION', ''),
        'religion-zh', coalesce(r->>'宗教', ''),
        'telephone', coalesce(r->>'TELEPHONE', ''),
        'fax', coalesce(r->>'FAX NUMBER', ''),
        'website', coalesce(r->>'WEBSITE', '')) ORDER BY k), '[]'))::text
    FROM json_array_elements(records::json) WITH ORDINALITY x(r, k)
$$;
