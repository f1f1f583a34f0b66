/*  metrics.c — see metrics.h.  Names follow Prometheus's conventions:
    the zchat_ prefix, _total on counters, _seconds on durations, a label
    for a reason or a role rather than a metric per value.
*/
#include "metrics.h"
#include "election.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
zc_histogram_init (zc_histogram_t *self, const uint64_t *bounds_us, size_t count)
{
    memset (self, 0, sizeof *self);
    if (count > ZC_HISTOGRAM_MAX)
        count = ZC_HISTOGRAM_MAX;
    memcpy (self->bounds, bounds_us, count * sizeof *bounds_us);
    self->bound_count = count;
}

void
zc_histogram_observe (zc_histogram_t *self, uint64_t usecs)
{
    size_t i = 0;
    while (i < self->bound_count && usecs > self->bounds [i])
        i++;
    self->counts [i]++;
    self->count++;
    self->sum_us += usecs;
}

//  From half a millisecond (a quiet loopback cluster) to 5 s (a failover)
void
zc_histogram_init_ack (zc_histogram_t *self)
{
    static const uint64_t bounds [] = { 500, 1000, 2500, 5000, 10000, 25000, 50000,
                                        100000, 250000, 500000, 1000000, 2500000, 5000000 };
    zc_histogram_init (self, bounds, sizeof bounds / sizeof bounds [0]);
}

//  From 0.1 ms (an SSD's fdatasync) to 1 s (a disk in trouble)
void
zc_histogram_init_fsync (zc_histogram_t *self)
{
    static const uint64_t bounds [] = { 100, 250, 500, 1000, 2500, 5000, 10000, 25000,
                                        50000, 100000, 250000, 500000, 1000000 };
    zc_histogram_init (self, bounds, sizeof bounds / sizeof bounds [0]);
}

//  --- the text ---------------------------------------------------------------

typedef struct {
    char *out;
    size_t size, len;               //  len: what the text needs, even past size
} s_text_t;

static void s_put (s_text_t *text, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_put (s_text_t *text, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    size_t room = text->len < text->size ? text->size - text->len : 0;
    int n = vsnprintf (room ? text->out + text->len : NULL, room, format, args);
    va_end (args);
    if (n > 0)
        text->len += (size_t) n;
}

static size_t
s_escape (const char *value, char *out, size_t size, bool quote)
{
    size_t len = 0;
    for (const char *at = value; *at; at++) {
        const char *rep = NULL;
        char one [2] = { *at, 0 };
        if (*at == '\\')
            rep = "\\\\";
        else
        if (*at == '\n')
            rep = "\\n";
        else
        if (*at == '"' && quote)
            rep = "\\\"";
        else
            rep = one;
        for (const char *r = rep; *r; r++, len++)
            if (len + 1 < size)
                out [len] = *r;
    }
    if (size)
        out [len < size ? len : size - 1] = 0;
    return len;
}

size_t
zc_metrics_escape_label (const char *value, char *out, size_t size)
{
    return s_escape (value, out, size, true);
}

size_t
zc_metrics_escape_help (const char *text, char *out, size_t size)
{
    return s_escape (text, out, size, false);
}

static void
s_family (s_text_t *text, const char *name, const char *type, const char *help)
{
    char escaped [512];
    zc_metrics_escape_help (help, escaped, sizeof escaped);
    s_put (text, "# HELP %s %s\n# TYPE %s %s\n", name, escaped, name, type);
}

static void
s_one (s_text_t *text, const char *name, const char *type, const char *help, uint64_t value)
{
    s_family (text, name, type, help);
    s_put (text, "%s %llu\n", name, (unsigned long long) value);
}

//  A sample with one label
static void
s_labelled (s_text_t *text, const char *name, const char *label, const char *value,
            uint64_t n)
{
    char escaped [256];
    zc_metrics_escape_label (value, escaped, sizeof escaped);
    s_put (text, "%s{%s=\"%s\"} %llu\n", name, label, escaped, (unsigned long long) n);
}

//  Microseconds as decimal seconds, no trailing zeros: 2500 -> 0.0025
static const char *
s_seconds (uint64_t usecs, char *buf, size_t size)
{
    snprintf (buf, size, "%llu.%06llu", (unsigned long long) (usecs / 1000000),
              (unsigned long long) (usecs % 1000000));
    size_t len = strlen (buf);
    while (buf [len - 1] == '0')
        buf [--len] = 0;
    if (buf [len - 1] == '.')
        buf [--len] = 0;
    return buf;
}

static void
s_histogram (s_text_t *text, const char *name, const char *help, const zc_histogram_t *h)
{
    s_family (text, name, "histogram", help);
    uint64_t cumulative = 0;
    char le [32];
    for (size_t i = 0; i < h->bound_count; i++) {
        cumulative += h->counts [i];
        s_put (text, "%s_bucket{le=\"%s\"} %llu\n", name,
               s_seconds (h->bounds [i], le, sizeof le), (unsigned long long) cumulative);
    }
    s_put (text, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long) h->count);
    s_put (text, "%s_sum %s\n", name, s_seconds (h->sum_us, le, sizeof le));
    s_put (text, "%s_count %llu\n", name, (unsigned long long) h->count);
}

size_t
zc_metrics_render (const zc_metrics_t *m, char *out, size_t size)
{
    s_text_t text = { out, size, 0 };
    if (size)
        out [0] = 0;
    s_one (&text, "zchat_node_id", "gauge", "This node's id (--id).", m->node);
    s_family (&text, "zchat_role", "gauge",
              "1 for the role this node has now (backup, candidate, leader), 0 for the others.");
    for (int role = ZC_ROLE_BACKUP; role <= ZC_ROLE_LEADER; role++)
        s_labelled (&text, "zchat_role", "role", zc_role_name ((zc_role_t) role),
                    m->role == role);
    s_one (&text, "zchat_serving", "gauge",
           "1 while this node leads with a lease and serves clients.", m->serving);
    s_one (&text, "zchat_epoch", "gauge", "The highest election epoch this node knows.",
           m->epoch);
    s_one (&text, "zchat_leader_id", "gauge",
           "The leader this node follows or is (0: none known).", m->leader);
    s_one (&text, "zchat_commit_seq", "gauge",
           "The highest log seq known committed (held by a quorum).", m->commit);
    s_one (&text, "zchat_last_seq", "gauge", "The last seq in this node's log.", m->last_seq);
    s_one (&text, "zchat_posts_accepted_total", "counter",
           "New chat messages (POSTs) this node stamped into the log as leader.", m->posts);
    s_one (&text, "zchat_publications_total", "counter",
           "Committed chat messages this node published to subscribers as leader.",
           m->publications);
    s_one (&text, "zchat_replication_entries_sent_total", "counter",
           "Log entries sent to other nodes (APPEND and view-change replies).", m->repl_sent);
    s_one (&text, "zchat_replication_entries_received_total", "counter",
           "Log entries from other nodes appended to this node's log.", m->repl_received);
    s_histogram (&text, "zchat_ack_latency_seconds",
                 "From a POST received to its ACK sent, for messages that waited for commit.",
                 &m->ack_latency);
    s_histogram (&text, "zchat_fsync_seconds", "Each sync of the log to disk.", &m->fsync);
    s_one (&text, "zchat_fsync_writes_total", "counter",
           "Log writes the syncs covered (writes per sync grow with the load).",
           m->fsync_writes);
    s_family (&text, "zchat_dropped_total", "counter",
              "Frames dropped: invalid (malformed, not from a member, not a request), "
              "reply_lost (a reply to a client gone or not reading), forged "
              "(another node's name, or absurd values).");
    s_labelled (&text, "zchat_dropped_total", "reason", "invalid", m->dropped_invalid);
    s_labelled (&text, "zchat_dropped_total", "reason", "reply_lost", m->dropped_reply_lost);
    s_labelled (&text, "zchat_dropped_total", "reason", "forged", m->dropped_forged);
    s_family (&text, "zchat_refused_total", "counter",
              "Requests refused and answered: limit (--max-clients, --max-rooms, "
              "--max-text...), rate (--rate: slow down), handshake (CURVE refused by ZAP).");
    s_labelled (&text, "zchat_refused_total", "reason", "limit", m->refused_limit);
    s_labelled (&text, "zchat_refused_total", "reason", "rate", m->refused_rate);
    s_labelled (&text, "zchat_refused_total", "reason", "handshake", m->refused_handshake);
    s_one (&text, "zchat_clients", "gauge",
           "Client connections that sent a request in the last minute.", m->clients);
    s_one (&text, "zchat_client_ids", "gauge",
           "Client ids this node remembers for dedup (held entries or retired values).",
           m->client_ids);
    s_one (&text, "zchat_client_ids_dropped_total", "counter",
           "Retired client ids forgotten (--client-ttl, --max-client-ids).",
           m->client_ids_dropped);
    s_family (&text, "zchat_pings_answered_total", "counter",
              "Heartbeat PINGs this node answered: at a wake-up (wakeup), or inside a "
              "client batch or a bundle's sends, every 64 messages (batch).");
    s_labelled (&text, "zchat_pings_answered_total", "when", "wakeup", m->pings_wakeup);
    s_labelled (&text, "zchat_pings_answered_total", "when", "batch", m->pings_batch);
    s_one (&text, "zchat_elections_started_total", "counter",
           "Election rounds this node started.", m->elections_started);
    s_one (&text, "zchat_elections_won_total", "counter",
           "Elections this node won (it became the leader).", m->elections_won);
    s_one (&text, "zchat_leader_changes_total", "counter",
           "Times the leader this node follows changed to another node.", m->leader_changes);
    return text.len;
}
