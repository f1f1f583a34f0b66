/*  ratelog.h — a bounded, rate-limited log (docs/PROTOCOL.md §8).

    One line per key per ZC_RATELOG_MS, at most ZC_RATELOG_BURST lines
    per ZC_RATELOG_MS in all, so a flood from one address or from many
    cannot fill the disk.  The lines left out are counted and reported
    with the next line written.  A zc_ratelog_t is plain memory (calloc
    or zero it); each thread that logs keeps its own: the ZAP handler
    (zap.c), the handshake watcher (watcher.c), the heartbeat REQ's
    monitor and the forged-message lines (zc_security_note).
*/
#ifndef ZC_RATELOG_H
#define ZC_RATELOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define ZC_RATELOG_SLOTS 64
#define ZC_RATELOG_MS    10000
#define ZC_RATELOG_BURST 20

typedef struct {
    char key [96];
    uint64_t next;                  //  when this key may write its next line
    uint64_t suppressed;            //  lines for this key left out since
} zc_ratelog_slot_t;

typedef struct {
    zc_ratelog_slot_t slots [ZC_RATELOG_SLOTS];
    uint64_t window;                //  start of the current global window
    uint32_t lines;                 //  lines written in it
    uint64_t suppressed;            //  lines left out by the global cap
} zc_ratelog_t;

//  True if a line for key may be written at now (ms); then *suppressed
//  says how many were left out before it (this key's and the cap's).
bool
    zc_ratelog_allow (zc_ratelog_t *self, const char *key, uint64_t now,
                      uint64_t *suppressed);

//  A warning, if zc_ratelog_allow lets key write one now (zclock_mono).
void
    zc_ratelog_warn (zc_ratelog_t *self, const char *key, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  The same with a va_list, for wrappers (zc_security_note).
void
    zc_ratelog_vwarn (zc_ratelog_t *self, const char *key, const char *format,
                      va_list args)
    __attribute__ ((format (printf, 3, 0)));

#endif
