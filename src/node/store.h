/*  store.h — the node's durable election state in its data folder.

    One small file, election.state, holding "epoch leader log_epoch", and
    a fourth number, trust, while the node's log does not count in votes
    (docs/ELECTION.md "Lost state").  It is
    written to a temporary file, fsynced and renamed over the old one (and
    the folder fsynced), so a crash leaves either the old or the new state,
    never a torn one; persisted before the node answers (docs/PROTOCOL.md
    §5.2).  Both files are read strictly: a corrupt or cut file is an
    error (the node does not start), never zeros or half its values.
*/
#ifndef ZC_STORE_H
#define ZC_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct {
    uint64_t epoch;
    uint32_t leader;        //  ZC_LEADER_UNKNOWN: may have accepted someone, not known who
    uint64_t log_epoch;
    uint64_t trust;         //  our log counts in votes once log_epoch >= trust (0: always)
    bool missing;           //  load found no file (never saved)
} zc_stored_t;

//  Create the data folder (and parents) if needed.  0 or -1 with err set.
int zc_store_open (const char *dir, char *err, size_t errlen);

//  Load the state; a missing file gives zeros and `missing`.  0 or -1 (corrupt file).
int zc_store_load (const char *dir, zc_stored_t *state, char *err, size_t errlen);

//  Write durably.  0 or -1 with errno set; no temporary file is left.
int zc_store_save (const char *dir, const zc_stored_t *state);

//  What retired log entries leave behind (see chatlog.h): lines of
//  "base SEQ EPOCH", "room NAME RSEQ", "client ID LAST_ID" and "members
//  ID:HOST:PORT,... SEQ" (the configuration in force, docs/ELECTION.md
//  "Membership changes") in retired.state, written like election.state.  save takes the lines
//  already formatted, and refuses (-1, EINVAL) text that load would refuse.
int zc_store_save_retired (const char *dir, const char *text, size_t size);
//  A fourth kind, "snapshot SEQ EPOCH" ('s'), marks a log replaced by the
//  leader's snapshot at SEQ (docs/STORAGE.md "Snapshot install"): the
//  loader drops segments that start at or below it (the install's second
//  step, cut short by a crash).
//  A client line may end in a fourth number, RETIRED_AT: when its value
//  was retired (node wall-clock seconds; docs/STORAGE.md "The client
//  table and its limits"); a line without it (older files) gives at 0,
//  "not known".
//  Calls each (kind 'b'|'s'|'r'|'c'|'m', key, value, at) per line; a missing file is empty.
int zc_store_load_retired (const char *dir,
                           void (*each) (char kind, const char *key, uint64_t value,
                                         uint64_t at, void *arg),
                           void *arg, char *err, size_t errlen);

//  The same check on text in memory (a snapshot from the leader): every
//  line first, then each per line if given.  what names it in err.
int zc_store_parse_retired (const char *text, size_t size, const char *what,
                            void (*each) (char kind, const char *key, uint64_t value,
                                          uint64_t at, void *arg),
                            void *arg, char *err, size_t errlen);

#endif
