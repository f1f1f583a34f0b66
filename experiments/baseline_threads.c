/*  baseline_threads.c — the sender and subscriber threads, the same for
    every mode (what differs is in zb_ops).

    A sender pings every 10 ms until main says every subscriber got a
    ping from every sender (slow joiner), meets the others and main at
    zb_start twice (ready: main sets zb_t0; go), posts on schedule (at
    --rate) or flat out until --duration with at most --window in
    flight, then waits up to --drain for what is in flight to be
    confirmed.  A subscriber takes input until it got every posted
    message of every sender, or until the drain time after sending.
    See baseline.h.
*/
#include "baseline.h"

#include <zmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

//  --------------------------------------------------------------------------
//  The sender thread

//  Says once why the sender stops (errno of the failed call)
static void
s_sender_fail (zb_sender_t *self, const char *what)
{
    if (!self->failed)
        fprintf (stderr, "zchat-baseline: %s: sender %u: %s failed: %s\n",
                 self->opts->mode_name, self->index, what,
                 errno? strerror (errno): "the server closed the connection");
    self->failed = true;
}

//  Waits until the transport has input, the timer fires, or timeout_ms;
//  handles what came.  0, or -1 if the transport failed.
static int
s_sender_wait (zb_sender_t *self, int tfd, int timeout_ms)
{
    zmq_pollitem_t items [2];
    int count = 0;
    bool input = zb_ops->input != NULL;         //  pubsub has nothing to read
    if (input)
        items [count++] = (zmq_pollitem_t) { self->sock, self->fd, ZMQ_POLLIN, 0 };
    if (tfd >= 0)
        items [count++] = (zmq_pollitem_t) { NULL, tfd, ZMQ_POLLIN, 0 };
    if (count == 0) {
        usleep ((useconds_t) timeout_ms * 1000);
        return 0;
    }
    errno = 0;
    if (zmq_poll (items, count, timeout_ms) < 0)
        return errno == EINTR? 0: -1;
    if (tfd >= 0 && items [count - 1].revents) {
        uint64_t expirations;
        if (read (tfd, &expirations, sizeof (expirations)) < 0 && errno != EAGAIN)
            return -1;
    }
    errno = 0;
    return input && items [0].revents? zb_ops->input (self): 0;
}

static int
s_sender_post (zb_sender_t *self, int64_t at)
{
    uint64_t n = self->posted + 1;
    if (zb_ops->acks && zb_sent_at_put (self, n, at))
        return -1;
    size_t len = zb_make_text (self, at, n);
    if (zb_ops->post (self, n, self->text, len))
        return -1;
    self->posted = n;
    return 0;
}

//  Pings every 10 ms until main says every subscriber has one
static void
s_sender_ping (zb_sender_t *self)
{
    char ping [32];
    size_t len = strlen (ZB_PING);
    memcpy (ping, ZB_PING, len);
    len += zb_put_u64 (ping + len, self->index);
    int64_t pinged = 0;
    while (!zb_stop && !atomic_load (&zb_all_ready) && !self->failed) {
        if (zb_now_us () - pinged >= 10000) {
            if (zb_ops->post (self, 0, ping, len) || zb_ops->flush (self))
                s_sender_fail (self, "ping");
            pinged = zb_now_us ();
        }
        if (s_sender_wait (self, -1, 2))
            s_sender_fail (self, "reading");
    }
}

static bool
s_sender_stuck (zb_sender_t *self, int64_t now)
{
    int64_t t0 = atomic_load (&zb_t0);
    int64_t progress = self->progress_us > t0? self->progress_us: t0;
    if (self->confirmed < self->posted && now - progress > (int64_t) (self->opts->drain * 1e6)) {
        fprintf (stderr, "zchat-baseline: sender %u: no progress for %.0f s, giving up\n",
                 self->index, self->opts->drain);
        self->stalled = true;
    }
    return self->stalled;
}

//  Arms the timer for the next intended send
static void
s_arm (int tfd, int64_t next)
{
    struct itimerspec its = { { 0, 0 }, { next / 1000000, (next % 1000000) * 1000 } };
    timerfd_settime (tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

//  Posts what is due (flat out: all) within the window.  Returns the
//  next intended send time, 0 if the window is full, INT64_MAX when
//  done, -1 on error.
static int64_t
s_sender_burst (zb_sender_t *self, double interval, int64_t first)
{
    uint64_t window = zb_ops == &zb_pubsub_ops? UINT64_MAX: self->opts->window;
    int64_t end = atomic_load (&zb_end);
    int64_t now = zb_now_us ();
    while (self->posted - self->confirmed < window) {
        int64_t at = interval > 0? first + (int64_t) (interval * (double) self->posted)
                                 : (now = zb_now_us ());
        if (at >= end || zb_stop)
            return INT64_MAX;
        if (at > now)
            return at;
        if (s_sender_post (self, at))
            return -1;
    }
    return 0;
}

//  Posts on schedule (rate > 0) or flat out until --duration, with at
//  most --window in flight
static void
s_sender_send (zb_sender_t *self, int tfd)
{
    const zb_opts_t *opts = self->opts;
    double interval = opts->rate > 0? 1e6 / opts->rate: 0;
    //  Senders at a rate are spread evenly over one interval
    int64_t first = atomic_load (&zb_t0) + (int64_t) (interval * self->index / opts->senders);
    int64_t armed = 0;
    while (!s_sender_stuck (self, zb_now_us ())) {
        int64_t next = s_sender_burst (self, interval, first);
        if (next < 0 || zb_ops->flush (self)) {
            s_sender_fail (self, "sending");
            return;
        }
        if (next == INT64_MAX)
            return;
        //  Wake at the next intended send, to the microsecond (poll
        //  timeouts are in milliseconds)
        if (next && next != armed) {
            s_arm (tfd, next);
            armed = next;
        }
        if (s_sender_wait (self, tfd, 100)) {
            s_sender_fail (self, "reading");
            return;
        }
    }
}

//  Waits for what is in flight to be confirmed (ACKs, replies, PONGs)
static void
s_sender_drain (zb_sender_t *self)
{
    if (zb_ops->finish && zb_ops->finish (self)) {
        s_sender_fail (self, "sending");
        return;
    }
    int64_t until = self->end_us + (int64_t) (self->opts->drain * 1e6);
    while (zb_stop < 2 && self->confirmed < self->posted && zb_now_us () < until)
        if (s_sender_wait (self, -1, 50) || zb_ops->flush (self)) {
            s_sender_fail (self, "reading");
            return;
        }
    if (self->confirmed < self->posted) {
        fprintf (stderr, "zchat-baseline: sender %u: %" PRIu64 " messages unconfirmed after"
                 " the drain\n", self->index, self->posted - self->confirmed);
        self->stalled = true;
    }
}

void *
zb_sender_run (void *arg)
{
    zb_sender_t *self = arg;
    s_sender_ping (self);
    pthread_barrier_wait (&zb_start);       //  everyone ready: main sets zb_t0
    pthread_barrier_wait (&zb_start);       //  go
    if (self->failed || zb_stop)
        return NULL;
    int tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0) {
        s_sender_fail (self, "timerfd_create");
        return NULL;
    }
    s_sender_send (self, tfd);
    close (tfd);
    self->end_us = zb_now_us ();
    if (!self->failed && !self->stalled)
        s_sender_drain (self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The subscriber thread

//  True once every message posted by every sender arrived
static bool
s_sub_complete (zb_sub_t *self)
{
    if (!atomic_load (&zb_senders_done))
        return false;
    for (uint32_t i = 0; i < self->opts->senders; i++)
        if (self->seen [i].prefix < atomic_load (&zb_posted [i]))
            return false;
    return true;
}

void *
zb_sub_run (void *arg)
{
    zb_sub_t *self = arg;
    while (zb_stop < 2 && !s_sub_complete (self)) {
        int64_t deadline = atomic_load (&zb_sub_deadline);
        if (deadline && zb_now_us () > deadline)
            break;
        if (zb_ops->sub_input (self) < 0) {
            char text [160];
            int len = snprintf (text, sizeof (text), "the server closed the connection (%s)",
                                zb_ops->closed_hint);
            zb_notice (&self->notices, "subscriber", self->index, text, (size_t) len);
            self->closed = true;
            break;
        }
    }
    return NULL;
}
