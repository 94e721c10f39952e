/* distributed.h - data-parallel training over MPI (library tinytorch_dist, built when Open MPI is
 * found; libtinytorch itself never needs MPI).
 *
 * The plan is the one PyTorch's DistributedDataParallel follows, written out in C:
 *   1. every rank builds the same model; tt_ddp_broadcast copies rank 0's parameters to all ranks;
 *   2. every rank draws the same seeded permutation of the data each epoch and takes its own,
 *      disjoint slice of each global batch (tt_dist_loader);
 *   3. during backward, gradients are packed into buckets (last layers first, the order backward
 *      produces them); a bucket's MPI_Iallreduce starts as soon as its last gradient is final, while
 *      backward goes on with the earlier layers (tt_ddp_begin installs an autograd hook);
 *   4. after backward, tt_ddp_finish waits for the buckets and writes the averaged gradients back;
 *      every rank takes the same optimizer step, so the replicas stay identical.
 * Averaging is weighted by samples: rank r scales its mean gradient by n_r / n_global before the SUM,
 * so a global batch split unevenly still gives exactly the gradient of the whole batch.
 *
 * Failures. The module's communicator returns MPI errors instead of aborting, and every collective
 * is waited for with a timeout (TT_DIST_TIMEOUT_S, default 120 s): a rank that died or hangs makes
 * the others return -1 with a message naming the collective, the rank and the elapsed time. The
 * caller then calls tt_dist_abort(), which ends every rank with a non-zero exit status.
 */
#ifndef TINYTORCH_DISTRIBUTED_H
#define TINYTORCH_DISTRIBUTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tinytorch/data.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"

/* ---- the process group -------------------------------------------------------------------------- */

/* Initialises MPI (unless the program already did) and the module's own communicator, with errors
 * returned rather than fatal. A program started without mpirun is a group of one. Returns 0, or -1
 * with a message. */
int tt_dist_init(int *argc, char ***argv, char *err, size_t errlen);
int tt_dist_rank(void);                 /* 0 before init */
int tt_dist_size(void);                 /* 1 before init */
double tt_dist_timeout_s(void);         /* the collective timeout in force */
void tt_dist_set_timeout_s(double s);   /* > 0 */
/* Finalizes MPI when tt_dist_init initialised it. Only after every rank finished normally. */
void tt_dist_finalize(void);
/* Ends the whole job with exit status `code` (after a failed collective: never returns). */
void tt_dist_abort(int code);
/* A barrier with the timeout. Returns 0, or -1 with a message. */
int tt_dist_barrier(char *err, size_t errlen);
/* Sum (op 's'), max ('M') or min ('m') of n doubles over all ranks, in place, with the timeout. */
int tt_dist_allreduce_f64(double *v, int n, char op, char *err, size_t errlen);

/* ---- gradient synchronisation ------------------------------------------------------------------- */

typedef struct tt_ddp tt_ddp;

typedef struct tt_ddp_opts {
    size_t bucket_bytes;  /* gradient bytes per bucket; 0: 64 KiB (LeNet-5's 247 KB make 3 buckets) */
    bool no_overlap;      /* true: one all-reduce per bucket after backward (for comparison) */
} tt_ddp_opts;

/* Times of one step, in seconds (all ranks measure their own). */
typedef struct tt_ddp_stats {
    int buckets;
    int buckets_in_backward;  /* buckets whose all-reduce started before backward ended */
    double backward_s;        /* from tt_ddp_begin to tt_ddp_finish */
    double wait_s;            /* spent in tt_ddp_finish: the communication backward did not hide */
    double comm_s;            /* first bucket start to last bucket completion */
    double overlap;           /* 1 - wait_s / comm_s, clamped to [0, 1] (NaN without communication) */
} tt_ddp_stats;

/* Synchronises the gradients of params[0..n) (the optimizer's list, forward order). Buckets and
 * their buffers are allocated here once. NULL on a bad argument or no memory (message in err). */
tt_ddp *tt_ddp_new(tt_tensor *const *params, int n, const tt_ddp_opts *opts, char *err, size_t errlen);
void tt_ddp_free(tt_ddp *d);
/* Copies rank root's parameters (and any extra tensors, e.g. BatchNorm buffers; may be NULL) to
 * every rank. Returns 0, or -1 with a message. */
int tt_ddp_broadcast(tt_ddp *d, const tt_params *extra, int root, char *err, size_t errlen);
/* Call after the forward pass (the tape holds the graph), before tt_backward. weight = this rank's
 * samples / the global batch's samples. */
void tt_ddp_begin(tt_ddp *d, double weight);
/* Call after tt_backward: starts the buckets not yet started, waits for all of them and writes the
 * summed weighted gradients into every parameter's grad. Returns 0, or -1 with a message. */
int tt_ddp_finish(tt_ddp *d, char *err, size_t errlen);
const tt_ddp_stats *tt_ddp_last(const tt_ddp *d);
/* Largest |p - p_on_rank_0| over every parameter and rank (0 when the replicas are identical). */
int tt_ddp_max_divergence(tt_ddp *d, double *out, char *err, size_t errlen);
/* Sets the gradient of every synchronised parameter to 0 (a ZeRO-1 optimizer only knows its own). */
void tt_ddp_zero_grad(tt_ddp *d);

/* ---- ZeRO-1: optimizer state sharded over the ranks ----------------------------------------------
 * The parameters laid end to end form one flat vector of E elements; rank r owns the elements
 * [r·E/N, (r+1)·E/N), so each rank keeps 1/N of the optimizer state whatever the parameter sizes (a
 * parameter may be split between ranks). Build the optimizer over tt_zero1_owned(): 1-D views of the
 * owned slices (data and gradient point into the parameters; valid while the tt_zero1 lives). After
 * the optimizer step, tt_zero1_sync all-gathers the slices, so the replicas agree again (bit for bit
 * the weights of unsharded data parallelism with an element-wise optimizer). */
typedef struct tt_zero1 tt_zero1;
/* Allocates the parameters' gradients (zeroed) if they have none yet. */
tt_zero1 *tt_zero1_new(tt_tensor *const *params, int n, char *err, size_t errlen);
/* Appends to out this rank's slices, named "NAME[lo:hi]" (element range within the parameter);
 * `all` is not read (kept for the callers' symmetry with the whole parameter list). */
void tt_zero1_owned(const tt_zero1 *z, const tt_params *all, tt_params *out);
int tt_zero1_owner(const tt_zero1 *z, int i);   /* rank owning params[i]'s first element */
/* Elements owned by `rank` (0 for a rank out of range); *lo gets their flat start. */
int64_t tt_zero1_range(const tt_zero1 *z, int rank, int64_t *lo);
int tt_zero1_sync(tt_zero1 *z, char *err, size_t errlen);
void tt_zero1_free(tt_zero1 *z);

/* ---- sharded batches ---------------------------------------------------------------------------- */

/* Every rank walks the same seeded order as a single-process tt_dataloader with the same seed and
 * batch size (global_batch), and takes rows [r*B/N, (r+1)*B/N) of each global batch (rows split as
 * evenly as possible). A final partial batch is kept unless drop_last or it has fewer rows than ranks. */
typedef struct tt_dist_loader {
    tt_dataloader base;       /* the global order (batch_size = global batch) */
    int rank, size;
} tt_dist_loader;

int tt_dist_loader_init(tt_dist_loader *dl, const tt_dataset *ds, int64_t global_batch, bool drop_last,
                        uint64_t seed, char *err, size_t errlen);
void tt_dist_loader_start_epoch(tt_dist_loader *dl);
/* This rank's part of the next global batch (b->size rows, arena) and the global batch's rows. */
bool tt_dist_loader_next(tt_dist_loader *dl, tt_batch *b, int64_t *global_rows);
int64_t tt_dist_loader_len(const tt_dist_loader *dl);   /* global batches per epoch */
void tt_dist_loader_free(tt_dist_loader *dl);

/* ---- the loop ----------------------------------------------------------------------------------- */

typedef struct tt_dist_train_config {
    int epochs;                   /* >= 1 */
    int64_t max_steps;            /* stop after this many optimizer steps (0: no limit) */
    tt_scheduler *sched;          /* optional: stepped after every optimizer step */
    tt_zero1 *zero1;              /* optional: opt holds this rank's shard; parameters synced after each step */
    const tt_dataset *eval;       /* rank 0 evaluates after every epoch when not NULL */
    const char *checkpoint;       /* rank 0 saves model (+ optimizer unless zero1) here, atomically */
    int64_t checkpoint_every;     /* also every this many steps (0: after each epoch only) */
    tt_metrics_log *log;          /* rank 0 writes "epoch" events (and "step" events if log_steps) */
    bool log_steps;
    bool quiet;                   /* no progress lines (rank 0 prints them otherwise) */
    int64_t fail_at_step;         /* tests: rank fail_rank exits (_exit 3) before this step; 0 off */
    int fail_rank;
    bool fail_hang;               /* tests: ... or stops (SIGSTOP) instead of exiting */
} tt_dist_train_config;

typedef struct tt_dist_train_stats {
    int epochs_run;
    int64_t steps;
    int64_t samples;              /* global samples */
    double train_loss;            /* global mean loss of the last epoch */
    double eval_loss, eval_accuracy;
    double train_seconds;         /* slowest rank */
    double samples_per_s;         /* global samples / train_seconds */
    double step_s;                /* train_seconds / steps */
    double wait_s_per_step;       /* exposed communication per step (mean over steps, rank 0) */
    double comm_s_per_step;
    double overlap;               /* 1 - wait / comm over the run */
    int buckets;
} tt_dist_train_stats;

tt_dist_train_config tt_dist_train_config_default(void);
/* Data-parallel cross-entropy training of `model` (logits out). Every rank calls it with the same
 * arguments. Returns 0, -1 when the loss became NaN or infinite (on any rank: all stop), -2 on a
 * communication or I/O failure (message in err; call tt_dist_abort). */
int tt_dist_fit(tt_layer *model, tt_optimizer *opt, tt_ddp *ddp, tt_dist_loader *dl,
                const tt_dist_train_config *cfg, tt_dist_train_stats *stats, char *err, size_t errlen);

#endif
