/*  bench_stats.h — what zchat-bench measures with: latency samples and
    per-sender sets of message numbers.

    Samples are kept whole (4 bytes each) and sorted once at the end, so
    percentiles are exact, not bucketed: a 60 s flat-out run at 100k msgs/s
    costs 24 MB.  A set of numbers is a bitmap that grows with the highest
    number put in it.
*/
#ifndef ZB_STATS_H
#define ZB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Microsecond samples, capped at UINT32_MAX (71 minutes)
typedef struct {
    uint32_t *values;
    size_t count, cap;
} zb_samples_t;

//  Append one sample; returns 0, or -1 if out of memory (it is dropped).
int zb_samples_add (zb_samples_t *self, int64_t usecs);

//  Append every sample of other to self.  0 or -1.
int zb_samples_merge (zb_samples_t *self, const zb_samples_t *other);

//  Sort, so that zb_samples_pct answers.
void zb_samples_sort (zb_samples_t *self);

//  The p-quantile (0 < p <= 1) of sorted samples, nearest rank; 0 if none.
uint32_t zb_samples_pct (const zb_samples_t *self, double p);

//  Append the distribution of sorted samples to the file at path, as
//  "label,quantile,usecs" lines: every percent, then the tail (99.5 %,
//  99.9 %, 99.95 %, 99.99 %, max).  0, or -1 if the file cannot be written.
int zb_samples_write_cdf (const zb_samples_t *self, const char *path, const char *label);

//  The five latency columns of sorted samples: p50, p90, p99, p99.9, max.
void zb_samples_summary (const zb_samples_t *self, uint32_t out [5]);

//  The CSV columns that zchat-bench and zchat-baseline both write, so that
//  one table holds zchat and the baselines.
#define ZB_CSV_HEADER \
    "label,date,servers,senders,subscribers,rate,window,size,send_secs,posted,acked," \
    "ack_rate,deliv_rate_sub,deliv_rate_total," \
    "ack_p50_us,ack_p90_us,ack_p99_us,ack_p999_us,ack_max_us," \
    "e2e_p50_us,e2e_p90_us,e2e_p99_us,e2e_p999_us,e2e_max_us," \
    "lost,dups,reordered,leader_changes,notices,dropped,stalled\n"

void zb_samples_free (zb_samples_t *self);

//  A set of message numbers 1, 2, 3, ... (bitmap)
typedef struct {
    uint8_t *bits;
    uint64_t cap;                   //  numbers 0..cap-1 fit
    uint64_t prefix;                //  every number 1..prefix is in the set
    uint64_t top;                   //  the highest number put in
} zb_set_t;

//  Put n in; returns true if it was there already.  Out of memory: the
//  number is treated as new and not stored (never happens at bench sizes).
bool zb_set_put (zb_set_t *self, uint64_t n);

//  True if n is in the set.
bool zb_set_has (const zb_set_t *self, uint64_t n);

//  How many of 1..upto are missing.
uint64_t zb_set_missing (const zb_set_t *self, uint64_t upto);

void zb_set_free (zb_set_t *self);

#endif
