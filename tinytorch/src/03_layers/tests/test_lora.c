/* test_lora.c - module 03: LoRA adapters. The adapted layer starts equal to its base; training moves
 * only A and B (the base's bytes stay the same); merging gives the unmerged outputs within 1e-6;
 * the trainable parameter count; gradients of A and B by finite differences; errors. */
#define _POSIX_C_SOURCE 200809L /* M_PI */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_starts_equal_to_base(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_layer *lin = tt_linear_new(6, 5, true, TT_INIT_PYTORCH, &r);
    tt_tensor *x = tt_test_input(TT_SHAPE(4, 6), -1, 1, 2);
    tt_tensor *y0 = tt_layer_forward(lin, x);
    tt_layer *lo = tt_lora_new(lin, (tt_lora_opts){.rank = 2}, &r);
    tt_tensor *y1 = tt_layer_forward(lo, x);
    assert_memory_equal(y0->data, y1->data, tt_nbytes(y0)); /* B = 0: the update adds exact zeros */
    const tt_params *p = tt_layer_parameters(lo);
    assert_int_equal(p->n, 4);
    assert_string_equal(p->names[0], "weight");
    assert_string_equal(p->names[1], "bias");
    assert_string_equal(p->names[2], "lora_A");
    assert_string_equal(p->names[3], "lora_B");
    assert_false(tt_requires_grad(p->t[0]));
    assert_false(tt_requires_grad(p->t[1]));
    assert_int_equal(tt_params_numel(p), 6 * 5 + 5 + 2 * 6 + 5 * 2);
    assert_int_equal(tt_params_trainable_numel(p), 2 * 6 + 5 * 2);
    tt_layer_free(lo);
}

static tt_tensor *f_lora(tt_tensor **in, void *ctx)
{
    tt_lora_layer *l = ctx;
    /* in[0] = x, in[1] = A, in[2] = B (step copies standing in for the parameters) */
    tt_tensor *A = l->A, *B = l->B;
    l->A = in[1];
    l->B = in[2];
    tt_tensor *y = tt_layer_forward(&l->base, in[0]);
    l->A = A;
    l->B = B;
    return y;
}

static void test_gradients(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 3);
    tt_layer *lo = tt_lora_new(tt_linear_new(5, 4, true, TT_INIT_PYTORCH, &r),
                               (tt_lora_opts){.rank = 3, .alpha = 6.0f}, &r);
    tt_tensor *in[3] = {tt_test_input(TT_SHAPE(3, 5), -1, 1, 4), tt_test_input(TT_SHAPE(3, 5), -1, 1, 5),
                        tt_test_input(TT_SHAPE(4, 3), -1, 1, 6)}; /* B non-zero so A gets a gradient */
    tt_gradcheck(f_lora, in, 3, lo, 1e-2f, 1e-2);
    tt_layer_free(lo);
}

static void test_only_adapters_train_and_merge(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 7);
    tt_layer *model = tt_mlp_new(3, (const int64_t[]){8, 16, 3}, &r);
    int64_t full = tt_params_trainable_numel(tt_layer_parameters(model));
    assert_int_equal(tt_lora_apply(model, (tt_lora_opts){.rank = 2}, &r), 2);
    const tt_params *p = tt_layer_parameters(model);
    assert_int_equal(tt_params_numel(p), full + 2 * (8 + 16) + 2 * (16 + 3));
    assert_int_equal(tt_params_trainable_numel(p), 2 * (8 + 16) + 2 * (16 + 3));
    assert_non_null(tt_params_find(p, "1.weight"));     /* the base keeps its checkpoint names */
    assert_non_null(tt_params_find(p, "3.lora_B"));
    float *before[16];
    for (int i = 0; i < p->n; i++) {
        before[i] = malloc(tt_nbytes(p->t[i]));
        memcpy(before[i], p->t[i]->data, tt_nbytes(p->t[i]));
    }
    tt_optimizer *opt = tt_adam(p, (tt_adam_opts){.lr = 1e-2f});
    for (int s = 0; s < 5; s++) {
        tt_tensor *x = tt_test_input(TT_SHAPE(16, 8), -1, 1, 100 + (uint64_t)s);
        int32_t *y = tt_arena_alloc(16 * sizeof *y);
        for (int i = 0; i < 16; i++) {
            y[i] = (int32_t)((x->data[i * 8] > 0.0f) + (x->data[i * 8 + 1] > 0.0f));
        }
        tt_batch b = {.x = x, .y = y, .size = 16, .index = s};
        assert_int_equal(tt_train_step(model, opt, &b, NULL, NULL), 0);
    }
    for (int i = 0; i < p->n; i++) {
        bool adapter = strstr(p->names[i], "lora_") != NULL;
        bool same = memcmp(before[i], p->t[i]->data, tt_nbytes(p->t[i])) == 0;
        if (adapter != !same) {
            fail_msg("%s: %s after training", p->names[i], same ? "unchanged" : "changed");
        }
        free(before[i]);
    }
    /* merge: the same outputs from one Linear per layer */
    tt_tensor *x = tt_test_input(TT_SHAPE(32, 8), -2, 2, 200);
    tt_tensor *y0 = tt_layer_forward(model, x);
    assert_int_equal(tt_lora_merge(model), 2);
    assert_int_equal(tt_lora_merge(model), 0);
    tt_tensor *y1 = tt_layer_forward(model, x);
    double worst = 0.0;
    for (int64_t i = 0; i < y0->numel; i++) {
        worst = fmax(worst, fabs((double)y0->data[i] - (double)y1->data[i]));
    }
    print_message("lora merge: max |merged - unmerged| = %.3g\n", worst);
    tt_assert_close(y1->data, y0->data, y0->numel, 0.0, 1e-6);
    tt_optim_free(opt);
    tt_layer_free(model);
}

/* ---- the fine-tuning example of module 03's ABOUT.md --------------------------------------------- */

/* Points in [-1, 1]^2 labelled by which of 8 angular sectors they fall in, the sectors turned by
 * `turn` radians (task A: 0; task B: half a sector, so half of every sector changes label). */
static void sectors(tt_rng *r, int64_t n, float turn, tt_tensor **x, int32_t **y)
{
    *x = tt_empty(TT_SHAPE(n, 2));
    *y = tt_arena_alloc((size_t)n * sizeof **y);
    for (int64_t i = 0; i < n; i++) {
        float a = 2.0f * tt_rng_uniform(r) - 1.0f, b = 2.0f * tt_rng_uniform(r) - 1.0f;
        (*x)->data[2 * i] = a;
        (*x)->data[2 * i + 1] = b;
        double ang = atan2((double)b, (double)a) + M_PI + (double)turn;
        (*y)[i] = (int32_t)((int64_t)floor(ang / (M_PI / 4.0)) % 8);
    }
}

static double accuracy(tt_layer *model, float turn)
{
    tt_arena_mark m = tt_arena_get_mark();
    tt_rng r;
    tt_rng_seed(&r, 777); /* the same 4,000 test points every time */
    tt_tensor *x;
    int32_t *y;
    sectors(&r, 4000, turn, &x, &y);
    tt_no_grad_begin();
    int64_t ok = tt_count_correct(tt_layer_forward(model, x), y);
    tt_no_grad_end();
    tt_arena_release(m);
    return (double)ok / 4000.0;
}

static void train(tt_layer *model, float turn, int steps, uint64_t seed)
{
    tt_optimizer *opt = tt_adam(tt_layer_parameters(model), (tt_adam_opts){.lr = 1e-2f});
    tt_rng r;
    tt_rng_seed(&r, seed);
    for (int s = 0; s < steps; s++) {
        tt_batch b = {.size = 128, .index = s};
        sectors(&r, 128, turn, &b.x, &b.y);
        assert_int_equal(tt_train_step(model, opt, &b, NULL, NULL), 0);
    }
    tt_optim_free(opt);
}

static void test_finetune_example(void **state)
{
    (void)state;
    const float half = (float)(M_PI / 8.0);
    tt_rng r;
    tt_rng_seed(&r, 42);
    tt_layer *model = tt_mlp_new(4, (const int64_t[]){2, 64, 64, 8}, &r);
    train(model, 0.0f, 600, 1);                     /* pretrain on task A */
    double a_before = accuracy(model, 0.0f), b_before = accuracy(model, half);
    int64_t full = tt_params_trainable_numel(tt_layer_parameters(model));
    tt_lora_apply(model, (tt_lora_opts){.rank = 4}, &r);
    int64_t lora = tt_params_trainable_numel(tt_layer_parameters(model));
    train(model, half, 600, 2);                     /* fine-tune on task B: only A and B move */
    double b_after = accuracy(model, half);
    tt_lora_merge(model);
    double b_merged = accuracy(model, half);
    print_message("lora example: task A %.3f; task B %.3f before, %.3f after LoRA r=4 (%.3f merged);"
                  " trainable %lld of %lld parameters\n", a_before, b_before, b_after, b_merged,
                  (long long)lora, (long long)full);
    assert_true(a_before > 0.9);
    assert_true(b_before < 0.7);
    assert_true(b_after > b_before + 0.2);
    assert_true(fabs(b_merged - b_after) <= 1.0 / 4000.0); /* at most one test point flips */
    tt_layer_free(model);
}

static void test_errors(void **state)
{
    (void)state;
    tt_layer *relu = tt_relu_new();
    EXPECT_FATAL(tt_lora_new(relu, (tt_lora_opts){0}, NULL), "LoRA adapts a Linear layer");
    EXPECT_FATAL(tt_lora_apply(relu, (tt_lora_opts){0}, NULL), "it walks Sequentials");
    tt_layer_free(relu);
    tt_layer *lin = tt_linear_new(4, 3, false, TT_INIT_PYTORCH, NULL);
    EXPECT_FATAL(tt_lora_new(lin, (tt_lora_opts){.rank = 4}, NULL), "rank 4 for a Linear 4 -> 3");
    tt_layer_free(lin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_starts_equal_to_base, teardown),
        cmocka_unit_test_teardown(test_gradients, teardown),
        cmocka_unit_test_teardown(test_only_adapters_train_and_merge, teardown),
        cmocka_unit_test_teardown(test_finetune_example, teardown),
        cmocka_unit_test_teardown(test_errors, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
