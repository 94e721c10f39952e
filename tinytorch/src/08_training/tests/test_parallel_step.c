/* test_parallel_step.c - module 08: a training step split across threads (parallel_step.c).
 * Against the same step on one thread, on LeNet-5 (convolutions) and a small GPT: the gradients
 * (within 1e-5 relative), the weights after 5 SGD steps (within 1e-5) and 5 AdamW steps (within
 * 1e-3, see tolerance()), the same bits for two runs
 * at the same thread count, uneven shards (an odd batch, 3 threads), gradient accumulation with a
 * loss scale; what stays on one thread (batch 1, tiny batches, a loss with a context, BatchNorm and
 * dropout models, which then match the one-thread step bit for bit); the automatic rule (an MLP's
 * small activations stay on one thread at batch 64, LeNet-5 splits); and no
 * heap allocation after the first split step (a malloc counter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"
#include "tinytorch/gemm.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "tinytorch/transformer.h"
#include "../parallel_step.h"

#include "tt_malloc_counter.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

/* ---- models and data ------------------------------------------------------------------------------ */

static tt_layer *lenet(uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    return tt_lenet5_new(&r);
}

/* images [B, 1, 28, 28] in [0, 1) and labels in [0, 10), persistent (they outlive the steps) */
typedef struct images { tt_tensor *x; int32_t *y; int64_t B; } images;

static images make_images(int64_t B, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    images d = {tt_tensor_new_persistent(TT_SHAPE(B, 1, 28, 28)), malloc((size_t)B * sizeof(int32_t)), B};
    for (int64_t i = 0; i < d.x->numel; i++) {
        d.x->data[i] = tt_rng_uniform(&r);
    }
    for (int64_t i = 0; i < B; i++) {
        d.y[i] = (int32_t)tt_rng_below(&r, 10);
    }
    return d;
}

static void free_images(images *d)
{
    tt_tensor_free(d->x);
    free(d->y);
}

static tt_batch image_batch(const images *d) { return (tt_batch){.x = d->x, .y = d->y, .size = d->B}; }

static const tt_gpt_config gpt_cfg = {20, 16, 32, 2, 2, true, false};

/* token ids and targets [B, T] as the batch's two int32 fields */
typedef struct tokens { int32_t *ids, *tg; int64_t B, T; } tokens;

static tokens make_tokens(int64_t B, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    const int64_t T = gpt_cfg.max_len;
    tokens t = {malloc((size_t)(B * T) * sizeof(int32_t)), malloc((size_t)(B * T) * sizeof(int32_t)), B, T};
    for (int64_t i = 0; i < B * T; i++) {
        t.ids[i] = (int32_t)tt_rng_below(&r, (uint32_t)gpt_cfg.vocab_size);
        t.tg[i] = (int32_t)tt_rng_below(&r, (uint32_t)gpt_cfg.vocab_size);
    }
    return t;
}

static tt_batch token_batch(const tokens *t)
{
    tt_batch b = {.size = t->B, .num_fields = 2};
    b.field[0] = (tt_batch_field){.ints = t->ids, .ints_per_row = t->T};
    b.field[1] = (tt_batch_field){.ints = t->tg, .ints_per_row = t->T};
    return b;
}

/* ---- comparing parameters --------------------------------------------------------------------------- */

/* max |a - b| / max |a| over the gradients (grad) or the values of two parameter lists */
static double rel_diff(const tt_params *a, const tt_params *b, bool grad)
{
    assert_int_equal(a->n, b->n);
    double worst = 0.0;
    for (int i = 0; i < a->n; i++) {
        const float *x = grad ? a->t[i]->grad : a->t[i]->data, *y = grad ? b->t[i]->grad : b->t[i]->data;
        assert_non_null(x);
        assert_non_null(y);
        double d = 0.0, m = 1e-12;
        for (int64_t k = 0; k < a->t[i]->numel; k++) {
            d = fmax(d, fabs((double)x[k] - (double)y[k]));
            m = fmax(m, fabs((double)x[k]));
        }
        worst = fmax(worst, d / m);
    }
    return worst;
}

static bool same_bits(const tt_params *a, const tt_params *b)
{
    for (int i = 0; i < a->n; i++) {
        if (memcmp(a->t[i]->data, b->t[i]->data, (size_t)a->t[i]->numel * sizeof(float)) != 0) {
            return false;
        }
    }
    return true;
}

/* ---- gradients ------------------------------------------------------------------------------------- */

/* Backward only (accumulate) on one thread and on `threads`: same gradients, same loss. */
static void check_grads(void *m1, const tt_params *p1, void *m2, const tt_params *p2, const tt_batch *b,
                        tt_loss_fn loss, int threads, int want_shards, float scale)
{
    tt_step_result r1, r2;
    assert_int_equal(tt_train_step(m1, NULL, b, &(tt_step_opts){.loss = loss, .accumulate = true, .threads = 1,
                                                                 .loss_scale = scale}, &r1), 0);
    assert_int_equal(tt_train_step(m2, NULL, b, &(tt_step_opts){.loss = loss, .accumulate = true,
                                                                 .threads = threads, .loss_scale = scale}, &r2), 0);
    assert_int_equal(r1.shards, 1);
    assert_int_equal(r2.shards, want_shards);
    double dl = fabs(r1.loss - r2.loss) / fabs(r1.loss);
    double dg = rel_diff(p1, p2, true);
    if (dl > 1e-5 || dg > 1e-5) {
        fail_msg("%d threads: loss %.9g vs %.9g, gradients differ by %.3g relative", threads, r1.loss, r2.loss, dg);
    }
    for (int i = 0; i < p1->n; i++) {
        memset(p1->t[i]->grad, 0, (size_t)p1->t[i]->numel * sizeof(float));
        memset(p2->t[i]->grad, 0, (size_t)p2->t[i]->numel * sizeof(float));
    }
}

static void test_lenet_gradients(void **state)
{
    (void)state;
    tt_layer *a = lenet(1), *b = lenet(1);
    const tt_params *pa = tt_layer_parameters(a), *pb = tt_layer_parameters(b);
    images d = make_images(64, 7), odd = make_images(63, 8);
    tt_batch bd = image_batch(&d), bo = image_batch(&odd);
    check_grads(a, pa, b, pb, &bd, NULL, 2, 2, 0.0f);
    check_grads(a, pa, b, pb, &bd, NULL, 3, 3, 0.0f);     /* 21, 21, 22 rows */
    check_grads(a, pa, b, pb, &bo, NULL, 2, 2, 0.0f);     /* 31, 32 rows */
    check_grads(a, pa, b, pb, &bd, NULL, 2, 2, 0.25f);    /* a loss scale (accumulation of 4) */
    free_images(&d);
    free_images(&odd);
    tt_layer_free(a);
    tt_layer_free(b);
}

static void test_gpt_gradients(void **state)
{
    (void)state;
    tt_rng r1, r2;
    tt_rng_seed(&r1, 3);
    tt_rng_seed(&r2, 3);
    tt_gpt *a = tt_gpt_new(&gpt_cfg, &r1), *b = tt_gpt_new(&gpt_cfg, &r2);
    tokens t = make_tokens(6, 5), t7 = make_tokens(7, 6);
    tt_batch bt = token_batch(&t), b7 = token_batch(&t7);
    check_grads(a, &a->params, b, &b->params, &bt, tt_gpt_batch_loss, 2, 2, 0.0f);
    check_grads(a, &a->params, b, &b->params, &bt, tt_gpt_batch_loss, 3, 3, 0.0f);
    check_grads(a, &a->params, b, &b->params, &b7, tt_gpt_batch_loss, 3, 3, 0.0f); /* 2, 2, 3 rows */
    free(t.ids);
    free(t.tg);
    free(t7.ids);
    free(t7.tg);
    tt_gpt_free(a);
    tt_gpt_free(b);
}

/* ---- AdamW steps ------------------------------------------------------------------------------------ */

/* 5 optimizer steps (clipped) of model i with threads[i]: AdamW, or SGD with momentum when sgd */
static void train_steps(void **models, const tt_params **ps, const int *threads, int n, const tt_batch *b,
                        tt_loss_fn loss, int want_shards, bool sgd)
{
    tt_optimizer *opt[4];
    for (int i = 0; i < n; i++) {
        opt[i] = sgd ? tt_sgd(ps[i], (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f})
                     : tt_adamw(ps[i], (tt_adam_opts){.lr = 1e-3f, .weight_decay = 0.1f});
    }
    for (int s = 0; s < 5; s++) {
        for (int i = 0; i < n; i++) {
            tt_step_result r;
            assert_int_equal(tt_train_step(models[i], opt[i], b, &(tt_step_opts){.loss = loss, .clip_norm = 1.0,
                                                                                 .threads = threads[i]}, &r), 0);
            assert_true(r.stepped);
            assert_int_equal(r.shards, threads[i] == 1 ? 1 : want_shards);
        }
    }
    for (int i = 0; i < n; i++) {
        tt_optim_free(opt[i]);
    }
}

/* Tolerances after 5 steps, max |w1 - wT| / max |w1|: SGD 1e-5. AdamW divides each gradient by the
 * root of its running square: a gradient element near 0 whose last bits differ (the shards add in
 * another order) gets a visibly different update, so AdamW gets 1e-3 (measured: LeNet 1.2e-5, GPT
 * 1.7e-4). Same thread count: the same bits. */
static double tolerance(bool sgd) { return sgd ? 1e-5 : 1e-3; }

static void lenet_steps(bool sgd)
{
    tt_layer *m[4] = {lenet(2), lenet(2), lenet(2), lenet(2)};
    const tt_params *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = tt_layer_parameters(m[i]);
    }
    images d = make_images(65, 9);
    tt_batch b = image_batch(&d);
    /* one thread; two threads; two threads again; one thread again (65 rows: 32 + 33) */
    train_steps((void **)m, p, (const int[]){1, 2, 2, 1}, 4, &b, NULL, 2, sgd);
    double d2 = rel_diff(p[0], p[1], false);
    if (d2 > tolerance(sgd)) {
        fail_msg("LeNet, 5 %s steps: 2 threads differ from 1 by %.3g relative", sgd ? "SGD" : "AdamW", d2);
    }
    assert_true(same_bits(p[1], p[2]));     /* the same bits for the same thread count */
    assert_true(same_bits(p[0], p[3]));
    tt_layer *m3[2] = {lenet(2), lenet(2)};
    const tt_params *p3[2] = {tt_layer_parameters(m3[0]), tt_layer_parameters(m3[1])};
    train_steps((void **)m3, p3, (const int[]){3, 3}, 2, &b, NULL, 3, sgd);   /* 21 + 22 + 22 rows */
    assert_true(same_bits(p3[0], p3[1]));
    double d3 = rel_diff(p[0], p3[0], false);
    if (d3 > tolerance(sgd)) {
        fail_msg("LeNet, 5 %s steps: 3 threads differ from 1 by %.3g relative", sgd ? "SGD" : "AdamW", d3);
    }
    for (int i = 0; i < 4; i++) {
        tt_layer_free(m[i]);
    }
    tt_layer_free(m3[0]);
    tt_layer_free(m3[1]);
    free_images(&d);
}

static void gpt_steps(bool sgd)
{
    tt_gpt *g[3];
    const tt_params *p[3];
    for (int i = 0; i < 3; i++) {
        tt_rng r;
        tt_rng_seed(&r, 11);
        g[i] = tt_gpt_new(&gpt_cfg, &r);
        p[i] = &g[i]->params;
    }
    tokens t = make_tokens(8, 12);
    tt_batch b = token_batch(&t);
    train_steps((void **)g, p, (const int[]){1, 2, 2}, 3, &b, tt_gpt_batch_loss, 2, sgd);
    double d2 = rel_diff(p[0], p[1], false);
    if (d2 > tolerance(sgd)) {
        fail_msg("GPT, 5 %s steps: 2 threads differ from 1 by %.3g relative", sgd ? "SGD" : "AdamW", d2);
    }
    assert_true(same_bits(p[1], p[2]));
    for (int i = 0; i < 3; i++) {
        tt_gpt_free(g[i]);
    }
    free(t.ids);
    free(t.tg);
}

static void test_lenet_steps(void **state)
{
    (void)state;
    lenet_steps(true);
    lenet_steps(false);
}

static void test_gpt_steps(void **state)
{
    (void)state;
    gpt_steps(true);
    gpt_steps(false);
}

/* ---- what stays on one thread ----------------------------------------------------------------------- */

static tt_tensor *ctx_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return tt_classifier_loss(model, b, NULL);
}

static void test_stays_serial(void **state)
{
    (void)state;
    tt_set_num_threads(2);
    tt_layer *a = lenet(4), *b = lenet(4);
    const tt_params *pa = tt_layer_parameters(a), *pb = tt_layer_parameters(b);
    images d = make_images(64, 1);
    const int64_t sizes[] = {1, 3, 7};     /* automatic: fewer than 4 rows per thread */
    for (int i = 0; i < 3; i++) {
        tt_batch bt = {.x = d.x, .y = d.y, .size = sizes[i]};
        tt_tensor x = *d.x;
        x.shape[0] = sizes[i];
        x.numel = sizes[i] * 784;
        bt.x = &x;
        tt_step_result r;
        tt_train_step(a, NULL, &bt, &(tt_step_opts){.accumulate = true}, &r);
        assert_int_equal(r.shards, 1);
    }
    tt_batch b4 = image_batch(&d);
    tt_tensor x3 = *d.x;
    x3.shape[0] = 3;
    x3.numel = 3 * 784;
    b4.x = &x3;
    b4.size = 3;
    tt_step_result r;
    tt_train_step(a, NULL, &b4, &(tt_step_opts){.accumulate = true, .threads = 2}, &r);
    assert_int_equal(r.shards, 1);         /* asked for 2 threads, but 3 rows give one 1-row shard */
    x3.shape[0] = 4;
    x3.numel = 4 * 784;
    b4.size = 4;
    tt_train_step(a, NULL, &b4, &(tt_step_opts){.accumulate = true, .threads = 2}, &r);
    assert_int_equal(r.shards, 2);         /* 2 rows each */
    tt_batch full = image_batch(&d);
    tt_train_step(a, NULL, &full, &(tt_step_opts){.accumulate = true}, &r);
    assert_int_equal(r.shards, 2);         /* automatic: 2 threads, 32 rows each */
    /* a loss with a context might read per-sample data from it: one thread */
    tt_train_step(a, NULL, &full, &(tt_step_opts){.loss = ctx_loss, .loss_ctx = &d, .accumulate = true}, &r);
    assert_int_equal(r.shards, 1);
    /* a hand-built int32 field without its row length: one thread */
    tt_batch nb = {.size = 64, .num_fields = 2, .x = d.x, .y = d.y};
    nb.field[0].t = d.x;
    nb.field[1].ints = d.y;
    tt_train_step(a, NULL, &nb, &(tt_step_opts){.accumulate = true}, &r);
    assert_int_equal(r.shards, 1);
    nb.field[1].ints_per_row = 1;
    tt_train_step(a, NULL, &nb, &(tt_step_opts){.accumulate = true}, &r);
    assert_int_equal(r.shards, 2);
    /* batch 1 on one thread is the plain step: bit-identical gradients */
    for (int i = 0; i < pa->n; i++) {
        memset(pa->t[i]->grad, 0, (size_t)pa->t[i]->numel * sizeof(float));
    }
    tt_tensor x1 = *d.x;
    x1.shape[0] = 1;
    x1.numel = 784;
    tt_batch b1 = {.x = &x1, .y = d.y, .size = 1};
    tt_train_step(a, NULL, &b1, &(tt_step_opts){.accumulate = true}, &r);
    tt_train_step(b, NULL, &b1, &(tt_step_opts){.accumulate = true, .threads = 1}, &r);
    for (int i = 0; i < pa->n; i++) {
        assert_memory_equal(pa->t[i]->grad, pb->t[i]->grad, (size_t)pa->t[i]->numel * sizeof(float));
    }
    tt_set_num_threads(0);
    free_images(&d);
    tt_layer_free(a);
    tt_layer_free(b);
}

static tt_layer *bn_net(uint64_t seed, bool dropout, tt_rng *drng)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_layer *mid = dropout ? tt_dropout_new(0.3f, drng) : tt_batchnorm2d_new(4, 0.1f, 1e-5f, true);
    return tt_sequential_new(5, (tt_layer *[]){tt_conv2d_new(1, 4, 5, 1, 0, 1, 1, true, &r), mid, tt_relu_new(),
                                               tt_flatten_new(), tt_linear_new(4 * 24 * 24, 10, true, TT_INIT_PYTORCH, &r)});
}

/* A model with BatchNorm (batch statistics) or dropout (random draws) refuses the split: the step
 * runs on one thread and gives the one-thread result bit for bit, running statistics and generator
 * included. */
static void check_refused(bool dropout)
{
    tt_rng ra, rb;
    tt_rng_seed(&ra, 77);
    tt_rng_seed(&rb, 77);
    tt_layer *a = bn_net(5, dropout, &ra), *b = bn_net(5, dropout, &rb);
    tt_params pa, pb;               /* parameters and buffers (running statistics) */
    tt_params_init(&pa);
    tt_params_init(&pb);
    tt_layer_params(a, &pa);
    tt_layer_params(b, &pb);
    tt_layer_buffers(a, &pa);
    tt_layer_buffers(b, &pb);
    images d = make_images(32, 3);
    tt_batch bt = image_batch(&d);
    tt_optimizer *oa = tt_sgd(tt_layer_parameters(a), (tt_sgd_opts){.lr = 0.1f});
    tt_optimizer *ob = tt_sgd(tt_layer_parameters(b), (tt_sgd_opts){.lr = 0.1f});
    for (int s = 0; s < 3; s++) {
        tt_step_result r1, r2;
        tt_train_step(a, oa, &bt, &(tt_step_opts){.threads = 1}, &r1);
        tt_train_step(b, ob, &bt, &(tt_step_opts){.threads = 2}, &r2);
        assert_int_equal(r2.shards, 1);
        assert_memory_equal(&r1.loss, &r2.loss, sizeof r1.loss);
    }
    assert_true(same_bits(&pa, &pb));
    assert_memory_equal(&ra, &rb, sizeof ra);
    tt_optim_free(oa);
    tt_optim_free(ob);
    tt_params_free(&pa);
    tt_params_free(&pb);
    tt_layer_free(a);
    tt_layer_free(b);
    free_images(&d);
}

static void test_batchnorm_stays_serial(void **state) { (void)state; check_refused(false); }
static void test_dropout_stays_serial(void **state) { (void)state; check_refused(true); }

/* ---- the automatic rule weighs a shard's activations against the parameters ----------------------- */

static int auto_shards(tt_layer *m, tt_optimizer *opt, const images *d, int64_t rows)
{
    tt_tensor x = *d->x;
    x.shape[0] = rows;
    x.numel = rows * 784;
    tt_step_result r;
    assert_int_equal(tt_train_step(m, opt, &(tt_batch){.x = &x, .y = d->y, .size = rows}, NULL, &r), 0);
    return r.shards;
}

static void test_automatic_weighs_activations(void **state)
{
    (void)state;
    tt_set_num_threads(2);
    images d = make_images(1024, 3);
    /* an MLP: 203 k parameters (813 kB), a few kB of activations per row */
    tt_rng r;
    tt_rng_seed(&r, 8);
    tt_layer *mlp = tt_sequential_new(4, (tt_layer *[]){tt_flatten_new(),
                                                       tt_linear_new(784, 256, true, TT_INIT_PYTORCH, &r),
                                                       tt_relu_new(), tt_linear_new(256, 10, true, TT_INIT_PYTORCH, &r)});
    tt_optimizer *o1 = tt_sgd(tt_layer_parameters(mlp), (tt_sgd_opts){.lr = 0.01f});
    /* 32 rows of activations weigh less than the weights: one thread (a trial shard measured it) */
    for (int s = 0; s < 3; s++) {
        assert_int_equal(auto_shards(mlp, o1, &d, 64), 1);
    }
    assert_int_equal(auto_shards(mlp, o1, &d, 1024), 2); /* 512 rows each outweigh them */
    /* an explicit thread count is the caller's choice: split */
    tt_tensor x64 = *d.x;
    x64.shape[0] = 64;
    x64.numel = 64 * 784;
    tt_step_result sr;
    tt_train_step(mlp, o1, &(tt_batch){.x = &x64, .y = d.y, .size = 64}, &(tt_step_opts){.threads = 2}, &sr);
    assert_int_equal(sr.shards, 2);
    /* LeNet-5: 62 k parameters, ~23 kB of activations per row: split from its first step on */
    tt_layer *le = lenet(9);
    tt_optimizer *o2 = tt_sgd(tt_layer_parameters(le), (tt_sgd_opts){.lr = 0.01f});
    for (int s = 0; s < 3; s++) {
        assert_int_equal(auto_shards(le, o2, &d, 64), 2);
    }
    tt_optim_free(o1);
    tt_optim_free(o2);
    tt_layer_free(mlp);
    tt_layer_free(le);
    tt_set_num_threads(0);
    free_images(&d);
}

/* A freed model's measure goes with it: a new model that takes its address is measured afresh (it
 * took the old one's split before, which made test_automatic_weighs_activations fail now and then
 * when an earlier test's LeNet had lived where its MLP was allocated). */
static void test_freed_model_forgotten(void **state)
{
    (void)state;
    tt_set_num_threads(2);
    images d = make_images(64, 4);
    tt_layer *le = lenet(10);
    tt_optimizer *o = tt_sgd(tt_layer_parameters(le), (tt_sgd_opts){.lr = 0.01f});
    const uintptr_t addr = (uintptr_t)le;
    assert_false(tt__split_measured(addr, 64));
    assert_int_equal(auto_shards(le, o, &d, 64), 2);
    assert_true(tt__split_measured(addr, 64));
    tt_optim_free(o);
    tt_layer_free(le);
    assert_false(tt__split_measured(addr, 64));
    tt_set_num_threads(0);
    free_images(&d);
}

/* ---- memory ----------------------------------------------------------------------------------------- */

static void test_no_heap_after_first_step(void **state)
{
    (void)state;
    tt_layer *m = lenet(6);
    images d = make_images(64, 2);
    tt_batch b = image_batch(&d);
    tt_optimizer *opt = tt_adamw(tt_layer_parameters(m), (tt_adam_opts){.lr = 1e-3f});
    tt_step_result r1, r;
    tt_train_step(m, NULL, &b, &(tt_step_opts){.threads = 1, .accumulate = true}, &r1);
    tt_optim_zero_grad(opt);
    tt_train_step(m, opt, &b, &(tt_step_opts){.threads = 2}, &r);
    assert_int_equal(r.shards, 2);
    /* the shards' peaks add up to about the one-thread step's (each holds half the activations) */
    assert_true(r.peak_arena_bytes > r1.peak_arena_bytes / 2 && r.peak_arena_bytes < 2 * r1.peak_arena_bytes);
#ifdef TT_MALLOC_COUNTER
    long before = tt_mallocs;
    for (int s = 0; s < 5; s++) {
        tt_train_step(m, opt, &b, &(tt_step_opts){.threads = 2}, &r);
        assert_int_equal(r.shards, 2);
    }
    assert_int_equal(tt_mallocs, before);
#endif
    tt_optim_free(opt);
    tt_layer_free(m);
    free_images(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lenet_gradients, teardown),
        cmocka_unit_test_teardown(test_gpt_gradients, teardown),
        cmocka_unit_test_teardown(test_lenet_steps, teardown),
        cmocka_unit_test_teardown(test_gpt_steps, teardown),
        cmocka_unit_test_teardown(test_stays_serial, teardown),
        cmocka_unit_test_teardown(test_no_heap_after_first_step, teardown),
        cmocka_unit_test_teardown(test_automatic_weighs_activations, teardown),
        cmocka_unit_test_teardown(test_freed_model_forgotten, teardown),
        /* last: a refusing model's address is remembered for a while, and a later model could get it */
        cmocka_unit_test_teardown(test_batchnorm_stays_serial, teardown),
        cmocka_unit_test_teardown(test_dropout_stays_serial, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
