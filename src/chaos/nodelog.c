/*  nodelog.c — the nodes' [ELECTION] and [NODE] log lines, timestamped by
    the harness as they are written.

    A node logs through czmq, which stamps lines with whole seconds only:
    too coarse for a detection that takes a few milliseconds.  The nodes'
    output goes to files in the run folder (nodes.c), and czmq flushes
    every line, so a thread here watches that folder with inotify and reads
    each node's log as it grows, stamping every complete line with the
    campaign's monotonic clock, the same clock as the fault times and the
    workers' acks.  The error is the wake-up latency of this thread: well
    under a millisecond on an idle machine, a few on a busy one.  Polling
    STATUS instead would cost the nodes a request per poll and measure no
    better than its period.  Without inotify the thread reads every 5 ms.
*/
#include "chaos.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define PART_MAX 1024       //  longer lines are cut (ours are short)

struct zc_nodelog {
    zc_chaos_t *ch;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    int ifd;                                //  inotify, -1: poll
    int fd [ZC_CHAOS_MAX_NODES];            //  opened once the file exists
    char part [ZC_CHAOS_MAX_NODES][PART_MAX];   //  a line not complete yet
    size_t partlen [ZC_CHAOS_MAX_NODES];
    zc_logline_t *lines;                    //  the thread's until it stops
    size_t count, cap;
};

static void
s_keep (zc_nodelog_t *log, unsigned i, const char *line, int64_t t)
{
    const char *tag = strstr (line, "[ELECTION]");
    if (!tag)
        tag = strstr (line, "[NODE]");
    if (!tag)
        return;
    if (log->count == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 256;
        log->lines = realloc (log->lines, log->cap * sizeof (zc_logline_t));
        if (!log->lines)
            abort ();
    }
    zc_logline_t *l = &log->lines [log->count++];
    l->t = t;
    l->node = log->ch->node [i].id;
    snprintf (l->text, sizeof (l->text), "%s", tag);
}

//  Reads what node i's log gained; every complete line gets the time now
static void
s_read_node (zc_nodelog_t *log, unsigned i)
{
    if (log->fd [i] < 0) {
        char path [sizeof (log->ch->run_dir) + 32];
        snprintf (path, sizeof (path), "%s/node-%u.log", log->ch->run_dir,
                  log->ch->node [i].id);
        log->fd [i] = open (path, O_RDONLY | O_CLOEXEC);
        if (log->fd [i] < 0)
            return;             //  not started yet
    }
    char buf [8192];
    ssize_t got;
    while ((got = read (log->fd [i], buf, sizeof (buf))) > 0) {
        int64_t t = zc_chaos_t_ms (log->ch);
        for (ssize_t k = 0; k < got; k++) {
            if (buf [k] == '\n') {
                log->part [i][log->partlen [i]] = 0;
                s_keep (log, i, log->part [i], t);
                log->partlen [i] = 0;
            }
            else
            if (log->partlen [i] < PART_MAX - 1)
                log->part [i][log->partlen [i]++] = buf [k];
        }
    }
}

static void
s_read_all (zc_nodelog_t *log)
{
    for (unsigned i = 0; i < log->ch->nodes; i++)
        s_read_node (log, i);
}

static void *
s_watch (void *arg)
{
    zc_nodelog_t *log = arg;
    char events [4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
    while (!atomic_load (&log->stop)) {
        //  Any change in the folder: read every node's log (a few read()s;
        //  the workers' records change there too, five times a second)
        struct pollfd item = { .fd = log->ifd, .events = POLLIN };
        int rc = poll (log->ifd >= 0 ? &item : NULL, log->ifd >= 0 ? 1 : 0,
                       log->ifd >= 0 ? 100 : 5);
        if (rc > 0)
            while (read (log->ifd, events, sizeof (events)) > 0)
                ;
        s_read_all (log);
    }
    s_read_all (log);
    return NULL;
}

zc_nodelog_t *
zc_nodelog_start (zc_chaos_t *ch, char *err, size_t errlen)
{
    zc_nodelog_t *log = calloc (1, sizeof (*log));
    if (!log)
        abort ();
    log->ch = ch;
    for (unsigned i = 0; i < ZC_CHAOS_MAX_NODES; i++)
        log->fd [i] = -1;
    log->ifd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    if (log->ifd >= 0 && inotify_add_watch (log->ifd, ch->run_dir, IN_MODIFY | IN_CREATE) < 0) {
        close (log->ifd);
        log->ifd = -1;
    }
    if (log->ifd < 0)
        zc_chaos_log (ch, "no inotify (%s): node log lines timestamped every 5 ms",
                      strerror (errno));
    if (pthread_create (&log->thread, NULL, s_watch, log) != 0) {
        snprintf (err, errlen, "cannot start the node log thread");
        zc_nodelog_free (&log);
        return NULL;
    }
    log->started = true;
    return log;
}

//  The stamped lines, for reading a run's timeline to the millisecond
static void
s_save (zc_nodelog_t *log)
{
    char path [sizeof (log->ch->run_dir) + 32];
    snprintf (path, sizeof (path), "%s/election-lines.log", log->ch->run_dir);
    FILE *file = fopen (path, "we");
    if (!file)
        return;
    for (size_t i = 0; i < log->count; i++)
        fprintf (file, "[%8.3f s] %s\n", (double) log->lines [i].t / 1000.0,
                 log->lines [i].text);
    fclose (file);
}

void
zc_nodelog_stop (zc_nodelog_t *log)
{
    if (!log || !log->started)
        return;
    atomic_store (&log->stop, true);
    pthread_join (log->thread, NULL);
    log->started = false;
    s_save (log);
}

const zc_logline_t *
zc_nodelog_lines (zc_nodelog_t *log, size_t *count)
{
    *count = log && !log->started ? log->count : 0;
    return log ? log->lines : NULL;
}

void
zc_nodelog_free (zc_nodelog_t **log_p)
{
    zc_nodelog_t *log = *log_p;
    if (!log)
        return;
    zc_nodelog_stop (log);
    for (unsigned i = 0; i < ZC_CHAOS_MAX_NODES; i++)
        if (log->fd [i] >= 0)
            close (log->fd [i]);
    if (log->ifd >= 0)
        close (log->ifd);
    free (log->lines);
    free (log);
    *log_p = NULL;
}
