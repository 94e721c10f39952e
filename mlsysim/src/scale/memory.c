/* memory.c - training memory per accelerator for a distributed plan.
 *
 * Model state (mixed-precision Adam, Rajbhandari et al. 2020 "ZeRO", K = 12):
 *   weights 2 B/param (FP8 linear layers, linear_bytes lb: + 2·lb per linear weight, its cast
 *   copy and that copy's transpose, kept for the step; activations stay 16-bit: an upper bound
 *   where Transformer Engine saves a GEMM's input in FP8),
 *   gradients 2 B/param, optimizer 12 B/param (fp32 master, m, v); another
 *   optimizer gives its own figure (ms_optimizer_bytes_per_param: SGD with momentum 8, none 0).
 *   Megatron-style mixed precision keeps the gradients in fp32 (grad_bytes_per_param 4: 18 B/param,
 *   6 + 12/dp with the distributed optimizer, which shards the optimizer state only: the table of
 *   bf16 parameters with fp32 gradients in the Megatron Core developer guide, "Distributed
 *   Optimizer"); with fp16 parameters it keeps fp16 gradients and the optimizer an fp32 copy of
 *   them (optimizer_bytes_per_param 16: 20 B/param, 4 + 16/dp, the same table's fp16 row).
 *   Parameters per accelerator = dense/(tp·pp) + expert/(tp·pp·ep). ZeRO-1 shards the optimizer
 *   over dp·cp (the ranks holding the same weights), ZeRO-2 also the gradients, ZeRO-3 also the
 *   weights; a MoE rank's experts over the dp·cp/ep of them that hold the same experts (Megatron-
 *   Core's expert-data-parallel group; at ep = dp·cp each rank keeps its experts' whole state).
 * Activations (Korthikanti et al. 2022, "Reducing Activation Recomputation", Sec. 4.1 and eqs.
 * 1-5; bytes for 16-bit activations, per layer, per micro-batch of b sequences of s tokens):
 *   no TP                sbh·(34 + 5as/h)
 *   TP t                 sbh·(10 + 24/t + 5as/(ht))
 *   TP t + SP            sbh·(34/t + 5as/(ht))
 *   selective recompute  drops the 5as/h term; full recompute keeps only the layer input 2sbh
 *                        (/t with SP) plus one layer's working set (in recompute_layer_fraction of
 *                        the layers; the others keep all of theirs); operator-level recompute
 *                        keeps the input, the saved matmul outputs (Q, V, the gate and down
 *                        projections of a gated MLP or a GeLU MLP's first) and the attention
 *                        output, plus one layer's working set.
 *   With flash attention the 5as/h score term is never stored (same as selective).
 * The 34 is the GPT tensors counted one by one, and other architectures are counted the same way:
 * not split by TP, the two norms' inputs (4), the QKV input (2), the MLP input (2) and two 1-byte
 * dropout masks (2) = 10; split by TP, Q (2), K and V (2 each, times kv heads / heads under GQA),
 * the projection input (2) and the MLP's hidden tensors: a GeLU MLP of width F keeps the GeLU's
 * input and output (2·2·F/h = 16 at F = 4h), a gated (SwiGLU) MLP its gate and up outputs and
 * their product, the down projection's input (3·2·F/h, Megatron's fused SwiGLU keeping [gate, up]),
 * times the top-k experts of a MoE layer = 24 for GPT. The score term 5as/h is the softmax output
 * (2), its dropout mask (1) and dropout output (2). Gated models (the Llama family) are counted
 * without dropout (their training configurations set it to 0): no masks, scores 2as/h.
 * Pipeline 1F1B: the first stage holds pp micro-batches of l/pp layers = l layers' worth;
 * interleaving multiplies by (1 + (pp-1)/(pp·v)) (Korthikanti §4.2.3). Context parallel divides s.
 * Constants assume h-sized attention and a 4h MLP; other FFN sizes scale the MLP share (19 of 34).
 */
#include "internal.h"

#include <math.h>

int ms_dist_train_memory(const ms_dist_model_t *m, const ms_dist_parallel_t *p,
                         ms_dist_memory_t *out, char *err, size_t errlen)
{
    ms_scale_arch_t x;
    int rc = ms_scale_arch(m, &x, err, errlen);
    if (rc) return rc;
    if (!p || !out) { ms_scale_err(err, errlen, "parallelism: missing"); return MS_DIST_EINVAL; }
    double tp = p->tp > 0 ? p->tp : 1, pp = p->pp > 0 ? p->pp : 1, dp = p->dp > 0 ? p->dp : 1;
    double ep = p->ep > 0 ? p->ep : 1, cp = p->cp > 0 ? p->cp : 1;
    double b = p->microbatch > 0 ? p->microbatch : 1, v = p->interleave > 0 ? p->interleave : 1;
    double zs = ms_scale_shard_ranks(p, (int)dp, (int)cp);                /* ranks a shard spans */

    double dense = x.l * (x.attn_params + x.norm_params + (x.E > 1 ? x.h * x.E : 0.0)) + x.embed_params;
    double expert = x.l * x.E * x.mlp_params;
    double dense_rank = dense / (tp * pp), expert_rank = expert / (tp * pp * ep);
    double zs_e = ms_scale_expert_shard_ranks(&x, zs, ep);
    /* what a rank keeps of a state ZeRO shards from `stage` on */
#define KEPT(stage, d, e) (p->zero_stage >= (stage) ? (d) / zs + (e) / zs_e : (d) + (e))
    double wb = x.bpp;
    out->weights_bytes = KEPT(3, dense_rank, expert_rank) * wb;
    /* FP8 linear layers (linear_bytes < bytes_per_param): each linear weight also kept cast, with
     * its transpose, across the micro-batches of a step (2·lb per weight element) */
    if (x.lb < wb) {
        double lin = x.l * ms_scale_linear_weights(&x, ep) / (tp * pp);
        double lin_e = x.E > 1 ? x.l * x.E / ep * x.mlp_mats * x.h * x.ffn / (tp * pp) : 0.0;
        out->weights_bytes += KEPT(3, lin - lin_e, lin_e) * 2.0 * x.lb;
    }
    double gb = p->grad_bytes_per_param > 0 ? p->grad_bytes_per_param : wb;
    out->gradients_bytes = KEPT(2, dense_rank, expert_rank) * gb;
    double opt = p->optimizer_bytes_per_param > 0 ? p->optimizer_bytes_per_param
               : p->optimizer_bytes_per_param < 0 ? 0.0 : 12.0;
    out->optimizer_bytes = KEPT(1, dense_rank, expert_rank) * opt;
#undef KEPT

    double s = x.s / cp, h = x.h, a = x.a, t = tp;
    int gated = x.mlp_mats == 3.0, drop = !gated;                     /* dropout masks: GPT family */
    double mlp_hidden = (gated ? 6.0 : 4.0) * x.k * x.ffn / h;        /* 16 for a GeLU 4h MLP */
    double unsplit = 4.0 + 2.0 + 2.0 + 2.0 * drop;                     /* norms, QKV and MLP inputs, masks */
    double split = 2.0 + 4.0 * x.kv_dim / h + 2.0 + mlp_hidden;        /* Q, K, V, projection input, MLP */
    double lin = unsplit + split;                                      /* 34 for GPT */
    double lin_tp = p->sequence_parallel ? lin / t : unsplit + split / t;
    double score = (drop ? 5.0 : 2.0) * a * s / (h * t);
    if (p->flash_attention || p->recompute == MS_DIST_RECOMPUTE_SELECTIVE) score = 0.0;
    double sbh = s * b * h;
    double per_layer_full = sbh * (lin_tp + score);
    double per_layer, sp_div = p->sequence_parallel ? t : 1.0;
    if (p->recompute == MS_DIST_RECOMPUTE_FULL) {
        double rf = ms_dist_recomputed_layers(p);
        per_layer = rf * 2.0 * sbh / sp_div + (1.0 - rf) * per_layer_full;
    } else if (p->recompute == MS_DIST_RECOMPUTE_OPS) {
        /* the layer input, the saved matmul outputs (Q, V; gated: gate and down, GeLU: MLP in)
         * and the attention core's output */
        double mlp_saved = 2.0 * x.k * x.ffn / h / t + (gated ? 2.0 / sp_div : 0.0);
        per_layer = sbh * (2.0 / sp_div + (2.0 + 2.0 * x.kv_dim / h + 2.0) / t + mlp_saved + score);
    } else {
        per_layer = per_layer_full;
    }
    double inflight = x.l * ((pp > 1 && v > 1) ? 1.0 + (pp - 1.0) / (pp * v) : 1.0);
    double act = per_layer * inflight;
    if (p->recompute == MS_DIST_RECOMPUTE_FULL || p->recompute == MS_DIST_RECOMPUTE_OPS)
        act += per_layer_full;                                       /* recompute working set */
    /* Logits in fp32 on the last stage: s·b·V·4/t (kept for the cross-entropy backward). */
    act += s * b * x.V * 4.0 / t;
    out->activations_bytes = act * (wb / 2.0);

    double buf = 0.0;
    if (pp > 1) buf += 2.0 * b * s * h * wb;                        /* send + receive */
    if (p->zero_stage >= 3)                                          /* two gathered layers */
        buf += 2.0 * (x.attn_params + x.k * x.mlp_params) / tp * wb;
    out->buffers_bytes = buf;
    out->total_bytes = out->weights_bytes + out->gradients_bytes + out->optimizer_bytes
                     + out->activations_bytes + out->buffers_bytes;
    return MS_DIST_OK;
}
