/* cmd_validate.c - `mlsysim validate [--table FILE] [--calibration FILE] [--stacks FILE]
 * [--row TEXT] [--breakdown] [--json]`: predicted vs measured step time and TFLOP/s per
 * accelerator (with --breakdown, each prediction's parts) for every published run in
 * mlsysim/validation/runs.csv, with the error of each row and the median / maximum absolute
 * error; then, when they sit beside the table, the NCCL-tests bus bandwidths of collectives.csv
 * and the serving measurements of serving.csv (built-in registry), each with calibration and
 * held-out rows apart.
 *
 * The table is found at --table FILE, else $MLSB_SOURCE_DIR/mlsysim/validation/runs.csv, else
 * mlsysim/validation/runs.csv below the current directory or any parent of it or of the
 * executable. Its calibration.csv and stacks.csv are --calibration / --stacks FILE, else the ones
 * beside it, else (a table in a folder without calibration.csv) the project's. A table whose
 * figures come from another folder had none chosen on its rows: a row without a split is held out
 * and a generation without calibration rows takes its baseline from the runs.csv beside that
 * calibration.csv (ms_dist_validation_t.baseline_table).
 * Exit codes: 0 ok, 1 bad arguments or the table cannot be read.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mlsysim/distributed.h"

#define REL_TABLE "mlsysim/validation/runs.csv"
#define PATH_MAX_ 4096

static int readable(const char *p)
{
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    fclose(f);
    return 1;
}

/* Tries dir/REL_TABLE for dir and each of its parents. */
static int search_up(const char *start, char *out, size_t outlen)
{
    char dir[PATH_MAX_];
    if (snprintf(dir, sizeof dir, "%s", start) >= (int)sizeof dir) return 0;
    for (int depth = 0; depth < 8; depth++) {
        if (snprintf(out, outlen, "%s/%s", dir, REL_TABLE) < (int)outlen && readable(out)) return 1;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) break;
        *slash = '\0';
    }
    return 0;
}

static int find_table(char *out, size_t outlen)
{
    const char *src = getenv("MLSB_SOURCE_DIR");
    if (src && *src && snprintf(out, outlen, "%s/%s", src, REL_TABLE) < (int)outlen && readable(out)) return 1;
    char cwd[PATH_MAX_];
    if (getcwd(cwd, sizeof cwd) && search_up(cwd, out, outlen)) return 1;
    char exe[PATH_MAX_];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        if (search_up(exe, out, outlen)) return 1;
    }
    return 0;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", (unsigned char)*s);
        else putchar(*s);
    }
    putchar('"');
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mlsysim validate [--table FILE | --runs FILE] [--calibration FILE] [--stacks FILE]\n"
               "                        [--row TEXT] [--breakdown] [--json] [--svg FILE] [--svg-serving FILE]\n"
               "                        [--svg-collectives FILE]\n"
               "  Compares predicted and published step time and TFLOP/s per accelerator for every\n"
               "  published run, and reports calibration (in-sample) and held-out rows separately,\n"
               "  each beside a constant-TFLOP/s baseline. Then, from the same folder, published\n"
               "  NCCL-tests bus bandwidths (collectives.csv; baseline: line rate) and serving\n"
               "  measurements (serving.csv: tokens/s per GPU, time to first token and\n"
               "  inter-token latency of static batches and closed loops, with the medians per\n"
               "  serving stack).\n"
               "examples:\n"
               "  mlsysim validate\n"
               "  mlsysim validate --json\n"
               "  mlsysim validate --table my/runs.csv   (calibration.csv and stacks.csv beside it,\n"
               "                                          else the project's: the figures the engine\n"
               "                                          was calibrated with; then a row without a\n"
               "                                          split is held out and a generation without\n"
               "                                          calibration rows takes the project's baseline;\n"
               "                                          hardware columns left blank take the registry's\n"
               "                                          figures for the stack's accelerator and its node;\n"
               "                                          a row that names its model (column model: a\n"
               "                                          registry name or a hub id such as\n"
               "                                          meta-llama/Llama-2-70b-hf) may leave layers to\n"
               "                                          vocab blank for the registry's)\n"
               "  mlsysim validate --table my/runs.csv --calibration my/cal.csv --stacks my/stacks.csv\n"
               "  mlsysim validate --table my/serving.csv   (a serving or NCCL-tests table, known by its\n"
               "                                          header, validated alone)\n"
               "  mlsysim validate --breakdown            (each prediction's parts: matmul, memory-bound\n"
               "                                          ops, each collective, bubble, optimizer)\n"
               "  mlsysim validate --row FDRY-A100-7B --breakdown   (only runs whose id contains the\n"
               "                                          text, each with its whole breakdown)\n"
               "  mlsysim validate --row TRT09-H100-L2-70B   (the serving measurements whose id\n"
               "                                          contains the text; summaries over all)\n"
               "  mlsysim validate --svg docs/img/mlsysim-validation-training.svg   (predicted against\n"
               "                                          measured tokens/s per accelerator, one point\n"
               "                                          per listed run, with the 10 and 20 %% bands)\n"
               "  mlsysim validate --svg-serving docs/img/mlsysim-validation-serving.svg   (the same for\n"
               "                                          serving.csv's tokens/s per GPU)\n"
               "  mlsysim validate --svg-collectives docs/img/mlsysim-validation-collectives.svg\n"
               "                                          (collectives.csv's NCCL-tests bus bandwidths,\n"
               "                                          coloured by generation and algorithm)\n"
               "  mlsysim validate --runs my/runs.csv --json   (--runs is --table; each row's JSON\n"
               "                                          says its sharding: a blank zero_stage\n"
               "                                          follows the stack's name, FSDP = ZeRO-3)\n"
               "exit codes: 0 done, 1 bad arguments, an unreadable table, or rows the engine cannot\n"
               "            predict: a layout it refuses, a generation or figure calibration.csv\n"
               "            lacks (each named with its line on stderr and in JSON not_predicted;\n"
               "            the other rows are still predicted and summarised)\n");
}

/* dir/name beside the runs table; 0 when not readable. */
static int beside(const char *table, const char *name, char *out, size_t outlen)
{
    const char *slash = strrchr(table, '/');
    int dl = slash ? (int)(slash - table + 1) : 0;
    return snprintf(out, outlen, "%.*s%s", dl, table, name) < (int)outlen && readable(out);
}

static void stats_json(const char *name, const ms_dist_val_stats_t *s, int baseline)
{
    printf("\"%s\":{\"rows\":%d,\"median_abs_error\":%.6g,\"max_abs_error\":%.6g", name, s->n,
           s->median_abs_error, s->max_abs_error);
    if (baseline)
        printf(",\"baseline_median_abs_error\":%.6g,\"baseline_max_abs_error\":%.6g",
               s->baseline_median_abs_error, s->baseline_max_abs_error);
    printf("}");
}

/* 1 if the row is listed: every row, or those whose id contains `only` (--row). */
static int shown(const ms_dist_run_row_t *r, const char *only)
{
    return !only || strstr(r->id, only) != NULL;
}

/* The measured tokens/s per accelerator of a row: the predicted figure at the measured step. */
static double measured_tokens_per_s(const ms_dist_run_row_t *r)
{
    return r->predicted_tokens_per_s * r->predicted_step_s / r->measured_step_s;
}

/* The index of `name` among the first *ng of names[], added when new; past max names the last
 * one becomes "other" and takes every name after it. */
static int group_of(const char *name, const char **names, int *ng, int max)
{
    for (int k = 0; k < *ng; k++)
        if (!strcmp(names[k], name)) return k;
    if (*ng == max) {
        names[max - 1] = "other";
        return max - 1;
    }
    names[*ng] = name;
    return (*ng)++;
}

/* Rows of a table left out (a training table's refused rows, a serving table's skipped ones): each
 * reason on stderr, saying the other `rows` are still predicted. */
static void refusals_stderr(const ms_dist_refused_row_t *x, int n, const char *rows)
{
    for (int i = 0; i < n; i++)
        fprintf(stderr, "mlsysim validate: %s (not predicted; the other %s are)\n", x[i].reason, rows);
}

/* The same as the JSON member ,"not_predicted":[{id, line, reason}, ...]. */
static void refusals_json(const ms_dist_refused_row_t *x, int n)
{
    printf(",\"not_predicted\":[");
    for (int i = 0; i < n; i++) {
        printf("%s{\"id\":", i ? "," : "");
        json_str(x[i].id);
        printf(",\"line\":%d,\"reason\":", x[i].line);
        json_str(x[i].reason);
        printf("}");
    }
    printf("]");
}

/* The same as a line of the text output: how many, by the noun for one and for many, and the first 8 ids. */
static void refusals_note(const ms_dist_refused_row_t *x, int n, const char *one, const char *many)
{
    if (!n) return;
    printf("(%d %s not predicted (the reasons above):", n, n == 1 ? one : many);
    for (int i = 0; i < n && i < 8; i++) printf(" %s", x[i].id);
    printf("%s; the summaries are over the rest)\n", n > 8 ? " ..." : "");
}

/* The rows whose blank hardware columns (models: architecture columns) came from the registry,
 * and from which entries. */
static void print_registry_from(const ms_dist_validation_t *v, const char *only, int models)
{
    const char *from[16];
    int nfrom = 0, rows = 0;
    for (int i = 0; i < v->n; i++) {
        const ms_dist_run_row_t *r = &v->rows[i];
        const char *f = models ? r->model_from : r->hardware_from;
        if (!f[0] || !shown(r, only)) continue;
        rows++;
        int k = 0;
        while (k < nfrom && strcmp(from[k], f)) k++;
        if (k == nfrom && nfrom < (int)(sizeof from / sizeof from[0])) from[nfrom++] = f;
    }
    if (!rows) return;
    printf("(%d %s blank %s columns from the registry's ", rows, rows == 1 ? "row takes its" : "rows take their",
           models ? "architecture" : "hardware");
    for (int k = 0; k < nfrom; k++) printf("%s%s", k ? ", " : "", from[k]);
    printf("; --json %s)\n", models ? "model_from" : "hardware_from");
}

/* Prints the software stacks (the text after '/') whose rows took no stacks.csv entry, by name or
 * alias: they run at their generation's figures alone, which a user who named a known stack
 * differently ("A100/MosaicML" for llm-foundry) wants to know. */
static void print_unlisted_stacks(const ms_dist_validation_t *v)
{
    char line[512] = "";
    size_t used = 0;
    int n = 0, more = 0;
    for (int i = 0; i < v->n; i++) {
        const ms_dist_run_row_t *r = &v->rows[i];
        if (*r->stack_figures) continue;
        const char *sw = strchr(r->stack, '/');
        sw = sw ? sw + 1 : r->stack;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            const char *o = strchr(v->rows[j].stack, '/');
            seen = !*v->rows[j].stack_figures && !strcmp(o ? o + 1 : v->rows[j].stack, sw);
        }
        if (seen) continue;
        int w = snprintf(line + used, sizeof line - used, "%s%s", n ? ", " : "", sw);
        if (w < 0 || (size_t)w >= sizeof line - used - 8) { more++; continue; }
        used += (size_t)w;
        n++;
    }
    if (!n && !more) return;
    printf("(stacks named by no stacks.csv entry or alias, at their generation's figures alone: %s%s)\n",
           line, more ? ", ..." : "");
}

static size_t draw_parity(const void *plot, char *buf, size_t cap) { return ms_svg_parity(plot, buf, cap); }

#define MAX_GROUPS 10

/* --svg: the listed runs' tokens/s per accelerator, predicted against measured, coloured by
 * stack. 0 written, 1 not. */
static int svg_training(const char *file, const ms_dist_validation_t *v, const char *only)
{
    ms_svg_parity_point *pts = calloc((size_t)v->n + 1, sizeof *pts);
    if (!pts) { fprintf(stderr, "mlsysim validate: out of memory\n"); return 1; }
    const char *groups[MAX_GROUPS];
    int ng = 0, n = 0;
    for (int i = 0; i < v->n; i++) {
        const ms_dist_run_row_t *r = &v->rows[i];
        if (!shown(r, only)) continue;
        ms_svg_parity_point *q = &pts[n++];
        q->label = r->id;
        q->predicted = r->predicted_tokens_per_s;
        q->measured = measured_tokens_per_s(r);
        q->group = group_of(r->stack, groups, &ng, MAX_GROUPS);
        q->heldout = r->heldout;
    }
    char note[512];
    int w = snprintf(note, sizeof note,
                     "tokens/s per accelerator, held out: %d runs, median |error| %.1f %%, max %.1f %%\n"
                     "calibration: %d runs, median %.1f %%, max %.1f %%; the constant-TFLOP/s baseline held out: median %.1f %%, max %.1f %%",
                     v->heldout.n, 100 * v->heldout.median_abs_tokens_error, 100 * v->heldout.max_abs_tokens_error,
                     v->calibration.n, 100 * v->calibration.median_abs_tokens_error,
                     100 * v->calibration.max_abs_tokens_error, 100 * v->heldout.baseline_median_abs_tokens_error,
                     100 * v->heldout.baseline_max_abs_tokens_error);
    if (only && w > 0 && (size_t)w < sizeof note)
        snprintf(note + w, sizeof note - (size_t)w, "\n(%d of the %d runs drawn: --row %s)", n, v->n, only);
    ms_svg_parity_plot plot = {"Training: predicted against published tokens/s per accelerator",
                               "tokens/s per accelerator", "tokens_per_s", groups, ng, {0.10, 0.20}, note, pts, n};
    int rc = ms_cli_write_svg("validate", file, draw_parity, &plot);
    free(pts);
    return rc ? 1 : 0;
}

/* --svg-serving: serving.csv's tokens/s per GPU rows, predicted against measured, coloured by
 * serving stack and accelerator. 0 written, 1 not. */
static int svg_serving(const char *file, const ms_serving_validation *sv)
{
    ms_svg_parity_point *pts = calloc((size_t)sv->n + 1, sizeof *pts);
    char (*names)[MS_NAME_MAX + 32] = calloc((size_t)sv->n + 1, sizeof *names);
    if (!pts || !names) { free(pts); free(names); fprintf(stderr, "mlsysim validate: out of memory\n"); return 1; }
    const char *groups[MAX_GROUPS];
    int ng = 0, n = 0;
    for (int i = 0; i < sv->n; i++) {
        const ms_serving_row *r = &sv->rows[i];
        if (r->metric != MS_SERVE_TOKENS_PER_S_PER_GPU) continue;
        snprintf(names[n], sizeof names[n], "%s %s", *r->stack ? r->stack : "plan", r->hardware);
        ms_svg_parity_point *q = &pts[n];
        q->label = r->id;
        q->measured = r->measured;
        q->predicted = r->predicted;
        q->group = group_of(names[n], groups, &ng, MAX_GROUPS);
        q->heldout = r->heldout;
        n++;
    }
    int rc = 1;
    if (!n) {
        fprintf(stderr, "mlsysim validate: --svg-serving: serving.csv has no tokens/s row, nothing drawn\n");
    } else {
        const ms_serving_stats *h = &sv->stats[MS_SERVE_TOKENS_PER_S_PER_GPU][1], *c = &sv->stats[MS_SERVE_TOKENS_PER_S_PER_GPU][0];
        char note[256];
        snprintf(note, sizeof note, "tokens/s per GPU, held out: %d rows, median |error| %.1f %%, max %.1f %%%s", h->n,
                 100 * h->median_abs_error, 100 * h->max_abs_error, c->n ? "" : " (no calibration row)");
        ms_svg_parity_plot plot = {"Serving: predicted against published tokens/s per GPU",
                                   "tokens/s per GPU", "tokens_per_s", groups, ng, {0.10, 0.20}, note, pts, n};
        rc = ms_cli_write_svg("validate", file, draw_parity, &plot) ? 1 : 0;
    }
    free(pts);
    free(names);
    return rc;
}

/* --svg-collectives: collectives.csv's bus bandwidths, predicted against measured, coloured by the
 * generation and the algorithm the prediction ran. 0 written, 1 not. */
static int svg_collectives(const char *file, const ms_dist_coll_validation_t *cv)
{
    ms_svg_parity_point *pts = calloc((size_t)cv->n + 1, sizeof *pts);
    char (*names)[48] = calloc((size_t)cv->n + 1, sizeof *names);
    if (!pts || !names) { free(pts); free(names); fprintf(stderr, "mlsysim validate: out of memory\n"); return 1; }
    const char *groups[MAX_GROUPS];
    int ng = 0;
    for (int i = 0; i < cv->n; i++) {
        const ms_dist_coll_row_t *r = &cv->rows[i];
        snprintf(names[i], sizeof names[i], "%s %s", r->generation, r->algorithm);
        pts[i].label = r->id;
        pts[i].measured = r->measured_busbw_bytes_per_s;
        pts[i].predicted = r->predicted_busbw_bytes_per_s;
        pts[i].group = group_of(names[i], groups, &ng, MAX_GROUPS);
        pts[i].heldout = r->heldout;
    }
    char note[256];
    snprintf(note, sizeof note, "NCCL-tests bus bandwidth, held out: %d rows, median |error| %.1f %%, max %.1f %%\n"
             "calibration: %d rows, median %.1f %%, max %.1f %%", cv->heldout.n, 100 * cv->heldout.median_abs_error,
             100 * cv->heldout.max_abs_error, cv->calibration.n, 100 * cv->calibration.median_abs_error,
             100 * cv->calibration.max_abs_error);
    ms_svg_parity_plot plot = {"Collectives: predicted against published NCCL-tests bus bandwidth",
                               "bus bandwidth", "busbw_bytes_per_s", groups, ng, {0.10, 0.20}, note, pts, cv->n};
    int rc = ms_cli_write_svg("validate", file, draw_parity, &plot) ? 1 : 0;
    free(pts);
    free(names);
    return rc;
}

/* collectives.csv: JSON member "collectives" or a text section (with svg_file, the
 * --svg-collectives picture too). 0 ok, 1 unreadable. */
static int print_collectives(const char *path, const char *calibration, int json, const char *svg_file)
{
    ms_dist_coll_validation_t cv;
    char err[512];
    if (ms_dist_coll_validation_load_figures(path, calibration, &cv, err, sizeof err) != MS_DIST_OK) {
        fprintf(stderr, "mlsysim validate: %s\n", err);
        return 1;
    }
    static const char *kinds[] = {"allreduce", "allreduce_tree", "reduce_scatter", "all_gather", "all_to_all"};
    if (json) {
        printf(",\"collectives\":{\"table\":");
        json_str(path);
        printf(",\"rows\":[");
        for (int i = 0; i < cv.n; i++) {
            const ms_dist_coll_row_t *r = &cv.rows[i];
            printf("%s{\"id\":", i ? "," : "");
            json_str(r->id);
            printf(",\"generation\":");
            json_str(r->generation);
            printf(",\"kind\":\"%s\",\"algorithm\":\"%s\",\"ring_only\":%s,\"nvls_efficiency\":%.6g,\"split\":\"%s\",\"ranks\":%d,\"bytes\":%.10g,"
                   "\"measured_busbw_bytes_per_s\":%.6g,\"predicted_busbw_bytes_per_s\":%.6g,"
                   "\"line_rate_busbw_bytes_per_s\":%.6g,\"error\":%.6g,\"baseline_error\":%.6g,\"citation\":",
                   kinds[r->kind], r->algorithm, r->fabric.ring_only ? "true" : "false", r->fabric.nvls_efficiency,
                   r->heldout ? "heldout" : "calibration", r->ranks, r->bytes,
                   r->measured_busbw_bytes_per_s, r->predicted_busbw_bytes_per_s, r->line_busbw_bytes_per_s,
                   r->error, r->baseline_error);
            json_str(r->citation);
            printf("}");
        }
        printf("],");
        stats_json("calibration", &cv.calibration, 1);
        printf(",");
        stats_json("heldout", &cv.heldout, 1);
        printf("}");
    } else {
        printf("\nNCCL-tests bus bandwidth (%s)\n", path);
        printf("%-28s %-5s %-10s %-9s %6s %12s %10s %10s %10s %8s %9s\n", "collective", "split", "kind", "algorithm", "ranks",
               "bytes", "meas GB/s", "pred GB/s", "line GB/s", "error", "line err");
        for (int i = 0; i < cv.n; i++) {
            const ms_dist_coll_row_t *r = &cv.rows[i];
            printf("%-28s %-5s %-10s %-9s %6d %12.4g %10.1f %10.1f %10.1f %+7.1f%% %+8.1f%%\n", r->id,
                   r->heldout ? "held" : "calib", kinds[r->kind], r->algorithm, r->ranks, r->bytes,
                   r->measured_busbw_bytes_per_s / 1e9, r->predicted_busbw_bytes_per_s / 1e9,
                   r->line_busbw_bytes_per_s / 1e9, 100 * r->error, 100 * r->baseline_error);
        }
        const ms_dist_val_stats_t *st[2] = {&cv.calibration, &cv.heldout};
        const char *nm[2] = {"calibration (in-sample)", "held-out (out-of-sample)"};
        for (int k = 0; k < 2; k++)
            printf("%-26s %5d %13.1f%% %10.1f%%   line rate: %.1f%% / %.1f%%\n", nm[k], st[k]->n,
                   100 * st[k]->median_abs_error, 100 * st[k]->max_abs_error,
                   100 * st[k]->baseline_median_abs_error, 100 * st[k]->baseline_max_abs_error);
    }
    int rc = svg_file ? svg_collectives(svg_file, &cv) : 0;
    ms_dist_coll_validation_free(&cv);
    return rc;
}

/* serving.csv predicted once against the built-in registry: the --row check and the serving
 * section both read it. MS_OK, or the reason in err (the section prints it). The rows keep copies
 * of the names they use, so the registry goes with the call. */
static ms_status load_serving(const char *path, ms_serving_validation *sv, char *err, size_t errlen)
{
    char rerr[512];
    memset(sv, 0, sizeof *sv);
    ms_registry *reg = ms_registry_new(rerr, sizeof rerr);
    if (!reg) { snprintf(err, errlen, "built-in registry: %s", rerr); return MS_ERR_INPUT; }
    ms_status st = ms_serving_validation_run(reg, path, sv, err, errlen);
    ms_registry_free(reg);
    return st;
}

/* One summary of the serving table: a stack's rows of one kind of run, metric and split. */
#define MAX_SERVING_STACKS 16
typedef struct {
    const char *stack;            /* "" = the plan alone */
    int loop;                     /* 1 closed loops, 0 static batches */
    ms_serving_metric metric;
    int heldout;
    ms_serving_stats st;
} serving_group;

/* Every summary with rows, stacks in the order of their first row (at most cap): what the text
 * and the JSON report per stack. */
static int serving_groups(const ms_serving_validation *sv, serving_group *g, int cap)
{
    const char *stk[MAX_SERVING_STACKS];
    int nstk = 0, n = 0;
    for (int i = 0; i < sv->n; i++) {
        int k = 0;
        while (k < nstk && strcmp(stk[k], sv->rows[i].stack)) k++;
        if (k == nstk && nstk < (int)(sizeof stk / sizeof stk[0])) stk[nstk++] = sv->rows[i].stack;
    }
    for (int k = 0; k < nstk; k++)
        for (int loop = 0; loop < 2; loop++)
            for (int m = 0; m < MS_SERVE_METRICS; m++)
                for (int h = 0; h < 2 && n < cap; h++) {
                    serving_group x = {stk[k], loop, (ms_serving_metric)m, h, {0}};
                    if (ms_serving_stats_for(sv, stk[k], loop, x.metric, h, &x.st) == MS_OK && x.st.n) g[n++] = x;
                }
    return n;
}

/* The serving section: JSON member "serving" or a text section, listing every row or, with
 * --row, those whose id contains `only` (the summaries over all of them); with svg_file, the
 * --svg-serving picture too. */
static int print_serving(const char *path, const ms_serving_validation *sv, int json, const char *svg_file,
                         const char *only)
{
    static const char *label[MS_SERVE_METRICS] = {"tokens/s per GPU", "time to 1st token", "inter-token lat."};
    static const char *unit[MS_SERVE_METRICS] = {"tok/s", "TTFT s", "ITL s"};
    serving_group grp[MAX_SERVING_STACKS * 2 * MS_SERVE_METRICS * 2];
    int ngrp = serving_groups(sv, grp, (int)(sizeof grp / sizeof grp[0]));
    refusals_stderr(sv->skipped, sv->nskipped, "measurements");   /* left out: what the project does not hold */
    if (json) {
        printf(",\"serving\":{\"table\":");
        json_str(path);
        refusals_json(sv->skipped, sv->nskipped);
        printf(",\"unknown_stacks\":[");             /* predicted by the plan alone */
        for (int i = 0; i < sv->nunknown; i++) {
            if (i) printf(",");
            json_str(sv->unknown_stacks[i]);
        }
        printf("]");
        printf(",\"rows\":[");
        for (int i = 0, first = 1; i < sv->n; i++) {
            const ms_serving_row *r = &sv->rows[i];
            if (only && !strstr(r->id, only)) continue;
            printf("%s{\"id\":", first ? "" : ",");
            first = 0;
            json_str(r->id);
            printf(",\"model\":");
            json_str(r->model);
            printf(",\"hardware\":");
            json_str(r->hardware);
            printf(",\"precision\":\"%s\",\"weight_precision\":\"%s\",\"kv_precision\":\"%s\",\"routing\":\"%s\",\"tp\":%d,\"batch\":%d,\"input_len\":%d,\"output_len\":%d,"
                   "\"metric\":\"%s\",\"split\":\"%s\",\"efficiency\":%.4g,\"measured\":%.6g,"
                   "\"predicted\":%.6g,\"error\":%.6g,\"ttft_s\":%.6g,\"itl_s\":%.6g,\"in_flight\":%d,"
                   "\"layer_overhead_s\":%.6g,\"decode_overhead_s\":%.6g,\"kv_extra_s\":%.6g,\"attn_block_s\":%.6g,\"decode_serial\":%.3g,"
                   "\"request_overhead_s\":%.6g,"
                   "\"clients\":%d,\"requests_per_s\":%.6g,\"max_num_tokens\":%d,\"wave_per_iteration\":%d,"
                   "\"wave_prefill_s\":%.6g,\"stack\":",
                   ms_precision_name(r->precision), ms_precision_name(r->weight_precision), ms_precision_name(r->kv_precision),
                   ms_moe_routing_name(r->moe_routing), r->tp, r->batch, r->input_len, r->output_len,
                   ms_serving_metric_name(r->metric), r->heldout ? "heldout" : "calibration", r->efficiency, r->measured,
                   r->predicted, r->error, r->ttft_s, r->itl_s, r->in_flight, r->layer_overhead_s, r->decode_overhead_s,
                   r->kv_extra_s, r->attn_block_s, r->decode_serial, r->request_overhead_s, r->clients, r->requests_per_s, r->max_num_tokens,
                   r->wave_per_iteration, r->wave_prefill_s);
            json_str(r->stack);
            printf(",\"citation\":");
            json_str(r->citation);
            printf("}");
        }
        printf("]");
        for (int m = 0; m < MS_SERVE_METRICS; m++)
            for (int h = 0; h < 2; h++)
                printf(",\"%s_%s\":{\"rows\":%d,\"median_abs_error\":%.6g,\"max_abs_error\":%.6g}",
                       ms_serving_metric_name((ms_serving_metric)m), h ? "heldout" : "calibration", sv->stats[m][h].n,
                       sv->stats[m][h].median_abs_error, sv->stats[m][h].max_abs_error);
        /* the same per serving stack: the tables' sources differ in software and era */
        printf(",\"by_stack\":[");
        for (int k = 0; k < ngrp; k++) {
            const serving_group *x = &grp[k];
            printf("%s{\"stack\":", k ? "," : "");
            json_str(x->stack);
            printf(",\"run\":\"%s\",\"metric\":\"%s\",\"split\":\"%s\",\"rows\":%d,"
                   "\"median_abs_error\":%.6g,\"max_abs_error\":%.6g}", x->loop ? "closed_loop" : "static_batch",
                   ms_serving_metric_name(x->metric), x->heldout ? "heldout" : "calibration", x->st.n,
                   x->st.median_abs_error, x->st.max_abs_error);
        }
        printf("]}");
    } else {
        printf("\nServing (%s; built-in registry, the generation's calibrated inference efficiency, each row's serving-stack costs)\n", path);
        int w = 26;                                        /* the id column: as wide as the longest */
        int listed = 0;
        for (int i = 0; i < sv->n; i++) {
            if (only && !strstr(sv->rows[i].id, only)) continue;
            int L = (int)strlen(sv->rows[i].id);
            if (L > w) w = L;
            listed++;
        }
        printf("%-*s %-5s %-12s %-6s %3s %5s %5s %5s %-7s %10s %10s %8s\n", w, "measurement", "split", "model",
               "hw", "tp", "batch", "in", "out", "metric", "measured", "predicted", "error");
        for (int i = 0; i < sv->n; i++) {
            const ms_serving_row *r = &sv->rows[i];
            if (only && !strstr(r->id, only)) continue;
            printf("%-*s %-5s %-12s %-6s %3d %5d %5d %5d %-7s %10.4g %10.4g %+7.1f%%\n", w, r->id,
                   r->heldout ? "held" : "calib", r->model, r->hardware, r->tp, r->batch, r->input_len,
                   r->output_len, unit[r->metric], r->measured, r->predicted, 100 * r->error);
        }
        if (only) printf("(%d of %d measurements listed: --row %s; the summaries below are over all of them)\n", listed, sv->n, only);
        for (int m = 0; m < MS_SERVE_METRICS; m++)
            for (int h = 0; h < 2; h++) {
                if (!sv->stats[m][h].n) continue;
                printf("%-16s %-11s %5d rows  median |err| %5.1f%%  max |err| %5.1f%%\n",
                       label[m], h ? "held-out" : "calibration",
                       sv->stats[m][h].n, 100 * sv->stats[m][h].median_abs_error, 100 * sv->stats[m][h].max_abs_error);
            }
        printf("by serving stack (the column `stack`; none = the plan alone) and run (static batch, or a\n"
               "closed loop of `clients`):\n");
        for (int k = 0; k < ngrp; k++) {
            const serving_group *x = &grp[k];
            printf("  %-13s %-7s %-16s %-11s %5d rows  median |err| %5.1f%%  max |err| %5.1f%%\n",
                   *x->stack ? x->stack : "none", x->loop ? "loop" : "static", label[x->metric],
                   x->heldout ? "held-out" : "calibration", x->st.n, 100 * x->st.median_abs_error,
                   100 * x->st.max_abs_error);
        }
        if (sv->nunknown) {
            printf("(serving stacks the engine has no figures for, predicted by the plan alone:");
            for (int i = 0; i < sv->nunknown; i++) printf("%s %s", i ? "," : "", sv->unknown_stacks[i]);
            printf(")\n");
        }
        refusals_note(sv->skipped, sv->nskipped, "measurement", "measurements");
    }
    int rc = svg_file ? svg_serving(svg_file, sv) : 0;
    return rc || sv->nskipped ? 1 : 0;
}

/* The calibration and held-out summaries under `title`: errors on step time, or on tokens/s. */
static void split_table(const char *title, const ms_dist_validation_t *v, int tokens)
{
    const ms_dist_val_stats_t *st[2] = {&v->calibration, &v->heldout};
    const char *nm[2] = {"calibration (in-sample)", "held-out (out-of-sample)"};
    printf("\n%-26s %5s %14s %11s %16s %13s\n", title, "n", "median |err|", "max |err|",
           "baseline median", "baseline max");
    for (int k = 0; k < 2; k++) {
        const ms_dist_val_stats_t *x = st[k];
        if (!x->n) { printf("%-26s %5d %14s %11s %16s %13s\n", nm[k], 0, "-", "-", "-", "-"); continue; }
        printf("%-26s %5d %13.1f%% %10.1f%% %15.1f%% %12.1f%%\n", nm[k], x->n,
               100.0 * (tokens ? x->median_abs_tokens_error : x->median_abs_error),
               100.0 * (tokens ? x->max_abs_tokens_error : x->max_abs_error),
               100.0 * (tokens ? x->baseline_median_abs_tokens_error : x->baseline_median_abs_error),
               100.0 * (tokens ? x->baseline_max_abs_tokens_error : x->baseline_max_abs_error));
    }
}

/* A published run's prediction as a result with the keys `eval` reports for a training step,
 * for the shared --breakdown printers (cmd_breakdown.c). */
static void row_result(const ms_dist_run_row_t *r, ms_result *res)
{
    ms_result_init(res, r->id);
    ms_result_num(res, "step_time_s", r->predicted.step_time_s);
    ms_result_num(res, "compute_s", r->predicted.compute_s);
    ms_result_num(res, "bubble_s", r->predicted.bubble_s);
    ms_result_train_parts(res, &r->predicted, &r->par);
    if (r->accel.power_limit_w > 0) {
        ms_result_num(res, "power_limit_w", r->accel.power_limit_w);
        ms_result_num(res, "clock_fraction", r->predicted.clock_fraction);
    }
}

/* --breakdown (text): with --row each listed run's full table, measured beside predicted;
 * otherwise one line per run, each part as a share of its predicted step. */
static void print_breakdowns(const ms_dist_validation_t *v, const char *only)
{
    if (!only) {
        printf("\nbreakdown of each predicted step (share of the step; seconds: --row ID --breakdown or --json)\n");
        ms_cli_print_breakdown_line(NULL, "run");
    }
    for (int i = 0; i < v->n; i++) {
        const ms_dist_run_row_t *r = &v->rows[i];
        if (!shown(r, only)) continue;
        ms_result res;
        row_result(r, &res);
        if (only) {
            char title[256];
            if (r->published_batch != r->par.global_batch)
                snprintf(title, sizeof title, "%s: measured %.4g s for %d sequences, predicted %.4g s; the parts "
                         "are of the step of %d sequences", r->id, r->measured_step_s, r->published_batch,
                         r->predicted_step_s, r->par.global_batch);
            else
                snprintf(title, sizeof title, "%s: measured %.4g s, predicted", r->id, r->measured_step_s);
            ms_cli_print_breakdown(&res, title);
        } else {
            ms_cli_print_breakdown_line(&res, r->id);
        }
        ms_result_free(&res);
    }
    printf("\n");
}

int ms_cli_validate(int argc, char **argv)
{
    const char *table = NULL, *cal_file = NULL, *stk_file = NULL, *only = NULL, *svg = NULL, *svg_serving = NULL;
    const char *svg_coll = NULL;
    int json = 0, breakdown = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "json") == 0) json = 1;
            else if (strcmp(argv[i], "text") != 0) { fprintf(stderr, "mlsysim validate: --output: unknown format '%s' (text|json)\n", argv[i]); return 1; }
        }
        else if ((strcmp(argv[i], "--table") == 0 || strcmp(argv[i], "--runs") == 0) && i + 1 < argc) table = argv[++i];
        else if (strcmp(argv[i], "--calibration") == 0 && i + 1 < argc) cal_file = argv[++i];
        else if (strcmp(argv[i], "--stacks") == 0 && i + 1 < argc) stk_file = argv[++i];
        else if (strcmp(argv[i], "--row") == 0 && i + 1 < argc) only = argv[++i];
        else if (strcmp(argv[i], "--breakdown") == 0) breakdown = 1;
        else if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
        else if (strcmp(argv[i], "--svg-serving") == 0 && i + 1 < argc) svg_serving = argv[++i];
        else if (strcmp(argv[i], "--svg-collectives") == 0 && i + 1 < argc) svg_coll = argv[++i];
        else if (strcmp(argv[i], "--svg") == 0 || strcmp(argv[i], "--svg-serving") == 0 ||
                 strcmp(argv[i], "--svg-collectives") == 0) {
            fprintf(stderr, "mlsysim validate: %s needs a file (the picture to write)\n", argv[i]);
            return 1;
        }
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) { usage(stdout); return 0; }
        else if (strcmp(argv[i], "validate") == 0 && i == 1) continue;
        else { fprintf(stderr, "mlsysim validate: unknown argument '%s'\n", argv[i]); usage(stderr); return 1; }
    }
    char path[PATH_MAX_];
    struct stat st;
    if (table && stat(table, &st) == 0 && S_ISDIR(st.st_mode)) {   /* a folder: its runs.csv */
        size_t tl = strlen(table);
        if (snprintf(path, sizeof path, "%s%sruns.csv", table, tl && table[tl - 1] == '/' ? "" : "/") >= (int)sizeof path) {
            fprintf(stderr, "mlsysim validate: --table: path too long\n");
            return 1;
        }
    } else if (table) snprintf(path, sizeof path, "%s", table);
    else if (!find_table(path, sizeof path)) {
        fprintf(stderr, "mlsysim validate: cannot find %s (use --table FILE or set MLSB_SOURCE_DIR)\n", REL_TABLE);
        return 1;
    }
    /* A table in a folder without its own calibration.csv takes the project's calibration.csv and
     * stacks.csv (the figures the engine was calibrated with), unless --calibration / --stacks
     * name others. */
    char own_cal[PATH_MAX_ + 32], proj[PATH_MAX_], proj_cal[PATH_MAX_ + 32], proj_stk[PATH_MAX_ + 32];
    ms_dist_table_kind_t kind = ms_dist_table_kind(path);
    int elsewhere = !cal_file && !beside(path, "calibration.csv", own_cal, sizeof own_cal);
    int have_proj = elsewhere && find_table(proj, sizeof proj);
    if (elsewhere && !have_proj && kind == MS_DIST_TABLE_RUNS) {
        fprintf(stderr, "mlsysim validate: no calibration.csv beside %s, and the project's %s was not found: "
                        "use --calibration FILE (and --stacks FILE), or set MLSB_SOURCE_DIR\n", path, REL_TABLE);
        return 1;
    }
    if (have_proj) {
        if (beside(proj, "calibration.csv", proj_cal, sizeof proj_cal)) cal_file = proj_cal;
        if (!stk_file && !beside(path, "stacks.csv", own_cal, sizeof own_cal) &&
            beside(proj, "stacks.csv", proj_stk, sizeof proj_stk))
            stk_file = proj_stk;
    }
    /* a serving or NCCL-tests table given as --table is validated as what it is, alone */
    if (kind != MS_DIST_TABLE_RUNS) {
        int rc = 1;
        if (kind == MS_DIST_TABLE_SERVING) {
            ms_serving_validation sv;
            char serr[1024];
            if (load_serving(path, &sv, serr, sizeof serr) != MS_OK) {
                fprintf(stderr, "mlsysim validate: %s\n", serr);
                return 1;
            }
            if (json) { printf("{\"table\":"); json_str(path); }
            rc = print_serving(path, &sv, json, svg_serving ? svg_serving : svg, only);
            ms_serving_validation_free(&sv);
        } else {
            const char *cal = cal_file ? cal_file : beside(path, "calibration.csv", own_cal, sizeof own_cal) ? own_cal : NULL;
            if (json) { printf("{\"table\":"); json_str(path); }
            rc = print_collectives(path, cal, json, svg_coll ? svg_coll : svg);
        }
        if (json) printf("}\n");
        return rc;
    }
    ms_dist_validation_t v;
    char err[512];
    if (ms_dist_validation_load_with(path, cal_file, stk_file, &v, err, sizeof err) != MS_DIST_OK) {
        fprintf(stderr, "mlsysim validate: %s\n", err);
        return 1;
    }
    if (ms_dist_validation_run(&v, err, sizeof err) != MS_DIST_OK) {
        fprintf(stderr, "mlsysim validate: %s\n", err);
        ms_dist_validation_free(&v);
        return 1;
    }
    /* rows the engine cannot predict: said here, the others predicted; the exit code is 1 at the end */
    int refused = v.nrefused, listed = 0;
    refusals_stderr(v.refused, v.nrefused, "rows");
    for (int i = 0; i < v.nrefused; i++) listed += !only || strstr(v.refused[i].id, only) != NULL;
    for (int i = 0; i < v.n; i++) listed += shown(&v.rows[i], only);
    /* serving.csv beside the table, predicted once: --row may name its measurements alone */
    char side[PATH_MAX_ + 32], serv[PATH_MAX_ + 32], serv_err[1024] = "";
    ms_serving_validation sv = {0};
    int have_serv = beside(path, "serving.csv", serv, sizeof serv);
    ms_status serv_st = have_serv ? load_serving(serv, &sv, serv_err, sizeof serv_err) : MS_OK;
    int served = 0;                                        /* serving measurements --row names */
    for (int i = 0; only && !listed && !served && i < sv.n; i++) served = strstr(sv.rows[i].id, only) != NULL;
    if (!listed && !served) {
        fprintf(stderr, "mlsysim validate: --row: no run or measurement id in %s or its serving.csv contains '%s'\n",
                path, only);
        ms_dist_validation_free(&v);
        ms_serving_validation_free(&sv);
        return 1;
    }
    if (json) {
        printf("{\"table\":");
        json_str(path);
        printf(",\"calibration_file\":");
        json_str(v.calibration_file);
        printf(",\"stacks_file\":");
        if (readable(v.stacks_file)) json_str(v.stacks_file); else printf("null");
        printf(",\"figures_elsewhere\":%s,\"baseline_table\":", v.foreign ? "true" : "false");
        if (v.baseline_from_reference) json_str(v.baseline_table); else printf("null");
        printf(",\"baseline_rows_from_table\":%d", v.baseline_from_reference);
        printf(",\"rows\":[");
        for (int i = 0, first = 1; i < v.n; i++) {
            const ms_dist_run_row_t *r = &v.rows[i];
            if (!shown(r, only)) continue;
            printf("%s{\"id\":", first ? "" : ",");
            first = 0;
            json_str(r->id);
            printf(",\"stack\":");
            json_str(r->stack);
            printf(",\"split\":\"%s\",\"calibration\":", r->heldout ? "heldout" : "calibration");
            json_str(r->calibration);
            printf(",\"stack_figures\":");   /* the stacks.csv entry used (name or alias), or null */
            if (*r->stack_figures) json_str(r->stack_figures); else printf("null");
            printf(",\"zero_stage\":%d,\"shard_group\":%d,\"tp_overlap\":%d,\"tp_async\":%d,\"pp_overlap\":%d,\"cp_allgather\":%d,\"sharding\":",
                   r->par.zero_stage, r->par.shard_group, r->par.tp_comm_overlap, r->par.tp_async_grad,
                   r->par.pp_comm_overlap, r->par.cp_allgather);
            json_str(r->sharding);
            /* the recompute the row ran: its column as the stack reads it (torchtitan's 1 is
             * operator-level), and with full recompute the fraction of the layers */
            printf(",\"recompute\":\"%s\",\"recompute_layer_fraction\":%.6g",
                   ms_dist_recompute_name(r->par.recompute), ms_dist_recomputed_layers(&r->par));
            /* bf16, fp16 or fp8; fp8 rows: the linear GEMMs' fraction of the FP8 peak */
            printf(",\"precision\":\"%s\"", r->precision);
            if (r->par.flash_attention) printf(",\"attention_kernel\":\"%s\"", ms_dist_attn_kernel_name(r->par.attention_kernel));
            printf(",\"optimizer_impl\":\"%s\"", ms_dist_opt_impl_name(r->par.optimizer_impl));
            /* a mixture of experts: its experts, the ones a token reaches, the expert-parallel
             * degree, and the all-to-all the prediction holds */
            if (r->model.experts > 1)
                printf(",\"experts\":%d,\"top_k\":%d,\"ep\":%d,\"ep_communication_s\":%.6g", r->model.experts,
                       r->model.top_k, r->par.ep, r->predicted.ep_comm_s);
            if (r->model.linear_bytes > 0)
                printf(",\"fp8_efficiency\":%.4g,\"fp8_separate_casts\":%d", r->accel.linear_efficiency, r->par.fp8_separate_casts);
            /* a board held at a power limit below its TDP: the limit and the GEMMs' clock under it */
            if (r->accel.power_limit_w > 0)
                printf(",\"tdp_w\":%.6g,\"power_limit_w\":%.6g,\"clock_fraction\":%.6g", r->accel.tdp_w,
                       r->accel.power_limit_w, r->predicted.clock_fraction);
            printf(",\"baseline_tflops_per_accelerator\":%.6g,\"baseline_error\":%.6g",
                   r->baseline_tflops, r->baseline_error);
            /* the published batch, and the one predicted when the replicas cannot share it */
            printf(",\"global_batch\":%d,\"global_batch_predicted\":%d", r->published_batch, r->par.global_batch);
            /* the registry entry the row's blank hardware columns came from ("" = its own) */
            printf(",\"hardware_from\":");
            json_str(r->hardware_from);
            printf(",\"model_from\":");          /* the registry model its blank architecture took */
            json_str(r->model_from);
            printf(",\"accelerators\":%d,\"efficiency\":%.4g,\"measured_step_time_s\":%.6g,"
                   "\"predicted_step_time_s\":%.6g,\"measured_tflops_per_accelerator\":%.6g,"
                   "\"predicted_tflops_per_accelerator\":%.6g,\"error\":%.6g,\"citation\":",
                   r->accelerators, r->accel.efficiency, r->measured_step_s, r->predicted_step_s,
                   r->measured_tflops, r->predicted_tflops, r->error);
            json_str(r->citation);
            printf(",\"measured_tokens_per_s_per_accelerator\":%.6g,"
                   "\"predicted_tokens_per_s_per_accelerator\":%.6g,\"tokens_error\":%.6g",
                   measured_tokens_per_s(r), r->predicted_tokens_per_s, r->tokens_error);
            if (breakdown) {
                char bd[4096];
                ms_result res;
                row_result(r, &res);
                if (ms_cli_breakdown_json(&res, bd, sizeof bd)) printf(",\"breakdown\":%s", bd);
                ms_result_free(&res);
            }
            printf("}");
        }
        printf("],\"rows_count\":%d,\"median_abs_error\":%.6g,\"max_abs_error\":%.6g,"
               "\"mean_abs_error\":%.6g", v.n, v.median_abs_error, v.max_abs_error, v.mean_abs_error);
        refusals_json(v.refused, v.nrefused);           /* rows the engine refused, not in rows */
        const ms_dist_val_stats_t *st[2] = {&v.calibration, &v.heldout};
        const char *nm[2] = {"calibration", "heldout"};
        for (int k = 0; k < 2; k++)
            printf(",\"%s\":{\"rows\":%d,\"median_abs_error\":%.6g,\"max_abs_error\":%.6g,"
                   "\"mean_abs_error\":%.6g,\"baseline_median_abs_error\":%.6g,"
                   "\"baseline_max_abs_error\":%.6g,\"median_abs_tokens_error\":%.6g,"
                   "\"max_abs_tokens_error\":%.6g,\"baseline_median_abs_tokens_error\":%.6g,"
                   "\"baseline_max_abs_tokens_error\":%.6g}", nm[k], st[k]->n, st[k]->median_abs_error,
                   st[k]->max_abs_error, st[k]->mean_abs_error, st[k]->baseline_median_abs_error,
                   st[k]->baseline_max_abs_error, st[k]->median_abs_tokens_error, st[k]->max_abs_tokens_error,
                   st[k]->baseline_median_abs_tokens_error, st[k]->baseline_max_abs_tokens_error);
    } else {
        printf("%-22s %-24s %-5s %6s %5s %10s %10s %8s %8s %8s %9s\n", "run", "stack", "split",
               "GPUs", "eta", "meas s", "pred s", "meas TF", "pred TF", "error", "base err");
        int fp8 = 0;                                   /* fp8 rows listed, and the last one's figure */
        double fp8_eff = 0.0;
        for (int i = 0; i < v.n; i++) {
            const ms_dist_run_row_t *r = &v.rows[i];
            if (!shown(r, only)) continue;
            if (r->model.linear_bytes > 0) { fp8++; fp8_eff = r->fp8_efficiency; }
            double mtf = r->measured_tflops > 0 ? r->measured_tflops
                       : r->predicted_tflops * r->predicted_step_s / r->measured_step_s;
            printf("%-22s %-24s %-5s %6d %5.3f %10.3f %10.3f %8.1f %8.1f %+7.1f%% %+8.1f%%\n", r->id,
                   r->stack, r->heldout ? "held" : "calib", r->accelerators, r->accel.efficiency, r->measured_step_s, r->predicted_step_s,
                   mtf, r->predicted_tflops, 100.0 * r->error, 100.0 * r->baseline_error);
        }
        if (fp8)
            printf("(%d fp8 rows: eta is their 16-bit kernels'; their linear GEMMs run at the generation's fp8_efficiency "
                   "(%.2f on the last) of twice peak; --json gives each row's precision)\n", fp8, fp8_eff);
        refusals_note(v.refused, v.nrefused, "row", "rows");
        int rebatched = 0;
        for (int i = 0; i < v.n; i++) rebatched += shown(&v.rows[i], only) && v.rows[i].published_batch != v.rows[i].par.global_batch;
        if (rebatched)
            printf("(%d %s not divide among the data-parallel replicas: predicted at the nearest whole\n"
                   " number of sequences a replica, the step scaled to the published batch; --json global_batch_predicted)\n",
                   rebatched, rebatched == 1 ? "row's global batch does" : "rows' global batches do");
        print_registry_from(&v, only, 0);
        print_registry_from(&v, only, 1);
        if (breakdown) print_breakdowns(&v, only);
        if (only) printf("(%d of %d runs listed: --row %s; the summaries below are over all of them)\n", listed,
                         v.n + v.nrefused, only);
        split_table("rows", &v, 0);
        printf("baseline: one constant TFLOP/s per accelerator generation (median of its calibration rows)\n");
        if (v.baseline_from_reference)
            printf("(%d rows of generations without calibration rows here: the baseline of %s)\n",
                   v.baseline_from_reference, v.baseline_table);
        if (v.other_table)
            printf("(figures chosen on another table: none of the calibrated_on rows of %s is here;\n"
                   " rows without a split are held out)\n", v.stacks_file);
        else if (v.foreign)
            printf("(figures from another folder: rows without a split are held out)\n");
        print_unlisted_stacks(&v);
        split_table("tokens/s per accelerator", &v, 1);
        printf("(a step predicted (1 + e) times the measured one is 1/(1 + e) - 1 off on tokens/s: too fast\n"
               " weighs more there, too slow less)\n");
        printf("\n%d runs: median |error| %.1f%%, max |error| %.1f%%, mean |error| %.1f%% (step time)\n",
               v.n, 100.0 * v.median_abs_error, 100.0 * v.max_abs_error, 100.0 * v.mean_abs_error);
        printf("sources: %s (citations per row: --json)\n", path);
        printf("figures: %s; stacks: %s\n", v.calibration_file, readable(v.stacks_file) ? v.stacks_file : "none (every stack at 1)");
    }
    int rc = svg ? svg_training(svg, &v, only) : 0;
    if (beside(path, "collectives.csv", side, sizeof side)) rc |= print_collectives(side, v.calibration_file, json, svg_coll);
    else if (svg_coll) {
        fprintf(stderr, "mlsysim validate: --svg-collectives: no collectives.csv beside %s, nothing drawn\n", path);
        rc = 1;
    }
    ms_dist_validation_free(&v);
    if (have_serv && serv_st != MS_OK) {
        fprintf(stderr, "mlsysim validate: %s\n", serv_err);
        rc = 1;
    } else if (have_serv) {
        rc |= print_serving(serv, &sv, json, svg_serving, only);
    } else if (svg_serving) {
        fprintf(stderr, "mlsysim validate: --svg-serving: no serving.csv beside %s, nothing drawn\n", path);
        rc = 1;
    }
    ms_serving_validation_free(&sv);
    if (json) printf("}\n");
    return rc || refused ? 1 : 0;
}
