/*  admin.c — see admin.h */
#include "admin.h"

#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#include "client_keys.h"
#include "servers.h"
#include "status.h"

static bool
s_is (zc_str_t str, const char *text)
{
    return str.len == strlen (text) && memcmp (str.ptr, text, str.len) == 0;
}

static bool
s_has (zc_str_t str, const char *text)
{
    size_t len = strlen (text);
    for (size_t i = 0; i + len <= str.len; i++)
        if (memcmp (str.ptr + i, text, len) == 0)
            return true;
    return false;
}

zc_admin_verdict_t
zc_admin_verdict (const zc_msg_t *reply, bool busy_seen)
{
    if (reply->type == ZC_ACK)
        return ZC_ADMIN_DONE;
    if (reply->type != ZC_ERROR)
        return ZC_ADMIN_WAIT;
    if (s_is (reply->code, ZC_ERR_BUSY) || s_is (reply->code, ZC_ERR_NOT_LEADER)
    ||  s_is (reply->code, ZC_ERR_NO_QUORUM) || s_is (reply->code, ZC_ERR_SLOW_DOWN))
        return ZC_ADMIN_WAIT;
    if (busy_seen && (s_has (reply->reason, "already a member")
                  ||  s_has (reply->reason, "not a member")))
        return ZC_ADMIN_DONE;
    return ZC_ADMIN_REFUSED;
}

int
zc_admin_request (const char *verb, const char *arg, char *out, size_t cap,
                  char *err, size_t errlen)
{
    if (!verb || !arg || !*arg) {
        snprintf (err, errlen, "want: admin add ID:HOST:PORT, or admin remove ID");
        return -1;
    }
    if (strcmp (verb, "add") == 0) {
        //  ID:HOST:PORT (the node checks it whole)
        const char *colon = strchr (arg, ':');
        if (!colon || colon == arg || !strrchr (colon + 1, ':')) {
            snprintf (err, errlen, "admin add: '%s' is not ID:HOST:PORT", arg);
            return -1;
        }
    }
    else
    if (strcmp (verb, "remove") == 0) {
        for (const char *c = arg; *c; c++)
            if (*c < '0' || *c > '9') {
                snprintf (err, errlen, "admin remove: '%s' is not a node id", arg);
                return -1;
            }
    }
    else {
        snprintf (err, errlen, "admin: '%s' is neither add nor remove", verb);
        return -1;
    }
    if ((size_t) snprintf (out, cap, "%s %s", verb, arg) >= cap) {
        snprintf (err, errlen, "admin: the request is too long");
        return -1;
    }
    return 0;
}

int
zc_client_admin (const char *servers, const char *keys_dir, const char *request,
                 int timeout_ms, char *answer, size_t cap, char *err, size_t errlen)
{
    zc_server_addr_t addrs [ZC_MAX_SERVERS];
    int count = zc_servers_parse (servers, addrs, ZC_MAX_SERVERS, err, errlen);
    if (count < 0)
        return -1;
    zc_client_keys_t *keys = NULL;
    if (keys_dir && !(keys = zc_client_keys_load (keys_dir, err, errlen)))
        return -1;
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ADMIN);
    zc_msg_set_cstr (&msg, ZF_TEXT, request);
    uint8_t frame [1024];
    size_t size = zc_msg_encode (&msg, frame, sizeof frame);
    zsock_t *socks [ZC_MAX_SERVERS] = { NULL };
    for (int i = 0; i < count; i++)
        socks [i] = zc_status_dealer (&addrs [i], keys);
    snprintf (answer, cap, "no serving leader answered within %d ms", timeout_ms);
    int rc = 1;
    bool busy_seen = false, done = false;
    int64_t deadline = zclock_mono () + timeout_ms;
    int64_t next_send = 0;
    while (!done && zclock_mono () < deadline) {
        if (zclock_mono () >= next_send) {
            //  Every server; the same sockets each time, so that the ACK of
            //  a change still comes back to us after a resend
            for (int i = 0; i < count; i++)
                if (socks [i] && size)
                    zmq_send (zsock_resolve (socks [i]), frame, size, ZMQ_DONTWAIT);
            next_send = zclock_mono () + 200;
        }
        zmq_pollitem_t items [ZC_MAX_SERVERS];
        for (int i = 0; i < count; i++)
            items [i] = (zmq_pollitem_t) { socks [i] ? zsock_resolve (socks [i]) : NULL, -1,
                                           (short) (socks [i] ? ZMQ_POLLIN : 0), 0 };
        int64_t wait = next_send - zclock_mono ();
        if (zmq_poll (items, count, wait > 0 ? (long) wait : 0) < 0)
            break;
        for (int i = 0; i < count && !done; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            zframe_t *reply = zframe_recv (socks [i]);
            zc_msg_t got;
            if (!reply || zc_msg_decode (&got, zframe_data (reply), zframe_size (reply), NULL)) {
                zframe_destroy (&reply);
                continue;
            }
            //  Drain any frames that followed (none expected)
            while (zsock_rcvmore (socks [i])) {
                zframe_t *more = zframe_recv (socks [i]);
                zframe_destroy (&more);
            }
            switch (zc_admin_verdict (&got, busy_seen)) {
                case ZC_ADMIN_DONE:
                    if (got.type == ZC_ACK)
                        snprintf (answer, cap, "committed: %s (seq %" PRIu64 ", epoch %" PRIu64
                                  ", leader %" PRIu64 ")", request, got.seq, got.epoch, got.node);
                    else
                        snprintf (answer, cap, "committed: %s", request);
                    rc = 0;
                    done = true;
                    break;
                case ZC_ADMIN_REFUSED:
                    snprintf (answer, cap, "refused by node at %s:%u: %.*s", addrs [i].host,
                              (unsigned) addrs [i].port, (int) got.reason.len,
                              got.reason.ptr ? got.reason.ptr : "");
                    rc = 1;
                    done = true;
                    break;
                default:
                    if (got.type == ZC_ERROR && s_is (got.code, ZC_ERR_BUSY)) {
                        busy_seen = true;
                        snprintf (answer, cap, "still busy at the deadline: %.*s",
                                  (int) got.reason.len, got.reason.ptr ? got.reason.ptr : "");
                    }
                    break;
            }
            zframe_destroy (&reply);
        }
    }
    for (int i = 0; i < count; i++)
        zsock_destroy (&socks [i]);
    zc_client_keys_destroy (&keys);
    return rc;
}
