/* elementwise.c - elementwise arithmetic with NumPy broadcasting, and unary maths.
 *
 * Broadcasting: shapes are aligned on the right; a dimension of size 1 (or a missing one) stretches to
 * match the other. Instead of materialising the stretched operand we give it stride 0 along that axis
 * and walk both operands with one index: "broadcasting is free, tiling is a copy".
 * Backward: the gradient of a broadcast operand is summed back over the stretched axes
 * (tt_accumulate_broadcast).
 */
#include <math.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"
#include "../common/vmath.h"

enum binop { OP_ADD, OP_SUB, OP_MUL, OP_DIV };
static const char *const binop_name[] = {"tt_add", "tt_sub", "tt_mul", "tt_div"};

typedef struct bplan {
    int nd;
    int64_t shape[TT_MAX_DIMS];
    int64_t sa[TT_MAX_DIMS], sb[TT_MAX_DIMS]; /* element strides, 0 on broadcast axes */
    int64_t numel;
} bplan;

int tt_broadcast_shape(const tt_tensor *a, const tt_tensor *b, int64_t *out)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < nd; d++) {
        int ia = d - (nd - a->ndim), ib = d - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            return -1;
        }
        out[d] = da == 1 ? db : da;
    }
    return nd;
}

static void strides_for(const tt_tensor *t, int nd, const int64_t *shape, int64_t *st)
{
    int64_t acc = 1;
    for (int d = nd - 1; d >= 0; d--) {
        int it = d - (nd - t->ndim);
        int64_t dim = it >= 0 ? t->shape[it] : 1;
        st[d] = (dim == 1 && shape[d] != 1) ? 0 : acc;
        acc *= dim;
    }
}

static void make_plan(const char *op, const tt_tensor *a, const tt_tensor *b, bplan *p)
{
    int nd = tt_broadcast_shape(a, b, p->shape);
    if (nd < 0) {
        char sa[96], sb[96];
        tt_fatal("%s: shapes %s and %s cannot broadcast", op, tt_shape_str(a, sa, sizeof sa),
                 tt_shape_str(b, sb, sizeof sb));
    }
    p->nd = nd;
    p->numel = tt_numel_of(nd, p->shape);
    strides_for(a, nd, p->shape, p->sa);
    strides_for(b, nd, p->shape, p->sb);
}

/* Calls BODY(i, ia, ib) for every output element i with the operand offsets ia, ib. The innermost axis
 * is a plain loop so the compiler can vectorise the common cases (same shape, row broadcast). */
#define BROADCAST_LOOP(p, BODY)                                                                    \
    do {                                                                                           \
        int nd_ = (p)->nd;                                                                         \
        int64_t inner_ = nd_ ? (p)->shape[nd_ - 1] : 1;                                            \
        int64_t sai_ = nd_ ? (p)->sa[nd_ - 1] : 0, sbi_ = nd_ ? (p)->sb[nd_ - 1] : 0;              \
        int64_t outer_ = inner_ ? (p)->numel / inner_ : 0;                                         \
        int64_t idx_[TT_MAX_DIMS] = {0};                                                           \
        int64_t oa_ = 0, ob_ = 0;                                                                  \
        for (int64_t o_ = 0; o_ < outer_; o_++) {                                                  \
            int64_t base_ = o_ * inner_;                                                           \
            for (int64_t j_ = 0; j_ < inner_; j_++) {                                              \
                int64_t i = base_ + j_, ia = oa_ + j_ * sai_, ib = ob_ + j_ * sbi_;                \
                (void)ia, (void)ib; BODY;                                                          \
            }                                                                                      \
            for (int d_ = nd_ - 2; d_ >= 0; d_--) {                                                \
                idx_[d_]++;                                                                        \
                oa_ += (p)->sa[d_];                                                                \
                ob_ += (p)->sb[d_];                                                                \
                if (idx_[d_] < (p)->shape[d_]) {                                                   \
                    break;                                                                         \
                }                                                                                  \
                oa_ -= (p)->sa[d_] * (p)->shape[d_];                                               \
                ob_ -= (p)->sb[d_] * (p)->shape[d_];                                               \
                idx_[d_] = 0;                                                                      \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void binary_backward(tt_node *n)
{
    tt_tensor *a = n->in[0], *b = n->in[1], *out = n->out;
    const float *g = out->grad;
    bplan p;
    make_plan(binop_name[n->iarg[0]], a, b, &p);
    float *tmp = tt_arena_alloc((size_t)p.numel * sizeof(float));
    const float *A = a->data, *B = b->data;
    /* TODO: d(a+b) = (g, g), d(a-b) = (g, -g), d(a*b) = (g*b, g*a), d(a/b) = (g/b, -g*a/b^2); sum over
     * broadcast axes with tt_accumulate_broadcast */
    /* BEGIN SOLUTION */
    switch ((enum binop)n->iarg[0]) {
    case OP_ADD:
    case OP_SUB:
        if (tt_wants_grad(a)) {
            tt_accumulate_broadcast(a, g, p.nd, p.shape);
        }
        if (tt_wants_grad(b)) {
            if (n->iarg[0] == OP_SUB) {
                for (int64_t i = 0; i < p.numel; i++) {
                    tmp[i] = -g[i];
                }
                tt_accumulate_broadcast(b, tmp, p.nd, p.shape);
            } else {
                tt_accumulate_broadcast(b, g, p.nd, p.shape);
            }
        }
        break;
    case OP_MUL:
        if (tt_wants_grad(a)) {
            BROADCAST_LOOP(&p, tmp[i] = g[i] * B[ib]);
            tt_accumulate_broadcast(a, tmp, p.nd, p.shape);
        }
        if (tt_wants_grad(b)) {
            BROADCAST_LOOP(&p, tmp[i] = g[i] * A[ia]);
            tt_accumulate_broadcast(b, tmp, p.nd, p.shape);
        }
        break;
    case OP_DIV:
        if (tt_wants_grad(a)) {
            BROADCAST_LOOP(&p, tmp[i] = g[i] / B[ib]);
            tt_accumulate_broadcast(a, tmp, p.nd, p.shape);
        }
        if (tt_wants_grad(b)) {
            const float *O = out->data;
            BROADCAST_LOOP(&p, tmp[i] = -g[i] * O[i] / B[ib]);
            tt_accumulate_broadcast(b, tmp, p.nd, p.shape);
        }
        break;
    }
    /* END SOLUTION */
}

static tt_tensor *binary(enum binop op, tt_tensor *a, tt_tensor *b)
{
    bplan p;
    make_plan(binop_name[op], a, b, &p);
    tt_tensor *out = tt_empty(p.nd, p.shape);
    float *O = out->data;
    const float *A = a->data, *B = b->data;
    /* TODO: for each broadcast output index i, O[i] = A[ia] op B[ib] (BROADCAST_LOOP gives ia, ib) */
    /* BEGIN SOLUTION */
    switch (op) {
    case OP_ADD: BROADCAST_LOOP(&p, O[i] = A[ia] + B[ib]); break;
    case OP_SUB: BROADCAST_LOOP(&p, O[i] = A[ia] - B[ib]); break;
    case OP_MUL: BROADCAST_LOOP(&p, O[i] = A[ia] * B[ib]); break;
    case OP_DIV: BROADCAST_LOOP(&p, O[i] = A[ia] / B[ib]); break;
    }
    /* END SOLUTION */
    tt_tensor *in[2] = {a, b};
    tt_node *n = tt_record(binop_name[op] + 3, out, in, 2, binary_backward);
    if (n) {
        n->iarg[0] = op;
    }
    return out;
}

tt_tensor *tt_add(tt_tensor *a, tt_tensor *b) { return binary(OP_ADD, a, b); }
tt_tensor *tt_sub(tt_tensor *a, tt_tensor *b) { return binary(OP_SUB, a, b); }
tt_tensor *tt_mul(tt_tensor *a, tt_tensor *b) { return binary(OP_MUL, a, b); }
tt_tensor *tt_div(tt_tensor *a, tt_tensor *b) { return binary(OP_DIV, a, b); }

/* ---- unary ---------------------------------------------------------------------------------------- */

enum unop { U_ADDS, U_MULS, U_POW, U_NEG, U_EXP, U_LOG, U_SQRT };
static const char *const unop_name[] = {"add_scalar", "mul_scalar", "pow_scalar", "neg",
                                        "exp", "log", "sqrt"};

static void unary_backward(tt_node *n)
{
    tt_tensor *a = n->in[0];
    const float *g = n->out->grad, *x = a->data, *y = n->out->data;
    float *ga = tt_grad_buf(a);
    float s = n->farg[0];
    int64_t len = a->numel;
    switch ((enum unop)n->iarg[0]) {
    case U_ADDS: tt__add_rows(ga, g, 1, len); break;
    case U_MULS: for (int64_t i = 0; i < len; i++) ga[i] += g[i] * s; break;
    case U_POW: for (int64_t i = 0; i < len; i++) ga[i] += g[i] * s * powf(x[i], s - 1.0f); break;
    case U_NEG: for (int64_t i = 0; i < len; i++) ga[i] -= g[i]; break;
    case U_EXP: for (int64_t i = 0; i < len; i++) ga[i] += g[i] * y[i]; break;
    case U_LOG: for (int64_t i = 0; i < len; i++) ga[i] += g[i] / x[i]; break;
    case U_SQRT: for (int64_t i = 0; i < len; i++) ga[i] += g[i] * 0.5f / y[i]; break;
    }
}

static tt_tensor *unary(enum unop op, tt_tensor *a, float s)
{
    tt_tensor *out = tt_empty(a->ndim, a->shape);
    const float *x = a->data;
    float *y = out->data;
    int64_t len = a->numel;
    switch (op) {
    case U_ADDS: for (int64_t i = 0; i < len; i++) y[i] = x[i] + s; break;
    case U_MULS: for (int64_t i = 0; i < len; i++) y[i] = x[i] * s; break;
    case U_POW: for (int64_t i = 0; i < len; i++) y[i] = powf(x[i], s); break;
    case U_NEG: for (int64_t i = 0; i < len; i++) y[i] = -x[i]; break;
    case U_EXP: for (int64_t i = 0; i < len; i++) y[i] = expf(x[i]); break;
    case U_LOG: for (int64_t i = 0; i < len; i++) y[i] = logf(x[i]); break;
    case U_SQRT: for (int64_t i = 0; i < len; i++) y[i] = sqrtf(x[i]); break;
    }
    tt_node *n = tt_record(unop_name[op], out, &a, 1, unary_backward);
    if (n) {
        n->iarg[0] = op;
        n->farg[0] = s;
    }
    return out;
}

tt_tensor *tt_add_scalar(tt_tensor *a, float s) { return unary(U_ADDS, a, s); }
tt_tensor *tt_mul_scalar(tt_tensor *a, float s) { return unary(U_MULS, a, s); }
tt_tensor *tt_pow_scalar(tt_tensor *a, float p) { return unary(U_POW, a, p); }
tt_tensor *tt_neg(tt_tensor *a) { return unary(U_NEG, a, 0.0f); }
tt_tensor *tt_exp(tt_tensor *a) { return unary(U_EXP, a, 0.0f); }
tt_tensor *tt_log(tt_tensor *a) { return unary(U_LOG, a, 0.0f); }
tt_tensor *tt_sqrt(tt_tensor *a) { return unary(U_SQRT, a, 0.0f); }

/* ---- masked_fill --------------------------------------------------------------------------------- */

static void masked_fill_backward(tt_node *n)
{
    tt_tensor *a = n->in[0];
    const tt_tensor *mask = n->saved;
    bplan p;
    make_plan("tt_masked_fill", a, mask, &p);
    const float *g = n->out->grad, *M = mask->data;
    float *ga = tt_grad_buf(a);
    BROADCAST_LOOP(&p, if (M[ib] == 0.0f) ga[ia] += g[i]);
}

tt_tensor *tt_masked_fill(tt_tensor *a, const tt_tensor *mask, float value)
{
    bplan p;
    make_plan("tt_masked_fill", a, mask, &p);
    if (p.nd != a->ndim || p.numel != a->numel) {
        char sa[96], sb[96];
        tt_fatal("tt_masked_fill: mask %s must broadcast to the input's shape %s",
                 tt_shape_str(mask, sb, sizeof sb), tt_shape_str(a, sa, sizeof sa));
    }
    tt_tensor *out = tt_empty(a->ndim, a->shape);
    const float *A = a->data, *M = mask->data;
    float *O = out->data;
    BROADCAST_LOOP(&p, O[i] = M[ib] != 0.0f ? value : A[ia]);
    tt_node *n = tt_record("masked_fill", out, &a, 1, masked_fill_backward);
    if (n) {
        n->saved = (void *)mask;
    }
    return out;
}
