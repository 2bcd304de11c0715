/* zipw — zip files through minizip, written to a temp file and renamed. */
#include "zipw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "util.h"

#define TMP_PREFIX ".tmp-"
#define STALE_SECONDS 3600
#define ZIP_UTF8_NAMES (1 << 11)
#define MADE_BY_UNIX_45 ((3 << 8) | 45)

struct zipw {
    zipFile zf;
    char *tmp;
};

/* mkdir -p */
static bool mkdirs(const char *dir, char **err)
{
    char *p = xstrdup(dir);
    bool ok = true;
    for (char *s = p + 1; ok; s++) {
        bool end = *s == '\0';
        if (*s != '/' && !end)
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            *err = xasprintf("cannot create the dump directory %s: %s", p, strerror(errno));
            ok = false;
        }
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return ok;
}

bool zipw_prepare_dir(const char *dir, char **err)
{
    if (!mkdirs(dir, err))
        return false;
    DIR *d = opendir(dir);
    if (!d || access(dir, W_OK) != 0) {
        *err = xasprintf("cannot use the dump directory %s: %s", dir, strerror(errno));
        if (d)
            closedir(d);
        return false;
    }
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
            fstatat(dirfd(d), e->d_name, &st, 0) == 0 && now - st.st_mtime > STALE_SECONDS)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return true;
}

static void fill_info(zip_fileinfo *zi, time_t mtime)
{
    struct tm tm;
    gmtime_r(&mtime, &tm);
    memset(zi, 0, sizeof(*zi));
    zi->tmz_date.tm_sec = (uInt)tm.tm_sec;
    zi->tmz_date.tm_min = (uInt)tm.tm_min;
    zi->tmz_date.tm_hour = (uInt)tm.tm_hour;
    zi->tmz_date.tm_mday = (uInt)tm.tm_mday;
    zi->tmz_date.tm_mon = (uInt)tm.tm_mon;
    zi->tmz_date.tm_year = (uInt)tm.tm_year + 1900;
    zi->external_fa = (uLong)0100644 << 16;
}

/* Start an entry of zf; false when minizip refuses. */
static bool open_entry(zipFile zf, const char *entry, int level, time_t mtime)
{
    zip_fileinfo zi;
    fill_info(&zi, mtime);
    return zipOpenNewFileInZip4_64(zf, entry, &zi, NULL, 0, NULL, 0, NULL, level ? Z_DEFLATED : 0,
                                   level, 0, -MAX_WBITS, DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY, NULL, 0,
                                   MADE_BY_UNIX_45, ZIP_UTF8_NAMES, 1) == ZIP_OK;
}

struct zipw *zipw_open(const char *dir, const char *entry, int level, time_t mtime, char **err)
{
    char *tmp = xasprintf("%s/" TMP_PREFIX "XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        *err = xasprintf("cannot create a file in %s: %s", dir, strerror(errno));
        free(tmp);
        return NULL;
    }
    fchmod(fd, 0644); /* readable like any file the server publishes */
    close(fd);
    zipFile zf = zipOpen64(tmp, APPEND_STATUS_CREATE);
    if (!zf || !open_entry(zf, entry, level, mtime)) {
        *err = xasprintf("cannot start the zip file %s", tmp);
        if (zf)
            zipClose(zf, NULL);
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    struct zipw *z = xcalloc(1, sizeof(*z));
    z->zf = zf;
    z->tmp = tmp;
    return z;
}

bool zipw_entry(struct zipw *z, const char *entry, int level, time_t mtime, char **err)
{
    if (zipCloseFileInZip(z->zf) != ZIP_OK || !open_entry(z->zf, entry, level, mtime)) {
        *err = xasprintf("cannot add an entry to the zip file %s (disk full?)", z->tmp);
        return false;
    }
    return true;
}

bool zipw_write(struct zipw *z, const void *p, size_t n, char **err)
{
    const char *s = p;
    while (n > 0) {
        unsigned part = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        if (zipWriteInFileInZip(z->zf, s, part) != ZIP_OK) {
            *err = xasprintf("cannot write the zip file %s (disk full?)", z->tmp);
            return false;
        }
        s += part;
        n -= part;
    }
    return true;
}

static void zipw_free(struct zipw *z)
{
    free(z->tmp);
    free(z);
}

/* Flush the finished file to disk before it gets its final name. */
static bool sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

bool zipw_commit(struct zipw *z, const char *path, char **err)
{
    bool ok = zipCloseFileInZip(z->zf) == ZIP_OK;
    ok = zipClose(z->zf, NULL) == ZIP_OK && ok;
    if (ok && (!sync_file(z->tmp) || rename(z->tmp, path) != 0)) {
        *err = xasprintf("cannot store the zip file %s: %s", path, strerror(errno));
        ok = false;
    } else if (!ok) {
        *err = xasprintf("cannot finish the zip file %s (disk full?)", z->tmp);
    }
    if (!ok)
        unlink(z->tmp);
    zipw_free(z);
    return ok;
}

void zipw_abort(struct zipw *z)
{
    if (!z)
        return;
    zipCloseFileInZip(z->zf);
    zipClose(z->zf, NULL);
    unlink(z->tmp);
    zipw_free(z);
}
