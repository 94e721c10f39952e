/* fuzz_runs.c - MLSys·im's validation tables, as `mlsysim validate --runs FILE` reads them: a runs
 * table with the calibration.csv and stacks.csv beside it (ms_dist_validation_load, then _run), and
 * the NCCL-tests table (ms_dist_coll_validation_load_figures with the small calibration.csv: every
 * accepted row predicted with a positive bus bandwidth, and as the ring when it forces
 * NCCL_ALGO=RING) and the serving table (ms_serving_validation_run,
 * against the built-in registry). The first byte picks which of the five files the rest of the input
 * is; a runs table's two neighbours are then small valid tables. Properties: no crash, hang or
 * sanitizer report; a refusal has a message that names a file; an accepted runs table predicts every
 * row with finite step times, errors and summary figures, a clock in (0, 1] under a power limit,
 * whole figures where blank hardware columns came from the registry, and a whole architecture where
 * the row named its model;
 * an accepted serving table predicts every row with a finite positive figure, an efficiency in
 * (0, 1], between 1 and `batch` sequences in flight, a finite non-negative attention-block time and,
 * in a closed loop, between 1 and those prompts prefilled an iteration.
 * The three built-in tables load together (the stack entry names its calibration row, R1). */
#include <math.h>
#include <string.h>
#include "fuzz_util.h"
#include "mlsysim/distributed.h"
#include "mlsysim/mlsysim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char runs_ok[] =
    "id,stack,accelerators,peak_tflops,hbm_gb_s,hbm_gib,accels_per_node,intra_gb_s_dir,intra_alpha_us,"
    "inter_node_gb_s_dir,inter_alpha_us,layers,hidden,heads,kv_heads,ffn,vocab,seq_len,tp,pp,microbatch,"
    "global_batch,interleave,recompute,sequence_parallel,zero_stage,overlap_dp,flash_attention,"
    "measured_tflops,measured_step_s,citation,split,arch,collectives,compute_units,hbm_fraction,"
    "intra_link_efficiency,inter_link_efficiency,cp,recompute_layer_fraction,precision,power_limit_w\n"
    "R1,A100/Megatron-LM,32,312,2039,80,8,300,0.5,200,7,24,2304,24,,,51200,2048,1,1,1,512,1,2,0,0,0,0,137,,"
    "\"a paper\",calibration,gpt,hierarchical,108,0.88,0.77,,,,fp16,\n"
    "R2,H100/llm-foundry,8,989,3350,80,8,450,0.5,400,7,24,2048,16,,,50368,2048,1,1,8,256,1,0,0,,1,1,,1.5,"
    "\"a table\",heldout,llama,,132,,,,2,,fp8,500\n"
    "R3,A100/torchtitan,64,312,2039,80,8,300,0.5,200,7,40,5120,40,40,13824,32000,4096,1,1,2,128,1,2,0,3,1,1,,4.28,"
    "\"a doc\",heldout,llama,,,,,,,0.5,,\n"
    "R4,A100/torchtitan,64,312,2039,80,8,300,0.5,200,7,40,5120,40,40,13824,32000,4096,1,1,2,128,1,1,0,3,1,1,,4.30,"
    "\"a doc\",heldout,llama,,,,,,,,bf16,300\n";
static const char cal_ok[] = "stack,efficiency,fp8_efficiency,attention_efficiency,attention_score_flops,compute_units,hbm_fraction,"
                             "intra_link_efficiency,inter_link_efficiency,aliases,tdp_w,nvls_efficiency,source\n"
                             "A100,0.74,,0.50,224,108,0.88,0.77,,A800,400,,\"ten rows\"\nH100,0.60,0.53,0.35,342,,,,,H800 GH100,700,0.74,\"one row\"\n";
static const char stk_ok[] = "stack,compute_factor,sharded_collective_efficiency,calibrated_on,source,aliases\n"
                             "Megatron-LM,0.98,,R1,\"a paper\",Megatron-Core MCore\n";   /* R1: its calibration row */

static void named(int rc, const char *err)
{
    if (rc != 0) {
        FUZZ_CHECK(err[0] != 0, "refused without a message");
        FUZZ_CHECK(strstr(err, fuzz_tmpdir()) != NULL || strncmp(err, "validation", 10) == 0 ||
                       strncmp(err, "serving validation", 18) == 0,
                   "message names no file: %s", err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const int which = data[0] % 5;
    const uint8_t *body = data + 1;
    const size_t n = size - 1;
    char err[512] = "";
    if (which == 3) {
        const char *p = fuzz_file("collectives.csv", body, n);
        char calp[1024];
        snprintf(calp, sizeof calp, "%s", fuzz_file("calibration.csv", (const uint8_t *)cal_ok, sizeof cal_ok - 1));
        ms_dist_coll_validation_t cv;
        int rc = ms_dist_coll_validation_load_figures(p, calp, &cv, err, sizeof err);
        named(rc, err);
        if (rc == 0) {
            FUZZ_CHECK(cv.n > 0, "an empty collectives table accepted");
            for (int i = 0; i < cv.n; i++) {
                FUZZ_CHECK(isfinite(cv.rows[i].error), "row %d: error %g", i, cv.rows[i].error);
                FUZZ_CHECK(cv.rows[i].predicted_busbw_bytes_per_s > 0 && cv.rows[i].algorithm != NULL,
                           "row %d: busbw %g", i, cv.rows[i].predicted_busbw_bytes_per_s);
                FUZZ_CHECK(!cv.rows[i].fabric.ring_only || strcmp(cv.rows[i].algorithm, "ring") == 0,
                           "row %d: NCCL_ALGO=RING ran as %s", i, cv.rows[i].algorithm);
            }
        }
        ms_dist_coll_validation_free(&cv);
        return 0;
    }
    if (which == 4) {
        static ms_registry *reg;
        if (!reg) reg = ms_registry_new(err, sizeof err);
        FUZZ_CHECK(reg != NULL, "built-in registry: %s", err);
        const char *p = fuzz_file("serving.csv", body, n);
        ms_serving_validation sv;
        int rc = ms_serving_validation_run(reg, p, &sv, err, sizeof err);
        named(rc, err);
        if (rc == 0) {
            FUZZ_CHECK(sv.n > 0, "an empty serving table accepted");
            for (int i = 0; i < sv.n; i++) {
                const ms_serving_row *r = &sv.rows[i];
                FUZZ_CHECK(isfinite(r->predicted) && r->predicted > 0, "row %s: predicted %g", r->id, r->predicted);
                FUZZ_CHECK(isfinite(r->error), "row %s: error %g", r->id, r->error);
                FUZZ_CHECK(r->efficiency > 0 && r->efficiency <= 1, "row %s: efficiency %g", r->id, r->efficiency);
                FUZZ_CHECK(r->in_flight >= 1 && r->in_flight <= r->batch, "row %s: %d in flight of %d", r->id,
                           r->in_flight, r->batch);
                FUZZ_CHECK(r->clients == 0 || (r->wave_per_iteration >= 1 && r->wave_per_iteration <= r->in_flight),
                           "row %s: %d prompts an iteration of %d in flight", r->id, r->wave_per_iteration, r->in_flight);
                /* the decode attention's thread blocks add time, never take it away */
                FUZZ_CHECK(isfinite(r->attn_block_s) && r->attn_block_s >= 0, "row %s: attention blocks %g s", r->id,
                           r->attn_block_s);
            }
        }
        ms_serving_validation_free(&sv);
        return 0;
    }
    const char *runs = which == 0 ? fuzz_file("runs.csv", body, n)
                                  : fuzz_file("runs.csv", (const uint8_t *)runs_ok, sizeof runs_ok - 1);
    fuzz_file("calibration.csv", which == 1 ? body : (const uint8_t *)cal_ok, which == 1 ? n : sizeof cal_ok - 1);
    fuzz_file("stacks.csv", which == 2 ? body : (const uint8_t *)stk_ok, which == 2 ? n : sizeof stk_ok - 1);
    ms_dist_validation_t v;
    int rc = ms_dist_validation_load(runs, &v, err, sizeof err);
    named(rc, err);
    if (rc == 0) {
        FUZZ_CHECK(v.n > 0, "an empty runs table accepted");
        rc = ms_dist_validation_run(&v, err, sizeof err);
        if (rc != 0) {
            FUZZ_CHECK(err[0] != 0, "a row refused without a message");
        } else {
            for (int i = 0; i < v.n; i++) {
                const ms_dist_run_row_t *r = &v.rows[i];
                FUZZ_CHECK(isfinite(r->predicted_step_s) && r->predicted_step_s >= 0, "row %s: predicted %g s", r->id,
                           r->predicted_step_s);
                FUZZ_CHECK(isfinite(r->error), "row %s: error %g", r->id, r->error);
                FUZZ_CHECK(r->predicted.clock_fraction > 0 && r->predicted.clock_fraction <= 1, "row %s: clock %g under a power limit",
                           r->id, r->predicted.clock_fraction);
                FUZZ_CHECK(r->par.global_batch > 0 && r->published_batch > 0, "row %s: batch %d run for %d published", r->id,
                           r->par.global_batch, r->published_batch);
                /* blank hardware columns filled from the registry: every figure the row runs on */
                FUZZ_CHECK(!r->hardware_from[0] || (r->accel.peak_flops > 0 && r->accel.mem_bw_bytes_per_s > 0 &&
                                                    r->fabric.accels_per_node >= 1 && r->fabric.intra_bw_bytes_per_s > 0 &&
                                                    r->fabric.inter_bw_bytes_per_s > 0),
                           "row %s: hardware from %s incomplete", r->id, r->hardware_from);
                /* blank architecture columns filled from the model the row names */
                FUZZ_CHECK(!r->model_from[0] || (r->model.layers > 0 && r->model.hidden > 0 && r->model.heads > 0 &&
                                                 r->model.vocab > 0),
                           "row %s: architecture from %s incomplete", r->id, r->model_from);
            }
            for (int i = 0; i < v.nrefused; i++)   /* refused rows leave the others predicted, with a reason */
                FUZZ_CHECK(v.refused[i].line >= 2 && strstr(v.refused[i].reason, v.refused[i].id) != NULL,
                           "refused row %s without its line or reason", v.refused[i].id);
            FUZZ_CHECK(isfinite(v.median_abs_error) && isfinite(v.max_abs_error), "summary not finite");
        }
    }
    ms_dist_validation_free(&v);
    return 0;
}
