/*  test_metrics.c — the metrics' text (metrics.c) and the --metrics flag
    (config.c): histogram buckets, escaping, the exposition of a known
    state line by line, the flag's errors, and the core handing each
    POST's stamp back with its ACK (once).  No sockets: the endpoint
    itself is scraped by tests/cluster/test_metrics.sh.
*/
#include "metrics.h"
#include "core.h"
#include "wire.h"
#include "config.h"
#include "election.h"
#include "testutil.h"

#include <czmq.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static void
test_buckets (void)
{
    zc_histogram_t h;
    uint64_t bounds [] = { 10, 100, 1000 };
    zc_histogram_init (&h, bounds, 3);
    //  le means "at most": a value equal to a bound is in that bucket
    uint64_t values [] = { 0, 10, 11, 100, 101, 1000, 1001, 5000000 };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++)
        zc_histogram_observe (&h, values [i]);
    CHECK (h.counts [0] == 2);      //  0, 10
    CHECK (h.counts [1] == 2);      //  11, 100
    CHECK (h.counts [2] == 2);      //  101, 1000
    CHECK (h.counts [3] == 2);      //  +Inf: 1001, 5 s
    CHECK (h.count == 8);
    CHECK (h.sum_us == 0 + 10 + 11 + 100 + 101 + 1000 + 1001 + 5000000);
    //  more bounds than fit are cut, never written past the arrays
    uint64_t many [ZC_HISTOGRAM_MAX + 4];
    for (size_t i = 0; i < ZC_HISTOGRAM_MAX + 4; i++)
        many [i] = i + 1;
    zc_histogram_init (&h, many, ZC_HISTOGRAM_MAX + 4);
    CHECK (h.bound_count == ZC_HISTOGRAM_MAX);
    zc_histogram_observe (&h, 1000);
    CHECK (h.counts [ZC_HISTOGRAM_MAX] == 1);
}

static void
test_escaping (void)
{
    char out [64];
    CHECK (zc_metrics_escape_label ("a\\b\"c\nd", out, sizeof out) == 10);
    CHECK (streq (out, "a\\\\b\\\"c\\nd"));
    //  HELP keeps double quotes as they are
    zc_metrics_escape_help ("say \"hi\"\\\n", out, sizeof out);
    CHECK (streq (out, "say \"hi\"\\\\\\n"));
    //  too small: cut, terminated, and the length needed returned
    char small [4];
    CHECK (zc_metrics_escape_label ("\"\"\"", small, sizeof small) == 6);
    CHECK (strlen (small) == 3);
    CHECK (zc_metrics_escape_label ("plain", NULL, 0) == 5);
}

static zc_metrics_t
s_known_state (void)
{
    zc_metrics_t m;
    memset (&m, 0, sizeof m);
    m.node = 2;
    m.role = ZC_ROLE_LEADER;
    m.serving = true;
    m.epoch = 7;
    m.leader = 2;
    m.commit = 41;
    m.last_seq = 42;
    m.posts = 40;
    m.publications = 39;
    m.repl_sent = 80;
    m.repl_received = 2;
    m.dropped_invalid = 3;
    m.dropped_reply_lost = 1;
    m.dropped_forged = 4;
    m.refused_limit = 5;
    m.refused_rate = 6;
    m.refused_handshake = 9;
    m.clients = 12;
    m.client_ids = 300;
    m.client_ids_dropped = 250;
    m.elections_started = 2;
    m.elections_won = 1;
    m.leader_changes = 3;
    m.fsync_writes = 17;
    m.pings_wakeup = 21;
    m.pings_batch = 8;
    zc_histogram_init_ack (&m.ack_latency);
    zc_histogram_observe (&m.ack_latency, 400);         //  le 0.0005
    zc_histogram_observe (&m.ack_latency, 2500);        //  le 0.0025 exactly
    zc_histogram_observe (&m.ack_latency, 7000000);     //  +Inf
    zc_histogram_init_fsync (&m.fsync);
    zc_histogram_observe (&m.fsync, 150);
    return m;
}

//  One line of the text format: a comment, or a sample with a valid name,
//  well-formed labels and a number
static bool
s_valid_line (const char *line)
{
    static regex_t sample, help, type;
    static bool compiled;
    if (!compiled) {
        regcomp (&sample, "^[a-zA-Z_:][a-zA-Z0-9_:]*"
                 "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
                 "(-?[0-9]+(\\.[0-9]+)?|\\+Inf)$", REG_EXTENDED | REG_NOSUB);
        regcomp (&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$", REG_EXTENDED | REG_NOSUB);
        regcomp (&type, "^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram)$",
                 REG_EXTENDED | REG_NOSUB);
        compiled = true;
    }
    return regexec (&sample, line, 0, NULL, 0) == 0 || regexec (&help, line, 0, NULL, 0) == 0
        || regexec (&type, line, 0, NULL, 0) == 0;
}

static bool
s_has_line (const char *text, const char *line)
{
    size_t len = strlen (line);
    for (const char *at = text; (at = strstr (at, line)); at++)
        if ((at == text || at [-1] == '\n') && at [len] == '\n')
            return true;
    return false;
}

static void
test_render (void)
{
    zc_metrics_t m = s_known_state ();
    size_t need = zc_metrics_render (&m, NULL, 0);
    char *text = malloc (need + 1);
    CHECK (zc_metrics_render (&m, text, need + 1) == need);
    CHECK (strlen (text) == need);
    CHECK (text [need - 1] == '\n');
    //  A buffer too small is cut and terminated; the length needed returned
    char small [100];
    CHECK (zc_metrics_render (&m, small, sizeof small) == need);
    CHECK (strlen (small) == sizeof small - 1);
    CHECK (strncmp (small, text, sizeof small - 1) == 0);

    const char *lines [] = {
        "# HELP zchat_node_id This node's id (--id).",
        "# TYPE zchat_node_id gauge",
        "zchat_node_id 2",
        "# TYPE zchat_role gauge",
        "zchat_role{role=\"backup\"} 0",
        "zchat_role{role=\"candidate\"} 0",
        "zchat_role{role=\"leader\"} 1",
        "zchat_serving 1",
        "zchat_epoch 7",
        "zchat_leader_id 2",
        "zchat_commit_seq 41",
        "zchat_last_seq 42",
        "# TYPE zchat_posts_accepted_total counter",
        "zchat_posts_accepted_total 40",
        "zchat_publications_total 39",
        "zchat_replication_entries_sent_total 80",
        "zchat_replication_entries_received_total 2",
        "# TYPE zchat_ack_latency_seconds histogram",
        "zchat_ack_latency_seconds_bucket{le=\"0.0005\"} 1",
        "zchat_ack_latency_seconds_bucket{le=\"0.001\"} 1",
        "zchat_ack_latency_seconds_bucket{le=\"0.0025\"} 2",
        "zchat_ack_latency_seconds_bucket{le=\"5\"} 2",
        "zchat_ack_latency_seconds_bucket{le=\"+Inf\"} 3",
        "zchat_ack_latency_seconds_sum 7.0029",
        "zchat_ack_latency_seconds_count 3",
        "zchat_fsync_seconds_bucket{le=\"0.0001\"} 0",
        "zchat_fsync_seconds_bucket{le=\"0.00025\"} 1",
        "zchat_fsync_seconds_bucket{le=\"1\"} 1",
        "zchat_fsync_seconds_sum 0.00015",
        "zchat_fsync_seconds_count 1",
        "zchat_fsync_writes_total 17",
        "zchat_dropped_total{reason=\"invalid\"} 3",
        "zchat_dropped_total{reason=\"reply_lost\"} 1",
        "zchat_dropped_total{reason=\"forged\"} 4",
        "zchat_refused_total{reason=\"limit\"} 5",
        "zchat_refused_total{reason=\"rate\"} 6",
        "zchat_refused_total{reason=\"handshake\"} 9",
        "zchat_clients 12",
        "zchat_client_ids 300",
        "zchat_client_ids_dropped_total 250",
        "# TYPE zchat_pings_answered_total counter",
        "zchat_pings_answered_total{when=\"wakeup\"} 21",
        "zchat_pings_answered_total{when=\"batch\"} 8",
        "zchat_elections_started_total 2",
        "zchat_elections_won_total 1",
        "zchat_leader_changes_total 3",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines [0]; i++)
        CHECKF (s_has_line (text, lines [i]), "missing line: %s", lines [i]);

    //  Every line is valid text format; every family has HELP and TYPE
    //  once, before its samples; the histogram's buckets rise
    size_t count = 0, helps = 0, types = 0;
    char *save = NULL;
    for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        CHECKF (s_valid_line (line), "not text format: '%s'", line);
        count++;
        helps += strncmp (line, "# HELP ", 7) == 0;
        types += strncmp (line, "# TYPE ", 7) == 0;
    }
    CHECKF (helps == 23 && types == 23, "%zu HELP, %zu TYPE", helps, types);
    //  23 families: 17 of one sample, 1 of two (pings), 3 of three (role,
    //  dropped, refused), 2 histograms of 13 buckets + Inf + sum + count
    CHECKF (count == 46 + 17 + 2 + 3 * 3 + 2 * 16, "%zu lines", count);
    free (text);

    //  A role other than the three names none
    m.role = ZC_ROLE_CANDIDATE;
    need = zc_metrics_render (&m, NULL, 0);
    text = malloc (need + 1);
    zc_metrics_render (&m, text, need + 1);
    CHECK (s_has_line (text, "zchat_role{role=\"candidate\"} 1"));
    CHECK (s_has_line (text, "zchat_role{role=\"leader\"} 0"));
    free (text);
}

static char s_err [256];

static int
s_parse (zc_config_t *cfg, const char *value)
{
    char *argv [] = { "chat-node", "--id", "1", "--metrics", (char *) value, NULL };
    return zc_config_parse (cfg, 5, argv, s_err, sizeof s_err);
}

static void
test_flag (void)
{
    zc_config_t cfg;
    char *plain [] = { "chat-node", "--id", "1", NULL };
    CHECK (zc_config_parse (&cfg, 3, plain, s_err, sizeof s_err) == 0);
    CHECK (cfg.metrics.port == 0);          //  off by default
    CHECK (s_parse (&cfg, "127.0.0.1:9100") == 0);
    CHECK (streq (cfg.metrics.host, "127.0.0.1") && cfg.metrics.port == 9100);
    CHECK (s_parse (&cfg, "*:9100") == 0 && streq (cfg.metrics.host, "*"));
    CHECK (s_parse (&cfg, "localhost:1") == 0);
    CHECK (s_parse (&cfg, "[::1]:65535") == 0 && streq (cfg.metrics.host, "[::1]"));
    CHECK (cfg.metrics.port == 65535);
    const char *bad [][2] = {
        { "9100",                 "--metrics: '9100' is not ADDR:PORT" },
        { ":9100",                "--metrics: ':9100' is not ADDR:PORT" },
        { "127.0.0.1:",           "--metrics: port '' is not 1..65535" },
        { "127.0.0.1:0",          "--metrics: port '0' is not 1..65535" },
        { "127.0.0.1:65536",      "--metrics: port '65536' is not 1..65535" },
        { "127.0.0.1:91x",        "--metrics: port '91x' is not 1..65535" },
        { "example.com:9100",     "--metrics: 'example.com' is not an IP address, [IPv6], * or localhost" },
        { "::1:9100",             "--metrics: '::1' is not an IP address, [IPv6], * or localhost" },
        { "[127.0.0.1]:9100",     "--metrics: '[127.0.0.1]' is not an IP address, [IPv6], * or localhost" },
        { "300.1.1.1:9100",       "--metrics: '300.1.1.1' is not an IP address, [IPv6], * or localhost" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        CHECKF (s_parse (&cfg, bad [i][0]) == -1, "accepted %s", bad [i][0]);
        CHECKF (streq (s_err, bad [i][1]), "%s: '%s'", bad [i][0], s_err);
    }
    char longer [200];
    memset (longer, '1', sizeof longer);
    strcpy (longer + 150, ":9100");
    CHECK (s_parse (&cfg, longer) == -1);
    CHECK (strstr (s_err, "longer than 63") != NULL);
}

//  --- the core's side: stamps back with their ACKs, counters -------------

static uint64_t s_ticket;

static const zc_core_ready_t *
s_take (zc_core_t *core)
{
    const zc_core_ready_t *ready = zc_core_ready (core);
    if (ready->ticket)
        s_ticket = ready->ticket;
    return ready;
}

static void
s_post (zc_core_t *core, uint64_t id, uint64_t now)
{
    zc_msg_t post;
    zc_msg_init (&post, ZC_POST);
    zc_msg_set_cstr (&post, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
    zc_msg_set_u64 (&post, ZF_ID, id);
    zc_msg_set_cstr (&post, ZF_ROOM, "general");
    zc_msg_set_cstr (&post, ZF_FROM, "alice");
    zc_msg_set_cstr (&post, ZF_TEXT, "hello");
    zc_msg_set_u64 (&post, ZF_TS, 1);
    uint8_t buf [ZC_MAX_FRAME];
    size_t size = zc_msg_encode (&post, buf, sizeof buf);
    zc_core_client (core, (const uint8_t *) "c1", 2, buf, size, NULL, now);
}

static size_t
s_acks (const zc_core_ready_t *ready)
{
    size_t acks = 0;
    for (size_t i = 0; i < ready->reply_count; i++) {
        zc_msg_t msg;
        const uint8_t *at = ready->replies [i].body.data;
        size_t offset = 0;
        while (offset < ready->replies [i].body.size
           &&  zc_msg_decode_next (&msg, at, ready->replies [i].body.size, &offset, NULL) == 0)
            acks += msg.type == ZC_ACK;
    }
    return acks;
}

static void
test_core_stamps (void)
{
    zc_core_config_t cfg = {
        .election = { .self = 1, .quorum = 1, .mh = 42, .heartbeat_ms = 100, .misses = 3,
                      .election_ms = 200, .lease_ms = 300, .holddown_ms = 2000, .seed = 7,
                      .members = { 1 }, .member_count = 1 },
        .batch = 512, .sync_timeout_ms = 3000, .port = 5000, .max_text = 1000,
        .max_rooms = 8,
    };
    zc_stored_t stored = { .epoch = 0 };
    uint64_t now = 1000;
    zc_core_t *core = zc_core_new (&cfg, zc_chatlog_new (), &stored, now);
    for (int i = 0; i < 200 && !zc_core_serving (core, now); i++) {
        uint64_t deadline = zc_core_deadline (core);
        now = deadline > now ? deadline : now + 1;
        zc_core_tick (core, now);
        s_take (core);
        zc_core_durable (core, s_ticket, now);
        s_take (core);
    }
    CHECK (zc_core_serving (core, now));
    zc_core_stamp (core, 111);
    s_post (core, 1, now);
    zc_core_stamp (core, 222);
    s_post (core, 2, now);
    zc_core_stamp (core, 0);        //  not stamped: not timed
    s_post (core, 3, now);
    zc_core_tick (core, now);
    const zc_core_ready_t *ready = s_take (core);
    CHECK (ready->acked_count == 0);            //  nothing durable, nothing acked
    zc_core_durable (core, s_ticket, now);
    ready = s_take (core);
    CHECKF (s_acks (ready) == 3, "%zu ACKs", s_acks (ready));
    CHECKF (ready->acked_count == 2, "%zu stamps", ready->acked_count);
    CHECK (ready->acked_count == 2 && ready->acked [0] == 111 && ready->acked [1] == 222);
    zc_core_tick (core, now);
    ready = s_take (core);
    CHECK (ready->acked_count == 0);            //  each stamp comes back once

    zc_core_counters_t counters;
    zc_core_counters (core, &counters);
    CHECK (counters.handled == 3);
    CHECK (counters.published == 3);
    CHECK (counters.appended == 0);             //  all stamped here
    CHECK (counters.won == 1 && counters.elections >= 1);
    CHECK (counters.leader_changes == 1);
    CHECK (zc_core_clients (core, now) == 1);
    zc_core_destroy (&core);
}

int
main (void)
{
    test_buckets ();
    test_escaping ();
    test_render ();
    test_flag ();
    test_core_stamps ();
    return check_report ("test_metrics");
}
