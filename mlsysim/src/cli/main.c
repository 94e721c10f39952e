/* main.c - the mlsysim command line: global options, the registry, dispatch to the commands.
 *
 * Global options may appear anywhere: -o/--output text|json|markdown, --registry FILE
 * (repeatable; adds or overrides registry entries), -h/--help, --version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
        "mlsysim %s - first-principles analytical simulator of ML systems\n"
        "\n"
        "usage: mlsysim [-o text|json|markdown] [--registry FILE] COMMAND ...\n"
        "\n"
        "commands:\n"
        "  zoo hardware|models|systems|grids [--class C] [--kind K] [--filter TEXT]\n"
        "  eval MODEL HARDWARE [--batch-size N] [--seq-len S] [--precision P] [--efficiency E]\n"
        "                      [--mode inference|training] [--recompute none|selective|full]\n"
        "                      [--optimizer adam|sgd|none]\n"
        "  eval PLAN.yaml\n"
        "  serve MODEL HARDWARE [--seq-len S] [--batch-size B] [--precision P] [--efficiency E]\n"
        "                       [--cached-prefix N] [--draft MODEL --acceptance A --draft-tokens K]\n"
        "                       [--mean-seq-len M --max-batch N] [--qps Q --output-tokens N --p99-ms T | --replicas R]\n"
        "  compress MODEL HARDWARE --to P [--from P] [--sparsity S --prune structured|unstructured|2:4]\n"
        "  tiny MODEL HARDWARE [--precision P] [--efficiency E]\n"
        "  optimize parallelism|placement|batching PLAN.yaml [--carbon-tax USD_PER_T]\n"
        "                       [--sla-ms T --qps Q] [--output-tokens N]\n"
        "  schema\n"
        "  validate [--table FILE]\n"
        "\n"
        "exit codes: 0 ok, 1 bad input, 2 does not fit in memory, 3 a target not met (a plan assert,\n"
        "            serve --p99-ms, optimize --sla-ms)\n",
        MS_VERSION);
}

int main(int argc, char **argv)
{
    ms_cli c = {NULL, MS_FMT_TEXT};
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
        else { fprintf(stderr, "mlsysim: --output: '%s' is not text, json or markdown\n", val); free(rest); return MS_EXIT_INPUT; }
    }
    rest[n] = NULL;
    if (help || n == 0) {
        usage(help ? stdout : stderr);
        free(rest);
        return help ? MS_EXIT_OK : MS_EXIT_INPUT;
    }
    const char *cmd = rest[0];
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
    else {
        fprintf(stderr, "mlsysim: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = MS_EXIT_INPUT;
    }
    ms_registry_free(c.reg);
    free(rest);
    return rc;
}
