/* sqlbuild_geo — the nearest rows' SELECT: ordered by the distance operator of the table's
 * spatial index (the point expression the bookkeeping gives, as the loading library indexed
 * it), so a search reads only the rows it returns, never every row. */
#include "sqlbuild.h"

#include <stdlib.h>
#include <string.h>

#include "sqlbuild_int.h"
#include "util.h"

/* The checks, in the order the API reports them. */
static bool near_check(struct ds_build *d, const struct sqlb_near *q)
{
    const struct sqlb_table *t = d->t;
    if (!t->geo_expr)
        return sqlb_refuse(d, ERR_BAD_VALUE, "resource_id",
                           "The resource has no latitude and longitude fields");
    if (!t->geo_indexed)
        return sqlb_refuse(d, ERR_BAD_VALUE, "resource_id",
                           "The resource has no spatial index yet: load its data again");
    if (q->lat_field && strcmp(q->lat_field, t->geo_lat) != 0)
        return sqlb_refuse(d, ERR_BAD_VALUE, "lat_field",
                           "The latitude field of this resource is %s", t->geo_lat);
    if (q->lon_field && strcmp(q->lon_field, t->geo_lon) != 0)
        return sqlb_refuse(d, ERR_BAD_VALUE, "lon_field",
                           "The longitude field of this resource is %s", t->geo_lon);
    return true;
}

/* " AND field::text = ANY ($n::text[])" for each filter. */
static bool near_filters(struct ds_build *d, const struct sqlb_near *q)
{
    if (!q->filters)
        return true;
    json_object_object_foreach(q->filters, key, val)
    {
        const struct sqlb_field *f = sqlb_find_field(d->t, key);
        if (!f)
            return sqlb_refuse(d, ERR_NO_FIELD, "filters", "field \"%s\" does not exist", key);
        size_t n = json_object_array_length(val);
        const char **v = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            v[i] = json_object_get_string(json_object_array_get_idx(val, i));
        sqlb_add(&d->conds, " AND r.");
        sqlb_ident(&d->conds, f->id);
        sqlb_add(&d->conds, "::text = ANY (");
        sqlb_cond_value(d, sqlb_text_array(v, (int)n), "::text[]");
        sqlb_add(&d->conds, ")");
        free(v);
    }
    return true;
}

/* The records as the text of a JSON array's elements (no brackets): each row's object with
 * "_distance_m" last, nearest first. point: the searched point's expression. */
static void near_records(struct ds_build *d, const struct sqlb_near *q, const char *point)
{
    struct sqlb *b = d->b;
    const char *e = d->t->geo_expr;
    sqlb_add(b, "(SELECT coalesce(string_agg(left(row_to_json(s.r)::text, -1) || "
                "', \"_distance_m\" : ' || round(ds_geo_arc(s.d)::numeric, 2) || '}', ', ' "
                "ORDER BY s.d, (s.r).\"_id\"), '') FROM (SELECT r, ");
    sqlb_addf(b, "%s <-> %s AS d FROM datastore.", e, point);
    sqlb_ident(b, d->t->table);
    sqlb_addf(b, " r WHERE %s IS NOT NULL%s", e, d->conds.sql ? d->conds.sql : "");
    if (q->radius_m) {
        /* the box (indexed) around the sphere, then the sphere itself */
        int n = sqlb_new_param(b, q->radius_m, NULL);
        sqlb_addf(b, " AND public.cube_enlarge(%s, ds_geo_chord($%d::float8), 3) @> %s", point, n,
                  e);
        sqlb_addf(b, " AND %s <-> %s <= ds_geo_chord($%d::float8)", e, point, n);
    }
    sqlb_addf(b, " ORDER BY %s <-> %s LIMIT %lld) s)", e, point, q->limit);
}

/* The fields array of datastore_nearest: _id, the table's, then _distance_m (jsonb's text). */
static void near_fields(struct sqlb *b, const struct sqlb_table *t)
{
    struct sqlb w;
    sqlb_init(&w);
    sqlb_add(&w, "[{\"id\": \"_id\", \"type\": \"int\"}");
    for (int i = 0; i < t->nfields; i++) {
        sqlb_add(&w, ", ");
        sqlb_add(&w, t->fields[i].ckan_json);
    }
    sqlb_add(&w, ", {\"id\": \"_distance_m\", \"type\": \"float8\"}]");
    sqlb_literal(b, w.sql);
    sqlb_free(&w);
}

static void near_statement(struct ds_build *d, const struct sqlb_near *q, const char *point)
{
    struct sqlb *b = d->b;
    const struct sqlb_table *t = d->t;
    if (q->style == SQLB_NEAR_SCHOOLS) {
        sqlb_add(b, "SELECT hk_schools_result('[' || ");
        near_records(d, q, point);
        sqlb_add(b, " || ']', ");
        sqlb_literal(b, t->geo_lat);
        sqlb_add(b, ", ");
        sqlb_literal(b, t->geo_lon);
        sqlb_add(b, ")");
    } else {
        sqlb_add(b, "SELECT '{\"resource_id\": ' || to_json($1::text) || ', \"fields\": ' || ");
        near_fields(b, t);
        sqlb_add(b, " || ', \"lat_field\": ' || to_json(");
        sqlb_literal(b, t->geo_lat);
        sqlb_add(b, "::text) || ', \"lon_field\": ' || to_json(");
        sqlb_literal(b, t->geo_lon);
        sqlb_addf(b, "::text) || ', \"limit\": %lld, \"records\": [' || ", q->limit);
        near_records(d, q, point);
        sqlb_add(b, " || ']}'");
    }
    sqlb_add(b, " FROM ds_readable($1::text, $2::ckan_viewer) t WHERE t.generation = $3::bigint");
}

bool sqlb_nearest(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_near *q,
                  struct sqlb_err *err)
{
    static const struct sqlb_read page = {.limit = -1};
    struct ds_build d = {.b = b, .t = t, .q = &page, .err = err};
    sqlb_init(&d.conds);
    char *gen = xasprintf("%lld", q->generation);
    sqlb_new_param(b, q->rid, NULL);
    sqlb_new_param(b, q->viewer, NULL);
    sqlb_new_param(b, gen, gen);
    int lat = sqlb_new_param(b, q->lat, NULL);
    int lon = sqlb_new_param(b, q->lon, NULL);
    bool ok = near_check(&d, q) && near_filters(&d, q);
    if (ok) {
        char *point = xasprintf("ds_geo_point($%d::float8, $%d::float8)", lat, lon);
        near_statement(&d, q, point);
        free(point);
    }
    sqlb_build_free(&d);
    return ok;
}
