/* loadgen.c - the scenarios of loadgen.h: sample order, query schedule, timing, and the verdict.
 *
 * Invariants:
 *   - Every issued sample has one record (scheduled issue time, completion time, QSL index, query),
 *     indexed by its id. Records are appended by the issuing thread and completed by mle_complete()
 *     from any thread, all under run->mu; a record completes at most once (a second completion of
 *     the same id, or an unknown id, counts as a response error and makes the run INVALID).
 *   - Latency is completion minus the *scheduled* issue time (Server: the Poisson arrival time,
 *     even if LoadGen was late issuing it), so a late LoadGen can only make the SUT look slower.
 *   - Times are seconds from the run's start on CLOCK_MONOTONIC.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlperf_edu/loadgen.h"
#if defined(__linux__)
#include <sys/prctl.h>
#endif

/* ---- names and settings ------------------------------------------------------------------------ */

const char *mle_scenario_name(mle_scenario s)
{
    static const char *n[] = {"SingleStream", "MultiStream", "Server", "Offline"};
    return (unsigned)s < 4 ? n[s] : "unknown";
}

const char *mle_mode_name(mle_mode m)
{
    return m == MLE_ACCURACY ? "AccuracyOnly" : "PerformanceOnly";
}

int mle_scenario_parse(const char *s, mle_scenario *out)
{
    static const struct { const char *name; mle_scenario s; } t[] = {
        {"singlestream", MLE_SINGLE_STREAM}, {"single-stream", MLE_SINGLE_STREAM}, {"ss", MLE_SINGLE_STREAM},
        {"multistream", MLE_MULTI_STREAM},   {"multi-stream", MLE_MULTI_STREAM},   {"ms", MLE_MULTI_STREAM},
        {"server", MLE_SERVER},              {"offline", MLE_OFFLINE}};
    char low[32];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof low) {
        return -1;
    }
    for (size_t i = 0; i <= n; i++) {
        low[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
    }
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(low, t[i].name) == 0) {
            *out = t[i].s;
            return 0;
        }
    }
    return -1;
}

mle_settings mle_settings_default(mle_scenario s)
{
    mle_settings st = {0};
    st.scenario = s;
    st.mode = MLE_PERFORMANCE;
    st.target_qps = s == MLE_SERVER ? 100.0 : s == MLE_OFFLINE ? 1000.0 : 0.0;
    st.target_latency_s = 0.010;
    st.target_percentile = 0.0;
    st.samples_per_query = s == MLE_MULTI_STREAM ? 8 : 1;
    st.min_query_count = 1024;
    st.min_duration_s = 10.0;
    st.sample_seed = 0x5eed5a3b1e5ULL;
    st.schedule_seed = 0x5c4ed01e5ULL;
    st.completion_timeout_s = 60.0;
    return st;
}

mle_settings mle_settings_official(mle_scenario s)
{
    /* MLPerf Inference v4+ (mlperf.conf): 600 s everywhere; 64 / 662 queries floors come from early
     * stopping; Server needs 270,336 queries, Offline 24,576 samples. */
    mle_settings st = mle_settings_default(s);
    st.min_duration_s = 600.0;
    st.min_query_count = s == MLE_SERVER ? 270336 : s == MLE_OFFLINE ? 24576 : s == MLE_MULTI_STREAM ? 662 : 64;
    return st;
}

int mle_settings_check(const mle_settings *s, char *err, size_t errlen)
{
    if ((unsigned)s->scenario > MLE_OFFLINE) {
        snprintf(err, errlen, "scenario: unknown (%d)", (int)s->scenario);
        return -1;
    }
    if ((s->scenario == MLE_SERVER || s->scenario == MLE_OFFLINE) && !(s->target_qps > 0.0 && isfinite(s->target_qps))) {
        snprintf(err, errlen, "target_qps: must be a number > 0 for %s (got %g)", mle_scenario_name(s->scenario),
                 s->target_qps);
        return -1;
    }
    if (s->scenario == MLE_SERVER && !(s->target_latency_s > 0.0)) {
        snprintf(err, errlen, "target_latency_s: must be > 0 for Server (got %g)", s->target_latency_s);
        return -1;
    }
    if (s->target_percentile != 0.0 && !(s->target_percentile > 0.0 && s->target_percentile < 1.0)) {
        snprintf(err, errlen, "target_percentile: must be in (0, 1) (got %g)", s->target_percentile);
        return -1;
    }
    if (s->samples_per_query < 1 || s->samples_per_query > 1 << 20) {
        snprintf(err, errlen, "samples_per_query: must be 1 .. 1048576 (got %d)", s->samples_per_query);
        return -1;
    }
    if (!(s->min_duration_s >= 0.0) || !(s->max_duration_s >= 0.0)) {
        snprintf(err, errlen, "min_duration_s / max_duration_s: must be >= 0");
        return -1;
    }
    if (s->min_query_count > ((uint64_t)1 << 32) || s->offline_samples > ((uint64_t)1 << 32)) {
        snprintf(err, errlen, "min_query_count / offline_samples: at most 2^32");
        return -1;
    }
    return 0;
}

/* ---- the run ----------------------------------------------------------------------------------- */

typedef struct rec {
    double issue_s, done_s;  /* done_s < 0: not completed */
    double first_s;          /* first token (< 0: none reported) */
    int64_t tokens;
    size_t qsl_index;
    uint32_t query;
} rec;

struct mle_run {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct timespec t0;
    rec *r;
    size_t n, cap;
    uint64_t completed, errors;
    bool accuracy;
    unsigned char **acc_data;  /* by QSL index */
    size_t *acc_size;
    size_t qsl_count;
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

void mle_complete(mle_run *run, const mle_response *responses, size_t n)
{
    pthread_mutex_lock(&run->mu);
    double now = since(&run->t0);
    for (size_t i = 0; i < n; i++) {
        uint64_t id = responses[i].id;
        if (id >= run->n || run->r[id].done_s >= 0.0) {
            run->errors++;
            continue;
        }
        run->r[id].done_s = now;
        run->r[id].tokens = responses[i].n_tokens;
        run->completed++;
        if (run->accuracy && responses[i].size > 0 && responses[i].data) {
            size_t qi = run->r[id].qsl_index;
            unsigned char *copy = malloc(responses[i].size);
            if (copy) {
                memcpy(copy, responses[i].data, responses[i].size);
                free(run->acc_data[qi]);
                run->acc_data[qi] = copy;
                run->acc_size[qi] = responses[i].size;
            } else {
                run->errors++;
            }
        }
    }
    pthread_cond_broadcast(&run->cv);
    pthread_mutex_unlock(&run->mu);
}

void mle_first_token(mle_run *run, uint64_t id)
{
    pthread_mutex_lock(&run->mu);
    double now = since(&run->t0);
    if (id >= run->n || run->r[id].done_s >= 0.0 || run->r[id].first_s >= 0.0) {
        run->errors++;
    } else {
        run->r[id].first_s = now;
    }
    pthread_mutex_unlock(&run->mu);
}

/* Appends n records (under the lock) and fills samples[] with their ids. Returns 0 or -1 (memory). */
static int add_records(mle_run *run, const size_t *qsl_idx, size_t n, double issue_s, uint32_t query,
                       mle_sample *samples)
{
    pthread_mutex_lock(&run->mu);
    if (run->n + n > run->cap) {
        size_t cap = run->cap ? run->cap : 1024;
        while (cap < run->n + n) {
            cap *= 2;
        }
        rec *r = realloc(run->r, cap * sizeof *r);
        if (!r) {
            pthread_mutex_unlock(&run->mu);
            return -1;
        }
        run->r = r;
        run->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        rec *x = &run->r[run->n];
        x->issue_s = issue_s;
        x->done_s = -1.0;
        x->first_s = -1.0;
        x->tokens = 0;
        x->qsl_index = qsl_idx[i];
        x->query = query;
        samples[i].id = run->n;
        samples[i].index = qsl_idx[i];
        run->n++;
    }
    pthread_mutex_unlock(&run->mu);
    return 0;
}

/* Waits until every issued sample completed, or timeout seconds pass. Returns false on timeout. */
static bool wait_all(mle_run *run, double timeout_s)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    double whole = floor(timeout_s);
    dl.tv_sec += (time_t)whole;
    dl.tv_nsec += (long)((timeout_s - whole) * 1e9);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    bool ok = true;
    pthread_mutex_lock(&run->mu);
    while (run->completed < run->n) {
        if (pthread_cond_timedwait(&run->cv, &run->mu, &dl) == ETIMEDOUT) {
            ok = run->completed >= run->n;
            break;
        }
    }
    pthread_mutex_unlock(&run->mu);
    return ok;
}

/* Sleeps until at_s after t0 (the Server issuing thread; see mle_run_test for its timer slack). */
static void sleep_until(const struct timespec *t0, double at_s)
{
    struct timespec t = *t0;
    double whole = floor(at_s);
    t.tv_sec += (time_t)whole;
    t.tv_nsec += (long)((at_s - whole) * 1e9);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
    }
}

/* splitmix64: the sample order and the arrival times (seeded, so a run is repeatable). */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *s) /* (0, 1] */
{
    return ((double)(next_u64(s) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static void shuffle(size_t *a, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(next_u64(s) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* The order in which loaded samples are used: repeated seeded shuffles of the loaded set. */
typedef struct order {
    const size_t *loaded;
    size_t n_loaded, pos;
    size_t *perm;
    uint64_t seed;
} order;

static size_t order_next(order *o)
{
    if (o->pos == 0) {
        for (size_t i = 0; i < o->n_loaded; i++) {
            o->perm[i] = o->loaded[i];
        }
        shuffle(o->perm, o->n_loaded, &o->seed);
    }
    size_t v = o->perm[o->pos];
    o->pos = (o->pos + 1) % o->n_loaded;
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *s, size_t n, double q)
{
    size_t i = (size_t)((double)n * q);
    return n ? s[i < n ? i : n - 1] : 0.0;
}

/* Issues one query of n samples (SingleStream / MultiStream / accuracy) and waits for it. */
static int issue_and_wait(const mle_sut *sut, mle_run *run, const size_t *idx, size_t n, uint32_t query,
                          mle_sample *buf, double timeout_s, bool *timed_out)
{
    if (add_records(run, idx, n, since(&run->t0), query, buf) != 0) {
        return -1;
    }
    /* issue time is taken just before the call, as above */
    sut->issue(sut->ctx, run, buf, n);
    if (!wait_all(run, timeout_s)) {
        *timed_out = true;
    }
    return 0;
}

static void judge(mle_result *res, const mle_run *run);

int mle_run_test(const mle_sut *sut, const mle_qsl *qsl, const mle_settings *settings, mle_result *res,
                 char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (mle_settings_check(settings, err, errlen) != 0) {
        return -1;
    }
    if (!sut || !sut->issue || !qsl || qsl->total_sample_count == 0) {
        snprintf(err, errlen, "LoadGen: the SUT needs issue() and the QSL at least one sample");
        return -1;
    }
    mle_settings s = *settings;
    if (s.target_percentile == 0.0) {
        s.target_percentile = s.scenario == MLE_SINGLE_STREAM ? 0.90 : 0.99;
    }
    if (s.scenario != MLE_MULTI_STREAM) {
        s.samples_per_query = 1;
    }
    if (s.completion_timeout_s <= 0.0) {
        s.completion_timeout_s = 60.0;
    }
    size_t total = qsl->total_sample_count;
    size_t perf_n = s.performance_sample_count ? s.performance_sample_count : qsl->performance_sample_count;
    if (perf_n == 0 || perf_n > total) {
        perf_n = total;
    }
    s.performance_sample_count = perf_n;
    res->settings = s;
    snprintf(res->sut_name, sizeof res->sut_name, "%s", sut->name ? sut->name : "unnamed");

    mle_run run;
    memset(&run, 0, sizeof run);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&run.mu, NULL);
    pthread_cond_init(&run.cv, &ca);
    pthread_condattr_destroy(&ca);
    run.accuracy = s.mode == MLE_ACCURACY;
    run.qsl_count = total;

    size_t chunk = perf_n;
    size_t *all = malloc(total * sizeof *all);
    size_t *perm = malloc(total * sizeof *perm);
    size_t spq = (size_t)s.samples_per_query;
    size_t bufn = s.scenario == MLE_OFFLINE ? 0 : spq;
    mle_sample *buf = NULL;
    if (run.accuracy) {
        run.acc_data = calloc(total, sizeof *run.acc_data);
        run.acc_size = calloc(total, sizeof *run.acc_size);
    }
    if (!all || !perm || (run.accuracy && (!run.acc_data || !run.acc_size))) {
        snprintf(err, errlen, "LoadGen: out of memory for %zu samples", total);
        free(all);
        free(perm);
        free(run.acc_data);
        free(run.acc_size);
        return -1;
    }
    for (size_t i = 0; i < total; i++) {
        all[i] = i;
    }
    uint64_t seed = s.sample_seed;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    res->start_epoch_s = (double)wall.tv_sec + 1e-9 * (double)wall.tv_nsec;
    int rc = 0;
    bool timed_out = false;
    uint64_t queries = 0;
    double last_issue = 0.0;

    if (run.accuracy) {
        /* every sample once, in chunks that fit in memory, in the scenario's query size */
        size_t per_q = s.scenario == MLE_OFFLINE ? chunk : spq;
        buf = malloc(per_q * sizeof *buf);
        clock_gettime(CLOCK_MONOTONIC, &run.t0);
        for (size_t at = 0; buf && at < total && !timed_out && rc == 0; at += chunk) {
            size_t m = total - at < chunk ? total - at : chunk;
            if (qsl->load) {
                qsl->load(qsl->ctx, all + at, m);
            }
            for (size_t k = 0; k < m && !timed_out && rc == 0; k += per_q) {
                size_t q = m - k < per_q ? m - k : per_q;
                last_issue = since(&run.t0);
                rc = issue_and_wait(sut, &run, all + at + k, q, (uint32_t)queries++, buf, s.completion_timeout_s,
                                    &timed_out);
            }
            if (sut->flush) {
                sut->flush(sut->ctx, &run);
            }
            if (qsl->unload) {
                qsl->unload(qsl->ctx, all + at, m);
            }
        }
        if (!buf) {
            rc = -1;
        }
    } else {
        /* the loaded set: a seeded random subset of perf_n samples */
        shuffle(all, total, &seed);
        if (qsl->load) {
            qsl->load(qsl->ctx, all, perf_n);
        }
        order ord = {all, perf_n, 0, perm, seed};
        if (s.scenario == MLE_OFFLINE) {
            uint64_t want = s.offline_samples;
            if (want == 0) {
                want = (uint64_t)ceil(1.1 * s.target_qps * s.min_duration_s - 1e-6);
                want = want > s.min_query_count ? want : s.min_query_count;
                want = want > 0 ? want : 1;
            }
            if (s.max_query_count && want > s.max_query_count) {
                want = s.max_query_count;
            }
            s.offline_samples = res->settings.offline_samples = want;
            size_t *idx = malloc(want * sizeof *idx);
            buf = malloc(want * sizeof *buf);
            if (!idx || !buf) {
                rc = -1;
            } else {
                for (uint64_t i = 0; i < want; i++) {
                    idx[i] = order_next(&ord);
                }
                clock_gettime(CLOCK_MONOTONIC, &run.t0);
                if (add_records(&run, idx, want, 0.0, 0, buf) != 0) {
                    rc = -1;
                } else {
                    sut->issue(sut->ctx, &run, buf, want);
                    if (sut->flush) {
                        sut->flush(sut->ctx, &run);
                    }
                    queries = want; /* Offline counts samples against min_query_count */
                    timed_out = !wait_all(&run, s.completion_timeout_s + s.min_duration_s * 10.0);
                }
            }
            free(idx);
        } else if (s.scenario == MLE_SERVER) {
            buf = malloc(sizeof *buf);
#if defined(__linux__) && defined(PR_SET_TIMERSLACK)
            /* a sleeping thread wakes up to its timer slack late (50 us by default: most of a gap at
             * 15,000 queries/s); 1 us keeps arrivals on schedule. Restored after the run. */
            int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
            prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
#endif
            uint64_t sseed = s.schedule_seed;
            double t = 0.0, delay_sum = 0.0, delay_max = 0.0;
            clock_gettime(CLOCK_MONOTONIC, &run.t0);
            while (buf && rc == 0) {
                if (queries > 0 && queries >= s.min_query_count && last_issue >= s.min_duration_s) {
                    break;
                }
                if ((s.max_query_count && queries >= s.max_query_count) ||
                    (s.max_duration_s > 0.0 && t >= s.max_duration_s)) {
                    break;
                }
                sleep_until(&run.t0, t);
                const double late = since(&run.t0) - t;
                if (late > 0.0) {
                    delay_sum += late;
                    delay_max = late > delay_max ? late : delay_max;
                }
                size_t idx = order_next(&ord);
                if (add_records(&run, &idx, 1, t, (uint32_t)queries, buf) != 0) {
                    rc = -1;
                    break;
                }
                sut->issue(sut->ctx, &run, buf, 1);
                last_issue = t;
                queries++;
                t += -log(next_unit(&sseed)) / s.target_qps; /* exponential gap: Poisson arrivals */
            }
            res->issue_delay_mean_s = queries ? delay_sum / (double)queries : 0.0;
            res->issue_delay_max_s = delay_max;
            if (sut->flush) {
                sut->flush(sut->ctx, &run);
            }
            timed_out = !wait_all(&run, s.completion_timeout_s);
#if defined(__linux__) && defined(PR_SET_TIMERSLACK)
            if (old_slack > 0) {
                prctl(PR_SET_TIMERSLACK, (unsigned long)old_slack, 0, 0, 0);
            }
#endif
            if (!buf) {
                rc = -1;
            }
        } else { /* SingleStream, MultiStream */
            buf = malloc(bufn * sizeof *buf);
            size_t *idx = malloc(spq * sizeof *idx);
            clock_gettime(CLOCK_MONOTONIC, &run.t0);
            while (buf && idx && rc == 0 && !timed_out) {
                double now = since(&run.t0);
                if (queries > 0 && queries >= s.min_query_count && last_issue >= s.min_duration_s) {
                    break;
                }
                if ((s.max_query_count && queries >= s.max_query_count) ||
                    (s.max_duration_s > 0.0 && now >= s.max_duration_s)) {
                    break;
                }
                for (size_t k = 0; k < spq; k++) {
                    idx[k] = order_next(&ord);
                }
                last_issue = now;
                rc = issue_and_wait(sut, &run, idx, spq, (uint32_t)queries, buf, s.completion_timeout_s, &timed_out);
                queries++;
            }
            if (!buf || !idx) {
                rc = -1;
            }
            free(idx);
            if (sut->flush) {
                sut->flush(sut->ctx, &run);
            }
        }
        if (qsl->unload) {
            qsl->unload(qsl->ctx, all, perf_n);
        }
    }
    /* nothing may complete after this point: a stuck SUT's late completions would touch freed memory,
     * so a timed-out run waits once more, briefly, and then the run's records are read under the lock */
    pthread_mutex_lock(&run.mu);
    res->queries_issued = queries;
    res->samples_issued = run.n;
    res->samples_completed = run.completed;
    res->response_errors = run.errors;
    res->timed_out = timed_out;
    res->final_issue_s = last_issue;
    pthread_mutex_unlock(&run.mu);
    free(buf);
    free(perm);
    free(all);
    if (rc != 0) {
        snprintf(err, errlen, "LoadGen: out of memory during the run");
        free(run.r);
        for (size_t i = 0; run.acc_data && i < total; i++) {
            free(run.acc_data[i]);
        }
        free(run.acc_data);
        free(run.acc_size);
        pthread_mutex_destroy(&run.mu);
        pthread_cond_destroy(&run.cv);
        memset(res, 0, sizeof *res);
        return -1;
    }
    judge(res, &run);
    res->acc_data = run.acc_data;
    res->acc_size = run.acc_size;
    res->acc_count = run.accuracy ? total : 0;
    free(run.r);
    pthread_mutex_destroy(&run.mu);
    pthread_cond_destroy(&run.cv);
    return 0;
}

/* TTFT and TPOT over the samples that reported a first token. */
static void token_stats(mle_result *res, const mle_run *run)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n; i++) {
        n += run->r[i].first_s >= 0.0 && run->r[i].done_s >= 0.0;
    }
    if (n == 0) {
        return;
    }
    double *ttft = malloc(n * sizeof *ttft), *tpot = malloc(n * sizeof *tpot);
    if (!ttft || !tpot) {
        free(ttft);
        free(tpot);
        return;
    }
    size_t a = 0, b = 0;
    double sa = 0.0, sb = 0.0;
    for (size_t i = 0; i < run->n; i++) {
        const rec *x = &run->r[i];
        res->tokens += x->done_s >= 0.0 && x->tokens > 0 ? (uint64_t)x->tokens : 0;
        if (x->first_s < 0.0 || x->done_s < 0.0) {
            continue;
        }
        ttft[a] = x->first_s - x->issue_s;
        sa += ttft[a++];
        if (x->tokens >= 2) {
            tpot[b] = (x->done_s - x->first_s) / (double)(x->tokens - 1);
            sb += tpot[b++];
        }
    }
    qsort(ttft, a, sizeof *ttft, cmp_double);
    qsort(tpot, b, sizeof *tpot, cmp_double);
    res->has_tokens = true;
    res->ttft_mean_s = sa / (double)a;
    res->ttft_p50_s = pct(ttft, a, 0.50);
    res->ttft_p90_s = pct(ttft, a, 0.90);
    res->ttft_p99_s = pct(ttft, a, 0.99);
    if (b > 0) {
        res->tpot_mean_s = sb / (double)b;
        res->tpot_p50_s = pct(tpot, b, 0.50);
        res->tpot_p90_s = pct(tpot, b, 0.90);
        res->tpot_p99_s = pct(tpot, b, 0.99);
    }
    res->tokens_per_s = res->duration_s > 0.0 ? (double)res->tokens / res->duration_s : 0.0;
    free(ttft);
    free(tpot);
}

/* Latency statistics and the VALID/INVALID decision (MLPerf's rules; see loadgen.h). */
static void judge(mle_result *res, const mle_run *run)
{
    const mle_settings *s = &res->settings;
    size_t n = run->n;
    double first = n ? run->r[0].issue_s : 0.0, last_done = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (run->r[i].done_s > last_done) {
            last_done = run->r[i].done_s;
        }
    }
    res->duration_s = last_done - first;
    token_stats(res, run);
    /* latencies: per sample, or per query (MultiStream: the query's slowest sample) */
    size_t nq = s->scenario == MLE_MULTI_STREAM ? (size_t)res->queries_issued : n;
    double *lat = calloc(nq ? nq : 1, sizeof *lat);
    size_t m = 0;
    double sum = 0.0;
    if (lat && s->scenario == MLE_MULTI_STREAM) {
        for (size_t i = 0; i < n; i++) {
            const rec *x = &run->r[i];
            size_t q = x->query;
            double l = x->done_s >= 0.0 ? x->done_s - x->issue_s : INFINITY;
            if (q < nq && l > lat[q]) {
                lat[q] = l;
            }
        }
        m = nq;
    } else if (lat) {
        for (size_t i = 0; i < n; i++) {
            if (run->r[i].done_s >= 0.0) {
                lat[m++] = run->r[i].done_s - run->r[i].issue_s;
            }
        }
    }
    for (size_t i = 0; i < m; i++) {
        sum += lat[i];
    }
    if (lat) {
        qsort(lat, m, sizeof *lat, cmp_double);
    }
    res->latencies_s = lat;
    res->n_latencies = m;
    if (m > 0) {
        res->lat_min_s = lat[0];
        res->lat_max_s = lat[m - 1];
        res->lat_mean_s = sum / (double)m;
        res->p50_s = pct(lat, m, 0.50);
        res->p90_s = pct(lat, m, 0.90);
        res->p95_s = pct(lat, m, 0.95);
        res->p97_s = pct(lat, m, 0.97);
        res->p99_s = pct(lat, m, 0.99);
        res->p999_s = pct(lat, m, 0.999);
        res->target_percentile_s = pct(lat, m, s->target_percentile);
    }
    res->qps_with_overhead = res->duration_s > 0.0 ? (double)res->samples_completed / res->duration_s : 0.0;
    res->qps_without_overhead = sum > 0.0 && s->scenario == MLE_SINGLE_STREAM ? (double)m / sum
                                                                                : res->qps_with_overhead;
    res->scheduled_qps = res->final_issue_s > 0.0 ? (double)(res->samples_issued - 1) / res->final_issue_s : 0.0;

    bool complete = res->samples_completed == res->samples_issued && res->response_errors == 0 && !res->timed_out;
    char *why = res->recommendation;
    size_t wl = sizeof res->recommendation;
    why[0] = 0;
    if (s->mode == MLE_ACCURACY) {
        res->min_queries_met = res->min_duration_met = res->early_stopping_met = res->perf_constraints_met = true;
        res->valid = complete;
        res->metric = NAN;
        res->metric_name = "accuracy (scored by the workload)";
        res->metric_unit = "";
        if (!complete) {
            snprintf(why, wl, "%llu of %llu samples completed, %llu response errors%s",
                     (unsigned long long)res->samples_completed, (unsigned long long)res->samples_issued,
                     (unsigned long long)res->response_errors, res->timed_out ? ", timed out" : "");
        }
        return;
    }
    res->min_queries_met = res->queries_issued >= s->min_query_count;
    switch (s->scenario) {
    case MLE_OFFLINE:
        res->min_duration_met = res->duration_s >= s->min_duration_s;
        break;
    default:
        res->min_duration_met = res->final_issue_s >= s->min_duration_s;
        break;
    }
    res->perf_constraints_met = true;
    res->early_stopping_met = true;
    const double conf = 0.99;
    switch (s->scenario) {
    case MLE_SINGLE_STREAM:
    case MLE_MULTI_STREAM: {
        int64_t t = mle_es_estimate(lat, m, s->target_percentile, conf, &res->early_stop_s,
                                    &res->early_stop_min_queries);
        res->early_stopping_met = t >= 1 && complete;
        if (t < 1) {
            snprintf(why, wl, "only %zu queries; early stopping needs at least %lld", m,
                     (long long)res->early_stop_min_queries);
            res->early_stop_s = res->target_percentile_s;
        } else {
            snprintf(why, wl, "early stopping: %zu queries, %lld highest discarded; %.0fth percentile estimate %.0f ns",
                     m, (long long)(t - 1), s->target_percentile * 100.0, res->early_stop_s * 1e9);
        }
        res->metric = res->early_stop_s;
        res->metric_name = s->scenario == MLE_SINGLE_STREAM ? "90th percentile latency (ns)"
                                                            : "99th percentile latency (ns)";
        if (s->target_percentile != (s->scenario == MLE_SINGLE_STREAM ? 0.90 : 0.99)) {
            res->metric_name = "target percentile latency (ns)";
        }
        res->metric_unit = "s";
        break;
    }
    case MLE_SERVER: {
        uint64_t over = 0;
        for (size_t i = 0; i < m; i++) {
            over += lat[i] > s->target_latency_s;
        }
        over += res->samples_issued - m; /* never completed: over any bound */
        res->overlatency = over;
        int64_t h = mle_es_min_passing((int64_t)over, s->target_percentile, conf);
        res->early_stop_min_queries = h + (int64_t)over;
        res->early_stopping_met = (int64_t)res->queries_issued >= h + (int64_t)over;
        res->perf_constraints_met = complete && res->target_percentile_s <= s->target_latency_s;
        if (!res->perf_constraints_met) {
            snprintf(why, wl, "%.0fth percentile latency %.3f ms > bound %.3f ms: reduce the target QPS",
                     s->target_percentile * 100.0, res->target_percentile_s * 1e3, s->target_latency_s * 1e3);
        } else if (!res->early_stopping_met) {
            snprintf(why, wl, "early stopping: %llu over the bound; needs %lld queries, ran %llu",
                     (unsigned long long)over, (long long)res->early_stop_min_queries,
                     (unsigned long long)res->queries_issued);
        }
        res->metric = res->scheduled_qps;
        res->metric_name = "Scheduled samples per second";
        res->metric_unit = "samples/s";
        break;
    }
    case MLE_OFFLINE:
        res->metric = res->duration_s > 0.0 ? (double)res->samples_completed / res->duration_s : 0.0;
        res->metric_name = "Samples per second";
        res->metric_unit = "samples/s";
        break;
    }
    res->valid = complete && res->min_queries_met && res->min_duration_met && res->early_stopping_met &&
                 res->perf_constraints_met;
    if (!complete && !why[0]) {
        snprintf(why, wl, "%llu of %llu samples completed, %llu response errors%s",
                 (unsigned long long)res->samples_completed, (unsigned long long)res->samples_issued,
                 (unsigned long long)res->response_errors, res->timed_out ? ", timed out" : "");
    } else if (!res->min_queries_met && (res->valid || s->scenario == MLE_OFFLINE || !why[0])) {
        snprintf(why, wl, "%llu queries, fewer than min_query_count %llu", (unsigned long long)res->queries_issued,
                 (unsigned long long)s->min_query_count);
    } else if (!res->min_duration_met) {
        size_t used = strlen(why);
        snprintf(why + used, wl - used, "%sran %.2f s, shorter than min_duration %.2f s", used ? "; " : "",
                 s->scenario == MLE_OFFLINE ? res->duration_s : res->final_issue_s, s->min_duration_s);
    }
}

void mle_result_free(mle_result *r)
{
    free(r->latencies_s);
    for (size_t i = 0; r->acc_data && i < r->acc_count; i++) {
        free(r->acc_data[i]);
    }
    free(r->acc_data);
    free(r->acc_size);
    memset(r, 0, sizeof *r);
}
