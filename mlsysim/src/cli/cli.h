/* cli.h - internal interface between the mlsysim CLI's command files.
 *
 * Every command prints its result on stdout (text, strict JSON or markdown) and diagnostics on
 * stderr, and returns the process exit code: 0 ok, 1 bad input, 2 does not fit in memory,
 * 3 an `assert` constraint violated. */
#ifndef MLSYSIM_CLI_H
#define MLSYSIM_CLI_H

#include <stdio.h>

#include "mlsysim/mlsysim.h"
#include "mlsysim/engine.h"

enum { MS_EXIT_OK = 0, MS_EXIT_INPUT = 1, MS_EXIT_MEMORY = 2, MS_EXIT_ASSERT = 3 };

typedef struct {
    ms_registry *reg;
    ms_format fmt;
    int html;              /* -o html: eval and scenario eval write one self-contained page */
} ms_cli;

/* One evaluated result as a self-contained HTML page (cmd_html.c). */
void ms_cli_print_html(const ms_result *r, FILE *f);

/* Exit code of an engine status: MS_OK 0, MS_ERR_MEMORY 2, MS_ERR_ASSERT 3, else 1. */
int ms_cli_exit_code(ms_status st);
/* Prints a result's notes on stderr, one "mlsysim: NOTE" line each. */
void ms_cli_print_notes(const ms_result *r);

/* ---- --breakdown (cmd_breakdown.c): a step's parts, which add up to it ---- */
/* 1 when the result holds a step to split (a fleet training step or a roofline step). */
int ms_cli_has_breakdown(const ms_result *res);
/* Adds the JSON key "breakdown" (a list of {part, key, seconds, share}); 0 when nothing to split. */
int ms_cli_add_breakdown(ms_result *res);
/* Prints the table "breakdown of TITLE (step s)" with what each part is, on stdout. */
void ms_cli_print_breakdown(const ms_result *res, const char *title);
/* The "breakdown" list as JSON text into buf; 0 when nothing to split or buf is too small. */
int ms_cli_breakdown_json(const ms_result *res, char *buf, size_t cap);
/* One line of a fleet step's parts as shares of the step, after `label`; res NULL: the header. */
void ms_cli_print_breakdown_line(const ms_result *res, const char *label);

/* ---- argument helpers ---- */
int ms_arg_int(const char *flag, const char *v, long min, long max, int *out);
int ms_arg_num(const char *flag, const char *v, double min, double max, double *out);

/* ---- options shared by eval / serve / compress / tiny (cmd_common.c) ---- */
enum {
    MS_OPT_WORKLOAD = 1,   /* --batch-size --seq-len --precision --efficiency */
    MS_OPT_TRAIN = 2,      /* --mode --recompute --optimizer */
    MS_OPT_SERVE = 4,      /* --cached-prefix --draft --acceptance --draft-tokens --mean-seq-len
                              --max-batch --page-tokens --qps --output-tokens --p99-ms --replicas
                              --clients --max-num-tokens */
    MS_OPT_COMPRESS = 8,   /* --from --to --sparsity --prune */
    MS_OPT_POWER = 16      /* --power-limit (the plan's hardware.power_limit) */
};

typedef struct {
    const ms_model *model;
    const ms_hardware *hw;
    ms_workload w;
    int have_seq;
    int have_eff;              /* --efficiency given (else the engine's default) */
    int weight_precision, kv_precision;   /* --weight-precision / --kv-precision; -1 = --precision */
    int cached_prefix;
    const ms_model *draft;
    double acceptance;
    int draft_tokens;
    double mean_seq_len;
    int max_batch, page_tokens;
    double qps;
    int output_tokens;
    double p99_s;
    int replicas;              /* --replicas: fixed replica count for the M/M/c figures */
    int clients;               /* --clients: a closed loop of that many clients (0 = none) */
    int max_num_tokens;        /* --max-num-tokens: the loop's server budget, prefill tokens an iteration
                                  (0 = not given: MS_SERVE_MAX_NUM_TOKENS) */
    double power_limit_w;      /* --power-limit: hardware.power_limit, W; 0 = the TDP */
    int have_to;
    ms_compress_input comp;
} ms_opts;

/* Parses `CMD MODEL HARDWARE [flags]` (argv[0] = CMD); unknown flags and names are refused.
 * Returns 0 or an exit code. */
int ms_cli_parse_opts(ms_cli *c, int argc, char **argv, unsigned allowed, ms_opts *o);
/* The plan `CMD MODEL HARDWARE [flags]` stands for: one accelerator, the flags' workload; an
 * efficiency flag is kept only if given (else the engine's default). */
void ms_cli_plan_from_opts(const ms_cli *c, const ms_opts *o, ms_plan *p);

/* ---- shared by sweep and search (cmd_study.c) ---- */
#define MS_CLI_MAX_VARY 3
#define MS_CLI_MAX_VALUES 4096
typedef struct {
    char key[64];
    int n;
    char *values[MS_CLI_MAX_VALUES];
    char *storage;             /* free() it */
} ms_cli_vary;
/* "V1,V2,..." or "START:STOP:*F" (geometric) or "START:STOP:+S" (arithmetic); 0 or -1 (printed). */
int ms_cli_parse_vary_values(const char *spec, ms_cli_vary *v);
/* One `--vary KEY=VALUES` of command cmd appended to vary[*nv] (at most MS_CLI_MAX_VARY); 0, or -1
 * with the reason printed (*nv then counts a partly filled entry too, so its storage is freed). */
int ms_cli_add_vary(const char *cmd, const char *arg, ms_cli_vary *vary, int *nv);
/* The options of a study over a grid of plans (sweep, search), one parser for both: --vary
 * KEY=VALUES (appended to vary[*nv]), each flag named in `flags` (NULL-terminated) with its value
 * given to on_flag(ctx, flag, value) (0, or -1 with the reason printed), and every other argument
 * into rest[0 .. *nrest) (then NULL): the subject, for ms_cli_load_subject. argv[0] is the command.
 * Returns 0; 1 at --help or -h (what follows is not read); -1 with the reason printed. */
typedef int (*ms_cli_flag_fn)(void *ctx, const char *flag, const char *value);
int ms_cli_grid_args(const char *cmd, int argc, char **argv, const char *const *flags, ms_cli_flag_fn on_flag,
                     void *ctx, ms_cli_vary *vary, int *nv, char **rest, int *nrest);
/* The plan a study is about: PLAN.yaml, or MODEL HARDWARE [eval flags] (argv[0] = the command). */
int ms_cli_load_subject(ms_cli *c, int argc, char **argv, ms_plan *p);

/* ---- pictures (cmd_svg.c) ---- */
/* Writes what draw(what, buf, cap) returns (snprintf-style; 0 = nothing to draw) to path whole: a
 * temporary beside it, fsync, rename. Returns an exit code (1 with a message on failure; 1 without
 * one when draw gives 0, the caller says why). */
int ms_cli_write_svg(const char *cmd, const char *path, size_t (*draw)(const void *, char *, size_t), const void *what);
/* The points of `sweep --svg`: x = the first --vary, one curve per combination of the others (at
 * most 8), y = the numeric result key ykey; points that do not fit are drawn hollow. */
typedef struct ms_cli_curve ms_cli_curve;
ms_cli_curve *ms_cli_curve_new(const ms_cli_vary *vary, int nv, const char *ykey);   /* NULL: printed why */
void ms_cli_curve_add(ms_cli_curve *c, long idx, const ms_result *res, ms_status st);
int ms_cli_curve_write(ms_cli_curve *c, const char *subject, const char *path);     /* exit code */
void ms_cli_curve_free(ms_cli_curve *c);

/* ---- commands ---- */
int ms_cli_zoo(ms_cli *c, int argc, char **argv);
int ms_cli_eval(ms_cli *c, int argc, char **argv);
int ms_cli_serve(ms_cli *c, int argc, char **argv);
int ms_cli_optimize(ms_cli *c, int argc, char **argv);
int ms_cli_schema(ms_cli *c, int argc, char **argv);
int ms_cli_compress(ms_cli *c, int argc, char **argv);
int ms_cli_tiny(ms_cli *c, int argc, char **argv);
int ms_cli_sweep(ms_cli *c, int argc, char **argv);
int ms_cli_sensitivity(ms_cli *c, int argc, char **argv);
int ms_cli_synthesis(ms_cli *c, int argc, char **argv);
int ms_cli_chinchilla(ms_cli *c, int argc, char **argv);
int ms_cli_solve(ms_cli *c, int argc, char **argv);       /* cmd_solve.c */
int ms_cli_scenario(ms_cli *c, int argc, char **argv);    /* cmd_scenario.c */
int ms_cli_search(ms_cli *c, int argc, char **argv);      /* cmd_search.c */
int ms_cli_graph(ms_cli *c, int argc, char **argv);       /* cmd_graph.c */

/* `mlsysim validate [...]`: predicted vs published training runs (cmd_validate.c). */
int ms_cli_validate(int argc, char **argv);

#endif
