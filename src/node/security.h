/*  security.h — CURVE on every node socket, keys bound to node IDs.

    docs/PROTOCOL.md §8.  A node run with --keys DIR loads (czmq zcert files):

        DIR/node.cert (+ _secret)    this node's key, metadata node = our --id
        DIR/server.cert (+ _secret)  the cluster's client-facing key
        DIR/nodes/<ID>.cert          every member's public key, metadata node = ID
        DIR/clients/<NAME>.cert      allowed clients, metadata name = NAME

    and answers ZeroMQ's ZAP requests for two domains in its own thread
    (zap.h; zc_security_decide is the decision):

        "peer"    (P+2000, P+3000)  keys in nodes/ only     User-Id "node:ID"
        "client"  (P, P+1000)       keys in clients/        User-Id "client:NAME"
                                    or, --clients any, any  User-Id "key:<Z85>"

    Every peer message is then checked against its User-Id: a node's key
    speaks only for that node's ID (zc_security_speaks_for).

    The object is made in the main thread; after zc_security_start (zap.h)
    the ZAP thread owns the key stores and the main thread reads only what
    zc_security_load copied out (our certs, the members' public keys).

    Beside it: watcher.h logs failed handshakes (with or without keys),
    ratelog.h bounds those lines and the others a flood could cause.
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

//  Make sock a CURVE server before it binds: node.cert and domain "peer",
//  or server.cert and domain "client".
void
    zc_security_server (zc_security_t *self, zsock_t *sock, bool peer);

//  Make sock a CURVE client of peer's node key before it connects
//  (our node.cert, server key nodes/<peer>.cert).  -1 if peer has no key.
int
    zc_security_client (zc_security_t *self, zsock_t *sock, uint32_t peer);

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

//  Main thread: zc_ratelog_warn (ratelog.h) through the security
//  object's own zc_ratelog_t (the forged-message lines).
void
    zc_security_note (zc_security_t *self, const char *key, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
