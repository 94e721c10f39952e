/* file_util.c - whole-file reads and writes with errors that name the file. */
#define _POSIX_C_SOURCE 200809L
#include "file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ms_status ms_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len, char *err,
                       size_t errlen)
{
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot open", path); return MS_ERR_INPUT; }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); snprintf(err, errlen, "%s: out of memory", path); return MS_ERR_NOMEM; }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (max_bytes && len > max_bytes) {
            free(buf); fclose(f);
            snprintf(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
            return MS_ERR_INPUT;
        }
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); snprintf(err, errlen, "%s: read error", path); return MS_ERR_INPUT; }
    *out = buf;
    *out_len = len;
    return MS_OK;
}

int ms_write_file_atomic(const char *path, int (*fill)(FILE *fp, const void *ctx), const void *ctx, char *err,
                         size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    /* the first failure's reason (EIO where a step failed without saying why) */
    errno = 0;
    int e = fill(fp, ctx) != 0 || ferror(fp) || fflush(fp) != 0 || fsync(fileno(fp)) != 0 ? (errno ? errno : EIO) : 0;
    if (fclose(fp) != 0 && !e) e = errno ? errno : EIO;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e));
        remove(tmp);
        return -1;
    }
    /* the rename itself reaches the disk with the folder's entry */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *(slash == dir ? slash + 1 : slash) = 0;
    } else {
        snprintf(dir, sizeof dir, ".");
    }
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    return 0;
}

typedef struct {
    const void *data;
    size_t len;
} byte_span;

static int write_span(FILE *fp, const void *ctx)
{
    const byte_span *b = ctx;
    return b->len && fwrite(b->data, 1, b->len, fp) != b->len ? -1 : 0;
}

int ms_write_bytes_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    return ms_write_file_atomic(path, write_span, &(byte_span){data, len}, err, errlen);
}

void ms_write_comment_lines(FILE *fp, const char *text)
{
    for (const char *c = text; c && *c;) {
        size_t len = strcspn(c, "\n");
        fprintf(fp, "# %.*s\n", (int)len, c);
        c += len;
        if (*c == '\n') c++;
    }
}
