#!/usr/bin/env python3
"""Write schemas/openapi/openapi.json, the OpenAPI 3.1 description of every route the server
has, which it serves at /api/openapi.json.

Run it after changing a route, an action or a schema under schemas/ (tests/api/test_openapi.py
fails while the committed document differs from what this script writes, and while a route of
`opendatad routes` is not described here). The response schemas are the JSON Schemas of
schemas/*.schema.json (draft-07), carried over into components.schemas as JSON Schema 2020-12.
The server fills in at start: servers (--site-url), info.version, and the Taiwan paths under
its --sru (path items marked x-opendatad-sru are written here under the default, /api/v1).
Standard library only: `python3 schemas/openapi/gen.py`.
"""
import copy
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.dirname(HERE)
ROOT = os.path.dirname(SCHEMAS)
OUT = os.path.join(HERE, "openapi.json")
SRU = "/api/v1"  # the default --sru; the server moves the marked paths under its own

CS = "#/components/schemas/"


def ref(name):
    return {"$ref": CS + name}


# ---- schemas/*.schema.json as JSON Schema 2020-12 components ---------------------------------

def convert(node, comp):
    """A draft-07 schema (part) in 2020-12 terms, its local refs pointing into components."""
    if isinstance(node, list):
        return [convert(v, comp) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("$schema", "$id"):
            continue
        if k == "$ref" and v.startswith("#/definitions/"):
            out[k] = CS + comp + "/$defs/" + v[len("#/definitions/"):]
        elif k == "$ref" and v == "#":
            out[k] = CS + comp
        elif k == "definitions":
            out["$defs"] = {n: convert(s, comp) for n, s in v.items()}
        elif k == "items" and isinstance(v, list):
            out["prefixItems"] = convert(v, comp)
        elif k == "additionalItems":
            out["items"] = convert(v, comp)
        else:
            out[k] = convert(v, comp)
    return out


# What the schema files leave out because they describe what anyone sees: a user's own
# account, and every account to sysadmins, also show these.
PRIVILEGED_USER_KEYS = {"email": {"type": ["string", "null"]},
                        "apikey": {"type": ["string", "null"]}}


def widen(comps):
    for comp in ("ckan-user-show", "ckan-user-list"):
        user = comps[comp]["$defs"]["user"]
        user["properties"].update(PRIVILEGED_USER_KEYS)
        user["description"] = (user.get("description", "") + " email and apikey: only to the "
                               "user and to sysadmins.").strip()


def file_components():
    comps = {}
    for name in sorted(os.listdir(SCHEMAS)):
        if not name.endswith(".schema.json") or name == "tw-dataset-metadata.schema.json":
            continue  # (that one is opendata-import's input, no answer)
        comp = name[: -len(".schema.json")]
        with open(os.path.join(SCHEMAS, name), encoding="utf-8") as f:
            comps[comp] = convert(json.load(f), comp)
    widen(comps)
    return comps


# ---- envelopes ----------------------------------------------------------------------------------

ENVELOPES = {
    "CkanSuccess": {
        "title": "CKAN action API success envelope",
        "type": "object", "required": ["help", "success", "result"],
        "properties": {"help": {"type": "string", "format": "uri"}, "success": {"const": True},
                       "result": {}},
    },
    "TwSuccess": {
        "title": "Taiwan API success envelope",
        "type": "object", "required": ["success", "result"],
        "properties": {"success": {"const": True}, "result": {}},
    },
    "LegacyValue": {
        "title": "CKAN API v1/v2 answer: the bare value, without an envelope",
        "description": "A list, an object, a string, a number or a boolean, as CKAN 2.x's "
                       "legacy API answers. Errors are a JSON string or object with the status.",
    },
    "LegacyError": {
        "title": "CKAN API v1/v2 error: a JSON string or an object of field errors",
        "anyOf": [{"type": "string"}, {"type": "object"}],
    },
    "ApiVersion": {
        "title": "The API version of /api, /api/1, /api/2 and /api/3",
        "type": "object", "required": ["version"], "additionalProperties": False,
        "properties": {"version": {"enum": [1, 2, 3]}},
    },
    "HkError": {
        "title": "Hong Kong APIs' error",
        "type": "object", "required": ["message"],
        "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
    },
    "CkanRouteError": {
        "title": "CKAN error envelope of the routes that are not actions",
        "type": "object", "required": ["help", "success", "error"],
        "properties": {"help": {"type": "string"}, "success": {"const": False},
                       "error": {"$ref": CS + "ckan-error/properties/error"}},
    },
    "OpenApiDocument": {
        "title": "This document",
        "type": "object", "required": ["openapi", "info", "paths"],
        "properties": {"openapi": {"type": "string", "pattern": "^3\\.1\\."}},
    },
}


def ckan_result(result_schema, title=None):
    s = {"allOf": [ref("CkanSuccess")], "properties": {"result": result_schema}}
    if title:
        s["title"] = title
    return s


def resp(desc, schema=None, ctype="application/json"):
    r = {"description": desc}
    if schema is not None:
        r["content"] = {ctype: {"schema": schema}}
    return r


RESPONSES = {
    "CkanError": resp("A CKAN error envelope: 400 a malformed request, 403 not allowed, 404 not "
                      "found, 409 invalid input (field errors or a message), 503 the database "
                      "is unavailable.", ref("ckan-error")),
    "TwError": resp("A Taiwan API error envelope: ER0100 not found, ER0200 an unknown parameter, "
                    "ER0210 a bad value, ER0220 an unknown field, ER0500 a server-side error.",
                    ref("tw-error")),
    "LegacyError": resp("A CKAN v1/v2 error: a JSON string or object.", ref("LegacyError")),
    "HkError": resp("An error of the Hong Kong APIs.", ref("HkError")),
    "CkanRouteError": resp("A CKAN error envelope.", ref("CkanRouteError")),
}

# ---- the CKAN actions ---------------------------------------------------------------------------
# name: (summary, [parameter specs]); a spec is "name:type", "!" after the name when required,
# "=default" at the end. Types: s string, i integer, n number, b boolean, a array, o object,
# x anything, sa a string or a list, so a string or an object. What each action does (auth,
# effects) is in its help text (help_show); the server's ckan_actions.def is the one list.

GROUP_CREATE = ["name!:s", "title:s", "description:s", "image_url:s", "type:s", "state:s",
                "approval_status:s", "id:s", "extras:a", "packages:a", "users:a"]
GROUP_LIST = ["type:s", "sort:s=title", "limit:i", "offset:i=0", "q:s", "all_fields:b=false",
              "include_dataset_count:b=true", "include_extras:b=false", "include_users:b=false",
              "include_groups:b=false", "include_member_count:b=false"]
GROUP_SHOW = ["id!:s", "include_datasets:b=false", "include_dataset_count:b=true",
              "include_extras:b=true", "include_users:b=true", "include_groups:b=true",
              "include_followers:b=true", "include_member_count:b=false"]
ACTIVITY = ["id!:s", "offset:i=0", "limit:i=31", "before:n", "after:n", "activity_types:a"]
PACKAGE = ["name!:s", "owner_org:s", "title:s", "notes:s", "url:s", "version:s", "author:s",
           "author_email:s", "maintainer:s", "maintainer_email:s", "license_id:s", "private:b",
           "state:s", "type:s", "id:s", "tags:a", "tag_string:s", "extras:a", "groups:a",
           "resources:a", "title_translated:o", "notes_translated:o"]
RESOURCE = ["package_id!:s", "url:s=", "name:s", "description:s", "format:s", "hash:s",
            "mimetype:s", "mimetype_inner:s", "resource_type:s", "url_type:s", "size:i",
            "created:s", "last_modified:s", "id:s"]
VIEW = ["resource_id!:s", "title!:s", "view_type!:s", "description:s", "id:s", "image_url:s",
        "page_url:s", "audio_url:s", "video_url:s", "poster_url:s", "responsive:b",
        "ellipsis_length:i", "date_format:s", "show_fields:a", "filterable:b",
        "filter_fields:a", "filter_values:a"]
USER = ["name!:s", "email!:s", "password!:s", "fullname:s", "about:s", "image_url:s",
        "sysadmin:b", "with_apitoken:b"]
MEMBER = ["id!:s", "username!:s", "role!:s"]
BULK = ["org_id!:s", "datasets!:a"]
DS_DELETE = ["resource_id!:s", "filters:o", "force:b=false", "include_deleted_records:b=false"]
ANY_FIELDS = ["id!:s"]  # the *_patch actions: id and any fields of the object


def optional(specs):
    """The same parameters, none required (an update's fields other than its id)."""
    return [s.replace("!", "") for s in specs]


ACTIONS = {
    "api_token_create": ("Create an API token", ["user!:s", "name!:s"]),
    "api_token_list": ("List a user's API tokens", ["user_id:s", "user:s"]),
    "api_token_revoke": ("Revoke an API token", ["jti:s", "token:s"]),
    "bulk_update_delete": ("Delete datasets of an organization", BULK),
    "bulk_update_private": ("Make datasets of an organization private", BULK),
    "bulk_update_public": ("Make datasets of an organization public", BULK),
    "current_package_list_with_resources": ("Recently changed datasets",
                                            ["limit:i=10", "offset:i=0"]),
    "dataset_purge": ("Purge a dataset", ["id!:s"]),
    "datastore_create": ("Create or extend a DataStore table",
                         ["resource_id:s", "resource:o", "fields:a", "records:a",
                          "primary_key:sa", "indexes:sa", "delete_fields:b=false", "force:b=false",
                          "include_records:b=false", "calculate_record_count:b=false",
                          "aliases:sa"]),
    "datastore_delete": ("Delete a DataStore table or some of its rows", DS_DELETE),
    "datastore_info": ("A DataStore table's metadata and fields", ["resource_id:s", "id:s"]),
    "datastore_nearest": ("The rows nearest to a point",
                          ["resource_id!:s", "lat!:n", "lon!:n", "limit:i=10", "radius_m:n",
                           "filters:o", "lat_field:s", "lon_field:s"]),
    "datastore_records_delete": ("Delete rows of a DataStore table",
                                 ["resource_id!:s", "filters!:o", "force:b=false",
                                  "include_deleted_records:b=false"]),
    "datastore_search": ("Search a DataStore table",
                         ["resource_id!:s", "filters:o", "q:so", "full_text:s", "plain:b=true",
                          "language:s=english", "distinct:b=false", "fields:sa", "sort:sa",
                          "limit:i=100", "offset:i=0", "records_format:s=objects",
                          "include_total:b=true", "total_estimation_threshold:i"]),
    "datastore_search_sql": ("One SELECT over DataStore tables", ["sql!:s"]),
    "datastore_upsert": ("Add or change DataStore records",
                         ["resource_id!:s", "records:a", "method:s=upsert", "dry_run:b=false",
                          "force:b=false", "include_records:b=false",
                          "calculate_record_count:b=false"]),
    "format_autocomplete": ("Resource formats containing a string", ["q!:s", "limit:i=5"]),
    "group_activity_list": ("A group's activity stream", ACTIVITY),
    "group_autocomplete": ("Groups whose name or title contain a string", ["q!:s", "limit:i=20"]),
    "group_create": ("Create a group", GROUP_CREATE),
    "group_delete": ("Delete a group", ["id!:s"]),
    "group_list": ("The site's groups", GROUP_LIST + ["groups:sa"]),
    "group_member_create": ("Add a user to a group", MEMBER),
    "group_member_delete": ("Remove a user from a group", ["id!:s", "username!:s"]),
    "group_package_show": ("A group's datasets", ["id!:s", "limit:i=10"]),
    "group_patch": ("Change some fields of a group", ANY_FIELDS),
    "group_purge": ("Purge a group", ["id!:s"]),
    "group_show": ("One group", GROUP_SHOW),
    "group_update": ("Update a group", ["id!:s"] + optional(GROUP_CREATE)),
    "help_show": ("What an action does", ["name!:s"]),
    "license_list": ("The licences datasets may use", []),
    "member_create": ("Add a user or dataset to a group or organization",
                      ["id!:s", "object!:s", "object_type!:s", "capacity!:s"]),
    "member_delete": ("Remove a user or dataset from a group or organization",
                      ["id!:s", "object!:s", "object_type!:s"]),
    "member_list": ("The members of a group or organization",
                    ["id!:s", "object_type:s", "capacity:s"]),
    "member_roles_list": ("The roles a member may have", ["group_type:s=organization"]),
    "organization_activity_list": ("An organization's activity stream", ACTIVITY),
    "organization_autocomplete": ("Organizations whose name or title contain a string",
                                  ["q!:s", "limit:i=20"]),
    "organization_create": ("Create an organization", GROUP_CREATE),
    "organization_delete": ("Delete an organization", ["id!:s"]),
    "organization_list": ("The site's organizations", GROUP_LIST + ["organizations:sa"]),
    "organization_list_for_user": ("The organizations a user has a permission in",
                                   ["id:s", "permission:s=manage_group",
                                    "include_dataset_count:b=false"]),
    "organization_member_create": ("Add a user to an organization", MEMBER),
    "organization_member_delete": ("Remove a user from an organization",
                                   ["id!:s", "username!:s"]),
    "organization_patch": ("Change some fields of an organization", ANY_FIELDS),
    "organization_purge": ("Purge an organization", ["id!:s"]),
    "organization_show": ("One organization", GROUP_SHOW),
    "organization_update": ("Update an organization", ["id!:s"] + optional(GROUP_CREATE)),
    "package_activity_list": ("A dataset's activity stream",
                              ACTIVITY + ["exclude_activity_types:a"]),
    "package_autocomplete": ("Datasets whose name or title contain a string",
                             ["q!:s", "limit:i=10"]),
    "package_create": ("Create a dataset", PACKAGE),
    "package_delete": ("Delete a dataset", ["id!:s"]),
    "package_list": ("Names of the public datasets", ["limit:i", "offset:i=0"]),
    "package_owner_org_update": ("Move a dataset to another organization",
                                 ["id!:s", "organization_id:s"]),
    "package_patch": ("Change some fields of a dataset", ANY_FIELDS),
    "package_relationship_create": ("Relate two datasets",
                                    ["subject!:s", "object!:s", "type!:s", "comment:s"]),
    "package_relationship_delete": ("Remove a relationship",
                                    ["subject!:s", "object!:s", "type!:s"]),
    "package_relationship_update": ("Change a relationship's comment",
                                    ["subject!:s", "object!:s", "type!:s", "comment:s="]),
    "package_relationships_list": ("A dataset's relationships", ["id!:s", "id2:s", "rel:s"]),
    "package_resource_reorder": ("Reorder a dataset's resources", ["id!:s", "order!:a"]),
    "package_revise": ("Change parts of a dataset",
                       ["match!:o", "filter:a", "update:o", "include:a"]),
    "package_search": ("Search datasets",
                       ["q:s=*:*", "fq:s", "fq_list:a", "sort:s=score desc, metadata_modified desc",
                        "rows:i=10", "start:i=0", "facet:b=true", "facet.field:a",
                        "facet.limit:i=50", "facet.mincount:i=1", "include_private:b=false",
                        "include_drafts:b=false"]),
    "package_show": ("One dataset", ["id!:s"]),
    "package_update": ("Replace a dataset", ["id!:s"] + optional(PACKAGE[:14] + PACKAGE[15:])),
    "recently_changed_packages_activity_list": ("The site's dataset activity",
                                                ["offset:i=0", "limit:i=31"]),
    "resource_create": ("Add a resource to a dataset", RESOURCE),
    "resource_delete": ("Delete a resource", ["id!:s"]),
    "resource_patch": ("Change some fields of a resource", ANY_FIELDS),
    "resource_search": ("Resources whose fields contain terms",
                        ["query!:sa", "order_by:s", "offset:i=0", "limit:i"]),
    "resource_show": ("One resource", ["id!:s"]),
    "resource_update": ("Replace a resource's fields", ["id!:s"] + RESOURCE[1:]),
    "resource_view_clear": ("Delete resource views", ["view_types:a"]),
    "resource_view_create": ("Add a view to a resource", VIEW),
    "resource_view_delete": ("Delete a resource view", ["id!:s"]),
    "resource_view_list": ("A resource's views", ["id!:s"]),
    "resource_view_reorder": ("Reorder a resource's views", ["id!:s", "order!:a"]),
    "resource_view_show": ("One resource view", ["id!:s"]),
    "resource_view_update": ("Change a resource view", ["id!:s"] + optional(VIEW[1:])),
    "site_read": ("Whether the site may be read", []),
    "status_show": ("The site's status", []),
    "tag_autocomplete": ("Tag names containing a string",
                         ["query:s", "q:s", "vocabulary_id:s", "limit:i=10", "offset:i=0"]),
    "tag_create": ("Add a tag to a vocabulary", ["name!:s", "vocabulary_id!:s"]),
    "tag_delete": ("Delete a tag", ["id!:s", "vocabulary_id:s"]),
    "tag_list": ("The tags in use", ["query:s", "q:s", "vocabulary_id:s",
                                     "all_fields:b=false"]),
    "tag_search": ("Tags whose names contain strings",
                   ["query:sa", "q:sa", "vocabulary_id:s", "limit:i=10", "offset:i=0"]),
    "tag_show": ("One tag", ["id!:s", "vocabulary_id:s", "include_datasets:b=false"]),
    "user_activity_list": ("A user's activity stream", ACTIVITY[:5]),
    "user_autocomplete": ("Users whose name contains a string", ["q!:s", "limit:i=20"]),
    "user_create": ("Create a user", USER),
    "user_delete": ("Delete a user", ["id!:s"]),
    "user_list": ("The site's users", ["q:s", "order_by:s=display_name", "all_fields:b=true"]),
    "user_patch": ("Change some fields of a user", ["id!:s"]),
    "user_show": ("One user", ["id:s", "include_datasets:b=false",
                               "include_num_followers:b=false"]),
    "user_update": ("Update a user", ["id!:s", "email!:s"] + optional(USER[2:])),
    "vocabulary_create": ("Create a tag vocabulary", ["name!:s", "tags:a"]),
    "vocabulary_delete": ("Delete a tag vocabulary", ["id!:s"]),
    "vocabulary_list": ("The tag vocabularies", []),
    "vocabulary_show": ("One tag vocabulary", ["id!:s"]),
    "vocabulary_update": ("Change a tag vocabulary", ["id!:s", "name:s", "tags:a"]),
    "xloader_status": ("The last DataStore load of a resource", ["resource_id!:s"]),
    "xloader_submit": ("Load a resource's file into the DataStore",
                       ["resource_id!:s", "ignore_hash:b", "set_url_type:b"]),
}

# Each action's answer: a schemas/ file (the whole envelope) or a result schema.
FILE_OF = {
    "ckan-activity-list": ["group_activity_list", "organization_activity_list",
                           "package_activity_list", "user_activity_list",
                           "recently_changed_packages_activity_list"],
    "ckan-current-package-list": ["current_package_list_with_resources"],
    "ckan-format-autocomplete": ["format_autocomplete"],
    "ckan-group-list": ["group_list", "organization_list", "organization_list_for_user"],
    "ckan-group-package-show": ["group_package_show"],
    "ckan-group-show": ["group_show", "organization_show"],
    "ckan-license-list": ["license_list"],
    "ckan-member-list": ["member_list"],
    "ckan-member-roles-list": ["member_roles_list"],
    "ckan-package-autocomplete": ["package_autocomplete"],
    "ckan-package-list": ["package_list"],
    "ckan-package-relationships-list": ["package_relationships_list"],
    "ckan-package-search": ["package_search"],
    "ckan-package-show": ["package_show"],
    "ckan-resource-search": ["resource_search"],
    "ckan-resource-show": ["resource_show"],
    "ckan-status-show": ["status_show"],
    "ckan-tag-list": ["tag_list"],
    "ckan-tag-search": ["tag_search"],
    "ckan-tag-show": ["tag_show"],
    "ckan-user-list": ["user_list"],
    "ckan-user-show": ["user_show"],
    "ckan-vocabulary-list": ["vocabulary_list"],
    "ckan-vocabulary-show": ["vocabulary_show"],
}
DEF_OF = {  # actions answering a dict some schema file defines
    ("ckan-package-show", "package"): ["package_create", "package_update", "package_patch"],
    ("ckan-resource-show", "resource"): ["resource_create", "resource_update", "resource_patch"],
    ("ckan-group-show", "group"): ["group_create", "group_update", "group_patch",
                                   "organization_create", "organization_update",
                                   "organization_patch"],
    ("ckan-user-show", "user"): ["user_create", "user_update", "user_patch"],
    ("ckan-vocabulary-show", "vocabulary"): ["vocabulary_create", "vocabulary_update"],
}
SIMPLE_RESULT = {
    "site_read": {"type": "boolean"},
    "help_show": {"type": "string"},
    "xloader_submit": {"type": "boolean"},
    "group_autocomplete": {"type": "array", "items": {"type": "object"}},
    "organization_autocomplete": {"type": "array", "items": {"type": "object"}},
    "user_autocomplete": {"type": "array", "items": {"type": "object"}},
    "tag_autocomplete": {"type": "array", "items": {"type": "string"}},
    "api_token_list": {"type": "array", "items": {"type": "object"}},
    "resource_view_list": {"type": "array", "items": {"type": "object"}},
    "datastore_search": {"type": "object", "required": ["fields"],
                         "properties": {"fields": {"type": "array"}, "records": {},
                                        "total": {"type": "integer"}}},
    "datastore_info": {"type": "object", "required": ["meta", "fields"]},
    "datastore_nearest": {"type": "object", "required": ["records"]},
    "datastore_search_sql": {"type": "object", "required": ["sql", "records", "fields"]},
    "xloader_status": {"type": "object", "required": ["status"]},
}

# Words for the parameters many actions share (the rest: the action's help).
PARAM_DESC = {
    "id": "The object's id or name.",
    "resource_id": "A resource's id (id is taken too where noted in the help).",
    "limit": "At most this many items.",
    "offset": "Skip this many items first.",
    "q": "A search string.",
    "query": "A search string (q is taken too).",
    "all_fields": "Whole dicts instead of names.",
    "vocabulary_id": "A tag vocabulary's id or name.",
    "filters": "A JSON object {field: value or [values]}.",
    "fields": "Field names: a list or comma-separated.",
    "sort": "A sort order such as \"name asc\".",
    "before": "Only activity before this POSIX time.",
    "after": "Only activity after this POSIX time.",
    "activity_types": "Only activity of these types.",
    "exclude_activity_types": "No activity of these types.",
    "force": "Write to a resource not made for editing.",
    "records": "Rows as [{field: value}].",
    "include_records": "Answer with the records written.",
    "calculate_record_count": "Update the table's row count.",
    "name": "A unique name: lowercase letters, digits, - and _.",
    "type": "The object's type.",
    "extras": "Extra fields as [{key, value}].",
    "users": "Members as [{name, capacity}].",
    "packages": "Datasets as [{id}].",
    "tags": "Tags as [{name[, vocabulary_id]}].",
    "groups": "Groups as [{id} or {name}].",
    "resources": "Resource dicts.",
    "include_dataset_count": "Count the datasets.",
    "include_extras": "Include extra fields.",
    "include_users": "Include the members.",
    "include_groups": "Include sub-groups.",
    "include_datasets": "Include (some of) the datasets.",
    "include_followers": "Include the follower count.",
    "include_member_count": "Include the member count.",
    "state": "active, draft or deleted (sysadmins).",
    "private": "Seen only by the organization's members.",
    "owner_org": "The owning organization's id or name.",
    "order": "Ids in the wanted order.",
    "username": "A user's name or id.",
    "role": "admin, editor or member.",
    "capacity": "admin, editor or member (datasets: public or private).",
    "object": "A user's or dataset's id or name.",
    "object_type": "user or package.",
    "subject": "A dataset's id or name.",
    "comment": "A free-text comment.",
}

JTYPES = {"s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
          "b": {"type": "boolean"}, "a": {"type": "array"}, "o": {"type": "object"}, "x": {},
          "sa": {"type": ["string", "array"]}, "so": {"type": ["string", "object"]}}


def parse_spec(spec):
    name, rest = spec.split(":", 1)
    required = name.endswith("!")
    name = name.rstrip("!")
    t, _, default = rest.partition("=")
    schema = dict(JTYPES[t])
    if name in PARAM_DESC:
        schema["description"] = PARAM_DESC[name]
    if "=" in rest:
        schema["default"] = ({"i": int, "b": lambda v: v == "true", "n": float}.get(t, str))(
            default)
    return name, required, schema


def action_result(name):
    for comp, names in FILE_OF.items():
        if name in names:
            return ref(comp)
    for (comp, d), names in DEF_OF.items():
        if name in names:
            return ckan_result({"$ref": CS + comp + "/$defs/" + d})
    return ckan_result(SIMPLE_RESULT.get(name, {}))


def action_help():
    """name → (help text, GET allowed) from the server's action table."""
    with open(os.path.join(ROOT, "server", "ckan", "ckan_actions.def"), encoding="utf-8") as f:
        text = f.read()
    out = {}
    for m in re.finditer(r'ACTION\((\w+), \w+, \w+, (\w+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)',
                         text):
        help_text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(3)))
        out[m.group(1)] = (help_text.replace('\\"', '"'), m.group(2) == "true")
    return out


def query_param(name, required, schema, where="query"):
    p = {"name": name, "in": where, "required": required}
    if "description" in schema:
        schema = dict(schema)
        p["description"] = schema.pop("description")
    if isinstance(schema.get("type"), list):
        # a string, or a list or dict as JSON text (lists: comma-separated too)
        p["schema"] = {"type": "string"}
    elif schema.get("type") in ("object", "array"):
        p["content"] = {"application/json": {"schema": schema}}  # JSON text
    else:
        p["schema"] = schema
    return p


ERRORS = {c: {"$ref": "#/components/responses/CkanError"} for c in ("400", "403", "404", "409")}


def action_path(name, summary, specs, help_text, get_ok):
    params = [parse_spec(s) for s in specs]
    body = {"type": "object", "properties": {n: s for n, _, s in params}}
    req = [n for n, r, _ in params if r]
    if req:
        body["required"] = req
    ok = {"200": resp("The action's result in the CKAN envelope.", action_result(name))}
    item = {}
    base = {"tags": ["CKAN actions"], "summary": summary, "description": help_text,
            "responses": {**ok, **ERRORS}}
    if get_ok:
        item["get"] = dict(base, operationId=name,
                           parameters=[query_param(n, r, s) for n, r, s in params])
    post = dict(base, operationId=name + ("_post" if get_ok else ""))
    post["requestBody"] = {"required": bool(req), "content": {
        "application/json": {"schema": body},
        "application/x-www-form-urlencoded": {"schema": body}}}
    if any(s.endswith(":o") or s.endswith(":a") for s in specs) or name.endswith("_patch"):
        del post["requestBody"]["content"]["application/x-www-form-urlencoded"]
    if name.endswith("_patch") or name.endswith("_update") or name in (
            "package_create", "resource_create", "datastore_create"):
        body["additionalProperties"] = True  # other fields of the object are kept
    if name in ("resource_create", "resource_update", "xloader_submit"):
        post["requestBody"]["content"]["multipart/form-data"] = {"schema": body}
    item["post"] = post
    return item


# ---- the other routes ---------------------------------------------------------------------------

def op(tag, summary, params=(), responses=None, description=None, op_id=None):
    o = {"tags": [tag], "summary": summary, "parameters": list(params),
         "responses": responses or {}}
    if description:
        o["description"] = description
    if op_id:
        o["operationId"] = op_id
    return o


def path_param(name, desc, schema=None):
    return {"name": name, "in": "path", "required": True, "description": desc,
            "schema": schema or {"type": "string"}}


def qp(name, desc, schema=None, required=False):
    return {"name": name, "in": "query", "required": required, "description": desc,
            "schema": schema or {"type": "string"}}


TW_ERR = {c: {"$ref": "#/components/responses/TwError"} for c in ("400", "404", "503")}
PAGING = [qp("limit", "At most this many items (the server's list limit at most).",
             {"type": "integer", "minimum": 0}),
          qp("offset", "Skip this many items.", {"type": "integer", "minimum": 0})]
TW_DS_PARAMS = [qp("filters", "Rows whose fields equal these values: a JSON object "
                   "{field: value}."),
                qp("q", "Full-text search over the rows."),
                qp("sort", "A field, optionally followed by \" asc\" or \" desc\"."),
                qp("fields", "The fields to return, comma-separated.")] + PAGING


def taiwan_paths():
    lst = resp("The list.", ref("tw-success-list"))
    p = {
        "/rest/group": op("Taiwan API", "Service category codes", PAGING,
                          {"200": lst, **TW_ERR}, op_id="tw_group_list"),
        "/rest/group/{code}": op("Taiwan API", "One service category with its datasets",
                                 [path_param("code", "A category code such as I00.")],
                                 {"200": resp("The category.", ref("tw-group")), **TW_ERR},
                                 op_id="tw_group_show"),
        "/rest/tag": op("Taiwan API", "Tags in use", PAGING, {"200": lst, **TW_ERR},
                        op_id="tw_tag_list"),
        "/rest/tag/{tag}": op("Taiwan API", "The datasets with a tag",
                              [path_param("tag", "A tag.")] + PAGING, {"200": lst, **TW_ERR},
                              op_id="tw_tag_show"),
        "/rest/dataset": op("Taiwan API", "Dataset identifiers",
                            [qp("modified", "Only datasets changed since this time: yyyy-MM-dd,"
                                " yyyy-MM-dd HH:mm:ss or RFC 3339.")] + PAGING,
                            {"200": lst, **TW_ERR}, op_id="tw_dataset_list"),
        "/rest/dataset/{id}": op("Taiwan API", "One dataset's metadata",
                                 [path_param("id", "A dataset identifier such as "
                                             "A41000000G-000001.")],
                                 {"200": resp("The metadata record.", ref("tw-dataset")),
                                  **TW_ERR}, op_id="tw_dataset_show"),
        "/rest/datastore/{rid}": op("Taiwan API", "Rows of a resource's data", [
            path_param("rid", "A resource identifier such as A41000000G-000001-001.")
        ] + TW_DS_PARAMS, {"200": resp("The rows.", {"allOf": [ref("TwSuccess")], "properties": {
            "result": {"type": "object"}}}), **TW_ERR}, op_id="tw_datastore_search"),
        "/dump/datastore/{rid}": op("Taiwan API", "A resource's whole data as a file", [
            path_param("rid", "A resource identifier."),
            qp("format", "A zip of the CSV (default), or csv, json or xml.")
        ] + TW_DS_PARAMS[:4], {"200": {"description": "The file.", "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {}},
            "application/xml": {"schema": {"type": "string"}},
            "application/zip": {"schema": {"type": "string", "contentEncoding": "binary"}}}},
            **TW_ERR}, op_id="tw_dump"),
    }
    return {SRU + k: dict({"get": v}, **{"x-opendatad-sru": True}) for k, v in p.items()}


def ckan_other_paths(action_names):
    err = {c: {"$ref": "#/components/responses/CkanRouteError"} for c in ("404",)}
    name_p = path_param("name", "An action name (see the /api/3/action/NAME paths).",
                        {"type": "string", "enum": action_names})
    get_errors = dict(ERRORS, **{"400": resp(
        "A malformed request in the CKAN envelope, or, for an action that takes POST only, "
        "CKAN's JSON string asking for POST.", {"anyOf": [ref("ckan-error"),
                                                          {"type": "string"}]})})
    generic = {
        "get": op("CKAN actions", "Any action by name (GET: side-effect-free actions)",
                  [name_p], {"200": resp("The action's result.", ref("CkanSuccess")),
                             **get_errors}),
        "post": op("CKAN actions", "Any action by name",
                   [name_p], {"200": resp("The action's result.", ref("CkanSuccess")),
                              **ERRORS}),
    }
    paths = {}
    for prefix in ("", "/en-data", "/tc-data", "/sc-data"):
        for api in ("/api/3/action/{name}", "/api/action/{name}"):
            desc = ("The same actions as /api/3/action/NAME." if not prefix else
                    "DATA.GOV.HK's language site: the same actions, texts in one language.")
            paths[prefix + api] = {k: dict(v, description=desc) for k, v in generic.items()}
    version = {"200": resp("The API version.", ref("ApiVersion"))}
    for v in ("", "/1", "/2", "/3"):
        paths["/api" + v] = {"get": op("CKAN API", "The API version", [], version)}
    util = {"get": op("CKAN API", "Autocompletes (dataset, tag, resource format, user, "
                      "group, organization)", [
                          path_param("kind", "What to complete.", {"enum": [
                              "dataset", "tag", "resource", "user", "group", "organization",
                              "licenses"]}),
                          path_param("op", "autocomplete (resource: format_autocomplete).",
                                     {"enum": ["autocomplete", "format_autocomplete"]}),
                          qp("incomplete", "The string to complete (q also)."),
                          qp("q", "The string to complete."),
                          qp("limit", "At most this many.", {"type": "integer"})],
                      {"200": resp("The completions, without an envelope.",
                                   {"type": ["object", "array"]}), **err})}
    for v in ("", "/1", "/2"):
        paths["/api" + v + "/util/{kind}/{op}"] = util
    paths["/datastore/dump/{rid}"] = {"get": op("DataStore", "A DataStore table as a file", [
        path_param("rid", "A resource id."),
        qp("format", "csv (default), tsv, json or xml.",
           {"enum": ["csv", "tsv", "json", "xml"]}),
        qp("bom", "A UTF-8 byte-order mark first.", {"type": "boolean"}),
        qp("q", "Full-text search."), qp("filters", "JSON {field: value}."),
        qp("fields", "Fields, comma-separated."), qp("sort", "Sort order."),
        qp("distinct", "Distinct rows only.", {"type": "boolean"}),
        qp("limit", "At most this many rows.", {"type": "integer"}),
        qp("offset", "Skip this many rows.", {"type": "integer"})], {
        "200": {"description": "The rows.", "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/tab-separated-values": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "string"}}}},
        **{c: {"$ref": "#/components/responses/CkanRouteError"} for c in ("404", "409")}},
        op_id="datastore_dump")}
    dl = {"200": {"description": "The uploaded file.",
                  "content": {"application/octet-stream": {"schema": {
                      "type": "string", "contentEncoding": "binary"}}}},
          "302": {"description": "A resource that is a link: redirect to its URL."},
          **err}
    ids = [path_param("id", "The dataset's id or name."),
           path_param("rid", "The resource's id.")]
    paths["/dataset/{id}/resource/{rid}/download"] = {"get": op(
        "CKAN API", "A resource's file", ids, dl)}
    paths["/dataset/{id}/resource/{rid}/download/{name}"] = {"get": op(
        "CKAN API", "A resource's file by name", ids + [path_param("name", "The file name.")],
        dl)}
    paths["/api/openapi.json"] = {"get": op(
        "API discovery", "This description (OpenAPI 3.1)", [],
        {"200": resp("The OpenAPI document.", ref("OpenApiDocument"))}, op_id="openapi")}
    return paths


def legacy_paths():
    ok = {"200": resp("The bare value.", ref("LegacyValue")),
          **{c: {"$ref": "#/components/responses/LegacyError"} for c in
             ("400", "403", "404", "409")}}
    reg = path_param("reg", "package, resource, group, tag, revision, licenses, rating, "
                     "dataset, ...")
    rid = path_param("id", "An object's id or name.")
    sub = path_param("sub", "A sub-register (such as relationships).")
    id2 = path_param("id2", "The second object.")
    body = {"content": {"application/json": {"schema": {"type": "object"}}}}

    def rest(params, methods):
        item = {}
        for m in methods:
            o = op("CKAN API v1/v2", f"Legacy REST ({m.upper()})", params, ok)
            if m in ("post", "put"):
                o["requestBody"] = body
            item[m] = o
        return item

    paths = {}
    for v in ("", "/1", "/2"):
        base = "/api" + v
        four = ["get", "post", "put", "delete"]
        paths[base + "/rest/{reg}"] = rest([reg], four)
        paths[base + "/rest/{reg}/{id}"] = rest([reg, rid], four)
        paths[base + "/rest/{reg}/{id}/{sub}"] = rest([reg, rid, sub], four)
        paths[base + "/rest/{reg}/{id}/{sub}/{id2}"] = rest([reg, rid, sub, id2], four)
        search = [reg, qp("q", "Search terms."), qp("qjson", "The whole query as JSON."),
                  qp("limit", "At most this many.", {"type": "integer"}),
                  qp("offset", "Skip this many.", {"type": "integer"}),
                  qp("all_fields", "Whole dicts instead of names or ids.",
                     {"type": "integer"})]
        paths[base + "/search/{reg}"] = {
            m: op("CKAN API v1/v2", "Legacy search", search if m == "get" else [reg], ok)
            for m in ("get", "post")}
        paths[base + "/tag_counts"] = {"get": op("CKAN API v1/v2", "Tags with their counts",
                                                 [], ok)}
        utils = {
            "is_slug_valid": [qp("slug", "The name to check.", required=True),
                              qp("type", "package.", required=True)],
            "markdown": [qp("q", "Markdown text.")],
            "status": [],
            "dataset/munge_name": [qp("name", "A name.")],
            "dataset/munge_title_to_name": [qp("name", "A title.")],
            "tag/munge": [qp("tag", "A tag.")],
        }
        for u, params in utils.items():
            paths[base + "/util/" + u] = {"get": op("CKAN API v1/v2", "Utility: " + u,
                                                    params, ok)}
    return paths


def hk_paths():
    err = {c: {"$ref": "#/components/responses/HkError"} for c in ("400", "404")}
    anyok = lambda d: {"200": resp(d, {}), **err}  # noqa: E731
    paths = {}
    for v in ("/v1", "/v2"):
        paths[v + "/filter"] = {"get": op("Hong Kong APIs", "Filter API: rows of a resource", [
            qp("q", "The query as JSON: {resource, section, format, filters, sorts}.",
               required=True)], {"200": {"description": "The rows, as format asks.", "content": {
                   "text/csv": {"schema": {"type": "string"}},
                   "application/json": {"schema": {"type": "array"}},
                   "application/xml": {"schema": {"type": "string"}}}}, **err})}
    archive = "/v1/historical-archive/"
    dates = [qp("start", "First day, yyyymmdd."), qp("end", "Last day, yyyymmdd.")]
    paths[archive + "list-files"] = {"get": op("Hong Kong APIs", "Archived files", dates + [
        qp("category", "A category."), qp("provider", "A provider."),
        qp("format", "A file format."), qp("search", "Words in the name."),
        qp("order", "asc or desc."), qp("max", "At most this many.", {"type": "integer"}),
        qp("skip", "Skip this many.", {"type": "integer"})], anyok("The files."))}
    paths[archive + "list-file-versions"] = {"get": op(
        "Hong Kong APIs", "The archived versions of a file",
        [qp("url", "The file's URL.", required=True)] + dates, anyok("The versions."))}
    for name, what in (("get-file", "One version of an archived file"),
                       ("get-schema", "The schema of an archived file"),
                       ("get-data-dictionary", "The data dictionary of an archived file")):
        paths[archive + name] = {"get": op(
            "Hong Kong APIs", what, [qp("url", "The file's URL.", required=True),
                                     qp("time", "The version's time, yyyymmdd-hhmm.")],
            {"200": {"description": "The file."}, "302": {"description": "Redirect."},
             **err})}
    for tail, params in (("files/{rid}/{hash}/{name}", ["rid", "hash", "name"]),
                         ("bundles/{rid}/{day}/{file}", ["rid", "day", "file"]),
                         ("schemas/{rid}/{file}", ["rid", "file"])):
        paths[archive + tail] = {"get": op(
            "Hong Kong APIs", "An archived file's bytes",
            [path_param(p, p) for p in params], {"200": {"description": "The file."}, **err})}
    paths["/v1/nearest-schools"] = {"get": op("Hong Kong APIs", "Schools nearest to a point", [
        qp("lat", "Latitude.", {"type": "number"}, True),
        qp("long", "Longitude.", {"type": "number"}, True),
        qp("max", "At most this many.", {"type": "integer"})], anyok("The schools."))}
    return paths


# The web pages (/, /dataset..., /static/..., the API page, /api/i18n/{lang}) land on another
# branch; describe them here when they do (the completeness test names any route left out).
def web_paths():
    return {}


# Example requests over the demo catalogue (docs/demo: the dataset A41000000G-000001, the PM2.5
# table loaded as resource 355000000I-000207-001, a user "admin"): each GET operation whose
# required parameters all have an example is run by tests/api/test_openapi.py, and its answer
# checked against the schema given here.
RID = "355000000I-000207-001"
DS = "a41000000g-000001"
HKQ = json.dumps({"resource": RID, "format": "json", "filters": [[1, "eq", ["美濃"]]]},
                 ensure_ascii=False)
ACT = "/api/3/action/"
EXAMPLES = {
    ACT + "api_token_list": {"user_id": "admin"},
    ACT + "datastore_info": {"resource_id": RID},
    ACT + "datastore_search": {"resource_id": RID, "limit": 5},
    ACT + "datastore_search_sql": {"sql": f'SELECT "SiteName" FROM "{RID}" LIMIT 2'},
    ACT + "format_autocomplete": {"q": "cs"},
    ACT + "group_activity_list": {"id": "i00"},
    ACT + "group_autocomplete": {"q": "0"},
    ACT + "group_package_show": {"id": "i00"},
    ACT + "group_show": {"id": "i00"},
    ACT + "help_show": {"name": "package_show"},
    ACT + "member_list": {"id": "a41000000g"},
    ACT + "organization_activity_list": {"id": "a41000000g"},
    ACT + "organization_autocomplete": {"q": "a4"},
    ACT + "organization_list_for_user": {"id": "admin"},
    ACT + "organization_show": {"id": "a41000000g"},
    ACT + "package_activity_list": {"id": DS},
    ACT + "package_autocomplete": {"q": "a4"},
    ACT + "package_relationships_list": {"id": DS},
    ACT + "package_search": {"q": "PM2.5", "rows": 2},
    ACT + "package_show": {"id": DS},
    ACT + "resource_search": {"query": "format:CSV"},
    ACT + "resource_show": {"id": RID},
    ACT + "resource_view_list": {"id": RID},
    ACT + "tag_autocomplete": {"query": "Open"},
    ACT + "tag_search": {"query": "Open"},
    ACT + "tag_show": {"id": "OpenData"},
    ACT + "user_activity_list": {"id": "admin"},
    ACT + "user_autocomplete": {"q": "ad"},
    ACT + "user_show": {"id": "admin"},
    SRU + "/rest/group/{code}": {"code": "I00"},
    SRU + "/rest/tag/{tag}": {"tag": "OpenData"},
    SRU + "/rest/dataset": {"limit": 5},
    SRU + "/rest/dataset/{id}": {"id": "A41000000G-000001"},
    SRU + "/rest/datastore/{rid}": {"rid": RID, "limit": 2},
    SRU + "/dump/datastore/{rid}": {"rid": RID, "format": "csv"},
    "/datastore/dump/{rid}": {"rid": RID, "limit": 2},
    "/dataset/{id}/resource/{rid}/download": {"id": DS, "rid": "A41000000G-000001-001"},
    "/v1/filter": {"q": HKQ},
    "/v2/filter": {"q": HKQ},
    "/v1/historical-archive/list-files": {"start": "20260101", "end": "20260131"},
}

for _v in ("", "/1", "/2"):  # CKAN's API roots: the same operations under each
    EXAMPLES.update({k.replace("/api/", f"/api{_v}/", 1): v for k, v in {
        "/api/util/{kind}/{op}": {"kind": "dataset", "op": "autocomplete", "incomplete": "a4"},
        "/api/rest/{reg}": {"reg": "dataset"},
        "/api/rest/{reg}/{id}": {"reg": "dataset", "id": DS},
        "/api/search/{reg}": {"reg": "dataset", "q": "PM2.5"},
        "/api/util/is_slug_valid": {"slug": "abc", "type": "package"},
        "/api/util/markdown": {"q": "*a*"},
        "/api/util/dataset/munge_name": {"name": "A B"},
        "/api/util/dataset/munge_title_to_name": {"name": "A B"},
        "/api/util/tag/munge": {"tag": "A B"},
    }.items()})


def add_examples(paths):
    for path, values in EXAMPLES.items():
        get = paths[path]["get"] = dict(paths[path]["get"])  # parts are shared: copy them
        params = get["parameters"] = copy.deepcopy(get["parameters"])
        names = {p["name"] for p in params}
        if set(values) - names:
            raise SystemExit(f"{path}: examples of no parameter: {set(values) - names}")
        for p in params:
            if p["name"] in values:
                p["example"] = values[p["name"]]


def document():
    help_of = action_help()
    missing = sorted(set(help_of) ^ set(ACTIONS))
    if missing:
        raise SystemExit(f"actions without a description here, or gone from the server: "
                         f"{missing}")
    paths = taiwan_paths()
    for name in sorted(ACTIONS):
        summary, specs = ACTIONS[name]
        help_text, get_ok = help_of[name]
        paths["/api/3/action/" + name] = action_path(name, summary, specs, help_text, get_ok)
    paths.update(ckan_other_paths(sorted(ACTIONS)))
    paths.update(legacy_paths())
    paths.update(hk_paths())
    paths.update(web_paths())
    add_examples(paths)
    schemas = dict(ENVELOPES)
    schemas.update(file_components())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "opendatad",
            "version": "0",  # the server's version, set when it loads this document
            "summary": "An open data portal: the Taiwan open-data API, CKAN's Action API "
                       "(with the DataStore), CKAN's v1/v2 API and DATA.GOV.HK's APIs.",
            "description": "Authorization: an API token in the Authorization header (CKAN "
                           "actions that write). CKAN answers carry the CKAN envelope, the "
                           "Taiwan API its own ({success, result} or {success, error}), the "
                           "CKAN v1/v2 API bare values.",
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": "/"}],  # the server writes its --site-url here
        "tags": [{"name": t} for t in ("Taiwan API", "CKAN actions", "CKAN API", "DataStore",
                                       "CKAN API v1/v2", "Hong Kong APIs", "API discovery")],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": RESPONSES,
            "securitySchemes": {"apiToken": {"type": "apiKey", "in": "header",
                                             "name": "Authorization"}},
        },
        "security": [{}, {"apiToken": []}],
    }


def render():
    return json.dumps(document(), ensure_ascii=False, indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(render())
