/* transformer.c - parameter and FLOP counting from a model's architecture.
 *
 * Parameter count of a transformer (exact for the listed architectures; cf. Kaplan et al. 2020 §2.1,
 * Narayanan et al. 2021 eq. 1 for the dense GPT case P = 12·l·h²(1 + 13/(12h) + (V+s)/(12·l·h))):
 *   attention  MHA/GQA: h·(a·d) [Q] + 2·h·(kv·d) [K,V] + (a·d)·h [O]   (+ biases)
 *              MLA (DeepSeek-V2 §2.1): h·q_lora + q_lora·a·(d_nope+d_rope) + h·(kv_lora+d_rope)
 *                                      + kv_lora·a·(d_nope+d_v) + a·d_v·h  (+ the two LoRA norms)
 *   FFN        gated (SwiGLU) 3·h·f, else 2·h·f (+ biases); MoE: experts x 3·h·f_moe + router h·E
 *   norms      2 per layer (RMSNorm h, LayerNorm 2h) + final; embeddings V·h (+ positions, types);
 *              LM head V·h unless tied.
 * Forward FLOPs: 2 per multiply-accumulate. Per token 2·P_matmul (P_matmul = active parameters that
 * take part in matmuls: all but the input-embedding lookup and norms); attention adds, per (query,
 * key) pair, 2·d_qk (QK^T) + 2·d_v (AV) per head and layer (Kaplan et al. 2020 Table 1 "2·n_ctx·d").
 * A causal decoder sees S(S+1)/2 pairs in a sequence of S tokens; an encoder S².
 */
#include "mlsysim/physics.h"
#include "kinds.h"

#include <math.h>

static double attn_params(const ms_arch *a)
{
    double h = a->hidden, H = a->heads;
    if (a->kv_lora_rank > 0) {
        double qdim = H * (a->qk_nope_head_dim + a->qk_rope_head_dim);
        double q = a->q_lora_rank > 0 ? h * a->q_lora_rank + a->q_lora_rank + a->q_lora_rank * qdim : h * qdim;
        double kv = h * (a->kv_lora_rank + a->qk_rope_head_dim) + a->kv_lora_rank +
                    (double)a->kv_lora_rank * H * (a->qk_nope_head_dim + a->v_head_dim);
        double o = H * a->v_head_dim * h;
        return q + kv + o;
    }
    double d = a->head_dim > 0 ? a->head_dim : h / H;
    double p = h * H * d + 2.0 * h * a->kv_heads * d + H * d * h;
    if (a->bias) p += H * d + 2.0 * a->kv_heads * d + h;
    return p;
}

static double ffn_params(const ms_arch *a, double inner)
{
    double h = a->hidden;
    double p = (a->gated_ffn ? 3.0 : 2.0) * h * inner;
    if (a->bias) p += inner + h;
    return p;
}

void ms_model_derive(ms_model *m)
{
    switch (m->kind) {                   /* the kinds counted in their own files */
    case MS_MODEL_DIFFUSION: ms__diffusion_derive(m); return;
    case MS_MODEL_SSM: ms__ssm_derive(m); return;
    case MS_MODEL_DLRM: ms__dlrm_derive(m); return;
    default: break;
    }
    if (m->kind != MS_MODEL_TRANSFORMER) {
        m->params = m->published_params;
        m->params_active = m->published_params;
        m->params_matmul = m->fwd_flops / 2.0;
        m->attn_flops_per_pair = 0;
        m->kv_elems_per_token = 0;
        return;
    }
    if (m->arch.kv_heads <= 0) m->arch.kv_heads = m->arch.heads;   /* MHA */
    const ms_arch *a = &m->arch;
    double h = a->hidden, L = a->layers, V = a->vocab;
    double norm = a->layernorm ? 2.0 * h : h;
    double attn = attn_params(a);
    double moe_layers = a->experts > 0 ? L - a->dense_layers : 0;
    double dense_layers = L - moe_layers;
    double dense_ffn = ffn_params(a, a->ffn);
    double expert = a->experts > 0 ? ffn_params(a, a->moe_ffn) : 0;
    double router = h * a->experts;
    double embed = V * h + (double)a->max_pos * h + (double)a->type_vocab * h;
    double head = a->tied_embeddings || a->encoder ? 0 : V * h;
    double pooler = a->pooler ? h * h + h : 0;
    double final_norm = norm;                       /* decoder final norm / BERT embedding norm */
    double per_layer_norms = 2.0 * norm;
    double mla_norms = 0;                           /* counted inside attn_params */

    double total = L * (attn + per_layer_norms + mla_norms) + dense_layers * dense_ffn +
                   moe_layers * ((a->experts + a->shared_experts) * expert + router) + embed + head +
                   final_norm + pooler;
    double active = total - moe_layers * (a->experts - a->experts_active) * expert;
    m->params = total;
    m->params_active = active;

    /* matmul parameters per token: attention + FFN (active experts) + router + output head */
    double out_head = a->encoder ? pooler : V * h;   /* tied heads still do the V·h matmul */
    m->params_matmul = L * attn + dense_layers * dense_ffn +
                       moe_layers * ((a->experts_active + a->shared_experts) * expert + router) + out_head;

    double H = a->heads;
    double d_qk, d_v;
    if (a->kv_lora_rank > 0) {
        d_qk = a->qk_nope_head_dim + a->qk_rope_head_dim;
        d_v = a->v_head_dim;
        m->kv_elems_per_token = L * (a->kv_lora_rank + a->qk_rope_head_dim);
    } else {
        d_qk = d_v = a->head_dim > 0 ? a->head_dim : h / H;
        m->kv_elems_per_token = 2.0 * L * a->kv_heads * d_v;
    }
    m->attn_flops_per_pair = L * H * (2.0 * d_qk + 2.0 * d_v);
}

double ms_forward_flops(const ms_model *m, double seq)
{
    if (m->kind != MS_MODEL_TRANSFORMER) return m->fwd_flops;
    double pairs = m->arch.encoder ? seq * seq : seq * (seq + 1.0) / 2.0;
    return 2.0 * m->params_matmul * seq + m->attn_flops_per_pair * pairs;
}

double ms_decode_flops(const ms_model *m, double ctx)
{
    if (m->kind != MS_MODEL_TRANSFORMER) return m->fwd_flops;
    return 2.0 * m->params_matmul + m->attn_flops_per_pair * ctx;
}

double ms_weight_bytes(const ms_model *m, ms_precision p)
{
    return m->params * ms_precision_bytes(p);
}

double ms_kv_cache_bytes(const ms_model *m, double seq, double batch, ms_precision p)
{
    return m->kv_elems_per_token * seq * batch * ms_precision_bytes(p);
}
