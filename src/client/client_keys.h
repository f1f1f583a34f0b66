/*  client_keys.h — the client's CURVE keys, from a --keys folder.

    The folder is what chat-keygen makes for a client (COMMON layout,
    README "Security"):
        DIR/server.cert                     the cluster's public server key
        DIR/client.cert + client.cert_secret our key pair (metadata name)
    server.cert is required.  Without client.cert the client makes an
    ephemeral key pair: the "any client, encrypted" mode of a node run
    with --clients any.  A client.cert without its secret is an error, not
    a silent switch to an ephemeral key: the node would refuse it, and the
    user would not know why.

    Every DEALER and the SUB of a client are CURVE clients with these
    keys.  libzmq copies a socket's options into each connection when it
    is made (zmq_connect), so zc_client_keys_apply must come before every
    connect, the SUB's included (it connects once per server).
*/
#ifndef ZC_CLIENT_KEYS_H
#define ZC_CLIENT_KEYS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct _zc_client_keys_t zc_client_keys_t;

//  Load the folder.  Returns NULL with a one-line message in err when
//  server.cert is missing or unreadable, client.cert comes without a
//  readable secret, a file is not a certificate, or libzmq has no CURVE.
zc_client_keys_t *zc_client_keys_load (const char *dir, char *err, size_t errlen);

//  Destroy.  Safe on NULL.
void zc_client_keys_destroy (zc_client_keys_t **self_p);

//  Make a socket (zsock_t * or a libzmq handle) a CURVE client of the
//  cluster: our key pair, and the server's public key.  Before connect.
void zc_client_keys_apply (const zc_client_keys_t *self, void *sock);

//  True when no client.cert was there and the key pair is ephemeral.
bool zc_client_keys_ephemeral (const zc_client_keys_t *self);

//  The name our certificate was made for ("" when ephemeral or unsaid).
const char *zc_client_keys_name (const zc_client_keys_t *self);

//  Our public key, Z85 (40 characters).
const char *zc_client_keys_public (const zc_client_keys_t *self);

#endif
