/*  core_members.c — the configuration in force, and ADMIN: membership
    changes (docs/ELECTION.md "Membership changes", docs/PROTOCOL.md §4).

    A change is a configuration entry: a CHAT entry of the reserved room
    ZC_MEMBERS_ROOM whose text is the whole new configuration (members.h).
    A node uses the newest one in its log, committed or not; retention
    keeps the newest retired one in retired.state; with none, --peers.
    The leader takes one change at a time: a second waits until the first
    is committed.  The reply is the entry's ACK once it is committed, or
    an ERROR saying why not.
*/
#include "core_impl.h"
#include "oom.h"

bool
zc_core_members_from_log (zc_core_t *self, zc_members_t *out, uint64_t *seq,
                          uint64_t *epoch)
{
    char text [ZC_MAX_TEXT + 1];
    uint64_t at = zc_chatlog_members_at (self->log, UINT64_MAX, text, sizeof text);
    *epoch = at ? zc_chatlog_epoch_at (self->log, at) : 0;
    const char *retired = NULL;
    if (!at)
        retired = zc_chatlog_retired_members (self->log, &at);
    *seq = at;
    if (!at) {
        *out = self->cfg.members;
        return true;
    }
    const char *source = retired ? retired : text;
    return zc_members_parse (out, source, strlen (source), NULL, 0) == 0;
}

void
zc_core_members_apply (zc_core_t *self, const zc_members_t *members, uint64_t seq,
                       zc_election_config_t *ecfg)
{
    ecfg->member_count = members->count;
    for (size_t i = 0; i < members->count; i++)
        ecfg->members [i] = members->member [i].id;
    ecfg->quorum = zc_members_quorum (members, self->cfg.quorum_explicit);
    ecfg->mh = zc_members_hash (members, ecfg->quorum);
    ecfg->mseq = seq;
}

const zc_members_t *
zc_core_members (zc_core_t *self, uint64_t *version)
{
    if (version)
        *version = self->members_version;
    return &self->members;
}

void
zc_core_members_committed (zc_core_t *self, zc_members_t *out)
{
    char text [ZC_MAX_TEXT + 1];
    uint64_t commit = zc_replica_commit (self->replica);
    uint64_t at = zc_chatlog_members_at (self->log, commit, text, sizeof text);
    uint64_t retired_seq;
    const char *retired = zc_chatlog_retired_members (self->log, &retired_seq);
    const char *source = at ? text : retired;
    if (!source || zc_members_parse (out, source, strlen (source), NULL, 0))
        *out = self->cfg.members;
}

static void
s_refuse (zc_core_t *self, const uint8_t *ident, size_t ident_len, const char *code,
          const char *reason)
{
    zc_core_reply_error (self, ident, ident_len, code, reason);
}

//  Who may change the membership: without security, anyone who reaches a
//  client port bound to loopback; with CURVE, the client key named admin.
static bool
s_trusted (zc_core_t *self, const char *user)
{
    if (!user)
        return self->cfg.admin_open;
    return strcmp (user, "client:admin") == 0;
}

void
zc_core_on_admin (zc_core_t *self, const uint8_t *ident, size_t ident_len,
                  const zc_msg_t *msg, const char *user, uint64_t now)
{
    if (!s_trusted (self, user)) {
        self->refused++;
        s_refuse (self, ident, ident_len, ZC_ERR_BAD_REQUEST, user
                  ? "membership changes need the client key named admin"
                  : "membership changes need a client port on loopback, or security on");
        return;
    }
    if (!zc_core_serving (self, now) || !zc_replica_ready (self->replica)) {
        s_refuse (self, ident, ident_len, ZC_ERR_NOT_LEADER,
                  "membership changes go to the serving leader");
        return;
    }
    char text [ZC_MAX_TEXT + 1];
    zc_str_copy (text, sizeof text, msg->text);
    zc_members_t next = self->members;
    const char *why = NULL;
    uint32_t removing = 0;
    char err [160];
    if (strncmp (text, "add ", 4) == 0) {
        zc_member_t member;
        if (zc_member_parse (&member, text + 4, strlen (text + 4), err, sizeof err)) {
            s_refuse (self, ident, ident_len, ZC_ERR_BAD_REQUEST, err);
            return;
        }
        if (zc_members_add (&next, &member, &why)) {
            s_refuse (self, ident, ident_len, ZC_ERR_BAD_REQUEST, why);
            return;
        }
    }
    else
    if (strncmp (text, "remove ", 7) == 0) {
        char *end = NULL;
        unsigned long id = strtoul (text + 7, &end, 10);
        if (!end || *end || end == text + 7 || id == 0 || id > ZC_MEMBERS_ID_MAX) {
            s_refuse (self, ident, ident_len, ZC_ERR_BAD_REQUEST, "want remove ID");
            return;
        }
        if (zc_members_remove (&next, (uint32_t) id, &why)) {
            s_refuse (self, ident, ident_len, ZC_ERR_BAD_REQUEST, why);
            return;
        }
        removing = (uint32_t) id;
    }
    else {
        s_refuse (self, ident, ident_len, ZC_ERR_BAD_REQUEST,
                  "want add ID:HOST:PORT or remove ID");
        return;
    }
    //  One change at a time (Raft dissertation §4.1): the one in force
    //  must be committed, and so must the log this epoch began with (a
    //  change an older leader left uncommitted is either in it or gone)
    uint64_t commit = zc_replica_commit (self->replica);
    if (self->members_seq > commit || commit < zc_replica_start_seq (self->replica)) {
        char reason [120];
        snprintf (reason, sizeof reason, "a membership change (seq %llu) is not committed yet",
                  (unsigned long long) self->members_seq);
        s_refuse (self, ident, ident_len, ZC_ERR_BUSY, reason);
        return;
    }
    if (removing == self->cfg.election.self) {
        //  A leader that is removed hands over first; the next leader
        //  takes the request again (the client retries on busy)
        zc_core_retire_now (self, now);
        s_refuse (self, ident, ident_len, ZC_ERR_BUSY,
                  "this node leads: handing over first, ask the next leader");
        return;
    }
    char config [ZC_MAX_TEXT + 1];
    size_t len = zc_members_format (&next, config, sizeof config);
    if (!len) {
        s_refuse (self, ident, ident_len, ZC_ERR_LIMIT, "the configuration is too long");
        return;
    }
    zc_msg_t chat;
    zc_msg_init (&chat, ZC_CHAT);
    zc_msg_set_u64 (&chat, ZF_EPOCH, self->lead_epoch);
    zc_msg_set_u64 (&chat, ZF_SEQ, zc_chatlog_last_seq (self->log) + 1);
    zc_msg_set_u64 (&chat, ZF_RSEQ, zc_chatlog_room_rseq (self->log, ZC_MEMBERS_ROOM) + 1);
    zc_msg_set_u64 (&chat, ZF_TS, zc_lamport_stamp (&self->clock, 0));
    zc_msg_set_cstr (&chat, ZF_ROOM, ZC_MEMBERS_ROOM);
    zc_msg_set_cstr (&chat, ZF_FROM, "admin");
    zc_msg_set_cstr (&chat, ZF_CLIENT, ZC_MEMBERS_CLIENT);
    zc_msg_set_u64 (&chat, ZF_ID, zc_chatlog_client_last_id (self->log, ZC_MEMBERS_CLIENT) + 1);
    zc_msg_set_str (&chat, ZF_TEXT, config, len);
    size_t size = zc_msg_encode (&chat, self->buf, sizeof self->buf);
    zc_entry_t *entry = size ? zc_replica_append (self->replica, &chat, self->buf, size) : NULL;
    if (!entry) {
        s_refuse (self, ident, ident_len, ZC_ERR_BUSY, "the log cannot be written");
        return;
    }
    entry->waiter = zc_core_ident_dup (self, ident, ident_len);
    zc_core_logf (self, ZC_CORE_INFO, "membership: %s (seq %llu)", text,
                  (unsigned long long) entry->seq);
}
