/*  texthash.h — a fingerprint of a message's text for the record files.

    chat-client --record and the chaos workers add `t=<16 hex digits>` to
    their `sent` and `recv` lines: FNV-1a (64 bits) of the text's bytes.
    The history checker (src/check/history.h) compares them, so a text
    that changed between the sender and a receiver, or two receivers, is
    caught without writing texts (any bytes, any length) into the records.
    Not a cryptographic hash: it catches corruption, not a forger.
*/
#ifndef ZC_TEXTHASH_H
#define ZC_TEXTHASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t
zc_text_hash (const void *text, size_t size)
{
    const unsigned char *byte = text;
    uint64_t hash = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++) {
        hash ^= byte [i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

#endif
