/* ssm.c - selective state-space language models (Mamba: Gu & Dao 2023) counted from their shapes.
 *
 * With d = d_model, E = d_inner = expand·d, N = d_state, K = d_conv, R = dt_rank, L layers, V vocab:
 *   parameters per layer  in_proj d·2E + conv1d E·K + E + x_proj E·(R + 2N) + dt_proj R·E + E
 *                         + A E·N + D E + out_proj E·d + RMSNorm d; plus the embedding V·d (the LM
 *                         head is tied in Mamba) and the final norm d. Mamba-2.8B (d 2560, 64
 *                         layers, V 50,280): 2,768,345,600; Mamba-130M (768, 24): 129,135,360.
 *   FLOPs per token       2 x matmul parameters (the four projections of every layer + the LM head
 *                         V·d) + per layer 2·E·K (conv) + 9·E·N (the selective scan: discretize,
 *                         update, read out) + 2·E (D skip and the z gate). The 9·E·N is the count
 *                         of the reference selective-scan FLOP counter (state-spaces/mamba issue
 *                         #110), per token; it is linear in the sequence, not quadratic.
 *   state per sequence    L·E·(N + K - 1) elements: the scan state h [E, N] and the last K - 1 conv
 *                         inputs; constant in the context length (a transformer's KV cache grows
 *                         with it). Mamba-2.8B: 6,225,920 elements = 12.5 MB in fp16.
 * Decode step (B sequences, one token each): FLOPs B x per token; bytes = weights + the state read
 * and written (2 x B x state); no KV cache, so its time does not depend on the context.
 * Prefill of S tokens (TTFT): FLOPs B·S x per token; bytes = weights + each layer's output written
 * and read (2·B·S·d per layer) + the state written.
 * Training (forward + backward = 3 x forward; full recompute + 1 forward): the tensors backward
 * reads per token and layer, with the scan states recomputed as the fused kernel does (Gu & Dao
 * §3.3.2): the residual and norm output (2d), x and z (2E), the conv output, Δ, the scan output and
 * the gated output (4E), the x_proj output (R + 2N) and out_proj's output (d): 3d + 6E + R + 2N;
 * plus the fp32 logits 4·S·B·V. Full recompute keeps each layer's input (d per token) and one
 * layer's tensors.
 */
#include "kinds.h"

#include <math.h>
#include <string.h>

static int dt_rank(const ms_ssm_arch *a) { return a->dt_rank > 0 ? a->dt_rank : (a->d_model + 15) / 16; }

void ms__ssm_derive(ms_model *m)
{
    ms_ssm_arch *a = &m->ssm;
    double d = a->d_model, E = (double)a->expand * a->d_model, N = a->d_state, K = a->d_conv;
    double R = dt_rank(a), L = a->layers, V = a->vocab;
    double proj = d * 2 * E + E * (R + 2 * N) + R * E + E * d;            /* matmul weights */
    double per_layer = proj + E * K + E + E + E * N + E + d;               /* + conv (w, b), dt bias, A, D, norm */
    double embed = V * d;
    double head = a->tied_embeddings ? 0 : V * d;
    m->params = m->params_active = L * per_layer + embed + head + d;
    m->params_matmul = L * proj + V * d;                                   /* the head runs either way */
    a->flops_per_token = 2.0 * m->params_matmul + L * (2 * E * K + 9 * E * N + 2 * E);
    a->state_elems_per_seq = L * E * (N + K - 1);
    a->act_elems_per_token = L * (3 * d + 6 * E + R + 2 * N);
    m->fwd_flops = a->flops_per_token;
    m->layers = a->layers;
    m->attn_flops_per_pair = 0;
    m->kv_elems_per_token = 0;
}

double ms_ssm_state_bytes(const ms_model *m, double bytes)
{
    return m->kind == MS_MODEL_SSM ? m->ssm.state_elems_per_seq * bytes : 0.0;
}

void ms__ssm_step(const ms_model *m, const ms_workload *w, ms__step *s)
{
    const ms_ssm_arch *a = &m->ssm;
    double b = ms_precision_bytes(w->precision);
    double B = w->batch_size > 0 ? w->batch_size : 1, S = w->seq_len > 0 ? w->seq_len : 1;
    memset(s, 0, sizeof *s);
    if (w->mode == MS_MODE_TRAINING) {
        double fwd = B * S * a->flops_per_token;
        s->flops = 3.0 * fwd;
        s->hw_flops = s->flops + (w->recompute == MS_RECOMPUTE_FULL ? fwd : 0.0);
        s->weights = s->gradients = m->params * b;
        s->optimizer = m->params * ms_optimizer_bytes_per_param(w->optimizer, w->precision);
        double per_token = w->recompute == MS_RECOMPUTE_FULL
                         ? a->layers * (double)a->d_model + a->act_elems_per_token / a->layers
                         : a->act_elems_per_token;
        s->activations = B * S * per_token * b + 4.0 * S * B * a->vocab;
        s->bytes = 2.0 * (s->weights + s->gradients + s->optimizer) + 2.0 * s->activations;
        s->items = B * S;
        s->overhead_layers = 3.0 * a->layers;
        return;
    }
    double wb = w->weight_bytes > 0 ? w->weight_bytes : b;
    double sb = w->kv_bytes > 0 ? w->kv_bytes : b;
    s->flops = s->hw_flops = B * a->flops_per_token;
    s->weights = m->params * wb;
    s->state = B * a->state_elems_per_seq * sb;
    s->activations = 4.0 * B * a->d_model * b;                            /* one token's live tensors */
    s->bytes = s->weights + 2.0 * s->state;                                /* state read and written */
    s->items = B;
    s->overhead_layers = a->layers;
    s->decode = 1;
}

ms_status ms__ssm_serve(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                        ms_serve_result *o)
{
    const ms_ssm_arch *a = &m->ssm;
    ms_workload w;
    ms_workload_default(&w);
    w.batch_size = in->batch_size;
    w.seq_len = in->seq_len;
    w.precision = in->precision;
    w.efficiency = in->efficiency;
    w.weight_bytes = in->weight_bytes;
    w.kv_bytes = in->kv_bytes;
    double b = ms_precision_bytes(in->precision);
    double B = in->batch_size > 0 ? in->batch_size : 1, S = in->seq_len > 0 ? in->seq_len : 1;
    double n = S - (in->cached_prefix > 0 ? fmin(in->cached_prefix, S - 1) : 0);
    double sb = in->kv_bytes > 0 ? in->kv_bytes : b;

    /* decode: the one roofline of ms_eval, so eval's latency_s is this ITL */
    ms_eval_result r;
    ms_eval(m, hw, &w, &r);
    o->itl_s = r.latency_s;
    o->decode_bound = r.bottleneck;
    o->decode_bytes = r.bytes;
    o->decode_flops = r.flops;
    o->tokens_per_s = B / o->itl_s;
    o->weights_bytes = r.memory_weights_bytes;
    o->kv_cache_bytes = r.memory_state_bytes;
    o->kv_bytes_per_token = 0;

    /* prefill: n new tokens of B sequences through every layer; the state is written at the end */
    ms__step p;
    memset(&p, 0, sizeof p);
    p.flops = p.hw_flops = B * n * a->flops_per_token;
    p.weights = o->weights_bytes;
    p.state = o->kv_cache_bytes;
    p.activations = 4.0 * B * n * a->d_model * b;
    p.bytes = p.weights + 2.0 * B * n * a->d_model * b * a->layers + p.state;
    p.items = B;
    p.overhead_layers = a->layers;
    ms_eval_result pr;
    ms__roofline(m, hw, &w, &p, &pr);
    o->ttft_s = pr.latency_s;
    o->prefill_flops = p.flops;
    o->prefill_bound = pr.bottleneck;

    o->memory_bytes = o->weights_bytes + o->kv_cache_bytes;
    o->memory_utilization = o->memory_bytes / hw->mem_bytes;
    o->feasible = o->memory_bytes <= hw->mem_bytes;
    double per_seq = a->state_elems_per_seq * sb;
    double free_b = hw->mem_bytes - o->weights_bytes;
    o->max_concurrent_sequences = free_b > 0 && per_seq > 0 ? (long)floor(free_b / per_seq) : 0;
    return MS_OK;
}
