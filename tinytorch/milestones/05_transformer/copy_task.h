/* copy_task.h - milestone 05's synthetic tasks (part 1): COPY or REVERSE six letters. A sequence is
 * x1..x6, a task token, then the answer so far (teacher forcing); the loss is on the six answer
 * positions only. Shared by the milestone and its tests. */
#ifndef TT_MS05_COPY_TASK_H
#define TT_MS05_COPY_TASK_H

#include <stdint.h>
#include "tinytorch/data.h"
#include "tinytorch/tensor.h"

/* letters 1..26, the task tokens, the vocabulary and the sequence length the model sees */
enum { SEQ = 6, TOK_COPY = 27, TOK_REV = 28, SYN_V = 29, SYN_T = 2 * SEQ };

/* A batch of examples for tt_train_step: ids [B, SYN_T] and the answers lab [B, SEQ]. */
typedef struct syn_batch { const int32_t *ids, *lab; } syn_batch;

/* One example: ids[0..SYN_T) the inputs, ans[0..SEQ) the answer. task 0 = copy, 1 = reverse. */
void tt_ms05_make_example(tt_rng *r, int task, int32_t *ids, int32_t *ans);

/* tt_train_step's loss (model: a tt_gpt, ctx: a syn_batch): the cross-entropy at the answer
 * positions. */
tt_tensor *tt_ms05_answer_loss(void *model, const tt_batch *b, void *ctx);

#endif
