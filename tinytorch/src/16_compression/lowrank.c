/* lowrank.c - low-rank factorization of a Linear weight by truncated SVD (module 16).
 *
 * w [out, in] = U S V^T (LAPACK's sgesvd, the reference implementation's SVD); keeping the r largest
 * singular values gives the best rank-r approximation in the Frobenius norm (Eckart-Young):
 *     a = U_r S_r [out, r],  b = V_r^T [r, in],   ||w - a b||_F^2 = sum of the dropped s_i^2.
 * A Linear of out x in weights becomes two of r x in and out x r: fewer parameters and FLOPs when
 * r < out * in / (out + in).
 *
 * LAPACKE (Debian's liblapacke) is loaded at run time with dlopen, so libtinytorch and every program
 * linking it build and run without it; only this function needs it, and says so when it is missing.
 */
#define _POSIX_C_SOURCE 200809L
#include "tinytorch/compress.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LAPACKE_sgesvd with LP64 integers (Debian's liblapacke): row-major = 101. */
typedef int (*sgesvd_fn)(int layout, char jobu, char jobvt, int m, int n, float *a, int lda, float *s, float *u,
                         int ldu, float *vt, int ldvt, float *superb);

static sgesvd_fn find_sgesvd(void)
{
    static sgesvd_fn fn;
    static bool tried;
    if (!tried) {
        tried = true;
        const char *names[] = {"liblapacke.so.3", "liblapacke.so"};
        for (int i = 0; i < 2 && !fn; i++) {
            void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
            if (h) {
                void *sym = dlsym(h, "LAPACKE_sgesvd");
                memcpy(&fn, &sym, sizeof fn); /* object -> function pointer, as POSIX allows */
            }
        }
    }
    return fn;
}

int tt_lowrank_factor(const tt_tensor *w, int64_t rank, tt_tensor **a, tt_tensor **b, double *rel_error,
                      char *err, size_t errlen)
{
    if (w->ndim != 2) {
        snprintf(err, errlen, "lowrank: weight must be 2-d [out, in]");
        return -1;
    }
    const int64_t M = w->shape[0], N = w->shape[1], K = M < N ? M : N;
    if (rank < 1 || rank > K) {
        snprintf(err, errlen, "lowrank: rank %lld is outside [1, %lld] for a [%lld, %lld] weight", (long long)rank,
                 (long long)K, (long long)M, (long long)N);
        return -1;
    }
    if (M > 1 << 20 || N > 1 << 20) {
        snprintf(err, errlen, "lowrank: weight too large for LAPACK's 32-bit sizes");
        return -1;
    }
    sgesvd_fn sgesvd = find_sgesvd();
    if (!sgesvd) {
        snprintf(err, errlen, "lowrank: LAPACKE is not installed (Debian: apt-get install liblapacke-dev)");
        return -1;
    }
    float *A = malloc((size_t)(M * N) * sizeof(float)), *S = malloc((size_t)K * sizeof(float));
    float *U = malloc((size_t)(M * K) * sizeof(float)), *VT = malloc((size_t)(K * N) * sizeof(float));
    float *sup = malloc((size_t)K * sizeof(float));
    int rc = -1;
    if (A && S && U && VT && sup) {
        memcpy(A, w->data, (size_t)(M * N) * sizeof(float));
        int info = sgesvd(101, 'S', 'S', (int)M, (int)N, A, (int)N, S, U, (int)K, VT, (int)N, sup);
        if (info != 0) {
            snprintf(err, errlen, "lowrank: sgesvd failed (info %d)", info);
        } else {
            *a = tt_tensor_new_persistent(2, (const int64_t[]){M, rank});
            *b = tt_tensor_new_persistent(2, (const int64_t[]){rank, N});
            for (int64_t i = 0; i < M; i++) {
                for (int64_t r = 0; r < rank; r++) {
                    (*a)->data[i * rank + r] = U[i * K + r] * S[r];
                }
            }
            memcpy((*b)->data, VT, (size_t)(rank * N) * sizeof(float));
            double tot = 0.0, kept = 0.0;
            for (int64_t r = 0; r < K; r++) {
                tot += (double)S[r] * S[r];
                kept += r < rank ? (double)S[r] * S[r] : 0.0;
            }
            if (rel_error) {
                *rel_error = tot > 0 ? sqrt(fmax(tot - kept, 0.0) / tot) : 0.0;
            }
            rc = 0;
        }
    } else {
        snprintf(err, errlen, "lowrank: out of memory");
    }
    free(A);
    free(S);
    free(U);
    free(VT);
    free(sup);
    return rc;
}
