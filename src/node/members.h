/*  members.h — a cluster configuration: the members (id, host, base port),
    as --peers gives it first and as configuration entries in the log
    change it later (docs/ELECTION.md "Membership changes").

    Pure: parse, format, hash, add and remove, no I/O.  A configuration
    entry is a CHAT entry of the reserved room ZC_MEMBERS_ROOM by the
    reserved client ZC_MEMBERS_CLIENT whose text is the whole new
    configuration in the --peers syntax, "ID:HOST:PORT,ID:HOST:PORT,...",
    sorted by id.  Clients cannot post into that room (core_client.c
    refuses it), so replication, retention, the segment store and the
    view change carry configuration entries as they carry chat.
*/
#ifndef ZC_MEMBERS_H
#define ZC_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "election.h"

#define ZC_MEMBERS_ROOM   "zchat.members"
#define ZC_MEMBERS_CLIENT "00000000000000000000000000000000"
#define ZC_MEMBERS_HOST_MAX 255
#define ZC_MEMBERS_ID_MAX 1000000

typedef struct {
    uint32_t id;
    char host [ZC_MEMBERS_HOST_MAX + 1];
    uint16_t port;                      //  the member's base (client) port
} zc_member_t;

typedef struct {
    zc_member_t member [ZC_ELECTION_MAX_MEMBERS];
    size_t count;                       //  sorted by ascending id, no repeats
} zc_members_t;

//  Parses "ID:HOST:PORT,..." (an IPv6 host in brackets).  0, or -1 with a
//  one-line reason in err.  The result is sorted; a repeated id is refused.
int zc_members_parse (zc_members_t *out, const char *text, size_t len,
                      char *err, size_t errlen);
//  One member, "ID:HOST:PORT" (the admin add request).
int zc_member_parse (zc_member_t *out, const char *text, size_t len,
                     char *err, size_t errlen);
//  The text of a configuration entry; returns its length (0 if cap is
//  too small: the text is then empty).
size_t zc_members_format (const zc_members_t *self, char *buf, size_t cap);
//  "1,2,3": the ids alone (STATUS `members`).
size_t zc_members_ids (const zc_members_t *self, char *buf, size_t cap);

bool zc_members_has (const zc_members_t *self, uint32_t id);
const zc_member_t *zc_members_find (const zc_members_t *self, uint32_t id);
//  Adds or removes one member: 0, or -1 with a static reason in *why.
int zc_members_add (zc_members_t *self, const zc_member_t *member, const char **why);
int zc_members_remove (zc_members_t *self, uint32_t id, const char **why);
bool zc_members_equal (const zc_members_t *a, const zc_members_t *b);

//  The quorum in force: explicit (--quorum given) if not 0, else a
//  majority of the members.
uint32_t zc_members_quorum (const zc_members_t *self, uint32_t explicit_quorum);
//  docs/PROTOCOL.md §5.1: the membership hash of these members and quorum.
uint64_t zc_members_hash (const zc_members_t *self, uint32_t quorum);

//  docs/PROTOCOL.md §5.1: may a peer message with this mh and mseq (0
//  when absent) be acted on by a node whose configuration in force has
//  my_mh and came from the entry at my_mseq (0: --peers)?  Two nodes that
//  both still run on --peers must agree on the hash (a mismatched --peers
//  counts other majorities).  Once either runs on a configuration from
//  the log, the log decides: a node in mid-change must hear the others.
bool zc_members_mh_ok (uint64_t my_mseq, uint64_t my_mh, const zc_msg_t *msg);

//  True if the entry (room, client) is a configuration entry.
bool zc_members_is_entry (const char *room, const char *client);

#endif
