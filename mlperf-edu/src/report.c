/* report.c - the results folder read back (report.h): collect every run's result.json, summarise it
 * for people and as JSON, and check compliance. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mle_internal.h"
#include "mlperf_edu/report.h"
#include "tinytorch/bench.h"
#include "tinytorch/data.h"
#include "tinytorch/fileio.h"

typedef struct run_rec {
    char workload[64], scenario[32], mode[32], dir[1600];
    int run_id;
    cJSON *j;
} run_rec;

typedef struct runs { run_rec *r; size_t n, cap; } runs;

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Names of the subdirectories of dir, sorted. Returns the count (caller frees names[i] and *names). */
static size_t subdirs(const char *dir, char ***names)
{
    *names = NULL;
    DIR *d = opendir(dir);
    if (!d) {
        return 0;
    }
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[1600];
        if (e->d_name[0] == '.' || snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p || !is_dir(p)) {
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **x = realloc(*names, cap * sizeof *x);
            if (!x) {
                break;
            }
            *names = x;
        }
        (*names)[n] = strdup(e->d_name);
        n += (*names)[n] != NULL;
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) { /* insertion sort: short lists */
        for (size_t k = i; k > 0 && strcmp((*names)[k - 1], (*names)[k]) > 0; k--) {
            char *t = (*names)[k];
            (*names)[k] = (*names)[k - 1];
            (*names)[k - 1] = t;
        }
    }
    return n;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

static cJSON *read_json(const char *path, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (tt_read_file(path, &data, &len, err, errlen) != 0) {
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!j) {
        snprintf(err, errlen, "%s: not valid JSON", path);
    }
    return j;
}

/* Collects <dir>/<w>/<s>/<m>/run_<k>/result.json. Returns 0 or -1 (message: a bad result.json). */
static int collect(const char *dir, runs *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char **w, **s, **m, **k;
    size_t nw = subdirs(dir, &w);
    int rc = 0;
    for (size_t a = 0; a < nw && rc == 0; a++) {
        char p1[1600];
        snprintf(p1, sizeof p1, "%s/%s", dir, w[a]);
        size_t ns = subdirs(p1, &s);
        for (size_t b = 0; b < ns && rc == 0; b++) {
            char p2[1600];
            snprintf(p2, sizeof p2, "%.800s/%.200s", p1, s[b]);
            size_t nm = subdirs(p2, &m);
            for (size_t c = 0; c < nm && rc == 0; c++) {
                char p3[1600];
                snprintf(p3, sizeof p3, "%.1200s/%.100s", p2, m[c]);
                size_t nk = subdirs(p3, &k);
                for (size_t e = 0; e < nk && rc == 0; e++) {
                    int id;
                    char p4[1600], path[1700];
                    if (sscanf(k[e], "run_%d", &id) != 1) {
                        continue;
                    }
                    snprintf(p4, sizeof p4, "%.1400s/%.100s", p3, k[e]);
                    snprintf(path, sizeof path, "%s/result.json", p4);
                    struct stat st;
                    if (stat(path, &st) != 0) {
                        continue;
                    }
                    cJSON *j = read_json(path, err, errlen);
                    if (!j) {
                        rc = -1;
                        break;
                    }
                    if (out->n == out->cap) {
                        out->cap = out->cap ? 2 * out->cap : 16;
                        run_rec *x = realloc(out->r, out->cap * sizeof *x);
                        if (!x) {
                            cJSON_Delete(j);
                            snprintf(err, errlen, "out of memory");
                            rc = -1;
                            break;
                        }
                        out->r = x;
                    }
                    run_rec *r = &out->r[out->n++];
                    snprintf(r->workload, sizeof r->workload, "%s", w[a]);
                    snprintf(r->scenario, sizeof r->scenario, "%s", s[b]);
                    snprintf(r->mode, sizeof r->mode, "%s", m[c]);
                    snprintf(r->dir, sizeof r->dir, "%s", p4);
                    r->run_id = id;
                    r->j = j;
                }
                free_names(k, nk);
            }
            free_names(m, nm);
        }
        free_names(s, ns);
    }
    free_names(w, nw);
    return rc;
}

static void free_runs(runs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        cJSON_Delete(r->r[i].j);
    }
    free(r->r);
}

static double jnum(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(j, a);
    if (b) {
        x = cJSON_GetObjectItem(x, b);
    }
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static bool jbool(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(j, a);
    if (b) {
        x = cJSON_GetObjectItem(x, b);
    }
    return cJSON_IsTrue(x);
}

static const char *jstr(const cJSON *j, const char *a)
{
    const cJSON *x = cJSON_GetObjectItem(j, a);
    return cJSON_IsString(x) ? x->valuestring : "";
}

/* The headline number as people read it: latencies in ms, rates as they are. */
static void metric_text(const cJSON *j, char *buf, size_t len)
{
    double v = jnum(j, "metric", NULL);
    if (strcmp(jstr(j, "mode"), "AccuracyOnly") == 0) {
        snprintf(buf, len, "%.2f %% (target %.2f %%)", 100.0 * jnum(j, "accuracy", "measured"),
                 100.0 * jnum(j, "accuracy", "target"));
    } else if (strcmp(jstr(j, "metric_unit"), "s") == 0) {
        snprintf(buf, len, "%.4f ms", v * 1e3);
    } else {
        snprintf(buf, len, "%.1f %s", v, jstr(j, "metric_unit"));
    }
}

int mle_report(const char *dir, int html, char *out_path, size_t out_len, char *err, size_t errlen)
{
    runs rs;
    if (collect(dir, &rs, err, errlen) != 0) {
        free_runs(&rs);
        return -1;
    }
    if (rs.n == 0) {
        snprintf(err, errlen, "%s: no results (want <dir>/<workload>/<Scenario>/<mode>/run_<k>/result.json)", dir);
        free_runs(&rs);
        return -1;
    }
    size_t cap = 4096 + rs.n * 512, at = 0;
    char *t = malloc(cap);
    cJSON *all = cJSON_CreateArray();
    if (!t || !all) {
        free(t);
        cJSON_Delete(all);
        free_runs(&rs);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
#define PUT(...) at += (size_t)snprintf(t + at, at < cap ? cap - at : 0, __VA_ARGS__)
    const cJSON *mach = cJSON_GetObjectItem(rs.r[0].j, "machine");
    if (html) {
        PUT("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>MLPerf EDU results</title>\n"
            "<style>body{font-family:sans-serif}td,th{padding:2px 10px;border-bottom:1px solid #ccc}</style></head>"
            "<body>\n<h1>MLPerf EDU results</h1>\n<p>Machine: %s, %d logical CPUs</p>\n<table>\n"
            "<tr><th>workload</th><th>scenario</th><th>mode</th><th>run</th><th>result</th><th>metric</th>"
            "<th>p99 latency</th></tr>\n",
            jstr(mach, "cpu_model"), (int)jnum(mach, "logical_cpus", NULL));
    } else {
        PUT("# MLPerf EDU results\n\nMachine: %s, %d logical CPUs.\n\n"
            "| workload | scenario | mode | run | result | metric | p99 latency |\n|---|---|---|---|---|---|---|\n",
            jstr(mach, "cpu_model"), (int)jnum(mach, "logical_cpus", NULL));
    }
    for (size_t i = 0; i < rs.n && at < cap; i++) {
        const run_rec *r = &rs.r[i];
        char metric[96];
        metric_text(r->j, metric, sizeof metric);
        bool valid = jbool(r->j, "valid", NULL);
        bool acc = strcmp(r->mode, "accuracy") == 0;
        const char *verdict = acc ? (jbool(r->j, "accuracy", "target_met") ? "target met" : "target MISSED")
                                  : (valid ? "VALID" : "INVALID");
        double p99 = jnum(r->j, "latency_s", "p99") * 1e3;
        if (html) {
            PUT("<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%.4f ms</td></tr>\n",
                r->workload, r->scenario, r->mode, r->run_id, verdict, metric, p99);
        } else {
            PUT("| %s | %s | %s | %d | %s | %s | %.4f ms |\n", r->workload, r->scenario, r->mode, r->run_id, verdict,
                metric, p99);
        }
        cJSON *e = cJSON_Duplicate(r->j, 1);
        cJSON_AddNumberToObject(e, "run", r->run_id);
        cJSON_AddItemToArray(all, e);
    }
    PUT(html ? "</table>\n<p>Verdicts follow MLPerf Inference's rules; see mlperf_log_summary.txt in each run.</p>"
               "</body></html>\n"
             : "\nVerdicts follow MLPerf Inference's rules; each run's folder holds mlperf_log_summary.txt and "
               "mlperf_log_detail.txt.\n");
#undef PUT
    snprintf(out_path, out_len, "%s/report.%s", dir, html ? "html" : "md");
    int rc = tt_write_file_atomic(out_path, t, at < cap ? at : cap - 1, err, errlen);
    char *js = rc == 0 ? cJSON_Print(all) : NULL;
    if (rc == 0) {
        char jp[1200];
        snprintf(jp, sizeof jp, "%s/report.json", dir);
        rc = js ? tt_write_file_atomic(jp, js, strlen(js), err, errlen) : -1;
    }
    free(js);
    free(t);
    cJSON_Delete(all);
    int n = (int)rs.n;
    free_runs(&rs);
    return rc == 0 ? n : -1;
}

/* The verdict a text log states: "Result is : VALID" in the summary, result_validity in the detail log. */
static int log_verdict(const char *path, const char *needle, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    char line[4096];
    int rc = -1;
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, needle);
        if (p) {
            p = strstr(p, "INVALID") ? strstr(p, "INVALID") : strstr(p, "VALID");
            if (p) {
                snprintf(out, len, "%s", strncmp(p, "INVALID", 7) == 0 ? "INVALID" : "VALID");
                rc = 0;
            }
            break;
        }
    }
    fclose(f);
    return rc;
}

int mle_verify(const char *dir, FILE *out, char *err, size_t errlen)
{
    runs rs;
    if (collect(dir, &rs, err, errlen) != 0) {
        free_runs(&rs);
        return -1;
    }
    if (rs.n == 0) {
        snprintf(err, errlen, "%s: no results to verify", dir);
        free_runs(&rs);
        return -1;
    }
    int failed = 0;
    for (size_t i = 0; i < rs.n; i++) {
        const run_rec *r = &rs.r[i];
        char sum[1700], det[1700], v1[16] = "?", v2[16] = "?";
        snprintf(sum, sizeof sum, "%s/mlperf_log_summary.txt", r->dir);
        snprintf(det, sizeof det, "%s/mlperf_log_detail.txt", r->dir);
        bool valid = jbool(r->j, "valid", NULL);
        bool logs = log_verdict(sum, "Result is", v1, sizeof v1) == 0 &&
                    log_verdict(det, "\"result_validity\"", v2, sizeof v2) == 0 && strcmp(v1, v2) == 0 &&
                    strcmp(v1, valid ? "VALID" : "INVALID") == 0;
        bool perf = strcmp(r->mode, "performance") == 0;
        bool ok = logs && valid;
        const char *what = "";
        if (!logs) {
            what = "logs disagree or are missing";
        } else if (!valid) {
            what = jstr(r->j, "why");
        } else if (perf && !(jbool(r->j, "checks", "min_queries_met") && jbool(r->j, "checks", "min_duration_met"))) {
            ok = false;
            what = "minimum queries or duration not met";
        } else if (!perf && !jbool(r->j, "accuracy", "target_met")) {
            ok = false;
            what = "accuracy below the closed-division target";
        }
        fprintf(out, "%-4s %s/%s/%s/run_%d %s\n", ok ? "ok" : "FAIL", r->workload, r->scenario, r->mode, r->run_id,
                what);
        failed += !ok;
    }
    /* each workload with a performance run needs an accuracy run that met the target */
    for (size_t i = 0; i < rs.n; i++) {
        bool first = true;
        for (size_t k = 0; k < i; k++) {
            first &= strcmp(rs.r[k].workload, rs.r[i].workload) != 0;
        }
        if (!first) {
            continue;
        }
        bool acc = false;
        for (size_t k = 0; k < rs.n; k++) {
            acc |= strcmp(rs.r[k].workload, rs.r[i].workload) == 0 && strcmp(rs.r[k].mode, "accuracy") == 0 &&
                   jbool(rs.r[k].j, "accuracy", "target_met");
        }
        fprintf(out, "%-4s %s: accuracy run meeting the closed-division target (>= 99 %% of fp32)%s\n",
                acc ? "ok" : "FAIL", rs.r[i].workload, acc ? "" : ": none found (run --mode accuracy)");
        failed += !acc;
    }
    /* promotion: >= 5 performance runs of one scenario with CV <= 5 % */
    for (size_t i = 0; i < rs.n; i++) {
        if (strcmp(rs.r[i].mode, "performance") != 0) {
            continue;
        }
        bool first = true;
        for (size_t k = 0; k < i; k++) {
            first &= !(strcmp(rs.r[k].workload, rs.r[i].workload) == 0 &&
                       strcmp(rs.r[k].scenario, rs.r[i].scenario) == 0 && strcmp(rs.r[k].mode, "performance") == 0);
        }
        if (!first) {
            continue;
        }
        double v[256];
        size_t n = 0;
        for (size_t k = 0; k < rs.n && n < 256; k++) {
            if (strcmp(rs.r[k].workload, rs.r[i].workload) == 0 && strcmp(rs.r[k].scenario, rs.r[i].scenario) == 0 &&
                strcmp(rs.r[k].mode, "performance") == 0 && jbool(rs.r[k].j, "valid", NULL)) {
                v[n++] = jnum(rs.r[k].j, "metric", NULL);
            }
        }
        tt_stats st;
        if (n >= 5 && tt_stats_compute(v, n, &st) == 0) {
            fprintf(out, "%-4s %s/%s: %zu VALID runs, CV %.2f %% %s\n", st.cv <= 0.05 ? "ok" : "note",
                    rs.r[i].workload, rs.r[i].scenario, n, 100.0 * st.cv,
                    st.cv <= 0.05 ? "<= 5 %: promoted" : "> 5 %: not promoted");
        } else {
            fprintf(out, "note %s/%s: %zu VALID run%s; 5 fresh runs with CV <= 5 %% promote a result\n",
                    rs.r[i].workload, rs.r[i].scenario, n, n == 1 ? "" : "s");
        }
    }
    fprintf(out, "%s\n", failed ? "verify: some checks FAILED" : "verify: all checks passed");
    free_runs(&rs);
    return failed ? 1 : 0;
}
