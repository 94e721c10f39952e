/* capstone.c - the capstone pipeline (capstone.h) on LeNet-5 / Fashion-MNIST.
 *
 * Variants: the fp32 baseline, its int8 post-training quantization (module 15) and, where the build has
 * module 16, the baseline with half of its convolution channels removed (structured pruning) and a short
 * fine-tune. Each is benchmarked
 * with MLPerf EDU: accuracy mode (Offline, all 10,000 test images) against the closed-division target
 * (>= 99 % of the fp32 reference), SingleStream (p90, early-stopping estimate) and Offline (samples/s).
 * The Pareto frontier is accuracy vs SingleStream p90 vs parameter bytes. The submission
 * (<out>/capstone/submission.json) is checked against tinytorch/src/20_capstone/submission.schema.json.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capstone.h"
#include "ms_common.h"
#include "mlperf_edu/session.h"
#include "tinytorch/bench.h"
#include "tinytorch/capstone.h"
#include "tinytorch/fileio.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

/* module 16 (compression) is part of this build when its header is */
#if defined(__has_include)
#if __has_include("tinytorch/compress.h")
#define CAPSTONE_HAVE_COMPRESS 1
#endif
#endif
#ifndef CAPSTONE_HAVE_COMPRESS
#define CAPSTONE_HAVE_COMPRESS 0
#endif

#define MAX_RESULTS 12
#define PRUNE_FRACTION 0.5

typedef struct entry {
    char workload[32], scenario[16], mode[16], dir[1400];
    bool valid, has_acc, acc_met;
    double metric, accuracy, target;
    const char *unit;
} entry;

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void add_entry(entry *e, int *n, const char *workload, const mle_outcome *out)
{
    if (*n >= MAX_RESULTS) {
        return;
    }
    entry *x = &e[(*n)++];
    const mle_result *r = &out->result;
    snprintf(x->workload, sizeof x->workload, "%s", workload);
    snprintf(x->scenario, sizeof x->scenario, "%s", mle_scenario_name(r->settings.scenario));
    snprintf(x->mode, sizeof x->mode, "%s", r->settings.mode == MLE_ACCURACY ? "accuracy" : "performance");
    snprintf(x->dir, sizeof x->dir, "%s", out->dir);
    x->valid = r->valid;
    x->metric = r->metric;
    x->unit = r->metric_unit ? r->metric_unit : "";
    x->has_acc = r->settings.mode == MLE_ACCURACY;
    x->accuracy = out->accuracy;
    x->target = out->accuracy_target;
    x->acc_met = out->accuracy_target_met;
}

/* One variant: accuracy, SingleStream, Offline. Fills *pt and the entries. Returns 0 or 2 (printed). */
static int bench_variant(const char *name, mle_workload *w, const char *results, double min_dur, bool quick,
                         entry *e, int *n, tt_pareto_point *pt, bool *acc_met, bool *ss_valid, bool *off_valid)
{
    char err[1024];
    mle_run_opts ro = {0};
    ro.workload = name;
    ro.out_dir = results;
    ro.quiet = true;
    mle_outcome out;

    ro.settings = mle_settings_default(MLE_OFFLINE);
    ro.settings.mode = MLE_ACCURACY;
    if (mle_session_run(w, &ro, &out, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    add_entry(e, n, name, &out);
    *acc_met = out.accuracy_target_met;
    pt->accuracy = out.accuracy;
    printf("  %-12s accuracy %.2f %% (fp32 reference %.2f %%, target >= %.2f %%)  %s\n", name, 100 * out.accuracy,
           100 * out.reference_accuracy, 100 * out.accuracy_target, out.accuracy_target_met ? "met" : "MISSED");
    mle_outcome_free(&out);

    ro.settings = mle_settings_default(MLE_SINGLE_STREAM);
    ro.settings.min_duration_s = min_dur;
    ro.settings.min_query_count = quick ? 100 : 1024;
    if (mle_session_run(w, &ro, &out, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    add_entry(e, n, name, &out);
    *ss_valid = out.result.valid;
    pt->latency_s = out.result.early_stop_s;
    double mean = out.result.lat_mean_s;
    printf("  %-12s SingleStream p90 %.4f ms (early stopping), %llu queries  %s\n", name, 1e3 * out.result.early_stop_s,
           (unsigned long long)out.result.queries_issued, out.result.valid ? "VALID" : "INVALID");
    mle_outcome_free(&out);

    /* Offline: expected rate from SingleStream (batches of 64 are faster), corrected up to twice if the
     * one query finished before min_duration: at least double the last expectation, and at least 1.5x
     * the rate just measured (on a busy machine the next run may go much faster than this one) */
    ro.settings = mle_settings_default(MLE_OFFLINE);
    ro.settings.min_duration_s = min_dur;
    ro.settings.min_query_count = quick ? 1000 : 24576;
    ro.settings.target_qps = mean > 0 ? 4.0 / mean : 10000.0;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (mle_session_run(w, &ro, &out, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            return 2;
        }
        if (out.result.valid || out.result.min_duration_met || attempt == 2) {
            break;
        }
        double measured = 1.5 * out.result.metric, doubled = 2.0 * ro.settings.target_qps;
        ro.settings.target_qps = measured > doubled ? measured : doubled;
        mle_outcome_free(&out);
    }
    add_entry(e, n, name, &out);
    *off_valid = out.result.valid;
    printf("  %-12s Offline %.0f samples/s over %.1f s  %s\n", name, out.result.metric, out.result.duration_s,
           out.result.valid ? "VALID" : "INVALID");
    mle_outcome_free(&out);
    snprintf(pt->name, sizeof pt->name, "%s", name);
    pt->size_bytes = (double)mle_workload_param_bytes(w);
    return 0;
}

static int write_text_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    return tt_write_file_atomic(path, text, strlen(text), err, errlen);
}

int tt_capstone_run(const tt_capstone_opts *o, tt_milestone_result *res)
{
    const char *out = o->out_dir ? o->out_dir : "runs";
    char capdir[1100], results[1200], err[2048], path[1400];
    snprintf(capdir, sizeof capdir, "%s/capstone", out);
    snprintf(results, sizeof results, "%s/mlperf-results", capdir);
    if (tt_mkdir_p(capdir, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    double min_dur = o->min_duration_s > 0 ? o->min_duration_s : (o->quick ? 1.0 : 10.0);
    const char *skipped[4];
    int n_skipped = 0;

    /* 1. baseline */
    char m04[1100];
    snprintf(m04, sizeof m04, "%s/04_cnn_lenet5_fashion_mnist.safetensors", out);
    const char *ck = o->checkpoint ? o->checkpoint : (file_exists(m04) ? m04 : NULL);
    printf("1. baseline: LeNet-5 fp32, weights %s\n", ck ? ck : "(none yet: training them)");
    mle_workload_opts wo = {0};
    wo.name = "lenet5";
    wo.checkpoint = ck;
    wo.data_dir = o->data_dir;
    wo.out_dir = out;
    wo.train_epochs = o->epochs > 0 ? o->epochs : (o->quick ? 1 : 3);
    wo.quiet = true;
    mle_workload *w;
    if (mle_workload_open(&wo, &w, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    char weights[1200];
    snprintf(weights, sizeof weights, "%s", mle_workload_checkpoint(w));
    tt_ms_result_str(res, "weights", weights);

    /* 2-4. what this build has */
    char prof_json[1300], prof_svg[1300], top[64];
    snprintf(prof_json, sizeof prof_json, "%s/profile.json", capdir);
    snprintf(prof_svg, sizeof prof_svg, "%s/profile.svg", capdir);
    double step_s = 0.0;
    if (mle_workload_profile(w, 64, o->quick ? 3 : 10, prof_json, prof_svg, &step_s, top, sizeof top, err,
                             sizeof err) == 0) {
        printf("2. profile (module 14): training step of 64 images %.2f ms, largest share: %s; %s, %s\n",
               1e3 * step_s, top, prof_json, prof_svg);
        tt_ms_result_num(res, "profile.step_ms", 1e3 * step_s);
        tt_ms_result_str(res, "profile.largest_layer", top);
        tt_ms_result_str(res, "profile_svg", prof_svg);
    } else {
        printf("2. profile (module 14): failed (%s), skipped\n", err);
        skipped[n_skipped++] = "profile (module 14): failed";
    }
    printf("3. quantize (module 15): int8 post-training quantization\n");
#if CAPSTONE_HAVE_COMPRESS
    /* quick: one epoch over 20,000 training images (a few seconds); else the 2 epochs of 'tito compress' */
    const int ft_epochs = o->quick ? 1 : 2;
    const int64_t ft_samples = o->quick ? 20000 : 0;
    printf("4. prune (module 16): structured, %.0f %% of the conv channels removed, %d epoch%s of fine-tuning%s; "
           "distillation skipped (see 'tito compress --distill')\n",
           100 * PRUNE_FRACTION, ft_epochs, ft_epochs == 1 ? "" : "s", o->quick ? " on 20,000 images" : "");
    skipped[n_skipped++] = "distill (module 16): not in the capstone";
#else
    printf("4. prune / distill (module 16): not in this build, skipped\n");
    skipped[n_skipped++] = "prune/distill (module 16): not in this build";
#endif

    /* 5. benchmark */
    printf("5. benchmark (MLPerf EDU, min duration %.0f s per performance run)\n", min_dur);
    fflush(stdout);
    entry e[MAX_RESULTS];
    int n = 0;
    tt_pareto_point pts[3];
    memset(pts, 0, sizeof pts);
    bool acc_met = false, ss_valid = false, off_valid = false;
    int rc = bench_variant("lenet5", w, results, min_dur, o->quick, e, &n, &pts[0], &acc_met, &ss_valid, &off_valid);
    mle_workload_close(w);
    int npts = rc == 0 ? 1 : 0;
    if (rc == 0) {
        wo.name = "lenet5-int8";
        wo.checkpoint = weights;
        if (mle_workload_open(&wo, &w, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            return 2;
        }
        bool a8, s8, o8;
        rc = bench_variant("lenet5-int8", w, results, min_dur, o->quick, e, &n, &pts[1], &a8, &s8, &o8);
        mle_workload_close(w);
        npts += rc == 0;
        tt_ms_result_num(res, "int8.accuracy", pts[1].accuracy);
        tt_ms_result_num(res, "int8.singlestream_p90_ms", 1e3 * pts[1].latency_s);
        tt_ms_result_num(res, "int8.param_bytes", pts[1].size_bytes);
    }
#if CAPSTONE_HAVE_COMPRESS
    if (rc == 0) {
        wo.name = "lenet5";
        wo.checkpoint = weights;
        wo.prune_channels = PRUNE_FRACTION;
        wo.finetune_epochs = ft_epochs;
        wo.finetune_samples = ft_samples;
        if (mle_workload_open(&wo, &w, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            return 2;
        }
        bool ap, sp, op;
        rc = bench_variant("lenet5-pruned", w, results, min_dur, o->quick, e, &n, &pts[npts], &ap, &sp, &op);
        mle_workload_close(w);
        if (rc == 0) {
            tt_ms_result_num(res, "pruned.accuracy", pts[npts].accuracy);
            tt_ms_result_num(res, "pruned.singlestream_p90_ms", 1e3 * pts[npts].latency_s);
            tt_ms_result_num(res, "pruned.param_bytes", pts[npts].size_bytes);
            npts++;
        }
    }
#endif
    if (rc != 0) {
        return 2;
    }

    /* 6. Pareto frontier */
    int on = tt_pareto_mark(pts, npts);
    char pj[1300], ps[1300];
    snprintf(pj, sizeof pj, "%s/pareto.json", capdir);
    snprintf(ps, sizeof ps, "%s/pareto.svg", capdir);
    if (tt_pareto_write_json(pj, pts, npts, err, sizeof err) != 0 || tt_pareto_write_svg(ps, pts, npts, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    printf("6. Pareto frontier (accuracy, SingleStream p90, bytes): %d of %d variants on it: %s, %s\n", on, npts, pj, ps);

    /* 7. submission */
    bool goal = acc_met && ss_valid && off_valid;
    cJSON *sub = cJSON_CreateObject();
    cJSON_AddNumberToObject(sub, "schema_version", 1);
    cJSON_AddStringToObject(sub, "division", "closed");
    tt_machine mach;
    tt_machine_fingerprint(&mach);
    cJSON *sys = cJSON_AddObjectToObject(sub, "system");
    cJSON_AddStringToObject(sys, "cpu_model", mach.cpu_model);
    cJSON_AddNumberToObject(sys, "logical_cpus", mach.logical_cpus);
    cJSON_AddStringToObject(sys, "compiler", mach.compiler);
    cJSON_AddStringToObject(sys, "isa", mach.isa);
    cJSON_AddStringToObject(sys, "governor", mach.governor);
    cJSON_AddStringToObject(sys, "build_flags", mach.build_flags);
    cJSON_AddStringToObject(sys, "os", mach.os);
    cJSON *arr = cJSON_AddArrayToObject(sub, "results");
    for (int i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "workload", e[i].workload);
        cJSON_AddStringToObject(x, "scenario", e[i].scenario);
        cJSON_AddStringToObject(x, "mode", e[i].mode);
        cJSON_AddBoolToObject(x, "valid", e[i].valid);
        cJSON_AddItemToObject(x, "metric", isfinite(e[i].metric) ? cJSON_CreateNumber(e[i].metric) : cJSON_CreateNull());
        cJSON_AddStringToObject(x, "unit", e[i].unit);
        if (e[i].has_acc) {
            cJSON_AddNumberToObject(x, "accuracy", e[i].accuracy);
            cJSON_AddNumberToObject(x, "accuracy_target", e[i].target);
            cJSON_AddBoolToObject(x, "accuracy_target_met", e[i].acc_met);
        }
        cJSON_AddStringToObject(x, "results_dir", e[i].dir);
        cJSON_AddItemToArray(arr, x);
    }
    cJSON *par = cJSON_AddArrayToObject(sub, "pareto");
    for (int i = 0; i < npts; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", pts[i].name);
        cJSON_AddNumberToObject(x, "accuracy", pts[i].accuracy);
        cJSON_AddNumberToObject(x, "latency_s", pts[i].latency_s);
        cJSON_AddNumberToObject(x, "size_bytes", pts[i].size_bytes);
        cJSON_AddBoolToObject(x, "on_frontier", pts[i].on_frontier);
        cJSON_AddItemToArray(par, x);
    }
    cJSON *sk = cJSON_AddArrayToObject(sub, "skipped");
    for (int i = 0; i < n_skipped; i++) {
        cJSON_AddItemToArray(sk, cJSON_CreateString(skipped[i]));
    }
    cJSON_AddBoolToObject(sub, "goal_met", goal);
    char *txt = cJSON_Print(sub);
    cJSON_Delete(sub);
    snprintf(path, sizeof path, "%s/submission.json", capdir);
    if (!txt || write_text_atomic(path, txt, err, sizeof err) != 0) {
        free(txt);
        fprintf(stderr, "error: %s\n", txt ? err : "out of memory");
        return 2;
    }
    free(txt);
    const char *schema = MLSB_SOURCE_DIR "/tinytorch/src/20_capstone/submission.schema.json";
    bool conforms = tt_schema_validate_files(schema, path, err, sizeof err) == 0;
    printf("7. submission: %s  %s\n", path, conforms ? "conforms to submission.schema.json" : "does NOT conform:");
    if (!conforms) {
        printf("   %s\n", err);
    }
    tt_ms_result_str(res, "submission", path);
    tt_ms_result_num(res, "submission_conforms", conforms);
    tt_ms_result_num(res, "fp32.accuracy", pts[0].accuracy);
    tt_ms_result_num(res, "fp32.accuracy_target_met", acc_met);
    tt_ms_result_num(res, "fp32.singlestream_p90_ms", 1e3 * pts[0].latency_s);
    tt_ms_result_num(res, "fp32.singlestream_valid", ss_valid);
    tt_ms_result_num(res, "fp32.offline_valid", off_valid);
    for (int i = 0; i < n; i++) {
        if (strcmp(e[i].workload, "lenet5") == 0 && strcmp(e[i].scenario, "Offline") == 0 &&
            strcmp(e[i].mode, "performance") == 0) {
            tt_ms_result_num(res, "fp32.offline_samples_per_s", e[i].metric);
        }
    }
    tt_ms_result_num(res, "fp32.param_bytes", pts[0].size_bytes);
    tt_ms_result_num(res, "pareto_frontier_size", on);
    tt_ms_result_str(res, "pareto_svg", ps);
    char sk_list[256] = "";
    for (int i = 0; i < n_skipped; i++) {
        size_t used = strlen(sk_list);
        snprintf(sk_list + used, sizeof sk_list - used, "%s%s", i ? "; " : "", skipped[i]);
    }
    tt_ms_result_str(res, "skipped", sk_list);
    return goal && conforms ? 0 : 1;
}
