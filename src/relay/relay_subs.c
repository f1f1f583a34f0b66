/*  relay_subs.c — listener subscriptions counted per topic (relay_subs.h).
    A flat array: a relay serves few distinct rooms, and the table is
    bounded by max_topics.
*/
#include "relay_subs.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char topic[ZC_MAX_ROOM + 1];
    size_t len;
    size_t count;
} s_topic_t;

struct _zc_relay_subs_t {
    s_topic_t *topics;
    size_t used, max;
    uint64_t dropped;
};

zc_relay_subs_t *
zc_relay_subs_new (size_t max_topics)
{
    zc_relay_subs_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max = max_topics ? max_topics : 4096;
    self->topics = calloc (self->max, sizeof *self->topics);
    if (!self->topics) {
        free (self);
        return NULL;
    }
    return self;
}

void
zc_relay_subs_destroy (zc_relay_subs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->topics);
    free (*self_p);
    *self_p = NULL;
}

static s_topic_t *
s_find (zc_relay_subs_t *self, const char *topic, size_t len)
{
    for (size_t i = 0; i < self->used; i++)
        if (self->topics [i].len == len && memcmp (self->topics [i].topic, topic, len) == 0)
            return &self->topics [i];
    return NULL;
}

static zc_subs_action_t
s_drop (zc_relay_subs_t *self)
{
    self->dropped++;
    return ZC_SUBS_DROP;
}

zc_subs_action_t
zc_relay_subs_frame (zc_relay_subs_t *self, const uint8_t *data, size_t size,
                     char *topic, size_t *topic_len)
{
    if (!self || !topic || !topic_len)
        return ZC_SUBS_DROP;
    if (!data || size == 0 || (data [0] != 0 && data [0] != 1))
        return s_drop (self);
    size_t len = size - 1;
    if (len > ZC_MAX_ROOM)
        return s_drop (self);
    const char *name = (const char *) data + 1;
    s_topic_t *entry = s_find (self, name, len);

    if (data [0] == 1) {
        if (entry) {
            entry->count++;
            return ZC_SUBS_NONE;
        }
        if (self->used == self->max)
            return s_drop (self);
        entry = &self->topics [self->used++];
        memcpy (entry->topic, name, len);
        entry->topic [len] = 0;
        entry->len = len;
        entry->count = 1;
    }
    else
    if (!entry)
        return s_drop (self);           //  never subscribed
    //  An unsubscribe is the last listener's (ZMQ_XPUB_VERBOSE): whatever
    //  the count, the topic goes
    memcpy (topic, name, len);
    topic [len] = 0;
    *topic_len = len;
    if (data [0] == 0)                  //  last one gone: free the slot
        *entry = self->topics [--self->used];
    return data [0] == 1 ? ZC_SUBS_SUBSCRIBE : ZC_SUBS_UNSUBSCRIBE;
}

zc_topic_kind_t
zc_relay_topic_kind (const char *topic, size_t len)
{
    if (!topic)
        return ZC_TOPIC_OTHER;
    if (len <= strlen (ZC_BEACON_TOPIC) && memcmp (topic, ZC_BEACON_TOPIC, len) == 0)
        return ZC_TOPIC_BEACON;
    return zc_room_valid (topic, len)? ZC_TOPIC_ROOM: ZC_TOPIC_OTHER;
}

size_t
zc_relay_subs_count (zc_relay_subs_t *self, const char *topic, size_t len)
{
    if (!self || !topic)
        return 0;
    s_topic_t *entry = s_find (self, topic, len);
    return entry ? entry->count : 0;
}

const char *
zc_relay_subs_topic_at (zc_relay_subs_t *self, size_t i, size_t *len)
{
    if (!self || i >= self->used)
        return NULL;
    if (len)
        *len = self->topics [i].len;
    return self->topics [i].topic;
}

size_t
zc_relay_subs_topics (zc_relay_subs_t *self)
{
    return self ? self->used : 0;
}

uint64_t
zc_relay_subs_dropped (zc_relay_subs_t *self)
{
    return self ? self->dropped : 0;
}
