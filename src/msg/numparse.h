/*  numparse.h — one strict parser for the numbers a flag or a file holds.

    Every binary (chat-node's config, chat-client, chat-chaos, zchat-check,
    chat-keygen, the benchmarks, zchat-hostile) reads numbers from text it
    did not write.  strtoull and strtod alone are lenient in ways that bite:
    " -1" is a huge number to strtoull, "5x" is 5, "nan" passes every
    bounds check.  These refuse all of that, and say which of two things
    was wrong so that a caller can keep its own messages ("is not a
    number", "out of range").
*/
#ifndef ZC_NUMPARSE_H
#define ZC_NUMPARSE_H

#include <stdint.h>

#define ZC_PARSE_OK      0
#define ZC_PARSE_SYNTAX -1      //  not a number: empty, a sign, a space, junk
#define ZC_PARSE_RANGE  -2      //  a number, but outside [min, max] (or overflow)

//  Plain unsigned decimal (digits only, nothing before or after) in
//  [min, max].  *value is set only on ZC_PARSE_OK.
int zc_parse_u64 (const char *text, uint64_t min, uint64_t max, uint64_t *value);

//  The same, in C's notation: decimal, 0x hex or 0 octal (for seeds).
int zc_parse_u64_c (const char *text, uint64_t min, uint64_t max, uint64_t *value);

//  A finite decimal number in [min, max]: strtod's syntax, but it must
//  start with a digit or a point (or a '-' if min < 0), end with the
//  number, and not be infinite, NaN or out of a double's range.
int zc_parse_double (const char *text, double min, double max, double *value);

#endif
