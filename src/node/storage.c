/*  storage.c — the log writer thread beside the loop (storage.h).

    While the disk is fast and the thread idle, the caller writes and syncs
    itself: a hand-off costs two thread wake-ups per batch, which on a
    small machine busy with its clients cost more than a 0.2 ms
    fdatasync.  Once syncs take inline_us or more on average (a slow or
    busy disk), every write goes to the thread and the loop never waits.

    Kafka's and etcd's way, not LMAX's: one writer thread owns the segment
    store; the loop sends it one message per write ([header][entries]),
    and the thread, woken by the first, takes every write already queued
    before it syncs once.  Writes per sync grow with the load by
    themselves, with no timer to tune (docs/DECISIONS.md).  The reports
    go back on the same pipe: "D" and the last ticket synced, or "F" and
    the errno of the first write or sync that failed, after which every
    write is refused with that errno.
*/
#include "storage.h"

#include <errno.h>

//  One write as it travels to the thread (frame 1); the entries follow
//  in frame 2 as [u32 size][bytes] back to back.
typedef struct {
    uint64_t ticket;
    uint64_t truncate_after;
    uint64_t first;
    uint64_t count;
    uint8_t truncate;
} s_job_t;

struct _zc_storage_t {
    zactor_t *actor;
    zc_segstore_t *segstore;    //  the loop's own writes, while the thread idles
    char slow_file [1100];
    uint32_t inline_us;
    uint64_t sync_us;           //  how long syncs take (a moving average)
    uint64_t handed;            //  the last ticket handed over
    uint64_t done;              //  the last ticket reported on disk
    int failed;                 //  errno of a failure reported, or 0
    uint64_t syncs, writes;     //  counts, the thread's as last reported and ours
    uint64_t own_syncs;
    zc_histogram_t sync_times;  //  every sync, as reported or made here
};

typedef struct {
    zc_segstore_t *segstore;
    char slow_file [1100];          //  "": the hook is off
    int failed;
    uint64_t syncs, writes;
    uint64_t sync_us;               //  the last batch's sync
} s_thread_t;

//  The test-only slow-disk hook (storage.h): ms to add to this sync
static void
s_slow_sync (const char *slow_file)
{
    if (!slow_file [0])
        return;
    FILE *file = fopen (slow_file, "r");
    if (!file)
        return;
    unsigned ms = 0;
    if (fscanf (file, "%u", &ms) == 1 && ms > 0 && ms <= 10000)
        zclock_sleep ((int) ms);
    fclose (file);
}

//  The store's sync, timed, after the hook: 0 or -1 with errno
static int
s_sync (zc_segstore_t *segstore, const char *slow_file, uint64_t *usecs)
{
    int64_t start = zclock_usecs ();
    s_slow_sync (slow_file);
    int rc = zc_segstore_sync (segstore);
    *usecs = (uint64_t) (zclock_usecs () - start);
    return rc;
}

//  One write into the store (no sync): 0 or -1 with errno.
static int
s_apply (s_thread_t *thread, zmsg_t *msg, uint64_t *ticket)
{
    zframe_t *head = zmsg_first (msg);
    zframe_t *body = zmsg_next (msg);
    s_job_t job;
    if (!head || zframe_size (head) != sizeof job || !body) {
        errno = EPROTO;
        return -1;
    }
    memcpy (&job, zframe_data (head), sizeof job);
    *ticket = job.ticket;
    if (job.truncate && zc_segstore_truncate (thread->segstore, job.truncate_after))
        return -1;
    const uint8_t *at = zframe_data (body);
    const uint8_t *end = at + zframe_size (body);
    for (uint64_t i = 0; i < job.count; i++) {
        uint32_t size;
        if ((size_t) (end - at) < sizeof size) {
            errno = EPROTO;
            return -1;
        }
        memcpy (&size, at, sizeof size);
        at += sizeof size;
        if ((size_t) (end - at) < size) {
            errno = EPROTO;
            return -1;
        }
        if (zc_segstore_append (thread->segstore, job.first + i, at, size))
            return -1;
        at += size;
    }
    thread->writes++;
    return 0;
}

static void
s_report (s_thread_t *thread, zsock_t *pipe, uint64_t ticket)
{
    uint64_t words [4] = { thread->failed ? (uint64_t) thread->failed : ticket,
                           thread->syncs, thread->writes, thread->sync_us };
    zsock_send (pipe, "sb", thread->failed ? "F" : "D", words, sizeof words);
}

static void
s_thread (zsock_t *pipe, void *arg)
{
    s_thread_t thread = *(s_thread_t *) arg;
    free (arg);
    zsock_signal (pipe, 0);
    bool term = false;
    while (!term) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        uint64_t ticket = 0;
        bool any = false;
        //  Every write queued by now joins this batch: one sync for all
        while (msg) {
            if (zframe_streq (zmsg_first (msg), "$TERM")) {
                term = true;
                zmsg_destroy (&msg);
                break;
            }
            any = true;
            if (!thread.failed && s_apply (&thread, msg, &ticket))
                thread.failed = errno ? errno : EIO;
            zmsg_destroy (&msg);
            msg = (zsock_events (pipe) & ZMQ_POLLIN) ? zmsg_recv (pipe) : NULL;
        }
        if (!any)
            continue;
        if (!thread.failed) {
            if (s_sync (thread.segstore, thread.slow_file, &thread.sync_us))
                thread.failed = errno ? errno : EIO;
            else
                thread.syncs++;
        }
        s_report (&thread, pipe, ticket);
    }
}

zc_storage_t *
zc_storage_new (zc_segstore_t *segstore, const char *slow_file, uint32_t inline_us)
{
    zc_storage_t *self = calloc (1, sizeof *self);
    s_thread_t *thread = calloc (1, sizeof *thread);
    if (!self || !thread || (slow_file && strlen (slow_file) >= sizeof thread->slow_file)) {
        free (self);
        free (thread);
        return NULL;
    }
    thread->segstore = segstore;
    if (slow_file)
        strcpy (thread->slow_file, slow_file);
    self->segstore = segstore;
    strcpy (self->slow_file, thread->slow_file);
    self->inline_us = inline_us;
    zc_histogram_init_fsync (&self->sync_times);
    //  The thread owns `thread` once it runs (zactor_new waits for its signal)
    self->actor = zactor_new (s_thread, thread);
    if (!self->actor) {
        free (self);
        return NULL;
    }
    //  Reports wait in the pipe for the loop; a blocking wait blocks.
    zsock_set_rcvtimeo (zactor_sock (self->actor), -1);
    return self;
}

void
zc_storage_destroy (zc_storage_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_storage_t *self = *self_p;
    zactor_destroy (&self->actor);      //  $TERM queues after every write
    free (self);
    *self_p = NULL;
}

static void
s_note_sync (zc_storage_t *self, uint64_t usecs)
{
    //  A moving average over about the last 8 syncs
    self->sync_us = self->sync_us - self->sync_us / 8 + usecs / 8;
    zc_histogram_observe (&self->sync_times, usecs);
}

//  The write on the caller's thread: the storage thread is idle (every
//  ticket handed to it is reported), so the store is ours meanwhile.
static int
s_write_here (zc_storage_t *self, uint64_t ticket, bool truncate, uint64_t truncate_after,
              zc_chatlog_t *log, uint64_t first, uint64_t last)
{
    int rc = truncate ? zc_segstore_truncate (self->segstore, truncate_after) : 0;
    for (uint64_t seq = first; seq <= last && rc == 0; seq++) {
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        if (!entry) {
            errno = EINVAL;         //  the core names only entries it holds
            return -1;              //  nothing failed on disk: the store is fine
        }
        rc = zc_segstore_append (self->segstore, seq, entry->data, entry->size);
    }
    uint64_t usecs = 0;
    if (rc == 0)
        rc = s_sync (self->segstore, self->slow_file, &usecs);
    if (rc) {
        self->failed = errno ? errno : EIO;
        errno = self->failed;
        return -1;
    }
    s_note_sync (self, usecs);
    self->own_syncs++;
    self->handed = self->done = ticket;
    return 1;
}

int
zc_storage_write (zc_storage_t *self, uint64_t ticket, bool truncate,
                  uint64_t truncate_after, zc_chatlog_t *log, uint64_t first, uint64_t last)
{
    if (self->failed) {
        errno = self->failed;
        return -1;
    }
    if (self->inline_us && self->handed == self->done && self->sync_us < self->inline_us)
        return s_write_here (self, ticket, truncate, truncate_after, log, first, last);
    size_t bytes = 0;
    for (uint64_t seq = first; seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        if (!entry) {
            errno = EINVAL;         //  the core names only entries it holds
            return -1;
        }
        bytes += sizeof (uint32_t) + entry->size;
    }
    zframe_t *body = zframe_new (NULL, bytes);
    if (!body) {
        errno = ENOMEM;
        return -1;
    }
    uint8_t *at = zframe_data (body);
    for (uint64_t seq = first; seq <= last; seq++) {
        zc_entry_t *entry = zc_chatlog_get (log, seq);
        uint32_t size = (uint32_t) entry->size;
        memcpy (at, &size, sizeof size);
        memcpy (at + sizeof size, entry->data, entry->size);
        at += sizeof size + entry->size;
    }
    s_job_t job = { ticket, truncate_after, first, first <= last ? last - first + 1 : 0,
                    truncate ? 1 : 0 };
    zmsg_t *msg = zmsg_new ();
    if (!msg || zmsg_addmem (msg, &job, sizeof job) || zmsg_append (msg, &body)
    ||  zmsg_send (&msg, zactor_sock (self->actor))) {
        zframe_destroy (&body);
        zmsg_destroy (&msg);
        errno = ENOMEM;
        return -1;
    }
    self->handed = ticket;
    return 0;
}

zsock_t *
zc_storage_sock (zc_storage_t *self)
{
    return zactor_sock (self->actor);
}

//  One report: 0 or -1 (failed)
static int
s_read_report (zc_storage_t *self)
{
    char *kind = NULL;
    uint8_t *words_data = NULL;
    size_t size = 0;
    if (zsock_recv (zactor_sock (self->actor), "sb", &kind, &words_data, &size) < 0) {
        errno = EIO;
        return -1;
    }
    uint64_t words [4] = { 0, 0, 0, 0 };
    if (words_data && size == sizeof words)
        memcpy (words, words_data, sizeof words);
    bool failed = !kind || kind [0] != 'D';
    free (kind);
    free (words_data);
    self->syncs = words [1];
    self->writes = words [2];
    if (!failed)
        s_note_sync (self, words [3]);
    if (failed) {
        self->failed = words [0] ? (int) words [0] : EIO;
        errno = self->failed;
        return -1;
    }
    if (words [0] > self->done)
        self->done = words [0];
    return 0;
}

//  Reads reports: those that wait, or (block) until every ticket handed
//  out is reported.  0, or -1 with errno set (failed).
static int
s_reports (zc_storage_t *self, bool block, uint64_t *done)
{
    while (!self->failed
       &&  (block ? self->done < self->handed
                  : (zsock_events (zactor_sock (self->actor)) & ZMQ_POLLIN) != 0))
        if (s_read_report (self))
            return -1;
    if (self->failed) {
        errno = self->failed;
        return -1;
    }
    *done = self->done;
    return 0;
}

int
zc_storage_recv (zc_storage_t *self, uint64_t *done)
{
    return s_reports (self, false, done);
}

int
zc_storage_wait (zc_storage_t *self, uint64_t *done)
{
    return s_reports (self, true, done);
}

void
zc_storage_stats (zc_storage_t *self, uint64_t *syncs, uint64_t *writes)
{
    *syncs = self->syncs + self->own_syncs;
    *writes = self->writes + self->own_syncs;
}

const zc_histogram_t *
zc_storage_sync_times (zc_storage_t *self)
{
    return &self->sync_times;
}
