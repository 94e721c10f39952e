/* ddp_predict.c - MLSys·im's step time for data-parallel LeNet-5 at N ranks, from the -np 1 run.
 *
 *   ddp_predict N GLOBAL_BATCH B1 STEP1_S OPT1_S BACKWARD1_S GRAD_BYTES BUCKETS LINK_FILE [cpu]
 *
 * The plan, as MLSys·im's distributed step models data parallelism (src/scale/train_step.c):
 *   compute(b)  = (STEP1_S - OPT1_S) * b / B1 + OPT1_S      work per sample as measured by one rank
 *                                                          at batch B1 (best: B1 = b, the shard,
 *                                                          which keeps the small-batch cost per
 *                                                          sample), b = GLOBAL_BATCH / N per rank
 *   all-reduce  = BUCKETS ring all-reduces of GRAD_BYTES / BUCKETS each over N ranks on this
 *                 machine's shared-memory link (mlsysim/shm_link.h; LINK_FILE as bench/allreduce
 *                 writes it: caches from sysfs, alpha and speeds fitted in the same run); `cpu`: the
 *                 link's CPU-time form (ranks > CPUs pay a core hand-off per step, not p/c of it);
 *                 in place, as tinytorch_dist reduces its buckets: no local copy, no send buffer
 *   exposed     = max(0, all-reduce - backward(b))        (overlap_dp: hidden behind backward)
 *   step        = compute(b) + exposed
 * Prints one JSON line: predicted_step_s, compute_s (of which backward_s and optimizer_s),
 * allreduce_s, exposed_s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlsysim/shm_link.h"

int main(int argc, char **argv)
{
    if (argc != 10 && argc != 11) {
        fprintf(stderr, "usage: ddp_predict N GLOBAL_BATCH B1 STEP1_S OPT1_S BACKWARD1_S GRAD_BYTES BUCKETS LINK_FILE "
                        "[cpu]\n");
        return 2;
    }
    int n = atoi(argv[1]), buckets = atoi(argv[8]);
    double B = atof(argv[2]), B1 = atof(argv[3]), step1 = atof(argv[4]), opt1 = atof(argv[5]), bwd1 = atof(argv[6]);
    double grad = atof(argv[7]);
    int cpu = argc == 11 && !strcmp(argv[10], "cpu");
    if (n < 1 || B < n || B1 < 1 || step1 <= 0 || opt1 < 0 || bwd1 < 0 || grad <= 0 || buckets < 1) {
        fprintf(stderr, "ddp_predict: every argument must be positive (N >= 1, GLOBAL_BATCH >= N, B1 >= 1, "
                        "BUCKETS >= 1)\n");
        return 2;
    }
    ms_shm_link_t link;
    char err[512];
    if (ms_shm_load(argv[9], &link, err, sizeof err) != 0) {
        fprintf(stderr, "ddp_predict: %s\n", err);
        return 2;
    }
    /* tinytorch_dist reduces its buckets in place (MPI_IN_PLACE): no local copy first (the working
     * set per message byte stays the fitted one; the buckets are far below any cache edge) */
    link.local_copy = 0;
    double b = B / n;
    double compute = (step1 - opt1) * b / B1 + opt1;
    double ar = n > 1 ? buckets * ms_shm_allreduce_s(&link, grad / buckets, n, cpu) : 0.0;
    double hide = bwd1 * b / B1;
    double exposed = ar > hide ? ar - hide : 0.0;
    printf("{\"predicted_step_s\": %.6g, \"compute_s\": %.6g, \"backward_s\": %.6g, \"optimizer_s\": %.6g, "
           "\"allreduce_s\": %.6g, \"exposed_s\": %.6g}\n", compute + exposed, compute, hide, opt1, ar, exposed);
    return 0;
}
