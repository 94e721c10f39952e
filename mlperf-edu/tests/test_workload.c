/* test_workload.c - the LeNet-5 workload through the LoadGen, on the real Fashion-MNIST test set:
 *   - bad input: an unknown workload, a checkpoint of another model (refused, naming the file);
 *   - accuracy mode scores every sample exactly as the batched fp32 reference does (same weights, so
 *     the same predictions) and the closed-division target (>= 99 % of it) is met;
 *   - a short SingleStream and Offline performance run are VALID; the session writes the logs,
 *     result.json and manifest.json, and report/verify read them back;
 *   - the int8 workload quantizes the same weights and answers every sample.
 * Weights are a seeded random LeNet-5 (training takes a minute; accuracy is then ~10 %, which is fine:
 * the checks compare the SUT with the reference, not with a goal). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mle_internal.h"
#include "mlperf_edu/report.h"
#include "mlperf_edu/session.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"
#include "tinytorch/data.h"
#include "tinytorch/transformer.h"

static char dir[64], ckpt[128], wrong[128], data[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mle_wl_XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    const char *env = getenv("MLSB_DATA");
    snprintf(data, sizeof data, "%s", env && *env ? env : MLSB_SOURCE_DIR "/data");
    char probe[1100];
    snprintf(probe, sizeof probe, "%s/fashion-mnist/t10k-labels-idx1-ubyte.gz", data);
    if (access(probe, R_OK) != 0) {
        snprintf(data, sizeof data, "/usr/share/datasets");
    }
    char err[512];
    tt_rng r;
    tt_rng_seed(&r, 7);
    tt_layer *m = tt_lenet5_new(&r);
    snprintf(ckpt, sizeof ckpt, "%s/lenet.safetensors", dir);
    int rc = tt_checkpoint_save(ckpt, m, NULL, NULL, 0, err, sizeof err);
    tt_layer_free(m);
    tt_layer *l = tt_linear_new(784, 10, true, TT_INIT_PYTORCH, &r);
    snprintf(wrong, sizeof wrong, "%s/linear.safetensors", dir);
    rc |= tt_checkpoint_save(wrong, l, NULL, NULL, 0, err, sizeof err);
    tt_layer_free(l);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static mle_workload_opts opts(const char *name, const char *ck)
{
    mle_workload_opts o = {0};
    o.name = name;
    o.checkpoint = ck;
    o.data_dir = data;
    o.out_dir = dir;
    o.quiet = true;
    return o;
}

static void test_bad_input(void **state)
{
    (void)state;
    char err[1024];
    mle_workload *w = NULL;
    mle_workload_opts o = opts("resnet50", ckpt);
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), -1);
    assert_null(w);
    assert_non_null(strstr(err, "unknown workload 'resnet50'"));
    o = opts("lenet5", wrong);
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, wrong));
    assert_non_null(strstr(err, "LeNet-5 checkpoint"));
    o = opts("lenet5", ckpt);
    o.data_dir = "/nonexistent-data";
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, "--data"));
}

static void test_accuracy_and_performance(void **state)
{
    (void)state;
    char err[1024];
    mle_workload *w;
    mle_workload_opts o = opts("lenet5", ckpt);
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), 0);
    assert_int_equal(mle_workload_params(w), 61706);

    mle_run_opts ro = {0};
    ro.settings = mle_settings_default(MLE_OFFLINE);
    ro.settings.mode = MLE_ACCURACY;
    ro.workload = "lenet5";
    ro.out_dir = dir;
    ro.quiet = true;
    mle_outcome out;
    assert_int_equal(mle_session_run(w, &ro, &out, err, sizeof err), 0);
    assert_true(out.result.valid);
    assert_int_equal(out.result.acc_count, 10000);
    assert_true(out.reference_accuracy > 0.0 && out.reference_accuracy < 1.0);
    assert_true(fabs(out.accuracy - out.reference_accuracy) <= 2e-4); /* batch-order rounding at most */
    assert_true(out.accuracy_target_met);
    assert_float_equal(out.accuracy_target, 0.99 * out.reference_accuracy, 1e-12);
    mle_outcome_free(&out);

    ro.settings = mle_settings_default(MLE_SINGLE_STREAM);
    ro.settings.min_duration_s = 0.3;
    ro.settings.min_query_count = 100;
    assert_int_equal(mle_session_run(w, &ro, &out, err, sizeof err), 0);
    assert_true(out.result.valid);
    assert_true(out.result.p90_s > 0.0 && out.result.p90_s < 0.5);
    /* Offline is VALID only if its 1.1 x target_qps x min_duration samples take min_duration: a
     * target from this machine's batch-1 speed, 40x its single-stream rate (batches of 64 ran 5.4x
     * faster than batch 1 on an AVX-512 machine: 137,596 against 25,350 images/s, int8_infer) */
    const double target_qps = 40.0 / out.result.p50_s;
    mle_outcome_free(&out);

    ro.settings = mle_settings_default(MLE_OFFLINE);
    ro.settings.min_duration_s = 0.1;
    ro.settings.target_qps = target_qps;
    assert_int_equal(mle_session_run(w, &ro, &out, err, sizeof err), 0);
    assert_int_equal(out.result.settings.offline_samples, (uint64_t)ceil(1.1 * target_qps * 0.1 - 1e-6));
    assert_int_equal(out.result.samples_completed, out.result.settings.offline_samples);
    if (!out.result.valid) fail_msg("offline: %s", out.result.recommendation);
    assert_true(out.result.metric > 0.0);
    char path[1600];
    snprintf(path, sizeof path, "%s/manifest.json", out.dir);
    unsigned char *txt;
    size_t len;
    assert_int_equal(tt_read_file(path, &txt, &len, err, sizeof err), 0);
    cJSON *m = cJSON_ParseWithLength((const char *)txt, len);
    free(txt);
    assert_non_null(m);
    char hex[65];
    assert_int_equal(mle_sha256_file(ckpt, hex, err, sizeof err), 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "weights"), "sha256")->valuestring, hex);
    assert_int_equal(strlen(cJSON_GetObjectItem(m, "settings_sha256")->valuestring), 64);
    cJSON_Delete(m);
    mle_outcome_free(&out);

    /* report and verify read the folder back: 3 runs, every check passes */
    assert_int_equal(mle_report(dir, 0, path, sizeof path, err, sizeof err), 3);
    assert_int_equal(mle_verify(dir, stdout, err, sizeof err), 0);
    mle_workload_close(w);
}

static void test_int8(void **state)
{
    (void)state;
    char err[1024];
    mle_workload *w;
    mle_workload_opts o = opts("lenet5-int8", ckpt);
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), 0);
    assert_true(mle_workload_param_bytes(w) < (size_t)mle_workload_params(w) * 4 / 3);
    mle_run_opts ro = {0};
    ro.settings = mle_settings_default(MLE_OFFLINE);
    ro.settings.mode = MLE_ACCURACY;
    ro.workload = "lenet5-int8";
    ro.quiet = true;
    mle_outcome out;
    assert_int_equal(mle_session_run(w, &ro, &out, err, sizeof err), 0);
    assert_true(out.result.valid);
    assert_true(out.accuracy > 0.0);
    assert_true(fabs(out.accuracy - out.reference_accuracy) < 0.05);
    mle_outcome_free(&out);
    mle_workload_close(w);
}

/* lenet5 with module 16's structured pruning: half the conv channels go, the reference stays the
 * unpruned model's; pruning the int8 workload or a fraction outside (0, 1) is refused */
static void test_pruned(void **state)
{
    (void)state;
    char err[1024];
    mle_workload *w = NULL;
    mle_workload_opts o = opts("lenet5-int8", ckpt);
    o.prune_channels = 0.5;
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), -1);
    assert_null(w);
    assert_non_null(strstr(err, "only the fp32 workload 'lenet5' can be pruned"));
    o = opts("lenet5", ckpt);
    o.prune_channels = 1.0;
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, "prune_channels must be in (0, 1)"));

    o = opts("lenet5", ckpt);
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), 0);
    const double ref = mle_workload_reference_accuracy(w);
    mle_workload_close(w);
    o.prune_channels = 0.5;
    o.finetune_epochs = 1;
    o.finetune_samples = 2000;
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), 0);
    /* conv 1->3 and 3->8 channels (5x5), 200-120-84-10: 78 + 608 + 24,120 + 10,164 + 850 */
    assert_int_equal(mle_workload_params(w), 35820);
    assert_int_equal(mle_workload_param_bytes(w), 35820 * 4);
    assert_non_null(strstr(mle_workload_model(w), "50 % of its conv channels removed"));
    assert_float_equal(mle_workload_reference_accuracy(w), ref, 0.0);
    mle_run_opts ro = {0};
    ro.settings = mle_settings_default(MLE_OFFLINE);
    ro.settings.mode = MLE_ACCURACY;
    ro.workload = "lenet5-pruned";
    ro.out_dir = dir;
    ro.quiet = true;
    mle_outcome out;
    assert_int_equal(mle_session_run(w, &ro, &out, err, sizeof err), 0);
    assert_true(out.result.valid);
    assert_float_equal(out.reference_accuracy, ref, 0.0);
    assert_true(out.accuracy > 0.1); /* better than chance after the fine-tune */
    mle_outcome_free(&out);
    mle_workload_close(w);
}

/* A small random character GPT saved the way milestone 05 saves its model. */
static void save_gpt(const char *path)
{
    const char *vocab = "32,46,63,65,81,58,97,101,105,111,116,110,115,114,104,108";
    tt_gpt_config cfg = {17, 64, 32, 2, 4, true, false};
    tt_rng r;
    tt_rng_seed(&r, 5);
    tt_gpt *g = tt_gpt_new(&cfg, &r);
    char cfgs[256], err[512];
    snprintf(cfgs, sizeof cfgs, "{\"vocab_size\": 17, \"context\": 64, \"dim\": 32, \"layers\": 2, \"heads\": 4, "
             "\"tied_head\": true}");
    tt_kv meta[3] = {{"model", "tinytorch.gpt"}, {"config", cfgs}, {"vocab_codepoints", vocab}};
    assert_int_equal(tt_safetensors_save(path, &g->params, meta, 3, err, sizeof err), 0);
    tt_gpt_free(g);
}

static void test_gpt(void **state)
{
    (void)state;
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/gpt.safetensors", dir);
    save_gpt(path);
    mle_workload *w;
    mle_workload_opts o = opts("gpt-char", ckpt); /* a LeNet-5 file: refused */
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a character-GPT checkpoint"));
    o = opts("gpt-char", path);
    assert_int_equal(mle_workload_open(&o, &w, err, sizeof err), 0);
    mle_run_opts ro = {0};
    ro.settings = mle_settings_default(MLE_SINGLE_STREAM);
    ro.settings.mode = MLE_ACCURACY;
    ro.workload = "gpt-char";
    ro.quiet = true;
    mle_outcome out;
    assert_int_equal(mle_session_run(w, &ro, &out, err, sizeof err), 0);
    assert_true(out.result.valid);
    assert_true(out.result.acc_count >= 100); /* one sample per Q/A pair of the corpus (at most 128) */
    /* the KV-cached SUT generates what the uncached reference generates */
    assert_true(fabs(out.accuracy - out.reference_accuracy) <= 0.01);
    assert_true(out.accuracy_target_met);
    mle_outcome_free(&out);
    ro.settings = mle_settings_default(MLE_SINGLE_STREAM);
    ro.settings.min_duration_s = 0.2;
    ro.settings.min_query_count = 70;
    assert_int_equal(mle_session_run(w, &ro, &out, err, sizeof err), 0);
    assert_true(out.result.valid);
    assert_true(out.result.has_tokens);
    assert_int_equal(out.result.tokens, 32 * out.result.queries_issued);
    assert_true(out.result.ttft_p50_s > 0.0 && out.result.tpot_p50_s > 0.0);
    assert_true(out.result.ttft_p50_s < out.result.p50_s);
    mle_outcome_free(&out);
    mle_workload_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_accuracy_and_performance),
        cmocka_unit_test(test_int8),
        cmocka_unit_test(test_pruned),
        cmocka_unit_test(test_gpt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
