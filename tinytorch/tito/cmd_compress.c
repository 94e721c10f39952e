/* cmd_compress.c - `tito compress`: prune a milestone checkpoint, fine-tune it, and measure what it
 * gained and lost (module 16). The pruning, fine-tuning and evaluation are library calls
 * (tt_prune_*, tt_fit, tt_evaluate); this file parses options, times and prints. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "tinytorch/autograd.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/compress.h"
#include "tinytorch/gemm.h"
#include "tinytorch/train.h"
#include "zoo.h"

#include "commands.h"

static void compress_usage(FILE *f)
{
    fprintf(f,
            "usage: tito compress CKPT --prune KIND:AMOUNT | --lowrank RANK [options]\n"
            "\n"
            "Prunes (or factors) a milestone checkpoint (LeNet-5 or an MLP from 'tito milestone run 04|03 --out DIR'),\n"
            "optionally fine-tunes it, and reports test accuracy, parameters, and inference / training\n"
            "speed before and after (one thread, batch 64, process CPU time).\n"
            "\n"
            "  --prune structured:F   remove the fraction F of every inner conv's channels (and the next\n"
            "                         layer's matching inputs): the tensors really shrink\n"
            "  --prune magnitude:S    zero the fraction S of each layer's smallest weights\n"
            "  --prune global:S       zero the fraction S of all weights, one threshold\n"
            "  --prune 2:4            keep the 2 largest of every 4 consecutive weights\n"
            "  --lowrank RANK         replace every Linear W [out, in] that RANK shrinks (RANK * (out + in)\n"
            "                         < out * in) by Linear(in, RANK) then Linear(RANK, out) from its\n"
            "                         truncated SVD (LAPACK sgesvd); the file records the new architecture\n"
            "  --finetune E           epochs of fine-tuning afterwards (default 0; pruned zeros stay 0)\n"
            "  --lr LR                fine-tuning learning rate (Adam, cosine to 0; default 5e-4)\n"
            "  --distill T            fine-tune against the unpruned model's logits at temperature T\n"
            "                         (loss A * T^2 * KL + (1 - A) * cross-entropy, A from --alpha)\n"
            "  --alpha A              with --distill: the weight of the softened-teacher term, in [0, 1]\n"
            "                         (loss A * T^2 * KL + (1 - A) * cross-entropy; default 0.5)\n"
            "  --reinit               start the pruned model from fresh random weights (a student trained\n"
            "                         from scratch: compare with and without --distill)\n"
            "  --seed S               the seed of --reinit's weights and of the fine-tuning order (default 1;\n"
            "                         repeat a comparison over several seeds to tell a gain from noise)\n"
            "  --teacher FILE         with --distill: the teacher (a milestone checkpoint of the same data\n"
            "                         set; default CKPT itself)\n"
            "  --val N                hold out N training images (stratified, the same N images for every\n"
            "                         --seed), fine-tune on the rest and report accuracy on those N, never\n"
            "                         on the test set: choose settings this way, then run without --val\n"
            "  --no-speed             skip the speed measurement (accuracy studies)\n"
            "  --out FILE             the pruned model (default: CKPT with .pruned.safetensors, or\n"
            "                         .lowrank.safetensors)\n"
            "  --data DIR             data sets (default: $MLSB_DATA, ./data, or the source tree's data/)\n"
            "\n"
            "examples:\n"
            "  tito compress runs/04_cnn_lenet5_fashion_mnist.safetensors --prune structured:0.5 --finetune 2 --out P.safetensors\n"
            "  tito compress runs/04_cnn_lenet5_fashion_mnist.safetensors --prune structured:0.5 --finetune 20 --lr 1e-3 \\\n"
            "      --distill 2 --alpha 0.7   (half the channels, about 0.9 points below LeNet-5: module 16's ABOUT)\n"
            "  tito profile P.safetensors   (the output is a model file: eval, profile and quantize take it)\n"
            "  tito compress runs/03_mlp_fashion_mnist.safetensors --prune global:0.9 --finetune 1\n"
            "  tito compress runs/03_mlp_fashion_mnist.safetensors --lowrank 32 --finetune 1 --out L.safetensors\n"
            "  tito compress runs/04_cnn_lenet5_fashion_mnist.safetensors --prune structured:0.5 --reinit --finetune 4 \\\n"
            "      --lr 2e-3 --distill 4 --alpha 0.9 --seed 2\n"
            "  tito compress runs/04_cnn_lenet5_fashion_mnist.safetensors --prune structured:0 --reinit --finetune 10 \\\n"
            "      --lr 2e-3 --val 10000 --no-speed --out teacher50k.safetensors   (a LeNet-5 trained on 50,000 images)\n"
            "  tito compress runs/04_cnn_lenet5_fashion_mnist.safetensors --prune structured:0.5 --reinit --finetune 10 \\\n"
            "      --lr 2e-3 --val 10000 --no-speed --distill 4 --alpha 0.5 --teacher teacher50k.safetensors\n"
            "\n"
            "exit status: 0 done, 2 error (nothing written)\n");
}

static int cbad(const char *fmt, const char *arg)
{
    fprintf(stderr, "tito compress: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'tito compress --help')\n");
    return 2;
}

/* Process CPU time: one thread computes, so this is the work done, and other jobs on a shared machine
 * do not count against whichever model happened to run while they were busy. */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Inference images/s and training samples/s (Adam steps) at batch 64, best of 3 windows of 0.3 s. */
static void speed(tt_layer *m, const tt_dataset *ds, double *infer, double *train)
{
    const int64_t B = 64, numel = ds->sample_numel;
    float *x = malloc((size_t)(B * numel) * sizeof(float));
    int32_t *y = malloc((size_t)B * sizeof(int32_t));
    *infer = *train = 0.0;
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
    for (int64_t i = 0; i < B; i++) {
        tt_dataset_get(ds, i, x + i * numel, y + i);
    }
    int64_t shape[TT_MAX_DIMS] = {B};
    for (int d = 0; d < ds->sample_ndim; d++) {
        shape[1 + d] = ds->sample_shape[d];
    }
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_adam(&p, (tt_adam_opts){.lr = 1e-9f}); /* a step that changes (almost) nothing */
    for (int mode = 0; mode < 2; mode++) {
        for (int w = 0; w < 4; w++) {
            int64_t n = 0;
            const double t0 = now_s();
            double t;
            do {
                tt_arena_mark mk = tt_arena_get_mark();
                tt_tensor *xb = tt_from_data(1 + ds->sample_ndim, shape, x);
                if (mode == 0) {
                    tt_no_grad_begin();
                    (void)tt_layer_forward(m, xb);
                    tt_no_grad_end();
                } else {
                    tt_batch b = {.x = xb, .y = y, .size = B};
                    (void)tt_train_step(m, opt, &b, NULL, NULL);
                }
                tt_arena_release(mk);
                n += B;
                t = now_s() - t0;
            } while (t < 0.3);
            double r = (double)n / t;
            if (w > 0) { /* w = 0 warms up */
                double *dst = mode == 0 ? infer : train;
                *dst = r > *dst ? r : *dst;
            }
        }
    }
    tt_optim_free(opt);
    tt_params_free(&p);
    free(x);
    free(y);
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return strcmp(a, b) == 0 ||
           (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

int tito_cmd_compress(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        compress_usage(stdout);
        return 0;
    }
    if (argc < 1 || argv[0][0] == '-') {
        return cbad("%s", "which checkpoint? (tito compress CKPT --prune ...)");
    }
    const char *ckpt = argv[0], *out = NULL, *data = NULL, *prune = NULL, *teacher_path = NULL;
    long long epochs = 0, rank = 0, val_n = 0;
    double lr = 5e-4, temp = 0.0, alpha = 0.5;
    long long seed = 1;
    bool reinit = false, measure_speed = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--reinit") == 0) {
            reinit = true;
            continue;
        }
        if (strcmp(a, "--no-speed") == 0) {
            measure_speed = false;
            continue;
        }
        if (strcmp(a, "--prune") && strcmp(a, "--finetune") && strcmp(a, "--lr") && strcmp(a, "--out") &&
            strcmp(a, "--data") && strcmp(a, "--distill") && strcmp(a, "--lowrank") && strcmp(a, "--alpha") &&
            strcmp(a, "--seed") && strcmp(a, "--teacher") && strcmp(a, "--val")) {
            return cbad("unknown option '%s'", a);
        }
        if (!v) {
            return cbad("option '%s' needs a value", a);
        }
        i++;
        char *end;
        errno = 0;
        if (strcmp(a, "--prune") == 0) {
            prune = v;
        } else if (strcmp(a, "--finetune") == 0) {
            epochs = strtoll(v, &end, 10);
            if (*end || end == v || errno || epochs < 0 || epochs > 1000) {
                return cbad("--finetune wants epochs from 0 to 1000, not '%s'", v);
            }
        } else if (strcmp(a, "--lowrank") == 0) {
            rank = strtoll(v, &end, 10);
            if (*end || end == v || errno || rank < 1 || rank > 1 << 20) {
                return cbad("--lowrank wants a rank from 1 to 1048576, not '%s'", v);
            }
        } else if (strcmp(a, "--lr") == 0) {
            lr = strtod(v, &end);
            if (*end || end == v || !(lr > 0.0 && lr < 10.0)) {
                return cbad("--lr wants a rate in (0, 10), not '%s'", v);
            }
        } else if (strcmp(a, "--distill") == 0) {
            temp = strtod(v, &end);
            if (*end || end == v || !(temp > 0.0 && temp <= 100.0)) {
                return cbad("--distill wants a temperature in (0, 100], not '%s'", v);
            }
        } else if (strcmp(a, "--alpha") == 0) {
            alpha = strtod(v, &end);
            if (*end || end == v || !(alpha >= 0.0 && alpha <= 1.0)) {
                return cbad("--alpha wants a weight in [0, 1], not '%s'", v);
            }
        } else if (strcmp(a, "--seed") == 0) {
            seed = strtoll(v, &end, 10);
            if (*end || end == v || errno || seed < 0) {
                return cbad("--seed wants a whole number >= 0, not '%s'", v);
            }
        } else if (strcmp(a, "--val") == 0) {
            val_n = strtoll(v, &end, 10);
            if (*end || end == v || errno || val_n < 1) {
                return cbad("--val wants a number of training images >= 1, not '%s'", v);
            }
        } else if (strcmp(a, "--teacher") == 0) {
            teacher_path = v;
        } else if (strcmp(a, "--out") == 0) {
            out = v;
        } else {
            data = v;
        }
    }
    bool alpha_given = false;
    for (int i = 1; i < argc; i++) {
        alpha_given = alpha_given || strcmp(argv[i], "--alpha") == 0;
    }
    if (alpha_given && temp <= 0.0) {
        return cbad("%s", "--alpha weighs the teacher's term: it needs --distill T");
    }
    if (teacher_path && temp <= 0.0) {
        return cbad("%s", "--teacher names the model to distill from: it needs --distill T");
    }
    if (!prune && rank == 0) {
        return cbad("%s", "--prune (structured:F, magnitude:S, global:S or 2:4) or --lowrank RANK is required");
    }
    if (prune && rank > 0) {
        return cbad("%s", "--prune and --lowrank are separate runs: give one of them");
    }
    enum { P_STRUCT, P_LAYER, P_GLOBAL, P_24, P_LOWRANK } kind = P_LOWRANK;
    double amount = 0.0;
    const char *colon = prune ? strchr(prune, ':') : NULL;
    char rank_s[32];
    snprintf(rank_s, sizeof rank_s, "lowrank:%lld", rank);
    if (!prune) {
        prune = rank_s;
    } else if (strcmp(prune, "2:4") == 0) {
        kind = P_24;
    } else if (colon) {
        size_t k = (size_t)(colon - prune);
        if (k == 10 && strncmp(prune, "structured", k) == 0) {
            kind = P_STRUCT;
        } else if (k == 9 && strncmp(prune, "magnitude", k) == 0) {
            kind = P_LAYER;
        } else if (k == 6 && strncmp(prune, "global", k) == 0) {
            kind = P_GLOBAL;
        } else {
            return cbad("--prune: unknown kind in '%s' (structured, magnitude, global, 2:4)", prune);
        }
        char *end;
        amount = strtod(colon + 1, &end);
        if (*end || end == colon + 1 || !(amount >= 0.0 && amount < 1.0)) {
            return cbad("--prune: the amount in '%s' must be a fraction in [0, 1)", prune);
        }
    } else {
        return cbad("--prune wants KIND:AMOUNT (e.g. structured:0.5) or 2:4, not '%s'", prune);
    }
    char def_out[4096];
    if (!out) {
        size_t n = strlen(ckpt);
        if (n > 12 && strcmp(ckpt + n - 12, ".safetensors") == 0) {
            n -= 12;
        }
        if (n + 32 > sizeof def_out) {
            return cbad("checkpoint path too long: '%s'", ckpt);
        }
        snprintf(def_out, sizeof def_out, "%.*s.%s.safetensors", (int)n, ckpt, kind == P_LOWRANK ? "lowrank" : "pruned");
        out = def_out;
    }
    if (same_file(ckpt, out)) {
        return cbad("--out '%s' is the checkpoint itself: choose another file", out);
    }
    const char *th = getenv("TT_NUM_THREADS");
    tt_set_num_threads(th && atoi(th) > 0 ? atoi(th) : 1);
    char err[1024];
    tt_layer *base = NULL, *model = NULL;
    const tito_zoo_entry *e = tito_zoo_load(ckpt, &base, err, sizeof err);
    if (!e || !tito_zoo_load(ckpt, &model, err, sizeof err)) {
        fprintf(stderr, "tito compress: %s\n", err);
        tt_layer_free(base);
        return 2;
    }
    tt_dataset *train = NULL, *test = NULL;
    if (tito_zoo_data(e, tito_data_dir(data), 42, &train, &test, err, sizeof err) != 0) {
        fprintf(stderr, "tito compress: %s\n  (scripts/fetch-data.sh puts the data sets under data/; or pass --data DIR)\n",
                err);
        tt_layer_free(base);
        tt_layer_free(model);
        return 2;
    }
    /* --val: the held-out images stand in for the test set, which this run then never reads */
    const char *set_name = "test";
    if (val_n > 0) {
        if (val_n >= train->len) {
            fprintf(stderr, "tito compress: --val %lld leaves no training images (the training set has %lld): "
                    "hold out fewer (e.g. --val 10000)\n", val_n, (long long)train->len);
            tt_dataset_free(train);
            tt_dataset_free(test);
            tt_layer_free(base);
            tt_layer_free(model);
            return 2;
        }
        tt_dataset *fit = NULL, *val = NULL;
        /* a fixed split seed: every --seed, and the teacher trained with --val N, see the same images */
        if (tt_dataset_split(train, (double)val_n / (double)train->len, 42, &fit, &val, err, sizeof err) != 0) {
            fprintf(stderr, "tito compress: --val %lld: %s\n", val_n, err);
            tt_dataset_free(train);
            tt_dataset_free(test);
            tt_layer_free(base);
            tt_layer_free(model);
            return 2;
        }
        tt_dataset_free(train);
        tt_dataset_free(test);
        train = fit;
        test = val;
        set_name = "validation";
    }
    tt_layer *teacher = base;
    if (teacher_path) {
        const tito_zoo_entry *te = tito_zoo_load(teacher_path, &teacher, err, sizeof err);
        if (!te || strcmp(te->data, e->data) != 0) {
            if (te) {
                fprintf(stderr, "tito compress: --teacher %s is a %s of the %s data, the checkpoint a %s of the %s "
                        "data: a teacher must predict the same classes\n", teacher_path, te->name, te->data, e->name,
                        e->data);
                tt_layer_free(teacher);
            } else {
                fprintf(stderr, "tito compress: --teacher: %s\n", err);
            }
            tt_dataset_free(train);
            tt_dataset_free(test);
            tt_layer_free(base);
            tt_layer_free(model);
            return 2;
        }
    }
    int rc = 2;
    tt_masks masks = {0};
    int prc = 0;
    tt_lowrank_report lr_rep = {0};
    if (kind == P_LOWRANK) {
        tt_layer *f = tt_lowrank_model(model, rank, &lr_rep, err, sizeof err);
        prc = f ? 0 : -1;
        if (f) {
            tt_layer_free(model);
            model = f;
        }
    } else {
        prc = kind == P_STRUCT   ? tt_prune_channels(model, amount, err, sizeof err)
              : kind == P_24     ? tt_prune_2of4(model, &masks, err, sizeof err)
                                 : tt_prune_magnitude(model, amount, kind == P_GLOBAL ? TT_PRUNE_GLOBAL : TT_PRUNE_PER_LAYER,
                                                      &masks, err, sizeof err);
    }
    if (prc != 0) {
        fprintf(stderr, "tito compress: %s\n", err);
        goto done;
    }
    if (reinit) {
        /* PyTorch's default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for every weight and bias */
        tt_rng rng;
        tt_rng_seed(&rng, seed == 1 ? 1234 : (uint64_t)seed); /* seed 1: the weights of earlier releases */
        for (int i = 0; i < tt_sequential_len(model); i++) {
            tt_params lp;
            tt_params_init(&lp);
            tt_layer_params(tt_sequential_at(model, i), &lp);
            const int64_t fan_in = lp.n > 0 ? lp.t[0]->numel / lp.t[0]->shape[0] : 1;
            for (int k = 0; k < lp.n; k++) {
                tt_init_tensor(lp.t[k], TT_INIT_PYTORCH, fan_in, lp.t[k]->shape[0], &rng);
            }
            tt_params_free(&lp);
        }
        tt_masks_free(&masks); /* a fresh model keeps no zeros */
    }
    double loss0, acc0, loss1, acc1;
    tt_layer_train(base, false);
    tt_layer_train(model, false);
    tt_evaluate(base, test, 1000, &loss0, &acc0);
    tt_evaluate(model, test, 1000, &loss1, &acc1);
    tt_params p0, p1;
    tt_params_init(&p0);
    tt_params_init(&p1);
    tt_layer_params(base, &p0);
    tt_layer_params(model, &p1);
    char derived[TITO_ZOO_DERIVED_MAX];
    printf("%s (milestone %s%s) from %s, pruned %s\n", e->name, e->milestone,
           tito_zoo_derived(e, base, derived, sizeof derived), ckpt, prune);
    printf("  parameters %lld -> %lld; zero weights %.1f %% -> %.1f %%\n", (long long)tt_params_numel(&p0),
           (long long)tt_params_numel(&p1), 100.0 * tt_weight_sparsity(base), 100.0 * tt_weight_sparsity(model));
    if (kind == P_LOWRANK) {
        printf("  rank %lld: %d Linear layer%s factored (%lld -> %lld weights), %d kept whole; largest relative "
               "error ||W - AB||/||W|| %.4f\n", rank, lr_rep.factored, lr_rep.factored == 1 ? "" : "s",
               (long long)lr_rep.params_before, (long long)lr_rep.params_after, lr_rep.kept, lr_rep.max_rel_error);
    }
    if (val_n > 0) {
        printf("  fine-tuning on %lld training images; accuracy on %lld held-out training images (--val), not the "
               "test set\n", (long long)train->len, (long long)test->len);
    }
    printf("  %s accuracy: %.2f %% before, %.2f %% after %s%s\n", set_name, 100.0 * acc0, 100.0 * acc1,
           kind == P_LOWRANK ? "factoring" : "pruning", reinit ? " and re-initialising" : "");
    if (temp > 0.0) {
        double tacc = acc0;
        if (teacher != base) {
            tt_evaluate(teacher, test, 1000, NULL, &tacc);
            tt_layer_train(teacher, false);
        }
        printf("  teacher %s: %s accuracy %.2f %%; T = %g, alpha = %g\n", teacher_path ? teacher_path : ckpt, set_name,
               100.0 * tacc, temp, alpha);
    }
    double acc2 = acc1;
    if (epochs > 0) {
        tt_dataloader dl;
        if (tt_dataloader_init(&dl, train, 64, true, false, seed == 1 ? 7 : (uint64_t)seed + 7, err, sizeof err) != 0) {
            fprintf(stderr, "tito compress: %s\n", err);
            tt_params_free(&p0);
            tt_params_free(&p1);
            goto done;
        }
        tt_optimizer *opt = tt_adam(&p1, (tt_adam_opts){.lr = (float)lr});
        tt_scheduler *sch = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = epochs * tt_dataloader_len(&dl)});
        tt_train_config c = tt_train_config_default();
        c.epochs = (int)epochs;
        c.sched = sch;
        c.name = "fine-tune";
        tt_distill_ctx dc = {teacher, &masks, (float)temp, (float)alpha};
        if (temp > 0.0) {
            c.loss = tt_distill_batch_loss;
            c.loss_ctx = &dc;
        } else if (masks.n > 0) {
            c.loss = tt_masked_loss;
            c.loss_ctx = &masks;
        }
        tt_train_stats st;
        tt_layer_train(model, true);
        int frc = tt_fit(model, opt, &dl, &c, &st);
        tt_masks_apply(&masks);
        tt_layer_train(model, false);
        tt_scheduler_free(sch);
        tt_optim_free(opt);
        tt_dataloader_free(&dl);
        if (frc != 0) {
            fprintf(stderr, "tito compress: fine-tuning diverged (loss not finite); try a smaller --lr\n");
            tt_params_free(&p0);
            tt_params_free(&p1);
            goto done;
        }
        double tracc = 0.0;
        tt_evaluate(model, train, 1000, NULL, &tracc);
        tt_evaluate(model, test, 1000, &loss1, &acc2);
        tt_layer_train(model, false);
        printf("  %s accuracy after %lld epoch%s of fine-tuning%s: %.2f %% (%+.2f points vs before pruning); "
               "training accuracy %.2f %%\n", set_name, epochs, epochs > 1 ? "s" : "",
               temp > 0.0 ? " with distillation" : "", 100.0 * acc2, 100.0 * (acc2 - acc0), 100.0 * tracc);
    }
    if (measure_speed) {
        double i0, t0, i1, t1;
        speed(base, test, &i0, &t0);
        speed(model, test, &i1, &t1);
        printf("  speed, batch 64, one thread (CPU time): inference %.0f -> %.0f images/s (%.2fx), training %.0f -> "
               "%.0f samples/s (%.2fx)\n", i0, i1, i1 / i0, t0, t1, t1 / t0);
    }
    char pr[64], a0[32], a2[32];
    snprintf(pr, sizeof pr, "%s", prune);
    snprintf(a0, sizeof a0, "%.4f", acc0);
    snprintf(a2, sizeof a2, "%.4f", acc2);
    tt_kv meta[] = {{"model", e->name}, {"pruned", pr},
                    {val_n > 0 ? "val_accuracy_before" : "test_accuracy_before", a0},
                    {val_n > 0 ? "val_accuracy" : "test_accuracy", a2}};
    /* a pruned or factored model has another architecture: a self-describing model file records it,
     * with the source file's input standardisation and class names, so that tito eval, predict,
     * profile and quantize take the compressed model as they take the milestone's */
    tt_model_file src = {0};
    char serr[256];
    tt_model_info info = {.data = test, .extra = meta, .n_extra = 4};
    tt_standardizer sn = {0};
    if (tt_model_load(ckpt, &src, serr, sizeof serr) == 0) {
        sn = (tt_standardizer){.n = src.n_norm, .mean = src.input_mean, .std = src.input_std};
        if (src.n_norm == 1) {
            info.input_mean = src.input_mean[0];
            info.input_std = src.input_std[0];
        } else if (src.n_norm > 1) {
            info.norm = &sn;
        }
        if (src.num_classes == test->num_classes) {
            info.class_names = (const char *const *)src.class_names;
        }
    }
    int save_rc = tt_model_save(out, model, &info, err, sizeof err);
    tt_model_file_free(&src);
    if (save_rc != 0) {
        fprintf(stderr, "tito compress: %s\n", err);
    } else {
        printf("  wrote %s\n", out);
        rc = 0;
    }
    tt_params_free(&p0);
    tt_params_free(&p1);
done:
    tt_masks_free(&masks);
    tt_dataset_free(train);
    tt_dataset_free(test);
    if (teacher != base) {
        tt_layer_free(teacher);
    }
    tt_layer_free(base);
    tt_layer_free(model);
    tt_arena_reset();
    return rc;
}
