/* model_file.c - self-describing model files: a safetensors checkpoint of the model whose
 * "__metadata__" carries what another program needs to use it: the architecture (a one-line
 * description, "Sequential(Flatten, Linear(64, 32), ReLU, Linear(32, 10))"), the input shape of one
 * sample, the input normalisation (input_mean / input_std: one value, or one per feature) and the
 * class names. Every value is a JSON text in a metadata string (safetensors allows strings only).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"

/* Appends printf output to buf at *pos; returns false when it no longer fits. */
static bool put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    if (*pos >= len) {
        return false;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len - *pos) {
        *pos = len;
        return false;
    }
    *pos += (size_t)n;
    return true;
}

static bool describe(tt_layer *l, char *buf, size_t len, size_t *pos)
{
    const char *k = l->ops->kind;
    if (strcmp(k, "Sequential") == 0) {
        bool ok = put(buf, len, pos, "Sequential(");
        for (int i = 0; ok && i < tt_sequential_len(l); i++) {
            ok = (i == 0 || put(buf, len, pos, ", ")) && describe(tt_sequential_at(l, i), buf, len, pos);
        }
        return ok && put(buf, len, pos, ")");
    }
    if (strcmp(k, "Linear") == 0) {
        const tt_linear_layer *lin = (const tt_linear_layer *)l;
        return put(buf, len, pos, "Linear(%lld, %lld%s)", (long long)lin->in_features,
                   (long long)lin->out_features, lin->bias ? "" : ", bias=False");
    }
    if (strncmp(k, "Conv2d", 6) == 0) {
        const tt_conv2d_layer *c = (const tt_conv2d_layer *)l;
        return put(buf, len, pos, "%s(%lld, %lld, kernel_size=%lld, stride=%d, padding=%d)", k,
                   (long long)c->in_channels, (long long)c->out_channels, (long long)c->kh, c->geom.stride_h,
                   c->geom.pad_h);
    }
    return put(buf, len, pos, "%s", k);
}

int tt_layer_describe(tt_layer *l, char *buf, size_t len)
{
    size_t pos = 0;
    if (len) {
        buf[0] = '\0';
    }
    return describe(l, buf, len, &pos) ? 0 : -1;
}

static char *float_list(const float *v, int64_t n)
{
    size_t cap = 4 + (size_t)n * 18, pos = 0;
    char *s = malloc(cap);
    if (!s) {
        return NULL;
    }
    put(s, cap, &pos, "[");
    for (int64_t i = 0; i < n; i++) {
        put(s, cap, &pos, "%s%.9g", i ? "," : "", (double)v[i]);
    }
    put(s, cap, &pos, "]");
    return s;
}

int tt_model_save(const char *path, tt_layer *model, const tt_model_info *info, char *err, size_t errlen)
{
    static const tt_model_info none = {0};
    const tt_model_info *in = info ? info : &none;
    char arch[2048], shape[256] = "[", *mean = NULL, *std = NULL, *classes = NULL;
    if (tt_layer_describe(model, arch, sizeof arch) != 0) {
        snprintf(err, errlen, "%s: the model's description is longer than %zu bytes", path, sizeof arch);
        return -1;
    }
    size_t pos = 1;
    int ndim = in->input_ndim, num_classes = in->num_classes;
    const int64_t *dims = in->input_shape;
    if (in->data && ndim == 0) {
        ndim = in->data->sample_ndim;
        dims = in->data->sample_shape;
    }
    if (in->data && num_classes == 0) {
        num_classes = in->data->num_classes;
    }
    for (int d = 0; d < ndim; d++) {
        put(shape, sizeof shape, &pos, "%s%lld", d ? "," : "", (long long)dims[d]);
    }
    put(shape, sizeof shape, &pos, "]");
    if (in->norm) {
        mean = float_list(in->norm->mean, in->norm->n);
        std = float_list(in->norm->std, in->norm->n);
    } else if (in->input_std > 0.0f) {
        mean = float_list(&in->input_mean, 1);
        std = float_list(&in->input_std, 1);
    }
    if (num_classes > 0) {
        size_t cap = 4 + (size_t)num_classes * 16, cpos = 0;
        for (int c = 0; in->class_names && c < num_classes; c++) {
            cap += 2 * strlen(in->class_names[c]) + 4;
        }
        classes = malloc(cap);
        if (classes) {
            put(classes, cap, &cpos, "[");
            for (int c = 0; c < num_classes; c++) {
                put(classes, cap, &cpos, "%s\"", c ? "," : "");
                if (in->class_names) {
                    for (const char *p = in->class_names[c]; *p; p++) { /* JSON string escapes */
                        if (*p == '"' || *p == '\\') {
                            put(classes, cap, &cpos, "\\%c", *p);
                        } else if ((unsigned char)*p < 0x20) {
                            put(classes, cap, &cpos, "\\u%04x", (unsigned)*p);
                        } else {
                            put(classes, cap, &cpos, "%c", *p);
                        }
                    }
                } else {
                    put(classes, cap, &cpos, "%d", c);
                }
                put(classes, cap, &cpos, "\"");
            }
            put(classes, cap, &cpos, "]");
        }
    }
    if ((in->norm || in->input_std > 0.0f) && (!mean || !std)) {
        free(mean);
        free(std);
        free(classes);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    tt_kv meta[8];
    int n = 0;
    meta[n++] = (tt_kv){"format", "tinytorch-model"};
    meta[n++] = (tt_kv){"architecture", arch};
    if (ndim > 0) {
        meta[n++] = (tt_kv){"input_shape", shape};
    }
    if (mean) {
        meta[n++] = (tt_kv){"input_mean", mean};
        meta[n++] = (tt_kv){"input_std", std};
    }
    if (classes) {
        meta[n++] = (tt_kv){"classes", classes};
    }
    int rc = tt_checkpoint_save(path, model, NULL, meta, n, err, errlen);
    free(mean);
    free(std);
    free(classes);
    return rc;
}
