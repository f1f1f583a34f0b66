/*  storage.c — the log writer thread beside the loop (storage.h).

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
    uint64_t handed;            //  the last ticket handed over
    uint64_t done;              //  the last ticket reported on disk
    int failed;                 //  errno of a failure reported, or 0
    uint64_t syncs, writes;     //  the thread's counts, as last reported
};

typedef struct {
    zc_segstore_t *segstore;
    char slow_file [1100];          //  "": the hook is off
    int failed;
    uint64_t syncs, writes;
} s_thread_t;

//  The test-only slow-disk hook (storage.h): ms to add to this sync
static void
s_slow_sync (s_thread_t *thread)
{
    if (!thread->slow_file [0])
        return;
    FILE *file = fopen (thread->slow_file, "r");
    if (!file)
        return;
    unsigned ms = 0;
    if (fscanf (file, "%u", &ms) == 1 && ms > 0 && ms <= 10000)
        zclock_sleep ((int) ms);
    fclose (file);
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
    uint64_t words [3] = { thread->failed ? (uint64_t) thread->failed : ticket,
                           thread->syncs, thread->writes };
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
            s_slow_sync (&thread);
            if (zc_segstore_sync (thread.segstore))
                thread.failed = errno ? errno : EIO;
            else
                thread.syncs++;
        }
        s_report (&thread, pipe, ticket);
    }
}

zc_storage_t *
zc_storage_new (zc_segstore_t *segstore, const char *slow_file)
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

int
zc_storage_write (zc_storage_t *self, uint64_t ticket, bool truncate,
                  uint64_t truncate_after, zc_chatlog_t *log, uint64_t first, uint64_t last)
{
    if (self->failed) {
        errno = self->failed;
        return -1;
    }
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
    uint64_t words [3] = { 0, 0, 0 };
    if (words_data && size == sizeof words)
        memcpy (words, words_data, sizeof words);
    bool failed = !kind || kind [0] != 'D';
    free (kind);
    free (words_data);
    self->syncs = words [1];
    self->writes = words [2];
    if (failed) {
        self->failed = words [0] ? (int) words [0] : EIO;
        errno = self->failed;
        return -1;
    }
    if (words [0] > self->done)
        self->done = words [0];
    return 0;
}

int
zc_storage_recv (zc_storage_t *self, uint64_t *done)
{
    while (!self->failed && (zsock_events (zactor_sock (self->actor)) & ZMQ_POLLIN))
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
zc_storage_wait (zc_storage_t *self, uint64_t *done)
{
    while (!self->failed && self->done < self->handed)
        if (s_read_report (self))
            return -1;
    if (self->failed) {
        errno = self->failed;
        return -1;
    }
    *done = self->done;
    return 0;
}

void
zc_storage_stats (zc_storage_t *self, uint64_t *syncs, uint64_t *writes)
{
    *syncs = self->syncs;
    *writes = self->writes;
}
