/*  test_security.c — the --keys folder and its refusals, the ZAP decision
    per domain and key, User-Id parsing, the rate-limited log, and (with
    real sockets on loopback) that a node key passes the "peer" domain and
    that a client key and an unknown key do not (docs/PROTOCOL.md §8).
*/
#include "security.h"
#include "zap.h"
#include "watcher.h"
#include "ratelog.h"
#include "config.h"
#include "node_impl.h"
#include "wire.h"
#include "testutil.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char s_root [256];
static char s_err [600];
static zcert_t *s_node [4];         //  node certs 1..3
static zcert_t *s_server;
static zcert_t *s_alice, *s_bob, *s_stranger;
static const uint32_t s_members [] = { 1, 2, 3 };

static void
s_save_public (zcert_t *cert, const char *format, ...)
{
    char path [512];
    va_list args;
    va_start (args, format);
    vsnprintf (path, sizeof path, format, args);
    va_end (args);
    zcert_save_public (cert, path);
}

static void
s_save_full (zcert_t *cert, const char *path)
{
    zcert_save (cert, path);
    char secret [600];
    snprintf (secret, sizeof secret, "%s_secret", path);
    chmod (secret, 0600);
}

//  The folder chat-keygen makes for node id, in s_root/name.
static void
s_make_folder (const char *name, uint32_t id)
{
    char dir [400], path [500];
    snprintf (dir, sizeof dir, "%s/%s", s_root, name);
    mkdir (dir, 0700);
    snprintf (path, sizeof path, "%s/nodes", dir);
    mkdir (path, 0700);
    snprintf (path, sizeof path, "%s/clients", dir);
    mkdir (path, 0700);
    snprintf (path, sizeof path, "%s/node.cert", dir);
    s_save_full (s_node [id], path);
    snprintf (path, sizeof path, "%s/server.cert", dir);
    s_save_full (s_server, path);
    for (uint32_t i = 1; i <= 3; i++)
        s_save_public (s_node [i], "%s/nodes/%u.cert", dir, i);
    s_save_public (s_alice, "%s/clients/alice.cert", dir);
    s_save_public (s_bob, "%s/clients/bob.cert", dir);
}

static zc_security_t *
s_load (const char *name, uint32_t id, int clients)
{
    char dir [400];
    snprintf (dir, sizeof dir, "%s/%s", s_root, name);
    s_err [0] = 0;
    return zc_security_load (dir, id, s_members, 3, clients, s_err, sizeof s_err);
}

//  The folder must be refused with a one-line message containing want.
static void
s_refused (int line, const char *name, uint32_t id, int clients, const char *want)
{
    zc_security_t *sec = s_load (name, id, clients);
    bool ok = !sec && strstr (s_err, want) && !strchr (s_err, '\n');
    if (ok)
        s_passed++;
    else {
        s_failed++;
        fprintf (stderr, "%s:%d: FAILED: err='%s', wanted '%s'\n", __FILE__, line, s_err, want);
    }
    zc_security_destroy (&sec);
}
#define REFUSED(name, id, clients, want) s_refused (__LINE__, name, id, clients, want)

static void
s_copy_folder (const char *from, const char *to)
{
    char command [1200];
    snprintf (command, sizeof command, "cp -a '%s/%s' '%s/%s'", s_root, from, s_root, to);
    if (system (command) != 0) {
        fprintf (stderr, "test_security: %s failed\n", command);
        exit (1);
    }
}

//  A copy of node-1 named to, without its file (a path inside it)
static void
s_copy_without (const char *to, const char *file)
{
    s_copy_folder ("node-1", to);
    char path [1200];
    snprintf (path, sizeof path, "%s/%s/%s", s_root, to, file);
    unlink (path);
}

static void
test_load (void)
{
    s_make_folder ("node-1", 1);
    s_make_folder ("node-2", 2);
    zc_security_t *sec = s_load ("node-1", 1, ZC_CLIENTS_KEYS);
    CHECKF (sec, "%s", s_err);
    if (sec) {
        CHECK (streq (zc_security_node_key (sec, 2), zcert_public_txt (s_node [2])));
        CHECK (streq (zc_security_node_key (sec, 1), zcert_public_txt (s_node [1])));
        CHECK (zc_security_node_key (sec, 4) == NULL);
    }
    zc_security_destroy (&sec);
    //  A trailing slash is fine.
    char dir [400];
    snprintf (dir, sizeof dir, "%s/node-1/", s_root);
    sec = zc_security_load (dir, 1, s_members, 3, ZC_CLIENTS_KEYS, s_err, sizeof s_err);
    CHECKF (sec, "%s", s_err);
    zc_security_destroy (&sec);

    //  node.cert is node 1's: it cannot start node 2.
    REFUSED ("node-1", 2, ZC_CLIENTS_KEYS, "is for node 1, not for --id 2");
    REFUSED ("nothing-here", 1, ZC_CLIENTS_KEYS, "nothing-here/node.cert");

    //  A member without a cert.
    s_copy_without ("no-3", "nodes/3.cert");
    REFUSED ("no-3", 1, ZC_CLIENTS_KEYS, "nodes/3.cert: missing (member 3 has no key)");

    //  A cert in nodes/ whose metadata names another node.
    s_copy_without ("renamed", "nodes/3.cert");
    s_save_public (s_node [2], "%s/renamed/nodes/3.cert", s_root);
    REFUSED ("renamed", 1, ZC_CLIENTS_KEYS, "metadata node = 2, but the file is named for 3");

    //  Our node.cert differs from nodes/<us>.cert.
    s_copy_folder ("node-1", "mixed");
    zcert_t *other = zcert_new ();
    zcert_set_meta (other, "node", "1");
    snprintf (dir, sizeof dir, "%s/mixed/node.cert", s_root);
    s_save_full (other, dir);
    zcert_destroy (&other);
    REFUSED ("mixed", 1, ZC_CLIENTS_KEYS, "differ");

    //  No secret beside node.cert.
    s_copy_without ("no-secret", "node.cert_secret");
    REFUSED ("no-secret", 1, ZC_CLIENTS_KEYS, "no secret key");
    s_copy_without ("no-server", "server.cert_secret");
    REFUSED ("no-server", 1, ZC_CLIENTS_KEYS, "server.cert: no secret key");

    //  clients/: required for --clients keys, optional for any.
    s_copy_folder ("node-1", "no-clients");
    snprintf (dir, sizeof dir, "rm -r '%s/no-clients/clients'", s_root);
    CHECK (system (dir) == 0);
    REFUSED ("no-clients", 1, ZC_CLIENTS_KEYS, "or --clients any");
    sec = s_load ("no-clients", 1, ZC_CLIENTS_ANY);
    CHECKF (sec, "%s", s_err);
    zc_security_destroy (&sec);

    //  A client cert with no name, and two files with one key.
    s_copy_folder ("node-1", "nameless");
    zcert_t *nameless = zcert_new ();
    s_save_public (nameless, "%s/nameless/clients/x.cert", s_root);
    zcert_destroy (&nameless);
    REFUSED ("nameless", 1, ZC_CLIENTS_KEYS, "is not a client name");
    s_copy_folder ("node-1", "twice");
    s_save_public (s_alice, "%s/twice/clients/alice2.cert", s_root);
    REFUSED ("twice", 1, ZC_CLIENTS_KEYS, "the same key as another file in clients/");
    s_copy_folder ("node-1", "twice-node");
    s_save_public (s_node [2], "%s/twice-node/nodes/2.cert", s_root);
    zcert_t *dup = zcert_new_from (zcert_public_key (s_node [2]),
                                   zcert_secret_key (s_node [2]));
    zcert_set_meta (dup, "node", "4");          //  node 2's key, named node 4
    s_save_public (dup, "%s/twice-node/nodes/4.cert", s_root);
    zcert_destroy (&dup);
    REFUSED ("twice-node", 1, ZC_CLIENTS_KEYS, "the same key as another file in nodes/");

    //  A cert for a non-member is ignored (and its key is not trusted).
    s_copy_folder ("node-1", "extra");
    zcert_t *five = zcert_new ();
    zcert_set_meta (five, "node", "5");
    s_save_public (five, "%s/extra/nodes/5.cert", s_root);
    sec = s_load ("extra", 1, ZC_CLIENTS_KEYS);
    CHECKF (sec, "%s", s_err);
    if (sec) {
        char uid [ZC_UID_MAX];
        CHECK (zc_security_decide (sec, ZC_ZAP_PEER, zcert_public_key (five), uid,
                                   sizeof uid) == -1);
    }
    zc_security_destroy (&sec);
    zcert_destroy (&five);
}

static void
test_decide (void)
{
    zc_security_t *keys = s_load ("node-1", 1, ZC_CLIENTS_KEYS);
    zc_security_t *any = s_load ("node-1", 1, ZC_CLIENTS_ANY);
    assert (keys && any);
    char uid [ZC_UID_MAX];
    //  Domain "peer": only member keys, named by their node.
    CHECK (zc_security_decide (keys, "peer", zcert_public_key (s_node [2]), uid, sizeof uid) == 0
        && streq (uid, "node:2"));
    CHECK (zc_security_decide (keys, "peer", zcert_public_key (s_node [1]), uid, sizeof uid) == 0
        && streq (uid, "node:1"));
    CHECK (zc_security_decide (keys, "peer", zcert_public_key (s_alice), uid, sizeof uid) == -1);
    CHECK (zc_security_decide (any, "peer", zcert_public_key (s_alice), uid, sizeof uid) == -1);
    CHECK (zc_security_decide (any, "peer", zcert_public_key (s_stranger), uid, sizeof uid) == -1);
    CHECK (zc_security_decide (keys, "peer", zcert_public_key (s_server), uid, sizeof uid) == -1);
    //  Domain "client": clients/ by name; with any, every other key by its Z85.
    CHECK (zc_security_decide (keys, "client", zcert_public_key (s_alice), uid, sizeof uid) == 0
        && streq (uid, "client:alice"));
    CHECK (zc_security_decide (keys, "client", zcert_public_key (s_bob), uid, sizeof uid) == 0
        && streq (uid, "client:bob"));
    CHECK (zc_security_decide (keys, "client", zcert_public_key (s_stranger), uid,
                               sizeof uid) == -1);
    CHECK (zc_security_decide (keys, "client", zcert_public_key (s_node [2]), uid,
                               sizeof uid) == -1);
    CHECK (zc_security_decide (any, "client", zcert_public_key (s_alice), uid, sizeof uid) == 0
        && streq (uid, "client:alice"));
    char want [80];
    snprintf (want, sizeof want, "key:%s", zcert_public_txt (s_stranger));
    CHECK (zc_security_decide (any, "client", zcert_public_key (s_stranger), uid, sizeof uid) == 0
        && streq (uid, want));
    //  Any other domain: nobody.
    CHECK (zc_security_decide (keys, "", zcert_public_key (s_node [2]), uid, sizeof uid) == -1);
    CHECK (zc_security_decide (any, "global", zcert_public_key (s_alice), uid, sizeof uid) == -1);
    zc_security_destroy (&keys);
    zc_security_destroy (&any);
}

static void
test_user_id (void)
{
    uint32_t id = 0;
    CHECK (zc_security_uid_node ("node:3", &id) == 0 && id == 3);
    CHECK (zc_security_uid_node ("node:1000000", &id) == 0 && id == 1000000);
    const char *bad [] = { NULL, "", "node:", "node:0", "node:03", "node:3x", "node: 3",
                           "node:1000001", "node:-3", "Node:3", "client:3", "key:3",
                           "node:99999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        CHECKF (zc_security_uid_node (bad [i], &id) == -1, "'%s'", bad [i] ? bad [i] : "NULL");
    CHECK (zc_security_speaks_for ("node:3", 3));
    CHECK (!zc_security_speaks_for ("node:2", 3));
    CHECK (!zc_security_speaks_for ("node:3", 3 + (1ull << 32)));   //  no truncation
    CHECK (!zc_security_speaks_for (NULL, 3));
    CHECK (!zc_security_speaks_for ("client:3", 3));
    CHECK (!zc_security_speaks_for ("key:3", 3));
}

static void
test_ratelog (void)
{
    zc_ratelog_t *log = calloc (1, sizeof *log);
    uint64_t suppressed = 99;
    CHECK (zc_ratelog_allow (log, "10.0.0.1", 1000, &suppressed) && suppressed == 0);
    for (int i = 0; i < 50; i++)
        CHECK (!zc_ratelog_allow (log, "10.0.0.1", 1000 + (uint64_t) i, &suppressed));
    CHECK (zc_ratelog_allow (log, "10.0.0.2", 1100, &suppressed) && suppressed == 0);
    CHECK (zc_ratelog_allow (log, "10.0.0.1", 1000 + ZC_RATELOG_MS, &suppressed)
        && suppressed == 50);
    //  A flood from many addresses: at most ZC_RATELOG_BURST lines a window.
    memset (log, 0, sizeof *log);
    int written = 0;
    for (int i = 0; i < 5000; i++) {
        char key [32];
        snprintf (key, sizeof key, "10.1.%d.%d", i / 256, i % 256);
        written += zc_ratelog_allow (log, key, 5000 + (uint64_t) i / 1000, &suppressed);
    }
    CHECKF (written == ZC_RATELOG_BURST, "%d lines", written);
    CHECK (zc_ratelog_allow (log, "10.9.9.9", 5000 + ZC_RATELOG_MS, &suppressed)
        && suppressed >= 5000 - ZC_RATELOG_BURST);
    free (log);
}

static void
test_explain (void)
{
    char line [600];
    const int bound = ZC_WATCH_CURVE, link = ZC_WATCH_CURVE | ZC_WATCH_CONNECT;
    const int mismatch = ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
    //  The ZAP handler logs a refusal, with the address: no second line.
    CHECK (zc_security_explain (bound, "client port", NULL, "HANDSHAKE_FAILED_AUTH", 400,
                                line, sizeof line) == NULL);
    CHECK (zc_security_explain (bound, "client port", NULL, "HANDSHAKE_FAILED_PROTOCOL",
                                mismatch, line, sizeof line)
        && strstr (line, "client port: a plaintext peer tried a CURVE port"));
    CHECK (zc_security_explain (bound, "peer port", NULL, "HANDSHAKE_FAILED_PROTOCOL",
                                ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, line, sizeof line)
        && strstr (line, "wrong server key"));
    CHECK (zc_security_explain (link, "peer 3 (tcp://h:17053)", "nodes/3.cert",
                                "HANDSHAKE_FAILED_NO_DETAIL", 104, line, sizeof line)
        && strstr (line, "peer 3 (tcp://h:17053): CURVE handshake failed: the server's key "
                         "is not nodes/3.cert"));
    CHECK (zc_security_explain (link, "peer 3", "nodes/3.cert", "HANDSHAKE_FAILED_AUTH", 400,
                                line, sizeof line) && strstr (line, "does not trust our key"));
    CHECK (zc_security_explain (link, "peer 3", "nodes/3.cert", "HANDSHAKE_FAILED_PROTOCOL",
                                mismatch, line, sizeof line)
        && strstr (line, "does not speak CURVE"));
    CHECK (zc_security_explain (link, "peer 3", "nodes/3.cert", "DISCONNECTED", 0,
                                line, sizeof line) == NULL);
    //  A node without keys: a mismatch is news, a broken greeting is not.
    CHECK (zc_security_explain (ZC_WATCH_CONNECT, "peer 3", "nodes/3.cert",
                                "HANDSHAKE_FAILED_PROTOCOL", mismatch, line, sizeof line)
        && strstr (line, "peer 3: handshake failed: it speaks CURVE, and this node has no "
                         "--keys"));
    CHECK (zc_security_explain (0, "peer port", NULL, "HANDSHAKE_FAILED_PROTOCOL",
                                mismatch, line, sizeof line)
        && strstr (line, "a CURVE peer tried this plaintext port"));
    CHECK (zc_security_explain (0, "peer port", NULL, "HANDSHAKE_FAILED_NO_DETAIL", 104,
                                line, sizeof line) == NULL);
}

//  The first message sock receives within ms, or NULL.
static zmsg_t *
s_recv_within (zsock_t *sock, int ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *msg = zpoller_wait (poller, ms) ? zmsg_recv (sock) : NULL;
    zpoller_destroy (&poller);
    return msg;
}

//  A DEALER with cert (NULL: plaintext) to endpoint sends "hello"; the
//  User-Id the ROUTER saw, or "" if nothing arrived.
static void
s_try (zsock_t *router, const char *endpoint, zcert_t *cert, const char *server_key,
       char *user_id, size_t cap)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (dealer, 0);
    if (cert) {
        zcert_apply (cert, dealer);
        zsock_set_curve_serverkey (dealer, server_key);
    }
    zsock_connect (dealer, "%s", endpoint);
    zstr_send (dealer, "hello");
    zmsg_t *msg = s_recv_within (router, 700);
    user_id [0] = 0;
    if (msg) {
        zframe_t *body = zmsg_last (msg);
        const char *uid = zframe_meta (body, "User-Id");
        snprintf (user_id, cap, "%s", uid ? uid : "(none)");
    }
    zmsg_destroy (&msg);
    zsock_destroy (&dealer);
}

//  A batch frame (ZC_MAX_BATCH) still reaches a CURVE peer whose
//  ZMQ_MAXMSGSIZE is ZC_MAX_FRAME: libzmq checks the boxed wire frame,
//  some 40 bytes larger than what was sent, and drops the connection of a
//  peer that exceeds it (full 64 KiB PUB batches cut subscribers off).
static bool
s_curve_frame_arrives (size_t size)
{
    zsock_t *pull = zsock_new (ZMQ_PULL);
    zsock_set_curve_server (pull, 1);
    zcert_apply (s_server, pull);
    zsock_set_maxmsgsize (pull, ZC_MAX_FRAME);
    int port = zsock_bind (pull, "tcp://127.0.0.1:*");
    zsock_t *push = zsock_new (ZMQ_PUSH);
    zcert_apply (s_alice, push);
    zsock_set_curve_serverkey (push, zcert_public_txt (s_server));
    zsock_set_linger (push, 0);
    zsock_connect (push, "tcp://127.0.0.1:%d", port);
    uint8_t *data = calloc (1, size);
    assert (data);
    zmq_send (zsock_resolve (push), data, size, 0);
    free (data);
    zmsg_t *got = s_recv_within (pull, 2000);
    bool arrived = got && zmsg_content_size (got) == size;
    zmsg_destroy (&got);
    zsock_destroy (&push);
    zsock_destroy (&pull);
    return arrived;
}

static void
test_batch_fits (void)
{
    CHECKF (s_curve_frame_arrives (ZC_MAX_BATCH), "a ZC_MAX_BATCH frame over CURVE");
    //  What the margin is for: a full ZC_MAX_FRAME frame does not arrive
    CHECKF (!s_curve_frame_arrives (ZC_MAX_FRAME), "a ZC_MAX_FRAME frame over CURVE is cut off");
}

static void
s_ignore (int signum)
{
    (void) signum;
}

//  A signal to every thread of the process, the ZAP handler's included:
//  each blocking poll returns EINTR.
static void
s_signal_every_thread (void)
{
    struct sigaction action = { .sa_handler = s_ignore };     //  no SA_RESTART
    sigaction (SIGUSR1, &action, NULL);
    DIR *tasks = opendir ("/proc/self/task");
    struct dirent *entry;
    while (tasks && (entry = readdir (tasks)))
        if (entry->d_name [0] != '.')
            syscall (SYS_tgkill, getpid (), atoi (entry->d_name), SIGUSR1);
    if (tasks)
        closedir (tasks);
    zclock_sleep (100);
}

static void
test_sockets (void)
{
    zc_security_t *sec = s_load ("node-1", 1, ZC_CLIENTS_KEYS);
    assert (sec);
    CHECKF (zc_security_start (sec, s_err, sizeof s_err) == 0, "%s", s_err);
    //  A second handler in the same process cannot bind: said, not hidden.
    zc_security_t *again = s_load ("node-2", 2, ZC_CLIENTS_KEYS);
    CHECK (again && zc_security_start (again, s_err, sizeof s_err) == -1
        && strstr (s_err, "ZAP"));
    zc_security_destroy (&again);

    zsock_t *peer = zsock_new (ZMQ_ROUTER);
    zsock_t *client = zsock_new (ZMQ_ROUTER);
    zc_security_server (sec, peer, true);
    zc_security_server (sec, client, false);
    zactor_t *watcher = zc_watcher_new ();
    zc_watcher_add (watcher, peer, ZC_WATCH_CURVE, "test: peer port", NULL);
    int peer_port = zsock_bind (peer, "tcp://127.0.0.1:*");
    int client_port = zsock_bind (client, "tcp://127.0.0.1:*");
    assert (peer_port > 0 && client_port > 0);
    char peer_ep [64], client_ep [64], uid [ZC_UID_MAX + 8];
    snprintf (peer_ep, sizeof peer_ep, "tcp://127.0.0.1:%d", peer_port);
    snprintf (client_ep, sizeof client_ep, "tcp://127.0.0.1:%d", client_port);
    const char *node_key = zcert_public_txt (s_node [1]);
    const char *server_key = zcert_public_txt (s_server);

    //  Domain "peer": node 2's key passes and is named; no other does.
    s_try (peer, peer_ep, s_node [2], node_key, uid, sizeof uid);
    CHECKF (streq (uid, "node:2"), "'%s'", uid);
    uint64_t denied = zc_security_denied (sec);
    s_try (peer, peer_ep, s_alice, node_key, uid, sizeof uid);
    CHECKF (streq (uid, ""), "a client key got in as '%s'", uid);
    CHECK (zc_security_denied (sec) == denied + 1);
    s_try (peer, peer_ep, s_stranger, node_key, uid, sizeof uid);
    CHECKF (streq (uid, ""), "an unknown key got in as '%s'", uid);
    CHECK (zc_security_denied (sec) == denied + 2);
    //  Plaintext never reaches a CURVE socket (and the ZAP is not asked).
    s_try (peer, peer_ep, NULL, NULL, uid, sizeof uid);
    CHECKF (streq (uid, ""), "plaintext got in as '%s'", uid);
    //  The right key but the wrong server key: nothing either.
    s_try (peer, peer_ep, s_node [2], server_key, uid, sizeof uid);
    CHECKF (streq (uid, ""), "wrong server key got in as '%s'", uid);

    //  A signal that breaks the ZAP thread's poll does not stop it: a
    //  handler gone would let every CURVE client in.
    s_signal_every_thread ();
    s_try (peer, peer_ep, s_stranger, node_key, uid, sizeof uid);
    CHECKF (streq (uid, ""), "after a signal, an unknown key got in as '%s'", uid);
    s_try (peer, peer_ep, s_node [3], node_key, uid, sizeof uid);
    CHECKF (streq (uid, "node:3"), "after a signal: '%s'", uid);

    //  Domain "client": alice by name; a node key is no client.
    s_try (client, client_ep, s_alice, server_key, uid, sizeof uid);
    CHECKF (streq (uid, "client:alice"), "'%s'", uid);
    s_try (client, client_ep, s_node [2], server_key, uid, sizeof uid);
    CHECKF (streq (uid, ""), "a node key got in as client '%s'", uid);
    s_try (client, client_ep, s_stranger, server_key, uid, sizeof uid);
    CHECKF (streq (uid, ""), "an unknown key got in as client '%s'", uid);

    zsock_destroy (&peer);
    zsock_destroy (&client);
    zactor_destroy (&watcher);
    zc_security_destroy (&sec);
}

//  A real node 1 (members 1, 2, 3; 2 and 3 absent) with --keys, run in
//  an actor; its counters are copied out when it stops.
typedef struct {
    zc_config_t cfg;
    bool started;
    uint64_t forged, denied, dropped;
} s_node_run_t;

static void
s_node_actor (zsock_t *pipe, void *arg)
{
    s_node_run_t *run = arg;
    zc_node_t *node = zc_node_new (&run->cfg, s_err, sizeof s_err);
    run->started = node != NULL;
    zsock_signal (pipe, 0);
    if (!node)
        return;
    zc_node_run (node);
    run->forged = node->forged;
    run->denied = node->denied;
    run->dropped = node->dropped;
    zc_node_destroy (&node);
    char *command = zstr_recv (pipe);       //  $TERM
    zstr_free (&command);
}

//  Send one peer message (type, in name's name) with cert to endpoint on
//  a socket of type; on a REQ, the reply's type (ZC_UNKNOWN if none).
static zc_type_t
s_send_peer (int type, const char *endpoint, zcert_t *cert, const char *server_key,
             zc_type_t what, uint64_t name, uint64_t epoch, uint64_t mh)
{
    zsock_t *sock = zsock_new (type);
    zsock_set_linger (sock, 0);
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
    zsock_connect (sock, "%s", endpoint);
    zc_msg_t msg;
    zc_msg_init (&msg, what);
    zc_msg_set_u64 (&msg, ZF_NODE, name);
    zc_msg_set_u64 (&msg, ZF_EPOCH, epoch);
    zc_msg_set_u64 (&msg, ZF_MH, mh);
    uint8_t buf [256];
    size_t size = zc_msg_encode (&msg, buf, sizeof buf);
    assert (size);
    zmq_send (zsock_resolve (sock), buf, size, 0);
    zc_type_t reply_type = ZC_UNKNOWN;
    if (type == ZMQ_REQ) {
        zmsg_t *reply = s_recv_within (sock, 2000);
        zframe_t *body = reply ? zmsg_last (reply) : NULL;
        zc_msg_t decoded;
        if (body && zc_msg_decode (&decoded, zframe_data (body), zframe_size (body), NULL) == 0)
            reply_type = decoded.type;
        zmsg_destroy (&reply);
    }
    else
        zclock_sleep (400);     //  the handshake and the node's wake-up
    zsock_destroy (&sock);
    return reply_type;
}

static void
test_node_forged (void)
{
    zclock_sleep (200);         //  test_sockets' ZAP endpoint is reaped
    s_node_run_t *run = calloc (1, sizeof *run);
    //  Base ports below the kernel's ephemeral range (P+3000 < 32768); a
    //  few tries, as other tests may hold a port.
    zactor_t *actor = NULL;
    int base = 0;
    uint64_t prng = (uint64_t) getpid () * 2654435761u + (uint64_t) zclock_usecs ();
    for (int attempt = 0; attempt < 5 && !run->started; attempt++) {
        zactor_destroy (&actor);
        base = 20000 + (int) (xorshift64 (&prng) % 9000);
        char port [8], peers [80], dir [400], data [400];
        snprintf (port, sizeof port, "%d", base);
        snprintf (peers, sizeof peers, "2:127.0.0.1:%d,3:127.0.0.1:%d", base + 1, base + 2);
        snprintf (dir, sizeof dir, "%s/node-1", s_root);
        snprintf (data, sizeof data, "%s/data-1", s_root);
        char *argv [] = { "chat-node", "--id", "1", "--port", port, "--peers", peers,
                          "--keys", dir, "--data-dir", data, "--bind", "127.0.0.1", NULL };
        int rc = zc_config_parse (&run->cfg, 13, argv, s_err, sizeof s_err);
        CHECKF (rc == 0, "%s", s_err);
        if (rc)
            break;
        actor = zactor_new (s_node_actor, run);
    }
    CHECKF (run->started, "%s", s_err);
    if (run->started) {
        uint64_t mh = zc_config_membership_hash (&run->cfg);
        const char *key = zcert_public_txt (s_node [1]);
        char peer_ep [64], hb_ep [64];
        snprintf (peer_ep, sizeof peer_ep, "tcp://127.0.0.1:%d", base + ZC_PORT_PEER);
        snprintf (hb_ep, sizeof hb_ep, "tcp://127.0.0.1:%d", base + ZC_PORT_HEARTBEAT);
        //  Node 2's key speaking for node 3: dropped, counted as forged.
        s_send_peer (ZMQ_DEALER, peer_ep, s_node [2], key, ZC_ELECTION, 3, 0, mh);
        //  Node 2's key speaking for itself: fine.
        s_send_peer (ZMQ_DEALER, peer_ep, s_node [2], key, ZC_ELECTION, 2, 0, mh);
        //  The heartbeat port: a PING in node 3's name with node 2's key
        //  gets an ERROR (REP must answer); in its own name, a PONG.
        CHECK (s_send_peer (ZMQ_REQ, hb_ep, s_node [2], key, ZC_PING, 3, 0, mh) == ZC_ERROR);
        CHECK (s_send_peer (ZMQ_REQ, hb_ep, s_node [2], key, ZC_PING, 2, 0, mh) == ZC_PONG);
        //  Node 2 in its own name, but an epoch no correct node sends:
        //  the election refuses it, and the node counts it as forged.
        s_send_peer (ZMQ_DEALER, peer_ep, s_node [2], key, ZC_ELECTION, 2, ZC_EPOCH_MAX, mh);
        //  A client key on the peer port: refused by the ZAP handler.
        s_send_peer (ZMQ_DEALER, peer_ep, s_alice, key, ZC_ELECTION, 2, 0, mh);
    }
    zsys_interrupted = 1;
    zactor_destroy (&actor);
    zsys_interrupted = 0;
    CHECKF (run->forged == 3, "forged %llu", (unsigned long long) run->forged);
    CHECKF (run->denied == 1, "denied %llu", (unsigned long long) run->denied);
    free (run);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    snprintf (s_root, sizeof s_root, "/tmp/zc-test-security-XXXXXX");
    assert (mkdtemp (s_root));
    for (uint32_t i = 1; i <= 3; i++) {
        s_node [i] = zcert_new ();
        char id [8];
        snprintf (id, sizeof id, "%u", i);
        zcert_set_meta (s_node [i], "node", "%s", id);
    }
    s_server = zcert_new ();
    s_alice = zcert_new ();
    zcert_set_meta (s_alice, "name", "alice");
    s_bob = zcert_new ();
    zcert_set_meta (s_bob, "name", "bob");
    s_stranger = zcert_new ();
    zcert_set_meta (s_stranger, "name", "mallory");

    test_batch_fits ();     //  first: before any ZAP handler is bound
    test_load ();
    test_decide ();
    test_user_id ();
    test_ratelog ();
    test_explain ();
    test_sockets ();
    test_node_forged ();

    for (uint32_t i = 1; i <= 3; i++)
        zcert_destroy (&s_node [i]);
    zcert_destroy (&s_server);
    zcert_destroy (&s_alice);
    zcert_destroy (&s_bob);
    zcert_destroy (&s_stranger);
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", s_root);
    if (system (command))
        fprintf (stderr, "cannot remove %s\n", s_root);
    return check_report ("test_security");
}
