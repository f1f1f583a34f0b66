/*  config.c — see config.h

    Flags are read with getopt_long (czmq's zargs is draft-only, not in
    Debian).  Values that depend on each other (--peers on --id, --port and
    --bind; --lease-ms on --heartbeat-ms and --misses; --quorum on --peers)
    are checked after the whole line is read, so flag order never matters.

    --config FILE: config_file.c splits the file into (key, value, line)
    settings; each key is looked up in the same option table as a flag,
    and each value goes through the same s_option.  A key the command line
    gave is skipped before its value is read, so the flag wins even over a
    value that would not parse.
*/
#include "config.h"
#include "config_impl.h"
#include "members.h"
#include "config_file.h"
#include "numparse.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <arpa/inet.h>


enum {
    OPT_ID = 256, OPT_PORT, OPT_BIND, OPT_PEERS, OPT_HEARTBEAT, OPT_MISSES,
    OPT_ELECTION, OPT_LEASE, OPT_HOLDDOWN, OPT_QUORUM, OPT_DATA_DIR,
    OPT_FSYNC, OPT_RETAIN_MB, OPT_RETAIN_HOURS, OPT_CLIENT_TTL, OPT_MAX_CLIENT_IDS,
    OPT_KEYS, OPT_CLIENTS,
    OPT_MAX_TEXT, OPT_MAX_FRAME, OPT_MAX_ROOMS, OPT_MAX_CLIENTS, OPT_RATE,
    OPT_PUB_HWM, OPT_REPLY_HWM, OPT_MAX_EPOCH_JUMP, OPT_TRACE,
    OPT_METRICS, OPT_INITIAL, OPT_CONFIG
};

static const struct option s_options [] = {
    { "id",                  required_argument, NULL, OPT_ID },
    { "port",                required_argument, NULL, OPT_PORT },
    { "bind",                required_argument, NULL, OPT_BIND },
    { "peers",               required_argument, NULL, OPT_PEERS },
    { "heartbeat-ms",        required_argument, NULL, OPT_HEARTBEAT },
    { "misses",              required_argument, NULL, OPT_MISSES },
    { "election-timeout-ms", required_argument, NULL, OPT_ELECTION },
    { "lease-ms",            required_argument, NULL, OPT_LEASE },
    { "holddown-ms",         required_argument, NULL, OPT_HOLDDOWN },
    { "quorum",              required_argument, NULL, OPT_QUORUM },
    { "data-dir",            required_argument, NULL, OPT_DATA_DIR },
    { "fsync",               required_argument, NULL, OPT_FSYNC },
    { "retain-mb",           required_argument, NULL, OPT_RETAIN_MB },
    { "retain-hours",        required_argument, NULL, OPT_RETAIN_HOURS },
    { "client-ttl",          required_argument, NULL, OPT_CLIENT_TTL },
    { "max-client-ids",      required_argument, NULL, OPT_MAX_CLIENT_IDS },
    { "keys",                required_argument, NULL, OPT_KEYS },
    { "clients",             required_argument, NULL, OPT_CLIENTS },
    { "max-text",            required_argument, NULL, OPT_MAX_TEXT },
    { "max-frame",           required_argument, NULL, OPT_MAX_FRAME },
    { "max-rooms",           required_argument, NULL, OPT_MAX_ROOMS },
    { "max-clients",         required_argument, NULL, OPT_MAX_CLIENTS },
    { "rate",                required_argument, NULL, OPT_RATE },
    { "pub-hwm",             required_argument, NULL, OPT_PUB_HWM },
    { "reply-hwm",           required_argument, NULL, OPT_REPLY_HWM },
    { "max-epoch-jump",      required_argument, NULL, OPT_MAX_EPOCH_JUMP },
    { "trace",               no_argument,       NULL, OPT_TRACE },
    { "metrics",             required_argument, NULL, OPT_METRICS },
    { "initial-cluster-state", required_argument, NULL, OPT_INITIAL },
    { "config",              required_argument, NULL, OPT_CONFIG },
    { "verbose",             no_argument,       NULL, 'v' },
    { "help",                no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};
#define S_OPTION_COUNT (sizeof s_options / sizeof s_options [0] - 1)

static const char s_usage [] =
"usage: chat-node --id N [options]\n"
"       chat-node --config FILE [options]\n"
"\n"
"  --config FILE            read flags from FILE: \"key = value\" lines, the key a\n"
"                           long flag name without --, # comments; a flag on\n"
"                           the command line wins over the file's line\n"
"  --id N                   this node's id, 1..1000000 (required); the highest\n"
"                           live id that reaches a quorum leads\n"
"  --port P                 base port, 1..62535 (default 50051): client ROUTER\n"
"                           at P, PUB at P+1000, peer ROUTER at P+2000,\n"
"                           heartbeat REP at P+3000\n"
"  --bind ADDR              interface to bind (default 127.0.0.1 without --keys,\n"
"                           \"*\" (all) with --keys); without --keys, any other\n"
"                           address opens every port, unauthenticated, to\n"
"                           whoever can reach it\n"
"  --peers LIST             the other members, \"ID:HOST:PORT,...\" with each\n"
"                           peer's base port (default: none, a cluster of one);\n"
"                           every node must list the same members; the first\n"
"                           membership only (chat-client admin changes it)\n"
"  --heartbeat-ms MS        backup->leader heartbeat interval, 10..60000\n"
"                           (default 100)\n"
"  --misses N               missed heartbeats before the leader is suspected,\n"
"                           1..100 (default 3)\n"
"  --election-timeout-ms MS wait for ANSWER / COORDINATOR / votes, >= 10\n"
"                           (default 2 * heartbeat-ms)\n"
"  --lease-ms MS            the leader serves only while a quorum answered\n"
"                           within MS; heartbeat-ms..heartbeat-ms*misses\n"
"                           (default heartbeat-ms * misses)\n"
"  --holddown-ms MS         a returning higher node must be a healthy backup\n"
"                           this long before the leader hands over to it\n"
"                           (default 2000)\n"
"  --quorum N               members needed to elect and commit, 1..members\n"
"                           (default a majority, members/2+1); lower than a\n"
"                           majority trades safety for availability: two\n"
"                           sides of a partition can then both lead\n"
"  --data-dir DIR           log and election state (default zchat-data/node-<id>)\n"
"  --fsync POLICY           when the log reaches the disk: batch (default: once\n"
"                           per wake-up, before anything is acknowledged),\n"
"                           always (after every entry), never (left to the OS:\n"
"                           a machine crash can lose acknowledged messages)\n"
"  --initial-cluster-state new|existing\n"
"                           what a missing election.state means: new, a node\n"
"                           that never ran; existing, one that lost its data\n"
"                           (it votes once every member told it its epoch).\n"
"                           Default: existing if the folder holds a log, else\n"
"                           new until a peer shows that the cluster has a log\n"
"  --retain-mb MB           keep about this much log on disk (default 0: all)\n"
"  --retain-hours H         drop log segments older than this (default 0: never)\n"
"  --client-ttl SECS        forget a client id whose entries have all been retired\n"
"                           this long ago (default 604800, 7 days; 0: never)\n"
"  --max-client-ids N       remember at most N such client ids, forgetting the\n"
"                           longest retired first (default 1000000; 0: no cap)\n"
"  --trace                  log a zc-trace line per election message sent and\n"
"                           received and per role change (chat-trace draws them)\n"
"  -v, --verbose            more logging; repeat for more\n"
"  -h, --help               print this and exit\n"
"\n"
"Security (docs/PROTOCOL.md; keys made by chat-keygen):\n"
"  --keys DIR               CURVE on every socket, with the keys of chat-keygen's\n"
"                           node-<id> folder: node.cert_secret, server.cert_secret,\n"
"                           nodes/<id>.cert of every member, clients/<name>.cert\n"
"                           (default: none, plaintext, loopback unless --bind)\n"
"  --clients keys|any       keys (default): only clients whose certificate is in\n"
"                           DIR/clients/; any: any client key, still encrypted\n"
"                           (needs --keys)\n"
"\n"
"Limits (each refusal or drop is counted in status):\n"
"  --max-text BYTES         largest chat text, 1..16384 (default 16384)\n"
"  --max-frame BYTES        largest frame a client may send, 1024..65536\n"
"                           (default 20480)\n"
"  --max-rooms N            rooms one client may post to, 1..1000000 (default 64)\n"
"  --max-clients N          client connections served at once, 1..1000000\n"
"                           (default 10000)\n"
"  --rate N                 POSTs per second per client, burst 2*N, then \"slow\n"
"                           down\"; 0..1000000, 0 = unlimited (default 500)\n"
"  --pub-hwm N              frames queued per subscriber before it misses some\n"
"                           (it repairs them by FETCH), 1..1000000 (default 1000)\n"
"  --reply-hwm N            replies queued per client, 1..100000 (default 256)\n"
"  --max-epoch-jump N       refuse an epoch more than N above ours unless a\n"
"                           quorum reports it, 1..1000000000 (default 1000)\n"
"\n"
"Operations:\n"
"  --metrics ADDR:PORT      serve Prometheus metrics at http://ADDR:PORT/metrics\n"
"                           (docs/METRICS.md); ADDR an IP address, [IPv6], * (all\n"
"                           IPv4) or localhost (default: off)\n";

const char *
zc_config_usage (void)
{
    return s_usage;
}

int
zc_config_fail (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (err, errlen, fmt, args);
        va_end (args);
    }
    return -1;
}

//  config_impl.h
bool
zc_config_decimal (const char *text, unsigned long long *value)
{
    uint64_t parsed = 0;
    int rc = zc_parse_u64 (text, 0, UINT64_MAX, &parsed);
    *value = rc == ZC_PARSE_RANGE ? ULLONG_MAX : parsed;
    return rc != ZC_PARSE_SYNTAX;
}

static bool
streq_s (const char *a, const char *b)
{
    return strcmp (a, b) == 0;
}

//  Parses a numeric flag's value into [min, max].
static int
s_number (const char *flag, const char *text, uint32_t min, uint32_t max,
          uint32_t *out, char *err, size_t errlen)
{
    uint64_t value;
    int rc = zc_parse_u64 (text, min, max, &value);
    if (rc == ZC_PARSE_SYNTAX)
        return zc_config_fail (err, errlen, "%s: '%s' is not a number", flag, text);
    if (rc == ZC_PARSE_RANGE)
        return zc_config_fail (err, errlen, "%s: %s out of range (%u..%u)",
                       flag, text, (unsigned) min, (unsigned) max);
    *out = (uint32_t) value;
    return 0;
}

//  Copies a string flag, refusing empty or over-long values.
static int
s_string (const char *flag, const char *text, char *dest, size_t size,
          char *err, size_t errlen)
{
    if (!*text)
        return zc_config_fail (err, errlen, "%s: empty", flag);
    if (strlen (text) >= size)
        return zc_config_fail (err, errlen, "%s: longer than %zu characters", flag, size - 1);
    strcpy (dest, text);
    return 0;
}

static void
s_defaults (zc_config_t *cfg)
{
    memset (cfg, 0, sizeof *cfg);
    cfg->port = 50051;              //  the seed's first node
    //  bind_host stays "" until s_finish: its default depends on --keys
    cfg->heartbeat_ms = 100;
    cfg->misses = 3;
    cfg->holddown_ms = 2000;
    cfg->clients = ZC_CLIENTS_KEYS;
    cfg->max_text = 16384;
    cfg->max_frame = 20480;         //  the largest text plus room for the rest
    cfg->max_rooms = 64;
    cfg->max_clients = 10000;
    cfg->client_ttl = 604800;       //  docs/STORAGE.md "The client table and its limits"
    cfg->max_client_ids = 1000000;
    cfg->rate = 500;
    cfg->pub_hwm = 1000;
    cfg->reply_hwm = 256;
    cfg->max_epoch_jump = 1000;
    //  election_ms, lease_ms, quorum and data_dir: see s_finish
}

//  Names the flag behind a getopt value, for error messages.
static const char *
s_flag_name (int val)
{
    for (int i = 0; s_options [i].name; i++)
        if (s_options [i].val == val)
            return s_options [i].name;
    return "?";
}

//  Reports what getopt_long refused: an unknown option, a missing value,
//  or a value given to a flag that takes none.
static int
s_getopt_error (int code, char **argv, char *err, size_t errlen)
{
    if (code == ':')
        return zc_config_fail (err, errlen, "--%s: missing value", s_flag_name (optopt));
    if (optopt == 'v' || optopt == 'h' || optopt >= OPT_ID)
        return zc_config_fail (err, errlen, "--%s: takes no value", s_flag_name (optopt));
    if (optopt)
        return zc_config_fail (err, errlen, "unknown option -%c", optopt);
    //  Unknown or ambiguous long option: glibc has already stepped past it
    const char *arg = argv [optind - 1];
    int len = (int) strcspn (arg, "=");
    int matches = 0;                //  "--h" could be --help, --heartbeat-ms...
    for (int i = 0; s_options [i].name && len > 2; i++)
        if (strncmp (s_options [i].name, arg + 2, (size_t) len - 2) == 0)
            matches++;
    return zc_config_fail (err, errlen, "%s option %.*s",
                   matches > 1 ? "ambiguous" : "unknown", len, arg);
}

//  What s_finish needs to know about the line beyond cfg itself.
typedef struct {
    const char *peers;              //  --peers, parsed once --id, --port, --bind are known
    bool clients_given;             //  --clients, which needs --keys
    const char *config;             //  --config FILE, or NULL
    bool given [S_OPTION_COUNT];    //  by s_options index: on the command line
    size_t file_line [S_OPTION_COUNT];  //  ... or on this line of the file (0: not)
    const char *file;               //  the file's name, for messages
} s_line_t;

//  --metrics ADDR:PORT, split at the last colon; ADDR is an address, not
//  a name to look up (a node must not wait on DNS to start).
static int
s_metrics (zc_config_t *cfg, const char *text, char *err, size_t errlen)
{
    const char *colon = strrchr (text, ':');
    size_t len = colon ? (size_t) (colon - text) : 0;
    if (!colon || !len)
        return zc_config_fail (err, errlen, "--metrics: '%s' is not ADDR:PORT", text);
    if (len >= sizeof cfg->metrics.host)
        return zc_config_fail (err, errlen, "--metrics: address longer than %zu characters",
                       sizeof cfg->metrics.host - 1);
    char host [sizeof cfg->metrics.host], ip [sizeof host];
    memcpy (host, text, len);
    host [len] = 0;
    uint8_t addr [16];
    bool v6 = len > 2 && host [0] == '[' && host [len - 1] == ']';
    if (v6)
        snprintf (ip, sizeof ip, "%.*s", (int) len - 2, host + 1);
    if (!(v6 ? inet_pton (AF_INET6, ip, addr) == 1
             : streq_s (host, "*") || streq_s (host, "localhost")
               || inet_pton (AF_INET, host, addr) == 1))
        return zc_config_fail (err, errlen, "--metrics: '%s' is not an IP address, [IPv6], * or "
                       "localhost", host);
    uint64_t port;
    if (zc_parse_u64 (colon + 1, 1, 65535, &port) != ZC_PARSE_OK)
        return zc_config_fail (err, errlen, "--metrics: port '%s' is not 1..65535", colon + 1);
    strcpy (cfg->metrics.host, host);
    cfg->metrics.port = (uint16_t) port;
    return 0;
}

//  Applies one flag with its value (NULL for a flag that takes none), from
//  the command line or the config file.  Returns 0, 1 for --help, or -1
//  with err set.
//  election_ms, lease_ms and quorum stay 0 unless given: none of them
//  accepts 0, and their defaults depend on flags that may come later.
static int
s_option (zc_config_t *cfg, int code, const char *value, s_line_t *line, char **argv,
          char *err, size_t errlen)
{
    switch (code) {
        case OPT_ID:
            return s_number ("--id", value, 1, ZC_MAX_NODE_ID, &cfg->id, err, errlen);
        case OPT_PORT: {
            uint64_t port;
            int rc = zc_parse_u64 (value, 1, ZC_MAX_BASE_PORT, &port);
            if (rc == ZC_PARSE_SYNTAX)
                return zc_config_fail (err, errlen, "--port: '%s' is not a number", value);
            if (rc == ZC_PARSE_RANGE)
                return zc_config_fail (err, errlen, "--port: %s out of range ("
                               S_PORT_RANGE ")", value);
            cfg->port = (uint16_t) port;
            return 0;
        }
        case OPT_BIND:
            cfg->bind_given = 1;
            return s_string ("--bind", value, cfg->bind_host,
                             sizeof cfg->bind_host, err, errlen);
        case OPT_PEERS:
            line->peers = value;
            return 0;
        case OPT_HEARTBEAT:
            return s_number ("--heartbeat-ms", value, 10, 60000,
                             &cfg->heartbeat_ms, err, errlen);
        case OPT_MISSES:
            return s_number ("--misses", value, 1, 100, &cfg->misses, err, errlen);
        case OPT_ELECTION:
            return s_number ("--election-timeout-ms", value, 10, 3600000,
                             &cfg->election_ms, err, errlen);
        case OPT_LEASE:
            return s_number ("--lease-ms", value, 1, 6000000,
                             &cfg->lease_ms, err, errlen);
        case OPT_HOLDDOWN:
            return s_number ("--holddown-ms", value, 0, 3600000,
                             &cfg->holddown_ms, err, errlen);
        case OPT_QUORUM:
            return s_number ("--quorum", value, 1, ZC_MAX_PEERS + 1,
                             &cfg->quorum, err, errlen);
        case OPT_DATA_DIR:
            return s_string ("--data-dir", value, cfg->data_dir,
                             sizeof cfg->data_dir, err, errlen);
        case OPT_FSYNC:
            if (streq_s (value, "batch"))
                cfg->fsync = ZC_CONFIG_FSYNC_BATCH;
            else
            if (streq_s (value, "always"))
                cfg->fsync = ZC_CONFIG_FSYNC_ALWAYS;
            else
            if (streq_s (value, "never"))
                cfg->fsync = ZC_CONFIG_FSYNC_NEVER;
            else
                return zc_config_fail (err, errlen, "--fsync: '%s' is not batch, always or never", value);
            return 0;
        case OPT_INITIAL:
            if (streq_s (value, "new"))
                cfg->initial = ZC_CONFIG_INITIAL_NEW;
            else
            if (streq_s (value, "existing"))
                cfg->initial = ZC_CONFIG_INITIAL_EXISTING;
            else
                return zc_config_fail (err, errlen, "--initial-cluster-state: '%s' is not new or "
                               "existing", value);
            return 0;
        case OPT_RETAIN_MB:
            return s_number ("--retain-mb", value, 0, 100000000, &cfg->retain_mb, err, errlen);
        case OPT_RETAIN_HOURS:
            return s_number ("--retain-hours", value, 0, 1000000, &cfg->retain_hours, err, errlen);
        case OPT_CLIENT_TTL:
            return s_number ("--client-ttl", value, 0, 3153600000u, &cfg->client_ttl,
                             err, errlen);
        case OPT_MAX_CLIENT_IDS:
            return s_number ("--max-client-ids", value, 0, 1000000000u, &cfg->max_client_ids,
                             err, errlen);
        case OPT_KEYS:
            return s_string ("--keys", value, cfg->keys_dir,
                             sizeof cfg->keys_dir, err, errlen);
        case OPT_CLIENTS:
            line->clients_given = true;
            if (streq_s (value, "keys"))
                cfg->clients = ZC_CLIENTS_KEYS;
            else
            if (streq_s (value, "any"))
                cfg->clients = ZC_CLIENTS_ANY;
            else
                return zc_config_fail (err, errlen, "--clients: '%s' is not keys or any", value);
            return 0;
        //  Why these bounds: 16384 is the wire's largest text and 65536
        //  its largest frame (docs/PROTOCOL.md §2), so a limit can only
        //  narrow them; below 1 KiB a frame could not carry one POST with
        //  a full-length room, name and id.  An HWM of 0 means "unlimited"
        //  to ZeroMQ, the one value these flags exist to forbid.
        case OPT_MAX_TEXT:
            return s_number ("--max-text", value, 1, 16384, &cfg->max_text, err, errlen);
        case OPT_MAX_FRAME:
            return s_number ("--max-frame", value, 1024, 65536, &cfg->max_frame, err, errlen);
        case OPT_MAX_ROOMS:
            return s_number ("--max-rooms", value, 1, 1000000, &cfg->max_rooms, err, errlen);
        case OPT_MAX_CLIENTS:
            return s_number ("--max-clients", value, 1, 1000000,
                             &cfg->max_clients, err, errlen);
        case OPT_RATE:
            return s_number ("--rate", value, 0, 1000000, &cfg->rate, err, errlen);
        case OPT_PUB_HWM:
            return s_number ("--pub-hwm", value, 1, 1000000, &cfg->pub_hwm, err, errlen);
        case OPT_REPLY_HWM:
            return s_number ("--reply-hwm", value, 1, 100000, &cfg->reply_hwm, err, errlen);
        case OPT_MAX_EPOCH_JUMP: {
            uint32_t jump = 0;
            if (s_number ("--max-epoch-jump", value, 1, 1000000000, &jump, err, errlen))
                return -1;
            cfg->max_epoch_jump = jump;
            return 0;
        }
        case OPT_TRACE:
            cfg->trace = 1;
            return 0;
        case OPT_METRICS:
            return s_metrics (cfg, value, err, errlen);
        case OPT_CONFIG:
            line->config = value;
            return 0;
        case 'v':
            cfg->verbose++;
            return 0;
        case 'h':
            return 1;
        default:
            return s_getopt_error (code, argv, err, errlen);
    }
}

//  Is DIR/name there, as a folder (want_dir) or as a file?  On a secret
//  (secret), refuses any access for group or others, as ssh does: a node
//  key others can read is a key others can use to vote.
static int
s_key_path (const char *dir, const char *name, bool want_dir, bool secret,
            char *err, size_t errlen)
{
    char path [sizeof ((zc_config_t *) 0)->keys_dir + 64];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat (path, &st) || (want_dir ? !S_ISDIR (st.st_mode) : !S_ISREG (st.st_mode)))
        return zc_config_fail (err, errlen, "--keys: no %s %s (make the folder with "
                       "chat-keygen)", want_dir ? "folder" : "file", path);
    if (secret && (st.st_mode & 077))
        return zc_config_fail (err, errlen, "--keys: %s is open to others (mode %03o): "
                       "chmod 600 it", path, (unsigned) (st.st_mode & 0777));
    return 0;
}

//  --keys must name a folder chat-keygen made for a node: its own secret,
//  the cluster's server secret, and the public certificate of every peer
//  (without which it could neither reach that peer nor let it in).  Only
//  presence and modes are checked here; the node loads the certificates.
static int
s_check_keys (const zc_config_t *cfg, char *err, size_t errlen)
{
    struct stat st;
    const char *dir = cfg->keys_dir;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode))
        return zc_config_fail (err, errlen, "--keys: %s is not a folder", dir);
    if (s_key_path (dir, "node.cert_secret", false, true, err, errlen)
    ||  s_key_path (dir, "server.cert_secret", false, true, err, errlen)
    ||  s_key_path (dir, "nodes", true, false, err, errlen))
        return -1;
    for (size_t i = 0; i < cfg->peer_count; i++) {
        char name [32];
        snprintf (name, sizeof name, "nodes/%u.cert", (unsigned) cfg->peers [i].id);
        if (s_key_path (dir, name, false, false, err, errlen))
            return -1;
    }
    return 0;
}

//  The s_options index of a getopt value or of a key, or -1.
static int
s_index (int val)
{
    for (size_t i = 0; i < S_OPTION_COUNT; i++)
        if (s_options [i].val == val)
            return (int) i;
    return -1;
}

static int
s_key_index (const char *key)
{
    for (size_t i = 0; i < S_OPTION_COUNT; i++)
        if (streq_s (s_options [i].name, key))
            return (int) i;
    return -1;
}

//  Puts "FILE:LINE: " in front of err, and returns -1.
static int
s_at (const char *file, size_t number, char *err, size_t errlen)
{
    if (err && errlen) {
        char text [512];
        snprintf (text, sizeof text, "%s", err);
        snprintf (err, errlen, "%s:%zu: %s", file, number, text);
    }
    return -1;
}

//  A failed check on flag code: says where the flag was, when that was
//  the config file, and returns -1.
static int
s_from (const s_line_t *line, int code, char *err, size_t errlen)
{
    int index = s_index (code);
    if (index >= 0 && line->file_line [index])
        s_at (line->file, line->file_line [index], err, errlen);
    return -1;
}

//  One setting of the file for a flag that takes no value on the command
//  line: a boolean, and for --verbose also a count (as -vvv).
static int
s_switch (zc_config_t *cfg, int code, const char *value, s_line_t *line,
          char *err, size_t errlen)
{
    const char *name = s_options [s_index (code)].name;
    int on = zc_config_file_bool (value);
    uint32_t count = 0;
    if (on < 0 && code == 'v'
    &&  s_number ("--verbose", value, 0, 9, &count, err, errlen) == 0)
        on = (int) count;
    if (on < 0)
        return zc_config_fail (err, errlen, "--%s: '%s' is not true/false, yes/no, on/off or "
                       "1/0%s", name, value, code == 'v' ? " (or a count 0..9)" : "");
    for (int i = 0; i < on; i++)
        s_option (cfg, code, NULL, line, NULL, err, errlen);
    return 0;
}

//  Applies the file's settings for every flag the command line did not
//  give, in the order of the file.  Returns 0, or -1 with err set to
//  "FILE:LINE: ...".
static int
s_apply_file (zc_config_t *cfg, s_line_t *line, const zc_config_file_t *file,
              char *err, size_t errlen)
{
    line->file = zc_config_file_name (file);
    for (size_t i = 0; i < zc_config_file_size (file); i++) {
        const char *key = zc_config_file_key (file, i);
        const char *value = zc_config_file_value (file, i);
        size_t number = zc_config_file_line (file, i);
        int index = s_key_index (key);
        if (index < 0)
            return zc_config_fail (err, errlen, "%s:%zu: unknown key '%s'%s", line->file, number,
                           key, key [0] == '-' ? " (write keys without --)" : "");
        int code = s_options [index].val;
        if (code == OPT_CONFIG || code == 'h')
            return zc_config_fail (err, errlen, "%s:%zu: '%s' cannot be set in a config file",
                           line->file, number, key);
        if (line->given [index])
            continue;               //  the flag wins; this value is never read
        line->file_line [index] = number;
        int rc = s_options [index].has_arg == no_argument
               ? s_switch (cfg, code, value, line, err, errlen)
               : s_option (cfg, code, value, line, NULL, err, errlen);
        if (rc)
            return s_at (line->file, number, err, errlen);
    }
    return 0;
}

//  Checks what spans several flags and fills the derived defaults.
static int
s_finish (zc_config_t *cfg, const s_line_t *line, char *err, size_t errlen)
{
    if (cfg->id == 0)
        return zc_config_fail (err, errlen, "--id: required");
    if (line->clients_given && !cfg->keys_dir [0]) {
        zc_config_fail (err, errlen, "--clients: needs --keys (without keys no "
                "client is authenticated)");
        return s_from (line, OPT_CLIENTS, err, errlen);
    }
    //  Protected by default (docs/PROTOCOL.md §8): without keys nothing is
    //  authenticated, so only this machine may reach the node unless the
    //  operator asks for more with --bind.  With keys every port checks
    //  who connects, and all interfaces is the useful default.
    if (!cfg->bind_given)
        strcpy (cfg->bind_host, cfg->keys_dir [0] ? "*" : "127.0.0.1");
    if (zc_config_peers_parse (cfg, line->peers, err, errlen) || zc_config_ports_check (cfg, err, errlen))
        return s_from (line, OPT_PEERS, err, errlen);
    if (cfg->keys_dir [0] && s_check_keys (cfg, err, errlen))
        return s_from (line, OPT_KEYS, err, errlen);

    uint32_t members = (uint32_t) zc_config_members (cfg);
    cfg->quorum_given = cfg->quorum != 0;
    if (cfg->quorum == 0)
        cfg->quorum = members / 2 + 1;
    if (cfg->quorum > members) {
        zc_config_fail (err, errlen, "--quorum: %u is more than the %u members",
                (unsigned) cfg->quorum, (unsigned) members);
        return s_from (line, OPT_QUORUM, err, errlen);
    }

    if (cfg->election_ms == 0)
        cfg->election_ms = 2 * cfg->heartbeat_ms;

    //  Why lease <= heartbeat * misses: a backup suspects the leader only
    //  after that long without an answer, and only then can an election
    //  start.  The leader's lease is timed from hearing the backups, which
    //  is before they hear its answers, so with this bound the old leader's
    //  lease has always run out before a new leader can be elected: never
    //  two leaders serving at once.  And lease >= heartbeat: the leader
    //  hears each backup once per interval, a shorter lease would lapse
    //  between two healthy heartbeats.
    uint32_t suspect_ms = cfg->heartbeat_ms * cfg->misses;
    if (cfg->lease_ms == 0)
        cfg->lease_ms = suspect_ms;
    if (cfg->lease_ms > suspect_ms) {
        zc_config_fail (err, errlen, "--lease-ms: %u is more than --heartbeat-ms * "
                "--misses (%u): the old leader could still serve after a "
                "new one is elected", (unsigned) cfg->lease_ms,
                (unsigned) suspect_ms);
        return s_from (line, OPT_LEASE, err, errlen);
    }
    if (cfg->lease_ms < cfg->heartbeat_ms) {
        zc_config_fail (err, errlen, "--lease-ms: %u is less than --heartbeat-ms (%u)",
                (unsigned) cfg->lease_ms, (unsigned) cfg->heartbeat_ms);
        return s_from (line, OPT_LEASE, err, errlen);
    }

    if (!cfg->data_dir [0])
        snprintf (cfg->data_dir, sizeof cfg->data_dir, "zchat-data/node-%u",
                  (unsigned) cfg->id);
    return 0;
}

int
zc_config_parse (zc_config_t *cfg, int argc, char **argv, char *err, size_t errlen)
{
    s_defaults (cfg);
    if (err && errlen)
        err [0] = '\0';
    s_line_t line = { .peers = "" };
    if (argc < 1)                   //  not even a program name
        return s_finish (cfg, &line, err, errlen);

    //  optind = 0 makes glibc forget any previous scan; '+' stops at the
    //  first operand instead of permuting the caller's argv; ':' reports a
    //  missing value as ':'; opterr = 0 keeps getopt from printing.
    optind = 0;
    opterr = 0;
    int code;
    while ((code = getopt_long (argc, argv, "+:vh", s_options, NULL)) != -1) {
        int index = s_index (code);
        if (index >= 0)
            line.given [index] = true;
        int rc = s_option (cfg, code, optarg, &line, argv, err, errlen);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return zc_config_fail (err, errlen, "unexpected argument '%s'", argv [optind]);
    if (!line.config)
        return s_finish (cfg, &line, err, errlen);

    //  The file's values stay in it (line.peers may point there) until
    //  s_finish is done with them.
    zc_config_file_t *file = zc_config_file_load (line.config, err, errlen);
    if (!file)
        return -1;
    int rc = s_apply_file (cfg, &line, file, err, errlen);
    if (rc == 0)
        rc = s_finish (cfg, &line, err, errlen);
    zc_config_file_destroy (&file);
    return rc;
}

size_t
zc_config_members (const zc_config_t *cfg)
{
    return cfg->peer_count + 1;
}

uint32_t
zc_config_quorum (const zc_config_t *cfg)
{
    return cfg->quorum;
}

const zc_peer_addr_t *
zc_config_peer (const zc_config_t *cfg, uint32_t id)
{
    for (size_t i = 0; i < cfg->peer_count; i++)
        if (cfg->peers [i].id == id)
            return &cfg->peers [i];
    return NULL;
}

uint64_t
zc_config_membership_hash (const zc_config_t *cfg)
{
    //  The hash of --peers as a configuration (members.c: sorted by id, so
    //  every node, whatever its own id and the order of its --peers,
    //  hashes the same bytes)
    zc_members_t members = { .count = 0 };
    zc_member_t me = { .id = cfg->id, .port = cfg->port };
    snprintf (me.host, sizeof me.host, "%s", cfg->bind_host);
    const char *why;
    zc_members_add (&members, &me, &why);
    for (size_t i = 0; i < cfg->peer_count; i++) {
        zc_member_t peer = { .id = cfg->peers [i].id, .port = cfg->peers [i].port };
        snprintf (peer.host, sizeof peer.host, "%s", cfg->peers [i].host);
        zc_members_add (&members, &peer, &why);
    }
    return zc_members_hash (&members, zc_config_quorum (cfg));
}
