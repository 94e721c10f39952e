/* mlperf.c - milestone 06, MLPerf (2018): benchmarking the way the field compares systems. Runs the
 * capstone (capstone.h) on LeNet-5: MLPerf EDU's LoadGen measures SingleStream and Offline and scores
 * accuracy against the closed-division target (>= 99 % of the fp32 reference accuracy).
 * Goal: the closed-division target is met and the SingleStream and Offline results are VALID (and the
 * submission conforms to its schema). Weights: milestone 04's LeNet-5 from --out when it is there,
 * else trained here (--epochs, default 3). --quick: 1 s performance runs, 1 training epoch.
 */
#include <stdio.h>
#include "capstone.h"
#include "ms_common.h"

static int run(const tt_milestone_opts *o, tt_milestone_result *res)
{
    tt_ms_set_threads(res);
    printf("Milestone 06 - MLPerf (Reddi et al., 2019; first results 2018): LeNet-5 through MLPerf EDU\n");
    fflush(stdout);
    tt_capstone_opts c = {0};
    c.out_dir = o->out_dir;
    c.data_dir = o->data_dir;
    c.epochs = o->epochs;
    c.quick = o->quick;
    int rc = tt_capstone_run(&c, res);
    tt_ms_result_num(res, "quick", o->quick ? 1 : 0);
    return rc;
}

const tt_milestone tt_milestone_06 = {
    "06", "MLPerf", "2018",
    "MLPerf EDU on LeNet-5: VALID SingleStream + Offline meeting the closed-division accuracy target", run,
    NULL, 0, 19, "int8.accuracy", false, false,
};
