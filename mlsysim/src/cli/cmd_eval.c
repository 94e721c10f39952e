/* cmd_eval.c - `mlsysim eval MODEL HARDWARE [flags]` and `mlsysim eval PLAN.yaml`: parses the
 * arguments into a plan, evaluates it with the engine (ms_plan_eval, engine.h) and prints the
 * result. `eval MODEL HARDWARE` is the plan with that model and accelerator and the flags' values.
 * Exit codes: 0 ok, 1 bad input, 2 does not fit in memory, 3 an assert violated.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "mlsysim/distributed.h"

#include <stdlib.h>
#include <string.h>

static size_t draw_roofline(const void *r, char *buf, size_t cap) { return ms_result_roofline_svg(r, buf, cap); }
static size_t draw_memory(const void *r, char *buf, size_t cap) { return ms_result_memory_svg(r, buf, cap); }

/* --svg (the roofline) and --svg-memory (the memory breakdown), each written whole (cmd_svg.c). */
static int write_svg(const ms_result *res, const char *path)
{
    if (ms_result_roofline_svg(res, NULL, 0) == 0) {
        fprintf(stderr, "mlsysim eval: --svg: this result has no roofline (a fleet training step); nothing written\n");
        return MS_EXIT_INPUT;
    }
    return ms_cli_write_svg("eval", path, draw_roofline, res);
}

static int write_memory_svg(const ms_result *res, const char *path)
{
    if (ms_result_memory_svg(res, NULL, 0) == 0) {
        fprintf(stderr, "mlsysim eval: --svg-memory: this result has no memory figures; nothing written\n");
        return MS_EXIT_INPUT;
    }
    return ms_cli_write_svg("eval", path, draw_memory, res);
}

/* The parts of a training step, in the order a learner reads them. */
static const struct { const char *key, *name, *what; } parts[] = {
    {"matmul_s", "matmul", "GEMMs of the slowest stage: QKV, projection, MLP, attention core, logits"},
    {"memory_bound_s", "memory-bound ops", "norms, activations, residuals, softmax/score path, loss, GEMM output writes, FSDP copies at HBM bandwidth"},
    {"tp_communication_s", "TP all-reduce", "tensor-parallel collectives on the critical path (with tp_comm_overlap: not hidden by the GEMMs)"},
    {"ep_communication_s", "EP all-to-all", "MoE token exchange"},
    {"cp_communication_s", "CP exchange", "context-parallel K/V, what the attention core does not hide"},
    {"bubble_s", "pipeline bubble", "(pp-1)/v stages idle at the start and end of 1F1B"},
    {"pp_communication_s", "pipeline sends", "activations between stages"},
    {"dp_communication_s", "DP reduction (exposed)", "gradient all-reduce / reduce-scatter not hidden by backward"},
    {"zero_communication_s", "ZeRO-3 gathers (exposed)", "parameter gathers and gradient reduce-scatters not hidden"},
    {"optimizer_s", "optimizer step", "weights, gradients and optimizer state through HBM"},
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
        pt[k++] = (bd_part){"KV cache read", "attention_time_s", "the attention kernel: the KV cache at datasheet bandwidth", ta};
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
                            "HBM traffic of weights touched (and activations) at datasheet bandwidth", mem ? tm * (1 - kv_share) : 0};
        pt[k++] = (bd_part){"KV cache read", "memory_time_s", "the KV cache at datasheet bandwidth", mem ? tm * kv_share : 0};
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

/* Adds the "breakdown" key (JSON) to a result; 0 when it has no step to split. */
static int add_breakdown(ms_result *res)
{
    bd_part pt[BD_MAX];
    int np = 0;
    double step, hid;
    const char *hw;
    if (!step_parts(res, pt, &np, &step, &hid, &hw) || !(step > 0)) return 0;
    char buf[4096];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "[");
    for (int i = 0; i < np && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"part\":\"%s\",\"key\":\"%s\",\"seconds\":%.10g,\"share\":%.6f}",
                              i ? "," : "", pt[i].name, pt[i].key, pt[i].s, pt[i].s / step);
    if (n >= sizeof buf - 2) return 0;
    snprintf(buf + n, sizeof buf - n, "]");
    ms_result_raw(res, "breakdown", buf);
    return 1;
}

static void print_breakdown(const ms_result *res)
{
    bd_part pt[BD_MAX];
    int np = 0;
    double step = 0, sum = 0, comm = 0, x, hid;
    const char *hw;
    int kind = step_parts(res, pt, &np, &step, &hid, &hw);
    if (!kind) return;
    printf("\nbreakdown of one step (%.4g s)\n", step);
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
    if (ms_result_get(res, "tp_comm_overlap", &tpo) && tpo != 0 && ms_result_get(res, "tp_communication_total_s", &tpt))
        printf("  hidden behind the GEMMs: TP %.5g s of %.5g s (tp_comm_overlap)\n",
               tpt - (ms_result_get(res, "tp_communication_s", &x) ? x : 0), tpt);
    ms_result_get(res, "dp_communication_total_s", &dpt);
    ms_result_get(res, "zero_communication_total_s", &zt);
    if (dpt > 0 || zt > 0)
        printf("  hidden behind compute: DP %.5g s of %.5g s, ZeRO-3 %.5g s of %.5g s\n",
               dpt - (ms_result_get(res, "dp_communication_s", &x) ? x : 0), dpt,
               zt - (ms_result_get(res, "zero_communication_s", &x) ? x : 0), zt);
    if (ms_result_get(res, "overlap_interference_s", &ov) && ov > 0)
        printf("  of the exposed DP / ZeRO-3 time, %.5g s is compute slowed by the collectives it overlaps\n"
               "  (NCCL holds %d SMs while they run)\n", ov, MS_DIST_NCCL_SMS);
}

/* --breakdown: JSON gets the "breakdown" key; text prints the table after the result. Returns 0
 * (with a message) when the result has no step to split. */
static int bd_prepare(ms_cli *c, ms_result *res)
{
    if (res->status == MS_ERR_INPUT) return 1; /* the input error is reported as usual */
    bd_part pt[BD_MAX];
    int np;
    double t, h;
    const char *hw;
    if (!step_parts(res, pt, &np, &t, &h, &hw)) {
        fprintf(stderr, "mlsysim eval: --breakdown: this result has no step time to split\n");
        return 0;
    }
    if (c->fmt != MS_FMT_TEXT || c->html) add_breakdown(res);
    return 1;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int ms_cli_exit_code(ms_status st)
{
    switch (st) {
    case MS_OK: return MS_EXIT_OK;
    case MS_ERR_MEMORY: return MS_EXIT_MEMORY;
    case MS_ERR_ASSERT: return MS_EXIT_ASSERT;
    default: return MS_EXIT_INPUT;
    }
}

/* Prints an evaluated result: notes and errors on stderr; the table on stdout (an input error
 * prints only in JSON, as {"status": "error", "reason": ...}). */
static int finish(ms_cli *c, ms_result *res)
{
    ms_cli_print_notes(res);
    if (res->status == MS_ERR_INPUT) {
        fprintf(stderr, "mlsysim: %s\n", res->error);
        if (c->fmt == MS_FMT_JSON) ms_result_print(res, MS_FMT_JSON, stdout);
    } else if (c->html) {
        ms_cli_print_html(res, stdout);
    } else {
        ms_result_print(res, c->fmt, stdout);
    }
    return ms_cli_exit_code(res->status);
}

static void eval_help(void)
{
    printf("usage: mlsysim eval MODEL HARDWARE [--batch-size N] [--seq-len S] [--precision P]\n"
           "                    [--weight-precision P] [--kv-precision P] [--efficiency E]\n"
           "                    [--mode inference|training]\n"
           "                    [--recompute none|selective|full] [--optimizer adam|sgd|none]\n"
           "                    [--steps N] [--cfg on|off|model]   (diffusion: denoising steps, guidance)\n"
           "       mlsysim eval PLAN.yaml\n"
           "       (either form) --svg FILE   also draws the step on the device's roofline\n"
           "       (either form) --svg-memory FILE  also draws the memory per accelerator: weights,\n"
           "                     gradients, optimizer state, activations, KV cache against capacity\n"
           "       (either form) --breakdown  the step split into its parts, which add up to it:\n"
           "                     training: compute (matmul, memory-bound ops), each collective,\n"
           "                     bubble, optimizer, exposed communication; inference: the roofline's\n"
           "                     bound term (compute, or weights and KV cache read), overheads, TP /\n"
           "                     PP communication (text table; JSON key \"breakdown\")\n"
           "\n"
           "Evaluates one workload on hardware: latency, throughput, MFU, memory per accelerator,\n"
           "energy. MODEL HARDWARE is the plan with one accelerator; training of a transformer uses\n"
           "the fleet model (tp = pp = dp = 1), everything else the roofline. Without --efficiency,\n"
           "training uses the figure calibrated for the accelerator's generation (A100 %.2f,\n"
           "H100 %.2f; the result's efficiency_source says so), else %.2f; inference %.2f.\n"
           "\n"
           "examples:\n"
           "  mlsysim eval Llama3_8B H100 --batch-size 32 --seq-len 2048\n"
           "  mlsysim eval GPT2_Small A100 --mode training --batch-size 8 --seq-len 1024\n"
           "  mlsysim eval StableDiffusion_v1_5 H100 --batch-size 4 --steps 25 --cfg on\n"
           "  mlsysim -o json eval mlsysim/examples/llama3_8b_h100.yaml\n"
           "  mlsysim eval Llama3_8B H100 --batch-size 64 --svg roofline.svg\n"
           "  mlsysim eval ResNet50 L4 --mode training --batch-size 256 --svg-memory memory.svg\n"
           "  mlsysim eval mlsysim/examples/gpt3_175b_1536_a100.yaml --breakdown\n"
           "  mlsysim -o json eval GPT2_Small A100 --mode training --breakdown\n"
           "  mlsysim eval Llama3_8B H100 --batch-size 32 --breakdown\n"
           "  mlsysim -o html eval mlsysim/examples/llama3_8b_h100.yaml > report.html\n"
           "\n"
           "exit codes: 0 ok, 1 bad input, 2 does not fit in memory, 3 a plan assert violated\n",
           ms_calibrated_efficiency("A100"), ms_calibrated_efficiency("H100"),
           ms_default_efficiency(MS_MODE_TRAINING), ms_default_efficiency(MS_MODE_INFERENCE));
}

int ms_cli_eval(ms_cli *c, int argc, char **argv)
{
    const char *svg = NULL, *svg_memory = NULL;
    int kept = 1, breakdown = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { eval_help(); return MS_EXIT_OK; }
        if (!strcmp(argv[i], "--breakdown")) { breakdown = 1; continue; }
        if (!strcmp(argv[i], "--svg") || !strcmp(argv[i], "--svg-memory")) {
            if (i + 1 >= argc) { fprintf(stderr, "mlsysim eval: %s needs a file\n", argv[i]); return MS_EXIT_INPUT; }
            if (argv[i][5]) svg_memory = argv[++i];
            else svg = argv[++i];
            continue;
        }
        argv[kept++] = argv[i];
    }
    argc = kept;
    argv[argc] = NULL;
    int plan_arg = argc >= 2 && argv[1][0] != '-' &&
                   (ends_with(argv[1], ".yaml") || ends_with(argv[1], ".yml") ||
                    (argc == 2 && !ms_registry_model(c->reg, argv[1]) && strchr(argv[1], '/')));
    ms_result *res = malloc(sizeof *res);
    if (!res) return MS_EXIT_INPUT;
    int rc;
    if (plan_arg) {
        if (argc > 2) {
            fprintf(stderr, "mlsysim eval: a plan takes no flags (put them in the plan): '%s'\n", argv[2]);
            free(res);
            return MS_EXIT_INPUT;
        }
        ms_plan *p = malloc(sizeof *p);
        if (!p) { free(res); return MS_EXIT_INPUT; }
        char err[1024];
        if (ms_plan_load_file(c->reg, argv[1], p, err, sizeof err) != MS_OK) {
            ms_result_init(res, "");
            res->status = MS_ERR_INPUT;
            snprintf(res->error, sizeof res->error, "%s", err);
            ms_result_str(res, "status", "error");
            ms_result_str(res, "reason", err);
        } else {
            ms_plan_eval(c->reg, p, res);
        }
        if (breakdown && !bd_prepare(c, res)) { free(p); ms_result_free(res); free(res); return MS_EXIT_INPUT; }
        rc = finish(c, res);
        free(p);
    } else {
        ms_opts op;
        rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD | MS_OPT_TRAIN, &op);
        if (rc) { free(res); return rc; }
        ms_plan *p = malloc(sizeof *p);
        if (!p) { free(res); return MS_EXIT_INPUT; }
        ms_cli_plan_from_opts(c, &op, p);
        ms_plan_eval(c->reg, p, res);
        snprintf(res->title, sizeof res->title, "%s on %s (%s, %s)", op.model->title, op.hw->title,
                 ms_mode_name(p->mode), ms_precision_name(p->precision));
        if (breakdown && !bd_prepare(c, res)) { free(p); ms_result_free(res); free(res); return MS_EXIT_INPUT; }
        rc = finish(c, res);
        free(p);
    }
    if (breakdown && c->fmt == MS_FMT_TEXT && !c->html && rc != MS_EXIT_INPUT) print_breakdown(res);
    int evaluated = rc != MS_EXIT_INPUT;        /* each picture is drawn even when the other fails */
    if (svg && evaluated) {
        int src = write_svg(res, svg);
        if (src) rc = src;
    }
    if (svg_memory && evaluated) {
        int src = write_memory_svg(res, svg_memory);
        if (src) rc = src;
    }
    ms_result_free(res);
    free(res);
    return rc;
}
