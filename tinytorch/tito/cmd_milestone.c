/* cmd_milestone.c - 'tito milestone list | info NN | run NN [options] | status'.
 *
 * run: fills tt_milestone_opts, runs the milestone (one part with --part K; continuing killed training
 * with --resume), prints the result, writes it as JSON with --json and appends one line per run to
 * <out>/milestone_runs.jsonl, which 'status' reads back (runs, best result) beside the learner's
 * completed modules (learn.h's progress database) to say which milestones and parts are unlocked.
 * Exit status: 0 the goal was met (or the command succeeded), 1 a milestone ran but missed its goal,
 * 2 an error (bad arguments, missing data, I/O, a bad runs file).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "learn.h"
#include "milestone.h"
#include "ms_common.h"
#include "result_json.h"
#include "tinytorch/json.h"
#include "tinytorch/progress.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif
#define RUNS_FILE TT_MS_RUNS_FILE

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tito milestone COMMAND\n"
            "  list                      the historical milestones\n"
            "  info NN                   what milestone NN does: its parts, their prerequisite modules, its goal\n"
            "  run NN [options]          run milestone NN (01, 02, ... or its name)\n"
            "  status [--out DIR]        which milestones your completed modules unlock, which were run\n"
            "                            (results in DIR, default runs/) and their best results\n"
            "\n"
            "options of 'run':\n"
            "  --epochs E              training epochs (default: the milestone's own)\n"
            "  --seed S                random seed (default 42)\n"
            "  --json FILE             write the result as JSON to FILE\n"
            "  --data DIR              data sets (default: $MLSB_DATA, ./data, or the source tree's data/)\n"
            "  --out DIR               checkpoints, training states, metrics logs, plots (default runs/)\n"
            "  --text FILE             text corpus for the language milestones\n"
            "  --quick                 a short smoke run\n"
            "  --part K                only part K (tito milestone info NN lists the parts)\n"
            "  --resume                continue training that was interrupted, from its state files in --out;\n"
            "                          the run ends exactly as an uninterrupted one (same options needed)\n"
            "  --checkpoint-every N    also save the training state every N optimizer steps (default: at\n"
            "                          the end of each epoch)\n"
            "  --dir D                 run it on your own modules in workspace D (tito module --help)\n"
            "  --distributed           milestone 04 only: its LeNet-5 data-parallel under mpirun (tito train --help)\n"
            "\n"
            "examples:\n"
            "  tito milestone info 03\n"
            "  tito milestone run 03 --quick\n"
            "  tito milestone run 01 --part 1                 # the forward pass only (modules 01-03)\n"
            "  tito milestone run 04 --checkpoint-every 200   # killed? then:\n"
            "  tito milestone run 04 --checkpoint-every 200 --resume\n"
            "  tito milestone status\n"
            "\n"
            "exit status: 0 goal met (or success), 1 goal missed, 2 error\n");
}

static int bad_args(const char *fmt, const char *arg)
{
    fflush(stdout); /* results printed so far come first when both streams go to one pipe */
    fprintf(stderr, "tito: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'tito milestone --help')\n");
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
    printf("TinyTorch milestones (run one with: tito milestone run NN; its parts: tito milestone info NN)\n\n");
    for (int i = 0; i < tt_milestone_count; i++) {
        const tt_milestone *m = tt_milestones[i];
        printf("  %s  %-12s %s  %s\n", m->id, m->name, m->year, m->summary);
    }
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    if (argc < 1) {
        return bad_args("%s", "milestone info: which milestone? (tito milestone list)");
    }
    const tt_milestone *m = find_milestone(argv[0]);
    if (!m) {
        return bad_args("no milestone '%s' (tito milestone list shows them)", argv[0]);
    }
    printf("Milestone %s: %s (%s)\n  %s\n  needs modules 01-%02d\n", m->id, m->name, m->year, m->summary, m->needs);
    if (m->n_parts > 0) {
        printf("  parts:\n");
        for (int k = 0; k < m->n_parts; k++) {
            printf("    %d. %s  (modules 01-%02d)\n", k + 1, m->parts[k].name, m->parts[k].needs);
        }
        printf("  run: tito milestone run %s   (one part: tito milestone run %s --part K)\n", m->id, m->id);
    } else {
        printf("  run: tito milestone run %s\n", m->id);
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
    tt_milestone_opts o = {0, 42, NULL, "runs", NULL, false, 0, false, 0};
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strcmp(a, "--quick") == 0) {
            o.quick = true;
            continue;
        }
        if (strcmp(a, "--resume") == 0) {
            o.resume = true;
            continue;
        }
        if (strcmp(a, "--epochs") && strcmp(a, "--seed") && strcmp(a, "--json") && strcmp(a, "--data") &&
            strcmp(a, "--out") && strcmp(a, "--text") && strcmp(a, "--part") && strcmp(a, "--checkpoint-every")) {
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
        } else if (strcmp(a, "--part") == 0) {
            if (m->n_parts == 0) {
                fflush(stdout);
                fprintf(stderr, "tito: milestone %s has no separate parts; run it without --part\n", m->id);
                return 2;
            }
            if (!parse_long(v, 1, m->n_parts, &n)) {
                fflush(stdout);
                fprintf(stderr, "tito: --part: milestone %s has parts 1 to %d, not '%s' (tito milestone info %s)\n",
                        m->id, m->n_parts, v, m->id);
                return 2;
            }
            o.part = (int)n;
        } else if (strcmp(a, "--checkpoint-every") == 0) {
            if (!parse_long(v, 1, 1000000000L, &n)) {
                return bad_args("--checkpoint-every wants a number of optimizer steps >= 1, not '%s'", v);
            }
            o.checkpoint_every = n;
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
    if ((o.resume || o.checkpoint_every) && !m->resumable) {
        fflush(stdout);
        fprintf(stderr, "tito: milestone %s cannot be resumed: its training does not write state files "
                        "(--resume and --checkpoint-every work for", m->id);
        for (int k = 0; k < tt_milestone_count; k++) {
            if (tt_milestones[k]->resumable) {
                fprintf(stderr, " %s", tt_milestones[k]->id);
            }
        }
        fprintf(stderr, "); run it again without them\n");
        return 2;
    }
    if (!o.data_dir) {
        o.data_dir = default_data_dir();
    }
    /* Checked before the run, so a typo does not cost the result: --out must be a folder or a new one
     * inside an existing folder (nothing deeper is created); the --json file's folder must exist or be
     * that --out folder. The --out folder is created now (the runs file goes there). */
    if (!is_dir(o.out_dir) && !parent_exists(o.out_dir)) {
        return bad_args("--out %s: neither a folder nor a new one inside an existing folder", o.out_dir);
    }
    if (!is_dir(o.out_dir) && mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tito: cannot create %s: %s\n", o.out_dir, strerror(errno));
        return 2;
    }
    if (json && (is_dir(json) || !(parent_exists(json) || file_in_dir(json, o.out_dir)))) {
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
    if (rc != 2 && tt_ms_record_run(&o, m, &res, rc) != 0) {
        return 2;
    }
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

/* ---- status ------------------------------------------------------------------------------------- */

typedef struct ms_runs {
    int runs, met;
    bool have_best, best_quick;
    double best;
} ms_runs;

/* Reads <out>/milestone_runs.jsonl into runs[] (one per registered milestone). A missing file is no
 * runs; a malformed line is an error naming the file and line. */
static int read_runs(const char *out, ms_runs *runs)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", out, RUNS_FILE);
    FILE *f = fopen(path, "r");
    if (!f) {
        return errno == ENOENT ? 0 : (fprintf(stderr, "tito: %s: %s\n", path, strerror(errno)), -1);
    }
    char line[2048];
    int ln = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (line[0] == '\n') {
            continue;
        }
        char err[256];
        tt_json *j = tt_json_parse(line, strlen(line), err, sizeof err);
        tt_json *id = j ? tt_json_get(j, "milestone") : NULL;
        if (!j || !id || id->type != TT_JSON_STRING) {
            fprintf(stderr, "tito: %s line %d: %s\n", path, ln, j ? "no \"milestone\" string" : err);
            tt_json_free(j);
            rc = -1;
            break;
        }
        for (int i = 0; i < tt_milestone_count; i++) {
            if (strcmp(tt_milestones[i]->id, id->string) != 0) {
                continue;
            }
            ms_runs *r = &runs[i];
            tt_json *met = tt_json_get(j, "goal_met"), *v = tt_json_get(j, "value"), *q = tt_json_get(j, "quick");
            r->runs++;
            r->met += met && met->type == TT_JSON_BOOL && met->boolean;
            if (v && v->type == TT_JSON_NUMBER) {
                bool quick = q && q->type == TT_JSON_BOOL && q->boolean;
                bool lower = tt_milestones[i]->lower_is_better;
                /* a full run beats a quick one; then the better value */
                bool better = !r->have_best || (r->best_quick && !quick) ||
                              (r->best_quick == quick && (lower ? v->number < r->best : v->number > r->best));
                if (better) {
                    r->best = v->number;
                    r->best_quick = quick;
                    r->have_best = true;
                }
            }
        }
        tt_json_free(j);
    }
    fclose(f);
    return rc;
}

/* The modules 01..last not completed, as "03, 05-08" into buf; returns how many. */
static int missing_modules(unsigned done, int last, char *buf, size_t len)
{
    int n = 0;
    size_t at = 0;
    buf[0] = 0;
    for (int i = 1; i <= last; i++) {
        if (done >> i & 1u) {
            continue;
        }
        int j = i;
        while (j + 1 <= last && !(done >> (j + 1) & 1u)) {
            j++;
        }
        n += j - i + 1;
        int w = j > i ? snprintf(buf + at, len - at, "%s%02d-%02d", at ? ", " : "", i, j)
                      : snprintf(buf + at, len - at, "%s%02d", at ? ", " : "", i);
        at = w > 0 && (size_t)w < len - at ? at + (size_t)w : len - 1;
        i = j;
    }
    return n;
}

static int cmd_status(int argc, char **argv)
{
    const char *out = "runs";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else {
            return bad_args("milestone status: unknown option '%s' (--out DIR)", argv[i]);
        }
    }
    char err[512];
    tt_progress_db *db = tt_progress_open(err, sizeof err);
    if (!db) {
        fprintf(stderr, "tito: %s\n", err);
        return 2;
    }
    unsigned done = 0;
    int ndone = 0;
    for (int i = 1; i <= TT_MODULE_COUNT; i++) {
        if (tt_progress_state(db, i) == 2) {
            done |= 1u << i;
            ndone++;
        }
    }
    tt_progress_close(db);
    ms_runs runs[64];
    memset(runs, 0, sizeof runs);
    if (tt_milestone_count > 64 || read_runs(out, runs) != 0) {
        return 2;
    }
    printf("Milestones: %d module%s completed (tito module status; progress: %s), results from %s/%s\n\n", ndone,
           ndone == 1 ? "" : "s", tt_progress_path(), out, RUNS_FILE);
    for (int i = 0; i < tt_milestone_count; i++) {
        const tt_milestone *m = tt_milestones[i];
        char miss[256];
        int nm = missing_modules(done, m->needs, miss, sizeof miss);
        printf("  %s %-12s %-9s", m->id, m->name, nm == 0 ? "unlocked" : "locked");
        if (nm) {
            printf(" needs module%s %s", nm > 1 ? "s" : "", miss);
        }
        printf("\n");
        for (int k = 0; k < m->n_parts; k++) {
            char pm[256];
            int pn = missing_modules(done, m->parts[k].needs, pm, sizeof pm);
            if (nm && pn == 0) {
                printf("       part %d unlocked: tito milestone run %s --part %d (%s)\n", k + 1, m->id, k + 1,
                       m->parts[k].name);
            }
        }
        const ms_runs *r = &runs[i];
        if (r->runs == 0) {
            if (nm == 0) {
                printf("       not run yet: tito milestone run %s\n", m->id);
            } else {
                printf("       not run yet\n");
            }
        } else {
            printf("       %d run%s, goal met in %d", r->runs, r->runs > 1 ? "s" : "", r->met);
            if (r->have_best) {
                printf("; best %s %.4g%s", m->headline, r->best, r->best_quick ? " (a --quick run)" : "");
            }
            printf("\n");
        }
    }
    return 0;
}

int tito_cmd_milestone(int argc, char **argv)
{
    if (argc < 1) {
        return bad_args("%s", "milestone: list, info NN, run NN or status?");
    }
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[0], "list") == 0) {
        return cmd_list();
    }
    if (strcmp(argv[0], "run") == 0) {
        for (int i = 1; i < argc; i++) { /* --dir D: on the learner's own modules (cmd_module.c) */
            if (strcmp(argv[i], "--dir") == 0) {
                return tito_milestone_learner(argc - 1, argv + 1);
            }
        }
        return cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(argv[0], "info") == 0) {
        return cmd_info(argc - 1, argv + 1);
    }
    if (strcmp(argv[0], "status") == 0) {
        return cmd_status(argc - 1, argv + 1);
    }
    return bad_args("milestone: unknown command '%s' (list, info, run, status)", argv[0]);
}
