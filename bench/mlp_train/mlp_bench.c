/* mlp_bench.c - training throughput of the 784-128-10 MLP (ReLU, cross-entropy, plain SGD, batch B)
 * on Fashion-MNIST, one thread: the TinyTorch side of bench/mlp_train.
 *   mlp_bench DATA_DIR [batch steps reps]   prints one JSON line: samples_per_s (best window;
 *   timed with bench_now: wall time, or this process's CPU time under BENCH_CPU_TIME=1) and
 *   samples_per_cpu_s (best window per CPU-second of the process, always)
 * A step = fetch a shuffled batch (DataLoader), forward, loss, backward, SGD update, arena reset.
 * Warm-up: one window; then `reps` windows of `steps` steps, the fastest is reported. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/data.h"
#include "tinytorch/gemm.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "../bench.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mlp_bench DATA_DIR [batch steps reps]\n");
        return 2;
    }
    int64_t batch = argc > 2 ? atol(argv[2]) : 64;
    int steps = argc > 3 ? atoi(argv[3]) : 200, reps = argc > 4 ? atoi(argv[4]) : 5;
    const char *nt = getenv("TT_NUM_THREADS"); /* run.sh: 1, then all cores */
    tt_set_num_threads(nt ? atoi(nt) : 1);
    char dir[1024], err[512];
    snprintf(dir, sizeof dir, "%s/fashion-mnist", argv[1]);
    tt_dataset *ds;
    if (tt_load_mnist(dir, "train", 0.2860f, 0.3530f, &ds, err, sizeof err) != 0) {
        fprintf(stderr, "mlp_bench: %s\n", err);
        return 2;
    }
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_layer *layers[4] = {tt_flatten_new(), tt_linear_new(784, 128, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                           tt_linear_new(128, 10, true, TT_INIT_PYTORCH, &r)};
    tt_layer *model = tt_sequential_new(4, layers);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.01f});
    tt_dataloader dl;
    if (tt_dataloader_init(&dl, ds, batch, true, true, 7, err, sizeof err) != 0) {
        fprintf(stderr, "mlp_bench: %s\n", err);
        return 2;
    }
    tt_dataloader_start_epoch(&dl);
    double best = 0.0, best_cpu = 0.0, loss = 0.0;
    for (int rep = 0; rep <= reps; rep++) {
        double t0 = bench_now(), c0 = bench_cpu_s();
        for (int s = 0; s < steps; s++) {
            tt_batch b;
            if (!tt_dataloader_next(&dl, &b)) {
                tt_dataloader_start_epoch(&dl);
                tt_dataloader_next(&dl, &b);
            }
            tt_step_result sr;
            tt_train_step(model, opt, &b, NULL, &sr);
            loss = sr.loss;
        }
        double rate = (double)(steps * batch) / (bench_now() - t0);
        double cpu_rate = (double)(steps * batch) / (bench_cpu_s() - c0);
        if (rep > 0 && rate > best) { /* rep 0 is the warm-up */
            best = rate;
        }
        if (rep > 0 && cpu_rate > best_cpu) {
            best_cpu = cpu_rate;
        }
    }
    printf("{\"samples_per_s\": %.1f, \"samples_per_cpu_s\": %.1f, \"batch\": %lld, \"steps\": %d, \"reps\": %d, "
           "\"final_loss\": %.4f, \"gemm\": \"%s\"}\n", best, best_cpu, (long long)batch, steps, reps, loss,
           tt_sgemm_kernel());
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(model);
    tt_dataloader_free(&dl);
    tt_dataset_free(ds);
    return 0;
}
