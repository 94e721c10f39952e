/* cmd_capstone.c - `tito capstone`: module 20's pipeline (milestones/06_mlperf/capstone.h) on LeNet-5:
 * baseline -> profile -> quantize -> prune/distill -> benchmark with MLPerf EDU -> Pareto frontier ->
 * submission checked against its JSON Schema. Steps without their module in this build are skipped.
 * Exit status: 0 goal met, 1 ran but missed, 2 error. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "06_mlperf/capstone.h"
#include "ms_common.h"

int tito_cmd_capstone(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tito capstone [--out DIR] [--data DIR] [--checkpoint FILE] [--epochs E] [--min-duration S] [--quick]\n"
            "\n"
            "  --out DIR           weights and results (default runs/; results in DIR/capstone/)\n"
            "  --data DIR          the folder holding fashion-mnist/ (default: $MLSB_DATA or data/)\n"
            "  --checkpoint FILE   LeNet-5 weights (default: DIR/04_cnn_lenet5_fashion_mnist.safetensors from\n"
            "                      'tito milestone run 04', else trained here)\n"
            "  --epochs E          training epochs when there are no weights (default 3)\n"
            "  --min-duration S    seconds per MLPerf EDU performance run (default 10)\n"
            "  --quick             1 s runs, 1 training epoch\n"
            "\n"
            "examples:\n"
            "  tito milestone run 04 --out runs && tito capstone --out runs\n"
            "  tito capstone --quick\n"
            "\n"
            "writes DIR/capstone/pareto.json, pareto.svg, submission.json and mlperf-results/\n"
            "exit status: 0 goal met, 1 goal missed, 2 error\n");
}

int tito_cmd_capstone(int argc, char **argv)
{
    tt_capstone_opts o = {0};
    o.out_dir = "runs";
    const char *env = getenv("MLSB_DATA");
    o.data_dir = env && *env ? env : NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--quick") == 0) {
            o.quick = true;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--out") && strcmp(a, "--data") && strcmp(a, "--checkpoint") && strcmp(a, "--epochs") &&
            strcmp(a, "--min-duration")) {
            fprintf(stderr, "tito capstone: unknown option '%s' (tito capstone --help)\n", a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "tito capstone: option '%s' needs a value\n", a);
            return 2;
        }
        i++;
        char *end;
        errno = 0;
        if (strcmp(a, "--out") == 0) {
            o.out_dir = v;
        } else if (strcmp(a, "--data") == 0) {
            o.data_dir = v;
        } else if (strcmp(a, "--checkpoint") == 0) {
            o.checkpoint = v;
        } else if (strcmp(a, "--epochs") == 0) {
            long e = strtol(v, &end, 10);
            if (*end || errno || e < 1 || e > 1000) {
                fprintf(stderr, "tito capstone: --epochs wants 1 to 1000, not '%s'\n", v);
                return 2;
            }
            o.epochs = (int)e;
        } else {
            double d = strtod(v, &end);
            if (*end || errno || !(d > 0 && d <= 86400)) {
                fprintf(stderr, "tito capstone: --min-duration wants seconds in (0, 86400], not '%s'\n", v);
                return 2;
            }
            o.min_duration_s = d;
        }
    }
    static tt_milestone_result res;
    memset(&res, 0, sizeof res);
    tt_ms_set_threads(&res);
    printf("TinyTorch capstone (module 20): LeNet-5 on Fashion-MNIST\n");
    int rc = tt_capstone_run(&o, &res);
    printf("\ncapstone: %s\n", rc == 0 ? "GOAL MET" : rc == 1 ? "goal missed" : "error");
    for (int i = 0; i < res.n; i++) {
        if (res.f[i].is_str) {
            printf("  %-30s %s\n", res.f[i].key, res.f[i].str);
        } else {
            printf("  %-30s %.6g\n", res.f[i].key, res.f[i].num);
        }
    }
    return rc;
}
