/* allreduce_bench.c - MPI_Allreduce (float sum) time and bus bandwidth from 4 KB to 64 MB, and
 * MLSys·im's ring all-reduce predictions for it, fitted on some sizes and checked on others.
 *
 *   mpirun -np N allreduce_bench [--quick] [--min BYTES] [--max BYTES] [--fit-out FILE] [--regimes FILE]
 *                                [--link-out FILE] [--link FILE]
 *
 * Sizes: the powers of two (the fit sizes) and the sizes halfway between them on a log scale,
 * 3·2^k (never used for fitting: an out-of-sample check between the fitted points).
 * Ten passes over all sizes, each timing every size twice after 2 warm-up calls (calls worth
 * about 0.2 s per size in all); the time of a call is the slowest rank's mean in the lower quartile
 * of the 20 runs (the 5th fastest; ALLREDUCE_STAT=min|q25|median chooses). NCCL-tests report the
 * mean over all iterations after warm-up; on a machine shared with other work that mean measures
 * the other work, and the fastest run catches whatever brief fast spell a virtual machine had.
 * Bandwidths as NCCL-tests define them (github.com/NVIDIA/nccl-tests, doc/PERFORMANCE.md):
 * algbw = M / t, busbw = algbw * 2(n-1)/n.
 *
 * Models (all MLSys·im's ring all-reduce, t = 2(n-1)·α + 2(n-1)/n·M·s):
 *   link      the cache-aware link (mlsysim/shm_link.h): s follows the working set W per rank
 *             through the caches this machine reports in sysfs, and each rank first copies its send
 *             buffer into its receive buffer (M more bytes); fitted: α and one speed per cache level
 *             and for memory (4 numbers here). The shared cache's hit shape (smooth: the fraction
 *             of W that fits; sweep: all or nothing, an LRU cache swept by buffers larger than it;
 *             private caches are smooth) and W / M on private caches (1 .. 2.5: Open MPI 4.1's
 *             Rabenseifner all-reduce touches the send and receive buffers and half a temporary
 *             one) and on the shared one (0.5, the half a rank hands to the other, .. 2.5) are
 *             picked from those lists by the smallest in-sample error: the regime edges stay the
 *             capacities sysfs reports, only where W meets them is chosen. When ranks
 *             outnumber CPUs, each ring step also pays σ: a ring step of 4-byte messages timed at this
 *             rank count minus the same timed where the link was fitted (its step_s): a latency
 *             measurement, never an all-reduce time.
 *   regimes   up to 4 size ranges with their own α and β (ms_coll_regimes_fit), the earlier model.
 *   single    one α and one β for every size.
 * Reported (rank 0, last line one JSON object), each over messages >= 64 KB:
 *   max_error_ge_64k        the link fitted on this run, over every measured size (the figure)
 *   in_sample_max_error     ... at the fitted sizes (powers of two)
 *   oos_sizes_max_error     ... at the 3·2^k sizes (out of sample)
 *   regimes_* / single_*    the same for the other models
 *   file_link_max_error_ge_64k / file_regimes_max_error_ge_64k  with --link / --regimes: that file's
 *                           model (fitted on another run or rank count) at every size (out of sample)
 * --fit-out / --link-out write this run's regimes / link (temp file, fsync, rename). BENCH_CPU_TIME=1
 * times each rank's CPU time instead of wall time (slowest rank, the same quartile of the 20 runs).
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
#include "mlsysim/shm_link.h"

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

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One step of a ring of 4-byte messages (every rank sends to the next and receives from the one
 * before, MPI_Sendrecv): the non-bandwidth cost of a ring step at this rank count on this machine.
 * The slowest rank's mean, fastest of 15 runs of about 0.02 s (a loaded machine: one of them
 * finds the ranks' cores free). */
static double ring_step_s(int rank, int n, int cpu)
{
    int v = rank, got = 0, iters = 20;
    double best = INFINITY;
    for (int tr = -1; tr < 15; tr++) {   /* run -1 sizes the others */
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = now_s(cpu), w0 = MPI_Wtime();
        for (int i = 0; i < iters; i++) {
            MPI_Sendrecv(&v, 1, MPI_INT, (rank + 1) % n, 7, &got, 1, MPI_INT, (rank + n - 1) % n, 7, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
        }
        double t[2] = {(now_s(cpu) - t0) / iters, (MPI_Wtime() - w0) / iters};
        MPI_Allreduce(MPI_IN_PLACE, t, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (tr < 0) {
            iters = (int)(0.02 / fmax(t[1], 1e-7));
            iters = iters < 10 ? 10 : iters > 20000 ? 20000 : iters;
        } else {
            best = fmin(best, t[0]);
        }
    }
    return best;
}

/* Largest relative error of pred[] against t[] over sizes >= 64 KB: in-sample (powers of two),
 * out-of-sample sizes (3·2^k) and all of them. */
typedef struct errs { double in, oos, all; } errs_t;

static errs_t errors(const double *m, const double *t, const bool *is_pow2, const double *pred, int k)
{
    errs_t e = {0, 0, 0};
    for (int i = 0; i < k; i++) {
        if (m[i] < 65536) continue;
        double r = fabs(pred[i] - t[i]) / t[i];
        if (is_pow2[i]) e.in = fmax(e.in, r); else e.oos = fmax(e.oos, r);
        e.all = fmax(e.all, r);
    }
    return e;
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "allreduce_bench: %s%s\n", what, err);
    MPI_Abort(MPI_COMM_WORLD, 2);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, n;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    double lo_b = 4096, hi_b = 64.0 * 1024 * 1024, budget = 0.2;
    const char *fit_out = NULL, *regimes_in = NULL, *link_out = NULL, *link_in = NULL;
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
        } else if (!strcmp(argv[i], "--link-out") && i + 1 < argc) {
            link_out = argv[++i];
        } else if (!strcmp(argv[i], "--link") && i + 1 < argc) {
            link_in = argv[++i];
        } else {
            if (rank == 0) {
                fprintf(stderr, "usage: mpirun -np N allreduce_bench [--quick] [--min BYTES] [--max BYTES] "
                                "[--fit-out FILE] [--regimes FILE] [--link-out FILE] [--link FILE]\n");
            }
            MPI_Finalize();
            return 2;
        }
    }
    if (!(lo_b >= 4) || !(hi_b >= lo_b) || hi_b > 1073741824.0) {
        if (rank == 0) {
            fprintf(stderr, "allreduce_bench: want 4 <= --min <= --max <= 1 GiB (got %g, %g)\n", lo_b, hi_b);
        }
        MPI_Finalize();
        return 2;
    }
    size_t maxn = (size_t)(hi_b / sizeof(float));
    float *buf = malloc(maxn * sizeof(float)), *out = malloc(maxn * sizeof(float));
    if (!buf || !out) {
        die("out of memory", "");
    }
    for (size_t i = 0; i < maxn; i++) {
        buf[i] = (float)(i % 7) * 0.5f;
    }
    double step = n > 1 ? ring_step_s(rank, n, cpu) : 0.0;
    double m[MAXS], t[MAXS];
    bool is_pow2[MAXS];
    int k = 0;
    /* The sizes, then SWEEPS passes over all of them, each size timed TRIALS times per pass: a
     * size's runs are spread over the whole measurement, so one burst of load on a shared machine
     * cannot spoil every run of one size. The lower quartile of the runs' means per call is kept:
     * a rank that is descheduled stalls the other, so the slower runs measure the other work; but
     * the very fastest run is an extreme value too — on a virtual machine whose speed drifts, each
     * size's minimum comes from whichever spell was fastest while it ran, and the sizes stop
     * agreeing with each other (2 December, Zen 4 VM, three runs each: max_error_ge_64k 13.6, 7.9,
     * 15.6 % with the minimum; 6.4, 8.4, 9.2 % with the lower quartile; 9.9, 14.4, 4.9, 9.0, 13.0,
     * 11.4 % with the median). Ten passes of two runs rather than five of three (the same calls):
     * a size's runs sample the machine's spells more finely (four runs: 9.9, 6.3, 11.0, 6.4 %). */
    enum { SWEEPS = 10, TRIALS = 2 };
    static double runs[MAXS][SWEEPS * TRIALS];
    for (double base = lo_b; base <= hi_b && k + 1 < MAXS; base *= 2) {
        for (int half = 0; half < 2 && k < MAXS; half++) {
            double bytes = half ? 1.5 * base : base;
            if (bytes > hi_b) break;
            is_pow2[k] = !half;
            m[k++] = (double)(int)(bytes / sizeof(float)) * sizeof(float); /* t[k]: from its runs, below */
        }
    }
    for (int sw = 0; sw < SWEEPS; sw++) {
        for (int i = 0; i < k; i++) {
            int count = (int)(m[i] / sizeof(float));
            for (int w = 0; w < 2; w++) {
                MPI_Allreduce(buf, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            }
            /* Calibrate the call count on one call, agreed by all ranks. */
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            MPI_Allreduce(buf, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            double one = MPI_Wtime() - t0;
            MPI_Allreduce(MPI_IN_PLACE, &one, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            int iters = (int)(budget / (SWEEPS * TRIALS) / (one > 1e-7 ? one : 1e-7));
            iters = iters < 1 ? 1 : iters > 4000 ? 4000 : iters;
            for (int tr = 0; tr < TRIALS; tr++) {
                MPI_Barrier(MPI_COMM_WORLD);
                t0 = now_s(cpu);
                for (int it = 0; it < iters; it++) {
                    MPI_Allreduce(buf, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                }
                double tt = (now_s(cpu) - t0) / iters;
                MPI_Allreduce(MPI_IN_PLACE, &tt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
                runs[i][sw * TRIALS + tr] = tt;
            }
        }
    }
    const char *stat = getenv("ALLREDUCE_STAT"); /* min, q25 (default), median */
    const int pick = stat && !strcmp(stat, "min")      ? 0
                     : stat && !strcmp(stat, "median") ? SWEEPS * TRIALS / 2
                                                       : (SWEEPS * TRIALS - 1) / 4;
    for (int i = 0; i < k; i++) {
        qsort(runs[i], SWEEPS * TRIALS, sizeof(double), cmp_double);
        t[i] = runs[i][pick];
    }
    if (rank == 0) {
        char err[512], note[512];
        /* fit sizes: powers of two >= 64 KB (never the 3·2^k sizes) */
        double fm[MAXS], ft[MAXS];
        int nf = 0;
        for (int i = 0; i < k; i++)
            if (m[i] >= 65536 && is_pow2[i]) { fm[nf] = m[i]; ft[nf] = t[i]; nf++; }
        if (nf < 3) {
            fprintf(stderr, "allreduce_bench: too few sizes >= 64 KB to fit (got %d)\n", nf);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        /* the cache-aware link: fitted only where the ranks have a CPU each */
        ms_shm_link_t link, shape_best[2];
        if (ms_shm_detect(NULL, &link, err, sizeof err) != 0) die("", err);
        link.local_copy = 1;   /* separate send and receive buffers: Open MPI copies one into the other */
        link.first_fitted = 0;
        while (link.first_fitted + 1 < link.n_levels && link.cache[link.first_fitted].level < 2) link.first_fitted++;
        int can_fit = n <= link.cpus;
        /* Each hit shape of the shared cache with each working set per rank, in message bytes, on
         * the private caches (a rank's own buffers: send + receive = 2, + half a temporary = 2.5)
         * and on the shared one (from 0.5, the half a rank hands to the other, up); kept: the
         * smallest in-sample error per shape, and of the two the smaller. */
        static const double fps[] = {1.0, 1.5, 2.0, 2.5}, sfps[] = {0.5, 0.625, 0.75, 1.0, 1.5, 2.0, 2.5};
        double link_in_err = -1, shape_err[2] = {-1, -1};
        for (int hs = 0; can_fit && hs < 2; hs++) {
            for (size_t j = 0; j < sizeof fps / sizeof fps[0]; j++) {
                for (size_t q = 0; q < sizeof sfps / sizeof sfps[0]; q++) {
                    ms_shm_link_t c = link;
                    c.hit = hs;
                    c.footprint = fps[j];
                    c.shared_footprint = sfps[q];
                    double e = ms_shm_fit(&c, fm, ft, nf, n);
                    if (e >= 0 && (shape_err[hs] < 0 || e < shape_err[hs])) { shape_err[hs] = e; shape_best[hs] = c; }
                }
            }
        }
        for (int hs = 0; hs < 2; hs++) {
            shape_best[hs].step_s = step;
            if (shape_err[hs] >= 0 && (link_in_err < 0 || shape_err[hs] < link_in_err)) {
                link_in_err = shape_err[hs];
                link = shape_best[hs];
            }
        }
        link.step_s = step;
        ms_coll_regimes_t reg, one;
        double reg_err = ms_coll_regimes_fit(fm, ft, nf, n, 4, 2, &reg);
        double one_err = ms_coll_regimes_fit(fm, ft, nf, n, 1, 2, &one);
        if (reg_err < 0 || one_err < 0) die("the regimes fit failed", "");
        if (fit_out) {
            snprintf(note, sizeof note, "shared-memory ring all-reduce regimes, MPI_Allreduce at -np %d, fitted by\n"
                     "bench/allreduce on the power-of-two sizes >= 64 KB (in-sample max error %.1f %%)", n, 100 * reg_err);
            if (ms_coll_regimes_save(fit_out, &reg, note, err, sizeof err) != MS_DIST_OK) die("", err);
        }
        if (link_out && link_in_err >= 0) {
            snprintf(note, sizeof note, "shared-memory link of this machine (mlsysim/shm_link.h): caches from sysfs,\n"
                     "alpha and speeds fitted by bench/allreduce on MPI_Allreduce at -np %d, powers of two >= 64 KB\n"
                     "(in-sample max error %.1f %%, %s time); step_s: a 4-byte ring step at -np %d", n, 100 * link_in_err,
                     cpu ? "CPU" : "wall", n);
            if (ms_shm_save(link_out, &link, note, err, sizeof err) != 0) die("", err);
        }
        ms_coll_regimes_t rec;
        ms_shm_link_t flink;
        int have_rec = regimes_in != NULL, have_link = link_in != NULL;
        if (have_rec && ms_coll_regimes_load(regimes_in, &rec, err, sizeof err) != MS_DIST_OK) die("", err);
        if (have_link && ms_shm_load(link_in, &flink, err, sizeof err) != 0) die("", err);
        /* σ: what a small-message ring step costs here beyond what it cost where the link was fitted */
        double sigma = have_link ? step - flink.step_s : 0.0;
        if (have_link) flink.switch_s = sigma;
        double p_link[MAXS], p_reg[MAXS], p_one[MAXS], p_rec[MAXS], p_flink[MAXS];
        for (int i = 0; i < k; i++) {
            p_link[i] = can_fit ? ms_shm_allreduce_s(&link, m[i], n, cpu) : 0;
            p_reg[i] = ms_coll_allreduce_ring_regimes_s(m[i], n, &reg);
            p_one[i] = ms_coll_allreduce_ring_regimes_s(m[i], n, &one);
            p_rec[i] = have_rec ? ms_coll_allreduce_ring_regimes_s(m[i], n, &rec) : 0;
            p_flink[i] = have_link ? ms_shm_allreduce_s(&flink, m[i], n, cpu) : 0;
        }
        errs_t e_link = errors(m, t, is_pow2, p_link, k), e_reg = errors(m, t, is_pow2, p_reg, k);
        errs_t e_one = errors(m, t, is_pow2, p_one, k), e_rec = errors(m, t, is_pow2, p_rec, k);
        errs_t e_flink = errors(m, t, is_pow2, p_flink, k), e_shape[2] = {{0, 0, 0}, {0, 0, 0}};
        for (int hs = 0; hs < 2; hs++) {
            if (shape_err[hs] < 0) continue;
            double ps[MAXS];
            for (int i = 0; i < k; i++) ps[i] = ms_shm_allreduce_s(&shape_best[hs], m[i], n, cpu);
            e_shape[hs] = errors(m, t, is_pow2, ps, k);
        }
        printf("# MPI_Allreduce, %d ranks on %d CPUs, %s time; caches:", n, link.cpus, cpu ? "CPU" : "wall");
        for (int i = 0; i < link.n_levels; i++)
            printf(" L%d %.0f KiB/%d CPU%s", link.cache[i].level, link.cache[i].bytes / 1024, link.cache[i].shared_by,
                   link.cache[i].shared_by > 1 ? "s" : "");
        printf("\n# 4-byte ring step %.2f us", step * 1e6);
        if (have_link) printf(" (%.2f us where the --link file was fitted: sigma %+.2f us)", flink.step_s * 1e6, sigma * 1e6);
        printf("\n");
        if (can_fit) {
            for (int hs = 0; hs < 2; hs++)
                printf("# shared cache %-6s best working sets %.2f (private) %.3g (shared) x M per rank: max error "
                       ">= 64 KB fitted sizes %.1f %%, 3*2^k sizes %.1f %%\n", hs ? "sweep" : "smooth",
                       shape_best[hs].footprint, shape_best[hs].shared_footprint, 100 * e_shape[hs].in,
                       100 * e_shape[hs].oos);
            printf("# link (shared cache %s, working sets %.2f / %.3g x M) fitted on the powers of two >= 64 KB: "
                   "alpha %.3g us;", link.hit ? "sweep" : "smooth", link.footprint, link.shared_footprint,
                   link.alpha_s * 1e6);
            for (int i = link.first_fitted; i < link.n_levels; i++)
                printf(" L%d %.3g GB/s;", link.cache[i].level, link.s_per_byte[i] > 0 ? 1e-9 / link.s_per_byte[i] : INFINITY);
            printf(" memory %.3g GB/s\n", link.mem_s_per_byte > 0 ? 1e-9 / link.mem_s_per_byte : INFINITY);
        }
        printf("# %d regimes:", reg.n);
        for (int r = 0; r < reg.n; r++)
            printf(" from %.0f B alpha %.3g us %.3g GB/s;", reg.min_bytes[r], reg.alpha_s[r] * 1e6, reg.bw_bytes_per_s[r] / 1e9);
        printf("\n# one regime: alpha %.3g us, link %.3g GB/s\n", one.alpha_s[0] * 1e6, one.bw_bytes_per_s[0] / 1e9);
        printf("# errors signed (+: the model is slower than measured); link_us: the link fitted here, or with\n"
               "# more ranks than CPUs the --link file's\n");
        printf("# %10s %4s %11s %11s %10s %8s %8s %8s %8s %8s\n", "bytes", "fit", "time_us", "link_us", "busbw_GB/s",
               "err_link", "err_reg", "err_1reg", have_link ? "err_flnk" : "", have_rec ? "err_freg" : "");
        double c = 2.0 * (n - 1) / n, peak = 0;
        for (int i = 0; i < k; i++) {
            peak = fmax(peak, m[i] / t[i] * c);
            printf("  %10.0f %4s %11.2f %11.2f %10.3f", m[i], is_pow2[i] ? "yes" : "no", t[i] * 1e6,
                   (can_fit ? p_link[i] : p_flink[i]) * 1e6, m[i] / t[i] * c / 1e9);
            const double *pp[5] = {can_fit ? p_link : NULL, p_reg, p_one, have_link ? p_flink : NULL, have_rec ? p_rec : NULL};
            for (int j = 0; j < 5; j++) {
                if (pp[j]) printf(" %+7.1f%%", 100 * (pp[j][i] - t[i]) / t[i]);
                else printf(" %8s", "-");
            }
            printf("\n");
        }
        printf("{\"ranks\": %d, \"cpus\": %d, \"cpu_time\": %s, \"ring_step_s\": %.6g, \"switch_s\": %.6g, ",
               n, link.cpus, cpu ? "true" : "false", step, sigma);
        if (can_fit)
            printf("\"max_error_ge_64k\": %.4f, \"in_sample_max_error\": %.4f, \"oos_sizes_max_error\": %.4f, "
                   "\"link_alpha_s\": %.6g, \"link_hit\": \"%s\", \"link_footprint\": %.3g, \"link_shared_footprint\": %.3g, "
                   "\"smooth_in_sample_max_error\": %.4f, \"smooth_oos_sizes_max_error\": %.4f, \"smooth_shared_footprint\": %.3g, "
                   "\"sweep_in_sample_max_error\": %.4f, \"sweep_oos_sizes_max_error\": %.4f, \"sweep_shared_footprint\": %.3g, ",
                   e_link.all, e_link.in, e_link.oos, link.alpha_s, link.hit ? "sweep" : "smooth", link.footprint,
                   link.shared_footprint, e_shape[0].in, e_shape[0].oos, shape_best[0].shared_footprint, e_shape[1].in,
                   e_shape[1].oos, shape_best[1].shared_footprint);
        else
            printf("\"max_error_ge_64k\": null, ");
        printf("\"regimes\": %d, \"regimes_max_error_ge_64k\": %.4f, \"regimes_in_sample_max_error\": %.4f, "
               "\"regimes_oos_sizes_max_error\": %.4f, \"single_max_error_ge_64k\": %.4f, "
               "\"single_in_sample_max_error\": %.4f, \"alpha_s\": %.6g, \"bw_bytes_per_s\": %.6g, ",
               reg.n, e_reg.all, e_reg.in, e_reg.oos, e_one.all, e_one.in, one.alpha_s[0], one.bw_bytes_per_s[0]);
        if (have_link) printf("\"file_link_max_error_ge_64k\": %.4f, ", e_flink.all);
        if (have_rec) printf("\"file_regimes_max_error_ge_64k\": %.4f, ", e_rec.all);
        printf("\"peak_busbw_bytes_per_s\": %.6g, \"sizes\": %d}\n", peak, k);
    }
    free(buf);
    free(out);
    MPI_Finalize();
    return 0;
}
