/* qparams.c - the arithmetic of int8 quantization: scales and zero points, float <-> int8, the
 * fixed-point requantization multiplier, and calibration of an activation's range (module 15).
 *
 * Invariants: an asymmetric range always contains 0 (so real 0 is exactly representable: zero padding
 * and ReLU's floor cost nothing); a multiplier is in [2^30, 2^31) and n = 31 + shift in [1, 62], so
 * tt_requant's 64-bit product and rounding term cannot overflow for any int32 accumulator.
 */
#include "tinytorch/quant.h"

/* tt_quantize_i8's loop is written for the auto-vectoriser, which gcc runs in full at -O3 only. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* tt_requant relies on >> of a negative int64 being an arithmetic (floor) shift, as on gcc/clang. */
_Static_assert((-3 >> 1) == -2, "arithmetic right shift of negative integers is required");

tt_qparams tt_qparams_asym(float lo, float hi)
{
    /* TODO: widen [lo, hi] to contain 0 (and to at least 1e-8); scale = (hi - lo) / 255; zero point =
     * round(-128 - lo / scale), clamped to [-128, 127], so lo maps to -128 and real 0 to an integer */
    /* BEGIN SOLUTION */
    if (!(lo <= 0.0f)) {
        lo = 0.0f;
    }
    if (!(hi >= 0.0f)) {
        hi = 0.0f;
    }
    if (hi - lo < 1e-8f) {
        hi = lo + 1e-8f;
    }
    tt_qparams q;
    q.scale = (hi - lo) / 255.0f;
    double z = -128.0 - (double)lo / q.scale;
    z = round(z);
    q.zero_point = (int32_t)(z < -128.0 ? -128.0 : z > 127.0 ? 127.0 : z);
    return q;
    /* END SOLUTION */
}

int8_t tt_quantize_value(float x, tt_qparams q)
{
    int8_t v;
    tt_quantize_i8(&x, 1, q, &v);
    return v;
}

void tt_quantize_i8(const float *x, int64_t n, tt_qparams q, int8_t *out)
{
    /* x / scale rounded half away from zero (as tt_quantize_value), written without a libm call so the
     * loop vectorises; the clamp comes first so the conversion never overflows (NaN -> -128) */
    /* TODO: out[i] = clamp(round(x[i] / scale) + zero_point, -128, 127), rounding half away from zero */
    /* BEGIN SOLUTION */
    const double inv = 1.0 / (double)q.scale;
    for (int64_t i = 0; i < n; i++) {
        double v = (double)x[i] * inv;
        v = v > 1000.0 ? 1000.0 : v;
        v = v >= -1000.0 ? v : -1000.0;
        int32_t r = v >= 0.0 ? (int32_t)(v + 0.5) : -(int32_t)(0.5 - v);
        r += q.zero_point;
        out[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
    }
    /* END SOLUTION */
}

void tt_dequantize_i8(const int8_t *q, int64_t n, tt_qparams p, float *out)
{
    /* TODO: out[i] = scale * (q[i] - zero_point) */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < n; i++) {
        out[i] = p.scale * (float)((int32_t)q[i] - p.zero_point);
    }
    /* END SOLUTION */
}

int tt_requant_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    if (!(real > 0.0) || !isfinite(real)) {
        return -1;
    }
    /* TODO: write real = m * 2^-(31 + shift) with m in [2^30, 2^31) (frexp, then round f * 2^31; a
     * mantissa that rounds up to 2^31 is halved); refuse (-1) when n = 31 + shift is outside [1, 62] */
    /* BEGIN SOLUTION */
    int e;
    double f = frexp(real, &e); /* real = f * 2^e, f in [0.5, 1) */
    int64_t m = (int64_t)llround(f * 2147483648.0);
    if (m == ((int64_t)1 << 31)) {
        m >>= 1;
        e++;
    }
    /* real = m * 2^(e - 31) = m * 2^-(31 + shift)  =>  shift = -e */
    int n = 31 - e;
    if (n < 1 || n > 62) {
        return -1;
    }
    *multiplier = (int32_t)m;
    *shift = (int32_t)-e;
    return 0;
    /* END SOLUTION */
}

/* ---- calibration ---------------------------------------------------------------------------------- */

int tt_calib_method_parse(const char *name, tt_calib_method *out)
{
    static const char *const names[] = {"minmax", "percentile", "mse"};
    for (int i = 0; i < 3; i++) {
        if (name && strcmp(name, names[i]) == 0) {
            *out = (tt_calib_method)i;
            return 0;
        }
    }
    return -1;
}

const char *tt_calib_method_name(tt_calib_method m)
{
    return m == TT_CALIB_MINMAX ? "minmax" : m == TT_CALIB_PERCENTILE ? "percentile" : "mse";
}

#define NBINS 2048

void tt_calib_range(const float *v, int64_t n, tt_calib_method m, double percentile, float *lo, float *hi)
{
    float mn = FLT_MAX, mx = -FLT_MAX;
    /* TODO: mn, mx = the smallest and largest of v[0..n) (both 0 when n < 1) */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < n; i++) {
        if (v[i] < mn) {
            mn = v[i];
        }
        if (v[i] > mx) {
            mx = v[i];
        }
    }
    if (n < 1) {
        mn = mx = 0.0f;
    }
    /* END SOLUTION */
    *lo = mn;
    *hi = mx;
    if (m == TT_CALIB_MINMAX || n < 2 || !(mx > mn)) {
        return;
    }
    /* histogram over [mn, mx] */
    int64_t hist[NBINS];
    memset(hist, 0, sizeof hist);
    const double w = ((double)mx - mn) / NBINS;
    for (int64_t i = 0; i < n; i++) {
        int64_t b = (int64_t)(((double)v[i] - mn) / w);
        hist[b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b]++;
    }
    if (m == TT_CALIB_PERCENTILE) {
        if (!(percentile > 50.0 && percentile <= 100.0)) {
            percentile = 99.99;
        }
        const double tail = (100.0 - percentile) / 100.0 * (double)n;
        /* TODO: *lo = the left edge of the first bin where more than `tail` values have been counted
         * from the left; *hi = the right edge of the first such bin from the right; a tensor with no
         * negative value keeps mn as its floor */
        /* BEGIN SOLUTION */
        int64_t acc = 0;
        int b = 0;
        for (; b < NBINS - 1 && (double)(acc + hist[b]) <= tail; b++) {
            acc += hist[b];
        }
        *lo = (float)(mn + b * w);
        acc = 0;
        b = NBINS - 1;
        for (; b > 0 && (double)(acc + hist[b]) <= tail; b--) {
            acc += hist[b];
        }
        *hi = (float)(mn + (b + 1) * w);
        if (mn >= 0.0f) {
            *lo = mn; /* a non-negative tensor (after ReLU) keeps its floor */
        }
        /* END SOLUTION */
        return;
    }
    /* MSE: the clipping range [l, h] inside [min(mn, 0), max(mx, 0)] with the least expected squared
     * error of the bins' centres: clipping error outside the range, step^2 / 12 (uniform rounding)
     * inside. Coordinate descent: h over 200 candidates with l fixed, then l with h fixed, twice. */
    const double l0 = mn < 0.0f ? mn : 0.0, h0 = mx > 0.0f ? mx : 0.0;
    double l = l0, h = h0;
    for (int round = 0; round < 4; round++) {
        const bool move_hi = (round & 1) == 0;
        double best = -1.0, best_v = move_hi ? h : l;
        for (int k = 1; k <= 200; k++) {
            const double cl = move_hi ? l : l0 * k / 200.0, ch = move_hi ? h0 * k / 200.0 : h;
            const double step = (ch - cl) / 255.0;
            double e = 0.0;
            for (int b = 0; b < NBINS; b++) {
                if (hist[b]) {
                    const double c = mn + (b + 0.5) * w;
                    const double d = c < cl ? cl - c : c > ch ? c - ch : 0.0;
                    e += (double)hist[b] * (d > 0.0 ? d * d : step * step / 12.0);
                }
            }
            if (best < 0.0 || e < best) {
                best = e;
                best_v = move_hi ? ch : cl;
            }
        }
        if (move_hi) {
            h = best_v;
        } else {
            l = best_v;
        }
    }
    *lo = (float)l;
    *hi = (float)h;
}
