/*  client.h — the zchat client: find the leader, post, receive in order.

    Used by chat-client, the cluster tests, the load generator and the
    chaos harness.  One client object per room, owned by one thread.

    - One DEALER per server (never one DEALER to all: it would round-robin
      POSTs to backups) and one SUB to every server's PUB (room + beacons).
    - The leader is the one of the highest epoch heard in WELCOME, BEACON
      and ERROR hints; a change of leader resends every pending message.
    - Posting is pipelined: every unacknowledged message goes to the leader
      in id order, and again after retry_ms without progress; one whose ACK
      was lost (a later one was acknowledged) goes again on its own after
      retry_ms.  The leader's dedup makes resending safe: nothing is lost,
      nothing doubled.
    - Received messages come out in room order, each once; a gap in rseq is
      repaired by FETCH (see delivery.h).
    - Resume (docs/DESIGN.md §8, zguide's Clone pattern): subscribe first, then
      HELLO (with `last`, the seq delivered up to).  When the leader
      changes, the client keeps its delivery position (a new leader's
      WELCOME never moves it) and FETCHes everything after it from the new
      leader in chunks, while the live stream is held; both are delivered
      in rseq order with no gap and no duplicate.
    - History: with cfg.history = N, the last N messages of the room come
      first, then the live stream.  What the cluster no longer holds
      (retention) is skipped with a notice.
    - Lamport (docs/DESIGN.md §7): a POST carries tick(); delivered messages and
      ACKs are observed.
    - Limits (PROTOCOL.md §7): "slow_down" holds the stream for retry_ms
      (bounded, throttle.h) and resends in order, one notice per burst;
      "limit" drops that one message (ZC_EV_REFUSED) and goes on: the
      leader never stored its id, so every later pending message moves
      down one id and the stream stays contiguous (PROTOCOL.md §4, §7).
    - Security: with cfg.keys_dir every socket speaks CURVE
      (client_keys.h), and a handshake that fails is a notice naming the
      node and the likely cause (client_monitor.h), never a silent hang.

    The client never blocks on a server: sends that cannot go out now
    (no connection yet, ZMQ_IMMEDIATE) stay pending and go when they can.
    It installs no signal handler (czmq's is disabled): the application
    handles SIGINT, and a signal makes zc_client_wait return -1.
*/
#ifndef ZC_CLIENT_H
#define ZC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "servers.h"
#include "status.h"
#include "wire.h"

typedef struct {
    const char *servers;            //  "host:port,host:port", required
    const char *room;               //  default "general"
    const char *name;               //  shown as "from"; default $USER or "anon"
    uint32_t retry_ms;              //  resend after this without progress; default 300
    uint64_t history;               //  first deliver the room's last N messages; 0 = none
    int verbose;                    //  log to stderr with zsys_*
    const char *keys_dir;           //  CURVE: client.cert (or none: an ephemeral
                                    //  key) and server.cert (client_keys.h); NULL = off
    bool presence;                  //  be seen in the room: PRESENCE to the leader every
                                    //  ZC_CLIENT_PRESENCE_MS, MEMBERS events back
    const char *relay;              //  "tcp://HOST:PORT[,...]": the SUB connects to these
                                    //  chat-relays instead of every server's PUB
                                    //  (docs/PROTOCOL.md "Relays"); requests still go
                                    //  to the servers.  NULL = the servers' PUBs
    bool post_only;                 //  a sender that never receives: the SUB takes
                                    //  beacons only (to follow the leader), and no
                                    //  MESSAGE, START, FETCH or catch-up ever happens
} zc_client_config_t;

//  docs/PROTOCOL.md §4 "Presence": the leader forgets a client after 6.5 s
#define ZC_CLIENT_PRESENCE_MS 2000

typedef enum {
    ZC_EV_MESSAGE = 1,              //  a chat message, in room order
    ZC_EV_ACK,                      //  one of ours is stored: id, seq, ts, epoch
    ZC_EV_LEADER,                   //  now following leader in epoch
    ZC_EV_NOTICE,                   //  something the user should know: text
    ZC_EV_START,                    //  delivery starts after log position seq:
                                    //  messages at or below it are not expected here.
                                    //  Once, before the first MESSAGE
    ZC_EV_LOST,                     //  our message id is dropped unacknowledged: the
                                    //  cluster stored it once but no longer holds it
                                    //  (retention), so no ACK can come; text says so
    ZC_EV_REFUSED,                  //  our message id is dropped unacknowledged: the
                                    //  leader refused it for good (ERROR "limit": text
                                    //  too long, too many rooms or clients); text says
                                    //  why.  The id was never stored, so it is free
                                    //  again: the `moved` later pending messages each
                                    //  move down one id (id+1 becomes id, ...), and
                                    //  every event after this one names them by their
                                    //  new ids.  Later messages go on
    ZC_EV_MEMBERS,                  //  who is in the room (cfg.presence): count in all,
                                    //  text the names sent, one per line, sorted;
                                    //  leader, epoch: the node that said it
    ZC_EV_FORGOTTEN,                //  our acknowledged messages id .. id+count-1 are
                                    //  not held by the leader (node `leader`, epoch):
                                    //  lost in a leader change (--quorum 1 acknowledges
                                    //  before a backup holds them); text says so.  The
                                    //  stream goes on with the next ids (none reused)
    ZC_EV_EXPIRED,                  //  like FORGOTTEN, but nothing was lost: the
                                    //  cluster no longer remembers this client id's
                                    //  messages id .. id+count-1; they were
                                    //  acknowledged and have since been retired
                                    //  (--client-ttl).  The stream goes on
} zc_event_type_t;

typedef struct {
    zc_event_type_t type;
    uint64_t seq, rseq, ts, epoch, id;   //  those that apply to the type
    uint32_t leader;                //  ZC_EV_LEADER; ZC_EV_ACK: the node that
                                    //  acknowledged (0 = not said)
    uint64_t lead_epoch;            //  ZC_EV_ACK: the epoch that node leads (0 = not said)
    uint64_t count;                 //  ZC_EV_MEMBERS: how many are in the room
    bool own;                       //  MESSAGE: sent by this client
    char room[ZC_MAX_ROOM + 1];
    char from[ZC_MAX_NAME + 1];
    char client[ZC_CLIENT_ID_LEN + 1];
    //  MESSAGE: the text; NOTICE: a one-line explanation.  NUL-terminated,
    //  owned by the client, valid until the next zc_client_wait or destroy
    const char *text;
    size_t text_len;
    //  ZC_EV_REFUSED: how many later messages moved down one id, and the
    //  Lamport ts each was posted with, for the new ids id .. id+moved-1
    //  (0: acknowledged already, nothing moved there).  Owned by the
    //  client, valid until the next zc_client_wait or destroy
    size_t moved;
    const uint64_t *moved_ts;
} zc_event_t;

typedef struct _zc_client_t zc_client_t;

//  Create a client and start talking to every server at once (HELLO, SUB).
//  Returns NULL with a one-line message in err on a bad configuration
//  (servers list, room, name, keys) or if sockets cannot be created.
zc_client_t *zc_client_new (const zc_client_config_t *cfg, char *err, size_t errlen);

//  Destroy the client; pending messages are abandoned.  Safe on NULL.
void zc_client_destroy (zc_client_t **self_p);

//  Queue a message and send it to the leader if one is known.  Returns
//  its id (1, 2, 3, ...) and its Lamport ts in *ts_p (may be NULL), or 0
//  if text is longer than ZC_MAX_TEXT bytes (nothing is queued then).
//  A refusal of an earlier message moves the id down by one
//  (ZC_EV_REFUSED): take the events before posting again, and the ids
//  stay in step.
uint64_t zc_client_post (zc_client_t *self, const char *text, uint64_t *ts_p);

//  Do the client's work for up to timeout_ms (-1 = no limit) and return:
//  1 with the next event in *ev; 0 on timeout; 2 if extra_fd (>= 0) is
//  readable and no event is waiting; -1 if interrupted by a signal.
int zc_client_wait (zc_client_t *self, int timeout_ms, int extra_fd, zc_event_t *ev);

//  For an application that waits on several clients at once (chat-relay);
//  zc_client_wait is these three in a loop.  zc_client_poll_items runs the
//  timers, sends what is due and fills items (room for ZC_CLIENT_POLL_ITEMS)
//  with the client's sockets; *wait_ms is how long the poll may wait (0
//  when an event is queued already).  Returns how many items it filled.
//  zc_client_poll_done reads what a zmq_poll over those items found;
//  zc_client_next gives the next queued event, if any (its text is valid
//  until the next call of zc_client_next or zc_client_wait).
#define ZC_CLIENT_POLL_ITEMS (2 * ZC_MAX_SERVERS + 2)
size_t zc_client_poll_items (zc_client_t *self, zmq_pollitem_t *items, long *wait_ms);
void zc_client_poll_done (zc_client_t *self, const zmq_pollitem_t *items);
bool zc_client_next (zc_client_t *self, zc_event_t *ev);

//  Messages posted and not yet acknowledged.
size_t zc_client_unacked (zc_client_t *self);

//  The leader followed now (0 = unknown), and its epoch.
uint32_t zc_client_leader (zc_client_t *self);
uint64_t zc_client_epoch (zc_client_t *self);

//  When the followed leader last spoke for itself (its beacon, a WELCOME
//  saying it serves, an ACK), on zclock_mono's clock; 0 = not yet, or no
//  leader followed.  A serving leader beacons at least every second.
int64_t zc_client_leader_heard (zc_client_t *self);

//  The name our messages carry from now on (what is pending keeps the one
//  it was posted with).  False, and nothing changes, if it is not a name.
bool zc_client_set_name (zc_client_t *self, const char *name);
const char *zc_client_name (zc_client_t *self);

//  This process's client id: 32 lowercase hex characters.
const char *zc_client_id (zc_client_t *self);

//  The client's Lamport clock.
uint64_t zc_client_lamport (zc_client_t *self);

//  Frames from servers dropped as invalid (undecodable, wrong type or shape).
uint64_t zc_client_dropped (zc_client_t *self);

//  Our messages refused for good (ZC_EV_REFUSED), and the "slow_down"
//  refusals heard (each held the stream, then it was resent).
uint64_t zc_client_refused (zc_client_t *self);
//  Acknowledged messages the cluster lost in a leader change (ZC_EV_FORGOTTEN)
uint64_t zc_client_forgotten (zc_client_t *self);
uint64_t zc_client_slowed (zc_client_t *self);

#endif
