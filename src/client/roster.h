/*  roster.h — who is in the client's room, from the leader's MEMBERS
    replies (docs/PROTOCOL.md §4, presence), as join and leave changes.

    Each reply is the whole list (names, one per line, sorted; a name may
    be there more than once).  The first list is the baseline and changes
    nothing; after it, a name that appears (or appears once more) joined,
    one that goes left.  After a leader change the new leader's table
    fills up as clients refresh (within one interval): for
    ZC_ROSTER_GRACE_MS after it, names that are missing are not taken for
    leaves yet, so a failover shows no "left" and "joined" again.  A list
    cut short (count above the names sent) shows only joins.  Pure.
*/
#ifndef ZC_ROSTER_H
#define ZC_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_ROSTER_GRACE_MS  5000    //  two refreshes and some slack

typedef struct _zc_roster_t zc_roster_t;

//  A change: name joined (true) or left (false)
typedef void (zc_roster_fn) (void *arg, const char *name, bool joined);

zc_roster_t *zc_roster_new (void);
void zc_roster_destroy (zc_roster_t **self_p);

//  The leader changed at now: a grace period for leaves starts.
void zc_roster_leader_changed (zc_roster_t *self, int64_t now);

//  A MEMBERS list: names (len bytes, "\n" between), count in all, at now.
//  Calls fn for every change.  Returns false (nothing changes) if names
//  is not a list of names.
bool zc_roster_update (zc_roster_t *self, const char *names, size_t len, uint64_t count,
                       int64_t now, zc_roster_fn *fn, void *arg);

//  The names known, ", " between, NUL-terminated in out (cut at a whole
//  name if cap is short); returns how many there are, or -1 before the
//  first list.
int zc_roster_names (zc_roster_t *self, char *out, size_t cap);

#endif
