/*  test_trace.c — chat-trace's pure parts and zchat-sim-trace's scenarios:
    the zc-trace line (format, parse, bad input), the layout (columns,
    pairing, lost, folding, lifelines), the exact ASCII of a small known
    trace, SVG well-formed, and the seed's scenario on the simulator (3
    nodes, leader 3 killed: node 2 claims and leads, node 1 follows),
    deterministic for a seed.  docs/ELECTION.md "Watching an election".
*/
#include "trace_event.h"
#include "trace_log.h"
#include "trace_layout.h"
#include "trace_render.h"
#include "scenario.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  ==========================================================================
//  The line

static void
test_roundtrip (void)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_ACCEPT);
    zc_msg_set_u64 (&msg, ZF_NODE, 1);
    zc_msg_set_u64 (&msg, ZF_EPOCH, 7);
    zc_msg_set_bool (&msg, ZF_GRANTED, true);
    zc_tev_t ev, back;
    CHECK (zc_tev_from_msg (&ev, ZC_TEV_SEND, 1234567, 1, 2, &msg));
    char line [ZC_TEV_LINE_MAX];
    CHECK (zc_tev_format (&ev, line, sizeof line) > 0);
    CHECKF (strcmp (line, "zc-trace 1 us=1234567 node=1 ev=send peer=2 msg=ACCEPT epoch=7 "
                          "granted=1") == 0, "%s", line);
    CHECK (zc_tev_parse (line, &back, NULL) == 1);
    CHECK (back.kind == ZC_TEV_SEND && back.us == 1234567 && back.node == 1
           && back.peer == 2 && back.type == ZC_ACCEPT && back.epoch == 7 && back.granted == 1);
    //  Not election traffic: not traced
    zc_msg_init (&msg, ZC_APPEND);
    CHECK (!zc_tev_from_msg (&ev, ZC_TEV_SEND, 1, 1, 2, &msg));

    //  Every kind through format and parse
    zc_tev_t all [6];
    zc_tev_init (&all [0], ZC_TEV_STATE, 5, 2);
    all [0].role = ZC_TROLE_LEADER; all [0].epoch = 9; all [0].leader = 2; all [0].serving = true;
    zc_tev_init (&all [1], ZC_TEV_DOWN, 6, 1);
    all [1].peer = 3;
    zc_tev_init (&all [2], ZC_TEV_START, 7, 3);
    all [2].epoch = 4; all [2].leader = 3;
    zc_tev_init (&all [3], ZC_TEV_STOP, 8, 3);
    zc_tev_init (&all [4], ZC_TEV_CRASH, 9, 3);
    zc_tev_init (&all [5], ZC_TEV_NOTE, 10, 0);
    snprintf (all [5].text, sizeof all [5].text, "partition: 3 | 1 2");
    for (int i = 0; i < 6; i++) {
        CHECK (zc_tev_format (&all [i], line, sizeof line) > 0);
        CHECKF (zc_tev_parse (line, &back, NULL) == 1
                && memcmp (&back, &all [i], sizeof back) == 0, "kind %d: %s", i, line);
    }
    //  A line that does not fit is not written half
    CHECK (zc_tev_format (&all [0], line, 20) == 0);
}

static void
test_parse_bad (void)
{
    zc_tev_t ev;
    const char *error = NULL;
    //  Prefixes (a log's timestamp) and unknown keys are fine
    CHECK (zc_tev_parse ("I: 26-12-04 zc-trace 1 us=5 node=2 ev=stop later=key\n", &ev,
                         &error) == 1 && ev.kind == ZC_TEV_STOP && ev.node == 2);
    CHECK (zc_tev_parse ("zc-trace 1 us=5 node=0 ev=note text=a b  c\r\n", &ev, NULL) == 1
           && strcmp (ev.text, "a b  c") == 0);
    //  Not trace lines
    CHECK (zc_tev_parse ("I: node 1: client port 5", &ev, NULL) == 0);
    CHECK (zc_tev_parse ("zc-trace 2 us=1 node=1 ev=stop", &ev, NULL) == 0);
    CHECK (zc_tev_parse ("", &ev, NULL) == 0);
    CHECK (zc_tev_parse (NULL, &ev, NULL) == 0);
    //  Malformed: each refused with a reason
    static const char *bad [] = {
        "zc-trace 1 node=1 ev=stop",                                    //  no us
        "zc-trace 1 us=1 ev=stop",                                      //  no node
        "zc-trace 1 us=1 node=1",                                       //  no ev
        "zc-trace 1 us=x node=1 ev=stop",                               //  bad number
        "zc-trace 1 us=-1 node=1 ev=stop",
        "zc-trace 1 us=99999999999999999999999 node=1 ev=stop",         //  overflow
        "zc-trace 1 us=1 node=4294967296 ev=stop",                      //  past u32
        "zc-trace 1 us=1 node=1 ev=dance",                              //  unknown kind
        "zc-trace 1 us=1 node=1 us=2 ev=stop",                          //  twice
        "zc-trace 1 us=1 node=1 ev=stop garbage",                       //  no '='
        "zc-trace 1 us=1 node=1 ev=stop =3",                            //  empty key
        "zc-trace 1 us=1 node=1 ev=send peer=2 epoch=1",                //  no msg
        "zc-trace 1 us=1 node=1 ev=send peer=2 msg=HELLOO epoch=1",     //  unknown msg
        "zc-trace 1 us=1 node=1 ev=send peer=2 msg=APPEND epoch=1",     //  not election's
        "zc-trace 1 us=1 node=1 ev=send msg=ELECTION epoch=1",          //  no peer
        "zc-trace 1 us=1 node=1 ev=send peer=2 msg=ACCEPT epoch=1 granted=2",
        "zc-trace 1 us=1 node=1 ev=state epoch=1 leader=0 role=king serving=0",
        "zc-trace 1 us=1 node=1 ev=state epoch=1 leader=0 role=leader",  //  no serving
        "zc-trace 1 us=1 node=0 ev=crash",                              //  node 0: notes only
        "zc-trace 1 us= node=1 ev=stop",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        error = NULL;
        CHECKF (zc_tev_parse (bad [i], &ev, &error) == -1 && error && *error,
                "refused: %s", bad [i]);
    }
    //  The log counts them and names the first
    zc_tlog_t *log = zc_tlog_new ();
    CHECK (zc_tlog_add_line (log, "plain log line", "n1.log", 1) == 0);
    CHECK (zc_tlog_add_line (log, bad [3], "n1.log", 2) == -1);
    CHECK (zc_tlog_add_line (log, bad [8], "n1.log", 3) == -1);
    CHECK (zc_tlog_add_line (log, "zc-trace 1 us=1 node=1 ev=stop", "n1.log", 4) == 1);
    CHECK (zc_tlog_malformed (log) == 2);
    CHECKF (strncmp (zc_tlog_first_error (log), "n1.log:2: us", 12) == 0, "%s",
            zc_tlog_first_error (log));
    zc_tlog_destroy (&log);
    zc_tlog_destroy (&log);
}

//  ==========================================================================
//  The layout and the drawings, on a small known failover (node 3 crashed)

static const char *s_small [] = {
    "zc-trace 1 us=1004500 node=1 ev=recv peer=2 msg=COORDINATOR epoch=5 leader=2",
    "zc-trace 1 us=1000000 node=3 ev=crash",
    "zc-trace 1 us=1001000 node=1 ev=down peer=3",
    "zc-trace 1 us=1001100 node=1 ev=send peer=2 msg=ELECTION epoch=4",
    "zc-trace 1 us=1001200 node=1 ev=state epoch=4 leader=0 role=candidate serving=0",
    "zc-trace 1 us=1001500 node=2 ev=recv peer=1 msg=ELECTION epoch=4",
    "zc-trace 1 us=1001600 node=2 ev=send peer=1 msg=ANSWER epoch=4",
    "zc-trace 1 us=1002000 node=1 ev=recv peer=2 msg=ANSWER epoch=4",
    "zc-trace 1 us=1003000 node=2 ev=send peer=3 msg=PREVOTE epoch=5",
    "zc-trace 1 us=1003100 node=2 ev=send peer=1 msg=PREVOTE epoch=5",
    "zc-trace 1 us=1003500 node=1 ev=recv peer=2 msg=PREVOTE epoch=5",
    "zc-trace 1 us=1003600 node=1 ev=send peer=2 msg=PREVOTE_REPLY epoch=5 granted=1",
    "zc-trace 1 us=1004000 node=2 ev=recv peer=1 msg=PREVOTE_REPLY epoch=5 granted=1",
    "zc-trace 1 us=1004100 node=2 ev=send peer=1 msg=COORDINATOR epoch=5 leader=2",
    "zc-trace 1 us=1004600 node=1 ev=send peer=2 msg=ACCEPT epoch=5 granted=1",
    "zc-trace 1 us=1004700 node=1 ev=state epoch=5 leader=2 role=backup serving=0",
    "zc-trace 1 us=1005000 node=2 ev=recv peer=1 msg=ACCEPT epoch=5 granted=1",
    "zc-trace 1 us=1005100 node=2 ev=state epoch=5 leader=2 role=leader serving=1",
    "zc-trace 1 us=1104100 node=2 ev=send peer=1 msg=COORDINATOR epoch=5 leader=2",
    "zc-trace 1 us=1104500 node=1 ev=recv peer=2 msg=COORDINATOR epoch=5 leader=2",
    "zc-trace 1 us=1204100 node=2 ev=send peer=1 msg=COORDINATOR epoch=5 leader=2",
    "zc-trace 1 us=1204500 node=1 ev=recv peer=2 msg=COORDINATOR epoch=5 leader=2",
};

static const char s_small_ascii [] =
"   time ms  node 1                  node 2                  node 3\n"
"       0.0  |                       |                       X crashed\n"
"       1.0  ! lost leader 3         |\n"
"       1.2  * candidate e4          |\n"
"       1.5  |--ELECTION e4--------->|\n"
"       2.0  |<-ANSWER e4------------|\n"
"       3.0  |                       |--PREVOTE e5----------x\n"
"       3.5  |<-PREVOTE e5-----------|\n"
"       4.0  |--PREVOTE_REPLY e5 ok->|\n"
"       4.5  |<-COORDINATOR e5-------|\n"
"       4.7  * backup e5, follows 2  |\n"
"       5.0  |--ACCEPT e5 ok-------->|\n"
"       5.1  |                       * leader e5, serving\n"
"     104.5  |<-COORDINATOR e5-------|\n"
"            :                       :                           1 repeated message\n";

static zc_tlayout_t *
s_layout (const char **lines, size_t count, bool all)
{
    zc_tlog_t *log = zc_tlog_new ();
    for (size_t i = 0; i < count; i++)
        CHECK (zc_tlog_add_line (log, lines [i], "small", i + 1) == 1);
    zc_tlog_sort (log);
    size_t n = 0;
    const zc_tev_t *events = zc_tlog_events (log, &n);
    zc_tlayout_opts_t opts;
    zc_tlayout_opts_default (&opts);
    opts.all = all;
    zc_tlayout_t *layout = zc_tlayout_new (events, n, &opts);
    zc_tlog_destroy (&log);
    return layout;
}

static char *
s_ascii (const zc_tlayout_t *layout)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    CHECK (zc_trender_ascii (layout, out) == 0);
    fclose (out);
    return text;
}

static void
test_layout (void)
{
    size_t count = sizeof s_small / sizeof s_small [0];
    zc_tlayout_t *layout = s_layout (s_small, count, false);
    CHECK (layout->node_count == 3 && layout->nodes [0] == 1 && layout->nodes [2] == 3);
    CHECK (zc_tlayout_column (layout, 2) == 1 && zc_tlayout_column (layout, 9) == SIZE_MAX);
    CHECK (layout->t0 == 1000000);
    //  14 rows: 8 arrows (7 paired at arrival, the PREVOTE to the crashed
    //  node 3 lost), 5 notes, the folded repeat
    CHECKF (layout->row_count == 14, "%zu rows", layout->row_count);
    CHECK (layout->hidden == 1 && layout->lost == 1);
    size_t arrows = 0, lost = 0;
    for (size_t i = 0; i < layout->row_count; i++) {
        const zc_trow_t *row = &layout->rows [i];
        if (row->kind == ZC_TROW_ARROW) {
            arrows++;
            if (row->lost) {
                lost++;
                CHECK (row->from == 1 && row->to == 2 && row->type == ZC_PREVOTE
                       && !row->matched && row->us == 3000);
            }
            else
                CHECKF (row->matched && row->latency_us == 400,
                        "row %zu: latency %llu", i, (unsigned long long) row->latency_us);
        }
        //  Node 3's lifeline ends at its crash (the first row)
        if (i > 0)
            CHECK (((row->alive >> 2) & 1) == 0);
        CHECK ((row->alive & 3) == 3);
    }
    CHECK (arrows == 8 && lost == 1);
    //  The arrival's time, not the sending's
    CHECK (layout->rows [3].kind == ZC_TROW_ARROW && layout->rows [3].us == 1500
           && layout->rows [3].latency_us == 400);
    zc_tlayout_destroy (&layout);
    zc_tlayout_destroy (&layout);

    //  --all draws the repeat; a log missing entirely is no loss
    layout = s_layout (s_small, count, true);
    CHECK (layout->hidden == 0 && layout->row_count == 14);
    zc_tlayout_destroy (&layout);
    layout = s_layout (s_small + 2, count - 2, false);     //  no node 3 log
    CHECK (layout->lost == 0 && layout->node_count == 3);
    zc_tlayout_destroy (&layout);
    //  A log that stops 2 s before the others: its node died there
    static const char *ends [] = {
        "zc-trace 1 us=1000000 node=1 ev=state epoch=1 leader=2 role=backup serving=0",
        "zc-trace 1 us=1000000 node=2 ev=state epoch=1 leader=2 role=leader serving=1",
        "zc-trace 1 us=3500000 node=1 ev=state epoch=1 leader=0 role=candidate serving=0",
    };
    layout = s_layout (ends, 3, false);
    CHECK (layout->row_count == 4 && layout->rows [2].mark == 'X'
           && layout->rows [2].col == 1 && strcmp (layout->rows [2].label, "log ends") == 0
           && layout->rows [3].alive == 1);
    zc_tlayout_destroy (&layout);
    //  Nothing at all
    layout = zc_tlayout_new (NULL, 0, NULL);
    CHECK (layout->row_count == 0 && layout->node_count == 0);
    char *text = s_ascii (layout);
    CHECK (strcmp (text, "   time ms\n") == 0);
    free (text);
    zc_tlayout_destroy (&layout);
}

static void
test_ascii (void)
{
    zc_tlayout_t *layout = s_layout (s_small, sizeof s_small / sizeof s_small [0], false);
    char *text = s_ascii (layout);
    CHECKF (strcmp (text, s_small_ascii) == 0, "got:\n%s", text);
    free (text);
    zc_tlayout_destroy (&layout);
}

//  Well-formed enough for any XML reader: every tag closed in order,
//  attribute values quoted, no bare '<' or '&' in text.
static bool
s_xml_ok (const char *xml, char *why, size_t cap)
{
    const char *stack [256];
    size_t lens [256], depth = 0;
    const char *at = xml;
    if (strncmp (at, "<?xml ", 6) == 0)
        at = strstr (at, "?>") + 2;
    for (; *at; at++) {
        if (*at == '&') {
            if (strncmp (at, "&amp;", 5) && strncmp (at, "&lt;", 4) && strncmp (at, "&gt;", 4)
            &&  strncmp (at, "&quot;", 6)) {
                snprintf (why, cap, "bare & at %zu", (size_t) (at - xml));
                return false;
            }
            continue;
        }
        if (*at != '<')
            continue;
        const char *end = at + 1;
        bool quoted = false;
        for (; *end && (quoted || *end != '>'); end++) {
            if (*end == '"')
                quoted = !quoted;
            if (!quoted && *end == '<') {
                snprintf (why, cap, "'<' inside a tag at %zu", (size_t) (end - xml));
                return false;
            }
        }
        if (!*end) {
            snprintf (why, cap, "unclosed tag");
            return false;
        }
        bool closing = at [1] == '/', empty = end [-1] == '/';
        const char *name = at + (closing ? 2 : 1);
        size_t len = strcspn (name, " />");
        if (closing) {
            if (!depth || lens [depth - 1] != len || strncmp (stack [depth - 1], name, len)) {
                snprintf (why, cap, "</%.*s> closes nothing open", (int) len, name);
                return false;
            }
            depth--;
        }
        else
        if (!empty) {
            if (depth == 256)
                return false;
            stack [depth] = name;
            lens [depth++] = len;
        }
        at = end;
    }
    if (depth)
        snprintf (why, cap, "<%.*s> never closed", (int) lens [depth - 1], stack [depth - 1]);
    return depth == 0;
}

static void
test_svg (void)
{
    //  Hostile text in a note must not break the document
    static const char *lines [] = {
        "zc-trace 1 us=1 node=0 ev=note text=<script>&\"x\" \x01 ]]> \xc3\xa7",
        "zc-trace 1 us=2 node=1 ev=send peer=2 msg=ELECTION epoch=1",
        "zc-trace 1 us=3 node=2 ev=recv peer=1 msg=ELECTION epoch=1",
        "zc-trace 1 us=4 node=2 ev=crash",
        "zc-trace 1 us=5 node=1 ev=send peer=2 msg=ELECTION epoch=2",
    };
    zc_tlayout_t *layout = s_layout (lines, 5, false);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    CHECK (zc_trender_svg (layout, out) == 0);
    fclose (out);
    char why [200] = "";
    CHECKF (s_xml_ok (text, why, sizeof why), "%s", why);
    CHECK (strstr (text, "&lt;script&gt;&amp;&quot;x&quot;") != NULL);
    CHECK (strstr (text, "stroke-dasharray=\"5,3\"") != NULL);     //  the lost one
    CHECK (s_xml_ok ("<a><b/></a>", why, sizeof why));
    CHECK (!s_xml_ok ("<a><b></a>", why, sizeof why));             //  the checker checks
    CHECK (!s_xml_ok ("<a>x & y</a>", why, sizeof why));
    //  And xmllint, where it is installed
    if (access ("/usr/bin/xmllint", X_OK) == 0) {
        char path [] = "/tmp/test_trace_XXXXXX";
        int fd = mkstemp (path);
        CHECK (fd >= 0);
        if (fd >= 0) {
            CHECK (write (fd, text, size) == (ssize_t) size);
            close (fd);
            char command [128];
            snprintf (command, sizeof command, "/usr/bin/xmllint --noout %s", path);
            CHECK (system (command) == 0);
            unlink (path);
        }
    }
    free (text);
    zc_tlayout_destroy (&layout);
}

//  ==========================================================================
//  The seed's scenario on the simulator

typedef struct {
    char *text;
    size_t size;
    FILE *out;
    zc_tlog_t *log;
} s_sink_t;

static void
s_collect (const zc_tev_t *ev, void *arg)
{
    s_sink_t *sink = arg;
    char line [ZC_TEV_LINE_MAX];
    CHECK (zc_tev_format (ev, line, sizeof line) > 0);
    fprintf (sink->out, "%s\n", line);
    CHECK (zc_tlog_add_line (sink->log, line, "sim", 0) == 1);
}

//  The rows after node 3's crash: node 2 claims epoch E and leads, node 1
//  accepts it and follows node 2.  0 if so, else which step is missing.
static int
s_check_failover (const zc_tlayout_t *layout, uint64_t *epoch_out)
{
    size_t one = zc_tlayout_column (layout, 1), two = zc_tlayout_column (layout, 2),
           three = zc_tlayout_column (layout, 3);
    size_t i = 0;
    while (i < layout->row_count && !(layout->rows [i].kind == ZC_TROW_NOTE
                                      && layout->rows [i].col == three
                                      && layout->rows [i].mark == 'X'))
        i++;
    if (i == layout->row_count)
        return 1;                   //  no crash of node 3
    unsigned long long epoch = 0;
    bool unanswered = false;        //  node 2's ELECTION or PREVOTE to 3, lost
    int step = 2;
    for (; i < layout->row_count && step < 6; i++) {
        const zc_trow_t *row = &layout->rows [i];
        unsigned long long e;
        if (row->kind == ZC_TROW_ARROW && row->from == two && row->to == three && row->lost
        &&  (row->type == ZC_ELECTION || row->type == ZC_PREVOTE))
            unanswered = true;
        //  A later claim of a higher epoch (the first one's lease lapsed):
        //  follow that one
        if (step > 2 && step < 6 && row->kind == ZC_TROW_ARROW && row->from == two
        &&  row->to == one && sscanf (row->label, "COORDINATOR e%llu", &e) == 1 && e > epoch) {
            epoch = e;
            step = 3;
        }
        else
        if (step == 2 && unanswered && row->kind == ZC_TROW_ARROW && row->from == two
        &&  row->to == one && sscanf (row->label, "COORDINATOR e%llu", &e) == 1) {
            epoch = e;
            step++;
        }
        else
        if (step == 3 && row->kind == ZC_TROW_NOTE && row->col == one) {
            char want [64];
            snprintf (want, sizeof want, "backup e%llu, follows 2", epoch);
            if (strcmp (row->label, want) == 0)
                step++;
        }
        else
        if (step == 4 && row->kind == ZC_TROW_ARROW && row->from == one && row->to == two) {
            char want [64];
            snprintf (want, sizeof want, "ACCEPT e%llu ok", epoch);
            if (strcmp (row->label, want) == 0)
                step++;
        }
        else
        if (step == 5 && row->kind == ZC_TROW_NOTE && row->col == two) {
            char want [64];
            snprintf (want, sizeof want, "leader e%llu, serving", epoch);
            if (strcmp (row->label, want) == 0)
                step++;
        }
    }
    *epoch_out = epoch;
    return step == 6 ? 0 : step;
}

static char *
s_run (const char *name, uint64_t seed, bool leader_down, zc_tlayout_t **layout_p)
{
    s_sink_t sink = { .log = zc_tlog_new () };
    sink.out = open_memstream (&sink.text, &sink.size);
    sim_scenario_t scenario = { name, seed, 3, leader_down };
    char err [600] = "";
    CHECKF (sim_scenario_run (&scenario, s_collect, &sink, err, sizeof err) == 0,
            "%s seed %llu: %s", name, (unsigned long long) seed, err);
    fclose (sink.out);
    zc_tlog_sort (sink.log);
    size_t count = 0;
    const zc_tev_t *events = zc_tlog_events (sink.log, &count);
    *layout_p = zc_tlayout_new (events, count, NULL);
    zc_tlog_destroy (&sink.log);
    return sink.text;
}

static void
test_sim_seed_scenario (void)
{
    for (uint64_t seed = 1; seed <= 4; seed++)
        for (int down = 0; down <= 1; down++) {
            zc_tlayout_t *layout = NULL;
            char *text = s_run ("kill-leader", seed, down, &layout);
            uint64_t epoch = 0;
            int step = s_check_failover (layout, &epoch);
            CHECKF (step == 0 && epoch >= 2, "seed %llu leader_down %d: the failover stops "
                    "at step %d", (unsigned long long) seed, down, step);
            if (seed == 1 && down == 1) {
                //  Deterministic: the same seed, the same lines
                zc_tlayout_t *again = NULL;
                char *twice = s_run ("kill-leader", seed, down, &again);
                CHECK (strcmp (text, twice) == 0);
                free (twice);
                zc_tlayout_destroy (&again);
                //  And the chart says it where a reader looks: node 2's
                //  column holds "* leader eE, serving"
                char *ascii = s_ascii (layout);
                const char *header_two = strstr (ascii, "node 2");
                char want [64];
                snprintf (want, sizeof want, "* leader e%llu, serving",
                          (unsigned long long) epoch);
                bool found = false;
                for (const char *line = ascii; line && *line; ) {
                    const char *end = strchr (line, '\n');
                    size_t at = (size_t) (header_two - ascii);
                    if (end && (size_t) (end - line) >= at + strlen (want)
                    &&  strncmp (line + at, want, strlen (want)) == 0)
                        found = true;
                    line = end ? end + 1 : NULL;
                }
                CHECKF (found, "no '%s' under node 2:\n%s", want, ascii);
                free (ascii);
            }
            free (text);
            zc_tlayout_destroy (&layout);
        }
    //  The check itself sees a failover that did not happen
    zc_tlayout_t *layout = s_layout (s_small, 13, false);   //  cut before the COORDINATOR
    uint64_t epoch = 0;
    CHECK (s_check_failover (layout, &epoch) != 0);
    zc_tlayout_destroy (&layout);
    layout = s_layout (s_small, sizeof s_small / sizeof s_small [0], false);
    CHECK (s_check_failover (layout, &epoch) == 0 && epoch == 5);
    zc_tlayout_destroy (&layout);

    //  The other scenarios end where they say; bad names are refused
    const char *names [] = { "partition", "restart", "sigterm" };
    for (int i = 0; i < 3; i++) {
        layout = NULL;
        char *text = s_run (names [i], 3, true, &layout);
        CHECKF (strstr (text, "ev=state epoch=") != NULL, "%s traced", names [i]);
        if (i == 0)
            CHECK (strstr (text, "text=partition: 3 | 1 2") && strstr (text, "network healed"));
        else
        if (i == 1)
            CHECK (strstr (text, "msg=HANDOVER") != NULL);
        else
            CHECK (strstr (text, "text=SIGTERM") && strstr (text, "msg=HANDOVER")
                   && strstr (text, "text=exits, retired"));
        free (text);
        zc_tlayout_destroy (&layout);
    }
    char err [200];
    sim_scenario_t bad = { "kill-everyone", 1, 3, true };
    CHECK (sim_scenario_run (&bad, s_collect, NULL, err, sizeof err) == -1
           && strstr (err, "unknown scenario"));
    sim_scenario_t big = { "kill-leader", 1, 99, true };
    CHECK (sim_scenario_run (&big, s_collect, NULL, err, sizeof err) == -1);
}

int
main (void)
{
    test_roundtrip ();
    test_parse_bad ();
    test_layout ();
    test_ascii ();
    test_svg ();
    test_sim_seed_scenario ();
    return check_report ("test_trace");
}
