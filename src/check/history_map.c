/*  history_map.c — allocation helpers, a hash map keyed by a pair of
    integers, and string interning, for the history checker.
*/
#include "history_impl.h"

#include <stdlib.h>
#include <string.h>

static void
s_oom (void)
{
    fputs ("zchat-check: out of memory\n", stderr);
    abort ();
}

void *
zc_xmalloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        s_oom ();
    return p;
}

void *
zc_xcalloc (size_t count, size_t size)
{
    void *p = calloc (count ? count : 1, size ? size : 1);
    if (!p)
        s_oom ();
    return p;
}

void *
zc_xrealloc (void *ptr, size_t size)
{
    void *p = realloc (ptr, size ? size : 1);
    if (!p)
        s_oom ();
    return p;
}

char *
zc_xstrdup (const char *s)
{
    size_t len = strlen (s) + 1;
    char *copy = zc_xmalloc (len);
    memcpy (copy, s, len);
    return copy;
}

//  splitmix64 finaliser: good enough spreading for sequential keys
static uint64_t
s_mix (uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static size_t
s_hash (uint64_t a, uint64_t b)
{
    return (size_t) s_mix (a * 0x9e3779b97f4a7c15ull ^ s_mix (b + 1));
}

static void
s_alloc_slots (zc_hmap_t *map, size_t cap)
{
    map->slots = zc_xmalloc (cap * sizeof (zc_hslot_t));
    for (size_t i = 0; i < cap; i++)
        map->slots [i].val = ZC_NONE;
    map->cap = cap;
    map->count = 0;
}

void
zc_hmap_init (zc_hmap_t *map, size_t expect)
{
    size_t cap = 64;
    while (cap < expect * 2)
        cap *= 2;
    s_alloc_slots (map, cap);
}

void
zc_hmap_free (zc_hmap_t *map)
{
    free (map->slots);
    map->slots = NULL;
    map->cap = map->count = 0;
}

static zc_hslot_t *
s_slot (zc_hmap_t *map, uint64_t a, uint64_t b)
{
    size_t mask = map->cap - 1;
    size_t i = s_hash (a, b) & mask;
    while (map->slots [i].val != ZC_NONE
       && (map->slots [i].a != a || map->slots [i].b != b))
        i = (i + 1) & mask;
    return &map->slots [i];
}

uint32_t *
zc_hmap_find (zc_hmap_t *map, uint64_t a, uint64_t b)
{
    zc_hslot_t *slot = s_slot (map, a, b);
    return slot->val == ZC_NONE ? NULL : &slot->val;
}

uint32_t
zc_hmap_put (zc_hmap_t *map, uint64_t a, uint64_t b, uint32_t val)
{
    if ((map->count + 1) * 2 > map->cap) {
        zc_hmap_t bigger;
        s_alloc_slots (&bigger, map->cap * 2);
        for (size_t i = 0; i < map->cap; i++)
            if (map->slots [i].val != ZC_NONE)
                zc_hmap_put (&bigger, map->slots [i].a, map->slots [i].b,
                             map->slots [i].val);
        free (map->slots);
        *map = bigger;
    }
    zc_hslot_t *slot = s_slot (map, a, b);
    if (slot->val != ZC_NONE)
        return slot->val;
    slot->a = a;
    slot->b = b;
    slot->val = val;
    map->count++;
    return val;
}

//  --------------------------------------------------------------------------
//  Strings

static size_t
s_strhash (const char *s)
{
    uint64_t h = 1469598103934665603ull;        //  FNV-1a
    for (; *s; s++)
        h = (h ^ (unsigned char) *s) * 1099511628211ull;
    return (size_t) s_mix (h);
}

void
zc_strtab_free (zc_strtab_t *tab)
{
    for (size_t i = 0; i < tab->count; i++)
        free (tab->strs [i]);
    free (tab->strs);
    free (tab->slots);
    memset (tab, 0, sizeof (*tab));
}

static void
s_strtab_rehash (zc_strtab_t *tab, size_t nslots)
{
    free (tab->slots);
    tab->slots = zc_xmalloc (nslots * sizeof (uint32_t));
    for (size_t i = 0; i < nslots; i++)
        tab->slots [i] = ZC_NONE;
    tab->nslots = nslots;
    for (size_t k = 0; k < tab->count; k++) {
        size_t i = s_strhash (tab->strs [k]) & (nslots - 1);
        while (tab->slots [i] != ZC_NONE)
            i = (i + 1) & (nslots - 1);
        tab->slots [i] = (uint32_t) k;
    }
}

uint32_t
zc_strtab_intern (zc_strtab_t *tab, const char *s)
{
    if ((tab->count + 1) * 2 > tab->nslots)
        s_strtab_rehash (tab, tab->nslots ? tab->nslots * 2 : 64);
    size_t mask = tab->nslots - 1;
    size_t i = s_strhash (s) & mask;
    while (tab->slots [i] != ZC_NONE) {
        if (strcmp (tab->strs [tab->slots [i]], s) == 0)
            return tab->slots [i];
        i = (i + 1) & mask;
    }
    tab->strs = zc_grow (tab->strs, &tab->cap, tab->count + 1,
                         sizeof (char *));
    tab->strs [tab->count] = zc_xstrdup (s);
    tab->slots [i] = (uint32_t) tab->count;
    return (uint32_t) tab->count++;
}
