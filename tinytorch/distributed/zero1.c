/* zero1.c - ZeRO stage 1: the optimizer state sharded over the ranks, by whole parameters.
 *
 * Each parameter has one owner rank (parameters are dealt out largest first, each to the rank that
 * owns the fewest elements so far: a greedy balance). A rank builds its optimizer over the parameters
 * it owns only, so it holds about 1/N of the momentum / Adam moments. A step is: the usual averaged
 * gradients (tt_ddp), the optimizer step on the owned parameters, then every parameter is broadcast
 * from its owner (tt_zero1_sync), after which the replicas are identical again. The same arithmetic
 * runs on the same numbers as without sharding, so the weights are bit-for-bit those of plain data
 * parallelism (tested). Traffic per step: the all-reduce plus one broadcast of the parameters.
 * (PyTorch's ZeroRedundancyOptimizer partitions the same way: whole parameters, greedily.)
 */
#include <stdlib.h>
#include <string.h>
#include "dist_internal.h"

struct tt_zero1 {
    int n;
    tt_tensor **params;
    int *owner;
    MPI_Request *req;
};

typedef struct zsort { int64_t numel; int idx; } zsort;

static int by_size_desc(const void *a, const void *b)
{
    const zsort *x = a, *y = b;
    if (x->numel != y->numel) {
        return x->numel < y->numel ? 1 : -1;
    }
    return x->idx - y->idx;
}

tt_zero1 *tt_zero1_new(tt_tensor *const *params, int n, char *err, size_t errlen)
{
    int size = tt_dist_size();
    tt_zero1 *z = calloc(1, sizeof *z);
    zsort *order = calloc((size_t)(n > 0 ? n : 1), sizeof *order);
    int64_t *load = calloc((size_t)size, sizeof *load);
    if (z) {
        z->n = n;
        z->params = calloc((size_t)(n > 0 ? n : 1), sizeof *z->params);
        z->owner = calloc((size_t)(n > 0 ? n : 1), sizeof *z->owner);
        z->req = calloc((size_t)(n > 0 ? n : 1), sizeof *z->req);
    }
    if (!z || !order || !load || !z->params || !z->owner || !z->req) {
        free(order);
        free(load);
        tt_zero1_free(z);
        tt__dist_err(err, errlen, "tt_zero1_new: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (params[i]->numel > INT32_MAX) {
            free(order);
            free(load);
            tt_zero1_free(z);
            tt__dist_err(err, errlen, "tt_zero1_new: parameter %d has more than 2^31 elements", i);
            return NULL;
        }
        z->params[i] = params[i];
        order[i] = (zsort){params[i]->numel, i};
    }
    qsort(order, (size_t)n, sizeof *order, by_size_desc);
    for (int k = 0; k < n; k++) {
        int best = 0;
        for (int r = 1; r < size; r++) {
            best = load[r] < load[best] ? r : best;
        }
        z->owner[order[k].idx] = best;
        load[best] += order[k].numel;
    }
    free(order);
    free(load);
    return z;
}

void tt_zero1_owned(const tt_zero1 *z, const tt_params *all, tt_params *out)
{
    int me = tt_dist_rank();
    for (int i = 0; i < all->n; i++) {
        for (int k = 0; k < z->n; k++) {
            if (z->params[k] == all->t[i] && z->owner[k] == me) {
                tt_params_add(out, all->names[i], all->t[i]);
            }
        }
    }
}

int tt_zero1_owner(const tt_zero1 *z, int i) { return i >= 0 && i < z->n ? z->owner[i] : -1; }

int tt_zero1_sync(tt_zero1 *z, char *err, size_t errlen)
{
    if (tt_dist_size() == 1) {
        return 0;
    }
    for (int i = 0; i < z->n; i++) {
        int rc = MPI_Ibcast(z->params[i]->data, (int)z->params[i]->numel, MPI_FLOAT, z->owner[i], tt__dist_comm,
                            &z->req[i]);
        if (rc != MPI_SUCCESS) {
            return tt__dist_mpi_err(rc, "ZeRO-1 parameter broadcast", err, errlen);
        }
    }
    return tt__dist_wait(z->req, z->n, "ZeRO-1 parameter broadcast", err, errlen);
}

void tt_zero1_free(tt_zero1 *z)
{
    if (!z) {
        return;
    }
    free(z->params);
    free(z->owner);
    free(z->req);
    free(z);
}
