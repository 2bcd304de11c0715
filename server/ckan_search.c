/* ckan_search — CKAN search actions (none yet). */
#include "ckan_action.h"

#include <stddef.h>

const struct ckan_action_def ckan_search_actions[] = {
    {NULL, NULL, 0},
};

void ckan_search_init(void)
{
}
