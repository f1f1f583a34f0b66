/*  test_config_file.c — chat-node --config FILE: the syntax (config_file.c),
    then the file through zc_config_parse: keys checked against the flag
    table, values through the flags' own parser, the command line winning,
    every error one line naming FILE:LINE; and docs/examples/node-1.conf,
    as shipped and with its optional lines switched on (README.md "Config
    file").
*/
#include "config.h"
#include "config_file.h"
#include "testdir.h"
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef ZC_SOURCE_DIR
#   error "tests/CMakeLists.txt defines ZC_SOURCE_DIR for this test"
#endif

static char s_err [1024];
static char s_dir [64];             //  scratch folder for the files
static char s_path [256];           //  s_dir/node.conf

//  --- The syntax alone ---------------------------------------------------

static zc_config_file_t *
s_split (const char *text)
{
    return zc_config_file_parse ("t.conf", text, strlen (text), s_err, sizeof s_err);
}

//  text must be refused with a one-line message that contains want.
static void
s_split_refused (int line, const char *text, const char *want)
{
    zc_config_file_t *file = s_split (text);
    bool ok = !file && strstr (s_err, want) && !strchr (s_err, '\n');
    CHECKF (ok, "line %d: err '%s', wanted '%s'", line, s_err, want);
    zc_config_file_destroy (&file);
}
#define SPLIT_REFUSED(text, want) s_split_refused (__LINE__, text, want)

static bool
s_setting (const zc_config_file_t *file, size_t index, const char *key,
           const char *value, size_t line)
{
    return index < zc_config_file_size (file)
        && strcmp (zc_config_file_key (file, index), key) == 0
        && strcmp (zc_config_file_value (file, index), value) == 0
        && zc_config_file_line (file, index) == line;
}

static void
test_syntax (void)
{
    zc_config_file_t *file = s_split (
        "# a comment\n"
        "\n"
        "id = 3\n"
        "   port=50053   \n"
        "\t\n"
        "  # indented comment\n"
        "peers = 1:a:50051, 2:b:50052   # the others\n"
        "data-dir = /srv/a#b\n"
        "bind =\n"
        "fsync = always\r\n"
        "trace = # nothing but a comment\n"
        "metrics =  a = b\n"
        "rate = 5");                //  no newline at the end
    CHECKF (file != NULL, "err '%s'", s_err);
    if (file) {
        CHECK (strcmp (zc_config_file_name (file), "t.conf") == 0);
        CHECK (zc_config_file_size (file) == 9);
        CHECK (s_setting (file, 0, "id", "3", 3));
        CHECK (s_setting (file, 1, "port", "50053", 4));
        CHECK (s_setting (file, 2, "peers", "1:a:50051, 2:b:50052", 7));
        CHECK (s_setting (file, 3, "data-dir", "/srv/a#b", 8));
        CHECK (s_setting (file, 4, "bind", "", 9));
        CHECK (s_setting (file, 5, "fsync", "always", 10));
        CHECK (s_setting (file, 6, "trace", "", 11));
        CHECK (s_setting (file, 7, "metrics", "a = b", 12));
        CHECK (s_setting (file, 8, "rate", "5", 13));
    }
    zc_config_file_destroy (&file);
    zc_config_file_destroy (&file);     //  safe twice
    CHECK (file == NULL);

    //  Nothing, or only comments: no settings, no error
    file = zc_config_file_parse ("t.conf", NULL, 0, s_err, sizeof s_err);
    CHECK (file && zc_config_file_size (file) == 0);
    zc_config_file_destroy (&file);
    file = s_split ("\n\n# only this\n   \n");
    CHECK (file && zc_config_file_size (file) == 0);
    zc_config_file_destroy (&file);

    //  What is not `key = value`, with the name and the line
    SPLIT_REFUSED ("id = 1\nport 50051\n", "t.conf:2: malformed line 'port 50051'");
    SPLIT_REFUSED ("= 5\n", "t.conf:1: malformed line '= 5'");
    SPLIT_REFUSED ("\n\nmax text = 5\n", "t.conf:3: malformed line 'max text = 5'");
    SPLIT_REFUSED ("id: 1\n", "t.conf:1: malformed line");
    SPLIT_REFUSED ("[node]\n", "t.conf:1: malformed line '[node]'");
    SPLIT_REFUSED ("id = 1\nid = 2\n", "t.conf:2: duplicate key 'id' (first on line 1)");
    SPLIT_REFUSED ("id=1\n#\n  id   =   1\n", "t.conf:3: duplicate key 'id'");
    SPLIT_REFUSED ("id = 1\nx = a\033b\n", "t.conf:2: control character 0x1b");
    SPLIT_REFUSED ("x = a\rb\n", "t.conf:1: control character 0x0d");
    SPLIT_REFUSED ("x = \177\n", "t.conf:1: control character 0x7f");
    //  A long line is cut in the message
    SPLIT_REFUSED ("aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee\n",
                   "'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd...'");

    static const char nul [] = "id = 1\nport = 5\0\n";
    file = zc_config_file_parse ("t.conf", nul, sizeof nul - 1, s_err, sizeof s_err);
    CHECKF (!file && strstr (s_err, "t.conf:2: NUL byte"), "err '%s'", s_err);

    //  More settings than any chat-node has flags is a mistake, not a file
    char *many = malloc (16 * (ZC_CONFIG_FILE_MAX_SETTINGS + 1) + 1);
    many [0] = '\0';
    for (int i = 0; i < ZC_CONFIG_FILE_MAX_SETTINGS; i++)
        sprintf (many + strlen (many), "k%d = 1\n", i);
    file = s_split (many);
    CHECK (file && zc_config_file_size (file) == ZC_CONFIG_FILE_MAX_SETTINGS);
    zc_config_file_destroy (&file);
    strcat (many, "one = more\n");
    file = s_split (many);
    CHECKF (!file && strstr (s_err, ":257: more than 256 settings"), "err '%s'", s_err);
    free (many);
}

static void
test_bool (void)
{
    const char *yes [] = { "true", "yes", "on", "1", "TRUE", "Yes", "ON" };
    const char *no [] = { "false", "no", "off", "0", "False", "NO", "Off" };
    const char *bad [] = { "", "2", "y", "n", "tru", "truee", " true", "01", "enabled" };
    for (size_t i = 0; i < sizeof yes / sizeof yes [0]; i++)
        CHECKF (zc_config_file_bool (yes [i]) == 1, "'%s'", yes [i]);
    for (size_t i = 0; i < sizeof no / sizeof no [0]; i++)
        CHECKF (zc_config_file_bool (no [i]) == 0, "'%s'", no [i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        CHECKF (zc_config_file_bool (bad [i]) == -1, "'%s'", bad [i]);
}

//  --- Through chat-node's parser ------------------------------------------

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    CHECK (file != NULL);
    if (file) {
        fputs (text, file);
        fclose (file);
    }
}

//  Parses "chat-node --config s_path ARGS..." with s_path holding text.
#define ARGS(...) ((char *[]) { "chat-node", "--config", s_path, __VA_ARGS__, NULL })
#define NO_ARGS ((char *[]) { "chat-node", "--config", s_path, NULL })

static int
s_parse (zc_config_t *cfg, const char *text, char **argv)
{
    s_write (s_path, text);
    int argc = 0;
    while (argv [argc])
        argc++;
    return zc_config_parse (cfg, argc, argv, s_err, sizeof s_err);
}

//  Refused with one line "s_path:LINE: ..." that also contains want.
static void
s_refused (int line, const char *text, char **argv, size_t file_line, const char *want)
{
    zc_config_t cfg;
    int rc = s_parse (&cfg, text, argv);
    char where [300];
    snprintf (where, sizeof where, "%s:%zu: ", s_path, file_line);
    bool ok = rc == -1 && strncmp (s_err, where, strlen (where)) == 0
           && strstr (s_err, want) && !strchr (s_err, '\n');
    CHECKF (ok, "line %d: rc=%d err='%s', wanted '%s%s'", line, rc, s_err, where, want);
}
#define REFUSED(text, file_line, want) s_refused (__LINE__, text, NO_ARGS, file_line, want)
#define REFUSED_WITH(text, file_line, want, ...) \
    s_refused (__LINE__, text, ARGS (__VA_ARGS__), file_line, want)

static void
test_good_file (void)
{
    zc_config_t c;
    int rc = s_parse (&c,
        "# node 2 of three\n"
        "id = 2\n"
        "port = 40052\n"
        "peers = 1:127.0.0.1:40051, 3:127.0.0.1:40053\n"
        "fsync = never\n"
        "data-dir = /tmp/zc-x\n"
        "metrics = 127.0.0.1:9100\n"
        "max-text = 100      # short messages only\n"
        "initial-cluster-state = existing\n"
        "client-ttl = 3600\n"
        "max-client-ids = 5000\n"
        "trace = on\n", NO_ARGS);
    CHECKF (rc == 0, "err '%s'", s_err);
    CHECK (c.id == 2 && c.port == 40052 && c.peer_count == 2);
    CHECK (c.peers [0].id == 1 && c.peers [0].port == 40051 && c.peers [1].id == 3);
    CHECK (c.fsync == ZC_CONFIG_FSYNC_NEVER && strcmp (c.data_dir, "/tmp/zc-x") == 0);
    CHECK (strcmp (c.metrics.host, "127.0.0.1") == 0 && c.metrics.port == 9100);
    CHECK (c.max_text == 100 && c.initial == ZC_CONFIG_INITIAL_EXISTING && c.trace == 1);
    CHECK (c.client_ttl == 3600 && c.max_client_ids == 5000);
    //  Unset keys keep their defaults, derived ones from the file's values
    CHECK (c.quorum == 2 && c.lease_ms == 300 && c.max_frame == 20480);
    CHECK (strcmp (c.bind_host, "127.0.0.1") == 0 && c.bind_given == 0);

    //  The same as the command line it stands for
    zc_config_t flags;
    char *argv [] = { "chat-node", "--id", "2", "--port", "40052",
                      "--peers", "1:127.0.0.1:40051,3:127.0.0.1:40053", "--fsync", "never",
                      "--data-dir", "/tmp/zc-x", "--metrics", "127.0.0.1:9100",
                      "--max-text", "100", "--initial-cluster-state", "existing",
                      "--client-ttl", "3600", "--max-client-ids", "5000",
                      "--trace", NULL };
    CHECK (zc_config_parse (&flags, 22, argv, s_err, sizeof s_err) == 0);
    CHECK (memcmp (&flags, &c, sizeof c) == 0);
    CHECK (zc_config_membership_hash (&flags) == zc_config_membership_hash (&c));

    //  bind in the file is a bind given
    CHECK (s_parse (&c, "id = 1\nbind = 10.0.0.1\n", NO_ARGS) == 0);
    CHECK (c.bind_given == 1 && strcmp (c.bind_host, "10.0.0.1") == 0);
    //  An empty peers is a cluster of one, as --peers ""
    CHECK (s_parse (&c, "id = 1\npeers =\n", NO_ARGS) == 0 && c.peer_count == 0);
    //  An empty file leaves it all to the command line
    CHECK (s_parse (&c, "", ARGS ("--id", "4")) == 0 && c.id == 4);
}

static void
test_switches (void)
{
    zc_config_t c;
    const char *on [] = { "true", "yes", "on", "1", "On" };
    const char *off [] = { "false", "no", "off", "0", "NO" };
    char text [64];
    for (size_t i = 0; i < 5; i++) {
        snprintf (text, sizeof text, "id = 1\ntrace = %s\nverbose = %s\n", on [i], on [i]);
        CHECKF (s_parse (&c, text, NO_ARGS) == 0 && c.trace == 1 && c.verbose == 1,
                "'%s': err '%s'", on [i], s_err);
        snprintf (text, sizeof text, "id = 1\ntrace = %s\nverbose = %s\n", off [i], off [i]);
        CHECKF (s_parse (&c, text, NO_ARGS) == 0 && c.trace == 0 && c.verbose == 0,
                "'%s': err '%s'", off [i], s_err);
    }
    //  verbose also counts, as -vvv does
    CHECK (s_parse (&c, "id = 1\nverbose = 3\n", NO_ARGS) == 0 && c.verbose == 3);
    REFUSED ("id = 1\nverbose = 10\n", 2, "--verbose: '10' is not true/false");
    REFUSED ("id = 1\n\ntrace = maybe\n", 3,
             "--trace: 'maybe' is not true/false, yes/no, on/off or 1/0");
    REFUSED ("id = 1\ntrace =\n", 2, "--trace: '' is not true/false");
    REFUSED ("id = 1\ntrace = 2\n", 2, "--trace");

    //  A switch on the command line wins; the file cannot switch it off
    CHECK (s_parse (&c, "id = 1\ntrace = off\nverbose = 0\n",
                    ARGS ("--trace", "-vv")) == 0 && c.trace == 1 && c.verbose == 2);
    CHECK (s_parse (&c, "id = 1\ntrace = maybe\nverbose = lots\n",
                    ARGS ("--trace", "--verbose")) == 0 && c.trace == 1 && c.verbose == 1);
}

static void
test_file_errors (void)
{
    //  Unknown keys, and the two flags a file cannot hold
    REFUSED ("id = 1\nfrobnicate = 3\n", 2, "unknown key 'frobnicate'");
    REFUSED ("--id = 1\n", 1, "unknown key '--id' (write keys without --)");
    REFUSED ("id = 1\nv = 1\n", 2, "unknown key 'v'");
    REFUSED ("id = 1\nheart = 100\n", 2, "unknown key 'heart'");   //  no abbreviations
    REFUSED ("id = 1\nID = 1\n", 2, "unknown key 'ID'");
    REFUSED ("id = 1\nconfig = other.conf\n", 2, "'config' cannot be set in a config file");
    REFUSED ("help = yes\n", 1, "'help' cannot be set in a config file");
    //  ... even when the command line gives --config itself
    REFUSED_WITH ("config = x\n", 1, "'config' cannot", "--id", "1");

    //  Syntax, from config_file.c, with the file's path
    REFUSED ("id = 1\n\nport\n", 3, "malformed line 'port'");
    REFUSED ("id = 1\nport = 1\nid = 2\n", 3, "duplicate key 'id' (first on line 1)");

    //  Bad values: the flag's own message, after FILE:LINE
    REFUSED ("id = 0\n", 1, "--id: 0 out of range (1..1000000)");
    REFUSED ("id = 1\nport = 70000\n", 2, "--port: 70000 out of range");
    REFUSED ("id = 1\n# x\nfsync = sometimes\n", 3,
             "--fsync: 'sometimes' is not batch, always or never");
    REFUSED ("id = 1\nheartbeat-ms = abc\n", 2, "--heartbeat-ms: 'abc' is not a number");
    REFUSED ("id = 1\nmetrics = nowhere\n", 2, "--metrics: 'nowhere' is not ADDR:PORT");
    REFUSED ("id = 1\ndata-dir =\n", 2, "--data-dir: empty");
    REFUSED ("id = 1\nclients = some\n", 2, "--clients: 'some' is not keys or any");

    //  Values checked once the whole line is known still say where they were
    REFUSED ("id = 1\nport = 40000\npeers = 2:localhost\n", 3,
             "--peers: malformed entry '2:localhost'");
    REFUSED ("id = 1\npeers = 1:localhost:40000\n", 2, "own id");
    REFUSED ("id = 1\nport = 40000\npeers = 2:localhost:41000\n", 3, "overlaps");
    REFUSED ("id = 1\n\nquorum = 3\npeers = 2:localhost:40000\n", 3,
             "--quorum: 3 is more than the 2 members");
    REFUSED ("id = 1\nlease-ms = 301\n", 2, "--lease-ms: 301 is more than");
    REFUSED ("id = 1\nclients = any\n", 2, "--clients: needs --keys");
    REFUSED ("id = 1\nkeys = /nonexistent/keys\n", 2, "--keys: /nonexistent/keys is not a folder");

    //  ... and a flag's check stays the flag's: no FILE:LINE in front
    zc_config_t c;
    CHECK (s_parse (&c, "id = 1\n", ARGS ("--lease-ms", "301")) == -1);
    CHECK (strncmp (s_err, "--lease-ms: 301", 15) == 0);
    CHECK (s_parse (&c, "port = 40000\n", ARGS ("--id", "1", "--peers", "2:h")) == -1);
    CHECK (strncmp (s_err, "--peers: malformed", 18) == 0);
    //  --id missing in both places
    CHECK (s_parse (&c, "port = 40000\n", NO_ARGS) == -1);
    CHECK (strcmp (s_err, "--id: required") == 0);

    //  A file that cannot be read: its path and why
    char *missing [] = { "chat-node", "--id", "1", "--config", "/nonexistent/zc.conf", NULL };
    CHECK (zc_config_parse (&c, 5, missing, s_err, sizeof s_err) == -1);
    CHECKF (strcmp (s_err, "--config: cannot open /nonexistent/zc.conf: "
                    "No such file or directory") == 0, "err '%s'", s_err);
    char *folder [] = { "chat-node", "--config", s_dir, NULL };
    CHECK (zc_config_parse (&c, 3, folder, s_err, sizeof s_err) == -1);
    CHECKF (strstr (s_err, "--config: cannot read ") && strstr (s_err, "Is a directory"),
            "err '%s'", s_err);
    char *bare [] = { "chat-node", "--config", NULL };
    CHECK (zc_config_parse (&c, 2, bare, s_err, sizeof s_err) == -1);
    CHECK (strcmp (s_err, "--config: missing value") == 0);
    //  A bad flag is reported before the file is read
    char *both [] = { "chat-node", "--config", "/nonexistent/zc.conf", "--port", "x", NULL };
    CHECK (zc_config_parse (&c, 5, both, s_err, sizeof s_err) == -1);
    CHECK (strncmp (s_err, "--port:", 7) == 0);
    //  --help still just asks for the usage, which names --config
    CHECK (s_parse (&c, "id = nonsense\n", ARGS ("--help")) == 1);
    CHECK (strstr (zc_config_usage (), "--config FILE") != NULL);

    //  A file larger than the limit
    FILE *big = fopen (s_path, "w");
    CHECK (big != NULL);
    if (big) {
        for (int i = 0; i <= ZC_CONFIG_FILE_MAX_SIZE / 64; i++)
            fprintf (big, "%063d\n", 0);
        fclose (big);
    }
    CHECK (zc_config_parse (&c, 3, NO_ARGS, s_err, sizeof s_err) == -1);
    CHECKF (strstr (s_err, "is larger than 1048576 bytes"), "err '%s'", s_err);
}

static void
test_flags_win (void)
{
    zc_config_t c;
    const char *file =
        "id = 1\n"
        "port = 40051\n"
        "fsync = always\n"
        "peers = 2:127.0.0.1:40052\n"
        "rate = 10\n";
    CHECK (s_parse (&c, file, ARGS ("--port", "45051", "--rate=20")) == 0);
    CHECK (c.id == 1 && c.port == 45051 && c.rate == 20);
    CHECK (c.fsync == ZC_CONFIG_FSYNC_ALWAYS && c.peer_count == 1);
    //  Flags before --config win just the same
    char *before [] = { "chat-node", "--fsync", "never", "--config", s_path, NULL };
    CHECK (zc_config_parse (&c, 5, before, s_err, sizeof s_err) == 0);
    CHECK (c.fsync == ZC_CONFIG_FSYNC_NEVER && c.port == 40051);
    //  --peers on the command line replaces the file's list whole
    CHECK (s_parse (&c, file, ARGS ("--peers", "3:127.0.0.1:40053,4:127.0.0.1:40054")) == 0);
    CHECK (c.peer_count == 2 && c.peers [0].id == 3 && c.quorum == 2);

    //  A value the flag overrides is never read: not even a bad one
    const char *bad =
        "id = 1\n"
        "port = 99999999\n"
        "fsync = sometimes\n"
        "peers = nonsense\n"
        "metrics = nowhere\n"
        "lease-ms = 100000\n"
        "keys = /nonexistent/keys\n"
        "clients = any\n"
        "data-dir =\n";
    int rc = s_parse (&c, bad, ARGS ("--port", "40051", "--fsync", "batch", "--peers", "",
                                     "--metrics", "127.0.0.1:9100", "--lease-ms", "300",
                                     "--keys", s_dir, "--clients", "keys",
                                     "--data-dir", "/tmp/zc-y"));
    //  s_dir is no key folder: --keys is refused, as a flag, not at a line
    CHECKF (rc == -1 && strncmp (s_err, "--keys: no file", 15) == 0, "err '%s'", s_err);
    char key_path [128];
    snprintf (key_path, sizeof key_path, "%s/node.cert_secret", s_dir);
    s_write (key_path, "");
    CHECK (chmod (key_path, 0600) == 0);
    snprintf (key_path, sizeof key_path, "%s/server.cert_secret", s_dir);
    s_write (key_path, "");
    CHECK (chmod (key_path, 0600) == 0);
    snprintf (key_path, sizeof key_path, "%s/nodes", s_dir);
    CHECK (mkdir (key_path, 0700) == 0);
    rc = s_parse (&c, bad, ARGS ("--port", "40051", "--fsync", "batch", "--peers", "",
                                 "--metrics", "127.0.0.1:9100", "--lease-ms", "300",
                                 "--keys", s_dir, "--clients", "keys",
                                 "--data-dir", "/tmp/zc-y"));
    CHECKF (rc == 0, "err '%s'", s_err);
    CHECK (c.port == 40051 && c.fsync == ZC_CONFIG_FSYNC_BATCH && c.peer_count == 0);
    CHECK (c.metrics.port == 9100 && c.lease_ms == 300 && c.clients == ZC_CLIENTS_KEYS);
    CHECK (strcmp (c.keys_dir, s_dir) == 0 && strcmp (c.data_dir, "/tmp/zc-y") == 0);
    //  ... but take one flag away and its line is read, and refused
    REFUSED_WITH (bad, 3, "--fsync: 'sometimes'", "--port", "40051");
    //  Unknown keys and duplicates are the file's own faults: no flag excuses them
    REFUSED_WITH ("id = 1\nid = 2\n", 2, "duplicate key 'id'", "--id", "5");
    REFUSED_WITH ("id = 1\nfrob = 2\n", 2, "unknown key 'frob'", "--id", "5");
}

//  --- docs/examples/node-1.conf -------------------------------------------

static char *
s_slurp (const char *path)
{
    FILE *file = fopen (path, "r");
    CHECKF (file != NULL, "cannot open %s", path);
    if (!file)
        return NULL;
    char *text = calloc (1, 65536);
    size_t size = fread (text, 1, 65535, file);
    CHECK (size > 0 && size < 65535);
    fclose (file);
    return text;
}

static void
test_example (void)
{
    char example [512];
    snprintf (example, sizeof example, "%s/docs/examples/node-1.conf", ZC_SOURCE_DIR);
    char *argv [] = { "chat-node", "--config", example, NULL };
    zc_config_t c;
    int rc = zc_config_parse (&c, 3, argv, s_err, sizeof s_err);
    CHECKF (rc == 0, "%s", s_err);
    CHECK (c.id == 1 && c.port == 50051 && c.peer_count == 2 && c.quorum == 2);
    CHECK (strcmp (c.data_dir, "/var/lib/zchat/node-1") == 0 && c.metrics.port == 9100);

    //  Every optional line ("#key = ...", no space after the #) switched
    //  on must parse too; --keys points at a key folder of the right shape.
    char *text = s_slurp (example);
    if (!text)
        return;
    char *on = calloc (1, strlen (text) + 1);
    int optional = 0;
    for (char *line = text, *out = on; *line; ) {
        char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line + 1) : strlen (line);
        if (line [0] == '#' && line [1] >= 'a' && line [1] <= 'z') {
            line++;
            len--;
            optional++;
        }
        memcpy (out, line, len);
        out += len;
        line += len;
    }
    CHECK (optional >= 15);
    char nodes [128];
    snprintf (nodes, sizeof nodes, "%s/keys", s_dir);
    CHECK (mkdir (nodes, 0700) == 0);
    const char *names [] = { "node.cert_secret", "server.cert_secret" };
    for (int i = 0; i < 2; i++) {
        char path [160];
        snprintf (path, sizeof path, "%s/%s", nodes, names [i]);
        s_write (path, "");
        CHECK (chmod (path, 0600) == 0);
    }
    snprintf (nodes, sizeof nodes, "%s/keys/nodes", s_dir);
    CHECK (mkdir (nodes, 0700) == 0);
    for (int id = 2; id <= 3; id++) {
        char path [160];
        snprintf (path, sizeof path, "%s/%d.cert", nodes, id);
        s_write (path, "");
    }
    snprintf (nodes, sizeof nodes, "%s/keys", s_dir);
    rc = s_parse (&c, on, ARGS ("--keys", nodes));
    CHECKF (rc == 0, "%s", s_err);
    CHECK (c.verbose == 1 && c.trace == 1 && c.retain_mb == 1024 && c.bind_given == 1);
    free (on);
    free (text);
}

int
main (void)
{
    test_mkdtemp (s_dir, "zc_test_config_file");
    snprintf (s_path, sizeof s_path, "%s/node.conf", s_dir);
    test_syntax ();
    test_bool ();
    test_good_file ();
    test_switches ();
    test_file_errors ();
    test_flags_win ();
    test_example ();
    test_rmrf (s_dir);
    return check_report ("test_config_file");
}
