/*  proxy.c — a small delaying TCP proxy (the kernel here has no netem).

    One thread, poll(2).  It listens on listen_host at each port and, for
    every connection accepted, dials target_host at the same port (bound to
    listen_host, so the target sees the proxy's address).  Bytes read on
    either side are queued with a due time, now + delay (never before the
    bytes queued ahead of them: order is kept), and written when due.  With
    delay 0 it is a plain relay.  Either side closing closes both.
*/
#include "chaos.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PX_PORTS    4
#define PX_CONNS    64
#define PX_CHUNK    65536
#define PX_LIMIT    (8u << 20)      //  queued bytes per direction before we stop reading

typedef struct s_chunk {
    struct s_chunk *next;
    int64_t due;
    size_t len, off;
    char data [];
} s_chunk_t;

typedef struct {
    s_chunk_t *head, *tail;
    size_t bytes;
    int64_t last_due;
    bool want_out;              //  due bytes wait for the socket to drain
} s_queue_t;

typedef struct {
    bool used, connecting;
    int a, b;                   //  accepted, upstream
    s_queue_t ab, ba;
} s_conn_t;

struct zc_proxy {
    pthread_t thread;
    bool started;
    int wake [2];
    atomic_uint delay_ms;
    atomic_bool stop;
    atomic_uint_fast64_t accepted, bytes;
    int listen_fd [PX_PORTS];
    uint16_t port [PX_PORTS];
    size_t nports;
    struct sockaddr_in src, dst;
    s_conn_t conns [PX_CONNS];
};

static void
s_queue_free (s_queue_t *q)
{
    while (q->head) {
        s_chunk_t *next = q->head->next;
        free (q->head);
        q->head = next;
    }
    memset (q, 0, sizeof (*q));
}

static void
s_conn_close (s_conn_t *c)
{
    if (c->a >= 0)
        close (c->a);
    if (c->b >= 0)
        close (c->b);
    s_queue_free (&c->ab);
    s_queue_free (&c->ba);
    memset (c, 0, sizeof (*c));
    c->a = c->b = -1;
}

//  Reads what fd has into q; false when the side is gone
static bool
s_read (zc_proxy_t *px, int fd, s_queue_t *q)
{
    s_chunk_t *chunk = malloc (sizeof (s_chunk_t) + PX_CHUNK);
    if (!chunk)
        return false;
    ssize_t got = read (fd, chunk->data, PX_CHUNK);
    if (got <= 0) {
        free (chunk);
        return got < 0 && (errno == EAGAIN || errno == EINTR);
    }
    int64_t due = zc_now_ms () + (int64_t) atomic_load (&px->delay_ms);
    if (due < q->last_due)
        due = q->last_due;
    *chunk = (s_chunk_t) { .due = due, .len = (size_t) got };
    q->last_due = due;
    if (q->tail)
        q->tail->next = chunk;
    else
        q->head = chunk;
    q->tail = chunk;
    q->bytes += (size_t) got;
    atomic_fetch_add (&px->bytes, (uint64_t) got);
    return true;
}

//  Writes the due bytes of q to fd; false when the side is gone
static bool
s_flush (int fd, s_queue_t *q, int64_t now)
{
    q->want_out = false;
    while (q->head && q->head->due <= now) {
        s_chunk_t *c = q->head;
        ssize_t put = send (fd, c->data + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (put < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                q->want_out = true;
                return true;
            }
            return false;
        }
        c->off += (size_t) put;
        q->bytes -= (size_t) put;
        if (c->off < c->len) {
            q->want_out = true;
            return true;
        }
        q->head = c->next;
        if (!q->head)
            q->tail = NULL;
        free (c);
    }
    return true;
}

static void
s_accept (zc_proxy_t *px, size_t p)
{
    int a = accept4 (px->listen_fd [p], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (a < 0)
        return;
    s_conn_t *c = NULL;
    for (size_t i = 0; i < PX_CONNS && !c; i++)
        if (!px->conns [i].used)
            c = &px->conns [i];
    int b = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in dst = px->dst;
    dst.sin_port = htons (px->port [p]);
    int one = 1;
    if (!c || b < 0
    ||  bind (b, (struct sockaddr *) &px->src, sizeof (px->src)) != 0
    ||  (connect (b, (struct sockaddr *) &dst, sizeof (dst)) != 0 && errno != EINPROGRESS)) {
        close (a);
        if (b >= 0)
            close (b);
        return;
    }
    setsockopt (a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    setsockopt (b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    *c = (s_conn_t) { .used = true, .connecting = true, .a = a, .b = b };
    atomic_fetch_add (&px->accepted, 1);
}

//  Poll timeout: until the next queued chunk is due (at most 100 ms)
static int
s_timeout (zc_proxy_t *px, int64_t now)
{
    int64_t next = now + 100;
    for (size_t i = 0; i < PX_CONNS; i++) {
        s_conn_t *c = &px->conns [i];
        if (!c->used)
            continue;
        if (c->ab.head && !c->ab.want_out && c->ab.head->due < next)
            next = c->ab.head->due;
        if (c->ba.head && !c->ba.want_out && c->ba.head->due < next)
            next = c->ba.head->due;
    }
    return next <= now ? 0 : (int) (next - now);
}

static void *
s_run (void *arg)
{
    zc_proxy_t *px = arg;
    struct pollfd fds [1 + PX_PORTS + 2 * PX_CONNS];
    int owner [1 + PX_PORTS + 2 * PX_CONNS];     //  conn index, or -1
    while (!atomic_load (&px->stop)) {
        size_t n = 0;
        fds [n] = (struct pollfd) { .fd = px->wake [0], .events = POLLIN };
        owner [n++] = -1;
        for (size_t p = 0; p < px->nports; p++) {
            fds [n] = (struct pollfd) { .fd = px->listen_fd [p], .events = POLLIN };
            owner [n++] = -1;
        }
        for (size_t i = 0; i < PX_CONNS; i++) {
            s_conn_t *c = &px->conns [i];
            if (!c->used)
                continue;
            short ea = (c->ab.bytes < PX_LIMIT ? POLLIN : 0) | (c->ba.want_out ? POLLOUT : 0);
            short eb = c->connecting ? POLLOUT
                     : (c->ba.bytes < PX_LIMIT ? POLLIN : 0) | (c->ab.want_out ? POLLOUT : 0);
            fds [n] = (struct pollfd) { .fd = c->a, .events = ea };
            owner [n++] = (int) i;
            fds [n] = (struct pollfd) { .fd = c->b, .events = eb };
            owner [n++] = (int) i;
        }
        if (poll (fds, n, s_timeout (px, zc_now_ms ())) < 0 && errno != EINTR)
            break;
        if (fds [0].revents) {
            char buf [64];
            while (read (px->wake [0], buf, sizeof (buf)) > 0)
                ;
        }
        for (size_t p = 0; p < px->nports; p++)
            if (fds [1 + p].revents & POLLIN)
                s_accept (px, p);
        for (size_t k = 1 + px->nports; k + 1 < n; k += 2) {
            s_conn_t *c = &px->conns [owner [k]];
            if (!c->used)
                continue;
            short ra = fds [k].revents, rb = fds [k + 1].revents;
            bool ok = true;
            if (c->connecting && rb) {
                int error = 0;
                socklen_t len = sizeof (error);
                getsockopt (c->b, SOL_SOCKET, SO_ERROR, &error, &len);
                ok = error == 0 && !(rb & (POLLERR | POLLHUP));
                c->connecting = false;
                rb = 0;
            }
            if (ok && (ra & (POLLIN | POLLHUP | POLLERR)))
                ok = s_read (px, c->a, &c->ab);
            if (ok && (rb & (POLLIN | POLLHUP | POLLERR)))
                ok = s_read (px, c->b, &c->ba);
            if (!ok)
                s_conn_close (c);
        }
        //  Everything due goes out now
        int64_t now = zc_now_ms ();
        for (size_t i = 0; i < PX_CONNS; i++) {
            s_conn_t *c = &px->conns [i];
            if (!c->used || c->connecting)
                continue;
            if (!s_flush (c->b, &c->ab, now) || !s_flush (c->a, &c->ba, now))
                s_conn_close (c);
        }
    }
    return NULL;
}

static int
s_addr (const char *host, uint16_t port, struct sockaddr_in *out)
{
    memset (out, 0, sizeof (*out));
    out->sin_family = AF_INET;
    out->sin_port = htons (port);
    return inet_pton (AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

zc_proxy_t *
zc_proxy_start (const char *listen_host, const char *target_host,
                const uint16_t *ports, size_t nports, char *err, size_t errlen)
{
    zc_proxy_t *px = calloc (1, sizeof (*px));
    if (!px || nports > PX_PORTS) {
        free (px);
        snprintf (err, errlen, "proxy: out of memory");
        return NULL;
    }
    px->wake [0] = px->wake [1] = -1;
    for (size_t i = 0; i < PX_PORTS; i++)
        px->listen_fd [i] = -1;
    for (size_t i = 0; i < PX_CONNS; i++)
        px->conns [i].a = px->conns [i].b = -1;
    if (s_addr (listen_host, 0, &px->src) || s_addr (target_host, 0, &px->dst)) {
        snprintf (err, errlen, "proxy: bad address %s or %s", listen_host, target_host);
        goto failed;
    }
    if (pipe2 (px->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf (err, errlen, "proxy: pipe: %s", strerror (errno));
        goto failed;
    }
    for (size_t p = 0; p < nports; p++) {
        struct sockaddr_in at = px->src;
        at.sin_port = htons (ports [p]);
        int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        px->listen_fd [p] = fd;
        px->port [p] = ports [p];
        px->nports = p + 1;
        if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one))
        ||  bind (fd, (struct sockaddr *) &at, sizeof (at)) || listen (fd, 16)) {
            snprintf (err, errlen, "proxy: listen on %s:%u: %s", listen_host,
                      ports [p], strerror (errno));
            goto failed;
        }
    }
    if (pthread_create (&px->thread, NULL, s_run, px) != 0) {
        snprintf (err, errlen, "proxy: cannot start its thread");
        goto failed;
    }
    px->started = true;
    return px;
failed:
    zc_proxy_stop (&px);
    return NULL;
}

void
zc_proxy_set_delay (zc_proxy_t *px, unsigned ms)
{
    if (px)
        atomic_store (&px->delay_ms, ms);
}

void
zc_proxy_stats (zc_proxy_t *px, uint64_t *connections, uint64_t *bytes)
{
    *connections = px ? atomic_load (&px->accepted) : 0;
    *bytes = px ? atomic_load (&px->bytes) : 0;
}

void
zc_proxy_stop (zc_proxy_t **px_p)
{
    zc_proxy_t *px = *px_p;
    if (!px)
        return;
    if (px->started) {
        atomic_store (&px->stop, true);
        ssize_t rc = write (px->wake [1], "x", 1);   //  else it wakes within 100 ms
        (void) rc;
        pthread_join (px->thread, NULL);
    }
    for (size_t i = 0; i < PX_CONNS; i++)
        if (px->conns [i].used)
            s_conn_close (&px->conns [i]);
    for (size_t p = 0; p < PX_PORTS; p++)
        if (px->listen_fd [p] >= 0)
            close (px->listen_fd [p]);
    if (px->wake [0] >= 0)
        close (px->wake [0]);
    if (px->wake [1] >= 0)
        close (px->wake [1]);
    free (px);
    *px_p = NULL;
}
