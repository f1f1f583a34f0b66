/*  schedule.c — splitmix64 and the seeded fault schedule.

    The seed alone decides the sequence of faults and all their numbers
    (durations, percentages, delays, which backup: `pick`).  Who the leader
    is when a fault strikes is the cluster's doing, so a replay repeats the
    schedule, not the timing (exact replay is the simulator's job).
*/
#include "chaos.h"

#include <string.h>

uint64_t
zc_rng_next (zc_rng_t *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t
zc_rng_range (zc_rng_t *rng, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t) (zc_rng_next (rng) % ((uint64_t) hi - lo + 1));
}

static const char *s_names [ZC_F_KINDS] = {
    "kill-leader", "kill-backup", "pause-leader", "pause-backup", "flap",
    "full-restart", "isolate", "split", "loss", "delay", "term-leader", "return-higher",
    "cpu-hog", "slow-disk"
};

const char *
zc_fault_name (zc_fault_kind_t kind)
{
    return kind < ZC_F_KINDS ? s_names [kind] : "?";
}

int
zc_fault_mask (const char *list, uint32_t *mask)
{
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn (p, ",");
        if (len == 3 && strncmp (p, "all", 3) == 0)
            *mask |= ZC_F_ALL;
        else
        if (len) {
            int k;
            for (k = 0; k < ZC_F_KINDS; k++)
                if (strlen (s_names [k]) == len && strncmp (p, s_names [k], len) == 0)
                    break;
            if (k == ZC_F_KINDS)
                return -1;
            *mask |= 1u << k;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return *mask ? 0 : -1;
}

void
zc_fault_list (uint32_t mask, char *out, size_t cap)
{
    size_t used = 0;
    out [0] = 0;
    if (mask == ZC_F_ALL) {
        snprintf (out, cap, "all");
        return;
    }
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (mask & (1u << k)) {
            int n = snprintf (out + used, cap - used, "%s%s", used ? "," : "", s_names [k]);
            if (n < 0 || (size_t) n >= cap - used)
                return;
            used += (size_t) n;
        }
}

//  The numbers of one fault of kind k
static void
s_draw (zc_rng_t *rng, zc_fault_kind_t k, zc_fault_t *f)
{
    *f = (zc_fault_t) { .kind = k, .pick = zc_rng_next (rng),
                        .gap_ms = zc_rng_range (rng, 500, 2000) };
    switch (k) {
        case ZC_F_KILL_LEADER:
        case ZC_F_KILL_BACKUP:
        case ZC_F_TERM_LEADER:
            f->hold_ms = zc_rng_range (rng, 300, 3000);
            break;
        case ZC_F_RETURN_HIGHER:
            //  How long the highest node stays down before it returns
            f->hold_ms = zc_rng_range (rng, 500, 3000);
            break;
        case ZC_F_CPU_HOG:
            f->hold_ms = zc_rng_range (rng, 2000, 6000);
            break;
        case ZC_F_SLOW_DISK:
            f->param = zc_rng_range (rng, 20, 80);
            f->hold_ms = zc_rng_range (rng, 2000, 6000);
            break;
        case ZC_F_PAUSE_LEADER:
        case ZC_F_PAUSE_BACKUP:
            //  Below and above the 300 ms a backup waits for a heartbeat
            f->hold_ms = zc_rng_range (rng, 150, 2500);
            break;
        case ZC_F_FLAP:
            f->param = zc_rng_range (rng, 3, 5);
            f->param2 = zc_rng_range (rng, 50, 500);
            f->hold_ms = zc_rng_range (rng, 100, 1200);
            break;
        case ZC_F_FULL_RESTART:
            f->param = zc_rng_range (rng, 0, 3) == 0;
            f->hold_ms = zc_rng_range (rng, 200, 2000);
            break;
        case ZC_F_ISOLATE:
            f->param = zc_rng_range (rng, 0, 9) < 7;
            f->param2 = zc_rng_range (rng, 0, 9) < 3;
            f->hold_ms = zc_rng_range (rng, 800, 4000);
            break;
        case ZC_F_SPLIT:
            f->param = zc_rng_range (rng, 0, 9) < 7;
            f->hold_ms = zc_rng_range (rng, 1000, 5000);
            break;
        case ZC_F_LOSS:
            f->param = zc_rng_range (rng, 5, 30);
            f->hold_ms = zc_rng_range (rng, 1500, 5000);
            break;
        case ZC_F_DELAY:
            f->param = zc_rng_range (rng, 50, 800);
            f->hold_ms = zc_rng_range (rng, 1500, 5000);
            break;
        case ZC_F_KINDS:
            break;
    }
}

size_t
zc_schedule_make (uint64_t seed, uint32_t mask, zc_fault_t *out, size_t cap)
{
    zc_rng_t rng = { seed };
    zc_fault_kind_t kinds [ZC_F_KINDS];
    size_t nkinds = 0, count = 0;
    for (int k = 0; k < ZC_F_KINDS; k++)
        if (mask & (1u << k))
            kinds [nkinds++] = (zc_fault_kind_t) k;
    if (nkinds == 0)
        return 0;
    //  Every kind once first, in a seeded order (Fisher-Yates)
    for (size_t i = nkinds - 1; i > 0; i--) {
        size_t j = (size_t) (zc_rng_next (&rng) % (i + 1));
        zc_fault_kind_t swap = kinds [i];
        kinds [i] = kinds [j];
        kinds [j] = swap;
    }
    for (size_t i = 0; i < nkinds && count < cap; i++)
        s_draw (&rng, kinds [i], &out [count++]);
    while (count < cap)
        s_draw (&rng, kinds [zc_rng_next (&rng) % nkinds], &out [count++]);
    return count;
}
