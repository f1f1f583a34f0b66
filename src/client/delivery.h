/*  delivery.h — turn the lossy PUB stream into an exact, ordered feed.

    PUB/SUB drops (slow joiner, HWM) and prefix-matches topics, so a client
    cannot show what it receives as it arrives.  This module takes every
    chat message the client sees — live from PUB or repaired by FETCH —
    and hands them out in room order (rseq), each once, with no gap:

    - exact-room filter: "gen" must not show "general";
    - a baseline: the room's last published rseq, from the serving
      leader's WELCOME; what is at or below it is history and not shown.  Without a
      baseline, messages wait; zc_delivery_start () gives up waiting and
      starts from the lowest one held;
    - duplicates (rseq already delivered or already held) are dropped;
    - a gap (a later rseq known, the next one missing) holds back what
      follows it; zc_delivery_gap () says which FETCH repairs it.

    rseq and seq grow together within a room, and a new leader continues
    both, so the order survives failover.  Pure: no sockets, no clock.
*/
#ifndef ZC_DELIVERY_H
#define ZC_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

//  A chat message owned by the client, with the text copied behind it.
typedef struct {
    uint64_t seq, rseq, ts, epoch, id;
    char room[ZC_MAX_ROOM + 1];
    char from[ZC_MAX_NAME + 1];
    char client[ZC_CLIENT_ID_LEN + 1];
    size_t text_len;                //  text may hold NUL bytes
    char text[];                    //  NUL-terminated
} zc_chat_t;

//  What happened to an offered message.
typedef enum {
    ZC_DLV_READY = 0,               //  zc_delivery_next () has something now
    ZC_DLV_HELD,                    //  kept: waits for a gap or a baseline
    ZC_DLV_DUPLICATE,               //  already delivered, held, or history
    ZC_DLV_OTHER_ROOM,              //  not our room (SUB prefix match)
    ZC_DLV_TOO_FAR,                 //  beyond the window: dropped, fetch later
    ZC_DLV_INVALID                  //  not a usable chat message
} zc_dlv_result_t;

typedef struct _zc_delivery_t zc_delivery_t;

//  Create for one room; window is how many rseq ahead of the next one may
//  be held (0 = default, 4096).  Returns NULL on bad arguments.
zc_delivery_t *zc_delivery_new (const char *room, size_t window);

//  Destroy, freeing what is held.  Safe on NULL.
void zc_delivery_destroy (zc_delivery_t **self_p);

//  Offer a decoded chat message (from PUB or from ENTRIES).  It is copied.
zc_dlv_result_t zc_delivery_offer (zc_delivery_t *self, const zc_msg_t *chat);

//  The next message in order, or NULL.  The caller owns it.
zc_chat_t *zc_delivery_next (zc_delivery_t *self);

//  Free a message from zc_delivery_next.  Safe on NULL.
void zc_chat_destroy (zc_chat_t **chat_p);

//  The serving leader says the room's last published rseq is rseq, as of
//  log position seq: every message of the room up to rseq is at or below
//  seq, every later one above it (0 if unknown: safe, fetches more).  The
//  first hint sets the baseline; later ones only reveal messages we have
//  not seen yet (a gap to fetch).
void zc_delivery_leader_hint (zc_delivery_t *self, uint64_t rseq, uint64_t seq);

//  Stop waiting for a baseline: start from the lowest message held, or
//  from the next one to arrive.  No effect once started.
void zc_delivery_start (zc_delivery_t *self);

//  True once a baseline is set (by hint or by zc_delivery_start).
bool zc_delivery_started (zc_delivery_t *self);

//  How many messages are held back (waiting for a baseline or a gap).
size_t zc_delivery_held (zc_delivery_t *self);

//  True if a message is known to exist but cannot be delivered yet; then
//  *last is the seq to send in FETCH {last, room}: every message of the
//  room at or below it has been delivered or is history.
bool zc_delivery_gap (zc_delivery_t *self, uint64_t *last);

//  The next rseq to deliver (0 until known), and the last one known to
//  exist (from messages seen and leader hints).
uint64_t zc_delivery_next_rseq (zc_delivery_t *self);
uint64_t zc_delivery_known_rseq (zc_delivery_t *self);

#endif
