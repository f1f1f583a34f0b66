/*  test_client_roster.c — who is in the room, from MEMBERS lists
    (roster.h): the baseline, joins and leaves, repeated names, the grace
    after a leader change, lists cut short, bad lists. */
#include <stdio.h>
#include <string.h>

#include "roster.h"
#include "testutil.h"

static char s_changes [1000];

static void
s_on_change (void *arg, const char *name, bool joined)
{
    (void) arg;
    size_t at = strlen (s_changes);
    snprintf (s_changes + at, sizeof s_changes - at, "%s%s ", joined? "+": "-", name);
}

static bool
s_update (zc_roster_t *roster, const char *names, uint64_t count, int64_t now)
{
    s_changes [0] = 0;
    return zc_roster_update (roster, names, strlen (names), count, now, s_on_change, NULL);
}

static void
test_changes (void)
{
    zc_roster_t *r = zc_roster_new ();
    char names [200];
    CHECK (zc_roster_names (r, names, sizeof names) == -1);     //  nothing heard yet
    //  the first list is the baseline: no changes
    CHECK (s_update (r, "bob\nana", 2, 1000) && s_changes [0] == 0);
    CHECK (zc_roster_names (r, names, sizeof names) == 2 && strcmp (names, "ana, bob") == 0);
    CHECK (s_update (r, "ana\nbob\ncarla", 3, 3000));
    CHECKF (strcmp (s_changes, "+carla ") == 0, "'%s'", s_changes);
    CHECK (s_update (r, "ana\ncarla", 2, 5000));
    CHECKF (strcmp (s_changes, "-bob ") == 0, "'%s'", s_changes);
    //  the same name twice: one more joined, one of them left
    CHECK (s_update (r, "ana\nana\ncarla", 3, 7000));
    CHECKF (strcmp (s_changes, "+ana ") == 0, "'%s'", s_changes);
    CHECK (zc_roster_names (r, names, sizeof names) == 3
        && strcmp (names, "ana, ana, carla") == 0);
    CHECK (s_update (r, "ana\ncarla", 2, 9000));
    CHECKF (strcmp (s_changes, "-ana ") == 0, "'%s'", s_changes);
    //  an empty room
    CHECK (s_update (r, "", 0, 11000));
    CHECKF (strcmp (s_changes, "-ana -carla ") == 0, "'%s'", s_changes);
    CHECK (zc_roster_names (r, names, sizeof names) == 0 && names [0] == 0);
    zc_roster_destroy (&r);
    CHECK (r == NULL);
    zc_roster_destroy (&r);
}

static void
test_grace (void)
{
    zc_roster_t *r = zc_roster_new ();
    s_update (r, "ana\nbob\ncarla", 3, 1000);
    //  a failover: the new leader knows only those who refreshed so far
    zc_roster_leader_changed (r, 2000);
    CHECK (s_update (r, "ana", 1, 2100) && s_changes [0] == 0);
    CHECK (s_update (r, "ana\nbob\ndora", 3, 3000));
    CHECKF (strcmp (s_changes, "+dora ") == 0, "joins are shown at once: '%s'", s_changes);
    char names [200];
    CHECK (zc_roster_names (r, names, sizeof names) == 4);
    //  after the grace, who did not come back left
    CHECK (s_update (r, "ana\nbob\ndora", 3, 2000 + ZC_ROSTER_GRACE_MS));
    CHECKF (strcmp (s_changes, "-carla ") == 0, "'%s'", s_changes);
    //  a list cut short (count above the names sent): joins only
    CHECK (s_update (r, "ana\neva", 250, 9000));
    CHECKF (strcmp (s_changes, "+eva ") == 0, "'%s'", s_changes);
    //  not a list of names: refused, nothing changes
    CHECK (!s_update (r, "ana\n\nbob", 3, 9500));
    CHECK (!s_update (r, "ana\x01", 1, 9500));
    CHECK (zc_roster_names (r, names, sizeof names) == 4);
    //  a short buffer: whole names only
    char small [9];
    CHECK (zc_roster_names (r, small, sizeof small) == 4 && strcmp (small, "ana, bob") == 0);
    zc_roster_destroy (&r);
}

int
main (void)
{
    test_changes ();
    test_grace ();
    return check_report ("test_client_roster");
}
