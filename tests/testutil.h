/*  testutil.h — what every unit test shares: pass/fail counting, and a
    small PRNG for the tests that draw their own random cases.

    CHECK (cond)               counts a pass, or a failure and prints where
                               and the condition;
    CHECKF (cond, fmt, ...)    the same, and a failure also prints the
                               message (its arguments are evaluated only
                               then);
    check_report ("test_NAME") prints the last line, which ctest and CI read:
                               "test_NAME: N passed, M failed", and returns
                               main's exit code;
    xorshift64 (&state)        the next of a test's reproducible random
                               numbers (state must not be 0).

    One test is one source file: the counters are that file's own.
*/
#ifndef ZC_TESTUTIL_H
#define ZC_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>

static int s_passed, s_failed;

#define CHECK(cond) do { \
    if (cond) s_passed++; \
    else { s_failed++; fprintf (stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECKF(cond, ...) do { \
    if (cond) s_passed++; \
    else { \
        s_failed++; \
        fprintf (stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
    } \
} while (0)

static inline int
check_report (const char *name)
{
    printf ("%s: %d passed, %d failed\n", name, s_passed, s_failed);
    return s_failed ? 1 : 0;
}

static inline uint64_t
xorshift64 (uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
