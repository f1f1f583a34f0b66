/*  cluster_check.c — the invariants on the core's outputs (R1..R7,
    listed in tests/test_sim.c's header), checked as the run goes.  See
    cluster.h.
*/
#include "cluster.h"
#include "members.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Client names end with their index in hex
int
sim_client_index (const char *name)
{
    unsigned index = 0;
    for (size_t i = 0; i < ZC_CLIENT_ID_LEN; i++) {
        char c = name [i];
        if (i >= 24)
            index = index * 16 + (unsigned) (c >= 'a' ? c - 'a' + 10 : c - '0');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
    }
    return name [ZC_CLIENT_ID_LEN] == 0 && index < SIM_CLIENTS ? (int) index : -1;
}

void
fact_of (const zc_entry_t *entry, fact_t *fact)
{
    fact->seq = entry->seq;
    fact->epoch = entry->epoch;
    fact->ts = entry->ts;
    fact->rseq = entry->rseq;
    fact->id = entry->id;
    memcpy (fact->client, entry->client, sizeof fact->client);
    memcpy (fact->room, entry->room, sizeof fact->room);
}

bool
fact_eq (const fact_t *a, const fact_t *b)
{
    return a->seq == b->seq && a->epoch == b->epoch && a->ts == b->ts && a->rseq == b->rseq
        && a->id == b->id && strcmp (a->client, b->client) == 0
        && strcmp (a->room, b->room) == 0;
}

const char *
fact_str (const fact_t *fact, char *buf, size_t cap)
{
    snprintf (buf, cap, "seq %llu (epoch %llu, client %d #%llu, %s rseq %llu, ts %llu)",
              (unsigned long long) fact->seq, (unsigned long long) fact->epoch,
              sim_client_index (fact->client), (unsigned long long) fact->id, fact->room,
              (unsigned long long) fact->rseq, (unsigned long long) fact->ts);
    return buf;
}

//  R7: honest nodes refuse nothing.  The replica's guards against forged
//  or absurd peer messages (issue 9) must never fire on what real nodes
//  send, however the network reorders, repeats or delays it.  (A fixed
//  schedule that forges some says so in node->forged.)
void
sim_check_refused (node_t *node)
{
    if (node->rep && zc_replica_refused (node->rep) > node->forged)
        sim_fail (node->sim, "R7: node %u refused %llu honest peer messages (the last: %s)",
                  node->id, (unsigned long long) zc_replica_refused (node->rep),
                  zc_replica_refusal (node->rep));
}

static void
s_grow_committed (sim_t *sim)
{
    if (sim->committed_count < sim->committed_cap)
        return;
    size_t cap = sim->committed_cap ? sim->committed_cap * 2 : 1024;
    sim->committed = realloc (sim->committed, cap * sizeof *sim->committed);
    sim->commit_epoch = realloc (sim->commit_epoch, cap * sizeof *sim->commit_epoch);
    if (!sim->committed || !sim->commit_epoch)
        abort ();
    sim->committed_cap = cap;
}

//  How many disks hold this very entry now, synced (a lost disk's entries
//  still count while its node does not vote: sim_lose_disk)
static size_t
s_holders (sim_t *sim, const fact_t *fact)
{
    size_t holders = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        disk_t *disk = &sim->nodes [id].disk;
        if (fact->seq <= disk->synced && fact_eq (&disk->records [fact->seq - 1].fact, fact))
            holders++;
        else
        if (fact->seq <= disk->ghost_count && fact_eq (&disk->ghost [fact->seq - 1], fact)
        &&  !sim_whole (&sim->nodes [id]))
            holders++;
    }
    return holders;
}

//  R4, and a quorum of disks, for the next committed entry
static void
s_commit_new (sim_t *sim, node_t *node, const fact_t *fact, uint64_t epoch)
{
    char text [160];
    if (strcmp (fact->room, ZC_MEMBERS_ROOM) == 0) {
        //  A configuration entry (docs/ELECTION.md "Membership changes"):
        //  the leader's own, not a client's; ts still rise along the log
        if (fact->ts <= sim->last_ts)
            sim_fail (sim, "R4: committed configuration %s has ts not above %llu",
                      fact_str (fact, text, sizeof text), (unsigned long long) sim->last_ts);
        if (s_holders (sim, fact) < sim->quorum)
            sim_fail (sim, "R1: node %u takes configuration %s as committed, held by too few",
                      node->id, fact_str (fact, text, sizeof text));
        sim->last_ts = fact->ts;
        s_grow_committed (sim);
        sim->commit_epoch [sim->committed_count] = epoch;
        sim->committed [sim->committed_count++] = *fact;
        return;
    }
    int client = sim_client_index (fact->client);
    int room = fact->room [0] == 'r' ? fact->room [1] - '0' : -1;
    if (client < 0 || room < 0 || room >= SIM_ROOMS) {
        sim_fail (sim, "R1: node %u commits an entry nobody sent: %s", node->id,
                  fact_str (fact, text, sizeof text));
        return;
    }
    if (fact->ts <= sim->last_ts)
        sim_fail (sim, "R4: committed %s has ts not above %llu (seq %llu)",
                  fact_str (fact, text, sizeof text), (unsigned long long) sim->last_ts,
                  (unsigned long long) fact->seq - 1);
    if (fact->rseq != sim->room_rseq [room] + 1)
        sim_fail (sim, "R4: committed %s, but the room's last rseq was %llu",
                  fact_str (fact, text, sizeof text),
                  (unsigned long long) sim->room_rseq [room]);
    if (fact->id != sim->client_id [client] + 1)
        sim_fail (sim, "R4: committed %s, but the client's last committed message is #%llu",
                  fact_str (fact, text, sizeof text),
                  (unsigned long long) sim->client_id [client]);
    size_t holders = s_holders (sim, fact);
    if (holders < sim->quorum)
        sim_fail (sim, "R1: node %u takes %s as committed, but only %zu disks hold it",
                  node->id, fact_str (fact, text, sizeof text), holders);
    sim->last_ts = fact->ts;
    sim->room_rseq [room] = fact->rseq;
    sim->client_id [client] = fact->id;
    s_grow_committed (sim);
    sim->commit_epoch [sim->committed_count] = epoch;
    sim->committed [sim->committed_count++] = *fact;
}

//  R2: the node's log up to its commit point is the committed sequence
void
sim_verify (sim_t *sim, node_t *node)
{
    if (!node->rep)
        return;
    uint64_t commit = zc_replica_commit (node->rep);
    if (commit > zc_chatlog_last_seq (node->log)) {
        sim_fail (sim, "R2: node %u has commit %llu beyond its log (last %llu)", node->id,
                  (unsigned long long) commit,
                  (unsigned long long) zc_chatlog_last_seq (node->log));
        return;
    }
    //  A commit point counts only synced copies (a leader's own once the
    //  loop reported it durable, a backup's once it said so in an
    //  APPEND_ACK, which the core holds until then): it is taken as it is,
    //  and s_commit_new checks that a quorum of synced disks holds it
    //  The epoch in which the node learned it (or later: it is checked
    //  every step, so at most the same instant's epoch change later)
    uint64_t epoch = node->lead_epoch ? node->lead_epoch : zc_election_epoch (node->el);
    uint64_t retired = zc_chatlog_first_seq (node->log) - 1;
    if (node->verified < retired) {
        //  Retired (or a snapshot's base): committed entries only
        if (retired > sim->committed_count)
            sim_fail (sim, "R2: node %u's log starts after seq %llu, but only %zu entries are "
                      "committed", node->id, (unsigned long long) retired,
                      sim->committed_count);
        node->verified = retired;
    }
    while (node->verified < commit && !sim->failed) {
        uint64_t seq = node->verified + 1;
        fact_t fact;
        fact_of (zc_chatlog_get (node->log, seq), &fact);
        if (seq <= sim->committed_count) {
            if (!fact_eq (&fact, &sim->committed [seq - 1])) {
                char a [160], b [160];
                sim_fail (sim, "R2: node %u (commit %llu) holds %s where %s was committed",
                          node->id, (unsigned long long) commit,
                          fact_str (&fact, a, sizeof a),
                          fact_str (&sim->committed [seq - 1], b, sizeof b));
            }
            if (epoch < sim->commit_epoch [seq - 1])
                sim->commit_epoch [seq - 1] = epoch;
        }
        else {
            assert (seq == sim->committed_count + 1);
            s_commit_new (sim, node, &fact, epoch);
        }
        node->verified = seq;
    }
}

//  A leader acknowledges or publishes an entry (fact: what the ACK or the
//  publication says)
static void
sim_acknowledged (sim_t *sim, node_t *node, const fact_t *fact, const char *how)
{
    char text [160];
    if (fact->seq == 0 || fact->seq > sim->committed_count
    ||  !fact_eq (fact, &sim->committed [fact->seq - 1])) {
        sim_fail (sim, "R1: node %u %s %s, which is not the committed entry at that seq",
                  node->id, how, fact_str (fact, text, sizeof text));
        return;
    }
    size_t holders = s_holders (sim, fact);
    if (holders < sim->quorum)
        sim_fail (sim, "R1: node %u %s %s held by only %zu disks", node->id, how,
                  fact_str (fact, text, sizeof text), holders);
    sim->acks++;
    if (!sim->first_ack_after && sim->now >= CHAOS_MS)
        sim->first_ack_after = sim->now;
    int index = sim_client_index (fact->client);
    if (index < 0 || strcmp (fact->room, ZC_MEMBERS_ROOM) == 0)
        return;                 //  not a client's (a configuration entry)
    client_t *client = &sim->clients [index];
    if (fact->id > client->next_id || (fact->id == client->next_id && !client->in_flight))
        sim_fail (sim, "R1: node %u %s client %d's message #%llu, never sent", node->id, how,
                  index, (unsigned long long) fact->id);
}

//  R6: what the node holds in memory is what its disk holds
void
sim_check_disk (sim_t *sim, node_t *node)
{
    uint64_t last = zc_chatlog_last_seq (node->log);
    if (last != node->disk.count) {
        sim_fail (sim, "R6: node %u's log ends at seq %llu, its disk at %zu", node->id,
                  (unsigned long long) last, node->disk.count);
        return;
    }
    if (zc_chatlog_first_seq (node->log) != node->disk.base + 1) {
        sim_fail (sim, "R6: node %u's log starts at seq %llu, its disk at %llu", node->id,
                  (unsigned long long) zc_chatlog_first_seq (node->log),
                  (unsigned long long) node->disk.base + 1);
        return;
    }
    for (uint64_t seq = node->disk.base + 1; seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (node->log, seq);
        record_t *record = &node->disk.records [seq - 1];
        if (entry->size != record->size || memcmp (entry->data, record->data, entry->size)) {
            sim_fail (sim, "R6: node %u's seq %llu differs from its disk", node->id,
                      (unsigned long long) seq);
            return;
        }
    }
}

//  R1 at the moment a leader of epoch E becomes ready: it holds every
//  entry committed in an epoch before E.  (A leader of an old epoch that
//  finishes its view change late may well lack what a newer epoch
//  committed since; it cannot commit anything itself.)
void
sim_check_ready (sim_t *sim, node_t *node)
{
    if (!node->lead_epoch || node->ready_checked || !zc_replica_ready (node->rep))
        return;
    node->ready_checked = true;
    uint64_t last = zc_chatlog_last_seq (node->log);
    sim_trace (sim, "SIM node %u is ready in epoch %llu: log 1..%llu, log epoch %llu, "
               "commit %llu", node->id, (unsigned long long) node->lead_epoch,
               (unsigned long long) last,
               (unsigned long long) zc_replica_log_epoch (node->rep),
               (unsigned long long) zc_replica_commit (node->rep));
    for (uint64_t seq = 1; seq <= sim->committed_count; seq++) {
        if (sim->commit_epoch [seq - 1] >= node->lead_epoch
        ||  seq < zc_chatlog_first_seq (node->log))
            continue;       //  (retired: checked when they retired, sim_verify)
        zc_entry_t *entry = seq <= last ? zc_chatlog_get (node->log, seq) : NULL;
        fact_t fact;
        if (entry)
            fact_of (entry, &fact);
        if (!entry || !fact_eq (&fact, &sim->committed [seq - 1])) {
            char text [160];
            sim_fail (sim, "R1: node %u is ready to serve epoch %llu without committed %s",
                      node->id, (unsigned long long) node->lead_epoch,
                      fact_str (&sim->committed [seq - 1], text, sizeof text));
            return;
        }
    }
}

//  R6 on what the loop writes to election.state (once the sync is done)
void
sim_persist_state (sim_t *sim, node_t *node, const zc_stored_t *state)
{
    disk_t *disk = &node->disk;
    if (disk->has_state && state->epoch < disk->epoch)
        sim_fail (sim, "R6: node %u persists epoch %llu after epoch %llu", node->id,
                  (unsigned long long) state->epoch, (unsigned long long) disk->epoch);
    //  (An unknown leader promises less than a known one: a node whose log
    //  was lost forgets whom it accepted, docs/ELECTION.md "Lost state")
    if (disk->has_state && state->epoch == disk->epoch && disk->leader
    &&  state->leader != disk->leader && state->leader != ZC_LEADER_UNKNOWN)
        sim_fail (sim, "R6: node %u persists leader %u for epoch %llu, having persisted %u",
                  node->id, state->leader, (unsigned long long) state->epoch, disk->leader);
    if (state->log_epoch > state->epoch)
        sim_fail (sim, "R6: node %u persists log epoch %llu above its epoch %llu", node->id,
                  (unsigned long long) state->log_epoch, (unsigned long long) state->epoch);
    disk->epoch = state->epoch;
    disk->leader = state->leader;
    disk->log_epoch = state->log_epoch;
    disk->trust = state->trust;
    disk->has_state = true;
}

//  R1 on what a node releases, when it goes out: each ACK names the
//  committed entry, held by a quorum of disks
void
sim_check_reply (sim_t *sim, node_t *node, const packet_t *packet)
{
    sim_verify (sim, node);       //  what it knows committed, before it releases
    size_t at = 0, offset = 0;
    zc_bytes_t body = packet_blob_next (packet, &at);
    while (offset < body.size && !sim->failed) {
        zc_msg_t msg;
        if (zc_msg_decode_next (&msg, body.data, body.size, &offset, NULL)) {
            sim_fail (sim, "node %u's reply to client %u does not decode", node->id, packet->to);
            return;
        }
        if (msg.type != ZC_ACK)
            continue;
        zc_entry_t *entry = zc_chatlog_get (node->log, msg.seq);
        fact_t fact;
        if (entry)
            fact_of (entry, &fact);
        char name [ZC_CLIENT_ID_LEN + 1];
        zc_str_copy (name, sizeof name, msg.client);
        if (!entry || entry->id != msg.id || entry->ts != msg.ts || strcmp (entry->client, name)) {
            sim_fail (sim, "R1: node %u acknowledges client %d's #%llu at seq %llu, which its "
                      "log does not hold", node->id, sim_client_index (name),
                      (unsigned long long) msg.id, (unsigned long long) msg.seq);
            return;
        }
        sim_acknowledged (sim, node, &fact, "acknowledges");
    }
}

void
sim_check_pub (sim_t *sim, node_t *node, const packet_t *packet)
{
    sim_verify (sim, node);       //  what it knows committed, before it releases
    size_t at = 0, offset = 0;
    zc_bytes_t topic = packet_blob_next (packet, &at);
    zc_bytes_t frame = packet_blob_next (packet, &at);
    if (topic.size == strlen (ZC_BEACON_TOPIC) && memcmp (topic.data, ZC_BEACON_TOPIC, topic.size) == 0)
        return;
    while (offset < frame.size && !sim->failed) {
        zc_msg_t chat;
        if (zc_msg_decode_next (&chat, frame.data, frame.size, &offset, NULL)
        ||  chat.type != ZC_CHAT || chat.room.len != topic.size
        ||  memcmp (chat.room.ptr, topic.data, topic.size)) {
            sim_fail (sim, "node %u publishes a frame that is not chat of room %.*s", node->id,
                      (int) topic.size, (const char *) topic.data);
            return;
        }
        fact_t fact = { .seq = chat.seq, .epoch = chat.epoch, .ts = chat.ts, .rseq = chat.rseq,
                        .id = chat.id };
        zc_str_copy (fact.client, sizeof fact.client, chat.client);
        zc_str_copy (fact.room, sizeof fact.room, chat.room);
        sim_acknowledged (sim, node, &fact, "publishes");
    }
}

static void
s_served_grow (sim_t *sim, uint64_t epoch)
{
    if (epoch < sim->served_cap)
        return;
    size_t cap = sim->served_cap ? sim->served_cap : 64;
    while (cap <= epoch)
        cap *= 2;
    sim->served = realloc (sim->served, cap * sizeof *sim->served);
    sim->served_since = realloc (sim->served_since, cap * sizeof *sim->served_since);
    if (!sim->served || !sim->served_since)
        abort ();
    for (size_t i = sim->served_cap; i < cap; i++) {
        sim->served [i] = 0;
        sim->served_since [i] = 0;
    }
    sim->served_cap = cap;
}

//  R3, the election's promise, for every running node: at most one node
//  serves per epoch; a node that serves epoch E has persisted (E, itself)
//  (once its loop runs: a node blocked in its sync answers nobody); once
//  an epoch E' is served, no older epoch is served lease_ms later (so a
//  frozen leader that wakes is harmless: docs/ELECTION.md).  And the
//  observations fixed schedules read.
void
sim_check_serving (sim_t *sim)
{
    size_t serving = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!node->el || node->frozen || !zc_election_serving (node->el, sim->now))
            continue;
        serving++;
        uint64_t epoch = zc_election_epoch (node->el);
        if (!node->syncing && (node->disk.epoch != epoch || node->disk.leader != id))
            sim_fail (sim, "R3: node %u serves epoch %llu but its disk holds (%llu, %u)",
                      id, (unsigned long long) epoch,
                      (unsigned long long) node->disk.epoch, node->disk.leader);
        s_served_grow (sim, epoch);
        if (!sim->served [epoch]) {
            sim->served [epoch] = id;
            sim->served_since [epoch] = sim->now;
            if (epoch > sim->max_served)
                sim->max_served = epoch;
            sim_trace (sim, "SIM epoch %llu is served by node %u",
                       (unsigned long long) epoch, id);
        }
        else
        if (sim->served [epoch] != id)
            sim_fail (sim, "R3: nodes %u and %u both served epoch %llu", sim->served [epoch],
                      id, (unsigned long long) epoch);
        for (uint64_t newer = epoch + 1; newer <= sim->max_served; newer++) {
            if (!sim->served [newer])
                continue;
            uint64_t late = sim->now - sim->served_since [newer];
            if (late > sim->max_stale)
                sim->max_stale = late;
            if (late >= T_LEASE)
                sim_fail (sim, "R3: node %u still serves epoch %llu, %llu ms after node %u "
                          "began serving epoch %llu (lease %u ms)", id,
                          (unsigned long long) epoch, (unsigned long long) late,
                          sim->served [newer], (unsigned long long) newer, T_LEASE);
        }
    }
    if (serving > 1)
        sim->overlap_steps++;
    if (serving)
        sim->last_serving_at = sim->now;
    else
    if (sim->now - sim->last_serving_at > sim->max_gap)
        sim->max_gap = sim->now - sim->last_serving_at;
    if (sim->watch && !sim->watch_lost
    &&  !(sim_running (sim, sim->watch)
          && zc_election_serving (sim->nodes [sim->watch].el, sim->now))) {
        sim->watch_lost = true;
        sim->watch_lost_at = sim->now;
        sim_trace (sim, "SIM watched node %u is not serving", sim->watch);
    }
}

//  The highest running node leads, serves and is ready, and every running
//  node follows it in its epoch.  Returns its id; 0 if not (yet); with
//  fewer than a quorum up, UINT32_MAX when nobody serves.
uint32_t
sim_converged (sim_t *sim)
{
    size_t up = 0;
    uint32_t top = 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        if (sim_running (sim, id)) {
            up++;
            top = id;
        }
        else
        if (sim_up (sim, id))
            return 0;
    }
    if (up < sim->quorum)
        return sim_serving (sim) ? 0 : UINT32_MAX;
    node_t *leader = &sim->nodes [top];
    if (zc_election_role (leader->el) != ZC_ROLE_LEADER || !sim_node_serving (sim, leader))
        return 0;
    for (uint32_t id = 1; id <= sim->n; id++) {
        if (!sim_running (sim, id))
            continue;
        zc_election_t *el = sim->nodes [id].el;
        if (zc_election_leader (el) != top
        ||  zc_election_epoch (el) != zc_election_epoch (leader->el))
            return 0;
    }
    return top;
}

//  Every running node's log and commit point equal the leader's; the
//  leader has committed its whole log; every committed entry is there.
bool
sim_logs_converged (sim_t *sim, uint32_t top, char *why, size_t cap)
{
    node_t *leader = &sim->nodes [top];
    uint64_t last = zc_chatlog_last_seq (leader->log);
    uint64_t commit = zc_replica_commit (leader->rep);
    if (commit != last) {
        snprintf (why, cap, "leader %u commits %llu of its log 1..%llu", top,
                  (unsigned long long) commit, (unsigned long long) last);
        return false;
    }
    if (last < sim->committed_count) {
        snprintf (why, cap, "leader %u's log ends at %llu, %zu entries are committed", top,
                  (unsigned long long) last, sim->committed_count);
        return false;
    }
    for (uint32_t id = 1; id <= sim->n; id++) {
        node_t *node = &sim->nodes [id];
        if (!sim_running (sim, id) || id == top)
            continue;
        if (zc_chatlog_last_seq (node->log) != last || zc_replica_commit (node->rep) != commit) {
            snprintf (why, cap, "node %u has log 1..%llu and commit %llu, the leader %llu and "
                      "%llu", id, (unsigned long long) zc_chatlog_last_seq (node->log),
                      (unsigned long long) zc_replica_commit (node->rep),
                      (unsigned long long) last, (unsigned long long) commit);
            return false;
        }
        uint64_t from = zc_chatlog_first_seq (node->log) > zc_chatlog_first_seq (leader->log)
                      ? zc_chatlog_first_seq (node->log) : zc_chatlog_first_seq (leader->log);
        for (uint64_t seq = from; seq <= last; seq++) {
            zc_entry_t *a = zc_chatlog_get (node->log, seq), *b = zc_chatlog_get (leader->log, seq);
            if (a->size != b->size || memcmp (a->data, b->data, a->size)) {
                snprintf (why, cap, "node %u's seq %llu differs from the leader's", id,
                          (unsigned long long) seq);
                return false;
            }
        }
    }
    return true;
}
