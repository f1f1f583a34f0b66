/*  logimage.c — a node's log read into memory, and the comparison of two
    (chaos.h, "logs.c"): pure, so that test_chaos_pure tests it.
*/
#include "chaos.h"

#include <stdlib.h>
#include <string.h>

void
zc_log_image_free (zc_log_image_t *image)
{
    for (size_t i = 0; i < image->count; i++)
        free (image->data [i]);
    free (image->data);
    free (image->size);
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
    if (image->count == image->cap) {
        image->cap = image->cap ? image->cap * 2 : 1024;
        image->data = realloc (image->data, image->cap * sizeof (uint8_t *));
        image->size = realloc (image->size, image->cap * sizeof (size_t));
        if (!image->data || !image->size)
            abort ();
    }
    uint8_t *copy = malloc (size ? size : 1);
    if (!copy)
        abort ();
    memcpy (copy, data, size);
    image->data [image->count] = copy;
    image->size [image->count] = size;
    image->count++;
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
        if (a->size [i] != b->size [j] || memcmp (a->data [i], b->data [j], a->size [i])) {
            *seq = s;
            return true;
        }
    }
    return false;
}
