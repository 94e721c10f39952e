/* attn_scaling.c - the quadratic wall: time and memory of causal self-attention (fused op, forward +
 * backward) against sequence length, one thread. Used by tinytorch/src/12_attention/ABOUT.md.
 *   attn_scaling        batch 1, 4 heads of 32 (width 128), T = 128 .. 4096
 * Memory = the arena's peak for one forward+backward (P [H, T, T] dominates); time = best of 3.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>
#include "tinytorch/attention.h"
#include "tinytorch/gemm.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    tt_set_num_threads(1);
    const int64_t H = 4, C = 128;
    printf("%6s %12s %12s %12s %10s\n", "T", "time_ms", "peak_MiB", "P_MiB", "time/T^2 ns");
    for (int64_t T = 128; T <= 4096; T *= 2) {
        double best = 1e30;
        size_t peak = 0;
        for (int r = 0; r < 3; r++) {
            tt_arena_reset();
            tt_arena_peak_clear();
            tt_tensor *qkv = tt_randn(TT_SHAPE(1, T, 3 * C), 0.0f, 1.0f, NULL);
            tt_set_requires_grad(qkv, true);
            tt_tensor *seed = tt_ones(TT_SHAPE(1, T, C));
            size_t base = tt_arena_used_bytes();
            tt_arena_peak_clear();
            tt_attn_mask m = {.causal = true};
            double t0 = now();
            tt_tensor *y = tt_attention_qkv(qkv, (int)H, &m);
            tt_backward_with(y, seed);
            double dt = now() - t0;
            best = dt < best ? dt : best;
            peak = tt_arena_peak_bytes() - base;
        }
        double pm = (double)(H * T * T * 4) / (1 << 20);
        printf("%6lld %12.2f %12.1f %12.1f %10.3f\n", (long long)T, 1e3 * best, (double)peak / (1 << 20), pm,
               1e9 * best / ((double)T * (double)T));
    }
    tt_arena_shutdown();
    return 0;
}
