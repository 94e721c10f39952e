/* optim_internal.h - what the training step tells the optimizer (internal).
 *
 * tt__optim_set_spread: whether the coming tt_optim_step's gradients were written on several threads
 * (a split step, parallel_step.c), so that the weights and gradients already sit in every core's
 * cache and the update is worth cutting across the threads at a finer grain (optimizer.c, for_all).
 * Off for a new optimizer; tt_train_step sets it before each update and zeroing, and it stays as
 * set until then. It changes how many threads run the update, never its result. */
#ifndef TT_OPTIM_INTERNAL_H
#define TT_OPTIM_INTERNAL_H

#include <stdbool.h>

#include "tinytorch/optim.h"

void tt__optim_set_spread(tt_optimizer *o, bool spread);

#endif
