/* test_kvcache.c - module 18: cached logits equal recomputation at every position, same generated
 * tokens, cache size formula, no heap allocation in the generation loop, overflow errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#pragma GCC diagnostic ignored "-Wunused-function" /* this file uses only EXPECT_FATAL */
#include "tt_test.h"
#include "tinytorch/kvcache.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static tt_gpt *model(uint64_t seed, bool sinusoidal)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_gpt_config cfg = {17, 80, 24, 3, 3, false, sinusoidal};
    tt_gpt *g = tt_gpt_new(&cfg, &r);
    /* larger weights than the init, so attention is far from uniform */
    for (int i = 0; i < g->params.n; i++) {
        tt_tensor *t = g->params.t[i];
        for (int64_t j = 0; j < t->numel && t->ndim == 2; j++) {
            t->data[j] *= 10.0f;
        }
    }
    return g;
}

static void test_cached_logits_match(void **state)
{
    (void)state;
    for (int sinus = 0; sinus < 2; sinus++) {
        tt_gpt *g = model(1 + (uint64_t)sinus, sinus);
        int64_t T = 70, V = 17;
        int32_t ids[70];
        for (int i = 0; i < T; i++) {
            ids[i] = (i * 11 + 5) % 17;
        }
        tt_no_grad_begin();
        tt_tensor *full = tt_gpt_forward(g, ids, 1, T, NULL);
        tt_no_grad_end();
        tt_kv_cache *c = tt_kv_cache_new(g, 1, 80);
        /* prefill 5 tokens, then one at a time */
        tt_tensor *pre = tt_gpt_forward_cached(g, c, ids, 5);
        /* relative error of a position = max |cached - full| / max |full| over its V logits
         * (element-wise ratios are meaningless for logits that happen to be near 0) */
        double worst = 0;
        for (int64_t t = 0; t < T; t++) {
            const float *got = t < 5 ? pre->data + t * V : tt_gpt_forward_cached(g, c, &ids[t], 1)->data;
            const float *want = full->data + t * V;
            double diff = 0, scale = 0;
            for (int64_t j = 0; j < V; j++) {
                diff = fmax(diff, fabs((double)got[j] - want[j]));
                scale = fmax(scale, fabs((double)want[j]));
            }
            worst = fmax(worst, diff / scale);
        }
        assert_true(worst <= 1e-5);
        assert_int_equal(c->len, T);
        tt_kv_cache_free(c);
        tt_gpt_free(g);
    }
}

static void test_generation_and_memory(void **state)
{
    (void)state;
    tt_gpt *g = model(3, false);
    tt_kv_cache *c = tt_kv_cache_new(g, 1, 80);
    /* bytes = 2 * layers * heads * head_dim * length * batch * 4 = 2*3*3*8*80*1*4 */
    assert_int_equal(tt_kv_cache_bytes(c), 2 * 3 * 3 * 8 * 80 * 1 * 4);
    int32_t prompt[4] = {3, 1, 4, 1}, a[64], b[64];
    tt_gpt_generate(g, prompt, 4, 60, 0.9f, 8, 123, a);
    tt_gpt_generate_cached(g, c, prompt, 4, 60, 0.9f, 8, 123, b);
    assert_memory_equal(a, b, sizeof a);
    /* steady state: a second generation allocates nothing from the heap (arena chunks reused) */
    uint64_t before = tt_arena_heap_allocs();
    tt_gpt_generate_cached(g, c, prompt, 4, 60, 0.0f, 0, 5, b);
    assert_true(tt_arena_heap_allocs() == before);
    EXPECT_FATAL(tt_gpt_forward_cached(g, c, prompt, 40), "new tokens after");
    tt_kv_cache_free(c);
    tt_gpt_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_cached_logits_match, teardown),
        cmocka_unit_test_teardown(test_generation_and_memory, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
