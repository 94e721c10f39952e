/* test_fit.c - module 08's trainer beyond classification: a regression loss with its own metric and
 * the per-epoch history (in memory and in the JSON-lines log); a next-token language model over a
 * two-field data set (sequences in, next tokens as targets); the resumable state: a training process
 * really killed (SIGKILL) mid-run continues from its state file and ends bit-identical (weights, loss,
 * metrics, history) to a run never interrupted, dropout RNG included; a state saved for other options
 * or a damaged state file is refused with a message and leaves the model alone. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tt_test.h"
#include "tt_test_fs.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/json.h"
#include "tinytorch/train.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

/* n points x in [-1, 1]^2; label = quadrant (used by the classification run). */
static tt_dataset *points(int64_t n, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    float *x = malloc((size_t)n * 2 * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        x[2 * i] = 2.0f * tt_rng_uniform(&r) - 1.0f;
        x[2 * i + 1] = 2.0f * tt_rng_uniform(&r) - 1.0f;
        y[i] = (x[2 * i] > 0) + 2 * (x[2 * i + 1] > 0);
    }
    return tt_dataset_from_memory(x, y, n, 1, (const int64_t[]){2}, 4);
}

/* The regression target of a batch: t = 3 x0 - 2 x1 + 0.5, one value per sample. */
static tt_tensor *target_of(const tt_batch *b)
{
    tt_tensor *t = tt_empty(2, (const int64_t[]){b->size, 1});
    for (int64_t i = 0; i < b->size; i++) {
        t->data[i] = 3.0f * b->x->data[2 * i] - 2.0f * b->x->data[2 * i + 1] + 0.5f;
    }
    return t;
}

static tt_tensor *regression_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return tt_mse_loss(tt_layer_forward(model, b->x), target_of(b));
}

/* Summed absolute error of the batch (the trainer divides by the sample count: the MAE). */
static double abs_error(void *model, const tt_batch *b, void *ctx)
{
    int *calls = ctx;
    (*calls)++;
    tt_tensor *y = tt_layer_forward(model, b->x), *t = target_of(b);
    double s = 0;
    for (int64_t i = 0; i < b->size; i++) {
        s += fabs((double)y->data[i] - (double)t->data[i]);
    }
    return s;
}

static void test_fit_regression_history(void **state)
{
    (void)state;
    tt_dataset *tr = points(512, 1), *te = points(128, 2);
    tt_rng r;
    tt_rng_seed(&r, 3);
    tt_layer *m = tt_linear_new(2, 1, true, TT_INIT_PYTORCH, &r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    tt_dataloader dl;
    char err[256];
    assert_int_equal(tt_dataloader_init(&dl, tr, 32, true, false, 4, err, sizeof err), 0);
    FILE *logf = tmpfile();
    tt_metrics_log log = {logf};
    int calls = 0;
    tt_metric_spec metrics[] = {{"mae", abs_error, &calls}};
    tt_epoch_record hist[4];
    tt_train_config c = tt_train_config_default();
    c.epochs = 5; /* one more than the history holds: logged, not kept */
    c.loss = regression_loss;
    c.eval = te;
    c.eval_batch = 50;
    c.metrics = metrics;
    c.n_metrics = 1;
    c.history = hist;
    c.history_cap = 4;
    c.log = &log;
    c.quiet = true;
    tt_train_stats st;
    assert_int_equal(tt_fit(m, opt, &dl, &c, &st), 0);
    assert_int_equal(calls, 5 * 3); /* 128 eval samples in batches of 50: 3 per epoch */
    assert_int_equal(st.history_len, 4);
    assert_true(isnan(st.eval_accuracy)); /* no "accuracy" metric */
    for (int e = 0; e < 4; e++) {
        assert_int_equal(hist[e].epoch, e + 1);
        assert_int_equal(hist[e].steps, 16 * (e + 1));
        assert_int_equal(hist[e].samples, 512 * (e + 1));
        assert_int_equal(hist[e].n_metrics, 1);
        assert_true(hist[e].metrics[0] >= 0);
    }
    /* it learns the linear target: the loss falls and the MAE ends small */
    assert_true(hist[3].train_loss < 0.1 * hist[0].train_loss);
    assert_true(st.eval_metrics[0] < 0.05);
    assert_true(st.eval_loss < 0.01);
    /* the log: one JSON line per epoch, with the metric as eval_mae */
    rewind(logf);
    char line[1024];
    int lines = 0;
    while (fgets(line, sizeof line, logf)) {
        char jerr[128];
        tt_json *j = tt_json_parse(line, strlen(line), jerr, sizeof jerr);
        assert_non_null(j);
        lines++;
        assert_int_equal((int)tt_json_get(j, "epoch")->number, lines);
        if (lines <= 4) {
            assert_true(tt_json_get(j, "eval_mae")->number == hist[lines - 1].metrics[0]);
            assert_true(tt_json_get(j, "train_loss")->number == hist[lines - 1].train_loss);
        } else {
            assert_true(tt_json_get(j, "eval_mae")->number == st.eval_metrics[0]);
        }
        tt_json_free(j);
    }
    assert_int_equal(lines, 5);
    fclose(logf);
    tt_dataloader_free(&dl);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(m);
    tt_dataset_free(tr);
    tt_dataset_free(te);
}

/* ---- a language model --------------------------------------------------------------------------- */

#define LM_V 6
#define LM_T 8
/* Next-token loss: logits [B, T, V] of the one-hot tokens (field 0) against the next tokens (field 1,
 * B x T int32), mean over every position. */
static tt_tensor *lm_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return tt_cross_entropy(tt_layer_forward(model, b->field[0].t), b->field[1].ints);
}

/* Per sample: the fraction of its T positions whose most likely next token is right. */
static double token_accuracy(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    tt_tensor *logits = tt_layer_forward(model, b->field[0].t);
    return (double)tt_count_correct(logits, b->field[1].ints) / LM_T;
}

/* Sequences of a little language where each token determines the next: t -> (2t + 1) mod V. A
 * bigram model (one-hot in, logits out, per position) can learn it exactly. */
static void test_fit_language_model(void **state)
{
    (void)state;
    enum { N = 96 };
    static float x[N * LM_T * LM_V];
    static int32_t y[N * LM_T];
    tt_rng r;
    tt_rng_seed(&r, 21);
    memset(x, 0, sizeof x);
    for (int i = 0; i < N; i++) {
        int t = (int)tt_rng_below(&r, LM_V);
        for (int k = 0; k < LM_T; k++) {
            x[(i * LM_T + k) * LM_V + t] = 1.0f;
            t = (2 * t + 1) % LM_V;
            y[i * LM_T + k] = t;
        }
    }
    tt_field f[2] = {{TT_FIELD_F32, 2, {LM_T, LM_V}, 0}, {TT_FIELD_I32, 1, {LM_T}, 0}};
    char err[256];
    tt_dataset *ds = tt_dataset_from_fields(N, 2, f, (const void *[]){x, y}, err, sizeof err);
    if (!ds) {
        fail_msg("%s", err);
    }
    tt_layer *l[3] = {tt_linear_new(LM_V, 16, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                      tt_linear_new(16, LM_V, true, TT_INIT_PYTORCH, &r)};
    tt_layer *m = tt_sequential_new(3, l);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = 2e-2f});
    tt_dataloader dl;
    assert_int_equal(tt_dataloader_init(&dl, ds, 16, true, false, 22, err, sizeof err), 0);
    tt_metric_spec metrics[] = {{"token_accuracy", token_accuracy, NULL}};
    tt_epoch_record hist[8];
    tt_train_config c = tt_train_config_default();
    c.epochs = 8;
    c.loss = lm_loss;
    c.eval = ds;
    c.metrics = metrics;
    c.n_metrics = 1;
    c.history = hist;
    c.history_cap = 8;
    c.quiet = true;
    tt_train_stats st;
    assert_int_equal(tt_fit(m, opt, &dl, &c, &st), 0);
    assert_int_equal(st.history_len, 8);
    /* from chance (log 6 = 1.79 nats) to a learned rule */
    assert_true(hist[0].train_loss > 1.0);
    assert_true(st.eval_loss < 0.05);
    assert_true(st.eval_metrics[0] == 1.0);
    tt_dataloader_free(&dl);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(m);
    tt_dataset_free(ds);
}

/* ---- resumption ----------------------------------------------------------------------------------- */

#define R_EPOCHS 30
typedef struct run {
    tt_dataset *tr, *te;
    tt_rng init_rng, drop_rng;
    tt_layer *model;
    tt_params p;
    tt_optimizer *opt;
    tt_scheduler *sched;
    tt_dataloader dl;
    tt_rng *rngs[1];
    tt_metric_spec metrics[1];
    tt_epoch_record hist[R_EPOCHS];
    tt_train_config c;
} run;

/* The same run every time: an MLP with dropout (its RNG saved in the state), Adam, a cosine schedule,
 * a shuffled loader, accuracy on a test set. */
static void run_build(run *r, const char *state_path, bool resume)
{
    memset(r, 0, sizeof *r);
    r->tr = points(600, 5);
    r->te = points(200, 6);
    tt_rng_seed(&r->init_rng, 7);
    tt_rng_seed(&r->drop_rng, 8);
    tt_layer *l[4] = {tt_linear_new(2, 32, true, TT_INIT_PYTORCH, &r->init_rng), tt_relu_new(),
                      tt_dropout_new(0.2f, &r->drop_rng), tt_linear_new(32, 4, true, TT_INIT_PYTORCH, &r->init_rng)};
    r->model = tt_sequential_new(4, l);
    tt_params_init(&r->p);
    tt_layer_params(r->model, &r->p);
    r->opt = tt_adam(&r->p, (tt_adam_opts){.lr = 1e-2f});
    char err[256];
    assert_int_equal(tt_dataloader_init(&r->dl, r->tr, 32, true, false, 9, err, sizeof err), 0);
    r->sched = tt_cosine_lr(r->opt, (tt_cosine_lr_opts){.total_steps = R_EPOCHS * tt_dataloader_len(&r->dl),
                                                         .warmup_steps = 10});
    r->rngs[0] = &r->drop_rng;
    r->metrics[0] = (tt_metric_spec){"accuracy", tt_metric_correct, NULL};
    r->c = tt_train_config_default();
    r->c.epochs = R_EPOCHS;
    r->c.accum_steps = 2; /* 19 batches an epoch: the last optimizer step of an epoch has one */
    r->c.clip_norm = 5.0;
    r->c.sched = r->sched;
    r->c.eval = r->te;
    r->c.metrics = r->metrics;
    r->c.n_metrics = 1;
    r->c.history = r->hist;
    r->c.history_cap = R_EPOCHS;
    r->c.quiet = true;
    r->c.state_path = state_path;
    r->c.checkpoint_every = 3;
    r->c.resume = resume;
    r->c.rngs = r->rngs;
    r->c.n_rngs = 1;
}

static void run_free(run *r)
{
    tt_scheduler_free(r->sched);
    tt_optim_free(r->opt);
    tt_params_free(&r->p);
    tt_dataloader_free(&r->dl);
    tt_layer_free(r->model);
    tt_dataset_free(r->tr);
    tt_dataset_free(r->te);
}

static bool params_equal(const run *a, const run *b)
{
    for (int i = 0; i < a->p.n; i++) {
        if (memcmp(a->p.t[i]->data, b->p.t[i]->data, (size_t)a->p.t[i]->numel * sizeof(float)) != 0) {
            return false;
        }
    }
    return true;
}

static bool file_exists(const char *path) { return access(path, F_OK) == 0; }

static void test_resume_after_kill(void **state)
{
    (void)state;
    char dir[64], ref_path[128], path[128];
    assert_int_equal(tt_test_mkdtemp(dir, sizeof dir, "tt_fit_"), 0);
    snprintf(ref_path, sizeof ref_path, "%s/ref.state", dir);
    snprintf(path, sizeof path, "%s/run.state", dir);
    /* the uninterrupted run (saving its state as well: saving does not change the numbers) */
    static run ref, res;
    run_build(&ref, ref_path, false);
    tt_train_stats sref;
    assert_int_equal(tt_fit(ref.model, ref.opt, &ref.dl, &ref.c, &sref), 0);
    assert_true(sref.eval_accuracy > 0.9);
    /* the same run in a child process, killed with SIGKILL once it has saved a state */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        run child;
        run_build(&child, path, false);
        tt_train_stats s;
        _exit(tt_fit(child.model, child.opt, &child.dl, &child.c, &s) == 0 ? 0 : 3);
    }
    for (int i = 0; i < 200000 && !file_exists(path); i++) {
        nanosleep(&(struct timespec){0, 50000}, NULL);
    }
    kill(pid, SIGKILL);
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    if (!WIFSIGNALED(wst)) {
        fail_msg("the training child ended (status %d) before it was killed; nothing was tested", wst);
    }
    char epoch[32], batch[32], done[8], err[512];
    assert_int_equal(tt_safetensors_meta(path, "epoch", epoch, sizeof epoch, err, sizeof err), 0);
    assert_int_equal(tt_safetensors_meta(path, "batch", batch, sizeof batch, err, sizeof err), 0);
    assert_int_equal(tt_safetensors_meta(path, "done", done, sizeof done, err, sizeof err), 0);
    assert_string_equal(done, "0");
    print_message("killed; the state file was at epoch %s, batch %s of 19\n", epoch, batch);
    /* resume: a fresh build with resume set goes on from the state file */
    run_build(&res, path, true);
    tt_train_stats sres;
    assert_int_equal(tt_fit(res.model, res.opt, &res.dl, &res.c, &sres), 0);
    assert_true(sres.resumed);
    assert_true(sres.resumed_at_step > 0);
    assert_true(params_equal(&ref, &res));
    assert_true(sres.eval_accuracy == sref.eval_accuracy);
    assert_true(sres.eval_loss == sref.eval_loss);
    assert_true(sres.train_loss == sref.train_loss);
    assert_int_equal(sres.steps, sref.steps);
    assert_int_equal(sres.samples, sref.samples);
    assert_int_equal(sres.history_len, R_EPOCHS);
    for (int e = 0; e < R_EPOCHS; e++) {
        assert_true(res.hist[e].train_loss == ref.hist[e].train_loss);
        assert_true(res.hist[e].eval_accuracy == ref.hist[e].eval_accuracy);
        assert_true(res.hist[e].lr == ref.hist[e].lr);
    }
    /* the optimizer state matches too (one more step would diverge otherwise) */
    tt_params sa, sb;
    tt_params_init(&sa);
    tt_params_init(&sb);
    tt_optim_state(ref.opt, &sa);
    tt_optim_state(res.opt, &sb);
    assert_int_equal(sa.n, sb.n);
    for (int i = 0; i < sa.n; i++) {
        assert_memory_equal(sa.t[i]->data, sb.t[i]->data, (size_t)sa.t[i]->numel * sizeof(float));
    }
    tt_params_free(&sa);
    tt_params_free(&sb);
    /* a finished run resumed again: nothing to train, the same results */
    run_free(&res);
    run_build(&res, path, true);
    assert_int_equal(tt_fit(res.model, res.opt, &res.dl, &res.c, &sres), 0);
    assert_true(params_equal(&ref, &res));
    assert_true(sres.eval_accuracy == sref.eval_accuracy);
    assert_int_equal(sres.history_len, R_EPOCHS);
    run_free(&res);

    /* a state saved for other options is refused before anything changes */
    run_build(&res, path, true);
    res.c.epochs = R_EPOCHS - 1;
    float w0 = res.p.t[0]->data[0];
    fflush(NULL);
    assert_int_equal(tt_fit(res.model, res.opt, &res.dl, &res.c, &sres), -2);
    assert_true(res.p.t[0]->data[0] == w0);
    run_free(&res);
    /* a damaged state file likewise */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 20, SEEK_SET);
    fputs("garbage", f);
    fclose(f);
    run_build(&res, path, true);
    assert_int_equal(tt_fit(res.model, res.opt, &res.dl, &res.c, &sres), -2);
    assert_true(res.p.t[0]->data[0] == w0);
    run_free(&res);
    run_free(&ref);
    tt_test_rmdir(dir);
}

int main(void)
{
    (void)tt_gradcheck;
    (void)tt_test_input;
    (void)tt_assert_close;
    (void)tt_test_on_error;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fit_regression_history, teardown),
        cmocka_unit_test_teardown(test_fit_language_model, teardown),
        cmocka_unit_test_teardown(test_resume_after_kill, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
