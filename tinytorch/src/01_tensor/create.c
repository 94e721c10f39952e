/* create.c - making tensors: step tensors from the arena, persistent ones from the heap, and the
 * small inspection helpers (numel, item, print). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"

int64_t tt_numel_of(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        n *= shape[i];
    }
    return n;
}

static void check_shape(const char *op, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > TT_MAX_DIMS) {
        tt_fatal("%s: %d dimensions (at most %d)", op, ndim, TT_MAX_DIMS);
    }
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            tt_fatal("%s: negative size %lld in dimension %d", op, (long long)shape[i], i);
        }
    }
}

static void set_shape(tt_tensor *t, int ndim, const int64_t *shape)
{
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
    }
    for (int i = ndim; i < TT_MAX_DIMS; i++) {
        t->shape[i] = 1;
    }
    t->numel = tt_numel_of(ndim, shape);
}

tt_tensor *tt_empty(int ndim, const int64_t *shape)
{
    check_shape("tt_empty", ndim, shape);
    tt_tensor *t = tt_arena_alloc(sizeof *t);
    memset(t, 0, sizeof *t);
    set_shape(t, ndim, shape);
    t->data = tt_arena_alloc((size_t)t->numel * sizeof(float));
    return t;
}

tt_tensor *tt_zeros(int ndim, const int64_t *shape)
{
    tt_tensor *t = tt_empty(ndim, shape);
    memset(t->data, 0, (size_t)t->numel * sizeof(float));
    return t;
}

tt_tensor *tt_full(int ndim, const int64_t *shape, float value)
{
    tt_tensor *t = tt_empty(ndim, shape);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = value;
    }
    return t;
}

tt_tensor *tt_ones(int ndim, const int64_t *shape) { return tt_full(ndim, shape, 1.0f); }

tt_tensor *tt_arange(float start, float stop, float step)
{
    if (step == 0.0f || !isfinite(start) || !isfinite(stop) || !isfinite(step)) {
        tt_fatal("tt_arange: bad range start=%g stop=%g step=%g", start, stop, step);
    }
    double n = ceil(((double)stop - start) / step);
    int64_t len = n > 0 ? (int64_t)n : 0;
    tt_tensor *t = tt_empty(1, &len);
    for (int64_t i = 0; i < len; i++) {
        t->data[i] = (float)(start + (double)i * step);
    }
    return t;
}

tt_tensor *tt_from_data(int ndim, const int64_t *shape, const float *data)
{
    tt_tensor *t = tt_empty(ndim, shape);
    memcpy(t->data, data, (size_t)t->numel * sizeof(float));
    return t;
}

tt_tensor *tt_scalar(float value) { return tt_full(0, NULL, value); }

tt_tensor *tt_rand_uniform(int ndim, const int64_t *shape, float lo, float hi, tt_rng *rng)
{
    if (!rng) {
        rng = tt_default_rng();
    }
    tt_tensor *t = tt_empty(ndim, shape);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = lo + (hi - lo) * tt_rng_uniform(rng);
    }
    return t;
}

tt_tensor *tt_randn(int ndim, const int64_t *shape, float mean, float std, tt_rng *rng)
{
    if (!rng) {
        rng = tt_default_rng();
    }
    tt_tensor *t = tt_empty(ndim, shape);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = mean + std * tt_rng_normal(rng);
    }
    return t;
}

tt_tensor *tt_zeros_like(const tt_tensor *t) { return tt_zeros(t->ndim, t->shape); }

static void clone_backward(tt_node *n)
{
    tt_tensor *in = n->in[0];
    float *g = tt_grad_buf(in);
    for (int64_t i = 0; i < in->numel; i++) {
        g[i] += n->out->grad[i];
    }
}

tt_tensor *tt_clone(const tt_tensor *t)
{
    tt_tensor *out = tt_from_data(t->ndim, t->shape, t->data);
    tt_tensor *in = (tt_tensor *)t;
    tt_record("clone", out, &in, 1, clone_backward);
    return out;
}

tt_tensor *tt_detach(const tt_tensor *t)
{
    tt_tensor *out = tt_arena_alloc(sizeof *out);
    memset(out, 0, sizeof *out);
    set_shape(out, t->ndim, t->shape);
    out->data = t->data;
    return out;
}

tt_tensor *tt_tensor_new_persistent(int ndim, const int64_t *shape)
{
    check_shape("tt_tensor_new_persistent", ndim, shape);
    int64_t numel = tt_numel_of(ndim, shape);
    tt_tensor *t = calloc(1, sizeof *t);
    float *data = calloc(numel ? (size_t)numel : 1, sizeof(float));
    if (!t || !data) {
        free(t);
        free(data);
        tt_fatal("tt_tensor_new_persistent: out of memory (%lld floats)", (long long)numel);
    }
    set_shape(t, ndim, shape);
    t->data = data;
    t->flags = TT_PERSISTENT;
    return t;
}

void tt_tensor_free(tt_tensor *t)
{
    if (!t) {
        return;
    }
    if (!(t->flags & TT_PERSISTENT)) {
        tt_fatal("tt_tensor_free: not a persistent tensor (step tensors are freed by tt_arena_reset)");
    }
    free(t->data);
    free(t->grad);
    free(t);
}

void tt_set_requires_grad(tt_tensor *t, bool on)
{
    if (on) {
        t->flags |= TT_REQUIRES_GRAD;
    } else {
        t->flags &= ~(uint32_t)TT_REQUIRES_GRAD;
    }
}

bool tt_same_shape(const tt_tensor *a, const tt_tensor *b)
{
    if (a->ndim != b->ndim) {
        return false;
    }
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] != b->shape[i]) {
            return false;
        }
    }
    return true;
}

float tt_item(const tt_tensor *t)
{
    if (t->numel != 1) {
        char s[96];
        tt_fatal("tt_item: tensor of shape %s has %lld elements, not 1", tt_shape_str(t, s, sizeof s),
                 (long long)t->numel);
    }
    return t->data[0];
}

size_t tt_nbytes(const tt_tensor *t) { return (size_t)t->numel * sizeof(float); }

void tt_print(const tt_tensor *t, const char *label)
{
    char s[96];
    printf("%s%stensor%s", label ? label : "", label ? " = " : "", tt_shape_str(t, s, sizeof s));
    int64_t last = t->ndim ? t->shape[t->ndim - 1] : 1;
    int64_t shown = t->numel < 64 ? t->numel : 64;
    printf(" {");
    for (int64_t i = 0; i < shown; i++) {
        if (i && last && i % last == 0) {
            printf(" |");
        }
        printf(" %.5g", (double)t->data[i]);
    }
    printf("%s }\n", shown < t->numel ? " ..." : "");
}
