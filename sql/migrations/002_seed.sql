-- 002_seed: site settings and the Taiwan portal's 18 service categories as CKAN groups.

INSERT INTO system_info (key, value) VALUES
    ('ckan.site_title', 'opendatad'),
    ('ckan.site_description', 'Open data portal (CKAN and Taiwan common API compatible)'),
    ('ckan.locale_default', 'zh_Hant_TW')
ON CONFLICT (key) DO NOTHING;

WITH cat(code, title) AS (VALUES
    ('100', '生育保健'), ('200', '出生及收養'), ('300', '求學及進修'),
    ('400', '服兵役'), ('500', '求職及就業'), ('600', '開創事業'),
    ('700', '婚姻'), ('800', '投資理財'), ('900', '休閒旅遊'),
    ('A00', '交通及通訊'), ('B00', '就醫'), ('C00', '購屋及遷徙'),
    ('D00', '選舉及投票'), ('E00', '生活安全及品質'), ('F00', '退休'),
    ('G00', '老年安養'), ('H00', '生命禮儀'), ('I00', '公共資訊')),
ins AS (
    INSERT INTO grp (name, title, description, type, is_organization)
    SELECT lower(code), title, code || '類別', 'group', false FROM cat
    ON CONFLICT (name) DO NOTHING
    RETURNING id, name)
INSERT INTO tw_category (code, group_id)
SELECT upper(name), id FROM ins
ON CONFLICT (code) DO NOTHING;
