/*  history_split.c — at most one leader per epoch, as the acks tell it.

    An ack line may name the node that sent the ACK and the epoch that node
    leads (its 7th and 8th fields).  The ack's own epoch is the epoch that
    stamped the entry: a later leader answers a resent message with the
    original epoch, so only (node_epoch, node) says who served when.  Two
    nodes answering as leaders of one epoch is a split brain (SPLIT); a node
    leading an epoch below the one that stamped the entry it acknowledges
    is an impossible ack (ACK).  Each epoch is reported once.
*/
#include "history_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

void
zc_history_check_split (zc_history_t *self, zc_split_report_fn *report,
                        void *arg)
{
    zc_hmap_t first;            //  node_epoch -> first ack naming a node
    zc_hmap_t reported;         //  node_epoch -> already reported
    zc_hmap_init (&first, 64);
    zc_hmap_init (&reported, 16);
    char text [256];
    for (size_t i = 0; i < self->nacks; i++) {
        const zc_ack_t *a = &self->acks [i];
        if (a->node == 0 || a->node_epoch == 0)
            continue;           //  an older node or client: nothing to check
        if (a->node_epoch < a->epoch) {
            snprintf (text, sizeof (text),
                "ack of seq %" PRIu64 " by node %u leading epoch %" PRIu64
                ", below the epoch %" PRIu64 " that stamped it", a->seq,
                a->node, a->node_epoch, a->epoch);
            report (arg, ZC_HISTORY_ACK, a, text);
        }
        uint32_t j = zc_hmap_put (&first, a->node_epoch, 0, (uint32_t) i);
        const zc_ack_t *f = &self->acks [j];
        if (f->node == a->node)
            continue;
        if (zc_hmap_find (&reported, a->node_epoch, 0))
            continue;
        zc_hmap_put (&reported, a->node_epoch, 0, 1);
        //  j != i here: the first ack of this epoch named another node
        snprintf (text, sizeof (text),
            "epoch %" PRIu64 " has two leaders: node %u acknowledged seq %"
            PRIu64 " here, node %u acknowledged seq %" PRIu64 " (%s:%u)",
            a->node_epoch, a->node, a->seq, f->node, f->seq,
            self->files [f->file].path, f->line);
        report (arg, ZC_HISTORY_SPLIT, a, text);
    }
    zc_hmap_free (&reported);
    zc_hmap_free (&first);
}
