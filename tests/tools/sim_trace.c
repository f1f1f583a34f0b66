/*  sim_trace.c — sim-trace: an election scenario on the simulator, as
    zc-trace lines for chat-trace (docs/ELECTION.md "Watching an
    election").

        sim-trace SCENARIO [--seed N] [--nodes N] [--no-leader-down]
        sim-trace kill-leader --seed 7 | chat-trace -

    The same (scenario, seed, nodes) prints the same lines: a teacher can
    replay "kill node 3" or a partition exactly.  Exit 0; 1 if the
    scenario failed (an invariant, or no leader in time: why on stderr);
    2 for bad flags.
*/
#include "scenario.h"
#include "numparse.h"

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

int
main (int argc, char **argv)
{
    static const struct option options [] = {
        { "seed",           required_argument, NULL, 's' },
        { "nodes",          required_argument, NULL, 'n' },
        { "no-leader-down", no_argument,       NULL, 'd' },
        { "help",           no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    sim_scenario_t scenario = { .seed = 1, .nodes = 3, .leader_down = true };
    int code;
    uint64_t value;
    opterr = 0;
    while ((code = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (code) {
            case 's':
                if (zc_parse_u64_c (optarg, 0, UINT64_MAX, &value) != ZC_PARSE_OK) {
                    fprintf (stderr, "sim-trace: --seed: '%s' is not a number\n", optarg);
                    return 2;
                }
                scenario.seed = value;
                break;
            case 'n':
                if (zc_parse_u64 (optarg, 2, 7, &value) != ZC_PARSE_OK) {
                    fprintf (stderr, "sim-trace: --nodes: '%s' is not 2..7\n", optarg);
                    return 2;
                }
                scenario.nodes = (size_t) value;
                break;
            case 'd':
                scenario.leader_down = false;
                break;
            case 'h':
                printf ("usage: sim-trace SCENARIO [--seed N] [--nodes N] [--no-leader-down]\n"
                        "scenarios: %s\n", sim_scenario_names ());
                return 0;
            default:
                fprintf (stderr, "sim-trace: bad option %s (see --help)\n", argv [optind - 1]);
                return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf (stderr, "sim-trace: name one scenario (%s)\n", sim_scenario_names ());
        return 2;
    }
    scenario.name = argv [optind];
    char err [600] = "";
    int rc = sim_scenario_run (&scenario, s_print, stdout, err, sizeof err);
    if (rc) {
        fprintf (stderr, "sim-trace: %s\n", err);
        return rc < 0 ? 2 : 1;
    }
    return 0;
}
