/* cmd_breakdown.c - `--breakdown`: a step split into parts that add up to it, for `eval` (one
 * plan) and `validate` (each published run): a fleet training step into matmul, memory-bound ops,
 * each collective left exposed, the pipeline bubble and the optimizer step; a roofline step into
 * its bound term, fixed overheads and TP / PP communication. Reads the result's keys, so every
 * command that fills them prints the same table (text) or "breakdown" list (JSON).
 */
#include "cli.h"
#include "mlsysim/distributed.h"

#include <stdio.h>
#include <string.h>

/* The parts of a training step, in the order a learner reads them. */
static const struct { const char *key, *name, *brief, *what; } parts[] = {
    {"matmul_s", "matmul", "matmul", "GEMMs of the slowest stage: QKV, projection, MLP, attention core, logits"},
    {"memory_bound_s", "memory-bound ops", "membound", "norms, activations, residuals, softmax/score path, loss, GEMM output writes, FSDP copies, FP8 casts at HBM bandwidth"},
    {"tp_communication_s", "TP all-reduce", "TP", "tensor-parallel collectives on the critical path (what the GEMMs do not hide, with overlap)"},
    {"ep_communication_s", "EP all-to-all", "EP", "MoE token exchange"},
    {"cp_communication_s", "CP exchange", "CP", "context-parallel K/V: what the attention core does not hide (ring), all of it (cp_allgather)"},
    {"bubble_s", "pipeline bubble", "bubble", "(pp-1)/v stages idle at the start and end of 1F1B"},
    {"pp_communication_s", "pipeline sends", "sends", "activations between stages"},
    {"dp_communication_s", "DP reduction (exposed)", "DP", "gradient all-reduce / reduce-scatter not hidden by backward (ZeRO-2: one per layer)"},
    {"zero_communication_s", "ZeRO-3 gathers (exposed)", "ZeRO-3", "per-layer parameter gathers and gradient reduce-scatters not hidden"},
    {"optimizer_s", "optimizer step", "optim", "weights, gradients and optimizer state through HBM"},
    {"host_wait_s", "host launches (waiting)", "host", "the GPU runs the kernels faster than the host issues them (PyTorch eager, 4 us each) and waits"},
};
#define NPARTS (sizeof parts / sizeof parts[0])

/* The parts of a roofline step (inference, and training of what the fleet model does not cover):
 * latency = max(compute, memory) + fixed overheads (+ a tp x pp group's all-reduces and sends),
 * the bound term split by where its time goes (roofline.c). The term under the bound is hidden. */
typedef struct { const char *name, *key, *what; double s; } bd_part;

static int roofline_parts(const ms_result *res, bd_part *pt, int *n, double *hidden, const char **hidden_what)
{
    double lat, tc, tm, tov, tp = 0, pp = 0, traffic = 0, kv = 0, gtp = 1, gpp = 1, ta = 0;
    if (!ms_result_get(res, "latency_s", &lat) || !ms_result_get(res, "compute_time_s", &tc) ||
        !ms_result_get(res, "memory_time_s", &tm) || !ms_result_get(res, "overhead_time_s", &tov))
        return 0;
    ms_result_get(res, "tp_communication_s", &tp);
    ms_result_get(res, "pp_communication_s", &pp);
    ms_result_get(res, "attention_time_s", &ta);           /* decode steps only */
    int k = 0;
    if (ta > 0) {
        /* a decode step: the GEMMs at max(FLOPs, weights read), then the attention kernel */
        double tg = lat - tov - tp - pp - ta;
        pt[k++] = (bd_part){"GEMMs", "compute_time_s", "weights read or FLOPs at peak x efficiency, whichever is longer", tg};
        pt[k++] = (bd_part){"KV cache read", "attention_time_s", "the attention kernel: the KV cache at the achievable bandwidth (bandwidth_bytes_per_s)", ta};
        *hidden = 0;
        *hidden_what = "";
    } else {
        ms_result_get(res, "memory_traffic_bytes", &traffic);
        ms_result_get(res, "kv_cache_bytes", &kv);
        ms_result_get(res, "tp", &gtp);
        ms_result_get(res, "pp", &gpp);
        int mem = tm > tc;
        double kv_share = mem && traffic > 0 && kv > 0 ? kv * gtp * gpp / traffic : 0;   /* kv is per accelerator */
        if (kv_share > 1) kv_share = 1;
        pt[k++] = (bd_part){"compute", "compute_time_s", "FLOPs at peak x efficiency (the bound term when compute-bound)", mem ? 0 : tc};
        pt[k++] = (bd_part){"weights + activations read", "memory_time_s",
                            "HBM traffic of weights touched (and activations) at the achievable bandwidth (bandwidth_bytes_per_s)", mem ? tm * (1 - kv_share) : 0};
        pt[k++] = (bd_part){"KV cache read", "memory_time_s", "the KV cache at the achievable bandwidth (bandwidth_bytes_per_s)", mem ? tm * kv_share : 0};
        *hidden = mem ? tc : tm;
        *hidden_what = mem ? "compute" : "memory traffic";
    }
    pt[k++] = (bd_part){"fixed overheads", "overhead_time_s", "dispatch (not in a decode step) + 10 us per layer", tov};
    pt[k++] = (bd_part){"TP all-reduce", "tp_communication_s", "two all-reduces per layer over the tp group", tp};
    pt[k++] = (bd_part){"pipeline sends", "pp_communication_s", "activations between the pp stages", pp};
    *n = k;
    return 1;
}

/* The parts of whichever step the result holds: 1 = fleet training step, 2 = roofline, 0 none. */
static int step_parts(const ms_result *res, bd_part *pt, int *n, double *total, double *hidden, const char **hw)
{
    double v;
    *hidden = 0;
    *hw = "";
    if (ms_result_get(res, "step_time_s", total) && ms_result_get(res, "matmul_s", &v)) {
        for (size_t i = 0; i < NPARTS; i++) {
            double x = 0;
            ms_result_get(res, parts[i].key, &x);
            pt[i] = (bd_part){parts[i].name, parts[i].key, parts[i].what, x};
        }
        *n = (int)NPARTS;
        return 1;
    }
    if (ms_result_get(res, "latency_s", total) && roofline_parts(res, pt, n, hidden, hw)) return 2;
    return 0;
}

#define BD_MAX 16

int ms_cli_breakdown_json(const ms_result *res, char *buf, size_t cap)
{
    bd_part pt[BD_MAX];
    int np = 0;
    double step, hid;
    const char *hw;
    if (!step_parts(res, pt, &np, &step, &hid, &hw) || !(step > 0)) return 0;
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < np && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s{\"part\":\"%s\",\"key\":\"%s\",\"seconds\":%.10g,\"share\":%.6f}",
                              i ? "," : "", pt[i].name, pt[i].key, pt[i].s, pt[i].s / step);
    if (n + 2 > cap) return 0;
    snprintf(buf + n, cap - n, "]");
    return 1;
}

/* Adds the "breakdown" key (JSON) to a result; 0 when it has no step to split. */
int ms_cli_add_breakdown(ms_result *res)
{
    char buf[4096];
    if (!ms_cli_breakdown_json(res, buf, sizeof buf)) return 0;
    ms_result_raw(res, "breakdown", buf);
    return 1;
}

void ms_cli_print_breakdown_line(const ms_result *res, const char *label)
{
    if (!res) {
        printf("%-22s %10s", label, "pred s");
        for (size_t i = 0; i < NPARTS; i++) printf(" %8s", parts[i].brief);
        printf("\n");
        return;
    }
    bd_part pt[BD_MAX];
    int np = 0;
    double step = 0, hid;
    const char *hw;
    if (step_parts(res, pt, &np, &step, &hid, &hw) != 1 || !(step > 0)) return;
    printf("%-22s %10.4g", label, step);
    for (int i = 0; i < np; i++) printf(" %7.1f%%", 100.0 * pt[i].s / step);
    printf("\n");
}

void ms_cli_print_breakdown(const ms_result *res, const char *title)
{
    bd_part pt[BD_MAX];
    int np = 0;
    double step = 0, sum = 0, comm = 0, x, hid;
    const char *hw;
    int kind = step_parts(res, pt, &np, &step, &hid, &hw);
    if (!kind) return;
    printf("\nbreakdown of %s (%.4g s)\n", title, step);
    printf("  %-26s %12s %7s  %s\n", "part", "seconds", "share", "what");
    for (int i = 0; i < np; i++) {
        sum += pt[i].s;
        printf("  %-26s %12.5g %6.1f%%  %s\n", pt[i].name, pt[i].s, 100.0 * pt[i].s / step, pt[i].what);
    }
    printf("  %-26s %12.5g %6.1f%%  (sum of the parts; step time %.5g s)\n", "total", sum, 100.0 * sum / step, step);
    if (kind == 2) {
        if (*hw) printf("  hidden under the bound: %s %.5g s (the roofline's max)\n", hw, hid);
        return;
    }
    ms_result_get(res, "communication_s", &comm);
    printf("  %-26s %12.5g %6.1f%%  (TP + EP + CP + sends + DP + ZeRO-3 on the critical path)\n",
           "exposed communication", comm, 100.0 * comm / step);
    double tpt = 0, tpo = 0, dpt = 0, zt = 0, ov = 0;
    /* TP hidden by userbuffers overlap, or by the Megatron family's asynchronous backward */
    if (ms_result_get(res, "tp_communication_total_s", &tpt)) {
        double tpe = ms_result_get(res, "tp_communication_s", &x) ? x : 0;
        ms_result_get(res, "tp_comm_overlap", &tpo);
        if (tpt - tpe > 1e-12 * tpt)
            printf("  hidden behind the GEMMs: TP %.5g s of %.5g s (%s)\n", tpt - tpe, tpt,
                   tpo != 0 ? "tp_comm_overlap" : "the backward's collectives beside its GEMMs");
    }
    /* pipeline sends hidden behind the next chunk (the interleaved schedule's overlap) */
    double ppt = 0, ppo = 0;
    if (ms_result_get(res, "pp_communication_total_s", &ppt) && ms_result_get(res, "pp_comm_overlap", &ppo) && ppo != 0) {
        double ppe = ms_result_get(res, "pp_communication_s", &x) ? x : 0;
        if (ppt - ppe > 1e-12 * ppt)
            printf("  hidden behind the next chunk: pipeline sends %.5g s of %.5g s (pp_comm_overlap: only the\n"
                   "  fill's and drain's wait)\n", ppt - ppe, ppt);
    }
    const char *oi = ms_result_get_str(res, "optimizer_impl");
    double topt = 0;
    if (oi && strcmp(oi, "fused") && ms_result_get(res, "optimizer_s", &topt) && topt > 0)
        printf("  optimizer step %s: PyTorch's element-wise passes and gradient clipping, %.0f B of HBM\n"
               "  per local parameter for Adam where one fused pass moves %.0f (optimizer_impl)\n", oi,
               MS_DIST_UNFUSED_ADAM_BYTES + MS_DIST_GRAD_CLIP_BYTES, MS_DIST_FUSED_ADAM_BYTES);
    ms_result_get(res, "dp_communication_total_s", &dpt);
    ms_result_get(res, "zero_communication_total_s", &zt);
    if (dpt > 0 || zt > 0)
        printf("  hidden behind compute: DP %.5g s of %.5g s, ZeRO-3 %.5g s of %.5g s\n",
               dpt - (ms_result_get(res, "dp_communication_s", &x) ? x : 0), dpt,
               zt - (ms_result_get(res, "zero_communication_s", &x) ? x : 0), zt);
    double su = 0, sl = 0;
    if (ms_result_get(res, "sharded_units", &su) && su > 0 && ms_result_get(res, "sharded_latency_s", &sl))
        printf("  ZeRO-%s collectives per unit: %.4g units (the stage's layers + the root), %.5g s of the\n"
               "  %.5g s they take is ring latency (NCCL's ring: a step per rank across nodes)\n",
               zt > 0 ? "3" : "2", su, sl, zt > 0 ? zt : dpt);
    if (ms_result_get(res, "overlap_interference_s", &ov) && ov > 0)
        printf("  of the exposed DP / ZeRO-3 time, %.5g s is compute slowed by the collectives it overlaps\n"
               "  (NCCL holds %d SMs while they run)\n", ov, MS_DIST_NCCL_SMS);
    double pl = 0, cf = 0;
    if (ms_result_get(res, "power_limit_w", &pl) && pl > 0 && ms_result_get(res, "clock_fraction", &cf) && cf < 1)
        printf("  matmul at %.3f of the clock: held at a %.4g W power limit (dynamic power ~ f^3 above the\n"
               "  idle floor); memory-bound ops, collectives and the optimizer at their own speed\n", cf, pl);
}


int ms_cli_has_breakdown(const ms_result *res)
{
    bd_part pt[BD_MAX];
    int np;
    double t, h;
    const char *hw;
    return step_parts(res, pt, &np, &t, &h, &hw) != 0;
}
