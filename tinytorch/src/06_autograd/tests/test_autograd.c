/* test_autograd.c - module 06's engine on its own: the seed of backward, gradient accumulation
 * through a broadcast (a bias added to every row), no-grad regions, gradients that add up when a
 * tensor is used twice (a broadcast scalar too), tt_zero_grad, and a chain checked against central finite differences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"

static tt_tensor *param(int ndim, const int64_t *shape, float start, float step)
{
    tt_tensor *t = tt_tensor_new_persistent(ndim, shape);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = start + step * (float)i;
    }
    tt_set_requires_grad(t, true);
    return t;
}

/* d(sum x)/dx = 1 exactly: backward seeds dL/dL with 1. */
static void test_seed_is_one(void **state)
{
    (void)state;
    int64_t s[1] = {5};
    tt_tensor *x = param(1, s, -1.0f, 0.5f);
    tt_backward(tt_sum(x, 0, false));
    for (int i = 0; i < 5; i++) {
        assert_true(x->grad[i] == 1.0f);
    }
    tt_arena_reset();
    tt_tensor_free(x);
}

/* y = x + b with x [3, 4] and b [4]: b's gradient sums the 3 rows (3 each), x's is 1. */
static void test_bias_broadcast_sums_rows(void **state)
{
    (void)state;
    int64_t sx[2] = {3, 4}, sb[1] = {4};
    tt_tensor *b = param(1, sb, 0.1f, 0.1f);
    tt_tensor *x = param(2, sx, 0.0f, 1.0f);
    tt_backward(tt_sum(tt_sum(tt_add(x, b), -1, false), 0, false));
    for (int i = 0; i < 4; i++) {
        assert_true(b->grad[i] == 3.0f);
    }
    for (int i = 0; i < 12; i++) {
        assert_true(x->grad[i] == 1.0f);
    }
    tt_arena_reset();
    tt_tensor_free(b);
    tt_tensor_free(x);
}

/* Inside a no-grad region (one level or nested) nothing is recorded: results need no gradient, and a
 * backward through a later op leaves the parameter's gradient untouched. */
static void test_no_grad_records_nothing(void **state)
{
    (void)state;
    int64_t s[1] = {3};
    tt_tensor *w = param(1, s, 1.0f, 1.0f);
    tt_no_grad_begin();
    assert_false(tt_grad_enabled());
    tt_tensor *frozen = tt_mul(w, w);
    assert_false(tt_requires_grad(frozen));
    tt_no_grad_begin();
    assert_false(tt_requires_grad(tt_add(w, w)));
    tt_no_grad_end();
    assert_false(tt_requires_grad(tt_mul_scalar(w, 2.0f)));
    tt_no_grad_end();
    assert_true(tt_grad_enabled());
    /* frozen is a constant now: L = sum(frozen * w) gives dL/dw = frozen = w^2, not 3 w^2 */
    tt_backward(tt_sum(tt_mul(frozen, w), 0, false));
    for (int i = 0; i < 3; i++) {
        assert_true(w->grad[i] == w->data[i] * w->data[i]);
    }
    tt_arena_reset();
    tt_tensor_free(w);
}

/* A tensor read by two ops gets the sum of both paths: L = sum(x * x) + sum(3 x) -> 2x + 3; and a
 * second backward adds to the gradient until tt_zero_grad. */
static void test_gradients_accumulate(void **state)
{
    (void)state;
    int64_t s[1] = {4};
    tt_tensor *x = param(1, s, -1.0f, 1.0f);
    tt_tensor *l = tt_add(tt_sum(tt_mul(x, x), 0, false), tt_sum(tt_mul_scalar(x, 3.0f), 0, false));
    tt_backward(l);
    for (int i = 0; i < 4; i++) {
        assert_true(x->grad[i] == 2.0f * x->data[i] + 3.0f);
    }
    tt_arena_reset();
    tt_backward(tt_sum(x, 0, false));
    for (int i = 0; i < 4; i++) {
        assert_true(x->grad[i] == 2.0f * x->data[i] + 4.0f);
    }
    tt_zero_grad(&x, 1);
    for (int i = 0; i < 4; i++) {
        assert_true(x->grad[i] == 0.0f);
    }
    tt_arena_reset();
    tt_tensor_free(x);
}

/* A one-element tensor broadcast over [2, 3] and used twice: its gradient is the sum of every
 * element of both incoming gradients, added up (not the last path's alone). */
static void test_scalar_broadcast_accumulates(void **state)
{
    (void)state;
    int64_t sx[2] = {2, 3}, ss[1] = {1};
    tt_tensor *x = param(2, sx, 0.5f, 0.25f);
    tt_tensor *sc = param(1, ss, 2.0f, 0.0f);
    /* L = sum(x * s) + sum(x + s): dL/ds = sum(x) + 6 */
    tt_backward(tt_add(tt_sum(tt_sum(tt_mul(x, sc), -1, false), 0, false),
                       tt_sum(tt_sum(tt_add(x, sc), -1, false), 0, false)));
    float sum_x = 0.0f;
    for (int i = 0; i < 6; i++) {
        sum_x += x->data[i];
        assert_true(x->grad[i] == 2.0f + 1.0f);
    }
    assert_true(fabsf(sc->grad[0] - (sum_x + 6.0f)) <= 1e-5f);
    tt_arena_reset();
    tt_tensor_free(x);
    tt_tensor_free(sc);
}

/* L = mean((x W + b)^2) against central differences, for W and b. */
static double chain_loss(tt_tensor *x, tt_tensor *w, tt_tensor *b)
{
    tt_no_grad_begin();
    tt_tensor *y = tt_add(tt_matmul(x, w), b);
    double v = tt_mean(tt_mean(tt_mul(y, y), -1, false), 0, false)->data[0];
    tt_no_grad_end();
    return v;
}

static void test_chain_matches_finite_differences(void **state)
{
    (void)state;
    int64_t sx[2] = {4, 3}, sw[2] = {3, 2}, sb[1] = {2};
    tt_tensor *x = tt_tensor_new_persistent(2, sx);
    for (int i = 0; i < 12; i++) {
        x->data[i] = sinf(0.7f * (float)i);
    }
    tt_tensor *w = param(2, sw, -0.3f, 0.13f);
    tt_tensor *b = param(1, sb, 0.2f, -0.5f);
    tt_tensor *y = tt_add(tt_matmul(x, w), b);
    tt_backward(tt_mean(tt_mean(tt_mul(y, y), -1, false), 0, false));
    tt_tensor *ps[2] = {w, b};
    for (int p = 0; p < 2; p++) {
        for (int64_t i = 0; i < ps[p]->numel; i++) {
            float keep = ps[p]->data[i];
            const float h = 1e-2f;
            ps[p]->data[i] = keep + h;
            tt_arena_mark m = tt_arena_get_mark();
            double up = chain_loss(x, w, b);
            ps[p]->data[i] = keep - h;
            double down = chain_loss(x, w, b);
            tt_arena_release(m);
            ps[p]->data[i] = keep;
            double fd = (up - down) / (2.0 * h);
            assert_true(fabs(fd - ps[p]->grad[i]) <= 1e-3 * (1.0 + fabs(fd)));
        }
    }
    tt_arena_reset();
    tt_tensor_free(x);
    tt_tensor_free(w);
    tt_tensor_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_is_one),
        cmocka_unit_test(test_bias_broadcast_sums_rows),
        cmocka_unit_test(test_no_grad_records_nothing),
        cmocka_unit_test(test_gradients_accumulate),
        cmocka_unit_test(test_scalar_broadcast_accumulates),
        cmocka_unit_test(test_chain_matches_finite_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
