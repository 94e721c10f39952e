/* test_predict.c - the Server predictions of predict.h against queueing theory and simulation:
 *   M/M/1 waiting-time quantile has the closed form ln(rho / (1 - q)) / (mu - lambda): the M/G/1
 *     tail fed exponential service samples and MLSys·im's M/M/c with c = 1 must both give it;
 *   M/D/1 (constant service): the adjustment coefficient solves lambda (e^{theta D} - 1) = theta, and
 *     the predicted p99 wait must match a Lindley-recursion simulation of 400,000 customers;
 *   the max-QPS search returns the rate whose predicted p99 equals the bound;
 *   bad input is refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mlperf_edu/predict.h"

static uint64_t rs = 88172645463325252ULL;
static double urand(void) /* (0, 1] */
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return ((double)(rs >> 11) + 1.0) / 9007199254740992.0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p-quantile of the waiting time of an M/G/1 queue by Lindley's recursion W' = max(0, W + S - A). */
static double simulate_wait_quantile(double lambda, double d, int n, double q)
{
    double *w = malloc((size_t)n * sizeof *w), cur = 0.0;
    for (int i = 0; i < n; i++) {
        w[i] = cur;
        cur = fmax(0.0, cur + d - (-log(urand()) / lambda));
    }
    qsort(w, (size_t)n, sizeof *w, cmp);
    double v = w[(size_t)((double)n * q)];
    free(w);
    return v;
}

static void test_mm1_closed_form(void **state)
{
    (void)state;
    const double mu = 1000.0, lambda = 700.0, q = 0.99;
    const double want = log((lambda / mu) / (1.0 - q)) / (mu - lambda);
    /* exponential service samples with mean 1/mu (many, so the empirical MGF is close near theta) */
    enum { N = 50000 };
    double *s = malloc(N * sizeof *s);
    for (int i = 0; i < N; i++) {
        s[i] = -log(urand()) / mu;
    }
    double got = mle_mg1_wait_quantile_s(s, N, lambda, q);
    assert_true(fabs(got - want) <= 0.08 * want);
    mle_prediction p;
    char err[256];
    assert_int_equal(mle_predict_server(s, N, 1, lambda, 0.02, q, &p, err, sizeof err), 0);
    /* M/M/1 via MLSys·im with the samples' mean: wait quantile + mean service */
    const double m = p.service_mean_s, want_mmc = log(lambda * m / (1.0 - q)) / (1.0 / m - lambda) + m;
    assert_true(fabs(p.p_mmc_s - want_mmc) <= 1e-9 + 1e-6 * want_mmc);
    assert_true(fabs(m * mu - 1.0) < 0.02);
    assert_true(fabs(p.service_cv - 1.0) < 0.02);
    free(s);
}

static void test_md1_against_simulation(void **state)
{
    (void)state;
    const double d = 0.001, q = 0.99;
    const double svc[1] = {d};
    for (int k = 0; k < 3; k++) {
        const double rho = 0.5 + 0.2 * k; /* 0.5, 0.7, 0.9 */
        const double lambda = rho / d;
        double pred = mle_mg1_wait_quantile_s(svc, 1, lambda, q);
        double sim = simulate_wait_quantile(lambda, d, 400000, q);
        /* the adjustment coefficient: lambda (e^{theta d} - 1) = theta at theta = ln(rho/(1-q)) / pred */
        double theta = log(rho / (1.0 - q)) / pred;
        assert_true(fabs(lambda * expm1(theta * d) - theta) < 1e-6 * theta);
        if (fabs(pred - sim) > 0.12 * sim + 0.1 * d) {
            fail_msg("rho %.1f: predicted p99 wait %.4g s, simulated %.4g s", rho, pred, sim);
        }
    }
    /* below rho = 1 - q nobody waits at the quantile; at rho >= 1 the queue is unstable */
    assert_float_equal(mle_mg1_wait_quantile_s(svc, 1, 0.005 / d, q), 0.0, 0);
    assert_true(isinf(mle_mg1_wait_quantile_s(svc, 1, 1.0 / d, q)));
}

static void test_max_qps(void **state)
{
    (void)state;
    const double d = 0.001, bound = 0.005;
    const double svc[1] = {d};
    mle_prediction p;
    char err[256];
    assert_int_equal(mle_predict_server(svc, 1, 1, 500.0, bound, 0.99, &p, err, sizeof err), 0);
    assert_string_equal(p.model, "M/G/1 (measured service times)");
    assert_true(p.max_qps > 0.0 && p.max_qps < 1000.0);
    /* at the max rate the predicted p99 response equals the bound */
    double at = mle_mg1_wait_quantile_s(svc, 1, p.max_qps, 0.99) + d;
    assert_true(fabs(at - bound) < 1e-6);
    /* deterministic service queues less than exponential: a higher max rate than M/M/1 */
    assert_true(p.max_qps > p.max_qps_mmc);
    /* c = 2 uses M/M/c */
    assert_int_equal(mle_predict_server(svc, 1, 2, 500.0, bound, 0.99, &p, err, sizeof err), 0);
    assert_true(isnan(p.max_qps_mg1));
    assert_true(p.max_qps > 1000.0 && p.max_qps < 2000.0);
    /* bad input */
    assert_int_equal(mle_predict_server(svc, 1, 1, -1.0, bound, 0.99, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "qps"));
    const double zero[1] = {0.0};
    assert_int_equal(mle_predict_server(zero, 1, 1, 10.0, bound, 0.99, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "service time"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1_closed_form),
        cmocka_unit_test(test_md1_against_simulation),
        cmocka_unit_test(test_max_qps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
