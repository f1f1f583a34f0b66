/*  test_outbox.c — the batching of publications and ACKs (src/node/outbox.c)
    and the decoding of batched frames (zc_msg_decode_next): every message
    comes out once, in its key's order, in frames within the cap; a frame
    of maps back to back decodes to the same messages; a bad map stops the
    frame.
*/
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "wire.h"
#include "testutil.h"

#define MAX_OUT 4096

typedef struct {
    char key [32];
    uint8_t frame [70000];
    size_t size;
} out_t;

static out_t s_out [MAX_OUT];
static size_t s_nout;

static void
s_flush (void *arg, const uint8_t *key, size_t key_len, const uint8_t *frame, size_t size)
{
    (void) arg;
    if (s_nout >= MAX_OUT || key_len >= sizeof s_out [0].key || size > sizeof s_out [0].frame)
        return;
    out_t *out = &s_out [s_nout++];
    memcpy (out->key, key, key_len);
    out->key [key_len] = 0;
    memcpy (out->frame, frame, size);
    out->size = size;
}

//  Every message is "k:n" padded to its size; returns its number from a
//  frame at *offset, or -1.
static size_t
s_message (uint8_t *buf, const char *key, int n, size_t size)
{
    int len = snprintf ((char *) buf, size, "%s:%d;", key, n);
    memset (buf + len, '.', size - (size_t) len);
    return size;
}

static void
test_order_and_cap (void)
{
    s_nout = 0;
    zc_outbox_t *box = zc_outbox_new (3, 100, s_flush, NULL);
    uint8_t msg [300];
    const char *keys [] = { "a", "b", "c", "d" };
    uint64_t state = 42;
    int next [4] = { 0 }, added = 0;
    for (int i = 0; i < 500; i++) {
        int k = (int) (xorshift64 (&state) % 4);
        size_t size = 10 + xorshift64 (&state) % 40;
        if (i % 97 == 0)
            size = 150;             //  larger than a frame: goes alone
        CHECK (zc_outbox_add (box, keys [k], 1, msg, s_message (msg, keys [k], next [k]++, size)) == 0);
        added++;
        if (i % 50 == 0)
            zc_outbox_flush (box);
    }
    zc_outbox_flush (box);
    CHECK (zc_outbox_messages (box) == (uint64_t) added);
    CHECK (zc_outbox_frames (box) == s_nout);
    //  Per key: the numbers come out 0, 1, 2... with nothing lost
    int seen [4] = { 0 };
    size_t max_frame = 0;
    for (size_t f = 0; f < s_nout; f++) {
        int k = s_out [f].key [0] - 'a';
        CHECK (k >= 0 && k < 4);
        if (s_out [f].size > max_frame)
            max_frame = s_out [f].size;
        CHECKF (s_out [f].size <= 100 || s_out [f].size == 150,
                "frame of %zu bytes", s_out [f].size);
        char *p = (char *) s_out [f].frame, *end = p + s_out [f].size;
        while (p < end) {
            int n = -1;
            char key [4];
            CHECK (sscanf (p, "%1[a-d]:%d;", key, &n) == 2);
            CHECKF (key [0] == s_out [f].key [0] && n == seen [k],
                    "key %c expected %d got %c:%d", 'a' + k, seen [k], key [0], n);
            seen [k] = n + 1;
            char *semi = strchr (p, ';');
            p = semi + 1;
            while (p < end && *p == '.')
                p++;
        }
    }
    for (int k = 0; k < 4; k++)
        CHECKF (seen [k] == next [k], "key %d: %d of %d", k, seen [k], next [k]);
    CHECK (max_frame <= 150);
    //  Batching happened: fewer frames than messages
    CHECK (s_nout < (size_t) added / 2);
    CHECK (zc_outbox_add (box, msg, ZC_OUTBOX_MAX_KEY + 1, msg, 1) == -1);
    zc_outbox_destroy (&box);
    CHECK (box == NULL);
}

//  Keys beyond the slots: the oldest slot is flushed to make room, and
//  the order of each key's frames is kept.
static void
test_eviction (void)
{
    s_nout = 0;
    zc_outbox_t *box = zc_outbox_new (2, 1000, s_flush, NULL);
    uint8_t msg [16];
    zc_outbox_add (box, "a", 1, msg, s_message (msg, "a", 0, 10));
    zc_outbox_add (box, "b", 1, msg, s_message (msg, "b", 0, 10));
    CHECK (s_nout == 0);
    zc_outbox_add (box, "c", 1, msg, s_message (msg, "c", 0, 10));
    CHECK (s_nout == 1 && strcmp (s_out [0].key, "a") == 0);
    zc_outbox_add (box, "b", 1, msg, s_message (msg, "b", 1, 10));
    CHECK (s_nout == 1);            //  b still has its slot
    zc_outbox_flush (box);
    CHECK (s_nout == 3 && strcmp (s_out [1].key, "b") == 0 && s_out [1].size == 20
           && strcmp (s_out [2].key, "c") == 0);
    zc_outbox_flush (box);
    CHECK (s_nout == 3);            //  nothing left
    zc_outbox_destroy (&box);
}

//  A batch of chat maps decodes back one by one; garbage stops it.
static void
test_decode_next (void)
{
    uint8_t frame [4096];
    size_t size = 0;
    for (int i = 1; i <= 5; i++) {
        zc_msg_t chat;
        zc_msg_init (&chat, ZC_CHAT);
        zc_msg_set_u64 (&chat, ZF_EPOCH, 1);
        zc_msg_set_u64 (&chat, ZF_SEQ, (uint64_t) i);
        zc_msg_set_u64 (&chat, ZF_RSEQ, (uint64_t) i);
        zc_msg_set_u64 (&chat, ZF_TS, (uint64_t) i * 10);
        zc_msg_set_cstr (&chat, ZF_ROOM, "geral");
        zc_msg_set_cstr (&chat, ZF_FROM, "ana");
        zc_msg_set_cstr (&chat, ZF_CLIENT, "0123456789abcdef0123456789abcdef");
        zc_msg_set_u64 (&chat, ZF_ID, (uint64_t) i);
        zc_msg_set_cstr (&chat, ZF_TEXT, "olá");
        size_t n = zc_msg_encode (&chat, frame + size, sizeof frame - size);
        CHECK (n > 0);
        size += n;
    }
    size_t offset = 0;
    int count = 0;
    const char *error = NULL;
    while (offset < size) {
        zc_msg_t msg;
        if (zc_msg_decode_next (&msg, frame, size, &offset, &error))
            break;
        count++;
        CHECK (msg.type == ZC_CHAT && msg.seq == (uint64_t) count && msg.ts == msg.seq * 10);
    }
    CHECK (count == 5 && offset == size);
    //  One whole frame is not a single message any more
    zc_msg_t msg;
    CHECK (zc_msg_decode (&msg, frame, size, &error) == -1);
    //  A truncated last map, and garbage after the maps, are errors
    offset = 0;
    count = 0;
    while (offset < size - 3 && zc_msg_decode_next (&msg, frame, size - 3, &offset, &error) == 0)
        count++;
    CHECK (count == 4 && error != NULL);
    frame [size] = 0xc1;            //  never used in msgpack
    offset = size;
    CHECK (zc_msg_decode_next (&msg, frame, size + 1, &offset, &error) == -1);
    offset = 0;
    CHECK (zc_msg_decode_next (&msg, frame, 0, &offset, &error) == -1);
    offset = 7;
    CHECK (zc_msg_decode_next (&msg, frame, 7, &offset, &error) == -1);
}

int
main (void)
{
    test_order_and_cap ();
    test_eviction ();
    test_decode_next ();
    return check_report ("test_outbox");
}
