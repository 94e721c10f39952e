/* test_profile.c - module 14: the step profiler counts FLOPs and bytes from the shapes (checked
 * against the formulas), times every layer and backward op, charges each tape node to its layer,
 * reports the arena peak; the roofline is measured, cached and read back; the JSON and SVG outputs
 * parse. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_test_fs.h"
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"
#include "tinytorch/json.h"
#include "tinytorch/profile.h"


static tt_json *read_json(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    char err[128];
    tt_json *j = tt_json_parse(buf, n, err, sizeof err);
    if (!j) {
        fail_msg("%s: %s", path, err);
    }
    return j;
}

static void test_profile_small_cnn(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 4);
    tt_layer *l[7] = {tt_conv2d_new(1, 4, 3, 1, 1, 1, 1, true, &r), tt_relu_new(), tt_maxpool2d_new(2, 0, 0),
                      tt_flatten_new(), tt_linear_new(4 * 6 * 6, 20, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                      tt_linear_new(20, 5, true, TT_INIT_PYTORCH, &r)};
    tt_layer *m = tt_sequential_new(7, l);
    const int64_t B = 8;
    tt_tensor *x = tt_randn(TT_SHAPE(B, 1, 12, 12), 0.0f, 1.0f, &r);
    int32_t y[8] = {0, 1, 2, 3, 4, 0, 1, 2};
    tt_profile p;
    char err[256];
    assert_int_equal(tt_profile_sequential(m, x, y, 3, &p, err, sizeof err), 0);
    assert_int_equal(p.n, 7);
    assert_int_equal(p.batch, B);
    /* conv: 2 * N * Cout * H * W * Cin * k * k, + bias; ReLU and pool: one per input element */
    const double outs = (double)(B * 4 * 12 * 12);
    assert_true(p.layers[0].flops == 2.0 * outs * 9 + outs);
    assert_string_equal(p.layers[0].kind, "Conv2d");
    assert_int_equal(p.layers[0].params, 4 * 9 + 4);
    assert_true(p.layers[1].flops == outs && p.layers[2].flops == outs);
    /* linear: 2 * B * in * out + B * out; bytes = 4 * (input + params + output) */
    assert_true(p.layers[4].flops == 2.0 * B * 144 * 20 + B * 20);
    assert_true(p.layers[4].bytes == 4.0 * (B * 144 + 144 * 20 + 20 + B * 20));
    assert_int_equal(p.layers[4].out_bytes, B * 20 * 4);
    assert_true(p.layers[3].flops == 0.0); /* flatten is a view */
    assert_int_equal(p.params, 40 + 144 * 20 + 20 + 20 * 5 + 5);
    /* every compute layer took time, forward and backward; the parts add up to the step */
    double fwd = 0.0, bwd = 0.0;
    for (int i = 0; i < p.n; i++) {
        fwd += p.layers[i].seconds;
        bwd += p.layers[i].backward_seconds;
    }
    assert_true(p.layers[0].seconds > 0 && p.layers[4].seconds > 0 && p.layers[4].backward_seconds > 0);
    /* what training runs is timed: the Sequential fuses Conv2d + ReLU + MaxPool2d(2) into one kernel, so
     * layer 0's times are the group's (fused 3) and ReLU and pool have none of their own (fused 0); the
     * others run alone (fused 1), as tt_sequential_group_len says */
    assert_int_equal(p.layers[0].fused, 3);
    assert_int_equal(p.layers[1].fused, 0);
    assert_int_equal(p.layers[2].fused, 0);
    for (int i = 0; i < p.n; i++) {
        assert_int_equal(p.layers[i].fused, tt_sequential_group_len(m, i));
    }
    assert_true(p.layers[1].seconds == 0 && p.layers[2].seconds == 0);
    assert_true(p.layers[1].backward_seconds == 0 && p.layers[2].backward_seconds == 0);
    /* a fused call's FLOPs are all its layers' (the rate tito and the JSON report for it) */
    assert_true(tt_prof_call_flops(&p, 0) == p.layers[0].flops + p.layers[1].flops + p.layers[2].flops);
    assert_true(tt_prof_call_flops(&p, 4) == p.layers[4].flops);
    /* each node's backward time goes to the layer that recorded it: every call but Flatten's (a view)
     * records one, the first and the last included */
    for (int i = 0; i < p.n; i++) {
        if (p.layers[i].fused >= 1 && strcmp(p.layers[i].kind, "Flatten") != 0 && !(p.layers[i].backward_seconds > 0)) {
            fail_msg("layer %d (%s) was charged no backward time", i, p.layers[i].kind);
        }
    }
    assert_true(fabs(fwd - p.forward_seconds) <= 1e-9 + 1e-6 * p.forward_seconds);
    assert_true(bwd <= p.backward_seconds * 1.0001 + 1e-9);
    /* backward ops: two linear nodes and one conv node per step */
    bool saw_linear = false;
    for (int i = 0; i < p.n_ops; i++) {
        if (strcmp(p.ops[i].op, "linear") == 0) {
            saw_linear = true;
            assert_int_equal(p.ops[i].calls, 2);
        }
    }
    assert_true(saw_linear);
    assert_true(p.arena_peak_bytes >= (size_t)(B * 4 * 12 * 12 * 4) / 4); /* at least the pooled conv output */
    assert_true(p.plain_step_seconds > 0);
    /* outputs */
    tt_roofline roof = {.peak_flops = 1e11, .bw_bytes_per_s = 1e10};
    snprintf(roof.cpu, sizeof roof.cpu, "test cpu");
    snprintf(roof.sgemm, sizeof roof.sgemm, "portable");
    char jp[300], sp[300];
    tt_test_path(jp, sizeof jp, "p.json");
    tt_test_path(sp, sizeof sp, "p.svg");
    assert_int_equal(tt_profile_write_json(&p, &roof, "toy \"cnn\"", jp, err, sizeof err), 0);
    assert_int_equal(tt_profile_write_svg(&p, &roof, "toy", sp, err, sizeof err), 0);
    tt_json *j = read_json(jp);
    const tt_json *layers = tt_json_get(j, "layers");
    assert_non_null(layers);
    assert_int_equal(layers->count, 7);
    const tt_json *l3 = tt_json_at(layers, 4);
    assert_true(tt_json_get(l3, "flops")->number == p.layers[4].flops);
    assert_non_null(tt_json_get(l3, "bytes"));
    assert_non_null(tt_json_get(l3, "seconds"));
    assert_true(tt_json_get(tt_json_at(layers, 0), "fused")->number == 3);
    assert_string_equal(tt_json_get(j, "model")->string, "toy \"cnn\"");
    tt_json_free(j);
    FILE *f = fopen(sp, "r");
    char head[5] = {0};
    assert_int_equal(fread(head, 1, 4, f), 4);
    fclose(f);
    assert_string_equal(head, "<svg");
    /* a file in a missing directory is an error naming it */
    char bad[320];
    tt_test_path(bad, sizeof bad, "missing/p.json");
    assert_int_equal(tt_profile_write_json(&p, &roof, "toy", bad, err, sizeof err), -1);
    assert_non_null(strstr(err, bad));
    tt_profile_free(&p);
    tt_layer_free(m);
}

/* The roofline's prediction: compute-bound above the ridge, memory-bound below it, 0 without a roof. */
static void test_roofline_predict(void **state)
{
    (void)state;
    const tt_roofline r = {.peak_flops = 1e11, .bw_bytes_per_s = 1e10}; /* ridge at 10 FLOP/B */
    assert_true(fabs(tt_roofline_predict(&r, 2e9, 1e6) - 2e-2) < 1e-12); /* 2000 FLOP/B: 2e9 / 1e11 */
    assert_true(fabs(tt_roofline_predict(&r, 1e6, 4e8) - 4e-2) < 1e-12); /* 0.0025 FLOP/B: 4e8 / 1e10 */
    assert_true(fabs(tt_roofline_predict(&r, 1e9, 1e8) - 1e-2) < 1e-12); /* on the ridge: both agree */
    assert_true(fabs(tt_roofline_predict(&r, 0.0, 1e7) - 1e-3) < 1e-12); /* a copy: bytes only */
    const tt_roofline none = {0};
    assert_true(tt_roofline_predict(&none, 1e9, 1e8) == 0.0);
}

static void test_roofline_cache(void **state)
{
    (void)state;
    tt_roofline r, c;
    tt_roofline_measure(&r);
    print_message("roof: %.1f GFLOP/s, %.1f GB/s (%s)\n", r.peak_flops * 1e-9, r.bw_bytes_per_s * 1e-9, r.cpu);
    /* a sanity floor, not a speed goal: under ASan on a loaded 2-core machine the triad measured 0.1 GB/s */
    assert_true(r.peak_flops > 1e7 && r.bw_bytes_per_s > 1e7);
    char path[300];
    tt_test_path(path, sizeof path, "roof.json");
    assert_int_equal(tt_roofline_store(path, &r), 0);
    tt_roofline_cached(path, &c);
    assert_true(c.cached);
    assert_true(c.peak_flops == r.peak_flops && c.bw_bytes_per_s == r.bw_bytes_per_s);
    /* another machine's numbers are not used */
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"cpu\": \"another CPU\", \"sgemm\": \"%s\", \"peak_flops\": 1, \"bw_bytes_per_s\": 1}\n", r.sgemm);
    fclose(f);
    tt_roofline_cached(path, &c);
    assert_false(c.cached);
    assert_true(c.peak_flops > 1e8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST_IN_DIR(test_profile_small_cnn),
        TT_TEST_IN_DIR(test_roofline_cache),
        cmocka_unit_test(test_roofline_predict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
