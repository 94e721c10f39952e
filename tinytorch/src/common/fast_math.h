/* fast_math.h - vectorisable exp and tanh, SSE and AVX-512 vector helpers shared by the modules' inner loops (internal).
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

/* GCC only: clang vectorises these loops by itself and warns when a pragma cannot be honoured. */
#if defined(_OPENMP) && defined(__GNUC__) && !defined(__clang__)
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
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
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
    union { int32_t i; float f; } u;
    u.i = ((int32_t)n + 127) * 8388608; /* 2^n as float bits: exponent field n + 127 */
    return p * u.f;
}

/* The same exp on 4 floats at once (one SSE register) with GNU vector extensions (gcc and clang): GCC's -O2 does not
 * vectorise the scalar loop (clamps become branches), so the hot loops call this one explicitly. */
typedef float tt_v4f __attribute__((vector_size(16)));
typedef int32_t tt_v4i __attribute__((vector_size(16)));

static inline tt_v4f tt__v4f_set(float a)
{
    tt_v4f v = {a, a, a, a};
    return v;
}

static inline tt_v4f tt__v4f_load(const float *p)
{
    tt_v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void tt__v4f_store(float *p, tt_v4f v) { memcpy(p, &v, sizeof v); }

static inline tt_v4f tt__v4f_select(tt_v4i mask, tt_v4f a, tt_v4f b)
{
    return (tt_v4f)((mask & (tt_v4i)a) | (~mask & (tt_v4i)b));
}

static inline tt_v4f tt__expf4(tt_v4f x)
{
    const tt_v4f lo = tt__v4f_set(-87.0f), hi = tt__v4f_set(88.0f);
    x = tt__v4f_select(x < lo, lo, x);
    x = tt__v4f_select(x > hi, hi, x);
    tt_v4f t = x * 1.4426950408889634f;
    tt_v4f n = (t + 12582912.0f) - 12582912.0f;
    tt_v4f r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    tt_v4f p = tt__v4f_set(1.0f / 720.0f);
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    tt_v4i bits = (__builtin_convertvector(n, tt_v4i) + 127) << 23;
    return p * (tt_v4f)bits;
}

static inline tt_v4f tt__tanhf4(tt_v4f x)
{
    tt_v4f e = tt__expf4(x * 2.0f);
    return 1.0f - 2.0f / (e + 1.0f);
}

/* The same on 16 floats (one AVX-512 register), for x86-64 CPUs that have it: functions using these
 * carry TT_AVX512_FN and are called only when tt__have_avx512() says the CPU supports them. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TT_HAVE_AVX512_PATH 1
#define TT_AVX512_FN __attribute__((target("avx512f")))
typedef float tt_v16f __attribute__((vector_size(64)));
typedef int32_t tt_v16i __attribute__((vector_size(64)));

static inline int tt__have_avx512(void)
{
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return have;
}

static inline TT_AVX512_FN tt_v16f tt__v16f_set(float a)
{
    tt_v16f v = {0};
    return v + a;
}

static inline TT_AVX512_FN tt_v16f tt__v16f_load(const float *p)
{
    tt_v16f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline TT_AVX512_FN void tt__v16f_store(float *p, tt_v16f v) { memcpy(p, &v, sizeof v); }

static inline TT_AVX512_FN tt_v16f tt__v16f_select(tt_v16i mask, tt_v16f a, tt_v16f b)
{
    return (tt_v16f)((mask & (tt_v16i)a) | (~mask & (tt_v16i)b));
}

static inline TT_AVX512_FN tt_v16f tt__expf16(tt_v16f x)
{
    const tt_v16f lo = tt__v16f_set(-87.0f), hi = tt__v16f_set(88.0f);
    x = tt__v16f_select(x < lo, lo, x);
    x = tt__v16f_select(x > hi, hi, x);
    tt_v16f t = x * 1.4426950408889634f;
    tt_v16f n = (t + 12582912.0f) - 12582912.0f;
    tt_v16f r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    tt_v16f p = tt__v16f_set(1.0f / 720.0f);
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    tt_v16i bits = (__builtin_convertvector(n, tt_v16i) + 127) << 23;
    return p * (tt_v16f)bits;
}
#endif

/* tanh(x) = 1 - 2 / (exp(2x) + 1); relative error a few ulp away from 0, absolute ~1e-7 near 0. */
static inline float tt__tanhf(float x)
{
    float e = tt__expf(2.0f * x);
    return 1.0f - 2.0f / (e + 1.0f);
}

#endif
