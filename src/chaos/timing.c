/*  timing.c — what the nodes' election lines (nodelog.c) say about one
    fault: when a node first noticed, when a new leader was elected, how
    many elections the fault cost.  Pure: lines in, numbers out.

    The lines (src/node/election.c, after "[ELECTION] node N: "):
      "lost the connection to leader L"     the socket monitor saw it close
      "leader L missed heartbeats"          `misses` pings went unanswered
      "node H is back and higher, handing over"   the leader stops serving
      "I am the leader (epoch E)"           a quorum accepted the claim
*/
#include "chaos.h"

#include <stdio.h>
#include <string.h>

typedef enum { S_OTHER, S_LOST, S_HANDOVER, S_ELECTED } s_what_t;

//  What a line says, and about which node (the lost leader, the node
//  handed over to)
static s_what_t
s_parse (const zc_logline_t *line, uint32_t *about)
{
    unsigned self = 0, id = 0;
    int at = 0, end = 0;
    if (sscanf (line->text, "[ELECTION] node %u: %n", &self, &at) != 1 || !at)
        return S_OTHER;
    const char *rest = line->text + at;
    unsigned long long epoch;
    *about = 0;
    if ((sscanf (rest, "lost the connection to leader %u%n", &id, &end) == 1 && end)
    ||  (sscanf (rest, "leader %u missed heartbeats%n", &id, &end) == 1 && end)) {
        *about = id;
        return S_LOST;
    }
    if (sscanf (rest, "node %u is back and higher, handing over%n", &id, &end) == 1 && end) {
        *about = id;
        return S_HANDOVER;
    }
    if (sscanf (rest, "I am the leader (epoch %llu)%n", &epoch, &end) == 1 && end)
        return S_ELECTED;
    return S_OTHER;
}

//  A return-higher fault: the old leader's hand-over line (detection, and
//  where the outage starts), then the election of the node it names
static void
s_handover (const zc_logline_t *lines, size_t count, const zc_fault_run_t *run,
            zc_fault_timing_t *out)
{
    uint32_t target = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t about;
        if (lines [i].t < run->t_inject)
            continue;
        s_what_t what = s_parse (&lines [i], &about);
        if (what == S_HANDOVER && out->detect_ms < 0
        &&  (!run->old_leader || lines [i].node == run->old_leader)) {
            out->detect_ms = lines [i].t - run->t_inject;
            out->outage_from = lines [i].t;
            target = about;
        }
        else
        if (what == S_ELECTED && out->elect_ms < 0 && target && lines [i].node == target) {
            out->elect_ms = lines [i].t - run->t_inject;
            out->new_leader = lines [i].node;
        }
    }
}

//  A fault that struck the leader: who noticed first, who was elected
static void
s_failover (const zc_logline_t *lines, size_t count, const zc_fault_run_t *run,
            zc_fault_timing_t *out)
{
    //  After a full restart the old leader may well win again
    bool any = run->f.kind == ZC_F_FULL_RESTART;
    for (size_t i = 0; i < count; i++) {
        uint32_t about;
        if (lines [i].t < run->t_inject)
            continue;
        s_what_t what = s_parse (&lines [i], &about);
        if (what == S_LOST && out->detect_ms < 0 && !any
        &&  (!run->old_leader || about == run->old_leader))
            out->detect_ms = lines [i].t - run->t_inject;
        else
        if (what == S_ELECTED && out->elect_ms < 0
        &&  (any || lines [i].node != run->old_leader)) {
            out->elect_ms = lines [i].t - run->t_inject;
            out->new_leader = lines [i].node;
        }
    }
}

void
zc_fault_timing (const zc_logline_t *lines, size_t count, const zc_fault_run_t *run,
                 zc_fault_timing_t *out)
{
    *out = (zc_fault_timing_t) { .detect_ms = -1, .elect_ms = -1,
                                 .outage_from = run->t_inject };
    for (size_t i = 0; i < count; i++) {
        uint32_t about;
        if (lines [i].t >= run->t_begin && lines [i].t <= run->t_settled
        &&  s_parse (&lines [i], &about) == S_ELECTED)
            out->elections++;
    }
    if (run->f.kind == ZC_F_RETURN_HIGHER) {
        //  The old leader serves on through the hold-down: the clients'
        //  outage is the hand-over's, from the moment it stops serving
        out->outage_from = -1;
        s_handover (lines, count, run, out);
    }
    else
    if (run->struck_leader)
        s_failover (lines, count, run, out);
}

size_t
zc_elections_outside (const zc_logline_t *lines, size_t count,
                      const zc_fault_run_t *runs, size_t nruns)
{
    size_t outside = 0;
    for (size_t i = 0; i < count && nruns; i++) {
        uint32_t about;
        if (lines [i].t < runs [0].t_begin || s_parse (&lines [i], &about) != S_ELECTED)
            continue;
        bool inside = false;
        for (size_t r = 0; r < nruns && !inside; r++)
            inside = lines [i].t >= runs [r].t_begin && lines [i].t <= runs [r].t_settled;
        outside += !inside;
    }
    return outside;
}
