/* transform.c - data augmentation as composable transforms on a float batch x [B, ..., H, W].
 *
 * Every transform works in place and draws its randomness from the rng it is given (the loader seeds
 * one per batch from (seed, epoch, batch)), one draw sequence per image in batch order, so a batch is
 * a pure function of the seed and its position. Image transforms treat the last two dims as H x W and
 * everything between the batch dim and them as channels; the random choices are per image (the same
 * crop offset and flip for all channels of one image).
 *
 *   random crop, pad p:  out[c, i, j] = in[c, i + dy - p, j + dx - p] (0 outside), dy, dx in [0, 2p]
 *   horizontal flip:     out[c, i, j] = in[c, i, W - 1 - j] with probability p
 *   normalise:           out[b, c, ...] = (in[b, c, ...] - mean[c]) / std[c]
 */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/data.h"

/* Images per batch (B), channels (everything between B and H x W), H, W of x; tt_fatal below 2 dims. */
static void image_dims(const char *who, const tt_tensor *x, int64_t *B, int64_t *C, int64_t *H, int64_t *W)
{
    if (x->ndim < 3) {
        tt_fatal("%s: batch has %d dims; image transforms need [B, H, W] or [B, C, H, W] (reshape flat "
                 "features to images first, e.g. [B, 1, 28, 28])",
                 who, x->ndim);
    }
    *B = x->shape[0];
    *H = x->shape[x->ndim - 2];
    *W = x->shape[x->ndim - 1];
    *C = (*B > 0 && *H > 0 && *W > 0) ? x->numel / (*B * *H * *W) : 0;
}

/* ---- random crop with zero padding ---- */

typedef struct crop_t {
    tt_transform base;
    int pad;
} crop_t;

static void crop_apply(const tt_transform *t, tt_tensor *x, tt_rng *rng)
{
    int pad = ((const crop_t *)t)->pad;
    int64_t B, C, H, W;
    image_dims("random_crop", x, &B, &C, &H, &W);
    if (pad == 0 || x->numel == 0) {
        return;
    }
    float *img = malloc((size_t)(H * W) * sizeof(float)); /* one channel's source plane */
    if (!img) {
        tt_fatal("random_crop: out of memory for a %lldx%lld plane", (long long)H, (long long)W);
    }
    for (int64_t b = 0; b < B; b++) {
        int64_t dy = (int64_t)tt_rng_below(rng, (uint32_t)(2 * pad + 1)) - pad;
        int64_t dx = (int64_t)tt_rng_below(rng, (uint32_t)(2 * pad + 1)) - pad;
        for (int64_t c = 0; c < C; c++) {
            float *p = x->data + (b * C + c) * H * W;
            memcpy(img, p, (size_t)(H * W) * sizeof(float));
            for (int64_t i = 0; i < H; i++) {
                int64_t si = i + dy;
                for (int64_t j = 0; j < W; j++) {
                    int64_t sj = j + dx;
                    p[i * W + j] = si >= 0 && si < H && sj >= 0 && sj < W ? img[si * W + sj] : 0.0f;
                }
            }
        }
    }
    free(img);
}

static void plain_destroy(tt_transform *t) { free(t); }

tt_transform *tt_random_crop(int pad)
{
    if (pad < 0 || pad > 1 << 20) {
        tt_fatal("tt_random_crop: pad %d (want 0 .. 2^20 pixels; 4 is the CIFAR recipe)", pad);
    }
    crop_t *c = calloc(1, sizeof *c);
    if (!c) {
        tt_fatal("tt_random_crop: out of memory");
    }
    c->base = (tt_transform){"random_crop", crop_apply, plain_destroy};
    c->pad = pad;
    return &c->base;
}

/* ---- horizontal flip ---- */

typedef struct flip_t {
    tt_transform base;
    float p;
} flip_t;

static void flip_apply(const tt_transform *t, tt_tensor *x, tt_rng *rng)
{
    float p = ((const flip_t *)t)->p;
    int64_t B, C, H, W;
    image_dims("random_hflip", x, &B, &C, &H, &W);
    for (int64_t b = 0; b < B; b++) {
        if (!(tt_rng_uniform(rng) < p)) {
            continue;
        }
        float *img = x->data + b * C * H * W;
        for (int64_t r = 0; r < C * H; r++) { /* every row of every channel, reversed */
            float *row = img + r * W;
            for (int64_t j = 0; j < W / 2; j++) {
                float v = row[j];
                row[j] = row[W - 1 - j];
                row[W - 1 - j] = v;
            }
        }
    }
}

tt_transform *tt_random_hflip(float p)
{
    if (!(p >= 0.0f && p <= 1.0f)) {
        tt_fatal("tt_random_hflip: probability %g (want 0 .. 1; 0.5 flips half the images)", (double)p);
    }
    flip_t *f = calloc(1, sizeof *f);
    if (!f) {
        tt_fatal("tt_random_hflip: out of memory");
    }
    f->base = (tt_transform){"random_hflip", flip_apply, plain_destroy};
    f->p = p;
    return &f->base;
}

/* ---- per-channel normalisation ---- */

typedef struct norm_t {
    tt_transform base;
    int channels;
    float *mean, *inv_std;
} norm_t;

static void norm_apply(const tt_transform *t, tt_tensor *x, tt_rng *rng)
{
    (void)rng;
    const norm_t *n = (const norm_t *)t;
    int64_t C = n->channels;
    if (C > 1 && (x->ndim < 2 || x->shape[1] != C)) {
        tt_fatal("normalize: batch dim 1 has %lld channels, the transform %lld (x is [B, C, ...])",
                 x->ndim >= 2 ? (long long)x->shape[1] : 0LL, (long long)C);
    }
    int64_t B = x->ndim >= 1 ? x->shape[0] : 1;
    int64_t inner = B > 0 ? x->numel / (B * C) : 0;
    for (int64_t b = 0; b < B; b++) {
        for (int64_t c = 0; c < C; c++) {
            float *p = x->data + (b * C + c) * inner;
            float m = n->mean[c], s = n->inv_std[c];
            for (int64_t i = 0; i < inner; i++) {
                p[i] = (p[i] - m) * s;
            }
        }
    }
}

static void norm_destroy(tt_transform *t)
{
    norm_t *n = (norm_t *)t;
    free(n->mean);
    free(n->inv_std);
    free(n);
}

tt_transform *tt_normalize(int channels, const float *mean, const float *std)
{
    if (channels < 1) {
        tt_fatal("tt_normalize: %d channels (want >= 1)", channels);
    }
    for (int c = 0; c < channels; c++) {
        if (!(std[c] > 0.0f)) {
            tt_fatal("tt_normalize: std[%d] = %g (must be > 0: it divides)", c, (double)std[c]);
        }
    }
    norm_t *n = calloc(1, sizeof *n);
    float *m = malloc((size_t)channels * sizeof *m), *s = malloc((size_t)channels * sizeof *s);
    if (!n || !m || !s) {
        tt_fatal("tt_normalize: out of memory");
    }
    for (int c = 0; c < channels; c++) {
        m[c] = mean[c];
        s[c] = 1.0f / std[c];
    }
    n->base = (tt_transform){"normalize", norm_apply, norm_destroy};
    n->channels = channels;
    n->mean = m;
    n->inv_std = s;
    return &n->base;
}

/* ---- compose ---- */

typedef struct compose_t {
    tt_transform base;
    int n;
    tt_transform **ts;
} compose_t;

static void compose_apply(const tt_transform *t, tt_tensor *x, tt_rng *rng)
{
    const compose_t *c = (const compose_t *)t;
    for (int i = 0; i < c->n; i++) {
        c->ts[i]->apply(c->ts[i], x, rng);
    }
}

static void compose_destroy(tt_transform *t)
{
    compose_t *c = (compose_t *)t;
    for (int i = 0; i < c->n; i++) {
        tt_transform_free(c->ts[i]);
    }
    free(c->ts);
    free(c);
}

tt_transform *tt_compose(int n, tt_transform *const *ts)
{
    if (n < 0) {
        tt_fatal("tt_compose: %d transforms", n);
    }
    compose_t *c = calloc(1, sizeof *c);
    tt_transform **a = malloc((size_t)(n ? n : 1) * sizeof *a);
    if (!c || !a) {
        tt_fatal("tt_compose: out of memory");
    }
    for (int i = 0; i < n; i++) {
        if (!ts[i]) {
            tt_fatal("tt_compose: transform %d is NULL", i);
        }
        a[i] = ts[i];
    }
    c->base = (tt_transform){"compose", compose_apply, compose_destroy};
    c->n = n;
    c->ts = a;
    return &c->base;
}

void tt_transform_apply(const tt_transform *t, tt_tensor *x, tt_rng *rng) { t->apply(t, x, rng); }

void tt_transform_free(tt_transform *t)
{
    if (t) {
        t->destroy(t);
    }
}
