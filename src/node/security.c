/*  security.c — the --keys folder, the ZAP decision, CURVE socket set-up
    and User-Id checks (security.h, docs/PROTOCOL.md §8).  The ZAP
    handler thread is zap.c, the handshake watcher watcher.c, the
    bounded log ratelog.c.

    The keys are loaded once, at start, into two in-memory zcertstores
    (zcertstore_new (NULL)): a store on disk re-reads its folder on any
    lookup, which would let a file dropped into nodes/ later join the
    cluster without the checks made here (metadata node = a member ID,
    one key per member).  Changing the keys means restarting the node.
*/
#include "security_impl.h"
#include "numparse.h"
#include "oom.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#define ZC_NO_SECRET    "0000000000000000000000000000000000000000"

void
zc_security_note (zc_security_t *self, const char *key, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    zc_ratelog_vwarn (&self->main_log, key, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------
//  Loading the folder

//  A node ID in decimal, 1..ZC_MAX_NODE_ID, nothing else (numparse.h), and
//  without a leading zero: one id, one spelling.
static int
s_parse_id (const char *text, uint32_t *id)
{
    uint64_t value;
    if (!text || text [0] == '0'
    ||  zc_parse_u64 (text, 1, ZC_MAX_NODE_ID, &value) != ZC_PARSE_OK)
        return -1;
    *id = (uint32_t) value;
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

//  Loads each of the names (NAME.cert files in folder) and hands it to fn,
//  which may take the cert (zcertstore_insert) or leave it to be destroyed;
//  stops at the first that fails to load or that fn refuses (non-zero).
//  Destroys names.
typedef int (s_cert_fn) (zc_security_t *self, zcert_t **cert_p, const char *path,
                         const char *name, void *arg, char *err, size_t errlen);

static int
s_each_cert (zc_security_t *self, const char *folder, zlist_t **names_p,
             s_cert_fn *fn, void *arg, char *err, size_t errlen)
{
    zlist_t *names = *names_p;
    int rc = 0;
    for (char *name = zlist_first (names); name && !rc; name = zlist_next (names)) {
        char path [1400];
        snprintf (path, sizeof path, "%s/%s", folder, name);
        zcert_t *cert = s_load (path, false, err, errlen);
        if (!cert) {
            rc = -1;
            break;
        }
        rc = fn (self, &cert, path, name, arg, err, errlen);
        zcert_destroy (&cert);
    }
    zlist_destroy (names_p);
    return rc;
}

typedef struct {
    const uint32_t *members;
    size_t count;
} s_members_t;

//  s_cert_fn for nodes/ID.cert: trusted when ID is one of the members
static int
s_trust_node (zc_security_t *self, zcert_t **cert_p, const char *path,
              const char *name, void *arg, char *err, size_t errlen)
{
    s_members_t *members = (s_members_t *) arg;
    zcert_t *cert = *cert_p;
    uint32_t id;
    const char *meta = zcert_meta (cert, "node");
    char stem [256];
    snprintf (stem, sizeof stem, "%.*s", (int) (strlen (name) - 5), name);
    if (s_parse_id (meta, &id)) {
        snprintf (err, errlen, "%s: metadata node = \"%s\" is not a node ID", path,
                  meta ? meta : "");
        return -1;
    }
    if (!streq (meta, stem)) {
        snprintf (err, errlen, "%s: metadata node = %s, but the file is named for %s",
                  path, meta, stem);
        return -1;
    }
    if (zcertstore_lookup (self->nodes, zcert_public_txt (cert))) {
        snprintf (err, errlen, "%s: the same key as another file in nodes/", path);
        return -1;
    }
    if (!s_member (members->members, members->count, id))
        zsys_warning ("%s: node %u is not a member (--peers); its key is not trusted",
                      path, id);
    else {
        zc_member_key_t *slot = &self->members [self->member_count++];
        slot->id = id;
        snprintf (slot->key, sizeof slot->key, "%s", zcert_public_txt (cert));
        zcertstore_insert (self->nodes, cert_p);
    }
    return 0;
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
    s_members_t arg = { members, member_count };
    int rc = s_each_cert (self, folder, &names, s_trust_node, &arg, err, errlen);
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

//  s_cert_fn for clients/NAME.cert: allowed when its metadata name is valid
static int
s_allow_client (zc_security_t *self, zcert_t **cert_p, const char *path,
                const char *name, void *arg, char *err, size_t errlen)
{
    (void) name;
    (void) arg;
    const char *meta = zcert_meta (*cert_p, "name");
    if (!s_name_ok (meta)) {
        snprintf (err, errlen, "%s: metadata name = \"%s\" is not a client name "
                  "(1..%d characters, no spaces or ':')", path, meta ? meta : "",
                  ZC_CLIENT_NAME_MAX);
        return -1;
    }
    if (zcertstore_lookup (self->allowed, zcert_public_txt (*cert_p))) {
        snprintf (err, errlen, "%s: the same key as another file in clients/", path);
        return -1;
    }
    zcertstore_insert (self->allowed, cert_p);
    self->client_count++;
    return 0;
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
    int rc = s_each_cert (self, folder, &names, s_allow_client, NULL, err, errlen);
    if (!rc && !self->client_count && self->clients == ZC_CLIENTS_KEYS)
        zsys_warning ("%s is empty: no client can connect (or use --clients any)", folder);
    return rc;
}

zc_security_t *
zc_security_load (const char *dir, uint32_t self_id, const uint32_t *members,
                  size_t member_count, int clients, char *err, size_t errlen)
{
    //  The member table is fixed (ZC_MAX_PEERS + 1): more members than
    //  that are refused here, not written past its end.
    if (member_count > ZC_MAX_PEERS + 1) {
        snprintf (err, errlen, "%zu members: at most %d (the node and %d peers)",
                  member_count, ZC_MAX_PEERS + 1, ZC_MAX_PEERS);
        return NULL;
    }
    zc_security_t *self = ZC_ALLOC (calloc (1, sizeof *self));
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
//  The ZAP decision (the handler thread is zap.c)

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
