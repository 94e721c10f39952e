/* test_gemm.c - every tt_sgemm path against the reference triple loop tt_sgemm_naive.
 *
 * (The reference loop itself and the progression's steps: test_gemm_reference.c.)
 * Paths: naive, portable (packed + plain C kernel), avx2, avx512 (skipped where the CPU lacks
 * them), each single-threaded and with two threads forced on. Shapes: odd and prime sizes
 * (1, 7, 13, 31, 97, 257 ...), sizes around the register tiles (MR = 6/14, NR = 8/16/32; a last
 * row panel of every height 1..14), K past one KC panel, M past one MC block, N past one NC panel;
 * all four transpose combinations; leading dimensions wider than the matrix (the gap must stay
 * untouched); alpha/beta variants, beta = 0 over a C full of NaN. Two oracles:
 *   - integer-valued inputs: every partial sum is an exact float, so all paths must agree exactly;
 *   - random floats: |ours - ref| <= 2 * (K + 2) * 2^-24 * (|alpha| sum_k |a_ik b_kj| + |beta c_ij|),
 *     the classical bound for a float dot product of length K (Higham, Accuracy and Stability of
 *     Numerical Algorithms, 2nd ed., eq. 3.5) with a factor 2 of margin.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tinytorch/gemm.h"
#include "../src/common/cpu.h"

typedef struct { int64_t M, N, K; } dims;

static const dims shapes[] = {
    { 1, 1, 1 },     { 1, 7, 13 },    { 7, 1, 31 },    { 13, 31, 7 },   { 31, 13, 97 },
    { 97, 31, 257 }, { 257, 97, 13 }, { 6, 8, 5 },     { 14, 32, 3 },   { 15, 33, 17 },
    { 29, 65, 211 }, { 43, 47, 401 }, { 2, 200, 1 },   { 131, 3, 60 },  { 257, 257, 257 },
    /* last row panels of 4, 9, 10, 11, 12 and 8 rows (the AVX-512 edge tiles run 2..14 rows) */
    { 4, 20, 9 },    { 23, 45, 19 },  { 24, 17, 33 },  { 25, 48, 70 },  { 26, 31, 12 },
    { 64, 120, 400 },
};

static uint32_t rng = 12345u;
static float rand_float(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;   /* [-1, 1) */
}
static float rand_int(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((int)((rng >> 16) % 9) - 4);               /* -4 .. 4 */
}

/* Fills a rows x cols matrix with leading dimension ld; the gap past cols gets a sentinel. */
static void fill(float *x, int64_t rows, int64_t cols, int64_t ld, int integer)
{
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < ld; j++)
            x[i * ld + j] = j < cols ? (integer ? rand_int() : rand_float()) : 1234.5f;
}

/* One case: path already chosen by the caller. Returns nothing; asserts inside. */
static void check_case(int ta, int tb, dims d, float alpha, float beta, int integer, int nan_c)
{
    const int64_t M = d.M, N = d.N, K = d.K;
    /* stored shapes: A [M,K] or [K,M]; B [K,N] or [N,K]; padded leading dimensions */
    const int64_t arows = ta ? K : M, acols = ta ? M : K;
    const int64_t brows = tb ? N : K, bcols = tb ? K : N;
    const int64_t lda = acols + 3, ldb = bcols + 5, ldc = N + 2;
    float *A = malloc(sizeof(float) * (size_t)(arows * lda));
    float *B = malloc(sizeof(float) * (size_t)(brows * ldb));
    float *C = malloc(sizeof(float) * (size_t)(M * ldc));
    float *R = malloc(sizeof(float) * (size_t)(M * ldc));
    float *C0 = malloc(sizeof(float) * (size_t)(M * ldc));
    assert_non_null(A); assert_non_null(B); assert_non_null(C); assert_non_null(R);
    assert_non_null(C0);
    fill(A, arows, acols, lda, integer);
    fill(B, brows, bcols, ldb, integer);
    fill(C, M, N, ldc, integer);
    if (nan_c)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = NAN;
    memcpy(R, C, sizeof(float) * (size_t)(M * ldc));
    memcpy(C0, C, sizeof(float) * (size_t)(M * ldc));

    tt_sgemm_naive(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
    tt_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);

    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < ldc; j++) {
            float got = C[i * ldc + j], want = R[i * ldc + j];
            if (j >= N) {   /* the gap between rows of C is never written */
                if (got != 1234.5f)
                    fail_msg("%s: C[%lld][%lld] in the ldc gap was overwritten", tt_sgemm_kernel(),
                             (long long)i, (long long)j);
                continue;
            }
            if (isnan(got))
                fail_msg("%s ta=%d tb=%d %lldx%lldx%lld alpha=%g beta=%g: NaN at (%lld,%lld)",
                         tt_sgemm_kernel(), ta, tb, (long long)M, (long long)N, (long long)K,
                         (double)alpha, (double)beta, (long long)i, (long long)j);
            double tol = 0.0;
            if (!integer) {
                double mag = 0.0;
                for (int64_t k = 0; k < K; k++) {
                    double a = ta ? A[k * lda + i] : A[i * lda + k];
                    double b = tb ? B[j * ldb + k] : B[k * ldb + j];
                    mag += fabs(a * b);
                }
                double c0 = beta == 0.0f ? 0.0 : fabs((double)beta * (double)C0[i * ldc + j]);
                mag = fabs((double)alpha) * mag + c0 + 1e-30;
                tol = 2.0 * (double)(K + 2) * ldexp(1.0, -24) * mag;
            }
            if (fabs((double)got - (double)want) > tol)
                fail_msg("%s ta=%d tb=%d %lldx%lldx%lld alpha=%g beta=%g int=%d: C[%lld][%lld] = "
                         "%.9g, reference %.9g (tol %.3g)",
                         tt_sgemm_kernel(), ta, tb, (long long)M, (long long)N, (long long)K,
                         (double)alpha, (double)beta, integer, (long long)i, (long long)j,
                         (double)got, (double)want, tol);
        }
    }
    free(A); free(B); free(C); free(R); free(C0);
}

static void check_path(const char *path, int threads)
{
    if (!tt_sgemm_kernel_supported(path)) {
        skip();
        return;
    }
    assert_int_equal(tt_sgemm_set_kernel(path), 0);
    if (strcmp(path, "auto") != 0) assert_string_equal(tt_sgemm_kernel(), path);
    tt_set_num_threads(threads);
    tt_sgemm_set_thread_threshold(threads > 1 ? 0.0 : 1e300);
    static const float ab[][2] = { { 1.0f, 0.0f }, { -0.5f, 1.0f }, { 2.0f, -3.0f } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++) {
            int ta = t & 1, tb = t >> 1;
            check_case(ta, tb, shapes[s], 1.0f, 0.0f, 1, 0);          /* exact */
            check_case(ta, tb, shapes[s], 2.0f, -1.0f, 1, 0);         /* exact, beta */
            for (size_t v = 0; v < sizeof ab / sizeof ab[0]; v++)
                check_case(ta, tb, shapes[s], ab[v][0], ab[v][1], 0, 0);
            check_case(ta, tb, shapes[s], 0.75f, 0.0f, 0, 1);         /* beta 0 over NaN */
        }
    tt_set_num_threads(1);
    tt_sgemm_set_thread_threshold(-1);   /* the default */
    tt_sgemm_set_kernel("auto");
}

static void test_naive(void **state) { (void)state; check_path("naive", 1); }
static void test_portable(void **state) { (void)state; check_path("portable", 1); }
static void test_avx2(void **state) { (void)state; check_path("avx2", 1); }
static void test_avx512(void **state) { (void)state; check_path("avx512", 1); }
static void test_portable_threaded(void **state) { (void)state; check_path("portable", 2); }
static void test_auto_threaded(void **state) { (void)state; check_path("auto", 2); }
static void test_avx2_threaded(void **state) { (void)state; check_path("avx2", 3); }

/* Blocks larger than one cache block: M past MC, N past NC, K past several KC. */
static void test_large_blocks(void **state)
{
    (void)state;
    const char *paths[] = { "portable", "avx2", "avx512" };
    for (int p = 0; p < 6; p++) {   /* each path single-threaded, then with 2 threads */
        if (!tt_sgemm_kernel_supported(paths[p % 3])) continue;
        tt_sgemm_set_kernel(paths[p % 3]);
        tt_set_num_threads(p < 3 ? 1 : 2);
        tt_sgemm_set_thread_threshold(p < 3 ? 1e300 : 0.0);
        tt_sgemm_blocking b = tt_sgemm_get_blocking();
        assert_true(b.kc >= 8 && b.mc >= b.mr && b.nc >= b.nr);
        dims tall = { b.mc + b.mr + 3, 5, 3 }, wide = { 3, b.nc + b.nr + 7, 2 },
             deep = { 9, 11, 3 * b.kc + 5 };
        for (int t = 0; t < 4; t++) {
            check_case(t & 1, t >> 1, tall, 1.0f, 0.5f, 1, 0);
            check_case(t & 1, t >> 1, wide, 1.0f, 0.0f, 0, 1);
            check_case(t & 1, t >> 1, deep, 1.5f, 0.0f, 0, 0);
        }
    }
    tt_set_num_threads(1);
    tt_sgemm_set_thread_threshold(-1);   /* the default */
    tt_sgemm_set_kernel("auto");
}

/* Hand-worked: [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]], on every path; with the
 * transposed storage of both operands the same numbers. */
static void test_hand_worked(void **state)
{
    (void)state;
    const char *paths[] = { "naive", "portable", "avx2", "avx512", "openblas" };
    const float A[4] = { 1, 2, 3, 4 }, B[4] = { 5, 6, 7, 8 };
    const float At[4] = { 1, 3, 2, 4 }, Bt[4] = { 5, 7, 6, 8 };
    const float want[4] = { 19, 22, 43, 50 };
    for (int p = 0; p < 5; p++) {
        if (!tt_sgemm_kernel_supported(paths[p])) continue;
        assert_int_equal(tt_sgemm_set_kernel(paths[p]), 0);
        float C[4] = { NAN, NAN, NAN, NAN };
        tt_sgemm(0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
        for (int i = 0; i < 4; i++) assert_float_equal(C[i], want[i], 0.0f);
        tt_sgemm(1, 1, 2, 2, 2, 1.0f, At, 2, Bt, 2, 1.0f, C, 2);   /* C += A@B */
        for (int i = 0; i < 4; i++) assert_float_equal(C[i], 2 * want[i], 0.0f);
        tt_sgemm(0, 0, 2, 2, 2, 0.0f, A, 2, B, 2, 0.5f, C, 2);     /* alpha 0: C = beta*C */
        for (int i = 0; i < 4; i++) assert_float_equal(C[i], want[i], 0.0f);
        tt_sgemm(0, 0, 2, 2, 0, 1.0f, A, 2, B, 2, 0.0f, C, 2);     /* K = 0, beta 0: zeros */
        for (int i = 0; i < 4; i++) assert_float_equal(C[i], 0.0f, 0.0f);
    }
    tt_sgemm_set_kernel("auto");
}

static void test_kernel_selection(void **state)
{
    (void)state;
    assert_int_equal(tt_sgemm_set_kernel("no-such-kernel"), -1);
    assert_int_equal(tt_sgemm_kernel_supported("no-such-kernel"), 0);
    assert_int_equal(tt_sgemm_kernel_supported("naive"), 1);
    assert_int_equal(tt_sgemm_kernel_supported("portable"), 1);
#if defined(__x86_64__) && !defined(TT_NO_X86_KERNELS)
    /* The library's probe, so a TT_ISA cap (which hides features) is honoured here too. */
    assert_int_equal(tt_sgemm_kernel_supported("avx512"), tt__cpu_has(TT_CPU_AVX512F));
    assert_int_equal(tt_sgemm_kernel_supported("avx2"), tt__cpu_has(TT_CPU_AVX2 | TT_CPU_FMA));
#else
    assert_int_equal(tt_sgemm_kernel_supported("avx2"), 0);
    assert_int_equal(tt_sgemm_kernel_supported("avx512"), 0);
#endif
    assert_int_equal(tt_sgemm_set_kernel("portable"), 0);
    assert_string_equal(tt_sgemm_kernel(), "portable");
    assert_int_equal(tt_sgemm_set_kernel("auto"), 0);
    tt_set_num_threads(3);
    assert_int_equal(tt_get_num_threads(), 3);
    tt_set_num_threads(1);
    assert_int_equal(tt_get_num_threads(), 1);
}

int main(void)
{
#ifdef TT_TEST_GEMM_SETUP
    TT_TEST_GEMM_SETUP();
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_selection),
        cmocka_unit_test(test_hand_worked),
        cmocka_unit_test(test_naive),
        cmocka_unit_test(test_portable),
        cmocka_unit_test(test_avx2),
        cmocka_unit_test(test_avx512),
        cmocka_unit_test(test_portable_threaded),
        cmocka_unit_test(test_avx2_threaded),
        cmocka_unit_test(test_auto_threaded),
        cmocka_unit_test(test_large_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
