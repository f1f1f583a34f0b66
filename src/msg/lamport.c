/*  lamport.c — see lamport.h */
#include "lamport.h"

uint64_t
zc_lamport_tick (zc_lamport_t *clock)
{
    return ++clock->time;
}

uint64_t
zc_lamport_stamp (zc_lamport_t *clock, uint64_t ts)
{
    if (ts > clock->time && ts - clock->time > ZC_LAMPORT_MAX_AHEAD)
        ts = clock->time + ZC_LAMPORT_MAX_AHEAD;    //  a client's clock cannot be that far
    if (ts > clock->time)
        clock->time = ts;
    return ++clock->time;
}

void
zc_lamport_observe (zc_lamport_t *clock, uint64_t ts)
{
    if (ts > clock->time)
        clock->time = ts;
}
