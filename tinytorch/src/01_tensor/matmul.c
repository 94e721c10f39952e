/* matmul.c - matrix products: batched tt_matmul with NumPy semantics, and tt_linear (x W^T + b).
 * Both hand every product to tt_sgemm (module 17), so the framework is as fast as that one kernel.
 * FLOPs: a [M,K] @ [K,N] product costs 2*M*N*K.
 */
#include <stdbool.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/gemm.h"
#include "tinytorch/tensor.h"
#include "../common/vmath.h"

typedef struct mm_plan {
    int64_t M, K, N;
    int bnd;                          /* batch dims of the output */
    int64_t bshape[TT_MAX_DIMS];
    int64_t bsa[TT_MAX_DIMS], bsb[TT_MAX_DIMS]; /* batch strides in matrices, 0 where broadcast */
    int64_t nbatch;
    int squeeze_m, squeeze_n;         /* 1-D operand: drop that axis from the result */
} mm_plan;

static void mm_fail(const tt_tensor *a, const tt_tensor *b, const char *why)
{
    char sa[96], sb[96];
    tt_fatal("tt_matmul: shapes %s and %s %s", tt_shape_str(a, sa, sizeof sa),
             tt_shape_str(b, sb, sizeof sb), why);
}

static void mm_make_plan(const tt_tensor *a, const tt_tensor *b, mm_plan *p)
{
    memset(p, 0, sizeof *p);
    if (a->ndim == 0 || b->ndim == 0) {
        mm_fail(a, b, "include a 0-d tensor");
    }
    p->squeeze_m = a->ndim == 1;
    p->squeeze_n = b->ndim == 1;
    p->M = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
    p->K = a->shape[a->ndim - 1];
    int64_t kb = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2];
    p->N = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    if (kb != p->K) {
        mm_fail(a, b, "have mismatched inner dimensions");
    }
    int anb = a->ndim > 2 ? a->ndim - 2 : 0, bnb = b->ndim > 2 ? b->ndim - 2 : 0;
    int nd = anb > bnb ? anb : bnb;
    p->bnd = nd;
    int64_t acc_a = 1, acc_b = 1;
    for (int d = nd - 1; d >= 0; d--) {
        int ia = d - (nd - anb), ib = d - (nd - bnb);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            mm_fail(a, b, "have batch dimensions that cannot broadcast");
        }
        p->bshape[d] = da == 1 ? db : da;
        p->bsa[d] = (da == 1 && p->bshape[d] != 1) ? 0 : acc_a;
        p->bsb[d] = (db == 1 && p->bshape[d] != 1) ? 0 : acc_b;
        acc_a *= da;
        acc_b *= db;
    }
    p->nbatch = tt_numel_of(nd, p->bshape);
}

/* Offsets (in matrices) of a and b for batch index `bi`. */
static void mm_offsets(const mm_plan *p, int64_t bi, int64_t *oa, int64_t *ob)
{
    *oa = 0;
    *ob = 0;
    for (int d = p->bnd - 1; d >= 0; d--) {
        int64_t i = bi % p->bshape[d];
        bi /= p->bshape[d];
        *oa += i * p->bsa[d];
        *ob += i * p->bsb[d];
    }
}

static void matmul_backward(tt_node *n)
{
    tt_tensor *a = n->in[0], *b = n->in[1];
    mm_plan p;
    mm_make_plan(a, b, &p);
    const float *g = n->out->grad;
    int64_t M = p.M, K = p.K, N = p.N;
    /* A fresh gradient can be written with beta = 0 only when every batch owns its own slice (the
     * operand is not broadcast over the batch); otherwise a zeroed buffer is accumulated into. */
    bool fresh_a = false, fresh_b = false;
    float *ga = NULL, *gb = NULL;
    if (tt_wants_grad(a)) {
        ga = a->numel == p.nbatch * M * K ? tt_grad_buf_fresh(a, &fresh_a) : tt_grad_buf(a);
    }
    if (tt_wants_grad(b)) {
        gb = b->numel == p.nbatch * K * N ? tt_grad_buf_fresh(b, &fresh_b) : tt_grad_buf(b);
    }
    for (int64_t bi = 0; bi < p.nbatch; bi++) {
        int64_t oa, ob;
        mm_offsets(&p, bi, &oa, &ob);
        const float *gi = g + bi * M * N;
        if (ga) { /* dA[M,K] += G[M,N] @ B[K,N]^T */
            tt_sgemm(0, 1, M, K, N, 1.0f, gi, N, b->data + ob * K * N, N, fresh_a ? 0.0f : 1.0f,
                     ga + oa * M * K, K);
        }
        if (gb) { /* dB[K,N] += A[M,K]^T @ G[M,N] */
            tt_sgemm(1, 0, K, N, M, 1.0f, a->data + oa * M * K, K, gi, N, fresh_b ? 0.0f : 1.0f,
                     gb + ob * K * N, N);
        }
    }
}

tt_tensor *tt_matmul(tt_tensor *a, tt_tensor *b)
{
    mm_plan p;
    mm_make_plan(a, b, &p);
    int64_t shape[TT_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < p.bnd; d++) {
        shape[nd++] = p.bshape[d];
    }
    if (!p.squeeze_m) {
        shape[nd++] = p.M;
    }
    if (!p.squeeze_n) {
        shape[nd++] = p.N;
    }
    if (nd > TT_MAX_DIMS) {
        mm_fail(a, b, "give a result with too many dimensions");
    }
    tt_tensor *out = tt_empty(nd, shape);
    /* TODO: per batch bi: out[bi] = A[M,K] @ B[K,N] with tt_sgemm (mm_offsets gives each operand's batch offset) */
    /* BEGIN SOLUTION */
    for (int64_t bi = 0; bi < p.nbatch; bi++) {
        int64_t oa, ob;
        mm_offsets(&p, bi, &oa, &ob);
        tt_sgemm(0, 0, p.M, p.N, p.K, 1.0f, a->data + oa * p.M * p.K, p.K, b->data + ob * p.K * p.N,
                 p.N, 0.0f, out->data + bi * p.M * p.N, p.N);
    }
    /* END SOLUTION */
    tt_tensor *in[2] = {a, b};
    tt_record("matmul", out, in, 2, matmul_backward);
    return out;
}

/* ---- linear: y[R, out] = x[R, in] @ w[out, in]^T + bias[out] --------------------------------- */

static void linear_backward(tt_node *n)
{
    tt_tensor *x = n->in[0], *w = n->in[1], *bias = n->in[2];
    int64_t out_f = w->shape[0], in_f = w->shape[1], R = x->numel / in_f;
    const float *g = n->out->grad;
    if (tt_wants_grad(x)) { /* dx[R,in] += g[R,out] @ w[out,in] */
        bool fresh;
        float *gx = tt_grad_buf_fresh(x, &fresh);
        tt_sgemm(0, 0, R, in_f, out_f, 1.0f, g, out_f, w->data, in_f, fresh ? 0.0f : 1.0f, gx, in_f);
    }
    if (tt_wants_grad(w)) { /* dw[out,in] += g^T[out,R] @ x[R,in] */
        tt_sgemm(1, 0, out_f, in_f, R, 1.0f, g, out_f, x->data, in_f, 1.0f, tt_grad_buf(w), in_f);
    }
    if (bias && tt_wants_grad(bias)) { /* db[out] += sum over rows of g */
        tt__add_rows(tt_grad_buf(bias), g, R, out_f);
    }
}

/* One row goes to tt_sgemv (dot products straight from W). Otherwise:
 * x W^T packs W^T (out x in floats) for the GEMM on every call; (W x^T)^T packs x^T (R x in)
 * instead and costs a transpose of the R x out result. Taken for a batch that is a multiple of 32
 * rows (no column edge in the transposed product) and smaller than the output width, with inputs
 * wide enough for the packing to matter. Measured (one thread, AVX-512, us, direct -> transposed):
 * R 64, out 128, in 784 (the MLP's first layer) 69.8 -> 64.1; 64 x 120 x 400 (LeNet's fc1)
 * 36.7 -> 31.4; 32 x 128 x 784 42.8 -> 32.1; 96 x 256 x 784 198 -> 179; left direct: 48 x 128 x 784
 * (54.6 vs 58.1: a 16-column edge), 64 x 64 x 784 (35.5 vs 36.8: equal packs), 128 x 128 x 784. */
static bool linear_transposed(int64_t R, int64_t out_f, int64_t in_f)
{
    return R > 0 && R % 32 == 0 && R < out_f && in_f >= 256;
}

tt_tensor *tt_linear(tt_tensor *x, tt_tensor *w, tt_tensor *bias)
{
    if (w->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1] ||
        (bias && (bias->numel != w->shape[0]))) {
        char sx[96], sw[96], sb[96] = "none";
        if (bias) {
            tt_shape_str(bias, sb, sizeof sb);
        }
        tt_fatal("tt_linear: input %s, weight %s (want [out, in] with in = input's last dim), bias %s",
                 tt_shape_str(x, sx, sizeof sx), tt_shape_str(w, sw, sizeof sw), sb);
    }
    int64_t out_f = w->shape[0], in_f = w->shape[1], R = x->numel / (in_f ? in_f : 1);
    int64_t shape[TT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = out_f;
    tt_tensor *out = tt_empty(x->ndim, shape);
    float *y = out->data;
    if (R == 1) { /* one row: dot products straight from W, no packing of it (module 17's GEMV) */
        tt_sgemv(w->data, x->data, bias ? bias->data : NULL, y, out_f, in_f);
    } else if (linear_transposed(R, out_f, in_f)) {
        tt_arena_mark m = tt_arena_get_mark();
        float *yt = tt_arena_alloc((size_t)(out_f * R) * sizeof(float));
        tt_sgemm(0, 1, out_f, R, in_f, 1.0f, w->data, in_f, x->data, in_f, 0.0f, yt, R); /* y^T = W x^T */
        for (int64_t o = 0; o < out_f; o++) {
            const float b = bias ? bias->data[o] : 0.0f;
            for (int64_t r = 0; r < R; r++) {
                y[r * out_f + o] = yt[o * R + r] + b;
            }
        }
        tt_arena_release(m);
    } else {
        if (bias) {
            for (int64_t r = 0; r < R; r++) {
                memcpy(y + r * out_f, bias->data, (size_t)out_f * sizeof(float));
            }
        }
        tt_sgemm(0, 1, R, out_f, in_f, 1.0f, x->data, in_f, w->data, in_f, bias ? 1.0f : 0.0f, y, out_f);
    }
    tt_tensor *in[3] = {x, w, bias};
    tt_record("linear", out, in, bias ? 3 : 2, linear_backward);
    return out;
}
