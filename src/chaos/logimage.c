/*  logimage.c — a node's log read into memory, and the comparison of two
    (chaos.h, "logs.c"): pure, so that test_chaos_pure tests it.
*/
#include "chaos.h"
#include "oom.h"

#include <stdlib.h>
#include <string.h>

void
zc_log_image_free (zc_log_image_t *image)
{
    for (size_t i = 0; i < image->count; i++)
        free (image->records [i].data);
    free (image->records);
    memset (image, 0, sizeof (*image));
}

//  Appends a record (seqs in order, contiguous from image->first)
int
zc_log_image_add (zc_log_image_t *image, uint64_t seq, const uint8_t *data, size_t size)
{
    if (image->count == 0)
        image->first = seq;
    else
    if (seq != image->first + image->count)
        return -1;
    image->records = zc_grow (image->records, &image->cap, image->count + 1,
                              sizeof *image->records);
    uint8_t *copy = ZC_ALLOC (malloc (size ? size : 1));
    memcpy (copy, data, size);
    image->records [image->count++] = (zc_log_record_t) { copy, size };
    return 0;
}

bool
zc_log_images_differ (const zc_log_image_t *a, const zc_log_image_t *b, uint64_t upto,
                      uint64_t *seq)
{
    if (!a->count || !b->count)
        return false;
    uint64_t lo = a->first > b->first ? a->first : b->first;
    uint64_t a_last = a->first + a->count - 1, b_last = b->first + b->count - 1;
    uint64_t hi = a_last < b_last ? a_last : b_last;
    if (hi > upto)
        hi = upto;
    for (uint64_t s = lo; s <= hi && s >= lo; s++) {
        size_t i = (size_t) (s - a->first), j = (size_t) (s - b->first);
        const zc_log_record_t *x = &a->records [i], *y = &b->records [j];
        if (x->size != y->size || memcmp (x->data, y->data, x->size)) {
            *seq = s;
            return true;
        }
    }
    return false;
}
