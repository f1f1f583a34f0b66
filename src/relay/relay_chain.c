/*  relay_chain.c — see relay_chain.h.  A flat table, as relay_subs: a
    relay serves few rooms, and the table is bounded.
*/
#include "relay_chain.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char room[ZC_MAX_ROOM + 1];
    size_t len;
    uint64_t last;                  //  highest rseq republished
} s_room_t;

struct _zc_relay_chain_t {
    s_room_t *rooms;
    size_t used, max;
    zc_relay_chain_stats_t stats;
};

zc_relay_chain_t *
zc_relay_chain_new (size_t max_rooms)
{
    zc_relay_chain_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max = max_rooms? max_rooms: 4096;
    self->rooms = calloc (self->max, sizeof *self->rooms);
    if (!self->rooms) {
        free (self);
        return NULL;
    }
    return self;
}

void
zc_relay_chain_destroy (zc_relay_chain_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    free ((*self_p)->rooms);
    free (*self_p);
    *self_p = NULL;
}

static s_room_t *
s_find (zc_relay_chain_t *self, const char *room, size_t len)
{
    for (size_t i = 0; i < self->used; i++)
        if (self->rooms [i].len == len && memcmp (self->rooms [i].room, room, len) == 0)
            return &self->rooms [i];
    return NULL;
}

//  The room's entry, made on first sight; NULL if not a room or no room left
static s_room_t *
s_room (zc_relay_chain_t *self, const char *room, size_t len)
{
    if (!zc_room_valid (room, len))
        return NULL;
    s_room_t *entry = s_find (self, room, len);
    if (entry || self->used == self->max)
        return entry;
    entry = &self->rooms [self->used++];
    memcpy (entry->room, room, len);
    entry->room [len] = 0;
    entry->len = len;
    entry->last = 0;
    return entry;
}

size_t
zc_relay_chain_frame (zc_relay_chain_t *self, const char *topic, size_t topic_len,
                      const uint8_t *body, size_t size, uint8_t *out, size_t cap)
{
    assert (self && topic && out);
    s_room_t *entry = s_room (self, topic, topic_len);
    if (!entry || !body || size == 0) {
        self->stats.dropped++;
        return 0;
    }
    size_t offset = 0, written = 0;
    while (offset < size) {
        size_t at = offset;
        zc_msg_t msg;
        if (zc_msg_decode_next (&msg, body, size, &offset, NULL)) {
            self->stats.dropped++;
            break;                  //  what follows cannot be trusted
        }
        if (msg.type != ZC_CHAT || !zc_msg_has (&msg, ZF_RSEQ | ZF_ROOM)
        ||  msg.room.len != topic_len || memcmp (msg.room.ptr, topic, topic_len) != 0) {
            self->stats.dropped++;
            continue;
        }
        if (msg.rseq <= entry->last) {
            self->stats.repeats++;
            continue;
        }
        if (entry->last && msg.rseq > entry->last + 1)
            self->stats.gaps++;
        size_t len = offset - at;
        if (written + len > cap) {
            self->stats.dropped++;  //  a caller's buffer smaller than the frame
            break;
        }
        memcpy (out + written, body + at, len);
        written += len;
        entry->last = msg.rseq;
        self->stats.maps++;
    }
    return written;
}

uint64_t
zc_relay_chain_last (zc_relay_chain_t *self, const char *room, size_t len)
{
    assert (self && room);
    s_room_t *entry = s_find (self, room, len);
    return entry? entry->last: 0;
}

void
zc_relay_chain_forget (zc_relay_chain_t *self, const char *room, size_t len)
{
    assert (self && room);
    s_room_t *entry = s_find (self, room, len);
    if (entry)
        *entry = self->rooms [--self->used];
}

zc_relay_chain_stats_t
zc_relay_chain_stats (zc_relay_chain_t *self)
{
    assert (self);
    return self->stats;
}
