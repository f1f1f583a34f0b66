/*  json.c — see json.h */
#include "json.h"

#include <stddef.h>

//  The length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes
//  there are not one: a stray continuation byte, a cut sequence, an
//  overlong form, a surrogate, or a code point past U+10FFFF.
static size_t
s_utf8_len (const unsigned char *s)
{
    unsigned char c = s [0];
    size_t len;
    unsigned long cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    }
    else
    if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    }
    else
    if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    }
    else
        return 0;               //  0x80..0xC1, 0xF5..0xFF never start one
    for (size_t i = 1; i < len; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;           //  cut short (a NUL ends the string here too)
        cp = cp << 6 | (s [i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF
    ||  (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void
zc_json_str (FILE *out, const char *s)
{
    fputc ('"', out);
    const unsigned char *p = (const unsigned char *) s;
    while (p && *p) {
        unsigned char c = *p;
        size_t len = s_utf8_len (p);
        if (c == '"' || c == '\\')
            fprintf (out, "\\%c", c);
        else
        if (c < 0x20)
            fprintf (out, "\\u%04x", c);
        else
        if (len == 0) {
            //  JSON is UTF-8: a byte that is not part of a character (a
            //  hostile node's role, a mangled record) becomes U+FFFD
            fputs ("\\ufffd", out);
            len = 1;
        }
        else
            fwrite (p, 1, len, out);
        p += len ? len : 1;
    }
    fputc ('"', out);
}
