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
      follows it; zc_delivery_gap () says which FETCH repairs it;
    - resume: a new leader's WELCOME never moves the baseline.  The client
      asks it for everything after zc_delivery_resume_point (), in chunks,
      while the live stream is held here; both meet in rseq order;
    - history: with zc_delivery_set_history (n), the baseline is n
      messages before the room's last one, fetched like a gap;
    - retention: entries the cluster no longer holds cannot be fetched.
      The first entry of the room in a FETCH reply proves what is gone
      (zc_delivery_skip_to), and delivery goes on after it.

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

//  Deliver the last n messages of the room first (0 = none, the default).
//  Call before the baseline is set; later calls have no effect.
void zc_delivery_set_history (zc_delivery_t *self, uint64_t n);

//  The serving leader says the room's last published rseq is rseq, as of
//  log position seq: every message of the room up to rseq is at or below
//  seq, every later one above it (0 if unknown: safe, fetches more).  The
//  first hint sets the baseline (rseq + 1, or rseq + 1 - n with history);
//  later ones only reveal messages we have not seen yet (a gap to fetch).
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

//  Where a FETCH resumes, gap or not: *last = the seq at or below which
//  every message of the room is delivered or history (the "floor"), and
//  *rseq = the last rseq delivered or history (next - 1).  Every message
//  still to come has seq > *last and rseq > *rseq.  False before the start.
bool zc_delivery_resume_point (zc_delivery_t *self, uint64_t *last, uint64_t *rseq);

//  Once, as soon as it is known: the seq after which delivery starts (the
//  leader's published seq at the baseline, or the seq before the first
//  message delivered: history, no baseline).  True at most once; call it
//  before handing out each message, so that it comes first.
bool zc_delivery_take_start (zc_delivery_t *self, uint64_t *seq);

//  What zc_delivery_skip_to gave up on.
typedef struct {
    uint64_t from, to;              //  rseqs [from, to) will never come
    bool history;                   //  from was within the history asked for
    uint64_t history_kept;          //  then: how many of it are still held
} zc_dlv_skip_t;

//  A FETCH reply's first entry of the room has this rseq and seq.  The
//  node sends the room's entries after the resume point in order, so if
//  rseq is above the next one, those between are no longer held (its
//  retention dropped them): stop waiting for them (up to the first of
//  them held here, if any) and fill *skip.  Call it before offering that
//  entry.  Returns false, skipping nothing, if not started or nothing is
//  missing.
bool zc_delivery_skip_to (zc_delivery_t *self, uint64_t rseq, uint64_t seq,
                          zc_dlv_skip_t *skip);

//  The next rseq to deliver (0 until known), and the last one known to
//  exist (from messages seen and leader hints).
uint64_t zc_delivery_next_rseq (zc_delivery_t *self);
uint64_t zc_delivery_known_rseq (zc_delivery_t *self);

//  The floor (see zc_delivery_resume_point); 0 before anything is known.
uint64_t zc_delivery_floor (zc_delivery_t *self);

#endif
