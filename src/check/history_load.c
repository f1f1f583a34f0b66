/*  history_load.c — the history object and the record file parser.
*/
#include "history_impl.h"
#include "numparse.h"

#include <assert.h>
#include <errno.h>
#include <sys/types.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 12
#define S_WITHDRAWN (ZC_NONE - 1)   //  live map: the id's sent lines are withdrawn

zc_history_t *
zc_history_new (void)
{
    return zc_xcalloc (1, sizeof (zc_history_t));
}

void
zc_history_destroy (zc_history_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_history_t *self = *self_p;
    for (size_t i = 0; i < self->nfiles; i++)
        free (self->files [i].path);
    free (self->files);
    free (self->recvs);
    free (self->sents);
    free (self->acks);
    free (self->losts);
    for (size_t i = 0; i < self->nviols; i++)
        free ((char *) self->viols [i].text);
    free (self->viols);
    zc_strtab_free (&self->strs);
    free (self);
    *self_p = NULL;
}

//  Strict unsigned decimal (numparse.h): digits only, no sign, no overflow.
static int
s_u64 (const char *s, uint64_t *value)
{
    return zc_parse_u64 (s, 0, UINT64_MAX, value) == ZC_PARSE_OK ? 0 : -1;
}

//  Parse tokens [first, first+count) as numbers into values; "positive"
//  numbers (seq, rseq, id) must not be 0.  Returns the index of the first
//  bad token, or -1.
static int
s_numbers (char **tok, int first, int count, uint64_t *values,
           const char *positive)
{
    for (int i = 0; i < count; i++) {
        if (s_u64 (tok [first + i], &values [i]) != 0)
            return first + i;
        if (positive [i] == '1' && values [i] == 0)
            return first + i;
    }
    return -1;
}

//  The optional `t=<16 hex digits>` field among tok [from, ntok): the
//  text's fingerprint (texthash.h).  0 if absent, 1 if found, -1 if bad.
static int
s_text (char **tok, int from, int ntok, uint64_t *text)
{
    for (int i = from; i < ntok; i++) {
        const char *field = tok [i];
        if (strncmp (field, "t=", 2) != 0)
            continue;
        if (strlen (field + 2) != 16 || strspn (field + 2, "0123456789abcdef") != 16)
            return -1;
        *text = strtoull (field + 2, NULL, 16);
        return 1;
    }
    return 0;
}

//  State of one file while it loads
typedef struct {
    zc_history_t *self;
    uint32_t file;
    zc_hfile_t hfile;
    uint64_t max_recv_ts;
    //  A refused id moves the later messages of its client down one id
    //  (chat_client.c): which sent line holds each (client, id) now, and
    //  the withdrawn lines by (client, ts), to find a renumbered one's
    zc_hmap_t live;             //  (client, id) -> sent index, or S_WITHDRAWN
    zc_hmap_t withdrawn;        //  (client, ts) -> first withdrawn sent index
} s_loader_t;

//  `refused client id`: every later message of the client moved down one
//  id, so the sent lines from id up, not acknowledged, no longer name what
//  they named: withdrawn.  Their ids are contiguous (the client's pending
//  messages), so the walk stops at the first id without a live line
static void
s_refused (s_loader_t *ld, uint32_t client, uint64_t id)
{
    zc_history_t *self = ld->self;
    for (uint64_t at = id; ; at++) {
        uint32_t *slot = zc_hmap_find (&ld->live, client, at);
        if (!slot || *slot == S_WITHDRAWN)
            break;
        zc_sent_t *sent = &self->sents [*slot];
        if (sent->acked)
            continue;           //  stored: it keeps its id
        sent->withdrawn = true;
        zc_hmap_put (&ld->withdrawn, client, sent->ts, *slot);
        *slot = S_WITHDRAWN;
    }
}

//  Returns NULL, or a static description of what is wrong.
static const char *
s_parse_line (s_loader_t *ld, char **tok, int ntok, unsigned lineno)
{
    zc_history_t *self = ld->self;
    uint64_t v [5];
    const char *kind = tok [0];

    if (strcmp (kind, "sent") == 0) {
        if (ntok < 4)
            return "sent: expected <client> <id> <ts>";
        if (s_numbers (tok, 2, 2, v, "10") >= 0)
            return "sent: bad number";
        uint64_t text = 0;
        int has_text = s_text (tok, 4, ntok, &text);
        if (has_text < 0)
            return "sent: bad text fingerprint (t=)";
        uint32_t client = zc_strtab_intern (&self->strs, tok [1]);
        //  A message moved down one id keeps its ts and its text, and its
        //  causal floor is what was delivered before it was first posted
        uint64_t prior_ts = ld->max_recv_ts;
        uint32_t *moved = zc_hmap_find (&ld->withdrawn, client, v [1]);
        if (moved) {
            prior_ts = self->sents [*moved].prior_ts;
            if (!has_text && self->sents [*moved].has_text) {
                text = self->sents [*moved].text;
                has_text = 1;
            }
        }
        uint32_t index = (uint32_t) self->nsents;
        self->sents = zc_grow (self->sents, &self->sents_cap,
                               self->nsents + 1, sizeof (zc_sent_t));
        self->sents [self->nsents++] = (zc_sent_t) {
            .id = v [0], .ts = v [1], .prior_ts = prior_ts,
            .text = text, .has_text = has_text == 1,
            .client = client, .file = ld->file, .line = lineno };
        uint32_t *slot = zc_hmap_find (&ld->live, client, v [0]);
        if (!slot)
            zc_hmap_put (&ld->live, client, v [0], index);
        else
        if (*slot == S_WITHDRAWN)
            *slot = index;      //  the id's next message
        ld->hfile.sent++;
    }
    else
    if (strcmp (kind, "ack") == 0) {
        if (ntok < 6)
            return "ack: expected <client> <id> <seq> <ts> <epoch>";
        if (s_numbers (tok, 2, 4, v, "1100") >= 0)
            return "ack: bad number";
        uint64_t node = 0, node_epoch = 0;
        if (ntok >= 7 && (s_u64 (tok [6], &node) != 0 || node > UINT32_MAX))
            return "ack: bad node";
        if (ntok >= 8 && s_u64 (tok [7], &node_epoch) != 0)
            return "ack: bad node epoch";
        uint32_t client = zc_strtab_intern (&self->strs, tok [1]);
        uint32_t *slot = zc_hmap_find (&ld->live, client, v [0]);
        zc_sent_t *sent = slot && *slot != S_WITHDRAWN ? &self->sents [*slot] : NULL;
        if (sent)
            sent->acked = true;
        self->acks = zc_grow (self->acks, &self->acks_cap,
                              self->nacks + 1, sizeof (zc_ack_t));
        self->acks [self->nacks++] = (zc_ack_t) {
            .id = v [0], .seq = v [1], .ts = v [2], .epoch = v [3],
            .node = (uint32_t) node, .node_epoch = node_epoch,
            .client = client, .file = ld->file, .line = lineno,
            .refused = slot && *slot == S_WITHDRAWN,
            .after_start = sent && ld->hfile.has_start && sent->line > ld->hfile.start_line,
            .after_lost = sent && sent->lost };
        ld->hfile.acked++;
    }
    else
    if (strcmp (kind, "lost") == 0) {
        if (ntok < 3)
            return "lost: expected <client> <id>";
        if (s_u64 (tok [2], &v [0]) != 0 || v [0] == 0)
            return "lost: bad id";
        uint32_t client = zc_strtab_intern (&self->strs, tok [1]);
        uint32_t *slot = zc_hmap_find (&ld->live, client, v [0]);
        zc_sent_t *sent = slot && *slot != S_WITHDRAWN ? &self->sents [*slot] : NULL;
        self->losts = zc_grow (self->losts, &self->losts_cap, self->nlosts + 1,
                               sizeof (zc_lost_t));
        self->losts [self->nlosts++] = (zc_lost_t) {
            .id = v [0], .client = client, .file = ld->file, .line = lineno,
            .sent = sent != NULL, .acked = sent && sent->acked };
        if (sent)
            sent->lost = true;
    }
    else
    if (strcmp (kind, "end") == 0) {
        if (ntok < 2 || s_u64 (tok [1], &v [0]) != 0)
            return "end: expected <seq>";
        if (ld->hfile.has_end)
            return "end: a second one";
        ld->hfile.has_end = true;
        ld->hfile.end = v [0];
        ld->hfile.end_line = lineno;
    }
    else
    if (strcmp (kind, "forgotten") == 0) {
        if (ntok < 3)
            return "forgotten: expected <client> <id>";
        if (s_u64 (tok [2], &v [0]) != 0 || v [0] == 0)
            return "forgotten: bad id";
        self->forgotten++;
    }
    else
    if (strcmp (kind, "refused") == 0) {
        if (ntok < 3)
            return "refused: expected <client> <id>";
        if (s_u64 (tok [2], &v [0]) != 0 || v [0] == 0)
            return "refused: bad id";
        s_refused (ld, zc_strtab_intern (&self->strs, tok [1]), v [0]);
        self->refused++;
    }
    else
    if (strcmp (kind, "recv") == 0) {
        if (ntok < 8)
            return "recv: expected <seq> <rseq> <ts> <epoch> <client> <id> <room>";
        if (s_numbers (tok, 1, 4, v, "1100") >= 0)
            return "recv: bad number";
        uint64_t id;
        if (s_u64 (tok [6], &id) != 0 || id == 0)
            return "recv: bad id";
        uint64_t text = 0;
        int has_text = s_text (tok, 8, ntok, &text);
        if (has_text < 0)
            return "recv: bad text fingerprint (t=)";
        uint32_t room = zc_strtab_intern (&self->strs, tok [7]);
        self->recvs = zc_grow (self->recvs, &self->recvs_cap,
                               self->nrecvs + 1, sizeof (zc_recv_t));
        self->recvs [self->nrecvs++] = (zc_recv_t) {
            .seq = v [0], .rseq = v [1], .ts = v [2], .epoch = v [3],
            .id = id, .text = text, .has_text = has_text == 1,
            .client = zc_strtab_intern (&self->strs, tok [5]),
            .room = room, .file = ld->file, .line = lineno };
        if (v [2] > ld->max_recv_ts)
            ld->max_recv_ts = v [2];
        if (ld->hfile.first_room == ZC_NONE)
            ld->hfile.first_room = room;
    }
    else
    if (strcmp (kind, "leader") == 0) {
        if (ntok < 3)
            return "leader: expected <node> <epoch>";
        if (s_u64 (tok [2], &v [0]) != 0)
            return "leader: bad epoch";
        self->leaders++;
    }
    else
    if (strcmp (kind, "room") == 0) {
        if (ntok < 2)
            return "room: expected <name>";
        uint32_t room = zc_strtab_intern (&self->strs, tok [1]);
        if (ld->hfile.room != ZC_NONE && ld->hfile.room != room)
            return "room: a second, different room";
        ld->hfile.room = room;
    }
    else
    if (strcmp (kind, "start") == 0) {
        if (ntok < 2 || s_u64 (tok [1], &v [0]) != 0)
            return "start: expected <seq>";
        if (!ld->hfile.has_start) {     //  only the first counts
            ld->hfile.start = v [0];
            ld->hfile.start_line = lineno;
            ld->hfile.has_start = true;
        }
    }
    //  Anything else: a line kind from a newer client, ignored
    return NULL;
}

static void
s_error (char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || err_size == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, err_size, fmt, args);
    va_end (args);
}

int
zc_history_load_stream (zc_history_t *self, FILE *stream, const char *name,
                        char *err, size_t err_size)
{
    assert (self && stream && name);
    s_loader_t ld = {
        .self = self, .file = (uint32_t) self->nfiles,
        .hfile = { .room = ZC_NONE, .first_room = ZC_NONE,
                   .recv_lo = self->nrecvs } };
    size_t nsents = self->nsents, nacks = self->nacks, nlosts = self->nlosts;
    size_t leaders = self->leaders, refused = self->refused, forgotten = self->forgotten;
    zc_hmap_init (&ld.live, 64);
    zc_hmap_init (&ld.withdrawn, 16);
    size_t lines = 0, torn = 0;
    char *buf = NULL;
    size_t bufsize = 0;
    ssize_t len;
    const char *why = NULL;
    unsigned lineno = 0;

    while (!why && (len = getline (&buf, &bufsize, stream)) >= 0) {
        lineno++;
        if (len == 0 || buf [len - 1] != '\n') {
            torn++;             //  the unfinished write of a killed client
            break;
        }
        lines++;
        buf [--len] = 0;
        if (len > 0 && buf [len - 1] == '\r')
            buf [--len] = 0;
        char *tok [MAX_TOKENS];
        int ntok = 0;
        for (char *save = NULL, *t = strtok_r (buf, " \t", &save);
             t && ntok < MAX_TOKENS; t = strtok_r (NULL, " \t", &save))
            tok [ntok++] = t;
        if (ntok > 0)
            why = s_parse_line (&ld, tok, ntok, lineno);
    }
    if (!why && ferror (stream))
        why = strerror (errno);
    free (buf);
    zc_hmap_free (&ld.live);
    zc_hmap_free (&ld.withdrawn);

    if (why) {                  //  roll back: the file adds nothing
        s_error (err, err_size, "%s:%u: %s", name, lineno, why);
        self->nrecvs = ld.hfile.recv_lo;
        self->nsents = nsents;
        self->nacks = nacks;
        self->nlosts = nlosts;
        self->leaders = leaders;
        self->refused = refused;
        self->forgotten = forgotten;
        return -1;
    }
    ld.hfile.recv_hi = self->nrecvs;
    ld.hfile.path = zc_xstrdup (name);
    self->files = zc_grow (self->files, &self->files_cap,
                           self->nfiles + 1, sizeof (zc_hfile_t));
    self->files [self->nfiles++] = ld.hfile;
    self->lines += lines;
    self->torn += torn;
    return 0;
}

int
zc_history_load_file (zc_history_t *self, const char *path,
                      char *err, size_t err_size)
{
    assert (self && path);
    FILE *stream = fopen (path, "r");
    if (!stream) {
        s_error (err, err_size, "%s: %s", path, strerror (errno));
        return -1;
    }
    int rc = zc_history_load_stream (self, stream, path, err, err_size);
    fclose (stream);
    return rc;
}

static const char *s_kind_names [ZC_HISTORY_KINDS] = {
    "?", "missing", "duplicate", "order", "conflict", "gap", "ack",
    "lamport", "causal", "ids", "room", "split", "bounds" };

const char *
zc_history_kind_name (zc_history_kind_t kind)
{
    return kind > 0 && kind < ZC_HISTORY_KINDS ? s_kind_names [kind] : "?";
}

void
zc_history_opts_default (zc_history_opts_t *opts)
{
    opts->expect_complete = true;
}

const zc_history_violation_t *
zc_history_violation (zc_history_t *self, size_t index)
{
    return self && index < self->nviols ? &self->viols [index] : NULL;
}

void
zc_history_stats (zc_history_t *self, zc_history_stats_t *stats)
{
    assert (self && stats);
    *stats = self->last;
    stats->files = self->nfiles;
    stats->lines = self->lines;
    stats->torn = self->torn;
    stats->sent = self->nsents;
    stats->acked = self->nacks;
    stats->received = self->nrecvs;
    stats->leaders = self->leaders;
    stats->refused = self->refused;
    stats->forgotten = self->forgotten;
    stats->lost = self->nlosts;
}
