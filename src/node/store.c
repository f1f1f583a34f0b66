/*  store.c — see store.h */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
zc_store_open (const char *dir, char *err, size_t errlen)
{
    char path [1100];
    snprintf (path, sizeof path, "%s", dir);
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
    return 0;
fail:
    snprintf (err, errlen, "--data-dir: cannot create %s: %s", path, strerror (errno));
    return -1;
}

int
zc_store_load (const char *dir, zc_stored_t *state, char *err, size_t errlen)
{
    memset (state, 0, sizeof *state);
    char path [1100];
    snprintf (path, sizeof path, "%s/election.state", dir);
    FILE *file = fopen (path, "r");
    if (!file)
        return errno == ENOENT ? 0 : -1;
    unsigned long long epoch, log_epoch;
    unsigned leader;
    int fields = fscanf (file, "%llu %u %llu", &epoch, &leader, &log_epoch);
    fclose (file);
    if (fields != 3) {
        snprintf (err, errlen, "%s is corrupt (want \"epoch leader log_epoch\")", path);
        return -1;
    }
    state->epoch = epoch;
    state->leader = leader;
    state->log_epoch = log_epoch;
    return 0;
}

//  Write a small file durably: temp file, fsync, rename, fsync the folder.
static int
s_write_atomic (const char *dir, const char *name, const char *text, size_t size)
{
    char path [1100], temp [1100];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    snprintf (temp, sizeof temp, "%s/%s.tmp", dir, name);
    int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    int rc = write (fd, text, size) == (ssize_t) size && fsync (fd) == 0 ? 0 : -1;
    close (fd);
    if (rc == 0)
        rc = rename (temp, path);
    if (rc == 0) {
        int dfd = open (dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync (dfd);
            close (dfd);
        }
    }
    return rc;
}

int
zc_store_save (const char *dir, const zc_stored_t *state)
{
    char line [96];
    int len = snprintf (line, sizeof line, "%" PRIu64 " %u %" PRIu64 "\n",
                        state->epoch, state->leader, state->log_epoch);
    return s_write_atomic (dir, "election.state", line, (size_t) len);
}

int
zc_store_save_retired (const char *dir, const char *text, size_t size)
{
    return s_write_atomic (dir, "retired.state", text, size);
}

int
zc_store_load_retired (const char *dir,
                       void (*each) (char kind, const char *key, uint64_t value, void *arg),
                       void *arg, char *err, size_t errlen)
{
    char path [1100];
    snprintf (path, sizeof path, "%s/retired.state", dir);
    FILE *file = fopen (path, "r");
    if (!file)
        return errno == ENOENT ? 0 : -1;
    char kind [16], key [128];
    unsigned long long value;
    int rc = 0, fields;
    while ((fields = fscanf (file, "%15s %127s %llu", kind, key, &value)) == 3) {
        if (strcmp (kind, "room") && strcmp (kind, "client") && strcmp (kind, "base")) {
            fields = 0;
            break;
        }
        each (kind [0], key, value, arg);
    }
    if (fields != EOF) {
        snprintf (err, errlen, "%s is corrupt", path);
        rc = -1;
    }
    fclose (file);
    return rc;
}
