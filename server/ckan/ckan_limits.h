/* ckan_limits — the CKAN API's fixed defaults and caps, in one place. Each is the default of
 * the CKAN setting named beside it; CKAN sites rarely change them, so they are not options.
 * (The DataStore's rows cap is an option: --datastore-rows-max.) */
#ifndef CKAN_LIMITS_H
#define CKAN_LIMITS_H

#define CKAN_SEARCH_ROWS_DEFAULT 10       /* package_search's rows */
#define CKAN_SEARCH_ROWS_MAX 1000         /* ckan.search.rows_max */
#define CKAN_GROUP_LIST_MAX 1000          /* ckan.group_and_organization_list_max */
#define CKAN_GROUP_LIST_ALL_FIELDS_MAX 25 /* ckan.group_and_organization_list_all_fields_max */
#define CKAN_ACTIVITY_LIMIT 31            /* ckan.activity_list_limit */
#define CKAN_ACTIVITY_LIMIT_MAX 100       /* ckan.activity_list_limit_max */
#define CKAN_AUTOCOMPLETE_LIMIT 10        /* package_autocomplete's limit */
#define CKAN_FORMAT_LIMIT 5               /* format_autocomplete's limit */
#define CKAN_UTIL_LIMIT_MAX 1000          /* util endpoints, *_autocomplete: cut to this */
#define CKAN_DATASTORE_ROWS_DEFAULT 100   /* datastore_search's limit */

#endif
