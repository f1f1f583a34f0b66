/*  metrics_http.c — see metrics_http.h.

    The listening socket is ours (bound here, handed to libmicrohttpd), so
    that "address in use" reaches the operator as such at start.  The
    server's thread starts with every signal blocked: SIGINT and SIGTERM
    are the loop's to see.
*/
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct _zc_metrics_http_t {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    zc_metrics_t snapshot;          //  under lock
};

#define S_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result
s_reply (struct MHD_Connection *connection, unsigned status, const char *type,
         char *body, size_t size, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (size, body, mode);
    if (!response) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_request (void *arg, struct MHD_Connection *connection, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_size, void **state)
{
    (void) version; (void) upload_data; (void) state;
    zc_metrics_http_t *self = arg;
    if (*upload_size)
        return MHD_NO;              //  no request of ours has a body
    if (strcmp (method, "GET") && strcmp (method, "HEAD"))
        return s_reply (connection, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                        "GET /metrics only\n", 18, MHD_RESPMEM_PERSISTENT);
    if (strcmp (url, "/metrics"))
        return s_reply (connection, MHD_HTTP_NOT_FOUND, "text/plain",
                        "see /metrics\n", 13, MHD_RESPMEM_PERSISTENT);
    zc_metrics_t copy;
    pthread_mutex_lock (&self->lock);
    copy = self->snapshot;
    pthread_mutex_unlock (&self->lock);
    size_t size = zc_metrics_render (&copy, NULL, 0) + 1;
    char *body = malloc (size);
    if (!body)
        return MHD_NO;
    size_t len = zc_metrics_render (&copy, body, size);
    return s_reply (connection, MHD_HTTP_OK, S_CONTENT_TYPE, body, len, MHD_RESPMEM_MUST_FREE);
}

//  Our own listening socket: -1 with err set on failure.
static int
s_listen (const char *host, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    memset (&addr, 0, sizeof addr);
    socklen_t addr_len;
    char name [64];
    size_t len = strlen (host);
    if (len >= 2 && host [0] == '[' && host [len - 1] == ']' && len - 2 < sizeof name) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &addr;
        memcpy (name, host + 1, len - 2);
        name [len - 2] = 0;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons (port);
        if (inet_pton (AF_INET6, name, &in6->sin6_addr) != 1) {
            snprintf (err, errlen, "--metrics: '%s' is not an IPv6 address", host);
            return -1;
        }
        addr_len = sizeof *in6;
    }
    else {
        struct sockaddr_in *in4 = (struct sockaddr_in *) &addr;
        in4->sin_family = AF_INET;
        in4->sin_port = htons (port);
        const char *ip = strcmp (host, "*") == 0 ? "0.0.0.0"
                       : strcmp (host, "localhost") == 0 ? "127.0.0.1" : host;
        if (inet_pton (AF_INET, ip, &in4->sin_addr) != 1) {
            snprintf (err, errlen, "--metrics: '%s' is not an IP address", host);
            return -1;
        }
        addr_len = sizeof *in4;
    }
    int fd = socket (addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf (err, errlen, "--metrics: cannot create a socket: %s", strerror (errno));
        return -1;
    }
    int on = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (addr.ss_family == AF_INET6)
        setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind (fd, (struct sockaddr *) &addr, addr_len) || listen (fd, 64)) {
        snprintf (err, errlen, "--metrics: cannot listen on %s:%u: %s", host, port,
                  strerror (errno));
        close (fd);
        return -1;
    }
    return fd;
}

zc_metrics_http_t *
zc_metrics_http_new (const char *host, uint16_t port, char *err, size_t errlen)
{
    zc_metrics_http_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    zc_histogram_init_ack (&self->snapshot.ack_latency);
    zc_histogram_init_fsync (&self->snapshot.fsync);
    int fd = s_listen (host, port, err, errlen);
    if (fd < 0) {
        zc_metrics_http_destroy (&self);
        return NULL;
    }
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    //  A few scrapers at once, none allowed to hold a connection long
    self->daemon = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
                                     0, NULL, NULL, s_request, self,
                                     MHD_OPTION_LISTEN_SOCKET, fd,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned) 32,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 10,
                                     MHD_OPTION_END);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (!self->daemon) {
        snprintf (err, errlen, "--metrics: cannot start the HTTP server on %s:%u", host, port);
        close (fd);
        zc_metrics_http_destroy (&self);
        return NULL;
    }
    return self;
}

void
zc_metrics_http_destroy (zc_metrics_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_metrics_http_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);     //  closes the listening socket
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
zc_metrics_http_publish (zc_metrics_http_t *self, const zc_metrics_t *metrics)
{
    pthread_mutex_lock (&self->lock);
    self->snapshot = *metrics;
    pthread_mutex_unlock (&self->lock);
}
