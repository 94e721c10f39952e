/* fileio.c - the atomic file writer (see tinytorch/fileio.h): temporary file in the target's folder,
 * fflush + fsync, rename over the target, fsync of the folder. */
#define _POSIX_C_SOURCE 200809L
#include "tinytorch/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Makes the rename durable: fsync of the folder that holds path. Some file systems refuse fsync on
 * a directory (EINVAL); the file is already in place then, so this is best effort. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (!slash) {
        dir = strdup(".");
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (dir) {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
    }
    if (!dir) {
        return;
    }
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

static void release(tt_atomic_file *af)
{
    free(af->path);
    free(af->tmp);
    af->f = NULL;
    af->path = NULL;
    af->tmp = NULL;
}

int tt_atomic_open(tt_atomic_file *af, const char *path, char *err, size_t errlen)
{
    static atomic_uint counter;
    af->f = NULL;
    af->path = NULL;
    af->tmp = NULL;
    if (!path || !*path) {
        return fail(err, errlen, "atomic write: empty path (give the file to write)");
    }
    size_t plen = strlen(path);
    size_t tlen = plen + 48;
    af->path = strdup(path);
    af->tmp = malloc(tlen);
    if (!af->path || !af->tmp) {
        release(af);
        return fail(err, errlen, "%s: out of memory", path);
    }
    unsigned n = atomic_fetch_add(&counter, 1u);
    snprintf(af->tmp, tlen, "%s.tmp.%ld.%u", path, (long)getpid(), n);
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int e = errno;
        release(af);
        fail(err, errlen, "%s: cannot create a temporary file next to it (%s)", path, strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

int tt_atomic_commit(tt_atomic_file *af, char *err, size_t errlen)
{
    if (!af->f) {
        release(af);
        return fail(err, errlen, "atomic write: commit without a successful open");
    }
    int e = 0;
    bool ok = true;
    if (ferror(af->f)) {
        ok = false;
        e = errno ? errno : EIO;
    }
    if (ok && fflush(af->f) != 0) {
        ok = false;
        e = errno;
    }
    if (ok && fsync(fileno(af->f)) != 0) {
        ok = false;
        e = errno;
    }
    if (fclose(af->f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    af->f = NULL;
    if (ok && rename(af->tmp, af->path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        e = e ? e : EIO;
        remove(af->tmp);
        fail(err, errlen, "%s: write failed (%s); the previous file, if any, is unchanged", af->path,
             strerror(e));
        release(af);
        errno = e;
        return -1;
    }
    sync_parent_dir(af->path);
    release(af);
    return 0;
}

void tt_atomic_abort(tt_atomic_file *af)
{
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
    }
    if (af->tmp) {
        remove(af->tmp);
    }
    release(af);
}

int tt_write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        return -1;
    }
    if (len && fwrite(data, 1, len, af.f) != len) {
        int e = errno ? errno : EIO;
        tt_atomic_abort(&af);
        fail(err, errlen, "%s: write failed (%s); the previous file, if any, is unchanged", path,
             strerror(e));
        errno = e;
        return -1;
    }
    return tt_atomic_commit(&af, err, errlen);
}

int tt_mkdir_p(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        return fail(err, errlen, "%s: path too long", dir);
    }
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == 0) {
            const char c = *p;
            *p = 0;
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                return fail(err, errlen, "%s: cannot create directory (%s)", path, strerror(errno));
            }
            *p = c;
            if (c == 0) {
                break;
            }
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return fail(err, errlen, "%s: not a directory", dir);
    }
    return 0;
}
