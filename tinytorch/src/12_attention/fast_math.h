/* fast_math.h - vectorisable exp and tanh for the language modules' inner loops (internal).
 *
 * tt__expf: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-6 Taylor polynomial
 * (truncation error r^7/7! < 1.3e-7 relative, about one float ulp), scaled by 2^n built from bits.
 * Inputs are clamped to [-87, 88] (no inf/denormal results). No libm call, so a loop of them
 * vectorises (TT_SIMD asks for it where OpenMP's simd pragma is available).
 */
#ifndef TT_FAST_MATH_H
#define TT_FAST_MATH_H

#include <stdint.h>
#include <string.h>

#if defined(_OPENMP)
#define TT_PRAGMA_(x) _Pragma(#x)
#define TT_SIMD TT_PRAGMA_(omp simd)
#define TT_SIMD_SUM(v) TT_PRAGMA_(omp simd reduction(+:v))
#define TT_SIMD_MAX(v) TT_PRAGMA_(omp simd reduction(max:v))
#else
#define TT_SIMD
#define TT_SIMD_SUM(v)
#define TT_SIMD_MAX(v)
#endif

static inline float tt__expf(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float t = x * 1.4426950408889634f;
    float n = (t + 12582912.0f) - 12582912.0f; /* round to nearest (|t| < 2^22) */
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* tanh(x) = 1 - 2 / (exp(2x) + 1); relative error a few ulp away from 0, absolute ~1e-7 near 0. */
static inline float tt__tanhf(float x)
{
    float e = tt__expf(2.0f * x);
    return 1.0f - 2.0f / (e + 1.0f);
}

#endif
