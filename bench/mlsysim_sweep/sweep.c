/* sweep.c - MLSys·im single-node evaluation throughput: every registry transformer, CNN and MLP x hardware x batch
 * (1..256, powers of 2) x precision (8 formats) x mode (inference, training) through ms_eval(),
 * repeated until --seconds of wall time have passed, on one thread.
 *
 *   mlsysim_sweep [--seconds S] [--dump FILE]
 * --dump writes the resolved inputs (the same numbers ms_eval reads) as JSON for the Python anchor
 * (anchor.py), which evaluates the same formula in plain floats over the same grid.
 * Prints one JSON object: evaluations, seconds, evals_per_s, checksum (of one sweep, in loop order,
 * so the anchor can confirm it computed the same results). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlsysim/mlsysim.h"
#include "mlsysim/engine.h"
#include "../bench.h"

static const int batches[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
#define NB (int)(sizeof batches / sizeof batches[0])
#define SEQ 2048

/* One full sweep; returns the checksum and adds the evaluation count. */
static double sweep(const ms_model *const *models, size_t nm, const ms_hardware *const *hws, size_t nh, long *count)
{
    double acc = 0;
    ms_workload w;
    ms_workload_default(&w);
    w.seq_len = SEQ;
    for (size_t i = 0; i < nm; i++)
        for (size_t j = 0; j < nh; j++)
            for (int b = 0; b < NB; b++)
                for (int p = 0; p < MS_PREC_COUNT; p++)
                    for (int mode = 0; mode < 2; mode++) {
                        w.batch_size = batches[b];
                        w.precision = (ms_precision)p;
                        w.mode = (ms_mode)mode;
                        ms_eval_result r;
                        ms_eval(models[i], hws[j], &w, &r);
                        acc += r.latency_s + r.memory_bytes * 1e-12 + r.mfu + r.energy_j * 1e-3 +
                               r.throughput_per_s * 1e-9 + r.feasible + (double)r.bottleneck;
                    }
    *count += (long)(nm * nh * NB * MS_PREC_COUNT * 2);
    return acc;
}

static void dump(FILE *f, const ms_model *const *models, size_t nm, const ms_hardware *const *hws, size_t nh)
{
    fprintf(f, "{\"seq_len\": %d, \"batches\": [", SEQ);
    for (int b = 0; b < NB; b++) fprintf(f, "%s%d", b ? ", " : "", batches[b]);
    fprintf(f, "], \"precision_bytes\": [");
    for (int p = 0; p < MS_PREC_COUNT; p++) fprintf(f, "%s%.17g", p ? ", " : "", ms_precision_bytes((ms_precision)p));
    fprintf(f, "], \"layer_tax_s\": %.17g, \"efficiency\": %.17g,\n\"models\": [\n", MS_LAYER_TAX_S, MS_DEFAULT_EFFICIENCY);
    for (size_t i = 0; i < nm; i++) {
        const ms_model *m = models[i];
        fprintf(f, "%s{\"name\": \"%s\", \"transformer\": %d, \"encoder\": %d, \"params\": %.17g, "
                   "\"params_active\": %.17g, \"params_matmul\": %.17g, \"attn\": %.17g, \"kv\": %.17g, "
                   "\"layers\": %d, \"hidden\": %d, \"heads\": %d, \"vocab\": %d, \"experts\": %d, "
                   "\"experts_active\": %d, \"fwd_flops\": %.17g, \"act_peak\": %.17g, \"saved_act\": %.17g}",
                i ? ",\n" : "", m->name, m->kind == MS_MODEL_TRANSFORMER, m->arch.encoder, m->params,
                m->params_active, m->params_matmul, m->attn_flops_per_pair, m->kv_elems_per_token,
                m->layers, m->arch.hidden, m->arch.heads, m->arch.vocab, m->arch.experts,
                m->arch.experts_active, m->fwd_flops, m->act_peak_bytes, m->saved_act_elems);
    }
    fprintf(f, "],\n\"hardware\": [\n");
    for (size_t j = 0; j < nh; j++) {
        const ms_hardware *h = hws[j];
        fprintf(f, "%s{\"name\": \"%s\", \"peak\": [", j ? ",\n" : "", h->name);
        for (int p = 0; p < MS_PREC_COUNT; p++) fprintf(f, "%s%.17g", p ? ", " : "", ms_hw_peak(h, (ms_precision)p));
        fprintf(f, "], \"mem\": %.17g, \"bw\": %.17g, \"sram\": %.17g, \"sram_bw\": %.17g, \"flash\": %.17g, "
                   "\"flash_bw\": %.17g, \"host_bw\": %.17g, \"tdp\": %.17g, \"dispatch\": %.17g}",
                h->mem_bytes, h->mem_bw_bytes_per_s, h->sram_bytes, h->sram_bw_bytes_per_s, h->flash_bytes,
                h->flash_bw_bytes_per_s, h->host_bw_bytes_per_s, h->tdp_w, h->dispatch_s);
    }
    fprintf(f, "]}\n");
}

int main(int argc, char **argv)
{
    double seconds = 1.0;
    const char *dump_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) dump_path = argv[++i];
        else { fprintf(stderr, "usage: mlsysim_sweep [--seconds S] [--dump FILE]\n"); return 1; }
    }
    char err[512];
    ms_registry *reg = ms_registry_new(err, sizeof err);
    if (!reg) { fprintf(stderr, "mlsysim_sweep: %s\n", err); return 1; }
    size_t nm = ms_registry_model_count(reg), nh = ms_registry_hardware_count(reg);
    const ms_model **models = malloc(nm * sizeof *models);
    const ms_hardware **hws = malloc(nh * sizeof *hws);
    if (!models || !hws) return 1;
    /* transformers, CNNs and MLPs: the models the anchor reimplements (diffusion, SSM and DLRM
     * workloads run through the same roofline but have no Python twin here) */
    size_t all = nm;
    nm = 0;
    for (size_t i = 0; i < all; i++) {
        const ms_model *m = ms_registry_model_at(reg, i);
        if (m->kind == MS_MODEL_TRANSFORMER || m->kind == MS_MODEL_CNN || m->kind == MS_MODEL_MLP) models[nm++] = m;
    }
    for (size_t j = 0; j < nh; j++) hws[j] = ms_registry_hardware_at(reg, j);
    if (dump_path) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", dump_path);
        FILE *f = fopen(tmp, "w");
        if (!f) { fprintf(stderr, "mlsysim_sweep: cannot write %s\n", tmp); return 1; }
        dump(f, models, nm, hws, nh);
        if (fclose(f) || rename(tmp, dump_path)) { fprintf(stderr, "mlsysim_sweep: cannot write %s\n", dump_path); return 1; }
    }
    long count = 0;
    double checksum = sweep(models, nm, hws, nh, &count);     /* warm-up and checksum */
    count = 0;
    double sink = 0, t0 = bench_now(), t;
    do {
        sink += sweep(models, nm, hws, nh, &count);
        t = bench_now() - t0;
    } while (t < seconds);
    /* full plan evaluations through the engine: GPT-3 175B on 1536 A100 (fleet step, reliability,
     * energy, carbon, cost, one constraint), the plan the shipped example describes */
    static const char plan_yaml[] =
        "version: \"1.0\"\nname: gpt3\n"
        "workload:\n  arch: {layers: 96, hidden: 12288, heads: 96, ffn: 49152, vocab: 51200, max_pos: 2048, bias: true, layernorm: true, tied_embeddings: true}\n"
        "  mode: training\n  seq_len: 2048\n  batch_size: 1536\n"
        "hardware: {accelerator: DGX_A100, nodes: 192, precision: fp16, efficiency: 0.73}\n"
        "parallelism: {tp: 8, pp: 12, microbatch: 1, recompute: full, overlap_dp: false, flash_attention: false}\n"
        "ops: {region: US_Avg, duration_days: 30}\n"
        "constraints:\n  assert:\n    - {metric: tflops_per_accelerator, min: 134, max: 148}\n";
    ms_plan *plan = malloc(sizeof *plan);
    ms_result *res = malloc(sizeof *res);
    if (!plan || !res || ms_plan_load_buffer(reg, "gpt3", plan_yaml, sizeof plan_yaml - 1, plan, err, sizeof err) != MS_OK) {
        fprintf(stderr, "mlsysim_sweep: plan: %s\n", err);
        return 1;
    }
    long plans = 0;
    double t1 = bench_now(), tp;
    do {
        for (int i = 0; i < 1000; i++) {
            if (ms_plan_eval(reg, plan, res) != MS_OK) { fprintf(stderr, "mlsysim_sweep: plan: %s\n", res->error); return 1; }
            double v = 0;
            ms_result_get(res, "step_time_s", &v);
            sink += v;
            ms_result_free(res);
        }
        plans += 1000;
        tp = bench_now() - t1;
    } while (tp < seconds);
    printf("{\"models\": %zu, \"hardware\": %zu, \"per_sweep\": %ld, \"evaluations\": %ld, \"seconds\": %.6f, "
           "\"evals_per_s\": %.6g, \"checksum\": %.17g, \"plan_evals_per_s\": %.6g, \"sink\": %.6g}\n",
           nm, nh, (long)(nm * nh * NB * MS_PREC_COUNT * 2), count, t, count / t, checksum, plans / tp, sink);
    free(plan);
    free(res);
    free(models);
    free(hws);
    ms_registry_free(reg);
    return 0;
}
