/*  wire.h — every zchat message, as one msgpack map per frame.

    A message is a flat struct holding every field any message type may
    carry, plus a bitmask saying which fields are present.  The codec
    writes exactly the present fields; the decoder ignores unknown keys,
    rejects wrong types, over-long strings and oversized frames, and checks
    that each message type has its required fields.  The contract is
    written out in docs/PROTOCOL.md.

    Strings are not copied on decode: they point into the decoded buffer
    and live as long as it does.  They are NOT NUL-terminated.
*/
#ifndef ZC_WIRE_H
#define ZC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Hard limits; anything larger is rejected by the decoder (and by the
//  sockets, through ZMQ_MAXMSGSIZE = ZC_MAX_FRAME).
#define ZC_MAX_FRAME     65536      //  one encoded frame
//  A frame of several maps (PUB batches, APPEND entries) stays this much
//  below ZC_MAX_FRAME: with CURVE every frame goes on the wire in a box
//  some 40 bytes larger, and ZMQ_MAXMSGSIZE counts the wire frame (a full
//  64 KiB batch made libzmq drop the connection).
#define ZC_MAX_BATCH     (ZC_MAX_FRAME - 1024)
#define ZC_MAX_TEXT      16384      //  chat text, bytes (UTF-8 is not checked)
#define ZC_MAX_NAME      64         //  sender name
#define ZC_MAX_ROOM      64         //  room name
#define ZC_CLIENT_ID_LEN 32         //  128-bit client id as lowercase hex
#define ZC_MAX_REASON    256        //  human-readable error text
#define ZC_MAX_TS        (1ull << 53) //  Lamport times above this are refused:
                                        //  no client can push a clock to wrap
#define ZC_BEACON_TOPIC  "$beacon"  //  reserved PUB topic; rooms cannot start with '$'
#define ZC_FETCH_MAX_BYTES (256 * 1024) //  entry frames in one ENTRIES reply: with
                                        //  --reply-hwm replies queued per client,
                                        //  what one client can make a node hold

typedef enum {
    ZC_UNKNOWN = 0,
    //  Published on PUB (frame 1: topic, frame 2: the map)
    ZC_CHAT,            //  a stamped chat message (also a log entry)
    ZC_BEACON,          //  "I lead epoch E", on topic ZC_BEACON_TOPIC
    //  Client -> node, on the node's client ROUTER, and the replies
    ZC_HELLO,           //  who are you, who leads? (optional: last)
    ZC_WELCOME,         //  node, leader, epoch, port, pub_port, role, last_seq
    ZC_POST,            //  client, id, ts, room, from, text
    ZC_ACK,             //  client, id, seq, ts, epoch
    ZC_ERROR,           //  code, reason; leader hint for "not_leader"
    ZC_STATUS,          //  ask a node for its status
    ZC_STATUS_REPLY,    //  node, role, leader, epoch, lamport, messages, ...
    ZC_FETCH,           //  client asks for entries after seq (resume)
    ZC_ENTRIES,         //  reply to FETCH: frames 2.. are ZC_CHAT maps
    ZC_PRESENCE,        //  client -> leader: I am in room as from (granted false: I left)
    ZC_MEMBERS,         //  reply: room, count, names in text (PROTOCOL.md §4 presence)
    ZC_ADMIN,           //  operator -> leader: text "add ID:HOST:PORT" | "remove ID";
                        //  answered by ACK once committed, or ERROR
    //  Node <-> node, on the peer ROUTER (DEALER per peer)
    ZC_ELECTION,        //  Bully: sent to higher ids
    ZC_ANSWER,          //  Bully: "a higher node is alive"
    ZC_PREVOTE,         //  would you accept me in epoch E? (changes nothing)
    ZC_PREVOTE_REPLY,   //  granted true/false
    ZC_COORDINATOR,     //  I lead epoch E (claim, or periodic re-announce)
    ZC_ACCEPT,          //  reply to COORDINATOR: granted true/false, lt echo
    ZC_APPEND,          //  leader -> backup: prev_seq, prev_epoch; frames 2.. ZC_CHAT
    ZC_APPEND_ACK,      //  backup -> leader: last_seq, granted, lt echo
    ZC_HANDOVER,        //  leader -> higher backup: take over now
    //  Backup -> leader heartbeat, on REQ/REP
    ZC_PING,
    ZC_PONG,
    //  View change: a new leader fetches the best log of its quorum
    ZC_LOG_FETCH,       //  send me your entries after `last`
    ZC_LOG_ENTRIES,     //  prev_seq, prev_epoch, last_seq; frames 2.. ZC_CHAT
    //  Catch-up past retention: the leader's retired state, in chunks
    ZC_SNAPSHOT,        //  prev_seq (base), prev_epoch, last_seq, commit, last (offset), count (size), text
    ZC_SNAPSHOT_ACK,    //  prev_seq (base), last (bytes held)
    ZC_TYPE_COUNT
} zc_type_t;

//  Presence bits, one per field (64 of them at most).
typedef uint64_t zc_field_t;
#define ZF_NODE       (1ull << 0)
#define ZF_EPOCH      (1ull << 1)
#define ZF_SEQ        (1ull << 2)
#define ZF_RSEQ       (1ull << 3)
#define ZF_TS         (1ull << 4)
#define ZF_ROOM       (1ull << 5)
#define ZF_FROM       (1ull << 6)
#define ZF_CLIENT     (1ull << 7)
#define ZF_ID         (1ull << 8)
#define ZF_TEXT       (1ull << 9)
#define ZF_LEADER     (1ull << 10)
#define ZF_COMMIT     (1ull << 11)
#define ZF_LAST_SEQ   (1ull << 12)
#define ZF_LOG_EPOCH  (1ull << 13)
#define ZF_PREV_SEQ   (1ull << 14)
#define ZF_PREV_EPOCH (1ull << 15)
#define ZF_MH         (1ull << 16)
#define ZF_LT         (1ull << 17)
#define ZF_GRANTED    (1ull << 18)
#define ZF_CODE       (1ull << 19)
#define ZF_REASON     (1ull << 20)
#define ZF_EXPECTED   (1ull << 21)
#define ZF_PORT       (1ull << 22)
#define ZF_PUB_PORT   (1ull << 23)
#define ZF_ROLE       (1ull << 24)
#define ZF_LAMPORT    (1ull << 25)
#define ZF_MESSAGES   (1ull << 26)
#define ZF_LAST       (1ull << 27)
#define ZF_COUNT      (1ull << 28)
#define ZF_DROPPED    (1ull << 29)
#define ZF_START_SEQ  (1ull << 30)
#define ZF_RETRY_MS   (1ull << 31)    //  ERROR slow_down: resend after this many ms
#define ZF_REFUSED    (1ull << 32)    //  STATUS: requests refused by a limit
#define ZF_SLOWED     (1ull << 33)    //  STATUS: POSTs refused by the rate limit
#define ZF_DENIED     (1ull << 34)    //  STATUS: handshakes the node refused (ZAP)
#define ZF_FORGED     (1ull << 35)    //  STATUS: peer messages refused (wrong key, not a member, epoch jump)
#define ZF_MSEQ       (1ull << 36)    //  peers: seq of the configuration entry in force (0: --peers)
#define ZF_MEMBERS    (1ull << 37)    //  STATUS: the committed member ids, "1,2,3"
#define ZF_PEERS      (1ull << 38)    //  WELCOME: the committed members, "ID:HOST:PORT,..."
#define ZF_UNKNOWN    (1ull << 39)    //  ERROR expected: the leader has no record of the
                                      //  client id, and its quorum is a majority (PROTOCOL §4)


typedef struct {
    const char *ptr;
    uint32_t len;
} zc_str_t;

typedef struct {
    zc_type_t type;
    uint64_t has;           //  zc_field_t bits of the present fields

    uint64_t node;          //  "node": sender's node id (peer and status traffic)
    uint64_t epoch;         //  "epoch": leader epoch
    uint64_t seq;           //  "seq": cluster-wide log position, from 1
    uint64_t rseq;          //  "rseq": position within the room, from 1
    uint64_t ts;            //  "ts": Lamport time
    zc_str_t room;          //  "room"
    zc_str_t from;          //  "from": sender name shown to others
    zc_str_t client;        //  "client": 32 hex chars, sender process id
    uint64_t id;            //  "id": sender's message number, from 1
    zc_str_t text;          //  "text"
    uint64_t leader;        //  "leader": node id the sender follows / hints
    uint64_t commit;        //  "commit": highest committed seq
    uint64_t last_seq;      //  "last_seq": last seq in the sender's log
    uint64_t log_epoch;     //  "log_epoch": epoch of the log the sender holds
    uint64_t prev_seq;      //  "prev_seq": APPEND consistency check
    uint64_t prev_epoch;    //  "prev_epoch"
    uint64_t mh;            //  "mh": membership hash (peers must agree)
    uint64_t lt;            //  "lt": lease token, echoed back by replies
    bool granted;           //  "granted"
    zc_str_t code;          //  "code": error code (see ZC_ERR_*)
    zc_str_t reason;        //  "reason": human-readable
    uint64_t expected;      //  "expected": next message id the leader wants
    uint64_t port;          //  "port": client ROUTER port of the node
    uint64_t pub_port;      //  "pub_port": PUB port of the node
    zc_str_t role;          //  "role": leader | backup | candidate
    uint64_t lamport;       //  "lamport": node's Lamport clock
    uint64_t messages;      //  "messages": chat messages handled
    uint64_t last;          //  "last": last seq a client delivered (resume)
    uint64_t count;         //  "count": how many entries (FETCH)
    uint64_t dropped;       //  "dropped": frames dropped as invalid (status)
    uint64_t start_seq;     //  "start_seq": the leader's log end when its epoch began
    uint64_t retry_ms;      //  "retry_ms": ERROR slow_down: resend after this long
    uint64_t refused;       //  "refused": STATUS: requests refused by a limit
    uint64_t slowed;        //  "slowed": STATUS: POSTs refused by the rate limit
    uint64_t denied;        //  "denied": STATUS: handshakes refused by the node
    uint64_t forged;        //  "forged": STATUS: peer messages refused as forged
    uint64_t mseq;          //  "mseq": seq of the sender's configuration entry (0: --peers)
    zc_str_t members;       //  "members": committed member ids, comma-separated
    zc_str_t peers;         //  "peers": WELCOME: committed members with addresses
    bool unknown;           //  "unknown": ERROR expected: no record of the client id
} zc_msg_t;

//  Error codes carried in ZC_ERROR "code".
#define ZC_ERR_NOT_LEADER  "not_leader"   //  "leader" holds a hint when known
#define ZC_ERR_NO_QUORUM   "no_quorum"    //  leader without its lease
#define ZC_ERR_EXPECTED    "expected"     //  "expected" holds the next id wanted
#define ZC_ERR_BAD_REQUEST "bad_request"
#define ZC_ERR_BUSY        "busy"         //  handing over; retry shortly
#define ZC_ERR_SLOW_DOWN   "slow_down"    //  rate limit: "retry_ms" says when to resend
#define ZC_ERR_LIMIT       "limit"        //  a configured limit refused this for good

//  Reset a message to the given type with no fields present.
void zc_msg_init (zc_msg_t *msg, zc_type_t type);

//  Field setters: set the value and the presence bit.
void zc_msg_set_u64 (zc_msg_t *msg, zc_field_t field, uint64_t value);
void zc_msg_set_str (zc_msg_t *msg, zc_field_t field, const char *ptr, size_t len);
void zc_msg_set_cstr (zc_msg_t *msg, zc_field_t field, const char *str);
void zc_msg_set_bool (zc_msg_t *msg, zc_field_t field, bool value);

//  True if every bit of fields is present.
bool zc_msg_has (const zc_msg_t *msg, uint64_t fields);

//  Encode into buf (capacity cap).  Returns the encoded size, or 0 if the
//  message lacks a required field or does not fit.
size_t zc_msg_encode (const zc_msg_t *msg, uint8_t *buf, size_t cap);

//  Decode and validate one frame.  Returns 0 and fills msg (strings point
//  into data), or -1 if the frame is not a valid zchat message; then, if
//  error is not NULL, *error names the problem (a static string).
int zc_msg_decode (zc_msg_t *msg, const uint8_t *data, size_t size, const char **error);

//  Decode the message at data + *offset of a frame that carries several
//  back to back (a batch: PROTOCOL.md), and move *offset past it.  Same
//  returns as zc_msg_decode; on -1 the rest of the frame cannot be trusted.
//  A frame is done when *offset == size.
int zc_msg_decode_next (zc_msg_t *msg, const uint8_t *data, size_t size, size_t *offset,
                        const char **error);

//  The wire name of a type ("chat", "post", ...) and back (ZC_UNKNOWN).
const char *zc_type_name (zc_type_t type);
zc_type_t zc_type_from_name (const char *name, size_t len);

//  Compare a zc_str_t with a C string.
bool zc_str_eq (zc_str_t s, const char *cstr);

//  Copy a zc_str_t into a NUL-terminated buffer (truncating to cap-1).
void zc_str_copy (char *dst, size_t cap, zc_str_t s);

//  Rooms: 1..ZC_MAX_ROOM bytes of [A-Za-z0-9_.-].  Names: 1..ZC_MAX_NAME
//  printable bytes, no control characters.
bool zc_room_valid (const char *ptr, size_t len);
bool zc_name_valid (const char *ptr, size_t len);

#endif
