/*  watcher.c — handshake watching: libzmq socket monitors, one thread for
    every socket of a node, a rate-limited line per failed handshake
    (watcher.h, docs/PROTOCOL.md §8).
*/
#include "watcher.h"
#include "ratelog.h"
#include "oom.h"

#include <errno.h>
#include <stdatomic.h>

#define ZC_WATCH_MAX    128

typedef struct {
    zsock_t *pair;
    int flags;
    char label [320];
    char server_key [64];
} zc_watch_t;

static const char *
s_event_name (uint16_t event)
{
    switch (event) {
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "HANDSHAKE_FAILED_NO_DETAIL";
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:  return "HANDSHAKE_FAILED_PROTOCOL";
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:      return "HANDSHAKE_FAILED_AUTH";
        default:                                   return NULL;
    }
}

const char *
zc_security_explain (int flags, const char *label, const char *server_key,
                     const char *event, int value, char *line, size_t cap)
{
    bool connecting = flags & ZC_WATCH_CONNECT;
    unsigned code = (unsigned) value;
    if (!(flags & ZC_WATCH_CURVE)) {
        //  A plaintext socket: only a mechanism mismatch says something
        //  about keys; other failures are a network's ordinary trouble.
        if (!streq (event, "HANDSHAKE_FAILED_PROTOCOL")
        ||  code != ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            return NULL;
        snprintf (line, cap, connecting
                  ? "%s: handshake failed: it speaks CURVE, and this node has no --keys"
                  : "%s: a CURVE peer tried this plaintext port (this node has no --keys)",
                  label);
        return line;
    }
    if (!server_key || !*server_key)
        server_key = "the key we expect";
    if (streq (event, "HANDSHAKE_FAILED_AUTH")) {
        if (!connecting)
            return NULL;
        snprintf (line, cap, "%s: CURVE handshake refused: it does not trust our key "
                  "(is our node.cert in its nodes/?)", label);
    }
    else
    if (streq (event, "HANDSHAKE_FAILED_PROTOCOL")) {
        if (code == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            snprintf (line, cap, connecting
                      ? "%s: handshake failed: it does not speak CURVE (started without --keys?)"
                      : "%s: a plaintext peer tried a CURVE port (it has no keys)", label);
        else
        if (code == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC && !connecting)
            snprintf (line, cap, "%s: a CURVE peer used the wrong server key for this port",
                      label);
        else
            snprintf (line, cap, "%s: CURVE handshake failed: protocol error 0x%x", label, code);
    }
    else
    if (streq (event, "HANDSHAKE_FAILED_NO_DETAIL")) {
        //  A CURVE server that cannot open our HELLO (we used the wrong
        //  server key) just closes the connection: that is what we see.
        if (connecting)
            snprintf (line, cap, "%s: CURVE handshake failed: the server's key is not %s "
                      "(or it closed the connection: %s)", label, server_key,
                      strerror (value));
        else
            snprintf (line, cap, "%s: a peer broke off the CURVE handshake (%s)", label,
                      strerror (value));
    }
    else
        return NULL;
    return line;
}

static void
s_watch_event (zc_watch_t *watch, zc_ratelog_t *ratelog, bool *stopped)
{
    zmsg_t *msg = zmsg_recv (watch->pair);
    zframe_t *head = msg ? zmsg_first (msg) : NULL;
    if (head && zframe_size (head) == 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        const char *name = s_event_name (event);
        char line [600];
        char key [400];
        uint64_t suppressed;
        if (event == ZMQ_EVENT_MONITOR_STOPPED)
            *stopped = true;
        else
        if (name && zc_security_explain (watch->flags, watch->label, watch->server_key,
                                         name, (int) value, line, sizeof line)) {
            snprintf (key, sizeof key, "%s %u %u", watch->label, event,
                      event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? value : 0);
            if (zc_ratelog_allow (ratelog, key, (uint64_t) zclock_mono (), &suppressed)) {
                if (suppressed)
                    zsys_warning ("%s (and %llu more, not logged)", line,
                                  (unsigned long long) suppressed);
                else
                    zsys_warning ("%s", line);
            }
        }
    }
    zmsg_destroy (&msg);
}

static void
s_watcher_actor (zsock_t *pipe, void *arg)
{
    (void) arg;
    zc_watch_t *watches = ZC_ALLOC (calloc (ZC_WATCH_MAX, sizeof *watches));
    zc_ratelog_t *ratelog = ZC_ALLOC (calloc (1, sizeof *ratelog));
    zmq_pollitem_t *items = ZC_ALLOC (calloc (ZC_WATCH_MAX + 1, sizeof *items));
    size_t count = 0;
    zsock_signal (pipe, 0);
    bool running = true;
    while (running) {
        items [0] = (zmq_pollitem_t) { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 };
        for (size_t i = 0; i < count; i++)
            items [i + 1] = (zmq_pollitem_t) { zsock_resolve (watches [i].pair), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (items, (int) count + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t i = count; i-- > 0; ) {
            if (!(items [i + 1].revents & ZMQ_POLLIN))
                continue;
            bool stopped = false;
            s_watch_event (&watches [i], ratelog, &stopped);
            if (stopped) {          //  the socket closed: forget it
                zsock_destroy (&watches [i].pair);
                watches [i] = watches [--count];
            }
        }
        if (items [0].revents & ZMQ_POLLIN) {
            zmsg_t *command = zmsg_recv (pipe);
            char *verb = command ? zmsg_popstr (command) : NULL;
            if (!verb || streq (verb, "$TERM"))
                running = false;
            else
            if (streq (verb, "WATCH")) {
                char *endpoint = zmsg_popstr (command);
                char *flags = zmsg_popstr (command);
                char *label = zmsg_popstr (command);
                char *server_key = zmsg_popstr (command);
                if (endpoint && flags && label && server_key && count < ZC_WATCH_MAX) {
                    zc_watch_t *watch = &watches [count];
                    watch->pair = zsock_new (ZMQ_PAIR);
                    watch->flags = atoi (flags);
                    if (watch->pair && zsock_connect (watch->pair, "%s", endpoint) == 0) {
                        snprintf (watch->label, sizeof watch->label, "%s", label);
                        snprintf (watch->server_key, sizeof watch->server_key, "%s",
                                  server_key);
                        count++;
                    }
                    else
                        zsock_destroy (&watch->pair);
                }
                zstr_free (&endpoint);
                zstr_free (&flags);
                zstr_free (&label);
                zstr_free (&server_key);
                zsock_signal (pipe, 0);
            }
            zstr_free (&verb);
            zmsg_destroy (&command);
        }
    }
    for (size_t i = 0; i < count; i++)
        zsock_destroy (&watches [i].pair);
    free (watches);
    free (ratelog);
    free (items);
}

zactor_t *
zc_watcher_new (void)
{
    return zactor_new (s_watcher_actor, NULL);
}

void
zc_watcher_add (zactor_t *watcher, zsock_t *sock, int flags, const char *label,
                const char *server_key)
{
    static atomic_uint sequence;
    if (!watcher)
        return;
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://zc-watch-%p-%u", (void *) watcher,
              atomic_fetch_add (&sequence, 1));
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
               | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_MONITOR_STOPPED;
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint, events))
        return;
    char flag_text [8];
    snprintf (flag_text, sizeof flag_text, "%d", flags);
    zstr_sendx (watcher, "WATCH", endpoint, flag_text, label, server_key ? server_key : "",
                NULL);
    zsock_wait (watcher);
}
