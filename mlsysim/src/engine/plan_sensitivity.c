/* plan_sensitivity.c - the sensitivity of any plan to its hardware's figures: re-evaluates the
 * plan (ms_plan_eval, so every kind of workload and both the roofline and the fleet path) with
 * each of peak FLOP/s (every precision, dense and sparse), memory bandwidth and memory capacity
 * raised by pct %, one at a time, and, when the plan is a training step on the fleet model, its
 * links too: the intra-node bandwidth (the figure the fleet model reads, set as the plan's
 * intra_bw) and the inter-node fabric's bandwidth per port. It reports the relative change of
 * latency_s, (T_i - T) / T. The binding figure is the one whose increase shortens the step most; a
 * plan that does not fit binds on memory capacity whatever the times say (upstream MLSys·im's
 * SensitivitySolver, Wall 21, does the same for its roofline). Synthesis, the inverse question (Wall
 * 22), scales the same figures through the same evaluation until the plan reaches a target time. */
#include "mlsysim/engine.h"
#include "mlsysim/distributed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ms_plan_sensitivity_knobs[MS_PLAN_SENS_KNOBS] = {"peak_flops", "mem_bw", "mem_capacity",
                                                                   "intra_bw", "inter_bw"};

/* Raises one figure of the plan q by the factor f. intra_bw: the intra-node bandwidth the fleet
 * model reads for the unscaled plan (the plan's own, else its accelerator's link). A plan without
 * an inter-node fabric is one node: no traffic leaves it, so inter_bw changes nothing. */
static void grow(ms_plan *q, int knob, double f, double intra_bw)
{
    ms_hardware *h = &q->hw;
    if (knob == 0) {
        for (int i = 0; i < MS_PREC_COUNT; i++) {
            h->flops[i] *= f;
            h->sparse_flops[i] *= f;
        }
    } else if (knob == 1) {
        h->mem_bw_bytes_per_s *= f;
    } else if (knob == 2) {
        h->mem_bytes *= f;
    } else if (knob == 3) {
        q->intra_bw_bytes_per_s = intra_bw * f;
    } else if (q->has_fabric) {
        q->fabric.bw_bytes_per_s *= f;
    }
}

/* The fleet model's intra-node bandwidth for p, or 0 when p is not a training step on the fleet
 * model (then only the accelerator's figures are varied). */
static double fleet_intra_bw(const ms_plan *p)
{
    if (p->mode != MS_MODE_TRAINING) return 0;
    ms_dist_accel_t a;
    ms_dist_model_t m;
    ms_dist_parallel_t par;
    ms_dist_fabric_t f;
    char e[512];
    if (ms_plan_to_dist(p, &a, &m, &par, &f, e, sizeof e)) return 0;
    return f.intra_bw_bytes_per_s;
}

/* The plan's own latency, the start of both questions below. On success *qo (a copy of p without its
 * assertions: the question is the time, not the plan's targets) and *reso (for the re-evaluations) are
 * the caller's to free, and the evaluation's status is returned (MS_ERR_MEMORY: it does not fit); on
 * failure *qo is NULL and the error is returned. */
static ms_status base_latency(const ms_registry *r, const ms_plan *p, const char *who, ms_plan **qo,
                              ms_result **reso, double *base, double mem[2], char *err, size_t errlen)
{
    *qo = NULL;
    *reso = NULL;
    *base = 0;
    ms_plan *q = malloc(sizeof *q);
    ms_result *res = malloc(sizeof *res);
    if (!q || !res) {
        free(q);
        free(res);
        snprintf(err, errlen, "%s: out of memory", who);
        return MS_ERR_NOMEM;
    }
    *q = *p;
    q->n_asserts = 0;
    ms_status st = ms_plan_eval(r, q, res);
    if (st == MS_ERR_INPUT) snprintf(err, errlen, "%s", res->error);
    else if (!ms_result_get(res, "latency_s", base) || !(*base > 0)) {
        snprintf(err, errlen, "%s: the plan reports no latency", who);
        st = MS_ERR_INPUT;
    }
    if (mem) {
        ms_result_get(res, "memory_per_accelerator_bytes", &mem[0]);
        ms_result_get(res, "memory_capacity_bytes", &mem[1]);
    }
    ms_result_free(res);
    if (st == MS_ERR_INPUT) {
        free(q);
        free(res);
        return MS_ERR_INPUT;
    }
    *qo = q;
    *reso = res;
    return st;
}

/* The plan p with one figure scaled by x, evaluated in q/res (the caller's scratch; q's assertions
 * dropped): its latency_s into *t (left as it was when the plan is invalid) and eval's status. */
static ms_status latency_with(const ms_registry *r, ms_plan *q, ms_result *res, const ms_plan *p, int knob, double x,
                              double intra_bw, double *t)
{
    *q = *p;
    q->n_asserts = 0;
    grow(q, knob, x, intra_bw);
    ms_status st = ms_plan_eval(r, q, res);
    if (st != MS_ERR_INPUT) ms_result_get(res, "latency_s", t);
    ms_result_free(res);
    return st;
}

ms_status ms_plan_sensitivity(const ms_registry *r, const ms_plan *p, double pct, ms_plan_sensitivity_result *out,
                              char *err, size_t errlen)
{
    if (!p || !out) {
        snprintf(err, errlen, "sensitivity: no plan");
        return MS_ERR_INPUT;
    }
    memset(out, 0, sizeof *out);
    if (!(pct > 0) || !isfinite(pct) || pct > 1000) {
        snprintf(err, errlen, "sensitivity: pct %g (want > 0 and <= 1000)", pct);
        return MS_ERR_INPUT;
    }
    ms_plan *q;
    ms_result *res;
    double base;
    ms_status st = base_latency(r, p, "sensitivity", &q, &res, &base, NULL, err, errlen);
    if (!q) return st;
    out->base_latency_s = base;
    out->feasible = st != MS_ERR_MEMORY;
    double intra = fleet_intra_bw(p);
    out->n_knobs = intra > 0 ? MS_PLAN_SENS_KNOBS : MS_PLAN_SENS_HW_KNOBS;
    double f = 1.0 + pct / 100.0;
    int binding = 0;
    for (int k = 0; k < out->n_knobs; k++) {
        double t = base;
        latency_with(r, q, res, p, k, f, intra, &t);
        out->change[k] = (t - base) / base;
        if (out->change[k] < out->change[binding]) binding = k;
    }
    out->binding = out->feasible ? binding : 2;
    free(q);
    free(res);
    return out->feasible ? MS_OK : MS_ERR_MEMORY;
}

/* Synthesis (the inverse question, upstream's SynthesisSolver, Wall 22): the factor x in
 * [1e-3, 1e3] by which one figure alone must be scaled for latency_s <= target (and, for the
 * capacity, for the plan to fit), found by bisection on log x over ms_plan_eval (the latency is
 * monotone non-increasing in every figure); NAN when even x = 1000 does not reach it. */
static int reaches(const ms_registry *r, ms_plan *q, ms_result *res, const ms_plan *p, int knob, double x,
                   double intra_bw, double target)
{
    double t = INFINITY;
    ms_status st = latency_with(r, q, res, p, knob, x, intra_bw, &t);
    return st != MS_ERR_INPUT && t <= target && (knob != 2 || st != MS_ERR_MEMORY);
}

ms_status ms_plan_synthesis(const ms_registry *r, const ms_plan *p, double target_s, ms_plan_synthesis_result *out,
                            char *err, size_t errlen)
{
    if (!p || !out) {
        snprintf(err, errlen, "synthesis: no plan");
        return MS_ERR_INPUT;
    }
    memset(out, 0, sizeof *out);
    if (!(target_s > 0) || !isfinite(target_s)) {
        snprintf(err, errlen, "synthesis: target %g s (want > 0)", target_s);
        return MS_ERR_INPUT;
    }
    ms_plan *q;
    ms_result *res;
    double base, mem[2] = {0, 0};
    ms_status st = base_latency(r, p, "synthesis", &q, &res, &base, mem, err, errlen);
    if (!q) return st;
    out->base_latency_s = base;
    out->target_s = target_s;
    out->feasible = st != MS_ERR_MEMORY;
    out->memory_bytes = mem[0];
    out->capacity_bytes = mem[1];
    double intra = fleet_intra_bw(p);
    out->n_knobs = intra > 0 ? MS_PLAN_SENS_KNOBS : MS_PLAN_SENS_HW_KNOBS;
    int any = 0;
    for (int k = 0; k < MS_PLAN_SENS_KNOBS; k++) out->factor[k] = NAN;
    for (int k = 0; k < out->n_knobs; k++) {
        double lo = log(1e-3), hi = log(1e3);
        if (!reaches(r, q, res, p, k, exp(hi), intra, target_s)) continue;
        any = 1;
        if (reaches(r, q, res, p, k, exp(lo), intra, target_s)) {
            out->factor[k] = exp(lo);
            continue;
        }
        for (int i = 0; i < 80; i++) {
            double mid = 0.5 * (lo + hi);
            if (reaches(r, q, res, p, k, exp(mid), intra, target_s)) hi = mid;
            else lo = mid;
        }
        out->factor[k] = exp(hi);
    }
    free(q);
    free(res);
    if (!out->feasible) {
        snprintf(err, errlen, "the plan does not fit: needs %.3g GB per accelerator, has %.3g GB", mem[0] / 1e9,
                 mem[1] / 1e9);
        return MS_ERR_MEMORY;
    }
    if (!any) {
        snprintf(err, errlen, "no single figure up to x1000 reaches %g ms per step", target_s * 1e3);
        return MS_ERR_ASSERT;
    }
    return MS_OK;
}
