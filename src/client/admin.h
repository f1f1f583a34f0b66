/*  admin.h — chat-client admin: membership changes (docs/ELECTION.md
    "Membership changes", docs/PROTOCOL.md §4 ADMIN).

    ADMIN {text: "add ID:HOST:PORT" | "remove ID"} goes to every server of
    the list at once; only the serving leader takes it (the others answer
    not_leader).  The leader answers with the configuration entry's ACK
    once it is committed, or an ERROR.  busy (a change not yet committed,
    or a removed leader handing over first), not_leader and no_quorum are
    retried every 200 ms until the deadline; any other ERROR is final.
*/
#ifndef ZC_ADMIN_H
#define ZC_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include "wire.h"

typedef enum { ZC_ADMIN_WAIT, ZC_ADMIN_DONE, ZC_ADMIN_REFUSED } zc_admin_verdict_t;

//  What one reply means.  busy_seen: a leader answered busy earlier (our
//  own change may be the one not yet committed; then "already a member"
//  after an add, or "not a member" after a remove, means it went in).
zc_admin_verdict_t zc_admin_verdict (const zc_msg_t *reply, bool busy_seen);

//  The request's text from the command's words ("add", "4:h:5003"), or -1
//  with a one-line reason in err.
int zc_admin_request (const char *verb, const char *arg, char *out, size_t cap,
                      char *err, size_t errlen);

//  Send it and wait (at most timeout_ms).  0: committed (answer says at
//  which seq); 1: refused or no answer (answer says why); -1: bad server
//  list or keys (err).
int zc_client_admin (const char *servers, const char *keys_dir, const char *request,
                     int timeout_ms, char *answer, size_t cap, char *err, size_t errlen);

#endif
