/*  trace_log.h — the zc-trace events of one or more logs, merged by time.

    Lines come from anywhere (a node's log, the simulator, stdin); lines
    without the marker are skipped, malformed ones counted, and the first
    of those remembered with where it was.  Sorting merges the logs by
    time, ties kept in reading order (a node's own lines keep their order).
*/
#ifndef ZC_TRACE_LOG_H
#define ZC_TRACE_LOG_H

#include <stdio.h>
#include "trace_event.h"

typedef struct _zc_tlog_t zc_tlog_t;

zc_tlog_t *zc_tlog_new (void);
void zc_tlog_destroy (zc_tlog_t **self_p);

//  One line: 1 an event was added, 0 not a trace line, -1 malformed
//  (counted; source and lineno name it in zc_tlog_first_error).
int zc_tlog_add_line (zc_tlog_t *self, const char *line, const char *source, size_t lineno);

//  Every line of a stream, as zc_tlog_add_line.  Returns the events added.
size_t zc_tlog_read (zc_tlog_t *self, FILE *file, const char *source);

//  By time; equal times in reading order.
void zc_tlog_sort (zc_tlog_t *self);

//  The events (valid until the next add or sort), and their number.
const zc_tev_t *zc_tlog_events (zc_tlog_t *self, size_t *count);

//  Malformed lines, and the first of them: "SOURCE:LINE: problem" ("" if none).
size_t zc_tlog_malformed (zc_tlog_t *self);
const char *zc_tlog_first_error (zc_tlog_t *self);

#endif
