/*  main.c — chat-node: flags → config → node → run.  Exit 2 on bad flags. */
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

int
main (int argc, char **argv)
{
    zc_config_t cfg;
    char err [512];
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
    zsys_init ();
    zsys_set_logident ("chat-node");
    zc_node_t *node = zc_node_new (&cfg, err, sizeof err);
    if (!node) {
        fprintf (stderr, "chat-node: %s\n", err);
        return 2;
    }
    zc_node_run (node);
    zc_node_destroy (&node);
    return 0;
}
