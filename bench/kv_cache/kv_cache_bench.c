/* kv_cache_bench.c - tokens/s generating 256 tokens (batch 1) with the KV cache vs recomputing the
 * whole prefix at every step, same model, same sampling, one thread.
 *
 *   kv_cache_bench [new_tokens] [repeats]     defaults 256 and 3 (best of the repeats)
 * Model: the gpt_train GPT (4 layers, width 128, 4 heads, vocabulary 96, tied head) with a 512-position
 * context so prompt + 256 new tokens fit; random weights (speed only). Prompt: 16 tokens. Sampling:
 * temperature 0.8, top-k 20, seed 7; both paths must produce the same tokens (checked).
 * Prints cache bytes (2 * layers * heads * head_dim * length * batch * 4), heap allocations made by
 * the cached generation loop (arena chunks; 0 in steady state), both rates and the ratio.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tinytorch/gemm.h"
#include "tinytorch/kvcache.h"
#include "../bench.h"

int main(int argc, char **argv)
{
    int n_new = argc > 1 ? atoi(argv[1]) : 256, reps = argc > 2 ? atoi(argv[2]) : 3;
    const int n_prompt = 16;
    if (n_new < 1 || n_new > 512 - n_prompt || reps < 1 || reps > 100) {
        fprintf(stderr, "kv_cache_bench: new tokens in [1, %d], repeats in [1, 100]\n", 512 - n_prompt);
        return 2;
    }
    tt_set_num_threads(1);
    tt_gpt_config cfg = {96, 512, 128, 4, 4, true, false};
    tt_rng rng;
    tt_rng_seed(&rng, 99);
    tt_gpt *g = tt_gpt_new(&cfg, &rng);
    tt_kv_cache *c = tt_kv_cache_new(g, 1, 512);
    int32_t prompt[16], *a = malloc(512 * sizeof *a), *b = malloc(512 * sizeof *b);
    if (!a || !b) {
        return 2;
    }
    for (int i = 0; i < n_prompt; i++) {
        prompt[i] = (int32_t)tt_rng_below(&rng, 96);
    }
    double best_cached = 1e30, best_full = 1e30, cpu_c = 0, wall_c = 0, cpu_f = 0, wall_f = 0;
    tt_gpt_generate_cached(g, c, prompt, n_prompt, n_new, 0.8f, 20, 7, b); /* warm-up */
    uint64_t allocs = tt_arena_heap_allocs();
    for (int r = 0; r < reps; r++) {
        double c0 = bench_cpu_s(), t0 = bench_now();
        tt_gpt_generate_cached(g, c, prompt, n_prompt, n_new, 0.8f, 20, 7, b);
        double dt = bench_now() - t0;
        cpu_c += bench_cpu_s() - c0;
        wall_c += dt;
        best_cached = dt < best_cached ? dt : best_cached;
    }
    allocs = tt_arena_heap_allocs() - allocs;
    for (int r = 0; r < reps; r++) {
        double c0 = bench_cpu_s(), t0 = bench_now();
        tt_gpt_generate(g, prompt, n_prompt, n_new, 0.8f, 20, 7, a);
        double dt = bench_now() - t0;
        cpu_f += bench_cpu_s() - c0;
        wall_f += dt;
        best_full = dt < best_full ? dt : best_full;
    }
    int same = memcmp(a, b, (size_t)(n_prompt + n_new) * sizeof *a) == 0;
    printf("kv_cache_bytes %zu\n", tt_kv_cache_bytes(c));
    printf("cached_loop_heap_allocs %llu\n", (unsigned long long)allocs);
    printf("same_tokens %d\n", same);
    printf("cached_cpu_percent %.0f\n", 100.0 * cpu_c / wall_c);
    printf("recompute_cpu_percent %.0f\n", 100.0 * cpu_f / wall_f);
    printf("recompute_tokens_per_s %.1f\n", n_new / best_full);
    printf("cached_tokens_per_s %.1f\n", n_new / best_cached);
    tt_kv_cache_free(c);
    tt_gpt_free(g);
    free(a);
    free(b);
    return same ? 0 : 1;
}
