/* measure.c - statistics of repeated measurements (module 19): quantiles by LoadGen's rank rule,
 * order-statistic confidence intervals, mean / stdev / CV, Tukey outliers, and timing loops (in this
 * process with warm-up, or one fresh process per repetition). See bench.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tinytorch/bench.h"
#include "tinytorch/progress.h"
#include "tinytorch/tensor.h" /* tt_fatal, which the learner's stubs call */

extern char **environ;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double tt_quantile_sorted(const double *sorted, size_t n, double q)
{
    /* TODO: LoadGen's rank rule: the value at rank floor(n q), clamped to n - 1 (q <= 0: the minimum). */
    /* BEGIN SOLUTION */
    if (q <= 0.0) {
        return sorted[0];
    }
    size_t i = (size_t)((double)n * q);
    return sorted[i < n ? i : n - 1];
    /* END SOLUTION */
}

/* Standard normal quantile by bisection on the CDF (0.5 erfc(-z / sqrt 2)); |error| < 1e-9. */
static double normal_quantile(double p)
{
    double lo = -10.0, hi = 10.0;
    for (int i = 0; i < 80; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

void tt_quantile_ci_sorted(const double *sorted, size_t n, double q, double conf, double *lo, double *hi)
{
    /* The count of samples below the q-quantile is Binomial(n, q): mean nq, sd sqrt(nq(1-q)). */
    double z = normal_quantile(0.5 + 0.5 * conf);
    double mu = (double)n * q, sd = sqrt((double)n * q * (1.0 - q));
    double l = floor(mu - z * sd - 0.5), u = ceil(mu + z * sd + 0.5);
    size_t li = l < 0 ? 0 : (size_t)l;
    size_t ui = u > (double)(n - 1) ? n - 1 : (size_t)u;
    *lo = sorted[li < n ? li : n - 1];
    *hi = sorted[ui];
}

int tt_stats_compute(const double *x, size_t n, tt_stats *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) {
        return -1;
    }
    double *s = malloc(n * sizeof *s);
    if (!s) {
        return -1;
    }
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    /* TODO: n, mean, the sample standard deviation (divide by n - 1; 0 for one sample) and
     * cv = stdev / |mean| (0 when the mean is 0) into out. */
    /* BEGIN SOLUTION */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += s[i];
    }
    double mean = sum / (double)n, ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        ss += (s[i] - mean) * (s[i] - mean);
    }
    out->n = n;
    out->mean = mean;
    out->stdev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    out->cv = mean != 0.0 ? out->stdev / fabs(mean) : 0.0;
    /* END SOLUTION */
    out->min = s[0];
    out->max = s[n - 1];
    out->p50 = tt_quantile_sorted(s, n, 0.50);
    out->p90 = tt_quantile_sorted(s, n, 0.90);
    out->p95 = tt_quantile_sorted(s, n, 0.95);
    out->p99 = tt_quantile_sorted(s, n, 0.99);
    tt_quantile_ci_sorted(s, n, 0.50, 0.95, &out->p50_lo, &out->p50_hi);
    tt_quantile_ci_sorted(s, n, 0.90, 0.95, &out->p90_lo, &out->p90_hi);
    tt_quantile_ci_sorted(s, n, 0.99, 0.95, &out->p99_lo, &out->p99_hi);
    /* TODO: Tukey's fences: quartiles q1, q3, fences 1.5 IQR beyond them, and the samples outside. */
    /* BEGIN SOLUTION */
    out->q1 = tt_quantile_sorted(s, n, 0.25);
    out->q3 = tt_quantile_sorted(s, n, 0.75);
    double iqr = out->q3 - out->q1;
    out->fence_lo = out->q1 - 1.5 * iqr;
    out->fence_hi = out->q3 + 1.5 * iqr;
    for (size_t i = 0; i < n; i++) {
        out->outliers_lo += s[i] < out->fence_lo;
        out->outliers_hi += s[i] > out->fence_hi;
    }
    /* END SOLUTION */
    free(s);
    return 0;
}

int tt_bench_repeat(tt_bench_fn fn, void *ctx, int warmup, int reps, double *seconds)
{
    for (int i = 0; i < warmup; i++) {
        fn(ctx);
    }
    for (int i = 0; i < reps; i++) {
        double t0 = tt_now_seconds();
        fn(ctx);
        seconds[i] = tt_now_seconds() - t0;
    }
    return 0;
}

int tt_bench_fresh_processes(char *const argv[], int reps, double *seconds, char *err, size_t errlen)
{
    for (int i = 0; i < reps; i++) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        double t0 = tt_now_seconds();
        int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) {
            snprintf(err, errlen, "%s: cannot start (%s)", argv[0], strerror(rc));
            return -1;
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                snprintf(err, errlen, "%s: wait failed (%s)", argv[0], strerror(errno));
                return -1;
            }
        }
        seconds[i] = tt_now_seconds() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            snprintf(err, errlen, "%s: run %d of %d failed (exit status %d)", argv[0], i + 1, reps,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            return -1;
        }
    }
    return 0;
}
