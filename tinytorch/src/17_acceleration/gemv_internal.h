/* gemv_internal.h - the dot products of the decode kernels (module 17), shared by tt_sgemv (gemv.c)
 * and the cached attention of module 18; not public. tt__sdot16 is the AVX-512 form (call it only
 * where tt__have_avx512() said yes), tt__sdot4 the 4-lane form every x86-64 / GNU target has. */
#ifndef TT_GEMV_INTERNAL_H
#define TT_GEMV_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "../common/vmath.h"

#ifdef TT_HAVE_AVX512_PATH
typedef float tt__v8f __attribute__((vector_size(32)));

/* Sum of the 16 lanes: halve the vector three times. */
static inline TT_AVX512_FN float tt__hsum16(tt_v16f v)
{
    tt__v8f h[2];
    memcpy(h, &v, sizeof h);
    tt__v8f q = h[0] + h[1];
    tt_v4f f[2];
    memcpy(f, &q, sizeof f);
    tt_v4f e = f[0] + f[1];
    return (e[0] + e[2]) + (e[1] + e[3]);
}

/* 16 lanes, two accumulators. */
static inline TT_AVX512_FN float tt__sdot16(const float *a, const float *b, int64_t n)
{
    tt_v16f acc0 = tt__v16f_set(0.0f), acc1 = tt__v16f_set(0.0f);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 += tt__v16f_load(a + i) * tt__v16f_load(b + i);
        acc1 += tt__v16f_load(a + i + 16) * tt__v16f_load(b + i + 16);
    }
    for (; i + 16 <= n; i += 16) {
        acc0 += tt__v16f_load(a + i) * tt__v16f_load(b + i);
    }
    float s = tt__hsum16(acc0 + acc1);
    for (; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}
#endif

static inline float tt__sdot4(const float *a, const float *b, int64_t n)
{
    tt_v4f acc0 = tt__v4f_set(0.0f), acc1 = tt__v4f_set(0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        acc0 += tt__v4f_load(a + i) * tt__v4f_load(b + i);
        acc1 += tt__v4f_load(a + i + 4) * tt__v4f_load(b + i + 4);
    }
    acc0 += acc1;
    float s = (acc0[0] + acc0[1]) + (acc0[2] + acc0[3]);
    for (; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}

#endif
