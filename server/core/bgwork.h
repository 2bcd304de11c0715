/* bgwork — short CPU-bound steps of a request (a password hash: ~50 ms of yescrypt) off the
 * loop threads, so that one costly request does not stall every other request of its loop.
 * A few worker threads, started on first use, run work(arg) in order of submission; done(arg)
 * then runs on the loop thread of the base given. Work must not touch the loop's objects
 * (requests, evhttp, the pool): only what it was handed in arg. */
#ifndef BGWORK_H
#define BGWORK_H
#include "util.h"
#include <stdbool.h>

struct event_base;

#define BGW_THREADS 2

typedef void (*bgw_fn)(void *arg);

/* Queue work; false (nothing will run) when the server is stopping or no thread can start. */
bool bgw_run(struct event_base *base, bgw_fn work, bgw_fn done, void *arg) MUSTCHECK;
/* Once the loops have ended: queued work is dropped (done not called), the threads joined. */
void bgw_shutdown(void);

#endif
