/*  test_status.c — chat-client status without sockets: a STATUS_REPLY
    into a row (src/client/status.c), and the rows printed as the table
    and as --json, through memory streams.
*/
#include "status.h"
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What print wrote for the rows, in a malloc'd string
static char *
s_print (int (*print) (FILE *, const zc_status_row_t *, size_t),
         const zc_status_row_t *rows, size_t count, int *rc)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream (&text, &size);
    *rc = print (mem, rows, count);
    fclose (mem);
    return text;
}

static void
test_from_msg (void)
{
    zc_msg_t msg;
    zc_msg_init (&msg, ZC_STATUS_REPLY);
    zc_msg_set_u64 (&msg, ZF_NODE, 3);
    zc_msg_set_cstr (&msg, ZF_ROLE, "leader");
    zc_msg_set_u64 (&msg, ZF_LEADER, 3);
    zc_msg_set_u64 (&msg, ZF_EPOCH, 7);
    zc_msg_set_u64 (&msg, ZF_LAMPORT, 1234);
    zc_msg_set_u64 (&msg, ZF_MESSAGES, 99);
    zc_msg_set_u64 (&msg, ZF_COMMIT, 98);
    zc_msg_set_u64 (&msg, ZF_FORGED, 2);
    zc_msg_set_cstr (&msg, ZF_MEMBERS, "1,2,4");
    //  Through the codec, as the reply arrives
    uint8_t buf [512];
    size_t size = zc_msg_encode (&msg, buf, sizeof buf);
    zc_msg_t got;
    CHECK (size && zc_msg_decode (&got, buf, size, NULL) == 0);
    zc_status_row_t row = { .server = "10.0.0.3:50051" };
    zc_status_row_from_msg (&row, &got);
    CHECKF (row.reachable && row.id == 3 && strcmp (row.role, "leader") == 0
            && row.leader == 3 && row.epoch == 7 && row.lamport == 1234 && row.messages == 99
            && row.commit == 98 && row.forged == 2,
            "row: id %u role %s leader %u epoch %" PRIu64 " commit %" PRIu64, row.id, row.role,
            row.leader, row.epoch, row.commit);
    //  Fields the node did not send (an older node) are 0, and the server stays
    CHECK (row.last_seq == 0 && row.log_epoch == 0 && row.dropped == 0 && row.refused == 0
           && row.slowed == 0 && row.denied == 0);
    CHECK (strcmp (row.server, "10.0.0.3:50051") == 0);
    CHECK (strcmp (row.members, "1,2,4") == 0);
    //  Anything but ids and commas is not taken (it goes into JSON as is)
    zc_msg_set_cstr (&msg, ZF_MEMBERS, "1],\"x\":[2");
    size = zc_msg_encode (&msg, buf, sizeof buf);
    CHECK (size && zc_msg_decode (&got, buf, size, NULL) == 0);
    zc_status_row_from_msg (&row, &got);
    CHECK (row.members [0] == 0);
}

static zc_status_row_t s_rows [3] = {
    { .server = "127.0.0.1:50051", .id = 1, .reachable = true, .role = "backup", .leader = 3,
      .epoch = 7, .lamport = 10, .messages = 5, .last_seq = 5, .commit = 5, .log_epoch = 7 },
    { .server = "127.0.0.1:50052", .handshake = "no reply: is the \"server\" key right?" },
    { .server = "127.0.0.1:50053", .id = 3, .reachable = true, .role = "leader", .leader = 3,
      .epoch = 7, .lamport = 18446744073709551615ull, .messages = 123456789012ull,
      .last_seq = 5, .commit = 5, .log_epoch = 7, .forged = 4, .members = "1,3,4" },
};

static void
test_json (void)
{
    int rc;
    char *text = s_print (zc_status_print_json, s_rows, 3, &rc);
    CHECK (rc == 0 && text);
    //  One line, every key on every row, in order
    const char *first = "{\"nodes\":[{\"server\":\"127.0.0.1:50051\",\"id\":1,"
                        "\"reachable\":true,\"role\":\"backup\",\"leader\":3,\"epoch\":7,"
                        "\"lamport\":10,\"messages\":5,\"last_seq\":5,\"commit\":5,"
                        "\"log_epoch\":7,\"dropped\":0,\"refused\":0,\"slowed\":0,"
                        "\"denied\":0,\"forged\":0,\"handshake\":\"\",\"members\":[]},";
    CHECKF (strncmp (text, first, strlen (first)) == 0, "first row: %.300s", text);
    CHECK (strstr (text, "{\"server\":\"127.0.0.1:50052\",\"id\":0,\"reachable\":false,"
                         "\"role\":\"\",") != NULL);
    CHECK (strstr (text, "\"handshake\":\"no reply: is the \\\"server\\\" key right?\",\"members\":[]}")
           != NULL);
    CHECK (strstr (text, "\"lamport\":18446744073709551615,\"messages\":123456789012,") != NULL);
    size_t len = strlen (text);
    CHECK (strstr (text, "\"members\":[1,3,4]}") != NULL);
    CHECKF (len > 4 && strcmp (text + len - 4, "}]}\n") == 0,
            "ends the array and the line: %s", text + len - 4);
    CHECK (strchr (text, '\n') == text + len - 1);
    free (text);
    text = s_print (zc_status_print_json, s_rows, 0, &rc);
    CHECKF (rc == 0 && strcmp (text, "{\"nodes\":[]}\n") == 0, "no rows: %s", text);
    free (text);
}

static void
test_table (void)
{
    int rc;
    char *text = s_print (zc_status_print_table, s_rows, 3, &rc);
    CHECK (rc == 0 && text);
    char *lines [8] = { NULL };
    size_t n = 0;
    for (char *line = strtok (text, "\n"); line && n < 8; line = strtok (NULL, "\n"))
        lines [n++] = line;
    CHECKF (n == 4, "a header and a line per node: %zu lines", n);
    CHECK (strncmp (lines [0], "server                       id role        leader  epoch "
                               "log_epoch  lamport  messages", 86) == 0);
    CHECKF (strncmp (lines [1], "127.0.0.1:50051               1 backup           3      7 ",
                     58) == 0, "backup row: %s", lines [1]);
    CHECKF (strcmp (lines [2], "127.0.0.1:50052               - unreachable (no reply: is the "
                               "\"server\" key right?)") == 0, "unreachable row: %s", lines [2]);
    //  Numbers wider than their column push the row, never cut it
    CHECK (strstr (lines [3], " 18446744073709551615 123456789012 ") != NULL);
    CHECK (strstr (lines [3], " leader ") != NULL);
    //  The committed members, last ("-" when the node did not say)
    CHECKF (strlen (lines [3]) > 6 && strcmp (lines [3] + strlen (lines [3]) - 6, " 1,3,4") == 0,
            "members: %s", lines [3]);
    CHECKF (strcmp (lines [1] + strlen (lines [1]) - 2, " -") == 0, "no members: %s", lines [1]);
    free (text);
}

int
main (void)
{
    test_from_msg ();
    test_json ();
    test_table ();
    return check_report ("test_status");
}
