/* hk_params — the Hong Kong-style APIs' parameter formats (pure): archive dates and times,
 * counts. Each parser accepts exactly its form and nothing
 * around it (no space, sign or separator it does not name). */
#ifndef HK_PARAMS_H
#define HK_PARAMS_H
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* The archive's first day (DATA.GOV.HK refuses earlier starts). */
#define HK_ARCHIVE_FIRST_DAY 20050301

/* YYYYMMDD, a day that exists (Gregorian), year 1000..9999: *out = the number YYYYMMDD. */
bool hk_parse_day(const char *s, int *out) MUSTCHECK;
/* A snapshot time "YYYYMMDD-HHMM" (the archive's form) or "YYYYMMDDHHMM": *out = the
 * canonical "YYYYMMDD-HHMM" (14 bytes with its NUL). */
bool hk_parse_time(const char *s, char out[14]) MUSTCHECK;
/* Digits only, min..max. */
bool hk_parse_count(const char *s, long long min, long long max, long long *out) MUSTCHECK;

#endif
