/* replica — read replicas (--db-replica). Each server thread has a pool per replica; whether a
 * replica may take reads (it answers, and its replay lag is under --replica-max-lag) is checked
 * once a second by thread 0 alone and shared by all threads, so no request pays a query for
 * it. A replica that goes away or falls behind is skipped (one log line) and taken back once it
 * answers in time again. One promoted (no standby any more) takes no reads: its data may part
 * from the primary's (after a failover, --db names it: a libpq list of hosts with
 * target_session_attrs=read-write finds it). */
#ifndef REPLICA_H
#define REPLICA_H
#include <stdbool.h>

#include "util.h"

struct config;
struct dbp;
struct dbp_options;
struct event_base;
struct rep_set;

/* Read the replicas of cfg (before any thread starts). Returns how many there are. */
int rep_init(const struct config *cfg);
/* A thread's pools, one per replica; thread 0 also runs the checks. NULL when there are none. */
struct rep_set *rep_thread_new(struct event_base *base, int thread_index,
                               const struct dbp_options *o);
void rep_thread_free(struct rep_set *s);
/* The pool of a replica that may take reads now (round robin among them), or NULL. */
struct dbp *rep_pick(struct rep_set *s);
/* Whether pool p is one of s's replicas. */
bool rep_is_replica(const struct rep_set *s, const struct dbp *p);

#endif
