/* serving_validation.c - published serving measurements against the engine's inference plan
 * (see engine.h, "serving validation", and mlsysim/validation/README.md).
 *
 * serving.csv: id,model,hardware,precision,tp,batch,input_len,output_len,metric,measured,split
 * (blank or absent = held out),citation ('#' starts a comment), and optionally stack,
 * kv_precision (the KV cache's format; blank = precision), clients (a closed loop of that many
 * clients, ms_cb_closed_loop, each first token a wave's, ms_cb_wave_ttft; blank = a static batch),
 * max_num_tokens (a closed loop's server budget of prefill tokens an iteration; blank =
 * MS_SERVE_MAX_NUM_TOKENS) and routing (a MoE model's experts: uniform, or fixed where every token
 * reaches the same ones, ms_moe_routing; blank = uniform). metric (also as benchmarks name it, metric_of):
 * tokens_per_s_per_gpu (output tokens of a static-batch run per second per GPU), ttft_s or itl_s
 * (one decode step of the sequences in flight at the mean context, the step the throughput rows
 * are made of). Every row is predicted with the efficiency
 * an inference plan takes when it names none (ms_inference_efficiency: the generation's calibrated
 * GEMM figure for a 16-bit or FP8 transformer); a row's stack adds that software's fixed costs
 * (stacks[] below).
 * Rows are parsed into a malloc'd array.
 *
 * KV-cache capacity: sequences in flight n = min(batch, floor(free / (KV per token · mean length)))
 * with free = tp · capacity · (1 - reserve) - weights and mean length = input + output/2 (paged KV,
 * Kwon et al., SOSP'23: a sequence holds only the blocks it has filled). A batch larger than n runs
 * n at a time; tokens/s is that of n sequences, each decode step cheaper than a step of the whole
 * batch but the weights are read for fewer tokens, so throughput per GPU falls below the full-batch
 * figure the memory cannot hold.
 */
#include "mlsysim/engine.h"
#include "../scale/internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int num_field(const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(x) || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

/* ttft_s and itl_s of the row's plan at context `seq`; 0 when the engine gives none. */
static int eval_at(const ms_registry *reg, const ms_serving_row *r, const ms_model *m, const ms_hardware *hw,
                   int seq, double serial, ms_plan *p, ms_result *res, double *ttft, double *itl, double *eff)
{
    ms_plan_init(p, reg, m, hw);
    p->decode_serial = serial;
    p->mode = MS_MODE_INFERENCE;
    p->batch_size = r->batch;
    p->seq_len = seq;
    p->precision = r->precision;
    if (r->kv_precision != r->precision) p->kv_precision = (int)r->kv_precision;
    if (r->weight_precision != r->precision) p->weight_precision = (int)r->weight_precision;
    p->moe_routing = r->moe_routing;
    p->tp = r->tp;
    p->pp = 1;
    p->count = r->tp;
    p->per_node = r->tp;
    p->dp = 1;
    ms_status st = ms_plan_eval(reg, p, res);
    int ok = st != MS_ERR_INPUT && ms_result_get(res, "ttft_s", ttft) && ms_result_get(res, "itl_s", itl);
    if (!ms_result_get(res, "efficiency", eff)) *eff = 0;
    ms_result_free(res);
    return ok ? 0 : -1;
}

/* Serving software whose fixed costs the plan (pure roofline) does not carry.
 * trtllm-0.6: TensorRT-LLM's gptSession runtime as benchmarked in its performance.md of v0.5/v0.6.1.
 *   layer_s: host and launch cost per transformer layer per forward pass (about a dozen kernels and
 *     plugins a layer, each launched from the host), and whatever a 128-token pass's GEMMs fall
 *     short of the generation's calibrated efficiency. One figure per accelerator generation, each
 *     chosen on a 10 us grid on ONE calibration row, the generation's Llama 2 7B first token of 128
 *     tokens at batch 1, TP 1 (fixed costs dominate): A100 250 us on TRT-A100-L2-7B-ttft-128 (16 ms
 *     measured, 7.9 ms roofline at η 0.74, over 32 layers); H100 140 us on TRT-H100-L2-7B-ttft-128
 *     (7 ms measured, 2.6 ms roofline: the FP8 weights' read at the achievable HBM bandwidth,
 *     ms_hw_mem_bw). Every other row is held out.
 *   kv_per_query_head: the generation-phase attention of these releases is modelled as reading a
 *     GQA group's K/V once per query head: the kernel that shares it across the group (XQA) came
 *     later, with a 2.4x Llama-70B throughput gain (TensorRT-LLM README, news of 2024/01/30). A
 *     decode step then reads the KV cache heads/kv_heads times (memory-bound: the extra reads add
 *     (heads/kv_heads - 1) · KV bytes / bandwidth). No effect on MHA models. An assumption
 *     supported by that note, not a measured kernel figure. */
typedef struct {
    const char *gen;      /* accelerator generation: the registry name up to its first '_' */
    double layer_s;       /* per layer of a prefill (the forward pass of the first token) */
    double decode_s;      /* per layer of a decode step */
    double decode_serial; /* the decode GEMMs' shorter side in series (ms_serve_input.gemm_serial) */
    double block_token_s; /* decode attention, one thread block a (sequence, KV head): its time a token
                           * of context (0 = the kernel keeps pace with the HBM stream) */
} serving_layer_cost;
typedef struct {
    const char *name;
    serving_layer_cost layer[2];   /* none listed: no per-layer cost on any generation */
    int kv_per_query_head;
    /* KV-cache capacity (0: the plan's rule, all memory beside the weights at each sequence's mean
     * length): this fraction of the tp group's memory beside the weights, each request holding its
     * whole input + output length */
    double kv_fraction;
    /* the server's own cost of a request outside the GPUs' work (its HTTP front end, tokenizing,
     * scheduling, streaming the first token back): added to every request's first token, and in a
     * closed loop to its cycle; 0 for a benchmark harness that feeds the runtime directly */
    double request_s;
    /* a generation layer[] does not list: 1, the stack's rules with no figures (the roofline's
     * σ 0, no per-layer cost); 0, not predicted (its per-layer costs are part of every row) */
    int unlisted_plain;
} serving_stack;
/* trtllm-bench: TensorRT-LLM's `trtllm-bench throughput` (PyTorch backend, CUDA graphs) as its
 *   perf-overview.md runs it, all requests queued at once. Its tensorrt_llm/bench/build/tuning.py
 *   sizes the run for kv_cache_gpu_mem_fraction 0.95 of the GPUs' memory beside the engine, each
 *   request at its whole input + output length (calc_engine_setting; the capacity scheduler's
 *   default, GUARANTEED_NO_EVICT, admits a request only when its whole length fits), and the
 *   page says 0.95 is what the tables used where memory allowed. No per-layer cost (CUDA graphs
 *   replay the decode step), and the GQA decode kernel (XQA) reads each KV head once. Its decode
 *   GEMMs' serial share (as trtllm-0.9's below), for the one generation with rows (H100, whose
 *   figures H200 takes), chosen on a 0.1 grid on ONE row fixed by rule before any figure was tried:
 *   the TP-1 run whose sequences in flight (the stack's KV rule) come nearest its device's ridge,
 *   peak·η·bytes / (2·BW) (H100 FP8 181, H200 FP8 126): TRTB-H200-L33-70B-1000-2000, 136 in
 *   flight: 0.4 (+1.8 %; 0 gives +19.7 %, 0.5 gives -1.9 %). A generation without rows (A100,
 *   B200) runs with none: the roofline's σ 0. */
/* trtllm-0.9: TensorRT-LLM 0.9.0's static-batch benchmark (the DLI table of serving.csv, rows
 *   TRT09-*): its XQA kernel on (the table's column "Enable XQA": each KV head read once), the KV
 *   cache by the plan's rule, and two per-layer costs per generation, each chosen on a 10 us grid
 *   on ONE calibration row, the generation's Llama 2 7B at TP 1, batch 1, 128 -> 128 tokens (A100
 *   FP16, H100 FP8): the prefill's on that run's first token, the decode step's on its
 *   token-to-token latency. A decode step replays a dozen small kernels a layer where a 128-token
 *   prefill also runs its GEMMs below the generation's η, so the two need not agree. Then the
 *   decode GEMMs' serial share (ms_serve_input.gemm_serial: how much of the shorter of their
 *   weight stream and their math does not overlap the longer), per generation on a 0.1 grid on
 *   ONE more row, the same model, TP and lengths at the largest batch whose decode GEMMs the
 *   roofline does not yet call compute-bound (batch <= peak·η·bytes / (2·BW): A100 FP16 129,
 *   H100 FP8 181; batch 128 on both): A100 0.7 on TRT09-A100-L2-7B-fp16-t1-b128-128x128-itl
 *   (-0.7 %; 0 gives -23.4 %), H100 1.0 on TRT09-H100-L2-7B-fp8-t1-b128-128x128-itl (-0.6 %;
 *   0 gives -20.4 %); the per-layer costs stay their grid's best beside them. Those two runs'
 *   token-to-token and tokens/s rows are calibration rows; every other row is held out. */
/*   Then its decode attention's thread blocks (serving_layer_cost.block_token_s, attention_blocks_s):
 *   0.9.0's masked-MHA and XQA kernels give each (sequence, KV head) one thread block unless the
 *   engine is built with multi_block_mode, off by default (docs/source/advanced/gpt-attention.md,
 *   "Generation Phase": "the vanilla implementation that uses a single CUDA thread-block per head",
 *   multi-block worth testing "when batch_size * num_heads is less than the number of
 *   multi-processors"). A block works through its context alone, slower than its share of the HBM
 *   stream, so few sequences at long contexts take longer than their KV read. The time a block
 *   takes a token of context, per generation, on a 0.1 ns grid on ONE row each, the batch-1 run
 *   with the fewest blocks a token of context at TP 1 (Mistral 7B, 8 KV heads, 2048 -> 2048) in the
 *   precision of the generation's other figures: A100 14.7 ns on TRT09-A100-M-7B-fp16-t1-b1-2048x2048-itl
 *   (+0.03 %; 0 gives -10.0 %), H100 5.7 ns on TRT09-H100-M-7B-fp8-t1-b1-2048x2048-itl (-0.09 %;
 *   -10.0 %). Those runs' token-to-token and tokens/s rows are calibration rows; the per-layer costs
 *   and serial shares stay their grids' best beside them. */
/* nim-trtllm-0.9: an (unversioned, mid-2024) NIM serving its model through a TensorRT-LLM backend
 *   of about 0.9's time, measured by GenAI-Perf from outside (the NIM (DLI) rows of serving.csv):
 *   trtllm-0.9's per-layer costs and rules, and the NIM's own cost per request, request_s: what its
 *   OpenAI-compatible front end adds to each request's first token beside the engine's work. One
 *   figure for every generation (host work), chosen on a 0.1 ms grid on ONE calibration row by the
 *   README's split rule 4, the table's smallest configuration (one GPU, Llama 3 8B, one request at
 *   a time, a 200-token prompt; its first such line, nim.csv line 71): 4.1 ms on
 *   NIMDLI-A100-L3-8B-fp16-t1-200x1000-ttft (25.81 ms measured, 21.70 ms without it). */
#define TRTLLM09_LAYER_COSTS {{"A100", 260e-6, 70e-6, 0.7, 14.7e-9}, {"H100", 120e-6, 50e-6, 1.0, 5.7e-9}}
static const serving_stack stacks[] = {
    /* trtllm-0.6 charges its one per-layer cost in both phases */
    {"trtllm-0.6", {{"A100", 250e-6, 250e-6, 0.0, 0.0}, {"H100", 140e-6, 140e-6, 0.0, 0.0}}, 1, 0.0, 0.0, 0},
    {"trtllm-bench", {{"H100", 0.0, 0.0, 0.4, 0.0}, {NULL, 0, 0, 0, 0}}, 0, 0.95, 0.0, 1},
    {"trtllm-0.9", TRTLLM09_LAYER_COSTS, 0, 0.0, 0.0, 0},
    {"nim-trtllm-0.9", TRTLLM09_LAYER_COSTS, 0, 0.0, 4.1e-3, 0},
};

/* The stack's per-layer costs on hw's generation (ms_calibrated_generation: H200 is H100's
 * GH100, A800 A100's GA100): a zero cost when the stack lists none for any generation or says a
 * generation it does not list runs plain, NULL when it lists others but not this one. */
static const serving_layer_cost no_layer_cost = {NULL, 0.0, 0.0, 0.0, 0.0};

static const serving_layer_cost *stack_layer_cost(const serving_stack *stk, const char *hw_name)
{
    if (!stk->layer[0].gen) return &no_layer_cost;
    const char *gen = ms_calibrated_generation(hw_name);
    for (size_t i = 0; gen && i < sizeof stk->layer / sizeof stk->layer[0]; i++)
        if (stk->layer[i].gen && !strcmp(stk->layer[i].gen, gen)) return &stk->layer[i];
    return stk->unlisted_plain ? &no_layer_cost : NULL;
}

/* The serving stack a name names, without regard to case or punctuation ("TRTLLM 0.9"). */
static const serving_stack *stack_of(const char *name)
{
    char q[64], k[64];
    ms_scale_squash(name, q, sizeof q);
    for (size_t i = 0; i < sizeof stacks / sizeof stacks[0]; i++) {
        ms_scale_squash(stacks[i].name, k, sizeof k);
        if (*q && !strcmp(k, q)) return &stacks[i];
    }
    return NULL;
}

/* Sequences of `len` tokens the tp group's memory holds beside the weights (at least 1): of what
 * (1 - reserve) of it leaves, the fraction `frac` (1 = all). */
static int kv_capacity(const ms_model *m, const ms_hardware *hw, const ms_serving_row *r, double len, double reserve,
                       double frac)
{
    double free_b = frac * (r->tp * hw->mem_bytes * (1.0 - reserve) - m->params * ms_precision_bytes(r->weight_precision));
    double per_seq = m->kv_elems_per_token * ms_precision_bytes(r->kv_precision) * len;
    double n = free_b > 0 && per_seq > 0 ? floor(free_b / per_seq) : 1;
    if (n < 1) return 1;
    return n > r->batch ? r->batch : (int)n;
}

/* A decode step's attention where each (sequence, KV head) is one thread block working through its
 * context alone, as TensorRT-LLM's masked-MHA and XQA kernels run without multi-block mode: the
 * tp group's blocks, n · kvh / tp on each GPU, run in waves of one a multiprocessor, each taking
 * `len` × block_token_s. What that takes beyond the KV read the plan charges at the HBM rate
 * (kv_read_s, the step's, every layer's), over every layer; 0 where the stream is the longer, or
 * without a figure or an SM count. */
static double attention_blocks_s(const ms_model *m, const ms_hardware *hw, const ms_serving_row *r, int kvh,
                                 double block_token_s, double len, double kv_read_s)
{
    if (!(block_token_s > 0) || hw->compute_units < 1 || kvh < 1 || m->arch.layers < 1) return 0.0;
    double per_gpu = kvh >= r->tp ? (double)kvh / r->tp : 1.0;          /* KV heads on each GPU */
    double waves = ceil(r->in_flight * per_gpu / hw->compute_units);
    double read = kv_read_s / m->arch.layers;                            /* a layer's */
    double alone = waves * len * block_token_s;
    return alone > read ? m->arch.layers * (alone - read) : 0.0;
}

static const char *const metric_names[MS_SERVE_METRICS] = {"tokens_per_s_per_gpu", "ttft_s", "itl_s"};

const char *ms_serving_metric_name(ms_serving_metric m)
{
    return m >= 0 && m < MS_SERVE_METRICS ? metric_names[m] : "?";
}

/* A metric as serving benchmarks name it: the three names, the time per output token (vLLM's
 * TPOT: the gap between tokens after the first, our itl_s), latencies in milliseconds, and the
 * output tokens/s of all tp GPUs. The metric, and in *scale what turns the measure into its unit;
 * -1 for a name it does not know. */
static int metric_of(const char *name, int tp, double *scale)
{
    static const struct { const char *name; int metric; double scale; } alias[] = {
        {"tpot_s", MS_SERVE_ITL_S, 1.0}, {"ttft_ms", MS_SERVE_TTFT_S, 1e-3}, {"itl_ms", MS_SERVE_ITL_S, 1e-3},
        {"tpot_ms", MS_SERVE_ITL_S, 1e-3}, {"output_tokens_per_s", MS_SERVE_TOKENS_PER_S_PER_GPU, 0.0},
    };
    *scale = 1.0;
    for (int k = 0; k < MS_SERVE_METRICS; k++)
        if (!strcmp(name, metric_names[k])) return k;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcmp(name, alias[i].name)) {
            *scale = alias[i].scale > 0 ? alias[i].scale : 1.0 / tp;     /* all GPUs' tokens: per GPU */
            return alias[i].metric;
        }
    return -1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* stack NULL: every row of the metric and split; loop -1 both kinds of run, 0 static batches,
 * 1 closed loops */
static void stats_of(const ms_serving_validation *v, const char *stack, int loop, int metric, int held, double *tmp,
                     ms_serving_stats *s)
{
    int k = 0;
    s->max_abs_error = 0;
    for (int i = 0; i < v->n; i++) {
        const ms_serving_row *r = &v->rows[i];
        if ((int)r->metric != metric || r->heldout != held || (stack && strcmp(r->stack, stack))) continue;
        if (loop >= 0 && (r->clients > 0) != loop) continue;
        double e = fabs(r->error);
        tmp[k++] = e;
        if (e > s->max_abs_error) s->max_abs_error = e;
    }
    s->n = k;
    if (!k) { s->median_abs_error = 0; return; }
    qsort(tmp, (size_t)k, sizeof *tmp, cmp_d);
    s->median_abs_error = k % 2 ? tmp[k / 2] : 0.5 * (tmp[k / 2 - 1] + tmp[k / 2]);
}

ms_status ms_serving_stats_for(const ms_serving_validation *v, const char *stack, int loop, ms_serving_metric metric,
                               int heldout, ms_serving_stats *out)
{
    if (!v || !out || metric < 0 || metric >= MS_SERVE_METRICS) return MS_ERR_INPUT;
    memset(out, 0, sizeof *out);
    if (v->n <= 0) return MS_OK;
    double *tmp = malloc((size_t)v->n * sizeof *tmp);
    if (!tmp) return MS_ERR_INPUT;
    stats_of(v, stack, loop < 0 ? -1 : loop != 0, metric, heldout != 0, tmp, out);
    free(tmp);
    return MS_OK;
}

enum { S_ID, S_MODEL, S_HW, S_PREC, S_TP, S_BATCH, S_IN, S_OUT, S_METRIC, S_MEAS, S_SPLIT, S_CIT, S_NUM };
static const char *const scols[S_NUM] = {"id", "model", "hardware", "precision", "tp", "batch", "input_len",
                                         "output_len", "metric", "measured", "split", "citation"};

/* Records a measurement left out (ms_serving_validation.skipped): "path:line: id: column col: why".
 * -1 (err set) only when out of memory. */
#if defined(__GNUC__)
__attribute__((format(printf, 8, 9)))
#endif
static int skip_row(ms_serving_validation *v, const char *id, const char *path, int lineno, const char *col,
                    char *err, size_t errlen, const char *fmt, ...)
{
    char why[416];                             /* "column COL: " and up to 383 characters of why */
    int n = snprintf(why, sizeof why, "column %s: ", col);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + n, sizeof why - (size_t)n, fmt, ap);
    va_end(ap);
    if (ms_scale_refuse(&v->skipped, &v->nskipped, path, lineno, id, why)) {
        snprintf(err, errlen, "serving validation: out of memory");
        return -1;
    }
    return 0;
}

ms_status ms_serving_validation_run(const ms_registry *reg, const char *path, ms_serving_validation *v,
                                    char *err, size_t errlen)
{
    if (!reg || !path || !v) { snprintf(err, errlen, "serving validation: missing input"); return MS_ERR_INPUT; }
    memset(v, 0, sizeof *v);
    ms_scale_csv_file_t cf;                    /* the validation tables' reader (internal.h) */
    int open_rc = ms_scale_csv_open(&cf, path, 0, err, errlen);
    if (open_rc != 0 && open_rc != MS_SCALE_CSV_EMPTY) return MS_ERR_INPUT;
    FILE *fp = cf.fp;                          /* NULL for a file with no header: no rows */
    ms_plan *p = malloc(sizeof *p);
    ms_result *res = malloc(sizeof *res);
    int ci[S_NUM], lineno = cf.lineno, cap = 0, ci_stack = -1, ci_kvp = -1, ci_cl = -1, ci_mnt = -1, ci_rt = -1;
    ms_status rc = MS_OK;
    if (!p || !res) { snprintf(err, errlen, "serving validation: out of memory"); rc = MS_ERR_INPUT; }
    for (int k = 0; fp && rc == MS_OK && k < S_NUM; k++)
        if ((ci[k] = ms_scale_csv_col(&cf.hdr, scols[k])) < 0 && k != S_SPLIT) {   /* split: blank = held out */
            snprintf(err, errlen, "%s:%d: header lacks column '%s'", path, lineno, scols[k]);
            rc = MS_ERR_INPUT;
        }
    if (fp && rc == MS_OK) {                                      /* optional */
        ci_stack = ms_scale_csv_col(&cf.hdr, "stack");
        ci_kvp = ms_scale_csv_col(&cf.hdr, "kv_precision");
        ci_cl = ms_scale_csv_col(&cf.hdr, "clients");
        ci_mnt = ms_scale_csv_col(&cf.hdr, "max_num_tokens");
        ci_rt = ms_scale_csv_col(&cf.hdr, "routing");
    }
    ms_scale_csv_line_t c;
    int got = 0;
    while (fp && rc == MS_OK && (got = ms_scale_csv_next(&cf, &c, 1, err, errlen)) == 1) {
        lineno = cf.lineno;
        if (v->n == cap) {
            int nc = cap ? 2 * cap : 16;
            ms_serving_row *nr = realloc(v->rows, (size_t)nc * sizeof *nr);
            if (!nr) { snprintf(err, errlen, "serving validation: out of memory"); rc = MS_ERR_INPUT; break; }
            v->rows = nr; cap = nc;
        }
        ms_serving_row *r = &v->rows[v->n];
        memset(r, 0, sizeof *r);
        snprintf(r->citation, sizeof r->citation, "%s", c.f[ci[S_CIT]]);
        const ms_model *m = ms_registry_model(reg, c.f[ci[S_MODEL]]);
        const ms_hardware *hw = ms_registry_hardware(reg, c.f[ci[S_HW]]);
#define BAD(col, ...) do { snprintf(err, errlen, "%s:%d: column %s: ", path, lineno, scols[col]); \
        size_t L_ = strlen(err); snprintf(err + L_, errlen > L_ ? errlen - L_ : 0, __VA_ARGS__); rc = MS_ERR_INPUT; } while (0)
        /* an id that does not fit is refused, not cut (two cut ids could read as one) */
        if (ms_scale_name_field(r->id, sizeof r->id, c.f[ci[S_ID]], "id", path, lineno, err, errlen)) { rc = MS_ERR_INPUT; break; }
        /* what the project does not hold leaves the row out, the others predicted */
#define SKIP(col, ...) do { if (skip_row(v, r->id, path, lineno, scols[col], err, errlen, __VA_ARGS__)) rc = MS_ERR_INPUT; } while (0)
        if (!m || m->kind != MS_MODEL_TRANSFORMER || m->arch.encoder) {
            SKIP(S_MODEL, "'%s' is not a decoder LM of the registry (see `mlsysim zoo models`)", c.f[ci[S_MODEL]]);
            if (rc) break;
            continue;
        }
        if (!hw) {
            char why[256];
            SKIP(S_HW, "unknown accelerator %s", ms_registry_unknown_hardware(reg, c.f[ci[S_HW]], why, sizeof why));
            if (rc) break;
            continue;
        }
        snprintf(r->model, sizeof r->model, "%s", m->name);
        snprintf(r->hardware, sizeof r->hardware, "%s", hw->name);
        if (ms_scale_precision_word(c.f[ci[S_PREC]], &r->precision, &r->weight_precision, &r->kv_precision)) {
            BAD(S_PREC, "unknown precision '%s' (fp16, bf16, fp8, int8, as frameworks write them: bfloat16, "
                "float8_e4m3fn ...; weight-only w4a16, awq, gptq, w8a16; w8a8)", c.f[ci[S_PREC]]);
            break;
        }
        ms_precision kc, kw;
        if (ci_kvp >= 0 && c.f[ci_kvp][0] && ms_scale_precision_word(c.f[ci_kvp], &kc, &kw, &r->kv_precision)) {
            snprintf(err, errlen, "%s:%d: column kv_precision: unknown precision '%s' (empty = precision)", path, lineno, c.f[ci_kvp]);
            rc = MS_ERR_INPUT; break;
        }
        if (ci_rt >= 0 && c.f[ci_rt][0] && ms_moe_routing_parse(c.f[ci_rt], &r->moe_routing)) {
            snprintf(err, errlen, "%s:%d: column routing: '%s' is not " MS_MOE_ROUTING_WORDS " (empty = uniform)", path, lineno, c.f[ci_rt]);
            rc = MS_ERR_INPUT; break;
        }
        const int ic[4] = {S_TP, S_BATCH, S_IN, S_OUT};
        int *id[4] = {&r->tp, &r->batch, &r->input_len, &r->output_len};
        for (int k = 0; k < 4 && rc == MS_OK; k++) {
            double x;
            if (num_field(c.f[ci[ic[k]]], 1, 1e6, &x) || x != floor(x)) BAD(ic[k], "'%s' is not a whole number in 1..1000000", c.f[ci[ic[k]]]);
            else *id[k] = (int)x;
        }
        if (rc) break;
        if (ci_cl >= 0 && c.f[ci_cl][0]) {
            double x;
            if (num_field(c.f[ci_cl], 1, 1e6, &x) || x != floor(x)) {
                snprintf(err, errlen, "%s:%d: column clients: '%s' is not a whole number in 1..1000000 (empty = a static batch)",
                         path, lineno, c.f[ci_cl]);
                rc = MS_ERR_INPUT; break;
            }
            r->clients = (int)x;
        }
        r->max_num_tokens = r->clients > 0 ? MS_SERVE_MAX_NUM_TOKENS : 0;
        if (ci_mnt >= 0 && c.f[ci_mnt][0]) {
            double x;
            if (num_field(c.f[ci_mnt], 1, 1e7, &x) || x != floor(x)) {
                snprintf(err, errlen, "%s:%d: column max_num_tokens: '%s' is not a whole number in 1..10000000 "
                         "(empty = %d)", path, lineno, c.f[ci_mnt], MS_SERVE_MAX_NUM_TOKENS);
                rc = MS_ERR_INPUT; break;
            }
            if (r->clients == 0) {
                snprintf(err, errlen, "%s:%d: column max_num_tokens: %s is a closed loop's server budget, "
                         "but the row has no clients (a static batch)", path, lineno, c.f[ci_mnt]);
                rc = MS_ERR_INPUT; break;
            }
            r->max_num_tokens = (int)x;
        }
        if (m->arch.heads % r->tp) { BAD(S_TP, "%d does not divide the %d attention heads of %s", r->tp, m->arch.heads, m->name); break; }
        /* weights that do not fit the tp group's memory cannot have been served so: a wrong tp
         * (or model, or precision), refused rather than predicted at one sequence in flight */
        double weights = m->params * ms_precision_bytes(r->weight_precision);
        if (weights > r->tp * hw->mem_bytes) {
            BAD(S_TP, "%s's weights, %.0f GB in %s, do not fit %d %s (%.0f GB each)", m->name, weights / 1e9,
                c.f[ci[S_PREC]], r->tp, hw->name, hw->mem_bytes / 1e9);
            break;
        }
        const char *mt = c.f[ci[S_METRIC]];
        double scale = 1.0;                               /* measured in the metric's own unit */
        int mk = metric_of(mt, r->tp, &scale);
        if (mk < 0) {
            BAD(S_METRIC, "'%s' is not tokens_per_s_per_gpu, ttft_s or itl_s (or output_tokens_per_s, tpot_s, "
                "ttft_ms, itl_ms, tpot_ms)", mt);
            break;
        }
        r->metric = (ms_serving_metric)mk;
        if (r->metric == MS_SERVE_ITL_S && r->output_len < 2) {   /* no second token, no latency between */
            BAD(S_OUT, "%d: an inter-token latency (itl_s) needs at least 2 output tokens", r->output_len);
            break;
        }
        if (num_field(c.f[ci[S_MEAS]], 1e-12, 1e15, &r->measured)) { BAD(S_MEAS, "'%s' is not a number > 0", c.f[ci[S_MEAS]]); break; }
        r->measured *= scale;
        /* as runs.csv reads it (held-out, calib ...); blank or no column: held out, since every
         * serving figure was chosen on a named row of the project's table */
        const char *sp = ci[S_SPLIT] >= 0 ? c.f[ci[S_SPLIT]] : "";
        r->heldout = *sp ? ms_scale_split_word(sp) : 1;
        if (r->heldout < 0) { BAD(S_SPLIT, "'%s' is not calibration or heldout (blank = held out)", sp); break; }
        const serving_stack *stk = NULL;
        /* a stack the engine has no figures for runs as the plan alone, under its own name (as a
         * training row's unknown stack runs at its generation's figures), and is listed */
        const char *given = ci_stack >= 0 ? c.f[ci_stack] : "";
        if (*given && !(stk = stack_of(given))) {
            if (strlen(given) >= sizeof r->stack) {
                snprintf(err, errlen, "%s:%d: column stack: '%.40s' is longer than %zu characters", path, lineno, given,
                         sizeof r->stack - 1);
                rc = MS_ERR_INPUT; break;
            }
            int seen = 0;
            for (int i = 0; i < v->nunknown && !seen; i++) seen = !strcmp(v->unknown_stacks[i], given);
            if (!seen && v->nunknown < (int)(sizeof v->unknown_stacks / sizeof v->unknown_stacks[0]))
                snprintf(v->unknown_stacks[v->nunknown++], sizeof v->unknown_stacks[0], "%s", given);
        }
#undef BAD
#undef SKIP
        snprintf(r->stack, sizeof r->stack, "%s", stk ? stk->name : given);
        double mean_len = r->input_len + r->output_len / 2;
        ms_plan_init(p, reg, m, hw);
        double reserve = p->memory_reserve;   /* the plan's default runtime reserve */
        /* a stack with its own KV rule: that fraction of the memory beside the weights, each
         * request holding its whole input + output; else all of it at the mean length */
        int whole = stk && stk->kv_fraction > 0;
        double frac = whole ? stk->kv_fraction : 1.0;
        double held = whole ? r->input_len + r->output_len : mean_len;
        int closed = r->clients > 0;
        r->in_flight = r->metric == MS_SERVE_TTFT_S && !closed ? r->batch : kv_capacity(m, hw, r, held, reserve, frac);
        if (closed && r->in_flight > r->clients) r->in_flight = r->clients;
        ms_serving_row at = *r;            /* the plan of the sequences actually in flight */
        at.batch = r->in_flight;
        ms_serving_row first = at;         /* the prefill: the static batch's, one request's in a loop */
        if (closed) first.batch = 1;
        const serving_layer_cost *lc = stk ? stack_layer_cost(stk, hw->name) : &no_layer_cost;
        if (!lc) {
            char known[64] = "";
            for (size_t i = 0; i < sizeof stk->layer / sizeof stk->layer[0]; i++)
                if (stk->layer[i].gen)
                    snprintf(known + strlen(known), sizeof known - strlen(known), " %s", stk->layer[i].gen);
            if (skip_row(v, r->id, path, lineno, "stack", err, errlen, "%s has no per-layer cost for %.*s (known:%s)",
                         stk->name, (int)strcspn(hw->name, "_"), hw->name, known)) {
                rc = MS_ERR_INPUT; break;
            }
            continue;
        }
        r->layer_overhead_s = m->layers * lc->layer_s;
        r->decode_overhead_s = m->layers * lc->decode_s;
        r->decode_serial = lc->decode_serial;
        double ttft = 0, itl0 = 0, itl = 0, eff = 0;
        if (eval_at(reg, &first, m, hw, r->input_len, lc->decode_serial, p, res, &ttft, &itl0, &eff)) {
            snprintf(err, errlen, "%s:%d: the engine gives no TTFT for %s on %s", path, lineno, m->name, hw->name);
            rc = MS_ERR_INPUT; break;
        }
        r->request_overhead_s = stk ? stk->request_s : 0.0;
        double prefill_s = ttft + r->layer_overhead_s;     /* the GPUs' part of the first token */
        r->ttft_s = prefill_s + r->request_overhead_s;
        r->efficiency = eff;
        if (r->metric == MS_SERVE_TTFT_S && !closed) {
            r->predicted = r->ttft_s;
        } else {
            double t2 = 0;
            if (eval_at(reg, &at, m, hw, (int)mean_len, lc->decode_serial, p, res, &t2, &itl, &eff)) {
                snprintf(err, errlen, "%s:%d: the engine gives no ITL for %s on %s", path, lineno, m->name, hw->name);
                rc = MS_ERR_INPUT; break;
            }
            int kvh = m->arch.kv_heads;
            double reads = stk && stk->kv_per_query_head && kvh > 0 ? (double)m->arch.heads / kvh : 1.0;
            double kv_step = m->kv_elems_per_token * ms_precision_bytes(r->kv_precision) * mean_len * r->in_flight;
            double kv_read_s = kv_step / (r->tp * ms_hw_mem_bw(hw));   /* a GPU's share at the HBM rate */
            r->kv_extra_s = (reads - 1.0) * kv_read_s;
            r->attn_block_s = attention_blocks_s(m, hw, r, kvh, lc->block_token_s, mean_len, kv_read_s);
            r->itl_s = itl + r->decode_overhead_s + r->kv_extra_s + r->attn_block_s;
            if (closed) {
                /* the wave of in-flight prompts, max_num_tokens / input of them an iteration */
                int g = ms_cb_wave_per_iteration(r->max_num_tokens, r->input_len, r->in_flight);
                ms_serving_row grp = at;
                grp.batch = g;
                double tg = 0, i0 = 0, e0 = 0;
                if (eval_at(reg, &grp, m, hw, r->input_len, lc->decode_serial, p, res, &tg, &i0, &e0)) {
                    snprintf(err, errlen, "%s:%d: the engine gives no TTFT for %d prompts of %s on %s", path, lineno,
                             g, m->name, hw->name);
                    rc = MS_ERR_INPUT; break;
                }
                r->wave_per_iteration = g;
                r->wave_prefill_s = tg + r->layer_overhead_s;
                /* each request's first token: its wave's, after the server's own cost of it */
                double wave = ms_cb_wave_ttft(r->in_flight, g, r->wave_prefill_s, r->itl_s) + r->request_overhead_s;
                ms_cb_closed_result cl;
                if (!(wave > 0) ||
                    ms_cb_closed_loop(r->clients, r->in_flight, prefill_s, r->itl_s, r->output_len, wave, &cl)) {
                    snprintf(err, errlen, "%s:%d: no closed-loop prediction for %s on %s", path, lineno, m->name, hw->name);
                    rc = MS_ERR_INPUT; break;
                }
                r->ttft_s = cl.ttft_s;
                r->itl_s = cl.itl_s;
                r->requests_per_s = cl.requests_per_s;
                r->predicted = r->metric == MS_SERVE_TTFT_S ? r->ttft_s : r->metric == MS_SERVE_ITL_S ? r->itl_s
                             : cl.tokens_per_s / r->tp;
            } else {
                double run = r->ttft_s + (r->output_len - 1) * r->itl_s;
                r->predicted = r->metric == MS_SERVE_ITL_S ? r->itl_s : (double)r->in_flight * r->output_len / run / r->tp;
            }
        }
        r->error = r->predicted / r->measured - 1.0;
        v->n++;
    }
    if (rc == MS_OK && got < 0) rc = MS_ERR_INPUT;         /* err: the reader's, with file and line */
    if (fp) fclose(fp);
    free(p);
    free(res);
    if (rc == MS_OK && v->n == 0 && v->nskipped)
        snprintf(err, errlen, "serving validation: no row could be predicted (%s)", v->skipped[0].reason), rc = MS_ERR_INPUT;
    if (rc == MS_OK && v->n == 0) { snprintf(err, errlen, "%s: no rows", path); rc = MS_ERR_INPUT; }
    if (rc == MS_OK) {
        double *tmp = malloc((size_t)v->n * sizeof *tmp);
        if (!tmp) { snprintf(err, errlen, "serving validation: out of memory"); rc = MS_ERR_INPUT; }
        else {
            for (int mt = 0; mt < MS_SERVE_METRICS; mt++)
                for (int h = 0; h < 2; h++) stats_of(v, NULL, -1, mt, h, tmp, &v->stats[mt][h]);
            free(tmp);
        }
    }
    if (rc) ms_serving_validation_free(v);
    return rc;
}

void ms_serving_validation_free(ms_serving_validation *v)
{
    if (!v) return;
    free(v->rows);
    v->rows = NULL;
    v->n = 0;
    free(v->skipped);
    v->skipped = NULL;
    v->nskipped = 0;
    v->nunknown = 0;
}
