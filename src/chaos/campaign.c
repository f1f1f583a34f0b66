/*  campaign.c — one campaign: the hosts (namespaces or loopback), the
    nodes, the proxy, the workers; the schedule, fault after fault, each
    healed and settled before the next; the drain; cleanup (always, also
    after a signal); the report.
*/
#include "chaos.h"

#include <czmq.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

//  A base port whose 4 x N ports are free on 127.0.0.1 (loopback runs)
static unsigned
s_free_base (unsigned nodes)
{
    srand ((unsigned) getpid () ^ (unsigned) time (NULL));
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned base = 10000 + (unsigned) rand () % 4000;
        bool ok = true;
        for (unsigned i = 0; i < nodes && ok; i++)
            for (unsigned off = 0; off <= 3000 && ok; off += 1000) {
                int fd = socket (AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in at = { .sin_family = AF_INET,
                                          .sin_port = htons ((uint16_t) (base + i + off)) };
                at.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
                ok = fd >= 0 && bind (fd, (struct sockaddr *) &at, sizeof (at)) == 0;
                if (fd >= 0)
                    close (fd);
            }
        if (ok)
            return base;
    }
    return 15051;
}

//  Root is not always enough: a restricted container may refuse network
//  namespaces.  Try once with a throw-away namespace, entered the way the
//  harness enters them (setns: nsenter here, nodes.c and netns.c)
static bool
s_netns_works (zc_chaos_t *ch)
{
    char command [320];
    snprintf (command, sizeof (command),
              "ip netns add %s-probe >/dev/null 2>&1 && "
              "nsenter --net=/run/netns/%s-probe true >/dev/null 2>&1; rc=$?; "
              "ip netns del %s-probe >/dev/null 2>&1; exit $rc",
              ch->runid, ch->runid, ch->runid);
    return system (command) == 0;
}

//  Hosts, ports and the proxied link, before anything starts
static int
s_plan (zc_chaos_t *ch, char *err, size_t errlen)
{
    snprintf (ch->runid, sizeof (ch->runid), "zcc%ld", (long) getpid ());
    ch->netns = geteuid () == 0 && !ch->no_netns;
    bool works = !ch->netns || s_netns_works (ch);
    ch->active = ch->mask;
    if (!ch->netns || !works) {
        ch->netns = false;
        if (ch->mask & ZC_F_NEED_ROOT)
            printf ("chat-chaos: %s: network faults (isolate, split, loss) skipped; "
                    "nodes run on 127.0.0.1\n",
                    ch->no_netns ? "--no-netns"
                  : !works ? "network namespaces do not work here (a chroot or a "
                             "container without the rights?)"
                  : "not root");
        ch->active &= ~ZC_F_NEED_ROOT;
    }
    if (!ch->active) {
        snprintf (err, errlen, "no fault kind of --faults can run here");
        return -1;
    }
    if (!ch->base_port)
        ch->base_port = ch->netns ? 15051 : s_free_base (ch->nodes);
    for (unsigned i = 0; i < ch->nodes; i++) {
        zc_cnode_t *node = &ch->node [i];
        node->id = i + 1;
        node->port = (uint16_t) (ch->base_port + i);
        node->nsfd = -1;
        if (ch->netns)
            snprintf (node->host, sizeof (node->host), "%s.%u", ZC_CHAOS_NET, node->id);
        else
            snprintf (node->host, sizeof (node->host), "127.0.0.1");
    }
    //  The delayed link: node N-1 dials node N (the usual leader) through
    //  the proxy, always (delay 0 between delay faults)
    if (ch->active & (1u << ZC_F_DELAY)) {
        ch->delay_from = ch->nodes - 1;
        ch->delay_to = ch->nodes;
        if (ch->netns)
            snprintf (ch->proxy_host, sizeof (ch->proxy_host), "%s.%d", ZC_CHAOS_NET,
                      ZC_CHAOS_CLIENT_HOST + 1);
        else
            snprintf (ch->proxy_host, sizeof (ch->proxy_host), "127.0.0.2");
    }
    return 0;
}

static int
s_setup (zc_chaos_t *ch, char *err, size_t errlen)
{
    if (s_plan (ch, err, errlen))
        return -1;
    if (ch->netns) {
        zc_net_cleanup_stale ();
        if (zc_net_setup (ch, err, errlen) || zc_net_enter_client (ch, err, errlen))
            return -1;
    }
    if (zc_nodes_init (ch, err, errlen))
        return -1;
    if (ch->delay_from) {
        const zc_cnode_t *to = &ch->node [ch->delay_to - 1];
        uint16_t ports [2] = { (uint16_t) (to->port + 2000), (uint16_t) (to->port + 3000) };
        ch->proxy = zc_proxy_start (ch->proxy_host, to->host, ports, 2, err, errlen);
        if (!ch->proxy)
            return -1;
    }
    return 0;
}

static void
s_cleanup (zc_chaos_t *ch)
{
    if (ch->crew)
        zc_workers_join (ch->crew);
    //  Before the nodes stop: their goodbyes are no election of the run
    zc_nodelog_stop (ch->nodelog);
    zc_proxy_stats (ch->proxy, &ch->proxy_conns, &ch->proxy_bytes);
    zc_proxy_stop (&ch->proxy);
    zc_nodes_stop_all (ch);
    zsys_shutdown ();           //  zmq's threads live in the client namespace
    zc_net_teardown (ch);
    zc_nodes_free (ch);
}

//  How long a fault takes before its settle, roughly
static int64_t
s_fault_ms (const zc_fault_t *f)
{
    if (f->kind == ZC_F_FLAP)
        return (int64_t) f->param * (f->hold_ms + f->param2 + 100);
    //  return-higher: a stop and a settle before the hold
    return f->hold_ms + (f->kind == ZC_F_FULL_RESTART || f->kind == ZC_F_RETURN_HIGHER
                         ? 1000 : 200);
}

static void
s_run_schedule (zc_chaos_t *ch)
{
    zc_fault_t *plan = calloc (ZC_CHAOS_MAX_FAULTS, sizeof (zc_fault_t));
    ch->runs = calloc (ZC_CHAOS_MAX_FAULTS, sizeof (zc_fault_run_t));
    if (!plan || !ch->runs)
        abort ();
    size_t count = zc_schedule_make (ch->seed, ch->active, plan, ZC_CHAOS_MAX_FAULTS);
    int64_t end = zc_chaos_t_ms (ch) + (int64_t) ch->duration_s * 1000;
    for (size_t i = 0; i < count && !zc_chaos_stop; i++) {
        if (ch->max_faults && ch->nruns >= ch->max_faults)
            break;
        //  Fixed numbers replace the drawn ones after the draw, so that
        //  the seed's kinds and picks stay the same
        if (ch->hold_ms >= 0)
            plan [i].hold_ms = (uint32_t) ch->hold_ms;
        if (ch->gap_ms >= 0)
            plan [i].gap_ms = (uint32_t) ch->gap_ms;
        if (zc_chaos_t_ms (ch) + s_fault_ms (&plan [i]) > end)
            break;
        //  A node that died by itself (a crash, reported) comes back
        for (unsigned n = 0; n < ch->nodes; n++)
            if (!ch->node [n].pid && zc_node_start (ch, n) == 0)
                ch->restarts++;
        zc_fault_run_t *run = &ch->runs [ch->nruns++];
        run->f = plan [i];
        run->index = (unsigned) ch->nruns;
        zc_fault_run (ch, run);
        zc_chaos_log (ch, "#%u %s: %s; %s in %.1f s", run->index, zc_fault_name (run->f.kind),
                      run->what, run->settled ? "settled" : "NOT settled",
                      (double) (run->t_settled - run->t_heal) / 1000.0);
        zc_chaos_sleep (ch, plan [i].gap_ms);
    }
    free (plan);
}

int
zc_campaign (zc_chaos_t *ch)
{
    char err [512] = "", why [1024] = "";
    int rc = 2;
    ch->t0 = zc_now_ms ();
    if (s_setup (ch, err, sizeof (err))) {
        fprintf (stderr, "chat-chaos: %s\n", err);
        goto done;
    }
    zc_chaos_log (ch, "seed %llu: %u nodes (%s), %u workers, run folder %s",
                  (unsigned long long) ch->seed, ch->nodes,
                  ch->netns ? "one network namespace each" : "127.0.0.1", ch->workers,
                  ch->run_dir);
    ch->nodelog = zc_nodelog_start (ch, err, sizeof (err));
    if (!ch->nodelog) {
        fprintf (stderr, "chat-chaos: %s\n", err);
        goto done;
    }
    for (unsigned i = 0; i < ch->nodes; i++)
        zc_node_start (ch, i);
    if (!zc_settle (ch, 30000, why, sizeof (why))) {
        if (!zc_chaos_stop)
            fprintf (stderr, "chat-chaos: the cluster did not start: %s\n", why);
        goto done;
    }
    ch->crew = zc_workers_start (ch, err, sizeof (err));
    if (!ch->crew) {
        fprintf (stderr, "chat-chaos: %s\n", err);
        goto done;
    }
    for (int t = 0; t < 300 && !zc_workers_following (ch->crew) && !zc_chaos_stop; t++)
        zc_chaos_sleep (ch, 100);
    if (!zc_workers_following (ch->crew)) {
        if (!zc_chaos_stop)
            fprintf (stderr, "chat-chaos: the workers found no leader in 30 s\n");
        goto done;
    }
    zc_chaos_sleep (ch, 500);
    zc_workers_sending (ch->crew, true);
    zc_chaos_log (ch, "workers sending; faults for %u s", ch->duration_s);
    zc_chaos_sleep (ch, 2000);
    s_run_schedule (ch);

    //  Quiet: a little more traffic, then every message acknowledged and
    //  delivered everywhere in its room
    zc_chaos_sleep (ch, 1000);
    zc_workers_sending (ch->crew, false);
    int64_t until = zc_now_ms () + (int64_t) ch->drain_s * 1000;
    while (!zc_chaos_stop && !zc_workers_drained (ch->crew, why, sizeof (why))) {
        if (zc_now_ms () >= until) {
            zc_chaos_violation (ch, "DRAIN: %u s after the last message was sent: %s",
                                ch->drain_s, why);
            break;
        }
        zc_chaos_sleep (ch, 200);
    }
    if (!zc_chaos_stop && !zc_settle (ch, (int64_t) ch->settle_s * 1000, why, sizeof (why)))
        zc_chaos_violation (ch, "CONVERGE: at the end, the cluster did not settle: %s", why);
    zc_chaos_log (ch, "campaign over: checking");
    rc = 0;
done:
    ch->interrupted = zc_chaos_stop != 0;
    s_cleanup (ch);
    if (rc == 0 && !ch->interrupted && ch->crew) {
        zc_workers_totals_t wt;
        zc_workers_totals (ch->crew, &wt);
        zc_logs_compare (ch, wt.max_ack_seq);
    }
    if (rc == 0 || (ch->interrupted && ch->crew)) {
        size_t violations = zc_report (ch, stdout);
        rc = ch->interrupted ? 130 : violations ? 1 : 0;
    }
    else
    if (ch->interrupted)
        rc = 130;
    zc_workers_free (&ch->crew);
    zc_nodelog_free (&ch->nodelog);
    free (ch->runs);
    ch->runs = NULL;
    return rc;
}
