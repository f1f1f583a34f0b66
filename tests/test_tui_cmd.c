/*  test_tui_cmd.c — the terminal UI's commands (tui_cmd.h): messages, each
    command and its arguments, and one line of explanation for the rest. */
#include <string.h>

#include "testutil.h"
#include "tui_cmd.h"

static zc_cmd_type_t
s_parse (const char *line, zc_cmd_t *cmd)
{
    return zc_cmd_parse (line, strlen (line), cmd);
}

static bool
s_error_says (const char *line, const char *part)
{
    zc_cmd_t cmd;
    if (s_parse (line, &cmd) != ZC_CMD_ERROR)
        return false;
    return strstr (cmd.error, part) && !strchr (cmd.error, '\n');
}

static void
test_text (void)
{
    zc_cmd_t cmd;
    CHECK (s_parse ("olá, ação", &cmd) == ZC_CMD_TEXT);
    CHECK (cmd.text_len == strlen ("olá, ação") && memcmp (cmd.text, "olá, ação", cmd.text_len) == 0);
    CHECK (s_parse ("", &cmd) == ZC_CMD_TEXT && cmd.text_len == 0);
    CHECK (s_parse (" /join x", &cmd) == ZC_CMD_TEXT);      //  not at the start
    //  "//" escapes a leading slash
    CHECK (s_parse ("//join x", &cmd) == ZC_CMD_TEXT);
    CHECK (cmd.text_len == 7 && memcmp (cmd.text, "/join x", 7) == 0);
}

static void
test_commands (void)
{
    zc_cmd_t cmd;
    CHECK (s_parse ("/join dev", &cmd) == ZC_CMD_JOIN && strcmp (cmd.arg, "dev") == 0);
    CHECK (s_parse ("/JOIN  dev.1_x-y  ", &cmd) == ZC_CMD_JOIN && strcmp (cmd.arg, "dev.1_x-y") == 0);
    CHECK (s_parse ("/leave", &cmd) == ZC_CMD_LEAVE && cmd.arg [0] == 0);
    CHECK (s_parse ("/leave dev", &cmd) == ZC_CMD_LEAVE && strcmp (cmd.arg, "dev") == 0);
    CHECK (s_parse ("/part dev", &cmd) == ZC_CMD_LEAVE);
    CHECK (s_parse ("/rooms", &cmd) == ZC_CMD_ROOMS);
    CHECK (s_parse ("/nick  Zé Maria ", &cmd) == ZC_CMD_NICK && strcmp (cmd.arg, "Zé Maria") == 0);
    CHECK (s_parse ("/who", &cmd) == ZC_CMD_WHO);
    CHECK (s_parse ("/names", &cmd) == ZC_CMD_WHO);
    CHECK (s_parse ("/history 20", &cmd) == ZC_CMD_HISTORY && cmd.count == 20);
    CHECK (s_parse ("/history 10000", &cmd) == ZC_CMD_HISTORY && cmd.count == 10000);
    CHECK (s_parse ("/status", &cmd) == ZC_CMD_STATUS);
    CHECK (s_parse ("/help", &cmd) == ZC_CMD_HELP);
    CHECK (s_parse ("/quit", &cmd) == ZC_CMD_QUIT);
    CHECK (s_parse ("/quit bye all", &cmd) == ZC_CMD_QUIT);
    CHECK (zc_cmd_help [0] && strstr (zc_cmd_help [0], "/join"));
}

static void
test_errors (void)
{
    CHECK (s_error_says ("/frobnicate", "unknown command /frobnicate"));
    CHECK (s_error_says ("/frobnicate", "/help"));
    CHECK (s_error_says ("/", "a command follows"));
    CHECK (s_error_says ("/ join x", "a command follows"));
    CHECK (s_error_says ("/join", "usage: /join ROOM"));
    CHECK (s_error_says ("/join a b", "usage: /join ROOM"));
    CHECK (s_error_says ("/join $beacon", "not a room name"));
    CHECK (s_error_says ("/join ação", "not a room name"));
    char long_room [80];
    memset (long_room, 'r', sizeof long_room);
    memcpy (long_room, "/join ", 6);
    long_room [sizeof long_room - 1] = 0;
    CHECK (s_error_says (long_room, "not a room name"));
    CHECK (s_error_says ("/leave a b", "usage: /leave"));
    CHECK (s_error_says ("/leave a/b", "not a room name"));
    CHECK (s_error_says ("/nick", "usage: /nick NAME"));
    CHECK (s_error_says ("/nick   ", "usage: /nick NAME"));
    char long_name [80];
    memset (long_name, 'n', sizeof long_name);
    memcpy (long_name, "/nick ", 6);
    long_name [6 + 65] = 0;                         //  65 bytes: one too many
    CHECK (s_error_says (long_name, "not a name"));
    long_name [6 + 64] = 0;
    zc_cmd_t cmd;
    CHECK (s_parse (long_name, &cmd) == ZC_CMD_NICK && strlen (cmd.arg) == 64);
    CHECK (s_error_says ("/history", "usage: /history N"));
    CHECK (s_error_says ("/history 0", "usage: /history N"));
    CHECK (s_error_says ("/history 10001", "usage: /history N"));
    CHECK (s_error_says ("/history -3", "usage: /history N"));
    CHECK (s_error_says ("/history 5x", "usage: /history N"));
    CHECK (s_error_says ("/history 99999999999999999999999", "usage: /history N"));
    CHECK (s_error_says ("/history 5 6", "usage: /history N"));
    CHECK (s_error_says ("/who me", "no arguments"));
    CHECK (s_error_says ("/rooms all", "no arguments"));
    CHECK (s_error_says ("/status now", "no arguments"));
    //  an unknown name is cut when shown, never overflows
    char junk [300];
    memset (junk, 'x', sizeof junk);
    junk [0] = '/';
    junk [sizeof junk - 1] = 0;
    CHECK (s_error_says (junk, "..."));
}

int
main (void)
{
    test_text ();
    test_commands ();
    test_errors ();
    return check_report ("test_tui_cmd");
}
