/*  client_keys.c — see client_keys.h. */
#include "client_keys.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>

struct _zc_client_keys_t {
    zcert_t *ours;                  //  client.cert, or an ephemeral pair
    zcert_t *server;                //  server.cert (public key only)
    bool ephemeral;
};

//  zcert_load reads FILE_secret first and falls back to FILE, leaving the
//  secret key zero: a certificate without its secret loads "fine".  These
//  checks say which file is wrong, and why, before czmq is asked
static int
s_readable (const char *path, char *err, size_t errlen)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (err, errlen, "--keys: cannot read %s: %s", path, strerror (errno));
        return -1;
    }
    fclose (file);
    return 0;
}

static bool
s_exists (const char *path)
{
    FILE *file = fopen (path, "r");
    if (file)
        fclose (file);
    return file || errno != ENOENT;
}

static zcert_t *
s_load (const char *path, bool secret, char *err, size_t errlen)
{
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        snprintf (err, errlen, "--keys: %s is not a CURVE certificate", path);
        return NULL;
    }
    if (secret && streq (zcert_secret_txt (cert), "0000000000000000000000000000000000000000")) {
        snprintf (err, errlen, "--keys: %s_secret holds no secret key", path);
        zcert_destroy (&cert);
    }
    return cert;
}

zc_client_keys_t *
zc_client_keys_load (const char *dir, char *err, size_t errlen)
{
    assert (dir && err && errlen);
    if (!zsys_has_curve ()) {
        snprintf (err, errlen, "--keys: this libzmq was built without CURVE");
        return NULL;
    }
    zc_client_keys_t *self = (zc_client_keys_t *) calloc (1, sizeof (*self));
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    char path [4096], secret [4096 + 8];
    int rc = -1;
    snprintf (path, sizeof (path), "%s/server.cert", dir);
    if (s_readable (path, err, errlen) == 0
    &&  (self->server = s_load (path, false, err, errlen))) {
        snprintf (path, sizeof (path), "%s/client.cert", dir);
        snprintf (secret, sizeof (secret), "%s_secret", path);
        if (!s_exists (path) && !s_exists (secret)) {
            //  "any client, encrypted": a key pair for this run only
            self->ours = zcert_new ();
            self->ephemeral = true;
            if (self->ours)
                rc = 0;
            else
                snprintf (err, errlen, "--keys: cannot make a key pair");
        }
        else
        if (s_readable (secret, err, errlen) == 0
        &&  (self->ours = s_load (path, true, err, errlen)))
            rc = 0;
    }
    if (rc) {
        zc_client_keys_destroy (&self);
        return NULL;
    }
    return self;
}

void
zc_client_keys_destroy (zc_client_keys_t **self_p)
{
    assert (self_p);
    zc_client_keys_t *self = *self_p;
    if (!self)
        return;
    zcert_destroy (&self->ours);
    zcert_destroy (&self->server);
    free (self);
    *self_p = NULL;
}

void
zc_client_keys_apply (const zc_client_keys_t *self, void *sock)
{
    assert (self && sock);
    zcert_apply (self->ours, sock);
    zsock_set_curve_serverkey (sock, zcert_public_txt (self->server));
}

bool
zc_client_keys_ephemeral (const zc_client_keys_t *self)
{
    assert (self);
    return self->ephemeral;
}

const char *
zc_client_keys_name (const zc_client_keys_t *self)
{
    assert (self);
    const char *name = self->ephemeral? NULL: zcert_meta (self->ours, "name");
    return name? name: "";
}

const char *
zc_client_keys_public (const zc_client_keys_t *self)
{
    assert (self);
    return zcert_public_txt (self->ours);
}
