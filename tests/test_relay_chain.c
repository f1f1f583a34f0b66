/*  test_relay_chain.c — relay_chain: what a chained relay republishes of
    its upstream relays' frames: per room, only maps above the highest
    rseq republished, byte for byte; repeats, gaps and bad maps counted.
*/
#include <string.h>

#include "relay_chain.h"
#include "testutil.h"

static const char *s_client = "0123456789abcdef0123456789abcdef";

//  Appends one chat map of room with rseq (seq = 10 * rseq) to buf
static size_t
s_chat (uint8_t *buf, size_t at, const char *room, uint64_t rseq)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
    zc_msg_set_u64 (&chat, ZF_SEQ, 10 * rseq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, rseq);
    zc_msg_set_u64 (&chat, ZF_TS, 100 + rseq);
    zc_msg_set_cstr (&chat, ZF_ROOM, room);
    zc_msg_set_cstr (&chat, ZF_FROM, "alice");
    zc_msg_set_cstr (&chat, ZF_CLIENT, s_client);
    zc_msg_set_u64 (&chat, ZF_ID, rseq);
    zc_msg_set_cstr (&chat, ZF_TEXT, "hello");
    size_t size = zc_msg_encode (&chat, buf + at, 4096 - at);
    CHECK (size > 0);
    return at + size;
}

//  The rseqs of the maps in out, as "1,2,3"
static void
s_rseqs (const uint8_t *out, size_t size, char *text, size_t cap)
{
    size_t offset = 0, used = 0;
    text [0] = 0;
    while (offset < size) {
        zc_msg_t msg;
        if (zc_msg_decode_next (&msg, out, size, &offset, NULL))
            break;
        used += (size_t) snprintf (text + used, cap - used, "%s%llu", used? ",": "",
                                   (unsigned long long) msg.rseq);
    }
}

static size_t
s_pass (zc_relay_chain_t *chain, const char *topic, const uint8_t *body, size_t size,
        char *rseqs)
{
    uint8_t out [4096];
    size_t got = zc_relay_chain_frame (chain, topic, strlen (topic), body, size, out,
                                       sizeof (out));
    s_rseqs (out, got, rseqs, 256);
    return got;
}

int
main (void)
{
    zc_relay_chain_t *chain = zc_relay_chain_new (2);
    CHECK (chain);
    uint8_t body [4096];
    char rseqs [256];

    //  a batch passes whole, byte for byte
    size_t size = s_chat (body, 0, "alpha", 1);
    size = s_chat (body, size, "alpha", 2);
    uint8_t out [4096];
    size_t got = zc_relay_chain_frame (chain, "alpha", 5, body, size, out, sizeof (out));
    CHECK (got == size && memcmp (out, body, size) == 0);
    CHECK (zc_relay_chain_last (chain, "alpha", 5) == 2);

    //  the same again (a second upstream relay): all repeats, nothing out
    CHECK (s_pass (chain, "alpha", body, size, rseqs) == 0);
    CHECK (zc_relay_chain_stats (chain).repeats == 2);

    //  a batch that overlaps: only the new ones, in order
    size = s_chat (body, 0, "alpha", 2);
    size = s_chat (body, size, "alpha", 3);
    size = s_chat (body, size, "alpha", 4);
    s_pass (chain, "alpha", body, size, rseqs);
    CHECKF (strcmp (rseqs, "3,4") == 0, "got %s", rseqs);
    CHECK (zc_relay_chain_stats (chain).repeats == 3);

    //  a gap passes (no FETCH here) and is counted
    size = s_chat (body, 0, "alpha", 7);
    s_pass (chain, "alpha", body, size, rseqs);
    CHECK (strcmp (rseqs, "7") == 0);
    CHECK (zc_relay_chain_stats (chain).gaps == 1);
    //  what the gap skipped comes late: a repeat now (order is kept)
    size = s_chat (body, 0, "alpha", 5);
    CHECK (s_pass (chain, "alpha", body, size, rseqs) == 0);

    //  rooms are counted apart; a map of another room than its topic is
    //  dropped (the prefix "alp" is not "alpha")
    size = s_chat (body, 0, "beta", 1);
    s_pass (chain, "beta", body, size, rseqs);
    CHECK (strcmp (rseqs, "1") == 0);
    uint64_t dropped = zc_relay_chain_stats (chain).dropped;
    size = s_chat (body, 0, "alpha", 8);
    CHECK (s_pass (chain, "beta", body, size, rseqs) == 0);
    CHECK (zc_relay_chain_stats (chain).dropped == dropped + 1);
    CHECK (zc_relay_chain_last (chain, "alpha", 5) == 7);

    //  the table is full (2 rooms): a third room is a counted drop
    size = s_chat (body, 0, "gamma", 1);
    CHECK (s_pass (chain, "gamma", body, size, rseqs) == 0);
    CHECK (zc_relay_chain_stats (chain).dropped == dropped + 2);
    //  forgetting one frees its slot, and it starts afresh
    zc_relay_chain_forget (chain, "beta", 4);
    CHECK (zc_relay_chain_last (chain, "beta", 4) == 0);
    s_pass (chain, "gamma", body, size, rseqs);
    CHECK (strcmp (rseqs, "1") == 0);

    //  junk after a good map: the good one passes, the rest is dropped
    size = s_chat (body, 0, "alpha", 8);
    size_t good = size;
    memcpy (body + size, "\xc1\xc1\xc1", 3);
    size += 3;
    got = zc_relay_chain_frame (chain, "alpha", 5, body, size, out, sizeof (out));
    CHECK (got == good);
    //  a map that is not a chat map is dropped, the next one passes
    zc_msg_t beacon;
    zc_msg_init (&beacon, ZC_BEACON);
    zc_msg_set_u64 (&beacon, ZF_NODE, 1);
    zc_msg_set_u64 (&beacon, ZF_EPOCH, 1);
    zc_msg_set_u64 (&beacon, ZF_LEADER, 1);
    zc_msg_set_u64 (&beacon, ZF_COMMIT, 1);
    size = zc_msg_encode (&beacon, body, sizeof (body));
    CHECK (size > 0);
    size = s_chat (body, size, "alpha", 9);
    s_pass (chain, "alpha", body, size, rseqs);
    CHECK (strcmp (rseqs, "9") == 0);
    //  an empty body, a topic that is no room: dropped
    dropped = zc_relay_chain_stats (chain).dropped;
    CHECK (zc_relay_chain_frame (chain, "alpha", 5, body, 0, out, sizeof (out)) == 0);
    CHECK (zc_relay_chain_frame (chain, "$beacon", 7, body, size, out, sizeof (out)) == 0);
    CHECK (zc_relay_chain_stats (chain).dropped == dropped + 2);
    CHECK (zc_relay_chain_stats (chain).maps == 9);

    zc_relay_chain_destroy (&chain);
    CHECK (chain == NULL);
    zc_relay_chain_destroy (&chain);
    return check_report ("test_relay_chain");
}
