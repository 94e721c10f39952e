/* memory.c - training memory per accelerator: weights, gradients, optimizer state, activations.
 *
 * Model state (Rajbhandari et al., "ZeRO", SC'20 §3.1): mixed-precision Adam keeps 2 B weights +
 * 2 B gradients + 12 B optimizer (fp32 master, momentum, variance) = 16 B/param; fp32 Adam keeps
 * 4 + 4 + 8 = 16 B/param; SGD with momentum 4 B (+4 B fp32 master when mixed).
 * Parameters are split over TP·PP; ZeRO-1 shards optimizer state over DP, ZeRO-2 also gradients,
 * ZeRO-3 also weights.
 *
 * Activations per transformer layer (Korthikanti et al., "Reducing Activation Recomputation in
 * Large Transformer Models", MLSys'23, Table 2; bytes with 16-bit activations, s = sequence,
 * b = micro-batch, h = hidden, a = heads, t = TP degree):
 *   no recompute, TP only        s·b·h·(10 + 24/t + 5·a·s/(h·t))
 *   no recompute, TP + seq-par   s·b·h·(34/t + 5·a·s/(h·t))
 *   selective recompute          s·b·h·(10 + 24/t)   (with seq-par: 34·s·b·h/t)
 *   full recompute               2·s·b·h (layer input only; /t with seq-par)
 * scaled by bytes(precision)/2. With pipeline parallelism and 1F1B the first stage holds
 * min(pp, microbatches) micro-batches of its ceil(L/pp) layers (Korthikanti §4.2.3). The output
 * layer adds 4·s·b·V/t (fp32 logits). Full recompute adds one layer's full activations (the layer
 * being recomputed during backward).
 * Non-transformers: activations per sample = every tensor the backward pass needs, counted on the
 * model's layer graph (registry `graph`, cnn_graph.c; ResNet-50: 28.3 M elements per 224x224
 * image); without a graph the peak live activations, else 10 % of the weight bytes (upstream
 * MLSys·im's heuristic; an approximation).
 */
#include "mlsysim/physics.h"

#include <math.h>

void ms_train_config_default(ms_train_config *c)
{
    c->micro_batch = 1;
    c->seq_len = 2048;
    c->precision = MS_FP16;
    c->optimizer = MS_OPT_ADAM;
    c->recompute = MS_RECOMPUTE_NONE;
    c->tp = c->pp = c->dp = 1;
    c->zero_stage = 0;
    c->sequence_parallel = 0;
    c->microbatches = 1;
}

double ms_optimizer_bytes_per_param(ms_optimizer o, ms_precision p)
{
    int mixed = ms_precision_bytes(p) < 4.0;
    switch (o) {
    case MS_OPT_ADAM: return 8.0 + (mixed ? 4.0 : 0.0);
    case MS_OPT_SGD: return 4.0 + (mixed ? 4.0 : 0.0);
    case MS_OPT_NONE: return 0.0;
    }
    return 0.0;
}

static double layer_act_bytes(const ms_arch *a, double s, double b, double t, int sp, ms_recompute rc)
{
    double h = a->hidden, heads = a->heads;
    double attn = 5.0 * heads * s / (h * t);
    double x;
    switch (rc) {
    case MS_RECOMPUTE_FULL: x = sp ? 2.0 / t : 2.0; break;
    case MS_RECOMPUTE_SELECTIVE: x = sp ? 34.0 / t : 10.0 + 24.0 / t; break;
    default: x = sp ? 34.0 / t + attn : 10.0 + 24.0 / t + attn; break;
    }
    return s * b * h * x;
}

void ms_training_memory(const ms_model *m, const ms_train_config *c, ms_train_memory *out)
{
    double tp = c->tp > 0 ? c->tp : 1, pp = c->pp > 0 ? c->pp : 1, dp = c->dp > 0 ? c->dp : 1;
    double bytes = ms_precision_bytes(c->precision);
    double per_rank = m->params / (tp * pp);
    double w = per_rank * bytes;
    double g = per_rank * bytes;
    double o = per_rank * ms_optimizer_bytes_per_param(c->optimizer, c->precision);
    if (c->zero_stage >= 1) o /= dp;
    if (c->zero_stage >= 2) g /= dp;
    if (c->zero_stage >= 3) w /= dp;

    double mb = c->micro_batch > 0 ? c->micro_batch : 1;
    double act;
    if (m->kind == MS_MODEL_TRANSFORMER) {
        const ms_arch *a = &m->arch;
        double s = c->seq_len > 0 ? c->seq_len : 1;
        double scale = bytes / 2.0;
        double layers_here = ceil(a->layers / pp);
        double mbs = c->microbatches > 0 ? c->microbatches : 1;
        double inflight = pp > 1 ? (pp < mbs ? pp : mbs) : 1;
        double per_layer = layer_act_bytes(a, s, mb, tp, c->sequence_parallel, c->recompute) * scale;
        act = per_layer * layers_here * inflight;
        if (c->recompute == MS_RECOMPUTE_FULL)
            act += layer_act_bytes(a, s, mb, tp, c->sequence_parallel, MS_RECOMPUTE_NONE) * scale;
        if (!a->encoder) act += 4.0 * s * mb * a->vocab / tp;   /* fp32 logits of the last stage */
    } else {
        /* from the layer graph when the registry has one (every saved tensor counted), else the
         * peak live activations, else upstream's 10 % of the weights */
        double per_sample = m->saved_act_elems > 0 ? m->saved_act_elems * bytes
                          : m->act_peak_bytes > 0 ? m->act_peak_bytes * bytes : 0.1 * m->params * bytes;
        act = per_sample * mb;
    }
    out->weights_bytes = w;
    out->gradients_bytes = g;
    out->optimizer_bytes = o;
    out->activations_bytes = act;
    out->total_bytes = w + g + o + act;
}
