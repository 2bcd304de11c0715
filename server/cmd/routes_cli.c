/* routes_cli — `opendatad routes`: the route table and the CKAN actions as JSON on stdout, read
 * from the arrays the server dispatches on, so tools (the API sweep test) see every route and
 * action without a list of their own. */
#include "routes_cli.h"

#include <json-c/json.h>

#include "ckan_action.h"
#include "family.h"
#include "route.h"

static json_object *method_list(unsigned methods)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {M_GET, "GET"}, {M_POST, "POST"}, {M_PUT, "PUT"}, {M_DELETE, "DELETE"}};
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (methods & names[i].bit)
            json_object_array_add(list, json_object_new_string(names[i].name));
    return list;
}

/* Every family's routes, in the order the server matches them. */
static json_object *route_list(const struct srv_family *const *fams, size_t nfams)
{
    json_object *list = json_object_new_array();
    for (size_t f = 0; f < nfams; f++)
        for (size_t i = 0; i < fams[f]->nroutes; i++) {
            const struct route_def *d = &fams[f]->routes[i];
            json_object *o = json_object_new_object();
            json_object_object_add(o, "methods", method_list(d->methods));
            json_object_object_add(o, "pattern", json_object_new_string(d->pattern));
            json_object_object_add(o, "api", json_object_new_string(fams[f]->name));
            json_object_array_add(list, o);
        }
    return list;
}

static json_object *action_list(void)
{
    size_t n;
    const struct ckan_action_def *defs = ckan_action_all(&n);
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(defs[i].name));
        json_object_object_add(o, "post_only",
                               json_object_new_boolean(!defs[i].get));
        json_object_array_add(list, o);
    }
    return list;
}

int routes_print(FILE *f, const struct srv_family *const *fams, size_t nfams)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "routes", route_list(fams, nfams));
    json_object_object_add(root, "ckan_actions", action_list());
    fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return ferror(f) ? 1 : 0;
}
