/*  catchup.h — what the client asks the leader for, and when: the FETCHes
    of a catch-up after a leader change and of gaps, and the quiet-room
    probe (a HELLO whose WELCOME shows a lost last message).  Pure: the
    caller passes the time, the delivery state and which server is the
    followed leader, and carries out what zc_catchup_tick says.

    After a leader change (the client already delivered something) it
    waits for the new leader's WELCOME saying it serves, HELLOing it every
    retry_ms; then it FETCHes after its position, gap or not, until a reply
    is not full: that brings what the old leader published but the client
    lost with it.  Otherwise a gap in delivery is FETCHed; a reply that
    made progress lets the next go out at once, one that did not waits
    retry_ms.  A room quiet for probe_ms gets a HELLO to the leader; the
    interval doubles from 1 s to 8 s while it stays quiet (thousands of
    idle clients each probing every second were a leader's main load).
*/
#ifndef ZC_CATCHUP_H
#define ZC_CATCHUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delivery.h"

#define ZC_CATCHUP_PROBE_MS     1000    //  the quiet-room probe, at first
#define ZC_CATCHUP_PROBE_MAX_MS 8000    //  and at most
#define ZC_CATCHUP_COUNT        256     //  entries asked per FETCH

typedef enum {
    ZC_CATCHUP_NONE,        //  nothing to resume
    ZC_CATCHUP_WAIT,        //  a new leader: wait for its WELCOME saying it serves
    ZC_CATCHUP_FETCH        //  FETCH after our position until a reply is not full
} zc_catchup_state_t;

typedef struct {
    zc_catchup_state_t state;
    int64_t retry_ms;
    bool out;               //  a FETCH is out (or was just tried)
    int64_t out_at;
    int out_server;         //  where it went
    uint64_t out_from;      //  the next rseq when it went out
    uint64_t out_floor;     //  and the floor (its `last`)
    int64_t probe_at;       //  last HELLO to the leader
    int64_t probe_ms;       //  quiet-room probe interval (backs off)
    int64_t chat_at;        //  last message of our room on the live stream
} zc_catchup_t;

//  What the caller does now
typedef struct {
    bool hello;             //  HELLO the leader (probe, or waiting to serve)
    bool fetch;             //  FETCH {last, rseq, room, count} from the leader
    uint64_t last, rseq;
} zc_catchup_do_t;

void zc_catchup_init (zc_catchup_t *self, int64_t retry_ms, int64_t now);

//  A new leader (or the same one in a new epoch) is followed; `started`:
//  delivery has a baseline (there is a position to resume from)
void zc_catchup_leader_changed (zc_catchup_t *self, bool started);
//  The followed leader's WELCOME says it serves: the catch-up begins
void zc_catchup_serving (zc_catchup_t *self);
//  A frame of our room came on the live stream: the room is not quiet
void zc_catchup_chat (zc_catchup_t *self, int64_t now);

//  The timers: what to ask of the leader (leader: its server index, -1
//  none followed) now.  A fetch that zc_catchup_tick asks for counts as
//  sent (sent or not, the next waits retry_ms unless ENTRIES come).
void zc_catchup_tick (zc_catchup_t *self, zc_delivery_t *delivery, int leader, int64_t now,
                      zc_catchup_do_t *out);
//  ENTRIES came from server (entries frames, bytes of them; full_bytes:
//  the size past which a reply may have been cut), after delivery took them
void zc_catchup_reply (zc_catchup_t *self, zc_delivery_t *delivery, int server,
                       size_t entries, size_t bytes, size_t full_bytes);
//  When zc_catchup_tick has something to do next (leader as above)
int64_t zc_catchup_next (const zc_catchup_t *self, zc_delivery_t *delivery, int leader,
                         int64_t now);

bool zc_catchup_active (const zc_catchup_t *self);      //  state is FETCH

#endif
