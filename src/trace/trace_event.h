/*  trace_event.h — one election event as one line of text, and back.

    chat-node --trace (and tests/tools/sim_trace.c, for the simulator)
    writes one line per election message sent or received, per change of
    role, and at start, stop, crash and lost leader connection; chat-trace
    reads them back and draws the sequence.  The line, documented in
    docs/ELECTION.md "Watching an election":

        zc-trace 1 us=T node=N ev=KIND key=value ...

    "zc-trace 1" is the marker and the format's version; the line may have
    a prefix before it (a log's timestamp).  Keys after ev, in this order
    when written, each optional for the parser unless the kind needs it:
    peer, msg, epoch, leader, granted, role, serving, text (text is last
    and runs to the end of the line).  Unknown keys are skipped, so a later
    writer may add keys without breaking older readers.
*/
#ifndef ZC_TRACE_EVENT_H
#define ZC_TRACE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire.h"

#define ZC_TEV_MARKER   "zc-trace 1 "
#define ZC_TEV_TEXT_MAX 128
#define ZC_TEV_LINE_MAX 512         //  a written line is shorter than this

typedef enum {
    ZC_TEV_SEND,        //  node sent msg to peer
    ZC_TEV_RECV,        //  node received msg from peer
    ZC_TEV_STATE,       //  node's role, epoch, leader or serving changed
    ZC_TEV_DOWN,        //  node's connection to its leader `peer` closed
    ZC_TEV_START,       //  node started with (epoch, leader) from its disk
    ZC_TEV_STOP,        //  node stopped (SIGTERM, SIGINT)
    ZC_TEV_CRASH,       //  node died (written by whoever killed it)
    ZC_TEV_NOTE,        //  free text (node 0: about the whole cluster)
    ZC_TEV_KIND_COUNT
} zc_tev_kind_t;

typedef enum { ZC_TROLE_BACKUP, ZC_TROLE_CANDIDATE, ZC_TROLE_LEADER } zc_trole_t;

typedef struct {
    uint64_t us;            //  wall-clock microseconds (the simulator: its clock)
    uint32_t node;          //  who writes it (0: the cluster, ZC_TEV_NOTE only)
    zc_tev_kind_t kind;
    uint32_t peer;          //  SEND: to; RECV: from; DOWN: the leader lost
    zc_type_t type;         //  SEND, RECV: the message
    uint64_t epoch;         //  SEND, RECV: the message's; STATE, START: the node's
    uint32_t leader;        //  COORDINATOR: its leader; STATE, START: who the
                            //  node follows (0: nobody)
    int granted;            //  PREVOTE_REPLY, ACCEPT: 1 or 0; -1 if absent
    zc_trole_t role;        //  STATE
    bool serving;           //  STATE: acknowledges and publishes
    char text [ZC_TEV_TEXT_MAX];    //  NOTE
} zc_tev_t;

//  A zeroed event of this kind (granted -1).
void zc_tev_init (zc_tev_t *ev, zc_tev_kind_t kind, uint64_t us, uint32_t node);

//  True if messages of this type are the election's (ELECTION, ANSWER,
//  PREVOTE, PREVOTE_REPLY, COORDINATOR, ACCEPT, HANDOVER): what is traced.
bool zc_tev_traced_type (zc_type_t type);

//  A SEND or RECV event for msg if its type is traced: true and *ev filled.
bool zc_tev_from_msg (zc_tev_t *ev, zc_tev_kind_t kind, uint64_t us, uint32_t node,
                      uint32_t peer, const zc_msg_t *msg);

//  Writes the line (no newline) into buf; returns its length, or 0 if it
//  did not fit.
size_t zc_tev_format (const zc_tev_t *ev, char *buf, size_t cap);

//  Reads a line (a trailing newline is allowed).  1: an event, in *ev;
//  0: no marker, not a trace line; -1: a marker but a malformed line, and
//  *error (if not NULL) names the problem (a static string).
int zc_tev_parse (const char *line, zc_tev_t *ev, const char **error);

//  Names: "send", ... and "leader", ...; the message's in capitals
//  ("ELECTION").  NULL for a value out of range.
const char *zc_tev_kind_name (zc_tev_kind_t kind);
const char *zc_trole_name (zc_trole_t role);
//  Writes the upper-case name of a message type into buf (cap >= 16).
const char *zc_tev_type_name (zc_type_t type, char *buf, size_t cap);

//  What a STATE line compares: the last one written, per node.
typedef struct {
    bool known;
    zc_trole_t role;
    uint64_t epoch;
    uint32_t leader;
    bool serving;
} zc_tstate_t;

//  If (role, epoch, leader, serving) differs from *last: remember it,
//  fill *ev as a STATE event and return true.
bool zc_tev_state_changed (zc_tstate_t *last, zc_tev_t *ev, uint64_t us, uint32_t node,
                           zc_trole_t role, uint64_t epoch, uint32_t leader, bool serving);

#endif
