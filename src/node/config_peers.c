/*  config_peers.c — --peers: the ID:HOST:PORT list, and the port sets of
    nodes on one host (config_impl.h).  Pure: no I/O.
*/
#include "config.h"
#include "config_impl.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

//  Is this host this machine as far as ports go?  Loopback names, the
//  wildcard (binding "*" takes the port on every interface) and our own
//  --bind all compete for the same ports.
static bool
s_is_local (const char *host, size_t len, const char *bind_host)
{
    static const char *local [] = {
        "localhost", "127.0.0.1", "::1", "*", "0.0.0.0", "::", NULL
    };
    for (int i = 0; local [i]; i++)
        if (strlen (local [i]) == len && strncasecmp (host, local [i], len) == 0)
            return true;
    return strlen (bind_host) == len && strncasecmp (host, bind_host, len) == 0;
}

//  Do two hosts share one set of ports?  Distinct non-local names are
//  assumed to be distinct machines, which may reuse ports freely.
static bool
s_same_host (const char *a, const char *b, const char *bind_host)
{
    size_t alen = strlen (a), blen = strlen (b);
    if (alen >= 2 && a [0] == '[' && a [alen - 1] == ']') { a++; alen -= 2; }
    if (blen >= 2 && b [0] == '[' && b [blen - 1] == ']') { b++; blen -= 2; }
    bool alocal = s_is_local (a, alen, bind_host);
    bool blocal = s_is_local (b, blen, bind_host);
    if (alocal || blocal)
        return alocal && blocal;
    return alen == blen && strncasecmp (a, b, alen) == 0;
}

//  {P, P+1000, P+2000, P+3000} and {Q, ...} meet iff P-Q is a multiple of
//  1000 no larger than 3000 in size (50051 and 51051 do).
static bool
s_ports_overlap (uint16_t p, uint16_t q)
{
    unsigned diff = p > q ? p - q : q - p;
    return diff % 1000 == 0 && diff <= ZC_PORT_HEARTBEAT;
}

//  Parses one "ID:HOST:PORT" (already trimmed, NUL-terminated) into peer.
//  The host is everything between the first and the last colon, so a bare
//  IPv6 address ("2:::1:50052") still splits right.
static int
s_peer_entry (zc_config_t *cfg, char *entry, zc_peer_addr_t *peer,
              char *err, size_t errlen)
{
    char *first = strchr (entry, ':');
    char *last = strrchr (entry, ':');
    unsigned long long id, port;
    if (!first || first == last || first + 1 == last)
        goto malformed;
    *first = *last = '\0';
    bool ok = zc_config_decimal (entry, &id) && zc_config_decimal (last + 1, &port);
    *first = *last = ':';
    if (!ok)
        goto malformed;
    if (id < 1 || id > ZC_MAX_NODE_ID)
        return zc_config_fail (err, errlen, "--peers: peer id %llu out of range (1..%u)",
                       id, ZC_MAX_NODE_ID);
    if (port < 1 || port > ZC_MAX_BASE_PORT)
        return zc_config_fail (err, errlen, "--peers: peer %llu port %llu out of range ("
                       S_PORT_RANGE ")", id, port);
    size_t host_len = (size_t) (last - first - 1);
    if (host_len >= sizeof peer->host)
        return zc_config_fail (err, errlen, "--peers: peer %llu host longer than %zu characters",
                       id, sizeof peer->host - 1);
    if (id == cfg->id)
        return zc_config_fail (err, errlen, "--peers: peer id %llu is this node's own id", id);
    if (zc_config_peer (cfg, (uint32_t) id))
        return zc_config_fail (err, errlen, "--peers: duplicate peer id %llu", id);
    peer->id = (uint32_t) id;
    peer->port = (uint16_t) port;
    memcpy (peer->host, first + 1, host_len);
    peer->host [host_len] = '\0';
    return 0;
malformed:
    return zc_config_fail (err, errlen, "--peers: malformed entry '%s' (want ID:HOST:PORT)", entry);
}

//  Fills cfg->peers from the comma-separated list ("" means no peers).
int
zc_config_peers_parse (zc_config_t *cfg, const char *text, char *err, size_t errlen)
{
    cfg->peer_count = 0;
    while (isspace ((unsigned char) *text))
        text++;
    if (!*text)
        return 0;                   //  a cluster of one
    for (const char *start = text; ; ) {
        const char *end = strchr (start, ',');
        size_t len = end ? (size_t) (end - start) : strlen (start);
        //  Tolerate "1:a:5, 2:b:6" as typed by hand
        while (len && isspace ((unsigned char) *start)) { start++; len--; }
        while (len && isspace ((unsigned char) start [len - 1])) len--;
        char entry [sizeof cfg->peers [0].host + 32];
        if (len >= sizeof entry)
            return zc_config_fail (err, errlen, "--peers: entry '%.40s...' too long", start);
        memcpy (entry, start, len);
        entry [len] = '\0';
        if (cfg->peer_count == ZC_MAX_PEERS)
            return zc_config_fail (err, errlen, "--peers: more than %d peers", ZC_MAX_PEERS);
        zc_peer_addr_t *peer = &cfg->peers [cfg->peer_count];
        if (s_peer_entry (cfg, entry, peer, err, errlen))
            return -1;
        cfg->peer_count++;
        if (!end)
            break;
        start = end + 1;
    }
    return 0;
}

//  Two nodes on one host with overlapping port sets would fail to bind, or
//  worse, one would talk to the other's sockets thinking it is a third.
int
zc_config_ports_check (const zc_config_t *cfg, char *err, size_t errlen)
{
    for (size_t j = 0; j < cfg->peer_count; j++) {
        const zc_peer_addr_t *b = &cfg->peers [j];
        if (s_same_host (cfg->bind_host, b->host, cfg->bind_host)
        &&  s_ports_overlap (cfg->port, b->port))
            return zc_config_fail (err, errlen, "--peers: peer %u port %u overlaps ports of "
                           "this node (--port %u; " S_OVERLAP_WHY ")",
                           (unsigned) b->id, b->port, cfg->port);
        for (size_t i = 0; i < j; i++) {
            const zc_peer_addr_t *a = &cfg->peers [i];
            if (s_same_host (a->host, b->host, cfg->bind_host)
            &&  s_ports_overlap (a->port, b->port))
                return zc_config_fail (err, errlen, "--peers: peer %u port %u overlaps ports "
                               "of peer %u (" S_OVERLAP_WHY ")",
                               (unsigned) b->id, b->port, (unsigned) a->id);
        }
    }
    return 0;
}
