/*  zchat-sub — a raw listener for the cluster tests: what a third-party
    SUB sees, recorded as it arrives, with no dedupe, no reordering and no
    repair, so that the history checker (zchat-check) judges the stream
    itself (tests/cluster/test_relay.sh: a relay must hand out each
    message once, in order).

    zchat-sub --connect tcp://HOST:PORT[,...] --room ROOM --record FILE [--keys DIR] [--beacons]

    One SUB, subscribed to ROOM; a frame is kept only if its topic is ROOM
    exactly (docs/PROTOCOL.md §3).  The record (PROTOCOL.md, "Record
    files"): "room ROOM", "start 0" (every message of the room is expected:
    the test's rooms start empty) and a "recv" line per chat map; no "end"
    line, so that a message lost at the tail is still MISSING.  Frames that do not decode are counted and
    said at exit.  With --keys DIR, a CURVE client as chat-client --keys.
    With --beacons it also subscribes to $beacon and counts the beacons
    that decode and the frames that do not (said at exit, not recorded).
*/
#include <czmq.h>
#include <inttypes.h>
#include <signal.h>

#include "client_keys.h"
#include "texthash.h"
#include "wire.h"

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    s_stop = signum;
}

int
main (int argc, char **argv)
{
    const char *connect = NULL, *room = NULL, *record = NULL, *keys_dir = NULL;
    bool beacons = false;
    for (int i = 1; i < argc; i += 2) {
        if (streq (argv [i], "--beacons")) {
            beacons = true;
            i--;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf (stderr, "zchat-sub: %s needs a value\n", argv [i]);
            return 2;
        }
        if (streq (argv [i], "--connect")) connect = argv [i + 1];
        else if (streq (argv [i], "--room")) room = argv [i + 1];
        else if (streq (argv [i], "--record")) record = argv [i + 1];
        else if (streq (argv [i], "--keys")) keys_dir = argv [i + 1];
        else {
            fprintf (stderr, "zchat-sub: unknown option %s\n", argv [i]);
            return 2;
        }
    }
    if (!connect || !room || !record || !zc_room_valid (room, strlen (room))) {
        fprintf (stderr, "usage: zchat-sub --connect EP[,EP] --room ROOM --record FILE [--keys DIR]\n");
        return 2;
    }
    zsys_init ();
    zsys_handler_set (NULL);
    char err [512];
    zc_client_keys_t *keys = NULL;
    if (keys_dir && !(keys = zc_client_keys_load (keys_dir, err, sizeof (err)))) {
        fprintf (stderr, "zchat-sub: %s\n", err);
        return 2;
    }
    FILE *out = fopen (record, "a");
    if (!out) {
        fprintf (stderr, "zchat-sub: cannot open %s\n", record);
        return 2;
    }
    zsock_t *sub = zsock_new (ZMQ_SUB);
    assert (sub);
    zsock_set_rcvhwm (sub, 100000);
    zsock_set_maxmsgsize (sub, ZC_MAX_FRAME);
    zsock_set_subscribe (sub, room);
    if (beacons)
        zsock_set_subscribe (sub, ZC_BEACON_TOPIC);
    char *list = strdup (connect);
    for (char *save = NULL, *ep = strtok_r (list, ",", &save); ep; ep = strtok_r (NULL, ",", &save)) {
        if (keys)
            zc_client_keys_apply (keys, sub);
        if (zsock_connect (sub, "%s", ep)) {
            fprintf (stderr, "zchat-sub: cannot connect to %s\n", ep);
            return 2;
        }
    }
    free (list);
    fprintf (out, "room %s\nstart 0\n", room);
    fflush (out);
    struct sigaction action = { .sa_handler = s_on_signal };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);

    uint64_t maps = 0, bad = 0, beacon_count = 0;
    void *handle = zsock_resolve (sub);
    while (!s_stop) {
        zmq_pollitem_t item = { handle, -1, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 500) <= 0)
            continue;
        zmsg_t *msg = zmsg_recv (sub);
        if (!msg)
            continue;
        zframe_t *topic = zmsg_first (msg), *body = zmsg_next (msg);
        if (zmsg_size (msg) != 2) {
            bad++;
            zmsg_destroy (&msg);
            continue;
        }
        if (zframe_size (topic) == strlen (ZC_BEACON_TOPIC)
        &&  memcmp (zframe_data (topic), ZC_BEACON_TOPIC, strlen (ZC_BEACON_TOPIC)) == 0) {
            zc_msg_t beacon;
            if (zc_msg_decode (&beacon, zframe_data (body), zframe_size (body), NULL) == 0
            &&  beacon.type == ZC_BEACON)
                beacon_count++;
            else
                bad++;
            zmsg_destroy (&msg);
            continue;
        }
        if (zframe_size (topic) != strlen (room)
        ||  memcmp (zframe_data (topic), room, strlen (room)) != 0) {
            zmsg_destroy (&msg);    //  prefix match: not ours
            continue;
        }
        const uint8_t *data = zframe_data (body);
        size_t size = zframe_size (body), offset = 0;
        while (offset < size) {
            zc_msg_t chat;
            if (zc_msg_decode_next (&chat, data, size, &offset, NULL) || chat.type != ZC_CHAT) {
                bad++;
                break;
            }
            char client [ZC_CLIENT_ID_LEN + 1], name [ZC_MAX_ROOM + 1];
            zc_str_copy (client, sizeof (client), chat.client);
            zc_str_copy (name, sizeof (name), chat.room);
            fprintf (out, "recv %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %" PRIu64
                     " %s t=%016" PRIx64 "\n", chat.seq, chat.rseq, chat.ts, chat.epoch,
                     client, chat.id, name, zc_text_hash (chat.text.ptr, chat.text.len));
            maps++;
        }
        fflush (out);
        zmsg_destroy (&msg);
    }
    fclose (out);
    fprintf (stderr, "zchat-sub: %" PRIu64 " messages, %" PRIu64 " beacons, %" PRIu64
             " bad frames\n", maps, beacon_count, bad);
    zsock_destroy (&sub);
    zc_client_keys_destroy (&keys);
    return 0;
}
