/*  client_monitor.h — handshake failures of the client's sockets, shown.

    A CURVE handshake that fails is a known ZeroMQ trap: the socket just
    retries, and the application sees a silent hang.  libzmq reports the
    failure to a socket monitor (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
    _PROTOCOL, _AUTH), and zc_handshake_explain turns the event into the
    likely cause in the user's terms: plaintext against CURVE (either
    way), a key the node does not allow, a server key that is not the
    cluster's.

    The monitor is libzmq's own (zmq_socket_monitor) with the PAIR read in
    the client's poll loop, not czmq's zmonitor: zmonitor is an actor, a
    thread per socket, and a client has one socket per server plus the SUB
    (the load generator runs hundreds of clients in one process).
*/
#ifndef ZC_CLIENT_MONITOR_H
#define ZC_CLIENT_MONITOR_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  What went wrong, one bit each (so that a caller can tell each once)
#define ZC_HS_MISMATCH  1           //  plaintext on one side, CURVE on the other
#define ZC_HS_AUTH      2           //  the node's ZAP handler refused our key
#define ZC_HS_KEY       4           //  the CURVE exchange failed: wrong server key
#define ZC_HS_OTHER     8           //  anything else

//  Monitor sock's handshake failures.  Returns the PAIR to poll and read
//  (destroy it after sock), or NULL if the monitor cannot be set up.
zsock_t *zc_monitor_new (void *sock);

//  Read one event without waiting.  Returns 0 with the event, its value
//  and the endpoint it names, or -1 when none is waiting.
int zc_monitor_read (zsock_t *pipe, uint32_t *event, uint32_t *value,
                     char *endpoint, size_t cap);

//  The kind of an event (0 if it is no handshake failure) and, in why,
//  its likely cause.  curve: we speak CURVE; ephemeral: with a key of our
//  own making, not a certificate.  Pure.
int zc_handshake_explain (uint32_t event, uint32_t value, bool curve, bool ephemeral,
                          char *why, size_t cap);

#endif
