/*  presence.c — who is in which room now (presence.h).

    Three hashes: every entry by "room/connection", the count of rooms per
    connection, and per room its entries (by connection) with the sorted
    list of names cached until the room changes: a refresh that changes
    nothing costs a lookup, and its reply a copy of the cached names.
*/
#include <czmq.h>

#include "oom.h"
#include "presence.h"
#include "wire.h"

typedef struct {
    char room[ZC_MAX_ROOM + 1];
    char name[ZC_MAX_NAME + 1];
    char *conn;                     //  the connection, in hex
    uint64_t seen;                  //  last refresh
} s_entry_t;

typedef struct {
    zhashx_t *members;              //  connection (hex) -> s_entry_t (not owned)
    char *names;                    //  the cached list, NULL = stale
    size_t names_len;
} s_room_t;

struct _zc_presence_t {
    size_t max_total, max_per_conn;
    zhashx_t *entries;              //  "room/conn" -> s_entry_t (owned)
    zhashx_t *per_conn;             //  conn -> size_t* rooms (owned)
    zhashx_t *rooms;                //  room -> s_room_t (owned)
    uint64_t swept_at;
};

static void
s_entry_free (void **item)
{
    s_entry_t *entry = *item;
    if (entry) {
        free (entry->conn);
        free (entry);
        *item = NULL;
    }
}

static void
s_room_free (void **item)
{
    s_room_t *room = *item;
    if (room) {
        zhashx_destroy (&room->members);
        free (room->names);
        free (room);
        *item = NULL;
    }
}

zc_presence_t *
zc_presence_new (size_t max_total, size_t max_per_conn)
{
    zc_presence_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    self->max_total = max_total;
    self->max_per_conn = max_per_conn;
    self->entries = zhashx_new ();
    zhashx_set_destructor (self->entries, s_entry_free);
    self->per_conn = zhashx_new ();
    zhashx_set_destructor (self->per_conn, (zhashx_destructor_fn *) zstr_free);
    self->rooms = zhashx_new ();
    zhashx_set_destructor (self->rooms, s_room_free);
    return self;
}

void
zc_presence_destroy (zc_presence_t **self_p)
{
    zc_presence_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->entries);
    zhashx_destroy (&self->per_conn);
    zhashx_destroy (&self->rooms);
    free (self);
    *self_p = NULL;
}

//  The connection's identity in hex (ROUTER identities are 1..255 bytes)
static void
s_hex (const uint8_t *conn, size_t len, char *out)
{
    static const char digits [] = "0123456789abcdef";
    if (len > 255)
        len = 255;
    for (size_t i = 0; i < len; i++) {
        out [2 * i] = digits [conn [i] >> 4];
        out [2 * i + 1] = digits [conn [i] & 15];
    }
    out [2 * len] = 0;
}

#define S_KEY_MAX (ZC_MAX_ROOM + 2 + 2 * 255)

static void
s_key (char *key, const char *room, const char *hex)
{
    snprintf (key, S_KEY_MAX, "%s/%s", room, hex);
}

//  The per-connection count lives in a string ("3"), so that czmq's
//  zstr_free owns it
static size_t
s_conn_rooms (zc_presence_t *self, const char *hex)
{
    char *count = zhashx_lookup (self->per_conn, hex);
    return count? (size_t) strtoul (count, NULL, 10): 0;
}

static void
s_conn_set (zc_presence_t *self, const char *hex, size_t rooms)
{
    if (!rooms) {
        zhashx_delete (self->per_conn, hex);
        return;
    }
    char text [24];
    snprintf (text, sizeof text, "%zu", rooms);
    zhashx_update (self->per_conn, hex, ZC_ALLOC (strdup (text)));
}

static void
s_remove (zc_presence_t *self, s_entry_t *entry)
{
    char hex [2 * 255 + 1], key [S_KEY_MAX];
    snprintf (hex, sizeof hex, "%s", entry->conn);
    s_key (key, entry->room, hex);
    s_room_t *room = zhashx_lookup (self->rooms, entry->room);
    if (room) {
        zhashx_delete (room->members, hex);
        free (room->names);
        room->names = NULL;
        if (zhashx_size (room->members) == 0)
            zhashx_delete (self->rooms, entry->room);
    }
    s_conn_set (self, hex, s_conn_rooms (self, hex) - 1);
    zhashx_delete (self->entries, key);     //  frees entry
}

zc_presence_result_t
zc_presence_here (zc_presence_t *self, const uint8_t *conn, size_t conn_len, const char *room,
                  const char *name, uint64_t now)
{
    char hex [2 * 255 + 1], key [S_KEY_MAX];
    s_hex (conn, conn_len, hex);
    s_key (key, room, hex);
    s_entry_t *entry = zhashx_lookup (self->entries, key);
    if (entry) {
        entry->seen = now;
        if (strcmp (entry->name, name)) {
            snprintf (entry->name, sizeof entry->name, "%s", name);
            s_room_t *cached = zhashx_lookup (self->rooms, room);
            free (cached->names);
            cached->names = NULL;
        }
        return ZC_PRESENCE_OK;
    }
    if (zhashx_size (self->entries) >= self->max_total)
        return ZC_PRESENCE_FULL;
    size_t rooms = s_conn_rooms (self, hex);
    if (rooms >= self->max_per_conn)
        return ZC_PRESENCE_CONN_FULL;
    entry = ZC_ALLOC (calloc (1, sizeof *entry));
    snprintf (entry->room, sizeof entry->room, "%s", room);
    snprintf (entry->name, sizeof entry->name, "%s", name);
    entry->conn = ZC_ALLOC (strdup (hex));
    entry->seen = now;
    zhashx_insert (self->entries, key, entry);
    s_room_t *members = zhashx_lookup (self->rooms, room);
    if (!members) {
        members = ZC_ALLOC (calloc (1, sizeof *members));
        members->members = zhashx_new ();
        zhashx_insert (self->rooms, room, members);
    }
    zhashx_insert (members->members, hex, entry);
    free (members->names);
    members->names = NULL;
    s_conn_set (self, hex, rooms + 1);
    return ZC_PRESENCE_OK;
}

void
zc_presence_gone (zc_presence_t *self, const uint8_t *conn, size_t conn_len, const char *room)
{
    char hex [2 * 255 + 1], key [S_KEY_MAX];
    s_hex (conn, conn_len, hex);
    s_key (key, room, hex);
    s_entry_t *entry = zhashx_lookup (self->entries, key);
    if (entry)
        s_remove (self, entry);
}

size_t
zc_presence_expire (zc_presence_t *self, uint64_t now)
{
    if (self->swept_at && now < self->swept_at + 1000)
        return 0;
    self->swept_at = now;
    zlistx_t *old = zlistx_new ();
    for (s_entry_t *entry = zhashx_first (self->entries); entry;
         entry = zhashx_next (self->entries))
        if (now >= entry->seen + ZC_PRESENCE_EXPIRE_MS)
            zlistx_add_end (old, entry);
    size_t dropped = zlistx_size (old);
    for (s_entry_t *entry = zlistx_first (old); entry; entry = zlistx_next (old))
        s_remove (self, entry);
    zlistx_destroy (&old);
    return dropped;
}

void
zc_presence_clear (zc_presence_t *self)
{
    zhashx_purge (self->rooms);
    zhashx_purge (self->per_conn);
    zhashx_purge (self->entries);
}

size_t
zc_presence_count (zc_presence_t *self, const char *room)
{
    s_room_t *members = zhashx_lookup (self->rooms, room);
    return members? zhashx_size (members->members): 0;
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

size_t
zc_presence_names (zc_presence_t *self, const char *room, char *out, size_t cap)
{
    if (!cap)
        return 0;
    out [0] = 0;
    s_room_t *members = zhashx_lookup (self->rooms, room);
    if (!members)
        return 0;
    if (!members->names) {
        size_t count = zhashx_size (members->members);
        const char **names = ZC_ALLOC (malloc ((count? count: 1) * sizeof *names));
        size_t n = 0;
        for (s_entry_t *entry = zhashx_first (members->members); entry;
             entry = zhashx_next (members->members))
            names [n++] = entry->name;
        qsort (names, n, sizeof *names, s_compare);
        if (n > ZC_PRESENCE_SHOW)
            n = ZC_PRESENCE_SHOW;
        members->names = ZC_ALLOC (malloc (n * (ZC_MAX_NAME + 1) + 1));
        size_t at = 0;
        for (size_t i = 0; i < n; i++)
            at += (size_t) sprintf (members->names + at, "%s%s", i? "\n": "", names [i]);
        members->names_len = at;
        free (names);
    }
    //  Whole names only
    size_t len = members->names_len;
    if (len >= cap) {
        len = cap - 1;
        while (len && members->names [len] != '\n')
            len--;
    }
    memcpy (out, members->names, len);
    out [len] = 0;
    return len;
}

size_t
zc_presence_size (zc_presence_t *self)
{
    return zhashx_size (self->entries);
}
