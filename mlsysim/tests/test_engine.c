/* test_engine.c - the engine (engine.h) as the one answer: every shipped example evaluates through
 * the library alone, and the same question asked through every entry point gives the same numbers
 * to 0.1 %: with or without an empty parallelism section, MODEL HARDWARE vs a plan file, serve vs
 * eval, a one-accelerator plan vs the single-node calls it stands for. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsysim/distributed.h"
#include "mlsysim/mlsysim.h"
#include "mlsysim/solvers.h"
#include "ms_test.h"

static ms_result ra, rb;
static ms_plan pa;

static ms_status eval_yaml(const char *yaml, ms_result *r)
{
    ms_status st = ms_plan_eval_buffer(reg, "t.yaml", yaml, strlen(yaml), r);
    if (st == MS_ERR_INPUT) fprintf(stderr, "plan error: %s\n", r->error);
    return st;
}

static double get(const ms_result *r, const char *key)
{
    double v = NAN;
    if (!ms_result_get(r, key, &v)) fprintf(stderr, "missing key %s\n", key);
    assert_true(ms_result_get(r, key, &v));
    return v;
}

static int close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) || (a == 0 && b == 0);
}

/* Every numeric key of a is in b with the same value (0.1 %); the counts of keys agree. */
static void same_numbers(const ms_result *a, const ms_result *b)
{
    int compared = 0;
    for (int i = 0; i < a->n; i++) {
        const ms_item *it = &a->items[i];
        if (it->kind == MS_V_STR || it->kind == MS_V_RAW) continue;
        double v;
        if (!ms_result_get(b, it->key, &v)) {
            fprintf(stderr, "key %s only on one side\n", it->key);
            fail();
        }
        if (!close_rel(it->num, v, 1e-3)) {
            fprintf(stderr, "%s: %.10g vs %.10g\n", it->key, it->num, v);
            fail();
        }
        compared++;
    }
    assert_true(compared >= 10);
}

static void test_examples_through_the_library(void **state)
{
    (void)state;
    const char *src = getenv("MLSB_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/mlsysim/examples", src ? src : MLSB_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml")) continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char buf[1 << 16];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ms_status st = ms_plan_eval_buffer(reg, path, buf, len, &ra);
        if (st != MS_OK) fprintf(stderr, "%s: status %d %s\n", path, st, ra.error);
        assert_int_equal(st, MS_OK);
        assert_true(get(&ra, "latency_s") > 0 && isfinite(get(&ra, "latency_s")));
        assert_true(get(&ra, "memory_per_accelerator_bytes") > 0);
        assert_true(get(&ra, "feasible") == 1);
        char json[16384];
        size_t jl = ms_result_json(&ra, json, sizeof json);
        assert_true(jl < sizeof json);
        assert_true(json[0] == '{' && json[jl - 2] == '}' && json[jl - 1] == '\n');
        assert_non_null(strstr(json, "\"latency_s\": "));
        ms_result_free(&ra);
        n++;
    }
    closedir(d);
    assert_true(n >= 4);
}

static const char *const train_plain =
    "version: \"1.0\"\nname: t\n"
    "workload: {model: Llama3_2_1B, mode: training, batch_size: 8, seq_len: 2048}\n"
    "hardware: {accelerator: H100}\n";

/* Adding an empty (or an all-ones) parallelism section to a one-accelerator plan changes nothing. */
static void test_parallelism_section_changes_nothing(void **state)
{
    (void)state;
    char y[1024];
    assert_int_equal(eval_yaml(train_plain, &ra), MS_OK);
    snprintf(y, sizeof y, "%sparallelism: {}\n", train_plain);
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    same_numbers(&ra, &rb);
    same_numbers(&rb, &ra);
    ms_result_free(&rb);
    snprintf(y, sizeof y, "%sparallelism: {tp: 1, pp: 1, dp: 1, microbatch: 1}\n", train_plain);
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    same_numbers(&ra, &rb);
    /* the answer is the fleet model's: Korthikanti activations, 12 B/param Adam state */
    assert_true(get(&ra, "memory_optimizer_bytes") > 11.9 * 1.2e9);
    assert_true(get(&ra, "mfu") > 0.2 && get(&ra, "mfu") < 0.8);
    ms_result_free(&ra);
    ms_result_free(&rb);
    const char *inf = "version: \"1.0\"\nname: i\nworkload: {model: Llama3_8B, batch_size: 16}\nhardware: {accelerator: H100}\n";
    assert_int_equal(eval_yaml(inf, &ra), MS_OK);
    snprintf(y, sizeof y, "%sparallelism: {}\n", inf);
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    same_numbers(&ra, &rb);
    ms_result_free(&ra);
    ms_result_free(&rb);
}

/* `eval MODEL HARDWARE --flags` is the plan ms_plan_init builds; a plan file saying the same
 * thing gives the same numbers. */
static void test_model_hardware_equals_plan_file(void **state)
{
    (void)state;
    static const struct { const char *model, *hw; ms_mode mode; int batch, seq; ms_precision p; } q[] = {
        {"Llama3_8B", "H100", MS_MODE_INFERENCE, 32, 2048, MS_FP16},
        {"Llama3_2_1B", "H100", MS_MODE_TRAINING, 8, 2048, MS_BF16},
        {"ResNet50", "A100", MS_MODE_TRAINING, 64, 1, MS_FP16},
        {"BERT_Base", "T4", MS_MODE_INFERENCE, 8, 512, MS_INT8},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        const ms_model *m = ms_registry_model(reg, q[i].model);
        const ms_hardware *h = ms_registry_hardware(reg, q[i].hw);
        assert_non_null(m);
        assert_non_null(h);
        ms_plan_init(&pa, reg, m, h);
        pa.mode = q[i].mode;
        pa.batch_size = q[i].batch;
        pa.seq_len = q[i].seq;
        pa.precision = q[i].p;
        ms_status sa = ms_plan_eval(reg, &pa, &ra);
        char y[1024];
        snprintf(y, sizeof y,
                 "version: \"1.0\"\nname: q\nworkload: {model: %s, mode: %s, batch_size: %d, seq_len: %d}\n"
                 "hardware: {accelerator: %s, precision: %s}\n",
                 q[i].model, ms_mode_name(q[i].mode), q[i].batch, q[i].seq, q[i].hw, ms_precision_name(q[i].p));
        ms_status sb = eval_yaml(y, &rb);
        assert_int_equal(sa, sb);
        same_numbers(&ra, &rb);
        same_numbers(&rb, &ra);
        ms_result_free(&ra);
        ms_result_free(&rb);
    }
}

/* serve and eval answer one decode step the same way, fitting or not. */
static void test_serve_equals_eval(void **state)
{
    (void)state;
    static const struct { const char *model; int batch, seq; } q[] = {
        {"Llama3_8B", 1, 2048}, {"Llama3_8B", 32, 4096}, {"Llama2_70B", 1, 2048}, {"Mixtral_8x7B", 8, 1024},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        const ms_model *m = ms_registry_model(reg, q[i].model);
        const ms_hardware *h = ms_registry_hardware(reg, "H100");
        assert_non_null(m);
        ms_plan_init(&pa, reg, m, h);
        pa.batch_size = q[i].batch;
        pa.seq_len = q[i].seq;
        ms_status st = ms_plan_eval(reg, &pa, &ra);
        ms_serve_input in;
        ms_serve_input_default(&in);
        in.batch_size = q[i].batch;
        in.seq_len = q[i].seq;
        in.efficiency = ms_inference_efficiency(m, h->name, in.precision);   /* what both take by default */
        ms_serve_result s;
        assert_int_equal(ms_serve(m, h, &in, &s), MS_OK);
        assert_true(close_rel(get(&ra, "latency_s"), s.itl_s, 1e-3));
        assert_true(close_rel(get(&ra, "itl_s"), s.itl_s, 1e-3));
        assert_true(close_rel(get(&ra, "ttft_s"), s.ttft_s, 1e-3));
        assert_true(close_rel(get(&ra, "kv_cache_bytes"), s.kv_cache_bytes, 1e-3));
        assert_true(close_rel(get(&ra, "memory_per_accelerator_bytes"), s.memory_bytes, 0.01));
        assert_int_equal((int)get(&ra, "feasible"), s.feasible);
        assert_int_equal(st, s.feasible ? MS_OK : MS_ERR_MEMORY);
        ms_result_free(&ra);
    }
}

/* A one-accelerator plan is the single-node calls: the roofline (ms_eval) for inference, the
 * fleet step on one accelerator (ms_dist_train_step) for transformer training. */
static void test_one_gpu_plan_equals_single_node_calls(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *h = ms_registry_hardware(reg, "A100");
    ms_plan_init(&pa, reg, m, h);
    pa.batch_size = 4;
    ms_plan_eval(reg, &pa, &ra);
    ms_workload w;
    ms_workload_default(&w);
    w.batch_size = 4;
    ms_eval_result r;
    ms_eval(m, h, &w, &r);
    assert_true(close_rel(get(&ra, "latency_s"), r.latency_s, 1e-3));
    assert_true(close_rel(get(&ra, "memory_per_accelerator_bytes"), r.memory_bytes, 1e-3));
    assert_true(close_rel(get(&ra, "energy_j"), r.energy_j, 1e-3));
    assert_true(close_rel(get(&ra, "mfu"), r.mfu, 1e-3));
    ms_result_free(&ra);

    m = ms_registry_model(reg, "Llama3_2_1B");
    h = ms_registry_hardware(reg, "H100");
    ms_plan_init(&pa, reg, m, h);
    pa.mode = MS_MODE_TRAINING;
    pa.batch_size = 8;
    pa.optimizer = MS_OPT_SGD;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    ms_dist_accel_t a;
    ms_dist_model_t dm;
    ms_dist_parallel_t par;
    ms_dist_fabric_t f;
    char err[256];
    assert_int_equal(ms_plan_to_dist(&pa, &a, &dm, &par, &f, err, sizeof err), 0);
    /* no efficiency in the plan: the H100 training calibration, and the result says so */
    assert_true(a.efficiency == ms_calibrated_efficiency("H100"));
    assert_true(ms_calibrated_efficiency("H100_PCIe") == ms_calibrated_efficiency("H100"));
    assert_true(ms_calibrated_efficiency("MI300X") == 0.0);
    /* calibration.csv's aliases, the same chips: H200, GH200 and H800 take H100's figures (FP8 too),
     * A800 A100's; a name that only starts like one (B200, GB200, H2000) takes none */
    const char *h100_like[] = {"H200", "GH200", "H800", "H200_NVL"};
    for (int i = 0; i < 4; i++) {
        assert_true(ms_calibrated_efficiency(h100_like[i]) == ms_calibrated_efficiency("H100"));
        assert_true(ms_calibrated_fp8_efficiency(h100_like[i]) == ms_calibrated_fp8_efficiency("H100"));
    }
    assert_true(ms_calibrated_efficiency("A800") == ms_calibrated_efficiency("A100"));
    assert_true(ms_calibrated_efficiency("B200") == 0.0 && ms_calibrated_efficiency("GB200") == 0.0);
    assert_true(ms_calibrated_efficiency("H2000") == 0.0);
    /* and the generation a name is, for every per-generation figure */
    for (int i = 0; i < 4; i++) assert_string_equal(ms_calibrated_generation(h100_like[i]), "H100");
    assert_string_equal(ms_calibrated_generation("A100_40GB_PCIe"), "A100");
    assert_string_equal(ms_calibrated_generation("A800"), "A100");
    assert_null(ms_calibrated_generation("B200"));
    assert_null(ms_calibrated_generation(NULL));
    assert_string_equal(ms_result_get_str(&ra, "efficiency_source"), "calibrated");
    ms_dist_train_t t;
    assert_int_equal(ms_dist_train_step(&a, &dm, &par, &f, 1, &t, err, sizeof err), MS_DIST_OK);
    assert_true(close_rel(get(&ra, "latency_s"), t.step_time_s, 1e-3));
    assert_true(close_rel(get(&ra, "memory_per_accelerator_bytes"), t.memory.total_bytes, 1e-3));
    assert_true(close_rel(get(&ra, "mfu"), t.mfu, 1e-3));
    ms_result_free(&ra);
}

/* optimizer: sgd is respected on the fleet path: SGD with momentum keeps 8 B/param of state
 * with 16-bit weights (fp32 master + momentum), Adam 12, none 0. */
static void test_optimizer_is_respected(void **state)
{
    (void)state;
    double opt[3];
    const char *names[3] = {"adam", "sgd", "none"};
    for (int i = 0; i < 3; i++) {
        char y[1024];
        snprintf(y, sizeof y,
                 "version: \"1.0\"\nname: o\nworkload: {model: Llama3_8B, mode: training, batch_size: 64, seq_len: 4096, optimizer: %s}\n"
                 "hardware: {accelerator: H100, count: 8, per_node: 8}\n"
                 "parallelism: {tp: 8, microbatch: 1, recompute: full}\n", names[i]);
        ms_status st = eval_yaml(y, &ra);
        assert_true(st == MS_OK || st == MS_ERR_MEMORY);
        opt[i] = get(&ra, "memory_optimizer_bytes");
        ms_result_free(&ra);
    }
    assert_true(opt[0] > 0);
    assert_true(fabs(opt[1] / opt[0] - 8.0 / 12.0) < 1e-9);
    assert_true(opt[2] == 0);
}

/* An input error becomes {"status": "error", "reason": "file:line: field: reason"}. */
static void test_error_table(void **state)
{
    (void)state;
    const char *y = "version: \"1.0\"\nname: e\nworkload: {model: NoSuchModel}\nhardware: {accelerator: H100}\n";
    assert_int_equal(ms_plan_eval_buffer(reg, "t.yaml", y, strlen(y), &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "t.yaml:3: workload.model"));
    char json[2048];
    ms_result_json(&ra, json, sizeof json);
    assert_non_null(strstr(json, "{\"status\": \"error\", \"reason\": \"t.yaml:3: workload.model"));
    ms_result_free(&ra);
    /* a metric the plan does not produce */
    y = "version: \"1.0\"\nname: e\nworkload: {model: ResNet50}\nhardware: {accelerator: H100}\n"
        "constraints:\n  assert:\n    - {metric: ttft_s, max: 1}\n";
    assert_int_equal(ms_plan_eval_buffer(reg, "t.yaml", y, strlen(y), &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "ttft_s"));
    ms_result_free(&ra);
}

/* Precision honesty: a format the device lacks runs on the narrowest wider format it has (with a
 * warning and "precision_emulated": true), never on a narrower or different 8-bit one; a format
 * nothing on the device can hold is refused. */
static void test_precision_honesty(void **state)
{
    (void)state;
    for (size_t i = 0; i < ms_registry_hardware_count(reg); i++) {
        const ms_hardware *h = ms_registry_hardware_at(reg, i);
        for (int p = 0; p < MS_PREC_COUNT; p++) {
            int c = ms_hw_compute_precision(h, (ms_precision)p);
            if (c < 0) continue;
            assert_true(h->flops[c] > 0);
            assert_true(ms_precision_bytes((ms_precision)c) >= ms_precision_bytes((ms_precision)p));
            if (h->flops[p] > 0) assert_int_equal(c, p);
            if (p == MS_FP8 || p == MS_INT8) assert_true(c == p || ms_precision_bytes((ms_precision)c) >= 2);
            assert_true(ms_hw_peak(h, (ms_precision)p) == h->flops[c]);
        }
    }
    static const struct { const char *hw; ms_precision p; ms_precision compute; } q[] = {
        {"A100", MS_FP8, MS_FP16},      /* not the int8 rate */
        {"H100", MS_INT4, MS_INT8},     /* not the fp8 rate */
        {"H100", MS_FP4, MS_FP8},
        {"V100", MS_INT8, MS_FP16},     /* emulated on fp16 tensor cores, and said so */
        {"H100", MS_FP16, MS_FP16},
    };
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        const ms_hardware *h = ms_registry_hardware(reg, q[i].hw);
        assert_non_null(h);
        ms_plan_init(&pa, reg, m, h);
        pa.precision = q[i].p;
        ms_status st = ms_plan_eval(reg, &pa, &ra);
        assert_true(st == MS_OK || st == MS_ERR_MEMORY);
        assert_string_equal(ms_result_get_str(&ra, "compute_precision"), ms_precision_name(q[i].compute));
        int emulated = q[i].p != q[i].compute;
        assert_int_equal((int)get(&ra, "precision_emulated"), emulated);
        assert_true(get(&ra, "peak_flop_per_s") == h->flops[q[i].compute]);
        assert_true(emulated == (strstr(ra.notes, "emulated") != NULL));
        ms_result_free(&ra);
    }
    const ms_hardware *tpu = ms_registry_hardware(reg, "Coral_Edge_TPU");
    assert_non_null(tpu);
    ms_plan_init(&pa, reg, ms_registry_model(reg, "ResNet50"), tpu);
    pa.precision = MS_FP16;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "hardware.precision"));
    assert_non_null(strstr(ra.error, "int8"));
    ms_result_free(&ra);
}

/* Tensor/pipeline-parallel serving: Llama-3-70B on 8 H100 with tp 8 is one replica whose weights
 * and KV cache are sharded (it fits), not 8 replicas of 142 GB; the per-layer all-reduce is
 * costed; pipeline stages add up. */
static void test_tp_pp_serving(void **state)
{
    (void)state;
    const char *head = "version: \"1.0\"\nname: tp\nworkload: {model: Llama3_70B, batch_size: 8, seq_len: 4096}\n"
                       "hardware: {accelerator: H100, count: 8, per_node: 8}\n";
    char y[1024];
    snprintf(y, sizeof y, "%sparallelism: {tp: 8}\n", head);
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    const ms_model *m = ms_registry_model(reg, "Llama3_70B");
    const ms_hardware *h = ms_registry_hardware(reg, "H100");
    ms_workload w;
    ms_workload_default(&w);
    w.batch_size = 8;
    w.seq_len = 4096;
    ms_eval_result one;
    ms_eval(m, h, &w, &one);                       /* the whole model on one device */
    assert_false(one.feasible);
    assert_true(close_rel(get(&ra, "memory_per_accelerator_bytes"), one.memory_bytes / 8, 1e-3));
    assert_true(close_rel(get(&ra, "memory_weights_bytes"), one.memory_weights_bytes / 8, 1e-3));
    assert_int_equal((int)get(&ra, "replicas"), 1);
    double tp_s = get(&ra, "tp_communication_s");
    assert_true(tp_s > 0);
    /* 2 all-reduces per layer of 8 tokens x 8192 x 2 B over 8 ranks on NVLink */
    assert_true(tp_s > 2 * 80 * 7 * 1e-6);                 /* at least the per-hop latencies */
    assert_true(get(&ra, "latency_s") > one.latency_s / 8);
    assert_true(close_rel(get(&ra, "latency_s"), get(&ra, "itl_s"), 1e-9));
    double tp8 = get(&ra, "latency_s");
    ms_result_free(&ra);
    snprintf(y, sizeof y, "%sparallelism: {pp: 8}\n", head);
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    assert_true(get(&rb, "latency_s") > tp8);              /* stages run one after the other */
    assert_true(get(&rb, "latency_s") >= one.latency_s - one.t_overhead_s);
    assert_true(get(&rb, "pp_communication_s") > 0);
    ms_result_free(&rb);
    /* without a parallelism section: 8 replicas, each too small */
    assert_int_equal(eval_yaml(head, &ra), MS_ERR_MEMORY);
    ms_result_free(&ra);
    /* tp must divide the heads */
    snprintf(y, sizeof y, "version: \"1.0\"\nname: tp\nworkload: {model: Llama3_70B}\n"
                          "hardware: {accelerator: H100, count: 6, per_node: 6}\nparallelism: {tp: 6}\n");
    assert_int_equal(ms_plan_eval_buffer(reg, "t.yaml", y, strlen(y), &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "parallelism.tp"));
    ms_result_free(&ra);
}

/* ms_plan_set: a field set by name gives the plan that says it; a refused value changes nothing. */
static void test_plan_set(void **state)
{
    (void)state;
    static ms_plan q;
    char err[512];
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    ms_plan_init(&pa, reg, m, ms_registry_hardware(reg, "A100"));
    assert_int_equal(ms_plan_set(reg, &pa, "workload.batch_size", "16", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.accelerator", "H100", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.precision", "fp8", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    const char *y = "version: \"1.0\"\nname: s\nworkload: {model: Llama3_8B, batch_size: 16}\n"
                    "hardware: {accelerator: H100, precision: fp8}\n";
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    same_numbers(&ra, &rb);
    ms_result_free(&ra);
    ms_result_free(&rb);
    q = pa;
    assert_int_equal(ms_plan_set(reg, &pa, "workload.batch_size", "0", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "workload.batch_size"));
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.accelerator", "NoSuchChip", err, sizeof err), MS_ERR_INPUT);
    assert_int_equal(ms_plan_set(reg, &pa, "workload.nonsense", "1", err, sizeof err), MS_ERR_INPUT);
    /* a key near a field names it; one near none lists them all */
    assert_int_equal(ms_plan_set(reg, &pa, "batchsize", "4", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "did you mean workload.batch_size?"));
    assert_int_equal(ms_plan_set(reg, &pa, "parallelism.tq", "4", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "did you mean parallelism.tp?"));
    assert_int_equal(ms_plan_set(reg, &pa, "zzzzzzzz", "4", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "not a settable field (workload.model workload.mode"));
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.power_limit", "abc", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "hardware.power_limit"));
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.power_limit", "-5", err, sizeof err), MS_ERR_INPUT);
    assert_memory_equal(&pa, &q, sizeof q);
    /* a field by its name after the section, as by its dotted name; no two sections share one */
    ms_plan sa = pa, sb = pa;
    assert_int_equal(ms_plan_set(reg, &sa, "batch_size", "24", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &sb, "workload.batch_size", "24", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &sa, "accelerator", "A100", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &sb, "hardware.accelerator", "A100", err, sizeof err), MS_OK);
    assert_memory_equal(&sa, &sb, sizeof sa);
    assert_int_equal(ms_plan_set(reg, &sa, "count", "0", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "hardware.count:"));     /* errors name the field in full */
    char tails[64][48];
    int nt = 0;
    for (const char *t = ms_plan_set_keys; *t && nt < 64; nt++) {
        size_t w = strcspn(t, " ");
        const char *dot = memchr(t, '.', w);
        assert_non_null(dot);
        snprintf(tails[nt], sizeof tails[nt], "%.*s", (int)(t + w - dot - 1), dot + 1);
        for (int j = 0; j < nt; j++) assert_string_not_equal(tails[j], tails[nt]);
        t += w;
        while (*t == ' ') t++;
    }
    assert_true(nt > 40 && nt < 64);
    /* a power limit in watts or as a quantity; 0 is the TDP again */
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.power_limit", "450", err, sizeof err), MS_OK);
    assert_true(pa.power_limit_w == 450.0);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.power_limit", "0.5 kW", err, sizeof err), MS_OK);
    assert_true(pa.power_limit_w == 500.0);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.power_limit", "0", err, sizeof err), MS_OK);
    assert_memory_equal(&pa, &q, sizeof q);
    /* a new count re-derives dp */
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.count", "16", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &pa, "parallelism.tp", "4", err, sizeof err), MS_OK);
    assert_int_equal(pa.dp, 4);
    /* parallelism.framework: FSDP shards as ZeRO-3 unless a zero_stage is set, which then wins
     * (in bf16: an fp8 plan's weights carry their cast copies, test_cli's FP8 test) */
    assert_int_equal(ms_plan_set(reg, &pa, "workload.mode", "training", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.precision", "bf16", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.count", "8", err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.per_node", "8", err, sizeof err), MS_OK);   /* one node */
    assert_int_equal(ms_plan_set(reg, &pa, "parallelism.framework", "FSDP", err, sizeof err), MS_OK);
    assert_string_equal(pa.framework, "FSDP");
    double zs = -1;
    assert_true(ms_plan_eval(reg, &pa, &ra) != MS_ERR_INPUT);   /* fits or not, the figures are filled */
    assert_int_equal(ms_result_get(&ra, "zero_stage", &zs), 1);
    assert_true(zs == 3.0);
    ms_result_free(&ra);
    assert_int_equal(ms_plan_set(reg, &pa, "parallelism.zero_stage", "1", err, sizeof err), MS_OK);
    assert_int_equal(pa.zero_stage_set, 1);
    assert_true(ms_plan_eval(reg, &pa, &ra) != MS_ERR_INPUT);   /* fits or not, the figures are filled */
    assert_int_equal(ms_result_get(&ra, "zero_stage", &zs), 1);
    assert_true(zs == 1.0);
    /* a Megatron-family framework keeps fp32 gradients (18 B/param with Adam), others the weights' bytes */
    double wbytes = 0, gbytes = 0;
    assert_int_equal(ms_result_get(&ra, "memory_weights_bytes", &wbytes), 1);
    assert_int_equal(ms_result_get(&ra, "memory_gradients_bytes", &gbytes), 1);
    assert_true(fabs(gbytes / wbytes - 1.0) < 1e-12);           /* FSDP at ZeRO-1: both unsharded */
    ms_result_free(&ra);
    assert_int_equal(ms_plan_set(reg, &pa, "parallelism.framework", "NeMo", err, sizeof err), MS_OK);
    assert_true(ms_plan_eval(reg, &pa, &ra) != MS_ERR_INPUT);
    assert_int_equal(ms_result_get(&ra, "memory_weights_bytes", &wbytes), 1);
    assert_int_equal(ms_result_get(&ra, "memory_gradients_bytes", &gbytes), 1);
    assert_true(fabs(gbytes / wbytes - 4.0 / ms_precision_bytes(pa.precision)) < 1e-12);
    ms_result_free(&ra);
    /* in fp16 the Megatron family keeps fp16 gradients and the optimizer an fp32 copy of them:
     * 12 + 4 B of optimizer state where bf16 keeps 12 (20 B/param against 18) */
    double obf16 = 0, ofp16 = 0;
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.precision", "bf16", err, sizeof err), MS_OK);
    assert_true(ms_plan_eval(reg, &pa, &ra) != MS_ERR_INPUT);
    assert_int_equal(ms_result_get(&ra, "memory_optimizer_bytes", &obf16), 1);
    ms_result_free(&ra);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.precision", "fp16", err, sizeof err), MS_OK);
    assert_true(ms_plan_eval(reg, &pa, &ra) != MS_ERR_INPUT);
    assert_int_equal(ms_result_get(&ra, "memory_weights_bytes", &wbytes), 1);
    assert_int_equal(ms_result_get(&ra, "memory_gradients_bytes", &gbytes), 1);
    assert_int_equal(ms_result_get(&ra, "memory_optimizer_bytes", &ofp16), 1);
    assert_true(fabs(gbytes / wbytes - 1.0) < 1e-12);
    assert_true(obf16 > 0 && fabs(ofp16 / obf16 - 16.0 / 12.0) < 1e-12);
    ms_result_free(&ra);
    char longname[80];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(ms_plan_set(reg, &pa, "parallelism.framework", longname, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "parallelism.framework"));
}

/* The key table (engine.h) and what evaluations produce cannot drift apart: every key any plan
 * produces is in the table with its kind, every table key is produced by some plan, and every
 * numeric key is accepted by constraints.assert. */
static void test_key_table_matches_results(void **state)
{
    (void)state;
    static const char *const plans[] = {
        /* fleet training in fp8 with ops and a failing assert */
        "version: \"1.0\"\nname: a\nworkload: {model: Llama3_70B, mode: training, seq_len: 4096, batch_size: 64}\n"
        "hardware: {accelerator: DGX_H100, nodes: 8, precision: fp8}\nparallelism: {tp: 8, pp: 2, recompute: selective, sequence_parallel: true, framework: Megatron-LM}\n"
        "ops: {region: Norway, duration_days: 3}\nconstraints:\n  assert:\n    - {metric: mfu, min: 0.99}\n",
        /* tp serving with ops, emulated precision */
        "version: \"1.0\"\nname: b\nworkload: {model: Llama3_70B, batch_size: 8}\n"
        "hardware: {accelerator: A100, count: 16, per_node: 8, precision: fp8, fabric: IB_HDR}\nparallelism: {tp: 4, pp: 2}\n"
        "ops: {region: Quebec}\n",
        /* CNN training on one accelerator, replicated encoder inference */
        "version: \"1.0\"\nname: c\nworkload: {model: ResNet50, mode: training, batch_size: 64}\nhardware: {accelerator: A100}\n",
        "version: \"1.0\"\nname: d\nworkload: {model: BERT_Base, batch_size: 16, seq_len: 512}\nhardware: {accelerator: T4, count: 2}\n",
        /* a refused plan */
        "version: \"1.0\"\nname: e\nworkload: {model: ResNet50}\nhardware: {accelerator: Coral_Edge_TPU, precision: fp16}\n",
        /* diffusion, state-space and recommender workloads */
        "version: \"1.0\"\nname: f\nworkload: {model: StableDiffusion_v1_5, batch_size: 2, steps: 30}\nhardware: {accelerator: H100}\n",
        "version: \"1.0\"\nname: g\nworkload: {model: Mamba_2_8B, batch_size: 8}\nhardware: {accelerator: H100}\n",
        "version: \"1.0\"\nname: h\nworkload: {model: DLRM_DCNv2, batch_size: 4096}\nhardware: {accelerator: H100}\n",
        /* FSDP (ZeRO-3) across two nodes: its collectives per unit */
        ("version: \"1.0\"\nname: i\nworkload: {model: Llama3_8B, mode: training, seq_len: 4096, batch_size: 32}\n"
         "hardware: {accelerator: DGX_H100, nodes: 2}\nparallelism: {zero_stage: 3, framework: FSDP}\n"),
        /* held at a power limit below TDP */
        ("version: \"1.0\"\nname: j\nworkload: {model: Llama3_8B, mode: training, seq_len: 8192, batch_size: 16}\n"
         "hardware: {accelerator: H100, count: 8, per_node: 8, power_limit: 500 W}\nparallelism: {microbatch: 2}\n"),
        /* context parallelism as Llama 3 runs it (all-gather) */
        ("version: \"1.0\"\nname: k\nworkload: {model: Llama3_8B, mode: training, seq_len: 65536, batch_size: 4}\n"
         "hardware: {accelerator: H100, count: 8, per_node: 8}\nparallelism: {cp: 4, framework: Llama3}\n"),
        /* MoE inference: the experts a decode step reads */
        "version: \"1.0\"\nname: l\nworkload: {model: Mixtral_8x7B, batch_size: 16, moe_routing: fixed}\nhardware: {accelerator: H200}\n",
    };
    size_t nk = ms_result_key_count();
    int *seen = calloc(nk, sizeof *seen);
    assert_non_null(seen);
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        ms_plan_eval_buffer(reg, "k.yaml", plans[i], strlen(plans[i]), &ra);
        for (int j = 0; j < ra.n; j++) {
            const ms_result_key *k = ms_result_key_find(ra.items[j].key);
            if (!k) fprintf(stderr, "key '%s' is not in the key table\n", ra.items[j].key);
            assert_non_null(k);
            if (k->kind != ra.items[j].kind) fprintf(stderr, "key '%s': kind %d vs table %d\n", k->name, ra.items[j].kind, k->kind);
            assert_int_equal(k->kind, ra.items[j].kind);
            seen[k - ms_result_key_at(0)] = 1;
        }
        ms_result_free(&ra);
    }
    for (size_t i = 0; i < nk; i++) {
        if (!seen[i]) fprintf(stderr, "table key '%s' is produced by no test plan\n", ms_result_key_at(i)->name);
        assert_true(seen[i]);
    }
    free(seen);
    /* every numeric key is an assertable metric; strings are not */
    for (size_t i = 0; i < nk; i++) {
        const ms_result_key *k = ms_result_key_at(i);
        char y[512], err[512];
        snprintf(y, sizeof y, "version: \"1.0\"\nname: m\nworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\n"
                              "constraints:\n  assert:\n    - {metric: %s, max: 1}\n", k->name);
        ms_status st = ms_plan_load_buffer(reg, "m.yaml", y, strlen(y), &pa, err, sizeof err);
        assert_int_equal(st, (k->kind == MS_V_STR || k->kind == MS_V_RAW) ? MS_ERR_INPUT : MS_OK);
    }
    /* and the schema lists them */
    size_t n = ms_plan_schema_json(NULL, 0);
    char *schema = malloc(n + 1);
    assert_non_null(schema);
    ms_plan_schema_json(schema, n + 1);
    assert_non_null(strstr(schema, "\"tp_communication_s\""));
    assert_non_null(strstr(schema, "\"goodput\""));
    free(schema);
}

/* CNN training memory from the layer graph: ResNet-50 at batch 2048 does not fit a 24 GB L4 (its
 * saved activations alone are 2048 x 28.3 M x 2 B = 116 GB); batch 32 does. */
static void test_cnn_training_memory(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "ResNet50");
    ms_plan_init(&pa, reg, m, ms_registry_hardware(reg, "L4"));
    pa.mode = MS_MODE_TRAINING;
    pa.batch_size = 2048;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_ERR_MEMORY);
    assert_true(close_rel(get(&ra, "memory_activations_bytes"), 2048 * m->saved_act_elems * 2.0, 1e-9));
    assert_true(get(&ra, "memory_activations_bytes") > 90e9);
    ms_result_free(&ra);
    pa.batch_size = 32;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    ms_result_free(&ra);
}

/* hardware.memory_reserve keeps a fraction of memory free: 84.8 GB fits an 85.9 GB H100, not the
 * 90 % of it a 10 % reserve leaves; the fleet path honours it too. */
static void test_memory_reserve(void **state)
{
    (void)state;
    const char *base = "version: \"1.0\"\nname: r\nworkload: {model: Llama3_8B, batch_size: 128, seq_len: 4096}\n";
    char y[512];
    snprintf(y, sizeof y, "%shardware: {accelerator: H100}\n", base);
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    double need = get(&ra, "memory_per_accelerator_bytes"), cap = get(&ra, "memory_capacity_bytes");
    assert_true(need > 0.9 * cap && need < cap);
    ms_result_free(&ra);
    snprintf(y, sizeof y, "%shardware: {accelerator: H100, memory_reserve: 0.1}\n", base);
    assert_int_equal(eval_yaml(y, &ra), MS_ERR_MEMORY);
    assert_true(close_rel(get(&ra, "memory_capacity_bytes"), 0.9 * cap, 1e-12));
    assert_true(get(&ra, "memory_reserve_fraction") == 0.1);
    ms_result_free(&ra);
    snprintf(y, sizeof y, "version: \"1.0\"\nname: r\nworkload: {model: Llama3_2_1B, mode: training, batch_size: 8}\n"
                          "hardware: {accelerator: H100, memory_reserve: 0.5}\n");
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    assert_true(close_rel(get(&ra, "memory_capacity_bytes"), 0.5 * cap, 1e-12));
    ms_result_free(&ra);
}

/* Encoders are not decoder-only transformers: BERT training is the roofline's (its parameter
 * count, not a decoder's with an LM head), and on several accelerators it is refused. */
static void test_encoder_training_route(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "BERT_Base");
    ms_plan_init(&pa, reg, m, ms_registry_hardware(reg, "A100"));
    pa.mode = MS_MODE_TRAINING;
    pa.batch_size = 32;
    pa.seq_len = 512;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    double v;
    assert_true(ms_result_get(&ra, "compute_time_s", &v));
    assert_false(ms_result_get(&ra, "bubble_s", &v));
    assert_true(close_rel(get(&ra, "memory_weights_bytes"), m->params * 2, 1e-9));
    ms_result_free(&ra);
    pa.count = 8;
    pa.per_node = 8;
    pa.dp = 8;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "encoder"));
    ms_result_free(&ra);
}

/* Separate storage precisions for inference: int4 weights and an fp8 KV cache shrink exactly
 * those bytes (and the decode step that streams them); compute stays in `precision`. */
static void test_storage_precisions(void **state)
{
    (void)state;
    const char *base = "version: \"1.0\"\nname: s\nworkload: {model: Llama3_8B, batch_size: 16, seq_len: 4096}\n";
    char y[512];
    snprintf(y, sizeof y, "%shardware: {accelerator: H100}\n", base);
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    snprintf(y, sizeof y, "%shardware: {accelerator: H100, weight_precision: int4, kv_precision: fp8}\n", base);
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    assert_true(close_rel(get(&rb, "memory_weights_bytes"), get(&ra, "memory_weights_bytes") / 4, 1e-9));
    assert_true(close_rel(get(&rb, "kv_cache_bytes"), get(&ra, "kv_cache_bytes") / 2, 1e-9));
    assert_true(get(&rb, "itl_s") < get(&ra, "itl_s"));
    assert_true(close_rel(get(&rb, "latency_s"), get(&rb, "itl_s"), 1e-9));
    assert_string_equal(ms_result_get_str(&rb, "compute_precision"), "fp16");
    assert_string_equal(ms_result_get_str(&rb, "weight_precision"), "int4");
    ms_result_free(&ra);
    ms_result_free(&rb);
    snprintf(y, sizeof y, "version: \"1.0\"\nname: s\nworkload: {model: Llama3_2_1B, mode: training}\n"
                          "hardware: {accelerator: H100, kv_precision: fp8}\n");
    assert_int_equal(eval_yaml(y, &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "kv_precision"));
    ms_result_free(&ra);
}

/* Node-level energy: a DGX H100 system entry (10.2 kW, 8 x H100 of 700 W) adds 4.6 kW of host,
 * NICs and fans per node at full load. The accelerators reach their power limit at MFU 0.5
 * (ms_power_fraction), the rest of the node scales linearly with the load, so the node part over
 * the accelerators' part is 4600·(0.3 + 0.7·u) / (5600·(0.3 + 0.7·min(1, u/0.5))). */
static void test_node_energy(void **state)
{
    (void)state;
    ms_result r;
    const char *y = "version: \"1.0\"\nname: n\n"
                    "workload: {model: Llama3_70B, mode: training, seq_len: 4096, batch_size: 256}\n"
                    "hardware: {accelerator: DGX_H100, nodes: 8}\n"
                    "parallelism: {tp: 8, pp: 2, microbatch: 1, recompute: selective, sequence_parallel: true}\n"
                    "ops: {region: Norway, duration_days: 3}\n";
    assert_int_equal(eval_yaml(y, &r), MS_OK);
    double node = get(&r, "energy_node_j"), it = get(&r, "energy_it_j");
    assert_true(node > 0);
    double u = get(&r, "mfu");
    assert_true(u > 0.2 && u < 0.5);
    assert_true(close_rel(node / (it - node), 4600.0 * (0.3 + 0.7 * u) / (5600.0 * (0.3 + 0.7 * u / 0.5)), 1e-9));
    assert_true(close_rel(get(&r, "power_w"), 700.0 * (0.3 + 0.7 * u / 0.5), 1e-9));
    ms_result_free(&r);
}

/* optimize batching (ms_plan_batching) evaluates each batch as eval does, on one replica of the
 * plan: a tp 8 group of Llama-3-70B is one replica of 8 accelerators (the search used to ask a
 * single H100 and found nothing that fits), int4 weights fit one H100, a request of an LM or SSM
 * is ttft_s + N x itl_s of eval at that batch, anything else eval's latency_s; the queueing is
 * M/M/c over the replicas with the wait to fill the batch. */
static double batch_request_latency(const char *yaml, int batch, int tokens)
{
    char y[1024];
    snprintf(y, sizeof y, yaml, batch);
    ms_status st = eval_yaml(y, &rb);
    assert_true(st == MS_OK || st == MS_ERR_MEMORY);
    if (st == MS_ERR_MEMORY) {                     /* the search skips a batch that does not fit */
        ms_result_free(&rb);
        return -1;
    }
    double itl, v;
    double lat = ms_result_get(&rb, "itl_s", &itl) ? get(&rb, "ttft_s") + tokens * itl : get(&rb, "latency_s");
    assert_true(ms_result_get(&rb, "latency_s", &v));
    ms_result_free(&rb);
    return lat;
}

static void test_plan_batching(void **state)
{
    (void)state;
    static const struct { const char *yaml; double sla_s, qps; int per_request, group; } q[] = {
        {"version: \"1.0\"\nname: b\nworkload: {model: Llama3_70B, batch_size: %d, seq_len: 4096}\n"
         "hardware: {accelerator: H100, count: 8, per_node: 8}\nparallelism: {tp: 8}\n", 10.0, 2.0, 1, 8},
        {"version: \"1.0\"\nname: b\nworkload: {model: Llama3_70B, batch_size: %d, seq_len: 4096}\n"
         "hardware: {accelerator: H100, weight_precision: int4}\n", 20.0, 2.0, 1, 1},
        {"version: \"1.0\"\nname: b\nworkload: {model: Mamba_2_8B, batch_size: %d, seq_len: 2048}\n"
         "hardware: {accelerator: H100}\n", 5.0, 2.0, 1, 1},
        {"version: \"1.0\"\nname: b\nworkload: {model: ResNet50, batch_size: %d}\nhardware: {accelerator: T4}\n",
         0.02, 2000.0, 0, 1},
    };
    char err[1024], y[1024];
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        snprintf(y, sizeof y, q[i].yaml, 1);
        assert_int_equal(ms_plan_load_buffer(reg, "b.yaml", y, strlen(y), &pa, err, sizeof err), MS_OK);
        ms_plan_batching_result r;
        ms_status st = ms_plan_batching(reg, &pa, q[i].sla_s, q[i].qps, 128, &r, err, sizeof err);
        if (st != MS_OK) fprintf(stderr, "case %zu: %s\n", i, err);
        assert_int_equal(st, MS_OK);
        assert_int_equal(r.per_request, q[i].per_request);
        assert_int_equal(r.accelerators_per_replica, q[i].group);
        assert_true(r.batch_size >= 1 && r.batch_size <= MS_BATCHING_MAX_BATCH && r.replicas >= 1);
        /* the batch's latency is eval's at that batch (each plan here is one replica) */
        const char *one = q[i].yaml;
        double L = batch_request_latency(one, r.batch_size, 128);
        assert_true(close_rel(r.batch_latency_s, L, 1e-12));
        /* the queue: batches of b arrive at qps/b, M/M/c over the replicas, plus the fill time */
        double fill = (r.batch_size - 1) / q[i].qps;
        ms_queue_result mq;
        ms_mmc(q[i].qps / r.batch_size, L, r.replicas, &mq);
        assert_true(mq.stable);
        assert_true(close_rel(r.p99_latency_s, fill + mq.p99_s, 1e-12));
        assert_true(r.p99_latency_s <= q[i].sla_s);
        /* and no batch size meets the target with one replica fewer */
        if (r.replicas > 1)
            for (int b = 1; b <= MS_BATCHING_MAX_BATCH; b++) {
                double Lb = batch_request_latency(one, b, 128);
                if (Lb < 0) continue;
                ms_mmc(q[i].qps / b, Lb, r.replicas - 1, &mq);
                assert_true(!mq.stable || (b - 1) / q[i].qps + mq.p99_s > q[i].sla_s);
            }
    }
    /* the whole model in fp16 on one H100 does not fit even at batch 1: MS_ERR_MEMORY */
    snprintf(y, sizeof y, q[0].yaml, 1);
    char *cnt = strstr(y, "count: 8, per_node: 8}\nparallelism: {tp: 8}");
    assert_non_null(cnt);
    strcpy(cnt, "count: 1}\n");
    assert_int_equal(ms_plan_load_buffer(reg, "b.yaml", y, strlen(y), &pa, err, sizeof err), MS_OK);
    ms_plan_batching_result r;
    assert_int_equal(ms_plan_batching(reg, &pa, 10.0, 2.0, 128, &r, err, sizeof err), MS_ERR_MEMORY);
    assert_non_null(strstr(err, "does not fit even at batch 1"));
    /* a target below one token's time: nothing meets it */
    snprintf(y, sizeof y, q[2].yaml, 1);
    assert_int_equal(ms_plan_load_buffer(reg, "b.yaml", y, strlen(y), &pa, err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_batching(reg, &pa, 1e-4, 2.0, 128, &r, err, sizeof err), MS_ERR_ASSERT);
    assert_non_null(strstr(err, "no batch size"));
    assert_int_equal(ms_plan_batching(reg, &pa, 1.0, 0.0, 128, &r, err, sizeof err), MS_ERR_INPUT);
    /* a training plan is refused by name */
    const char *tr = "version: \"1.0\"\nname: t\nworkload: {model: Llama3_2_1B, mode: training}\nhardware: {accelerator: H100}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "t.yaml", tr, strlen(tr), &pa, err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_batching(reg, &pa, 1.0, 2.0, 128, &r, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "workload.mode"));
}

/* The entry points agree for every kind of workload, not only transformers: diffusion, the
 * state-space model, DLRM and the CNNs counted on their layer graphs (YOLOv8n, DS-CNN, ResNet-50,
 * MobileNetV2), inference and training. For each: the plan `eval MODEL HARDWARE` builds
 * (ms_plan_init) = the plan file saying the same = that file with an empty parallelism section,
 * key for key to 0.1 %; the one-accelerator plan = the single-node call (ms_eval); an SSM's
 * decode step = serve's ITL. */
static void test_every_kind_through_every_entry_point(void **state)
{
    (void)state;
    static const struct { const char *model, *hw; ms_mode mode; int batch, seq; } q[] = {
        {"StableDiffusion_v1_5", "H100", MS_MODE_INFERENCE, 2, 2048},
        {"StableDiffusion_v1_5", "A100", MS_MODE_TRAINING, 8, 2048},
        {"Mamba_2_8B", "H100", MS_MODE_INFERENCE, 16, 4096},
        {"Mamba_130M", "L4", MS_MODE_TRAINING, 8, 2048},
        {"DLRM_DCNv2", "H100", MS_MODE_INFERENCE, 4096, 2048},
        {"DLRM_DCNv2", "H200", MS_MODE_TRAINING, 2048, 2048},
        {"YOLOv8n", "T4", MS_MODE_TRAINING, 64, 1},
        {"DS_CNN", "Jetson_Orin_Nano", MS_MODE_INFERENCE, 32, 1},
        {"ResNet50", "L4", MS_MODE_INFERENCE, 128, 1},
        {"MobileNetV2", "A100", MS_MODE_TRAINING, 256, 1},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        const ms_model *m = ms_registry_model(reg, q[i].model);
        const ms_hardware *h = ms_registry_hardware(reg, q[i].hw);
        if (!m || !h) fprintf(stderr, "case %zu: %s on %s not in the registry\n", i, q[i].model, q[i].hw);
        assert_non_null(m);
        assert_non_null(h);
        ms_plan_init(&pa, reg, m, h);
        pa.mode = q[i].mode;
        pa.batch_size = q[i].batch;
        pa.seq_len = q[i].seq;
        ms_status sa = ms_plan_eval(reg, &pa, &ra);
        assert_true(sa == MS_OK || sa == MS_ERR_MEMORY);
        char y[1024], yp[1100];
        snprintf(y, sizeof y,
                 "version: \"1.0\"\nname: k\nworkload: {model: %s, mode: %s, batch_size: %d, seq_len: %d}\n"
                 "hardware: {accelerator: %s}\n",
                 q[i].model, ms_mode_name(q[i].mode), q[i].batch, q[i].seq, q[i].hw);
        assert_int_equal(eval_yaml(y, &rb), sa);
        same_numbers(&ra, &rb);
        same_numbers(&rb, &ra);
        ms_result_free(&rb);
        snprintf(yp, sizeof yp, "%sparallelism: {}\n", y);
        assert_int_equal(eval_yaml(yp, &rb), sa);
        same_numbers(&ra, &rb);
        same_numbers(&rb, &ra);
        ms_result_free(&rb);
        /* the single-node call with the plan's defaults */
        ms_workload w;
        ms_workload_default(&w);
        w.mode = q[i].mode;
        w.batch_size = q[i].batch;
        w.seq_len = q[i].seq;
        w.efficiency = ms_default_efficiency(q[i].mode);
        double cal = q[i].mode == MS_MODE_TRAINING ? ms_calibrated_efficiency(q[i].hw)
                                                   : ms_calibrated_inference_efficiency(m, q[i].hw, pa.precision);
        if (cal > 0) w.efficiency = cal;
        ms_eval_result r;
        ms_eval(m, h, &w, &r);
        assert_true(close_rel(get(&ra, "efficiency"), w.efficiency, 1e-12));
        assert_true(close_rel(get(&ra, "latency_s"), r.latency_s, 1e-3));
        assert_true(close_rel(get(&ra, "throughput_per_s"), r.throughput_per_s, 1e-3));
        assert_true(close_rel(get(&ra, "memory_per_accelerator_bytes"), r.memory_bytes, 1e-3));
        assert_true(close_rel(get(&ra, "memory_activations_bytes"), r.memory_activations_bytes, 1e-3));
        assert_true(close_rel(get(&ra, "energy_j"), r.energy_j, 1e-3));
        assert_true(close_rel(get(&ra, "mfu"), r.mfu, 1e-3));
        assert_int_equal((int)get(&ra, "feasible"), r.feasible);
        if (m->kind == MS_MODEL_SSM && q[i].mode == MS_MODE_INFERENCE) {
            ms_serve_input si;
            ms_serve_input_default(&si);
            si.batch_size = q[i].batch;
            si.seq_len = q[i].seq;
            si.efficiency = w.efficiency;
            ms_serve_result s;
            assert_int_equal(ms_serve(m, h, &si, &s), MS_OK);
            assert_true(close_rel(get(&ra, "latency_s"), s.itl_s, 1e-3));
            assert_true(close_rel(get(&ra, "ttft_s"), s.ttft_s, 1e-3));
        }
        ms_result_free(&ra);
    }
}

/* Text output names the unit of the quantity shown: tflops_per_accelerator (a kept key without a
 * unit suffix) in TFLOP/s, and a zero in the base unit of its key. */
static void test_text_units(void **state)
{
    (void)state;
    char b[64];
    ms_fmt_human("tflops_per_accelerator", 354.586, b, sizeof b);
    assert_string_equal(b, "354.6 TFLOP/s");
    ms_fmt_human("energy_node_j", 0, b, sizeof b);
    assert_string_equal(b, "0 J");
    ms_fmt_human("power_w", 0, b, sizeof b);
    assert_string_equal(b, "0 W");
    ms_fmt_human("model_flop", 0, b, sizeof b);
    assert_string_equal(b, "0 FLOP");
    ms_fmt_human("energy_j", 2.5e-3, b, sizeof b);
    assert_string_equal(b, "2.5 mJ");
    ms_fmt_human("latency_s", 0.007678, b, sizeof b);
    assert_string_equal(b, "7.678 ms");
    ms_fmt_human("peak_int8_op_per_s", 1.979e15, b, sizeof b);     /* integer peaks are OP/s */
    assert_string_equal(b, "1.979 POP/s");
    ms_fmt_human("peak_flop_per_s", 989e12, b, sizeof b);
    assert_string_equal(b, "989 TFLOP/s");
}

/* ms_plan_sensitivity: the plan re-evaluated with one figure raised by 10 %. Hand-worked:
 * Llama-3-8B batch-1 decode on an H100 is memory-bound, so +10 % bandwidth divides the streamed
 * part (latency - overheads) by 1.1 and peak FLOP/s changes nothing; ResNet-50 at batch 256 on an
 * A100 is compute-bound the other way round; Llama-3-70B in fp16 does not fit one H100, so
 * capacity binds (MS_ERR_MEMORY). A transformer training step is on the fleet model: all five
 * figures, each equal to the fleet step (ms_dist_train_step) with that one input scaled by 1.1, on
 * one node (no traffic leaves it: inter_bw changes nothing) and on the 70B example's 8 nodes; with
 * hardware.congestion the base is the plan's own latency_s, congestion included. */
/* ms_plan_sensitivity of the fleet training step p against ms_dist_train_step with each of the
 * fleet model's inputs scaled by 1.1 by hand. */
static void sens_like_fleet_step(ms_plan *p, int one_node)
{
    char err[512];
    ms_plan_sensitivity_result s;
    assert_int_equal(ms_plan_sensitivity(reg, p, 10, &s, err, sizeof err), MS_OK);
    assert_int_equal(s.n_knobs, MS_PLAN_SENS_KNOBS);
    ms_dist_accel_t a;
    ms_dist_model_t dm;
    ms_dist_parallel_t par;
    ms_dist_fabric_t f;
    assert_int_equal(ms_plan_to_dist(p, &a, &dm, &par, &f, err, sizeof err), 0);
    ms_dist_train_t t;
    assert_int_equal(ms_dist_train_step(&a, &dm, &par, &f, p->count, &t, err, sizeof err), MS_DIST_OK);
    assert_true(close_rel(s.base_latency_s, t.step_time_s, 1e-12));
    int binding = 0;
    for (int k = 0; k < MS_PLAN_SENS_KNOBS; k++) {
        ms_dist_accel_t aa = a;
        ms_dist_fabric_t ff = f;
        if (k == 0) aa.peak_flops *= 1.1;
        if (k == 1) aa.mem_bw_bytes_per_s *= 1.1;
        if (k == 2) aa.mem_capacity_bytes *= 1.1;
        if (k == 3) ff.intra_bw_bytes_per_s *= 1.1;
        if (k == 4) ff.inter_bw_bytes_per_s *= 1.1;
        ms_dist_train_t r;
        assert_int_equal(ms_dist_train_step(&aa, &dm, &par, &ff, p->count, &r, err, sizeof err), MS_DIST_OK);
        double want = (r.step_time_s - t.step_time_s) / t.step_time_s;
        assert_true(fabs(s.change[k] - want) <= 1e-9 * fabs(want) + 1e-15);
        if (want < s.change[binding]) binding = k;
    }
    assert_int_equal(s.binding, binding);
    assert_true(s.change[2] == 0);
    if (one_node) assert_true(s.change[4] == 0);
    else assert_true(s.change[4] < 0 && s.change[3] < 0);
}

static void test_plan_sensitivity(void **state)
{
    (void)state;
    ms_plan_sensitivity_result s;
    char err[512];
    ms_plan_init(&pa, reg, ms_registry_model(reg, "Llama3_8B"), ms_registry_hardware(reg, "H100"));
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    double lat = get(&ra, "latency_s"), ovh = get(&ra, "overhead_time_s");
    ms_result_free(&ra);
    assert_int_equal(ms_plan_sensitivity(reg, &pa, 10, &s, err, sizeof err), MS_OK);
    assert_true(close_rel(s.base_latency_s, lat, 1e-12));
    assert_true(close_rel(s.change[1], -(lat - ovh) * (1 - 1 / 1.1) / lat, 1e-9));
    assert_true(s.change[0] == 0 && s.change[2] == 0);
    assert_string_equal(ms_plan_sensitivity_knobs[s.binding], "mem_bw");
    assert_true(s.feasible);
    assert_int_equal(s.n_knobs, MS_PLAN_SENS_HW_KNOBS);      /* not a training step: no links */

    ms_plan_init(&pa, reg, ms_registry_model(reg, "ResNet50"), ms_registry_hardware(reg, "A100"));
    pa.batch_size = 256;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    lat = get(&ra, "latency_s");
    double comp = get(&ra, "compute_time_s");
    ms_result_free(&ra);
    assert_int_equal(ms_plan_sensitivity(reg, &pa, 10, &s, err, sizeof err), MS_OK);
    assert_true(close_rel(s.change[0], -comp * (1 - 1 / 1.1) / lat, 1e-9));
    assert_string_equal(ms_plan_sensitivity_knobs[s.binding], "peak_flops");

    ms_plan_init(&pa, reg, ms_registry_model(reg, "Llama3_70B"), ms_registry_hardware(reg, "H100"));
    assert_int_equal(ms_plan_sensitivity(reg, &pa, 10, &s, err, sizeof err), MS_ERR_MEMORY);
    assert_false(s.feasible);
    assert_string_equal(ms_plan_sensitivity_knobs[s.binding], "mem_capacity");
    assert_int_equal(ms_plan_sensitivity(reg, &pa, 0, &s, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "pct"));

    ms_plan_init(&pa, reg, ms_registry_model(reg, "Llama3_2_1B"), ms_registry_hardware(reg, "H100"));
    pa.mode = MS_MODE_TRAINING;
    pa.batch_size = 8;
    sens_like_fleet_step(&pa, 1);
    const char *src = getenv("MLSB_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/mlsysim/examples/llama3_70b_training.yaml", src ? src : MLSB_SOURCE_DIR);
    assert_int_equal(ms_plan_load_file(reg, path, &pa, err, sizeof err), MS_OK);
    sens_like_fleet_step(&pa, 0);
    pa.congestion = 1.5;
    assert_int_equal(ms_plan_sensitivity(reg, &pa, 10, &s, err, sizeof err), MS_OK);
    pa.n_asserts = 0;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    assert_true(close_rel(s.base_latency_s, get(&ra, "latency_s"), 1e-12));
    ms_result_free(&ra);
    assert_true(s.change[4] < 0);   /* more of the step is exposed communication */
}

/* ms_plan_synthesis, hand-worked: Llama-3-8B batch-1 decode on an H100 streams its bytes in
 * (latency - overheads); for 3 ms the bandwidth must grow by (latency - overheads)/(3 ms -
 * overheads) and no peak or capacity helps (NAN); ResNet-50 at batch 256 on an A100 needs peak
 * FLOP/s x compute/(5 ms - overheads) for 5 ms; 0.1 ms is out of reach (MS_ERR_ASSERT). Then a
 * fleet training step against the fleet model by hand, and a plan that does not fit. */
static void test_plan_synthesis(void **state)
{
    (void)state;
    ms_plan_synthesis_result s;
    char err[512];
    ms_plan_init(&pa, reg, ms_registry_model(reg, "Llama3_8B"), ms_registry_hardware(reg, "H100"));
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    double lat = get(&ra, "latency_s"), ovh = get(&ra, "overhead_time_s");
    ms_result_free(&ra);
    assert_int_equal(ms_plan_synthesis(reg, &pa, 3e-3, &s, err, sizeof err), MS_OK);
    assert_true(close_rel(s.factor[1], (lat - ovh) / (3e-3 - ovh), 1e-6));
    assert_true(isnan(s.factor[0]) && isnan(s.factor[2]));
    assert_int_equal(ms_plan_synthesis(reg, &pa, 1e-4, &s, err, sizeof err), MS_ERR_ASSERT);
    assert_non_null(strstr(err, "no single figure"));

    ms_plan_init(&pa, reg, ms_registry_model(reg, "ResNet50"), ms_registry_hardware(reg, "A100"));
    pa.batch_size = 256;
    assert_int_equal(ms_plan_eval(reg, &pa, &ra), MS_OK);
    double comp = get(&ra, "compute_time_s");
    ovh = get(&ra, "overhead_time_s");
    ms_result_free(&ra);
    assert_int_equal(ms_plan_synthesis(reg, &pa, 5e-3, &s, err, sizeof err), MS_OK);
    assert_true(close_rel(s.factor[0], comp / (5e-3 - ovh), 1e-6));
    assert_int_equal(s.n_knobs, MS_PLAN_SENS_HW_KNOBS);
    assert_true(isnan(s.factor[3]) && isnan(s.factor[4]));

    /* a training step on the fleet model: five figures, each factor the one at which the fleet
     * step (ms_dist_train_step with that input scaled by hand) takes the target; GPT-3 175B on 1536
     * A100 2 % faster needs more FLOP/s, bandwidth or NVLink, and no capacity or inter-node link */
    const char *src = getenv("MLSB_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/mlsysim/examples/gpt3_175b_1536_a100.yaml", src ? src : MLSB_SOURCE_DIR);
    assert_int_equal(ms_plan_load_file(reg, path, &pa, err, sizeof err), MS_OK);
    ms_dist_accel_t a;
    ms_dist_model_t dm;
    ms_dist_parallel_t par;
    ms_dist_fabric_t f;
    assert_int_equal(ms_plan_to_dist(&pa, &a, &dm, &par, &f, err, sizeof err), 0);
    ms_dist_train_t t;
    assert_int_equal(ms_dist_train_step(&a, &dm, &par, &f, pa.count, &t, err, sizeof err), MS_DIST_OK);
    double target = 0.98 * t.step_time_s;
    assert_int_equal(ms_plan_synthesis(reg, &pa, target, &s, err, sizeof err), MS_OK);
    assert_int_equal(s.n_knobs, MS_PLAN_SENS_KNOBS);
    assert_true(close_rel(s.base_latency_s, t.step_time_s, 1e-12));
    int finite = 0;
    for (int k = 0; k < MS_PLAN_SENS_KNOBS; k++) {
        if (isnan(s.factor[k])) continue;
        finite |= 1 << k;
        ms_dist_accel_t aa = a;
        ms_dist_fabric_t ff = f;
        if (k == 0) aa.peak_flops *= s.factor[k];
        if (k == 1) aa.mem_bw_bytes_per_s *= s.factor[k];
        if (k == 3) ff.intra_bw_bytes_per_s *= s.factor[k];
        if (k == 4) ff.inter_bw_bytes_per_s *= s.factor[k];
        ms_dist_train_t r;
        assert_int_equal(ms_dist_train_step(&aa, &dm, &par, &ff, pa.count, &r, err, sizeof err), MS_DIST_OK);
        assert_true(close_rel(r.step_time_s, target, 1e-9));
    }
    assert_int_equal(finite, 1 | 2 | 8);
    assert_true(s.factor[0] > 1 / 0.98);       /* FLOP/s is not the only term */

    /* Llama-3-70B training does not fit one H100: MS_ERR_MEMORY, the bytes it needs in err */
    ms_plan_init(&pa, reg, ms_registry_model(reg, "Llama3_70B"), ms_registry_hardware(reg, "H100"));
    pa.mode = MS_MODE_TRAINING;
    pa.batch_size = 8;
    assert_int_equal(ms_plan_synthesis(reg, &pa, 100, &s, err, sizeof err), MS_ERR_MEMORY);
    assert_false(s.feasible);
    assert_true(s.memory_bytes > s.capacity_bytes && s.capacity_bytes > 0);
    assert_non_null(strstr(err, "does not fit: needs"));
}

/* serve's replica search is the library's (ms_serve_replicas). Hand-worked: M/M/1 at λ = 0.5,
 * μ = 1 has the response tail e^{-(μ-λ)t}, so p99 = ln(100)/0.5 = 9.2103 s; M/M/2 at λ = 1, μ = 1
 * (ρ = 0.5) has Erlang C = 1/3 and mean wait C/(cμ - λ) = 1/3 s; one server at λ = μ is unstable. */
static void test_serve_replicas(void **state)
{
    (void)state;
    ms_serve_replicas_result sr;
    char err[300];
    assert_int_equal(ms_serve_replicas(0.5, 1.0, 1, 1, 0, &sr, err, sizeof err), MS_OK);
    assert_true(sr.found && sr.replicas == 1);
    assert_true(fabs(sr.queue.p99_s - 2 * log(100.0)) < 1e-9);
    assert_int_equal(ms_serve_replicas(1.0, 1.0, 1, 2, 0, &sr, err, sizeof err), MS_OK);
    assert_true(fabs(sr.queue.utilization - 0.5) < 1e-12);
    assert_true(fabs(sr.queue.p_wait - 1.0 / 3) < 1e-12 && fabs(sr.queue.mean_wait_s - 1.0 / 3) < 1e-12);
    /* the search: the fewest stable replicas (1 is at ρ = 1); a target just above / below M/M/1's p99 */
    assert_int_equal(ms_serve_replicas(1.0, 1.0, 1, 0, 0, &sr, err, sizeof err), MS_OK);
    assert_int_equal(sr.replicas, 2);
    assert_int_equal(ms_serve_replicas(0.5, 1.0, 1, 0, 9.22, &sr, err, sizeof err), MS_OK);
    assert_int_equal(sr.replicas, 1);
    assert_int_equal(ms_serve_replicas(0.5, 1.0, 1, 0, 9.20, &sr, err, sizeof err), MS_OK);
    assert_int_equal(sr.replicas, 2);
    assert_true(sr.queue.p99_s <= 9.20);
    /* two slots per replica are two servers: one replica meets what needed two */
    assert_int_equal(ms_serve_replicas(0.5, 1.0, 2, 0, 9.20, &sr, err, sizeof err), MS_OK);
    assert_int_equal(sr.replicas, 1);
    /* a given count that is overloaded, a target below the service time, bad input */
    assert_int_equal(ms_serve_replicas(1.0, 1.0, 1, 1, 0, &sr, err, sizeof err), MS_ERR_ASSERT);
    assert_true(!sr.found && sr.replicas == 1 && strstr(err, "overloaded"));
    assert_int_equal(ms_serve_replicas(0.5, 1.0, 1, 0, 0.5, &sr, err, sizeof err), MS_ERR_ASSERT);
    assert_true(!sr.found && sr.replicas == 0 && strstr(err, "no replica count up to 100000"));
    assert_int_equal(ms_serve_replicas(0, 1.0, 1, 0, 0, &sr, err, sizeof err), MS_ERR_INPUT);
    assert_int_equal(ms_serve_replicas(1.0, 1.0, 1 << 20, 1 << 12, 0, &sr, err, sizeof err), MS_ERR_INPUT);
}

/* hardware.congestion and hardware.straggler: the plan's step is what `solve step-factors`
 * (ms_step_factors) gives for the same step's parts. Hand-worked: with t_bubble = 0, step' = k_s (step
 * + (k_c - 1) x exposed communication), the straggler's wait (k_s - 1) x that; communication x k_c;
 * MFU falls by step / step'. A plan without the fields is the plan with 1 and 1. */
static void test_plan_step_factors(void **state)
{
    (void)state;
    const char *head = "version: \"1.0\"\nname: f\nworkload: {model: Llama3_8B, mode: training, seq_len: 4096, batch_size: 64}\n";
    const char *par = "parallelism: {tp: 8, pp: 2, microbatch: 1}\n";
    char y[1024];
    snprintf(y, sizeof y, "%shardware: {accelerator: H100, count: 32, per_node: 8, fabric: IB_NDR}\n%s", head, par);
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    assert_true(get(&ra, "congestion_factor") == 1 && get(&ra, "straggler_factor") == 1 && get(&ra, "straggler_s") == 0);
    double step = get(&ra, "step_time_s"), comm = get(&ra, "communication_s"), bub = get(&ra, "bubble_s");
    double tdp = get(&ra, "dp_communication_s") + get(&ra, "zero_communication_s");
    assert_true(comm > 0 && bub > 0 && get(&ra, "pp_communication_s") > 0);
    snprintf(y, sizeof y, "%shardware: {accelerator: H100, count: 32, per_node: 8, fabric: IB_NDR, congestion: 1, straggler: 1}\n%s",
             head, par);
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    same_numbers(&ra, &rb);
    ms_result_free(&rb);
    snprintf(y, sizeof y, "%shardware: {accelerator: H100, count: 32, per_node: 8, fabric: IB_NDR, congestion: 1.5, straggler: 1.1}\n%s",
             head, par);
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    ms_step_factors_result sf;
    char err[256];
    assert_int_equal(ms_step_factors(step - comm - bub, tdp, comm - tdp, bub, 1.5, 1.1, 1, 0.0, &sf, err, sizeof err), 0);
    assert_true(close_rel(get(&rb, "step_time_s"), sf.step_s, 1e-12));
    assert_true(close_rel(get(&rb, "step_time_s"), 1.1 * (step + 0.5 * comm), 1e-12));
    assert_true(close_rel(get(&rb, "straggler_s"), sf.straggler_s, 1e-12));
    assert_true(close_rel(get(&rb, "straggler_s"), 0.1 * (step + 0.5 * comm), 1e-12));
    assert_true(close_rel(get(&rb, "communication_s"), 1.5 * comm, 1e-12));
    assert_true(close_rel(get(&rb, "tp_communication_s"), 1.5 * get(&ra, "tp_communication_s"), 1e-12));
    assert_true(close_rel(get(&rb, "mfu"), get(&ra, "mfu") * step / sf.step_s, 1e-12));
    assert_true(close_rel(get(&rb, "bubble_s"), bub, 1e-12));
    assert_true(get(&rb, "congestion_factor") == 1.5 && get(&rb, "straggler_factor") == 1.1);
    ms_result_free(&ra);
    ms_result_free(&rb);
    /* below 1 is refused with the field named; an inference plan says it does not use them */
    snprintf(y, sizeof y, "%shardware: {accelerator: H100, count: 32, per_node: 8, fabric: IB_NDR, straggler: 0.9}\n%s", head, par);
    assert_int_equal(eval_yaml(y, &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "straggler"));
    ms_result_free(&ra);
    assert_int_equal(eval_yaml("version: \"1.0\"\nname: i\nworkload: {model: Llama3_8B}\nhardware: {accelerator: H100, congestion: 2}\n", &ra),
                     MS_OK);
    assert_non_null(strstr(ra.notes, "does not use them"));
    ms_result_free(&ra);
    /* ms_plan_set reaches them (sweeps) */
    ms_plan_init(&pa, reg, ms_registry_model(reg, "Llama3_8B"), ms_registry_hardware(reg, "H100"));
    assert_true(pa.congestion == 1 && pa.straggler == 1 && pa.moe_imbalance == 1);
    assert_int_equal(ms_plan_set(reg, &pa, "hardware.straggler", "1.2", err, sizeof err), MS_OK);
    assert_true(pa.straggler == 1.2);
    assert_int_equal(ms_plan_set(reg, &pa, "parallelism.moe_imbalance", "0.5", err, sizeof err), MS_ERR_INPUT);
}

/* parallelism.moe_imbalance: the expert-parallel all-to-all carries min(E, top_k x imbalance)
 * copies of each token, ms_moe_alltoall's effective experts per token (`solve moe`). Mixtral
 * (E = 8, top-2): imbalance 1, 1.5, 2 carry 2, 3, 4 copies, 4 and 10 both the cap of 8. The
 * all-to-all time is affine in its payload, so (ep(x) - ep0) / (ep(1) - ep0) x 2 = the solver's
 * copies, with ep0 = 2 ep(1) - ep(2) the time of no payload. */
static double moe_ep_s(double imb)
{
    char y[1024];
    snprintf(y, sizeof y,
             "version: \"1.0\"\nname: m\nworkload: {model: Mixtral_8x7B, mode: training, seq_len: 4096, batch_size: 64}\n"
             "hardware: {accelerator: H100, count: 16, per_node: 8, fabric: IB_NDR}\n"
             "parallelism: {tp: 2, ep: 8, microbatch: 1, zero_stage: 1, moe_imbalance: %g}\n", imb);
    ms_result r;
    assert_int_equal(eval_yaml(y, &r), MS_OK);
    assert_true(get(&r, "moe_imbalance") == imb);
    double v = get(&r, "ep_communication_s");
    ms_result_free(&r);
    return v;
}

static void test_plan_moe_imbalance(void **state)
{
    (void)state;
    double e1 = moe_ep_s(1), e2 = moe_ep_s(2), ep0 = 2 * e1 - e2;
    assert_true(e1 > 0 && e2 > e1);
    const double imbs[] = {1.25, 1.5, 3, 4, 10};
    for (int i = 0; i < 5; i++) {
        ms_moe_a2a_result m;
        char err[256];
        assert_int_equal(ms_moe_alltoall(4096, 4096, 2, 2, 8, imbs[i], 8, 50e9, 0, &m, err, sizeof err), 0);
        double copies = (moe_ep_s(imbs[i]) - ep0) / (e1 - ep0) * 2;
        assert_true(close_rel(copies, m.effective_experts_per_token, 1e-9));
    }
    assert_true(moe_ep_s(10) == moe_ep_s(4));                 /* both carry all 8 experts */
}

/* hardware.topology feeds the fleet collectives through `solve topology` (ms_topology_eval): a
 * node's inter-node bandwidth is min(its NICs / oversubscription, the bisection per node), the
 * latency the fabric's x average hops / 4. Hand-worked for 8 nodes of 8 H100 on NDR (8 x 50 GB/s
 * a node): a ring's bisection is 2 links, per node 2 bw / (N/2) = bw / 2 = 200 GB/s over 8/4 = 2
 * hops (latency x 1/2); a dragonfly 0.85 x 400 = 340 GB/s over 3 hops. A fat-tree is the plan
 * without the field; the slower ring makes the data-parallel reduction slower. */
static void test_plan_topology(void **state)
{
    (void)state;
    const char *fmt = "version: \"1.0\"\nname: t\nworkload: {model: Llama3_8B, mode: training, seq_len: 4096, batch_size: 64}\n"
                      "hardware: {accelerator: H100, count: 64, per_node: 8, fabric: IB_NDR%s}\n"
                      "parallelism: {tp: 8, microbatch: 1}\n";
    char y[1024];
    snprintf(y, sizeof y, fmt, "");
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    assert_string_equal(ms_result_get_str(&ra, "topology"), "fat-tree");
    const ms_fabric *fab = ms_registry_fabric(reg, "IB_NDR");
    assert_non_null(fab);
    double node_bw = fab->bw_bytes_per_s * 8;
    assert_true(close_rel(get(&ra, "inter_node_bw_bytes_per_s"), node_bw / fab->oversubscription, 1e-12));
    assert_true(get(&ra, "inter_node_latency_s") == fab->latency_s);
    const char *names[] = {"fat-tree", "dragonfly", "torus3d", "ring"};
    for (int t = 0; t < 4; t++) {
        char extra[64];
        snprintf(extra, sizeof extra, ", topology: %s", names[t]);
        snprintf(y, sizeof y, fmt, extra);
        assert_int_equal(eval_yaml(y, &rb), MS_OK);
        ms_topology_result tr;
        char err[256];
        assert_int_equal(ms_topology_eval((ms_topology)t, 8, node_bw, fab->oversubscription, &tr, err, sizeof err), 0);
        assert_true(close_rel(get(&rb, "inter_node_bw_bytes_per_s"),
                              fmin(node_bw / fab->oversubscription, tr.per_node_bisection_bytes_per_s), 1e-12));
        assert_true(close_rel(get(&rb, "inter_node_latency_s"), fab->latency_s * tr.avg_hops / 4, 1e-12));
        if (t == 0) same_numbers(&ra, &rb);
        if (t == 1) assert_true(close_rel(get(&rb, "inter_node_bw_bytes_per_s"), 0.85 * node_bw, 1e-12));
        if (t == 3) {
            assert_true(close_rel(get(&rb, "inter_node_bw_bytes_per_s"), node_bw / 2, 1e-12));
            assert_true(close_rel(get(&rb, "inter_node_latency_s"), fab->latency_s / 2, 1e-12));
            assert_true(get(&rb, "dp_communication_s") > get(&ra, "dp_communication_s"));
            assert_true(get(&rb, "step_time_s") > get(&ra, "step_time_s"));
        }
        ms_result_free(&rb);
    }
    ms_result_free(&ra);
    snprintf(y, sizeof y, fmt, ", topology: hypercube");
    assert_int_equal(eval_yaml(y, &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "topology"));
    ms_result_free(&ra);
}

/* hardware.power_limit: the GEMMs and attention at ms_power_limit_clock of their clock (H100 at
 * 500 of 700 W: 0.83959), the memory-bound kernels and the optimizer at theirs; the board draws at
 * most the limit; inference likewise (the roofline: compute slower, memory not). At TDP nothing
 * changes; at the idle floor the plan is refused. */
/* An inference plan of a transformer that names no efficiency computes at its generation's
 * calibrated GEMM figure (16-bit: efficiency, FP8: fp8_efficiency); other formats, other model
 * kinds and uncalibrated accelerators keep the default. serve takes the same figure. */
static void test_inference_efficiency(void **state)
{
    (void)state;
    const ms_model *llm = ms_registry_model(reg, "Llama3_8B"), *cnn = ms_registry_model(reg, "ResNet50");
    assert_non_null(llm);
    assert_non_null(cnn);
    assert_true(ms_calibrated_inference_efficiency(llm, "A100", MS_FP16) == ms_calibrated_efficiency("A100"));
    assert_true(ms_calibrated_inference_efficiency(llm, "A100_40GB", MS_BF16) == ms_calibrated_efficiency("A100"));
    assert_true(ms_calibrated_inference_efficiency(llm, "H100", MS_FP8) == ms_calibrated_fp8_efficiency("H100"));
    assert_true(ms_calibrated_fp8_efficiency("H100") > 0);
    assert_true(ms_calibrated_inference_efficiency(llm, "A100", MS_FP8) == 0.0);    /* no FP8 figure */
    assert_true(ms_calibrated_inference_efficiency(llm, "H100", MS_INT8) == 0.0);
    assert_true(ms_calibrated_inference_efficiency(cnn, "A100", MS_FP16) == 0.0);
    assert_true(ms_calibrated_inference_efficiency(llm, "MI300X", MS_FP16) == 0.0);
    assert_true(ms_calibrated_inference_efficiency(NULL, "A100", MS_FP16) == 0.0);
    assert_true(ms_inference_efficiency(llm, "H100", MS_INT8) == ms_default_efficiency(MS_MODE_INFERENCE));
    assert_true(ms_inference_efficiency(llm, "H100", MS_FP16) == ms_calibrated_efficiency("H100"));

    const char *fmt = "version: \"1.0\"\nname: i\nworkload: {model: %s, batch_size: 8, seq_len: 4096}\n"
                      "hardware: {accelerator: A100%s}\n";
    char y[512];
    snprintf(y, sizeof y, fmt, "Llama3_8B", "");
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    assert_true(get(&ra, "efficiency") == ms_calibrated_efficiency("A100"));
    assert_string_equal(ms_result_get_str(&ra, "efficiency_source"), "calibrated");
    assert_non_null(strstr(ra.notes, "16-bit GEMMs' figure calibrated for A100"));
    snprintf(y, sizeof y, fmt, "Llama3_8B", ", efficiency: 0.5");
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    assert_string_equal(ms_result_get_str(&rb, "efficiency_source"), "plan");
    /* 8 x 4096 prompt tokens are compute-bound: the first token comes sooner, by at most 0.74/0.5
     * (dispatch and per-layer costs do not scale); a decode step of 8 is memory-bound and keeps
     * its weights' read */
    double r = get(&rb, "ttft_s") / get(&ra, "ttft_s");
    assert_true(r > 1.3 && r <= ms_calibrated_efficiency("A100") / 0.5 + 1e-12);
    assert_true(close_rel(get(&ra, "itl_s"), get(&rb, "itl_s"), 0.02));
    ms_result_free(&ra);
    ms_result_free(&rb);
    snprintf(y, sizeof y, fmt, "ResNet50", "");
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    assert_true(get(&ra, "efficiency") == ms_default_efficiency(MS_MODE_INFERENCE));
    assert_string_equal(ms_result_get_str(&ra, "efficiency_source"), "default");
    ms_result_free(&ra);
}

static void test_plan_power_limit(void **state)
{
    (void)state;
    const char *fmt = "version: \"1.0\"\nname: p\nworkload: {model: Llama3_8B, mode: %s, seq_len: 8192, batch_size: 16}\n"
                      "hardware: {accelerator: H100, count: 8, per_node: 8%s}\nparallelism: {microbatch: 2, recompute: selective, framework: torchtitan}\n";
    char y[1024];
    snprintf(y, sizeof y, fmt, "training", "");
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    snprintf(y, sizeof y, fmt, "training", ", power_limit: 700 W");    /* at TDP: no change */
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    assert_true(get(&rb, "clock_fraction") == 1.0);
    assert_true(get(&rb, "step_time_s") == get(&ra, "step_time_s"));
    assert_true(get(&rb, "power_w") == get(&ra, "power_w"));
    ms_result_free(&rb);
    snprintf(y, sizeof y, fmt, "training", ", power_limit: 500 W");
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    double k = get(&rb, "clock_fraction");
    assert_true(close_rel(k, 0.839590, 1e-5));
    assert_true(get(&rb, "power_limit_w") == 500.0);
    /* the matmuls slow by up to 1/k (a GEMM tile's fixed cost, a time, does not); the rest not */
    double mm = get(&rb, "matmul_s") / get(&ra, "matmul_s");
    assert_true(mm > 0.97 / k && mm <= 1.0 / k * (1 + 1e-12));
    assert_true(close_rel(get(&rb, "memory_bound_s"), get(&ra, "memory_bound_s"), 1e-9));
    assert_true(close_rel(get(&rb, "optimizer_s"), get(&ra, "optimizer_s"), 1e-12));
    assert_true(get(&rb, "step_time_s") > get(&ra, "step_time_s"));
    assert_true(close_rel(get(&rb, "mfu") * get(&rb, "step_time_s"), get(&ra, "mfu") * get(&ra, "step_time_s"), 1e-9));  /* vs datasheet peak */
    /* power: the unlimited step's, its energy lowered by the slowed phases at the limit
     * (ms_power_limited_w): less energy per step, at a lower average power */
    assert_true(close_rel(get(&rb, "power_w"), ms_power_limited_w(700, 500, get(&ra, "power_w"), get(&ra, "step_time_s"),
                                                                  get(&rb, "step_time_s")), 1e-12));
    assert_true(get(&rb, "power_w") < 500.0 && get(&rb, "power_w") < get(&ra, "power_w"));
    assert_true(close_rel(get(&rb, "energy_j"), get(&rb, "power_w") * get(&rb, "step_time_s"), 1e-12));
    assert_true(get(&rb, "energy_j") < get(&ra, "energy_j"));
    ms_result_free(&rb);
    ms_result_free(&ra);
    snprintf(y, sizeof y, fmt, "training", ", power_limit: 150 W");      /* below the 210 W floor */
    assert_int_equal(eval_yaml(y, &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "hardware.power_limit"));
    assert_non_null(strstr(ra.error, "idle floor"));
    ms_result_free(&ra);
    /* inference (the roofline): a decode step streams the weights and KV cache, at its speed under
     * the limit; the prefill behind the first token is compute-bound, nearly 1/k as long */
    const char *inf = "version: \"1.0\"\nname: q\nworkload: {model: Llama3_8B, mode: inference, seq_len: 2048, batch_size: 16}\n"
                      "hardware: {accelerator: H100%s}\n";
    snprintf(y, sizeof y, inf, "");
    assert_int_equal(eval_yaml(y, &ra), MS_OK);
    snprintf(y, sizeof y, inf, ", power_limit: 500 W");
    assert_int_equal(eval_yaml(y, &rb), MS_OK);
    assert_true(close_rel(get(&rb, "clock_fraction"), 0.839590, 1e-5));
    assert_true(get(&rb, "itl_s") == get(&ra, "itl_s"));
    assert_true(close_rel(get(&rb, "mfu"), get(&ra, "mfu"), 1e-12));    /* against the datasheet peak */
    assert_true(get(&rb, "peak_flop_per_s") == get(&ra, "peak_flop_per_s"));
    double tt = get(&rb, "ttft_s") / get(&ra, "ttft_s");                 /* its fixed overheads do not slow */
    assert_true(tt > 0.98 / get(&rb, "clock_fraction") && tt <= (1 + 1e-12) / get(&rb, "clock_fraction"));
    assert_true(close_rel(get(&rb, "power_w"), get(&ra, "power_w"), 1e-12));   /* the decode step did not slow */
    ms_result_free(&rb);
    ms_result_free(&ra);
    snprintf(y, sizeof y, fmt, "inference", ", power_limit: 150 W");     /* refused there too */
    assert_int_equal(eval_yaml(y, &ra), MS_ERR_INPUT);
    assert_non_null(strstr(ra.error, "idle floor"));
    ms_result_free(&ra);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_through_the_library),
        cmocka_unit_test(test_parallelism_section_changes_nothing),
        cmocka_unit_test(test_model_hardware_equals_plan_file),
        cmocka_unit_test(test_serve_equals_eval),
        cmocka_unit_test(test_one_gpu_plan_equals_single_node_calls),
        cmocka_unit_test(test_optimizer_is_respected),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_precision_honesty),
        cmocka_unit_test(test_tp_pp_serving),
        cmocka_unit_test(test_plan_set),
        cmocka_unit_test(test_key_table_matches_results),
        cmocka_unit_test(test_cnn_training_memory),
        cmocka_unit_test(test_memory_reserve),
        cmocka_unit_test(test_encoder_training_route),
        cmocka_unit_test(test_storage_precisions),
        cmocka_unit_test(test_node_energy),
        cmocka_unit_test(test_plan_batching),
        cmocka_unit_test(test_every_kind_through_every_entry_point),
        cmocka_unit_test(test_text_units),
        cmocka_unit_test(test_plan_sensitivity),
        cmocka_unit_test(test_plan_synthesis),
        cmocka_unit_test(test_serve_replicas),
        cmocka_unit_test(test_plan_step_factors),
        cmocka_unit_test(test_plan_moe_imbalance),
        cmocka_unit_test(test_plan_topology),
        cmocka_unit_test(test_plan_power_limit),
        cmocka_unit_test(test_inference_efficiency),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
