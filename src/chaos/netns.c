/*  netns.c — the project's own test hosts: one network namespace per node,
    one for the harness's client threads (and the proxy), joined by veth
    pairs to a bridge in a hub namespace.  Nothing is created in the root
    namespace; the addresses (ZC_CHAOS_NET.0/24) exist only in ours.

    Names carry the run id, "zcc<pid>-hub", "zcc<pid>-n<id>", "zcc<pid>-cl":
    a leftover is stale when no chat-chaos runs under that pid any more.

    Faults are nftables rules in a table "inet zchaos" of each namespace
    (dropped with the namespace): isolate = drop all on eth0 (or eth0 down),
    split = drop the other side's addresses, loss = numgen random drop on
    input.  Heal flushes the chains and brings links up again.
*/
#include "chaos.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define IP_BIN  "ip"
#define NFT_SETUP \
    "add table inet zchaos; " \
    "add chain inet zchaos input { type filter hook input priority 0; policy accept; }; " \
    "add chain inet zchaos output { type filter hook output priority 0; policy accept; }"

static uint32_t s_link_down;    //  nodes whose eth0 we set down (bit = index)

int
zc_run_cmd (zc_chaos_t *ch, const char *const *argv)
{
    char path [600];
    snprintf (path, sizeof (path), "%s/net.log", ch->run_dir);
    int logfd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd >= 0) {
        dprintf (logfd, "+");
        for (size_t i = 0; argv [i]; i++)
            dprintf (logfd, " %s", argv [i]);
        dprintf (logfd, "\n");
    }
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        int nullfd = open ("/dev/null", O_RDONLY);
        if (nullfd >= 0)
            dup2 (nullfd, 0);
        if (logfd >= 0) {
            dup2 (logfd, 1);
            dup2 (logfd, 2);
        }
        syscall (SYS_close_range, 3u, ~0u, 0u);
        execvp (argv [0], (char *const *) argv);
        _exit (127);
    }
    if (logfd >= 0)
        close (logfd);
    if (pid < 0)
        return -1;
    int status;
    while (waitpid (pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

//  Runs `ip args...` inside namespace ns, or with ns NULL, here.  Entered
//  with nsenter (util-linux: setns only): `ip -n NS` and `ip netns exec`
//  also remount / and /sys, which fails in a chroot (the fresh-machine
//  root of the CI check)
static int
s_ip (zc_chaos_t *ch, const char *ns, const char *a1, const char *a2,
      const char *a3, const char *a4, const char *a5, const char *a6,
      const char *a7, const char *a8, const char *a9)
{
    const char *argv [16];
    char net [300];
    size_t n = 0;
    if (ns) {
        snprintf (net, sizeof (net), "--net=/run/netns/%s", ns);
        argv [n++] = "nsenter";
        argv [n++] = net;
    }
    argv [n++] = IP_BIN;
    const char *rest [] = { a1, a2, a3, a4, a5, a6, a7, a8, a9 };
    for (size_t i = 0; i < 9 && rest [i]; i++)
        argv [n++] = rest [i];
    argv [n] = NULL;
    return zc_run_cmd (ch, argv);
}

//  Runs nft inside namespace ns (nsenter, as s_ip)
static int
s_nft (zc_chaos_t *ch, const char *ns, const char *commands)
{
    char net [300];
    snprintf (net, sizeof (net), "--net=/run/netns/%s", ns);
    const char *argv [] = { "nsenter", net, "nft", commands, NULL };
    return zc_run_cmd (ch, argv);
}

static void
s_ns_name (zc_chaos_t *ch, char *out, size_t cap, const char *what)
{
    snprintf (out, cap, "%s-%s", ch->runid, what);
}

//  --------------------------------------------------------------------------
//  Stale leftovers of earlier runs (a harness killed with SIGKILL)

static bool
s_harness_alive (long pid)
{
    char path [64], comm [64] = "";
    snprintf (path, sizeof (path), "/proc/%ld/comm", pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return false;
    bool ok = fgets (comm, sizeof (comm), f) && strncmp (comm, "chat-chaos", 10) == 0;
    fclose (f);
    return ok;
}

//  Kills the chat-node processes left inside a stale namespace
static void
s_kill_inside (const char *ns_path)
{
    struct stat ns_st;
    if (stat (ns_path, &ns_st) != 0)
        return;
    DIR *proc = opendir ("/proc");
    if (!proc)
        return;
    struct dirent *e;
    while ((e = readdir (proc))) {
        char *end;
        long pid = strtol (e->d_name, &end, 10);
        if (*end || pid <= 1)
            continue;
        char path [300], comm [64] = "";
        struct stat st;
        snprintf (path, sizeof (path), "/proc/%ld/ns/net", pid);
        if (stat (path, &st) != 0 || st.st_ino != ns_st.st_ino || st.st_dev != ns_st.st_dev)
            continue;
        snprintf (path, sizeof (path), "/proc/%ld/comm", pid);
        FILE *f = fopen (path, "r");
        if (f) {
            if (fgets (comm, sizeof (comm), f) && strncmp (comm, "chat-node", 9) == 0)
                kill ((pid_t) pid, SIGKILL);
            fclose (f);
        }
    }
    closedir (proc);
}

void
zc_net_cleanup_stale (void)
{
    DIR *dir = opendir ("/run/netns");
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir (dir))) {
        const char *name = e->d_name;
        if (strncmp (name, "zcc", 3) != 0)
            continue;
        char *end;
        long pid = strtol (name + 3, &end, 10);
        if (end == name + 3 || *end != '-' || pid == (long) getpid () || s_harness_alive (pid))
            continue;
        char path [300];
        snprintf (path, sizeof (path), "/run/netns/%s", name);
        s_kill_inside (path);
        fprintf (stderr, "chat-chaos: removing stale namespace %s (run %ld is gone)\n", name, pid);
        pid_t child = fork ();
        if (child == 0) {
            execlp (IP_BIN, IP_BIN, "netns", "del", name, (char *) NULL);
            _exit (127);
        }
        if (child > 0)
            waitpid (child, NULL, 0);
    }
    closedir (dir);
}

//  --------------------------------------------------------------------------

//  One host: namespace ns, veth "v<tag>" in the hub, eth0 inside, addresses
static int
s_host (zc_chaos_t *ch, const char *hub, const char *ns, const char *tag,
        const char *addr1, const char *addr2)
{
    char veth [16];
    snprintf (veth, sizeof (veth), "v%s", tag);
    if (s_ip (ch, NULL, "netns", "add", ns, NULL, NULL, NULL, NULL, NULL, NULL)
    ||  s_ip (ch, ns, "link", "set", "lo", "up", NULL, NULL, NULL, NULL, NULL)
    ||  s_ip (ch, hub, "link", "add", veth, "type", "veth", "peer", "name", "eth0", NULL))
        return -1;
    //  The peer end was made in the hub as eth0: move it in
    if (s_ip (ch, hub, "link", "set", "eth0", "netns", ns, NULL, NULL, NULL, NULL)
    ||  s_ip (ch, hub, "link", "set", veth, "master", "br0", NULL, NULL, NULL, NULL)
    ||  s_ip (ch, hub, "link", "set", veth, "up", NULL, NULL, NULL, NULL, NULL)
    ||  s_ip (ch, ns, "addr", "add", addr1, "dev", "eth0", NULL, NULL, NULL, NULL))
        return -1;
    if (addr2 && s_ip (ch, ns, "addr", "add", addr2, "dev", "eth0", NULL, NULL, NULL, NULL))
        return -1;
    if (s_ip (ch, ns, "link", "set", "eth0", "up", NULL, NULL, NULL, NULL, NULL)
    ||  s_nft (ch, ns, NFT_SETUP))
        return -1;
    return 0;
}

int
zc_net_setup (zc_chaos_t *ch, char *err, size_t errlen)
{
    char hub [64], ns [64], a1 [48], a2 [48], tag [16];
    s_ns_name (ch, hub, sizeof (hub), "hub");
    ch->net_up = true;          //  from here on, teardown has work to do
    if (s_ip (ch, NULL, "netns", "add", hub, NULL, NULL, NULL, NULL, NULL, NULL)
    ||  s_ip (ch, hub, "link", "set", "lo", "up", NULL, NULL, NULL, NULL, NULL)
    ||  s_ip (ch, hub, "link", "add", "br0", "type", "bridge", NULL, NULL, NULL, NULL)
    ||  s_ip (ch, hub, "link", "set", "br0", "up", NULL, NULL, NULL, NULL, NULL))
        goto failed;
    for (unsigned i = 0; i < ch->nodes; i++) {
        zc_cnode_t *node = &ch->node [i];
        snprintf (tag, sizeof (tag), "n%u", node->id);
        s_ns_name (ch, node->ns, sizeof (node->ns), tag);
        snprintf (a1, sizeof (a1), "%s/24", node->host);
        if (s_host (ch, hub, node->ns, tag, a1, NULL))
            goto failed;
    }
    s_ns_name (ch, ns, sizeof (ns), "cl");
    snprintf (a1, sizeof (a1), "%s.%d/24", ZC_CHAOS_NET, ZC_CHAOS_CLIENT_HOST);
    snprintf (a2, sizeof (a2), "%s.%d/24", ZC_CHAOS_NET, ZC_CHAOS_CLIENT_HOST + 1);
    if (s_host (ch, hub, ns, "cl", a1, a2))
        goto failed;
    return 0;
failed:
    snprintf (err, errlen, "setting up the network namespaces failed (commands and "
              "their output: %s/net.log)", ch->run_dir);
    return -1;
}

int
zc_net_enter_client (zc_chaos_t *ch, char *err, size_t errlen)
{
    char path [300];
    snprintf (path, sizeof (path), "/run/netns/%s-cl", ch->runid);
    ch->root_nsfd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ch->client_nsfd = open (path, O_RDONLY | O_CLOEXEC);
    if (ch->root_nsfd < 0 || ch->client_nsfd < 0
    ||  setns (ch->client_nsfd, CLONE_NEWNET) != 0) {
        snprintf (err, errlen, "entering %s: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}

void
zc_net_teardown (zc_chaos_t *ch)
{
    if (!ch->net_up)
        return;
    if (ch->root_nsfd >= 0) {
        if (setns (ch->root_nsfd, CLONE_NEWNET) != 0)
            zc_chaos_log (ch, "leaving the client namespace: %s", strerror (errno));
        close (ch->root_nsfd);
        ch->root_nsfd = -1;
    }
    if (ch->client_nsfd >= 0)
        close (ch->client_nsfd);
    ch->client_nsfd = -1;
    char ns [64];
    s_ns_name (ch, ns, sizeof (ns), "cl");
    s_ip (ch, NULL, "netns", "del", ns, NULL, NULL, NULL, NULL, NULL, NULL);
    for (unsigned i = 0; i < ch->nodes; i++)
        if (*ch->node [i].ns)
            s_ip (ch, NULL, "netns", "del", ch->node [i].ns, NULL, NULL, NULL, NULL, NULL, NULL);
    s_ns_name (ch, ns, sizeof (ns), "hub");
    s_ip (ch, NULL, "netns", "del", ns, NULL, NULL, NULL, NULL, NULL, NULL);
    ch->net_up = false;
}

//  --------------------------------------------------------------------------
//  Faults

int
zc_net_isolate (zc_chaos_t *ch, unsigned i, bool link_down)
{
    zc_cnode_t *node = &ch->node [i];
    if (link_down) {
        s_link_down |= 1u << i;
        return s_ip (ch, node->ns, "link", "set", "eth0", "down", NULL, NULL, NULL, NULL, NULL);
    }
    return s_nft (ch, node->ns, "add rule inet zchaos input iifname \"eth0\" drop; "
                                "add rule inet zchaos output oifname \"eth0\" drop");
}

int
zc_net_split (zc_chaos_t *ch, const bool *minority)
{
    int rc = 0;
    for (unsigned i = 0; i < ch->nodes; i++) {
        //  The addresses on the other side; the proxy stands for
        //  delay_from when its link to delay_to crosses the split
        char set [512] = "", rules [1200];
        size_t used = 0;
        for (unsigned j = 0; j < ch->nodes; j++)
            if (minority [j] != minority [i])
                used += (size_t) snprintf (set + used, sizeof (set) - used, "%s%s",
                                           used ? ", " : "", ch->node [j].host);
        uint32_t id = ch->node [i].id;
        for (unsigned j = 0; j < ch->nodes && ch->delay_from; j++) {
            uint32_t other = ch->node [j].id;
            bool link = (id == ch->delay_from && other == ch->delay_to)
                     || (id == ch->delay_to && other == ch->delay_from);
            if (link && minority [j] != minority [i])
                used += (size_t) snprintf (set + used, sizeof (set) - used, ", %s",
                                           ch->proxy_host);
        }
        snprintf (rules, sizeof (rules),
                  "add rule inet zchaos input ip saddr { %s } drop; "
                  "add rule inet zchaos output ip daddr { %s } drop", set, set);
        if (s_nft (ch, ch->node [i].ns, rules))
            rc = -1;
    }
    return rc;
}

int
zc_net_loss (zc_chaos_t *ch, unsigned percent)
{
    char rule [200], ns [64];
    snprintf (rule, sizeof (rule),
              "add rule inet zchaos input iifname \"eth0\" numgen random mod 100 < %u drop",
              percent);
    int rc = 0;
    for (unsigned i = 0; i < ch->nodes; i++)
        if (s_nft (ch, ch->node [i].ns, rule))
            rc = -1;
    s_ns_name (ch, ns, sizeof (ns), "cl");
    if (s_nft (ch, ns, rule))
        rc = -1;
    return rc;
}

void
zc_net_heal (zc_chaos_t *ch)
{
    static const char *flush = "flush chain inet zchaos input; flush chain inet zchaos output";
    char ns [64];
    for (unsigned i = 0; i < ch->nodes; i++) {
        if (s_link_down & (1u << i))
            s_ip (ch, ch->node [i].ns, "link", "set", "eth0", "up", NULL, NULL, NULL, NULL, NULL);
        s_nft (ch, ch->node [i].ns, flush);
    }
    s_link_down = 0;
    s_ns_name (ch, ns, sizeof (ns), "cl");
    s_nft (ch, ns, flush);
}
