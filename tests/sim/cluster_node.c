/*  cluster_node.c — one simulated node: the shipped core's bundles carried
    out as src/node/node.c's loop carries them out (core.h, "The loop's
    contract"), over the fake disk; and the faults.  See cluster.h.
*/
#include "cluster.h"
#include "snapshot.h"
#include "store.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sim_t *
sim_new (size_t n, uint32_t quorum, uint64_t seed, uint32_t batch)
{
    assert (n >= 1 && n <= SIM_MAX_NODES);
    sim_t *sim = calloc (1, sizeof *sim);
    if (!sim)
        abort ();
    sim->seed = seed;
    sim->n = n;
    sim->quorum = quorum;
    sim->batch = batch;
    sim->rng.state = seed ^ 0x7265706Cull ^ ((uint64_t) n << 48);
    sim->leader_down = true;
    sim->fifo = true;
    sim->step_limit = 20000000;
    sim->think_ms = 250;
    sim->client_count = 3;
    heap_init (&sim->net, sizeof (slot_t));
    for (uint32_t id = 1; id <= n; id++) {
        node_t *node = &sim->nodes [id];
        node->sim = sim;
        node->id = id;
        //  As node.c's zc_node_new derives it from the flags (the node's
        //  defaults for the limits)
        zc_core_config_t *ccfg = &node->ccfg;
        sim_election_config (&ccfg->election, id, n, quorum);
        ccfg->batch = batch;
        ccfg->sync_timeout_ms = T_SYNC_TIMEOUT;
        ccfg->port = 50051;
        ccfg->max_text = 16384;
        ccfg->max_rooms = 64;
        ccfg->max_clients = 10000;
        ccfg->rate = 500;
    }
    for (unsigned i = 0; i < SIM_CLIENTS; i++) {
        client_t *client = &sim->clients [i];
        client->index = i;
        snprintf (client->name, sizeof client->name, "c11e%020x%08x", 0xABCDu, i);
        client->next_id = 1;
        client->next_at = UINT64_MAX;
    }
    return sim;
}

static void
node_free (node_t *node)
{
    sim_check_refused (node);
    zc_core_destroy (&node->core);
    node->el = NULL;
    node->rep = NULL;
    node->log = NULL;
    queue_clear (&node->inbox);
    queue_clear (&node->backlog);
    queue_clear (&node->held);
    node->syncing = false;
    node->flushing = false;
    node->issued = node->flushed = 0;
    node->state_pending = false;
    node->retain_pending = 0;
}

void
sim_destroy (sim_t **sim_p)
{
    sim_t *sim = *sim_p;
    if (!sim)
        return;
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        node_free (node);
        free (node->inbox.items);
        free (node->backlog.items);
        free (node->held.items);
        for (size_t i = 0; i < node->disk.count; i++)
            free (node->disk.records [i].data);
        free (node->disk.records);
        free (node->disk.ghost);
        free (node->disk.retired);
    }
    for (size_t i = 0; i < sim->net.count; i++)
        packet_free (((slot_t *) heap_item (&sim->net, i))->packet);
    heap_destroy (&sim->net);
    free (sim->served);
    free (sim->served_since);
    free (sim->committed);
    free (sim->commit_epoch);
    free (sim->trace.data);
    free (sim);
    *sim_p = NULL;
}

static void
disk_append (node_t *node, const zc_entry_t *entry)
{
    disk_t *disk = &node->disk;
    if (!entry || entry->seq != disk->count + 1) {
        sim_fail (node->sim, "R6: node %u writes seq %llu after seq %zu on disk", node->id,
                  entry ? (unsigned long long) entry->seq : 0ull, disk->count);
        return;
    }
    if (disk->count == disk->cap) {
        disk->cap = disk->cap ? disk->cap * 2 : 256;
        disk->records = realloc (disk->records, disk->cap * sizeof *disk->records);
        if (!disk->records)
            abort ();
    }
    record_t *record = &disk->records [disk->count++];
    fact_of (entry, &record->fact);
    record->data = malloc (entry->size);
    if (!record->data)
        abort ();
    memcpy (record->data, entry->data, entry->size);
    record->size = entry->size;
}

//  Drop the records after seq (the crash paths call it too)
void
disk_cut (disk_t *disk, uint64_t after_seq)
{
    for (size_t i = after_seq; i < disk->count; i++)
        free (disk->records [i].data);
    if (after_seq < disk->count)
        disk->count = after_seq;
    if (disk->synced > disk->count)
        disk->synced = disk->count;
    if (disk->cover > disk->count)
        disk->cover = disk->count;
    if (disk->base > disk->count) {
        disk->base = disk->count;       //  only a lost disk goes below the base
        free (disk->retired);
        disk->retired = NULL;
        disk->retired_size = 0;
    }
}

//  The retired state a restart reads (logload.c: retired.state)
static void
disk_save_retired (node_t *node)
{
    free (node->disk.retired);
    node->disk.retired = zc_snapshot_text (node->log, &node->disk.retired_size);
}

//  The leader's snapshot replaced the log (core.h, snapshot): the state is
//  durable first, then every record goes.  R1: the base is a committed
//  entry, and nothing committed past it is dropped (a backup that holds
//  the base entry keeps its log: it never installs).
static void
disk_install (node_t *node, uint64_t base)
{
    sim_t *sim = node->sim;
    disk_t *disk = &node->disk;
    char text [160];
    for (uint32_t id = 1; id <= sim->n; id++)
        if (id != node->id && sim->nodes [id].core)
            sim_verify (sim, &sim->nodes [id]);     //  the sender's commit, as it stands
    if (base == 0 || base > sim->committed_count
    ||  zc_chatlog_epoch_at (node->log, base) != sim->committed [base - 1].epoch) {
        sim_fail (sim, "R1: node %u installs a snapshot at seq %llu (epoch %llu), not a committed "
                  "entry (%zu committed)", node->id, (unsigned long long) base,
                  (unsigned long long) zc_chatlog_epoch_at (node->log, base),
                  sim->committed_count);
        return;
    }
    size_t upto = disk->count < sim->committed_count ? disk->count : sim->committed_count;
    for (uint64_t seq = base + 1; seq <= upto; seq++)
        if (fact_eq (&disk->records [seq - 1].fact, &sim->committed [seq - 1])) {
            sim_fail (sim, "R1: node %u's snapshot at seq %llu drops committed %s", node->id,
                      (unsigned long long) base,
                      fact_str (&sim->committed [seq - 1], text, sizeof text));
            return;
        }
    sim_trace (sim, "SIM node %u installs a snapshot at seq %llu (had %llu..%zu)",
               node->id, (unsigned long long) base, (unsigned long long) disk->base + 1,
               disk->count);
    sim->snapshots++;
    disk_cut (disk, 0);
    if (disk->cap < base) {
        disk->cap = base;
        disk->records = realloc (disk->records, disk->cap * sizeof *disk->records);
        if (!disk->records)
            abort ();
    }
    for (uint64_t seq = 1; seq <= base; seq++)
        disk->records [seq - 1] = (record_t) { sim->committed [seq - 1], NULL, 0 };
    disk->count = disk->synced = disk->cover = base;
    disk->base = base;
    disk_save_retired (node);
    if (node->verified < base)
        node->verified = base;
}

//  Retention (logload.c zc_logload_retain): all but retain_keep synced
//  entries up to what the core allows.  R1: only committed entries retire.
static void
disk_retain (node_t *node, uint64_t upto)
{
    sim_t *sim = node->sim;
    disk_t *disk = &node->disk;
    sim_verify (sim, node);         //  what it knows committed (maybe in this event)
    if (upto > disk->synced)
        upto = disk->synced;
    if (disk->count <= sim->retain_keep)
        return;
    if (upto > disk->count - sim->retain_keep)
        upto = disk->count - sim->retain_keep;
    if (upto <= disk->base)
        return;
    if (upto > sim->committed_count
    ||  !fact_eq (&disk->records [upto - 1].fact, &sim->committed [upto - 1])) {
        sim_fail (sim, "R1: node %u retires its log up to seq %llu, not committed", node->id,
                  (unsigned long long) upto);
        return;
    }
    sim_trace (sim, "SIM node %u retires its log up to seq %llu", node->id,
               (unsigned long long) upto);
    sim->retirements++;
    zc_core_compacted (node->core, upto);
    disk->base = upto;
    disk_save_retired (node);
}

void
disk_truncate (node_t *node, uint64_t after_seq)
{
    sim_t *sim = node->sim;
    disk_t *disk = &node->disk;
    size_t upto = disk->count < sim->committed_count ? disk->count : sim->committed_count;
    for (uint64_t seq = after_seq + 1; seq <= upto; seq++)
        if (fact_eq (&disk->records [seq - 1].fact, &sim->committed [seq - 1])) {
            char text [160];
            sim_fail (sim, "R1: node %u truncates its log after seq %llu, dropping committed %s",
                      node->id, (unsigned long long) after_seq,
                      fact_str (&sim->committed [seq - 1], text, sizeof text));
            break;
        }
    if (after_seq < disk->count) {
        sim_trace (sim, "SIM node %u truncates its log after seq %llu (had %zu)", node->id,
                   (unsigned long long) after_seq, disk->count);
        sim->truncations++;
        sim->truncated += disk->count - after_seq;
        disk_cut (disk, after_seq);
    }
    if (node->verified > after_seq)
        node->verified = after_seq;
}

//  A leadership's start and end, as the core's queries tell them
static void
node_observe (sim_t *sim, node_t *node)
{
    if (sim->tap)
        sim->tap (sim, SIM_TAP_STATE, node->id, 0, NULL, NULL, sim->tap_arg);
    uint64_t lead = zc_core_lead_epoch (node->core);
    if (lead != node->lead_epoch) {
        if (node->lead_epoch && !node->ready_checked) {
            sim_trace (sim, "SIM node %u ends its leadership of epoch %llu before it was ready",
                       node->id, (unsigned long long) node->lead_epoch);
            sim->stuck++;
        }
        node->lead_epoch = lead;
        node->ready_checked = false;
        if (lead) {
            sim_trace (sim, "SIM node %u leads epoch %llu; own log 1..%llu (log epoch %llu)%s",
                       node->id, (unsigned long long) lead,
                       (unsigned long long) zc_chatlog_last_seq (node->log),
                       (unsigned long long) zc_replica_log_epoch (node->rep),
                       zc_replica_ready (node->rep) ? "" : ", fetching");
            if (!zc_replica_ready (node->rep))
                sim->fetches++;
        }
    }
    sim_check_ready (sim, node);
}

static void
node_reply (sim_t *sim, node_t *node, const zc_core_reply_t *reply, bool hold)
{
    if (reply->ident.size != 2 || reply->ident.data [0] != 'c'
    ||  reply->ident.data [1] >= SIM_CLIENTS) {
        sim_fail (sim, "node %u replies to an identity no client has", node->id);
        return;
    }
    packet_t *packet = packet_make (node->id, reply->ident.data [1], PK_REPLY);
    packet_blob_add (packet, reply->body.data, reply->body.size);
    node_emit (sim, node, packet, hold);
}

static void
node_pub (sim_t *sim, node_t *node, const zc_core_pub_t *pub, bool hold)
{
    packet_t *packet = packet_make (node->id, 0, PK_PUB);
    packet_blob_add (packet, pub->topic.data, pub->topic.size);
    packet_blob_add (packet, pub->frame.data, pub->frame.size);
    node_emit (sim, node, packet, hold);
}

static void node_flush_start (sim_t *sim, node_t *node);

//  node.c zc_node_execute over the fake disk: early sends, the log's write
//  handed to the storage (the records land at once, as in the page cache;
//  the sync that makes them durable runs beside the loop, node_flush_*),
//  then the rest at once: what must wait for the disk, the core holds.  A
//  bundle that saves state blocks the loop until everything handed out
//  and the state are on disk (contract, 3), its sends held until then; so
//  does one the loop writes itself (the storage idle, storage.c).
static void
node_execute (sim_t *sim, node_t *node)
{
    if (sim->failed || !node->core)
        return;
    if (!zc_core_has_ready (node->core)) {
        node_observe (sim, node);
        return;
    }
    const zc_core_ready_t *ready = zc_core_ready (node->core);
    //  R6: what goes out before the write is a leader's APPENDs only, and
    //  never ahead of state that must be saved first (a new log epoch, a
    //  vote: nobody may hear of it before it is on disk)
    if (ready->early_count && ready->save_state)
        sim_fail (sim, "R6: node %u sends %zu messages early while its state must be saved "
                  "first", node->id, ready->early_count);
    for (size_t i = 0; i < ready->early_count; i++) {
        if (ready->early [i].msg.type != ZC_APPEND || ready->early [i].ping)
            sim_fail (sim, "R6: node %u sends a %s early", node->id,
                      zc_type_name (ready->early [i].msg.type));
        node_transmit (sim, node, &ready->early [i], false);
    }
    if (ready->snapshot)
        disk_install (node, ready->snapshot_base);
    else
    if (ready->truncate)
        disk_truncate (node, ready->truncate_after);
    for (uint64_t seq = ready->write_first; seq <= ready->write_last && !sim->failed; seq++)
        disk_append (node, zc_chatlog_get (node->log, seq));
    if (ready->ticket) {
        if (ready->ticket != node->issued + 1)
            sim_fail (sim, "R6: node %u's write has ticket %llu after %llu", node->id,
                      (unsigned long long) ready->ticket, (unsigned long long) node->issued);
        node->issued = ready->ticket;
    }
    //  The loop writes a bundle itself while the storage is idle and syncs
    //  are fast (storage.c): the same as a barrier, drawn for half of them
    bool idle = !node->flushing && node->flushed + 1 == node->issued;
    bool barrier = ready->save_state
                || (ready->ticket && idle && prng_chance (&sim->rng, 5000));
    //  Retention waits for the storage to be idle, and retires after the
    //  bundle's sends (node.c)
    if (ready->retain_upto && sim->retain_keep) {
        barrier = true;
        node->retain_pending = ready->retain_upto;
    }
    if (ready->save_state) {
        node->state = ready->state;
        node->state_pending = true;
    }
    for (size_t i = 0; i < ready->send_count; i++)
        node_transmit (sim, node, &ready->sends [i], barrier);
    for (size_t i = 0; i < ready->pub_count; i++)
        node_pub (sim, node, &ready->pubs [i], barrier);
    for (size_t i = 0; i < ready->reply_count; i++)
        node_reply (sim, node, &ready->replies [i], barrier);
    for (size_t i = 0; i < ready->log_count; i++)
        sim_trace (sim, "node %u: %s", node->id, ready->logs [i].text);
    if (ready->retain_upto && !sim->retain_keep)
        sim_fail (sim, "node %u retires its log up to %llu with retention off", node->id,
                  (unsigned long long) ready->retain_upto);

    node_observe (sim, node);
    if (barrier) {
        node->syncing = true;
        node->sync_at = sim->now + (sim->sync_max_ms
                                    ? prng_range (&sim->rng, 0, sim->sync_max_ms) : 0);
        if (node->sync_at == sim->now)
            node_sync_done (sim, node);
        return;
    }
    node_flush_start (sim, node);
}

//  The storage's next group commit: everything handed out so far, synced
//  at once (0..sync_max_ms later), while the loop goes on
static void
node_flush_start (sim_t *sim, node_t *node)
{
    if (node->flushing || node->syncing || node->issued <= node->flushed)
        return;
    node->flushing = true;
    node->flush_ticket = node->issued;
    node->disk.cover = node->disk.count;
    node->flush_at = sim->now + (sim->sync_max_ms ? prng_range (&sim->rng, 0, sim->sync_max_ms)
                                                  : 0);
    if (node->flush_at == sim->now)
        node_flush_done (sim, node);
}

//  The sync returned and the loop read the storage's report
void
node_flush_done (sim_t *sim, node_t *node)
{
    node->flushing = false;
    if (node->disk.cover > node->disk.synced)
        node->disk.synced = node->disk.cover;
    node->flushed = node->flush_ticket;
    zc_core_durable (node->core, node->flush_ticket, sim->now);
    node_execute (sim, node);
    node_flush_start (sim, node);
}

//  The frames that waited while the loop was blocked or frozen, in order
static void
node_requeue (sim_t *sim, node_t *node)
{
    for (size_t i = 0; i < node->backlog.count; i++) {
        packet_t *packet = node->backlog.items [i];
        packet->at = sim->now;
        packet->seq = sim->next_seq++;
        net_push (&sim->net, packet);
    }
    node->backlog.count = 0;
}

//  The barrier's wait is over: everything handed out is synced, the state
//  written; the bundle's sends go out, then the core learns it
void
node_sync_done (sim_t *sim, node_t *node)
{
    node->syncing = false;
    node->flushing = false;
    node->disk.synced = node->disk.count;
    node->flushed = node->issued;
    if (node->state_pending) {
        sim_persist_state (sim, node, &node->state);
        node->state_pending = false;
    }
    for (size_t i = 0; i < node->held.count; i++)
        sim_launch (sim, node->held.items [i]);
    node->held.count = 0;
    if (node->retain_pending) {
        disk_retain (node, node->retain_pending);
        node->retain_pending = 0;
    }
    if (!node->frozen)
        node_requeue (sim, node);
    zc_core_durable (node->core, node->issued, sim->now);
    node_execute (sim, node);
}

//  One pass of node.c's loop after its poll woke up: timers, the clients'
//  requests, timers again, then the bundle
void
node_loop (sim_t *sim, node_t *node)
{
    if (node->stop_asked && !node->retiring) {
        //  The signal, seen at the top of the loop (node.c zc_node_run)
        node->retiring = true;
        node->stop_led = zc_election_role (node->el) == ZC_ROLE_LEADER;
        node->stop_epoch = zc_election_epoch (node->el);
        sim->stops++;
        sim->stop_leaders += node->stop_led;
        zc_core_retire (node->core, sim->now);
        node_execute (sim, node);
        if (!node->core || node->syncing)
            return;
    }
    zc_core_tick (node->core, sim->now);
    for (size_t i = 0; i < node->inbox.count; i++) {
        packet_t *packet = node->inbox.items [i];
        uint8_t ident [2] = { 'c', (uint8_t) packet->from };
        zc_core_client (node->core, ident, sizeof ident, packet->frame, packet->size, NULL,
                        sim->now);
    }
    queue_clear (&node->inbox);
    zc_core_tick (node->core, sim->now);
    node_execute (sim, node);
    if (node->core && !node->syncing && zc_core_deadline (node->core) <= sim->now) {
        if (++node->spin > 100)
            sim_fail (sim, "R6: livelock: node %u's deadline stays at %llu", node->id,
                      (unsigned long long) zc_core_deadline (node->core));
    }
    else
        node->spin = 0;
}

void
sim_deliver (sim_t *sim, packet_t *packet)
{
    if (packet->kind == PK_REPLY) {
        client_reply (sim, packet);
        packet_free (packet);
        return;
    }
    node_t *node = sim_node (sim, packet->to);
    if (!node->core) {
        packet_free (packet);   //  crashed: the frame is lost
        return;
    }
    if (node->frozen || node->syncing) {
        queue_push (&node->backlog, packet);
        return;
    }
    node->woke = true;
    switch (packet->kind) {
        case PK_DOWN:
            if (zc_election_leader (node->el) == packet->from) {
                sim_trace (sim, "SIM node %u: connection to node %u closed", node->id,
                           packet->from);
                if (sim->tap)
                    sim->tap (sim, SIM_TAP_DOWN, node->id, packet->from, NULL, NULL,
                              sim->tap_arg);
                zc_core_leader_down (node->core, sim->now);
                node_execute (sim, node);
            }
            break;
        case PK_POST:
            queue_push (&node->inbox, packet);
            return;             //  the inbox owns it now
        case PK_PING: {
            zc_bytes_t pong;
            zc_core_ping (node->core, packet->frame, packet->size, false, sim->now, &pong);
            if (pong.size > SIM_FRAME) {
                sim_fail (sim, "node %u's PONG takes %zu bytes", node->id, pong.size);
                break;
            }
            packet_t *reply = packet_make (node->id, packet->from, PK_PONG);
            memcpy (reply->frame, pong.data, pong.size);
            reply->size = (uint16_t) pong.size;
            sim_launch (sim, reply);
            break;
        }
        case PK_PONG:
            zc_core_pong (node->core, packet->frame, packet->size, sim->now);
            node_execute (sim, node);
            break;
        case PK_PEER: {
            zc_bytes_t frames [64];
            size_t count = 0, at = 0;
            for (uint32_t i = 0; i < packet->blob_count && count < 64; i++)
                frames [count++] = packet_blob_next (packet, &at);
            if (sim->tracing && packet->entries) {
                zc_msg_t msg;
                if (zc_msg_decode (&msg, packet->frame, packet->size, NULL) == 0)
                    sim_trace (sim, "SIM node %u <- %u: %s epoch %llu, prev (%llu, %llu), "
                               "%u entries, last %llu, commit %llu, start %llu (sent at %llu)",
                               node->id, packet->from, zc_type_name (msg.type),
                               (unsigned long long) msg.epoch, (unsigned long long) msg.prev_seq,
                               (unsigned long long) msg.prev_epoch, packet->entries,
                               (unsigned long long) msg.last_seq, (unsigned long long) msg.commit,
                               (unsigned long long) msg.start_seq,
                               (unsigned long long) packet->sent_at);
            }
            if (sim->tap) {
                zc_msg_t msg;
                if (zc_msg_decode (&msg, packet->frame, packet->size, NULL) == 0)
                    sim->tap (sim, SIM_TAP_RECV, node->id, packet->from, &msg, NULL,
                              sim->tap_arg);
            }
            zc_core_peer (node->core, packet->frame, packet->size, frames, count, sim->now);
            node_execute (sim, node);
            break;
        }
        default:
            break;
    }
    packet_free (packet);
}

static void
s_load_retired (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    if (kind == 'r' || kind == 'c')
        zc_chatlog_set_retired_at ((zc_chatlog_t *) arg, kind, key, value, at);
}

//  Boot a node from its disk (node.c zc_node_new, logload.c)
void
sim_start (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (node->core)
        return;
    node->incarnation++;
    node->ccfg.election.seed = sim->seed * 1000003ull + id * 101ull + node->incarnation;
    zc_chatlog_t *log = zc_chatlog_new ();
    node->ccfg.retain = sim->retain_keep > 0;
    if (node->disk.base) {
        char err [256];
        zc_chatlog_set_base (log, node->disk.base,
                             node->disk.records [node->disk.base - 1].fact.epoch);
        if (zc_store_parse_retired (node->disk.retired, node->disk.retired_size, "retired",
                                    s_load_retired, log, err, sizeof err))
            sim_fail (sim, "R6: node %u cannot read its retired state: %s", id, err);
    }
    for (size_t i = node->disk.base; i < node->disk.count; i++) {
        record_t *record = &node->disk.records [i];
        zc_msg_t chat;
        if (zc_msg_decode (&chat, record->data, record->size, NULL) || chat.type != ZC_CHAT
        ||  chat.seq != i + 1 || !zc_chatlog_append (log, &chat, record->data, record->size)) {
            sim_fail (sim, "R6: node %u cannot replay seq %zu from its disk", id, i + 1);
            break;
        }
    }
    node->disk.synced = node->disk.count;       //  what a restart reads is on disk
    zc_stored_t stored = { .epoch = node->disk.epoch, .leader = node->disk.leader,
                           .log_epoch = node->disk.log_epoch, .trust = node->disk.trust,
                           .missing = !node->disk.has_state };
    node->core = zc_core_new (&node->ccfg, log, &stored, sim->now);
    if (node->ccfg.initial == ZC_INITIAL_NEW)
        node->ccfg.initial = ZC_INITIAL_AUTO;   //  said for the first start only
    node->el = zc_core_election (node->core);
    node->rep = zc_core_replica (node->core);
    node->log = zc_core_log (node->core);
    node->lead_epoch = 0;
    node->ready_checked = false;
    node->verified = 0;
    node->frozen = false;
    node->syncing = false;
    node->flushing = false;
    node->issued = node->flushed = 0;
    node->state_pending = false;
    node->spin = 0;
    node->woke = true;
    node->stop_asked = node->retiring = false;
    sim_trace (sim, "FAULT node %u starts (incarnation %u): epoch %llu leader %u, "
               "log 1..%zu, log epoch %llu", id, node->incarnation,
               (unsigned long long) node->disk.epoch, node->disk.leader, node->disk.count,
               (unsigned long long) node->disk.log_epoch);
    if (sim->tap)
        sim->tap (sim, SIM_TAP_START, id, node->disk.leader, NULL, NULL, sim->tap_arg);
}

//  A node that neither recovers its lost state nor holds an untrusted log
//  (docs/ELECTION.md "Lost state"), running or down
bool
sim_whole (node_t *node)
{
    //  A running node that has saved no election state yet cannot tell a
    //  first start from a lost folder: once it hears that the cluster has
    //  a log it recovers like one (docs/ELECTION.md "Lost state"), so it
    //  is no more whole than a node whose disk was replaced
    if (node->core)
        return node->disk.has_state && !zc_election_recovering (node->el)
            && zc_election_trusted (node->el);
    return node->disk.has_state && (!node->disk.trust || node->disk.log_epoch >= node->disk.trust);
}

//  The machine's disk is replaced while it is down: no election state, no
//  log.  It restarts as `initial` says (--initial-cluster-state).
void
sim_lose_disk (sim_t *sim, uint32_t id, zc_initial_t initial)
{
    node_t *node = &sim->nodes [id];
    assert (!node->core);
    sim->disks_lost++;
    //  Its synced entries counted in commits; the cluster's promise is that
    //  a single loss loses none of them, so the checks count them as held
    //  until the node votes again (cluster_check.c s_holders)
    free (node->disk.ghost);
    node->disk.ghost_count = node->disk.synced;
    node->disk.ghost = calloc (node->disk.ghost_count + 1, sizeof (fact_t));
    if (!node->disk.ghost)
        abort ();
    for (size_t i = 0; i < node->disk.ghost_count; i++)
        node->disk.ghost [i] = node->disk.records [i].fact;
    sim_trace (sim, "FAULT node %u loses its disk (log 1..%zu, epoch %llu)", node->id,
               node->disk.count, (unsigned long long) node->disk.epoch);
    disk_cut (&node->disk, 0);
    node->disk.epoch = node->disk.log_epoch = node->disk.trust = 0;
    node->disk.leader = 0;
    node->disk.has_state = false;
    node->ccfg.initial = initial;
}

//  A random schedule's lost disk: only while every other member is
//  whole, since two lost at once in a quorum may have lost a vote or an
//  acknowledged entry for good (docs/ELECTION.md "Lost state"), and never
//  a lone node's.  Its
//  operator restarts it with --initial-cluster-state existing.
static void
s_lose_disk (sim_t *sim, node_t *node)
{
    if (sim->n == 1)
        return;                     //  a lone node's lost disk is the whole cluster's
    for (uint32_t other = 1; other <= sim->n; other++)
        if (other != node->id && !sim_whole (&sim->nodes [other]))
            return;
    sim_lose_disk (sim, node->id, ZC_INITIAL_EXISTING);
}

//  A crash: the process dies and its written log stays (the kernel writes
//  it out); a power loss (power_bp of crashes while something is unsynced) drops
//  what no finished sync covered, with the state not yet written
void
sim_crash (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->core)
        return;
    if (node->flushing && node->flush_at <= sim->now && node->disk.cover > node->disk.synced)
        node->disk.synced = node->disk.cover;   //  the sync returned; the loop never heard
    bool power = ((node->syncing && node->sync_at > sim->now)
                  || node->disk.count > node->disk.synced)
              && prng_chance (&sim->rng, sim->power_bp);
    sim_trace (sim, "FAULT node %u %s%s (log 1..%llu, synced 1..%zu, commit %llu)", id,
               power ? "loses power" : "crashes", node->frozen ? " while frozen" : "",
               (unsigned long long) zc_chatlog_last_seq (node->log), node->disk.synced,
               (unsigned long long) zc_replica_commit (node->rep));
    if (sim->tap)
        sim->tap (sim, SIM_TAP_CRASH, id, 0, NULL, NULL, sim->tap_arg);
    sim_check_disk (sim, node);
    if (node->syncing && node->sync_at <= sim->now)
        node->disk.synced = node->disk.count;   //  the sync finished; the loop never heard
    if (power) {
        sim->power_losses++;
        sim->tails_lost += node->disk.count - node->disk.synced;
        disk_cut (&node->disk, node->disk.synced);
    }
    node_free (node);
    node->frozen = false;
    node->lead_epoch = 0;
    if (sim->lose_bp && prng_chance (&sim->rng, sim->lose_bp))
        s_lose_disk (sim, node);
    if (!sim->leader_down)
        return;
    for (uint32_t other = 1; other <= sim->n; other++) {
        node_t *peer = &sim->nodes [other];
        if (other == id || !peer->core || sim->cut [id][other]
        ||  zc_election_leader (peer->el) != id)
            continue;
        packet_t *packet = packet_make (id, other, PK_DOWN);
        packet->at = sim->now + prng_range (&sim->rng, 1, 20);
        packet->seq = sim->next_seq++;
        net_push (&sim->net, packet);
    }
}

//  SIGTERM: the node's loop retires its core at its next pass (node_loop);
//  sim_step ends the process once the core says retired
void
sim_retire (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->core || node->stop_asked)
        return;
    sim_trace (sim, "FAULT node %u is asked to stop (SIGTERM)", id);
    if (sim->tap)
        sim->tap (sim, SIM_TAP_FAULT, id, 0, NULL, "SIGTERM", sim->tap_arg);
    node->stop_asked = true;
    node->woke = true;
}

//  The retired node exits: zc_node_destroy flushes the storage (what was
//  handed to it reaches the disk) and closes the sockets, which the
//  backups' monitors see as after a crash
void
sim_exit (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->core)
        return;
    sim_trace (sim, "FAULT node %u exits, retired", id);
    if (sim->tap)
        sim->tap (sim, SIM_TAP_FAULT, id, 0, NULL, "exits, retired", sim->tap_arg);
    if (node->retiring && node->stop_led && zc_election_epoch (node->el) > node->stop_epoch)
        sim->handed_over++;
    node->disk.synced = node->disk.count;
    uint32_t power_bp = sim->power_bp, lose_bp = sim->lose_bp;
    sim->power_bp = sim->lose_bp = 0;
    sim_crash (sim, id);
    sim->power_bp = power_bp;
    sim->lose_bp = lose_bp;
    node->exited_at = sim->now;
    node->exits++;
}

void
sim_freeze (sim_t *sim, uint32_t id, uint64_t ms)
{
    node_t *node = sim_node (sim, id);
    if (!node->el || node->frozen)
        return;
    sim_trace (sim, "FAULT node %u freezes for %llu ms", id, (unsigned long long) ms);
    if (sim->tap) {
        char text [64];
        snprintf (text, sizeof text, "freezes for %llu ms", (unsigned long long) ms);
        sim->tap (sim, SIM_TAP_FAULT, id, 0, NULL, text, sim->tap_arg);
    }
    node->frozen = true;
    node->frozen_at = sim->now;
    node->thaw_at = sim->now + ms;
}

//  SIGCONT: the frames that waited are delivered first, in order (or once
//  the sync it was blocked in returns)
void
sim_thaw (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    if (!node->core || !node->frozen)
        return;
    node->frozen = false;
    node->woke = true;
    sim_trace (sim, "FAULT node %u wakes (%zu frames waiting)", id, node->backlog.count);
    if (sim->tap)
        sim->tap (sim, SIM_TAP_FAULT, id, 0, NULL, "wakes", sim->tap_arg);
    //  R3: frozen past the lease, it does not serve (a single node with
    //  quorum 1 is its own lease: nobody else could have taken over)
    if (sim->quorum > 1 && sim->now - node->frozen_at > T_LEASE
    &&  zc_election_serving (node->el, sim->now))
        sim_fail (sim, "R3: node %u wakes after %llu ms frozen and still serves", id,
                  (unsigned long long) (sim->now - node->frozen_at));
    if (!node->syncing)
        node_requeue (sim, node);
}

void
sim_split (sim_t *sim, uint32_t mask)
{
    sim_trace (sim, "FAULT partition: mask %#x against the rest", mask);
    if (sim->tap) {
        char text [160] = "partition:";
        for (int side = 1; side >= 0; side--) {
            for (uint32_t a = 1; a <= sim->n; a++)
                if ((int) ((mask >> a) & 1) == side)
                    snprintf (text + strlen (text), sizeof text - strlen (text), " %u", a);
            if (side)
                snprintf (text + strlen (text), sizeof text - strlen (text), " |");
        }
        sim->tap (sim, SIM_TAP_FAULT, 0, 0, NULL, text, sim->tap_arg);
    }
    for (uint32_t a = 1; a <= sim->n; a++)
        for (uint32_t b = 1; b <= sim->n; b++)
            if (((mask >> a) & 1) != ((mask >> b) & 1))
                sim->cut [a][b] = true;
}

void
sim_cut (sim_t *sim, uint32_t from, uint32_t to)
{
    sim_trace (sim, "FAULT link %u -> %u cut", from, to);
    if (sim->tap) {
        char text [64];
        snprintf (text, sizeof text, "link %u -> %u cut", from, to);
        sim->tap (sim, SIM_TAP_FAULT, 0, 0, NULL, text, sim->tap_arg);
    }
    sim->cut [from][to] = true;
}

void
sim_heal (sim_t *sim)
{
    sim_trace (sim, "FAULT network healed");
    if (sim->tap)
        sim->tap (sim, SIM_TAP_FAULT, 0, 0, NULL, "network healed", sim->tap_arg);
    memset (sim->cut, 0, sizeof sim->cut);
}

void
sim_net (sim_t *sim, uint32_t drop_bp, uint32_t slow_bp)
{
    sim->drop_bp = drop_bp;
    sim->slow_bp = slow_bp;
}
