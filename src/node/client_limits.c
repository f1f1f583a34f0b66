/*  client_limits.c — see client_limits.h */
#include "client_limits.h"
#include "oom.h"

#include <assert.h>
#include <czmq.h>

//  One bounded table: a hash of binary keys and a list from least to most
//  recently used, so that the table evicts (or, for connections, refuses)
//  in O(1).  An item carries what any of the three tables needs.
typedef struct {
    size_t len;
    const uint8_t *data;
} s_key_t;

typedef struct _s_item_t {
    struct _s_item_t *prev, *next;  //  least recently used first
    uint64_t seen;                  //  last request
    uint64_t tokens;                //  buckets: thousandths of a token
    uint64_t refill;                //  buckets: when tokens were last added
    char *owner;                    //  client ids: the User-Id bound to it
    uint64_t *rooms;                //  client ids: hashes of its rooms
    uint32_t room_count, room_cap;
    s_key_t key;                    //  points at bytes
    uint8_t bytes [];
} s_item_t;

typedef struct {
    zhashx_t *hash;                 //  s_key_t * -> s_item_t *
    s_item_t *head, *tail;
    s_item_t *last;                 //  the last one looked up: a client's
                                    //  pipelined POSTs come back to back
    size_t count, cap;
} s_table_t;

struct _zc_limits_t {
    uint32_t max_clients, rate, max_rooms;
    s_table_t conns;                //  ROUTER identity
    s_table_t users;                //  User-Id: buckets shared by one key's connections
    s_table_t ids;                  //  client id: owner and rooms
};

//  FNV-1a 64
static uint64_t
s_fnv (const uint8_t *data, size_t len)
{
    uint64_t hash = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        hash ^= data [i];
        hash *= 1099511628211ull;
    }
    return hash;
}

static size_t
s_key_hash (const void *key)
{
    const s_key_t *k = key;
    return (size_t) s_fnv (k->data, k->len);
}

static int
s_key_compare (const void *a, const void *b)
{
    const s_key_t *ka = a, *kb = b;
    if (ka->len != kb->len)
        return ka->len < kb->len ? -1 : 1;
    return memcmp (ka->data, kb->data, ka->len);
}

static void
s_table_init (s_table_t *table, size_t cap)
{
    table->hash = zhashx_new ();
    assert (table->hash);
    zhashx_set_key_hasher (table->hash, s_key_hash);
    zhashx_set_key_comparator (table->hash, s_key_compare);
    zhashx_set_key_duplicator (table->hash, NULL);     //  the item's own key
    zhashx_set_key_destructor (table->hash, NULL);
    table->head = table->tail = table->last = NULL;
    table->count = 0;
    table->cap = cap;
}

static void
s_unlink (s_table_t *table, s_item_t *item)
{
    if (item->prev)
        item->prev->next = item->next;
    else
        table->head = item->next;
    if (item->next)
        item->next->prev = item->prev;
    else
        table->tail = item->prev;
    item->prev = item->next = NULL;
}

static void
s_link_tail (s_table_t *table, s_item_t *item)
{
    item->prev = table->tail;
    item->next = NULL;
    if (table->tail)
        table->tail->next = item;
    else
        table->head = item;
    table->tail = item;
}

static void
s_item_free (s_item_t *item)
{
    free (item->owner);
    free (item->rooms);
    free (item);
}

static void
s_table_evict (s_table_t *table)
{
    s_item_t *item = table->head;
    assert (item);
    s_unlink (table, item);
    if (table->last == item)
        table->last = NULL;
    zhashx_delete (table->hash, &item->key);
    table->count--;
    s_item_free (item);
}

static void
s_table_destroy (s_table_t *table)
{
    while (table->head)
        s_table_evict (table);
    zhashx_destroy (&table->hash);
}

static s_item_t *
s_table_lookup (s_table_t *table, const uint8_t *data, size_t len)
{
    s_item_t *last = table->last;
    if (last && last->key.len == len && memcmp (last->key.data, data, len) == 0)
        return last;
    s_key_t key = { len, data };
    s_item_t *item = zhashx_lookup (table->hash, &key);
    if (item)
        table->last = item;
    return item;
}

//  A new item, most recently used; the caller made room for it.
static s_item_t *
s_table_add (s_table_t *table, const uint8_t *data, size_t len)
{
    s_item_t *item = ZC_ALLOC (calloc (1, sizeof *item + len));
    memcpy (item->bytes, data, len);
    item->key.len = len;
    item->key.data = item->bytes;
    zhashx_insert (table->hash, &item->key, item);
    s_link_tail (table, item);
    table->count++;
    return item;
}

static void
s_touch (s_table_t *table, s_item_t *item, uint64_t now)
{
    item->seen = now;
    if (item != table->tail) {
        s_unlink (table, item);
        s_link_tail (table, item);
    }
}

zc_limits_t *
zc_limits_new (uint32_t max_clients, uint32_t rate, uint32_t max_rooms)
{
    zc_limits_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    self->max_clients = max_clients;
    self->rate = rate;
    self->max_rooms = max_rooms;
    //  Without a limit on clients the tables still have a size: beyond it
    //  the least recently seen is forgotten.
    size_t clients = max_clients ? max_clients : 1u << 20;
    s_table_init (&self->conns, clients);
    s_table_init (&self->users, clients);
    s_table_init (&self->ids, ZC_LIMITS_IDS);
    return self;
}

void
zc_limits_destroy (zc_limits_t **self_p)
{
    assert (self_p);
    zc_limits_t *self = *self_p;
    if (!self)
        return;
    s_table_destroy (&self->conns);
    s_table_destroy (&self->users);
    s_table_destroy (&self->ids);
    free (self);
    *self_p = NULL;
}

static bool
s_active (const s_item_t *item, uint64_t now)
{
    return now < item->seen + ZC_LIMITS_ACTIVE_MS;
}

//  A full bucket for a new client: burst 2 * rate.
static void
s_bucket_init (zc_limits_t *self, s_item_t *item, uint64_t now)
{
    item->tokens = 2000ull * self->rate;
    item->refill = now;
}

//  0, or the milliseconds until a token is there.
static uint64_t
s_bucket_take (zc_limits_t *self, s_item_t *item, uint64_t now)
{
    uint64_t burst = 2000ull * self->rate;
    if (now > item->refill) {
        //  rate tokens a second = rate thousandths a millisecond
        uint64_t elapsed = now - item->refill;
        uint64_t room = burst - item->tokens;
        item->tokens += elapsed > room / self->rate ? room : elapsed * self->rate;
        item->refill = now;
    }
    if (item->tokens >= 1000) {
        item->tokens -= 1000;
        return 0;
    }
    uint64_t wait = (1000 - item->tokens + self->rate - 1) / self->rate;
    return wait ? wait : 1;
}

zc_limit_t
zc_limits_request (zc_limits_t *self, const uint8_t *ident, size_t len, const char *user,
                   bool costs, uint64_t now, uint64_t *retry_ms)
{
    s_item_t *conn = s_table_lookup (&self->conns, ident, len);
    if (!conn) {
        if (self->conns.count >= self->conns.cap) {
            if (self->max_clients && s_active (self->conns.head, now))
                return ZC_LIMIT_CLIENTS;        //  the oldest is still active
            s_table_evict (&self->conns);
        }
        conn = s_table_add (&self->conns, ident, len);
        s_bucket_init (self, conn, now);
    }
    s_touch (&self->conns, conn, now);
    if (!costs || !self->rate)
        return ZC_LIMIT_OK;
    s_item_t *bucket = conn;
    if (user) {
        size_t user_len = strlen (user);
        bucket = s_table_lookup (&self->users, (const uint8_t *) user, user_len);
        if (!bucket) {
            if (self->users.count >= self->users.cap)
                s_table_evict (&self->users);
            bucket = s_table_add (&self->users, (const uint8_t *) user, user_len);
            s_bucket_init (self, bucket, now);
        }
        s_touch (&self->users, bucket, now);
    }
    uint64_t wait = s_bucket_take (self, bucket, now);
    if (wait && retry_ms)
        *retry_ms = wait;
    return wait ? ZC_LIMIT_RATE : ZC_LIMIT_OK;
}

zc_limit_t
zc_limits_post (zc_limits_t *self, const char *client, const char *user, const char *room)
{
    size_t len = strlen (client);
    s_item_t *item = s_table_lookup (&self->ids, (const uint8_t *) client, len);
    if (!item) {
        if (self->ids.count >= self->ids.cap)
            s_table_evict (&self->ids);
        item = s_table_add (&self->ids, (const uint8_t *) client, len);
    }
    s_touch (&self->ids, item, item->seen);
    if (user) {
        if (!item->owner) {
            item->owner = ZC_ALLOC (strdup (user));
        }
        else
        if (strcmp (item->owner, user))
            return ZC_LIMIT_OWNER;
    }
    if (!room || !self->max_rooms)
        return ZC_LIMIT_OK;
    uint64_t hash = s_fnv ((const uint8_t *) room, strlen (room));
    for (uint32_t i = 0; i < item->room_count; i++)
        if (item->rooms [i] == hash)
            return ZC_LIMIT_OK;
    if (item->room_count >= self->max_rooms)
        return ZC_LIMIT_ROOMS;
    if (item->room_count == item->room_cap) {
        uint32_t cap = item->room_cap ? item->room_cap * 2 : 4;
        uint64_t *grown = ZC_ALLOC (realloc (item->rooms, cap * sizeof *grown));
        item->rooms = grown;
        item->room_cap = cap;
    }
    item->rooms [item->room_count++] = hash;
    return ZC_LIMIT_OK;
}

bool
zc_limits_owned (zc_limits_t *self, const char *client)
{
    s_item_t *item = s_table_lookup (&self->ids, (const uint8_t *) client, strlen (client));
    return item && item->owner;
}

size_t
zc_limits_clients (zc_limits_t *self, uint64_t now)
{
    size_t count = 0;
    for (s_item_t *item = self->conns.tail; item && s_active (item, now); item = item->prev)
        count++;
    return count;
}
