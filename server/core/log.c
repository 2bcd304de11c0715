/* log — process event logging to stderr. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int log_verbosity = LOG_INFO;
const char *log_progname = "opendatad";
bool log_timestamps;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_msg(enum log_level level, const char *fmt, ...)
{
    if ((int)level > log_verbosity)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = util_vformat(fmt, ap);
    va_end(ap);
    char when[40] = "";
    if (log_timestamps)
        log_time(when, sizeof(when));
    fprintf(stderr, "%s%s%s: %s: %s\n", when, *when ? " " : "", log_progname, level_names[level],
            text ? text : fmt);
    free(text);
}

void log_time(char *out, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

char *log_quote(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        n = max;
    char *out = xmalloc(4 * n + 3), *o = out;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20 || c == 0x7F) {
            o += sprintf(o, "\\x%02x", c);
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
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
