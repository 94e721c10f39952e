/* templates.c - the parametric question templates. Each generator draws registry entries and
 * numbers, asks libmlsysim for the answer, and writes the question and the worked napkin math.
 * Units: the answer is in the unit the question names (GB = 1e9 bytes, KiB = 1024 bytes). */
#include "staffml/templates.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsysim/distributed.h"
#include "mlsysim/physics.h"

/* splitmix64 */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static int pick(uint64_t *s, int n) { return (int)(next_u64(s) % (uint64_t)n); }
static double pickd(uint64_t *s, const double *v, int n) { return v[pick(s, n)]; }

typedef int (*hw_pred)(const ms_hardware *);
typedef int (*model_pred)(const ms_model *);

static const ms_hardware *pick_hw(const ms_registry *r, uint64_t *s, hw_pred ok)
{
    size_t n = ms_registry_hardware_count(r), cnt = 0;
    for (size_t i = 0; i < n; i++) cnt += ok(ms_registry_hardware_at(r, i));
    if (!cnt) return NULL;
    size_t k = (size_t)pick(s, (int)cnt);
    for (size_t i = 0; i < n; i++)
        if (ok(ms_registry_hardware_at(r, i)) && k-- == 0) return ms_registry_hardware_at(r, i);
    return NULL;
}

static const ms_model *pick_model(const ms_registry *r, uint64_t *s, model_pred ok)
{
    size_t n = ms_registry_model_count(r), cnt = 0;
    for (size_t i = 0; i < n; i++) cnt += ok(ms_registry_model_at(r, i));
    if (!cnt) return NULL;
    size_t k = (size_t)pick(s, (int)cnt);
    for (size_t i = 0; i < n; i++)
        if (ok(ms_registry_model_at(r, i)) && k-- == 0) return ms_registry_model_at(r, i);
    return NULL;
}

static int hw_cloud(const ms_hardware *h)
{
    return h->hw_class == MS_HW_CLOUD && h->mem_bytes >= 16e9 && h->mem_bw_bytes_per_s > 0 &&
           h->flops[MS_FP16] > 0;
}
static int hw_edge(const ms_hardware *h)
{
    return h->hw_class == MS_HW_EDGE && h->mem_bytes >= 4e9 && h->mem_bw_bytes_per_s > 0;
}
static int hw_mobile(const ms_hardware *h)
{
    return h->hw_class == MS_HW_MOBILE && h->mem_bytes >= 4e9 && h->mem_bw_bytes_per_s > 0;
}
static int hw_tiny(const ms_hardware *h)
{
    return h->hw_class == MS_HW_TINY && (h->flash_bytes > 0 || h->mem_bytes > 0) &&
           ms_hw_peak(h, MS_INT8) > 0;
}
static int hw_tdp(const ms_hardware *h) { return hw_cloud(h) && h->tdp_w > 0; }

static int dense_llm(const ms_model *m)
{
    return m->kind == MS_MODEL_TRANSFORMER && !m->arch.encoder && m->arch.experts == 0 &&
           m->arch.kv_lora_rank == 0 && m->params >= 1e9;
}
static int big_llm(const ms_model *m) { return dense_llm(m) && m->params >= 6e9; }
static int small_llm(const ms_model *m) { return dense_llm(m) && m->params <= 4e9; }
static int tiny_model(const ms_model *m)
{
    return m->kind != MS_MODEL_TRANSFORMER && m->params >= 1e3 && m->params < 5e6 && m->fwd_flops > 0;
}

static int head_dim(const ms_model *m)
{
    return m->arch.head_dim > 0 ? m->arch.head_dim : m->arch.hidden / m->arch.heads;
}

static void setx(sml_instance *o, const char *name, double v)
{
    if (o->nx < SML_TPL_MAX_X) {
        o->x_name[o->nx] = name;
        o->x[o->nx++] = v;
    }
}

double sml_instance_x(const sml_instance *in, const char *name)
{
    for (int i = 0; i < in->nx; i++)
        if (!strcmp(in->x_name[i], name)) return in->x[i];
    return 0;
}

#define NEED(p) do { if (!(p)) return -1; } while (0)
#define Q(...) snprintf(o->question, sizeof o->question, __VA_ARGS__)
#define N(...) snprintf(o->napkin, sizeof o->napkin, __VA_ARGS__)

static const double k_seqs[] = {1024, 2048, 4096, 8192, 16384, 32768};
static const double k_batches[] = {1, 4, 8, 16, 32, 64};

/* ---- memory ---- */

static int t_kv_token(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m);
    ms_precision p = pick(s, 2) ? MS_FP16 : MS_FP8;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "bytes", ms_precision_bytes(p));
    o->value = ms_kv_cache_bytes(m, 1, 1, p) / 1024.0;
    o->unit = "KiB";
    o->tolerance = 0.03;
    Q("%s has %d layers, %d KV heads of dimension %d. How many KiB of KV cache does one token take "
      "in %s?", m->title, m->arch.layers, m->arch.kv_heads, head_dim(m), ms_precision_name(p));
    N("2 (K and V) x %d layers x %d KV heads x %d dims x %g B = %.1f KiB per token", m->arch.layers,
      m->arch.kv_heads, head_dim(m), ms_precision_bytes(p), o->value);
    return 0;
}

static int t_kv_batch(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m);
    double seq = pickd(s, k_seqs, 6), b = pickd(s, k_batches + 1, 5);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "seq", seq);
    setx(o, "batch", b);
    o->value = ms_kv_cache_bytes(m, seq, b, MS_FP16) / 1e9;
    o->unit = "GB";
    o->tolerance = 0.03;
    Q("Serving %s (%d layers, %d KV heads x %d dims) in fp16 with %g concurrent sequences of %g tokens: "
      "how many GB (1e9 B) does the KV cache hold?", m->title, m->arch.layers, m->arch.kv_heads,
      head_dim(m), b, seq);
    N("2 x %d x %d x %d x 2 B = %.0f B/token; x %g tokens x %g sequences = %.2f GB", m->arch.layers,
      m->arch.kv_heads, head_dim(m), ms_kv_cache_bytes(m, 1, 1, MS_FP16), seq, b, o->value);
    return 0;
}

static int t_weights(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m);
    static const ms_precision ps[] = {MS_FP32, MS_FP16, MS_INT8, MS_INT4};
    ms_precision p = ps[pick(s, 4)];
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "bytes", ms_precision_bytes(p));
    o->value = ms_weight_bytes(m, p) / 1e9;
    o->unit = "GB";
    o->tolerance = 0.03;
    Q("%s has %.3g B parameters. How many GB (1e9 B) do its weights take in %s?", m->title,
      m->params / 1e9, ms_precision_name(p));
    N("%.3g B params x %g B = %.2f GB", m->params / 1e9, ms_precision_bytes(p), o->value);
    return 0;
}

static int t_train_adam(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m);
    ms_train_config c;
    ms_train_config_default(&c);
    ms_train_memory tm;
    ms_training_memory(m, &c, &tm);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    o->value = (tm.weights_bytes + tm.gradients_bytes + tm.optimizer_bytes) / 1e9;
    o->unit = "GB";
    o->tolerance = 0.03;
    Q("Training %s (%.3g B parameters) with mixed-precision Adam on one device: how many GB do the "
      "weights, gradients and optimizer state take (no activations)?", m->title, m->params / 1e9);
    N("fp16 weights 2 B + fp16 gradients 2 B + fp32 master, m, v 12 B = 16 B/param; %.3g B x 16 = %.1f GB",
      m->params / 1e9, o->value);
    return 0;
}

static int t_zero(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, big_llm);
    NEED(m);
    static const double dps[] = {8, 16, 32, 64};
    ms_train_config c;
    ms_train_config_default(&c);
    c.dp = (int)pickd(s, dps, 4);
    c.zero_stage = 1 + pick(s, 3);
    ms_train_memory tm;
    ms_training_memory(m, &c, &tm);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "dp", c.dp);
    setx(o, "zero", c.zero_stage);
    o->value = (tm.weights_bytes + tm.gradients_bytes + tm.optimizer_bytes) / 1e9;
    o->unit = "GB";
    o->tolerance = 0.03;
    Q("%s (%.3g B parameters), mixed-precision Adam, ZeRO stage %d over %d data-parallel GPUs: how "
      "many GB of model state (weights + gradients + optimizer) does each GPU hold?", m->title,
      m->params / 1e9, c.zero_stage, c.dp);
    N("per param: weights 2%s + grads 2%s + optimizer 12%s B; = %.1f GB per GPU",
      c.zero_stage >= 3 ? "/N" : "", c.zero_stage >= 2 ? "/N" : "", "/N", o->value);
    return 0;
}

static int t_max_batch(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_cloud);
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(h && m);
    double seq = pickd(s, k_seqs, 6);
    double w = ms_weight_bytes(m, MS_FP16), kv = ms_kv_cache_bytes(m, seq, 1, MS_FP16);
    if (w >= h->mem_bytes) {   /* does not fit: ask with int4 weights instead */
        w = ms_weight_bytes(m, MS_INT4);
        if (w >= h->mem_bytes) return -1;
        setx(o, "wbytes", 0.5);
    } else {
        setx(o, "wbytes", 2);
    }
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "seq", seq);
    o->value = floor((h->mem_bytes - w) / kv);
    o->unit = "sequences";
    o->tolerance = 0.02;
    Q("%s holds %.4g GB. With %s weights of %s (%.2f GB) resident, how many %g-token sequences fit "
      "in the remaining memory if each needs a full fp16 KV cache (ignore fragmentation)?", h->title,
      h->mem_bytes / 1e9, sml_instance_x(o, "wbytes") == 2 ? "fp16" : "int4", m->title, w / 1e9, seq);
    N("KV per sequence %.3f GB; floor((%.4g - %.2f) / %.3f) = %.0f", kv / 1e9, h->mem_bytes / 1e9,
      w / 1e9, kv / 1e9, o->value);
    return 0;
}

static int t_checkpoint_size(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, big_llm);
    NEED(m);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    o->value = m->params * (2.0 + ms_optimizer_bytes_per_param(MS_OPT_ADAM, MS_FP16)) / 1e9;
    o->unit = "GB";
    o->tolerance = 0.03;
    Q("A resumable checkpoint of %s (%.3g B params) stores fp16 weights plus the mixed-precision Adam "
      "state. How many GB?", m->title, m->params / 1e9);
    N("2 B + 12 B (fp32 master, m, v) = 14 B/param; %.3g B x 14 = %.0f GB", m->params / 1e9, o->value);
    return 0;
}

/* ---- compute ---- */

static int t_ridge(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_cloud);
    NEED(h);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    o->value = ms_hw_peak(h, MS_FP16) / h->mem_bw_bytes_per_s;
    o->unit = "FLOP/B";
    o->tolerance = 0.03;
    Q("%s: %.4g TFLOP/s dense fp16, %.4g TB/s memory bandwidth. Where is the roofline's ridge point "
      "(FLOP per byte)?", h->title, ms_hw_peak(h, MS_FP16) / 1e12, h->mem_bw_bytes_per_s / 1e12);
    N("%.4g e12 / %.4g e12 = %.0f FLOP/B", ms_hw_peak(h, MS_FP16) / 1e12, h->mem_bw_bytes_per_s / 1e12, o->value);
    return 0;
}

static int t_attainable(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_cloud);
    NEED(h);
    static const double is[] = {1, 4, 16, 64, 256, 1024};
    double I = pickd(s, is, 6);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "intensity", I);
    double peak = ms_hw_peak(h, MS_FP16);
    o->value = fmin(peak, I * h->mem_bw_bytes_per_s) / 1e12;
    o->unit = "TFLOP/s";
    o->tolerance = 0.03;
    Q("A kernel does %g FLOP per byte of HBM traffic on %s (%.4g TFLOP/s fp16, %.4g TB/s). What "
      "throughput does the roofline allow, in TFLOP/s?", I, h->title, peak / 1e12, h->mem_bw_bytes_per_s / 1e12);
    N("min(peak, I x BW) = min(%.4g, %g x %.4g) = %.4g TFLOP/s", peak / 1e12, I,
      h->mem_bw_bytes_per_s / 1e12, o->value);
    return 0;
}

static int t_prefill_flops(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m);
    double seq = pickd(s, k_seqs, 6);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "seq", seq);
    o->value = ms_forward_flops(m, seq) / 1e12;
    o->unit = "TFLOP";
    o->tolerance = 0.03;
    Q("Prefill of one %g-token prompt through %s (%.4g B matmul parameters, %d layers, %d heads x %d "
      "dims, causal): how many TFLOP, counting the attention scores too?", seq, m->title,
      m->params_matmul / 1e9, m->arch.layers, m->arch.heads, head_dim(m));
    N("2 x P x S = %.4g; attention 4 x heads x dim x layers x S(S+1)/2 pairs = %.4g; total %.4g TFLOP",
      2 * m->params_matmul * seq / 1e12, seq * (seq + 1) / 2 * m->attn_flops_per_pair / 1e12, o->value);
    return 0;
}

static int t_train_flops(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m);
    static const double toks[] = {1e11, 3e11, 1e12, 2e12, 15e12};
    double D = pickd(s, toks, 5);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "tokens", D);
    o->value = 6.0 * m->params * D;
    o->unit = "FLOP";
    o->tolerance = 0.03;
    Q("Estimate the training compute of %s (%.3g B parameters) on %.3g tokens, in FLOP (e.g. 1.2e23).",
      m->title, m->params / 1e9, D);
    N("6 x N x D = 6 x %.3g e9 x %.3g = %.3g FLOP", m->params / 1e9, D, o->value);
    return 0;
}

static int t_train_days(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_cloud);
    const ms_model *m = pick_model(r, s, big_llm);
    NEED(h && m);
    static const double gpus[] = {256, 1024, 2048, 4096, 16384};
    static const double mfus[] = {0.35, 0.4, 0.5};
    double n = pickd(s, gpus, 5), mfu = pickd(s, mfus, 3), D = 1e12 * (1 + pick(s, 15));
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "gpus", n);
    setx(o, "mfu", mfu);
    setx(o, "tokens", D);
    o->value = 6.0 * m->params * D / (n * ms_hw_peak(h, MS_FP16) * mfu) / 86400.0;
    o->unit = "days";
    o->tolerance = 0.05;
    Q("How many days does training %s (%.3g B params) on %.3g T tokens take on %g x %s (%.4g TFLOP/s "
      "fp16 dense each) at %.0f%% MFU?", m->title, m->params / 1e9, D / 1e12, n, h->title,
      ms_hw_peak(h, MS_FP16) / 1e12, mfu * 100);
    N("6ND = %.3g FLOP; / (%g x %.4g e12 x %.2f) = %.3g s = %.1f days", 6 * m->params * D, n,
      ms_hw_peak(h, MS_FP16) / 1e12, mfu, o->value * 86400, o->value);
    return 0;
}

static int t_chin_tokens(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    (void)r;
    static const double budgets[] = {1e21, 1e22, 1e23, 5.76e23, 1e24, 1e25};
    double C = pickd(s, budgets, 6), N_, D;
    ms_chin_optimal(C, 20, &N_, &D);
    setx(o, "flops", C);
    o->value = D;
    o->unit = "tokens";
    o->tolerance = 0.03;
    Q("With a compute budget of %.3g FLOP and the Chinchilla rule (C = 6ND, D = 20N), how many "
      "training tokens are compute-optimal?", C);
    N("C = 6 x N x 20N = 120 N^2 -> N = sqrt(C/120) = %.3g; D = 20N = %.3g tokens", N_, D);
    return 0;
}

static int t_chin_params(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    (void)r;
    static const double budgets[] = {3e21, 3e22, 3e23, 2e24, 1e25};
    double C = pickd(s, budgets, 5), N_, D;
    ms_chin_optimal(C, 20, &N_, &D);
    setx(o, "flops", C);
    o->value = N_;
    o->unit = "params";
    o->tolerance = 0.03;
    Q("Chinchilla-optimal model size for %.3g FLOP (C = 6ND, 20 tokens per parameter), in parameters?", C);
    N("N = sqrt(C / 120) = %.3g parameters", N_);
    return 0;
}

/* ---- latency ---- */

static int decode_tps(const ms_registry *r, uint64_t *s, sml_instance *o, hw_pred hp, model_pred mp,
                      const ms_precision *ps, int nps, int ask_ms)
{
    const ms_hardware *h = pick_hw(r, s, hp);
    const ms_model *m = pick_model(r, s, mp);
    NEED(h && m);
    ms_precision p = ps[pick(s, nps)];
    double w = ms_weight_bytes(m, p);
    if (w >= h->mem_bytes) return -1;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "bytes", ms_precision_bytes(p));
    double t = w / h->mem_bw_bytes_per_s;
    o->tolerance = 0.03;
    if (ask_ms) {
        o->value = t * 1e3;
        o->unit = "ms";
        Q("Batch-1 decode of %s with %s weights (%.3g GB) on %s (%.4g GB/s): what is the lower bound "
          "on the time per token, in ms, if every weight is read once per token?", m->title,
          ms_precision_name(p), w / 1e9, h->title, h->mem_bw_bytes_per_s / 1e9);
    } else {
        o->value = 1.0 / t;
        o->unit = "tokens/s";
        Q("Batch-1 decode of %s with %s weights (%.3g GB) on %s (%.4g GB/s): what is the upper bound on "
          "tokens/s when decode is memory-bound?", m->title, ms_precision_name(p), w / 1e9, h->title,
          h->mem_bw_bytes_per_s / 1e9);
    }
    N("every token reads all weights: %.3g GB / %.4g GB/s = %.3g ms -> %.1f tokens/s", w / 1e9,
      h->mem_bw_bytes_per_s / 1e9, t * 1e3, 1 / t);
    return 0;
}

static const ms_precision k_cloud_p[] = {MS_FP16, MS_FP8};
static const ms_precision k_small_p[] = {MS_INT8, MS_INT4, MS_FP16};

static int t_decode_ms(const ms_registry *r, uint64_t *s, sml_instance *o)
{ return decode_tps(r, s, o, hw_cloud, dense_llm, k_cloud_p, 2, 1); }
static int t_decode_tps(const ms_registry *r, uint64_t *s, sml_instance *o)
{ return decode_tps(r, s, o, hw_cloud, dense_llm, k_cloud_p, 2, 0); }
static int t_edge_tps(const ms_registry *r, uint64_t *s, sml_instance *o)
{ return decode_tps(r, s, o, hw_edge, small_llm, k_small_p, 3, 0); }
static int t_mobile_tps(const ms_registry *r, uint64_t *s, sml_instance *o)
{ return decode_tps(r, s, o, hw_mobile, small_llm, k_small_p, 2, 0); }

static int t_itl_kv(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_cloud);
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(h && m);
    double seq = pickd(s, k_seqs, 5), b = pickd(s, k_batches, 6);
    double w = ms_weight_bytes(m, MS_FP16), kv = ms_kv_cache_bytes(m, seq, b, MS_FP16);
    if (w + kv > h->mem_bytes) return -1;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "seq", seq);
    setx(o, "batch", b);
    o->value = (w + kv) / h->mem_bw_bytes_per_s * 1e3;
    o->unit = "ms";
    o->tolerance = 0.03;
    Q("%s in fp16 on %s (%.4g TB/s), batch %g at context %g: lower bound on the inter-token latency "
      "in ms, counting the weights (%.3g GB) and the whole KV cache (%.3g GB) read once per step?",
      m->title, h->title, h->mem_bw_bytes_per_s / 1e12, b, seq, w / 1e9, kv / 1e9);
    N("(%.3g + %.3g) GB / %.4g TB/s = %.3g ms", w / 1e9, kv / 1e9, h->mem_bw_bytes_per_s / 1e12, o->value);
    return 0;
}

static int t_ttft(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_cloud);
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(h && m);
    double seq = pickd(s, k_seqs, 5), mfu = 0.5;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "seq", seq);
    setx(o, "mfu", mfu);
    double f = ms_forward_flops(m, seq);
    o->value = f / (ms_hw_peak(h, MS_FP16) * mfu) * 1e3;
    o->unit = "ms";
    o->tolerance = 0.03;
    Q("Prefill of a %g-token prompt on %s takes %.4g TFLOP. On %s (%.4g TFLOP/s fp16) at 50%% MFU, how "
      "many ms until the first token (compute-bound)?", seq, m->title, f / 1e12, h->title,
      ms_hw_peak(h, MS_FP16) / 1e12);
    N("%.4g e12 / (%.4g e12 x 0.5) = %.3g ms", f / 1e12, ms_hw_peak(h, MS_FP16) / 1e12, o->value);
    return 0;
}

/* ---- networking / parallelism ---- */

static int pick_node(const ms_registry *r, uint64_t *s, const ms_node **out)
{
    size_t n = ms_registry_node_count(r), cnt = 0;
    for (size_t i = 0; i < n; i++) cnt += ms_registry_node_at(r, i)->intra_bw_bytes_per_s > 0;
    if (!cnt) return -1;
    size_t k = (size_t)pick(s, (int)cnt);
    for (size_t i = 0; i < n; i++)
        if (ms_registry_node_at(r, i)->intra_bw_bytes_per_s > 0 && k-- == 0) {
            *out = ms_registry_node_at(r, i);
            return 0;
        }
    return -1;
}

static int coll(const ms_registry *r, uint64_t *s, sml_instance *o, int kind)
{
    const ms_node *nd;
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m && !pick_node(r, s, &nd));
    int n = nd->accelerators > 1 ? nd->accelerators : 8;
    double M = 2.0 * m->params, bw = nd->intra_bw_bytes_per_s, alpha = 5e-6, t;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->node, sizeof o->node, "%s", nd->name);
    setx(o, "n", n);
    setx(o, "alpha", alpha);
    const char *what;
    switch (kind) {
    case 0: t = ms_coll_allreduce_ring_s(M, n, bw, alpha); what = "ring all-reduce"; break;
    case 1: t = ms_coll_allreduce_tree_s(M, n, bw, alpha); what = "tree all-reduce"; break;
    case 2: t = ms_coll_reduce_scatter_s(M, n, bw, alpha); what = "ring reduce-scatter"; break;
    default: t = ms_coll_all_gather_s(M, n, bw, alpha); what = "ring all-gather"; break;
    }
    o->value = t * 1e3;
    o->unit = "ms";
    o->tolerance = 0.03;
    Q("The fp16 gradients of %s (%.3g GB) are combined with a %s across the %d GPUs of one %s "
      "(%.4g GB/s per GPU per direction, 5 us per message). Time in ms (alpha-beta model)?", m->title,
      M / 1e9, what, n, nd->title, bw / 1e9);
    N(kind == 0 ? "2(n-1)/n x M/BW + 2(n-1) alpha = %.3g ms"
      : kind == 1 ? "2 ceil(log2 n) (alpha + M/BW) = %.3g ms" : "(n-1)/n x M/BW + (n-1) alpha = %.3g ms",
      o->value);
    return 0;
}
static int t_ring(const ms_registry *r, uint64_t *s, sml_instance *o) { return coll(r, s, o, 0); }
static int t_tree(const ms_registry *r, uint64_t *s, sml_instance *o) { return coll(r, s, o, 1); }
static int t_rs(const ms_registry *r, uint64_t *s, sml_instance *o) { return coll(r, s, o, 2); }
static int t_ag(const ms_registry *r, uint64_t *s, sml_instance *o) { return coll(r, s, o, 3); }

static int t_ring_bytes(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, dense_llm);
    NEED(m);
    static const double ns[] = {2, 4, 8, 16, 64, 256};
    double n = pickd(s, ns, 6), M = 2.0 * m->params;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "n", n);
    o->value = ms_coll_bytes_per_rank(MS_COLL_ALLREDUCE_RING, M, (int)n) / 1e9;
    o->unit = "GB";
    o->tolerance = 0.03;
    Q("Ring all-reduce of the fp16 gradients of %s (%.3g GB) over %g ranks: how many GB does each rank "
      "send?", m->title, M / 1e9, n);
    N("2 (n-1)/n x M = 2 x %g/%g x %.3g = %.3g GB", n - 1, n, M / 1e9, o->value);
    return 0;
}

/* ---- reliability ---- */

static const double k_gpus[] = {1024, 4096, 8192, 16384, 32768};

static int t_cluster_mtbf(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    (void)r;
    static const double mtbf[] = {25000, 50000, 100000};
    double a = pickd(s, mtbf, 3), n = pickd(s, k_gpus, 5);
    setx(o, "mtbf_h", a);
    setx(o, "gpus", n);
    o->value = ms_rel_cluster_mtbf_h(a, (int)n);
    o->unit = "hours";
    o->tolerance = 0.03;
    Q("Each GPU fails on average once per %g hours (independent, exponential). What is the mean time "
      "between failures of a %g-GPU job, in hours?", a, n);
    N("failure rates add: %g / %g = %.3g hours", a, n, o->value);
    return 0;
}

static int t_fail_prob(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    (void)r;
    double n = pickd(s, k_gpus, 5), hours = 24.0 * (1 + pick(s, 7)), a = 50000;
    double mtbf_h = ms_rel_cluster_mtbf_h(a, (int)n);
    setx(o, "gpus", n);
    setx(o, "hours", hours);
    setx(o, "mtbf_h", a);
    o->value = 100.0 * ms_rel_failure_prob(hours * 3600, mtbf_h * 3600);
    o->unit = "%";
    o->tolerance = 0.03;
    Q("A %g-GPU job runs %g hours; each GPU has a 50,000-hour MTBF. Probability (in %%) of at least one "
      "failure during the run?", n, hours);
    N("cluster MTBF %.3g h; 1 - exp(-%g / %.3g) = %.1f %%", mtbf_h, hours, mtbf_h, o->value);
    return 0;
}

static int t_young_daly(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, big_llm);
    NEED(m);
    static const double bws[] = {50e9, 100e9, 200e9, 500e9};
    double n = pickd(s, k_gpus, 5), bw = pickd(s, bws, 4);
    double ck = ms_rel_checkpoint_write_s(14.0 * m->params, bw);
    double mtbf_s = ms_rel_cluster_mtbf_h(50000, (int)n) * 3600;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "gpus", n);
    setx(o, "bw", bw);
    o->value = ms_rel_young_daly_s(ck, mtbf_s) / 60.0;
    o->unit = "min";
    o->tolerance = 0.03;
    Q("Training %s (%.3g B params) on %g GPUs (50,000 h MTBF each). A checkpoint (14 B/param) is "
      "written at %.3g GB/s. What checkpoint interval does Young's formula give, in minutes?", m->title,
      m->params / 1e9, n, bw / 1e9);
    N("delta = 14 x %.3g e9 / %.3g e9 = %.1f s; MTBF = %.0f s; sqrt(2 x delta x MTBF) = %.1f min",
      m->params / 1e9, bw / 1e9, ck, mtbf_s, o->value);
    return 0;
}

static int t_ckpt_write(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_model *m = pick_model(r, s, big_llm);
    NEED(m);
    static const double bws[] = {10e9, 25e9, 100e9, 400e9};
    double bw = pickd(s, bws, 4);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    setx(o, "bw", bw);
    o->value = ms_rel_checkpoint_write_s(14.0 * m->params, bw);
    o->unit = "s";
    o->tolerance = 0.03;
    Q("How many seconds does writing a full training checkpoint of %s (%.3g B params, 14 B/param) take "
      "at %.3g GB/s aggregate storage bandwidth?", m->title, m->params / 1e9, bw / 1e9);
    N("14 x %.3g e9 B / %.3g e9 B/s = %.1f s", m->params / 1e9, bw / 1e9, o->value);
    return 0;
}

/* ---- tinyml ---- */

static int t_mcu_weights(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_tiny);
    const ms_model *m = pick_model(r, s, tiny_model);
    NEED(h && m);
    ms_tiny_result t;
    ms_tinyml(m, h, MS_INT8, 0.5, &t);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    o->value = t.weights_bytes / 1024.0;
    o->unit = "KiB";
    o->tolerance = 0.03;
    Q("%s has %.4g parameters. Quantized to int8, how many KiB of flash do its weights need on %s?",
      m->title, m->params, h->title);
    N("%.4g params x 1 B = %.1f KiB (flash %.0f KiB: %s)", m->params, o->value, t.flash_bytes / 1024,
      t.fits_flash ? "fits" : "does not fit");
    return 0;
}

static int t_mcu_latency(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_tiny);
    const ms_model *m = pick_model(r, s, tiny_model);
    NEED(h && m);
    ms_tiny_result t;
    ms_tinyml(m, h, MS_INT8, 0.5, &t);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "eta", 0.5);
    o->value = t.latency_s * 1e3;
    o->unit = "ms";
    o->tolerance = 0.03;
    Q("One inference of %s takes %.4g MFLOP. On %s (%.4g GOP/s int8 peak, %.3g us dispatch) at 50%% "
      "efficiency, how many ms?", m->title, ms_forward_flops(m, 1) / 1e6, h->title,
      ms_hw_peak(h, MS_INT8) / 1e9, h->dispatch_s * 1e6);
    N("%.4g e6 / (%.4g e9 x 0.5) + dispatch = %.3g ms", ms_forward_flops(m, 1) / 1e6,
      ms_hw_peak(h, MS_INT8) / 1e9, o->value);
    return 0;
}

static int t_mcu_energy(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_tiny);
    const ms_model *m = pick_model(r, s, tiny_model);
    NEED(h && m && h->tdp_w > 0);
    ms_tiny_result t;
    ms_tinyml(m, h, MS_INT8, 0.5, &t);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    o->value = t.energy_j * 1e3;
    o->unit = "mJ";
    o->tolerance = 0.03;
    Q("%s runs %s in %.3g ms at %.3g W. Energy per inference in mJ?", h->title, m->title,
      t.latency_s * 1e3, h->tdp_w);
    N("%.3g W x %.3g ms = %.3g mJ", h->tdp_w, t.latency_s * 1e3, o->value);
    return 0;
}

/* ---- optimization / precision / deployment / power ---- */

static int t_spec(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_cloud);
    const ms_model *target = pick_model(r, s, big_llm), *draft = pick_model(r, s, small_llm);
    NEED(h && target && draft);
    static const double alphas[] = {0.6, 0.7, 0.8, 0.9};
    double a = pickd(s, alphas, 4);
    int k = 2 + pick(s, 5);
    ms_serve_input in;
    ms_serve_input_default(&in);
    ms_spec_result sr;
    if (ms_speculative(target, draft, h, &in, a, k, &sr) != MS_OK) return -1;
    snprintf(o->model, sizeof o->model, "%s", target->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "alpha", a);
    setx(o, "k", k);
    o->value = sr.expected_tokens;
    o->unit = "tokens";
    o->tolerance = 0.02;
    Q("Speculative decoding: a draft proposes %d tokens, each accepted with probability %.2f "
      "(independently). Expected tokens produced per target verification pass?", k, a);
    N("(1 - a^(k+1)) / (1 - a) = (1 - %.2f^%d) / %.2f = %.3f", a, k + 1, 1 - a, o->value);
    return 0;
}

static int t_quant(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_mobile);
    const ms_model *m = pick_model(r, s, small_llm);
    NEED(h && m);
    ms_workload w;
    ms_workload_default(&w);
    ms_compress_input c = {MS_FP16, pick(s, 2) ? MS_INT4 : MS_INT8, 0, MS_PRUNE_NONE};
    ms_compress_result cr;
    ms_compress(m, h, &w, &c, &cr);
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "bytes", ms_precision_bytes(c.target));
    o->value = cr.weights_after_bytes / 1e9;
    o->unit = "GB";
    o->tolerance = 0.03;
    Q("To ship %s (%.3g B params) on %s you quantize fp16 weights to %s. How many GB do the weights "
      "take afterwards?", m->title, m->params / 1e9, h->title, ms_precision_name(c.target));
    N("%.3g B x %g B = %.2f GB (from %.2f GB)", m->params / 1e9, ms_precision_bytes(c.target),
      o->value, cr.weights_before_bytes / 1e9);
    return 0;
}

static int t_mmc_wait(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    (void)r;
    static const double svc[] = {0.05, 0.1, 0.2, 0.5};
    static const double rho[] = {0.5, 0.7, 0.8, 0.9};
    int c = 2 + pick(s, 7);
    double S = pickd(s, svc, 4), lam = pickd(s, rho, 4) * c / S;
    ms_queue_result q;
    ms_mmc(lam, S, c, &q);
    setx(o, "lambda", lam);
    setx(o, "service_s", S);
    setx(o, "c", c);
    o->value = q.mean_wait_s * 1e3;
    o->unit = "ms";
    o->tolerance = 0.03;
    Q("Requests arrive at %.4g /s (Poisson) at %d replicas; each request takes %g ms on average "
      "(exponential). Mean time waiting in the queue, in ms (M/M/c)?", lam, c, S * 1e3);
    N("rho = %.2f; Erlang C P(wait) = %.4f; W = C / (c mu - lambda) = %.3g ms", q.utilization, q.p_wait,
      o->value);
    return 0;
}

static int t_mmc_util(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    (void)r;
    int c = 1 + pick(s, 16);
    static const double svc[] = {0.02, 0.05, 0.1, 0.25};
    double S = pickd(s, svc, 4), lam = (0.2 + 0.05 * pick(s, 15)) * c / S;
    ms_queue_result q;
    ms_mmc(lam, S, c, &q);
    setx(o, "lambda", lam);
    setx(o, "service_s", S);
    setx(o, "c", c);
    o->value = q.utilization * 100;
    o->unit = "%";
    o->tolerance = 0.02;
    Q("%d model replicas each serve a request in %g ms on average; traffic is %.4g requests/s. What "
      "is the utilization of the replicas, in %%?", c, S * 1e3, lam);
    N("rho = lambda x S / c = %.4g x %g / %d = %.1f %%", lam, S, c, o->value);
    return 0;
}

static int t_energy_token(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_edge);
    const ms_model *m = pick_model(r, s, small_llm);
    NEED(h && m && h->tdp_w > 0);
    double w = ms_weight_bytes(m, MS_INT4);
    double t = w / h->mem_bw_bytes_per_s;
    snprintf(o->model, sizeof o->model, "%s", m->name);
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    o->value = h->tdp_w * t;
    o->unit = "J";
    o->tolerance = 0.03;
    Q("%s (%.3g W, %.4g GB/s) decodes %s with int4 weights (%.3g GB) at batch 1, memory-bound, drawing "
      "its full power. Energy per token in joules?", h->title, h->tdp_w, h->mem_bw_bytes_per_s / 1e9,
      m->title, w / 1e9);
    N("time per token %.3g ms; %.3g W x %.3g ms = %.3g J", t * 1e3, h->tdp_w, t * 1e3, o->value);
    return 0;
}

static int t_carbon(const ms_registry *r, uint64_t *s, sml_instance *o)
{
    const ms_hardware *h = pick_hw(r, s, hw_tdp);
    size_t ng = ms_registry_grid_count(r);
    NEED(h && ng);
    const ms_grid *g = ms_registry_grid_at(r, (size_t)pick(s, (int)ng));
    double n = pickd(s, k_gpus, 5), days = 10.0 * (1 + pick(s, 9));
    double pue = g->pue > 0 ? g->pue : 1.0;
    double kwh = n * h->tdp_w * days * 24.0 / 1000.0 * pue;
    snprintf(o->hw, sizeof o->hw, "%s", h->name);
    setx(o, "gpus", n);
    setx(o, "days", days);
    setx(o, "grid", (double)(g - ms_registry_grid_at(r, 0)));
    o->value = kwh * g->carbon_g_per_kwh / 1e6;
    o->unit = "tCO2";
    o->tolerance = 0.03;
    Q("%g x %s (%.3g W each, at full power) train for %g days in %s (PUE %.2f, %.3g gCO2e/kWh). How "
      "many tonnes of CO2e?", n, h->title, h->tdp_w, days, g->title, pue, g->carbon_g_per_kwh);
    N("%g x %.3g kW x %g h x %.2f = %.4g kWh; x %.3g g/kWh = %.1f t", n, h->tdp_w / 1000, days * 24,
      pue, kwh, g->carbon_g_per_kwh, o->value);
    return 0;
}

static const sml_template k_templates[] = {
    {"tpl-kv-per-token", "KV cache per token", SML_TRACK_CLOUD, SML_AREA_MEMORY, 2, t_kv_token},
    {"tpl-kv-batch", "KV cache of a batch", SML_TRACK_CLOUD, SML_AREA_MEMORY, 3, t_kv_batch},
    {"tpl-weights", "Weight memory", SML_TRACK_CLOUD, SML_AREA_MEMORY, 1, t_weights},
    {"tpl-train-adam", "Training state with Adam", SML_TRACK_CLOUD, SML_AREA_MEMORY, 3, t_train_adam},
    {"tpl-zero", "ZeRO sharding", SML_TRACK_CLOUD, SML_AREA_PARALLELISM, 4, t_zero},
    {"tpl-max-batch", "Sequences that fit", SML_TRACK_CLOUD, SML_AREA_MEMORY, 4, t_max_batch},
    {"tpl-checkpoint-size", "Checkpoint size", SML_TRACK_CLOUD, SML_AREA_RELIABILITY, 2, t_checkpoint_size},
    {"tpl-ridge", "Roofline ridge point", SML_TRACK_CLOUD, SML_AREA_COMPUTE, 2, t_ridge},
    {"tpl-attainable", "Roofline bound", SML_TRACK_CLOUD, SML_AREA_COMPUTE, 3, t_attainable},
    {"tpl-prefill-flops", "Prefill FLOPs", SML_TRACK_CLOUD, SML_AREA_COMPUTE, 3, t_prefill_flops},
    {"tpl-train-flops", "Training compute 6ND", SML_TRACK_CLOUD, SML_AREA_COMPUTE, 2, t_train_flops},
    {"tpl-train-days", "Training wall-clock", SML_TRACK_CLOUD, SML_AREA_CROSS_CUTTING, 4, t_train_days},
    {"tpl-chinchilla-tokens", "Chinchilla tokens", SML_TRACK_CLOUD, SML_AREA_DATA, 3, t_chin_tokens},
    {"tpl-chinchilla-params", "Chinchilla model size", SML_TRACK_CLOUD, SML_AREA_DATA, 3, t_chin_params},
    {"tpl-decode-ms", "Decode latency bound", SML_TRACK_CLOUD, SML_AREA_LATENCY, 2, t_decode_ms},
    {"tpl-decode-tps", "Decode throughput bound", SML_TRACK_CLOUD, SML_AREA_LATENCY, 2, t_decode_tps},
    {"tpl-edge-decode", "Decode on an edge module", SML_TRACK_EDGE, SML_AREA_LATENCY, 3, t_edge_tps},
    {"tpl-mobile-decode", "Decode on a phone", SML_TRACK_MOBILE, SML_AREA_LATENCY, 3, t_mobile_tps},
    {"tpl-itl-kv", "ITL with the KV cache", SML_TRACK_CLOUD, SML_AREA_LATENCY, 4, t_itl_kv},
    {"tpl-ttft", "Time to first token", SML_TRACK_CLOUD, SML_AREA_LATENCY, 3, t_ttft},
    {"tpl-allreduce-ring", "Ring all-reduce", SML_TRACK_CLOUD, SML_AREA_NETWORKING, 3, t_ring},
    {"tpl-allreduce-tree", "Tree all-reduce", SML_TRACK_CLOUD, SML_AREA_NETWORKING, 4, t_tree},
    {"tpl-reduce-scatter", "Reduce-scatter", SML_TRACK_CLOUD, SML_AREA_PARALLELISM, 3, t_rs},
    {"tpl-all-gather", "All-gather", SML_TRACK_CLOUD, SML_AREA_PARALLELISM, 3, t_ag},
    {"tpl-ring-bytes", "Bytes a ring sends", SML_TRACK_CLOUD, SML_AREA_NETWORKING, 2, t_ring_bytes},
    {"tpl-cluster-mtbf", "Cluster MTBF", SML_TRACK_CLOUD, SML_AREA_RELIABILITY, 2, t_cluster_mtbf},
    {"tpl-failure-prob", "Failure during a run", SML_TRACK_CLOUD, SML_AREA_RELIABILITY, 3, t_fail_prob},
    {"tpl-young-daly", "Checkpoint interval", SML_TRACK_CLOUD, SML_AREA_RELIABILITY, 4, t_young_daly},
    {"tpl-checkpoint-write", "Checkpoint write time", SML_TRACK_CLOUD, SML_AREA_RELIABILITY, 2, t_ckpt_write},
    {"tpl-mcu-weights", "MCU flash for weights", SML_TRACK_TINYML, SML_AREA_MEMORY, 2, t_mcu_weights},
    {"tpl-mcu-latency", "MCU inference latency", SML_TRACK_TINYML, SML_AREA_LATENCY, 3, t_mcu_latency},
    {"tpl-mcu-energy", "MCU energy per inference", SML_TRACK_TINYML, SML_AREA_POWER, 3, t_mcu_energy},
    {"tpl-speculative", "Speculative decoding", SML_TRACK_CLOUD, SML_AREA_OPTIMIZATION, 4, t_spec},
    {"tpl-quantize", "Quantized weights", SML_TRACK_MOBILE, SML_AREA_PRECISION, 2, t_quant},
    {"tpl-mmc-wait", "Queueing delay", SML_TRACK_CLOUD, SML_AREA_DEPLOYMENT, 5, t_mmc_wait},
    {"tpl-mmc-util", "Replica utilization", SML_TRACK_CLOUD, SML_AREA_DEPLOYMENT, 2, t_mmc_util},
    {"tpl-edge-energy-token", "Energy per token at the edge", SML_TRACK_EDGE, SML_AREA_POWER, 3, t_energy_token},
    {"tpl-carbon", "Carbon of a training run", SML_TRACK_CLOUD, SML_AREA_POWER, 4, t_carbon},
};

size_t sml_template_count(void) { return sizeof k_templates / sizeof k_templates[0]; }
const sml_template *sml_template_at(size_t i) { return i < sml_template_count() ? &k_templates[i] : NULL; }

const sml_template *sml_template_find(const char *id)
{
    for (size_t i = 0; i < sml_template_count(); i++)
        if (!strcmp(k_templates[i].id, id)) return &k_templates[i];
    return NULL;
}

int sml_template_generate(const sml_template *t, const ms_registry *r, uint64_t seed,
                          sml_instance *out, char *err, size_t errlen)
{
    /* a draw can be infeasible (a model too big for the device, no sequence fitting beside the
     * weights): try further draws, so every question has a positive answer */
    uint64_t s = seed ^ 0x5DEECE66DULL;
    for (int attempt = 0; attempt < 64; attempt++) {
        memset(out, 0, sizeof *out);
        out->template_id = t->id;
        if (t->gen(r, &s, out) == 0 && isfinite(out->value) && out->value > 0) return 0;
    }
    snprintf(err, errlen, "%s: the registry has no feasible draw for this template", t->id);
    return -1;
}
