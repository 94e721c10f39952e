/* plan_batching.c - `optimize batching` as a library call: the batch size and the fewest replicas
 * of an inference plan whose p99 latency meets a target at an arrival rate.
 *
 * A replica is the plan's tp x pp group (one accelerator without parallelism). Each candidate
 * batch b = 1..MS_BATCHING_MAX_BATCH is evaluated by ms_plan_eval on one replica, so a batch's
 * latency is exactly what `eval` reports for it (storage precisions, memory reserve, tensor and
 * pipeline parallelism, every model kind); a batch that does not fit is skipped. For a decoder LM
 * or a state-space model (the result has itl_s) a request is a prompt of seq_len tokens then
 * output_tokens decode steps: ttft_s + output_tokens x itl_s; for anything else one step
 * (latency_s). The queueing (batches of b arriving at qps/b, M/M/c over the replicas, the fill
 * time (b - 1)/qps added) is ms_dist_search_batching's. */
#include "mlsysim/distributed.h"
#include "mlsysim/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const ms_registry *reg;
    ms_plan one;               /* the plan reduced to one replica, without ops or asserts */
    ms_result res;
    int output_tokens;
    int per_request;
} batch_ctx;

static ms_status eval_batch(batch_ctx *x, int b)
{
    x->one.batch_size = b;
    return ms_plan_eval(x->reg, &x->one, &x->res);
}

static double batch_latency(int b, void *vctx)
{
    batch_ctx *x = vctx;
    double lat = -1, ttft, itl;
    if (eval_batch(x, b) == MS_OK) {
        if (x->per_request && ms_result_get(&x->res, "ttft_s", &ttft) && ms_result_get(&x->res, "itl_s", &itl))
            lat = ttft + itl * x->output_tokens;
        else if (!ms_result_get(&x->res, "latency_s", &lat))
            lat = -1;
    }
    ms_result_free(&x->res);
    return lat;
}

ms_status ms_plan_batching(const ms_registry *r, const ms_plan *p, double sla_s, double qps, int output_tokens,
                           ms_plan_batching_result *out, char *err, size_t errlen)
{
    if (!p || !out) {
        snprintf(err, errlen, "batching: no plan");
        return MS_ERR_INPUT;
    }
    memset(out, 0, sizeof *out);
    if (!(sla_s > 0) || !isfinite(sla_s) || !(qps > 0) || !isfinite(qps)) {
        snprintf(err, errlen, "batching: the p99 target (%g s) and the arrival rate (%g req/s) must be finite and > 0",
                 sla_s, qps);
        return MS_ERR_INPUT;
    }
    if (output_tokens < 1) {
        snprintf(err, errlen, "batching: output tokens %d (want >= 1)", output_tokens);
        return MS_ERR_INPUT;
    }
    if (p->mode != MS_MODE_INFERENCE) {
        snprintf(err, errlen, "%s: workload.mode: %s; batching is searched for inference plans (set mode: inference)",
                 p->path, ms_mode_name(p->mode));
        return MS_ERR_INPUT;
    }
    int tp = p->tp > 0 ? p->tp : 1, pp = p->pp > 0 ? p->pp : 1;
    batch_ctx *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errlen, "batching: out of memory");
        return MS_ERR_NOMEM;
    }
    x->reg = r;
    x->one = *p;
    x->one.count = tp * pp;
    x->one.dp = 1;
    x->one.has_ops = 0;
    x->one.n_asserts = 0;
    x->output_tokens = output_tokens;
    out->accelerators_per_replica = tp * pp;
    out->output_tokens = output_tokens;
    /* batch 1 first: a plan the engine refuses is bad input, one that does not fit even at batch
     * 1 does not fit; whether a request is prompt + output is what the engine reports (itl_s) */
    ms_status st = eval_batch(x, 1);
    double v;
    x->per_request = ms_result_get(&x->res, "itl_s", &v);
    if (st == MS_ERR_INPUT) snprintf(err, errlen, "%s", x->res.error);
    else if (st == MS_ERR_MEMORY) {
        double need = 0, cap = 0;
        ms_result_get(&x->res, "memory_per_accelerator_bytes", &need);
        ms_result_get(&x->res, "memory_capacity_bytes", &cap);
        snprintf(err, errlen, "%s does not fit even at batch 1: %.4g GB per accelerator, %.4g GB usable "
                 "(use more accelerators per replica with parallelism.tp / pp, or smaller weight_precision)",
                 p->name[0] ? p->name : p->model.name, need / 1e9, cap / 1e9);
    }
    ms_result_free(&x->res);
    out->per_request = x->per_request;
    if (st == MS_ERR_INPUT || st == MS_ERR_MEMORY) {
        free(x);
        return st;
    }
    ms_dist_batching_t b;
    char e2[256];
    int ok = ms_dist_search_batching(batch_latency, x, MS_BATCHING_MAX_BATCH, sla_s, qps, MS_BATCHING_MAX_REPLICAS,
                                     &b, e2, sizeof e2) == MS_DIST_OK;
    free(x);
    if (!ok) {
        snprintf(err, errlen, "no batch size up to %d meets p99 <= %g s at %g req/s with <= %d replicas",
                 MS_BATCHING_MAX_BATCH, sla_s, qps, MS_BATCHING_MAX_REPLICAS);
        return MS_ERR_ASSERT;
    }
    out->batch_size = b.batch;
    out->replicas = b.replicas;
    out->batch_latency_s = b.batch_latency_s;
    out->p99_latency_s = b.p99_latency_s;
    out->utilization = b.utilization;
    out->throughput_per_s = b.throughput_per_s;
    return MS_OK;
}
