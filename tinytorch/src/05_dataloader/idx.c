/* idx.c - the IDX format (MNIST, Fashion-MNIST) and the MNIST-style loader.
 *
 * IDX layout (big-endian): bytes 0-1 are zero, byte 2 the element type, byte 3 the number of dims n;
 * then n uint32 sizes; then the elements, row-major. Type codes: 0x08 uint8, 0x09 int8, 0x0B int16,
 * 0x0C int32, 0x0D float32, 0x0E float64. The file must hold exactly header + numel * elsize bytes:
 * a short file is "truncated", a longer one has "trailing bytes".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/data.h"
#include "data_internal.h"

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static int elem_size(uint8_t type)
{
    switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
    }
}

static float convert(const unsigned char *p, uint8_t type)
{
    switch (type) {
    case 0x08: return (float)p[0];
    case 0x09: return (float)(int8_t)p[0];
    case 0x0B: return (float)(int16_t)(((unsigned)p[0] << 8) | p[1]);
    case 0x0C: return (float)(int32_t)be32(p);
    case 0x0D: { uint32_t u = be32(p); float f; memcpy(&f, &u, 4); return f; }
    default: {
        uint64_t u = ((uint64_t)be32(p) << 32) | be32(p + 4);
        double d;
        memcpy(&d, &u, 8);
        return (float)d;
    }
    }
}

/* Sane bound on an IDX tensor: 2^32 elements (16 GiB as floats; MNIST's training images are 4.7e7).
 * Applied to the product of the non-zero sizes too, so "0 images of 2^31 x 2^31" is refused. */
#define IDX_MAX_NUMEL ((uint64_t)1 << 32)

int tt_idx_read(const char *path, tt_idx *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    tt__rd r;
    if (tt__rd_open(&r, path, err, errlen) != 0) {
        return -1;
    }
    int rc = -1;
    unsigned char hbuf[4 + 4 * TT_MAX_DIMS];
    int64_t got = tt__rd_read(&r, hbuf, 4, err, errlen);
    if (got < 0) {
        goto done;
    }
    if (got < 4) {
        tt__data_err(err, errlen, "%s: truncated IDX header (%lld bytes, need at least 4)", path, (long long)got);
        goto done;
    }
    if (hbuf[0] != 0 || hbuf[1] != 0) {
        tt__data_err(err, errlen, "%s: not an IDX file (magic %02x %02x %02x %02x, want 00 00 <type> <ndim>)",
                     path, hbuf[0], hbuf[1], hbuf[2], hbuf[3]);
        goto done;
    }
    uint8_t type = hbuf[2];
    int nd = hbuf[3], es = elem_size(type);
    if (es == 0) {
        tt__data_err(err, errlen, "%s: unknown IDX element type 0x%02x", path, type);
        goto done;
    }
    if (nd < 1 || nd > TT_MAX_DIMS) {
        tt__data_err(err, errlen, "%s: IDX file has %d dimensions (supported: 1..%d)", path, nd, TT_MAX_DIMS);
        goto done;
    }
    size_t hdr = 4 + 4 * (size_t)nd;
    got = tt__rd_read(&r, hbuf + 4, hdr - 4, err, errlen);
    if (got < 0) {
        goto done;
    }
    if ((size_t)got < hdr - 4) {
        tt__data_err(err, errlen, "%s: truncated IDX header (%zu bytes, need %zu)", path, 4 + (size_t)got, hdr);
        goto done;
    }
    /* Overflow-safe: every product is checked against the bound before it is formed. */
    uint64_t numel = 1, nonzero = 1;
    for (int d = 0; d < nd; d++) {
        uint64_t v = be32(hbuf + 4 + 4 * d);
        out->shape[d] = (int64_t)v;
        if (v != 0 && nonzero > IDX_MAX_NUMEL / v) {
            tt__data_err(err, errlen, "%s: IDX sizes are implausibly large (more than %llu elements)", path,
                         (unsigned long long)IDX_MAX_NUMEL);
            goto done;
        }
        nonzero *= v ? v : 1;
        numel *= v;
    }
    uint64_t want = hdr + numel * (uint64_t)es; /* <= 8 * 2^32 + 36: no wrap */
    if (!r.is_gzip && r.file_size && r.file_size != want) {
        if (r.file_size < want) {
            tt__data_err(err, errlen, "%s: truncated: %llu bytes, the header promises %llu", path,
                         (unsigned long long)r.file_size, (unsigned long long)want);
        } else {
            tt__data_err(err, errlen, "%s: %llu trailing bytes after the %llu the header describes", path,
                         (unsigned long long)(r.file_size - want), (unsigned long long)want);
        }
        goto done;
    }
    /* Body: converted in pieces; the float array grows with the values that really arrive, so a
     * short (or small compressed) file claiming a huge tensor costs only what it holds. */
    enum { PIECE = 1 << 16 };
    size_t psize = numel * (uint64_t)es < PIECE ? (size_t)(numel * (uint64_t)es) + 1 : PIECE;
    unsigned char *piece = malloc(psize);
    uint64_t cap = numel < PIECE ? numel : PIECE, have = 0;
    out->data = malloc((size_t)(cap ? cap : 1) * sizeof(float));
    if (!piece || !out->data) {
        free(piece);
        tt__data_err(err, errlen, "%s: out of memory", path);
        goto done;
    }
    while (have < numel) {
        size_t n = (size_t)((numel - have) * (uint64_t)es < PIECE ? (numel - have) * (uint64_t)es : PIECE);
        n -= n % (size_t)es;
        got = tt__rd_read(&r, piece, n, err, errlen);
        if (got < 0) {
            free(piece);
            goto done;
        }
        uint64_t k = (uint64_t)got / (uint64_t)es;
        if (have + k > cap) {
            uint64_t nc = cap * 2 < numel ? cap * 2 : numel;
            while (nc < have + k) {
                nc = nc * 2 < numel ? nc * 2 : numel;
            }
            float *nd2 = realloc(out->data, (size_t)nc * sizeof(float));
            if (!nd2) {
                free(piece);
                tt__data_err(err, errlen, "%s: out of memory for %llu values", path, (unsigned long long)nc);
                goto done;
            }
            out->data = nd2;
            cap = nc;
        }
        for (uint64_t i = 0; i < k; i++) {
            out->data[have + i] = type == 0x08 ? (float)piece[i] : convert(piece + i * (uint64_t)es, type);
        }
        have += k;
        if ((size_t)got < n) {
            free(piece);
            tt__data_err(err, errlen, "%s: truncated: %llu bytes, the header promises %llu", path,
                         (unsigned long long)(hdr + have * (uint64_t)es + (uint64_t)got % (uint64_t)es),
                         (unsigned long long)want);
            goto done;
        }
    }
    /* Anything after the promised bytes is an error: counted up to a point, never stored, so a small
     * archive inflating to gigabytes of junk is refused at once. */
    const uint64_t count_max = (uint64_t)1 << 20;
    uint64_t extra = 0;
    while (extra <= count_max) {
        got = tt__rd_read(&r, piece, psize, err, errlen);
        if (got < 0) {
            free(piece);
            goto done;
        }
        if (got == 0) {
            break;
        }
        extra += (uint64_t)got;
    }
    free(piece);
    if (extra) {
        tt__data_err(err, errlen, "%s: %s%llu trailing bytes after the %llu the header describes", path,
                     extra > count_max ? "more than " : "",
                     (unsigned long long)(extra > count_max ? count_max : extra), (unsigned long long)want);
        goto done;
    }
    out->ndim = nd;
    out->numel = (int64_t)numel;
    out->type = type;
    rc = 0;
done:
    tt__rd_close(&r);
    if (rc != 0) {
        free(out->data);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

void tt_idx_free(tt_idx *idx)
{
    free(idx->data);
    idx->data = NULL;
}

/* First existing of dir/name.gz and dir/name (the plain name is reported when neither exists). */
static void pick_path(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s.gz", dir, name);
    FILE *f = fopen(out, "rb");
    if (f) {
        fclose(f);
        return;
    }
    snprintf(out, len, "%s/%s", dir, name);
    f = fopen(out, "rb");
    if (f) {
        fclose(f);
        return;
    }
    snprintf(out, len, "%s/%s.gz", dir, name);
}

int tt_load_mnist(const char *dir, const char *prefix, float mean, float std, tt_dataset **out,
                  char *err, size_t errlen)
{
    *out = NULL;
    char ipath[1024], lpath[1024], name[128];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    pick_path(ipath, sizeof ipath, dir, name);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    pick_path(lpath, sizeof lpath, dir, name);
    if (!(std > 0.0f)) {
        return tt__data_err(err, errlen, "tt_load_mnist: std must be > 0 (got %g)", (double)std);
    }
    tt_idx im, lb;
    if (tt_idx_read(ipath, &im, err, errlen) != 0) {
        return -1;
    }
    if (tt_idx_read(lpath, &lb, err, errlen) != 0) {
        tt_idx_free(&im);
        return -1;
    }
    int rc = -1;
    int32_t *y = NULL;
    if (im.ndim != 3 || im.type != 0x08) {
        tt__data_err(err, errlen, "%s: want a 3-d uint8 IDX file (images), got %d-d of type 0x%02x", ipath,
                     im.ndim, im.type);
        goto done;
    }
    if (lb.ndim != 1 || lb.type != 0x08) {
        tt__data_err(err, errlen, "%s: want a 1-d uint8 IDX file (labels), got %d-d of type 0x%02x", lpath,
                     lb.ndim, lb.type);
        goto done;
    }
    if (lb.shape[0] != im.shape[0]) {
        tt__data_err(err, errlen, "%s has %lld images but %s has %lld labels", ipath,
                     (long long)im.shape[0], lpath, (long long)lb.shape[0]);
        goto done;
    }
    y = malloc((size_t)(lb.numel ? lb.numel : 1) * sizeof(int32_t));
    if (!y) {
        tt__data_err(err, errlen, "%s: out of memory", lpath);
        goto done;
    }
    for (int64_t i = 0; i < lb.numel; i++) {
        if (lb.data[i] > 9.0f) {
            tt__data_err(err, errlen, "%s: label %d of sample %lld is outside 0..9", lpath, (int)lb.data[i],
                         (long long)i);
            goto done;
        }
        y[i] = (int32_t)lb.data[i];
    }
    float a = 1.0f / (255.0f * std), b = -mean / std;
    for (int64_t i = 0; i < im.numel; i++) {
        im.data[i] = im.data[i] * a + b;
    }
    int64_t shape[3] = {1, im.shape[1], im.shape[2]};
    *out = tt_dataset_from_memory(im.data, y, im.shape[0], 3, shape, 10);
    if (!*out) {
        tt__data_err(err, errlen, "%s: out of memory", ipath);
        goto done;
    }
    im.data = NULL; /* owned by the data set now */
    y = NULL;
    rc = 0;
done:
    free(y);
    tt_idx_free(&im);
    tt_idx_free(&lb);
    return rc;
}
