/*  test_client_follow.c — which leader the client follows (follow.h). */
#include <stdio.h>

#include "follow.h"
#include "testutil.h"

static void
test_highest_epoch (void)
{
    zc_follow_t f;
    zc_follow_init (&f);
    CHECK (f.leader == 0 && f.epoch == 0);
    CHECK (!zc_follow_hint (&f, 0, 3, false, 0));   //  "no leader" teaches nothing
    CHECK (f.leader == 0 && f.max_epoch == 3);
    CHECK (zc_follow_hint (&f, 3, 2, false, 0));
    CHECK (f.leader == 3 && f.epoch == 2);
    CHECK (!zc_follow_hint (&f, 3, 2, true, 0));    //  the same: no change
    CHECK (!zc_follow_hint (&f, 2, 1, true, 0));    //  a stale epoch
    CHECK (!zc_follow_hint (&f, 2, 2, false, 0));   //  contradiction: ignored
    CHECK (f.leader == 3);
    CHECK (zc_follow_hint (&f, 2, 4, false, 0));    //  a higher epoch wins
    CHECK (f.leader == 2 && f.epoch == 4 && f.max_epoch == 4);
    CHECK (zc_follow_hint (&f, 2, 5, true, 0));     //  same node, new epoch
    CHECK (f.leader == 2 && f.epoch == 5);
}

//  A lost leader: second-hand hints about it are held off, its own word
//  and any other leader are taken at once
static void
test_lost (void)
{
    zc_follow_t f;
    zc_follow_init (&f);
    zc_follow_hint (&f, 3, 4, true, 0);
    CHECK (!zc_follow_lost (&f, 2, 100, 300));      //  not the one we follow
    CHECK (f.leader == 3);
    CHECK (zc_follow_lost (&f, 3, 100, 300));
    CHECK (f.leader == 0 && f.epoch == 4);
    CHECK (!zc_follow_lost (&f, 3, 100, 300));
    CHECK (!zc_follow_hint (&f, 3, 4, false, 200)); //  a backup has not noticed
    CHECK (f.leader == 0);
    CHECK (zc_follow_hint (&f, 3, 4, false, 400));  //  hold time over
    CHECK (f.leader == 3);
    CHECK (zc_follow_lost (&f, 3, 500, 300));
    CHECK (zc_follow_hint (&f, 3, 4, true, 510));   //  its beacon: lease again
    CHECK (f.leader == 3);
    CHECK (zc_follow_lost (&f, 3, 600, 300));
    CHECK (zc_follow_hint (&f, 2, 4, false, 610));  //  another at that epoch
    CHECK (f.leader == 2 && f.epoch == 4);
    CHECK (zc_follow_lost (&f, 2, 700, 300));
    CHECK (zc_follow_hint (&f, 3, 5, false, 710));  //  a new epoch
    CHECK (f.leader == 3 && f.epoch == 5);
    CHECK (!zc_follow_lost (&f, 0, 800, 300));
}

int
main (void)
{
    test_highest_epoch ();
    test_lost ();
    return check_report ("test_client_follow");
}
