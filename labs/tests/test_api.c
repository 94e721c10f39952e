/* test_api.c - every endpoint of the labs API, valid and invalid requests, called through
 * labs_api() exactly as the server calls it. /api/eval is checked byte for byte against the
 * engine call `mlsysim -o json eval` makes (ms_plan_eval_buffer + ms_result_json). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "labs/api.h"
#include "mlsysim/engine.h"

#include <cjson/cJSON.h>

#include "mlsysim/solvers.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static labs_ctx *ctx;

static const char PLAN[] =
    "{\"version\": \"1.0\", \"name\": \"t\", \"workload\": {\"model\": \"Llama3_8B\", \"batch_size\": 32, "
    "\"seq_len\": 2048}, \"hardware\": {\"accelerator\": \"H100\"}}";

static const char TRAIN[] =
    "{\"version\": \"1.0\", \"name\": \"t\", \"workload\": {\"model\": \"Llama3_70B\", \"mode\": \"training\", "
    "\"batch_size\": 1024, \"seq_len\": 4096}, \"hardware\": {\"accelerator\": \"DGX_H100\", \"count\": 1024}, "
    "\"parallelism\": {\"tp\": 8, \"pp\": 4}, \"ops\": {\"region\": \"Quebec\", \"duration_days\": 30}%s}";

/* Calls the API; returns the parsed body (caller frees) and the status in *status. */
static cJSON *call(const char *method, const char *path, const char *body, int *status)
{
    labs_reply r;
    *status = labs_api(ctx, method, path, body, body ? strlen(body) : 0, &r);
    assert_int_equal(*status, r.status);
    assert_non_null(r.body);
    assert_int_equal(strlen(r.body), r.len);
    cJSON *j = cJSON_Parse(r.body);
    if (!j) fail_msg("reply is not JSON: %s", r.body);
    labs_reply_free(&r);
    return j;
}

/* Asserts a 4xx reply naming `field`. */
static void expect_error(const char *method, const char *path, const char *body, int want, const char *field)
{
    int st;
    cJSON *j = call(method, path, body, &st);
    if (st != want) fail_msg("%s %s: status %d, want %d", method, path, st, want);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    assert_true(cJSON_IsString(e) && e->valuestring[0]);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "field");
    if (field) {
        if (!cJSON_IsString(f) || strcmp(f->valuestring, field))
            fail_msg("%s: field %s, want %s (%s)", path, cJSON_IsString(f) ? f->valuestring : "null", field, e->valuestring);
    } else {
        assert_true(cJSON_IsNull(f) || cJSON_IsString(f));
    }
    cJSON_Delete(j);
}

static double num(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    if (!cJSON_IsNumber(v)) fail_msg("key %s missing or not a number", k);
    return v->valuedouble;
}

static void test_labs_list(void **s)
{
    (void)s;
    int st;
    cJSON *j = call("GET", "/api/labs", NULL, &st);
    assert_int_equal(st, 200);
    assert_true(cJSON_IsArray(j));
    assert_true(cJSON_GetArraySize(j) >= 12);
    assert_int_equal(cJSON_GetArraySize(j), (int)labs_count());
    for (const cJSON *l = j->child; l; l = l->next) {
        const char *id = cJSON_GetObjectItemCaseSensitive(l, "id")->valuestring;
        const char *path = cJSON_GetObjectItemCaseSensitive(l, "path")->valuestring;
        assert_true(cJSON_GetObjectItemCaseSensitive(l, "title")->valuestring[0]);
        /* each lab has its page (the server fills the web root's one template, lab.html, for a
         * listed id) and its script in the web root */
        char f[1024];
        snprintf(f, sizeof f, "/labs/%s.html", id);
        assert_string_equal(path, f);
        assert_true(labs_find(id) != NULL && !strcmp(labs_find(id)->id, id));
        snprintf(f, sizeof f, "%s/lab.html", LABS_WEB_ROOT);
        if (access(f, R_OK)) fail_msg("lab %s: no page template %s", id, f);
        snprintf(f, sizeof f, "%s/js/labs/%s.js", LABS_WEB_ROOT, id);
        if (access(f, R_OK)) fail_msg("lab %s: no script %s", id, f);
    }
    cJSON_Delete(j);
    assert_null(labs_find("no-such-lab"));
    assert_null(labs_find(NULL));
}

static void test_registry(void **s)
{
    (void)s;
    int st;
    cJSON *j = call("GET", "/api/registry", NULL, &st);
    assert_int_equal(st, 200);
    const cJSON *hw = cJSON_GetObjectItemCaseSensitive(j, "hardware");
    int found = 0;
    for (const cJSON *h = hw->child; h; h = h->next)
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(h, "name")->valuestring, "H100")) {
            found = 1;
            assert_true(num(h, "bandwidth_bytes_per_s") > 3e12 && num(h, "bandwidth_bytes_per_s") < 4e12);
        }
    assert_true(found);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "models")) > 10);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "grids")) > 5);
    cJSON_Delete(j);
    expect_error("POST", "/api/registry", "{}", 405, NULL);
}

static void test_eval_matches_engine(void **s)
{
    (void)s;
    const char *plans[] = {PLAN,
                           "{\"version\": \"1.0\", \"name\": \"r\", \"workload\": {\"model\": \"ResNet50\", \"batch_size\": 64}, "
                           "\"hardware\": {\"accelerator\": \"A100\"}, \"constraints\": {\"assert\": [{\"metric\": \"latency_s\", \"max\": 1e-9}]}}"};
    for (size_t i = 0; i < 2; i++) {
        labs_reply r;
        assert_int_equal(labs_api(ctx, "POST", "/api/eval", plans[i], strlen(plans[i]), &r), 200);
        ms_registry *reg = ms_registry_new(NULL, 0);
        assert_non_null(reg);
        ms_result *res = malloc(sizeof *res);
        ms_plan_eval_buffer(reg, "plan", plans[i], strlen(plans[i]), res);
        size_t n = ms_result_json(res, NULL, 0);
        char *want = malloc(n + 1);
        ms_result_json(res, want, n + 1);
        while (n && want[n - 1] == '\n') want[--n] = 0;
        assert_string_equal(r.body, want);
        /* the same request again comes from the reply cache: the same bytes */
        labs_reply again;
        assert_int_equal(labs_api(ctx, "POST", "/api/eval", plans[i], strlen(plans[i]), &again), 200);
        assert_string_equal(again.body, want);
        labs_reply_free(&again);
        free(want);
        ms_result_free(res);
        free(res);
        ms_registry_free(reg);
        labs_reply_free(&r);
    }
    /* the asserting plan reports its violation (as the CLI's JSON does), still a 200 */
    int st;
    cJSON *j = call("POST", "/api/eval", plans[1], &st);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "status")->valuestring, "sla_failed");
    cJSON_Delete(j);
    /* a decode step of Llama-3 8B at batch 32 is memory-bound on an H100 */
    j = call("POST", "/api/eval", PLAN, &st);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "bottleneck")->valuestring, "memory");
    assert_true(num(j, "latency_s") > 1e-3 && num(j, "latency_s") < 0.1);
    cJSON_Delete(j);
}

static void test_eval_errors(void **s)
{
    (void)s;
    expect_error("POST", "/api/eval", "{\"version\": \"1.0\", \"name\": \"x\", \"workload\": {\"model\": \"Nope\"}, "
                 "\"hardware\": {\"accelerator\": \"H100\"}}", 400, "workload.model");
    expect_error("POST", "/api/eval", "{\"version\": \"1.0\", \"name\": \"x\", \"workload\": {\"model\": \"Llama3_8B\", "
                 "\"batch_size\": -3}, \"hardware\": {\"accelerator\": \"H100\"}}", 400, "workload.batch_size");
    expect_error("POST", "/api/eval", "{\"version\": \"1.0\", \"name\": \"x\", \"workload\": {\"model\": \"Llama3_8B\"}, "
                 "\"hardware\": {\"accelerator\": \"H100\", \"colour\": 1}}", 400, "hardware.colour");
    expect_error("POST", "/api/eval", "{\"version\": ", 400, NULL);
    expect_error("POST", "/api/eval", "", 400, "body");
    expect_error("GET", "/api/eval", NULL, 405, NULL);
}

static void test_serve(void **s)
{
    (void)s;
    int st;
    cJSON *j = call("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"batch_size\": 8, "
                    "\"qps\": 2, \"output_tokens\": 128, \"replicas\": 2}", &st);
    assert_int_equal(st, 200);
    /* 128 KiB of KV per token at fp16 for Llama-3 8B (32 layers x 8 KV heads x 128 dims x 2 x 2 B) */
    assert_true(num(j, "kv_cache_per_token_bytes") == 131072.0);
    assert_true(num(j, "p99_latency_s") > num(j, "p50_latency_s"));
    assert_true(num(j, "queue_utilization") > 0 && num(j, "queue_utilization") < 1);
    assert_true(num(j, "cost_per_million_tokens_usd") > 0);
    /* no efficiency asked: what `mlsysim serve` takes, H100's calibrated 16-bit GEMM figure */
    ms_registry *reg = ms_registry_new(NULL, 0);
    assert_non_null(reg);
    assert_true(num(j, "efficiency") == ms_inference_efficiency(ms_registry_model(reg, "Llama3_8B"), "H100", MS_FP16));
    ms_registry_free(reg);
    assert_true(num(j, "efficiency") == ms_calibrated_efficiency("H100"));
    cJSON_Delete(j);
    j = call("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"efficiency\": 0.5}", &st);
    assert_int_equal(st, 200);
    assert_true(num(j, "efficiency") == 0.5);
    cJSON_Delete(j);
    /* overloaded: no tail figures, and says so */
    j = call("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"qps\": 1000}", &st);
    assert_int_equal(st, 200);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "queue_stable")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "p99_latency_s")));
    cJSON_Delete(j);
    expect_error("POST", "/api/serve", "{\"hardware\": \"H100\"}", 400, "model");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H999\"}", 400, "hardware");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"batch_size\": 0}", 400, "batch_size");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"batch_size\": 1.5}", 400, "batch_size");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"seq_len\": \"long\"}", 400, "seq_len");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"precision\": \"fp7\"}", 400, "precision");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"colour\": 1}", 400, "colour");
    expect_error("POST", "/api/serve", "{\"model\": \"ResNet50\", \"hardware\": \"H100\"}", 400, "model");
    expect_error("POST", "/api/serve", "[1, 2]", 400, "body");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"qps\": 1, \"replicas\": 1000000, "
                 "\"batch_size\": 1000000}", 400, "replicas");
    /* a closed loop (clients): the library's figures (ms_serve_closed_loop) unchanged, Little's law */
    j = call("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"seq_len\": 2000, "
             "\"output_tokens\": 200, \"clients\": 50}", &st);
    assert_int_equal(st, 200);
    {
        ms_registry *rg = ms_registry_new(NULL, 0);
        const ms_model *m = ms_registry_model(rg, "Llama3_8B");
        ms_serve_input in;
        ms_serve_input_default(&in);
        in.seq_len = 2000;
        in.efficiency = ms_inference_efficiency(m, "H100", MS_FP16);
        ms_serve_loop_result lp;
        assert_int_equal(ms_serve_closed_loop(m, ms_registry_hardware(rg, "H100"), &in, 50, 200, 8192, &lp), MS_OK);
        assert_true(num(j, "loop_ttft_s") == lp.loop.ttft_s && num(j, "loop_tokens_per_s") == lp.loop.tokens_per_s);
        assert_true(num(j, "loop_prompts_per_iteration") == 4 && num(j, "loop_in_flight") == 50);
        assert_true(fabs(num(j, "loop_requests_per_s") * num(j, "loop_request_latency_s") - 50) < 1e-9);
        ms_registry_free(rg);
    }
    cJSON_Delete(j);
    j = call("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\"}", &st);
    assert_int_equal(st, 200);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "loop_ttft_s"));        /* no clients, no loop */
    cJSON_Delete(j);
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"clients\": -1}", 400, "clients");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"clients\": 4, "
                 "\"max_num_tokens\": 0}", 400, "max_num_tokens");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama2_70B\", \"hardware\": \"H100\", \"clients\": 4}", 400, "clients");
}

static void test_train(void **s)
{
    (void)s;
    char body[1024];
    int st;
    snprintf(body, sizeof body, TRAIN, ", \"checkpoint_interval_s\": 1800");
    cJSON *j = call("POST", "/api/train", body, &st);
    assert_int_equal(st, 200);
    assert_int_equal((int)num(j, "accelerators"), 1024);
    double opt = num(j, "goodput"), chosen = num(j, "chosen_goodput");
    assert_true(chosen > 0 && chosen <= 1 && opt > 0 && opt <= 1);
    assert_true(num(j, "mtbf_s") > 0);
    cJSON_Delete(j);
    /* a day between checkpoints loses far more than the Young-Daly interval */
    snprintf(body, sizeof body, TRAIN, ", \"checkpoint_interval_s\": 86400");
    j = call("POST", "/api/train", body, &st);
    assert_true(num(j, "chosen_goodput") < opt);
    cJSON_Delete(j);
    snprintf(body, sizeof body, TRAIN, ", \"checkpoint_interval_s\": -5");
    expect_error("POST", "/api/train", body, 400, "checkpoint_interval_s");
    expect_error("POST", "/api/train", PLAN, 400, "workload.mode");
    snprintf(body, sizeof body, TRAIN, "");
    char *bad = strstr(body, "\"tp\": 8");
    bad[6] = '3';   /* tp 3 x pp 4 does not divide 1024 accelerators */
    expect_error("POST", "/api/train", body, 400, "parallelism");
}

static void test_compress(void **s)
{
    (void)s;
    int st;
    cJSON *j = call("POST", "/api/compress", "{\"model\": \"Llama3_70B\", \"hardware\": \"H100\", \"to\": \"int4\"}", &st);
    assert_int_equal(st, 200);
    assert_true(fabs(num(j, "compression_ratio") - 4.0) < 1e-9);
    assert_true(num(j, "speedup") > 1);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "feasible_before")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "feasible_after")));
    cJSON_Delete(j);
    expect_error("POST", "/api/compress", "{\"model\": \"Llama3_70B\", \"hardware\": \"H100\", \"prune\": \"3:4\"}", 400, "prune");
    expect_error("POST", "/api/compress", "{\"model\": \"Llama3_70B\", \"hardware\": \"H100\", \"to\": \"int3\"}", 400, "to");
    expect_error("POST", "/api/compress", "{\"model\": \"Llama3_70B\", \"hardware\": \"H100\", \"sparsity\": 1.5}", 400, "sparsity");
}

static void test_sweep(void **s)
{
    (void)s;
    char body[2048];
    int st;
    snprintf(body, sizeof body, "{\"endpoint\": \"eval\", \"request\": %s, \"knob\": \"workload.batch_size\", "
             "\"values\": [1, 8, 64]}", PLAN);
    cJSON *j = call("POST", "/api/sweep", body, &st);
    assert_int_equal(st, 200);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    assert_int_equal(cJSON_GetArraySize(res), 3);
    /* each point equals the single evaluation of the same request */
    int bs[] = {1, 8, 64};
    for (int i = 0; i < 3; i++) {
        char one[1024];
        snprintf(one, sizeof one, "%s", PLAN);
        char *p = strstr(one, "\"batch_size\": 32");
        char tail[1024];
        snprintf(tail, sizeof tail, "%s", p + strlen("\"batch_size\": 32"));
        snprintf(p, sizeof one - (size_t)(p - one), "\"batch_size\": %d%s", bs[i], tail);
        cJSON *single = call("POST", "/api/eval", one, &st);
        assert_true(num(cJSON_GetArrayItem(res, i), "latency_s") == num(single, "latency_s"));
        cJSON_Delete(single);
    }
    cJSON_Delete(j);
    /* a range on a log scale; string values (regions) through the train endpoint */
    j = call("POST", "/api/sweep", "{\"endpoint\": \"serve\", \"request\": {\"model\": \"Llama3_8B\", \"hardware\": \"H100\"}, "
             "\"knob\": \"batch_size\", \"from\": 1, \"to\": 256, \"steps\": 9, \"scale\": \"log\"}", &st);
    assert_int_equal(st, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "results")), 9);
    assert_true(fabs(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "values"), 4)->valuedouble - 16) < 1e-9);
    cJSON_Delete(j);
    snprintf(body, sizeof body, TRAIN, "");
    char sw[3072];
    snprintf(sw, sizeof sw, "{\"endpoint\": \"train\", \"request\": %s, \"knob\": \"ops.region\", \"values\": [\"Quebec\", \"Poland\"]}", body);
    j = call("POST", "/api/sweep", sw, &st);
    assert_int_equal(st, 200);
    res = cJSON_GetObjectItemCaseSensitive(j, "results");
    assert_true(num(cJSON_GetArrayItem(res, 1), "carbon_kg") > 10 * num(cJSON_GetArrayItem(res, 0), "carbon_kg"));
    cJSON_Delete(j);
    /* errors */
    expect_error("POST", "/api/sweep", "{\"endpoint\": \"nope\", \"request\": {}, \"knob\": \"x\", \"values\": [1]}", 400, "endpoint");
    expect_error("POST", "/api/sweep", "{\"endpoint\": \"serve\", \"request\": {}, \"values\": [1]}", 400, "knob");
    expect_error("POST", "/api/sweep", "{\"endpoint\": \"serve\", \"request\": {}, \"knob\": \"batch_size\", \"from\": 1, \"to\": 2, \"steps\": 300}", 400, "steps");
    expect_error("POST", "/api/sweep", "{\"endpoint\": \"serve\", \"request\": {}, \"knob\": \"batch_size\", \"values\": []}", 400, "values");
    expect_error("POST", "/api/sweep", "{\"endpoint\": \"serve\", \"request\": {\"model\": \"Llama3_8B\", \"hardware\": \"H100\"}, "
                 "\"knob\": \"batch_size\", \"values\": [0, 1]}", 400, "batch_size");
    expect_error("POST", "/api/sweep", "{\"endpoint\": \"serve\", \"request\": {}, \"knob\": \"b\", \"values\": [1], \"extra\": 1}", 400, "extra");
}

static void test_measured(void **s)
{
    (void)s;
    expect_error("GET", "/api/measured", NULL, 404, "measured");
    char path[] = "/tmp/labs_measured_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *doc = "{\"machine\": \"test\", \"peak_flop_per_s\": 1e11, \"bandwidth_bytes_per_s\": 1e10, "
                      "\"points\": [{\"name\": \"gemm\", \"flop\": 2e9, \"bytes\": 1.2e7, \"seconds\": 0.04}, "
                      "{\"name\": \"add\", \"flop\": 1e6, \"bytes\": 1.2e7, \"seconds\": 0.002}]}";
    assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
    close(fd);
    char err[256];
    labs_ctx *c2 = labs_ctx_new(path, err, sizeof err);
    assert_non_null(c2);
    labs_reply r;
    assert_int_equal(labs_api(c2, "POST", "/api/measured", "{\"efficiency\": 0.5}", strlen("{\"efficiency\": 0.5}"), &r), 200);
    cJSON *j = cJSON_Parse(r.body);
    const cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "points"), 0);
    /* gemm: max(2e9 / (1e11 x 0.5), 1.2e7 / 1e10) = 0.04 s, as measured */
    assert_true(fabs(num(p0, "predicted_s") - 0.04) < 1e-12);
    assert_true(fabs(num(p0, "measured_over_predicted") - 1.0) < 1e-9);
    cJSON_Delete(j);
    labs_reply_free(&r);
    assert_int_equal(labs_api(c2, "POST", "/api/measured", "{\"efficiency\": 7}", strlen("{\"efficiency\": 7}"), &r), 400);
    labs_reply_free(&r);
    labs_ctx_free(c2);
    /* a file without points is refused at start-up, naming the file and the field */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "{\"points\": []}", 14), 14);
    close(fd);
    assert_null(labs_ctx_new(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "points"));
    unlink(path);
    assert_null(labs_ctx_new("/nonexistent/measured.json", err, sizeof err));
}

/* The practice page's endpoints on a fresh database: next, a refused and a graded answer,
 * progress, search; 503 on a context without StaffML. */
static void test_staffml(void **s)
{
    (void)s;
    expect_error("GET", "/api/staffml/progress", NULL, 503, "staffml");
    char dir[] = "/tmp/labs_sml_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[256], err[512];
    snprintf(db, sizeof db, "%s/progress.db", dir);
    labs_ctx *c2 = labs_ctx_new(NULL, err, sizeof err);
    assert_non_null(c2);
    if (labs_ctx_open_staffml(c2, db, NULL, err, sizeof err)) fail_msg("staffml: %s", err);
    labs_reply r;
    assert_int_equal(labs_api(c2, "POST", "/api/staffml/next", "{\"area\": \"memory\"}", strlen("{\"area\": \"memory\"}"), &r), 200);
    cJSON *q = cJSON_Parse(r.body);
    labs_reply_free(&r);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(q, "done")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(q, "area")->valuestring, "memory");
    assert_null(cJSON_GetObjectItemCaseSensitive(q, "answer"));   /* never sent before answering */
    const char *id = cJSON_GetObjectItemCaseSensitive(q, "id")->valuestring;
    const char *kind = cJSON_GetObjectItemCaseSensitive(q, "kind")->valuestring;
    char body[512];
    if (!strcmp(kind, "numeric")) {
        snprintf(body, sizeof body, "{\"id\": \"%s\", \"answer\": \"lots\", \"seconds\": 3}", id);
        assert_int_equal(labs_api(c2, "POST", "/api/staffml/answer", body, strlen(body), &r), 400);
        assert_non_null(strstr(r.body, "\"field\":\"answer\""));
        labs_reply_free(&r);
    }
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"answer\": \"%s\", \"seconds\": 3, \"self_grade\": 3}", id,
             !strcmp(kind, "choice") ? "A" : "1");
    assert_int_equal(labs_api(c2, "POST", "/api/staffml/answer", body, strlen(body), &r), 200);
    cJSON *a = cJSON_Parse(r.body);
    labs_reply_free(&r);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "recorded")));
    assert_true(num(a, "next_review_s") > 0);
    cJSON_Delete(a);
    assert_int_equal(labs_api(c2, "GET", "/api/staffml/progress", NULL, 0, &r), 200);
    cJSON *p = cJSON_Parse(r.body);
    labs_reply_free(&r);
    assert_int_equal((int)num(p, "reviews"), 1);
    /* the card sits in the memory row */
    const cJSON *areas = cJSON_GetObjectItemCaseSensitive(p, "areas"), *cells = cJSON_GetObjectItemCaseSensitive(p, "cells");
    int row = 0, seen = 0;
    for (const cJSON *x = areas->child; x; x = x->next, row++)
        if (!strcmp(x->valuestring, "memory"))
            for (const cJSON *cell = cJSON_GetArrayItem(cells, row)->child; cell; cell = cell->next) seen += (int)num(cell, "cards");
    assert_int_equal(seen, 1);
    cJSON_Delete(p);
    cJSON_Delete(q);
    assert_int_equal(labs_api(c2, "POST", "/api/staffml/search", "{\"text\": \"kv cache\"}", strlen("{\"text\": \"kv cache\"}"), &r), 200);
    assert_non_null(strstr(r.body, "\"id\""));
    labs_reply_free(&r);
    assert_int_equal(labs_api(c2, "POST", "/api/staffml/search", "{}", strlen("{}"), &r), 400);
    labs_reply_free(&r);
    assert_int_equal(labs_api(c2, "POST", "/api/staffml/next", "{\"track\": \"moon\"}", strlen("{\"track\": \"moon\"}"), &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"track\""));
    labs_reply_free(&r);
    assert_int_equal(labs_api(c2, "GET", "/api/staffml/answer", NULL, 0, &r), 405);
    labs_reply_free(&r);
    assert_int_equal(labs_api(c2, "POST", "/api/staffml/answer", "{\"id\": \"no-such\", \"answer\": \"1\", \"seconds\": 1}", strlen("{\"id\": \"no-such\", \"answer\": \"1\", \"seconds\": 1}"), &r), 400);
    labs_reply_free(&r);
    labs_ctx_free(c2);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Random and mangled bodies on every POST endpoint: always a complete JSON reply, never a crash. */
static void test_fuzz_bodies(void **s)
{
    (void)s;
    static const char *const eps[] = {"/api/eval", "/api/serve", "/api/train", "/api/compress", "/api/sweep"};
    static const char *const seeds[] = {
        "{\"version\": \"1.0\", \"name\": \"f\", \"workload\": {\"model\": \"Llama3_8B\"}, \"hardware\": {\"accelerator\": \"H100\"}}",
        "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"qps\": 3}",
        "{\"endpoint\": \"serve\", \"request\": {\"model\": \"Llama3_8B\", \"hardware\": \"H100\"}, \"knob\": \"batch_size\", \"values\": [1, 2]}",
    };
    srand(99);
    char buf[600];
    for (int i = 0; i < 600; i++) {
        size_t n;
        if (i % 3 == 0) {                     /* random bytes */
            n = (size_t)(rand() % 300);
            for (size_t k = 0; k < n; k++) buf[k] = (char)(rand() % 256);
        } else {                              /* a valid body with bytes flipped or cut */
            const char *sd = seeds[rand() % 3];
            n = strlen(sd);
            memcpy(buf, sd, n);
            static const char junk[] = "{}[]\":,0e-9.\\ a";
            for (int f = 0; f < 1 + rand() % 4; f++) buf[rand() % n] = junk[rand() % (int)(sizeof junk - 1)];
            if (i % 3 == 2) n = (size_t)(rand() % (int)n);
        }
        buf[n] = 0;
        labs_reply r;
        int st = labs_api(ctx, "POST", eps[i % 5], buf, n, &r);
        assert_true(st == 200 || st == 400);
        cJSON *j = cJSON_Parse(r.body);
        if (!j) fail_msg("%s: reply is not JSON", eps[i % 5]);
        cJSON_Delete(j);
        labs_reply_free(&r);
    }
}

/* What cJSON accepts but a C string cannot hold honestly: a NUL inside a string ("H100\u0000x"
 * would read as "H100") and a key given twice (a lookup sees only the first). Both are 400s. */
static void test_nul_and_duplicate_keys(void **s)
{
    (void)s;
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\\u0000junk\"}", 400, "body");
    expect_error("POST", "/api/serve", "{\"model\\u0000x\": \"Llama3_8B\", \"hardware\": \"H100\"}", 400, "body");
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"hardware\": \"A100\"}",
                 400, "hardware");
    expect_error("POST", "/api/sweep", "{\"endpoint\": \"serve\", \"request\": {\"model\": \"Llama3_8B\", "
                 "\"model\": \"GPT2\", \"hardware\": \"H100\"}, \"knob\": \"batch_size\", \"values\": [1]}", 400, "model");
    /* the plan endpoint reads YAML (JSON is YAML): the plan reader refuses both too */
    expect_error("POST", "/api/eval", "{\"version\": \"1.0\", \"name\": \"x\", \"workload\": {\"model\": "
                 "\"Llama3_8B\\u0000\"}, \"hardware\": {\"accelerator\": \"H100\"}}", 400, NULL);
    expect_error("POST", "/api/eval", "{\"version\": \"1.0\", \"name\": \"x\", \"workload\": {\"model\": \"Llama3_8B\"}, "
                 "\"hardware\": {\"accelerator\": \"H100\", \"accelerator\": \"A100\"}}", 400, NULL);
    /* an escaped backslash before "u0000" is text, not a NUL: the unknown model is what is wrong */
    expect_error("POST", "/api/serve", "{\"model\": \"Llama3_8B\\\\u0000\", \"hardware\": \"H100\"}", 400, "model");
    /* a raw zero byte in the body */
    static const char raw[] = "{\"model\": \"Llama3_8B\", \"hardware\": \"H1\0\"}";
    labs_reply r;
    int st = labs_api(ctx, "POST", "/api/serve", raw, sizeof raw - 1, &r);
    assert_int_equal(st, 400);
    assert_non_null(strstr(r.body, "NUL character"));
    labs_reply_free(&r);
}

static void test_routing(void **s)
{
    (void)s;
    expect_error("GET", "/api/nothing", NULL, 404, NULL);
    char *big = malloc(LABS_MAX_BODY + 2);
    memset(big, ' ', LABS_MAX_BODY + 1);
    big[LABS_MAX_BODY + 1] = 0;
    expect_error("POST", "/api/eval", big, 413, "body");
    free(big);
}

static int setup(void **s)
{
    (void)s;
    char err[256];
    ctx = labs_ctx_new(NULL, err, sizeof err);
    return ctx ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    labs_ctx_free(ctx);
    return 0;
}

/* Solvers: GET /api/solve lists every solver of MLSys·im's table with its fields; POST
 * /api/solve/NAME gives the library's numbers (M/D/1 job queue: λ 0.5/day, 1.5-day jobs ->
 * ρ 0.75, W_q 2.25 days; ring all-reduce of 1 GB over 8 ranks at 450 GB/s, 0.5 µs:
 * 2·7/8·1e9/450e9 + 14·0.5 µs); bad fields are a 400 naming the field, unknown solvers a 404. */
static void test_solve(void **s)
{
    (void)s;
    int st;
    cJSON *j = call("GET", "/api/solve", NULL, &st);
    assert_int_equal(st, 200);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "solvers");
    assert_int_equal(cJSON_GetArraySize(arr), (int)ms_solver_count());
    int seen_tail = 0;
    for (const cJSON *o = arr->child; o; o = o->next) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, "tail")) {
            seen_tail = 1;
            const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "fields"), 1);
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring, "service_ms");
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "unit")->valuestring, "ms");
        }
    }
    assert_true(seen_tail);
    cJSON_Delete(j);
    j = call("POST", "/api/solve/job-queue", "{\"jobs_per_day\": 0.5, \"job_days\": 1.5}", &st);
    assert_int_equal(st, 200);
    assert_true(fabs(num(j, "utilization") - 0.75) < 1e-12);
    assert_true(fabs(num(j, "mean_wait_days") - 2.25) < 1e-9);
    cJSON_Delete(j);
    j = call("POST", "/api/solve/collective", "{\"kind\": \"ring\", \"mb\": 1000, \"ranks\": 8, \"link_gbs\": 450, \"link_us\": 0.5}", &st);
    assert_int_equal(st, 200);
    assert_true(fabs(num(j, "time_s") / (1.75e9 / 450e9 + 7e-6) - 1) < 1e-9);
    cJSON_Delete(j);
    j = call("POST", "/api/solve/lora", "{\"model\": \"Llama3_8B\", \"hardware\": \"H100\", \"rank\": 16}", &st);
    assert_int_equal(st, 200);
    assert_true(num(j, "trainable_params") == 13631488);
    cJSON_Delete(j);
    expect_error("POST", "/api/solve/job-queue", "{\"jobs_per_day\": 0.5}", 400, "job_days");
    expect_error("POST", "/api/solve/job-queue", "{\"jobs_per_day\": \"many\", \"job_days\": 1}", 400, "jobs_per_day");
    expect_error("POST", "/api/solve/job-queue", "{\"jobs_per_day\": 1, \"job_days\": 1, \"extra\": 1}", 400, "extra");
    expect_error("POST", "/api/solve/collective", "{\"kind\": \"butterfly\", \"mb\": 1, \"ranks\": 8, \"link_gbs\": 1}", 400, "kind");
    expect_error("POST", "/api/solve/tail", "{\"qps\": 5, \"service_ms\": 100, \"servers\": 1.5}", 400, "servers");
    expect_error("POST", "/api/solve/lora", "{\"model\": \"NoSuch\", \"hardware\": \"H100\"}", 400, "model");
    expect_error("POST", "/api/solve/lora", "[1, 2]", 400, "body");
    expect_error("POST", "/api/solve/nosuch", "{}", 404, NULL);
    expect_error("GET", "/api/solve/tail", NULL, 405, NULL);
    /* every solver's example, as JSON with bytes flipped or cut, or random values for its fields:
     * always a complete JSON reply, 200 or 400, never a crash */
    srand(7);
    char body[800];
    for (size_t i = 0; i < ms_solver_count() * 30; i++) {
        const ms_solver *sv = ms_solver_at(i % ms_solver_count());
        size_t n = 0;
        n += (size_t)snprintf(body + n, sizeof body - n, "{");
        for (int k = 0; sv->args[k].name && n < sizeof body - 80; k++) {
            if (rand() % 3 == 0) continue;
            char key[64];
            size_t q = 0;
            for (; sv->args[k].name[q] && q < sizeof key - 1; q++) key[q] = sv->args[k].name[q] == '-' ? '_' : sv->args[k].name[q];
            key[q] = 0;
            static const char *const vals[] = {"0", "-1", "1e308", "0.5", "3", "1e7", "\"H100\"", "\"Llama3_8B\"", "\"ring\"", "null", "[]", "\"fp8\""};
            n += (size_t)snprintf(body + n, sizeof body - n, "%s\"%s\": %s", n > 1 ? ", " : "", key, vals[rand() % 12]);
        }
        n += (size_t)snprintf(body + n, sizeof body - n, "}");
        if (i % 4 == 3) body[rand() % n] = "{}[]\":,"[rand() % 7];
        char path[96];
        snprintf(path, sizeof path, "/api/solve/%s", sv->name);
        labs_reply r;
        int st = labs_api(ctx, "POST", path, body, n, &r);
        if (st != 200 && st != 400) fail_msg("%s %s: status %d", path, body, st);
        cJSON *j = cJSON_Parse(r.body);
        if (!j) fail_msg("%s: reply is not JSON: %s", path, r.body);
        cJSON_Delete(j);
        labs_reply_free(&r);
    }
}

/* GET /api/scenarios lists the registry's scenarios with their plans; POSTing a plan to
 * /api/eval gives the scenario's evaluation (the doorbell's MobileNetV2 within its 200 ms). */
static void test_scenarios(void **s)
{
    (void)s;
    int st;
    cJSON *j = call("GET", "/api/scenarios", NULL, &st);
    assert_int_equal(st, 200);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "scenarios");
    assert_true(cJSON_GetArraySize(arr) >= 6);
    const char *plan = NULL;
    for (const cJSON *o = arr->child; o; o = o->next)
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring, "smart_doorbell"))
            plan = cJSON_GetObjectItemCaseSensitive(o, "plan")->valuestring;
    assert_non_null(plan);
    cJSON *e = call("POST", "/api/eval", plan, &st);
    assert_int_equal(st, 200);
    double lat = num(e, "latency_s");
    assert_true(lat > 0 && lat <= 0.2);
    cJSON_Delete(e);
    cJSON_Delete(j);
    expect_error("POST", "/api/scenarios", "{}", 405, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labs_list),   cmocka_unit_test(test_registry),
        cmocka_unit_test(test_eval_matches_engine), cmocka_unit_test(test_eval_errors),
        cmocka_unit_test(test_serve),       cmocka_unit_test(test_train),
        cmocka_unit_test(test_compress),    cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_measured),    cmocka_unit_test(test_staffml),
        cmocka_unit_test(test_fuzz_bodies), cmocka_unit_test(test_routing),
        cmocka_unit_test(test_nul_and_duplicate_keys),
        cmocka_unit_test(test_solve),        cmocka_unit_test(test_scenarios),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
