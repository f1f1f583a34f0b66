/*  chaos.h — chat-chaos, the fault-injection harness: shared types.

    One process: the main thread starts the nodes (fork/exec, by PID),
    injects the faults of a seeded schedule and watches the cluster with
    STATUS; K worker threads are clients (one zc_client each) that send
    at a fixed rate and record what happened; a proxy thread delays one
    peer link on demand.  As root, every node runs in its own network
    namespace and the harness's threads in a client namespace, all joined
    by a bridge in a hub namespace (netns.c).

    Modules: schedule.c (splitmix64, the fault schedule), nodes.c (node
    processes), netns.c (namespaces, nftables), proxy.c (delaying TCP
    proxy), workers.c (client threads), faults.c (inject, heal, settle),
    nodelog.c (a thread that timestamps the nodes' election log lines),
    timing.c (detection and election times of a fault, from those lines),
    report.c (verdict, text, JSON and CSV), main.c (options, campaign).
*/
#ifndef ZC_CHAOS_H
#define ZC_CHAOS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ZC_CHAOS_MAX_NODES   9
#define ZC_CHAOS_MAX_WORKERS 64
#define ZC_CHAOS_MAX_ROOMS   16
#define ZC_CHAOS_MAX_FAULTS  2048
#define ZC_CHAOS_MAX_VIOLS   256
#define ZC_CHAOS_NET         "10.213.7"    //  the namespaces' private /24
#define ZC_CHAOS_CLIENT_HOST 200            //  .200 workers, .201 proxy

//  --------------------------------------------------------------------------
//  Fault kinds and the seeded schedule (schedule.c)

typedef enum {
    ZC_F_KILL_LEADER,       //  kill -9 the leader, restart it after hold
    ZC_F_KILL_BACKUP,       //  kill -9 a backup, restart it after hold
    ZC_F_PAUSE_LEADER,      //  SIGSTOP the leader, SIGCONT after hold
    ZC_F_PAUSE_BACKUP,      //  SIGSTOP a backup, SIGCONT after hold
    ZC_F_FLAP,              //  kill/restart the highest node, param times
    ZC_F_FULL_RESTART,      //  stop every node, start them after hold
    ZC_F_ISOLATE,           //  cut one node off the network (root)
    ZC_F_SPLIT,             //  minority | majority (root)
    ZC_F_LOSS,              //  drop param % of packets everywhere (root)
    ZC_F_DELAY,             //  delay one peer link by param ms (proxy)
    //  Failover kinds, asked for by name only (not in "all"): a seed's
    //  schedule of "all" stays what it was before they existed
    ZC_F_TERM_LEADER,       //  SIGTERM the leader (a planned stop), restart after hold
    ZC_F_RETURN_HIGHER,     //  SIGTERM the highest node, restart it after hold: it
                            //  takes over by hand-over (the fault is the restart)
    ZC_F_CPU_HOG,           //  a busy process shares the leader's CPU for hold
    ZC_F_SLOW_DISK,         //  a backup's every sync takes param ms longer for hold
    ZC_F_KINDS
} zc_fault_kind_t;

#define ZC_F_ALL        ((1u << ZC_F_TERM_LEADER) - 1)
#define ZC_F_EVERY      ((1u << ZC_F_KINDS) - 1)
#define ZC_F_NEED_ROOT  ((1u << ZC_F_ISOLATE) | (1u << ZC_F_SPLIT) | (1u << ZC_F_LOSS))

typedef struct {
    zc_fault_kind_t kind;
    uint64_t pick;          //  chooses the target among candidates at run time
    uint32_t hold_ms;       //  how long the fault lasts (flap: up time per cycle)
    uint32_t gap_ms;        //  quiet time after the cluster settled
    uint32_t param;         //  flap: cycles; loss: percent; delay: ms;
                            //  split, isolate: 1 = the leader is the target;
                            //  full restart: 1 = SIGTERM (else SIGKILL)
    uint32_t param2;        //  flap: down time per cycle; isolate: 1 = link down
} zc_fault_t;

typedef struct { uint64_t state; } zc_rng_t;

uint64_t zc_rng_next (zc_rng_t *rng);
uint32_t zc_rng_range (zc_rng_t *rng, uint32_t lo, uint32_t hi);   //  inclusive
const char *zc_fault_name (zc_fault_kind_t kind);
//  Parses "kill-leader,split,..." ("all": every kind but the failover
//  kinds) into a mask; -1 on an unknown name
int zc_fault_mask (const char *list, uint32_t *mask);
//  Writes the mask as a list of names
void zc_fault_list (uint32_t mask, char *out, size_t cap);
//  The schedule of a seed: every kind of the mask once (in a seeded order),
//  then kinds drawn at random.  Returns the number written (cap).
size_t zc_schedule_make (uint64_t seed, uint32_t mask, zc_fault_t *out, size_t cap);

//  --------------------------------------------------------------------------
//  The campaign

typedef struct {
    uint32_t id;
    uint16_t port;
    char host [32];         //  where clients and peers dial it
    char ns [64];           //  its network namespace, "" on loopback
    int nsfd;               //  -1 on loopback
    pid_t pid;              //  0: not running
    bool paused;
    bool expect_exit;       //  we killed it: its death is no crash
    unsigned starts;
    char **argv;            //  built once, NULL-terminated
} zc_cnode_t;

//  One fault as it ran
typedef struct {
    zc_fault_t f;
    unsigned index;
    int64_t t_inject, t_heal, t_settled;    //  ms since the campaign started
    int64_t t_begin;        //  the fault's first action (return-higher: its stop)
    bool settled;
    uint32_t old_leader;    //  leading when the fault struck (0: none found)
    uint64_t old_epoch;
    bool struck_leader;     //  the fault hit that leader (kill, stop, cut off)
    char what [200];        //  "node 5 (leader) killed, restarted after 1.9 s"
} zc_fault_run_t;

typedef struct zc_proxy zc_proxy_t;
typedef struct zc_workers zc_workers_t;
typedef struct zc_nodelog zc_nodelog_t;

typedef struct {
    //  Options
    uint64_t seed;
    unsigned duration_s, nodes, workers, rooms, settle_s, drain_s;
    double rate;
    uint32_t mask;                  //  fault kinds asked for
    unsigned max_faults;            //  --count (0: as many as fit the duration)
    int64_t hold_ms, gap_ms;        //  --hold, --gap (-1: drawn)
    unsigned heartbeat_ms;          //  the nodes' (from --node-flags), for the CSV
    const char *node_bin, *node_flags, *json_path, *csv_path, *label;
    unsigned base_port;
    bool no_netns, keep, quiet;
    int verbose;
    char run_dir [256];
    char self_bin [512];

    //  State
    bool netns;                     //  nodes in namespaces (root)
    uint32_t active;                //  fault kinds that can run here
    char runid [32];
    char servers [1024];
    zc_cnode_t node [ZC_CHAOS_MAX_NODES];
    int client_nsfd, root_nsfd;
    bool net_up;
    unsigned delay_from, delay_to;  //  the proxied peer link (0: none)
    char proxy_host [32];
    zc_proxy_t *proxy;
    uint64_t proxy_conns, proxy_bytes;  //  taken when it stops
    zc_workers_t *crew;             //  the worker threads
    zc_nodelog_t *nodelog;          //  the nodes' election lines, timestamped
    int64_t t0;                     //  monotonic ms at the campaign's start
    zc_fault_run_t *runs;
    size_t nruns;
    unsigned restarts;
    uint64_t epochs_status [64];    //  epochs seen in STATUS (distinct)
    size_t nepochs_status;
    char *viols [ZC_CHAOS_MAX_VIOLS];   //  harness verdicts ("CRASH: ...")
    size_t nviols, viols_dropped;
    bool interrupted;
    FILE *events;                   //  run_dir/events.log
} zc_chaos_t;

extern volatile sig_atomic_t zc_chaos_stop;

//  main.c
int64_t zc_now_ms (void);                               //  monotonic
int64_t zc_chaos_t_ms (zc_chaos_t *ch);                 //  since t0
void zc_chaos_log (zc_chaos_t *ch, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void zc_chaos_violation (zc_chaos_t *ch, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
//  Sleeps ms, reaping nodes; false if the campaign was interrupted
bool zc_chaos_sleep (zc_chaos_t *ch, int64_t ms);
void zc_chaos_command (zc_chaos_t *ch, char *out, size_t cap);

//  nodes.c
int zc_nodes_init (zc_chaos_t *ch, char *err, size_t errlen);
int zc_node_start (zc_chaos_t *ch, unsigned i);
void zc_node_kill (zc_chaos_t *ch, unsigned i, int sig);   //  KILL or TERM, waits
void zc_node_pause (zc_chaos_t *ch, unsigned i, bool pause);
void zc_nodes_reap (zc_chaos_t *ch);                        //  crashes -> violations
void zc_nodes_stop_all (zc_chaos_t *ch);
void zc_nodes_free (zc_chaos_t *ch);
bool zc_node_live (const zc_cnode_t *node);                 //  running, not paused

//  logs.c: the nodes' logs, once they stopped, compared pairwise up to
//  upto (the highest seq a client saw acknowledged); a difference is a
//  LOGS violation.  The image and its comparison are pure (unit-tested).
typedef struct {
    uint8_t *data;
    size_t size;
} zc_log_record_t;
typedef struct {
    uint64_t first;                 //  seq of records [0]
    zc_log_record_t *records;
    size_t count, cap;
} zc_log_image_t;
int zc_log_image_add (zc_log_image_t *image, uint64_t seq, const uint8_t *data, size_t size);
void zc_log_image_free (zc_log_image_t *image);
//  True if a and b hold different bytes at a seq both hold, at most upto
//  (the first such seq in *seq)
bool zc_log_images_differ (const zc_log_image_t *a, const zc_log_image_t *b, uint64_t upto,
                           uint64_t *seq);
void zc_logs_compare (zc_chaos_t *ch, uint64_t upto);

//  netns.c
void zc_net_cleanup_stale (void);
int zc_net_setup (zc_chaos_t *ch, char *err, size_t errlen);
int zc_net_enter_client (zc_chaos_t *ch, char *err, size_t errlen);
void zc_net_teardown (zc_chaos_t *ch);
int zc_net_isolate (zc_chaos_t *ch, unsigned i, bool link_down);
int zc_net_split (zc_chaos_t *ch, const bool *minority);
int zc_net_loss (zc_chaos_t *ch, unsigned percent);
void zc_net_heal (zc_chaos_t *ch);
//  fork/exec argv, output appended to the run's net.log; returns exit status
int zc_run_cmd (zc_chaos_t *ch, const char *const *argv);

//  proxy.c: listens on listen_host at each port, forwards to target_host
zc_proxy_t *zc_proxy_start (const char *listen_host, const char *target_host,
                            const uint16_t *ports, size_t nports,
                            char *err, size_t errlen);
void zc_proxy_set_delay (zc_proxy_t *proxy, unsigned ms);
//  Connections accepted and bytes relayed so far
void zc_proxy_stats (zc_proxy_t *proxy, uint64_t *connections, uint64_t *bytes);
void zc_proxy_stop (zc_proxy_t **proxy_p);

//  workers.c
zc_workers_t *zc_workers_start (zc_chaos_t *ch, char *err, size_t errlen);
bool zc_workers_following (zc_workers_t *w);
void zc_workers_sending (zc_workers_t *w, bool on);
//  True when every message is acknowledged and every worker delivered
//  every acknowledged message of its room; else a reason in why
bool zc_workers_drained (zc_workers_t *w, char *why, size_t cap);
void zc_workers_join (zc_workers_t *w);                     //  stops them
void zc_workers_free (zc_workers_t **w_p);
typedef struct {
    uint64_t sent, acked, delivered, notices, lost;
    size_t epochs;                  //  distinct epochs in leader and ack events
    uint64_t first_epoch, last_epoch;
    uint64_t max_ack_seq;           //  the highest seq any worker saw acknowledged
} zc_workers_totals_t;
void zc_workers_totals (zc_workers_t *w, zc_workers_totals_t *t);
//  Every ack: when (ms since t0), from which node leading which epoch
typedef struct {
    int64_t t;
    uint32_t node;
    uint64_t lead_epoch;
    unsigned worker;        //  whose ack: 0 .. workers - 1
} zc_ack_time_t;
//  Every ack, sorted by time; owned by w
const zc_ack_time_t *zc_workers_ack_times (zc_workers_t *w, size_t *count);
const char *zc_workers_record (zc_workers_t *w, unsigned i);

//  nodelog.c: a thread reads the nodes' log files as they grow (inotify)
//  and timestamps each [ELECTION] and [NODE] line on the campaign's clock:
//  the nodes' own timestamps have whole seconds only
typedef struct {
    int64_t t;              //  ms since t0, when the harness read it
    uint32_t node;          //  whose log
    char text [160];        //  from "[ELECTION]" or "[NODE]" on
} zc_logline_t;
zc_nodelog_t *zc_nodelog_start (zc_chaos_t *ch, char *err, size_t errlen);
//  Stops the thread after a last read; the lines stay until free
void zc_nodelog_stop (zc_nodelog_t *log);
//  The lines in the order read (t never goes down); after stop only
const zc_logline_t *zc_nodelog_lines (zc_nodelog_t *log, size_t *count);
void zc_nodelog_free (zc_nodelog_t **log_p);

//  timing.c: what the nodes' lines say about one fault (pure)
typedef struct {
    int64_t detect_ms;      //  fault -> first node logs the leader lost (or, for
                            //  return-higher, the leader starts the hand-over)
    int64_t elect_ms;       //  fault -> a new leader logs "I am the leader"
    int64_t outage_from;    //  when the client-visible outage starts (ms since
                            //  t0): the fault, or the hand-over's start; -1: unknown
    uint32_t new_leader;    //  who said "I am the leader" first (0: nobody)
    unsigned elections;     //  "I am the leader" lines in [t_begin, t_settled]
} zc_fault_timing_t;
void zc_fault_timing (const zc_logline_t *lines, size_t count, const zc_fault_run_t *run,
                      zc_fault_timing_t *out);
//  "I am the leader" lines after the first fault began that fall in no
//  fault's window [t_begin, t_settled]: elections that no fault explains
size_t zc_elections_outside (const zc_logline_t *lines, size_t count,
                             const zc_fault_run_t *runs, size_t nruns);

//  faults.c
//  The leader's node index (0-based) and epoch, or -1
int zc_leader_now (zc_chaos_t *ch, uint64_t *epoch);
//  Waits until every live node follows the highest live node, which
//  leads; false (and why) if that does not happen within timeout_ms
bool zc_settle (zc_chaos_t *ch, int64_t timeout_ms, char *why, size_t cap);
void zc_fault_run (zc_chaos_t *ch, zc_fault_run_t *run);

//  campaign.c: set up, run the schedule, drain, clean up, report; returns
//  the exit status (0 pass, 1 violations, 2 setup failed, 130 interrupted)
int zc_campaign (zc_chaos_t *ch);

//  report.c: the verdict; returns the number of violations
size_t zc_report (zc_chaos_t *ch, FILE *out);

#endif
