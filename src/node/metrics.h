/*  metrics.h — the node's metrics and their Prometheus text exposition
    (docs/METRICS.md).  Pure: plain structs and a renderer into memory;
    no sockets, no clock, no locks.  The loop fills a zc_metrics_t, the
    HTTP thread (metrics_http.h) renders a copy of it.

    Histograms keep microseconds as integers, so sums are exact and a
    test can predict every byte; they are rendered in seconds.
*/
#ifndef ZC_METRICS_H
#define ZC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_HISTOGRAM_MAX 16         //  finite buckets at most (+Inf is extra)

typedef struct {
    size_t bound_count;
    uint64_t bounds [ZC_HISTOGRAM_MAX];     //  upper bounds (le), microseconds, rising
    uint64_t counts [ZC_HISTOGRAM_MAX + 1]; //  per bucket, not cumulative; last: +Inf
    uint64_t count;
    uint64_t sum_us;
} zc_histogram_t;

//  Empty, with these upper bounds (rising; at most ZC_HISTOGRAM_MAX kept).
void zc_histogram_init (zc_histogram_t *self, const uint64_t *bounds_us, size_t count);
//  One observation: it lands in the first bucket whose bound is >= it.
void zc_histogram_observe (zc_histogram_t *self, uint64_t usecs);

//  The buckets the node uses: ACK latency and fsync time.
void zc_histogram_init_ack (zc_histogram_t *self);
void zc_histogram_init_fsync (zc_histogram_t *self);

//  Everything a scrape shows, as one node knew it at one moment.
typedef struct {
    uint32_t node;
    int role;                       //  zc_role_t (election.h)
    bool serving;
    uint64_t epoch;
    uint32_t leader;                //  0: none known
    uint64_t commit, last_seq;
    uint64_t posts;                 //  POSTs stamped into the log here
    uint64_t publications;          //  chat messages published here
    uint64_t repl_sent;             //  log entries sent to other nodes
    uint64_t repl_received;         //  log entries from others appended here
    uint64_t dropped_invalid, dropped_reply_lost, dropped_forged;
    uint64_t refused_limit, refused_rate, refused_handshake;
    uint64_t clients;               //  client connections active in the last minute
    uint64_t client_ids;            //  client ids the log remembers (entries or retired values)
    uint64_t client_ids_dropped;    //  retired client ids forgotten (--client-ttl, --max-client-ids)
    uint64_t elections_started, elections_won, leader_changes;
    uint64_t fsync_writes;          //  writes the syncs covered (group commit)
    //  PINGs answered by a wake-up's heartbeat drain, and inside a client
    //  batch or a bundle's sends (heartbeat priority)
    uint64_t pings_wakeup, pings_batch;
    zc_histogram_t ack_latency;     //  POST received to its ACK sent
    zc_histogram_t fsync;           //  each sync of the log
} zc_metrics_t;

//  The exposition (text format 0.0.4) into out, NUL-terminated if size > 0.
//  Returns the length the whole text needs, as snprintf does: a return
//  >= size means out was too small.
size_t zc_metrics_render (const zc_metrics_t *metrics, char *out, size_t size);

//  A label value escaped as the format says (backslash, double quote and
//  line feed); HELP text escapes only backslash and line feed.  Both
//  write at most size bytes with the NUL and return the length needed.
size_t zc_metrics_escape_label (const char *value, char *out, size_t size);
size_t zc_metrics_escape_help (const char *text, char *out, size_t size);

#endif
