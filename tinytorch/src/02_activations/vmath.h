/* vmath.h - branch-free float maths that compilers vectorise (private to modules 02 and 04).
 *
 * Also used by module 07 (Adam's sqrt). libm's expf/tanhf/erff/sqrtf are scalar calls that may set errno, so a loop calling them runs one
 * element at a time (measured: tanhf 16 ns/element, PyTorch's vectorised tanh 2.2 ns). These
 * versions are plain arithmetic and selects; inside a TT_SIMD loop they become SIMD code.
 *   tt__exp:  for x <= 0 only (every caller passes x - max, -|x| or -x^2): Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, exp(r) by the degree-7
 *             polynomial of Cephes' expf (coefficients from the Cephes library, S. Moshier),
 *             2^n by building the exponent bits. The input is clamped at -87.34, so exp of a very
 *             negative x is 1.2e-38 instead of 0 (harmless next to the 1 that every caller adds
 *             to it or sums it with); NaN propagates. (One clamp, not two: GCC turns two chained
 *             clamps into branches, which stops vectorisation.)
 *   tt__sqrt: for v >= 0: the bit-level reciprocal-square-root estimate, two Newton steps, then
 *             one Heron step s = (s + v/s)/2.
 *   tt__erf:  Abramowitz & Stegun 7.1.26 (Handbook of Mathematical Functions, 1964): absolute error
 *             <= 1.5e-7.
 * Measured against double-precision libm: exp 8.1e-8 relative on [-87, 88]; sqrt 1.2e-7 relative on
 * [1e-30, 1e30]; tanh 3.6e-6 relative on [-10, 10] (worst near |x| = 0.004); erf 5.1e-7 absolute.
 */
#ifndef TT_VMATH_H
#define TT_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* TT_SIMD before a loop whose iterations are independent; TT_SIMD_SUM(acc) when the loop also adds
 * into the scalar acc (the sum is then taken in a different order than a sequential loop). */
#define TT__PRAGMA(x) _Pragma(#x)
#if defined(_OPENMP)
#define TT_SIMD TT__PRAGMA(omp simd)
#define TT_SIMD_SUM(acc) TT__PRAGMA(omp simd reduction(+ : acc))
#else
#define TT_SIMD
#define TT_SIMD_SUM(acc)

#endif

static inline uint32_t tt__bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float tt__from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* mask ? b : a, mask all ones or all zeros */
static inline float tt__select(uint32_t mask, float a, float b)
{
    return tt__from_bits(tt__bits(a) ^ ((tt__bits(a) ^ tt__bits(b)) & mask));
}

static inline float tt__exp(float x) /* x <= 0 */
{
    /* clamp at lo = -87.34 on the bits: for x <= 0 a larger magnitude has larger bits, so
     * max(x, lo) is min(bits(x), bits(lo)) (an integer min; a float compare-and-select here
     * makes GCC split the loop into branches) */
    const uint32_t u = tt__bits(x), ulo = 0xc2aeac50u; /* bits of -87.3365479f */
    const uint32_t nan = 0u - (uint32_t)((u & 0x7fffffffu) > 0x7f800000u);
    float xc = tt__from_bits((u < ulo ? u : ulo) & ~nan); /* NaN -> 0 here: no NaN to int below */
    /* n = round(x / ln2) with the 1.5 * 2^23 trick (no call to rintf) */
    float t = xc * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = xc - n * 0.693359375f;  /* ln2 split in two: the high part is exact in float */
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    float y = p * tt__from_bits((uint32_t)((int32_t)n + 127) << 23);
    return tt__select(nan, y, x); /* NaN stays NaN */
}

/* 1 / (1 + exp(-x)), stable for any x: with e = exp(-|x|), s = 1/(1+e) for x >= 0, e s for x < 0 */
static inline float tt__sigmoid(float x)
{
    float e = tt__exp(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return tt__select(0u - (tt__bits(x) >> 31), s, e * s);
}

/* tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|); a - a^3/3 for |x| < 0.004 (no cancellation) */
static inline float tt__tanh(float x)
{
    float a = fabsf(x);
    float e = tt__exp(-2.0f * a);
    float t = (1.0f - e) / (1.0f + e);
    float small = a - a * a * a * (1.0f / 3.0f);
    /* a >= 0, so comparing its bits as integers orders it like the float */
    t = tt__select(0u - (uint32_t)(tt__bits(a) < tt__bits(0.004f)), t, small);
    return copysignf(t, x);
}

static inline float tt__erf(float x)
{
    float a = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float y = 1.0f - p * t * tt__exp(-a * a);
    return copysignf(y, x);
}

/* sqrt(v) for v >= 0 (v = 0 gives 0) */
static inline float tt__sqrt(float v)
{
    float y = tt__from_bits(0x5f375a86u - (tt__bits(v) >> 1));
    y = y * (1.5f - 0.5f * v * y * y);
    y = y * (1.5f - 0.5f * v * y * y);
    float s = v * y;
    s = 0.5f * (s + v / s);
    return tt__select(0u - (uint32_t)(tt__bits(v) == 0), s, 0.0f);
}

#endif
