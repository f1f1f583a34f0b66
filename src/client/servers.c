/*  servers.c — see servers.h */
#include "servers.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int
s_fail (char *err, size_t errlen, const char *what, const char *entry)
{
    if (err && errlen)
        snprintf (err, errlen, "--servers: %s%s%s%s", what,
                  entry? " in '": "", entry? entry: "", entry? "'": "");
    return -1;
}

//  Parses one trimmed "host:port" entry; the port is after the last ':'
//  so that "[::1]:50051" works, and a bare IPv6 address must be bracketed.
static int
s_parse_entry (const char *entry, zc_server_addr_t *addr, char *err, size_t errlen)
{
    const char *colon = strrchr (entry, ':');
    if (!colon || colon == entry)
        return s_fail (err, errlen, "expected host:port", entry);
    size_t hostlen = (size_t) (colon - entry);
    if (hostlen > ZC_MAX_HOST)
        return s_fail (err, errlen, "host name too long", entry);
    if (entry [0] != '[' && memchr (entry, ':', hostlen))
        return s_fail (err, errlen, "IPv6 addresses need brackets", entry);
    if (entry [0] == '[' && entry [hostlen - 1] != ']')
        return s_fail (err, errlen, "unbalanced brackets", entry);
    for (size_t i = 0; i < hostlen; i++)
        if (!isgraph ((unsigned char) entry [i]) || entry [i] == '/')
            return s_fail (err, errlen, "bad character in host", entry);

    const char *digits = colon + 1;
    size_t ndigits = strlen (digits);
    if (ndigits == 0 || ndigits > 5 || strspn (digits, "0123456789") != ndigits)
        return s_fail (err, errlen, "port must be a number", entry);
    unsigned long port = 0;
    for (size_t i = 0; i < ndigits; i++)
        port = port * 10 + (unsigned long) (digits [i] - '0');
    if (port < 1 || port + ZC_PUB_OFFSET > 65535)
        return s_fail (err, errlen, "port must be 1..64535", entry);

    memcpy (addr->host, entry, hostlen);
    addr->host [hostlen] = 0;
    addr->port = (uint16_t) port;
    return 0;
}

int
zc_servers_parse (const char *list, zc_server_addr_t *addrs, size_t cap,
                  char *err, size_t errlen)
{
    if (!list)
        return s_fail (err, errlen, "missing", NULL);
    size_t count = 0;
    const char *p = list;
    while (true) {
        const char *end = strchr (p, ',');
        size_t len = end? (size_t) (end - p): strlen (p);
        while (len && isspace ((unsigned char) *p)) {
            p++;
            len--;
        }
        while (len && isspace ((unsigned char) p [len - 1]))
            len--;
        char entry [ZC_MAX_HOST + 16];
        if (len == 0)
            return s_fail (err, errlen, "empty entry", NULL);
        if (len >= sizeof (entry))
            return s_fail (err, errlen, "entry too long", NULL);
        memcpy (entry, p, len);
        entry [len] = 0;
        if (count == cap)
            return s_fail (err, errlen, "too many servers", NULL);
        if (s_parse_entry (entry, &addrs [count], err, errlen))
            return -1;
        for (size_t i = 0; i < count; i++)
            if (addrs [i].port == addrs [count].port
            &&  strcmp (addrs [i].host, addrs [count].host) == 0)
                return s_fail (err, errlen, "duplicate server", entry);
        count++;
        if (!end)
            break;
        p = end + 1;
    }
    return (int) count;
}

int
zc_servers_parse_members (const char *text, size_t len, uint32_t *ids,
                          zc_server_addr_t *addrs, size_t cap)
{
    size_t count = 0, at = 0;
    while (at < len) {
        const char *item = text + at;
        const char *comma = memchr (item, ',', len - at);
        size_t item_len = comma? (size_t) (comma - item): len - at;
        at += item_len + (comma? 1: 0);
        const char *colon = memchr (item, ':', item_len);
        char entry [ZC_MAX_HOST + 16];
        if (!colon || colon == item || count == cap || (comma && at == len))
            return -1;
        size_t id_len = (size_t) (colon - item);
        size_t rest = item_len - id_len - 1;
        if (id_len > 7 || strspn (item, "0123456789") < id_len || rest >= sizeof (entry))
            return -1;
        uint32_t id = 0;
        for (size_t i = 0; i < id_len; i++)
            id = id * 10 + (uint32_t) (item [i] - '0');
        memcpy (entry, colon + 1, rest);
        entry [rest] = 0;
        if (id == 0 || s_parse_entry (entry, &addrs [count], NULL, 0))
            return -1;
        ids [count++] = id;
    }
    return count? (int) count: -1;
}

bool
zc_servers_member_kept (uint32_t node, const uint32_t *ids, size_t count, bool from_leader)
{
    if (node == 0 || !from_leader)
        return true;
    for (size_t i = 0; i < count; i++)
        if (ids [i] == node)
            return true;
    return false;
}

int
zc_servers_endpoint (const zc_server_addr_t *addr, uint16_t port,
                     char *buf, size_t cap)
{
    int n = snprintf (buf, cap, "tcp://%s:%u", addr->host, (unsigned) port);
    return n < 0 || (size_t) n >= cap? -1: 0;
}
