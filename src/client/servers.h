/*  servers.h — the --servers list: "host:port,host:port,...".

    Each entry names a node's client port P; its PUB is at P+1000 unless a
    WELCOME says otherwise.  Hosts are kept as given ("localhost",
    "10.0.0.2", "[::1]"): replies carry ports, never hostnames, so a client
    keeps the host it dialed (docs/DESIGN.md §2).  Pure: no sockets.
*/
#ifndef ZC_SERVERS_H
#define ZC_SERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_MAX_SERVERS   32
#define ZC_MAX_HOST      255
#define ZC_PUB_OFFSET    1000       //  PUB port = client port + 1000

typedef struct {
    char host[ZC_MAX_HOST + 1];     //  as given, brackets kept for IPv6
    uint16_t port;                  //  the node's client (ROUTER) port
} zc_server_addr_t;

//  Parse a comma-separated list into addrs (capacity cap).  Spaces around
//  entries are ignored.  Returns the number of servers (>= 1), or -1 with
//  a one-line message in err: empty list, missing host or port, port not
//  in 1..64535 (its PUB port must exist too), a duplicate, or too many.
int zc_servers_parse (const char *list, zc_server_addr_t *addrs, size_t cap,
                      char *err, size_t errlen);

//  The membership a serving leader's WELCOME carries (`peers`,
//  docs/PROTOCOL.md §4): "ID:HOST:PORT,...".  Fills ids and addrs (at most
//  cap) and returns the count, or -1 if any entry is malformed (the whole
//  list is then ignored).
int zc_servers_parse_members (const char *text, size_t len, uint32_t *ids,
                              zc_server_addr_t *addrs, size_t cap);

//  Whether a server whose node id is `node` (0: not known yet) stays when
//  a WELCOME names these members: only a serving leader's list removes
//  (a backup's committed view may be older than a node we learned).
bool zc_servers_member_kept (uint32_t node, const uint32_t *ids, size_t count,
                             bool from_leader);

//  Write "tcp://host:port" into buf.  Returns 0, or -1 if it does not fit.
int zc_servers_endpoint (const zc_server_addr_t *addr, uint16_t port,
                         char *buf, size_t cap);

#endif
