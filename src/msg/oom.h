/*  oom.h — what a failed allocation does: one line on stderr, then exit.

    The default build is RelWithDebInfo, where NDEBUG compiles assert ()
    out: "p = malloc (n); assert (p);" there goes on with NULL and crashes
    later, somewhere else, or writes through it.  So every allocation is
    checked for real, by this one helper:

        self->buf = ZC_ALLOC (malloc (size));
        if (!grown)
            zc_oom ();

    Nothing is retried or unwound: a process out of memory stops like a
    crash, which the protocol survives (as a node that cannot write its
    election state does, docs/PROTOCOL.md §5.2).  _exit, not exit: czmq's
    atexit handler would tear down sockets other threads still use.  The
    allocators czmq's own constructors use (zmalloc) already abort on
    failure, so their results need no check here.

    Header only, so that chat-keygen, which links no zchat library, uses
    the same one.
*/
#ifndef ZC_OOM_H
#define ZC_OOM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ZC_EXIT_OOM 1               //  as a node that cannot save its state

static inline _Noreturn void
zc_oom_at (const char *file, int line)
{
    fprintf (stderr, "zchat: out of memory at %s:%d; stopping\n", file, line);
    _exit (ZC_EXIT_OOM);
}

//  Stop: an allocation just failed.
#define zc_oom() zc_oom_at (__FILE__, __LINE__)

static inline void *
zc_alloc_check_at (void *ptr, const char *file, int line)
{
    if (!ptr)
        zc_oom_at (file, line);
    return ptr;
}

//  ptr (what an allocator returned), or stop if it is NULL.  Never wrap a
//  call that may return NULL for a good reason (malloc (0), realloc to 0).
#define ZC_ALLOC(ptr) zc_alloc_check_at ((ptr), __FILE__, __LINE__)

//  The one growable-array step: items (room for *cap of elem bytes each)
//  grown, by doubling, to hold at least need; *cap updated.  Stops like
//  ZC_ALLOC when memory (or size_t) runs out.
static inline void *
zc_grow (void *items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return items;
    size_t grown = *cap ? *cap : 16;
    while (grown < need) {
        if (grown > SIZE_MAX / 2)
            zc_oom ();
        grown *= 2;
    }
    if (elem && grown > SIZE_MAX / elem)
        zc_oom ();
    items = ZC_ALLOC (realloc (items, grown * elem));
    *cap = grown;
    return items;
}

#endif
