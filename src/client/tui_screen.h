/*  tui_screen.h — chat-client's split screen (ncursesw).

    Three parts, redrawn whole on every change and on a resize: the
    messages, newest at the bottom, wrapped at the screen's width by
    display columns (PageUp/PageDown scroll back); a status line in
    reverse video; and the input line (tui_line.h), which what arrives
    never touches.  Sender names get a colour from a hash of the name
    (the same name, the same colour), unless colour is off.  Text from
    others is shown with control characters as '?' and bytes that are
    not UTF-8 as U+FFFD: nothing a sender writes moves the cursor.

    Only chat-client links this (and ncursesw); the session (tui.c) talks
    to the terminal through it alone.
*/
#ifndef ZC_TUI_SCREEN_H
#define ZC_TUI_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct _zc_screen_t zc_screen_t;

//  Take over the terminal (needs a UTF-8 locale set by the caller for
//  wide characters).  colour false: no colours at all.  NULL if the
//  terminal cannot be used (then nothing was changed).
zc_screen_t *zc_screen_new (bool colour, size_t max_line_bytes);

//  Give the terminal back as it was.  Safe on NULL.
void zc_screen_destroy (zc_screen_t **self_p);

//  Add a line to the messages.  name (may be NULL) is shown in its colour
//  before the text, bold if own; prefix (may be NULL) goes first, dim.
void zc_screen_add (zc_screen_t *self, const char *prefix, const char *name, bool own,
                    const char *text, size_t len);

//  Add a notice line ("-!- text"), printf style.
void zc_screen_info (zc_screen_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Set the status line and the prompt before the input.
void zc_screen_status (zc_screen_t *self, const char *text);
void zc_screen_prompt (zc_screen_t *self, const char *text);

//  Read the keys waiting (never blocks) and edit the input line.
//  Returns 1 with a line taken (Enter) in out (NUL-terminated, *len_p
//  bytes), -1 when the user asked to quit (Ctrl-D on an empty line), 0
//  otherwise.  Call it again until it returns 0: keys may be buffered.
int zc_screen_input (zc_screen_t *self, char *out, size_t cap, size_t *len_p);

//  Draw what changed, leaving the cursor in the input line.
void zc_screen_draw (zc_screen_t *self);

#endif
