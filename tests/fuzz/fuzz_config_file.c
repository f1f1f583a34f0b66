/*  fuzz_config_file.c — libFuzzer target for the syntax of chat-node's
    --config FILE (zc_config_file_parse, zc_config_file_bool).

    The input is the file's text.  Beyond "never crashes": a refusal is one
    NUL-terminated line; an accepted file gives settings whose keys are
    non-empty words of [A-Za-z0-9._-], all different, whose values hold no
    control character but tab, neither start nor end with a blank, hold no
    comment (" #"), and whose line numbers rise within the text.  Seeds:
    tests/fuzz/corpus/fuzz_config_file/ (the shipped example).
*/
#include "config_file.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool
s_key_ok (const char *key)
{
    if (!*key)
        return false;
    for (; *key; key++)
        if (!isalnum ((unsigned char) *key) && *key != '-' && *key != '_' && *key != '.')
            return false;
    return true;
}

static bool
s_value_ok (const char *value)
{
    size_t len = strlen (value);
    if (len && (value [0] == ' ' || value [0] == '\t' || value [0] == '#'
             || value [len - 1] == ' ' || value [len - 1] == '\t'))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) value [i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
        if (c == '#' && i && (value [i - 1] == ' ' || value [i - 1] == '\t'))
            return false;
    }
    return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data [i] == '\n';

    char err [256];
    memset (err, 'x', sizeof err);
    zc_config_file_t *file = zc_config_file_parse ("f.conf", (const char *) data, size,
                                                   err, sizeof err);
    if (!file) {
        if (!memchr (err, '\0', sizeof err) || !err [0] || strchr (err, '\n')
        ||  strncmp (err, "f.conf:", 7))
            abort ();
        return 0;
    }
    size_t count = zc_config_file_size (file);
    if (count > ZC_CONFIG_FILE_MAX_SETTINGS)
        abort ();
    for (size_t i = 0; i < count; i++) {
        const char *key = zc_config_file_key (file, i);
        const char *value = zc_config_file_value (file, i);
        size_t line = zc_config_file_line (file, i);
        if (!s_key_ok (key) || !s_value_ok (value) || line < 1 || line > lines
        ||  (i && line <= zc_config_file_line (file, i - 1)))
            abort ();
        for (size_t j = 0; j < i; j++)
            if (strcmp (zc_config_file_key (file, j), key) == 0)
                abort ();
        int on = zc_config_file_bool (value);
        if (on < -1 || on > 1)
            abort ();
    }
    zc_config_file_destroy (&file);
    if (file)
        abort ();
    return 0;
}
