/* lenet_bench.c - LeNet-5 training throughput of TinyTorch (samples/s), one thread by default.
 *
 *   lenet_bench [batch] [steps] [reps]      default 64 50 5: best of `reps` windows of `steps` steps
 *   lenet_bench profile [batch]             time of each layer's forward and backward, one thread
 *
 * Model (as bench/lenet_train/lenet_torch.py): conv 5x5x6 pad 2 + ReLU -> maxpool 2 -> conv 5x5x16
 * + ReLU -> maxpool 2 -> flatten -> 400-120 ReLU -> 84 ReLU -> 10, cross-entropy, SGD lr 0.01
 * momentum 0.9. The model is built from plain layers (Conv2d, ReLU, MaxPool2d); the Sequential runs
 * each conv + ReLU + maxpool as one fused kernel (tt_conv2d_relu_maxpool2_ex: the same function,
 * tested equal to the three layers). LENET_UNFUSED=1 puts each Conv2d in a Sequential of its own,
 * where it sees no ReLU to fuse, so the layers run one by one. A step = zero_grad + forward + loss + backward + optimizer
 * step + arena reset.
 * Inputs are random (throughput does not depend on values). Prints one JSON line with samples_per_s,
 * the CPU share of the timed part (getrusage) and the heap chunk allocations made while timing (0
 * expected: the steady state allocates nothing).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tinytorch/conv.h"
#include "tinytorch/gemm.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "../bench.h"

/* conv alone in a Sequential of its own sees no ReLU after it, so nothing fuses (LENET_UNFUSED) */
static tt_layer *conv(int64_t cin, int64_t cout, int pad, tt_rng *r)
{
    tt_layer *c = tt_conv2d_new(cin, cout, 5, 1, pad, 1, 1, true, r);
    return getenv("LENET_UNFUSED") ? tt_sequential_new(1, &c) : c;
}

static tt_layer *lenet(tt_rng *r)
{
    return tt_sequential_new(12, (tt_layer *[]){
        conv(1, 6, 2, r), tt_relu_new(), tt_maxpool2d_new(2, 0, 0),
        conv(6, 16, 0, r), tt_relu_new(), tt_maxpool2d_new(2, 0, 0), tt_flatten_new(),
        tt_linear_new(400, 120, true, TT_INIT_PYTORCH, r), tt_relu_new(),
        tt_linear_new(120, 84, true, TT_INIT_PYTORCH, r), tt_relu_new(),
        tt_linear_new(84, 10, true, TT_INIT_PYTORCH, r)});
}

/* Forward and backward time of each group of layers the Sequential runs as one call (a fused conv
 * + ReLU + maxpool, or one layer) on its own (input without gradient for the first, as in
 * training), best of 20. */
static void profile(tt_layer *net, tt_tensor *x, int batch)
{
    int n = tt_sequential_len(net);
    tt_tensor *h = x;
    double tot_f = 0, tot_b = 0;
    printf("%-22s %-18s %10s %10s\n", "layer", "output", "fwd ms", "bwd ms");
    for (int i = 0, len = 1; i < n; i += len) {
        len = tt_sequential_group_len(net, i);
        char kind[64] = "";
        for (int j = i; j < i + len; j++) {
            size_t used = strlen(kind);
            snprintf(kind + used, sizeof kind - used, "%s%s", j > i ? "+" : "", tt_sequential_at(net, j)->ops->kind);
        }
        tt_tensor *in = tt_clone(h);
        tt_set_requires_grad(in, i > 0);
        double bf = 1e9, bb = 1e9;
        tt_tensor *out = NULL;
        for (int rep = 0; rep < 20; rep++) {
            tt_arena_mark m = tt_arena_get_mark();
            in->grad = NULL;
            double t0 = bench_now();
            out = tt_sequential_forward_group(net, i, in);
            double t1 = bench_now();
            tt_tensor *seed = tt_full(out->ndim, out->shape, 0.01f);
            double t2 = bench_now();
            if (out->flags & TT_REQUIRES_GRAD) {
                tt_backward_with(out, seed);
            }
            double t3 = bench_now();
            bf = t1 - t0 < bf ? t1 - t0 : bf;
            bb = t3 - t2 < bb ? t3 - t2 : bb;
            if (rep < 19) {
                tt_arena_release(m);
            }
        }
        char s[64];
        printf("%-22s %-18s %10.3f %10.3f\n", kind, tt_shape_str(out, s, sizeof s), 1e3 * bf, 1e3 * bb);
        tot_f += bf;
        tot_b += bb;
        h = tt_detach(out);
    }
    printf("%-22s %-18s %10.3f %10.3f   (batch %d; step total %.3f ms)\n", "sum", "", 1e3 * tot_f,
           1e3 * tot_b, batch, 1e3 * (tot_f + tot_b));
}

int main(int argc, char **argv)
{
    int prof = argc > 1 && strcmp(argv[1], "profile") == 0;
    int a0 = prof ? 2 : 1;
    int batch = argc > a0 ? atoi(argv[a0]) : 64;
    int steps = argc > a0 + 1 ? atoi(argv[a0 + 1]) : 50;
    int reps = argc > a0 + 2 ? atoi(argv[a0 + 2]) : 5;
    if (batch <= 0 || steps <= 0 || reps <= 0) {
        fprintf(stderr, "usage: lenet_bench [batch steps reps] | profile [batch]\n");
        return 2;
    }
    const char *nt = getenv("TT_NUM_THREADS");
    tt_set_num_threads(nt ? atoi(nt) : 1);
    tt_rng r;
    tt_rng_seed(&r, 0);
    tt_layer *net = lenet(&r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(net, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.01f, .momentum = 0.9f});
    tt_tensor *x = tt_tensor_new_persistent(TT_SHAPE(batch, 1, 28, 28));
    for (int64_t i = 0; i < x->numel; i++) {
        x->data[i] = tt_rng_uniform(&r);
    }
    int32_t *labels = malloc((size_t)batch * sizeof *labels);
    for (int i = 0; i < batch; i++) {
        labels[i] = (int32_t)tt_rng_below(&r, 10);
    }
    if (prof) {
        profile(net, x, batch);
        return 0;
    }
    float loss_v = 0;
    for (int s = 0; s < 10 + steps * reps + 1; s++) {
        static double best = 0, best_cpu = 0, t0, c0, cpu_share;
        static uint64_t allocs0;
        int k = s - 10;
        if (k >= 0 && k % steps == 0) {
            if (k > 0) {
                double dt = bench_now() - t0, sps = (double)batch * steps / dt;
                double dc = bench_cpu_s() - c0;
                if ((double)batch * steps / dc > best_cpu) {
                    best_cpu = (double)batch * steps / dc;
                }
                if (sps > best) {
                    best = sps;
                    cpu_share = (bench_cpu_s() - c0) / dt;
                }
            }
            if (k == steps * reps) {
                bench_json j = bench_json_begin(stdout);
                bench_json_num(&j, "samples_per_s", "%.1f", best);
                bench_json_num(&j, "batch", "%d", batch);
                bench_json_num(&j, "threads", "%d", tt_get_num_threads());
                bench_json_num(&j, "cpu_percent", "%.0f", 100.0 * cpu_share);
                bench_json_num(&j, "samples_per_cpu_s", "%.1f", best_cpu);
                bench_json_num(&j, "heap_chunk_allocs_while_timing", "%llu",
                               (unsigned long long)(tt_arena_heap_allocs() - allocs0));
                bench_json_str(&j, "gemm", tt_sgemm_kernel());
                bench_json_str(&j, "conv", tt_conv2d_isa());
                bench_json_num(&j, "loss", "%.4f", (double)loss_v);
                bench_json_end(&j);
                break;
            }
            if (k == 0) {
                allocs0 = tt_arena_heap_allocs();
            }
            t0 = bench_now();
            c0 = bench_cpu_s();
        }
        tt_step_result sr;
        tt_train_step(net, opt, &(tt_batch){.x = x, .y = labels, .size = batch}, NULL, &sr);
        loss_v = (float)sr.loss;
    }
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(net);
    tt_tensor_free(x);
    free(labels);
    return 0;
}
