/*  zchat_check.c — zchat-check: check the record files of chat clients
    (chat-client --record FILE) against the invariants of history.h.

    zchat-check [--verbose] [--json] [--no-complete] FILE...
    Exit 0: no violation; 1: violations; 2: usage or unreadable/bad file.
*/
#include "json.h"
#include "history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PRINTED 50

typedef struct {
    bool json;
    size_t printed;
} s_out_t;

static void
s_usage (FILE *out)
{
    fputs ("usage: zchat-check [--verbose] [--json] [--expect-complete | "
           "--no-complete] FILE...\n"
           "  Checks the record files of chat clients (chat-client --record)\n"
           "  together: nothing acknowledged lost, no duplicate, one order,\n"
           "  Lamport rules.  Exit 0 if none is violated, 1 if any is,\n"
           "  2 on a usage error or a malformed file.\n"
           "  --expect-complete  every live client delivers every message of\n"
           "                     its room above its start (default)\n"
           "  --no-complete      only holes count (clients killed mid-way)\n"
           "  --json             one JSON object on stdout\n"
           "  --verbose          per-file counts\n", out);
}

static void
s_print (const zc_history_violation_t *v, void *arg)
{
    s_out_t *out = arg;
    if (out->printed++ >= MAX_PRINTED)
        return;
    if (out->json) {
        printf ("%s{\"kind\":\"%s\",\"file\":", out->printed > 1 ? "," : "",
                zc_history_kind_name (v->kind));
        if (v->file)
            zc_json_str (stdout, v->file);
        else
            fputs ("null", stdout);
        printf (",\"line\":%u,\"seq\":%" PRIu64 ",\"text\":", v->line, v->seq);
        zc_json_str (stdout, v->text);
        putchar ('}');
        return;
    }
    printf ("%s: %s", zc_history_kind_name (v->kind), v->file ? v->file : "-");
    if (v->line)
        printf (":%u", v->line);
    printf (": %s\n", v->text);
}

static void
s_summary_text (const zc_history_stats_t *st, bool verbose)
{
    if (st->violations > MAX_PRINTED)
        printf ("... and %zu more\n", st->violations - MAX_PRINTED);
    printf ("zchat-check: %zu files, %zu lines: sent %zu, acked %zu, "
            "received %zu; %zu distinct seqs, %zu rooms, %zu senders\n",
            st->files, st->lines, st->sent, st->acked, st->received,
            st->seqs, st->rooms, st->senders);
    if (st->refused)
        printf ("zchat-check: %zu refused (withdrawn, not losses)\n", st->refused);
    if (st->forgotten)
        printf ("zchat-check: %zu acknowledged messages their clients were told are lost"
                " (a leader change under --quorum 1)\n", st->forgotten);
    if (verbose && st->torn)
        printf ("zchat-check: %zu torn last lines skipped\n", st->torn);
    if (st->violations == 0) {
        printf ("zchat-check: OK\n");
        return;
    }
    printf ("zchat-check: FAILED, %zu violations (", st->violations);
    const char *sep = "";
    for (int k = 1; k < ZC_HISTORY_KINDS; k++)
        if (st->by_kind [k]) {
            printf ("%s%s %zu", sep, zc_history_kind_name (k), st->by_kind [k]);
            sep = ", ";
        }
    printf (")\n");
}

static void
s_summary_json (const zc_history_stats_t *st, bool complete)
{
    printf ("],\"omitted\":%zu,\"ok\":%s,\"expect_complete\":%s,"
            "\"files\":%zu,\"lines\":%zu,\"torn\":%zu,\"sent\":%zu,"
            "\"acked\":%zu,\"received\":%zu,\"leaders\":%zu,\"seqs\":%zu,"
            "\"rooms\":%zu,\"senders\":%zu,\"refused\":%zu,\"forgotten\":%zu,"
            "\"violation_count\":%zu,"
            "\"by_kind\":{",
            st->violations > MAX_PRINTED ? st->violations - MAX_PRINTED : 0,
            st->violations ? "false" : "true", complete ? "true" : "false",
            st->files, st->lines, st->torn, st->sent, st->acked, st->received,
            st->leaders, st->seqs, st->rooms, st->senders, st->refused,
            st->forgotten, st->violations);
    for (int k = 1; k < ZC_HISTORY_KINDS; k++)
        printf ("%s\"%s\":%zu", k > 1 ? "," : "", zc_history_kind_name (k),
                st->by_kind [k]);
    printf ("}}\n");
}

int
main (int argc, char *argv [])
{
    bool verbose = false, json = false;
    zc_history_opts_t opts;
    zc_history_opts_default (&opts);
    int argn = 1;
    for (; argn < argc && argv [argn][0] == '-'; argn++) {
        const char *a = argv [argn];
        if (strcmp (a, "--") == 0) {
            argn++;
            break;
        }
        if (strcmp (a, "--verbose") == 0 || strcmp (a, "-v") == 0)
            verbose = true;
        else
        if (strcmp (a, "--json") == 0)
            json = true;
        else
        if (strcmp (a, "--expect-complete") == 0)
            opts.expect_complete = true;
        else
        if (strcmp (a, "--no-complete") == 0)
            opts.expect_complete = false;
        else
        if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0) {
            s_usage (stdout);
            return 0;
        }
        else {
            fprintf (stderr, "zchat-check: unknown option %s\n", a);
            s_usage (stderr);
            return 2;
        }
    }
    if (argn >= argc) {
        s_usage (stderr);
        return 2;
    }
    zc_history_t *history = zc_history_new ();
    zc_history_stats_t before, after;
    for (; argn < argc; argn++) {
        char err [512];
        zc_history_stats (history, &before);
        if (zc_history_load_file (history, argv [argn], err, sizeof (err))) {
            fprintf (stderr, "zchat-check: %s\n", err);
            zc_history_destroy (&history);
            return 2;
        }
        zc_history_stats (history, &after);
        if (verbose && !json)
            printf ("zchat-check: %s: %zu lines, sent %zu, acked %zu, "
                    "received %zu, leader changes %zu%s\n", argv [argn],
                    after.lines - before.lines, after.sent - before.sent,
                    after.acked - before.acked,
                    after.received - before.received,
                    after.leaders - before.leaders,
                    after.torn > before.torn ? ", torn last line" : "");
    }
    s_out_t out = { .json = json };
    if (json)
        printf ("{\"violations\":[");
    zc_history_check (history, &opts, s_print, &out);
    zc_history_stats (history, &after);
    if (json)
        s_summary_json (&after, opts.expect_complete);
    else
        s_summary_text (&after, verbose);
    zc_history_destroy (&history);
    return after.violations ? 1 : 0;
}
