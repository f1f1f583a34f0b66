/*  status.h — ask every server for its STATUS, once (chat-client status).

    One DEALER per server sends STATUS {} and waits for STATUS_REPLY up to
    a deadline shared by all servers.  A server that does not answer in
    time gets a row with reachable false and id 0.
*/
#ifndef ZC_STATUS_H
#define ZC_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <czmq.h>
#include "client_keys.h"
#include "servers.h"
#include "wire.h"

typedef struct {
    char server[300];               //  "host:port" as given
    uint32_t id;                    //  node id, 0 if it did not answer
    bool reachable;
    char role[16];                  //  "leader", "backup", "candidate"
    uint32_t leader;                //  0 = unknown
    uint64_t epoch, lamport, messages;
    uint64_t last_seq, commit, log_epoch, dropped;   //  0 when not sent
    uint64_t refused, slowed, denied, forged;       //  0 when not sent
    char members[280];              //  committed member ids, "1,2,3" ("" when not sent)
    char handshake[200];            //  why the handshake failed ("" = it did not)
} zc_status_row_t;

//  Fill one row per server of the list, in list order, waiting at most
//  timeout_ms in all.  Returns the number of rows (at most cap), or -1
//  with a one-line message in err if the list is malformed.
int zc_client_status (const char *servers, int timeout_ms,
                      zc_status_row_t *rows, size_t cap, char *err, size_t errlen);

//  The same over CURVE with the keys of a --keys folder (client_keys.h);
//  keys_dir NULL is plaintext.  -1 with err also when the keys do not load.
int zc_client_status_keys (const char *servers, const char *keys_dir, int timeout_ms,
                           zc_status_row_t *rows, size_t cap, char *err, size_t errlen);

//  One DEALER to a server's client port (keys NULL: plaintext), without
//  ZMQ_IMMEDIATE: a request waits in the queue until the connection is up.
//  (Also chat-client admin's, admin.c.)
zsock_t *zc_status_dealer (const zc_server_addr_t *addr, const zc_client_keys_t *keys);

//  A row from a STATUS_REPLY (reachable; fields the node did not send are
//  0); server is left as it is.
void zc_status_row_from_msg (zc_status_row_t *row, const zc_msg_t *msg);

//  Write the rows as one line of JSON: {"nodes":[{...},...]} plus '\n'.
//  Returns 0, or -1 on a write error.
int zc_status_print_json (FILE *out, const zc_status_row_t *rows, size_t count);

//  Write the rows as a table, one line per node.
int zc_status_print_table (FILE *out, const zc_status_row_t *rows, size_t count);

#endif
