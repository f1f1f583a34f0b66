/*  faults.c — find the leader, inject one fault, heal it, and wait for the
    cluster to settle: every live node follows the highest live node, which
    leads.  A cluster that does not settle within --settle seconds is a
    violation (CONVERGE), with what each node said.
*/
#include "chaos.h"

#include <status.h>

#include <inttypes.h>
#include <sched.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define STATUS_MS 400

static void
s_note_epoch (zc_chaos_t *ch, uint64_t epoch)
{
    if (!epoch)
        return;
    for (size_t i = 0; i < ch->nepochs_status; i++)
        if (ch->epochs_status [i] == epoch)
            return;
    if (ch->nepochs_status < sizeof (ch->epochs_status) / sizeof (ch->epochs_status [0]))
        ch->epochs_status [ch->nepochs_status++] = epoch;
}

static int
s_status (zc_chaos_t *ch, zc_status_row_t *rows)
{
    char err [256];
    int n = zc_client_status (ch->servers, STATUS_MS, rows, ZC_CHAOS_MAX_NODES,
                              err, sizeof (err));
    for (int i = 0; i < n; i++)
        if (rows [i].reachable)
            s_note_epoch (ch, rows [i].epoch);
    return n;
}

int
zc_leader_now (zc_chaos_t *ch, uint64_t *epoch)
{
    zc_status_row_t rows [ZC_CHAOS_MAX_NODES];
    int n = s_status (ch, rows), best = -1;
    for (int i = 0; i < n && i < (int) ch->nodes; i++)
        if (rows [i].reachable && strcmp (rows [i].role, "leader") == 0
        &&  rows [i].leader == rows [i].id && rows [i].id == ch->node [i].id
        &&  (best < 0 || rows [i].epoch > rows [best].epoch))
            best = i;
    if (epoch)
        *epoch = best >= 0 ? rows [best].epoch : 0;
    return best;
}

static int
s_highest_live (zc_chaos_t *ch)
{
    int best = -1;
    for (unsigned i = 0; i < ch->nodes; i++)
        if (zc_node_live (&ch->node [i]) && (best < 0 || ch->node [i].id > ch->node [best].id))
            best = (int) i;
    return best;
}

//  One poll: true if settled; else why
static bool
s_settled_now (zc_chaos_t *ch, char *why, size_t cap)
{
    int top = s_highest_live (ch);
    if (top < 0)
        return true;
    uint32_t want = ch->node [top].id;
    zc_status_row_t rows [ZC_CHAOS_MAX_NODES];
    int n = s_status (ch, rows);
    bool ok = n == (int) ch->nodes;
    size_t used = (size_t) snprintf (why, cap, "want node %u leading:", want);
    for (unsigned i = 0; i < ch->nodes && i < (unsigned) n; i++) {
        const zc_status_row_t *r = &rows [i];
        if (!zc_node_live (&ch->node [i]))
            continue;
        bool good = r->reachable && r->id == ch->node [i].id && r->leader == want
                 && (r->id != want || strcmp (r->role, "leader") == 0);
        ok = ok && good;
        if (used < cap) {
            if (r->reachable)
                used += (size_t) snprintf (why + used, cap - used, " [node %u %s, follows %u,"
                                           " epoch %" PRIu64 "]", r->id, r->role, r->leader,
                                           r->epoch);
            else
                used += (size_t) snprintf (why + used, cap - used, " [node %u unreachable]",
                                           ch->node [i].id);
        }
    }
    return ok;
}

bool
zc_settle (zc_chaos_t *ch, int64_t timeout_ms, char *why, size_t cap)
{
    int64_t until = zc_now_ms () + timeout_ms;
    int good = 0;
    while (!zc_chaos_stop) {
        zc_nodes_reap (ch);
        if (s_settled_now (ch, why, cap)) {
            if (++good == 2)    //  twice in a row: not a passing moment
                return true;
        }
        else
            good = 0;
        if (zc_now_ms () >= until)
            return false;
        zc_chaos_sleep (ch, 150);
    }
    snprintf (why, cap, "interrupted");
    return false;
}

//  Index of the pick-th live node that is not `except` (-1 if none)
static int
s_pick_live (zc_chaos_t *ch, uint64_t pick, int except)
{
    int cand [ZC_CHAOS_MAX_NODES], n = 0;
    for (unsigned i = 0; i < ch->nodes; i++)
        if (zc_node_live (&ch->node [i]) && (int) i != except)
            cand [n++] = (int) i;
    return n ? cand [pick % (uint64_t) n] : -1;
}

static void
s_restart (zc_chaos_t *ch, unsigned i)
{
    if (zc_node_start (ch, i) == 0)
        ch->restarts++;
}

//  The leader found when the fault began, or (none found) the highest live
//  node; role says which
static int
s_leader (zc_chaos_t *ch, int found, const char **role)
{
    *role = "the leader";
    if (found < 0) {
        found = s_highest_live (ch);
        *role = "no leader found: the highest live node";
    }
    return found;
}

//  A cluster that does not settle is a violation, with what each node said
static bool
s_settle_or_flag (zc_chaos_t *ch, zc_fault_run_t *run, const char *when)
{
    char why [1024];
    bool settled = zc_settle (ch, (int64_t) ch->settle_s * 1000, why, sizeof (why));
    if (!settled && !zc_chaos_stop)
        zc_chaos_violation (ch, "CONVERGE: %s fault #%u (%s: %s), the cluster did not "
                            "settle within %u s: %s", when, run->index,
                            zc_fault_name (run->f.kind), run->what, ch->settle_s, why);
    return settled;
}

//  One function per fault kind: inject the fault (run->what says what was
//  done, run->t_inject when), hold it for f->hold_ms, heal it.  `found` is
//  the leader's index when the fault began (-1: none found); the return is
//  the node struck (-1: none in particular)

//  kill -9 / SIGTERM / SIGSTOP of the leader or of a backup, then restart
//  or SIGCONT after the hold
static int
s_fault_node (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    const zc_fault_t *f = &run->f;
    const char *role = "";
    bool of_leader = f->kind == ZC_F_KILL_LEADER || f->kind == ZC_F_PAUSE_LEADER
                  || f->kind == ZC_F_TERM_LEADER;
    bool kill = f->kind != ZC_F_PAUSE_LEADER && f->kind != ZC_F_PAUSE_BACKUP;
    int sig = f->kind == ZC_F_TERM_LEADER ? SIGTERM : SIGKILL;
    int target = s_leader (ch, found, &role);
    if (!of_leader) {
        target = s_pick_live (ch, f->pick, target);
        role = "a backup";
    }
    if (target < 0) {
        snprintf (run->what, sizeof (run->what), "no node to hit: skipped");
        run->t_inject = run->t_heal = zc_chaos_t_ms (ch);
        return target;
    }
    snprintf (run->what, sizeof (run->what), "node %u (%s) %s for %.2f s",
              ch->node [target].id, role,
              !kill ? "stopped (SIGSTOP)" : sig == SIGKILL ? "killed -9, restarted"
              : "stopped (SIGTERM), restarted", f->hold_ms / 1000.0);
    run->t_inject = zc_chaos_t_ms (ch);
    if (kill)
        zc_node_kill (ch, (unsigned) target, sig);
    else
        zc_node_pause (ch, (unsigned) target, true);
    zc_chaos_sleep (ch, f->hold_ms);
    if (kill)
        s_restart (ch, (unsigned) target);
    else
        zc_node_pause (ch, (unsigned) target, false);
    return target;
}

//  The highest node killed and restarted param times
static int
s_fault_flap (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    (void) found;
    const zc_fault_t *f = &run->f;
    int target = (int) ch->nodes - 1;
    snprintf (run->what, sizeof (run->what), "node %u flapped %u times (down %u ms, "
              "up %u ms)", ch->node [target].id, f->param, f->param2, f->hold_ms);
    run->t_inject = zc_chaos_t_ms (ch);
    for (uint32_t c = 0; c < f->param && !zc_chaos_stop; c++) {
        zc_node_kill (ch, (unsigned) target, SIGKILL);
        zc_chaos_sleep (ch, f->param2);
        s_restart (ch, (unsigned) target);
        if (c + 1 < f->param)
            zc_chaos_sleep (ch, f->hold_ms);
    }
    return target;
}

//  Every node stopped at once, started again after the hold
static int
s_fault_full_restart (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    (void) found;
    const zc_fault_t *f = &run->f;
    snprintf (run->what, sizeof (run->what), "every node stopped (%s), started "
              "again after %.2f s", f->param ? "SIGTERM" : "SIGKILL", f->hold_ms / 1000.0);
    run->t_inject = zc_chaos_t_ms (ch);
    for (unsigned i = 0; i < ch->nodes; i++)
        zc_node_kill (ch, i, f->param ? SIGTERM : SIGKILL);
    zc_chaos_sleep (ch, f->hold_ms);
    for (unsigned i = 0; i < ch->nodes; i++)
        s_restart (ch, i);
    return -1;
}

//  One node (the leader with param) cut off from everyone
static int
s_fault_isolate (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    const zc_fault_t *f = &run->f;
    const char *role = "";
    int target = f->param ? s_leader (ch, found, &role) : s_pick_live (ch, f->pick, -1);
    if (!f->param)
        role = "a node";
    if (target < 0)
        target = (int) ch->nodes - 1;
    snprintf (run->what, sizeof (run->what), "node %u (%s) cut off (%s) for %.2f s",
              ch->node [target].id, role, f->param2 ? "link down" : "nftables drop",
              f->hold_ms / 1000.0);
    run->t_inject = zc_chaos_t_ms (ch);
    zc_net_isolate (ch, (unsigned) target, f->param2);
    zc_chaos_sleep (ch, f->hold_ms);
    zc_net_heal (ch);
    return target;
}

//  A minority (with the leader in it with param) split from the rest
static int
s_fault_split (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    const zc_fault_t *f = &run->f;
    zc_rng_t rng = { f->pick };
    const char *role = "";
    bool minority [ZC_CHAOS_MAX_NODES] = { false };
    unsigned size = (ch->nodes - 1) / 2, have = 0;
    int leader = s_leader (ch, found, &role);
    if (f->param && leader >= 0) {
        minority [leader] = true;
        have++;
    }
    while (have < size) {
        unsigned i = (unsigned) (zc_rng_next (&rng) % ch->nodes);
        if (!minority [i] && (int) i != leader) {
            minority [i] = true;
            have++;
        }
    }
    char side [64] = "";
    size_t used = 0;
    for (unsigned i = 0; i < ch->nodes; i++)
        if (minority [i])
            used += (size_t) snprintf (side + used, sizeof (side) - used, "%s%u",
                                       used ? "," : "", ch->node [i].id);
    snprintf (run->what, sizeof (run->what), "minority {%s} split from the rest for "
              "%.2f s (leader %s)", side, f->hold_ms / 1000.0,
              leader >= 0 && minority [leader] ? "in the minority" : "in the majority");
    run->t_inject = zc_chaos_t_ms (ch);
    zc_net_split (ch, minority);
    zc_chaos_sleep (ch, f->hold_ms);
    zc_net_heal (ch);
    return -1;
}

//  param % of packets dropped everywhere
static int
s_fault_loss (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    (void) found;
    const zc_fault_t *f = &run->f;
    snprintf (run->what, sizeof (run->what), "%u %% of packets dropped everywhere "
              "for %.2f s", f->param, f->hold_ms / 1000.0);
    run->t_inject = zc_chaos_t_ms (ch);
    zc_net_loss (ch, f->param);
    zc_chaos_sleep (ch, f->hold_ms);
    zc_net_heal (ch);
    return -1;
}

//  One link slowed by param ms each way, through the delay proxy
static int
s_fault_delay (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    (void) found;
    const zc_fault_t *f = &run->f;
    snprintf (run->what, sizeof (run->what), "link node %u -> node %u delayed %u ms "
              "each way for %.2f s", ch->delay_from, ch->delay_to, f->param,
              f->hold_ms / 1000.0);
    run->t_inject = zc_chaos_t_ms (ch);
    zc_proxy_set_delay (ch->proxy, f->param);
    zc_chaos_sleep (ch, f->hold_ms);
    zc_proxy_set_delay (ch->proxy, 0);
    return -1;
}

//  A planned fail-back: the highest node stops (SIGTERM), the others elect
//  a leader among themselves; after hold the node returns while the load
//  runs and, after the hold-down, the leader hands over to it.  The fault
//  is the return: that is what the clients live through, so the leader it
//  strikes is the one found then (run->struck_leader is set here).
static int
s_fault_return_higher (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    (void) found;
    unsigned top = ch->nodes - 1;
    uint32_t id = ch->node [top].id;
    run->t_begin = zc_chaos_t_ms (ch);
    zc_node_kill (ch, top, SIGTERM);
    snprintf (run->what, sizeof (run->what), "node %u (highest) stopped (SIGTERM)", id);
    s_settle_or_flag (ch, run, "after the stop of");     //  goes on: a verdict, not a halt
    zc_chaos_sleep (ch, run->f.hold_ms);
    int now = zc_leader_now (ch, &run->old_epoch);
    run->old_leader = now >= 0 ? ch->node [now].id : 0;
    run->struck_leader = now >= 0;
    snprintf (run->what, sizeof (run->what), "node %u (highest) stopped (SIGTERM), back "
              "after %.2f s to take over from node %u", id, run->f.hold_ms / 1000.0,
              run->old_leader);
    run->t_inject = zc_chaos_t_ms (ch);
    s_restart (ch, top);
    return -1;
}

//  Sets the CPU mask of every thread of pid (sched_setaffinity takes one
//  thread: the node's storage and ZeroMQ I/O threads would stay free).
//  True if at least the main thread took it.
static bool
s_pin_process (pid_t pid, const cpu_set_t *set)
{
    bool main_done = sched_setaffinity (pid, sizeof (*set), set) == 0;
    char path [64];
    snprintf (path, sizeof (path), "/proc/%d/task", (int) pid);
    DIR *dir = opendir (path);
    struct dirent *task;
    while (dir && (task = readdir (dir))) {
        pid_t tid = (pid_t) atoi (task->d_name);
        if (tid > 0 && tid != pid)
            sched_setaffinity (tid, sizeof (*set), set);
    }
    if (dir)
        closedir (dir);
    return main_done;
}

//  A busy process on the leader's CPU: the leader (every thread of it) is
//  pinned to one CPU and a child of the harness spins there beside it at
//  the same priority, so the leader gets about half of one core (issue 11: no leader change with
//  one core taken by a CPU hog).  Afterwards the leader may use every CPU
//  again.  Pinning needs nothing but owning the process.
static int
s_fault_cpu_hog (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    const zc_fault_t *f = &run->f;
    const char *role = "";
    int target = s_leader (ch, found, &role);
    if (target < 0 || !ch->node [target].pid) {
        snprintf (run->what, sizeof (run->what), "no node to share a CPU with: skipped");
        run->t_inject = run->t_heal = zc_chaos_t_ms (ch);
        return -1;
    }
    pid_t node = ch->node [target].pid;
    cpu_set_t before, one;
    int cpu = sched_getcpu ();
    if (sched_getaffinity (node, sizeof (before), &before) || cpu < 0)
        cpu = 0;
    CPU_ZERO (&one);
    CPU_SET (cpu, &one);
    run->t_inject = zc_chaos_t_ms (ch);
    bool pinned = s_pin_process (node, &one);
    pid_t hog = fork ();
    if (hog == 0) {
        //  Dies with the harness, whatever happens to it
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () == 1)
            _exit (0);
        sched_setaffinity (0, sizeof (one), &one);
        for (volatile uint64_t spin = 0;; spin++)
            ;
    }
    snprintf (run->what, sizeof (run->what), "node %u (%s) %s CPU %d with a busy process for "
              "%.2f s", ch->node [target].id, role, pinned ? "pinned to" : "(not pinned) beside",
              cpu, f->hold_ms / 1000.0);
    zc_chaos_sleep (ch, f->hold_ms);
    if (hog > 0) {
        kill (hog, SIGKILL);
        waitpid (hog, NULL, 0);
    }
    if (pinned && ch->node [target].pid == node)
        s_pin_process (node, &before);
    return target;
}

//  A slow disk under a backup: every sync of its storage thread takes
//  param ms longer (the node's test-only hook, docs/STORAGE.md: the
//  harness starts nodes with ZCHAT_TEST_SLOW_DISK=1 and writes the delay
//  into the node's data folder).  The leader and the other backups make
//  the majority meanwhile (issue 11: no leader change).
static int
s_fault_slow_disk (zc_chaos_t *ch, zc_fault_run_t *run, int found)
{
    const zc_fault_t *f = &run->f;
    const char *role = "";
    int leader = s_leader (ch, found, &role);
    int target = s_pick_live (ch, f->pick, leader);
    if (target < 0) {
        snprintf (run->what, sizeof (run->what), "no backup to slow down: skipped");
        run->t_inject = run->t_heal = zc_chaos_t_ms (ch);
        return -1;
    }
    char path [512];
    snprintf (path, sizeof (path), "%s/data/node-%u/test-sync-delay-ms", ch->run_dir,
              ch->node [target].id);
    FILE *file = fopen (path, "w");
    bool set = file && fprintf (file, "%u\n", f->param) > 0;
    if (file && fclose (file))
        set = false;
    snprintf (run->what, sizeof (run->what), "node %u (a backup): every sync %u ms slower "
              "for %.2f s%s", ch->node [target].id, f->param, f->hold_ms / 1000.0,
              set ? "" : " (could not write the hook's file)");
    run->t_inject = zc_chaos_t_ms (ch);
    zc_chaos_sleep (ch, f->hold_ms);
    unlink (path);
    return target;
}

typedef int (s_fault_fn) (zc_chaos_t *ch, zc_fault_run_t *run, int found);

static s_fault_fn *const s_faults [ZC_F_KINDS] = {
    [ZC_F_KILL_LEADER] = s_fault_node,      [ZC_F_KILL_BACKUP] = s_fault_node,
    [ZC_F_PAUSE_LEADER] = s_fault_node,     [ZC_F_PAUSE_BACKUP] = s_fault_node,
    [ZC_F_TERM_LEADER] = s_fault_node,      [ZC_F_FLAP] = s_fault_flap,
    [ZC_F_FULL_RESTART] = s_fault_full_restart, [ZC_F_ISOLATE] = s_fault_isolate,
    [ZC_F_SPLIT] = s_fault_split,           [ZC_F_LOSS] = s_fault_loss,
    [ZC_F_DELAY] = s_fault_delay,           [ZC_F_RETURN_HIGHER] = s_fault_return_higher,
    [ZC_F_CPU_HOG] = s_fault_cpu_hog,       [ZC_F_SLOW_DISK] = s_fault_slow_disk,
};

void
zc_fault_run (zc_chaos_t *ch, zc_fault_run_t *run)
{
    const zc_fault_t *f = &run->f;
    run->t_begin = -1;
    int found = zc_leader_now (ch, &run->old_epoch);
    if (found < 0)      //  a STATUS reply late on a busy machine: ask again
        found = zc_leader_now (ch, &run->old_epoch);
    run->old_leader = found >= 0 ? ch->node [found].id : 0;
    int target = -1;
    if (f->kind < ZC_F_KINDS && s_faults [f->kind])
        target = s_faults [f->kind] (ch, run, found);
    if (f->kind != ZC_F_RETURN_HIGHER)
        run->struck_leader = found >= 0
            && (target == found || f->kind == ZC_F_FULL_RESTART
                || (f->kind == ZC_F_SPLIT && f->param));
    if (run->t_begin < 0)
        run->t_begin = run->t_inject;
    run->t_heal = zc_chaos_t_ms (ch);
    run->settled = s_settle_or_flag (ch, run, "after");
    run->t_settled = zc_chaos_t_ms (ch);
}
