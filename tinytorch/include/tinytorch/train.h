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
 * step are reported. tt_fit takes any loss and metrics, keeps a per-epoch history (tt_epoch_record) in
 * the caller's array and the log, and can save and resume its whole state bit-identically.
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
    /* Threads that split the batch (data parallelism inside the step, see below). 0: automatic, up
     * to tt_get_num_threads() when every thread gets at least 4 rows and 1024 batch values and a
     * shard's activations weigh at least half the parameters' bytes (a trial shard measures
     * both the first time a model meets a batch size; below that, as for an MLP at batch 64, the
     * kernels alone use the threads); 1: one thread; N > 1: up to N threads, at least 2 rows each. */
    int threads;
} tt_step_opts;

typedef struct tt_step_result {
    double loss;              /* the unscaled loss value */
    double grad_norm;         /* global norm before clipping (NaN when not clipped or not stepped) */
    size_t peak_arena_bytes;  /* arena peak of this step */
    bool stepped;             /* the optimizer updated the parameters */
    int shards;               /* threads the batch was split across (1: the step ran on one thread) */
} tt_step_result;

/* One step on batch b; opts may be NULL (defaults above), r may be NULL. Returns 0, or -1 when the loss
 * is NaN or infinite: then nothing is updated, the gradients are zeroed and the arena is reset. */
/* With several threads (OpenMP) the step splits the batch into contiguous row shards, one per thread
 * (every float and int32 field of b alike); each thread runs forward, loss and backward of its shard
 * in a context of its own whose parameter gradients are its own (tt_context_own_grads), seeded with
 * the shard's share of the batch, so that the shards' gradients add up to the full batch's mean
 * gradient; they are summed into the parameters' gradients in shard order (the same bits for the
 * same thread count), and clipping, the optimizer and the scheduler run once as on one thread. The
 * loss value is the shards' mean weighted by their rows. Kernels inside a shard run on its thread.
 * The step stays on one thread (bit-identical to a build without OpenMP) when splitting could change
 * the result: a loss with a loss_ctx (it might hold per-sample data that would not split; read it
 * from the batch's fields instead), a batch without a row count per field (a hand-built int32 field
 * with ints_per_row 0, a float field whose first dim is not b->size), a backward hook (profiling,
 * the MPI data-parallel module), a model with BatchNorm in training mode or dropout with p > 0
 * (tt_context_refuse_split: that step reruns on one thread, and the model's next 100 steps do
 * not try), too small a batch or one whose shards would hold fewer activation bytes than the model
 * has parameter bytes (automatic thread count only), or a caller that already runs inside OpenMP
 * threads.
 * The loss must be a mean over the batch's samples (as cross-entropy and tt_gpt_loss are). */
int tt_train_step(void *model, tt_optimizer *opt, const tt_batch *b, const tt_step_opts *opts,
                  tt_step_result *r);

/* ---- metrics and history ------------------------------------------------------------------------ */

/* A metric of the evaluation set: fn returns the SUM over the batch's samples of a per-sample value
 * (e.g. the number of correct predictions, the summed absolute error); the trainer divides the total by
 * the number of samples. It runs in eval mode without a graph; model is tt_fit's model. */
typedef double (*tt_metric_fn)(void *model, const tt_batch *b, void *ctx);
typedef struct tt_metric_spec {
    const char *name;             /* "accuracy", "mae", ...: the log key is "eval_<name>" */
    tt_metric_fn fn;
    void *ctx;
} tt_metric_spec;
/* Correct predictions of a classifier (a tt_layer giving logits [B, C]) against b->y: the "accuracy". */
double tt_metric_correct(void *model, const tt_batch *b, void *ctx);

#define TT_MAX_METRICS 8
/* One epoch of training, as kept in memory and written to the JSON-lines log ("epoch" event). */
typedef struct tt_epoch_record {
    int epoch;                    /* from 1 */
    int64_t steps;                /* optimizer steps after this epoch, in total */
    int64_t samples;              /* training samples seen after this epoch, in total */
    double train_loss;            /* mean training loss of the epoch */
    double eval_loss;             /* mean loss on cfg->eval (NaN without it) */
    double eval_accuracy;         /* the "accuracy" metric, or the classifier's accuracy; else NaN */
    double lr;                    /* the optimizer's rate at the end of the epoch */
    double seconds, samples_per_s;/* time of the epoch's training pass (a resumed epoch: its remainder) */
    int n_metrics;
    double metrics[TT_MAX_METRICS]; /* cfg->metrics[i] on cfg->eval, in that order */
} tt_epoch_record;

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
    /* metrics of cfg->eval after every epoch (at most TT_MAX_METRICS). With a custom loss or metrics the
     * evaluation runs cfg->loss (or cross-entropy) over cfg->eval in batches of eval_batch; with
     * neither, tt_evaluate gives cross-entropy and accuracy. */
    const tt_metric_spec *metrics;
    int n_metrics;
    tt_epoch_record *history;     /* optional, the caller's array: record i is epoch i + 1 */
    int history_cap;              /* its length; epochs beyond it are logged but not kept */
    /* Resumable training. With state_path set, tt_fit writes the whole training state there (a
     * safetensors file: the model, the optimizer state, and in its metadata the epoch, the batch within
     * it, the optimizer-step count, the scheduler position, the loader's position and RNG, the RNGs in
     * rngs, the running loss sums and the history) every checkpoint_every optimizer steps (0: only at
     * the end of each epoch) and at the end of every epoch; atomically (temp file, fsync, rename).
     * With resume set and the file present, tt_fit first restores all of it and continues exactly where
     * that state was saved: the run ends bit-identical to one never interrupted. The caller builds the
     * model, optimizer, scheduler and loader as for the first run (same seeds and sizes): the state
     * checks what it can (loader seed, batch counts, epochs) and refuses a mismatch. */
    const char *state_path;
    int64_t checkpoint_every;
    bool resume;
    tt_rng *const *rngs;          /* more generators to save and restore (dropout, augmentation) */
    int n_rngs;
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
    double eval_metrics[TT_MAX_METRICS]; /* cfg->metrics after the last epoch */
    int history_len;              /* records written to cfg->history */
    bool resumed;                 /* the run continued from cfg->state_path */
    int64_t resumed_at_step;      /* the optimizer step it continued from */
} tt_train_stats;

/* epochs 1, accum_steps 1, eval_batch 1000, name "train". A designated initialiser works as well:
 * fields left 0 mean no accumulation, eval batches of 1000 and the name "train" (set epochs). */
tt_train_config tt_train_config_default(void);
/* Trains `model` on the loader's batches with tt_train_step (cross-entropy of its logits unless
 * cfg->loss says otherwise: regression, language modelling, ...) at the optimizer's own learning rate,
 * evaluates cfg->eval and cfg->metrics after every epoch, keeps the history and, with cfg->state_path,
 * saves a resumable state. Returns 0, -1 if the loss became NaN or infinite (training stops; stats
 * hold what was done), or -2 when the state file cannot be read or written (message on stderr). */
int tt_fit(tt_layer *model, tt_optimizer *opt, tt_dataloader *train, const tt_train_config *cfg,
           tt_train_stats *stats);

#endif
