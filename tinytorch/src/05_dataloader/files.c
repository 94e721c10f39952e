/* files.c - reading a whole data file into memory, gunzipping it on the way when it is gzip.
 *
 * Gzip is recognised by its magic bytes (1f 8b), not by the file name, so "x.gz" that is really plain
 * and "x" that is really gzip both work. zlib's gzread checks the CRC and length trailer, so a corrupt
 * or truncated archive is reported instead of silently giving short data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "tinytorch/data.h"
#include "data_internal.h"

int tt_read_file(const char *path, unsigned char **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return tt__data_err(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
    }
    unsigned char magic[2] = {0, 0};
    size_t nmagic = fread(magic, 1, 2, f);
    fclose(f);
    bool is_gzip = nmagic == 2 && magic[0] == 0x1f && magic[1] == 0x8b;

    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        return tt__data_err(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
    }
    gzbuffer(gz, 1u << 17);
    size_t cap = 1u << 20, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        gzclose(gz);
        return tt__data_err(err, errlen, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            unsigned char *nb = cap > ((size_t)1 << 40) ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                gzclose(gz);
                return tt__data_err(err, errlen, "%s: out of memory after %zu bytes", path, n);
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - n > (1u << 30) ? (1u << 30) : cap - n;
        int got = gzread(gz, buf + n, (unsigned)want);
        if (got < 0) {
            int code = 0;
            const char *msg = gzerror(gz, &code);
            tt__data_err(err, errlen, "%s: %s data after %zu bytes (%s)", path,
                         is_gzip ? "corrupt or truncated gzip" : "unreadable", n,
                         msg && *msg ? msg : "read error");
            free(buf);
            gzclose(gz);
            return -1;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
    }
    int code = 0;
    const char *msg = gzerror(gz, &code);
    if (code != Z_OK) {
        tt__data_err(err, errlen, "%s: %s after %zu bytes (%s)", path,
                     is_gzip ? "corrupt or truncated gzip" : "read error", n, msg ? msg : "");
        free(buf);
        gzclose(gz);
        return -1;
    }
    gzclose(gz);
    *data = buf;
    *len = n;
    return 0;
}
