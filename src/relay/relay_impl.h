/*  relay_impl.h — the relay object, shared by relay.c (sockets, the
    loop, stats) and relay_recv.c (subscriptions, upstream frames, the
    rooms, publishing).  Not part of the API.
*/
#ifndef ZC_RELAY_IMPL_H
#define ZC_RELAY_IMPL_H

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>

#include "client.h"
#include "client_keys.h"
#include "relay.h"
#include "relay_batch.h"
#include "relay_chain.h"
#include "relay_subs.h"

#define ZC_RL_BATCH     256         //  frames read per socket per wake-up
#define ZC_RL_UP_HWM    100000      //  upstream SUB: as deep as a client's

//  A room served in cluster mode: its client and the publication in making
typedef struct {
    zc_client_t *client;
    size_t at;                      //  its first poll item, this round
    uint64_t maps;                  //  republished
    zc_relay_batch_t batch;
} zc_rl_room_t;

struct _zc_relay_t {
    zc_relay_config_t cfg;
    zsock_t *xpub;                  //  the listeners'
    zactor_t *auth;                 //  czmq's zauth: the listeners' client keys (or NULL)
    zsock_t *up;                    //  chained: the upstream relays; cluster: beacons
    zc_client_keys_t *keys;         //  upstream CURVE
    zc_relay_subs_t *subs;
    zc_relay_chain_t *chain;        //  chained mode only
    zc_rl_room_t **rooms;           //  cluster mode: cfg.max_rooms slots
    size_t nrooms;
    size_t beacon_topics;           //  held topics that ask for beacons
    zmq_pollitem_t *items;
    zc_relay_stats_t stats;
    int64_t stats_at;
    uint8_t out[ZC_MAX_FRAME];
};

//  relay_recv.c
void zc_rl_room_destroy (zc_rl_room_t **room_p);
//  What the room's client delivered goes out, a batch per wake-up
void zc_rl_room_drain (zc_relay_t *self, zc_rl_room_t *room);
//  The XPUB's subscription frames
void zc_rl_recv_subs (zc_relay_t *self);
//  The upstream SUB's publications (beacons; rooms when chained)
void zc_rl_recv_up (zc_relay_t *self);

#endif
