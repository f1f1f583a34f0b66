/*  test_history.c — the history checker (src/check) on synthetic record
    files: a correct history of three clients passes; each invariant,
    broken on purpose, is reported with the right kind.

    The generator plays a leader and three clients by the rules of docs/DESIGN.md §7:
    A and B talk in room "general", C in room "random" (and joined late:
    start 4).  The leader changes at half time (epoch 1 -> 2).  A fault
    bends one rule at one message.
*/
#include "history.h"
#include "testutil.h"
#include "texthash.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    F_NONE, F_MISSING_TAIL, F_MISSING_HOLE, F_DUP_SEQ, F_DUP_MSG, F_REORDER,
    F_CONFLICT, F_TS, F_CAUSAL, F_ACK_TS, F_IDGAP, F_RSEQGAP, F_ACKSEQ,
    F_ROOM, F_UNSENT, F_SPLIT, F_NODE_EPOCH
};

#define N 20                    //  messages
#define START_C 4               //  C's delivery starts after this seq
#define MAXLINES 256

static const char *s_cid [3] = {
    "aaaa0000000000000000000000000001", "bbbb0000000000000000000000000002",
    "cccc0000000000000000000000000003" };
static const char *s_room [2] = { "general", "random" };

static char s_dir [64];
static char s_path [3][128];
static FILE *s_file [3];

static void
s_add (int c, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vfprintf (s_file [c], fmt, args);
    va_end (args);
    fputc ('\n', s_file [c]);
}

static uint64_t
s_max (uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

//  Write the three record files with one fault at message `at`
static void
s_generate (int fault, int at)
{
    uint64_t clock [3] = { 0 }, leader = 0, seq = 0, rseq [2] = { 0 };
    uint64_t next_id [3] = { 1, 1, 1 }, epoch = 1;
    char held [128] = "";       //  F_REORDER: B's line held back
    for (int c = 0; c < 3; c++) {
        snprintf (s_path [c], sizeof (s_path [c]), "%s/%c.rec", s_dir, 'a' + c);
        s_file [c] = fopen (s_path [c], "w");
        s_add (c, "room %s", s_room [c == 2]);
        s_add (c, "leader 1 1");
        s_add (c, "hello from a newer client");    //  unknown: ignored
    }
    for (int k = 1; k <= N; k++) {
        if (k == N / 2 + 1) {
            epoch = 2;
            for (int c = 0; c < 3; c++)
                s_add (c, "leader 2 2");
        }
        int s = k % 3, room = s == 2;
        if (fault == F_IDGAP && k == at)
            next_id [s]++;
        uint64_t id = next_id [s]++;
        uint64_t ts = fault == F_CAUSAL && k == at ? clock [s] : clock [s] + 1;
        clock [s] = ts;
        s_add (s, "sent %s %llu %llu", s_cid [s], (unsigned long long) id,
               (unsigned long long) ts);
        uint64_t stamp = s_max (leader, ts) + 1;
        if (fault == F_TS && k == at)
            stamp = leader;     //  not above the previous seq
        leader = s_max (leader, stamp);
        seq++;
        rseq [room] += fault == F_RSEQGAP && k == at ? 2 : 1;

        for (int c = 0; c < 3; c++) {
            bool in_room = (c == 2) == room || (fault == F_ROOM && k == at);
            if (!in_room || (c == 2 && seq <= START_C))
                continue;
            char line [128];
            bool conflict = fault == F_CONFLICT && k == at && c == 1;
            snprintf (line, sizeof (line), "recv %llu %llu %llu %llu %s %llu %s",
                      (unsigned long long) seq, (unsigned long long) rseq [room],
                      (unsigned long long) stamp, (unsigned long long) epoch,
                      s_cid [conflict ? 2 : s],
                      (unsigned long long) (conflict ? 99 : id), s_room [room]);
            clock [c] = s_max (clock [c], stamp);
            if (c == 1 && k == at) {
                if (fault == F_MISSING_TAIL || fault == F_MISSING_HOLE)
                    continue;
                if (fault == F_REORDER) {
                    strcpy (held, line);
                    continue;
                }
                if (fault == F_DUP_SEQ)
                    s_add (c, "%s", line);
            }
            if (fault == F_DUP_MSG && c == 1 && k == at + 3)
                snprintf (line, sizeof (line), "recv %llu %llu %llu %llu %s %d %s",
                          (unsigned long long) seq,
                          (unsigned long long) rseq [room],
                          (unsigned long long) stamp, (unsigned long long) epoch,
                          s_cid [at % 3], 1 + at / 3, s_room [room]);
            s_add (c, "%s", line);
            if (c == 1 && *held) {
                s_add (c, "%s", held);
                *held = 0;
            }
        }
        uint64_t ack_seq = fault == F_ACKSEQ && k == at ? seq + 1 : seq;
        uint64_t ack_ts = fault == F_ACK_TS && k == at ? stamp + 1 : stamp;
        //  A and B name the acknowledging node and the epoch it leads
        //  (node e leads epoch e); C's acks are in the older 5-field form.
        //  The last message of epoch 1 is acknowledged by node 2 in epoch
        //  2: a resend answered by the next leader, which is no split.
        uint64_t node = epoch, node_epoch = epoch;
        if (k == N / 2)
            node = node_epoch = 2;
        if (fault == F_SPLIT && k == at)
            node = 3;
        if (fault == F_NODE_EPOCH && k == at)
            node = node_epoch = epoch - 1;
        char tail [64] = "";
        if (s != 2)
            snprintf (tail, sizeof (tail), " %llu %llu",
                      (unsigned long long) node, (unsigned long long) node_epoch);
        s_add (s, "ack %s %llu %llu %llu %llu%s", s_cid [s],
               (unsigned long long) id, (unsigned long long) ack_seq,
               (unsigned long long) ack_ts, (unsigned long long) epoch, tail);
        if (k == START_C)       //  C joins: its delivery starts here
            s_add (2, "start %d", START_C);
    }
    if (fault == F_UNSENT)
        s_add (0, "ack dddd0000000000000000000000000004 1 %d %llu 2", N + 1,
               (unsigned long long) leader + 1);
    for (int c = 0; c < 3; c++)
        fclose (s_file [c]);
}

//  Load the three files and check; returns the history (stats inside)
static zc_history_t *
s_check (bool complete, zc_history_stats_t *stats)
{
    zc_history_t *history = zc_history_new ();
    for (int c = 0; c < 3; c++) {
        char err [256];
        int rc = zc_history_load_file (history, s_path [c], err, sizeof (err));
        CHECKF (rc == 0, "load %s: %s", s_path [c], err);
    }
    zc_history_opts_t opts;
    zc_history_opts_default (&opts);
    opts.expect_complete = complete;
    zc_history_check (history, &opts, NULL, NULL);
    zc_history_stats (history, stats);
    return history;
}

static void
s_dump (zc_history_t *history)
{
    const zc_history_violation_t *v;
    for (size_t i = 0; (v = zc_history_violation (history, i)); i++)
        fprintf (stderr, "    %s: %s:%u: %s\n", zc_history_kind_name (v->kind),
                 v->file ? v->file : "-", v->line, v->text);
}

static void
test_correct (void)
{
    s_generate (F_NONE, 0);
    zc_history_stats_t st;
    zc_history_t *history = s_check (true, &st);
    CHECKF (st.violations == 0, "correct history: %zu violations", st.violations);
    if (st.violations)
        s_dump (history);
    CHECKF (st.files == 3 && st.sent == N && st.acked == N, "counts");
    CHECKF (st.seqs == N && st.rooms == 2 && st.senders == 3,
            "seqs %zu rooms %zu senders %zu", st.seqs, st.rooms, st.senders);
    CHECKF (st.leaders == 6, "leaders %zu", st.leaders);
    //  A second check gives the same answer
    CHECKF (zc_history_check (history, NULL, NULL, NULL) == 0, "again");
    zc_history_destroy (&history);
    CHECKF (history == NULL, "destroy nulls");
    zc_history_destroy (&history);
}

//  One fault: the kind expected is reported; with `only`, nothing else is.
static void
test_fault (const char *name, int fault, int at, bool complete,
            zc_history_kind_t kind, bool only)
{
    s_generate (fault, at);
    zc_history_stats_t st;
    zc_history_t *history = s_check (complete, &st);
    bool ok = st.by_kind [kind] > 0
           && (!only || st.violations == st.by_kind [kind]);
    CHECKF (ok, "%s: want %s%s, got %zu violations", name,
            zc_history_kind_name (kind), only ? " only" : "", st.violations);
    if (!ok)
        s_dump (history);
    const zc_history_violation_t *v = zc_history_violation (history, 0);
    CHECKF (v && v->text && *v->text, "%s: violation kept", name);
    zc_history_destroy (&history);
}

static void
test_faults (void)
{
    //  at = 7: B sends to general; 8: C sends to random
    test_fault ("missing tail", F_MISSING_TAIL, 19, true,
                ZC_HISTORY_MISSING, true);
    test_fault ("missing hole", F_MISSING_HOLE, 7, true,
                ZC_HISTORY_MISSING, false);
    test_fault ("rseq gap at the hole", F_MISSING_HOLE, 7, true,
                ZC_HISTORY_GAP, false);
    test_fault ("hole with --no-complete", F_MISSING_HOLE, 7, false,
                ZC_HISTORY_MISSING, false);
    test_fault ("duplicate seq", F_DUP_SEQ, 7, true, ZC_HISTORY_DUPLICATE, true);
    test_fault ("duplicate message", F_DUP_MSG, 7, true,
                ZC_HISTORY_DUPLICATE, false);
    test_fault ("reordered seq", F_REORDER, 7, true, ZC_HISTORY_ORDER, false);
    test_fault ("same seq, another message", F_CONFLICT, 7, true,
                ZC_HISTORY_CONFLICT, true);
    test_fault ("ts not rising", F_TS, 8, true, ZC_HISTORY_LAMPORT, true);
    test_fault ("sent ts not above received", F_CAUSAL, 7, true,
                ZC_HISTORY_CAUSAL, true);
    test_fault ("ack ts differs", F_ACK_TS, 7, true, ZC_HISTORY_ACK, true);
    test_fault ("id gap", F_IDGAP, 9, true, ZC_HISTORY_IDS, true);
    test_fault ("rseq gap", F_RSEQGAP, 7, true, ZC_HISTORY_GAP, true);
    test_fault ("ack at another seq", F_ACKSEQ, 7, true, ZC_HISTORY_ACK, true);
    test_fault ("foreign room", F_ROOM, 7, true, ZC_HISTORY_ROOM, true);
    test_fault ("ack never sent", F_UNSENT, 0, true, ZC_HISTORY_IDS, false);
    test_fault ("two leaders in epoch 1", F_SPLIT, 7, true,
                ZC_HISTORY_SPLIT, true);
    test_fault ("two leaders in epoch 2", F_SPLIT, 13, true,
                ZC_HISTORY_SPLIT, true);
    test_fault ("acker leads an epoch below the stamp", F_NODE_EPOCH, 13, true,
                ZC_HISTORY_ACK, true);

    //  A client killed before the end: --no-complete forgives the tail only
    s_generate (F_MISSING_TAIL, 19);
    zc_history_stats_t st;
    zc_history_t *history = s_check (false, &st);
    CHECKF (st.violations == 0, "tail with --no-complete: %zu", st.violations);
    zc_history_destroy (&history);
}

static size_t s_calls;
static void
s_count (const zc_history_violation_t *v, void *arg)
{
    (void) arg;
    if (v->kind == ZC_HISTORY_DUPLICATE && v->seq == 7 && v->file
    &&  strcmp (v->file, s_path [1]) == 0 && v->line > 0)
        s_calls++;
}

static void
test_callback_and_files (void)
{
    s_generate (F_DUP_SEQ, 7);
    zc_history_t *history = zc_history_new ();
    for (int c = 0; c < 3; c++)
        zc_history_load_file (history, s_path [c], NULL, 0);
    CHECKF (zc_history_check (history, NULL, s_count, NULL) == 1, "one");
    CHECKF (s_calls == 1, "callback saw the duplicate with file and line");
    CHECKF (zc_history_violation (history, 0) == NULL, "not kept");
    zc_history_destroy (&history);

    //  A torn last line is skipped; a malformed line fails the file
    s_generate (F_NONE, 0);
    FILE *f = fopen (s_path [0], "a");
    fputs ("recv 21 1", f);
    fclose (f);
    zc_history_stats_t st;
    history = s_check (true, &st);
    CHECKF (st.torn == 1 && st.violations == 0, "torn %zu, %zu violations",
            st.torn, st.violations);
    f = fopen (s_path [1], "a");
    fputs ("recv 21 x 5 2 abc 1 general\n", f);
    fclose (f);
    char err [256] = "";
    CHECKF (zc_history_load_file (history, s_path [1], err, sizeof (err)) == -1,
            "malformed line refused");
    CHECKF (strstr (err, "b.rec:") && strstr (err, "recv"), "err: %s", err);
    zc_history_stats (history, &st);
    CHECKF (st.files == 3, "the bad file added nothing");
    char bad_node [] = "ack abc 1 1 2 1 node7 1\n";
    FILE *mem = fmemopen (bad_node, strlen (bad_node), "r");
    CHECKF (zc_history_load_stream (history, mem, "mem", err, sizeof (err)) == -1
            && strstr (err, "node"), "bad ack node refused: %s", err);
    fclose (mem);
    CHECKF (zc_history_load_file (history, "/nonexistent/x.rec", err,
                                  sizeof (err)) == -1, "missing file");
    //  `forgotten` lines are counted; a bad one fails its file
    char forgotten [] = "forgotten abc 2\nforgotten abc 3\n";
    mem = fmemopen (forgotten, strlen (forgotten), "r");
    CHECKF (zc_history_load_stream (history, mem, "mem", err, sizeof (err)) == 0, "%s", err);
    fclose (mem);
    zc_history_stats (history, &st);
    CHECKF (st.forgotten == 2, "forgotten %zu", st.forgotten);
    char bad_forgotten [] = "forgotten abc 0\n";
    mem = fmemopen (bad_forgotten, strlen (bad_forgotten), "r");
    CHECKF (zc_history_load_stream (history, mem, "mem", err, sizeof (err)) == -1
            && strstr (err, "forgotten: bad id"), "bad forgotten refused: %s", err);
    fclose (mem);
    zc_history_stats (history, &st);
    CHECKF (st.forgotten == 2, "the bad file's lines were rolled back: %zu", st.forgotten);
    zc_history_destroy (&history);
}

//  Checks record files given as texts; returns the violations and the
//  kinds in *kinds (a bit per kind), the first text in first
static size_t
s_check_texts (const char *const *texts, size_t n, unsigned *kinds, char *first,
               size_t first_size)
{
    zc_history_t *history = zc_history_new ();
    for (size_t i = 0; i < n; i++) {
        FILE *mem = fmemopen ((void *) texts [i], strlen (texts [i]), "r");
        char err [256] = "", name [32];
        snprintf (name, sizeof name, "mem%zu", i);
        int rc = zc_history_load_stream (history, mem, name, err, sizeof (err));
        fclose (mem);
        CHECKF (rc == 0, "load: %s", err);
    }
    size_t count = zc_history_check (history, NULL, NULL, NULL);
    *kinds = 0;
    if (first_size)
        first [0] = 0;
    for (size_t i = 0; i < count; i++) {
        const zc_history_violation_t *v = zc_history_violation (history, i);
        *kinds |= 1u << v->kind;
        if (i == 0 && first_size)
            snprintf (first, first_size, "%s", v->text);
    }
    zc_history_destroy (&history);
    return count;
}

static size_t
s_check_text (const char *text, unsigned *kinds, char *first, size_t first_size)
{
    return s_check_texts (&text, 1, kinds, first, first_size);
}

#define C_ID "cccc0000000000000000000000000009"
#define D_ID "dddd0000000000000000000000000004"

//  A refused id was never stored: the client moved its later messages down
//  one id and wrote each `sent` line again (chat_client.c).  The checker
//  withdraws the lines of the refused id and above; the new lines keep the
//  old ts and their causal floor; the next post takes the freed id at the
//  top.  An ACK of a refused id before its `sent` came again is an error
static void
test_refused (void)
{
    const char *good =
        "room general\n"
        "sent " C_ID " 1 1\n"
        "sent " C_ID " 2 2\n"
        "sent " C_ID " 3 3\n"
        "recv 1 1 5 1 " D_ID " 1 general\n"
        "refused " C_ID " 2\n"
        "sent " C_ID " 2 3\n"               //  was 3, delivered ts 5 came after
        "ack " C_ID " 1 2 6 1 1 1\n"
        "ack " C_ID " 2 3 7 1 1 1\n"
        "recv 2 2 6 1 " C_ID " 1 general\n"
        "recv 3 3 7 1 " C_ID " 2 general\n"
        "sent " C_ID " 3 8\n"               //  the next line takes id 3
        "ack " C_ID " 3 4 9 1 1 1\n"
        "recv 4 4 9 1 " C_ID " 3 general\n"
        "refused " C_ID " 4\n"              //  the last one: nothing moves
        "sent " C_ID " 4 10\n"
        "ack " C_ID " 4 5 11 1 1 1\n"
        "recv 5 5 11 1 " C_ID " 4 general\n";
    unsigned kinds;
    char first [512];
    size_t count = s_check_text (good, &kinds, first, sizeof (first));
    CHECKF (count == 0, "refused and renumbered: %zu violations, first: %s", count, first);
    zc_history_t *history = zc_history_new ();
    FILE *mem = fmemopen ((void *) good, strlen (good), "r");
    zc_history_load_stream (history, mem, "mem", NULL, 0);
    fclose (mem);
    zc_history_stats_t st;
    zc_history_stats (history, &st);
    CHECKF (st.refused == 2 && st.sent == 6, "refused %zu, sent %zu", st.refused, st.sent);
    zc_history_destroy (&history);

    //  The ACK of the refused id came before its `sent` line came again
    const char *early =
        "sent " C_ID " 1 1\n"
        "sent " C_ID " 2 2\n"
        "sent " C_ID " 3 3\n"
        "refused " C_ID " 2\n"
        "ack " C_ID " 2 2 4 1 1 1\n"
        "sent " C_ID " 2 3\n";
    count = s_check_text (early, &kinds, first, sizeof (first));
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_IDS && strstr (first, "refused"),
            "ack before the resend: %zu, %s", count, first);

    //  Withdrawn lines do not hide a gap: 2 refused, and the next is 3
    const char *gap =
        "sent " C_ID " 1 1\n"
        "sent " C_ID " 2 2\n"
        "refused " C_ID " 2\n"
        "sent " C_ID " 3 3\n";
    count = s_check_text (gap, &kinds, first, sizeof (first));
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_IDS && strstr (first, "jump"),
            "gap after a refusal: %zu, %s", count, first);

    //  An acknowledged line keeps its id: a refusal of it (a client that
    //  refuses what was stored) is not a licence to send it again
    const char *stored =
        "sent " C_ID " 1 1\n"
        "sent " C_ID " 2 2\n"
        "ack " C_ID " 1 1 3 1 1 1\n"
        "refused " C_ID " 1\n"
        "sent " C_ID " 1 2\n";
    count = s_check_text (stored, &kinds, first, sizeof (first));
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_IDS, "refused after its ack: %zu, %s",
            count, first);

    //  A new message is no moved one: its causal floor is its own
    const char *causal =
        "sent " C_ID " 1 1\n"
        "sent " C_ID " 2 2\n"
        "recv 1 1 5 1 " D_ID " 1 general\n"
        "refused " C_ID " 2\n"
        "sent " C_ID " 2 4\n";
    count = s_check_text (causal, &kinds, first, sizeof (first));
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_CAUSAL, "new after a refusal: %zu, %s",
            count, first);
}

//  Texts (t= fingerprints, texthash.h): what the sender sent is what every
//  receiver delivers; a renumbered message keeps its text; records without
//  fingerprints (older clients) are not judged on texts
static void
test_texts (void)
{
    char good [1024], sent [40], other [40];
    snprintf (sent, sizeof sent, "t=%016" PRIx64, zc_text_hash ("olá", strlen ("olá")));
    snprintf (other, sizeof other, "t=%016" PRIx64, zc_text_hash ("ola", 3));
    snprintf (good, sizeof good,
        "room general\n"
        "sent " C_ID " 1 1 %s\n"
        "sent " C_ID " 2 2 %s\n"
        "refused " C_ID " 1\n"
        "sent " C_ID " 1 2\n"                //  renumbered: keeps its text
        "ack " C_ID " 1 1 3 1 1 1\n"
        "recv 1 1 3 1 " C_ID " 1 general %s @1.0\n"
        "recv 1 1 3 1 " C_ID " 1 general\n", sent, other, other);
    unsigned kinds;
    char first [512];
    size_t count = s_check_text (good, &kinds, first, sizeof (first));
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_DUPLICATE,
            "texts agree (one duplicate planted): %zu, %s", count, first);

    //  The renumbered message delivered with the text of the refused one
    char renumbered [1024];
    snprintf (renumbered, sizeof renumbered,
        "room general\n"
        "sent " C_ID " 1 1 %s\n"
        "sent " C_ID " 2 2 %s\n"
        "refused " C_ID " 1\n"
        "sent " C_ID " 1 2\n"
        "ack " C_ID " 1 1 3 1 1 1\n"
        "recv 1 1 3 1 " C_ID " 1 general %s\n", sent, other, sent);
    count = s_check_text (renumbered, &kinds, first, sizeof (first));
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_CONFLICT,
            "renumbered, delivered with the refused text: %zu, %s", count, first);

    //  A receiver delivers a text its sender never sent
    char changed [512];
    snprintf (changed, sizeof changed,
        "room general\n"
        "sent " C_ID " 1 1 %s\n"
        "ack " C_ID " 1 1 2 1 1 1\n"
        "recv 1 1 2 1 " C_ID " 1 general %s\n", sent, other);
    count = s_check_text (changed, &kinds, first, sizeof (first));
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_CONFLICT && strstr (first, "text"),
            "changed text: %zu, %s", count, first);

    //  Two receivers of one seq disagree on its text (the sender is not here)
    char split [512];
    snprintf (split, sizeof split,
        "recv 1 1 2 1 " C_ID " 1 general %s\n"
        "recv 1 1 2 1 " C_ID " 1 general %s\n", sent, other);
    count = s_check_text (split, &kinds, first, sizeof (first));
    CHECKF ((kinds & 1u << ZC_HISTORY_CONFLICT) && strstr (first, "text"),
            "two texts at one seq: %zu, %s", count, first);

    //  A fingerprint that is not 16 hex digits is a bad line
    const char *bad = "sent " C_ID " 1 1 t=12345\n";
    zc_history_t *history = zc_history_new ();
    FILE *mem = fmemopen ((void *) bad, strlen (bad), "r");
    char err [256] = "";
    CHECKF (zc_history_load_stream (history, mem, "mem", err, sizeof (err)) == -1
            && strstr (err, "t="), "bad fingerprint refused: %s", err);
    fclose (mem);
    zc_history_destroy (&history);
}

//  Who is expected to deliver what: a client that wrote `start` listens
//  to its room even if it delivered nothing (a room where every message
//  was lost must not pass); its `end` says where it left; its own `start`
//  and `end` must agree with its deliveries and acks; `lost` ids were sent
//  and never acked
static void
test_listeners (void)
{
    const char *sender = "room general\nsent " C_ID " 1 1\nack " C_ID " 1 1 2 1\n"
                         "sent " C_ID " 2 3\nack " C_ID " 2 2 4 1\n";
    unsigned kinds;
    char first [512];
    //  A listener that heard nothing of two acked messages
    const char *silent [] = { sender, "room general\nstart 0\n" };
    size_t count = s_check_texts (silent, 2, &kinds, first, sizeof first);
    CHECKF (count == 2 && kinds == 1u << ZC_HISTORY_MISSING,
            "a silent listener misses both: %zu, %s", count, first);
    //  No `start`: not a listener, nothing expected
    const char *deaf [] = { sender, "room general\n" };
    count = s_check_texts (deaf, 2, &kinds, first, sizeof first);
    CHECKF (count == 0, "no start, no listener: %zu, %s", count, first);

    //  `end`: it left after seq 1; seq 2 is not expected of it
    const char *left [] = { sender, "room general\nstart 0\nrecv 1 1 2 1 " C_ID
                                    " 1 general\nend 1\n" };
    count = s_check_texts (left, 2, &kinds, first, sizeof first);
    CHECKF (count == 0, "it ended at seq 1: %zu, %s", count, first);
    const char *stayed [] = { sender, "room general\nstart 0\nrecv 1 1 2 1 " C_ID
                                      " 1 general\n" };
    count = s_check_texts (stayed, 2, &kinds, first, sizeof first);
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_MISSING,
            "without its end, seq 2 is missing: %zu, %s", count, first);

    //  A start past the truth, and a delivery past the end
    count = s_check_text ("room general\nstart 5\nrecv 3 1 2 1 " C_ID " 1 general\n",
                          &kinds, first, sizeof first);
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_BOUNDS,
            "delivered below its start: %zu, %s", count, first);
    count = s_check_text ("room general\nstart 5\nsent " C_ID " 1 1\nack " C_ID
                          " 1 3 2 1\n", &kinds, first, sizeof first);
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_BOUNDS,
            "sent after its start, stored below it: %zu, %s", count, first);
    count = s_check_text ("room general\nsent " C_ID " 1 1\nstart 5\nack " C_ID
                          " 1 3 2 1\n", &kinds, first, sizeof first);
    CHECKF (count == 0, "sent before its start, stored below it: %zu, %s", count, first);
    count = s_check_text ("room general\nstart 0\nend 0\nrecv 1 1 2 1 " C_ID
                          " 1 general\n", &kinds, first, sizeof first);
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_BOUNDS,
            "delivered past its end: %zu, %s", count, first);

    //  `lost`: an id sent, stored, never acked
    count = s_check_text ("room general\nsent " C_ID " 1 1\nlost " C_ID " 1\n",
                          &kinds, first, sizeof first);
    CHECKF (count == 0, "lost after sent: %zu, %s", count, first);
    count = s_check_text ("room general\nlost " C_ID " 1\n", &kinds, first, sizeof first);
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_IDS, "lost, never sent: %zu, %s",
            count, first);
    count = s_check_text ("room general\nsent " C_ID " 1 1\nack " C_ID " 1 1 2 1\nlost "
                          C_ID " 1\n", &kinds, first, sizeof first);
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_ACK, "lost after its ack: %zu, %s",
            count, first);
    count = s_check_text ("room general\nsent " C_ID " 1 1\nlost " C_ID " 1\nack " C_ID
                          " 1 1 2 1\n", &kinds, first, sizeof first);
    CHECKF (count == 1 && kinds == 1u << ZC_HISTORY_ACK, "acked after lost: %zu, %s",
            count, first);
}

int
main (void)
{
    strcpy (s_dir, "/tmp/test_history.XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    test_correct ();
    test_faults ();
    test_callback_and_files ();
    test_refused ();
    test_texts ();
    test_listeners ();
    for (int c = 0; c < 3; c++)
        unlink (s_path [c]);
    rmdir (s_dir);
    return check_report ("test_history");
}
