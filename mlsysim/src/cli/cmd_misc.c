/* cmd_misc.c - `mlsysim schema` (the plan's JSON Schema), `mlsysim compress` (quantization and
 * pruning effects) and `mlsysim tiny` (microcontroller fit, latency, energy). */
#include "cli.h"

#include "mlsysim/solvers.h"

#include <stdlib.h>
#include <string.h>

int ms_cli_schema(ms_cli *c, int argc, char **argv)
{
    (void)c;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-t") || !strcmp(argv[i], "--type")) && i + 1 < argc && !strcmp(argv[i + 1], "plan")) { i++; continue; }
        fprintf(stderr, "mlsysim schema: unexpected argument '%s' (only the plan schema exists)\n", argv[i]);
        return MS_EXIT_INPUT;
    }
    size_t n = ms_plan_schema_json(NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf) return MS_EXIT_INPUT;
    ms_plan_schema_json(buf, n + 1);
    fputs(buf, stdout);
    free(buf);
    return MS_EXIT_OK;
}

int ms_cli_compress(ms_cli *c, int argc, char **argv)
{
    ms_opts op;
    int rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD | MS_OPT_TRAIN | MS_OPT_COMPRESS, &op);
    if (rc) return rc;
    if (!op.have_to && op.comp.prune == MS_PRUNE_NONE) {
        fprintf(stderr, "mlsysim compress: give --to PRECISION and/or --prune KIND --sparsity S\n");
        return MS_EXIT_INPUT;
    }
    if (!op.have_to) op.comp.target = op.comp.base;
    ms_compress_result r;
    ms_compress(op.model, op.hw, &op.w, &op.comp, &r);
    ms_result o;
    char title[400];
    snprintf(title, sizeof title, "Compressing %s on %s: %s -> %s", op.model->title, op.hw->title,
             ms_precision_name(op.comp.base), ms_precision_name(op.comp.target));
    ms_result_init(&o, title);
    ms_result_str(&o, "model", op.model->name);
    ms_result_str(&o, "hardware", op.hw->name);
    ms_result_str(&o, "from_precision", ms_precision_name(op.comp.base));
    ms_result_str(&o, "to_precision", ms_precision_name(op.comp.target));
    static const char *const kinds[] = {"none", "unstructured", "structured", "2:4"};
    ms_result_str(&o, "prune", kinds[op.comp.prune]);
    ms_result_num(&o, "sparsity", op.comp.sparsity);
    ms_result_num(&o, "weights_before_bytes", r.weights_before_bytes);
    ms_result_num(&o, "weights_after_bytes", r.weights_after_bytes);
    ms_result_num(&o, "compression_ratio", r.compression_ratio);
    ms_result_num(&o, "memory_traffic_before_bytes", r.bytes_before);
    ms_result_num(&o, "memory_traffic_after_bytes", r.bytes_after);
    ms_result_num(&o, "latency_before_s", r.latency_before_s);
    ms_result_num(&o, "latency_after_s", r.latency_after_s);
    ms_result_num(&o, "latency_s", r.latency_after_s);
    ms_result_num(&o, "speedup", r.speedup);
    ms_result_bool(&o, "feasible_before", r.feasible_before);
    ms_result_bool(&o, "feasible", r.feasible_after);
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    return r.feasible_after ? MS_EXIT_OK : MS_EXIT_MEMORY;
}

int ms_cli_tiny(ms_cli *c, int argc, char **argv)
{
    /* --kernel: the named microcontroller efficiency (solvers.h); taken out before the shared flags */
    ms_tiny_kernel kernel = MS_TINY_KERNEL_CMSIS_NN;
    int n = 0, have_kernel = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--kernel")) {
            if (i + 1 >= argc || ms_tiny_kernel_parse(argv[i + 1], &kernel)) {
                fprintf(stderr, "mlsysim tiny: --kernel '%s' is not cmsis-nn or plain-c\n", i + 1 < argc ? argv[i + 1] : "");
                return MS_EXIT_INPUT;
            }
            have_kernel = 1;
            i++;
            continue;
        }
        argv[n++] = argv[i];
    }
    argv[n] = NULL;
    argc = n;
    ms_opts op;
    int rc = ms_cli_parse_opts(c, argc, argv, MS_OPT_WORKLOAD, &op);
    if (rc) return rc;
    if (!op.have_eff) op.w.efficiency = ms_tiny_kernel_efficiency(kernel);
    else if (have_kernel) fprintf(stderr, "mlsysim tiny: --efficiency %g replaces the %s figure\n", op.w.efficiency, ms_tiny_kernel_name(kernel));
    int have_prec = 0;
    for (int i = 1; i < argc; i++) have_prec |= !strncmp(argv[i], "--precision", 11) || !strcmp(argv[i], "-p");
    ms_precision p = have_prec ? op.w.precision : MS_INT8;    /* MCUs run int8 unless told */
    char pmsg[400];
    int pc = ms_hw_precision_check(op.hw, p, pmsg, sizeof pmsg);
    if (pc < 0) { fprintf(stderr, "mlsysim tiny: --precision: %s\n", pmsg); return MS_EXIT_INPUT; }
    if (pc > 0) fprintf(stderr, "mlsysim tiny: %s\n", pmsg);
    ms_tiny_result r;
    ms_tinyml(op.model, op.hw, p, op.w.efficiency, &r);
    ms_result o;
    char title[400];
    snprintf(title, sizeof title, "%s on %s (%s)", op.model->title, op.hw->title, ms_precision_name(p));
    ms_result_init(&o, title);
    ms_result_str(&o, "model", op.model->name);
    ms_result_str(&o, "hardware", op.hw->name);
    ms_result_str(&o, "precision", ms_precision_name(p));
    ms_result_str(&o, "kernel", op.have_eff ? "custom" : ms_tiny_kernel_name(kernel));
    ms_result_num(&o, "efficiency", op.w.efficiency);
    ms_result_num(&o, "memory_weights_bytes", r.weights_bytes);
    ms_result_num(&o, "memory_activations_bytes", r.activation_bytes);
    ms_result_num(&o, "flash_capacity_bytes", r.flash_bytes);
    ms_result_num(&o, "sram_capacity_bytes", r.sram_bytes);
    ms_result_bool(&o, "fits_flash", r.fits_flash);
    ms_result_bool(&o, "fits_sram", r.fits_sram);
    ms_result_num(&o, "macs", r.macs);
    ms_result_num(&o, "latency_s", r.latency_s);
    ms_result_num(&o, "throughput_per_s", 1.0 / r.latency_s);
    ms_result_num(&o, "energy_j", r.energy_j);
    ms_result_bool(&o, "feasible", r.fits_flash && r.fits_sram);
    ms_result_print(&o, c->fmt, stdout);
    ms_result_free(&o);
    if (!(r.fits_flash && r.fits_sram)) {
        fprintf(stderr, "mlsysim tiny: does not fit: weights %.3g kB (flash %.3g kB), activations %.3g kB (SRAM %.3g kB)\n",
                r.weights_bytes / 1e3, r.flash_bytes / 1e3, r.activation_bytes / 1e3, r.sram_bytes / 1e3);
        return MS_EXIT_MEMORY;
    }
    return MS_EXIT_OK;
}
