/*  nodes.c — the node processes: start (fork/exec, in the node's network
    namespace when there is one), kill, pause, reap.

    A node keeps its --data-dir across restarts (the log is durable).  Its
    output goes to run_dir/node-<id>.log.  Every child gets PDEATHSIG: if
    the harness dies, so do its nodes.  A node that exits without being
    told to is a crash, reported as a violation with its log's name.
*/
#include "chaos.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 48

static char *
s_strdup (const char *s)
{
    char *copy = strdup (s);
    if (!copy)
        abort ();
    return copy;
}

//  The peers list of node i: every other member, dialed directly but for
//  the proxied link (delay_from -> delay_to), which goes through the proxy
static void
s_peers (zc_chaos_t *ch, unsigned i, char *out, size_t cap)
{
    size_t used = 0;
    out [0] = 0;
    for (unsigned j = 0; j < ch->nodes; j++) {
        if (j == i)
            continue;
        const zc_cnode_t *peer = &ch->node [j];
        const char *host = peer->host;
        if (ch->delay_from == ch->node [i].id && ch->delay_to == peer->id)
            host = ch->proxy_host;
        int n = snprintf (out + used, cap - used, "%s%u:%s:%u", used ? "," : "",
                          peer->id, host, peer->port);
        if (n < 0 || (size_t) n >= cap - used)
            return;
        used += (size_t) n;
    }
}

int
zc_nodes_init (zc_chaos_t *ch, char *err, size_t errlen)
{
    char path [600];
    snprintf (path, sizeof (path), "%s/data", ch->run_dir);
    if (mkdir (path, 0755) && errno != EEXIST) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    size_t used = 0;
    for (unsigned i = 0; i < ch->nodes; i++) {
        zc_cnode_t *node = &ch->node [i];
        int n = snprintf (ch->servers + used, sizeof (ch->servers) - used, "%s%s:%u",
                          used ? "," : "", node->host, node->port);
        if (n > 0)
            used += (size_t) n;
    }
    for (unsigned i = 0; i < ch->nodes; i++) {
        zc_cnode_t *node = &ch->node [i];
        char peers [1024], buf [700];
        s_peers (ch, i, peers, sizeof (peers));
        node->argv = calloc (MAX_ARGS, sizeof (char *));
        if (!node->argv)
            abort ();
        size_t argc = 0;
        node->argv [argc++] = s_strdup (ch->node_bin);
        snprintf (buf, sizeof (buf), "%u", node->id);
        node->argv [argc++] = s_strdup ("--id");
        node->argv [argc++] = s_strdup (buf);
        snprintf (buf, sizeof (buf), "%u", node->port);
        node->argv [argc++] = s_strdup ("--port");
        node->argv [argc++] = s_strdup (buf);
        node->argv [argc++] = s_strdup ("--bind");
        node->argv [argc++] = s_strdup (node->host);
        node->argv [argc++] = s_strdup ("--peers");
        node->argv [argc++] = s_strdup (peers);
        snprintf (buf, sizeof (buf), "%s/data/node-%u", ch->run_dir, node->id);
        node->argv [argc++] = s_strdup ("--data-dir");
        node->argv [argc++] = s_strdup (buf);
        //  Extra flags, split on blanks
        char *flags = s_strdup (ch->node_flags ? ch->node_flags : "");
        for (char *save = NULL, *t = strtok_r (flags, " \t", &save); t;
             t = strtok_r (NULL, " \t", &save)) {
            if (argc + 1 >= MAX_ARGS) {
                free (flags);
                snprintf (err, errlen, "--node-flags: too many flags");
                return -1;
            }
            node->argv [argc++] = s_strdup (t);
        }
        free (flags);
        node->nsfd = -1;
        if (*node->ns) {
            snprintf (buf, sizeof (buf), "/run/netns/%s", node->ns);
            node->nsfd = open (buf, O_RDONLY | O_CLOEXEC);
            if (node->nsfd < 0) {
                snprintf (err, errlen, "%s: %s", buf, strerror (errno));
                return -1;
            }
        }
    }
    return 0;
}

int
zc_node_start (zc_chaos_t *ch, unsigned i)
{
    zc_cnode_t *node = &ch->node [i];
    if (node->pid)
        return 0;
    char path [600];
    snprintf (path, sizeof (path), "%s/node-%u.log", ch->run_dir, node->id);
    int logfd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        zc_chaos_violation (ch, "HARNESS: cannot open %s: %s", path, strerror (errno));
        return -1;
    }
    dprintf (logfd, "--- chat-chaos: start %u at t=%.3f s\n", node->starts + 1,
             (double) zc_chaos_t_ms (ch) / 1000.0);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        //  Only system calls from here to exec: we are a copy of a
        //  threaded process
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        setsid ();
        if (node->nsfd >= 0 && setns (node->nsfd, CLONE_NEWNET) != 0)
            _exit (126);
        int nullfd = open ("/dev/null", O_RDONLY);
        if (nullfd >= 0)
            dup2 (nullfd, 0);
        dup2 (logfd, 1);
        dup2 (logfd, 2);
        syscall (SYS_close_range, 3u, ~0u, 0u);
        //  The slow-disk fault's hook (docs/STORAGE.md): test-only
        setenv ("ZCHAT_TEST_SLOW_DISK", "1", 1);
        execv (node->argv [0], node->argv);
        _exit (127);
    }
    close (logfd);
    if (pid < 0) {
        zc_chaos_violation (ch, "HARNESS: fork: %s", strerror (errno));
        return -1;
    }
    node->pid = pid;
    node->paused = false;
    node->expect_exit = false;
    node->starts++;
    return 0;
}

//  Waits for a node we stopped; false if it is still there after ms
static bool
s_wait_exit (zc_cnode_t *node, int ms, int *status_p)
{
    for (int t = 0; t <= ms; t += 10) {
        int status = 0;
        pid_t got = waitpid (node->pid, &status, WNOHANG);
        if (got == node->pid || (got < 0 && errno == ECHILD)) {
            if (status_p)
                *status_p = status;
            node->pid = 0;
            node->paused = false;
            return true;
        }
        nanosleep (&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
    }
    return false;
}

void
zc_node_kill (zc_chaos_t *ch, unsigned i, int sig)
{
    zc_cnode_t *node = &ch->node [i];
    zc_nodes_reap (ch);         //  a crash before our kill is still a crash
    if (!node->pid)
        return;
    node->expect_exit = true;
    if (sig != SIGKILL) {
        kill (node->pid, SIGCONT);
        kill (node->pid, sig);
        if (s_wait_exit (node, 3000, NULL))
            return;
        zc_chaos_log (ch, "node %u did not stop on signal %d in 3 s: SIGKILL", node->id, sig);
    }
    kill (node->pid, SIGKILL);
    if (!s_wait_exit (node, 10000, NULL))
        zc_chaos_violation (ch, "HARNESS: node %u (pid %d) survived SIGKILL",
                            node->id, (int) node->pid);
}

void
zc_node_pause (zc_chaos_t *ch, unsigned i, bool pause)
{
    zc_cnode_t *node = &ch->node [i];
    if (!node->pid)
        return;
    kill (node->pid, pause ? SIGSTOP : SIGCONT);
    node->paused = pause;
    (void) ch;
}

bool
zc_node_live (const zc_cnode_t *node)
{
    return node->pid && !node->paused;
}

void
zc_nodes_reap (zc_chaos_t *ch)
{
    for (unsigned i = 0; i < ch->nodes; i++) {
        zc_cnode_t *node = &ch->node [i];
        int status;
        if (!node->pid || waitpid (node->pid, &status, WNOHANG) != node->pid)
            continue;
        if (!node->expect_exit) {
            char how [64];
            if (WIFSIGNALED (status))
                snprintf (how, sizeof (how), "killed by signal %d", WTERMSIG (status));
            else
                snprintf (how, sizeof (how), "exited with status %d", WEXITSTATUS (status));
            zc_chaos_violation (ch, "CRASH: node %u (pid %d) %s at t=%.1f s by itself "
                                "(see %s/node-%u.log)", node->id, (int) node->pid, how,
                                (double) zc_chaos_t_ms (ch) / 1000.0, ch->run_dir, node->id);
        }
        node->pid = 0;
        node->paused = false;
    }
}

void
zc_nodes_stop_all (zc_chaos_t *ch)
{
    for (unsigned i = 0; i < ch->nodes; i++)
        if (ch->node [i].pid) {
            ch->node [i].expect_exit = true;
            kill (ch->node [i].pid, SIGCONT);
            kill (ch->node [i].pid, SIGTERM);
        }
    for (unsigned i = 0; i < ch->nodes; i++) {
        zc_cnode_t *node = &ch->node [i];
        int status = 0;
        uint32_t id = node->id;
        if (!node->pid)
            continue;
        if (!s_wait_exit (node, 3000, &status))
            zc_node_kill (ch, i, SIGKILL);
        else
        if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
            zc_chaos_log (ch, "node %u: status %d at SIGTERM (see its log)", id, status);
    }
}

void
zc_nodes_free (zc_chaos_t *ch)
{
    for (unsigned i = 0; i < ch->nodes; i++) {
        zc_cnode_t *node = &ch->node [i];
        if (node->argv) {
            for (size_t a = 0; node->argv [a]; a++)
                free (node->argv [a]);
            free (node->argv);
            node->argv = NULL;
        }
        if (node->nsfd >= 0)
            close (node->nsfd);
        node->nsfd = -1;
    }
}
