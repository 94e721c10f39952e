/* sgemm_bench.c - GFLOP/s of tt_sgemm against OpenBLAS's cblas_sgemm, measured in the same run.
 *
 *   sgemm_bench            the comparison: square 64..1024, MLP/LeNet/GPT shapes, one thread each
 *                          side, then two-thread scaling; last line = one JSON object
 *   sgemm_bench steps [N]  the module's progression (ABOUT.md) on N x N x N (default 512)
 *   sgemm_bench shape M N K [ta tb]   one shape, both sides, one thread
 *   sgemm_bench peak       the roofline ceiling of one core: clock and FMA throughput measured
 *
 * Each timing is the best of several repetitions (the machine is shared), the two sides' repetitions
 * interleaved; each repetition runs the product enough times to last >= 20 ms. CPU share = (user + system CPU time) / wall time of that
 * side, from getrusage: ~100% means one busy core, ~200% two. Flops = 2*M*N*K.
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tinytorch/gemm.h"
#include "../bench.h"

void openblas_set_num_threads(int num_threads);   /* OpenBLAS extension, not in cblas.h everywhere */
char *openblas_get_corename(void);                /* the kernel family OpenBLAS chose at start-up */

typedef struct {
    const char *name;
    int ta, tb;
    int64_t M, N, K;
} shape;

typedef struct {
    double gflops;     /* best repetition */
    double cpu_share;  /* CPU time / wall time over all repetitions */
} result;

static void fill(float *x, int64_t n, unsigned seed)
{
    uint32_t s = seed * 2654435761u + 1u;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

enum { SIDE_OURS, SIDE_BLAS, SIDE_IJK, SIDE_IKJ, SIDE_BLOCKED };

static void run_once(int side, const shape *s, const float *A, const float *B, float *C)
{
    int64_t lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N, ldc = s->N;
    switch (side) {
    case SIDE_OURS:
        tt_sgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
        break;
    case SIDE_BLAS:
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                    s->tb ? CblasTrans : CblasNoTrans, (int)s->M, (int)s->N, (int)s->K, 1.0f, A,
                    (int)lda, B, (int)ldb, 0.0f, C, (int)ldc);
        break;
    case SIDE_IJK: tt_sgemm_step_ijk(s->M, s->N, s->K, A, B, C); break;
    case SIDE_IKJ: tt_sgemm_step_ikj(s->M, s->N, s->K, A, B, C); break;
    case SIDE_BLOCKED: tt_sgemm_step_blocked(s->M, s->N, s->K, A, B, C, 128); break;
    }
}

/* Iterations per repetition so that one repetition lasts >= 20 ms. */
static int iters_for(int side, const shape *s, const float *A, const float *B, float *C)
{
    run_once(side, s, A, B, C);   /* warm up: buffers, threads, caches */
    double t0 = bench_now();
    run_once(side, s, A, B, C);
    double one = bench_now() - t0;
    return one > 0.02 ? 1 : (int)(0.02 / (one > 1e-7 ? one : 1e-7)) + 1;
}

/* One repetition: seconds per product; adds its wall and CPU time to *wall, *cpu. */
static double one_rep(int side, const shape *s, const float *A, const float *B, float *C,
                      int iters, double *wall, double *cpu)
{
    double c0 = bench_cpu_s(), t = bench_now();
    for (int i = 0; i < iters; i++) run_once(side, s, A, B, C);
    t = bench_now() - t;
    *wall += t;
    *cpu += bench_cpu_s() - c0;
    return t / iters;
}

static result time_side(int side, const shape *s, const float *A, const float *B, float *C,
                        int reps)
{
    double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
    int iters = iters_for(side, s, A, B, C);
    double best = 1e30, wall = 0.0, cpu = 0.0;
    for (int r = 0; r < reps; r++) {
        double t = one_rep(side, s, A, B, C, iters, &wall, &cpu);
        if (t < best) best = t;
    }
    result res = { flops / best * 1e-9, cpu / wall };
    return res;
}

/* Both sides, repetitions interleaved (ours, blas, ours, blas ...) so that a burst of load from
 * other processes hits both alike; best repetition of each. */
static void time_pair(const shape *s, const float *A, const float *B, float *C, float *C2,
                      int reps, result *ours, result *blas)
{
    double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
    int io = iters_for(SIDE_OURS, s, A, B, C), ib = iters_for(SIDE_BLAS, s, A, B, C2);
    double bo = 1e30, bb = 1e30, wo = 0, co = 0, wb = 0, cb = 0;
    for (int r = 0; r < reps; r++) {
        double t = one_rep(SIDE_OURS, s, A, B, C, io, &wo, &co);
        if (t < bo) bo = t;
        t = one_rep(SIDE_BLAS, s, A, B, C2, ib, &wb, &cb);
        if (t < bb) bb = t;
    }
    ours->gflops = flops / bo * 1e-9;
    ours->cpu_share = co / wo;
    blas->gflops = flops / bb * 1e-9;
    blas->cpu_share = cb / wb;
}

/* Max |ours - blas| / (max |blas| + tiny): a sanity check that both sides compute the same. */
static double rel_diff(const shape *s, const float *A, const float *B, float *C1, float *C2)
{
    run_once(SIDE_OURS, s, A, B, C1);
    run_once(SIDE_BLAS, s, A, B, C2);
    double md = 0.0, mx = 1e-30;
    for (int64_t i = 0; i < s->M * s->N; i++) {
        double d = fabs((double)C1[i] - (double)C2[i]);
        if (d > md) md = d;
        if (fabs((double)C2[i]) > mx) mx = fabs((double)C2[i]);
    }
    return md / mx;
}

static void alloc_operands(const shape *s, float **A, float **B, float **C, float **C2)
{
    *A = malloc(sizeof(float) * (size_t)(s->M * s->K));
    *B = malloc(sizeof(float) * (size_t)(s->K * s->N));
    *C = malloc(sizeof(float) * (size_t)(s->M * s->N));
    *C2 = malloc(sizeof(float) * (size_t)(s->M * s->N));
    if (!*A || !*B || !*C || !*C2) {
        fprintf(stderr, "sgemm_bench: out of memory for %s\n", s->name);
        exit(1);
    }
    fill(*A, s->M * s->K, 1);
    fill(*B, s->K * s->N, 2);
}

#if defined(__x86_64__)
#include <immintrin.h>
/* Dependent chain: each FMA waits for the previous one, so n FMAs take n * latency cycles. */
__attribute__((target("avx512f"), noinline)) static float fma_chain(int64_t n, float x)
{
    __m512 v = _mm512_set1_ps(x), m = _mm512_set1_ps(0.999f), a = _mm512_set1_ps(1e-4f);
    for (int64_t i = 0; i < n; i++) v = _mm512_fmadd_ps(v, m, a);
    return _mm512_reduce_add_ps(v);
}
/* 24 independent chains: enough to cover latency x ports (4 x 2 = 8), so the FMA ports saturate. */
#define ACC24(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) \
                 X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)
__attribute__((target("avx512f"), noinline)) static float fma_throughput(int64_t n, float x)
{
    __m512 m = _mm512_set1_ps(0.999f), a = _mm512_set1_ps(1e-4f);
#define DECL(i) __m512 v##i = _mm512_set1_ps(x + (float)(i));
#define STEP(i) v##i = _mm512_fmadd_ps(v##i, m, a);
#define SUM(i) + _mm512_reduce_add_ps(v##i)
    ACC24(DECL)
    for (int64_t i = 0; i < n; i++) { ACC24(STEP) }
    return 0.0f ACC24(SUM);
#undef DECL
#undef STEP
#undef SUM
}
#endif

/* The roofline ceiling of one core, measured: FMA latency chain -> clock, independent FMAs ->
 * FMA vectors per cycle. Assumes the documented 4-cycle latency of a 512-bit FMA on Intel cores
 * from Skylake-SP to Sapphire Rapids (Intel 64 and IA-32 Architectures Optimization Reference
 * Manual; uops.info). */
static double measure_peak(double *clock_ghz, double *fma_per_cycle);

static int peak(void)
{
    double ghz, per_cycle;
    double gflops = measure_peak(&ghz, &per_cycle);
    if (gflops <= 0) {
        printf("peak: needs x86-64 with AVX-512\n");
        return 0;
    }
    printf("clock (dependent 512-bit FMA chain, 4-cycle latency): %.2f GHz\n", ghz);
    printf("512-bit FMAs per cycle (24 independent chains):        %.2f\n", per_cycle);
    printf("measured FP32 peak of one core: %.1f GFLOP/s  (= %.2f FMA/cycle x 16 floats x 2 flops x "
           "%.2f GHz)\n", gflops, per_cycle, ghz);
    printf("nominal: 2 FMA units x 16 x 2 x %.2f GHz = %.1f GFLOP/s\n", ghz, 2 * 16 * 2 * ghz);
    return 0;
}

/* Returns the measured FP32 peak of one core in GFLOP/s (0 where it cannot be measured). */
static double measure_peak(double *clock_ghz, double *fma_per_cycle)
{
    *clock_ghz = *fma_per_cycle = 0.0;
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx512f")) return 0.0;
    const int64_t n = 50 * 1000 * 1000;
    double best_lat = 1e30, best_thr = 1e30;
    volatile float sink = 0.0f;
    for (int r = 0; r < 5; r++) {
        double t = bench_now();
        sink += fma_chain(n, 1.0f);
        t = bench_now() - t;
        if (t < best_lat) best_lat = t;
        t = bench_now();
        sink += fma_throughput(n / 4, 1.0f);
        t = bench_now() - t;
        if (t < best_thr) best_thr = t;
    }
    (void)sink;
    double clock_hz = 4.0 * (double)n / best_lat;            /* 4 cycles per dependent FMA */
    double fma_per_s = 24.0 * (double)(n / 4) / best_thr;    /* 512-bit FMAs per second */
    *clock_ghz = clock_hz * 1e-9;
    *fma_per_cycle = fma_per_s / clock_hz;
    return fma_per_s * 32.0 * 1e-9;
#else
    return 0.0;
#endif
}

static int steps(int64_t n)
{
    shape s = { "square", 0, 0, n, n, n };
    float *A, *B, *C, *C2;
    alloc_operands(&s, &A, &B, &C, &C2);
    printf("progression on %lld x %lld x %lld (GFLOP/s, best of repetitions)\n", (long long)n,
           (long long)n, (long long)n);
    struct { const char *label; int side; const char *kernel; int threads; } st[] = {
        { "1 naive i-j-k triple loop        ", SIDE_IJK, NULL, 1 },
        { "2 loop order i-k-j               ", SIDE_IKJ, NULL, 1 },
        { "3 cache blocking (128 tiles)     ", SIDE_BLOCKED, NULL, 1 },
        { "4 packing + 6x8 register tile (C)", SIDE_OURS, "portable", 1 },
        { "5 SIMD: AVX2/FMA 6x16 kernel     ", SIDE_OURS, "avx2", 1 },
        { "6 SIMD: AVX-512 14x32 kernel     ", SIDE_OURS, "avx512", 1 },
        { "7 threads: AVX-512, 2 threads    ", SIDE_OURS, "avx512", 2 },
        { "  OpenBLAS cblas_sgemm, 1 thread ", SIDE_BLAS, NULL, 1 },
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        if (st[i].kernel && tt_sgemm_set_kernel(st[i].kernel) != 0) {
            printf("%s  (not supported on this CPU)\n", st[i].label);
            continue;
        }
        tt_set_num_threads(st[i].threads);
        int reps = st[i].side == SIDE_IJK || st[i].side == SIDE_IKJ ? 2 : 5;
        result r = time_side(st[i].side, &s, A, B, C, reps);
        printf("%s %8.2f GFLOP/s   cpu %3.0f%%\n", st[i].label, r.gflops, 100.0 * r.cpu_share);
        fflush(stdout);
    }
    tt_sgemm_set_kernel("auto");
    free(A); free(B); free(C); free(C2);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "peak") == 0) return peak();
    if (argc >= 5 && strcmp(argv[1], "shape") == 0) {
        shape s = { "shape", argc > 5 ? atoi(argv[5]) : 0, argc > 6 ? atoi(argv[6]) : 0,
                    atoll(argv[2]), atoll(argv[3]), atoll(argv[4]) };
        if (s.M <= 0 || s.N <= 0 || s.K <= 0) {
            fprintf(stderr, "sgemm_bench shape: M N K must be positive integers\n");
            return 2;
        }
        float *A, *B, *C, *C2;
        alloc_operands(&s, &A, &B, &C, &C2);
        tt_set_num_threads(1);
        openblas_set_num_threads(1);
        result o, b;
        time_pair(&s, A, B, C, C2, 9, &o, &b);
        printf("%lldx%lldx%lld ta=%d tb=%d: ours %.2f GFLOP/s (%s), openblas %.2f, ratio %.3f\n",
               (long long)s.M, (long long)s.N, (long long)s.K, s.ta, s.tb, o.gflops,
               tt_sgemm_kernel(), b.gflops, o.gflops / b.gflops);
        free(A); free(B); free(C); free(C2);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "steps") == 0)
        return steps(argc > 2 ? atoll(argv[2]) : 512);

    static const shape shapes[] = {
        { "square 64", 0, 0, 64, 64, 64 },
        { "square 128", 0, 0, 128, 128, 128 },
        { "square 256", 0, 0, 256, 256, 256 },
        { "square 512", 0, 0, 512, 512, 512 },
        { "square 1024", 0, 0, 1024, 1024, 1024 },
        { "mlp fwd 64x784.784x128", 0, 0, 64, 128, 784 },
        { "mlp dW 784x64.64x128 (A^T)", 1, 0, 784, 128, 64 },
        { "mlp dX 64x128.128x784 (B^T)", 0, 1, 64, 784, 128 },
        { "mlp fwd2 64x128.128x10", 0, 0, 64, 10, 128 },
        { "lenet conv1 6x25.25x(64*784)", 0, 0, 6, 64 * 784, 25 },
        { "lenet conv2 16x150.150x(64*100)", 0, 0, 16, 64 * 100, 150 },
        { "gpt qkv 2048x128.128x384", 0, 0, 2048, 384, 128 },
        { "gpt mlp 2048x128.128x512", 0, 0, 2048, 512, 128 },
        { "gpt attn 128x32.32x128 (B^T)", 0, 1, 128, 128, 32 },
    };
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    double r512 = 0, r1024 = 0, o512 = 0, o1024 = 0, b512 = 0, b1024 = 0;
    double mlp_min = 1e30, mlp_prod = 1.0;
    int mlp_n = 0;

    double ghz, fpc, peak_gflops = measure_peak(&ghz, &fpc);
    if (peak_gflops > 0)
        printf("one-core FP32 peak now: %.1f GFLOP/s (clock %.2f GHz, %.2f FMA/cycle; "
               "`sgemm_bench peak`)\n", peak_gflops, ghz, fpc);
    printf("tt_sgemm path: %s; OpenBLAS: OPENBLAS_NUM_THREADS=%s\n", tt_sgemm_kernel(),
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "(unset)");
    tt_sgemm_blocking bl = tt_sgemm_get_blocking();
    printf("blocking: MR=%d NR=%d KC=%lld MC=%lld NC=%lld (L1d %lld KiB, L2 %lld KiB)\n", bl.mr,
           bl.nr, (long long)bl.kc, (long long)bl.mc, (long long)bl.nc,
           (long long)(bl.l1d_bytes / 1024), (long long)(bl.l2_bytes / 1024));
    if (bench_anchor_forced()) {
        printf("warning: %s is set: OpenBLAS (the anchor) runs forced kernels; start through bench/run.sh\n",
               bench_anchor_forced());
    }
    printf("%-34s %10s %6s %10s %6s %7s %9s\n", "shape (1 thread each)", "ours", "cpu", "openblas",
           "cpu", "ratio", "rel.diff");
    tt_set_num_threads(1);
    openblas_set_num_threads(1);
    for (int i = 0; i < nshapes; i++) {
        const shape *s = &shapes[i];
        float *A, *B, *C, *C2;
        alloc_operands(s, &A, &B, &C, &C2);
        double diff = rel_diff(s, A, B, C, C2);
        result o, b;
        time_pair(s, A, B, C, C2, 9, &o, &b);
        double ratio = o.gflops / b.gflops;
        printf("%-34s %10.2f %5.0f%% %10.2f %5.0f%% %7.3f %9.1e\n", s->name, o.gflops,
               100.0 * o.cpu_share, b.gflops, 100.0 * b.cpu_share, ratio, diff);
        fflush(stdout);
        if (s->M == 512 && s->N == 512) { r512 = ratio; o512 = o.gflops; b512 = b.gflops; }
        if (s->M == 1024 && s->N == 1024) { r1024 = ratio; o1024 = o.gflops; b1024 = b.gflops; }
        if (strncmp(s->name, "mlp", 3) == 0) {
            mlp_prod *= ratio;
            mlp_n++;
            if (ratio < mlp_min) mlp_min = ratio;
        }
        free(A); free(B); free(C); free(C2);
    }

    /* Two threads on 512 and 1024: speed-up over one thread, each side. */
    double scale_ours[2] = { 0, 0 }, scale_blas[2] = { 0, 0 };
    printf("%-34s %10s %6s %10s %6s\n", "two-thread scaling", "ours 2t", "cpu", "blas 2t", "cpu");
    for (int i = 0; i < 2; i++) {
        const shape *s = &shapes[3 + i];
        float *A, *B, *C, *C2;
        alloc_operands(s, &A, &B, &C, &C2);
        tt_set_num_threads(2);
        openblas_set_num_threads(2);
        result o, b;
        time_pair(s, A, B, C, C2, 9, &o, &b);
        tt_set_num_threads(1);
        openblas_set_num_threads(1);
        double o1 = i == 0 ? o512 : o1024, b1 = i == 0 ? b512 : b1024;
        scale_ours[i] = o.gflops / o1;
        scale_blas[i] = b.gflops / b1;
        printf("%-34s %10.2f %5.0f%% %10.2f %5.0f%%   speed-up ours %.2fx, openblas %.2fx\n",
               s->name, o.gflops, 100.0 * o.cpu_share, b.gflops, 100.0 * b.cpu_share,
               scale_ours[i], scale_blas[i]);
        free(A); free(B); free(C); free(C2);
    }

    double ours = sqrt(o512 * o1024), anchor = sqrt(b512 * b1024);
    double headline = r512 < r1024 ? r512 : r1024;
    printf("{\"name\": \"sgemm\", \"ours\": %.2f, \"anchor\": %.2f, \"unit\": \"GFLOP/s\", "
           "\"ratio\": %.3f, \"ratio_def\": \"min of the 512 and 1024 single-thread ratios; ours/anchor "
           "= geometric mean GFLOP/s of 512 and 1024\", \"ratio_512\": %.3f, \"ratio_1024\": %.3f, "
           "\"ratio_geomean_512_1024\": %.3f, \"mlp_ratio_min\": %.3f, \"mlp_ratio_geomean\": %.3f, "
           "\"two_thread_speedup_ours_512\": %.2f, \"two_thread_speedup_ours_1024\": %.2f, "
           "\"two_thread_speedup_openblas_512\": %.2f, \"two_thread_speedup_openblas_1024\": %.2f, "
           "\"peak_gflops_1core\": %.1f, \"clock_ghz\": %.2f, \"kernel\": \"%s\", "
           "\"openblas_core\": \"%s\"}\n",
           ours, anchor, headline, r512, r1024, sqrt(r512 * r1024), mlp_min,
           pow(mlp_prod, 1.0 / (mlp_n ? mlp_n : 1)), scale_ours[0], scale_ours[1], scale_blas[0],
           scale_blas[1], peak_gflops, ghz, tt_sgemm_kernel(), openblas_get_corename());
    return 0;
}
