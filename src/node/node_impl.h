/*  node_impl.h — the node's private state, shared by node*.c only.

    The node is a loop over the pure core (core.h): it reads sockets,
    feeds the core events and executes the bundles the core returns.

    node.c          sockets, the loop, executing a bundle (log writes,
                    election state, the one error path for a failed write)
    node_client.c   the client ROUTER: requests in, replies out; the PUB
    node_peers.c    peer links (DEALER per peer), heartbeats (REQ/REP),
                    the leader-connection monitor, heartbeat priority
    logload.c       loading the log at start, retention's file work
    node_metrics.c  --metrics: what the loop counts, and the copy it
                    hands the HTTP thread (metrics_http.h)
*/
#ifndef ZC_NODE_IMPL_H
#define ZC_NODE_IMPL_H

#include <czmq.h>
#include "node.h"
#include "config.h"
#include "core.h"
#include "chatlog.h"
#include "segstore.h"
#include "storage.h"
#include "store.h"
#include "wire.h"
#include "security.h"
#include "zap.h"
#include "watcher.h"
#include "ratelog.h"
#include "trace_event.h"
#include "metrics.h"
#include "metrics_http.h"

//  Frames of one peer message handed to the core at most (each holds
//  entries back to back; a correct sender uses a few).
#define ZC_NODE_MAX_FRAMES 4096

//  Socket priority (docs/DECISIONS.md, "Heartbeat priority").  libzmq
//  runs the node's TCP (and CURVE) on two I/O threads: the peer side (peer
//  ROUTER, links, heartbeat REP and REQ) on one, the client side (client
//  ROUTER, PUB) on the other, so a client flood never queues a heartbeat
//  frame behind its own.  ZMQ_AFFINITY is a bit mask of I/O threads.
#define ZC_NODE_IO_THREADS 2
#define ZC_NODE_AFFINITY_CLIENTS 1      //  I/O thread 0
#define ZC_NODE_AFFINITY_PEERS 2        //  I/O thread 1
//  Peer-side packets say DSCP CS6 ("network control", RFC 4594) in the
//  IP header, for a network that prioritises by it.
#define ZC_NODE_TOS_PEERS 0xC0
//  The loop answers waiting PINGs every this many client requests read or
//  bundle messages sent: a PONG waits behind at most this many, not a
//  whole batch of requests and the bundle after it.
#define ZC_NODE_HB_EVERY 64

typedef struct {
    uint32_t id;
    char endpoint [300];            //  tcp://host:P+2000
    zsock_t *dealer;
} zc_link_t;

struct _zc_node_t {
    zc_config_t cfg;
    zc_core_t *core;
    zc_segstore_t *segstore;
    zc_storage_t *storage;          //  the thread that writes it (storage.h)

    zsock_t *client_router;         //  P
    zsock_t *pub;                   //  P+1000
    zsock_t *peer_router;           //  P+2000
    zsock_t *hb_rep;                //  P+3000
    zsock_t *hb_req;                //  to the leader's P+3000 (backups)
    zactor_t *hb_monitor;           //  watches hb_req for DISCONNECTED
    uint32_t hb_leader;             //  whom hb_req is connected to

    zc_link_t links [ZC_MAX_PEERS];
    size_t link_count;
    uint64_t members_version;       //  the core's, when the links last followed it

    //  Security (docs/PROTOCOL.md §8)
    struct _zc_security_t *security; //  CURVE keys and the ZAP handler (NULL: off)
    zactor_t *watcher;              //  logs failed handshakes (watcher.h)
    zc_ratelog_t hb_log;            //  and this, the heartbeat REQ's

    //  Metrics (docs/METRICS.md; node_metrics.c): NULL without --metrics
    zc_metrics_http_t *metrics_http;
    zc_metrics_t metrics;           //  the loop's working copy
    uint64_t metrics_next;          //  when to publish next (ms)
    uint64_t repl_sent;             //  log entries sent to peers
    uint64_t replies_lost;          //  replies a client was not there to take
    //  Heartbeat priority: PINGs answered by a wake-up's own drain, and
    //  inside a client batch or a bundle's sends; messages since the last
    //  look at the heartbeat sockets; whether the I/O threads are split
    uint64_t pings_wakeup, pings_batch;
    unsigned hb_since;
    bool io_split;

    bool failed;                    //  a write failed: the node stops
    zc_tstate_t trace_state;        //  --trace: the last STATE line written
    //  STATUS counters as the loop stopped (for in-process tests)
    uint64_t dropped, denied, forged;
    zc_bytes_t frames [ZC_NODE_MAX_FRAMES];
    uint8_t buf [ZC_MAX_FRAME];
};

//  node.c
uint64_t zc_node_now (void);
zmsg_t *zc_node_recv_nowait (zsock_t *sock);
int zc_node_send (zsock_t *sock, zc_node_t *self, const zc_msg_t *msg, int flags);
int zc_node_execute (zc_node_t *self);

//  node_client.c
void zc_node_client_recv (zc_node_t *self);
void zc_node_send_pubs (zc_node_t *self, const zc_core_pub_t *pubs, size_t count);
void zc_node_send_replies (zc_node_t *self, const zc_core_reply_t *replies, size_t count);

//  node_peers.c
int zc_node_peers_open (zc_node_t *self, char *err, size_t errlen);
void zc_node_peers_close (zc_node_t *self);
void zc_node_peers_send (zc_node_t *self, const zc_core_send_t *sends, size_t count);
//  The configuration in force changed (docs/ELECTION.md "Membership
//  changes"): open a link to each new member.  Links to members that left
//  stay open and idle (the core sends them nothing).
void zc_node_peers_sync (zc_node_t *self);
void zc_node_peer_recv (zc_node_t *self);
void zc_node_link_recv (zc_node_t *self, zc_link_t *link);
void zc_node_hb_rep_recv (zc_node_t *self);
//  One client request read or one bundle message sent: every
//  ZC_NODE_HB_EVERY, answer the PINGs waiting (zc_core_ping touches no
//  bundle) and, outside a bundle's execution (in_bundle false), take the
//  heartbeat REQ's replies too.
void zc_node_hb_step (zc_node_t *self, bool in_bundle);
//  Gives czmq's context ZC_NODE_IO_THREADS I/O threads if it has made no
//  socket yet; whether the process has them (else a warning)
bool zc_node_io_threads (uint32_t id);
//  The peer side's socket options (I/O thread, TOS), before bind/connect
void zc_node_peer_priority (zc_node_t *self, zsock_t *sock);
void zc_node_hb_req_recv (zc_node_t *self);
void zc_node_hb_monitor_recv (zc_node_t *self);

//  node_trace.c: --trace lines (call only with cfg.trace set)
void zc_node_trace_send (zc_node_t *self, const zc_core_send_t *send);
void zc_node_trace_recv (zc_node_t *self, const uint8_t *body, size_t size);
void zc_node_trace_state (zc_node_t *self);
void zc_node_trace_event (zc_node_t *self, zc_tev_kind_t kind, uint32_t peer);
void zc_node_trace_start (zc_node_t *self, const zc_stored_t *stored);

//  node_metrics.c
uint64_t zc_node_now_us (void);
int zc_node_metrics_open (zc_node_t *self, char *err, size_t errlen);
void zc_node_metrics_close (zc_node_t *self);
void zc_node_metrics_acked (zc_node_t *self, const zc_core_ready_t *ready);
//  Publishes a fresh copy if one is due; the poll's timeout cap (ms), or
//  -1 when metrics are off.
long zc_node_metrics_tick (zc_node_t *self);

//  logload.c
int zc_logload_open (const zc_config_t *cfg, zc_segstore_t **segstore_p,
                     zc_chatlog_t **log_p, zc_stored_t *stored, char *err, size_t errlen);
int zc_logload_install (const zc_config_t *cfg, zc_core_t *core, uint64_t base);
void zc_logload_retain (const zc_config_t *cfg, zc_segstore_t *segstore, zc_core_t *core,
                        uint64_t keep_after);

#endif
