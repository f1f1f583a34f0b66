/*  test_client_monitor.c — a failed handshake in the user's terms
    (client_monitor.h): each libzmq event and value to its kind. */
#include <errno.h>
#include <string.h>

#include "client_monitor.h"
#include "testutil.h"

static int
s_kind (uint32_t event, uint32_t value, bool curve, bool ephemeral, const char *needle)
{
    char why [256] = "unset";
    int kind = zc_handshake_explain (event, value, curve, ephemeral, why, sizeof (why));
    CHECKF (!needle || strstr (why, needle), "'%s' lacks '%s'", why, needle);
    return kind;
}

int
main (void)
{
    //  plaintext against CURVE, either way
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
                   false, false, "run with --keys") == ZC_HS_MISMATCH);
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
                   true, false, "does not speak CURVE") == ZC_HS_MISMATCH);
    //  a CURVE node closing on a plaintext client before its greeting is read
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE, false, false, "--keys")
           == ZC_HS_MISMATCH);
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ECONNRESET, false, false, "--keys")
           == ZC_HS_MISMATCH);
    //  our key refused by ZAP: a certificate, or an ephemeral key
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, true, false, "allowed clients")
           == ZC_HS_AUTH);
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, true, true, "client.cert from chat-keygen")
           == ZC_HS_AUTH);
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, true, true, "400") == ZC_HS_AUTH);
    //  the server key is not the cluster's: the node just closes
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE, true, false, "server.cert")
           == ZC_HS_KEY);
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC,
                   true, false, "server.cert") == ZC_HS_KEY);
    //  a handshake that timed out (a frozen node) is none of those
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EAGAIN, false, false, "frozen")
           == ZC_HS_OTHER);
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EAGAIN, true, false, "frozen")
           == ZC_HS_OTHER);
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
                   true, false, "0x10000001") == ZC_HS_OTHER);
    //  anything else is no failure
    CHECK (s_kind (ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, true, false, NULL) == 0);
    CHECK (s_kind (ZMQ_EVENT_CONNECTED, 0, false, false, NULL) == 0);
    return check_report ("test_client_monitor");
}
