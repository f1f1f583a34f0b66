/*  numparse.c — strict numbers from text (see numparse.h for why).
*/
#include "numparse.h"

#include <errno.h>
#include <stdlib.h>

static int
s_digit (char c)
{
    return c >= '0' && c <= '9';
}

static int
s_u64 (const char *text, int base, uint64_t min, uint64_t max, uint64_t *value)
{
    //  strtoull skips leading white space and takes a sign (negating the
    //  result), so the first character must be a digit: that refuses
    //  "", " 5", "+5" and "-5" before strtoull sees them.
    if (!text || !s_digit (text [0]))
        return ZC_PARSE_SYNTAX;
    char *end;
    errno = 0;
    unsigned long long v = strtoull (text, &end, base);
    if (*end != '\0')
        return ZC_PARSE_SYNTAX;
    if (errno == ERANGE || v < min || v > max)
        return ZC_PARSE_RANGE;
    if (errno)
        return ZC_PARSE_SYNTAX;
    *value = (uint64_t) v;
    return ZC_PARSE_OK;
}

int
zc_parse_u64 (const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    return s_u64 (text, 10, min, max, value);
}

int
zc_parse_u64_c (const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    return s_u64 (text, 0, min, max, value);
}

int
zc_parse_double (const char *text, double min, double max, double *value)
{
    //  A digit (or a point and a digit) first, after a '-' only where the
    //  range has negative numbers: that refuses white space, "+", and
    //  strtod's words "nan" and "inf" (a NaN compares false with both
    //  bounds, so a plain bounds check lets it through).
    if (!text)
        return ZC_PARSE_SYNTAX;
    const char *digits = text [0] == '-' && min < 0 ? text + 1 : text;
    if (!s_digit (digits [0]) && !(digits [0] == '.' && s_digit (digits [1])))
        return ZC_PARSE_SYNTAX;
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (*end != '\0')
        return ZC_PARSE_SYNTAX;
    if (errno == ERANGE || v < min || v > max)
        return ZC_PARSE_RANGE;
    *value = v;
    return ZC_PARSE_OK;
}
