/* files.c - reading data files, gunzipping on the way when they are gzip.
 *
 * Gzip is recognised by its magic bytes (1f 8b), not by the file name, so "x.gz" that is really plain
 * and "x" that is really gzip both work. zlib's gzread checks the CRC and length trailer, so a corrupt
 * or truncated archive is reported instead of silently giving short data.
 *
 * Two ways in: tt_read_file takes a whole file (memory grows with the bytes that actually arrive, up
 * to a limit), and the tt__rd_* stream (data_internal.h) lets a format with a header (IDX) read and
 * check its header before it allocates anything for the body.
 */
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tinytorch/data.h"
#include "data_internal.h"

int tt__rd_open(tt__rd *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return tt__data_err(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
    }
    unsigned char magic[2] = {0, 0};
    size_t nmagic = fread(magic, 1, 2, f);
    struct stat st;
    r->file_size = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    fclose(f);
    r->is_gzip = nmagic == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    r->gz = gzopen(path, "rb");
    if (!r->gz) {
        return tt__data_err(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
    }
    /* 128 KB buffers speed up big files; small ones keep zlib's 8 KB default */
    gzbuffer(r->gz, r->file_size < (1u << 20) ? 8192u : 1u << 17);
    return 0;
}

int64_t tt__rd_read(tt__rd *r, void *buf, size_t n, char *err, size_t errlen)
{
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > (1u << 30) ? (1u << 30) : n - got;
        int k = gzread(r->gz, (unsigned char *)buf + got, (unsigned)want);
        if (k < 0) {
            int code = 0;
            const char *msg = gzerror(r->gz, &code);
            return tt__data_err(err, errlen, "%s: %s after %llu bytes (%s)", r->path,
                                r->is_gzip ? "corrupt or truncated gzip" : "read error",
                                (unsigned long long)(r->pos + got), msg && *msg ? msg : "read error");
        }
        if (k == 0) {
            int code = 0;
            const char *msg = gzerror(r->gz, &code);
            if (code != Z_OK) {
                return tt__data_err(err, errlen, "%s: %s after %llu bytes (%s)", r->path,
                                    r->is_gzip ? "corrupt or truncated gzip" : "read error",
                                    (unsigned long long)(r->pos + got), msg ? msg : "");
            }
            break;
        }
        got += (size_t)k;
    }
    r->pos += got;
    return (int64_t)got;
}

void tt__rd_close(tt__rd *r)
{
    if (r->gz) {
        gzclose(r->gz);
    }
    r->gz = NULL;
}

int tt__read_all(const char *path, uint64_t max_bytes, unsigned char **data, size_t *len, char *err,
                 size_t errlen)
{
    *data = NULL;
    *len = 0;
    tt__rd r;
    if (tt__rd_open(&r, path, err, errlen) != 0) {
        return -1;
    }
    if (!r.is_gzip && r.file_size > max_bytes) {
        tt__rd_close(&r);
        return tt__data_err(err, errlen, "%s: %llu bytes, more than the %llu this reader accepts", path,
                            (unsigned long long)r.file_size, (unsigned long long)max_bytes);
    }
    /* Plain files: one allocation of the size on disk (+1 to see EOF). Gzip: grow as bytes arrive,
     * so a small archive that claims much costs only what it really inflates to. */
    size_t cap = r.is_gzip || r.file_size == 0 ? (size_t)1 << 16 : (size_t)r.file_size + 1;
    size_t n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        tt__rd_close(&r);
        return tt__data_err(err, errlen, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if ((uint64_t)n > max_bytes) {
                free(buf);
                tt__rd_close(&r);
                return tt__data_err(err, errlen, "%s: more than the %llu bytes this reader accepts%s", path,
                                    (unsigned long long)max_bytes, r.is_gzip ? " after decompression" : "");
            }
            size_t nc = cap * 2;
            if ((uint64_t)nc > max_bytes + 1) {
                nc = (size_t)max_bytes + 1;
            }
            unsigned char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                tt__rd_close(&r);
                return tt__data_err(err, errlen, "%s: out of memory after %zu bytes", path, n);
            }
            buf = nb;
            cap = nc;
        }
        int64_t got = tt__rd_read(&r, buf + n, cap - n, err, errlen);
        if (got < 0) {
            free(buf);
            tt__rd_close(&r);
            return -1;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
    }
    tt__rd_close(&r);
    *data = buf;
    *len = n;
    return 0;
}

int tt_read_file(const char *path, unsigned char **data, size_t *len, char *err, size_t errlen)
{
    return tt__read_all(path, TT_READ_FILE_MAX, data, len, err, errlen);
}
