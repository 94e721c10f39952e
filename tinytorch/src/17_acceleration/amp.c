/* amp.c - mixed precision (module 17): bf16 / fp16 conversions, the half-operand GEMM, the matmul
 * precision switch that tt_sgemm reads, and the dynamic loss scaling of fp16 training (amp.h).
 *
 * Rounding, fp32 -> bf16: keep the top 16 bits after adding 0x7FFF plus the lowest kept bit (ties go
 * to the even neighbour); a carry into the exponent gives the next power of two or infinity.
 * fp32 -> fp16: rebias the exponent (127 -> 15), round 13 mantissa bits away the same way; values
 * below 2^-14 become subnormal (a multiple of 2^-24, rounded with the FPU's nearest-even), values
 * from 65520 up become infinity (65504 is the largest fp16). NaN: a quiet NaN with the payload's
 * top bits, as vcvtps2ph gives, so the AVX-512 path and this one agree bit for bit.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cpu.h"
#include "amp_internal.h"
#include "tinytorch/amp.h"
#include "tinytorch/autograd.h"

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

const char *tt_precision_name(tt_precision p)
{
    return p == TT_BF16 ? "bf16" : p == TT_FP16 ? "fp16" : "fp32";
}

uint16_t tt_f32_to_bf16(float x)
{
    uint32_t u = bits_of(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return (uint16_t)((u >> 16) | 0x40u); /* NaN: keep it quiet */
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float tt_bf16_to_f32(uint16_t h) { return float_of((uint32_t)h << 16); }

uint16_t tt_f32_to_f16(float x)
{
    const uint32_t u = bits_of(x), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a > 0x7f800000u) {
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN */
    }
    if (a >= 0x477ff000u) {
        return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to infinity (and infinity) */
    }
    if (a < 0x38800000u) {
        /* below 2^-14: a subnormal fp16, k * 2^-24 with k rounded to nearest even (k may reach
         * 0x400, the smallest normal, which is then its right encoding) */
        return (uint16_t)(sign | (uint32_t)lrintf(float_of(a) * 0x1p24f));
    }
    const uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
}

float tt_f16_to_f32(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        const float v = (float)m * 0x1p-24f;
        return sign ? -v : v;
    }
    if (e == 31) {
        return float_of(sign | 0x7f800000u | (m << 13));
    }
    return float_of(sign | ((e + 112u) << 23) | (m << 13));
}

#ifdef TT_AMP_X86
static int use_avx512(void) { return tt__cpu_has(TT_CPU_AVX512F); }
#endif

void tt_f32_to_half_n(tt_precision p, const float *x, uint16_t *h, int64_t n)
{
#ifdef TT_AMP_X86
    if (use_avx512()) {
        tt_amp_avx512_to_half(p == TT_FP16, x, h, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) {
        h[i] = p == TT_FP16 ? tt_f32_to_f16(x[i]) : tt_f32_to_bf16(x[i]);
    }
}

void tt_half_to_f32_n(tt_precision p, const uint16_t *h, float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        x[i] = p == TT_FP16 ? tt_f16_to_f32(h[i]) : tt_bf16_to_f32(h[i]);
    }
}

/* ---- the half-operand GEMM ------------------------------------------------------------------------ */

/* op(X) of a [R, Cc] operand into a row-major half copy dst [R][ld] (columns Cc..ld zero). */
static void copy_op(tt_precision p, int trans, const float *X, int64_t ldx, int64_t R, int64_t Cc,
                    uint16_t *dst, int64_t ld)
{
    for (int64_t r = 0; r < R; r++) {
        uint16_t *d = dst + r * ld;
        if (!trans) {
            tt_f32_to_half_n(p, X + r * ldx, d, Cc);
        } else {
            for (int64_t c = 0; c < Cc; c++) {
                const float v = X[c * ldx + r];
                d[c] = p == TT_FP16 ? tt_f32_to_f16(v) : tt_f32_to_bf16(v);
            }
        }
        memset(d + Cc, 0, (size_t)(ld - Cc) * sizeof *d);
    }
}

static float widen(tt_precision p, uint16_t h) { return p == TT_FP16 ? tt_f16_to_f32(h) : tt_bf16_to_f32(h); }

/* Portable kernel on row-major copies: Ah [M][K], Bh [K][ldb]. One fmaf per term, k in order, then
 * C = alpha * acc (+ beta * C as one fmaf): the AVX-512 kernel does the same operations. */
static void gemm_half_portable(tt_precision p, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t *Ah,
                               int64_t lda, const uint16_t *Bh, int64_t ldb, float beta, float *C, int64_t ldc,
                               float *acc)
{
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            acc[j] = 0.0f;
        }
        for (int64_t k = 0; k < K; k++) {
            const float a = widen(p, Ah[i * lda + k]);
            const uint16_t *b = Bh + k * ldb;
            for (int64_t j = 0; j < N; j++) {
                acc[j] = fmaf(a, widen(p, b[j]), acc[j]);
            }
        }
        float *c = C + i * ldc;
        for (int64_t j = 0; j < N; j++) {
            c[j] = beta == 0.0f ? alpha * acc[j] : fmaf(beta, c[j], alpha * acc[j]);
        }
    }
}

static _Thread_local uint16_t *scratch;
static _Thread_local size_t scratch_cap;
static _Atomic int64_t copy_peak, products; /* products may run on several threads at once */

static uint16_t *scratch_get(size_t n)
{
    if (n > scratch_cap) {
        uint16_t *p = realloc(scratch, n * sizeof *p);
        if (!p) {
            tt_fatal("tt_sgemm (%s operands): out of memory for %zu bytes of operand copies",
                     "low precision", n * sizeof *p);
        }
        scratch = p;
        scratch_cap = n;
    }
    return scratch;
}

/* The low-precision tt_sgemm: half copies of op(A) [M, K] and op(B) [K, N] (rows padded to a whole
 * number of 32-column vectors for the kernel's loads; padding zero), then the kernel. */
void tt__gemm_lowp(tt_precision p, int transa, int transb, int64_t M, int64_t N, int64_t K, float alpha,
                   const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    /* A's rows padded to a multiple of 4 (the AVX-512 tile reads 4), B's to 32 columns (2 vectors) */
    const int64_t ldah = K, ldbh = (N + 31) / 32 * 32, Mp = (M + 3) / 4 * 4;
    const size_t na = (size_t)(Mp * ldah), nb = (size_t)(K * ldbh);
    uint16_t *Ah = scratch_get(na + nb + (size_t)N * 2 + 32); /* + fp32 accumulators of one row */
    uint16_t *Bh = Ah + na;
    copy_op(p, transa, A, lda, M, K, Ah, ldah);
    memset(Ah + M * ldah, 0, (size_t)((Mp - M) * ldah) * sizeof *Ah);
    copy_op(p, transb, B, ldb, K, N, Bh, ldbh);
    const int64_t bytes = (int64_t)((M * ldah + K * ldbh) * 2);
    int64_t seen = atomic_load(&copy_peak);
    while (bytes > seen && !atomic_compare_exchange_weak(&copy_peak, &seen, bytes)) {
    }
    atomic_fetch_add(&products, 1);
#ifdef TT_AMP_X86
    if (use_avx512()) {
        tt_amp_avx512_gemm(p == TT_FP16, M, N, K, alpha, Ah, ldah, Bh, ldbh, beta, C, ldc);
        return;
    }
#endif
    float *acc = (float *)(void *)(((uintptr_t)(Bh + nb) + 15) & ~(uintptr_t)15);
    gemm_half_portable(p, M, N, K, alpha, Ah, ldah, Bh, ldbh, beta, C, ldc, acc);
}

void tt_gemm_half(tt_precision p, int transa, int transb, int64_t M, int64_t N, int64_t K, float alpha,
                  const uint16_t *A, int64_t lda, const uint16_t *B, int64_t ldb, float beta, float *C,
                  int64_t ldc)
{
    if (M <= 0 || N <= 0) {
        return;
    }
    /* widen into fp32 and back: the copies are exact (every half value is a float), so this is the
     * low-precision product of the given values */
    float *Af = malloc((size_t)(M * K + K * N + 1) * sizeof(float));
    if (!Af) {
        tt_fatal("tt_gemm_half: out of memory for a [%lld, %lld] x [%lld, %lld] product", (long long)M,
                 (long long)K, (long long)K, (long long)N);
    }
    float *Bf = Af + M * K;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t k = 0; k < K; k++) {
            Af[i * K + k] = widen(p, transa ? A[k * lda + i] : A[i * lda + k]);
        }
    }
    for (int64_t k = 0; k < K; k++) {
        for (int64_t j = 0; j < N; j++) {
            Bf[k * N + j] = widen(p, transb ? B[j * ldb + k] : B[k * ldb + j]);
        }
    }
    if (K <= 0 || alpha == 0.0f) {
        for (int64_t i = 0; i < M; i++) {
            for (int64_t j = 0; j < N; j++) {
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
            }
        }
    } else {
        tt__gemm_lowp(p, 0, 0, M, N, K, alpha, Af, K, Bf, N, beta, C, ldc);
    }
    free(Af);
}

static tt_precision matmul_precision = TT_FP32;

void tt_set_matmul_precision(tt_precision p) { matmul_precision = p; }
tt_precision tt_get_matmul_precision(void) { return matmul_precision; }

int64_t tt_amp_copy_bytes_peak(void) { return atomic_load(&copy_peak); }
int64_t tt_amp_products(void) { return atomic_load(&products); }
void tt_amp_stats_reset(void)
{
    atomic_store(&copy_peak, 0);
    atomic_store(&products, 0);
}

/* ---- dynamic loss scaling ------------------------------------------------------------------------- */

tt_amp tt_amp_init(tt_precision p)
{
    tt_amp a = {p, p == TT_FP16 ? 65536.0f : 1.0f, 2.0f, 0.5f, 2000, 0, 0};
    return a;
}

int tt_amp_train_step(void *model, tt_optimizer *opt, const tt_batch *b, tt_amp *amp, const tt_step_opts *opts,
                      tt_step_result *r)
{
    tt_step_opts o = opts ? *opts : (tt_step_opts){0};
    if (o.accumulate || (o.loss_scale != 0.0f && o.loss_scale != 1.0f)) {
        tt_fatal("tt_amp_train_step: opts.accumulate and opts.loss_scale are the step's own (loss scale "
                 "%g, accumulate %d); leave them 0 and let the amp state scale the loss",
                 (double)o.loss_scale, (int)o.accumulate);
    }
    const bool scaled = amp->precision == TT_FP16;
    tt_step_opts bw = o;
    bw.accumulate = true; /* forward + backward only: the update is decided here */
    bw.loss_scale = scaled ? amp->scale : 0.0f;
    bw.sched = NULL;
    const tt_precision saved = tt_get_matmul_precision();
    tt_set_matmul_precision(amp->precision);
    tt_step_result res;
    const int rc = tt_train_step(model, opt, b, &bw, &res);
    tt_set_matmul_precision(saved);
    res.stepped = false;
    res.grad_norm = NAN;
    int out = rc;
    if (rc == 0) {
        int n = 0;
        tt_tensor *const *p = tt_optim_params(opt, &n);
        bool finite = true;
        for (int i = 0; i < n && finite; i++) {
            const float *g = p[i]->grad;
            for (int64_t k = 0; g && k < p[i]->numel; k++) {
                if (!isfinite(g[k])) {
                    finite = false;
                    break;
                }
            }
        }
        if (!finite) {
            tt_optim_zero_grad(opt);
            amp->scale *= amp->backoff;
            amp->good_steps = 0;
            amp->skipped++;
            out = 1;
        } else {
            if (scaled) {
                const float inv = 1.0f / amp->scale;
                for (int i = 0; i < n; i++) {
                    float *g = p[i]->grad;
                    for (int64_t k = 0; g && k < p[i]->numel; k++) {
                        g[k] *= inv;
                    }
                }
            }
            if (o.clip_norm > 0) {
                res.grad_norm = tt_clip_grad_norm(p, n, o.clip_norm);
            }
            tt_optim_step(opt);
            if (o.sched) {
                tt_scheduler_step(o.sched);
            }
            tt_optim_zero_grad(opt);
            res.stepped = true;
            if (scaled && ++amp->good_steps >= amp->growth_interval) {
                amp->scale *= amp->growth;
                amp->good_steps = 0;
            }
        }
    }
    if (r) {
        *r = res;
    }
    return out;
}
