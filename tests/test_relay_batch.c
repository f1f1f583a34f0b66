/*  test_relay_batch.c — relay_batch: what a relay of the cluster
    republishes is the leader's own chat map, byte for byte, batched per
    room up to ZC_MAX_BATCH; other rooms and other events are refused.
*/
#include <string.h>

#include "relay_batch.h"
#include "testutil.h"

static const char *s_client = "0123456789abcdef0123456789abcdef";

//  The leader's map (as core_client.c stamps it) and the event a client
//  delivers for it
static size_t
s_leader_map (uint8_t *buf, size_t cap, uint64_t rseq, const char *text, size_t text_len,
              zc_event_t *ev)
{
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, 3);
    zc_msg_set_u64 (&chat, ZF_SEQ, 1000 + rseq);
    zc_msg_set_u64 (&chat, ZF_RSEQ, rseq);
    zc_msg_set_u64 (&chat, ZF_TS, 77 + rseq);
    zc_msg_set_cstr (&chat, ZF_ROOM, "alpha");
    zc_msg_set_cstr (&chat, ZF_FROM, "bob");
    zc_msg_set_cstr (&chat, ZF_CLIENT, s_client);
    zc_msg_set_u64 (&chat, ZF_ID, 40 + rseq);
    zc_msg_set_str (&chat, ZF_TEXT, text, text_len);
    memset (ev, 0, sizeof (*ev));
    ev->type = ZC_EV_MESSAGE;
    ev->epoch = 3;
    ev->seq = 1000 + rseq;
    ev->rseq = rseq;
    ev->ts = 77 + rseq;
    ev->id = 40 + rseq;
    strcpy (ev->room, "alpha");
    strcpy (ev->from, "bob");
    strcpy (ev->client, s_client);
    ev->text = text;
    ev->text_len = text_len;
    return zc_msg_encode (&chat, buf, cap);
}

int
main (void)
{
    static zc_relay_batch_t batch;
    zc_relay_batch_init (&batch, "alpha");
    CHECK (batch.size == 0 && batch.count == 0);

    //  two maps: the bytes are the leader's, back to back
    uint8_t expect [4096];
    zc_event_t ev;
    size_t one = s_leader_map (expect, sizeof (expect), 1, "hi", 2, &ev);
    CHECK (zc_relay_batch_add (&batch, &ev) == 0);
    size_t two = s_leader_map (expect + one, sizeof (expect) - one, 2, "a\0b", 3, &ev);
    CHECK (zc_relay_batch_add (&batch, &ev) == 0);
    CHECK (batch.count == 2 && batch.size == one + two);
    CHECK (memcmp (batch.buf, expect, one + two) == 0);
    CHECK (batch.last_rseq == 2);

    //  another room, another event: refused, nothing added
    zc_event_t other = ev;
    strcpy (other.room, "alphabet");
    CHECK (zc_relay_batch_add (&batch, &other) == -1);
    other = ev;
    other.type = ZC_EV_NOTICE;
    CHECK (zc_relay_batch_add (&batch, &other) == -1);
    CHECK (batch.count == 2);

    //  full: 1 says publish first; after a reset the same one fits
    static char text [ZC_MAX_TEXT];
    memset (text, 'x', sizeof (text));
    uint8_t big [ZC_MAX_FRAME];
    int rc = 0;
    uint64_t rseq = 3;
    while (rc == 0) {
        s_leader_map (big, sizeof (big), rseq++, text, sizeof (text), &ev);
        rc = zc_relay_batch_add (&batch, &ev);
    }
    CHECK (rc == 1);
    CHECK (batch.size <= ZC_MAX_BATCH);
    zc_relay_batch_reset (&batch);
    CHECK (batch.size == 0 && batch.count == 0);
    CHECK (zc_relay_batch_add (&batch, &ev) == 0);
    CHECK (batch.count == 1);

    //  a message that cannot be encoded (a name the encoder refuses) is -1
    ev.from [0] = 0;
    zc_relay_batch_reset (&batch);
    CHECK (zc_relay_batch_add (&batch, &ev) == -1);
    return check_report ("test_relay_batch");
}
