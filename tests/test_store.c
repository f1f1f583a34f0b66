/*  test_store.c — the node's two small state files (src/node/store.c):
    election.state and retired.state, docs/PROTOCOL.md §5.2.

    Round trips; a missing file gives zeros; a corrupt, cut or edited file
    is refused with a clear error, and a node refuses to start on it rather
    than run with zeros; retired.state's three kinds of line; keys with
    spaces and over-long keys; the temporary file is never left behind.
    Each case fails when the check it is about is removed.
*/
#include "store.h"
#include "config.h"
#include "node.h"
#include "wire.h"
#include "testutil.h"
#include "testdir.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_err [512];

static bool
s_eq (const char *a, const char *b)
{
    return strcmp (a, b) == 0;
}



static void
s_write (const char *dir, const char *name, const char *text, size_t size)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen (path, "w");
    if (!file || fwrite (text, 1, size, file) != size) {
        perror (path);
        exit (2);
    }
    fclose (file);
}

static bool
s_exists (const char *dir, const char *name)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat (path, &st) == 0;
}

//  The file's content (at most cap - 1 bytes), or "" when there is none
static const char *
s_content (const char *dir, const char *name, char *buf, size_t cap)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    buf [0] = 0;
    FILE *file = fopen (path, "r");
    if (file) {
        size_t len = fread (buf, 1, cap - 1, file);
        buf [len] = 0;
        fclose (file);
    }
    return buf;
}

//  What zc_store_load_retired reported, line by line
typedef struct {
    size_t count;
    char text [4096];
} s_seen_t;

static void
s_collect (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    s_seen_t *seen = arg;
    size_t len = strlen (seen->text);
    if (at)
        snprintf (seen->text + len, sizeof seen->text - len, "%c %s %" PRIu64 " @%" PRIu64 ";",
                  kind, key, value, at);
    else
        snprintf (seen->text + len, sizeof seen->text - len, "%c %s %" PRIu64 ";",
                  kind, key, value);
    seen->count++;
}

static void
test_election_round_trip (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_store");
    zc_stored_t state = { .epoch = 99, .leader = 99, .log_epoch = 99 };

    //  No file: a node that never voted starts from zeros
    CHECK (zc_store_open (dir, s_err, sizeof s_err) == 0);
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == 0);
    CHECK (state.epoch == 0 && state.leader == 0 && state.log_epoch == 0);
    CHECK (state.missing && state.trust == 0);

    //  Saved, then loaded: the same, and only the state file is there
    zc_stored_t saved = { .epoch = 7, .leader = 3, .log_epoch = 6 };
    CHECK (zc_store_save (dir, &saved) == 0);
    char buf [256];
    CHECK (s_eq (s_content (dir, "election.state", buf, sizeof buf), "7 3 6\n"));
    CHECK (!s_exists (dir, "election.state.tmp"));
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == 0);
    CHECK (state.epoch == 7 && state.leader == 3 && state.log_epoch == 6);

    //  The extremes of each field survive
    saved = (zc_stored_t) { .epoch = UINT64_MAX, .leader = UINT32_MAX, .log_epoch = UINT64_MAX };
    CHECK (zc_store_save (dir, &saved) == 0);
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == 0);
    CHECK (state.epoch == UINT64_MAX && state.leader == UINT32_MAX
           && state.log_epoch == UINT64_MAX);

    //  A new save replaces the old one whole
    saved = (zc_stored_t) { .epoch = 8, .leader = 1, .log_epoch = 8 };
    CHECK (zc_store_save (dir, &saved) == 0);
    CHECK (s_eq (s_content (dir, "election.state", buf, sizeof buf), "8 1 8\n"));
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == 0);
    CHECK (!state.missing && state.trust == 0);

    //  Lost state (docs/ELECTION.md): the fourth number, trust, is written
    //  only while it is set, and read back; a fifth is corruption
    saved = (zc_stored_t) { .epoch = 9, .leader = UINT32_MAX, .log_epoch = 4, .trust = 10 };
    CHECK (zc_store_save (dir, &saved) == 0);
    CHECK (s_eq (s_content (dir, "election.state", buf, sizeof buf),
                 "9 4294967295 4 10\n"));
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == 0);
    CHECK (state.epoch == 9 && state.leader == UINT32_MAX && state.log_epoch == 4
           && state.trust == 10 && !state.missing);
    s_write (dir, "election.state", "9 1 4 10 3\n", 11);
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == -1);
    s_write (dir, "election.state", "9 1 4 x\n", 8);
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == -1);
    saved = (zc_stored_t) { .epoch = 8, .leader = 1, .log_epoch = 8 };
    CHECK (zc_store_save (dir, &saved) == 0);

    //  A folder made with its parents (mkdir -p)
    char deep [128];
    snprintf (deep, sizeof deep, "%s/a/b/c", dir);
    CHECK (zc_store_open (deep, s_err, sizeof s_err) == 0);
    CHECK (zc_store_save (deep, &saved) == 0);
    CHECK (zc_store_load (deep, &state, s_err, sizeof s_err) == 0 && state.epoch == 8);
    test_rmrf (dir);
}

//  election.state holding text must be refused, zeros in state, and an
//  error naming the file
static void
s_election_refused (int line, const char *dir, const char *text, size_t size)
{
    s_write (dir, "election.state", text, size);
    zc_stored_t state = { .epoch = 99, .leader = 99, .log_epoch = 99 };
    s_err [0] = 0;
    int rc = zc_store_load (dir, &state, s_err, sizeof s_err);
    CHECKF (rc == -1, "line %d: \"%.*s\" loaded as %" PRIu64 " %u %" PRIu64, line,
            (int) size, text, state.epoch, state.leader, state.log_epoch);
    CHECKF (strstr (s_err, "election.state is corrupt"), "line %d: err \"%s\"", line, s_err);
    CHECKF (state.epoch == 0 && state.leader == 0 && state.log_epoch == 0,
            "line %d: state not zeroed", line);
}

#define ELECTION_REFUSED(dir, text) s_election_refused (__LINE__, dir, text, sizeof text - 1)

static void
test_election_corrupt (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_store");
    ELECTION_REFUSED (dir, "");                             //  empty
    ELECTION_REFUSED (dir, "5 2\n");                        //  a field short
    ELECTION_REFUSED (dir, "5 2 ");                         //  cut in the middle
    ELECTION_REFUSED (dir, "5 2 1");                        //  cut before its end
    ELECTION_REFUSED (dir, "5 2 12");                       //  the same: 12 of 123?
    ELECTION_REFUSED (dir, "5 2 1 4 3\n");                  //  a field too many
    ELECTION_REFUSED (dir, "5 2 1\n6 2 1\n");               //  two lines
    ELECTION_REFUSED (dir, "5  2 1\n");                     //  not the writer's spacing
    ELECTION_REFUSED (dir, " 5 2 1\n");
    ELECTION_REFUSED (dir, "5\t2\t1\n");
    ELECTION_REFUSED (dir, "5 2 1\r\n");
    ELECTION_REFUSED (dir, "-1 2 1\n");                     //  a sign strtoull would wrap
    ELECTION_REFUSED (dir, "+5 2 1\n");
    ELECTION_REFUSED (dir, "5 -2 1\n");
    ELECTION_REFUSED (dir, "5 4294967296 1\n");             //  leader beyond 32 bits
    ELECTION_REFUSED (dir, "18446744073709551616 2 1\n");   //  epoch beyond 64 bits
    ELECTION_REFUSED (dir, "5 2 99999999999999999999\n");
    ELECTION_REFUSED (dir, "epoch leader log_epoch\n");
    ELECTION_REFUSED (dir, "5x 2 1\n");
    ELECTION_REFUSED (dir, "5 2 1\0garbage\n");             //  a NUL inside
    ELECTION_REFUSED (dir, "\xff\xfe\x00\x01");
    char big [300];
    memset (big, '1', sizeof big);
    big [sizeof big - 1] = '\n';
    s_election_refused (__LINE__, dir, big, sizeof big);    //  one long number

    //  A file that cannot be read (a folder in its place) is an error too,
    //  with a reason, not the zeros of a missing file
    char path [128];
    snprintf (path, sizeof path, "%s/election.state", dir);
    unlink (path);
    mkdir (path, 0755);
    zc_stored_t state = { .epoch = 99, .leader = 99, .log_epoch = 99 };
    s_err [0] = 0;
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == -1);
    CHECKF (strstr (s_err, "cannot read") && strstr (s_err, "election.state"), "err \"%s\"",
            s_err);
    CHECK (state.epoch == 0 && state.leader == 0);
    rmdir (path);

    //  Leading zeros are digits: accepted
    s_write (dir, "election.state", "05 02 01\n", 9);
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == 0);
    CHECK (state.epoch == 5 && state.leader == 2 && state.log_epoch == 1);
    test_rmrf (dir);
}

//  chat-node refuses to start on a corrupt election.state: zc_node_new
//  fails with the store's error before it opens any socket
static void
test_node_refuses_corrupt_state (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_store");
    s_write (dir, "election.state", "12 3", 4);             //  cut: was "12 3 12\n"
    const char *argv [] = { "chat-node", "--id", "1", "--port", "20551", "--quorum", "1",
                            "--data-dir", dir };
    zc_config_t cfg;
    CHECK (zc_config_parse (&cfg, 9, (char **) argv, s_err, sizeof s_err) == 0);
    s_err [0] = 0;
    zc_node_t *node = zc_node_new (&cfg, s_err, sizeof s_err);
    CHECK (node == NULL);
    CHECKF (strstr (s_err, "election.state is corrupt"), "err \"%s\"", s_err);
    if (node)
        zc_node_destroy (&node);
    test_rmrf (dir);
}

static void
test_retired_round_trip (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_store");
    s_seen_t seen = { 0, "" };

    //  No file: nothing retired yet
    CHECK (zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err) == 0);
    CHECK (seen.count == 0);

    //  Each kind of line, delivered in order, with its value
    const char *text = "base 1200 7\n"
                       "room general 530\n"
                       "room a.b-c_D 18446744073709551615\n"
                       "client 0123456789abcdef0123456789abcdef 41\n";
    CHECK (zc_store_save_retired (dir, text, strlen (text)) == 0);
    CHECK (!s_exists (dir, "retired.state.tmp"));
    CHECK (zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err) == 0);
    CHECK (seen.count == 4);
    CHECKF (s_eq (seen.text, "b 1200 7;r general 530;r a.b-c_D 18446744073709551615;"
                              "c 0123456789abcdef0123456789abcdef 41;"), "seen %s", seen.text);

    //  A room name of the longest kind (64 bytes) is a key like any other
    char line [200], room [ZC_MAX_ROOM + 1];
    memset (room, 'r', ZC_MAX_ROOM);
    room [ZC_MAX_ROOM] = 0;
    snprintf (line, sizeof line, "room %s 9\n", room);
    CHECK (zc_store_save_retired (dir, line, strlen (line)) == 0);
    seen = (s_seen_t) { 0, "" };
    CHECK (zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err) == 0);
    CHECK (seen.count == 1 && strstr (seen.text, room));

    //  Nothing retired: an empty file, which loads as nothing
    CHECK (zc_store_save_retired (dir, "", 0) == 0);
    seen = (s_seen_t) { 0, "" };
    CHECK (zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err) == 0);
    CHECK (seen.count == 0);

    //  A large table (many rooms) is written whole
    size_t cap = 20000 * 32, len = 0;
    char *many = malloc (cap);
    for (int i = 0; i < 20000; i++)
        len += (size_t) snprintf (many + len, cap - len, "room r%d %d\n", i, i);
    CHECK (zc_store_save_retired (dir, many, len) == 0);
    seen = (s_seen_t) { 0, "" };
    CHECK (zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err) == 0);
    CHECK (seen.count == 20000);
    free (many);
    test_rmrf (dir);
}

//  A client line's fourth number, its retired-at (docs/STORAGE.md
//  "Retention"), goes round; a file from before it (three numbers) still
//  loads, with at 0 ("not known"); only client lines take it
static void
test_retired_at (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_store");
    const char *text = "base 12 1\n"
                       "client 0123456789abcdef0123456789abcdef 41 1765000000\n"
                       "client ffffffffffffffffffffffffffffffff 7\n";
    CHECK (zc_store_save_retired (dir, text, strlen (text)) == 0);
    s_seen_t seen = { 0, "" };
    CHECK (zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err) == 0);
    CHECKF (s_eq (seen.text, "b 12 1;c 0123456789abcdef0123456789abcdef 41 @1765000000;"
                              "c ffffffffffffffffffffffffffffffff 7;"), "seen %s", seen.text);
    const char *bad [] = {
        "room general 5 1765000000\n",             //  only clients say when
        "base 12 1 1765000000\n",
        "client 0123456789abcdef0123456789abcdef 41 soon\n",
        "client 0123456789abcdef0123456789abcdef 41 1 2\n",
        "client 0123456789abcdef0123456789abcdef 41 \n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        CHECKF (zc_store_save_retired (dir, bad [i], strlen (bad [i])) == -1,
                "saved \"%s\"", bad [i]);
        CHECKF (zc_store_parse_retired (bad [i], strlen (bad [i]), "t", NULL, NULL,
                                        s_err, sizeof s_err) == -1, "parsed \"%s\"", bad [i]);
    }
    test_rmrf (dir);
}

//  retired.state holding text must be refused at load, before any line
//  is delivered (a node must not start on half a table), and refused by
//  save, which then leaves the old file as it was
static void
s_retired_refused (int line, const char *dir, const char *text, size_t size)
{
    const char *good = "room kept 5\n";
    CHECK (zc_store_save_retired (dir, good, strlen (good)) == 0);

    errno = 0;
    int rc = zc_store_save_retired (dir, text, size);
    CHECKF (rc == -1 && errno == EINVAL, "line %d: save took \"%.*s\"", line, (int) size, text);
    char buf [256];
    CHECKF (s_eq (s_content (dir, "retired.state", buf, sizeof buf), good),
            "line %d: the old file changed", line);
    CHECK (!s_exists (dir, "retired.state.tmp"));

    s_write (dir, "retired.state", text, size);
    s_seen_t seen = { 0, "" };
    s_err [0] = 0;
    rc = zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err);
    CHECKF (rc == -1, "line %d: load took \"%.*s\" (%s)", line, (int) size, text, seen.text);
    CHECKF (strstr (s_err, "retired.state is corrupt"), "line %d: err \"%s\"", line, s_err);
    CHECKF (seen.count == 0, "line %d: %zu lines delivered before the error", line, seen.count);
}

#define RETIRED_REFUSED(dir, text) s_retired_refused (__LINE__, dir, text, sizeof text - 1)

static void
test_retired_corrupt (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_store");
    //  The bad line last: the good ones before it are not delivered either
    RETIRED_REFUSED (dir, "room a 1\nroom b 2\nroom c");           //  cut: no value
    RETIRED_REFUSED (dir, "room a 1\nroom b 2\nroom c 3");         //  cut: 3 of 31?
    RETIRED_REFUSED (dir, "room a 1\nchannel b 2\n");              //  unknown kind
    RETIRED_REFUSED (dir, "room a 1\nroom b\n");
    RETIRED_REFUSED (dir, "room a 1\nroom b 2 3\n");
    RETIRED_REFUSED (dir, "room a 1\n\n");                         //  an empty line
    RETIRED_REFUSED (dir, "room a -1\n");
    RETIRED_REFUSED (dir, "room a 18446744073709551616\n");
    RETIRED_REFUSED (dir, "room a 1x\n");
    RETIRED_REFUSED (dir, "base x 1\n");                           //  the base is a seq
    RETIRED_REFUSED (dir, "base -5 1\n");
    RETIRED_REFUSED (dir, "room\ta\t1\n");
    RETIRED_REFUSED (dir, "room a  1\n");
    RETIRED_REFUSED (dir, "room a 1\r\n");
    RETIRED_REFUSED (dir, "room $beacon 1\n");                     //  not a room name
    RETIRED_REFUSED (dir, "room a\0b 1\n");
    RETIRED_REFUSED (dir, "client 0123456789abcdef0123456789abcdef0 1\n");  //  33 bytes
    RETIRED_REFUSED (dir, "client \x01\x02 1\n");

    //  A key with spaces: the writer's lines split on spaces, so "my room"
    //  would read as a room "my" with a value "room": refused, not misread
    RETIRED_REFUSED (dir, "room my room 5\n");
    RETIRED_REFUSED (dir, "room my 5 room\n");

    //  A key longer than any room (65 bytes, then 200): refused whole,
    //  never cut into a key and a value (fscanf's %127s once did, and read
    //  a long key's digits as its value)
    char line [300], key [201];
    memset (key, 'k', 65);
    key [65] = 0;
    int len = snprintf (line, sizeof line, "room %s 5\n", key);
    s_retired_refused (__LINE__, dir, line, (size_t) len);
    memset (key, '7', 200);
    key [200] = 0;
    len = snprintf (line, sizeof line, "room %s 5\n", key);
    s_retired_refused (__LINE__, dir, line, (size_t) len);

    //  A folder in the file's place: an error with a reason
    char path [128];
    snprintf (path, sizeof path, "%s/retired.state", dir);
    unlink (path);
    mkdir (path, 0755);
    s_err [0] = 0;
    s_seen_t seen = { 0, "" };
    CHECK (zc_store_load_retired (dir, s_collect, &seen, s_err, sizeof s_err) == -1);
    CHECKF (strstr (s_err, "cannot read"), "err \"%s\"", s_err);
    rmdir (path);
    test_rmrf (dir);
}

static void
test_temp_files (void)
{
    char dir [64];
    test_mkdtemp (dir, "zc_store");
    CHECK (zc_store_open (dir, s_err, sizeof s_err) == 0);

    //  A write that fails at the rename (a non-empty folder holds the
    //  name) reports it and leaves no temporary file behind
    char path [128];
    snprintf (path, sizeof path, "%s/election.state", dir);
    mkdir (path, 0755);
    s_write (path, "keep", "x", 1);
    zc_stored_t state = { .epoch = 1, .leader = 1, .log_epoch = 1 };
    CHECK (zc_store_save (dir, &state) == -1);
    CHECK (!s_exists (dir, "election.state.tmp"));
    test_rmrf (path);

    snprintf (path, sizeof path, "%s/retired.state", dir);
    mkdir (path, 0755);
    s_write (path, "keep", "x", 1);
    CHECK (zc_store_save_retired (dir, "room a 1\n", 9) == -1);
    CHECK (!s_exists (dir, "retired.state.tmp"));
    test_rmrf (path);

    //  Temporary files a crash left behind are removed at open: they never
    //  count, and the state files are untouched
    CHECK (zc_store_save (dir, &state) == 0);
    s_write (dir, "election.state.tmp", "9 9 9\n", 6);
    s_write (dir, "retired.state.tmp", "room z 9\n", 9);
    CHECK (zc_store_open (dir, s_err, sizeof s_err) == 0);
    CHECK (!s_exists (dir, "election.state.tmp") && !s_exists (dir, "retired.state.tmp"));
    zc_stored_t loaded;
    CHECK (zc_store_load (dir, &loaded, s_err, sizeof s_err) == 0 && loaded.epoch == 1);
    test_rmrf (dir);

    //  A folder that is gone: the save fails, says why
    errno = 0;
    CHECK (zc_store_save (dir, &state) == -1 && errno == ENOENT);
}

static void
test_long_paths (void)
{
    //  A data folder too long for its file names is refused, never cut to
    //  a path that names another file
    char dir [1200];
    memset (dir, 'd', sizeof dir - 1);
    dir [0] = '/';
    dir [sizeof dir - 1] = 0;
    s_err [0] = 0;
    CHECK (zc_store_open (dir, s_err, sizeof s_err) == -1);
    CHECKF (strstr (s_err, "too long"), "err \"%s\"", s_err);
    zc_stored_t state = { .epoch = 1, .leader = 1, .log_epoch = 1 };
    errno = 0;
    CHECK (zc_store_save (dir, &state) == -1 && errno == ENAMETOOLONG);
    s_err [0] = 0;
    CHECK (zc_store_load (dir, &state, s_err, sizeof s_err) == -1);
    CHECKF (strstr (s_err, "too long"), "err \"%s\"", s_err);

    //  One that fits the folder but not "/election.state.tmp" after it
    //  (folders of 100 bytes: each name within NAME_MAX)
    char base [64];
    test_mkdtemp (base, "zc_store");
    char near [1100];
    size_t len = (size_t) snprintf (near, sizeof near, "%s", base);
    while (len < 1090) {
        size_t part = 1090 - len < 100 ? 1090 - len : 100;
        near [len++] = '/';
        memset (near + len, 'n', part - 1);
        len += part - 1;
    }
    near [len] = 0;
    s_err [0] = 0;
    CHECK (zc_store_open (near, s_err, sizeof s_err) == -1);
    CHECKF (strstr (s_err, "--data-dir: too long"), "err \"%s\"", s_err);
    test_rmrf (base);
}

int
main (void)
{
    test_election_round_trip ();
    test_election_corrupt ();
    test_node_refuses_corrupt_state ();
    test_retired_round_trip ();
    test_retired_at ();
    test_retired_corrupt ();
    test_temp_files ();
    test_long_paths ();
    return check_report ("test_store");
}
