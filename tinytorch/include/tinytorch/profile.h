/* profile.h - where a training step's time and memory go (module 14).
 *
 * tt_profile_sequential runs a Sequential's forward (group by group of its fusion plan, as training
 * runs it: a layer alone, or a fused Conv2d + ReLU (+ MaxPool2d) as one timed call) and backward
 * (each tape node timed through tt_set_backward_hook and charged to the layer that recorded it) with a
 * cross-entropy loss, and reports per layer: forward FLOPs and bytes (counted from the shapes: the
 * minimal traffic of reading the input and weights and writing the output), forward and backward
 * seconds, share of the step, parameters, activation bytes; per op kind: backward calls and seconds;
 * and the step's arena peak. Profiling is a separate run that the normal training path never enters,
 * so it costs nothing when off; its own overhead is a clock read per layer and per tape node.
 *
 * The roofline's roof is measured on this machine: peak = our SGEMM at 512^3 on one thread (module 17,
 * best of 3), bandwidth = a STREAM-like triad a = b + s*c over three 32 MiB arrays (best of 5, 12 bytes
 * per element). tt_roofline_cached keeps both in a small JSON file per machine (keyed by CPU model and
 * SGEMM path) so they are measured once.
 */
#ifndef TINYTORCH_PROFILE_H
#define TINYTORCH_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "tinytorch/nn.h"

typedef struct tt_prof_layer {
    int index;                 /* position in the Sequential */
    char kind[32];             /* "Conv2d", "ReLU", "Linear", ... */
    double flops;              /* forward, per step (multiply-add = 2) */
    double bytes;              /* forward: input + weights + output, float32 */
    double seconds;            /* forward, mean per step */
    double backward_seconds;   /* mean per step */
    int64_t params;
    int64_t out_bytes;         /* activation this layer keeps for backward (its output) */
    int64_t out_shape[6];
    int out_ndim;
    int fused;                 /* layers run by the call timed here: 1 alone; k > 1 the first of a group
                                  the Sequential fuses into one kernel (seconds and backward_seconds are
                                  the group's); 0 inside the group above (no time of its own) */
} tt_prof_layer;

typedef struct tt_prof_op {
    char op[32];               /* tape node name ("conv2d", "linear", "relu", ...) */
    int64_t calls;             /* per step */
    double seconds;            /* backward, mean per step */
} tt_prof_op;

typedef struct tt_profile {
    int n;
    tt_prof_layer *layers;
    int n_ops;
    tt_prof_op *ops;
    int64_t batch;
    int steps;
    double forward_seconds, backward_seconds, loss_seconds; /* per step */
    double plain_step_seconds; /* the same step without the profiler's clocks (mean, run alternately) */
    size_t arena_peak_bytes;
    int64_t params, param_bytes;
} tt_profile;

typedef struct tt_roofline {
    double peak_flops;         /* FLOP/s, our SGEMM 512^3, one thread */
    double bw_bytes_per_s;     /* triad bandwidth */
    char cpu[128];             /* the CPU model the numbers belong to */
    char sgemm[16];            /* SGEMM path measured */
    bool cached;               /* read from the cache file */
} tt_roofline;

/* Profiles `steps` (>= 1, after one warm-up) forward + backward steps of seq (a Sequential) on the
 * input x [B, ...] with labels[B] under cross-entropy. Returns 0, or -1 with a message. */
int tt_profile_sequential(tt_layer *seq, const tt_tensor *x, const int32_t *labels, int steps, tt_profile *out,
                          char *err, size_t errlen);
void tt_profile_free(tt_profile *p);
/* The forward FLOPs of the call timed at layer i: its own, or its fused group's (all its layers'). */
double tt_prof_call_flops(const tt_profile *p, int i);

/* Measures the roof now. */
void tt_roofline_measure(tt_roofline *r);
/* Reads the roof from cache_path when it holds this machine's numbers, else measures and writes it
 * there (temp file + rename; a cache that cannot be written is not an error). cache_path NULL:
 * $XDG_CACHE_HOME/tinytorch/roofline.json or ~/.cache/tinytorch/roofline.json. */
void tt_roofline_cached(const char *cache_path, tt_roofline *r);
/* Writes r to the cache (same path rule); returns 0 or -1 when it cannot. */
int tt_roofline_store(const char *cache_path, const tt_roofline *r);

/* The roofline's prediction of a kernel's time on the machine r describes: the larger of its compute
 * time at the peak and its memory time at the bandwidth, max(flops / peak, bytes / bandwidth) (the
 * single-device roofline MLSys-im evaluates, with this machine's measured roof as the device). 0 for
 * a roof that is not positive. */
double tt_roofline_predict(const tt_roofline *r, double flops, double bytes);

/* JSON: {"batch", "steps", "forward_seconds", ..., "machine": {...}, "layers": [{"index", "kind",
 * "flops", "bytes", "seconds", "backward_seconds", "share", "gflops", "intensity", "params",
 * "out_bytes"}], "ops": [...]}. SVG: the roofline (log-log) with each layer as a point. Both written
 * atomically; return 0 or -1 with a message naming the file. */
int tt_profile_write_json(const tt_profile *p, const tt_roofline *r, const char *model, const char *path,
                          char *err, size_t errlen);
int tt_profile_write_svg(const tt_profile *p, const tt_roofline *r, const char *model, const char *path,
                         char *err, size_t errlen);

#endif
