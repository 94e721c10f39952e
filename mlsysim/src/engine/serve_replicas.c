/* serve_replicas.c - `mlsysim serve --qps`: replica sizing of a served model as a library call.
 *
 * Each of a replica's `slots` concurrent sequences is a server of one M/M/c queue (c = replicas x
 * slots) whose mean service time is one request (the caller's TTFT + output_tokens x ITL). With a
 * given replica count the queue figures are those of that count; without one the count is the
 * fewest replicas (up to MS_SERVE_MAX_REPLICAS) that are stable and, when a p99 target is given,
 * meet it (ms_mmc_replicas_for_p99_slots: the library's one p99). Beside the M/M/c figures, the
 * same servers as M/D/c (every request of `serve` has the same lengths, so its service time is
 * fixed): ms_mgc with c_s^2 = 0 (Allen-Cunneen; Pollaczek-Khinchine exactly at c = 1). The
 * search stays on M/M/c, the conservative bound (its wait is twice the M/D/c one). */
#include "mlsysim/engine.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

ms_status ms_serve_replicas(double qps, double service_s, int slots, int replicas, double p99_target_s,
                            ms_serve_replicas_result *out, char *err, size_t errlen)
{
    if (!out) {
        if (err && errlen) snprintf(err, errlen, "serve replicas: no result to fill");
        return MS_ERR_INPUT;
    }
    memset(out, 0, sizeof *out);
    out->replicas = replicas > 0 ? replicas : 0;
    out->service_s = service_s;
    if (!(qps > 0) || !isfinite(qps) || !(service_s > 0) || !isfinite(service_s) || slots < 1 || replicas < 0 ||
        (long long)replicas * slots > INT_MAX || p99_target_s < 0 || isnan(p99_target_s)) {
        if (err && errlen)
            snprintf(err, errlen,
                     "serve replicas: arrival rate %g req/s, service time %g s, %d slots, %d replicas, p99 target %g s "
                     "(want rate and service time finite and > 0, slots >= 1, replicas >= 0 with 0 = search and "
                     "replicas x slots below 2^31, target >= 0 with 0 = none)",
                     qps, service_s, slots, replicas, p99_target_s);
        return MS_ERR_INPUT;
    }
    if (replicas > 0) {                                /* the figures at a given replica count */
        ms_mmc(qps, service_s, replicas * slots, &out->queue);
        ms_mgc(qps, service_s, 0.0, replicas * slots, &out->queue_md);
        out->found = out->queue.stable;
        if (!out->found && err && errlen)
            snprintf(err, errlen, "%d replicas are overloaded at %.4g req/s (utilization %.3g)", replicas, qps,
                     out->queue.utilization);
        return out->found ? MS_OK : MS_ERR_ASSERT;
    }
    double target = p99_target_s > 0 ? p99_target_s : INFINITY;
    int r = ms_mmc_replicas_for_p99_slots(qps, service_s, slots, target, MS_SERVE_MAX_REPLICAS);
    if (r <= 0) {
        if (err && errlen)
            snprintf(err, errlen, "no replica count up to %d meets p99 <= %.3g s (service time %.3g s)",
                     MS_SERVE_MAX_REPLICAS, p99_target_s, service_s);
        return MS_ERR_ASSERT;
    }
    out->replicas = r;
    out->found = 1;
    ms_mmc(qps, service_s, r * slots, &out->queue);
    ms_mgc(qps, service_s, 0.0, r * slots, &out->queue_md);
    return MS_OK;
}
