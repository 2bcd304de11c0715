/* log — process event logging to stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int log_verbosity = LOG_INFO;
const char *log_progname = "opendatad";

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_msg(enum log_level level, const char *fmt, ...)
{
    if ((int)level > log_verbosity)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    va_end(ap);
    fprintf(stderr, "%s: %s: %s\n", log_progname, level_names[level], text ? text : fmt);
    free(text);
}

void log_line(const char *line)
{
    fputs(line, stderr);
}
