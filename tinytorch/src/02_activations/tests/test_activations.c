/* test_activations.c - module 02: ReLU, Sigmoid, Tanh, GELU (tanh and erf), Softmax, LogSoftmax.
 * Hand-worked values, numerical stability on extreme inputs, shape errors, and a finite-difference
 * gradient check of every activation (softmax along the last, a middle and the first axis). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tt_test.h"
#include "tinytorch/nn.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static void test_known_values(void **state)
{
    (void)state;
    tt_tensor *x = tt_from_data(TT_SHAPE(5), (const float[]){-2, -0.5f, 0, 0.5f, 2});
    tt_assert_close(tt_relu(x)->data, (const float[]){0, 0, 0, 0.5f, 2}, 5, 0, 0);
    /* sigmoid(x) = 1/(1+e^-x): sigmoid(2) = 0.880797078, sigmoid(-0.5) = 0.377540669 */
    tt_assert_close(tt_sigmoid(x)->data,
                    (const float[]){0.119202922f, 0.377540669f, 0.5f, 0.622459331f, 0.880797078f}, 5,
                    1e-6, 1e-7);
    /* tanh(0.5) = 0.462117157, tanh(2) = 0.964027580 */
    tt_assert_close(tt_tanh(x)->data,
                    (const float[]){-0.964027580f, -0.462117157f, 0, 0.462117157f, 0.964027580f}, 5,
                    1e-6, 1e-7);
    /* GELU exact: x * Phi(x); Phi(2) = 0.977249868, Phi(0.5) = 0.691462461 */
    tt_assert_close(tt_gelu_erf(x)->data,
                    (const float[]){-2 * (1 - 0.977249868f), -0.5f * (1 - 0.691462461f), 0,
                                    0.5f * 0.691462461f, 2 * 0.977249868f},
                    5, 1e-5, 1e-7);
    /* GELU tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), evaluated in double:
     * gelu_tanh(2) = 1.954597694, gelu_tanh(0.5) = 0.345714010 */
    tt_tensor *g = tt_gelu(x);
    assert_true(fabs(g->data[4] - 1.954597694) < 1e-5);
    assert_true(fabs(g->data[3] - 0.345714010) < 1e-5);
    assert_true(g->data[2] == 0.0f);
    /* the tanh approximation stays within 1e-3 of the exact GELU on [-2, 2] */
    tt_tensor *e = tt_gelu_erf(x);
    for (int i = 0; i < 5; i++) {
        assert_true(fabs(g->data[i] - e->data[i]) < 1e-3);
    }
}

static void test_softmax_values(void **state)
{
    (void)state;
    /* softmax([1, 2, 3]) = e^k / (e + e^2 + e^3) = [0.0900305732, 0.244728471, 0.665240956] */
    tt_tensor *x = tt_from_data(TT_SHAPE(2, 3), (const float[]){1, 2, 3, 1001, 1002, 1003});
    tt_tensor *s = tt_softmax(x, -1);
    const float want[] = {0.0900305732f, 0.244728471f, 0.665240956f};
    tt_assert_close(s->data, want, 3, 1e-6, 1e-7);
    tt_assert_close(s->data + 3, want, 3, 1e-6, 1e-7); /* shift invariance, no overflow at 1000 */
    tt_tensor *ls = tt_log_softmax(x, 1);
    for (int i = 0; i < 6; i++) { /* row 2: x - lse near 1000, where a float step is 6e-5 */
        assert_true(fabs(ls->data[i] - logf(want[i % 3])) < (i < 3 ? 1e-6 : 1.5e-4));
    }
    /* softmax along axis 0 of a [2, 3]: each column sums to 1 */
    tt_tensor *c = tt_softmax(tt_from_data(TT_SHAPE(2, 3), (const float[]){0, 1, 2, 3, 4, 5}), 0);
    for (int j = 0; j < 3; j++) {
        assert_true(fabs(c->data[j] + c->data[3 + j] - 1.0f) < 1e-6);
        assert_true(fabs(c->data[j] - 0.0474258732f) < 1e-6); /* 1 / (1 + e^3) */
    }
}

static void test_stability(void **state)
{
    (void)state;
    tt_tensor *x = tt_from_data(TT_SHAPE(4), (const float[]){-1000, -90, 90, 1000});
    tt_tensor *s = tt_sigmoid(x);
    for (int i = 0; i < 4; i++) {
        assert_true(isfinite(s->data[i]));
    }
    /* exp saturates at 1.2e-38 (vmath.h), so sigmoid(-1000) is that tiny value, not exactly 0 */
    assert_true(s->data[0] >= 0.0f && s->data[0] < 1e-37f && s->data[3] == 1.0f);
    tt_tensor *nan = tt_sigmoid(tt_from_data(TT_SHAPE(1), (const float[]){NAN}));
    assert_true(isnan(nan->data[0])); /* NaN propagates */
    tt_tensor *t = tt_tanh(x);
    assert_true(t->data[0] == -1.0f && t->data[3] == 1.0f);
    tt_tensor *g = tt_gelu(x), *ge = tt_gelu_erf(x);
    assert_true(g->data[3] == 1000.0f && ge->data[3] == 1000.0f);
    assert_true(fabsf(g->data[0]) < 1e-6f && fabsf(ge->data[0]) < 1e-6f);
    tt_tensor *ls = tt_log_softmax(x, 0);
    assert_true(isfinite(ls->data[0]) && fabs(ls->data[0] + 2000.0) < 1e-2);
    assert_true(fabs(ls->data[3]) < 1e-6);
}

static void test_shape_errors(void **state)
{
    (void)state;
    tt_tensor *x = tt_zeros(TT_SHAPE(2, 3));
    EXPECT_FATAL(tt_softmax(x, 2), "tt_softmax: axis 2 out of range for shape [2, 3]");
    EXPECT_FATAL(tt_log_softmax(x, -3), "tt_log_softmax: axis -3 out of range");
}

/* ---- gradient checks --------------------------------------------------------------------------- */

static tt_tensor *g_relu(tt_tensor **in, void *c) { (void)c; return tt_relu(in[0]); }
static tt_tensor *g_sigmoid(tt_tensor **in, void *c) { (void)c; return tt_sigmoid(in[0]); }
static tt_tensor *g_tanh(tt_tensor **in, void *c) { (void)c; return tt_tanh(in[0]); }
static tt_tensor *g_gelu(tt_tensor **in, void *c) { (void)c; return tt_gelu(in[0]); }
static tt_tensor *g_gelu_erf(tt_tensor **in, void *c) { (void)c; return tt_gelu_erf(in[0]); }
static tt_tensor *g_softmax(tt_tensor **in, void *c) { return tt_softmax(in[0], *(int *)c); }
static tt_tensor *g_log_softmax(tt_tensor **in, void *c) { return tt_log_softmax(in[0], *(int *)c); }

static void test_gradcheck(void **state)
{
    (void)state;
    tt_tensor *x = tt_test_input(TT_SHAPE(3, 7), -3, 3, 11);
    /* ReLU's kink at 0: keep inputs away from it so central differences are valid */
    for (int64_t i = 0; i < x->numel; i++) {
        if (fabsf(x->data[i]) < 0.05f) {
            x->data[i] = 0.3f;
        }
    }
    tt_gradcheck(g_relu, &x, 1, NULL, 1e-2f, 1e-2);
    tt_gradcheck(g_sigmoid, &x, 1, NULL, 1e-2f, 1e-2);
    tt_gradcheck(g_tanh, &x, 1, NULL, 1e-2f, 1e-2);
    tt_gradcheck(g_gelu, &x, 1, NULL, 1e-2f, 1e-2);
    tt_gradcheck(g_gelu_erf, &x, 1, NULL, 1e-2f, 1e-2);
    tt_tensor *y = tt_test_input(TT_SHAPE(2, 3, 4), -2, 2, 12);
    for (int axis = -1; axis <= 2; axis++) {
        tt_gradcheck(g_softmax, &y, 1, &axis, 1e-2f, 1e-2);
        tt_gradcheck(g_log_softmax, &y, 1, &axis, 1e-2f, 1e-2);
    }
}

/* Composition: gradients accumulate when the same input feeds two activations. */
static void test_gradient_accumulates(void **state)
{
    (void)state;
    tt_tensor *x = tt_from_data(TT_SHAPE(2), (const float[]){1.0f, -1.0f});
    tt_set_requires_grad(x, true);
    tt_tensor *l = tt_sum(tt_add(tt_relu(x), tt_tanh(x)), TT_ALL_AXES, false);
    tt_backward(l);
    /* d/dx (relu + tanh) = [x > 0] + 1 - tanh^2 */
    double t1 = tanh(1.0);
    tt_assert_close(x->grad, (const float[]){(float)(2.0 - t1 * t1), (float)(1.0 - t1 * t1)}, 2, 1e-6,
                    1e-7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_known_values, teardown),
        cmocka_unit_test_teardown(test_softmax_values, teardown),
        cmocka_unit_test_teardown(test_stability, teardown),
        cmocka_unit_test_teardown(test_shape_errors, teardown),
        cmocka_unit_test_teardown(test_gradcheck, teardown),
        cmocka_unit_test_teardown(test_gradient_accumulates, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
