/*  config_file.c — see config_file.h

    The text is copied once; each setting's key and value point into that
    copy, cut with NULs.  Only the syntax is judged here (README.md
    "Config file"); config.c checks keys and values with the tables and
    parsers of the command line.
*/
#include "config_file.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *key;
    const char *value;
    size_t line;
} s_setting_t;

struct _zc_config_file_t {
    char *name;
    char *text;                     //  the copy the settings point into
    size_t count;
    s_setting_t settings [ZC_CONFIG_FILE_MAX_SETTINGS];
};

static int s_fail (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_fail (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (err, errlen, fmt, args);
        va_end (args);
    }
    return -1;
}

static bool
s_key_char (char c)
{
    return isalnum ((unsigned char) c) || c == '-' || c == '_' || c == '.';
}

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t';
}

//  Cuts one line (NUL-terminated, no '\n') into a setting, or says why
//  not.  A line of blanks or a comment gives no setting (returns 1).
static int
s_line (zc_config_file_t *self, char *text, size_t number, char *err, size_t errlen)
{
    size_t len = strlen (text);
    if (len && text [len - 1] == '\r')
        text [--len] = '\0';        //  written on Windows
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text [i] < 0x20 && text [i] != '\t')
            return s_fail (err, errlen, "%s:%zu: control character 0x%02x in the line",
                           self->name, number, (unsigned) (unsigned char) text [i]);
        else
        if (text [i] == 0x7f)
            return s_fail (err, errlen, "%s:%zu: control character 0x7f in the line",
                           self->name, number);
    while (s_blank (*text))
        text++;
    if (!*text || *text == '#')
        return 1;

    char *equals = strchr (text, '=');
    char *key_end = text;
    while (s_key_char (*key_end))
        key_end++;
    char *after = key_end;
    while (s_blank (*after))
        after++;
    if (!equals || key_end == text || after != equals)
        return s_fail (err, errlen, "%s:%zu: malformed line '%.40s%s' (want key = value)",
                       self->name, number, text, strlen (text) > 40 ? "..." : "");
    *key_end = '\0';

    //  A '#' that starts the value or follows a blank starts a comment:
    //  "fsync = batch  # the default" is batch, "data-dir = /srv/a#b" keeps
    //  its '#'.
    char *value = equals + 1;
    while (s_blank (*value))
        value++;
    char *end = value;
    for (; *end; end++)
        if (*end == '#' && (end == value || s_blank (end [-1])))
            break;
    while (end > value && s_blank (end [-1]))
        end--;
    *end = '\0';

    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->settings [i].key, text) == 0)
            return s_fail (err, errlen, "%s:%zu: duplicate key '%s' (first on line %zu)",
                           self->name, number, text, self->settings [i].line);
    if (self->count == ZC_CONFIG_FILE_MAX_SETTINGS)
        return s_fail (err, errlen, "%s:%zu: more than %d settings", self->name, number,
                       ZC_CONFIG_FILE_MAX_SETTINGS);
    s_setting_t *setting = &self->settings [self->count++];
    setting->key = text;
    setting->value = value;
    setting->line = number;
    return 0;
}

zc_config_file_t *
zc_config_file_parse (const char *name, const char *text, size_t size,
                      char *err, size_t errlen)
{
    assert (name);
    assert (text || size == 0);
    if (err && errlen)
        err [0] = '\0';
    zc_config_file_t *self = calloc (1, sizeof *self);
    if (self) {
        self->name = strdup (name);
        self->text = malloc (size + 1);
    }
    if (!self || !self->name || !self->text) {
        s_fail (err, errlen, "%s: out of memory", name);
        zc_config_file_destroy (&self);
        return NULL;
    }
    if (size)
        memcpy (self->text, text, size);
    self->text [size] = '\0';

    size_t number = 1;
    for (char *start = self->text; start < self->text + size; number++) {
        char *newline = memchr (start, '\n', (size_t) (self->text + size - start));
        char *end = newline ? newline : self->text + size;
        if (memchr (start, '\0', (size_t) (end - start))) {
            s_fail (err, errlen, "%s:%zu: NUL byte (not a text file?)", name, number);
            zc_config_file_destroy (&self);
            return NULL;
        }
        *end = '\0';
        if (s_line (self, start, number, err, errlen) < 0) {
            zc_config_file_destroy (&self);
            return NULL;
        }
        start = end + 1;
    }
    return self;
}

zc_config_file_t *
zc_config_file_load (const char *path, char *err, size_t errlen)
{
    assert (path);
    FILE *file = fopen (path, "rb");
    if (!file) {
        s_fail (err, errlen, "--config: cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    char *text = malloc (ZC_CONFIG_FILE_MAX_SIZE + 1);
    if (!text) {
        fclose (file);
        s_fail (err, errlen, "--config: %s: out of memory", path);
        return NULL;
    }
    //  One byte more than allowed tells a file at the limit from a larger one
    size_t size = fread (text, 1, ZC_CONFIG_FILE_MAX_SIZE + 1, file);
    int read_errno = ferror (file) ? errno : 0;
    fclose (file);
    zc_config_file_t *self = NULL;
    if (read_errno)
        s_fail (err, errlen, "--config: cannot read %s: %s", path, strerror (read_errno));
    else
    if (size > ZC_CONFIG_FILE_MAX_SIZE)
        s_fail (err, errlen, "--config: %s is larger than %d bytes", path,
                ZC_CONFIG_FILE_MAX_SIZE);
    else
        self = zc_config_file_parse (path, text, size, err, errlen);
    free (text);
    return self;
}

void
zc_config_file_destroy (zc_config_file_t **self_p)
{
    assert (self_p);
    zc_config_file_t *self = *self_p;
    if (self) {
        free (self->name);
        free (self->text);
        free (self);
        *self_p = NULL;
    }
}

const char *
zc_config_file_name (const zc_config_file_t *self)
{
    assert (self);
    return self->name;
}

size_t
zc_config_file_size (const zc_config_file_t *self)
{
    assert (self);
    return self->count;
}

const char *
zc_config_file_key (const zc_config_file_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->settings [index].key;
}

const char *
zc_config_file_value (const zc_config_file_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->settings [index].value;
}

size_t
zc_config_file_line (const zc_config_file_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->settings [index].line;
}

int
zc_config_file_bool (const char *value)
{
    static const char *yes [] = { "true", "yes", "on", "1", NULL };
    static const char *no [] = { "false", "no", "off", "0", NULL };
    for (int i = 0; yes [i]; i++)
        if (strcasecmp (value, yes [i]) == 0)
            return 1;
    for (int i = 0; no [i]; i++)
        if (strcasecmp (value, no [i]) == 0)
            return 0;
    return -1;
}
