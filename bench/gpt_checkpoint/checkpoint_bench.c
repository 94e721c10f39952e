/* checkpoint_bench.c - what activation checkpointing saves and costs on a small GPT: the arena's exact
 * peak bytes of one training step and the step time, with every block checkpointed (ours) against
 * the same model trained plainly (the anchor), in the same process.
 *
 *   checkpoint_bench [steps]     default 8 timed steps per side after 2 warm-up steps
 * Model as bench/gpt_train: 4 layers, width 128, 4 heads, context 128, vocabulary 96, tied head;
 * batch 16; AdamW. The two sides alternate step by step (a loaded machine slows both alike) and start
 * from the same weights. Times are per-step CPU seconds of the process (CLOCK_PROCESS_CPUTIME_ID) with
 * BENCH_CPU_TIME=1 in the environment, wall seconds otherwise; each side reports its median.
 * Prints "key value" lines; run.sh turns them into the JSON line.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tinytorch/gemm.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "tinytorch/transformer.h"

static double clock_s(void)
{
    struct timespec ts;
    clock_gettime(getenv("BENCH_CPU_TIME") ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct lm_batch { const int32_t *x, *y; int64_t T; } lm_batch;

static tt_tensor *lm_loss(void *model, const tt_batch *b, void *ctx)
{
    const lm_batch *lb = ctx;
    return tt_gpt_loss(model, lb->x, lb->y, b->size, lb->T);
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 8;
    if (steps < 1 || steps > 1000) {
        fprintf(stderr, "checkpoint_bench: steps must be in [1, 1000]\n");
        return 2;
    }
    tt_set_num_threads(1);
    const int64_t B = 16, T = 128, V = 96;
    tt_gpt_config cfg = {.vocab_size = V, .max_len = T, .dim = 128, .n_layer = 4, .n_head = 4,
                         .tied_head = true};
    tt_gpt *g[2];
    tt_optimizer *opt[2];
    for (int k = 0; k < 2; k++) {
        tt_rng r;
        tt_rng_seed(&r, 1234);
        g[k] = tt_gpt_new(&cfg, &r);
        g[k]->checkpoint_blocks = k == 1;
        opt[k] = tt_adamw(tt_layer_parameters(&g[k]->base), (tt_adam_opts){.lr = 3e-4f, .weight_decay = 0.1f});
    }
    int32_t *x = malloc((size_t)(B * T) * sizeof *x), *y = malloc((size_t)(B * T) * sizeof *y);
    double *sec[2] = {malloc((size_t)steps * sizeof(double)), malloc((size_t)steps * sizeof(double))};
    if (!x || !y || !sec[0] || !sec[1]) {
        return 2;
    }
    size_t peak[2] = {0, 0};
    double loss[2] = {0, 0};
    tt_rng data;
    tt_rng_seed(&data, 99);
    for (int s = -2; s < steps; s++) {
        for (int64_t i = 0; i < B * T; i++) {
            x[i] = (int32_t)tt_rng_below(&data, (uint32_t)V);
            y[i] = (int32_t)tt_rng_below(&data, (uint32_t)V);
        }
        for (int k = 0; k < 2; k++) { /* the same batch for both sides */
            tt_step_result sr;
            double t0 = clock_s();
            tt_train_step(g[k], opt[k], &(tt_batch){.size = B},
                          &(tt_step_opts){.loss = lm_loss, .loss_ctx = &(lm_batch){x, y, T}}, &sr);
            double dt = clock_s() - t0;
            if (s >= 0) {
                sec[k][s] = dt;
            }
            peak[k] = sr.peak_arena_bytes > peak[k] ? sr.peak_arena_bytes : peak[k];
            loss[k] = sr.loss;
        }
    }
    for (int k = 0; k < 2; k++) {
        qsort(sec[k], (size_t)steps, sizeof(double), cmp_d);
    }
    printf("clock %s\n", getenv("BENCH_CPU_TIME") ? "cpu" : "wall");
    printf("loss_plain %.6f\nloss_checkpoint %.6f\n", loss[0], loss[1]);
    printf("peak_bytes_plain %zu\npeak_bytes_checkpoint %zu\n", peak[0], peak[1]);
    printf("step_ms_plain %.2f\nstep_ms_checkpoint %.2f\n", 1e3 * sec[0][steps / 2], 1e3 * sec[1][steps / 2]);
    printf("tokens_per_s_plain %.1f\ntokens_per_s_checkpoint %.1f\n", (double)(B * T) / sec[0][steps / 2],
           (double)(B * T) / sec[1][steps / 2]);
    for (int k = 0; k < 2; k++) {
        tt_optim_free(opt[k]);
        tt_gpt_free(g[k]);
        free(sec[k]);
    }
    free(x);
    free(y);
    return 0;
}
