/* main.c - tito, TinyTorch's command line for learners.
 *
 *   tito --help | --version
 *   tito milestone list
 *   tito milestone info NN
 *   tito milestone run NN [--epochs E] [--seed S] [--json FILE] [--data DIR] [--out DIR] [--text FILE] [--quick]
 *                         [--part K] [--resume] [--checkpoint-every N]     (tito/cmd_milestone.c)
 *   tito milestone status
 *
 * Exit status: 0 the goal was met (or the command succeeded), 1 a milestone ran but missed its goal,
 * 2 an error (bad arguments, missing data, I/O). Data directory: --data, else $MLSB_DATA, else ./data
 * when it exists, else the source tree's data/.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "milestone.h"
#include "commands.h"
#include "result_json.h"
#include "tinytorch/progress.h"

#define TITO_VERSION "0.1.0"
#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "tito - TinyTorch's command line\n"
            "\n"
            "usage:\n"
            "  tito milestone list                 the historical milestones\n"
            "  tito milestone info NN              what milestone NN does and its goal\n"
            "  tito milestone run NN [options]     run milestone NN (01, 02, ... or its name; tito milestone --help)\n"
            "  tito milestone status               which milestones your modules unlock, runs and best results\n"
            "  tito quantize CKPT [options]        int8 post-training quantization (tito quantize --help)\n"
            "  tito profile CKPT|NN [options]      per-layer time, FLOPs, bytes, roofline (tito profile --help)\n"
            "  tito plot LOG.metrics.jsonl ...     loss and accuracy curves, runs overlaid (tito plot --help)\n"
            "  tito compress CKPT --prune K:A      pruning, fine-tuning, distillation (tito compress --help)\n"
            "  [mpirun -np N] tito train [options]  data-parallel LeNet-5 over MPI (tito train --help)\n"
            "  tito capstone [options]             module 20: quantize, benchmark (MLPerf EDU), Pareto, submit\n"
            "  tito eval MODEL [--data PATH]       accuracy of a model file on a data set (tito eval --help)\n"
            "  tito predict MODEL FILE             the classes of the samples in FILE (tito predict --help)\n"
            "  tito module start|test|complete NN  build module NN yourself, graded on your code (tito module --help)\n"
            "  tito status                         your modules and the milestones they unlock\n"
            "  tito grade DIR [NN ...] [--json]    (instructors) points per test and module of a workspace\n"
            "  tito --version | --help\n"
            "\n"
            "options of 'milestone run' (--quick, --part K, --resume, --json FILE, ...): tito milestone --help\n"
            "\n"
            "exit status: 0 goal met, 1 goal missed, 2 error\n");
}

static int bad_args(const char *fmt, const char *arg)
{
    fflush(stdout); /* results printed so far come first when both streams go to one pipe */
    fprintf(stderr, "tito: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'tito --help')\n");
    return 2;
}

/* Subcommands in their own files (commands.h); their help lines are in usage(). */
static const tito_command tito_commands[] = {
    {"milestone", "tito milestone list|info|run|status", tito_cmd_milestone},
    {"milestones", "tito milestones list|info|run|status", tito_cmd_milestone},
    {"eval", "tito eval MODEL [--data PATH]", tito_cmd_eval},
    {"predict", "tito predict MODEL FILE", tito_cmd_predict},
    {"quantize", "tito quantize CKPT [options]", tito_cmd_quantize},
    {"profile", "tito profile CKPT|NN [options]", tito_cmd_profile},
    {"plot", "tito plot LOG.metrics.jsonl [MORE ...] [--svg FILE] [--metric LIST]", tito_cmd_plot},
    {"compress", "tito compress CKPT --prune K:A", tito_cmd_compress},
    {"train", "[mpirun -np N] tito train [options]", tito_cmd_train},
    {"capstone", "tito capstone [options]", tito_cmd_capstone},
    {"module", "tito module list|start|test|complete|reset|view|status [NN]", tito_cmd_module},
    {"status", "tito status [--json]", tito_cmd_status},
    {"grade", "tito grade DIR [NN ...] [--json]", tito_cmd_grade},
};

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("tito (TinyTorch) %s\n", TITO_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof tito_commands / sizeof tito_commands[0]; i++) {
        if (strcmp(argv[1], tito_commands[i].name) == 0) {
            return tito_commands[i].run(argc - 2, argv + 2);
        }
    }
    return bad_args("unknown command '%s'", argv[1]);
}
