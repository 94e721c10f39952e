/* compress.h - making a trained model smaller and faster (module 16): pruning, low-rank
 * factorization, knowledge distillation.
 *
 * Pruning targets the weights of Conv2d and Linear layers (biases and norms are kept).
 *   - Unstructured magnitude pruning zeroes the smallest |w|: per layer (each tensor loses the same
 *     fraction) or global (one threshold over all of them). The zeros save nothing by themselves; the
 *     mask keeps them zero through fine-tuning.
 *   - N:M (2:4) keeps the 2 largest of every 4 consecutive weights along the input dimension (the
 *     pattern sparse tensor cores run at 2x).
 *   - Structured channel pruning removes whole output channels of a convolution (lowest L1 norm of
 *     the filter) and the matching input channels of the layer that reads them (the next Conv2d, or
 *     the next Linear's input features after Flatten), replacing the tensors with physically smaller
 *     ones: FLOPs, memory and time drop for real. It works in place on a Sequential (any optimizer
 *     built on the old parameters is stale afterwards).
 * Low rank: a Linear W [out, in] ~ U_r S_r V_r^T (LAPACK's sgesvd through LAPACKE), replaced by two
 * Linear layers of rank r. Distillation: T^2 KL(softmax(t / T) || softmax(s / T)) mixed with the hard
 * cross-entropy (Hinton, Vinyals & Dean, 2015).
 */
#ifndef TINYTORCH_COMPRESS_H
#define TINYTORCH_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tinytorch/nn.h"
#include "tinytorch/train.h"

/* The pruned weights of a model: keep[i][j] = 0 where weight i's element j was pruned. */
typedef struct tt_masks {
    int n;
    tt_tensor **w;       /* not owned */
    uint8_t **keep;      /* owned */
} tt_masks;

typedef enum tt_prune_scope { TT_PRUNE_PER_LAYER, TT_PRUNE_GLOBAL } tt_prune_scope;

/* Zeroes the fraction `sparsity` in [0, 1) of the Conv2d/Linear weights with the smallest magnitude.
 * masks may be NULL. Returns 0, or -1 with a message (sparsity out of range, no prunable weight). */
int tt_prune_magnitude(tt_layer *model, double sparsity, tt_prune_scope scope, tt_masks *masks, char *err,
                       size_t errlen);
/* 2:4 sparsity: in every group of 4 consecutive weights of a row (input dimension, rows padded by
 * nothing: a row length not divisible by 4 keeps its tail dense), the 2 of smallest magnitude become 0. */
int tt_prune_2of4(tt_layer *model, tt_masks *masks, char *err, size_t errlen);
/* Re-zeroes the pruned weights (after an optimizer step). */
void tt_masks_apply(const tt_masks *m);
void tt_masks_free(tt_masks *m);
/* Fraction of Conv2d/Linear weights that are exactly 0. */
double tt_weight_sparsity(tt_layer *model);

/* Removes round(fraction * Cout) output channels (at least 1 kept) of every Conv2d of the Sequential
 * that another weighted layer reads, and the matching inputs of that layer. fraction in [0, 1).
 * Returns 0, or -1 with a message naming the layer (unsupported layer between them, shapes). */
int tt_prune_channels(tt_layer *seq, double fraction, char *err, size_t errlen);

/* Fine-tuning: tt_fit's loss that applies the masks before every forward (so the pruned weights stay
 * 0); pass &masks as cfg.loss_ctx with cfg.loss = tt_masked_loss, and call tt_masks_apply after. */
tt_tensor *tt_masked_loss(void *model, const tt_batch *b, void *masks);

/* Low rank: w [out, in] ~ a [out, r] @ b [r, in] (a = U_r S_r, b = V_r^T, truncated SVD). Writes new
 * persistent tensors; *rel_error = ||w - a b||_F / ||w||_F. Returns 0, or -1 (rank out of range,
 * LAPACK failure, or a build without LAPACKE). */
int tt_lowrank_factor(const tt_tensor *w, int64_t rank, tt_tensor **a, tt_tensor **b, double *rel_error,
                      char *err, size_t errlen);

/* The whole model at rank r: a new Sequential in which every Linear whose factorization saves
 * parameters (r * (out + in) < out * in) becomes Linear(in, r, bias=False) then Linear(r, out) holding
 * V_r^T and U_r S_r (tt_lowrank_factor) and the old bias; every other layer is copied. The original is
 * not changed. Returns the new model, or NULL with a message (not a Sequential, rank < 1, no Linear
 * that the rank would shrink, LAPACKE missing). */
typedef struct tt_lowrank_report {
    int factored, kept;            /* Linear layers replaced / left whole */
    int64_t params_before, params_after; /* weights of the factored layers */
    double max_rel_error;          /* the largest ||w - a b||_F / ||w||_F among them */
} tt_lowrank_report;
tt_layer *tt_lowrank_model(tt_layer *seq, int64_t rank, tt_lowrank_report *rep, char *err, size_t errlen);

/* Distillation loss: alpha * T^2 * mean_batch KL(softmax(teacher / T) || softmax(student / T))
 * + (1 - alpha) * cross_entropy(student, labels). teacher_logits get no gradient. */
tt_tensor *tt_distill_loss(tt_tensor *student_logits, const tt_tensor *teacher_logits, const int32_t *labels,
                           float temperature, float alpha);

/* Fine-tuning or training a student with a teacher: tt_fit's loss (cfg.loss = tt_distill_batch_loss,
 * cfg.loss_ctx = &ctx). The teacher runs without gradient in eval mode (a teacher in training mode
 * is switched to eval mode, as tt_evaluate leaves models in training mode); masks (may be NULL) are
 * applied before the student's forward, as tt_masked_loss does. */
typedef struct tt_distill_ctx {
    tt_layer *teacher;
    const tt_masks *masks;
    float temperature;   /* e.g. 4 */
    float alpha;         /* weight of the soft term, e.g. 0.5 */
} tt_distill_ctx;
tt_tensor *tt_distill_batch_loss(void *student, const tt_batch *b, void *ctx);

#endif
