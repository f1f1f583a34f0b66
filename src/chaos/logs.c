/*  logs.c — at the end of a run, the nodes' own logs compared.  The
    history checker judges what the clients saw; this judges what the
    nodes keep.  Every seq that two nodes both hold, up to the highest seq
    a client saw acknowledged (the commit point is a prefix, so all of it
    is committed), must be the same bytes on both: one entry per seq, as
    docs/ELECTION.md ("The log across leaders") promises.  Past it a node
    may still hold an uncommitted tail of its own; below a node's first
    seq, retention retired the rest.  Read after the nodes stopped.
*/
#include "chaos.h"

#include <segstore.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int
s_replay (uint64_t seq, const uint8_t *data, size_t size, void *arg)
{
    return zc_log_image_add (arg, seq, data, size);
}

void
zc_logs_compare (zc_chaos_t *ch, uint64_t upto)
{
    zc_log_image_t images [ZC_CHAOS_MAX_NODES];
    memset (images, 0, sizeof (images));
    bool loaded [ZC_CHAOS_MAX_NODES] = { false };
    for (unsigned i = 0; i < ch->nodes; i++) {
        char dir [600], err [512];
        snprintf (dir, sizeof (dir), "%s/data/node-%u", ch->run_dir, ch->node [i].id);
        zc_segstore_t *store = zc_segstore_open (dir, NULL, err, sizeof (err));
        if (!store || zc_segstore_replay (store, s_replay, &images [i], err, sizeof (err))) {
            zc_chaos_violation (ch, "LOGS: node %u's log cannot be read: %s",
                                ch->node [i].id, err);
            zc_log_image_free (&images [i]);
        }
        else
            loaded [i] = true;
        zc_segstore_destroy (&store);
    }
    size_t compared = 0;
    for (unsigned i = 0; i < ch->nodes; i++)
        for (unsigned j = i + 1; j < ch->nodes; j++) {
            uint64_t seq;
            if (!loaded [i] || !loaded [j])
                continue;
            compared++;
            if (zc_log_images_differ (&images [i], &images [j], upto, &seq))
                zc_chaos_violation (ch, "LOGS: nodes %u and %u hold different entries at "
                                    "seq %" PRIu64 " (committed: a client saw seq %" PRIu64
                                    " acknowledged)", ch->node [i].id, ch->node [j].id, seq,
                                    upto);
        }
    char line [256];
    size_t used = (size_t) snprintf (line, sizeof (line), "logs compared up to seq %" PRIu64
                                     " (%zu pairs):", upto, compared);
    for (unsigned i = 0; i < ch->nodes && used < sizeof (line); i++)
        used += (size_t) snprintf (line + used, sizeof (line) - used, " node %u %" PRIu64
                                   "..%" PRIu64, ch->node [i].id, images [i].first,
                                   images [i].count ? images [i].first + images [i].count - 1
                                                    : 0);
    zc_chaos_log (ch, "%s", line);
    for (unsigned i = 0; i < ch->nodes; i++)
        zc_log_image_free (&images [i]);
}
