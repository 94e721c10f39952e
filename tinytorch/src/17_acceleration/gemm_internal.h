/* gemm_internal.h - what the SGEMM driver (gemm.c) and its micro-kernels share; not public.
 *
 * A micro-kernel computes one register tile of C:
 *     C[0:MR, 0:NR] = alpha * op(A)[0:MR, 0:kc] · Bp + beta * C        (beta == 0: C is not read)
 * where
 *     op(A)[i, k] = a[i*rs_a + k*cs_a]: either a packed MR-interleaved panel (rs_a = 1, cs_a = MR)
 *                   or A in place (rs_a = lda, cs_a = 1; transposed: rs_a = 1, cs_a = lda);
 *     op(B)[k, j] = b[k*ldb_p + j]: a packed NR-column panel (ldb_p = NR, 64-byte aligned, kc*NR
 *                   floats) or, on the AVX-512 path, B itself in place (ldb_p = ldb).
 * C is row-major with leading dimension ldc (floats). The driver always hands a full MR x NR tile
 * (edges go through a scratch tile and a packed, zero-padded A panel), kc >= 1.
 */
#ifndef TT_GEMM_INTERNAL_H
#define TT_GEMM_INTERNAL_H

#include <stdint.h>

/* The x86 SIMD kernels exist on x86-64 only. -DTT_NO_X86_KERNELS leaves them out on x86-64 too,
 * which builds exactly what a non-x86 target gets (the portable path), so it can be tested here. */
#if defined(__x86_64__) && !defined(TT_NO_X86_KERNELS)
#define TT_GEMM_X86 1
#endif

typedef void (*tt_gemm_ukernel_fn)(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                                   const float *b, int64_t ldb_p, float *c, int64_t ldc,
                                   float alpha, float beta);

/* Packs one full NR-column panel of a transposed B (stored [N,K]):
 *     bp[k*NR + j] = b[j*ldb + k]   for j in [0, NR), k in [0, kc)          (a transpose) */
typedef void (*tt_gemm_pack_bt_fn)(const float *b, int64_t ldb, int64_t kc, float *bp);

/* Packs one full MR-row panel of a non-transposed A (stored [M,K]):
 *     ap[k*MR + i] = a[i*lda + k]   for i in [0, MR), k in [0, kc)          (a transpose) */
typedef void (*tt_gemm_pack_an_fn)(const float *a, int64_t lda, int64_t kc, float *ap);

/* Edge tile: like the kernel, but only the top-left m x n (m <= MR, n <= NR) of the tile is
 * stored to C (and read, when beta != 0), and only n columns of b are read; a must still provide
 * MR rows (zero-padded panel). */
typedef void (*tt_gemm_edge_fn)(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                                const float *b, int64_t ldb_p, float *c, int64_t ldc,
                                float alpha, float beta, int m, int n);

/* The SIMD edge kernels run as many rows as the panel has, rounded up to even: one instance per row
 * count R of an always-inlined body edge_rows(kc, a, rs_a, cs_a, b, ldb_p, c, ldc, alpha, beta, m,
 * n, R) (the file's own), each with constant row offsets for a packed panel (rs_a == 1). */
#define TT_GEMM_EDGE_ROWS(ATTR, R)                                                                  \
    ATTR static void edge_rows_##R(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,         \
                                   const float *bp, int64_t ldb_p, float *c, int64_t ldc,          \
                                   float alpha, float beta, int m, int n)                          \
    {                                                                                               \
        if (rs_a == 1)                                                                              \
            edge_rows(kc, a, 1, cs_a, bp, ldb_p, c, ldc, alpha, beta, m, n, R);                     \
        else                                                                                        \
            edge_rows(kc, a, rs_a, cs_a, bp, ldb_p, c, ldc, alpha, beta, m, n, R);                  \
    }

typedef struct {
    const char *name;          /* "portable", "avx2", "avx512" */
    int mr, nr;                /* register tile: MR rows x NR columns of C */
    tt_gemm_ukernel_fn kernel;
    tt_gemm_pack_bt_fn pack_bt;   /* SIMD transpose for B^T panels, or NULL (plain C loop) */
    tt_gemm_edge_fn edge;         /* masked edge tiles, or NULL (kernel into a scratch tile) */
    tt_gemm_pack_an_fn pack_an;   /* SIMD transpose for A panels, or NULL (plain C loop) */
} tt_gemm_kernel;

/* Plain C, any target (gemm_kernel_portable.c). */
extern const tt_gemm_kernel tt_gemm_kernel_portable;

#ifdef TT_GEMM_X86
/* x86-64 only; the caller checks CPUID before using them. */
extern const tt_gemm_kernel tt_gemm_kernel_avx2;    /* gemm_kernel_avx2.c   (AVX2 + FMA) */
extern const tt_gemm_kernel tt_gemm_kernel_avx512;  /* gemm_kernel_avx512.c (AVX-512F)   */
#endif

#endif
