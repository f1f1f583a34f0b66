/*  sim_trace.c — zchat-sim-trace: an election scenario on the simulator,
    drawn as chat-trace draws a real run, or as its zc-trace lines
    (docs/ELECTION.md "Watching an election").

        zchat-sim-trace SCENARIO [--seed N] [--nodes N] [--no-leader-down]
                        [--all] [--svg FILE] [--lines]
        zchat-sim-trace kill-leader --seed 7 --lines | chat-trace -

    The same (scenario, seed, nodes) prints the same lines: a teacher can
    replay "kill node 3" or a partition exactly.  Exit 0; 1 if the
    scenario failed (an invariant, or no leader in time: why on stderr);
    2 for bad flags.
*/
#include "scenario.h"
#include "numparse.h"
#include "trace_log.h"
#include "trace_layout.h"
#include "trace_render.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_print (const zc_tev_t *ev, void *arg)
{
    char line [ZC_TEV_LINE_MAX];
    if (zc_tev_format (ev, line, sizeof line))
        fprintf ((FILE *) arg, "%s\n", line);
}

//  The chart: the line as chat-trace reads it, so both draw the same
static void
s_collect (const zc_tev_t *ev, void *arg)
{
    char line [ZC_TEV_LINE_MAX];
    if (zc_tev_format (ev, line, sizeof line))
        zc_tlog_add_line ((zc_tlog_t *) arg, line, "sim", 0);
}

int
main (int argc, char **argv)
{
    static const struct option options [] = {
        { "seed",           required_argument, NULL, 's' },
        { "nodes",          required_argument, NULL, 'n' },
        { "no-leader-down", no_argument,       NULL, 'd' },
        { "lines",          no_argument,       NULL, 'l' },
        { "all",            no_argument,       NULL, 'a' },
        { "svg",            required_argument, NULL, 'v' },
        { "help",           no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    sim_scenario_t scenario = { .seed = 1, .nodes = 3, .leader_down = true };
    zc_tlayout_opts_t opts;
    zc_tlayout_opts_default (&opts);
    bool lines = false;
    const char *svg = NULL;
    int code;
    uint64_t value;
    opterr = 0;
    while ((code = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (code) {
            case 's':
                if (zc_parse_u64_c (optarg, 0, UINT64_MAX, &value) != ZC_PARSE_OK) {
                    fprintf (stderr, "zchat-sim-trace: --seed: '%s' is not a number\n", optarg);
                    return 2;
                }
                scenario.seed = value;
                break;
            case 'n':
                if (zc_parse_u64 (optarg, 2, 7, &value) != ZC_PARSE_OK) {
                    fprintf (stderr, "zchat-sim-trace: --nodes: '%s' is not 2..7\n", optarg);
                    return 2;
                }
                scenario.nodes = (size_t) value;
                break;
            case 'd':
                scenario.leader_down = false;
                break;
            case 'l': lines = true; break;
            case 'a': opts.all = true; break;
            case 'v': svg = optarg; break;
            case ':':
                fprintf (stderr, "zchat-sim-trace: %s: missing value\n", argv [optind - 1]);
                return 2;
            case 'h':
                printf ("usage: zchat-sim-trace SCENARIO [--seed N] [--nodes N] [--no-leader-down]\n"
                        "                       [--all] [--svg FILE] [--lines]\n"
                        "Draws the scenario's election as chat-trace does (--lines: the\n"
                        "zc-trace lines instead, for chat-trace -).\n"
                        "scenarios: %s\n", sim_scenario_names ());
                return 0;
            default:
                fprintf (stderr, "zchat-sim-trace: bad option %s (see --help)\n", argv [optind - 1]);
                return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf (stderr, "zchat-sim-trace: name one scenario (%s)\n", sim_scenario_names ());
        return 2;
    }
    scenario.name = argv [optind];
    char err [600] = "";
    if (lines) {
        int rc = sim_scenario_run (&scenario, s_print, stdout, err, sizeof err);
        if (rc)
            fprintf (stderr, "zchat-sim-trace: %s\n", err);
        return rc < 0 ? 2 : rc;
    }
    zc_tlog_t *log = zc_tlog_new ();
    int rc = sim_scenario_run (&scenario, s_collect, log, err, sizeof err);
    if (rc)
        fprintf (stderr, "zchat-sim-trace: %s\n", err);
    if (rc >= 0) {
        //  Drawn even when the scenario failed: the chart shows where
        zc_tlog_sort (log);
        size_t count = 0;
        const zc_tev_t *events = zc_tlog_events (log, &count);
        zc_tlayout_t *layout = zc_tlayout_new (events, count, &opts);
        zc_trender_ascii (layout, stdout);
        if (svg) {
            FILE *file = fopen (svg, "w");
            int failed = !file || zc_trender_svg (layout, file);
            if ((file && fclose (file)) || failed) {
                fprintf (stderr, "zchat-sim-trace: cannot write %s\n", svg);
                rc = 2;
            }
        }
        zc_tlayout_destroy (&layout);
    }
    zc_tlog_destroy (&log);
    return rc < 0 ? 2 : rc;
}
