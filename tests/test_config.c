/*  test_config.c — chat-node's flags: the seed's command lines, defaults,
    every refusal, and the membership hash peers compare (docs/DESIGN.md §2, docs/PROTOCOL.md §5.1).
*/
#include "config.h"
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  A NULL-terminated argv with the program name in front
#define ARGS(...) ((char *[]) { "chat-node", __VA_ARGS__, NULL })

static char s_err [256];

static int
s_parse (zc_config_t *cfg, char **argv)
{
    int argc = 0;
    while (argv [argc])
        argc++;
    return zc_config_parse (cfg, argc, argv, s_err, sizeof s_err);
}

//  The line must be refused with a one-line message containing want.
static void
s_refused (int line, char **argv, const char *want)
{
    zc_config_t cfg;
    int rc = s_parse (&cfg, argv);
    bool ok = rc == -1 && strstr (s_err, want) && !strchr (s_err, '\n');
    if (ok)
        s_passed++;
    else {
        s_failed++;
        fprintf (stderr, "%s:%d: FAILED: rc=%d err='%s', wanted '%s'\n",
                 __FILE__, line, rc, s_err, want);
    }
}
#define REFUSED(want, ...) s_refused (__LINE__, ARGS (__VA_ARGS__), want)

static void
test_seed_lines (void)
{
    zc_config_t c1, c2, c3;
    CHECK (s_parse (&c1, ARGS ("--id", "1", "--port", "50051",
                               "--peers", "2:localhost:50052,3:localhost:50053")) == 0);
    CHECK (s_parse (&c2, ARGS ("--id", "2", "--port", "50052",
                               "--peers", "1:localhost:50051,3:localhost:50053")) == 0);
    CHECK (s_parse (&c3, ARGS ("--id", "3", "--port", "50053",
                               "--peers", "1:localhost:50051,2:localhost:50052")) == 0);
    CHECK (c1.id == 1 && c1.port == 50051 && c1.peer_count == 2);
    CHECK (c1.peers [0].id == 2 && c1.peers [0].port == 50052
        && strcmp (c1.peers [0].host, "localhost") == 0);
    CHECK (c1.peers [1].id == 3 && c1.peers [1].port == 50053);
    CHECK (zc_config_members (&c2) == 3 && zc_config_quorum (&c2) == 2);
    CHECK (zc_config_peer (&c3, 2) == &c3.peers [1]);
    CHECK (zc_config_peer (&c3, 3) == NULL);    //  self is not a peer
    CHECK (zc_config_peer (&c3, 7) == NULL);

    //  The membership hash agrees across the three views
    uint64_t h = zc_config_membership_hash (&c1);
    CHECK (h != 0);
    CHECK (zc_config_membership_hash (&c2) == h);
    CHECK (zc_config_membership_hash (&c3) == h);

    //  ... whatever the host spelling and the order of --peers
    zc_config_t c;
    CHECK (s_parse (&c, ARGS ("--id", "3", "--port", "50053", "--bind", "127.0.0.1",
                              "--peers", "2:127.0.0.1:50052, 1:[::1]:50051")) == 0);
    CHECK (zc_config_membership_hash (&c) == h);

    //  ... and differs on a wrong port, a missing peer, another quorum
    CHECK (s_parse (&c, ARGS ("--id", "3", "--port", "50053",
                              "--peers", "1:localhost:50051,2:localhost:50054")) == 0);
    CHECK (zc_config_membership_hash (&c) != h);
    CHECK (s_parse (&c, ARGS ("--id", "3", "--port", "50053",
                              "--peers", "1:localhost:50051")) == 0);
    CHECK (zc_config_membership_hash (&c) != h);
    CHECK (s_parse (&c, ARGS ("--id", "3", "--port", "50053", "--quorum", "3",
                              "--peers", "1:localhost:50051,2:localhost:50052")) == 0);
    CHECK (zc_config_membership_hash (&c) != h);
    CHECK (s_parse (&c, ARGS ("--id", "4", "--port", "50053",
                              "--peers", "1:localhost:50051,2:localhost:50052")) == 0);
    CHECK (zc_config_membership_hash (&c) != h);
}

static void
test_defaults (void)
{
    zc_config_t c;
    CHECK (s_parse (&c, ARGS ("--id", "7")) == 0);
    CHECK (c.id == 7 && c.port == 50051 && strcmp (c.bind_host, "127.0.0.1") == 0);
    CHECK (c.bind_given == 0 && c.keys_dir [0] == '\0' && c.clients == ZC_CLIENTS_KEYS);
    CHECK (c.max_text == 16384 && c.max_frame == 20480 && c.max_rooms == 64);
    CHECK (c.max_clients == 10000 && c.rate == 500 && c.pub_hwm == 1000);
    CHECK (c.reply_hwm == 256 && c.max_epoch_jump == 1000);
    CHECK (c.peer_count == 0 && zc_config_members (&c) == 1);
    CHECK (c.heartbeat_ms == 100 && c.misses == 3);
    CHECK (c.election_ms == 200 && c.lease_ms == 300 && c.holddown_ms == 2000);
    CHECK (c.quorum == 1 && strcmp (c.data_dir, "zchat-data/node-7") == 0);
    CHECK (c.verbose == 0);

    //  Derived defaults follow the flags they derive from, in any order
    CHECK (s_parse (&c, ARGS ("--misses=5", "--id=2", "--heartbeat-ms", "50", "-vv",
                              "--verbose", "--peers", "1:a:100,3:b:100,4:c:100,5:d:100")) == 0);
    CHECK (c.election_ms == 100 && c.lease_ms == 250 && c.verbose == 3);
    CHECK (c.quorum == 3 && zc_config_members (&c) == 5);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--peers", "2:h:1000,3:h:1000,4:h:1000")) == -1);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--peers", "2:h:1000,3:i:1000,4:j:1000")) == 0);
    CHECK (c.quorum == 3);                      //  4 members: 4/2+1

    CHECK (s_parse (&c, ARGS ("--id", "1", "--bind", "127.0.0.1", "--data-dir", "/tmp/x",
                              "--election-timeout-ms", "10", "--holddown-ms", "0",
                              "--lease-ms", "100", "--quorum", "1",
                              "--peers", "2:localhost:20001")) == 0);
    CHECK (strcmp (c.bind_host, "127.0.0.1") == 0 && strcmp (c.data_dir, "/tmp/x") == 0);
    CHECK (c.bind_given == 1);
    CHECK (c.election_ms == 10 && c.holddown_ms == 0 && c.lease_ms == 100 && c.quorum == 1);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--peers", "")) == 0 && c.peer_count == 0);
    CHECK (s_parse (&c, ARGS ("--id", "1000000", "--port", "62535")) == 0);
}

static void
test_errors (void)
{
    REFUSED ("--id: required", NULL);   //  no flags at all
    REFUSED ("--id: required", "--port", "50051", "-v");
    REFUSED ("unknown option --foo", "--id", "1", "--foo");
    REFUSED ("unknown option --foo", "--id", "1", "--foo=bar");
    REFUSED ("unknown option -x", "--id", "1", "-vx");
    REFUSED ("ambiguous option --h", "--id", "1", "--h");
    REFUSED ("unknown option --", "--id", "1", "--=x");
    REFUSED ("unexpected argument 'extra'", "--id", "1", "extra");
    REFUSED ("--id: missing value", "--id");
    REFUSED ("--help: takes no value", "--help=yes");

    //  Integers are strict: no sign, no space, no junk, no overflow
    REFUSED ("--id:", "--id", "-1");
    REFUSED ("--id:", "--id", "+1");
    REFUSED ("--id:", "--id", " 1");
    REFUSED ("--id:", "--id", "1x");
    REFUSED ("--id:", "--id", "");
    REFUSED ("--id:", "--id", "0");
    REFUSED ("--id:", "--id", "1000001");
    REFUSED ("--id:", "--id", "4294967297");
    REFUSED ("--heartbeat-ms:", "--id", "1", "--heartbeat-ms", "9");
    REFUSED ("--heartbeat-ms:", "--id", "1", "--heartbeat-ms", "60001");
    REFUSED ("--misses:", "--id", "1", "--misses", "0");
    REFUSED ("--misses:", "--id", "1", "--misses", "101");
    REFUSED ("--election-timeout-ms:", "--id", "1", "--election-timeout-ms", "9");
    REFUSED ("--holddown-ms:", "--id", "1", "--holddown-ms", "1e3");

    //  Ports: P+3000 must fit
    REFUSED ("--port: 70000 out of range", "--id", "1", "--port", "70000");
    REFUSED ("--port: 62536 out of range", "--id", "1", "--port", "62536");
    REFUSED ("--port: 0 out of range", "--id", "1", "--port", "0");
    REFUSED ("--port: 99999999999999999999999 out of range",
             "--id", "1", "--port", "99999999999999999999999");
    REFUSED ("--port: 'abc' is not a number", "--id", "1", "--port", "abc");
    REFUSED ("--bind: empty", "--id", "1", "--bind", "");

    //  --peers
    REFUSED ("--peers: duplicate peer id 2",
             "--id", "1", "--peers", "2:localhost:50052,2:localhost:50053");
    REFUSED ("--peers: peer id 1 is this node's own id",
             "--id", "1", "--peers", "1:localhost:50052");
    REFUSED ("--peers: malformed entry 'x:y' (want ID:HOST:PORT)",
             "--id", "1", "--peers", "x:y");
    REFUSED ("--peers: malformed entry 'a:h:5'", "--id", "1", "--peers", "a:h:5");
    REFUSED ("--peers: malformed entry '2::5'", "--id", "1", "--peers", "2::5");
    REFUSED ("--peers: malformed entry '2:h:'", "--id", "1", "--peers", "2:h:");
    REFUSED ("--peers: malformed entry '2:h:5x'", "--id", "1", "--peers", "2:h:5x");
    REFUSED ("--peers: malformed entry '2:h:-5'", "--id", "1", "--peers", "2:h:-5");
    REFUSED ("--peers: malformed entry ''", "--id", "1", "--peers", "2:h:5,");
    REFUSED ("--peers: peer 2 port 62536 out of range",
             "--id", "1", "--peers", "2:h:62536");
    REFUSED ("--peers: peer id 0 out of range", "--id", "1", "--peers", "0:h:5");
    REFUSED ("--peers: more than 32 peers", "--id", "1", "--peers",
             "2:h:2,3:h:3,4:h:4,5:h:5,6:h:6,7:h:7,8:h:8,9:h:9,10:h:10,11:h:11,"
             "12:h:12,13:h:13,14:h:14,15:h:15,16:h:16,17:h:17,18:h:18,19:h:19,"
             "20:h:20,21:h:21,22:h:22,23:h:23,24:h:24,25:h:25,26:h:26,27:h:27,"
             "28:h:28,29:h:29,30:h:30,31:h:31,32:h:32,33:h:33,34:h:34");
    char long_host [400];
    memset (long_host, 'h', sizeof long_host);
    memcpy (long_host, "2:", 2);
    strcpy (long_host + 300, ":5000");
    REFUSED ("--peers: ", "--id", "1", "--peers", long_host);

    //  Port sets overlap on one host, whatever its spelling
    REFUSED ("--peers: peer 3 port 50052 overlaps ports of peer 2 "
             "(each node uses P, P+1000, P+2000, P+3000)",
             "--id", "1", "--peers", "2:localhost:51052,3:127.0.0.1:50052");
    REFUSED ("--peers: peer 2 port 51051 overlaps ports of this node",
             "--id", "1", "--port", "50051", "--peers", "2:localhost:51051");
    REFUSED ("--peers: peer 2 port 47051 overlaps ports of this node",
             "--id", "1", "--port", "50051", "--peers", "2:[::1]:47051");
    REFUSED ("--peers: peer 2 port 50051 overlaps ports of this node",
             "--id", "1", "--bind", "10.0.0.1", "--peers", "2:10.0.0.1:50051");
    REFUSED ("--peers: peer 3 port 53051 overlaps ports of peer 2",
             "--id", "1", "--peers", "2:Node-B:50051,3:node-b:53051");
    zc_config_t c;
    //  ... but distinct machines may reuse ports, and near misses are fine
    CHECK (s_parse (&c, ARGS ("--id", "1", "--port", "50051",
                              "--peers", "2:10.0.0.2:50051,3:10.0.0.3:50051")) == 0);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--port", "50051",
                              "--peers", "2:localhost:54051,3:localhost:51052")) == 0);

    //  Quorum and lease
    REFUSED ("--quorum:", "--id", "1", "--quorum", "0");
    REFUSED ("--quorum: 3 is more than the 2 members",
             "--id", "1", "--quorum", "3", "--peers", "2:localhost:50052");
    REFUSED ("--lease-ms: 301 is more than --heartbeat-ms * --misses (300)",
             "--id", "1", "--lease-ms", "301");
    REFUSED ("--lease-ms: 99 is less than --heartbeat-ms (100)",
             "--id", "1", "--lease-ms", "99");
    CHECK (s_parse (&c, ARGS ("--id", "1", "--lease-ms", "300")) == 0);
    CHECK (s_parse (&c, ARGS ("--lease-ms", "600", "--id", "1", "--misses", "6")) == 0);
}

//  Makes DIR/name as a file with this mode, or as a folder if mode is 0
static void
s_make (const char *dir, const char *name, mode_t mode)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    if (mode == 0)
        CHECK (mkdir (path, 0700) == 0);
    else {
        FILE *file = fopen (path, "w");
        CHECK (file != NULL);
        if (file)
            fclose (file);
        CHECK (chmod (path, mode) == 0);
    }
}

static void
s_remove (const char *dir, const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    CHECK (remove (path) == 0);
}

static void
test_keys (void)
{
    char dir [] = "/tmp/zc-test-config-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char missing [600];
    zc_config_t c;

    //  Each missing piece of a chat-keygen node folder is named
    snprintf (missing, sizeof missing, "--keys: no file %s/node.cert_secret", dir);
    REFUSED (missing, "--id", "1", "--keys", dir);
    s_make (dir, "node.cert_secret", 0600);
    snprintf (missing, sizeof missing, "--keys: no file %s/server.cert_secret", dir);
    REFUSED (missing, "--id", "1", "--keys", dir);
    s_make (dir, "server.cert_secret", 0600);
    snprintf (missing, sizeof missing, "--keys: no folder %s/nodes", dir);
    REFUSED (missing, "--id", "1", "--keys", dir);
    s_make (dir, "nodes", 0);

    //  A complete folder: CURVE on, and all interfaces by default
    CHECK (s_parse (&c, ARGS ("--id", "1", "--keys", dir)) == 0);
    CHECK (strcmp (c.keys_dir, dir) == 0 && strcmp (c.bind_host, "*") == 0);
    CHECK (c.clients == ZC_CLIENTS_KEYS && c.bind_given == 0);
    CHECK (s_parse (&c, ARGS ("--keys", dir, "--bind", "10.0.0.1", "--id", "1",
                              "--clients", "any")) == 0);
    CHECK (strcmp (c.bind_host, "10.0.0.1") == 0 && c.clients == ZC_CLIENTS_ANY);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--keys", dir, "--clients", "keys")) == 0);
    CHECK (c.clients == ZC_CLIENTS_KEYS);

    //  Every peer needs its public certificate in nodes/
    snprintf (missing, sizeof missing, "--keys: no file %s/nodes/3.cert", dir);
    s_make (dir, "nodes/2.cert", 0644);
    REFUSED (missing, "--id", "1", "--keys", dir,
             "--peers", "2:localhost:50052,3:localhost:50053");
    s_make (dir, "nodes/3.cert", 0644);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--keys", dir,
                              "--peers", "2:localhost:50052,3:localhost:50053")) == 0);

    //  A secret others can read is refused, as ssh refuses one
    char path [512];
    snprintf (path, sizeof path, "%s/node.cert_secret", dir);
    CHECK (chmod (path, 0640) == 0);
    REFUSED ("node.cert_secret is open to others (mode 640): chmod 600 it",
             "--id", "1", "--keys", dir);
    CHECK (chmod (path, 0600) == 0);
    snprintf (path, sizeof path, "%s/server.cert_secret", dir);
    CHECK (chmod (path, 0604) == 0);
    REFUSED ("server.cert_secret is open to others (mode 604)", "--id", "1", "--keys", dir);
    CHECK (chmod (path, 0400) == 0);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--keys", dir)) == 0);

    //  --clients needs --keys, and only knows two words
    REFUSED ("--clients: needs --keys", "--id", "1", "--clients", "any");
    REFUSED ("--clients: needs --keys", "--id", "1", "--clients", "keys");
    REFUSED ("--clients: 'all' is not keys or any", "--id", "1", "--keys", dir,
             "--clients", "all");
    REFUSED ("--keys: empty", "--id", "1", "--keys", "");
    REFUSED ("--keys: /nonexistent/zc is not a folder", "--id", "1",
             "--keys", "/nonexistent/zc");
    snprintf (path, sizeof path, "%s/node.cert_secret", dir);
    snprintf (missing, sizeof missing, "--keys: %s is not a folder", path);
    REFUSED (missing, "--id", "1", "--keys", path);

    s_remove (dir, "nodes/2.cert");
    s_remove (dir, "nodes/3.cert");
    s_remove (dir, "nodes");
    s_remove (dir, "node.cert_secret");
    s_remove (dir, "server.cert_secret");
    CHECK (rmdir (dir) == 0);
}

static void
test_limits (void)
{
    zc_config_t c;
    CHECK (s_parse (&c, ARGS ("--id", "1", "--max-text", "1", "--max-frame", "1024",
                              "--max-rooms", "1", "--max-clients", "1", "--rate", "0",
                              "--pub-hwm", "1", "--reply-hwm", "1",
                              "--max-epoch-jump", "1")) == 0);
    CHECK (c.max_text == 1 && c.max_frame == 1024 && c.max_rooms == 1);
    CHECK (c.max_clients == 1 && c.rate == 0 && c.pub_hwm == 1);
    CHECK (c.reply_hwm == 1 && c.max_epoch_jump == 1);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--max-text", "16384", "--max-frame", "65536",
                              "--max-rooms", "1000000", "--max-clients", "1000000",
                              "--rate", "1000000", "--pub-hwm", "1000000",
                              "--reply-hwm", "100000",
                              "--max-epoch-jump", "1000000000")) == 0);
    CHECK (c.max_text == 16384 && c.max_frame == 65536 && c.max_rooms == 1000000);
    CHECK (c.max_clients == 1000000 && c.rate == 1000000 && c.pub_hwm == 1000000);
    CHECK (c.reply_hwm == 100000 && c.max_epoch_jump == 1000000000);

    REFUSED ("--max-text: 0 out of range (1..16384)", "--id", "1", "--max-text", "0");
    REFUSED ("--max-text: 16385 out of range", "--id", "1", "--max-text", "16385");
    REFUSED ("--max-frame: 1023 out of range (1024..65536)", "--id", "1",
             "--max-frame", "1023");
    REFUSED ("--max-frame: 65537 out of range", "--id", "1", "--max-frame", "65537");
    REFUSED ("--max-rooms: 0 out of range", "--id", "1", "--max-rooms", "0");
    REFUSED ("--max-rooms: 1000001 out of range", "--id", "1", "--max-rooms", "1000001");
    REFUSED ("--max-clients: 0 out of range", "--id", "1", "--max-clients", "0");
    REFUSED ("--rate: 1000001 out of range", "--id", "1", "--rate", "1000001");
    REFUSED ("--rate: '-1' is not a number", "--id", "1", "--rate", "-1");
    REFUSED ("--pub-hwm: 0 out of range", "--id", "1", "--pub-hwm", "0");
    REFUSED ("--reply-hwm: 0 out of range", "--id", "1", "--reply-hwm", "0");
    REFUSED ("--reply-hwm: 100001 out of range", "--id", "1", "--reply-hwm", "100001");
    REFUSED ("--max-epoch-jump: 0 out of range", "--id", "1", "--max-epoch-jump", "0");
    REFUSED ("--max-epoch-jump: 18446744073709551615 out of range", "--id", "1",
             "--max-epoch-jump", "18446744073709551615");
    REFUSED ("--max-text: missing value", "--id", "1", "--max-text");

    //  The client limits (docs/STORAGE.md "Retention"): 0 switches each off
    CHECK (s_parse (&c, ARGS ("--id", "1", "--client-ttl", "0", "--max-client-ids", "0")) == 0);
    CHECK (c.client_ttl == 0 && c.max_client_ids == 0);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--client-ttl", "3153600000",
                              "--max-client-ids", "1000000000")) == 0);
    CHECK (c.client_ttl == 3153600000u && c.max_client_ids == 1000000000u);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--client-ttl", "1", "--max-client-ids", "50")) == 0);
    CHECK (c.client_ttl == 1 && c.max_client_ids == 50);
    REFUSED ("--client-ttl: 3153600001 out of range (0..3153600000)", "--id", "1",
             "--client-ttl", "3153600001");
    REFUSED ("--client-ttl: '7d' is not a number", "--id", "1", "--client-ttl", "7d");
    REFUSED ("--client-ttl: missing value", "--id", "1", "--client-ttl");
    REFUSED ("--max-client-ids: 1000000001 out of range (0..1000000000)", "--id", "1",
             "--max-client-ids", "1000000001");
    REFUSED ("--max-client-ids: '-1' is not a number", "--id", "1", "--max-client-ids", "-1");

    //  --initial-cluster-state (docs/ELECTION.md "Lost state")
    CHECK (s_parse (&c, ARGS ("--id", "1")) == 0 && c.initial == ZC_CONFIG_INITIAL_AUTO);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--initial-cluster-state", "new")) == 0
           && c.initial == ZC_CONFIG_INITIAL_NEW);
    CHECK (s_parse (&c, ARGS ("--id", "1", "--initial-cluster-state", "existing")) == 0
           && c.initial == ZC_CONFIG_INITIAL_EXISTING);
    REFUSED ("--initial-cluster-state: 'auto' is not new or existing", "--id", "1",
             "--initial-cluster-state", "auto");
    REFUSED ("--initial-cluster-state: 'New' is not new or existing", "--id", "1",
             "--initial-cluster-state", "New");
}

static void
test_help_and_usage (void)
{
    zc_config_t c;
    CHECK (s_parse (&c, ARGS ("--help")) == 1);
    CHECK (s_parse (&c, ARGS ("--id", "1", "-h")) == 1);
    CHECK (s_parse (&c, ARGS ("-v", "--help", "--bogus")) == 1);

    const char *usage = zc_config_usage ();
    const char *flags [] = {
        "--id", "--port", "--bind", "--peers", "--heartbeat-ms", "--misses",
        "--election-timeout-ms", "--lease-ms", "--holddown-ms", "--quorum",
        "--data-dir", "--verbose", "--help", "50051", "2000", "--keys",
        "--clients", "--max-text", "--max-frame", "--max-rooms", "--max-clients",
        "--rate", "--pub-hwm", "--reply-hwm", "--max-epoch-jump", "127.0.0.1",
        "--client-ttl", "--max-client-ids", "604800", "1000000", NULL
    };
    for (int i = 0; flags [i]; i++)
        CHECK (strstr (usage, flags [i]) != NULL);

    //  Parsing again after a refusal halfway through "-vx" starts clean
    CHECK (s_parse (&c, ARGS ("-vx", "--id", "1")) == -1);
    CHECK (s_parse (&c, ARGS ("-v", "--id", "2")) == 0 && c.verbose == 1 && c.id == 2);
    CHECK (zc_config_parse (&c, 0, NULL, s_err, sizeof s_err) == -1);
    CHECK (zc_config_parse (&c, 1, ARGS ("--id"), NULL, 0) == -1);
}

int
main (void)
{
    test_seed_lines ();
    test_defaults ();
    test_errors ();
    test_keys ();
    test_limits ();
    test_help_and_usage ();
    return check_report ("test_config");
}
