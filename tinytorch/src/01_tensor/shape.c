/* shape.c - reshape (a view: same data, new shape), and the copying shape ops: transpose, permute,
 * slice, concat, stack. Copies keep every tensor contiguous, so kernels never deal with strides. */
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"
#include "../common/vmath.h"

static int norm_axis(const char *op, int axis, int ndim)
{
    int a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= ndim) {
        tt_fatal("%s: axis %d out of range for %d dimensions", op, axis, ndim);
    }
    return a;
}

/* ---- reshape ----------------------------------------------------------------------------------- */

static void reshape_backward(tt_node *n)
{
    float *g = tt_grad_buf(n->in[0]);
    const float *go = n->out->grad;
    for (int64_t i = 0; i < n->out->numel; i++) {
        g[i] += go[i];
    }
}

tt_tensor *tt_reshape(tt_tensor *a, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > TT_MAX_DIMS) {
        tt_fatal("tt_reshape: %d dimensions (at most %d)", ndim, TT_MAX_DIMS);
    }
    int64_t s[TT_MAX_DIMS];
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1) {
            if (infer >= 0) {
                tt_fatal("tt_reshape: more than one -1 in the new shape");
            }
            infer = i;
        } else if (s[i] < 0) {
            tt_fatal("tt_reshape: invalid size %lld", (long long)s[i]);
        } else {
            known *= s[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || a->numel % known != 0) {
            char sa[96];
            tt_fatal("tt_reshape: cannot infer -1 reshaping %s (%lld elements)",
                     tt_shape_str(a, sa, sizeof sa), (long long)a->numel);
        }
        s[infer] = a->numel / known;
        known *= s[infer];
    }
    if (known != a->numel) {
        char sa[96];
        tt_tensor tmp;
        tmp.ndim = ndim;
        memcpy(tmp.shape, s, sizeof(int64_t) * (size_t)ndim);
        char sb[96];
        tt_fatal("tt_reshape: shapes %s and %s have different sizes", tt_shape_str(a, sa, sizeof sa),
                 tt_shape_str(&tmp, sb, sizeof sb));
    }
    tt_tensor *out = tt_arena_alloc(sizeof *out);
    memset(out, 0, sizeof *out);
    out->ndim = ndim;
    for (int i = 0; i < TT_MAX_DIMS; i++) {
        out->shape[i] = i < ndim ? s[i] : 1;
    }
    out->numel = a->numel;
    out->data = a->data;
    tt_record("reshape", out, &a, 1, reshape_backward);
    return out;
}

tt_tensor *tt_flatten(tt_tensor *a, int start_axis)
{
    int s = start_axis < 0 ? start_axis + a->ndim : start_axis;
    if (s < 0 || s > a->ndim) {
        tt_fatal("tt_flatten: start axis %d out of range for %d dimensions", start_axis, a->ndim);
    }
    int64_t shape[TT_MAX_DIMS];
    int64_t rest = 1;
    for (int i = s; i < a->ndim; i++) {
        rest *= a->shape[i];
    }
    for (int i = 0; i < s; i++) {
        shape[i] = a->shape[i];
    }
    shape[s] = rest;
    return tt_reshape(a, s + 1, shape);
}

/* ---- permute / transpose ----------------------------------------------------------------------- */

/* dst[permuted index] = src[index]; when `add`, accumulates src into dst with the inverse mapping. */
static void permute_copy(const float *src, float *dst, int nd, const int64_t *in_shape, const int *perm,
                         int inverse_add)
{
    int64_t in_stride[TT_MAX_DIMS], out_shape[TT_MAX_DIMS], ost[TT_MAX_DIMS];
    int64_t acc = 1;
    for (int d = nd - 1; d >= 0; d--) {
        in_stride[d] = acc;
        acc *= in_shape[d];
    }
    int64_t total = acc;
    for (int d = 0; d < nd; d++) {
        out_shape[d] = in_shape[perm[d]];
        ost[d] = in_stride[perm[d]]; /* stride in the input for each output axis */
    }
    int64_t idx[TT_MAX_DIMS] = {0};
    int64_t off = 0;
    for (int64_t i = 0; i < total; i++) {
        if (inverse_add) {
            dst[off] += src[i];
        } else {
            dst[i] = src[off];
        }
        for (int d = nd - 1; d >= 0; d--) {
            idx[d]++;
            off += ost[d];
            if (idx[d] < out_shape[d]) {
                break;
            }
            off -= ost[d] * out_shape[d];
            idx[d] = 0;
        }
    }
}

static void permute_backward(tt_node *n)
{
    tt_tensor *a = n->in[0];
    int perm[TT_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++) {
        perm[d] = (int)n->iarg[d];
    }
    permute_copy(n->out->grad, tt_grad_buf(a), a->ndim, a->shape, perm, 1);
}

tt_tensor *tt_permute(tt_tensor *a, const int *perm)
{
    int seen[TT_MAX_DIMS] = {0};
    int64_t shape[TT_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++) {
        if (perm[d] < 0 || perm[d] >= a->ndim || seen[perm[d]]) {
            char sa[96];
            tt_fatal("tt_permute: invalid permutation for shape %s", tt_shape_str(a, sa, sizeof sa));
        }
        seen[perm[d]] = 1;
        shape[d] = a->shape[perm[d]];
    }
    tt_tensor *out = tt_empty(a->ndim, shape);
    permute_copy(a->data, out->data, a->ndim, a->shape, perm, 0);
    tt_node *n = tt_record("permute", out, &a, 1, permute_backward);
    if (n) {
        for (int d = 0; d < a->ndim; d++) {
            n->iarg[d] = perm[d];
        }
    }
    return out;
}

tt_tensor *tt_transpose(tt_tensor *a, int axis0, int axis1)
{
    if (a->ndim < 2) {
        return tt_clone(a);
    }
    int x = norm_axis("tt_transpose", axis0, a->ndim), y = norm_axis("tt_transpose", axis1, a->ndim);
    int perm[TT_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++) {
        perm[d] = d;
    }
    perm[x] = y;
    perm[y] = x;
    return tt_permute(a, perm);
}

/* ---- slice ------------------------------------------------------------------------------------- */

/* View the tensor as [outer, dim, inner] around `axis`. */
static void split_axis(const tt_tensor *a, int axis, int64_t *outer, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++) {
        *outer *= a->shape[d];
    }
    for (int d = axis + 1; d < a->ndim; d++) {
        *inner *= a->shape[d];
    }
}

static void slice_backward(tt_node *n)
{
    tt_tensor *a = n->in[0];
    int axis = (int)n->iarg[0];
    int64_t start = n->iarg[1], step = n->iarg[2], len = n->out->shape[axis];
    int64_t outer, inner;
    split_axis(a, axis, &outer, &inner);
    float *ga = tt_grad_buf(a);
    const float *g = n->out->grad;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t k = 0; k < len; k++) {
            float *dst = ga + (o * a->shape[axis] + start + k * step) * inner;
            tt__add_rows(dst, g + (o * len + k) * inner, 1, inner);
        }
    }
}

tt_tensor *tt_slice(tt_tensor *a, int axis, int64_t start, int64_t stop, int64_t step)
{
    int ax = norm_axis("tt_slice", axis, a->ndim);
    int64_t dim = a->shape[ax];
    if (step <= 0) {
        tt_fatal("tt_slice: step must be positive, got %lld", (long long)step);
    }
    if (start < 0) start += dim;
    if (stop < 0) stop += dim;
    if (start < 0) start = 0;
    if (stop > dim) stop = dim;
    if (start > dim) start = dim;
    int64_t len = stop > start ? (stop - start + step - 1) / step : 0;
    int64_t shape[TT_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[ax] = len;
    tt_tensor *out = tt_empty(a->ndim, shape);
    int64_t outer, inner;
    split_axis(a, ax, &outer, &inner);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t k = 0; k < len; k++) {
            memcpy(out->data + (o * len + k) * inner, a->data + (o * dim + start + k * step) * inner,
                   (size_t)inner * sizeof(float));
        }
    }
    tt_node *n = tt_record("slice", out, &a, 1, slice_backward);
    if (n) {
        n->iarg[0] = ax;
        n->iarg[1] = start;
        n->iarg[2] = step;
    }
    return out;
}

/* ---- concat / stack ---------------------------------------------------------------------------- */

typedef struct concat_saved { tt_tensor **ts; int n; int axis; } concat_saved;

static void concat_backward(tt_node *n)
{
    concat_saved *s = n->saved;
    int64_t outer, inner;
    split_axis(n->out, s->axis, &outer, &inner);
    int64_t total = n->out->shape[s->axis];
    const float *g = n->out->grad;
    int64_t at = 0;
    for (int t = 0; t < s->n; t++) {
        tt_tensor *x = s->ts[t];
        int64_t len = x->shape[s->axis];
        if (tt_wants_grad(x)) {
            float *gx = tt_grad_buf(x);
            for (int64_t o = 0; o < outer; o++) {
                tt__add_rows(gx + o * len * inner, g + (o * total + at) * inner, 1, len * inner);
            }
        }
        at += len;
    }
}

tt_tensor *tt_concat(tt_tensor **ts, int n, int axis)
{
    if (n <= 0) {
        tt_fatal("tt_concat: no tensors");
    }
    int ax = norm_axis("tt_concat", axis, ts[0]->ndim);
    int64_t shape[TT_MAX_DIMS];
    memcpy(shape, ts[0]->shape, sizeof shape);
    shape[ax] = 0;
    for (int t = 0; t < n; t++) {
        bool ok = ts[t]->ndim == ts[0]->ndim;
        for (int d = 0; ok && d < ts[0]->ndim; d++) {
            ok = d == ax || ts[t]->shape[d] == ts[0]->shape[d];
        }
        if (!ok) {
            char s0[96], st[96];
            tt_fatal("tt_concat: shapes %s and %s differ outside axis %d", tt_shape_str(ts[0], s0, sizeof s0),
                     tt_shape_str(ts[t], st, sizeof st), ax);
        }
        shape[ax] += ts[t]->shape[ax];
    }
    tt_tensor *out = tt_empty(ts[0]->ndim, shape);
    int64_t outer, inner;
    split_axis(out, ax, &outer, &inner);
    int64_t at = 0;
    for (int t = 0; t < n; t++) {
        int64_t len = ts[t]->shape[ax];
        for (int64_t o = 0; o < outer; o++) {
            memcpy(out->data + (o * shape[ax] + at) * inner, ts[t]->data + o * len * inner,
                   (size_t)(len * inner) * sizeof(float));
        }
        at += len;
    }
    if (tt_any_requires_grad(ts, n)) {
        /* A node holds 4 inputs; concat keeps its own list and records the first few for the tape. */
        tt_node *node = tt_record("concat", out, ts, n < TT_NODE_MAX_INPUTS ? n : TT_NODE_MAX_INPUTS,
                                  concat_backward);
        if (!node) { /* only later inputs need a gradient */
            tt_tensor *first = NULL;
            for (int t = 0; t < n && !first; t++) {
                if (tt_requires_grad(ts[t])) first = ts[t];
            }
            node = tt_record("concat", out, &first, 1, concat_backward);
        }
        concat_saved *s = tt_arena_alloc(sizeof *s);
        s->ts = tt_arena_alloc(sizeof(tt_tensor *) * (size_t)n);
        memcpy(s->ts, ts, sizeof(tt_tensor *) * (size_t)n);
        s->n = n;
        s->axis = ax;
        node->saved = s;
    }
    return out;
}

tt_tensor *tt_stack(tt_tensor **ts, int n, int axis)
{
    if (n <= 0) {
        tt_fatal("tt_stack: no tensors");
    }
    int nd = ts[0]->ndim + 1;
    int ax = norm_axis("tt_stack", axis, nd);
    tt_tensor **views = tt_arena_alloc(sizeof(tt_tensor *) * (size_t)n);
    for (int t = 0; t < n; t++) {
        if (!tt_same_shape(ts[t], ts[0])) {
            char s0[96], st[96];
            tt_fatal("tt_stack: shapes %s and %s differ", tt_shape_str(ts[0], s0, sizeof s0),
                     tt_shape_str(ts[t], st, sizeof st));
        }
        int64_t shape[TT_MAX_DIMS];
        for (int d = 0, k = 0; d < nd; d++) {
            shape[d] = d == ax ? 1 : ts[t]->shape[k++];
        }
        views[t] = tt_reshape(ts[t], nd, shape);
    }
    return tt_concat(views, n, ax);
}
