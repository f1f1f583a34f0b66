/*  relay.h — chat-relay: one XPUB for many listeners, fed from the cluster
    (or from other relays) with only the rooms those listeners hold.

    docs/PROTOCOL.md "Relays".  Listeners connect a SUB to the relay's
    XPUB exactly as to a node's PUB and get the same two-frame contract
    (§3): [room][chat map ...], each message of the room once, in rseq
    order, and the nodes' beacons (["$beacon"][beacon], passed on as they
    came, for a listener that follows the leader itself).

    Upstream, two modes:
    - cluster (--servers): per room held by a listener, one zchat client
      (client.h: it follows the leader by its beacons, drops repeats by
      rseq across leader changes and repairs gaps by FETCH from the
      leader); what it delivers is republished (relay_batch.h).  One more
      SUB, to every node's PUB, takes the beacons while a listener holds
      them.
    - chained (--upstream-relay): one SUB to one or more other relays,
      subscribed to what the listeners hold (any topic, passed on); each
      room's maps are filtered by rseq (relay_chain.h), beacons passed on.
      No FETCH, no beacons followed: a chained relay is as exact as its
      upstream relays.
    Subscriptions come from the XPUB (ZMQ_XPUB_VERBOSE) through
    relay_subs.h: upstream subscribe on the first listener of a topic,
    unsubscribe when the last is gone.  Bad frames are counted drops.
*/
#ifndef ZC_RELAY_H
#define ZC_RELAY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *servers;            //  cluster mode: "host:port,..." (client ports)
    const char *upstream;           //  chained mode: "tcp://host:port,..." (relays)
    const char *bind;               //  the listeners' XPUB: "tcp://addr:port[,...]"
    const char *keys_dir;           //  upstream CURVE, as chat-client --keys; NULL = off
    const char *serve_keys;         //  listeners' CURVE: DIR/server.cert + _secret; NULL = off
    bool clients_any;               //  with serve_keys: any client key (else only the
                                    //  certificates in DIR/clients/, as a node's --clients)
    size_t max_rooms;               //  rooms served at once (0 = 64)
    int pub_hwm;                    //  XPUB send HWM in frames (0 = 10000)
    uint32_t retry_ms;              //  the room clients' retry (0 = their default)
    int64_t stats_ms;               //  a stats line on stderr this often (0 = at exit only)
    int verbose;
    volatile sig_atomic_t *stop;    //  set by the caller's SIGINT/SIGTERM handler
} zc_relay_config_t;

typedef struct {
    size_t topics;                  //  distinct topics the listeners hold
    size_t rooms;                   //  rooms subscribed upstream
    uint64_t maps;                  //  chat maps republished
    uint64_t frames;                //  publications sent (a batch is one)
    uint64_t beacons;               //  beacons passed on
    uint64_t repeats;               //  chained: maps dropped by rseq
    uint64_t gaps;                  //  chained: rseq jumps passed on
    uint64_t dropped;               //  bad frames (subscriptions, upstream), refused rooms
} zc_relay_stats_t;

typedef struct _zc_relay_t zc_relay_t;

//  Check the configuration, bind the XPUB, open the upstream SUB.  NULL
//  with a one-line message in err on a bad configuration or a failed bind.
zc_relay_t *zc_relay_new (const zc_relay_config_t *cfg, char *err, size_t errlen);

//  Destroy.  Safe on NULL.
void zc_relay_destroy (zc_relay_t **self_p);

//  Serve until *cfg.stop is set.  Returns 0, or -1 if polling failed.
int zc_relay_run (zc_relay_t *self);

//  The counters now.
zc_relay_stats_t zc_relay_stats (zc_relay_t *self);

//  Write the stats line ("chat-relay: stats ...", the rooms served named)
//  to stderr.
void zc_relay_print_stats (zc_relay_t *self);

#endif
