/*  test_relay_subs.c — relay_subs: the topics listeners hold, upstream
    subscribe on the first subscribe, unsubscribe on the unsubscribe (the
    XPUB passes only the last one: ZMQ_XPUB_VERBOSE), bad frames counted
    and ignored.
*/
#include <string.h>

#include "relay_subs.h"
#include "testutil.h"

static zc_subs_action_t
s_frame (zc_relay_subs_t *subs, int op, const char *topic, char *out, size_t *out_len)
{
    uint8_t buf [256];
    size_t len = strlen (topic);
    buf [0] = (uint8_t) op;
    memcpy (buf + 1, topic, len);
    return zc_relay_subs_frame (subs, buf, len + 1, out, out_len);
}

int
main (void)
{
    char topic [ZC_MAX_ROOM + 1];
    size_t len = 99;
    zc_relay_subs_t *subs = zc_relay_subs_new (2);
    CHECK (subs);

    //  first listener subscribes upstream; the second does not
    CHECK (s_frame (subs, 1, "general", topic, &len) == ZC_SUBS_SUBSCRIBE);
    CHECK (len == 7 && strcmp (topic, "general") == 0);
    CHECK (s_frame (subs, 1, "general", topic, &len) == ZC_SUBS_NONE);
    CHECK (zc_relay_subs_count (subs, "general", 7) == 2);
    //  a prefix is its own topic
    CHECK (s_frame (subs, 1, "gen", topic, &len) == ZC_SUBS_SUBSCRIBE);
    CHECK (zc_relay_subs_count (subs, "gen", 3) == 1);
    CHECK (zc_relay_subs_topics (subs) == 2);

    //  capacity: a third distinct topic is a counted drop
    CHECK (s_frame (subs, 1, "other", topic, &len) == ZC_SUBS_DROP);
    CHECK (zc_relay_subs_dropped (subs) == 1);
    CHECK (zc_relay_subs_topics (subs) == 2);

    //  the unsubscribe (the XPUB's: the last listener gone) unsubscribes
    //  upstream, however many subscribes came: a SUB that subscribed
    //  twice ends with one unsubscribe
    CHECK (s_frame (subs, 0, "general", topic, &len) == ZC_SUBS_UNSUBSCRIBE);
    CHECK (len == 7 && strcmp (topic, "general") == 0);
    CHECK (zc_relay_subs_count (subs, "general", 7) == 0);
    CHECK (zc_relay_subs_topics (subs) == 1);
    //  "gen" survived the slot being freed
    CHECK (zc_relay_subs_count (subs, "gen", 3) == 1);

    //  an unsubscribe nobody holds: counted, no underflow
    CHECK (s_frame (subs, 0, "general", topic, &len) == ZC_SUBS_DROP);
    CHECK (zc_relay_subs_dropped (subs) == 2);
    CHECK (s_frame (subs, 1, "general", topic, &len) == ZC_SUBS_SUBSCRIBE);

    //  bad frames: empty, bad first byte, topic too long
    CHECK (zc_relay_subs_frame (subs, (const uint8_t *) "", 0, topic, &len) == ZC_SUBS_DROP);
    CHECK (s_frame (subs, 2, "general", topic, &len) == ZC_SUBS_DROP);
    CHECK (zc_relay_subs_dropped (subs) == 4);
    //  too long, with room in the table for it
    CHECK (s_frame (subs, 0, "gen", topic, &len) == ZC_SUBS_UNSUBSCRIBE);
    CHECK (zc_relay_subs_topics (subs) == 1);
    char longname [ZC_MAX_ROOM + 2];
    memset (longname, 'a', sizeof longname - 1);
    longname [sizeof longname - 1] = 0;
    CHECK (s_frame (subs, 1, longname, topic, &len) == ZC_SUBS_DROP);
    CHECK (zc_relay_subs_dropped (subs) == 5);
    CHECK (zc_relay_subs_topics (subs) == 1);
    //  a topic of exactly ZC_MAX_ROOM is fine
    longname [ZC_MAX_ROOM] = 0;
    CHECK (s_frame (subs, 1, longname, topic, &len) == ZC_SUBS_SUBSCRIBE);
    CHECK (len == ZC_MAX_ROOM);

    //  empty topic (every room) is a topic like any other
    zc_relay_subs_t *all = zc_relay_subs_new (0);
    CHECK (s_frame (all, 1, "", topic, &len) == ZC_SUBS_SUBSCRIBE);
    CHECK (len == 0 && topic [0] == 0);
    CHECK (s_frame (all, 0, "", topic, &len) == ZC_SUBS_UNSUBSCRIBE);
    zc_relay_subs_destroy (&all);

    //  the topics held, one by one
    size_t held = zc_relay_subs_topics (subs), at_len = 0;
    CHECK (held >= 1);
    const char *first = zc_relay_subs_topic_at (subs, 0, &at_len);
    CHECK (first && strlen (first) == at_len && zc_relay_subs_count (subs, first, at_len) >= 1);
    CHECK (zc_relay_subs_topic_at (subs, held, &at_len) == NULL);

    //  what a topic asks of a relay of the cluster: beacons win for every
    //  prefix of "$beacon", the empty one included; whole rooms otherwise
    CHECK (zc_relay_topic_kind ("general", 7) == ZC_TOPIC_ROOM);
    CHECK (zc_relay_topic_kind ("gen", 3) == ZC_TOPIC_ROOM);
    CHECK (zc_relay_topic_kind ("$beacon", 7) == ZC_TOPIC_BEACON);
    CHECK (zc_relay_topic_kind ("$bea", 4) == ZC_TOPIC_BEACON);
    CHECK (zc_relay_topic_kind ("", 0) == ZC_TOPIC_BEACON);
    CHECK (zc_relay_topic_kind ("$beacons", 8) == ZC_TOPIC_OTHER);
    CHECK (zc_relay_topic_kind ("$x", 2) == ZC_TOPIC_OTHER);
    CHECK (zc_relay_topic_kind ("a b", 3) == ZC_TOPIC_OTHER);
    CHECK (zc_relay_topic_kind (NULL, 0) == ZC_TOPIC_OTHER);

    zc_relay_subs_destroy (&subs);
    CHECK (subs == NULL);
    zc_relay_subs_destroy (&subs);
    return check_report ("test_relay_subs");
}
