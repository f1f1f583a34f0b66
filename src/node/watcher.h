/*  watcher.h — handshake watching, with or without keys (docs/PROTOCOL.md §8).

    A failed handshake is one log line (rate limited, ratelog.h) on the
    side that sees it, never a silent hang.  One watcher thread
    (zc_watcher_new) serves every socket of a node, through libzmq
    socket monitors; a closed socket leaves by itself.  A socket that
    has its own zmonitor (the heartbeat REQ: libzmq allows one monitor
    per socket) passes its events to zc_security_explain instead.
*/
#ifndef ZC_WATCHER_H
#define ZC_WATCHER_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define ZC_WATCH_CURVE   1          //  the socket speaks CURVE
#define ZC_WATCH_CONNECT 2          //  it connects (else it is bound)

//  The watcher thread; zactor_destroy ends it.
zactor_t *
    zc_watcher_new (void);

//  Watch sock, named label ("node 1: peer 3 (tcp://...)", "node 1:
//  client port 50051"); server_key names the key a connecting CURVE
//  socket expects ("nodes/3.cert"), else NULL.  A NULL watcher: nothing.
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
//  mechanism mismatch).  Needs no security object: it runs without keys.
const char *
    zc_security_explain (int flags, const char *label, const char *server_key,
                         const char *event, int value, char *line, size_t cap);

#endif
