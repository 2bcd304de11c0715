/* ustore — uploaded resource files, kept by resource and content. */
#include "ustore.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "server.h"

static char *g_dir;

/* mkdir -p, one level at a time. */
static bool make_dirs(const char *dir, char **err)
{
    char *p = xstrdup(dir);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0750) != 0 && errno != EEXIST) {
            *err = xasprintf("cannot make the upload directory %s: %s", p, strerror(errno));
            free(p);
            return false;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return true;
}

bool ustore_init(const struct config *cfg, char **err)
{
    char *dir = *cfg->upload_dir ? xstrdup(cfg->upload_dir)
                                 : util_share_dir("OPENDATAD_UPLOAD_DIR", "var/uploads");
    char *res = xasprintf("%s/resources", dir);
    bool ok = make_dirs(res, err);
    free(res);
    char *real = ok ? realpath(dir, NULL) : NULL;
    free(dir);
    if (ok && (!real || access(real, W_OK) != 0)) {
        *err = xasprintf("cannot use the upload directory: %s", strerror(errno));
        ok = false;
    }
    if (!ok) {
        free(real);
        return false;
    }
    free(g_dir);
    g_dir = real;
    srv_set_upload_dir(g_dir);
    return true;
}

const char *ustore_dir(void)
{
    return g_dir ? g_dir : ".";
}

/* <dir>/resources/<sha256 of rid>, the resource's folder. */
static char *resource_dir(const char *rid)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (EVP_Digest(rid, strlen(rid), d, &n, EVP_sha256(), NULL))
        for (unsigned i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return xasprintf("%s/resources/%s", g_dir ? g_dir : ".", hex);
}

char *ustore_path(const char *rid, const char *sha256)
{
    char *dir = resource_dir(rid);
    char *path = xasprintf("%s/%s", dir, sha256);
    free(dir);
    return path;
}

int ustore_open(const char *rid, const char *sha256)
{
    char *path = ustore_path(rid, sha256);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    return fd;
}

int ustore_link(int fd, const char *rid, const char *sha256, char **err)
{
    char *dir = resource_dir(rid), *path = xasprintf("%s/%s", dir, sha256);
    char *proc = xasprintf("/proc/self/fd/%d", fd);
    int rc = 1;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        rc = -1;
    else if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0)
        rc = errno == EEXIST ? 0 : -1;
    if (rc < 0)
        *err = xasprintf("cannot store the uploaded file: %s", strerror(errno));
    free(proc);
    free(path);
    free(dir);
    return rc;
}

void ustore_unlink(const char *rid, const char *sha256)
{
    char *path = ustore_path(rid, sha256);
    (void)unlink(path);
    free(path);
}
