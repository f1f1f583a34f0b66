/*  outbox.h — batches of encoded messages, one growing frame per key.

    Under load a leader commits hundreds of entries per wake-up; sending
    each publication and each ACK as its own ZeroMQ message costs a pipe
    write, a wake-up of the I/O thread and a receive on the other side,
    per message.  The outbox packs the messages bound for one key (a room
    on the PUB, a client identity on the ROUTER) back to back into one
    frame (PROTOCOL.md, "Batches"), in order, and hands each frame to a
    flush callback when it is full, when its slot is needed for another
    key, or when the wake-up ends.  At low load a frame holds one message:
    batching adds no delay.  No sockets here: the node passes a callback.
*/
#ifndef ZC_OUTBOX_H
#define ZC_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#define ZC_OUTBOX_MAX_KEY  255          //  a ZeroMQ identity's limit

typedef struct _zc_outbox_t zc_outbox_t;

//  Called with one key's frame: messages back to back, in the order added.
typedef void (zc_outbox_flush_fn) (void *arg, const uint8_t *key, size_t key_len,
                                   const uint8_t *frame, size_t size);

//  slots: keys batched at once; frame_cap: most bytes in one frame (a
//  message larger than that goes alone, in a frame of its own size).
zc_outbox_t *zc_outbox_new (size_t slots, size_t frame_cap, zc_outbox_flush_fn *flush,
                            void *arg);
void zc_outbox_destroy (zc_outbox_t **self_p);

//  Appends one encoded message for key (at most ZC_OUTBOX_MAX_KEY bytes;
//  -1 if longer).  Flushes the key's frame first if the message would not
//  fit, or the least recently opened slot if every slot holds another key.
int zc_outbox_add (zc_outbox_t *self, const void *key, size_t key_len,
                   const void *data, size_t size);

//  Flushes every non-empty frame, oldest slot first.
void zc_outbox_flush (zc_outbox_t *self);

//  Messages added and frames flushed so far (messages per frame = batching).
uint64_t zc_outbox_messages (const zc_outbox_t *self);
uint64_t zc_outbox_frames (const zc_outbox_t *self);

#endif
