/* session.c - the run-score-predict-write sequence of session.h, and the Server searches built on it. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mle_internal.h"
#include "mlperf_edu/session.h"
#include "tinytorch/bench.h"
#include "tinytorch/fileio.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

int mle_calibrate_service(mle_workload *w, double seconds, double **service, size_t *n, char *err, size_t errlen)
{
    mle_settings s = mle_settings_default(MLE_SINGLE_STREAM);
    s.min_duration_s = seconds;
    s.min_query_count = 200;
    mle_workload_set_max_batch(w, 1);
    mle_result r;
    if (mle_run_test(mle_workload_sut(w), mle_workload_qsl(w), &s, &r, err, errlen) != 0) {
        return -1;
    }
    *service = r.latencies_s;
    *n = r.n_latencies;
    r.latencies_s = NULL;
    mle_result_free(&r);
    return 0;
}

/* One Server run at q; *valid gets the verdict. Returns 0 or -1. */
static int server_probe(mle_workload *w, double q, double bound_s, double run_s, uint64_t seed, bool quiet,
                        bool *valid, char *err, size_t errlen)
{
    mle_settings s = mle_settings_default(MLE_SERVER);
    s.target_qps = q;
    s.target_latency_s = bound_s;
    s.min_duration_s = run_s;
    s.min_query_count = 1000;
    s.schedule_seed += seed;
    mle_result r;
    if (mle_run_test(mle_workload_sut(w), mle_workload_qsl(w), &s, &r, err, errlen) != 0) {
        return -1;
    }
    if (!quiet) {
        fprintf(stderr, "  server %8.1f qps: p99 %.3f ms  %s\n", q, r.p99_s * 1e3, r.valid ? "VALID" : "INVALID");
    }
    *valid = r.valid;
    mle_result_free(&r);
    return 0;
}

int mle_find_max_qps(mle_workload *w, double bound_s, double lo, double hi, int steps, double run_s, bool quiet,
                     double *max_qps, char *err, size_t errlen)
{
    mle_workload_set_max_batch(w, 1);
    *max_qps = 0.0;
    bool ok = false;
    uint64_t k = 0;
    /* find a VALID floor: lo, then lo/2, lo/4, lo/8 */
    for (int i = 0; i < 4 && !ok; i++) {
        if (server_probe(w, lo, bound_s, run_s, k++, quiet, &ok, err, errlen) != 0) {
            return -1;
        }
        if (!ok) {
            hi = lo;
            lo *= 0.5;
        }
    }
    if (!ok) {
        return 0;
    }
    for (int i = 0; i < steps; i++) {
        double q = 0.5 * (lo + hi);
        if (server_probe(w, q, bound_s, run_s, k++, quiet, &ok, err, errlen) != 0) {
            return -1;
        }
        *(ok ? &lo : &hi) = q;
    }
    *max_qps = lo;
    return 0;
}

/* ---- result.json and manifest.json ------------------------------------------------------------- */

static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *machine_json(void)
{
    tt_machine m;
    tt_machine_fingerprint(&m);
    char buf[2048];
    tt_machine_json(&m, buf, sizeof buf);
    cJSON *j = cJSON_Parse(buf);
    return j ? j : cJSON_CreateNull();
}

static cJSON *settings_json(const mle_settings *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "scenario", mle_scenario_name(s->scenario));
    cJSON_AddStringToObject(j, "mode", mle_mode_name(s->mode));
    cJSON_AddItemToObject(j, "target_qps", num(s->target_qps));
    cJSON_AddItemToObject(j, "target_latency_s", num(s->target_latency_s));
    cJSON_AddItemToObject(j, "target_percentile", num(s->target_percentile));
    cJSON_AddNumberToObject(j, "samples_per_query", s->samples_per_query);
    cJSON_AddNumberToObject(j, "min_query_count", (double)s->min_query_count);
    cJSON_AddNumberToObject(j, "min_duration_s", s->min_duration_s);
    cJSON_AddNumberToObject(j, "max_query_count", (double)s->max_query_count);
    cJSON_AddNumberToObject(j, "max_duration_s", s->max_duration_s);
    cJSON_AddNumberToObject(j, "offline_samples", (double)s->offline_samples);
    cJSON_AddNumberToObject(j, "performance_sample_count", (double)s->performance_sample_count);
    cJSON_AddNumberToObject(j, "sample_seed", (double)s->sample_seed);
    cJSON_AddNumberToObject(j, "schedule_seed", (double)s->schedule_seed);
    return j;
}

static cJSON *outcome_json(mle_workload *w, const mle_run_opts *o, const mle_outcome *out)
{
    const mle_result *r = &out->result;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "workload", o->workload ? o->workload : "");
    cJSON_AddStringToObject(j, "model", mle_workload_model(w));
    cJSON_AddNumberToObject(j, "params", (double)mle_workload_params(w));
    cJSON_AddNumberToObject(j, "param_bytes", (double)mle_workload_param_bytes(w));
    cJSON_AddStringToObject(j, "sut", r->sut_name);
    cJSON_AddStringToObject(j, "scenario", mle_scenario_name(r->settings.scenario));
    cJSON_AddStringToObject(j, "mode", mle_mode_name(r->settings.mode));
    cJSON_AddStringToObject(j, "division", "closed");
    cJSON_AddBoolToObject(j, "valid", r->valid);
    cJSON_AddStringToObject(j, "why", r->recommendation);
    cJSON_AddItemToObject(j, "metric", num(r->metric));
    cJSON_AddStringToObject(j, "metric_name", r->metric_name ? r->metric_name : "");
    cJSON_AddStringToObject(j, "metric_unit", r->metric_unit ? r->metric_unit : "");
    cJSON_AddNumberToObject(j, "queries", (double)r->queries_issued);
    cJSON_AddNumberToObject(j, "samples", (double)r->samples_completed);
    cJSON_AddNumberToObject(j, "duration_s", r->duration_s);
    cJSON_AddItemToObject(j, "qps", num(r->qps_with_overhead));
    cJSON *lat = cJSON_AddObjectToObject(j, "latency_s");
    cJSON_AddItemToObject(lat, "min", num(r->lat_min_s));
    cJSON_AddItemToObject(lat, "mean", num(r->lat_mean_s));
    cJSON_AddItemToObject(lat, "p50", num(r->p50_s));
    cJSON_AddItemToObject(lat, "p90", num(r->p90_s));
    cJSON_AddItemToObject(lat, "p99", num(r->p99_s));
    cJSON_AddItemToObject(lat, "max", num(r->lat_max_s));
    cJSON_AddItemToObject(lat, "early_stopping_estimate", num(r->early_stop_s));
    if (r->settings.scenario == MLE_SERVER) {
        cJSON_AddItemToObject(lat, "issue_delay_mean", num(r->issue_delay_mean_s));
        cJSON_AddItemToObject(lat, "issue_delay_max", num(r->issue_delay_max_s));
    }
    if (r->has_tokens) {
        cJSON *tk = cJSON_AddObjectToObject(j, "tokens");
        cJSON_AddNumberToObject(tk, "count", (double)r->tokens);
        cJSON_AddItemToObject(tk, "per_s", num(r->tokens_per_s));
        cJSON_AddItemToObject(tk, "ttft_p50_s", num(r->ttft_p50_s));
        cJSON_AddItemToObject(tk, "ttft_p90_s", num(r->ttft_p90_s));
        cJSON_AddItemToObject(tk, "ttft_p99_s", num(r->ttft_p99_s));
        cJSON_AddItemToObject(tk, "tpot_mean_s", num(r->tpot_mean_s));
        cJSON_AddItemToObject(tk, "tpot_p90_s", num(r->tpot_p90_s));
        cJSON_AddItemToObject(tk, "tpot_p99_s", num(r->tpot_p99_s));
    }
    cJSON *chk = cJSON_AddObjectToObject(j, "checks");
    cJSON_AddBoolToObject(chk, "min_queries_met", r->min_queries_met);
    cJSON_AddBoolToObject(chk, "min_duration_met", r->min_duration_met);
    cJSON_AddBoolToObject(chk, "early_stopping_met", r->early_stopping_met);
    cJSON_AddBoolToObject(chk, "perf_constraints_met", r->perf_constraints_met);
    if (r->settings.mode == MLE_ACCURACY) {
        cJSON *a = cJSON_AddObjectToObject(j, "accuracy");
        cJSON_AddItemToObject(a, "measured", num(out->accuracy));
        cJSON_AddItemToObject(a, "fp32_reference", num(out->reference_accuracy));
        cJSON_AddItemToObject(a, "target", num(out->accuracy_target));
        cJSON_AddBoolToObject(a, "target_met", out->accuracy_target_met);
    }
    if (out->has_prediction) {
        const mle_prediction *p = &out->pred;
        cJSON *pj = cJSON_AddObjectToObject(j, "prediction");
        cJSON_AddStringToObject(pj, "model", p->model);
        cJSON_AddItemToObject(pj, "service_mean_s", num(p->service_mean_s));
        cJSON_AddItemToObject(pj, "service_cv", num(p->service_cv));
        cJSON_AddItemToObject(pj, "utilization", num(p->utilization));
        cJSON_AddItemToObject(pj, "predicted_p99_s", num(p->p_s));
        cJSON_AddItemToObject(pj, "measured_p99_s", num(r->p99_s));
        cJSON_AddItemToObject(pj, "predicted_max_qps", num(p->max_qps));
        cJSON_AddItemToObject(pj, "predicted_p99_mmc_s", num(p->p_mmc_s));
        cJSON_AddItemToObject(pj, "predicted_max_qps_mmc", num(p->max_qps_mmc));
    }
    cJSON_AddItemToObject(j, "settings", settings_json(&r->settings));
    cJSON_AddItemToObject(j, "machine", machine_json());
    return j;
}

static int write_json(const char *path, cJSON *j, char *err, size_t errlen)
{
    char *txt = cJSON_Print(j);
    if (!txt) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t n = strlen(txt);
    txt[n] = 0;
    char *withnl = malloc(n + 2);
    int rc = -1;
    if (withnl) {
        memcpy(withnl, txt, n);
        withnl[n] = '\n';
        withnl[n + 1] = 0;
        rc = tt_write_file_atomic(path, withnl, n + 1, err, errlen);
    } else {
        snprintf(err, errlen, "%s: out of memory", path);
    }
    free(withnl);
    free(txt);
    return rc;
}

static int write_manifest(mle_workload *w, const char *dir, cJSON *result, char *err, size_t errlen)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "algorithm", "SHA-256");
    char hex[65];
    size_t files = 0;
    const char *subdirs[] = {"tinytorch/src", "tinytorch/include", "mlperf-edu/src", "mlperf-edu/include",
                             "mlsysim/src", "mlsysim/include"};
    cJSON *src = cJSON_AddObjectToObject(m, "source_tree");
    cJSON_AddItemToObject(src, "dirs", cJSON_CreateStringArray(subdirs, 6));
    if (mle_sha256_tree(MLSB_SOURCE_DIR, subdirs, 6, hex, &files, err, errlen) == 0 && files > 0) {
        cJSON_AddStringToObject(src, "sha256", hex);
        cJSON_AddNumberToObject(src, "files", (double)files);
    } else {
        cJSON_AddNullToObject(src, "sha256"); /* an installed binary without its source tree */
    }
    cJSON *wt = cJSON_AddObjectToObject(m, "weights");
    cJSON_AddStringToObject(wt, "path", mle_workload_checkpoint(w));
    if (mle_sha256_file(mle_workload_checkpoint(w), hex, err, errlen) != 0) {
        cJSON_Delete(m);
        return -1;
    }
    cJSON_AddStringToObject(wt, "sha256", hex);
    cJSON *data = cJSON_AddArrayToObject(m, "data");
    const char *names[] = {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    struct stat dst;
    bool one_file = stat(mle_workload_data_dir(w), &dst) == 0 && S_ISREG(dst.st_mode); /* a text corpus */
    for (int i = 0; i < (one_file ? 1 : 2); i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s%s%s", mle_workload_data_dir(w), one_file ? "" : "/", one_file ? "" : names[i]);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "path", path);
        if (mle_sha256_file(path, hex, err, errlen) == 0) {
            cJSON_AddStringToObject(d, "sha256", hex);
        } else {
            cJSON_AddNullToObject(d, "sha256");
        }
        cJSON_AddItemToArray(data, d);
    }
    char *st = cJSON_PrintUnformatted(cJSON_GetObjectItem(result, "settings"));
    char *mc = cJSON_PrintUnformatted(cJSON_GetObjectItem(result, "machine"));
    if (st && mc) {
        mle_sha256_text(st, hex);
        cJSON_AddStringToObject(m, "settings_sha256", hex);
        mle_sha256_text(mc, hex);
        cJSON_AddStringToObject(m, "machine_sha256", hex);
    }
    free(st);
    free(mc);
    char path[1500];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    int rc = write_json(path, m, err, errlen);
    cJSON_Delete(m);
    return rc;
}

int mle_session_run(mle_workload *w, const mle_run_opts *o, mle_outcome *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->accuracy = out->reference_accuracy = out->accuracy_target = NAN;
    const mle_settings *s = &o->settings;
    if (mle_settings_check(s, err, errlen) != 0) {
        return -1;
    }
    if (s->scenario == MLE_SERVER && s->mode == MLE_PERFORMANCE) {
        double *svc = NULL;
        size_t n = 0;
        if (!o->quiet) {
            fprintf(stderr, "calibrating the service time (SingleStream, 2 s) for the queueing prediction\n");
        }
        if (mle_calibrate_service(w, 2.0, &svc, &n, err, errlen) != 0) {
            return -1;
        }
        double pct = s->target_percentile > 0.0 ? s->target_percentile : 0.99;
        out->has_prediction = mle_predict_server(svc, n, 1, s->target_qps, s->target_latency_s, pct, &out->pred,
                                                 err, errlen) == 0;
        free(svc);
    }
    int mb = o->max_batch > 0 ? o->max_batch : (s->scenario == MLE_OFFLINE ? 64 : 1);
    mle_workload_set_max_batch(w, mb);
    if (!o->quiet) {
        fprintf(stderr, "running %s %s (%s), max batch %d\n", o->workload ? o->workload : "",
                mle_scenario_name(s->scenario), mle_mode_name(s->mode), mb);
    }
    if (mle_run_test(mle_workload_sut(w), mle_workload_qsl(w), s, &out->result, err, errlen) != 0) {
        return -1;
    }
    if (s->mode == MLE_ACCURACY) {
        if (mle_workload_score(w, &out->result, &out->accuracy, err, errlen) != 0) {
            mle_outcome_free(out);
            return -1;
        }
        out->reference_accuracy = mle_workload_reference_accuracy(w);
        out->accuracy_target = mle_workload_quality_target(w) * out->reference_accuracy;
        out->accuracy_target_met = out->result.valid && out->accuracy >= out->accuracy_target;
    }
    if (!o->out_dir) {
        return 0;
    }
    snprintf(out->dir, sizeof out->dir, "%s/%s/%s/%s/run_%d", o->out_dir, o->workload ? o->workload : "workload",
             mle_scenario_name(s->scenario), s->mode == MLE_ACCURACY ? "accuracy" : "performance",
             o->run_id > 0 ? o->run_id : 1);
    if (tt_mkdir_p(out->dir, err, errlen) != 0 || mle_write_logs(out->dir, &out->result, err, errlen) != 0) {
        mle_outcome_free(out);
        return -1;
    }
    cJSON *j = outcome_json(w, o, out);
    char path[1500];
    snprintf(path, sizeof path, "%s/result.json", out->dir);
    int rc = write_json(path, j, err, errlen);
    if (rc == 0) {
        rc = write_manifest(w, out->dir, j, err, errlen);
    }
    cJSON_Delete(j);
    if (rc != 0) {
        mle_outcome_free(out);
    }
    return rc;
}

void mle_outcome_free(mle_outcome *o)
{
    mle_result_free(&o->result);
}
