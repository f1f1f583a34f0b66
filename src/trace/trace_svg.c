/*  trace_svg.c — the layout as SVG (trace_render.h): lifelines, one row
    per line, arrows with their labels above, notes beside their mark.
*/
#include "trace_render.h"

#include <string.h>

#define S_ROW    22             //  px per row
#define S_TOP    40             //  the header
#define S_LEFT   90             //  the time column
#define S_COL    170            //  px per node
#define S_RIGHT  220            //  room for the last column's notes

//  Text with &, <, > and " escaped (the labels come from log files).
static void
s_text (FILE *out, const char *text)
{
    for (const char *c = text; *c; c++)
        switch (*c) {
            case '&': fputs ("&amp;", out); break;
            case '<': fputs ("&lt;", out); break;
            case '>': fputs ("&gt;", out); break;
            case '"': fputs ("&quot;", out); break;
            default:
                //  Control characters are not allowed in XML 1.0, and a log
                //  line need not be UTF-8: ASCII only
                fputc ((unsigned char) *c < 0x20 || (unsigned char) *c > 0x7e ? '?' : *c,
                       out);
        }
}

static int
s_x (size_t col)
{
    return S_LEFT + S_COL / 2 + (int) col * S_COL;
}

static int
s_y (size_t row)
{
    return S_TOP + S_ROW / 2 + (int) row * S_ROW;
}

int
zc_trender_svg (const zc_tlayout_t *layout, FILE *out)
{
    int width = S_LEFT + (int) layout->node_count * S_COL + S_RIGHT;
    int height = S_TOP + (int) layout->row_count * S_ROW + S_ROW;
    fprintf (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">\n",
             width, height, width, height);
    fputs ("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", out);
    fprintf (out, "<text x=\"8\" y=\"24\" fill=\"#555\">time ms</text>\n");
    for (size_t c = 0; c < layout->node_count; c++)
        fprintf (out, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-weight=\"bold\">"
                 "node %u</text>\n", s_x (c), layout->nodes [c]);
    //  Lifelines: one segment per row the node is up in
    for (size_t i = 0; i < layout->row_count; i++)
        for (size_t c = 0; c < layout->node_count; c++)
            if (layout->rows [i].alive & (1ull << c))
                fprintf (out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\" "
                         "stroke-width=\"2\"%s/>\n", s_x (c), s_y (i) - S_ROW / 2, s_x (c),
                         s_y (i) + S_ROW / 2,
                         layout->rows [i].kind == ZC_TROW_GAP
                         ? " stroke-dasharray=\"2,3\"" : "");
    for (size_t i = 0; i < layout->row_count; i++) {
        const zc_trow_t *row = &layout->rows [i];
        int y = s_y (i);
        if (row->kind != ZC_TROW_GAP)
            fprintf (out, "<text x=\"8\" y=\"%d\" fill=\"#555\">%.1f</text>\n", y + 4,
                     (double) row->us / 1000.0);
        if (row->kind == ZC_TROW_ARROW) {
            int x0 = s_x (row->from), x1 = s_x (row->to);
            int dir = x1 > x0 ? 1 : -1;
            const char *colour = row->lost ? "#c00" : "#222";
            fputs ("<g>", out);
            if (row->matched)
                fprintf (out, "<title>%.3f ms in flight</title>",
                         (double) row->latency_us / 1000.0);
            fprintf (out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"%s/>",
                     x0, y, x1 - dir * 4, y, colour,
                     row->lost ? " stroke-dasharray=\"5,3\"" : "");
            if (row->lost)
                fprintf (out, "<text x=\"%d\" y=\"%d\" fill=\"#c00\" "
                         "text-anchor=\"middle\">x</text>", x1 - dir * 4, y + 4);
            else
                //  The head drawn, not a marker: every renderer draws a path
                fprintf (out, "<path d=\"M%d,%d L%d,%d L%d,%d z\" fill=\"#222\"/>",
                         x1 - dir * 2, y, x1 - dir * 11, y - 4, x1 - dir * 11, y + 4);
            fprintf (out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">",
                     (x0 + x1) / 2, y - 3, colour);
            s_text (out, row->label);
            fputs ("</text></g>\n", out);
        }
        else
        if (row->kind == ZC_TROW_NOTE && row->col != ZC_TCOL_CLUSTER) {
            int x = s_x (row->col);
            bool bad = row->mark == 'X' || row->mark == '!';
            fprintf (out, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>\n", x, y,
                     bad ? "#c00" : row->mark == '*' ? "#06c" : "#888");
            fprintf (out, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", x + 9, y + 4,
                     bad ? "#c00" : "#06c");
            s_text (out, row->label);
            fputs ("</text>\n", out);
        }
        else {
            bool note = row->kind == ZC_TROW_NOTE;
            fprintf (out, "<text x=\"%d\" y=\"%d\" fill=\"%s\"%s>", note ? S_LEFT : s_x (
                     layout->node_count ? layout->node_count - 1 : 0) + 12, y + 4,
                     note ? "#960" : "#888", note ? " font-weight=\"bold\"" : "");
            s_text (out, row->label);
            fputs ("</text>\n", out);
        }
    }
    return fputs ("</svg>\n", out) < 0 || ferror (out) ? -1 : 0;
}
