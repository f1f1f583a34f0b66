/*  snapshot.h — catch-up past retention (docs/PROTOCOL.md §5.8,
    docs/STORAGE.md "Snapshot install").

    A backup whose next needed entry the leader has retired cannot be sent
    that entry; it gets the leader's retired state instead: the base (the
    last retired seq and its epoch) and what retired.state holds, each
    room's last rseq and each client's last message id.  This is that
    state as text, in retired.state's own line format, sorted so that the
    same log gives the same bytes (a transfer in chunks resumes at a byte
    offset), cut into chunks of whole lines, checked on arrival and
    installed into a chat log.  Pure: no sockets, no files.
*/
#ifndef ZC_SNAPSHOT_H
#define ZC_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "chatlog.h"

//  Text bytes in one SNAPSHOT message: whole lines, within ZC_MAX_TEXT
#define ZC_SNAPSHOT_CHUNK 16000
//  A backup accepts a state of at most this many bytes (about a million
//  clients); a larger one is refused as absurd
#define ZC_SNAPSHOT_MAX   (64u << 20)

//  The state the log's retired prefix leaves behind, at its base
//  (first_seq - 1): "base SEQ EPOCH", then "client ID LAST_ID RETIRED_AT"
//  (RETIRED_AT left out while not stamped), "members ..." and "room NAME
//  RSEQ" lines, sorted.  malloc'd (free it), *size its length.
char *zc_snapshot_text (zc_chatlog_t *log, size_t *size);

//  How many bytes of whole lines start at offset, at most max (at least
//  one line if it is longer).  0 at the end, or when offset does not start
//  a line.
size_t zc_snapshot_chunk (const char *text, size_t size, size_t offset, size_t max);

//  Whether a whole received state is one a leader could send for base:
//  retired.state's syntax, exactly one base line naming base and
//  base_epoch, and nothing but rooms and clients besides.  NULL, or why not.
const char *zc_snapshot_check (const char *text, size_t size, uint64_t base,
                               uint64_t base_epoch);

//  Replace the whole log by the state (checked first): an empty log after
//  base, whose retired tables are the state's.
void zc_snapshot_install (zc_chatlog_t *log, const char *text, size_t size, uint64_t base,
                          uint64_t base_epoch);

#endif
