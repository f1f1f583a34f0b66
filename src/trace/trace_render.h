/*  trace_render.h — a layout (trace_layout.h) drawn as text or as SVG.

    ASCII, for a terminal: a time column (ms since the first event), then
    one lifeline per node; an arrow per message, its label inside
    ("ELECTION e7", "ACCEPT e8 ok"), 'x' at the end of a lost one; notes
    with their mark on the node's lifeline ('*' role, '!' lost leader,
    'X' crash, '+' start, '.' stop); folded repeats as a line of their own
    at the right.  Lines carry no trailing spaces.  SVG: the same chart,
    one row per line, lost arrows dashed in red.
*/
#ifndef ZC_TRACE_RENDER_H
#define ZC_TRACE_RENDER_H

#include <stdio.h>
#include "trace_layout.h"

//  0, or -1 if writing failed.
int zc_trender_ascii (const zc_tlayout_t *layout, FILE *out);
int zc_trender_svg (const zc_tlayout_t *layout, FILE *out);

//  The width of a node's column in the ASCII chart (every label fits).
size_t zc_trender_ascii_column (const zc_tlayout_t *layout);

#endif
