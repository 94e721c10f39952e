/* economics.c - energy, carbon, water and cost of a fleet run; region placement (Walls 17, 18).
 *
 * Power per accelerator P = TDP·ms_power_fraction(u) for load u: 0.30·TDP idle, rising to TDP at
 * u = 0.5, where the board's power limit holds it (physics.h; upstream MLSys·im's line to TDP at
 * u = 1 with power_saturation = 1); IT energy E_IT = (P·N + P_node·(0.30 + 0.70·u)·nodes)·t,
 * P_node the rest of a node at full load (host CPUs, memory, NICs, switches, fans; e.g. a DGX H100
 * draws up to 10.2 kW, of which 8 × 700 W are GPUs: 4.6 kW, NVIDIA DGX H100 datasheet), which has no
 * early power limit and keeps the line (ms_power_fraction(u, 1)); an accelerator held at a power
 * limit below TDP (power_limit_w) draws at most that (and what the caller works out for it,
 * accel_power_w: ms_power_limited_w); facility energy E = E_IT·PUE (cooling and power delivery); carbon = E[kWh]·CI[g/kWh]/1000 kg;
 * water = E[kWh]·WUE L. TCO of the run = capex·t/amortisation (accelerators + node price per node) + maintenance (a fraction of capex
 * per year) + E·price. Defaults: PUE 1.12, $0.12/kWh, 3-year amortisation, 5 %/yr maintenance.
 */
#include "internal.h"
#include "mlsysim/physics.h"

#include <math.h>
#include <string.h>

#define J_PER_KWH 3.6e6
#define S_PER_YEAR (365.0 * 86400.0)

int ms_econ_run(const ms_dist_accel_t *a, int n, double t, double tokens, const ms_dist_grid_t *g,
                const ms_dist_econ_inputs_t *e, ms_dist_ops_t *out)
{
    if (!a || !g || !out || n <= 0 || t < 0) return MS_DIST_EINVAL;
    ms_dist_econ_inputs_t d = {0};
    if (!e) { e = &d; d.utilization = -1; }
    memset(out, 0, sizeof *out);
    double u = e->utilization < 0 ? 1.0 : (e->utilization > 1 ? 1.0 : e->utilization);
    double pw = a->tdp_w * ms_power_fraction(u, e->power_saturation);
    if (e->accel_power_w > 0) pw = e->accel_power_w;                            /* the caller's figure */
    if (a->power_limit_w > 0 && pw > a->power_limit_w) pw = a->power_limit_w;   /* held at its limit */
    double pue = g->pue > 0 ? g->pue : 1.12;
    double price = g->price_usd_per_kwh > 0 ? g->price_usd_per_kwh : 0.12;
    int per_node = e->accels_per_node > 0 ? e->accels_per_node : 0;
    double nodes = per_node > 0 ? ceil((double)n / per_node) : 0.0;
    double node_w = e->node_power_w > 0 ? e->node_power_w : 0.0;
    out->energy_node_j = node_w * ms_power_fraction(u, 1.0) * nodes * t;   /* linear: a maximum figure, like TDP */
    out->energy_it_j = pw * n * t + out->energy_node_j;
    out->energy_j = out->energy_it_j * pue;
    double kwh = out->energy_j / J_PER_KWH;
    out->carbon_kg = kwh * g->carbon_g_per_kwh / 1000.0;
    out->water_l = kwh * g->wue_l_per_kwh;
    double years = e->amortization_years > 0 ? e->amortization_years : 3.0;
    double infra = e->infra_multiplier > 0 ? e->infra_multiplier : 1.0;
    double maint = e->maintenance_frac_per_year > 0 ? e->maintenance_frac_per_year : 0.05;
    double capex_total = (a->unit_cost_usd * n + (e->node_price_usd > 0 ? e->node_price_usd : 0.0) * nodes) * infra;
    out->capex_usd = capex_total * (t / S_PER_YEAR) / years;
    out->maintenance_usd = capex_total * maint * (t / S_PER_YEAR);
    out->energy_cost_usd = kwh * price;
    out->cost_usd = out->capex_usd + out->maintenance_usd + out->energy_cost_usd;
    out->cost_per_mtok_usd = tokens > 0 ? out->cost_usd / (tokens / 1e6) : 0.0;
    return MS_DIST_OK;
}

int ms_dist_fleet_eval(const ms_dist_accel_t *a, const ms_dist_model_t *m,
                       const ms_dist_fabric_t *f, const ms_dist_train_t *t, double steps,
                       double duration_s, const ms_dist_reliability_t *r, const ms_dist_grid_t *g,
                       const ms_dist_econ_inputs_t *e, ms_dist_fleet_eval_t *out)
{
    if (!a || !m || !f || !t || !g || !out || t->accelerators <= 0 || !(t->step_time_s > 0))
        return MS_DIST_EINVAL;
    memset(out, 0, sizeof *out);
    ms_dist_reliability_t rd = {0};
    if (!r) r = &rd;
    int gpn = f->accels_per_node > 0 ? f->accels_per_node : 1;
    int nodes = (t->accelerators + gpn - 1) / gpn;
    double mtbf_s = ms_rel_cluster_mtbf_h(ms_rel_node_mtbf_h(r, gpn), nodes) * 3600.0;
    double ckpt_bytes = r->checkpoint_bytes > 0 ? r->checkpoint_bytes : 14.0 * ms_dist_params(m);
    double bw = r->storage_bw_bytes_per_s > 0 ? r->storage_bw_bytes_per_s : 100e9;
    double restart = r->restart_s > 0 ? r->restart_s : 300.0;
    double useful = steps > 0 ? steps * t->step_time_s : duration_s;
    if (!(useful > 0)) return MS_DIST_EINVAL;
    out->mtbf_s = mtbf_s;
    out->checkpoint_write_s = ms_rel_checkpoint_write_s(ckpt_bytes, bw);
    out->checkpoint_interval_s = ms_rel_young_daly_s(out->checkpoint_write_s, mtbf_s);
    out->goodput = ms_rel_goodput(out->checkpoint_interval_s, out->checkpoint_write_s, restart, mtbf_s);
    out->wall_time_s = out->goodput > 0 ? useful / out->goodput : INFINITY;
    out->failure_prob = ms_rel_failure_prob(out->wall_time_s, mtbf_s);
    double tokens = t->tokens_per_s * useful;
    ms_dist_econ_inputs_t ee = e ? *e : (ms_dist_econ_inputs_t){0};
    if (!e) ee.utilization = t->mfu;
    if (!isfinite(out->wall_time_s)) return MS_DIST_EINVAL;
    return ms_econ_run(a, t->accelerators, out->wall_time_s, tokens, g, &ee, &out->ops);
}

int ms_dist_search_placement(const ms_dist_accel_t *a, int n, double t, double tokens,
                             const ms_dist_grid_t *grids, int n_grids,
                             const ms_dist_econ_inputs_t *e, double tax,
                             ms_dist_placement_t *out, char *err, size_t errlen)
{
    if (!a || !grids || !out || n <= 0 || n_grids <= 0 || n_grids > 64 || !(t > 0) || tax < 0) {
        ms_scale_err(err, errlen, "placement: need 1..64 regions, accelerators > 0, duration > 0, carbon tax >= 0");
        return MS_DIST_EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->best = -1;
    for (int i = 0; i < n_grids; i++) {
        int rc = ms_econ_run(a, n, t, tokens, &grids[i], e, &out->ops[i]);
        if (rc) { ms_scale_err(err, errlen, "placement: region %d (%s) is invalid", i, grids[i].name ? grids[i].name : "?"); return rc; }
        out->objective_usd[i] = out->ops[i].cost_usd + out->ops[i].carbon_kg / 1000.0 * tax;
        if (out->best < 0 || out->objective_usd[i] < out->objective_usd[out->best]) out->best = i;
    }
    return MS_DIST_OK;
}
