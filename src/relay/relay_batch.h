/*  relay_batch.h — the publication a relay builds from what it delivers.

    A relay of the cluster runs one zchat client per room its listeners
    hold (zc_client, with its delivery and catch-up: client.h); what that
    client delivers — each message of the room once, in rseq order — is
    what the relay republishes, under the public contract of
    docs/PROTOCOL.md §3: [room][chat map ...].  The map is encoded again
    from the delivered fields with the node's own encoder, so it holds the
    same bytes the leader published (zc_msg_encode writes the fields in one
    order).  Maps of one room delivered in one wake-up share a frame, as
    the leader's do (a batch, §2), up to ZC_MAX_BATCH bytes.  Pure.
*/
#ifndef ZC_RELAY_BATCH_H
#define ZC_RELAY_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

typedef struct {
    char room[ZC_MAX_ROOM + 1];
    size_t size;                    //  bytes used in buf
    size_t count;                   //  maps in buf
    uint64_t last_rseq;             //  of the last map added (0: none yet)
    uint8_t buf[ZC_MAX_BATCH];
} zc_relay_batch_t;

//  Start empty for room.
void zc_relay_batch_init (zc_relay_batch_t *self, const char *room);

//  Encode a delivered message (ZC_EV_MESSAGE of our room) and append it.
//  Returns 0; 1 if it does not fit (publish the batch, reset, add again);
//  -1 if it is not a message of our room or cannot be encoded.
int zc_relay_batch_add (zc_relay_batch_t *self, const zc_event_t *ev);

//  Empty it again (after publishing).
void zc_relay_batch_reset (zc_relay_batch_t *self);

#endif
