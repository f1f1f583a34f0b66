/*  zap.c — the ZAP handler thread (zap.h, docs/PROTOCOL.md §8).

    Why not czmq's zauth: zauth applies one policy (one certificate store)
    to every ZAP domain, and a node needs two: its peer and heartbeat
    ports accept only the members' node keys, its client and PUB ports
    only client keys (or any key).  A node key must never pass as a
    client, nor a client key as a member.  So we answer ZAP ourselves,
    in our own zactor, as zauth does, on inproc://zeromq.zap.01; the
    decision itself is zc_security_decide (security.c).
*/
#include "zap.h"
#include "security_impl.h"
#include "oom.h"

#include <errno.h>

#define ZC_ZAP_ENDPOINT "inproc://zeromq.zap.01"

//  One ZAP request (RFC 27): version, request id, domain, address,
//  identity, mechanism, credentials.  The reply: version, request id,
//  status code, status text, user id, metadata.
static void
s_zap_request (zc_security_t *self, zsock_t *handler, zc_ratelog_t *ratelog)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credential = zmsg_pop (request);

    char user_id [ZC_UID_MAX + 8] = "";
    int rc = -1;
    if (!version || !streq (version, "1.0") || !mechanism)
        snprintf (user_id, sizeof user_id, "malformed ZAP request");
    else
    if (!streq (mechanism, "CURVE") || !credential || zframe_size (credential) != 32)
        snprintf (user_id, sizeof user_id, "not CURVE");
    else
        rc = zc_security_decide (self, domain ? domain : "", zframe_data (credential),
                                 user_id, sizeof user_id);
    if (rc) {
        atomic_fetch_add (&self->denied, 1);
        char key [41] = "-";
        if (credential && zframe_size (credential) == 32)
            zmq_z85_encode (key, zframe_data (credential), 32);
        uint64_t suppressed;
        char ratekey [96];
        snprintf (ratekey, sizeof ratekey, "%s", address ? address : "");
        if (zc_ratelog_allow (ratelog, ratekey, (uint64_t) zclock_mono (), &suppressed)) {
            bool peer = domain && streq (domain, ZC_ZAP_PEER);
            zsys_warning ("node %u: refused a handshake from %s on a %s port (ZAP domain "
                          "\"%s\"): key %s is %s%s%.0llu%s", self->self_id,
                          address ? address : "?", peer ? "peer/heartbeat" : "client/pub",
                          domain ? domain : "", key, user_id,
                          suppressed ? " (and " : "", (unsigned long long) suppressed,
                          suppressed ? " more refusals not logged)" : "");
        }
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence ? sequence : "");
    zmsg_addstr (reply, rc ? "400" : "200");
    zmsg_addstr (reply, rc ? user_id : "OK");
    zmsg_addstr (reply, rc ? "" : user_id);
    zmsg_addmem (reply, NULL, 0);
    zmsg_send (&reply, handler);

    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&identity);
    zframe_destroy (&credential);
    zmsg_destroy (&request);
}

static void
s_zap_actor (zsock_t *pipe, void *arg)
{
    zc_security_t *self = arg;
    zsock_t *handler = self->zap_handler;
    zsock_signal (pipe, 0);
    zc_ratelog_t *ratelog = ZC_ALLOC (calloc (1, sizeof *ratelog));
    //  Only $TERM (or the context's end) stops the handler: once it is
    //  gone libzmq lets every CURVE client in, so a signal that breaks
    //  the poll (zpoller would call that "terminated") must not.
    zmq_pollitem_t items [] = {
        { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (handler), 0, ZMQ_POLLIN, 0 }
    };
    bool running = true;
    while (running) {
        if (zmq_poll (items, 2, -1) < 0) {
            if (zmq_errno () == ETERM)
                break;
            continue;
        }
        if (items [1].revents & ZMQ_POLLIN)
            s_zap_request (self, handler, ratelog);
        if (items [0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv (pipe);
            if (command ? streq (command, "$TERM") : zmq_errno () == ETERM)
                running = false;
            zstr_free (&command);
        }
    }
    //  Unbound now, not when libzmq's reaper gets to the socket: a node
    //  started next in this process (the tests) binds the endpoint again
    zsock_unbind (handler, "%s", ZC_ZAP_ENDPOINT);
    zsock_destroy (&handler);
    free (ratelog);
}

int
zc_security_start (zc_security_t *self, char *err, size_t errlen)
{
    assert (!self->zap);
    //  Bound here, so that a failure is ours to report; the actor takes
    //  the socket over (zactor_new is the memory barrier libzmq wants).
    self->zap_handler = zsock_new (ZMQ_REP);
    if (!self->zap_handler || zsock_bind (self->zap_handler, ZC_ZAP_ENDPOINT)) {
        snprintf (err, errlen, "cannot start the ZAP handler on %s: %s", ZC_ZAP_ENDPOINT,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->zap_handler);
        return -1;
    }
    self->zap = zactor_new (s_zap_actor, self);
    if (!self->zap) {
        zsock_destroy (&self->zap_handler);
        snprintf (err, errlen, "cannot start the ZAP handler's thread");
        return -1;
    }
    return 0;
}

uint64_t
zc_security_denied (zc_security_t *self)
{
    return atomic_load (&self->denied);
}
