/*  pending.h — the client's unacknowledged POSTs, in id order.

    Each message is encoded once, when posted, and kept until its ACK: a
    resend is the same bytes again, which the leader's dedup makes safe.
    Sending is pipelined and goes in rounds: a round sends every pending
    message once, in id order, to one leader; zc_pending_rewind () starts a
    new round (new leader, retry timeout, "expected" or "busy" errors).
    The round also tells a fresh error from a stale one: a reply to a send
    of an earlier round must not start yet another round.  Pure: the
    caller passes the time in and does the sending.
*/
#ifndef ZC_PENDING_H
#define ZC_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t id;                    //  message number, from 1
    uint64_t ts;                    //  Lamport time it was posted with
    int64_t queued_at;              //  when posted (ms)
    int64_t sent_at;                //  when last sent (ms), if round matches
    uint32_t round;                 //  round it was last sent in
    size_t size;
    uint8_t frame[];                //  the encoded POST map
} zc_post_t;

typedef struct _zc_pending_t zc_pending_t;

//  Create an empty queue.  Returns NULL if out of memory.
zc_pending_t *zc_pending_new (void);

//  Destroy, freeing every message.  Safe on NULL.
void zc_pending_destroy (zc_pending_t **self_p);

//  Append an encoded POST, posted at time now; id must be one above the last id added (the
//  first may be any id >= 1).  Returns 0, or -1 on a bad id or no memory.
int zc_pending_add (zc_pending_t *self, uint64_t id, uint64_t ts,
                    const uint8_t *frame, size_t size, int64_t now);

//  An ACK for id: returns the message (the caller frees it with free ()),
//  or NULL if id was not pending (a repeat ACK).
zc_post_t *zc_pending_ack (zc_pending_t *self, uint64_t id);

//  The pending message with this id, or NULL.
const zc_post_t *zc_pending_find (zc_pending_t *self, uint64_t id);

//  Messages still waiting for an ACK.
size_t zc_pending_size (zc_pending_t *self);

//  Start a new round at time now: every pending message is due again.
void zc_pending_rewind (zc_pending_t *self, int64_t now);

//  The next message due in this round, or NULL when all went out.  After a
//  successful send, call zc_pending_sent; after a failed one, stop and try
//  again later: order is kept because nothing later goes first.
const zc_post_t *zc_pending_due (zc_pending_t *self);
void zc_pending_sent (zc_pending_t *self, int64_t now);

//  True if messages are due in this round (a send is wanted).
bool zc_pending_has_due (zc_pending_t *self);

//  When the oldest pending message was last sent, or if it has not gone
//  out in this round, when the round began or it was posted, whichever is
//  later; -1 if nothing is pending.  The
//  caller retries when this is older than its retry interval.
int64_t zc_pending_oldest (zc_pending_t *self);

//  True if an error about id answers a send of an earlier round (or id is
//  no longer pending): it must not trigger another round.
bool zc_pending_stale (zc_pending_t *self, uint64_t id);

//  The current round number (starts at 1).
uint32_t zc_pending_round (zc_pending_t *self);

#endif
