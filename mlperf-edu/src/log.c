/* log.c - a run's logs in MLPerf LoadGen's formats:
 *   mlperf_log_summary.txt   the human-readable verdict (same section layout and key names as LoadGen)
 *   mlperf_log_detail.txt    one ":::MLLOG {json}" line per fact: {"key", "value", "time_ms",
 *                            "namespace": "mlperf::logging", "event_type": "POINT_IN_TIME", "metadata"}
 *   mlperf_log_accuracy.json accuracy mode: [{"seq_id", "qsl_idx", "data": "<hex bytes>"}, ...]
 * Every file is written to <name>.tmp, fsynced and renamed, so a crash never leaves half a log. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mlperf_edu/loadgen.h"
#include "mle_internal.h"
#include "tinytorch/fileio.h"

#define APPEND(...)                                                                                \
    do {                                                                                           \
        int k_ = snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, __VA_ARGS__);      \
        at += k_ > 0 ? (size_t)k_ : 0;                                                             \
    } while (0)

static const char *yn(bool b)
{
    return b ? "Yes" : "NO";
}

size_t mle_summary_text(const mle_result *r, char *buf, size_t len)
{
    const mle_settings *s = &r->settings;
    size_t at = 0;
    const char *bar = "================================================\n";
    APPEND("%sMLPerf Results Summary\n%s", bar, bar);
    APPEND("SUT name : %s\nScenario : %s\nMode     : %s\n", r->sut_name, mle_scenario_name(s->scenario),
           mle_mode_name(s->mode));
    if (s->mode == MLE_PERFORMANCE) {
        if (r->metric_unit && strcmp(r->metric_unit, "s") == 0) {
            APPEND("%s : %.0f\n", r->metric_name, r->metric * 1e9);
        } else {
            APPEND("%s : %.2f\n", r->metric_name, r->metric);
        }
    }
    APPEND("Result is : %s\n", r->valid ? "VALID" : "INVALID");
    if (s->mode == MLE_PERFORMANCE) {
        APPEND("  Min duration satisfied : %s\n  Min queries satisfied : %s\n", yn(r->min_duration_met),
               yn(r->min_queries_met));
        if (s->scenario == MLE_SERVER) {
            APPEND("  Performance constraints satisfied : %s\n", yn(r->perf_constraints_met));
        }
        if (s->scenario != MLE_OFFLINE) {
            APPEND("  Early stopping satisfied: %s\n", yn(r->early_stopping_met));
        }
    }
    if (r->recommendation[0]) {
        APPEND("Recommendations:\n * %s\n", r->recommendation);
    }
    APPEND("\n%sAdditional Stats\n%s", bar, bar);
    if (s->scenario == MLE_SINGLE_STREAM) {
        APPEND("QPS w/ loadgen overhead         : %.2f\nQPS w/o loadgen overhead        : %.2f\n",
               r->qps_with_overhead, r->qps_without_overhead);
    } else if (s->scenario == MLE_SERVER) {
        APPEND("Completed samples per second    : %.2f\n", r->qps_with_overhead);
    }
    APPEND("\n");
    const char *what = s->scenario == MLE_MULTI_STREAM ? "query" : "sample";
    const struct { const char *k; double v; } st[] = {
        {"Min latency (ns)", r->lat_min_s}, {"Max latency (ns)", r->lat_max_s}, {"Mean latency (ns)", r->lat_mean_s},
        {"50.00 percentile latency (ns)", r->p50_s}, {"90.00 percentile latency (ns)", r->p90_s},
        {"95.00 percentile latency (ns)", r->p95_s}, {"97.00 percentile latency (ns)", r->p97_s},
        {"99.00 percentile latency (ns)", r->p99_s}, {"99.90 percentile latency (ns)", r->p999_s}};
    APPEND("(%s latencies)\n", what);
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        APPEND("%-32s: %.0f\n", st[i].k, st[i].v * 1e9);
    }
    if (r->has_tokens) {
        APPEND("\n(token latencies: %llu output tokens, %.1f tokens/s)\n", (unsigned long long)r->tokens,
               r->tokens_per_s);
        const struct { const char *k; double v; } tk[] = {
            {"Mean First Token latency (ns)", r->ttft_mean_s}, {"50.00 percentile first token latency (ns)", r->ttft_p50_s},
            {"90.00 percentile first token latency (ns)", r->ttft_p90_s},
            {"99.00 percentile first token latency (ns)", r->ttft_p99_s},
            {"Mean Time to Output Token (ns)", r->tpot_mean_s}, {"50.00 percentile time to output token (ns)", r->tpot_p50_s},
            {"90.00 percentile time to output token (ns)", r->tpot_p90_s},
            {"99.00 percentile time to output token (ns)", r->tpot_p99_s}};
        for (size_t i = 0; i < sizeof tk / sizeof tk[0]; i++) {
            APPEND("%-44s: %.0f\n", tk[i].k, tk[i].v * 1e9);
        }
    }
    APPEND("\n%sTest Parameters Used\n%s", bar, bar);
    APPEND("samples_per_query : %d\ntarget_qps : %g\ntarget_latency (ns): %.0f\n", s->samples_per_query,
           s->target_qps, s->target_latency_s * 1e9);
    APPEND("target_percentile : %g\nmin_duration (ms): %.0f\nmax_duration (ms): %.0f\n", s->target_percentile,
           s->min_duration_s * 1e3, s->max_duration_s * 1e3);
    APPEND("min_query_count : %llu\nmax_query_count : %llu\n", (unsigned long long)s->min_query_count,
           (unsigned long long)s->max_query_count);
    APPEND("qsl_rng_seed : %llu\nschedule_rng_seed : %llu\nperformance_sample_count : %zu\n",
           (unsigned long long)s->sample_seed, (unsigned long long)s->schedule_seed, s->performance_sample_count);
    if (s->scenario == MLE_OFFLINE) {
        APPEND("offline_samples : %llu\n", (unsigned long long)s->offline_samples);
    }
    /* Server latencies count from the scheduled arrival: a LoadGen that issued late (a busy machine)
     * made every sample look slower by that much; past 5 % of the latency bound the summary says so */
    if (s->scenario == MLE_SERVER && r->issue_delay_mean_s > MLE_ISSUE_DELAY_WARN * s->target_latency_s) {
        APPEND("\n1 warning encountered during test:\n * LoadGen issued queries %.0f us late on average "
               "(max %.0f us), more than %.0f %% of the latency bound: the machine was busy, and every "
               "latency includes the delay.\n",
               r->issue_delay_mean_s * 1e6, r->issue_delay_max_s * 1e6, 100.0 * MLE_ISSUE_DELAY_WARN);
    } else {
        APPEND("\nNo warnings encountered during test.\n");
    }
    APPEND("\n%s errors encountered during test.\n", r->response_errors ? "Some" : "No");
    return at;
}

/* A growing text buffer. */
typedef struct sbuf { char *p; size_t n, cap; bool oom; } sbuf;

static void sb_put(sbuf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->n + k + 1) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}

/* One ":::MLLOG" line; takes ownership of value. */
static void mllog(sbuf *b, const char *key, cJSON *value, double time_ms)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", key);
    cJSON_AddItemToObject(o, "value", value);
    cJSON_AddNumberToObject(o, "time_ms", time_ms);
    cJSON_AddStringToObject(o, "namespace", "mlperf::logging");
    cJSON_AddStringToObject(o, "event_type", "POINT_IN_TIME");
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddBoolToObject(md, "is_error", false);
    cJSON_AddBoolToObject(md, "is_warning", false);
    cJSON_AddStringToObject(md, "file", "loadgen.c");
    cJSON_AddNumberToObject(md, "pid", (double)getpid());
    char *txt = cJSON_PrintUnformatted(o);
    if (txt) {
        sb_put(b, ":::MLLOG ");
        sb_put(b, txt);
        sb_put(b, "\n");
        free(txt);
    } else {
        b->oom = true;
    }
    cJSON_Delete(o);
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

int mle_write_logs(const char *dir, const mle_result *r, char *err, size_t errlen)
{
    char path[4096];
    size_t cap = 16384;
    char *text = malloc(cap);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = mle_summary_text(r, text, cap);
    snprintf(path, sizeof path, "%s/mlperf_log_summary.txt", dir);
    int rc = tt_write_file_atomic(path, text, n < cap ? n : cap - 1, err, errlen);
    free(text);
    if (rc != 0) {
        return -1;
    }

    const mle_settings *s = &r->settings;
    sbuf b = {0};
    double end_ms = r->duration_s * 1e3;
    char date[64];
    time_t t = (time_t)r->start_epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    mllog(&b, "loadgen_version", cJSON_CreateString("mlperf-edu " MLE_VERSION), 0);
    mllog(&b, "test_datetime", cJSON_CreateString(date), 0);
    mllog(&b, "sut_name", cJSON_CreateString(r->sut_name), 0);
    mllog(&b, "effective_scenario", cJSON_CreateString(mle_scenario_name(s->scenario)), 0);
    mllog(&b, "effective_test_mode", cJSON_CreateString(mle_mode_name(s->mode)), 0);
    mllog(&b, "effective_samples_per_query", cJSON_CreateNumber(s->samples_per_query), 0);
    mllog(&b, "effective_target_qps", cJSON_CreateNumber(s->target_qps), 0);
    mllog(&b, "effective_target_latency_ns", cJSON_CreateNumber(s->target_latency_s * 1e9), 0);
    mllog(&b, "effective_target_latency_percentile", cJSON_CreateNumber(s->target_percentile), 0);
    mllog(&b, "effective_min_duration_ms", cJSON_CreateNumber(s->min_duration_s * 1e3), 0);
    mllog(&b, "effective_max_duration_ms", cJSON_CreateNumber(s->max_duration_s * 1e3), 0);
    mllog(&b, "effective_min_query_count", cJSON_CreateNumber((double)s->min_query_count), 0);
    mllog(&b, "effective_max_query_count", cJSON_CreateNumber((double)s->max_query_count), 0);
    mllog(&b, "effective_qsl_rng_seed", cJSON_CreateNumber((double)s->sample_seed), 0);
    mllog(&b, "effective_schedule_rng_seed", cJSON_CreateNumber((double)s->schedule_seed), 0);
    mllog(&b, "effective_performance_sample_count", cJSON_CreateNumber((double)s->performance_sample_count), 0);
    mllog(&b, "generated_query_count", cJSON_CreateNumber((double)r->queries_issued), 0);
    mllog(&b, "generated_samples_per_query", cJSON_CreateNumber(s->samples_per_query), 0);
    mllog(&b, "result_queries_issued", cJSON_CreateNumber((double)r->queries_issued), end_ms);
    mllog(&b, "result_samples_issued", cJSON_CreateNumber((double)r->samples_issued), end_ms);
    mllog(&b, "result_samples_completed", cJSON_CreateNumber((double)r->samples_completed), end_ms);
    mllog(&b, "result_response_errors", cJSON_CreateNumber((double)r->response_errors), end_ms);
    mllog(&b, "result_duration_ns", cJSON_CreateNumber(r->duration_s * 1e9), end_ms);
    mllog(&b, "result_final_issue_ns", cJSON_CreateNumber(r->final_issue_s * 1e9), end_ms);
    if (s->mode == MLE_PERFORMANCE) {
        const struct { const char *k; double v; } lat[] = {
            {"result_min_latency_ns", r->lat_min_s}, {"result_max_latency_ns", r->lat_max_s},
            {"result_mean_latency_ns", r->lat_mean_s}, {"result_50.00_percentile_latency_ns", r->p50_s},
            {"result_90.00_percentile_latency_ns", r->p90_s}, {"result_95.00_percentile_latency_ns", r->p95_s},
            {"result_97.00_percentile_latency_ns", r->p97_s}, {"result_99.00_percentile_latency_ns", r->p99_s},
            {"result_99.90_percentile_latency_ns", r->p999_s}};
        for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
            mllog(&b, lat[i].k, num_or_null(lat[i].v * 1e9), end_ms);
        }
        mllog(&b, "result_qps_with_loadgen_overhead", num_or_null(r->qps_with_overhead), end_ms);
        mllog(&b, "result_qps_without_loadgen_overhead", num_or_null(r->qps_without_overhead), end_ms);
        if (s->scenario == MLE_SERVER) {
            mllog(&b, "result_scheduled_samples_per_sec", num_or_null(r->scheduled_qps), end_ms);
            mllog(&b, "result_overlatency_query_count", cJSON_CreateNumber((double)r->overlatency), end_ms);
            mllog(&b, "result_perf_constraints_met", cJSON_CreateBool(r->perf_constraints_met), end_ms);
            mllog(&b, "result_issue_delay_mean_ns", num_or_null(r->issue_delay_mean_s * 1e9), end_ms);
            mllog(&b, "result_issue_delay_max_ns", num_or_null(r->issue_delay_max_s * 1e9), end_ms);
        }
        if (s->scenario == MLE_OFFLINE) {
            mllog(&b, "result_samples_per_second", num_or_null(r->metric), end_ms);
        }
        if (s->scenario == MLE_SINGLE_STREAM || s->scenario == MLE_MULTI_STREAM) {
            mllog(&b, "early_stopping_latency_ns", num_or_null(r->early_stop_s * 1e9), end_ms);
        }
        if (r->has_tokens) {
            mllog(&b, "result_token_count", cJSON_CreateNumber((double)r->tokens), end_ms);
            mllog(&b, "result_first_token_mean_latency_ns", num_or_null(r->ttft_mean_s * 1e9), end_ms);
            mllog(&b, "result_first_token_99.00_percentile_latency_ns", num_or_null(r->ttft_p99_s * 1e9), end_ms);
            mllog(&b, "result_time_to_output_token_mean_ns", num_or_null(r->tpot_mean_s * 1e9), end_ms);
            mllog(&b, "result_time_to_output_token_99.00_percentile_ns", num_or_null(r->tpot_p99_s * 1e9), end_ms);
            mllog(&b, "result_tokens_per_second", num_or_null(r->tokens_per_s), end_ms);
        }
        mllog(&b, "early_stopping_min_queries", cJSON_CreateNumber((double)r->early_stop_min_queries), end_ms);
        mllog(&b, "early_stopping_met", cJSON_CreateBool(r->early_stopping_met), end_ms);
        mllog(&b, "result_min_duration_met", cJSON_CreateBool(r->min_duration_met), end_ms);
        mllog(&b, "result_min_queries_met", cJSON_CreateBool(r->min_queries_met), end_ms);
    }
    mllog(&b, "result_validity", cJSON_CreateString(r->valid ? "VALID" : "INVALID"), end_ms);
    snprintf(path, sizeof path, "%s/mlperf_log_detail.txt", dir);
    rc = b.oom ? -1 : tt_write_file_atomic(path, b.p, b.n, err, errlen);
    if (b.oom) {
        snprintf(err, errlen, "out of memory writing the detail log");
    }
    free(b.p);
    if (rc != 0 || s->mode != MLE_ACCURACY) {
        return rc;
    }

    sbuf a = {0};
    sb_put(&a, "[\n");
    char line[160];
    for (size_t i = 0; i < r->acc_count; i++) {
        snprintf(line, sizeof line, "%s{\"seq_id\": %zu, \"qsl_idx\": %zu, \"data\": \"", i ? ",\n" : "", i, i);
        sb_put(&a, line);
        for (size_t k = 0; r->acc_data[i] && k < r->acc_size[i]; k++) {
            snprintf(line, sizeof line, "%02X", r->acc_data[i][k]);
            sb_put(&a, line);
        }
        sb_put(&a, "\"}");
    }
    sb_put(&a, "\n]\n");
    snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", dir);
    rc = a.oom ? -1 : tt_write_file_atomic(path, a.p, a.n, err, errlen);
    if (a.oom) {
        snprintf(err, errlen, "out of memory writing the accuracy log");
    }
    free(a.p);
    return rc;
}
