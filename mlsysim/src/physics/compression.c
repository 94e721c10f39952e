/* compression.c - quantization and pruning: effect on weight memory, bytes moved and latency.
 *
 * Quantization from `base` to `target` precision scales weight bytes by bytes(target)/bytes(base)
 * (fp16 -> int4 = 4x, not the 8x one gets against an fp32 baseline: the baseline is explicit) and
 * runs the roofline at the target's peak.
 * Pruning with sparsity s keeps (1 - s) of the weights:
 *   structured     rows/channels removed: weights and matmul FLOPs x (1 - s)
 *   unstructured   values x (1 - s) plus a 1-bit-per-weight mask; FLOPs unchanged (dense kernels)
 *   2:4            s = 0.5, 2 bits of index metadata per kept value (NVIDIA Ampere whitepaper,
 *                  2020, "Fine-grained structured sparsity"); runs at the sparse peak when the
 *                  hardware lists one, else at the dense peak with the dense FLOP count.
 * The latency comes from ms_eval on a copy of the model/hardware with those factors applied.
 */
#include "mlsysim/physics.h"

#include <math.h>

void ms_compress(const ms_model *m, const ms_hardware *hw, const ms_workload *w,
                 const ms_compress_input *c, ms_compress_result *o)
{
    ms_eval_result before, after;
    ms_workload wb = *w, wa = *w;
    wb.precision = c->base;
    wa.precision = c->target;
    ms_eval(m, hw, &wb, &before);

    ms_model m2 = *m;
    ms_hardware h2 = *hw;
    double s = c->sparsity > 0 && c->sparsity < 1 ? c->sparsity : 0;
    double bt = ms_precision_bytes(c->target);
    double byte_keep = 1.0, flop_keep = 1.0;
    switch (c->prune) {
    case MS_PRUNE_STRUCTURED: byte_keep = flop_keep = 1.0 - s; break;
    case MS_PRUNE_UNSTRUCTURED: byte_keep = (1.0 - s) + 1.0 / (8.0 * bt); break;
    case MS_PRUNE_2_4:
        byte_keep = 0.5 * (1.0 + 2.0 / (8.0 * bt));
        if (hw->sparse_flops[c->target] > 0) h2.flops[c->target] = hw->sparse_flops[c->target];
        break;
    default: break;
    }
    m2.params *= byte_keep;
    m2.params_active *= byte_keep;
    m2.params_matmul *= flop_keep;
    m2.fwd_flops *= flop_keep;
    ms_eval(&m2, &h2, &wa, &after);

    o->weights_before_bytes = m->params * ms_precision_bytes(c->base);
    o->weights_after_bytes = m2.params * bt;
    o->compression_ratio = o->weights_before_bytes / o->weights_after_bytes;
    o->latency_before_s = before.latency_s;
    o->latency_after_s = after.latency_s;
    o->bytes_before = before.bytes;
    o->bytes_after = after.bytes;
    o->speedup = before.latency_s / after.latency_s;
    o->feasible_before = before.feasible;
    o->feasible_after = after.feasible;
}
