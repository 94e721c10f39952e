/* gemm_shape.c - how fast a GEMM of a given shape runs on a GPU's compute units, as a fraction of
 * the rate a large GEMM reaches (the efficiency η of a generation's calibration is that rate).
 *
 * A GEMM of M×N output in 128×128 tiles runs its tiles in waves over the compute units (SMs):
 *   wave quantization  tiles / (waves · units)   (a last wave that fills few SMs leaves the rest idle)
 *   tile quantization  M·N / padded M·N           (edge tiles computed in full)
 *   per-tile fixed cost worth 64 K-steps          K / (K + 64) (prologue, epilogue setup)
 * The fixed cost is a time (filling the tile's pipeline from memory, its set-up), about 0.98 µs:
 * 64 K-steps of A100's 16-bit main loop at its calibrated rate per SM (MS_GEMM_TILE_REF_SM_FLOPS).
 * A main loop that runs `speed` times that rate per SM (H100 16-bit: twice the dense FLOP per clock
 * per SM at a higher clock; FP8 twice that again) covers speed · 64 K-steps in it,
 * K / (K + 64 · speed); ms_gemm_tile_speed gives the speed of a rate.
 * A transformer layer's four GEMMs (QKV, output projection, MLP up, MLP down) are weighted by their
 * FLOPs into one rate. Both give 1 when the unit count is unknown (<= 0), so a device without it
 * runs at its flat η. Used by the fleet step (scale/train_step.c), whose GEMMs have thousands of
 * rows. Not used for serving: a prefill of 128 tokens is one 128-row tile, and at TP 4 a 70B
 * model's QKV GEMM is 20 tiles for 108 SMs (18 % here), where GEMM libraries pick smaller tiles or
 * split K to fill the GPU (mlsysim/validation/README.md, "Serving").
 */
#include "mlsysim/physics.h"

#include <math.h>

double ms_gemm_shape_efficiency(double M, double N, double K, int units)
{
    return ms_gemm_shape_efficiency_at(M, N, K, units, 1.0);
}

double ms_gemm_shape_efficiency_at(double M, double N, double K, int units, double speed)
{
    if (units <= 0 || !(M > 0) || !(N > 0) || !(K > 0)) return 1.0;
    const double tile = 128.0, k0 = 64.0 * (speed > 0 ? speed : 1.0);
    double tm = ceil(M / tile), tn = ceil(N / tile);
    double tiles = tm * tn;
    double waves = ceil(tiles / units);
    double wave_q = tiles / (waves * units);
    double tile_q = (M * N) / (tm * tile * tn * tile);
    return wave_q * tile_q * K / (K + k0);
}

double ms_gemm_tile_speed(double flops, int units)
{
    return units > 0 && flops > 0 ? flops / units / MS_GEMM_TILE_REF_SM_FLOPS : 1.0;
}

double ms_gemm_layer_rate(double T, double h, double qkv_n, double proj_k, double up_n, double down_k, int units)
{
    return ms_gemm_layer_rate_at(T, h, qkv_n, proj_k, up_n, down_k, units, 1.0);
}

double ms_gemm_layer_rate_at(double T, double h, double qkv_n, double proj_k, double up_n, double down_k, int units,
                             double speed)
{
    if (units <= 0 || !(T > 0) || !(h > 0)) return 1.0;
    double f_qkv = T * h * qkv_n, f_proj = T * h * proj_k, f_up = T * h * up_n, f_dn = T * down_k * h;
    double tq = f_qkv / ms_gemm_shape_efficiency_at(T, qkv_n, h, units, speed)
              + f_proj / ms_gemm_shape_efficiency_at(T, h, proj_k, units, speed)
              + f_up / ms_gemm_shape_efficiency_at(T, up_n, h, units, speed)
              + f_dn / ms_gemm_shape_efficiency_at(T, h, down_k, units, speed);
    double ft = f_qkv + f_proj + f_up + f_dn;
    return tq > 0 ? ft / tq : 1.0;
}
