/* log — process event logging to stderr ("opendatad: level: text"). Access lines are written by
 * req_finish through log_access. Debug messages are filtered before formatting. */
#ifndef LOG_H
#define LOG_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_verbosity;      /* messages above this level are dropped */
extern const char *log_progname;
extern bool log_timestamps;    /* messages start with the UTC time (the server's) */

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log to a file instead of stderr (stderr itself is pointed at it); false with *err (malloc'd). */
bool log_open_file(const char *path, char **err) MUSTCHECK;
/* Open the log file again, after an operator moved it away (SIGHUP): 1 reopened, 0 no log file
 * (stderr as given), -1 failed (*err malloc'd; the old file is kept). */
int log_reopen(char **err) MUSTCHECK;
/* One access-log line; already formatted by the caller, written in one call. */
void log_line(const char *line);
/* The UTC time as the log writes it (2026-12-06T02:31:17.424Z) into out. */
void log_time(char *out, size_t size);
/* s (at most max bytes of it) in double quotes, '"' and '\\' escaped, control bytes as \xNN:
 * outside text on one log line; malloc'd. */
char *log_quote(const char *s, size_t max);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                       \
    do {                                                                                     \
        if (log_verbosity >= LOG_DEBUG)                                                      \
            log_msg(LOG_DEBUG, __VA_ARGS__);                                                 \
    } while (0)

#endif
