/* vmath.h - the one vector-math header of the kernels (internal): the SIMD loop policy, branch-free
 * scalar maths that compilers vectorise, and explicit 4- and 16-float vector helpers.
 *
 * libm's expf/tanhf/erff/sqrtf are scalar calls that may set errno, so a loop calling them runs one
 * element at a time (measured: tanhf 16 ns/element, PyTorch's vectorised tanh 2.2 ns). The versions
 * here are plain arithmetic and selects; inside a TT_SIMD loop they become SIMD code.
 *
 * Two exp flavours, for two kinds of caller:
 *   tt__exp:  for x <= 0 only (every caller passes x - max, -|x| or -x^2): Cody-Waite range reduction
 *             x = n ln2 + r, |r| <= ln2/2, exp(r) by the degree-7 polynomial of Cephes' expf
 *             (coefficients from the Cephes library, S. Moshier), 2^n by building the exponent bits.
 *             The input is clamped at -87.34, so exp of a very negative x is 1.2e-38 instead of 0
 *             (harmless next to the 1 that every caller adds to it or sums it with); NaN propagates.
 *             (One clamp, not two: GCC turns two chained clamps into branches, which stops
 *             vectorisation.) Used with tt__sigmoid, tt__tanh, tt__erf (modules 02, 04).
 *   tt__expf: any x, clamped to [-87, 88] (no inf/denormal results): the same range reduction, then a
 *             degree-6 Taylor polynomial (truncation error r^7/7! < 1.3e-7 relative, about one float
 *             ulp). Its vector forms, one definition for every width (TT__VEC_FUNCS: 4 floats,
 *             tt__expf4, and 16 on AVX-512, tt__expf16), are what the GELU, attention-softmax and
 *             decode loops call explicitly.
 *   tt__sqrt: for v >= 0: the bit-level reciprocal-square-root estimate, two Newton steps, then
 *             one Heron step s = (s + v/s)/2 (Adam, module 07).
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

#include "cpu.h"

/* SIMD loop policy (one for every kernel):
 * TT_SIMD before a loop whose iterations are independent; TT_SIMD_SUM(acc) / TT_SIMD_MAX(acc) when the
 * loop also adds into (takes the max of) the scalar acc (the sum is then taken in a different order than
 * a sequential loop). They expand to OpenMP's simd pragma where OpenMP is on, and to nothing otherwise.
 * Such loops run at the build's baseline width (4 floats on x86-64). Where one is hot, its function is
 * written once as an always-inline body (TT_ISA_BODY) and compiled once per vector width by
 * TT_ISA_VARIANTS (below): AVX-512, AVX2 and the baseline, the widest the CPU probe allows picked at
 * run time (tt__add_rows below, LayerNorm, the optimizers' updates). */
#define TT__PRAGMA(x) _Pragma(#x)
#if defined(_OPENMP)
#define TT_SIMD TT__PRAGMA(omp simd)
#define TT_SIMD_SUM(acc) TT__PRAGMA(omp simd reduction(+ : acc))
#define TT_SIMD_MAX(acc) TT__PRAGMA(omp simd reduction(max : acc))
#else
#define TT_SIMD
#define TT_SIMD_SUM(acc)
#define TT_SIMD_MAX(acc)
#endif
#define TT_ISA_BODY static inline __attribute__((always_inline))

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

/* ---- exp for any x, and the explicit vector forms ---- */

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

/* The same exp on W floats at once, with GNU vector extensions (gcc and clang): GCC's -O2 does not
 * vectorise the scalar loop (clamps become branches), so the hot loops call these explicitly.
 * TT__VEC_FUNCS(W, ATTR) writes, once for every width, the helpers of the vector type tt_vWf (W
 * floats; tt_vWi: W int32 lanes) and its exp, each function carrying ATTR (the instruction set the
 * width needs):
 *   tt__vWf_set(a)           every lane a
 *   tt__vWf_load(p) / _store  W floats from / to memory (no alignment needed)
 *   tt__vWf_select(m, a, b)   m ? a : b per lane, m all ones or all zeros
 *   tt__expfW(x)              tt__expf of each lane: the same clamps, reduction and polynomial, in
 *                             the same order, so every width gives the same bits (tested) */
#define TT__VEC_FUNCS(W, ATTR)                                                                         \
    static inline ATTR tt_v##W##f tt__v##W##f_set(float a)                                            \
    {                                                                                                  \
        tt_v##W##f v = {0};                                                                            \
        for (int i = 0; i < (W); i++) {                                                                \
            v[i] = a;                                                                                  \
        }                                                                                              \
        return v;                                                                                      \
    }                                                                                                  \
    static inline ATTR tt_v##W##f tt__v##W##f_load(const float *p)                                    \
    {                                                                                                  \
        tt_v##W##f v;                                                                                  \
        memcpy(&v, p, sizeof v);                                                                       \
        return v;                                                                                      \
    }                                                                                                  \
    static inline ATTR void tt__v##W##f_store(float *p, tt_v##W##f v) { memcpy(p, &v, sizeof v); }   \
    static inline ATTR tt_v##W##f tt__v##W##f_select(tt_v##W##i mask, tt_v##W##f a, tt_v##W##f b)     \
    {                                                                                                  \
        return (tt_v##W##f)((mask & (tt_v##W##i)a) | (~mask & (tt_v##W##i)b));                        \
    }                                                                                                  \
    static inline ATTR tt_v##W##f tt__expf##W(tt_v##W##f x)                                           \
    {                                                                                                  \
        const tt_v##W##f lo = tt__v##W##f_set(-87.0f), hi = tt__v##W##f_set(88.0f);                    \
        x = tt__v##W##f_select(x < lo, lo, x);                                                         \
        x = tt__v##W##f_select(x > hi, hi, x);                                                         \
        tt_v##W##f t = x * 1.4426950408889634f;                                                        \
        tt_v##W##f n = (t + 12582912.0f) - 12582912.0f;                                                \
        tt_v##W##f r = x - n * 0.693145751953125f;                                                     \
        r = r - n * 1.428606765330187e-06f;                                                            \
        tt_v##W##f p = tt__v##W##f_set(1.0f / 720.0f);                                                 \
        p = p * r + 1.0f / 120.0f;                                                                     \
        p = p * r + 1.0f / 24.0f;                                                                      \
        p = p * r + 1.0f / 6.0f;                                                                       \
        p = p * r + 0.5f;                                                                              \
        p = p * r + 1.0f;                                                                              \
        p = p * r + 1.0f;                                                                              \
        tt_v##W##i bits = (__builtin_convertvector(n, tt_v##W##i) + 127) << 23;                        \
        return p * (tt_v##W##f)bits;                                                                   \
    }

/* 4 floats: one SSE register, x86-64's baseline (and plain vector code elsewhere) */
typedef float tt_v4f __attribute__((vector_size(16)));
typedef int32_t tt_v4i __attribute__((vector_size(16)));
#define TT__NO_ATTR
TT__VEC_FUNCS(4, TT__NO_ATTR)

static inline tt_v4f tt__tanhf4(tt_v4f x)
{
    tt_v4f e = tt__expf4(x * 2.0f);
    return 1.0f - 2.0f / (e + 1.0f);
}

/* 16 floats: one AVX-512 register, for x86-64 CPUs that have it: functions using these carry
 * TT_AVX512_FN and are called only when tt__have_avx512() (the probe of cpu.h, capped by TT_ISA)
 * says yes. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TT_HAVE_AVX512_PATH 1
#define TT_AVX512_FN __attribute__((target("avx512f")))
typedef float tt_v16f __attribute__((vector_size(64)));
typedef int32_t tt_v16i __attribute__((vector_size(64)));

static inline int tt__have_avx512(void) { return tt__cpu_has(TT_CPU_AVX512F); }

TT__VEC_FUNCS(16, TT_AVX512_FN)

/* 8 floats: one AVX2 register, for CPUs without AVX-512 (and under TT_ISA=avx2): functions using
 * these carry TT_AVX2_FN and are called only when tt__have_avx2() says yes. The target is AVX2
 * without FMA, so the compiler cannot fuse a multiply and an add: each lane rounds as the other
 * widths do. */
#define TT_AVX2_FN __attribute__((target("avx2")))
typedef float tt_v8f __attribute__((vector_size(32)));
typedef int32_t tt_v8i __attribute__((vector_size(32)));

static inline int tt__have_avx2(void) { return tt__cpu_has(TT_CPU_AVX2); }

TT__VEC_FUNCS(8, TT_AVX2_FN)

/* TT_ISA_VARIANTS(name, body, params, args) defines the function `name` params, which runs `body`
 * args (a TT_ISA_BODY returning nothing) compiled for the widest vector set the probe allows:
 * name##_avx512 (each omp simd loop 16 floats wide), name##_avx2 (8) or the baseline (4). */
#define TT_ISA_VARIANTS(name, body, params, args)                                                      \
    static inline TT_AVX512_FN void name##_avx512 params { body args; }                                 \
    static inline TT_AVX2_FN void name##_avx2 params { body args; }                                     \
    static inline void name params                                                                     \
    {                                                                                                  \
        if (tt__have_avx512()) {                                                                       \
            name##_avx512 args;                                                                        \
        } else if (tt__have_avx2()) {                                                                  \
            name##_avx2 args;                                                                          \
        } else {                                                                                       \
            body args;                                                                                 \
        }                                                                                              \
    }
#else
#define TT_ISA_VARIANTS(name, body, params, args) \
    static inline void name params { body args; }
#endif

/* tanh(x) = 1 - 2 / (exp(2x) + 1); relative error a few ulp away from 0, absolute ~1e-7 near 0. */
static inline float tt__tanhf(float x)
{
    float e = tt__expf(2.0f * x);
    return 1.0f - 2.0f / (e + 1.0f);
}

/* Gradient sums: dst[j] += sum over r < rows of src[r*n + j], j < n, rows added in order (the same
 * float result as the plain loop); dst and src do not overlap. rows = 1 adds one buffer into another
 * (a residual's, a slice's or a concatenation's gradient), more rows sum a bias's gradient over a
 * batch. Without the restrict qualifiers and the wide builds the compiler runs these one float at a
 * time: for a GPT step they were 4 % of its time. */
TT_ISA_BODY void tt__add_rows_body(float *restrict dst, const float *restrict src, int64_t rows, int64_t n)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict s = src + r * n;
        TT_SIMD for (int64_t j = 0; j < n; j++) { dst[j] += s[j]; }
    }
}
TT_ISA_VARIANTS(tt__add_rows, tt__add_rows_body,
                (float *restrict dst, const float *restrict src, int64_t rows, int64_t n), (dst, src, rows, n))

#endif
