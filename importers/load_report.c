/* load_report — what a load tells its caller while it runs: log lines, progress (of the passes
 * over the file and of the phases after them), and whether the caller wants it stopped. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "load_int.h"

#define PROGRESS_EVERY_US 250000

void load_log(struct loader *L, enum load_level level, const char *fmt, ...)
{
    if (!L->o->log || (level == LOAD_DEBUG && !L->o->debug))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = util_vformat(fmt, ap);
    va_end(ap);
    L->o->log(L->o->arg, level, line ? line : fmt);
    free(line);
}

void load_pass_progress(struct loader *L, bool done)
{
    if (!L->o->progress)
        return;
    int64_t now = util_now_us();
    if (!done && now - L->shown_us < PROGRESS_EVERY_US)
        return;
    L->shown_us = now;
    struct load_progress p = {L->what, L->rows, enc_consumed(L->src->enc), enc_size(L->src->enc),
                              0,       0,       now - L->pass_us,          done};
    L->o->progress(L->o->arg, &p);
}

void load_phase(struct loader *L, const char *what, int step, int steps, uint64_t bytes,
                uint64_t size, bool done)
{
    if (!L->o->progress)
        return;
    int64_t now = util_now_us();
    if (L->what != what) {
        L->what = what;
        L->pass_us = now;
    } else if (!done && now - L->shown_us < PROGRESS_EVERY_US) {
        return;
    }
    L->shown_us = now;
    struct load_progress p = {what, L->rows, bytes, size, step, steps, now - L->pass_us, done};
    L->o->progress(L->o->arg, &p);
}

/* Every 1024 rows of a pass: progress, and whether the caller wants the load stopped. */
bool load_pass_tick(struct loader *L)
{
    load_pass_progress(L, false);
    if (!L->o->cancelled || !L->o->cancelled(L->o->arg))
        return true;
    free(L->err);
    L->err = xstrdup("the load was cancelled");
    return false;
}

void load_pass_start(struct loader *L, const char *what)
{
    L->what = what;
    L->rows = 0;
    L->pass_us = L->shown_us = util_now_us();
}
