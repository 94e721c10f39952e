/* test_bench.c - module 19's measurement library: quantile rank rule, summary statistics against
 * hand-worked values, order-statistic intervals that cover the true quantile at their stated rate,
 * Tukey outliers, timing loops and the machine fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/bench.h"
#include "tinytorch/tensor.h"

static void test_quantile_rank_rule(void **state)
{
    (void)state;
    double s[10];
    for (int i = 0; i < 10; i++) {
        s[i] = i + 1; /* 1..10 */
    }
    /* sorted[floor(n q)]: p50 -> index 5 -> 6; p90 -> index 9 -> 10; p0 -> 1; p99 -> index 9 */
    assert_float_equal(tt_quantile_sorted(s, 10, 0.5), 6.0, 0);
    assert_float_equal(tt_quantile_sorted(s, 10, 0.9), 10.0, 0);
    assert_float_equal(tt_quantile_sorted(s, 10, 0.0), 1.0, 0);
    assert_float_equal(tt_quantile_sorted(s, 10, 0.99), 10.0, 0);
    assert_float_equal(tt_quantile_sorted(s, 10, 0.25), 3.0, 0);
}

static void test_stats_hand_worked(void **state)
{
    (void)state;
    /* 2 4 4 4 5 5 7 9: mean 5, sample variance 32/7, plus one far outlier in a second set */
    const double x[] = {9, 4, 2, 4, 5, 7, 4, 5};
    tt_stats st;
    assert_int_equal(tt_stats_compute(x, 8, &st), 0);
    assert_int_equal(st.n, 8);
    assert_float_equal(st.mean, 5.0, 1e-12);
    assert_float_equal(st.stdev, sqrt(32.0 / 7.0), 1e-12);
    assert_float_equal(st.cv, sqrt(32.0 / 7.0) / 5.0, 1e-12);
    assert_float_equal(st.min, 2.0, 0);
    assert_float_equal(st.max, 9.0, 0);
    assert_float_equal(st.p50, 5.0, 0); /* sorted[4] */
    assert_int_equal(st.outliers_lo + st.outliers_hi, 0);

    double y[20];
    for (int i = 0; i < 19; i++) {
        y[i] = 10.0 + (i % 5);
    }
    y[19] = 1000.0;
    assert_int_equal(tt_stats_compute(y, 20, &st), 0);
    assert_int_equal(st.outliers_hi, 1);
    assert_int_equal(st.outliers_lo, 0);
    assert_true(st.fence_hi < 1000.0);
    assert_int_equal(tt_stats_compute(y, 0, &st), -1);
}

/* The 95 % interval of the median and the p90 of Uniform(0,1) samples covers the true value (0.5,
 * 0.9) in about 95 % of 400 trials: at least 90 % allowed (binomial sd of the rate is ~1.1 %). */
static void test_quantile_ci_coverage(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 1234);
    enum { N = 200, TRIALS = 400 };
    double s[N];
    int cover50 = 0, cover90 = 0;
    for (int t = 0; t < TRIALS; t++) {
        for (int i = 0; i < N; i++) {
            s[i] = tt_rng_uniform(&r);
        }
        tt_stats st;
        assert_int_equal(tt_stats_compute(s, N, &st), 0);
        assert_true(st.p50_lo <= st.p50 && st.p50 <= st.p50_hi);
        assert_true(st.p90_lo <= st.p90 && st.p90 <= st.p90_hi);
        cover50 += st.p50_lo <= 0.5 && 0.5 <= st.p50_hi;
        cover90 += st.p90_lo <= 0.9 && 0.9 <= st.p90_hi;
    }
    assert_true(cover50 >= TRIALS * 90 / 100);
    assert_true(cover90 >= TRIALS * 90 / 100);
    assert_true(cover50 < TRIALS); /* an interval that always covers would be too wide to be useful */
}

static void spin(void *ctx)
{
    volatile double *acc = ctx;
    for (int i = 0; i < 20000; i++) {
        *acc += 1e-9 * i;
    }
}

static void test_repeat_and_fresh(void **state)
{
    (void)state;
    volatile double acc = 0;
    double t[5];
    assert_int_equal(tt_bench_repeat(spin, (void *)&acc, 2, 5, t), 0);
    for (int i = 0; i < 5; i++) {
        assert_true(t[i] > 0.0 && t[i] < 1.0);
    }
    assert_true(acc > 0.0);
    char err[256];
    char *ok[] = {"true", NULL};
    assert_int_equal(tt_bench_fresh_processes(ok, 3, t, err, sizeof err), 0);
    assert_true(t[0] > 0.0);
    char *bad[] = {"false", NULL};
    assert_int_equal(tt_bench_fresh_processes(bad, 2, t, err, sizeof err), -1);
    assert_non_null(strstr(err, "failed"));
}

static void test_fingerprint(void **state)
{
    (void)state;
    tt_machine m;
    tt_machine_fingerprint(&m);
    assert_true(m.logical_cpus >= 1);
    assert_true(strlen(m.cpu_model) > 0);
    assert_true(strlen(m.compiler) > 0);
    char buf[2048];
    int n = tt_machine_json(&m, buf, sizeof buf);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    assert_int_equal(buf[0], '{');
    assert_int_equal(buf[n - 1], '}');
    assert_non_null(strstr(buf, "\"cpu_model\": \""));
    assert_non_null(strstr(buf, "\"logical_cpus\": "));
    /* truncation never writes past the buffer and reports the full length */
    char small[16];
    int m2 = tt_machine_json(&m, small, sizeof small);
    assert_int_equal(m2, n);
    assert_int_equal(small[15], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_rank_rule), cmocka_unit_test(test_stats_hand_worked),
        cmocka_unit_test(test_quantile_ci_coverage), cmocka_unit_test(test_repeat_and_fresh),
        cmocka_unit_test(test_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
