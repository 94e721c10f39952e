/* cmd_train.c - `tito train`: milestone 04's LeNet-5 on Fashion-MNIST, data-parallel across the
 * ranks of mpirun (library tinytorch_dist; a plain `tito train` is a group of one).
 *
 *   mpirun -np 2 tito train --epochs 10
 *   tito milestone run 04 --distributed ...    the same command (main.c forwards it here)
 *
 * Everything it computes is a library call: tt_dist_loader (each rank's shard of every global batch),
 * tt_ddp (parameter broadcast, gradient buckets reduced during backward) and tt_dist_fit (the loop;
 * rank 0 evaluates, logs and checkpoints atomically). This file parses options and prints.
 * Without Open MPI at build time the command says so and exits 2.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "milestone.h"

int tito_cmd_train(int argc, char **argv);

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: [mpirun -np N] tito train [options]\n"
            "\n"
            "Trains milestone 04's LeNet-5 on Fashion-MNIST with data parallelism: every rank of mpirun\n"
            "holds a replica, takes its own shard of each global batch (seeded, disjoint, reshuffled every\n"
            "epoch), and the gradients are averaged with MPI all-reduces that start while backward is still\n"
            "running. Rank 0 alone evaluates, writes the metrics log and the checkpoint (atomically).\n"
            "Adam with cosine decay, as the milestone; goal >= 89 %% test accuracy.\n"
            "\n"
            "options:\n"
            "  --epochs E       epochs (default 10)\n"
            "  --batch B        GLOBAL batch, split over the ranks (default 64, the milestone's)\n"
            "  --lr LR          Adam learning rate (default 2e-3)\n"
            "  --steps N        stop after N optimizer steps (default: all epochs)\n"
            "  --seed S         model and shuffle seed (default 42)\n"
            "  --data DIR       data sets (default: $MLSB_DATA, ./data, or the source tree's data/)\n"
            "  --out DIR        checkpoint and metrics log (default runs/)\n"
            "  --bucket-kb K    gradient bucket size in KiB (default 64)\n"
            "  --no-overlap     reduce gradients only after backward (to measure what overlap gains)\n"
            "  --zero1          ZeRO-1: shard Adam's state over the ranks (the checkpoint then keeps the model only)\n"
            "  --timeout S      a collective unfinished after S seconds fails the job (default 120)\n"
            "  --quick          first 10,000 training images, 1 epoch (a smoke run; the goal is not checked)\n"
            "\n"
            "examples:\n"
            "  mpirun -np 2 tito train --epochs 10\n"
            "  mpirun -np 4 --oversubscribe tito train --quick --batch 128\n"
            "  mpirun -np 2 --hostfile hosts tito train      (several machines: see the distributed ABOUT.md)\n"
            "  tito milestone run 04 --distributed --quick\n"
            "\n"
            "writes <out>/04_cnn_lenet5_fashion_mnist.dist.safetensors and .dist.metrics.jsonl\n"
            "exit status: 0 goal met (or quick run done), 1 goal missed, 2 error (a failed rank ends the job)\n");
}

#ifndef TT_HAVE_DIST

int tito_cmd_train(int argc, char **argv)
{
    if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        train_usage(stdout);
        return 0;
    }
    fprintf(stderr, "tito train: this tito was built without MPI (install libopenmpi-dev openmpi-bin, "
                    "scripts/install-deps.sh does, and rebuild)\n");
    return 2;
}

#else

#include "ms_common.h"
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"
#include "tinytorch/distributed.h"
#include "tinytorch/fileio.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

static int tbad(const char *fmt, const char *arg)
{
    if (tt_dist_rank() == 0) {
        fprintf(stderr, "tito train: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\n(try 'tito train --help')\n");
    }
    return 2;
}

static bool num(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s) {
        return false;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !(v >= lo && v <= hi)) {
        return false;
    }
    *out = v;
    return true;
}

static const char *data_dir(void)
{
    const char *env = getenv("MLSB_DATA");
    struct stat st;
    if (env && *env) {
        return env;
    }
    if (stat("data", &st) == 0 && S_ISDIR(st.st_mode)) {
        return "data";
    }
    return MLSB_SOURCE_DIR "/data";
}

/* Runs on every rank; returns the job's exit status (the same on every rank). */
static int train(const tt_milestone_opts *o, int epochs, int64_t batch, double lr, int64_t steps,
                 const tt_ddp_opts *dopts, bool zero1)
{
    const bool r0 = tt_dist_rank() == 0;
    char err[1024];
    tt_dataset *tr, *te;
    if (tt_ms_load_fashion(o, 10000, &tr, &te) != 0) {
        return 2;
    }
    tt_rng r;
    tt_rng_seed(&r, o->seed + 100);   /* as the milestone: -np 1 starts from its weights */
    tt_layer *model = tt_lenet5_new(&r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_params mine;
    tt_params_init(&mine);
    tt_zero1 *z = zero1 ? tt_zero1_new(p.t, p.n, err, sizeof err) : NULL;
    if (zero1 && !z) {
        fprintf(stderr, "tito train: %s\n", err);
        tt_dist_abort(2);
    }
    if (z) {
        tt_zero1_owned(z, &p, &mine);
    }
    tt_optimizer *opt = tt_adam(z ? &mine : &p, (tt_adam_opts){.lr = (float)lr});
    double state[2] = {(double)tt_optim_state_bytes(opt), (double)tt_optim_state_bytes(opt)};
    tt_ddp *ddp = tt_ddp_new(p.t, p.n, dopts, err, sizeof err);
    tt_dist_loader dl;
    int rc = 0;
    if (!ddp || tt_ddp_broadcast(ddp, NULL, 0, err, sizeof err) != 0 ||
        tt_dist_loader_init(&dl, tr, batch, false, o->seed + 7, err, sizeof err) != 0) {
        fprintf(stderr, "tito train: %s\n", err);
        tt_dist_abort(2);
    }
    int64_t total = (int64_t)epochs * tt_dist_loader_len(&dl);
    tt_scheduler *sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = total, .min_lr = 1e-5f});
    char ckpt[1200], logp[1200];
    snprintf(ckpt, sizeof ckpt, "%s/04_cnn_lenet5_fashion_mnist.dist.safetensors", o->out_dir);
    snprintf(logp, sizeof logp, "%s/04_cnn_lenet5_fashion_mnist.dist.metrics.jsonl", o->out_dir);
    tt_metrics_log log = {0};
    double bad = 0;
    if (r0 && (tt_mkdir_p(o->out_dir, err, sizeof err) != 0 || tt_metrics_open(&log, logp, err, sizeof err) != 0)) {
        fprintf(stderr, "tito train: %s\n", err);
        bad = 1;
    }
    if (tt_dist_allreduce_f64(&bad, 1, 'M', err, sizeof err) != 0 || bad ||
        tt_dist_allreduce_f64(state, 1, 's', err, sizeof err) != 0 ||
        tt_dist_allreduce_f64(state + 1, 1, 'M', err, sizeof err) != 0) {
        tt_dist_abort(2);
    }
    if (r0) {
        printf("Data-parallel LeNet-5 on Fashion-MNIST: %d rank%s, global batch %lld (%lld per rank), %d epoch%s, "
               "Adam lr %g + cosine, %d gradient buckets\n",
               tt_dist_size(), tt_dist_size() > 1 ? "s" : "", (long long)batch,
               (long long)(batch / tt_dist_size()), epochs, epochs > 1 ? "s" : "", lr, tt_ddp_last(ddp)->buckets);
        if (z) {
            printf("  ZeRO-1: Adam state %.0f KiB in all, the largest rank's shard %.0f KiB (%.0f %%; flat element "
                   "ranges: 1/N of the parameters each)\n",
                   state[0] / 1024, state[1] / 1024, 100 * state[1] / state[0]);
        }
        fflush(stdout);
    }
    tt_dist_train_config c = tt_dist_train_config_default();
    c.epochs = epochs;
    c.max_steps = steps;
    c.sched = sched;
    c.zero1 = z;
    c.eval = te;
    c.checkpoint = ckpt;
    c.log = r0 ? &log : NULL;
    tt_dist_train_stats st;
    int frc = tt_dist_fit(model, opt, ddp, &dl, &c, &st, err, sizeof err);
    if (frc == -2) {
        fprintf(stderr, "tito train: %s\n", err);
        tt_dist_abort(2);
    }
    if (frc == -1) {
        if (r0) {
            fprintf(stderr, "tito train: %s\n", err);
        }
        rc = 1;
    } else if (r0) {
        printf("  %lld steps, %.0f samples/s over %d rank%s (%.2f ms a step; exposed communication %.3f ms, "
               "%.0f %% of it hidden behind backward)\n",
               (long long)st.steps, st.samples_per_s, tt_dist_size(), tt_dist_size() > 1 ? "s" : "", 1e3 * st.step_s,
               1e3 * st.wait_s_per_step, tt_dist_size() > 1 ? 100.0 * st.overlap : 0.0);
        printf("  train loss %.4f, test loss %.4f\n", st.train_loss, st.eval_loss);
        bool met = tt_ms_check("Fashion-MNIST test accuracy", st.eval_accuracy, 0.89, true);
        if (o->quick) {
            printf("  (quick run: the accuracy goal needs the full run)\n");
        }
        printf("  checkpoint: %s\n  metrics:    %s\n", ckpt, logp);
        rc = o->quick ? 0 : (met ? 0 : 1);
    }
    double rcd = rc;
    tt_dist_allreduce_f64(&rcd, 1, 'M', err, sizeof err);
    tt_metrics_close(&log);
    tt_scheduler_free(sched);
    tt_dist_loader_free(&dl);
    tt_ddp_free(ddp);
    tt_optim_free(opt);
    tt_zero1_free(z);
    tt_params_free(&mine);
    tt_params_free(&p);
    tt_layer_free(model);
    tt_dataset_free(tr);
    tt_dataset_free(te);
    return (int)rcd;
}

int tito_cmd_train(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            train_usage(stdout);
            return 0;
        }
    }
    char err[512];
    if (tt_dist_init(NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "tito train: %s\n", err);
        return 2;
    }
    tt_milestone_opts o = {0, 42, NULL, "runs", NULL, false, 0, false, 0};
    int epochs = 10;
    int64_t batch = 64, steps = 0;
    double lr = 2e-3, v;
    tt_ddp_opts dopts = {0};
    bool zero1 = false;
    int rc = -1;
    for (int i = 0; i < argc && rc < 0; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            o.quick = true;
            continue;
        }
        if (strcmp(a, "--distributed") == 0) {   /* from `tito milestone run 04 --distributed` */
            continue;
        }
        if (strcmp(a, "--zero1") == 0) {
            zero1 = true;
            continue;
        }
        if (strcmp(a, "--no-overlap") == 0) {
            dopts.no_overlap = true;
            continue;
        }
        static const char *const valued[] = {"--epochs", "--batch", "--lr", "--steps", "--seed", "--data",
                                             "--out", "--bucket-kb", "--timeout"};
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) {
            known |= strcmp(a, valued[k]) == 0;
        }
        if (!known) {
            rc = tbad("unknown option '%s'", a);
            break;
        }
        if (!val) {
            rc = tbad("option '%s' needs a value", a);
            break;
        }
        i++;
        if (strcmp(a, "--data") == 0) {
            o.data_dir = val;
        } else if (strcmp(a, "--out") == 0) {
            o.out_dir = val;
        } else if (strcmp(a, "--epochs") == 0) {
            rc = num(val, 1, 100000, &v) ? (epochs = (int)v, -1) : tbad("--epochs wants 1 to 100000, not '%s'", val);
        } else if (strcmp(a, "--batch") == 0) {
            rc = num(val, tt_dist_size(), 1 << 20, &v) ? (batch = (int64_t)v, -1)
                                                      : tbad("--batch wants a whole number >= the rank count, not '%s'", val);
        } else if (strcmp(a, "--lr") == 0) {
            rc = num(val, 1e-9, 10, &v) ? (lr = v, -1) : tbad("--lr wants a positive number up to 10, not '%s'", val);
        } else if (strcmp(a, "--steps") == 0) {
            rc = num(val, 1, 1e12, &v) ? (steps = (int64_t)v, -1) : tbad("--steps wants a positive number, not '%s'", val);
        } else if (strcmp(a, "--seed") == 0) {
            rc = num(val, 0, 9e15, &v) ? (o.seed = (uint64_t)v, -1) : tbad("--seed wants a non-negative number, not '%s'", val);
        } else if (strcmp(a, "--bucket-kb") == 0) {
            rc = num(val, 1, 1 << 20, &v) ? (dopts.bucket_bytes = (size_t)v * 1024, -1)
                                          : tbad("--bucket-kb wants 1 to 1048576, not '%s'", val);
        } else {
            rc = num(val, 0.1, 1e6, &v) ? (tt_dist_set_timeout_s(v), -1) : tbad("--timeout wants seconds > 0, not '%s'", val);
        }
    }
    if (rc < 0) {
        if (o.quick) {
            epochs = 1;
        }
        if (!o.data_dir) {
            o.data_dir = data_dir();
        }
        static tt_milestone_result threads; /* one thread per rank unless TT_NUM_THREADS says more */
        tt_ms_set_threads(&threads);
        rc = train(&o, epochs, batch, lr, steps, &dopts, zero1);
    }
    tt_arena_shutdown();
    tt_dist_finalize();
    return rc;
}

#endif
