/*  testdir.h — scratch folders for the unit tests that write files.

    test_mkdtemp (dir, prefix)  makes /tmp/PREFIX_XXXXXX (dir holds at least
                                64 bytes) or exits 2: a test that cannot
                                make its folder tests nothing;
    test_rmrf (dir)             removes dir and everything below it.
*/
#ifndef ZC_TESTDIR_H
#define ZC_TESTDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void
test_mkdtemp (char *dir, const char *prefix)
{
    snprintf (dir, 64, "/tmp/%.40s_XXXXXX", prefix);
    if (!mkdtemp (dir)) {
        perror ("mkdtemp");
        exit (2);
    }
}

static inline void
test_rmrf (const char *dir)
{
    DIR *handle = opendir (dir);
    struct dirent *entry;
    char path [1300];
    while (handle && (entry = readdir (handle)))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, "..")) {
            int len = snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
            if (len < 0 || (size_t) len >= sizeof path)
                continue;           //  no scratch folder of ours nests that deep
            if (unlink (path))
                test_rmrf (path);
        }
    if (handle)
        closedir (handle);
    rmdir (dir);
}

#endif
