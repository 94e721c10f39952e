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
#include "tinytorch/checkpoint.h"

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
            /* TODO: *a [M, rank] = the first rank columns of U (M x K) times S; *b [rank, N] = the first
             * rank rows of VT; *rel_error = sqrt(sum of the dropped s^2 / sum of all s^2) (0 if all 0) */
            /* BEGIN SOLUTION */
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
            /* END SOLUTION */
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

/* A fresh copy of layer l (rebuilt from its description, parameters and buffers copied by name). */
static tt_layer *clone_layer(tt_layer *l, char *err, size_t errlen)
{
    char desc[4096];
    if (tt_layer_describe(l, desc, sizeof desc) != 0) {
        snprintf(err, errlen, "lowrank: layer %s cannot be described (too long)", l->ops->kind);
        return NULL;
    }
    tt_layer *c = tt_layer_from_description(desc, err, errlen);
    if (!c) {
        return NULL;
    }
    tt_params src, dst;
    tt_params_init(&src);
    tt_params_init(&dst);
    tt_layer_params(l, &src);
    tt_layer_buffers(l, &src);
    tt_layer_params(c, &dst);
    tt_layer_buffers(c, &dst);
    bool ok = src.n == dst.n;
    for (int k = 0; ok && k < dst.n; k++) {
        tt_tensor *s = tt_params_find(&src, dst.names[k]);
        ok = s && s->numel == dst.t[k]->numel;
        if (ok) {
            memcpy(dst.t[k]->data, s->data, (size_t)s->numel * sizeof(float));
        }
    }
    tt_params_free(&src);
    tt_params_free(&dst);
    if (!ok) {
        snprintf(err, errlen, "lowrank: layer %s: its copy has other parameters", desc);
        tt_layer_free(c);
        return NULL;
    }
    return c;
}

tt_layer *tt_lowrank_model(tt_layer *seq, int64_t rank, tt_lowrank_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    if (strcmp(seq->ops->kind, "Sequential") != 0) {
        snprintf(err, errlen, "lowrank: the model is a %s; a Sequential is needed", seq->ops->kind);
        return NULL;
    }
    if (rank < 1) {
        snprintf(err, errlen, "lowrank: rank %lld must be at least 1", (long long)rank);
        return NULL;
    }
    tt_layer *out = tt_sequential_new(0, NULL);
    const int n = tt_sequential_len(seq);
    for (int i = 0; i < n; i++) {
        tt_layer *l = tt_sequential_at(seq, i);
        const tt_linear_layer *lin = strcmp(l->ops->kind, "Linear") == 0 ? (const tt_linear_layer *)l : NULL;
        const int64_t O = lin ? lin->out_features : 0, I = lin ? lin->in_features : 0;
        if (lin && rank * (O + I) < O * I) {
            tt_tensor *a = NULL, *b = NULL;
            double rel = 0.0;
            if (tt_lowrank_factor(lin->weight, rank, &a, &b, &rel, err, errlen) != 0) {
                tt_layer_free(out);
                return NULL;
            }
            tt_layer *first = tt_linear_new(I, rank, false, TT_INIT_PYTORCH, NULL);
            tt_layer *second = tt_linear_new(rank, O, lin->bias != NULL, TT_INIT_PYTORCH, NULL);
            tt_linear_layer *f1 = (tt_linear_layer *)first, *f2 = (tt_linear_layer *)second;
            memcpy(f1->weight->data, b->data, (size_t)(rank * I) * sizeof(float));
            memcpy(f2->weight->data, a->data, (size_t)(O * rank) * sizeof(float));
            if (lin->bias) {
                memcpy(f2->bias->data, lin->bias->data, (size_t)O * sizeof(float));
            }
            tt_tensor_free(a);
            tt_tensor_free(b);
            tt_sequential_append(out, first);
            tt_sequential_append(out, second);
            rep->factored++;
            rep->max_rel_error = rel > rep->max_rel_error ? rel : rep->max_rel_error;
            rep->params_before += O * I;
            rep->params_after += rank * (O + I);
            continue;
        }
        if (lin) {
            rep->kept++;
        }
        tt_layer *c = clone_layer(l, err, errlen);
        if (!c) {
            tt_layer_free(out);
            return NULL;
        }
        tt_sequential_append(out, c);
    }
    if (rep->factored == 0) {
        snprintf(err, errlen, "lowrank: rank %lld saves nothing on any Linear of this model (a rank r pays off when "
                 "r * (out + in) < out * in): choose a smaller rank", (long long)rank);
        tt_layer_free(out);
        return NULL;
    }
    tt_layer_train(out, seq->training);
    return out;
}
