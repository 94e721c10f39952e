/* parallel_step.h - the batch split across threads inside one training step (module 08, internal;
 * train.h describes it for users). */
#ifndef TT_PARALLEL_STEP_H
#define TT_PARALLEL_STEP_H

#include <stdbool.h>
#include <stdint.h>
#include "tinytorch/train.h"

/* Runs forward, loss and backward of b split across threads when that is allowed (train.h) and adds
 * the summed gradients into the parameters' gradients (only when every shard's loss is finite).
 * Returns the number of shards (>= 2) with *loss (the rows-weighted mean) and *peak (the shards'
 * arena peaks summed) set; or 1 when the step must run on one thread: nothing was changed then. */
int tt__split_step(void *model, const tt_batch *b, const tt_step_opts *o, double *loss, size_t *peak);

/* True while the automatic rule holds a trial shard's measure of (the model at this address, batch
 * size B); a tt_layer's go when tt_layer_free frees it (tests). */
bool tt__split_measured(uintptr_t model, int64_t B);

#endif
