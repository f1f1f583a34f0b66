/*  trace_layout.h — a sequence chart of election events, before drawing.

    Columns are the nodes (every id that writes or is named, ascending);
    rows are events in time order.  A message is one arrow, drawn when it
    arrived (so a change of role shows after what caused it), or when it
    was sent if it never did: each RECV is paired with the oldest matching SEND on its link
    (same type, epoch, granted and leader) sent at most max_latency_us
    before it (or skew_us after it: clocks of two machines).  A SEND whose
    receiver's log has no such RECV is "lost" (its receiver was down or
    the frame dropped) if that receiver was down then, or logged on for
    max_latency_us after it; otherwise its log may just end too soon.  STATE, DOWN, START,
    STOP, CRASH and NOTE are notes on one column (a NOTE of node 0 spans
    the chart).  A node's lifeline stops at CRASH or STOP and resumes at
    START; a log that ends gone_us or more before the others' ends without
    a STOP reads as a crash there ("log ends").

    Unless `all`, an arrow that repeats one drawn since the last note (the
    leader's re-announcements every heartbeat, their ACCEPTs, resends) is
    folded: counted into a GAP row before the next row drawn.
*/
#ifndef ZC_TRACE_LAYOUT_H
#define ZC_TRACE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace_event.h"

#define ZC_TLAYOUT_MAX_NODES 64
#define ZC_TROW_LABEL_MAX    (ZC_TEV_TEXT_MAX + 32)
#define ZC_TCOL_CLUSTER      SIZE_MAX  //  a note about every node

typedef enum { ZC_TROW_ARROW, ZC_TROW_NOTE, ZC_TROW_GAP } zc_trow_kind_t;

typedef struct {
    zc_trow_kind_t kind;
    uint64_t us;                //  since the chart's first event
    size_t from, to;            //  ARROW: columns
    bool lost;                  //  ARROW: the receiver's log shows no arrival
    bool matched;               //  ARROW: both ends are in the logs
    uint64_t latency_us;        //  ARROW, matched: arrival - sending
    zc_type_t type;             //  ARROW
    size_t col;                 //  NOTE: column, or ZC_TCOL_CLUSTER
    char mark;                  //  NOTE: '*' role, '!' lost leader, '+' start,
                                //  '.' stop, 'X' crash or log ends, '~' note
    size_t hidden;              //  GAP: arrows folded here
    uint64_t alive;             //  bit c: column c's lifeline runs through this row
    char label [ZC_TROW_LABEL_MAX];
} zc_trow_t;

typedef struct {
    bool all;                   //  fold nothing
    uint64_t gone_us;           //  a log this far short of the end: its node died
    uint64_t max_latency_us;    //  oldest SEND a RECV may pair with
    uint64_t skew_us;           //  a RECV may precede its SEND by this much
} zc_tlayout_opts_t;

//  The defaults: fold, 2 s, 1 s, 1 ms.
void zc_tlayout_opts_default (zc_tlayout_opts_t *opts);

typedef struct {
    uint32_t nodes [ZC_TLAYOUT_MAX_NODES];
    size_t node_count;
    zc_trow_t *rows;
    size_t row_count;
    uint64_t t0;                //  the first event's time (us)
    size_t hidden;              //  arrows folded in all
    size_t lost;                //  arrows lost
    size_t dropped;             //  events of nodes past ZC_TLAYOUT_MAX_NODES
} zc_tlayout_t;

//  From events sorted by time (zc_tlog_sort).  Never NULL.
zc_tlayout_t *zc_tlayout_new (const zc_tev_t *events, size_t count,
                              const zc_tlayout_opts_t *opts);
void zc_tlayout_destroy (zc_tlayout_t **self_p);

//  The column of node id, or SIZE_MAX.
size_t zc_tlayout_column (const zc_tlayout_t *self, uint32_t id);

#endif
