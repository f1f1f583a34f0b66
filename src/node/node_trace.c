/*  node_trace.c — chat-node --trace: one zc-trace line (trace_event.h,
    docs/ELECTION.md "Watching an election") per election message sent or
    received, per change of role, epoch, leader or serving, and at start,
    stop and a lost leader connection.  Each call site checks cfg.trace
    first, so a node without the flag pays one branch.

    Times are wall-clock microseconds (CLOCK_REALTIME), not the node's
    CLOCK_BOOTTIME: chat-trace merges the logs of several processes, and
    of several machines if their clocks agree.
*/
#include "node_impl.h"

static uint64_t
s_wall_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

//  Lines go to stdout beside the node's log lines, each flushed (main.c
//  makes stdout line-buffered).
static void
s_write (const zc_tev_t *ev)
{
    char line [ZC_TEV_LINE_MAX];
    if (zc_tev_format (ev, line, sizeof line))
        printf ("%s\n", line);
}

void
zc_node_trace_send (zc_node_t *self, const zc_core_send_t *send)
{
    zc_tev_t ev;
    if (!send->ping && zc_tev_from_msg (&ev, ZC_TEV_SEND, s_wall_us (), self->cfg.id,
                                        send->to, &send->msg))
        s_write (&ev);
}

void
zc_node_trace_recv (zc_node_t *self, const uint8_t *body, size_t size)
{
    zc_msg_t msg;
    zc_tev_t ev;
    if (zc_msg_decode (&msg, body, size, NULL) == 0 && zc_msg_has (&msg, ZF_NODE)
    &&  msg.node <= UINT32_MAX
    &&  zc_tev_from_msg (&ev, ZC_TEV_RECV, s_wall_us (), self->cfg.id, (uint32_t) msg.node,
                         &msg))
        s_write (&ev);
}

void
zc_node_trace_state (zc_node_t *self)
{
    zc_election_t *election = zc_core_election (self->core);
    //  zc_trole_t lists the roles in zc_role_t's order
    zc_trole_t role = zc_election_role (election) == ZC_ROLE_LEADER ? ZC_TROLE_LEADER
                    : zc_election_role (election) == ZC_ROLE_CANDIDATE ? ZC_TROLE_CANDIDATE
                    : ZC_TROLE_BACKUP;
    zc_tev_t ev;
    if (zc_tev_state_changed (&self->trace_state, &ev, s_wall_us (), self->cfg.id, role,
                              zc_election_epoch (election), zc_election_leader (election),
                              zc_core_serving (self->core, zc_node_now ())))
        s_write (&ev);
}

void
zc_node_trace_event (zc_node_t *self, zc_tev_kind_t kind, uint32_t peer)
{
    zc_tev_t ev;
    zc_tev_init (&ev, kind, s_wall_us (), self->cfg.id);
    ev.peer = peer;
    s_write (&ev);
}

void
zc_node_trace_start (zc_node_t *self, const zc_stored_t *stored)
{
    zc_tev_t ev;
    zc_tev_init (&ev, ZC_TEV_START, s_wall_us (), self->cfg.id);
    ev.epoch = stored->epoch;
    ev.leader = stored->leader;
    s_write (&ev);
}
