/* train_step.c - time of one distributed training step of a transformer.
 *
 * What is modelled (per micro-batch, per pipeline stage, per tensor-parallel rank):
 *   kernels   matmul FLOPs / (peak·η) + HBM bytes of the memory-bound kernels / (bw·η):
 *             LayerNorms, bias-dropout-residual (11 h-wide element passes per token; split by tp
 *             only with sequence parallelism), the MLP activation (2 or 3 ffn-wide passes, split by
 *             tp) and, without flash attention, the s×s attention scores: QKᵀ write, fused
 *             scale-mask-softmax read+write, dropout read+write+mask, A·V read = 6.5 elements of
 *             2 bytes per score (Megatron-LM 2021 kernels). Backward: 2× the matmul FLOPs; the
 *             element-wise passes read input and gradient and write a gradient (1.5× forward
 *             bytes); the score path moves 9.5 elements per score (dP write, P read for dV,
 *             dropout read+mask+write, softmax y+dy read and dx write, dS read for dQ and dK).
 *             With flash attention the attention core runs at its own fraction of peak
 *             (accel->attn_efficiency, FlashAttention-2's published figures, read at head
 *             dimension 128; FlashAttention-1, attention_kernel, at half its speed) and its
 *             backward at 2.5× the forward FLOPs (it recomputes the
 *             scores), over s(s + 128)/2 query-key pairs per causal sequence (its diagonal
 *             blocks computed in full, MS_DIST_ATTN_TILE); its per-score non-matmul work (exponential, FP32 softmax operations;
 *             accel->attn_score_flops) is counted apart, so a smaller head dimension runs slower. The logits' cross-entropy moves
 *             40 B of HBM per fp32 logit (PyTorch's log_softmax + nll_loss, both directions).
 *             With the shape-dependent GEMM model (compute_units), each GEMM's output write (its
 *             epilogue: forward outputs, backward dX and dW) is added at the same bandwidth.
 *   power     under a power limit below TDP (accel->power_limit_w) the GEMMs and the attention
 *             core, which draw the TDP at full clock, run at ms_power_limit_clock of their speed
 *             (dynamic power ∝ f³ above the idle floor, physics.h); memory-bound kernels, the
 *             optimizer and the links keep theirs. MFU and HFU stay against the datasheet peak.
 *   recompute full: the layer forward again (in recompute_layer_fraction of the layers);
 *             selective: the attention core again; operator-level (torchtitan's selective op
 *             checkpointing): every other matmul of the layer (K, output projection, up or
 *             MLP-out) and the forward's element-wise passes again, the attention core saved.
 *   TP        2 all-reduces of b·s·h 16-bit values per layer in forward, 2 in backward, 2 more with
 *             full recompute (Megatron-LM; with SP each becomes all-gather + reduce-scatter of the
 *             same bytes). Synchronous, on the critical path, unless tp_comm_overlap: then the
 *             collectives run in chunks under the layer's GEMMs (Transformer Engine userbuffers)
 *             and only max(0, M - C) per layer is exposed, M the layer's TP collective time, C
 *             the GEMM time of its linear layers (QKV, projection, MLP in and out) in the same
 *             passes (forward, backward, full recompute). The last chunk's collective and the
 *             SMs the userbuffers kernels hold are not counted (an upper bound on the hiding).
 *   TP async  (tp_async_grad, without tp_comm_overlap: Megatron-LM by its 2022 release with
 *             sequence parallelism, Megatron-Core and Transformer Engine's linear layers) the
 *             backward of a column-parallel layer (QKV, MLP-in) launches its input-gradient
 *             all-reduce (with SP: reduce-scatter) before its weight-gradient GEMM and runs the two
 *             side by side; with SP it also re-gathers its input for that GEMM beside the
 *             input-gradient GEMM. The row-parallel layers' output-gradient all-gathers (SP) and
 *             every forward collective stay synchronous. Per layer and micro-batch the backward
 *             then exposes 2·AG (SP) + max(M - C, f·M): M the overlapped collectives (2 AR, or
 *             2 AG + 2 RS with SP), C the GEMMs beside them (the two layers' dW, and with SP their
 *             dX too), f the SM share NCCL takes from them (as for the DP overlap below).
 *   PP        1F1B: step = m·t_slowest + (pp-1)/v·t_mean (Narayanan et al. 2021 §2.2); the last
 *             stage also runs the logit layer and the cross-entropy; activations are sent with
 *             the scatter/gather optimisation (1/tp of b·s·h per rank over its own NIC), each
 *             micro-batch crossing each of a device's v chunk boundaries forward and backward
 *             (2·v transfers), on the critical path. With pp_comm_overlap (interleaved schedule,
 *             Megatron-Core's overlap_p2p_comm) a transfer runs while the next chunk computes and
 *             only the fill and drain wait for theirs: 2·(pp - 1) transfers per step.
 *   batches   a replica takes B/dp sequences in micro-batches of b; without a pipeline a b that
 *             does not divide them leaves one shorter last micro-batch (Composer runs it so),
 *             whose token-proportional work is its share and whose ZeRO-3 collectives and FSDP
 *             copies are whole; a pipeline's schedule needs whole micro-batches.
 *   DP        gradient all-reduce (ZeRO-1/2: reduce-scatter + all-gather) over the dp·cp ranks
 *             that hold the same weights (context-parallel ranks each have a partial gradient),
 *             strided by tp, hierarchical across nodes; exposed unless overlapped with the last
 *             micro-batch's backward. ZeRO-2 runs them per unit (see units below), ZeRO-0/1 as
 *             one collective of the whole gradient (their buckets are tens of MB or more).
 *   ZeRO-3    per micro-batch: all-gather the stage's parameters before forward and before
 *             backward (a recomputed layer runs right before its backward and uses the same
 *             gathered weights); reduce-scatter gradients. Hierarchical multi-rail collectives
 *             over the dp·cp group (strided by tp: NVLink inside the node, every NIC of the
 *             node across nodes), at the stack's sharded_coll_efficiency of the achievable link
 *             rate (1 by default). Overlapped with compute when overlap_dp = 1.
 *   units     ZeRO-2/3 collectives run per wrapped unit, not once for the whole stage: PyTorch
 *             FSDP gathers and reduces each transformer layer's flat parameter on its own, and
 *             the root unit holding the embeddings (DeepSpeed ZeRO-3 fetches per module, finer
 *             still). The stage's bytes split into lps + 1 such collectives, so the bandwidth
 *             term is unchanged and a ring's latency, one step per rank across nodes
 *             (collectives.c), is paid lps + 1 times.
 *   hybrid    shard_group k < dp (FSDP HYBRID_SHARD / HSDP, ZeRO++ hpZ, MiCS): the ZeRO
 *             collectives above run over k·cp ranks (a node's GPUs by default, so on NVLink), and
 *             each rank's reduced shard (1/(k·cp) of the gradient) is all-reduced across the dp/k
 *             replicas, k·cp·tp ranks apart (one rail each), after every backward; the sharded
 *             state and its per-step work are divided by k·cp instead of dp·cp.
 *   overlap   compute that runs beside an overlapped collective (DP reduction, ZeRO-3 gathers)
 *             loses the SMs NCCL's kernels hold (MS_DIST_NCCL_SMS): its GEMMs run on
 *             compute_units - 24 SMs (wave and tile quantization recomputed), a slowdown f of the
 *             layer's GEMM rate. Compute C beside communication M then takes max(M, C + f·M), so
 *             the exposed time is max(M - C, f·M) instead of max(M - C, 0). f = 0 when the SM
 *             count is unknown.
 *   EP        2 all-to-alls of the routed tokens per MoE layer and pass, over ep ranks tp apart
 *             (Megatron-Core forms each TPxEP group of tp·ep consecutive ranks, in its order TP,
 *             CP, DP: with CP the expert-parallel ranks mix context- and data-parallel ones).
 *   MoE TP    a MoE layer's experts, split over the TP group, need every token routed to them on
 *             each rank of it: Megatron-Core's all-to-all dispatcher (token_dispatcher.py:
 *             permute -> A2A(EP) -> AG(TP) -> experts -> RS(TP) -> A2A(EP) -> unpermute) gathers
 *             the k copies of each token over TP before the experts and reduce-scatters them
 *             after, in place of the dense MLP's sequence-parallel all-gather and reduce-scatter
 *             of one copy. The dispatcher issues them between its kernels, so no linear layer's
 *             GEMM hides them (tp_comm_overlap and tp_async cover the attention's collectives
 *             only, under the attention's GEMMs). Each expert's GEMMs take the ep·T·k/E rows
 *             routed to it (T the TP group's tokens, balanced routing), in the shape model as
 *             the dense layers' take T.
 *   CP        all-gather of K and V (and reduce-scatter of their gradients) per layer: with ring
 *             context parallelism (Megatron-Core, torchtitan) hidden behind the attention core
 *             when it is shorter; with cp_allgather (Llama 3's) all on the critical path.
 *   FSDP      with ZeRO-3, per micro-batch: the full 16-bit gradient copied into the reduce-scatter
 *             input, the fp32 shard cast to 16 bits before each gather, the 16-bit gradient shard
 *             accumulated into fp32 (2·wb·P + (2·(4 + wb) + wb + 8)·P/k bytes, k = dp or the shard group), memory-bound.
 *   host      every kernel is issued from the host, host_op_s each (MS_DIST_HOST_OP_S, PyTorch's
 *             eager mode, by default), and the GPU runs it only once issued: a stage's micro-batch
 *             takes at least its kernels' issue time (host_kernels below counts them), the GPU
 *             waiting the rest (host_wait_s). The host runs ahead of long kernels, so this binds only
 *             where kernels are a few microseconds long: small models, small micro-batches. The
 *             optimizer step's kernels (opt_kernels below) follow the last backward's, and the GPU
 *             waits on them only beyond its own optimizer time and the last micro-batch's margin of
 *             GPU time over issue time (none where the micro-batches already wait).
 *   optimizer update: weights + gradients read, optimizer state read and written (28 bytes of
 *             HBM traffic per local parameter for mixed-precision Adam); with optimizer_impl
 *             unfused or foreach, PyTorch's element-wise passes and gradient-norm clipping (100 B
 *             for Adam; distributed.h, ms_dist_opt_impl_t).
 *   FP8       (model linear_bytes below bytes_per_param; Transformer Engine's recipe) the linear
 *             GEMMs (QKV, projection, MLP in and out: forward, dX and dW) run at
 *             accel->linear_peak_flops · linear_efficiency, a tile's fixed cost worth as many more
 *             K-steps as that rate is above the 16-bit one (gemm_shape.c); the attention core, the
 *             logit layer and every element-wise kernel stay 16-bit. Each GEMM operand is cast with its transpose
 *             (the weight gradient reads the transpose): forward, the attention output by its own
 *             cast-transpose kernel (read wb, write 2·lb per element) and the QKV, MLP-in and
 *             MLP-out inputs by the norm and activation kernels that make them, which write lb
 *             instead of wb, then a transpose (net 3·lb − wb); backward, the output gradients of
 *             QKV, the projection and MLP-out (read wb, write 2·lb) and MLP-in's, written by the
 *             activation's backward kernel (net 2·lb − wb); the weights once per step, kept across
 *             the micro-batches (read wb, write 2·lb per parameter). Nets below 0 count as 0.
 *             With fp8_separate_casts (a stack that swaps nn.Linear for te.Linear or Float8Linear)
 *             the norm and activation kernels write 16 bits and every GEMM input, forward and
 *             backward, is cast by its own kernel (read wb, write 2·lb).
 * η (accel->efficiency) scales peak FLOP/s (and HBM bandwidth when mem_bw_fraction is 0): it is
 * the single compute calibration figure of an accelerator generation and software stack. Links
 * run at their own achievable fraction of line rate, the NCCL-tests figure of their class
 * (fabric intra_efficiency / inter_efficiency, ms_dist_fabric_achievable), not at η.
 */
#include "internal.h"
#include "mlsysim/physics.h"

#include <math.h>
#include <string.h>

ms_dist_batch_rule_t ms_dist_batch_rule(long global_batch, int dp, int microbatch, int pp)
{
    if (dp < 1 || global_batch <= 0 || global_batch % dp) return MS_DIST_BATCH_NOT_PER_REPLICA;
    long b = microbatch > 0 ? microbatch : 1;
    if (pp > 1 && global_batch % (dp * b)) return MS_DIST_BATCH_PARTIAL_MICROBATCH;
    return MS_DIST_BATCH_OK;
}

#define MS_DIST_CE_BYTES_PER_LOGIT 40.0

/* Time-weighted GEMM rate factor of one layer (QKV, projection, MLP in and out) on `u` of the
 * device's `units` SMs: the fraction of peak·η the layer's GEMMs reach, counting the SMs given up
 * (u/units) and the wave and tile quantization on u SMs. `speed` is the main loop's rate per SM
 * against the reference one (ms_gemm_tile_speed), against which a tile's fixed time counts more
 * K-steps. 1 when units <= 0. */
static double layer_gemm_rate(const ms_scale_arch_t *x, double T, int tp, int ep, int u, int units, double speed)
{
    if (units <= 0 || u <= 0) return 1.0;
    double h = x->h, qkv = (h + 2.0 * x->kv_dim) / tp;
    if (x->E <= 1) {
        double up = (x->mlp_mats - 1.0) * x->ffn / tp;         /* gated: gate and up fused */
        return (double)u / units * ms_gemm_layer_rate_at(T, h, qkv, h / tp, up, x->ffn / tp, u, speed);
    }
    /* a mixture of experts: the attention's GEMMs take the T tokens, each expert's the
     * Me = ep·T·k/E copies routed to it (header, "MoE TP"); FLOP-weighted as the dense layer's */
    double Me = T * x->k * ep / x->E, up = (x->mlp_mats - 1.0) * x->ffn / tp, dn = x->ffn / tp;
    double f_qkv = T * h * qkv, f_proj = T * h * h / tp, f_up = Me * h * up, f_dn = Me * dn * h;
    double t = f_qkv / ms_gemm_shape_efficiency_at(T, qkv, h, u, speed)
             + f_proj / ms_gemm_shape_efficiency_at(T, h, h / tp, u, speed)
             + f_up / ms_gemm_shape_efficiency_at(Me, up, h, u, speed)
             + f_dn / ms_gemm_shape_efficiency_at(Me, h, dn, u, speed);
    return t > 0 ? (double)u / units * (f_qkv + f_proj + f_up + f_dn) / t : 1.0;
}

typedef struct stage_cost {
    double fwd, bwd, rc;      /* kernel time per layer */
    double tp, ep, cp;        /* communication per layer (all passes) */
    double att_fwd;           /* attention core forward (for CP overlap, selective recompute) */
} stage_cost_t;

/* u collectives of one kind, each on 1/u of `bytes` (ZeRO-2/3 runs one per FSDP unit): their
 * time, and their latency term added to *lat. */
static double per_unit(ms_dist_coll_t kind, double bytes, double u, int n, int stride, const ms_dist_fabric_t *f,
                       double *lat)
{
    double l;
    double t = ms_coll_time_parts_s(kind, bytes / u, n, stride, f, &l, NULL);
    *lat += u * l;
    return u * t;
}

/* A collective of time M beside compute C that takes the SM share f from it (overlapped): exposed
 * max(M - C, f·M), and *beyond what that exposes past max(M - C, 0) (the interference). Not
 * overlapped: all of M, none of it interference. */
static double exposed_beside(double M, double C, int overlapped, double f, double *beyond)
{
    double bare = M > C ? M - C : 0.0;
    double e = !overlapped ? M : bare > f * M ? bare : f * M;
    if (beyond) *beyond = overlapped ? e - bare : 0.0;
    return e;
}

/* Kernels a layer issues per micro-batch, as an eager PyTorch transformer layer runs them.
 * Forward, 10: two norms, the QKV, projection, MLP-in and MLP-out GEMMs, the attention core
 * (one fused kernel; 4 unfused: QKᵀ, the fused scale-mask-softmax, dropout, A·V), the MLP's
 * activation and two bias-dropout-residual kernels; a gated MLP and rotary positions 2 more.
 * Backward, two per forward kernel (a GEMM's dX and dW; an element-wise op's gradient and its
 * parameter or bias reduction). Recomputed: the forward again in the fraction rf of the layers
 * (full), the attention core (selective), half the forward (operator-level). Each
 * pass also launches its collectives: 2 tensor-parallel all-reduces (4 with sequence
 * parallelism: all-gather and reduce-scatter each), 2 expert all-to-alls, 1 context-parallel
 * exchange. */
static double host_kernels(const ms_scale_arch_t *x, const ms_dist_parallel_t *p, int tp, int sp, int ep, int cp,
                           double rf, double passes)
{
    double att = p->flash_attention ? 1.0 : 4.0;
    double fwd = 9.0 + att + (x->mlp_mats == 3.0 ? 2.0 : 0.0);
    double rc = p->recompute == MS_DIST_RECOMPUTE_OPS ? 0.5 * fwd
              : rf * fwd + (p->recompute == MS_DIST_RECOMPUTE_SELECTIVE ? att : 0.0);
    double coll = (tp > 1 ? (sp ? 4.0 : 2.0) : 0.0) + (ep > 1 && x->E > 1 ? 2.0 : 0.0) + (cp > 1 ? 1.0 : 0.0);
    return 3.0 * fwd + rc + coll * passes;
}

/* Kernels of a micro-batch outside the layers: the embedding (lookup, its backward's scatter-add
 * and zeroing) on the first stage, the final norm, logit GEMM and cross-entropy (log_softmax,
 * nll_loss) with their backward on the last. */
#define MS_DIST_HOST_FIRST_KERNELS 3.0
#define MS_DIST_HOST_LAST_KERNELS 12.0

/* Kernels of one optimizer step on a rank (header, "host"). Its tensors: one per weight matrix (Q,
 * K, V, output, each local expert's MLP matrices and a router) and per norm, each with a bias where
 * the model has biases, over the stage's layers, and its share of the embeddings, the final norm and
 * an untied output layer; each rank holds a shard of every one of them (tensor parallelism, ZeRO,
 * FSDP2). Fused (apex, Transformer Engine, torch fused=True) and foreach implementations go through
 * multi_tensor_apply, which launches once per MS_DIST_MTA_ELEMS elements or per so many tensors,
 * whichever fills first (PyTorch's ATen/native/cuda/MultiTensorApply.cuh: 320 blocks of 65,536
 * elements; 110, 64, 48, 36 tensors for lists of 1 to 4 tensors per parameter): the fused Adam pass
 * (4 lists), or foreach's 9 element-wise passes (MS_DIST_UNFUSED_ADAM_BYTES' passes, taken at 2
 * lists); a per-tensor loop (Composer's DecoupledAdamW) launches those 9 for every tensor. All then
 * clip the gradient norm: a norm pass and a scaling pass (1 list each) and 4 small kernels (the
 * norms stacked and reduced, the clip coefficient). */
#define MS_DIST_MTA_ELEMS (320.0 * 65536.0)
#define MS_DIST_OPT_PASSES 9.0
static double opt_kernels(const ms_dist_model_t *m, const ms_scale_arch_t *x, const ms_dist_parallel_t *p,
                          double lps, int pp, int ep, double elems)
{
    double mlp = x->E > 1 ? x->E / ep * x->mlp_mats + 1.0 : x->mlp_mats;
    double per_layer = (4.0 + mlp + 2.0) * (m->biases ? 2.0 : 1.0);
    double outside = 1.0 + (m->learned_pos ? 1.0 : 0.0) + (m->tied_embeddings ? 0.0 : 1.0) + (m->biases ? 2.0 : 1.0);
    double n = lps * per_layer + outside / pp;
#define MTA(per) fmax(ceil(n / (per)), ceil(elems / MS_DIST_MTA_ELEMS))
    double clip = 2.0 * MTA(110.0) + 4.0;
    if (p->optimizer_impl == MS_DIST_OPT_UNFUSED) return MS_DIST_OPT_PASSES * ceil(n) + clip;
    if (p->optimizer_impl == MS_DIST_OPT_FOREACH) return MS_DIST_OPT_PASSES * MTA(64.0) + clip;
    return MTA(36.0) + clip;
#undef MTA
}

int ms_dist_train_step(const ms_dist_accel_t *a, const ms_dist_model_t *m,
                       const ms_dist_parallel_t *p, const ms_dist_fabric_t *f,
                       int accelerators, ms_dist_train_t *out, char *err, size_t errlen)
{
    ms_scale_arch_t x;
    int rc = ms_scale_arch(m, &x, err, errlen);
    if (rc) return rc;
    if (!a || !p || !f || !out) { ms_scale_err(err, errlen, "train_step: missing input"); return MS_DIST_EINVAL; }
    memset(out, 0, sizeof *out);
    if (!(a->peak_flops > 0) || !(a->mem_bw_bytes_per_s > 0)) {
        ms_scale_err(err, errlen, "accelerator: peak_flops and mem_bw_bytes_per_s must be > 0");
        return MS_DIST_EINVAL;
    }
    if (a->efficiency < 0 || a->efficiency > 1) {
        ms_scale_err(err, errlen, "accelerator.efficiency: must be in (0, 1] (got %g)", a->efficiency);
        return MS_DIST_EINVAL;
    }
    int tp = p->tp > 0 ? p->tp : 1, pp = p->pp > 0 ? p->pp : 1, cp = p->cp > 0 ? p->cp : 1;
    int ep = p->ep > 0 ? p->ep : 1, v = p->interleave > 0 ? p->interleave : 1;
    int b = p->microbatch > 0 ? p->microbatch : 1;
    if (accelerators <= 0) { ms_scale_err(err, errlen, "accelerators: must be > 0 (got %d)", accelerators); return MS_DIST_EINVAL; }
    if (accelerators % (tp * pp * cp) != 0) {
        ms_scale_err(err, errlen, "parallelism: tp·pp·cp = %d does not divide %d accelerators", tp * pp * cp, accelerators);
        return MS_DIST_EINVAL;
    }
    int dp = accelerators / (tp * pp * cp);
    if (p->dp > 0 && p->dp != dp) {
        ms_scale_err(err, errlen, "parallelism.dp: %d but tp·pp·cp·dp must equal %d accelerators", p->dp, accelerators);
        return MS_DIST_EINVAL;
    }
    if (dp % ep != 0) { ms_scale_err(err, errlen, "parallelism.ep: %d does not divide dp = %d", ep, dp); return MS_DIST_EINVAL; }
    switch (ms_dist_batch_rule(p->global_batch, dp, b, pp)) {
    case MS_DIST_BATCH_OK: break;
    case MS_DIST_BATCH_NOT_PER_REPLICA:
        ms_scale_err(err, errlen, "parallelism.global_batch: %d is not a multiple of dp = %d (every replica takes the same "
                     "number of sequences)", p->global_batch, dp);
        return MS_DIST_EINVAL;
    case MS_DIST_BATCH_PARTIAL_MICROBATCH:
        ms_scale_err(err, errlen, "parallelism.global_batch: %d is not a multiple of dp·microbatch = %d (with pp = %d "
                     "every micro-batch must be whole)", p->global_batch, dp * b, pp);
        return MS_DIST_EINVAL;
    }
    /* A replica's sequences that the micro-batch does not divide: Composer (llm-foundry) runs the
     * remainder as one shorter last micro-batch (ms_dist_batch_rule keeps pipelines whole). */
    int per_replica = p->global_batch / dp, short_mb = per_replica % b;
    if (per_replica < b) { b = per_replica; short_mb = 0; }  /* the one micro-batch is the replica's batch */
    if (m->layers < pp * v) {
        ms_scale_err(err, errlen, "parallelism.pp: pp·interleave = %d exceeds %d layers", pp * v, m->layers);
        return MS_DIST_EINVAL;
    }
    if (m->heads % tp != 0) { ms_scale_err(err, errlen, "parallelism.tp: %d does not divide %d heads", tp, m->heads); return MS_DIST_EINVAL; }
    if ((int)p->recompute < 0 || (int)p->recompute > MS_DIST_RECOMPUTE_OPS) {
        ms_scale_err(err, errlen, "parallelism.recompute: must be 0..3 (none, selective, full, ops; got %d)", (int)p->recompute);
        return MS_DIST_EINVAL;
    }
    if (!(p->recompute_layer_fraction >= 0 && p->recompute_layer_fraction <= 1)) {
        ms_scale_err(err, errlen, "parallelism.recompute_layer_fraction: must be in (0, 1] or 0 for all layers (got %g)",
                     p->recompute_layer_fraction);
        return MS_DIST_EINVAL;
    }
    if (p->zero_stage < 0 || p->zero_stage > 3) { ms_scale_err(err, errlen, "parallelism.zero_stage: must be 0..3 (got %d)", p->zero_stage); return MS_DIST_EINVAL; }
    if (p->shard_group < 0 || (p->shard_group > 0 && dp % p->shard_group != 0)) {
        ms_scale_err(err, errlen, "parallelism.shard_group: %d does not divide the %d data-parallel replicas (0 = all of them)",
                     p->shard_group, dp);
        return MS_DIST_EINVAL;
    }
    if (p->sharded_coll_efficiency < 0 || p->sharded_coll_efficiency > 1 || isnan(p->sharded_coll_efficiency)) {
        ms_scale_err(err, errlen, "parallelism.sharded_coll_efficiency: must be in (0, 1] or 0 for the default %g (got %g)",
                     MS_DIST_SHARDED_COLL_EFFICIENCY, p->sharded_coll_efficiency);
        return MS_DIST_EINVAL;
    }
    if (m->seq_len % cp != 0) { ms_scale_err(err, errlen, "parallelism.cp: %d does not divide seq_len %d", cp, m->seq_len); return MS_DIST_EINVAL; }
    if (f->accels_per_node <= 0 || !(f->intra_bw_bytes_per_s > 0) || !(f->inter_bw_bytes_per_s > 0)) {
        ms_scale_err(err, errlen, "fabric: accels_per_node, intra_bw and inter_bw must be > 0");
        return MS_DIST_EINVAL;
    }

    if (!(a->linear_efficiency >= 0 && a->linear_efficiency <= 1) || !(a->linear_peak_flops >= 0)) {
        ms_scale_err(err, errlen, "accelerator.linear_efficiency: must be in (0, 1] or 0 for efficiency (got %g), linear_peak_flops >= 0",
                     a->linear_efficiency);
        return MS_DIST_EINVAL;
    }

    /* a power limit below TDP slows the kernels that draw the TDP (the GEMMs, the attention
     * core), not the memory-bound ones or the links (physics.h, ms_power_limit_clock) */
    if (a->power_limit_w < 0 || (a->power_limit_w > 0 && !(a->tdp_w > 0))) {
        ms_scale_err(err, errlen, "accelerator.power_limit_w: %g W needs the accelerator's TDP (tdp_w %g W)",
                     a->power_limit_w, a->tdp_w);
        return MS_DIST_EINVAL;
    }
    double clk = ms_power_limit_clock(a->power_limit_w, a->tdp_w);
    if (!(clk > 0)) {
        ms_scale_err(err, errlen, "accelerator.power_limit_w: %g W is at or below the board's idle floor (%g W, %.0f %% of its %g W TDP)",
                     a->power_limit_w, MS_ENERGY_IDLE_FRACTION * a->tdp_w, 100.0 * MS_ENERGY_IDLE_FRACTION, a->tdp_w);
        return MS_DIST_EINVAL;
    }
    double peak = a->peak_flops * clk;
    double eta = a->efficiency > 0 ? a->efficiency : MS_DIST_DEFAULT_EFFICIENCY;
    double F = peak * eta;
    /* the linear layers' GEMMs: their own format's peak and η (FP8), else the step's */
    double Flin = (a->linear_peak_flops > 0 ? a->linear_peak_flops : a->peak_flops) * clk
                * (a->linear_efficiency > 0 ? a->linear_efficiency : eta);
    double BW = a->mem_bw_bytes_per_s * (a->mem_bw_fraction > 0 ? a->mem_bw_fraction : eta);
    ms_dist_fabric_t fab;
    ms_dist_fabric_achievable(f, &fab);                    /* links at their NCCL-tests fraction */
    int g = f->accels_per_node;
    double wb = x.bpp;

    /* micro-batches per step (a short last one counts), and their tokens in full micro-batches */
    int mb = per_replica / b + (short_mb ? 1 : 0);
    double mbf = (double)per_replica / b;
    double s = x.s, h = x.h, T = (double)b * s / cp; /* tokens per rank per micro-batch */
    int sp = p->sequence_parallel && tp > 1;

    /* ---- one layer ------------------------------------------------------------------------ */
    stage_cost_t c;
    double wmm = h * (h + 2.0 * x.kv_dim) + h * h + x.k * x.mlp_mats * h * x.ffn;
    double dense_flops = 2.0 * T * wmm / tp;
    double up_n = x.k * (x.mlp_mats - 1.0) * x.ffn / tp;          /* MLP-in outputs per rank (gate and up) */
    /* time-weighted shape efficiency of the layer's GEMMs: QKV, projection, MLP in and out */
    double Fd = F;
    int cu = a->compute_units;
    double lin_speed = ms_gemm_tile_speed(Flin, cu);           /* per-SM rate: tile fixed cost */
    double rate_all = layer_gemm_rate(&x, T, tp, ep, cu, cu, lin_speed);
    Fd = Flin * rate_all;
    /* beside an overlapped collective the GEMMs keep compute_units - MS_DIST_NCCL_SMS SMs */
    double ov_f = cu > MS_DIST_NCCL_SMS
                ? 1.0 - layer_gemm_rate(&x, T, tp, ep, cu - MS_DIST_NCCL_SMS, cu, lin_speed) / rate_all : 0.0;
    if (ov_f < 0) ov_f = 0;
    /* QKᵀ and A·V as the kernels run them: a fused causal kernel skips the blocks above the
     * diagonal but computes each diagonal block in full, its masked half included: s(s + B)/2 pairs
     * per sequence for blocks of B = MS_DIST_ATTN_TILE (flops.c counts the s(s+1)/2 pairs the model
     * needs); Megatron-LM 2021's unfused path multiplies the full s×s square and masks it in the
     * softmax. */
    double score_flops = (p->flash_attention ? 2.0 * T * (s + MS_DIST_ATTN_TILE) : 4.0 * T * s) * h / tp;
    double ew_bytes = 2.0 * T * (11.0 * h / (sp ? tp : 1) + (x.mlp_mats == 3.0 ? 3.0 : 2.0) * x.k * x.ffn / tp);
    double scores = T * (x.a / tp) * s;                           /* score elements per rank */
    /* FP8: the casts of the linear GEMMs' operands (header); cast_w per layer and step */
    double cast_fwd = 0.0, cast_bwd = 0.0, cast_w = 0.0;
    if (x.lb < wb) {
        double lb = x.lb, hs = h / (sp ? tp : 1);
        double fused = fmax(0.0, 3.0 * lb - wb), own = wb + 2.0 * lb, act_bwd = fmax(0.0, 2.0 * lb - wb);
        if (p->fp8_separate_casts) fused = act_bwd = own;          /* te.Linear: a cast kernel each */
        cast_fwd = T * (fused * (2.0 * hs + x.k * x.ffn / tp) + own * h / tp) / BW;
        cast_bwd = T * (own * ((h + 2.0 * x.kv_dim) / tp + 2.0 * hs) + act_bwd * up_n) / BW;
        /* every local weight: the attention's and each expert's on this rank (a token uses k) */
        cast_w = own * ms_scale_linear_weights(&x, ep) / tp / BW;
    }
    double score_bytes = p->flash_attention ? 0.0 : 2.0 * 6.5 * scores;
    double score_bytes_bwd = p->flash_attention ? 0.0 : 2.0 * 9.5 * scores;
    /* A fused (flash) attention kernel runs at its own fraction of peak (attn_efficiency) and its
     * backward recomputes the scores from Q and K: five s×s products (S, dP, dV, dQ, dK) against
     * the forward's two, 2.5× the forward FLOPs (Dao 2023, FlashAttention-2 Algorithm 2). The
     * unfused path keeps the scores and multiplies 2× the forward in backward. */
    double Fa = p->flash_attention && a->attn_efficiency > 0 ? peak * a->attn_efficiency : F;
    double att_bwd_mult = p->flash_attention ? 2.5 : 2.0;
    /* Each GEMM writes its output to HBM after its main loop (the epilogue), counted as not
     * hidden by the tile's loads and math (an upper bound: kernels that run one tile's epilogue
     * beside another tile's main loop hide part of it): forward, the QKV, projection, MLP-in and MLP-out
     * outputs; backward, each input gradient (dX) and each weight gradient (dW, once per
     * micro-batch), wb bytes per element, at the memory-bound kernels' bandwidth. Counted with
     * the shape-dependent GEMM model (compute_units > 0), whose η is then the main loop's. */
    double epi_fwd = 0.0, epi_bwd = 0.0;
    if (cu > 0) {
        epi_fwd = T * wb * ((h + 2.0 * x.kv_dim) / tp + h + up_n + h) / BW;
        /* the weight gradients: every local weight's (a MoE rank's experts, not the k a token uses) */
        epi_bwd = (T * wb * (h + h / tp + h + x.k * x.ffn / tp) + wb * ms_scale_linear_weights(&x, ep) / tp) / BW;
    }
    /* The fused kernel's non-matmul work per score (one exponential, ~3 FP32 operations per pass,
     * accel->attn_score_flops in tensor-FLOP equivalents) does not shrink with the head dimension
     * d while its matmul FLOPs (4·d forward, 10·d backward per score) do. attn_efficiency is the
     * figure at d_ref = MS_DIST_ATTN_REF_HEAD_DIM over forward + backward (3.5 × 4·d_ref matmul
     * FLOPs and 2 passes of that work per score), so the matmuls' own fraction of peak E_mm is
     * 1/E_mm = 1/E_ref − 2·c/(3.5·4·d_ref), and a pass takes score_flops/peak · (m/E_mm + c/(4·d)),
     * m = 1 forward, 2.5 backward. At d = d_ref the sum is the old figure's time exactly. */
    double att_f = score_flops / Fa, att_b = att_bwd_mult * score_flops / Fa;
    if (p->flash_attention && a->attn_efficiency > 0 && a->attn_score_flops > 0 && score_flops > 0) {
        double c_sc = a->attn_score_flops, dh = x.d;
        double inv_mm = 1.0 / a->attn_efficiency - c_sc / (7.0 * MS_DIST_ATTN_REF_HEAD_DIM);
        if (inv_mm < 1.0) inv_mm = 1.0;                       /* the matmuls never beat peak */
        double per = score_flops / peak;
        att_f = per * (inv_mm + c_sc / (4.0 * dh));
        att_b = per * (att_bwd_mult * inv_mm + c_sc / (4.0 * dh));
    }
    /* FlashAttention-1: the same work at MS_DIST_FLASH1_SPEED of the FlashAttention-2-class figure */
    if (p->flash_attention && p->attention_kernel == MS_DIST_ATTN_FLASH1) {
        att_f /= MS_DIST_FLASH1_SPEED;
        att_b /= MS_DIST_FLASH1_SPEED;
    }
    c.att_fwd = att_f + score_bytes / BW;
    c.fwd = dense_flops / Fd + ew_bytes / BW + epi_fwd + c.att_fwd + cast_fwd;
    c.bwd = 2.0 * dense_flops / Fd + att_b + (1.5 * ew_bytes + score_bytes_bwd) / BW
          + epi_bwd + cast_bwd;
    /* recomputed before the backward: full, the layer's forward (in a fraction rf of the layers,
     * the others keep their activations); selective, the attention core; operator-level, every
     * other matmul (K, output projection, up / MLP-out, with their output writes) and every
     * element-wise op of the forward. The TP collectives run again with the recomputed work: a
     * whole forward's with full recompute; the all-gathers (half of them) with operator-level,
     * whose saved reduce-scatter outputs are not run again (torchtitan saves them). */
    double rf = ms_dist_recomputed_layers(p);
    double ops_mm = 0.0, rc_passes = rf;
    if (p->recompute == MS_DIST_RECOMPUTE_OPS) {
        ops_mm = 2.0 * T * ms_scale_ops_recompute_wmm(&x) / tp / Fd;
        double epi_ops = cu > 0 ? T * wb * (x.kv_dim / tp + h + (x.mlp_mats == 3.0 ? x.k * x.ffn / tp : h)) / BW : 0.0;
        c.rc = ops_mm + ew_bytes / BW + epi_ops;
        rc_passes = 0.5;
    } else {
        c.rc = rf * c.fwd + (p->recompute == MS_DIST_RECOMPUTE_SELECTIVE ? c.att_fwd : 0.0);
    }
    /* GEMM share of the kernel time (for the breakdown) */
    double layer_mm = 3.0 * dense_flops / Fd + att_f + att_b + ops_mm
                    + rf * (dense_flops / Fd + att_f)
                    + (p->recompute == MS_DIST_RECOMPUTE_SELECTIVE ? att_f : 0.0);
    double layer_kern = c.fwd + c.bwd + c.rc;
    double passes = 2.0 + rc_passes;                            /* fwd, bwd (+ what is recomputed) */
    double act_msg = T * h * wb;
    /* the TP group's all-reduce per sublayer; with sequence parallelism a reduce-scatter and an
     * all-gather of the same bytes, which cost the ring's all-reduce (NVLink SHARP, an all-reduce
     * algorithm, does not apply to them) */
    ms_dist_fabric_t fab_tp = fab;
    if (sp) fab_tp.ring_only = 1;
    out->tp_algorithm = NULL;
    double tp_ar = tp > 1 ? ms_coll_time_parts_s(MS_COLL_ALLREDUCE_RING, act_msg, tp, 1, &fab_tp, NULL, &out->tp_algorithm)
                          : 0.0;
    /* routing imbalance: min(E, k x imbalance) copies per token, as ms_moe_alltoall counts them */
    double a2a_k = p->moe_imbalance > 1 ? fmin(x.E, x.k * p->moe_imbalance) : x.k;
    /* the sublayers whose TP collectives the linear layers carry: attention and the dense MLP; a
     * MoE layer's expert MLP has the dispatcher's instead, k copies of each token, exposed
     * (header, "MoE TP") */
    const int moe = x.E > 1;
    double nsub = moe ? 1.0 : 2.0;
    double tp_moe = moe && tp > 1
                  ? passes * ms_coll_time_parts_s(MS_COLL_ALLREDUCE_RING, act_msg * a2a_k, tp, 1, &fab_tp, NULL, NULL)
                  : 0.0;
    /* the GEMMs of the layers that carry them: QKV and projection, and the dense MLP's */
    double carrier_flops = moe ? 2.0 * T * (h * (h + 2.0 * x.kv_dim) + h * h) / tp : dense_flops;
    c.tp = nsub * passes * tp_ar;
    double tp_total = c.tp;                                    /* before overlap */
    if (p->tp_async_grad && !p->tp_comm_overlap && c.tp > 0) {
        /* Megatron's backward (header, "TP async"): the forward passes' collectives stay
         * synchronous; in the backward the column-parallel layers' (QKV, MLP-in) input-gradient
         * collectives run beside their GEMMs, with sequence parallelism also the re-gather of their
         * input; the row-parallel layers' output-gradient all-gathers (SP) stay synchronous. */
        double col_gemm = 2.0 * T * h * ((h + 2.0 * x.kv_dim) / tp + (moe ? 0.0 : up_n)) / Fd;   /* one of dX, dW */
        double ag = sp ? ms_coll_time_s(MS_COLL_ALL_GATHER, act_msg, tp, 1, &fab) : 0.0;
        double rs = sp ? ms_coll_time_s(MS_COLL_REDUCE_SCATTER, act_msg, tp, 1, &fab) : 0.0;
        double fwd_side = nsub * (passes - 1.0) * tp_ar;          /* forward and recompute */
        double sync_b = nsub * ag;                                 /* SP: dY of projection, MLP-out */
        double async_m = sp ? nsub * (ag + rs) : nsub * tp_ar;
        double async_c = sp ? 2.0 * col_gemm : col_gemm;           /* SP: beside dX and dW; else dW */
        c.tp = fwd_side + sync_b + exposed_beside(async_m, async_c, 1, ov_f, NULL);
        tp_total = fwd_side + sync_b + async_m;
    }
    if (p->tp_comm_overlap && c.tp > 0) {
        /* the linear layers' GEMMs of the passes that carry the collectives: forward 1, backward
         * 2 (dX and dW), full recompute 1 more forward (in its fraction rf of the layers) */
        double gemm = (3.0 + rf) * carrier_flops / Fd;
        c.tp = c.tp > gemm ? c.tp - gemm : 0.0;
    }
    c.tp += tp_moe;
    tp_total += tp_moe;
    /* the expert-parallel group: ep consecutive ranks of the data-parallel group with CP, tp apart
     * (Megatron-Core's parallel_state.py: each TPxEP group is tp·ep consecutive ranks) */
    c.ep = (ep > 1 && x.E > 1) ? 2.0 * passes * ms_coll_time_s(MS_COLL_ALL_TO_ALL, act_msg * a2a_k / (sp ? tp : 1), ep, tp, &fab) : 0.0;
    if (cp > 1) {
        double kv_bytes = 2.0 * (double)b * s * x.kv_dim * wb / tp; /* K and V of the whole sequence */
        double ag = ms_coll_time_s(MS_COLL_ALL_GATHER, kv_bytes, cp, tp, &fab);
        double rs = ms_coll_time_s(MS_COLL_REDUCE_SCATTER, kv_bytes, cp, tp, &fab);
        /* ring: what the attention core does not cover; all-gather: the whole collectives */
        double cover = p->cp_allgather ? 0.0 : c.att_fwd;
        double fwd_exp = ag > cover ? ag - cover : 0.0;
        double bwd_exp = (ag + rs) > 2.0 * cover ? (ag + rs) - 2.0 * cover : 0.0;
        c.cp = fwd_exp * (1.0 + rf) + bwd_exp;
    } else {
        c.cp = 0.0;
    }

    /* ---- stages ---------------------------------------------------------------------------- */
    double lps = (double)m->layers / pp;                       /* layers per stage (mean) */
    double layer_total = c.fwd + c.bwd + c.rc + c.tp + c.ep + c.cp;
    double logit_flops = 2.0 * T * h * x.V / tp;
    double Fl = F * ms_gemm_shape_efficiency_at(T, x.V / tp, h, a->compute_units, ms_gemm_tile_speed(F, a->compute_units));
    /* + the fp32 cross-entropy as PyTorch runs it (log_softmax then nll_loss, float32 under
     * autocast), bytes per logit: forward upcast (read 2, write 4), log_softmax (two reads of 4,
     * write 4); backward nll_loss_backward's zero-filled gradient (write 4), log_softmax_backward
     * (read 4 + 4, write 4), downcast (read 4, write 2): 40 B (16 B before: one fp32 pass each way) */
    double logit_t = 3.0 * logit_flops / Fl + MS_DIST_CE_BYTES_PER_LOGIT * T * x.V / tp / BW;
    /* the logit GEMMs' epilogues: the 16-bit logits, the hidden-state gradient, the embedding's
     * weight gradient (the cross-entropy above reads the logits and writes their gradient) */
    if (a->compute_units > 0 && x.V > 0) logit_t += wb * (T * x.V / tp + T * h + x.V * h / tp) / BW;
    double t_stage = lps * layer_total;
    double t_mean = t_stage + logit_t / pp;
    /* When pp·v does not divide the layers, the busiest stage holds ceil(L/(pp·v))·v of them and the
     * last stage (which also computes the logits) the rounded-down share, as Llama 3 split 126 layers
     * over 16 stages (Dubey et al. 2024 §3.3.2). With an even split both are L/pp. */
    double chunk_hi = ceil((double)m->layers / (pp * v)), chunk_lo = floor((double)m->layers / (pp * v));
    /* ZeRO-3 / FSDP HBM work per micro-batch beside the GEMMs (counted from the shapes, at the
     * memory-bound kernels' bandwidth): the full 16-bit gradient of the stage copied into the
     * reduce-scatter's flat input (read + write wb per parameter: FSDP's flat-parameter gradient,
     * FSDP2's chunk_cat copy-in); on the local shard, the fp32 master cast to 16 bits before each
     * of the two gathers (read 4, write wb; PyTorch FSDP MixedPrecision.param_dtype) and the
     * reduce-scattered 16-bit gradient accumulated into the fp32 sharded gradient (read wb + 4,
     * write 4). Recompute reuses the backward's gathered layer. 0 without ZeRO-3. */
    /* The weights' replicas: the dp·cp ranks of a (tp rank, stage) pair, tp apart (Megatron order
     * tp, cp, dp, pp). Context-parallel ranks hold the same weights and each computes a partial
     * gradient of them on its part of the sequence, so gradients are reduced, and ZeRO state
     * sharded, over all dp·cp of them: Megatron-Core's data-parallel group "with context parallel"
     * (its DDP and distributed optimizer), torchtitan's FSDP mesh dp_shard_cp. Hybrid sharding:
     * the state is sharded over zs of those ranks (shard_group data-parallel ranks, each with its
     * cp ranks) and replicated nrep times. */
    int rg = dp * cp, zs = ms_scale_shard_ranks(p, dp, cp), nrep = rg / zs;
    double stage_mlp = lps * x.E / ep * x.mlp_params / tp;     /* the MLP's, a MoE rank's experts */
    double stage_params = (lps * (x.attn_params + x.norm_params) + x.embed_params / pp) / tp + stage_mlp;
    /* a rank's ZeRO shard: the dense weights' 1/zs, a MoE rank's experts' 1/(zs/ep) (memory.c) */
    double stage_shard = (stage_params - stage_mlp) / zs
                       + stage_mlp / ms_scale_expert_shard_ranks(&x, zs, ep);
    double z3_mem = 0.0;
    if (p->zero_stage >= 3 && rg > 1)
        z3_mem = (2.0 * wb * stage_params + stage_shard * (2.0 * (4.0 + wb) + wb + 8.0)) / BW;
    double t_last = chunk_lo * v * layer_total + logit_t + z3_mem;
    double t_busy = chunk_hi * v * layer_total + z3_mem;
    double t_max = t_busy > t_last ? t_busy : t_last;
    /* the host's issue time per micro-batch (header, "host"): the last stage's, and the busiest's,
     * which holds the embedding when there is a pipeline */
    double t_op = p->host_op_s > 0 ? p->host_op_s : p->host_op_s < 0 ? 0.0 : MS_DIST_HOST_OP_S;
    double k_layer = host_kernels(&x, p, tp, sp, ep, cp, rf, passes);
    double h_last = t_op * (chunk_lo * v * k_layer + MS_DIST_HOST_LAST_KERNELS + (pp == 1 ? MS_DIST_HOST_FIRST_KERNELS : 0.0));
    double h_busy = t_op * (chunk_hi * v * k_layer + MS_DIST_HOST_FIRST_KERNELS);
    double h_max = pp == 1 ? h_last : fmax(h_last, h_busy);
    double h_mean = t_op * (lps * k_layer + (MS_DIST_HOST_FIRST_KERNELS + MS_DIST_HOST_LAST_KERNELS) / pp);

    /* pipeline point-to-point */
    double p2p = 0.0, p2p_total = 0.0;
    if (pp > 1) {
        double bytes = T * h * wb / tp;                        /* scatter/gather: 1/tp per rank */
        int cross_node = (tp * cp * dp) >= g;                  /* Megatron order: tp, cp, dp, pp */
        double bw = cross_node ? fab.inter_bw_bytes_per_s / g : fab.intra_bw_bytes_per_s;
        double al = cross_node ? f->inter_alpha_s : f->intra_alpha_s;
        double xfer = al + bytes / bw;                         /* one transfer */
        p2p_total = 2.0 * v * xfer * mb;
        /* overlapped: a transfer is hidden behind the next chunk's compute (a chunk of one layer
         * takes milliseconds, a transfer tens to hundreds of microseconds); the fill's first
         * forward and the drain's last backward wait for theirs, one hop per stage each */
        p2p = p->pp_comm_overlap && v > 1 ? fmin(p2p_total, 2.0 * (pp - 1) * xfer) : p2p_total;
    }

    /* ZeRO-3 parameter gathers (per micro-batch) */
    double z3 = 0.0, z3_exposed = 0.0, interference = 0.0;
    double units = lps + 1.0;                                  /* FSDP units: layers + the root */
    if (p->zero_stage >= 3 && rg > 1) {
        int stride = p->flat_dp_collectives ? g : tp;          /* the replicas are tp apart */
        double bytes = stage_params * wb;
        /* the stack's sharded collectives at their software efficiency of the achievable links */
        double se = p->sharded_coll_efficiency > 0 ? p->sharded_coll_efficiency : MS_DIST_SHARDED_COLL_EFFICIENCY;
        ms_dist_fabric_t zf = fab;
        zf.intra_bw_bytes_per_s *= se;
        zf.inter_bw_bytes_per_s *= se;
        double l_ag = 0.0, l_rs = 0.0, l_rep = 0.0;
        double ag = per_unit(MS_COLL_ALL_GATHER, bytes, units, zs, stride, &zf, &l_ag);
        double rs = per_unit(MS_COLL_REDUCE_SCATTER, bytes, units, zs, stride, &zf, &l_rs);
        /* hybrid sharding: each rank's reduced shard all-reduced with its nrep replicas (the same
         * rank of every shard group, zs·stride apart), after each backward as FSDP runs it */
        double rep = per_unit(MS_COLL_ALLREDUCE_RING, bytes / zs, units, nrep, stride * zs, &zf, &l_rep);
        out->sharded_units = units;
        out->sharded_latency_s = mb * (2.0 * l_ag + l_rs + l_rep);
        double per_mb = 2.0 * ag + rs + rep; /* recompute reuses the backward's gathered layer */
        z3 = per_mb * mb;
        /* each micro-batch gathers and reduces the whole stage, a short last one too, with less
         * compute beside it (its token-proportional work scaled, the FSDP copies whole) */
        int full = short_mb ? mb - 1 : mb;
        double beyond, e = exposed_beside(per_mb, t_last, p->overlap_dp, ov_f, &beyond);
        z3_exposed = e * full;
        interference += beyond * full;
        if (short_mb) {
            double comp = (double)short_mb / b * (t_last - z3_mem) + z3_mem;
            z3_exposed += exposed_beside(per_mb, comp, p->overlap_dp, ov_f, &beyond);
            interference += beyond;
        }
    }

    /* data-parallel gradient reduction (once per step) */
    double dp_t = 0.0, dp_exposed = 0.0;
    if (rg > 1 && p->zero_stage < 3) {
        double bytes = stage_params * wb;
        int stride = p->flat_dp_collectives ? g : tp;
        if (p->zero_stage == 0)
            dp_t = ms_coll_time_s(MS_COLL_ALLREDUCE_RING, bytes, rg, stride, &fab);
        else {   /* inside the shard group, and the shard across its replicas (hybrid) */
            double u = p->zero_stage == 2 ? units : 1.0, lat = 0.0;
            dp_t = per_unit(MS_COLL_REDUCE_SCATTER, bytes, u, zs, stride, &fab, &lat)
                 + per_unit(MS_COLL_ALLREDUCE_RING, bytes / zs, u, nrep, stride * zs, &fab, &lat)
                 + per_unit(MS_COLL_ALL_GATHER, bytes, u, zs, stride, &fab, &lat);
            if (p->zero_stage == 2) {
                out->sharded_units = u;
                out->sharded_latency_s = lat;
            }
        }
        double hide = lps * c.bwd, beyond;                     /* last micro-batch's backward */
        dp_exposed = exposed_beside(dp_t, hide, p->overlap_dp, ov_f, &beyond);
        interference += beyond;
    }

    double opt_params = p->zero_stage >= 1 ? stage_shard : stage_params;
    /* fused: read the gradient and the optimizer state, write the state (28 B for mixed Adam);
     * unfused: PyTorch's element-wise passes (88 B for Adam, the same ratio for another state)
     * and gradient-norm clipping's two passes (distributed.h, ms_dist_opt_impl_t) */
    double opt_state = p->optimizer_bytes_per_param > 0 ? p->optimizer_bytes_per_param
                     : p->optimizer_bytes_per_param < 0 ? 0.0 : 12.0;
    double opt_bytes = opt_state > 0 ? 4.0 + 2.0 * opt_state : 0.0;
    if (p->optimizer_impl != MS_DIST_OPT_FUSED && opt_bytes > 0)
        opt_bytes = opt_bytes * (MS_DIST_UNFUSED_ADAM_BYTES / MS_DIST_FUSED_ADAM_BYTES) + MS_DIST_GRAD_CLIP_BYTES;
    double t_opt = opt_bytes * opt_params / BW;

    /* a short last micro-batch (pp = 1 only) takes its share of the token-proportional work and
     * the FSDP copies in full */
    double mb_kern = mbf * (t_max - z3_mem) + mb * z3_mem;
    /* where issuing a micro-batch takes longer than running it, the GPU waits on the host; a short
     * last micro-batch issues every kernel of a whole one */
    double host_wait = 0.0;
    if (h_max > 0) {
        int full = short_mb ? mb - 1 : mb;
        host_wait = full * fmax(0.0, h_max - t_max);
        if (short_mb) host_wait += fmax(0.0, h_max - ((double)short_mb / b * (t_max - z3_mem) + z3_mem));
    }
    double t_slot = fmax(t_mean, h_mean);                      /* a bubble slot waits on the host too */
    double pipe = mb_kern + host_wait + (pp - 1.0) / v * t_slot;
    /* FP8: the busiest stage's weights cast once per step */
    double t_wcast = chunk_hi * v * cast_w;
    /* the optimizer's kernels are issued after the last backward's: the GPU waits on them only
     * beyond its own optimizer time and what it still has queued, at least the last micro-batch's
     * margin of GPU time over issue time (none where the micro-batches already wait on the host) */
    double h_opt = opt_state > 0 ? t_op * opt_kernels(m, &x, p, lps, pp, ep, opt_params) : 0.0;
    double opt_wait = fmax(0.0, h_opt - t_opt - (h_max >= t_max ? 0.0 : t_max - h_max));
    double step = pipe + p2p + z3_exposed + dp_exposed + t_opt + t_wcast + opt_wait;

    out->accelerators = accelerators;
    out->dp = dp;
    out->microbatches = mb;
    out->step_time_s = step;
    out->bubble_s = (pp - 1.0) / v * t_slot;
    out->host_wait_s = host_wait + opt_wait;
    out->host_issue_s = mbf * h_max + h_opt;
    out->bubble_fraction = out->bubble_s / step;
    out->tp_comm_s = mbf * lps * c.tp;
    out->tp_comm_total_s = mbf * lps * tp_total;
    out->ep_comm_s = mbf * lps * c.ep;
    out->cp_comm_s = mbf * lps * c.cp;
    out->pp_comm_s = p2p;
    out->pp_comm_total_s = p2p_total;
    out->dp_comm_total_s = dp_t;
    out->dp_comm_s = dp_exposed;
    out->zero_comm_s = z3_exposed;
    out->communication_s = out->tp_comm_s + out->ep_comm_s + out->cp_comm_s + p2p + dp_exposed + z3_exposed;
    out->optimizer_s = t_opt;
    out->compute_s = mb_kern - mbf * lps * (c.tp + c.ep + c.cp);
    {
        /* split compute_s by the GEMM share of the critical stage's kernels */
        int last = t_last > t_busy;
        double nl = last ? chunk_lo * v : chunk_hi * v;
        double mm = nl * layer_mm + (last ? 3.0 * logit_flops / Fl : 0.0);
        double kern = nl * layer_kern + (last ? logit_t : 0.0) + z3_mem;
        double share = kern > 0 ? mm / kern : 0.0;
        out->matmul_s = out->compute_s * share;
        out->compute_s += t_wcast;
        out->memory_bound_s = out->compute_s - out->matmul_s;
    }
    out->zero_comm_total_s = z3;
    out->overlap_interference_s = interference;
    double B = p->global_batch;
    out->tokens_per_s = B * s / step;
    out->model_flops = ms_dist_model_flops(m, B);
    out->hardware_flops = ms_dist_plan_hardware_flops(m, B, p);
    out->tflops_per_accelerator = out->hardware_flops / step / accelerators / 1e12;
    /* against the peak of the format the linear layers run in (FP8 runs report MFU of the FP8
     * peak, as NVIDIA's NeMo tables do) */
    double mfu_peak = a->linear_peak_flops > 0 ? a->linear_peak_flops : a->peak_flops;
    out->mfu = out->model_flops / step / (accelerators * mfu_peak);
    out->hfu = out->hardware_flops / step / (accelerators * mfu_peak);
    out->clock_fraction = clk;                /* MFU and HFU stay against the datasheet peak */

    ms_dist_parallel_t pr = *p;
    pr.dp = dp;
    pr.microbatch = b;                                         /* the replica's batch if smaller */
    rc = ms_dist_train_memory(m, &pr, &out->memory, err, errlen);
    if (rc) return rc;
    out->fits = a->mem_capacity_bytes <= 0 || out->memory.total_bytes <= a->mem_capacity_bytes;
    return MS_DIST_OK;
}
