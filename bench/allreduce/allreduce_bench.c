/* allreduce_bench.c - MPI_Allreduce (float sum) time and bus bandwidth from 4 KB to 64 MB, and
 * MLSys·im's ring all-reduce prediction with a per-size-regime alpha and beta fitted to this machine.
 *
 *   mpirun -np N allreduce_bench [--quick] [--min BYTES] [--max BYTES] [--fit-out FILE] [--regimes FILE]
 *
 * Sizes: the powers of two (the fit sizes) and the sizes halfway between them on a log scale,
 * 3·2^k (never used for fitting: an out-of-sample check of the regimes between the fitted points).
 * For each size: a few warm-up calls, then 5 timed runs of calls worth about 0.2 s in all; the
 * time of a call is the slowest rank's mean in the fastest run (robust to a loaded machine). Bandwidths as NCCL-tests define them
 * (github.com/NVIDIA/nccl-tests, doc/PERFORMANCE.md): algbw = M / t, busbw = algbw * 2(n-1)/n.
 *
 * The model. MLSys·im's ring all-reduce, t = 2(n-1)*alpha + 2(n-1)/n * M / bw, with alpha and bw
 * taken per message-size regime (ms_coll_allreduce_ring_regimes_s): shared memory runs small
 * messages eagerly from cache, large ones by rendezvous and at DRAM bandwidth, so one alpha and one
 * beta cannot describe every size. ms_coll_regimes_fit splits the power-of-two sizes >= 64 KB into
 * at most 4 ranges of at least 2 sizes (caches, then DRAM) and fits each, choosing the split with
 * the smallest worst error. With 2 parameters per range the in-sample error says little; the sizes
 * between the fitted ones and the other rank count are the test. Reported (rank 0, last line one JSON object):
 *   max_error_ge_64k       regimes fitted on this run, at the fitted sizes (in-sample)
 *   oos_sizes_max_error    the same regimes at the 3·2^k sizes >= 64 KB (out-of-sample sizes)
 *   single_max_error_ge_64k one alpha and one beta for every size (the old model), in-sample
 *   regimes_max_error      with --regimes FILE: that file's regimes (fitted on another run, e.g.
 *                          another rank count) at every size >= 64 KB of this run (out-of-sample)
 * --fit-out FILE writes this run's regimes (temp file, fsync, rename). BENCH_CPU_TIME=1 times each
 * rank's CPU time instead of wall time (slowest rank, fastest of the 5 runs).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlsysim/distributed.h"

#define MAXS 64

/* Wall time, or with BENCH_CPU_TIME=1 this process's CPU time (on a machine shared with other work
 * a rank that is descheduled does not count its wait; Open MPI is then asked to yield when idle, so
 * a rank spinning on its partner gives its core back). */
static double now_s(int cpu)
{
    if (!cpu) {
        return MPI_Wtime();
    }
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, n;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    double lo_b = 4096, hi_b = 64.0 * 1024 * 1024, budget = 0.2;
    const char *fit_out = NULL, *regimes_in = NULL;
    const char *cpu_env = getenv("BENCH_CPU_TIME");
    int cpu = cpu_env && !strcmp(cpu_env, "1");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            budget = 0.05;
        } else if (!strcmp(argv[i], "--min") && i + 1 < argc) {
            lo_b = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--max") && i + 1 < argc) {
            hi_b = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--fit-out") && i + 1 < argc) {
            fit_out = argv[++i];
        } else if (!strcmp(argv[i], "--regimes") && i + 1 < argc) {
            regimes_in = argv[++i];
        } else {
            if (rank == 0) {
                fprintf(stderr, "usage: mpirun -np N allreduce_bench [--quick] [--min BYTES] [--max BYTES] "
                                "[--fit-out FILE] [--regimes FILE]\n");
            }
            MPI_Finalize();
            return 2;
        }
    }
    size_t maxn = (size_t)(hi_b / sizeof(float));
    float *buf = malloc(maxn * sizeof(float)), *out = malloc(maxn * sizeof(float));
    if (!buf || !out) {
        fprintf(stderr, "allreduce_bench: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    for (size_t i = 0; i < maxn; i++) {
        buf[i] = (float)(i % 7) * 0.5f;
    }
    double m[MAXS], t[MAXS];
    bool is_pow2[MAXS];
    int k = 0;
    for (double base = lo_b; base <= hi_b && k + 1 < MAXS; base *= 2) {
      for (int half = 0; half < 2; half++, k++) {
        double bytes = half ? 1.5 * base : base;
        if (bytes > hi_b) break;
        is_pow2[k] = !half;
        int count = (int)(bytes / sizeof(float));
        for (int w = 0; w < 3; w++) {
            MPI_Allreduce(buf, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        }
        /* Calibrate the call count on one call, agreed by all ranks. */
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(buf, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double one = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &one, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        /* TRIALS timed runs of `iters` calls; the fastest run's mean per call is kept: on a shared,
         * loaded machine a rank that is descheduled stalls the other, and the minimum is the
         * estimate least touched by that (the transport's own cost, which the model describes). */
        enum { TRIALS = 5 };
        int iters = (int)(budget / TRIALS / (one > 1e-7 ? one : 1e-7));
        iters = iters < 1 ? 1 : iters > 4000 ? 4000 : iters;
        double per = INFINITY;
        for (int tr = 0; tr < TRIALS; tr++) {
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = now_s(cpu);
            for (int it = 0; it < iters; it++) {
                MPI_Allreduce(buf, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            }
            double tt = (now_s(cpu) - t0) / iters;
            MPI_Allreduce(MPI_IN_PLACE, &tt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            per = tt < per ? tt : per;
        }
        m[k] = (double)count * sizeof(float);
        t[k] = per;
      }
    }
    if (rank == 0) {
        /* fit sizes: powers of two >= 64 KB; check sizes: 3·2^k >= 64 KB */
        double fm[MAXS], ft[MAXS];
        int nf = 0;
        for (int i = 0; i < k; i++)
            if (m[i] >= 65536 && is_pow2[i]) { fm[nf] = m[i]; ft[nf] = t[i]; nf++; }
        ms_coll_regimes_t reg, one;
        double in_err = nf >= 3 ? ms_coll_regimes_fit(fm, ft, nf, n, 4, 2, &reg) : -1;
        double one_err = nf >= 2 ? ms_coll_regimes_fit(fm, ft, nf, n, 1, 2, &one) : -1;
        if (in_err < 0 || one_err < 0) {
            fprintf(stderr, "allreduce_bench: too few sizes >= 64 KB to fit (got %d)\n", nf);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        if (fit_out) {
            char err[512], note[256];
            snprintf(note, sizeof note, "shared-memory ring all-reduce regimes, MPI_Allreduce at -np %d, fitted by\n"
                     "bench/allreduce on the power-of-two sizes >= 64 KB (in-sample max error %.1f %%)", n, 100 * in_err);
            if (ms_coll_regimes_save(fit_out, &reg, note, err, sizeof err) != MS_DIST_OK) {
                fprintf(stderr, "allreduce_bench: %s\n", err);
                MPI_Abort(MPI_COMM_WORLD, 2);
            }
        }
        ms_coll_regimes_t rec;
        int have_rec = 0;
        if (regimes_in) {
            char err[512];
            if (ms_coll_regimes_load(regimes_in, &rec, err, sizeof err) != MS_DIST_OK) {
                fprintf(stderr, "allreduce_bench: %s\n", err);
                MPI_Abort(MPI_COMM_WORLD, 2);
            }
            have_rec = 1;
        }
        printf("# MPI_Allreduce, %d ranks; %d regimes fitted on the powers of two >= 64 KB:\n", n, reg.n);
        for (int r = 0; r < reg.n; r++)
            printf("#   from %10.0f B: alpha %8.3g us, link %7.3g GB/s per direction\n", reg.min_bytes[r],
                   reg.alpha_s[r] * 1e6, reg.bw_bytes_per_s[r] / 1e9);
        printf("# one regime: alpha %.3g us, link %.3g GB/s\n", one.alpha_s[0] * 1e6, one.bw_bytes_per_s[0] / 1e9);
        printf("# %10s %4s %12s %12s %10s %8s %8s %8s\n", "bytes", "fit", "time_us", "pred_us", "busbw_GB/s",
               "error", "err_1reg", have_rec ? "err_file" : "");
        double c = 2.0 * (n - 1) / n, peak = 0, max_in = 0, max_oos = 0, max_one = 0, max_rec = 0;
        for (int i = 0; i < k; i++) {
            double p = ms_coll_allreduce_ring_regimes_s(m[i], n, &reg);
            double p1 = ms_coll_allreduce_ring_regimes_s(m[i], n, &one);
            double pr = have_rec ? ms_coll_allreduce_ring_regimes_s(m[i], n, &rec) : 0;
            double e = fabs(p - t[i]) / t[i], e1 = fabs(p1 - t[i]) / t[i], er = have_rec ? fabs(pr - t[i]) / t[i] : 0;
            if (m[i] >= 65536) {
                if (is_pow2[i]) { max_in = fmax(max_in, e); max_one = fmax(max_one, e1); }
                else max_oos = fmax(max_oos, e);
                max_rec = fmax(max_rec, er);
            }
            peak = fmax(peak, m[i] / t[i] * c);
            printf("  %10.0f %4s %12.2f %12.2f %10.3f %7.1f%% %7.1f%%", m[i], is_pow2[i] ? "yes" : "no", t[i] * 1e6,
                   p * 1e6, m[i] / t[i] * c / 1e9, 100 * e, 100 * e1);
            if (have_rec) printf(" %7.1f%%", 100 * er);
            printf("\n");
        }
        printf("{\"ranks\": %d, \"cpu_time\": %s, \"regimes\": %d, \"max_error_ge_64k\": %.4f, \"oos_sizes_max_error\": %.4f, "
               "\"single_max_error_ge_64k\": %.4f, \"alpha_s\": %.6g, \"bw_bytes_per_s\": %.6g, "
               "\"regimes_max_error\": ", n, cpu ? "true" : "false", reg.n, max_in, max_oos, max_one, one.alpha_s[0], one.bw_bytes_per_s[0]);
        if (have_rec) printf("%.4f", max_rec); else printf("null");
        printf(", \"peak_busbw_bytes_per_s\": %.6g, \"sizes\": %d}\n", peak, k);
    }
    free(buf);
    free(out);
    MPI_Finalize();
    return 0;
}
