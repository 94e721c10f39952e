/* bench.h - the measuring helpers every C benchmark under bench/ shares (header-only).
 *
 *   bench_now()            seconds for timing windows: wall time (CLOCK_MONOTONIC), or this
 *                          process's CPU time when BENCH_CPU_TIME is set in the environment (for a
 *                          loaded machine, where wall time also counts the other jobs)
 *   bench_wall_s()         wall time, always
 *   bench_cpu_s()          user + system CPU time of the process (getrusage): CPU share = cpu / wall
 *   bench_median()         median of n values (sorts them in place); bench_max() the best rate
 *   bench_json_*()         one JSON object on one line: {"key": value, ...}
 *   bench_anchor_forced()  the names of environment variables that force an in-process anchor
 *                          library onto older kernels (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE), or NULL
 *
 * The anchor environment rules themselves live in bench/common.sh (bench_anchor): an anchor runs
 * without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, and under TT_ISA=avx2|portable with the same cap.
 * OpenBLAS reads its variables when it is loaded, so a program that links the anchor must be started
 * with them already removed; bench_anchor_forced lets it say so when they are not.
 */
#ifndef MLSB_BENCH_H
#define MLSB_BENCH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

/* 1 when BENCH_CPU_TIME is set (to anything but "" or "0"). */
static inline int bench_uses_cpu_time(void)
{
    const char *e = getenv("BENCH_CPU_TIME");
    return e && e[0] != '\0' && strcmp(e, "0") != 0;
}

static inline double bench_now(void)
{
    if (bench_uses_cpu_time()) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    return bench_wall_s();
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (n > 0; v is sorted in place): the middle value, or the mean of the two. */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static inline double bench_max(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++) {
        m = v[i] > m ? v[i] : m;
    }
    return m;
}

/* ---- one JSON line ------------------------------------------------------------------------------
 *   bench_json j = bench_json_begin(stdout);
 *   bench_json_num(&j, "ratio", "%.3f", r); bench_json_str(&j, "unit", "GFLOP/s");
 *   bench_json_end(&j);                       -> {"ratio": 1.234, "unit": "GFLOP/s"}\n
 * Keys and strings are written as given (the benchmarks use plain ASCII names). */
typedef struct bench_json {
    FILE *f;
    int n;
} bench_json;

static inline bench_json bench_json_begin(FILE *f)
{
    fputc('{', f);
    bench_json j = {f, 0};
    return j;
}

static inline void bench_json_key(bench_json *j, const char *key)
{
    fprintf(j->f, "%s\"%s\": ", j->n++ ? ", " : "", key);
}

/* A number with the given printf format for one double ("%.1f", "%.6g"). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline void bench_json_num(bench_json *j, const char *key, const char *fmt, ...)
{
    bench_json_key(j, key);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(j->f, fmt, ap);
    va_end(ap);
}

static inline void bench_json_str(bench_json *j, const char *key, const char *value)
{
    bench_json_key(j, key);
    fprintf(j->f, "\"%s\"", value);
}

static inline void bench_json_end(bench_json *j)
{
    fputs("}\n", j->f);
    fflush(j->f);
}

/* "OPENBLAS_CORETYPE" or "OPENBLAS_L2_SIZE" when set (an in-process OpenBLAS anchor then runs
 * forced kernels: start the program through bench/common.sh's bench_anchor), else NULL. */
static inline const char *bench_anchor_forced(void)
{
    static const char *const vars[] = {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (getenv(vars[i])) {
            return vars[i];
        }
    }
    return NULL;
}

#endif
