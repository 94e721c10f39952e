/* main.c - tito, TinyTorch's command line for learners.
 *
 *   tito --help | --version
 *   tito milestone list
 *   tito milestone info NN
 *   tito milestone run NN [--epochs E] [--seed S] [--json FILE] [--data DIR] [--out DIR] [--text FILE] [--quick]
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
            "  tito milestone run NN [options]     run milestone NN (01, 02, ... or its name)\n"
            "  tito quantize CKPT [options]        int8 post-training quantization (tito quantize --help)\n"
            "  tito profile CKPT|NN [options]      per-layer time, FLOPs, bytes, roofline (tito profile --help)\n"
            "  tito compress CKPT --prune K:A      pruning, fine-tuning, distillation (tito compress --help)\n"
            "  [mpirun -np N] tito train [options]  data-parallel LeNet-5 over MPI (tito train --help)\n"
            "  tito capstone [options]             module 20: quantize, benchmark (MLPerf EDU), Pareto, submit\n"
            "  tito eval MODEL [--data PATH]       accuracy of a model file on a data set (tito eval --help)\n"
            "  tito predict MODEL FILE             the classes of the samples in FILE (tito predict --help)\n"
            "  tito module start|test|complete NN  build module NN yourself, graded on your code (tito module --help)\n"
            "  tito status                         your modules and the milestones they unlock\n"
            "  tito --version | --help\n"
            "\n"
            "options of 'milestone run':\n"
            "  --epochs E     training epochs (default: the milestone's own)\n"
            "  --seed S       random seed (default 42)\n"
            "  --json FILE    write the result as JSON to FILE\n"
            "  --data DIR     data sets (default: $MLSB_DATA, ./data, or the source tree's data/)\n"
            "  --out DIR      checkpoints and metrics logs (default runs/)\n"
            "  --text FILE    text corpus for the language milestones\n"
            "  --quick        a short smoke run\n"
            "  --dir D        run it on your own modules in workspace D (tito module --help); it needs them completed\n"
            "  --distributed  milestone 04 only: its LeNet-5 data-parallel under mpirun (tito train --help)\n"
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

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s) {
        return false;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-') {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE) {
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

/* Finds a milestone by number ("3", "03") or name ("mlp", case-insensitive). */
static const tt_milestone *find_milestone(const char *q)
{
    long n;
    for (int i = 0; i < tt_milestone_count; i++) {
        const tt_milestone *m = tt_milestones[i];
        if (parse_long(q, 0, 99, &n) && atol(m->id) == n) {
            return m;
        }
        size_t a = strlen(q), b = strlen(m->name);
        bool same = a == b;
        for (size_t k = 0; same && k < a; k++) {
            same = tolower((unsigned char)q[k]) == tolower((unsigned char)m->name[k]);
        }
        if (same) {
            return m;
        }
    }
    return NULL;
}

static int cmd_list(void)
{
    printf("TinyTorch milestones (run one with: tito milestone run NN)\n\n");
    for (int i = 0; i < tt_milestone_count; i++) {
        const tt_milestone *m = tt_milestones[i];
        printf("  %s  %-12s %s  %s\n", m->id, m->name, m->year, m->summary);
    }
    return 0;
}

/* The folder that will hold path (its parent; "." for a bare name) exists now. */
static bool parent_exists(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) {
        return true;
    }
    if (slash == dir) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    return is_dir(dir);
}

/* True when `path` names a file directly inside folder `dir` ("runs/x.json" in "runs" or "runs/"). */
static bool file_in_dir(const char *path, const char *dir)
{
    const char *slash = strrchr(path, '/');
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    return slash && (size_t)(slash - path) == n && strncmp(path, dir, n) == 0;
}

static const char *default_data_dir(void)
{
    const char *env = getenv("MLSB_DATA");
    if (env && *env) {
        return env;
    }
    if (is_dir("data")) {
        return "data";
    }
    return MLSB_SOURCE_DIR "/data";
}

static void print_summary(const tt_milestone *m, const tt_milestone_result *r, int rc, double secs)
{
    char t[16];
    tt_format_duration(secs, t, sizeof t);
    printf("\nMilestone %s (%s, %s): %s in %s\n", m->id, m->name, m->year,
           rc == 0 ? (tt_ms_result_get(r, "quick", 0) != 0 ? "quick run passed (the full run checks every goal)"
                                                             : "GOAL MET")
           : rc == 1 ? "goal missed" : "error", t);
    for (int i = 0; i < r->n; i++) {
        if (r->f[i].is_str) {
            printf("  %-36s %s\n", r->f[i].key, r->f[i].str);
        } else {
            printf("  %-36s %.6g\n", r->f[i].key, r->f[i].num);
        }
    }
}

static int cmd_run(int argc, char **argv)
{
    if (argc < 1) {
        return bad_args("%s", "milestone run: which milestone? (tito milestone list)");
    }
    for (int i = 0; i < argc; i++) { /* 'run --help', 'run NN --help' */
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    const tt_milestone *m = find_milestone(argv[0]);
    if (!m) {
        return bad_args("no milestone '%s' (tito milestone list shows them)", argv[0]);
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--distributed") == 0) {   /* LeNet-5 over MPI: cmd_train.c */
            return strcmp(m->id, "04") == 0 ? tito_cmd_train(argc - 1, argv + 1)
                                            : bad_args("--distributed: only milestone 04 has a data-parallel run, not %s", m->id);
        }
    }
    tt_milestone_opts o = {0, 42, NULL, "runs", NULL, false};
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strcmp(a, "--quick") == 0) {
            o.quick = true;
            continue;
        }
        if (strcmp(a, "--epochs") && strcmp(a, "--seed") && strcmp(a, "--json") && strcmp(a, "--data") &&
            strcmp(a, "--out") && strcmp(a, "--text")) {
            return bad_args("unknown option '%s'", a);
        }
        if (!v) {
            return bad_args("option '%s' needs a value", a);
        }
        i++;
        if (strcmp(a, "--epochs") == 0) {
            if (!parse_long(v, 1, 100000, &n)) {
                return bad_args("--epochs wants a whole number from 1 to 100000, not '%s'", v);
            }
            o.epochs = (int)n;
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_u64(v, &o.seed)) {
                return bad_args("--seed wants a non-negative whole number, not '%s'", v);
            }
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (strcmp(a, "--data") == 0) {
            if (!is_dir(v)) {
                return bad_args("--data: '%s' is not a directory", v);
            }
            o.data_dir = v;
        } else if (strcmp(a, "--out") == 0) {
            o.out_dir = v;
        } else {
            o.text_path = v;
        }
    }
    if (!o.data_dir) {
        o.data_dir = default_data_dir();
    }
    /* Checked before the run, so a typo does not cost the result: --out must be a folder or a new one
     * inside an existing folder (nothing deeper is created); the --json file's folder must exist or be
     * that --out folder, which is then created now. */
    if (!is_dir(o.out_dir) && !parent_exists(o.out_dir)) {
        return bad_args("--out %s: neither a folder nor a new one inside an existing folder", o.out_dir);
    }
    if (json && !is_dir(json) && !parent_exists(json) && file_in_dir(json, o.out_dir) && mkdir(o.out_dir, 0777) != 0) {
        fprintf(stderr, "tito: cannot create %s: %s\n", o.out_dir, strerror(errno));
        return 2;
    }
    if (json && (is_dir(json) || !parent_exists(json))) {
        return bad_args("--json %s: not a file in an existing folder", json);
    }
    static tt_milestone_result res; /* ~16 KB: keep it off the stack */
    memset(&res, 0, sizeof res);
    double t0 = tt_now_seconds();
    int rc = m->run(&o, &res);
    if (rc < 0 || rc > 2) {
        rc = 2;
    }
    double secs = tt_now_seconds() - t0;
    tt_ms_result_num(&res, "seconds", secs);
    tt_ms_result_num(&res, "seed", (double)o.seed);
    print_summary(m, &res, rc, secs);
    if (json) {
        char err[1200];
        if (tito_save_result(json, m, &res, rc, err, sizeof err) != 0) {
            fprintf(stderr, "tito: %s\n", err);
            return 2;
        }
        printf("  result: %s\n", json);
    }
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    if (argc < 1) {
        return bad_args("%s", "milestone info: which milestone?");
    }
    const tt_milestone *m = find_milestone(argv[0]);
    if (!m) {
        return bad_args("no milestone '%s' (tito milestone list shows them)", argv[0]);
    }
    printf("Milestone %s: %s (%s)\n  %s\n  run: tito milestone run %s\n", m->id, m->name, m->year, m->summary, m->id);
    return 0;
}

/* Subcommands in their own files (commands.h); their help lines are in usage(). */
static const tito_command tito_commands[] = {
    {"eval", "tito eval MODEL [--data PATH]", tito_cmd_eval},
    {"predict", "tito predict MODEL FILE", tito_cmd_predict},
    {"quantize", "tito quantize CKPT [options]", tito_cmd_quantize},
    {"profile", "tito profile CKPT|NN [options]", tito_cmd_profile},
    {"compress", "tito compress CKPT --prune K:A", tito_cmd_compress},
    {"train", "[mpirun -np N] tito train [options]", tito_cmd_train},
    {"capstone", "tito capstone [options]", tito_cmd_capstone},
    {"module", "tito module list|start|test|complete|reset|view|status [NN]", tito_cmd_module},
    {"status", "tito status [--json]", tito_cmd_status},
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
    if (strcmp(argv[1], "milestone") == 0 || strcmp(argv[1], "milestones") == 0) {
        if (argc < 3) {
            return bad_args("%s", "milestone: list, info NN or run NN?");
        }
        if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[2], "list") == 0) {
            return cmd_list();
        }
        if (strcmp(argv[2], "run") == 0) {
            for (int i = 3; i < argc; i++) { /* --dir D: on the learner's own modules (cmd_module.c) */
                if (strcmp(argv[i], "--dir") == 0) {
                    return tito_milestone_learner(argc - 3, argv + 3);
                }
            }
            return cmd_run(argc - 3, argv + 3);
        }
        if (strcmp(argv[2], "info") == 0) {
            return cmd_info(argc - 3, argv + 3);
        }
        return bad_args("milestone: unknown command '%s' (list, info, run)", argv[2]);
    }
    for (size_t i = 0; i < sizeof tito_commands / sizeof tito_commands[0]; i++) {
        if (strcmp(argv[1], tito_commands[i].name) == 0) {
            return tito_commands[i].run(argc - 2, argv + 2);
        }
    }
    return bad_args("unknown command '%s'", argv[1]);
}
