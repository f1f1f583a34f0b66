/*  trace_event.c — see trace_event.h; the format is docs/ELECTION.md's
    "Watching an election".
*/
#include "trace_event.h"
#include "numparse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *s_kinds [ZC_TEV_KIND_COUNT] = {
    "send", "recv", "state", "down", "start", "stop", "crash", "note"
};
static const char *s_roles [] = { "backup", "candidate", "leader" };

void
zc_tev_init (zc_tev_t *ev, zc_tev_kind_t kind, uint64_t us, uint32_t node)
{
    memset (ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->us = us;
    ev->node = node;
    ev->granted = -1;
}

bool
zc_tev_traced_type (zc_type_t type)
{
    return type == ZC_ELECTION || type == ZC_ANSWER || type == ZC_PREVOTE
        || type == ZC_PREVOTE_REPLY || type == ZC_COORDINATOR || type == ZC_ACCEPT
        || type == ZC_HANDOVER;
}

bool
zc_tev_from_msg (zc_tev_t *ev, zc_tev_kind_t kind, uint64_t us, uint32_t node,
                 uint32_t peer, const zc_msg_t *msg)
{
    if (!zc_tev_traced_type (msg->type))
        return false;
    zc_tev_init (ev, kind, us, node);
    ev->peer = peer;
    ev->type = msg->type;
    ev->epoch = msg->epoch;
    if (msg->type == ZC_COORDINATOR && zc_msg_has (msg, ZF_LEADER))
        ev->leader = (uint32_t) msg->leader;
    if (zc_msg_has (msg, ZF_GRANTED))
        ev->granted = msg->granted ? 1 : 0;
    return true;
}

const char *
zc_tev_kind_name (zc_tev_kind_t kind)
{
    return (unsigned) kind < ZC_TEV_KIND_COUNT ? s_kinds [kind] : NULL;
}

const char *
zc_trole_name (zc_trole_t role)
{
    return (unsigned) role <= ZC_TROLE_LEADER ? s_roles [role] : NULL;
}

const char *
zc_tev_type_name (zc_type_t type, char *buf, size_t cap)
{
    const char *name = zc_type_name (type);
    size_t i = 0;
    for (; name && name [i] && i + 1 < cap; i++)
        buf [i] = (char) toupper ((unsigned char) name [i]);
    buf [i] = 0;
    return buf;
}

size_t
zc_tev_format (const zc_tev_t *ev, char *buf, size_t cap)
{
    const char *kind = zc_tev_kind_name (ev->kind);
    if (!kind || cap == 0)
        return 0;
    size_t used = 0;
    int n = snprintf (buf, cap, ZC_TEV_MARKER "us=%llu node=%u ev=%s",
                      (unsigned long long) ev->us, ev->node, kind);
#define S_ADD(...) do { \
        if (n < 0 || (size_t) n >= cap - used) return 0; \
        used += (size_t) n; \
        n = snprintf (buf + used, cap - used, __VA_ARGS__); \
    } while (0)
    char type [32];
    switch (ev->kind) {
        case ZC_TEV_SEND:
        case ZC_TEV_RECV:
            S_ADD (" peer=%u msg=%s epoch=%llu", ev->peer,
                   zc_tev_type_name (ev->type, type, sizeof type),
                   (unsigned long long) ev->epoch);
            if (ev->leader)
                S_ADD (" leader=%u", ev->leader);
            if (ev->granted >= 0)
                S_ADD (" granted=%d", ev->granted);
            break;
        case ZC_TEV_STATE:
            S_ADD (" epoch=%llu leader=%u role=%s serving=%d",
                   (unsigned long long) ev->epoch, ev->leader,
                   zc_trole_name (ev->role) ? zc_trole_name (ev->role) : "backup",
                   ev->serving ? 1 : 0);
            break;
        case ZC_TEV_DOWN:
            S_ADD (" peer=%u", ev->peer);
            break;
        case ZC_TEV_START:
            S_ADD (" epoch=%llu leader=%u", (unsigned long long) ev->epoch, ev->leader);
            break;
        case ZC_TEV_NOTE: {
            //  The text runs to the end of the line: no newline inside
            char text [ZC_TEV_TEXT_MAX];
            size_t i = 0;
            for (; ev->text [i] && i + 1 < sizeof text; i++)
                text [i] = ev->text [i] == '\n' || ev->text [i] == '\r' ? ' ' : ev->text [i];
            text [i] = 0;
            S_ADD (" text=%s", text);
            break;
        }
        default:
            break;
    }
    S_ADD ("%s", "");
#undef S_ADD
    return used;
}

//  Which keys a line has (bit per key), and which each kind needs.
enum { K_US = 1, K_NODE = 2, K_EV = 4, K_PEER = 8, K_MSG = 16, K_EPOCH = 32,
       K_LEADER = 64, K_GRANTED = 128, K_ROLE = 256, K_SERVING = 512, K_TEXT = 1024 };

static const unsigned s_needs [ZC_TEV_KIND_COUNT] = {
    [ZC_TEV_SEND]  = K_PEER | K_MSG | K_EPOCH,
    [ZC_TEV_RECV]  = K_PEER | K_MSG | K_EPOCH,
    [ZC_TEV_STATE] = K_EPOCH | K_LEADER | K_ROLE | K_SERVING,
    [ZC_TEV_DOWN]  = K_PEER,
    [ZC_TEV_START] = K_EPOCH | K_LEADER,
};

static bool
s_word_is (const char *word, size_t len, const char *name)
{
    return strlen (name) == len && memcmp (word, name, len) == 0;
}

//  A number of [min, max] from value..value+len.  0 or -1.
static int
s_number (const char *value, size_t len, uint64_t max, uint64_t *out)
{
    char text [24];
    if (len == 0 || len >= sizeof text)
        return -1;
    memcpy (text, value, len);
    text [len] = 0;
    return zc_parse_u64 (text, 0, max, out) == ZC_PARSE_OK ? 0 : -1;
}

//  One key=value into ev; K_* of the key, 0 for an unknown key, -1 on a
//  bad value (with *error set).
static int
s_field (zc_tev_t *ev, const char *key, size_t klen, const char *value, size_t vlen,
         const char **error)
{
    uint64_t number = 0;
#define S_NUM(bit, max, dest, what) do { \
        if (s_number (value, vlen, (max), &number)) { *error = what; return -1; } \
        dest = number; return bit; \
    } while (0)
    if (s_word_is (key, klen, "us"))
        S_NUM (K_US, UINT64_MAX, ev->us, "us: not a number");
    if (s_word_is (key, klen, "node"))
        S_NUM (K_NODE, UINT32_MAX, ev->node, "node: not a node id");
    if (s_word_is (key, klen, "peer"))
        S_NUM (K_PEER, UINT32_MAX, ev->peer, "peer: not a node id");
    if (s_word_is (key, klen, "epoch"))
        S_NUM (K_EPOCH, UINT64_MAX, ev->epoch, "epoch: not a number");
    if (s_word_is (key, klen, "leader"))
        S_NUM (K_LEADER, UINT32_MAX, ev->leader, "leader: not a node id");
    if (s_word_is (key, klen, "granted"))
        S_NUM (K_GRANTED, 1, ev->granted, "granted: not 0 or 1");
    if (s_word_is (key, klen, "serving"))
        S_NUM (K_SERVING, 1, ev->serving, "serving: not 0 or 1");
#undef S_NUM
    if (s_word_is (key, klen, "ev")) {
        for (int kind = 0; kind < ZC_TEV_KIND_COUNT; kind++)
            if (s_word_is (value, vlen, s_kinds [kind])) {
                ev->kind = (zc_tev_kind_t) kind;
                return K_EV;
            }
        *error = "ev: unknown kind";
        return -1;
    }
    if (s_word_is (key, klen, "role")) {
        for (int role = 0; role <= ZC_TROLE_LEADER; role++)
            if (s_word_is (value, vlen, s_roles [role])) {
                ev->role = (zc_trole_t) role;
                return K_ROLE;
            }
        *error = "role: not backup, candidate or leader";
        return -1;
    }
    if (s_word_is (key, klen, "msg")) {
        char name [32];
        if (vlen == 0 || vlen >= sizeof name) {
            *error = "msg: unknown message type";
            return -1;
        }
        for (size_t i = 0; i < vlen; i++)
            name [i] = (char) tolower ((unsigned char) value [i]);
        ev->type = zc_type_from_name (name, vlen);
        if (ev->type == ZC_UNKNOWN) {
            *error = "msg: unknown message type";
            return -1;
        }
        return K_MSG;
    }
    return 0;
}

int
zc_tev_parse (const char *line, zc_tev_t *ev, const char **error)
{
    const char *dummy;
    if (!error)
        error = &dummy;
    *error = NULL;
    const char *at = line ? strstr (line, ZC_TEV_MARKER) : NULL;
    if (!at)
        return 0;
    zc_tev_init (ev, ZC_TEV_NOTE, 0, 0);
    at += strlen (ZC_TEV_MARKER);
    unsigned seen = 0;
    while (*at && *at != '\n' && *at != '\r') {
        if (*at == ' ') {
            at++;
            continue;
        }
        const char *key = at;
        const char *eq = key;
        while (*eq && *eq != '=' && *eq != ' ' && *eq != '\n' && *eq != '\r')
            eq++;
        if (*eq != '=' || eq == key) {
            *error = "expected key=value";
            return -1;
        }
        size_t klen = (size_t) (eq - key);
        const char *value = eq + 1;
        if (s_word_is (key, klen, "text")) {
            //  The rest of the line
            size_t vlen = strcspn (value, "\r\n");
            if (vlen >= sizeof ev->text)
                vlen = sizeof ev->text - 1;
            memcpy (ev->text, value, vlen);
            ev->text [vlen] = 0;
            seen |= K_TEXT;
            break;
        }
        size_t vlen = strcspn (value, " \r\n");
        int bit = s_field (ev, key, klen, value, vlen, error);
        if (bit < 0)
            return -1;
        if (bit & seen) {
            *error = "a key given twice";
            return -1;
        }
        seen |= (unsigned) bit;
        at = value + vlen;
    }
    if ((seen & (K_US | K_NODE | K_EV)) != (K_US | K_NODE | K_EV)) {
        *error = "us, node and ev are required";
        return -1;
    }
    unsigned need = s_needs [ev->kind];
    if ((seen & need) != need) {
        *error = "a key this kind of event needs is missing";
        return -1;
    }
    if ((ev->kind == ZC_TEV_SEND || ev->kind == ZC_TEV_RECV) && !zc_tev_traced_type (ev->type)) {
        *error = "msg: not an election message";
        return -1;
    }
    if (ev->node == 0 && ev->kind != ZC_TEV_NOTE) {
        *error = "node 0 writes notes only";
        return -1;
    }
    return 1;
}

bool
zc_tev_state_changed (zc_tstate_t *last, zc_tev_t *ev, uint64_t us, uint32_t node,
                      zc_trole_t role, uint64_t epoch, uint32_t leader, bool serving)
{
    if (last->known && last->role == role && last->epoch == epoch
    &&  last->leader == leader && last->serving == serving)
        return false;
    *last = (zc_tstate_t) { true, role, epoch, leader, serving };
    zc_tev_init (ev, ZC_TEV_STATE, us, node);
    ev->role = role;
    ev->epoch = epoch;
    ev->leader = leader;
    ev->serving = serving;
    return true;
}
