/*  config_impl.h — what config.c and config_peers.c share.  Not an API.
*/
#ifndef ZC_CONFIG_IMPL_H
#define ZC_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

#define S_OVERLAP_WHY "each node uses P, P+1000, P+2000, P+3000"
#define S_PORT_RANGE  "1..62535, P+3000 must be <= 65535"

//  Writes a one-line message into err (if any) and returns -1.
int zc_config_fail (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Strict unsigned decimal (numparse.h: digits only, nothing before or
//  after).  Overflow saturates to ULLONG_MAX so that a caller that prints
//  the value reports it "out of range".
bool zc_config_decimal (const char *text, unsigned long long *value);

//  Fills cfg->peers from the comma-separated --peers list ("" means no
//  peers), after --id is known.  0, or -1 with a one-line message.
int zc_config_peers_parse (zc_config_t *cfg, const char *text, char *err, size_t errlen);

//  Two nodes on one host with overlapping port sets would fail to bind,
//  or worse, talk to each other's sockets.  0, or -1 with a message.
int zc_config_ports_check (const zc_config_t *cfg, char *err, size_t errlen);

#endif
