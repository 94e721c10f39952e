/* transpose16.h - a 16 x 16 float transpose in AVX-512 registers (internal), for the kernels that
 * turn a layout around on the way in or out: the GEMM's packing of a transposed B
 * (17_acceleration/gemm_kernel_avx512.c) and the convolution's images-in-lanes input gradient
 * (09_convolutions/conv2d_avx512.c). Include it from a file compiled for x86-64; the function carries
 * its own target attribute, so callers must run it only where the CPU probe allows AVX-512F. */
#ifndef TT_TRANSPOSE16_H
#define TT_TRANSPOSE16_H

#include <immintrin.h>

/* The loops must be unrolled for the 32 vectors to stay in registers (at -O2 GCC keeps them in
 * arrays on the stack otherwise). */
#if defined(__clang__)
#define TT__T16_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define TT__T16_UNROLL _Pragma("GCC unroll 16")
#else
#define TT__T16_UNROLL
#endif

/* r[0..15] = 16 rows of 16 floats -> r[k] = column k (the 16 rows' values at k). Four rounds of
 * in-lane and cross-lane shuffles: 64 shuffles per 256 floats. */
static inline __attribute__((always_inline, target("avx512f"))) void tt__transpose16(__m512 r[16])
{
    __m512 t[16];
    TT__T16_UNROLL
    for (int i = 0; i < 8; i++) {   /* pairs of rows, interleaved by float */
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    TT__T16_UNROLL
    for (int q = 0; q < 4; q++) {   /* groups of 4 rows, interleaved by float pair */
        __m512d a0 = _mm512_castps_pd(t[4 * q]), a1 = _mm512_castps_pd(t[4 * q + 1]);
        __m512d a2 = _mm512_castps_pd(t[4 * q + 2]), a3 = _mm512_castps_pd(t[4 * q + 3]);
        r[4 * q] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        r[4 * q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        r[4 * q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        r[4 * q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    /* now lane L of r[4q + c] = column 4L + c of rows 4q..4q+3 */
    TT__T16_UNROLL
    for (int c = 0; c < 4; c++) {
        t[c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
        t[4 + c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
        t[8 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
        t[12 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
    }
    TT__T16_UNROLL
    for (int c = 0; c < 8; c++) {
        r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
        r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xdd);
    }
}

#endif
