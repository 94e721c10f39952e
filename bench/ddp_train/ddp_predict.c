/* ddp_predict.c - MLSys·im's step time for data-parallel LeNet-5 at N ranks, from the -np 1 run.
 *
 *   ddp_predict N GLOBAL_BATCH STEP1_S OPT1_S BACKWARD1_S GRAD_BYTES ALPHA_S BW_BYTES_PER_S
 *
 * The plan, as MLSys·im's distributed step models data parallelism (src/scale/train_step.c):
 *   compute(b)  = (STEP1_S - OPT1_S) * b / B + OPT1_S       work per sample as measured at -np 1,
 *                                                          b = B / N samples per rank
 *   all-reduce  = ms_coll_time_s(ring, GRAD_BYTES, N) on a one-node fabric with the link's alpha and
 *                 bandwidth fitted by bench/allreduce
 *   exposed     = max(0, all-reduce - backward(b))        (overlap_dp: hidden behind backward)
 *   step        = compute(b) + exposed
 * Prints one JSON line: predicted_step_s, compute_s, allreduce_s, exposed_s.
 */
#include <stdio.h>
#include <stdlib.h>
#include "mlsysim/distributed.h"

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: ddp_predict N GLOBAL_BATCH STEP1_S OPT1_S BACKWARD1_S GRAD_BYTES ALPHA_S BW\n");
        return 2;
    }
    int n = atoi(argv[1]);
    double B = atof(argv[2]), step1 = atof(argv[3]), opt1 = atof(argv[4]), bwd1 = atof(argv[5]);
    double grad = atof(argv[6]), alpha = atof(argv[7]), bw = atof(argv[8]);
    if (n < 1 || B < n || step1 <= 0 || opt1 < 0 || bwd1 < 0 || grad <= 0 || alpha < 0 || bw <= 0) {
        fprintf(stderr, "ddp_predict: every argument must be positive (N >= 1, GLOBAL_BATCH >= N)\n");
        return 2;
    }
    double b = B / n;
    double compute = (step1 - opt1) * b / B + opt1;
    ms_dist_fabric_t fab = {.accels_per_node = n, .nodes = 1, .intra_bw_bytes_per_s = bw, .intra_alpha_s = alpha,
                            .inter_bw_bytes_per_s = bw, .inter_alpha_s = alpha};
    double ar = n > 1 ? ms_coll_time_s(MS_COLL_ALLREDUCE_RING, grad, n, 1, &fab) : 0.0;
    double hide = bwd1 * b / B;
    double exposed = ar > hide ? ar - hide : 0.0;
    printf("{\"predicted_step_s\": %.6g, \"compute_s\": %.6g, \"allreduce_s\": %.6g, \"exposed_s\": %.6g}\n",
           compute + exposed, compute, ar, exposed);
    return 0;
}
