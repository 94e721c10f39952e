/* test_losses.c - module 04: MSE, cross-entropy from logits with label indices, BCE with logits.
 * Hand-worked values, stability on extreme logits, errors (shapes, labels), the fused cross-entropy
 * gradient (softmax - onehot)/N, and finite-difference gradient checks of every loss input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tinytorch/nn.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_mse_values(void **state)
{
    (void)state;
    tt_tensor *p = tt_from_data(TT_SHAPE(2, 2), (const float[]){1, 2, 3, 4});
    tt_tensor *t = tt_from_data(TT_SHAPE(2, 2), (const float[]){1, 0, 5, 3});
    tt_tensor *l = tt_mse_loss(p, t);
    assert_int_equal(l->ndim, 0);
    assert_true(tt_item(l) == 2.25f); /* (0 + 4 + 4 + 1) / 4 */
    assert_true(tt_item(tt_mse_loss(p, p)) == 0.0f);
    EXPECT_FATAL(tt_mse_loss(p, tt_zeros(TT_SHAPE(4))), "tt_mse_loss: shapes [2, 2] and [4] differ");
}

static void test_cross_entropy_values(void **state)
{
    (void)state;
    /* uniform logits over 3 classes: loss = log 3 whatever the label */
    tt_tensor *u = tt_zeros(TT_SHAPE(2, 3));
    assert_true(fabs(tt_item(tt_cross_entropy(u, (const int32_t[]){0, 2})) - log(3.0)) < 1e-6);
    /* confident and right: loss ~ 0; confident and wrong: loss ~ 20 */
    tt_tensor *c = tt_from_data(TT_SHAPE(1, 3), (const float[]){20, 0, 0});
    assert_true(tt_item(tt_cross_entropy(c, (const int32_t[]){0})) < 1e-7);
    assert_true(fabs(tt_item(tt_cross_entropy(c, (const int32_t[]){1})) - 20.0) < 1e-4);
    /* hand-worked: logits [1, 2, 3], label 2: lse = 3.40760596, loss = 0.40760596 */
    tt_tensor *h = tt_from_data(TT_SHAPE(3), (const float[]){1, 2, 3});
    assert_true(fabs(tt_item(tt_cross_entropy(h, (const int32_t[]){2})) - 0.40760596) < 1e-6);
    /* extreme logits: finite */
    tt_tensor *x = tt_from_data(TT_SHAPE(2, 2), (const float[]){1e4f, -1e4f, -3e4f, 3e4f});
    float l = tt_item(tt_cross_entropy(x, (const int32_t[]){1, 0}));
    assert_true(isfinite(l) && fabs(l - 40000.0) < 1.0);
}

static void test_cross_entropy_gradient_is_softmax_minus_onehot(void **state)
{
    (void)state;
    tt_tensor *x = tt_from_data(TT_SHAPE(2, 3), (const float[]){1, 2, 3, 0, 0, 0});
    tt_set_requires_grad(x, true);
    tt_backward(tt_cross_entropy(x, (const int32_t[]){2, 1}));
    const float p0 = 0.0900305732f, p1 = 0.244728471f, p2 = 0.665240956f, t = 1.0f / 3;
    tt_assert_close(x->grad, (const float[]){p0 / 2, p1 / 2, (p2 - 1) / 2, t / 2, (t - 1) / 2, t / 2},
                    6, 1e-6, 1e-7);
}

static void test_cross_entropy_errors(void **state)
{
    (void)state;
    tt_tensor *x = tt_zeros(TT_SHAPE(2, 3));
    EXPECT_FATAL(tt_cross_entropy(x, (const int32_t[]){0, 3}),
                 "tt_cross_entropy: label 3 at row 1 outside [0, 3) for logits [2, 3]");
    EXPECT_FATAL(tt_cross_entropy(x, (const int32_t[]){-1, 0}), "label -1 at row 0");
    EXPECT_FATAL(tt_cross_entropy(tt_scalar(1.0f), (const int32_t[]){0}), "tt_cross_entropy: logits []");
}

static void test_bce_values(void **state)
{
    (void)state;
    /* x = 0: loss = log 2 for any target; x = 2, y = 1: log(1 + e^-2) = 0.126928011 */
    tt_tensor *x = tt_from_data(TT_SHAPE(2), (const float[]){0, 2});
    tt_tensor *y = tt_from_data(TT_SHAPE(2), (const float[]){0.3f, 1});
    assert_true(fabs(tt_item(tt_bce_with_logits(x, y)) - (log(2.0) + 0.126928011) / 2) < 1e-6);
    /* extreme logits, right and wrong: 0 and 100 per element, never inf/NaN */
    tt_tensor *e = tt_from_data(TT_SHAPE(4), (const float[]){100, -100, 100, -100});
    tt_tensor *t = tt_from_data(TT_SHAPE(4), (const float[]){1, 0, 0, 1});
    float l = tt_item(tt_bce_with_logits(e, t));
    assert_true(isfinite(l) && fabs(l - 50.0) < 1e-4);
    EXPECT_FATAL(tt_bce_with_logits(x, tt_zeros(TT_SHAPE(2, 1))),
                 "tt_bce_with_logits: shapes [2] and [2, 1] differ");
}

/* ---- gradient checks --------------------------------------------------------------------------- */

static tt_tensor *g_mse(tt_tensor **in, void *c) { (void)c; return tt_mse_loss(in[0], in[1]); }
static tt_tensor *g_bce(tt_tensor **in, void *c) { (void)c; return tt_bce_with_logits(in[0], in[1]); }
static tt_tensor *g_ce(tt_tensor **in, void *c) { return tt_cross_entropy(in[0], (const int32_t *)c); }
/* The loss of a loss: the seed scales through (checks that backward reads its output gradient). */
static tt_tensor *g_ce_scaled(tt_tensor **in, void *c)
{
    return tt_mul_scalar(tt_cross_entropy(in[0], (const int32_t *)c), 3.0f);
}

static void test_gradcheck(void **state)
{
    (void)state;
    tt_tensor *p = tt_test_input(TT_SHAPE(3, 4), -2, 2, 21), *t = tt_test_input(TT_SHAPE(3, 4), -2, 2, 22);
    tt_gradcheck(g_mse, (tt_tensor *[]){p, t}, 2, NULL, 1e-2f, 1e-2);
    tt_tensor *x = tt_test_input(TT_SHAPE(3, 4), -4, 4, 23), *y = tt_test_input(TT_SHAPE(3, 4), 0, 1, 24);
    tt_gradcheck(g_bce, (tt_tensor *[]){x, y}, 2, NULL, 1e-2f, 1e-2);
    int32_t labels[6] = {0, 4, 2, 2, 1, 3};
    tt_tensor *l2 = tt_test_input(TT_SHAPE(6, 5), -3, 3, 25);
    tt_gradcheck(g_ce, &l2, 1, labels, 1e-2f, 1e-2);
    tt_gradcheck(g_ce_scaled, &l2, 1, labels, 1e-2f, 1e-2);
    tt_tensor *l3 = tt_test_input(TT_SHAPE(2, 3, 5), -3, 3, 26); /* [..., C]: N = 6 rows */
    tt_gradcheck(g_ce, &l3, 1, labels, 1e-2f, 1e-2);
}

/* No gradient wanted: no node recorded, no gradient buffer written. */
static void test_no_grad(void **state)
{
    (void)state;
    tt_tensor *x = tt_test_input(TT_SHAPE(2, 3), -1, 1, 27);
    tt_no_grad_begin();
    tt_tensor *l = tt_cross_entropy(x, (const int32_t[]){0, 1});
    tt_no_grad_end();
    assert_null(l->node);
    assert_false(tt_requires_grad(l));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_mse_values, teardown),
        cmocka_unit_test_teardown(test_cross_entropy_values, teardown),
        cmocka_unit_test_teardown(test_cross_entropy_gradient_is_softmax_minus_onehot, teardown),
        cmocka_unit_test_teardown(test_cross_entropy_errors, teardown),
        cmocka_unit_test_teardown(test_bce_values, teardown),
        cmocka_unit_test_teardown(test_gradcheck, teardown),
        cmocka_unit_test_teardown(test_no_grad, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
