/* test_scale_ops.c - reliability, economics/carbon, Chinchilla, queueing, placement and batching
 * against hand-worked numbers and upstream MLSys·im golden values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mlsysim/distributed.h"
#include "mlsysim/physics.h"

#define NEAR(a, b, rel) assert_true(fabs((a) - (b)) <= (rel) * fabs(b) + 1e-12)

/* DGX-H100 node: 8 GPUs (50,000 h), 8 NICs (150,000 h), 2 PSUs (100,000 h):
 * 1/(8/5e4 + 8/1.5e5 + 2/1e5) = 4285.714 h. Young–Daly, δ = 60 s, MTBF 50,000 h: √(2·60·1.8e8)
 * = 146,969.4 s. P(fail within one MTBF) = 1 - 1/e. */
static void test_reliability(void **s)
{
    (void)s;
    ms_dist_reliability_t r = {0};
    NEAR(ms_rel_node_mtbf_h(&r, 8), 4285.714286, 1e-9);
    NEAR(ms_rel_cluster_mtbf_h(4285.714286, 1000), 4.285714286, 1e-9);
    NEAR(ms_rel_young_daly_s(60, 50000 * 3600.0), 146969.385, 1e-8);
    NEAR(ms_rel_failure_prob(100, 100), 1 - exp(-1), 1e-12);
    /* Daly 2006 with r = δ/(2M): √(2δM)·(1 + √r/3 + r/9) - δ */
    double d = 60, M = 3600, rr = d / (2 * M);
    NEAR(ms_rel_daly_s(d, M), sqrt(2 * d * M) * (1 + sqrt(rr) / 3 + rr / 9) - d, 1e-12);
    NEAR(ms_rel_checkpoint_write_s(2.45e12, 100e9), 24.5, 1e-12);
    /* goodput: τ = 1000 s, δ = 10 s, R = 300 s, M = 1e5 s: 1 - 0.01 - (500 + 300)/1e5 = 0.982 */
    NEAR(ms_rel_goodput(1000, 10, 300, 1e5), 0.982, 1e-12);
}

/* Upstream golden (EconomicsModel / SustainabilityModel): 256 H100 (700 W, $25,000), 1 day,
 * load 0.45, US average grid (429 g/kWh, PUE 1.12, WUE 1.8): IT 2644.992 kWh, facility
 * 2962.391 kWh, 1270.866 kg CO2e, 5332.30 L; capex 5844.75, energy 355.49 at $0.12/kWh,
 * maintenance 876.71, TCO 7076.95 USD, with upstream's power line (power_saturation 1). */
static void test_economics(void **s)
{
    (void)s;
    ms_dist_accel_t h100 = { .peak_flops = 989e12, .mem_bw_bytes_per_s = 3.35e12, .tdp_w = 700, .unit_cost_usd = 25000 };
    ms_dist_grid_t us = { .name = "US_Avg", .carbon_g_per_kwh = 429, .pue = 1.12, .wue_l_per_kwh = 1.8, .price_usd_per_kwh = 0.12 };
    ms_dist_econ_inputs_t e = { .utilization = 0.45, .power_saturation = 1.0 };
    ms_dist_ops_t o;
    assert_int_equal(ms_econ_run(&h100, 256, 86400, 1e9, &us, &e, &o), MS_DIST_OK);
    NEAR(o.energy_it_j / 3.6e6, 2644.992, 1e-9);
    NEAR(o.energy_j / 3.6e6, 2962.39104, 1e-9);
    NEAR(o.carbon_kg, 1270.866, 1e-5);
    NEAR(o.water_l, 5332.30, 1e-5);
    NEAR(o.capex_usd, 5844.75, 1e-5);
    NEAR(o.energy_cost_usd, 355.49, 1e-4);
    NEAR(o.maintenance_usd, 876.71, 1e-5);
    NEAR(o.cost_usd, 7076.95, 1e-5);
    NEAR(o.cost_per_mtok_usd, o.cost_usd / 1000.0, 1e-12);

    /* Node level: one DGX H100 for one hour at full load. The datasheet's 10.2 kW less 8 × 700 W of
     * GPUs leaves 4.6 kW of host, NICs, switches and fans: IT (5600 + 4600) W × 3600 s = 36.72 MJ
     * (10.2 kWh), facility ×1.12 = 11.424 kWh. Node price $350k with GPUs at $25k: $150k node part;
     * capex $350k over 3 years for 1 h = 350000/(3·8760) = 13.318 USD. */
    ms_dist_econ_inputs_t en = { .utilization = 1.0, .accels_per_node = 8, .node_power_w = 4600,
                                 .node_price_usd = 150000 };
    assert_int_equal(ms_econ_run(&h100, 8, 3600, 0, &us, &en, &o), MS_DIST_OK);
    NEAR(o.energy_it_j, 36.72e6, 1e-12);
    NEAR(o.energy_node_j, 4600.0 * 3600, 1e-12);
    NEAR(o.energy_j / 3.6e6, 11.424, 1e-12);
    NEAR(o.capex_usd, 350000.0 / (3 * 8760), 1e-9);
    /* 9 accelerators need 2 nodes: twice the node overhead */
    assert_int_equal(ms_econ_run(&h100, 9, 3600, 0, &us, &en, &o), MS_DIST_OK);
    NEAR(o.energy_node_j, 2 * 4600.0 * 3600, 1e-12);
    /* At MFU 0.45 with the default power model the GPUs sit near their power limit and the rest of
     * the node scales linearly: 8 · 700 · (0.3 + 0.7 · 0.9) = 5,208 W + 4,600 · (0.3 + 0.7 · 0.45)
     * = 2,829 W, 8,037 W per node (upstream's line: 8 · 430.5 + 2,829 = 6,273 W). */
    en.utilization = 0.45;
    assert_int_equal(ms_econ_run(&h100, 8, 3600, 0, &us, &en, &o), MS_DIST_OK);
    NEAR(o.energy_it_j, (5208.0 + 2829.0) * 3600, 1e-12);
    NEAR(o.energy_node_j, 2829.0 * 3600, 1e-12);

    /* Placement: Quebec (20 g/kWh, $0.05) beats Iowa (680 g/kWh, $0.04) once carbon is taxed. */
    ms_dist_grid_t g[2] = { { .name = "Iowa", .carbon_g_per_kwh = 680, .pue = 1.12, .price_usd_per_kwh = 0.04 },
                            { .name = "Quebec", .carbon_g_per_kwh = 20, .pue = 1.06, .price_usd_per_kwh = 0.05 } };
    ms_dist_placement_t pl;
    assert_int_equal(ms_dist_search_placement(&h100, 1024, 30 * 86400.0, 0, g, 2, NULL, 0, &pl, NULL, 0), MS_DIST_OK);
    assert_int_equal(pl.best, 0); /* cheaper power wins without a tax... */
    assert_int_equal(ms_dist_search_placement(&h100, 1024, 30 * 86400.0, 0, g, 2, NULL, 100, &pl, NULL, 0), MS_DIST_OK);
    assert_int_equal(pl.best, 1); /* ...and loses at $100/t */
    NEAR(pl.objective_usd[0], pl.ops[0].cost_usd + pl.ops[0].carbon_kg / 1000 * 100, 1e-12);
}

/* Chinchilla: C = 5.76e23 (Gopher budget) → N = √(C/120) = 69.3e9, D = 1.39e12 (Table 3 lists
 * 67B and 1.5T); L(70e9, 1.4e12) = 1.69 + 406.4/70e9^0.34 + 410.7/1.4e12^0.28 ≈ 1.937. */
static void test_chinchilla(void **s)
{
    (void)s;
    double n, d;
    ms_chin_optimal(5.76e23, 0, &n, &d);
    NEAR(n, 69.28e9, 1e-3);
    NEAR(d, 20 * n, 1e-12);
    NEAR(n, 67e9, 0.05);
    NEAR(d, 1.5e12, 0.1);
    NEAR(6 * n * d, 5.76e23, 1e-12);
    NEAR(ms_chin_loss(70e9, 1.4e12), 1.937, 1e-3);
}

/* M/M/1 λ = 0.5, μ = 1: P_wait = ρ = 0.5, mean wait ρ/(μ-λ) = 1 s, p99 wait ln(0.5/0.01)/0.5.
 * M/M/2 λ = 1, μ = 1 (a = 1, ρ = 0.5): Erlang C = 1/3. Unstable queues wait forever. */
static void test_queue(void **s)
{
    (void)s;
    NEAR(ms_queue_erlang_c(0.5, 1, 1), 0.5, 1e-12);
    NEAR(ms_queue_mean_wait_s(0.5, 1, 1), 1.0, 1e-12);
    NEAR(ms_queue_wait_quantile_s(0.5, 1, 1, 0.99), log(50.0) / 0.5, 1e-12);
    NEAR(ms_queue_erlang_c(1, 1, 2), 1.0 / 3.0, 1e-12);
    assert_true(isinf(ms_queue_wait_quantile_s(2, 1, 2, 0.99)));
}

/* Latency of a batch: 20 ms + 2 ms per request. At 100 req/s and a 200 ms p99 SLA, b = 1 needs
 * at least 3 replicas (22 ms × 100/s = 2.2 busy servers); larger batches amortise the 20 ms. */
static double lat(int b, void *ctx) { (void)ctx; return 0.020 + 0.002 * b; }

static void test_batching(void **s)
{
    (void)s;
    ms_dist_batching_t r;
    assert_int_equal(ms_dist_search_batching(lat, NULL, 64, 0.200, 100, 64, &r, NULL, 0), MS_DIST_OK);
    assert_true(r.replicas >= 1 && r.batch >= 1);
    assert_true(r.p99_latency_s <= 0.200);
    {
        ms_queue_result q;
        ms_mmc(100.0 / r.batch, r.batch_latency_s, r.replicas, &q);
        assert_true(fabs(r.p99_latency_s - ((r.batch - 1) / 100.0 + q.p99_s)) < 1e-12);
    }
    assert_true(r.utilization < 1.0);
    /* no choice with fewer replicas meets the SLA: check every batch size by brute force */
    for (int b = 1; b <= 64; b++)
        for (int c = 1; c < r.replicas; c++) {
            ms_queue_result q;                  /* the library's one p99: M/M/c response time */
            ms_mmc(100.0 / b, lat(b, NULL), c, &q);
            assert_false(q.stable && (b - 1) / 100.0 + q.p99_s <= 0.200);
        }
    char err[256];
    assert_int_equal(ms_dist_search_batching(lat, NULL, 64, 0.010, 100, 64, &r, err, sizeof err), MS_DIST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reliability),
        cmocka_unit_test(test_economics),
        cmocka_unit_test(test_chinchilla),
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_batching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
