/*  chatlog.h — the node's log of stamped chat messages, in memory.

    Entries are gap-free from the first seq held (1, until retention
    retires old ones).  Each entry keeps the
    one encoding of its chat map that is also replicated and published
    (docs/DESIGN.md §3: encode once).  The log also derives the per-room rseq
    counters and the per-client dedup table; both are rebuilt when a
    suffix is truncated, so they are always a function of the log.  And
    it keeps a per-room index of the seqs it holds, updated in step with
    every append, truncate and compact.
*/
#ifndef ZC_CHATLOG_H
#define ZC_CHATLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire.h"

typedef struct {
    uint64_t seq, epoch, rseq, ts, id;
    char room [ZC_MAX_ROOM + 1];
    char client [ZC_CLIENT_ID_LEN + 1];
    uint8_t *data;          //  the encoded chat map
    size_t size;
    void *waiter;           //  node's use: who waits for the ACK (owned by node)
    //  The sender's chain, for dedup (chatlog.c): the seq of the client's
    //  previous entry, and of an older one to skip to (0: none held).
    uint64_t client_prev, client_jump;
    uint64_t client_depth;  //  entries of the client before this one
} zc_entry_t;

typedef struct _zc_chatlog_t zc_chatlog_t;

zc_chatlog_t *zc_chatlog_new (void);
void zc_chatlog_destroy (zc_chatlog_t **self_p);

uint64_t zc_chatlog_last_seq (zc_chatlog_t *self);
//  The oldest seq still held (retention drops whole old stretches).
uint64_t zc_chatlog_first_seq (zc_chatlog_t *self);
//  An empty log that starts after `base`, whose entry had base_epoch (its
//  older part was retired).
void zc_chatlog_set_base (zc_chatlog_t *self, uint64_t base, uint64_t base_epoch);

//  The epoch of the entry at seq, also for the last retired one (the
//  previous-entry check needs it); 0 if unknown.
uint64_t zc_chatlog_epoch_at (zc_chatlog_t *self, uint64_t seq);
//  Forget entries up to upto_seq (they were retired from storage).
void zc_chatlog_compact (zc_chatlog_t *self, uint64_t upto_seq);
//  Epoch of the last entry (0 if empty).
uint64_t zc_chatlog_last_epoch (zc_chatlog_t *self);
//  Highest ts in the log: a new leader's clock starts above it.
uint64_t zc_chatlog_max_ts (zc_chatlog_t *self);

//  The entry at seq, or NULL if there is none.
zc_entry_t *zc_chatlog_get (zc_chatlog_t *self, uint64_t seq);

//  Append a decoded chat message and its encoding (copied).  Its seq must
//  be last_seq + 1.  Returns the entry, or NULL if seq is wrong.
zc_entry_t *zc_chatlog_append (zc_chatlog_t *self, const zc_msg_t *chat,
                               const uint8_t *data, size_t size);

//  Drop every entry after seq (a suffix that differs from the leader's).
//  Calls release(entry->waiter) for each dropped entry with a waiter.
void zc_chatlog_truncate (zc_chatlog_t *self, uint64_t after_seq,
                          void (*release) (void *waiter));

//  Last rseq assigned in room (0 if none).
uint64_t zc_chatlog_room_rseq (zc_chatlog_t *self, const char *room);

//  The room index: each room's held entries, in seq order, at positions
//  0 (its oldest held entry) to room_count - 1.  It follows append,
//  truncate and compact, so that a request for one room costs what its
//  answer holds, not the length of the log.  Positions shift when
//  entries are compacted or truncated: do not keep them across changes.

//  How many entries of room the log holds (0 for an unknown room).
size_t zc_chatlog_room_count (zc_chatlog_t *self, const char *room);

//  The seq of room's entry at position index; 0 if index >= room_count.
uint64_t zc_chatlog_room_seq_at (zc_chatlog_t *self, const char *room, size_t index);

//  The position of room's first held entry with seq > seq, room_count if
//  none (a binary search).  A reader that saw the log up to seq goes on
//  from there.
size_t zc_chatlog_room_after_seq (zc_chatlog_t *self, const char *room, uint64_t seq);

//  Where a reader that saw room up to rseq goes on, among the entries up
//  to upto_seq: one past room's newest held entry with seq <= upto_seq
//  and rseq <= rseq (0 if none).  A leader stamps a room's rseqs
//  consecutively, so this is also min (the position of the first held
//  entry with rseq > rseq, room_after_seq (upto_seq)), found in O(log n).
//  A log whose held rseqs are not consecutive (never stamped by a leader
//  of ours) is walked back through the room's entries instead.
size_t zc_chatlog_room_after_rseq (zc_chatlog_t *self, const char *room,
                                   uint64_t rseq, uint64_t upto_seq);

//  Dedup: the last message id of client in the log (0 if none).
uint64_t zc_chatlog_client_last_id (zc_chatlog_t *self, const char *client);

//  Dedup: the entry holding (client, id), or NULL.  Walks the client's own
//  entries back from its newest by jump pointers: O(log n) steps in the
//  client's entries, never a scan of the log (6000 repeats of an old id
//  used to starve the heartbeats).
zc_entry_t *zc_chatlog_find (zc_chatlog_t *self, const char *client, uint64_t id);

//  Retention keeps what retired entries leave behind: each room's last
//  rseq and each client's last id (so rseq continues and repeats are still
//  recognised).  kind 'r' for a room, 'c' for a client; values only rise.
void zc_chatlog_set_retired (zc_chatlog_t *self, char kind, const char *key, uint64_t value);
//  The same, for a client also saying when its value was retired (node
//  wall-clock seconds; 0: not known, the next bound stamps it with its
//  now_secs).  set_retired and compact leave that stamp to the bound.
void zc_chatlog_set_retired_at (zc_chatlog_t *self, char kind, const char *key, uint64_t value,
                                uint64_t at_secs);

//  The client limits (docs/STORAGE.md "The client table and its limits"):
//  drop the retired value of every client that has no entry held and was
//  retired more than ttl_secs before now_secs (0: none by age), then the
//  oldest retired ones beyond max_ids of them (0: no cap).  A client with a held entry is never
//  dropped.  Returns how many were dropped (their ids are then unknown:
//  last_id 0).
size_t zc_chatlog_bound_clients (zc_chatlog_t *self, uint64_t now_secs, uint64_t ttl_secs,
                                 uint64_t max_ids);
//  Client ids the log knows of (a held entry or a retired value).
size_t zc_chatlog_client_count (zc_chatlog_t *self);
//  Client ids dropped by bound_clients so far.
uint64_t zc_chatlog_clients_dropped (zc_chatlog_t *self);

//  Kind 'm' keeps the newest retired configuration entry (docs/ELECTION.md
//  "Membership changes"): key = its text, value = its seq.  NULL if none.
const char *zc_chatlog_retired_members (zc_chatlog_t *self, uint64_t *seq);
//  The newest configuration entry held at or below upto_seq: its text in
//  buf (cap bytes, ZC_MAX_TEXT + 1 is enough), and its seq (0: none held).
uint64_t zc_chatlog_members_at (zc_chatlog_t *self, uint64_t upto_seq, char *buf, size_t cap);

//  The last rseq of room among retired entries (0 if none).
uint64_t zc_chatlog_retired_rseq (zc_chatlog_t *self, const char *room);

//  The room and client tables as they stand after seq upto_seq (retired
//  values raised by held entries up to it): what a snapshot saves before
//  the entries up to upto_seq are retired.  Kind 'b' reports the new base:
//  key = its seq in decimal, value = its epoch.  Kind 'm': the configuration
//  in force there, if one came from the log (key its text, value its seq).
//  `at` is a client's retired-at (0: not stamped, as for every value an
//  entry up to upto_seq raises); 0 for the other kinds.
typedef void (zc_chatlog_each_fn) (char kind, const char *key, uint64_t value, uint64_t at,
                                   void *arg);
void zc_chatlog_tables_upto (zc_chatlog_t *self, uint64_t upto_seq, zc_chatlog_each_fn *each,
                             void *arg);

#endif
