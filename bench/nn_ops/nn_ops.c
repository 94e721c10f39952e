/* nn_ops.c - the numbers behind the ABOUT.md of TinyTorch modules 01, 02, 03, 04, 06 and 07:
 * memory of tensors, views and broadcasting; the tape and the arena of one MLP training step;
 * activation, loss and optimizer throughput. One thread. Prints readable lines, then
 * "op <name> <elements> <seconds>" lines that run.sh compares with the PyTorch anchor.
 *   nn_ops [--quick]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tinytorch/gemm.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "../bench.h"

static int reps = 7;

/* out = best time (s) of `reps` runs of `iters` executions of the statements (arena reset after
 * each execution). */
#define BEST_OF(out, iters, ...)                                                                   \
    do {                                                                                           \
        double best_ = 1e30;                                                                       \
        for (int r_ = 0; r_ < reps; r_++) {                                                        \
            double t0_ = bench_now();                                                              \
            for (int i_ = 0; i_ < (iters); i_++) {                                                 \
                __VA_ARGS__;                                                                       \
                tt_arena_reset();                                                                  \
            }                                                                                      \
            double dt_ = (bench_now() - t0_) / (iters);                                            \
            best_ = dt_ < best_ ? dt_ : best_;                                                     \
        }                                                                                          \
        (out) = best_;                                                                             \
    } while (0)

static void op_line(const char *name, double elems, double secs)
{
    printf("op %s %.0f %.9g\n", name, elems, secs);
}

static tt_tensor *persistent_randn(int64_t r, int64_t c, uint64_t seed)
{
    tt_rng g;
    tt_rng_seed(&g, seed);
    tt_tensor *t = tt_tensor_new_persistent(2, (const int64_t[]){r, c});
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = tt_rng_normal(&g);
    }
    return t;
}

static void tensor_numbers(void)
{
    printf("== 01 tensor ==\n");
    printf("sizeof(tt_tensor) = %zu bytes (header), data = 4 bytes/element\n", sizeof(tt_tensor));
    tt_tensor *x = persistent_randn(1024, 1024, 1);
    size_t u0 = tt_arena_used_bytes();
    tt_tensor *v = tt_reshape(x, TT_SHAPE(1024 * 1024));
    size_t u1 = tt_arena_used_bytes();
    tt_tensor *t = tt_transpose(x, 0, 1);
    size_t u2 = tt_arena_used_bytes();
    (void)v;
    (void)t;
    printf("reshape [1024,1024] -> [1048576]: %zu arena bytes (a view: header only)\n", u1 - u0);
    printf("transpose [1024,1024]: %zu arena bytes (a copy)\n", u2 - u1);
    tt_arena_reset();
    double tr; BEST_OF(tr, 5, tt_transpose(x, 0, 1));
    double rs; BEST_OF(rs, 1000, tt_reshape(x, TT_SHAPE(1024 * 1024)));
    printf("time: reshape %.3g us, transpose %.3g ms (%.2f GB/s read+write)\n", rs * 1e6, tr * 1e3,
           2.0 * 4 * 1048576 / tr / 1e9);
    /* broadcasting: x [1024,1024] + row [1024] (stride 0) vs + a materialised [1024,1024] */
    tt_tensor *row = persistent_randn(1, 1024, 2);
    tt_tensor *full = persistent_randn(1024, 1024, 3);
    double tb; BEST_OF(tb, 10, tt_add(x, row));
    double tf; BEST_OF(tf, 10, tt_add(x, full));
    printf("add [1024,1024] + [1,1024] broadcast: %.3g ms, operand bytes %zu\n", tb * 1e3, tt_nbytes(row));
    printf("add [1024,1024] + [1024,1024] full:   %.3g ms, operand bytes %zu\n", tf * 1e3, tt_nbytes(full));
    op_line("add_bcast", 1048576, tb);
    tt_tensor_free(x);
    tt_tensor_free(row);
    tt_tensor_free(full);
}

static void autograd_numbers(int quick)
{
    printf("== 06 autograd: MLP 784-128-10, batch 64, cross-entropy, Adam ==\n");
    tt_rng g;
    tt_rng_seed(&g, 42);
    tt_layer *ls[3] = {tt_linear_new(784, 128, true, TT_INIT_PYTORCH, &g), tt_relu_new(),
                       tt_linear_new(128, 10, true, TT_INIT_PYTORCH, &g)};
    tt_layer *net = tt_sequential_new(3, ls);
    tt_params ps;
    tt_params_init(&ps);
    tt_layer_params(net, &ps);
    tt_optimizer *opt = tt_adam(&ps, (tt_adam_opts){0});
    tt_tensor *xs = persistent_randn(64, 784, 5);
    int32_t labels[64];
    for (int i = 0; i < 64; i++) {
        labels[i] = i % 10;
    }
    printf("parameters: %lld (%zu bytes); Adam state %zu bytes\n", (long long)tt_params_numel(&ps),
           (size_t)tt_params_numel(&ps) * 4, tt_optim_state_bytes(opt));
    /* one step, measuring the arena */
    for (int warm = 0; warm < 2; warm++) {
        tt_arena_peak_clear();
        tt_optim_zero_grad(opt);
        tt_tensor *x = tt_detach(xs);
        tt_tensor *logits = tt_layer_forward(net, x);
        size_t fwd_bytes = tt_arena_used_bytes();
        tt_tensor *loss = tt_cross_entropy(logits, labels);
        size_t after_loss = tt_arena_used_bytes();
        tt_backward(loss);
        tt_optim_step(opt);
        if (warm == 1) {
            printf("arena after forward %zu bytes, after loss %zu, peak of the step %zu bytes\n",
                   fwd_bytes, after_loss, tt_arena_peak_bytes());
            printf("  (x %d B, hidden pre/post-ReLU 2 x %d B, logits %d B; grads of the same)\n",
                   64 * 784 * 4, 64 * 128 * 4, 64 * 10 * 4);
        }
        tt_arena_reset();
    }
    uint64_t allocs = tt_arena_heap_allocs();
    int iters = quick ? 50 : 300;
    double fwd; BEST_OF(fwd, iters, {
        tt_no_grad_begin();
        tt_layer_forward(net, tt_detach(xs));
        tt_no_grad_end();
    });
    double step; BEST_OF(step, iters, {
        tt_optim_zero_grad(opt);
        tt_tensor *loss = tt_cross_entropy(tt_layer_forward(net, tt_detach(xs)), labels);
        tt_backward(loss);
        tt_optim_step(opt);
    });
    printf("inference forward %.1f us; training step (fwd+bwd+Adam) %.1f us = %.2fx forward\n",
           fwd * 1e6, step * 1e6, step / fwd);
    printf("arena chunk mallocs during %d timed steps: %llu\n", iters * reps,
           (unsigned long long)(tt_arena_heap_allocs() - allocs));
    op_line("mlp_train_step", 64, step);
    tt_optim_free(opt);
    tt_params_free(&ps);
    tt_layer_free(net);
    tt_tensor_free(xs);
}

static void activation_numbers(int quick)
{
    printf("== 02 activations: 1M floats (4 MB in, 4 MB out), ns per element ==\n");
    tt_tensor *x = persistent_randn(1024, 1024, 7);
    int it = quick ? 3 : 10;
    struct { const char *name; int which; } acts[] = {
        {"relu", 0}, {"sigmoid", 1}, {"tanh", 2}, {"gelu_tanh", 3}, {"gelu_erf", 4}, {"softmax", 5},
        {"log_softmax", 6},
    };
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        int w = acts[k].which;
        double t; BEST_OF(t, it, {
            switch (w) {
            case 0: tt_relu(x); break;
            case 1: tt_sigmoid(x); break;
            case 2: tt_tanh(x); break;
            case 3: tt_gelu(x); break;
            case 4: tt_gelu_erf(x); break;
            case 5: tt_softmax(x, -1); break;
            default: tt_log_softmax(x, -1); break;
            }
        });
        printf("%-12s forward %.2f ns/elem (%.2f GB/s)\n", acts[k].name, t * 1e9 / 1048576,
               8.0 * 1048576 / t / 1e9);
        op_line(acts[k].name, 1048576, t);
    }
    /* forward + backward of relu and gelu (the backward reads x, y and g, writes dx) */
    tt_set_requires_grad(x, true);
    double rb; BEST_OF(rb, it, { if (x->grad) memset(x->grad, 0, tt_nbytes(x)); tt_backward(tt_sum(tt_relu(x), TT_ALL_AXES, false)); });
    double gb; BEST_OF(gb, it, { if (x->grad) memset(x->grad, 0, tt_nbytes(x)); tt_backward(tt_sum(tt_gelu(x), TT_ALL_AXES, false)); });
    printf("relu fwd+bwd (with a sum) %.2f ns/elem; gelu_tanh fwd+bwd %.2f ns/elem\n",
           rb * 1e9 / 1048576, gb * 1e9 / 1048576);
    tt_tensor_free(x);
}

static void loss_numbers(int quick)
{
    printf("== 04 losses: cross-entropy forward+backward ==\n");
    int it = quick ? 3 : 10;
    struct { int64_t n, c; } shapes[] = {{64, 10}, {512, 10000}};
    for (int k = 0; k < 2; k++) {
        int64_t n = shapes[k].n, c = shapes[k].c;
        tt_tensor *x = persistent_randn(n, c, 9);
        tt_set_requires_grad(x, true);
        int32_t *lab = malloc(sizeof(int32_t) * (size_t)n);
        for (int64_t i = 0; i < n; i++) {
            lab[i] = (int32_t)(i * 7 % c);
        }
        int iters = n * c < 10000 ? 2000 : it;
        double t; BEST_OF(t, iters, {
            if (x->grad) memset(x->grad, 0, tt_nbytes(x));
            tt_backward(tt_cross_entropy(x, lab));
        });
        printf("[%lld, %lld]: %.3g us, %.2f ns per logit (%lld exps)\n", (long long)n, (long long)c,
               t * 1e6, t * 1e9 / (double)(n * c), (long long)(n * c));
        char name[64];
        snprintf(name, sizeof name, "cross_entropy_%lldx%lld", (long long)n, (long long)c);
        op_line(name, (double)(n * c), t);
        free(lab);
        tt_tensor_free(x);
    }
}

static void optim_numbers(int quick)
{
    printf("== 07 optimizers: 1M parameters, one step ==\n");
    tt_tensor *p = persistent_randn(1024, 1024, 11);
    tt_set_requires_grad(p, true);
    float *g = tt_grad_buf(p);
    for (int64_t i = 0; i < p->numel; i++) {
        g[i] = 1e-3f * (float)((i % 17) - 8);
    }
    tt_params ps;
    tt_params_init(&ps);
    tt_params_add(&ps, "w", p);
    int it = quick ? 5 : 20;
    struct { const char *name; tt_optimizer *o; } opts[] = {
        {"sgd", tt_sgd(&ps, (tt_sgd_opts){0})},
        {"sgd_momentum", tt_sgd(&ps, (tt_sgd_opts){.momentum = 0.9f, .weight_decay = 1e-4f})},
        {"adam", tt_adam(&ps, (tt_adam_opts){.lr = 1e-6f})},
        {"adamw", tt_adamw(&ps, (tt_adam_opts){.lr = 1e-6f})},
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        tt_optimizer *o = opts[k].o;
        double t; BEST_OF(t, it, tt_optim_step(o));
        printf("%-13s %.3f ns/param, state %zu bytes (%.0fx the parameters)\n", opts[k].name,
               t * 1e9 / 1048576, tt_optim_state_bytes(o), (double)tt_optim_state_bytes(o) / tt_nbytes(p));
        char name[64];
        snprintf(name, sizeof name, "%s_step", opts[k].name);
        op_line(name, 1048576, t);
        tt_optim_free(o);
    }
    tt_params_free(&ps);
    tt_tensor_free(p);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    if (quick) {
        reps = 3;
    }
    tt_set_num_threads(1);
    printf("gemm kernel: %s, threads %d\n", tt_sgemm_kernel(), tt_get_num_threads());
    tensor_numbers();
    autograd_numbers(quick);
    activation_numbers(quick);
    loss_numbers(quick);
    optim_numbers(quick);
    tt_arena_shutdown();
    return 0;
}
