/*  relay_batch.c — see relay_batch.h */
#include "relay_batch.h"

#include <assert.h>
#include <string.h>

void
zc_relay_batch_init (zc_relay_batch_t *self, const char *room)
{
    assert (self && room && strlen (room) <= ZC_MAX_ROOM);
    strcpy (self->room, room);
    self->size = 0;
    self->count = 0;
    self->last_rseq = 0;
}

void
zc_relay_batch_reset (zc_relay_batch_t *self)
{
    assert (self);
    self->size = 0;
    self->count = 0;
}

int
zc_relay_batch_add (zc_relay_batch_t *self, const zc_event_t *ev)
{
    assert (self && ev);
    if (ev->type != ZC_EV_MESSAGE || strcmp (ev->room, self->room) != 0)
        return -1;
    //  The fields and their order of the leader's chat map (PROTOCOL.md §3)
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, ev->epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, ev->seq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, ev->rseq);
    zc_msg_set_u64 (&chat, ZF_TS, ev->ts);
    zc_msg_set_cstr (&chat, ZF_ROOM, ev->room);
    zc_msg_set_cstr (&chat, ZF_FROM, ev->from);
    zc_msg_set_cstr (&chat, ZF_CLIENT, ev->client);
    zc_msg_set_u64 (&chat, ZF_ID, ev->id);
    zc_msg_set_str (&chat, ZF_TEXT, ev->text? ev->text: "", ev->text? ev->text_len: 0);
    size_t size = zc_msg_encode (&chat, self->buf + self->size, sizeof (self->buf) - self->size);
    if (!size) {
        //  Too large for what is left, or for any batch
        uint8_t probe [ZC_MAX_FRAME];
        return self->size && zc_msg_encode (&chat, probe, sizeof (self->buf))? 1: -1;
    }
    self->size += size;
    self->count++;
    self->last_rseq = ev->rseq;
    return 0;
}
