/*  fuzz_wire.c — libFuzzer target for the frame decoder: every message
    type, one per frame (zc_msg_decode) and back to back in a batch
    (zc_msg_decode_next, PROTOCOL.md "Batches").

    Build: CC=clang cmake -S . -B build-fuzz -DZC_FUZZ=ON && cmake --build
    build-fuzz --target fuzz; run: ./build-fuzz/tests/fuzz_wire -max_len=70000
    CORPUS_DIR (seeds: build-fuzz/tests/corpus/fuzz_wire, written by
    fuzz_corpus_gen; tools/test.sh does all of it).
    Beyond "never crashes": whatever the decoder accepts must re-encode, and
    the re-encoded frame must decode to the same message; a batch decode
    moves forward within the frame or fails with a reason.
*/
#include "wire.h"

#include <stdlib.h>
#include <string.h>

static bool
s_str_same (zc_str_t a, zc_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp (a.ptr, b.ptr, a.len) == 0);
}

static bool
s_same (const zc_msg_t *a, const zc_msg_t *b)
{
    return a->type == b->type && a->has == b->has
        && a->node == b->node && a->epoch == b->epoch && a->seq == b->seq
        && a->rseq == b->rseq && a->ts == b->ts && a->id == b->id
        && a->leader == b->leader && a->commit == b->commit
        && a->last_seq == b->last_seq && a->log_epoch == b->log_epoch
        && a->prev_seq == b->prev_seq && a->prev_epoch == b->prev_epoch
        && a->mh == b->mh && a->lt == b->lt && a->granted == b->granted
        && a->expected == b->expected && a->port == b->port
        && a->pub_port == b->pub_port && a->lamport == b->lamport
        && a->messages == b->messages && a->last == b->last
        && a->count == b->count && a->dropped == b->dropped
        && s_str_same (a->room, b->room) && s_str_same (a->from, b->from)
        && s_str_same (a->client, b->client) && s_str_same (a->text, b->text)
        && s_str_same (a->code, b->code) && s_str_same (a->reason, b->reason)
        && s_str_same (a->role, b->role);
}

//  A message decoded from size bytes re-encodes in at most as many, to
//  the same message.
static void
s_round_trip (const zc_msg_t *msg, size_t size)
{
    static uint8_t again [ZC_MAX_FRAME];
    zc_msg_t msg2;
    const char *error = NULL;
    size_t size2 = zc_msg_encode (msg, again, sizeof (again));
    if (size2 == 0 || size2 > size)
        abort ();               //  our encoding is never longer than any valid one
    if (zc_msg_decode (&msg2, again, size2, &error) != 0 || !s_same (msg, &msg2))
        abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zc_msg_t msg;
    const char *error = NULL;
    if (zc_msg_decode (&msg, data, size, &error) == 0)
        s_round_trip (&msg, size);
    else
    if (!error)
        abort ();               //  every rejection names its reason

    //  The same bytes as a batch: each message starts where the last ended.
    size_t offset = 0;
    while (offset < size) {
        size_t before = offset;
        error = NULL;
        if (zc_msg_decode_next (&msg, data, size, &offset, &error) != 0) {
            if (!error || offset != before)
                abort ();       //  a reason, and the offset left alone
            break;
        }
        if (offset <= before || offset > size)
            abort ();
        s_round_trip (&msg, offset - before);
    }
    return 0;
}
