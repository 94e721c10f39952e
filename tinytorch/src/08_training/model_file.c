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
#include "tinytorch/json.h"

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
    int pk, ps, pp;
    if (tt_pool2d_params(l, &pk, &ps, &pp) == 0) {
        return put(buf, len, pos, "%s(kernel_size=%d, stride=%d, padding=%d)", k, pk, ps, pp);
    }
    if (strcmp(k, "BatchNorm2d") == 0) {
        const tt_batchnorm2d_layer *b = (const tt_batchnorm2d_layer *)l;
        return put(buf, len, pos, "BatchNorm2d(%lld, eps=%g, momentum=%g, affine=%s)", (long long)b->num_features,
                   (double)b->eps, (double)b->momentum, b->weight ? "True" : "False");
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
    tt_kv *meta = malloc((size_t)(8 + (in->n_extra > 0 ? in->n_extra : 0)) * sizeof *meta);
    if (!meta) {
        free(mean);
        free(std);
        free(classes);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int n = 0;
    for (int i = 0; i < in->n_extra; i++) {
        meta[n++] = in->extra[i];
    }
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
    int rc = tt_checkpoint_save(path, model, in->opt, meta, n, err, errlen);
    free(meta);
    free(mean);
    free(std);
    free(classes);
    return rc;
}

/* ---- reading a model file back ----------------------------------------------------------------- */

/* A recursive-descent reader of tt_layer_describe's grammar:
 *   layer := NAME [ '(' arg { ',' arg } ')' ]      arg := layer (Sequential) | NUMBER | KEY '=' VALUE
 * Older files name fused layers "Conv2dReLU" and "Conv2dReLUPool" (a convolution that also applied
 * ReLU, then a 2x2 max pool). They are read as the plain layers Conv2d, ReLU [, MaxPool2d(2)], which
 * the Sequential fuses again when it runs; `legacy` remembers those convolutions (and how many layers
 * each stands for) so that the file's tensor names, counted with one index per fused layer, are
 * matched (legacy_names). */
#define MAX_LEGACY 64
typedef struct parser {
    const char *s, *p;
    char *err;
    size_t errlen;
    int failed;
    const tt_layer *legacy[MAX_LEGACY]; /* convolutions read from a fused name */
    int legacy_extra[MAX_LEGACY];       /* the layers each one absorbed: 1 (ReLU) or 2 (+ MaxPool2d) */
    int n_legacy;
    int pending;                        /* absorbed layers the enclosing Sequential still has to add */
    bool wrapped;                       /* the description was one fused layer, now a Sequential */
} parser;

static void perr(parser *ps, const char *what)
{
    if (!ps->failed) {
        snprintf(ps->err, ps->errlen, "architecture, column %d: %s", (int)(ps->p - ps->s) + 1, what);
        ps->failed = 1;
    }
}

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ') {
        ps->p++;
    }
}

static bool accept(parser *ps, char c)
{
    skip_ws(ps);
    if (*ps->p == c) {
        ps->p++;
        return true;
    }
    return false;
}

static int word(parser *ps, char *out, size_t cap)
{
    skip_ws(ps);
    size_t n = 0;
    while ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z') || (*ps->p >= '0' && *ps->p <= '9') ||
           *ps->p == '_' || *ps->p == '.' || *ps->p == '-' || *ps->p == '+') {
        if (n + 1 < cap) {
            out[n++] = *ps->p;
        }
        ps->p++;
    }
    out[n] = '\0';
    return (int)n;
}

/* Numeric and key=value arguments of a leaf layer: positional values in pos[], keys in kv. */
typedef struct leaf_args { double pos[4]; int npos; char keys[6][24]; char vals[6][24]; int nkv; } leaf_args;

static bool leaf(parser *ps, leaf_args *a)
{
    memset(a, 0, sizeof *a);
    if (!accept(ps, '(')) {
        return true;
    }
    if (accept(ps, ')')) {
        return true;
    }
    do {
        char w[24];
        if (!word(ps, w, sizeof w)) {
            perr(ps, "expected a number or key=value");
            return false;
        }
        if (accept(ps, '=')) {
            if (a->nkv == 6) {
                perr(ps, "too many options");
                return false;
            }
            snprintf(a->keys[a->nkv], sizeof a->keys[0], "%s", w);
            word(ps, a->vals[a->nkv], sizeof a->vals[0]);
            a->nkv++;
        } else {
            char *end;
            double v = strtod(w, &end);
            if (*end || a->npos == 4) {
                perr(ps, "expected a number");
                return false;
            }
            a->pos[a->npos++] = v;
        }
    } while (accept(ps, ','));
    if (!accept(ps, ')')) {
        perr(ps, "expected ')'");
        return false;
    }
    return true;
}

static const char *opt_of(const leaf_args *a, const char *key)
{
    for (int i = 0; i < a->nkv; i++) {
        if (strcmp(a->keys[i], key) == 0) {
            return a->vals[i];
        }
    }
    return NULL;
}

static double num_of(const leaf_args *a, const char *key, double dflt)
{
    const char *v = opt_of(a, key);
    return v ? strtod(v, NULL) : dflt;
}

static bool in_range(double v, double lo, double hi) { return v >= lo && v <= hi && v == (double)(int64_t)v; }

static tt_layer *parse_layer(parser *ps, int depth)
{
    char name[32];
    if (depth > 16) {
        perr(ps, "nested too deeply");
        return NULL;
    }
    if (!word(ps, name, sizeof name)) {
        perr(ps, "expected a layer name");
        return NULL;
    }
    if (strcmp(name, "Sequential") == 0) {
        tt_layer *seq = tt_sequential_new(0, NULL);
        if (!accept(ps, '(')) {
            return seq;
        }
        if (accept(ps, ')')) {
            return seq;
        }
        do {
            tt_layer *child = parse_layer(ps, depth + 1);
            if (!child) {
                tt_layer_free(seq);
                return NULL;
            }
            tt_sequential_append(seq, child);
            if (ps->pending) { /* an older file's fused convolution: the layers it stood for */
                tt_sequential_append(seq, tt_relu_new());
                if (ps->pending == 2) {
                    tt_sequential_append(seq, tt_maxpool2d_new(2, 2, 0));
                }
                ps->pending = 0;
            }
        } while (accept(ps, ','));
        if (!accept(ps, ')')) {
            perr(ps, "expected ')' after the layers of a Sequential");
            tt_layer_free(seq);
            return NULL;
        }
        return seq;
    }
    leaf_args a;
    if (!leaf(ps, &a)) {
        return NULL;
    }
    const double big = 1e9;
    if (strcmp(name, "Linear") == 0) {
        if (a.npos != 2 || !in_range(a.pos[0], 1, big) || !in_range(a.pos[1], 1, big)) {
            perr(ps, "Linear wants (in_features, out_features)");
            return NULL;
        }
        const char *b = opt_of(&a, "bias");
        return tt_linear_new((int64_t)a.pos[0], (int64_t)a.pos[1], !(b && strcmp(b, "False") == 0), TT_INIT_PYTORCH,
                             NULL);
    }
    if (strncmp(name, "Conv2d", 6) == 0) {
        double k = num_of(&a, "kernel_size", -1), s = num_of(&a, "stride", 1), p = num_of(&a, "padding", 0);
        if (a.npos != 2 || !in_range(a.pos[0], 1, big) || !in_range(a.pos[1], 1, big) || !in_range(k, 1, 64) ||
            !in_range(s, 1, 64) || !in_range(p, 0, 64)) {
            perr(ps, "Conv2d wants (in, out, kernel_size=K, stride=S, padding=P)");
            return NULL;
        }
        const int extra = strcmp(name, "Conv2dReLUPool") == 0 ? 2
                          : strcmp(name, "Conv2dReLU") == 0   ? 1
                          : strcmp(name, "Conv2d") == 0       ? 0
                                                              : -1;
        if (extra < 0) {
            perr(ps, "unknown convolution kind (Conv2d, or Conv2dReLU / Conv2dReLUPool from older files)");
            return NULL;
        }
        if (extra > 0 && ps->n_legacy == MAX_LEGACY) {
            perr(ps, "more than 64 fused convolutions");
            return NULL;
        }
        tt_layer *c = tt_conv2d_new((int64_t)a.pos[0], (int64_t)a.pos[1], (int)k, (int)s, (int)p, 1, 1, true, NULL);
        if (extra > 0) {
            ps->legacy[ps->n_legacy] = c;
            ps->legacy_extra[ps->n_legacy++] = extra;
            ps->pending = extra;
        }
        return c;
    }
    if (strcmp(name, "MaxPool2d") == 0 || strcmp(name, "AvgPool2d") == 0) {
        double k = num_of(&a, "kernel_size", 2), s = num_of(&a, "stride", 0), p = num_of(&a, "padding", 0);
        if (!in_range(k, 1, 64) || !in_range(s, 0, 64) || !in_range(p, 0, k / 2)) {
            perr(ps, "pooling wants kernel_size=K, stride=S, padding=P with P <= K/2");
            return NULL;
        }
        return name[0] == 'M' ? tt_maxpool2d_new((int)k, (int)s, (int)p) : tt_avgpool2d_new((int)k, (int)s, (int)p);
    }
    if (strcmp(name, "BatchNorm2d") == 0) {
        const char *af = opt_of(&a, "affine");
        if (a.npos != 1 || !in_range(a.pos[0], 1, big)) {
            perr(ps, "BatchNorm2d wants (num_features)");
            return NULL;
        }
        return tt_batchnorm2d_new((int64_t)a.pos[0], (float)num_of(&a, "momentum", 0.1),
                                  (float)num_of(&a, "eps", 1e-5), !(af && strcmp(af, "False") == 0));
    }
    static const struct { const char *name; tt_layer *(*make)(void); } plain[] = {
        {"ReLU", tt_relu_new}, {"Sigmoid", tt_sigmoid_new}, {"Tanh", tt_tanh_new}, {"GELU", tt_gelu_new},
        {"Flatten", tt_flatten_new},
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (strcmp(name, plain[i].name) == 0) {
            return plain[i].make();
        }
    }
    if (strcmp(name, "Dropout") == 0) {
        return tt_dropout_new(0.0f, NULL); /* identity in evaluation */
    }
    perr(ps, "unknown layer kind");
    return NULL;
}

static tt_layer *parse_model(parser *ps, const char *desc, char *err, size_t errlen)
{
    memset(ps, 0, sizeof *ps);
    ps->s = ps->p = desc;
    ps->err = err;
    ps->errlen = errlen;
    tt_layer *l = parse_layer(ps, 0);
    skip_ws(ps);
    if (l && *ps->p) {
        perr(ps, "unexpected text after the model");
        tt_layer_free(l);
        return NULL;
    }
    if (l && ps->pending) { /* a lone fused convolution: the plain layers it stood for, in a Sequential */
        tt_layer *seq = tt_sequential_new(1, &l);
        tt_sequential_append(seq, tt_relu_new());
        if (ps->pending == 2) {
            tt_sequential_append(seq, tt_maxpool2d_new(2, 2, 0));
        }
        l = seq;
        ps->wrapped = true;
    }
    return l;
}

tt_layer *tt_layer_from_description(const char *desc, char *err, size_t errlen)
{
    parser ps;
    return parse_model(&ps, desc, err, errlen);
}

static int legacy_extra(const parser *ps, const tt_layer *l)
{
    for (int i = 0; i < ps->n_legacy; i++) {
        if (ps->legacy[i] == l) {
            return ps->legacy_extra[i];
        }
    }
    return 0;
}

/* The tensors of l (parameters and buffers) under the names an older file gave them: inside each
 * Sequential a convolution read from a fused name and the layers it absorbed share one index. */
static void legacy_names(const parser *ps, tt_layer *l, const char *prefix, tt_params *out)
{
    if (!tt_is_sequential(l)) {
        tt_layer_collect(l, out, prefix);
        tt_layer_collect_buffers(l, out, prefix);
        return;
    }
    if (ps->wrapped && prefix[0] == '\0') { /* a lone fused layer: its tensors had no index */
        legacy_names(ps, tt_sequential_at(l, 0), prefix, out);
        return;
    }
    char name[256];
    for (int i = 0, old = 0; i < tt_sequential_len(l); old++) {
        tt_layer *c = tt_sequential_at(l, i);
        snprintf(name, sizeof name, "%s%d.", prefix, old);
        legacy_names(ps, c, name, out);
        i += 1 + legacy_extra(ps, c);
    }
}

/* Reads metadata key into a fresh JSON tree; NULL when absent (*absent set) or invalid (error set). */
static tt_json *meta_json(const char *path, const char *key, bool *absent, char *err, size_t errlen)
{
    const size_t cap = (size_t)1 << 22; /* 4 MiB: 300,000 per-feature statistics */
    char *text = malloc(cap);
    *absent = false;
    if (!text) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    int rc = tt_safetensors_meta(path, key, text, cap, err, errlen);
    tt_json *j = NULL;
    if (rc == 1) {
        *absent = true;
    } else if (rc == 0) {
        char jerr[256];
        j = tt_json_parse(text, strlen(text), jerr, sizeof jerr);
        if (!j) {
            snprintf(err, errlen, "%s: __metadata__ \"%s\": %s", path, key, jerr);
        }
    }
    free(text);
    return j;
}

static int float_array(const char *path, const char *key, const tt_json *j, float **out, int64_t *n, char *err,
                       size_t errlen)
{
    if (j->type != TT_JSON_ARRAY || j->count < 1) {
        snprintf(err, errlen, "%s: __metadata__ \"%s\": want a non-empty array of numbers", path, key);
        return -1;
    }
    *out = malloc((size_t)j->count * sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int i = 0;
    for (const tt_json *e = j->child; e; e = e->next, i++) {
        if (e->type != TT_JSON_NUMBER) {
            snprintf(err, errlen, "%s: __metadata__ \"%s\": element %d is not a number", path, key, i);
            return -1;
        }
        (*out)[i] = (float)e->number;
    }
    *n = j->count;
    return 0;
}

int tt_model_load(const char *path, tt_model_file *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    char arch[4096];
    int rc = tt_safetensors_meta(path, "architecture", arch, sizeof arch, err, errlen);
    if (rc == 1) {
        snprintf(err, errlen, "%s: no \"architecture\" in __metadata__ (not saved with tt_model_save?)", path);
    }
    if (rc != 0) {
        return -1;
    }
    char perrbuf[256];
    parser ps;
    m->model = parse_model(&ps, arch, perrbuf, sizeof perrbuf);
    if (!m->model) {
        snprintf(err, errlen, "%s: __metadata__ %s", path, perrbuf);
        return -1;
    }
    int lrc;
    if (ps.n_legacy > 0) { /* an older file with fused layer names */
        tt_params all;
        tt_params_init(&all);
        legacy_names(&ps, m->model, "", &all);
        lrc = tt_safetensors_load(path, &all, false, err, errlen);
        tt_params_free(&all);
    } else {
        lrc = tt_checkpoint_load(path, m->model, NULL, err, errlen);
    }
    if (lrc != 0) {
        tt_model_file_free(m);
        return -1;
    }
    bool absent;
    tt_json *j = meta_json(path, "input_shape", &absent, err, errlen);
    if (!j && !absent) {
        goto fail;
    }
    if (j) {
        bool ok = j->type == TT_JSON_ARRAY && j->count >= 1 && j->count < TT_MAX_DIMS;
        int d = 0;
        for (const tt_json *e = ok ? j->child : NULL; e; e = e->next) {
            ok = ok && e->type == TT_JSON_NUMBER && in_range(e->number, 1, 1e9);
            if (ok) {
                m->input_shape[d++] = (int64_t)e->number;
            }
        }
        m->input_ndim = d;
        tt_json_free(j);
        if (!ok) {
            snprintf(err, errlen, "%s: __metadata__ \"input_shape\": want 1 to %d sizes, each >= 1", path,
                     TT_MAX_DIMS - 1);
            goto fail;
        }
    }
    tt_json *jm = meta_json(path, "input_mean", &absent, err, errlen);
    if (jm) {
        bool absent2;
        tt_json *js = meta_json(path, "input_std", &absent2, err, errlen);
        int64_t nm = 0, ns = 0;
        int bad = !js || float_array(path, "input_mean", jm, &m->input_mean, &nm, err, errlen) ||
                  float_array(path, "input_std", js, &m->input_std, &ns, err, errlen);
        if (!bad && nm != ns) {
            snprintf(err, errlen, "%s: __metadata__ input_mean has %lld values, input_std %lld", path,
                     (long long)nm, (long long)ns);
            bad = 1;
        }
        for (int64_t i = 0; !bad && i < ns; i++) {
            if (!(m->input_std[i] > 0.0f)) {
                snprintf(err, errlen, "%s: __metadata__ input_std[%lld] = %g is not positive", path, (long long)i,
                         (double)m->input_std[i]);
                bad = 1;
            }
        }
        if (absent2) {
            snprintf(err, errlen, "%s: __metadata__ has input_mean but no input_std", path);
        }
        m->n_norm = nm;
        tt_json_free(jm);
        tt_json_free(js);
        if (bad) {
            goto fail;
        }
    } else if (!absent) {
        goto fail;
    }
    tt_json *jc = meta_json(path, "classes", &absent, err, errlen);
    if (jc) {
        bool ok = jc->type == TT_JSON_ARRAY && jc->count >= 1;
        m->class_names = ok ? calloc((size_t)jc->count, sizeof *m->class_names) : NULL;
        int i = 0;
        for (const tt_json *e = ok ? jc->child : NULL; e && m->class_names; e = e->next, i++) {
            ok = ok && e->type == TT_JSON_STRING;
            m->class_names[i] = ok ? malloc(e->len + 1) : NULL;
            if (m->class_names[i]) {
                memcpy(m->class_names[i], e->string, e->len + 1);
            }
        }
        m->num_classes = ok && m->class_names ? jc->count : 0;
        if (!ok && m->class_names) {
            m->num_classes = i;
        }
        tt_json_free(jc);
        if (!ok || !m->class_names) {
            snprintf(err, errlen, "%s: __metadata__ \"classes\": want a non-empty array of strings", path);
            goto fail;
        }
    } else if (!absent) {
        goto fail;
    }
    snprintf(m->architecture, sizeof m->architecture, "%s", arch);
    return 0;
fail:
    tt_model_file_free(m);
    return -1;
}

void tt_model_normalize(const tt_model_file *m, float *x, int64_t n_samples, int64_t sample_numel)
{
    if (m->n_norm == 0) {
        return;
    }
    for (int64_t i = 0; i < n_samples * sample_numel; i++) {
        int64_t f = m->n_norm == 1 ? 0 : i % sample_numel;
        x[i] = (x[i] - m->input_mean[f]) / m->input_std[f];
    }
}

void tt_model_file_free(tt_model_file *m)
{
    tt_layer_free(m->model);
    free(m->input_mean);
    free(m->input_std);
    for (int i = 0; m->class_names && i < m->num_classes; i++) {
        free(m->class_names[i]);
    }
    free(m->class_names);
    memset(m, 0, sizeof *m);
}
