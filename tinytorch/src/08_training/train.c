/* train.c - gradient norms and clipping, evaluation, the JSON-lines metrics log, and tt_fit.
 *
 * Invariant of tt_fit: between optimizer steps the parameter gradients hold the sum of the scaled
 * micro-batch gradients (persistent buffers); everything else a step creates lives in the arena and is
 * dropped by tt_arena_reset() after each micro-batch's backward.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/json.h"
#include "tinytorch/progress.h"
#include "tinytorch/train.h"

/* ---- gradients ---------------------------------------------------------------------------------- */

double tt_grad_norm(tt_tensor *const *params, int n)
{
    /* TODO: the global L2 norm: sqrt of the sum of squares of every parameter's gradient (in double) */
    /* BEGIN SOLUTION */
    double ss = 0.0;
    for (int i = 0; i < n; i++) {
        const float *g = params[i]->grad;
        if (!g) {
            continue;
        }
        for (int64_t k = 0; k < params[i]->numel; k++) {
            ss += (double)g[k] * (double)g[k];
        }
    }
    return sqrt(ss);
    /* END SOLUTION */
}

double tt_clip_grad_norm(tt_tensor *const *params, int n, double max_norm)
{
    double norm = tt_grad_norm(params, n);
    double coef = max_norm / (norm + 1e-6);
    /* TODO: scale every gradient by coef when the norm is above max_norm (coef < 1) */
    /* BEGIN SOLUTION */
    if (coef < 1.0) {
        float c = (float)coef;
        for (int i = 0; i < n; i++) {
            float *g = params[i]->grad;
            if (!g) {
                continue;
            }
            for (int64_t k = 0; k < params[i]->numel; k++) {
                g[k] *= c;
            }
        }
    }
    /* END SOLUTION */
    return norm;
}

/* ---- evaluation --------------------------------------------------------------------------------- */

int64_t tt_count_correct(const tt_tensor *logits, const int32_t *labels)
{
    int64_t C = logits->shape[logits->ndim - 1], N = C ? logits->numel / C : 0, correct = 0;
    /* TODO: count the rows whose argmax (the first maximum) equals the label */
    /* BEGIN SOLUTION */
    for (int64_t r = 0; r < N; r++) {
        const float *x = logits->data + r * C;
        int64_t best = 0;
        for (int64_t k = 1; k < C; k++) {
            if (x[k] > x[best]) {
                best = k;
            }
        }
        correct += best == labels[r];
    }
    /* END SOLUTION */
    return correct;
}

void tt_evaluate(tt_layer *model, const tt_dataset *ds, int64_t batch, double *loss, double *accuracy)
{
    if (batch < 1) {
        batch = 1000;
    }
    tt_layer_train(model, false);
    tt_no_grad_begin();
    double loss_sum = 0.0;
    int64_t correct = 0;
    int64_t shape[TT_MAX_DIMS];
    for (int d = 0; d < ds->sample_ndim; d++) {
        shape[d + 1] = ds->sample_shape[d];
    }
    for (int64_t start = 0; start < ds->len; start += batch) {
        tt_arena_mark m = tt_arena_get_mark();
        int64_t n = ds->len - start < batch ? ds->len - start : batch;
        shape[0] = n;
        tt_tensor *x = tt_empty(ds->sample_ndim + 1, shape);
        int32_t *y = tt_arena_alloc((size_t)n * sizeof(int32_t));
        for (int64_t i = 0; i < n; i++) {
            ds->ops->get(ds, start + i, x->data + i * ds->sample_numel, &y[i]);
        }
        tt_tensor *logits = tt_layer_forward(model, x);
        if (loss) {
            loss_sum += (double)tt_item(tt_cross_entropy(logits, y)) * (double)n;
        }
        correct += tt_count_correct(logits, y);
        tt_arena_release(m);
    }
    tt_no_grad_end();
    tt_layer_train(model, true);
    if (loss) {
        *loss = ds->len ? loss_sum / (double)ds->len : NAN;
    }
    if (accuracy) {
        *accuracy = ds->len ? (double)correct / (double)ds->len : NAN;
    }
}

/* ---- metrics log -------------------------------------------------------------------------------- */

int tt_metrics_open(tt_metrics_log *m, const char *path, char *err, size_t errlen)
{
    m->f = fopen(path, "w");
    if (!m->f) {
        if (err && errlen) {
            snprintf(err, errlen, "%s: cannot create the metrics log (%s)", path, strerror(errno));
        }
        return -1;
    }
    return 0;
}

void tt_metrics_write(tt_metrics_log *m, const char *event, const tt_metric *kv, int n)
{
    if (!m || !m->f) {
        return;
    }
    fputs("{\"event\":", m->f);
    tt_json_write_string(m->f, event);
    for (int i = 0; i < n; i++) {
        fputc(',', m->f);
        tt_json_write_string(m->f, kv[i].key);
        fputc(':', m->f);
        tt_json_write_number(m->f, kv[i].value);
    }
    fputs("}\n", m->f);
    fflush(m->f);
}

void tt_metrics_close(tt_metrics_log *m)
{
    if (m && m->f) {
        fclose(m->f);
        m->f = NULL;
    }
}

tt_train_config tt_train_config_default(void)
{
    tt_train_config c;
    memset(&c, 0, sizeof c);
    c.epochs = 1;
    c.accum_steps = 1;
    c.eval_batch = 1000;
    c.name = "train";
    return c;
}

/* ---- one training step -------------------------------------------------------------------------- */

tt_tensor *tt_classifier_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return tt_cross_entropy(tt_layer_forward(model, b->x), b->y);
}

int tt_train_step(void *model, tt_optimizer *opt, const tt_batch *b, const tt_step_opts *opts,
                  tt_step_result *r)
{
    static const tt_step_opts defaults = {0};
    const tt_step_opts *o = opts ? opts : &defaults;
    tt_step_result res = {.loss = NAN, .grad_norm = NAN};
    tt_arena_peak_clear();
    tt_tensor *loss = (o->loss ? o->loss : tt_classifier_loss)(model, b, o->loss_ctx);
    res.loss = (double)tt_item(loss);
    int rc = 0;
    if (!isfinite(res.loss)) {
        tt_optim_zero_grad(opt);
        rc = -1;
    } else {
        if (o->loss_scale != 0.0f && o->loss_scale != 1.0f) {
            tt_backward_with(loss, tt_scalar(o->loss_scale));
        } else {
            tt_backward(loss);
        }
        /* TODO: unless accumulating: clip (clip_norm > 0), step the optimizer and the scheduler, zero the gradients */
        /* BEGIN SOLUTION */
        if (!o->accumulate) {
            if (o->clip_norm > 0) {
                int n;
                tt_tensor *const *p = tt_optim_params(opt, &n);
                res.grad_norm = tt_clip_grad_norm(p, n, o->clip_norm);
            }
            tt_optim_step(opt);
            if (o->sched) {
                tt_scheduler_step(o->sched);
            }
            tt_optim_zero_grad(opt);
            res.stepped = true;
        }
        /* END SOLUTION */
    }
    res.peak_arena_bytes = tt_arena_peak_bytes();
    tt_arena_reset();
    if (r) {
        *r = res;
    }
    return rc;
}

/* ---- the loop ----------------------------------------------------------------------------------- */

int tt_fit(tt_layer *model, tt_optimizer *opt, tt_dataloader *train, const tt_train_config *cfg,
           tt_train_stats *st)
{
    memset(st, 0, sizeof *st);
    st->eval_loss = st->eval_accuracy = st->train_loss = NAN;
    const int k = cfg->accum_steps > 0 ? cfg->accum_steps : 1;
    tt_layer_train(model, true);
    tt_optim_zero_grad(opt);
    int rc = 0;
    bool stop = false;
    uint64_t chunks_after_first = 0;
    bool first_step_done = false;
    const int64_t nb = tt_dataloader_len(train);
    for (int epoch = 1; epoch <= cfg->epochs && !stop; epoch++) {
        char label[64];
        snprintf(label, sizeof label, "%s epoch %d/%d", cfg->name ? cfg->name : "train", epoch, cfg->epochs);
        tt_progress prog;
        tt_progress_begin(&prog, cfg->progress, label, nb, cfg->quiet);
        tt_dataloader_start_epoch(train);
        double t0 = tt_now_seconds(), loss_sum = 0.0;
        int64_t micro = 0, epoch_samples = 0;
        tt_batch b;
        while (tt_dataloader_next(train, &b)) {
            micro++;
            tt_step_opts so = {
                .loss = cfg->loss,
                .loss_ctx = cfg->loss_ctx,
                .clip_norm = cfg->clip_norm,
                .sched = cfg->sched,
                .loss_scale = 1.0f / (float)k,
                .accumulate = !(micro % k == 0 || b.index == nb - 1),
            };
            tt_step_result r;
            if (tt_train_step(model, opt, &b, &so, &r) != 0) {
                fprintf(stderr, "%s: the loss became %g at step %lld; stopping\n", label, r.loss,
                        (long long)st->steps);
                rc = -1;
                stop = true;
                break;
            }
            double lv = r.loss;
            st->peak_arena_bytes = r.peak_arena_bytes > st->peak_arena_bytes ? r.peak_arena_bytes
                                                                            : st->peak_arena_bytes;
            loss_sum += lv * (double)b.size;
            epoch_samples += b.size;
            st->samples += b.size;
            if (r.stepped) {
                if (cfg->clip_norm > 0) {
                    st->last_grad_norm = r.grad_norm;
                }
                st->steps++;
                if (!first_step_done) {
                    first_step_done = true;
                    chunks_after_first = tt_arena_heap_allocs();
                }
                if (cfg->max_steps > 0 && st->steps >= cfg->max_steps) {
                    stop = true;
                }
            }
            tt_progress_update(&prog, b.index + 1, epoch_samples, lv);
            if (stop) {
                break;
            }
        }
        double secs = tt_now_seconds() - t0;
        st->train_seconds += secs;
        st->train_loss = epoch_samples ? loss_sum / (double)epoch_samples : NAN;
        st->epochs_run = epoch;
        char extra[96] = "";
        if (cfg->eval && rc == 0) {
            tt_evaluate(model, cfg->eval, cfg->eval_batch, &st->eval_loss, &st->eval_accuracy);
            snprintf(extra, sizeof extra, "eval loss %.4f acc %.2f%%", st->eval_loss, 100.0 * st->eval_accuracy);
        }
        tt_progress_end(&prog, extra[0] ? extra : NULL);
        tt_metric kv[] = {
            {"epoch", epoch},
            {"steps", (double)st->steps},
            {"train_loss", st->train_loss},
            {"eval_loss", st->eval_loss},
            {"eval_accuracy", st->eval_accuracy},
            {"lr", (double)tt_optim_get_lr(opt)},
            {"seconds", secs},
            {"samples_per_s", secs > 0 ? (double)epoch_samples / secs : 0.0},
            {"peak_arena_bytes", (double)st->peak_arena_bytes},
        };
        tt_metrics_write(cfg->log, "epoch", kv, (int)(sizeof kv / sizeof kv[0]));
    }
    st->samples_per_s = st->train_seconds > 0 ? (double)st->samples / st->train_seconds : 0.0;
    st->arena_chunk_allocs = first_step_done ? tt_arena_heap_allocs() - chunks_after_first : 0;
    return rc;
}
