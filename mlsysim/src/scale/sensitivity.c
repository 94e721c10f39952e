/* sensitivity.c - what a hardware figure of a training step must become to reach a target step
 * time (Wall 22, the inverse model). The forward question, which figure moves the step most
 * (Wall 21), is asked of the plan: ms_plan_sensitivity (engine/plan_sensitivity.c) varies the
 * same five figures through the plan's own evaluation.
 *
 * Synthesis: the step time is monotone non-increasing in every figure, so the smallest sufficient
 * factor is found by bisection on log(factor) in [1e-3, 1e3].
 */
#include "internal.h"

#include <math.h>

static const char *const knob_names[MS_KNOB_COUNT] = {
    "peak_flops", "mem_bw", "mem_capacity", "intra_bw", "inter_bw"
};

const char *ms_dist_knob_name(ms_dist_knob_t k)
{
    return (k >= 0 && k < MS_KNOB_COUNT) ? knob_names[k] : "?";
}

static void scale_knob(ms_dist_accel_t *a, ms_dist_fabric_t *f, ms_dist_knob_t k, double x)
{
    switch (k) {
    case MS_KNOB_PEAK_FLOPS: a->peak_flops *= x; break;
    case MS_KNOB_MEM_BW: a->mem_bw_bytes_per_s *= x; break;
    case MS_KNOB_MEM_CAPACITY: a->mem_capacity_bytes *= x; break;
    case MS_KNOB_INTRA_BW: f->intra_bw_bytes_per_s *= x; break;
    case MS_KNOB_INTER_BW: f->inter_bw_bytes_per_s *= x; break;
    default: break;
    }
}

static int meets(const ms_dist_accel_t *a, const ms_dist_model_t *m, const ms_dist_parallel_t *p,
                 const ms_dist_fabric_t *f, int n, ms_dist_knob_t k, double target, double x, int *ok)
{
    ms_dist_accel_t aa = *a;
    ms_dist_fabric_t ff = *f;
    scale_knob(&aa, &ff, k, x);
    ms_dist_train_t r;
    int rc = ms_dist_train_step(&aa, m, p, &ff, n, &r, NULL, 0);
    if (rc) return rc;
    *ok = r.step_time_s <= target && (k != MS_KNOB_MEM_CAPACITY || r.fits);
    return MS_DIST_OK;
}

int ms_dist_synthesize(const ms_dist_accel_t *a, const ms_dist_model_t *m,
                       const ms_dist_parallel_t *p, const ms_dist_fabric_t *f, int n,
                       ms_dist_knob_t knob, double target, double *factor, char *err, size_t errlen)
{
    if (!factor || knob < 0 || knob >= MS_KNOB_COUNT || !(target > 0)) {
        ms_scale_err(err, errlen, "synthesize: need a knob and a target step time > 0");
        return MS_DIST_EINVAL;
    }
    ms_dist_train_t probe;
    int rc = ms_dist_train_step(a, m, p, f, n, &probe, err, errlen);
    if (rc) return rc;
    double lo = log(1e-3), hi = log(1e3);
    int ok = 0;
    rc = meets(a, m, p, f, n, knob, target, exp(hi), &ok);
    if (rc) return rc;
    if (!ok) {
        ms_scale_err(err, errlen, "synthesize: even %s x1000 does not reach %g s per step", ms_dist_knob_name(knob), target);
        return MS_DIST_EINVAL;
    }
    rc = meets(a, m, p, f, n, knob, target, exp(lo), &ok);
    if (rc) return rc;
    if (ok) { *factor = exp(lo); return MS_DIST_OK; }
    for (int i = 0; i < 80; i++) {
        double mid = 0.5 * (lo + hi);
        rc = meets(a, m, p, f, n, knob, target, exp(mid), &ok);
        if (rc) return rc;
        if (ok) hi = mid; else lo = mid;
    }
    *factor = exp(hi);
    return MS_DIST_OK;
}
