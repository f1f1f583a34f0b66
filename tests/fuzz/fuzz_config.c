/*  fuzz_config.c — libFuzzer target for chat-node's command line
    (zc_config_parse: every flag, the --peers list, --keys, the limits).

    The input is split into argv at NUL, space, tab and newline bytes, so a
    seed is just a command line: "--id 1 --peers 2:localhost:50052".
    Build by hand (config.c is compiled in for coverage):
        clang -g -fsanitize=fuzzer,address,undefined -Isrc/node \
            tests/fuzz/fuzz_config.c src/node/config.c src/node/config_peers.c \
            src/node/config_file.c src/node/members.c src/msg/numparse.c src/msg/wire.c \
            -Isrc/msg -o fuzz_config
        ./fuzz_config -max_len=4096
    Beyond "never crashes": a refusal is one NUL-terminated line, and an
    accepted line satisfies what the rest of the node trusts config.c for
    (config.h: ranges, a quorum within the members, lease <= heartbeat *
    misses, the loopback default without --keys).
*/
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ARGS 64

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool
s_terminated (const char *text, size_t size)
{
    return memchr (text, '\0', size) != NULL;
}

static void
s_check_accepted (const zc_config_t *cfg)
{
    if (cfg->id < 1 || cfg->id > ZC_MAX_NODE_ID
    ||  cfg->port < 1 || cfg->port > ZC_MAX_BASE_PORT
    ||  cfg->peer_count > ZC_MAX_PEERS
    ||  cfg->quorum < 1 || cfg->quorum > zc_config_members (cfg)
    ||  cfg->lease_ms < cfg->heartbeat_ms
    ||  cfg->lease_ms > cfg->heartbeat_ms * cfg->misses
    ||  !s_terminated (cfg->bind_host, sizeof cfg->bind_host) || !cfg->bind_host [0]
    ||  !s_terminated (cfg->keys_dir, sizeof cfg->keys_dir)
    ||  !s_terminated (cfg->data_dir, sizeof cfg->data_dir) || !cfg->data_dir [0]
    ||  (!cfg->bind_given && !cfg->keys_dir [0] && strcmp (cfg->bind_host, "127.0.0.1"))
    ||  (cfg->clients != ZC_CLIENTS_KEYS && cfg->clients != ZC_CLIENTS_ANY)
    ||  (cfg->clients == ZC_CLIENTS_ANY && !cfg->keys_dir [0])
    ||  cfg->max_text < 1 || cfg->max_text > 16384
    ||  cfg->max_frame < 1024 || cfg->max_frame > 65536
    ||  cfg->max_rooms < 1 || cfg->max_clients < 1
    ||  cfg->pub_hwm < 1 || cfg->reply_hwm < 1 || cfg->max_epoch_jump < 1)
        abort ();
    for (size_t i = 0; i < cfg->peer_count; i++) {
        const zc_peer_addr_t *peer = &cfg->peers [i];
        if (peer->id == cfg->id || peer->id < 1 || peer->id > ZC_MAX_NODE_ID
        ||  peer->port < 1 || peer->port > ZC_MAX_BASE_PORT
        ||  !s_terminated (peer->host, sizeof peer->host) || !peer->host [0]
        ||  zc_config_peer (cfg, peer->id) != peer)
            abort ();           //  a duplicate id would find the first
    }
    if (zc_config_membership_hash (cfg) == 0)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  A private copy, NUL-terminated, split in place: argv must point into
    //  writable memory that outlives the parse (getopt permutes nothing
    //  with '+', but config.c keeps --peers' pointer until the end).
    char *text = (char *) malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = '\0';
    char *argv [S_MAX_ARGS + 2];
    int argc = 0;
    argv [argc++] = (char *) "chat-node";
    char *cursor = text, *end = text + size;
    while (cursor < end && argc <= S_MAX_ARGS) {
        char *start = cursor;
        while (cursor < end && *cursor && !strchr (" \t\n", *cursor))
            cursor++;
        *cursor++ = '\0';       //  the byte at end is the terminator we added
        argv [argc++] = start;  //  empty words too: "--bind ''" must be refused
    }
    argv [argc] = NULL;

    zc_config_t cfg;
    char err [256];
    memset (err, 'x', sizeof err);
    int rc = zc_config_parse (&cfg, argc, argv, err, sizeof err);
    if (rc == -1 && (!s_terminated (err, sizeof err) || !err [0] || strchr (err, '\n')))
        abort ();               //  a refusal is one line, never empty
    if (rc == 0)
        s_check_accepted (&cfg);
    if (rc != 0 && rc != 1 && rc != -1)
        abort ();

    //  A short error buffer truncates, never overflows
    char small [8];
    int again = zc_config_parse (&cfg, argc, argv, small, sizeof small);
    if (again != rc || !s_terminated (small, sizeof small))
        abort ();
    free (text);
    return 0;
}
