/* fp_probe: how much floating-point throughput this machine gives one thread, and all threads at once.
 *
 *   fp_probe [threads]      (default: OpenMP's thread count)
 *
 * Each thread runs independent chains of fused multiply-adds on the widest vectors the compiler
 * targets (built with -march=native by bench/common.sh), enough chains to hide the FMA latency, so
 * the loop is bound by the core's FMA units alone. The best of three windows, one thread and then
 * every thread together, gives `fp_scaling` = (all threads' FLOP/s) / (one thread's FLOP/s).
 *
 * Why: a virtual machine's vCPUs may be two hyperthreads of one physical core. Integer work then
 * scales to two threads, but FMA-bound work does not (both threads share the core's FMA units), which
 * caps the two-thread scaling of compute-bound training at about 1.0 whatever the framework does.
 * The same is measured for an integer multiply chain (`int_scaling`): near `threads` with `fp_scaling`
 * near 1 says the vCPUs share one core's vector units; both near 1 says they share one hardware thread.
 * The training benchmarks print these figures beside their own scaling so the two can be read together.
 * Last line: one JSON object with fp_gflops_one, fp_gflops_all, threads, fp_scaling, int_scaling. */
#define _POSIX_C_SOURCE 199309L
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* one register of the widest vector unit the build targets */
#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif
typedef float vec __attribute__((vector_size(LANES * 4)));
/* keeps the twelve chains in vector registers between iterations ("x" on x86, "w" on AArch64) */
#define IN_REGS(...) __asm__ volatile("" : __VA_ARGS__)
#if defined(__x86_64__) || defined(__i386__)
#define R(v) "+x"(v)
#else
#define R(v) "+w"(v)
#endif

enum { CHAINS = 12 }; /* independent chains: enough to hide 4-cycle FMA latency on two units */
static const long ITERS = 20000000;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ITERS x CHAINS multiply-adds on one thread, in twelve named registers (an array would live in
 * memory); returns a sum so the work is not optimised away */
#define CHAIN_INIT(i) vec a##i = (vec){0} + (1.0f + (float)(i) * 1e-7f);
#define CHAIN_STEP(i) a##i = a##i * b + c;
#define CHAIN_SUM(i) + a##i
#define ALL(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
static float chains(void)
{
    const vec b = (vec){0} + 0.9999999f, c = (vec){0} + 1e-7f;
    ALL(CHAIN_INIT)
    for (long n = 0; n < ITERS; n++) {
        ALL(CHAIN_STEP)
        /* the chains stay in registers and each step stays a dependent multiply-add */
        IN_REGS(R(a0), R(a1), R(a2), R(a3), R(a4), R(a5), R(a6), R(a7), R(a8), R(a9), R(a10), R(a11));
    }
    const vec t = (vec){0} ALL(CHAIN_SUM);
    float s = 0.0f;
    for (int k = 0; k < LANES; k++) {
        s += t[k];
    }
    return s;
}

/* the same time's worth of integer work: a multiply-add chain in general registers, no vector unit */
static float integers(void)
{
    unsigned long x = 1, y = 2;
    for (long n = 0; n < ITERS * 4; n++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        y ^= x >> 7;
    }
    return (float)(y & 0xff);
}

/* best rate per thread over three windows, with `threads` threads running `work` at once (GFLOP/s for
 * chains; for integers the same scale, only the ratio of its two rates is used) */
static double rate(float (*work)(void), int threads, float *sink)
{
    double best = 0.0;
    for (int w = 0; w < 3; w++) {
        double t0 = now();
#pragma omp parallel num_threads(threads)
        {
            float s = work();
#pragma omp atomic
            *sink += s;
        }
        double per = (double)ITERS * CHAINS * LANES * 2 / (now() - t0) / 1e9;
        if (per > best) best = per;
    }
    return best;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
    if (threads < 1) {
        fprintf(stderr, "fp_probe: threads must be a positive integer (got '%s')\n", argv[1]);
        return 2;
    }
    float sink = 0.0f;
    double one = rate(chains, 1, &sink), all = rate(chains, threads, &sink);
    double ione = rate(integers, 1, &sink), iall = rate(integers, threads, &sink);
    printf("{\"fp_gflops_one\": %.1f, \"fp_gflops_all\": %.1f, \"threads\": %d, \"fp_scaling\": %.3f, "
           "\"int_scaling\": %.3f, \"checksum\": %.1f}\n",
           one, all * threads, threads, all * threads / one, iall * threads / ione, (double)sink);
    return 0;
}
