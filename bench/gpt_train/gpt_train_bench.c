/* gpt_train_bench.c - training tokens/s of a small GPT in TinyTorch (the PyTorch anchor is
 * gpt_train_torch.py, the same model and optimizer).
 *
 *   gpt_train_bench [steps]     default 12 timed steps after 3 warm-up steps
 * Model: 4 layers, width 128, 4 heads, context 128, vocabulary 96, tied head; batch 16; AdamW
 * (lr 3e-4, betas 0.9/0.999, eps 1e-8, weight decay 0.1); random token data (speed only).
 * Prints "tokens_per_s <value>" (the best per-step rate; the machine is shared) and the median, the CPU share of the timed part
 * (user+system CPU / wall, getrusage), the arena's peak bytes per step and the threads the batch
 * was split across (tt_train_step with TT_NUM_THREADS > 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "tinytorch/gemm.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "tinytorch/transformer.h"
#include "../bench.h"

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 12;
    if (steps < 1 || steps > 10000) {
        fprintf(stderr, "gpt_train_bench: steps must be in [1, 10000]\n");
        return 2;
    }
    const char *nt = getenv("TT_NUM_THREADS"); /* run.sh: 1, then all cores */
    tt_set_num_threads(nt ? atoi(nt) : 1);
    const int64_t B = 16, T = 128, V = 96;
    tt_gpt_config cfg = {V, T, 128, 4, 4, true, false};
    tt_rng rng;
    tt_rng_seed(&rng, 1234);
    tt_gpt *g = tt_gpt_new(&cfg, &rng);
    tt_optimizer *opt = tt_adamw(&g->params, (tt_adam_opts){.lr = 3e-4f, .weight_decay = 0.1f});
    int32_t *x = malloc((size_t)(B * T) * sizeof *x), *y = malloc((size_t)(B * T) * sizeof *y);
    double *rate = malloc((size_t)steps * sizeof *rate);
    if (!x || !y || !rate) {
        return 2;
    }
    float first = 0, last = 0;
    size_t peak = 0;
    int shards = 1;
    double t0 = 0, c0 = 0;
    for (int s = -3; s < steps; s++) {
        if (s == 0) {
            t0 = bench_now();
            c0 = bench_cpu_s();
        }
        for (int64_t i = 0; i < B * T; i++) {
            x[i] = (int32_t)tt_rng_below(&rng, (uint32_t)V);
            y[i] = (int32_t)tt_rng_below(&rng, (uint32_t)V);
        }
        double ts = bench_now();
        tt_step_result sr;
        /* ids and targets are batch fields, so that a step on several threads can split them */
        tt_batch bt = {.size = B, .num_fields = 2};
        bt.field[0] = (tt_batch_field){.ints = x, .ints_per_row = T};
        bt.field[1] = (tt_batch_field){.ints = y, .ints_per_row = T};
        tt_train_step(g, opt, &bt, &(tt_step_opts){.loss = tt_gpt_batch_loss}, &sr);
        float l = (float)sr.loss;
        peak = sr.peak_arena_bytes;
        shards = sr.shards;
        double dt = bench_now() - ts;
        if (s == -3) {
            first = l;
        }
        last = l;
        if (s >= 0) {
            rate[s] = (double)(B * T) / dt;
        }
    }
    double wall = bench_now() - t0, cpu = bench_cpu_s() - c0;
    qsort(rate, (size_t)steps, sizeof *rate, bench_cmp_double);
    printf("params %lld, loss %.4f -> %.4f (random tokens: ln V = %.4f)\n",
           (long long)tt_params_numel(&g->params), first, last, log((double)V));
    printf("step_ms_median %.2f\n", 1e3 * (double)(B * T) / rate[steps / 2]);
    printf("arena_peak_bytes %zu\n", peak); /* of the last step, summed over its shards */
    printf("shards %d\n", shards);
    printf("cpu_percent %.0f\n", 100.0 * cpu / wall);
    printf("tokens_per_s_median %.1f\n", rate[steps / 2]);
    printf("tokens_per_s %.1f\n", rate[steps - 1]);
    tt_optim_free(opt);
    tt_gpt_free(g);
    free(x);
    free(y);
    free(rate);
    return 0;
}
