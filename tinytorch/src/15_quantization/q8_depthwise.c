/* q8_depthwise.c - the int32 sums of a depthwise int8 convolution (module 15): one kh x kw filter per
 * channel, the first half of a depthwise-separable block (MobileNet, DS-CNN). Two paths, the same
 * bits (integer sums are exact):
 *   portable  plain loops, any stride, positions outside the input skipped (they hold x = zp);
 *   avx2      stride 1 only: each channel is widened once into a zero-padded int16 plane of x - zp,
 *             then 8 outputs of a row at a time take, per tap, 8 widened inputs times the broadcast
 *             weight (vpmovsxwd, vpmulld, vpaddd); the row's tail runs the portable sum.
 * The avx2 path runs whenever the int8 kernel choice (tt_q8_kernel) is not "portable": avx512 and vnni
 * imply AVX2. tt_qmodel runs it for every depthwise conv op (qmodel.c, dwconv_image).
 */
#include "q8_internal.h"

#include <stdlib.h>
#include <string.h>
#include "tinytorch/quant.h"

#ifdef TT_Q8_X86
#include <immintrin.h>
#endif

static void dw_portable_channel(const int8_t *x, int64_t H, int64_t W, int32_t zp, const int8_t *w, int64_t kh,
                                int64_t kw, int stride, int padding, int64_t ho, int64_t wo, int32_t *acc)
{
    for (int64_t oy = 0; oy < ho; oy++) {
        for (int64_t ox = 0; ox < wo; ox++) {
            int32_t s = 0;
            for (int64_t i = 0; i < kh; i++) {
                const int64_t y = oy * stride + i - padding;
                if (y < 0 || y >= H) {
                    continue;
                }
                for (int64_t j = 0; j < kw; j++) {
                    const int64_t xx = ox * stride + j - padding;
                    if (xx >= 0 && xx < W) {
                        s += ((int32_t)x[y * W + xx] - zp) * (int32_t)w[i * kw + j];
                    }
                }
            }
            acc[oy * wo + ox] = s;
        }
    }
}

#ifdef TT_Q8_X86
__attribute__((target("avx2"))) static void dw_avx2_channel(const int16_t *xp, int64_t wp, const int8_t *w,
                                                             int64_t kh, int64_t kw, int64_t ho, int64_t wo,
                                                             int32_t *acc)
{
    for (int64_t oy = 0; oy < ho; oy++) {
        int64_t ox = 0;
        for (; ox + 8 <= wo; ox += 8) {
            __m256i s = _mm256_setzero_si256();
            for (int64_t i = 0; i < kh; i++) {
                const int16_t *r = xp + (oy + i) * wp + ox;
                for (int64_t j = 0; j < kw; j++) {
                    const __m256i v = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(r + j)));
                    s = _mm256_add_epi32(s, _mm256_mullo_epi32(v, _mm256_set1_epi32(w[i * kw + j])));
                }
            }
            _mm256_storeu_si256((__m256i *)(void *)(acc + oy * wo + ox), s);
        }
        for (; ox < wo; ox++) {
            int32_t s = 0;
            for (int64_t i = 0; i < kh; i++) {
                for (int64_t j = 0; j < kw; j++) {
                    s += (int32_t)xp[(oy + i) * wp + ox + j] * (int32_t)w[i * kw + j];
                }
            }
            acc[oy * wo + ox] = s;
        }
    }
}
#endif

void tt_q8_depthwise(const int8_t *x, int64_t C, int64_t H, int64_t W, int32_t zp, const int8_t *w, int64_t kh,
                     int64_t kw, int stride, int padding, int32_t *acc)
{
    const int64_t ho = (H + 2 * padding - kh) / stride + 1, wo = (W + 2 * padding - kw) / stride + 1;
    if (C <= 0 || ho <= 0 || wo <= 0) {
        return;
    }
#ifdef TT_Q8_X86
    if (stride == 1 && strcmp(tt_q8_kernel(), "portable") != 0) {
        const int64_t hp = H + 2 * padding, wp = W + 2 * padding;
        int16_t *xp = calloc((size_t)(hp * wp), sizeof *xp);
        if (xp) {
            for (int64_t c = 0; c < C; c++) {
                const int8_t *xc = x + c * H * W;
                for (int64_t i = 0; i < H; i++) {
                    for (int64_t j = 0; j < W; j++) {
                        xp[(i + padding) * wp + j + padding] = (int16_t)(xc[i * W + j] - zp);
                    }
                }
                dw_avx2_channel(xp, wp, w + c * kh * kw, kh, kw, ho, wo, acc + c * ho * wo);
            }
            free(xp);
            return;
        }
        /* out of memory for the plane: the portable loops need none */
    }
#endif
    for (int64_t c = 0; c < C; c++) {
        dw_portable_channel(x + c * H * W, H, W, zp, w + c * kh * kw, kh, kw, stride, padding, ho, wo,
                            acc + c * ho * wo);
    }
}
