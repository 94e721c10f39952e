/* dataloader.c - batches from a data set: seeded shuffle per epoch, batch size, drop_last.
 *
 * Invariants: order[0..len) is a permutation of the sample indices (identity when not shuffling);
 * pos is the next position to hand out. Batches live in the arena (x and y), so after the first epoch
 * nothing here touches the heap: `order` is allocated once in init.
 */
#include <stdlib.h>
#include "tinytorch/autograd.h"
#include "tinytorch/data.h"
#include "data_internal.h"

int tt_dataloader_init(tt_dataloader *dl, const tt_dataset *ds, int64_t batch_size, bool shuffle,
                       bool drop_last, uint64_t seed, char *err, size_t errlen)
{
    dl->order = NULL;
    if (!ds || ds->len < 1) {
        return tt__data_err(err, errlen, "dataloader: empty data set");
    }
    if (batch_size < 1) {
        return tt__data_err(err, errlen, "dataloader: batch size %lld (must be >= 1)", (long long)batch_size);
    }
    if (ds->sample_ndim + 1 > TT_MAX_DIMS) {
        return tt__data_err(err, errlen, "dataloader: samples have %d dims (at most %d)", ds->sample_ndim,
                            TT_MAX_DIMS - 1);
    }
    dl->ds = ds;
    dl->batch_size = batch_size;
    dl->shuffle = shuffle;
    dl->drop_last = drop_last;
    tt_rng_seed(&dl->rng, seed);
    dl->order = malloc((size_t)ds->len * sizeof(int64_t));
    if (!dl->order) {
        return tt__data_err(err, errlen, "dataloader: out of memory for %lld indices", (long long)ds->len);
    }
    for (int64_t i = 0; i < ds->len; i++) {
        dl->order[i] = i;
    }
    dl->pos = 0;
    dl->batch_index = 0;
    dl->epoch = 0;
    return 0;
}

int64_t tt_dataloader_len(const tt_dataloader *dl)
{
    int64_t n = dl->ds->len, b = dl->batch_size;
    /* TODO: the number of batches per epoch: round down with drop_last, up without */
    /* BEGIN SOLUTION */
    return dl->drop_last ? n / b : (n + b - 1) / b;
    /* END SOLUTION */
}

void tt_dataloader_start_epoch(tt_dataloader *dl)
{
    /* TODO: a new order for the epoch when shuffling (tt_rng_shuffle: Fisher-Yates, seeded) */
    /* BEGIN SOLUTION */
    if (dl->shuffle) {
        /* Fisher-Yates on the current order: each epoch's order depends only on the seed and the
         * epoch number. */
        tt_rng_shuffle(&dl->rng, dl->order, dl->ds->len);
    }
    /* END SOLUTION */
    dl->pos = 0;
    dl->batch_index = 0;
    dl->epoch++;
}

bool tt_dataloader_next(tt_dataloader *dl, tt_batch *b)
{
    const tt_dataset *ds = dl->ds;
    /* TODO: the next min(batch_size, left) samples in dl->order; none when done (or short with drop_last) */
    /* BEGIN SOLUTION */
    int64_t left = ds->len - dl->pos;
    int64_t n = left < dl->batch_size ? left : dl->batch_size;
    if (n <= 0 || (dl->drop_last && n < dl->batch_size)) {
        return false;
    }
    int64_t shape[TT_MAX_DIMS];
    shape[0] = n;
    for (int d = 0; d < ds->sample_ndim; d++) {
        shape[d + 1] = ds->sample_shape[d];
    }
    b->x = tt_empty(ds->sample_ndim + 1, shape);
    b->y = tt_arena_alloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        ds->ops->get(ds, dl->order[dl->pos + i], b->x->data + i * ds->sample_numel, &b->y[i]);
    }
    b->size = n;
    b->index = dl->batch_index++;
    dl->pos += n;
    return true;
    /* END SOLUTION */
}

void tt_dataloader_free(tt_dataloader *dl)
{
    free(dl->order);
    dl->order = NULL;
}
