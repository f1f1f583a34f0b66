/*  follow.h — which node the client believes leads, by highest epoch.

    Every node tells the client who it follows: WELCOME and BEACON carry
    (leader, epoch), ERROR not_leader a hint, ACK proves its sender serves.
    An epoch has at most one leader, so the client follows the leader of
    the highest epoch it has heard of, and never goes back to a lower one.

    When the followed leader refuses to serve (not_leader, no_quorum), the
    client forgets it; backups may still name it in their beacons for a
    while (they have not noticed yet), so such second-hand hints about the
    same (leader, epoch) are ignored for a hold time.  The leader's own
    word (its beacon, sent only while it holds its lease) is believed at
    once.  Pure: the caller passes the time in.
*/
#ifndef ZC_FOLLOW_H
#define ZC_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t leader;                //  followed leader, 0 = unknown
    uint64_t epoch;                 //  its epoch (kept when it is lost)
    uint64_t max_epoch;             //  highest epoch heard of, led or not
    uint32_t shun_leader;           //  lost leader, and the epoch it lost in
    uint64_t shun_epoch;
    int64_t shun_until;             //  ms; second-hand hints ignored until
} zc_follow_t;

//  Start knowing nothing.
void zc_follow_init (zc_follow_t *self);

//  Node says leader leads epoch; first_hand is true when the sender is
//  that leader speaking for itself.  Returns true if the followed
//  (leader, epoch) changed to a known leader.
bool zc_follow_hint (zc_follow_t *self, uint32_t leader, uint64_t epoch,
                     bool first_hand, int64_t now);

//  The followed leader refused to serve: forget it, and ignore second-hand
//  hints naming it in its epoch for hold_ms.  Returns true if node was the
//  followed leader.
bool zc_follow_lost (zc_follow_t *self, uint32_t node, int64_t now, int64_t hold_ms);

#endif
