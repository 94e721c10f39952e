/* dlrm.c - DLRM-style recommenders (Naumov et al. 2019; DCN-v2 interaction, Wang et al. 2021)
 * counted from their shapes.
 *
 * With F = tables + 1 vectors of width d (the bottom MLP's output and one pooled embedding per
 * table):
 *   parameters  embedding tables rows·d; bottom and top MLPs Σ in·out + out; DCN-v2 low-rank cross
 *               layers 2·(F·d)·r + F·d each (x_{l+1} = x_0 ⊙ (U(V^T x_l) + b) + x_l).
 *   FLOPs       2 x MACs of the MLPs; the interaction: pairwise dots F·F·d MACs (the batched
 *               matmul computes the full square; the strictly lower triangle, F(F-1)/2 values, is
 *               kept and concatenated with the bottom output), or 2·F·d·r MACs per cross layer;
 *               sum pooling adds (lookups - tables)·d. The embedding lookups do no arithmetic:
 *               they are gathers of `lookups` rows of d elements per sample, so the tables make
 *               the model bandwidth-bound (Naumov et al. §4; Gupta et al., "The Architectural
 *               Implications of Facebook's DNN-based Personalized Recommendation", HPCA 2020).
 * Inference (B samples): bytes = the MLP and cross weights once + B x lookups x d x weight bytes
 * (the gathered rows) + every activation written and read once; memory = all weights (the tables
 * dominate) + the batch's activations.
 * Training: MLPs and cross layers forward + backward (3 x forward FLOPs); the tables get sparse
 * gradients (only the B x lookups rows gathered) and a row-wise Adagrad state, one fp32 per row
 * (the fused embedding optimizer of TorchRec the MLPerf reference uses), whatever optimizer the
 * dense part has; bytes = dense state read and written + each gathered row read in the forward and
 * read and written in the update (3 x the gather) + its Adagrad row state read and written.
 */
#include "kinds.h"

#include <string.h>

void ms__dlrm_derive(ms_model *m)
{
    ms_dlrm_arch *a = &m->dlrm;
    double d = a->dim, F = a->tables + 1.0;
    double params = 0, macs = 0, act = 0, in = a->dense_features;
    int blocks = 0;
    for (int i = 0; i < a->n_bottom; i++) {
        params += in * a->bottom[i] + a->bottom[i];
        macs += in * a->bottom[i];
        act += a->bottom[i];
        in = a->bottom[i];
        blocks++;
    }
    double x = F * d;                                     /* the vectors that interact */
    if (a->cross_layers > 0) {
        for (int i = 0; i < a->cross_layers; i++) {
            params += 2.0 * x * a->cross_rank + x;
            macs += 2.0 * x * a->cross_rank;
            act += a->cross_rank + x;
            blocks++;
        }
        in = x;
    } else {
        macs += F * F * d;
        in = d + F * (F - 1) / 2;
        act += F * F;
        blocks++;
    }
    act += x + in;
    for (int i = 0; i < a->n_top; i++) {
        params += in * a->top[i] + a->top[i];
        macs += in * a->top[i];
        act += a->top[i];
        in = a->top[i];
        blocks++;
    }
    a->dense_params = params;
    a->embedding_params = a->rows * d;
    double pool_adds = a->lookups > a->tables ? (a->lookups - a->tables) * d : 0.0;
    a->dense_flops = 2.0 * macs + pool_adds;
    a->interaction_elems = x;
    a->act_elems = act;
    a->blocks = blocks + 1;                               /* + the embedding lookup */
    m->params = m->params_active = a->dense_params + a->embedding_params;
    m->params_matmul = macs;
    m->fwd_flops = a->dense_flops;
    m->layers = a->blocks;
    m->attn_flops_per_pair = 0;
    m->kv_elems_per_token = 0;
}

double ms_dlrm_gather_bytes(const ms_model *m, double bytes)
{
    return m->kind == MS_MODEL_DLRM ? m->dlrm.lookups * m->dlrm.dim * bytes : 0.0;
}

void ms__dlrm_step(const ms_model *m, const ms_workload *w, ms__step *s)
{
    const ms_dlrm_arch *a = &m->dlrm;
    double b = ms_precision_bytes(w->precision);
    double B = w->batch_size > 0 ? w->batch_size : 1;
    memset(s, 0, sizeof *s);
    s->items = B;
    s->activations = B * a->act_elems * b;
    if (w->mode == MS_MODE_TRAINING) {
        double gather = B * ms_dlrm_gather_bytes(m, b);
        s->flops = 3.0 * B * a->dense_flops;
        s->hw_flops = s->flops + (w->recompute == MS_RECOMPUTE_FULL ? B * a->dense_flops : 0.0);
        double dense_w = a->dense_params * b;
        double dense_o = a->dense_params * ms_optimizer_bytes_per_param(w->optimizer, w->precision);
        s->weights = dense_w + a->embedding_params * b;
        s->gradients = dense_w + gather;                  /* sparse: the rows the batch touched */
        s->optimizer = dense_o + 4.0 * a->rows;           /* row-wise Adagrad: one fp32 per row */
        s->bytes = 2.0 * (2.0 * dense_w + dense_o) + 3.0 * gather + 2.0 * 4.0 * B * a->lookups +
                   2.0 * s->activations;
        s->overhead_layers = 3.0 * a->blocks;
        return;
    }
    double wb = w->weight_bytes > 0 ? w->weight_bytes : b;
    s->flops = s->hw_flops = B * a->dense_flops;
    s->weights = (a->dense_params + a->embedding_params) * wb;
    s->bytes = a->dense_params * wb + B * ms_dlrm_gather_bytes(m, wb) + 2.0 * s->activations;
    s->overhead_layers = a->blocks;
}
