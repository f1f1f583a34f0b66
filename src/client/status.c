/*  status.c — see status.h */
#include "json.h"
#include "status.h"

#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#include "client_keys.h"
#include "client_monitor.h"
#include "servers.h"
#include "wire.h"

//  One DEALER per server; without ZMQ_IMMEDIATE, so that the request
//  waits in the queue until the connection is up, within the deadline
zsock_t *
zc_status_dealer (const zc_server_addr_t *addr, const zc_client_keys_t *keys)
{
    char endpoint [ZC_MAX_HOST + 32];
    if (zc_servers_endpoint (addr, addr->port, endpoint, sizeof (endpoint)))
        return NULL;
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock)
        return NULL;
    zsock_set_linger (sock, 0);
    zsock_set_maxmsgsize (sock, ZC_MAX_FRAME);
    if (addr->host [0] == '[')
        zsock_set_ipv6 (sock, 1);
    if (keys)
        zc_client_keys_apply (keys, sock);
    if (zsock_connect (sock, "%s", endpoint)) {
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

void
zc_status_row_from_msg (zc_status_row_t *row, const zc_msg_t *msg)
{
    row->reachable = true;
    row->id = (uint32_t) msg->node;
    zc_str_copy (row->role, sizeof (row->role), msg->role);
    row->leader = (uint32_t) msg->leader;
    row->epoch = msg->epoch;
    row->lamport = msg->lamport;
    row->messages = msg->messages;
    row->last_seq = msg->has & ZF_LAST_SEQ? msg->last_seq: 0;
    row->commit = msg->has & ZF_COMMIT? msg->commit: 0;
    row->log_epoch = msg->has & ZF_LOG_EPOCH? msg->log_epoch: 0;
    row->dropped = msg->has & ZF_DROPPED? msg->dropped: 0;
    row->refused = msg->has & ZF_REFUSED? msg->refused: 0;
    row->slowed = msg->has & ZF_SLOWED? msg->slowed: 0;
    row->denied = msg->has & ZF_DENIED? msg->denied: 0;
    row->forged = msg->has & ZF_FORGED? msg->forged: 0;
    //  Ids and commas only: what the JSON writes as a list of numbers
    row->members [0] = 0;
    if (msg->has & ZF_MEMBERS) {
        zc_str_copy (row->members, sizeof (row->members), msg->members);
        for (char *c = row->members; *c; c++)
            if (!((*c >= '0' && *c <= '9') || *c == ',')) {
                row->members [0] = 0;
                break;
            }
    }
}

//  Reads one reply; true if it was a valid STATUS_REPLY
static bool
s_read_reply (zsock_t *sock, zc_status_row_t *row)
{
    zmsg_t *reply = zmsg_recv (sock);
    if (!reply)
        return false;
    bool ok = false;
    zframe_t *frame = zmsg_first (reply);
    zc_msg_t msg;
    if (zmsg_size (reply) == 1
    &&  zc_msg_decode (&msg, zframe_data (frame), zframe_size (frame), NULL) == 0
    &&  msg.type == ZC_STATUS_REPLY) {
        zc_status_row_from_msg (row, &msg);
        ok = true;
    }
    zmsg_destroy (&reply);
    return ok;
}

int
zc_client_status (const char *servers, int timeout_ms,
                  zc_status_row_t *rows, size_t cap, char *err, size_t errlen)
{
    return zc_client_status_keys (servers, NULL, timeout_ms, rows, cap, err, errlen);
}

//  Notes why the handshake failed (client_monitor.h).  True when the
//  cause is certain (plaintext against CURVE, a key refused): the wait for
//  that node ends.  A connection dropped without detail may be followed by
//  the precise event, which then replaces it
static bool
s_read_monitor (zsock_t *monitor, const zc_client_keys_t *keys, zc_status_row_t *row,
                int *kind_p)
{
    uint32_t event, value;
    char endpoint [300];
    while (zc_monitor_read (monitor, &event, &value, endpoint, sizeof (endpoint)) == 0) {
        char why [sizeof (row->handshake)];
        int kind = zc_handshake_explain (event, value, keys != NULL,
                                         keys && zc_client_keys_ephemeral (keys),
                                         why, sizeof (why));
        bool certain = kind == ZC_HS_MISMATCH || kind == ZC_HS_AUTH;
        bool known = *kind_p == ZC_HS_MISMATCH || *kind_p == ZC_HS_AUTH;
        if (kind && (!*kind_p || (certain && !known))) {
            snprintf (row->handshake, sizeof (row->handshake), "%s", why);
            *kind_p = kind;
        }
    }
    return *kind_p == ZC_HS_MISMATCH || *kind_p == ZC_HS_AUTH;
}

int
zc_client_status_keys (const char *servers, const char *keys_dir, int timeout_ms,
                       zc_status_row_t *rows, size_t cap, char *err, size_t errlen)
{
    zc_server_addr_t addrs [ZC_MAX_SERVERS];
    int count = zc_servers_parse (servers, addrs, ZC_MAX_SERVERS, err, errlen);
    if (count < 0)
        return -1;
    if ((size_t) count > cap)
        count = (int) cap;
    zc_client_keys_t *keys = NULL;
    if (keys_dir && !(keys = zc_client_keys_load (keys_dir, err, errlen)))
        return -1;

    zsock_t *socks [ZC_MAX_SERVERS] = { NULL };
    zsock_t *monitors [ZC_MAX_SERVERS] = { NULL };
    int kinds [ZC_MAX_SERVERS] = { 0 };
    zmq_pollitem_t items [ZC_MAX_SERVERS];
    uint8_t request [64];
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_STATUS);
    size_t size = zc_msg_encode (&msg, request, sizeof (request));
    assert (size);

    int waiting = 0;
    for (int i = 0; i < count; i++) {
        memset (&rows [i], 0, sizeof (rows [i]));
        snprintf (rows [i].server, sizeof (rows [i].server), "%.*s:%u",
                  ZC_MAX_HOST, addrs [i].host, (unsigned) addrs [i].port);
        strcpy (rows [i].role, "unreachable");
        socks [i] = zc_status_dealer (&addrs [i], keys);
        if (socks [i])
            monitors [i] = zc_monitor_new (socks [i]);
        items [i] = (zmq_pollitem_t) { socks [i]? zsock_resolve (socks [i]): NULL, -1, 0, 0 };
        if (socks [i] && zmq_send (zsock_resolve (socks [i]), request, size, ZMQ_DONTWAIT) == (int) size) {
            items [i].events = ZMQ_POLLIN;
            waiting++;
        }
    }
    int64_t deadline = zclock_mono () + (timeout_ms > 0? timeout_ms: 0);
    while (waiting > 0) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        //  Sockets that could not be created are left out of the poll;
        //  each one waited for also has its monitor polled
        zmq_pollitem_t live [2 * ZC_MAX_SERVERS];
        int index [ZC_MAX_SERVERS], n = 0;
        for (int i = 0; i < count; i++)
            if (items [i].events)
                index [n++] = i;
        for (int k = 0; k < n; k++) {
            live [k] = items [index [k]];
            zsock_t *monitor = monitors [index [k]];
            live [n + k] = (zmq_pollitem_t) { monitor? zsock_resolve (monitor): NULL, -1,
                                              (short) (monitor? ZMQ_POLLIN: 0), 0 };
        }
        if (zmq_poll (live, 2 * n, (long) left) < 0)
            break;                  //  interrupted: report what we have
        for (int k = 0; k < n; k++) {
            int i = index [k];
            if ((live [k].revents & ZMQ_POLLIN) && s_read_reply (socks [i], &rows [i])) {
                items [i].events = 0;
                waiting--;
            }
            else
            if ((live [n + k].revents & ZMQ_POLLIN)
            &&  s_read_monitor (monitors [i], keys, &rows [i], &kinds [i])) {
                items [i].events = 0;
                waiting--;
            }
        }
    }
    for (int i = 0; i < count; i++) {
        zsock_destroy (&socks [i]);
        zsock_destroy (&monitors [i]);
    }
    zc_client_keys_destroy (&keys);
    return count;
}

int
zc_status_print_json (FILE *out, const zc_status_row_t *rows, size_t count)
{
    fputs ("{\"nodes\":[", out);
    for (size_t i = 0; i < count; i++) {
        const zc_status_row_t *r = &rows [i];
        fputs (i? ",{\"server\":": "{\"server\":", out);
        zc_json_str (out, r->server);
        //  Every key on every row, so that checkers need no special case
        fprintf (out, ",\"id\":%u,\"reachable\":%s,\"role\":", r->id,
                 r->reachable? "true": "false");
        zc_json_str (out, r->role);
        fprintf (out, ",\"leader\":%u,\"epoch\":%" PRIu64 ",\"lamport\":%" PRIu64
                 ",\"messages\":%" PRIu64 ",\"last_seq\":%" PRIu64 ",\"commit\":%" PRIu64
                 ",\"log_epoch\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"refused\":%" PRIu64
                 ",\"slowed\":%" PRIu64 ",\"denied\":%" PRIu64 ",\"forged\":%" PRIu64
                 ",\"handshake\":",
                 r->leader, r->epoch, r->lamport, r->messages, r->last_seq,
                 r->commit, r->log_epoch, r->dropped, r->refused, r->slowed,
                 r->denied, r->forged);
        zc_json_str (out, r->handshake);
        fprintf (out, ",\"members\":[%s]", r->members);
        fputc ('}', out);
    }
    fputs ("]}\n", out);
    return fflush (out) || ferror (out)? -1: 0;
}

int
zc_status_print_table (FILE *out, const zc_status_row_t *rows, size_t count)
{
    fprintf (out, "%-24s %6s %-11s %6s %6s %9s %8s %9s %9s %9s %7s %7s %7s %7s %7s %s\n",
             "server", "id", "role", "leader", "epoch", "log_epoch", "lamport", "messages",
             "last_seq", "commit", "dropped", "refused", "slowed", "denied", "forged",
             "members");
    for (size_t i = 0; i < count; i++) {
        const zc_status_row_t *r = &rows [i];
        if (!r->reachable) {
            fprintf (out, "%-24s %6s %-11s", r->server, "-", "unreachable");
            if (r->handshake [0])
                fprintf (out, " (%s)", r->handshake);
            fputc ('\n', out);
            continue;
        }
        fprintf (out, "%-24s %6u %-11s %6u %6" PRIu64 " %9" PRIu64 " %8" PRIu64 " %9" PRIu64
                 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64
                 " %7" PRIu64 " %s\n", r->server, r->id, r->role, r->leader,
                 r->epoch, r->log_epoch, r->lamport, r->messages, r->last_seq, r->commit,
                 r->dropped, r->refused, r->slowed, r->denied, r->forged,
                 r->members [0] ? r->members : "-");
    }
    return fflush (out) || ferror (out)? -1: 0;
}
