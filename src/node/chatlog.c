/*  chatlog.c — see chatlog.h */
#include "chatlog.h"
#include "members.h"
#include "oom.h"

#include <assert.h>
#include <czmq.h>

//  Per client and per room: the current value, and the value carried by
//  entries already retired (kept so that rseq and dedup survive retention).
//
//  A client costs one small block and one hash item on every node, for as
//  long as it is remembered (retired.state keeps its last id until the
//  client limits drop it: zc_chatlog_bound_clients), so it stays small:
//  no table of recent ids (that was 64 KiB per client id, ~47 KiB
//  resident: 10k one-line POSTs cost 465 MiB per node), the key lives in
//  the block itself.  A repeat finds its entry through the
//  client's chain of entries instead (zc_entry_t client_prev/_jump).
typedef struct {
    uint64_t last_id;
    uint64_t retired;
    uint64_t last_seq;          //  the client's newest held entry (0: none)
    uint64_t retired_at;        //  when `retired` was last raised (secs; 0: not stamped yet)
    char key [ZC_CLIENT_ID_LEN + 1];
} s_client_t;

//  A room also indexes its held entries: seqs [head .. head + count) are
//  their seqs, in order.  Compaction drops from the front by moving head
//  (the dead front is reclaimed once it outgrows the rest), truncation
//  from the back.  `breaks` counts held neighbours whose rseqs are not
//  consecutive: 0 in any log our leaders stamped, and then an rseq maps
//  to a position by arithmetic.
typedef struct {
    uint64_t rseq;
    uint64_t retired;
    uint64_t *seqs;
    size_t head, count, cap;
    size_t breaks;
} s_room_t;

struct _zc_chatlog_t {
    zc_entry_t *entries;    //  entries [i] holds seq base + i + 1
    size_t count, cap;
    uint64_t base;          //  seqs up to here were dropped by retention
    uint64_t base_epoch;    //  the epoch of the entry at seq base
    uint64_t max_ts;
    zhashx_t *rooms;        //  room -> s_room_t
    zhashx_t *clients;      //  client id -> s_client_t
    char *retired_members;  //  the newest retired configuration entry's text
    uint64_t retired_members_seq;
    uint64_t clients_dropped;   //  client ids dropped by zc_chatlog_bound_clients
};

static void
s_free_item (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  The client table's keys are the blocks' own: not duplicated, not freed.
static s_client_t *
s_client_require (zc_chatlog_t *self, const char *key)
{
    s_client_t *client = zhashx_lookup (self->clients, key);
    if (!client) {
        client = ZC_ALLOC (calloc (1, sizeof *client));
        snprintf (client->key, sizeof client->key, "%s", key);
        zhashx_insert (self->clients, client->key, client);
    }
    return client;
}

static void
s_free_room (void **item_p)
{
    s_room_t *room = *item_p;
    if (room) {
        free (room->seqs);
        free (room);
        *item_p = NULL;
    }
}

static zhashx_t *
s_table (void)
{
    zhashx_t *table = zhashx_new ();
    zhashx_set_destructor (table, s_free_item);
    return table;
}

zc_chatlog_t *
zc_chatlog_new (void)
{
    zc_chatlog_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    self->rooms = s_table ();
    zhashx_set_destructor (self->rooms, s_free_room);
    self->clients = s_table ();
    zhashx_set_key_duplicator (self->clients, NULL);
    zhashx_set_key_destructor (self->clients, NULL);
    return self;
}

void
zc_chatlog_destroy (zc_chatlog_t **self_p)
{
    assert (self_p);
    zc_chatlog_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries [i].data);
    free (self->entries);
    zhashx_destroy (&self->rooms);
    zhashx_destroy (&self->clients);
    free (self->retired_members);
    free (self);
    *self_p = NULL;
}

uint64_t
zc_chatlog_last_seq (zc_chatlog_t *self)
{
    return self->base + self->count;
}

uint64_t
zc_chatlog_first_seq (zc_chatlog_t *self)
{
    return self->base + 1;
}

void
zc_chatlog_set_base (zc_chatlog_t *self, uint64_t base, uint64_t base_epoch)
{
    assert (self->count == 0);
    self->base = base;
    self->base_epoch = base_epoch;
}

uint64_t
zc_chatlog_epoch_at (zc_chatlog_t *self, uint64_t seq)
{
    if (seq == self->base)
        return self->base_epoch;
    zc_entry_t *entry = zc_chatlog_get (self, seq);
    return entry ? entry->epoch : 0;
}

//  The room index.  Entries it names are held, so zc_chatlog_get finds
//  them; callers change the log only after updating the index.

static uint64_t
s_room_rseq_at (zc_chatlog_t *self, s_room_t *room, size_t index)
{
    zc_entry_t *entry = zc_chatlog_get (self, room->seqs [room->head + index]);
    assert (entry);
    return entry->rseq;
}

//  Neighbours in a room whose rseqs do not follow each other (a wrap past
//  2^64 - 1 counts, so that consecutive also means increasing).
static bool
s_rseq_break (uint64_t prev, uint64_t next)
{
    return next != prev + 1 || next == 0;
}

static s_room_t *
s_room_require (zc_chatlog_t *self, const char *name)
{
    s_room_t *room = zhashx_lookup (self->rooms, name);
    if (!room) {
        room = ZC_ALLOC (calloc (1, sizeof *room));
        zhashx_insert (self->rooms, name, room);
    }
    return room;
}

static void
s_room_push (zc_chatlog_t *self, s_room_t *room, const zc_entry_t *entry)
{
    if (room->count && s_rseq_break (s_room_rseq_at (self, room, room->count - 1), entry->rseq))
        room->breaks++;
    if (room->head + room->count == room->cap) {
        size_t cap = room->cap ? room->cap * 2 : 16;
        uint64_t *grown = ZC_ALLOC (realloc (room->seqs, cap * sizeof *grown));
        room->seqs = grown;
        room->cap = cap;
    }
    room->seqs [room->head + room->count++] = entry->seq;
}

//  Truncation: entry is the room's newest.
static void
s_room_pop_back (zc_chatlog_t *self, s_room_t *room, const zc_entry_t *entry)
{
    assert (room && room->count);
    assert (room->seqs [room->head + room->count - 1] == entry->seq);
    if (room->count > 1 && s_rseq_break (s_room_rseq_at (self, room, room->count - 2), entry->rseq))
        room->breaks--;
    if (--room->count == 0)
        room->head = 0;
}

//  Compaction: entry is the room's oldest.  Once the dead front is as
//  long as the rest, the rest moves to the front: amortised O(1) per
//  entry dropped, never a pass over the log.  A room that shrank gives
//  memory back.
static void
s_room_pop_front (zc_chatlog_t *self, s_room_t *room, const zc_entry_t *entry)
{
    assert (room && room->count);
    assert (room->seqs [room->head] == entry->seq);
    if (room->count > 1 && s_rseq_break (entry->rseq, s_room_rseq_at (self, room, 1)))
        room->breaks--;
    room->head++;
    room->count--;
    if (room->head < room->count)
        return;
    memmove (room->seqs, room->seqs + room->head, room->count * sizeof *room->seqs);
    room->head = 0;
    if (room->cap > 16 && room->count < room->cap / 4) {
        size_t cap = room->cap / 2;
        uint64_t *shrunk = realloc (room->seqs, cap * sizeof *shrunk);
        if (shrunk) {               //  else the larger block serves as well
            room->seqs = shrunk;
            room->cap = cap;
        }
    }
}

void
zc_chatlog_compact (zc_chatlog_t *self, uint64_t upto_seq)
{
    if (upto_seq <= self->base)
        return;
    size_t drop = upto_seq - self->base;
    if (drop > self->count)
        drop = self->count;
    //  The configuration in force outlives its entry (docs/ELECTION.md
    //  "Membership changes"), as retired.state keeps it on disk
    char members [ZC_MAX_TEXT + 1];
    uint64_t members_seq = zc_chatlog_members_at (self, upto_seq, members, sizeof members);
    if (members_seq)
        zc_chatlog_set_retired (self, 'm', members, members_seq);
    for (size_t i = 0; i < drop; i++) {
        zc_entry_t *entry = &self->entries [i];
        s_room_pop_front (self, zhashx_lookup (self->rooms, entry->room), entry);
        zc_chatlog_set_retired (self, 'r', entry->room, entry->rseq);
        zc_chatlog_set_retired_at (self, 'c', entry->client, entry->id, 0);
        self->base_epoch = entry->epoch;
        free (entry->data);
    }
    memmove (self->entries, self->entries + drop, (self->count - drop) * sizeof *self->entries);
    self->count -= drop;
    self->base += drop;
}

uint64_t
zc_chatlog_last_epoch (zc_chatlog_t *self)
{
    return self->count ? self->entries [self->count - 1].epoch : 0;
}

uint64_t
zc_chatlog_max_ts (zc_chatlog_t *self)
{
    return self->max_ts;
}

zc_entry_t *
zc_chatlog_get (zc_chatlog_t *self, uint64_t seq)
{
    return seq > self->base && seq <= self->base + self->count
         ? &self->entries [seq - self->base - 1] : NULL;
}

//  The client's chain: each entry names the client's previous one and an
//  older one to jump to, chosen as in a skew-binary random-access list
//  (Myers, "An applicative random-access stack", 1983): from any entry a
//  walk reaches any older depth in O(log n) steps.  Links only point back,
//  so truncation leaves the held ones right, and one into a retired stretch
//  simply ends the walk.
static zc_entry_t *
s_client_entry (zc_chatlog_t *self, uint64_t seq, const char *client)
{
    zc_entry_t *entry = seq ? zc_chatlog_get (self, seq) : NULL;
    return entry && streq (entry->client, client) ? entry : NULL;
}

static void
s_chain (zc_chatlog_t *self, s_client_t *client, zc_entry_t *entry)
{
    zc_entry_t *prev = client->last_seq < entry->seq
                     ? s_client_entry (self, client->last_seq, entry->client) : NULL;
    entry->client_prev = entry->client_jump = entry->client_depth = 0;
    if (prev) {
        entry->client_prev = prev->seq;
        entry->client_jump = prev->seq;
        entry->client_depth = prev->client_depth + 1;
        zc_entry_t *jump = s_client_entry (self, prev->client_jump, entry->client);
        zc_entry_t *jump2 = jump ? s_client_entry (self, jump->client_jump, entry->client) : NULL;
        if (jump2 && prev->client_depth - jump->client_depth
                  == jump->client_depth - jump2->client_depth)
            entry->client_jump = jump2->seq;
    }
    client->last_seq = entry->seq;
}

//  Derived tables: rseq per room, last id per client, max ts.  Returns
//  the entry's room.  (The room index is kept apart: truncation rebuilds
//  these tables but only trims the index.)
static s_room_t *
s_index (zc_chatlog_t *self, zc_entry_t *entry)
{
    s_room_t *room = s_room_require (self, entry->room);
    room->rseq = entry->rseq;
    s_client_t *client = s_client_require (self, entry->client);
    if (entry->id > client->last_id)
        client->last_id = entry->id;
    s_chain (self, client, entry);
    if (entry->ts > self->max_ts)
        self->max_ts = entry->ts;
    return room;
}

zc_entry_t *
zc_chatlog_append (zc_chatlog_t *self, const zc_msg_t *chat,
                   const uint8_t *data, size_t size)
{
    if (chat->type != ZC_CHAT || chat->seq != self->base + self->count + 1)
        return NULL;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 1024;
        zc_entry_t *grown = ZC_ALLOC (realloc (self->entries, cap * sizeof *grown));
        self->entries = grown;
        self->cap = cap;
    }
    zc_entry_t *entry = &self->entries [self->count];
    memset (entry, 0, sizeof *entry);
    entry->seq = chat->seq;
    entry->epoch = chat->epoch;
    entry->rseq = chat->rseq;
    entry->ts = chat->ts;
    entry->id = chat->id;
    zc_str_copy (entry->room, sizeof entry->room, chat->room);
    zc_str_copy (entry->client, sizeof entry->client, chat->client);
    entry->data = ZC_ALLOC (malloc (size ? size : 1));     //  malloc (0) may be NULL
    memcpy (entry->data, data, size);
    entry->size = size;
    self->count++;
    s_room_push (self, s_index (self, entry), entry);
    return entry;
}

void
zc_chatlog_truncate (zc_chatlog_t *self, uint64_t after_seq, void (*release) (void *waiter))
{
    if (after_seq >= self->base + self->count)
        return;
    size_t keep = after_seq > self->base ? after_seq - self->base : 0;
    //  Newest first, so that each is the last of its room's index.
    for (size_t i = self->count; i > keep; i--) {
        zc_entry_t *entry = &self->entries [i - 1];
        s_room_pop_back (self, zhashx_lookup (self->rooms, entry->room), entry);
    }
    for (size_t i = keep; i < self->count; i++) {
        if (self->entries [i].waiter && release)
            release (self->entries [i].waiter);
        free (self->entries [i].data);
    }
    self->count = keep;
    //  Rare (a leader change with a differing suffix): rebuild from what
    //  retired entries left, then the entries still held.
    for (s_room_t *room = zhashx_first (self->rooms); room; room = zhashx_next (self->rooms))
        room->rseq = room->retired;
    for (s_client_t *client = zhashx_first (self->clients); client;
         client = zhashx_next (self->clients)) {
        client->last_id = client->retired;
        client->last_seq = 0;
    }
    self->max_ts = 0;
    for (size_t i = 0; i < self->count; i++)
        s_index (self, &self->entries [i]);
}

uint64_t
zc_chatlog_room_rseq (zc_chatlog_t *self, const char *room)
{
    s_room_t *entry = zhashx_lookup (self->rooms, room);
    return entry ? entry->rseq : 0;
}

size_t
zc_chatlog_room_count (zc_chatlog_t *self, const char *room)
{
    s_room_t *entry = zhashx_lookup (self->rooms, room);
    return entry ? entry->count : 0;
}

uint64_t
zc_chatlog_room_seq_at (zc_chatlog_t *self, const char *room, size_t index)
{
    s_room_t *entry = zhashx_lookup (self->rooms, room);
    return entry && index < entry->count ? entry->seqs [entry->head + index] : 0;
}

static size_t
s_room_after_seq (s_room_t *room, uint64_t seq)
{
    size_t low = 0, high = room->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (room->seqs [room->head + mid] <= seq)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

size_t
zc_chatlog_room_after_seq (zc_chatlog_t *self, const char *room, uint64_t seq)
{
    s_room_t *entry = zhashx_lookup (self->rooms, room);
    return entry ? s_room_after_seq (entry, seq) : 0;
}

size_t
zc_chatlog_room_after_rseq (zc_chatlog_t *self, const char *name,
                            uint64_t rseq, uint64_t upto_seq)
{
    s_room_t *room = zhashx_lookup (self->rooms, name);
    if (!room || !room->count)
        return 0;
    size_t end = s_room_after_seq (room, upto_seq);
    if (room->breaks == 0) {
        //  Position i holds rseq first + i.
        uint64_t first = s_room_rseq_at (self, room, 0);
        size_t above = rseq < first ? 0
                     : rseq - first >= room->count ? room->count
                     : (size_t) (rseq - first) + 1;
        return above < end ? above : end;
    }
    //  Not stamped consecutively: walk back, but through this room only.
    while (end > 0 && s_room_rseq_at (self, room, end - 1) > rseq)
        end--;
    return end;
}

uint64_t
zc_chatlog_client_last_id (zc_chatlog_t *self, const char *client)
{
    s_client_t *entry = zhashx_lookup (self->clients, client);
    return entry ? entry->last_id : 0;
}

//  Our leaders give a client's messages consecutive ids, or rising ones
//  past a gap the client declared (PROTOCOL §4), so ids rise along its chain and the walk is a search by id.  A log that
//  breaks that (never stamped by a leader of ours) may miss, but the walk
//  still ends: every step goes to a lower seq, and there are at most
//  S_FIND_STEPS of them (2 log2 (2^64) suffice for any real chain).
#define S_FIND_STEPS 160

zc_entry_t *
zc_chatlog_find (zc_chatlog_t *self, const char *client, uint64_t id)
{
    s_client_t *known = zhashx_lookup (self->clients, client);
    zc_entry_t *entry = known ? s_client_entry (self, known->last_seq, client) : NULL;
    for (int steps = 0; entry && entry->id >= id && steps < S_FIND_STEPS; steps++) {
        if (entry->id == id)
            return entry;
        zc_entry_t *jump = s_client_entry (self, entry->client_jump, client);
        zc_entry_t *next = jump && jump->id >= id
                         ? jump : s_client_entry (self, entry->client_prev, client);
        if (next && next->seq >= entry->seq)
            break;          //  links point back; anything else is not ours
        entry = next;
    }
    return NULL;
}

void
zc_chatlog_set_retired (zc_chatlog_t *self, char kind, const char *key, uint64_t value)
{
    zc_chatlog_set_retired_at (self, kind, key, value, 0);
}

void
zc_chatlog_set_retired_at (zc_chatlog_t *self, char kind, const char *key, uint64_t value,
                           uint64_t at_secs)
{
    if (kind == 'm') {
        if (value > self->retired_members_seq || !self->retired_members) {
            free (self->retired_members);
            self->retired_members = ZC_ALLOC (strdup (key));
            self->retired_members_seq = value;
        }
    }
    else
    if (kind == 'r') {
        s_room_t *room = s_room_require (self, key);
        if (value > room->retired)
            room->retired = value;
        if (value > room->rseq)
            room->rseq = value;
    }
    else {
        s_client_t *client = s_client_require (self, key);
        if (value > client->retired
        ||  (value == client->retired && at_secs > client->retired_at))
            client->retired_at = at_secs;
        if (value > client->retired)
            client->retired = value;
        if (value > client->last_id)
            client->last_id = value;
    }
}

const char *
zc_chatlog_retired_members (zc_chatlog_t *self, uint64_t *seq)
{
    if (seq)
        *seq = self->retired_members_seq;
    return self->retired_members;
}

//  The text of the newest configuration entry at or below upto_seq that
//  the log holds, copied into buf; its seq, 0 if none held.
uint64_t
zc_chatlog_members_at (zc_chatlog_t *self, uint64_t upto_seq, char *buf, size_t cap)
{
    size_t at = zc_chatlog_room_after_seq (self, ZC_MEMBERS_ROOM, upto_seq);
    while (at > 0) {
        uint64_t seq = zc_chatlog_room_seq_at (self, ZC_MEMBERS_ROOM, --at);
        zc_entry_t *entry = zc_chatlog_get (self, seq);
        zc_msg_t chat;
        if (!entry || strcmp (entry->client, ZC_MEMBERS_CLIENT) != 0
        ||  zc_msg_decode (&chat, entry->data, entry->size, NULL)
        ||  chat.text.len >= cap)
            continue;           //  not one (or not one we could hold)
        memcpy (buf, chat.text.ptr, chat.text.len);
        buf [chat.text.len] = 0;
        return seq;
    }
    return 0;
}

uint64_t
zc_chatlog_retired_rseq (zc_chatlog_t *self, const char *room)
{
    s_room_t *entry = zhashx_lookup (self->rooms, room);
    return entry ? entry->retired : 0;
}

void
zc_chatlog_tables_upto (zc_chatlog_t *self, uint64_t upto_seq, zc_chatlog_each_fn *each,
                        void *arg)
{
    //  Retired values, raised by the held entries up to upto_seq: [0] the
    //  value, [1] a client's retired-at (0 for one an entry raises: it
    //  is being retired now, and the next bound stamps it)
    zhashx_t *rooms = zhashx_new (), *clients = zhashx_new ();
    zhashx_set_destructor (rooms, s_free_item);
    zhashx_set_destructor (clients, s_free_item);
    for (s_room_t *room = zhashx_first (self->rooms); room; room = zhashx_next (self->rooms))
        if (room->retired) {
            uint64_t *value = ZC_ALLOC (calloc (2, sizeof *value));
            value [0] = room->retired;
            zhashx_insert (rooms, zhashx_cursor (self->rooms), value);
        }
    for (s_client_t *client = zhashx_first (self->clients); client;
         client = zhashx_next (self->clients))
        if (client->retired) {
            uint64_t *value = ZC_ALLOC (calloc (2, sizeof *value));
            value [0] = client->retired;
            value [1] = client->retired_at;
            zhashx_insert (clients, zhashx_cursor (self->clients), value);
        }
    for (uint64_t seq = self->base + 1; seq <= upto_seq && seq <= self->base + self->count; seq++) {
        zc_entry_t *entry = zc_chatlog_get (self, seq);
        const char *keys [2] = { entry->room, entry->client };
        uint64_t values [2] = { entry->rseq, entry->id };
        zhashx_t *tables [2] = { rooms, clients };
        for (int t = 0; t < 2; t++) {
            uint64_t *value = zhashx_lookup (tables [t], keys [t]);
            if (!value) {
                value = ZC_ALLOC (calloc (2, sizeof *value));
                zhashx_insert (tables [t], keys [t], value);
            }
            if (values [t] > value [0]) {
                value [0] = values [t];
                value [1] = 0;
            }
        }
    }
    //  The last entry covered, and its epoch: the log's new base.
    uint64_t upto = upto_seq < self->base + self->count ? upto_seq : self->base + self->count;
    if (upto >= self->base) {
        char key [24];
        snprintf (key, sizeof key, "%llu", (unsigned long long) upto);
        each ('b', key, zc_chatlog_epoch_at (self, upto), 0, arg);
    }
    //  The configuration in force at the new base (docs/ELECTION.md
    //  "Membership changes"): it outlives its entry
    char members [ZC_MAX_TEXT + 1];
    uint64_t members_seq = zc_chatlog_members_at (self, upto_seq, members, sizeof members);
    if (members_seq)
        each ('m', members, members_seq, 0, arg);
    else
    if (self->retired_members)
        each ('m', self->retired_members, self->retired_members_seq, 0, arg);
    for (uint64_t *value = zhashx_first (rooms); value; value = zhashx_next (rooms))
        each ('r', zhashx_cursor (rooms), value [0], 0, arg);
    for (uint64_t *value = zhashx_first (clients); value; value = zhashx_next (clients))
        each ('c', zhashx_cursor (clients), value [0], value [1], arg);
    zhashx_destroy (&rooms);
    zhashx_destroy (&clients);
}

//  The client limits (docs/STORAGE.md "The client table and its
//  limits").  A client without a held entry is known only by its retired
//  value; those are the ones that may go.  The count limit keeps the newest max_ids of them: the k-th
//  oldest retired-at is found by selection (O(n), as the pass that saves
//  retired.state), never by a sort.
static s_client_t **
s_idle_clients (zc_chatlog_t *self, size_t *count)
{
    size_t cap = zhashx_size (self->clients), n = 0;
    s_client_t **idle = ZC_ALLOC (malloc ((cap ? cap : 1) * sizeof *idle));
    for (s_client_t *client = zhashx_first (self->clients); client;
         client = zhashx_next (self->clients))
        if (!(client->last_seq > self->base && zc_chatlog_get (self, client->last_seq)))
            idle [n++] = client;
    *count = n;
    return idle;
}

//  The k-th smallest (from 0) of values [0 .. n), k < n (reorders them).
//  Three-way partitions, so that many equal values (a pass retires many
//  clients in the same second) cost no more than distinct ones.
static uint64_t
s_select (uint64_t *values, size_t n, size_t k)
{
    size_t low = 0, high = n;           //  k is in [low, high)
    while (high - low > 1) {
        uint64_t pivot = values [low + (high - low) / 2];
        size_t lt = low, i = low, gt = high;
        while (i < gt) {
            uint64_t value = values [i];
            if (value < pivot) {
                values [i++] = values [lt];
                values [lt++] = value;
            }
            else
            if (value > pivot) {
                values [i] = values [--gt];
                values [gt] = value;
            }
            else
                i++;
        }
        if (k < lt)
            high = lt;
        else
        if (k >= gt)
            low = gt;
        else
            return pivot;
    }
    return values [low];
}

size_t
zc_chatlog_bound_clients (zc_chatlog_t *self, uint64_t now_secs, uint64_t ttl_secs,
                          uint64_t max_ids)
{
    size_t count;
    s_client_t **idle = s_idle_clients (self, &count);
    for (size_t i = 0; i < count; i++)
        if (!idle [i]->retired_at)
            idle [i]->retired_at = now_secs;        //  retired since the last pass
    //  Oldest first beyond max_ids: those retired before `cut`, then as
    //  many retired at `cut` as are still over
    uint64_t cut = 0;
    size_t over = max_ids && count > max_ids ? count - max_ids : 0, at_cut = 0;
    if (over) {
        uint64_t *ages = ZC_ALLOC (malloc (count * sizeof *ages));
        for (size_t i = 0; i < count; i++)
            ages [i] = idle [i]->retired_at;
        cut = s_select (ages, count, over - 1);
        size_t below = 0;
        for (size_t i = 0; i < count; i++)
            below += ages [i] < cut;
        at_cut = over - below;
        free (ages);
    }
    size_t dropped = 0;
    for (size_t i = 0; i < count; i++) {
        s_client_t *client = idle [i];
        bool aged = ttl_secs && client->retired_at < now_secs
                 && now_secs - client->retired_at > ttl_secs;
        bool oldest = over && (client->retired_at < cut
                               || (client->retired_at == cut && at_cut && at_cut--));
        if (aged || oldest || !client->retired) {
            dropped += client->retired > 0;
            zhashx_delete (self->clients, client->key);
        }
    }
    free (idle);
    self->clients_dropped += dropped;
    return dropped;
}

size_t
zc_chatlog_client_count (zc_chatlog_t *self)
{
    return zhashx_size (self->clients);
}

uint64_t
zc_chatlog_clients_dropped (zc_chatlog_t *self)
{
    return self->clients_dropped;
}
