/* test_optim.c - module 07: SGD, Adam, AdamW. Hand-worked first steps, weight decay (coupled vs
 * decoupled), parameters without gradients, learning-rate changes, state names and size, restoring
 * from saved state, argument errors, no heap allocation in a steady-state training step, and the
 * same bits on any number of threads.
 * (Ten-step agreement with torch.optim is in test_golden_core.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include "tt_test.h"
#include "tinytorch/gemm.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "../src/07_optimizers/optim_internal.h"

#include "tt_malloc_counter.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

/* One persistent parameter with given data, and its gradient set to g. */
static tt_tensor *param(int64_t n, const float *data, const float *g)
{
    tt_tensor *p = tt_tensor_new_persistent(1, &n);
    memcpy(p->data, data, (size_t)n * sizeof(float));
    tt_set_requires_grad(p, true);
    if (g) {
        memcpy(tt_grad_buf(p), g, (size_t)n * sizeof(float));
    }
    return p;
}

static void one_list(tt_params *ps, tt_tensor *p)
{
    tt_params_init(ps);
    tt_params_add(ps, "w", p);
}

static void test_sgd_steps(void **state)
{
    (void)state;
    tt_params ps;
    tt_tensor *p = param(2, (const float[]){1.0f, -2.0f}, (const float[]){0.5f, 1.0f});
    one_list(&ps, p);
    /* plain: p -= lr g */
    tt_optimizer *o = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f});
    tt_optim_step(o);
    tt_assert_close(p->data, (const float[]){0.95f, -2.1f}, 2, 1e-7, 0);
    assert_int_equal(tt_optim_state_bytes(o), 0);
    tt_optim_free(o);
    /* momentum 0.9, dampening 0.5: v1 = g (no dampening on the first step), v2 = 0.9 v1 + 0.5 g */
    p->data[0] = 1.0f;
    p->data[1] = -2.0f;
    o = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f, .dampening = 0.5f});
    assert_int_equal(tt_optim_state_bytes(o), 2 * sizeof(float)); /* one buffer: 1x the parameters */
    tt_optim_step(o);
    tt_optim_step(o); /* v2 = 0.45 + 0.25 = 0.7 and 0.9 + 0.5 = 1.4 */
    tt_assert_close(p->data, (const float[]){1.0f - 0.05f - 0.07f, -2.0f - 0.1f - 0.14f}, 2, 1e-6, 0);
    tt_optim_free(o);
    /* Nesterov + weight decay 0.1: d = g + 0.1 p = 0.6; v1 = d; p -= lr (d + mu v1) = 0.1 * 1.14 */
    p->data[0] = 1.0f;
    o = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.1f, .nesterov = true});
    tt_optim_step(o);
    assert_true(fabsf(p->data[0] - (1.0f - 0.114f)) < 1e-6f);
    tt_optim_free(o);
    tt_params_free(&ps);
    tt_tensor_free(p);
}

static void test_adam_first_step(void **state)
{
    (void)state;
    /* Step 1: m_hat = g, v_hat = g^2, so p -= lr g / (|g| + eps) = lr sign(g) (for |g| >> eps) */
    tt_params ps;
    tt_tensor *p = param(3, (const float[]){1, 1, 1}, (const float[]){0.5f, -3.0f, 1e-3f});
    one_list(&ps, p);
    tt_optimizer *o = tt_adam(&ps, (tt_adam_opts){.lr = 0.01f});
    assert_string_equal(tt_optim_name(o), "Adam");
    assert_int_equal(tt_optim_state_bytes(o), 2 * 3 * sizeof(float)); /* m and v: 2x the parameters */
    tt_optim_step(o);
    tt_assert_close(p->data, (const float[]){0.99f, 1.01f, 0.99f}, 3, 1e-6, 0);
    tt_params st;
    tt_params_init(&st);
    tt_optim_state(o, &st);
    assert_int_equal(st.n, 3);
    assert_string_equal(st.names[0], "exp_avg.w");
    assert_string_equal(st.names[1], "exp_avg_sq.w");
    assert_string_equal(st.names[2], "step.w");
    tt_assert_close(st.t[0]->data, (const float[]){0.05f, -0.3f, 1e-4f}, 3, 1e-6, 0); /* (1-b1) g */
    /* (1-b2) g^2, with 1-b2 rounded in float32 (0.000999987) */
    tt_assert_close(st.t[1]->data, (const float[]){0.25e-3f, 9e-3f, 1e-9f}, 3, 2e-5, 0);
    assert_true(st.t[2]->data[0] == 1.0f);
    tt_params_free(&st);
    tt_optim_free(o);
    tt_params_free(&ps);
    tt_tensor_free(p);
}

static void test_weight_decay_coupled_vs_decoupled(void **state)
{
    (void)state;
    /* g = 0: Adam's L2 term becomes the gradient (d = wd p = 0.2): step-1 update = lr sign(d) = 0.01;
     * AdamW shrinks p by lr wd p = 0.01 * 0.1 * 2 = 0.002 and then has no gradient to follow. */
    tt_params ps;
    tt_tensor *p = param(1, (const float[]){2.0f}, (const float[]){0.0f});
    one_list(&ps, p);
    tt_optimizer *a = tt_adam(&ps, (tt_adam_opts){.lr = 0.01f, .weight_decay = 0.1f});
    tt_optim_step(a);
    assert_true(fabsf(p->data[0] - 1.99f) < 1e-6f);
    tt_optim_free(a);
    p->data[0] = 2.0f;
    tt_optimizer *w = tt_adamw(&ps, (tt_adam_opts){.lr = 0.01f, .weight_decay = 0.1f});
    assert_int_equal(tt_optim_kind_of(w), TT_OPTIM_ADAMW);
    tt_optim_step(w);
    assert_true(fabsf(p->data[0] - 1.998f) < 1e-6f);
    tt_optim_free(w);
    /* SGD weight decay is coupled: p -= lr (g + wd p) */
    p->data[0] = 2.0f;
    tt_optimizer *s = tt_sgd(&ps, (tt_sgd_opts){.lr = 0.5f, .weight_decay = 0.1f});
    tt_optim_step(s);
    assert_true(fabsf(p->data[0] - 1.9f) < 1e-6f);
    tt_optim_free(s);
    tt_params_free(&ps);
    tt_tensor_free(p);
}

static void test_lr_zero_grad_and_skipped_params(void **state)
{
    (void)state;
    tt_params ps;
    tt_tensor *a = param(1, (const float[]){1.0f}, (const float[]){1.0f});
    tt_tensor *b = param(1, (const float[]){5.0f}, NULL); /* backward never reached it */
    tt_params_init(&ps);
    tt_params_add(&ps, "a", a);
    tt_params_add(&ps, "b", b);
    tt_optimizer *o = tt_adam(&ps, (tt_adam_opts){.lr = 0.1f, .weight_decay = 0.5f});
    tt_optim_step(o);
    assert_true(b->data[0] == 5.0f); /* untouched, even by weight decay */
    tt_params st;
    tt_params_init(&st);
    tt_optim_state(o, &st);
    assert_true(tt_params_find(&st, "step.a")->data[0] == 1.0f);
    assert_true(tt_params_find(&st, "step.b")->data[0] == 0.0f);
    tt_params_free(&st);
    tt_optim_set_lr(o, 0.0f);
    assert_true(tt_optim_get_lr(o) == 0.0f);
    float before = a->data[0];
    tt_optim_step(o);
    assert_true(a->data[0] == before);
    assert_int_equal(tt_optim_steps(o), 2);
    tt_optim_zero_grad(o);
    assert_non_null(a->grad); /* buffer kept, values zeroed */
    assert_true(a->grad[0] == 0.0f);
    assert_null(b->grad);
    tt_optim_free(o);
    tt_params_free(&ps);
    tt_tensor_free(a);
    tt_tensor_free(b);
}

static void test_errors(void **state)
{
    (void)state;
    tt_params ps;
    tt_tensor *p = param(1, (const float[]){1.0f}, NULL);
    one_list(&ps, p);
    EXPECT_FATAL(tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f, .nesterov = true}), "Nesterov momentum requires momentum > 0");
    EXPECT_FATAL(tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f, .dampening = 0.1f, .nesterov = true}), "zero dampening");
    EXPECT_FATAL(tt_adam(&ps, (tt_adam_opts){.lr = 0.1f, .beta1 = 1.0f}), "tt_adam: invalid betas (1, 0.999)");
    EXPECT_FATAL(tt_adamw(&ps, (tt_adam_opts){.lr = -1.0f, .weight_decay = TT_ZERO}), "invalid learning rate -1");
    tt_params bad;
    tt_params_init(&bad);
    tt_params_add(&bad, "step_tensor", tt_zeros(TT_SHAPE(2)));
    EXPECT_FATAL(tt_adam(&bad, (tt_adam_opts){.lr = 0.1f}), "\"step_tensor\" is not a persistent");
    tt_params_free(&bad);
    tt_params_free(&ps);
    tt_tensor_free(p);
}

/* ---- a small MLP: restoring from state, and no heap allocation per step ------------------------ */

static tt_layer *make_mlp(uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_layer *l[3] = {tt_linear_new(8, 16, true, TT_INIT_KAIMING_UNIFORM, &r), tt_relu_new(),
                      tt_linear_new(16, 4, true, TT_INIT_PYTORCH, &r)};
    return tt_sequential_new(3, l);
}

static const int32_t labels[8] = {0, 1, 2, 3, 3, 2, 1, 0};

static float train_step(tt_layer *net, tt_optimizer *o, const tt_tensor *xs)
{
    tt_optim_zero_grad(o);
    tt_tensor *x = tt_from_data(xs->ndim, xs->shape, xs->data);
    tt_tensor *loss = tt_cross_entropy(tt_layer_forward(net, x), labels);
    float l = tt_item(loss);
    tt_backward(loss);
    tt_optim_step(o);
    tt_arena_reset();
    return l;
}

static void test_restore_from_state(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 9);
    tt_tensor *xs = tt_tensor_new_persistent(2, (const int64_t[]){8, 8});
    for (int64_t i = 0; i < xs->numel; i++) {
        xs->data[i] = tt_rng_normal(&r);
    }
    tt_layer *n1 = make_mlp(1), *n2 = make_mlp(2);
    tt_params p1, p2, s1, s2;
    tt_params_init(&p1);
    tt_params_init(&p2);
    tt_layer_params(n1, &p1);
    tt_layer_params(n2, &p2);
    tt_optimizer *o1 = tt_adamw(&p1, (tt_adam_opts){.lr = 0.01f});
    tt_optimizer *o2 = tt_adamw(&p2, (tt_adam_opts){.lr = 0.01f});
    float first = train_step(n1, o1, xs);
    for (int i = 0; i < 4; i++) {
        train_step(n1, o1, xs);
    }
    /* copy parameters and optimizer state of run 1 into run 2, like loading a checkpoint */
    tt_params_init(&s1);
    tt_params_init(&s2);
    tt_optim_state(o1, &s1);
    tt_optim_state(o2, &s2);
    assert_int_equal(s1.n, 3 * 4);
    assert_string_equal(s1.names[0], "exp_avg.0.weight");
    for (int i = 0; i < p1.n; i++) {
        memcpy(p2.t[i]->data, p1.t[i]->data, tt_nbytes(p1.t[i]));
    }
    for (int i = 0; i < s1.n; i++) {
        assert_string_equal(s1.names[i], s2.names[i]);
        memcpy(s2.t[i]->data, s1.t[i]->data, tt_nbytes(s1.t[i]));
    }
    float l1 = 0, l2 = 0;
    for (int i = 0; i < 3; i++) {
        l1 = train_step(n1, o1, xs);
        l2 = train_step(n2, o2, xs);
    }
    assert_true(l1 == l2);
    for (int i = 0; i < p1.n; i++) {
        assert_memory_equal(p1.t[i]->data, p2.t[i]->data, tt_nbytes(p1.t[i]));
    }
    assert_true(l1 < first); /* and it learns */
    tt_params_free(&s1);
    tt_params_free(&s2);
    tt_optim_free(o1);
    tt_optim_free(o2);
    tt_params_free(&p1);
    tt_params_free(&p2);
    tt_layer_free(n1);
    tt_layer_free(n2);
    tt_tensor_free(xs);
}

static void test_no_heap_allocation_per_step(void **state)
{
    (void)state;
    tt_tensor *xs = tt_tensor_new_persistent(2, (const int64_t[]){8, 8});
    for (int64_t i = 0; i < xs->numel; i++) {
        xs->data[i] = (float)sin((double)i);
    }
    tt_layer *net = make_mlp(3);
    tt_params ps;
    tt_params_init(&ps);
    tt_layer_params(net, &ps);
    tt_optimizer *opts[3] = {tt_sgd(&ps, (tt_sgd_opts){.lr = 0.01f, .momentum = 0.9f, .weight_decay = 1e-4f, .nesterov = true}),
                             tt_adam(&ps, (tt_adam_opts){0}),
                             tt_adamw(&ps, (tt_adam_opts){0})};
    for (int k = 0; k < 3; k++) {
#ifdef TT_MALLOC_COUNTER
        long first = tt_mallocs;
#endif
        train_step(net, opts[k], xs); /* first step: gradient buffers and arena chunks */
        uint64_t chunks = tt_arena_heap_allocs();
#ifdef TT_MALLOC_COUNTER
        if (k == 0) { /* the counter works: it saw the gradient buffers being allocated */
            assert_true(tt_mallocs - first >= ps.n);
        }
        long before = tt_mallocs;
#endif
        for (int i = 0; i < 5; i++) {
            train_step(net, opts[k], xs);
        }
        assert_int_equal(tt_arena_heap_allocs(), chunks);
#ifdef TT_MALLOC_COUNTER
        assert_int_equal(tt_mallocs - before, 0);
#endif
    }
    for (int k = 0; k < 3; k++) {
        tt_optim_free(opts[k]);
    }
    tt_params_free(&ps);
    tt_layer_free(net);
    tt_tensor_free(xs);
}

/* The step and the zeroing cut the elements of all parameters into one range per thread: three
 * steps of each optimizer give the same bits on one, two and three threads. Sizes are odd (cuts fall
 * inside parameters, not on multiples of 16 of the whole list) and one parameter has no gradient.
 * spread: as after a split step (cut at 16,384 elements per thread); otherwise the first parameter is
 * large enough (600,001) for the cut a one-core step gets (262,144 per thread). */
static void run_threads(int threads, int kind, bool spread, float *out, int64_t *nout)
{
    enum { NP = 4 };
    const int64_t sizes[NP] = {spread ? 20001 : 600001, 7, 13333, 17777};
    tt_tensor *p[NP];
    tt_params ps;
    tt_params_init(&ps);
    tt_rng rng;
    tt_rng_seed(&rng, 5);
    for (int i = 0; i < NP; i++) {
        p[i] = tt_tensor_new_persistent(1, &sizes[i]);
        tt_set_requires_grad(p[i], true);
        for (int64_t k = 0; k < sizes[i]; k++) {
            p[i]->data[k] = tt_rng_uniform(&rng) - 0.5f;
        }
        if (i != 1) { /* parameter 1 never gets a gradient */
            tt_grad_buf(p[i]);
        }
        tt_params_add(&ps, i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "d", p[i]);
    }
    tt_optimizer *o = kind == 0   ? tt_sgd(&ps, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f, .weight_decay = 1e-3f})
                      : kind == 1 ? tt_adam(&ps, (tt_adam_opts){.lr = 1e-2f})
                                  : tt_adamw(&ps, (tt_adam_opts){.lr = 1e-2f});
    tt__optim_set_spread(o, spread);
    const int before = tt_get_num_threads();
    tt_set_num_threads(threads);
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < NP; i++) {
            for (int64_t k = 0; p[i]->grad && k < sizes[i]; k++) {
                p[i]->grad[k] = tt_rng_uniform(&rng) - 0.5f;
            }
        }
        tt_optim_step(o);
        tt_optim_zero_grad(o);
        for (int i = 0; i < NP; i++) {
            for (int64_t k = 0; p[i]->grad && k < sizes[i]; k++) {
                assert_true(p[i]->grad[k] == 0.0f);
            }
        }
    }
    tt_set_num_threads(before);
    *nout = 0;
    for (int i = 0; i < NP; i++) {
        memcpy(out + *nout, p[i]->data, (size_t)sizes[i] * sizeof(float));
        *nout += sizes[i];
    }
    tt_optim_free(o);
    tt_params_free(&ps);
    for (int i = 0; i < NP; i++) {
        tt_tensor_free(p[i]);
    }
}

static void test_step_threads_same_bits(void **state)
{
    (void)state;
    const int64_t cap = 600001 + 7 + 13333 + 17777;
    float *one = malloc((size_t)cap * sizeof(float)), *many = malloc((size_t)cap * sizeof(float));
    assert_non_null(one);
    assert_non_null(many);
    for (int spread = 1; spread >= 0; spread--) {
        for (int kind = 0; kind < 3; kind++) {
            int64_t n1, n2;
            run_threads(1, kind, spread, one, &n1);
            for (int threads = 2; threads <= 3; threads++) {
                run_threads(threads, kind, spread, many, &n2);
                assert_int_equal(n1, n2);
                assert_memory_equal(one, many, (size_t)n1 * sizeof(float));
            }
            assert_true(one[0] != 0.0f);
        }
    }
    free(one);
    free(many);
}

int main(void)
{
    (void)tt_gradcheck; /* shared test helpers this file does not use */
    (void)tt_test_input;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sgd_steps, teardown),
        cmocka_unit_test_teardown(test_adam_first_step, teardown),
        cmocka_unit_test_teardown(test_weight_decay_coupled_vs_decoupled, teardown),
        cmocka_unit_test_teardown(test_lr_zero_grad_and_skipped_params, teardown),
        cmocka_unit_test_teardown(test_errors, teardown),
        cmocka_unit_test_teardown(test_restore_from_state, teardown),
        cmocka_unit_test_teardown(test_no_heap_allocation_per_step, teardown),
        cmocka_unit_test_teardown(test_step_threads_same_bits, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
