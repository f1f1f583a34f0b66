/*  config.h — chat-node's command line, parsed and validated.

    Every value the node's timing and safety depend on is checked here, once,
    so that the rest of the node can trust it.  A node with --port P uses
    four ports (docs/DESIGN.md §2):

        P        ROUTER  client requests
        P+1000   PUB     chat messages and beacons
        P+2000   ROUTER  peer traffic (election, replication)
        P+3000   REP     heartbeats from backups

    so P must be 1..62535, and no two nodes on the same host may have
    overlapping port sets.
*/
#ifndef ZC_CONFIG_H
#define ZC_CONFIG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define ZC_MAX_PEERS      32
#define ZC_MAX_NODE_ID    1000000
#define ZC_MAX_BASE_PORT  62535     //  P+3000 must stay <= 65535
#define ZC_PORT_PUB       1000      //  offsets from the base port P
#define ZC_PORT_PEER      2000
#define ZC_PORT_HEARTBEAT 3000

//  Values match zc_fsync_t in segstore.h.
#define ZC_CONFIG_FSYNC_BATCH  0
#define ZC_CONFIG_FSYNC_ALWAYS 1
#define ZC_CONFIG_FSYNC_NEVER  2

//  Values match zc_initial_t in core.h (0: neither flag given).
#define ZC_CONFIG_INITIAL_AUTO     0
#define ZC_CONFIG_INITIAL_NEW      1
#define ZC_CONFIG_INITIAL_EXISTING 2

typedef struct {
    uint32_t id;
    char host[256];                 //  as given: "localhost", "10.0.0.2", "[::1]"
    uint16_t port;                  //  the peer's base (client) port
} zc_peer_addr_t;

typedef struct {
    uint32_t id;                    //  --id, required, 1..1000000
    uint16_t port;                  //  --port, base port P (default 50051)
    char bind_host[256];            //  --bind (default 127.0.0.1; "*" with --keys)
    zc_peer_addr_t peers[ZC_MAX_PEERS];
    size_t peer_count;              //  --peers "ID:HOST:PORT,..."
    uint32_t heartbeat_ms;          //  --heartbeat-ms (default 100)
    uint32_t misses;                //  --misses (default 3)
    uint32_t election_ms;           //  --election-timeout-ms (default 2*heartbeat)
    uint32_t lease_ms;              //  --lease-ms (default heartbeat*misses)
    uint32_t holddown_ms;           //  --holddown-ms (default 2000)
    bool quorum_given;              //  --quorum was given (else: a majority of
                                    //  the configuration in force)
    uint32_t quorum;                //  --quorum (default members/2+1); below a
                                    //  majority trades safety for availability:
                                    //  both sides of a partition could lead
    int fsync;                      //  --fsync batch|always|never (ZC_CONFIG_FSYNC_*)
    int initial;                    //  --initial-cluster-state (ZC_CONFIG_INITIAL_*)
    uint32_t retain_mb;             //  --retain-mb (0: keep all)
    uint32_t retain_hours;          //  --retain-hours (0: keep all)
    uint32_t client_ttl;            //  --client-ttl secs (default 604800; 0: never)
    uint32_t max_client_ids;        //  --max-client-ids (default 1000000; 0: no cap)
    char data_dir[1024];            //  --data-dir (default "zchat-data/node-<id>")
    int verbose;                    //  -v / --verbose, repeatable
    int trace;                      //  --trace: a line per election message
                                    //  (docs/ELECTION.md "Watching an election")

    //  Security (docs/PROTOCOL.md §8).  Without --keys a node binds
    //  127.0.0.1 unless --bind is given, and then warns once that its ports
    //  are open to anyone who can reach them.
    char keys_dir[1024];            //  --keys DIR: CURVE on every socket ("": off)
    int clients;                    //  --clients keys|any (ZC_CLIENTS_*; needs --keys)
    int bind_given;                 //  --bind was on the command line

    //  Limits: each a flag, each refusal or drop counted in STATUS.
    uint32_t max_text;              //  --max-text BYTES, 1..16384 (default 16384)
    uint32_t max_frame;             //  --max-frame BYTES: largest frame a client
                                    //  may send, 1024..65536 (default 20480)
    uint32_t max_rooms;             //  --max-rooms N: rooms one client id may
                                    //  post to (default 64)
    uint32_t max_clients;           //  --max-clients N: client connections
                                    //  served at once (default 10000)
    uint32_t rate;                  //  --rate N: POSTs per second per client,
                                    //  burst 2*N; 0 = unlimited (default 500)
    uint32_t pub_hwm;               //  --pub-hwm N: frames queued per subscriber
                                    //  (default 1000; a frame is <= 64 KiB)
    uint32_t reply_hwm;             //  --reply-hwm N: replies queued per client
                                    //  (default 256; a reply is <= 256 KiB)
    uint64_t max_epoch_jump;        //  --max-epoch-jump N: an epoch further above
                                    //  ours than this is refused unless a quorum
                                    //  of members reports it (default 1000)
    struct {                        //  --metrics ADDR:PORT: Prometheus text over
        char host [64];             //  HTTP (docs/METRICS.md); an IP literal,
        uint16_t port;              //  "[v6]", "*" or "localhost"; port 0: off
    } metrics;
} zc_config_t;

#define ZC_CLIENTS_KEYS 0           //  only certificates in KEYS/clients/
#define ZC_CLIENTS_ANY  1           //  any client key, encrypted

//  Parse argv into cfg, defaults first.  Returns 0 on success, 1 when
//  --help was given (print zc_config_usage () and exit 0), or -1 with a
//  one-line message naming the offending flag in err (no newline).
//  Uses getopt_long, so it is not thread-safe; it may be called again.
int zc_config_parse (zc_config_t *cfg, int argc, char **argv, char *err, size_t errlen);

//  Usage text for chat-node --help: every flag and its default.
const char *zc_config_usage (void);

//  Cluster size: the peers plus this node.
size_t zc_config_members (const zc_config_t *cfg);

//  How many members (self included) make a majority for this cluster.
uint32_t zc_config_quorum (const zc_config_t *cfg);

//  FNV-1a 64 of the sorted (id, port) of every member plus the quorum;
//  never 0.  Host names are not hashed, so nodes that name one machine
//  differently ("localhost" / "127.0.0.1") still agree.  Peers exchange it
//  and refuse to talk on a mismatch (docs/PROTOCOL.md §5.1).
uint64_t zc_config_membership_hash (const zc_config_t *cfg);

//  The peer with this id, or NULL if it is not a peer.
const zc_peer_addr_t *zc_config_peer (const zc_config_t *cfg, uint32_t id);

#endif
