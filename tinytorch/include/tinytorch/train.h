/* train.h - training utilities (module 08): one training step, global-norm gradient clipping,
 * evaluation, a training loop with gradient accumulation, and a JSON-lines metrics log.
 *
 * tt_train_step is the one training step every loop uses (tt_fit, the milestones, the benchmarks):
 *     loss = loss_fn(model, batch) * scale; backward; [clip; optimizer step; scheduler step;
 *     zero the gradients]; tt_arena_reset()
 * The loop (tt_fit) calls it for each batch from a tt_dataloader with scale 1/k, stepping the
 * optimizer after every k-th micro-batch (k = accum_steps). The learning rate is the optimizer's
 * (changed only by an optional scheduler); the loop never sets it. Parameter gradients live in
 * persistent buffers, so they accumulate across the arena resets. Each optimizer step therefore sees
 * the mean gradient over k*B samples: the same as one step at batch k*B (tested). After the first
 * step the loop makes no heap allocation (tested with a malloc counter), and the peak arena bytes of a
 * step are reported.
 */
#ifndef TINYTORCH_TRAIN_H
#define TINYTORCH_TRAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "tinytorch/data.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"

/* ---- gradients ---------------------------------------------------------------------------------- */

/* Global L2 norm of every parameter's gradient (NULL gradients count as 0), computed in double. */
double tt_grad_norm(tt_tensor *const *params, int n);
/* torch.nn.utils.clip_grad_norm_: if the global norm exceeds max_norm, scales every gradient by
 * max_norm / (norm + 1e-6). Returns the norm before clipping. */
double tt_clip_grad_norm(tt_tensor *const *params, int n, double max_norm);

/* ---- evaluation --------------------------------------------------------------------------------- */

/* Mean cross-entropy and accuracy (fraction in [0, 1]) of a classifier over a whole data set, in
 * eval mode and without a graph; batches of `batch` samples; the arena is restored afterwards.
 * loss / accuracy may be NULL. The model is put back in training mode. */
void tt_evaluate(tt_layer *model, const tt_dataset *ds, int64_t batch, double *loss, double *accuracy);
/* Number of rows of logits [N, C] whose argmax equals the label. */
int64_t tt_count_correct(const tt_tensor *logits, const int32_t *labels);

/* ---- metrics log (JSON lines) ------------------------------------------------------------------- */

typedef struct tt_metrics_log { FILE *f; } tt_metrics_log;
typedef struct tt_metric { const char *key; double value; } tt_metric;

/* Creates (truncates) path. Returns 0, or -1 with a message naming the file. */
int tt_metrics_open(tt_metrics_log *m, const char *path, char *err, size_t errlen);
/* Appends {"event": event, key: value, ...} as one line and flushes it. NULL log: no-op. */
void tt_metrics_write(tt_metrics_log *m, const char *event, const tt_metric *kv, int n);
void tt_metrics_close(tt_metrics_log *m);

/* ---- one training step -------------------------------------------------------------------------- */

/* The scalar loss of one batch. `model` is tt_train_step's model argument (a tt_layer, a tt_gpt, ...),
 * ctx is tt_step_opts.loss_ctx. */
typedef tt_tensor *(*tt_loss_fn)(void *model, const tt_batch *b, void *ctx);

/* The default loss: cross-entropy of tt_layer_forward(model, b->x) against b->y. */
tt_tensor *tt_classifier_loss(void *model, const tt_batch *b, void *ctx);

typedef struct tt_step_opts {
    tt_loss_fn loss;          /* NULL: tt_classifier_loss (model must be a tt_layer) */
    void *loss_ctx;
    double clip_norm;         /* > 0: clip the global gradient norm before the update */
    tt_scheduler *sched;      /* stepped after every optimizer step; NULL: none */
    float loss_scale;         /* backward seeds d(loss) with this; 0 means 1 (1/k for accumulation) */
    bool accumulate;          /* true: backward only (gradients accumulate; no clip/step/zero) */
} tt_step_opts;

typedef struct tt_step_result {
    double loss;              /* the unscaled loss value */
    double grad_norm;         /* global norm before clipping (NaN when not clipped or not stepped) */
    size_t peak_arena_bytes;  /* arena peak of this step */
    bool stepped;             /* the optimizer updated the parameters */
} tt_step_result;

/* One step on batch b; opts may be NULL (defaults above), r may be NULL. Returns 0, or -1 when the loss
 * is NaN or infinite: then nothing is updated, the gradients are zeroed and the arena is reset. */
int tt_train_step(void *model, tt_optimizer *opt, const tt_batch *b, const tt_step_opts *opts,
                  tt_step_result *r);

/* ---- the loop ----------------------------------------------------------------------------------- */

typedef struct tt_train_config {
    int epochs;
    int accum_steps;              /* micro-batches per optimizer step, >= 1 */
    double clip_norm;             /* 0: no clipping */
    tt_scheduler *sched;          /* optional: stepped after every optimizer step (never sets lr else) */
    tt_loss_fn loss;              /* NULL: cross-entropy of the model's logits */
    void *loss_ctx;
    const tt_dataset *eval;       /* evaluated after every epoch when not NULL */
    int64_t eval_batch;           /* default 1000 */
    int64_t max_steps;            /* stop after this many optimizer steps in total (0: no limit) */
    const char *name;             /* label for progress lines, e.g. "fashion-mnist" */
    FILE *progress;               /* progress output (NULL: stderr) */
    bool quiet;                   /* no progress output */
    tt_metrics_log *log;          /* optional: one "epoch" event per epoch */
} tt_train_config;

typedef struct tt_train_stats {
    int epochs_run;
    int64_t steps;                /* optimizer steps */
    int64_t samples;              /* training samples seen */
    double train_loss;            /* mean loss of the last epoch */
    double eval_loss, eval_accuracy; /* after the last epoch (NaN without an eval set) */
    double train_seconds;         /* time in training passes (evaluation excluded) */
    double samples_per_s;         /* samples / train_seconds */
    size_t peak_arena_bytes;      /* largest arena footprint of one micro-batch step */
    uint64_t arena_chunk_allocs;  /* arena chunk mallocs during training after the first step */
    double last_grad_norm;        /* global gradient norm before clipping, last step */
} tt_train_stats;

/* epochs 1, accum_steps 1, eval_batch 1000, name "train". A designated initialiser works as well:
 * fields left 0 mean no accumulation, eval batches of 1000 and the name "train" (set epochs). */
tt_train_config tt_train_config_default(void);
/* Trains `model` (logits out) on the loader's batches with tt_train_step (cross-entropy unless
 * cfg->loss says otherwise) at the optimizer's own learning rate. Returns 0, or -1 if the
 * loss became NaN or infinite (training stops; stats hold what was done). */
int tt_fit(tt_layer *model, tt_optimizer *opt, tt_dataloader *train, const tt_train_config *cfg,
           tt_train_stats *stats);

#endif
