/*  main.c — chat-node: flags → config → node → run.  Exit 2 on bad flags. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <czmq.h>
#include "config.h"
#include "node.h"

//  Each client holds 2 descriptors on every node it talks to (its DEALER's
//  and its SUB's connections): at the usual soft limit of 1024 a node ran
//  out at about 500 clients, and could then not open its next log segment.
//  Take what the hard limit allows.
static void
s_raise_fd_limit (void)
{
    struct rlimit lim;
    if (getrlimit (RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &lim))
            zsys_warning ("chat-node: cannot raise the open-file limit");
    }
}

static bool
s_loopback (const char *host)
{
    return streq (host, "localhost") || streq (host, "::1") || streq (host, "[::1]")
        || strncmp (host, "127.", 4) == 0;
}

//  Say once, at start, what protects the ports (docs/PROTOCOL.md §8):
//  an operator must not learn from an intruder that nothing did.
static void
s_log_security (const zc_config_t *cfg)
{
    if (cfg->keys_dir [0])
        zsys_info ("node %u: CURVE on every port (keys in %s); peers: the member keys in "
                   "nodes/ only; clients: %s", cfg->id, cfg->keys_dir,
                   cfg->clients == ZC_CLIENTS_ANY
                   ? "any key (--clients any: encrypted, not authenticated)"
                   : "only the certificates in clients/");
    else
    if (cfg->bind_given && !s_loopback (cfg->bind_host))
        zsys_warning ("node %u: no --keys: ports %u, %u, %u and %u on %s are OPEN TO ANYONE "
                      "who can reach them (anyone can post, read every room, and run the "
                      "election); start with --keys DIR (chat-keygen) to close them",
                      cfg->id, cfg->port, cfg->port + ZC_PORT_PUB, cfg->port + ZC_PORT_PEER,
                      cfg->port + ZC_PORT_HEARTBEAT, cfg->bind_host);
    else
        zsys_info ("node %u: no --keys: plaintext, listening on %s only", cfg->id,
                   cfg->bind_host);
}

int
main (int argc, char **argv)
{
    zc_config_t cfg;
    char err [1024];
    int rc = zc_config_parse (&cfg, argc, argv, err, sizeof err);
    if (rc == 1) {
        fputs (zc_config_usage (), stdout);
        return 0;
    }
    if (rc) {
        fprintf (stderr, "chat-node: %s\n", err);
        return 2;
    }
    //  Logs go to stdout, one line each, flushed: they are read by people
    //  and by tests tailing a file.
    setvbuf (stdout, NULL, _IOLBF, 0);
    s_raise_fd_limit ();
    //  SIGINT and SIGTERM go to the loop only, which reads them from a
    //  signalfd (node.c): blocked here, before any thread starts, so that
    //  every thread inherits the mask
    sigset_t stop;
    sigemptyset (&stop);
    sigaddset (&stop, SIGINT);
    sigaddset (&stop, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &stop, NULL);
    zsys_init ();
    zsys_set_logident ("chat-node");
    s_log_security (&cfg);
    zc_node_t *node = zc_node_new (&cfg, err, sizeof err);
    if (!node) {
        fprintf (stderr, "chat-node: %s\n", err);
        return 2;
    }
    //  Non-zero when a write to the data folder failed (the node said why)
    rc = zc_node_run (node);
    zc_node_destroy (&node);
    return rc;
}
