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
    uint32_t unanswered;            //  sends under this id whose error reply has
                                    //  not come (the caller counts, client_recv.c)
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

//  Id was refused for good, so the leader never stored it and its dedup
//  still waits for that id (it takes only last + 1, PROTOCOL.md §4): the
//  message leaves the queue (returned, the caller frees it) and every later
//  one moves down one id, id + 1 becoming id and so on, so that the stream
//  stays contiguous.  Their frames still carry the old ids: the caller
//  re-encodes them (zc_pending_reframe).  A new round starts at time now
//  from id: what is below it keeps its place in the round (sent is sent),
//  the moved messages are due again.  *unanswered (may be NULL) gets the
//  sends of the refused message and of the moved ones still unanswered
//  (zc_pending_answered): their replies carry ids of before, and the
//  moved messages' count starts again from 0.  NULL if id is not pending.
zc_post_t *zc_pending_refuse (zc_pending_t *self, uint64_t id, int64_t now,
                              uint64_t *unanswered);

//  Replaces the frame of pending message id.  Returns 0, or -1 if id is
//  not pending or out of memory (the old frame stays then).
int zc_pending_reframe (zc_pending_t *self, uint64_t id, const uint8_t *frame, size_t size);

//  The id the next zc_pending_add takes (0 before the first).
uint64_t zc_pending_next_id (zc_pending_t *self);

//  The pending message with this id, or NULL.
const zc_post_t *zc_pending_find (zc_pending_t *self, uint64_t id);

//  Messages still waiting for an ACK.
size_t zc_pending_size (zc_pending_t *self);

//  Start a new round at time now: every pending message is due again.
void zc_pending_rewind (zc_pending_t *self, int64_t now);

//  The next message due in this round, or NULL when all went out.  After a
//  successful send, call zc_pending_sent (which counts it unanswered);
//  after a failed one, stop and try again later: order is kept because
//  nothing later goes first.
const zc_post_t *zc_pending_due (zc_pending_t *self);
void zc_pending_sent (zc_pending_t *self, int64_t now);

//  An error reply about id came: one send of it fewer is unanswered (an
//  error reply is immediate, so the count is of replies still on the way).
//  zc_pending_forget_sends: none counts any more (another leader).
void zc_pending_answered (zc_pending_t *self, uint64_t id);
void zc_pending_forget_sends (zc_pending_t *self);

//  True if messages are due in this round (a send is wanted).
bool zc_pending_has_due (zc_pending_t *self);

//  When the oldest pending message was last sent, or if it has not gone
//  out in this round, when the round began or it was posted, whichever is
//  later; -1 if nothing is pending.  The
//  caller retries when this is older than its retry interval.
int64_t zc_pending_oldest (zc_pending_t *self);

//  Resending one message on its own timer: an ACK can be lost (a node's
//  reply queue full) while the ACKs of later messages arrive, so waiting
//  for the sender to go quiet could wait forever.  zc_pending_overdue
//  returns the first message above after_id that went out in this round
//  at or before `before`, is still not acknowledged and lies below an
//  acknowledged id (ACKs come in id order: its own was lost), or NULL;
//  zc_pending_resent records its resend at now (counted unanswered, its
//  place in the round unchanged).
const zc_post_t *zc_pending_overdue (zc_pending_t *self, uint64_t after_id, int64_t before);
void zc_pending_resent (zc_pending_t *self, uint64_t id, int64_t now);

//  True if an error about id answers a send of an earlier round (or id is
//  no longer pending): it must not trigger another round.
bool zc_pending_stale (zc_pending_t *self, uint64_t id);

//  The current round number (starts at 1).
uint32_t zc_pending_round (zc_pending_t *self);

#endif
