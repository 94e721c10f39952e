/* serving.c - LLM serving: prefill (TTFT), decode (ITL), KV cache, concurrency, continuous batching,
 * speculative decoding.
 *
 *   TTFT = max(prefill FLOPs / (peak·η), (weights + KV written) / BW) + dispatch + L x 10 µs
 *          prefill FLOPs = B·(2·P_matmul·n + attention over n new tokens with `cached` prefix)
 *   ITL  = max(GEMM FLOPs / (peak·η), weights touched / BW) [+ σ · the smaller of the two]
 *          + max(attention FLOPs / (peak·η), KV read / BW) + L x 10 µs
 *          (Pope et al., "Efficiently Scaling Transformer Inference", MLSys'23: decode is
 *          memory-bound at small batch; GEMMs and attention are kernels that run one after the
 *          other, so at large batch the compute-bound GEMMs do not hide the KV read); σ
 *          (gemm_serial, default 0) is the share of the shorter of a decode GEMM's weight stream
 *          and its math that does not overlap the longer: 0 is the roofline's bound, 1 the two
 *          in series. Near the ridge (tens to hundreds of sequences) a skinny GEMM has few
 *          tiles per SM, split-K or small tiles that re-read weights, and cannot hold both
 *          the HBM stream and the tensor cores full; how far a serving stack falls short of the
 *          bound is its figure (serving validation)
 *   KV   = 2·L·H_kv·d·S·B·b (MHA/GQA), L·(kv_lora_rank + d_rope)·S·B·b (MLA, DeepSeek-V2 §2.1.2)
 *   max concurrent sequences = floor((capacity - weights) / (KV/token · ceil(S/16)·16))
 *          (paged KV in 16-token blocks, Kwon et al., "vLLM/PagedAttention", SOSP'23)
 * Continuous batching: paged KV holds each live sequence in ceil-to-block pages, the last block
 * half empty on average ((p-1)/2 tokens); static batching reserves max_seq per request.
 * Speculative decoding (Leviathan, Kalman & Matias, ICML'23, eq. 1): with acceptance α and k draft
 * tokens, tokens per target pass E = (1 - α^(k+1)) / (1 - α); time per token =
 * (k·t_draft + t_verify) / E with t_verify a target pass over k+1 tokens per sequence.
 */
#include "mlsysim/physics.h"
#include "kinds.h"

#include <math.h>
#include <string.h>

void ms_serve_input_default(ms_serve_input *s)
{
    s->batch_size = 1;
    s->seq_len = 2048;
    s->precision = MS_FP16;
    s->efficiency = MS_DEFAULT_EFFICIENCY;
    s->cached_prefix = 0;
    s->weight_bytes = 0;
    s->kv_bytes = 0;
    s->gemm_serial = 0;
    s->moe_routing = MS_MOE_UNIFORM;
}

static double eta_of(double e) { return e > 0 && e <= 1 ? e : MS_DEFAULT_EFFICIENCY; }

/* One decode pass of `batch` sequences with `tokens` new tokens each at context ctx: seconds. */
static double decode_time(const ms_model *m, const ms_hardware *hw, double batch, double tokens,
                          double ctx, ms_precision p, double wb, double kvb, double eta, double serial,
                          ms_moe_routing routing, ms_bound *bound)
{
    double b = ms_precision_bytes(p);
    if (!(wb > 0)) wb = b;
    if (!(kvb > 0)) kvb = b;
    double flops = batch * tokens * ms_decode_flops(m, ctx);
    double W = m->params * wb;
    double frac = ms_moe_weight_fraction(m, batch * tokens, routing);
    double kv = m->kv_elems_per_token * ctx * batch * kvb;
    double bytes = W * frac + kv;
    double peak = ms_hw_peak(hw, p) * eta, bw = ms_hw_mem_bw(hw);
    double tc = flops / peak;
    double tm = bytes / bw;
    if (bound) *bound = tm > tc ? MS_BOUND_MEMORY : MS_BOUND_COMPUTE;
    /* the GEMMs and the attention are kernels of their own, one after the other (roofline.c):
     * max(GEMM FLOPs, weights) + max(attention FLOPs, KV cache); the GEMMs' shorter side in series
     * by the share `serial` (0 outside [0, 1]) */
    double fa = batch * tokens * m->attn_flops_per_pair * ctx;
    return ms__decode_gemm_s((flops - fa) / peak, W * frac / bw, serial) + fmax(fa / peak, kv / bw)
         + m->layers * MS_LAYER_TAX_S;
}

ms_status ms_serve(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                   ms_serve_result *o)
{
    if (m->kind == MS_MODEL_SSM) return ms__ssm_serve(m, hw, in, o);   /* state, not KV (ssm.c) */
    if (m->kind != MS_MODEL_TRANSFORMER) return MS_ERR_INPUT;
    double b = ms_precision_bytes(in->precision);
    double eta = eta_of(in->efficiency);
    double B = in->batch_size > 0 ? in->batch_size : 1;
    double S = in->seq_len > 0 ? in->seq_len : 1;
    double cached = in->cached_prefix > 0 ? fmin(in->cached_prefix, S - 1) : 0;
    double n = S - cached;
    double W = m->params * (in->weight_bytes > 0 ? in->weight_bytes : b);
    double kv_tok = m->kv_elems_per_token * (in->kv_bytes > 0 ? in->kv_bytes : b);

    /* prefill: n new tokens attend to the cached prefix and to each other (causal) */
    double pairs = m->arch.encoder ? n * S : n * cached + n * (n + 1) / 2;
    double pf = B * (2.0 * m->params_matmul * n + m->attn_flops_per_pair * pairs);
    double tc = pf / (ms_hw_peak(hw, in->precision) * eta);
    /* the weights the prompts' B·n tokens reach (a MoE model's experts: ms_moe_weight_fraction) */
    double tm = (W * ms_moe_weight_fraction(m, B * n, in->moe_routing) + kv_tok * S * B) / ms_hw_mem_bw(hw);
    o->prefill_flops = pf;
    o->prefill_bound = tm > tc ? MS_BOUND_MEMORY : MS_BOUND_COMPUTE;
    o->ttft_s = fmax(tc, tm) + hw->dispatch_s + m->layers * MS_LAYER_TAX_S;

    o->itl_s = decode_time(m, hw, B, 1, S, in->precision, in->weight_bytes, in->kv_bytes, eta, in->gemm_serial,
                          in->moe_routing, &o->decode_bound);
    o->tokens_per_s = B / o->itl_s;
    o->decode_flops = B * ms_decode_flops(m, S);
    o->decode_bytes = W + kv_tok * S * B;
    o->kv_bytes_per_token = kv_tok;
    o->kv_cache_bytes = kv_tok * S * B;
    o->weights_bytes = W;
    o->memory_bytes = W + o->kv_cache_bytes;
    o->memory_utilization = o->memory_bytes / hw->mem_bytes;
    o->feasible = o->memory_bytes <= hw->mem_bytes;
    double per_seq = kv_tok * ceil(S / MS_KV_PAGE_TOKENS) * MS_KV_PAGE_TOKENS;
    double free_b = hw->mem_bytes - W;
    o->max_concurrent_sequences = free_b > 0 && per_seq > 0 ? (long)floor(free_b / per_seq) : 0;
    return MS_OK;
}

ms_status ms_continuous_batching(const ms_model *m, const ms_hardware *hw,
                                 const ms_batching_input *in, ms_batching_result *o)
{
    if (m->kind != MS_MODEL_TRANSFORMER || in->max_seq_len <= 0 || in->mean_seq_len <= 0 ||
        in->mean_seq_len > in->max_seq_len)
        return MS_ERR_INPUT;
    double b = ms_precision_bytes(in->precision);
    double eta = eta_of(in->efficiency);
    double p = in->page_tokens > 0 ? in->page_tokens : MS_KV_PAGE_TOKENS;
    double kv_tok = m->kv_elems_per_token * b;
    double free_b = hw->mem_bytes - m->params * b;
    double cap = in->max_batch > 0 ? in->max_batch : 1e9;
    /* the last block of a request is half empty on average; when every request fills the
     * context (mean = max) its waste is exact: the padding of max_seq_len to whole blocks, so
     * paged admits at least as many requests as static reservation */
    double waste = in->mean_seq_len >= in->max_seq_len ? ceil(in->max_seq_len / p) * p - in->max_seq_len
                                                       : (p - 1.0) / 2.0;
    o->kv_free_bytes = free_b > 0 ? free_b : 0;
    o->paged_waste_fraction = waste / (in->mean_seq_len + waste);
    double paged = free_b > 0 ? floor(free_b / (kv_tok * (in->mean_seq_len + waste))) : 0;
    double stat = free_b > 0 ? floor(free_b / (kv_tok * in->max_seq_len)) : 0;
    o->paged_sequences = (long)fmin(paged, cap);
    o->static_sequences = (long)fmin(stat, cap);
    o->paged_itl_s = o->paged_sequences > 0
        ? decode_time(m, hw, (double)o->paged_sequences, 1, in->mean_seq_len, in->precision, 0, 0, eta, 0.0, MS_MOE_UNIFORM, NULL) : 0;
    o->static_itl_s = o->static_sequences > 0
        ? decode_time(m, hw, (double)o->static_sequences, 1, in->mean_seq_len, in->precision, 0, 0, eta, 0.0, MS_MOE_UNIFORM, NULL) : 0;
    o->paged_tokens_per_s = o->paged_sequences > 0 ? o->paged_sequences / o->paged_itl_s : 0;
    o->static_tokens_per_s = o->static_sequences > 0 ? o->static_sequences / o->static_itl_s : 0;
    return MS_OK;
}

ms_status ms_speculative(const ms_model *target, const ms_model *draft, const ms_hardware *hw,
                         const ms_serve_input *in, double acceptance, int k, ms_spec_result *o)
{
    if (target->kind != MS_MODEL_TRANSFORMER || draft->kind != MS_MODEL_TRANSFORMER || k < 1 ||
        acceptance < 0 || acceptance > 1)
        return MS_ERR_INPUT;
    double eta = eta_of(in->efficiency);
    double B = in->batch_size > 0 ? in->batch_size : 1;
    double S = in->seq_len > 0 ? in->seq_len : 1;
    double t_target = decode_time(target, hw, B, 1, S, in->precision, in->weight_bytes, in->kv_bytes, eta, in->gemm_serial, in->moe_routing, NULL);
    double t_draft = decode_time(draft, hw, B, 1, S, in->precision, in->weight_bytes, in->kv_bytes, eta, in->gemm_serial, in->moe_routing, NULL);
    double t_verify = decode_time(target, hw, B, k + 1, S, in->precision, in->weight_bytes, in->kv_bytes, eta, in->gemm_serial, in->moe_routing, NULL);
    double e = acceptance >= 1.0 ? k + 1.0 : (1.0 - pow(acceptance, k + 1)) / (1.0 - acceptance);
    o->expected_tokens = e;
    o->itl_s = (k * t_draft + t_verify) / e;
    o->baseline_itl_s = t_target;
    o->speedup = t_target / o->itl_s;
    return MS_OK;
}

/* Continuous batching with prefill/decode interference (see physics.h): prefills take the share
 * u_p = λ·prefill_s of the replica's time, decode iterations the rest, so a sequence's tokens come
 * every decode_step_s / (1 - u_p) on average. */
int ms_cb_interference(double lam, double prefill_s, double decode_step_s, int batch, double out_tokens,
                       ms_cb_result *o)
{
    memset(o, 0, sizeof *o);
    if (!(lam >= 0) || !(prefill_s >= 0) || !(decode_step_s > 0) || batch < 1 || !(out_tokens >= 0) ||
        !isfinite(lam) || !isfinite(prefill_s) || !isfinite(decode_step_s) || !isfinite(out_tokens))
        return MS_ERR_INPUT;
    o->prefill_share = lam * prefill_s;
    o->decode_share = lam * out_tokens * decode_step_s / batch;
    o->stable = o->prefill_share + o->decode_share < 1.0;
    if (o->prefill_share >= 1.0) return 0;
    o->itl_s = decode_step_s / (1.0 - o->prefill_share);
    o->itl_slowdown = o->itl_s / decode_step_s;
    o->tokens_per_s = o->stable ? lam * out_tokens : 0.0;
    o->request_s = prefill_s + out_tokens * o->itl_s;
    return 0;
}

/* One served request's time at throughput lam (see physics.h): its time to first token (in *first:
 * the wave's when wave > 0, else its prompt's wait behind the prefills ahead of it (M/D/1) and half
 * the iteration in progress, then its prefill) and its tokens at the stalled inter-token latency of
 * ms_cb_interference (in *cb). lam stays below 1/tp, so the prefill share is below 1. */
static double closed_request_s(double lam, int m, double tp, double step, double out, double wave,
                               double *first, ms_cb_result *cb)
{
    ms_cb_interference(lam, tp, step, m, out, cb);
    double u = cb->prefill_share;
    *first = wave > 0 ? wave : u * tp / (2.0 * (1.0 - u)) + 0.5 * step * (m - 1) / m + tp;
    return *first + (out - 1.0) * cb->itl_s;
}

double ms_cb_wave_ttft(int prompts, int per_iteration, double group_prefill_s, double decode_step_s)
{
    if (prompts < 1 || per_iteration < 1 || !(group_prefill_s >= 0) || !(decode_step_s >= 0) ||
        !isfinite(group_prefill_s) || !isfinite(decode_step_s))
        return -1.0;
    int g = per_iteration < prompts ? per_iteration : prompts;
    int k = (prompts + g - 1) / g;                 /* iterations the wave's prefills take */
    double t = 0, sum = 0;
    for (int j = 0; j < k; j++) {
        int size = j < k - 1 ? g : prompts - (k - 1) * g;
        /* this iteration's prompts (a short last group pro rata), and one token of each of the
         * j·g sequences admitted before it: that share of the step of all of them */
        t += group_prefill_s * size / g + decode_step_s * (double)j * g / prompts;
        sum += size * t;                           /* their first tokens come as it ends */
    }
    return sum / prompts;
}

int ms_cb_wave_per_iteration(int max_num_tokens, int prompt_tokens, int prompts)
{
    int g = prompt_tokens > 0 ? max_num_tokens / prompt_tokens : 1;
    return g < 1 ? 1 : g > prompts ? prompts : g;
}

int ms_cb_closed_loop(int clients, int slots, double prefill_s, double decode_step_s, double out_tokens,
                      double wave_ttft_s, ms_cb_closed_result *o)
{
    memset(o, 0, sizeof *o);
    if (clients < 1 || slots < 1 || !(out_tokens >= 1) || !(prefill_s >= 0) || !(decode_step_s > 0) ||
        !(wave_ttft_s >= 0) || !isfinite(prefill_s) || !isfinite(decode_step_s) || !isfinite(out_tokens) ||
        !isfinite(wave_ttft_s))
        return MS_ERR_INPUT;
    int m = clients < slots ? clients : slots;
    double first, lam;
    ms_cb_result cb;
    if (prefill_s == 0) {                        /* no prefill share: S does not depend on λ */
        lam = m / closed_request_s(0.0, m, 0.0, decode_step_s, out_tokens, wave_ttft_s, &first, &cb);
    } else {
        /* λ·S(λ) rises from 0 to infinity on (0, 1/prefill_s): one root */
        double lo = 0.0, hi = 1.0 / prefill_s;
        for (int k = 0; k < 200; k++) {
            double mid = 0.5 * (lo + hi);
            if (mid * closed_request_s(mid, m, prefill_s, decode_step_s, out_tokens, wave_ttft_s, &first, &cb) < m)
                lo = mid;
            else
                hi = mid;
        }
        lam = 0.5 * (lo + hi);
    }
    closed_request_s(lam, m, prefill_s, decode_step_s, out_tokens, wave_ttft_s, &first, &cb);
    o->served = m;
    o->requests_per_s = lam;
    o->prefill_share = cb.prefill_share;
    o->itl_s = cb.itl_s;
    o->ttft_s = (clients - m) / lam + first;
    o->tokens_per_s = lam * out_tokens;
    o->request_s = clients / lam;
    return 0;
}

ms_status ms_serve_closed_loop(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in, int clients,
                               int out_tokens, int max_num_tokens, ms_serve_loop_result *o)
{
    memset(o, 0, sizeof *o);
    if (clients < 1 || out_tokens < 1 || max_num_tokens < 1 || in->seq_len < 1) return MS_ERR_INPUT;
    ms_serve_input x = *in;
    ms_serve_result r;
    x.batch_size = 1;
    x.seq_len = in->seq_len + out_tokens / 2;          /* the mean context of a request's decode */
    if (ms_serve(m, hw, &x, &r) != MS_OK) return MS_ERR_INPUT;
    o->slots = r.max_concurrent_sequences;
    if (o->slots < 1) return MS_ERR_MEMORY;
    int n = clients < o->slots ? clients : (int)o->slots;
    x.batch_size = n;
    ms_serve(m, hw, &x, &r);
    o->decode_step_s = r.itl_s;
    x.seq_len = in->seq_len;
    x.batch_size = 1;
    ms_serve(m, hw, &x, &r);
    o->prefill_s = r.ttft_s;
    o->per_iteration = ms_cb_wave_per_iteration(max_num_tokens, in->seq_len, n);
    x.batch_size = o->per_iteration;
    ms_serve(m, hw, &x, &r);
    o->group_prefill_s = r.ttft_s;
    o->wave_ttft_s = ms_cb_wave_ttft(n, o->per_iteration, o->group_prefill_s, o->decode_step_s);
    if (!(o->wave_ttft_s > 0) ||
        ms_cb_closed_loop(clients, n, o->prefill_s, o->decode_step_s, out_tokens, o->wave_ttft_s, &o->loop))
        return MS_ERR_INPUT;
    return MS_OK;
}
