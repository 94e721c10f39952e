/* test_scale_collectives.c - α–β collectives against hand-worked numbers. */
#include <math.h>
#include <stdio.h>
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
 *   intra AG  same as RS
 * The phases are pipelined (NCCL splits the buffer into chunks): the bandwidth term is the slowest
 * phase (8 ms), the latencies add (2·3.5 µs + 10 µs): total 8.017 ms. */
static void test_hierarchical(void **s)
{
    (void)s;
    ms_dist_fabric_t f = { .accels_per_node = 8, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 200e9, .inter_alpha_s = 5e-6 };
    double rs = 7.0 / 8.0 * 1.6e9 / 300e9 + 7 * 0.5e-6;
    double inter = 0.2e9 / 25e9 + 2 * 5e-6;
    (void)rs;
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 16, 1, &f), inter + 2 * 7 * 0.5e-6, 1e-12);
    /* inside one node: plain ring on NVLink */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 8, 1, &f), ms_coll_allreduce_ring_s(1.6e9, 8, 300e9, 0.5e-6), 1e-12);
    /* stride 8 (one rank per node, e.g. the DP group of TP=8): flat ring at 25 GB/s */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 4, 8, &f), ms_coll_allreduce_ring_s(1.6e9, 4, 25e9, 5e-6), 1e-12);
    /* all-gather across nodes: inter AG of M/8 (4 ms) pipelined with intra AG of M (4.667 ms) */
    double ag = 7.0 / 8.0 * 1.6e9 / 300e9 + 5e-6 + 7 * 0.5e-6;
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, 1.6e9, 16, 1, &f), ag, 1e-12);
    /* more inter-node bandwidth is never slower */
    ms_dist_fabric_t g = f;
    g.inter_bw_bytes_per_s *= 2;
    assert_true(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 64, 1, &g) < ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 64, 1, &f));
}

/* NCCL-tests semantics (nccl-tests doc/PERFORMANCE.md): busbw = algbw·2(n-1)/n for all-reduce and
 * algbw·(n-1)/n for all-gather; for large messages busbw approaches the bottleneck bandwidth. On
 * DGX A100 nodes (8 × 200 Gb/s HDR rails = 25 GB/s per GPU per direction) a multi-node ring
 * all-reduce is bounded by the rails: busbw must land near 8 × 25 GB/s = 200 GB/s (above it on few
 * nodes, where the inter-node phase covers (nodes-1)/nodes of the data, as NCCL's tree does on two
 * nodes), not at one rail's 25 GB/s (a flat ring on one NIC). */
static void test_bus_bandwidth(void **s)
{
    (void)s;
    ms_dist_fabric_t f = { .accels_per_node = 8, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 200e9, .inter_alpha_s = 5e-6 };
    double M = 8e9;
    for (int nodes = 2; nodes <= 64; nodes *= 2) {
        int n = 8 * nodes;
        double t = ms_coll_time_s(MS_COLL_ALLREDUCE_RING, M, n, 1, &f);
        double bus = ms_coll_bus_bw(MS_COLL_ALLREDUCE_RING, M, n, t);
        printf("all-reduce %3d GPUs: algbw %.1f GB/s busbw %.1f GB/s\n", n, M / t / 1e9, bus / 1e9);
        assert_true(bus > 0.9 * 200e9 && bus < 1.2 * 200e9 * nodes / (nodes - 1));
        double tg = ms_coll_time_s(MS_COLL_ALL_GATHER, M, n, 1, &f);
        double bg = ms_coll_bus_bw(MS_COLL_ALL_GATHER, M, n, tg);
        assert_true(bg > 0.9 * 200e9 && bg < 1.2 * 200e9 * nodes / (nodes - 1));
    }
    /* inside one node the bottleneck is NVLink: busbw of an 8-GPU all-reduce ≈ 300 GB/s */
    double t8 = ms_coll_time_s(MS_COLL_ALLREDUCE_RING, M, 8, 1, &f);
    NEAR(ms_coll_bus_bw(MS_COLL_ALLREDUCE_RING, M, 8, t8) / 1e9, 300.0, 0.01);
    assert_true(ms_coll_bus_bw(MS_COLL_ALLREDUCE_RING, M, 1, 1.0) == 0.0);
    /* flat dp collectives (one rank per node): the whole group on one rail per rank */
    double tf = ms_coll_time_s(MS_COLL_ALL_GATHER, M, 64, 8, &f);
    assert_true(tf > 6.0 * ms_coll_time_s(MS_COLL_ALL_GATHER, M, 64, 1, &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_bytes),
        cmocka_unit_test(test_flat),
        cmocka_unit_test(test_hierarchical),
        cmocka_unit_test(test_bus_bandwidth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
