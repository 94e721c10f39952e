/* cmd_study.c - studies over one plan: `sweep` (any plan field over a list of values, as CSV or
 * JSON lines), `sensitivity` (which hardware figure moves a plan most), `synthesis` (what
 * a figure must become to reach a target step time) and `chinchilla` (compute-optimal model and
 * data size for a FLOP budget). Every number is a library call: ms_plan_set + ms_plan_eval,
 * ms_plan_sensitivity, ms_plan_synthesis, ms_chin_optimal / ms_chin_loss.
 *
 * A study's subject is a plan file or MODEL HARDWARE with the eval flags (--mode, --batch-size ...).
 */
#include "cli.h"
#include "mlsysim/distributed.h"    /* ms_chin_optimal, ms_chin_loss */

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_plan_path(const char *s)
{
    size_t n = strlen(s);
    return (n > 5 && !strcmp(s + n - 5, ".yaml")) || (n > 4 && !strcmp(s + n - 4, ".yml"));
}

/* Loads the subject from argv (argv[0] = command; own flags already removed). */
int ms_cli_load_subject(ms_cli *c, int argc, char **argv, ms_plan *p)
{
    if (argc >= 2 && is_plan_path(argv[1])) {
        if (argc > 2) {
            fprintf(stderr, "mlsysim %s: a plan takes no workload flags (put them in the plan): '%s'\n", argv[0], argv[2]);
            return MS_EXIT_INPUT;
        }
        char err[1024];
        if (ms_plan_load_file(c->reg, argv[1], p, err, sizeof err) != MS_OK) {
            fprintf(stderr, "mlsysim: %s\n", err);
            return MS_EXIT_INPUT;
        }
        return 0;
    }
    ms_opts op;
    int rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD | MS_OPT_TRAIN | MS_OPT_POWER, &op);
    if (rc) return rc;
    ms_cli_plan_from_opts(c, &op, p);
    snprintf(p->name, sizeof p->name, "%s on %s", op.model->name, op.hw->name);
    return 0;
}

/* ---- sweep ---- */

#define MAX_VARY MS_CLI_MAX_VARY
#define MAX_VALUES MS_CLI_MAX_VALUES
typedef ms_cli_vary vary_t;

/* "V1,V2,..." or "START:STOP:*F" (geometric) or "START:STOP:+S" (arithmetic). */
int ms_cli_parse_vary_values(const char *spec, ms_cli_vary *v)
{
    size_t cap = strlen(spec) + 1;
    double a, b, s;
    char op;
    int used = 0;
    if (sscanf(spec, "%lf:%lf:%c%lf%n", &a, &b, &op, &s, &used) == 4 && spec[used] == 0 && (op == '*' || op == '+')) {
        if (!isfinite(a) || !isfinite(b) || !isfinite(s) || (op == '*' && !(s > 1 && a > 0)) || (op == '+' && !(s > 0)) || b < a) {
            fprintf(stderr, "mlsysim: --vary %s: a range is START:STOP:*FACTOR (factor > 1, start > 0) or START:STOP:+STEP\n", spec);
            return -1;
        }
        v->storage = malloc((size_t)MAX_VALUES * 32);
        if (!v->storage) return -1;
        for (double x = a; x <= b * (1 + 1e-12) && v->n < MAX_VALUES; x = op == '*' ? x * s : x + s) {
            char *slot = v->storage + (size_t)v->n * 32;
            snprintf(slot, 32, "%.10g", x);
            v->values[v->n++] = slot;
        }
        return 0;
    }
    v->storage = malloc(cap);
    if (!v->storage) return -1;
    memcpy(v->storage, spec, cap);
    for (char *tok = strtok(v->storage, ","); tok; tok = strtok(NULL, ",")) {
        if (v->n == MAX_VALUES) { fprintf(stderr, "mlsysim: at most %d values per --vary\n", MAX_VALUES); return -1; }
        v->values[v->n++] = tok;
    }
    if (!v->n) { fprintf(stderr, "mlsysim: --vary %s: no values\n", spec); return -1; }
    return 0;
}

int ms_cli_add_vary(const char *cmd, const char *arg, ms_cli_vary *vary, int *nv)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof vary[0].key) {
        fprintf(stderr, "mlsysim %s: --vary '%s' is not KEY=VALUES\n", cmd, arg);
        return -1;
    }
    if (*nv == MS_CLI_MAX_VARY) {
        fprintf(stderr, "mlsysim %s: at most %d --vary\n", cmd, MS_CLI_MAX_VARY);
        return -1;
    }
    memcpy(vary[*nv].key, arg, (size_t)(eq - arg));
    return ms_cli_parse_vary_values(eq + 1, &vary[(*nv)++]) ? -1 : 0;
}

int ms_cli_grid_args(const char *cmd, int argc, char **argv, const char *const *flags, ms_cli_flag_fn on_flag,
                     void *ctx, ms_cli_vary *vary, int *nv, char **rest, int *nrest)
{
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
        int own = i > 0 && !strcmp(a, "--vary");
        for (int f = 0; !own && i > 0 && flags[f]; f++) own = !strcmp(a, flags[f]);
        if (!own) {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "mlsysim %s: %s needs a value\n", cmd, a);
            return -1;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--vary") ? on_flag(ctx, a, v) : ms_cli_add_vary(cmd, v, vary, nv)) return -1;
    }
    rest[*nrest] = NULL;
    return 0;
}

static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\n")) { fputs(s, stdout); return; }
    putchar('"');
    for (; *s; s++) { if (*s == '"') putchar('"'); putchar(*s); }
    putchar('"');
}

static int sweep_help(void)
{
    printf("usage: mlsysim sweep (PLAN.yaml | MODEL HARDWARE [eval flags]) --vary KEY=VALUES [--vary ...]\n"
           "                     [--keys K1,K2,...] [--svg FILE [--svg-key KEY]]\n"
           "\n"
           "Evaluates the plan at every combination of the varied fields (up to %d --vary, %d points)\n"
           "and prints one row per point: CSV (default) or JSON lines (-o json, the full result of\n"
           "each point plus the varied fields). VALUES is V1,V2,... or START:STOP:*FACTOR or\n"
           "START:STOP:+STEP. KEY is a plan field, by its dotted name or its name after the section\n"
           "(batch_size = workload.batch_size, tp = parallelism.tp):\n  %s\n"
           "--keys picks the CSV columns (default latency_s,throughput_per_s,mfu,\n"
           "memory_per_accelerator_bytes,feasible). A point that fails gets status 'error' and its\n"
           "reason; the exit code is 0 when every point was evaluated, 1 when one was refused.\n"
           "--svg FILE also draws the sweep: x = the first --vary (log scale when its values span a\n"
           "factor of 10 or more; names are spaced evenly), y = --svg-key (default the first of\n"
           "--keys), one curve per combination of the other --vary (at most 8); points that do not\n"
           "fit are open circles.\n"
           "\n"
           "examples:\n"
           "  mlsysim sweep Llama3_8B H100 --vary workload.batch_size=1:256:*2\n"
           "  mlsysim sweep Llama3_8B H100 --vary hardware.accelerator=A100,H100,H200,B200 --vary hardware.precision=fp16,fp8\n"
           "  mlsysim sweep mlsysim/examples/llama3_70b_training.yaml --vary tp=2,4,8 --vary microbatch=1,2   (short names)\n"
           "  mlsysim -o json sweep mlsysim/examples/llama3_70b_training.yaml --vary parallelism.tp=1,2,4,8\n"
           "  mlsysim sweep Llama3_8B H100 --vary workload.batch_size=1:512:*2 --vary hardware.precision=fp16,fp8 \\\n"
           "      --svg batch.svg --svg-key throughput_per_s\n",
           MAX_VARY, 100000, ms_plan_set_keys);
    return MS_EXIT_OK;
}

typedef struct {
    const char *keys, *svg, *svg_key;
} sweep_opts;

static int sweep_flag(void *ctx, const char *flag, const char *value)
{
    sweep_opts *o = ctx;
    if (!strcmp(flag, "--keys")) o->keys = value;
    else if (!strcmp(flag, "--svg")) o->svg = value;
    else o->svg_key = value;
    return 0;
}

int ms_cli_sweep(ms_cli *c, int argc, char **argv)
{
    vary_t vary[MAX_VARY];
    memset(vary, 0, sizeof vary);
    int nv = 0, rc = MS_EXIT_OK;
    sweep_opts so = {"latency_s,throughput_per_s,mfu,memory_per_accelerator_bytes,feasible", NULL, NULL};
    ms_cli_curve *curve = NULL;
    char **rest = malloc(sizeof(char *) * (size_t)(argc + 1));
    ms_plan *base = malloc(sizeof *base), *p = malloc(sizeof *p);
    ms_result *res = malloc(sizeof *res);
    char *keybuf = NULL;
    int nrest = 0;
    if (!rest || !base || !p || !res) { rc = MS_EXIT_INPUT; goto out; }
    static const char *const flags[] = {"--keys", "--svg", "--svg-key", NULL};
    int ga = ms_cli_grid_args("sweep", argc, argv, flags, sweep_flag, &so, vary, &nv, rest, &nrest);
    if (ga) { rc = ga > 0 ? sweep_help() : MS_EXIT_INPUT; goto out; }
    const char *keys = so.keys, *svg = so.svg, *svg_key = so.svg_key;
    if (!nv) { fprintf(stderr, "mlsysim sweep: needs at least one --vary KEY=VALUES (see --help)\n"); rc = MS_EXIT_INPUT; goto out; }
    if (svg_key && !svg) { fprintf(stderr, "mlsysim sweep: --svg-key goes with --svg FILE\n"); rc = MS_EXIT_INPUT; goto out; }
    rc = ms_cli_load_subject(c, nrest, rest, base);
    if (rc) goto out;
    long total = 1;
    for (int k = 0; k < nv; k++) total *= vary[k].n;
    if (total > 100000) { fprintf(stderr, "mlsysim sweep: %ld points (at most 100000)\n", total); rc = MS_EXIT_INPUT; goto out; }
    /* every value must be accepted before anything is printed */
    for (int k = 0; k < nv; k++)
        for (int j = 0; j < vary[k].n; j++) {
            char err[1024];
            *p = *base;
            if (ms_plan_set(c->reg, p, vary[k].key, vary[k].values[j], err, sizeof err) != MS_OK) {
                fprintf(stderr, "mlsysim sweep: --vary %s\n", err);
                rc = MS_EXIT_INPUT;
                goto out;
            }
        }
    keybuf = malloc(strlen(keys) + 1);
    if (!keybuf) { rc = MS_EXIT_INPUT; goto out; }
    strcpy(keybuf, keys);
    const char *cols[64];
    int ncols = 0;
    for (char *t = strtok(keybuf, ","); t && ncols < 64; t = strtok(NULL, ",")) cols[ncols++] = t;
    if (svg && !(curve = ms_cli_curve_new(vary, nv, svg_key ? svg_key : ncols ? cols[0] : "latency_s"))) {
        rc = MS_EXIT_INPUT;
        goto out;
    }
    if (c->fmt != MS_FMT_JSON) {
        for (int k = 0; k < nv; k++) printf("%s,", vary[k].key);
        for (int j = 0; j < ncols; j++) printf("%s,", cols[j]);
        printf("status\n");
    }
    int any_error = 0;
    for (long idx = 0; idx < total; idx++) {
        *p = *base;
        long x = idx;
        const char *val[MAX_VARY];
        for (int k = nv - 1; k >= 0; k--) {
            val[k] = vary[k].values[x % vary[k].n];
            x /= vary[k].n;
        }
        char err[1024];
        for (int k = 0; k < nv; k++) ms_plan_set(c->reg, p, vary[k].key, val[k], err, sizeof err);
        ms_status st = ms_plan_eval(c->reg, p, res);
        if (curve) ms_cli_curve_add(curve, idx, res, st);
        const char *status = st == MS_OK ? "ok" : st == MS_ERR_MEMORY ? "does_not_fit"
                           : st == MS_ERR_ASSERT ? "sla_failed" : "error";
        if (st == MS_ERR_INPUT) any_error = 1;
        if (c->fmt == MS_FMT_JSON) {
            for (int k = 0; k < nv; k++) ms_result_str(res, vary[k].key, val[k]);
            ms_result_str(res, "sweep_status", status);
            ms_result_print(res, MS_FMT_JSON, stdout);
        } else {
            for (int k = 0; k < nv; k++) { csv_field(val[k]); putchar(','); }
            for (int j = 0; j < ncols; j++) {
                double v;
                const char *sv = ms_result_get_str(res, cols[j]);
                if (sv) csv_field(sv);
                else if (ms_result_get(res, cols[j], &v)) printf("%.10g", v);
                putchar(',');
            }
            if (st == MS_ERR_INPUT) { printf("error: "); csv_field(res->error); putchar('\n'); }
            else printf("%s\n", status);
        }
        ms_result_free(res);
    }
    rc = any_error ? MS_EXIT_INPUT : MS_EXIT_OK;
    if (curve) {
        int src = ms_cli_curve_write(curve, base->name[0] ? base->name : "plan", svg);
        if (src) rc = src;
    }
out:
    ms_cli_curve_free(curve);
    for (int k = 0; k < nv; k++) free(vary[k].storage);
    free(keybuf);
    free(rest);
    free(base);
    free(p);
    free(res);
    return rc;
}

/* ---- sensitivity and synthesis ---- */

/* Removes "--flag V" pairs the study reads itself; returns the new argc. */
static int take_num(int argc, char **argv, const char *flag, double min, double max, double *out, int *found, int *bad)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], flag)) {
            if (ms_arg_num(flag, i + 1 < argc ? argv[i + 1] : NULL, min, max, out)) *bad = 1;
            *found = 1;
            i++;
            continue;
        }
        argv[n++] = argv[i];
    }
    argv[n] = NULL;
    return n;
}

static int has_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

/* Sensitivity of any plan: ms_plan_sensitivity (peak FLOP/s, memory bandwidth and capacity; the
 * intra- and inter-node bandwidth too when the plan is a training step on the fleet model). */
int ms_cli_sensitivity(ms_cli *c, int argc, char **argv)
{
    if (has_help(argc, argv)) {
        printf("usage: mlsysim sensitivity (PLAN.yaml | MODEL HARDWARE [flags]) [--pct P]\n"
               "\n"
               "Re-evaluates the plan with each hardware figure raised by P %% (default 10) and reports the\n"
               "relative change of its latency (latency_s; for a training step on the fleet model also\n"
               "under its old name step_time_s): peak FLOP/s, memory bandwidth and capacity for every\n"
               "plan, and for a transformer training step on the fleet model the intra-node (intra_bw)\n"
               "and inter-node (inter_bw) bandwidth too. The largest drop is the binding figure; memory\n"
               "capacity when the plan does not fit (exit 2). One library call: ms_plan_sensitivity.\n"
               "\n"
               "examples:\n"
               "  mlsysim sensitivity mlsysim/examples/llama3_70b_training.yaml\n"
               "  mlsysim sensitivity Llama3_2_1B H100 --mode training --batch-size 8 --pct 20\n"
               "  mlsysim -o json sensitivity Llama3_8B H100 --batch-size 64\n");
        return MS_EXIT_OK;
    }
    double pct = 10;
    int found = 0, bad = 0;
    argc = take_num(argc, argv, "--pct", 0.01, 1000, &pct, &found, &bad);
    if (bad) return MS_EXIT_INPUT;
    ms_plan *p = malloc(sizeof *p);
    if (!p) return MS_EXIT_INPUT;
    int rc = ms_cli_load_subject(c, argc, argv, p);
    ms_plan_sensitivity_result s;
    char err[1024];
    if (!rc) {
        ms_status st = ms_plan_sensitivity(c->reg, p, pct, &s, err, sizeof err);
        if (st != MS_OK && st != MS_ERR_MEMORY) {
            fprintf(stderr, "mlsysim sensitivity: %s\n", err);
            rc = MS_EXIT_INPUT;
        }
    }
    if (!rc) {
        ms_result o;
        char title[400];
        snprintf(title, sizeof title, "Sensitivity of %s: step time change for +%g %% of each figure", p->name, pct);
        ms_result_init(&o, title);
        ms_result_str(&o, "plan", p->name);
        ms_result_num(&o, "pct", pct);
        ms_result_num(&o, "latency_s", s.base_latency_s);
        if (s.n_knobs > MS_PLAN_SENS_HW_KNOBS)
            ms_result_num(&o, "step_time_s", s.base_latency_s);   /* the fleet step's former key */
        for (int k = 0; k < s.n_knobs; k++) {
            char key[64];
            snprintf(key, sizeof key, "%s_change_fraction", ms_plan_sensitivity_knobs[k]);
            ms_result_num(&o, key, s.change[k]);
        }
        ms_result_str(&o, "binding", ms_plan_sensitivity_knobs[s.binding]);
        ms_result_bool(&o, "feasible", s.feasible);
        ms_result_print(&o, c->fmt, stdout);
        ms_result_free(&o);
        if (!s.feasible) {
            fprintf(stderr, "mlsysim sensitivity: the plan does not fit in memory: memory capacity binds\n");
            rc = MS_EXIT_MEMORY;
        }
    }
    free(p);
    return rc;
}

/* Synthesis of any plan: ms_plan_synthesis (a training step on the fleet model varies five figures,
 * any other plan the accelerator's three, and reports the step time under eval's own name). */
static int plan_synthesis(ms_cli *c, const ms_plan *p, double target_s)
{
    ms_plan_synthesis_result s;
    char err[1024];
    ms_status st = ms_plan_synthesis(c->reg, p, target_s, &s, err, sizeof err);
    if (st == MS_ERR_INPUT || st == MS_ERR_NOMEM) {
        fprintf(stderr, "mlsysim synthesis: %s\n", err);
        return MS_EXIT_INPUT;
    }
    ms_result o;
    char title[400];
    snprintf(title, sizeof title, "Synthesis for %s: factor each figure needs for %g ms per step", p->name, target_s * 1e3);
    ms_result_init(&o, title);
    ms_result_str(&o, "plan", p->name);
    ms_result_num(&o, s.n_knobs == MS_PLAN_SENS_KNOBS ? "step_time_s" : "latency_s", s.base_latency_s);
    ms_result_num(&o, "target_step_time_s", target_s);
    for (int k = 0; k < s.n_knobs; k++) {
        char key[64];
        snprintf(key, sizeof key, "%s_factor", ms_plan_sensitivity_knobs[k]);
        ms_result_num(&o, key, s.factor[k]);    /* JSON null: no factor up to 1000 */
    }
    ms_result_bool(&o, "feasible", s.feasible);
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    if (st == MS_ERR_MEMORY) {
        fprintf(stderr, "mlsysim synthesis: %s\n", err);
        return MS_EXIT_MEMORY;
    }
    if (st == MS_ERR_ASSERT) {
        fprintf(stderr, "mlsysim synthesis: %s\n", err);
        return MS_EXIT_ASSERT;
    }
    return MS_EXIT_OK;
}

int ms_cli_synthesis(ms_cli *c, int argc, char **argv)
{
    if (has_help(argc, argv)) {
        printf("usage: mlsysim synthesis (PLAN.yaml | MODEL HARDWARE [flags]) --target-step-ms T\n"
               "\n"
               "The inverse question: by what factor must each hardware figure grow, alone, for the step\n"
               "to take at most T ms? null when no factor up to 1000 does; exit 3 when none does. Every\n"
               "plan: peak FLOP/s, memory bandwidth and capacity; a transformer training step on the\n"
               "fleet model also the intra- and inter-node bandwidth (the figures sensitivity varies),\n"
               "each through the plan's own evaluation (ms_plan_synthesis).\n"
               "\n"
               "examples:\n"
               "  mlsysim synthesis mlsysim/examples/llama3_70b_training.yaml --target-step-ms 9000\n"
               "  mlsysim synthesis Llama3_2_1B H100 --mode training --batch-size 8 --target-step-ms 100\n"
               "  mlsysim synthesis Llama3_8B H100 --target-step-ms 3\n");
        return MS_EXIT_OK;
    }
    double target_ms = 0;
    int found = 0, bad = 0;
    argc = take_num(argc, argv, "--target-step-ms", 1e-9, 1e15, &target_ms, &found, &bad);
    if (bad) return MS_EXIT_INPUT;
    if (!found) { fprintf(stderr, "mlsysim synthesis: needs --target-step-ms T (see --help)\n"); return MS_EXIT_INPUT; }
    ms_plan *p = malloc(sizeof *p);
    if (!p) return MS_EXIT_INPUT;
    int rc = ms_cli_load_subject(c, argc, argv, p);
    if (!rc) rc = plan_synthesis(c, p, target_ms / 1e3);
    free(p);
    return rc;
}

/* ---- Chinchilla ---- */

/* One H100-day at 40 % MFU: 989 TFLOP/s (dense fp16/bf16, NVIDIA H100 SXM datasheet) x 0.40 x
 * 86,400 s, the reference upstream MLSys·im's ScalingModel converts a budget in days with. */
#define MS_CLI_H100_DAY_FLOP (989e12 * 0.40 * 86400.0)

int ms_cli_chinchilla(ms_cli *c, int argc, char **argv)
{
    if (has_help(argc, argv)) {
        printf("usage: mlsysim chinchilla (--flops C | --h100-days T) [--tokens-per-param R]\n"
               "       mlsysim chinchilla --params N [--tokens D]\n"
               "\n"
               "Compute-optimal training (Hoffmann et al. 2022): for a budget of C FLOPs (C = 6 N D) the\n"
               "parameters N and tokens D with D = R N (R = 20 by default), and the fitted loss\n"
               "L(N, D) = 1.69 + 406.4/N^0.34 + 410.7/D^0.28; or, for a given model size, the optimal\n"
               "tokens (or the loss at --tokens D) and the FLOPs it costs. A budget in time is H100-days\n"
               "at 40 %% MFU (989 TFLOP/s x 0.40 x 86,400 s a day, upstream MLSys·im's reference); every\n"
               "answer also says how many such days it costs (h100_days).\n"
               "\n"
               "examples:\n"
               "  mlsysim chinchilla --flops 5.76e23\n"
               "  mlsysim chinchilla --params 70e9\n"
               "  mlsysim chinchilla --h100-days 10000\n"
               "  mlsysim -o json chinchilla --params 8e9 --tokens 15e12\n");
        return MS_EXIT_OK;
    }
    double flops = 0, ratio = 20, params = 0, tokens = 0, days = 0;
    int have_f = 0, have_r = 0, have_p = 0, have_t = 0, have_d = 0, bad = 0;
    argc = take_num(argc, argv, "--flops", 1, 1e40, &flops, &have_f, &bad);
    argc = take_num(argc, argv, "--h100-days", 1e-9, 1e15, &days, &have_d, &bad);
    argc = take_num(argc, argv, "--tokens-per-param", 1e-3, 1e6, &ratio, &have_r, &bad);
    argc = take_num(argc, argv, "--params", 1, 1e18, &params, &have_p, &bad);
    argc = take_num(argc, argv, "--tokens", 1, 1e20, &tokens, &have_t, &bad);
    if (bad) return MS_EXIT_INPUT;
    if (argc > 1) { fprintf(stderr, "mlsysim chinchilla: unexpected argument '%s' (see --help)\n", argv[1]); return MS_EXIT_INPUT; }
    if (have_f && have_d) { fprintf(stderr, "mlsysim chinchilla: give --flops or --h100-days, not both\n"); return MS_EXIT_INPUT; }
    if (have_d) {
        flops = days * MS_CLI_H100_DAY_FLOP;
        have_f = 1;
    }
    if (have_f == have_p) { fprintf(stderr, "mlsysim chinchilla: give --flops, --h100-days or --params (see --help)\n"); return MS_EXIT_INPUT; }
    if (have_f && have_t) { fprintf(stderr, "mlsysim chinchilla: --tokens goes with --params\n"); return MS_EXIT_INPUT; }
    if (have_f) ms_chin_optimal(flops, ratio, &params, &tokens);
    else {
        if (!have_t) tokens = ratio * params;
        flops = 6.0 * params * tokens;
    }
    ms_result o;
    ms_result_init(&o, "Chinchilla (Hoffmann et al. 2022)");
    ms_result_num(&o, "training_flop", flops);
    ms_result_num(&o, "params", params);
    ms_result_num(&o, "tokens", tokens);
    ms_result_num(&o, "tokens_per_param", tokens / params);
    ms_result_num(&o, "loss", ms_chin_loss(params, tokens));
    ms_result_num(&o, "h100_days", flops / MS_CLI_H100_DAY_FLOP);
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    return MS_EXIT_OK;
}
