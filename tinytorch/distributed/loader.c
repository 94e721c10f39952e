/* loader.c - each rank's shard of every global batch.
 *
 * Invariant: every rank holds an identical tt_dataloader (same seed, batch size = the global batch),
 * so every rank draws the same permutation each epoch; rank r takes rows [r*n/N, (r+1)*n/N) of each
 * global batch of n rows. The shards are disjoint, cover the batch, and differ in size by at most
 * one row; their union is exactly the single-process batch of the same seed.
 */
#include "dist_internal.h"
#include "tinytorch/autograd.h"

int tt_dist_loader_init(tt_dist_loader *dl, const tt_dataset *ds, int64_t global_batch, bool drop_last,
                        uint64_t seed, char *err, size_t errlen)
{
    dl->rank = tt_dist_rank();
    dl->size = tt_dist_size();
    if (global_batch < dl->size) {
        dl->base.order = NULL;
        return tt__dist_err(err, errlen, "global batch %lld is smaller than the %d ranks", (long long)global_batch,
                            dl->size);
    }
    return tt_dataloader_init(&dl->base, ds, global_batch, true, drop_last, seed, err, errlen);
}

void tt_dist_loader_start_epoch(tt_dist_loader *dl) { tt_dataloader_start_epoch(&dl->base); }

int64_t tt_dist_loader_len(const tt_dist_loader *dl)
{
    int64_t n = dl->base.ds->len, b = dl->base.batch_size;
    int64_t full = n / b, rest = n % b;
    return full + (!dl->base.drop_last && rest >= dl->size);
}

bool tt_dist_loader_next(tt_dist_loader *dl, tt_batch *b, int64_t *global_rows)
{
    tt_dataloader *g = &dl->base;
    const tt_dataset *ds = g->ds;
    int64_t left = ds->len - g->pos;
    int64_t n = left < g->batch_size ? left : g->batch_size;
    if (n < dl->size || (g->drop_last && n < g->batch_size)) {
        return false;
    }
    int64_t lo = n * dl->rank / dl->size, hi = n * (dl->rank + 1) / dl->size;
    int64_t shape[TT_MAX_DIMS];
    shape[0] = hi - lo;
    for (int d = 0; d < ds->sample_ndim; d++) {
        shape[d + 1] = ds->sample_shape[d];
    }
    b->x = tt_empty(ds->sample_ndim + 1, shape);
    b->y = tt_arena_alloc((size_t)(hi - lo) * sizeof(int32_t));
    for (int64_t i = lo; i < hi; i++) {
        ds->ops->get(ds, g->order[g->pos + i], b->x->data + (i - lo) * ds->sample_numel, &b->y[i - lo]);
    }
    b->size = hi - lo;
    b->index = g->batch_index++;
    g->pos += n;
    *global_rows = n;
    return true;
}

void tt_dist_loader_free(tt_dist_loader *dl) { tt_dataloader_free(&dl->base); }
