/* loadgen.h - MLPerf EDU's load generator: it drives a system under test (SUT) the way MLCommons'
 * LoadGen does and decides whether a run is VALID.
 *
 * The parts and who owns what:
 *   QSL  (query sample library) owns the data set; LoadGen asks it to load a set of samples into
 *        memory before timing starts and to unload them afterwards. Samples are named by index.
 *   SUT  receives queries (one or more samples) through issue(), runs them on any threads it likes,
 *        and reports each finished sample with mle_complete() from any thread. flush() is called
 *        once after the last query has been issued (a batching SUT sends what it holds).
 *   LoadGen owns the clock. It chooses the sample order (seeded), schedules queries per scenario,
 *        times each sample from its scheduled issue to its completion, and judges the run.
 *
 * Scenarios (MLPerf Inference rules):
 *   SingleStream  one sample per query; the next query is issued when the previous one completes.
 *                 Metric: the 90th percentile latency (early-stopping estimate).
 *   MultiStream   like SingleStream with 8 samples per query; query latency = its slowest sample.
 *                 Metric: the 99th percentile query latency (early-stopping estimate).
 *   Server        one sample per query, issued at Poisson arrival times at target_qps whether or not
 *                 earlier ones finished. VALID needs the 99th percentile latency <= target_latency_s
 *                 and the early-stopping test to pass. Metric: target_qps (scheduled samples/s).
 *   Offline       every sample in one query. Metric: samples per second.
 * Every scenario needs at least min_query_count queries and min_duration_s seconds to be VALID.
 *
 * Accuracy mode issues every sample of the QSL once and keeps every response's bytes, so the
 * workload can score them; its latencies are not a result.
 *
 * Times are seconds (double) in the API and nanoseconds in the MLPerf-format logs.
 */
#ifndef MLPERF_EDU_LOADGEN_H
#define MLPERF_EDU_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { MLE_SINGLE_STREAM = 0, MLE_MULTI_STREAM, MLE_SERVER, MLE_OFFLINE } mle_scenario;
typedef enum { MLE_PERFORMANCE = 0, MLE_ACCURACY } mle_mode;

const char *mle_scenario_name(mle_scenario s);           /* "SingleStream" ... */
/* Parses "SingleStream", "singlestream", "single-stream", "ss" (and so on). Returns 0 or -1. */
int mle_scenario_parse(const char *s, mle_scenario *out);
const char *mle_mode_name(mle_mode m);                   /* "PerformanceOnly" / "AccuracyOnly" */

typedef struct mle_settings {
    mle_scenario scenario;
    mle_mode mode;
    double target_qps;          /* Server: Poisson arrival rate (> 0). Offline: expected samples/s */
    double target_latency_s;    /* Server: the latency bound of the target percentile */
    double target_percentile;   /* 0: the scenario's (0.90 SingleStream, 0.99 MultiStream/Server) */
    int samples_per_query;      /* MultiStream (default 8) */
    uint64_t min_query_count;   /* queries (Offline: samples) needed for VALID */
    double min_duration_s;
    uint64_t max_query_count;   /* 0: no cap. A cap below min_query_count makes the run INVALID */
    double max_duration_s;      /* 0: no cap (SingleStream/MultiStream stop issuing after it) */
    uint64_t offline_samples;   /* Offline: samples in the one query (0: enough for min_duration at
                                   target_qps, at least min_query_count) */
    size_t performance_sample_count; /* samples loaded for a performance run (0: the QSL's choice) */
    uint64_t sample_seed;       /* order of samples */
    uint64_t schedule_seed;     /* Server arrival times */
    double completion_timeout_s; /* stop waiting for a stuck SUT after this (default 60) */
} mle_settings;

/* MLPerf's rules scaled to a classroom: min 1024 queries (Offline: 1024 samples) and 10 s; Server
 * target latency 10 ms. mle_settings_official() uses MLPerf Inference's 600 s and its query counts. */
mle_settings mle_settings_default(mle_scenario s);
mle_settings mle_settings_official(mle_scenario s);
/* Checks the settings; returns 0, or -1 with a message naming the field. */
int mle_settings_check(const mle_settings *s, char *err, size_t errlen);

typedef struct mle_sample { uint64_t id; size_t index; } mle_sample;   /* id: pass back in the response */
/* n_tokens: a generative SUT's output length (0 otherwise); with mle_first_token it gives TPOT. */
typedef struct mle_response { uint64_t id; const void *data; size_t size; int64_t n_tokens; } mle_response;

typedef struct mle_run mle_run;

typedef struct mle_sut {
    const char *name;
    void *ctx;
    /* Receives n samples; must not block for long (queue them and return). */
    void (*issue)(void *ctx, mle_run *run, const mle_sample *samples, size_t n);
    void (*flush)(void *ctx, mle_run *run);           /* may be NULL */
} mle_sut;

typedef struct mle_qsl {
    const char *name;
    void *ctx;
    size_t total_sample_count;
    size_t performance_sample_count;  /* how many fit in memory at once */
    void (*load)(void *ctx, const size_t *indices, size_t n);    /* may be NULL */
    void (*unload)(void *ctx, const size_t *indices, size_t n);  /* may be NULL */
} mle_qsl;

/* Reports finished samples; callable from any thread, any number of times per query. The data is
 * copied in accuracy mode. Unknown or repeated ids are counted as errors, not trusted. */
void mle_complete(mle_run *run, const mle_response *responses, size_t n);
/* A generative SUT reports the first token of sample `id` (any thread, before its completion): the run
 * then reports time to first token (TTFT: first token minus scheduled issue) and time per output token
 * (TPOT: (completion - first token) / (n_tokens - 1)) beside the sample latency. */
void mle_first_token(mle_run *run, uint64_t id);

/* A Server run whose LoadGen issued its queries late by more than this fraction of target_latency_s
 * on average says so in its summary ("1 warning encountered during test"). */
#define MLE_ISSUE_DELAY_WARN 0.05

/* Everything a run measured and decided. */
typedef struct mle_result {
    mle_settings settings;           /* as used (defaults filled in) */
    char sut_name[64];
    uint64_t queries_issued, samples_issued, samples_completed, response_errors;
    double duration_s;               /* first issue to last completion */
    double final_issue_s;            /* scheduled time of the last query, from the start */
    double qps_with_overhead;        /* completed samples / duration */
    double qps_without_overhead;     /* samples / sum of latencies (SingleStream) or as above */
    double scheduled_qps;            /* Server: samples issued / final_issue_s */
    /* Server: how late LoadGen issued its queries after their scheduled arrival times, seconds (mean
     * and max; 0 in the other scenarios, which issue when they schedule). Latency counts from the
     * scheduled time, so a LoadGen held up by other work on the machine adds this to every sample. */
    double issue_delay_mean_s, issue_delay_max_s;   /* past MLE_ISSUE_DELAY_WARN: a summary warning */
    /* sample latencies (MultiStream: query latencies), seconds */
    double lat_min_s, lat_max_s, lat_mean_s, p50_s, p90_s, p95_s, p97_s, p99_s, p999_s;
    double target_percentile_s;      /* the latency at settings.target_percentile */
    double early_stop_s;             /* early-stopping estimate of it (SingleStream/MultiStream) */
    int64_t early_stop_min_queries;  /* queries early stopping needs at the observed tail */
    uint64_t overlatency;            /* Server: samples over target_latency_s */
    bool min_queries_met, min_duration_met, early_stopping_met, perf_constraints_met, timed_out;
    bool valid;
    double metric;                   /* the scenario's headline number (see above) */
    const char *metric_name;         /* e.g. "90th percentile latency (ns)" */
    const char *metric_unit;         /* "s" or "samples/s" */
    char recommendation[512];        /* why INVALID, or the early-stopping note */
    /* per-sample data, owned by the result (free with mle_result_free) */
    double *latencies_s;             /* sorted sample (MultiStream: query) latencies */
    size_t n_latencies;
    /* accuracy mode: the response of every QSL sample, in QSL order (index i -> acc_data[i]) */
    unsigned char **acc_data;
    size_t *acc_size;
    size_t acc_count;
    double start_epoch_s;            /* wall-clock time the run started (for the log) */
    /* token latencies (when the SUT called mle_first_token) */
    bool has_tokens;
    uint64_t tokens;                 /* output tokens completed */
    double ttft_mean_s, ttft_p50_s, ttft_p90_s, ttft_p99_s;
    double tpot_mean_s, tpot_p50_s, tpot_p90_s, tpot_p99_s;
    double tokens_per_s;             /* tokens / duration */
} mle_result;

/* Runs one test. The SUT must not call mle_complete for this run after it returns (a SUT whose
 * completions time out must be stopped before the next run). Returns 0 when the run finished (VALID or not: see result->valid), or -1 with a
 * message for bad settings or an out-of-memory; the result is then empty. */
int mle_run_test(const mle_sut *sut, const mle_qsl *qsl, const mle_settings *settings, mle_result *result,
                 char *err, size_t errlen);
void mle_result_free(mle_result *r);

/* ---- early stopping (MLPerf Inference, LoadGen early_stopping) -----------------------------------
 * With h queries at or under a latency and t over it, the run may claim "the p-quantile is at most
 * that latency" with confidence c when P[Binomial(h + t, 1 - p) <= t] <= 1 - c. mle_es_min_passing
 * returns the smallest such h (c = 0.99 in MLPerf), e.g. 459 for t = 0, p = 0.99. */
int64_t mle_es_min_passing(int64_t t, double p, double c);
/* P[Binomial(h + t, 1 - p) <= t]. */
double mle_es_odds(int64_t h, int64_t t, double p);
/* SingleStream / MultiStream estimate: from n sorted latencies, the largest t with h(t) + t <= n; the
 * estimate is sorted[n - t] (the t-th largest). Returns -1 when n < h(1) + 1 (too few queries), else
 * t, with *estimate and *min_queries (= h(1) + 1) set. */
int64_t mle_es_estimate(const double *sorted, size_t n, double p, double c, double *estimate,
                        int64_t *min_queries);

/* ---- logs in MLPerf's formats ------------------------------------------------------------------- */
/* Writes <dir>/mlperf_log_summary.txt and <dir>/mlperf_log_detail.txt (":::MLLOG {json}" lines), and in
 * accuracy mode <dir>/mlperf_log_accuracy.json; each written atomically. Returns 0 or -1 (message). */
int mle_write_logs(const char *dir, const mle_result *r, char *err, size_t errlen);
/* The summary text into buf (for printing). Returns its length (truncated to len). */
size_t mle_summary_text(const mle_result *r, char *buf, size_t len);

#endif
