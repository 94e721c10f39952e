/* session.h - one MLPerf EDU benchmark run end to end, as a library call the CLI, tito's capstone and
 * milestone 06 share: run a scenario on a workload, score accuracy mode against the closed-division
 * target, predict Server latency from a SingleStream calibration, and write the results folder:
 *
 *   <out>/<workload>/<Scenario>/<performance|accuracy>/run_<k>/
 *       mlperf_log_summary.txt  mlperf_log_detail.txt  [mlperf_log_accuracy.json]
 *       result.json     the numbers below, the settings and the machine fingerprint
 *       manifest.json   SHA-256 of the source tree, weights, data files, settings and the machine
 */
#ifndef MLPERF_EDU_SESSION_H
#define MLPERF_EDU_SESSION_H

#include <stdbool.h>
#include "mlperf_edu/loadgen.h"
#include "mlperf_edu/predict.h"
#include "mlperf_edu/workload.h"

typedef struct mle_run_opts {
    mle_settings settings;
    const char *workload;     /* name, for the folder and the JSON */
    const char *out_dir;      /* results root; NULL writes nothing */
    int run_id;               /* run_<k> (0: 1) */
    int max_batch;            /* SUT batching for this run (0: 1 for SingleStream/MultiStream/Server, 64 Offline) */
    bool quiet;
} mle_run_opts;

typedef struct mle_outcome {
    mle_result result;
    /* accuracy mode */
    double accuracy, reference_accuracy, accuracy_target;   /* target = 0.99 x reference */
    bool accuracy_target_met;
    /* Server: prediction from a SingleStream calibration run in the same process */
    bool has_prediction;
    mle_prediction pred;
    char dir[1400];           /* the run's folder ("" when nothing was written) */
} mle_outcome;

/* Returns 0 when the run finished (check result.valid and accuracy_target_met), -1 on an error. */
int mle_session_run(mle_workload *w, const mle_run_opts *o, mle_outcome *out, char *err, size_t errlen);
void mle_outcome_free(mle_outcome *o);

/* SingleStream calibration: `seconds` of one-sample queries (max_batch 1); *service gets the sorted
 * latencies (malloc'ed, caller frees). Returns 0 or -1. */
int mle_calibrate_service(mle_workload *w, double seconds, double **service, size_t *n, char *err, size_t errlen);

/* Bisection for the highest Server QPS that is VALID at p99 <= bound_s, in [lo, hi], `steps` runs of
 * run_s seconds each (max_batch 1). Returns 0 (with *max_qps, 0 when even lo failed) or -1. */
int mle_find_max_qps(mle_workload *w, double bound_s, double lo, double hi, int steps, double run_s, bool quiet,
                     double *max_qps, char *err, size_t errlen);

#endif
