/* ckan_group — CKAN group actions (none yet). */
#include "ckan_action.h"

#include <stddef.h>

const struct ckan_action_def ckan_group_actions[] = {
    {NULL, NULL, 0},
};

void ckan_group_init(void)
{
}
