/* tt_test.h - shared helpers for TinyTorch's tests (header-only, included by test_*.c):
 *   - catching tt_fatal() (shape errors) with setjmp/longjmp,
 *   - finite-difference gradient checks,
 *   - reading golden files written by tests/golden/make_golden.py.
 * Include after <setjmp.h>, <stdarg.h>, <stddef.h> and <cmocka.h>. */
#ifndef TT_TEST_H
#define TT_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"

/* ---- expecting a fatal error ------------------------------------------------------------------- */

static jmp_buf tt_test_jmp;
static char tt_test_msg[512];

static void tt_test_on_error(const char *msg)
{
    snprintf(tt_test_msg, sizeof tt_test_msg, "%s", msg);
    longjmp(tt_test_jmp, 1);
}

/* EXPECT_FATAL(stmt, "substring"): stmt must call tt_fatal with a message containing substring. */
#define EXPECT_FATAL(stmt, substr)                                                                 \
    do {                                                                                           \
        tt_error_handler prev_ = tt_set_error_handler(tt_test_on_error);                           \
        tt_test_msg[0] = 0;                                                                        \
        if (setjmp(tt_test_jmp) == 0) {                                                            \
            stmt;                                                                                  \
            tt_set_error_handler(prev_);                                                           \
            fail_msg("expected a fatal error from: %s", #stmt);                                    \
        }                                                                                          \
        tt_set_error_handler(prev_);                                                               \
        if (!strstr(tt_test_msg, (substr))) {                                                      \
            fail_msg("error message \"%s\" lacks \"%s\"", tt_test_msg, (substr));                  \
        }                                                                                          \
    } while (0)

/* ---- gradient check ---------------------------------------------------------------------------- */

/* A function of up to 4 inputs returning one tensor; ctx carries extra arguments. */
typedef tt_tensor *(*tt_test_fn)(tt_tensor **in, void *ctx);

/* L = sum(out * w) for fixed pseudo-random weights w, in double. */
static double tt_test_weighted_sum(const tt_tensor *out)
{
    double s = 0.0;
    for (int64_t i = 0; i < out->numel; i++) {
        double w = 0.5 + 0.37 * sin(1.3 * (double)i + 0.1);
        s += w * (double)out->data[i];
    }
    return s;
}

/* Compares autograd's gradient of L with central differences for every element of every input whose
 * TT_REQUIRES_GRAD flag is set. Inputs must be step tensors. Returns the worst error
 * |analytic - numeric| / max(atol_floor, |numeric|), asserting it is <= tol. */
static double tt_gradcheck(tt_test_fn f, tt_tensor **in, int n_in, void *ctx, float h, double tol)
{
    tt_arena_mark m = tt_arena_get_mark();
    tt_tensor *out = f(in, ctx);
    tt_tensor *wts = tt_empty(out->ndim, out->shape);
    for (int64_t i = 0; i < out->numel; i++) {
        wts->data[i] = (float)(0.5 + 0.37 * sin(1.3 * (double)i + 0.1));
    }
    for (int k = 0; k < n_in; k++) {
        in[k]->grad = NULL;
    }
    tt_backward_with(out, wts);
    double worst = 0.0;
    for (int k = 0; k < n_in; k++) {
        if (!tt_requires_grad(in[k])) {
            continue;
        }
        assert_non_null(in[k]->grad);
        float *analytic = in[k]->grad;
        in[k]->grad = NULL;
        tt_no_grad_begin();
        for (int64_t i = 0; i < in[k]->numel; i++) {
            float x0 = in[k]->data[i];
            tt_arena_mark m2 = tt_arena_get_mark();
            in[k]->data[i] = x0 + h;
            double lp = tt_test_weighted_sum(f(in, ctx));
            in[k]->data[i] = x0 - h;
            double lm = tt_test_weighted_sum(f(in, ctx));
            in[k]->data[i] = x0;
            tt_arena_release(m2);
            double numeric = (lp - lm) / (2.0 * h);
            double err = fabs((double)analytic[i] - numeric) / fmax(1e-2, fabs(numeric));
            if (err > worst) {
                worst = err;
            }
            if (err > tol) {
                tt_no_grad_end();
                fail_msg("gradcheck: input %d element %lld: analytic %.6g numeric %.6g (err %.3g > %.3g)",
                         k, (long long)i, (double)analytic[i], numeric, err, tol);
            }
        }
        tt_no_grad_end();
    }
    tt_arena_release(m);
    for (int k = 0; k < n_in; k++) {
        in[k]->grad = NULL;
        in[k]->node = NULL;
    }
    return worst;
}

/* A step tensor with values in [lo, hi) that requires a gradient. */
static tt_tensor *tt_test_input(int ndim, const int64_t *shape, float lo, float hi, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_tensor *t = tt_rand_uniform(ndim, shape, lo, hi, &r);
    tt_set_requires_grad(t, true);
    return t;
}

static void tt_assert_close(const float *got, const float *want, int64_t n, double rtol, double atol)
{
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (d > atol + rtol * fabs((double)want[i]) || got[i] != got[i]) {
            fail_msg("element %lld: got %.7g want %.7g", (long long)i, (double)got[i], (double)want[i]);
        }
    }
}

#endif
