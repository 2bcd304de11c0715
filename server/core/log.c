/* log — process event logging to stderr. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int log_verbosity = LOG_INFO;
const char *log_progname = "opendatad";

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_msg(enum log_level level, const char *fmt, ...)
{
    if ((int)level > log_verbosity)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = util_vformat(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s: %s\n", log_progname, level_names[level], text ? text : fmt);
    free(text);
}

void log_line(const char *line)
{
    fputs(line, stderr);
}

static char *log_path; /* --log-file, or NULL: stderr as given */

/* stderr becomes the file (appended to): access lines, messages and libraries' own writes. */
static bool log_attach(const char *path, char **err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
        if (asprintf(err, "cannot open the log file %s: %s", path, strerror(errno)) < 0)
            *err = NULL;
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    return true;
}

bool log_open_file(const char *path, char **err)
{
    if (!log_attach(path, err))
        return false;
    free(log_path);
    log_path = strdup(path);
    return true;
}

int log_reopen(char **err)
{
    if (!log_path)
        return 0;
    return log_attach(log_path, err) ? 1 : -1;
}
