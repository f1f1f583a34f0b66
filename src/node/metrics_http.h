/*  metrics_http.h — serves the node's metrics over HTTP (--metrics,
    docs/METRICS.md) with libmicrohttpd on a thread of its own.

    The loop never waits for a scrape and the HTTP thread never reads the
    node's state: the loop publishes a copy of its zc_metrics_t now and
    then (zc_metrics_http_publish: a lock held for one memcpy), and each
    GET /metrics renders the last copy (docs/DECISIONS.md, metrics).
*/
#ifndef ZC_METRICS_HTTP_H
#define ZC_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "metrics.h"

typedef struct _zc_metrics_http_t zc_metrics_http_t;

//  Listens on host (an IPv4 or [IPv6] literal, "*" for every IPv4
//  interface, or "localhost") and port, and serves.  NULL with a one-line
//  reason in err if the address cannot be bound (a port in use) or the
//  server cannot start.
zc_metrics_http_t *zc_metrics_http_new (const char *host, uint16_t port,
                                        char *err, size_t errlen);
void zc_metrics_http_destroy (zc_metrics_http_t **self_p);

//  What the next scrapes show.
void zc_metrics_http_publish (zc_metrics_http_t *self, const zc_metrics_t *metrics);

#endif
