/*  ratelog.c — a bounded, rate-limited log (ratelog.h, docs/PROTOCOL.md §8). */
#include "ratelog.h"

#include <czmq.h>

bool
zc_ratelog_allow (zc_ratelog_t *self, const char *key, uint64_t now, uint64_t *suppressed)
{
    zc_ratelog_slot_t *slot = NULL;
    zc_ratelog_slot_t *oldest = &self->slots [0];
    for (size_t i = 0; i < ZC_RATELOG_SLOTS; i++) {
        if (self->slots [i].key [0] && streq (self->slots [i].key, key)) {
            slot = &self->slots [i];
            break;
        }
        if (self->slots [i].next < oldest->next)
            oldest = &self->slots [i];
    }
    if (!slot) {
        //  A new key takes the slot that wrote longest ago (or never): a
        //  flood from many addresses churns the table, and then only the
        //  global cap below bounds the lines.
        slot = oldest;
        memset (slot, 0, sizeof *slot);
        snprintf (slot->key, sizeof slot->key, "%s", key);
    }
    if (now < slot->next) {
        slot->suppressed++;
        return false;
    }
    if (now >= self->window + ZC_RATELOG_MS || self->window == 0) {
        self->window = now ? now : 1;
        self->lines = 0;
    }
    if (self->lines >= ZC_RATELOG_BURST) {
        self->suppressed++;
        return false;
    }
    self->lines++;
    *suppressed = slot->suppressed + self->suppressed;
    slot->suppressed = 0;
    self->suppressed = 0;
    slot->next = now + ZC_RATELOG_MS;
    return true;
}

void
zc_ratelog_vwarn (zc_ratelog_t *self, const char *key, const char *format, va_list args)
{
    uint64_t suppressed;
    if (!zc_ratelog_allow (self, key, (uint64_t) zclock_mono (), &suppressed))
        return;
    char line [600];
    vsnprintf (line, sizeof line, format, args);
    if (suppressed)
        zsys_warning ("%s (and %llu more like it, not logged)", line,
                      (unsigned long long) suppressed);
    else
        zsys_warning ("%s", line);
}

void
zc_ratelog_warn (zc_ratelog_t *self, const char *key, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    zc_ratelog_vwarn (self, key, format, args);
    va_end (args);
}
