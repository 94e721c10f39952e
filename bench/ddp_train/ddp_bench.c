/* ddp_bench.c - data-parallel LeNet-5 training throughput with tinytorch_dist, one thread per rank.
 *
 *   mpirun -np N ddp_bench [global_batch steps reps]      default 128 30 5
 *
 * Model and step as bench/lenet_train (conv 5x5x6 pad 2 + ReLU + maxpool -> conv 5x5x16 + ReLU +
 * maxpool -> 400-120-84-10, cross-entropy, SGD lr 0.01 momentum 0.9), on random 28x28 images
 * (throughput does not depend on the values). Each rank takes its shard of every global batch from
 * tt_dist_loader; gradients go through tt_ddp (buckets reduced during backward). A window is `steps`
 * steps between two barriers; the best of `reps` windows counts. Rank 0 prints one JSON line:
 * samples_per_s, step_s, and the mean per-step forward, backward, exposed wait, communication and
 * optimizer times (rank 0's in the best window, in the window's clock), the all-reduce time in
 * flight (wall), overlap,
 * gradient bytes and buckets. BENCH_CPU_TIME=1: a window and its parts are timed by each rank's CPU
 * time (the window: the slowest rank's), not wall time: on a machine loaded by other work a rank's
 * descheduled time does not count.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"
#include "tinytorch/distributed.h"
#include "tinytorch/gemm.h"
#include "tinytorch/progress.h"

static double window_clock(int cpu)
{
    if (!cpu) {
        return tt_now_seconds();
    }
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    char err[512];
    if (tt_dist_init(&argc, &argv, err, sizeof err) != 0) {
        fprintf(stderr, "ddp_bench: %s\n", err);
        return 2;
    }
    const int64_t batch = argc > 1 ? atol(argv[1]) : 128;
    const int steps = argc > 2 ? atoi(argv[2]) : 30, reps = argc > 3 ? atoi(argv[3]) : 5;
    if (batch < tt_dist_size() || steps < 1 || reps < 1) {
        fprintf(stderr, "usage: mpirun -np N ddp_bench [global_batch >= N] [steps] [reps]\n");
        tt_dist_abort(2);
    }
    const char *cpu_env = getenv("BENCH_CPU_TIME");
    const int cpu = cpu_env && !strcmp(cpu_env, "1");
    tt_set_num_threads(1);
    tt_rng r;
    tt_rng_seed(&r, 0);
    const int64_t n = batch * 8;
    float *x = malloc((size_t)n * 784 * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    if (!x || !y) {
        fprintf(stderr, "ddp_bench: out of memory\n");
        tt_dist_abort(2);
    }
    for (int64_t i = 0; i < n * 784; i++) {
        x[i] = tt_rng_uniform(&r);
    }
    for (int64_t i = 0; i < n; i++) {
        y[i] = (int32_t)(tt_rng_uniform(&r) * 10) % 10;
    }
    tt_dataset *ds = tt_dataset_from_memory(x, y, n, 3, (int64_t[]){1, 28, 28}, 10);
    tt_layer *m = tt_lenet5_new(&r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.01f, .momentum = 0.9f});
    tt_ddp *d = tt_ddp_new(p.t, p.n, NULL, err, sizeof err);
    tt_dist_loader dl;
    if (!d || tt_ddp_broadcast(d, NULL, 0, err, sizeof err) != 0 ||
        tt_dist_loader_init(&dl, ds, batch, true, 1, err, sizeof err) != 0) {
        fprintf(stderr, "ddp_bench: %s\n", err);
        tt_dist_abort(2);
    }
    /* the parts of the best window (the one whose time is reported) */
    double best = 1e30, f_s = 0, b_s = 0, w_s = 0, c_s = 0, o_s = 0;
    int64_t timed = 0;
    for (int rep = -1; rep < reps; rep++) {   /* rep -1: warm-up */
        if (tt_dist_barrier(err, sizeof err) != 0) {
            fprintf(stderr, "ddp_bench: %s\n", err);
            tt_dist_abort(2);
        }
        double t0 = window_clock(cpu), wf = 0, wb = 0, ww = 0, wc = 0, wo = 0;
        for (int s = 0; s < steps; s++) {
            tt_batch b;
            int64_t gn;
            if (!tt_dist_loader_next(&dl, &b, &gn)) {
                tt_dist_loader_start_epoch(&dl);
                tt_dist_loader_next(&dl, &b, &gn);
            }
            /* the parts in the window's clock: forward + loss, backward (buckets started and
             * tested inside it), the wait for the buckets, optimizer step + zero grad */
            double a = window_clock(cpu);
            tt_tensor *loss = tt_cross_entropy(tt_layer_forward(m, b.x), b.y);
            double fw = window_clock(cpu);
            tt_ddp_begin(d, (double)b.size / (double)gn);
            tt_backward(loss);
            double bw = window_clock(cpu);
            if (tt_ddp_finish(d, err, sizeof err) != 0) {
                fprintf(stderr, "ddp_bench: %s\n", err);
                tt_dist_abort(2);
            }
            double wt = window_clock(cpu);
            tt_optim_step(opt);
            tt_optim_zero_grad(opt);
            tt_arena_reset();
            wf += fw - a;
            wb += bw - fw;
            ww += wt - bw;
            wc += tt_ddp_last(d)->comm_s;
            wo += window_clock(cpu) - wt;
        }
        if (tt_dist_barrier(err, sizeof err) != 0) {
            fprintf(stderr, "ddp_bench: %s\n", err);
            tt_dist_abort(2);
        }
        double dt = window_clock(cpu) - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);   /* the slowest rank */
        if (rep >= 0 && dt < best) {
            best = dt;
            f_s = wf;
            b_s = wb;
            w_s = ww;
            c_s = wc;
            o_s = wo;
            timed = steps;
        }
    }
    if (tt_dist_rank() == 0) {
        double k = (double)timed;
        printf("{\"ranks\": %d, \"global_batch\": %lld, \"samples_per_s\": %.1f, \"step_s\": %.6g, "
               "\"forward_s\": %.6g, \"backward_s\": %.6g, \"wait_s\": %.6g, \"comm_s\": %.6g, "
               "\"optimizer_s\": %.6g, \"overlap\": %.3f, \"grad_bytes\": %lld, \"buckets\": %d, \"cpu_time\": %s}\n",
               tt_dist_size(), (long long)batch, (double)(batch * steps) / best, best / steps, f_s / k, b_s / k,
               w_s / k, c_s / k, o_s / k, c_s > 0 ? fmax(0.0, 1.0 - w_s / c_s) : 0.0,
               (long long)(tt_params_numel(&p) * 4), tt_ddp_last(d)->buckets, cpu ? "true" : "false");
    }
    tt_dist_loader_free(&dl);
    tt_ddp_free(d);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(m);
    tt_dataset_free(ds);
    tt_arena_shutdown();
    tt_dist_finalize();
    return 0;
}
