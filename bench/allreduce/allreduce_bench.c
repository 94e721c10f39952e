/* allreduce_bench.c - MPI_Allreduce (float sum) time and bus bandwidth from 4 KB to 64 MB, and
 * MLSys·im's ring all-reduce prediction with alpha and beta fitted to this machine.
 *
 *   mpirun -np N allreduce_bench [--quick] [--min BYTES] [--max BYTES]
 *
 * For each message size M (powers of two): a few warm-up calls, then enough timed calls for about
 * 0.2 s (at least 5); the time of a call is the slowest rank's mean. Bandwidths as NCCL-tests define
 * them (github.com/NVIDIA/nccl-tests, doc/PERFORMANCE.md): algbw = M / t, busbw = algbw * 2(n-1)/n,
 * the figure comparable with the link's bandwidth whatever the rank count.
 *
 * The fit. MLSys·im's ring model (ms_coll_allreduce_ring_s) is t = 2(n-1)*alpha + 2(n-1)/n * M / bw.
 * alpha and bw are fitted on the sizes >= 64 KB by least squares on the relative error (the log of
 * t: each size counts equally), then the model is evaluated with them at every size. A second fit
 * over 64 KB .. 16 MB shows how the model does while the buffers stay in cache (above that the
 * reduction runs at memory bandwidth, a second regime one alpha and one beta cannot describe).
 * The printed table shows measured and predicted time; the last line is one JSON object (rank 0).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlsysim/distributed.h"

#define MAXS 32

static double model(double m, int n, double bw, double alpha) { return ms_coll_allreduce_ring_s(m, n, bw, alpha); }

/* Sum of squared log errors of the model over sizes [lo, k). */
static double loss(const double *m, const double *t, int lo, int k, int n, double bw, double alpha)
{
    double s = 0;
    for (int i = lo; i < k; i++) {
        double e = log(model(m[i], n, bw, alpha) / t[i]);
        s += e * e;
    }
    return s;
}

/* alpha and bw minimising the squared log error over sizes [lo, k): a start from the two ends, then a
 * pattern search in log space. */
static void fit(const double *m, const double *t, int lo, int k, int n, double *bw_out, double *alpha_out)
{
    double c = 2.0 * (n - 1) / n;
    double slope = k - 1 > lo ? (t[k - 1] - t[lo]) / (m[k - 1] - m[lo]) : t[lo] / m[lo];
    double bw = c / (slope > 0 ? slope : 1e-12);
    double alpha = (t[lo] - c * m[lo] / bw) / (2.0 * (n - 1));
    alpha = alpha > 1e-8 ? alpha : 1e-8;
    double best = loss(m, t, lo, k, n, bw, alpha);
    for (double step = 0.5; step > 1e-4; step *= 0.5) {
        bool moved = true;
        while (moved) {
            moved = false;
            const double db[4] = {exp(step), exp(-step), 1, 1}, da[4] = {1, 1, exp(step), exp(-step)};
            for (int d = 0; d < 4; d++) {
                double l = loss(m, t, lo, k, n, bw * db[d], alpha * da[d]);
                if (l < best) {
                    best = l;
                    bw *= db[d];
                    alpha *= da[d];
                    moved = true;
                }
            }
        }
    }
    *bw_out = bw;
    *alpha_out = alpha;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, n;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    double lo_b = 4096, hi_b = 64.0 * 1024 * 1024, budget = 0.2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            budget = 0.05;
        } else if (!strcmp(argv[i], "--min") && i + 1 < argc) {
            lo_b = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--max") && i + 1 < argc) {
            hi_b = atof(argv[++i]);
        } else {
            if (rank == 0) {
                fprintf(stderr, "usage: mpirun -np N allreduce_bench [--quick] [--min BYTES] [--max BYTES]\n");
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
    int k = 0;
    for (double bytes = lo_b; bytes <= hi_b && k < MAXS; bytes *= 2, k++) {
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
        int iters = (int)(budget / (one > 1e-7 ? one : 1e-7));
        iters = iters < 5 ? 5 : iters > 20000 ? 20000 : iters;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        for (int it = 0; it < iters; it++) {
            MPI_Allreduce(buf, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        }
        double per = (MPI_Wtime() - t0) / iters;
        MPI_Allreduce(MPI_IN_PLACE, &per, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        m[k] = (double)count * sizeof(float);
        t[k] = per;
    }
    if (rank == 0) {
        int f0 = 0, f16 = k;   /* first size >= 64 KB; one past the last size <= 16 MB */
        while (f0 < k && m[f0] < 65536) {
            f0++;
        }
        while (f16 > f0 && m[f16 - 1] > 16.0 * 1024 * 1024) {
            f16--;
        }
        double bw, alpha, bw16, alpha16;
        fit(m, t, f0, k, n, &bw, &alpha);
        fit(m, t, f0, f16, n, &bw16, &alpha16);
        double c = 2.0 * (n - 1) / n, max_err = 0, max_err_all = 0, max16 = 0, peak = 0;
        printf("# MPI_Allreduce, %d ranks; fitted on >= 64 KB: alpha %.3g us, link %.3g GB/s per direction; "
               "on 64 KB .. 16 MB: alpha %.3g us, %.3g GB/s\n", n, alpha * 1e6, bw / 1e9, alpha16 * 1e6, bw16 / 1e9);
        printf("# %10s %12s %12s %10s %10s %8s %8s\n", "bytes", "time_us", "pred_us", "algbw_GB/s", "busbw_GB/s",
               "error", "err_16M");
        for (int i = 0; i < k; i++) {
            double p = model(m[i], n, bw, alpha), p16 = model(m[i], n, bw16, alpha16);
            double e = fabs(p - t[i]) / t[i], e16 = fabs(p16 - t[i]) / t[i];
            if (i >= f0) {
                max_err = e > max_err ? e : max_err;
            }
            if (i >= f0 && i < f16) {
                max16 = e16 > max16 ? e16 : max16;
            }
            max_err_all = e > max_err_all ? e : max_err_all;
            peak = m[i] / t[i] * c > peak ? m[i] / t[i] * c : peak;
            printf("  %10.0f %12.2f %12.2f %10.3f %10.3f %7.1f%% %7.1f%%\n", m[i], t[i] * 1e6, p * 1e6,
                   m[i] / t[i] / 1e9, m[i] / t[i] * c / 1e9, 100 * e, 100 * e16);
        }
        printf("{\"ranks\": %d, \"alpha_s\": %.6g, \"bw_bytes_per_s\": %.6g, \"max_error_ge_64k\": %.4f, "
               "\"max_error_all\": %.4f, \"alpha_s_64k_16m\": %.6g, \"bw_bytes_per_s_64k_16m\": %.6g, "
               "\"max_error_64k_16m\": %.4f, \"peak_busbw_bytes_per_s\": %.6g, \"sizes\": %d}\n",
               n, alpha, bw, max_err, max_err_all, alpha16, bw16, max16, peak, k);
    }
    free(buf);
    free(out);
    MPI_Finalize();
    return 0;
}
