/*  cluster.c — the engine (events by time, one step per instant), the
    clients, and the queries and predicates fixed schedules use.  See
    cluster.h.
*/
#include "cluster.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sim_fail (sim_t *sim, const char *fmt, ...)
{
    if (sim->failed)
        return;
    sim->failed = true;
    size_t n = (size_t) snprintf (sim->failure, sizeof sim->failure, "at %llu ms: ",
                                  (unsigned long long) sim->now);
    va_list args;
    va_start (args, fmt);
    vsnprintf (sim->failure + n, sizeof sim->failure - n, fmt, args);
    va_end (args);
    if (sim->tracing) {
        char line [700];
        snprintf (line, sizeof line, "[%6llu] VIOLATION %s", (unsigned long long) sim->now,
                  sim->failure);
        trace_add (&sim->trace, line);
    }
}

void
sim_trace (sim_t *sim, const char *fmt, ...)
{
    if (!sim->tracing)
        return;
    va_list args;
    va_start (args, fmt);
    trace_vline (&sim->trace, sim->now, fmt, args);
    va_end (args);
}

node_t *
sim_node (sim_t *sim, uint64_t id)
{
    return id >= 1 && id <= sim->n ? &sim->nodes [id] : NULL;
}

bool
sim_up (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    return node && node->el;
}

bool
sim_running (sim_t *sim, uint32_t id)
{
    node_t *node = sim_node (sim, id);
    return node && node->el && !node->frozen;
}

//  What the client port answers by: the core's serving rule (the lease,
//  and the view change done), while the loop runs
bool
sim_node_serving (sim_t *sim, node_t *node)
{
    return node->core && !node->frozen && zc_core_serving (node->core, sim->now);
}














static void
client_acked (sim_t *sim, client_t *client, uint64_t id, uint64_t ts)
{
    if (!client->in_flight || id != client->next_id)
        return;                 //  an older message's late ACK
    client->in_flight = false;
    client->next_id++;
    client->acked++;
    zc_lamport_observe (&client->clock, ts);
    client->next_at = sim->clients_on ? sim->now + prng_range (&sim->rng, 0, sim->think_ms)
                                      : UINT64_MAX;
}

//  "message id is no longer held": the leader stored the message once and
//  retention retired it before the client heard its ACK (PROTOCOL.md §7):
//  the client drops it, as chat-client does.  R1: it was committed.
static void
client_retired (sim_t *sim, client_t *client, uint64_t id, uint32_t node)
{
    if (!client->in_flight || id != client->next_id)
        return;
    if (sim->client_id [client->index] < id) {
        sim_fail (sim, "R1: node %u says client %u's #%llu is no longer held, but it was "
                  "never committed", node, client->index, (unsigned long long) id);
        return;
    }
    client->in_flight = false;
    client->next_id++;
    client->next_at = sim->clients_on ? sim->now + prng_range (&sim->rng, 0, sim->think_ms)
                                      : UINT64_MAX;
}

//  A reply reaches a client: ACKs end its wait; an "expected" error means
//  a message it had acknowledged is lost (R1)
void
client_reply (sim_t *sim, const packet_t *packet)
{
    client_t *client = &sim->clients [packet->to];
    size_t at = 0, offset = 0;
    zc_bytes_t body = packet_blob_next (packet, &at);
    while (offset < body.size) {
        zc_msg_t msg;
        if (zc_msg_decode_next (&msg, body.data, body.size, &offset, NULL))
            return;             //  sim_check_reply failed the run when it went out
        if (msg.type == ZC_ACK)
            client_acked (sim, client, msg.id, msg.ts);
        else
        if (msg.type == ZC_ERROR && zc_str_eq (msg.code, ZC_ERR_BAD_REQUEST)
        &&  zc_msg_has (&msg, ZF_ID) && zc_str_eq (msg.reason, "message id is no longer held"))
            client_retired (sim, client, msg.id, packet->from);
        else
        if (msg.type == ZC_ERROR && zc_str_eq (msg.code, ZC_ERR_EXPECTED))
            //  The client sends #N only once #N-1 is acknowledged: a
            //  serving node that wants less lost an acknowledged message
            sim_fail (sim, "R1: node %u expects client %u's #%llu, but #%llu was acknowledged",
                      packet->from, client->index, (unsigned long long) msg.expected,
                      (unsigned long long) client->next_id - 1);
    }
}


//  The node that serves clients now (the highest epoch if two do)
uint32_t
sim_serving (sim_t *sim)
{
    uint32_t best = 0;
    uint64_t best_epoch = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (sim_node_serving (sim, node) && (!best || zc_election_epoch (node->el) > best_epoch)) {
            best = id;
            best_epoch = zc_election_epoch (node->el);
        }
    }
    return best;
}

//  A client sends its message in flight (or its next one) to `to`
void
sim_client_send (sim_t *sim, client_t *client, uint32_t to)
{
    if (!client->in_flight) {
        client->in_flight = true;
        client->room = (unsigned) prng_range (&sim->rng, 0, SIM_ROOMS - 1);
    }
    if (prng_chance (&sim->rng, sim->ts_jump_bp)) {
        //  A client whose clock jumped (or a hostile one): the leader
        //  clamps its ts (lamport.h), and ts still rise along the log (R4)
        uint64_t jump = prng_range (&sim->rng, 1, 1ull << 40);
        sim_trace (sim, "FAULT client %u's clock jumps by %llu", client->index,
                   (unsigned long long) jump);
        client->clock.time += jump;
    }
    char room [8], text [48];
    snprintf (room, sizeof room, "r%u", client->room);
    snprintf (text, sizeof text, "client %u message %llu", client->index,
              (unsigned long long) client->next_id);
    zc_msg_t post;
    zc_msg_init (&post, ZC_POST);
    zc_msg_set_cstr (&post, ZF_CLIENT, client->name);
    zc_msg_set_u64 (&post, ZF_ID, client->next_id);
    zc_msg_set_u64 (&post, ZF_TS, zc_lamport_tick (&client->clock));
    zc_msg_set_cstr (&post, ZF_ROOM, room);
    zc_msg_set_cstr (&post, ZF_FROM, "sim");
    zc_msg_set_cstr (&post, ZF_TEXT, text);
    client->sent_at = sim->now;
    packet_t *packet = packet_make (client->index, to, PK_POST);
    packet->size = (uint16_t) zc_msg_encode (&post, packet->frame, sizeof packet->frame);
    sim_launch (sim, packet);
    sim_trace (sim, "SIM client %u sends #%llu to node %u", client->index,
               (unsigned long long) client->next_id, to);
}

static void
sim_clients_tick (sim_t *sim)
{
    if (!sim->clients_auto)
        return;
    for (unsigned i = 0; i < sim->client_count; i++) {
        client_t *client = &sim->clients [i];
        if (client->next_at > sim->now)
            continue;
        if (!client->in_flight && !sim->clients_on) {
            client->next_at = UINT64_MAX;
            continue;
        }
        uint32_t to = sim_serving (sim);
        if (!to) {
            client->next_at = sim->now + 50;
            continue;
        }
        sim_client_send (sim, client, to);
        client->next_at = sim->now + T_CLIENT_RETRY;
    }
}

void
sim_clients_on (sim_t *sim, bool on)
{
    sim->clients_auto = true;
    sim->clients_on = on;
    for (unsigned i = 0; i < sim->client_count; i++)
        if (on && sim->clients [i].next_at == UINT64_MAX)
            sim->clients [i].next_at = sim->now + prng_range (&sim->rng, 0, 100);
}

static uint64_t
sim_next_event (sim_t *sim)
{
    uint64_t next = heap_next_at (&sim->net);
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->core)
            continue;
        uint64_t at = node->frozen ? node->thaw_at
                    : node->syncing ? node->sync_at : zc_core_deadline (node->core);
        if (node->stop_asked && !node->retiring && !node->frozen && !node->syncing)
            at = sim->now;          //  a signal wakes the loop's poll at once
        if (at < next)
            next = at;
        if (node->flushing && !node->frozen && !node->syncing && node->flush_at < next)
            next = node->flush_at;
    }
    if (sim->clients_auto)
        for (unsigned i = 0; i < sim->client_count; i++)
            if (sim->clients [i].next_at < next)
                next = sim->clients [i].next_at;
    if (sim->sample_ms) {
        uint64_t sample = (sim->now / sim->sample_ms + 1) * sim->sample_ms;
        if (sample < next)
            next = sample;
    }
    return next;
}

static void
sim_step (sim_t *sim)
{
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (node->core && node->frozen && node->thaw_at <= sim->now)
            sim_thaw (sim, id);
        if (node->core && node->syncing && !node->frozen && node->sync_at <= sim->now)
            node_sync_done (sim, node);
        if (node->core && node->flushing && !node->frozen && !node->syncing
        &&  node->flush_at <= sim->now)
            node_flush_done (sim, node);
    }
    while (heap_due (&sim->net, sim->now) && !sim->failed)
        sim_deliver (sim, net_pop (&sim->net));
    for (uint32_t id = 1; id <= sim->n && !sim->failed; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->core || node->frozen || node->syncing)
            continue;
        if (node->woke || node->inbox.count || zc_core_deadline (node->core) <= sim->now) {
            node->woke = false;
            node_loop (sim, node);
        }
        //  The loop's top: a retired node exits (node.c zc_node_run)
        if (node->core && node->retiring && !node->syncing && zc_core_retired (node->core))
            sim_exit (sim, id);
    }
    sim_clients_tick (sim);
    sim_check_serving (sim);
    for (uint32_t id = 1; id <= sim->n; id++)
        if (sim->nodes [id].core)
            sim_verify (sim, &sim->nodes [id]);
}

bool
sim_run (sim_t *sim, uint64_t until, observe_fn *observe, void *arg)
{
    if (observe && observe (sim, arg))
        return true;
    while (!sim->failed) {
        uint64_t next = sim_next_event (sim);
        if (next > until)
            break;
        if (next > sim->now)
            sim->now = next;
        sim_step (sim);
        if (++sim->steps > sim->step_limit)
            sim_fail (sim, "R6: livelock: more than %llu steps",
                      (unsigned long long) sim->step_limit);
        if (observe && observe (sim, arg))
            return true;
    }
    if (!sim->failed && until > sim->now) {
        sim->now = until;
        if (observe && observe (sim, arg))
            return true;
    }
    return false;
}

void
sim_run_until (sim_t *sim, uint64_t until)
{
    sim_run (sim, until, NULL, NULL);
}

void
sim_run_for (sim_t *sim, uint64_t ms)
{
    sim_run (sim, sim->now + ms, NULL, NULL);
}

bool
sim_run_until_pred (sim_t *sim, observe_fn *pred, void *arg, uint64_t timeout)
{
    return sim_run (sim, sim->now + timeout, pred, arg) && !sim->failed;
}








uint32_t
sim_leader (sim_t *sim)
{
    uint32_t best = 0;
    uint64_t best_epoch = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        zc_election_t *el = sim->nodes [id].el;
        if (el && zc_election_role (el) == ZC_ROLE_LEADER
        &&  (!best || zc_election_epoch (el) >= best_epoch)) {
            best = id;
            best_epoch = zc_election_epoch (el);
        }
    }
    return best;
}


void
sim_describe (sim_t *sim, char *buf, size_t cap)
{
    size_t used = 0;
    buf [0] = 0;
    for (uint32_t id = 1; id <= sim->n && used < cap; id++) {
        node_t *node = &sim->nodes [id];
        int n;
        if (!node->el)
            n = snprintf (buf + used, cap - used, "%s%u: down (log 1..%zu)", id > 1 ? "; " : "",
                          id, node->disk.count);
        else
            n = snprintf (buf + used, cap - used, "%s%u: %s%s leader %u epoch %llu%s%s, "
                          "log 1..%llu, commit %llu, log epoch %llu", id > 1 ? "; " : "", id,
                          node->frozen ? "frozen " : "",
                          zc_role_name (zc_election_role (node->el)),
                          zc_election_leader (node->el),
                          (unsigned long long) zc_election_epoch (node->el),
                          zc_election_serving (node->el, sim->now) ? " serving" : "",
                          zc_replica_ready (node->rep) ? " ready" : "",
                          (unsigned long long) zc_chatlog_last_seq (node->log),
                          (unsigned long long) zc_replica_commit (node->rep),
                          (unsigned long long) zc_replica_log_epoch (node->rep));
        if (n < 0)
            break;
        used += (size_t) n;
    }
}

void
sim_dump (sim_t *sim, const char *what)
{
    char state [1500];
    sim_describe (sim, state, sizeof state);
    fprintf (stderr, "---- %s: seed %llu, %zu nodes, quorum %u, batch %u, %s\n", what,
             (unsigned long long) sim->seed, sim->n, sim->quorum, sim->batch,
             sim->fifo ? "FIFO links" : "frames reorder");
    if (sim->failed)
        fprintf (stderr, "---- violation %s\n", sim->failure);
    fprintf (stderr, "---- trace\n%s---- end of trace\n---- state: %s\n",
             sim->trace.data ? sim->trace.data : "(empty)\n", state);
}

sim_t *
sim_fixed_new (size_t n, uint32_t quorum, uint64_t seed, uint32_t batch)
{
    sim_t *sim = sim_new (n, quorum, seed, batch);
    sim->tracing = true;
    sim->sample_ms = 10;
    return sim;
}

//  A fixed schedule ends: R7 on every node, then true if no invariant was
//  violated.  Its trace is printed if one was, if `show` (a check of the
//  schedule failed), or with ZC_SIM_TRACE set.  Destroys the cluster.
bool
sim_fixed_end (sim_t **sim_p, const char *name, bool show)
{
    sim_t *sim = *sim_p;
    for (uint32_t id = 1; id <= sim->n; id++)
        sim_check_refused (&sim->nodes [id]);
    bool ok = !sim->failed;
    if (!ok)
        fprintf (stderr, "FAIL %s: invariant violated %s\n", name, sim->failure);
    if (!ok || show || getenv ("ZC_SIM_TRACE"))
        sim_dump (sim, name);
    sim_destroy (sim_p);
    return ok;
}

void
sim_start_all (sim_t *sim)
{
    for (uint32_t id = 1; id <= sim->n; id++)
        sim_start (sim, id);
}

bool
p_converged_to (sim_t *sim, void *arg)
{
    return sim_converged (sim) == *(uint32_t *) arg;
}

bool
p_serves (sim_t *sim, void *arg)
{
    return sim_node_serving (sim, &sim->nodes [*(uint32_t *) arg]);
}

bool
p_client_idle (sim_t *sim, void *arg)
{
    return !sim->clients [*(unsigned *) arg].in_flight;
}

bool
p_clients_idle (sim_t *sim, void *arg)
{
    (void) arg;
    for (unsigned i = 0; i < sim->client_count; i++)
        if (sim->clients [i].in_flight)
            return false;
    return true;
}

//  Every running node holds the leader's whole log, committed
bool
p_logs_converged (sim_t *sim, void *arg)
{
    char why [300];
    return sim_logs_converged (sim, *(uint32_t *) arg, why, sizeof why);
}

uint64_t
sim_epoch (sim_t *sim, uint32_t id)
{
    return zc_election_epoch (sim->nodes [id].el);
}

uint64_t
sim_last (sim_t *sim, uint32_t id)
{
    return zc_chatlog_last_seq (sim->nodes [id].log);
}

uint64_t
sim_log_epoch (sim_t *sim, uint32_t id)
{
    return zc_replica_log_epoch (sim->nodes [id].rep);
}

//  The entry of `node` at seq is client's message #id
bool
sim_holds (sim_t *sim, uint32_t node, uint64_t seq, unsigned client, uint64_t id)
{
    zc_entry_t *entry = sim->nodes [node].log ? zc_chatlog_get (sim->nodes [node].log, seq)
                                              : NULL;
    return entry && entry->id == id && sim_client_index (entry->client) == (int) client;
}

//  A client sends its next message to `node` (by hand)
uint64_t
sim_post (sim_t *sim, unsigned client, uint32_t node)
{
    sim_client_send (sim, &sim->clients [client], node);
    return sim->clients [client].next_id;
}

//  A client sends its next message to the serving node and waits for the ACK
bool
sim_post_acked (sim_t *sim, unsigned client, uint64_t timeout)
{
    uint32_t to = sim_serving (sim);
    if (!to)
        return false;
    sim_post (sim, client, to);
    return sim_run_until_pred (sim, p_client_idle, &client, timeout);
}

//  Clients send `count` messages one after another, each acknowledged
bool
sim_post_many (sim_t *sim, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!sim_post_acked (sim, (unsigned) (i % sim->client_count), 1000))
            return false;
    return true;
}

static bool
f_drop_rule (sim_t *sim, uint32_t from, uint32_t to, const zc_msg_t *msg, uint32_t entries,
             void *arg)
{
    (void) sim;
    drop_rule_t *rule = arg;
    return from == rule->from && (!rule->to || to == rule->to) && msg->type == rule->type
        && (!rule->with_entries || (entries > 0 && msg->prev_seq + entries >= rule->carrying));
}

void
sim_filter (sim_t *sim, drop_rule_t *rule)
{
    sim->filter = rule ? f_drop_rule : NULL;
    sim->filter_arg = rule;
    if (rule)
        sim_trace (sim, "FAULT drop %s frames from node %u to %s%s", zc_type_name (rule->type),
                   rule->from, rule->to ? "one node" : "all",
                   rule->with_entries ? " that carry entries" : "");
    else
        sim_trace (sim, "FAULT no more dropped frames");
}
