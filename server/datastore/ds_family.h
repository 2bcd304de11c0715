/* ds_family — the DataStore's reads and dumps as the server sees them: no routes of its own
 * (the Taiwan and CKAN families route to its handlers, in their envelopes), but start-up (the
 * dump workers and cache), a stop and per-thread state. */
#ifndef DS_FAMILY_H
#define DS_FAMILY_H

extern const struct srv_family ds_family;

#endif
