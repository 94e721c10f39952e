/* qmodel_io.c - saving and loading a quantized model as safetensors (module 15).
 *
 * Layout (all little-endian; names in the order written):
 *   layers.<i>.weight        I8  [Cout, Cin, kh, kw] (conv2d; depthwise [C, 1, kh, kw]) or [out, in] (linear)
 *   layers.<i>.bias          I32 [Cout]     scale input_scale * weight_scale[c], zero point 0
 *   layers.<i>.weight_scale  F32 [Cout]     symmetric: w ~= weight_scale[c] * q
 *   activation_scale         F32 [L + 1]    entry 0: the model input; entry i + 1: layer i's output
 *   activation_zero_point    I32 [L + 1]
 * metadata: format = "tinytorch-int8", version = "1", scheme (in words), num_layers = L,
 *   input_shape = "C,H,W", layers.<i> = "conv2d stride=S padding=P relu=0|1 pool=0|1" (a depthwise one
 *   adds " groups=G", G = its channels) | "linear relu=0|1" | "maxpool2" | "avgpool" (global) | "relu"
 *   | "flatten", plus the caller's keys. A file without depthwise or avgpool layers is byte for byte what
 *   earlier versions wrote.
 * The fixed-point multipliers are not stored: they follow from the scales (tt_requant_multiplier)
 * and are recomputed on load, so the file cannot hold a multiplier that disagrees with its scales.
 * Load validates before it builds anything: module 08's safetensors reader checks the header length
 * against the file size, the JSON, each tensor's dtype, shape and byte range; this file then checks the
 * shapes against the model, scales positive and finite, zero points in [-128, 127].
 */
#define _POSIX_C_SOURCE 200809L
#include "quant_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tinytorch/checkpoint.h"
#include "tinytorch/fileio.h"
#include "tinytorch/json.h"


static int qerr(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int qerr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) {
        vsnprintf(err, errlen, fmt, ap);
    }
    va_end(ap);
    return -1;
}

static const char *const SCHEME =
    "int8 weights symmetric per output channel (w = weight_scale[c] * q); int8 activations asymmetric per "
    "tensor (x = scale * (q - zero_point)); int32 bias with scale input_scale * weight_scale[c]; "
    "requantization q_out = clamp(zp_out + ((acc * M + 2^(n-1)) >> n), lo, 127) with input_scale * "
    "weight_scale[c] / output_scale = M * 2^-n, M in [2^30, 2^31) (single rounding); lo = zp_out with a "
    "fused relu, else -128; pool=1: 2x2 stride-2 max pool of the int32 accumulators before requantization";

/* ---- save ----------------------------------------------------------------------------------------- */

typedef struct qt { char name[64]; const char *dtype; int ndim; int64_t shape[4]; const void *data; size_t bytes; } qt;

static void put_le(unsigned char *d, const void *src, size_t bytes, int elsize)
{
    /* the host is little-endian on every target we build for; convert anyway */
    const unsigned char *s = src;
    for (size_t i = 0; i < bytes; i += (size_t)elsize) {
        for (int b = 0; b < elsize; b++) {
            uint32_t one = 1;
            bool le = *(const unsigned char *)&one == 1;
            d[i + (size_t)b] = s[i + (size_t)(le ? b : elsize - 1 - b)];
        }
    }
}

static void layer_desc(const tt_qlayer *l, char *buf, size_t len)
{
    switch (l->kind) {
    case TT_QOP_CONV:
        if (tt_qlayer_depthwise(l)) {
            snprintf(buf, len, "conv2d stride=%d padding=%d relu=%d pool=%d groups=%d", l->stride, l->padding,
                     (int)l->relu, (int)l->pool, l->groups);
        } else {
            snprintf(buf, len, "conv2d stride=%d padding=%d relu=%d pool=%d", l->stride, l->padding, (int)l->relu,
                     (int)l->pool);
        }
        break;
    case TT_QOP_AVGPOOL:
        snprintf(buf, len, "avgpool");
        break;
    case TT_QOP_LINEAR:
        snprintf(buf, len, "linear relu=%d", (int)l->relu);
        break;
    case TT_QOP_MAXPOOL2:
        snprintf(buf, len, "maxpool2");
        break;
    case TT_QOP_RELU:
        snprintf(buf, len, "relu");
        break;
    case TT_QOP_FLATTEN:
        snprintf(buf, len, "flatten");
        break;
    }
}

int tt_qmodel_save(const tt_qmodel *m, const char *path, const tt_kv *meta, int n_meta, char *err, size_t errlen)
{
    const int L = m->n;
    qt *t = calloc((size_t)(3 * L + 2), sizeof *t);
    float *as = malloc((size_t)(L + 1) * sizeof(float));
    int32_t *az = malloc((size_t)(L + 1) * sizeof(int32_t));
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *hf = NULL;
    if (!t || !as || !az || !(hf = open_memstream(&hdr, &hlen))) {
        free(t);
        free(as);
        free(az);
        return qerr(err, errlen, "%s: out of memory", path);
    }
    int nt = 0;
    as[0] = m->layers[0].in.scale;
    az[0] = m->layers[0].in.zero_point;
    for (int i = 0; i < L; i++) {
        const tt_qlayer *l = &m->layers[i];
        as[i + 1] = l->out.scale;
        az[i + 1] = l->out.zero_point;
        if (l->kind != TT_QOP_CONV && l->kind != TT_QOP_LINEAR) {
            continue;
        }
        const size_t K = (size_t)tt_qlayer_k(l), C = (size_t)l->cout;
        qt *w = &t[nt++], *b = &t[nt++], *s = &t[nt++];
        snprintf(w->name, sizeof w->name, "layers.%d.weight", i);
        w->dtype = "I8";
        w->data = l->weight;
        w->bytes = C * K;
        if (l->kind == TT_QOP_CONV) {
            w->ndim = 4;
            int64_t sh[4] = {l->cout, (int64_t)K / (l->kh * l->kw), l->kh, l->kw};
            memcpy(w->shape, sh, sizeof sh);
        } else {
            w->ndim = 2;
            w->shape[0] = l->cout;
            w->shape[1] = l->cin;
        }
        snprintf(b->name, sizeof b->name, "layers.%d.bias", i);
        *b = (qt){.dtype = "I32", .ndim = 1, .shape = {l->cout}, .data = l->bias, .bytes = C * 4};
        snprintf(b->name, sizeof b->name, "layers.%d.bias", i);
        *s = (qt){.dtype = "F32", .ndim = 1, .shape = {l->cout}, .data = l->weight_scale, .bytes = C * 4};
        snprintf(s->name, sizeof s->name, "layers.%d.weight_scale", i);
    }
    t[nt] = (qt){.name = "activation_scale", .dtype = "F32", .ndim = 1, .shape = {L + 1}, .data = as,
                 .bytes = (size_t)(L + 1) * 4};
    nt++;
    t[nt] = (qt){.name = "activation_zero_point", .dtype = "I32", .ndim = 1, .shape = {L + 1}, .data = az,
                 .bytes = (size_t)(L + 1) * 4};
    nt++;
    /* header JSON */
    fputc('{', hf);
    size_t off = 0;
    for (int i = 0; i < nt; i++) {
        fprintf(hf, "\"%s\":{\"dtype\":\"%s\",\"shape\":[", t[i].name, t[i].dtype);
        for (int d = 0; d < t[i].ndim; d++) {
            fprintf(hf, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
        }
        fprintf(hf, "],\"data_offsets\":[%zu,%zu]},", off, off + t[i].bytes);
        off += t[i].bytes;
    }
    fprintf(hf, "\"__metadata__\":{\"format\":\"tinytorch-int8\",\"version\":\"1\",\"scheme\":");
    tt_json_write_string(hf, SCHEME);
    fprintf(hf, ",\"num_layers\":\"%d\",\"input_shape\":\"%lld,%lld,%lld\"", L, (long long)m->in_shape[0],
            (long long)m->in_shape[1], (long long)m->in_shape[2]);
    for (int i = 0; i < L; i++) {
        char d[128];
        layer_desc(&m->layers[i], d, sizeof d);
        fprintf(hf, ",\"layers.%d\":\"%s\"", i, d);
    }
    for (int i = 0; i < n_meta; i++) {
        fputc(',', hf);
        tt_json_write_string(hf, meta[i].key);
        fputc(':', hf);
        tt_json_write_string(hf, meta[i].value);
    }
    fputs("}}", hf);
    while ((ftell(hf) % 8) != 0) {
        fputc(' ', hf);
    }
    fclose(hf);
    /* data */
    unsigned char *data = malloc(off + 1);
    int rc = 0;
    if (!data) {
        rc = qerr(err, errlen, "%s: out of memory", path);
    } else {
        size_t at = 0;
        for (int i = 0; i < nt; i++) {
            put_le(data + at, t[i].data, t[i].bytes, strcmp(t[i].dtype, "I8") == 0 ? 1 : 4);
            at += t[i].bytes;
        }
        unsigned char len8[8];
        uint64_t hl = hlen;
        for (int b = 0; b < 8; b++) {
            len8[b] = (unsigned char)(hl >> (8 * b));
        }
        tt_atomic_file af;
        if (tt_atomic_open(&af, path, err, errlen) != 0) {
            rc = -1;
        } else if (fwrite(len8, 1, 8, af.f) == 8 && fwrite(hdr, 1, hlen, af.f) == hlen &&
                   fwrite(data, 1, off, af.f) == off) {
            rc = tt_atomic_commit(&af, err, errlen);
        } else {
            int e = errno;
            tt_atomic_abort(&af);
            rc = qerr(err, errlen, "%s: write failed (%s); the previous file, if any, is unchanged", path,
                      strerror(e));
        }
    }
    free(data);
    free(hdr);
    free(t);
    free(as);
    free(az);
    return rc;
}

/* ---- load ----------------------------------------------------------------------------------------- */

/* The file is read by module 08's safetensors reader (tt_safetensors_open), which validates the header
 * and every tensor's dtype, shape and byte range (packed, no overlap, no duplicate name) before this
 * reader looks at a single value; this file checks only what the int8 format adds. */

/* The shape of a weight as the file declares it: ndim sizes in [1, max] each, or false. */
static bool weight_shape(const tt_safetensors_file *f, const char *name, int ndim, int64_t *shape, int64_t max)
{
    int64_t sh[TT_MAX_DIMS];
    if (tt_safetensors_tensor_info(f, name, NULL, sh) != ndim) {
        return false;
    }
    for (int d = 0; d < ndim; d++) {
        if (sh[d] < 1 || sh[d] > max) {
            return false;
        }
        shape[d] = sh[d];
    }
    return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || end == s || *end || errno) {
        return false;
    }
    *out = v;
    return true;
}

tt_qmodel *tt_qmodel_load(const char *path, char *err, size_t errlen)
{
    tt_qmodel *m = NULL;
    float *as = NULL;
    int32_t *az = NULL;
    tt_safetensors_file *q = tt_safetensors_open(path, err, errlen);
    if (!q) {
        return NULL;
    }
    const char *fmt = tt_safetensors_meta_value(q, "format");
    if (!fmt || strcmp(fmt, "tinytorch-int8") != 0) {
        qerr(err, errlen, "%s: metadata \"format\" is %s%s%s, want \"tinytorch-int8\" (a float checkpoint? quantize it "
             "with 'tito quantize')", path, fmt ? "\"" : "", fmt ? fmt : "missing", fmt ? "\"" : "");
        goto fail;
    }
    int64_t L = 0;
    if (!parse_i64(tt_safetensors_meta_value(q, "num_layers"), &L) || L < 1 || L > 1000) {
        qerr(err, errlen, "%s: metadata \"num_layers\" must be a whole number from 1 to 1000", path);
        goto fail;
    }
    m = calloc(1, sizeof *m);
    if (!m || !(m->layers = calloc((size_t)L, sizeof *m->layers))) {
        qerr(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    const char *ish = tt_safetensors_meta_value(q, "input_shape");
    long long c0, c1, c2;
    char extra;
    if (!ish || sscanf(ish, "%lld,%lld,%lld%c", &c0, &c1, &c2, &extra) != 3 || c0 < 1 || c1 < 1 || c2 < 1 ||
        c0 > 1 << 20 || c1 > 1 << 16 || c2 > 1 << 16 || c0 * c1 * c2 > 1 << 26) {
        qerr(err, errlen, "%s: metadata \"input_shape\" must be \"C,H,W\" with sizes >= 1", path);
        goto fail;
    }
    m->in_shape[0] = c0;
    m->in_shape[1] = c1;
    m->in_shape[2] = c2;
    as = malloc((size_t)(L + 1) * sizeof *as);
    az = malloc((size_t)(L + 1) * sizeof *az);
    const int64_t na = L + 1;
    if (!as || !az || tt_safetensors_read(q, "activation_scale", "F32", 1, &na, as, err, errlen) != 0 ||
        tt_safetensors_read(q, "activation_zero_point", "I32", 1, &na, az, err, errlen) != 0) {
        if (!as || !az) {
            qerr(err, errlen, "%s: out of memory", path);
        }
        goto fail;
    }
    for (int64_t i = 0; i <= L; i++) {
        if (!(as[i] > 0.0f) || !isfinite(as[i]) || az[i] < -128 || az[i] > 127) {
            qerr(err, errlen, "%s: tensor \"activation_scale\"/\"activation_zero_point\" entry %lld: scale %g, zero "
                 "point %d (want a positive finite scale and a zero point in [-128, 127])", path, (long long)i,
                 (double)as[i], (int)az[i]);
            goto fail;
        }
    }
    /* the layers, in order; the shape of each weight follows from the previous layer's output */
    int64_t s[3] = {c0, c1, c2};
    for (int i = 0; i < (int)L; i++) {
        tt_qlayer *l = &m->layers[i];
        m->n = i + 1;
        char key[32];
        snprintf(key, sizeof key, "layers.%d", i);
        const char *d = tt_safetensors_meta_value(q, key);
        int st, pd, re, po, gr = 1;
        int64_t cout = 0, kh = 0, kw = 0;
        l->in = (tt_qparams){as[i], az[i]};
        l->out = (tt_qparams){as[i + 1], az[i + 1]};
        if (d && (sscanf(d, "conv2d stride=%d padding=%d relu=%d pool=%d%c", &st, &pd, &re, &po, &extra) == 4 ||
                  sscanf(d, "conv2d stride=%d padding=%d relu=%d pool=%d groups=%d%c", &st, &pd, &re, &po, &gr,
                         &extra) == 5)) {
            char wn[48];
            snprintf(wn, sizeof wn, "layers.%d.weight", i);
            int64_t wsh[4];
            if (!weight_shape(q, wn, 4, wsh, 65536) || st < 1 || st > 64 || pd < 0 || pd > 64 || (re | po) & ~1) {
                qerr(err, errlen, "%s: layer %d: conv2d needs a 4-d \"%s\" and stride >= 1, padding >= 0", path, i, wn);
                goto fail;
            }
            cout = wsh[0];
            kh = wsh[2];
            kw = wsh[3];
            if (kh > 64 || kw > 64) {
                qerr(err, errlen, "%s: tensor \"%s\": implausible shape", path, wn);
                goto fail;
            }
            if (gr < 1 || (gr > 1 && (gr != s[0] || cout != s[0] || wsh[1] != 1))) {
                qerr(err, errlen, "%s: layer %d: conv2d groups=%d with %lld input channels and weight \"%s\" [%lld, "
                     "%lld, %lld, %lld]: only groups=1, or depthwise (groups = input channels, weight [C, 1, kh, kw]), "
                     "are supported", path, i, gr, (long long)s[0], wn, (long long)wsh[0], (long long)wsh[1],
                     (long long)kh, (long long)kw);
                goto fail;
            }
            *l = (tt_qlayer){.kind = TT_QOP_CONV, .stride = st, .padding = pd, .relu = re, .pool = po, .groups = gr,
                             .cout = cout, .cin = s[0], .kh = kh, .kw = kw, .in = l->in, .out = l->out};
        } else if (d && sscanf(d, "linear relu=%d%c", &re, &extra) == 1 && (re & ~1) == 0) {
            char wn[48];
            snprintf(wn, sizeof wn, "layers.%d.weight", i);
            int64_t wsh[2];
            if (!weight_shape(q, wn, 2, wsh, 1 << 20)) {
                qerr(err, errlen, "%s: layer %d: linear needs a 2-d \"%s\"", path, i, wn);
                goto fail;
            }
            cout = wsh[0];
            *l = (tt_qlayer){.kind = TT_QOP_LINEAR, .relu = re, .cout = cout, .cin = s[0] * s[1] * s[2], .kh = 1,
                             .kw = 1, .in = l->in, .out = l->out};
        } else if (d && strcmp(d, "maxpool2") == 0) {
            l->kind = TT_QOP_MAXPOOL2;
        } else if (d && strcmp(d, "avgpool") == 0) {
            l->kind = TT_QOP_AVGPOOL;
        } else if (d && strcmp(d, "relu") == 0) {
            l->kind = TT_QOP_RELU;
        } else if (d && strcmp(d, "flatten") == 0) {
            l->kind = TT_QOP_FLATTEN;
        } else {
            qerr(err, errlen, "%s: metadata \"%s\" is %s%s%s: not a known int8 op", path, key, d ? "\"" : "",
                 d ? d : "missing", d ? "\"" : "");
            goto fail;
        }
        if (l->kind == TT_QOP_CONV || l->kind == TT_QOP_LINEAR) {
            if (tt_qlayer_alloc(l) != 0) {
                qerr(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            char nm[48];
            int64_t wsh[4] = {l->cout, tt_qlayer_k(l) / (l->kh * l->kw), l->kh, l->kw}, csh = l->cout;
            snprintf(nm, sizeof nm, "layers.%d.weight", i);
            if (tt_safetensors_read(q, nm, "I8", l->kind == TT_QOP_CONV ? 4 : 2, wsh, l->weight, err, errlen) != 0) {
                goto fail;
            }
            snprintf(nm, sizeof nm, "layers.%d.bias", i);
            if (tt_safetensors_read(q, nm, "I32", 1, &csh, l->bias, err, errlen) != 0) {
                goto fail;
            }
            snprintf(nm, sizeof nm, "layers.%d.weight_scale", i);
            if (tt_safetensors_read(q, nm, "F32", 1, &csh, l->weight_scale, err, errlen) != 0) {
                goto fail;
            }
            for (int64_t c = 0; c < l->cout; c++) {
                if (!(l->weight_scale[c] > 0.0f) || !isfinite(l->weight_scale[c])) {
                    qerr(err, errlen, "%s: tensor \"%s\": entry %lld is %g, want a positive finite scale", path, nm,
                         (long long)c, (double)l->weight_scale[c]);
                    goto fail;
                }
            }
            for (int64_t k = 0; k < l->cout * tt_qlayer_k(l); k++) {
                if (l->weight[k] == -128) {
                    qerr(err, errlen, "%s: tensor \"layers.%d.weight\": value -128 (symmetric weights lie in "
                         "[-127, 127])", path, i);
                    goto fail;
                }
            }
        } else if (as[i + 1] != as[i] || az[i + 1] != az[i]) {
            qerr(err, errlen, "%s: activation_scale/zero_point %d and %d differ around a %s layer (it keeps them)",
                 path, i, i + 1, d);
            goto fail;
        }
        /* shape bookkeeping for the next layer's weight: prepare() recomputes and checks it */
        if (tt_qmodel_prepare(&(tt_qmodel){.n = i + 1, .layers = m->layers, .in_shape = {c0, c1, c2}}, err,
                              errlen) != 0) {
            char inner[512];
            snprintf(inner, sizeof inner, "%s", err);
            qerr(err, errlen, "%s: %s", path, inner);
            goto fail;
        }
        memcpy(s, l->out_shape, sizeof s);
    }
    if (tt_qmodel_prepare(m, err, errlen) != 0) {
        goto fail;
    }
    free(as);
    free(az);
    tt_safetensors_close(q);
    return m;
fail:
    free(as);
    free(az);
    tt_safetensors_close(q);
    tt_qmodel_free(m);
    return NULL;
}
