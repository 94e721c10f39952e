/* zero1.c - ZeRO stage 1: the optimizer state sharded over the ranks by flat element ranges.
 *
 * The parameters, laid end to end, form one flat vector of E elements; rank r owns the elements
 * [r·E/N, (r+1)·E/N) (DeepSpeed's flat partitioning, Rajbhandari et al. 2020 §5.1), so every rank
 * holds 1/N of the momentum / Adam moments (±1 element) whatever the parameter sizes: a parameter
 * may be split between ranks. tt_zero1_owned hands the optimizer one 1-D view per owned slice (its
 * data and gradient point into the parameter's), so an element-wise optimizer (SGD, Adam, AdamW)
 * runs the same arithmetic on the same numbers as without sharding: the weights are bit for bit
 * those of plain data parallelism (tested). A step is: the averaged gradients (tt_ddp), the
 * optimizer step on the owned slices, then tt_zero1_sync: each rank packs its slice into a flat
 * buffer, one MPI_Allgatherv assembles the whole vector on every rank, and the parameters are
 * unpacked from it. Traffic per step: the all-reduce plus one all-gather of the parameters.
 * Invariants: the views live as long as the tt_zero1; parameter gradients are allocated (zeroed)
 * by tt_zero1_new so the views can point at them before the first backward pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist_internal.h"
#include "tinytorch/autograd.h"

struct tt_zero1 {
    int n;                 /* parameters */
    tt_tensor **params;
    int64_t *offset;       /* flat offset of params[i] */
    int64_t total;         /* E */
    int size;              /* ranks */
    int *counts, *displs;  /* per rank: owned elements and their flat start (MPI_Allgatherv) */
    int nviews;
    tt_tensor *views;      /* this rank's slices, in flat order */
    char **names;          /* "NAME[lo:hi]" of each view */
    float *flat;           /* E floats: the gather buffer */
};

static int64_t range_lo(int64_t total, int size, int r) { return total * r / size; }

tt_zero1 *tt_zero1_new(tt_tensor *const *params, int n, char *err, size_t errlen)
{
    int size = tt_dist_size(), me = tt_dist_rank();
    if (n < 0 || (n > 0 && !params)) {
        tt__dist_err(err, errlen, "tt_zero1_new: %d parameters (want >= 0)", n);
        return NULL;
    }
    tt_zero1 *z = calloc(1, sizeof *z);
    if (!z) {
        tt__dist_err(err, errlen, "tt_zero1_new: out of memory");
        return NULL;
    }
    size_t nn = (size_t)(n > 0 ? n : 1);
    z->n = n;
    z->size = size;
    z->params = calloc(nn, sizeof *z->params);
    z->offset = calloc(nn, sizeof *z->offset);
    z->counts = calloc((size_t)size, sizeof *z->counts);
    z->displs = calloc((size_t)size, sizeof *z->displs);
    z->views = calloc(nn, sizeof *z->views);    /* a rank's range touches at most n parameters */
    z->names = calloc(nn, sizeof *z->names);
    if (!z->params || !z->offset || !z->counts || !z->displs || !z->views || !z->names) {
        tt_zero1_free(z);
        tt__dist_err(err, errlen, "tt_zero1_new: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (params[i]->numel > INT32_MAX - z->total) {
            tt_zero1_free(z);
            tt__dist_err(err, errlen, "tt_zero1_new: the parameters hold more than 2^31 elements in all "
                         "(MPI counts are int); shard a smaller model");
            return NULL;
        }
        z->params[i] = params[i];
        z->offset[i] = z->total;
        z->total += params[i]->numel;
        tt_grad_buf(params[i]);                 /* persistent, zeroed: the views point into it */
    }
    for (int r = 0; r < size; r++) {
        z->displs[r] = (int)range_lo(z->total, size, r);
        z->counts[r] = (int)(range_lo(z->total, size, r + 1) - z->displs[r]);
    }
    z->flat = malloc((size_t)(z->total > 0 ? z->total : 1) * sizeof(float));
    if (!z->flat) {
        tt_zero1_free(z);
        tt__dist_err(err, errlen, "tt_zero1_new: out of memory (%lld floats)", (long long)z->total);
        return NULL;
    }
    int64_t lo = z->displs[me], hi = lo + z->counts[me];
    for (int i = 0; i < n && lo < hi; i++) {
        int64_t a = z->offset[i], b = a + params[i]->numel;
        int64_t s = lo > a ? lo : a, e = hi < b ? hi : b;
        if (s >= e) {
            continue;
        }
        tt_tensor *v = &z->views[z->nviews];
        v->data = params[i]->data + (s - a);
        v->grad = params[i]->grad + (s - a);
        v->numel = e - s;
        v->ndim = 1;
        v->shape[0] = e - s;
        v->flags = params[i]->flags;
        v->node = NULL;
        const char *base = params[i]->name ? params[i]->name : "param";
        int len = snprintf(NULL, 0, "%s[%lld:%lld]", base, (long long)(s - a), (long long)(e - a));
        z->names[z->nviews] = malloc((size_t)len + 1);
        if (!z->names[z->nviews]) {
            tt_zero1_free(z);
            tt__dist_err(err, errlen, "tt_zero1_new: out of memory");
            return NULL;
        }
        snprintf(z->names[z->nviews], (size_t)len + 1, "%s[%lld:%lld]", base, (long long)(s - a), (long long)(e - a));
        v->name = z->names[z->nviews];
        z->nviews++;
    }
    return z;
}

void tt_zero1_owned(const tt_zero1 *z, const tt_params *all, tt_params *out)
{
    (void)all;
    for (int k = 0; k < z->nviews; k++) {
        tt_params_add(out, z->names[k], &((tt_zero1 *)z)->views[k]);
    }
}

int tt_zero1_owner(const tt_zero1 *z, int i)
{
    if (i < 0 || i >= z->n) {
        return -1;
    }
    int r = 0;
    while (r + 1 < z->size && z->offset[i] >= z->displs[r + 1]) {
        r++;
    }
    return r;
}

int64_t tt_zero1_range(const tt_zero1 *z, int rank, int64_t *lo)
{
    if (rank < 0 || rank >= z->size) {
        if (lo) {
            *lo = 0;
        }
        return 0;
    }
    if (lo) {
        *lo = z->displs[rank];
    }
    return z->counts[rank];
}

int tt_zero1_sync(tt_zero1 *z, char *err, size_t errlen)
{
    if (z->size == 1 || z->total == 0) {
        return 0;
    }
    int me = tt_dist_rank();
    int64_t lo = z->displs[me], hi = lo + z->counts[me];
    for (int i = 0; i < z->n; i++) {            /* pack my slice */
        int64_t a = z->offset[i], b = a + z->params[i]->numel;
        int64_t s = lo > a ? lo : a, e = hi < b ? hi : b;
        if (s < e) {
            memcpy(z->flat + s, z->params[i]->data + (s - a), (size_t)(e - s) * sizeof(float));
        }
    }
    MPI_Request req;
    int rc = MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, z->flat, z->counts, z->displs, MPI_FLOAT,
                             tt__dist_comm, &req);
    if (rc != MPI_SUCCESS) {
        return tt__dist_mpi_err(rc, "ZeRO-1 parameter all-gather", err, errlen);
    }
    rc = tt__dist_wait(&req, 1, "ZeRO-1 parameter all-gather", err, errlen);
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < z->n; i++) {            /* unpack everyone's */
        memcpy(z->params[i]->data, z->flat + z->offset[i], (size_t)z->params[i]->numel * sizeof(float));
    }
    return 0;
}

void tt_zero1_free(tt_zero1 *z)
{
    if (!z) {
        return;
    }
    if (z->names) {
        for (int k = 0; k < z->nviews; k++) {
            free(z->names[k]);
        }
    }
    free(z->names);
    free(z->views);
    free(z->params);
    free(z->offset);
    free(z->counts);
    free(z->displs);
    free(z->flat);
    free(z);
}
