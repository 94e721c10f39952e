/* qat.c - quantization-aware fine-tuning of the weights with a straight-through estimator (module 15).
 *
 * Each step: every Conv2d/Linear weight W is replaced by fake_quant(W) - exactly the int8 values
 * tt_quantize_model will store, times their scale (symmetric per output channel, scale = max|W[c]| / 127,
 * round half away from zero) - the forward and backward run on those, then W is put back and the
 * optimizer updates the float W with the gradient taken at fake_quant(W). Treating d fake_quant / dW as
 * 1 is the straight-through estimator (Bengio, Leonard & Courville, 2013; Jacob et al., 2018, for
 * int8 QAT). Rounding to the per-channel maximum never clips, so the estimator needs no clipping mask.
 * Activations are not fake-quantized here: their ranges come from calibration afterwards, as in PTQ.
 */
#include "tinytorch/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/optim.h"

void tt_fake_quant_weight(float *w, int64_t cout, int64_t k)
{
    /* TODO: per output channel (row of k weights): scale s = max|w| / 127 (1 for an all-zero row), then
     * w = clamp(round(w / s), -127, 127) * s */
    /* BEGIN SOLUTION */
    for (int64_t c = 0; c < cout; c++) {
        float *row = w + c * k, amax = 0.0f;
        for (int64_t i = 0; i < k; i++) {
            amax = fabsf(row[i]) > amax ? fabsf(row[i]) : amax;
        }
        const float s = amax > 0.0f ? amax / 127.0f : 1.0f;
        for (int64_t i = 0; i < k; i++) {
            float v = roundf(row[i] / s);
            row[i] = (v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v) * s;
        }
    }
    /* END SOLUTION */
}

int tt_qat_finetune(tt_layer *model, const tt_dataset *train, const tt_qat_opts *opts, double *last_loss, char *err,
                    size_t errlen)
{
    if (opts->epochs < 1 || !(opts->lr > 0.0f) || opts->batch < 1) {
        snprintf(err, errlen, "qat: want epochs >= 1, lr > 0 and batch >= 1 (got %d, %g, %lld)", opts->epochs,
                 (double)opts->lr, (long long)opts->batch);
        return -1;
    }
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    int nw = 0;
    tt_tensor **w = calloc((size_t)(p.n ? p.n : 1), sizeof *w);
    float **shadow = calloc((size_t)(p.n ? p.n : 1), sizeof *shadow);
    tt_dataloader dl;
    bool dl_ok = false;
    int rc = -1;
    if (!w || !shadow) {
        snprintf(err, errlen, "qat: out of memory");
        goto done;
    }
    for (int i = 0; i < p.n; i++) {
        size_t len = strlen(p.names[i]);
        if (p.t[i]->ndim >= 2 && len >= 6 && strcmp(p.names[i] + len - 6, "weight") == 0) {
            w[nw] = p.t[i];
            if (!(shadow[nw] = malloc((size_t)p.t[i]->numel * sizeof(float)))) {
                snprintf(err, errlen, "qat: out of memory");
                goto done;
            }
            nw++;
        }
    }
    if (nw == 0) {
        snprintf(err, errlen, "qat: the model has no Conv2d or Linear weight to quantize");
        goto done;
    }
    if (tt_dataloader_init(&dl, train, opts->batch, true, false, opts->seed, err, errlen) != 0) {
        goto done;
    }
    dl_ok = true;
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = opts->lr});
    tt_scheduler *sch = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = opts->epochs * tt_dataloader_len(&dl)});
    tt_layer_train(model, true);
    double loss_sum = 0.0;
    int64_t nb = 0;
    rc = 0;
    for (int e = 0; e < opts->epochs && rc == 0; e++) {
        tt_dataloader_start_epoch(&dl);
        loss_sum = 0.0;
        nb = 0;
        for (;;) {
            tt_arena_mark mk = tt_arena_get_mark();
            tt_batch b;
            if (!tt_dataloader_next(&dl, &b)) {
                tt_arena_release(mk);
                break;
            }
            for (int i = 0; i < nw; i++) {
                memcpy(shadow[i], w[i]->data, (size_t)w[i]->numel * sizeof(float));
                tt_fake_quant_weight(w[i]->data, w[i]->shape[0], w[i]->numel / w[i]->shape[0]);
            }
            tt_optim_zero_grad(opt);
            tt_tensor *loss = tt_cross_entropy(tt_layer_forward(model, b.x), b.y);
            const double lv = loss->data[0];
            if (isfinite(lv)) {
                tt_backward(loss);
            }
            for (int i = 0; i < nw; i++) {
                memcpy(w[i]->data, shadow[i], (size_t)w[i]->numel * sizeof(float));
            }
            tt_arena_release(mk);
            if (!isfinite(lv)) {
                snprintf(err, errlen, "qat: the loss is not finite at epoch %d, batch %lld (try a smaller lr)", e + 1,
                         (long long)b.index);
                rc = -1;
                break;
            }
            tt_optim_step(opt);
            tt_scheduler_step(sch);
            loss_sum += lv;
            nb++;
        }
    }
    if (last_loss) {
        *last_loss = nb ? loss_sum / (double)nb : 0.0;
    }
    tt_layer_train(model, false);
    tt_scheduler_free(sch);
    tt_optim_free(opt);
done:
    if (dl_ok) {
        tt_dataloader_free(&dl);
    }
    for (int i = 0; shadow && i < nw; i++) {
        free(shadow[i]);
    }
    free(shadow);
    free(w);
    tt_params_free(&p);
    return rc;
}
