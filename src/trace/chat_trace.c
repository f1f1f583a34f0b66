/*  chat_trace.c — chat-trace: draw an election from zc-trace lines.

        chat-trace [--svg FILE] [--all] [--gone-ms MS] LOG|DIR|- ...

    Reads the nodes' logs (chat-node --trace), folders of them, or stdin
    ("-", e.g. from tests/tools/sim_trace.c), merges the events by time
    and prints the sequence chart (docs/ELECTION.md "Watching an
    election").  Exit 0; 1 when the input holds no trace line; 2 for bad
    flags or a file that cannot be read.
*/
#include "trace_log.h"
#include "trace_layout.h"
#include "trace_render.h"
#include "numparse.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char s_usage [] =
"usage: chat-trace [options] LOG|DIR|- ...\n"
"\n"
"Draws the election messages in the zc-trace lines of node logs (chat-node\n"
"--trace) as a sequence chart: a column per node, an arrow per message.\n"
"A folder stands for every file in it; - reads stdin.\n"
"\n"
"  --svg FILE      also write the chart as SVG to FILE\n"
"  --all           draw every message (default: fold repeats of an arrow\n"
"                  already drawn since the last change of role)\n"
"  --gone-ms MS    a log that ends MS before the others without a stop line\n"
"                  reads as a crash (default 2000)\n"
"  -h, --help      print this and exit\n";

static int
s_read_path (zc_tlog_t *log, const char *path);

static int
s_read_file (zc_tlog_t *log, const char *path)
{
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "r");
    if (!file) {
        fprintf (stderr, "chat-trace: cannot read %s: %s\n", path, strerror (errno));
        return -1;
    }
    zc_tlog_read (log, file, path);
    if (file != stdin)
        fclose (file);
    return 0;
}

static int
s_compare_names (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  Every file of a folder, in name order (not its subfolders)
static int
s_read_dir (zc_tlog_t *log, const char *path)
{
    DIR *dir = opendir (path);
    if (!dir) {
        fprintf (stderr, "chat-trace: cannot read %s: %s\n", path, strerror (errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc (names, cap * sizeof *names);
            if (!grown)
                abort ();
            names = grown;
        }
        size_t len = strlen (path) + strlen (entry->d_name) + 2;
        names [count] = malloc (len);
        if (!names [count])
            abort ();
        snprintf (names [count++], len, "%s/%s", path, entry->d_name);
    }
    closedir (dir);
    if (count)
        qsort (names, count, sizeof *names, s_compare_names);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (stat (names [i], &st) == 0 && S_ISREG (st.st_mode) && s_read_file (log, names [i]))
            rc = -1;
        free (names [i]);
    }
    free (names);
    return rc;
}

static int
s_read_path (zc_tlog_t *log, const char *path)
{
    struct stat st;
    if (strcmp (path, "-") != 0 && stat (path, &st) == 0 && S_ISDIR (st.st_mode))
        return s_read_dir (log, path);
    return s_read_file (log, path);
}

int
main (int argc, char **argv)
{
    static const struct option options [] = {
        { "svg",     required_argument, NULL, 's' },
        { "all",     no_argument,       NULL, 'a' },
        { "gone-ms", required_argument, NULL, 'g' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    zc_tlayout_opts_t opts;
    zc_tlayout_opts_default (&opts);
    const char *svg = NULL;
    int code;
    opterr = 0;
    while ((code = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        uint64_t ms;
        switch (code) {
            case 's': svg = optarg; break;
            case 'a': opts.all = true; break;
            case 'g':
                if (zc_parse_u64 (optarg, 0, 86400000, &ms) != ZC_PARSE_OK) {
                    fprintf (stderr, "chat-trace: --gone-ms: '%s' is not 0..86400000\n", optarg);
                    return 2;
                }
                opts.gone_us = ms * 1000;
                break;
            case 'h': fputs (s_usage, stdout); return 0;
            case ':':
                fprintf (stderr, "chat-trace: %s: missing value\n", argv [optind - 1]);
                return 2;
            default:
                fprintf (stderr, "chat-trace: unknown option %s (see --help)\n",
                         argv [optind - 1]);
                return 2;
        }
    }
    if (optind >= argc) {
        fprintf (stderr, "chat-trace: no log given (see --help)\n");
        return 2;
    }
    zc_tlog_t *log = zc_tlog_new ();
    int rc = 0;
    for (int i = optind; i < argc; i++)
        if (s_read_path (log, argv [i]))
            rc = 2;
    if (zc_tlog_malformed (log))
        fprintf (stderr, "chat-trace: skipped %zu malformed trace line%s (first: %s)\n",
                 zc_tlog_malformed (log), zc_tlog_malformed (log) == 1 ? "" : "s",
                 zc_tlog_first_error (log));
    size_t count = 0;
    zc_tlog_sort (log);
    const zc_tev_t *events = zc_tlog_events (log, &count);
    if (rc == 0 && count == 0) {
        fprintf (stderr, "chat-trace: no zc-trace lines in the input (start the nodes "
                 "with --trace)\n");
        rc = 1;
    }
    if (rc == 0) {
        zc_tlayout_t *layout = zc_tlayout_new (events, count, &opts);
        if (layout->dropped)
            fprintf (stderr, "chat-trace: %zu events of nodes past the first %d left out\n",
                     layout->dropped, ZC_TLAYOUT_MAX_NODES);
        zc_trender_ascii (layout, stdout);
        printf ("%zu events, %zu nodes; %zu repeats folded%s; %zu lost\n", count,
                layout->node_count, layout->hidden, opts.all ? "" : " (--all draws them)",
                layout->lost);
        if (svg) {
            FILE *file = fopen (svg, "w");
            int failed = !file || zc_trender_svg (layout, file);
            if ((file && fclose (file)) || failed) {
                fprintf (stderr, "chat-trace: cannot write %s: %s\n", svg, strerror (errno));
                rc = 2;
            }
        }
        zc_tlayout_destroy (&layout);
    }
    zc_tlog_destroy (&log);
    return rc;
}
