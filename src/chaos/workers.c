/*  workers.c — K client threads, each with its own zc_client in one room
    among a few, sending at a fixed rate and writing a record file in the
    format of src/check/history.h (room, start, sent, ack with the
    acknowledging node and its epoch, recv, leader, lost; notices as
    comment lines that the checker ignores).

    The main thread reads progress through atomics (for the drain at the
    end) and, once the threads are joined, their ack times and epochs.
*/
#include "chaos.h"
#include "oom.h"
#include "texthash.h"

#include <client.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    zc_workers_t *w;
    unsigned index;
    char room [32], name [32], path [600];
    pthread_t thread;
    bool started;
    //  The thread's own, read after the join
    zc_ack_time_t *acks;
    size_t nacks, acks_cap;
    uint64_t *epochs;
    size_t nepochs, epochs_cap;
    //  Shared
    atomic_uint_fast64_t sent, acked, delivered, notices, lost;
    atomic_uint_fast64_t unacked, last_recv_seq, max_ack_seq;
    atomic_bool following, failed;
} s_worker_t;

struct zc_workers {
    zc_chaos_t *ch;
    atomic_bool sending, stop;
    s_worker_t *wk;
    unsigned count;
    zc_ack_time_t *all_acks;
    size_t nall;
};

static void
s_epoch (s_worker_t *wk, uint64_t epoch)
{
    if (!epoch || (wk->nepochs && wk->epochs [wk->nepochs - 1] == epoch))
        return;
    for (size_t i = 0; i < wk->nepochs; i++)
        if (wk->epochs [i] == epoch)
            return;
    wk->epochs = zc_grow (wk->epochs, &wk->epochs_cap, wk->nepochs + 1, sizeof (uint64_t));
    wk->epochs [wk->nepochs++] = epoch;
}

//  Every line ends with @<seconds since the start>: a field the checker
//  ignores (extra trailing fields), for reading a run's timeline
static void
s_event (s_worker_t *wk, FILE *rec, const zc_event_t *ev)
{
    zc_chaos_t *ch = wk->w->ch;
    int64_t t = zc_chaos_t_ms (ch);
    double at = (double) t / 1000.0;
    switch (ev->type) {
        case ZC_EV_MESSAGE:
            fprintf (rec, "recv %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %" PRIu64
                     " %s t=%016" PRIx64 " @%.3f\n", ev->seq, ev->rseq, ev->ts, ev->epoch,
                     ev->client, ev->id, ev->room, zc_text_hash (ev->text, ev->text_len), at);
            atomic_fetch_add (&wk->delivered, 1);
            atomic_store (&wk->last_recv_seq, ev->seq);
            break;
        case ZC_EV_MEMBERS:             //  presence is off here
            break;
        case ZC_EV_ACK:
            fprintf (rec, "ack %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %" PRIu64 " @%.3f\n",
                     ev->client, ev->id, ev->seq, ev->ts, ev->epoch, ev->leader, ev->lead_epoch, at);
            atomic_fetch_add (&wk->acked, 1);
            if (ev->seq > atomic_load (&wk->max_ack_seq))
                atomic_store (&wk->max_ack_seq, ev->seq);
            wk->acks = zc_grow (wk->acks, &wk->acks_cap, wk->nacks + 1, sizeof (zc_ack_time_t));
            wk->acks [wk->nacks++] = (zc_ack_time_t) {
                .t = t, .node = ev->leader, .lead_epoch = ev->lead_epoch, .worker = wk->index - 1 };
            s_epoch (wk, ev->epoch);
            s_epoch (wk, ev->lead_epoch);
            break;
        case ZC_EV_LEADER:
            fprintf (rec, "leader %u %" PRIu64 " @%.3f\n", ev->leader, ev->epoch, at);
            atomic_store (&wk->following, true);
            s_epoch (wk, ev->epoch);
            break;
        case ZC_EV_START:
            fprintf (rec, "start %" PRIu64 " @%.3f\n", ev->seq, at);
            break;
        case ZC_EV_REFUSED:
            fprintf (rec, "refused %s %" PRIu64 " @%.3f\n", ev->client, ev->id, at);
            //  The later pending messages moved down one id each: their
            //  `sent` lines again, under the new ids (as chat-client does)
            for (size_t i = 0; i < ev->moved; i++)
                if (ev->moved_ts [i])
                    fprintf (rec, "sent %s %" PRIu64 " %" PRIu64 " @%.3f\n", ev->client,
                             ev->id + i, ev->moved_ts [i], at);
            break;
        case ZC_EV_FORGOTTEN:
            //  Acknowledged, then lost in a leader change (--quorum 1 only):
            //  recorded; the checker finds them MISSING as any lost ack
            for (uint64_t i = 0; i < ev->count; i++)
                fprintf (rec, "forgotten %s %" PRIu64 " @%.3f\n", ev->client, ev->id + i, at);
            break;
        case ZC_EV_EXPIRED:
            //  Retired by --client-ttl, not lost: a comment for the reader
            fprintf (rec, "# expired %s %" PRIu64 "-%" PRIu64 " @%.3f\n", ev->client, ev->id,
                     ev->id + ev->count - 1, at);
            break;
        case ZC_EV_LOST:
            fprintf (rec, "lost %s %" PRIu64 " @%.3f\n", ev->client, ev->id, at);
            atomic_fetch_add (&wk->lost, 1);
            break;
        case ZC_EV_NOTICE:
            fprintf (rec, "# notice @%.3f: ", at);
            for (size_t i = 0; i < ev->text_len; i++)
                fputc (ev->text [i] == '\n' ? ' ' : ev->text [i], rec);
            fputc ('\n', rec);
            atomic_fetch_add (&wk->notices, 1);
            break;
    }
}

static void *
s_worker (void *arg)
{
    s_worker_t *wk = arg;
    zc_workers_t *w = wk->w;
    zc_chaos_t *ch = w->ch;
    FILE *rec = fopen (wk->path, "we");
    zc_client_config_t cfg = {
        .servers = ch->servers, .room = wk->room, .name = wk->name,
        .verbose = ch->verbose > 1 };
    char err [256] = "";
    zc_client_t *client = rec ? zc_client_new (&cfg, err, sizeof (err)) : NULL;
    if (!client) {
        zc_chaos_log (ch, "worker %u cannot start: %s", wk->index, rec ? err : wk->path);
        atomic_store (&wk->failed, true);
        if (rec)
            fclose (rec);
        return NULL;
    }
    fprintf (rec, "room %s\n", wk->room);
    double interval = 1000.0 / ch->rate, next = 0;
    uint64_t count = 0;
    int64_t flushed = 0;
    char text [128];
    while (!atomic_load (&w->stop)) {
        int64_t now = zc_now_ms ();
        int timeout = 50;
        if (atomic_load (&w->sending)) {
            if (next == 0)      //  workers spread over the interval
                next = (double) now + interval * (wk->index - 1) / w->count;
            if (next < (double) now - 1000)
                next = (double) now;    //  far behind: no burst
            if ((double) now >= next) {
                snprintf (text, sizeof (text), "chaos %s message %" PRIu64 " of seed %" PRIu64,
                          wk->name, ++count, ch->seed);
                uint64_t ts = 0;
                uint64_t id = zc_client_post (client, text, &ts);
                if (id) {
                    fprintf (rec, "sent %s %" PRIu64 " %" PRIu64 " t=%016" PRIx64 " @%.3f\n",
                             zc_client_id (client), id, ts, zc_text_hash (text, strlen (text)),
                             (double) zc_chaos_t_ms (ch) / 1000.0);
                    atomic_fetch_add (&wk->sent, 1);
                }
                next += interval;
            }
            double wait = next - (double) zc_now_ms ();
            timeout = wait < 0 ? 0 : wait > 50 ? 50 : (int) wait;
        }
        else
            next = 0;
        zc_event_t ev;
        int rc = zc_client_wait (client, timeout, -1, &ev);
        while (rc == 1) {
            s_event (wk, rec, &ev);
            rc = zc_client_wait (client, 0, -1, &ev);
        }
        atomic_store (&wk->unacked, zc_client_unacked (client));
        if (now - flushed >= 200) {
            fflush (rec);
            flushed = now;
        }
    }
    zc_client_destroy (&client);
    fclose (rec);
    return NULL;
}

zc_workers_t *
zc_workers_start (zc_chaos_t *ch, char *err, size_t errlen)
{
    zc_workers_t *w = calloc (1, sizeof (*w));
    s_worker_t *wk = calloc (ch->workers, sizeof (s_worker_t));
    if (!w || !wk)
        abort ();
    w->ch = ch;
    w->wk = wk;
    w->count = ch->workers;
    for (unsigned i = 0; i < w->count; i++) {
        wk [i].w = w;
        wk [i].index = i + 1;
        snprintf (wk [i].room, sizeof (wk [i].room), "room%u", i % ch->rooms);
        snprintf (wk [i].name, sizeof (wk [i].name), "w%u", i + 1);
        snprintf (wk [i].path, sizeof (wk [i].path), "%s/w%u.rec", ch->run_dir, i + 1);
        if (pthread_create (&wk [i].thread, NULL, s_worker, &wk [i]) != 0) {
            snprintf (err, errlen, "cannot start worker thread %u", i + 1);
            zc_workers_join (w);
            zc_workers_free (&w);
            return NULL;
        }
        wk [i].started = true;
    }
    return w;
}

bool
zc_workers_following (zc_workers_t *w)
{
    for (unsigned i = 0; i < w->count; i++)
        if (!atomic_load (&w->wk [i].following) && !atomic_load (&w->wk [i].failed))
            return false;
    return true;
}

void
zc_workers_sending (zc_workers_t *w, bool on)
{
    atomic_store (&w->sending, on);
}

bool
zc_workers_drained (zc_workers_t *w, char *why, size_t cap)
{
    uint64_t room_max [ZC_CHAOS_MAX_ROOMS] = { 0 };
    unsigned rooms = w->ch->rooms;
    for (unsigned i = 0; i < w->count; i++) {
        s_worker_t *wk = &w->wk [i];
        uint64_t unacked = atomic_load (&wk->unacked);
        if (unacked) {
            snprintf (why, cap, "worker %u has %" PRIu64 " message(s) not acknowledged",
                      wk->index, unacked);
            return false;
        }
        uint64_t top = atomic_load (&wk->max_ack_seq);
        if (top > room_max [i % rooms])
            room_max [i % rooms] = top;
    }
    for (unsigned i = 0; i < w->count; i++) {
        s_worker_t *wk = &w->wk [i];
        uint64_t last = atomic_load (&wk->last_recv_seq);
        if (!atomic_load (&wk->failed) && last < room_max [i % rooms]) {
            snprintf (why, cap, "worker %u delivered up to seq %" PRIu64 ", its room "
                      "has acknowledged messages up to seq %" PRIu64,
                      wk->index, last, room_max [i % rooms]);
            return false;
        }
    }
    return true;
}

static int
s_cmp_ack (const void *x, const void *y)
{
    int64_t a = ((const zc_ack_time_t *) x)->t, b = ((const zc_ack_time_t *) y)->t;
    return a < b ? -1 : a > b;
}

static int
s_cmp_u64 (const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *) x, b = *(const uint64_t *) y;
    return a < b ? -1 : a > b;
}

void
zc_workers_join (zc_workers_t *w)
{
    atomic_store (&w->stop, true);
    for (unsigned i = 0; i < w->count; i++)
        if (w->wk [i].started) {
            pthread_join (w->wk [i].thread, NULL);
            w->wk [i].started = false;
        }
    free (w->all_acks);
    w->all_acks = NULL;
    w->nall = 0;
    size_t cap = 0;
    for (unsigned i = 0; i < w->count; i++) {
        s_worker_t *wk = &w->wk [i];
        w->all_acks = zc_grow (w->all_acks, &cap, w->nall + wk->nacks + 1, sizeof (zc_ack_time_t));
        if (wk->nacks)
            memcpy (w->all_acks + w->nall, wk->acks, wk->nacks * sizeof (zc_ack_time_t));
        w->nall += wk->nacks;
    }
    if (w->nall)
        qsort (w->all_acks, w->nall, sizeof (zc_ack_time_t), s_cmp_ack);
}

void
zc_workers_totals (zc_workers_t *w, zc_workers_totals_t *t)
{
    memset (t, 0, sizeof (*t));
    uint64_t *all = NULL;
    size_t n = 0, cap = 0;
    for (unsigned i = 0; i < w->count; i++) {
        s_worker_t *wk = &w->wk [i];
        t->sent += atomic_load (&wk->sent);
        t->acked += atomic_load (&wk->acked);
        t->delivered += atomic_load (&wk->delivered);
        t->notices += atomic_load (&wk->notices);
        t->lost += atomic_load (&wk->lost);
        uint64_t max_ack = atomic_load (&wk->max_ack_seq);
        if (max_ack > t->max_ack_seq)
            t->max_ack_seq = max_ack;
        if (wk->started)
            continue;           //  epochs are the thread's until it is joined
        all = zc_grow (all, &cap, n + wk->nepochs + 1, sizeof (uint64_t));
        if (wk->nepochs)
            memcpy (all + n, wk->epochs, wk->nepochs * sizeof (uint64_t));
        n += wk->nepochs;
    }
    if (n) {
        qsort (all, n, sizeof (uint64_t), s_cmp_u64);
        t->first_epoch = all [0];
        t->last_epoch = all [n - 1];
        for (size_t i = 0; i < n; i++)
            if (i == 0 || all [i] != all [i - 1])
                t->epochs++;
    }
    free (all);
}

const zc_ack_time_t *
zc_workers_ack_times (zc_workers_t *w, size_t *count)
{
    *count = w->nall;
    return w->all_acks;
}

const char *
zc_workers_record (zc_workers_t *w, unsigned i)
{
    return i < w->count ? w->wk [i].path : NULL;
}

void
zc_workers_free (zc_workers_t **w_p)
{
    zc_workers_t *w = *w_p;
    if (!w)
        return;
    for (unsigned i = 0; i < w->count; i++) {
        free (w->wk [i].acks);
        free (w->wk [i].epochs);
    }
    free (w->wk);
    free (w->all_acks);
    free (w);
    *w_p = NULL;
}
