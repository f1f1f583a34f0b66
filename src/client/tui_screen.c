/*  tui_screen.c — chat-client's split screen (tui_screen.h), on ncursesw. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "oom.h"
#include "texthash.h"
#include "tui_line.h"
#include "tui_screen.h"

#define S_KEEP        2000          //  lines kept for scrolling back
#define S_COLOURS     6             //  sender colours: pairs 1..6
#define S_PAIR_INFO   7

typedef struct {
    uint32_t *cps;                  //  what is shown, cleaned
    size_t len;
    size_t name_from, name_to;      //  the sender's name, coloured
    size_t dim_to;                  //  the prefix (time, room), dim
    short pair;                     //  the name's colour, 0 = none
    bool bold;                      //  our own, or a notice
} s_row_t;

struct _zc_screen_t {
    bool colour;
    s_row_t *rows;                  //  a ring of S_KEEP lines
    size_t head, count;
    size_t scroll;                  //  lines scrolled back from the newest
    zc_line_t *line;
    char *status;
    char *prompt;
    bool dirty;
    int escape;                     //  in a key sequence curses did not know:
                                    //  1 after ESC, 2 inside CSI/SS3
};

zc_screen_t *
zc_screen_new (bool colour, size_t max_line_bytes)
{
    if (!initscr ())
        return NULL;
    zc_screen_t *self = ZC_ALLOC (calloc (1, sizeof *self));
    self->rows = ZC_ALLOC (calloc (S_KEEP, sizeof *self->rows));
    self->line = zc_line_new (max_line_bytes, 200);
    self->status = ZC_ALLOC (strdup (""));
    self->prompt = ZC_ALLOC (strdup ("> "));
    cbreak ();
    noecho ();
    nonl ();
    keypad (stdscr, TRUE);
    nodelay (stdscr, TRUE);
    set_escdelay (25);
    self->colour = colour && has_colors ();
    if (self->colour) {
        start_color ();
        use_default_colors ();
        static const short colours [S_COLOURS] = {
            COLOR_GREEN, COLOR_CYAN, COLOR_MAGENTA, COLOR_YELLOW, COLOR_BLUE, COLOR_RED };
        for (short i = 0; i < S_COLOURS; i++)
            init_pair ((short) (i + 1), colours [i], -1);
        init_pair (S_PAIR_INFO, COLOR_WHITE, -1);
    }
    self->dirty = true;
    return self;
}

void
zc_screen_destroy (zc_screen_t **self_p)
{
    zc_screen_t *self = *self_p;
    if (!self)
        return;
    endwin ();
    for (size_t i = 0; i < S_KEEP; i++)
        free (self->rows [i].cps);
    free (self->rows);
    zc_line_destroy (&self->line);
    free (self->status);
    free (self->prompt);
    free (self);
    *self_p = NULL;
}

//  Appends text to cps, cleaned: a control character is '?', a byte that
//  is not UTF-8 is U+FFFD
static size_t
s_clean (uint32_t *cps, size_t at, const char *text, size_t len)
{
    for (size_t i = 0; i < len; ) {
        uint32_t cp;
        size_t size = zc_utf8_decode (text + i, len - i, &cp);
        if (!size) {
            cp = 0xfffd;
            size = 1;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
            cp = '?';
        cps [at++] = cp;
        i += size;
    }
    return at;
}

static s_row_t *
s_new_row (zc_screen_t *self, size_t size)
{
    size_t slot = (self->head + self->count) % S_KEEP;
    if (self->count == S_KEEP)
        self->head = (self->head + 1) % S_KEEP;
    else
        self->count++;
    s_row_t *row = &self->rows [slot];
    free (row->cps);
    *row = (s_row_t) { .cps = ZC_ALLOC (malloc ((size + 1) * sizeof (uint32_t))) };
    if (self->scroll && self->scroll < self->count - 1)
        self->scroll++;             //  the view stays where the reader is
    self->dirty = true;
    return row;
}

void
zc_screen_add (zc_screen_t *self, const char *prefix, const char *name, bool own,
               const char *text, size_t len)
{
    char stamp [16];
    time_t now = time (NULL);
    struct tm tm;
    localtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%H:%M ", &tm);
    size_t plen = prefix? strlen (prefix): 0, nlen = name? strlen (name): 0;
    s_row_t *row = s_new_row (self, strlen (stamp) + plen + nlen + 4 + len);
    size_t at = s_clean (row->cps, 0, stamp, strlen (stamp));
    at = s_clean (row->cps, at, prefix, plen);
    row->dim_to = at;
    if (name) {
        row->cps [at++] = '<';
        row->name_from = at;
        at = s_clean (row->cps, at, name, nlen);
        row->name_to = at;
        row->cps [at++] = '>';
        row->cps [at++] = ' ';
        row->pair = (short) (1 + zc_text_hash (name, nlen) % S_COLOURS);
        row->bold = own;
    }
    row->len = s_clean (row->cps, at, text, len);
}

void
zc_screen_info (zc_screen_t *self, const char *format, ...)
{
    char text [1024] = "-!- ";
    va_list args;
    va_start (args, format);
    vsnprintf (text + 4, sizeof text - 4, format, args);
    va_end (args);
    size_t len = strlen (text);
    s_row_t *row = s_new_row (self, len);
    row->len = s_clean (row->cps, 0, text, len);
    row->dim_to = 3;
    row->pair = S_PAIR_INFO;
}

void
zc_screen_status (zc_screen_t *self, const char *text)
{
    if (strcmp (self->status, text)) {
        free (self->status);
        self->status = ZC_ALLOC (strdup (text));
        self->dirty = true;
    }
}

void
zc_screen_prompt (zc_screen_t *self, const char *text)
{
    if (strcmp (self->prompt, text)) {
        free (self->prompt);
        self->prompt = ZC_ALLOC (strdup (text));
        self->dirty = true;
    }
}

//  Draw one code point at the cursor with attributes
static void
s_put (uint32_t cp, attr_t attr, short pair)
{
    wchar_t wc [2] = { (wchar_t) cp, 0 };
    cchar_t cell;
    if (setcchar (&cell, wc, attr, pair, NULL) == OK)
        add_wch (&cell);
}

//  Rows a line takes at width cols
static int
s_height (const s_row_t *row, int cols)
{
    int rows = 1, x = 0;
    for (size_t i = 0; i < row->len; i++) {
        int w = zc_line_cp_width (row->cps [i]);
        if (x + w > cols) {
            rows++;
            x = 0;
        }
        x += w;
    }
    return rows;
}

//  Draw a line from screen row y (rows above top are skipped)
static void
s_draw_row (zc_screen_t *self, const s_row_t *row, int y, int top, int cols)
{
    int x = 0;
    for (size_t i = 0; i < row->len; i++) {
        int w = zc_line_cp_width (row->cps [i]);
        if (x + w > cols) {
            y++;
            x = 0;
        }
        attr_t attr = A_NORMAL;
        short pair = 0;
        if (i < row->dim_to)
            attr = A_DIM;
        else
        if (i >= row->name_from && i < row->name_to) {
            pair = self->colour? row->pair: 0;
            attr = row->bold? A_BOLD: A_NORMAL;
        }
        else
        if (row->pair == S_PAIR_INFO && !self->colour)
            attr = A_NORMAL;
        if (y >= top) {
            if (x == 0 || w > 0)
                move (y, x);
            s_put (row->cps [i], attr, pair);
        }
        x += w;
    }
}

void
zc_screen_draw (zc_screen_t *self)
{
    if (!self->dirty)
        return;
    self->dirty = false;
    int lines = LINES, cols = COLS;
    erase ();
    int pane = lines - 2;
    //  The messages, from the newest shown upwards
    int bottom = pane;
    for (size_t back = self->scroll; back < self->count && bottom > 0; back++) {
        const s_row_t *row = &self->rows [(self->head + self->count - 1 - back) % S_KEEP];
        int height = s_height (row, cols);
        s_draw_row (self, row, bottom - height, 0, cols);
        bottom -= height;
    }
    //  The status line
    if (lines >= 2) {
        attron (A_REVERSE);
        move (lines - 2, 0);
        for (int x = 0; x < cols; x++)
            addch (' ');
        move (lines - 2, 0);
        int x = 0;
        for (size_t i = 0; self->status [i]; ) {
            uint32_t cp;
            size_t size = zc_utf8_decode (self->status + i, strlen (self->status + i), &cp);
            if (!size)
                break;
            int w = zc_line_cp_width (cp);
            if (x + w > cols)
                break;
            s_put (cp, A_REVERSE, 0);
            x += w;
            i += size;
        }
        if (self->scroll)
            mvaddstr (lines - 2, cols > 12? cols - 12: 0, " [scrolled] ");
        attroff (A_REVERSE);
    }
    //  The input line: the prompt, then as much of the line as fits
    int x = 0;
    move (lines - 1, 0);
    for (const char *p = self->prompt; *p && x < cols / 2; ) {
        uint32_t cp;
        size_t size = zc_utf8_decode (p, strlen (p), &cp);
        if (!size)
            break;
        s_put (cp, A_BOLD, 0);
        x += zc_line_cp_width (cp);
        p += size;
    }
    size_t first;
    int col;
    zc_line_view (self->line, cols - x, &first, &col);
    int used = x;
    for (size_t i = first; i < zc_line_length (self->line); i++) {
        uint32_t cp = zc_line_at (self->line, i);
        int w = zc_line_cp_width (cp);
        if (used + w > cols)
            break;
        s_put (cp, A_NORMAL, 0);
        used += w;
    }
    move (lines - 1, x + col);
    refresh ();
}

//  A key: edit the line, scroll, or say what happened
static int
s_key (zc_screen_t *self, int rc, wint_t key, char *out, size_t cap, size_t *len_p)
{
    if (rc == KEY_CODE_YES) {
        int page = LINES > 4? LINES - 4: 1;
        switch (key) {
            case KEY_LEFT:      zc_line_key (self->line, ZC_LINE_LEFT); break;
            case KEY_RIGHT:     zc_line_key (self->line, ZC_LINE_RIGHT); break;
            case KEY_HOME:      zc_line_key (self->line, ZC_LINE_HOME); break;
            case KEY_END:       zc_line_key (self->line, ZC_LINE_END); break;
            case KEY_UP:        zc_line_key (self->line, ZC_LINE_UP); break;
            case KEY_DOWN:      zc_line_key (self->line, ZC_LINE_DOWN); break;
            case KEY_BACKSPACE: zc_line_key (self->line, ZC_LINE_BACKSPACE); break;
            case KEY_DC:        zc_line_key (self->line, ZC_LINE_DELETE); break;
            case KEY_PPAGE:
                self->scroll = self->scroll + (size_t) page < self->count
                             ? self->scroll + (size_t) page: self->count? self->count - 1: 0;
                break;
            case KEY_NPAGE:
                self->scroll = self->scroll > (size_t) page? self->scroll - (size_t) page: 0;
                break;
            case KEY_ENTER:
                *len_p = zc_line_take (self->line, out, cap);
                return 1;
            case KEY_RESIZE:
            default:
                break;              //  redrawn whole anyway
        }
        return 0;
    }
    //  A sequence of a key the terminfo entry does not name (an ESC, then
    //  '[' or 'O', parameters, a final byte) is dropped, never typed in
    if (self->escape == 1) {
        self->escape = key == '[' || key == 'O'? 2: 0;
        if (self->escape)
            return 0;
    }
    else
    if (self->escape == 2) {
        if (key >= 0x40 && key <= 0x7e)
            self->escape = 0;
        return 0;
    }
    switch (key) {
        case 27:
            self->escape = 1;
            break;
        case '\r': case '\n':
            *len_p = zc_line_take (self->line, out, cap);
            return 1;
        case 127: case 8:   zc_line_key (self->line, ZC_LINE_BACKSPACE); break;
        case 21:            zc_line_key (self->line, ZC_LINE_KILL_START); break;   //  ^U
        case 23:            zc_line_key (self->line, ZC_LINE_KILL_WORD); break;    //  ^W
        case 1:             zc_line_key (self->line, ZC_LINE_HOME); break;         //  ^A
        case 5:             zc_line_key (self->line, ZC_LINE_END); break;          //  ^E
        case 2:             zc_line_key (self->line, ZC_LINE_LEFT); break;         //  ^B
        case 6:             zc_line_key (self->line, ZC_LINE_RIGHT); break;        //  ^F
        case 16:            zc_line_key (self->line, ZC_LINE_UP); break;           //  ^P
        case 14:            zc_line_key (self->line, ZC_LINE_DOWN); break;         //  ^N
        case 4:                                                                     //  ^D
            if (zc_line_length (self->line) == 0)
                return -1;
            zc_line_key (self->line, ZC_LINE_DELETE);
            break;
        case 12:            clearok (curscr, TRUE); break;                         //  ^L
        default:
            zc_line_insert (self->line, (uint32_t) key);
            break;
    }
    return 0;
}

int
zc_screen_input (zc_screen_t *self, char *out, size_t cap, size_t *len_p)
{
    wint_t key;
    int rc;
    while ((rc = get_wch (&key)) != ERR) {
        self->dirty = true;
        int result = s_key (self, rc, key, out, cap, len_p);
        if (result)
            return result;
    }
    return 0;
}
