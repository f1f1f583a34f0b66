/*  node_impl.h — the node's private state, shared by node*.c only.

    node.c          sockets, the loop, timers, election actions
    node_client.c   client requests (HELLO, POST, STATUS, FETCH), commit,
                    publication, beacons
    node_peers.c    peer links (DEALER per peer), replication traffic,
                    heartbeats (REQ/REP) and the leader-connection monitor
*/
#ifndef ZC_NODE_IMPL_H
#define ZC_NODE_IMPL_H

#include <czmq.h>
#include "node.h"
#include "config.h"
#include "election.h"
#include "chatlog.h"
#include "replica.h"
#include "segstore.h"
#include "store.h"
#include "wire.h"
#include "lamport.h"
#include "outbox.h"
#include "security.h"
#include "zap.h"
#include "watcher.h"
#include "ratelog.h"
#include "client_limits.h"


//  A client's ROUTER identity (libzmq's limit: 255 bytes).
typedef struct {
    size_t len;
    uint8_t data [255];
} zc_ident_t;

#define ZC_BEACON_BURST    10       //  beacons at heartbeat pace after a change
#define ZC_BEACON_IDLE_MS  1000     //  then at most this far apart

typedef struct {
    uint32_t id;
    char endpoint [300];            //  tcp://host:P+2000
    zsock_t *dealer;
} zc_link_t;

struct _zc_node_t {
    zc_config_t cfg;
    zc_election_t *election;
    zc_chatlog_t *log;
    zc_replica_t *replica;
    zc_segstore_t *segstore;
    zc_lamport_t clock;
    zc_stored_t stored;

    zsock_t *client_router;         //  P
    zsock_t *pub;                   //  P+1000
    zsock_t *peer_router;           //  P+2000
    zsock_t *hb_rep;                //  P+3000
    zsock_t *hb_req;                //  to the leader's P+3000 (backups)
    zactor_t *hb_monitor;           //  watches hb_req for DISCONNECTED
    uint32_t hb_leader;             //  whom hb_req is connected to

    zc_link_t links [ZC_MAX_PEERS];
    size_t link_count;

    uint64_t lead_epoch;            //  epoch of our current leadership (0: none)
    uint64_t published;             //  leader: highest seq published
    zhashx_t *room_rseq;            //  leader: room -> last published rseq
    zc_outbox_t *pub_box;           //  leader: publications of one wake-up
    zc_outbox_t *ack_box;           //  leader: ACKs of one wake-up
    uint64_t next_retain;           //  next retention pass
    uint64_t retired_base;          //  from retired.state: last retired seq
    uint64_t retired_base_epoch;    //  and its epoch
    uint64_t next_beacon;
    uint32_t beacon_burst;          //  fast beacons left after a change
    uint64_t dropped;               //  invalid frames
    uint64_t handled;               //  chat messages stamped here
    int store_errno;                //  why the last log append/truncate failed
    bool store_failed;              //  a log write or sync failed: stop, ack nothing

    //  Security and limits (docs/PROTOCOL.md §8); each counter is in STATUS
    struct _zc_security_t *security; //  CURVE keys and the ZAP handler (NULL: off)
    zactor_t *watcher;              //  logs failed handshakes (watcher.h)
    zc_ratelog_t hb_log;            //  and this, the heartbeat REQ's
    struct _zc_limits_t *limits;    //  per-client rate, rooms, connections
    uint64_t refused;               //  requests refused by a limit
    uint64_t slowed;                //  POSTs refused by the rate limit
    uint64_t denied;                //  handshakes refused by the ZAP handler
    uint64_t forged;                //  peer messages refused as forged
    uint64_t forged_uid;            //  of them: wrong User-Id (node_peers.c)

    zc_actions_t actions;
    zc_ractions_t ractions;
    uint8_t buf [ZC_MAX_FRAME];
};

//  node.c
uint64_t zc_node_now (void);
zmsg_t *zc_node_recv_nowait (zsock_t *sock);
int zc_node_send (zsock_t *sock, zc_node_t *self, const zc_msg_t *msg, int flags);
void zc_node_run_actions (zc_node_t *self, uint64_t now);
void zc_node_log_changed (zc_node_t *self);
void zc_node_run_ractions (zc_node_t *self, uint64_t now);
bool zc_node_serving (zc_node_t *self, uint64_t now);

//  node_client.c
void zc_node_client_recv (zc_node_t *self);
void zc_node_advance_commit (zc_node_t *self, uint64_t now);
void zc_node_beacon (zc_node_t *self, uint64_t now);
void zc_node_release_waiters (zc_node_t *self);
void zc_node_waiter_free (void *waiter);
zc_outbox_flush_fn zc_node_send_pub;
zc_outbox_flush_fn zc_node_send_acks;

//  node_peers.c
int zc_node_peers_open (zc_node_t *self, char *err, size_t errlen);
void zc_node_peers_close (zc_node_t *self);
int zc_node_peer_send (zc_node_t *self, uint32_t peer, const zc_msg_t *msg);
void zc_node_peer_recv (zc_node_t *self);
void zc_node_link_recv (zc_node_t *self, zc_link_t *link);
void zc_node_ping_leader (zc_node_t *self, uint32_t leader, const zc_msg_t *ping);
void zc_node_hb_rep_recv (zc_node_t *self);
void zc_node_hb_req_recv (zc_node_t *self);
void zc_node_hb_monitor_recv (zc_node_t *self);

#endif
