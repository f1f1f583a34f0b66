/*  history_impl.h — private to the history checker: the loaded records,
    string interning and a hash map.  Not part of the API.
*/
#ifndef ZC_HISTORY_IMPL_H
#define ZC_HISTORY_IMPL_H

#include "history.h"
#include "oom.h"          //  zc_grow

#define ZC_NONE UINT32_MAX      //  no string / no index

//  --------------------------------------------------------------------------
//  Helpers (history_map.c).  Allocation failure aborts.

void *zc_xmalloc (size_t size);
void *zc_xcalloc (size_t count, size_t size);
void *zc_xrealloc (void *ptr, size_t size);
char *zc_xstrdup (const char *s);


//  Hash map from a pair (a, b) to a uint32_t value.
typedef struct {
    uint64_t a, b;
    uint32_t val;               //  ZC_NONE: empty slot
} zc_hslot_t;

typedef struct {
    zc_hslot_t *slots;
    size_t cap, count;          //  cap a power of two
} zc_hmap_t;

void zc_hmap_init (zc_hmap_t *map, size_t expect);
void zc_hmap_free (zc_hmap_t *map);
//  Pointer to the value stored under (a, b), or NULL.
uint32_t *zc_hmap_find (zc_hmap_t *map, uint64_t a, uint64_t b);
//  Store val under (a, b) unless present; returns the value now stored
//  (val when inserted, the old value when it was there).
uint32_t zc_hmap_put (zc_hmap_t *map, uint64_t a, uint64_t b, uint32_t val);

//  Interned strings: each distinct string gets a small number.
typedef struct {
    char **strs;
    size_t count, cap;
    uint32_t *slots;            //  index into strs, ZC_NONE empty
    size_t nslots;
} zc_strtab_t;

void zc_strtab_free (zc_strtab_t *tab);
uint32_t zc_strtab_intern (zc_strtab_t *tab, const char *s);

//  --------------------------------------------------------------------------
//  Loaded records.  file and line say where each was read.

typedef struct {
    uint64_t seq, rseq, ts, epoch, id;
    uint64_t text;              //  the text's fingerprint (texthash.h), if has_text
    uint32_t client, room, file, line;
    bool has_text;
} zc_recv_t;

typedef struct {
    uint64_t id, ts;
    uint64_t prior_ts;          //  max ts the file delivered before this line
                                //  (or before the line it renumbers)
    uint64_t text;              //  the text's fingerprint (texthash.h), if has_text
    bool has_text;
    uint32_t client, file, line;
    bool acked;                 //  an ack followed in its file (while loading)
    bool lost;                  //  a `lost` line of its id followed (while loading)
    bool withdrawn;             //  a later `refused` of its id or one below,
                                //  unacknowledged: moved to a new id or gone
} zc_sent_t;

typedef struct {
    uint64_t id, seq, ts, epoch;
    uint64_t node_epoch;        //  epoch the acknowledging node leads, 0 = unknown
    uint32_t node;              //  the acknowledging node, 0 = unknown
    uint32_t client, file, line;
    bool refused;               //  of an id refused and not sent again yet
    bool after_start;           //  its `sent` line came after the file's `start`
    bool after_lost;            //  its file had said `lost` for this id before
} zc_ack_t;

//  A `lost <client> <id>` line: the id was stored, but the node no longer
//  held it when the client asked (retention); dropped unacknowledged
typedef struct {
    uint64_t id;
    uint32_t client, file, line;
    bool sent;                  //  a `sent` line of the id came before
    bool acked;                 //  ... and was acknowledged before
} zc_lost_t;

typedef struct {
    char *path;
    uint32_t room;              //  from a `room` line, or ZC_NONE
    uint32_t first_room;        //  room of its first recv, or ZC_NONE
    uint64_t start;             //  from the first `start` line, else 0
    bool has_start, has_end;
    unsigned start_line;
    uint64_t end;               //  from the `end` line: its last delivery
    unsigned end_line;
    size_t recv_lo, recv_hi;    //  its recvs: [lo, hi) in self->recvs
    size_t sent, acked;
} zc_hfile_t;

struct _zc_history_t {
    zc_strtab_t strs;           //  client ids and rooms
    zc_hfile_t *files;
    size_t nfiles, files_cap;
    zc_recv_t *recvs;
    size_t nrecvs, recvs_cap;
    zc_sent_t *sents;
    size_t nsents, sents_cap;
    zc_ack_t *acks;
    size_t nacks, acks_cap;
    zc_lost_t *losts;
    size_t nlosts, losts_cap;
    size_t lines, torn, leaders, refused, forgotten;
    //  Results of the last check
    zc_history_violation_t *viols;
    size_t nviols, viols_cap;
    zc_history_stats_t last;
};

//  --------------------------------------------------------------------------
//  One leader per epoch (history_split.c): calls report (arg, kind, ack,
//  text) for each violation found in the acks that name their node.

typedef void (zc_split_report_fn) (void *arg, zc_history_kind_t kind,
                                   const zc_ack_t *ack, const char *text);
void zc_history_check_split (zc_history_t *self, zc_split_report_fn *report,
                             void *arg);

#endif
