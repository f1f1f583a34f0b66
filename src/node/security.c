/*  security.c — the --keys folder, the ZAP handler, CURVE socket set-up
    and handshake watching (docs/PROTOCOL.md §8).

    Why not czmq's zauth: zauth applies one policy (one certificate store)
    to every ZAP domain, and a node needs two: its peer and heartbeat
    ports accept only the members' node keys, its client and PUB ports
    only client keys (or any key).  A node key must never pass as a
    client, nor a client key as a member.  So we answer ZAP ourselves,
    in our own zactor, as zauth does, on inproc://zeromq.zap.01.

    The keys are loaded once, at start, into two in-memory zcertstores
    (zcertstore_new (NULL)): a store on disk re-reads its folder on any
    lookup, which would let a file dropped into nodes/ later join the
    cluster without the checks made here (metadata node = a member ID,
    one key per member).  Changing the keys means restarting the node.
*/
#include "security.h"
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>

#define ZC_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZC_NO_SECRET    "0000000000000000000000000000000000000000"
#define ZC_WATCH_MAX    128

typedef struct {
    uint32_t id;
    char key [41];                  //  Z85
} zc_member_key_t;

struct _zc_security_t {
    char dir [1024];
    uint32_t self_id;
    int clients;                    //  ZC_CLIENTS_*
    zcert_t *node_cert;             //  ours, with its secret
    zcert_t *server_cert;           //  the cluster's client-facing cert, with its secret
    zcertstore_t *nodes;            //  members' public keys; metadata node = ID
    zcertstore_t *allowed;          //  clients/: metadata name = NAME
    size_t client_count;
    zc_member_key_t members [ZC_MAX_PEERS + 1];
    size_t member_count;
    zactor_t *zap;                  //  owns nodes and allowed once started
    zsock_t *zap_handler;           //  bound here, then the ZAP actor's
    atomic_uint_least64_t denied;
    zc_ratelog_t main_log;          //  main thread's lines (zc_security_note)
};

static uint64_t
s_now_ms (void)
{
    return (uint64_t) zclock_mono ();
}

//  --------------------------------------------------------------------
//  Rate-limited lines

bool
zc_ratelog_allow (zc_ratelog_t *self, const char *key, uint64_t now, uint64_t *suppressed)
{
    zc_ratelog_slot_t *slot = NULL;
    zc_ratelog_slot_t *oldest = &self->slots [0];
    for (size_t i = 0; i < ZC_RATELOG_SLOTS; i++) {
        if (self->slots [i].key [0] && streq (self->slots [i].key, key)) {
            slot = &self->slots [i];
            break;
        }
        if (self->slots [i].next < oldest->next)
            oldest = &self->slots [i];
    }
    if (!slot) {
        //  A new key takes the slot that wrote longest ago (or never): a
        //  flood from many addresses churns the table, and then only the
        //  global cap below bounds the lines.
        slot = oldest;
        memset (slot, 0, sizeof *slot);
        snprintf (slot->key, sizeof slot->key, "%s", key);
    }
    if (now < slot->next) {
        slot->suppressed++;
        return false;
    }
    if (now >= self->window + ZC_RATELOG_MS || self->window == 0) {
        self->window = now ? now : 1;
        self->lines = 0;
    }
    if (self->lines >= ZC_RATELOG_BURST) {
        self->suppressed++;
        return false;
    }
    self->lines++;
    *suppressed = slot->suppressed + self->suppressed;
    slot->suppressed = 0;
    self->suppressed = 0;
    slot->next = now + ZC_RATELOG_MS;
    return true;
}

static void
s_warn (zc_ratelog_t *ratelog, const char *key, const char *format, va_list args)
{
    uint64_t suppressed;
    if (!zc_ratelog_allow (ratelog, key, s_now_ms (), &suppressed))
        return;
    char line [600];
    vsnprintf (line, sizeof line, format, args);
    if (suppressed)
        zsys_warning ("%s (and %llu more like it, not logged)", line,
                      (unsigned long long) suppressed);
    else
        zsys_warning ("%s", line);
}

void
zc_ratelog_warn (zc_ratelog_t *self, const char *key, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_warn (self, key, format, args);
    va_end (args);
}

void
zc_security_note (zc_security_t *self, const char *key, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_warn (&self->main_log, key, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------
//  Loading the folder

//  A node ID in decimal, 1..ZC_MAX_NODE_ID, nothing else.
static int
s_parse_id (const char *text, uint32_t *id)
{
    if (!text || !*text || strlen (text) > 7)
        return -1;
    uint32_t value = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        value = value * 10 + (uint32_t) (*c - '0');
    }
    if (value < 1 || value > ZC_MAX_NODE_ID || (text [0] == '0'))
        return -1;
    *id = value;
    return 0;
}

//  Client names: what a chat's "from" may be, so printable and short.
static bool
s_name_ok (const char *name)
{
    if (!name || !*name || strlen (name) > ZC_CLIENT_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if ((unsigned char) *c <= ' ' || *c == 0x7f || *c == ':')
            return false;
    return true;
}

static zcert_t *
s_load (const char *path, bool secret, char *err, size_t errlen)
{
    if (access (path, R_OK)) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return NULL;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        snprintf (err, errlen, "%s: not a certificate (czmq zcert)", path);
        return NULL;
    }
    if (secret) {
        char secret_path [1100];
        snprintf (secret_path, sizeof secret_path, "%s_secret", path);
        struct stat st;
        if (stat (secret_path, &st) || streq (zcert_secret_txt (cert), ZC_NO_SECRET)) {
            snprintf (err, errlen, "%s: no secret key (%s missing)", path, secret_path);
            zcert_destroy (&cert);
            return NULL;
        }
        if (st.st_mode & 077)
            zsys_warning ("%s can be read by others (mode %03o): chmod 600 it",
                          secret_path, (unsigned) (st.st_mode & 0777));
    }
    return cert;
}

//  Every NAME.cert of a folder, sorted, into names (caller frees).
static zlist_t *
s_cert_files (const char *folder, char *err, size_t errlen)
{
    DIR *handle = opendir (folder);
    if (!handle) {
        snprintf (err, errlen, "%s: %s", folder, strerror (errno));
        return NULL;
    }
    zlist_t *names = zlist_new ();
    zlist_autofree (names);
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        size_t len = strlen (entry->d_name);
        if (entry->d_name [0] != '.' && len > 5 && streq (entry->d_name + len - 5, ".cert"))
            zlist_append (names, entry->d_name);
    }
    closedir (handle);
    zlist_sort (names, (zlist_compare_fn *) strcmp);
    return names;
}

static bool
s_member (const uint32_t *members, size_t count, uint32_t id)
{
    for (size_t i = 0; i < count; i++)
        if (members [i] == id)
            return true;
    return false;
}

static int
s_load_nodes (zc_security_t *self, const uint32_t *members, size_t member_count,
              char *err, size_t errlen)
{
    char folder [1100];
    snprintf (folder, sizeof folder, "%s/nodes", self->dir);
    zlist_t *names = s_cert_files (folder, err, errlen);
    if (!names)
        return -1;
    int rc = 0;
    for (char *name = zlist_first (names); name && !rc; name = zlist_next (names)) {
        char path [1400];
        snprintf (path, sizeof path, "%s/%s", folder, name);
        zcert_t *cert = s_load (path, false, err, errlen);
        if (!cert) {
            rc = -1;
            break;
        }
        uint32_t id;
        const char *meta = zcert_meta (cert, "node");
        char stem [256];
        snprintf (stem, sizeof stem, "%.*s", (int) (strlen (name) - 5), name);
        bool member = false;
        if (s_parse_id (meta, &id)) {
            snprintf (err, errlen, "%s: metadata node = \"%s\" is not a node ID", path,
                      meta ? meta : "");
            rc = -1;
        }
        else
        if (!streq (meta, stem)) {
            snprintf (err, errlen, "%s: metadata node = %s, but the file is named for %s",
                      path, meta, stem);
            rc = -1;
        }
        else
        if (zcertstore_lookup (self->nodes, zcert_public_txt (cert))) {
            snprintf (err, errlen, "%s: the same key as another file in nodes/", path);
            rc = -1;
        }
        else
        if (!(member = s_member (members, member_count, id)))
            zsys_warning ("%s: node %u is not a member (--peers); its key is not trusted",
                          path, id);
        else {
            zc_member_key_t *slot = &self->members [self->member_count++];
            slot->id = id;
            snprintf (slot->key, sizeof slot->key, "%s", zcert_public_txt (cert));
            zcertstore_insert (self->nodes, &cert);
        }
        zcert_destroy (&cert);
    }
    zlist_destroy (&names);
    for (size_t i = 0; i < member_count && !rc; i++)
        if (!zc_security_node_key (self, members [i])) {
            snprintf (err, errlen, "%s/%u.cert: missing (member %u has no key)", folder,
                      members [i], members [i]);
            rc = -1;
        }
    if (!rc && !streq (zc_security_node_key (self, self->self_id),
                       zcert_public_txt (self->node_cert))) {
        snprintf (err, errlen, "%s/node.cert and %s/%u.cert differ: peers would not know us",
                  self->dir, folder, self->self_id);
        rc = -1;
    }
    return rc;
}

static int
s_load_clients (zc_security_t *self, char *err, size_t errlen)
{
    char folder [1100];
    snprintf (folder, sizeof folder, "%s/clients", self->dir);
    struct stat st;
    if (stat (folder, &st) && self->clients == ZC_CLIENTS_ANY)
        return 0;           //  any key, none named
    zlist_t *names = s_cert_files (folder, err, errlen);
    if (!names) {
        if (self->clients == ZC_CLIENTS_KEYS)
            snprintf (err + strlen (err), errlen - strlen (err),
                      " (the allowed client certs; or --clients any)");
        return -1;
    }
    int rc = 0;
    for (char *name = zlist_first (names); name && !rc; name = zlist_next (names)) {
        char path [1400];
        snprintf (path, sizeof path, "%s/%s", folder, name);
        zcert_t *cert = s_load (path, false, err, errlen);
        if (!cert) {
            rc = -1;
            break;
        }
        const char *meta = zcert_meta (cert, "name");
        if (!s_name_ok (meta)) {
            snprintf (err, errlen, "%s: metadata name = \"%s\" is not a client name "
                      "(1..%d characters, no spaces or ':')", path, meta ? meta : "",
                      ZC_CLIENT_NAME_MAX);
            rc = -1;
        }
        else
        if (zcertstore_lookup (self->allowed, zcert_public_txt (cert))) {
            snprintf (err, errlen, "%s: the same key as another file in clients/", path);
            rc = -1;
        }
        else {
            zcertstore_insert (self->allowed, &cert);
            self->client_count++;
        }
        zcert_destroy (&cert);
    }
    zlist_destroy (&names);
    if (!rc && !self->client_count && self->clients == ZC_CLIENTS_KEYS)
        zsys_warning ("%s is empty: no client can connect (or use --clients any)", folder);
    return rc;
}

zc_security_t *
zc_security_load (const char *dir, uint32_t self_id, const uint32_t *members,
                  size_t member_count, int clients, char *err, size_t errlen)
{
    assert (member_count <= ZC_MAX_PEERS + 1);
    zc_security_t *self = calloc (1, sizeof *self);
    assert (self);
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    size_t len = strlen (self->dir);
    while (len > 1 && self->dir [len - 1] == '/')
        self->dir [--len] = 0;
    self->self_id = self_id;
    self->clients = clients;
    self->nodes = zcertstore_new (NULL);
    self->allowed = zcertstore_new (NULL);
    char path [1100];
    snprintf (path, sizeof path, "%s/node.cert", self->dir);
    self->node_cert = s_load (path, true, err, errlen);
    if (self->node_cert) {
        const char *meta = zcert_meta (self->node_cert, "node");
        uint32_t id;
        if (s_parse_id (meta, &id) || id != self_id) {
            snprintf (err, errlen, "%s is for node %s, not for --id %u", path,
                      meta ? meta : "(no metadata node)", self_id);
            zc_security_destroy (&self);
            return NULL;
        }
        snprintf (path, sizeof path, "%s/server.cert", self->dir);
        self->server_cert = s_load (path, true, err, errlen);
    }
    if (!self->server_cert
    ||  s_load_nodes (self, members, member_count, err, errlen)
    ||  s_load_clients (self, err, errlen))
        zc_security_destroy (&self);
    return self;
}

void
zc_security_destroy (zc_security_t **self_p)
{
    assert (self_p);
    zc_security_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->zap);
    zcertstore_destroy (&self->nodes);
    zcertstore_destroy (&self->allowed);
    zcert_destroy (&self->node_cert);
    zcert_destroy (&self->server_cert);
    free (self);
    *self_p = NULL;
}

const char *
zc_security_node_key (zc_security_t *self, uint32_t peer)
{
    for (size_t i = 0; i < self->member_count; i++)
        if (self->members [i].id == peer)
            return self->members [i].key;
    return NULL;
}

//  --------------------------------------------------------------------
//  The ZAP decision and handler

int
zc_security_decide (zc_security_t *self, const char *domain, const uint8_t *public_key,
                    char *user_id, size_t cap)
{
    char key [41];
    zmq_z85_encode (key, public_key, 32);
    if (streq (domain, ZC_ZAP_PEER)) {
        zcert_t *cert = zcertstore_lookup (self->nodes, key);
        if (cert) {
            snprintf (user_id, cap, "node:%s", zcert_meta (cert, "node"));
            return 0;
        }
        snprintf (user_id, cap, "not a member's node key");
        return -1;
    }
    if (streq (domain, ZC_ZAP_CLIENT)) {
        zcert_t *cert = zcertstore_lookup (self->allowed, key);
        if (cert) {
            snprintf (user_id, cap, "client:%s", zcert_meta (cert, "name"));
            return 0;
        }
        if (self->clients == ZC_CLIENTS_ANY) {
            snprintf (user_id, cap, "key:%s", key);
            return 0;
        }
        snprintf (user_id, cap, "not an allowed client key");
        return -1;
    }
    snprintf (user_id, cap, "unknown domain");
    return -1;
}

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
        if (zc_ratelog_allow (ratelog, ratekey, s_now_ms (), &suppressed)) {
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
    zc_ratelog_t *ratelog = calloc (1, sizeof *ratelog);
    assert (ratelog);
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
    zsock_destroy (&handler);
    free (ratelog);
}

//  --------------------------------------------------------------------
//  Handshake watching

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
            if (zc_ratelog_allow (ratelog, key, s_now_ms (), &suppressed)) {
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
    zc_watch_t *watches = calloc (ZC_WATCH_MAX, sizeof *watches);
    zc_ratelog_t *ratelog = calloc (1, sizeof *ratelog);
    zmq_pollitem_t *items = calloc (ZC_WATCH_MAX + 1, sizeof *items);
    assert (watches && ratelog && items);
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

//  --------------------------------------------------------------------
//  Sockets

void
zc_security_server (zc_security_t *self, zsock_t *sock, bool peer)
{
    zcert_apply (peer ? self->node_cert : self->server_cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, peer ? ZC_ZAP_PEER : ZC_ZAP_CLIENT);
}

int
zc_security_client (zc_security_t *self, zsock_t *sock, uint32_t peer)
{
    const char *key = zc_security_node_key (self, peer);
    if (!key)
        return -1;
    zcert_apply (self->node_cert, sock);
    zsock_set_curve_serverkey (sock, key);
    return 0;
}

//  --------------------------------------------------------------------
//  User-Id

int
zc_security_uid_node (const char *user_id, uint32_t *node)
{
    if (!user_id || strncmp (user_id, "node:", 5))
        return -1;
    return s_parse_id (user_id + 5, node);
}

bool
zc_security_speaks_for (const char *user_id, uint64_t node)
{
    uint32_t id;
    return zc_security_uid_node (user_id, &id) == 0 && id == node;
}
