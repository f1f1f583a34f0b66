/*  report.c — the verdict: run the history checker over the workers'
    records, add the harness's own findings (CRASH, CONVERGE, DRAIN),
    measure the client-visible outage of every fault (docs/DESIGN.md §10: from the
    fault to the first message acknowledged after it) and, from the nodes'
    election lines, its detection and election times (timing.c); print the
    report and write the JSON summary and the CSV.
*/
#include "json.h"
#include "chaos.h"

#include <history.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_VIOLATIONS 25

typedef struct {
    char **items;
    size_t count, cap;
} s_list_t;

static void
s_add (s_list_t *list, const char *text)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 64;
        list->items = realloc (list->items, list->cap * sizeof (char *));
        if (!list->items)
            abort ();
    }
    list->items [list->count] = strdup (text);
    if (!list->items [list->count])
        abort ();
    list->count++;
}

static void
s_on_violation (const zc_history_violation_t *v, void *arg)
{
    char text [800];
    char kind [16];
    snprintf (kind, sizeof (kind), "%s", zc_history_kind_name (v->kind));
    for (char *k = kind; *k; k++)
        *k = (char) (*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
    const char *file = v->file ? strrchr (v->file, '/') : NULL;
    snprintf (text, sizeof (text), "%s: %s:%u: %s", kind,
              file ? file + 1 : v->file ? v->file : "-", v->line, v->text);
    s_add (arg, text);
}

static int
s_cmp_i64 (const void *x, const void *y)
{
    int64_t a = *(const int64_t *) x, b = *(const int64_t *) y;
    return a < b ? -1 : a > b;
}

//  Nearest-rank percentile of n sorted values
static int64_t
s_pct (const int64_t *v, size_t n, double p)
{
    size_t rank = (size_t) (p * (double) n + 0.999999);
    return v [rank ? rank - 1 : 0];
}

//  The client-visible outage of one fault: from t (the fault, or a
//  hand-over's start) to the first ack after it, of any client (fastest)
//  and of each client, the longest of those (slowest); -1 if none came
//  (slowest: if some client got none).  Acks of the leadership the fault
//  struck (its node in its epoch) in the first IN_FLIGHT_MS were on their
//  way before it: they do not count.  On loopback a killed leader's
//  connections close at once, so clients differ little; a frozen or cut
//  off leader is noticed by each client's own timers, and the slowest
//  client is what a user may see.
#define IN_FLIGHT_MS 100
typedef struct {
    int64_t fastest, slowest;
} s_outage_t;

static s_outage_t
s_outage (const zc_ack_time_t *acks, size_t n, unsigned workers, const zc_fault_run_t *run,
          int64_t t)
{
    s_outage_t o = { -1, -1 };
    if (t < 0)
        return o;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (acks [mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    bool *seen = calloc (workers + 1, sizeof (bool));
    if (!seen)
        abort ();
    unsigned left = workers;
    for (; lo < n && left; lo++) {
        const zc_ack_time_t *ack = &acks [lo];
        if (run->struck_leader && ack->node == run->old_leader
        &&  ack->lead_epoch == run->old_epoch && ack->t <= t + IN_FLIGHT_MS)
            continue;
        if (o.fastest < 0)
            o.fastest = ack->t - t;
        if (ack->worker < workers && !seen [ack->worker]) {
            seen [ack->worker] = true;
            o.slowest = ack->t - t;
            left--;
        }
    }
    if (left)
        o.slowest = -1;
    free (seen);
    return o;
}

typedef struct {
    size_t count;
    int64_t min, median, p99, max;
} s_stats_t;

static s_stats_t
s_stats (int64_t *v, size_t n)
{
    s_stats_t st = { .count = n };
    if (n) {
        qsort (v, n, sizeof (int64_t), s_cmp_i64);
        st.min = v [0];
        st.median = s_pct (v, n, 0.5);
        st.p99 = s_pct (v, n, 0.99);
        st.max = v [n - 1];
    }
    return st;
}

//  Values of one measure, by fault kind (-1: not measured, left out)
typedef struct {
    int64_t *v [ZC_F_KINDS];
    size_t n [ZC_F_KINDS];
    s_stats_t st [ZC_F_KINDS];
} s_by_kind_t;

static void
s_by_kind_init (s_by_kind_t *bk, size_t cap)
{
    memset (bk, 0, sizeof (*bk));
    for (int k = 0; k < ZC_F_KINDS; k++) {
        bk->v [k] = calloc (cap + 1, sizeof (int64_t));
        if (!bk->v [k])
            abort ();
    }
}

static void
s_by_kind_add (s_by_kind_t *bk, zc_fault_kind_t k, int64_t value)
{
    if (value >= 0)
        bk->v [k][bk->n [k]++] = value;
}

static void
s_by_kind_done (s_by_kind_t *bk)
{
    for (int k = 0; k < ZC_F_KINDS; k++)
        bk->st [k] = s_stats (bk->v [k], bk->n [k]);
}

static void
s_by_kind_free (s_by_kind_t *bk)
{
    for (int k = 0; k < ZC_F_KINDS; k++)
        free (bk->v [k]);
}

static void
s_json_stats (FILE *out, const s_stats_t *st)
{
    fprintf (out, "{\"count\":%zu", st->count);
    if (st->count)
        fprintf (out, ",\"min\":%" PRId64 ",\"median\":%" PRId64 ",\"p99\":%" PRId64
                 ",\"max\":%" PRId64, st->min, st->median, st->p99, st->max);
    fputc ('}', out);
}

static void
s_json_by_kind (FILE *json, const char *name, const s_by_kind_t *bk)
{
    fprintf (json, ",\"%s\":{", name);
    for (int k = 0, n = 0; k < ZC_F_KINDS; k++)
        if (bk->st [k].count) {
            fprintf (json, "%s\"%s\":", n++ ? "," : "", zc_fault_name ((zc_fault_kind_t) k));
            s_json_stats (json, &bk->st [k]);
        }
    fputc ('}', json);
}

//  One line per fault, appended; the header only when the file is new or
//  empty, so that several runs can share one file
static void
s_write_csv (zc_chaos_t *ch, const int64_t *outage, const int64_t *slowest,
             const zc_fault_timing_t *timing)
{
    FILE *csv = fopen (ch->csv_path, "a");
    if (!csv) {
        fprintf (stderr, "chat-chaos: cannot write %s\n", ch->csv_path);
        return;
    }
    char label [64];
    if (ch->label)
        snprintf (label, sizeof (label), "%s", ch->label);
    else
        snprintf (label, sizeof (label), "seed-%" PRIu64, ch->seed);
    for (char *c = label; *c; c++)
        if (*c == ',' || *c == '"' || *c == '\n')
            *c = '_';
    if (ftell (csv) == 0)
        fprintf (csv, "label,kind,t_ms,detection_ms,election_ms,outage_ms,heartbeat_ms,"
                 "index,elections,old_leader,new_leader,settled,slowest_outage_ms\n");
    for (size_t r = 0; r < ch->nruns; r++) {
        const zc_fault_run_t *run = &ch->runs [r];
        fprintf (csv, "%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%u,%u,%u,%u,%u,%d,%"
                 PRId64 "\n",
                 label, zc_fault_name (run->f.kind), run->t_inject, timing [r].detect_ms,
                 timing [r].elect_ms, outage [r], ch->heartbeat_ms, run->index,
                 timing [r].elections, run->old_leader, timing [r].new_leader, run->settled,
                 slowest [r]);
    }
    fclose (csv);
}

//  Everything the report says, gathered once, then printed in sections
typedef struct {
    zc_chaos_t *ch;
    s_list_t viols;
    zc_history_stats_t hst;
    int64_t *outage;                    //  by fault run, -1: no ack after it
    int64_t *slowest;                   //  the same, of the slowest client
    zc_fault_timing_t *timing;          //  by fault run
    s_stats_t total;                    //  outages of every fault
    s_stats_t total_slowest;            //  the slowest client's, of every fault
    size_t slowest_unmeasured;          //  faults after which a client got no ack
    s_by_kind_t outage_k, detect_k, elect_k;
    size_t kind_n [ZC_F_KINDS];         //  faults injected, by kind
    size_t outside;                     //  elections outside every fault's window
    zc_workers_totals_t wt;
    uint64_t first, last;               //  epochs, the clients' and STATUS's
    size_t epochs;
    char command [2048];
    bool passed;
} s_report_t;

//  The history checker, in-process, over every worker's record, and the
//  harness's own findings after its
static void
s_collect_history (s_report_t *rp)
{
    zc_chaos_t *ch = rp->ch;
    zc_history_t *history = zc_history_new ();
    char err [512];
    for (unsigned i = 0; i < ch->workers && ch->crew; i++) {
        const char *path = zc_workers_record (ch->crew, i);
        if (path && zc_history_load_file (history, path, err, sizeof (err)) != 0) {
            char text [600];
            snprintf (text, sizeof (text), "HARNESS: %s", err);
            s_add (&rp->viols, text);
        }
    }
    zc_history_check (history, NULL, s_on_violation, &rp->viols);
    zc_history_stats (history, &rp->hst);
    zc_history_destroy (&history);
    for (size_t i = 0; i < ch->nviols; i++)
        s_add (&rp->viols, ch->viols [i]);
}

//  Outages, detection and election times, by fault and by kind
static void
s_measure_faults (s_report_t *rp)
{
    zc_chaos_t *ch = rp->ch;
    size_t nacks = 0, nlines = 0;
    const zc_ack_time_t *acks = zc_workers_ack_times (ch->crew, &nacks);
    const zc_logline_t *lines = zc_nodelog_lines (ch->nodelog, &nlines);
    int64_t *all = calloc (ch->nruns + 1, sizeof (int64_t));
    int64_t *all_slowest = calloc (ch->nruns + 1, sizeof (int64_t));
    rp->outage = calloc (ch->nruns + 1, sizeof (int64_t));
    rp->slowest = calloc (ch->nruns + 1, sizeof (int64_t));
    rp->timing = calloc (ch->nruns + 1, sizeof (zc_fault_timing_t));
    if (!all || !all_slowest || !rp->outage || !rp->slowest || !rp->timing)
        abort ();
    s_by_kind_init (&rp->outage_k, ch->nruns);
    s_by_kind_init (&rp->detect_k, ch->nruns);
    s_by_kind_init (&rp->elect_k, ch->nruns);
    size_t nall = 0, nslowest = 0;
    for (size_t r = 0; r < ch->nruns; r++) {
        const zc_fault_run_t *run = &ch->runs [r];
        zc_fault_timing (lines, nlines, run, &rp->timing [r]);
        s_outage_t o = s_outage (acks, nacks, ch->workers, run, rp->timing [r].outage_from);
        rp->outage [r] = o.fastest;
        rp->slowest [r] = o.slowest;
        if (o.slowest >= 0)
            all_slowest [nslowest++] = o.slowest;
        else
        if (o.fastest >= 0)
            rp->slowest_unmeasured++;
        s_by_kind_add (&rp->detect_k, run->f.kind, rp->timing [r].detect_ms);
        s_by_kind_add (&rp->elect_k, run->f.kind, rp->timing [r].elect_ms);
        s_by_kind_add (&rp->outage_k, run->f.kind, rp->outage [r]);
        if (rp->outage [r] >= 0)
            all [nall++] = rp->outage [r];
    }
    rp->total = s_stats (all, nall);
    rp->total_slowest = s_stats (all_slowest, nslowest);
    free (all);
    free (all_slowest);
    s_by_kind_done (&rp->outage_k);
    s_by_kind_done (&rp->detect_k);
    s_by_kind_done (&rp->elect_k);
    for (size_t r = 0; r < ch->nruns; r++)
        rp->kind_n [ch->runs [r].f.kind]++;
    rp->outside = zc_elections_outside (lines, nlines, ch->runs, ch->nruns);
}

//  What the clients and STATUS saw of the elections, and the verdict
static void
s_collect_totals (s_report_t *rp)
{
    zc_chaos_t *ch = rp->ch;
    zc_workers_totals (ch->crew, &rp->wt);
    rp->first = rp->wt.first_epoch;
    rp->last = rp->wt.last_epoch;
    rp->epochs = rp->wt.epochs;
    for (size_t i = 0; i < ch->nepochs_status; i++) {
        uint64_t e = ch->epochs_status [i];
        if (!rp->first || e < rp->first)
            rp->first = e;
        if (e > rp->last)
            rp->last = e;
    }
    zc_chaos_command (ch, rp->command, sizeof (rp->command));
    rp->passed = rp->viols.count == 0 && !ch->interrupted;
}

//  The run, the faults injected and the elections
static void
s_print_header (const s_report_t *rp, FILE *out)
{
    const zc_chaos_t *ch = rp->ch;
    fprintf (out, "\n== chat-chaos report ==\n");
    fprintf (out, "seed %" PRIu64 ", %u nodes, %u workers in %u rooms at %g msg/s each, "
             "%u s of faults; network faults: %s\n", ch->seed, ch->nodes, ch->workers,
             ch->rooms, ch->rate, ch->duration_s,
             ch->netns ? "on (one network namespace per node)" : "off (not root, or --no-netns)");
    fprintf (out, "faults injected: %zu (node restarts: %u)\n ", ch->nruns, ch->restarts);
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (k < ZC_F_TERM_LEADER || rp->kind_n [k])
            fprintf (out, " %s %zu", zc_fault_name ((zc_fault_kind_t) k), rp->kind_n [k]);
    fprintf (out, "\nelections: %zu epochs seen by the clients (%" PRIu64 " .. %" PRIu64
             "; STATUS saw up to %" PRIu64 "); %zu outside every fault's window\n",
             rp->epochs, rp->wt.first_epoch, rp->wt.last_epoch, rp->last, rp->outside);
}

//  Client-visible outages, detection and election times, by kind; messages
static void
s_print_outages (const s_report_t *rp, FILE *out)
{
    const s_stats_t *by_kind = rp->outage_k.st;
    fprintf (out, "failover, client-visible outage (fault -> first message acknowledged "
             "after it; acks in flight from the struck leader not counted), %zu faults:\n",
             rp->total.count);
    if (rp->total.count)
        fprintf (out, "  fastest client: min %" PRId64 " ms, median %" PRId64 " ms, p99 %" PRId64
                 " ms, max %" PRId64 " ms\n", rp->total.min, rp->total.median, rp->total.p99,
                 rp->total.max);
    if (rp->total_slowest.count || rp->slowest_unmeasured)
        fprintf (out, "  slowest client: min %" PRId64 " ms, median %" PRId64 " ms, p99 %" PRId64
                 " ms, max %" PRId64 " ms%s\n", rp->total_slowest.min, rp->total_slowest.median,
                 rp->total_slowest.p99, rp->total_slowest.max,
                 rp->slowest_unmeasured ? " (and faults after which a client got no ack: "
                                          "not counted)" : "");
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (by_kind [k].count)
            fprintf (out, "  %-13s n=%-3zu min %5" PRId64 "  median %5" PRId64 "  max %5"
                     PRId64 " ms\n", zc_fault_name ((zc_fault_kind_t) k), by_kind [k].count,
                     by_kind [k].min, by_kind [k].median, by_kind [k].max);
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (rp->detect_k.st [k].count || rp->elect_k.st [k].count)
            fprintf (out, "  %-13s detection (first node logs it) median %" PRId64 " ms, "
                     "max %" PRId64 " ms; election (\"I am the leader\") median %" PRId64
                     " ms, max %" PRId64 " ms\n", zc_fault_name ((zc_fault_kind_t) k),
                     rp->detect_k.st [k].median, rp->detect_k.st [k].max,
                     rp->elect_k.st [k].median, rp->elect_k.st [k].max);
    fprintf (out, "messages: sent %" PRIu64 ", acknowledged %" PRIu64 ", delivered %" PRIu64
             " (to every worker of the room); client notices %" PRIu64 "\n",
             rp->wt.sent, rp->wt.acked, rp->wt.delivered, rp->wt.notices);
}

//  One line per fault, and the delay proxy's traffic
static void
s_print_timeline (const s_report_t *rp, FILE *out)
{
    const zc_chaos_t *ch = rp->ch;
    fprintf (out, "timeline (t = seconds since the start):\n");
    for (size_t r = 0; r < ch->nruns; r++) {
        const zc_fault_run_t *run = &ch->runs [r];
        const zc_fault_timing_t *timing = &rp->timing [r];
        char o [80] = "no ack after it", d [80] = "";
        if (rp->outage [r] >= 0 && rp->slowest [r] >= 0)
            snprintf (o, sizeof (o), "%" PRId64 " ms (slowest client %" PRId64 " ms)",
                      rp->outage [r], rp->slowest [r]);
        else
        if (rp->outage [r] >= 0)
            snprintf (o, sizeof (o), "%" PRId64 " ms (a client got no ack after it)",
                      rp->outage [r]);
        if (timing->detect_ms >= 0 || timing->elect_ms >= 0)
            snprintf (d, sizeof (d), "detected +%" PRId64 " ms, elected +%" PRId64 " ms; ",
                      timing->detect_ms, timing->elect_ms);
        fprintf (out, "  #%-3u t=%6.1f %-13s %s; %soutage %s; %s in %.1f s\n", run->index,
                 (double) run->t_inject / 1000.0, zc_fault_name (run->f.kind), run->what, d, o,
                 run->settled ? "settled" : "NOT settled",
                 (double) (run->t_settled - run->t_heal) / 1000.0);
    }
    if (ch->delay_from)
        fprintf (out, "delay proxy (node %u -> node %u, via %s): %" PRIu64 " connections, %.1f MB"
                 " relayed\n", ch->delay_from, ch->delay_to, ch->proxy_host, ch->proxy_conns,
                 (double) ch->proxy_bytes / 1e6);
}

//  The checker's count, the violations by kind, then the first of them
static void
s_print_violations (const s_report_t *rp, FILE *out)
{
    const s_list_t *viols = &rp->viols;
    fprintf (out, "history checker: %zu record files, %zu lines, %zu seqs: %zu violation(s)\n",
             rp->hst.files, rp->hst.lines, rp->hst.seqs, rp->hst.violations);
    if (!viols->count)
        return;
    //  By kind first: the word before the first colon
    fprintf (out, "violations (%zu):", viols->count);
    for (size_t i = 0; i < viols->count; i++) {
        size_t len = strcspn (viols->items [i], ":"), same = 0, j;
        for (j = 0; j < i; j++)
            if (strncmp (viols->items [j], viols->items [i], len + 1) == 0)
                break;
        if (j < i)
            continue;       //  counted at its first
        for (j = i; j < viols->count; j++)
            same += strncmp (viols->items [j], viols->items [i], len + 1) == 0;
        fprintf (out, "%s %.*s %zu", i ? "," : "", (int) len, viols->items [i], same);
    }
    fputc ('\n', out);
    for (size_t i = 0; i < viols->count && i < SHOWN_VIOLATIONS; i++)
        fprintf (out, "  %s\n", viols->items [i]);
    if (viols->count > SHOWN_VIOLATIONS)
        fprintf (out, "  ... and %zu more (all in the JSON summary)\n",
                 viols->count - SHOWN_VIOLATIONS);
}

static void
s_print_verdict (const s_report_t *rp, FILE *out)
{
    const zc_chaos_t *ch = rp->ch;
    if (ch->interrupted)
        fprintf (out, "verdict: INTERRUPTED (no verdict), seed %" PRIu64 "\n", ch->seed);
    else
    if (rp->passed)
        fprintf (out, "verdict: PASS, no invariant violated (seed %" PRIu64 ")\n", ch->seed);
    else
        fprintf (out, "verdict: FAIL, %zu violation(s) with seed %" PRIu64 "\n",
                 rp->viols.count, ch->seed);
    fprintf (out, "reproduce: %s\n", rp->command);
    fprintf (out, "run folder: %s%s\n", ch->run_dir,
             rp->passed && !ch->keep ? " (removed: the run passed)" : "");
}

//  The JSON summary (--json): the same facts, every violation
static void
s_write_json (const s_report_t *rp)
{
    const zc_chaos_t *ch = rp->ch;
    FILE *json = ch->json_path ? fopen (ch->json_path, "w") : NULL;
    if (ch->json_path && !json)
        fprintf (stderr, "chat-chaos: cannot write %s\n", ch->json_path);
    if (!json)
        return;
    fprintf (json, "{\"seed\":%" PRIu64 ",\"nodes\":%u,\"workers\":%u,\"rooms\":%u,"
             "\"rate\":%g,\"duration_s\":%u,\"network_faults\":%s,\"passed\":%s,"
             "\"interrupted\":%s,\"command\":", ch->seed, ch->nodes, ch->workers,
             ch->rooms, ch->rate, ch->duration_s, ch->netns ? "true" : "false",
             rp->passed ? "true" : "false", ch->interrupted ? "true" : "false");
    zc_json_str (json, rp->command);
    fprintf (json, ",\"run_dir\":");
    zc_json_str (json, ch->run_dir);
    fprintf (json, ",\"faults\":{\"total\":%zu,\"restarts\":%u,\"by_kind\":{",
             ch->nruns, ch->restarts);
    for (int k = 0; k < ZC_F_KINDS; k++)
        fprintf (json, "%s\"%s\":%zu", k ? "," : "", zc_fault_name ((zc_fault_kind_t) k),
                 rp->kind_n [k]);
    fprintf (json, "}},\"epochs_seen\":%zu,\"first_epoch\":%" PRIu64 ",\"last_epoch\":%"
             PRIu64 ",\"elections_outside_faults\":%zu,\"heartbeat_ms\":%u,\"label\":",
             rp->epochs, rp->first, rp->last, rp->outside, ch->heartbeat_ms);
    zc_json_str (json, ch->label ? ch->label : "");
    fprintf (json, ",\"outage_ms\":");
    s_json_stats (json, &rp->total);
    fprintf (json, ",\"slowest_client_outage_ms\":");
    s_json_stats (json, &rp->total_slowest);
    s_json_by_kind (json, "outage_ms_by_kind", &rp->outage_k);
    s_json_by_kind (json, "detection_ms_by_kind", &rp->detect_k);
    s_json_by_kind (json, "election_ms_by_kind", &rp->elect_k);
    fprintf (json, ",\"messages\":{\"sent\":%" PRIu64 ",\"acknowledged\":%" PRIu64
             ",\"delivered\":%" PRIu64 ",\"notices\":%" PRIu64 "},\"timeline\":[",
             rp->wt.sent, rp->wt.acked, rp->wt.delivered, rp->wt.notices);
    for (size_t r = 0; r < ch->nruns; r++) {
        const zc_fault_run_t *run = &ch->runs [r];
        const zc_fault_timing_t *timing = &rp->timing [r];
        fprintf (json, "%s{\"index\":%u,\"kind\":\"%s\",\"t_ms\":%" PRId64 ",\"heal_ms\":%"
                 PRId64 ",\"settled_ms\":%" PRId64 ",\"settled\":%s,\"outage_ms\":%" PRId64
                 ",\"slowest_client_outage_ms\":%" PRId64 ",\"detection_ms\":%" PRId64 ",\"election_ms\":%" PRId64 ",\"outage_from_ms\":%"
                 PRId64 ",\"elections\":%u,\"old_leader\":%u,\"new_leader\":%u"
                 ",\"what\":", r ? "," : "", run->index, zc_fault_name (run->f.kind),
                 run->t_inject, run->t_heal, run->t_settled,
                 run->settled ? "true" : "false", rp->outage [r], rp->slowest [r],
                 timing->detect_ms,
                 timing->elect_ms, timing->outage_from, timing->elections,
                 run->old_leader, timing->new_leader);
        zc_json_str (json, run->what);
        fputc ('}', json);
    }
    fprintf (json, "],\"delay_proxy\":{\"from\":%u,\"to\":%u,\"connections\":%" PRIu64
             ",\"bytes\":%" PRIu64 "}", ch->delay_from, ch->delay_to, ch->proxy_conns,
             ch->proxy_bytes);
    fprintf (json, ",\"violation_count\":%zu,\"violations\":[", rp->viols.count);
    for (size_t i = 0; i < rp->viols.count; i++) {
        if (i)
            fputc (',', json);
        zc_json_str (json, rp->viols.items [i]);
    }
    fprintf (json, "]}\n");
    fclose (json);
}

size_t
zc_report (zc_chaos_t *ch, FILE *out)
{
    s_report_t rp = { .ch = ch };
    s_collect_history (&rp);
    s_measure_faults (&rp);
    s_collect_totals (&rp);

    s_print_header (&rp, out);
    s_print_outages (&rp, out);
    s_print_timeline (&rp, out);
    s_print_violations (&rp, out);
    s_print_verdict (&rp, out);
    s_write_json (&rp);
    if (ch->csv_path)
        s_write_csv (ch, rp.outage, rp.slowest, rp.timing);

    size_t count = rp.viols.count;
    for (size_t i = 0; i < rp.viols.count; i++)
        free (rp.viols.items [i]);
    free (rp.viols.items);
    s_by_kind_free (&rp.outage_k);
    s_by_kind_free (&rp.detect_k);
    s_by_kind_free (&rp.elect_k);
    free (rp.outage);
    free (rp.slowest);
    free (rp.timing);
    return count;
}
