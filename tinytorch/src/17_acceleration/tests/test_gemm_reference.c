/* test_gemm_reference.c - what module 17's learner writes: the reference triple loop
 * tt_sgemm_naive (C = alpha op(A) op(B) + beta C, any transpose, leading dimensions wider than the
 * matrix) and the progression's steps (ijk, ikj, blocked), against an independent double-precision
 * loop and hand-worked numbers. Small shapes only, so grading the module takes a second;
 * test_gemm.c then checks every fast path against tt_sgemm_naive on large ones. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tinytorch/gemm.h"

static uint32_t rng = 4242u;
static float small_int(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((int)((rng >> 16) % 9) - 4); /* -4 .. 4: every sum below is an exact float */
}

/* Hand-worked: [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]]; transposed storage gives the same. */
static void test_hand_worked(void **state)
{
    (void)state;
    const float A[4] = {1, 2, 3, 4}, B[4] = {5, 6, 7, 8};
    const float At[4] = {1, 3, 2, 4}, Bt[4] = {5, 7, 6, 8};
    const float want[4] = {19, 22, 43, 50};
    float C[4] = {NAN, NAN, NAN, NAN};
    tt_sgemm_naive(0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2); /* beta 0 ignores the NaNs */
    for (int i = 0; i < 4; i++) assert_float_equal(C[i], want[i], 0.0f);
    tt_sgemm_naive(1, 1, 2, 2, 2, 1.0f, At, 2, Bt, 2, 1.0f, C, 2); /* C += A@B */
    for (int i = 0; i < 4; i++) assert_float_equal(C[i], 2 * want[i], 0.0f);
    tt_sgemm_naive(1, 0, 2, 2, 2, 1.0f, At, 2, B, 2, 0.0f, C, 2);
    for (int i = 0; i < 4; i++) assert_float_equal(C[i], want[i], 0.0f);
    tt_sgemm_naive(0, 1, 2, 2, 2, -1.0f, A, 2, Bt, 2, 2.0f, C, 2); /* 2C - A@B = A@B */
    for (int i = 0; i < 4; i++) assert_float_equal(C[i], want[i], 0.0f);
    tt_sgemm_naive(0, 0, 2, 2, 0, 1.0f, A, 2, B, 2, 0.0f, C, 2); /* K = 0, beta 0: zeros */
    for (int i = 0; i < 4; i++) assert_float_equal(C[i], 0.0f, 0.0f);
}

/* Every transpose, alpha/beta pair and a few odd shapes against a double loop written here; the
 * gap past N in each row of C is never touched. */
static void test_naive_against_double_loop(void **state)
{
    (void)state;
    static const int64_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {7, 2, 9}, {6, 8, 5}, {13, 11, 17}};
    static const float ab[][2] = {{1.0f, 0.0f}, {2.0f, -1.0f}, {-0.5f, 0.5f}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        for (int t = 0; t < 4; t++) {
            const int ta = t & 1, tb = t >> 1;
            const int64_t arows = ta ? K : M, acols = ta ? M : K, brows = tb ? N : K, bcols = tb ? K : N;
            const int64_t lda = acols + 2, ldb = bcols + 3, ldc = N + 1;
            float *A = malloc(sizeof(float) * (size_t)(arows * lda));
            float *B = malloc(sizeof(float) * (size_t)(brows * ldb));
            float *C = malloc(sizeof(float) * (size_t)(M * ldc));
            assert_non_null(A);
            assert_non_null(B);
            assert_non_null(C);
            for (int64_t i = 0; i < arows * lda; i++) A[i] = small_int();
            for (int64_t i = 0; i < brows * ldb; i++) B[i] = small_int();
            for (size_t v = 0; v < sizeof ab / sizeof ab[0]; v++) {
                for (int64_t i = 0; i < M * ldc; i++) C[i] = (i % ldc) < N ? small_int() : 1234.5f;
                float *C0 = malloc(sizeof(float) * (size_t)(M * ldc));
                assert_non_null(C0);
                memcpy(C0, C, sizeof(float) * (size_t)(M * ldc));
                tt_sgemm_naive(ta, tb, M, N, K, ab[v][0], A, lda, B, ldb, ab[v][1], C, ldc);
                for (int64_t i = 0; i < M; i++) {
                    for (int64_t j = 0; j < N; j++) {
                        double acc = 0.0;
                        for (int64_t k = 0; k < K; k++) {
                            double a = ta ? A[k * lda + i] : A[i * lda + k];
                            double b = tb ? B[j * ldb + k] : B[k * ldb + j];
                            acc += a * b;
                        }
                        double want = (double)ab[v][0] * acc + (double)ab[v][1] * (double)C0[i * ldc + j];
                        if ((double)C[i * ldc + j] != want)
                            fail_msg("tt_sgemm_naive ta=%d tb=%d %lldx%lldx%lld alpha=%g beta=%g: C[%lld][%lld] "
                                     "= %g, want %g", ta, tb, (long long)M, (long long)N, (long long)K,
                                     (double)ab[v][0], (double)ab[v][1], (long long)i, (long long)j,
                                     (double)C[i * ldc + j], want);
                    }
                    assert_float_equal(C[i * ldc + N], 1234.5f, 0.0f); /* the ldc gap */
                }
                free(C0);
            }
            free(A);
            free(B);
            free(C);
        }
    }
}

/* The progression's steps compute the same product as the reference (integer inputs: exact), for
 * sizes that are not multiples of the tile and for tiles larger than the matrix. */
static void test_steps(void **state)
{
    (void)state;
    static const int64_t shapes[][3] = {{37, 53, 71}, {5, 3, 2}, {16, 16, 16}};
    static const int64_t tiles[] = {16, 7, 64};
    for (size_t s = 0; s < 3; s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = malloc(sizeof(float) * (size_t)(M * K)), *B = malloc(sizeof(float) * (size_t)(K * N));
        float *R = malloc(sizeof(float) * (size_t)(M * N)), *C = malloc(sizeof(float) * (size_t)(M * N));
        assert_non_null(A);
        assert_non_null(B);
        assert_non_null(R);
        assert_non_null(C);
        for (int64_t i = 0; i < M * K; i++) A[i] = small_int();
        for (int64_t i = 0; i < K * N; i++) B[i] = small_int();
        tt_sgemm_naive(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, R, N);
        for (int64_t i = 0; i < M * N; i++) C[i] = NAN;
        tt_sgemm_step_ijk(M, N, K, A, B, C);
        assert_memory_equal(C, R, sizeof(float) * (size_t)(M * N));
        for (int64_t i = 0; i < M * N; i++) C[i] = NAN;
        tt_sgemm_step_ikj(M, N, K, A, B, C);
        assert_memory_equal(C, R, sizeof(float) * (size_t)(M * N));
        for (size_t t = 0; t < 3; t++) {
            for (int64_t i = 0; i < M * N; i++) C[i] = NAN;
            tt_sgemm_step_blocked(M, N, K, A, B, C, tiles[t]);
            assert_memory_equal(C, R, sizeof(float) * (size_t)(M * N));
        }
        free(A);
        free(B);
        free(R);
        free(C);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked),
        cmocka_unit_test(test_naive_against_double_loop),
        cmocka_unit_test(test_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
