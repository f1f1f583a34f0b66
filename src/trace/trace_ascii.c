/*  trace_ascii.c — the layout as text (trace_render.h) */
#include "trace_render.h"
#include "oom.h"

#include <stdlib.h>
#include <string.h>

#define S_TIME_W   10           //  "    1234.5"
#define S_MARGIN   2            //  between the time and the first lifeline
#define S_MIN_COL  14

size_t
zc_trender_ascii_column (const zc_tlayout_t *layout)
{
    size_t width = S_MIN_COL;
    for (size_t i = 0; i < layout->row_count; i++) {
        const zc_trow_t *row = &layout->rows [i];
        if (row->kind != ZC_TROW_ARROW)
            continue;
        //  "|--LABEL-->|": the label, 3 before it, 2 after, over the span
        size_t span = row->from < row->to ? row->to - row->from : row->from - row->to;
        if (span == 0)
            continue;
        size_t need = (strlen (row->label) + 5 + span - 1) / span;
        if (need > width)
            width = need;
    }
    return width;
}

static size_t
s_x (size_t col, size_t width)
{
    return S_TIME_W + S_MARGIN + col * width;
}

static void
s_put (char *line, size_t cap, size_t x, const char *text)
{
    for (size_t i = 0; text [i] && x + i < cap - 1; i++)
        line [x + i] = text [i];
}

//  Writes line without its trailing spaces.
static int
s_emit (FILE *out, char *line, size_t cap)
{
    size_t len = strnlen (line, cap);
    while (len && line [len - 1] == ' ')
        len--;
    line [len] = 0;
    return fprintf (out, "%s\n", line) < 0 ? -1 : 0;
}

int
zc_trender_ascii (const zc_tlayout_t *layout, FILE *out)
{
    size_t width = zc_trender_ascii_column (layout);
    size_t last_x = s_x (layout->node_count ? layout->node_count - 1 : 0, width);
    size_t longest = 0;
    for (size_t i = 0; i < layout->row_count; i++)
        if (strlen (layout->rows [i].label) > longest)
            longest = strlen (layout->rows [i].label);
    size_t cap = last_x + width + longest + 16;
    char *line = ZC_ALLOC (malloc (cap));
    int rc = 0;

    memset (line, ' ', cap - 1);
    line [cap - 1] = 0;
    s_put (line, cap, 0, "   time ms");
    for (size_t c = 0; c < layout->node_count; c++) {
        char name [24];
        snprintf (name, sizeof name, "node %u", layout->nodes [c]);
        s_put (line, cap, s_x (c, width), name);
    }
    rc |= s_emit (out, line, cap);

    for (size_t i = 0; i < layout->row_count && rc == 0; i++) {
        const zc_trow_t *row = &layout->rows [i];
        memset (line, ' ', cap - 1);
        line [cap - 1] = 0;
        if (row->kind != ZC_TROW_GAP) {
            char time [32];
            snprintf (time, sizeof time, "%*.1f", S_TIME_W, (double) row->us / 1000.0);
            s_put (line, cap, 0, time);
        }
        for (size_t c = 0; c < layout->node_count; c++)
            if (row->alive & (1ull << c))
                line [s_x (c, width)] = row->kind == ZC_TROW_GAP ? ':' : '|';
        if (row->kind == ZC_TROW_ARROW) {
            size_t lo = row->from < row->to ? row->from : row->to;
            size_t hi = row->from < row->to ? row->to : row->from;
            size_t x0 = s_x (lo, width), x1 = s_x (hi, width);
            for (size_t x = x0 + 1; x < x1; x++)
                line [x] = '-';
            bool right = row->from < row->to;
            line [right ? x1 - 1 : x0 + 1] = row->lost ? 'x' : right ? '>' : '<';
            s_put (line, cap, x0 + 3, row->label);
        }
        else
        if (row->kind == ZC_TROW_NOTE && row->col != ZC_TCOL_CLUSTER) {
            size_t x = s_x (row->col, width);
            line [x] = row->mark;
            s_put (line, cap, x + 2, row->label);
        }
        else
        if (row->kind == ZC_TROW_NOTE) {
            char text [ZC_TROW_LABEL_MAX + 8];
            snprintf (text, sizeof text, "== %s ==", row->label);
            s_put (line, cap, s_x (0, width), text);
        }
        else
            s_put (line, cap, last_x + 4, row->label);
        rc |= s_emit (out, line, cap);
    }
    free (line);
    return rc;
}
