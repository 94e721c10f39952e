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

/* --breakdown: JSON gets the "breakdown" key; text prints the table after the result. Returns 0
 * (with a message) when the result has no step to split. */
static int bd_prepare(ms_cli *c, ms_result *res)
{
    if (res->status == MS_ERR_INPUT) return 1; /* the input error is reported as usual */
    if (!ms_cli_has_breakdown(res)) {
        fprintf(stderr, "mlsysim eval: --breakdown: this result has no step time to split\n");
        return 0;
    }
    if (c->fmt != MS_FMT_TEXT || c->html) ms_cli_add_breakdown(res);
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
           "                    [--moe-routing uniform|fixed]   (MoE inference: the experts a pass reads)\n"
           "                    [--mode inference|training]\n"
           "                    [--recompute none|selective|full] [--optimizer adam|sgd|none]\n"
           "                    [--steps N] [--cfg on|off|model]   (diffusion: denoising steps, guidance)\n"
           "                    [--power-limit W]   (each accelerator held below its TDP, e.g. 500W)\n"
           "       mlsysim eval PLAN.yaml\n"
           "       (either form) --svg FILE   also draws the step on the device's roofline\n"
           "       (either form) --svg-memory FILE  also draws the memory per accelerator: weights,\n"
           "                     gradients, optimizer state, activations, KV cache against capacity\n"
           "       (either form) --breakdown  the step split into its parts, which add up to it:\n"
           "                     training: compute (matmul, memory-bound ops), each collective,\n"
           "                     bubble, optimizer, waiting on the host's kernel launches, exposed\n"
           "                     communication; inference: the roofline's\n"
           "                     bound term (compute, or weights and KV cache read), overheads, TP /\n"
           "                     PP communication (text table; JSON key \"breakdown\")\n"
           "\n"
           "Evaluates one workload on hardware: latency, throughput, MFU, memory per accelerator,\n"
           "energy. MODEL HARDWARE is the plan with one accelerator; training of a transformer uses\n"
           "the fleet model (tp = pp = dp = 1), everything else the roofline. Without --efficiency,\n"
           "training uses the figure calibrated for the accelerator's generation (A100 %.2f,\n"
           "H100 %.2f; the result's efficiency_source says so), else %.2f; inference of a\n"
           "transformer the same figure in fp16/bf16 and the generation's FP8 one in fp8 (H100\n"
           "%.2f), else %.2f.\n"
           "\n"
           "examples:\n"
           "  mlsysim eval Llama3_8B H100 --batch-size 32 --seq-len 2048\n"
           "  mlsysim eval GPT2_Small A100 --mode training --batch-size 8 --seq-len 1024\n"
           "  mlsysim eval StableDiffusion_v1_5 H100 --batch-size 4 --steps 25 --cfg on\n"
           "  mlsysim -o json eval mlsysim/examples/llama3_8b_h100.yaml\n"
           "  mlsysim eval Llama3_8B H100 --batch-size 64 --svg roofline.svg\n"
           "  mlsysim eval ResNet50 L4 --mode training --batch-size 256 --svg-memory memory.svg\n"
           "  mlsysim eval mlsysim/examples/gpt3_175b_1536_a100.yaml --breakdown\n"
           "  mlsysim eval Llama3_8B H100 --batch-size 16 --power-limit 500W   (prefill slower, decode not)\n"
           "  mlsysim -o json eval GPT2_Small A100 --mode training --breakdown\n"
           "  mlsysim eval Llama3_8B H100 --batch-size 32 --breakdown\n"
           "  mlsysim -o html eval mlsysim/examples/llama3_8b_h100.yaml > report.html\n"
           "\n"
           "exit codes: 0 ok, 1 bad input, 2 does not fit in memory, 3 a plan assert violated\n",
           ms_calibrated_efficiency("A100"), ms_calibrated_efficiency("H100"),
           ms_default_efficiency(MS_MODE_TRAINING), ms_calibrated_fp8_efficiency("H100"),
           ms_default_efficiency(MS_MODE_INFERENCE));
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
        rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD | MS_OPT_TRAIN | MS_OPT_POWER, &op);
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
    if (breakdown && c->fmt == MS_FMT_TEXT && !c->html && rc != MS_EXIT_INPUT) ms_cli_print_breakdown(res, "one step");
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
