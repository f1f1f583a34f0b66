/*  test_numparse.c — the one number parser every binary's flags go through
    (src/msg/numparse.h): each refusal, the bounds, the largest values.
*/
#include "numparse.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

//  zc_parse_u64 (text, min, max) and what it must return, and the value on OK
static void
s_u64 (const char *text, uint64_t min, uint64_t max, int rc, uint64_t want)
{
    uint64_t value = 12345;
    int got = zc_parse_u64 (text, min, max, &value);
    CHECKF (got == rc, "'%s' in [%llu, %llu]: %d, not %d", text ? text : "(null)",
            (unsigned long long) min, (unsigned long long) max, got, rc);
    if (rc == ZC_PARSE_OK)
        CHECKF (value == want, "'%s': %llu, not %llu", text,
                (unsigned long long) value, (unsigned long long) want);
    else
        CHECKF (value == 12345, "'%s' refused, yet the value changed", text);
}

static void
s_double (const char *text, double min, double max, int rc, double want)
{
    double value = 12345;
    int got = zc_parse_double (text, min, max, &value);
    CHECKF (got == rc, "'%s' in [%g, %g]: %d, not %d", text ? text : "(null)",
            min, max, got, rc);
    if (rc == ZC_PARSE_OK)
        CHECKF (value == want, "'%s': %g, not %g", text, value, want);
    else
        CHECKF (value == 12345, "'%s' refused, yet the value changed", text);
}

int
main (void)
{
    //  Accepted, with the bounds themselves inside
    s_u64 ("0", 0, 10, ZC_PARSE_OK, 0);
    s_u64 ("10", 0, 10, ZC_PARSE_OK, 10);
    s_u64 ("1", 1, 1, ZC_PARSE_OK, 1);
    s_u64 ("007", 0, 10, ZC_PARSE_OK, 7);           //  decimal, not octal
    s_u64 ("18446744073709551615", 0, UINT64_MAX, ZC_PARSE_OK, UINT64_MAX);
    s_u64 ("9007199254740991", 0, UINT64_MAX, ZC_PARSE_OK, (1ull << 53) - 1);

    //  Refused as not a number: empty, signs, white space, junk
    s_u64 (NULL, 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 ("", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 ("-1", 0, UINT64_MAX, ZC_PARSE_SYNTAX, 0);
    s_u64 (" -1", 0, UINT64_MAX, ZC_PARSE_SYNTAX, 0);  //  strtoull: 2^64-1
    s_u64 ("+5", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 (" 5", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 ("\t5", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 ("5 ", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 ("5x", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 ("5.0", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_u64 ("0x5", 0, 10, ZC_PARSE_SYNTAX, 0);       //  decimal only
    s_u64 ("abc", 0, 10, ZC_PARSE_SYNTAX, 0);

    //  Refused as out of range: bounds, and overflow (ERANGE)
    s_u64 ("11", 0, 10, ZC_PARSE_RANGE, 0);
    s_u64 ("0", 1, 10, ZC_PARSE_RANGE, 0);
    s_u64 ("18446744073709551616", 0, UINT64_MAX, ZC_PARSE_RANGE, 0);
    s_u64 ("99999999999999999999999", 0, UINT64_MAX, ZC_PARSE_RANGE, 0);
    s_u64 ("4294967296", 0, UINT32_MAX, ZC_PARSE_RANGE, 0);

    //  C notation, for seeds
    uint64_t seed = 0;
    CHECK (zc_parse_u64_c ("0x10", 0, UINT64_MAX, &seed) == ZC_PARSE_OK && seed == 16);
    CHECK (zc_parse_u64_c ("010", 0, UINT64_MAX, &seed) == ZC_PARSE_OK && seed == 8);
    CHECK (zc_parse_u64_c ("42", 0, UINT64_MAX, &seed) == ZC_PARSE_OK && seed == 42);
    CHECK (zc_parse_u64_c ("0xffffffffffffffff", 0, UINT64_MAX, &seed) == ZC_PARSE_OK
           && seed == UINT64_MAX);
    CHECK (zc_parse_u64_c ("0x10000000000000000", 0, UINT64_MAX, &seed) == ZC_PARSE_RANGE);
    CHECK (zc_parse_u64_c (" -1", 0, UINT64_MAX, &seed) == ZC_PARSE_SYNTAX);
    CHECK (zc_parse_u64_c ("0x", 0, UINT64_MAX, &seed) == ZC_PARSE_SYNTAX);
    CHECK (zc_parse_u64_c ("0x1g", 0, UINT64_MAX, &seed) == ZC_PARSE_SYNTAX);

    //  Doubles: accepted
    s_double ("1", 0, 10, ZC_PARSE_OK, 1);
    s_double ("0.5", 0, 10, ZC_PARSE_OK, 0.5);
    s_double (".5", 0, 10, ZC_PARSE_OK, 0.5);
    s_double ("10", 0, 10, ZC_PARSE_OK, 10);
    s_double ("1e3", 0, 1e6, ZC_PARSE_OK, 1000);
    s_double ("-2.5", -10, 10, ZC_PARSE_OK, -2.5);
    s_double ("1.7976931348623157e308", 0, DBL_MAX, ZC_PARSE_OK, DBL_MAX);

    //  Doubles: not a number
    s_double (NULL, 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double ("", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double (" 1", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double (" -1", -10, 10, ZC_PARSE_SYNTAX, 0);
    s_double ("-1", 0, 10, ZC_PARSE_SYNTAX, 0);     //  no sign where min >= 0
    s_double ("+1", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double ("1x", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double ("1 ", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double (".", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double ("nan", 0, 10, ZC_PARSE_SYNTAX, 0);
    s_double ("inf", 0, INFINITY, ZC_PARSE_SYNTAX, 0);
    s_double ("-inf", -INFINITY, 10, ZC_PARSE_SYNTAX, 0);

    //  Doubles: out of range, and overflow
    s_double ("10.5", 0, 10, ZC_PARSE_RANGE, 0);
    s_double ("0.5", 1, 10, ZC_PARSE_RANGE, 0);
    s_double ("-11", -10, 10, ZC_PARSE_RANGE, 0);
    s_double ("1e999", 0, INFINITY, ZC_PARSE_RANGE, 0);
    s_double ("-1e999", -INFINITY, 10, ZC_PARSE_RANGE, 0);

    return check_report ("test_numparse");
}
