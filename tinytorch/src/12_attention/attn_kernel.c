/* attn_kernel.c - fused scaled dot-product attention, forward and backward (module 12).
 *
 * Per (batch, head), with s = 1/sqrt(d) and off = Tk - Tq (queries are the last Tq positions):
 *   forward:  S = s Q K^T, P = softmax_masked(S), O = P V
 *   backward: dP = dO V^T, dS = P * (dP - rowsum(P * dP)), dQ += s dS K, dK += s dS^T Q, dV += P^T dO
 * Causal attention skips the blocked upper triangle in blocks of TT_ATTN_ROW_BLOCK query rows:
 * rows [r0, r1) only need keys [0, r1 + off), so S, P V, dP and dQ cost about 5/8 of the full
 * products at T = 128 (the full triangle would be 1/2). Every product is one tt_sgemm call.
 * (batch, head) pairs run in parallel when several threads are allowed; tt_sgemm then runs each
 * product on one thread.
 */
#include <math.h>
#include <string.h>
#ifdef TT_HAVE_OPENMP
#include <omp.h>
#endif
#include "tinytorch/autograd.h"
#include "tinytorch/gemm.h"
#include "attn_kernel.h"
#include "../common/vmath.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

#ifdef TT_HAVE_AVX512_PATH
/* s[j] = exp(s[j] - m) for j < lim, 16 at a time; returns the count done, adds their sum to *sum. */
static TT_AVX512_FN int64_t exp_sum16(float *s, int64_t lim, float m, float *sum)
{
    int64_t j = 0;
    tt_v16f acc = tt__v16f_set(0.0f), mv = tt__v16f_set(m);
    for (; j + 16 <= lim; j += 16) {
        tt_v16f e = tt__expf16(tt__v16f_load(s + j) - mv);
        tt__v16f_store(s + j, e);
        acc += e;
    }
    float t = 0.0f;
    for (int l = 0; l < 16; l++) {
        t += acc[l];
    }
    *sum += t;
    return j;
}
#endif

/* Softmax of row s[0..lim) in place (keys blocked by the key mask km or the row mask rm become 0);
 * s[lim..n) = 0. */
static void softmax_row(float *s, int64_t lim, int64_t n, const uint8_t *km, const uint8_t *rm)
{
    /* TODO: keys j < lim that km or rm block (0) become -inf; subtract the row's max before exp (a row
     * with every key blocked is all zeros); divide by the sum; zero s[lim..n) */
    /* BEGIN SOLUTION */
    if (km) {
        for (int64_t j = 0; j < lim; j++) {
            if (!km[j]) {
                s[j] = -INFINITY;
            }
        }
    }
    if (rm) {
        for (int64_t j = 0; j < lim; j++) {
            if (!rm[j]) {
                s[j] = -INFINITY;
            }
        }
        km = rm; /* take the masked branch below */
    }
    float m = -INFINITY; /* no simd max reduction: its identity may be -FLT_MAX, not -inf */
    for (int64_t j = 0; j < lim; j++) {
        m = s[j] > m ? s[j] : m;
    }
    if (m == -INFINITY) { /* every key blocked */
        memset(s, 0, (size_t)n * sizeof(float));
        return;
    }
    float sum = 0.0f;
    if (km) {
        TT_SIMD_SUM(sum)
        for (int64_t j = 0; j < lim; j++) {
            float e = tt__expf(s[j] - m);
            e = s[j] == -INFINITY ? 0.0f : e;
            s[j] = e;
            sum += e;
        }
    } else {
        int64_t j = 0;
#ifdef TT_HAVE_AVX512_PATH
        if (tt__have_avx512()) {
            j = exp_sum16(s, lim, m, &sum);
        }
#endif
        tt_v4f acc = tt__v4f_set(0.0f), mv = tt__v4f_set(m);
        for (; j + 4 <= lim; j += 4) {
            tt_v4f e = tt__expf4(tt__v4f_load(s + j) - mv);
            tt__v4f_store(s + j, e);
            acc += e;
        }
        for (int l = 0; l < 4; l++) {
            sum += acc[l];
        }
        for (; j < lim; j++) {
            float e = tt__expf(s[j] - m);
            s[j] = e;
            sum += e;
        }
    }
    float inv = 1.0f / sum;
    TT_SIMD
    for (int64_t j = 0; j < lim; j++) {
        s[j] *= inv;
    }
    if (n > lim) {
        memset(s + lim, 0, (size_t)(n - lim) * sizeof(float));
    }
    /* END SOLUTION */
}

static int pick_threads(const tt_attn_view *v)
{
#ifdef TT_HAVE_OPENMP
    int nt = tt_get_num_threads();
    double flops = 4.0 * (double)v->B * v->H * v->Tq * v->Tk * v->d;
    if (nt > 1 && !omp_in_parallel() && v->B * v->H > 1 && flops > 4e6) {
        return nt;
    }
#else
    (void)v;
#endif
    return 1;
}

static void forward_one(const tt_attn_view *v, int64_t bh, const float *q, const float *k,
                        const float *val, float *o, float *P, bool causal, const uint8_t *key_mask,
                        const uint8_t *attn_mask, int64_t attn_mask_bs)
{
    int64_t b = bh / v->H, h = bh % v->H, Tq = v->Tq, Tk = v->Tk, d = v->d, off = Tk - Tq;
    const float *Q = q + b * v->q_bs + h * v->q_hs;
    const float *K = k + b * v->k_bs + h * v->k_hs;
    const float *V = val + b * v->v_bs + h * v->v_hs;
    float *O = o + b * v->o_bs + h * v->o_hs;
    float *Pb = P + bh * Tq * Tk;
    const uint8_t *km = key_mask ? key_mask + b * Tk : NULL;
    const uint8_t *am = attn_mask ? attn_mask + b * attn_mask_bs : NULL; /* [Tq, Tk] of batch row b */
    /* TODO: Pb = scale Q K^T with scale = 1/sqrt(d) (tt_sgemm), a softmax_row per query row i over its
     * keys (causal: only keys j <= i + off), then O = Pb V. Causal rows may go in blocks of
     * TT_ATTN_ROW_BLOCK that need only keys [0, r1 + off). Rows are ldq/ldk/ldv/ldo floats apart. */
    /* BEGIN SOLUTION */
    float scale = 1.0f / sqrtf((float)d);
    int64_t rb = causal ? TT_ATTN_ROW_BLOCK : Tq;
    for (int64_t r0 = 0; r0 < Tq; r0 += rb) {
        int64_t r1 = min64(Tq, r0 + rb);
        int64_t kend = causal ? min64(Tk, r1 + off) : Tk;
        if (kend <= 0) {
            memset(Pb + r0 * Tk, 0, (size_t)((r1 - r0) * Tk) * sizeof(float));
            for (int64_t i = r0; i < r1; i++) {
                memset(O + i * v->ldo, 0, (size_t)d * sizeof(float));
            }
            continue;
        }
        tt_sgemm(0, 1, r1 - r0, kend, d, scale, Q + r0 * v->ldq, v->ldq, K, v->ldk, 0.0f,
                 Pb + r0 * Tk, Tk);
        for (int64_t i = r0; i < r1; i++) {
            int64_t lim = causal ? min64(Tk, i + off + 1) : Tk;
            if (lim < 0) {
                lim = 0;
            }
            softmax_row(Pb + i * Tk, lim, Tk, km, am ? am + i * Tk : NULL);
        }
        tt_sgemm(0, 0, r1 - r0, d, kend, 1.0f, Pb + r0 * Tk, Tk, V, v->ldv, 0.0f, O + r0 * v->ldo,
                 v->ldo);
    }
    /* END SOLUTION */
}

void tt__attn_forward_masked(const tt_attn_view *v, const float *q, const float *k, const float *val,
                             float *o, float *P, bool causal, const uint8_t *key_mask,
                             const uint8_t *attn_mask, int64_t attn_mask_bs)
{
    int64_t n = v->B * v->H;
    int nt = pick_threads(v);
    if (nt > 1) {
#ifdef TT_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t bh = 0; bh < n; bh++) {
            forward_one(v, bh, q, k, val, o, P, causal, key_mask, attn_mask, attn_mask_bs);
        }
#endif
        return;
    }
    for (int64_t bh = 0; bh < n; bh++) {
        forward_one(v, bh, q, k, val, o, P, causal, key_mask, attn_mask, attn_mask_bs);
    }
}

void tt__attn_forward(const tt_attn_view *v, const float *q, const float *k, const float *val,
                      float *o, float *P, bool causal, const uint8_t *key_mask)
{
    tt__attn_forward_masked(v, q, k, val, o, P, causal, key_mask, NULL, 0);
}

static void backward_one(const tt_attn_view *v, int64_t bh, const float *q, const float *k,
                         const float *val, const float *P, const float *dO, float *dq, float *dk,
                         float *dv, float *dS, bool causal)
{
    int64_t b = bh / v->H, h = bh % v->H, Tq = v->Tq, Tk = v->Tk, d = v->d, off = Tk - Tq;
    int64_t qo = b * v->q_bs + h * v->q_hs, ko = b * v->k_bs + h * v->k_hs;
    int64_t vo = b * v->v_bs + h * v->v_hs, oo = b * v->o_bs + h * v->o_hs;
    const float *Q = q + qo, *K = k + ko, *V = val + vo, *G = dO + oo;
    const float *Pb = P + bh * Tq * Tk;
    /* TODO: add into dq, dk, dv (each may be NULL): dV += P^T dO; dP = dO V^T; dS = P * (dP - rowsum(P *
     * dP)) (in the scratch dS); dQ += scale dS K; dK += scale dS^T Q, with scale = 1/sqrt(d) */
    /* BEGIN SOLUTION */
    float scale = 1.0f / sqrtf((float)d);
    if (dv) { /* dV[Tk, d] += P^T dO */
        tt_sgemm(1, 0, Tk, d, Tq, 1.0f, Pb, Tk, G, v->ldo, 1.0f, dv + vo, v->ldv);
    }
    if (!dq && !dk) {
        return;
    }
    int64_t rb = causal ? TT_ATTN_ROW_BLOCK : Tq;
    for (int64_t r0 = 0; r0 < Tq; r0 += rb) {
        int64_t r1 = min64(Tq, r0 + rb);
        int64_t kend = causal ? min64(Tk, r1 + off) : Tk;
        if (kend <= 0) {
            memset(dS + r0 * Tk, 0, (size_t)((r1 - r0) * Tk) * sizeof(float));
            continue;
        }
        /* dP rows [r0, r1) = dO V^T, then dS = P * (dP - <P, dP>) in place */
        tt_sgemm(0, 1, r1 - r0, kend, d, 1.0f, G + r0 * v->ldo, v->ldo, V, v->ldv, 0.0f,
                 dS + r0 * Tk, Tk);
        for (int64_t i = r0; i < r1; i++) {
            float *s = dS + i * Tk;
            const float *p = Pb + i * Tk;
            float dot = 0.0f;
            TT_SIMD_SUM(dot)
            for (int64_t j = 0; j < kend; j++) {
                dot += p[j] * s[j];
            }
            TT_SIMD
            for (int64_t j = 0; j < kend; j++) {
                s[j] = p[j] * (s[j] - dot);
            }
            if (Tk > kend) {
                memset(s + kend, 0, (size_t)(Tk - kend) * sizeof(float));
            }
        }
        if (dq) { /* dQ rows += s dS K */
            tt_sgemm(0, 0, r1 - r0, d, kend, scale, dS + r0 * Tk, Tk, K, v->ldk, 1.0f,
                     dq + qo + r0 * v->ldq, v->ldq);
        }
    }
    if (dk) { /* dK[Tk, d] += s dS^T Q */
        tt_sgemm(1, 0, Tk, d, Tq, scale, dS, Tk, Q, v->ldq, 1.0f, dk + ko, v->ldk);
    }
    /* END SOLUTION */
}

void tt__attn_backward(const tt_attn_view *v, const float *q, const float *k, const float *val,
                       const float *P, const float *dO, float *dq, float *dk, float *dv,
                       float *scratch, bool causal)
{
    int64_t n = v->B * v->H, TT = v->Tq * v->Tk;
    int nt = pick_threads(v);
    if (nt > 1) {
#ifdef TT_HAVE_OPENMP
        /* scratch must hold nt * Tq * Tk floats (tt__attn_scratch_floats) */
#pragma omp parallel num_threads(nt)
        {
            float *mine = scratch + (int64_t)omp_get_thread_num() * TT;
#pragma omp for schedule(static)
            for (int64_t bh = 0; bh < n; bh++) {
                backward_one(v, bh, q, k, val, P, dO, dq, dk, dv, mine, causal);
            }
        }
#endif
        return;
    }
    for (int64_t bh = 0; bh < n; bh++) {
        backward_one(v, bh, q, k, val, P, dO, dq, dk, dv, scratch, causal);
    }
}

int64_t tt__attn_scratch_floats(const tt_attn_view *v)
{
    return (int64_t)pick_threads(v) * v->Tq * v->Tk;
}
