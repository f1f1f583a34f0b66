/*  report.c — the verdict: run the history checker over the workers'
    records, add the harness's own findings (CRASH, CONVERGE, DRAIN),
    measure the client-visible outage of every fault (DESIGN §9: from the
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

//  The first ack after t (the fault, or a hand-over's start), minus t; -1
//  if none came.  Acks of the leadership the fault struck (its node in its
//  epoch) in the first IN_FLIGHT_MS were on their way before it: they do
//  not count.
#define IN_FLIGHT_MS 100
static int64_t
s_outage (const zc_ack_time_t *acks, size_t n, const zc_fault_run_t *run, int64_t t)
{
    if (t < 0)
        return -1;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (acks [mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n; lo++)
        if (!(run->struck_leader && acks [lo].node == run->old_leader
              && acks [lo].lead_epoch == run->old_epoch && acks [lo].t <= t + IN_FLIGHT_MS))
            return acks [lo].t - t;
    return -1;
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
s_write_csv (zc_chaos_t *ch, const int64_t *outage, const zc_fault_timing_t *timing)
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
                 "index,elections,old_leader,new_leader,settled\n");
    for (size_t r = 0; r < ch->nruns; r++) {
        const zc_fault_run_t *run = &ch->runs [r];
        fprintf (csv, "%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%u,%u,%u,%u,%u,%d\n",
                 label, zc_fault_name (run->f.kind), run->t_inject, timing [r].detect_ms,
                 timing [r].elect_ms, outage [r], ch->heartbeat_ms, run->index,
                 timing [r].elections, run->old_leader, timing [r].new_leader, run->settled);
    }
    fclose (csv);
}

size_t
zc_report (zc_chaos_t *ch, FILE *out)
{
    //  The history checker, in-process, over every worker's record
    s_list_t viols = { 0 };
    zc_history_t *history = zc_history_new ();
    char err [512];
    for (unsigned i = 0; i < ch->workers && ch->crew; i++) {
        const char *path = zc_workers_record (ch->crew, i);
        if (path && zc_history_load_file (history, path, err, sizeof (err)) != 0) {
            char text [600];
            snprintf (text, sizeof (text), "HARNESS: %s", err);
            s_add (&viols, text);
        }
    }
    zc_history_check (history, NULL, s_on_violation, &viols);
    zc_history_stats_t hst;
    zc_history_stats (history, &hst);
    zc_history_destroy (&history);
    for (size_t i = 0; i < ch->nviols; i++)
        s_add (&viols, ch->viols [i]);

    //  Outages, detection and election times
    size_t nacks = 0, nlines = 0;
    const zc_ack_time_t *acks = zc_workers_ack_times (ch->crew, &nacks);
    const zc_logline_t *lines = zc_nodelog_lines (ch->nodelog, &nlines);
    int64_t *all = calloc (ch->nruns + 1, sizeof (int64_t));
    int64_t *outage = calloc (ch->nruns + 1, sizeof (int64_t));
    zc_fault_timing_t *timing = calloc (ch->nruns + 1, sizeof (zc_fault_timing_t));
    if (!all || !outage || !timing)
        abort ();
    s_by_kind_t outage_k, detect_k, elect_k;
    s_by_kind_init (&outage_k, ch->nruns);
    s_by_kind_init (&detect_k, ch->nruns);
    s_by_kind_init (&elect_k, ch->nruns);
    size_t nall = 0;
    for (size_t r = 0; r < ch->nruns; r++) {
        const zc_fault_run_t *run = &ch->runs [r];
        zc_fault_timing (lines, nlines, run, &timing [r]);
        outage [r] = s_outage (acks, nacks, run, timing [r].outage_from);
        s_by_kind_add (&detect_k, run->f.kind, timing [r].detect_ms);
        s_by_kind_add (&elect_k, run->f.kind, timing [r].elect_ms);
        s_by_kind_add (&outage_k, run->f.kind, outage [r]);
        if (outage [r] >= 0)
            all [nall++] = outage [r];
    }
    s_stats_t total = s_stats (all, nall);
    s_by_kind_done (&outage_k);
    s_by_kind_done (&detect_k);
    s_by_kind_done (&elect_k);
    const s_stats_t *by_kind = outage_k.st;
    size_t kind_n [ZC_F_KINDS] = { 0 };     //  faults injected, by kind
    for (size_t r = 0; r < ch->nruns; r++)
        kind_n [ch->runs [r].f.kind]++;
    size_t outside = zc_elections_outside (lines, nlines, ch->runs, ch->nruns);

    zc_workers_totals_t wt;
    zc_workers_totals (ch->crew, &wt);
    uint64_t first = wt.first_epoch, last = wt.last_epoch;
    size_t epochs = wt.epochs;
    for (size_t i = 0; i < ch->nepochs_status; i++) {
        uint64_t e = ch->epochs_status [i];
        if (!first || e < first)
            first = e;
        if (e > last)
            last = e;
    }
    char command [2048];
    zc_chaos_command (ch, command, sizeof (command));
    bool passed = viols.count == 0 && !ch->interrupted;

    //  Text
    fprintf (out, "\n== chat-chaos report ==\n");
    fprintf (out, "seed %" PRIu64 ", %u nodes, %u workers in %u rooms at %g msg/s each, "
             "%u s of faults; network faults: %s\n", ch->seed, ch->nodes, ch->workers,
             ch->rooms, ch->rate, ch->duration_s,
             ch->netns ? "on (one network namespace per node)" : "off (not root, or --no-netns)");
    fprintf (out, "faults injected: %zu (node restarts: %u)\n ", ch->nruns, ch->restarts);
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (k < ZC_F_TERM_LEADER || kind_n [k])
            fprintf (out, " %s %zu", zc_fault_name ((zc_fault_kind_t) k), kind_n [k]);
    fprintf (out, "\nelections: %zu epochs seen by the clients (%" PRIu64 " .. %" PRIu64
             "; STATUS saw up to %" PRIu64 "); %zu outside every fault's window\n",
             epochs, wt.first_epoch, wt.last_epoch, last, outside);
    fprintf (out, "failover, client-visible outage (fault -> first message acknowledged "
             "after it; acks in flight from the struck leader not counted), %zu faults:\n",
             total.count);
    if (total.count)
        fprintf (out, "  min %" PRId64 " ms, median %" PRId64 " ms, p99 %" PRId64
                 " ms, max %" PRId64 " ms\n", total.min, total.median, total.p99, total.max);
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (by_kind [k].count)
            fprintf (out, "  %-13s n=%-3zu min %5" PRId64 "  median %5" PRId64 "  max %5"
                     PRId64 " ms\n", zc_fault_name ((zc_fault_kind_t) k), by_kind [k].count,
                     by_kind [k].min, by_kind [k].median, by_kind [k].max);
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (detect_k.st [k].count || elect_k.st [k].count)
            fprintf (out, "  %-13s detection (first node logs it) median %" PRId64 " ms, "
                     "max %" PRId64 " ms; election (\"I am the leader\") median %" PRId64
                     " ms, max %" PRId64 " ms\n", zc_fault_name ((zc_fault_kind_t) k),
                     detect_k.st [k].median, detect_k.st [k].max, elect_k.st [k].median,
                     elect_k.st [k].max);
    fprintf (out, "messages: sent %" PRIu64 ", acknowledged %" PRIu64 ", delivered %" PRIu64
             " (to every worker of the room); client notices %" PRIu64 "\n",
             wt.sent, wt.acked, wt.delivered, wt.notices);
    fprintf (out, "timeline (t = seconds since the start):\n");
    for (size_t r = 0; r < ch->nruns; r++) {
        const zc_fault_run_t *run = &ch->runs [r];
        char o [32] = "no ack after it", d [80] = "";
        if (outage [r] >= 0)
            snprintf (o, sizeof (o), "%" PRId64 " ms", outage [r]);
        if (timing [r].detect_ms >= 0 || timing [r].elect_ms >= 0)
            snprintf (d, sizeof (d), "detected +%" PRId64 " ms, elected +%" PRId64 " ms; ",
                      timing [r].detect_ms, timing [r].elect_ms);
        fprintf (out, "  #%-3u t=%6.1f %-13s %s; %soutage %s; %s in %.1f s\n", run->index,
                 (double) run->t_inject / 1000.0, zc_fault_name (run->f.kind), run->what, d, o,
                 run->settled ? "settled" : "NOT settled",
                 (double) (run->t_settled - run->t_heal) / 1000.0);
    }
    if (ch->delay_from)
        fprintf (out, "delay proxy (node %u -> node %u, via %s): %" PRIu64 " connections, %.1f MB"
                 " relayed\n", ch->delay_from, ch->delay_to, ch->proxy_host, ch->proxy_conns,
                 (double) ch->proxy_bytes / 1e6);
    fprintf (out, "history checker: %zu record files, %zu lines, %zu seqs: %zu violation(s)\n",
             hst.files, hst.lines, hst.seqs, hst.violations);
    if (viols.count) {
        //  By kind first: the word before the first colon
        fprintf (out, "violations (%zu):", viols.count);
        for (size_t i = 0; i < viols.count; i++) {
            size_t len = strcspn (viols.items [i], ":"), same = 0, j;
            for (j = 0; j < i; j++)
                if (strncmp (viols.items [j], viols.items [i], len + 1) == 0)
                    break;
            if (j < i)
                continue;       //  counted at its first
            for (j = i; j < viols.count; j++)
                same += strncmp (viols.items [j], viols.items [i], len + 1) == 0;
            fprintf (out, "%s %.*s %zu", i ? "," : "", (int) len, viols.items [i], same);
        }
        fputc ('\n', out);
        for (size_t i = 0; i < viols.count && i < SHOWN_VIOLATIONS; i++)
            fprintf (out, "  %s\n", viols.items [i]);
        if (viols.count > SHOWN_VIOLATIONS)
            fprintf (out, "  ... and %zu more (all in the JSON summary)\n",
                     viols.count - SHOWN_VIOLATIONS);
    }
    if (ch->interrupted)
        fprintf (out, "verdict: INTERRUPTED (no verdict), seed %" PRIu64 "\n", ch->seed);
    else
    if (passed)
        fprintf (out, "verdict: PASS, no invariant violated (seed %" PRIu64 ")\n", ch->seed);
    else
        fprintf (out, "verdict: FAIL, %zu violation(s) with seed %" PRIu64 "\n",
                 viols.count, ch->seed);
    fprintf (out, "reproduce: %s\n", command);
    fprintf (out, "run folder: %s%s\n", ch->run_dir,
             passed && !ch->keep ? " (removed: the run passed)" : "");

    //  JSON
    FILE *json = ch->json_path ? fopen (ch->json_path, "w") : NULL;
    if (ch->json_path && !json)
        fprintf (stderr, "chat-chaos: cannot write %s\n", ch->json_path);
    if (json) {
        fprintf (json, "{\"seed\":%" PRIu64 ",\"nodes\":%u,\"workers\":%u,\"rooms\":%u,"
                 "\"rate\":%g,\"duration_s\":%u,\"network_faults\":%s,\"passed\":%s,"
                 "\"interrupted\":%s,\"command\":", ch->seed, ch->nodes, ch->workers,
                 ch->rooms, ch->rate, ch->duration_s, ch->netns ? "true" : "false",
                 passed ? "true" : "false", ch->interrupted ? "true" : "false");
        zc_json_str (json, command);
        fprintf (json, ",\"run_dir\":");
        zc_json_str (json, ch->run_dir);
        fprintf (json, ",\"faults\":{\"total\":%zu,\"restarts\":%u,\"by_kind\":{",
                 ch->nruns, ch->restarts);
        for (int k = 0; k < ZC_F_KINDS; k++)
            fprintf (json, "%s\"%s\":%zu", k ? "," : "", zc_fault_name ((zc_fault_kind_t) k),
                     kind_n [k]);
        fprintf (json, "}},\"epochs_seen\":%zu,\"first_epoch\":%" PRIu64 ",\"last_epoch\":%"
                 PRIu64 ",\"elections_outside_faults\":%zu,\"heartbeat_ms\":%u,\"label\":",
                 epochs, first, last, outside, ch->heartbeat_ms);
        zc_json_str (json, ch->label ? ch->label : "");
        fprintf (json, ",\"outage_ms\":");
        s_json_stats (json, &total);
        s_json_by_kind (json, "outage_ms_by_kind", &outage_k);
        s_json_by_kind (json, "detection_ms_by_kind", &detect_k);
        s_json_by_kind (json, "election_ms_by_kind", &elect_k);
        fprintf (json, ",\"messages\":{\"sent\":%" PRIu64 ",\"acknowledged\":%" PRIu64
                 ",\"delivered\":%" PRIu64 ",\"notices\":%" PRIu64 "},\"timeline\":[",
                 wt.sent, wt.acked, wt.delivered, wt.notices);
        for (size_t r = 0; r < ch->nruns; r++) {
            const zc_fault_run_t *run = &ch->runs [r];
            fprintf (json, "%s{\"index\":%u,\"kind\":\"%s\",\"t_ms\":%" PRId64 ",\"heal_ms\":%"
                     PRId64 ",\"settled_ms\":%" PRId64 ",\"settled\":%s,\"outage_ms\":%" PRId64
                     ",\"detection_ms\":%" PRId64 ",\"election_ms\":%" PRId64 ",\"outage_from_ms\":%"
                     PRId64 ",\"elections\":%u,\"old_leader\":%u,\"new_leader\":%u"
                     ",\"what\":", r ? "," : "", run->index, zc_fault_name (run->f.kind),
                     run->t_inject, run->t_heal, run->t_settled,
                     run->settled ? "true" : "false", outage [r], timing [r].detect_ms,
                     timing [r].elect_ms, timing [r].outage_from, timing [r].elections,
                     run->old_leader, timing [r].new_leader);
            zc_json_str (json, run->what);
            fputc ('}', json);
        }
        fprintf (json, "],\"delay_proxy\":{\"from\":%u,\"to\":%u,\"connections\":%" PRIu64
                 ",\"bytes\":%" PRIu64 "}", ch->delay_from, ch->delay_to, ch->proxy_conns,
                 ch->proxy_bytes);
        fprintf (json, ",\"violation_count\":%zu,\"violations\":[", viols.count);
        for (size_t i = 0; i < viols.count; i++) {
            if (i)
                fputc (',', json);
            zc_json_str (json, viols.items [i]);
        }
        fprintf (json, "]}\n");
        fclose (json);
    }

    if (ch->csv_path)
        s_write_csv (ch, outage, timing);

    size_t count = viols.count;
    for (size_t i = 0; i < viols.count; i++)
        free (viols.items [i]);
    free (viols.items);
    s_by_kind_free (&outage_k);
    s_by_kind_free (&detect_k);
    s_by_kind_free (&elect_k);
    free (all);
    free (outage);
    free (timing);
    return count;
}
