/* quantize.c - post-training quantization: a trained float Sequential + calibration images -> tt_qmodel
 * (module 15). See qmodel.c for how the ops are grouped and quant.h for the scheme.
 *
 * Weights: symmetric per output channel, scale = max|w[c]| / 127 (1 for an all-zero channel, whose
 * weights are all 0 anyway). Bias: round(b / (input_scale * weight_scale[c])) as int32. Activations:
 * the range of each op's output over the calibration images, by the chosen method.
 * A BatchNorm2d (eval mode) right after a Conv2d is folded into it before the weights are quantized:
 * with s[c] = gamma[c] / sqrt(running_var[c] + eps), w'[c] = w[c] * s[c] and
 * b'[c] = (b[c] - running_mean[c]) * s[c] + beta[c], so the int8 op computes conv + BN in one.
 */
#include "quant_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"

int tt_qlayer_alloc(tt_qlayer *l)
{
    const size_t c = (size_t)l->cout, k = (size_t)tt_qlayer_k(l);
    l->weight = calloc(c * k + 1, 1);
    l->bias = calloc(c, sizeof(int32_t));
    l->weight_scale = calloc(c, sizeof(float));
    l->multiplier = calloc(c, sizeof(int32_t));
    l->shift = calloc(c, sizeof(int32_t));
    return l->weight && l->bias && l->weight_scale && l->multiplier && l->shift ? 0 : -1;
}

/* A growable list of observed float values (one per quantization point). */
typedef struct obs { float *v; int64_t n, cap; } obs;

static int obs_add(obs *o, const float *v, int64_t n)
{
    if (o->n + n > o->cap) {
        int64_t cap = o->cap ? o->cap : 1 << 16;
        while (cap < o->n + n) {
            cap *= 2;
        }
        float *p = realloc(o->v, (size_t)cap * sizeof(float));
        if (!p) {
            return -1;
        }
        o->v = p;
        o->cap = cap;
    }
    memcpy(o->v + o->n, v, (size_t)n * sizeof(float));
    o->n += n;
    return 0;
}

/* True when y [N, C, 1, 1] is the mean of each channel of x [N, C, H, W] (to float rounding). */
static bool is_global_avgpool(const tt_tensor *x, const tt_tensor *y)
{
    if (x->ndim != 4 || y->ndim != 4 || y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1] ||
        y->shape[2] != 1 || y->shape[3] != 1) {
        return false;
    }
    const int64_t hw = x->shape[2] * x->shape[3];
    for (int64_t nc = 0; nc < x->shape[0] * x->shape[1]; nc++) {
        double sum = 0.0, mag = 0.0;
        for (int64_t k = 0; k < hw; k++) {
            sum += x->data[nc * hw + k];
            mag += fabs((double)x->data[nc * hw + k]);
        }
        if (fabs(sum / (double)hw - (double)y->data[nc]) > 1e-5 * (mag / (double)hw) + 1e-6) {
            return false;
        }
    }
    return true;
}

/* True when y [N, C, H/2, W/2] is the 2x2 / stride-2 max pool of x [N, C, H, W]. */
static bool is_maxpool2(const tt_tensor *x, const tt_tensor *y)
{
    if (x->ndim != 4 || y->ndim != 4 || y->shape[2] != x->shape[2] / 2 || y->shape[3] != x->shape[3] / 2 ||
        y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1]) {
        return false;
    }
    const int64_t H = x->shape[2], W = x->shape[3], hq = H / 2, wq = W / 2;
    for (int64_t nc = 0; nc < x->shape[0] * x->shape[1]; nc++) {
        for (int64_t i = 0; i < hq; i++) {
            for (int64_t j = 0; j < wq; j++) {
                const float *r = x->data + (nc * H + 2 * i) * W + 2 * j;
                float m = fmaxf(fmaxf(r[0], r[1]), fmaxf(r[W], r[W + 1]));
                if (m != y->data[(nc * hq + i) * wq + j]) {
                    return false;
                }
            }
        }
    }
    return true;
}

typedef struct span { int first, last; int pool_at, avg_at; } span; /* float layers of one op */

static bool kind_is(tt_layer *l, const char *k) { return strcmp(l->ops->kind, k) == 0; }

/* Groups the Sequential's layers into ops and fills kind/geometry/float-derived weights. */
static int build_ops(tt_layer *seq, tt_qmodel *m, span *sp, char *err, size_t errlen)
{
    const int nl = tt_sequential_len(seq);
    for (int i = 0; i < nl;) {
        tt_layer *L = tt_sequential_at(seq, i);
        tt_qlayer *q = &m->layers[m->n];
        span *s = &sp[m->n];
        memset(q, 0, sizeof *q);
        s->first = i;
        s->pool_at = -1;
        s->avg_at = -1;
        const tt_tensor *w = NULL, *b = NULL;
        const tt_batchnorm2d_layer *bn = NULL;
        if (kind_is(L, "Conv2d")) {
            tt_conv2d_layer *c = (tt_conv2d_layer *)L;
            const tt_conv2d_geom *g = &c->geom;
            const bool dw = g->groups > 1 && g->groups == c->in_channels && c->out_channels == c->in_channels;
            if ((g->groups != 1 && !dw) || g->dilation_h != 1 || g->dilation_w != 1 || g->stride_h != g->stride_w ||
                g->pad_h != g->pad_w) {
                snprintf(err, errlen, "layer %d (%s): groups %d, stride %dx%d, padding %dx%d, dilation %dx%d: only "
                         "undilated convolutions with square stride and padding, ungrouped or depthwise (groups == "
                         "in_channels == out_channels), have an int8 version", i, L->ops->kind, g->groups,
                         g->stride_h, g->stride_w, g->pad_h, g->pad_w, g->dilation_h, g->dilation_w);
                return -1;
            }
            q->kind = TT_QOP_CONV;
            q->stride = g->stride_h;
            q->padding = g->pad_h;
            q->groups = g->groups;
            q->cout = c->weight->shape[0];
            q->cin = c->weight->shape[1] * g->groups;
            q->kh = c->weight->shape[2];
            q->kw = c->weight->shape[3];
            w = c->weight;
            b = c->bias;
            i++;
            if (!q->relu && i < nl && kind_is(tt_sequential_at(seq, i), "BatchNorm2d")) {
                bn = (const tt_batchnorm2d_layer *)tt_sequential_at(seq, i);
                if (bn->num_features != q->cout) {
                    snprintf(err, errlen, "layer %d (BatchNorm2d): %lld features after a convolution with %lld output "
                             "channels", i, (long long)bn->num_features, (long long)q->cout);
                    return -1;
                }
                i++;
            }
            for (int k = 0; k < 2 && i < nl; k++) { /* ReLU and MaxPool2d(2) that follow, in either order */
                tt_layer *nx = tt_sequential_at(seq, i);
                if (kind_is(nx, "ReLU") && !q->relu) {
                    q->relu = true;
                    i++;
                } else if (kind_is(nx, "MaxPool2d") && !q->pool) {
                    q->pool = true;
                    s->pool_at = i;
                    i++;
                }
            }
        } else if (kind_is(L, "Linear")) {
            tt_linear_layer *f = (tt_linear_layer *)L;
            q->kind = TT_QOP_LINEAR;
            q->cout = f->out_features;
            q->cin = f->in_features;
            q->kh = q->kw = 1;
            w = f->weight;
            b = f->bias;
            i++;
            if (i < nl && kind_is(tt_sequential_at(seq, i), "ReLU")) {
                q->relu = true;
                i++;
            }
        } else if (kind_is(L, "ReLU")) {
            q->kind = TT_QOP_RELU;
            i++;
        } else if (kind_is(L, "MaxPool2d")) {
            q->kind = TT_QOP_MAXPOOL2;
            s->pool_at = i;
            i++;
        } else if (kind_is(L, "AvgPool2d") || kind_is(L, "GlobalAvgPool2d")) {
            q->kind = TT_QOP_AVGPOOL; /* global: checked on the first calibration batch */
            s->avg_at = i;
            i++;
        } else if (kind_is(L, "Flatten")) {
            q->kind = TT_QOP_FLATTEN;
            i++;
        } else {
            snprintf(err, errlen, "layer %d (%s) has no int8 version (Conv2d [+ BatchNorm2d], Linear, ReLU, "
                     "MaxPool2d(2), global AvgPool2d, Flatten do)", i, L->ops->kind);
            return -1;
        }
        s->last = i - 1;
        if (w) {
            if (tt_qlayer_alloc(q) != 0) {
                snprintf(err, errlen, "out of memory");
                m->n++;
                return -1;
            }
            const int64_t K = tt_qlayer_k(q);
            /* the float weights, BatchNorm folded in when there is one */
            float *wf = malloc((size_t)(q->cout * K) * sizeof(float));
            if (!wf) {
                snprintf(err, errlen, "out of memory");
                m->n++;
                return -1;
            }
            memcpy(wf, w->data, (size_t)(q->cout * K) * sizeof(float));
            for (int64_t c = 0; c < q->cout; c++) {
                float bv = b ? b->data[c] : 0.0f;
                if (bn) {
                    const float sc = (bn->weight ? bn->weight->data[c] : 1.0f) /
                                     sqrtf(bn->running_var->data[c] + bn->eps);
                    for (int64_t k = 0; k < K; k++) {
                        wf[c * K + k] *= sc;
                    }
                    bv = (bv - bn->running_mean->data[c]) * sc + (bn->bias ? bn->bias->data[c] : 0.0f);
                }
                /* the float bias is kept in `multiplier` until the input scale is known */
                memcpy(&q->multiplier[c], &bv, sizeof bv);
            }
            /* TODO: per output channel c (row c of wf, K values): weight_scale[c] = max |w| / 127 (1 when the
             * row is all zeros), weight = round(w / scale) clamped to [-127, 127] - symmetric, zero point 0 */
            /* BEGIN SOLUTION */
            for (int64_t c = 0; c < q->cout; c++) {
                float amax = 0.0f;
                for (int64_t k = 0; k < K; k++) {
                    amax = fmaxf(amax, fabsf(wf[c * K + k]));
                }
                q->weight_scale[c] = amax > 0.0f ? amax / 127.0f : 1.0f;
                for (int64_t k = 0; k < K; k++) {
                    float v = roundf(wf[c * K + k] / q->weight_scale[c]);
                    q->weight[c * K + k] = (int8_t)(v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v);
                }
            }
            /* END SOLUTION */
            free(wf);
        }
        m->n++;
    }
    if (m->n == 0) {
        snprintf(err, errlen, "the model has no layers");
        return -1;
    }
    return 0;
}

tt_qmodel *tt_quantize_model(tt_layer *model, int in_ndim, const int64_t *in_shape, const tt_dataset *calib,
                             int64_t n_calib, const tt_quant_opts *opts, char *err, size_t errlen)
{
    tt_quant_opts o = opts ? *opts : (tt_quant_opts){TT_CALIB_MINMAX, 99.99};
    if (errlen > 0) {
        err[0] = '\0';
    }
    if (!model || strcmp(model->ops->kind, "Sequential") != 0) {
        snprintf(err, errlen, "quantize: the model must be a Sequential");
        return NULL;
    }
    if (in_ndim < 1 || in_ndim > 3) {
        snprintf(err, errlen, "quantize: input shape must have 1 to 3 dims, not %d", in_ndim);
        return NULL;
    }
    int64_t shp[3] = {1, 1, 1};
    for (int d = 0; d < in_ndim; d++) {
        shp[3 - in_ndim + d] = in_shape[d];
    }
    if (in_ndim == 1) {
        shp[0] = in_shape[0];
        shp[2] = 1;
    }
    if (!calib || calib->sample_numel != shp[0] * shp[1] * shp[2]) {
        snprintf(err, errlen, "quantize: calibration samples have %lld values, the model's input %lld",
                 calib ? (long long)calib->sample_numel : 0LL, (long long)(shp[0] * shp[1] * shp[2]));
        return NULL;
    }
    if (n_calib < 1 || n_calib > calib->len) {
        snprintf(err, errlen, "quantize: --calib %lld: want 1 to %lld (the calibration set's size)",
                 (long long)n_calib, (long long)calib->len);
        return NULL;
    }
    const int nl = tt_sequential_len(model);
    tt_qmodel *m = calloc(1, sizeof *m);
    span *sp = calloc((size_t)nl + 1, sizeof *sp);
    obs *ob = calloc((size_t)nl + 2, sizeof *ob);
    if (!m || !sp || !ob || !(m->layers = calloc((size_t)nl + 1, sizeof *m->layers))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    memcpy(m->in_shape, shp, sizeof shp);
    if (build_ops(model, m, sp, err, errlen) != 0) {
        goto fail;
    }
    /* calibration: run the float model, record the input and every op's output */
    const bool was_training = model->training;
    tt_layer_train(model, false);
    const int64_t B = 100, numel = calib->sample_numel;
    float *xb = malloc((size_t)(B * numel) * sizeof(float));
    int32_t lab;
    bool ok = xb != NULL, first = true;
    int64_t xshape[4] = {0, 0, 0, 0};
    int xnd = 1 + calib->sample_ndim;
    for (int d = 0; d < calib->sample_ndim; d++) {
        xshape[1 + d] = calib->sample_shape[d];
    }
    tt_no_grad_begin();
    for (int64_t i0 = 0; ok && i0 < n_calib; i0 += B) {
        const int64_t b = n_calib - i0 < B ? n_calib - i0 : B;
        for (int64_t i = 0; i < b; i++) {
            tt_dataset_get(calib, (i0 + i) * calib->len / n_calib, xb + i * numel, &lab);
        }
        tt_arena_mark mk = tt_arena_get_mark();
        xshape[0] = b;
        tt_tensor *cur = tt_from_data(xnd, xshape, xb);
        ok = obs_add(&ob[0], cur->data, cur->numel) == 0;
        for (int q = 0; ok && q < m->n; q++) {
            for (int li = sp[q].first; li <= sp[q].last; li++) {
                tt_tensor *prev = cur;
                cur = tt_layer_forward(tt_sequential_at(model, li), cur);
                if (li == sp[q].pool_at && first && !is_maxpool2(prev, cur)) {
                    snprintf(err, errlen, "layer %d (MaxPool2d): only the 2x2 / stride-2 max pool has an int8 version",
                             li);
                    ok = false;
                    break;
                }
                if (li == sp[q].avg_at && first && !is_global_avgpool(prev, cur)) {
                    snprintf(err, errlen, "layer %d (%s): only global average pooling (the window is the whole "
                             "input, output 1x1) has an int8 version", li, tt_sequential_at(model, li)->ops->kind);
                    ok = false;
                    break;
                }
            }
            if (ok && (m->layers[q].kind == TT_QOP_CONV || m->layers[q].kind == TT_QOP_LINEAR)) {
                ok = obs_add(&ob[q + 1], cur->data, cur->numel) == 0;
                if (!ok) {
                    snprintf(err, errlen, "out of memory");
                }
            }
        }
        first = false;
        tt_arena_release(mk);
    }
    tt_no_grad_end();
    tt_layer_train(model, was_training);
    free(xb);
    if (!ok) {
        if (!err[0]) {
            snprintf(err, errlen, "out of memory");
        }
        goto fail;
    }
    /* ranges, bias, multipliers */
    float lo, hi;
    tt_calib_range(ob[0].v, ob[0].n, o.calib, o.percentile, &lo, &hi);
    tt_qparams cur_q = tt_qparams_asym(lo, hi);
    for (int q = 0; q < m->n; q++) {
        tt_qlayer *l = &m->layers[q];
        l->in = cur_q;
        l->out = cur_q;
        if (l->kind == TT_QOP_CONV || l->kind == TT_QOP_LINEAR) {
            tt_calib_range(ob[q + 1].v, ob[q + 1].n, o.calib, o.percentile, &lo, &hi);
            l->out = tt_qparams_asym(lo, hi);
            /* TODO: per channel c, the float bias (kept in multiplier[c] until now) becomes the int32
             * bias = round(bias / (input scale x weight_scale[c])) (in double), clamped to +-2147483647 */
            /* BEGIN SOLUTION */
            for (int64_t c = 0; c < l->cout; c++) {
                float bv;
                memcpy(&bv, &l->multiplier[c], sizeof bv);
                double v = round((double)bv / ((double)l->in.scale * l->weight_scale[c]));
                l->bias[c] = (int32_t)(v < -2147483647.0 ? -2147483647.0 : v > 2147483647.0 ? 2147483647.0 : v);
            }
            /* END SOLUTION */
        }
        cur_q = l->out;
    }
    if (tt_qmodel_prepare(m, err, errlen) != 0) {
        goto fail;
    }
    for (int i = 0; i <= nl + 1; i++) {
        free(ob[i].v);
    }
    free(ob);
    free(sp);
    return m;
fail:
    if (ob) {
        for (int i = 0; i <= nl + 1; i++) {
            free(ob[i].v);
        }
    }
    free(ob);
    free(sp);
    tt_qmodel_free(m);
    return NULL;
}
