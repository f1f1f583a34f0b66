/*  zap.h — the ZAP handler: a node's answer to ZeroMQ's ZAP requests
    (RFC 27) for the domains "peer" and "client" (docs/PROTOCOL.md §8).

    One zactor, bound to inproc://zeromq.zap.01 in czmq's context, asks
    zc_security_decide (security.h) about every CURVE handshake, counts
    the refusals and logs them (rate limited, ratelog.h) with the
    address they came from.  Once started it owns the security object's
    key stores; zc_security_destroy stops it.
*/
#ifndef ZC_ZAP_H
#define ZC_ZAP_H

#include "security.h"

//  Start the ZAP handler.  Must run before any CURVE socket binds:
//  without a handler libzmq lets every CURVE client in.  0 or -1 with err.
int
    zc_security_start (zc_security_t *self, char *err, size_t errlen);

//  Handshakes refused by the ZAP handler so far (any thread).
uint64_t
    zc_security_denied (zc_security_t *self);

#endif
