/*  lamport.h — a Lamport clock with the rules of DESIGN §7.

    A client sends with ts = tick (clock+1).  The leader stamps an entry
    with stamp (clock = max(clock, ts) + 1).  Every receiver of a stamped
    entry observes it (clock = max(clock, ts)).  Heartbeats never touch it.
*/
#ifndef ZC_LAMPORT_H
#define ZC_LAMPORT_H

#include <stdint.h>

typedef struct {
    uint64_t time;
} zc_lamport_t;

//  A local send event: advance by one and return the new time.
uint64_t zc_lamport_tick (zc_lamport_t *clock);

//  The leader stamps a message that arrived with ts: returns the new time,
//  strictly above both the old clock and ts.
uint64_t zc_lamport_stamp (zc_lamport_t *clock, uint64_t ts);

//  A receiver learns ts: the clock never runs backwards.
void zc_lamport_observe (zc_lamport_t *clock, uint64_t ts);

#endif
