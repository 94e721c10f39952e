/* test_properties.c - properties over the whole registry: every model x hardware x precision x
 * mode gives finite, positive results; more bandwidth never slows a memory-bound case; more peak
 * never slows a compute-bound case; doubling the batch never lowers memory; serving is finite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "mlsysim/mlsysim.h"
#include "ms_test.h"

static int finite_result(const ms_eval_result *r)
{
    const double v[] = {r->flops, r->hw_flops, r->bytes, r->t_compute_s, r->t_memory_s,
                        r->t_overhead_s, r->latency_s, r->throughput_per_s,
                        r->intensity_flop_per_byte, r->ridge_flop_per_byte, r->mfu, r->hfu,
                        r->power_w, r->energy_j, r->memory_bytes, r->memory_weights_bytes,
                        r->memory_gradients_bytes, r->memory_optimizer_bytes,
                        r->memory_activations_bytes, r->memory_kv_bytes};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]) || v[i] < 0) return 0;
    return r->latency_s > 0 && r->mfu <= 1.0 && r->hfu <= 1.0;
}

static const int batches[] = {1, 8, 64, 512};
static const int seqs[] = {1, 512, 8192};

static void test_all_pairs_finite(void **state)
{
    (void)state;
    long n = 0;
    for (size_t i = 0; i < ms_registry_model_count(reg); i++)
        for (size_t j = 0; j < ms_registry_hardware_count(reg); j++)
            for (int p = 0; p < MS_PREC_COUNT; p++)
                for (int mode = 0; mode < 2; mode++)
                    for (size_t b = 0; b < 4; b++)
                        for (size_t s = 0; s < 3; s++) {
                            ms_workload w;
                            ms_workload_default(&w);
                            w.mode = (ms_mode)mode;
                            w.precision = (ms_precision)p;
                            w.batch_size = batches[b];
                            w.seq_len = seqs[s];
                            w.recompute = (ms_recompute)(b % 3);
                            ms_eval_result r;
                            ms_eval(ms_registry_model_at(reg, i), ms_registry_hardware_at(reg, j), &w, &r);
                            if (!finite_result(&r)) {
                                fprintf(stderr, "not finite: %s on %s %s\n", ms_registry_model_at(reg, i)->name,
                                        ms_registry_hardware_at(reg, j)->name, ms_precision_name((ms_precision)p));
                                fail();
                            }
                            n++;
                        }
    assert_true(n > 50000);
}

static void test_bandwidth_and_peak_monotone(void **state)
{
    (void)state;
    for (size_t i = 0; i < ms_registry_model_count(reg); i++)
        for (size_t j = 0; j < ms_registry_hardware_count(reg); j++)
            for (int mode = 0; mode < 2; mode++)
                for (size_t b = 0; b < 4; b++) {
                    ms_hardware hw = *ms_registry_hardware_at(reg, j);
                    const ms_model *m = ms_registry_model_at(reg, i);
                    ms_workload w;
                    ms_workload_default(&w);
                    w.mode = (ms_mode)mode;
                    w.batch_size = batches[b];
                    w.seq_len = 512;
                    ms_eval_result r0, r1;
                    ms_eval(m, &hw, &w, &r0);
                    ms_hardware faster = hw;
                    faster.mem_bw_bytes_per_s *= 2;
                    faster.sram_bw_bytes_per_s *= 2;
                    faster.flash_bw_bytes_per_s *= 2;
                    faster.host_bw_bytes_per_s *= 2;
                    ms_eval(m, &faster, &w, &r1);
                    if (r0.bottleneck == MS_BOUND_MEMORY) assert_true(r1.latency_s <= r0.latency_s);
                    assert_true(r1.latency_s <= r0.latency_s * (1 + 1e-12));
                    ms_hardware more = hw;
                    for (int p = 0; p < MS_PREC_COUNT; p++) more.flops[p] *= 2;
                    ms_eval(m, &more, &w, &r1);
                    assert_true(r1.latency_s <= r0.latency_s * (1 + 1e-12));
                }
}

static void test_batch_never_lowers_memory(void **state)
{
    (void)state;
    const ms_hardware *hw = ms_registry_hardware(reg, "H100");
    for (size_t i = 0; i < ms_registry_model_count(reg); i++)
        for (int mode = 0; mode < 2; mode++)
            for (int rc = 0; rc < 3; rc++)
                for (int b = 1; b <= 1024; b *= 2) {
                    ms_workload w;
                    ms_workload_default(&w);
                    w.mode = (ms_mode)mode;
                    w.recompute = (ms_recompute)rc;
                    w.seq_len = 1024;
                    w.batch_size = b;
                    ms_eval_result r0, r1;
                    ms_eval(ms_registry_model_at(reg, i), hw, &w, &r0);
                    w.batch_size = 2 * b;
                    ms_eval(ms_registry_model_at(reg, i), hw, &w, &r1);
                    assert_true(r1.memory_bytes >= r0.memory_bytes);
                    assert_true(r1.latency_s >= r0.latency_s * (1 - 1e-12));
                }
}

static void test_serving_finite(void **state)
{
    (void)state;
    for (size_t i = 0; i < ms_registry_model_count(reg); i++) {
        const ms_model *m = ms_registry_model_at(reg, i);
        if (m->kind != MS_MODEL_TRANSFORMER) continue;
        for (size_t j = 0; j < ms_registry_hardware_count(reg); j++) {
            ms_serve_input in;
            ms_serve_input_default(&in);
            ms_serve_result r;
            assert_int_equal(ms_serve(m, ms_registry_hardware_at(reg, j), &in, &r), MS_OK);
            assert_true(isfinite(r.ttft_s) && r.ttft_s > 0 && isfinite(r.itl_s) && r.itl_s > 0);
            assert_true(isfinite(r.memory_utilization) && r.max_concurrent_sequences >= 0);
            /* a longer context never shortens decode */
            in.seq_len = 8192;
            ms_serve_result r2;
            ms_serve(m, ms_registry_hardware_at(reg, j), &in, &r2);
            assert_true(r2.itl_s >= r.itl_s && r2.kv_cache_bytes >= r.kv_cache_bytes);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_pairs_finite),
        cmocka_unit_test(test_bandwidth_and_peak_monotone),
        cmocka_unit_test(test_batch_never_lowers_memory),
        cmocka_unit_test(test_serving_finite),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
