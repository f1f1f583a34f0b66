/*  chat_keygen.c — chat-keygen: the CURVE certificates and trust folders of
    a zchat cluster, as czmq zcert files (docs/PROTOCOL.md, README
    "Security").

        chat-keygen cluster OUT --nodes 1,2,3 [--clients a,b] [--force]
        chat-keygen node OUT ID [--force]
        chat-keygen client OUT NAME [--force]

    The layout, one folder per machine:

        OUT/node-N/node.cert (+ _secret)    this node's key, metadata node = "N"
        OUT/node-N/server.cert (+ _secret)  the cluster's client-facing key,
                                            the same on every node
        OUT/node-N/nodes/<ID>.cert          every member's public key
        OUT/node-N/clients/<NAME>.cert      allowed clients, metadata name = "NAME"
        OUT/client-NAME/client.cert (+ _secret)  metadata name = "NAME"
        OUT/client-NAME/server.cert         the cluster's public server key

    Why one server key shared by every node, not each node's own: a client
    talks to every node and follows the leader, so it needs one key to trust,
    and a new node must not make every client re-learn the cluster.  Node
    keys stay per node because a node's key is what lets it vote in its own
    name and no other (the User-Id "node:ID").

    Secrets are 0600 and folders 0700, set with chmod after each write:
    zcert_save resets the process umask (zsys_file_mode_default), so a umask
    set here would not hold.  Existing keys are never replaced without
    --force: replacing a node's key locks it out of its cluster until every
    member has the new public half.
*/
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "config.h"
#include "numparse.h"
#include "oom.h"

#define S_MAX_NAME     64           //  a client name is its chat "from" (1..64)
#define S_MAX_NODES    (ZC_MAX_PEERS + 1)
#define S_MAX_CLIENTS  1000         //  per "cluster" command; "client" adds more

static const char s_usage [] =
"usage:\n"
"  chat-keygen cluster OUT --nodes 1,2,3 [--clients a,b] [--force]\n"
"      make every key of a new cluster in OUT: OUT/node-N/ for each node id,\n"
"      OUT/client-NAME/ for each client name\n"
"  chat-keygen client OUT NAME [--force]\n"
"      add a client: OUT/client-NAME/, and clients/NAME.cert in every\n"
"      OUT/node-*/ folder\n"
"  chat-keygen node OUT ID [--force]\n"
"      add a node: OUT/node-ID/ (with the cluster's server key), and\n"
"      nodes/ID.cert in every OUT/node-*/ folder\n"
"\n"
"  --force   replace keys that already exist (the old ones stop working)\n"
"\n"
"Node ids are 1..1000000; client names 1..64 characters of A-Z a-z 0-9 _ . -\n"
"(not starting with '.').  Secrets are written 0600, folders 0700.  Copy\n"
"OUT/node-N/ to machine N and start chat-node --keys DIR/node-N; give\n"
"OUT/client-NAME/ to NAME, who runs chat-client --keys DIR/client-NAME.\n";


static void
s_die (const char *fmt, ...) CHECK_PRINTF (1);

//  One line on stderr, exit 2 (as chat-node does on bad flags)
static void
s_die (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    fputs ("chat-keygen: ", stderr);
    vfprintf (stderr, fmt, args);
    fputc ('\n', stderr);
    va_end (args);
    exit (2);
}

//  A list of strings we own
typedef struct {
    size_t count;
    char **item;
} s_names_t;

static void
s_names_add (s_names_t *names, const char *text, size_t len)
{
    names->item = (char **) ZC_ALLOC (realloc (names->item,
                                               (names->count + 1) * sizeof (char *)));
    names->item [names->count++] = ZC_ALLOC (strndup (text, len));
}

static bool
s_names_has (const s_names_t *names, const char *text)
{
    for (size_t i = 0; i < names->count; i++)
        if (streq (names->item [i], text))
            return true;
    return false;
}

static void
s_names_free (s_names_t *names)
{
    for (size_t i = 0; i < names->count; i++)
        free (names->item [i]);
    free (names->item);
    names->item = NULL;
    names->count = 0;
}

//  Strict decimal node id, 1..ZC_MAX_NODE_ID, or 0 if text is not one
static uint32_t
s_parse_id (const char *text)
{
    uint64_t id;
    if (zc_parse_u64 (text, 1, ZC_MAX_NODE_ID, &id) != ZC_PARSE_OK)
        return 0;
    return (uint32_t) id;
}

static uint32_t
s_node_id (const char *text)
{
    uint32_t id = s_parse_id (text);
    if (!id)
        s_die ("node id '%s' is not a number 1..%u", text, ZC_MAX_NODE_ID);
    return id;
}

//  A client name becomes a file name and the chat "from": keep it to
//  characters every file system and terminal takes as they are.
static const char *
s_client_name (const char *name)
{
    size_t len = strlen (name);
    if (len < 1 || len > S_MAX_NAME || name [0] == '.'
    ||  strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789_.-") != len)
        s_die ("client name '%s': want 1..%d of A-Z a-z 0-9 _ . - "
               "(not starting with '.')", name, S_MAX_NAME);
    return name;
}

//  Splits "a,b,c"; empty and repeated items are refused.
static s_names_t
s_split (const char *flag, const char *text)
{
    s_names_t items = { 0, NULL };
    for (const char *start = text; ; ) {
        size_t len = strcspn (start, ",");
        if (len == 0)
            s_die ("%s: empty item in '%s'", flag, text);
        char *item = strndup (start, len);
        if (s_names_has (&items, item))
            s_die ("%s: '%s' twice", flag, item);
        s_names_add (&items, item, len);
        free (item);
        if (!start [len])
            break;
        start += len + 1;
    }
    return items;
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

static bool
s_is_dir (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static void
s_chmod (const char *path, mode_t mode)
{
    if (chmod (path, mode))
        s_die ("cannot chmod %s: %s", path, strerror (errno));
}

//  mkdir that accepts an existing folder, then 0700 either way: the
//  folders hold secrets.
static void
s_folder (const char *path)
{
    if (mkdir (path, 0700) && errno != EEXIST)
        s_die ("cannot make %s: %s", path, strerror (errno));
    if (!s_is_dir (path))
        s_die ("%s exists and is not a folder", path);
    s_chmod (path, 0700);
}

//  Writes the public half to path (0644) and, if with_secret, the secret
//  half to path_secret (0600).
static void
s_save (zcert_t *cert, const char *path, bool with_secret)
{
    int rc = with_secret ? zcert_save (cert, path) : zcert_save_public (cert, path);
    if (rc)
        s_die ("cannot write %s: %s", path, strerror (errno));
    s_chmod (path, 0644);
    if (with_secret) {
        char secret [PATH_MAX];
        if ((size_t) snprintf (secret, sizeof secret, "%s_secret", path) >= sizeof secret)
            s_die ("path too long: %s_secret", path);
        s_chmod (secret, 0600);
    }
}

//  A new key pair with one metadata field (none if name is NULL)
static zcert_t *
s_new_cert (const char *name, const char *value)
{
    zcert_t *cert = zcert_new ();
    if (!cert)
        s_die ("cannot make a key pair");
    if (name)
        zcert_set_meta (cert, name, "%s", value);
    return cert;
}

//  Refuses to go on if path exists, unless --force
static void
s_fresh (const char *path, bool force)
{
    if (!force && s_exists (path))
        s_die ("%s exists: keys are never replaced without --force (the old "
               "ones would stop working)", path);
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

//  The ids of OUT's node-<ID> folders, in id order
static size_t
s_node_folders (const char *out, uint32_t *ids, size_t max)
{
    size_t count = 0;
    DIR *dir = opendir (out);
    if (!dir)
        return 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", out, entry->d_name);
        uint32_t id = strncmp (entry->d_name, "node-", 5) == 0
                    ? s_parse_id (entry->d_name + 5) : 0;
        if (id && s_is_dir (path) && count < max)
            ids [count++] = id;
    }
    closedir (dir);
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0 && ids [j - 1] > ids [j]; j--) {
            uint32_t swap = ids [j];
            ids [j] = ids [j - 1];
            ids [j - 1] = swap;
        }
    return count;
}

//  The names of OUT's client-<NAME> folders, sorted
static s_names_t
s_client_folders (const char *out)
{
    s_names_t names = { 0, NULL };
    DIR *dir = opendir (out);
    if (!dir)
        return names;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", out, entry->d_name);
        if (strncmp (entry->d_name, "client-", 7) == 0 && entry->d_name [7]
        &&  s_is_dir (path))
            s_names_add (&names, entry->d_name + 7, strlen (entry->d_name + 7));
    }
    closedir (dir);
    if (names.count)
        qsort (names.item, names.count, sizeof (char *), s_compare);
    return names;
}

//  Copies every *.cert of from/ into to/, through zcert so that only
//  certificates travel, and only their public halves.
static size_t
s_copy_certs (const char *from, const char *to)
{
    size_t copied = 0;
    DIR *dir = opendir (from);
    if (!dir)
        return 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len < 6 || strcmp (entry->d_name + len - 5, ".cert") != 0)
            continue;
        char source [PATH_MAX], target [PATH_MAX];
        snprintf (source, sizeof source, "%s/%s", from, entry->d_name);
        snprintf (target, sizeof target, "%s/%s", to, entry->d_name);
        if (streq (source, target))
            continue;
        zcert_t *cert = zcert_load (source);
        if (!cert)
            s_die ("%s is not a certificate", source);
        s_save (cert, target, false);
        zcert_destroy (&cert);
        copied++;
    }
    closedir (dir);
    return copied;
}

//  Removes every *.cert of a trust folder: a new cluster's folders must
//  trust its keys and no key left from before.
static void
s_clear_certs (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len < 6 || strcmp (entry->d_name + len - 5, ".cert") != 0)
            continue;
        char file [PATH_MAX];
        snprintf (file, sizeof file, "%s/%s", path, entry->d_name);
        if (unlink (file))
            s_die ("cannot remove %s: %s", file, strerror (errno));
    }
    closedir (dir);
}

//  The cluster's server key from OUT/node-ID/server.cert.  czmq's
//  zcert_load also reads PATH_secret when it exists, and leaves the secret
//  all zeros when it does not: want_secret refuses that.
static zcert_t *
s_load_server (const char *out, uint32_t id, bool want_secret)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/node-%u/server.cert", out, (unsigned) id);
    zcert_t *cert = s_exists (path) ? zcert_load (path) : NULL;
    if (!cert)
        s_die ("cannot read %s (made by 'chat-keygen cluster')", path);
    if (want_secret && strspn (zcert_secret_txt (cert), "0") == 40)
        s_die ("no %s_secret: the new node needs the cluster's server secret", path);
    return cert;
}

static void
s_print_copy_hint (void)
{
    printf ("Copy folders with their modes (scp -rp, rsync -a, tar): chat-node\n"
            "refuses a secret that others can read.  Never copy a *_secret file\n"
            "anywhere but the one machine it was made for.\n");
}

//  OUT/node-ID/ with the node's own key and the cluster's server key, both
//  with their secrets
static void
s_save_node_folder (const char *out, unsigned id, zcert_t *cert, zcert_t *server)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/node-%u", out, id);
    s_folder (path);
    snprintf (path, sizeof path, "%s/node-%u/node.cert", out, id);
    s_save (cert, path, true);
    snprintf (path, sizeof path, "%s/node-%u/server.cert", out, id);
    s_save (server, path, true);
}

//  OUT/client-NAME/ with the client's own key (and secret) and the
//  cluster's public server key
static void
s_save_client_folder (const char *out, const char *name, zcert_t *cert, zcert_t *server)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/client-%s", out, name);
    s_folder (path);
    snprintf (path, sizeof path, "%s/client-%s/client.cert", out, name);
    s_save (cert, path, true);
    snprintf (path, sizeof path, "%s/client-%s/server.cert", out, name);
    s_save (server, path, false);
}

static void
s_print_node_folder (const char *out, unsigned id)
{
    printf ("  %s/node-%u/  -> the machine of node %u: chat-node --id %u "
            "--keys DIR/node-%u --peers ...\n", out, id, id, id, id);
}

static void
s_print_client_folder (const char *out, const char *name)
{
    printf ("  %s/client-%s/  -> %s: chat-client --keys DIR/client-%s "
            "--servers ...\n", out, name, name, name);
}

//  The members of the cluster in OUT (its node-*/ folders), for 'node' and
//  'client'; members holds S_MAX_NODES + 1
static size_t
s_members (const char *out, uint32_t *members)
{
    size_t count = s_node_folders (out, members, S_MAX_NODES + 1);
    if (count == 0)
        s_die ("no node-*/ folder in %s: make the cluster with 'chat-keygen "
               "cluster %s --nodes ...' first", out, out);
    return count;
}

//  Refuses, unless force, a key that is there: OWN, and every member's
//  node-ID/SUB/FILE.cert
static void
s_fresh_everywhere (const char *own, const char *out, const uint32_t *members,
                    size_t count, const char *sub, const char *file, bool force)
{
    s_fresh (own, force);
    for (size_t i = 0; i < count; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/node-%u/%s/%s.cert", out,
                  (unsigned) members [i], sub, file);
        s_fresh (path, force);
    }
}

//  The public key of cert to every member: node-ID/SUB/FILE.cert
static void
s_save_everywhere (zcert_t *cert, const char *out, const uint32_t *members,
                   size_t count, const char *sub, const char *file)
{
    for (size_t i = 0; i < count; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/node-%u/%s", out, (unsigned) members [i], sub);
        s_folder (path);
        snprintf (path, sizeof path, "%s/node-%u/%s/%s.cert", out,
                  (unsigned) members [i], sub, file);
        s_save (cert, path, false);
    }
}

//  chat-keygen cluster OUT --nodes LIST [--clients LIST] [--force]
static int
s_cluster (const char *out, const char *nodes_arg, const char *clients_arg, bool force)
{
    if (!nodes_arg)
        s_die ("cluster: --nodes 1,2,3 is required");
    s_names_t node_arg = s_split ("--nodes", nodes_arg);
    s_names_t clients = { 0, NULL };
    if (clients_arg)
        clients = s_split ("--clients", clients_arg);
    if (node_arg.count > S_MAX_NODES)
        s_die ("--nodes: more than %d nodes", S_MAX_NODES);
    if (clients.count > S_MAX_CLIENTS)
        s_die ("--clients: more than %d at once (add more with 'chat-keygen client')",
               S_MAX_CLIENTS);
    uint32_t ids [S_MAX_NODES];
    size_t nodes = node_arg.count;
    for (size_t i = 0; i < nodes; i++) {
        ids [i] = s_node_id (node_arg.item [i]);
        for (size_t j = 0; j < i; j++)
            if (ids [j] == ids [i])
                s_die ("--nodes: node %u twice", (unsigned) ids [i]);
    }
    for (size_t i = 0; i < clients.count; i++)
        s_client_name (clients.item [i]);

    //  A second cluster over a first would leave the old cluster's node
    //  folders beside the new ones, with another server key: refuse
    //  unless --force, and then replace only what is named.
    uint32_t old [S_MAX_NODES];
    s_names_t old_clients = s_client_folders (out);
    size_t old_nodes = s_node_folders (out, old, S_MAX_NODES);
    if (!force && (old_nodes || old_clients.count))
        s_die ("%s already holds keys (%s%s%s): keys are never replaced without "
               "--force (the old ones would stop working)", out,
               old_nodes ? "node folders" : "", old_nodes && old_clients.count ? ", " : "",
               old_clients.count ? "client folders" : "");
    //  OUT itself may be any folder of the admin's ("." even): made 0700
    //  if new, left as it is otherwise
    if (!s_exists (out) && mkdir (out, 0700))
        s_die ("cannot make %s: %s", out, strerror (errno));
    if (!s_is_dir (out))
        s_die ("%s is not a folder", out);

    zcert_t *server = s_new_cert (NULL, NULL);
    zcert_t *node_cert [S_MAX_NODES];
    for (size_t i = 0; i < nodes; i++) {
        char id [16];
        snprintf (id, sizeof id, "%u", (unsigned) ids [i]);
        node_cert [i] = s_new_cert ("node", id);
    }
    zcert_t **client_cert = (zcert_t **) ZC_ALLOC (calloc (clients.count + 1,
                                                           sizeof (zcert_t *)));
    for (size_t i = 0; i < clients.count; i++)
        client_cert [i] = s_new_cert ("name", clients.item [i]);

    char path [PATH_MAX];
    for (size_t i = 0; i < nodes; i++) {
        unsigned id = (unsigned) ids [i];
        s_save_node_folder (out, id, node_cert [i], server);
        snprintf (path, sizeof path, "%s/node-%u/nodes", out, id);
        s_folder (path);
        s_clear_certs (path);
        for (size_t j = 0; j < nodes; j++) {
            snprintf (path, sizeof path, "%s/node-%u/nodes/%u.cert", out, id,
                      (unsigned) ids [j]);
            s_save (node_cert [j], path, false);
        }
        snprintf (path, sizeof path, "%s/node-%u/clients", out, id);
        s_folder (path);
        s_clear_certs (path);
        for (size_t j = 0; j < clients.count; j++) {
            snprintf (path, sizeof path, "%s/node-%u/clients/%s.cert", out, id,
                      clients.item [j]);
            s_save (client_cert [j], path, false);
        }
    }
    for (size_t i = 0; i < clients.count; i++)
        s_save_client_folder (out, clients.item [i], client_cert [i], server);

    printf ("Made the keys of a %zu-node cluster in %s/ (server key %s):\n",
            nodes, out, zcert_public_txt (server));
    for (size_t i = 0; i < nodes; i++)
        s_print_node_folder (out, (unsigned) ids [i]);
    for (size_t i = 0; i < clients.count; i++)
        s_print_client_folder (out, clients.item [i]);
    for (size_t i = 0; i < old_nodes; i++) {
        bool kept = false;
        for (size_t j = 0; j < nodes; j++)
            kept |= ids [j] == old [i];
        if (!kept)
            printf ("  %s/node-%u/ is left from the keys replaced: it no longer works, "
                    "remove it\n", out, (unsigned) old [i]);
    }
    for (size_t i = 0; i < old_clients.count; i++)
        if (!s_names_has (&clients, old_clients.item [i]))
            printf ("  %s/client-%s/ is left from the keys replaced: it no longer "
                    "works, remove it\n", out, old_clients.item [i]);
    if ((old_nodes || old_clients.count) && force)
        printf ("Replaced the keys that were there: copy every folder again.\n");
    s_print_copy_hint ();

    s_names_free (&old_clients);
    zcert_destroy (&server);
    for (size_t i = 0; i < nodes; i++)
        zcert_destroy (&node_cert [i]);
    for (size_t i = 0; i < clients.count; i++)
        zcert_destroy (&client_cert [i]);
    free (client_cert);
    s_names_free (&node_arg);
    s_names_free (&clients);
    return 0;
}

//  chat-keygen node OUT ID [--force]: a new member, with the cluster's
//  server key and the public keys of every member and client it will know
static int
s_node (const char *out, const char *id_arg, bool force)
{
    unsigned id = (unsigned) s_node_id (id_arg);
    char id_text [16];
    snprintf (id_text, sizeof id_text, "%u", id);
    uint32_t members [S_MAX_NODES + 1];
    size_t count = s_members (out, members);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/node-%u/node.cert", out, id);
    s_fresh_everywhere (path, out, members, count, "nodes", id_text, force);
    //  The other members' folders hold what the new one must know
    unsigned source = 0;
    for (size_t i = 0; i < count && !source; i++)
        if (members [i] != id)
            source = (unsigned) members [i];
    if (!source)
        s_die ("node %u is the only node folder in %s: nothing to copy from", id, out);
    zcert_t *server = s_load_server (out, source, true);
    zcert_t *cert = s_new_cert ("node", id_text);

    char from [PATH_MAX];
    s_save_node_folder (out, id, cert, server);
    snprintf (path, sizeof path, "%s/node-%u/nodes", out, id);
    s_folder (path);
    snprintf (from, sizeof from, "%s/node-%u/nodes", out, source);
    s_copy_certs (from, path);
    snprintf (path, sizeof path, "%s/node-%u/clients", out, id);
    s_folder (path);
    snprintf (from, sizeof from, "%s/node-%u/clients", out, source);
    size_t client_count = s_copy_certs (from, path);

    //  ... and every member must know the new one, itself included
    bool listed = false;
    for (size_t i = 0; i < count; i++)
        listed |= members [i] == id;
    if (!listed)
        members [count++] = id;
    s_save_everywhere (cert, out, members, count, "nodes", id_text);

    printf ("Made node %u (key %s) in %s/node-%u/, with the cluster's server key\n"
            "and %zu client certificates:\n", id, zcert_public_txt (cert), out, id,
            client_count);
    s_print_node_folder (out, id);
    for (size_t i = 0; i < count; i++)
        if (members [i] != id)
            printf ("  %s/node-%u/nodes/%u.cert  -> the machine of node %u, into "
                    "DIR/node-%u/nodes/\n", out, (unsigned) members [i], id,
                    (unsigned) members [i], (unsigned) members [i]);
    printf ("Then restart every node with node %u in its --peers: members must all\n"
            "list the same members (the membership hash), and a node reads nodes/\n"
            "when it starts.\n", id);
    s_print_copy_hint ();
    zcert_destroy (&cert);
    zcert_destroy (&server);
    return 0;
}

//  chat-keygen client OUT NAME [--force]: a new client key, trusted by
//  every node folder in OUT
static int
s_client (const char *out, const char *name, bool force)
{
    s_client_name (name);
    uint32_t members [S_MAX_NODES + 1];
    size_t count = s_members (out, members);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/client-%s/client.cert", out, name);
    s_fresh_everywhere (path, out, members, count, "clients", name, force);
    zcert_t *server = s_load_server (out, members [0], false);
    zcert_t *cert = s_new_cert ("name", name);

    s_save_client_folder (out, name, cert, server);
    s_save_everywhere (cert, out, members, count, "clients", name);

    printf ("Made client %s (key %s) in %s/client-%s/:\n", name,
            zcert_public_txt (cert), out, name);
    s_print_client_folder (out, name);
    for (size_t i = 0; i < count; i++)
        printf ("  %s/node-%u/clients/%s.cert  -> the machine of node %u, into "
                "DIR/node-%u/clients/\n", out, (unsigned) members [i], name,
                (unsigned) members [i], (unsigned) members [i]);
    printf ("Messages from this key carry the name \"%s\", whatever --name says.\n", name);
    s_print_copy_hint ();
    zcert_destroy (&cert);
    zcert_destroy (&server);
    return 0;
}

int
main (int argc, char **argv)
{
    //  Flags may come anywhere after the command; the rest are operands
    const char *operand [3] = { NULL, NULL, NULL };
    size_t operands = 0;
    const char *nodes = NULL, *clients = NULL;
    bool force = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if (streq (arg, "-h") || streq (arg, "--help")) {
            fputs (s_usage, stdout);
            return 0;
        }
        if (streq (arg, "--force"))
            force = true;
        else
        if (streq (arg, "--nodes") || streq (arg, "--clients")) {
            if (i + 1 == argc)
                s_die ("%s: missing value", arg);
            *(streq (arg, "--nodes") ? &nodes : &clients) = argv [++i];
        }
        else
        if (strncmp (arg, "--nodes=", 8) == 0)
            nodes = arg + 8;
        else
        if (strncmp (arg, "--clients=", 10) == 0)
            clients = arg + 10;
        else
        if (arg [0] == '-' && arg [1])
            s_die ("unknown option %s (see chat-keygen --help)", arg);
        else
        if (operands == 3)
            s_die ("unexpected argument '%s'", arg);
        else
            operand [operands++] = arg;
    }
    if (operands == 0) {
        fputs (s_usage, stderr);
        return 2;
    }
    const char *command = operand [0];
    if (!operand [1] || !*operand [1])
        s_die ("%s: the output folder is missing (see chat-keygen --help)", command);
    const char *out = operand [1];
    if (streq (command, "cluster")) {
        if (operands > 2)
            s_die ("cluster: unexpected argument '%s'", operand [2]);
        return s_cluster (out, nodes, clients, force);
    }
    if (nodes || clients)
        s_die ("%s: --nodes and --clients are for 'cluster'", command);
    if (streq (command, "node") || streq (command, "client")) {
        if (!operand [2])
            s_die ("%s: the %s is missing (chat-keygen %s OUT %s)", command,
                   streq (command, "node") ? "node id" : "client name", command,
                   streq (command, "node") ? "ID" : "NAME");
        return streq (command, "node") ? s_node (out, operand [2], force)
                                       : s_client (out, operand [2], force);
    }
    s_die ("unknown command '%s': cluster, node or client (see chat-keygen --help)",
           command);
    return 2;
}
