/* test_train.c - module 08: learning-rate schedules (hand-worked values), global-norm clipping (the
 * torch.nn.utils.clip_grad_norm_ rule), accuracy and evaluation, gradient accumulation (k micro-batches
 * of B/k give the gradient and the update of one batch of B), no heap allocation in the steady state
 * (a malloc counter), a run that learns, the JSON-lines log and the plain progress lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include "tt_test.h"
#include "tinytorch/gemm.h"
#include "tinytorch/json.h"
#include "tinytorch/progress.h"
#include "tinytorch/train.h"

#include "tt_malloc_counter.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_lr_schedulers(void **state)
{
    (void)state;
    tt_tensor *w = tt_tensor_new_persistent(TT_SHAPE(1));
    tt_params ps;
    tt_params_init(&ps);
    tt_params_add(&ps, "w", w);
    /* step: 0.1 for steps 0..9, 0.05 for 10..19, 0.025 for 20..29; gamma defaults to 0.1 */
    tt_optimizer *o = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f});
    tt_scheduler *s = tt_step_lr(o, (tt_step_lr_opts){.step_size = 10, .gamma = 0.5f});
    assert_float_equal(tt_scheduler_lr_at(s, 0), 0.1, 1e-9);
    assert_float_equal(tt_scheduler_lr_at(s, 9), 0.1, 1e-9);
    assert_float_equal(tt_scheduler_lr_at(s, 10), 0.05, 1e-9);
    assert_float_equal(tt_scheduler_lr_at(s, 29), 0.025, 1e-9);
    /* the scheduler drives the optimizer: after 10 steps its lr is the step-10 rate */
    for (int i = 0; i < 10; i++) {
        assert_float_equal(tt_optim_get_lr(o), tt_scheduler_lr_at(s, i), 1e-9);
        tt_scheduler_step(s);
    }
    assert_int_equal(tt_scheduler_steps(s), 10);
    assert_float_equal(tt_optim_get_lr(o), 0.05, 1e-9);
    tt_scheduler_free(s);
    tt_optim_set_lr(o, 1.0f);
    s = tt_step_lr(o, (tt_step_lr_opts){.step_size = 1});
    assert_float_equal(tt_scheduler_lr_at(s, 2), 0.01, 1e-8);
    tt_scheduler_free(s);
    assert_float_equal(tt_optim_get_lr(o), 1.0, 1e-9); /* freeing leaves the lr where it was */
    /* cosine, warm-up 10 of 110 steps, 0.1 -> 0: warm-up (s+1)/10 * 0.1; half-way (step 60) 0.05;
     * step 35 (a quarter of the decay): 0.05 * (1 + cos(pi/4)) = 0.0853553; end 0. The base rate is
     * the optimizer's; creation sets the step-0 rate. */
    tt_optim_set_lr(o, 0.1f);
    tt_scheduler *k = tt_cosine_lr(o, (tt_cosine_lr_opts){.total_steps = 110, .warmup_steps = 10});
    assert_float_equal(tt_optim_get_lr(o), 0.01, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(k, 0), 0.01, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(k, 4), 0.05, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(k, 9), 0.1, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(k, 10), 0.1, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(k, 35), 0.0853553, 1e-6);
    assert_float_equal(tt_scheduler_lr_at(k, 60), 0.05, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(k, 110), 0.0, 1e-9);
    assert_float_equal(tt_scheduler_lr_at(k, 500), 0.0, 1e-9);
    tt_scheduler_free(k);
    /* without warm-up, to a floor: lr(0) = 0.1, lr(end) = 0.01 (upstream TinyTorch's test) */
    tt_optim_set_lr(o, 0.1f);
    tt_scheduler *f = tt_cosine_lr(o, (tt_cosine_lr_opts){.total_steps = 100, .min_lr = 0.01f});
    assert_float_equal(tt_scheduler_lr_at(f, 0), 0.1, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(f, 100), 0.01, 1e-7);
    assert_float_equal(tt_scheduler_lr_at(f, 50), 0.055, 1e-7);
    tt_scheduler_free(f);
    EXPECT_FATAL(tt_cosine_lr(o, (tt_cosine_lr_opts){.total_steps = 10, .warmup_steps = 20}), "tt_cosine_lr");
    EXPECT_FATAL(tt_step_lr(o, (tt_step_lr_opts){0}), "step_size 0");
    tt_optim_free(o);
    tt_params_free(&ps);
    tt_tensor_free(w);
}

static void test_clip_grad_norm(void **state)
{
    (void)state;
    tt_tensor *a = tt_tensor_new_persistent(TT_SHAPE(2)), *b = tt_tensor_new_persistent(TT_SHAPE(1));
    tt_tensor *c = tt_tensor_new_persistent(TT_SHAPE(3)); /* no gradient: ignored */
    float *ga = tt_grad_buf(a), *gb = tt_grad_buf(b);
    ga[0] = 3.0f;
    ga[1] = 4.0f;
    gb[0] = 12.0f;
    tt_tensor *ps[3] = {a, b, c};
    assert_float_equal(tt_grad_norm(ps, 3), 13.0, 1e-12);
    /* below the threshold: unchanged */
    assert_float_equal(tt_clip_grad_norm(ps, 3, 20.0), 13.0, 1e-12);
    assert_true(ga[0] == 3.0f && gb[0] == 12.0f);
    /* above: scaled by 1 / (13 + 1e-6), as torch.nn.utils.clip_grad_norm_ does */
    assert_float_equal(tt_clip_grad_norm(ps, 3, 1.0), 13.0, 1e-12);
    double coef = 1.0 / (13.0 + 1e-6);
    assert_float_equal(ga[0], 3.0 * coef, 1e-7);
    assert_float_equal(ga[1], 4.0 * coef, 1e-7);
    assert_float_equal(gb[0], 12.0 * coef, 1e-7);
    assert_float_equal(tt_grad_norm(ps, 3), 1.0, 1e-6);
    tt_tensor_free(a);
    tt_tensor_free(b);
    tt_tensor_free(c);
}

/* A linear classifier whose logits are x itself: weight = identity, bias 0. */
static tt_layer *identity_model(int64_t n)
{
    tt_layer *l = tt_linear_new(n, n, true, TT_INIT_PYTORCH, NULL);
    tt_linear_layer *lin = (tt_linear_layer *)l;
    for (int64_t i = 0; i < n * n; i++) {
        lin->weight->data[i] = (i % (n + 1)) == 0 ? 1.0f : 0.0f;
    }
    for (int64_t i = 0; i < n; i++) {
        lin->bias->data[i] = 0.0f;
    }
    return l;
}

static void test_accuracy_and_evaluate(void **state)
{
    (void)state;
    tt_tensor *logits = tt_from_data(TT_SHAPE(4, 3), (const float[]){0.1f, 0.9f, 0.0f, 2, 1, 0, -1, -2, -0.5f,
                                                                     0, 0, 1});
    assert_int_equal(tt_count_correct(logits, (const int32_t[]){1, 0, 2, 0}), 3);
    /* evaluate: 5 samples with logits = x; argmax matches the label for 4 of them */
    float *x = malloc(5 * 3 * sizeof(float));
    int32_t *y = malloc(5 * sizeof(int32_t));
    const float xs[15] = {5, 0, 0, 0, 5, 0, 0, 0, 5, 5, 0, 0, 0, 5, 0};
    const int32_t ys[5] = {0, 1, 2, 0, 2};
    memcpy(x, xs, sizeof xs);
    memcpy(y, ys, sizeof ys);
    tt_dataset *ds = tt_dataset_from_memory(x, y, 5, 1, (const int64_t[]){3}, 3);
    tt_layer *m = identity_model(3);
    double loss, acc;
    size_t used = tt_arena_used_bytes();
    tt_evaluate(m, ds, 2, &loss, &acc);
    assert_float_equal(acc, 0.8, 1e-12);
    /* loss: 4 confident right answers ln(1 + 2e-5) and one wrong, 5 - ln(..) */
    double right = log(1.0 + 2.0 * exp(-5.0)), wrong = 5.0 + log(1.0 + 2.0 * exp(-5.0));
    assert_float_equal(loss, (4 * right + wrong) / 5.0, 1e-5);
    assert_int_equal(tt_arena_used_bytes(), used); /* evaluation released what it used */
    assert_true(m->training);                       /* back in training mode */
    tt_layer_free(m);
    tt_dataset_free(ds);
}

/* Copies every parameter of `from` into `to` (same architecture). */
static void copy_params(tt_layer *to, tt_layer *from)
{
    tt_params a, b;
    tt_params_init(&a);
    tt_params_init(&b);
    tt_layer_params(to, &a);
    tt_layer_params(from, &b);
    for (int i = 0; i < a.n; i++) {
        memcpy(a.t[i]->data, b.t[i]->data, tt_nbytes(a.t[i]));
    }
    tt_params_free(&a);
    tt_params_free(&b);
}

static tt_layer *mlp(int64_t in, int64_t hidden, int64_t out, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_layer *layers[3] = {tt_linear_new(in, hidden, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                           tt_linear_new(hidden, out, true, TT_INIT_PYTORCH, &r)};
    return tt_sequential_new(3, layers);
}

/* Two Gaussian blobs per class in 2-D, 4 classes: centres at (+-2, +-2). */
static tt_dataset *blobs(int64_t n, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    float *x = malloc((size_t)n * 2 * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % 4);
        x[2 * i] = (c & 1 ? 2.0f : -2.0f) + 0.7f * tt_rng_normal(&r);
        x[2 * i + 1] = (c & 2 ? 2.0f : -2.0f) + 0.7f * tt_rng_normal(&r);
        y[i] = c;
    }
    return tt_dataset_from_memory(x, y, n, 1, (const int64_t[]){2}, 4);
}

static void test_grad_accumulation_equivalence(void **state)
{
    (void)state;
    tt_dataset *ds = blobs(64, 5);
    tt_layer *a = mlp(2, 16, 4, 1), *b = mlp(2, 16, 4, 2);
    copy_params(b, a);
    tt_params pa, pb;
    tt_params_init(&pa);
    tt_params_init(&pb);
    tt_layer_params(a, &pa);
    tt_layer_params(b, &pb);
    /* gradients: one batch of 8 vs 4 micro-batches of 2, each loss scaled by 1/4 */
    tt_dataloader la, lb;
    char err[256];
    assert_int_equal(tt_dataloader_init(&la, ds, 8, false, false, 0, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_init(&lb, ds, 2, false, false, 0, err, sizeof err), 0);
    tt_dataloader_start_epoch(&la);
    tt_dataloader_start_epoch(&lb);
    tt_batch bt;
    assert_true(tt_dataloader_next(&la, &bt));
    tt_backward(tt_cross_entropy(tt_layer_forward(a, bt.x), bt.y));
    tt_arena_reset();
    for (int m = 0; m < 4; m++) {
        assert_true(tt_dataloader_next(&lb, &bt));
        tt_backward_with(tt_cross_entropy(tt_layer_forward(b, bt.x), bt.y), tt_scalar(0.25f));
        tt_arena_reset();
    }
    for (int i = 0; i < pa.n; i++) {
        tt_assert_close(pb.t[i]->grad, pa.t[i]->grad, pa.t[i]->numel, 1e-5, 1e-7);
    }
    tt_zero_grad(pa.t, pa.n);
    tt_zero_grad(pb.t, pb.n);

    /* whole training runs: accum 1 at batch 8 vs accum 4 at batch 2, SGD with momentum, 1 epoch
     * (8 optimizer steps each); the parameters end up the same */
    copy_params(b, a);
    tt_optimizer *oa = tt_sgd(&pa, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    tt_optimizer *ob = tt_sgd(&pb, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    tt_train_config ca = tt_train_config_default(), cb;
    ca.sched = tt_cosine_lr(oa, (tt_cosine_lr_opts){.total_steps = 8, .warmup_steps = 2, .min_lr = 0.01f});
    ca.quiet = true;
    ca.clip_norm = 5.0;
    cb = ca;
    cb.sched = tt_cosine_lr(ob, (tt_cosine_lr_opts){.total_steps = 8, .warmup_steps = 2, .min_lr = 0.01f});
    cb.accum_steps = 4;
    tt_train_stats sa, sb;
    assert_int_equal(tt_fit(a, oa, &la, &ca, &sa), 0);
    assert_int_equal(tt_fit(b, ob, &lb, &cb, &sb), 0);
    assert_int_equal(sa.steps, 8);
    assert_int_equal(sb.steps, 8);
    assert_int_equal(sb.samples, 64);
    for (int i = 0; i < pa.n; i++) {
        tt_assert_close(pb.t[i]->data, pa.t[i]->data, pa.t[i]->numel, 1e-4, 1e-6);
    }
    /* and they moved: not still the initial weights */
    tt_layer *init = mlp(2, 16, 4, 1);
    tt_params pi;
    tt_params_init(&pi);
    tt_layer_params(init, &pi);
    assert_memory_not_equal(pi.t[0]->data, pa.t[0]->data, tt_nbytes(pa.t[0]));
    tt_params_free(&pi);
    tt_layer_free(init);
    tt_scheduler_free(ca.sched);
    tt_scheduler_free(cb.sched);
    tt_optim_free(oa);
    tt_optim_free(ob);
    tt_params_free(&pa);
    tt_params_free(&pb);
    tt_dataloader_free(&la);
    tt_dataloader_free(&lb);
    tt_layer_free(a);
    tt_layer_free(b);
    tt_dataset_free(ds);
}

static void test_no_heap_in_steady_state(void **state)
{
    (void)state;
    tt_set_num_threads(1);
    tt_dataset *ds = blobs(512, 9);
    tt_layer *m = mlp(2, 32, 4, 3);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){0});
    tt_dataloader dl;
    char err[256];
    assert_int_equal(tt_dataloader_init(&dl, ds, 16, true, true, 1, err, sizeof err), 0);
    /* a hand-written loop: after the first step, 100 steps make no malloc at all */
    long before = 0;
    uint64_t chunks = 0;
    for (int step = 0; step < 101; step++) {
        if (step == 1) {
            before = tt_mallocs;
            chunks = tt_arena_heap_allocs();
        }
        if (step % 32 == 0) {
            tt_dataloader_start_epoch(&dl);
        }
        tt_batch b;
        assert_true(tt_dataloader_next(&dl, &b));
        tt_optim_zero_grad(opt);
        tt_backward(tt_cross_entropy(tt_layer_forward(m, b.x), b.y));
        tt_optim_step(opt);
        tt_arena_reset();
    }
    assert_int_equal(tt_arena_heap_allocs(), chunks);
#ifdef TT_MALLOC_COUNTER
    assert_int_equal(tt_mallocs - before, 0);
    /* tt_fit: its allocations do not grow with the number of steps (set-up only) */
    tt_train_config c = tt_train_config_default();
    c.quiet = true;
    tt_train_stats st;
    c.max_steps = 5;
    long m0 = tt_mallocs;
    assert_int_equal(tt_fit(m, opt, &dl, &c, &st), 0);
    long short_run = tt_mallocs - m0;
    c.max_steps = 0;
    c.epochs = 3;
    m0 = tt_mallocs;
    assert_int_equal(tt_fit(m, opt, &dl, &c, &st), 0);
    assert_int_equal(st.steps, 96);
    assert_int_equal(tt_mallocs - m0, short_run);
    assert_int_equal(st.arena_chunk_allocs, 0);
    assert_true(st.peak_arena_bytes > 0);
#else
    (void)before;
    print_message("malloc counter disabled under AddressSanitizer; arena chunk count checked only\n");
#endif
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_dataloader_free(&dl);
    tt_layer_free(m);
    tt_dataset_free(ds);
}

static void test_fit_learns_and_logs(void **state)
{
    (void)state;
    tt_dataset *tr = blobs(800, 11), *te = blobs(200, 12);
    tt_layer *m = mlp(2, 16, 4, 4);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    tt_dataloader dl;
    char err[256];
    assert_int_equal(tt_dataloader_init(&dl, tr, 32, true, false, 3, err, sizeof err), 0);
    FILE *logf = tmpfile();
    FILE *progf = tmpfile();
    tt_metrics_log log = {logf};
    tt_train_config c = tt_train_config_default();
    c.epochs = 3;
    c.eval = te;
    c.sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = 75, .warmup_steps = 5});
    c.progress = progf;
    c.log = &log;
    c.name = "blobs";
    tt_train_stats st;
    double loss0;
    tt_evaluate(m, te, 100, &loss0, NULL);
    assert_int_equal(tt_fit(m, opt, &dl, &c, &st), 0);
    assert_int_equal(st.epochs_run, 3);
    assert_int_equal(st.steps, 75);
    assert_true(st.eval_accuracy >= 0.95); /* the blobs are 4 standard deviations apart */
    assert_true(st.eval_loss < 0.5 * loss0);
    assert_true(st.samples_per_s > 0);
    /* the log: 3 lines of strict JSON with the epoch's numbers */
    rewind(logf);
    char line[1024];
    int lines = 0;
    while (fgets(line, sizeof line, logf)) {
        char jerr[128];
        tt_json *j = tt_json_parse(line, strlen(line), jerr, sizeof jerr);
        if (!j) {
            fail_msg("log line %d is not JSON: %s (%s)", lines + 1, line, jerr);
        }
        lines++;
        assert_string_equal(tt_json_get(j, "event")->string, "epoch");
        assert_int_equal((int)tt_json_get(j, "epoch")->number, lines);
        assert_non_null(tt_json_get(j, "train_loss"));
        assert_non_null(tt_json_get(j, "samples_per_s"));
        if (lines == 3) {
            assert_float_equal(tt_json_get(j, "eval_accuracy")->number, st.eval_accuracy, 1e-12);
            assert_int_equal((int)tt_json_get(j, "steps")->number, 75);
        }
        tt_json_free(j);
    }
    assert_int_equal(lines, 3);
    /* progress to a file (not a terminal): plain lines, no carriage returns */
    rewind(progf);
    int plines = 0, finals = 0;
    while (fgets(line, sizeof line, progf)) {
        plines++;
        assert_null(strchr(line, '\r'));
        assert_non_null(strstr(line, "blobs epoch"));
        assert_non_null(strstr(line, "samples/s"));
        finals += strstr(line, "eval loss") != NULL;
    }
    assert_int_equal(finals, 3);
    assert_true(plines >= 3 && plines <= 3 * 11);
    fclose(logf);
    fclose(progf);

    /* a non-finite loss stops training with an error: output biases of +-3e38 make the loss of a
     * class-1 sample 3e38 - (-3e38), which overflows float to inf */
    ((tt_linear_layer *)tt_sequential_at(m, 2))->bias->data[0] = 3e38f;
    ((tt_linear_layer *)tt_sequential_at(m, 2))->bias->data[1] = -3e38f;
    tt_dataloader dl2;
    assert_int_equal(tt_dataloader_init(&dl2, tr, 800, false, false, 3, err, sizeof err), 0);
    c.log = NULL;
    c.eval = NULL;
    c.quiet = true;
    assert_int_equal(tt_fit(m, opt, &dl2, &c, &st), -1);
    tt_dataloader_free(&dl2);
    tt_scheduler_free(c.sched);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_dataloader_free(&dl);
    tt_layer_free(m);
    tt_dataset_free(tr);
    tt_dataset_free(te);
}

static void test_json_reader(void **state)
{
    (void)state;
    char err[128];
    const char *ok = " {\"a\": [1, -2.5e3, true, null], \"s\": \"x\\u00e9\\ud83d\\ude00\\n\", \"o\": {}} ";
    tt_json *j = tt_json_parse(ok, strlen(ok), err, sizeof err);
    assert_non_null(j);
    assert_int_equal(tt_json_get(j, "a")->count, 4);
    assert_float_equal(tt_json_at(tt_json_get(j, "a"), 1)->number, -2500.0, 0);
    assert_string_equal(tt_json_get(j, "s")->string, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    tt_json_free(j);
    const char *bad[] = {"{\"a\":1,}", "[1 2]", "{\"a\" 1}", "01", "1.", "\"abc", "[NaN]", "{}x", "\"\\x\"",
                         "\"\\ud800\"", "tru", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = tt_json_parse(bad[i], strlen(bad[i]), err, sizeof err);
        if (j) {
            fail_msg("accepted bad JSON %s", bad[i]);
        }
        assert_non_null(strstr(err, "line 1, column"));
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_null(tt_json_parse(deep, sizeof deep, err, sizeof err));
    assert_non_null(strstr(err, "nested deeper"));
}

/* The optimizer owns the learning rate: tt_fit trains at Adam's lr 1e-3 (Adam's first step moves
 * every weight with a gradient by ~lr), not at any default of the loop's. */
static void test_fit_keeps_optimizer_lr(void **state)
{
    (void)state;
    tt_dataset *ds = blobs(64, 21);
    tt_layer *m = mlp(2, 8, 4, 5);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_tensor *w0 = tt_tensor_new_persistent(p.t[0]->ndim, p.t[0]->shape);
    memcpy(w0->data, p.t[0]->data, tt_nbytes(w0));
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = 1e-3f});
    tt_dataloader dl;
    char err[256];
    assert_int_equal(tt_dataloader_init(&dl, ds, 64, false, false, 1, err, sizeof err), 0);
    tt_train_config c = tt_train_config_default();
    c.quiet = true;
    tt_train_stats st;
    assert_int_equal(tt_fit(m, opt, &dl, &c, &st), 0);
    assert_int_equal(st.steps, 1);
    assert_float_equal(tt_optim_get_lr(opt), 1e-3, 1e-12);
    int moved = 0;
    for (int64_t i = 0; i < w0->numel; i++) {
        double d = fabs((double)p.t[0]->data[i] - (double)w0->data[i]);
        if (d > 0) {
            assert_float_equal(d, 1e-3, 1e-4);
            moved++;
        }
    }
    assert_true(moved > w0->numel / 2);
    tt_optim_free(opt);
    tt_tensor_free(w0);
    tt_params_free(&p);
    tt_dataloader_free(&dl);
    tt_layer_free(m);
    tt_dataset_free(ds);
}

/* A pluggable loss: mean squared logits, d/dlogits = 2 logits / numel. */
static tt_tensor *square_loss(void *model, const tt_batch *b, void *ctx)
{
    int *calls = ctx;
    (*calls)++;
    tt_tensor *y = tt_layer_forward(model, b->x);
    return tt_mse_loss(y, tt_zeros(y->ndim, y->shape));
}

/* tt_train_step: the custom loss is used; accumulate leaves the weights alone; a step applies the
 * optimizer and the scheduler and zeroes the gradients; a NaN loss updates nothing. */
static void test_train_step(void **state)
{
    (void)state;
    tt_layer *m = identity_model(2);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.5f});
    tt_scheduler *sch = tt_step_lr(opt, (tt_step_lr_opts){.step_size = 1, .gamma = 0.5f});
    int calls = 0;
    tt_batch b = {.x = tt_from_data(TT_SHAPE(1, 2), (const float[]){1.0f, -2.0f}), .size = 1};
    tt_step_opts so = {.loss = square_loss, .loss_ctx = &calls, .sched = sch, .accumulate = true};
    tt_step_result r;
    assert_int_equal(tt_train_step(m, opt, &b, &so, &r), 0);
    assert_int_equal(calls, 1);
    assert_float_equal(r.loss, 2.5, 1e-6);      /* (1 + 4) / 2 */
    assert_false(r.stepped);
    tt_linear_layer *lin = (tt_linear_layer *)m;
    assert_true(lin->weight->data[0] == 1.0f);
    assert_float_equal(lin->bias->grad[1], -2.0, 1e-6); /* 2 * (-2) / 2 */
    /* the step: bias -= 0.5 * grad (the accumulated one plus this one: twice the gradient) */
    b.x = tt_from_data(TT_SHAPE(1, 2), (const float[]){1.0f, -2.0f});
    so.accumulate = false;
    assert_int_equal(tt_train_step(m, opt, &b, &so, &r), 0);
    assert_true(r.stepped);
    assert_float_equal(lin->bias->data[1], 0.5 * 4.0, 1e-6);
    assert_float_equal(lin->bias->grad[1], 0.0, 0.0);
    assert_float_equal(tt_optim_get_lr(opt), 0.25, 1e-9);
    assert_int_equal(tt_scheduler_steps(sch), 1);
    /* a NaN input: -1, nothing moves, gradients zero */
    float before = lin->bias->data[1];
    b.x = tt_from_data(TT_SHAPE(1, 2), (const float[]){NAN, 0.0f});
    assert_int_equal(tt_train_step(m, opt, &b, &so, &r), -1);
    assert_true(isnan(r.loss));
    assert_false(r.stepped);
    assert_true(lin->bias->data[1] == before);
    assert_int_equal(tt_scheduler_steps(sch), 1);
    tt_scheduler_free(sch);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(m);
}

int main(void)
{
    (void)tt_gradcheck;
    (void)tt_test_input;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lr_schedulers, teardown),
        cmocka_unit_test_teardown(test_clip_grad_norm, teardown),
        cmocka_unit_test_teardown(test_fit_keeps_optimizer_lr, teardown),
        cmocka_unit_test_teardown(test_train_step, teardown),
        cmocka_unit_test_teardown(test_accuracy_and_evaluate, teardown),
        cmocka_unit_test_teardown(test_grad_accumulation_equivalence, teardown),
        cmocka_unit_test_teardown(test_no_heap_in_steady_state, teardown),
        cmocka_unit_test_teardown(test_fit_learns_and_logs, teardown),
        cmocka_unit_test_teardown(test_json_reader, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
