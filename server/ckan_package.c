/* ckan_package — CKAN package actions (none yet). */
#include "ckan_action.h"

#include <stddef.h>

const struct ckan_action_def ckan_package_actions[] = {
    {NULL, NULL, 0},
};

void ckan_package_init(void)
{
}
