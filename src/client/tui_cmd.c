/*  tui_cmd.c — the terminal UI's commands (tui_cmd.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "numparse.h"
#include "tui_cmd.h"

const char *const zc_cmd_help[] = {
    "/join ROOM     join ROOM (or switch to it); what you type goes there",
    "/leave [ROOM]  leave ROOM (default: the current room)",
    "/rooms         the rooms you are in",
    "/nick NAME     the name shown on what you write from now on",
    "/who           who is in the current room now",
    "/history N     the current room's last N messages",
    "/status        the cluster: every node's role, leader, epoch, log",
    "/help          this list",
    "/quit          leave and exit (also Ctrl-D on an empty line, Ctrl-C)",
    "//text         send a line that starts with '/'",
    NULL
};

typedef struct {
    const char *name;
    zc_cmd_type_t type;
    const char *usage;
} s_command_t;

static const s_command_t s_commands [] = {
    { "join", ZC_CMD_JOIN, "/join ROOM" },
    { "leave", ZC_CMD_LEAVE, "/leave [ROOM]" },
    { "part", ZC_CMD_LEAVE, "/leave [ROOM]" },      //  IRC's own name for it
    { "rooms", ZC_CMD_ROOMS, "/rooms" },
    { "nick", ZC_CMD_NICK, "/nick NAME" },
    { "who", ZC_CMD_WHO, "/who" },
    { "names", ZC_CMD_WHO, "/who" },
    { "history", ZC_CMD_HISTORY, "/history N" },
    { "status", ZC_CMD_STATUS, "/status" },
    { "help", ZC_CMD_HELP, "/help" },
    { "quit", ZC_CMD_QUIT, "/quit" },
    { "exit", ZC_CMD_QUIT, "/quit" },
};

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t';
}

static zc_cmd_type_t
s_error (zc_cmd_t *cmd, const char *format, const char *a, const char *b)
{
    cmd->type = ZC_CMD_ERROR;
    snprintf (cmd->error, sizeof cmd->error, format, a, b);
    return cmd->type;
}

//  The next blank-separated word of [*at, end): its start and length
static size_t
s_word (const char **at, const char *end, const char **word)
{
    while (*at < end && s_blank (**at))
        (*at)++;
    *word = *at;
    while (*at < end && !s_blank (**at))
        (*at)++;
    return (size_t) (*at - *word);
}

zc_cmd_type_t
zc_cmd_parse (const char *line, size_t len, zc_cmd_t *cmd)
{
    memset (cmd, 0, sizeof *cmd);
    if (len == 0 || line [0] != '/' || (len > 1 && line [1] == '/')) {
        cmd->type = ZC_CMD_TEXT;
        cmd->text = len && line [0] == '/' ? line + 1 : line;
        cmd->text_len = len && line [0] == '/' ? len - 1 : len;
        return cmd->type;
    }
    const char *at = line + 1, *end = line + len, *name;
    size_t name_len = s_word (&at, end, &name);
    if (name_len == 0 || name != line + 1)
        return s_error (cmd, "a command follows '/' at once, e.g. /help%s%s", "", "");
    const s_command_t *found = NULL;
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands [0]; i++)
        if (strlen (s_commands [i].name) == name_len
        &&  strncasecmp (s_commands [i].name, name, name_len) == 0)
            found = &s_commands [i];
    if (!found) {
        char shown [40];
        snprintf (shown, sizeof shown, "%.*s", (int) (name_len > 32 ? 32 : name_len), name);
        return s_error (cmd, "unknown command /%s%s (try /help)", shown,
                        name_len > 32 ? "..." : "");
    }
    //  The arguments: words, or for /nick the rest of the line (a name
    //  may hold blanks), trimmed
    while (at < end && s_blank (*at))
        at++;
    const char *rest = at;
    const char *rest_end = end;
    while (rest_end > rest && s_blank (rest_end [-1]))
        rest_end--;
    size_t rest_len = (size_t) (rest_end - rest);
    const char *word;
    size_t word_len = s_word (&at, end, &word);
    const char *extra;
    bool more = s_word (&at, end, &extra) > 0;
    cmd->type = found->type;
    switch (found->type) {
        case ZC_CMD_JOIN:
        case ZC_CMD_LEAVE:
            if ((!word_len && found->type == ZC_CMD_JOIN) || more)
                return s_error (cmd, "usage: %s%s", found->usage, "");
            if (word_len && !zc_room_valid (word, word_len))
                return s_error (cmd, "%s: not a room name (1-64 of A-Z a-z 0-9 _ . -)%s",
                                found->usage, "");
            memcpy (cmd->arg, word, word_len);
            break;
        case ZC_CMD_NICK:
            if (!rest_len)
                return s_error (cmd, "usage: %s%s", found->usage, "");
            if (!zc_name_valid (rest, rest_len))
                return s_error (cmd, "%s: not a name (1-64 bytes, no control characters)%s",
                                found->usage, "");
            memcpy (cmd->arg, rest, rest_len);
            break;
        case ZC_CMD_HISTORY: {
            char number [24];
            if (!word_len || more || word_len >= sizeof number)
                return s_error (cmd, "usage: %s (1..%s)", found->usage, "10000");
            memcpy (number, word, word_len);
            number [word_len] = 0;
            if (zc_parse_u64 (number, 1, ZC_CMD_HISTORY_MAX, &cmd->count) != ZC_PARSE_OK)
                return s_error (cmd, "usage: %s (1..%s)", found->usage, "10000");
            break;
        }
        case ZC_CMD_QUIT:
            break;                  //  IRC's quit message is allowed, and unused
        default:
            if (word_len)
                return s_error (cmd, "usage: %s (no arguments)%s", found->usage, "");
            break;
    }
    return cmd->type;
}
