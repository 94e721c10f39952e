/* engine.h - MLSys·im's one entry point: evaluate a plan, get a typed result.
 *
 * Every verb of the mlsysim CLI, the labs web server and StaffML compute through these calls, so
 * one question gets one answer wherever it is asked. The CLI only parses arguments and formats
 * the result; `mlsysim -o json eval PLAN.yaml` prints exactly ms_result_json() of
 * ms_plan_eval_buffer() on the file's bytes.
 *
 * Which physics answers a plan (the choice lives here, nowhere else):
 *   training of a dense or MoE transformer   the fleet model (distributed.h) on `count`
 *                                            accelerators; one accelerator is its 1x1x1 case
 *   every other plan                         the roofline (physics.h) on one accelerator, plus
 *                                            serving figures for decoder LMs; inference on several
 *                                            accelerators is that many replicas
 * A plan that names no efficiency gets ms_default_efficiency(mode).
 *
 * The result is an ordered key table: numbers (SI units, the key ends in its unit), integers,
 * strings, booleans and nested JSON. The keys are the flat JSON keys of `mlsysim -o json eval`.
 * Every call is pure given the registry: threads may evaluate plans concurrently into distinct
 * results while nothing loads into that registry.
 */
#ifndef MLSYSIM_ENGINE_H
#define MLSYSIM_ENGINE_H

#include <stdio.h>

#include "mlsysim/distributed.h"
#include "mlsysim/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_RESULT_MAX 160
#define MS_RESULT_NOTES 1024

typedef enum { MS_V_NUM = 0, MS_V_INT, MS_V_STR, MS_V_BOOL, MS_V_RAW } ms_vkind;

typedef struct {
    char key[64];
    ms_vkind kind;
    double num;               /* MS_V_NUM; also the value of INT and BOOL items */
    long long i;              /* MS_V_INT, MS_V_BOOL */
    char *str;                /* MS_V_STR / MS_V_RAW (nested JSON) */
    int heap;                 /* internal: str was malloc'd (else it lives in the result's arena) */
} ms_item;

typedef struct {
    char title[400];          /* one line for text/markdown output (not part of the JSON) */
    int n;
    ms_item items[MS_RESULT_MAX];
    /* ms_plan_eval: MS_OK; MS_ERR_MEMORY (does not fit, figures still filled); MS_ERR_ASSERT (a
     * constraint failed, see "violations"); MS_ERR_INPUT (error says why; the table then holds
     * only "status": "error" and "reason"). */
    ms_status status;
    char error[1024];
    /* Notes for a person (one per line, no prefix): modelling choices made for this plan and
     * why it does not fit. The CLI prints them on stderr. */
    char notes[MS_RESULT_NOTES];
    unsigned char index[256];  /* internal: key hash -> item + 1 (open addressing) */
    size_t arena_used;         /* internal: bytes of arena holding short strings */
    char arena[4096];
} ms_result;

typedef enum { MS_FMT_TEXT = 0, MS_FMT_JSON, MS_FMT_MARKDOWN } ms_format;

void ms_result_init(ms_result *r, const char *title);
void ms_result_free(ms_result *r);             /* frees the strings; r can be re-initialised */
/* Setters: a later value for the same key replaces the earlier one (the key keeps its place). */
void ms_result_num(ms_result *r, const char *key, double v);
void ms_result_int(ms_result *r, const char *key, long long v);
void ms_result_str(ms_result *r, const char *key, const char *v);
void ms_result_bool(ms_result *r, const char *key, int v);
void ms_result_raw(ms_result *r, const char *key, const char *json);
void ms_result_note(ms_result *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Value of a numeric item (NUM/INT/BOOL): 1 and *v set, or 0 if absent / not numeric. */
int ms_result_get(const ms_result *r, const char *key, double *v);
/* String item, or NULL. */
const char *ms_result_get_str(const ms_result *r, const char *key);

/* Every key a plan evaluation can produce (src/engine/keys.c): one table that validates
 * `constraints.assert` metrics (any numeric key: NUM, INT or BOOL) and lists them in the schema. */
typedef struct {
    const char *name;
    ms_vkind kind;
    const char *unit;         /* "s", "B", "FLOP/s", ... ("" for counts, fractions, names) */
    const char *description;
} ms_result_key;

size_t ms_result_key_count(void);
const ms_result_key *ms_result_key_at(size_t i);
const ms_result_key *ms_result_key_find(const char *name);   /* NULL if unknown */

/* Strict JSON of the table, one line ending in "\n" (never NaN/Inf: a non-finite number is
 * null). Writes into buf (NUL-terminated, truncated to cap) and returns the full length like
 * snprintf; buf may be NULL to ask for the length. */
size_t ms_result_json(const ms_result *r, char *buf, size_t cap);
/* The roofline of an evaluated single-accelerator step as an SVG picture (roofs, ridge point and
 * the step's point), written like ms_result_json (snprintf-style length); 0 when the result has no
 * roofline keys (a fleet training step). */
size_t ms_result_roofline_svg(const ms_result *r, char *buf, size_t cap);
/* The memory of one accelerator as an SVG picture: a stacked bar of weights, gradients,
 * optimizer state, activations, KV cache and buffers against the device's capacity, with the
 * runtime reserve and the free headroom (or the overflow when it does not fit); written like
 * ms_result_json; 0 when the result has no memory keys (an input error). */
size_t ms_result_memory_svg(const ms_result *r, char *buf, size_t cap);

/* Curves y(x) as an SVG picture (what `mlsysim sweep --svg` draws). An axis is logarithmic when
 * its values are all positive and span a factor of 10 or more; with xcats the x values are the
 * indices 0 .. ncats-1 of those names, evenly spaced. Tick and point labels are formatted by the
 * unit of xkey / ykey (ms_fmt_human). Written like ms_result_json; 0 when no point is finite. */
typedef struct {
    const char *label;                /* legend text (shown when there are several series) */
    int n;
    const double *x, *y;              /* non-finite points are skipped */
    const unsigned char *hollow;      /* per point, 1 = drawn as an open circle; may be NULL */
} ms_svg_series;
typedef struct {
    const char *title, *xlabel, *ylabel;
    const char *xkey, *ykey;          /* keys whose unit suffix formats the ticks ("latency_s") */
    const char *const *xcats;         /* categorical x: the names; NULL for a numeric x */
    int ncats;
    const char *note;                 /* a line under the plot, or NULL */
} ms_svg_plot;
size_t ms_svg_curves(const ms_svg_plot *p, const ms_svg_series *s, int ns, char *buf, size_t cap);

/* Predicted against measured as an SVG picture (what `mlsysim validate --svg` draws), two panels:
 * left, predicted against measured on the same range (logarithmic when every value is positive
 * and they span a factor of 10 or more) with the line predicted = measured and dashed bands
 * predicted = (1 ± band) x measured; right, the error predicted / measured - 1 against measured
 * with the bands as horizontal lines. A point is a circle when held out and a square when a
 * figure was chosen on it, coloured by its group, its tooltip its label, both values (formatted
 * by the unit of `key`) and its error. Written like ms_result_json; 0 when no point is finite
 * (a point with measured 0 is not). */
typedef struct {
    const char *label;
    double measured, predicted;       /* non-finite points are skipped */
    int group;                        /* index into ms_svg_parity_plot.groups: the colour */
    int heldout;                      /* 1: out of sample (circle), 0: calibration (square) */
} ms_svg_parity_point;
typedef struct {
    const char *title;
    const char *axis_label;           /* the quantity: "tokens/s per accelerator" */
    const char *key;                  /* a key whose unit suffix formats the values ("tokens_per_s") */
    const char *const *groups;        /* legend names of the colours */
    int ngroups;
    double band[2];                   /* relative errors drawn as bands (0.1, 0.2); 0 = none */
    const char *note;                 /* lines under the legend ('\n' between them), or NULL */
    const ms_svg_parity_point *points;
    int npoints;
} ms_svg_parity_plot;
size_t ms_svg_parity(const ms_svg_parity_plot *p, char *buf, size_t cap);
/* Text (aligned key / human value), JSON (as ms_result_json) or a markdown table. */
void ms_result_print(const ms_result *r, ms_format fmt, FILE *f);
/* Human form of a value from its key's unit suffix (_s, _bytes, _per_s, _j, ...). */
void ms_fmt_human(const char *key, double v, char *buf, size_t cap);
/* JSON string literal with escapes. */
void ms_json_str(FILE *f, const char *s);

/* ---- plans ---- */

/* The efficiency a plan gets when it names none: training uses the figure calibrated on
 * Megatron-LM (MS_DIST_DEFAULT_TRAIN_EFFICIENCY, 0.70), inference MS_DEFAULT_EFFICIENCY (0.5). */
double ms_default_efficiency(ms_mode mode);
/* The training efficiency calibrated for an accelerator's generation (the registry name up to its
 * first '_': A100 0.74, H100 0.61, from mlsysim/validation/calibration.csv), 0 when that
 * generation has no calibration. A training plan that names no efficiency uses it when it is
 * > 0, else ms_default_efficiency; the result's `efficiency_source` says which. */
double ms_calibrated_efficiency(const char *hw_name);
/* The calibrated generation an accelerator's name belongs to, with calibration.csv's aliases
 * ("A100" for A100_40GB and A800, "H100" for H100_PCIe, H200 and GH200), NULL when none: the one
 * place that says which generation a name is, for every per-generation figure. */
const char *ms_calibrated_generation(const char *hw_name);
/* The fraction of peak the fused (flash) attention kernel reaches on an accelerator's generation
 * (calibration.csv's attention_efficiency: A100 0.50, H100 0.35, FlashAttention-2's published
 * figures), 0 when unknown (attention then runs at the plan's efficiency). Training plans use it. */
double ms_calibrated_attention_efficiency(const char *hw_name);
/* The fused attention kernel's non-matmul work per score and pass in tensor-FLOP equivalents on
 * an accelerator's generation (calibration.csv's attention_score_flops: A100 224, H100 342, from
 * the datasheets' exponential and FP32 rates; see ms_dist_accel_t.attn_score_flops), 0 when
 * unknown. Training plans use it. */
double ms_calibrated_attention_score_flops(const char *hw_name);
/* The fraction of the FP8 peak the linear layers' GEMMs reach in FP8 training on an accelerator's
 * generation (calibration.csv's fp8_efficiency), 0 when it has none (an FP8 plan's linear layers
 * then run at the plan's efficiency). Training plans in fp8 use it. */
double ms_calibrated_fp8_efficiency(const char *hw_name);
/* The figure an inference plan (and `serve`) of a transformer on an accelerator's generation
 * computes at when it names none: in fp16 / bf16 the generation's ms_calibrated_efficiency, in
 * fp8 its ms_calibrated_fp8_efficiency (the same GEMMs, chosen on training rows only; a prefill
 * and a large decode batch are GEMM-bound); 0 for other formats, other model kinds (convolutions,
 * U-Nets, scans: no calibration of theirs) and uncalibrated generations. */
double ms_calibrated_inference_efficiency(const ms_model *m, const char *hw_name, ms_precision precision);
/* ms_calibrated_inference_efficiency where it is > 0, else ms_default_efficiency(inference). */
double ms_inference_efficiency(const ms_model *m, const char *hw_name, ms_precision precision);

/* Fills a plan with the defaults of a plan file that gives only workload.model and
 * hardware.accelerator: inference, batch 1, seq 2048, Adam, fp16, one accelerator, no
 * parallelism section, no ops, no constraints; model and hardware are copied (may be NULL). */
void ms_plan_init(ms_plan *p, const ms_registry *r, const ms_model *m, const ms_hardware *hw);

/* Evaluates a loaded plan (ms_plan_load_buffer / ms_plan_load_file / ms_plan_init) and checks its
 * constraints. `r` gives the registry the plan was resolved against (may be NULL). Initialises
 * *out (free it with ms_result_free) and returns out->status. */
ms_status ms_plan_eval(const ms_registry *r, const ms_plan *p, ms_result *out);

/* Loads a plan from YAML bytes (`label` names it in messages) and evaluates it. A plan that does
 * not load gives MS_ERR_INPUT with out->error = "label:line: field: reason" and the table
 * {"status": "error", "reason": ...}. */
ms_status ms_plan_eval_buffer(const ms_registry *r, const char *label, const char *yaml, size_t len,
                              ms_result *out);

/* Sets one plan field by its dotted YAML name ("workload.batch_size", "hardware.accelerator",
 * "parallelism.tp", ...; the list is ms_plan_set_keys), or by that name after its section
 * ("batch_size", "tp": no two sections share one), from text, checked as the plan reader checks
 * it; dp and per_node follow a new count, tp or pp. On error the plan is unchanged and err says
 * "key: reason" (an unknown key: the nearest field's name, when one is within two edits). What
 * sweeps and sliders vary. */
ms_status ms_plan_set(const ms_registry *r, ms_plan *p, const char *key, const char *value, char *err,
                      size_t errlen);
extern const char *const ms_plan_set_keys;    /* space-separated */

/* `mlsysim optimize batching`: the batch size (1..MS_BATCHING_MAX_BATCH) and the fewest replicas
 * (each the plan's tp x pp group) whose p99 latency meets sla_s at qps requests/s. Every batch is
 * evaluated by ms_plan_eval on one replica, so it is what `eval` reports; a request of a decoder
 * LM or SSM is its prompt (seq_len) then output_tokens decode steps (ttft_s + N x itl_s), of
 * anything else one step (latency_s). M/M/c over the replicas (ms_dist_search_batching). MS_OK;
 * MS_ERR_INPUT (a training plan, bad targets, a plan the engine refuses); MS_ERR_MEMORY (does not
 * fit even at batch 1); MS_ERR_ASSERT (no batch meets the target). err says why. */
#define MS_BATCHING_MAX_BATCH 256
#define MS_BATCHING_MAX_REPLICAS 4096
typedef struct {
    int batch_size, replicas;
    int accelerators_per_replica;     /* tp x pp */
    int per_request;                  /* 1: a request is ttft_s + output_tokens x itl_s */
    int output_tokens;
    double batch_latency_s;           /* one batch on one replica */
    double p99_latency_s;             /* with the wait to fill the batch and the queue */
    double utilization;               /* per replica */
    double throughput_per_s;          /* requests/s the replicas sustain */
} ms_plan_batching_result;
ms_status ms_plan_batching(const ms_registry *r, const ms_plan *p, double sla_s, double qps, int output_tokens,
                           ms_plan_batching_result *out, char *err, size_t errlen);

/* `mlsysim serve --qps`: replicas for an arrival rate. Each replica serves `slots` requests at once
 * (its batch), each of those a server of one M/M/c queue (c = replicas x slots) with mean service
 * time service_s (a request: TTFT + output_tokens x ITL). replicas > 0: the queue figures at that
 * count (MS_ERR_ASSERT when it is overloaded); replicas == 0: the fewest replicas up to
 * MS_SERVE_MAX_REPLICAS that are stable and, when p99_target_s > 0, have p99 <= p99_target_s
 * (MS_ERR_ASSERT when none; replicas 0). MS_ERR_INPUT for bad inputs. err says why. */
#define MS_SERVE_MAX_REPLICAS 100000
typedef struct {
    int replicas;                     /* given or found; 0 when the search found none */
    int found;                        /* 1: stable (and meets the target when searched) */
    double service_s;
    ms_queue_result queue;            /* at `replicas` (given: even when overloaded) */
    ms_queue_result queue_md;         /* the same servers as M/D/c (fixed-length requests: a
                                         deterministic service time; ms_mgc with c_s^2 = 0, exact
                                         Pollaczek-Khinchine mean at c = 1) */
} ms_serve_replicas_result;
ms_status ms_serve_replicas(double qps, double service_s, int slots, int replicas, double p99_target_s,
                            ms_serve_replicas_result *out, char *err, size_t errlen);

/* Sensitivity of any plan (every workload kind, roofline or fleet path) to its hardware:
 * ms_plan_eval again with peak FLOP/s (every precision), memory bandwidth and memory capacity
 * each raised by pct % alone, and, for a training step on the fleet model (ms_plan_to_dist accepts
 * the plan), the intra-node and the inter-node bandwidth too (n_knobs = 5, else 3);
 * change[k] = (latency_k - latency) / latency for k < n_knobs, binding = the most negative, or
 * memory capacity when the plan does not fit (upstream's SensitivitySolver). MS_OK, MS_ERR_MEMORY
 * (figures filled, binding capacity), MS_ERR_INPUT (err says why). */
#define MS_PLAN_SENS_KNOBS 5              /* every figure: the accelerator's three, then the links */
#define MS_PLAN_SENS_HW_KNOBS 3           /* the accelerator's figures, varied for every plan */
extern const char *const ms_plan_sensitivity_knobs[MS_PLAN_SENS_KNOBS];   /* peak_flops, mem_bw, mem_capacity, intra_bw, inter_bw */
typedef struct {
    double base_latency_s;
    double change[MS_PLAN_SENS_KNOBS];
    int n_knobs;                      /* figures varied: MS_PLAN_SENS_HW_KNOBS, or all for a fleet step */
    int binding;                      /* index into ms_plan_sensitivity_knobs */
    int feasible;
} ms_plan_sensitivity_result;
ms_status ms_plan_sensitivity(const ms_registry *r, const ms_plan *p, double pct, ms_plan_sensitivity_result *out,
                              char *err, size_t errlen);

/* Synthesis for any plan (every workload kind, roofline or fleet path; upstream's SynthesisSolver):
 * the factor x in [1e-3, 1e3] by which each figure alone must be scaled for latency_s <= target_s
 * (capacity: and for the plan to fit), NAN when none up to 1000 does. The figures are those
 * ms_plan_sensitivity varies: the accelerator's three for every plan, and the intra- and inter-node
 * bandwidth too for a training step on the fleet model (n_knobs 5, else 3; factor[k >= n_knobs] is
 * NAN). MS_OK; MS_ERR_MEMORY (the plan as given does not fit, factors filled); MS_ERR_ASSERT (no
 * figure reaches the target); MS_ERR_INPUT. err says why. */
typedef struct {
    double base_latency_s, target_s;
    double factor[MS_PLAN_SENS_KNOBS];
    int n_knobs;
    int feasible;
    double memory_bytes, capacity_bytes;  /* the plan as given: per accelerator, and what it has */
} ms_plan_synthesis_result;
ms_status ms_plan_synthesis(const ms_registry *r, const ms_plan *p, double target_s, ms_plan_synthesis_result *out,
                            char *err, size_t errlen);

/* The fleet model's inputs for a plan (transformers only; -1 with a message otherwise). */
struct ms_dist_accel;
struct ms_dist_model;
struct ms_dist_parallel;
struct ms_dist_fabric;
int ms_plan_to_dist(const ms_plan *p, struct ms_dist_accel *a, struct ms_dist_model *m,
                    struct ms_dist_parallel *par, struct ms_dist_fabric *f, char *err, size_t errlen);

/* A fleet training step's parts into a result, as `eval` reports them: communication_s, the
 * exposed tp / pp / dp / zero / ep / cp communication_s, the totals before overlap, tp_comm_overlap
 * and pp_comm_overlap (the plan's flags, from par), optimizer_s, matmul_s, memory_bound_s and overlap_interference_s; with step_time_s, compute_s
 * and bubble_s (written by the caller) what `--breakdown` splits (`validate --breakdown` fills a
 * result per published run with it). */
struct ms_dist_train;
void ms_result_train_parts(ms_result *o, const struct ms_dist_train *t, const struct ms_dist_parallel *par);

/* The fleet model's view of one registry accelerator at `precision` with efficiency `eff`: peak,
 * bandwidth, whole capacity, power, price, compute units and achievable HBM fraction. */
void ms_hw_to_dist_accel(const ms_hardware *h, ms_precision precision, double eff, struct ms_dist_accel *a);

/* ---- serving validation: published serving measurements (mlsysim/validation/serving.csv) ----
 * Each row names a registry model and accelerator, a precision, a tensor-parallel degree, a static
 * batch, input and output lengths, and one measured figure: output tokens/s per GPU of a whole
 * static-batch run, the time to the first token, or the inter-token latency (one decode step of the
 * batch at the mean context input + output/2, as a client that averages the gaps after the first
 * token measures it: ITL rows take the throughput rows' itl_s and in-flight rule). Predicted
 * through ms_plan_eval (inference, tp accelerators, the plan's default efficiency): TTFT = the
 * plan's ttft_s at seq_len = input;
 * a run = TTFT + (output - 1) decode steps at the mean context input + output/2 (the plan's itl_s
 * there) with n = in_flight sequences at once, n = min(batch, free memory / KV of a sequence at its
 * mean length) (paged KV: a batch larger than the cache runs as n in flight, the rest waiting);
 * tokens/s per GPU = n · output / run / tp. An optional column `stack` names the serving software
 * whose costs and rules apply (serving_validation.c: trtllm-0.6, a per-layer cost per forward pass
 * and a GQA decode kernel that reads the KV cache once per query head; trtllm-bench, a KV cache
 * of 0.95 of the memory beside the weights with each request holding its whole input + output;
 * trtllm-0.9, a per-layer cost of the prefill and one of the decode step, and a GQA kernel that
 * reads each KV head once; nim-trtllm-0.9, trtllm-0.9's and a NIM server's own cost per request,
 * in every first token).
 * `metric` is also read as serving benchmarks name it (tpot_s = itl_s; ttft_ms, itl_ms, tpot_ms in
 * milliseconds; output_tokens_per_s, all tp GPUs' tokens, divided by tp), `measured` then stored in
 * the metric's own unit. `precision` is read as frameworks write it (bfloat16, float8_e4m3fn, and weight-only words such as
 * w4a16 or awq: 4-bit weights under 16-bit compute and cache; ms_scale_precision_word).
 * An optional column `kv_precision` gives the KV cache's format (blank: precision), and an optional
 * column `clients` makes the row a closed loop of that many clients with no think time (a
 * benchmark's concurrency: ms_cb_closed_loop over the in-flight decode step and one request's
 * prefill, each request's first token that of a wave of the in-flight prompts, ms_cb_wave_ttft,
 * prefilled max_num_tokens / input_len an iteration; blank = the static batch). An optional column
 * `max_num_tokens` gives a closed loop's server budget (blank = MS_SERVE_MAX_NUM_TOKENS). */
/* A closed loop's per-iteration prefill budget when its row names none: TensorRT-LLM's default
 * max_num_tokens from v0.11 (docs/source/performance/perf-best-practices.md). */
#define MS_SERVE_MAX_NUM_TOKENS 8192

typedef enum {
    MS_SERVE_TOKENS_PER_S_PER_GPU = 0,
    MS_SERVE_TTFT_S = 1,
    MS_SERVE_ITL_S = 2,              /* a decode step of the batch at the mean context input + output/2
                                      * (a closed loop: stretched by its prefill stalls) */
    MS_SERVE_METRICS = 3
} ms_serving_metric;

typedef struct {
    char id[48];
    char model[MS_NAME_MAX];
    char hardware[MS_NAME_MAX];
    char citation[240];
    ms_serving_metric metric;
    ms_precision precision;
    ms_precision kv_precision;       /* the KV cache's (column `kv_precision`; blank = precision) */
    ms_precision weight_precision;   /* the weights' storage: 4 or 8 bits under a weight-only word of
                                      * `precision` (w4a16, awq, w8a16 ...; ms_scale_precision_word),
                                      * else = precision */
    int tp, batch, input_len, output_len;
    ms_moe_routing moe_routing;      /* column `routing`: the experts a MoE model's tokens reach (blank = uniform) */
    int clients;                     /* column `clients`: a closed loop of that many clients (batch = the
                                      * most sequences in flight), ms_cb_closed_loop; 0 = a static batch */
    double requests_per_s;           /* closed loop: the completions per second the loop settles at */
    int max_num_tokens;              /* closed loop: the server's prefill tokens an iteration (column
                                      * `max_num_tokens`; blank = MS_SERVE_MAX_NUM_TOKENS; 0 = static) */
    int wave_per_iteration;          /* closed loop: prompts of a wave prefilled an iteration,
                                      * max_num_tokens / input_len within 1..in_flight */
    double wave_prefill_s;           /* closed loop: one iteration's prefill of that many, stack costs in */
    int heldout;                     /* 1: nothing was chosen on this row */
    double measured, predicted;      /* tokens/s per GPU or seconds */
    double error;                    /* (predicted - measured) / measured */
    double ttft_s, itl_s;            /* the prediction's parts (itl_s: throughput and ITL rows), with
                                      * the stack's costs */
    double efficiency;               /* η the plan used */
    char stack[24];                  /* serving software (column `stack`; "" = none: the plan alone) */
    double layer_overhead_s;         /* the stack's fixed cost of a prefill's layers (in TTFT) */
    double decode_overhead_s;        /* the stack's fixed cost of a decode step's layers (in ITL; the
                                      * prefill's figure where the stack gives no decode one) */
    double kv_extra_s;               /* per decode step: KV re-read by a GQA kernel that reads per query head */
    double attn_block_s;             /* per decode step: what the attention kernel takes beyond its KV read
                                      * where one thread block a sequence and KV head runs alone (no
                                      * multi-block mode): waves x context x the stack's time a token */
    double request_overhead_s;       /* the stack's server cost of a request beside the GPUs' work (in TTFT) */
    double decode_serial;            /* the stack's decode-GEMM serial share (ms_serve_input.gemm_serial) */
    int in_flight;                   /* sequences decoded at once: min(batch, KV-cache capacity at the mean
                                      * length, or at the whole length under the stack's rule) */
} ms_serving_row;

typedef struct {
    int n;
    double median_abs_error, max_abs_error;
} ms_serving_stats;

typedef struct {
    int n;
    ms_serving_row *rows;            /* malloc'd; free with ms_serving_validation_free */
    ms_serving_stats stats[MS_SERVE_METRICS][2];    /* [metric][heldout] */
    /* measurements the engine cannot predict with what the project holds (a model or accelerator
     * the registry does not have, a serving stack without a figure for the generation): left out
     * of the rows and the statistics, each with its reason ("serving.csv:12: id: column model: ...");
     * the type a training table's left-out rows take */
    int nskipped;
    ms_dist_refused_row_t *skipped;  /* malloc'd; freed with the rows */
    /* stack names the engine has no figures for (rows predicted by the plan alone), the first 8 */
    int nunknown;
    char unknown_stacks[8][24];
} ms_serving_validation;

/* Reads the table and predicts every row against registry `r`. Errors name file, line and
 * column (unknown model or hardware, bad number, unknown metric or split). MS_OK or MS_ERR_INPUT. */
ms_status ms_serving_validation_run(const ms_registry *r, const char *path, ms_serving_validation *v,
                                    char *err, size_t errlen);
void ms_serving_validation_free(ms_serving_validation *v);
/* Median and max |error| over the rows of one metric and split (heldout 1 or 0) whose stack
 * column is `stack` ("" = rows without one; NULL = every row, as v->stats) and, with loop 0, that
 * are static batches, with loop 1 closed loops (column `clients`), with loop -1 either. MS_OK, or
 * MS_ERR_INPUT on a bad argument or no memory. */
ms_status ms_serving_stats_for(const ms_serving_validation *v, const char *stack, int loop, ms_serving_metric metric,
                               int heldout, ms_serving_stats *out);
/* A metric's name as serving.csv's `metric` column and the JSON write it ("tokens_per_s_per_gpu",
 * "ttft_s", "itl_s"); "?" out of range. */
const char *ms_serving_metric_name(ms_serving_metric m);

#ifdef __cplusplus
}
#endif
#endif
