/*  test_tui_line.c — the terminal UI's input line (tui_line.h): editing by
    code point, display widths, Ctrl-U / Ctrl-W, history with its draft,
    the byte limit.  Pure: no terminal. */
#include <locale.h>
#include <string.h>

#include "testutil.h"
#include "tui_line.h"

static const char *
s_text (zc_line_t *line)
{
    return zc_line_text (line, NULL);
}

static void
s_type (zc_line_t *line, const char *text)
{
    zc_line_insert_utf8 (line, text, strlen (text));
}

static void
test_utf8_editing (void)
{
    zc_line_t *line = zc_line_new (100, 10);
    s_type (line, "olá, ação");
    CHECK (zc_line_length (line) == 9);             //  code points, not 12 bytes
    CHECK (zc_line_cursor (line) == 9);
    size_t len;
    CHECK (strcmp (zc_line_text (line, &len), "olá, ação") == 0 && len == 12);
    //  Backspace takes the whole 'o', then 'ã' (two bytes) as one
    zc_line_key (line, ZC_LINE_BACKSPACE);
    zc_line_key (line, ZC_LINE_BACKSPACE);
    CHECKF (strcmp (s_text (line), "olá, aç") == 0, "'%s'", s_text (line));
    //  Left over 'ç', insert before it; Delete takes the 'ç'
    zc_line_key (line, ZC_LINE_LEFT);
    zc_line_insert (line, 0xe9);                    //  é
    CHECKF (strcmp (s_text (line), "olá, aéç") == 0, "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_DELETE);
    CHECKF (strcmp (s_text (line), "olá, aé") == 0, "'%s'", s_text (line));
    //  Home, Delete the 'o', End, type
    zc_line_key (line, ZC_LINE_HOME);
    CHECK (zc_line_cursor (line) == 0);
    zc_line_key (line, ZC_LINE_DELETE);
    zc_line_key (line, ZC_LINE_END);
    s_type (line, "!");
    CHECKF (strcmp (s_text (line), "lá, aé!") == 0, "'%s'", s_text (line));
    //  Movement stops at the ends
    for (int i = 0; i < 20; i++)
        zc_line_key (line, ZC_LINE_RIGHT);
    CHECK (zc_line_cursor (line) == 7);
    for (int i = 0; i < 20; i++)
        zc_line_key (line, ZC_LINE_LEFT);
    CHECK (zc_line_cursor (line) == 0);
    zc_line_key (line, ZC_LINE_BACKSPACE);          //  nothing before the cursor
    CHECK (zc_line_length (line) == 7);
    //  Control characters, surrogates, out of range, bad UTF-8: refused
    CHECK (!zc_line_insert (line, 0x1b));
    CHECK (!zc_line_insert (line, 0x7f));
    CHECK (!zc_line_insert (line, 0x9b));           //  C1 CSI
    CHECK (!zc_line_insert (line, 0xd800));
    CHECK (!zc_line_insert (line, 0x110000));
    CHECK (zc_line_insert_utf8 (line, "\xc3\x28\xe0\x80\x80\xc3", 6) == 1);   //  only '('
    CHECKF (strcmp (s_text (line), "(lá, aé!") == 0, "'%s'", s_text (line));
    zc_line_destroy (&line);
    CHECK (line == NULL);
    zc_line_destroy (&line);                        //  safe twice
}

static void
test_kill (void)
{
    zc_line_t *line = zc_line_new (100, 10);
    s_type (line, "bom dia  ação   ");
    //  Ctrl-W: the blanks after the word, then the word (by code point)
    zc_line_key (line, ZC_LINE_KILL_WORD);
    CHECKF (strcmp (s_text (line), "bom dia  ") == 0, "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_KILL_WORD);
    CHECKF (strcmp (s_text (line), "bom ") == 0, "'%s'", s_text (line));
    //  in the middle: only what is before the cursor goes
    s_type (line, "tarde");
    zc_line_key (line, ZC_LINE_LEFT);
    zc_line_key (line, ZC_LINE_LEFT);
    zc_line_key (line, ZC_LINE_KILL_WORD);
    CHECKF (strcmp (s_text (line), "bom de") == 0 && zc_line_cursor (line) == 4,
            "'%s' at %zu", s_text (line), zc_line_cursor (line));
    //  Ctrl-U: from the start to the cursor
    zc_line_key (line, ZC_LINE_KILL_START);
    CHECKF (strcmp (s_text (line), "de") == 0 && zc_line_cursor (line) == 0,
            "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_KILL_WORD);          //  at the start: nothing
    CHECK (strcmp (s_text (line), "de") == 0);
    zc_line_key (line, ZC_LINE_END);
    zc_line_key (line, ZC_LINE_KILL_START);
    CHECK (zc_line_length (line) == 0);
    zc_line_destroy (&line);
}

static void
test_history (void)
{
    zc_line_t *line = zc_line_new (100, 3);
    char out [101];
    zc_line_key (line, ZC_LINE_UP);                 //  no history: nothing
    CHECK (zc_line_length (line) == 0);
    const char *lines [] = { "um", "dois", "dois", "três", "", "quatro" };
    for (size_t i = 0; i < 6; i++) {
        s_type (line, lines [i]);
        CHECK (zc_line_take (line, out, sizeof out) == strlen (lines [i]));
        CHECK (strcmp (out, lines [i]) == 0);
        CHECK (zc_line_length (line) == 0);
    }
    //  kept: the last three, no repeat of the newest, no empty line
    s_type (line, "meio");                          //  the draft
    zc_line_key (line, ZC_LINE_UP);
    CHECKF (strcmp (s_text (line), "quatro") == 0, "'%s'", s_text (line));
    CHECK (zc_line_cursor (line) == 6);
    zc_line_key (line, ZC_LINE_UP);
    CHECKF (strcmp (s_text (line), "três") == 0, "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_UP);
    CHECKF (strcmp (s_text (line), "dois") == 0, "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_UP);                 //  "um" fell out: stays
    CHECKF (strcmp (s_text (line), "dois") == 0, "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_DOWN);
    zc_line_key (line, ZC_LINE_DOWN);
    CHECKF (strcmp (s_text (line), "quatro") == 0, "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_DOWN);               //  the draft comes back
    CHECKF (strcmp (s_text (line), "meio") == 0, "'%s'", s_text (line));
    zc_line_key (line, ZC_LINE_DOWN);
    CHECK (strcmp (s_text (line), "meio") == 0);
    //  an entry recalled and edited is a new line; the history keeps the old
    zc_line_key (line, ZC_LINE_UP);
    s_type (line, "!");
    zc_line_take (line, out, sizeof out);
    CHECK (strcmp (out, "quatro!") == 0);
    zc_line_key (line, ZC_LINE_UP);
    zc_line_key (line, ZC_LINE_UP);
    CHECKF (strcmp (s_text (line), "quatro") == 0, "'%s'", s_text (line));
    zc_line_destroy (&line);
}

static void
test_limit (void)
{
    zc_line_t *line = zc_line_new (5, 0);
    s_type (line, "ação");                          //  a ç ã fill the 5 bytes: no room for the o
    CHECKF (strcmp (s_text (line), "açã") == 0, "'%s'", s_text (line));
    CHECK (!zc_line_insert (line, 'x'));
    zc_line_key (line, ZC_LINE_BACKSPACE);          //  frees two bytes
    CHECK (zc_line_insert (line, 'x'));
    CHECK (zc_line_insert (line, 'y'));
    CHECK (!zc_line_insert (line, 'z'));
    char out [6];
    CHECK (zc_line_take (line, out, sizeof out) == 5 && strcmp (out, "açxy") == 0);
    zc_line_key (line, ZC_LINE_UP);                 //  history 0: none kept
    CHECK (zc_line_length (line) == 0);
    zc_line_destroy (&line);
}

static void
test_view (void)
{
    zc_line_t *line = zc_line_new (200, 0);
    size_t first;
    int col;
    s_type (line, "ação");
    zc_line_view (line, 10, &first, &col);
    CHECK (first == 0 && col == 4);                 //  columns, not bytes (6)
    //  wide characters take two columns
    zc_line_key (line, ZC_LINE_KILL_START);
    s_type (line, "日本語");
    zc_line_view (line, 10, &first, &col);
    CHECK (first == 0 && col == 6);
    CHECK (zc_line_cp_width (0x65e5) == 2 && zc_line_cp_width ('a') == 1);
    CHECK (zc_line_cp_width (0x301) == 0);          //  a combining accent
    //  a long line scrolls so that the cursor stays in the field
    zc_line_key (line, ZC_LINE_KILL_START);
    s_type (line, "0123456789abcdefghij");
    zc_line_view (line, 8, &first, &col);
    CHECKF (first == 13 && col == 7, "first %zu col %d", first, col);
    //  moving left inside the field does not scroll; past it, it does
    for (int i = 0; i < 5; i++)
        zc_line_key (line, ZC_LINE_LEFT);
    zc_line_view (line, 8, &first, &col);
    CHECKF (first == 13 && col == 2, "first %zu col %d", first, col);
    zc_line_key (line, ZC_LINE_HOME);
    zc_line_view (line, 8, &first, &col);
    CHECK (first == 0 && col == 0);
    CHECK (zc_line_at (line, 0) == '0' && zc_line_at (line, 99) == 0);
    zc_line_destroy (&line);
}

static void
test_utf8_codec (void)
{
    uint32_t cp;
    CHECK (zc_utf8_decode ("\xc3\xa7", 2, &cp) == 2 && cp == 0xe7);
    CHECK (zc_utf8_decode ("\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1f600);
    CHECK (zc_utf8_decode ("\xc0\xaf", 2, &cp) == 0);           //  overlong
    CHECK (zc_utf8_decode ("\xed\xa0\x80", 3, &cp) == 0);       //  surrogate
    CHECK (zc_utf8_decode ("\xf4\x90\x80\x80", 4, &cp) == 0);   //  past U+10FFFF
    CHECK (zc_utf8_decode ("\xe3\xa7", 2, &cp) == 0);           //  cut short
    CHECK (zc_utf8_decode ("\x80", 1, &cp) == 0);
    char out [4];
    uint32_t samples [] = { 0x41, 0xe3, 0x20ac, 0x1f600, 0x10ffff };
    for (size_t i = 0; i < 5; i++) {
        size_t n = zc_utf8_encode (samples [i], out);
        CHECK (zc_utf8_decode (out, n, &cp) == n && cp == samples [i]);
    }
}

int
main (void)
{
    if (!setlocale (LC_CTYPE, "C.UTF-8"))
        setlocale (LC_CTYPE, "en_US.UTF-8");
    test_utf8_editing ();
    test_kill ();
    test_history ();
    test_limit ();
    test_view ();
    test_utf8_codec ();
    return check_report ("test_tui_line");
}
