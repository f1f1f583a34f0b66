/*  roster.c — who is in the room, as join and leave changes (roster.h).
    The known names are a sorted array; a new list is merged against it. */
#include <stdlib.h>
#include <string.h>

#include "oom.h"
#include "roster.h"
#include "wire.h"

struct _zc_roster_t {
    char **names;                   //  sorted, repeats allowed
    size_t count;
    bool known;                     //  a first list was heard
    int64_t grace_until;            //  no leaves before this
};

zc_roster_t *
zc_roster_new (void)
{
    return ZC_ALLOC (calloc (1, sizeof (zc_roster_t)));
}

static void
s_free_names (char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (names [i]);
    free (names);
}

void
zc_roster_destroy (zc_roster_t **self_p)
{
    zc_roster_t *self = *self_p;
    if (!self)
        return;
    s_free_names (self->names, self->count);
    free (self);
    *self_p = NULL;
}

void
zc_roster_leader_changed (zc_roster_t *self, int64_t now)
{
    self->grace_until = now + ZC_ROSTER_GRACE_MS;
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  Split names into a sorted array; NULL if one is not a name
static char **
s_split (const char *names, size_t len, size_t *count_p)
{
    size_t lines = len? 1: 0;
    for (size_t i = 0; i < len; i++)
        lines += names [i] == '\n';
    char **list = ZC_ALLOC (calloc (lines? lines: 1, sizeof *list));
    size_t count = 0;
    for (size_t at = 0; at < len; ) {
        const char *end = memchr (names + at, '\n', len - at);
        size_t size = end? (size_t) (end - (names + at)): len - at;
        if (!zc_name_valid (names + at, size)) {
            s_free_names (list, count);
            return NULL;
        }
        list [count] = ZC_ALLOC (malloc (size + 1));
        memcpy (list [count], names + at, size);
        list [count++] [size] = 0;
        at += size + 1;
    }
    qsort (list, count, sizeof *list, s_compare);
    *count_p = count;
    return list;
}

bool
zc_roster_update (zc_roster_t *self, const char *names, size_t len, uint64_t count,
                  int64_t now, zc_roster_fn *fn, void *arg)
{
    size_t heard_count;
    char **heard = s_split (names, len, &heard_count);
    if (!heard)
        return false;
    bool first = !self->known;
    bool leaves = !first && now >= self->grace_until && count <= heard_count;
    //  Merge: what is in both stays; new names joined; known names not
    //  heard left (or, without leaves, stay)
    char **merged = ZC_ALLOC (calloc (self->count + heard_count + 1, sizeof *merged));
    size_t n = 0, i = 0, j = 0;
    while (i < self->count || j < heard_count) {
        int order = i == self->count? 1: j == heard_count? -1
                  : strcmp (self->names [i], heard [j]);
        if (order == 0) {
            merged [n++] = self->names [i++];
            free (heard [j++]);
        }
        else
        if (order > 0) {                    //  heard, not known: joined
            if (!first)
                fn (arg, heard [j], true);
            merged [n++] = heard [j++];
        }
        else {                              //  known, not heard
            if (leaves) {
                fn (arg, self->names [i], false);
                free (self->names [i++]);
            }
            else
                merged [n++] = self->names [i++];
        }
    }
    free (self->names);
    free (heard);
    self->names = merged;
    self->count = n;
    self->known = true;
    return true;
}

int
zc_roster_names (zc_roster_t *self, char *out, size_t cap)
{
    if (cap)
        out [0] = 0;
    if (!self->known)
        return -1;
    size_t at = 0;
    for (size_t i = 0; i < self->count; i++) {
        size_t size = strlen (self->names [i]) + (i? 2: 0);
        if (at + size + 1 > cap)
            break;
        memcpy (out + at, i? ", ": "", i? 2: 0);
        memcpy (out + at + (i? 2: 0), self->names [i], strlen (self->names [i]) + 1);
        at += size;
    }
    return (int) self->count;
}
