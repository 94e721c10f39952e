/* file_util.c - whole-file reads with errors that name the file. */
#include "file_util.h"

#include <stdio.h>
#include <stdlib.h>

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
