/* legacy_munge — CKAN's munge_name, munge_title_to_name and munge_tag (the /api/util/dataset/
 * munge_name, /munge_title_to_name and /api/util/tag/munge helpers): Latin-1 letters to their
 * ASCII equivalents, other non-ASCII dropped, separators to '-', padded with '_' to the minimum
 * length and cut to the maximum. Pure; results malloc'd. */
#ifndef LEGACY_MUNGE_H
#define LEGACY_MUNGE_H
#include "util.h"

#define LEGACY_NAME_MIN 2
#define LEGACY_NAME_MAX 100
#define LEGACY_TAG_MIN 2
#define LEGACY_TAG_MAX 100

char *legacy_munge_name(const char *s) MUSTCHECK;
char *legacy_munge_title_to_name(const char *s) MUSTCHECK;
char *legacy_munge_tag(const char *s) MUSTCHECK;

#endif
