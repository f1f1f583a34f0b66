/*  main.c — chat-node: flags → config → node → run.  Exit 2 on bad flags. */
#include <stdio.h>
#include <czmq.h>
#include "config.h"
#include "node.h"

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
