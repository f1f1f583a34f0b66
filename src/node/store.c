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

int
zc_store_save (const char *dir, const zc_stored_t *state)
{
    char path [1100], temp [1100];
    snprintf (path, sizeof path, "%s/election.state", dir);
    snprintf (temp, sizeof temp, "%s/election.state.tmp", dir);
    int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    char line [96];
    int len = snprintf (line, sizeof line, "%" PRIu64 " %u %" PRIu64 "\n",
                        state->epoch, state->leader, state->log_epoch);
    int rc = write (fd, line, len) == len && fsync (fd) == 0 ? 0 : -1;
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
