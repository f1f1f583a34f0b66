/*  tui_line.c — the chat-client's input line (tui_line.h).

    The line is an array of code points with its UTF-8 size kept beside
    it; the history is a ring of UTF-8 strings.  Up saves the line being
    typed as the draft, Down past the newest entry brings it back.
*/
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "oom.h"
#include "tui_line.h"

struct _zc_line_t {
    uint32_t *cps;                  //  the code points
    size_t len, cap;                //  code points held, room
    size_t bytes, max_bytes;        //  UTF-8 size now, and its limit
    size_t cursor;                  //  0..len
    size_t first;                   //  first code point shown (zc_line_view)
    char *utf8;                     //  zc_line_text's copy

    char **history;                 //  oldest first
    size_t history_count, history_max;
    size_t browsing;                //  history index shown; history_count = the draft
    char *draft;                    //  what was typed before Up
};

size_t
zc_utf8_decode (const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *) s;
    if (!len)
        return 0;
    if (u [0] < 0x80) {
        *cp = u [0];
        return 1;
    }
    size_t need;
    uint32_t value, min;
    if ((u [0] & 0xe0) == 0xc0)      { need = 2; value = u [0] & 0x1f; min = 0x80; }
    else if ((u [0] & 0xf0) == 0xe0) { need = 3; value = u [0] & 0x0f; min = 0x800; }
    else if ((u [0] & 0xf8) == 0xf0) { need = 4; value = u [0] & 0x07; min = 0x10000; }
    else
        return 0;
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((u [i] & 0xc0) != 0x80)
            return 0;
        value = (value << 6) | (u [i] & 0x3f);
    }
    if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;
    *cp = value;
    return need;
}

size_t
zc_utf8_encode (uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out [0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out [0] = (char) (0xc0 | (cp >> 6));
        out [1] = (char) (0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out [0] = (char) (0xe0 | (cp >> 12));
        out [1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out [2] = (char) (0x80 | (cp & 0x3f));
        return 3;
    }
    out [0] = (char) (0xf0 | (cp >> 18));
    out [1] = (char) (0x80 | ((cp >> 12) & 0x3f));
    out [2] = (char) (0x80 | ((cp >> 6) & 0x3f));
    out [3] = (char) (0x80 | (cp & 0x3f));
    return 4;
}

static size_t
s_cp_bytes (uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

int
zc_line_cp_width (uint32_t cp)
{
    int width = wcwidth ((wchar_t) cp);
    return width < 0 ? 1 : width > 2 ? 2 : width;
}

zc_line_t *
zc_line_new (size_t max_bytes, size_t history_max)
{
    zc_line_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    self->max_bytes = max_bytes;
    self->cap = max_bytes + 1;      //  a code point is at least a byte
    self->cps = ZC_ALLOC (malloc (self->cap * sizeof *self->cps));
    self->utf8 = ZC_ALLOC (malloc (max_bytes + 1));
    self->utf8 [0] = 0;
    self->history_max = history_max;
    if (history_max)
        self->history = ZC_ALLOC (calloc (history_max, sizeof *self->history));
    return self;
}

void
zc_line_destroy (zc_line_t **self_p)
{
    zc_line_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->history_count; i++)
        free (self->history [i]);
    free (self->history);
    free (self->draft);
    free (self->utf8);
    free (self->cps);
    free (self);
    *self_p = NULL;
}

bool
zc_line_insert (zc_line_t *self, uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0x10ffff
    ||  (cp >= 0xd800 && cp <= 0xdfff))
        return false;
    size_t size = s_cp_bytes (cp);
    if (self->bytes + size > self->max_bytes || self->len + 1 > self->cap)
        return false;
    memmove (self->cps + self->cursor + 1, self->cps + self->cursor,
             (self->len - self->cursor) * sizeof *self->cps);
    self->cps [self->cursor++] = cp;
    self->len++;
    self->bytes += size;
    return true;
}

size_t
zc_line_insert_utf8 (zc_line_t *self, const char *text, size_t len)
{
    size_t inserted = 0;
    for (size_t at = 0; at < len; ) {
        uint32_t cp;
        size_t size = zc_utf8_decode (text + at, len - at, &cp);
        if (!size) {
            at++;                   //  not UTF-8: skipped
            continue;
        }
        inserted += zc_line_insert (self, cp);
        at += size;
    }
    return inserted;
}

//  Delete the code points [from, to) and leave the cursor at from.
static void
s_delete (zc_line_t *self, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        self->bytes -= s_cp_bytes (self->cps [i]);
    memmove (self->cps + from, self->cps + to, (self->len - to) * sizeof *self->cps);
    self->len -= to - from;
    self->cursor = from;
}

static void
s_set (zc_line_t *self, const char *text)
{
    self->len = self->bytes = self->cursor = self->first = 0;
    if (text)
        zc_line_insert_utf8 (self, text, strlen (text));
}

static bool
s_blank (uint32_t cp)
{
    return cp == ' ' || cp == '\t';
}

static void
s_history_move (zc_line_t *self, bool older)
{
    if (!self->history_count)
        return;
    if (older) {
        if (self->browsing == 0)
            return;
        if (self->browsing == self->history_count) {
            free (self->draft);
            self->draft = ZC_ALLOC (strdup (zc_line_text (self, NULL)));
        }
        s_set (self, self->history [--self->browsing]);
    }
    else {
        if (self->browsing >= self->history_count)
            return;
        if (++self->browsing == self->history_count)
            s_set (self, self->draft);
        else
            s_set (self, self->history [self->browsing]);
    }
}

void
zc_line_key (zc_line_t *self, zc_line_key_t key)
{
    switch (key) {
        case ZC_LINE_LEFT:
            if (self->cursor)
                self->cursor--;
            break;
        case ZC_LINE_RIGHT:
            if (self->cursor < self->len)
                self->cursor++;
            break;
        case ZC_LINE_HOME:
            self->cursor = 0;
            break;
        case ZC_LINE_END:
            self->cursor = self->len;
            break;
        case ZC_LINE_BACKSPACE:
            if (self->cursor)
                s_delete (self, self->cursor - 1, self->cursor);
            break;
        case ZC_LINE_DELETE:
            if (self->cursor < self->len)
                s_delete (self, self->cursor, self->cursor + 1);
            break;
        case ZC_LINE_KILL_START:
            s_delete (self, 0, self->cursor);
            break;
        case ZC_LINE_KILL_WORD: {
            size_t from = self->cursor;
            while (from && s_blank (self->cps [from - 1]))
                from--;
            while (from && !s_blank (self->cps [from - 1]))
                from--;
            s_delete (self, from, self->cursor);
            break;
        }
        case ZC_LINE_UP:
            s_history_move (self, true);
            break;
        case ZC_LINE_DOWN:
            s_history_move (self, false);
            break;
    }
}

const char *
zc_line_text (zc_line_t *self, size_t *len_p)
{
    size_t at = 0;
    for (size_t i = 0; i < self->len; i++)
        at += zc_utf8_encode (self->cps [i], self->utf8 + at);
    self->utf8 [at] = 0;
    if (len_p)
        *len_p = at;
    return self->utf8;
}

size_t
zc_line_take (zc_line_t *self, char *out, size_t cap)
{
    size_t len;
    const char *text = zc_line_text (self, &len);
    if (len >= cap)
        len = 0;                    //  the caller's buffer is too small: nothing
    memcpy (out, text, len);
    out [len] = 0;
    if (len && self->history_max
    &&  !(self->history_count && strcmp (self->history [self->history_count - 1], text) == 0)) {
        if (self->history_count == self->history_max) {
            free (self->history [0]);
            memmove (self->history, self->history + 1,
                     (self->history_max - 1) * sizeof *self->history);
            self->history_count--;
        }
        self->history [self->history_count++] = ZC_ALLOC (strdup (text));
    }
    self->browsing = self->history_count;
    free (self->draft);
    self->draft = NULL;
    s_set (self, NULL);
    return len;
}

size_t
zc_line_cursor (const zc_line_t *self)
{
    return self->cursor;
}

size_t
zc_line_length (const zc_line_t *self)
{
    return self->len;
}

uint32_t
zc_line_at (const zc_line_t *self, size_t i)
{
    return i < self->len ? self->cps [i] : 0;
}

void
zc_line_view (zc_line_t *self, int width, size_t *first_p, int *col_p)
{
    if (width < 1)
        width = 1;
    if (self->first > self->cursor)
        self->first = self->cursor;
    //  The cursor's own cell must fit too: the columns before it < width
    for (;;) {
        int cols = 0;
        for (size_t i = self->first; i < self->cursor; i++)
            cols += zc_line_cp_width (self->cps [i]);
        if (cols < width || self->first == self->cursor) {
            *col_p = cols < width ? cols : width - 1;
            break;
        }
        self->first++;
    }
    *first_p = self->first;
}
