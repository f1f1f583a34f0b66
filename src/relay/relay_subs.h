/*  relay_subs.h — which rooms a relay must subscribe to upstream.

    chat-relay (docs/PROTOCOL.md §3.1) binds an XPUB for its listeners and
    holds SUB sockets upstream.  With ZMQ_XPUB_VERBOSE the XPUB hands the
    relay every listener's subscribe, and an unsubscribe only when the
    last listener of a topic is gone (libzmq decides that from its own
    table per connection), each as a one-frame message: byte 1 or 0, then
    the topic (a room name, or a prefix of one; empty means every topic).
    This module keeps the topics held and says when the relay must
    subscribe upstream (the first subscribe of a topic) or unsubscribe
    (the unsubscribe), ZeroMQ's XSUB/XPUB forwarder manner; it counts the
    subscribes a topic got while held, for the relay's log.

    Why not ZMQ_XPUB_VERBOSER and a count per topic (the first design):
    with libzmq 4.3.4 a SUB that subscribes a topic twice sends both, but
    its connection's end is one unsubscribe, so counts only drift up and a
    room is never released: a listener could pin every room of a relay.

    Bad frames are counted drops, never a crash: an empty frame, a first
    byte other than 0 or 1, a topic longer than ZC_MAX_ROOM, an
    unsubscribe of a topic nobody holds, and a new topic beyond the
    table's capacity.  Pure: no sockets.
*/
#ifndef ZC_RELAY_SUBS_H
#define ZC_RELAY_SUBS_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef enum {
    ZC_SUBS_NONE = 0,               //  counted; nothing to do upstream
    ZC_SUBS_SUBSCRIBE,              //  first listener: subscribe upstream
    ZC_SUBS_UNSUBSCRIBE,            //  last listener gone: unsubscribe upstream
    ZC_SUBS_DROP                    //  bad frame: counted, ignored
} zc_subs_action_t;

typedef struct _zc_relay_subs_t zc_relay_subs_t;

//  Create with room for max_topics distinct topics (0 = default, 4096).
zc_relay_subs_t *zc_relay_subs_new (size_t max_topics);

//  Destroy.  Safe on NULL.
void zc_relay_subs_destroy (zc_relay_subs_t **self_p);

//  Take one XPUB subscription frame.  On SUBSCRIBE or UNSUBSCRIBE, topic
//  (ZC_MAX_ROOM + 1 bytes) holds the topic, NUL-terminated, and *topic_len
//  its length, to pass to the upstream SUBs.
zc_subs_action_t zc_relay_subs_frame (zc_relay_subs_t *self,
                                      const uint8_t *data, size_t size,
                                      char *topic, size_t *topic_len);

//  What a topic asks of a relay of the cluster: a room (a valid room name:
//  one upstream client for it), the beacons (a prefix of "$beacon", the
//  empty topic included: beacons are passed on), or nothing it can serve
//  (another prefix: a relay serves whole rooms only).  Beacons win: "" is
//  both a prefix of every room and of "$beacon", and gets the beacons.
typedef enum {
    ZC_TOPIC_OTHER = 0,
    ZC_TOPIC_ROOM,
    ZC_TOPIC_BEACON
} zc_topic_kind_t;
zc_topic_kind_t zc_relay_topic_kind (const char *topic, size_t len);

//  Subscribes this topic got since it is held (0 if not held).
size_t zc_relay_subs_count (zc_relay_subs_t *self, const char *topic, size_t len);

//  The i-th topic held (0 <= i < zc_relay_subs_topics), NUL-terminated,
//  its length in *len; NULL past the end.  Valid until the next frame.
const char *zc_relay_subs_topic_at (zc_relay_subs_t *self, size_t i, size_t *len);

//  Distinct topics held now.
size_t zc_relay_subs_topics (zc_relay_subs_t *self);

//  Frames dropped as bad since creation.
uint64_t zc_relay_subs_dropped (zc_relay_subs_t *self);

#endif
