/* q8_gemm.c - the int8 layers' product C = A @ B on int16 pairs: the portable kernel, B packing and
 * the run-time choice of path (module 15).
 *
 * Layout. A is int16 [M, kp] (kp even); B is packed so that one 32-bit load holds the two values of
 * a column for consecutive k:  Bp[p][n][2] = {B[2p, n], B[2p+1, n]}. A 32-bit broadcast of
 * {A[m, 2p], A[m, 2p+1]} times a vector of Bp gives, in each 32-bit lane n, A[m,2p]*B[2p,n] +
 * A[m,2p+1]*B[2p+1,n]: exactly what vpmaddwd computes (and vpdpwssd accumulates). Values are
 * int8 - zero point (|v| <= 255) and int8 weights (|w| <= 127): a pair sum is at most 64,770 (no
 * int16 saturation is involved: vpmaddwd sums into 32 bits) and K * 127 * 255 < 2^31 for any
 * K < 66,000, so every path computes the exact integer result.
 */
#include "../common/cpu.h"
#include "q8_internal.h"
#include "tinytorch/quant.h"
#include "tinytorch/tensor.h"

#include <stdlib.h>
#include <string.h>

void tt_q8_kernel_portable(TT_Q8_KERNEL_ARGS)
{
    /* TODO: for every row m and column n < np: C[m * ldc + n] = sum over pairs p of
     * A[m, 2p] * B[2 (boff[p] + n)] + A[m, 2p + 1] * B[2 (boff[p] + n) + 1], summed in int32 */
    /* BEGIN SOLUTION */
    for (int64_t n0 = 0; n0 < np; n0 += TT_Q8_NP) {
        for (int64_t m = 0; m < M; m++) {
            int32_t acc[TT_Q8_NP] = {0};
            const int16_t *a = A + m * lda;
            for (int64_t p = 0; p < npairs; p++) {
                const int32_t a0 = a[2 * p], a1 = a[2 * p + 1];
                const int16_t *b = B + (boff[p] + n0) * 2;
                for (int j = 0; j < TT_Q8_NP; j++) {
                    acc[j] += a0 * b[2 * j] + a1 * b[2 * j + 1];
                }
            }
            memcpy(C + m * ldc + n0, acc, sizeof acc);
        }
    }
    /* END SOLUTION */
}

void tt_q8q_kernel_portable(TT_Q8Q_KERNEL_ARGS)
{
    for (int64_t n0 = 0; n0 < np; n0 += TT_Q8_NP) {
        for (int64_t m = 0; m < M; m++) {
            int32_t acc[TT_Q8_NP] = {0};
            const uint8_t *a = A + m * lda;
            for (int64_t q = 0; q < nquads; q++) {
                const uint8_t *b = B + (boff[q] + n0) * 4;
                for (int k = 0; k < 4; k++) {
                    const int32_t ak = a_unsigned ? (int32_t)a[4 * q + k] : (int32_t)(int8_t)a[4 * q + k];
                    for (int j = 0; j < TT_Q8_NP; j++) {
                        acc[j] += ak * (a_unsigned ? (int32_t)(int8_t)b[4 * j + k] : (int32_t)b[4 * j + k]);
                    }
                }
            }
            memcpy(C + m * ldc + n0, acc, sizeof acc);
        }
    }
}

void tt_q8c_kernel_portable(TT_Q8C_KERNEL_ARGS)
{
    for (int64_t r = 0; r < R; r++) {
        for (int64_t cb = 0; cb < ncb; cb++) {
            int32_t acc[16] = {0};
            for (int64_t t = 0; t < ntaps; t++) {
                const uint8_t *x = X + 4 * (pos[r] + off[t]), *w = W + (t * ncb + cb) * 64;
                for (int j = 0; j < 16; j++) {
                    for (int k = 0; k < 4; k++) {
                        acc[j] += (int32_t)x[k] * (int8_t)w[4 * j + k];
                    }
                }
            }
            memcpy(C + r * ldc + 16 * cb, acc, sizeof acc);
        }
    }
}

void tt_q8_quads_portable(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3, int64_t n,
                          uint8_t *out)
{
    for (int64_t i = 0; i < n; i++) {
        out[4 * i] = p0[i];
        out[4 * i + 1] = p1[i];
        out[4 * i + 2] = p2[i];
        out[4 * i + 3] = p3[i];
    }
}

void tt_q8_pack_b(const int16_t *B, int64_t K, int64_t N, int64_t ldb, int16_t *Bp, int64_t np)
{
    const int64_t kp = K + (K & 1);
    /* TODO: Bp[p][n] = {B[2p, n], B[2p + 1, n]} for n < np, 0 past column N and past row K - 1 */
    /* BEGIN SOLUTION */
    for (int64_t p = 0; p < kp / 2; p++) {
        int16_t *d = Bp + p * np * 2;
        const int16_t *r0 = B + 2 * p * ldb, *r1 = 2 * p + 1 < K ? r0 + ldb : NULL;
        for (int64_t n = 0; n < np; n++) {
            d[2 * n] = n < N ? r0[n] : 0;
            d[2 * n + 1] = n < N && r1 ? r1[n] : 0;
        }
    }
    /* END SOLUTION */
}

/* ---- the path ------------------------------------------------------------------------------------- */

enum { Q8_PORTABLE, Q8_AVX2, Q8_AVX512, Q8_VNNI, Q8_COUNT };
static const char *const q8_names[Q8_COUNT] = {"portable", "avx2", "avx512", "vnni"};
static const tt_q8_kernel_fn q8_fns[Q8_COUNT] = {
    tt_q8_kernel_portable,
#ifdef TT_Q8_X86
    tt_q8_kernel_avx2, tt_q8_kernel_avx512, tt_q8_kernel_vnni,
#endif
};

static int q8_supported(int p)
{
    switch (p) {
    case Q8_PORTABLE:
        return 1;
#ifdef TT_Q8_X86
    case Q8_AVX2:
        return tt__cpu_has(TT_CPU_AVX2);
    case Q8_AVX512:
        return tt__cpu_has(TT_CPU_AVX512F | TT_CPU_AVX512BW);
    case Q8_VNNI:
        return tt__cpu_has(TT_CPU_AVX512F | TT_CPU_AVX512BW | TT_CPU_AVX512VNNI);
#endif
    default:
        return 0;
    }
}

static int q8_best(void)
{
    for (int p = Q8_COUNT - 1; p > 0; p--) {
        if (q8_supported(p)) {
            return p;
        }
    }
    return Q8_PORTABLE;
}

static int q8_path = -1;

static int q8_find(const char *name)
{
    for (int p = 0; p < Q8_COUNT; p++) {
        if (name && strcmp(name, q8_names[p]) == 0) {
            return p;
        }
    }
    return -1;
}

static int q8_current(void)
{
    if (q8_path < 0) {
        const char *env = getenv("TT_Q8_KERNEL");
        int p = env && *env && strcmp(env, "auto") != 0 ? q8_find(env) : -1;
        q8_path = p >= 0 && q8_supported(p) ? p : q8_best();
    }
    return q8_path;
}

int tt_q8_kernel_supported(const char *name)
{
    int p = q8_find(name);
    return p >= 0 && q8_supported(p);
}

int tt_q8_set_kernel(const char *name)
{
    if (name && strcmp(name, "auto") == 0) {
        q8_path = q8_best();
        return 0;
    }
    int p = q8_find(name);
    if (p < 0 || !q8_supported(p)) {
        return -1;
    }
    q8_path = p;
    return 0;
}

const char *tt_q8_kernel(void) { return q8_names[q8_current()]; }

tt_q8_kernel_fn tt_q8_kernel_fn_current(void) { return q8_fns[q8_current()]; }

void tt_q8_requant_portable(const int32_t *acc, int64_t n, const int32_t *bias, const int32_t *mult,
                            const int32_t *shift, int stride, int32_t zp, int32_t lo, int8_t *out)
{
    /* TODO: out[i] = clamp(zp + tt_requant(acc[i] + bias[j], mult[j], shift[j]), lo, 127) with j = i
     * (stride 1) or 0 (stride 0) */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < n; i++) {
        const int64_t j = stride ? i : 0;
        int32_t v = zp + tt_requant(acc[i] + bias[j], mult[j], shift[j]);
        out[i] = (int8_t)(v < lo ? lo : v > 127 ? 127 : v);
    }
    /* END SOLUTION */
}

/* The choice of the path in use: the AVX-512 epilogues on the avx512 and vnni paths, the AVX2 ones
 * (requantization, pool, input conversion) on the avx2 path, the byte-quad kernels on the vnni path only (else the portable
 * version, or NULL: no quad kernel). */
#ifdef TT_Q8_X86
#define Q8_AVX512_OR(avx512, portable) (q8_current() == Q8_AVX512 || q8_current() == Q8_VNNI ? (avx512) : (portable))
#define Q8_AVX2_OR(avx2, other) (q8_current() == Q8_AVX2 ? (avx2) : (other))
#define Q8_VNNI_OR(vnni, other) (q8_current() == Q8_VNNI ? (vnni) : (other))
#else
#define Q8_AVX512_OR(avx512, portable) (portable)
#define Q8_AVX2_OR(avx2, other) (other)
#define Q8_VNNI_OR(vnni, other) (other)
#endif

tt_q8q_kernel_fn tt_q8q_kernel_fn_current(void) { return Q8_VNNI_OR(tt_q8q_kernel_vnni, NULL); }

tt_q8c_kernel_fn tt_q8c_kernel_fn_current(void) { return Q8_VNNI_OR(tt_q8c_kernel_vnni, NULL); }

void tt_q8_requant_rows_portable(const int32_t *acc, int64_t lda, int64_t rows, int64_t n, const int32_t *bias,
                                 const int32_t *mult, const int32_t *shift, int32_t zp, int32_t lo, int8_t *out,
                                 int64_t ldo)
{
    for (int64_t r = 0; r < rows; r++) {
        tt_q8_requant_portable(acc + r * lda, n, bias, mult, shift, 1, zp, lo, out + r * ldo);
    }
}

tt_q8_requant_rows_fn tt_q8_requant_rows_fn_current(void)
{
    return Q8_AVX2_OR(tt_q8_requant_rows_avx2, Q8_AVX512_OR(tt_q8_requant_rows_avx512, tt_q8_requant_rows_portable));
}

tt_q8_requant_fn tt_q8_requant_fn_current(void)
{
    return Q8_AVX2_OR(tt_q8_requant_avx2, Q8_AVX512_OR(tt_q8_requant_avx512, tt_q8_requant_portable));
}

void tt_q8_pool2_portable(const int32_t *a, int64_t lda, int64_t hq, int64_t wq, int32_t *row)
{
    for (int64_t oy = 0; oy < hq; oy++) {
        const int32_t *r0 = a + 2 * oy * lda, *r1 = r0 + lda;
        for (int64_t ox = 0; ox < wq; ox++) {
            const int32_t v0 = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
            const int32_t v1 = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
            row[oy * wq + ox] = v0 > v1 ? v0 : v1;
        }
    }
}

void tt_q8_pool2c_portable(int32_t *a, int64_t wo, int64_t hq, int64_t wq, int64_t C)
{
    for (int64_t py = 0; py < hq; py++) {
        for (int64_t px = 0; px < wq; px++) {
            const int32_t *a0 = a + (2 * py * wo + 2 * px) * C, *a1 = a0 + C, *a2 = a0 + wo * C, *a3 = a2 + C;
            int32_t *d = a + (py * wq + px) * C;
            for (int64_t c = 0; c < C; c++) {
                const int32_t m0 = a0[c] > a1[c] ? a0[c] : a1[c], m1 = a2[c] > a3[c] ? a2[c] : a3[c];
                d[c] = m0 > m1 ? m0 : m1;
            }
        }
    }
}

tt_q8_pool2c_fn tt_q8_pool2c_fn_current(void)
{
    return Q8_AVX512_OR(tt_q8_pool2c_avx512, tt_q8_pool2c_portable);
}

tt_q8_pool2_fn tt_q8_pool2_fn_current(void)
{
    return Q8_AVX2_OR(tt_q8_pool2_avx2, Q8_AVX512_OR(tt_q8_pool2_avx512, tt_q8_pool2_portable));
}

tt_q8_pool2rq_fn tt_q8_pool2rq_fn_current(void) { return Q8_AVX512_OR(tt_q8_pool2rq_avx512, NULL); }

tt_q8_quantize_fn tt_q8_quantize_fn_current(void)
{
    return Q8_AVX2_OR(tt_q8_quantize_avx2, Q8_AVX512_OR(tt_q8_quantize_avx512, tt_quantize_i8));
}

void tt_q8_gemm(int64_t M, int64_t N, int64_t kp, const int16_t *A, const int16_t *Bp, int64_t np,
                int32_t *C, int64_t ldc)
{
    (void)N; /* columns N..np-1 are computed too (zeros): C must have room for np columns */
    if (M <= 0 || np <= 0) {
        return;
    }
    int64_t *boff = malloc((size_t)(kp / 2 + 1) * sizeof *boff);
    if (!boff) {
        tt_fatal("tt_q8_gemm: out of memory");
    }
    for (int64_t p = 0; p < kp / 2; p++) {
        boff[p] = p * np;
    }
    q8_fns[q8_current()](M, kp / 2, A, kp, Bp, boff, np, C, ldc);
    free(boff);
}
