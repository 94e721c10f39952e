/* bench.h - measuring well (module 19): warm-up and repetitions, percentiles with confidence
 * intervals, coefficient of variation, outliers, and the fingerprint of the machine that measured.
 *
 * Percentiles use MLPerf LoadGen's rank rule: the q-quantile of n sorted values is sorted[floor(n q)]
 * (clamped to n - 1), so a p99 here is the same number LoadGen would report for the same samples.
 * Confidence intervals of a quantile are distribution-free order-statistic intervals: the number of
 * samples below the true q-quantile is Binomial(n, q), so the ranks [l, u] that hold it with the
 * wanted probability bound it (normal approximation to the binomial, with a continuity margin).
 * Outliers use Tukey's fences (below Q1 - 1.5 IQR or above Q3 + 1.5 IQR).
 */
#ifndef TINYTORCH_BENCH_H
#define TINYTORCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The q-quantile of sorted values (ascending), by the rank rule above. n must be > 0. */
double tt_quantile_sorted(const double *sorted, size_t n, double q);

/* Order-statistic confidence interval for the q-quantile at level conf (0.95): writes the values at
 * the lower and upper ranks. With few samples the interval reaches the min or max. */
void tt_quantile_ci_sorted(const double *sorted, size_t n, double q, double conf, double *lo, double *hi);

typedef struct tt_stats {
    size_t n;
    double mean, stdev, cv;              /* cv = stdev / mean (0 when the mean is 0) */
    double min, max;
    double p50, p90, p95, p99;
    double p50_lo, p50_hi, p90_lo, p90_hi, p99_lo, p99_hi;   /* 95 % order-statistic intervals */
    double q1, q3, fence_lo, fence_hi;   /* Tukey fences */
    size_t outliers_lo, outliers_hi;     /* samples outside the fences */
} tt_stats;

/* Summarises x[0..n) (not modified; a sorted copy is made). Returns 0, or -1 when n == 0 or out of
 * memory (out is zeroed). */
int tt_stats_compute(const double *x, size_t n, tt_stats *out);

/* Times fn(ctx) `warmup` times untimed, then `reps` times, each into seconds[i]. Returns 0. */
typedef void (*tt_bench_fn)(void *ctx);
int tt_bench_repeat(tt_bench_fn fn, void *ctx, int warmup, int reps, double *seconds);

/* Runs argv (argv[0] found on PATH) `reps` times, each in a fresh process, and stores each run's
 * wall time in seconds[i]; the child's stdout goes to /dev/null. Returns 0, or -1 with a message when
 * a run cannot start or exits non-zero. */
int tt_bench_fresh_processes(char *const argv[], int reps, double *seconds, char *err, size_t errlen);

/* What measured: enough to tell two machines (or two builds) apart. Unreadable fields are "unknown". */
typedef struct tt_machine {
    char cpu_model[128];
    int logical_cpus;
    char isa[96];            /* SIMD the CPU reports: "avx2 fma avx512f" (x86) or "asimd" (arm) */
    char governor[32];       /* cpufreq governor of cpu0, if readable */
    char compiler[96];       /* the compiler that built libtinytorch */
    char build_flags[96];    /* optimisation and OpenMP as compiled */
    char os[96];             /* uname: sysname release machine */
} tt_machine;

void tt_machine_fingerprint(tt_machine *m);
/* One JSON object, e.g. {"cpu_model": "...", ...}. Returns the length written (truncated to len). */
int tt_machine_json(const tt_machine *m, char *buf, size_t len);

#endif
