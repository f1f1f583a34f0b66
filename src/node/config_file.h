/*  config_file.h — the text of chat-node's --config FILE, split into
    (key, value, line) settings.

    The format (README.md "Config file"):

        # a comment
        id = 3
        peers = 1:10.0.0.1:50051, 2:10.0.0.2:50051
        trace = yes             # a '#' after a space ends the value

    one `key = value` per line, the key a flag's long name without "--";
    blank lines and comments are skipped; space around the key and the
    value is not part of them.  This class knows the syntax only: which
    keys exist and what their values may be is config.c's business, so
    that a flag in the file is checked by the same code as on the command
    line.  It does no I/O except in zc_config_file_load, and never exits.
*/
#ifndef ZC_CONFIG_FILE_H
#define ZC_CONFIG_FILE_H

#include <stddef.h>

#define ZC_CONFIG_FILE_MAX_SIZE     (1024 * 1024)   //  bytes
#define ZC_CONFIG_FILE_MAX_SETTINGS 256

typedef struct _zc_config_file_t zc_config_file_t;

//  Splits size bytes of text (no terminating NUL needed) into settings.
//  Returns NULL with a one-line "NAME:LINE: ..." message in err on a line
//  that is not `key = value`, a key given twice, a NUL byte, or more than
//  ZC_CONFIG_FILE_MAX_SETTINGS settings.  name is used in messages only.
zc_config_file_t *zc_config_file_parse (const char *name, const char *text, size_t size,
                                        char *err, size_t errlen);

//  Reads the file at path and parses it as zc_config_file_parse does,
//  with path as its name.  Returns NULL with a one-line message in err
//  when the file cannot be read (with strerror), is larger than
//  ZC_CONFIG_FILE_MAX_SIZE, or does not parse.
zc_config_file_t *zc_config_file_load (const char *path, char *err, size_t errlen);

//  Frees the settings and nulls the caller's pointer; safe on NULL.
void zc_config_file_destroy (zc_config_file_t **self_p);

//  The name given to parse (or the path given to load).
const char *zc_config_file_name (const zc_config_file_t *self);

//  Number of settings, in the order of the file.
size_t zc_config_file_size (const zc_config_file_t *self);

//  Setting index's key, value ("" when nothing follows the '=') and line
//  number (from 1).  index must be below zc_config_file_size.
const char *zc_config_file_key (const zc_config_file_t *self, size_t index);
const char *zc_config_file_value (const zc_config_file_t *self, size_t index);
size_t zc_config_file_line (const zc_config_file_t *self, size_t index);

//  The value of a flag that takes none on the command line (--trace):
//  true, yes, on, 1 give 1; false, no, off, 0 give 0 (in any case);
//  anything else gives -1.
int zc_config_file_bool (const char *value);

#endif
