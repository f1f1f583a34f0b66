/*  lamport.h — a Lamport clock with the rules of docs/DESIGN.md §7.

    A client sends with ts = tick (clock+1).  The leader stamps an entry
    with stamp (clock = max(clock, ts) + 1).  Every receiver of a stamped
    entry observes it (clock = max(clock, ts)).  Heartbeats never touch it.
*/
#ifndef ZC_LAMPORT_H
#define ZC_LAMPORT_H

#include <stdint.h>

//  How far a client's ts may move the leader's clock in one stamp.  An
//  honest client sends at most its clock + its messages in flight, and its
//  clock is what the cluster stamped (docs/PROTOCOL.md §4): a ts above the
//  leader's clock by more than this is not one, and is clamped to it, so
//  that one POST with ts = 2^53 - 1 cannot push the clock to the end of its
//  range and lock every honest client out (issue 9 item 2).
#define ZC_LAMPORT_MAX_AHEAD (1ull << 20)

typedef struct {
    uint64_t time;
} zc_lamport_t;

//  A local send event: advance by one and return the new time.
uint64_t zc_lamport_tick (zc_lamport_t *clock);

//  The leader stamps a message that arrived with ts: returns the new time,
//  strictly above the old clock and above ts — or, for a ts more than
//  ZC_LAMPORT_MAX_AHEAD above the clock, exactly clock + MAX_AHEAD + 1.
uint64_t zc_lamport_stamp (zc_lamport_t *clock, uint64_t ts);

//  A receiver learns ts: the clock never runs backwards.
void zc_lamport_observe (zc_lamport_t *clock, uint64_t ts);

#endif
