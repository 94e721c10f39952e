/* distill.c - knowledge distillation's loss (module 16), after Hinton, Vinyals & Dean, "Distilling
 * the Knowledge in a Neural Network" (2015): the student matches the teacher's temperature-softened
 * distribution; the T^2 factor keeps the soft term's gradients at the scale of the hard term's as T
 * changes.
 *   L = alpha * T^2 * mean_n sum_c p_c (log p_c - log q_c) + (1 - alpha) * CE(student, labels)
 *   p = softmax(teacher / T) (a constant), q = softmax(student / T)
 * Built from differentiable ops, so backward comes from autograd.
 */
#include "tinytorch/compress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"

tt_tensor *tt_distill_loss(tt_tensor *student_logits, const tt_tensor *teacher_logits, const int32_t *labels,
                           float temperature, float alpha)
{
    if (!tt_same_shape(student_logits, teacher_logits) || student_logits->ndim != 2) {
        char a[96], b[96];
        tt_fatal("tt_distill_loss: student %s and teacher %s logits must both be [N, C] of the same shape "
                 "(give the teacher the student's batch, and a teacher of the same classes)",
                 tt_shape_str(student_logits, a, sizeof a), tt_shape_str(teacher_logits, b, sizeof b));
    }
    if (!(temperature > 0.0f)) {
        tt_fatal("tt_distill_loss: temperature %g must be > 0 (it divides the logits; T = 1 is the plain "
                 "softmax, larger T softer targets, e.g. 4)", (double)temperature);
    }
    const int64_t N = student_logits->shape[0], C = student_logits->shape[1];
    /* p and sum p log p, in double, outside the graph */
    tt_tensor *p = tt_empty(2, student_logits->shape);
    double plogp = 0.0;
    /* TODO: p = softmax(teacher / T) per row (subtract the max; in double), plogp = sum p log p; then from
     * tensor ops: log q = tt_log_softmax(student / T), KL = (plogp - sum p log q) / N, the soft term
     * alpha T^2 KL, plus (1 - alpha) cross-entropy with the labels unless alpha >= 1 */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < N; i++) {
        const float *t = teacher_logits->data + i * C;
        double mx = -INFINITY, s = 0.0;
        for (int64_t c = 0; c < C; c++) {
            mx = fmax(mx, (double)t[c] / temperature);
        }
        for (int64_t c = 0; c < C; c++) {
            s += exp((double)t[c] / temperature - mx);
        }
        for (int64_t c = 0; c < C; c++) {
            double pc = exp((double)t[c] / temperature - mx) / s;
            p->data[i * C + c] = (float)pc;
            plogp += pc > 0 ? pc * log(pc) : 0.0;
        }
    }
    tt_tensor *logq = tt_log_softmax(tt_mul_scalar(student_logits, 1.0f / temperature), 1);
    /* KL = (sum p log p - sum p log q) / N */
    tt_tensor *cross = tt_sum(tt_mul(p, logq), TT_ALL_AXES, false);
    tt_tensor *kl = tt_add_scalar(tt_mul_scalar(cross, -1.0f / (float)N), (float)(plogp / (double)N));
    tt_tensor *soft = tt_mul_scalar(kl, alpha * temperature * temperature);
    if (alpha >= 1.0f) {
        return soft;
    }
    tt_tensor *hard = tt_mul_scalar(tt_cross_entropy(student_logits, labels), 1.0f - alpha);
    return tt_add(soft, hard);
    /* END SOLUTION */
}

tt_tensor *tt_distill_batch_loss(void *student, const tt_batch *b, void *ctx)
{
    const tt_distill_ctx *c = ctx;
    tt_masks_apply(c->masks);
    /* The soft targets are the teacher's predictions, so it runs as it predicts: in eval mode (no
     * dropout, BatchNorm's running statistics). tt_evaluate leaves a model in training mode, so a
     * caller that measured the teacher first would otherwise hand us a teacher in training mode. */
    if (c->teacher->training) {
        tt_layer_train(c->teacher, false);
    }
    tt_no_grad_begin();
    tt_tensor *t = tt_layer_forward(c->teacher, b->x);
    tt_no_grad_end();
    return tt_distill_loss(tt_layer_forward(student, b->x), t, b->y, c->temperature, c->alpha);
}
