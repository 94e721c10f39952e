/* test_plan.c - plan files: the documented example parses; unknown keys, wrong types, unknown
 * names and inconsistent parallelism are refused with file:line: field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsysim/mlsysim.h"
#include "mlsysim/distributed.h"
#include "ms_test.h"

static const char *example =
    "version: \"1.0\"\n"
    "name: \"Llama-3 8B inference on one H100\"\n"
    "workload: {model: Llama3_8B, mode: inference, seq_len: 2048, batch_size: 32}\n"
    "hardware: {accelerator: H100, count: 1, per_node: 8, precision: fp16, fabric: IB_NDR}\n"
    "parallelism: {tp: 1, pp: 1, dp: 1, microbatch: 1, interleave: 1, recompute: none, sequence_parallel: false, zero_stage: 0}\n"
    "ops: {region: Quebec, duration_days: 14}\n"
    "constraints:\n"
    "  assert:\n"
    "    - {metric: latency_s, max: 0.05}\n";

static void test_example(void **state)
{
    (void)state;
    ms_plan p;
    char err[512] = "";
    ms_status st = ms_plan_load_buffer(reg, "plan.yaml", example, strlen(example), &p, err, sizeof err);
    if (st) fprintf(stderr, "%s\n", err);
    assert_int_equal(st, MS_OK);
    assert_string_equal(p.model.name, "Llama3_8B");
    assert_string_equal(p.hw.name, "H100");
    assert_int_equal(p.batch_size, 32);
    assert_int_equal(p.seq_len, 2048);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.per_node, 1);
    assert_true(p.has_fabric);
    assert_string_equal(p.fabric.name, "IB_NDR");
    assert_true(p.has_ops);
    assert_string_equal(p.grid.name, "Quebec");
    assert_float_equal(p.duration_days, 14, 0);
    assert_int_equal(p.n_asserts, 1);
    assert_string_equal(p.asserts[0].metric, "latency_s");
    assert_true(p.asserts[0].has_max && !p.asserts[0].has_min);
    assert_int_equal(p.asserts[0].line, 9);
}

static void test_inline_arch_and_training(void **state)
{
    (void)state;
    const char *y =
        "version: \"1.0\"\n"
        "name: GPT-3 on 1024 A100\n"
        "workload:\n"
        "  arch: {layers: 96, hidden: 12288, heads: 96, kv_heads: 96, ffn: 49152, vocab: 51200}\n"
        "  mode: training\n"
        "  seq_len: 2048\n"
        "  batch_size: 1536\n"
        "hardware: {accelerator: DGX_A100, nodes: 128}\n"
        "parallelism: {tp: 8, pp: 8, microbatch: 1, recompute: full}\n";
    ms_plan p;
    char err[512] = "";
    ms_status st = ms_plan_load_buffer(reg, "p.yaml", y, strlen(y), &p, err, sizeof err);
    if (st) fprintf(stderr, "%s\n", err);
    assert_int_equal(st, MS_OK);
    assert_int_equal(p.mode, MS_MODE_TRAINING);
    assert_int_equal(p.count, 1024);
    assert_int_equal(p.per_node, 8);
    assert_int_equal(p.dp, 16);
    assert_string_equal(p.hw.name, "A100");
    assert_string_equal(p.fabric.name, "IB_HDR");       /* from the node entry */
    assert_true(p.model.params > 170e9 && p.model.params < 180e9);
    /* kv_heads left out is multi-head attention: the same model, kv_heads = heads */
    const char *mha = "version: \"1.0\"\nname: MHA\n"
                      "workload: {arch: {layers: 96, hidden: 12288, heads: 96, ffn: 49152, vocab: 51200}}\n"
                      "hardware: {accelerator: A100}\n";
    ms_plan q;
    assert_int_equal(ms_plan_load_buffer(reg, "q.yaml", mha, strlen(mha), &q, err, sizeof err), MS_OK);
    assert_int_equal(q.model.arch.kv_heads, 96);
    assert_true(q.model.params == p.model.params && q.model.kv_elems_per_token == p.model.kv_elems_per_token);
}

/* Each broken plan must fail with this "file:line: field" prefix. */
static void expect_error(const char *yaml, const char *want1, const char *want2)
{
    ms_plan p;
    char err[512] = "";
    ms_status st = ms_plan_load_buffer(reg, "bad.yaml", yaml, strlen(yaml), &p, err, sizeof err);
    if (st != MS_ERR_INPUT || !strstr(err, want1) || (want2 && !strstr(err, want2)))
        fprintf(stderr, "got [%s], want [%s] [%s]\n", err, want1, want2 ? want2 : "");
    assert_int_equal(st, MS_ERR_INPUT);
    assert_non_null(strstr(err, want1));
    if (want2) assert_non_null(strstr(err, want2));
}

static void test_errors(void **state)
{
    (void)state;
    const char *head = "version: \"1.0\"\nname: x\n";
    char buf[1024];
    /* unknown key */
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B, batchsize: 4}\nhardware: {accelerator: H100}\n", head);
    expect_error(buf, "bad.yaml:3: workload.batchsize", "unknown field");
    /* wrong type */
    snprintf(buf, sizeof buf, "%sworkload:\n  model: Llama3_8B\n  batch_size: \"32\"\nhardware: {accelerator: H100}\n", head);
    expect_error(buf, "bad.yaml:5: workload.batch_size", "integer");
    snprintf(buf, sizeof buf, "%sworkload:\n  model: Llama3_8B\n  batch_size: 3.5\nhardware: {accelerator: H100}\n", head);
    expect_error(buf, "bad.yaml:5: workload.batch_size", NULL);
    /* unknown registry names */
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama9_1T}\nhardware: {accelerator: H100}\n", head);
    expect_error(buf, "bad.yaml:3: workload.model", "Llama9_1T");
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware:\n  accelerator: H900\n", head);
    expect_error(buf, "bad.yaml:5: hardware.accelerator", "H900");
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\nops: {region: Atlantis}\n", head);
    expect_error(buf, "bad.yaml:5: ops.region", "Atlantis");
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware: {accelerator: H100, fabric: Carrier_Pigeon}\n", head);
    expect_error(buf, "bad.yaml:4: hardware.fabric", "Carrier_Pigeon");
    /* a name longer than any the registry holds: refused as such, not as "expected a string" */
    char big[2048];
    snprintf(big, sizeof big, "%sworkload: {model: %01500d}\nhardware: {accelerator: H100}\n", head, 7);
    expect_error(big, "bad.yaml:3: workload.model", "longer than 47 characters");
    /* bad enum values and ranges */
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B, mode: serving}\nhardware: {accelerator: H100}\n", head);
    expect_error(buf, "workload.mode", "serving");
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware: {accelerator: H100, efficiency: 1.5}\n", head);
    expect_error(buf, "bad.yaml:4: hardware.efficiency", NULL);
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware: {accelerator: H100, precision: fp12}\n", head);
    expect_error(buf, "hardware.precision", "fp12");
    /* parallelism that does not divide the cluster or the batch; a short last micro-batch is
     * refused only under a pipeline */
    static const struct { const char *workload, *hardware, *parallelism, *want1, *want2; } par[] = {
        {"{model: Llama3_8B, batch_size: 64}", "{accelerator: H100, count: 16}", "{tp: 3}", "bad.yaml:5: parallelism", "divide"},
        {"{model: Llama3_8B, batch_size: 63}", "{accelerator: H100, count: 16}", "{tp: 8}", "parallelism.dp",
         "not a multiple of dp = 2"},
        {"{model: Llama3_8B, batch_size: 64}", "{accelerator: H100, count: 16}", "{tp: 2, pp: 2, microbatch: 3}",
         "parallelism.microbatch", "every micro-batch must be whole"},
    };
    for (size_t i = 0; i < sizeof par / sizeof par[0]; i++) {
        snprintf(buf, sizeof buf, "%sworkload: %s\nhardware: %s\nparallelism: %s\n", head, par[i].workload,
                 par[i].hardware, par[i].parallelism);
        expect_error(buf, par[i].want1, par[i].want2);
    }
    /* without one it loads and runs 16 sequences per replica as 3 + 3 + 3 + 3 + 3 + 1 */
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B, mode: training, batch_size: 64}\n"
                              "hardware: {accelerator: H100, count: 8}\nparallelism: {tp: 2, microbatch: 3}\n", head);
    ms_plan ok;
    char err[512] = "";
    assert_int_equal(ms_plan_load_buffer(reg, "ok.yaml", buf, strlen(buf), &ok, err, sizeof err), MS_OK);
    ms_result r;
    double v;
    assert_int_equal(ms_plan_eval(reg, &ok, &r), MS_OK);
    assert_true(ms_result_get(&r, "microbatches", &v) && v == 6);
    ms_result_free(&r);
    /* unknown metric and missing bound */
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\n"
                              "constraints:\n  assert:\n    - {metric: performance.latency, max: 1}\n", head);
    expect_error(buf, "bad.yaml:7: constraints.assert[0].metric", "unknown metric");
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\n"
                              "constraints:\n  assert:\n    - {metric: latency_s}\n", head);
    expect_error(buf, "constraints.assert[0]", "min");
    /* missing sections, unknown section, bad version, YAML syntax */
    expect_error("version: \"1.0\"\nname: x\nhardware: {accelerator: H100}\n", "workload", "missing");
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\nextras: 1\n", head);
    expect_error(buf, "bad.yaml:5: extras", "unknown section");
    expect_error("version: \"2.0\"\nname: x\nworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\n",
                 "bad.yaml:1: version", "2.0");
    expect_error("version: \"1.0\"\nname: [x\n", "bad.yaml:", NULL);
    /* both model and arch */
    snprintf(buf, sizeof buf, "%sworkload: {model: Llama3_8B, arch: {layers: 1, hidden: 8, heads: 2}}\nhardware: {accelerator: H100}\n", head);
    expect_error(buf, "workload.arch", "one of");
    /* inline arch with inconsistent heads */
    snprintf(buf, sizeof buf, "%sworkload: {arch: {layers: 2, hidden: 64, heads: 4, kv_heads: 3}}\nhardware: {accelerator: H100}\n", head);
    expect_error(buf, "workload.arch", "kv_heads");
}

static void test_file_errors_and_schema(void **state)
{
    (void)state;
    ms_plan p;
    char err[512];
    assert_int_equal(ms_plan_load_file(reg, "/no/such/plan.yaml", &p, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "/no/such/plan.yaml"));
    char s[32768];
    size_t n = ms_plan_schema_json(s, sizeof s);
    assert_true(n > 1000 && n < sizeof s);
    assert_int_equal(strlen(s), n);
    assert_non_null(strstr(s, "\"additionalProperties\": false"));
    assert_non_null(strstr(s, "\"parallelism\""));
}

/* The field tables give the reader, the hints, the defaults and the schema: every field the
 * "unknown field" hint lists is a schema property, and the schema's defaults are ms_plan_init's. */
static void test_tables_agree(void **state)
{
    (void)state;
    char s[32768];
    size_t n = ms_plan_schema_json(s, sizeof s);
    assert_true(n < sizeof s);
    static const char *const secs[] = {"workload", "hardware", "parallelism", "ops"};
    for (size_t i = 0; i < 4; i++) {
        char y[512], err[2048];
        snprintf(y, sizeof y, "version: \"1.0\"\nname: t\nworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\n"
                              "%s: {no_such_field: 1}\n", secs[i]);
        ms_plan p;
        if (i < 2)        /* replace the section's own line with the bad one */
            snprintf(y, sizeof y, "version: \"1.0\"\nname: t\n%s\n%s: {%sno_such_field: 1}\n",
                     i == 0 ? "hardware: {accelerator: H100}" : "workload: {model: Llama3_8B}", secs[i],
                     i == 0 ? "model: Llama3_8B, " : "accelerator: H100, ");
        assert_int_equal(ms_plan_load_buffer(reg, "t.yaml", y, strlen(y), &p, err, sizeof err), MS_ERR_INPUT);
        const char *list = strstr(err, "unknown field (");
        assert_non_null(list);
        list += strlen("unknown field (");
        int fields = 0;
        while (*list && *list != ')') {
            size_t l = strcspn(list, " )");
            char key[80];
            snprintf(key, sizeof key, "\"%.*s\": {", (int)l, list);
            if (!strstr(s, key)) fprintf(stderr, "hint field %s not in the schema\n", key);
            assert_non_null(strstr(s, key));
            fields++;
            list += l;
            while (*list == ' ') list++;
        }
        assert_true(fields >= 2);
    }
    ms_plan p;
    ms_plan_init(&p, reg, NULL, NULL);
    assert_int_equal(p.seq_len, 2048);
    assert_non_null(strstr(s, "\"seq_len\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 100000000, \"default\": 2048"));
    assert_int_equal(p.precision, MS_FP16);
    assert_non_null(strstr(s, "\"default\": \"fp16\""));
    assert_int_equal(p.overlap_dp, 1);
    assert_non_null(strstr(s, "\"overlap_dp\": {\"type\": \"boolean\", \"default\": true"));
    assert_int_equal(p.tp_comm_overlap, 0);
    assert_non_null(strstr(s, "\"tp_comm_overlap\": {\"type\": \"boolean\", \"default\": false"));
    assert_int_equal(p.pp_comm_overlap, 0);
    assert_non_null(strstr(s, "\"pp_comm_overlap\": {\"type\": \"boolean\", \"default\": false"));
    assert_true(p.duration_days == 30);
    assert_non_null(strstr(s, "\"duration_days\": {\"type\": \"number\", \"minimum\": 1e-09, \"maximum\": 1000000, \"default\": 30"));
}

/* A plan-key test's two plans, without the key (y0) and with it (y1), and the fleet steps of the
 * plan with it: its parallelism (par, as ms_plan_to_dist gives it, the field at par_off equal to
 * on) run by ms_dist_train_step with that field 0 (t0) and `on` (t1). */
static void plans_and_steps(const char *y0, const char *y1, ms_plan *p0, ms_plan *p1, size_t par_off, int on,
                            ms_dist_parallel_t *par, ms_dist_train_t *t0, ms_dist_train_t *t1)
{
    char err[1024] = "";
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y0, strlen(y0), p0, err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y1, strlen(y1), p1, err, sizeof err), MS_OK);
    ms_dist_accel_t a;
    ms_dist_model_t m;
    ms_dist_fabric_t f;
    int *field = (int *)(void *)((char *)par + par_off);
    assert_int_equal(ms_plan_to_dist(p1, &a, &m, par, &f, err, sizeof err), 0);
    assert_int_equal(*field, on);
    *field = 0;
    assert_int_equal(ms_dist_train_step(&a, &m, par, &f, p1->count, t0, err, sizeof err), MS_DIST_OK);
    *field = on;
    assert_int_equal(ms_dist_train_step(&a, &m, par, &f, p1->count, t1, err, sizeof err), MS_DIST_OK);
}

/* The checks the overlap flags share (parallelism.tp_comm_overlap and pp_comm_overlap; `kind` "tp"
 * or "pp"): the plan without the flag (p0) and with it (p1) evaluate to the steps and exposed
 * communication ms_dist_train_step gave for them, keep the time before overlap (the exposed time
 * without the flag) and report the flag; ms_plan_set sets it on p0 and refuses a non-boolean. */
static void check_overlap_flag(const ms_plan *p0, const ms_plan *p1, const char *kind, double step0,
                               double step1, double comm0, double comm1, size_t flag_off)
{
    char key[64], exposed[64], total[64], flag[64], err[1024] = "";
    snprintf(key, sizeof key, "parallelism.%s_comm_overlap", kind);
    snprintf(exposed, sizeof exposed, "%s_communication_s", kind);
    snprintf(total, sizeof total, "%s_communication_total_s", kind);
    snprintf(flag, sizeof flag, "%s_comm_overlap", kind);
    const ms_plan *plans[2] = {p0, p1};
    const double steps[2] = {step0, step1}, comms[2] = {comm0, comm1};
    for (int k = 0; k < 2; k++) {
        ms_result r;
        double v = 0;
        assert_int_equal(ms_plan_eval(reg, plans[k], &r), MS_OK);
        assert_true(ms_result_get(&r, "step_time_s", &v) && v == steps[k]);
        assert_true(ms_result_get(&r, exposed, &v) && v == comms[k]);
        assert_true(ms_result_get(&r, total, &v) && v == comm0);
        assert_true(ms_result_get(&r, flag, &v) && v == k);
        ms_result_free(&r);
    }
    ms_plan ps = *p0;
    assert_int_equal(ms_plan_set(reg, &ps, key, "true", err, sizeof err), MS_OK);
    assert_int_equal(*(const int *)((const char *)&ps + flag_off), 1);
    assert_int_equal(ms_plan_set(reg, &ps, key, "2", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, key));
}

/* A flag whose default is the plan's framework's (parallelism.<key>): the plan `yaml` evaluates
 * with the result key `key` equal to want (a plan that may not fit still fills its figures); with
 * set_false, `--set parallelism.<key>=false` over the framework's turns it off. */
static void check_framework_flag(const char *yaml, const char *key, int want, int set_false)
{
    char err[1024] = "", pkey[64];
    ms_plan q;
    ms_result r;
    double v = -1;
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", yaml, strlen(yaml), &q, err, sizeof err), MS_OK);
    ms_status st = ms_plan_eval(reg, &q, &r);   /* Megatron's 18 B per parameter may not fit: figures still filled */
    assert_true(st == MS_OK || st == MS_ERR_MEMORY);
    assert_true(ms_result_get(&r, key, &v) && v == want);
    ms_result_free(&r);
    if (!set_false) return;
    snprintf(pkey, sizeof pkey, "parallelism.%s", key);
    assert_int_equal(ms_plan_set(reg, &q, pkey, "false", err, sizeof err), MS_OK);
    st = ms_plan_eval(reg, &q, &r);
    assert_true(st == MS_OK || st == MS_ERR_MEMORY);
    assert_true(ms_result_get(&r, key, &v) && v == 0);
    ms_result_free(&r);
}

/* parallelism.tp_comm_overlap: a plan with and without it gives the step that ms_dist_train_step
 * gives for the same ms_dist_parallel_t (ms_plan_to_dist of the plan without it, the flag set by
 * hand); the result keeps the TP time before overlap. Refused outside training and when not a
 * boolean, with file:line: field; `--set parallelism.tp_comm_overlap=true` is the same plan. */
static void test_tp_comm_overlap(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: overlap\n"
        "workload: {model: Llama3_70B, mode: training, seq_len: 8192, batch_size: 64}\n"
        "hardware: {accelerator: H100, count: 64, per_node: 8, precision: bf16, fabric: IB_NDR}\n"
        "parallelism: {tp: 8, pp: 2, microbatch: 1, recompute: selective, sequence_parallel: true, zero_stage: 1%s}\n";
    char y0[1024], y1[1024];
    snprintf(y0, sizeof y0, fmt, "");
    snprintf(y1, sizeof y1, fmt, ", tp_comm_overlap: true");
    ms_plan p0, p1;
    ms_dist_parallel_t par;
    ms_dist_train_t t0, t1;
    plans_and_steps(y0, y1, &p0, &p1, offsetof(ms_dist_parallel_t, tp_comm_overlap), 1, &par, &t0, &t1);
    assert_int_equal(p0.tp_comm_overlap, 0);
    assert_int_equal(p1.tp_comm_overlap, 1);
    assert_true(t0.tp_comm_s > 0 && t1.tp_comm_s < t0.tp_comm_s && t1.step_time_s < t0.step_time_s);
    assert_true(t1.tp_comm_total_s == t0.tp_comm_s);

    check_overlap_flag(&p0, &p1, "tp", t0.step_time_s, t1.step_time_s, t0.tp_comm_s, t1.tp_comm_s,
                       offsetof(ms_plan, tp_comm_overlap));

    /* refused: not a boolean; outside training */
    snprintf(y1, sizeof y1, fmt, ", tp_comm_overlap: 2");
    expect_error(y1, "bad.yaml:5: parallelism.tp_comm_overlap", "true or false");
    snprintf(y1, sizeof y1, "version: \"1.0\"\nname: x\nworkload: {model: Llama3_8B, mode: inference}\n"
                            "hardware: {accelerator: H100, count: 8}\nparallelism:\n  tp: 8\n  tp_comm_overlap: true\n");
    expect_error(y1, "bad.yaml:7: parallelism.tp_comm_overlap", "training");
}

/* parallelism.pp_comm_overlap: Llama 3 70B on 64 H100 with PP 4 and interleave 5; the plan with the
 * key gives the step ms_dist_train_step gives with the flag set by hand, its exposed sends are the
 * fill's and drain's (fewer than the synchronous ones, which the result keeps as the total); a
 * Megatron-family framework turns it on unless the plan (or --set) says false.
 * Refused outside training, without the interleaved schedule and when not a boolean, with
 * file:line: field; `--set` sets it; a plan given it by `--set` with interleave 1 evaluates to the
 * plan without it, with a note. */
static void test_pp_comm_overlap(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: overlap\n"
        "workload: {model: Llama3_70B, mode: training, seq_len: 8192, batch_size: 64}\n"
        "hardware: {accelerator: H100, count: 64, per_node: 8, precision: bf16, fabric: IB_NDR}\n"
        "parallelism: {tp: 4, pp: 4, interleave: %d, microbatch: 1, sequence_parallel: true, zero_stage: 1%s}\n";
    char y0[1024], y1[1024], err[1024] = "";
    snprintf(y0, sizeof y0, fmt, 5, "");
    snprintf(y1, sizeof y1, fmt, 5, ", pp_comm_overlap: true");
    ms_plan p0, p1;
    ms_dist_parallel_t par;
    ms_dist_train_t t0, t1;
    plans_and_steps(y0, y1, &p0, &p1, offsetof(ms_dist_parallel_t, pp_comm_overlap), 1, &par, &t0, &t1);
    assert_int_equal(p0.pp_comm_overlap, 0);
    assert_int_equal(p1.pp_comm_overlap, 1);
    assert_true(t1.pp_comm_s > 0 && t1.pp_comm_s < t0.pp_comm_s && t1.step_time_s < t0.step_time_s);
    assert_true(t1.pp_comm_total_s == t0.pp_comm_s);
    /* the fill's and drain's transfers, one hop per stage each: 2·(pp - 1) of the 2·v·m */
    assert_true(fabs(t1.pp_comm_s / t0.pp_comm_s - 2.0 * 3.0 / (2.0 * 5.0 * t0.microbatches)) < 1e-9);

    check_overlap_flag(&p0, &p1, "pp", t0.step_time_s, t1.step_time_s, t0.pp_comm_s, t1.pp_comm_s,
                       offsetof(ms_plan, pp_comm_overlap));
    {   /* set by ms_plan_set on a plan with interleave 1, it changes nothing, and eval says so */
        ms_plan q0, q1;
        snprintf(y0, sizeof y0, fmt, 1, "");
        assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y0, strlen(y0), &q0, err, sizeof err), MS_OK);
        q1 = q0;
        assert_int_equal(ms_plan_set(reg, &q1, "parallelism.pp_comm_overlap", "true", err, sizeof err), MS_OK);
        ms_result r0, r1;
        double v0 = 0, v1 = -1;
        assert_int_equal(ms_plan_eval(reg, &q0, &r0), MS_OK);
        assert_int_equal(ms_plan_eval(reg, &q1, &r1), MS_OK);
        assert_true(ms_result_get(&r0, "step_time_s", &v0) && ms_result_get(&r1, "step_time_s", &v1) && v0 == v1);
        assert_non_null(strstr(r1.notes, "parallelism.pp_comm_overlap overlaps the interleaved schedule's sends"));
        assert_null(strstr(r0.notes, "pp_comm_overlap"));
        ms_result_free(&r0);
        ms_result_free(&r1);
    }

    /* a Megatron-family framework overlaps them by default (interleave > 1), unless the plan says not;
     * a framework outside the family does not */
    {
        const char *fw[4] = {", framework: NeMo", ", framework: NeMo, pp_comm_overlap: false", ", framework: Megatron-LM",
                             ", framework: llm-foundry"};
        const int want[4] = {1, 0, 1, 0};
        for (int k = 0; k < 4; k++) {
            snprintf(y1, sizeof y1, fmt, 5, fw[k]);
            check_framework_flag(y1, "pp_comm_overlap", want[k], k == 0);   /* k 0: --set over the framework's */
        }
    }

    /* refused: not a boolean; without the interleaved schedule; outside training */
    snprintf(y1, sizeof y1, fmt, 5, ", pp_comm_overlap: 2");
    expect_error(y1, "bad.yaml:5: parallelism.pp_comm_overlap", "true or false");
    snprintf(y1, sizeof y1, fmt, 1, ", pp_comm_overlap: true");
    expect_error(y1, "bad.yaml:5: parallelism.pp_comm_overlap", "interleave > 1; got pp 4, interleave 1");
    snprintf(y1, sizeof y1, "version: \"1.0\"\nname: x\nworkload: {model: Llama3_8B, mode: inference}\n"
                            "hardware: {accelerator: H100, count: 8}\nparallelism:\n  pp: 2\n  interleave: 2\n  pp_comm_overlap: true\n");
    expect_error(y1, "bad.yaml:8: parallelism.pp_comm_overlap", "training");
}

/* parallelism.launch_overhead: the host's time per kernel reaches the step (ms_dist_parallel_t
 * host_op_s; absent = the engine's 4 µs, "0 us" = none, as a CUDA graph); the result says what the
 * host costs (host_issue_s, host_wait_s), the same with --set; a bare number, more than a
 * millisecond, or a plan that is not training is refused at the key. */
static void test_launch_overhead(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: tiny\n"
        "workload: {arch: {layers: 2, hidden: 64, heads: 2, vocab: 100, max_pos: 32}, mode: %s, seq_len: 32, batch_size: 4}\n"
        "hardware: {accelerator: A100, count: 1, precision: bf16}\n"
        "parallelism: {tp: 1, pp: 1, microbatch: 1%s}\n";
    static const struct { const char *extra; double host_op_s; } cases[] = {
        {"", 0.0}, {", launch_overhead: 10 us", 10e-6}, {", launch_overhead: 0 us", -1.0},
    };
    char y[1024], err[1024] = "";
    double issue[3] = {0}, wait[3] = {0};
    for (int k = 0; k < 3; k++) {
        ms_plan q;
        snprintf(y, sizeof y, fmt, "training", cases[k].extra);
        assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y, strlen(y), &q, err, sizeof err), MS_OK);
        ms_dist_accel_t a;
        ms_dist_model_t m;
        ms_dist_parallel_t par;
        ms_dist_fabric_t f;
        ms_dist_train_t t;
        assert_int_equal(ms_plan_to_dist(&q, &a, &m, &par, &f, err, sizeof err), 0);
        assert_true(fabs(par.host_op_s - cases[k].host_op_s) < 1e-15);
        assert_int_equal(ms_dist_train_step(&a, &m, &par, &f, q.count, &t, err, sizeof err), MS_DIST_OK);
        ms_result r;
        double v = -1;
        assert_int_equal(ms_plan_eval(reg, &q, &r), MS_OK);
        assert_true(ms_result_get(&r, "step_time_s", &v) && v == t.step_time_s);
        assert_true(ms_result_get(&r, "host_issue_s", &issue[k]) && issue[k] == t.host_issue_s);
        assert_true(ms_result_get(&r, "host_wait_s", &wait[k]) && wait[k] == t.host_wait_s);
        ms_result_free(&r);
        if (k == 1) {   /* --set gives the same plan */
            ms_plan ps;
            snprintf(y, sizeof y, fmt, "training", "");
            assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y, strlen(y), &ps, err, sizeof err), MS_OK);
            assert_int_equal(ms_plan_set(reg, &ps, "parallelism.launch_overhead", "10 us", err, sizeof err), MS_OK);
            assert_true(ps.launch_overhead_s == q.launch_overhead_s && ps.launch_overhead_set);
            assert_int_equal(ms_plan_set(reg, &ps, "parallelism.launch_overhead", "2 ms", err, sizeof err), MS_ERR_INPUT);
            assert_non_null(strstr(err, "parallelism.launch_overhead"));
        }
    }
    /* 4 µs, 10 µs, none: a tiny model waits on the host, longer the slower it issues */
    assert_true(issue[0] > 0 && fabs(issue[1] / issue[0] - 2.5) < 1e-9 && issue[2] == 0);
    assert_true(wait[1] > wait[0] && wait[0] > 0 && wait[2] == 0);
    snprintf(y, sizeof y, fmt, "training", ", launch_overhead: 4");
    expect_error(y, "bad.yaml:5: parallelism.launch_overhead", "needs a unit");
    snprintf(y, sizeof y, fmt, "training", ", launch_overhead: 2 ms");
    expect_error(y, "bad.yaml:5: parallelism.launch_overhead", "at most 1 ms");
    snprintf(y, sizeof y, fmt, "inference", ", launch_overhead: 4 us");
    expect_error(y, "bad.yaml:5: parallelism.launch_overhead", "training");
}

/* parallelism.cp_allgather: Llama 3 8B at 131k tokens on 16 H100 with CP 8 across two nodes; the
 * plan with the key gives the step ms_dist_train_step gives with the flag set by hand, whose
 * exposed K/V exchange is the whole of it (ring CP exposes less); a framework named Llama3 gathers
 * by default unless the plan (or --set) says false, others ring. Refused outside training, with
 * cp 1 and when not a boolean, with file:line: field. */
static void test_cp_allgather(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: cp\n"
        "workload: {model: Llama3_8B, mode: training, seq_len: 131072, batch_size: 16}\n"
        "hardware: {accelerator: H100, count: 16, per_node: 8, precision: bf16, fabric: IB_NDR}\n"
        "parallelism: {tp: 1, cp: %d, microbatch: 1, recompute: full, zero_stage: 3%s}\n";
    char y0[1024], y1[1024], err[1024] = "";
    snprintf(y0, sizeof y0, fmt, 8, "");
    snprintf(y1, sizeof y1, fmt, 8, ", cp_allgather: true");
    ms_plan p0, p1;
    ms_dist_parallel_t par;
    ms_dist_train_t t0, t1;
    plans_and_steps(y0, y1, &p0, &p1, offsetof(ms_dist_parallel_t, cp_allgather), 1, &par, &t0, &t1);
    assert_int_equal(p0.cp_allgather, 0);
    assert_int_equal(p1.cp_allgather, 1);
    assert_true(t1.cp_comm_s > t0.cp_comm_s && t1.step_time_s > t0.step_time_s);
    assert_true(fabs((t1.step_time_s - t0.step_time_s) - (t1.cp_comm_s - t0.cp_comm_s)) < 1e-9 * t1.step_time_s);
    const ms_plan *plans[2] = {&p0, &p1};
    const double steps[2] = {t0.step_time_s, t1.step_time_s}, comms[2] = {t0.cp_comm_s, t1.cp_comm_s};
    for (int k = 0; k < 2; k++) {
        ms_result r;
        double v = -1;
        assert_int_equal(ms_plan_eval(reg, plans[k], &r), MS_OK);
        assert_true(ms_result_get(&r, "step_time_s", &v) && v == steps[k]);
        assert_true(ms_result_get(&r, "cp_communication_s", &v) && v == comms[k]);
        assert_true(ms_result_get(&r, "cp_allgather", &v) && v == k);
        ms_result_free(&r);
    }
    /* the framework's default, and --set over it */
    const char *fw[3] = {", framework: Llama3", ", framework: Llama3, cp_allgather: false", ", framework: NeMo"};
    const int want[3] = {1, 0, 0};
    for (int k = 0; k < 3; k++) {
        snprintf(y1, sizeof y1, fmt, 8, fw[k]);
        check_framework_flag(y1, "cp_allgather", want[k], k == 0);
    }
    {   /* no context parallelism: no such key in the result, even for Llama 3's framework */
        ms_plan q;
        ms_result r;
        double v = -1;
        snprintf(y1, sizeof y1, fmt, 1, ", framework: Llama3");
        assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y1, strlen(y1), &q, err, sizeof err), MS_OK);
        ms_status st = ms_plan_eval(reg, &q, &r);
        assert_true(st == MS_OK || st == MS_ERR_MEMORY);
        assert_false(ms_result_get(&r, "cp_allgather", &v));
        ms_result_free(&r);
    }
    snprintf(y1, sizeof y1, fmt, 8, ", cp_allgather: 2");
    expect_error(y1, "bad.yaml:5: parallelism.cp_allgather", "true or false");
    snprintf(y1, sizeof y1, fmt, 1, ", cp_allgather: true");
    expect_error(y1, "bad.yaml:5: parallelism.cp_allgather", "needs cp > 1 (got cp 1)");
    snprintf(y1, sizeof y1, "version: \"1.0\"\nname: x\nworkload: {model: Llama3_8B, mode: inference}\n"
                            "hardware: {accelerator: H100, count: 8}\nparallelism:\n  cp_allgather: true\n");
    expect_error(y1, "bad.yaml:6: parallelism.cp_allgather", "training");
}

/* parallelism.attention_kernel: flash1 gives the step ms_dist_train_step gives with the kernel set
 * by hand, longer than flash2's (the default); refused as a name outside flash2 / flash1, without
 * flash_attention and outside training, with file:line: field; `--set` takes the same names. */
static void test_attention_kernel(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: fa\n"
        "workload: {model: Llama3_8B, mode: training, seq_len: 8192, batch_size: 16}\n"
        "hardware: {accelerator: A100, count: 8, per_node: 8, precision: bf16}\n"
        "parallelism: {tp: 1, microbatch: 1, zero_stage: 3%s}\n";
    char y0[1024], y1[1024], err[1024] = "";
    snprintf(y0, sizeof y0, fmt, "");
    snprintf(y1, sizeof y1, fmt, ", attention_kernel: flash1");
    ms_plan p0, p1;
    ms_dist_parallel_t par;
    ms_dist_train_t t1, t2;   /* FlashAttention-1 and -2 */
    plans_and_steps(y0, y1, &p0, &p1, offsetof(ms_dist_parallel_t, attention_kernel), MS_DIST_ATTN_FLASH1,
                    &par, &t2, &t1);
    assert_int_equal(p0.attention_kernel, MS_DIST_ATTN_FLASH2);
    assert_int_equal(p1.attention_kernel, MS_DIST_ATTN_FLASH1);
    assert_true(t1.step_time_s > t2.step_time_s);
    const ms_plan *plans[2] = {&p0, &p1};
    const double want[2] = {t2.step_time_s, t1.step_time_s};
    for (int k = 0; k < 2; k++) {
        ms_result r;
        double v = 0;
        assert_int_equal(ms_plan_eval(reg, plans[k], &r), MS_OK);
        assert_true(ms_result_get(&r, "step_time_s", &v) && v == want[k]);
        const char *name = ms_result_get_str(&r, "attention_kernel");
        assert_non_null(name);
        assert_string_equal(name, k ? "flash1" : "flash2");
        ms_result_free(&r);
    }
    ms_plan ps = p0;
    assert_int_equal(ms_plan_set(reg, &ps, "parallelism.attention_kernel", "flash1", err, sizeof err), MS_OK);
    assert_int_equal(ps.attention_kernel, MS_DIST_ATTN_FLASH1);
    assert_int_equal(ms_plan_set(reg, &ps, "parallelism.attention_kernel", "flash3", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "parallelism.attention_kernel"));

    snprintf(y1, sizeof y1, fmt, ", attention_kernel: flash3");
    expect_error(y1, "bad.yaml:5: parallelism.attention_kernel", "flash2 flash1");
    snprintf(y1, sizeof y1, fmt, ", attention_kernel: flash1, flash_attention: false");
    expect_error(y1, "bad.yaml:5: parallelism.attention_kernel", "flash_attention: true");
    snprintf(y1, sizeof y1, "version: \"1.0\"\nname: x\nworkload: {model: Llama3_8B, mode: inference}\n"
                            "hardware: {accelerator: H100, count: 1}\nparallelism:\n  attention_kernel: flash1\n");
    expect_error(y1, "bad.yaml:6: parallelism.attention_kernel", "training");
}

/* parallelism.optimizer_impl: unfused gives the step ms_dist_train_step gives with it set by hand,
 * its optimizer step 100/28 of the fused one (Adam); a Composer framework runs it unfused unless the
 * plan says fused, another fused; `--set` takes fused, unfused and torch.optim's foreach; refused
 * as another name and outside training, with file:line: field. */
static void test_optimizer_impl(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: opt\n"
        "workload: {model: Llama3_8B, mode: training, seq_len: 8192, batch_size: 16}\n"
        "hardware: {accelerator: A100, count: 8, per_node: 8, precision: bf16}\n"
        "parallelism: {tp: 1, microbatch: 1, zero_stage: 3%s}\n";
    char y0[1024], y1[1024], err[1024] = "";
    snprintf(y0, sizeof y0, fmt, "");
    snprintf(y1, sizeof y1, fmt, ", optimizer_impl: unfused");
    ms_plan p0, p1;
    ms_dist_parallel_t par;
    ms_dist_train_t t0, t1;
    plans_and_steps(y0, y1, &p0, &p1, offsetof(ms_dist_parallel_t, optimizer_impl), MS_DIST_OPT_UNFUSED, &par, &t0, &t1);
    assert_int_equal(p0.optimizer_impl, MS_DIST_OPT_FUSED);
    assert_int_equal(p1.optimizer_impl, MS_DIST_OPT_UNFUSED);
    assert_true(fabs(t1.optimizer_s / t0.optimizer_s - 100.0 / 28.0) < 1e-12);
    assert_true(fabs((t1.step_time_s - t0.step_time_s) - (t1.optimizer_s - t0.optimizer_s)) < 1e-9);
    const ms_plan *plans[2] = {&p0, &p1};
    const double want[2] = {t0.step_time_s, t1.step_time_s};
    for (int k = 0; k < 2; k++) {
        ms_result r;
        double v = 0;
        assert_int_equal(ms_plan_eval(reg, plans[k], &r), MS_OK);
        assert_true(ms_result_get(&r, "step_time_s", &v) && v == want[k]);
        const char *name = ms_result_get_str(&r, "optimizer_impl");
        assert_non_null(name);
        assert_string_equal(name, k ? "unfused" : "fused");
        ms_result_free(&r);
    }
    /* the framework's default, and the plan over it */
    const char *fw[4] = {", framework: llm-foundry", ", framework: Composer, optimizer_impl: fused", ", framework: Megatron-LM",
                         ", framework: torchtitan"};
    const char *fw_want[4] = {"unfused", "fused", "fused", "fused"};
    for (int k = 0; k < 4; k++) {
        ms_plan q;
        ms_result r;
        snprintf(y1, sizeof y1, fmt, fw[k]);
        assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y1, strlen(y1), &q, err, sizeof err), MS_OK);
        ms_status st = ms_plan_eval(reg, &q, &r);
        assert_true(st == MS_OK || st == MS_ERR_MEMORY);
        const char *name = ms_result_get_str(&r, "optimizer_impl");
        assert_non_null(name);
        assert_string_equal(name, fw_want[k]);
        ms_result_free(&r);
    }
    ms_plan ps = p0;
    assert_int_equal(ms_plan_set(reg, &ps, "parallelism.optimizer_impl", "for-loop", err, sizeof err), MS_OK);
    assert_int_equal(ps.optimizer_impl, MS_DIST_OPT_UNFUSED);
    assert_int_equal(ms_plan_set(reg, &ps, "parallelism.optimizer_impl", "foreach", err, sizeof err), MS_OK);
    assert_int_equal(ps.optimizer_impl, MS_DIST_OPT_FOREACH);
    {   /* foreach moves the unfused loop's bytes in fewer launches */
        ms_result r;
        double v = 0;
        assert_int_equal(ms_plan_eval(reg, &ps, &r), MS_OK);
        assert_true(ms_result_get(&r, "optimizer_s", &v) && v == t1.optimizer_s);
        assert_string_equal(ms_result_get_str(&r, "optimizer_impl"), "foreach");
        ms_result_free(&r);
    }
    assert_int_equal(ps.optimizer_impl_set, 1);
    assert_int_equal(ms_plan_set(reg, &ps, "parallelism.optimizer_impl", "fast", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "parallelism.optimizer_impl"));

    snprintf(y1, sizeof y1, fmt, ", optimizer_impl: fast");
    expect_error(y1, "bad.yaml:5: parallelism.optimizer_impl", "fused unfused");
    snprintf(y1, sizeof y1, "version: \"1.0\"\nname: x\nworkload: {model: Llama3_8B, mode: inference}\n"
                            "hardware: {accelerator: H100, count: 1}\nparallelism:\n  optimizer_impl: unfused\n");
    expect_error(y1, "bad.yaml:6: parallelism.optimizer_impl", "training");
}

/* hardware.decode_serial: an inference plan's decode step with that share of its GEMMs' shorter side
 * in series is the step ms_serve gives with gemm_serial set (Llama 3 8B, one H100, 128 sequences:
 * the math is the shorter side), its first token unchanged; `--set` takes it; refused outside
 * [0, 1] and for training, with file:line: field. */
static void test_decode_serial(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: ds\n"
        "workload: {model: Llama3_8B, mode: %s, seq_len: 2048, batch_size: 128}\n"
        "hardware: {accelerator: H100, count: 1, precision: bf16%s}\n";
    char y0[1024], y1[1024], err[1024] = "";
    snprintf(y0, sizeof y0, fmt, "inference", "");
    snprintf(y1, sizeof y1, fmt, "inference", ", decode_serial: 0.7");
    ms_plan p0, p1;
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y0, strlen(y0), &p0, err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y1, strlen(y1), &p1, err, sizeof err), MS_OK);
    assert_true(p0.decode_serial == 0.0 && p1.decode_serial == 0.7);
    ms_result r0, r1;
    double i0 = 0, i1 = 0, t0 = 0, t1 = -1, eff = 0;
    assert_int_equal(ms_plan_eval(reg, &p0, &r0), MS_OK);
    assert_int_equal(ms_plan_eval(reg, &p1, &r1), MS_OK);
    assert_true(ms_result_get(&r0, "itl_s", &i0) && ms_result_get(&r1, "itl_s", &i1));
    assert_true(ms_result_get(&r0, "ttft_s", &t0) && ms_result_get(&r1, "ttft_s", &t1) && t0 == t1);
    assert_true(ms_result_get(&r0, "efficiency", &eff) && eff > 0);
    double l0 = 0, l1 = 0;                  /* eval's decode latency is serve's inter-token latency */
    assert_true(ms_result_get(&r0, "latency_s", &l0) && ms_result_get(&r1, "latency_s", &l1));
    assert_true(fabs(l0 - i0) <= 1e-12 * i0 && fabs(l1 - i1) <= 1e-12 * i1);
    ms_result_free(&r0);
    ms_result_free(&r1);
    ms_serve_input in;
    ms_serve_input_default(&in);
    in.batch_size = 128;
    in.seq_len = 2048;
    in.precision = MS_BF16;
    in.efficiency = eff;
    ms_serve_result s0, s1;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    const ms_hardware *hw = ms_registry_hardware(reg, "H100");
    assert_int_equal(ms_serve(m, hw, &in, &s0), MS_OK);
    in.gemm_serial = 0.7;
    assert_int_equal(ms_serve(m, hw, &in, &s1), MS_OK);
    assert_true(s1.itl_s > s0.itl_s);
    assert_true(fabs((i1 - i0) - (s1.itl_s - s0.itl_s)) <= 1e-9 * i1);
    ms_plan ps = p0;
    assert_int_equal(ms_plan_set(reg, &ps, "hardware.decode_serial", "1", err, sizeof err), MS_OK);
    assert_true(ps.decode_serial == 1.0);
    assert_int_equal(ms_plan_set(reg, &ps, "hardware.decode_serial", "1.5", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "hardware.decode_serial"));

    snprintf(y1, sizeof y1, fmt, "inference", ", decode_serial: 2");
    expect_error(y1, "bad.yaml:4: hardware.decode_serial", NULL);
    snprintf(y1, sizeof y1, fmt, "training", ", decode_serial: 0.5");
    expect_error(y1, "bad.yaml:4: hardware.decode_serial", "inference");
}

/* workload.moe_routing: a MoE inference plan with fixed routing reads the active experts alone at
 * any batch (Mixtral 8x7B on one H200 at 64 sequences: its decode step shorter by the other
 * experts' stream, ms_moe_weight_fraction), a dense model's plan unchanged; `--set` takes it;
 * refused for an unknown word and for training, with file:line: field. */
static void test_moe_routing(void **state)
{
    (void)state;
    const char *fmt =
        "version: \"1.0\"\n"
        "name: mr\n"
        "workload: {model: %s, mode: %s, seq_len: 512, batch_size: 64%s}\n"
        "hardware: {accelerator: H200, count: 1, precision: fp16}\n";
    char y0[1024], y1[1024], err[1024] = "";
    snprintf(y0, sizeof y0, fmt, "Mixtral_8x7B", "inference", "");
    snprintf(y1, sizeof y1, fmt, "Mixtral_8x7B", "inference", ", moe_routing: fixed");
    ms_plan p0, p1;
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y0, strlen(y0), &p0, err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y1, strlen(y1), &p1, err, sizeof err), MS_OK);
    assert_int_equal(p0.moe_routing, MS_MOE_UNIFORM);
    assert_int_equal(p1.moe_routing, MS_MOE_FIXED);
    ms_result r0, r1;
    double i0 = 0, i1 = 0;
    assert_int_equal(ms_plan_eval(reg, &p0, &r0), MS_OK);
    assert_int_equal(ms_plan_eval(reg, &p1, &r1), MS_OK);
    assert_true(ms_result_get(&r0, "itl_s", &i0) && ms_result_get(&r1, "itl_s", &i1));
    const ms_model *m = ms_registry_model(reg, "Mixtral_8x7B");
    double skipped = m->params * 2 * (ms_moe_weight_fraction(m, 64, MS_MOE_UNIFORM) - m->params_active / m->params);
    assert_true(fabs((i0 - i1) - skipped / ms_hw_mem_bw(ms_registry_hardware(reg, "H200"))) <= 1e-9 * i0);
    ms_result_free(&r0);
    ms_result_free(&r1);

    snprintf(y0, sizeof y0, fmt, "Llama2_7B", "inference", "");
    snprintf(y1, sizeof y1, fmt, "Llama2_7B", "inference", ", moe_routing: fixed");
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y0, strlen(y0), &p0, err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_load_buffer(reg, "p.yaml", y1, strlen(y1), &p1, err, sizeof err), MS_OK);
    assert_int_equal(ms_plan_eval(reg, &p0, &r0), MS_OK);
    assert_int_equal(ms_plan_eval(reg, &p1, &r1), MS_OK);
    assert_true(ms_result_get(&r0, "itl_s", &i0) && ms_result_get(&r1, "itl_s", &i1) && i0 == i1);
    ms_result_free(&r0);
    ms_result_free(&r1);

    ms_plan ps = p0;
    assert_int_equal(ms_plan_set(reg, &ps, "workload.moe_routing", "fixed", err, sizeof err), MS_OK);
    assert_int_equal(ps.moe_routing, MS_MOE_FIXED);
    assert_int_equal(ms_plan_set(reg, &ps, "workload.moe_routing", "skewed", err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "workload.moe_routing"));

    snprintf(y1, sizeof y1, fmt, "Mixtral_8x7B", "inference", ", moe_routing: skewed");
    expect_error(y1, "bad.yaml:3: workload.moe_routing", "uniform fixed");
    snprintf(y1, sizeof y1, fmt, "Mixtral_8x7B", "training", ", moe_routing: fixed");
    expect_error(y1, "bad.yaml:3: workload.moe_routing", "inference");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_inline_arch_and_training),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_file_errors_and_schema),
        cmocka_unit_test(test_tables_agree),
        cmocka_unit_test(test_tp_comm_overlap),
        cmocka_unit_test(test_pp_comm_overlap),
        cmocka_unit_test(test_launch_overhead),
        cmocka_unit_test(test_cp_allgather),
        cmocka_unit_test(test_attention_kernel),
        cmocka_unit_test(test_optimizer_impl),
        cmocka_unit_test(test_decode_serial),
        cmocka_unit_test(test_moe_routing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
