/* prune.c - pruning (module 16): magnitude (per layer / global), 2:4, and structured channel pruning
 * that replaces Conv2d/Linear tensors with physically smaller ones.
 *
 * Which tensors: the `weight` of every Conv2d* and Linear child of the model (a Sequential, or one
 * layer). Masks remember the zeros so fine-tuning can keep them (tt_masked_loss).
 */
#include "tinytorch/compress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/conv.h"

static bool is_conv(const tt_layer *l) { return strncmp(l->ops->kind, "Conv2d", 6) == 0; }
static bool is_linear(const tt_layer *l) { return strcmp(l->ops->kind, "Linear") == 0; }

/* The prunable weights of model, in order. Returns their count (at most cap). */
static int collect_weights(tt_layer *model, tt_tensor **out, int cap)
{
    int n = 0;
    const bool seq = strcmp(model->ops->kind, "Sequential") == 0;
    const int len = seq ? tt_sequential_len(model) : 1;
    for (int i = 0; i < len && n < cap; i++) {
        tt_layer *l = seq ? tt_sequential_at(model, i) : model;
        if (is_conv(l)) {
            out[n++] = ((tt_conv2d_layer *)l)->weight;
        } else if (is_linear(l)) {
            out[n++] = ((tt_linear_layer *)l)->weight;
        }
    }
    return n;
}

void tt_masks_free(tt_masks *m)
{
    if (!m) {
        return;
    }
    for (int i = 0; i < m->n; i++) {
        free(m->keep[i]);
    }
    free(m->keep);
    free(m->w);
    memset(m, 0, sizeof *m);
}

void tt_masks_apply(const tt_masks *m)
{
    for (int i = 0; m && i < m->n; i++) {
        for (int64_t j = 0; j < m->w[i]->numel; j++) {
            if (!m->keep[i][j]) {
                m->w[i]->data[j] = 0.0f;
            }
        }
    }
}

/* Builds masks from the zeros now in the weights. */
static int masks_from_zeros(tt_tensor **w, int n, tt_masks *m)
{
    m->n = n;
    m->w = calloc((size_t)n + 1, sizeof *m->w);
    m->keep = calloc((size_t)n + 1, sizeof *m->keep);
    if (!m->w || !m->keep) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        m->w[i] = w[i];
        m->keep[i] = malloc((size_t)w[i]->numel + 1);
        if (!m->keep[i]) {
            return -1;
        }
        for (int64_t j = 0; j < w[i]->numel; j++) {
            m->keep[i][j] = w[i]->data[j] != 0.0f;
        }
    }
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Zeroes the k smallest-magnitude values among v[0..n) (ties broken by position). */
static int zero_smallest(float *const *v, const int64_t *len, int nv, int64_t k)
{
    /* TODO: over all nv arrays together, set to 0 the k values of smallest magnitude: sort a copy of the
     * |values| (cmp_float), take the k-th smallest as the threshold, zero everything below it and, in
     * order, as many of the values equal to it as are still needed. -1 when out of memory. */
    /* BEGIN SOLUTION */
    int64_t total = 0;
    for (int i = 0; i < nv; i++) {
        total += len[i];
    }
    if (k <= 0 || total == 0) {
        return 0;
    }
    float *a = malloc((size_t)total * sizeof *a);
    if (!a) {
        return -1;
    }
    int64_t t = 0;
    for (int i = 0; i < nv; i++) {
        for (int64_t j = 0; j < len[i]; j++) {
            a[t++] = fabsf(v[i][j]);
        }
    }
    qsort(a, (size_t)total, sizeof *a, cmp_float);
    const float thr = a[k - 1];
    int64_t below = 0; /* values strictly below the threshold all go; ties at it go until k are gone */
    for (int64_t j = 0; j < total; j++) {
        below += a[j] < thr;
    }
    int64_t ties = k - below;
    free(a);
    for (int i = 0; i < nv; i++) {
        for (int64_t j = 0; j < len[i]; j++) {
            float m = fabsf(v[i][j]);
            if (m < thr) {
                v[i][j] = 0.0f;
            } else if (m == thr && ties > 0) {
                v[i][j] = 0.0f;
                ties--;
            }
        }
    }
    return 0;
    /* END SOLUTION */
}

int tt_prune_magnitude(tt_layer *model, double sparsity, tt_prune_scope scope, tt_masks *masks, char *err,
                       size_t errlen)
{
    if (masks) {
        memset(masks, 0, sizeof *masks);
    }
    if (!(sparsity >= 0.0 && sparsity < 1.0)) {
        snprintf(err, errlen, "prune: sparsity %g is outside [0, 1)", sparsity);
        return -1;
    }
    tt_tensor *w[256];
    const int n = collect_weights(model, w, 256);
    if (n == 0) {
        snprintf(err, errlen, "prune: the model has no Conv2d or Linear weight");
        return -1;
    }
    float *v[256];
    int64_t len[256], total = 0;
    for (int i = 0; i < n; i++) {
        v[i] = w[i]->data;
        len[i] = w[i]->numel;
        total += len[i];
    }
    int rc = 0;
    /* TODO: global: one zero_smallest over every tensor with k = round(sparsity * total); per layer: one
     * per tensor with k = round(sparsity * its size) */
    /* BEGIN SOLUTION */
    if (scope == TT_PRUNE_GLOBAL) {
        rc = zero_smallest(v, len, n, (int64_t)floor(sparsity * (double)total + 0.5));
    } else {
        for (int i = 0; i < n && rc == 0; i++) {
            rc = zero_smallest(&v[i], &len[i], 1, (int64_t)floor(sparsity * (double)len[i] + 0.5));
        }
    }
    /* END SOLUTION */
    if (rc == 0 && masks && masks_from_zeros(w, n, masks) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "prune: out of memory");
        tt_masks_free(masks);
    }
    return rc;
}

int tt_prune_2of4(tt_layer *model, tt_masks *masks, char *err, size_t errlen)
{
    if (masks) {
        memset(masks, 0, sizeof *masks);
    }
    tt_tensor *w[256];
    const int n = collect_weights(model, w, 256);
    if (n == 0) {
        snprintf(err, errlen, "prune: the model has no Conv2d or Linear weight");
        return -1;
    }
    /* TODO: in every row of every weight (shape[0] rows), each group of 4 consecutive weights keeps its
     * 2 largest magnitudes: zero the smallest non-zero ones (the first on ties) until 2 are zero */
    /* BEGIN SOLUTION */
    for (int i = 0; i < n; i++) {
        const int64_t row = w[i]->numel / w[i]->shape[0];
        for (int64_t r = 0; r < w[i]->shape[0]; r++) {
            float *x = w[i]->data + r * row;
            for (int64_t g = 0; g + 4 <= row; g += 4) {
                /* drop the two smallest of x[g..g+3] (first ones on ties) */
                for (int drop = 0; drop < 2; drop++) {
                    int best = -1;
                    for (int k = 0; k < 4; k++) {
                        if (x[g + k] != 0.0f && (best < 0 || fabsf(x[g + k]) < fabsf(x[g + best]))) {
                            best = k;
                        }
                    }
                    int zeros = 0;
                    for (int k = 0; k < 4; k++) {
                        zeros += x[g + k] == 0.0f;
                    }
                    if (best >= 0 && zeros < 2) {
                        x[g + best] = 0.0f;
                    }
                }
            }
        }
    }
    /* END SOLUTION */
    if (masks && masks_from_zeros(w, n, masks) != 0) {
        tt_masks_free(masks);
        snprintf(err, errlen, "prune: out of memory");
        return -1;
    }
    return 0;
}

double tt_weight_sparsity(tt_layer *model)
{
    tt_tensor *w[256];
    const int n = collect_weights(model, w, 256);
    int64_t zeros = 0, total = 0;
    /* TODO: count the zero weights and all weights of the n tensors */
    /* BEGIN SOLUTION */
    for (int i = 0; i < n; i++) {
        for (int64_t j = 0; j < w[i]->numel; j++) {
            zeros += w[i]->data[j] == 0.0f;
        }
        total += w[i]->numel;
    }
    /* END SOLUTION */
    return total ? (double)zeros / (double)total : 0.0;
}

tt_tensor *tt_masked_loss(void *model, const tt_batch *b, void *masks)
{
    tt_masks_apply(masks);
    return tt_cross_entropy(tt_layer_forward(model, b->x), b->y);
}

/* ---- structured channel pruning ------------------------------------------------------------------- */

/* A persistent parameter tensor of the given shape, filled by the caller. */
static tt_tensor *new_param(int ndim, const int64_t *shape, const char *name)
{
    tt_tensor *t = tt_tensor_new_persistent(ndim, shape);
    t->name = name;
    tt_set_requires_grad(t, true);
    return t;
}

int tt_prune_channels(tt_layer *seq, double fraction, char *err, size_t errlen)
{
    if (!(fraction >= 0.0 && fraction < 1.0)) {
        snprintf(err, errlen, "prune: channel fraction %g is outside [0, 1)", fraction);
        return -1;
    }
    if (strcmp(seq->ops->kind, "Sequential") != 0) {
        snprintf(err, errlen, "prune: structured pruning needs a Sequential");
        return -1;
    }
    const int n = tt_sequential_len(seq);
    int pruned = 0;
    for (int i = 0; i < n; i++) {
        tt_layer *L = tt_sequential_at(seq, i);
        if (!is_conv(L)) {
            continue;
        }
        tt_conv2d_layer *c = (tt_conv2d_layer *)L;
        if (c->geom.groups != 1) {
            snprintf(err, errlen, "prune: layer %d: grouped convolutions are not pruned by channel", i);
            return -1;
        }
        /* the layer that reads this one's channels */
        int j = i + 1;
        while (j < n) {
            const char *k = tt_sequential_at(seq, j)->ops->kind;
            if (strcmp(k, "ReLU") && strcmp(k, "MaxPool2d") && strcmp(k, "AvgPool2d") && strcmp(k, "Flatten") &&
                strcmp(k, "Dropout")) {
                break;
            }
            j++;
        }
        if (j == n) {
            continue; /* the model's output: its channels are not ours to remove */
        }
        tt_layer *next = tt_sequential_at(seq, j);
        if (!is_conv(next) && !is_linear(next)) {
            snprintf(err, errlen, "prune: layer %d (%s) reads layer %d's channels and cannot be shrunk with it", j,
                     next->ops->kind, i);
            return -1;
        }
        const int64_t C = c->out_channels, K = c->weight->numel / C;
        int64_t keep = C - (int64_t)floor(fraction * (double)C + 0.5);
        keep = keep < 1 ? 1 : keep;
        if (keep == C) {
            continue;
        }
        /* keep the `keep` filters of largest L1 norm, in their original order */
        double *score = malloc((size_t)C * sizeof *score);
        int64_t *idx = malloc((size_t)C * sizeof *idx);
        uint8_t *kept = calloc((size_t)C, 1);
        if (!score || !idx || !kept) {
            free(score);
            free(idx);
            free(kept);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        /* TODO: score[o] = the L1 norm of filter o (K weights); kept[o] = 1 for the `keep` filters of
         * largest score (the first on ties); idx[0..keep) = the kept filters in increasing order */
        /* BEGIN SOLUTION */
        for (int64_t o = 0; o < C; o++) {
            score[o] = 0.0;
            for (int64_t k = 0; k < K; k++) {
                score[o] += fabs((double)c->weight->data[o * K + k]);
            }
        }
        for (int64_t r = 0; r < keep; r++) {
            int64_t best = -1;
            for (int64_t o = 0; o < C; o++) {
                if (!kept[o] && (best < 0 || score[o] > score[best])) {
                    best = o;
                }
            }
            if (best >= 0) {
                kept[best] = 1;
            }
        }
        int64_t m = 0;
        for (int64_t o = 0; o < C; o++) {
            if (kept[o]) {
                idx[m++] = o;
            }
        }
        /* END SOLUTION */
        /* this layer: rows idx of weight and bias */
        int64_t ws[4] = {keep, c->weight->shape[1], c->weight->shape[2], c->weight->shape[3]};
        tt_tensor *nw = new_param(4, ws, "weight");
        for (int64_t r = 0; r < keep; r++) {
            memcpy(nw->data + r * K, c->weight->data + idx[r] * K, (size_t)K * sizeof(float));
        }
        tt_tensor_free(c->weight);
        c->weight = nw;
        if (c->bias) {
            tt_tensor *nb = new_param(1, &keep, "bias");
            for (int64_t r = 0; r < keep; r++) {
                nb->data[r] = c->bias->data[idx[r]];
            }
            tt_tensor_free(c->bias);
            c->bias = nb;
        }
        c->out_channels = keep;
        /* the reader: input channels idx (a conv), or the features of channels idx (a linear) */
        if (is_conv(next)) {
            tt_conv2d_layer *d = (tt_conv2d_layer *)next;
            const int64_t co = d->weight->shape[0], kk = d->weight->shape[2] * d->weight->shape[3];
            int64_t s2[4] = {co, keep, d->weight->shape[2], d->weight->shape[3]};
            tt_tensor *w2 = new_param(4, s2, "weight");
            /* TODO: w2[o, r] = the kernel of input channel idx[r] of d's weight [co, C, kh, kw] */
            /* BEGIN SOLUTION */
            for (int64_t o = 0; o < co; o++) {
                for (int64_t r = 0; r < keep; r++) {
                    memcpy(w2->data + (o * keep + r) * kk, d->weight->data + (o * C + idx[r]) * kk,
                           (size_t)kk * sizeof(float));
                }
            }
            /* END SOLUTION */
            tt_tensor_free(d->weight);
            d->weight = w2;
            d->in_channels = keep;
        } else {
            tt_linear_layer *f = (tt_linear_layer *)next;
            if (f->in_features % C != 0) {
                free(score);
                free(idx);
                free(kept);
                snprintf(err, errlen, "prune: layer %d (Linear) has %lld inputs, not a multiple of layer %d's %lld "
                         "channels", j, (long long)f->in_features, i, (long long)C);
                return -1;
            }
            const int64_t S = f->in_features / C, out = f->out_features, in2 = keep * S;
            int64_t s2[2] = {out, in2};
            tt_tensor *w2 = new_param(2, s2, "weight");
            /* TODO: channel c of the flattened input is S consecutive features: row o of w2 takes the S
             * columns of channel idx[r] of f's row o, for r < keep */
            /* BEGIN SOLUTION */
            for (int64_t o = 0; o < out; o++) {
                for (int64_t r = 0; r < keep; r++) {
                    memcpy(w2->data + o * in2 + r * S, f->weight->data + o * f->in_features + idx[r] * S,
                           (size_t)S * sizeof(float));
                }
            }
            /* END SOLUTION */
            tt_tensor_free(f->weight);
            f->weight = w2;
            f->in_features = in2;
        }
        free(score);
        free(idx);
        free(kept);
        tt_layer_drop_param_cache(L);
        tt_layer_drop_param_cache(next);
        pruned++;
    }
    tt_layer_drop_param_cache(seq);
    (void)pruned;
    return 0;
}
