/*  baseline_tcp.c — what the redis and nats clients share: a TCP
    connection to 127.0.0.1:--port and the buffers they read into and
    write from.  Both read and write in large batches: a sender queues
    its commands and writes once ZB_FLUSH_AT bytes are queued (or it has
    nothing more to send), and a read takes all the socket has, up to
    the buffer's room.  See baseline.h.
*/
#include "baseline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define ZB_IN_SIZE      (256 * 1024)

int
zb_buf_init (zb_buf_t *self, size_t cap)
{
    *self = (zb_buf_t) { .data = malloc (cap), .cap = cap };
    return self->data? 0: -1;
}

static int
s_buf_reserve (zb_buf_t *self, size_t len)
{
    if (self->end + len <= self->cap)
        return 0;
    size_t cap = self->cap * 2 > self->end + len? self->cap * 2: self->end + len;
    char *data = realloc (self->data, cap);
    if (!data)
        return -1;
    self->data = data;
    self->cap = cap;
    return 0;
}

int
zb_buf_add (zb_buf_t *self, const void *data, size_t len)
{
    if (s_buf_reserve (self, len))
        return -1;
    memcpy (self->data + self->end, data, len);
    self->end += len;
    return 0;
}

//  Reads what there is after what is kept (flags: MSG_DONTWAIT, or 0 to
//  wait up to the socket's receive timeout).  recv's result.
ssize_t
zb_buf_fill (zb_buf_t *self, int fd, int flags)
{
    if (self->start) {
        memmove (self->data, self->data + self->start, self->end - self->start);
        self->end -= self->start;
        self->start = 0;
    }
    if (self->end == self->cap && s_buf_reserve (self, self->cap))
        return -1;
    ssize_t got = recv (fd, self->data + self->end, self->cap - self->end, flags);
    if (got > 0)
        self->end += (size_t) got;
    return got;
}

int
zb_write_all (int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t sent = send (fd, data, len, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return -1;
        data += sent;
        len -= (size_t) sent;
    }
    return 0;
}

int
zb_buf_flush (zb_buf_t *self, int fd)
{
    int rc = zb_write_all (fd, self->data + self->start, self->end - self->start);
    self->start = self->end = 0;
    return rc;
}

int
zb_tcp_flush (zb_sender_t *self)
{
    return zb_buf_flush (&self->out, self->fd);
}

void
zb_set_rcvtimeo (int fd, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
}

//  A connection to 127.0.0.1:port, with Nagle off (latency at a rate;
//  flat out, the clients write in large batches anyway); -1 and err
int
zb_tcp_connect (const zb_opts_t *opts, zb_buf_t *in, char *err, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) opts->port),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof (addr))) {
        snprintf (err, size, "cannot connect to %s at 127.0.0.1:%d: %s", opts->mode_name,
                  opts->port, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    zb_set_rcvtimeo (fd, 2000);     //  the handshake; ZB_WAIT_MS after it
    if (zb_buf_init (in, ZB_IN_SIZE)) {
        close (fd);
        return -1;
    }
    return fd;
}

//  Used by the handshakes only: the clients' input parses what a read
//  brought in a loop of their own, with direct calls to their parser
int
zb_tcp_next (int fd, zb_buf_t *in, zb_parse_fn *parse, void *unit)
{
    while (true) {
        long used = parse (in->data + in->start, in->data + in->end, unit);
        if (used < 0)
            return -1;
        if (used > 0) {
            in->start += (size_t) used;
            return 0;
        }
        if (zb_buf_fill (in, fd, 0) <= 0)
            return -1;
    }
}
