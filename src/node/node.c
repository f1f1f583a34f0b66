/*  node.c — sockets, the poll loop, and executing the core's bundles.

    One thread, one zmq_poll until the core's deadline (zc_core_deadline,
    its one timer table); each wake-up drains what is queued (peer traffic
    first, so that a node that was frozen learns the present before it
    answers a client; then the storage thread's reports), then ticks the
    core and executes what the wake-up produced: batching by load.  Inside
    a batch and a bundle's sends, waiting PINGs are answered every
    ZC_NODE_HB_EVERY messages (zc_node_hb_step; docs/DECISIONS.md,
    "Heartbeat priority"), and the peer side has its own I/O thread.  Every
    decision is the core's (core.h); this file moves bytes, hands the log
    to the storage thread (storage.h), writes the election state in the
    order the bundle contract says, and stops the node when a write fails.
*/
#include "node_impl.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

//  Milliseconds on a clock that also counts time spent suspended, so a
//  leader waking from a laptop lid-close sees its lease expired.
uint64_t
zc_node_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_BOOTTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

//  The next queued message, or NULL at once if there is none.
zmsg_t *
zc_node_recv_nowait (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) ? zmsg_recv (sock) : NULL;
}

//  Encode and send one message, never blocking the loop.  0 or -1.
int
zc_node_send (zsock_t *sock, zc_node_t *self, const zc_msg_t *msg, int flags)
{
    size_t size = zc_msg_encode (msg, self->buf, sizeof self->buf);
    if (!size) {
        zsys_error ("node %u: cannot encode a %s message", self->cfg.id,
                    zc_type_name (msg->type));
        return -1;
    }
    return zmq_send (zsock_resolve (sock), self->buf, size, flags | ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

static zsock_t *
s_bind (zc_node_t *self, int type, uint16_t port, char *err, size_t errlen)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        snprintf (err, errlen, "cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    bool client_port = port == self->cfg.port;
    bool peer_side = port == self->cfg.port + ZC_PORT_PEER
                  || port == self->cfg.port + ZC_PORT_HEARTBEAT;
    //  A client's frames are bounded by --max-frame (libzmq closes the
    //  connection of a client that sends more); peers by the protocol's.
    zsock_set_maxmsgsize (sock, client_port ? (int64_t) self->cfg.max_frame : ZC_MAX_FRAME);
    //  Socket priority: each side its own I/O thread, peers marked CS6
    //  (node_impl.h; before bind, as libzmq reads them there)
    if (peer_side)
        zc_node_peer_priority (self, sock);
    else
    if (self->io_split)
        zsock_set_affinity (sock, ZC_NODE_AFFINITY_CLIENTS);
    zsock_set_linger (sock, 0);
    //  Reads never wait: a REP reports POLLIN for a message it then drops
    //  (one without an envelope, from a DEALER), and a blocking read
    //  would wedge the node for good (zc_node_recv_nowait).
    zsock_set_rcvtimeo (sock, 0);
    //  High-water marks count only if set before bind.  Subscribers and
    //  clients that fall behind lose frames beyond them and repair gaps by
    //  FETCH / resend, so the bound is a memory cap, not a guarantee.  Per
    //  connection, so it is what one slow or hostile reader can make us
    //  hold: --reply-hwm replies (each <= 256 KiB) on the client port,
    //  --pub-hwm frames on PUB (a DEALER that never read its FETCH replies
    //  once grew a leader by 600 MB at 100000).  Peers keep a large bound:
    //  a backup catching up reads a window of APPENDs at once.
    if (type == ZMQ_PUB || type == ZMQ_ROUTER) {
        zsock_set_sndhwm (sock, client_port ? (int) self->cfg.reply_hwm
                              : type == ZMQ_PUB ? (int) self->cfg.pub_hwm : 100000);
        zsock_set_rcvhwm (sock, 100000);
    }
    //  CURVE before bind (docs/PROTOCOL.md §8): the ZAP handler is
    //  already running, so no connection is ever let in unchecked.
    if (self->security)
        zc_security_server (self->security, sock, peer_side);
    //  Thousands of clients redial a restarted node at once: libzmq's
    //  listen backlog of 100 dropped their SYNs (the kernel caps this at
    //  net.core.somaxconn).
    zsock_set_backlog (sock, 4096);
    if (zsock_bind (sock, "tcp://%s:%u", self->cfg.bind_host, port) < 0) {
        snprintf (err, errlen, "cannot bind tcp://%s:%u: %s", self->cfg.bind_host, port,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    else {
        static const char *names [] = { "client port", "pub port", "peer port",
                                        "heartbeat port" };
        char label [320];
        snprintf (label, sizeof label, "node %u: %s %u", self->cfg.id,
                  names [(port - self->cfg.port) / 1000], port);
        zc_watcher_add (self->watcher, sock, self->security ? ZC_WATCH_CURVE : 0, label, NULL);
    }
    return sock;
}

//  The one error path for what must reach the disk: a log write or sync
//  or the election state.  One line, then the node stops with a non-zero
//  exit (zc_node_run returns it) and sends nothing more: what the bundle
//  would have released depends on the write.  A restart re-reads what the
//  disk holds, like after a crash, which the protocol survives.
static int
s_fail (zc_node_t *self, const char *what, int error)
{
    zsys_error ("node %u: cannot %s in %s: %s; stopping", self->cfg.id, what,
                self->cfg.data_dir, strerror (error));
    self->failed = true;
    return -1;
}

static void
s_print (const zc_core_log_t *logs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (logs [i].level == ZC_CORE_ERROR)
            zsys_error ("%s", logs [i].text);
        else
        if (logs [i].level == ZC_CORE_WARNING)
            zsys_warning ("%s", logs [i].text);
        else
            zsys_info ("%s", logs [i].text);
}

//  While syncs take less than this on average, the loop syncs small writes
//  itself when the storage thread is idle (storage.h): a millisecond is a
//  hundredth of the default heartbeat.
#define S_INLINE_SYNC_US 1000

//  Executes the core's bundles (core.h, the loop's contract) until none
//  is left: the write goes to the storage thread and the rest out at once
//  (what must wait for the disk, the core holds back).  A bundle that
//  saves state or retires segments first waits for the storage to be idle.
//  0, or -1 when a write failed: the node stops.
int
zc_node_execute (zc_node_t *self)
{
    while (!self->failed && zc_core_has_ready (self->core)) {
        const zc_core_ready_t *ready = zc_core_ready (self->core);
        zc_node_peers_send (self, ready->early, ready->early_count);
        if (ready->snapshot
        &&  zc_logload_install (&self->cfg, self->core, ready->snapshot_base))
            return s_fail (self, "save the leader's snapshot", errno);
        int wrote = ready->ticket
                  ? zc_storage_write (self->storage, ready->ticket, ready->truncate,
                                      ready->truncate_after, zc_core_log (self->core),
                                      ready->write_first, ready->write_last)
                  : 0;
        if (wrote < 0)
            return s_fail (self, "write the log", errno);
        bool barrier = ready->save_state || ready->retain_upto || wrote == 1;
        uint64_t done = 0;
        if (barrier && zc_storage_wait (self->storage, &done))
            return s_fail (self, "write the log", errno);
        if (ready->save_state && zc_store_save (self->cfg.data_dir, &ready->state))
            //  A vote or claim we cannot make durable must not be sent.
            return s_fail (self, "save election state", errno);
        zc_node_peers_send (self, ready->sends, ready->send_count);
        zc_node_send_pubs (self, ready->pubs, ready->pub_count);
        zc_node_send_replies (self, ready->replies, ready->reply_count);
        zc_node_metrics_acked (self, ready);
        s_print (ready->logs, ready->log_count);
        if (ready->retain_upto)
            zc_logload_retain (&self->cfg, self->segstore, self->core, ready->retain_upto);
        if (barrier)
            zc_core_durable (self->core, done, zc_node_now ());
    }
    if (self->cfg.trace)
        zc_node_trace_state (self);
    return self->failed ? -1 : 0;
}

//  The storage's reports: what is on disk now, and its releases.
static void
s_storage_recv (zc_node_t *self)
{
    uint64_t done = 0;
    if (zc_storage_recv (self->storage, &done)) {
        s_fail (self, "write the log", errno);
        return;
    }
    zc_core_durable (self->core, done, zc_node_now ());
    zc_node_execute (self);
}

zc_node_t *
zc_node_new (const zc_config_t *cfg, char *err, size_t errlen)
{
    zc_node_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    //  Before any socket of ours, the ZAP handler's included
    self->io_split = zc_node_io_threads (cfg->id);
    zc_stored_t stored;
    if (zc_store_open (cfg->data_dir, err, errlen)
    ||  zc_store_load (cfg->data_dir, &stored, err, errlen)) {
        free (self);
        return NULL;
    }
    if (cfg->keys_dir [0]) {
        uint32_t members [ZC_MAX_PEERS + 1] = { cfg->id };
        for (size_t i = 0; i < cfg->peer_count; i++)
            members [i + 1] = cfg->peers [i].id;
        self->security = zc_security_load (cfg->keys_dir, cfg->id, members,
                                           cfg->peer_count + 1, cfg->clients, err, errlen);
        if (!self->security || zc_security_start (self->security, err, errlen)) {
            zc_node_destroy (&self);
            return NULL;
        }
    }
    self->watcher = zc_watcher_new ();
    self->client_router = s_bind (self, ZMQ_ROUTER, cfg->port, err, errlen);
    if (self->client_router)
        self->pub = s_bind (self, ZMQ_PUB, cfg->port + ZC_PORT_PUB, err, errlen);
    if (self->pub)
        self->peer_router = s_bind (self, ZMQ_ROUTER, cfg->port + ZC_PORT_PEER, err, errlen);
    if (self->peer_router)
        self->hb_rep = s_bind (self, ZMQ_REP, cfg->port + ZC_PORT_HEARTBEAT, err, errlen);
    if (!self->hb_rep || zc_node_peers_open (self, err, errlen)) {
        zc_node_destroy (&self);
        return NULL;
    }
    //  A ROUTER drops replies to vanished clients silently unless told not to.
    zsock_set_router_mandatory (self->client_router, 1);
    zsock_set_sndtimeo (self->client_router, 0);

    zc_core_config_t ccfg = {
        .election = {
            .self = cfg->id, .quorum = cfg->quorum, .mh = zc_config_membership_hash (cfg),
            .heartbeat_ms = cfg->heartbeat_ms, .misses = cfg->misses,
            .election_ms = cfg->election_ms, .lease_ms = cfg->lease_ms,
            .holddown_ms = cfg->holddown_ms, .seed = (uint64_t) getpid () ^ zclock_usecs (),
            .max_epoch_jump = cfg->max_epoch_jump,
        },
        //  fsync per entry costs ~0.3 ms here: smaller batches keep each
        //  wake-up short enough for heartbeats and the lease.
        .batch = cfg->fsync == ZC_CONFIG_FSYNC_ALWAYS ? 32 : 512,
        .sync_timeout_ms = 10 * cfg->election_ms + 10 * cfg->heartbeat_ms,
        .port = cfg->port,
        .max_text = cfg->max_text, .max_rooms = cfg->max_rooms,
        .max_clients = cfg->max_clients, .rate = cfg->rate,
        .retain = cfg->retain_mb || cfg->retain_hours,
        .initial = (zc_initial_t) cfg->initial,
    };
    ccfg.election.members [ccfg.election.member_count++] = cfg->id;
    for (size_t i = 0; i < cfg->peer_count; i++)
        ccfg.election.members [ccfg.election.member_count++] = cfg->peers [i].id;
    //  The initial configuration, with hosts (docs/ELECTION.md "Membership
    //  changes"); ADMIN without a key only on a loopback client port
    const char *why;
    zc_member_t me = { .id = cfg->id, .port = cfg->port };
    snprintf (me.host, sizeof me.host, "%s",
              strcmp (cfg->bind_host, "*") == 0 ? "127.0.0.1" : cfg->bind_host);
    zc_members_add (&ccfg.members, &me, &why);
    for (size_t i = 0; i < cfg->peer_count; i++) {
        zc_member_t peer = { .id = cfg->peers [i].id, .port = cfg->peers [i].port };
        snprintf (peer.host, sizeof peer.host, "%s", cfg->peers [i].host);
        zc_members_add (&ccfg.members, &peer, &why);
    }
    ccfg.quorum_explicit = cfg->quorum_given ? cfg->quorum : 0;
    ccfg.admin_open = !cfg->keys_dir [0]
                   && (strcmp (cfg->bind_host, "127.0.0.1") == 0
                       || strcmp (cfg->bind_host, "localhost") == 0
                       || strcmp (cfg->bind_host, "::1") == 0
                       || strcmp (cfg->bind_host, "[::1]") == 0);
    zc_chatlog_t *log = NULL;
    if (zc_logload_open (cfg, &self->segstore, &log, &stored, err, errlen)) {
        zc_chatlog_destroy (&log);
        zc_node_destroy (&self);
        return NULL;
    }
    self->core = zc_core_new (&ccfg, log, &stored, zc_node_now ());
    if (cfg->trace)
        zc_node_trace_start (self, &stored);
    //  The slow-disk hook is for tests only (chat-chaos sets the variable):
    //  a node started without it never looks for the file.
    char slow_file [1100] = "";
    const char *hook = getenv ("ZCHAT_TEST_SLOW_DISK");
    if (hook && strcmp (hook, "1") == 0) {
        snprintf (slow_file, sizeof slow_file, "%s/test-sync-delay-ms", cfg->data_dir);
        zsys_warning ("node %u: test hook on: each sync first sleeps the ms in %s",
                      cfg->id, slow_file);
    }
    self->storage = zc_storage_new (self->segstore, slow_file [0] ? slow_file : NULL,
                                    S_INLINE_SYNC_US);
    if (!self->storage) {
        snprintf (err, errlen, "cannot start the storage thread");
        zc_node_destroy (&self);
        return NULL;
    }
    if (zc_node_metrics_open (self, err, errlen)) {
        zc_node_destroy (&self);
        return NULL;
    }
    zsys_info ("node %u: client port %u, pub %u, peers %u, heartbeat %u; epoch %llu, "
               "%zu peers, quorum %u, heartbeat %u ms, data in %s", cfg->id, cfg->port,
               cfg->port + ZC_PORT_PUB, cfg->port + ZC_PORT_PEER,
               cfg->port + ZC_PORT_HEARTBEAT, (unsigned long long) stored.epoch,
               cfg->peer_count, cfg->quorum, cfg->heartbeat_ms, cfg->data_dir);
    return self;
}

void
zc_node_destroy (zc_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_node_t *self = *self_p;
    zc_node_metrics_close (self);
    zc_node_peers_close (self);
    zsock_destroy (&self->client_router);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->peer_router);
    zsock_destroy (&self->hb_rep);
    zc_storage_destroy (&self->storage);        //  what was handed out reaches the disk
    zc_core_destroy (&self->core);
    zc_segstore_destroy (&self->segstore);
    zc_security_destroy (&self->security);
    zactor_destroy (&self->watcher);
    free (self);
    *self_p = NULL;
}

//  The security counters STATUS reports, kept at the boundary: ZAP
//  refusals (counted in the ZAP thread).
static void
s_count_security (zc_node_t *self)
{
    if (self->security)
        zc_core_count (self->core, ZC_COUNT_DENIED, zc_security_denied (self->security));
}

//  SIGINT and SIGTERM.  chat-node's main blocks them in every thread
//  (a signal landing in the storage thread would break its wait), and the
//  loop reads them from a signalfd: the first retires the node gracefully,
//  a second stops it at once.  A stop asked in-process (zsys_interrupted:
//  tests run the node in a thread and stop it so, to run it again; or
//  czmq's own handler, where the signals are not blocked) ends the loop at
//  once, as it always did.
static int
s_signals_open (uint32_t id)
{
    sigset_t blocked, stop;
    sigemptyset (&stop);
    sigaddset (&stop, SIGINT);
    sigaddset (&stop, SIGTERM);
    if (pthread_sigmask (SIG_BLOCK, NULL, &blocked)
    ||  !sigismember (&blocked, SIGINT) || !sigismember (&blocked, SIGTERM))
        return -1;
    int sigfd = signalfd (-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0) {
        //  Blocked and unread, a signal could never stop us: czmq's
        //  handler takes them again (no graceful stop then)
        zsys_warning ("node %u: no signalfd (%s): SIGTERM stops the node at once",
                      id, strerror (errno));
        pthread_sigmask (SIG_UNBLOCK, &stop, NULL);
    }
    return sigfd;
}

//  Signals that arrived since the last call.
static int
s_signals (int sigfd)
{
    int count = 0;
    struct signalfd_siginfo info;
    while (sigfd >= 0 && read (sigfd, &info, sizeof info) == (ssize_t) sizeof info)
        count++;
    return count;
}

int
zc_node_run (zc_node_t *self)
{
    zmq_pollitem_t items [9 + ZC_MAX_PEERS];
    int sigfd = s_signals_open (self->cfg.id);
    bool retiring = false;
    //  Belt and braces: the election retires within 2 election timeouts
    //  and the suspect time (docs/ELECTION.md "Graceful stop")
    uint64_t retire_cap = 0;
    while (!zsys_interrupted && !self->failed) {
        //  The first SIGTERM or SIGINT: a leader hands over first; a
        //  second: stop now
        int stops = s_signals (sigfd);
        if (stops && (retiring || stops > 1)) {
            zsys_info ("node %u: asked again to stop: stopping now", self->cfg.id);
            break;
        }
        if (stops) {
            retiring = true;
            retire_cap = zc_node_now () + 4 * ((uint64_t) self->cfg.election_ms
                         + (uint64_t) self->cfg.heartbeat_ms * self->cfg.misses);
            zc_core_retire (self->core, zc_node_now ());
            zc_node_execute (self);
        }
        if (retiring && (zc_core_retired (self->core) || zc_node_now () > retire_cap)) {
            zsys_info ("node %u: retired", self->cfg.id);
            break;
        }
        uint64_t now = zc_node_now ();
        uint64_t deadline = zc_core_deadline (self->core);
        if (retiring && retire_cap < deadline)
            deadline = retire_cap + 1;
        long timeout = deadline > now ? (long) (deadline - now) : 0;
        long publish = zc_node_metrics_tick (self);      //  -1: no --metrics
        if (publish >= 0 && publish < timeout)
            timeout = publish;
        size_t count = 0;
        zsock_t *socks [] = { self->peer_router, self->hb_rep, self->hb_req,
                              self->client_router };
        for (size_t i = 0; i < 4; i++)
            if (socks [i])
                items [count++] = (zmq_pollitem_t) { zsock_resolve (socks [i]), 0, ZMQ_POLLIN, 0 };
        size_t storage_at = count;
        items [count++] = (zmq_pollitem_t) {
            zsock_resolve (zc_storage_sock (self->storage)), 0, ZMQ_POLLIN, 0 };
        size_t monitor_at = count;
        if (self->hb_monitor)
            items [count++] = (zmq_pollitem_t) {
                zsock_resolve (zactor_sock (self->hb_monitor)), 0, ZMQ_POLLIN, 0 };
        size_t links_at = count;
        for (size_t i = 0; i < self->link_count; i++)
            items [count++] = (zmq_pollitem_t) {
                zsock_resolve (self->links [i].dealer), 0, ZMQ_POLLIN, 0 };
        size_t links_end = count;
        if (sigfd >= 0)
            items [count++] = (zmq_pollitem_t) { NULL, sigfd, ZMQ_POLLIN, 0 };

        if (zmq_poll (items, (int) count, timeout) < 0) {
            if (errno == EINTR)
                continue;
            zsys_error ("node %u: poll failed: %s", self->cfg.id, zmq_strerror (errno));
            break;
        }
        //  Peer traffic first: a node that was frozen learns the present
        //  before it answers any client.
        zc_node_peer_recv (self);
        if (items [storage_at].revents & ZMQ_POLLIN)
            s_storage_recv (self);
        s_count_security (self);
        zc_node_hb_rep_recv (self);
        if (self->hb_req)
            zc_node_hb_req_recv (self);
        if (self->hb_monitor && (items [monitor_at].revents & ZMQ_POLLIN))
            zc_node_hb_monitor_recv (self);
        for (size_t i = 0; i < self->link_count && links_at + i < links_end; i++)
            if (items [links_at + i].revents & ZMQ_POLLIN)
                zc_node_link_recv (self, &self->links [i]);
        if (self->failed)
            break;
        //  Timers (the election's first), then the clients, then again:
        //  the replica sends this wake-up's new entries at once.
        zc_core_tick (self->core, zc_node_now ());
        zc_node_client_recv (self);
        zc_core_tick (self->core, zc_node_now ());
        zc_node_execute (self);
    }
    zc_core_counters_t counters;
    zc_core_counters (self->core, &counters);
    self->dropped = counters.dropped;
    self->denied = counters.denied;
    self->forged = counters.forged;
    if (self->cfg.trace)
        zc_node_trace_event (self, ZC_TEV_STOP, 0);
    zsys_info ("node %u: stopping", self->cfg.id);
    if (sigfd >= 0)
        close (sigfd);
    return self->failed ? 1 : 0;
}
