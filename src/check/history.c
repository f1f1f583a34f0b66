/*  history.c — the checks of history.h over the loaded records.

    The union of all recv and ack lines is folded into one table of entries,
    one per seq, sorted by seq: that is "the log as clients saw it".  Each
    check then compares one client's view (its lines, in order) with that
    table.  Everything is hashing and one sort: O(n log n) in the lines.
*/
#include "history_impl.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

//  One seq of the log, as seen by the clients
typedef struct {
    uint64_t seq, rseq, ts, epoch, id;
    uint32_t client, room;      //  room ZC_NONE: only acked, room unknown
    uint32_t file, line;        //  where it was first seen
    bool has_recv, has_ack;
    uint64_t text;              //  the text's fingerprint, from the first recv
    bool has_text;              //  that had one (texthash.h)
    uint32_t text_file, text_line;
} s_entry_t;

//  One file's deliveries in one room
typedef struct {
    uint32_t file, room;
    uint64_t last_seq, last_rseq;
} s_stream_t;

typedef struct {
    zc_history_t *self;
    zc_history_opts_t opts;
    zc_history_report_fn *report;
    void *arg;
    s_entry_t *entries;
    size_t nentries, entries_cap;
    zc_hmap_t by_seq;           //  seq -> entry
    zc_hmap_t delivered;        //  (file, seq) -> recv
    s_stream_t *streams;
    size_t nstreams, streams_cap;
    size_t *room_lo;            //  entries of room r: room_idx [lo[r], lo[r+1])
    uint32_t *room_idx;
} s_check_t;

static void
s_clear_violations (zc_history_t *self)
{
    for (size_t i = 0; i < self->nviols; i++)
        free ((char *) self->viols [i].text);
    self->nviols = 0;
    memset (&self->last, 0, sizeof (self->last));
}

//  Report one violation; file is a file index or ZC_NONE
static void
s_report (s_check_t *ck, zc_history_kind_t kind, uint32_t file,
          unsigned line, uint64_t seq, const char *fmt, ...)
    __attribute__ ((format (printf, 6, 7)));

static void
s_report (s_check_t *ck, zc_history_kind_t kind, uint32_t file,
          unsigned line, uint64_t seq, const char *fmt, ...)
{
    zc_history_t *self = ck->self;
    char text [512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof (text), fmt, args);
    va_end (args);
    zc_history_violation_t v = {
        .kind = kind, .line = line, .seq = seq, .text = text,
        .file = file == ZC_NONE ? NULL : self->files [file].path };
    self->last.violations++;
    self->last.by_kind [kind]++;
    if (ck->report)
        ck->report (&v, ck->arg);
    else {
        self->viols = zc_grow (self->viols, &self->viols_cap,
                               self->nviols + 1, sizeof (v));
        v.text = zc_xstrdup (text);
        self->viols [self->nviols++] = v;
    }
}

static const char *
s_str (s_check_t *ck, uint32_t index)
{
    return index == ZC_NONE ? "?" : ck->self->strs.strs [index];
}

static const char *
s_path (s_check_t *ck, uint32_t file)
{
    return ck->self->files [file].path;
}

//  --------------------------------------------------------------------------
//  The table of entries: one per seq, from every recv and every ack

static void
s_entry_from_recv (s_check_t *ck, const zc_recv_t *r)
{
    s_entry_t *e = &ck->entries [*zc_hmap_find (&ck->by_seq, r->seq, 0)];
    if (!e->has_recv) {         //  first sighting
        *e = (s_entry_t) {
            .seq = r->seq, .rseq = r->rseq, .ts = r->ts, .epoch = r->epoch,
            .id = r->id, .client = r->client, .room = r->room,
            .file = r->file, .line = r->line, .has_recv = true,
            .text = r->text, .has_text = r->has_text,
            .text_file = r->file, .text_line = r->line };
        return;
    }
    //  A text changed on its way to one of the receivers
    if (r->has_text && e->has_text && r->text != e->text)
        s_report (ck, ZC_HISTORY_CONFLICT, r->file, r->line, r->seq,
            "seq %" PRIu64 " (%s#%" PRIu64 ") has another text here than at %s:%u",
            r->seq, s_str (ck, r->client), r->id, s_path (ck, e->text_file), e->text_line);
    else
    if (r->has_text && !e->has_text) {
        e->text = r->text;
        e->has_text = true;
        e->text_file = r->file;
        e->text_line = r->line;
    }
    if (e->client != r->client || e->id != r->id || e->ts != r->ts
    ||  e->epoch != r->epoch || e->room != r->room || e->rseq != r->rseq)
        s_report (ck, ZC_HISTORY_CONFLICT, r->file, r->line, r->seq,
            "seq %" PRIu64 " is %s#%" PRIu64 " ts %" PRIu64 " epoch %" PRIu64
            " room %s rseq %" PRIu64 " here, but %s#%" PRIu64 " ts %" PRIu64
            " epoch %" PRIu64 " room %s rseq %" PRIu64 " at %s:%u",
            r->seq, s_str (ck, r->client), r->id, r->ts, r->epoch,
            s_str (ck, r->room), r->rseq, s_str (ck, e->client), e->id,
            e->ts, e->epoch, s_str (ck, e->room), e->rseq,
            s_path (ck, e->file), e->line);
}

static void
s_entry_from_ack (s_check_t *ck, const zc_ack_t *a)
{
    s_entry_t *e = &ck->entries [*zc_hmap_find (&ck->by_seq, a->seq, 0)];
    if (!e->has_recv && !e->has_ack) {
        *e = (s_entry_t) {
            .seq = a->seq, .ts = a->ts, .epoch = a->epoch, .id = a->id,
            .client = a->client, .room = ZC_NONE,
            .file = a->file, .line = a->line, .has_ack = true };
        return;
    }
    const char *seen = e->has_recv ? "delivered" : "acked";
    if (e->client != a->client || e->id != a->id)
        s_report (ck, ZC_HISTORY_ACK, a->file, a->line, a->seq,
            "ack puts %s#%" PRIu64 " at seq %" PRIu64 ", but %s#%" PRIu64
            " is %s there (%s:%u)", s_str (ck, a->client), a->id, a->seq,
            s_str (ck, e->client), e->id, seen, s_path (ck, e->file), e->line);
    else
    if (e->ts != a->ts)
        s_report (ck, ZC_HISTORY_ACK, a->file, a->line, a->seq,
            "ack of %s#%" PRIu64 " says ts %" PRIu64 ", but seq %" PRIu64
            " is %s with ts %" PRIu64 " (%s:%u)", s_str (ck, a->client), a->id,
            a->ts, a->seq, seen, e->ts, s_path (ck, e->file), e->line);
    else
    if (e->has_recv && a->epoch < e->epoch)
        s_report (ck, ZC_HISTORY_ACK, a->file, a->line, a->seq,
            "ack of %s#%" PRIu64 " by epoch %" PRIu64 ", below the epoch %"
            PRIu64 " that stamped seq %" PRIu64, s_str (ck, a->client), a->id,
            a->epoch, e->epoch, a->seq);
    e->has_ack = true;
}

static int
s_entry_cmp (const void *x, const void *y)
{
    const s_entry_t *a = x, *b = y;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void
s_build_entries (s_check_t *ck)
{
    zc_history_t *self = ck->self;
    zc_hmap_init (&ck->by_seq, self->nrecvs / 2 + self->nacks);
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass == 0 ? self->nrecvs : self->nacks;
        for (size_t i = 0; i < n; i++) {
            uint64_t seq = pass == 0 ? self->recvs [i].seq : self->acks [i].seq;
            if (zc_hmap_put (&ck->by_seq, seq, 0, (uint32_t) ck->nentries)
                == ck->nentries) {
                ck->entries = zc_grow (ck->entries, &ck->entries_cap,
                                       ck->nentries + 1, sizeof (s_entry_t));
                memset (&ck->entries [ck->nentries++], 0, sizeof (s_entry_t));
            }
            if (pass == 0)
                s_entry_from_recv (ck, &self->recvs [i]);
            else
                s_entry_from_ack (ck, &self->acks [i]);
        }
    }
    //  Sort by seq and index again (no entries: nothing acked or received)
    if (ck->nentries)
        qsort (ck->entries, ck->nentries, sizeof (s_entry_t), s_entry_cmp);
    zc_hmap_free (&ck->by_seq);
    zc_hmap_init (&ck->by_seq, ck->nentries);
    for (size_t i = 0; i < ck->nentries; i++)
        zc_hmap_put (&ck->by_seq, ck->entries [i].seq, 0, (uint32_t) i);
}

//  --------------------------------------------------------------------------
//  Over the whole log: one seq per message, ts and rseq rising with seq

static void
s_check_log (s_check_t *ck)
{
    zc_history_t *self = ck->self;
    zc_hmap_t by_msg;           //  (client, id) -> entry
    zc_hmap_init (&by_msg, ck->nentries);
    uint32_t *last_in_room = zc_xmalloc (
        (self->strs.count + 1) * sizeof (uint32_t));
    for (size_t r = 0; r <= self->strs.count; r++)
        last_in_room [r] = ZC_NONE;

    for (size_t i = 0; i < ck->nentries; i++) {
        s_entry_t *e = &ck->entries [i];
        uint32_t j = zc_hmap_put (&by_msg, e->client, e->id, (uint32_t) i);
        if (j != i) {
            s_entry_t *f = &ck->entries [j];
            s_report (ck, f->has_recv && e->has_recv ? ZC_HISTORY_DUPLICATE
                                                     : ZC_HISTORY_ACK,
                e->file, e->line, e->seq,
                "%s#%" PRIu64 " is at seq %" PRIu64 " (%s) and at seq %"
                PRIu64 " (%s, %s:%u)", s_str (ck, e->client), e->id, f->seq,
                f->has_recv ? "delivered" : "acked", e->seq,
                e->has_recv ? "delivered" : "acked", s_path (ck, e->file),
                e->line);
        }
        if (i > 0 && e->ts <= ck->entries [i - 1].ts)
            s_report (ck, ZC_HISTORY_LAMPORT, e->file, e->line, e->seq,
                "seq %" PRIu64 " has ts %" PRIu64 ", not above ts %" PRIu64
                " of seq %" PRIu64, e->seq, e->ts, ck->entries [i - 1].ts,
                ck->entries [i - 1].seq);
        if (e->has_recv) {
            uint32_t k = last_in_room [e->room];
            if (k != ZC_NONE && e->rseq <= ck->entries [k].rseq)
                s_report (ck, ZC_HISTORY_ORDER, e->file, e->line, e->seq,
                    "room %s: seq %" PRIu64 " has rseq %" PRIu64 ", not above"
                    " rseq %" PRIu64 " of seq %" PRIu64, s_str (ck, e->room),
                    e->seq, e->rseq, ck->entries [k].rseq, ck->entries [k].seq);
            last_in_room [e->room] = (uint32_t) i;
        }
    }
    //  Rooms: count them, and place messages only acked in their sender's
    uint32_t only_room = ZC_NONE;
    for (size_t r = 0; r < self->strs.count; r++)
        if (last_in_room [r] != ZC_NONE) {
            self->last.rooms++;
            only_room = (uint32_t) r;
        }
    for (size_t i = 0; i < ck->nentries; i++) {
        s_entry_t *e = &ck->entries [i];
        if (e->room == ZC_NONE) {
            zc_hfile_t *f = &self->files [e->file];
            e->room = f->room != ZC_NONE ? f->room : f->first_room;
            if (e->room == ZC_NONE && self->last.rooms == 1)
                e->room = only_room;
        }
    }
    free (last_in_room);
    zc_hmap_free (&by_msg);
}

//  --------------------------------------------------------------------------
//  Each client's stream: no duplicate, seq rising, rseq contiguous

static s_stream_t *
s_stream (s_check_t *ck, size_t first, uint32_t file, const zc_recv_t *r)
{
    for (size_t i = first; i < ck->nstreams; i++)
        if (ck->streams [i].room == r->room)
            return &ck->streams [i];
    ck->streams = zc_grow (ck->streams, &ck->streams_cap,
                           ck->nstreams + 1, sizeof (s_stream_t));
    ck->streams [ck->nstreams] = (s_stream_t) {
        .file = file, .room = r->room, .last_seq = r->seq,
        .last_rseq = r->rseq - 1 };
    return &ck->streams [ck->nstreams++];
}

static void
s_check_file (s_check_t *ck, uint32_t file, zc_hmap_t *by_msg)
{
    zc_history_t *self = ck->self;
    zc_hfile_t *f = &self->files [file];
    size_t first = ck->nstreams;
    uint64_t last_seq = 0;
    for (size_t i = f->recv_lo; i < f->recv_hi; i++) {
        const zc_recv_t *r = &self->recvs [i];
        uint32_t j = zc_hmap_put (&ck->delivered, file, r->seq, (uint32_t) i);
        if (j != i) {
            s_report (ck, ZC_HISTORY_DUPLICATE, file, r->line, r->seq,
                "seq %" PRIu64 " delivered again (first at line %u)",
                r->seq, self->recvs [j].line);
            continue;
        }
        j = zc_hmap_put (by_msg, (uint64_t) file << 32 | r->client, r->id,
                         (uint32_t) i);
        if (j != i)             //  another seq: its position still counts
            s_report (ck, ZC_HISTORY_DUPLICATE, file, r->line, r->seq,
                "%s#%" PRIu64 " delivered again at seq %" PRIu64 " (first at"
                " seq %" PRIu64 ", line %u)", s_str (ck, r->client), r->id,
                r->seq, self->recvs [j].seq, self->recvs [j].line);
        if (f->room != ZC_NONE && r->room != f->room) {
            s_report (ck, ZC_HISTORY_ROOM, file, r->line, r->seq,
                "delivered seq %" PRIu64 " of room %s, but listens to %s",
                r->seq, s_str (ck, r->room), s_str (ck, f->room));
            continue;
        }
        if (r->seq < last_seq) {
            s_report (ck, ZC_HISTORY_ORDER, file, r->line, r->seq,
                "seq %" PRIu64 " delivered after seq %" PRIu64,
                r->seq, last_seq);
            continue;
        }
        last_seq = r->seq;
        s_stream_t *st = s_stream (ck, first, file, r);
        if (r->rseq > st->last_rseq + 1)
            s_report (ck, ZC_HISTORY_GAP, file, r->line, r->seq,
                "room %s: rseq jumps from %" PRIu64 " to %" PRIu64 " (seq %"
                PRIu64 " to %" PRIu64 ")", s_str (ck, r->room),
                st->last_rseq, r->rseq, st->last_seq, r->seq);
        else
        if (r->rseq <= st->last_rseq)
            s_report (ck, ZC_HISTORY_ORDER, file, r->line, r->seq,
                "room %s: rseq %" PRIu64 " delivered after rseq %" PRIu64,
                s_str (ck, r->room), r->rseq, st->last_rseq);
        if (r->rseq > st->last_rseq)
            st->last_rseq = r->rseq;
        st->last_seq = r->seq;
    }
}

//  --------------------------------------------------------------------------
//  Senders: Lamport causality, acks of sent messages, ids contiguous

static int
s_sent_cmp (const void *x, const void *y, void *arg)
{
    const zc_sent_t *s = arg;
    const zc_sent_t *a = &s [*(const uint32_t *) x];
    const zc_sent_t *b = &s [*(const uint32_t *) y];
    if (a->client != b->client)
        return a->client < b->client ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static void
s_check_senders (s_check_t *ck)
{
    zc_history_t *self = ck->self;
    zc_hmap_t by_msg;           //  (client, id) -> first sent
    zc_hmap_init (&by_msg, self->nsents);
    uint32_t *firsts = zc_xmalloc ((self->nsents + 1) * sizeof (uint32_t));
    size_t nfirsts = 0;

    for (size_t i = 0; i < self->nsents; i++) {
        const zc_sent_t *s = &self->sents [i];
        if (s->ts <= s->prior_ts)
            s_report (ck, ZC_HISTORY_CAUSAL, s->file, s->line, 0,
                "sent %s#%" PRIu64 " with ts %" PRIu64 ", not above ts %"
                PRIu64 " delivered before", s_str (ck, s->client), s->id,
                s->ts, s->prior_ts);
        //  Refused, or moved down one id by a refusal: that line names
        //  no message any more (its `sent` line under the new id does)
        if (s->withdrawn)
            continue;
        uint32_t j = zc_hmap_put (&by_msg, s->client, s->id, (uint32_t) i);
        if (j == i)
            firsts [nfirsts++] = j;
        else
        if (self->sents [j].ts != s->ts)
            s_report (ck, ZC_HISTORY_IDS, s->file, s->line, 0,
                "%s#%" PRIu64 " sent again with ts %" PRIu64 " (first with ts %"
                PRIu64 ", %s:%u)", s_str (ck, s->client), s->id, s->ts,
                self->sents [j].ts, s_path (ck, self->sents [j].file),
                self->sents [j].line);
    }
    //  Every delivery carries the text its sender sent
    for (size_t i = 0; i < self->nrecvs; i++) {
        const zc_recv_t *r = &self->recvs [i];
        uint32_t *j = r->has_text ? zc_hmap_find (&by_msg, r->client, r->id) : NULL;
        if (j && self->sents [*j].has_text && self->sents [*j].text != r->text)
            s_report (ck, ZC_HISTORY_CONFLICT, r->file, r->line, r->seq,
                "%s#%" PRIu64 " delivered with another text than its sender sent (%s:%u)",
                s_str (ck, r->client), r->id, s_path (ck, self->sents [*j].file),
                self->sents [*j].line);
    }
    for (size_t i = 0; i < self->nacks; i++) {
        const zc_ack_t *a = &self->acks [i];
        uint32_t *j = zc_hmap_find (&by_msg, a->client, a->id);
        if (a->refused)
            s_report (ck, ZC_HISTORY_IDS, a->file, a->line, a->seq,
                "ack of %s#%" PRIu64 ", which was refused and not sent again",
                s_str (ck, a->client), a->id);
        else
        if (!j)
            s_report (ck, ZC_HISTORY_IDS, a->file, a->line, a->seq,
                "ack of %s#%" PRIu64 ", which was never sent",
                s_str (ck, a->client), a->id);
        else
        if (a->ts <= self->sents [*j].ts)
            s_report (ck, ZC_HISTORY_CAUSAL, a->file, a->line, a->seq,
                "ack of %s#%" PRIu64 " stamped ts %" PRIu64 ", not above the"
                " sent ts %" PRIu64, s_str (ck, a->client), a->id, a->ts,
                self->sents [*j].ts);
    }
    qsort_r (firsts, nfirsts, sizeof (uint32_t), s_sent_cmp, self->sents);
    for (size_t i = 0; i < nfirsts; i++) {
        const zc_sent_t *s = &self->sents [firsts [i]];
        const zc_sent_t *p = i ? &self->sents [firsts [i - 1]] : NULL;
        if (!p || p->client != s->client) {
            self->last.senders++;
            if (s->id != 1)
                s_report (ck, ZC_HISTORY_IDS, s->file, s->line, 0,
                    "%s: sent ids start at %" PRIu64 ", not 1",
                    s_str (ck, s->client), s->id);
        }
        else
        if (s->id != p->id + 1)
            s_report (ck, ZC_HISTORY_IDS, s->file, s->line, 0,
                "%s: sent ids jump from %" PRIu64 " to %" PRIu64,
                s_str (ck, s->client), p->id, s->id);
    }
    free (firsts);
    zc_hmap_free (&by_msg);
}

//  --------------------------------------------------------------------------
//  Nothing lost: every message of a room reaches each live client of it

static void
s_index_rooms (s_check_t *ck)
{
    size_t nrooms = ck->self->strs.count;
    ck->room_lo = zc_xcalloc (nrooms + 2, sizeof (size_t));
    ck->room_idx = zc_xmalloc ((ck->nentries + 1) * sizeof (uint32_t));
    for (size_t i = 0; i < ck->nentries; i++)
        if (ck->entries [i].room != ZC_NONE)
            ck->room_lo [ck->entries [i].room + 2]++;
    for (size_t r = 2; r < nrooms + 2; r++)
        ck->room_lo [r] += ck->room_lo [r - 1];
    for (size_t i = 0; i < ck->nentries; i++)   //  stable: seq order kept
        if (ck->entries [i].room != ZC_NONE)
            ck->room_idx [ck->room_lo [ck->entries [i].room + 1]++] =
                (uint32_t) i;
}

static void
s_check_complete (s_check_t *ck, const s_stream_t *st)
{
    zc_hfile_t *f = &ck->self->files [st->file];
    size_t lo = ck->room_lo [st->room], hi = ck->room_lo [st->room + 1];
    while (lo < hi) {           //  first entry of the room above start
        size_t mid = lo + (hi - lo) / 2;
        if (ck->entries [ck->room_idx [mid]].seq <= f->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < ck->room_lo [st->room + 1]; k++) {
        const s_entry_t *e = &ck->entries [ck->room_idx [k]];
        if (f->has_end && e->seq > f->end)
            break;              //  it left after its last delivery (`end`)
        if (zc_hmap_find (&ck->delivered, st->file, e->seq))
            continue;
        if (e->seq < st->last_seq || ck->opts.expect_complete)
            s_report (ck, ZC_HISTORY_MISSING, st->file, 0, e->seq,
                e->seq < st->last_seq
                ? "room %s: seq %" PRIu64 " (%s#%" PRIu64 ", %s) not delivered,"
                  " though later seq %" PRIu64 " was"
                : "room %s: seq %" PRIu64 " (%s#%" PRIu64 ", %s) not delivered;"
                  " the last delivered was seq %" PRIu64,
                s_str (ck, st->room), e->seq, s_str (ck, e->client), e->id,
                e->has_ack ? "acked" : "delivered elsewhere", st->last_seq);
    }
}

//  A listener that delivered nothing in its room still expects what was
//  stored there after its start: its `start` line says it listened, and a
//  room where every message was lost must not pass for one nobody heard
static void
s_silent_listeners (s_check_t *ck)
{
    zc_history_t *self = ck->self;
    for (uint32_t file = 0; file < self->nfiles; file++) {
        zc_hfile_t *f = &self->files [file];
        if (!f->has_start || f->room == ZC_NONE)
            continue;
        bool seen = false;
        for (size_t i = 0; i < ck->nstreams && !seen; i++)
            seen = ck->streams [i].file == file && ck->streams [i].room == f->room;
        if (seen)
            continue;
        ck->streams = zc_grow (ck->streams, &ck->streams_cap,
                               ck->nstreams + 1, sizeof (s_stream_t));
        ck->streams [ck->nstreams++] = (s_stream_t) {
            .file = file, .room = f->room, .last_seq = f->start };
    }
}

//  A client's own `start` and `end` lines are claims, checked against its
//  own deliveries and acks: nothing delivered at or below its start, no
//  message it sent after its start stored at or below it, nothing
//  delivered past its end.  (A start pushed past the truth would excuse
//  every loss below it.)
static void
s_check_bounds (s_check_t *ck)
{
    zc_history_t *self = ck->self;
    for (uint32_t file = 0; file < self->nfiles; file++) {
        zc_hfile_t *f = &self->files [file];
        for (size_t i = f->recv_lo; i < f->recv_hi; i++) {
            const zc_recv_t *r = &self->recvs [i];
            if (f->has_start && r->seq <= f->start)
                s_report (ck, ZC_HISTORY_BOUNDS, file, r->line, r->seq,
                    "delivered seq %" PRIu64 ", at or below its start %" PRIu64
                    " (line %u)", r->seq, f->start, f->start_line);
            if (f->has_end && r->seq > f->end)
                s_report (ck, ZC_HISTORY_BOUNDS, file, r->line, r->seq,
                    "delivered seq %" PRIu64 ", past its end %" PRIu64 " (line %u)",
                    r->seq, f->end, f->end_line);
        }
    }
    for (size_t i = 0; i < self->nacks; i++) {
        const zc_ack_t *a = &self->acks [i];
        const zc_hfile_t *f = &self->files [a->file];
        if (a->after_start && a->seq <= f->start)
            s_report (ck, ZC_HISTORY_BOUNDS, a->file, a->line, a->seq,
                "%s#%" PRIu64 ", sent after its start %" PRIu64 " (line %u), acked "
                "at seq %" PRIu64, s_str (ck, a->client), a->id, f->start,
                f->start_line, a->seq);
        if (a->after_lost)
            s_report (ck, ZC_HISTORY_ACK, a->file, a->line, a->seq,
                "%s#%" PRIu64 " acked after its `lost` line", s_str (ck, a->client), a->id);
    }
    for (size_t i = 0; i < self->nlosts; i++) {
        const zc_lost_t *l = &self->losts [i];
        if (!l->sent)
            s_report (ck, ZC_HISTORY_IDS, l->file, l->line, 0,
                "%s#%" PRIu64 " lost, but never sent", s_str (ck, l->client), l->id);
        else
        if (l->acked)
            s_report (ck, ZC_HISTORY_ACK, l->file, l->line, 0,
                "%s#%" PRIu64 " lost after it was acked", s_str (ck, l->client), l->id);
    }
}

//  One leader per epoch (history_split.c) reports through here
static void
s_split_report (void *arg, zc_history_kind_t kind, const zc_ack_t *a,
                const char *text)
{
    s_report (arg, kind, a->file, a->line, a->seq, "%s", text);
}

//  --------------------------------------------------------------------------

size_t
zc_history_check (zc_history_t *self, const zc_history_opts_t *opts,
                  zc_history_report_fn *report, void *arg)
{
    assert (self);
    s_clear_violations (self);
    s_check_t ck = { .self = self, .report = report, .arg = arg };
    if (opts)
        ck.opts = *opts;
    else
        zc_history_opts_default (&ck.opts);

    s_build_entries (&ck);
    s_check_log (&ck);

    zc_hmap_t by_msg;           //  (file, client, id) -> recv
    zc_hmap_init (&by_msg, self->nrecvs);
    zc_hmap_init (&ck.delivered, self->nrecvs);
    for (size_t f = 0; f < self->nfiles; f++)
        s_check_file (&ck, (uint32_t) f, &by_msg);
    zc_hmap_free (&by_msg);

    s_check_senders (&ck);
    zc_history_check_split (self, s_split_report, &ck);
    s_check_bounds (&ck);

    s_silent_listeners (&ck);
    s_index_rooms (&ck);
    for (size_t i = 0; i < ck.nstreams; i++)
        s_check_complete (&ck, &ck.streams [i]);

    self->last.seqs = ck.nentries;
    free (ck.entries);
    free (ck.streams);
    free (ck.room_lo);
    free (ck.room_idx);
    zc_hmap_free (&ck.by_seq);
    zc_hmap_free (&ck.delivered);
    return self->last.violations;
}
