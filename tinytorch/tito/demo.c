/* demo.c - 'tito module demo NN': each module's own small demonstration, a few seconds each, run on
 * the library tito is built with. Every demo ends with one line starting "demo NN:" that states what it
 * showed (the test checks that line). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "learn.h"
#include "tinytorch/bench.h"
#include "tinytorch/capstone.h"
#include "tinytorch/compress.h"
#include "tinytorch/kvcache.h"
#include "tinytorch/profile.h"
#include "tinytorch/quant.h"
#include "tinytorch/tinytorch.h"

/* CPU time of this thread: on a busy machine it counts only our own work (the demos that time run
 * one thread). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *shp(const tt_tensor *t, char *buf, size_t len)
{
    return tt_shape_str(t, buf, len);
}

/* 01: storage, views and broadcasting */
static int demo_tensor(void)
{
    char s1[64], s2[64], s3[64];
    tt_tensor *a = tt_arange(0, 6, 1);
    tt_tensor *m = tt_reshape(a, 2, (const int64_t[]){2, 3});
    printf("a = arange(0, 6)        %s\n", shp(a, s1, sizeof s1));
    tt_print(m, "m = a.reshape(2, 3)");
    printf("reshape is a view: m->data == a->data: %s (no copy; writing m[1][2] changes a[5])\n",
           m->data == a->data ? "yes" : "no");
    m->data[5] = 50.0f;
    printf("after m[1][2] = 50: a[5] = %g\n", (double)a->data[5]);
    m->data[5] = 5.0f;
    tt_tensor *t = tt_transpose(m, 0, 1);
    printf("transpose is a copy (no strides in TinyTorch): %s -> %s, t->data == m->data: %s\n", shp(m, s1, sizeof s1),
           shp(t, s2, sizeof s2), t->data == m->data ? "yes" : "no");
    tt_tensor *row = tt_from_data(1, (const int64_t[]){3}, (const float[]){10, 20, 30});
    tt_tensor *col = tt_from_data(2, (const int64_t[]){2, 1}, (const float[]){100, 200});
    tt_tensor *b1 = tt_add(m, row), *b2 = tt_add(m, col);
    tt_print(b1, "m + [10, 20, 30]   (the row is repeated down the 2 rows)");
    tt_print(b2, "m + [[100], [200]] (the column is repeated across the 3 columns)");
    char s4[64], s5[64], s6[64];
    printf("demo 01: broadcast %s + %s -> %s and %s + %s -> %s\n", shp(m, s1, sizeof s1), shp(row, s2, sizeof s2),
           shp(b1, s3, sizeof s3), shp(m, s4, sizeof s4), shp(col, s5, sizeof s5), shp(b2, s6, sizeof s6));
    return 0;
}

/* 02: the activations on a few points, and a stable softmax */
static int demo_activations(void)
{
    tt_tensor *x = tt_from_data(1, (const int64_t[]){5}, (const float[]){-2, -1, 0, 1, 2});
    tt_tensor *r = tt_relu(x), *s = tt_sigmoid(x), *t = tt_tanh(x), *g = tt_gelu(x);
    printf("     x    relu  sigmoid    tanh    gelu\n");
    for (int i = 0; i < 5; i++) {
        printf("%6.1f %7.3f %8.3f %7.3f %7.3f\n", (double)x->data[i], (double)r->data[i], (double)s->data[i],
               (double)t->data[i], (double)g->data[i]);
    }
    tt_tensor *z = tt_from_data(1, (const int64_t[]){3}, (const float[]){1, 2, 3});
    tt_tensor *p = tt_softmax(z, 0);
    tt_tensor *big = tt_from_data(1, (const int64_t[]){3}, (const float[]){1001, 1002, 1003});
    tt_tensor *pb = tt_softmax(big, 0);
    printf("softmax([1001, 1002, 1003]) = [%.3f, %.3f, %.3f]: the max is subtracted first, so exp() does not "
           "overflow\n",
           (double)pb->data[0], (double)pb->data[1], (double)pb->data[2]);
    printf("demo 02: softmax([1, 2, 3]) = [%.3f, %.3f, %.3f], sum %.3f\n", (double)p->data[0], (double)p->data[1],
           (double)p->data[2], (double)(p->data[0] + p->data[1] + p->data[2]));
    return 0;
}

/* 03: layers and their parameter counts */
static int demo_layers(void)
{
    tt_rng rng;
    tt_rng_seed(&rng, 1);
    tt_layer *lin = tt_linear_new(4, 3, true, TT_INIT_KAIMING_UNIFORM, &rng);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(lin, &p);
    char s1[64], s2[64];
    for (int i = 0; i < p.n; i++) {
        printf("Linear(4, 3) parameter %-7s %s\n", p.names[i], shp(p.t[i], s1, sizeof s1));
    }
    tt_tensor *x = tt_randn(2, (const int64_t[]){5, 4}, 0, 1, &rng);
    tt_tensor *y = tt_layer_forward(lin, x);
    printf("y = x W^T + b: x %s -> y %s\n", shp(x, s1, sizeof s1), shp(y, s2, sizeof s2));
    tt_params_free(&p);
    tt_layer_free(lin);
    tt_layer *mlp = tt_mlp_new(3, (const int64_t[]){784, 128, 10}, &rng);
    tt_params_init(&p);
    tt_layer_params(mlp, &p);
    long long n = (long long)tt_params_numel(&p);
    printf("MLP 784-128-10: 784*128 + 128 + 128*10 + 10 = %d\n", 784 * 128 + 128 + 128 * 10 + 10);
    printf("demo 03: MLP 784-128-10 has %lld parameters\n", n);
    tt_params_free(&p);
    tt_layer_free(mlp);
    return 0;
}

/* 04: what a loss value means */
static int demo_losses(void)
{
    tt_tensor *uni = tt_zeros(2, (const int64_t[]){1, 10});
    int32_t label = 3;
    float ce_uniform = tt_item(tt_cross_entropy(uni, &label));
    tt_tensor *sure = tt_zeros(2, (const int64_t[]){1, 10});
    sure->data[3] = 10.0f;
    float ce_right = tt_item(tt_cross_entropy(sure, &label));
    int32_t wrong = 5;
    float ce_wrong = tt_item(tt_cross_entropy(sure, &wrong));
    printf("cross-entropy, 10 classes, true class 3:\n");
    printf("  all logits equal (a guess)     %.4f  = ln 10: the loss of an untrained classifier\n",
           (double)ce_uniform);
    printf("  logit 10 on the true class     %.4f\n", (double)ce_right);
    printf("  logit 10 on a wrong class      %.4f  (confidently wrong costs most)\n", (double)ce_wrong);
    tt_tensor *pred = tt_from_data(1, (const int64_t[]){3}, (const float[]){1, 2, 3});
    tt_tensor *tgt = tt_from_data(1, (const int64_t[]){3}, (const float[]){1, 2, 5});
    printf("MSE([1, 2, 3], [1, 2, 5]) = (0 + 0 + 4) / 3 = %.4f\n", (double)tt_item(tt_mse_loss(pred, tgt)));
    printf("demo 04: cross-entropy of uniform logits over 10 classes = %.4f (ln 10 = %.4f)\n", (double)ce_uniform,
           log(10.0));
    return 0;
}

/* 05: batches, shuffling, drop_last */
static int demo_dataloader(void)
{
    float *x = malloc(10 * sizeof *x); /* the data set takes both arrays */
    int32_t *y = malloc(10 * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return 1;
    }
    for (int i = 0; i < 10; i++) {
        x[i] = (float)i;
        y[i] = i % 2;
    }
    tt_dataset *ds = tt_dataset_from_memory(x, y, 10, 1, (const int64_t[]){1}, 2);
    if (!ds) {
        fprintf(stderr, "demo 05: cannot make the data set\n");
        return 1;
    }
    int64_t nb[2] = {0, 0};
    for (int drop = 0; drop < 2; drop++) {
        tt_dataloader dl;
        char err[256];
        if (tt_dataloader_init(&dl, ds, 4, true, drop, 7, err, sizeof err) != 0) {
            fprintf(stderr, "demo 05: %s\n", err);
            tt_dataset_free(ds);
            return 1;
        }
        nb[drop] = tt_dataloader_len(&dl);
        for (int epoch = 0; epoch < 2; epoch++) {
            printf("%s epoch %d:", drop ? "drop_last" : "         ", epoch);
            tt_dataloader_start_epoch(&dl);
            tt_batch b;
            while (tt_dataloader_next(&dl, &b)) {
                printf("  [");
                for (int64_t i = 0; i < b.size; i++) {
                    printf("%s%g", i ? " " : "", (double)b.x->data[i]);
                }
                printf("]");
            }
            printf("\n");
            tt_arena_reset();
        }
        tt_dataloader_free(&dl);
    }
    printf("(shuffled with seed 7: a new order every epoch, every sample once per epoch)\n");
    tt_dataset_free(ds);
    printf("demo 05: 10 samples, batch 4: %lld batches per epoch (%lld with drop_last)\n", (long long)nb[0],
           (long long)nb[1]);
    return 0;
}

/* 06: the gradient graph of a tiny expression */
static const char *leaf_name(const tt_tensor *t, tt_tensor *const *leaves, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (leaves[i] == t) {
            return names[i];
        }
    }
    return NULL;
}

static void print_graph(const tt_tensor *t, tt_tensor *const *leaves, const char *const *names, int n, int depth)
{
    const char *name = leaf_name(t, leaves, names, n);
    printf("%*s", 2 * depth + 2, "");
    if (name || !t->node) {
        printf("%s = %g  (leaf%s)\n", name ? name : "const", (double)t->data[0],
               tt_requires_grad(t) ? ", requires grad" : "");
        return;
    }
    printf("%s -> %g\n", t->node->op, (double)t->data[0]);
    for (int i = 0; i < t->node->n_in; i++) {
        print_graph(t->node->in[i], leaves, names, n, depth + 1);
    }
}

static int demo_autograd(void)
{
    tt_tensor *a = tt_tensor_new_persistent(1, (const int64_t[]){1});
    tt_tensor *b = tt_tensor_new_persistent(1, (const int64_t[]){1});
    a->data[0] = 2.0f;
    b->data[0] = 3.0f;
    tt_set_requires_grad(a, true);
    tt_set_requires_grad(b, true);
    tt_tensor *y = tt_add(tt_mul(a, b), tt_exp(a)); /* y = a*b + exp(a) */
    tt_tensor *leaves[] = {a, b};
    const char *names[] = {"a", "b"};
    printf("y = a*b + exp(a) with a = 2, b = 3; the graph the tape recorded (y at the top):\n");
    print_graph(y, leaves, names, 2, 0);
    printf("the tape, newest first (tt_backward walks it in this order):");
    for (const tt_node *nd = y->node; nd; nd = nd->prev) {
        printf(" %s", nd->op);
    }
    printf("\n");
    tt_backward(y);
    double da = a->grad[0], db = b->grad[0];
    printf("dy/da = b + exp(a) = %.4f (by hand %.4f), dy/db = a = %.4f\n", da, 3.0 + exp(2.0), db);
    tt_arena_reset();
    tt_tensor_free(a);
    tt_tensor_free(b);
    printf("demo 06: gradient graph printed; dy/da = %.4f, dy/db = %.4f\n", da, db);
    return 0;
}

/* 07: three optimizers on f(x) = (x - 3)^2 */
static double run_optimizer(int kind, int steps)
{
    tt_tensor *x = tt_tensor_new_persistent(1, (const int64_t[]){1});
    tt_set_requires_grad(x, true);
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "x", x);
    tt_optimizer *opt = kind == 0   ? tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f})
                        : kind == 1 ? tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f})
                                    : tt_adam(&p, (tt_adam_opts){.lr = 0.3f});
    for (int s = 0; s < steps; s++) {
        tt_optim_zero_grad(opt);
        tt_tensor *d = tt_add_scalar(x, -3.0f);
        tt_backward(tt_sum(tt_mul(d, d), TT_ALL_AXES, false));
        tt_optim_step(opt);
        tt_arena_reset();
    }
    double v = x->data[0];
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_tensor_free(x);
    return v;
}

static int demo_optimizers(void)
{
    printf("minimise f(x) = (x - 3)^2 from x = 0:\n  steps   SGD 0.05   momentum 0.9   Adam 0.3\n");
    double last[3] = {0};
    for (int steps = 5; steps <= 40; steps *= 2) {
        for (int k = 0; k < 3; k++) {
            last[k] = run_optimizer(k, steps);
        }
        printf("  %5d %10.4f %14.4f %10.4f\n", steps, last[0], last[1], last[2]);
    }
    printf("(momentum overshoots and swings back; Adam's step is about lr whatever the gradient's size)\n");
    printf("demo 07: after 40 steps x = %.4f (SGD), %.4f (momentum), %.4f (Adam); the minimum is 3\n", last[0],
           last[1], last[2]);
    return 0;
}

/* 08: a whole training loop on XOR */
static int demo_training(void)
{
    float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    int32_t y[4] = {0, 1, 1, 0};
    tt_rng rng;
    tt_rng_seed(&rng, 3);
    tt_layer *mlp = tt_mlp_new(3, (const int64_t[]){2, 16, 2}, &rng);
    tt_optimizer *opt = tt_adam(tt_layer_parameters(mlp), (tt_adam_opts){.lr = 0.05f});
    tt_batch b = {0};
    b.size = 4;
    tt_step_opts so = {0};
    int acc = 0, step = 0;
    printf("XOR with an MLP 2-16-2, Adam 0.05, one batch of the 4 points per step\n");
    for (step = 1; step <= 400; step++) {
        b.x = tt_from_data(2, (const int64_t[]){4, 2}, x);
        b.y = y;
        tt_step_result r;
        tt_train_step(mlp, opt, &b, &so, &r);
        tt_arena_reset();
        if (step % 50 == 0) {
            tt_no_grad_begin();
            tt_tensor *logits = tt_layer_forward(mlp, tt_from_data(2, (const int64_t[]){4, 2}, x));
            acc = (int)tt_count_correct(logits, y);
            tt_no_grad_end();
            tt_arena_reset();
            printf("  step %3d  loss %.4f  correct %d/4\n", step, r.loss, acc);
            if (acc == 4 && r.loss < 0.05) {
                break;
            }
        }
    }
    tt_optim_free(opt);
    tt_layer_free(mlp);
    printf("demo 08: XOR learned: %d/4 correct after %d steps\n", acc, step > 400 ? 400 : step);
    return acc == 4 ? 0 : 1;
}

/* 09: the output shape of every LeNet-5 layer */
static int demo_conv(void)
{
    tt_rng rng;
    tt_rng_seed(&rng, 1);
    char s1[64], s2[64];
    tt_tensor *x = tt_randn(4, (const int64_t[]){1, 1, 28, 28}, 0, 1, &rng);
    tt_tensor *w1 = tt_randn(4, (const int64_t[]){6, 1, 5, 5}, 0, 0.1f, &rng);
    tt_tensor *w2 = tt_randn(4, (const int64_t[]){16, 6, 5, 5}, 0, 0.1f, &rng);
    printf("out = (in + 2 pad - dilation (k - 1) - 1) / stride + 1\n");
    tt_tensor *h = tt_conv2d(x, w1, NULL, 1, 2, 1, 1);
    printf("conv 6x5x5, pad 2   %-14s -> %-14s  (28 + 4 - 4 - 1) / 1 + 1 = %lld\n", shp(x, s1, sizeof s1),
           shp(h, s2, sizeof s2), (long long)tt_conv_out_size(28, 5, 1, 2, 1));
    tt_tensor *p = tt_max_pool2d(h, 2, 2, 0);
    printf("maxpool 2, stride 2 %-14s -> %-14s  (28 - 1 - 1) / 2 + 1 = %lld\n", shp(h, s1, sizeof s1),
           shp(p, s2, sizeof s2), (long long)tt_conv_out_size(28, 2, 2, 0, 1));
    tt_tensor *h2 = tt_conv2d(p, w2, NULL, 1, 0, 1, 1);
    printf("conv 16x5x5         %-14s -> %-14s  (14 - 4 - 1) / 1 + 1 = %lld\n", shp(p, s1, sizeof s1),
           shp(h2, s2, sizeof s2), (long long)tt_conv_out_size(14, 5, 1, 0, 1));
    tt_tensor *p2 = tt_max_pool2d(h2, 2, 2, 0);
    printf("maxpool 2, stride 2 %-14s -> %-14s\n", shp(h2, s1, sizeof s1), shp(p2, s2, sizeof s2));
    tt_tensor *f = tt_flatten(p2, 1);
    printf("flatten             %-14s -> %-14s  16 * 5 * 5 = 400 inputs to the first Linear\n",
           shp(p2, s1, sizeof s1), shp(f, s2, sizeof s2));
    printf("conv 1 weights: 6*1*5*5 + 6 = 156 parameters for a 28x28 image; a Linear 784 -> 4704 would need "
           "%lld\n",
           (long long)784 * 4704 + 4704);
    printf("demo 09: LeNet-5 shape walk [1,1,28,28] -> %s\n", shp(f, s1, sizeof s1));
    return 0;
}

/* 10: characters and BPE tokens */
static int demo_tokenization(void)
{
    const char *unit = "the cat sat on the mat. the cat ate the rat. ";
    char text[4096] = "";
    for (int i = 0; i < 40; i++) {
        strcat(text, unit);
    }
    size_t len = strlen(text);
    tt_char_tokenizer ct;
    if (tt_char_tokenizer_build(&ct, text, len) != 0) {
        fprintf(stderr, "demo 10: out of memory\n");
        return 1;
    }
    int32_t ids[4096];
    int64_t nc = tt_char_encode(&ct, text, len, ids, 4096);
    printf("characters: vocabulary %d, \"the cat\" ->", ct.vocab_size);
    for (int i = 0; i < 7; i++) {
        printf(" %d", ids[i]);
    }
    printf("\n");
    tt_char_tokenizer_free(&ct);
    tt_bpe bpe;
    char err[256];
    if (tt_bpe_train(&bpe, text, len, 256 + 24, err, sizeof err) != 0) {
        fprintf(stderr, "demo 10: %s\n", err);
        return 1;
    }
    int64_t nb = tt_bpe_encode(&bpe, text, len, ids, 4096);
    printf("BPE with 24 merges (vocabulary %d): \"%.*s\" ->", bpe.vocab_size, (int)strlen(unit), unit);
    int64_t nu = tt_bpe_encode(&bpe, unit, strlen(unit), ids, 4096);
    for (int64_t i = 0; i < nu; i++) {
        char piece[64];
        size_t pl = tt_bpe_decode(&bpe, &ids[i], 1, piece, sizeof piece - 1);
        piece[pl < sizeof piece ? pl : sizeof piece - 1] = 0;
        printf(" [%s]", piece);
    }
    printf("\n");
    tt_bpe_free(&bpe);
    printf("demo 10: %zu bytes -> %lld character tokens, %lld BPE tokens (%.1f bytes per token)\n", len,
           (long long)nc, (long long)nb, (double)len / (double)nb);
    return 0;
}

/* 11: lookup tables and positions */
static int demo_embeddings(void)
{
    tt_rng rng;
    tt_rng_seed(&rng, 1);
    char s1[64], s2[64];
    tt_tensor *table = tt_randn(2, (const int64_t[]){10, 8}, 0, 1, &rng);
    const int32_t ids[6] = {1, 4, 1, 9, 0, 4};
    tt_tensor *e = tt_embedding(table, ids, 2, (const int64_t[]){2, 3});
    printf("table %s, ids [[1, 4, 1], [9, 0, 4]] -> %s\n", shp(table, s1, sizeof s1), shp(e, s2, sizeof s2));
    printf("the same id gives the same row: e[0][0] == e[0][2]: %s\n",
           memcmp(e->data, e->data + 16, 8 * sizeof(float)) == 0 ? "yes" : "no");
    tt_tensor *pe = tt_sinusoidal_table_new(64, 8);
    printf("sinusoidal positions (dims 0..3): PE[p][2i] = sin(p / 10000^(2i/8)), PE[p][2i+1] = cos(...)\n");
    for (int p = 0; p < 4; p++) {
        printf("  pos %d: %7.4f %7.4f %7.4f %7.4f\n", p, (double)pe->data[p * 8], (double)pe->data[p * 8 + 1],
               (double)pe->data[p * 8 + 2], (double)pe->data[p * 8 + 3]);
    }
    tt_tensor_free(pe);
    printf("demo 11: embedding [2,3] ids -> %s\n", shp(e, s1, sizeof s1));
    return 0;
}

/* 12: causal attention weights */
static int demo_attention(void)
{
    tt_rng rng;
    tt_rng_seed(&rng, 2);
    const int64_t T = 5, d = 8;
    tt_tensor *q = tt_randn(4, (const int64_t[]){1, 1, T, d}, 0, 1, &rng);
    tt_tensor *k = tt_randn(4, (const int64_t[]){1, 1, T, d}, 0, 1, &rng);
    tt_tensor *v = tt_randn(4, (const int64_t[]){1, 1, T, d}, 0, 1, &rng);
    tt_attn_mask mask = {.causal = true};
    tt_tensor *w = NULL;
    tt_tensor *o = tt_attention_reference(q, k, v, &mask, &w);
    tt_tensor *f = tt_sdpa(q, k, v, &mask);
    printf("softmax(q k^T / sqrt(%lld)) with a causal mask, T = %lld (row t: query t, columns: keys):\n",
           (long long)d, (long long)T);
    int upper_zero = 1;
    for (int64_t i = 0; i < T; i++) {
        printf("  t=%lld ", (long long)i);
        double sum = 0;
        for (int64_t j = 0; j < T; j++) {
            float p = w->data[i * T + j];
            sum += p;
            if (j > i && p > 1e-30f) { /* masked: exp of a huge negative number, 0 or the smallest float */
                upper_zero = 0;
            }
            printf(" %5.3f", (double)p);
        }
        printf("   sum %.3f\n", sum);
    }
    double diff = 0;
    for (int64_t i = 0; i < o->numel; i++) {
        diff = fmax(diff, fabs((double)o->data[i] - (double)f->data[i]));
    }
    printf("the fused kernel (tt_sdpa) gives the same output: max |difference| %.2g\n", diff);
    printf("demo 12: causal attention weights: row t attends to keys 0..t only (%s)\n",
           upper_zero ? "every later key weighs < 1e-30" : "A LATER KEY HAS WEIGHT");
    return upper_zero ? 0 : 1;
}

static tt_gpt *tiny_gpt(int64_t vocab, int64_t max_len, int64_t dim, int64_t layers, uint64_t seed)
{
    tt_rng rng;
    tt_rng_seed(&rng, seed);
    tt_gpt_config cfg = {.vocab_size = vocab, .max_len = max_len, .dim = dim, .n_layer = layers, .n_head = 4,
                         .tied_head = true};
    return tt_gpt_new(&cfg, &rng);
}

/* 13: a small GPT: parameters, shapes, the loss before training */
static int demo_transformer(void)
{
    const int64_t V = 65, T = 16;
    tt_gpt *g = tiny_gpt(V, 64, 64, 2, 5);
    int32_t ids[16], tg[16];
    for (int i = 0; i < T; i++) {
        ids[i] = (int32_t)((i * 7) % V);
        tg[i] = (int32_t)((i * 7 + 7) % V);
    }
    char s1[64];
    tt_tensor *logits = tt_gpt_forward(g, ids, 1, T, NULL);
    float loss = tt_item(tt_gpt_loss(g, ids, tg, 1, T));
    printf("GPT: vocabulary %lld, context 64, width 64, 2 blocks of 4 heads (LayerNorm, attention, MLP 4x)\n",
           (long long)V);
    printf("one block: attention 4*64*64 + 4*64 = %d, MLP 2*4*64*64 + 4*64 + 64 = %d, two LayerNorms 256\n",
           4 * 64 * 64 + 4 * 64, 2 * 4 * 64 * 64 + 4 * 64 + 64);
    printf("ids [1,%lld] -> logits %s\n", (long long)T, shp(logits, s1, sizeof s1));
    printf("demo 13: GPT with %lld parameters; initial loss %.3f (ln %lld = %.3f: it guesses uniformly)\n",
           (long long)tt_params_numel(&g->params), (double)loss, (long long)V, log((double)V));
    tt_arena_reset();
    tt_gpt_free(g);
    return 0;
}

/* 17: GEMM from the triple loop to the SIMD kernel */
static double gflops(double n, double s)
{
    return 2.0 * n * n * n / s * 1e-9;
}

static int demo_acceleration(void)
{
    const int64_t n = 512;
    float *A = malloc(sizeof(float) * n * n), *B = malloc(sizeof(float) * n * n), *C = malloc(sizeof(float) * n * n);
    if (!A || !B || !C) {
        free(A);
        free(B);
        free(C);
        return 1;
    }
    tt_rng rng;
    tt_rng_seed(&rng, 1);
    for (int64_t i = 0; i < n * n; i++) {
        A[i] = tt_rng_uniform(&rng) - 0.5f;
        B[i] = tt_rng_uniform(&rng) - 0.5f;
    }
    const char *names[4] = {"1 i-j-k triple loop", "2 i-k-j (unit stride)", "3 cache blocked, 128x128 tiles",
                            "4 packed + SIMD micro-kernel"};
    double best[4];
    int threads = tt_get_num_threads();
    tt_set_num_threads(1);
    for (int s = 0; s < 4; s++) {
        best[s] = 1e30;
        for (int rep = 0; rep < (s == 3 ? 5 : 1); rep++) {
            double t0 = cpu_s();
            if (s == 0) {
                tt_sgemm_step_ijk(n, n, n, A, B, C);
            } else if (s == 1) {
                tt_sgemm_step_ikj(n, n, n, A, B, C);
            } else if (s == 2) {
                tt_sgemm_step_blocked(n, n, n, A, B, C, 128);
            } else {
                tt_sgemm(0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
            }
            double t = cpu_s() - t0;
            best[s] = t < best[s] ? t : best[s];
        }
    }
    tt_set_num_threads(threads);
    printf("C = A B, %lldx%lld floats, one thread, thread CPU time (SIMD: best of 5):\n",
           (long long)n, (long long)n);
    for (int s = 0; s < 4; s++) {
        printf("  %-32s %8.2f GFLOP/s  %6.1fx\n", names[s], gflops((double)n, best[s]), best[0] / best[s]);
    }
    printf("  (kernel: %s)\n", tt_sgemm_kernel());
    free(A);
    free(B);
    free(C);
    printf("demo 17: GEMM %lld^3: naive %.2f -> SIMD %.2f GFLOP/s (%.0fx)\n", (long long)n,
           gflops((double)n, best[0]), gflops((double)n, best[3]), best[0] / best[3]);
    return 0;
}

/* 18: generation with and without the KV cache */
static int demo_memoization(void)
{
    const int64_t V = 65, n_prompt = 8, n_new = 120;
    tt_gpt *g = tiny_gpt(V, 128, 64, 2, 9);
    int32_t prompt[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int32_t out_a[128], out_b[128];
    int threads = tt_get_num_threads();
    tt_set_num_threads(1); /* as the kv_cache benchmark: one thread, so the two paths compare fairly */
    double t0 = cpu_s();
    tt_gpt_generate(g, prompt, n_prompt, n_new, 0.8f, 10, 42, out_a);
    double t_plain = cpu_s() - t0;
    tt_arena_reset();
    tt_kv_cache *c = tt_kv_cache_new(g, 1, 128);
    t0 = cpu_s();
    tt_gpt_generate_cached(g, c, prompt, n_prompt, n_new, 0.8f, 10, 42, out_b);
    double t_cached = cpu_s() - t0;
    tt_arena_reset();
    int same = memcmp(out_a, out_b, sizeof(int32_t) * (size_t)(n_prompt + n_new)) == 0;
    printf("GPT (2 blocks, width 64), prompt %lld tokens + %lld new, same seed, one thread (CPU time):\n", (long long)n_prompt,
           (long long)n_new);
    printf("  recompute the prefix every step  %8.1f tokens/s\n", (double)n_new / t_plain);
    printf("  KV cache (%zu bytes)          %8.1f tokens/s\n", tt_kv_cache_bytes(c), (double)n_new / t_cached);
    printf("  same tokens: %s\n", same ? "yes" : "NO");
    tt_kv_cache_free(c);
    tt_gpt_free(g);
    tt_set_num_threads(threads);
    printf("demo 18: KV cache %.1fx faster than recomputing, same tokens: %s\n", t_plain / t_cached,
           same ? "yes" : "no");
    return same ? 0 : 1;
}

typedef struct demo {
    int num;
    const char *what;
    int (*run)(void);
} demo;

/* 14: where a step's time and memory go, layer by layer */
static int demo_profiling(void)
{
    tt_rng rng;
    tt_rng_seed(&rng, 14);
    tt_layer *layers[3] = {tt_linear_new(784, 128, true, TT_INIT_KAIMING_UNIFORM, &rng), tt_relu_new(),
                           tt_linear_new(128, 10, true, TT_INIT_KAIMING_UNIFORM, &rng)};
    tt_layer *mlp = tt_sequential_new(3, layers);
    tt_tensor *x = tt_tensor_new_persistent(2, (const int64_t[]){64, 784});
    for (int64_t i = 0; i < x->numel; i++) {
        x->data[i] = (float)((i * 7919) % 255) / 255.0f;
    }
    int32_t labels[64];
    for (int i = 0; i < 64; i++) {
        labels[i] = i % 10;
    }
    tt_profile p;
    char err[256];
    if (tt_profile_sequential(mlp, x, labels, 3, &p, err, sizeof err)) {
        fprintf(stderr, "demo 14: %s\n", err);
        tt_tensor_free(x);
        tt_layer_free(mlp);
        return 1;
    }
    printf("%-3s %-10s %12s %12s %10s %12s\n", "#", "layer", "FLOPs", "bytes", "params", "fwd us");
    double flops = 0;
    for (int i = 0; i < p.n; i++) {
        const tt_prof_layer *l = &p.layers[i];
        printf("%-3d %-10s %12.0f %12.0f %10lld %12.1f\n", l->index, l->kind, l->flops, l->bytes,
               (long long)l->params, 1e6 * l->seconds);
        flops += l->flops;
    }
    printf("forward %.1f us, backward %.1f us per step; arena peak %zu bytes\n", 1e6 * p.forward_seconds,
           1e6 * p.backward_seconds, p.arena_peak_bytes);
    /* 2 FLOPs per multiply-add; bias adds and ReLU count one per element */
    printf("demo 14: MLP 784-128-10 at batch 64: %.0f forward FLOPs, %d of them in the two matmuls "
           "(2 x 64 x (784x128 + 128x10)); %lld parameters\n",
           flops, 2 * 64 * (784 * 128 + 128 * 10), (long long)p.params);
    tt_profile_free(&p);
    tt_tensor_free(x);
    tt_layer_free(mlp);
    return 0;
}

/* 15: int8 quantization of a few values: scale, zero point, round trip */
static int demo_quantization(void)
{
    const float x[6] = {-1.0f, -0.25f, 0.0f, 0.1f, 0.5f, 2.0f};
    tt_qparams q = tt_qparams_asym(-1.0f, 2.0f);
    int8_t qi[6];
    float back[6];
    tt_quantize_i8(x, 6, q, qi);
    tt_dequantize_i8(qi, 6, q, back);
    printf("range [-1, 2] -> scale %.6f (= 3 / 255), zero point %d\n", (double)q.scale, (int)q.zero_point);
    double worst = 0;
    for (int i = 0; i < 6; i++) {
        double e = fabs((double)back[i] - (double)x[i]);
        worst = e > worst ? e : worst;
        printf("  x = %6.3f -> q = %4d -> %8.5f (error %.5f)\n", (double)x[i], (int)qi[i], (double)back[i], e);
    }
    printf("demo 15: int8 round trip over [-1, 2]: largest error %.5f <= scale / 2 = %.5f, 0 exact: %s\n", worst,
           0.5 * (double)q.scale, back[2] == 0.0f ? "yes" : "no");
    return worst <= 0.5 * (double)q.scale + 1e-7 ? 0 : 1;
}

/* 16: magnitude pruning of an MLP, then 2:4 */
static int demo_compression(void)
{
    tt_rng rng;
    tt_rng_seed(&rng, 16);
    tt_layer *layers[3] = {tt_linear_new(64, 32, true, TT_INIT_KAIMING_UNIFORM, &rng), tt_relu_new(),
                           tt_linear_new(32, 10, true, TT_INIT_KAIMING_UNIFORM, &rng)};
    tt_layer *mlp = tt_sequential_new(3, layers);
    char err[256];
    printf("weights that are exactly 0: %.1f %%\n", 100.0 * tt_weight_sparsity(mlp));
    if (tt_prune_magnitude(mlp, 0.75, TT_PRUNE_GLOBAL, NULL, err, sizeof err)) {
        fprintf(stderr, "demo 16: %s\n", err);
        tt_layer_free(mlp);
        return 1;
    }
    double global = tt_weight_sparsity(mlp);
    printf("after global magnitude pruning at 75 %%: %.1f %% zero (the smallest |w| of both layers together)\n",
           100.0 * global);
    tt_layer_free(mlp);
    tt_rng_seed(&rng, 16);
    tt_layer *l2[3] = {tt_linear_new(64, 32, true, TT_INIT_KAIMING_UNIFORM, &rng), tt_relu_new(),
                       tt_linear_new(32, 10, true, TT_INIT_KAIMING_UNIFORM, &rng)};
    mlp = tt_sequential_new(3, l2);
    if (tt_prune_2of4(mlp, NULL, err, sizeof err)) {
        fprintf(stderr, "demo 16: %s\n", err);
        tt_layer_free(mlp);
        return 1;
    }
    double two4 = tt_weight_sparsity(mlp);
    printf("demo 16: magnitude pruning 75 %% -> %.1f %% zero weights; 2:4 -> %.1f %% zero (2 of every 4)\n",
           100.0 * global, 100.0 * two4);
    tt_layer_free(mlp);
    return 0;
}

/* 19: a measurement is a distribution: median, tail, spread, outliers */
static int demo_benchmarking(void)
{
    double t[21];
    for (int i = 0; i < 20; i++) {
        t[i] = 10.0 + 0.1 * (double)(i % 5); /* 10.0 .. 10.4 ms */
    }
    t[20] = 25.0; /* one run hit by another process */
    tt_stats st;
    if (tt_stats_compute(t, 21, &st)) {
        return 1;
    }
    printf("21 timings (ms): 20 between 10.0 and 10.4, one of 25.0\n");
    printf("  mean %.3f  median %.3f  p90 %.3f  stdev %.3f  cv %.3f\n", st.mean, st.p50, st.p90, st.stdev, st.cv);
    printf("  Tukey fences [%.3f, %.3f]: %zu high outlier(s)\n", st.fence_lo, st.fence_hi, st.outliers_hi);
    printf("demo 19: one slow run moves the mean to %.3f ms but the median stays %.3f ms; %zu outlier flagged\n",
           st.mean, st.p50, st.outliers_hi);
    return 0;
}

/* 20: the Pareto frontier of model variants */
static int demo_capstone(void)
{
    tt_pareto_point p[4] = {
        {"lenet5-fp32", 0.911, 0.00120, 246824.0, false},
        {"lenet5-int8", 0.910, 0.00055, 65654.0, false},
        {"lenet5-pruned", 0.901, 0.00070, 123412.0, false},
        {"mlp-fp32", 0.885, 0.00060, 407080.0, false},
    };
    int k = tt_pareto_mark(p, 4);
    for (int i = 0; i < 4; i++) {
        printf("  %-14s accuracy %.3f  latency %.2f ms  size %8.0f B  %s\n", p[i].name, p[i].accuracy,
               1e3 * p[i].latency_s, p[i].size_bytes, p[i].on_frontier ? "frontier" : "dominated");
    }
    printf("demo 20: %d of 4 variants on the Pareto frontier (accuracy up, latency and size down)\n", k);
    return 0;
}

static const demo demos[] = {
    {1, "views share storage, broadcasting", demo_tensor},
    {2, "activations on a few points, a stable softmax", demo_activations},
    {3, "Linear and MLP parameter counts", demo_layers},
    {4, "what cross-entropy and MSE values mean", demo_losses},
    {5, "batches, shuffling, drop_last", demo_dataloader},
    {6, "the gradient graph of y = a*b + exp(a)", demo_autograd},
    {7, "SGD, momentum and Adam on a parabola", demo_optimizers},
    {8, "a training loop that learns XOR", demo_training},
    {9, "LeNet-5's shape walk through convolutions and pooling", demo_conv},
    {10, "characters vs BPE tokens", demo_tokenization},
    {11, "embedding lookup, sinusoidal positions", demo_embeddings},
    {12, "causal attention weights, fused vs composed", demo_attention},
    {13, "a small GPT: parameters, shapes, initial loss", demo_transformer},
    {14, "per-layer FLOPs, bytes and time of an MLP step", demo_profiling},
    {15, "int8: scale, zero point and the round-trip error", demo_quantization},
    {16, "magnitude and 2:4 pruning", demo_compression},
    {17, "GEMM: naive -> i-k-j -> blocked -> SIMD, GFLOP/s", demo_acceleration},
    {18, "generation with and without the KV cache", demo_memoization},
    {19, "a timing distribution: median, tail, outliers", demo_benchmarking},
    {20, "the Pareto frontier of model variants", demo_capstone},
};

int tt_module_demo(const tt_module_info *m)
{
    for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++) {
        if (demos[i].num == m->num) {
            printf("== module %02d (%s): %s ==\n", m->num, m->title, demos[i].what);
            fflush(stdout);
            int rc = demos[i].run();
            tt_arena_reset();
            return rc;
        }
    }
    printf("module %02d (%s) has no demo yet; modules with one:", m->num, m->title);
    for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++) {
        printf(" %02d", demos[i].num);
    }
    printf("\n");
    return 2;
}

void tt_module_demo_list(FILE *f)
{
    for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++) {
        fprintf(f, "  %02d  %s\n", demos[i].num, demos[i].what);
    }
}
