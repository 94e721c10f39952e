/* mlp.c - milestone 03, backpropagation (Rumelhart, Hinton & Williams, 1986): multi-layer perceptrons
 * trained end to end on real images.
 *
 * Part 1, TinyDigits: 64-32-10 MLP (ReLU) on the stratified 1,000/200 split of the 8x8 digits;
 *   SGD with momentum 0.9, batch 32, 40 epochs, cosine schedule. Goal: >= 90 % test accuracy.
 * Part 2, Fashion-MNIST: 784-128-10 MLP (ReLU) on the 60,000 training images, evaluated on the
 *   official 10,000-image test set; Adam, batch 64, cosine schedule with warm-up, 5 epochs by default
 *   (--epochs changes this part only). Pixels are standardised with the training set's mean 0.2860 and
 *   standard deviation 0.3530. Goal: >= 87 % test accuracy in at most 5 epochs.
 * Part 3, batch size: one epoch of part 2's MLP at batch 16, 64, 256 and 1024: throughput and test
 *   accuracy, with an SVG plot (no goal).
 * --quick: TinyDigits in full, Fashion-MNIST on the first 4,000 training images for 1 epoch (a smoke
 *   run; only the TinyDigits goal counts); part 3 on TinyDigits with part 1's 64-32-10 MLP.
 * Training runs are resumable (--resume; state files <out>/<stem>.state.safetensors).
 * Both models are saved as safetensors under --out (default runs/) with a JSON-lines metrics log.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "../ms_common.h"
#include "tinytorch/gemm.h"
#include "tinytorch/fileio.h"


static tt_layer *make_mlp(int64_t in, int64_t hidden, int64_t out, tt_rng *r)
{
    tt_layer *layers[4] = {tt_flatten_new(), tt_linear_new(in, hidden, true, TT_INIT_KAIMING_UNIFORM, r),
                           tt_relu_new(), tt_linear_new(hidden, out, true, TT_INIT_PYTORCH, r)};
    return tt_sequential_new(4, layers);
}

/* Part 1. Returns 0 met, 1 missed, 2 error. */
static int tinydigits(const tt_milestone_opts *o, tt_milestone_result *res)
{
    char path[1024], err[512];
    tt_ms_data_path(o, "digits.csv.gz", path, sizeof path);
    tt_dataset *tr, *te;
    if (tt_load_tinydigits(path, o->seed, &tr, &te, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n  (scripts/fetch-data.sh puts the data sets under data/; or pass --data DIR)\n", err);
        return 2;
    }
    const int epochs = 40;
    const int64_t batch = 32;
    tt_rng r;
    tt_rng_seed(&r, o->seed);
    tt_layer *model = make_mlp(64, 32, 10, &r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
    tt_dataloader dl;
    tt_dataloader_init(&dl, tr, batch, true, false, o->seed + 1, err, sizeof err);
    tt_metrics_log log = {0};
    int rc = tt_ms_open_log(o, "03_mlp_tinydigits", &log, res, "tinydigits.");
    tt_train_config c = tt_train_config_default();
    c.epochs = epochs;
    c.sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = epochs * tt_dataloader_len(&dl)});
    c.eval = te;
    c.name = "tinydigits";
    c.quiet = true;
    c.log = &log;
    char state[1100];
    tt_ms_resumable(o, "03_mlp_tinydigits", &c, state, sizeof state);
    printf("Part 1 - TinyDigits: 64-32-10 MLP (%lld parameters), %lld train / %lld test images, %d epochs\n",
           (long long)tt_params_numel(&p), (long long)tr->len, (long long)te->len, epochs);
    tt_train_stats st;
    bool met = false;
    if (rc == 0 && tt_fit(model, opt, &dl, &c, &st) == 0) {
        printf("  train loss %.4f, test loss %.4f, %.2f s\n", st.train_loss, st.eval_loss, st.train_seconds);
        met = tt_ms_check("TinyDigits test accuracy", st.eval_accuracy, 0.90, true);
        tt_ms_record_fit(res, "tinydigits.", &st, epochs, tr->len, tt_params_numel(&p), 0.90);
        tt_kv meta[] = {{"milestone", "03"}, {"model", "Flatten Linear(64, 32) ReLU Linear(32, 10)"},
                        {"data", "TinyDigits"}};
        /* the loader divides the pixels (0..16) by 16: recorded as input_std 16 */
        tt_model_info info = {.data = tr, .input_mean = 0.0f, .input_std = 16.0f};
        rc = tt_ms_save(o, "03_mlp_tinydigits", "tinydigits.", model, opt, meta, 3, &info, res);
    } else if (rc == 0) {
        rc = 1;
    }
    tt_metrics_close(&log);
    tt_dataloader_free(&dl);
    tt_scheduler_free(c.sched);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(model);
    tt_dataset_free(tr);
    tt_dataset_free(te);
    return rc ? rc : (met ? 0 : 1);
}

/* Part 2. */
static int fashion(const tt_milestone_opts *o, tt_milestone_result *res)
{
    tt_dataset *tr, *te;
    if (tt_ms_load_fashion(o, 4000, &tr, &te) != 0) {
        return 2;
    }
    char err[512];
    const int epochs = o->quick ? 1 : (o->epochs > 0 ? o->epochs : 5);
    const int64_t batch = 64;
    tt_rng r;
    tt_rng_seed(&r, o->seed + 100);
    tt_layer *model = make_mlp(784, 128, 10, &r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = 2e-3f});
    tt_dataloader dl;
    tt_dataloader_init(&dl, tr, batch, true, false, o->seed + 2, err, sizeof err);
    tt_metrics_log log = {0};
    int rc = tt_ms_open_log(o, "03_mlp_fashion_mnist", &log, res, "fashion_mnist.");
    int64_t total = epochs * tt_dataloader_len(&dl);
    tt_train_config c = tt_train_config_default();
    c.epochs = epochs;
    c.sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = total, .warmup_steps = total / 20,
                                                     .min_lr = 1e-5f});
    c.eval = te;
    c.eval_batch = 1000;
    c.name = "fashion-mnist";
    c.log = &log;
    char state[1100];
    tt_ms_resumable(o, "03_mlp_fashion_mnist", &c, state, sizeof state);
    printf("Part 2 - Fashion-MNIST: 784-128-10 MLP (%lld parameters), %lld train / %lld test images, "
           "%d epoch%s, batch %lld, Adam + cosine\n",
           (long long)tt_params_numel(&p), (long long)tr->len, (long long)te->len, epochs, epochs > 1 ? "s" : "",
           (long long)batch);
    fflush(stdout);
    tt_train_stats st;
    bool met = false;
    if (rc == 0 && tt_fit(model, opt, &dl, &c, &st) == 0) {
        printf("  %.0f samples/s (forward + backward + Adam), peak step memory %.2f MiB, %.1f s training\n",
               st.samples_per_s, (double)st.peak_arena_bytes / 1048576.0, st.train_seconds);
        if (o->quick) {
            tt_ms_note("Fashion-MNIST test accuracy", st.eval_accuracy, 0.87);
        } else {
            met = tt_ms_check("Fashion-MNIST test accuracy", st.eval_accuracy, 0.87, true);
        }
        tt_ms_result_num(res, "test_accuracy", st.eval_accuracy);
        tt_ms_record_fit(res, "fashion_mnist.", &st, epochs, tr->len, tt_params_numel(&p), 0.87);
        tt_kv meta[] = {{"milestone", "03"}, {"model", "Flatten Linear(784, 128) ReLU Linear(128, 10)"},
                        {"data", "Fashion-MNIST"}};
        tt_model_info info = {.data = tr, .input_mean = TT_MS_FMNIST_MEAN, .input_std = TT_MS_FMNIST_STD,
                              .class_names = tt_ms_fashion_classes};
        rc = tt_ms_save(o, "03_mlp_fashion_mnist", "fashion_mnist.", model, opt, meta, 3, &info, res);
    } else if (rc == 0) {
        rc = 1;
    }
    tt_metrics_close(&log);
    tt_dataloader_free(&dl);
    tt_scheduler_free(c.sched);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(model);
    tt_dataset_free(tr);
    tt_dataset_free(te);
    if (o->quick) {
        return rc == 2 ? 2 : 0;
    }
    return rc ? rc : (met ? 0 : 1);
}

/* Part 3: one epoch of the Fashion-MNIST MLP at each batch size (TinyDigits and its small MLP in a
 * quick run), same seed and Adam rate: samples per second (forward + backward + Adam) and test
 * accuracy against batch size, as a table, result fields "batch_size.bN.*" and an SVG plot
 * <out>/03_mlp_batch_size.svg. No goal: it is an experiment. */
#define N_BATCH_SIZES 4
static int batch_sizes(const tt_milestone_opts *o, tt_milestone_result *res)
{
    tt_dataset *tr, *te;
    int64_t in = 784, hidden = 128;
    if (o->quick) { /* a smoke run: TinyDigits and its 64-32-10 MLP, loaded in milliseconds */
        char path[1024], err[512];
        tt_ms_data_path(o, "digits.csv.gz", path, sizeof path);
        if (tt_load_tinydigits(path, o->seed, &tr, &te, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n  (scripts/fetch-data.sh puts the data sets under data/; or pass --data DIR)\n", err);
            return 2;
        }
        in = 64;
        hidden = 32;
    } else if (tt_ms_load_fashion(o, 0, &tr, &te) != 0) {
        return 2;
    }
    const int64_t sizes[N_BATCH_SIZES] = {16, 64, 256, 1024};
    double sps[N_BATCH_SIZES], acc[N_BATCH_SIZES];
    printf("Part 3 - batch size: one epoch of the %lld-%lld-10 MLP on %lld %s images at each batch size (Adam "
           "2e-3), tested on %lld\n", (long long)in, (long long)hidden, (long long)tr->len,
           o->quick ? "TinyDigits" : "Fashion-MNIST", (long long)te->len);
    printf("  %8s %8s %14s %14s\n", "batch", "steps", "samples/s", "test acc");
    int rc = 0;
    for (int i = 0; i < N_BATCH_SIZES && rc == 0; i++) {
        char err[512];
        tt_rng r;
        tt_rng_seed(&r, o->seed + 100);
        tt_layer *model = make_mlp(in, hidden, 10, &r);
        tt_params p;
        tt_params_init(&p);
        tt_layer_params(model, &p);
        tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = 2e-3f});
        tt_dataloader dl;
        tt_dataloader_init(&dl, tr, sizes[i], true, false, o->seed + 3, err, sizeof err);
        tt_train_config c = tt_train_config_default();
        c.epochs = 1;
        c.eval = te;
        c.quiet = true;
        tt_train_stats st;
        if (tt_fit(model, opt, &dl, &c, &st) != 0) {
            fprintf(stderr, "error: the batch-%lld run did not finish\n", (long long)sizes[i]);
            rc = 2;
        } else {
            sps[i] = st.samples_per_s;
            acc[i] = st.eval_accuracy;
            printf("  %8lld %8lld %14.0f %13.2f%%\n", (long long)sizes[i], (long long)st.steps, sps[i], 100.0 * acc[i]);
            char k[64];
            snprintf(k, sizeof k, "batch_size.b%lld.samples_per_s", (long long)sizes[i]);
            tt_ms_result_num(res, k, sps[i]);
            snprintf(k, sizeof k, "batch_size.b%lld.test_accuracy", (long long)sizes[i]);
            tt_ms_result_num(res, k, acc[i]);
        }
        tt_dataloader_free(&dl);
        tt_optim_free(opt);
        tt_params_free(&p);
        tt_layer_free(model);
    }
    tt_dataset_free(tr);
    tt_dataset_free(te);
    if (rc) {
        return rc;
    }
    const tt_ms_series series[2] = {{"samples per second", sps, "#1f77b4"}, {"test accuracy", acc, "#d62728"}};
    char path[1100], err[1200];
    snprintf(path, sizeof path, "%s/03_mlp_batch_size.svg", o->out_dir ? o->out_dir : "runs");
    if (tt_mkdir_p(o->out_dir ? o->out_dir : "runs", err, sizeof err) != 0 ||
        tt_ms_plot_svg(path, "Milestone 03: batch size vs throughput and accuracy (1 epoch)", "batch size (log2)",
                       sizes, N_BATCH_SIZES, series, 2, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    tt_ms_result_str(res, "batch_size.plot", path);
    printf("  plot: %s\n", path);
    return 0;
}

static const tt_milestone_part mlp_parts[] = {
    {"TinyDigits: 64-32-10 MLP, goal >= 90 %", 8, tinydigits},
    {"Fashion-MNIST: 784-128-10 MLP, goal >= 87 % in 5 epochs", 8, fashion},
    {"batch size: throughput and accuracy vs batch size, with a plot", 8, batch_sizes},
};

static int mlp_run(const tt_milestone_opts *o, tt_milestone_result *res)
{
    tt_ms_set_threads(res);
    printf("Milestone 03 - the multi-layer perceptron and backpropagation (Rumelhart, Hinton & Williams, 1986)\n");
    fflush(stdout);
    return tt_ms_run_declared(o, res, mlp_parts, 3);
}

const tt_milestone tt_milestone_03 = {
    "03", "MLP", "1986",
    "MLPs: TinyDigits 64-32-10 (goal >= 90 %) and Fashion-MNIST 784-128-10 (goal >= 87 % in 5 epochs); batch size",
    mlp_run, mlp_parts, 3, 8, "test_accuracy", false, true,
};
