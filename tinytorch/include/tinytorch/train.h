/* train.h - training utilities (module 08): learning-rate schedules, global-norm gradient clipping,
 * evaluation, a training loop with gradient accumulation, and a JSON-lines metrics log.
 *
 * The loop (tt_fit) does, for each batch from a tt_dataloader:
 *     logits = model(x); loss = cross_entropy(logits, y) / k; backward; tt_arena_reset()
 * and after every k-th micro-batch (k = accum_steps): clip the global gradient norm (optional), set
 * the learning rate from the schedule, optimizer step, zero the gradients. Parameter gradients live in
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

/* ---- learning-rate schedules (indexed by optimizer step, from 0) -------------------------------- */

typedef enum tt_lr_kind { TT_LR_CONSTANT, TT_LR_STEP, TT_LR_COSINE } tt_lr_kind;

typedef struct tt_lr_schedule {
    tt_lr_kind kind;
    float base_lr;
    int64_t step_size;     /* STEP: multiply by gamma every step_size steps */
    float gamma;
    int64_t warmup_steps;  /* COSINE: linear warm-up, lr = base * (s + 1) / warmup for s < warmup */
    int64_t total_steps;   /* COSINE: reaches min_lr at total_steps and stays there */
    float min_lr;
} tt_lr_schedule;

tt_lr_schedule tt_lr_constant(float lr);
tt_lr_schedule tt_lr_step(float lr, int64_t step_size, float gamma);
tt_lr_schedule tt_lr_cosine(float lr, int64_t warmup_steps, int64_t total_steps, float min_lr);
/* COSINE after warm-up: min + (base - min) * (1 + cos(pi * (s - warmup) / (total - warmup))) / 2. */
float tt_lr_at(const tt_lr_schedule *s, int64_t step);

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

/* ---- the loop ----------------------------------------------------------------------------------- */

typedef struct tt_train_config {
    int epochs;
    int accum_steps;              /* micro-batches per optimizer step, >= 1 */
    double clip_norm;             /* 0: no clipping */
    tt_lr_schedule lr;            /* consulted before every optimizer step */
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

tt_train_config tt_train_config_default(void);
/* Trains `model` (logits out) with cross-entropy on the loader's batches. Returns 0, or -1 if the
 * loss became NaN or infinite (training stops; stats hold what was done). */
int tt_fit(tt_layer *model, tt_optimizer *opt, tt_dataloader *train, const tt_train_config *cfg,
           tt_train_stats *stats);

#endif
