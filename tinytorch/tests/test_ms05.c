/* test_ms05.c - milestone 05's attention check on models with known answers: the recomputed maps are
 * the model's (its forward's logits), rows are distributions with nothing on the future, a GPT's
 * prefixes do not change with its future tokens, entropies against hand-made maps, position hits, and a
 * model trained briefly on the milestone's copy task has a head whose attention peaks on the letter it
 * copies (an untrained one has none). The milestones come from their library (tinytorch_milestones). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "ms_common.h"
#include "05_transformer/attn_check.h"
#include "05_transformer/copy_task.h"

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static tt_gpt *small_gpt(uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_gpt_config cfg = {20, 16, 32, 2, 4, true, false};
    tt_gpt *g = tt_gpt_new(&cfg, &r);
    /* larger weights than GPT-2's N(0, 0.02), so the maps are far from uniform */
    for (int i = 0; i < g->params.n; i++) {
        tt_tensor *t = g->params.t[i];
        if (t->ndim == 2) {
            for (int64_t k = 0; k < t->numel; k++) {
                t->data[k] = 0.5f * tt_rng_normal(&r);
            }
        }
    }
    return g;
}

static void test_maps_are_the_models(void **state)
{
    (void)state;
    enum { T = 12, L = 2, H = 4 };
    tt_gpt *g = small_gpt(3);
    int32_t ids[T] = {1, 5, 7, 2, 19, 0, 3, 3, 11, 8, 4, 6};
    static float P[L * H * T * T];
    double diff = tt_ms05_attention_maps(g, ids, T, P);
    assert_true(diff < 1e-4);
    double sharp = 0;
    for (int lh = 0; lh < L * H; lh++) {
        for (int i = 0; i < T; i++) {
            const float *row = P + (lh * T + i) * T;
            double s = 0;
            for (int j = 0; j < T; j++) {
                assert_true(row[j] >= 0.0f);
                if (j > i) {
                    assert_true(row[j] == 0.0f);      /* nothing on the future */
                }
                s += row[j];
                sharp = row[j] > sharp && i > 0 ? row[j] : sharp;
            }
            assert_float_equal(s, 1.0, 1e-5);
        }
    }
    assert_true(sharp > 0.5);                         /* not uniform: the check sees real maps */
    double ent[L * H];
    tt_ms05_attention_entropy(P, L, H, T, 1, ent);
    double uni = tt_ms05_uniform_entropy(T, 1);
    for (int lh = 0; lh < L * H; lh++) {
        assert_true(ent[lh] >= 0.0 && ent[lh] <= uni + 1e-9);
    }
    assert_float_equal(tt_ms05_future_leak(g, ids, T, 9), 0.0, 0.0);
    tt_gpt_free(g);
}

/* Entropy and position hits on hand-made maps with known answers. */
static void test_entropy_and_hits(void **state)
{
    (void)state;
    enum { T = 4, L = 1, H = 2 };
    float P[L * H * T * T] = {0};
    for (int i = 0; i < T; i++) {
        P[(0 * T + i) * T + 0] = 1.0f;                /* head 0 always looks at key 0: entropy 0 */
        for (int j = 0; j <= i; j++) {
            P[(1 * T + i) * T + j] = 1.0f / (float)(i + 1); /* head 1 is uniform: entropy log(i + 1) */
        }
    }
    double ent[2];
    tt_ms05_attention_entropy(P, L, H, T, 0, ent);
    assert_float_equal(ent[0], 0.0, 1e-12);
    assert_float_equal(ent[1], (log(1) + log(2) + log(3) + log(4)) / 4.0, 1e-6);
    assert_float_equal(tt_ms05_uniform_entropy(T, 0), ent[1], 1e-6);
    /* pairs (query, key): head 0 peaks on key 0 for every query, so it hits (1,0) and (3,0), not (2,2) */
    int64_t q[3] = {1, 2, 3}, k[3] = {0, 2, 0}, best;
    double hit[2];
    double top = tt_ms05_position_hits(P, L, H, T, q, k, 3, hit, &best);
    assert_float_equal(hit[0], 2.0 / 3.0, 1e-12);
    assert_float_equal(hit[1], 2.0 / 3.0, 1e-12); /* uniform rows: ties go to the first key, key 0 */
    assert_int_equal(best, 0);                     /* equal shares: the first head */
    assert_float_equal(top, 2.0 / 3.0, 1e-12);
    k[1] = 1;                                      /* now no head peaks on key 1 for query 2 */
    P[(1 * T + 2) * T + 1] = 0.5f;                 /* unless head 1 does */
    P[(1 * T + 2) * T + 0] = P[(1 * T + 2) * T + 2] = 0.25f;
    top = tt_ms05_position_hits(P, L, H, T, q, k, 3, hit, &best);
    assert_float_equal(hit[1], 1.0, 1e-12);
    assert_int_equal(best, 1);
    assert_float_equal(top, 1.0, 1e-12);
}

/* A one-layer model trained briefly on milestone 05's copy task: some head's attention, at the answer
 * positions, peaks on the letter being copied; an untrained model's best head does not. */
static void test_trained_copy_head(void **state)
{
    (void)state;
    enum { B = 32, STEPS = 200, N = 50 };
    tt_rng r;
    tt_rng_seed(&r, 7);
    tt_gpt_config cfg = {SYN_V, SYN_T + 1, 32, 1, 2, false, false};
    tt_gpt *g = tt_gpt_new(&cfg, &r);
    int64_t L = 1, H = 2, T = SYN_T;
    static float P[2 * SYN_T * SYN_T];
    double hit[2], before = 0, after = 0;
    int64_t q[SEQ], k[SEQ], best;
    for (int i = 0; i < SEQ; i++) {
        q[i] = SEQ + i;
        k[i] = i;
    }
    tt_rng er;
    tt_rng_seed(&er, 99);
    for (int e = 0; e < N; e++) {
        int32_t ids[SYN_T], ans[SEQ];
        tt_ms05_make_example(&er, 0, ids, ans);
        tt_ms05_attention_maps(g, ids, T, P);
        tt_ms05_position_hits(P, L, H, T, q, k, SEQ, hit, &best);
        before += hit[best] / N;
    }
    tt_optimizer *opt = tt_adamw(&g->params, (tt_adam_opts){.lr = 1e-2f, .beta2 = 0.98f});
    int32_t ids[B * SYN_T], lab[B * SEQ];
    for (int s = 0; s < STEPS; s++) {
        for (int b = 0; b < B; b++) {
            tt_ms05_make_example(&r, 0, ids + b * SYN_T, lab + b * SEQ);
        }
        tt_batch bt = {.size = B};
        tt_train_step(g, opt, &bt, &(tt_step_opts){.loss = tt_ms05_answer_loss, .loss_ctx = &(syn_batch){ids, lab}},
                      NULL);
    }
    tt_rng_seed(&er, 99);
    for (int e = 0; e < N; e++) {
        int32_t x[SYN_T], ans[SEQ];
        tt_ms05_make_example(&er, 0, x, ans);
        assert_true(tt_ms05_attention_maps(g, x, T, P) < 1e-4);
        tt_ms05_position_hits(P, L, H, T, q, k, SEQ, hit, &best);
        after += hit[best] / N;
    }
    print_message("copy head peak share: %.3f untrained, %.3f after %d steps\n", before, after, STEPS);
    assert_true(before < 0.5);
    assert_true(after >= 0.9);
    tt_optim_free(opt);
    tt_gpt_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_maps_are_the_models, teardown),
        cmocka_unit_test_teardown(test_entropy_and_hits, teardown),
        cmocka_unit_test_teardown(test_trained_copy_head, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
