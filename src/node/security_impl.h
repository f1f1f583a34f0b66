/*  security_impl.h — the security object's state, shared by security.c
    (the key folder, the ZAP decision) and zap.c (the ZAP handler thread)
    only.  Everything else goes through security.h and zap.h.
*/
#ifndef ZC_SECURITY_IMPL_H
#define ZC_SECURITY_IMPL_H

#include "security.h"
#include "config.h"
#include "ratelog.h"

#include <stdatomic.h>

typedef struct {
    uint32_t id;
    char key [41];                  //  Z85
} zc_member_key_t;

struct _zc_security_t {
    char dir [1024];
    uint32_t self_id;
    int clients;                    //  ZC_CLIENTS_*
    zcert_t *node_cert;             //  ours, with its secret
    zcert_t *server_cert;           //  the cluster's client-facing cert, with its secret
    zcertstore_t *nodes;            //  members' public keys; metadata node = ID
    zcertstore_t *allowed;          //  clients/: metadata name = NAME
    size_t client_count;
    zc_member_key_t members [ZC_MAX_PEERS + 1];
    size_t member_count;
    zactor_t *zap;                  //  owns nodes and allowed once started (zap.c)
    zsock_t *zap_handler;           //  bound here, then the ZAP actor's
    atomic_uint_least64_t denied;
    zc_ratelog_t main_log;          //  main thread's lines (zc_security_note)
};

#endif
