/* test_context.c - module 06: caller-owned contexts (an arena, a tape and a grad mode each). Step
 * memory of one context survives another's reset; a graph built in one context runs its backward
 * later, after the default context did a whole step; two threads train two models at once, each in
 * its own context, and end bit-identical to the same training run alone; misuse is an error. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tinytorch/gemm.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_memory_apart(void **state)
{
    (void)state;
    tt_context *a = tt_context_new();
    tt_context *prev = tt_context_use(a);
    assert_ptr_equal(tt_context_current(), a);
    tt_tensor *x = tt_full(TT_SHAPE(1000), 3.0f);
    size_t used_a = tt_arena_used_bytes();
    assert_true(used_a >= 4000);
    tt_context_use(prev);
    /* the default context resets and refills its own arena */
    tt_arena_reset();
    assert_true(tt_arena_used_bytes() == 0);
    tt_tensor *y = tt_full(TT_SHAPE(1000), -1.0f);
    assert_ptr_not_equal(x->data, y->data);
    for (int i = 0; i < 1000; i++) {
        assert_true(x->data[i] == 3.0f);
    }
    tt_context_use(a);
    assert_int_equal(tt_arena_used_bytes(), used_a);
    tt_no_grad_begin(); /* grad mode is per context too */
    tt_context_use(NULL);
    assert_true(tt_grad_enabled());
    tt_context_use(a);
    assert_false(tt_grad_enabled());
    tt_no_grad_end();
    EXPECT_FATAL(tt_context_free(a), "current on this thread");
    tt_context_use(NULL);
    EXPECT_FATAL(tt_context_free(tt_context_current()), "process default");
    tt_context_free(a);
    tt_context_free(NULL);
}

static void test_backward_later(void **state)
{
    (void)state;
    tt_tensor *p = tt_tensor_new_persistent(TT_SHAPE(4));
    for (int i = 0; i < 4; i++) {
        p->data[i] = (float)i;
    }
    tt_set_requires_grad(p, true);
    tt_context *a = tt_context_new();
    tt_context_use(a);
    tt_tensor *la = tt_sum(tt_mul(p, p), -1, false);   /* sum p^2: gradient 2p */
    tt_context_use(NULL);
    /* meanwhile the default context runs a whole graph and resets */
    tt_tensor *q = tt_tensor_new_persistent(TT_SHAPE(4));
    tt_set_requires_grad(q, true);
    tt_backward(tt_sum(tt_mul_scalar(q, 5.0f), -1, false));
    tt_arena_reset();
    for (int i = 0; i < 4; i++) {
        assert_true(q->grad[i] == 5.0f);
    }
    assert_null(p->grad);
    tt_context_use(a);
    tt_backward(la);
    tt_context_use(NULL);
    tt_assert_close(p->grad, (const float[]){0.0f, 2.0f, 4.0f, 6.0f}, 4, 0.0, 0.0);
    tt_context_free(a);
    tt_tensor_free(p);
    tt_tensor_free(q);
}

static tt_tensor *f_ops(tt_tensor **in, void *ctx)
{
    (void)ctx;
    return tt_mean(tt_mul(tt_relu(in[0]), tt_add(in[0], in[1])), -1, false);
}

static void test_gradcheck_in_a_context(void **state)
{
    (void)state;
    tt_context *a = tt_context_new();
    tt_context_use(a);
    tt_tensor *in[2] = {tt_test_input(TT_SHAPE(3, 5), -1, 1, 1), tt_test_input(TT_SHAPE(3, 5), -1, 1, 2)};
    tt_gradcheck(f_ops, in, 2, NULL, 1e-2f, 1e-2);
    assert_true(tt_arena_peak_bytes() > 0);
    tt_context_use(NULL);
    tt_context_free(a);
}

/* ---- two threads, two models, two contexts ------------------------------------------------------- */

typedef struct job { uint64_t seed; bool own_context; float out[16 * 8]; double loss; } job;

static void *train(void *arg)
{
    job *j = arg;
    tt_context *c = j->own_context ? tt_context_new() : NULL;
    tt_context_use(c);
    tt_rng r;
    tt_rng_seed(&r, j->seed);
    tt_layer *model = tt_mlp_new(3, (const int64_t[]){8, 16, 3}, &r);
    tt_optimizer *opt = tt_adam(tt_layer_parameters(model), (tt_adam_opts){.lr = 1e-2f});
    for (int s = 0; s < 40; s++) {
        tt_tensor *x = tt_rand_uniform(TT_SHAPE(32, 8), -1.0f, 1.0f, &r);
        int32_t *y = tt_arena_alloc(32 * sizeof *y);
        for (int i = 0; i < 32; i++) {
            y[i] = (int32_t)((x->data[i * 8] > 0.0f) + (x->data[i * 8 + 3] > 0.5f));
        }
        tt_batch b = {.x = x, .y = y, .size = 32, .index = s};
        tt_step_result res;
        tt_train_step(model, opt, &b, NULL, &res);
        j->loss = res.loss;
    }
    memcpy(j->out, tt_layer_parameters(model)->t[0]->data, sizeof j->out); /* 1.weight [16, 8] */
    tt_optim_free(opt);
    tt_layer_free(model);
    tt_context_use(NULL);
    tt_context_free(c);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    tt_set_num_threads(1);
    job alone[2] = {{.seed = 1}, {.seed = 2}};
    train(&alone[0]);                     /* one after the other, in the default context */
    train(&alone[1]);
    job par[2] = {{.seed = 1, .own_context = true}, {.seed = 2, .own_context = true}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, train, &par[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
    }
    for (int i = 0; i < 2; i++) {
        assert_memory_equal(par[i].out, alone[i].out, sizeof alone[i].out);
        assert_true(par[i].loss == alone[i].loss);
    }
    assert_memory_not_equal(par[0].out, par[1].out, sizeof par[0].out);
    print_message("two threads, two contexts: losses %.4f and %.4f, weights as trained alone\n",
                  par[0].loss, par[1].loss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_memory_apart, teardown),
        cmocka_unit_test_teardown(test_backward_later, teardown),
        cmocka_unit_test_teardown(test_gradcheck_in_a_context, teardown),
        cmocka_unit_test_teardown(test_threads, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
