/* cli.h - internal interface between the mlsysim CLI's command files.
 *
 * Every command prints its result on stdout (text, strict JSON or markdown) and diagnostics on
 * stderr, and returns the process exit code: 0 ok, 1 bad input, 2 does not fit in memory,
 * 3 an `assert` constraint violated. */
#ifndef MLSYSIM_CLI_H
#define MLSYSIM_CLI_H

#include <stdio.h>

#include "mlsysim/mlsysim.h"

enum { MS_EXIT_OK = 0, MS_EXIT_INPUT = 1, MS_EXIT_MEMORY = 2, MS_EXIT_ASSERT = 3 };

typedef enum { MS_FMT_TEXT = 0, MS_FMT_JSON, MS_FMT_MARKDOWN } ms_format;

typedef struct {
    ms_registry *reg;
    ms_format fmt;
} ms_cli;

/* ---- a flat, ordered result: key -> number | integer | string | bool | raw JSON ---- */
#define MS_OUT_MAX 160

typedef enum { MS_V_NUM, MS_V_INT, MS_V_STR, MS_V_BOOL, MS_V_RAW } ms_vkind;

typedef struct {
    char key[64];
    ms_vkind kind;
    double num;
    long long i;
    char *str;          /* MS_V_STR / MS_V_RAW, owned */
} ms_item;

typedef struct {
    char title[400];
    int n;
    ms_item items[MS_OUT_MAX];
} ms_out;

void ms_out_init(ms_out *o, const char *title);
void ms_out_free(ms_out *o);
void ms_out_num(ms_out *o, const char *key, double v);
void ms_out_int(ms_out *o, const char *key, long long v);
void ms_out_str(ms_out *o, const char *key, const char *v);
void ms_out_bool(ms_out *o, const char *key, int v);
void ms_out_raw(ms_out *o, const char *key, const char *json);  /* nested JSON (arrays) */
/* Value of a numeric item (NUM/INT/BOOL); 0 if absent. */
int ms_out_get(const ms_out *o, const char *key, double *v);
void ms_out_print(const ms_out *o, ms_format fmt, FILE *f);
/* Human form of a value from its key's unit suffix (_s, _bytes, _per_s, _j, ...). */
void ms_fmt_human(const char *key, double v, char *buf, size_t cap);
/* JSON string literal with escapes. */
void ms_json_str(FILE *f, const char *s);

/* ---- argument helpers ---- */
int ms_arg_int(const char *flag, const char *v, long min, long max, int *out);
int ms_arg_num(const char *flag, const char *v, double min, double max, double *out);

/* ---- options shared by eval / serve / compress / tiny (cmd_common.c) ---- */
enum {
    MS_OPT_WORKLOAD = 1,   /* --batch-size --seq-len --precision --efficiency */
    MS_OPT_TRAIN = 2,      /* --mode --recompute --optimizer */
    MS_OPT_SERVE = 4,      /* --cached-prefix --draft --acceptance --draft-tokens --mean-seq-len
                              --max-batch --page-tokens --qps --output-tokens --p99-ms --replicas */
    MS_OPT_COMPRESS = 8    /* --from --to --sparsity --prune */
};

typedef struct {
    const ms_model *model;
    const ms_hardware *hw;
    ms_workload w;
    int have_seq;
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
    int have_to;
    ms_compress_input comp;
} ms_opts;

/* Parses `CMD MODEL HARDWARE [flags]` (argv[0] = CMD); unknown flags and names are refused.
 * Returns 0 or an exit code. */
int ms_cli_parse_opts(ms_cli *c, int argc, char **argv, unsigned allowed, ms_opts *o);
/* Adds the single-node roofline keys of `r` to `out`. */
void ms_cli_put_eval(ms_out *out, const ms_model *m, const ms_hardware *hw, const ms_workload *w,
                     const ms_eval_result *r);

/* ---- commands ---- */
int ms_cli_zoo(ms_cli *c, int argc, char **argv);
int ms_cli_eval(ms_cli *c, int argc, char **argv);
int ms_cli_serve(ms_cli *c, int argc, char **argv);
int ms_cli_optimize(ms_cli *c, int argc, char **argv);
int ms_cli_schema(ms_cli *c, int argc, char **argv);
int ms_cli_compress(ms_cli *c, int argc, char **argv);
int ms_cli_tiny(ms_cli *c, int argc, char **argv);

/* Plan evaluation (cmd_eval.c), shared with optimize: fills `o` and returns the exit code. */
int ms_cli_eval_plan(ms_cli *c, const ms_plan *p, ms_out *o);
/* Converters from registry/plan data to the fleet-scale API's structs (cmd_eval.c). */
struct ms_dist_accel;
struct ms_dist_model;
struct ms_dist_parallel;
struct ms_dist_fabric;
int ms_cli_plan_to_dist(const ms_plan *p, struct ms_dist_accel *a, struct ms_dist_model *m,
                        struct ms_dist_parallel *par, struct ms_dist_fabric *f, char *err, size_t errlen);

/* `mlsysim validate [...]`: predicted vs published training runs (cmd_validate.c). */
int ms_cli_validate(int argc, char **argv);

#endif
