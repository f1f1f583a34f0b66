/*  baseline_report.c — the results of a run: what the threads recorded,
    summed up, and reported as one human line and one CSV line in
    zchat-bench's columns, in its order, so that one script can put
    zchat and the systems compared in one table.  A column a mode has no
    notion of is 0 (see --help).  See baseline.h.
*/
#include "baseline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


static void
s_collect_senders (const zb_opts_t *opts, zb_sender_t *senders, zb_result_t *r,
                   zb_samples_t *ack)
{
    int64_t t0 = atomic_load (&zb_t0), send_end = t0;
    uint64_t acked_in = 0;
    for (uint32_t i = 0; i < opts->senders; i++) {
        zb_sender_t *s = &senders [i];
        r->posted += s->posted;
        r->acked += s->acked;
        acked_in += s->acked_in;
        r->notices += s->notices;
        r->stalled += s->stalled;
        if (s->end_us > send_end)
            send_end = s->end_us;
        zb_samples_merge (ack, &s->ack);
    }
    r->send_secs = (double) (send_end - t0) / 1e6;
    r->ack_rate = (double) acked_in / opts->duration;
}

void
zb_collect (const zb_opts_t *opts, zb_sender_t *senders, zb_sub_t *subs, zb_result_t *r)
{
    zb_samples_t ack = { 0 }, e2e = { 0 };
    s_collect_senders (opts, senders, r, &ack);
    for (uint32_t j = 0; j < opts->subscribers; j++) {
        zb_sub_t *b = &subs [j];
        for (uint32_t i = 0; i < opts->senders; i++)
            r->lost += zb_set_missing (&b->seen [i], senders [i].posted);
        r->delivered += b->delivered;
        r->dups += b->dups;
        r->reordered += b->reordered;
        r->foreign += b->foreign;
        r->notices += b->notices;
        r->cut_off += b->closed;
        //  What came within --duration over it: the steady state, not
        //  the tail of the drain
        r->total_rate += (double) b->delivered_in / opts->duration;
        zb_samples_merge (&e2e, &b->e2e);
    }
    r->sub_rate = opts->subscribers? r->total_rate / opts->subscribers: 0;
    zb_samples_sort (&ack);
    zb_samples_sort (&e2e);
    if (opts->cdf)
        zb_samples_write_cdf (&e2e, opts->cdf, opts->label);
    zb_samples_summary (&ack, r->ack);
    zb_samples_summary (&e2e, r->e2e);
    zb_samples_free (&ack);
    zb_samples_free (&e2e);
}

static void
s_csv_line (FILE *file, const zb_opts_t *opts, const zb_result_t *r)
{
    time_t now = time (NULL);
    char date [32];
    strftime (date, sizeof (date), "%Y-%m-%dT%H:%M:%S", localtime (&now));
    bool pubsub = opts->mode == ZB_PUBSUB;
    fprintf (file, "%s,%s,%d,%u,%u,%.0f,%u,%u,%.2f,%" PRIu64 ",%" PRIu64 ",%.0f,%.0f,%.0f",
             opts->label, date, pubsub? 0: 1, opts->senders, opts->subscribers, opts->rate,
             pubsub? 0: opts->window, opts->size, r->send_secs, r->posted, r->acked,
             r->ack_rate, r->sub_rate, r->total_rate);
    for (int i = 0; i < 5; i++)
        fprintf (file, ",%u", r->ack [i]);
    for (int i = 0; i < 5; i++)
        fprintf (file, ",%u", r->e2e [i]);
    fprintf (file, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",0,%" PRIu64 ",0,%" PRIu64 "\n",
             r->lost, r->dups, r->reordered, r->notices, r->stalled);
}

static void
s_human_line (const zb_opts_t *opts, const zb_result_t *r)
{
    char mode [64], acks [160] = "", extra [160] = "";
    if (opts->rate > 0)
        snprintf (mode, sizeof (mode), "%.0f msgs/s each", opts->rate);
    else
    if (opts->mode == ZB_PUBSUB)
        snprintf (mode, sizeof (mode), "flat out");
    else
        snprintf (mode, sizeof (mode), "flat out, window %u", opts->window);
    if (zb_ops->acks)
        snprintf (acks, sizeof (acks), "acked %.0f msgs/s (%" PRIu64 "), ack us p50 %u p99 %u"
                  " max %u; ", r->ack_rate, r->acked, r->ack [0], r->ack [2], r->ack [4]);
    if (r->cut_off || r->foreign)
        snprintf (extra, sizeof (extra), ", %u subscribers cut off, %" PRIu64
                  " messages not from this run", r->cut_off, r->foreign);
    double posted_rate = r->send_secs > 0? (double) r->posted / r->send_secs: 0;
    printf ("zchat-baseline %s: %u senders (%s), %u subscribers, %u B, %.1f s: posted %"
            PRIu64 " (%.0f msgs/s while sending); %sdelivered %.0f msgs/s per subscriber,"
            " %.0f in total; sender->receiver us p50 %u p90 %u p99 %u p99.9 %u max %u;"
            " lost %" PRIu64 ", twice %" PRIu64 ", out of order %" PRIu64 ", notices %"
            PRIu64 "%s%s\n",
            opts->mode_name, opts->senders, mode, opts->subscribers, opts->size,
            r->send_secs, r->posted, posted_rate, acks, r->sub_rate, r->total_rate,
            r->e2e [0], r->e2e [1], r->e2e [2], r->e2e [3], r->e2e [4], r->lost, r->dups,
            r->reordered, r->notices, extra, r->stalled? ", A SENDER STALLED": "");
}

void
zb_report (const zb_opts_t *opts, const zb_result_t *r)
{
    s_human_line (opts, r);
    fputs (ZB_CSV_HEADER, stdout);
    s_csv_line (stdout, opts, r);
    fflush (stdout);
    if (opts->csv) {
        FILE *file = fopen (opts->csv, "a");
        if (!file) {
            fprintf (stderr, "zchat-baseline: cannot open %s: %s\n", opts->csv, strerror (errno));
            return;
        }
        if (ftell (file) == 0)
            fputs (ZB_CSV_HEADER, file);
        s_csv_line (file, opts, r);
        fclose (file);
    }
}
