/* test_scale_collectives.c - α–β collectives against hand-worked numbers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mlsysim/distributed.h"

#define NEAR(a, b, rel) assert_true(fabs((a) - (b)) <= (rel) * fabs(b) + 1e-15)

/* Ring all-reduce of M bytes over N ranks moves 2(N-1)/N·M per rank. */
static void test_ring_bytes(void **s)
{
    (void)s;
    NEAR(ms_coll_bytes_per_rank(MS_COLL_ALLREDUCE_RING, 1e9, 8), 1.75e9, 1e-12);
    NEAR(ms_coll_bytes_per_rank(MS_COLL_REDUCE_SCATTER, 1e9, 4), 0.75e9, 1e-12);
    NEAR(ms_coll_bytes_per_rank(MS_COLL_ALL_GATHER, 1e9, 4), 0.75e9, 1e-12);
    assert_true(ms_coll_bytes_per_rank(MS_COLL_ALLREDUCE_RING, 1e9, 1) == 0.0);
}

/* 1 GB, 8 ranks, 50 GB/s, α = 500 ns (upstream MLSys·im known answers):
 * ring 2·7/8·0.02 s + 14·0.5 µs = 0.035007 s; tree 2·3·0.02 + 6·0.5 µs = 0.120003 s;
 * all-to-all 7/8·0.02 + 7·0.5 µs = 0.0175035 s. */
static void test_flat(void **s)
{
    (void)s;
    NEAR(ms_coll_allreduce_ring_s(1e9, 8, 50e9, 500e-9), 0.035007, 1e-9);
    NEAR(ms_coll_allreduce_tree_s(1e9, 8, 50e9, 500e-9), 0.120003, 1e-9);
    NEAR(ms_coll_all_to_all_s(1e9, 8, 50e9, 500e-9), 0.0175035, 1e-9);
    NEAR(ms_coll_reduce_scatter_s(1e9, 8, 50e9, 500e-9), 0.0175035, 1e-9);
    NEAR(ms_coll_all_gather_s(1e9, 8, 50e9, 500e-9), 0.0175035, 1e-9);
    assert_true(ms_coll_allreduce_ring_s(1e9, 1, 50e9, 500e-9) == 0.0);
}

/* 16 ranks on 2 nodes of 8 (NVLink 300 GB/s/dir, α 0.5 µs; node NICs 200 GB/s/dir → 25 GB/s per
 * accelerator, α 5 µs), M = 1.6 GB:
 *   intra RS  7/8·1.6e9/300e9 + 7·0.5 µs = 4.6667 ms + 3.5 µs
 *   inter AR  of M/8 = 0.2 GB over 2 nodes: 2·1/2·0.2e9/25e9 + 2·5 µs = 8 ms + 10 µs
 *   intra AG  same as RS                                    total 17.3473 ms */
static void test_hierarchical(void **s)
{
    (void)s;
    ms_dist_fabric_t f = { .accels_per_node = 8, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 200e9, .inter_alpha_s = 5e-6 };
    double rs = 7.0 / 8.0 * 1.6e9 / 300e9 + 7 * 0.5e-6;
    double inter = 0.2e9 / 25e9 + 2 * 5e-6;
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 16, 1, &f), 2 * rs + inter, 1e-12);
    /* inside one node: plain ring on NVLink */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 8, 1, &f), ms_coll_allreduce_ring_s(1.6e9, 8, 300e9, 0.5e-6), 1e-12);
    /* stride 8 (one rank per node, e.g. the DP group of TP=8): flat ring at 25 GB/s */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 4, 8, &f), ms_coll_allreduce_ring_s(1.6e9, 4, 25e9, 5e-6), 1e-12);
    /* all-gather across nodes: inter AG of M/8 then intra AG of M */
    double ag = (1.0 / 2.0) * 0.2e9 / 25e9 + 5e-6 + 7.0 / 8.0 * 1.6e9 / 300e9 + 7 * 0.5e-6;
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, 1.6e9, 16, 1, &f), ag, 1e-12);
    /* more inter-node bandwidth is never slower */
    ms_dist_fabric_t g = f;
    g.inter_bw_bytes_per_s *= 2;
    assert_true(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 64, 1, &g) < ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 64, 1, &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_bytes),
        cmocka_unit_test(test_flat),
        cmocka_unit_test(test_hierarchical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
