/* roofline.c - single-accelerator roofline (Williams, Waterman & Patterson, CACM 2009):
 *
 *   time = max(FLOPs / (peak·η), bytes / bandwidth) + dispatch + L x 10 µs (x3 for training)
 *   (a decode step: its GEMMs and its attention are two kernels, each on its own roofline, whose
 *   times add: max(GEMM FLOPs/(peak·η), weights/BW) + max(attention FLOPs/(peak·η), KV/BW))
 *
 * The fixed overheads (per-evaluation dispatch from the hardware entry, 10 µs per layer per pass)
 * follow upstream MLSys·im's calibration (KERNEL_LAUNCH / FRAMEWORK_LAYER_TAX). MFU = model FLOPs /
 * (time · peak); HFU counts recomputed FLOPs too. Energy = TDP · ms_power_fraction(MFU) · time: 30 % of
 * TDP idle, rising linearly to TDP at MFU 0.5 (the power limit; physics.h), TDP beyond.
 *
 * What a step is:
 *   decoder LM, inference   one decode step: B sequences x 1 token at context S. Bytes = weights
 *                           touched (MoE: expected distinct experts for B tokens) + KV cache read.
 *   encoder / CNN / MLP     one forward pass of B inputs. Bytes = weights + activation traffic
 *                           (transformer: each layer's output written and read, 2·B·S·h·b per layer;
 *                           CNN/MLP: 10 % of weights per sample, upstream's heuristic).
 *   diffusion, SSM, DLRM    the step their own file counts (diffusion.c: one generation of B
 *                           images; ssm.c: one decode step, no KV cache; dlrm.c: one forward pass,
 *                           embedding gathers as bytes), timed by the same finish() below.
 *   training                forward + backward = 3x forward FLOPs (backward = 2x forward,
 *                           Kaplan et al. 2020); full recompute adds another forward (4x),
 *                           selective recompute adds the attention core again. Bytes = model
 *                           state read and written once + activations written then read.
 * Bandwidth: main memory; on-chip SRAM if the whole working set fits in it; weights stream from
 * flash on microcontrollers (memory = SRAM there). A working set that does not fit is infeasible;
 * its time is still the in-memory time (offloading over the host link is not modeled as latency).
 * Overhead: a decode step pays its per-layer cost only (the serving ITL, serving.c); every other
 * step also pays the device's dispatch.
 */
#include "mlsysim/physics.h"
#include "kinds.h"

#include <math.h>
#include <stdio.h>

/* NaN-free min/max: libm's fmin/fmax are calls without -ffinite-math-only; inputs here are finite. */
static inline double dmin(double a, double b) { return a < b ? a : b; }
static inline double dmax(double a, double b) { return a > b ? a : b; }
static const double prec_bytes[MS_PREC_COUNT] = MS_PRECISION_BYTES_INIT;

double ms_power_fraction(double u, double sat)
{
    if (!(sat > 0) || sat > 1) sat = MS_POWER_SATURATION;
    if (!(u > 0)) u = 0;                                     /* NaN and negative loads: idle */
    double load = u >= sat ? 1.0 : u / sat;
    return MS_ENERGY_IDLE_FRACTION + (1.0 - MS_ENERGY_IDLE_FRACTION) * load;
}

double ms_power_limit_clock(double limit_w, double tdp_w)
{
    if (!(limit_w > 0) || !(tdp_w > 0) || limit_w >= tdp_w) return 1.0;
    double floor_w = MS_ENERGY_IDLE_FRACTION * tdp_w;
    if (limit_w <= floor_w) return 0.0;
    return pow((limit_w - floor_w) / (tdp_w - floor_w), 1.0 / MS_DVFS_POWER_EXPONENT);
}

double ms_power_limited_w(double tdp_w, double limit_w, double p_free_w, double t_free_s, double t_limited_s)
{
    double k = ms_power_limit_clock(limit_w, tdp_w);
    if (k >= 1.0) return p_free_w;                                 /* no limit below TDP */
    if (!(k > 0) || !(t_limited_s > 0) || !(t_free_s > 0)) return dmin(p_free_w, limit_w);
    double tc = (t_limited_s - t_free_s) / (1.0 / k - 1.0);        /* compute-bound time at full clock */
    tc = dmax(0.0, dmin(tc, t_free_s));
    double rest_j = MS_ENERGY_IDLE_FRACTION * tdp_w * (t_free_s - tc);
    double ratio = (rest_j + limit_w * tc / k) / (rest_j + tdp_w * tc);
    return dmin(p_free_w * t_free_s * ratio / t_limited_s, limit_w);
}

void ms_workload_default(ms_workload *w)
{
    w->mode = MS_MODE_INFERENCE;
    w->batch_size = 1;
    w->seq_len = 2048;
    w->precision = MS_FP16;
    w->efficiency = MS_DEFAULT_EFFICIENCY;
    w->power_saturation = 0;
    w->recompute = MS_RECOMPUTE_NONE;
    w->optimizer = MS_OPT_ADAM;
    w->zero_stage = 0;
    w->weight_bytes = 0;
    w->kv_bytes = 0;
    w->steps = 0;
    w->cfg = MS_CFG_MODEL;
    w->gemm_serial = 0;
    w->moe_routing = MS_MOE_UNIFORM;
}

/* Emulation chains: a precision the device does not list runs on the narrowest listed format that
 * holds its values exactly (the data keeps its own storage size). fp16 never falls to bf16 or int8,
 * fp8 never to int8 (a different format), and nothing falls to a narrower format. */
static const signed char emulation[MS_PREC_COUNT][6] = {
    [MS_FP32] = {MS_FP32, -1},
    [MS_TF32] = {MS_TF32, MS_FP32, -1},
    [MS_BF16] = {MS_BF16, MS_FP32, -1},
    [MS_FP16] = {MS_FP16, MS_FP32, -1},
    [MS_FP8] = {MS_FP8, MS_FP16, MS_BF16, MS_FP32, -1},
    [MS_INT8] = {MS_INT8, MS_FP16, MS_BF16, MS_FP32, -1},
    [MS_INT4] = {MS_INT4, MS_INT8, MS_FP8, MS_FP16, MS_BF16, MS_FP32},
    [MS_FP4] = {MS_FP4, MS_FP8, MS_FP16, MS_BF16, MS_FP32, -1},
};

int ms_hw_compute_precision(const ms_hardware *hw, ms_precision p)
{
    if ((unsigned)p >= MS_PREC_COUNT) return -1;
    for (int i = 0; i < 6 && emulation[p][i] >= 0; i++)
        if (hw->flops[(int)emulation[p][i]] > 0) return emulation[p][i];
    return -1;
}

double ms_hw_peak(const ms_hardware *hw, ms_precision p)
{
    if ((unsigned)p >= MS_PREC_COUNT) p = MS_FP16;
    int c = ms_hw_compute_precision(hw, p);
    if (c >= 0) return hw->flops[c];
    double best = 0;                  /* no honest rate: the fastest listed (callers refuse these) */
    for (int i = 0; i < MS_PREC_COUNT; i++) best = fmax(best, hw->flops[i]);
    return best > 0 ? best : 1.0;     /* registry guarantees one positive entry */
}

double ms_hw_mem_bw_fraction(const ms_hardware *hw)
{
    return hw->compute_units > 0 ? MS_HW_ACHIEVABLE_HBM_FRACTION : 0.0;
}

double ms_hw_mem_bw(const ms_hardware *hw)
{
    double f = ms_hw_mem_bw_fraction(hw);
    return f > 0 ? hw->mem_bw_bytes_per_s * f : hw->mem_bw_bytes_per_s;
}

void ms_node_links_of(const ms_hardware *hw, double intra_bw, double intra_latency, int per_node, int nics,
                      const ms_fabric *fb, ms_node_links *out)
{
    out->intra_bw_bytes_per_s = intra_bw > 0 ? intra_bw
                              : hw->link_bw_bytes_per_s > 0 ? hw->link_bw_bytes_per_s
                              : hw->host_bw_bytes_per_s > 0 ? hw->host_bw_bytes_per_s : 32e9;
    out->intra_latency_s = intra_latency > 0 ? intra_latency : hw->link_latency_s > 0 ? hw->link_latency_s : 1e-6;
    out->nics = nics > 0 ? nics : per_node;
    if (fb) {
        out->inter_bw_bytes_per_s = fb->bw_bytes_per_s * out->nics / fb->oversubscription;
        out->inter_latency_s = fb->latency_s;
    } else {
        out->inter_bw_bytes_per_s = out->intra_bw_bytes_per_s * per_node;
        out->inter_latency_s = out->intra_latency_s;
    }
}

int ms_hw_precision_check(const ms_hardware *hw, ms_precision p, char *msg, size_t cap)
{
    int c = ms_hw_compute_precision(hw, p);
    if (c == (int)p) { if (cap) msg[0] = 0; return 0; }
    char list[96] = "";
    size_t n = 0;
    for (int i = 0; i < MS_PREC_COUNT; i++)
        if (hw->flops[i] > 0) {
            int w = snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", ms_precision_name((ms_precision)i));
            if (w > 0 && (size_t)w < sizeof list - n) n += (size_t)w;
        }
    if (c < 0) {
        snprintf(msg, cap, "%s has no %s units and no wider format to emulate it with (it computes in: %s)",
                 hw->name, ms_precision_name(p), list);
        return -1;
    }
    snprintf(msg, cap, "warning: %s has no %s units; %s is emulated on its %s units (%s storage, %s rate)",
             hw->name, ms_precision_name(p), ms_precision_name(p), ms_precision_name((ms_precision)c),
             ms_precision_name(p), ms_precision_name((ms_precision)c));
    return 1;
}

/* Expected distinct experts hit by n tokens choosing k of E uniformly: E·(1 - (1 - k/E)^n);
 * k whatever n when every token chooses the same k; 0 where no expert is routed (a dense model,
 * or every expert active). */
double ms_moe_experts_read(const ms_model *m, double tokens, ms_moe_routing routing)
{
    const ms_arch *a = &m->arch;
    if (m->kind != MS_MODEL_TRANSFORMER || a->experts <= a->experts_active) return 0.0;
    double E = a->experts, k = a->experts_active;
    return routing == MS_MOE_FIXED ? k : E * (1.0 - pow(1.0 - k / E, tokens));
}

double ms_moe_weight_fraction(const ms_model *m, double tokens, ms_moe_routing routing)
{
    double hit = ms_moe_experts_read(m, tokens, routing);
    if (!(hit > 0)) return 1.0;
    double E = m->arch.experts, k = m->arch.experts_active;
    /* weights outside the routed experts are always read; params_active holds k experts */
    double per_expert = (m->params - m->params_active) / (E - k);
    return dmin(1.0, (m->params_active + (hit - k) * per_expert) / m->params);
}

/* The one roofline: a step's FLOPs, bytes and memory on one accelerator -> time, bottleneck, MFU,
 * power, energy and the memory bookkeeping. Every kind of model ends here (inlined in ms_eval). */
static inline void finish(const ms_hardware *hw, double peak, double eta, double power_sat, const ms__step *s,
                          ms_eval_result *o)
{
    double mw = s->weights;
    double mem = s->weights + s->gradients + s->optimizer + s->activations + s->kv + s->state;
    double bytes = s->bytes;

    /* where the bytes come from */
    double cap, bw;
    int feasible;
    if (hw->flash_bytes > 0) {                   /* MCU: weights in flash, the rest in SRAM */
        cap = hw->mem_bytes;
        feasible = mw <= hw->flash_bytes && mem - mw <= cap;
        double t_w = mw / (hw->flash_bw_bytes_per_s > 0 ? hw->flash_bw_bytes_per_s : hw->mem_bw_bytes_per_s);
        double rest = bytes > mw ? bytes - mw : 0;
        bw = bytes / (t_w + rest / hw->mem_bw_bytes_per_s);
        mem -= mw;                               /* RAM holds everything but the weights */
    } else {
        cap = hw->mem_bytes;
        feasible = mem <= cap;
        bw = ms_hw_mem_bw(hw);
        if (hw->sram_bytes > 0 && hw->sram_bw_bytes_per_s > 0 && mem <= hw->sram_bytes)
            bw = hw->sram_bw_bytes_per_s;
    }

    double inv_peak = 1.0 / peak, inv_bw = 1.0 / bw;
    double tc = s->hw_flops * inv_peak / eta;
    double tm = bytes * inv_bw;
    /* a decode step is one token of a running request: its per-layer cost only, as the serving
     * ITL (serving.c); the dispatch is paid once per request, in the TTFT */
    double tov = (s->decode ? 0.0 : hw->dispatch_s) + s->overhead_layers * MS_LAYER_TAX_S;
    /* Each kernel sits on its own roofline and kernels run one after another: a decode step's
     * GEMMs (weights, compute-bound at large batch) and its attention (the KV cache read,
     * memory-bound) add, where one max over the whole step would overlap them. At batch 1 both
     * are memory-bound and the sum is the same as the max. */
    double ta = 0.0, body = dmax(tc, tm);
    if (s->attn_bytes > 0) {
        double tac = s->attn_flops * inv_peak / eta, tam = s->attn_bytes * inv_bw;
        ta = dmax(tac, tam);
        body = ms__decode_gemm_s(tc - tac, tm - tam, s->gemm_serial) + ta;
    }
    double lat = body + tov;
    double inv_lat = 1.0 / lat;

    o->flops = s->flops;
    o->hw_flops = s->hw_flops;
    o->bytes = bytes;
    o->t_compute_s = tc;
    o->t_memory_s = tm;
    o->t_overhead_s = tov;
    o->t_attention_s = ta;
    o->latency_s = lat;
    o->throughput_per_s = s->items * inv_lat;
    o->intensity_flop_per_byte = bytes > 0 ? s->flops / bytes : 0;
    o->ridge_flop_per_byte = peak * inv_bw;
    o->mfu = dmin(1.0, s->flops * inv_lat * inv_peak);
    o->hfu = dmin(1.0, s->hw_flops * inv_lat * inv_peak);
    o->power_w = hw->tdp_w * ms_power_fraction(o->mfu, power_sat);
    o->energy_j = o->power_w * lat;
    o->bw_bytes_per_s = bw;
    o->peak_flops = peak;
    o->memory_bytes = mem;
    o->memory_capacity_bytes = cap;
    o->memory_weights_bytes = mw;
    o->memory_gradients_bytes = s->gradients;
    o->memory_optimizer_bytes = s->optimizer;
    o->memory_activations_bytes = s->activations;
    o->memory_kv_bytes = s->kv;
    o->memory_state_bytes = s->state;
    o->bottleneck = tm > tc ? MS_BOUND_MEMORY : MS_BOUND_COMPUTE;
    o->feasible = feasible;
    o->overhead_dominated = tov > body;
}

static inline double peak_of(const ms_hardware *hw, ms_precision prec)
{
    return hw->flops[prec] > 0 ? hw->flops[prec] : ms_hw_peak(hw, prec);
}

static inline double eta_of(const ms_workload *w)
{
    return w->efficiency > 0 && w->efficiency <= 1 ? w->efficiency : MS_DEFAULT_EFFICIENCY;
}

void ms__roofline(const ms_model *m, const ms_hardware *hw, const ms_workload *w, const ms__step *s,
                  ms_eval_result *o)
{
    (void)m;
    ms_precision prec = (unsigned)w->precision < MS_PREC_COUNT ? w->precision : MS_FP16;
    finish(hw, peak_of(hw, prec), eta_of(w), w->power_saturation, s, o);
}

void ms_eval(const ms_model *m, const ms_hardware *hw, const ms_workload *w, ms_eval_result *o)
{
    ms_precision prec = (unsigned)w->precision < MS_PREC_COUNT ? w->precision : MS_FP16;
    double peak = peak_of(hw, prec);
    double eta = eta_of(w);
    ms__step s;
    s.attn_flops = s.attn_bytes = s.gemm_serial = 0.0;
    if (m->kind >= MS_MODEL_DIFFUSION) {         /* the kinds of diffusion.c, ssm.c, dlrm.c */
        ms_workload wk = *w;
        wk.precision = prec;
        if (m->kind == MS_MODEL_DIFFUSION) ms__diffusion_step(m, &wk, &s);
        else if (m->kind == MS_MODEL_SSM) ms__ssm_step(m, &wk, &s);
        else ms__dlrm_step(m, &wk, &s);
        finish(hw, peak, eta, w->power_saturation, &s, o);
        return;
    }
    double b = prec_bytes[prec];
    double B = w->batch_size > 0 ? w->batch_size : 1;
    double S = w->seq_len > 0 ? w->seq_len : 1;
    int xf = m->kind == MS_MODEL_TRANSFORMER;
    int train = w->mode == MS_MODE_TRAINING;
    double W = m->params * (!train && w->weight_bytes > 0 ? w->weight_bytes : b);
    double kvb = w->kv_bytes > 0 ? w->kv_bytes : b;
    double flops, hw_flops, bytes, items;
    double mw = W, mg = 0, mo = 0, ma = 0, mkv = 0;

    if (w->mode == MS_MODE_TRAINING) {
        double fwd = B * ms_forward_flops(m, S);
        flops = 3.0 * fwd;
        hw_flops = flops;
        if (w->recompute == MS_RECOMPUTE_FULL) hw_flops += fwd;
        else if (w->recompute == MS_RECOMPUTE_SELECTIVE && xf)
            hw_flops += B * m->attn_flops_per_pair * (m->arch.encoder ? S * S : S * (S + 1) / 2);
        ms_train_config c;
        ms_train_config_default(&c);
        c.micro_batch = (int)B;
        c.seq_len = (int)S;
        c.precision = w->precision;
        c.optimizer = w->optimizer;
        c.recompute = w->recompute;
        c.zero_stage = w->zero_stage;
        ms_train_memory tm;
        ms_training_memory(m, &c, &tm);
        mw = tm.weights_bytes, mg = tm.gradients_bytes, mo = tm.optimizer_bytes, ma = tm.activations_bytes;
        bytes = 2.0 * (mw + mg + mo) + 2.0 * ma;
        items = xf ? B * S : B;
    } else if (xf && !m->arch.encoder) {
        flops = B * ms_decode_flops(m, S);
        hw_flops = flops;
        mkv = m->kv_elems_per_token * S * B * kvb;
        ma = 4.0 * B * m->arch.hidden * b;                       /* live activations of one token */
        bytes = W * ms_moe_weight_fraction(m, B, w->moe_routing) + mkv;
        items = B;
        s.attn_flops = B * m->attn_flops_per_pair * S;           /* QK^T and A·V over the context */
        s.attn_bytes = mkv;
        s.gemm_serial = w->gemm_serial;
    } else {
        flops = B * ms_forward_flops(m, S);
        hw_flops = flops;
        if (xf) {
            ma = 4.0 * B * S * m->arch.hidden * b;
            bytes = W + 2.0 * B * S * m->arch.hidden * b * m->arch.layers;
        } else {
            ma = (m->act_peak_bytes > 0 ? m->act_peak_bytes * b : 0.1 * W) * B;
            bytes = W * (1.0 + 0.1 * B);
        }
        items = B;
    }
    s.flops = flops;
    s.hw_flops = hw_flops;
    s.bytes = bytes;
    s.items = items;
    s.weights = mw;
    s.gradients = mg;
    s.optimizer = mo;
    s.activations = ma;
    s.kv = mkv;
    s.state = 0;
    s.overhead_layers = m->layers * (train ? 3.0 : 1.0);
    /* a decode step pays no dispatch (see finish) */
    s.decode = !train && xf && !m->arch.encoder;
    finish(hw, peak, eta, w->power_saturation, &s, o);
}
