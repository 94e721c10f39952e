/* kinds.h - internal: the workload kinds beyond transformers and CNNs (diffusion.c, ssm.c,
 * dlrm.c). Each kind derives its counts from its architecture once (ms_model_derive) and says
 * what one step is (FLOPs, bytes moved, memory by part, items); roofline.c turns a step into time
 * with the one roofline every model uses. */
#ifndef MLSYSIM_PHYSICS_KINDS_H
#define MLSYSIM_PHYSICS_KINDS_H

#include "mlsysim/physics.h"

/* One step of a workload, before the hardware is known. */
typedef struct {
    double flops;          /* model FLOPs of the step */
    double hw_flops;       /* FLOPs executed (with recomputation) */
    double bytes;          /* bytes moved to and from memory */
    double items;          /* images, tokens or samples the step produces */
    double weights, gradients, optimizer, activations, kv, state;   /* memory, bytes */
    double overhead_layers;/* layer passes that pay MS_LAYER_TAX_S each */
    int decode;            /* a decode step of a running request: no dispatch */
    /* the attention kernel's share of hw_flops and bytes when it runs after the step's GEMMs as a
     * kernel of its own (a decode step: KV cache read); its time adds to theirs. 0 = one kernel */
    double attn_flops, attn_bytes;
    /* with attn_bytes: the share of the shorter of the GEMMs' math and stream in series with the
     * longer (0 = their roofline max) */
    double gemm_serial;
} ms__step;

/* A decode step's GEMMs: the roofline's max(math, weight stream) plus the share `serial` of the
 * shorter in series (ms_serve_input.gemm_serial; outside [0, 1] it is 0). */
static inline double ms__decode_gemm_s(double math, double stream, double serial)
{
    double sig = serial > 0 && serial <= 1 ? serial : 0.0;
    return (math > stream ? math : stream) + sig * (math < stream ? math : stream);
}

void ms__diffusion_derive(ms_model *m);
void ms__ssm_derive(ms_model *m);
void ms__dlrm_derive(ms_model *m);

void ms__diffusion_step(const ms_model *m, const ms_workload *w, ms__step *s);
void ms__ssm_step(const ms_model *m, const ms_workload *w, ms__step *s);
void ms__dlrm_step(const ms_model *m, const ms_workload *w, ms__step *s);

/* The roofline (roofline.c) of one step on one accelerator: the same time, bottleneck, MFU,
 * energy and memory bookkeeping ms_eval gives every model. */
void ms__roofline(const ms_model *m, const ms_hardware *hw, const ms_workload *w, const ms__step *s,
                  ms_eval_result *o);

/* Prefill (TTFT) and decode (ITL) of an SSM, as ms_serve reports them for a transformer. */
ms_status ms__ssm_serve(const ms_model *m, const ms_hardware *hw, const ms_serve_input *in,
                        ms_serve_result *o);

#endif
