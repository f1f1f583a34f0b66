/*  members.c — a cluster configuration, pure (members.h; docs/ELECTION.md
    "Membership changes", docs/PROTOCOL.md §5.1 for the hash).
*/
#include <stdio.h>
#include <string.h>
#include "members.h"

static int
s_fail (char *err, size_t errlen, const char *why, const char *text, size_t len)
{
    if (err && errlen)
        snprintf (err, errlen, "%s: \"%.*s\"", why, (int) (len > 80 ? 80 : len), text);
    return -1;
}

static bool
s_decimal (const char *text, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > 10)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        if (text [i] < '0' || text [i] > '9')
            return false;
        value = value * 10 + (uint64_t) (text [i] - '0');
    }
    if (value == 0 || value > max)
        return false;
    *out = value;
    return true;
}

int
zc_member_parse (zc_member_t *out, const char *text, size_t len, char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    const char *colon = memchr (text, ':', len);
    //  The port follows the last colon: "[::1]" holds colons of its own
    const char *last = NULL;
    for (size_t i = len; i > 0; i--)
        if (text [i - 1] == ':') {
            last = text + i - 1;
            break;
        }
    if (!colon || last == colon)
        return s_fail (err, errlen, "want ID:HOST:PORT", text, len);
    uint64_t id, port;
    if (!s_decimal (text, (size_t) (colon - text), ZC_MEMBERS_ID_MAX, &id))
        return s_fail (err, errlen, "the id is not 1..1000000", text, len);
    const char *host = colon + 1;
    size_t host_len = (size_t) (last - host);
    if (host_len == 0 || host_len > ZC_MEMBERS_HOST_MAX)
        return s_fail (err, errlen, "no host", text, len);
    for (size_t i = 0; i < host_len; i++)
        if (host [i] <= ' ' || host [i] >= 0x7f || host [i] == ',')
            return s_fail (err, errlen, "the host holds a blank or a comma", text, len);
    //  The node listens on P, P+1000 and P+2000 (docs/PROTOCOL.md §1)
    if (!s_decimal (last + 1, len - (size_t) (last + 1 - text), 65535 - 2000, &port))
        return s_fail (err, errlen, "the port is not 1..63535", text, len);
    out->id = (uint32_t) id;
    memcpy (out->host, host, host_len);
    out->host [host_len] = 0;
    out->port = (uint16_t) port;
    return 0;
}

int
zc_members_parse (zc_members_t *out, const char *text, size_t len, char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    size_t at = 0;
    while (at < len) {
        const char *item = text + at;
        const char *comma = memchr (item, ',', len - at);
        size_t item_len = comma ? (size_t) (comma - item) : len - at;
        at += item_len + (comma ? 1 : 0);
        zc_member_t member;
        if (zc_member_parse (&member, item, item_len, err, errlen))
            return -1;
        const char *why;
        if (zc_members_add (out, &member, &why))
            return s_fail (err, errlen, why, item, item_len);
        if (comma && at == len)
            return s_fail (err, errlen, "a trailing comma", text, len);
    }
    if (out->count == 0)
        return s_fail (err, errlen, "no members", text, len);
    return 0;
}

//  "ID:HOST:PORT,..." or, without addresses, "ID,..."; 0 and an empty
//  buf if cap is too small
static size_t
s_format (const zc_members_t *self, char *buf, size_t cap, bool addresses)
{
    size_t used = 0;
    if (cap)
        buf [0] = 0;
    for (size_t i = 0; i < self->count; i++) {
        const zc_member_t *member = &self->member [i];
        int n = addresses
              ? snprintf (buf + used, cap - used, "%s%u:%s:%u", i ? "," : "",
                          (unsigned) member->id, member->host, (unsigned) member->port)
              : snprintf (buf + used, cap - used, "%s%u", i ? "," : "", (unsigned) member->id);
        if (n < 0 || (size_t) n >= cap - used) {
            if (cap)
                buf [0] = 0;
            return 0;
        }
        used += (size_t) n;
    }
    return used;
}

size_t
zc_members_format (const zc_members_t *self, char *buf, size_t cap)
{
    return s_format (self, buf, cap, true);
}

size_t
zc_members_ids (const zc_members_t *self, char *buf, size_t cap)
{
    return s_format (self, buf, cap, false);
}

const zc_member_t *
zc_members_find (const zc_members_t *self, uint32_t id)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->member [i].id == id)
            return &self->member [i];
    return NULL;
}

bool
zc_members_has (const zc_members_t *self, uint32_t id)
{
    return zc_members_find (self, id) != NULL;
}

int
zc_members_add (zc_members_t *self, const zc_member_t *member, const char **why)
{
    if (member->id == 0 || member->id > ZC_MEMBERS_ID_MAX) {
        *why = "the id is not 1..1000000";
        return -1;
    }
    if (zc_members_has (self, member->id)) {
        *why = "already a member";
        return -1;
    }
    if (self->count == ZC_ELECTION_MAX_MEMBERS) {
        *why = "the cluster has the most members it can (33)";
        return -1;
    }
    size_t at = self->count;
    while (at > 0 && self->member [at - 1].id > member->id) {
        self->member [at] = self->member [at - 1];
        at--;
    }
    self->member [at] = *member;
    self->count++;
    return 0;
}

int
zc_members_remove (zc_members_t *self, uint32_t id, const char **why)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->member [i].id == id) {
            if (self->count == 1) {
                *why = "the last member cannot be removed";
                return -1;
            }
            memmove (&self->member [i], &self->member [i + 1],
                     (self->count - i - 1) * sizeof self->member [0]);
            self->count--;
            return 0;
        }
    *why = "not a member";
    return -1;
}

bool
zc_members_equal (const zc_members_t *a, const zc_members_t *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (a->member [i].id != b->member [i].id
        ||  a->member [i].port != b->member [i].port
        ||  strcmp (a->member [i].host, b->member [i].host) != 0)
            return false;
    return true;
}

uint32_t
zc_members_quorum (const zc_members_t *self, uint32_t explicit_quorum)
{
    uint32_t majority = (uint32_t) self->count / 2 + 1;
    if (explicit_quorum == 0)
        return majority;
    //  An explicit quorum never exceeds the members (nobody could serve)
    return explicit_quorum > self->count ? (uint32_t) self->count : explicit_quorum;
}

static uint64_t
s_fnv (uint64_t hash, uint64_t value, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        hash ^= (value >> (8 * i)) & 0xff;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

uint64_t
zc_members_hash (const zc_members_t *self, uint32_t quorum)
{
    //  The bytes of docs/PROTOCOL.md §5.1, as zc_config_membership_hash
    //  hashes --peers: the members are sorted already
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char *tag = "zchat-membership-1"; *tag; tag++)
        hash = s_fnv (hash, (unsigned char) *tag, 1);
    hash = s_fnv (hash, self->count, 4);
    for (size_t i = 0; i < self->count; i++) {
        hash = s_fnv (hash, self->member [i].id, 4);
        hash = s_fnv (hash, self->member [i].port, 2);
    }
    hash = s_fnv (hash, quorum, 4);
    return hash ? hash : 1;
}

bool
zc_members_is_entry (const char *room, const char *client)
{
    return strcmp (room, ZC_MEMBERS_ROOM) == 0 && strcmp (client, ZC_MEMBERS_CLIENT) == 0;
}

bool
zc_members_mh_ok (uint64_t my_mseq, uint64_t my_mh, const zc_msg_t *msg)
{
    uint64_t mseq = zc_msg_has (msg, ZF_MSEQ) ? msg->mseq : 0;
    if (my_mseq == 0 && mseq == 0)
        return msg->mh == my_mh;
    return true;
}
