/*  test_json.c — the one JSON string writer (src/msg/json.c): escapes,
    UTF-8 kept, bytes that are not UTF-8 replaced, so that every --json
    output parses whatever a node or a record file put in a string.
*/
#include "json.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What zc_json_str writes for s, in buf
static const char *
s_json (const char *s, char *buf, size_t cap)
{
    FILE *mem = fmemopen (buf, cap, "w");
    zc_json_str (mem, s);
    fclose (mem);
    return buf;
}

#define EXPECT(input, output) do { \
        char buf_ [256]; \
        const char *got_ = s_json ((input), buf_, sizeof buf_); \
        CHECKF (strcmp (got_, (output)) == 0, "%s -> %s (want %s)", #input, got_, (output)); \
    } while (0)

int
main (void)
{
    EXPECT (NULL, "\"\"");
    EXPECT ("", "\"\"");
    EXPECT ("node 1", "\"node 1\"");
    EXPECT ("say \"hi\"", "\"say \\\"hi\\\"\"");
    EXPECT ("a\\b", "\"a\\\\b\"");
    EXPECT ("tab\there\nnl", "\"tab\\u0009here\\u000anl\"");
    EXPECT ("\x01\x1f", "\"\\u0001\\u001f\"");
    EXPECT ("\x7f", "\"\x7f\"");                            //  DEL is legal JSON
    //  UTF-8 kept: the seed's Portuguese, a 3-byte and a 4-byte character
    EXPECT ("olá, mãe", "\"olá, mãe\"");
    EXPECT ("€ 😀", "\"€ 😀\"");
    //  Not UTF-8: each bad byte is U+FFFD, the rest kept
    EXPECT ("a\xffz", "\"a\\ufffdz\"");                     //  never a first byte
    EXPECT ("\x80", "\"\\ufffd\"");                         //  a stray continuation
    EXPECT ("\xc3", "\"\\ufffd\"");                         //  cut at the end
    EXPECT ("\xc3(", "\"\\ufffd(\"");                       //  cut by an ASCII byte
    EXPECT ("\xc0\xaf", "\"\\ufffd\\ufffd\"");              //  overlong '/'
    EXPECT ("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");   //  overlong, 3 bytes
    EXPECT ("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");   //  a surrogate
    EXPECT ("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");   //  past U+10FFFF
    EXPECT ("ok\xe2\x82", "\"ok\\ufffd\\ufffd\"");          //  a 3-byte one cut short
    return check_report ("test_json");
}
