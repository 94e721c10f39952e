/* batchnorm.c - 2-D batch normalisation over NCHW images, forward and backward (module 09).
 *
 * Per channel c, over the M = N*H*W values of that channel:
 *   training: mean = sum(x)/M, var = sum((x - mean)^2)/M (biased, used to normalise);
 *             running <- (1 - momentum)*running + momentum*stat, with var*M/(M-1) (unbiased), as PyTorch
 *   eval:     mean, var = running_mean, running_var
 *   xhat = (x - mean) / sqrt(var + eps),  y = gamma*xhat + beta
 * Backward (training; mean and var depend on x):
 *   dxhat = dy*gamma,  dx = (dxhat - mean(dxhat) - xhat*mean(dxhat*xhat)) / sqrt(var + eps)
 * Backward (eval; the statistics are constants): dx = dy*gamma / sqrt(var + eps).
 *   dgamma = sum(dy*xhat), dbeta = sum(dy) in both modes.
 * Sums are accumulated in double. The node saves mean and 1/sqrt(var + eps) per channel.
 */
#include <math.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"

typedef struct bn_saved {
    float *mean, *invstd;   /* [C] */
    int training;
} bn_saved;

static void bn_backward(tt_node *node)
{
    tt_tensor *x = node->in[0], *gamma = node->in[1], *beta = node->in[2];
    const bn_saved *s = node->saved;
    const int64_t N = x->shape[0], C = x->shape[1], HW = x->shape[2] * x->shape[3];
    const double M = (double)(N * HW);
    const float *gy = node->out->grad;
    float *gx = tt_wants_grad(x) ? tt_grad_buf(x) : NULL;
    float *gg = gamma && tt_wants_grad(gamma) ? tt_grad_buf(gamma) : NULL;
    float *gbt = beta && tt_wants_grad(beta) ? tt_grad_buf(beta) : NULL;
    /* TODO: per channel c (s->mean, s->invstd saved by forward; xhat = (x - mean) * invstd):
     * dgamma += sum(dy * xhat), dbeta += sum(dy); dx += gamma * invstd * (dy - mean(dy) - xhat *
     * mean(dy * xhat)) in training, gamma * invstd * dy in eval (sums in double; gx, gg, gbt may be NULL) */
    /* BEGIN SOLUTION */
    for (int64_t c = 0; c < C; c++) {
        const float mu = s->mean[c], is = s->invstd[c];
        double sdy = 0.0, sdyx = 0.0;
        for (int64_t n = 0; n < N; n++) {
            const float *xp = x->data + (n * C + c) * HW, *gp = gy + (n * C + c) * HW;
            for (int64_t p = 0; p < HW; p++) {
                sdy += gp[p];
                sdyx += (double)gp[p] * (double)((xp[p] - mu) * is);
            }
        }
        const float gm = gamma ? gamma->data[c] : 1.0f;
        if (gg) {
            gg[c] += (float)sdyx;
        }
        if (gbt) {
            gbt[c] += (float)sdy;
        }
        if (!gx) {
            continue;
        }
        /* training: dx = gm*is*(dy - mean(dy) - xhat*mean(dy*xhat)); eval: dx = gm*is*dy */
        const float k = gm * is;
        const float mdy = s->training ? (float)(sdy / M) : 0.0f;
        const float mdyx = s->training ? (float)(sdyx / M) : 0.0f;
        for (int64_t n = 0; n < N; n++) {
            const float *xp = x->data + (n * C + c) * HW, *gp = gy + (n * C + c) * HW;
            float *dp = gx + (n * C + c) * HW;
            for (int64_t p = 0; p < HW; p++) {
                float xh = (xp[p] - mu) * is;
                dp[p] += k * (gp[p] - mdy - xh * mdyx);
            }
        }
    }
    /* END SOLUTION */
}

tt_tensor *tt_batch_norm2d(tt_tensor *x, tt_tensor *gamma, tt_tensor *beta, tt_tensor *running_mean,
                           tt_tensor *running_var, bool training, float momentum, float eps)
{
    char sx[96], sp[96];
    if (x->ndim != 4) {
        tt_fatal("tt_batch_norm2d: input %s: want [N, C, H, W]", tt_shape_str(x, sx, sizeof sx));
    }
    const int64_t N = x->shape[0], C = x->shape[1], HW = x->shape[2] * x->shape[3];
    const tt_tensor *per_channel[4] = {gamma, beta, running_mean, running_var};
    for (int i = 0; i < 4; i++) {
        if (per_channel[i] && per_channel[i]->numel != C) {
            tt_fatal("tt_batch_norm2d: input %s, parameter %s: want %lld per-channel values",
                     tt_shape_str(x, sx, sizeof sx), tt_shape_str(per_channel[i], sp, sizeof sp),
                     (long long)C);
        }
    }
    if (!training && (!running_mean || !running_var)) {
        tt_fatal("tt_batch_norm2d: input %s: eval mode needs running_mean and running_var",
                 tt_shape_str(x, sx, sizeof sx));
    }
    if (training && tt_context_refuse_split()) {
        /* one shard of a split step: its statistics are not the batch's; leave the running ones
         * alone (the step reruns on one thread) */
        running_mean = running_var = NULL;
    }
    const int64_t M = N * HW;
    if (training && M < 2) {
        tt_fatal("tt_batch_norm2d: input %s: training needs more than one value per channel",
                 tt_shape_str(x, sx, sizeof sx));
    }
    tt_tensor *y = tt_empty(x->ndim, x->shape);
    bn_saved *s = tt_arena_alloc(sizeof *s);
    s->mean = tt_arena_alloc((size_t)C * sizeof(float));
    s->invstd = tt_arena_alloc((size_t)C * sizeof(float));
    s->training = training;
    /* TODO: per channel c: training: mean and biased variance over the N * H * W values (in double), and
     * running <- (1 - momentum) running + momentum stat, with the unbiased variance (when given); eval:
     * the running statistics. s->mean[c] = mean, s->invstd[c] = 1 / sqrt(var + eps); y = (x - mean) *
     * invstd * gamma + beta (gamma 1 and beta 0 when NULL) */
    /* BEGIN SOLUTION */
    for (int64_t c = 0; c < C; c++) {
        double mean, var;
        if (training) {
            double sum = 0.0;
            for (int64_t n = 0; n < N; n++) {
                const float *xp = x->data + (n * C + c) * HW;
                for (int64_t p = 0; p < HW; p++) {
                    sum += xp[p];
                }
            }
            mean = sum / (double)M;
            double sq = 0.0;
            for (int64_t n = 0; n < N; n++) {
                const float *xp = x->data + (n * C + c) * HW;
                for (int64_t p = 0; p < HW; p++) {
                    double dv = xp[p] - mean;
                    sq += dv * dv;
                }
            }
            var = sq / (double)M;
            if (running_mean) {
                running_mean->data[c] = (float)((1.0 - momentum) * running_mean->data[c] + momentum * mean);
            }
            if (running_var) {
                double unbiased = sq / (double)(M - 1);
                running_var->data[c] = (float)((1.0 - momentum) * running_var->data[c] + momentum * unbiased);
            }
        } else {
            mean = running_mean->data[c];
            var = running_var->data[c];
        }
        const float mu = (float)mean, is = (float)(1.0 / sqrt(var + (double)eps));
        s->mean[c] = mu;
        s->invstd[c] = is;
        const float gm = gamma ? gamma->data[c] : 1.0f, bt = beta ? beta->data[c] : 0.0f;
        for (int64_t n = 0; n < N; n++) {
            const float *xp = x->data + (n * C + c) * HW;
            float *yp = y->data + (n * C + c) * HW;
            for (int64_t p = 0; p < HW; p++) {
                yp[p] = (xp[p] - mu) * is * gm + bt;
            }
        }
    }
    /* END SOLUTION */
    tt_tensor *in[3] = {x, gamma, beta};
    tt_node *node = tt_record("batch_norm2d", y, in, 3, bn_backward);
    if (node) {
        node->saved = s;
    }
    return y;
}
