/*  store.c — see store.h

    Both state files are parsed strictly and whole: a torn, truncated or
    edited file is refused with the line that is wrong, never read as zeros
    nor as part of its values (a node that forgot its vote could vote twice
    in one epoch; docs/PROTOCOL.md §5.2).  The writer checks retired.state
    against the same parser first, so that no node writes a file it would
    then refuse to start from.
*/
#include "store.h"
#include "members.h"
#include "numparse.h"
#include "oom.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  election.state is one line of three numbers: anything longer is corrupt
#define S_ELECTION_MAX 128
//  Room for --data-dir (at most 1023 bytes, config.h) and a file name
#define S_PATH_MAX 1100

//  "DIR/NAME" into path: -1 (ENAMETOOLONG) when it does not fit, rather
//  than a cut path that names another file.
static int
s_path (char *path, size_t cap, const char *dir, const char *name)
{
    int len = snprintf (path, cap, "%s/%s", dir, name);
    if (len < 0 || (size_t) len >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int
zc_store_open (const char *dir, char *err, size_t errlen)
{
    char path [S_PATH_MAX];
    if (snprintf (path, sizeof path, "%s", dir) >= (int) sizeof path) {
        snprintf (err, errlen, "--data-dir: too long (%.40s...)", dir);
        return -1;
    }
    //  mkdir -p: create each parent in turn.
    for (char *slash = path + 1; *slash; slash++) {
        if (*slash != '/')
            continue;
        *slash = 0;
        if (mkdir (path, 0755) && errno != EEXIST)
            goto fail;
        *slash = '/';
    }
    if (mkdir (path, 0755) && errno != EEXIST)
        goto fail;
    //  The longest name in the folder must fit too (segstore's are shorter)
    char probe [S_PATH_MAX];
    if (s_path (probe, sizeof probe, dir, "election.state.tmp")) {
        snprintf (err, errlen, "--data-dir: too long (%.40s...)", dir);
        return -1;
    }
    //  A temporary file a crash left behind never counts: the rename that
    //  would have made it the state did not happen.
    const char *names [] = { "election.state.tmp", "retired.state.tmp" };
    for (size_t i = 0; i < 2; i++)
        if (s_path (probe, sizeof probe, dir, names [i]) == 0)
            unlink (probe);
    return 0;
fail:
    snprintf (err, errlen, "--data-dir: cannot create %s: %s", path, strerror (errno));
    return -1;
}

//  The whole file into *text (NUL-terminated, the caller frees), at most
//  max bytes.  1 when there is no file, 0, or -1 with err set.
static int
s_read (const char *path, size_t max, char **text, size_t *size, char *err, size_t errlen)
{
    *text = NULL;
    *size = 0;
    FILE *file = fopen (path, "re");
    if (!file) {
        if (errno == ENOENT)
            return 1;
        snprintf (err, errlen, "cannot read %s: %s", path, strerror (errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = ZC_ALLOC (malloc (cap + 1));
    size_t got;
    while ((got = fread (buf + len, 1, cap - len, file)) > 0) {
        len += got;
        if (len > max)
            break;
        if (len == cap) {
            cap *= 2;
            buf = ZC_ALLOC (realloc (buf, cap + 1));
        }
    }
    int failed = ferror (file);
    fclose (file);
    if (failed) {
        snprintf (err, errlen, "cannot read %s: read error", path);
        free (buf);
        return -1;
    }
    if (len > max) {
        snprintf (err, errlen, "%s is corrupt (larger than %zu bytes)", path, max);
        free (buf);
        return -1;
    }
    buf [len] = 0;
    *text = buf;
    *size = len;
    return 0;
}

//  The state file `name` of dir, whole, into path (S_PATH_MAX bytes) and
//  *text: 0, 1 when there is no such file, -1 with err set.
static int
s_read_state (const char *dir, const char *name, size_t max, char *path, char **text,
              size_t *size, char *err, size_t errlen)
{
    if (s_path (path, S_PATH_MAX, dir, name)) {
        snprintf (err, errlen, "--data-dir: too long (%.40s...)", dir);
        return -1;
    }
    return s_read (path, max, text, size, err, errlen);
}

//  A field [text, text + len) as a decimal uint64, through the one number
//  parser (numparse.h): digits only, no sign, no space, no overflow
//  (strtoull would take "-1" as 2^64 - 1, and wrap silently)
static bool
s_decimal (const char *text, size_t len, uint64_t *value)
{
    char digits [24];
    //  A NUL inside the field would end the text the parser sees early
    if (len >= sizeof digits || memchr (text, '\0', len))
        return false;
    memcpy (digits, text, len);
    digits [len] = 0;
    return zc_parse_u64 (digits, 0, UINT64_MAX, value) == ZC_PARSE_OK;
}

//  A line (without its '\n') as 3..max fields, split at each space; an
//  empty field (two spaces) is left to the field's own check.  Returns
//  how many (0: fewer than 3 or more than max).
static size_t
s_fields (const char *line, size_t len, const char **field, size_t *flen, size_t max)
{
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || line [i] == ' ') {
            if (count == max)
                return 0;               //  one field too many
            field [count] = line + start;
            flen [count++] = i - start;
            start = i + 1;
        }
    return count >= 3 ? count : 0;
}

int
zc_store_load (const char *dir, zc_stored_t *state, char *err, size_t errlen)
{
    memset (state, 0, sizeof *state);
    char path [S_PATH_MAX], *text;
    size_t size;
    int rc = s_read_state (dir, "election.state", S_ELECTION_MAX, path, &text, &size,
                           err, errlen);
    if (rc) {
        state->missing = rc > 0;        //  no file: what it means is the core's call
        return rc > 0 ? 0 : -1;
    }
    const char *field [4];
    size_t flen [4];
    uint64_t epoch, leader, log_epoch, trust = 0;
    size_t fields = 0;
    //  One line, ended: its only '\n' is its last byte, so that a file cut
    //  short ("12 3 4" of "12 3 45\n") is not read as its first numbers
    bool ok = size > 0 && memchr (text, '\n', size) == text + size - 1
           && (fields = s_fields (text, size - 1, field, flen, 4)) > 0
           && s_decimal (field [0], flen [0], &epoch)
           && s_decimal (field [1], flen [1], &leader) && leader <= UINT32_MAX
           && s_decimal (field [2], flen [2], &log_epoch)
           && (fields == 3 || s_decimal (field [3], flen [3], &trust));
    free (text);
    if (!ok) {
        snprintf (err, errlen, "%s is corrupt (want one line \"epoch leader log_epoch "
                  "[trust]\"); the node does not start without its election state", path);
        return -1;
    }
    state->epoch = epoch;
    state->leader = (uint32_t) leader;
    state->log_epoch = log_epoch;
    state->trust = trust;
    return 0;
}

//  Checks every line of a retired.state text; then, if each is given,
//  calls it per line.  0, or -1 with err naming the first bad line.
static int
s_parse_retired (const char *text, size_t size, const char *path,
                 void (*each) (char kind, const char *key, uint64_t value,
                               uint64_t at, void *arg),
                 void *arg, char *err, size_t errlen)
{
    for (int pass = 0; pass < (each ? 2 : 1); pass++) {
        size_t at = 0, number = 0;
        while (at < size) {
            number++;
            const char *line = text + at;
            const char *end = memchr (line, '\n', size - at);
            if (!end) {
                snprintf (err, errlen, "%s is corrupt: line %zu has no end (a cut file?)",
                          path, number);
                return -1;
            }
            size_t len = (size_t) (end - line);
            at += len + 1;
            const char *field [4];
            size_t flen [4];
            uint64_t value, seq, at = 0;
            const char *why = NULL;
            char kind = 0;
            //  A client line may say when it was retired (a fourth field;
            //  files written before it have three: at 0, not known)
            size_t fields = s_fields (line, len, field, flen, 4);
            bool client = fields && flen [0] == 6 && memcmp (field [0], "client", 6) == 0;
            if (!fields || (fields == 4 && !client)
            ||  !s_decimal (field [2], flen [2], &value)
            ||  (fields == 4 && !s_decimal (field [3], flen [3], &at)))
                why = "want \"base SEQ EPOCH\", \"room NAME RSEQ\", \"client ID LAST_ID "
                      "[RETIRED_AT]\" or \"members ID:HOST:PORT,... SEQ\"";
            else
            if ((flen [0] == 4 && memcmp (field [0], "base", 4) == 0)
            ||  (flen [0] == 8 && memcmp (field [0], "snapshot", 8) == 0)) {
                kind = flen [0] == 4 ? 'b' : 's';
                if (!s_decimal (field [1], flen [1], &seq))
                    why = "the base is not a seq";
            }
            else
            if (flen [0] == 4 && memcmp (field [0], "room", 4) == 0) {
                kind = 'r';
                if (!zc_room_valid (field [1], flen [1]))
                    why = "not a room name";
            }
            else
            if (client) {
                kind = 'c';
                bool graphic = flen [1] > 0 && flen [1] <= ZC_CLIENT_ID_LEN;
                for (size_t i = 0; graphic && i < flen [1]; i++)
                    graphic = field [1][i] > ' ' && field [1][i] < 0x7f;
                if (!graphic)
                    why = "not a client id";
            }
            else
            if (flen [0] == 7 && memcmp (field [0], "members", 7) == 0) {
                kind = 'm';
                zc_members_t members;
                if (zc_members_parse (&members, field [1], flen [1], NULL, 0))
                    why = "not a configuration (ID:HOST:PORT,...)";
            }
            else
                why = "not base, snapshot, room, client or members";
            if (why) {
                snprintf (err, errlen, "%s is corrupt: line %zu: %s", path, number, why);
                return -1;
            }
            if (pass == 1) {
                char key [ZC_MAX_TEXT + 1];     //  the longest key a line can hold
                memcpy (key, field [1], flen [1]);
                key [flen [1]] = 0;
                each (kind, key, value, at, arg);
            }
        }
    }
    return 0;
}

//  Write a small file durably: temp file, fsync, rename, fsync the folder.
//  On failure no temp file is left, and errno says why.
static int
s_write_atomic (const char *dir, const char *name, const char *text, size_t size)
{
    char path [S_PATH_MAX], temp [S_PATH_MAX + 8];
    if (s_path (path, sizeof path, dir, name)
    ||  snprintf (temp, sizeof temp, "%s.tmp", path) >= (int) sizeof temp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = 0;
    for (size_t done = 0; done < size && rc == 0; ) {
        ssize_t wrote = write (fd, text + done, size - done);
        if (wrote > 0)
            done += (size_t) wrote;
        else
        if (wrote < 0 && errno == EINTR)
            continue;
        else {
            if (wrote == 0)
                errno = EIO;
            rc = -1;
        }
    }
    if (rc == 0)
        rc = fsync (fd);
    int saved = errno;
    if (close (fd) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename (temp, path)) {
        rc = -1;
        saved = errno;
    }
    if (rc) {
        unlink (temp);
        errno = saved;
        return -1;
    }
    //  The rename is durable only once the folder is: until then a crash
    //  may bring the old file back, so a failure here is a failure.
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    rc = fsync (dfd);
    saved = errno;
    close (dfd);
    errno = saved;
    return rc;
}

int
zc_store_save (const char *dir, const zc_stored_t *state)
{
    char line [96];
    int len = state->trust
            ? snprintf (line, sizeof line, "%" PRIu64 " %u %" PRIu64 " %" PRIu64 "\n",
                        state->epoch, state->leader, state->log_epoch, state->trust)
            : snprintf (line, sizeof line, "%" PRIu64 " %u %" PRIu64 "\n",
                        state->epoch, state->leader, state->log_epoch);
    return s_write_atomic (dir, "election.state", line, (size_t) len);
}

int
zc_store_save_retired (const char *dir, const char *text, size_t size)
{
    char err [256];
    if (s_parse_retired (text, size, "retired.state", NULL, NULL, err, sizeof err)) {
        errno = EINVAL;                 //  the node keeps its old log then
        return -1;
    }
    return s_write_atomic (dir, "retired.state", text, size);
}

int
zc_store_parse_retired (const char *text, size_t size, const char *what,
                        void (*each) (char kind, const char *key, uint64_t value,
                                      uint64_t at, void *arg),
                        void *arg, char *err, size_t errlen)
{
    return s_parse_retired (text, size, what, each, arg, err, errlen);
}

int
zc_store_load_retired (const char *dir,
                       void (*each) (char kind, const char *key, uint64_t value,
                                     uint64_t at, void *arg),
                       void *arg, char *err, size_t errlen)
{
    char path [S_PATH_MAX], *text;
    size_t size;
    int rc = s_read_state (dir, "retired.state", SIZE_MAX - 1, path, &text, &size,
                           err, errlen);
    if (rc)
        return rc > 0 ? 0 : -1;         //  no file: nothing retired yet
    rc = s_parse_retired (text, size, path, each, arg, err, errlen);
    free (text);
    return rc;
}
