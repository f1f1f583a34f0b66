/*  bench_stats.c — see bench_stats.h.  */
#include "bench_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
zb_samples_add (zb_samples_t *self, int64_t usecs)
{
    if (self->count == self->cap) {
        size_t cap = self->cap? self->cap * 2: 65536;
        uint32_t *values = realloc (self->values, cap * sizeof (uint32_t));
        if (!values)
            return -1;
        self->values = values;
        self->cap = cap;
    }
    if (usecs < 0)
        usecs = 0;
    self->values [self->count++] = usecs > UINT32_MAX? UINT32_MAX: (uint32_t) usecs;
    return 0;
}

int
zb_samples_merge (zb_samples_t *self, const zb_samples_t *other)
{
    if (!other->count)
        return 0;
    size_t need = self->count + other->count;
    if (need > self->cap) {
        uint32_t *values = realloc (self->values, need * sizeof (uint32_t));
        if (!values)
            return -1;
        self->values = values;
        self->cap = need;
    }
    memcpy (self->values + self->count, other->values, other->count * sizeof (uint32_t));
    self->count = need;
    return 0;
}

static int
s_compare (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y? -1: x > y;
}

void
zb_samples_sort (zb_samples_t *self)
{
    if (self->count > 1)
        qsort (self->values, self->count, sizeof (uint32_t), s_compare);
}

uint32_t
zb_samples_pct (const zb_samples_t *self, double p)
{
    if (!self->count)
        return 0;
    double rank = ceil (p * (double) self->count);
    size_t index = rank < 1? 0: (size_t) rank - 1;
    if (index >= self->count)
        index = self->count - 1;
    return self->values [index];
}

void
zb_samples_free (zb_samples_t *self)
{
    free (self->values);
    memset (self, 0, sizeof (*self));
}

bool
zb_set_has (const zb_set_t *self, uint64_t n)
{
    return n < self->cap && (self->bits [n >> 3] & (1u << (n & 7)));
}

bool
zb_set_put (zb_set_t *self, uint64_t n)
{
    if (n >= self->cap) {
        uint64_t cap = self->cap? self->cap: 1 << 16;
        while (cap <= n)
            cap *= 2;
        uint8_t *bits = realloc (self->bits, cap / 8);
        if (!bits)
            return false;
        memset (bits + self->cap / 8, 0, (cap - self->cap) / 8);
        self->bits = bits;
        self->cap = cap;
    }
    if (zb_set_has (self, n))
        return true;
    self->bits [n >> 3] |= (uint8_t) (1u << (n & 7));
    if (n > self->top)
        self->top = n;
    while (zb_set_has (self, self->prefix + 1))
        self->prefix++;
    return false;
}

uint64_t
zb_set_missing (const zb_set_t *self, uint64_t upto)
{
    uint64_t missing = 0;
    for (uint64_t n = self->prefix + 1; n <= upto; n++)
        if (!zb_set_has (self, n))
            missing++;
    return missing;
}

void
zb_set_free (zb_set_t *self)
{
    free (self->bits);
    memset (self, 0, sizeof (*self));
}

int
zb_samples_write_cdf (const zb_samples_t *self, const char *path, const char *label)
{
    if (!self->count)
        return 0;
    FILE *file = fopen (path, "a");
    if (!file)
        return -1;
    static const double tail [] = { 0.995, 0.999, 0.9995, 0.9999, 1.0 };
    for (int i = 1; i <= 99; i++)
        fprintf (file, "%s,%.4f,%u\n", label, i / 100.0, zb_samples_pct (self, i / 100.0));
    for (size_t i = 0; i < sizeof tail / sizeof tail [0]; i++)
        fprintf (file, "%s,%.4f,%u\n", label, tail [i], zb_samples_pct (self, tail [i]));
    return fclose (file) ? -1 : 0;
}

void
zb_samples_summary (const zb_samples_t *self, uint32_t out [5])
{
    static const double pcts [5] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
    for (int i = 0; i < 5; i++)
        out [i] = zb_samples_pct (self, pcts [i]);
}
