/* test_scale_search.c - the parallelism search finds the true optimum of a small space (checked
 * by brute force), classifies the losers, and sweeps a space of over 1,000,000 points. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "mlsysim/distributed.h"

static ms_dist_model_t m175(void)
{
    ms_dist_model_t m = { .layers = 96, .hidden = 12288, .heads = 96, .vocab = 51200, .seq_len = 2048,
                          .tied_embeddings = 1, .learned_pos = 1, .biases = 1 };
    return m;
}

static const ms_dist_accel_t A100 = { .peak_flops = 312e12, .mem_bw_bytes_per_s = 2039e9,
                                      .mem_capacity_bytes = 80.0 * 1073741824.0, .efficiency = 0.7 };
static const ms_dist_fabric_t SELENE = { .accels_per_node = 8, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                                         .inter_bw_bytes_per_s = 200e9, .inter_alpha_s = 7e-6 };

static void test_small_space_brute_force(void **s)
{
    (void)s;
    ms_dist_model_t m = m175();
    ms_dist_parallel_t base = { .global_batch = 1536, .ep = 1, .cp = 1 };
    ms_dist_search_result_t r;
    char err[256];
    assert_int_equal(ms_dist_search_parallelism(&A100, &m, &SELENE, 384, &base, NULL, 5, &r, err, sizeof err), MS_DIST_OK);
    assert_true(r.n_best >= 1);
    /* brute force over the default space */
    /* every divisor of 384 up to 8 (TP) and up to the 96 layers (PP) */
    int tps[] = {1, 2, 3, 4, 6, 8}, pps[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96}, mbs[] = {1, 2, 4, 8};
    double best = INFINITY;
    long fits = 0;
    for (int i = 0; i < 6; i++) for (int j = 0; j < 13; j++) for (int k = 0; k < 4; k++)
    for (int z = 0; z < 4; z++) for (int rc = 0; rc < 3; rc++) for (int sp = 0; sp < 2; sp++) {
        ms_dist_parallel_t p = base;
        p.tp = tps[i]; p.pp = pps[j]; p.microbatch = mbs[k]; p.interleave = 1; p.zero_stage = z;
        p.recompute = (ms_dist_recompute_t)rc; p.sequence_parallel = sp;
        if (sp && p.tp == 1) continue;
        /* the search's space holds whole micro-batches only (the engine also runs a short last one) */
        if (384 % (p.tp * p.pp) == 0 && p.global_batch % (384 / (p.tp * p.pp) * p.microbatch)) continue;
        ms_dist_train_t t;
        if (ms_dist_train_step(&A100, &m, &p, &SELENE, 384, &t, NULL, 0) != MS_DIST_OK || !t.fits) continue;
        fits++;
        if (t.step_time_s < best) best = t.step_time_s;
    }
    assert_true(r.best[0].res.step_time_s == best);
    assert_int_equal(r.feasible, fits);
    for (int i = 1; i < r.n_best; i++) assert_true(r.best[i].res.step_time_s >= r.best[i - 1].res.step_time_s);
    assert_true(r.lost[MS_LOSE_MEMORY] > 0); /* 175B does not fit most small TP·PP */
    long total = 0;
    for (int i = 0; i <= MS_LOSE_INVALID; i++) total += r.lost[i];
    assert_int_equal(total + 1, r.evaluated);
    printf("best of %ld points: tp %d pp %d mb %d zero %d rc %d sp %d: %.2f s/step (%.1f TFLOP/s)\n",
           r.evaluated, r.best[0].par.tp, r.best[0].par.pp, r.best[0].par.microbatch, r.best[0].par.zero_stage,
           (int)r.best[0].par.recompute, r.best[0].par.sequence_parallel, r.best[0].res.step_time_s,
           r.best[0].res.tflops_per_accelerator);
}

/* > 1,000,000 points: pp 1..82, micro-batch 1..32, tp {1,2,4,8}, interleave 1..4, ZeRO 0..3,
 * three recompute modes, SP on/off = 82·32·4·4·4·3·2 = 1,007,616. */
static void test_million(void **s)
{
    (void)s;
    ms_dist_model_t m = m175();
    static int pp[83], mb[33];
    for (int i = 0; i < 82; i++) pp[i] = i + 1;
    for (int i = 0; i < 32; i++) mb[i] = i + 1;
    static const int tp[] = {1, 2, 4, 8, 0}, il[] = {1, 2, 3, 4, 0}, zs[] = {0, 1, 2, 3, -1}, rc[] = {0, 1, 2, -1};
    ms_dist_space_t sp = { .tp = tp, .pp = pp, .microbatch = mb, .interleave = il, .zero_stage = zs,
                           .recompute = rc, .sequence_parallel = -1 };
    ms_dist_parallel_t base = { .global_batch = 3072, .ep = 1, .cp = 1 };
    ms_dist_search_result_t r;
    assert_int_equal(ms_dist_search_parallelism(&A100, &m, &SELENE, 3072, &base, &sp, 5, &r, NULL, 0), MS_DIST_OK);
    assert_int_equal(r.evaluated, 1007616L);
    assert_true(r.n_best == 5);
    long valid = r.evaluated - r.lost[MS_LOSE_INVALID];
    printf("%ld points (%ld valid plans, %ld fit) in %.2f s; best tp %d pp %d v %d mb %d: %.2f s/step\n",
           r.evaluated, valid, r.feasible, r.seconds, r.best[0].par.tp, r.best[0].par.pp,
           r.best[0].par.interleave, r.best[0].par.microbatch, r.best[0].res.step_time_s);
    assert_true(r.seconds < 120.0); /* generous: sanitizer builds on a shared machine */

    /* Most of those points are invalid degree combinations and cost nothing; time 1,000,000 full
     * evaluations of valid plans too (one thread). */
    ms_dist_parallel_t p = { .tp = 8, .pp = 8, .microbatch = 1, .global_batch = 3072, .interleave = 4,
                             .recompute = MS_DIST_RECOMPUTE_FULL, .ep = 1, .cp = 1 };
    struct timespec t0, t1;
    timespec_get(&t0, TIME_UTC);
    double acc = 0;
    for (int i = 0; i < 1000000; i++) {
        ms_dist_train_t t;
        p.microbatch = 1 << (i % 4);
        p.zero_stage = (i / 4) % 4;
        assert_int_equal(ms_dist_train_step(&A100, &m, &p, &SELENE, 3072, &t, NULL, 0), MS_DIST_OK);
        acc += t.step_time_s;
    }
    timespec_get(&t1, TIME_UTC);
    double dt = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    printf("1,000,000 full plan evaluations in %.2f s on one thread (%.2f M/s)\n", dt, 1.0 / dt);
    assert_true(acc > 0 && dt < 120.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_space_brute_force),
        cmocka_unit_test(test_million),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
