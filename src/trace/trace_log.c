/*  trace_log.c — see trace_log.h */
#include "trace_log.h"
#include "oom.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    zc_tev_t ev;
    size_t order;           //  reading order, the tie-break
} s_item_t;

struct _zc_tlog_t {
    s_item_t *items;
    size_t count, cap;
    zc_tev_t *events;       //  the sorted view handed out
    size_t malformed;
    char first_error [300];
};

zc_tlog_t *
zc_tlog_new (void)
{
    return ZC_ALLOC (calloc (1, sizeof (zc_tlog_t)));
}

void
zc_tlog_destroy (zc_tlog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->items);
    free ((*self_p)->events);
    free (*self_p);
    *self_p = NULL;
}

int
zc_tlog_add_line (zc_tlog_t *self, const char *line, const char *source, size_t lineno)
{
    zc_tev_t ev;
    const char *error = NULL;
    int rc = zc_tev_parse (line, &ev, &error);
    if (rc < 0) {
        if (self->malformed++ == 0)
            snprintf (self->first_error, sizeof self->first_error, "%s:%zu: %s",
                      source ? source : "-", lineno, error ? error : "malformed");
        return -1;
    }
    if (rc == 0)
        return 0;
    self->items = zc_grow (self->items, &self->cap, self->count + 1, sizeof *self->items);
    self->items [self->count] = (s_item_t) { ev, self->count };
    self->count++;
    return 1;
}

size_t
zc_tlog_read (zc_tlog_t *self, FILE *file, const char *source)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0, added = 0;
    while (getline (&line, &cap, file) >= 0)
        if (zc_tlog_add_line (self, line, source, ++lineno) == 1)
            added++;
    free (line);
    return added;
}

static int
s_compare (const void *a, const void *b)
{
    const s_item_t *x = a, *y = b;
    if (x->ev.us != y->ev.us)
        return x->ev.us < y->ev.us ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

void
zc_tlog_sort (zc_tlog_t *self)
{
    if (self->count)
        qsort (self->items, self->count, sizeof *self->items, s_compare);
}

const zc_tev_t *
zc_tlog_events (zc_tlog_t *self, size_t *count)
{
    free (self->events);
    self->events = NULL;
    *count = self->count;
    if (!self->count)
        return NULL;
    self->events = ZC_ALLOC (malloc (self->count * sizeof *self->events));
    for (size_t i = 0; i < self->count; i++)
        self->events [i] = self->items [i].ev;
    return self->events;
}

size_t
zc_tlog_malformed (zc_tlog_t *self)
{
    return self->malformed;
}

const char *
zc_tlog_first_error (zc_tlog_t *self)
{
    return self->first_error;
}
