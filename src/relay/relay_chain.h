/*  relay_chain.h — what a chained relay republishes of an upstream relay.

    A relay started with --upstream-relay takes other relays as its
    upstream (docs/PROTOCOL.md, "Relays"): a plain SUB, with no beacons to
    follow and no FETCH to repair with.  An upstream relay already hands
    out each message of a room once, in rseq order; repeats come when the
    SUB is connected to several upstream relays (each sends everything) or
    when one of them restarts a room.  This module keeps, per room, the
    highest rseq republished and filters each [room][chat maps...] frame
    down to the maps above it, copying their bytes unchanged:

    - a map of another room than the topic, a map that is not a chat map,
      or bytes that do not decode are counted drops (the rest of a frame
      after a bad map cannot be trusted: it is dropped too);
    - rseq at or below the highest republished: a counted repeat;
    - rseq more than one above it: republished, and a counted gap (a
      chained relay cannot repair it; the listener can, by FETCH).

    Only exact room topics are tracked (a listener's prefix subscription
    is forwarded upstream, but what comes back is filtered per room).
    The table is bounded; a room beyond it is not republished (counted).
    Pure: no sockets.
*/
#ifndef ZC_RELAY_CHAIN_H
#define ZC_RELAY_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct {
    uint64_t maps;                  //  chat maps republished
    uint64_t repeats;               //  maps dropped as already republished
    uint64_t gaps;                  //  rseq jumps passed on (not repairable here)
    uint64_t dropped;               //  bad maps or frames, and rooms beyond the table
} zc_relay_chain_stats_t;

typedef struct _zc_relay_chain_t zc_relay_chain_t;

//  Create with room for max_rooms rooms (0 = default, 4096).
zc_relay_chain_t *zc_relay_chain_new (size_t max_rooms);

//  Destroy.  Safe on NULL.
void zc_relay_chain_destroy (zc_relay_chain_t **self_p);

//  One publication from upstream: topic (the room), body (one or several
//  chat maps back to back).  Writes into out (cap >= size suffices) the
//  maps to republish, byte for byte, in their order, and returns how many
//  bytes (0: nothing to republish).
size_t zc_relay_chain_frame (zc_relay_chain_t *self, const char *topic, size_t topic_len,
                             const uint8_t *body, size_t size, uint8_t *out, size_t cap);

//  The highest rseq republished for room (0: none yet, or not tracked).
uint64_t zc_relay_chain_last (zc_relay_chain_t *self, const char *room, size_t len);

//  Forget a room (its last listener left): if it comes back, it starts
//  from what comes then.
void zc_relay_chain_forget (zc_relay_chain_t *self, const char *room, size_t len);

//  The counters since creation.
zc_relay_chain_stats_t zc_relay_chain_stats (zc_relay_chain_t *self);

#endif
