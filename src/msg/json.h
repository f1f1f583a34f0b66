/*  json.h — the one JSON string writer used by every --json output
    (chat-client status, zchat-check, chat-chaos).
*/
#ifndef ZC_JSON_H
#define ZC_JSON_H

#include <stdio.h>

//  Write s as a quoted JSON string: quotes, backslashes and control
//  characters escaped, UTF-8 characters as they are, and each byte that is
//  not part of a valid UTF-8 character as \ufffd (JSON text is UTF-8);
//  NULL writes "".
void zc_json_str (FILE *out, const char *s);

#endif
