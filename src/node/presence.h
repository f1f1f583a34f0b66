/*  presence.h — who is in which room now: the leader's soft state.

    Clients that want to be seen send PRESENCE {room, from} to the leader
    every ZC_PRESENCE_MS (and at once when they follow a new leader); the
    leader keeps one entry per (connection, room) and forgets it after
    ZC_PRESENCE_EXPIRE_MS without a refresh, or at once when that
    connection says it left (docs/PROTOCOL.md §4, presence).  Nothing of it
    is logged or replicated: a new leader starts empty and has every
    client back within one refresh interval.

    An entry is keyed by the ROUTER identity of the connection it came
    on, which no other connection can use: no client can add or remove
    another.  The name is the caller's to choose (with security, the
    certificate's).  Bounded: at most max_per_conn rooms per connection
    and max_total entries in all; a refresh of an entry that exists always
    succeeds.  Pure: the caller passes the time in (ms).
*/
#ifndef ZC_PRESENCE_H
#define ZC_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_PRESENCE_MS          2000    //  a client's refresh interval
#define ZC_PRESENCE_EXPIRE_MS   6500    //  three refreshes missed, and some slack
#define ZC_PRESENCE_MAX         10000   //  entries in all (default)
#define ZC_PRESENCE_PER_CONN    8       //  rooms one connection may be seen in
#define ZC_PRESENCE_SHOW        200     //  names in one MEMBERS reply (64 bytes + 1 each)

typedef enum {
    ZC_PRESENCE_OK = 0,
    ZC_PRESENCE_FULL,               //  max_total entries already
    ZC_PRESENCE_CONN_FULL           //  this connection is in max_per_conn rooms already
} zc_presence_result_t;

typedef struct _zc_presence_t zc_presence_t;

zc_presence_t *zc_presence_new (size_t max_total, size_t max_per_conn);
void zc_presence_destroy (zc_presence_t **self_p);

//  Connection conn (its ROUTER identity) is in room as name, now.
zc_presence_result_t zc_presence_here (zc_presence_t *self, const uint8_t *conn,
                                       size_t conn_len, const char *room, const char *name,
                                       uint64_t now);

//  Connection conn left room (nothing if it was not there).
void zc_presence_gone (zc_presence_t *self, const uint8_t *conn, size_t conn_len,
                       const char *room);

//  Forget the entries not refreshed for ZC_PRESENCE_EXPIRE_MS.  Walks
//  the table at most once a second; returns the entries dropped.
size_t zc_presence_expire (zc_presence_t *self, uint64_t now);

//  Forget everything (this node stopped leading).
void zc_presence_clear (zc_presence_t *self);

//  The connections in room now, and their names: sorted, one per line
//  ("\n" between, none at the end), at most ZC_PRESENCE_SHOW of them and
//  at most cap - 1 bytes, NUL-terminated.  Returns the bytes written.
size_t zc_presence_count (zc_presence_t *self, const char *room);
size_t zc_presence_names (zc_presence_t *self, const char *room, char *out, size_t cap);

//  Entries held in all.
size_t zc_presence_size (zc_presence_t *self);

#endif
