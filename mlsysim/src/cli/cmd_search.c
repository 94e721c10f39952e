/* cmd_search.c - `mlsysim search`: a design-space search over a grid of plan fields. Every point
 * of the grid (the --vary lists, as sweep) is evaluated with ms_plan_eval; points that do not fit,
 * miss a plan assert or break a --constraint are dropped; the rest are ranked by the objective.
 * Exit codes: 0 a best point was found, 1 bad input, 3 no point meets the constraints. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONSTRAINTS 8
#define MAX_POINTS 100000

typedef struct {
    char key[64];
    char op[3];                /* "<=", ">=", "<", ">", "==" */
    double value;
} constraint;

typedef struct {
    long idx;                  /* the grid point */
    double objective;
} point;

static int search_help(void)
{
    printf("usage: mlsysim search (PLAN.yaml | MODEL HARDWARE [eval flags]) --vary KEY=VALUES [--vary ...]\n"
           "                      --objective [min:|max:]KEY [--constraint 'KEY<=V' ...] [--top N]\n"
           "\n"
           "Evaluates every combination of the varied plan fields (as sweep: by dotted name or short\n"
           "name, batch_size or workload.batch_size; up to %d --vary, values\n"
           "V1,V2,... or ranges START:STOP:*F / START:STOP:+S; at most %d points), drops the points\n"
           "that do not fit in memory, miss a plan assert or break a --constraint (<=, >=, <, >, ==\n"
           "on any numeric result key; yes/no keys read as 1/0), and ranks the rest by the objective\n"
           "(minimised unless it starts with max:). Prints the best point and the top N (default 5).\n"
           "\n"
           "examples:\n"
           "  mlsysim search Llama3_8B H100 --vary workload.batch_size=1:512:*2 --objective max:throughput_per_s --constraint 'latency_s<=0.05'\n"
           "  mlsysim search mlsysim/examples/llama3_70b_training.yaml --vary parallelism.tp=1,2,4,8 --vary parallelism.pp=1,2,4,8 --objective latency_s\n"
           "  mlsysim -o json search ResNet50 A100 --vary hardware.accelerator=A100,H100,L4,T4 --vary hardware.precision=fp16,int8 --objective energy_j --constraint 'latency_s<=0.002'\n"
           "\n"
           "exit codes: 0 a best point, 1 bad input, 3 no point meets the constraints\n",
           MS_CLI_MAX_VARY, MAX_POINTS);
    return MS_EXIT_OK;
}

static int parse_constraint(const char *s, constraint *c)
{
    static const char *const ops[] = {"<=", ">=", "==", "<", ">"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        const char *at = strstr(s, ops[k]);
        if (!at || at == s || (size_t)(at - s) >= sizeof c->key) continue;
        memcpy(c->key, s, (size_t)(at - s));
        c->key[at - s] = 0;
        while (strlen(c->key) && c->key[strlen(c->key) - 1] == ' ') c->key[strlen(c->key) - 1] = 0;
        strcpy(c->op, ops[k]);
        char *end;
        c->value = strtod(at + strlen(ops[k]), &end);
        while (*end == ' ') end++;
        if (end == at + strlen(ops[k]) || *end || !isfinite(c->value)) return -1;
        return 0;
    }
    return -1;
}

static int holds(const constraint *c, double v)
{
    if (!strcmp(c->op, "<=")) return v <= c->value;
    if (!strcmp(c->op, ">=")) return v >= c->value;
    if (!strcmp(c->op, "<")) return v < c->value;
    if (!strcmp(c->op, ">")) return v > c->value;
    return v == c->value;
}

static int by_objective(const void *a, const void *b)
{
    double x = ((const point *)a)->objective, y = ((const point *)b)->objective;
    if (x < y) return -1;
    if (x > y) return 1;
    long i = ((const point *)a)->idx, j = ((const point *)b)->idx;
    return (i > j) - (i < j);   /* ties: grid order, so the result is deterministic */
}

/* The values of grid point idx (the last --vary varies fastest, as sweep prints them). */
static void point_values(const ms_cli_vary *vary, int nv, long idx, const char **val)
{
    for (int k = nv - 1; k >= 0; k--) {
        val[k] = vary[k].values[idx % vary[k].n];
        idx /= vary[k].n;
    }
}

static void json_str(char *buf, size_t cap, size_t *n, const char *s)
{
    if (*n < cap) *n += (size_t)snprintf(buf + *n, cap - *n, "\"");
    for (; *s && *n + 8 < cap; s++) {
        if (*s == '"' || *s == '\\') buf[(*n)++] = '\\';
        if ((unsigned char)*s < 0x20) { *n += (size_t)snprintf(buf + *n, cap - *n, "\\u%04x", *s); continue; }
        buf[(*n)++] = *s;
    }
    if (*n < cap) *n += (size_t)snprintf(buf + *n, cap - *n, "\"");
    if (*n >= cap) *n = cap - 1;
    buf[*n] = 0;
}

typedef struct {
    const char *objective;
    int maximize;
    long top;
    constraint *cons;
    int ncons;
} search_opts;

static int search_flag(void *ctx, const char *flag, const char *v)
{
    search_opts *o = ctx;
    if (!strcmp(flag, "--objective")) {
        o->objective = v;
        if (!strncmp(v, "max:", 4)) o->maximize = 1, o->objective = v + 4;
        else if (!strncmp(v, "min:", 4)) o->objective = v + 4;
        return 0;
    }
    if (!strcmp(flag, "--top")) {
        int t;
        if (ms_arg_int("--top", v, 1, 1000, &t)) return -1;
        o->top = t;
        return 0;
    }
    if (o->ncons == MAX_CONSTRAINTS) {
        fprintf(stderr, "mlsysim search: at most %d --constraint\n", MAX_CONSTRAINTS);
        return -1;
    }
    constraint *k = &o->cons[o->ncons];
    if (parse_constraint(v, k)) {
        fprintf(stderr, "mlsysim search: --constraint '%s' is not KEY<=V (or >=, <, >, ==) with a number V\n", v);
        return -1;
    }
    const ms_result_key *rk = ms_result_key_find(k->key);
    if (!rk || rk->kind == MS_V_STR || rk->kind == MS_V_RAW) {
        fprintf(stderr, "mlsysim search: --constraint: '%s' is not a numeric result key (mlsysim schema lists them)\n",
                k->key);
        return -1;
    }
    o->ncons++;
    return 0;
}

int ms_cli_search(ms_cli *c, int argc, char **argv)
{
    ms_cli_vary vary[MS_CLI_MAX_VARY];
    constraint cons[MAX_CONSTRAINTS];
    memset(vary, 0, sizeof vary);
    int nv = 0, rc = MS_EXIT_OK;
    char **rest = malloc(sizeof(char *) * (size_t)(argc + 1));
    ms_plan *base = malloc(sizeof *base), *p = malloc(sizeof *p);
    ms_result *res = malloc(sizeof *res);
    point *pts = NULL;
    int nrest = 0;
    if (!rest || !base || !p || !res) { rc = MS_EXIT_INPUT; goto out; }
    search_opts so = {NULL, 0, 5, cons, 0};
    static const char *const flags[] = {"--objective", "--constraint", "--top", NULL};
    int ga = ms_cli_grid_args("search", argc, argv, flags, search_flag, &so, vary, &nv, rest, &nrest);
    if (ga) { rc = ga > 0 ? search_help() : MS_EXIT_INPUT; goto out; }
    const char *objective = so.objective;
    int maximize = so.maximize, ncons = so.ncons;
    long top = so.top;
    if (!nv) { fprintf(stderr, "mlsysim search: needs at least one --vary KEY=VALUES (see --help)\n"); rc = MS_EXIT_INPUT; goto out; }
    if (!objective) { fprintf(stderr, "mlsysim search: needs --objective [min:|max:]KEY (see --help)\n"); rc = MS_EXIT_INPUT; goto out; }
    const ms_result_key *ok = ms_result_key_find(objective);
    if (!ok || ok->kind == MS_V_STR || ok->kind == MS_V_RAW) {
        fprintf(stderr, "mlsysim search: --objective: '%s' is not a numeric result key (mlsysim schema lists them)\n", objective);
        rc = MS_EXIT_INPUT;
        goto out;
    }
    rc = ms_cli_load_subject(c, nrest, rest, base);
    if (rc) goto out;
    long total = 1;
    for (int k = 0; k < nv; k++) total *= vary[k].n;
    if (total > MAX_POINTS) { fprintf(stderr, "mlsysim search: %ld points (at most %d)\n", total, MAX_POINTS); rc = MS_EXIT_INPUT; goto out; }
    for (int k = 0; k < nv; k++)
        for (int j = 0; j < vary[k].n; j++) {
            char err[1024];
            *p = *base;
            if (ms_plan_set(c->reg, p, vary[k].key, vary[k].values[j], err, sizeof err) != MS_OK) {
                fprintf(stderr, "mlsysim search: --vary %s\n", err);
                rc = MS_EXIT_INPUT;
                goto out;
            }
        }
    pts = malloc(sizeof *pts * (size_t)total);
    if (!pts) { rc = MS_EXIT_INPUT; goto out; }
    long npts = 0, no_fit = 0, failed = 0, errors = 0, missing = 0;
    for (long idx = 0; idx < total; idx++) {
        const char *val[MS_CLI_MAX_VARY];
        point_values(vary, nv, idx, val);
        *p = *base;
        char err[1024];
        for (int k = 0; k < nv; k++) ms_plan_set(c->reg, p, vary[k].key, val[k], err, sizeof err);
        ms_status st = ms_plan_eval(c->reg, p, res);
        int keep = st == MS_OK;
        if (st == MS_ERR_MEMORY) no_fit++;
        else if (st == MS_ERR_ASSERT) failed++;
        else if (st != MS_OK) errors++;
        double obj = 0, v;
        if (keep && !ms_result_get(res, objective, &obj)) keep = 0, missing++;
        for (int k = 0; keep && k < ncons; k++) {
            if (!ms_result_get(res, cons[k].key, &v)) { keep = 0; missing++; }
            else if (!holds(&cons[k], v)) { keep = 0; failed++; }
        }
        if (keep) pts[npts++] = (point){idx, maximize ? -obj : obj};
        ms_result_free(res);
    }
    qsort(pts, (size_t)npts, sizeof *pts, by_objective);
    if (top > npts) top = npts;
    /* the answer as one result: the search's counts, the best point's values, the top list */
    ms_result o;
    char title[400];
    snprintf(title, sizeof title, "Search: %s %.64s over %ld points", maximize ? "max" : "min", objective, total);
    ms_result_init(&o, title);
    ms_result_str(&o, "objective", objective);
    ms_result_str(&o, "direction", maximize ? "max" : "min");
    ms_result_int(&o, "searched", total);
    ms_result_int(&o, "kept", npts);
    ms_result_int(&o, "does_not_fit", no_fit);
    ms_result_int(&o, "constraint_failed", failed);
    if (errors) ms_result_int(&o, "errors", errors);
    if (missing) ms_result_int(&o, "key_missing", missing);
    char *list = malloc(65536);
    size_t ln = 0;
    if (list) list[ln++] = '[';
    for (long t = 0; t < top; t++) {
        const char *val[MS_CLI_MAX_VARY];
        point_values(vary, nv, pts[t].idx, val);
        double obj = maximize ? -pts[t].objective : pts[t].objective;
        if (t == 0) {
            for (int k = 0; k < nv; k++) {
                char key[80];
                snprintf(key, sizeof key, "best.%.63s", vary[k].key);
                ms_result_str(&o, key, val[k]);
            }
            char key[80];
            snprintf(key, sizeof key, "best.%.58s", objective);
            ms_result_num(&o, key, obj);
        }
        if (list && ln < 60000) {
            ln += (size_t)snprintf(list + ln, 65536 - ln, "%s{", t ? "," : "");
            for (int k = 0; k < nv; k++) {
                json_str(list, 65536, &ln, vary[k].key);
                list[ln++] = ':';
                json_str(list, 65536, &ln, val[k]);
                list[ln++] = ',';
            }
            json_str(list, 65536, &ln, objective);
            ln += (size_t)snprintf(list + ln, 65536 - ln, ":%.10g}", obj);
        }
    }
    if (list) {
        snprintf(list + ln, 65536 - ln, "]");
        ms_result_raw(&o, "top", list);
    }
    if (c->fmt == MS_FMT_JSON) {
        ms_result_print(&o, MS_FMT_JSON, stdout);
    } else {
        ms_result_print(&o, c->fmt, stdout);
        if (top > 0) {
            printf("\nrank,");
            for (int k = 0; k < nv; k++) printf("%s,", vary[k].key);
            printf("%s\n", objective);
            for (long t = 0; t < top; t++) {
                const char *val[MS_CLI_MAX_VARY];
                point_values(vary, nv, pts[t].idx, val);
                printf("%ld,", t + 1);
                for (int k = 0; k < nv; k++) printf("%s,", val[k]);
                printf("%.10g\n", maximize ? -pts[t].objective : pts[t].objective);
            }
        }
    }
    ms_result_free(&o);
    free(list);
    if (!npts) {
        fprintf(stderr, "mlsysim search: no point meets the constraints (%ld do not fit, %ld miss a constraint or assert)\n",
                no_fit, failed);
        rc = MS_EXIT_ASSERT;
    } else {
        rc = MS_EXIT_OK;
    }
out:
    for (int k = 0; k < nv; k++) free(vary[k].storage);
    free(pts);
    free(rest);
    free(base);
    free(p);
    free(res);
    return rc;
}
