/*  client_impl.h — the client object, shared by client.c (object, API,
    loop, events), client_lead.c (leader following, sending, timers) and
    client_recv.c (what servers send).  Not part of the API.
*/
#ifndef ZC_CLIENT_IMPL_H
#define ZC_CLIENT_IMPL_H

#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#include "client.h"
#include "client_keys.h"
#include "catchup.h"
#include "client_monitor.h"
#include "delivery.h"
#include "follow.h"
#include "lamport.h"
#include "pending.h"
#include "servers.h"
#include "throttle.h"

#define ZC_BUSY_MS      50          //  wait after "busy" before resending
#define ZC_FETCH_BYTES  (ZC_FETCH_MAX_BYTES - ZC_MAX_FRAME)
                                    //  a reply this large may have been cut at
                                    //  the node's 4 MiB limit: count it as full
#define ZC_BATCH        256         //  frames read per socket per wake-up
#define ZC_SUB_HWM      100000      //  PUB is lossy; a deep queue loses less

//  One server of the --servers list: its DEALER and what we know of it
typedef struct {
    zc_server_addr_t addr;
    zsock_t *dealer;                //  NULL only if reopening failed
    zsock_t *monitor;               //  its handshake failures (client_monitor.h)
    int told_handshake;             //  ZC_HS_* kinds already shown for this node
    uint32_t node;                  //  node id from its WELCOME, 0 = unknown
    uint16_t pub_port;              //  port the SUB is connected to, 0 = none
    bool hello_due;                 //  a HELLO waits to go out
} zc_cl_server_t;

//  A queued event and the storage its text points into
typedef struct {
    zc_event_t ev;
    zc_chat_t *chat;
    char *notice;
    uint64_t *moved_ts;             //  ZC_EV_REFUSED: ev.moved_ts
} zc_cl_item_t;

struct _zc_client_t {
    char room[ZC_MAX_ROOM + 1];
    char name[ZC_MAX_NAME + 1];
    char id[ZC_CLIENT_ID_LEN + 1];
    uint32_t retry_ms;
    uint64_t history;               //  cfg.history
    int verbose;
    bool presence;                  //  cfg.presence
    bool post_only;                 //  cfg.post_only: no delivery at all
    int64_t presence_at;            //  next PRESENCE (0: at once)
    uint32_t presence_leader;       //  the leader it went to last

    zc_server_addr_t addrs[ZC_MAX_SERVERS];
    zc_cl_server_t servers[ZC_MAX_SERVERS];
    size_t nservers;
    zsock_t *sub;                   //  connected to every server's PUB
    bool via_relay;                 //  or to cfg.relay's endpoints only
    zc_client_keys_t *keys;         //  CURVE on every socket; NULL = plaintext
    zsock_t *sub_monitor;           //  the SUB's handshake failures

    zc_follow_t follow;
    uint32_t told_leader;           //  last ZC_EV_LEADER given out
    uint64_t told_epoch;
    int64_t leader_heard_at;        //  the followed leader's own word, last (0 = none)

    zc_pending_t *pending;
    uint64_t last_id;               //  last message id posted
    uint64_t rejected_id;           //  last id reported (bad_request, or asked
                                    //  for again after its ACK)
    int64_t last_ack_at;            //  progress: last new ACK (or first post)
    int64_t rewound_at;             //  last resend round started
    int64_t busy_at;                //  resend at, after "busy" or "slow_down"; 0 = none
    zc_throttle_t throttle;         //  slow_down refusals (throttle.h)
    uint64_t refused;               //  our messages refused for good ("limit")
    uint64_t forgotten;             //  our acknowledged messages a leader asked for
                                    //  again: lost in a leader change (--quorum 1)
    uint64_t gap_expected;          //  a gap over them, declared: the POST of gap_id
    uint64_t gap_id;                //  carries the leader's `expected` until it is
                                    //  acknowledged (0 = none; PROTOCOL.md §4)
    uint64_t stale_left;            //  error replies still to come from the leader for
                                    //  sends made before a refusal moved ids down:
    uint64_t stale_floor;           //  each about an id at or above this one, and
                                    //  counted, never taken for a moved message
    char limit_told[ZC_MAX_REASON + 1];     //  last "limit" without an id shown

    zc_delivery_t *delivery;
    int64_t held_since;             //  messages waiting for a baseline since
    zc_catchup_t catchup;           //  FETCHes and the quiet-room probe (catchup.h)

    int64_t hello_all_at;           //  last time every server was asked
    char *members_due;              //  a WELCOME's `peers`, to apply between reads
    bool members_drop;              //  (zc_cl_members_apply); from a serving leader:
                                    //  drop the servers of ids it does not name

    zc_lamport_t clock;
    zc_cl_item_t *events;           //  a ring of queued events: no
    size_t ev_head, ev_count, ev_cap;   //  allocation per delivered message
    zc_chat_t *shown_chat;          //  storage of the last event given out
    char *shown_notice;
    uint64_t *shown_moved_ts;
    uint64_t dropped;               //  invalid frames from servers
    uint8_t buf[ZC_MAX_FRAME];      //  encoding buffer
};

//  client.c
void zc_cl_log (zc_client_t *self, const char *format, ...) CHECK_PRINTF (2);
void zc_cl_notice (zc_client_t *self, const char *format, ...) CHECK_PRINTF (2);
//  Queues a copy of *item, taking over its chat and notice.
void zc_cl_push (zc_client_t *self, zc_cl_item_t *item);
void zc_cl_drain_delivery (zc_client_t *self);
int zc_cl_send (zc_client_t *self, zc_cl_server_t *server, const zc_msg_t *msg);
int zc_cl_dealer_reopen (zc_client_t *self, zc_cl_server_t *server);
void zc_cl_sub_point (zc_client_t *self, zc_cl_server_t *server, uint16_t pub_port);
//  The members a node named (docs/ELECTION.md "Membership changes"): a
//  server for each member we lack; and if a serving leader named them,
//  none for a node id no longer a member (a backup's committed view may be
//  older).  Called where no server pointer is held.
void zc_cl_members_apply (zc_client_t *self);

//  client_lead.c
zc_cl_server_t *zc_cl_leader_server (zc_client_t *self);
void zc_cl_presence_send (zc_client_t *self, bool here);
void zc_cl_hint (zc_client_t *self, uint64_t leader, uint64_t epoch, bool first_hand, int64_t now);
void zc_cl_lost (zc_client_t *self, zc_cl_server_t *server, const char *why, int64_t now);
void zc_cl_hello_all (zc_client_t *self, int64_t now, bool force);
void zc_cl_rewind (zc_client_t *self, int64_t now);
void zc_cl_pump (zc_client_t *self, int64_t now);
void zc_cl_fetch_done (zc_client_t *self, zc_cl_server_t *server, size_t entries, size_t bytes);
void zc_cl_timers (zc_client_t *self, int64_t now);
long zc_cl_next_wake (zc_client_t *self, int64_t now);

//  client_recv.c
void zc_cl_recv_dealer (zc_client_t *self, zc_cl_server_t *server);
void zc_cl_recv_sub (zc_client_t *self);
void zc_cl_recv_monitor (zc_client_t *self, zsock_t *monitor, zc_cl_server_t *server);

#endif
