/*  node_metrics.c — --metrics on the loop's side (docs/METRICS.md).

    The loop keeps what only it sees (ACK latency, entries sent, replies
    lost) and, at most every S_PUBLISH_MS, gathers a zc_metrics_t from the
    core, the storage and itself and hands a copy to the HTTP thread
    (metrics_http.h): a scrape costs the loop nothing, and shows the node
    as it was at most S_PUBLISH_MS ago (docs/DECISIONS.md, metrics).
*/
#include "node_impl.h"

#define S_PUBLISH_MS 250

uint64_t
zc_node_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_BOOTTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

int
zc_node_metrics_open (zc_node_t *self, char *err, size_t errlen)
{
    zc_histogram_init_ack (&self->metrics.ack_latency);
    if (!self->cfg.metrics.port)
        return 0;
    self->metrics_http = zc_metrics_http_new (self->cfg.metrics.host, self->cfg.metrics.port,
                                              err, errlen);
    if (!self->metrics_http)
        return -1;
    zsys_info ("node %u: metrics at http://%s:%u/metrics", self->cfg.id,
               self->cfg.metrics.host, self->cfg.metrics.port);
    return 0;
}

void
zc_node_metrics_close (zc_node_t *self)
{
    zc_metrics_http_destroy (&self->metrics_http);
}

//  The bundle's ACKs went out just now: time each from its POST's stamp
void
zc_node_metrics_acked (zc_node_t *self, const zc_core_ready_t *ready)
{
    if (!self->metrics_http || !ready->acked_count)
        return;
    uint64_t now = zc_node_now_us ();
    for (size_t i = 0; i < ready->acked_count; i++)
        zc_histogram_observe (&self->metrics.ack_latency,
                              now > ready->acked [i] ? now - ready->acked [i] : 0);
}

static void
s_gather (zc_node_t *self, uint64_t now)
{
    zc_metrics_t *m = &self->metrics;
    zc_election_t *election = zc_core_election (self->core);
    zc_core_counters_t counters;
    zc_core_counters (self->core, &counters);
    m->node = self->cfg.id;
    m->role = (int) zc_election_role (election);
    m->serving = zc_core_serving (self->core, now);
    m->epoch = zc_election_epoch (election);
    m->leader = zc_election_leader (election);
    m->commit = zc_replica_commit (zc_core_replica (self->core));
    m->last_seq = zc_chatlog_last_seq (zc_core_log (self->core));
    m->posts = counters.handled;
    m->publications = counters.published;
    m->repl_sent = self->repl_sent;
    m->repl_received = counters.appended;
    //  The core's dropped count includes the replies the loop lost
    m->dropped_reply_lost = self->replies_lost;
    m->dropped_invalid = counters.dropped > self->replies_lost
                       ? counters.dropped - self->replies_lost : 0;
    m->dropped_forged = counters.forged;
    m->refused_limit = counters.refused;
    m->refused_rate = counters.slowed;
    m->refused_handshake = counters.denied;
    m->clients = zc_core_clients (self->core, now);
    m->client_ids = zc_chatlog_client_count (zc_core_log (self->core));
    m->client_ids_dropped = zc_chatlog_clients_dropped (zc_core_log (self->core));
    m->elections_started = counters.elections;
    m->elections_won = counters.won;
    m->leader_changes = counters.leader_changes;
    m->pings_wakeup = self->pings_wakeup;
    m->pings_batch = self->pings_batch;
    uint64_t syncs = 0;
    zc_storage_stats (self->storage, &syncs, &m->fsync_writes);
    m->fsync = *zc_storage_sync_times (self->storage);
}

long
zc_node_metrics_tick (zc_node_t *self)
{
    if (!self->metrics_http)
        return -1;
    uint64_t now = zc_node_now ();
    if (now >= self->metrics_next) {
        s_gather (self, now);
        zc_metrics_http_publish (self->metrics_http, &self->metrics);
        self->metrics_next = now + S_PUBLISH_MS;
    }
    return (long) (self->metrics_next - now);
}
