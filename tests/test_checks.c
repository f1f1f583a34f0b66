/*  test_checks.c — checks that were asserts: the default build
    (RelWithDebInfo) compiles assert () out, so what guards an allocation
    or a bound that input reaches is a real check now (src/msg/oom.h,
    zc_security_load's member count).  Each case fails without its check.
*/
#include "oom.h"
#include "security.h"
#include "config.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

//  Runs fn in a child; its exit status and what it wrote on stderr.
static int
s_in_child (void (*fn) (void), char *out, size_t cap)
{
    int fds [2];
    if (pipe (fds))
        return -1;
    fflush (NULL);
    pid_t pid = fork ();
    if (pid == 0) {
        close (fds [0]);
        dup2 (fds [1], 2);
        fn ();
        _exit (99);             //  went on: the check did not stop it
    }
    close (fds [1]);
    size_t len = 0;
    ssize_t got;
    while (len + 1 < cap && (got = read (fds [0], out + len, cap - 1 - len)) > 0)
        len += (size_t) got;
    out [len] = 0;
    close (fds [0]);
    int status;
    if (waitpid (pid, &status, 0) != pid)
        return -1;
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
s_alloc_fails (void)
{
    void *null = NULL;
    void *ptr = ZC_ALLOC (null);
    //  Without the check: carry on as the old code did with NDEBUG
    fprintf (stderr, "ZC_ALLOC gave %p\n", ptr);
}

static void
s_oom_called (void)
{
    zc_oom ();
}

static void
test_oom (void)
{
    //  A good pointer passes through unchanged
    char *buf = malloc (16);
    CHECK (ZC_ALLOC (buf) == buf);
    free (buf);

    //  A NULL one: one line naming the place, then exit ZC_EXIT_OOM
    char out [512];
    int rc = s_in_child (s_alloc_fails, out, sizeof out);
    CHECKF (rc == ZC_EXIT_OOM, "exit %d, stderr: %s", rc, out);
    CHECKF (strstr (out, "zchat: out of memory at ") && strstr (out, "test_checks.c:"),
            "stderr: %s", out);
    CHECKF (strchr (out, '\n') == out + strlen (out) - 1, "not one line: %s", out);

    rc = s_in_child (s_oom_called, out, sizeof out);
    CHECKF (rc == ZC_EXIT_OOM && strstr (out, "out of memory"), "exit %d, stderr: %s", rc, out);
}

static void
test_security_members (void)
{
    //  The member table holds ZC_MAX_PEERS + 1: one more is refused with a
    //  reason, before any file is read (the folder does not exist: without
    //  the check the error would name a missing node.cert instead).
    uint32_t members [ZC_MAX_PEERS + 2];
    for (uint32_t i = 0; i < ZC_MAX_PEERS + 2; i++)
        members [i] = i + 1;
    char err [256] = "";
    zc_security_t *security = zc_security_load ("/nonexistent/zchat-keys", 1, members,
                                                ZC_MAX_PEERS + 2, ZC_CLIENTS_ANY,
                                                err, sizeof err);
    CHECK (security == NULL);
    CHECKF (strstr (err, "members: at most") != NULL, "err: %s", err);

    //  At the limit the count is no reason to refuse (the folder is)
    err [0] = 0;
    security = zc_security_load ("/nonexistent/zchat-keys", 1, members,
                                 ZC_MAX_PEERS + 1, ZC_CLIENTS_ANY, err, sizeof err);
    CHECK (security == NULL);
    CHECKF (err [0] && !strstr (err, "members: at most"), "err: %s", err);
}

int
main (void)
{
    test_oom ();
    test_security_members ();
    return check_report ("test_checks");
}
