/*  fuzz_wire.c — libFuzzer target for the frame decoder.

    Build: CC=clang cmake -S . -B build-fuzz -DZC_FUZZ=ON && cmake --build
    build-fuzz --target fuzz_wire; run: ./build-fuzz/tests/fuzz_wire -max_len=70000.
    Beyond "never crashes": whatever the decoder accepts must re-encode, and
    the re-encoded frame must decode to the same message.
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

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static uint8_t again [ZC_MAX_FRAME];
    zc_msg_t msg, msg2;
    const char *error = NULL;
    if (zc_msg_decode (&msg, data, size, &error) != 0) {
        if (!error)
            abort ();           //  every rejection names its reason
        return 0;
    }
    size_t size2 = zc_msg_encode (&msg, again, sizeof (again));
    if (size2 == 0 || size2 > size)
        abort ();               //  our encoding is never longer than any valid one
    if (zc_msg_decode (&msg2, again, size2, &error) != 0 || !s_same (&msg, &msg2))
        abort ();
    return 0;
}
