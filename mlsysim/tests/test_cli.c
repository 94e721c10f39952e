/* test_cli.c - the mlsysim command line end to end: strict JSON (parsed with cJSON), exit codes
 * 0/1/2/3, errors naming file:line: field, runtime registry extension, distributed plans.
 * The CLI binary sits in the build root, one directory above this test executable. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include "mlsysim/distributed.h"
#include "mlsysim/mlsysim.h"
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* the built CLI (CMake passes its path: MLSYSIM_CLI) */
static const char *const cli = MLSYSIM_CLI;
static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    if (access(cli, X_OK) != 0) {
        fprintf(stderr, "test_cli: %s not built (build the whole tree first)\n", cli);
        return -1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mlsysim_test_cli_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs `mlsysim ARGS`; returns the exit code and the captured stdout (and stderr if merge). */
static int run(const char *args, int merge, char *out, size_t cap)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s %s", cli, args, merge ? "2>&1" : "2>/dev/null");
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static cJSON *json_of(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j) fprintf(stderr, "not JSON: [%.400s]\n", text);
    assert_non_null(j);
    return j;
}

static double num(cJSON *j, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v)) fprintf(stderr, "no number '%s'\n", key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *str(cJSON *j, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static char buf[1 << 20], buf2[1 << 20];

static void test_zoo(void **state)
{
    (void)state;
    assert_int_equal(run("-o json zoo hardware", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "hardware");
    assert_true(cJSON_GetArraySize(arr) >= 30);
    cJSON_Delete(j);
    assert_int_equal(run("zoo models --kind cnn -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    arr = cJSON_GetObjectItemCaseSensitive(j, "models");
    cJSON *it;
    cJSON_ArrayForEach(it, arr) assert_string_equal(str(it, "kind"), "cnn");
    cJSON_Delete(j);
    assert_int_equal(run("zoo hardware --class tiny", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "nRF52840"));
    assert_null(strstr(buf, "H100"));
    /* the int8 column counts integer operations: H100's 1,979 TOP/s, not FLOP/s */
    assert_int_equal(run("zoo hardware --class cloud", 0, buf, sizeof buf), 0);
    const char *h100 = strstr(buf, "\nH100 ");
    assert_non_null(h100);
    const char *eol = strchr(h100 + 1, '\n');
    assert_non_null(eol);
    char row[256];
    snprintf(row, sizeof row, "%.*s", (int)(eol - h100), h100);
    assert_non_null(strstr(row, "989 TFLOP/s"));
    assert_non_null(strstr(row, "1.979 POP/s"));
    assert_int_equal(run("zoo systems -o json", 0, buf, sizeof buf), 0);
    cJSON_Delete(json_of(buf));
    assert_int_equal(run("zoo grids -o markdown", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "| Quebec"));
    assert_int_equal(run("zoo gadgets", 0, buf, sizeof buf), 1);
}

static void test_eval_json_and_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(run("eval Llama3_8B H100 --batch-size 32 --seq-len 2048 -o json", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_string_equal(str(j, "bottleneck"), "memory");
    assert_true(num(j, "latency_s") > 0 && num(j, "latency_s") < 0.05);
    assert_true(num(j, "throughput_per_s") > 0);
    assert_true(num(j, "mfu") > 0 && num(j, "mfu") < 1);
    assert_true(num(j, "memory_per_accelerator_bytes") > num(j, "memory_weights_bytes"));
    num(j, "memory_gradients_bytes");
    num(j, "memory_optimizer_bytes");
    num(j, "memory_activations_bytes");
    cJSON_Delete(j);
    /* training: gradients and optimizer state appear; full recompute raises HFU over MFU */
    assert_int_equal(run("-o json eval GPT2_Small A100 --mode training --batch-size 8 --seq-len 1024 --recompute full", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "memory_optimizer_bytes") > 0);
    assert_true(num(j, "hfu") > num(j, "mfu"));
    cJSON_Delete(j);
    /* 70B fp16 weights do not fit a 16 GB T4: exit 2, results still printed */
    assert_int_equal(run("eval Llama3_70B T4 -o json", 0, buf, sizeof buf), 2);
    j = json_of(buf);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "feasible")));
    cJSON_Delete(j);
    assert_int_equal(run("eval NoSuchModel H100", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "NoSuchModel"));
    /* a near miss is answered with the registry's name, in eval, a plan's field and a solver */
    assert_int_equal(run("eval Lama3_8B H10", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "unknown model 'Lama3_8B' (did you mean Llama3_8B? see `mlsysim zoo models`)"));
    assert_int_equal(run("eval Llama3_8B H10", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "unknown hardware 'H10' (did you mean H100?"));
    assert_int_equal(run("sweep Llama3_8B H100 --vary model=Llama3_8C", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "workload.model: unknown model 'Llama3_8C' (did you mean Llama3_8B?"));
    assert_int_equal(run("solve lora Lama3_8B H100", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "did you mean Llama3_8B?"));
    assert_int_equal(run("eval Llama3_8B H100 --batchsize 3", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--batchsize"));
    assert_int_equal(run("eval Llama3_8B H100 --precision fp12", 0, buf, sizeof buf), 1);
    assert_int_equal(run("eval Llama3_8B H100 --efficiency 1.5", 0, buf, sizeof buf), 1);
    assert_int_equal(run("eval Llama3_8B H100 -o markdown", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "| metric | value |"));
    assert_int_equal(run("eval Llama3_8B H100 -o yaml", 0, buf, sizeof buf), 1);
}

/* eval --breakdown: the parts of a training step add up to the step time (JSON "breakdown" key,
 * text table); communication parts match the existing keys; inference splits the roofline. */
static void test_breakdown(void **state)
{
    (void)state;
    char args[1200];
    snprintf(args, sizeof args, "-o json eval '%s/mlsysim/examples/gpt3_175b_1536_a100.yaml' --breakdown", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "breakdown");
    assert_true(cJSON_IsArray(b));
    double sum = 0, step = num(j, "step_time_s");
    int n = 0, saw_tp = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, b) {
        double sec = num(it, "seconds");
        assert_true(sec >= 0);
        sum += sec;
        n++;
        if (!strcmp(str(it, "key"), "tp_communication_s")) {
            saw_tp = 1;
            assert_true(sec > 0 && fabs(sec - num(j, "tp_communication_s")) <= 1e-6 * sec);
        }
    }
    assert_true(n >= 10 && saw_tp);
    assert_true(fabs(sum - step) <= 0.01 * step);
    assert_true(num(j, "matmul_s") > num(j, "memory_bound_s")); /* 175B: GEMM-bound */
    assert_true(fabs(num(j, "matmul_s") + num(j, "memory_bound_s") - num(j, "compute_s")) <= 1e-6 * step);
    cJSON_Delete(j);
    /* without the flag the JSON has no breakdown key but has the new parts */
    snprintf(args, sizeof args, "-o json eval '%s/mlsysim/examples/gpt3_175b_1536_a100.yaml'", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "breakdown"));
    assert_true(num(j, "dp_communication_total_s") >= num(j, "dp_communication_s"));
    cJSON_Delete(j);
    assert_int_equal(run("eval GPT2_Small A100 --mode training --batch-size 8 --breakdown", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "breakdown of one step"));
    assert_non_null(strstr(buf, "memory-bound ops"));
    assert_non_null(strstr(buf, "exposed communication"));
    /* inference (the roofline): the bound term, overheads and TP/PP parts add up to latency_s */
    const char *inf[] = {"-o json eval Llama3_8B H100 --batch-size 32 --breakdown",
                         "-o json eval ResNet50 A100 --batch-size 256 --breakdown"};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(run(inf[k], 0, buf, sizeof buf), 0);
        j = json_of(buf);
        b = cJSON_GetObjectItemCaseSensitive(j, "breakdown");
        assert_true(cJSON_IsArray(b));
        double lat = num(j, "latency_s"), s2 = 0, kvp = 0;
        cJSON_ArrayForEach(it, b) {
            s2 += num(it, "seconds");
            if (!strcmp(str(it, "part"), "KV cache read")) kvp = num(it, "seconds");
        }
        assert_true(fabs(s2 - lat) <= 1e-9 * lat);
        if (k == 0) assert_true(kvp > 0 && !strcmp(str(j, "bottleneck"), "memory"));   /* decode: KV read */
        else assert_true(kvp == 0 && !strcmp(str(j, "bottleneck"), "compute"));
        cJSON_Delete(j);
    }
    assert_int_equal(run("eval ResNet50 A100 --batch-size 256 --breakdown", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "hidden under the bound"));
    assert_int_equal(run("eval Llama3_8B H100 --batch-size 32 --breakdown", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "KV cache read"));
}

static void test_serve(void **state)
{
    (void)state;
    assert_int_equal(run("serve Llama3_8B H100 --seq-len 2048 --batch-size 1 -o json", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    /* (16.06 GB weights + 0.268 GB KV at S = 2048, B = 1) / (0.88 x 3.35 TB/s) + 32 x 10 us =
     * 5.859 ms (upstream's golden 5.1942 ms reads at the datasheet's 3.35 TB/s: test_parity.c) */
    assert_true(num(j, "itl_s") > 5.85e-3 && num(j, "itl_s") < 5.87e-3);
    assert_float_equal(num(j, "kv_cache_bytes"), 268435456.0, 0.5);
    assert_true(num(j, "ttft_s") > num(j, "itl_s"));
    assert_true(num(j, "max_concurrent_sequences") > 200);
    cJSON_Delete(j);
    assert_int_equal(run("serve Llama3_70B H200 --draft Llama3_2_1B --acceptance 0.8 -p fp8 -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "spec_speedup") > 1);
    cJSON_Delete(j);
    /* M/M/c at a fixed replica count: p99 above p50; an overloaded replica is reported unstable */
    assert_int_equal(run("serve Llama3_8B H100 --batch-size 8 --qps 5 --replicas 2 -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "p99_latency_s") > num(j, "p50_latency_s"));
    assert_true(num(j, "queue_utilization") < 1);
    cJSON_Delete(j);
    assert_int_equal(run("serve Llama3_8B H100 --batch-size 8 --qps 50 --replicas 1 -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "queue_stable")));
    cJSON_Delete(j);
    assert_int_equal(run("serve ResNet50 H100", 0, buf, sizeof buf), 1);
    /* a p99 target no replica count meets (below the service time itself) is exit 3, not 0 */
    assert_int_equal(run("serve Llama3_8B H100 --qps 5 --p99-ms 1 -o json", 0, buf, sizeof buf), 3);
    j = json_of(buf);
    assert_int_equal((int)num(j, "replicas"), 0);
    cJSON_Delete(j);
    /* the replica count found is the fewest meeting the target (the library's one search) */
    assert_int_equal(run("serve Llama3_8B H100 --qps 50 --p99-ms 5000 -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "p99_latency_s") <= 5.0);
    {
        ms_queue_result q;
        double service = num(j, "request_latency_s");
        ms_mmc(50, service, (int)num(j, "replicas") - 1, &q);
        assert_true(!q.stable || q.p99_s > 5.0);
        /* the CLI prints the library's search (ms_serve_replicas) unchanged: batch 1 = one slot */
        ms_serve_replicas_result sr;
        char why[300];
        assert_int_equal(ms_serve_replicas(50, service, 1, 0, 5.0, &sr, why, sizeof why), MS_OK);
        assert_int_equal(sr.replicas, (int)num(j, "replicas"));
        assert_true(fabs(sr.queue.p99_s / num(j, "p99_latency_s") - 1) < 1e-6);     /* JSON keeps ~9 digits */
        assert_true(fabs(sr.queue.mean_wait_s - num(j, "queue_wait_mean_s")) <= 1e-6 * sr.queue.mean_wait_s + 1e-12);
    }
    cJSON_Delete(j);
    /* a closed loop (--clients): 50 clients of 2000 -> 200 tokens, 8192 / 2000 = 4 prompts an
     * iteration; the CLI prints the library's loop (ms_serve_closed_loop) unchanged, whose first
     * token is the wave's; Little's law over the loop: clients = λ · request latency */
    assert_int_equal(run("serve Llama3_8B H100 --seq-len 2000 --output-tokens 200 --clients 50 -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_int_equal((int)num(j, "loop_in_flight"), 50);
    assert_int_equal((int)num(j, "loop_prompts_per_iteration"), 4);
    assert_int_equal((int)num(j, "loop_max_num_tokens"), 8192);
    assert_true(fabs(num(j, "loop_requests_per_s") * num(j, "loop_request_latency_s") - 50) < 1e-6);
    {
        char err[256];
        ms_registry *reg = ms_registry_new(err, sizeof err);
        assert_non_null(reg);
        const ms_model *m = ms_registry_model(reg, "Llama3_8B");
        const ms_hardware *hw = ms_registry_hardware(reg, "H100");
        ms_serve_input in;
        ms_serve_input_default(&in);
        in.seq_len = 2000;
        in.efficiency = ms_inference_efficiency(m, hw->name, MS_FP16);
        ms_serve_loop_result lp;
        assert_int_equal(ms_serve_closed_loop(m, hw, &in, 50, 200, 8192, &lp), MS_OK);
        assert_true(fabs(lp.loop.ttft_s / num(j, "loop_ttft_s") - 1) < 1e-6);
        assert_true(fabs(lp.loop.tokens_per_s / num(j, "loop_tokens_per_s") - 1) < 1e-6);
        /* the wave: 13 iterations of 4 prompts (the last of 2), so the mean first token is about
         * 7 group prefills; the prompts one by one (M/D/1) would wait far less */
        assert_true(lp.wave_ttft_s > 6 * lp.group_prefill_s && lp.wave_ttft_s < 8 * lp.group_prefill_s + lp.decode_step_s * 7);
        ms_cb_closed_result md1;
        assert_int_equal(ms_cb_closed_loop(50, 50, lp.prefill_s, lp.decode_step_s, 200, 0, &md1), 0);
        assert_true(md1.ttft_s < 0.5 * lp.loop.ttft_s);
        assert_int_equal(ms_serve_closed_loop(m, hw, &in, 0, 200, 8192, &lp), MS_ERR_INPUT);
        ms_registry_free(reg);
    }
    cJSON_Delete(j);
    /* more clients than the KV cache holds wait for a slot (in their request latency: Little's law
     * over all 5000); a budget below one prompt prefills one */
    assert_int_equal(run("serve Llama3_8B H100 --seq-len 2000 --output-tokens 200 --clients 5000 --max-num-tokens 1000 -o json",
                         0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "loop_in_flight") < 5000 && num(j, "loop_in_flight") > 100);
    assert_true(fabs(num(j, "loop_requests_per_s") * num(j, "loop_request_latency_s") / 5000 - 1) < 1e-8);   /* JSON: 10 digits */
    assert_int_equal((int)num(j, "loop_prompts_per_iteration"), 1);
    cJSON_Delete(j);
    assert_int_equal(run("serve Llama3_8B H100 --clients 0", 0, buf, sizeof buf), 1);
    assert_int_equal(run("serve Llama3_8B H100 --max-num-tokens 4096", 0, buf, sizeof buf), 1);   /* needs --clients */
    assert_int_equal(run("serve Llama2_70B H100 --clients 4", 0, buf, sizeof buf), 2);   /* 140 GB of weights on 80 GB */
}

static void test_plans(void **state)
{
    (void)state;
    char path[512], args[1024];
    /* the documented example, with an assert that holds and one that cannot */
    snprintf(path, sizeof path, "%s/ok.yaml", tmpdir);
    write_file(path,
        "version: \"1.0\"\n"
        "name: \"Llama-3 8B inference on one H100\"\n"
        "workload: {model: Llama3_8B, mode: inference, seq_len: 2048, batch_size: 32}\n"
        "hardware: {accelerator: H100, count: 1, per_node: 8, precision: fp16, fabric: IB_NDR}\n"
        "parallelism: {tp: 1, pp: 1, dp: 1, microbatch: 1, interleave: 1, recompute: none, sequence_parallel: false, zero_stage: 0}\n"
        "ops: {region: Quebec, duration_days: 14}\n"
        "constraints:\n"
        "  assert:\n"
        "    - {metric: latency_s, max: 0.05}\n");
    snprintf(args, sizeof args, "eval '%s' -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_string_equal(str(j, "status"), "ok");
    assert_true(num(j, "carbon_kg") > 0);
    assert_true(num(j, "ttft_s") > 0);
    cJSON_Delete(j);

    snprintf(path, sizeof path, "%s/sla.yaml", tmpdir);
    write_file(path,
        "version: \"1.0\"\nname: tight\n"
        "workload: {model: Llama3_8B, batch_size: 32}\n"
        "hardware: {accelerator: H100}\n"
        "constraints:\n  assert:\n    - {metric: latency_s, max: 0.001}\n    - {metric: mfu, min: 0.0}\n");
    snprintf(args, sizeof args, "eval '%s' -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 3);
    j = json_of(buf);
    assert_string_equal(str(j, "status"), "sla_failed");
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "violations");
    assert_int_equal(cJSON_GetArraySize(v), 1);
    assert_string_equal(str(cJSON_GetArrayItem(v, 0), "metric"), "latency_s");
    cJSON_Delete(j);

    /* bad input: file:line: field on stderr, exit 1 */
    snprintf(path, sizeof path, "%s/bad.yaml", tmpdir);
    write_file(path, "version: \"1.0\"\nname: bad\nworkload:\n  model: Llama3_8B\n  batch_sise: 4\nhardware: {accelerator: H100}\n");
    snprintf(args, sizeof args, "eval '%s'", path);
    assert_int_equal(run(args, 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "bad.yaml:5: workload.batch_sise"));

    /* a distributed training plan through the fleet-scale API */
    snprintf(path, sizeof path, "%s/train.yaml", tmpdir);
    write_file(path,
        "version: \"1.0\"\nname: llama 70b\n"
        "workload: {model: Llama3_70B, mode: training, seq_len: 4096, batch_size: 256}\n"
        "hardware: {accelerator: DGX_H100, nodes: 8}\n"
        "parallelism: {tp: 8, pp: 2, microbatch: 1, recompute: selective, sequence_parallel: true, zero_stage: 1}\n"
        "ops: {region: Norway, duration_days: 3}\n");
    snprintf(args, sizeof args, "-o json eval '%s'", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    const char *keys[] = {"step_time_s", "tokens_per_s", "tflops_per_accelerator", "mfu", "hfu",
                          "bubble_fraction", "communication_s", "memory_per_accelerator_bytes",
                          "mtbf_s", "checkpoint_interval_s", "goodput", "energy_j", "carbon_kg",
                          "water_l", "cost_usd"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) assert_true(num(j, keys[i]) >= 0);
    assert_true(num(j, "mfu") > 0.1 && num(j, "mfu") < 0.8);
    assert_int_equal((int)num(j, "dp"), 4);
    cJSON_Delete(j);

    /* the shipped GPT-3 example reproduces Narayanan et al. 2021 Table 2 (141 TFLOP/s per A100) */
    snprintf(args, sizeof args, "-o json eval '%s/mlsysim/examples/gpt3_175b_1536_a100.yaml'", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "tflops_per_accelerator") - 141.0) <= 0.05 * 141.0);
    assert_string_equal(str(j, "status"), "ok");
    cJSON_Delete(j);

    /* the shipped Grok-1 example (a mixture of experts, EP 8) is the validation table's row
     * GROK-314B-512: eval and validate give the same step, within 10 % of the 20.83 s measured */
    snprintf(args, sizeof args, "-o json eval '%s/mlsysim/examples/grok1_314b_512_h100.yaml'", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    double grok_step = num(j, "step_time_s");
    assert_string_equal(str(j, "status"), "ok");
    assert_true(num(j, "ep_communication_s") > 0 && num(j, "tp_communication_s") > 0);
    cJSON_Delete(j);
    assert_int_equal(run("validate --row GROK-314B-512 --json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    cJSON *grow = NULL;
    cJSON_ArrayForEach(grow, cJSON_GetObjectItemCaseSensitive(j, "rows"))
        if (!strcmp(str(grow, "id"), "GROK-314B-512")) break;
    assert_non_null(grow);
    assert_true(fabs(num(grow, "predicted_step_time_s") - grok_step) <= 1e-4 * grok_step);
    assert_int_equal((int)num(grow, "experts"), 8);
    assert_true(fabs(grok_step - 20.83) <= 0.10 * 20.83);
    cJSON_Delete(j);

    /* a training plan that names no efficiency uses the figure calibrated for its accelerator's
     * generation (H100), not the single-accelerator 0.5; an uneven pipeline split (126 layers over 16 stages, as Llama 3)
     * is accepted */
    snprintf(path, sizeof path, "%s/noeff.yaml", tmpdir);
    write_file(path,
        "version: \"1.0\"\nname: noeff\n"
        "workload: {model: Llama3_405B, mode: training, seq_len: 8192, batch_size: 2048}\n"
        "hardware: {accelerator: H100, count: 8192, per_node: 8, precision: bf16, fabric: IB_NDR}\n"
        "parallelism: {tp: 8, pp: 16, microbatch: 1, recompute: full, sequence_parallel: true}\n");
    snprintf(args, sizeof args, "eval '%s' -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "efficiency") - ms_calibrated_efficiency("H100")) < 1e-12);
    assert_string_equal(str(j, "efficiency_source"), "calibrated");
    assert_true(num(j, "mfu") > 0.2 && num(j, "mfu") < 0.6);
    cJSON_Delete(j);

    /* the same model without enough memory: exit 2 */
    snprintf(path, sizeof path, "%s/oom.yaml", tmpdir);
    write_file(path,
        "version: \"1.0\"\nname: oom\n"
        "workload: {model: Llama3_70B, mode: training, seq_len: 4096, batch_size: 8}\n"
        "hardware: {accelerator: H100, count: 8, fabric: IB_NDR}\n"
        "parallelism: {tp: 1, pp: 1, microbatch: 1}\n");
    snprintf(args, sizeof args, "eval '%s' -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 2);
    cJSON_Delete(json_of(buf));

    /* optimize over a plan */
    snprintf(path, sizeof path, "%s/train.yaml", tmpdir);
    snprintf(args, sizeof args, "optimize parallelism '%s' -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "evaluated") > 100);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "top")) >= 1);
    cJSON_Delete(j);
    snprintf(args, sizeof args, "optimize placement '%s' --carbon-tax 1000 -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    const char *best = str(j, "best_region");
    assert_true(!strcmp(best, "Quebec") || !strcmp(best, "Norway") || !strcmp(best, "Iceland"));
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/ok.yaml", tmpdir);
    snprintf(args, sizeof args, "optimize batching '%s' --sla-ms 5000 --qps 20 -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "replicas") >= 1 && num(j, "p99_latency_s") <= 5.0);
    cJSON_Delete(j);
    /* the same question as MODEL HARDWARE gives the same answer */
    assert_int_equal(run("optimize batching Llama3_8B H100 --sla-ms 5000 --qps 20 -o json", 0, buf2, sizeof buf2), 0);
    cJSON *j2 = json_of(buf2);
    j = json_of(buf);
    assert_int_equal((int)num(j2, "replicas"), (int)num(j, "replicas"));
    assert_int_equal((int)num(j2, "batch_size"), (int)num(j, "batch_size"));
    cJSON_Delete(j);
    cJSON_Delete(j2);
    /* a target nothing meets: exit 3 */
    assert_int_equal(run("optimize batching Llama3_8B H100 --sla-ms 10 --qps 20", 0, buf, sizeof buf), 3);
    /* a replica is the plan's tp group (ms_plan_batching): Llama-3-70B over tp 8 is served, a
     * single fp16 H100 does not hold it (exit 2), a training plan is refused (exit 1) */
    snprintf(path, sizeof path, "%s/tp8.yaml", tmpdir);
    write_file(path, "version: \"1.0\"\nname: tp8\nworkload: {model: Llama3_70B, seq_len: 4096}\n"
                     "hardware: {accelerator: H100, count: 8, per_node: 8}\nparallelism: {tp: 8}\n");
    snprintf(args, sizeof args, "-o json optimize batching '%s' --sla-ms 10000 --qps 2", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_int_equal((int)num(j, "accelerators_per_replica"), 8);
    assert_int_equal((int)num(j, "accelerators"), 8 * (int)num(j, "replicas"));
    cJSON_Delete(j);
    assert_int_equal(run("optimize batching Llama2_70B H100 --sla-ms 10000 --qps 2", 1, buf, sizeof buf), 2);
    assert_non_null(strstr(buf, "does not fit even at batch 1"));
    snprintf(path, sizeof path, "%s/train.yaml", tmpdir);
    snprintf(args, sizeof args, "optimize batching '%s' --sla-ms 10000 --qps 2", path);
    assert_int_equal(run(args, 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "workload.mode"));
    assert_int_equal(run("optimize --help", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "examples:"));

    /* any divisor: 7 accelerators are split as pp 7, not refused as "does not fit" */
    snprintf(path, sizeof path, "%s/seven.yaml", tmpdir);
    write_file(path, "version: \"1.0\"\nname: seven\n"
                     "workload: {model: Llama3_8B, mode: training, seq_len: 4096, batch_size: 64}\n"
                     "hardware: {accelerator: H100, count: 7, per_node: 7}\n");
    snprintf(args, sizeof args, "optimize parallelism '%s' -o json", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_int_equal((int)num(j, "pp"), 7);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "loss_examples"));
    cJSON_Delete(j);
    /* no valid split at all (2 layers, 4 heads, batch 5 over 7 accelerators): bad input, not
     * "does not fit" */
    snprintf(path, sizeof path, "%s/none.yaml", tmpdir);
    write_file(path, "version: \"1.0\"\nname: none\n"
                     "workload: {arch: {layers: 2, hidden: 256, heads: 4, ffn: 1024, vocab: 1000}, mode: training, seq_len: 128, batch_size: 5}\n"
                     "hardware: {accelerator: H100, count: 7, per_node: 7}\n");
    snprintf(args, sizeof args, "optimize parallelism '%s'", path);
    assert_int_equal(run(args, 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "no valid configuration"));
}

static void test_schema_registry_tiny_compress(void **state)
{
    (void)state;
    assert_int_equal(run("schema", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_string_equal(str(j, "title"), "MLSys·im plan");
    cJSON_Delete(j);

    char path[512], args[1024];
    snprintf(path, sizeof path, "%s/extra.yaml", tmpdir);
    write_file(path,
        "models:\n"
        "  - name: MyNet\n    kind: cnn\n    params: 1e6\n    flops: 2 GFLOP\n    source: \"lab notebook, 2026\"\n");
    snprintf(args, sizeof args, "--registry '%s' -o json eval MyNet A100", path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_float_equal(num(j, "model_flop"), 2e9, 1);
    cJSON_Delete(j);
    write_file(path, "models:\n  - name: Broken\n    kind: cnn\n    parms: 1\n");
    snprintf(args, sizeof args, "--registry '%s' zoo models", path);
    assert_int_equal(run(args, 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "extra.yaml:4: models.Broken.parms"));

    assert_int_equal(run("tiny DS_CNN nRF52840 -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "fits_flash")));
    cJSON_Delete(j);
    assert_int_equal(run("tiny ResNet50 nRF52840", 0, buf, sizeof buf), 2);
    assert_int_equal(run("compress Llama3_8B H100 --to int4 -o json", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_float_equal(num(j, "compression_ratio"), 4.0, 1e-9);
    cJSON_Delete(j);
}


/* `mlsysim -o json eval PLAN` prints exactly the library's ms_result_json of the plan's bytes (what
 * the web API returns); `eval MODEL HARDWARE` equals the plan file saying the same; per-command
 * --help works. */
static void test_cli_is_the_library(void **state)
{
    (void)state;
    char err[256], dir[1024], path[1400], args[2048];
    ms_registry *reg = ms_registry_new(err, sizeof err);
    assert_non_null(reg);
    snprintf(dir, sizeof dir, "%s/mlsysim/examples", MLSB_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    ms_result *res = malloc(sizeof *res);
    assert_non_null(res);
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char yaml[1 << 16], lib[1 << 16];
        size_t len = fread(yaml, 1, sizeof yaml, f);
        fclose(f);
        ms_status st = ms_plan_eval_buffer(reg, path, yaml, len, res);
        ms_result_json(res, lib, sizeof lib);
        ms_result_free(res);
        snprintf(args, sizeof args, "-o json eval '%s'", path);
        int rc = run(args, 0, buf, sizeof buf);
        assert_int_equal(rc, st == MS_OK ? 0 : st == MS_ERR_MEMORY ? 2 : st == MS_ERR_ASSERT ? 3 : 1);
        assert_string_equal(buf, lib);
        n++;
    }
    closedir(d);
    assert_true(n >= 4);
    free(res);
    ms_registry_free(reg);

    static char a[1 << 16];
    snprintf(path, sizeof path, "%s/same.yaml", tmpdir);
    write_file(path, "version: \"1.0\"\nname: same\n"
                     "workload: {model: Llama3_2_1B, mode: training, batch_size: 8, seq_len: 1024, optimizer: sgd}\n"
                     "hardware: {accelerator: H100}\n");
    snprintf(args, sizeof args, "-o json eval '%s'", path);
    assert_int_equal(run(args, 0, a, sizeof a), 0);
    assert_int_equal(run("-o json eval Llama3_2_1B H100 --mode training --batch-size 8 --seq-len 1024 --optimizer sgd",
                         0, buf, sizeof buf), 0);
    cJSON *ja = json_of(a), *jb = json_of(buf);
    const char *keys[] = {"latency_s", "mfu", "memory_per_accelerator_bytes", "memory_optimizer_bytes",
                          "memory_activations_bytes", "energy_j", "efficiency", "tokens_per_s"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(fabs(num(ja, keys[i]) - num(jb, keys[i])) <= 1e-3 * fabs(num(ja, keys[i])));
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    /* serve and eval: one decode step of a model that does not fit costs the same in both */
    assert_int_equal(run("-o json eval Llama2_70B H100", 0, a, sizeof a), 2);
    assert_int_equal(run("-o json serve Llama2_70B H100", 0, buf, sizeof buf), 2);
    ja = json_of(a);
    jb = json_of(buf);
    assert_true(fabs(num(ja, "latency_s") - num(jb, "itl_s")) <= 1e-3 * num(jb, "itl_s"));
    assert_true(num(ja, "latency_s") < 0.05);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    /* --json anywhere is -o json: the same bytes */
    assert_int_equal(run("serve Llama2_70B H100 --json", 0, buf, sizeof buf), 2);
    assert_int_equal(buf[0], '{');
    assert_int_equal(run("-o json serve Llama2_70B H100", 0, buf2, sizeof buf2), 2);
    assert_string_equal(buf, buf2);
    /* --svg: the roofline picture, written whole; a fleet step has none (exit 1, nothing written) */
    char svg[600];
    snprintf(svg, sizeof svg, "%s/roof.svg", tmpdir);
    snprintf(args, sizeof args, "eval Llama3_8B H100 --batch-size 64 --svg '%s'", svg);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    FILE *sf = fopen(svg, "r");
    assert_non_null(sf);
    size_t sn = fread(buf2, 1, sizeof buf2 - 1, sf);
    buf2[sn] = 0;
    fclose(sf);
    assert_true(!strncmp(buf2, "<svg ", 5) && strstr(buf2, "</svg>") && strstr(buf2, "memory-bound"));
    snprintf(svg, sizeof svg, "%s/none.svg", tmpdir);
    snprintf(args, sizeof args, "eval '%s/mlsysim/examples/llama3_70b_training.yaml' --svg '%s'", MLSB_SOURCE_DIR, svg);
    assert_int_equal(run(args, 0, buf, sizeof buf), 1);
    assert_true(access(svg, F_OK) != 0);
    /* storage precisions: serve and eval agree on the decode step of int4 weights + fp8 KV */
    assert_int_equal(run("-o json serve Llama3_8B H100 --batch-size 16 --weight-precision int4 --kv-precision fp8", 0, a, sizeof a), 0);
    assert_int_equal(run("-o json eval Llama3_8B H100 --batch-size 16 --weight-precision int4 --kv-precision fp8", 0, buf, sizeof buf), 0);
    ja = json_of(a);
    jb = json_of(buf);
    assert_true(fabs(num(ja, "itl_s") - num(jb, "latency_s")) <= 1e-3 * num(ja, "itl_s"));
    assert_true(fabs(num(ja, "kv_cache_bytes") - num(jb, "kv_cache_bytes")) <= 1e-3 * num(ja, "kv_cache_bytes"));
    assert_string_equal(str(jb, "weight_precision"), "int4");
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    /* --moe-routing: serve and eval agree on a MoE decode step that reads the 2 active experts */
    assert_int_equal(run("-o json serve Mixtral_8x7B H200 --batch-size 16 --moe-routing fixed", 0, a, sizeof a), 0);
    assert_int_equal(run("-o json eval Mixtral_8x7B H200 --batch-size 16 --moe-routing fixed", 0, buf, sizeof buf), 0);
    ja = json_of(a);
    jb = json_of(buf);
    assert_true(fabs(num(ja, "itl_s") - num(jb, "latency_s")) <= 1e-3 * num(ja, "itl_s"));
    assert_true(fabs(num(jb, "moe_experts_read") - 2.0) < 1e-9);
    assert_true(fabs(num(ja, "moe_experts_read") - 2.0) < 1e-9);
    assert_string_equal(str(ja, "moe_routing"), "fixed");
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    assert_int_equal(run("-o json eval Mixtral_8x7B H200 --batch-size 16", 0, buf, sizeof buf), 0);
    jb = json_of(buf);
    assert_true(fabs(num(jb, "moe_experts_read") - 8.0 * (1.0 - pow(0.75, 16))) < 1e-9);
    cJSON_Delete(jb);
    assert_int_equal(run("serve Mixtral_8x7B H200 --moe-routing top2", 0, buf, sizeof buf), 1);
    /* optimize placement prices each region exactly as eval does */
    snprintf(args, sizeof args, "-o json optimize placement '%s/mlsysim/examples/llama3_70b_training.yaml'", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "-o json eval '%s/mlsysim/examples/llama3_70b_training.yaml'", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, a, sizeof a), 0);
    ja = json_of(a);
    jb = json_of(buf);
    cJSON *rg, *regions = cJSON_GetObjectItemCaseSensitive(jb, "regions");
    int matched = 0;
    cJSON_ArrayForEach(rg, regions)
        if (!strcmp(str(rg, "region"), str(ja, "region"))) {
            assert_true(fabs(num(rg, "cost_usd") - num(ja, "cost_usd")) <= 1e-9 * num(ja, "cost_usd"));
            assert_true(fabs(num(rg, "carbon_kg") - num(ja, "carbon_kg")) <= 1e-9 * num(ja, "carbon_kg"));
            matched = 1;
        }
    assert_true(matched);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    const char *cmds[] = {"eval", "serve", "zoo", "compress", "tiny", "optimize", "schema", "validate"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        assert_int_equal(run(args, 0, buf, sizeof buf), 0);
        if (strcmp(cmds[i], "validate")) assert_non_null(strstr(buf, "example"));
    }
}


/* Studies: sweep (CSV and JSON lines equal to eval at each point), sensitivity, synthesis,
 * chinchilla. */
static void test_studies(void **state)
{
    (void)state;
    assert_int_equal(run("sweep Llama3_8B H100 --vary workload.batch_size=1:64:*4 --keys latency_s,feasible", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "workload.batch_size,latency_s,feasible,status\n"));
    int rows = 0;
    for (char *l = strchr(buf, '\n'); l && l[1]; l = strchr(l + 1, '\n')) rows++;
    assert_int_equal(rows, 4);                                  /* 1 4 16 64 */
    char *row16 = strstr(buf, "\n16,");
    assert_non_null(row16);
    double lat16 = strtod(row16 + 4, NULL);
    assert_int_equal(run("-o json eval Llama3_8B H100 --batch-size 16", 0, buf2, sizeof buf2), 0);
    cJSON *j = json_of(buf2);
    assert_true(fabs(lat16 - num(j, "latency_s")) <= 1e-9 * lat16);
    cJSON_Delete(j);
    /* JSON lines: one full result per point, with the varied fields */
    assert_int_equal(run("-o json sweep Llama3_8B H100 --vary hardware.accelerator=A100,H100 --vary hardware.precision=fp16,fp8",
                         0, buf, sizeof buf), 0);
    int lines = 0;
    for (char *l = buf; l && *l; lines++) {
        char *nl = strchr(l, '\n');
        assert_non_null(nl);
        *nl = 0;
        j = json_of(l);
        assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "hardware.precision"));
        assert_true(num(j, "latency_s") > 0);
        cJSON_Delete(j);
        l = nl + 1;
    }
    assert_int_equal(lines, 4);
    assert_int_equal(run("sweep Llama3_8B H100 --vary workload.nonsense=1,2", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "workload.nonsense"));
    assert_int_equal(run("sweep Llama3_8B H100 --vary workload.batch_size=0,1", 1, buf, sizeof buf), 1);
    /* a field by its short name sweeps as by its dotted one (the column is the name given); a
     * mistyped one is answered with the nearest field */
    assert_int_equal(run("sweep Llama3_8B H100 --vary workload.batch_size=2,8 --vary hardware.precision=fp8", 0, buf, sizeof buf), 0);
    assert_int_equal(run("sweep Llama3_8B H100 --vary batch_size=2,8 --vary precision=fp8", 0, buf2, sizeof buf2), 0);
    assert_non_null(strstr(buf2, "batch_size,precision,latency_s"));
    assert_string_equal(strchr(buf, '\n'), strchr(buf2, '\n'));
    assert_int_equal(run("sweep Llama3_8B H100 --vary batchsize=2,8", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "did you mean workload.batch_size?"));

    /* sensitivity: a compute-bound 70B step is bound by peak FLOP/s; one implementation
     * (ms_plan_sensitivity) for every plan, a fleet step's links as two more figures (8 nodes: the
     * inter-node bandwidth matters) and its time under both keys, latency_s and step_time_s */
    char args[1024];
    snprintf(args, sizeof args, "-o json sensitivity '%s/mlsysim/examples/llama3_70b_training.yaml'", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_string_equal(str(j, "binding"), "peak_flops");
    assert_true(num(j, "peak_flops_change_fraction") < -0.01);
    assert_true(num(j, "intra_bw_change_fraction") < 0 && num(j, "inter_bw_change_fraction") < 0);
    assert_true(num(j, "latency_s") > 0 && num(j, "latency_s") == num(j, "step_time_s"));
    cJSON_Delete(j);
    /* synthesis: the factor it returns does reach the target */
    assert_int_equal(run("-o json synthesis Llama3_2_1B H100 --mode training --batch-size 8 --target-step-ms 100", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    double factor = num(j, "peak_flops_factor");
    assert_true(factor > 1);
    cJSON_Delete(j);
    char reg_path[512];
    snprintf(reg_path, sizeof reg_path, "%s/faster.yaml", tmpdir);
    FILE *f = fopen(reg_path, "w");
    assert_non_null(f);
    fprintf(f, "hardware:\n  - {name: H100x, source: test, flops: {fp16: %.10g TFLOPS}, memory: 80 GiB, memory_bw: 3.35 TB/s,\n"
               "     link_bw: 450 GB/s, link_latency: 0.5 us, host_bw: 64 GB/s, compute_units: 132}\n", 989.0 * factor * 1.0001);
    fclose(f);
    snprintf(args, sizeof args, "-o json --registry '%s' eval Llama3_2_1B H100x --mode training --batch-size 8", reg_path);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "latency_s") <= 0.1);
    cJSON_Delete(j);
    assert_int_equal(run("synthesis Llama3_2_1B H100 --mode training --batch-size 8 --target-step-ms 0.001", 0, buf, sizeof buf), 3);
    /* chinchilla: Gopher's budget gives the 70B / 1.4T Chinchilla point */
    assert_int_equal(run("-o json chinchilla --flops 5.76e23", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "params") / sqrt(5.76e23 / 120.0) - 1) < 1e-9);
    assert_true(fabs(num(j, "tokens") / num(j, "params") - 20) < 1e-9);
    assert_true(num(j, "params") > 65e9 && num(j, "params") < 75e9);
    cJSON_Delete(j);
    assert_int_equal(run("chinchilla", 0, buf, sizeof buf), 1);
    /* a budget in time (upstream's ScalingModel: days x 989 TFLOP/s x 0.40): 10,000 H100-days are
     * 3.418e23 FLOP, so N = sqrt(C/120) = 53.4 B parameters; every answer reports its H100-days */
    assert_int_equal(run("-o json chinchilla --h100-days 10000", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "training_flop") / (10000 * 989e12 * 0.40 * 86400) - 1) < 1e-9);
    assert_true(fabs(num(j, "params") / sqrt(num(j, "training_flop") / 120.0) - 1) < 1e-9);
    assert_true(fabs(num(j, "h100_days") - 10000) < 1e-6);
    cJSON_Delete(j);
    assert_int_equal(run("-o json chinchilla --params 70e9", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "h100_days") / (6 * 70e9 * 1.4e12 / (989e12 * 0.40 * 86400)) - 1) < 1e-9);
    cJSON_Delete(j);
    assert_int_equal(run("chinchilla --h100-days 1 --flops 1e20", 0, buf, sizeof buf), 1);
    /* a study of a plan that does not fit says so: exit 2 */
    assert_int_equal(run("synthesis Llama3_8B H100 --mode training --batch-size 8 --target-step-ms 500", 0, buf, sizeof buf), 2);
    /* a training step that does not fit binds on memory capacity, whatever the times say */
    assert_int_equal(run("-o json sensitivity Llama3_8B H100 --mode training --batch-size 8", 0, buf, sizeof buf), 2);
    j = json_of(buf);
    assert_string_equal(str(j, "binding"), "mem_capacity");
    assert_true(num(j, "peak_flops_change_fraction") < 0);
    cJSON_Delete(j);
    /* any other plan: the accelerator's three figures: a batch-1 decode step binds on bandwidth,
     * a model that does not fit on capacity (exit 2); no links, no step_time_s */
    assert_int_equal(run("-o json sensitivity Llama3_8B H100", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_string_equal(str(j, "binding"), "mem_bw");
    assert_true(num(j, "mem_bw_change_fraction") < -0.05 && num(j, "peak_flops_change_fraction") == 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "intra_bw_change_fraction"));
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "step_time_s"));
    cJSON_Delete(j);
    assert_int_equal(run("-o json sensitivity Llama3_70B H100", 0, buf, sizeof buf), 2);
    j = json_of(buf);
    assert_string_equal(str(j, "binding"), "mem_capacity");
    cJSON_Delete(j);
    /* and synthesis: 3 ms per decode step needs 2.07x the bandwidth, nothing else helps:
     * (5.859 - 0.32 ms of layer overheads) / (3 - 0.32 ms) */
    assert_int_equal(run("-o json synthesis Llama3_8B H100 --target-step-ms 3", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "mem_bw_factor") > 2.05 && num(j, "mem_bw_factor") < 2.08);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "peak_flops_factor")));
    cJSON_Delete(j);
    assert_int_equal(run("synthesis Llama3_8B H100 --target-step-ms 0.1", 0, buf, sizeof buf), 3);
}

/* `mlsysim solve`: the CLI prints the library's numbers (hand-worked in test_solvers.c) as JSON
 * (10 significant digits), refuses missing or bad flags with exit 1 naming the flag, and `--help`
 * shows examples. */
static void test_solve(void **state)
{
    (void)state;
    assert_int_equal(run("-o json solve chunked-prefill Llama3_8B H100 --chunk 512", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_true(num(j, "chunks") == 4);
    assert_true(fabs(num(j, "decode_stall_bound_s") - 0.016843530413039435) < 1e-9);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve tail --qps 5 --service-ms 100 --cv 0", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "mean_wait_s") - 0.05) < 1e-12);      /* M/D/1: ρ/(2μ(1-ρ)) */
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve checkpoint --checkpoint-s 60 --job-hours 720 --mtbf-hours 5 --recovery-s 300", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "goodput") - 0.9016836752405607) < 1e-9);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve topology --kind ring --nodes 64 --link-gbs 50", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "bisection_bytes_per_s") == 100e9);       /* a cut severs 2 links */
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve disagg Llama3_8B H100 --decode-hw H200 --link-gbs 50 --link-us 10", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "kv_transfer_s") - 5.37870912e-3) < 1e-11);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve bubble --pp 4 --microbatches 8", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "bubble_schedule_fraction") - 3.0 / 11) < 1e-9);
    cJSON_Delete(j);
    assert_int_equal(run("solve tail --qps 5", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--service-ms"));
    assert_int_equal(run("solve ingest --samples-per-s 10 --sample-kb 1", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "supply"));
    assert_int_equal(run("solve moe --tokens 1 --hidden 8 --top-k 2 --experts 8 --ep 2 --link-gbs x", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--link-gbs"));
    assert_int_equal(run("solve nosuch", 1, buf, sizeof buf), 1);
    assert_int_equal(run("solve --help", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "examples:"));
    /* the solvers added with the table: hand-worked in test_solvers.c */
    assert_int_equal(run("-o json solve job-queue --jobs-per-day 0.5 --job-days 1.5", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "mean_wait_days") - 2.25) < 1e-9);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve step-factors --compute-ms 100 --dp-comm-ms 40 --other-comm-ms 10 --congestion 1.5 --grad-accum 4 --straggler 1.1", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "step_s") - 0.143) < 1e-12);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve amdahl --parallel-fraction 0.95 --speedup 64", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "speedup") * 0.06484375 - 1) < 1e-9);   /* 10 significant digits */
    assert_true(fabs(num(j, "max_speedup") - 20) < 1e-9);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve dp-sgd --base-hours 10 --epsilon 1", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "time_s") - 108000) < 1e-6);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve lora --model Llama3_8B --hardware H100 --rank 16", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "trainable_params") == 13631488);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve collective --kind ring --mb 1000 --ranks 8 --link-gbs 450 --link-us 0.5", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "time_s") / (1.75e9 / 450e9 + 7e-6) - 1) < 1e-9);
    cJSON_Delete(j);
    /* tco: a named cluster, a cooling profile and overrides reach the formula (hand-worked in
     * test_solvers.c, upstream's golden in test_parity.c) */
    assert_int_equal(run("-o json solve tco --cluster research_256 --mfu 0.45 --price-kwh 0.12 --power-saturation 1", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "tco_usd") / 7076.95 - 1) < 1e-6);
    assert_true(num(j, "accelerators") == 256);
    cJSON_Delete(j);
    /* the default power model: an H100 at MFU 0.45 draws 700·(0.3 + 0.7·0.45/0.5) = 651 W */
    assert_int_equal(run("-o json solve tco --cluster research_256 --mfu 0.45", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "chip_power_w") - 651.0) < 1e-9);
    assert_true(num(j, "power_saturation") == 0.5);
    cJSON_Delete(j);
    assert_int_equal(run("-o json solve tco --hardware H100 --accelerators 8 --cooling enterprise --pue 0", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "pue") == 1.58);
    cJSON_Delete(j);
    assert_int_equal(run("solve tco --hardware H100", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--cluster"));
    assert_int_equal(run("solve tco --cluster research_256 --grid Atlantis", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "unknown grid"));
    /* per-solver help from the table: usage, units, ranges, examples */
    assert_int_equal(run("solve collective --help", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "--ranks-per-node"));
    assert_non_null(strstr(buf, "GB/s"));
    assert_non_null(strstr(buf, "examples:"));
    assert_int_equal(run("solve job-queue --jobs-per-day 0.5 --job-days 1.5 --bogus 3", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--bogus"));
    assert_int_equal(run("solve job-queue --jobs-per-day 0.5 --jobs-per-day 1 --job-days 1.5", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "twice"));
    assert_int_equal(run("solve lora Llama3_8B H100 extra", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "unexpected"));
    assert_int_equal(run("solve lora NoSuchModel H100", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "NoSuchModel"));
    assert_int_equal(run("solve collective --kind butterfly --mb 1 --ranks 8 --link-gbs 1", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--kind"));
}

/* `mlsysim tiny` with the named microcontroller efficiencies: LeNet-5 on the nRF52840 (Cortex-M4F,
 * 64 MHz, 2 int8 MAC/cycle peak). plain-c is calibrated on the kits' count: 7,005,811 instructions
 * per inference at one instruction per cycle = 109.47 ms, plus the part's 50 µs dispatch.
 * cmsis-nn (the default) keeps η 0.5: 833,040 / (256e6 · 0.5) s + 50 µs = 6.558 ms. */
static void test_tiny_kernels(void **state)
{
    (void)state;
    assert_int_equal(run("-o json tiny lenet5 nRF52840 --kernel plain-c", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_true(fabs(num(j, "latency_s") / (7005811.0 / 64e6 + 50e-6) - 1) < 1e-6);
    assert_true(num(j, "macs") == 416520);
    cJSON_Delete(j);
    assert_int_equal(run("-o json tiny lenet5 nRF52840", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(fabs(num(j, "latency_s") / (833040.0 / 128e6 + 50e-6) - 1) < 1e-6);
    cJSON_Delete(j);
    assert_int_equal(run("tiny lenet5 nRF52840 --kernel simd", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--kernel"));
}

/* `mlsysim scenario`: list names the built-in scenarios; eval is `mlsysim eval` of the scenario's
 * plan (same numbers, plus "scenario"), with eval's exit codes; show prints the plan; a registry
 * file can add a scenario whose target is missed (exit 3). */
static void test_scenario(void **state)
{
    (void)state;
    assert_int_equal(run("scenario list", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "smart_doorbell"));
    assert_non_null(strstr(buf, "frontier_training"));
    assert_int_equal(run("-o json scenario list", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_true(cJSON_GetArraySize(j) >= 6);
    cJSON_Delete(j);
    assert_int_equal(run("-o json scenario eval smart_doorbell", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "scenario")->valuestring, "smart_doorbell");
    double lat = num(j, "latency_s");
    assert_true(lat > 0 && lat <= 0.2);
    cJSON_Delete(j);
    assert_int_equal(run("-o json eval MobileNetV2 ESP32_S3 --precision int8", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "latency_s") == lat);   /* the scenario is the plain evaluation */
    cJSON_Delete(j);
    assert_int_equal(run("scenario show chatbot_service", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "Llama3_70B"));
    assert_int_equal(run("scenario eval no_such_scenario", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "unknown scenario"));
    assert_int_equal(run("scenario frobnicate x", 1, buf, sizeof buf), 1);
    assert_int_equal(run("scenario --help", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "examples:"));
    char path[512], args[1024];
    snprintf(path, sizeof path, "%s/scen.yaml", tmpdir);
    write_file(path, "scenarios:\n  - name: too_fast\n    source: test\n    question: q\n    plan: |\n"
                     "      version: \"1.0\"\n      name: \"too fast\"\n      workload: {model: ResNet50, mode: inference, batch_size: 1}\n"
                     "      hardware: {accelerator: A100, precision: fp16}\n"
                     "      constraints:\n        assert:\n          - {metric: latency_s, max: 1.0e-9}\n");
    snprintf(args, sizeof args, "--registry '%s' scenario eval too_fast", path);
    assert_int_equal(run(args, 1, buf, sizeof buf), 3);
    assert_non_null(strstr(buf, "assert failed"));
}

/* -o html: eval writes one self-contained page (no script, no link, nothing fetched) holding every
 * key of the JSON result and the roofline as inline SVG; other commands refuse it. */
static void test_html(void **state)
{
    (void)state;
    static char html[1 << 17];
    assert_int_equal(run("-o html eval Llama3_8B H100 --batch-size 8", 0, html, sizeof html), 0);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "</html>"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "src="));
    assert_int_equal(run("-o json eval Llama3_8B H100 --batch-size 8", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    int keys = 0;
    for (const cJSON *it = j->child; it; it = it->next, keys++) {
        char cell[96];
        snprintf(cell, sizeof cell, "<tr><td>%s</td>", it->string);
        if (!strstr(html, cell)) fail_msg("key %s missing from the HTML page", it->string);
    }
    assert_true(keys > 10);
    cJSON_Delete(j);
    assert_int_equal(run("-o html scenario eval smart_doorbell", 0, html, sizeof html), 0);
    assert_non_null(strstr(html, "<td>scenario</td>"));
    assert_int_equal(run("-o html zoo hardware", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "-o html is for eval"));
}

/* `mlsysim search`: the best point is the one a sweep of the same grid gives when the points that
 * do not fit or break the constraint are dropped by hand; nothing meeting the constraints is
 * exit 3; an objective or constraint that is not a numeric key is refused. */
static void test_search(void **state)
{
    (void)state;
    assert_int_equal(run("-o json sweep Llama3_8B H100 --vary workload.batch_size=1:512:*2", 0, buf2, sizeof buf2), 0);
    double best = -1, best_b = 0;
    int lines = 0;
    for (char *line = strtok(buf2, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *j = json_of(line);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "sweep_status");
        if (!strcmp(st->valuestring, "ok") && num(j, "latency_s") <= 0.05 && num(j, "throughput_per_s") > best) {
            best = num(j, "throughput_per_s");
            best_b = atof(cJSON_GetObjectItemCaseSensitive(j, "workload.batch_size")->valuestring);
        }
        cJSON_Delete(j);
    }
    assert_int_equal(lines, 10);
    assert_true(best > 0);
    assert_int_equal(run("-o json search Llama3_8B H100 --vary workload.batch_size=1:512:*2 --objective max:throughput_per_s "
                         "--constraint 'latency_s<=0.05'", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_true(atof(cJSON_GetObjectItemCaseSensitive(j, "best.workload.batch_size")->valuestring) == best_b);
    assert_true(fabs(num(j, "best.throughput_per_s") / best - 1) < 1e-9);
    assert_true(num(j, "searched") == 10);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "top")) == 5);
    cJSON_Delete(j);
    assert_int_equal(run("search Llama3_8B H100 --vary workload.batch_size=1,2 --objective latency_s --constraint 'latency_s<1e-9'", 1, buf, sizeof buf), 3);
    assert_non_null(strstr(buf, "no point meets"));
    assert_int_equal(run("search Llama3_8B H100 --vary workload.batch_size=1,2 --objective model", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "not a numeric result key"));
    assert_int_equal(run("search Llama3_8B H100 --vary workload.batch_size=1,2 --objective latency_s --constraint 'latency_s~3'", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--constraint"));
    assert_int_equal(run("search Llama3_8B H100 --objective latency_s", 1, buf, sizeof buf), 1);
    assert_int_equal(run("search --help", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "examples:"));
}

/* The diffusion, SSM and DLRM workloads through the CLI: zoo lists them by kind, eval takes
 * --steps and --cfg, serve takes an SSM (its ITL is eval's latency), sweep varies the steps, and a
 * recommender whose tables do not fit exits 2. */
static void test_workload_kinds(void **state)
{
    (void)state;
    assert_int_equal(run("zoo models --kind ssm -o json", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "models"), *it;
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    cJSON_ArrayForEach(it, arr) {
        assert_string_equal(str(it, "kind"), "ssm");
        assert_true(num(it, "state_per_sequence_fp16_bytes") > 0);
    }
    cJSON_Delete(j);
    assert_int_equal(run("-o json eval StableDiffusion_v1_5 H100 --steps 25 --cfg off", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "denoising_steps") == 25);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "cfg")));
    assert_string_equal(str(j, "throughput_unit"), "images");
    double one_pass = num(j, "unet_step_flop");
    cJSON_Delete(j);
    assert_int_equal(run("-o json eval StableDiffusion_v1_5 H100", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "denoising_steps") == 50);
    assert_true(fabs(num(j, "unet_step_flop") - 2 * one_pass) <= 1e-9 * one_pass);   /* guidance: two passes a step */
    cJSON_Delete(j);
    assert_int_equal(run("eval StableDiffusion_v1_5 H100 --cfg maybe", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--cfg 'maybe'"));
    assert_int_equal(run("-o json serve Mamba_2_8B H100 --batch-size 4", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    double itl = num(j, "itl_s");
    assert_true(num(j, "kv_cache_per_token_bytes") == 0);
    cJSON_Delete(j);
    assert_int_equal(run("-o json eval Mamba_2_8B H100 --batch-size 4", 0, buf, sizeof buf), 0);
    j = json_of(buf);
    assert_true(num(j, "latency_s") == itl);
    cJSON_Delete(j);
    assert_int_equal(run("serve Mamba_2_8B H100 --draft Mamba_130M", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "is an SSM"));
    assert_int_equal(run("sweep StableDiffusion_v1_5 H100 --vary workload.steps=10,20 --keys latency_s", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "workload.steps,latency_s"));
    assert_non_null(strstr(buf, "\n10,"));
    assert_non_null(strstr(buf, "\n20,"));
    assert_int_equal(run("eval DLRM_DCNv2 L4", 0, buf, sizeof buf), 2);
}

/* Writes to dst the comment and header lines of the table src, its T2-PTDP-175B-384 row (and the
 * row starting with `also`, when given), then that row again with its id's first two letters
 * `id2` and the text `find` (found in the row, of the same length or longer) replaced by `repl`. */
static void table_with_variant(const char *src, const char *dst, const char *also, const char *find, const char *repl,
                               const char *id2)
{
    char line[4096];
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    assert_non_null(in);
    assert_non_null(out);
    size_t fl = strlen(find), rl = strlen(repl);
    assert_true(rl <= fl);
    while (fgets(line, sizeof line, in)) {
        int base = !strncmp(line, "T2-PTDP-175B-384,", 17);
        if (line[0] == '#' || !strncmp(line, "id,", 3) || base || (also && !strncmp(line, also, strlen(also))))
            fputs(line, out);
        char *at = base ? strstr(line, find) : NULL;
        if (!at) continue;
        memmove(at + rl, at + fl, strlen(at + fl) + 1);
        memcpy(at, repl, rl);
        line[0] = id2[0], line[1] = id2[1];
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
}

/* validate --table given the project's serving.csv or collectives.csv validates that table alone,
 * with the figures the whole run reports for it; given the folder, its runs.csv and all beside it;
 * given the example table of one's own, its rows as the project's rows of the same runs. */
static void test_validate_other_tables(void **state)
{
    (void)state;
    size_t cap = 1 << 24;
    char *all = malloc(cap), *one = malloc(cap), args[1024];
    assert_non_null(all);
    assert_non_null(one);
    assert_int_equal(run("validate --json", 0, all, cap), 0);
    cJSON *ja = json_of(all);
    static const char *const which[2][2] = {{"serving.csv", "serving"}, {"collectives.csv", "collectives"}};
    static const char *const stat[2] = {"tokens_per_s_per_gpu_heldout", "heldout"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "validate --table '%s/mlsysim/validation/%s' --json", MLSB_SOURCE_DIR, which[k][0]);
        assert_int_equal(run(args, 0, one, cap), 0);
        cJSON *jo = json_of(one);
        assert_null(cJSON_GetObjectItemCaseSensitive(jo, "rows"));          /* no training rows */
        cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ja, which[k][1]), stat[k]);
        cJSON *o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(jo, which[k][1]), stat[k]);
        assert_non_null(a);
        assert_non_null(o);
        assert_true(num(a, "rows") == num(o, "rows") && num(a, "rows") > 0);
        assert_true(num(a, "median_abs_error") == num(o, "median_abs_error"));
        cJSON_Delete(jo);
    }
    /* a folder: its runs.csv, and the tables beside it */
    snprintf(args, sizeof args, "validate --table '%s/mlsysim/validation/' --json", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, one, cap), 0);
    cJSON *jd = json_of(one);
    cJSON *ha = cJSON_GetObjectItemCaseSensitive(ja, "heldout"), *hd = cJSON_GetObjectItemCaseSensitive(jd, "heldout");
    assert_true(num(ha, "rows") == num(hd, "rows") && num(ha, "median_abs_tokens_error") == num(hd, "median_abs_tokens_error"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(jd, "serving"));
    cJSON_Delete(jd);
    /* mlsysim/examples/my_runs.csv, only the required columns and the hardware blank, predicts its
     * two llm-foundry runs as the project's rows of them are predicted: a DGX H100 exactly, the A100
     * 40 GB row within 0.1 % (its α between nodes the registry's 5 µs, the project's row's 7); its
     * NeMo row, the model named by hub id and its architecture blank too, exactly */
    snprintf(args, sizeof args, "validate --table '%s/mlsysim/examples/my_runs.csv' --json", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, one, cap), 0);
    cJSON *jm = json_of(one), *ra = cJSON_GetObjectItemCaseSensitive(ja, "rows"), *rm = cJSON_GetObjectItemCaseSensitive(jm, "rows");
    assert_int_equal(cJSON_GetArraySize(rm), 3);
    static const char *const project[3] = {"FDRY-H100-7B-s2048-8", "FDRY-A100-40G-7B-s2048-32", "NEMO-LLAMA31-8B-8"};
    static const char *const node[3] = {"DGX_H100", "DGX_A100_40GB", "DGX_H100"};
    static const char *const model[3] = {"", "", "Llama3_8B"};
    static const double tol[3] = {0.0, 1e-3, 0.0};
    for (int i = 0; i < 3; i++) {
        cJSON *m = cJSON_GetArrayItem(rm, i), *p = NULL;
        assert_string_equal(str(m, "hardware_from"), node[i]);
        assert_string_equal(str(m, "model_from"), model[i]);
        assert_string_equal(str(m, "split"), "heldout");
        for (int k = 0; k < cJSON_GetArraySize(ra) && !p; k++)
            if (!strcmp(str(cJSON_GetArrayItem(ra, k), "id"), project[i])) p = cJSON_GetArrayItem(ra, k);
        assert_non_null(p);
        double a = num(p, "predicted_step_time_s"), b = num(m, "predicted_step_time_s");
        assert_true(fabs(b - a) <= tol[i] * a);
        assert_true(num(m, "measured_step_time_s") == num(p, "measured_step_time_s"));
    }
    cJSON_Delete(jm);
    cJSON_Delete(ja);
    snprintf(args, sizeof args, "validate --table '%s/mlsysim/validation/serving.csv'", MLSB_SOURCE_DIR);
    assert_int_equal(run(args, 0, one, cap), 0);
    assert_non_null(strstr(one, "tokens/s per GPU held-out"));
    assert_null(strstr(one, "tokens/s per accelerator"));
    free(all);
    free(one);
}

/* validate --table on a table kept elsewhere (no calibration.csv beside it) takes the project's
 * calibration.csv and stacks.csv, says which, and predicts every row as the project's table does;
 * a --calibration file that cannot be read is refused, naming it. */
static void test_validate_elsewhere(void **state)
{
    (void)state;
    char src[1024], dst[512], args[2048];
    snprintf(src, sizeof src, "%s/mlsysim/validation/runs.csv", MLSB_SOURCE_DIR);
    snprintf(dst, sizeof dst, "%s/runs.csv", tmpdir);
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    assert_non_null(in);
    assert_non_null(out);
    char line[8192];
    while (fgets(line, sizeof line, in)) fputs(line, out);
    fclose(in);
    fclose(out);
    setenv("MLSB_SOURCE_DIR", MLSB_SOURCE_DIR, 1);
    size_t cap = 8u << 20;
    char *a = malloc(cap), *b = malloc(cap);
    assert_non_null(a);
    assert_non_null(b);
    snprintf(args, sizeof args, "validate --table '%s' --json", src);
    assert_int_equal(run(args, 0, a, cap), 0);
    snprintf(args, sizeof args, "validate --table '%s' --json", dst);
    assert_int_equal(run(args, 0, b, cap), 0);
    cJSON *ja = json_of(a), *jb = json_of(b);
    assert_non_null(strstr(str(jb, "calibration_file"), "mlsysim/validation/calibration.csv"));
    assert_non_null(strstr(str(jb, "stacks_file"), "mlsysim/validation/stacks.csv"));
    cJSON *ra = cJSON_GetObjectItemCaseSensitive(ja, "rows"), *rb = cJSON_GetObjectItemCaseSensitive(jb, "rows");
    assert_true(cJSON_GetArraySize(ra) > 200);
    assert_int_equal(cJSON_GetArraySize(ra), cJSON_GetArraySize(rb));
    for (int i = 0; i < cJSON_GetArraySize(ra); i++)
        assert_true(num(cJSON_GetArrayItem(ra, i), "predicted_step_time_s") == num(cJSON_GetArrayItem(rb, i), "predicted_step_time_s"));
    cJSON_Delete(jb);
    /* the same table with its split column blanked: with the project's figures every row is held
     * out, the calibration line is empty ("-") and each row keeps the project's baseline, taken from
     * the calibration rows of the table beside the calibration.csv */
    in = fopen(src, "r");
    out = fopen(dst, "w");
    assert_non_null(in);
    assert_non_null(out);
    while (fgets(line, sizeof line, in)) {
        char *p;
        if ((p = strstr(line, "\",calibration,")) || (p = strstr(line, "\",heldout,"))) {
            char *end = strchr(p + 2, ',');
            memmove(p + 2, end, strlen(end) + 1);
        }
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
    snprintf(args, sizeof args, "validate --table '%s' --json", dst);
    assert_int_equal(run(args, 0, b, cap), 0);
    jb = json_of(b);
    rb = cJSON_GetObjectItemCaseSensitive(jb, "rows");
    assert_int_equal(cJSON_GetArraySize(ra), cJSON_GetArraySize(rb));
    for (int i = 0; i < cJSON_GetArraySize(ra); i++) {
        assert_string_equal(str(cJSON_GetArrayItem(rb, i), "split"), "heldout");
        assert_true(fabs(num(cJSON_GetArrayItem(ra, i), "baseline_error") - num(cJSON_GetArrayItem(rb, i), "baseline_error")) < 1e-9);
    }
    assert_int_equal((int)num(cJSON_GetObjectItemCaseSensitive(jb, "heldout"), "rows"), cJSON_GetArraySize(rb));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(jb, "figures_elsewhere")));
    assert_non_null(strstr(str(jb, "baseline_table"), "mlsysim/validation/runs.csv"));
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    snprintf(args, sizeof args, "validate --table '%s'", dst);
    assert_int_equal(run(args, 0, b, cap), 0);
    assert_non_null(strstr(b, "calibration (in-sample)        0              -"));
    assert_non_null(strstr(b, "rows without a split are held out"));
    snprintf(args, sizeof args, "validate --table '%s' --calibration '%s/none.csv'", dst, tmpdir);
    assert_int_equal(run(args, 1, a, cap), 1);
    assert_non_null(strstr(a, "none.csv"));
    /* one's own rows dropped into a copy of the folder, beside the project's calibration.csv and
     * stacks.csv: none of the stacks' calibrated_on rows is there, so the figures were chosen on
     * another table; the rows are held out, predicted as the project predicts them, and it says so */
    char cal[512], stk[512], part[512];
    const char *const copies[2][2] = {{"calibration.csv", cal}, {"stacks.csv", stk}};
    snprintf(cal, sizeof cal, "%s/calibration.csv", tmpdir);
    snprintf(stk, sizeof stk, "%s/stacks.csv", tmpdir);
    for (int k = 0; k < 2; k++) {
        snprintf(line, sizeof line, "%s/mlsysim/validation/%s", MLSB_SOURCE_DIR, copies[k][0]);
        in = fopen(line, "r");
        out = fopen(copies[k][1], "w");
        assert_non_null(in);
        assert_non_null(out);
        while (fgets(line, sizeof line, in)) fputs(line, out);
        fclose(in);
        fclose(out);
    }
    snprintf(part, sizeof part, "%s/mine.csv", tmpdir);
    /* and T2-PTDP-175B-384 as if its batch were published as 1537 sequences, which its 4 replicas
     * cannot share: predicted at 1536 */
    table_with_variant(dst, part, "FDRY-A100-7B-s2048-8,", ",1536,1,", ",1537,1,", "UB");
    snprintf(args, sizeof args, "validate --table '%s' --json", part);
    assert_int_equal(run(args, 0, b, cap), 0);
    jb = json_of(b);
    rb = cJSON_GetObjectItemCaseSensitive(jb, "rows");
    assert_int_equal(cJSON_GetArraySize(rb), 3);
    cJSON *ub = cJSON_GetArrayItem(rb, 1);
    assert_string_equal(str(ub, "id"), "UB-PTDP-175B-384");
    assert_true(num(ub, "global_batch") == 1537 && num(ub, "global_batch_predicted") == 1536);
    assert_true(num(cJSON_GetArrayItem(rb, 0), "global_batch_predicted") == 1536);
    assert_true(fabs(num(ub, "tokens_error") - num(cJSON_GetArrayItem(rb, 0), "tokens_error")) < 1e-9);
    cJSON_DetachItemFromArray(rb, 1);
    cJSON_Delete(ub);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(jb, "figures_elsewhere")));
    assert_non_null(strstr(str(jb, "stacks_file"), tmpdir));
    assert_int_equal(run("validate --json", 0, a, cap), 0);
    ja = json_of(a);
    ra = cJSON_GetObjectItemCaseSensitive(ja, "rows");
    int same = 0;
    for (int i = 0; i < 2; i++) {
        cJSON *mine = cJSON_GetArrayItem(rb, i);
        assert_string_equal(str(mine, "split"), "heldout");
        for (int k = 0; k < cJSON_GetArraySize(ra); k++)
            if (!strcmp(str(cJSON_GetArrayItem(ra, k), "id"), str(mine, "id")))
                same += num(cJSON_GetArrayItem(ra, k), "predicted_step_time_s") == num(mine, "predicted_step_time_s");
    }
    assert_int_equal(same, 2);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    snprintf(args, sizeof args, "validate --table '%s'", part);
    assert_int_equal(run(args, 0, b, cap), 0);
    assert_non_null(strstr(b, "figures chosen on another table"));
    /* the Megatron-LM row takes no stacks.csv entry and the text says so; llm-foundry has one */
    assert_non_null(strstr(b, "or alias, at their generation's figures alone: Megatron-LM)"));
    assert_non_null(strstr(b, "(1 row's global batch does not divide among the data-parallel replicas"));
    /* a row whose layout the engine refuses (pp 13: tp·pp = 104 does not divide 384): said with its
     * line, the other rows predicted and summarised, exit code 1 */
    table_with_variant(dst, part, NULL, ",8,12,1,1536,", ",8,13,1,1536,", "RX");
    snprintf(args, sizeof args, "validate --table '%s' --json", part);
    assert_int_equal(run(args, 0, b, cap), 1);
    jb = json_of(b);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(jb, "rows")), 1);
    cJSON *np = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(jb, "not_predicted"), 0);
    assert_string_equal(str(np, "id"), "RX-PTDP-175B-384");
    assert_non_null(strstr(str(np, "reason"), "does not divide 384 accelerators"));
    cJSON_Delete(jb);
    snprintf(args, sizeof args, "validate --table '%s'", part);
    assert_int_equal(run(args, 1, b, cap), 1);
    assert_non_null(strstr(b, "(1 row not predicted (the reasons above): RX-PTDP-175B-384;"));
    assert_non_null(strstr(b, "held-out (out-of-sample)       1"));
    assert_non_null(strstr(b, "mlsysim validate: "));                 /* the reason, on stderr */
    assert_non_null(strstr(b, ": RX-PTDP-175B-384: parallelism: tp·pp·cp = 104 does not divide 384 accelerators"));
    /* the same row with its eight hardware columns blank: the registry's DGX A100 (its fabric's
     * α 5 µs where the row gives 7), said in the text and JSON hardware_from */
    table_with_variant(dst, part, NULL, ",312,2039,80,8,300,0.5,200,7,", ",,,,,,,,,", "HW");
    snprintf(args, sizeof args, "validate --table '%s' --json", part);
    assert_int_equal(run(args, 0, b, cap), 0);
    jb = json_of(b);
    rb = cJSON_GetObjectItemCaseSensitive(jb, "rows");
    assert_int_equal(cJSON_GetArraySize(rb), 2);
    assert_string_equal(str(cJSON_GetArrayItem(rb, 0), "hardware_from"), "");
    assert_string_equal(str(cJSON_GetArrayItem(rb, 1), "hardware_from"), "DGX_A100");
    assert_true(fabs(num(cJSON_GetArrayItem(rb, 1), "tokens_error") - num(cJSON_GetArrayItem(rb, 0), "tokens_error")) < 1e-3);
    cJSON_Delete(jb);
    snprintf(args, sizeof args, "validate --table '%s'", part);
    assert_int_equal(run(args, 0, b, cap), 0);
    assert_non_null(strstr(b, "(1 row takes its blank hardware columns from the registry's DGX_A100; --json hardware_from)"));
    remove(part);
    remove(cal);
    remove(stk);
    free(a);
    free(b);
    remove(dst);
}

/* parallelism.framework: a plan of an llm-foundry run predicts what `validate` predicts for the
 * same published row (the stack's figures of stacks.csv, FSDP's ZeRO-3 from the name); a given
 * zero_stage (in the plan or by --set) wins over the name; a framework with no figures runs at
 * the generation's (factors 1) and says so. */
/* Writes `plan` as the yaml template with `fw` as its parallelism.framework (and whatever follows it),
 * runs `-o json eval` on it, checks the exit code and returns the parsed result. */
static cJSON *eval_framework(const char *plan, const char *yaml, const char *fw, int want_rc)
{
    char text[1024], args[1024];
    static char buf[65536];
    snprintf(text, sizeof text, yaml, fw);
    write_file(plan, text);
    snprintf(args, sizeof args, "-o json eval '%s'", plan);
    assert_int_equal(run(args, 0, buf, sizeof buf), want_rc);
    return json_of(buf);
}

/* FDRY-A100-7B-s2048-8 of mlsysim/validation/runs.csv as a plan: MPT-7B, 8 A100 80 GB, micro-batch
 * 6, batch 96; %s is the rest of its parallelism section */
static const char mpt7b_yaml[] =
    "version: \"1.0\"\nname: MPT-7B\nworkload:\n"
    "  arch: {layers: 32, hidden: 4096, heads: 32, vocab: 50368, max_pos: 2048, bias: true, layernorm: true, tied_embeddings: true}\n"
    "  mode: training\n  seq_len: 2048\n  batch_size: 96\n"
    "hardware: {accelerator: DGX_A100, nodes: 1, precision: bf16}\n"
    "parallelism: {microbatch: 6, overlap_dp: true, flash_attention: true, %s}\n";

/* `mlsysim validate --json ARGS` on the project's table, parsed (the caller deletes it) */
static cJSON *validate_json(const char *args)
{
    size_t cap = 8u << 20;
    char *v = malloc(cap), cmd[256];
    assert_non_null(v);
    setenv("MLSB_SOURCE_DIR", MLSB_SOURCE_DIR, 1);
    snprintf(cmd, sizeof cmd, "validate --json %s", args);
    assert_int_equal(run(cmd, 0, v, cap), 0);
    cJSON *j = json_of(v);
    free(v);
    return j;
}

static void test_plan_framework(void **state)
{
    (void)state;
    char plan[512], args[2048], buf[65536];
    snprintf(plan, sizeof plan, "%s/fdry.yaml", tmpdir);
    const char *yaml = mpt7b_yaml;
    cJSON *j = eval_framework(plan, yaml, "recompute: none, framework: llm-foundry", 0);
    assert_int_equal((int)num(j, "zero_stage"), 3);
    assert_string_equal(str(j, "framework"), "llm-foundry");
    double step = num(j, "step_time_s");
    cJSON_Delete(j);
    cJSON *jv = validate_json(""), *rows = cJSON_GetObjectItemCaseSensitive(jv, "rows");
    double want = 0;
    for (int i = 0; i < cJSON_GetArraySize(rows); i++)
        if (!strcmp(str(cJSON_GetArrayItem(rows, i), "id"), "FDRY-A100-7B-s2048-8"))
            want = num(cJSON_GetArrayItem(rows, i), "predicted_step_time_s");
    cJSON_Delete(jv);
    assert_true(want > 0 && fabs(step / want - 1.0) < 1e-5);
    /* a framework without figures: the generation's attention figure, a faster step; a name that
     * implies no sharding leaves zero_stage at 0 (7B at ZeRO-0 then does not fit: exit 2) */
    j = eval_framework(plan, yaml, "recompute: none, framework: JAX, zero_stage: 3", 0);
    assert_int_equal((int)num(j, "zero_stage"), 3);
    assert_true(num(j, "step_time_s") < step);
    cJSON_Delete(j);
    snprintf(args, sizeof args, "eval '%s'", plan);
    assert_int_equal(run(args, 1, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "framework JAX: no figures of its own"));
    j = eval_framework(plan, yaml, "recompute: none, framework: JAX", 2);
    assert_int_equal((int)num(j, "zero_stage"), 0);
    cJSON_Delete(j);
    /* a zero_stage given wins over the name (ZeRO-1 does not fit either) */
    j = eval_framework(plan, yaml, "recompute: none, framework: FSDP, zero_stage: 1", 2);
    assert_int_equal((int)num(j, "zero_stage"), 1);
    cJSON_Delete(j);
    /* KO-22B-sel (Korthikanti et al. 2022: 22B, TP 8 with sequence parallelism and selective
     * recompute on one DGX A100) as a plan: with framework Megatron-LM its backward TP collectives
     * run beside the GEMMs, as `validate` predicts the row; without a framework they are
     * synchronous, a slower step */
    static const char ko22b_yaml[] =
        "version: \"1.0\"\nname: GPT-22B\nworkload:\n"
        "  arch: {layers: 48, hidden: 6144, heads: 64, vocab: 51200, max_pos: 2048, bias: true, layernorm: true, tied_embeddings: true}\n"
        "  mode: training\n  seq_len: 2048\n  batch_size: 4\n"
        "hardware: {accelerator: DGX_A100, nodes: 1, precision: bf16}\n"
        "parallelism: {tp: 8, microbatch: 1, sequence_parallel: true, recompute: selective, flash_attention: false%s}\n";
    j = eval_framework(plan, ko22b_yaml, ", framework: Megatron-LM", 0);
    double ko = num(j, "step_time_s");
    cJSON_Delete(j);
    j = eval_framework(plan, ko22b_yaml, "", 0);
    assert_true(num(j, "step_time_s") > ko * 1.01);
    cJSON_Delete(j);
    jv = validate_json("--row KO-22B-sel");
    rows = cJSON_GetObjectItemCaseSensitive(jv, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    assert_int_equal((int)num(cJSON_GetArrayItem(rows, 0), "tp_async"), 1);
    want = num(cJSON_GetArrayItem(rows, 0), "predicted_step_time_s");
    cJSON_Delete(jv);
    assert_true(want > 0 && fabs(ko / want - 1.0) < 1e-5);
    remove(plan);
}

/* Hybrid sharding in plans: on 2 DGX A100 nodes (dp 16) a framework named for it shards inside
 * the node (shard_group 8), plain FSDP over all 16; parallelism.shard_group wins over the name and
 * must divide dp. Half the shards: more weights per GPU. */
static void test_plan_shard_group(void **state)
{
    (void)state;
    char plan[512], yaml[2048];
    snprintf(plan, sizeof plan, "%s/hsdp.yaml", tmpdir);
    snprintf(yaml, sizeof yaml, "%s", mpt7b_yaml);
    char *n1 = strstr(yaml, "nodes: 1");
    assert_non_null(n1);
    n1[7] = '2';
    cJSON *j = eval_framework(plan, yaml, "recompute: none, framework: FSDP-HYBRID_SHARD", 0);
    assert_int_equal((int)num(j, "zero_stage"), 3);
    assert_int_equal((int)num(j, "shard_group"), 8);
    double mem_h = num(j, "memory_per_accelerator_bytes");
    cJSON_Delete(j);
    j = eval_framework(plan, yaml, "recompute: none, framework: FSDP", 0);
    assert_int_equal((int)num(j, "shard_group"), 16);
    assert_true(num(j, "memory_per_accelerator_bytes") < mem_h);
    cJSON_Delete(j);
    j = eval_framework(plan, yaml, "recompute: none, framework: FSDP, shard_group: 4", 0);
    assert_int_equal((int)num(j, "shard_group"), 4);
    cJSON_Delete(j);
    char text[2048], args[1024], buf[65536];
    snprintf(text, sizeof text, yaml, "recompute: none, framework: FSDP, shard_group: 5");
    write_file(plan, text);
    snprintf(args, sizeof args, "eval '%s'", plan);
    assert_int_not_equal(run(args, 1, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "shard_group"));
    remove(plan);
}

/* NVLink SHARP through a node entry: Llama-3 70B on 64 H100 (8 DGX H100 nodes) with TP 8 and no
 * sequence parallelism runs its TP all-reduces (8192 x 8192 x 2 B = 128 MB) through the switch,
 * which DGX_H100 declares (nodes.*.nvls_efficiency); the bare H100 keeps the ring, and with
 * sequence parallelism (a reduce-scatter and an all-gather) so does the node. Same compute, less
 * TP time, by the ring's 2·7/8 bytes at the ring's rate over NVLS's M at 0.74 of it (less the
 * latencies): 1.75 x 0.74 = 1.295. */
static void test_plan_nvls(void **state)
{
    (void)state;
    char plan[512];
    snprintf(plan, sizeof plan, "%s/nvls.yaml", tmpdir);
    const char *yaml = "version: \"1.0\"\nname: nvls\n"
                       "workload: {model: Llama3_70B, mode: training, seq_len: 8192, batch_size: 64}\n"
                       "hardware: {accelerator: %s, count: 64, per_node: 8, precision: bf16, fabric: IB_NDR}\n"
                       "parallelism: {tp: 8, pp: 4, microbatch: 1, recompute: full, sequence_parallel: %s}\n";
    char text[1024];
    snprintf(text, sizeof text, yaml, "DGX_H100", "%s");
    cJSON *node = eval_framework(plan, text, "false", 0);
    snprintf(text, sizeof text, yaml, "H100", "%s");
    cJSON *bare = eval_framework(plan, text, "false", 0);
    assert_string_equal(str(node, "tp_algorithm"), "nvls");
    assert_string_equal(str(bare, "tp_algorithm"), "ring");
    double ratio = num(bare, "tp_communication_s") / num(node, "tp_communication_s");
    assert_true(ratio > 1.25 && ratio < 1.30);
    assert_true(num(node, "step_time_s") < num(bare, "step_time_s"));
    cJSON_Delete(node);
    cJSON_Delete(bare);
    snprintf(text, sizeof text, yaml, "DGX_H100", "%s");
    node = eval_framework(plan, text, "true", 0);
    assert_string_equal(str(node, "tp_algorithm"), "ring");
    cJSON_Delete(node);
    remove(plan);
}

/* Recompute between selective and full in plans: a framework's "selective" is its own
 * (torchtitan's operator-level policy recomputes more than the attention core Megatron-style
 * stacks recompute, and a note says so); recompute_layer_fraction 0.5 with full recompute lands
 * halfway between none and full on one node (no TP collectives), and needs recompute full. */
static void test_plan_recompute_levels(void **state)
{
    (void)state;
    char plan[512], args[1024], buf[65536];
    snprintf(plan, sizeof plan, "%s/rc.yaml", tmpdir);
    const char *yaml = mpt7b_yaml;
    double t[5];
    const char *tails[5] = {"framework: llm-foundry, recompute: selective", "framework: torchtitan, recompute: selective",
                            "framework: torchtitan, recompute: none", "framework: torchtitan, recompute: full",
                            "framework: torchtitan, recompute: full, recompute_layer_fraction: 0.5"};
    for (int i = 0; i < 5; i++) {
        cJSON *j = eval_framework(plan, yaml, tails[i], 0);
        t[i] = num(j, "step_time_s");
        assert_true(num(j, "recompute_layer_fraction") == (i == 3 ? 1.0 : i == 4 ? 0.5 : 0.0));
        cJSON_Delete(j);
    }
    assert_true(t[1] > t[0]);                          /* the same figures (aliases), more recomputed */
    assert_true(t[1] > t[2] && t[1] < t[3]);
    assert_true(fabs(t[4] - (t[2] + t[3]) / 2) < 1e-9 * t[3]);
    snprintf(args, sizeof args, "eval '%s'", plan);
    char text[1024];
    snprintf(text, sizeof text, yaml, tails[1]);
    write_file(plan, text);
    assert_int_equal(run(args, 1, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "operator-level"));
    cJSON_Delete(eval_framework(plan, yaml, "framework: torchtitan, recompute: selective, recompute_layer_fraction: 0.5", 1));
    assert_int_equal(run(args, 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "parallelism.recompute_layer_fraction"));
    /* optimize parallelism searches the framework's selective: a 1.3B model at 40,960 tokens on one
     * A100 does not fit without recompute, fits with torchtitan's, and the search's best is the
     * plan itself (the same step as eval) */
    write_file(plan, "version: \"1.0\"\nname: long\nworkload:\n"
               "  arch: {layers: 24, hidden: 2048, heads: 16, vocab: 50368, max_pos: 40960, bias: true, layernorm: true, tied_embeddings: true}\n"
               "  mode: training\n  seq_len: 40960\n  batch_size: 1\n"
               "hardware: {accelerator: A100, count: 1, precision: bf16}\n"
               "parallelism: {microbatch: 1, flash_attention: true, framework: torchtitan, recompute: selective}\n");
    snprintf(args, sizeof args, "-o json eval '%s'", plan);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    cJSON *e = json_of(buf);
    snprintf(args, sizeof args, "-o json optimize parallelism '%s'", plan);
    assert_int_equal(run(args, 0, buf, sizeof buf), 0);
    cJSON *o = json_of(buf), *best = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "top"), 0);
    assert_string_equal(str(best, "recompute"), "selective");
    assert_true(fabs(num(best, "step_time_s") / num(e, "step_time_s") - 1.0) < 1e-9);
    cJSON_Delete(o);
    cJSON_Delete(e);
    remove(plan);
    /* validate --json says which recompute each run ran: torchtitan's selective op rows
     * operator-level, its selective layer rows full over half the layers */
    cJSON *jv = validate_json("--row TTN-A100-L2-13B"), *rows = cJSON_GetObjectItemCaseSensitive(jv, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 3);
    for (int i = 0; i < 3; i++) {
        cJSON *r = cJSON_GetArrayItem(rows, i);
        const char *id = str(r, "id"), *rc = str(r, "recompute");
        double fr = num(r, "recompute_layer_fraction");
        if (strstr(id, "-none")) assert_true(!strcmp(rc, "none") && fr == 0);
        else if (strstr(id, "-selop")) assert_true(!strcmp(rc, "operator-level") && fr == 0);
        else assert_true(strstr(id, "-sellayer") && !strcmp(rc, "full") && fr == 0.5);
    }
    cJSON_Delete(jv);
}

/* FP8 training (Transformer Engine's recipe): Llama 3 70B on 64 H100 runs faster in fp8 but not
 * twice as fast (attention, logits and element-wise kernels stay 16-bit, the operands are cast),
 * keeps 16-bit weights (plus their FP8 copies), reports MFU against the FP8 peak and runs its linear
 * GEMMs at H100's calibrated fp8_efficiency, or at the plan's efficiency when it names one; on A100,
 * which has no FP8 units, fp8 is emulated and only adds the casts. */
static void test_plan_fp8(void **state)
{
    (void)state;
    char plan[512], args[1024], buf[65536], text[1024];
    snprintf(plan, sizeof plan, "%s/fp8.yaml", tmpdir);
    snprintf(args, sizeof args, "-o json eval '%s'", plan);
    static const char yaml[] = "version: \"1.0\"\nname: l70\nworkload: {model: Llama3_70B, mode: training, seq_len: 8192, batch_size: 64}\n"
                               "hardware: {accelerator: %s, count: 64, per_node: 8, precision: %s, fabric: IB_NDR%s}\n"
                               "parallelism: {tp: 8, pp: 2, microbatch: 1, recompute: selective, sequence_parallel: true, zero_stage: 1}\n";
    cJSON *j[6];
    const char *cases[6][3] = {{"H100", "bf16", ""}, {"H100", "fp8", ""}, {"H100", "fp8", ", efficiency: 0.5"},
                               {"A100", "bf16", ""}, {"A100", "fp8", ""}, {"H100", "bf16", ", efficiency: 0.5"}};
    for (int i = 0; i < 6; i++) {
        snprintf(text, sizeof text, yaml, cases[i][0], cases[i][1], cases[i][2]);
        write_file(plan, text);
        int rc = run(args, 0, buf, sizeof buf);
        assert_true(rc == 0 || rc == 2);                         /* fits or not, the figures are there */
        j[i] = json_of(buf);
    }
    double bf = num(j[0], "step_time_s"), f8 = num(j[1], "step_time_s");
    assert_true(f8 < bf && f8 > 0.5 * bf);
    assert_string_equal(str(j[1], "weight_precision"), "bf16");
    assert_true(fabs(num(j[1], "peak_flop_per_s") / num(j[0], "peak_flop_per_s") - 2.0) < 0.002);   /* 1979 / 989 */
    assert_true(fabs(num(j[1], "mfu") * num(j[1], "peak_flop_per_s") - num(j[0], "mfu") * num(j[0], "peak_flop_per_s") * bf / f8)
                < 1e-9 * num(j[0], "peak_flop_per_s"));
    assert_true(num(j[1], "linear_efficiency") == ms_calibrated_fp8_efficiency("H100"));
    assert_true(num(j[1], "efficiency") == ms_calibrated_efficiency("H100"));
    assert_true(num(j[1], "memory_weights_bytes") > num(j[0], "memory_weights_bytes"));
    assert_true(num(j[1], "memory_gradients_bytes") == num(j[0], "memory_gradients_bytes"));
    assert_null(cJSON_GetObjectItemCaseSensitive(j[0], "linear_efficiency"));
    /* the plan's efficiency, when given, is the linear layers' too: at 0.5 both ways fp8 is faster */
    assert_true(num(j[2], "linear_efficiency") == 0.5);
    assert_true(num(j[2], "step_time_s") < num(j[5], "step_time_s"));
    /* A100: no FP8 units, emulated on its 16-bit ones: the casts only */
    assert_true(num(j[4], "step_time_s") > num(j[3], "step_time_s"));
    for (int i = 0; i < 6; i++) cJSON_Delete(j[i]);
    snprintf(text, sizeof text, yaml, "H100", "fp8", "");
    write_file(plan, text);
    snprintf(args, sizeof args, "eval '%s'", plan);
    run(args, 1, buf, sizeof buf);
    assert_non_null(strstr(buf, "Transformer Engine"));
    remove(plan);
    /* validate: an fp8 row says so in --json and the text says what its eta column means */
    cJSON *jv = validate_json("--row NEMO-NEMOTRON4-15B-16"), *rows = cJSON_GetObjectItemCaseSensitive(jv, "rows");
    int n8 = 0;
    for (int i = 0; i < cJSON_GetArraySize(rows); i++) {
        cJSON *r = cJSON_GetArrayItem(rows, i);
        int is8 = strstr(str(r, "id"), "-FP8") != NULL;
        assert_string_equal(str(r, "precision"), is8 ? "fp8" : "bf16");
        if (is8) {
            n8++;
            assert_true(num(r, "fp8_efficiency") == ms_calibrated_fp8_efficiency("H100"));
            assert_true(num(r, "fp8_separate_casts") == 0);              /* NeMo: TE's fused modules */
        }
    }
    assert_int_equal(n8, 1);
    cJSON_Delete(jv);
    /* llm-foundry's FP8 rows (te.Linear) cast every GEMM input by its own kernel */
    jv = validate_json("--row FDRY-H100-350M-s512-8-FP8");
    rows = cJSON_GetObjectItemCaseSensitive(jv, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    assert_true(num(cJSON_GetArrayItem(rows, 0), "fp8_separate_casts") == 1);
    cJSON_Delete(jv);
    assert_int_equal(run("validate --row NEMO-NEMOTRON4-15B-16", 0, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "1 fp8 rows"));
}

/* validate --breakdown: each run's prediction split into parts that add up to its step (JSON
 * "breakdown", as eval's); --row lists only the runs whose id contains the text, and a text that
 * names no run is refused. */
static void test_validate_breakdown(void **state)
{
    (void)state;
    setenv("MLSB_SOURCE_DIR", MLSB_SOURCE_DIR, 1);
    size_t cap = 16u << 20;
    char *buf = malloc(cap);
    assert_non_null(buf);
    assert_int_equal(run("validate --breakdown --json", 0, buf, cap), 0);
    cJSON *j = json_of(buf), *rows = cJSON_GetObjectItemCaseSensitive(j, "rows");
    int n = cJSON_GetArraySize(rows), zero3 = 0, bubble = 0, host = 0;
    assert_true(n > 200);
    for (int i = 0; i < n; i++) {
        cJSON *r = cJSON_GetArrayItem(rows, i), *bd = cJSON_GetObjectItemCaseSensitive(r, "breakdown");
        assert_true(cJSON_IsArray(bd) && cJSON_GetArraySize(bd) == 11);
        double sum = 0;
        for (int k = 0; k < cJSON_GetArraySize(bd); k++) {
            cJSON *part = cJSON_GetArrayItem(bd, k);
            double sec = num(part, "seconds");
            assert_true(sec >= 0);
            sum += sec;
            if (!strcmp(str(part, "key"), "zero_communication_s") && sec > 0) zero3++;
            if (!strcmp(str(part, "key"), "bubble_s") && sec > 0) bubble++;
            if (!strcmp(str(part, "key"), "host_wait_s") && sec > 0) host++;
        }
        assert_true(fabs(sum / num(r, "predicted_step_time_s") - 1.0) < 1e-4);
    }
    assert_true(zero3 > 0 && bubble > 0);   /* FSDP rows expose gathers, pipelined rows a bubble */
    assert_int_equal(host, 0);              /* no published run's kernels are shorter than their launch */
    cJSON_Delete(j);
    assert_int_equal(run("validate --row FDRY-A100-7B --json", 0, buf, cap), 0);
    j = json_of(buf);
    rows = cJSON_GetObjectItemCaseSensitive(j, "rows");
    assert_true(cJSON_GetArraySize(rows) >= 2);
    for (int i = 0; i < cJSON_GetArraySize(rows); i++) {
        assert_non_null(strstr(str(cJSON_GetArrayItem(rows, i), "id"), "FDRY-A100-7B"));
        assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rows, i), "breakdown"));
    }
    assert_true(num(j, "rows_count") > 200);   /* the summaries stay over the whole table */
    cJSON_Delete(j);
    assert_int_equal(run("validate --row FDRY-A100-7B-s2048-8 --breakdown", 0, buf, cap), 0);
    assert_non_null(strstr(buf, "breakdown of FDRY-A100-7B-s2048-8: measured"));
    assert_non_null(strstr(buf, "ZeRO-3 gathers (exposed)"));
    assert_int_equal(run("validate --breakdown", 0, buf, cap), 0);
    assert_non_null(strstr(buf, "breakdown of each predicted step"));
    assert_int_equal(run("validate --row no-such-run", 1, buf, cap), 1);
    assert_non_null(strstr(buf, "no-such-run"));
    /* --row also lists serving measurements only: a text that names none of the training runs
     * but some of serving.csv's is accepted, and the serving summaries stay over the whole table */
    assert_int_equal(run("validate --row TRT09-A100-L2-7B-fp16-t1-b1-128x128 --json", 0, buf, cap), 0);
    j = json_of(buf);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "rows")), 0);
    cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "serving");
    rows = cJSON_GetObjectItemCaseSensitive(sv, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 3);            /* its first token, ITL and tokens/s */
    for (int i = 0; i < 3; i++) {
        cJSON *r = cJSON_GetArrayItem(rows, i);
        assert_string_equal(str(r, "stack"), "trtllm-0.9");
        assert_string_equal(str(r, "split"), "calibration");
        assert_true(num(r, "decode_overhead_s") > 0 && num(r, "decode_overhead_s") < num(r, "layer_overhead_s"));
        assert_true(num(r, "request_overhead_s") == 0);   /* a benchmark harness: no server */
    }
    assert_true(num(cJSON_GetObjectItemCaseSensitive(sv, "itl_s_heldout"), "rows") > 1000);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sv, "by_stack")) >= 9);
    cJSON_Delete(j);
    /* the NIM's rows: its own stack, whose cost per request was chosen on this one first token */
    assert_int_equal(run("validate --row NIMDLI-A100-L3-8B-fp16-t1-200x1000-ttft --json", 0, buf, cap), 0);
    j = json_of(buf);
    rows = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "serving"), "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    cJSON *nr = cJSON_GetArrayItem(rows, 0);
    assert_string_equal(str(nr, "stack"), "nim-trtllm-0.9");
    assert_string_equal(str(nr, "split"), "calibration");
    assert_true(fabs(num(nr, "request_overhead_s") - 4.1e-3) < 1e-12);
    assert_true(fabs(num(nr, "ttft_s") - num(nr, "predicted")) < 1e-12);
    cJSON_Delete(j);
    assert_int_equal(run("validate --row TRT09-A100-L2-7B-fp16-t1-b1-128x128", 0, buf, cap), 0);
    assert_non_null(strstr(buf, "(3 of "));
    assert_non_null(strstr(buf, "by serving stack"));
    free(buf);
}

/* --power-limit on `eval MODEL HARDWARE` is the plan's hardware.power_limit: in watts or as a
 * quantity, the same numbers either way; the decode step keeps its time, the first token slows;
 * a value that is not a power, or one at the idle floor, exits 1 naming the flag or the field. */
static void test_power_limit_flag(void **state)
{
    (void)state;
    assert_int_equal(run("-o json eval Llama3_8B H100 --batch-size 16", 0, buf, sizeof buf), 0);
    cJSON *free_run = json_of(buf);
    assert_int_equal(run("-o json eval Llama3_8B H100 --batch-size 16 --power-limit 500W", 0, buf, sizeof buf), 0);
    cJSON *j = json_of(buf);
    assert_true(fabs(num(j, "clock_fraction") - 0.839590) < 1e-5);
    assert_true(num(j, "power_limit_w") == 500.0);
    assert_true(num(j, "itl_s") == num(free_run, "itl_s"));
    assert_true(num(j, "ttft_s") > num(free_run, "ttft_s"));
    assert_int_equal(run("-o json eval Llama3_8B H100 --batch-size 16 --power-limit 500", 0, buf, sizeof buf), 0);
    cJSON *w = json_of(buf);
    assert_true(num(w, "ttft_s") == num(j, "ttft_s"));
    cJSON_Delete(w);
    cJSON_Delete(j);
    cJSON_Delete(free_run);
    assert_int_equal(run("eval Llama3_8B H100 --power-limit abc", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "--power-limit"));
    assert_int_equal(run("eval Llama3_8B H100 --power-limit 100", 1, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "idle floor"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoo),
        cmocka_unit_test(test_eval_json_and_exit_codes),
        cmocka_unit_test(test_breakdown),
        cmocka_unit_test(test_serve),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_schema_registry_tiny_compress),
        cmocka_unit_test(test_cli_is_the_library),
        cmocka_unit_test(test_studies),
        cmocka_unit_test(test_solve),
        cmocka_unit_test(test_tiny_kernels),
        cmocka_unit_test(test_scenario),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_workload_kinds),
        cmocka_unit_test(test_validate_elsewhere),
        cmocka_unit_test(test_validate_other_tables),
        cmocka_unit_test(test_plan_framework),
        cmocka_unit_test(test_plan_shard_group),
        cmocka_unit_test(test_plan_recompute_levels),
        cmocka_unit_test(test_plan_fp8),
        cmocka_unit_test(test_validate_breakdown),
        cmocka_unit_test(test_power_limit_flag),
        cmocka_unit_test(test_plan_nvls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
