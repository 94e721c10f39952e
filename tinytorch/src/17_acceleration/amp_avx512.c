/* amp_avx512.c - AVX-512 kernels of mixed precision (x86-64 only, chosen at run time by amp.c).
 *
 * To half: bf16 by integer rounding on 16 floats at once (the rule of tt_f32_to_bf16); fp16 with
 * vcvtps2ph (the F16C conversion, here at 512 bits), round to nearest even.
 * GEMM: a register tile of 4 rows x 32 columns (8 accumulators). Per k: 32 halves of a row of B are
 * widened in registers (bf16: zero-extend to 32 bits and shift left by 16; fp16: vcvtph2ps), each
 * of the 4 values of A widened and broadcast, 8 FMAs. fp32 accumulation, k in order, so the result is
 * the portable kernel's bit for bit.
 */
#include <string.h>

#include "amp_internal.h"

#ifdef TT_AMP_X86
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,f16c")))
#define INL static inline __attribute__((always_inline, target("avx512f,f16c")))

INL __m256i bf16_of(__m512 v)
{
    const __m512i x = _mm512_castps_si512(v);
    const __m512i hi = _mm512_srli_epi32(x, 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7fffffff)),
                                                  _mm512_set1_epi32(0x7f800000));
    const __m512i odd = _mm512_and_si512(hi, _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)), odd), 16);
    r = _mm512_mask_blend_epi32(nan, r, _mm512_or_si512(hi, _mm512_set1_epi32(0x40)));
    return _mm512_cvtepi32_epi16(r);
}

AVX512 void tt_amp_avx512_to_half(int fp16, const float *x, uint16_t *h, int64_t n)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m256i r = fp16 ? _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC) : bf16_of(v);
        _mm256_storeu_si256((__m256i *)(void *)(h + i), r);
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        const __m256i r = fp16 ? _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC) : bf16_of(v);
        uint16_t tmp[16];
        _mm256_storeu_si256((__m256i *)(void *)tmp, r);
        memcpy(h + i, tmp, (size_t)(n - i) * sizeof *h);
    }
}

INL __m512 widen16(int fp16, const uint16_t *p)
{
    const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
    if (fp16) {
        return _mm512_cvtph_ps(v);
    }
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16));
}

INL __m512 widen1(int fp16, uint16_t h)
{
    if (fp16) {
        return _mm512_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)h)));
    }
    return _mm512_castsi512_ps(_mm512_set1_epi32((int)((uint32_t)h << 16)));
}

INL void tile(const int fp16, int64_t mr, int64_t nc, int64_t K, float alpha, const uint16_t *A, int64_t lda,
              const uint16_t *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    __m512 acc[4][2];
    for (int r = 0; r < 4; r++) {
        acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    }
    for (int64_t k = 0; k < K; k++) {
        const __m512 b0 = widen16(fp16, B + k * ldb), b1 = widen16(fp16, B + k * ldb + 16);
        for (int r = 0; r < 4; r++) {
            const __m512 a = widen1(fp16, A[r * lda + k]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int64_t r = 0; r < mr; r++) {
        for (int v = 0; v < 2; v++) {
            const int64_t left = nc - 16 * v;
            if (left <= 0) {
                break;
            }
            const __mmask16 m = (__mmask16)(left >= 16 ? 0xffffu : (1u << left) - 1u);
            float *c = C + r * ldc + 16 * v;
            __m512 t = _mm512_mul_ps(va, acc[r][v]);
            if (beta != 0.0f) {
                t = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, c), t);
            }
            _mm512_mask_storeu_ps(c, m, t);
        }
    }
}

static AVX512 void gemm_bf16(int64_t M, int64_t N, int64_t K, float alpha, const uint16_t *Ah, int64_t lda,
                             const uint16_t *Bh, int64_t ldb, float beta, float *C, int64_t ldc)
{
    for (int64_t i0 = 0; i0 < M; i0 += 4) {
        for (int64_t j0 = 0; j0 < N; j0 += 32) {
            tile(0, M - i0 < 4 ? M - i0 : 4, N - j0, K, alpha, Ah + i0 * lda, lda, Bh + j0, ldb, beta,
                 C + i0 * ldc + j0, ldc);
        }
    }
}

static AVX512 void gemm_fp16(int64_t M, int64_t N, int64_t K, float alpha, const uint16_t *Ah, int64_t lda,
                             const uint16_t *Bh, int64_t ldb, float beta, float *C, int64_t ldc)
{
    for (int64_t i0 = 0; i0 < M; i0 += 4) {
        for (int64_t j0 = 0; j0 < N; j0 += 32) {
            tile(1, M - i0 < 4 ? M - i0 : 4, N - j0, K, alpha, Ah + i0 * lda, lda, Bh + j0, ldb, beta,
                 C + i0 * ldc + j0, ldc);
        }
    }
}

void tt_amp_avx512_gemm(int fp16, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t *Ah, int64_t lda,
                        const uint16_t *Bh, int64_t ldb, float beta, float *C, int64_t ldc)
{
    (fp16 ? gemm_fp16 : gemm_bf16)(M, N, K, alpha, Ah, lda, Bh, ldb, beta, C, ldc);
}

#else
typedef int tt_amp_avx512_unused; /* ISO C forbids an empty translation unit */
#endif
