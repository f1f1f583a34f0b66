/*  logload.c — the log's file work: loading it at start (the segment
    store and retired.state), and retention (docs/STORAGE.md).  The core
    decides what may go (zc_core_ready_t.retain_upto); this does the I/O.
*/
#include "node_impl.h"

typedef struct {
    zc_chatlog_t *log;
    uint64_t retired_base;          //  from retired.state: last retired seq
    uint64_t retired_base_epoch;    //  and its epoch
    uint64_t snapshot;              //  a snapshot installed at this seq (0: none)
} s_load_t;

static int
s_replay (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    s_load_t *load = arg;
    zc_msg_t chat;
    if (zc_msg_decode (&chat, data, size, NULL) || chat.type != ZC_CHAT || chat.seq != seq)
        return -1;
    return zc_chatlog_append (load->log, &chat, data, size) ? 0 : -1;
}

static void
s_load_retired (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    s_load_t *load = arg;
    if (kind == 'b') {
        load->retired_base = strtoull (key, NULL, 10);
        load->retired_base_epoch = value;
    }
    else
    if (kind == 's')
        load->snapshot = strtoull (key, NULL, 10);
    else
        zc_chatlog_set_retired_at (load->log, kind, key, value, at);
}

//  The client limits (docs/STORAGE.md "The client table and its
//  limits"), at wall-clock now.
static size_t
s_bound_clients (const zc_config_t *cfg, zc_chatlog_t *log)
{
    size_t dropped = zc_chatlog_bound_clients (log, (uint64_t) time (NULL), cfg->client_ttl,
                                               cfg->max_client_ids);
    if (dropped)
        zsys_debug ("node %u: forgot %zu idle client id(s) (--client-ttl, --max-client-ids)",
                    cfg->id, dropped);
    return dropped;
}

//  Load the log from the data folder: every complete record, checked.
int
zc_logload_open (const zc_config_t *cfg, zc_segstore_t **segstore_p, zc_chatlog_t **log_p,
                 zc_stored_t *stored, char *err, size_t errlen)
{
    zc_segstore_config_t scfg = {
        .fsync = (zc_fsync_t) cfg->fsync,
        .retain_bytes = (uint64_t) cfg->retain_mb << 20,
        .retain_secs = (uint64_t) cfg->retain_hours * 3600
    };
    //  Retention drops whole segments: keep them small beside the limit.
    if (scfg.retain_bytes && scfg.retain_bytes / 8 < ZC_SEGSTORE_SEGMENT_BYTES)
        scfg.segment_bytes = scfg.retain_bytes / 8 > 65536 ? scfg.retain_bytes / 8 : 65536;
    zc_segstore_t *segstore = zc_segstore_open (cfg->data_dir, &scfg, err, errlen);
    if (!segstore)
        return -1;
    *segstore_p = segstore;
    s_load_t load = { zc_chatlog_new (), 0, 0, 0 };
    if (!load.log) {
        snprintf (err, errlen, "out of memory loading the log");
        return -1;
    }
    *log_p = load.log;
    if (zc_store_load_retired (cfg->data_dir, s_load_retired, &load, err, errlen))
        return -1;
    uint64_t first = zc_segstore_first_seq (segstore);
    if (load.snapshot && first && first <= load.snapshot) {
        //  A snapshot install saved retired.state, then a crash came before
        //  its records were dropped (docs/STORAGE.md "Snapshot install"):
        //  finish it.  What the state covers was committed and retired.
        if (zc_segstore_truncate (segstore, 0)) {
            snprintf (err, errlen, "%s: cannot drop the log a snapshot replaced: %s",
                      cfg->data_dir, strerror (errno));
            return -1;
        }
        zsys_warning ("node %u: finished installing the snapshot at seq %llu (dropped the old "
                      "log)", cfg->id, (unsigned long long) load.snapshot);
        first = 0;
    }
    if (first > 1)      //  the epoch is known when retired.state covers first - 1
        zc_chatlog_set_base (load.log, first - 1,
                             load.retired_base == first - 1 ? load.retired_base_epoch : 0);
    else
    if (first == 0 && load.retired_base)
        //  No records, but a retired prefix: the log starts after it (a
        //  snapshot, or a truncation that emptied the store)
        zc_chatlog_set_base (load.log, load.retired_base, load.retired_base_epoch);
    if (zc_segstore_replay (segstore, s_replay, &load, err, errlen))
        return -1;
    if (zc_segstore_note (segstore))
        zsys_warning ("node %u: %s", cfg->id, zc_segstore_note (segstore));
    //  A loaded table is bounded too (lines of an older file without
    //  their retired-at are stamped now); retired.state follows at the
    //  next retention pass
    s_bound_clients (cfg, load.log);
    //  (with no log, the core takes the log epoch as 0 whatever the file says)
    zsys_info ("node %u: log holds seq %llu..%llu (log epoch %llu in election.state)", cfg->id,
               (unsigned long long) zc_chatlog_first_seq (load.log),
               (unsigned long long) zc_chatlog_last_seq (load.log),
               (unsigned long long) stored->log_epoch);
    return 0;
}

static void
s_format_retired (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    zchunk_t *text = arg;
    char line [ZC_MAX_TEXT + 64];
    int len = kind == 'c' && at
            ? snprintf (line, sizeof line, "client %s %llu %llu\n", key,
                        (unsigned long long) value, (unsigned long long) at)
            : snprintf (line, sizeof line, "%s %s %llu\n",
                        kind == 'r' ? "room" : kind == 'c' ? "client"
                      : kind == 'm' ? "members" : "base",
                        key, (unsigned long long) value);
    if (len > 0 && (size_t) len < sizeof line)
        zchunk_extend (text, line, (size_t) len);
}

static int
s_save_retired (const zc_config_t *cfg, zc_chatlog_t *log, uint64_t upto)
{
    zchunk_t *text = zchunk_new (NULL, 0);
    zc_chatlog_tables_upto (log, upto, s_format_retired, text);
    int rc = zc_store_save_retired (cfg->data_dir, (char *) zchunk_data (text),
                                    zchunk_size (text));
    zchunk_destroy (&text);
    return rc;
}

//  A snapshot replaced the log (core.h, snapshot): its state, marked as a
//  snapshot so that a restart finishes dropping the old records, before
//  the storage drops them.
int
zc_logload_install (const zc_config_t *cfg, zc_core_t *core, uint64_t base)
{
    zchunk_t *text = zchunk_new (NULL, 0);
    zc_chatlog_t *log = zc_core_log (core);
    s_bound_clients (cfg, log);
    zc_chatlog_tables_upto (log, base, s_format_retired, text);
    char line [64];
    int len = snprintf (line, sizeof line, "snapshot %llu %llu\n", (unsigned long long) base,
                        (unsigned long long) zc_chatlog_epoch_at (log, base));
    zchunk_extend (text, line, (size_t) len);
    int rc = zc_store_save_retired (cfg->data_dir, (char *) zchunk_data (text),
                                    zchunk_size (text));
    zchunk_destroy (&text);
    if (rc == 0)
        zsys_info ("node %u: installed the leader's snapshot: the log starts after seq %llu",
                   cfg->id, (unsigned long long) base);
    return rc;
}

//  Retention: retire old segments no one needs (up to keep_after, the
//  core's decision), then forget them.
void
zc_logload_retain (const zc_config_t *cfg, zc_segstore_t *segstore, zc_core_t *core,
                   uint64_t keep_after)
{
    zc_chatlog_t *log = zc_core_log (core);
    //  First make durable what the entries about to go leave behind.
    if (s_save_retired (cfg, log, keep_after))
        zsys_warning ("node %u: cannot save retired.state; keeping the old log", cfg->id);
    else
    if (zc_segstore_retain (segstore, (uint64_t) time (NULL), keep_after) > 0) {
        uint64_t base = zc_segstore_first_seq (segstore) - 1;
        zc_core_compacted (core, base);
        s_bound_clients (cfg, log);
        //  Again, now naming the exact new base and its epoch, and the
        //  clients as bounded, each stamped with its retired-at.
        s_save_retired (cfg, log, base);
    }
    else
    if (s_bound_clients (cfg, log))
        s_save_retired (cfg, log, zc_chatlog_first_seq (log) - 1);
}
