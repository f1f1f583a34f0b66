/*  segstore.h — the node's chat log on disk: append-only segment files.

    Records (seq, bytes) go to files log-<first seq, 20 digits>.seg in the
    data folder, each record framed with its length, a CRC32 and its seq;
    docs/STORAGE.md has the exact format.  Seqs are contiguous: each append
    is last_seq + 1, except the first into an empty store (retention or a
    truncation may leave the store starting above 1).

    Open validates every record (CRC, length, seq continuity across files).
    A torn tail — the end of the last file, left by a crash mid-write — is
    cut off and reported by zc_segstore_note.  Any other damage fails open
    with a message naming the file and offset: the node must refuse to
    start rather than serve a damaged history (docs/STORAGE.md).

    Only what was never synced can be torn: after each fdatasync the store
    notes in log.mark how far the log is durable, and open refuses a log
    that ends below that mark (docs/STORAGE.md "The durability mark").

    Only the last file is ever written; every older file was fsynced when
    the store moved past it, whatever the policy, so only the last file can
    be torn.  Single-threaded, like the node loop.
*/
#ifndef ZC_SEGSTORE_H
#define ZC_SEGSTORE_H

#include <stddef.h>
#include <stdint.h>

//  BATCH is 0 so that a zeroed config means "all defaults".
typedef enum {
    ZC_FSYNC_BATCH = 0,     //  the node calls zc_segstore_sync once per wake-up,
                            //  before it acknowledges anything (group commit)
    ZC_FSYNC_ALWAYS,        //  fdatasync inside every append
    ZC_FSYNC_NEVER          //  leave it to the OS: a machine crash loses the tail
} zc_fsync_t;

typedef struct {
    zc_fsync_t fsync;
    uint64_t segment_bytes;     //  start a new file past this; 0 = 16 MiB
    uint64_t retain_bytes;      //  keep about this much; 0 = keep all
    uint64_t retain_secs;       //  drop files untouched this long; 0 = keep all
} zc_segstore_config_t;

#define ZC_SEGSTORE_SEGMENT_BYTES  (16u << 20)
#define ZC_SEGSTORE_MAX_RECORD     (1u << 20)   //  payload bytes

typedef struct _zc_segstore_t zc_segstore_t;

//  Open (creating dir if missing) and validate the whole store.  cfg may be
//  NULL for defaults.  NULL with err set if the store is damaged.
zc_segstore_t *zc_segstore_open (const char *dir, const zc_segstore_config_t *cfg,
                                 char *err, size_t errlen);
void zc_segstore_destroy (zc_segstore_t **self_p);

//  What open repaired ("truncated 37 torn bytes at the end of ..."), or NULL.
const char *zc_segstore_note (zc_segstore_t *self);

//  Call cb for every record in seq order.  A non-zero return from cb stops
//  the replay.  0, or -1 with err set (read error, damage, or cb refused).
int zc_segstore_replay (zc_segstore_t *self,
                        int (*cb) (uint64_t seq, const uint8_t *data, size_t size, void *arg),
                        void *arg, char *err, size_t errlen);

//  Append one record; seq must be last_seq + 1 unless the store is empty.
//  0, or -1 with errno set (EINVAL bad seq, EMSGSIZE too big, I/O errors).
//  After an I/O error the file is cut back to the last whole record; if
//  even that fails the store refuses every further write (EIO).
int zc_segstore_append (zc_segstore_t *self, uint64_t seq,
                        const uint8_t *data, size_t size);

//  Make everything appended so far durable.  No-op when nothing is new.
int zc_segstore_sync (zc_segstore_t *self);

//  Drop every record with seq > after_seq, durably (fsynced whatever the
//  policy: a dropped suffix must not come back after a crash).  0 or -1.
int zc_segstore_truncate (zc_segstore_t *self, uint64_t after_seq);

//  First and last seq held; both 0 when the store is empty.
uint64_t zc_segstore_first_seq (zc_segstore_t *self);
uint64_t zc_segstore_last_seq (zc_segstore_t *self);

//  Delete the oldest whole files while the store exceeds retain_bytes or
//  they were last written more than retain_secs before now_secs.  Never
//  the last (active) file, never a file holding a seq > keep_after_seq.
//  Returns the number of files removed, or -1 on error.
int zc_segstore_retain (zc_segstore_t *self, uint64_t now_secs, uint64_t keep_after_seq);

//  CRC-32 (IEEE, reflected 0xEDB88320), chained like zlib's crc32():
//  pass 0 to start, the previous result to continue.
uint32_t zc_segstore_crc32 (uint32_t crc, const void *data, size_t size);

#endif
