/*  node.h — a chat node: the public face of the node's sockets and loop.

    main () builds a config, creates a node and runs it; tests do the same
    through the binary.  Everything protocol-related lives in the pure
    core (core.h: election, replica, chat log); the node moves bytes.
*/
#ifndef ZC_NODE_H
#define ZC_NODE_H

#include <stddef.h>
#include "config.h"

typedef struct _zc_node_t zc_node_t;

//  Bind every socket and load the persisted state.  NULL with a one-line
//  message in err if that fails (a port in use, an unusable data folder).
//  The first node in a process that has made no ZeroMQ socket yet gives
//  czmq's context two I/O threads (peers on one, clients on the other);
//  otherwise it warns and shares the one there is.
zc_node_t *zc_node_new (const zc_config_t *cfg, char *err, size_t errlen);

//  Run until SIGINT/SIGTERM: 0.  With the signals blocked (chat-node's
//  main), a leader first hands over to a backup that holds its log
//  (core.h zc_core_retire, a few election timeouts at most), and a second
//  signal stops it at once; zsys_interrupted stops the loop at once (a
//  test may run it again).  Or until a write to the data folder fails
//  (logged): 1, the node's exit status.
int zc_node_run (zc_node_t *self);

void zc_node_destroy (zc_node_t **self_p);

#endif
