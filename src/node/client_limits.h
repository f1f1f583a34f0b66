/*  client_limits.h — what one client may cost the leader (docs/PROTOCOL.md §4, §7).

    Pure: no sockets, no clock of its own (every call takes `now`, in ms),
    so that tests drive it with any time they like.  Three bounded tables:

    connections   ROUTER identities seen in the last minute, at most
                  max_clients of them: a new one beyond that is refused
                  ("too many clients") until one has been quiet a minute.
    buckets       a token bucket per client (rate per second, burst 2 *
                  rate), keyed by the connection's User-Id when security
                  gives one (so that one key's connections share it), else
                  by the ROUTER identity.  POSTs and FETCHes take a token.
    client ids    per client id: the User-Id that first used it (a client
                  id is then refused from any other) and the rooms it has
                  posted to (at most max_rooms).  Least recently used ids
                  are forgotten beyond ZC_LIMITS_IDS of them: leader
                  memory stays bounded, and a forgotten id is bound again
                  by its next user.

    None of this is replicated: a new leader starts with empty tables.
*/
#ifndef ZC_CLIENT_LIMITS_H
#define ZC_CLIENT_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _zc_limits_t zc_limits_t;

#define ZC_LIMITS_ACTIVE_MS 60000   //  a connection counts this long after its last request
#define ZC_LIMITS_IDS       65536   //  client ids remembered (owner and rooms)

typedef enum {
    ZC_LIMIT_OK = 0,
    ZC_LIMIT_CLIENTS,               //  too many client connections
    ZC_LIMIT_RATE,                  //  out of tokens: slow down
    ZC_LIMIT_ROOMS,                 //  the client id is in max_rooms rooms already
    ZC_LIMIT_OWNER                  //  the client id belongs to another User-Id
} zc_limit_t;

//  max_clients 0: any number of connections; rate 0: no rate limit;
//  max_rooms 0: any number of rooms.
zc_limits_t *zc_limits_new (uint32_t max_clients, uint32_t rate, uint32_t max_rooms);
void zc_limits_destroy (zc_limits_t **self_p);

//  A request on the connection `ident` (len bytes), from `user` (the
//  User-Id, NULL when security is off).  Marks the connection active.  If
//  `costs`, takes a token from the client's bucket.  Returns ZC_LIMIT_OK,
//  ZC_LIMIT_CLIENTS (a new connection while max_clients others were active
//  in the last minute), or ZC_LIMIT_RATE with *retry_ms = the wait until
//  a token is there (>= 1).
zc_limit_t zc_limits_request (zc_limits_t *self, const uint8_t *ident, size_t len,
                              const char *user, bool costs, uint64_t now,
                              uint64_t *retry_ms);

//  A POST by client id `client` from `user` (NULL: security off, no
//  binding) to `room` (NULL for a repeat: no room is counted).  Returns
//  ZC_LIMIT_OK (and binds the id to user, and counts the room), or
//  ZC_LIMIT_OWNER, or ZC_LIMIT_ROOMS.
zc_limit_t zc_limits_post (zc_limits_t *self, const char *client, const char *user,
                           const char *room);

//  True if client id has a User-Id bound to it here.
bool zc_limits_owned (zc_limits_t *self, const char *client);

//  How many connections were active in the last minute (for tests and logs).
size_t zc_limits_clients (zc_limits_t *self, uint64_t now);

#endif
