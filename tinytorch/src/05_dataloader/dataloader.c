/* dataloader.c - batches from a data set: seeded shuffle per epoch, batch size, drop_last, and the
 * loader's state (epoch, batch) for resuming a run.
 *
 * Invariants: order[0..len) is a permutation of the sample indices (identity when not shuffling);
 * epoch e's order is Fisher-Yates applied to the identity with a generator seeded by
 * tt__loader_mix(seed, e, 0), so it depends on nothing else; pos = batch_index * batch_size is the
 * next position to hand out. Batches live in the arena (x and y), so after the first epoch nothing
 * here touches the heap: `order` is allocated once in init.
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
    dl->seed = seed;
    dl->transform = NULL;
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

/* Epoch e's order: the identity, shuffled (when shuffling) by a generator seeded from (seed, e) alone. */
static void draw_order(tt_dataloader *dl, int64_t epoch)
{
    for (int64_t i = 0; i < dl->ds->len; i++) {
        dl->order[i] = i;
    }
    /* TODO: a new order for the epoch when shuffling (tt_rng_shuffle: Fisher-Yates, seeded) */
    /* BEGIN SOLUTION */
    if (dl->shuffle && epoch > 0) {
        tt_rng r;
        tt_rng_seed(&r, tt__loader_mix(dl->seed, epoch, 0));
        tt_rng_shuffle(&r, dl->order, dl->ds->len);
    }
    /* END SOLUTION */
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
    dl->epoch++;
    draw_order(dl, dl->epoch);
    dl->pos = 0;
    dl->batch_index = 0;
}

void tt_dataloader_get_state(const tt_dataloader *dl, tt_dataloader_state *st)
{
    st->seed = dl->seed;
    st->epoch = dl->epoch;
    st->batch_index = dl->batch_index;
}

int tt_dataloader_set_state(tt_dataloader *dl, const tt_dataloader_state *st, char *err, size_t errlen)
{
    if (st->seed != dl->seed) {
        return tt__data_err(err, errlen,
                            "dataloader state: seed %llu, but this loader was made with seed %llu (a state "
                            "only continues the loader it came from; build the loader with the saved seed)",
                            (unsigned long long)st->seed, (unsigned long long)dl->seed);
    }
    int64_t nb = tt_dataloader_len(dl);
    if (st->epoch < 0 || st->batch_index < 0 || st->batch_index > nb || (st->epoch == 0 && st->batch_index)) {
        return tt__data_err(err, errlen,
                            "dataloader state: epoch %lld, batch %lld is not a position of this loader (want "
                            "epoch >= 0 and batch in [0, %lld], batch 0 before the first epoch)",
                            (long long)st->epoch, (long long)st->batch_index, (long long)nb);
    }
    dl->epoch = st->epoch;
    draw_order(dl, dl->epoch);
    dl->batch_index = st->batch_index;
    dl->pos = st->batch_index * dl->batch_size;
    if (dl->pos > dl->ds->len) { /* the last, partial batch was handed out */
        dl->pos = dl->ds->len;
    }
    return 0;
}

int tt_dataloader_seek(tt_dataloader *dl, int64_t epoch, int64_t batch_index, char *err, size_t errlen)
{
    tt_dataloader_state st = {dl->seed, epoch, batch_index};
    return tt_dataloader_set_state(dl, &st, err, errlen);
}

/* Arena room for every field of an n-sample batch; x and y name the classic two. */
static void batch_alloc(const tt_dataset *ds, tt_batch *b, int64_t n)
{
    b->num_fields = ds->num_fields;
    for (int k = 0; k < ds->num_fields; k++) {
        tt_field fk = tt__field(ds, k);
        const tt_field *f = &fk;
        b->field[k].t = NULL;
        b->field[k].ints = NULL;
        b->field[k].ints_per_row = 0;
        if (f->type == TT_FIELD_F32) {
            int64_t shape[TT_MAX_DIMS];
            shape[0] = n;
            for (int d = 0; d < f->ndim; d++) {
                shape[d + 1] = f->shape[d];
            }
            b->field[k].t = tt_empty(f->ndim + 1, shape);
        } else {
            b->field[k].ints = tt_arena_alloc((size_t)(n * f->numel) * sizeof(int32_t) + 1);
            b->field[k].ints_per_row = f->numel;
        }
    }
    b->x = b->field[0].t;
    b->y = ds->num_fields > 1 && ds->fields[1].type == TT_FIELD_I32 && ds->fields[1].numel == 1 ? b->field[1].ints
                                                                                                 : NULL;
}

/* Copies sample s into row i of the batch: every field (or the classic pair through get). */
static void batch_put(const tt_dataset *ds, tt_batch *b, int64_t i, int64_t s)
{
    if (!ds->ops->get_field) {
        ds->ops->get(ds, s, b->x->data + i * ds->sample_numel, &b->y[i]);
        return;
    }
    for (int k = 0; k < ds->num_fields; k++) {
        int64_t m = ds->fields[k].numel;
        void *dst = b->field[k].t ? (void *)(b->field[k].t->data + i * m) : (void *)(b->field[k].ints + i * m);
        ds->ops->get_field(ds, s, k, dst);
    }
}

bool tt_dataloader_next(tt_dataloader *dl, tt_batch *b)
{
    const tt_dataset *ds = dl->ds;
    if (dl->pos < ds->len) {
        const int64_t left = ds->len - dl->pos;
        tt__dataset_prefetch(ds, dl->order + dl->pos, left < dl->batch_size ? left : dl->batch_size);
    }
    /* TODO: the next min(batch_size, left) samples in dl->order (batch_alloc, then batch_put each);
     * none when done (or short with drop_last) */
    /* BEGIN SOLUTION */
    int64_t left = ds->len - dl->pos;
    int64_t n = left < dl->batch_size ? left : dl->batch_size;
    if (n <= 0 || (dl->drop_last && n < dl->batch_size)) {
        return false;
    }
    batch_alloc(ds, b, n);
    for (int64_t i = 0; i < n; i++) {
        batch_put(ds, b, i, dl->order[dl->pos + i]);
    }
    b->size = n;
    b->index = dl->batch_index++;
    dl->pos += n;
    /* END SOLUTION */
    if (dl->transform && b->x) {
        tt_rng r; /* batch k's augmentation depends on (seed, epoch, k) alone */
        tt_rng_seed(&r, tt__loader_mix(dl->seed, dl->epoch, b->index + 1));
        tt_transform_apply(dl->transform, b->x, &r);
    }
    return true;
}

void tt_dataloader_set_transform(tt_dataloader *dl, const tt_transform *t)
{
    if (t && (dl->ds->fields[0].type != TT_FIELD_F32)) {
        tt_fatal("tt_dataloader_set_transform: field 0 of the data set is int32; transforms change float "
                 "features (put the images in field 0)");
    }
    dl->transform = t;
}

void tt_dataloader_free(tt_dataloader *dl)
{
    free(dl->order);
    dl->order = NULL;
}
