/*  tui_cmd.h — what a line typed in chat-client's terminal UI asks for.

    A line that does not start with '/' is a message; "//text" is the
    message "/text".  Otherwise it is one of the IRC-style commands below,
    name case-insensitive, arguments separated by blanks.  A command that
    is unknown or has bad arguments parses to ZC_CMD_ERROR with one line
    of explanation.  Pure: no sockets, no terminal.

      /join ROOM     join ROOM (or switch to it) and write there
      /leave [ROOM]  leave ROOM (default: the current one)
      /rooms         the rooms joined
      /nick NAME     the name shown on what we write from now on
      /who           who is in the current room now
      /history N     the current room's last N messages (1..ZC_CMD_HISTORY_MAX)
      /status        the cluster's table (chat-client status)
      /help          the commands
      /quit          leave every room and exit
*/
#ifndef ZC_TUI_CMD_H
#define ZC_TUI_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define ZC_CMD_HISTORY_MAX 10000

typedef enum {
    ZC_CMD_TEXT = 1,                //  a message: text, text_len (may be 0)
    ZC_CMD_JOIN,                    //  arg: the room
    ZC_CMD_LEAVE,                   //  arg: the room, "" = the current one
    ZC_CMD_ROOMS,
    ZC_CMD_NICK,                    //  arg: the name
    ZC_CMD_WHO,
    ZC_CMD_HISTORY,                 //  count
    ZC_CMD_STATUS,
    ZC_CMD_HELP,
    ZC_CMD_QUIT,
    ZC_CMD_ERROR                    //  error: why, one line
} zc_cmd_type_t;

typedef struct {
    zc_cmd_type_t type;
    const char *text;               //  ZC_CMD_TEXT: points into the line
    size_t text_len;
    char arg[ZC_MAX_NAME > ZC_MAX_ROOM ? ZC_MAX_NAME + 1 : ZC_MAX_ROOM + 1];
    uint64_t count;
    char error[160];
} zc_cmd_t;

//  Parse line (len bytes, no newline) into *cmd; returns cmd->type.
zc_cmd_type_t zc_cmd_parse (const char *line, size_t len, zc_cmd_t *cmd);

//  The /help text: one command a line, NUL-terminated lines in a NULL-ended list.
extern const char *const zc_cmd_help[];

#endif
