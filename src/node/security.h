/*  security.h — CURVE on every node socket, keys bound to node IDs.

    docs/PROTOCOL.md §8.  A node run with --keys DIR loads (czmq zcert files):

        DIR/node.cert (+ _secret)    this node's key, metadata node = our --id
        DIR/server.cert (+ _secret)  the cluster's client-facing key
        DIR/nodes/<ID>.cert          every member's public key, metadata node = ID
        DIR/clients/<NAME>.cert      allowed clients, metadata name = NAME

    and answers ZeroMQ's ZAP requests for two domains in its own thread:

        "peer"    (P+2000, P+3000)  keys in nodes/ only     User-Id "node:ID"
        "client"  (P, P+1000)       keys in clients/        User-Id "client:NAME"
                                    or, --clients any, any  User-Id "key:<Z85>"

    Every peer message is then checked against its User-Id: a node's key
    speaks only for that node's ID (zc_security_speaks_for).

    The object is made in the main thread; after zc_security_start the
    ZAP thread owns the key stores and the main thread reads only what
    zc_security_load copied out (our certs, the members' public keys).
*/
#ifndef ZC_SECURITY_H
#define ZC_SECURITY_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _zc_security_t zc_security_t;

#define ZC_ZAP_PEER   "peer"
#define ZC_ZAP_CLIENT "client"
#define ZC_UID_MAX    64            //  "key:" + 40 Z85 chars, "node:1000000", "client:NAME"
#define ZC_CLIENT_NAME_MAX 48       //  the longest client name a cert may carry

//  Load and check the --keys folder.  members: every member ID, self
//  included.  clients: ZC_CLIENTS_KEYS (clients/ required) or
//  ZC_CLIENTS_ANY (clients/ optional: names for the keys it holds).
//  NULL with one line in err (no newline) naming the file at fault.
zc_security_t *
    zc_security_load (const char *dir, uint32_t self_id, const uint32_t *members,
                      size_t member_count, int clients, char *err, size_t errlen);

void
    zc_security_destroy (zc_security_t **self_p);

//  The ZAP decision, without sockets: 0 and the User-Id in user_id, or -1
//  and why in user_id ("unknown key", "not a node key", "unknown domain").
//  public_key is 32 bytes (the CURVE credential of a ZAP request).
int
    zc_security_decide (zc_security_t *self, const char *domain,
                        const uint8_t *public_key, char *user_id, size_t cap);

//  Start the ZAP handler (a zactor bound to inproc://zeromq.zap.01 in
//  czmq's context).  Must run before any CURVE socket binds: without a
//  handler libzmq lets every CURVE client in.  0 or -1 with err.
int
    zc_security_start (zc_security_t *self, char *err, size_t errlen);

//  Handshakes refused by the ZAP handler so far (any thread).
uint64_t
    zc_security_denied (zc_security_t *self);

//  Make sock a CURVE server before it binds: node.cert and domain "peer",
//  or server.cert and domain "client".
void
    zc_security_server (zc_security_t *self, zsock_t *sock, bool peer);

//  Make sock a CURVE client of peer's node key before it connects
//  (our node.cert, server key nodes/<peer>.cert).  -1 if peer has no key.
int
    zc_security_client (zc_security_t *self, zsock_t *sock, uint32_t peer);

//  Handshake watching, with or without keys: a failed handshake is one
//  log line (rate limited) on the side that sees it, never a silent
//  hang.  One watcher thread (zc_watcher_new) serves every socket of a
//  node; a closed socket leaves by itself.  A socket that has its own
//  zmonitor (the heartbeat REQ: libzmq allows one monitor per socket)
//  passes its events to zc_security_explain instead.
#define ZC_WATCH_CURVE   1          //  the socket speaks CURVE
#define ZC_WATCH_CONNECT 2          //  it connects (else it is bound)

zactor_t *
    zc_watcher_new (void);

//  Watch sock, named label ("node 1: peer 3 (tcp://...)", "node 1:
//  client port 50051"); server_key names the key a connecting CURVE
//  socket expects ("nodes/3.cert"), else NULL.
void
    zc_watcher_add (zactor_t *watcher, zsock_t *sock, int flags, const char *label,
                    const char *server_key);

//  The events a watch listens to, by czmq zmonitor name.
#define ZC_HANDSHAKE_EVENTS "HANDSHAKE_FAILED_NO_DETAIL", "HANDSHAKE_FAILED_PROTOCOL", \
                            "HANDSHAKE_FAILED_AUTH"

//  The line for one handshake event ("HANDSHAKE_FAILED_AUTH", ...) of a
//  socket (flags, label, server_key as for zc_watcher_add); NULL if the
//  event needs none (a bound socket's AUTH failure: the ZAP handler
//  logged it, with the address; on a plaintext socket, anything but a
//  mechanism mismatch).
const char *
    zc_security_explain (int flags, const char *label, const char *server_key,
                         const char *event, int value, char *line, size_t cap);

//  Public key (Z85) of member peer, or NULL.
const char *
    zc_security_node_key (zc_security_t *self, uint32_t peer);

//  User-Id parsing: "node:ID" gives 0 and ID; anything else -1.
int
    zc_security_uid_node (const char *user_id, uint32_t *node);

//  May a message arriving with this User-Id speak for node?  Only
//  "node:<node>" may.
bool
    zc_security_speaks_for (const char *user_id, uint64_t node);

//  A bounded, rate-limited log: one line per key per ZC_RATELOG_MS, at
//  most ZC_RATELOG_BURST lines per ZC_RATELOG_MS in all, so a flood from
//  one address or from many cannot fill the disk.  The lines left out
//  are counted and reported with the next line written.
#define ZC_RATELOG_SLOTS 64
#define ZC_RATELOG_MS    10000
#define ZC_RATELOG_BURST 20

typedef struct {
    char key [96];
    uint64_t next;                  //  when this key may write its next line
    uint64_t suppressed;            //  lines for this key left out since
} zc_ratelog_slot_t;

typedef struct {
    zc_ratelog_slot_t slots [ZC_RATELOG_SLOTS];
    uint64_t window;                //  start of the current global window
    uint32_t lines;                 //  lines written in it
    uint64_t suppressed;            //  lines left out by the global cap
} zc_ratelog_t;

//  True if a line for key may be written at now (ms); then *suppressed
//  says how many were left out before it (this key's and the cap's).
bool
    zc_ratelog_allow (zc_ratelog_t *self, const char *key, uint64_t now,
                      uint64_t *suppressed);

//  A warning, if zc_ratelog_allow lets key write one now.
void
    zc_ratelog_warn (zc_ratelog_t *self, const char *key, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Main thread: zc_ratelog_warn through the security object's own
//  zc_ratelog_t (the forged-message lines).
void
    zc_security_note (zc_security_t *self, const char *key, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
