/* workload_lenet.c - the image-classification workload of workload.h: LeNet-5 on Fashion-MNIST.
 *
 * QSL: the 10,000 test images (standardised like milestone 04: mean 0.2860, std 0.3530). load() copies
 *   the requested images into a staging table (what "loading a sample into memory" means here);
 *   unload() frees them. The SUT reads only staged images.
 * SUT: issue() appends samples to a FIFO and returns; one worker thread takes up to max_batch samples,
 *   runs one no-grad forward pass [B, 1, 28, 28] -> [B, 10] with TinyTorch, and completes each sample
 *   with its argmax class (int32). The step arena is released after every pass, so the worker makes no
 *   heap allocation in the steady state.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mle_internal.h"
#include "workload_internal.h"
#include "mlperf_edu/workload.h"
#include "tinytorch/autograd.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/compress.h"
#include "tinytorch/conv.h"
#include "tinytorch/data.h"
#include "tinytorch/gemm.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "tinytorch/profile.h"
#include "tinytorch/quant.h"
#include "tinytorch/train.h"
#include "tinytorch/fileio.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

#define FMNIST_MEAN 0.2860f
#define FMNIST_STD 0.3530f
#define IMG 784

const char *const mle_workload_names[] = {"lenet5", "lenet5-int8", "gpt-char"};
const int mle_workload_count = 3;

/* ---- the model ---------------------------------------------------------------------------------- */

/* A model file whose tensor names differ from the model's (one written when LeNet's convolutions were
 * fused layer kinds, "Conv2dReLU", so each conv + ReLU had one index) but whose architecture is this
 * model's: tt_model_load reads it under its own names, and its weights are copied over in order.
 * Returns true when it loaded. */
static bool load_by_architecture(const char *path, tt_layer *model)
{
    tt_model_file mf;
    char e[512], got[1024], want[1024];
    if (tt_model_load(path, &mf, e, sizeof e) != 0) {
        return false;
    }
    bool ok = tt_layer_describe(mf.model, got, sizeof got) == 0 && tt_layer_describe(model, want, sizeof want) == 0 &&
              strcmp(got, want) == 0;
    const tt_params *src = tt_layer_parameters(mf.model), *dst = tt_layer_parameters(model);
    ok = ok && src->n == dst->n;
    for (int i = 0; ok && i < src->n; i++) {
        ok = src->t[i]->numel == dst->t[i]->numel;
    }
    for (int i = 0; ok && i < src->n; i++) {
        memcpy(dst->t[i]->data, src->t[i]->data, (size_t)src->t[i]->numel * sizeof(float));
    }
    tt_model_file_free(&mf);
    return ok;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *mle_default_data_dir(void)
{
    const char *env = getenv("MLSB_DATA");
    if (env && *env) {
        return env;
    }
    if (dir_exists("data/fashion-mnist")) {
        return "data";
    }
    if (dir_exists(MLSB_SOURCE_DIR "/data/fashion-mnist")) {
        return MLSB_SOURCE_DIR "/data";
    }
    return "/usr/share/datasets";
}

/* Trains `model` on train for `epochs` (Adam 2e-3, cosine to 1e-5, batch 64: milestone 04's recipe),
 * evaluating on test after each epoch when test != NULL. Returns 0 or -1. */
static int train_epochs(tt_layer *model, const tt_dataset *train, const tt_dataset *test, int epochs, float lr,
                        uint64_t seed, bool quiet, tt_train_stats *st, char *err, size_t errlen)
{
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = lr});
    tt_dataloader dl;
    if (tt_dataloader_init(&dl, train, 64, true, false, seed + 7, err, errlen) != 0) {
        tt_optim_free(opt);
        tt_params_free(&p);
        return -1;
    }
    tt_train_config c = tt_train_config_default();
    c.epochs = epochs;
    c.sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = epochs * tt_dataloader_len(&dl), .min_lr = 1e-5f});
    c.eval = test;
    c.eval_batch = 1000;
    c.name = "lenet5";
    c.quiet = quiet;
    int rc = tt_fit(model, opt, &dl, &c, st);
    if (rc != 0) {
        snprintf(err, errlen, "lenet5: training failed (the loss became NaN or infinite)");
    }
    tt_scheduler_free(c.sched);
    tt_dataloader_free(&dl);
    tt_optim_free(opt);
    tt_params_free(&p);
    return rc == 0 ? 0 : -1;
}

/* ---- QSL ---------------------------------------------------------------------------------------- */

static void qsl_load(void *ctx, const size_t *idx, size_t n)
{
    mle_workload *w = ctx;
    int32_t y;
    for (size_t i = 0; i < n; i++) {
        if (!w->staged[idx[i]]) {
            w->staged[idx[i]] = malloc(IMG * sizeof(float));
            if (w->staged[idx[i]]) {
                tt_dataset_get(w->test, (int64_t)idx[i], w->staged[idx[i]], &y);
            }
        }
    }
}

static void qsl_unload(void *ctx, const size_t *idx, size_t n)
{
    mle_workload *w = ctx;
    for (size_t i = 0; i < n; i++) {
        free(w->staged[idx[i]]);
        w->staged[idx[i]] = NULL;
    }
}

/* ---- SUT ---------------------------------------------------------------------------------------- */

static void sut_issue(void *ctx, mle_run *run, const mle_sample *s, size_t n)
{
    mle_workload *w = ctx;
    pthread_mutex_lock(&w->mu);
    if (w->q_len + n > w->q_cap) {
        size_t cap = w->q_cap ? w->q_cap : 1024;
        while (cap < w->q_len + n) {
            cap *= 2;
        }
        mle_sample *q = malloc(cap * sizeof *q);
        if (!q) { /* never completed: LoadGen's timeout reports it */
            pthread_mutex_unlock(&w->mu);
            return;
        }
        for (size_t i = 0; i < w->q_len; i++) {
            q[i] = w->q[(w->q_head + i) % w->q_cap];
        }
        free(w->q);
        w->q = q;
        w->q_head = 0;
        w->q_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        w->q[(w->q_head + w->q_len++) % w->q_cap] = s[i];
    }
    w->run = run;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void *sut_worker(void *arg)
{
    mle_workload *w = arg;
    int cap = 0;
    mle_sample *batch = NULL;
    mle_response *resp = NULL;
    int32_t *cls = NULL;
    tt_layer_train(w->model, false);
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->q_len == 0 && !w->stop) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (w->q_len == 0 && w->stop) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        if (cap < w->max_batch) {
            cap = w->max_batch;
            free(batch);
            free(resp);
            free(cls);
            batch = malloc((size_t)cap * sizeof *batch);
            resp = malloc((size_t)cap * sizeof *resp);
            cls = malloc((size_t)cap * sizeof *cls);
            if (!batch || !resp || !cls) {
                cap = 0;
                pthread_mutex_unlock(&w->mu);
                break;
            }
        }
        size_t b = w->q_len < (size_t)w->max_batch ? w->q_len : (size_t)w->max_batch;
        if (w->qmodel && b > (size_t)w->xcap) {
            b = (size_t)w->xcap;
        }
        for (size_t i = 0; i < b; i++) {
            batch[i] = w->q[(w->q_head + i) % w->q_cap];
        }
        w->q_head = (w->q_head + b) % w->q_cap;
        w->q_len -= b;
        mle_run *run = w->run;
        pthread_mutex_unlock(&w->mu);

        /* x: [B, 1, 28, 28] -> logits: [B, 10] */
        tt_arena_mark m = tt_arena_get_mark();
        tt_no_grad_begin();
        int64_t shape[4] = {(int64_t)b, 1, 28, 28};
        tt_tensor *x = w->qmodel ? NULL : tt_empty(4, shape);
        float *xd = x ? x->data : w->xbuf;
        for (size_t i = 0; i < b; i++) {
            const float *img = w->staged[batch[i].index];
            if (img) {
                memcpy(xd + i * IMG, img, IMG * sizeof(float));
            } else { /* a sample the QSL did not load: read it, but it is a harness error */
                int32_t y;
                tt_dataset_get(w->test, (int64_t)batch[i].index, xd + i * IMG, &y);
            }
        }
        const float *logits;
        if (w->qmodel) {
            logits = tt_qmodel_forward(w->qmodel, w->xbuf, (int64_t)b, w->ybuf) == 0 ? w->ybuf : NULL;
        } else {
            logits = tt_layer_forward(w->model, x)->data;
        }
        for (size_t i = 0; i < b; i++) {
            int best = 0;
            if (logits) {
                const float *row = logits + i * 10;
                for (int k = 1; k < 10; k++) {
                    best = row[k] > row[best] ? k : best;
                }
            }
            cls[i] = logits ? best : -1; /* -1: the int8 path ran out of memory; scored as wrong */
            resp[i] = (mle_response){batch[i].id, &cls[i], sizeof cls[i], 0};
        }
        tt_no_grad_end();
        tt_arena_release(m);
        mle_complete(run, resp, b);
    }
    free(batch);
    free(resp);
    free(cls);
    return NULL;
}

/* ---- open / close ------------------------------------------------------------------------------- */

/* Structured channel pruning of the loaded fp32 LeNet-5 and a short fine-tune (mle_workload_opts). */
static int prune_and_finetune(mle_workload *w, const mle_workload_opts *o, char *err, size_t errlen)
{
    if (strcmp(o->name, "lenet5") != 0) {
        snprintf(err, errlen, "prune_channels: only the fp32 workload 'lenet5' can be pruned, not '%s'", o->name);
        return -1;
    }
    if (!(o->prune_channels > 0.0 && o->prune_channels < 1.0) || o->finetune_epochs < 0 || o->finetune_samples < 0) {
        snprintf(err, errlen, "prune_channels must be in (0, 1) and finetune_epochs, finetune_samples >= 0");
        return -1;
    }
    /* the reference accuracy is the unpruned model's */
    tt_layer_train(w->model, false);
    tt_evaluate(w->model, w->test, 1000, NULL, &w->ref_accuracy);
    if (tt_prune_channels(w->model, o->prune_channels, err, errlen) != 0) {
        return -1;
    }
    if (o->finetune_epochs > 0) {
        tt_dataset *train = NULL;
        if (tt_load_mnist(w->data_dir, "train", FMNIST_MEAN, FMNIST_STD, &train, err, errlen) != 0) {
            return -1;
        }
        int64_t n = o->finetune_samples > 0 && o->finetune_samples < train->len ? o->finetune_samples : train->len;
        if (n < train->len) {
            int64_t *idx = malloc((size_t)n * sizeof *idx);
            tt_dataset *sub = NULL;
            if (idx) {
                for (int64_t i = 0; i < n; i++) {
                    idx[i] = i * (train->len / n);
                }
                sub = tt_dataset_subset(train, idx, n);
            }
            free(idx);
            tt_dataset_free(train);
            train = sub;
            if (!train) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        tt_train_stats st;
        /* fine-tuning starts from trained weights: half the training rate */
        int rc = train_epochs(w->model, train, NULL, o->finetune_epochs, 1e-3f, o->seed ? o->seed : 42, o->quiet, &st,
                              err, errlen);
        tt_dataset_free(train);
        if (rc != 0) {
            return -1;
        }
    }
    tt_layer_train(w->model, false);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(w->model, &p);
    w->params = tt_params_numel(&p);
    tt_params_free(&p);
    snprintf(w->model_desc, sizeof w->model_desc,
             "LeNet-5 with %.0f %% of its conv channels removed (structured pruning, %d epoch%s of fine-tuning), fp32",
             100.0 * o->prune_channels, o->finetune_epochs, o->finetune_epochs == 1 ? "" : "s");
    return 0;
}

int mle_workload_open(const mle_workload_opts *o, mle_workload **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *name = o->name ? o->name : "";
    bool int8 = strcmp(name, "lenet5-int8") == 0, gpt = strcmp(name, "gpt-char") == 0;
    if (strcmp(name, "lenet5") != 0 && !int8 && !gpt) {
        snprintf(err, errlen, "unknown workload '%s' (this build has: lenet5, lenet5-int8, gpt-char)", name);
        return -1;
    }
    if (gpt) {
        mle_workload *g = calloc(1, sizeof *g);
        if (!g) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        g->is_gpt = true;
        g->ref_accuracy = NAN;
        g->max_batch = 1;
        tt_set_num_threads(o->threads > 0 ? o->threads : 1);
        pthread_mutex_init(&g->mu, NULL);
        pthread_cond_init(&g->cv, NULL);
        g->worker_started = false;
        if (mle_gpt_open(g, o, err, errlen) != 0) {
            mle_workload_close(g);
            return -1;
        }
        g->sut = (mle_sut){"tinytorch-gpt-char-fp32", g, sut_issue, NULL};
        g->qsl = (mle_qsl){"tinytalks-qa", g, (size_t)g->n_prompts, (size_t)g->n_prompts, NULL, NULL};
        if (pthread_create(&g->worker, NULL, mle_gpt_worker, g) != 0) {
            snprintf(err, errlen, "cannot start the SUT worker thread");
            mle_workload_close(g);
            return -1;
        }
        g->worker_started = true;
        *out = g;
        return 0;
    }
    mle_workload *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->ref_accuracy = NAN;
    w->max_batch = o->max_batch > 0 ? o->max_batch : 64;
    tt_set_num_threads(o->threads > 0 ? o->threads : 1);
    const char *data = o->data_dir ? o->data_dir : mle_default_data_dir();
    snprintf(w->data_dir, sizeof w->data_dir, "%s/fashion-mnist", data);
    if (tt_load_mnist(w->data_dir, "t10k", FMNIST_MEAN, FMNIST_STD, &w->test, err, errlen) != 0) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used, " (pass --data DIR, the folder that holds fashion-mnist/)");
        free(w);
        return -1;
    }
    tt_rng r;
    tt_rng_seed(&r, (o->seed ? o->seed : 42) + 100);
    w->model = tt_lenet5_new(&r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(w->model, &p);
    w->params = tt_params_numel(&p);
    tt_params_free(&p);
    snprintf(w->model_desc, sizeof w->model_desc,
             "LeNet-5 (Conv(1,6,5,pad 2) ReLU MaxPool Conv(6,16,5) ReLU MaxPool 400-120-84-10), fp32");

    const char *outd = o->out_dir ? o->out_dir : "runs";
    char trained[1100];
    snprintf(trained, sizeof trained, "%s/lenet5_fashion_mnist.safetensors", outd);
    const char *ck = o->checkpoint ? o->checkpoint : (file_exists(trained) ? trained : NULL);
    if (ck) {
        if (tt_checkpoint_load(ck, w->model, NULL, err, errlen) != 0 && !load_by_architecture(ck, w->model)) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (lenet5 wants a LeNet-5 checkpoint, e.g. from 'tito milestone run 04')");
            mle_workload_close(w);
            return -1;
        }
        snprintf(w->checkpoint, sizeof w->checkpoint, "%s", ck);
    } else {
        int epochs = o->train_epochs > 0 ? o->train_epochs : 3;
        tt_dataset *train = NULL;
        if (tt_load_mnist(w->data_dir, "train", FMNIST_MEAN, FMNIST_STD, &train, err, errlen) != 0) {
            mle_workload_close(w);
            return -1;
        }
        if (!o->quiet) {
            fprintf(stderr, "lenet5: no checkpoint given; training %d epoch%s (saved to %s)\n", epochs,
                    epochs > 1 ? "s" : "", trained);
        }
        tt_train_stats st;
        int rc = train_epochs(w->model, train, NULL, epochs, 2e-3f, o->seed ? o->seed : 42, o->quiet, &st, err, errlen);
        tt_dataset_free(train);
        tt_kv meta[] = {{"model", "lenet5"}, {"data", "fashion-mnist"}};
        if (rc != 0 || tt_mkdir_p(outd, err, errlen) != 0 ||
            tt_checkpoint_save(trained, w->model, NULL, meta, 2, err, errlen) != 0) {
            mle_workload_close(w);
            return -1;
        }
        snprintf(w->checkpoint, sizeof w->checkpoint, "%s", trained);
    }
    if (o->prune_channels != 0.0 && prune_and_finetune(w, o, err, errlen) != 0) {
        mle_workload_close(w);
        return -1;
    }
    w->param_bytes = (size_t)w->params * sizeof(float);
    if (int8) {
        /* post-training quantization, calibrated on 1,000 training images (never on the test set) */
        tt_dataset *train = NULL;
        if (tt_load_mnist(w->data_dir, "train", FMNIST_MEAN, FMNIST_STD, &train, err, errlen) != 0) {
            mle_workload_close(w);
            return -1;
        }
        tt_layer_train(w->model, false);
        const int64_t in_shape[3] = {1, 28, 28};
        tt_quant_opts qo = {TT_CALIB_PERCENTILE, 99.99};
        w->qmodel = tt_quantize_model(w->model, 3, in_shape, train, 1000, &qo, err, errlen);
        tt_dataset_free(train);
        w->xcap = 1024;
        w->xbuf = malloc((size_t)w->xcap * IMG * sizeof(float));
        w->ybuf = malloc((size_t)w->xcap * 10 * sizeof(float));
        if (!w->qmodel || !w->xbuf || !w->ybuf) {
            if (w->qmodel) {
                snprintf(err, errlen, "out of memory");
            }
            mle_workload_close(w);
            return -1;
        }
        w->param_bytes = tt_qmodel_param_bytes(w->qmodel);
        snprintf(w->model_desc, sizeof w->model_desc,
                 "LeNet-5 (Conv(1,6,5,pad 2) ReLU MaxPool Conv(6,16,5) ReLU MaxPool 400-120-84-10), int8 "
                 "(per-channel weights, percentile-calibrated activations)");
    }
    w->staged = calloc((size_t)w->test->len, sizeof *w->staged);
    if (!w->staged) {
        snprintf(err, errlen, "out of memory");
        mle_workload_close(w);
        return -1;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->sut = (mle_sut){int8 ? "tinytorch-lenet5-int8"
                            : (o->prune_channels > 0.0 ? "tinytorch-lenet5-pruned-fp32" : "tinytorch-lenet5-fp32"),
                       w, sut_issue, NULL};
    w->qsl = (mle_qsl){"fashion-mnist-t10k", w, (size_t)w->test->len, 1024, qsl_load, qsl_unload};
    if (pthread_create(&w->worker, NULL, sut_worker, w) != 0) {
        snprintf(err, errlen, "cannot start the SUT worker thread");
        mle_workload_close(w);
        return -1;
    }
    w->worker_started = true;
    *out = w;
    return 0;
}

void mle_workload_close(mle_workload *w)
{
    if (!w) {
        return;
    }
    if (w->worker_started) {
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->worker, NULL);
    }
    if (w->worker_started || w->is_gpt) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
    }
    if (w->is_gpt) {
        mle_gpt_free(w);
    }
    for (int64_t i = 0; w->staged && w->test && i < w->test->len; i++) {
        free(w->staged[i]);
    }
    free(w->staged);
    free(w->q);
    tt_qmodel_free(w->qmodel);
    free(w->xbuf);
    free(w->ybuf);
    tt_layer_free(w->model);
    tt_dataset_free(w->test);
    free(w);
}

const mle_sut *mle_workload_sut(mle_workload *w) { return &w->sut; }
const mle_qsl *mle_workload_qsl(mle_workload *w) { return &w->qsl; }
const char *mle_workload_model(const mle_workload *w) { return w->model_desc; }
const char *mle_workload_checkpoint(const mle_workload *w) { return w->checkpoint; }
const char *mle_workload_data_dir(const mle_workload *w) { return w->data_dir; }
int64_t mle_workload_params(const mle_workload *w) { return w->params; }
size_t mle_workload_param_bytes(const mle_workload *w) { return w->param_bytes; }
double mle_workload_quality_target(const mle_workload *w) { (void)w; return 0.99; }

void mle_workload_set_max_batch(mle_workload *w, int max_batch)
{
    pthread_mutex_lock(&w->mu);
    w->max_batch = max_batch > 0 ? max_batch : 1;
    pthread_mutex_unlock(&w->mu);
}

int mle_workload_score(mle_workload *w, const mle_result *r, double *accuracy, char *err, size_t errlen)
{
    if (w->is_gpt) {
        return mle_gpt_score(w, r, accuracy, err, errlen);
    }
    if (r->settings.mode != MLE_ACCURACY || r->acc_count != (size_t)w->test->len) {
        snprintf(err, errlen, "scoring needs an accuracy-mode result over all %lld samples",
                 (long long)w->test->len);
        return -1;
    }
    int64_t correct = 0;
    float x[IMG];
    for (size_t i = 0; i < r->acc_count; i++) {
        int32_t pred, y;
        if (r->acc_size[i] != sizeof pred) {
            snprintf(err, errlen, "sample %zu: response of %zu bytes, want 4 (an int32 class)", i, r->acc_size[i]);
            return -1;
        }
        memcpy(&pred, r->acc_data[i], sizeof pred);
        tt_dataset_get(w->test, (int64_t)i, x, &y);
        correct += pred == y;
    }
    *accuracy = (double)correct / (double)r->acc_count;
    return 0;
}

double mle_workload_reference_accuracy(mle_workload *w)
{
    if (w->is_gpt) {
        return mle_gpt_reference(w);
    }
    if (isnan(w->ref_accuracy)) {
        /* the worker is idle between runs; the arena is used by this thread only meanwhile */
        pthread_mutex_lock(&w->mu);
        tt_evaluate(w->model, w->test, 1000, NULL, &w->ref_accuracy);
        tt_layer_train(w->model, false);
        pthread_mutex_unlock(&w->mu);
    }
    return w->ref_accuracy;
}

int mle_workload_profile(mle_workload *w, int batch, int steps, const char *json_path, const char *svg_path,
                         double *step_s, char *top, size_t toplen, char *err, size_t errlen)
{
    if (w->is_gpt || !w->model || batch < 1 || steps < 1) {
        snprintf(err, errlen, "profile: needs the LeNet-5 workload, batch >= 1 and steps >= 1");
        return -1;
    }
    int64_t b = batch < w->test->len ? batch : w->test->len;
    float *x = malloc((size_t)b * IMG * sizeof(float));
    int32_t *y = malloc((size_t)b * sizeof(int32_t));
    if (!x || !y) {
        free(x);
        free(y);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int64_t i = 0; i < b; i++) {
        tt_dataset_get(w->test, i, x + i * IMG, &y[i]);
    }
    tt_roofline roof;
    tt_roofline_cached(NULL, &roof);
    tt_profile prof;
    memset(&prof, 0, sizeof prof);
    /* the SUT's worker is idle between runs; the arena is used by this thread only meanwhile */
    pthread_mutex_lock(&w->mu);
    tt_layer_train(w->model, true);
    tt_arena_mark m = tt_arena_get_mark();
    int64_t shape[4] = {b, 1, 28, 28};
    tt_tensor *xt = tt_from_data(4, shape, x);
    int rc = tt_profile_sequential(w->model, xt, y, steps, &prof, err, errlen);
    tt_arena_release(m);
    tt_layer_train(w->model, false);
    pthread_mutex_unlock(&w->mu);
    free(x);
    free(y);
    if (rc == 0) {
        rc = tt_profile_write_json(&prof, &roof, "LeNet-5", json_path, err, errlen);
    }
    if (rc == 0) {
        rc = tt_profile_write_svg(&prof, &roof, "LeNet-5", svg_path, err, errlen);
    }
    if (rc == 0) {
        *step_s = prof.plain_step_seconds;
        int best = 0;
        for (int i = 1; i < prof.n; i++) {
            double a = prof.layers[i].seconds + prof.layers[i].backward_seconds;
            double c = prof.layers[best].seconds + prof.layers[best].backward_seconds;
            best = a > c ? i : best;
        }
        snprintf(top, toplen, "%s (layer %d)", prof.n ? prof.layers[best].kind : "?", prof.n ? prof.layers[best].index : -1);
    }
    tt_profile_free(&prof);
    return rc == 0 ? 0 : -1;
}

int mle_time_to_train(const mle_workload_opts *o, double target, int max_epochs, double *seconds, int *epochs,
                      double *accuracy, char *err, size_t errlen)
{
    const char *data = o->data_dir ? o->data_dir : mle_default_data_dir();
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/fashion-mnist", data);
    tt_dataset *train = NULL, *test = NULL;
    if (tt_load_mnist(dir, "train", FMNIST_MEAN, FMNIST_STD, &train, err, errlen) != 0 ||
        tt_load_mnist(dir, "t10k", FMNIST_MEAN, FMNIST_STD, &test, err, errlen) != 0) {
        tt_dataset_free(train);
        return -1;
    }
    tt_set_num_threads(o->threads > 0 ? o->threads : 1);
    tt_rng r;
    tt_rng_seed(&r, (o->seed ? o->seed : 42) + 100);
    tt_layer *model = tt_lenet5_new(&r);
    /* one epoch at a time, constant-shape recipe (cosine over max_epochs), stop at the target */
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = 2e-3f});
    tt_dataloader dl;
    int rc = tt_dataloader_init(&dl, train, 64, true, false, (o->seed ? o->seed : 42) + 7, err, errlen);
    tt_scheduler *sched = NULL;
    *seconds = 0.0;
    *epochs = 0;
    *accuracy = 0.0;
    if (rc == 0) {
        sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = max_epochs * tt_dataloader_len(&dl),
                                                      .min_lr = 1e-5f});
        rc = 1;
        for (int e = 1; e <= max_epochs; e++) {
            tt_train_config c = tt_train_config_default();
            c.epochs = 1;
            c.sched = sched;
            c.eval = test;
            c.eval_batch = 1000;
            c.name = "time-to-train";
            c.quiet = o->quiet;
            tt_train_stats st;
            if (tt_fit(model, opt, &dl, &c, &st) != 0) {
                snprintf(err, errlen, "time-to-train: the loss became NaN or infinite");
                rc = -1;
                break;
            }
            *seconds += st.train_seconds;
            *epochs = e;
            *accuracy = st.eval_accuracy;
            if (st.eval_accuracy >= target) {
                rc = 0;
                break;
            }
        }
        tt_dataloader_free(&dl);
    }
    tt_scheduler_free(sched);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(model);
    tt_dataset_free(train);
    tt_dataset_free(test);
    return rc;
}
