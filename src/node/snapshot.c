/*  snapshot.c — see snapshot.h */
#include "snapshot.h"
#include "store.h"
#include "oom.h"

#include <czmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **lines;
    size_t count, cap;
    size_t bytes;
} s_lines_t;

//  A client's retired-at goes along (docs/PROTOCOL.md §5.8): the
//  installer bounds its table by the leader's stamps.
static void
s_collect (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    s_lines_t *lines = arg;
    //  Sized to fit: a configuration's line holds every member's host
    //  (kilobytes), and a line cut short would spoil the whole state
    char *line = ZC_ALLOC (kind == 'c' && at
               ? zsys_sprintf ("client %s %llu %llu\n", key, (unsigned long long) value,
                               (unsigned long long) at)
               : zsys_sprintf ("%s %s %llu\n", kind == 'r' ? "room" : kind == 'c' ? "client"
                             : kind == 'm' ? "members" : "base",
                               key, (unsigned long long) value));
    if (lines->count == lines->cap) {
        lines->cap = lines->cap ? lines->cap * 2 : 64;
        lines->lines = ZC_ALLOC (realloc (lines->lines, lines->cap * sizeof *lines->lines));
    }
    lines->lines [lines->count++] = line;
    lines->bytes += strlen (line);
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

char *
zc_snapshot_text (zc_chatlog_t *log, size_t *size)
{
    s_lines_t lines = { NULL, 0, 0, 0 };
    zc_chatlog_tables_upto (log, zc_chatlog_first_seq (log) - 1, s_collect, &lines);
    //  "base" sorts before "client" and "room": the base line comes first
    qsort (lines.lines, lines.count, sizeof *lines.lines, s_compare);
    char *text = ZC_ALLOC (malloc (lines.bytes + 1));
    size_t at = 0;
    for (size_t i = 0; i < lines.count; i++) {
        size_t len = strlen (lines.lines [i]);
        memcpy (text + at, lines.lines [i], len);
        at += len;
        free (lines.lines [i]);
    }
    text [at] = 0;
    free (lines.lines);
    *size = at;
    return text;
}

size_t
zc_snapshot_chunk (const char *text, size_t size, size_t offset, size_t max)
{
    if (offset >= size || (offset && text [offset - 1] != '\n'))
        return 0;
    size_t len = 0;
    while (offset + len < size) {
        const char *end = memchr (text + offset + len, '\n', size - offset - len);
        size_t line = end ? (size_t) (end - (text + offset + len)) + 1 : size - offset - len;
        if (len && len + line > max)
            break;
        len += line;
        if (len >= max)
            break;
    }
    return len;
}

typedef struct {
    uint64_t base, base_epoch;
    size_t bases;
    const char *why;
} s_check_t;

static void
s_check_line (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    s_check_t *check = arg;
    (void) at;
    if (kind == 's')
        check->why = "a snapshot that holds a snapshot line";
    else
    if (kind == 'b') {
        check->bases++;
        if (strtoull (key, NULL, 10) != check->base || value != check->base_epoch)
            check->why = "a snapshot whose base line is not its base";
    }
}

const char *
zc_snapshot_check (const char *text, size_t size, uint64_t base, uint64_t base_epoch)
{
    char err [256];
    s_check_t check = { base, base_epoch, 0, NULL };
    if (zc_store_parse_retired (text, size, "snapshot", s_check_line, &check, err, sizeof err))
        return "a snapshot that is not a retired state";
    if (!check.why && check.bases != 1)
        check.why = "a snapshot without exactly one base line";
    return check.why;
}

static void
s_install_line (char kind, const char *key, uint64_t value, uint64_t at, void *arg)
{
    //  Rooms, clients, and the configuration in force at the base
    //  (docs/ELECTION.md "Membership changes"): its entry may be retired
    if (kind == 'r' || kind == 'c' || kind == 'm')
        zc_chatlog_set_retired_at ((zc_chatlog_t *) arg, kind, key, value, at);
}

void
zc_snapshot_install (zc_chatlog_t *log, const char *text, size_t size, uint64_t base,
                     uint64_t base_epoch)
{
    char err [256];
    zc_chatlog_truncate (log, 0, NULL);
    zc_chatlog_set_base (log, base, base_epoch);
    zc_store_parse_retired (text, size, "snapshot", s_install_line, log, err, sizeof err);
}
