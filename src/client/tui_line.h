/*  tui_line.h — the chat-client's input line: edit, history, view.

    Pure (no terminal): the screen (tui.c) feeds it code points and keys
    and draws what zc_line_view says.  The text is a row of Unicode code
    points, so the cursor moves and deletes by character, never by byte,
    and the view measures display columns (wcwidth: a wide character takes
    two, a combining mark none; needs a UTF-8 LC_CTYPE).  The line holds
    at most max_bytes of UTF-8 (a chat text's limit): what does not fit is
    refused, never cut in the middle of a character.

    Keys, as readline's emacs mode has them: Left/Right, Home/End,
    Backspace/Delete, Ctrl-U (delete to the start), Ctrl-W (delete the
    word before the cursor, and the blanks after it), Up/Down (history:
    the line being typed is kept and comes back below the newest entry),
    Enter (take the line: it goes into the history unless empty or the
    same as the newest entry).
*/
#ifndef ZC_TUI_LINE_H
#define ZC_TUI_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    ZC_LINE_LEFT = 1, ZC_LINE_RIGHT, ZC_LINE_HOME, ZC_LINE_END,
    ZC_LINE_BACKSPACE, ZC_LINE_DELETE, ZC_LINE_KILL_START, ZC_LINE_KILL_WORD,
    ZC_LINE_UP, ZC_LINE_DOWN
} zc_line_key_t;

typedef struct _zc_line_t zc_line_t;

//  An empty line of at most max_bytes of UTF-8, keeping the last
//  history_max lines taken (0: no history).
zc_line_t *zc_line_new (size_t max_bytes, size_t history_max);
void zc_line_destroy (zc_line_t **self_p);

//  Insert a code point at the cursor.  False (nothing changes) for a
//  control character, a surrogate or a value past U+10FFFF, or when the
//  line would pass max_bytes.
bool zc_line_insert (zc_line_t *self, uint32_t cp);

//  Insert UTF-8 text (a paste, a test); bytes that are not UTF-8 are
//  skipped.  Returns the code points inserted.
size_t zc_line_insert_utf8 (zc_line_t *self, const char *text, size_t len);

//  Apply an editing key.
void zc_line_key (zc_line_t *self, zc_line_key_t key);

//  Take the line (Enter): its UTF-8, NUL-terminated, into out (at least
//  max_bytes + 1), then clear it.  Returns the length in bytes.
size_t zc_line_take (zc_line_t *self, char *out, size_t cap);

//  The line as UTF-8 (NUL-terminated, valid until the next change) and
//  its length in bytes.
const char *zc_line_text (zc_line_t *self, size_t *len_p);

//  Cursor position and length, in code points.
size_t zc_line_cursor (const zc_line_t *self);
size_t zc_line_length (const zc_line_t *self);

//  What to draw in width columns: the code points from *first_p on fill
//  the field (as many as fit), and the cursor is at column *col_p.  The
//  field scrolls only as far as the cursor needs; the line keeps where it
//  scrolled to between calls.
void zc_line_view (zc_line_t *self, int width, size_t *first_p, int *col_p);

//  The code point at index i (0 past the end), and its display columns
//  (0..2; a character wcwidth does not know counts 1).
uint32_t zc_line_at (const zc_line_t *self, size_t i);
int zc_line_cp_width (uint32_t cp);

//  Decode one UTF-8 character of s (len bytes left): returns its length
//  (1..4) and the code point in *cp, or 0 if s does not start with a
//  valid, shortest-form character.
size_t zc_utf8_decode (const char *s, size_t len, uint32_t *cp);

//  Encode cp as UTF-8 into out (4 bytes room); returns its length.
size_t zc_utf8_encode (uint32_t cp, char *out);

#endif
