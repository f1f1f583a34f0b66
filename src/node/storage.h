/*  storage.h — the node's log writer: a thread beside the loop (group
    commit, docs/STORAGE.md "Group commit").

    The loop hands each bundle's write (core.h, the loop's contract, 2) to
    the storage thread over inproc, in ticket order, and goes on serving:
    heartbeats, client requests and publication no longer wait for an
    fdatasync.  The thread applies every write that queued up while it
    synced the last batch, syncs once (as --fsync says), and reports the
    batch's last ticket; the loop passes it to zc_core_durable.  While the
    thread runs, only it touches the segment store, except while the loop
    holds it idle (zc_storage_wait returned and nothing was handed since:
    the loop saves state and retires segments then).
*/
#ifndef ZC_STORAGE_H
#define ZC_STORAGE_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "chatlog.h"
#include "segstore.h"
#include "metrics.h"

typedef struct _zc_storage_t zc_storage_t;

//  Starts the thread over the segment store (which stays the caller's:
//  destroy it after the storage).  NULL if the thread cannot start.
//  slow_file: NULL, or the test-only slow-disk hook (chat-chaos's
//  slow-disk fault, docs/STORAGE.md): before each sync the thread reads a
//  number of milliseconds from that file, if it exists, and sleeps that
//  long, as a slow disk would make fdatasync take.
//  inline_us: while the thread is idle and syncs take less than this on
//  average (0: never), zc_storage_write writes and syncs on the caller's
//  thread instead (storage.c).
zc_storage_t *zc_storage_new (zc_segstore_t *segstore, const char *slow_file,
                              uint32_t inline_us);
//  Applies and syncs what was handed out, then stops the thread.
void zc_storage_destroy (zc_storage_t **self_p);

//  Hands one write over: if truncate, drop the entries after
//  truncate_after; then append entries first..last of log (copied now).
//  Tickets must grow.  0 (handed over), 1 (written and synced already,
//  inline_us), or -1 with errno set (out of memory, a seq the log does not
//  hold, or the write or sync failed here).
int zc_storage_write (zc_storage_t *self, uint64_t ticket, bool truncate,
                      uint64_t truncate_after, zc_chatlog_t *log,
                      uint64_t first, uint64_t last);

//  The socket the loop polls: readable when a report waits.
zsock_t *zc_storage_sock (zc_storage_t *self);

//  Reads the reports that wait, never blocking: *done is the highest
//  ticket on disk (unchanged if none came).  0, or -1 with errno set when
//  a write or sync failed: the node must stop, the store refuses more.
int zc_storage_recv (zc_storage_t *self, uint64_t *done);

//  Blocks until every ticket handed out is on disk; *done is the last.
//  0, or -1 with errno set as zc_storage_recv.
int zc_storage_wait (zc_storage_t *self, uint64_t *done);

//  Batches synced so far, and writes they held (group commit: writes per
//  sync grow with the load).
void zc_storage_stats (zc_storage_t *self, uint64_t *syncs, uint64_t *writes);

//  How long each sync took, the thread's and the caller's (metrics.h).
//  Read on the caller's thread, as everything here but the thread's work.
const zc_histogram_t *zc_storage_sync_times (zc_storage_t *self);

#endif
