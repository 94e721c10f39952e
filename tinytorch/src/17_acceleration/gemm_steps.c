/* gemm_steps.c - the first steps of the module's progression, kept small and runnable so that the
 * GFLOP/s table in ABOUT.md can be reproduced (bench/sgemm/run.sh steps).
 *
 * All compute C[M,N] = A[M,K] @ B[K,N], row-major, contiguous (lda = K, ldb = ldc = N), in float.
 * The later steps (packing + register tile, SIMD, threads) are tt_sgemm itself with a forced path.
 */
#include "tinytorch/gemm.h"
#include "tinytorch/tensor.h" /* tt_fatal, which the learner's stubs call */

/* Step 1. For each C element a dot product: the k loop walks a column of B with stride N, so
 * every iteration touches a new cache line of B once N*4 bytes exceed a line. */
void tt_sgemm_step_ijk(int64_t M, int64_t N, int64_t K, const float *A, const float *B, float *C)
{
    /* TODO: C[i][j] = sum_k A[i][k] B[k][j]; A is [M, K], B [K, N], C [M, N], row-major. */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
            C[i * N + j] = acc;
        }
    /* END SOLUTION */
}

/* Step 2. Swap the two inner loops: C[i,:] += A[i,k] * B[k,:] walks B and C with unit stride,
 * which the compiler turns into vector loads, multiplies and adds. */
void tt_sgemm_step_ikj(int64_t M, int64_t N, int64_t K, const float *A, const float *B, float *C)
{
    /* TODO: the same product with k outside j: row i of C starts at 0, then C[i,:] += A[i][k] B[k,:]. */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < M; i++) {
        float *ci = C + i * N;
        for (int64_t j = 0; j < N; j++) ci[j] = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            float a = A[i * K + k];
            const float *bk = B + k * N;
            for (int64_t j = 0; j < N; j++) ci[j] += a * bk[j];
        }
    }
    /* END SOLUTION */
}

/* Step 3. The same i-k-j order inside tile x tile blocks: a block of B (tile*tile*4 bytes, 64 KiB
 * at tile 128) is reused for `tile` rows of A while it is still in L2, instead of streaming all of
 * B from memory for every row of C. */
void tt_sgemm_step_blocked(int64_t M, int64_t N, int64_t K, const float *A, const float *B,
                           float *C, int64_t tile)
{
    if (tile < 1) tile = 64;
    /* TODO: C = 0, then for each (i0, k0, j0) tile the i-k-j loops over rows i0..i1-1, k0..k1-1 and
     * columns j0..j1-1, the last tile of each dimension cut at M, K or N. */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < M * N; i++) C[i] = 0.0f;
    for (int64_t i0 = 0; i0 < M; i0 += tile)
        for (int64_t k0 = 0; k0 < K; k0 += tile)
            for (int64_t j0 = 0; j0 < N; j0 += tile) {
                int64_t i1 = i0 + tile < M ? i0 + tile : M;
                int64_t k1 = k0 + tile < K ? k0 + tile : K;
                int64_t j1 = j0 + tile < N ? j0 + tile : N;
                for (int64_t i = i0; i < i1; i++) {
                    float *ci = C + i * N;
                    for (int64_t k = k0; k < k1; k++) {
                        float a = A[i * K + k];
                        const float *bk = B + k * N;
                        for (int64_t j = j0; j < j1; j++) ci[j] += a * bk[j];
                    }
                }
            }
    /* END SOLUTION */
}
