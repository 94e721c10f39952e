/* points.c - measured points for the labs' model-vs-reality page: TinyTorch's SGEMM at shapes
 * from a matrix-vector product (about 0.5 FLOP/byte) to square 512 (about 85 FLOP/byte), timed
 * on one thread, each with its FLOPs and its compulsory bytes (A, B read once, C written once),
 * plus this machine's one-thread roof measured in the same run: FP32 peak from independent FMA
 * chains, bandwidth from a triad over arrays much larger than the caches.
 *   points OUT.json        writes the file mlsb-labs --measured reads; prints a summary */
#define _POSIX_C_SOURCE 200809L
#include "tinytorch/gemm.h"
#include "../bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* FP32 FLOP/s of one core: 16 independent accumulator vectors of 16 floats, 2 FLOP per FMA. */
static double measure_peak(void)
{
    float acc[16][16], x[16], y[16];
    for (int i = 0; i < 16; i++) {
        x[i] = 1.0f + 1e-7f * i;
        y[i] = 0.999999f;
        for (int j = 0; j < 16; j++) acc[j][i] = (float)j;
    }
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        long iters = 2000000;
        double t0 = bench_now();
        for (long k = 0; k < iters; k++)
            for (int j = 0; j < 16; j++)
#pragma omp simd
                for (int i = 0; i < 16; i++) acc[j][i] = acc[j][i] * y[i] + x[i];
        double t = bench_now() - t0;
        double f = 2.0 * 16 * 16 * iters / t;
        if (f > best) best = f;
    }
    float sink = 0;
    for (int j = 0; j < 16; j++)
        for (int i = 0; i < 16; i++) sink += acc[j][i];
    if (sink == 12345.0f) printf("%g\n", sink);   /* keeps the loop */
    return best;
}

/* Bytes/s of a triad a = b + s*c over 3 x 64 MiB (read b, c; write a). */
static double measure_bandwidth(void)
{
    size_t n = (size_t)16 << 20;
    float *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
    if (!a || !b || !c) return 0;
    for (size_t i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = bench_now();
        for (size_t i = 0; i < n; i++) a[i] = b[i] + 0.5f * c[i];
        double t = bench_now() - t0;
        double bw = 3.0 * 4 * n / t;
        if (bw > best) best = bw;
    }
    if (a[n / 2] != 2.0f) best = 0;
    free(a); free(b); free(c);
    return best;
}

typedef struct { const char *name; long m, n, k; } shape;

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: points OUT.json   (measured points for mlsb-labs --measured)\n");
        return 1;
    }
    tt_set_num_threads(1);
    static const shape shapes[] = {
        {"sgemv 1x2048x2048", 1, 2048, 2048}, {"sgemm 4x2048x2048", 4, 2048, 2048},
        {"sgemm 16x1024x1024", 16, 1024, 1024}, {"sgemm 64x64x64", 64, 64, 64},
        {"sgemm 128x128x128", 128, 128, 128}, {"sgemm 256x256x256", 256, 256, 256},
        {"sgemm 512x512x512", 512, 512, 512},
    };
    double peak = measure_peak(), bw = measure_bandwidth();
    if (!(peak > 0) || !(bw > 0)) {
        fprintf(stderr, "points: could not measure the machine\n");
        return 1;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f) { perror(argv[1]); return 1; }
    fprintf(f, "{\"machine\": \"this machine, one core (measured)\", \"peak_flop_per_s\": %.6g, "
               "\"bandwidth_bytes_per_s\": %.6g, \"points\": [", peak, bw);
    printf("one-core roof: %.1f GFLOP/s, %.1f GB/s\n", peak / 1e9, bw / 1e9);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const shape *sh = &shapes[s];
        float *A = malloc(sizeof(float) * sh->m * sh->k), *B = malloc(sizeof(float) * sh->k * sh->n),
              *C = malloc(sizeof(float) * sh->m * sh->n);
        if (!A || !B || !C) { fclose(f); return 1; }
        for (long i = 0; i < sh->m * sh->k; i++) A[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < sh->k * sh->n; i++) B[i] = (float)(i % 5) * 0.1f;
        double flop = 2.0 * sh->m * sh->n * sh->k;
        double bytes = 4.0 * (sh->m * sh->k + sh->k * sh->n + sh->m * sh->n);
        long reps = (long)fmax(3, 2e9 / flop);   /* about 2 GFLOP of work per timing */
        double best = 1e30;
        for (int t = 0; t < 3; t++) {
            double t0 = bench_now();
            for (long r = 0; r < reps; r++) tt_sgemm(0, 0, sh->m, sh->n, sh->k, 1.0f, A, sh->k, B, sh->n, 0.0f, C, sh->n);
            double dt = (bench_now() - t0) / reps;
            if (dt < best) best = dt;
        }
        fprintf(f, "%s{\"name\": \"%s\", \"flop\": %.6g, \"bytes\": %.6g, \"seconds\": %.6g}", s ? ", " : "",
                sh->name, flop, bytes, best);
        printf("%-22s %8.2f FLOP/B  %8.2f GFLOP/s\n", sh->name, flop / bytes, flop / best / 1e9);
        free(A); free(B); free(C);
    }
    fprintf(f, "]}\n");
    if (fclose(f)) { perror(argv[1]); return 1; }
    return 0;
}
