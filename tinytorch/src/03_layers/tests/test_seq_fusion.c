/* test_seq_fusion.c - module 03: how a Sequential plans kernel fusion (nn.h, tt_layer_fusion).
 *
 * A test-only layer kind, "Shift" (y = x - 0.5), carries a fusion rule that absorbs the ReLU
 * layers right after it (at most `max_absorb`). The tests count how often the rule is asked and how
 * often the fused forward runs, so they show that the plan is made once, redone after every change
 * of children, that groups never cross a layer of another kind, and that the fused and the plain
 * forward give the same values and gradients. The real rule (Conv2d + ReLU + MaxPool2d(2)) is
 * tested in module 09's test_conv_fusion.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "tt_test.h"
#include "tinytorch/nn.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static int plans, fused_calls, max_absorb = 8, bad_plan;

static tt_tensor *shift_forward(tt_layer *self, tt_tensor *x)
{
    (void)self;
    return tt_add_scalar(x, -0.5f);
}

static void shift_destroy(tt_layer *self) { free(self); }

static int shift_plan(const tt_layer *self, tt_layer *const *next, int n)
{
    (void)self;
    plans++;
    if (bad_plan) {
        return n + 1; /* a broken rule: more layers than follow */
    }
    int k = 0;
    while (k < n && k < max_absorb && strcmp(next[k]->ops->kind, "ReLU") == 0) {
        k++;
    }
    return k;
}

/* relu(x - 0.5) repeated: ReLU is idempotent, so one ReLU computes any number of them */
static tt_tensor *shift_fused(tt_layer *self, int absorbed, tt_tensor *x)
{
    (void)self;
    assert_true(absorbed >= 1);
    fused_calls++;
    return tt_relu(tt_add_scalar(x, -0.5f));
}

static const tt_layer_ops shift_ops = {"Shift", shift_forward, NULL, NULL, shift_destroy, NULL};
static const tt_layer_fusion shift_fusion = {shift_plan, shift_fused};

static tt_layer *shift_new(void)
{
    tt_layer *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->ops = &shift_ops;
    l->training = true;
    l->fusion = &shift_fusion;
    return l;
}

static void reset_counts(void)
{
    plans = fused_calls = bad_plan = 0;
    max_absorb = 8;
}

/* The children's own forwards one after the other: what the Sequential computes without fusion. */
static tt_tensor *unfused(tt_layer *seq, tt_tensor *x)
{
    for (int i = 0; i < tt_sequential_len(seq); i++) {
        x = tt_layer_forward(tt_sequential_at(seq, i), x);
    }
    return x;
}

static void test_plan_groups(void **state)
{
    (void)state;
    reset_counts();
    /* groups: [Shift ReLU ReLU] [Tanh] [Shift] [Shift ReLU] */
    tt_layer *seq = tt_sequential_new(7, (tt_layer *[]){shift_new(), tt_relu_new(), tt_relu_new(), tt_tanh_new(),
                                                        shift_new(), shift_new(), tt_relu_new()});
    static const int want[7] = {3, 0, 0, 1, 1, 2, 0};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(tt_sequential_group_len(seq, i), want[i]);
    }
    assert_int_equal(plans, 3); /* once per Shift, for the whole plan */
    tt_tensor *x = tt_test_input(TT_SHAPE(4, 5), -2, 2, 7);
    tt_tensor *y = tt_layer_forward(seq, x);
    tt_tensor *y2 = tt_layer_forward(seq, x);
    assert_int_equal(plans, 3);       /* planned once: forwards reuse it */
    assert_int_equal(fused_calls, 4); /* two groups per forward */
    tt_tensor *u = unfused(seq, x);
    tt_assert_close(y->data, u->data, u->numel, 0, 0);
    tt_assert_close(y2->data, u->data, u->numel, 0, 0);
    /* a group runs on its own (what a profiler times) */
    tt_tensor *g = tt_sequential_forward_group(seq, 0, x);
    tt_tensor *g_ref = tt_relu(tt_add_scalar(x, -0.5f));
    tt_assert_close(g->data, g_ref->data, g->numel, 0, 0);
    EXPECT_FATAL(tt_sequential_forward_group(seq, 1, x), "computed by an earlier child's fused kernel");
    EXPECT_FATAL(tt_sequential_group_len(seq, 7), "index 7 out of range for 7 layers");
    tt_layer_free(seq);
}

static void test_replan_after_change(void **state)
{
    (void)state;
    reset_counts();
    tt_layer *seq = tt_sequential_new(2, (tt_layer *[]){shift_new(), tt_tanh_new()});
    tt_tensor *x = tt_test_input(TT_SHAPE(3, 4), -2, 2, 8);
    tt_layer_forward(seq, x);
    assert_int_equal(tt_sequential_group_len(seq, 0), 1); /* Tanh is not absorbed */
    assert_int_equal(fused_calls, 0);
    /* replacing the Tanh by a ReLU makes a group: the plan is made again at the next forward */
    tt_layer_free(tt_sequential_replace(seq, 1, tt_relu_new()));
    tt_tensor *y = tt_layer_forward(seq, x);
    assert_int_equal(fused_calls, 1);
    assert_int_equal(tt_sequential_group_len(seq, 0), 2);
    tt_tensor *u = unfused(seq, x);
    tt_assert_close(y->data, u->data, u->numel, 0, 0);
    /* an appended ReLU joins the group */
    tt_sequential_append(seq, tt_relu_new());
    assert_int_equal(tt_sequential_group_len(seq, 0), 3);
    /* a rule may absorb fewer than it could: the rest run alone */
    max_absorb = 1;
    tt_sequential_append(seq, tt_tanh_new()); /* any change replans */
    assert_int_equal(tt_sequential_group_len(seq, 0), 2);
    assert_int_equal(tt_sequential_group_len(seq, 2), 1);
    tt_layer_free(seq);
}

/* Gradients through the fused group equal those through the layers one by one, in train and eval. */
static void test_fused_gradients(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        reset_counts();
        tt_rng r;
        tt_rng_seed(&r, 3);
        tt_layer *seq = tt_sequential_new(4, (tt_layer *[]){tt_linear_new(6, 5, true, TT_INIT_PYTORCH, &r), shift_new(),
                                                            tt_relu_new(), tt_linear_new(5, 2, true, TT_INIT_PYTORCH, &r)});
        tt_layer_train(seq, mode == 0);
        const tt_params *p = tt_layer_parameters(seq);
        tt_tensor *x = tt_tensor_new_persistent(TT_SHAPE(7, 6)); /* lives across arena resets */
        for (int64_t i = 0; i < x->numel; i++) {
            x->data[i] = 2.0f * tt_rng_uniform(&r) - 1.0f;
        }
        float *g_fused[4], *g_plain[4];
        for (int pass = 0; pass < 2; pass++) {
            tt_zero_grad(p->t, p->n);
            tt_tensor *y = pass == 0 ? tt_layer_forward(seq, x) : unfused(seq, x);
            tt_backward(tt_sum(tt_mul(y, y), TT_ALL_AXES, false));
            for (int k = 0; k < p->n; k++) {
                float **dst = pass == 0 ? g_fused : g_plain;
                dst[k] = malloc((size_t)p->t[k]->numel * sizeof(float));
                memcpy(dst[k], p->t[k]->grad, (size_t)p->t[k]->numel * sizeof(float));
            }
            tt_arena_reset();
        }
        assert_int_equal(fused_calls, 1);
        for (int k = 0; k < p->n; k++) {
            tt_assert_close(g_fused[k], g_plain[k], p->t[k]->numel, 0, 0);
            free(g_fused[k]);
            free(g_plain[k]);
        }
        tt_tensor_free(x);
        tt_layer_free(seq);
    }
}

static tt_tensor *through_seq(tt_tensor **in, void *ctx) { return tt_layer_forward((tt_layer *)ctx, in[0]); }

/* The input gradient through a fused group against central differences. */
static void test_fused_gradcheck(void **state)
{
    (void)state;
    reset_counts();
    tt_layer *seq = tt_sequential_new(3, (tt_layer *[]){tt_tanh_new(), shift_new(), tt_relu_new()});
    /* tanh(x) in (-1, 1) shifted by -0.5: inputs away from the kink at tanh(x) = 0.5 */
    tt_tensor *x = tt_test_input(TT_SHAPE(3, 4), -2, 2, 21);
    for (int64_t i = 0; i < x->numel; i++) {
        if (fabsf(tanhf(x->data[i]) - 0.5f) < 0.05f) {
            x->data[i] += 0.3f;
        }
    }
    tt_gradcheck(through_seq, &x, 1, seq, 1e-3f, 1e-2);
    assert_true(fused_calls > 0);
    tt_layer_free(seq);
}

static void test_bad_rule_is_refused(void **state)
{
    (void)state;
    reset_counts();
    tt_layer *seq = tt_sequential_new(2, (tt_layer *[]){shift_new(), tt_relu_new()});
    bad_plan = 1;
    EXPECT_FATAL(tt_layer_forward(seq, tt_zeros(TT_SHAPE(2, 2))),
                 "Sequential: the Shift at index 0 asks to fuse 2 following layers (1 follow)");
    tt_layer_free(seq);
    reset_counts();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_plan_groups, teardown),
        cmocka_unit_test_teardown(test_replan_after_change, teardown),
        cmocka_unit_test_teardown(test_fused_gradients, teardown),
        cmocka_unit_test_teardown(test_fused_gradcheck, teardown),
        cmocka_unit_test_teardown(test_bad_rule_is_refused, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
