/*  cluster_net.c — frames in flight: packets (recycled), the network heap,
    queues, and how a node's sends reach it (loss, delay, duplicates,
    partitions, FIFO links).  See cluster.h.
*/
#include "cluster.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Packets are recycled (malloc under ASan costs more than the rest)
static packet_t *s_free_packets;

packet_t *
packet_new (void)
{
    packet_t *packet = s_free_packets;
    if (packet)
        s_free_packets = packet->next_free;
    else {
        packet = calloc (1, sizeof *packet);
        if (!packet)
            abort ();
    }
    uint8_t *blobs = packet->blobs;
    size_t blob_cap = packet->blob_cap;
    memset (packet, 0, offsetof (packet_t, frame));
    packet->blobs = blobs;
    packet->blob_cap = blob_cap;
    return packet;
}

void
packet_free (packet_t *packet)
{
    if (packet) {
        packet->next_free = s_free_packets;
        s_free_packets = packet;
    }
}

void
packet_pool_destroy (void)
{
    while (s_free_packets) {
        packet_t *packet = s_free_packets;
        s_free_packets = packet->next_free;
        free (packet->blobs);
        free (packet);
    }
}

//  Room for `bytes` of blobs
static void
packet_reserve (packet_t *packet, size_t bytes)
{
    if (bytes > packet->blob_cap) {
        free (packet->blobs);
        packet->blob_cap = bytes < 4096 ? 4096 : bytes;
        packet->blobs = malloc (packet->blob_cap);
        if (!packet->blobs)
            abort ();
    }
}

//  Room for `bytes` more of blobs, keeping those already there
static void
packet_reserve_more (packet_t *packet, size_t bytes)
{
    if (packet->blob_bytes + bytes > packet->blob_cap) {
        size_t cap = packet->blob_cap ? packet->blob_cap : 4096;
        while (cap < packet->blob_bytes + bytes)
            cap *= 2;
        packet->blobs = realloc (packet->blobs, cap);
        if (!packet->blobs)
            abort ();
        packet->blob_cap = cap;
    }
}

packet_t *
packet_dup (const packet_t *packet)
{
    packet_t *copy = packet_new ();
    uint8_t *blobs = copy->blobs;
    size_t blob_cap = copy->blob_cap;
    memcpy (copy, packet, offsetof (packet_t, frame) + packet->size);
    copy->blobs = blobs;
    copy->blob_cap = blob_cap;
    if (packet->blob_count) {
        packet_reserve (copy, packet->blob_bytes);
        memcpy (copy->blobs, packet->blobs, packet->blob_bytes);
    }
    return copy;
}

//  The network (a heap_t of slot_t) holds the frames by pointer
void
net_push (heap_t *net, packet_t *packet)
{
    slot_t slot = { packet->at, packet->seq, packet };
    heap_push (net, &slot);
}

packet_t *
net_pop (heap_t *net)
{
    slot_t slot;
    heap_pop (net, &slot);
    return slot.packet;
}

void
queue_push (queue_t *queue, packet_t *packet)
{
    if (queue->count == queue->cap) {
        queue->cap = queue->cap ? queue->cap * 2 : 32;
        queue->items = realloc (queue->items, queue->cap * sizeof (packet_t *));
        if (!queue->items)
            abort ();
    }
    queue->items [queue->count++] = packet;
}

void
queue_clear (queue_t *queue)
{
    for (size_t i = 0; i < queue->count; i++)
        packet_free (queue->items [i]);
    queue->count = 0;
}

//  The blobs of a packet: u32 size, bytes; one after another
void
packet_blob_add (packet_t *packet, const uint8_t *data, size_t size)
{
    packet_reserve_more (packet, 4 + size);
    uint32_t size32 = (uint32_t) size;
    memcpy (packet->blobs + packet->blob_bytes, &size32, 4);
    memcpy (packet->blobs + packet->blob_bytes + 4, data, size);
    packet->blob_bytes += 4 + size;
    packet->blob_count++;
}

//  The i-th blob (in order: call with i = 0, 1, ... and the same *at)
zc_bytes_t
packet_blob_next (const packet_t *packet, size_t *at)
{
    uint32_t size;
    memcpy (&size, packet->blobs + *at, 4);
    zc_bytes_t blob = { packet->blobs + *at + 4, size };
    *at += 4 + size;
    return blob;
}

//  Onto the network (or not: cut, filtered, lost), now
void
sim_launch (sim_t *sim, packet_t *packet)
{
    uint32_t from = packet->from, to = packet->to;
    packet->sent_at = sim->now;
    if (packet->kind == PK_REPLY)
        sim_check_reply (sim, &sim->nodes [from], packet);
    if (packet->kind == PK_PUB) {
        sim_check_pub (sim, &sim->nodes [from], packet);
        packet_free (packet);   //  no simulated listener
        return;
    }
    if (packet->kind == PK_POST || packet->kind == PK_REPLY) {
        //  Clients are one hop away on a loopback that loses nothing
        packet->at = sim->now + prng_range (&sim->rng, 1, 20);
        packet->seq = sim->next_seq++;
        net_push (&sim->net, packet);
        return;
    }
    zc_msg_t msg;
    if (sim->tap && packet->kind == PK_PEER
    &&  zc_msg_decode (&msg, packet->frame, packet->size, NULL) == 0)
        sim->tap (sim, SIM_TAP_SEND, from, to, &msg, NULL, sim->tap_arg);
    bool drop = !sim_node (sim, to) || sim->cut [from][to];
    if (!drop && sim->filter && zc_msg_decode (&msg, packet->frame, packet->size, NULL) == 0)
        drop = sim->filter (sim, from, to, &msg, packet->entries, sim->filter_arg);
    if (drop) {
        packet_free (packet);
        return;
    }
    int chan = packet->kind == PK_PEER ? 0 : 1;
    int copies = !sim->fifo && prng_chance (&sim->rng, sim->dup_bp) ? 2 : 1;
    for (int copy = 0; copy < copies; copy++) {
        if (prng_chance (&sim->rng, sim->drop_bp))
            continue;
        uint64_t delay = prng_chance (&sim->rng, sim->slow_bp)
                       ? prng_range (&sim->rng, 300, 1000)
                       : prng_range (&sim->rng, 1, 50);
        packet_t *sent = packet;
        if (!packet)
            break;
        if (copy + 1 < copies)
            sent = packet_dup (packet);     //  the last copy takes the original
        else
            packet = NULL;
        sent->at = sim->now + delay;
        if (sim->fifo) {
            //  TCP: a frame never overtakes an earlier one on its link
            if (sent->at < sim->link_at [from][to][chan])
                sent->at = sim->link_at [from][to][chan];
            sim->link_at [from][to][chan] = sent->at;
        }
        sent->seq = sim->next_seq++;
        net_push (&sim->net, sent);
    }
    packet_free (packet);
}

//  What the node sends: launched now, or held until its sync is done
void
node_emit (sim_t *sim, node_t *node, packet_t *packet, bool hold)
{
    if (hold)
        queue_push (&node->held, packet);
    else
        sim_launch (sim, packet);
}

packet_t *
packet_make (uint32_t from, uint32_t to, pk_kind_t kind)
{
    packet_t *packet = packet_new ();
    packet->from = from;
    packet->to = to;
    packet->kind = kind;
    return packet;
}

//  A message to a peer through the codec, with entries first..last of the
//  node's log packed into frames as node_peers.c packs them (up to
//  ZC_MAX_BATCH a frame)
void
node_transmit (sim_t *sim, node_t *node, const zc_core_send_t *send, bool hold)
{
    packet_t *packet = packet_make (node->id, send->to, send->ping ? PK_PING : PK_PEER);
    packet->size = (uint16_t) zc_msg_encode (&send->msg, packet->frame, sizeof packet->frame);
    if (packet->size == 0) {
        sim_fail (sim, "node %u built a %s the codec refuses", node->id,
                  zc_type_name (send->msg.type));
        packet_free (packet);
        return;
    }
    if (send->first <= send->last) {
        size_t used = 0;
        for (uint64_t seq = send->first; seq <= send->last; seq++) {
            zc_entry_t *entry = zc_chatlog_get (node->log, seq);
            if (!entry) {
                sim_fail (sim, "node %u sends seq %llu..%llu but does not hold seq %llu",
                          node->id, (unsigned long long) send->first,
                          (unsigned long long) send->last, (unsigned long long) seq);
                packet_free (packet);
                return;
            }
            if (used && used + entry->size > ZC_MAX_BATCH) {
                packet_blob_add (packet, sim->buf, used);
                used = 0;
            }
            memcpy (sim->buf + used, entry->data, entry->size);
            used += entry->size;
        }
        packet_blob_add (packet, sim->buf, used);
        packet->entries = (uint32_t) (send->last - send->first + 1);
    }
    if (sim->spy_type && !sim->spy_found && node->id == sim->spy_node
    &&  send->msg.type == sim->spy_type) {
        sim->spy_found = true;
        sim->spy_msg = send->msg;       //  its strings point into the bundle: numbers only
    }
    if (sim->tracing && send->first <= send->last)
        sim_trace (sim, "SIM node %u -> %u: %s with seq %llu..%llu", node->id, send->to,
                   zc_type_name (send->msg.type), (unsigned long long) send->first,
                   (unsigned long long) send->last);
    node_emit (sim, node, packet, hold);
}
