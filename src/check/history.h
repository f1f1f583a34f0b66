/*  history.h — the history checker: reads the record files that clients
    write (chat-client --record FILE) and proves the promises of docs/DESIGN.md §7 and docs/ELECTION.md
    over all of them together: nothing acknowledged lost, no duplicate, one
    order, Lamport rules.

    Record file, one per client process, one event a line, in the order the
    events happened at that client, fields separated by spaces:

        sent <client> <id> <ts> [t=<hex>]       posted message id with Lamport ts
                                                (t=: the text's fingerprint,
                                                texthash.h; recv lines too)
        ack <client> <id> <seq> <ts> <epoch> [<node> [<node_epoch>]]
                                                stored at seq, stamped ts, by the
                                                leader of epoch; optionally the
                                                node that acknowledged and the
                                                epoch it leads (a repeat may be
                                                acknowledged by a later leader)
        recv <seq> <rseq> <ts> <epoch> <client> <id> <room> [t=<hex>]
                                                delivered a chat message
        refused <client> <id>                   the leader refused id for good (never
                                                stored): the `sent` lines of that
                                                client at or above id, not yet
                                                acknowledged, are withdrawn.  Each
                                                of those messages moved down one id
                                                and comes again as a `sent` line
                                                with its new id and its old ts (its
                                                causal floor stays the old line's)
        leader <node> <epoch>                   started following node in epoch
        room <name>                             the room this client listens to
        start <seq>                             delivery started after seq: the
                                                client listens to its room
        end <seq>                               the client left its loop; seq is
                                                its last delivery (at most one)
        lost <client> <id>                      the id was stored, but the node no
                                                longer held it when asked
                                                (retention): dropped, never acked
        forgotten <client> <id>                 the id was acknowledged, then a
                                                leader did not hold it (lost in
                                                a leader change, --quorum 1):
                                                counted; the checks are as for
                                                any acknowledged message (its
                                                loss is MISSING)

    Unknown line kinds and blank lines are ignored; extra trailing fields are
    ignored.  A line with too few fields or a bad number is an error (seq,
    rseq and id count from 1: a 0 is bad too).  Only the first `start`
    counts; a second `end` is an error; `leader` lines are counted, not
    checked.  A client must write
    `sent` in the order it ticked its clock relative to its `recv` lines.  A last
    line without its newline is the torn write of a killed client: it is
    skipped and counted, never trusted.

    What zc_history_check proves (each violation has a kind):

    MISSING    an acknowledged message (or one delivered to another client of
               the room) is not delivered to a live client of its room — one
               with any recv in that room, or a `start` line and the room's
               `room` line — whose delivery covers its seq (start < seq,
               and seq <= end if it wrote `end`).  Holes below the client's
               last delivered seq are always checked; the tail only with
               expect_complete.
    DUPLICATE  a client delivers a seq, or a (client,id), twice; or the log
               holds one (client,id) at two seqs.
    ORDER      a client's seqs do not rise strictly; rseq does not rise
               strictly with seq within a room.
    CONFLICT   one seq denotes different (client,id,ts,epoch,room,rseq) at
               different clients, or different texts (t= fingerprints); or
               a delivery carries another text than its sender's `sent`.
    GAP        a client's rseq skips within its room after its first message.
    ACK        an ack disagrees with deliveries (another message or ts at its
               seq, an epoch below the stamping epoch), or two acks disagree.
    LAMPORT    ts does not rise strictly with seq (all deliveries and acks).
    CAUSAL     a sent ts is not above every ts its client delivered before, or
               an ack's stamped ts is not above the sent ts.
    IDS        a client's sent ids are not contiguous from 1 (withdrawn lines
               left out); an ack for a message never sent, or for a refused
               id before its `sent` came again; a resend with another ts.
    ROOM       a client delivers a message of a room other than its `room`.
    SPLIT      two nodes acknowledged messages as leaders of one epoch (from
               acks with <node> and <node_epoch>); an ack's node_epoch below
               the epoch that stamped the entry is an ACK violation.
    BOUNDS     a client's `start` or `end` disagrees with its own lines: it
               delivered a seq at or below its start, or past its end; or a
               message it sent after its `start` line was stored at or below
               that start.  (`lost` of an id never sent is IDS; `lost` of an
               acked id, or an ack after `lost`, is ACK.)

    Usage: new, load_file for each record file, check, destroy.  Checking is
    hash- and sort-based: a million lines take about a second.  Out of memory
    aborts (this is a test tool).
*/
#ifndef ZC_HISTORY_H
#define ZC_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct _zc_history_t zc_history_t;

typedef enum {
    ZC_HISTORY_MISSING = 1,
    ZC_HISTORY_DUPLICATE,
    ZC_HISTORY_ORDER,
    ZC_HISTORY_CONFLICT,
    ZC_HISTORY_GAP,
    ZC_HISTORY_ACK,
    ZC_HISTORY_LAMPORT,
    ZC_HISTORY_CAUSAL,
    ZC_HISTORY_IDS,
    ZC_HISTORY_ROOM,
    ZC_HISTORY_SPLIT,
    ZC_HISTORY_BOUNDS,
    ZC_HISTORY_KINDS            //  number of kinds + 1
} zc_history_kind_t;

//  One violation.  The strings belong to the checker: copy them to keep
//  them past the callback (or past the next check / destroy).
typedef struct {
    zc_history_kind_t kind;
    const char *file;           //  record file it was seen in, or NULL
    unsigned line;              //  line in that file, or 0
    uint64_t seq;               //  the seq concerned, or 0
    const char *text;           //  one line, human-readable, no newline
} zc_history_violation_t;

typedef struct {
    bool expect_complete;       //  the tail is checked too (default true);
                                //  false for clients killed mid-way
} zc_history_opts_t;

typedef struct {
    size_t files, lines, torn;  //  torn: unterminated last lines skipped
    size_t sent, acked, received, leaders;
    size_t refused;             //  `refused` lines
    size_t lost;                //  `lost` lines
    size_t forgotten;           //  `forgotten` lines
    size_t seqs;                //  distinct seqs (after a check)
    size_t senders;             //  distinct client ids that sent (after a check)
    size_t rooms;               //  distinct rooms delivered
    size_t violations;          //  found by the last check
    size_t by_kind [ZC_HISTORY_KINDS];
} zc_history_stats_t;

//  Called once per violation found by zc_history_check.
typedef void (zc_history_report_fn) (const zc_history_violation_t *violation,
                                     void *arg);

//  Create an empty history.
zc_history_t *zc_history_new (void);

//  Destroy it; nulls the caller's pointer; safe on NULL.
void zc_history_destroy (zc_history_t **self_p);

//  Load one record file.  Returns 0, or -1 with a message "path:line: why"
//  in err (err_size bytes, may be 0); a file that fails adds nothing.
int zc_history_load_file (zc_history_t *self, const char *path,
                          char *err, size_t err_size);

//  Same, from an open stream; name is used in reports.
int zc_history_load_stream (zc_history_t *self, FILE *stream,
                            const char *name, char *err, size_t err_size);

//  Default options (expect_complete on).
void zc_history_opts_default (zc_history_opts_t *opts);

//  Check every invariant over everything loaded.  opts NULL means defaults.
//  Each violation goes to report(violation, arg); with report NULL they are
//  kept, see zc_history_violation.  Returns the number of violations.  May
//  be called again (with other options); each call starts afresh.
size_t zc_history_check (zc_history_t *self, const zc_history_opts_t *opts,
                         zc_history_report_fn *report, void *arg);

//  The i-th violation kept by the last check with report NULL, or NULL.
const zc_history_violation_t *zc_history_violation (zc_history_t *self,
                                                    size_t index);

//  Counts of what was loaded and of what the last check found.
void zc_history_stats (zc_history_t *self, zc_history_stats_t *stats);

//  "missing", "duplicate", ... for a kind; "?" for anything else.
const char *zc_history_kind_name (zc_history_kind_t kind);

#endif
