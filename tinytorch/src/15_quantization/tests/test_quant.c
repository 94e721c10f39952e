/* test_quant.c - module 15: int8 quantization. The fixed-point requantization against double
 * arithmetic, quantize/dequantize round trips, calibration methods, every int8 kernel path against
 * the portable one (bit-exact) and the portable one against a plain triple loop, a small CNN and an
 * MLP converted and run in int8 (close to float; identical on every path; pooling before or after
 * requantization identical), save/load round trips and refusals of bad files and options. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tt_test_fs.h"
#include "tt_test_toy.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"
#include "tinytorch/quant.h"
#include "../src/15_quantization/q8_internal.h"
#include "../src/15_quantization/quant_internal.h"

static char err[512];
static const char *const paths[] = {"portable", "avx2", "avx512", "vnni"};

static int teardown(void **state)
{
    tt_q8_set_kernel("auto");
    return tt_test_dir_teardown(state);
}

static void test_requant_multiplier(void **state)
{
    (void)state;
    const double reals[] = {0.5, 0.75, 1e-4, 3.1e-3, 0.999999, 1.0, 2.5, 1.0 / 3.0, 7.3e-7};
    tt_rng r;
    tt_rng_seed(&r, 1);
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        int32_t m, s;
        assert_int_equal(tt_requant_multiplier(reals[i], &m, &s), 0);
        assert_true(m >= (1 << 30));
        /* the encoding is exact to 2^-31 relative */
        double back = ldexp((double)m, -(31 + s));
        assert_true(fabs(back - reals[i]) <= reals[i] * 1e-9);
        for (int k = 0; k < 2000; k++) {
            int32_t acc = (int32_t)(tt_rng_u32(&r) % 2000001u) - 1000000;
            double want = floor((double)acc * back + 0.5); /* round half up, as the shift does */
            assert_int_equal(tt_requant(acc, m, s), (int32_t)want);
        }
    }
    int32_t m, s;
    assert_int_equal(tt_requant_multiplier(0.0, &m, &s), -1);
    assert_int_equal(tt_requant_multiplier(-1.0, &m, &s), -1);
    assert_int_equal(tt_requant_multiplier(INFINITY, &m, &s), -1);
    assert_int_equal(tt_requant_multiplier(1e12, &m, &s), -1);
}

static void test_round_trip(void **state)
{
    (void)state;
    tt_qparams q = tt_qparams_asym(-1.3f, 2.7f);
    assert_true(q.zero_point >= -128 && q.zero_point <= 127);
    float z;
    int8_t zq = tt_quantize_value(0.0f, q);
    tt_dequantize_i8(&zq, 1, q, &z);
    assert_true(z == 0.0f); /* 0 is exact */
    float x[1000], y[1000];
    int8_t xq[1000];
    for (int i = 0; i < 1000; i++) {
        x[i] = -1.3f + 4.0f * (float)i / 999.0f;
    }
    tt_quantize_i8(x, 1000, q, xq);
    tt_dequantize_i8(xq, 1000, q, y);
    for (int i = 0; i < 1000; i++) {
        assert_true(fabsf(x[i] - y[i]) <= 0.5f * q.scale * 1.0001f);
        assert_int_equal(xq[i], tt_quantize_value(x[i], q));
    }
    /* out of range saturates */
    assert_int_equal(tt_quantize_value(100.0f, q), 127);
    assert_int_equal(tt_quantize_value(-100.0f, q), -128);
    /* an all-positive range still contains 0: after ReLU the zero point is -128 */
    tt_qparams r = tt_qparams_asym(0.0f, 6.0f);
    assert_int_equal(r.zero_point, -128);
}

static void test_calibration(void **state)
{
    (void)state;
    enum { N = 100000 };
    float *v = malloc(N * sizeof(float));
    tt_rng r;
    tt_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        v[i] = tt_rng_normal(&r);
    }
    v[17] = 40.0f; /* one outlier */
    float lo, hi;
    tt_calib_range(v, N, TT_CALIB_MINMAX, 0, &lo, &hi);
    assert_true(hi == 40.0f && lo < -3.0f);
    tt_calib_range(v, N, TT_CALIB_PERCENTILE, 99.9, &lo, &hi);
    assert_true(hi > 2.5f && hi < 4.0f && lo < -2.5f && lo > -4.0f);
    /* Hand-worked: -1024, the 2,048 values k + 0.5 (k = -1024 .. 1023) and 1024 make 2,048 bins of width 1,
     * two values in each end bin. The 99th percentile may leave out 1% of 2,050 = 20.5 values per tail:
     * the 20 values of the lowest 19 bins below, the 20 of the highest 19 bins above, so the range is the
     * edges of the bins that remain: [-1005, 1005]. */
    float *u = malloc(2050 * sizeof(float));
    for (int k = 0; k < 2048; k++) {
        u[k] = (float)(k - 1024) + 0.5f;
    }
    u[2048] = -1024.0f;
    u[2049] = 1024.0f;
    tt_calib_range(u, 2050, TT_CALIB_PERCENTILE, 99.0, &lo, &hi);
    assert_float_equal(lo, -1005.0f, 0.0f);
    assert_float_equal(hi, 1005.0f, 0.0f);
    free(u);
    /* MSE on Laplace(b = 1) data: for 8 bits the optimal clip is near 9.9 b (Banner, Nahshan & Soudry,
     * "Post-training 4-bit quantization", 2019, table 1), inside the observed maximum (~ln(N/2) b) */
    float mlo, mhi, vmax = 0.0f;
    for (int i = 0; i < N; i++) {
        float u = tt_rng_uniform(&r) - 0.5f;
        v[i] = (u < 0 ? 1.0f : -1.0f) * logf(1.0f - 2.0f * fabsf(u));
        vmax = fmaxf(vmax, v[i]);
    }
    tt_calib_range(v, N, TT_CALIB_MSE, 0, &mlo, &mhi);
    print_message("Laplace(1): observed max %.2f, MSE range [%.2f, %.2f]\n", (double)vmax, (double)mlo, (double)mhi);
    assert_true(mhi < vmax && mhi > 8.0f && mhi < 11.5f && mlo < -8.0f && mlo > -11.5f);
    tt_calib_range(v, N, TT_CALIB_MINMAX, 0, &lo, &hi);
    /* the MSE range really has the smaller squared error on this data */
    double e_mm = 0, e_mse = 0;
    tt_qparams a = tt_qparams_asym(lo, hi), b = tt_qparams_asym(mlo, mhi);
    for (int i = 0; i < N; i++) {
        int8_t qa = tt_quantize_value(v[i], a), qb = tt_quantize_value(v[i], b);
        float da, db;
        tt_dequantize_i8(&qa, 1, a, &da);
        tt_dequantize_i8(&qb, 1, b, &db);
        e_mm += (da - v[i]) * (da - v[i]);
        e_mse += (db - v[i]) * (db - v[i]);
    }
    assert_true(e_mse < e_mm);
    tt_calib_method m;
    assert_int_equal(tt_calib_method_parse("mse", &m), 0);
    assert_int_equal(m, TT_CALIB_MSE);
    assert_int_equal(tt_calib_method_parse("kl", &m), -1);
    free(v);
}

/* Random int16 operands in the ranges the layers produce: A = int8 weights, B = int8 - zero point. */
static void check_gemm(int64_t M, int64_t N, int64_t K)
{
    const int64_t kp = K + (K & 1), np = (N + TT_Q8_NP - 1) / TT_Q8_NP * TT_Q8_NP;
    int16_t *A = calloc((size_t)(M * kp), 2), *B = malloc((size_t)(K * N) * 2), *Bp = malloc((size_t)(kp * np) * 2);
    int32_t *C = malloc((size_t)(M * np) * 4), *C0 = malloc((size_t)(M * np) * 4);
    tt_rng r;
    tt_rng_seed(&r, (uint64_t)(M * 1000 + N * 10 + K));
    for (int64_t m = 0; m < M; m++) {
        for (int64_t k = 0; k < K; k++) {
            A[m * kp + k] = (int16_t)((int)(tt_rng_u32(&r) % 255u) - 127);
        }
    }
    for (int64_t i = 0; i < K * N; i++) {
        B[i] = (int16_t)((int)(tt_rng_u32(&r) % 511u) - 255); /* extremes included: -255 .. 255 */
    }
    A[0] = 127;
    B[0] = -255;
    tt_q8_pack_b(B, K, N, N, Bp, np);
    assert_int_equal(tt_q8_set_kernel("portable"), 0);
    tt_q8_gemm(M, N, kp, A, Bp, np, C0, np);
    for (int64_t m = 0; m < M; m++) {
        for (int64_t n = 0; n < N; n++) {
            int64_t s = 0;
            for (int64_t k = 0; k < K; k++) {
                s += (int64_t)A[m * kp + k] * B[k * N + n];
            }
            assert_int_equal(C0[m * np + n], s);
        }
    }
    for (size_t p = 1; p < sizeof paths / sizeof paths[0]; p++) {
        if (!tt_q8_kernel_supported(paths[p])) {
            continue;
        }
        assert_int_equal(tt_q8_set_kernel(paths[p]), 0);
        memset(C, 0x5a, (size_t)(M * np) * 4);
        tt_q8_gemm(M, N, kp, A, Bp, np, C, np);
        for (int64_t m = 0; m < M; m++) {
            if (memcmp(C + m * np, C0 + m * np, (size_t)N * 4) != 0) {
                fail_msg("path %s differs from portable at M %lld N %lld K %lld row %lld", paths[p], (long long)M,
                         (long long)N, (long long)K, (long long)m);
            }
        }
    }
    tt_q8_set_kernel("auto");
    free(A);
    free(B);
    free(Bp);
    free(C);
    free(C0);
}

/* The vector requantization against the scalar one, per-element and shared parameters, every tail. */
/* The depthwise int8 sums: the portable path against a plain reference with explicit padding, and
 * every supported kernel path (the avx2 one for stride 1) against the portable one, bit for bit, on
 * widths that leave a tail after the 8-wide blocks. */
static void test_depthwise_paths(void **state)
{
    (void)state;
    const struct { int64_t C, H, W, k; int st, pd; } g[] = {
        {5, 9, 9, 3, 1, 1}, {3, 10, 7, 3, 2, 1}, {4, 12, 21, 5, 1, 2}, {2, 6, 6, 3, 1, 0}, {6, 8, 11, 1, 1, 0},
    };
    tt_rng r;
    tt_rng_seed(&r, 77);
    for (size_t gi = 0; gi < sizeof g / sizeof g[0]; gi++) {
        const int64_t C = g[gi].C, H = g[gi].H, W = g[gi].W, k = g[gi].k;
        const int st = g[gi].st, pd = g[gi].pd;
        const int64_t ho = (H + 2 * pd - k) / st + 1, wo = (W + 2 * pd - k) / st + 1;
        int8_t *x = malloc((size_t)(C * H * W)), *w = malloc((size_t)(C * k * k));
        int32_t *ref = malloc((size_t)(C * ho * wo) * sizeof(int32_t));
        int32_t *got = malloc((size_t)(C * ho * wo) * sizeof(int32_t));
        for (int64_t i = 0; i < C * H * W; i++) {
            x[i] = (int8_t)(tt_rng_u64(&r) % 256 - 128);
        }
        for (int64_t i = 0; i < C * k * k; i++) {
            w[i] = (int8_t)(tt_rng_u64(&r) % 255 - 127);
        }
        const int32_t zp = (int32_t)(tt_rng_u64(&r) % 256) - 128;
        /* reference: pad with zp explicitly, then a plain sum */
        for (int64_t c = 0; c < C; c++) {
            for (int64_t oy = 0; oy < ho; oy++) {
                for (int64_t ox = 0; ox < wo; ox++) {
                    int32_t sum = 0;
                    for (int64_t i = 0; i < k; i++) {
                        for (int64_t j = 0; j < k; j++) {
                            const int64_t yy = oy * st + i - pd, xx = ox * st + j - pd;
                            const int32_t v = yy >= 0 && yy < H && xx >= 0 && xx < W ? x[(c * H + yy) * W + xx] : zp;
                            sum += (v - zp) * w[(c * k + i) * k + j];
                        }
                    }
                    ref[(c * ho + oy) * wo + ox] = sum;
                }
            }
        }
        for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
            if (!tt_q8_kernel_supported(paths[p])) {
                continue;
            }
            assert_int_equal(tt_q8_set_kernel(paths[p]), 0);
            memset(got, 0x5a, (size_t)(C * ho * wo) * sizeof(int32_t));
            tt_q8_depthwise(x, C, H, W, zp, w, k, k, st, pd, got);
            assert_memory_equal(got, ref, (size_t)(C * ho * wo) * sizeof(int32_t));
        }
        tt_q8_set_kernel("auto");
        free(x);
        free(w);
        free(ref);
        free(got);
    }
}

static void test_requant_paths(void **state)
{
    (void)state;
    enum { N = 1000 };
    int32_t acc[N], bias[N], mult[N], shift[N];
    int8_t a[N], b[N];
    tt_rng r;
    tt_rng_seed(&r, 12);
    for (int i = 0; i < N; i++) {
        acc[i] = (int32_t)(tt_rng_u32(&r) >> 2) - (1 << 29); /* up to +-2^29 */
        bias[i] = (int32_t)(tt_rng_u32(&r) % 200001u) - 100000;
        mult[i] = (int32_t)((1u << 30) + (tt_rng_u32(&r) >> 2));
        shift[i] = (int32_t)(tt_rng_u32(&r) % 62u) - 30; /* n = 1 .. 62 */
    }
    tt_q8_requant_fn vecs[2] = {NULL, NULL}; /* AVX-512 and AVX2, where this CPU runs them */
#ifdef TT_Q8_X86
    if (tt_q8_kernel_supported("avx512")) {
        vecs[0] = tt_q8_requant_avx512;
    }
    if (tt_q8_kernel_supported("avx2")) {
        vecs[1] = tt_q8_requant_avx2;
    }
#endif
    for (int stride = 0; stride < 2; stride++) {
        for (int n = 0; n < 40; n++) {
            const int64_t len = n < 35 ? n : N - (40 - n);
            tt_q8_requant_portable(acc, len, bias, mult, shift, stride, -3, stride ? -128 : -3, a);
            for (int64_t i = 0; i < len; i++) {
                const int64_t j = stride ? i : 0;
                int32_t v = -3 + tt_requant(acc[i] + bias[j], mult[j], shift[j]);
                v = v < (stride ? -128 : -3) ? (stride ? -128 : -3) : v > 127 ? 127 : v;
                assert_int_equal(a[i], v);
            }
            for (int v = 0; v < 2; v++) {
                if (vecs[v]) {
                    memset(b, 0x55, sizeof b);
                    vecs[v](acc, len, bias, mult, shift, stride, -3, stride ? -128 : -3, b);
                    assert_memory_equal(a, b, (size_t)len);
                }
            }
        }
    }
    if (!vecs[0] || !vecs[1]) {
        print_message("no %s here: that vector requantization was not run\n", !vecs[1] ? "AVX2" : "AVX-512");
    }
    /* the one-pass pool + requantization against the two portable calls, every output width 1..40 */
    tt_q8_pool2rq_fn fused = NULL;
#ifdef TT_Q8_X86
    if (tt_q8_kernel_supported("avx512")) {
        fused = tt_q8_pool2rq_avx512;
    }
#endif
    if (!fused) {
        print_message("no AVX-512 here: the one-pass pool + requantization was not run\n");
        return;
    }
    enum { LDA = 84 }; /* channel c reads acc[100 c, 100 c + 8 LDA): inside the 1,000 values */
    int32_t row[4 * 40];
    for (int64_t wq = 1; wq <= 40; wq++) {
        for (int c = 0; c < 3; c++) { /* three channels' constants, ReLU clamp and not */
            const int32_t lo = c == 1 ? -128 : -3;
            tt_q8_pool2_portable(acc + c * 100, LDA, 4, wq, row);
            tt_q8_requant_portable(row, 4 * wq, bias + c, mult + c, shift + c, 0, -3, lo, a);
            memset(b, 0x55, sizeof b);
            fused(acc + c * 100, LDA, 4, wq, bias + c, mult + c, shift + c, -3, lo, b);
            assert_memory_equal(a, b, (size_t)(4 * wq));
            assert_int_equal(b[4 * wq], 0x55); /* nothing written past the output */
        }
    }
}

/* The AVX-512 and AVX2 pools of the int32 accumulators and input conversions against the portable
 * ones, bit for bit: every output width from 1 to 40 (tails of the 16- and 8-wide blocks), extremes,
 * ties (k + 0.5) * scale, values past the clamp, infinities and NaN. */
static void test_epilogue_paths(void **state)
{
    (void)state;
    tt_q8_pool2_fn pools[2] = {NULL, NULL};
    tt_q8_quantize_fn quants[2] = {NULL, NULL};
#ifdef TT_Q8_X86
    if (tt_q8_kernel_supported("avx512")) {
        pools[0] = tt_q8_pool2_avx512;
        quants[0] = tt_q8_quantize_avx512;
    }
    if (tt_q8_kernel_supported("avx2")) {
        pools[1] = tt_q8_pool2_avx2;
        quants[1] = tt_q8_quantize_avx2;
    }
#endif
    tt_rng r;
    tt_rng_seed(&r, 31);
    enum { LDA = 90, ROWS = 8 };
    int32_t a[ROWS * LDA], want[4 * 40], got[4 * 40 + 1];
    for (int i = 0; i < ROWS * LDA; i++) {
        a[i] = (int32_t)tt_rng_u32(&r);
    }
    a[3] = INT32_MIN;
    a[4] = INT32_MAX;
    for (int64_t wq = 1; wq <= 40; wq++) {
        tt_q8_pool2_portable(a, LDA, 4, wq, want);
        for (int64_t oy = 0; oy < 4; oy++) { /* the portable pool against its definition */
            for (int64_t ox = 0; ox < wq; ox++) {
                int32_t m = INT32_MIN;
                for (int i = 0; i < 4; i++) {
                    const int32_t v = a[(2 * oy + i / 2) * LDA + 2 * ox + i % 2];
                    m = v > m ? v : m;
                }
                assert_int_equal(want[oy * wq + ox], m);
            }
        }
        for (int v = 0; v < 2; v++) {
            if (pools[v]) {
                got[4 * wq] = 0x5a5a5a5a;
                pools[v](a, LDA, 4, wq, got);
                assert_memory_equal(got, want, (size_t)(4 * wq) * sizeof(int32_t));
                assert_int_equal(got[4 * wq], 0x5a5a5a5a); /* nothing written past the output */
            }
        }
    }
    enum { N = 200 };
    float x[N];
    const tt_qparams q = {0.0371f, -7};
    for (int i = 0; i < N; i++) {
        x[i] = (float)((double)(tt_rng_u32(&r) % 20001u) / 2000.0 - 5.0);
    }
    for (int i = 0; i < 40; i++) {
        x[i] = (float)((i - 20) + 0.5) * q.scale; /* ties, as near as a float gets */
    }
    x[40] = 1e30f;
    x[41] = -1e30f;
    x[42] = INFINITY;
    x[43] = -INFINITY;
    x[44] = NAN;
    x[45] = -0.0f;
    x[46] = 0.0f;
    { /* requantization of rows (per channel): row by row against tt_q8_requant_portable */
        enum { RR = 5, NN = 37, LD = 40 };
        int32_t acc[RR * LD], bias[NN], mult[NN], shift[NN];
        int8_t want[RR * NN], got[RR * NN];
        for (int i = 0; i < RR * LD; i++) {
            acc[i] = (int32_t)(tt_rng_u32(&r) % 2000001u) - 1000000;
        }
        for (int i = 0; i < NN; i++) {
            bias[i] = (int32_t)(tt_rng_u32(&r) % 20001u) - 10000;
            assert_int_equal(tt_requant_multiplier(1e-4 * (1.0 + i), &mult[i], &shift[i]), 0);
        }
        for (int i = 0; i < RR; i++) {
            tt_q8_requant_portable(acc + i * LD, NN, bias, mult, shift, 1, -3, -128, want + i * NN);
        }
        memset(got, 0, sizeof got);
        tt_q8_requant_rows_portable(acc, LD, RR, NN, bias, mult, shift, -3, -128, got, NN);
        assert_memory_equal(got, want, sizeof want);
#ifdef TT_Q8_X86
        if (tt_q8_kernel_supported("avx512")) {
            memset(got, 0, sizeof got);
            tt_q8_requant_rows_avx512(acc, LD, RR, NN, bias, mult, shift, -3, -128, got, NN);
            assert_memory_equal(got, want, sizeof want);
        }
        if (tt_q8_kernel_supported("avx2")) { /* 37 channels: four blocks of 8 and a tail of 5 */
            memset(got, 0, sizeof got);
            tt_q8_requant_rows_avx2(acc, LD, RR, NN, bias, mult, shift, -3, -128, got, NN);
            assert_memory_equal(got, want, sizeof want);
        }
#endif
    }
    { /* the channels-in-lanes pool, in place: portable against its definition, AVX-512 against portable */
        enum { WO = 7, HO = 6, CC = 32 };
        int32_t src[HO * WO * CC], p0[HO * WO * CC], p1[HO * WO * CC];
        for (int i = 0; i < HO * WO * CC; i++) {
            src[i] = (int32_t)tt_rng_u32(&r);
        }
        memcpy(p0, src, sizeof src);
        tt_q8_pool2c_portable(p0, WO, HO / 2, WO / 2, CC);
        for (int py = 0; py < HO / 2; py++) {
            for (int px = 0; px < WO / 2; px++) {
                for (int c = 0; c < CC; c++) {
                    int32_t m = INT32_MIN;
                    for (int i = 0; i < 4; i++) {
                        const int32_t v = src[((2 * py + i / 2) * WO + 2 * px + i % 2) * CC + c];
                        m = v > m ? v : m;
                    }
                    assert_int_equal(p0[(py * (WO / 2) + px) * CC + c], m);
                }
            }
        }
#ifdef TT_Q8_X86
        if (tt_q8_kernel_supported("avx512")) {
            memcpy(p1, src, sizeof src);
            tt_q8_pool2c_avx512(p1, WO, HO / 2, WO / 2, CC);
            assert_memory_equal(p1, p0, sizeof p0);
        }
#endif
    }
    for (int v = 0; v < 2; v++) { /* the float fast path and its double fallback: 200,000 values near and far from halves */
        const tt_q8_quantize_fn quant = quants[v];
        if (!quant) {
            continue;
        }
        enum { M = 4000 };
        float xs[M];
        int8_t a8[M], b8[M];
        const tt_qparams qs[3] = {{0.0371f, -7}, {0.00392157f, -128}, {1.7f, 30}};
        for (int rep = 0; rep < 50; rep++) {
            const tt_qparams qq = qs[rep % 3];
            for (int i = 0; i < M; i++) {
                const double k = (double)((int)(tt_rng_u32(&r) % 601u) - 300) + 0.5;
                const double eps = (double)((int)(tt_rng_u32(&r) % 2001u) - 1000) * 1e-6 * (rep % 2 ? 1.0 : 1e3);
                xs[i] = (float)((k + eps) * (double)qq.scale);
            }
            tt_quantize_i8(xs, M, qq, a8);
            quant(xs, M, qq, b8);
            assert_memory_equal(a8, b8, M);
        }
    }
    int8_t qw[N], qg[N + 1];
    for (int64_t n = 0; n <= N; n += n < 40 ? 1 : 40) {
        tt_quantize_i8(x, n, q, qw);
        for (int64_t i = 0; i < n; i++) {
            assert_int_equal(qw[i], tt_quantize_value(x[i], q));
        }
        for (int v = 0; v < 2; v++) {
            if (quants[v]) {
                qg[n] = 0x5a;
                quants[v](x, n, q, qg);
                assert_memory_equal(qg, qw, (size_t)n);
                assert_int_equal(qg[n], 0x5a);
            }
        }
    }
    if (!pools[0] || !pools[1]) {
        print_message("no %s here: that vector pool and input conversion were not run\n", !pools[1] ? "AVX2" : "AVX-512");
    }
}

static void test_gemm_paths(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{1, 1, 1}, {6, 784, 25}, {16, 100, 150}, {1, 120, 400}, {64, 10, 84},
                                 {7, 33, 3}, {9, 65, 17}, {13, 31, 2}, {8, 32, 64}, {3, 5, 401}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        check_gemm(shapes[i][0], shapes[i][1], shapes[i][2]);
    }
    assert_int_equal(tt_q8_kernel_supported("portable"), 1);
    assert_int_equal(tt_q8_set_kernel("nonsense"), -1);
    print_message("int8 kernel in use: %s (avx2 %d, avx512 %d, vnni %d)\n", tt_q8_kernel(),
                  tt_q8_kernel_supported("avx2"), tt_q8_kernel_supported("avx512"), tt_q8_kernel_supported("vnni"));
}

/* The byte-quad kernel: the portable loops against the definition, and the VNNI one (where the CPU
 * has it) against the portable one bit for bit, with A unsigned or signed, extremes included (u8 255,
 * s8 -128 and 127), and quad rows at irregular offsets as a convolution's taps are. */
static void check_quad_kernel(int64_t M, int64_t N, int64_t nq, int a_unsigned)
{
    const int64_t np = (N + TT_Q8_NP - 1) / TT_Q8_NP * TT_Q8_NP, lda = 4 * nq + 4, rows = 3 * nq + np + 7;
    uint8_t *A = malloc((size_t)(M * lda)), *B = malloc((size_t)(rows * 4));
    int64_t *off = malloc((size_t)nq * sizeof *off);
    int32_t *C = malloc((size_t)(M * np) * 4), *C0 = malloc((size_t)(M * np) * 4);
    tt_rng r;
    tt_rng_seed(&r, (uint64_t)(M * 1000 + N * 10 + nq + a_unsigned));
    for (int64_t i = 0; i < M * lda; i++) {
        A[i] = (uint8_t)tt_rng_u32(&r);
    }
    for (int64_t i = 0; i < rows * 4; i++) {
        B[i] = (uint8_t)tt_rng_u32(&r);
    }
    A[0] = a_unsigned ? 255 : 0x80; /* 255 or -128 */
    B[0] = a_unsigned ? 0x80 : 255;
    for (int64_t q = 0; q < nq; q++) {
        off[q] = 3 * q - (int64_t)(tt_rng_u32(&r) % 3u); /* rows that overlap, skip and repeat */
        off[q] = off[q] < 0 ? 0 : off[q];
    }
    tt_q8q_kernel_portable(M, nq, A, lda, B, off, np, C0, np, a_unsigned);
    for (int64_t m = 0; m < M; m++) {
        for (int64_t n = 0; n < np; n++) {
            int64_t s = 0;
            for (int64_t q = 0; q < nq; q++) {
                for (int k = 0; k < 4; k++) {
                    const uint8_t a = A[m * lda + 4 * q + k], b = B[(off[q] + n) * 4 + k];
                    s += a_unsigned ? (int64_t)a * (int8_t)b : (int64_t)(int8_t)a * b;
                }
            }
            assert_int_equal(C0[m * np + n], s);
        }
    }
#ifdef TT_Q8_X86
    if (tt_q8_kernel_supported("vnni")) {
        memset(C, 0x5a, (size_t)(M * np) * 4);
        tt_q8q_kernel_vnni(M, nq, A, lda, B, off, np, C, np, a_unsigned);
        if (memcmp(C, C0, (size_t)(M * np) * 4) != 0) {
            fail_msg("vnni quad kernel differs from portable at M %lld N %lld quads %lld a_unsigned %d", (long long)M,
                     (long long)N, (long long)nq, a_unsigned);
        }
    }
#endif
    free(A);
    free(B);
    free(off);
    free(C);
    free(C0);
}

/* The channels-in-lanes kernel: portable against the definition, VNNI against portable, bit for bit. */
static void check_cl_kernel(int64_t R, int64_t ntaps, int64_t ncb)
{
    const int64_t C = 16 * ncb, xrows = 4 * R + 3 * ntaps + 8;
    uint8_t *X = malloc((size_t)(xrows * 4)), *W = malloc((size_t)(ntaps * C * 4));
    int64_t *pos = malloc((size_t)R * sizeof *pos), *off = malloc((size_t)ntaps * sizeof *off);
    int32_t *c0 = malloc((size_t)(R * C) * 4), *c1 = malloc((size_t)(R * C) * 4);
    tt_rng r;
    tt_rng_seed(&r, (uint64_t)(R * 100 + ntaps * 10 + ncb));
    for (int64_t i = 0; i < xrows * 4; i++) {
        X[i] = (uint8_t)tt_rng_u32(&r);
    }
    for (int64_t i = 0; i < ntaps * C * 4; i++) {
        W[i] = (uint8_t)tt_rng_u32(&r);
    }
    X[0] = 255;
    W[0] = 0x80; /* -128 */
    for (int64_t i = 0; i < R; i++) {
        pos[i] = 4 * i - (int64_t)(tt_rng_u32(&r) % 4u) + 3;
    }
    for (int64_t t = 0; t < ntaps; t++) {
        off[t] = 3 * t - (int64_t)(tt_rng_u32(&r) % 3u) + 2;
    }
    tt_q8c_kernel_portable(R, pos, ntaps, off, X, W, ncb, c0, C);
    for (int64_t i = 0; i < R; i++) {
        for (int64_t c = 0; c < C; c++) {
            int64_t s = 0;
            for (int64_t t = 0; t < ntaps; t++) {
                for (int k = 0; k < 4; k++) {
                    s += (int64_t)X[4 * (pos[i] + off[t]) + k] * (int8_t)W[(t * C + c) * 4 + k];
                }
            }
            assert_int_equal(c0[i * C + c], s);
        }
    }
#ifdef TT_Q8_X86
    if (tt_q8_kernel_supported("vnni")) {
        memset(c1, 0x5a, (size_t)(R * C) * 4);
        tt_q8c_kernel_vnni(R, pos, ntaps, off, X, W, ncb, c1, C);
        if (memcmp(c0, c1, (size_t)(R * C) * 4) != 0) {
            fail_msg("vnni channels-in-lanes kernel differs from portable at R %lld taps %lld blocks %lld", (long long)R,
                     (long long)ntaps, (long long)ncb);
        }
    }
#endif
    free(X);
    free(W);
    free(pos);
    free(off);
    free(c0);
    free(c1);
}

static void test_quad_kernel_paths(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{1, 1, 1}, {6, 896, 9}, {16, 160, 45}, {64, 120, 100}, {64, 10, 21},
                                 {7, 33, 3}, {9, 65, 17}, {13, 31, 2}, {8, 32, 64}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        for (int au = 0; au < 2; au++) {
            check_quad_kernel(shapes[i][0], shapes[i][1], shapes[i][2], au);
        }
    }
    uint8_t src[4][300], want[1200], got[1204];
    for (int i = 0; i < 1200; i++) {
        src[i / 300][i % 300] = (uint8_t)(i * 7 + 3);
    }
    for (int64_t n = 0; n <= 300; n += n < 70 ? 1 : 23) {
        tt_q8_quads_portable(src[0], src[1], src[2], src[3], n, want);
        for (int64_t i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                assert_int_equal(want[4 * i + k], src[k][i]);
            }
        }
#ifdef TT_Q8_X86
        if (tt_q8_kernel_supported("vnni")) {
            memset(got, 0x5a, sizeof got);
            tt_q8_quads_avx512(src[0], src[1], src[2], src[3], n, got);
            assert_memory_equal(got, want, (size_t)(4 * n));
            assert_int_equal(got[4 * n], 0x5a); /* nothing past the end */
        }
#endif
    }
    const int64_t cl[][3] = {{1, 1, 1}, {100, 45, 1}, {7, 9, 2}, {17, 3, 3}, {8, 50, 1}};
    for (size_t i = 0; i < sizeof cl / sizeof cl[0]; i++) {
        check_cl_kernel(cl[i][0], cl[i][1], cl[i][2]);
    }
    if (!tt_q8_kernel_supported("vnni")) {
        print_message("no AVX-512 VNNI here: only the portable quad kernel was checked\n");
    }
}

/* ---- models --------------------------------------------------------------------------------------- */

/* Images x [n, 1, 12, 12]: a bright blob at a class-dependent place plus noise. */
/* Float logits of the model for images [i0, i0 + n) of ds into y. */
static void float_logits(tt_layer *model, const tt_dataset *ds, int64_t i0, int64_t n, float *y)
{
    float *x = malloc((size_t)(n * ds->sample_numel) * sizeof(float));
    int32_t lab;
    for (int64_t i = 0; i < n; i++) {
        tt_dataset_get(ds, i0 + i, x + i * ds->sample_numel, &lab);
    }
    tt_no_grad_begin();
    int64_t shape[4] = {n, ds->sample_shape[0], ds->sample_shape[1], ds->sample_shape[2]};
    tt_tensor *out = tt_layer_forward(model, tt_from_data(1 + ds->sample_ndim, shape, x));
    memcpy(y, out->data, (size_t)out->numel * sizeof(float));
    tt_no_grad_end();
    tt_arena_reset();
    free(x);
}

static void test_cnn_int8_close_to_float(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(200, 5);
    tt_layer *model = tt_test_toy_cnn();
    const int64_t in_shape[3] = {1, 12, 12};
    tt_quant_opts o = {TT_CALIB_MINMAX, 99.99};
    tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 100, &o, err, sizeof err);
    assert_non_null(q);
    /* conv+relu+pool fused, conv+relu fused, flatten, linear, linear */
    assert_int_equal(q->n, 5);
    assert_true(q->layers[0].kind == TT_QOP_CONV && q->layers[0].relu && q->layers[0].pool);
    assert_true(q->layers[1].kind == TT_QOP_CONV && q->layers[1].relu && !q->layers[1].pool);
    assert_int_equal(q->out_numel, 4);
    enum { NB = 64 };
    float yf[NB * 4], yq[NB * 4], x[NB * 144];
    int32_t lab;
    float_logits(model, ds, 100, NB, yf);
    for (int i = 0; i < NB; i++) {
        tt_dataset_get(ds, 100 + i, x + i * 144, &lab);
    }
    assert_int_equal(tt_qmodel_forward(q, x, NB, yq), 0);
    float range = 0.0f, worst = 0.0f;
    int agree = 0;
    for (int i = 0; i < NB; i++) {
        int af = 0, aq = 0;
        for (int c = 0; c < 4; c++) {
            range = fmaxf(range, fabsf(yf[i * 4 + c]));
            worst = fmaxf(worst, fabsf(yf[i * 4 + c] - yq[i * 4 + c]));
            af = yf[i * 4 + c] > yf[i * 4 + af] ? c : af;
            aq = yq[i * 4 + c] > yq[i * 4 + aq] ? c : aq;
        }
        agree += af == aq;
    }
    print_message("toy CNN: worst |float - int8| logit %.4f of range %.3f (output step %.4f), argmax agree %d/%d\n",
                  (double)worst, (double)range, (double)tt_qmodel_output_params(q).scale, agree, NB);
    assert_true(worst < 0.05f * range + 4.0f * tt_qmodel_output_params(q).scale);
    assert_true(agree >= NB - 2);
    /* every kernel path gives the same int8 logits */
    int8_t xq[NB * 144], y0[NB * 4], y1[NB * 4];
    tt_quantize_i8(x, NB * 144, tt_qmodel_input_params(q), xq);
    assert_int_equal(tt_q8_set_kernel("portable"), 0);
    assert_int_equal(tt_qmodel_forward_q(q, xq, NB, y0), 0);
    for (size_t p = 1; p < sizeof paths / sizeof paths[0]; p++) {
        if (tt_q8_set_kernel(paths[p]) == 0) {
            assert_int_equal(tt_qmodel_forward_q(q, xq, NB, y1), 0);
            assert_memory_equal(y0, y1, sizeof y0);
        }
    }
    tt_q8_set_kernel("auto");
    /* batch 1 equals the batch of 64 row by row */
    for (int i = 0; i < NB; i += 9) {
        assert_int_equal(tt_qmodel_forward_q(q, xq + i * 144, 1, y1), 0);
        assert_memory_equal(y1, y0 + i * 4, 4);
    }
    /* max pooling of the int32 accumulators before requantization == pooling the int8 outputs after:
     * the same model with the pool as its own op gives the same logits */
    tt_qmodel *u = calloc(1, sizeof *u);
    u->n = q->n + 1;
    u->layers = calloc((size_t)u->n, sizeof *u->layers);
    memcpy(u->in_shape, q->in_shape, sizeof u->in_shape);
    u->layers[0] = q->layers[0];
    u->layers[0].pool = false;
    u->layers[1] = (tt_qlayer){.kind = TT_QOP_MAXPOOL2, .in = q->layers[0].out, .out = q->layers[0].out};
    for (int i = 1; i < q->n; i++) {
        u->layers[i + 1] = q->layers[i];
    }
    for (int i = 0; i < u->n; i++) { /* own copies of the arrays */
        tt_qlayer *l = &u->layers[i];
        l->wa = NULL;
        l->wb = NULL;
        l->boff = NULL;
        l->qoff = NULL;
        l->wq = NULL;
        l->qbias = NULL;
        l->wcl = NULL;
        l->qpos = NULL;
        if (l->kind == TT_QOP_CONV || l->kind == TT_QOP_LINEAR) {
            const tt_qlayer *src = &q->layers[i == 0 ? 0 : i - 1];
            tt_qlayer_alloc(l);
            memcpy(l->weight, src->weight, (size_t)(l->cout * l->cin * l->kh * l->kw));
            memcpy(l->bias, src->bias, (size_t)l->cout * 4);
            memcpy(l->weight_scale, src->weight_scale, (size_t)l->cout * 4);
        }
    }
    assert_int_equal(tt_qmodel_prepare(u, err, sizeof err), 0);
    assert_int_equal(tt_qmodel_forward_q(u, xq, NB, y1), 0);
    assert_memory_equal(y0, y1, sizeof y0);
    tt_qmodel_free(u);
    /* save, load: the same logits, bit for bit */
    char path[300];
    tt_test_path(path, sizeof path, "toy.int8.safetensors");
    tt_kv meta[] = {{"source", "test"}};
    assert_int_equal(tt_qmodel_save(q, path, meta, 1, err, sizeof err), 0);
    tt_qmodel *l = tt_qmodel_load(path, err, sizeof err);
    if (!l) {
        fail_msg("%s", err);
    }
    assert_int_equal(tt_qmodel_forward_q(l, xq, NB, y1), 0);
    assert_memory_equal(y0, y1, sizeof y0);
    char v[64];
    assert_int_equal(tt_safetensors_meta(path, "format", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "tinytorch-int8");
    assert_int_equal(tt_safetensors_meta(path, "source", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "test");
    /* module 08's reader, which tt_qmodel_load reads through: I8, I32 and F32 tensors as stored */
    tt_safetensors_file *sf = tt_safetensors_open(path, err, sizeof err);
    assert_non_null(sf);
    const char *dt = NULL;
    int64_t sh[TT_MAX_DIMS];
    assert_int_equal(tt_safetensors_tensor_info(sf, "layers.0.weight", &dt, sh), 4);
    assert_string_equal(dt, "I8");
    const tt_qlayer *c0 = &l->layers[0];
    assert_true(sh[0] == c0->cout && sh[1] == c0->cin && sh[2] == c0->kh && sh[3] == c0->kw);
    int8_t *w8 = malloc((size_t)(c0->cout * c0->cin * c0->kh * c0->kw));
    int32_t *b32 = malloc((size_t)c0->cout * sizeof *b32);
    assert_int_equal(tt_safetensors_read(sf, "layers.0.weight", "I8", 4, sh, w8, err, sizeof err), 0);
    assert_memory_equal(w8, c0->weight, (size_t)(c0->cout * c0->cin * c0->kh * c0->kw));
    assert_int_equal(tt_safetensors_read(sf, "layers.0.bias", "I32", 1, &c0->cout, b32, err, sizeof err), 0);
    assert_memory_equal(b32, c0->bias, (size_t)c0->cout * sizeof *b32);
    assert_int_equal(tt_safetensors_read(sf, "layers.0.bias", "F32", 1, &c0->cout, b32, err, sizeof err), -1);
    assert_non_null(strstr(err, "tensor \"layers.0.bias\": dtype I32, want F32"));
    const int64_t wrong = c0->cout + 1;
    assert_int_equal(tt_safetensors_read(sf, "layers.0.bias", "I32", 1, &wrong, b32, err, sizeof err), -1);
    assert_non_null(strstr(err, "in the file, the model needs ["));
    assert_int_equal(tt_safetensors_read(sf, "layers.0.bias", "U8", 1, &c0->cout, b32, err, sizeof err), -1);
    assert_non_null(strstr(err, "not supported"));
    assert_int_equal(tt_safetensors_read(sf, "nothing", "I8", 1, &c0->cout, w8, err, sizeof err), -1);
    assert_non_null(strstr(err, "tensor \"nothing\" is missing"));
    assert_int_equal(tt_safetensors_tensor_info(sf, "nothing", NULL, NULL), -1);
    assert_string_equal(tt_safetensors_meta_value(sf, "source"), "test");
    assert_null(tt_safetensors_meta_value(sf, "absent"));
    tt_safetensors_close(sf);
    free(w8);
    free(b32);
    tt_qmodel_free(l);
    tt_qmodel_free(q);
    tt_layer_free(model);
    tt_dataset_free(ds);
}

/* Strided and even-width kernels (the direct convolution's stride and pair edge cases) against float. */
static void test_conv_geometries(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(100, 6);
    const int k[3] = {3, 4, 2}, st[3] = {2, 1, 3}, pd[3] = {1, 2, 0};
    for (int g = 0; g < 3; g++) {
        tt_rng r;
        tt_rng_seed(&r, 20 + (uint64_t)g);
        tt_layer *c = tt_conv2d_new(1, 5, k[g], st[g], pd[g], 1, 1, true, &r);
        const int64_t o = tt_conv_out_size(12, k[g], st[g], pd[g], 1);
        tt_layer *l[3] = {c, tt_flatten_new(), tt_linear_new(5 * o * o, 3, true, TT_INIT_PYTORCH, &r)};
        tt_layer *model = tt_sequential_new(3, l);
        tt_layer_train(model, false);
        const int64_t in_shape[3] = {1, 12, 12};
        tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 100, NULL, err, sizeof err);
        if (!q) {
            fail_msg("%s", err);
        }
        float yf[32 * 3], yq[32 * 3], x[32 * 144];
        int32_t lab;
        float_logits(model, ds, 0, 32, yf);
        for (int i = 0; i < 32; i++) {
            tt_dataset_get(ds, i, x + i * 144, &lab);
        }
        assert_int_equal(tt_qmodel_forward(q, x, 32, yq), 0);
        float range = 0.0f, worst = 0.0f;
        for (int i = 0; i < 96; i++) {
            range = fmaxf(range, fabsf(yf[i]));
            worst = fmaxf(worst, fabsf(yf[i] - yq[i]));
        }
        print_message("conv k %d stride %d pad %d: worst logit error %.4f of range %.3f\n", k[g], st[g], pd[g],
                      (double)worst, (double)range);
        assert_true(worst < 0.05f * range + 4.0f * tt_qmodel_output_params(q).scale);
        tt_qmodel_free(q);
        tt_layer_free(model);
    }
    tt_dataset_free(ds);
}

/* Every quad type of the vnni path (four channels; a channel pair x two columns or two rows; one
 * channel's four rows, four columns or 2x2 block), their mixes, and kernel edges (odd and even kh, kw;
 * strides; padding) give the int8 logits of the portable int16-pair path, bit for bit; and the plan
 * takes the hand-counted fewest quads: four channels kh*kw; a pair 3x3 5 (two column pairs of 3 rows
 * = 3, the last column's row pairs 2), 2x2 2, 5x5 13 (10 + 3); one channel 2x2 1, 3x3 3 (a row of four
 * columns each), 4x4 4, 5x5 7 (four rows x 5 columns + row 4 in 2). */
static void test_conv_quad_layouts(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(64, 9);
    const int cin[] = {2, 3, 4, 6, 8, 5, 1, 7}, k[] = {3, 2, 5, 5, 3, 4, 5, 3}, st[] = {1, 2, 1, 1, 2, 1, 1, 2};
    const int pd[] = {1, 0, 2, 0, 1, 1, 2, 1}, quads[] = {5, 2 + 1, 25, 25 + 13, 18, 16 + 4, 7, 9 + 5 + 3};
    const int co[] = {5, 16, 5, 16, 32, 16, 6, 16}; /* 16 and 32: the channels-in-lanes form */
    for (int g = 0; g < 8; g++) {
        tt_rng r;
        tt_rng_seed(&r, 40 + (uint64_t)g);
        const int64_t o = tt_conv_out_size(12, k[g], st[g], pd[g], 1);
        tt_layer *l[5] = {tt_conv2d_new(1, cin[g], 3, 1, 1, 1, 1, true, &r), tt_relu_new(),
                          tt_conv2d_new(cin[g], co[g], k[g], st[g], pd[g], 1, 1, true, &r), tt_flatten_new(),
                          tt_linear_new(co[g] * o * o, 3, true, TT_INIT_PYTORCH, &r)};
        tt_layer *model = tt_sequential_new(5, l);
        tt_layer_train(model, false);
        const int64_t in_shape[3] = {1, 12, 12};
        tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 64, NULL, err, sizeof err);
        if (!q) {
            fail_msg("%s", err);
        }
        assert_int_equal(q->layers[0].nquads, 3);
        assert_int_equal(q->layers[1].nquads, quads[g]);
        assert_int_equal(q->layers[1].wcl != NULL, co[g] % 16 == 0);
        float x[16 * 144];
        int8_t xq[16 * 144], y0[16 * 3], y1[16 * 3];
        int32_t lab;
        for (int i = 0; i < 16; i++) {
            tt_dataset_get(ds, i, x + i * 144, &lab);
        }
        tt_quantize_i8(x, 16 * 144, tt_qmodel_input_params(q), xq);
        assert_int_equal(tt_q8_set_kernel("portable"), 0);
        assert_int_equal(tt_qmodel_forward_q(q, xq, 16, y0), 0);
        for (size_t p = 1; p < sizeof paths / sizeof paths[0]; p++) {
            if (tt_q8_set_kernel(paths[p]) == 0) {
                assert_int_equal(tt_qmodel_forward_q(q, xq, 16, y1), 0);
                if (memcmp(y0, y1, sizeof y0) != 0) {
                    fail_msg("path %s: conv %d -> %d, k %d stride %d pad %d differs from portable", paths[p], cin[g],
                             co[g], k[g], st[g], pd[g]);
                }
            }
        }
        tt_q8_set_kernel("auto");
        tt_qmodel_free(q);
        tt_layer_free(model);
    }
    tt_dataset_free(ds);
}

static void test_mlp_and_calibration_methods(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(300, 8);
    tt_rng r;
    tt_rng_seed(&r, 2);
    tt_layer *l[4] = {tt_flatten_new(), tt_linear_new(144, 40, true, TT_INIT_KAIMING_UNIFORM, &r), tt_relu_new(),
                      tt_linear_new(40, 4, true, TT_INIT_PYTORCH, &r)};
    tt_layer *model = tt_sequential_new(4, l);
    tt_layer_train(model, false);
    float yf[100 * 4], yq[100 * 4], x[100 * 144];
    int32_t lab;
    float_logits(model, ds, 200, 100, yf);
    for (int i = 0; i < 100; i++) {
        tt_dataset_get(ds, 200 + i, x + i * 144, &lab);
    }
    const int64_t in_shape[3] = {1, 12, 12};
    for (int m = 0; m < 3; m++) {
        tt_quant_opts o = {(tt_calib_method)m, 99.9};
        tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 200, &o, err, sizeof err);
        if (!q) {
            fail_msg("%s", err);
        }
        assert_true(q->layers[1].kind == TT_QOP_LINEAR && q->layers[1].relu);
        assert_int_equal(tt_qmodel_forward(q, x, 100, yq), 0);
        double se = 0, sf = 0;
        for (int i = 0; i < 400; i++) {
            se += (yf[i] - yq[i]) * (yf[i] - yq[i]);
            sf += yf[i] * yf[i];
        }
        print_message("MLP, %s calibration: relative RMS error of the logits %.4f\n",
                      tt_calib_method_name((tt_calib_method)m), sqrt(se / sf));
        assert_true(sqrt(se / sf) < 0.05);
        assert_true(tt_qmodel_accuracy(q, ds, 64) >= 0.0);
        tt_qmodel_free(q);
    }
    tt_layer_free(model);
    tt_dataset_free(ds);
}

/* QAT: tt_fake_quant_weight gives exactly the int8 weights tt_quantize_model stores, times their
 * scale; a QAT run trains (the loss falls, the int8 model classifies the toy images), leaves the float
 * weights unrounded (the straight-through update lands on the float copy), and bad options are refused. */
static void test_qat(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(256, 12);
    tt_rng r;
    tt_rng_seed(&r, 4);
    tt_layer *l[4] = {tt_flatten_new(), tt_linear_new(144, 24, true, TT_INIT_KAIMING_UNIFORM, &r), tt_relu_new(),
                      tt_linear_new(24, 4, true, TT_INIT_PYTORCH, &r)};
    tt_layer *model = tt_sequential_new(4, l);
    tt_layer_train(model, false);
    const int64_t in_shape[3] = {1, 12, 12};
    /* fake quantization == what the int8 model stores */
    tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 64, NULL, err, sizeof err);
    assert_non_null(q);
    tt_linear_layer *l1 = (tt_linear_layer *)tt_sequential_at(model, 1);
    float *fq = malloc((size_t)l1->weight->numel * sizeof(float));
    memcpy(fq, l1->weight->data, (size_t)l1->weight->numel * sizeof(float));
    tt_fake_quant_weight(fq, 24, 144);
    const tt_qlayer *ql = &q->layers[1];
    assert_int_equal(ql->kind, TT_QOP_LINEAR);
    for (int64_t i = 0; i < 24 * 144; i++) {
        assert_true(fq[i] == (float)ql->weight[i] * ql->weight_scale[i / 144]);
    }
    tt_qmodel_free(q);
    /* a QAT run */
    double loss1 = 0.0, loss3 = 0.0;
    tt_qat_opts o = {1, 3e-3f, 32, 5};
    assert_int_equal(tt_qat_finetune(model, ds, &o, &loss1, err, sizeof err), 0);
    o.epochs = 3;
    assert_int_equal(tt_qat_finetune(model, ds, &o, &loss3, err, sizeof err), 0);
    print_message("QAT on the toy images: mean loss %.4f after 1 epoch, %.4f over the last of 3 more\n", loss1, loss3);
    assert_true(isfinite(loss3) && loss3 < loss1);
    memcpy(fq, l1->weight->data, (size_t)l1->weight->numel * sizeof(float));
    tt_fake_quant_weight(fq, 24, 144);
    assert_memory_not_equal(fq, l1->weight->data, (size_t)l1->weight->numel * sizeof(float));
    q = tt_quantize_model(model, 3, in_shape, ds, 64, NULL, err, sizeof err);
    assert_non_null(q);
    const double acc = tt_qmodel_accuracy(q, ds, 64);
    print_message("QAT on the toy images: int8 accuracy %.3f\n", acc);
    assert_true(acc > 0.9);
    tt_qmodel_free(q);
    /* refusals */
    o.epochs = 0;
    assert_int_equal(tt_qat_finetune(model, ds, &o, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "epochs >= 1"));
    o = (tt_qat_opts){1, 1e-3f, 32, 5};
    tt_layer *bare = tt_sequential_new(1, (tt_layer *[]){tt_flatten_new()});
    assert_int_equal(tt_qat_finetune(bare, ds, &o, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "no Conv2d or Linear weight"));
    tt_layer_free(bare);
    free(fq);
    tt_layer_free(model);
    tt_dataset_free(ds);
    tt_arena_reset();
}

/* Random running statistics and affine parameters for a BatchNorm2d, so folding it is not a no-op. */
static void randomize_bn(tt_layer *l, tt_rng *r)
{
    tt_batchnorm2d_layer *bn = (tt_batchnorm2d_layer *)l;
    for (int64_t c = 0; c < bn->num_features; c++) {
        bn->running_mean->data[c] = 0.2f * tt_rng_normal(r);
        bn->running_var->data[c] = 0.5f + tt_rng_uniform(r);
        bn->weight->data[c] = 0.6f + 0.8f * tt_rng_uniform(r);
        bn->bias->data[c] = 0.2f * tt_rng_normal(r);
    }
}

/* A depthwise-separable CNN: conv + BatchNorm + ReLU, depthwise 3x3 + BatchNorm + ReLU, pointwise,
 * a depthwise stride-2 conv, a depthwise conv + ReLU + pool fused, a global AvgPool2d, flatten, linear.
 * Checks: the grouping (BatchNorm folded, depthwise ops), logits close to float, every kernel path
 * identical, save/load identical, and the file's description of the layers. */
static void test_depthwise_model(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(200, 21);
    tt_rng r;
    tt_rng_seed(&r, 31);
    tt_layer *l[16] = {tt_conv2d_new(1, 6, 3, 1, 1, 1, 1, false, &r), tt_batchnorm2d_new(6, 0.1f, 1e-5f, true),
                       tt_relu_new(), tt_conv2d_new(6, 6, 3, 1, 1, 1, 6, false, &r),
                       tt_batchnorm2d_new(6, 0.1f, 1e-5f, true), tt_relu_new(),
                       tt_conv2d_new(6, 8, 1, 1, 0, 1, 1, true, &r), tt_relu_new(),
                       tt_conv2d_new(8, 8, 3, 2, 1, 1, 8, true, &r), tt_relu_new(),
                       tt_conv2d_new(8, 8, 3, 1, 1, 1, 8, true, &r), tt_relu_new(), tt_maxpool2d_new(2, 0, 0),
                       tt_avgpool2d_new(3, 0, 0), tt_flatten_new(), tt_linear_new(8, 4, true, TT_INIT_PYTORCH, &r)};
    randomize_bn(l[1], &r);
    randomize_bn(l[4], &r);
    tt_layer *model = tt_sequential_new(16, l);
    tt_layer_train(model, false);
    const int64_t in_shape[3] = {1, 12, 12};
    tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 100, NULL, err, sizeof err);
    if (!q) {
        fail_msg("%s", err);
    }
    /* conv(+BN+ReLU), dw(+BN+ReLU), pw(+ReLU), dw s2 (+ReLU), dw(+ReLU+pool), avgpool, flatten, linear */
    assert_int_equal(q->n, 8);
    assert_true(q->layers[0].kind == TT_QOP_CONV && !tt_qlayer_depthwise(&q->layers[0]) && q->layers[0].relu);
    assert_true(tt_qlayer_depthwise(&q->layers[1]) && q->layers[1].relu && q->layers[1].groups == 6);
    assert_true(!tt_qlayer_depthwise(&q->layers[2]) && q->layers[2].relu);
    assert_true(tt_qlayer_depthwise(&q->layers[3]) && q->layers[3].stride == 2 && q->layers[3].relu);
    assert_true(tt_qlayer_depthwise(&q->layers[4]) && q->layers[4].pool && q->layers[4].relu);
    assert_int_equal(q->layers[5].kind, TT_QOP_AVGPOOL);
    assert_int_equal(tt_qlayer_k(&q->layers[1]), 9);
    assert_int_equal(q->out_numel, 4);
    enum { NB = 64 };
    float yf[NB * 4], yq[NB * 4], x[NB * 144];
    int32_t lab;
    float_logits(model, ds, 100, NB, yf);
    for (int i = 0; i < NB; i++) {
        tt_dataset_get(ds, 100 + i, x + i * 144, &lab);
    }
    assert_int_equal(tt_qmodel_forward(q, x, NB, yq), 0);
    float range = 0.0f, worst = 0.0f;
    for (int i = 0; i < NB * 4; i++) {
        range = fmaxf(range, fabsf(yf[i]));
        worst = fmaxf(worst, fabsf(yf[i] - yq[i]));
    }
    print_message("depthwise CNN (BatchNorm folded): worst |float - int8| logit %.4f of range %.3f (step %.4f)\n",
                  (double)worst, (double)range, (double)tt_qmodel_output_params(q).scale);
    assert_true(range > 0.0f);
    assert_true(worst < 0.05f * range + 4.0f * tt_qmodel_output_params(q).scale);
    int8_t xq[NB * 144], y0[NB * 4], y1[NB * 4];
    tt_quantize_i8(x, NB * 144, tt_qmodel_input_params(q), xq);
    assert_int_equal(tt_q8_set_kernel("portable"), 0);
    assert_int_equal(tt_qmodel_forward_q(q, xq, NB, y0), 0);
    for (size_t p = 1; p < sizeof paths / sizeof paths[0]; p++) {
        if (tt_q8_set_kernel(paths[p]) == 0) {
            assert_int_equal(tt_qmodel_forward_q(q, xq, NB, y1), 0);
            assert_memory_equal(y0, y1, sizeof y0);
        }
    }
    tt_q8_set_kernel("auto");
    char path[300], v[128];
    tt_test_path(path, sizeof path, "dw.int8.safetensors");
    assert_int_equal(tt_qmodel_save(q, path, NULL, 0, err, sizeof err), 0);
    tt_qmodel *b = tt_qmodel_load(path, err, sizeof err);
    if (!b) {
        fail_msg("%s", err);
    }
    assert_int_equal(tt_qmodel_forward_q(b, xq, NB, y1), 0);
    assert_memory_equal(y0, y1, sizeof y0);
    tt_qmodel_free(b);
    assert_int_equal(tt_safetensors_meta(path, "layers.1", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "conv2d stride=1 padding=1 relu=1 pool=0 groups=6");
    assert_int_equal(tt_safetensors_meta(path, "layers.5", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "avgpool");
    tt_safetensors_file *sf = tt_safetensors_open(path, err, sizeof err);
    assert_non_null(sf);
    int64_t sh[TT_MAX_DIMS];
    assert_int_equal(tt_safetensors_tensor_info(sf, "layers.1.weight", NULL, sh), 4);
    assert_true(sh[0] == 6 && sh[1] == 1 && sh[2] == 3 && sh[3] == 3);
    tt_safetensors_close(sf);
    tt_qmodel_free(q);
    tt_layer_free(model);
    tt_dataset_free(ds);
}

/* One depthwise conv (+ ReLU) layer, int8, against (a) plain loops over the stored int8 weights and
 * the layer's requantization (bit for bit), and (b) the float convolution of the dequantized input with
 * the dequantized weights and float bias: within one output step (requantization and bias rounding
 * only), for strides 1 and 2, with and without a fused pool, rectangular kernels included. */
static void test_depthwise_layer_exact(void **state)
{
    (void)state;
    const struct { int kh, kw, st, pd, pool; } g[] = {{3, 3, 1, 1, 0}, {3, 3, 2, 1, 0}, {5, 3, 1, 2, 1}, {1, 1, 1, 0, 0}};
    enum { C = 5, H = 11, W = 9, NB = 16 };
    float *xs = malloc((size_t)(64 * C * H * W) * sizeof(float));
    int32_t *ys = calloc(64, sizeof(int32_t));
    tt_rng r;
    tt_rng_seed(&r, 41);
    for (int i = 0; i < 64 * C * H * W; i++) {
        xs[i] = 0.8f * tt_rng_normal(&r) + 0.3f;
    }
    const int64_t shp[3] = {C, H, W};
    tt_dataset *ds = tt_dataset_from_memory(xs, ys, 64, 3, shp, 1);
    for (size_t t = 0; t < sizeof g / sizeof g[0]; t++) {
        tt_conv2d_layer *c = (tt_conv2d_layer *)tt_conv2d_new(C, C, g[t].kh, g[t].st, g[t].pd, 1, C, true, &r);
        if (g[t].kw != g[t].kh) { /* a rectangular kernel */
            tt_tensor_free(c->weight);
            c->weight = tt_tensor_new_persistent(TT_SHAPE(C, 1, g[t].kh, g[t].kw));
            tt_init_tensor(c->weight, TT_INIT_PYTORCH, g[t].kh * g[t].kw, g[t].kh * g[t].kw, &r);
            c->kw = g[t].kw;
        }
        tt_layer *model = g[t].pool ? tt_sequential_new(3, (tt_layer *[]){&c->base, tt_relu_new(), tt_maxpool2d_new(2, 0, 0)})
                                    : tt_sequential_new(2, (tt_layer *[]){&c->base, tt_relu_new()});
        tt_layer_train(model, false);
        tt_qmodel *q = tt_quantize_model(model, 3, shp, ds, 64, NULL, err, sizeof err);
        if (!q) {
            fail_msg("%s", err);
        }
        const tt_qlayer *l = &q->layers[0];
        assert_true(tt_qlayer_depthwise(l) && l->kh == g[t].kh && l->kw == g[t].kw);
        const int64_t ho = (H + 2 * g[t].pd - g[t].kh) / g[t].st + 1, wo = (W + 2 * g[t].pd - g[t].kw) / g[t].st + 1;
        const int64_t hq = g[t].pool ? ho / 2 : ho, wq = g[t].pool ? wo / 2 : wo, on = C * hq * wq;
        assert_int_equal(q->out_numel, on);
        int8_t *xq = malloc((size_t)(NB * C * H * W)), *y = malloc((size_t)(NB * on));
        tt_quantize_i8(xs, NB * C * H * W, tt_qmodel_input_params(q), xq);
        assert_int_equal(tt_qmodel_forward_q(q, xq, NB, y), 0);
        const int32_t zx = l->in.zero_point, zo = l->out.zero_point;
        int off_by_one = 0;
        for (int n = 0; n < NB; n++) {
            for (int64_t ch = 0; ch < C; ch++) {
                for (int64_t oy = 0; oy < hq; oy++) {
                    for (int64_t ox = 0; ox < wq; ox++) {
                        int32_t best = INT32_MIN;
                        double bestf = -1e30;
                        for (int p = 0; p < (g[t].pool ? 4 : 1); p++) {
                            const int64_t yy = (g[t].pool ? 2 * oy + p / 2 : oy), xx = (g[t].pool ? 2 * ox + p % 2 : ox);
                            int32_t acc = 0;
                            double f = 0.0;
                            for (int i = 0; i < g[t].kh; i++) {
                                for (int j = 0; j < g[t].kw; j++) {
                                    const int64_t iy = yy * g[t].st + i - g[t].pd, ix = xx * g[t].st + j - g[t].pd;
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                                        continue;
                                    }
                                    const int32_t xv = xq[((n * C + ch) * H + iy) * W + ix] - zx;
                                    const int8_t wv = l->weight[(ch * g[t].kh + i) * g[t].kw + j];
                                    acc += xv * wv;
                                    f += (double)xv * l->in.scale * (double)wv * l->weight_scale[ch];
                                }
                            }
                            best = acc > best ? acc : best;
                            bestf = f > bestf ? f : bestf;
                        }
                        int32_t v = zo + tt_requant(best + l->bias[ch], l->multiplier[ch], l->shift[ch]);
                        v = v < zo ? zo : v > 127 ? 127 : v;
                        const int8_t got = y[n * on + (ch * hq + oy) * wq + ox];
                        assert_int_equal(got, v);
                        /* the float reference: dequantized weights and input, the float bias */
                        const float bf = ((tt_conv2d_layer *)tt_sequential_at(model, 0))->bias->data[ch];
                        double fr = fmax(0.0, bestf + bf) / l->out.scale + zo;
                        fr = fr > 127.0 ? 127.0 : fr;
                        assert_true(fabs((double)got - fr) <= 1.0);
                        off_by_one += fabs((double)got - fr) > 0.5;
                    }
                }
            }
        }
        print_message("depthwise %dx%d stride %d pad %d pool %d: bit-exact with the loops; %d of %lld outputs more "
                      "than half a step from float\n", g[t].kh, g[t].kw, g[t].st, g[t].pd, g[t].pool, off_by_one,
                      (long long)(NB * on));
        free(xq);
        free(y);
        tt_qmodel_free(q);
        tt_layer_free(model);
    }
    tt_dataset_free(ds);
}

static void test_bad_input(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(20, 9);
    tt_layer *model = tt_test_toy_cnn();
    const int64_t in_shape[3] = {1, 12, 12};
    assert_null(tt_quantize_model(model, 3, in_shape, ds, 0, NULL, err, sizeof err));
    assert_non_null(strstr(err, "--calib 0"));
    assert_null(tt_quantize_model(model, 3, in_shape, ds, 21, NULL, err, sizeof err));
    assert_non_null(strstr(err, "1 to 20"));
    const int64_t wrong[3] = {1, 10, 10};
    assert_null(tt_quantize_model(model, 3, wrong, ds, 10, NULL, err, sizeof err));
    assert_non_null(strstr(err, "calibration samples have 144 values"));
    tt_layer *s[2] = {tt_flatten_new(), tt_sigmoid_new()};
    tt_layer *sig = tt_sequential_new(2, s);
    assert_null(tt_quantize_model(sig, 3, in_shape, ds, 10, NULL, err, sizeof err));
    assert_non_null(strstr(err, "layer 1 (Sigmoid)"));
    tt_layer_free(sig);
    tt_layer *gr[2] = {tt_conv2d_new(1, 2, 3, 1, 1, 1, 1, true, NULL), tt_conv2d_new(2, 4, 3, 1, 1, 1, 2, true, NULL)};
    tt_layer *grouped = tt_sequential_new(2, gr);
    assert_null(tt_quantize_model(grouped, 3, in_shape, ds, 10, NULL, err, sizeof err));
    assert_non_null(strstr(err, "layer 1 (Conv2d): groups 2"));
    assert_non_null(strstr(err, "depthwise"));
    tt_layer_free(grouped);
    tt_layer *ap[2] = {tt_avgpool2d_new(2, 0, 0), tt_flatten_new()};
    tt_layer *avg2 = tt_sequential_new(2, ap);
    assert_null(tt_quantize_model(avg2, 3, in_shape, ds, 10, NULL, err, sizeof err));
    assert_non_null(strstr(err, "only global average pooling"));
    tt_layer_free(avg2);
    tt_layer *p[2] = {tt_maxpool2d_new(3, 2, 1), tt_flatten_new()};
    tt_layer *pool3 = tt_sequential_new(2, p);
    assert_null(tt_quantize_model(pool3, 3, in_shape, ds, 10, NULL, err, sizeof err));
    assert_non_null(strstr(err, "2x2 / stride-2"));
    tt_layer_free(pool3);

    tt_qmodel *q = tt_quantize_model(model, 3, in_shape, ds, 20, NULL, err, sizeof err);
    assert_non_null(q);
    char path[300], bad[300];
    tt_test_path(path, sizeof path, "q.safetensors");
    assert_int_equal(tt_qmodel_save(q, path, NULL, 0, err, sizeof err), 0);
    /* a float checkpoint is not an int8 model */
    tt_test_path(bad, sizeof bad, "float.safetensors");
    assert_int_equal(tt_checkpoint_save(bad, model, NULL, NULL, 0, err, sizeof err), 0);
    assert_null(tt_qmodel_load(bad, err, sizeof err));
    assert_non_null(strstr(err, "tinytorch-int8"));
    /* every truncation is refused with a message */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)n);
    assert_int_equal(fread(bytes, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    tt_test_path(bad, sizeof bad, "cut.safetensors");
    for (long cut = 0; cut < n; cut += (cut < 64 ? 1 : 97)) {
        f = fopen(bad, "wb");
        fwrite(bytes, 1, (size_t)cut, f);
        fclose(f);
        err[0] = 0;
        assert_null(tt_qmodel_load(bad, err, sizeof err));
        assert_true(strstr(err, bad) != NULL);
    }
    /* a weight of the wrong dtype: patch the header's "I8" to "U8" */
    char *hit = NULL;
    for (long i = 8; i + 4 < n && !hit; i++) {
        if (memcmp(bytes + i, "\"I8\"", 4) == 0) {
            hit = (char *)bytes + i;
        }
    }
    assert_non_null(hit);
    hit[1] = 'U';
    f = fopen(bad, "wb");
    fwrite(bytes, 1, (size_t)n, f);
    fclose(f);
    assert_null(tt_qmodel_load(bad, err, sizeof err));
    assert_non_null(strstr(err, "layers.0.weight\": dtype U8, want I8"));
    free(bytes);
    /* saving into a missing directory fails and leaves nothing behind */
    tt_test_path(bad, sizeof bad, "missing/q.safetensors");
    assert_int_equal(tt_qmodel_save(q, bad, NULL, 0, err, sizeof err), -1);
    assert_true(access(bad, F_OK) != 0);
    tt_qmodel_free(q);
    tt_qmodel_free(tt_qmodel_load("/nonexistent/q.safetensors", err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
    tt_layer_free(model);
    tt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requant_multiplier),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_gemm_paths),
        cmocka_unit_test(test_quad_kernel_paths),
        cmocka_unit_test(test_depthwise_paths),
        cmocka_unit_test(test_requant_paths),
        cmocka_unit_test(test_epilogue_paths),
        cmocka_unit_test_setup_teardown(test_cnn_int8_close_to_float, tt_test_dir_setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_geometries, tt_test_dir_setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_quad_layouts, tt_test_dir_setup, teardown),
        cmocka_unit_test_setup_teardown(test_mlp_and_calibration_methods, tt_test_dir_setup, teardown),
        cmocka_unit_test_setup_teardown(test_depthwise_model, tt_test_dir_setup, teardown),
        cmocka_unit_test(test_depthwise_layer_exact),
        cmocka_unit_test(test_qat),
        cmocka_unit_test_setup_teardown(test_bad_input, tt_test_dir_setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
