/*  test_chatlog.c — the chat log's room index (chatlog.h) against a
    brute-force scan of the log.

    1. A fixed-seed random walk, in four phases, each on a fresh log:
       appends over five rooms (one of them quiet), truncations of a
       suffix, compactions of a prefix (retention), retired values, and a
       new base whenever the log is empty.  After every step, for every
       room (and one never written to), the index's count, seqs and both
       lookups are compared with a scan of the held entries.  Phases 2-4
       stamp some rseqs out of step on purpose (gaps, repeats, going back,
       and in phase 4 values near 2^64): the rseq lookup must then still
       give the scan's answer, by its fallback.  Each phase stops
       disordering half-way, so that truncation and compaction must bring
       the rooms back to the fast path.
    2. After every step, random FETCHes of one room: the reply the old scan
       of the log gave (entries and `last`) must equal the one the index
       walk of node_client.c's s_fetch_room gives (mirrored here, with a
       small byte limit so that the limit is exercised).
    3. A long log with a quiet room, compacted in slices.
    4. Dedup (zc_chatlog_find, client_last_id) against a scan, through
       appends by several clients, truncations, compactions and new bases;
       a repeat of any id, held or retired, costs O(log n) steps of the
       client's chain, never a scan of the log (timed on a long log);
       and a client id costs little memory (it used to cost 64 KiB).
*/
#include "chatlog.h"
#include "testutil.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROOMS 5                 //  written to; s_rooms [ROOMS] never is
#define STEPS 3000              //  per phase
#define MAX_HELD 400            //  above this, compaction is forced

static const char *s_rooms [ROOMS + 1] = {
    "general", "random", "dev", "ops", "quiet", "nobody" };
//  "quiet" gets one append in 25: its entries are far apart.
static const unsigned s_weight [ROOMS] = { 30, 25, 20, 20, 1 };

static uint64_t s_rng = 0x2545F4914F6CDD1DULL;
static uint64_t s_next_id, s_ts;
static uint64_t s_compared;     //  lookups and replies compared
static int s_step, s_phase;

static uint64_t
s_rand (uint64_t n)
{
    return n ? xorshift64 (&s_rng) % n : 0;
}

static const char *
s_pick_room (void)
{
    unsigned total = 0;
    for (int r = 0; r < ROOMS; r++)
        total += s_weight [r];
    unsigned pick = (unsigned) s_rand (total);
    int r = 0;
    while (pick >= s_weight [r])
        pick -= s_weight [r++];
    return s_rooms [r];
}

static void
s_append (zc_chatlog_t *log, const char *room, uint64_t rseq)
{
    uint8_t data [64];
    size_t size = 1 + (size_t) s_rand (sizeof data);
    memset (data, (int) (rseq & 0xff), size);
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (log) + 1);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, rseq);
    zc_msg_set_u64 (&chat, ZF_TS, ++s_ts);
    zc_msg_set_u64 (&chat, ZF_ID, ++s_next_id);
    zc_msg_set_cstr (&chat, ZF_ROOM, room);
    zc_msg_set_cstr (&chat, ZF_FROM, "test");
    zc_msg_set_cstr (&chat, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
    zc_msg_set_cstr (&chat, ZF_TEXT, "x");
    zc_entry_t *entry = zc_chatlog_append (log, &chat, data, size);
    CHECKF (entry, "phase %d step %d: append refused", s_phase, s_step);
}

//  The rseq a leader would stamp; with `disorder` percent chance, one out
//  of step (wrap: also values next to 2^64 - 1, and 0).
static uint64_t
s_next_rseq (zc_chatlog_t *log, const char *room, unsigned disorder, bool wrap)
{
    uint64_t rseq = zc_chatlog_room_rseq (log, room) + 1;
    if (s_rand (100) >= disorder)
        return rseq;
    switch (s_rand (wrap ? 5 : 3)) {
        case 0:  return rseq + 1 + s_rand (3);      //  a gap
        case 1:  return rseq > 1 ? rseq - 1 : rseq + 5;     //  a repeat
        case 2:  return s_rand (rseq + 1);          //  back, even to 0
        case 3:  return UINT64_MAX - s_rand (2);
        default: return 0;
    }
}

//  ---------------------------------------------------------------------
//  The brute force: one room's held entries, by a scan of the log.

typedef struct {
    uint64_t *seqs, *rseqs;
    size_t count;
} s_scan_t;

static void
s_scan (zc_chatlog_t *log, const char *room, s_scan_t *scan)
{
    uint64_t first = zc_chatlog_first_seq (log), last = zc_chatlog_last_seq (log);
    size_t held = last >= first ? (size_t) (last - first + 1) : 0;
    scan->seqs = malloc ((held + 1) * sizeof *scan->seqs);
    scan->rseqs = malloc ((held + 1) * sizeof *scan->rseqs);
    scan->count = 0;
    for (uint64_t seq = first; seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        if (entry && strcmp (entry->room, room) == 0) {
            scan->seqs [scan->count] = seq;
            scan->rseqs [scan->count++] = entry->rseq;
        }
    }
}

static void
s_scan_free (s_scan_t *scan)
{
    free (scan->seqs);
    free (scan->rseqs);
}

static size_t
s_scan_after_seq (const s_scan_t *scan, uint64_t seq)
{
    size_t i = 0;
    while (i < scan->count && scan->seqs [i] <= seq)
        i++;
    return i;
}

//  The definition: one past the newest entry with seq <= upto and rseq <= rseq.
static size_t
s_scan_after_rseq (const s_scan_t *scan, uint64_t rseq, uint64_t upto)
{
    size_t i = s_scan_after_seq (scan, upto);
    while (i > 0 && scan->rseqs [i - 1] > rseq)
        i--;
    return i;
}

static uint64_t
s_around (uint64_t value, uint64_t spread)
{
    uint64_t delta = s_rand (2 * spread + 1);
    return delta >= spread ? value + (delta - spread)
         : value >= spread - delta ? value - (spread - delta) : 0;
}

//  Seqs worth asking about: the ends, around held ones, random ones.
static size_t
s_seq_probes (const s_scan_t *scan, uint64_t first, uint64_t last, uint64_t *probes)
{
    size_t n = 0;
    probes [n++] = 0;
    probes [n++] = UINT64_MAX;
    probes [n++] = first - 1;
    probes [n++] = last;
    probes [n++] = last + 1;
    for (int k = 0; k < 3; k++)
        probes [n++] = s_around (first + s_rand (last - first + 2), 1);
    if (scan->count)
        for (int k = 0; k < 4; k++)
            probes [n++] = s_around (scan->seqs [s_rand (scan->count)], 1);
    return n;
}

static size_t
s_rseq_probes (const s_scan_t *scan, uint64_t *probes)
{
    size_t n = 0;
    probes [n++] = 0;
    probes [n++] = UINT64_MAX;
    probes [n++] = UINT64_MAX - 1;
    uint64_t top = 0;
    for (size_t i = 0; i < scan->count; i++)
        if (scan->rseqs [i] > top && scan->rseqs [i] < UINT64_MAX - 4)
            top = scan->rseqs [i];
    for (int k = 0; k < 3; k++)
        probes [n++] = s_rand (top + 3);
    if (scan->count) {
        probes [n++] = s_around (scan->rseqs [0], 1);
        probes [n++] = s_around (scan->rseqs [scan->count - 1], 1);
        for (int k = 0; k < 3; k++)
            probes [n++] = s_around (scan->rseqs [s_rand (scan->count)], 1);
    }
    return n;
}

//  One room: the index against the scan.  One check per room and step;
//  a failure names the first difference.
static void
s_verify_room (zc_chatlog_t *log, const char *room)
{
    s_scan_t scan;
    s_scan (log, room, &scan);
    uint64_t first = zc_chatlog_first_seq (log), last = zc_chatlog_last_seq (log);
    char diff [160] = "";
    size_t count = zc_chatlog_room_count (log, room);
    if (count != scan.count)
        snprintf (diff, sizeof diff, "count %zu, scan %zu", count, scan.count);
    for (size_t i = 0; i <= count + 1 && !*diff; i++) {
        uint64_t seq = zc_chatlog_room_seq_at (log, room, i);
        if (seq != (i < count ? scan.seqs [i] : 0))
            snprintf (diff, sizeof diff, "seq_at (%zu) = %llu", i, (unsigned long long) seq);
    }
    uint64_t seqs [16], rseqs [16];
    size_t nseq = s_seq_probes (&scan, first, last, seqs);
    size_t nrseq = s_rseq_probes (&scan, rseqs);
    for (size_t s = 0; s < nseq && !*diff; s++) {
        size_t got = zc_chatlog_room_after_seq (log, room, seqs [s]);
        size_t want = s_scan_after_seq (&scan, seqs [s]);
        s_compared++;
        if (got != want)
            snprintf (diff, sizeof diff, "after_seq (%llu) = %zu, scan %zu",
                      (unsigned long long) seqs [s], got, want);
    }
    for (size_t s = 0; s < nseq && !*diff; s++)
        for (size_t r = 0; r < nrseq && !*diff; r++) {
            size_t got = zc_chatlog_room_after_rseq (log, room, rseqs [r], seqs [s]);
            size_t want = s_scan_after_rseq (&scan, rseqs [r], seqs [s]);
            s_compared++;
            if (got != want)
                snprintf (diff, sizeof diff, "after_rseq (%llu, upto %llu) = %zu, scan %zu",
                          (unsigned long long) rseqs [r], (unsigned long long) seqs [s],
                          got, want);
        }
    CHECKF (!*diff, "phase %d step %d room %s: %s", s_phase, s_step, room, diff);
    s_scan_free (&scan);
}

//  ---------------------------------------------------------------------
//  FETCH of one room, both ways.  Entries are compared by seq.

typedef struct {
    bool has_rseq;
    uint64_t rseq, last, bound, count;
    size_t limit;               //  bytes of entries (4 MiB in the node)
} s_fetch_t;

typedef struct {
    uint64_t seqs [64];
    size_t sent;
    uint64_t last;
} s_reply_t;

//  What s_on_fetch did before the index: walk back from the bound for an
//  rseq, then scan the log.
static void
s_fetch_scan (zc_chatlog_t *log, const char *room, const s_fetch_t *req, s_reply_t *reply)
{
    uint64_t first = zc_chatlog_first_seq (log);
    uint64_t from = req->last + 1;
    if (req->has_rseq) {
        from = first;
        for (uint64_t seq = req->bound; seq >= first && seq > 0; seq--) {
            zc_entry_t *entry = zc_chatlog_get (log, seq);
            if (strcmp (entry->room, room) == 0 && entry->rseq <= req->rseq) {
                from = seq + 1;
                break;
            }
        }
    }
    if (from < first)
        from = first;
    size_t total = 0;
    uint64_t seq;
    reply->sent = 0;
    for (seq = from; seq <= req->bound && reply->sent < req->count; seq++) {
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        if (strcmp (entry->room, room))
            continue;
        if (total + entry->size > req->limit)
            break;
        reply->seqs [reply->sent++] = seq;
        total += entry->size;
    }
    reply->last = seq - 1;
}

//  node_client.c's s_fetch_room, step for step.
static void
s_fetch_index (zc_chatlog_t *log, const char *room, const s_fetch_t *req, s_reply_t *reply)
{
    uint64_t first = zc_chatlog_first_seq (log);
    uint64_t from;
    size_t pos;
    if (req->has_rseq) {
        pos = zc_chatlog_room_after_rseq (log, room, req->rseq, req->bound);
        from = pos ? zc_chatlog_room_seq_at (log, room, pos - 1) + 1 : first;
    }
    else {
        from = req->last + 1 > first ? req->last + 1 : first;
        pos = zc_chatlog_room_after_seq (log, room, from - 1);
    }
    size_t total = 0, held = zc_chatlog_room_count (log, room);
    reply->sent = 0;
    for (; pos < held; pos++) {
        uint64_t seq = zc_chatlog_room_seq_at (log, room, pos);
        if (seq > req->bound)
            break;
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        if (total + entry->size > req->limit) {
            reply->last = seq - 1;
            return;
        }
        reply->seqs [reply->sent++] = seq;
        total += entry->size;
        if (reply->sent == req->count) {
            reply->last = seq;
            return;
        }
    }
    reply->last = from - 1 > req->bound ? from - 1 : req->bound;
}

static void
s_verify_fetch (zc_chatlog_t *log)
{
    uint64_t first = zc_chatlog_first_seq (log), last = zc_chatlog_last_seq (log);
    for (int k = 0; k < 6; k++) {
        const char *room = s_rooms [s_rand (ROOMS + 1)];
        s_fetch_t req = {
            .has_rseq = s_rand (2),
            .rseq = s_rand (10) ? s_rand (zc_chatlog_room_rseq (log, room) + 3) : UINT64_MAX,
            .last = s_rand (20) ? s_around (first + s_rand (last - first + 2), 3) : UINT64_MAX,
            //  the node's bound never passes the log's end
            .bound = s_rand (8) ? last - s_rand (last - first + 1 < 10 ? last - first + 1 : 10)
                                : s_rand (last + 1),
            .count = s_rand (4) ? 1 + s_rand (6) : 64,
            .limit = 32 + (size_t) s_rand (400)
        };
        s_reply_t scan, index;
        s_fetch_scan (log, room, &req, &scan);
        s_fetch_index (log, room, &req, &index);
        s_compared++;
        bool same = scan.sent == index.sent && scan.last == index.last
                 && memcmp (scan.seqs, index.seqs, scan.sent * sizeof scan.seqs [0]) == 0;
        CHECKF (same, "phase %d step %d room %s: FETCH rseq=%d/%llu last=%llu bound=%llu "
                "count=%llu limit=%zu: scan %zu entries last %llu, index %zu entries last %llu",
                s_phase, s_step, room, req.has_rseq, (unsigned long long) req.rseq,
                (unsigned long long) req.last, (unsigned long long) req.bound,
                (unsigned long long) req.count, req.limit, scan.sent,
                (unsigned long long) scan.last, index.sent, (unsigned long long) index.last);
    }
}

//  ---------------------------------------------------------------------
//  The random walk.

static void
s_step_once (zc_chatlog_t *log, unsigned disorder, bool wrap)
{
    uint64_t first = zc_chatlog_first_seq (log), last = zc_chatlog_last_seq (log);
    uint64_t held = last - first + 1;
    unsigned op = (unsigned) s_rand (100);
    if (held > MAX_HELD)
        op = 85;
    if (op < 65) {                  //  a burst of appends
        for (uint64_t n = 1 + s_rand (s_rand (4) ? 3 : 20); n > 0; n--) {
            const char *room = s_pick_room ();
            s_append (log, room, s_next_rseq (log, room, disorder, wrap));
        }
    }
    else
    if (op < 75) {                  //  a differing suffix
        uint64_t after = last - s_rand ((held < 30 ? held : 30) + 1);
        if (s_rand (10) == 0)
            after = first > 1 ? first - 1 - s_rand (2) : 0;
        zc_chatlog_truncate (log, after, NULL);
    }
    else
    if (op < 90) {                  //  retention
        uint64_t upto = first - 1 + s_rand (held / 2 + 2);
        if (s_rand (15) == 0)
            upto = last + s_rand (3);
        zc_chatlog_compact (log, upto);
    }
    else
    if (op < 95) {                  //  retired.state loaded
        const char *room = s_rooms [s_rand (ROOMS)];
        //  Raising a room's rseq while it holds entries puts a gap among
        //  them: only when disordering.
        if (disorder || zc_chatlog_room_count (log, room) == 0)
            zc_chatlog_set_retired (log, 'r', room, zc_chatlog_room_rseq (log, room) + s_rand (3));
        zc_chatlog_set_retired (log, 'c', "0123456789abcdef0123456789abcdef", s_next_id);
    }
    else
    if (last < first && s_rand (2))     //  empty: start after a retired prefix
        zc_chatlog_set_base (log, last + s_rand (20), 1);
}

static void
s_phase_run (unsigned disorder, bool wrap)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    for (s_step = 0; s_step < STEPS; s_step++) {
        s_step_once (log, s_step < STEPS / 2 ? disorder : 0, wrap);
        for (int r = 0; r <= ROOMS; r++)
            s_verify_room (log, s_rooms [r]);
        s_verify_fetch (log);
    }
    zc_chatlog_destroy (&log);
}

//  ---------------------------------------------------------------------
//  A long log in which room "quiet" has one entry in 5000, compacted in
//  slices: the answers follow from the layout.

#define LONG_N 100000
#define LONG_EVERY 5000

static void
s_long_log (void)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    uint64_t busy_rseq = 0;
    for (uint64_t seq = 1; seq <= LONG_N; seq++) {
        if (seq % LONG_EVERY == 0)
            s_append (log, "quiet", seq / LONG_EVERY);
        else
            s_append (log, "busy", ++busy_rseq);
    }
    for (uint64_t base = 0; base < LONG_N; base += 7777) {
        zc_chatlog_compact (log, base);
        uint64_t k0 = base / LONG_EVERY + 1;            //  oldest quiet rseq held
        size_t quiet = (size_t) (LONG_N / LONG_EVERY - k0 + 1);
        CHECK (zc_chatlog_room_count (log, "quiet") == quiet);
        CHECK (zc_chatlog_room_count (log, "busy") == LONG_N - base - quiet);
        CHECK (zc_chatlog_room_seq_at (log, "quiet", 0) == k0 * LONG_EVERY);
        CHECK (zc_chatlog_room_seq_at (log, "busy", 0) == base + 1 + ((base + 1) % LONG_EVERY == 0));
        //  A client of the quiet room resuming after its last message
        CHECK (zc_chatlog_room_after_rseq (log, "quiet", LONG_N / LONG_EVERY, LONG_N) == quiet);
        CHECK (zc_chatlog_room_after_rseq (log, "quiet", k0, LONG_N) == 1);
        //  ... and with the bound below its last one
        CHECK (zc_chatlog_room_after_rseq (log, "quiet", k0 + 1, LONG_N - 1)
               == (quiet - 1 < 2 ? quiet - 1 : 2));
        CHECK (zc_chatlog_room_after_rseq (log, "quiet", 0, LONG_N) == 0);
        CHECK (zc_chatlog_room_after_seq (log, "quiet", LONG_N - 1) == quiet - 1);
        CHECK (zc_chatlog_room_after_seq (log, "quiet", base) == 0);
        //  busy seqs in (base, LONG_N - 1]: all but the quiet ones
        CHECK (zc_chatlog_room_after_seq (log, "busy", LONG_N - 1) == LONG_N - 1 - base - (quiet - 1));
    }
    zc_chatlog_compact (log, LONG_N);
    CHECK (zc_chatlog_room_count (log, "quiet") == 0);
    CHECK (zc_chatlog_room_count (log, "busy") == 0);
    CHECK (zc_chatlog_room_after_rseq (log, "quiet", 5, UINT64_MAX) == 0);
    //  Rseq goes on from the retired value; the index starts over.
    s_append (log, "quiet", zc_chatlog_room_rseq (log, "quiet") + 1);
    CHECK (zc_chatlog_room_count (log, "quiet") == 1);
    CHECK (zc_chatlog_room_seq_at (log, "quiet", 0) == LONG_N + 1);
    CHECK (zc_chatlog_room_after_rseq (log, "quiet", LONG_N / LONG_EVERY, UINT64_MAX) == 0);
    CHECK (zc_chatlog_room_after_rseq (log, "quiet", LONG_N / LONG_EVERY + 1, UINT64_MAX) == 1);
    zc_chatlog_destroy (&log);
}

//  ---------------------------------------------------------------------
//  4. Dedup.

#define CLIENTS 6

static uint64_t s_client_next [CLIENTS];   //  the id each client posts next

static void
s_client_name (char *name, size_t cap, unsigned client)
{
    snprintf (name, cap, "%032x", client + 1);
}

static zc_entry_t *
s_post (zc_chatlog_t *log, const char *client, uint64_t id)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (log) + 1);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (log, "general") + 1);
    zc_msg_set_u64 (&chat, ZF_TS, ++s_ts);
    zc_msg_set_u64 (&chat, ZF_ID, id);
    zc_msg_set_cstr (&chat, ZF_ROOM, "general");
    zc_msg_set_cstr (&chat, ZF_FROM, "test");
    zc_msg_set_cstr (&chat, ZF_CLIENT, client);
    zc_msg_set_cstr (&chat, ZF_TEXT, "x");
    uint8_t data [1] = { 0 };
    return zc_chatlog_append (log, &chat, data, sizeof data);
}

static zc_entry_t *
s_find_scan (zc_chatlog_t *log, const char *client, uint64_t id)
{
    for (uint64_t seq = zc_chatlog_last_seq (log); seq >= zc_chatlog_first_seq (log) && seq; seq--) {
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        if (entry->id == id && strcmp (entry->client, client) == 0)
            return entry;
    }
    return NULL;
}

static void
s_dedup_verify (zc_chatlog_t *log, uint64_t *retired)
{
    for (unsigned c = 0; c < CLIENTS; c++) {
        char name [ZC_CLIENT_ID_LEN + 1];
        s_client_name (name, sizeof name, c);
        //  The last id: the highest held, or what retired entries left.
        uint64_t last = retired [c];
        for (uint64_t seq = zc_chatlog_first_seq (log); seq <= zc_chatlog_last_seq (log); seq++) {
            zc_entry_t *entry = zc_chatlog_get (log, seq);
            if (strcmp (entry->client, name) == 0 && entry->id > last)
                last = entry->id;
        }
        CHECKF (zc_chatlog_client_last_id (log, name) == last, "step %d client %u: last id %llu, "
                "scan %llu", s_step, c, (unsigned long long) zc_chatlog_client_last_id (log, name),
                (unsigned long long) last);
        for (uint64_t id = 0; id <= last + 2; id++) {
            zc_entry_t *found = zc_chatlog_find (log, name, id);
            zc_entry_t *scan = s_find_scan (log, name, id);
            CHECKF (found == scan, "step %d client %u id %llu: find %llu, scan %llu", s_step, c,
                    (unsigned long long) id, (unsigned long long) (found ? found->seq : 0),
                    (unsigned long long) (scan ? scan->seq : 0));
            s_compared++;
        }
    }
}

static void
s_dedup_walk (void)
{
    zc_chatlog_t *log = zc_chatlog_new ();
    uint64_t retired [CLIENTS] = { 0 };
    memset (s_client_next, 0, sizeof s_client_next);
    for (unsigned c = 0; c < CLIENTS; c++)
        s_client_next [c] = 1;
    for (s_step = 0; s_step < 1500; s_step++) {
        uint64_t held = zc_chatlog_last_seq (log) + 1 - zc_chatlog_first_seq (log);
        uint64_t pick = s_rand (100);
        if (pick < 80) {
            //  Client 0 posts most: long chains with many jumps.
            unsigned c = s_rand (2) ? 0 : (unsigned) s_rand (CLIENTS);
            char name [ZC_CLIENT_ID_LEN + 1];
            s_client_name (name, sizeof name, c);
            uint64_t id = zc_chatlog_client_last_id (log, name) + 1;
            CHECK (s_post (log, name, id));
        }
        else
        if (pick < 88 && held) {
            //  A differing suffix dropped: the tables are rebuilt.
            zc_chatlog_truncate (log, zc_chatlog_last_seq (log) - s_rand (held < 20 ? held : 20), NULL);
        }
        else
        if (pick < 95 && held) {
            //  Retention: what goes is remembered as retired.
            uint64_t upto = zc_chatlog_first_seq (log) + s_rand (held < 40 ? held : 40);
            for (uint64_t seq = zc_chatlog_first_seq (log); seq <= upto; seq++) {
                zc_entry_t *entry = zc_chatlog_get (log, seq);
                unsigned c = (unsigned) strtoul (entry->client, NULL, 16) - 1;
                if (entry->id > retired [c])
                    retired [c] = entry->id;
            }
            zc_chatlog_compact (log, upto);
        }
        else
        if (!held) {
            //  An empty log may start after a new base.
            zc_chatlog_t *fresh = zc_chatlog_new ();
            uint64_t base = zc_chatlog_last_seq (log) + s_rand (3);
            zc_chatlog_set_base (fresh, base, 1);
            for (unsigned c = 0; c < CLIENTS; c++) {
                char name [ZC_CLIENT_ID_LEN + 1];
                s_client_name (name, sizeof name, c);
                if (retired [c])
                    zc_chatlog_set_retired (fresh, 'c', name, retired [c]);
            }
            zc_chatlog_destroy (&log);
            log = fresh;
        }
        s_dedup_verify (log, retired);
    }
    zc_chatlog_destroy (&log);
}

static double
s_seconds (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

//  One client with a long log: every repeat, of a held id or of one that
//  is not there (retired, or never in this log), is a short walk.  A scan
//  of the log per miss took 6000 repeats x 200k entries: many seconds.
static void
s_dedup_cost (void)
{
    enum { ENTRIES = 200000, RETIRE = 50000, FINDS = 20000 };
    zc_chatlog_t *log = zc_chatlog_new ();
    const char *name = "00000000000000000000000000000abc";
    for (uint64_t id = 1; id <= ENTRIES; id++) {
        s_post (log, name, id);
        if (id % 7 == 0)    //  other clients in between
            s_post (log, "00000000000000000000000000000def", id / 7);
    }
    zc_chatlog_compact (log, RETIRE);
    uint64_t first_held = zc_chatlog_get (log, RETIRE + 1)->id;
    double start = s_seconds ();
    size_t found = 0, missed = 0;
    for (int i = 0; i < FINDS; i++) {
        uint64_t id = 1 + s_rand (ENTRIES);
        zc_entry_t *entry = zc_chatlog_find (log, name, id);
        if (entry) {
            found++;
            CHECKF (entry->id == id && strcmp (entry->client, name) == 0, "id %llu: wrong entry",
                    (unsigned long long) id);
        }
        else
            missed++;
        //  And one that misses for sure: a retired id.
        missed += zc_chatlog_find (log, name, 1 + s_rand (first_held - 1)) == NULL;
    }
    double took = s_seconds () - start;
    CHECKF (found > FINDS / 2 && missed > FINDS, "found %zu, missed %zu", found, missed);
    CHECKF (took < 1.0, "%d repeats took %.2f s: a scan of the log?", 2 * FINDS, took);
    zc_chatlog_destroy (&log);
}

static size_t
s_rss_bytes (void)
{
    FILE *file = fopen ("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (file) {
        if (fscanf (file, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose (file);
    }
    return (size_t) resident * (size_t) sysconf (_SC_PAGESIZE);
}

//  Each new client id costs a small block (it used to be 64 KiB of recent
//  ids: 10k one-line POSTs, +465 MiB on every node).  Resident memory per
//  one-entry client, the entry included, stays within 2 KiB even with the
//  sanitizers' redzones.
static void
s_dedup_memory (void)
{
    enum { IDS = 20000 };
    zc_chatlog_t *log = zc_chatlog_new ();
    size_t before = s_rss_bytes ();
    for (unsigned i = 0; i < IDS; i++) {
        char name [ZC_CLIENT_ID_LEN + 1];
        snprintf (name, sizeof name, "%032x", 0x10000 + i);
        s_post (log, name, 1);
    }
    size_t after = s_rss_bytes ();
    size_t per_id = after > before ? (after - before) / IDS : 0;
    CHECKF (before && per_id < 2048, "%zu bytes per client id", per_id);
    printf ("test_chatlog: %zu bytes resident per one-entry client id\n", per_id);
    zc_chatlog_destroy (&log);
}

int
main (void)
{
    static const struct { unsigned disorder; bool wrap; } phases [] = {
        { 0, false }, { 3, false }, { 30, false }, { 5, true } };
    for (s_phase = 1; s_phase <= 4; s_phase++)
        s_phase_run (phases [s_phase - 1].disorder, phases [s_phase - 1].wrap);
    s_long_log ();
    s_dedup_walk ();
    s_dedup_cost ();
    s_dedup_memory ();
    printf ("test_chatlog: %d phases of %d steps, %llu lookups and FETCH replies compared\n",
            4, STEPS, (unsigned long long) s_compared);
    return check_report ("test_chatlog");
}
