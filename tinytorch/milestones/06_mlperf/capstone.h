/* capstone.h - the capstone pipeline shared by `tito capstone` and milestone 06 (compiled into tito,
 * which links MLPerf EDU): baseline -> profile (module 14) -> quantize (15) -> prune/distill (16) ->
 * benchmark (19 + MLPerf EDU) -> Pareto frontier -> submission. Steps whose module is not in this
 * build are skipped with a message and listed in the submission's "skipped". */
#ifndef TT_CAPSTONE_RUN_H
#define TT_CAPSTONE_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "milestone.h"

typedef struct tt_capstone_opts {
    const char *out_dir;      /* default runs/: weights; results under <out>/capstone/ */
    const char *data_dir;     /* holds fashion-mnist/ */
    const char *checkpoint;   /* LeNet-5 weights; default <out>/04_cnn_lenet5_fashion_mnist.safetensors
                                 (milestone 04) when present, else trained here */
    int epochs;               /* training epochs when no weights exist (0: 3; quick: 1) */
    double min_duration_s;    /* per performance run (0: 10 s; quick: 1 s) */
    bool quick;
} tt_capstone_opts;

/* Runs the pipeline, records its numbers in res and prints a summary. Returns 0 when the goal is met
 * (the fp32 LeNet-5 meets the closed-division accuracy target, its SingleStream and Offline results are
 * VALID, and the submission conforms to the schema), 1 when it ran but missed, 2 on an error. */
int tt_capstone_run(const tt_capstone_opts *o, tt_milestone_result *res);

#endif
