/*  test_client_limits.c — the client against a leader that enforces
    limits: "limit" drops that one message and the stream goes on;
    "slow_down" holds the whole stream for retry_ms (no resend, no HELLO
    round meanwhile), then resends in order, with one notice per burst.

    The leader is a fake in a thread (ROUTER + PUB on free 127.0.0.1
    ports), so that the client's reaction is tested alone, the node's
    rules being the node's tests'.  Like the node (PROTOCOL.md §4), it
    refuses a text longer than 8 bytes for good ("limit", before its
    dedup), stores only id = last + 1 and answers "expected last + 1" to
    anything above; so after a refusal the client must move its later
    messages down one id, or nothing of it is stored again.  It slows
    down id 3 at first (for HOLD_MS, and every POST while that hold runs)
    when asked to, and may pause after each refusal, so that the client
    has resent before the replies to its earlier sends come.
*/
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "history.h"
#include "testutil.h"
#include "wire.h"

#define HOLD_MS   700               //  the fake's retry_ms
#define RETRY_MS  100               //  the client's: a hold is several of them
#define MAX_TEXT  8                 //  the fake's --max-text
#define STORE     32

typedef struct {
    zsock_t *router, *pub;
    int port, pub_port;
    atomic_bool stop;
    bool slow;                      //  slow down id 3 at first
    int pause_ms;                   //  after each "limit", before the next request
    uint64_t forget_after;          //  once it acknowledged this id, lose the last two
                                    //  (a new leader that never had them: --quorum 1)
    bool forgot;
    bool expire;                    //  forget the client instead (its record retired:
                                    //  last 0), and say `unknown` while it is so
    //  its log: ids 1..last, texts in order
    uint64_t last;
    char stored [STORE][MAX_TEXT + 1];
    uint64_t stored_ts [STORE];
    int limits;                     //  "limit" refusals sent
    int gaps;                       //  declared gaps taken
    atomic_int fetches;             //  FETCH requests that came
    //  what the fake saw
    int64_t slowed_at;              //  the first slow_down, 0 = none yet
    int posts_in_hold;              //  POSTs that came while the hold ran
    int hellos_in_hold;             //  HELLOs that came while the hold ran
    int64_t resent_at;              //  first POST after the hold
} s_fake_t;

static void
s_reply (s_fake_t *fake, zframe_t *identity, const zc_msg_t *msg)
{
    uint8_t buf [1024];
    size_t size = zc_msg_encode (msg, buf, sizeof (buf));
    assert (size);
    zframe_send (&identity, fake->router, ZFRAME_MORE | ZFRAME_REUSE);
    zmq_send (zsock_resolve (fake->router), buf, size, 0);
}

static void
s_on_request (s_fake_t *fake, zframe_t *identity, const zc_msg_t *req, int64_t now)
{
    zc_msg_t msg;
    if (req->type == ZC_HELLO) {
        if (fake->slowed_at && now < fake->slowed_at + HOLD_MS)
            fake->hellos_in_hold++;
        zc_msg_init (&msg, ZC_WELCOME);
        zc_msg_set_u64 (&msg, ZF_NODE, 1);
        zc_msg_set_u64 (&msg, ZF_LEADER, 1);
        zc_msg_set_u64 (&msg, ZF_EPOCH, 1);
        zc_msg_set_u64 (&msg, ZF_PORT, (uint64_t) fake->port);
        zc_msg_set_u64 (&msg, ZF_PUB_PORT, (uint64_t) fake->pub_port);
        zc_msg_set_cstr (&msg, ZF_ROLE, "leader");
        zc_msg_set_u64 (&msg, ZF_LAST_SEQ, 0);
        zc_msg_set_u64 (&msg, ZF_SEQ, 0);
        zc_msg_set_u64 (&msg, ZF_RSEQ, 0);
        s_reply (fake, identity, &msg);
        return;
    }
    if (req->type == ZC_FETCH)
        atomic_fetch_add (&fake->fetches, 1);
    if (req->type != ZC_POST)
        return;
    bool held = fake->slowed_at && now < fake->slowed_at + HOLD_MS;
    if (held)
        fake->posts_in_hold++;
    else
    if (fake->slowed_at && !fake->resent_at)
        fake->resent_at = now;
    zc_msg_init (&msg, ZC_ERROR);
    zc_msg_set_str (&msg, ZF_CLIENT, req->client.ptr, req->client.len);
    zc_msg_set_u64 (&msg, ZF_ID, req->id);
    zc_msg_set_u64 (&msg, ZF_NODE, 1);
    bool limit = false;
    if (req->text.len > MAX_TEXT) {
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_LIMIT);
        zc_msg_set_cstr (&msg, ZF_REASON, "text longer than 8 bytes");
        fake->limits++;
        limit = true;
    }
    else
    if (fake->slow && ((req->id == 3 && !fake->slowed_at) || held)) {
        if (!fake->slowed_at)
            fake->slowed_at = now;
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_SLOW_DOWN);
        zc_msg_set_cstr (&msg, ZF_REASON, "too many messages");
        zc_msg_set_u64 (&msg, ZF_RETRY_MS, (uint64_t) (fake->slowed_at + HOLD_MS - now));
    }
    else
    if (req->id > fake->last + 1
    &&  !((req->has & ZF_EXPECTED) && req->expected == fake->last + 1)) {
        zc_msg_set_cstr (&msg, ZF_CODE, ZC_ERR_EXPECTED);
        zc_msg_set_u64 (&msg, ZF_EXPECTED, fake->last + 1);
        if (fake->expire && fake->last == 0)
            zc_msg_set_bool (&msg, ZF_UNKNOWN, true);
    }
    else {
        //  The next id, or one past a gap the client declared (the
        //  node's rule, core_client.c)
        if (req->id > fake->last && req->id < STORE) {
            if (req->id > fake->last + 1)
                fake->gaps++;
            fake->last = req->id;
            memcpy (fake->stored [req->id], req->text.ptr, req->text.len);
            fake->stored [req->id][req->text.len] = 0;
            fake->stored_ts [req->id] = req->ts;
        }
        zc_msg_init (&msg, ZC_ACK);
        zc_msg_set_str (&msg, ZF_CLIENT, req->client.ptr, req->client.len);
        zc_msg_set_u64 (&msg, ZF_ID, req->id);
        zc_msg_set_u64 (&msg, ZF_SEQ, req->id);
        zc_msg_set_u64 (&msg, ZF_TS, fake->stored_ts [req->id < STORE? req->id: 0] + 1);
        zc_msg_set_u64 (&msg, ZF_EPOCH, 1);
        zc_msg_set_u64 (&msg, ZF_NODE, 1);
    }
    s_reply (fake, identity, &msg);
    if (msg.type == ZC_ACK && fake->forget_after && req->id == fake->forget_after
    &&  !fake->forgot) {
        fake->forgot = true;
        fake->last = fake->expire ? 0 : fake->last - 2;
    }
    if (limit && fake->pause_ms)
        zclock_sleep (fake->pause_ms);
}

static void *
s_fake_run (void *arg)
{
    s_fake_t *fake = (s_fake_t *) arg;
    zpoller_t *poller = zpoller_new (fake->router, NULL);
    while (!atomic_load (&fake->stop)) {
        if (!zpoller_wait (poller, 20))
            continue;
        zmsg_t *request = zmsg_recv (fake->router);
        if (!request)
            break;
        zframe_t *identity = zmsg_first (request);
        zframe_t *body = zmsg_next (request);
        zc_msg_t req;
        if (body && zc_msg_decode (&req, zframe_data (body), zframe_size (body), NULL) == 0)
            s_on_request (fake, identity, &req, zclock_mono ());
        zmsg_destroy (&request);
    }
    zpoller_destroy (&poller);
    return NULL;
}

static void
s_fake_start (s_fake_t *fake, pthread_t *thread)
{
    fake->router = zsock_new (ZMQ_ROUTER);
    fake->pub = zsock_new (ZMQ_PUB);
    fake->port = zsock_bind (fake->router, "tcp://127.0.0.1:*");
    fake->pub_port = zsock_bind (fake->pub, "tcp://127.0.0.1:*");
    CHECK (fake->port > 0 && fake->pub_port > 0);
    pthread_create (thread, NULL, s_fake_run, fake);
}

static void
s_fake_stop (s_fake_t *fake, pthread_t thread)
{
    atomic_store (&fake->stop, true);
    pthread_join (thread, NULL);
    zsock_destroy (&fake->router);
    zsock_destroy (&fake->pub);
}

static zc_client_t *
s_client (s_fake_t *fake)
{
    char servers [64], err [256];
    snprintf (servers, sizeof (servers), "127.0.0.1:%d", fake->port);
    zc_client_config_t cfg = { .servers = servers, .room = "limits", .name = "t",
                               .retry_ms = RETRY_MS };
    zc_client_t *client = zc_client_new (&cfg, err, sizeof (err));
    CHECKF (client, "%s", err);
    //  Wait for the leader, so that the posts go out back to back
    zc_event_t ev;
    int64_t deadline = zclock_mono () + 5000;
    while (client && !zc_client_leader (client) && zclock_mono () < deadline)
        zc_client_wait (client, 50, -1, &ev);
    CHECK (client && zc_client_leader (client) == 1);
    return client;
}

//  Runs the client until nothing is pending (at most 10 s), noting ACKs
//  and refusals by id; returns the ms it took
typedef struct {
    bool acked [STORE], refused [STORE];
    size_t moved [STORE];
    uint64_t moved_ts [STORE];      //  of the first moved message
    int notices;
    uint64_t forgotten_id, forgotten_count;     //  the last ZC_EV_FORGOTTEN
    int forgotten_events;
    uint64_t expired_id, expired_count;         //  the last ZC_EV_EXPIRED
    int expired_events;
} s_seen_t;

static int64_t
s_run (zc_client_t *client, s_seen_t *seen)
{
    zc_event_t ev;
    int64_t start = zclock_mono ();
    while (zclock_mono () < start + 10000) {
        int got = zc_client_wait (client, zc_client_unacked (client)? 100: 0, -1, &ev);
        if (got != 1 && !zc_client_unacked (client))
            break;
        if (got != 1 || ev.id >= STORE)
            continue;
        if (ev.type == ZC_EV_ACK)
            seen->acked [ev.id] = true;
        if (ev.type == ZC_EV_REFUSED) {
            seen->refused [ev.id] = true;
            seen->moved [ev.id] = ev.moved;
            seen->moved_ts [ev.id] = ev.moved? ev.moved_ts [0]: 0;
            CHECKF (strstr (ev.text, "text longer than 8 bytes"), "%s", ev.text);
        }
        if (ev.type == ZC_EV_NOTICE)
            seen->notices++;
        if (ev.type == ZC_EV_FORGOTTEN) {
            seen->forgotten_events++;
            seen->forgotten_id = ev.id;
            seen->forgotten_count = ev.count;
            CHECKF (strstr (ev.text, "lost in a leader change") && strstr (ev.text, "2-3"),
                    "%s", ev.text);
        }
        if (ev.type == ZC_EV_EXPIRED) {
            seen->expired_events++;
            seen->expired_id = ev.id;
            seen->expired_count = ev.count;
            CHECKF (strstr (ev.text, "no longer remembers") && strstr (ev.text, "retired"),
                    "%s", ev.text);
        }
    }
    return zclock_mono () - start;
}

//  Three lines, the middle one refused: its id was never stored, so the
//  third takes it (the leader takes only last + 1) and the session goes on
static void
test_refused_middle (void)
{
    s_fake_t fake = { 0 };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    zc_client_t *client = s_client (&fake);
    uint64_t ts [4];
    CHECK (zc_client_post (client, "one", &ts [1]) == 1);
    CHECK (zc_client_post (client, "far too long", &ts [2]) == 2);
    CHECK (zc_client_post (client, "three", &ts [3]) == 3);
    s_seen_t seen = { 0 };
    int64_t ms = s_run (client, &seen);
    CHECK (zc_client_unacked (client) == 0);
    CHECKF (ms < 2000, "%" PRId64 " ms", ms);      //  no retry timeout
    CHECK (seen.acked [1] && seen.acked [2] && !seen.acked [3]);
    CHECK (seen.refused [2] && !seen.refused [1] && !seen.refused [3]);
    CHECKF (seen.moved [2] == 1 && seen.moved_ts [2] == ts [3], "moved %zu", seen.moved [2]);
    CHECK (zc_client_refused (client) == 1);
    CHECKF (fake.last == 2 && streq (fake.stored [1], "one") && streq (fake.stored [2], "three")
            && fake.stored_ts [2] == ts [3], "stored %" PRIu64, fake.last);
    CHECKF (seen.notices == 0, "%d", seen.notices);
    //  and the next line is number 3
    CHECK (zc_client_post (client, "four", NULL) == 3);
    memset (&seen, 0, sizeof (seen));
    s_run (client, &seen);
    CHECK (seen.acked [3] && fake.last == 3 && streq (fake.stored [3], "four"));
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

//  Two refused in one burst, and the leader pauses after each refusal, so
//  that the client has resent under the new ids before the replies to its
//  first sends come: "limit 3" answers the old 3 (the second long line,
//  now 2), not "four", which holds id 3 now
static void
test_refused_stale_replies (void)
{
    s_fake_t fake = { .pause_ms = 150 };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    zc_client_t *client = s_client (&fake);
    CHECK (zc_client_post (client, "one", NULL) == 1);
    CHECK (zc_client_post (client, "long line one", NULL) == 2);
    CHECK (zc_client_post (client, "long line two", NULL) == 3);
    CHECK (zc_client_post (client, "four", NULL) == 4);
    s_seen_t seen = { 0 };
    int64_t ms = s_run (client, &seen);
    CHECK (zc_client_unacked (client) == 0);
    CHECKF (ms < 3000, "%" PRId64 " ms", ms);
    CHECKF (zc_client_refused (client) == 2, "%" PRIu64, zc_client_refused (client));
    CHECK (seen.acked [1] && seen.acked [2] && !seen.acked [3]);
    CHECKF (fake.last == 2 && streq (fake.stored [1], "one") && streq (fake.stored [2], "four"),
            "stored %" PRIu64 ": %s", fake.last, fake.stored [2]);
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

//  chat-client: a refused line does not end the session, the record says
//  what moved (zchat-check accepts it), and the exit status says a line
//  was refused
//  The chat-client binary beside this test's folder; false if not found
static bool
s_chat_client_bin (char *bin, size_t size)
{
    char exe [512];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
    CHECK (len > 0);
    if (len <= 0)
        return false;
    exe [len] = 0;
    *strrchr (exe, '/') = 0;
    snprintf (bin, size, "%s/../chat-client", exe);
    CHECKF (access (bin, X_OK) == 0, "%s", bin);
    return true;
}

//  How many lines of the file start with prefix
static int
s_lines_with (const char *path, const char *prefix)
{
    FILE *file = fopen (path, "r");
    char line [256];
    int count = 0;
    while (file && fgets (line, sizeof (line), file))
        count += strncmp (line, prefix, strlen (prefix)) == 0;
    if (file)
        fclose (file);
    return count;
}

static void
test_chat_client (void)
{
    char bin [600];
    if (!s_chat_client_bin (bin, sizeof (bin)))
        return;
    s_fake_t fake = { 0 };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    char record [] = "/tmp/test_client_limits.XXXXXX";
    int fd = mkstemp (record);
    CHECK (fd >= 0);
    close (fd);
    char command [1400];
    snprintf (command, sizeof (command),
              "printf 'one\\nfar too long\\nthree\\n' | %s --servers 127.0.0.1:%d"
              " --room limits --retry-ms %d --timeout-ms 5000 --record %s"
              " >/dev/null 2>%s.err", bin, fake.port, RETRY_MS, record, record);
    int status = system (command);
    CHECKF (WIFEXITED (status) && WEXITSTATUS (status) == 1, "status %d", status);
    CHECKF (fake.last == 2 && streq (fake.stored [2], "three"), "stored %" PRIu64, fake.last);
    char path [64], line [256];
    snprintf (path, sizeof (path), "%s.err", record);
    FILE *err = fopen (path, "r");
    bool said = false;
    while (err && fgets (line, sizeof (line), err))
        said |= strstr (line, "1 line(s) refused") != NULL;
    if (err)
        fclose (err);
    CHECK (said);
    unlink (path);
    //  refused 2, then 2 again for "three"; both acks; nothing against the rules
    FILE *rec = fopen (record, "r");
    int sent2 = 0, refused2 = 0, acks = 0;
    while (rec && fgets (line, sizeof (line), rec)) {
        char kind [16];
        char id [64];
        uint64_t n;
        if (sscanf (line, "%15s %63s %" SCNu64, kind, id, &n) == 3) {
            sent2 += streq (kind, "sent") && n == 2;
            refused2 += streq (kind, "refused") && n == 2;
            acks += streq (kind, "ack");
        }
    }
    if (rec)
        fclose (rec);
    CHECKF (sent2 == 2 && refused2 == 1 && acks == 2, "sent 2: %d, refused 2: %d, acks %d",
            sent2, refused2, acks);
    zc_history_t *history = zc_history_new ();
    char why [256] = "";
    CHECKF (zc_history_load_file (history, record, why, sizeof (why)) == 0, "%s", why);
    size_t violations = zc_history_check (history, NULL, NULL, NULL);
    const zc_history_violation_t *first = zc_history_violation (history, 0);
    CHECKF (violations == 0, "%zu: %s", violations, first? first->text: "");
    zc_history_destroy (&history);
    unlink (record);
    s_fake_stop (&fake, thread);
}

static void
test_limit_and_slow_down (void)
{
    s_fake_t fake = { .slow = true };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    zc_client_t *client = s_client (&fake);
    zc_event_t ev;
    for (int i = 1; i <= 4; i++)
        CHECK (zc_client_post (client, "hello", NULL) == (uint64_t) i);

    bool acked [5] = { false };
    int slow_notices = 0, other = 0;
    int64_t deadline = zclock_mono () + 10000;
    //  Until nothing is pending, then the events still queued
    while (zclock_mono () < deadline) {
        int got = zc_client_wait (client, zc_client_unacked (client)? 100: 0, -1, &ev);
        if (got != 1 && !zc_client_unacked (client))
            break;
        if (got != 1)
            continue;
        if (ev.type == ZC_EV_ACK && ev.id <= 4)
            acked [ev.id] = true;
        else
        if (ev.type == ZC_EV_NOTICE && strstr (ev.text, "slow down"))
            slow_notices++;
        else
        if (ev.type == ZC_EV_NOTICE || ev.type == ZC_EV_REFUSED)
            other++;
    }
    CHECK (zc_client_unacked (client) == 0);
    CHECK (acked [1] && acked [2] && acked [3] && acked [4]);
    CHECK (zc_client_refused (client) == 0 && fake.last == 4);
    //  3 and 4 were both slowed: one burst, one notice
    CHECKF (zc_client_slowed (client) >= 2, "%" PRIu64, zc_client_slowed (client));
    CHECKF (slow_notices == 1, "%d", slow_notices);
    CHECKF (other == 0, "%d", other);
    //  The hold is kept: nothing is resent while it runs, no HELLO round
    //  (the retry timer, RETRY_MS, waits for the hold), and the stream
    //  goes again once it is over
    CHECKF (fake.posts_in_hold <= 1, "%d", fake.posts_in_hold);     //  4, if it crossed 3's refusal
    CHECKF (fake.hellos_in_hold <= 1, "%d", fake.hellos_in_hold);
    CHECK (fake.slowed_at && fake.resent_at >= fake.slowed_at + HOLD_MS);
    CHECKF (fake.resent_at < fake.slowed_at + HOLD_MS + 500, "%" PRId64,
            fake.resent_at - fake.slowed_at);

    //  Later, a refusal after the burst: 6 is refused, 7 becomes 6
    CHECK (zc_client_post (client, "hello", NULL) == 5);
    CHECK (zc_client_post (client, "too long text", NULL) == 6);
    CHECK (zc_client_post (client, "seven", NULL) == 7);
    s_seen_t seen = { 0 };
    int64_t ms = s_run (client, &seen);
    CHECK (seen.acked [5] && seen.refused [6] && seen.acked [6] && !seen.acked [7]);
    CHECKF (ms < 2000, "%" PRId64 " ms", ms);
    CHECK (fake.last == 6 && streq (fake.stored [6], "seven"));
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

//  --quorum 1: the leader acknowledged 2 and 3, and its successor never
//  had them (the fake loses them right after acknowledging 3).  The
//  client is told once which messages were lost, and goes on: its next
//  message declares the gap (echoes "expected 2") and is stored as the
//  next, and later ones follow; no id is used twice
static void
test_forgotten (void)
{
    s_fake_t fake = { .forget_after = 3 };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    zc_client_t *client = s_client (&fake);
    for (uint64_t id = 1; id <= 3; id++)
        CHECK (zc_client_post (client, "old", NULL) == id);
    s_seen_t seen = { 0 };
    s_run (client, &seen);
    CHECK (seen.acked [1] && seen.acked [2] && seen.acked [3] && fake.forgot && fake.last == 1);
    memset (&seen, 0, sizeof (seen));
    CHECK (zc_client_post (client, "four", NULL) == 4);
    CHECK (zc_client_post (client, "five", NULL) == 5);
    int64_t ms = s_run (client, &seen);
    CHECK (zc_client_unacked (client) == 0);
    CHECKF (ms < 2000, "%" PRId64 " ms", ms);      //  no retry timeout
    CHECK (seen.acked [4] && seen.acked [5]);
    CHECKF (seen.forgotten_events == 1 && seen.forgotten_id == 2 && seen.forgotten_count == 2,
            "%d events, id %" PRIu64 ", count %" PRIu64, seen.forgotten_events,
            seen.forgotten_id, seen.forgotten_count);
    CHECK (zc_client_forgotten (client) == 2);
    CHECKF (fake.last == 5 && fake.gaps == 1 && streq (fake.stored [4], "four")
            && streq (fake.stored [5], "five"), "stored up to %" PRIu64 ", %d gaps",
            fake.last, fake.gaps);
    //  and the stream goes on as usual
    CHECK (zc_client_post (client, "six", NULL) == 6);
    memset (&seen, 0, sizeof (seen));
    s_run (client, &seen);
    CHECK (seen.acked [6] && fake.last == 6 && fake.gaps == 1 && seen.forgotten_events == 0);
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

//  chat-client with five lines piped in against the fake leader, its
//  record in record (a mkstemp template), stdout and stderr beside it in
//  record.out and record.err; its exit status
static int
s_chat_client_five (const char *bin, s_fake_t *fake, char *record)
{
    int fd = mkstemp (record);
    CHECK (fd >= 0);
    close (fd);
    char command [1400];
    snprintf (command, sizeof (command),
              "printf 'one\\ntwo\\nthree\\nfour\\nfive\\n' | %s --servers 127.0.0.1:%d"
              " --room limits --retry-ms %d --timeout-ms 5000 --record %s"
              " >%s.out 2>%s.err", bin, fake->port, RETRY_MS, record, record, record);
    return system (command);
}

//  chat-client, five lines piped in, and the leader loses 2 and 3 after
//  acknowledging them: it says so, every line is stored (4 and 5 after
//  the gap), the record names the lost ids, and the exit status is 1
static void
test_forgotten_chat_client (void)
{
    char bin [600];
    if (!s_chat_client_bin (bin, sizeof (bin)))
        return;
    s_fake_t fake = { .forget_after = 3 };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    char record [] = "/tmp/test_client_forgot.XXXXXX";
    int status = s_chat_client_five (bin, &fake, record);
    CHECKF (WIFEXITED (status) && WEXITSTATUS (status) == 1, "status %d", status);
    CHECKF (fake.last == 5 && fake.gaps == 1 && streq (fake.stored [5], "five"),
            "stored up to %" PRIu64 ", %d gaps", fake.last, fake.gaps);
    char path [64];
    snprintf (path, sizeof (path), "%s.err", record);
    CHECK (s_lines_with (path, "chat-client: 2 acknowledged line(s) lost in a leader change") == 1);
    unlink (path);
    snprintf (path, sizeof (path), "%s.out", record);
    CHECK (s_lines_with (path, "[info] messages 2-3 were acknowledged") == 1);
    unlink (path);
    CHECKF (s_lines_with (record, "forgotten ") == 2, "%d", s_lines_with (record, "forgotten "));
    CHECKF (s_lines_with (record, "ack ") == 5, "%d acks", s_lines_with (record, "ack "));
    zc_history_t *history = zc_history_new ();
    char why [256] = "";
    CHECKF (zc_history_load_file (history, record, why, sizeof (why)) == 0, "%s", why);
    zc_history_stats_t st;
    zc_history_stats (history, &st);
    CHECK (st.forgotten == 2);
    zc_history_destroy (&history);
    unlink (record);
    s_fake_stop (&fake, thread);
}

//  The leader no longer remembers the client id (its record retired by
//  --client-ttl) and says so (`unknown`): the client declares the gap as
//  for a loss, but reports ZC_EV_EXPIRED, not FORGOTTEN, and counts
//  nothing forgotten
static void
test_expired (void)
{
    s_fake_t fake = { .forget_after = 3, .expire = true };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    zc_client_t *client = s_client (&fake);
    for (uint64_t id = 1; id <= 3; id++)
        CHECK (zc_client_post (client, "old", NULL) == id);
    s_seen_t seen = { 0 };
    s_run (client, &seen);
    CHECK (seen.acked [3] && fake.forgot && fake.last == 0);
    memset (&seen, 0, sizeof (seen));
    CHECK (zc_client_post (client, "four", NULL) == 4);
    CHECK (zc_client_post (client, "five", NULL) == 5);
    s_run (client, &seen);
    CHECK (zc_client_unacked (client) == 0);
    CHECK (seen.acked [4] && seen.acked [5]);
    CHECKF (seen.expired_events == 1 && seen.expired_id == 1 && seen.expired_count == 3
            && seen.forgotten_events == 0, "%d expired, id %" PRIu64 ", count %" PRIu64
            ", %d forgotten", seen.expired_events, seen.expired_id, seen.expired_count,
            seen.forgotten_events);
    CHECK (zc_client_forgotten (client) == 0);
    CHECK (fake.last == 5 && fake.gaps == 1 && streq (fake.stored [4], "four"));
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

//  chat-client, as above, but the leader forgot the client id: one [info]
//  line, no error line, every line acknowledged, exit status 0
static void
test_expired_chat_client (void)
{
    char bin [600];
    if (!s_chat_client_bin (bin, sizeof (bin)))
        return;
    s_fake_t fake = { .forget_after = 3, .expire = true };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    char record [] = "/tmp/test_client_expired.XXXXXX";
    int status = s_chat_client_five (bin, &fake, record);
    CHECKF (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %d", status);
    CHECKF (fake.last == 5 && fake.gaps == 1 && streq (fake.stored [5], "five"),
            "stored up to %" PRIu64 ", %d gaps", fake.last, fake.gaps);
    char path [64];
    snprintf (path, sizeof (path), "%s.err", record);
    CHECK (s_lines_with (path, "chat-client: ") == 0);
    unlink (path);
    snprintf (path, sizeof (path), "%s.out", record);
    CHECK (s_lines_with (path, "[info] the cluster no longer remembers") == 1);
    unlink (path);
    CHECK (s_lines_with (record, "forgotten ") == 0);
    CHECKF (s_lines_with (record, "ack ") == 5, "%d acks", s_lines_with (record, "ack "));
    zc_history_t *history = zc_history_new ();
    char why [256] = "";
    CHECKF (zc_history_load_file (history, record, why, sizeof (why)) == 0, "%s", why);
    zc_history_destroy (&history);
    unlink (record);
    s_fake_stop (&fake, thread);
}

//  A sender that never receives (cfg.post_only, zchat-bench's senders):
//  its posts are acknowledged, and whatever the leader publishes in its
//  room, it delivers nothing, starts nothing and fetches nothing
static void
test_post_only (void)
{
    s_fake_t fake = { 0 };
    pthread_t thread;
    s_fake_start (&fake, &thread);
    char servers [64], err [256];
    snprintf (servers, sizeof (servers), "127.0.0.1:%d", fake.port);
    zc_client_config_t cfg = { .servers = servers, .room = "limits", .name = "t",
                               .retry_ms = RETRY_MS, .post_only = true };
    zc_client_t *client = zc_client_new (&cfg, err, sizeof (err));
    CHECKF (client, "%s", err);
    if (!client) {
        s_fake_stop (&fake, thread);
        return;
    }
    zc_event_t ev;
    int64_t deadline = zclock_mono () + 5000;
    while (!zc_client_leader (client) && zclock_mono () < deadline)
        zc_client_wait (client, 50, -1, &ev);
    CHECK (zc_client_leader (client) == 1);
    for (uint64_t id = 1; id <= 3; id++)
        CHECK (zc_client_post (client, "hi", NULL) == id);
    //  The leader publishes room messages (rseq 5.. : a gap for anyone
    //  who listens) while the client runs for a while
    int acks = 0, received = 0;
    int64_t end = zclock_mono () + 4 * RETRY_MS + 500;
    for (uint64_t n = 5; zclock_mono () < end; n++) {
        zc_msg_t chat;
        zc_msg_init (&chat, ZC_CHAT);
        zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
        zc_msg_set_u64 (&chat, ZF_SEQ, n);
        zc_msg_set_u64 (&chat, ZF_RSEQ, n);
        zc_msg_set_u64 (&chat, ZF_TS, n);
        zc_msg_set_cstr (&chat, ZF_ROOM, "limits");
        zc_msg_set_cstr (&chat, ZF_FROM, "other");
        zc_msg_set_cstr (&chat, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
        zc_msg_set_u64 (&chat, ZF_ID, n);
        zc_msg_set_cstr (&chat, ZF_TEXT, "not for a sender");
        uint8_t buf [512];
        size_t size = zc_msg_encode (&chat, buf, sizeof buf);
        zsock_send (fake.pub, "sb", "limits", buf, size);
        if (zc_client_wait (client, 50, -1, &ev) == 1) {
            acks += ev.type == ZC_EV_ACK;
            received += ev.type == ZC_EV_MESSAGE || ev.type == ZC_EV_START;
        }
    }
    while (zc_client_wait (client, 0, -1, &ev) == 1) {
        acks += ev.type == ZC_EV_ACK;
        received += ev.type == ZC_EV_MESSAGE || ev.type == ZC_EV_START;
    }
    CHECKF (acks == 3 && zc_client_unacked (client) == 0, "%d acks", acks);
    CHECKF (received == 0, "a sender that never receives delivered %d", received);
    CHECKF (atomic_load (&fake.fetches) == 0, "%d FETCHes", atomic_load (&fake.fetches));
    zc_client_destroy (&client);
    s_fake_stop (&fake, thread);
}

int
main (void)
{
    test_refused_middle ();
    test_refused_stale_replies ();
    test_limit_and_slow_down ();
    test_forgotten ();
    test_forgotten_chat_client ();
    test_expired ();
    test_expired_chat_client ();
    test_post_only ();
    test_chat_client ();
    return check_report ("test_client_limits");
}
