/* test_scale_collectives.c - α–β collectives against hand-worked numbers. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mlsysim/distributed.h"
#include "mlsysim/engine.h"

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
 *   inter     each rail carries what NCCL's 16-rank ring sends through the node for its rank:
 *             2·15/16·(M/8) = 0.375 GB at 25 GB/s = 15 ms, + 2 ring steps over 2 nodes · 5 µs
 *   intra AG  same as RS
 * The phases are pipelined (NCCL splits the buffer into chunks): the bandwidth term is the slowest
 * phase (15 ms), the latencies add (2·3.5 µs + 10 µs), and the collective pays NCCL's base latency
 * once (9.55 µs, MS_NCCL_LL_BASE_LATENCY_S: published nccl-tests latencies of the smallest
 * messages): total 15.02655 ms. */
static void test_hierarchical(void **s)
{
    (void)s;
    ms_dist_fabric_t f = { .accels_per_node = 8, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 200e9, .inter_alpha_s = 5e-6 };
    double rs = 7.0 / 8.0 * 1.6e9 / 300e9 + 7 * 0.5e-6;
    double inter = 2.0 * 15.0 / 16.0 * 0.2e9 / 25e9 + 2 * 5e-6;
    (void)rs;
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 16, 1, &f), inter + 2 * 7 * 0.5e-6 + MS_NCCL_LL_BASE_LATENCY_S, 1e-12);
    NEAR(inter + 2 * 7 * 0.5e-6 + 9.55e-6, 15.02655e-3, 1e-12);
    /* inside one node: plain ring on NVLink, and the base latency */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 8, 1, &f), ms_coll_allreduce_ring_s(1.6e9, 8, 300e9, 0.5e-6) + MS_NCCL_LL_BASE_LATENCY_S, 1e-12);
    /* stride 8 (one rank per node, e.g. the DP group of TP=8): flat ring at 25 GB/s */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 4, 8, &f), ms_coll_allreduce_ring_s(1.6e9, 4, 25e9, 5e-6) + MS_NCCL_LL_BASE_LATENCY_S, 1e-12);
    /* all-gather across nodes: inter AG, 15/16 of M/8 per rail (7.5 ms), pipelined with intra AG of
     * M (4.667 ms); latency of NCCL's flat ring through the 16 ranks: its base, 14 NVLink steps and
     * 1 network step at NCCL's Simple-protocol step latencies (above the fabric's α here) */
    double ring16 = 8.4e-6 + 14 * 3.4e-6 + 1 * 14e-6;
    double ag = 15.0 / 16.0 * 0.2e9 / 25e9 + ring16;
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, 1.6e9, 16, 1, &f), ag, 1e-12);
    NEAR(ms_coll_time_s(MS_COLL_REDUCE_SCATTER, 1.6e9, 16, 1, &f), ag, 1e-12);
    /* more inter-node bandwidth is never slower */
    ms_dist_fabric_t g = f;
    g.inter_bw_bytes_per_s *= 2;
    assert_true(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 64, 1, &g) < ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 1.6e9, 64, 1, &f));
}

/* NVLink SHARP (nvls_efficiency 0.74 of the ring's link rate, 369 GB/s here: the NVLink4 node at
 * its achievable 0.82) on 8 ranks, M = 8 GB: the switch reduces and multicasts, so each link moves
 * M once: 8e9 / (0.74 · 369e9) = 29.297 ms + NVLS's 25 us, against the ring's 2·7/8·8e9/369e9 =
 * 37.940 ms + 7 · 2 · 0.5 us + 9.55 us; NCCL takes the faster. A 64 kB message keeps the ring (LL
 * latency below NVLS's 25 us); 2 ranks keep the ring at any size (M/bi < M/(0.74 bi)); forcing
 * the ring (NCCL_ALGO=RING) or a node without NVLS gives the ring. On 2 nodes (8 NICs of 50 GB/s
 * each, α 5 us) the all-reduce runs NVLS's tree: each rail carries M/8 = 1 GB at 50 GB/s = 20 ms
 * against NVLS's 29.297 ms inside the node, so 29.297 ms + 25 us + 2 · 5 us (one network hop each
 * way), where the ring sends 2·15/16 of M/8 per rail (37.5 ms); on 3 nodes and more the ring. */
static void test_nvls(void **s)
{
    (void)s;
    ms_dist_fabric_t f = { .accels_per_node = 8, .intra_bw_bytes_per_s = 369e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 400e9, .inter_alpha_s = 5e-6, .nvls_efficiency = 0.74 };
    double nvls = 8e9 / (0.74 * 369e9);
    NEAR(nvls, 29.2976e-3, 1e-5);
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 8, 1, &f), nvls + 25e-6, 1e-12);
    double ring = ms_coll_allreduce_ring_s(8e9, 8, 369e9, 0.5e-6) + MS_NCCL_LL_BASE_LATENCY_S;
    NEAR(ring, 37.9404e-3 + 16.55e-6, 1e-5);
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 65536, 8, 1, &f), ms_coll_allreduce_ring_s(65536, 8, 369e9, 0.5e-6) + MS_NCCL_LL_BASE_LATENCY_S, 1e-15);
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 2, 1, &f), ms_coll_allreduce_ring_s(8e9, 2, 369e9, 0.5e-6) + MS_NCCL_LL_BASE_LATENCY_S, 1e-12);
    ms_dist_fabric_t r = f;
    r.ring_only = 1;
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 8, 1, &r), ring, 1e-12);
    r = f;
    r.nvls_efficiency = 0;
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 8, 1, &r), ring, 1e-12);
    /* the other collectives are untouched */
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, 8e9, 8, 1, &f), ms_coll_all_gather_s(8e9, 8, 369e9, 0.5e-6) + MS_NCCL_LL_BASE_LATENCY_S, 1e-12);
    /* two nodes: NVLS's tree */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 16, 1, &f), nvls + 25e-6 + 2 * 5e-6, 1e-12);
    ms_dist_fabric_t ring2 = f;
    ring2.ring_only = 1;
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 16, 1, &ring2), 2.0 * 15.0 / 16.0 * 1e9 / 50e9 + 2 * 7 * 0.5e-6 + 2 * 5e-6 + MS_NCCL_LL_BASE_LATENCY_S, 1e-12);
    /* three nodes: the ring, as without NVLS */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 24, 1, &f), ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 8e9, 24, 1, &ring2), 1e-15);
}

/* The latency of an all-gather or reduce-scatter across nodes is NCCL's flat ring through every
 * rank (src/graph/tuning.cc, Simple protocol): 8.4 us + 3.4 us per NVLink step + 14 us per network
 * step. Hand-worked: 512 ranks in 64 nodes of 8 take 448 NVLink and 63 network steps, 8.4 + 1523.2
 * + 882 = 2413.6 us for a message too small to matter; one rank per node (stride 8, 64 ranks) 63
 * network steps, 890.4 us; a fabric α above NCCL's step latency replaces it; inside one node the
 * fabric's own α stays (7 · 0.5 us) beside NCCL's base (9.55 us); the all-reduce keeps its
 * hierarchical steps and that base. */
static void test_ring_latency(void **s)
{
    (void)s;
    ms_dist_fabric_t f = { .accels_per_node = 8, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 200e9, .inter_alpha_s = 5e-6 };
    double tiny = 8.0;                                   /* bytes: the bandwidth term is ~0 */
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, tiny, 512, 1, &f), 2413.6e-6, 1e-6);
    double lat = 0.0, whole = ms_coll_time_parts_s(MS_COLL_ALL_GATHER, 1e9, 512, 1, &f, &lat, NULL);
    NEAR(lat, 2413.6e-6, 1e-12);                           /* any size */
    NEAR(whole, ms_coll_time_s(MS_COLL_ALL_GATHER, 1e9, 512, 1, &f), 1e-15);
    NEAR(whole - lat, 511.0 / 512.0 * (1e9 / 8) / 25e9, 1e-9);   /* the network phase: 1/8 of M per rail */
    NEAR(ms_coll_time_s(MS_COLL_REDUCE_SCATTER, tiny, 512, 1, &f), 2413.6e-6, 1e-6);
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, tiny, 64, 8, &f), 890.4e-6, 1e-6);
    ms_dist_fabric_t slow = f;
    slow.inter_alpha_s = 20e-6;
    slow.intra_alpha_s = 5e-6;
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, tiny, 512, 1, &slow), 8.4e-6 + 448 * 5e-6 + 63 * 20e-6, 1e-6);
    NEAR(ms_coll_time_s(MS_COLL_ALL_GATHER, tiny, 8, 1, &f), 7 * 0.5e-6 + MS_NCCL_LL_BASE_LATENCY_S, 1e-3);
    /* all-reduce across nodes: (local - 1) NVLink steps twice, 2 (nodes - 1) network steps */
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, tiny, 512, 1, &f), 2 * 7 * 0.5e-6 + 2 * 63 * 5e-6 + MS_NCCL_LL_BASE_LATENCY_S, 1e-3);
    /* doubling the ranks at a fixed size never makes a gather faster */
    for (int n = 16; n <= 8192; n *= 2)
        assert_true(ms_coll_time_s(MS_COLL_ALL_GATHER, 1e6, 2 * n, 1, &f) > ms_coll_time_s(MS_COLL_ALL_GATHER, 1e6, n, 1, &f));
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

/* Two regimes, hand-worked at n = 2 (ring: 2(n-1)/n = 1, 2(n-1) = 2 latency steps):
 *   below 1 MiB: 10 GB/s, α 1 µs  -> 64 KiB: 65536/10e9 + 2 µs = 8.5536 µs
 *   from 1 MiB:   2 GB/s, α 5 µs  -> 4 MiB: 4194304/2e9 + 10 µs = 2107.152 µs
 * The fabric's intra-node regimes give the same numbers through ms_coll_time_s (a measured link's
 * α holds its whole per-message cost: no NCCL base latency beside it; without regimes it is there). */
static ms_coll_regimes_t two_regimes(void)
{
    ms_coll_regimes_t r = { .n = 2, .min_bytes = {1, 1048576}, .bw_bytes_per_s = {10e9, 2e9},
                            .alpha_s = {1e-6, 5e-6} };
    return r;
}

static void test_regimes(void **s)
{
    (void)s;
    ms_coll_regimes_t r = two_regimes();
    NEAR(ms_coll_allreduce_ring_regimes_s(65536, 2, &r), 8.5536e-6, 1e-12);
    NEAR(ms_coll_allreduce_ring_regimes_s(4194304, 2, &r), 2107.152e-6, 1e-12);
    assert_int_equal(ms_coll_regime_index(&r, 100), 0);
    assert_int_equal(ms_coll_regime_index(&r, 1048575), 0);
    assert_int_equal(ms_coll_regime_index(&r, 1048576), 1);
    assert_int_equal(ms_coll_regime_index(NULL, 1), -1);
    ms_dist_fabric_t f = { .accels_per_node = 2, .intra_bw_bytes_per_s = 300e9, .intra_alpha_s = 0.5e-6,
                           .inter_bw_bytes_per_s = 100e9, .inter_alpha_s = 5e-6, .intra_regimes = &r };
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 4194304, 2, 1, &f), 2107.152e-6, 1e-12);
    f.intra_regimes = NULL;
    NEAR(ms_coll_time_s(MS_COLL_ALLREDUCE_RING, 4194304, 2, 1, &f), 4194304 / 300e9 + 1e-6 + MS_NCCL_LL_BASE_LATENCY_S, 1e-12);
}

/* The fit recovers the two regimes from exact timings at 4 KiB .. 64 MiB: the split falls between
 * 512 KiB and 1 MiB (regime starts at their geometric mean, 741455 B), α and β within 1 %. */
static void test_regimes_fit(void **s)
{
    (void)s;
    ms_coll_regimes_t truth = two_regimes(), fit;
    double m[15], t[15];
    for (int i = 0; i < 15; i++) {
        m[i] = 4096.0 * pow(2, i);
        t[i] = ms_coll_allreduce_ring_regimes_s(m[i], 2, &truth);
    }
    double err = ms_coll_regimes_fit(m, t, 15, 2, 3, 3, &fit);
    assert_true(err >= 0 && err < 1e-3);
    assert_int_equal(fit.n, 2);
    NEAR(fit.min_bytes[1], sqrt(524288.0 * 1048576.0), 1e-9);
    for (int i = 0; i < 2; i++) {
        NEAR(fit.bw_bytes_per_s[i], truth.bw_bytes_per_s[i], 0.01);
        NEAR(fit.alpha_s[i], truth.alpha_s[i], 0.01);
    }
    /* one regime cannot describe both: its worst error is far larger */
    ms_coll_regimes_t one;
    assert_true(ms_coll_regimes_fit(m, t, 15, 2, 1, 3, &one) > 0.2);
    /* bad input */
    assert_true(ms_coll_regimes_fit(m, t, 0, 2, 3, 3, &fit) < 0);
    double back[2] = {2e6, 1e6}, tt[2] = {1e-3, 1e-3};
    assert_true(ms_coll_regimes_fit(back, tt, 2, 2, 1, 1, &fit) < 0);
}

static void write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Save and load round-trip; malformed files are refused naming file, line and column. */
static void test_regimes_file(void **s)
{
    (void)s;
    char dir[] = "/tmp/ms_regimes_XXXXXX", path[256], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.csv", dir);
    ms_coll_regimes_t r = two_regimes(), back;
    assert_int_equal(ms_coll_regimes_save(path, &r, "test\nsecond line", err, sizeof err), MS_DIST_OK);
    assert_int_equal(ms_coll_regimes_load(path, &back, err, sizeof err), MS_DIST_OK);
    assert_int_equal(back.n, 2);
    for (int i = 0; i < 2; i++) {
        NEAR(back.min_bytes[i], r.min_bytes[i], 1e-9);
        NEAR(back.bw_bytes_per_s[i], r.bw_bytes_per_s[i], 1e-9);
        NEAR(back.alpha_s[i], r.alpha_s[i], 1e-9);
    }
    write_text(path, "min_bytes,bw_bytes_per_s,alpha_s\n1,1e9,1e-6\n1,2e9,1e-6\n");
    assert_int_equal(ms_coll_regimes_load(path, &back, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":3: column min_bytes"));
    write_text(path, "min_bytes,bw_bytes_per_s,alpha_s\n1,-1e9,1e-6\n");
    assert_int_equal(ms_coll_regimes_load(path, &back, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: column bw_bytes_per_s"));
    write_text(path, "min_bytes,bw_bytes_per_s,alpha_s\n1,1e9,nan\n");
    assert_int_equal(ms_coll_regimes_load(path, &back, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: column alpha_s"));
    write_text(path, "bytes,bw\n");
    assert_int_equal(ms_coll_regimes_load(path, &back, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":1: header"));
    write_text(path, "# only a comment\n");
    assert_int_equal(ms_coll_regimes_load(path, &back, err, sizeof err), MS_DIST_EIO);
    assert_int_equal(ms_coll_regimes_load("/nonexistent/r.csv", &back, err, sizeof err), MS_DIST_EIO);
    unlink(path);
    rmdir(dir);
}

/* The recorded shared-memory regimes of bench/allreduce load and are ascending. */
static void test_recorded_regimes(void **s)
{
    (void)s;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/mlsysim/validation/shm_regimes.csv", MLSB_SOURCE_DIR);
    ms_coll_regimes_t r;
    assert_int_equal(ms_coll_regimes_load(path, &r, err, sizeof err), MS_DIST_OK);
    assert_true(r.n >= 1 && r.n <= 4);               /* the bench fits at most 4 */
    assert_true(r.min_bytes[0] == 65536);             /* fitted from 64 KB up */
}

/* Published NCCL-tests bus bandwidths (mlsysim/validation/collectives.csv) against the fleet
 * model's collective on the row's links at their achievable fractions. The three calibration rows
 * gave NVLink3 0.77, NVLink4 0.82 and NVLink SHARP 0.74, so they agree within 1 %; the held-out
 * rows (4 GPUs on NVLink4; 3 nodes of A100 on 4 HDR rails each; DGX-1 on 4 EDR rails; H100 nodes
 * with NCCL's default algorithm on 1, 2 and 4 nodes; Azure NDmv4's A100 all-reduce, all-gather and
 * all-to-all on 1 and 2 nodes) within the documented 20 % (the RoCE cluster of nccl issue 1221
 * runs 12-17 % below the InfiniBand figures), median within 5 %, except one GPU per node
 * (validation/README.md). The line-rate baseline misses the calibration rows by 20 % and more, and
 * the ring alone (no NVLink SHARP) misses the default-algorithm H100 rows of one node by more than
 * 20 %. */
static void test_nccl_published(void **s)
{
    (void)s;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/mlsysim/validation/collectives.csv", MLSB_SOURCE_DIR);
    ms_dist_coll_validation_t v;
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_OK);
    int held = 0, multinode = 0, nvls = 0;
    for (int i = 0; i < v.n; i++) {
        const ms_dist_coll_row_t *r = &v.rows[i];
        printf("%-22s %-5s predicted busbw %.1f GB/s, published %.1f GB/s, error %+.1f%% (line rate %+.1f%%)\n", r->id,
               r->heldout ? "held" : "calib", r->predicted_busbw_bytes_per_s / 1e9, r->measured_busbw_bytes_per_s / 1e9,
               100 * r->error, 100 * r->baseline_error);
        /* one GPU per node (NDmv4's 2 x 1 runs) reaches 0.67-0.79 of its NIC where the NICs of
         * a full node reach 0.94 each: not modelled, predicted too fast by 26-48 % */
        if (r->fabric.accels_per_node == 1) assert_true(r->error > 0.2 && r->error < 0.5);
        else assert_true(fabs(r->error) < (r->heldout ? 0.20 : 0.01));
        if (!r->heldout) assert_true(r->baseline_error > 0.2);
        if (r->fabric.nvls_efficiency > 0 && !r->fabric.ring_only && r->ranks <= r->fabric.accels_per_node) {
            ms_dist_fabric_t ring, ach;
            ring = r->fabric;
            ring.ring_only = 1;
            ms_dist_fabric_achievable(&ring, &ach);
            double t = ms_coll_time_s(r->kind, r->bytes, r->ranks, 1, &ach);
            double ring_err = ms_coll_bus_bw(r->kind, r->bytes, r->ranks, t) / r->measured_busbw_bytes_per_s - 1.0;
            assert_true(ring_err < -0.2);
            nvls++;
        }
        held += r->heldout;
        multinode += r->ranks > r->fabric.accels_per_node;
    }
    assert_true(held >= 2 && multinode >= 2 && nvls >= 3);
    assert_true(v.heldout.median_abs_error < 0.05);
    printf("calibration %d rows: median %.2f%% max %.2f%%; held-out %d rows: median %.2f%% max %.2f%%\n",
           v.calibration.n, 100 * v.calibration.median_abs_error, 100 * v.calibration.max_abs_error, v.heldout.n,
           100 * v.heldout.median_abs_error, 100 * v.heldout.max_abs_error);
    ms_dist_coll_validation_free(&v);
}

/* A malformed collectives table is refused naming file, line and column. */
static void test_nccl_table_errors(void **s)
{
    (void)s;
    char dir[] = "/tmp/ms_colltab_XXXXXX", path[256], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/c.csv", dir);
    const char *hdr = "id,generation,kind,ranks,ranks_per_node,intra_gb_s_dir,intra_efficiency,intra_alpha_us,"
                      "inter_node_gb_s_dir,inter_efficiency,inter_alpha_us,bytes,measured_busbw_gb_s,split,citation\n";
    char text[1024];
    ms_dist_coll_validation_t v;
    snprintf(text, sizeof text, "%sa,H100,allreduce,8,8,450,1.5,0.5,400,,5,1e9,370,calibration,c\n", hdr);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: column intra_efficiency"));
    snprintf(text, sizeof text, "%sa,H100,broadcast,8,8,450,,0.5,400,,5,1e9,370,calibration,c\n", hdr);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: column kind"));
    snprintf(text, sizeof text, "%sa,H100,allreduce,8,16,450,,0.5,400,,5,1e9,370,calibration,c\n", hdr);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: columns ranks"));
    snprintf(text, sizeof text, "%sa,H100,allreduce,8,8,450,,0.5,400,,5,1e9,370,fitted,c\n", hdr);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: column split"));
    /* the optional columns: NVLink SHARP's rate in (0, 1], algorithm ring or default */
    const char *hdr2 = "id,generation,kind,ranks,ranks_per_node,intra_gb_s_dir,intra_efficiency,intra_alpha_us,"
                       "inter_node_gb_s_dir,inter_efficiency,inter_alpha_us,bytes,measured_busbw_gb_s,split,citation,"
                       "algorithm,nvls_efficiency\n";
    snprintf(text, sizeof text, "%sa,H100,allreduce,8,8,450,,0.5,400,,5,1e9,370,calibration,c,,1.5\n", hdr2);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: column nvls_efficiency"));
    snprintf(text, sizeof text, "%sa,H100,allreduce,8,8,450,,0.5,400,,5,1e9,370,calibration,c,tree,0.74\n", hdr2);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":2: column algorithm"));
    snprintf(text, sizeof text, "%sa,H100,allreduce,8,8,450,,0.5,400,,5,8e9,370,heldout,c,ring,0.74\n"
                                "b,H100,allreduce,8,8,450,,0.5,400,,5,8e9,480,heldout,c,,0.74\n", hdr2);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_OK);
    assert_int_equal(v.n, 2);
    assert_true(v.rows[0].fabric.ring_only && !v.rows[1].fabric.ring_only);
    NEAR(v.rows[0].predicted_busbw_bytes_per_s / 1e9, 450 * MS_DIST_INTRA_LINK_EFFICIENCY, 0.01);
    assert_true(v.rows[1].predicted_busbw_bytes_per_s > 1.2 * v.rows[0].predicted_busbw_bytes_per_s);
    ms_dist_coll_validation_free(&v);
    /* a table in the original columns takes NVLink SHARP from its generation's calibration.csv
     * entry when one is given (H100 0.74; A100 none); 0 in the column switches it off */
    snprintf(text, sizeof text, "%sh,H100,allreduce,8,8,450,0.82,0.5,400,,5,8e9,480,heldout,c\n"
                                "a,A100,allreduce,8,8,300,0.77,0.5,200,,7,8e9,230,heldout,c\n", hdr);
    write_text(path, text);
    char cal[1024];
    snprintf(cal, sizeof cal, "%s/mlsysim/validation/calibration.csv", MLSB_SOURCE_DIR);
    assert_int_equal(ms_dist_coll_validation_load_figures(path, cal, &v, err, sizeof err), MS_DIST_OK);
    assert_string_equal(v.rows[0].algorithm, "nvls");
    NEAR(v.rows[0].fabric.nvls_efficiency, 0.74, 1e-12);
    assert_true(fabs(v.rows[0].error) < 0.01);
    assert_string_equal(v.rows[1].algorithm, "ring");
    ms_dist_coll_validation_free(&v);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_OK);
    assert_string_equal(v.rows[0].algorithm, "ring");           /* no figures given: none */
    ms_dist_coll_validation_free(&v);
    snprintf(text, sizeof text, "%sh,H100,allreduce,8,8,450,0.82,0.5,400,,5,8e9,370,heldout,c,,0\n", hdr2);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load_figures(path, cal, &v, err, sizeof err), MS_DIST_OK);
    assert_string_equal(v.rows[0].algorithm, "ring");
    ms_dist_coll_validation_free(&v);
    assert_int_equal(ms_dist_coll_validation_load_figures(path, "/nonexistent/calibration.csv", &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, "calibration.csv"));
    write_text(path, "id,kind\n");
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_EIO);
    assert_non_null(strstr(err, ":1: header"));
    /* a good row: blank efficiencies take the defaults */
    snprintf(text, sizeof text, "%sa,H100,allreduce,8,8,450,,0.5,400,,5,8e9,370,heldout,c\n", hdr);
    write_text(path, text);
    assert_int_equal(ms_dist_coll_validation_load(path, &v, err, sizeof err), MS_DIST_OK);
    assert_int_equal(v.n, 1);
    NEAR(v.rows[0].predicted_busbw_bytes_per_s / 1e9, 450 * MS_DIST_INTRA_LINK_EFFICIENCY, 0.01);
    ms_dist_coll_validation_free(&v);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_bytes),
        cmocka_unit_test(test_flat),
        cmocka_unit_test(test_hierarchical),
        cmocka_unit_test(test_nvls),
        cmocka_unit_test(test_ring_latency),
        cmocka_unit_test(test_bus_bandwidth),
        cmocka_unit_test(test_regimes),
        cmocka_unit_test(test_regimes_fit),
        cmocka_unit_test(test_regimes_file),
        cmocka_unit_test(test_recorded_regimes),
        cmocka_unit_test(test_nccl_published),
        cmocka_unit_test(test_nccl_table_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
