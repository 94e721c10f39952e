/* tinyml.c - microcontroller deployment check: does the model fit flash and SRAM, how long and how
 * much energy per inference.
 *   weights   = params x bytes(p) must fit flash (main memory when the part lists no flash)
 *   SRAM      = peak activation bytes (registry figure at int8, scaled to p) must fit SRAM
 *               (on MCUs the registry's `memory` is the SRAM); unknown -> 10 % of weight bytes
 *   latency   = forward FLOPs / (peak(p)·η) + dispatch    (MACs = FLOPs / 2; peak in OP/s)
 *   energy    = TDP x latency (an MCU runs at its active power for the whole inference)
 */
#include "mlsysim/physics.h"

void ms_tinyml(const ms_model *m, const ms_hardware *hw, ms_precision p, double eta,
               ms_tiny_result *o)
{
    double b = ms_precision_bytes(p);
    if (!(eta > 0 && eta <= 1)) eta = MS_DEFAULT_EFFICIENCY;
    o->weights_bytes = m->params * b;
    o->activation_bytes = m->act_peak_bytes > 0 ? m->act_peak_bytes * b : 0.1 * o->weights_bytes;
    o->flash_bytes = hw->flash_bytes > 0 ? hw->flash_bytes : hw->mem_bytes;
    o->sram_bytes = hw->sram_bytes > 0 ? hw->sram_bytes : hw->mem_bytes;
    o->fits_flash = o->weights_bytes <= o->flash_bytes;
    o->fits_sram = o->activation_bytes <= o->sram_bytes;
    double flops = ms_forward_flops(m, m->input_seq > 0 ? m->input_seq : 1);
    o->macs = flops / 2.0;
    o->latency_s = flops / (ms_hw_peak(hw, p) * eta) + hw->dispatch_s;
    o->energy_j = hw->tdp_w * o->latency_s;
}
