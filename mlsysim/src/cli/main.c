/* main.c - the mlsysim command line: global options, the registry, dispatch to the commands.
 *
 * Global options may appear anywhere: -o/--output text|json|markdown, --json (= -o json),
 * --registry FILE (repeatable; adds or overrides registry entries), -h/--help, --version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
        "mlsysim %s - first-principles analytical simulator of ML systems\n"
        "\n"
        "usage: mlsysim [-o text|json|markdown|html | --json] [--registry FILE] COMMAND ...\n"
        "\n"
        "commands:\n"
        "  zoo hardware|models|systems|grids [--class C] [--kind K] [--filter TEXT]\n"
        "  eval MODEL HARDWARE [--batch-size N] [--seq-len S] [--precision P] [--efficiency E]\n"
        "                      [--mode inference|training] [--recompute none|selective|full]\n"
        "                      [--optimizer adam|sgd|none]\n"
        "  eval PLAN.yaml       (either form: --svg FILE roofline, --svg-memory FILE memory bar)\n"
        "  serve MODEL HARDWARE [--seq-len S] [--batch-size B] [--precision P] [--efficiency E]\n"
        "                       [--cached-prefix N] [--draft MODEL --acceptance A --draft-tokens K]\n"
        "                       [--mean-seq-len M --max-batch N] [--qps Q --output-tokens N --p99-ms T | --replicas R]\n"
        "  compress MODEL HARDWARE --to P [--from P] [--sparsity S --prune structured|unstructured|2:4]\n"
        "  tiny MODEL HARDWARE [--precision P] [--efficiency E] [--kernel cmsis-nn|plain-c]\n"
        "  optimize parallelism|placement|batching PLAN.yaml [--carbon-tax USD_PER_T]\n"
        "                       [--sla-ms T --qps Q] [--output-tokens N]\n"
        "  sweep (PLAN.yaml | MODEL HARDWARE [flags]) --vary KEY=V1,V2,... [--vary ...] [--keys K,...]\n"
        "                       [--svg FILE [--svg-key KEY]]\n"
        "  search (PLAN.yaml | MODEL HARDWARE [flags]) --vary KEY=V1,V2,... --objective [min:|max:]KEY\n"
        "                       [--constraint 'KEY<=V' ...] [--top N]\n"
        "  sensitivity (PLAN.yaml | MODEL HARDWARE [flags]) [--pct P]\n"
        "  synthesis (PLAN.yaml | MODEL HARDWARE --mode training [flags]) --target-step-ms T\n"
        "  chinchilla (--flops C [--tokens-per-param R] | --params N [--tokens D])\n"
        "  graph 'SPEC'         a CNN/MLP layer graph: parameters, MACs, saved activations\n"
        "  solve SOLVER [ARGS] [--name value ...]   (solve --help lists the 19 solvers)\n"
        "  scenario list | show NAME | eval NAME\n"
        "  schema\n"
        "  validate [--table FILE] [--calibration FILE] [--stacks FILE] [--row TEXT] [--breakdown] [--json]\n"
        "\n"
        "`mlsysim COMMAND --help` shows a command's options and examples.\n"
        "\n"
        "exit codes: 0 ok, 1 bad input, 2 does not fit in memory, 3 a target not met (a plan assert,\n"
        "            serve --p99-ms, optimize --sla-ms)\n"
        "\n"
        "-o html writes eval's result (and scenario eval's) as one self-contained page: the figures\n"
        "with units and meanings, notes, and the roofline as inline SVG; nothing is fetched.\n",
        MS_VERSION);
}

/* Per-command help: what it does, its options, examples. eval, optimize and validate print their
 * own (cmd_eval.c, cmd_optimize.c, cmd_validate.c). */
static const struct { const char *cmd, *text; } helps[] = {
    {"zoo",
     "usage: mlsysim zoo hardware|models|systems|grids [--class C] [--kind K] [--filter TEXT]\n"
     "\n"
     "The registry as a table (-o json adds every precision, sparse peaks and sources).\n"
     "  --class C     hardware: cloud, workstation, mobile, edge, tiny\n"
     "  --kind K      models: transformer, cnn, mlp, diffusion, ssm, dlrm\n"
     "  --filter TEXT name or title contains TEXT (any case)\n"
     "\n"
     "examples:\n"
     "  mlsysim zoo hardware --class edge\n"
     "  mlsysim zoo models --kind transformer --filter llama\n"
     "  mlsysim -o json zoo grids\n"},
    {"serve",
     "usage: mlsysim serve MODEL HARDWARE [--seq-len S] [--batch-size B] [--precision P] [--efficiency E]\n"
     "                    [--weight-precision P] [--kv-precision P] [--moe-routing uniform|fixed]\n"
     "                    [--cached-prefix N] [--draft MODEL --acceptance A --draft-tokens K]\n"
     "                    [--mean-seq-len M --max-batch N]\n"
     "                    [--qps Q --output-tokens N (--p99-ms T | --replicas R)]\n"
     "                    [--clients N --output-tokens N [--max-num-tokens T]]\n"
     "\n"
     "LLM serving on one accelerator: TTFT, ITL, KV cache, concurrency, continuous batching (paged vs\n"
     "static KV), speculative decoding; with --qps the M/M/c p50/p99 at R replicas, or the fewest\n"
     "replicas whose p99 meets --p99-ms (exit 3 when none up to 100000 does), and beside them the\n"
     "M/D/c figures of the same replicas (md_*: fixed-length requests, a deterministic service time).\n"
     "With --clients a closed loop as a benchmark's concurrency runs it (loop_*: N clients, each\n"
     "sending its next prompt of --seq-len tokens when the last answer of --output-tokens ends):\n"
     "as many in flight as the KV cache holds, their prompts arriving in waves and prefilled\n"
     "--max-num-tokens / --seq-len an iteration (default 8192 tokens, TensorRT-LLM's default),\n"
     "the first token, inter-token latency and throughput the loop settles at.\n"
     "A MoE model's tokens pick their experts at random (--moe-routing uniform: a batch reads nearly\n"
     "every expert); --moe-routing fixed sends every token to the same top-k, as a collapsed router\n"
     "or a benchmark engine built without a checkpoint runs, so every pass reads the active experts alone.\n"
     "Without --efficiency a transformer in fp16/bf16 or fp8 computes at its accelerator\n"
     "generation's calibrated GEMM figure where there is one (`mlsysim eval --help` lists them),\n"
     "anything else at the default inference efficiency; the result's efficiency says which.\n"
     "\n"
     "examples:\n"
     "  mlsysim serve Llama3_8B H100 --seq-len 2048 --batch-size 8\n"
     "  mlsysim serve Llama3_70B H200 --precision fp8 --draft Llama3_2_1B --acceptance 0.8\n"
     "  mlsysim serve Llama3_70B H100 --weight-precision int4 --kv-precision fp8\n"
     "  mlsysim serve Mixtral_8x7B H200 --batch-size 16 --moe-routing fixed\n"
     "  mlsysim serve Llama3_8B H100 --batch-size 8 --qps 20 --p99-ms 8000\n"
     "  mlsysim serve Llama3_8B H100 --seq-len 2000 --output-tokens 200 --clients 50\n"},
    {"compress",
     "usage: mlsysim compress MODEL HARDWARE --to P [--from P] [--sparsity S --prune structured|unstructured|2:4]\n"
     "                       [--batch-size N] [--seq-len S] [--efficiency E]\n"
     "\n"
     "Quantization and pruning: weight bytes, bytes moved per step and latency before and after\n"
     "(the ratio is against --from, default fp16).\n"
     "\n"
     "examples:\n"
     "  mlsysim compress Llama3_8B H100 --to int4\n"
     "  mlsysim compress ResNet50 A100 --to int8 --prune 2:4\n"},
    {"tiny",
     "usage: mlsysim tiny MODEL HARDWARE [--precision P] [--efficiency E] [--kernel cmsis-nn|plain-c]\n"
     "\n"
     "Microcontroller deployment: do the weights fit flash and the activations SRAM; latency and\n"
     "energy per inference (int8 unless --precision says otherwise). Exit 2 when it does not fit.\n"
     "--kernel names the efficiency: cmsis-nn (default, 0.5 of the SIMD peak: an optimised kernel\n"
     "library) or plain-c (0.0297: plain C int8 loops, 16.82 instructions per MAC counted on\n"
     "Cortex-M4 under QEMU); --efficiency overrides both.\n"
     "\n"
     "examples:\n"
     "  mlsysim tiny DS_CNN nRF52840\n"
     "  mlsysim tiny lenet5 nRF52840 --kernel plain-c\n"
     "  mlsysim -o json tiny MobileNetV2 ESP32_S3\n"},
    {"schema",
     "usage: mlsysim schema\n"
     "\n"
     "Prints the JSON Schema (draft 2020-12) of plan files.\n"
     "\n"
     "example:\n"
     "  mlsysim schema > plan.schema.json\n"},
};

int main(int argc, char **argv)
{
    ms_cli c = {NULL, MS_FMT_TEXT, 0};
    const char *registries[16];
    int n_reg = 0;
    char **rest = malloc(sizeof(char *) * (size_t)(argc + 2));
    if (!rest) return MS_EXIT_INPUT;
    int n = 0;
    int help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) { fprintf(stderr, "mlsysim: %s needs text, json or markdown\n", a); free(rest); return MS_EXIT_INPUT; }
            val = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            val = a + 9;
        } else if (!strcmp(a, "--json")) {                 /* -o json, as `validate --json` reads it */
            val = "json";
        } else if (!strcmp(a, "--registry") || !strncmp(a, "--registry=", 11)) {
            const char *f = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
            if (!f) { fprintf(stderr, "mlsysim: --registry needs a file\n"); free(rest); return MS_EXIT_INPUT; }
            if (n_reg == 16) { fprintf(stderr, "mlsysim: at most 16 --registry files\n"); free(rest); return MS_EXIT_INPUT; }
            registries[n_reg++] = f;
            continue;
        } else if (!strcmp(a, "--version")) {
            printf("mlsysim %s\n", MS_VERSION);
            free(rest);
            return MS_EXIT_OK;
        } else if ((!strcmp(a, "-h") || !strcmp(a, "--help")) && n == 0) {
            help = 1;
            continue;
        } else {
            rest[n++] = argv[i];
            continue;
        }
        if (!strcmp(val, "text")) c.fmt = MS_FMT_TEXT;
        else if (!strcmp(val, "json")) c.fmt = MS_FMT_JSON;
        else if (!strcmp(val, "markdown") || !strcmp(val, "md")) c.fmt = MS_FMT_MARKDOWN;
        else if (!strcmp(val, "html")) c.fmt = MS_FMT_TEXT, c.html = 1;
        else { fprintf(stderr, "mlsysim: --output: '%s' is not text, json, markdown or html\n", val); free(rest); return MS_EXIT_INPUT; }
    }
    rest[n] = NULL;
    if (help || n == 0) {
        usage(help ? stdout : stderr);
        free(rest);
        return help ? MS_EXIT_OK : MS_EXIT_INPUT;
    }
    const char *cmd = rest[0];
    if (c.html && strcmp(cmd, "eval") && strcmp(cmd, "scenario")) {
        fprintf(stderr, "mlsysim: -o html is for eval and scenario eval (a report page); use text, json or markdown for %s\n", cmd);
        free(rest);
        return MS_EXIT_INPUT;
    }
    for (size_t h = 0; h < sizeof helps / sizeof helps[0]; h++)
        if (!strcmp(cmd, helps[h].cmd))
            for (int i = 1; i < n; i++)
                if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
                    fputs(helps[h].text, stdout);
                    free(rest);
                    return MS_EXIT_OK;
                }
    if (!strcmp(cmd, "validate")) {
        /* validate reads its own flags; translate the global JSON switch */
        if (c.fmt == MS_FMT_JSON) rest[n++] = "--json";
        rest[n] = NULL;
        int rc = ms_cli_validate(n, rest);
        free(rest);
        return rc;
    }
    char err[1024];
    c.reg = ms_registry_new(err, sizeof err);
    if (!c.reg) {
        fprintf(stderr, "mlsysim: built-in registry: %s\n", err);
        free(rest);
        return MS_EXIT_INPUT;
    }
    for (int i = 0; i < n_reg; i++)
        if (ms_registry_load_file(c.reg, registries[i], err, sizeof err) != MS_OK) {
            fprintf(stderr, "mlsysim: %s\n", err);
            ms_registry_free(c.reg);
            free(rest);
            return MS_EXIT_INPUT;
        }
    int rc;
    if (!strcmp(cmd, "zoo")) rc = ms_cli_zoo(&c, n, rest);
    else if (!strcmp(cmd, "eval")) rc = ms_cli_eval(&c, n, rest);
    else if (!strcmp(cmd, "serve")) rc = ms_cli_serve(&c, n, rest);
    else if (!strcmp(cmd, "optimize")) rc = ms_cli_optimize(&c, n, rest);
    else if (!strcmp(cmd, "schema")) rc = ms_cli_schema(&c, n, rest);
    else if (!strcmp(cmd, "compress")) rc = ms_cli_compress(&c, n, rest);
    else if (!strcmp(cmd, "tiny")) rc = ms_cli_tiny(&c, n, rest);
    else if (!strcmp(cmd, "sweep")) rc = ms_cli_sweep(&c, n, rest);
    else if (!strcmp(cmd, "search")) rc = ms_cli_search(&c, n, rest);
    else if (!strcmp(cmd, "sensitivity")) rc = ms_cli_sensitivity(&c, n, rest);
    else if (!strcmp(cmd, "synthesis")) rc = ms_cli_synthesis(&c, n, rest);
    else if (!strcmp(cmd, "chinchilla")) rc = ms_cli_chinchilla(&c, n, rest);
    else if (!strcmp(cmd, "solve")) rc = ms_cli_solve(&c, n, rest);
    else if (!strcmp(cmd, "scenario")) rc = ms_cli_scenario(&c, n, rest);
    else if (!strcmp(cmd, "graph")) rc = ms_cli_graph(&c, n, rest);
    else {
        fprintf(stderr, "mlsysim: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = MS_EXIT_INPUT;
    }
    ms_registry_free(c.reg);
    free(rest);
    return rc;
}
