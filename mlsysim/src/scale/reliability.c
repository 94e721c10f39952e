/* reliability.c - failures and checkpointing at fleet scale (Walls 15 and 19).
 *
 * Components fail independently with exponential lifetimes, so a series system's failure rate is
 * the sum of its parts' rates: 1/MTBF = Σ n_i/MTBF_i. A cluster of N identical nodes has
 * MTBF_node/N. Young (1974): the checkpoint interval minimising lost work is τ = √(2δ·M) for a
 * checkpoint cost δ and MTBF M; Daly (2006) adds higher-order terms. Goodput (first order): each
 * interval loses δ to writing, and each failure loses on average τ/2 of work plus the restart R.
 * Defaults (component MTTFs) follow the upstream MLSys·im registry (GPU 50,000 h, NIC 150,000 h,
 * PSU 100,000 h).
 */
#include "internal.h"

#include <math.h>

double ms_rel_series_mtbf_h(const double *mtbf_h, const double *count, int n)
{
    double rate = 0.0;
    for (int i = 0; i < n; i++)
        if (mtbf_h[i] > 0 && count[i] > 0) rate += count[i] / mtbf_h[i];
    return rate > 0 ? 1.0 / rate : INFINITY;
}

double ms_rel_node_mtbf_h(const ms_dist_reliability_t *r, int g)
{
    ms_dist_reliability_t d = {0};
    if (!r) r = &d;
    double m[4] = { r->accel_mtbf_h > 0 ? r->accel_mtbf_h : 50000.0,
                    r->nic_mtbf_h > 0 ? r->nic_mtbf_h : 150000.0,
                    r->psu_mtbf_h > 0 ? r->psu_mtbf_h : 100000.0,
                    r->node_other_mtbf_h };
    double n[4] = { (double)(g > 0 ? g : 1),
                    (double)(r->nics_per_node > 0 ? r->nics_per_node : (g > 0 ? g : 1)),
                    (double)(r->psus_per_node > 0 ? r->psus_per_node : 2),
                    r->node_other_mtbf_h > 0 ? 1.0 : 0.0 };
    return ms_rel_series_mtbf_h(m, n, 4);
}

double ms_rel_cluster_mtbf_h(double node_mtbf_h, int nodes)
{
    return nodes > 0 ? node_mtbf_h / nodes : node_mtbf_h;
}

double ms_rel_failure_prob(double duration_s, double mtbf_s)
{
    if (!(mtbf_s > 0) || duration_s <= 0) return duration_s > 0 ? 1.0 : 0.0;
    return -expm1(-duration_s / mtbf_s);
}

double ms_rel_young_daly_s(double delta_s, double mtbf_s)
{
    if (delta_s <= 0 || !(mtbf_s > 0)) return 0.0;
    return sqrt(2.0 * delta_s * mtbf_s);
}

double ms_rel_daly_s(double delta_s, double mtbf_s)
{
    if (delta_s <= 0 || !(mtbf_s > 0)) return 0.0;
    if (delta_s >= 2.0 * mtbf_s) return mtbf_s;
    double r = delta_s / (2.0 * mtbf_s);
    return sqrt(2.0 * delta_s * mtbf_s) * (1.0 + sqrt(r) / 3.0 + r / 9.0) - delta_s;
}

double ms_rel_checkpoint_write_s(double bytes, double bw)
{
    if (bytes <= 0) return 0.0;
    return bw > 0 ? bytes / bw : INFINITY;
}

double ms_rel_goodput(double tau_s, double delta_s, double restart_s, double mtbf_s)
{
    if (!(tau_s > 0)) return 0.0;
    double lost = delta_s / tau_s;
    if (mtbf_s > 0 && isfinite(mtbf_s)) lost += (tau_s / 2.0 + restart_s) / mtbf_s;
    double g = 1.0 - lost;
    return g < 0 ? 0.0 : (g > 1 ? 1.0 : g);
}
