/*  delivery.c — see delivery.h.

    Held messages live in a ring indexed by rseq % window, so that every
    held rseq is in [next, next + window): insert, lookup and release are
    O(1) and nothing is sorted.  "floor" is the highest seq known to be at
    or below the delivered position; FETCH asks for what follows it.

    Invariant (what resume and the retention skip rest on): once started,
    every message of the room with rseq >= next has seq > floor.  Both only
    grow; floor grows only to a seq proven at or below the delivered
    position (a delivered or repeated message, the leader's baseline).
*/
#include "delivery.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define ZC_DLV_WINDOW 4096

struct _zc_delivery_t {
    char room[ZC_MAX_ROOM + 1];
    zc_chat_t **ring;           //  window slots, NULL when empty
    size_t window;
    size_t held;                //  non-NULL slots
    bool started;               //  baseline set: next is authoritative
    uint64_t next;              //  next rseq to deliver; 0 = not known yet
    uint64_t known;             //  highest rseq known to exist
    uint64_t floor;             //  see above
    uint64_t history;           //  messages asked for before the baseline
    uint64_t hist_end;          //  with history: the room's rseq at the baseline
    int start_state;            //  S_START_*
    uint64_t start_seq;
};

enum { S_START_NONE, S_START_KNOWN, S_START_TAKEN };

zc_delivery_t *
zc_delivery_new (const char *room, size_t window)
{
    if (!room || !zc_room_valid (room, strlen (room)))
        return NULL;
    zc_delivery_t *self = (zc_delivery_t *) calloc (1, sizeof (*self));
    if (!self)
        return NULL;
    strcpy (self->room, room);
    self->window = window? window: ZC_DLV_WINDOW;
    self->ring = (zc_chat_t **) calloc (self->window, sizeof (zc_chat_t *));
    if (!self->ring) {
        free (self);
        return NULL;
    }
    return self;
}

void
zc_delivery_destroy (zc_delivery_t **self_p)
{
    assert (self_p);
    zc_delivery_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->window; i++)
        free (self->ring [i]);
    free (self->ring);
    free (self);
    *self_p = NULL;
}

void
zc_chat_destroy (zc_chat_t **chat_p)
{
    assert (chat_p);
    free (*chat_p);
    *chat_p = NULL;
}

static zc_chat_t *
s_chat_copy (const zc_msg_t *msg)
{
    zc_chat_t *chat = (zc_chat_t *) malloc (sizeof (zc_chat_t) + msg->text.len + 1);
    if (!chat)
        return NULL;
    chat->seq = msg->seq;
    chat->rseq = msg->rseq;
    chat->ts = msg->ts;
    chat->epoch = msg->epoch;
    chat->id = msg->id;
    zc_str_copy (chat->room, sizeof (chat->room), msg->room);
    zc_str_copy (chat->from, sizeof (chat->from), msg->from);
    zc_str_copy (chat->client, sizeof (chat->client), msg->client);
    chat->text_len = msg->text.len;
    if (msg->text.len)
        memcpy (chat->text, msg->text.ptr, msg->text.len);
    chat->text [msg->text.len] = 0;
    return chat;
}

static zc_chat_t **
s_slot (zc_delivery_t *self, uint64_t rseq)
{
    return &self->ring [rseq % self->window];
}

//  Moves the window to start at next: what falls below it is history or
//  already delivered (its seq raises the floor), what falls past its end
//  is dropped and will be fetched when its turn comes.
static void
s_rebase (zc_delivery_t *self, uint64_t next)
{
    for (size_t i = 0; i < self->window && self->held; i++) {
        zc_chat_t *chat = self->ring [i];
        if (!chat || (chat->rseq >= next && chat->rseq - next < self->window))
            continue;
        if (chat->rseq < next && chat->seq > self->floor)
            self->floor = chat->seq;
        free (chat);
        self->ring [i] = NULL;
        self->held--;
    }
    self->next = next;
}

zc_dlv_result_t
zc_delivery_offer (zc_delivery_t *self, const zc_msg_t *msg)
{
    assert (self);
    uint64_t need = ZF_SEQ | ZF_RSEQ | ZF_TS | ZF_ROOM | ZF_CLIENT | ZF_ID | ZF_TEXT;
    if (!msg || msg->type != ZC_CHAT || !zc_msg_has (msg, need)
    ||  msg->seq == 0 || msg->rseq == 0)
        return ZC_DLV_INVALID;
    if (!zc_str_eq (msg->room, self->room))
        return ZC_DLV_OTHER_ROOM;

    uint64_t rseq = msg->rseq;
    if (rseq > self->known)
        self->known = rseq;
    if (self->next == 0) {
        //  The first message anchors the window.  Once started, what came
        //  before it is history, all of it at lower seqs
        self->next = rseq;
        if (self->started && msg->seq - 1 > self->floor)
            self->floor = msg->seq - 1;
    }
    else
    if (rseq < self->next) {
        if (self->started) {
            if (msg->seq > self->floor)
                self->floor = msg->seq;     //  a repeat still proves the floor
            return ZC_DLV_DUPLICATE;
        }
        s_rebase (self, rseq);              //  an earlier one, still waiting
    }
    if (rseq - self->next >= self->window)
        return ZC_DLV_TOO_FAR;

    zc_chat_t **slot = s_slot (self, rseq);
    if (*slot)
        return ZC_DLV_DUPLICATE;
    *slot = s_chat_copy (msg);
    if (!*slot)
        return ZC_DLV_TOO_FAR;              //  out of memory: fetch it later
    self->held++;
    return self->started && rseq == self->next? ZC_DLV_READY: ZC_DLV_HELD;
}

zc_chat_t *
zc_delivery_next (zc_delivery_t *self)
{
    assert (self);
    if (!self->started || self->next == 0)
        return NULL;
    zc_chat_t **slot = s_slot (self, self->next);
    zc_chat_t *chat = *slot;
    if (!chat)
        return NULL;
    assert (chat->rseq == self->next);
    *slot = NULL;
    self->held--;
    self->next++;
    if (chat->seq > self->floor)
        self->floor = chat->seq;
    if (self->start_state == S_START_NONE) {
        //  No baseline seq (history, or no leader): the first one sets it
        self->start_seq = chat->seq - 1;
        self->start_state = S_START_KNOWN;
    }
    return chat;
}

void
zc_delivery_set_history (zc_delivery_t *self, uint64_t n)
{
    assert (self);
    if (!self->started)
        self->history = n;
}

void
zc_delivery_leader_hint (zc_delivery_t *self, uint64_t rseq, uint64_t seq)
{
    assert (self);
    if (!self->started) {
        self->started = true;
        if (self->history && rseq) {
            //  The last n messages first: a gap to fetch from the start.
            //  Where they begin in the log is unknown: the floor stays (a
            //  FETCH by rseq finds them) and the first one sets the start
            uint64_t n = self->history < rseq? self->history: rseq;
            self->hist_end = rseq;
            s_rebase (self, rseq - n + 1);
        }
        else {
            s_rebase (self, rseq + 1);
            if (seq > self->floor)
                self->floor = seq;
            //  seq unknown (0) with messages in the room: the first sets it
            if (seq || !rseq) {
                self->start_seq = seq;
                self->start_state = S_START_KNOWN;
            }
        }
    }
    if (rseq > self->known)
        self->known = rseq;
}

void
zc_delivery_start (zc_delivery_t *self)
{
    assert (self);
    //  Before the start next is the lowest rseq held (or 0: the next
    //  arrival), and what precedes it becomes history
    if (self->started)
        return;
    self->started = true;
    zc_chat_t *first = self->next? *s_slot (self, self->next): NULL;
    if (first && first->seq - 1 > self->floor)
        self->floor = first->seq - 1;
}

bool
zc_delivery_started (zc_delivery_t *self)
{
    assert (self);
    return self->started;
}

size_t
zc_delivery_held (zc_delivery_t *self)
{
    assert (self);
    return self->held;
}

bool
zc_delivery_gap (zc_delivery_t *self, uint64_t *last)
{
    assert (self);
    if (!self->started || self->next == 0 || self->known < self->next
    ||  *s_slot (self, self->next))
        return false;
    if (last)
        *last = self->floor;
    return true;
}

bool
zc_delivery_resume_point (zc_delivery_t *self, uint64_t *last, uint64_t *rseq)
{
    assert (self);
    if (!self->started)
        return false;
    if (last)
        *last = self->floor;
    if (rseq)
        *rseq = self->next? self->next - 1: 0;
    return true;
}

bool
zc_delivery_take_start (zc_delivery_t *self, uint64_t *seq)
{
    assert (self);
    if (self->start_state != S_START_KNOWN)
        return false;
    self->start_state = S_START_TAKEN;
    if (seq)
        *seq = self->start_seq;
    return true;
}

bool
zc_delivery_skip_to (zc_delivery_t *self, uint64_t rseq, uint64_t seq, zc_dlv_skip_t *skip)
{
    assert (self);
    uint64_t next = self->next;
    if (!self->started || next == 0 || rseq <= next || seq == 0 || *s_slot (self, next))
        return false;
    //  None of [next, rseq) is held by the node, but we may hold some
    //  (from PUB, before it retired them): deliver those, skip up to the
    //  first of them
    for (uint64_t r = next + 1; r < rseq && r - next < self->window; r++) {
        zc_chat_t *chat = *s_slot (self, r);
        if (chat) {
            rseq = r;
            seq = chat->seq;
            break;
        }
    }
    if (skip) {
        skip->from = next;
        skip->to = rseq;
        skip->history = self->hist_end && next <= self->hist_end;
        skip->history_kept = self->hist_end >= rseq? self->hist_end - rseq + 1: 0;
    }
    //  By the invariant, what falls between lay at seqs below this one
    s_rebase (self, rseq);
    if (seq - 1 > self->floor)
        self->floor = seq - 1;
    return true;
}

uint64_t
zc_delivery_floor (zc_delivery_t *self)
{
    assert (self);
    return self->floor;
}

uint64_t
zc_delivery_next_rseq (zc_delivery_t *self)
{
    assert (self);
    return self->next;
}

uint64_t
zc_delivery_known_rseq (zc_delivery_t *self)
{
    assert (self);
    return self->known;
}
