/*  test_client_servers.c — parsing --servers (servers.h). */
#include <stdio.h>
#include <string.h>

#include "servers.h"
#include "testutil.h"

static int
s_parse (const char *list, zc_server_addr_t *addrs, char *err)
{
    return zc_servers_parse (list, addrs, 4, err, 200);
}

int
main (void)
{
    zc_server_addr_t addrs [4];
    char err [200] = "";
    CHECK (s_parse ("localhost:50051,localhost:50052, 10.0.0.2:7000 ", addrs, err) == 3);
    CHECK (strcmp (addrs [0].host, "localhost") == 0 && addrs [0].port == 50051);
    CHECK (addrs [1].port == 50052);
    CHECK (strcmp (addrs [2].host, "10.0.0.2") == 0 && addrs [2].port == 7000);
    CHECK (s_parse ("[::1]:5000", addrs, err) == 1);
    CHECK (strcmp (addrs [0].host, "[::1]") == 0 && addrs [0].port == 5000);
    char endpoint [64];
    CHECK (zc_servers_endpoint (&addrs [0], 6000, endpoint, sizeof (endpoint)) == 0);
    CHECK (strcmp (endpoint, "tcp://[::1]:6000") == 0);
    CHECK (zc_servers_endpoint (&addrs [0], 6000, endpoint, 8) == -1);

    const char *bad [] = {
        "", "localhost", "localhost:", ":50051", "localhost:0", "localhost:64536",
        "localhost:99999999", "localhost:5a", "localhost:-1", "a:1,,b:2", "a:1,",
        "::1:5000", "[::1:5000", "a:1,a:1", "a:1,b:1,c:1,d:1,e:1", "bad host:1",
        "a/b:1", NULL
    };
    for (int i = 0; bad [i]; i++) {
        err [0] = 0;
        int rc = s_parse (bad [i], addrs, err);
        CHECK (rc == -1 && strncmp (err, "--servers: ", 11) == 0 && !strchr (err, '\n'));
        if (rc != -1)
            fprintf (stderr, "accepted '%s'\n", bad [i]);
    }
    CHECK (zc_servers_parse (NULL, addrs, 4, err, sizeof (err)) == -1);
    CHECK (s_parse ("a:1,b:1,c:1,a:2", addrs, err) == 4);     //  same host, other port
    CHECK (s_parse ("h:64535", addrs, err) == 1);               //  PUB at 65535
    //  The members a WELCOME carries
    uint32_t ids [4];
    const char *members = "1:10.0.0.1:50051,4:[::1]:50054";
    CHECK (zc_servers_parse_members (members, strlen (members), ids, addrs, 4) == 2);
    CHECK (ids [0] == 1 && ids [1] == 4 && addrs [1].port == 50054);
    CHECK (strcmp (addrs [1].host, "[::1]") == 0);
    const char *bad_members [] = { "", "1:h", "x:h:1", "0:h:1", "1:h:1,", "1:h:0",
                                   "1:h:1,2:h:2,3:h:3,4:h:4,5:h:5", "12345678:h:1", NULL };
    for (int i = 0; bad_members [i]; i++)
        CHECKF (zc_servers_parse_members (bad_members [i], strlen (bad_members [i]), ids,
                                          addrs, 4) == -1, "accepted '%s'", bad_members [i]);
    //  Only a serving leader's list removes a server; one of an unknown id stays
    uint32_t two [] = { 2, 4 };
    CHECK (zc_servers_member_kept (2, two, 2, true));
    CHECK (!zc_servers_member_kept (1, two, 2, true));
    CHECK (zc_servers_member_kept (1, two, 2, false));
    CHECK (zc_servers_member_kept (0, two, 2, true));
    return check_report ("test_client_servers");
}
