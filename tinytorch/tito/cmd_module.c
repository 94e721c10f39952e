/* cmd_module.c - 'tito module ...' and 'tito status': the learner's build-it-yourself loop.
 *   start NN    writes the workspace: the module's sources with the solutions removed, ABOUT.md, tests
 *   test NN     builds a library from the learner's files (NN and the completed modules) and the
 *               reference (the rest) and runs NN's tests and the earlier modules' tests
 *   complete NN the same, and records completion only when everything passes
 * Progress: learn_db.c. Markers and grading: workspace.c. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "tinytorch/json.h"
#include "learn.h"
#include "milestone.h"

#define DEFAULT_DIR "tinytorch-work"

/* Milestones and the modules (1..last) they need. */
static const struct {
    const char *id, *name;
    int last;
} ms_needs[] = {
    {"01", "Perceptron (1958)", 8}, {"02", "XOR (1969)", 8},          {"03", "MLP (1986)", 8},
    {"04", "CNN (1998)", 9},        {"05", "Transformer (2017)", 13}, {"06", "MLPerf (2018)", 19},
};

static int usage_module(FILE *f)
{
    fprintf(f,
            "usage: tito module COMMAND [NN] [--dir D]\n"
            "  list                     the 20 modules and their state (locked/available/started/completed)\n"
            "  start NN [--dir D]       write module NN to your workspace D (default ./" DEFAULT_DIR "):\n"
            "                           its sources with the solutions removed, ABOUT.md and its tests\n"
            "  test NN [--dir D]        build your code (NN + the modules you completed; the reference for the\n"
            "                           rest) and run NN's tests and the earlier modules' tests\n"
            "  complete NN [--dir D]    the same; records NN as completed only when everything passes\n"
            "                           (the earlier modules' tests run once NN's own pass)\n"
            "  reset NN [--dir D]       start NN afresh (your old folder is kept as NN_name.reset-TIME)\n"
            "  view NN                  what module NN is about, its files and tests\n"
            "  status [--dir D] [--json]  progress, per module\n"
            "  demo NN                  module NN's own small demonstration (a few seconds; 'demo list': which)\n"
            "  markers                  (instructors) check every marked file: strip then restore == reference\n"
            "options: --force (start a locked module), --solution (start with the reference filled in),\n"
            "  --quiet (test/complete: only the verdict and the failing test files),\n"
            "  --only (test: module NN's own tests, not the earlier modules'; complete ignores it)\n"
            "examples:\n"
            "  tito module start 01 && $EDITOR " DEFAULT_DIR "/01_tensor/elementwise.c\n"
            "  tito module test 01\n"
            "  tito module complete 01 && tito status\n"
            "  tito module demo 06      the gradient graph of a tiny expression\n"
            "environment: TITO_SOURCE_DIR (the repository; default the one tito was built from), CC (default cc),\n"
            "  XDG_DATA_HOME (progress in $XDG_DATA_HOME/tinytorch/progress.db); the tests run with\n"
            "  TT_ISA=portable, so the vector fast paths do not stand in for the portable code you write\n"
            "exit status: 0 success / all tests passed, 1 a test failed or completion refused, 2 usage or setup error\n");
    return f == stdout ? 0 : 2;
}

static int tt_list_dir(const char *dir, char ***names);

typedef struct margs {
    const tt_module_info *m;
    const char *dir;
    bool json, force, solution, quiet, only;
} margs;

static int parse(int argc, char **argv, margs *a, bool need_module)
{
    a->dir = DEFAULT_DIR;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            a->dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            a->json = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->quiet = true;
        } else if (strcmp(argv[i], "--only") == 0) {
            a->only = true;
        } else if (strcmp(argv[i], "--force") == 0) {
            a->force = true;
        } else if (strcmp(argv[i], "--solution") == 0) {
            a->solution = true;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "tito module: unknown option '%s' (tito module --help)\n", argv[i]);
            return 2;
        } else if (!a->m) {
            a->m = tt_module_find(argv[i]);
            if (!a->m) {
                fprintf(stderr, "tito module: no module '%s' (01..20 or a name; tito module list)\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "tito module: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (need_module && !a->m) {
        fprintf(stderr, "tito module: which module? (a number 01..20; tito module list)\n");
        return 2;
    }
    return 0;
}

static tt_progress_db *open_db(void)
{
    char err[1024];
    tt_progress_db *db = tt_progress_open(err, sizeof err);
    if (!db) {
        fprintf(stderr, "tito: %s\n", err);
    }
    return db;
}

/* 0 locked, 1 available, 2 started, 3 completed */
static int state_of(tt_progress_db *db, int num)
{
    int s = tt_progress_state(db, num);
    if (s == 2) {
        return 3;
    }
    if (s == 1) {
        return 2;
    }
    return num == 1 || tt_progress_state(db, num - 1) == 2 ? 1 : 0;
}

static const char *const state_name[] = {"locked", "available", "started", "completed"};

static unsigned completed_mask(tt_progress_db *db)
{
    unsigned mask = 0;
    for (int i = 1; i <= TT_MODULE_COUNT; i++) {
        if (tt_progress_state(db, i) == 2) {
            mask |= 1u << i;
        }
    }
    return mask;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* snprintf that reports truncation (paths longer than the buffer) as an error. */
static int pj(char *buf, size_t len, const char *fmt, const char *x, const char *y)
{
    int n = y ? snprintf(buf, len, fmt, x, y) : snprintf(buf, len, fmt, x);
    if (n < 0 || (size_t)n >= len) {
        fprintf(stderr, "tito: path too long: %s...\n", x);
        return -1;
    }
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    size_t n;
    char *t = tt_read_text(from, &n);
    if (!t) {
        fprintf(stderr, "tito: cannot read %s: %s\n", from, strerror(errno));
        return -1;
    }
    int rc = tt_write_atomic(to, t, n);
    if (rc != 0) {
        fprintf(stderr, "tito: cannot write %s: %s\n", to, strerror(errno));
    }
    free(t);
    return rc;
}

/* Writes module m into dir/NN_name (which must not exist yet). */
static int write_module(const tt_module_info *m, const char *dir, bool solution, int *nstubs)
{
    const char *src = tt_source_dir();
    char from[4096], to[4096], a[4096], b[4096];
    snprintf(from, sizeof from, "%s/tinytorch/src/%s", src, m->dir);
    snprintf(to, sizeof to, "%s/%s", dir, m->dir);
    if (!is_dir(from)) {
        fprintf(stderr, "tito: the source tree has no %s (set TITO_SOURCE_DIR to the repository)\n", from);
        return 2;
    }
    if (pj(a, sizeof a, "%s/tests", to, NULL) != 0 || tito_mkdirs(a) != 0) {
        fprintf(stderr, "tito: cannot create %s: %s\n", a, strerror(errno));
        return 2;
    }
    *nstubs = 0;
    /* every file of the module folder: .c stripped, the rest copied */
    char **names = NULL;
    int n = tt_list_dir(from, &names);
    for (int i = 0; i < n; i++) {
        if (pj(a, sizeof a, "%s/%s", from, names[i]) != 0 || pj(b, sizeof b, "%s/%s", to, names[i]) != 0) {
            return 2;
        }
        size_t len = strlen(names[i]);
        int rc = 0;
        if (!solution && len > 2 && strcmp(names[i] + len - 2, ".c") == 0) {
            char *text = tt_read_text(a, NULL), err[256];
            int blocks = 0;
            char *stripped = text ? tt_strip(text, m->num, &blocks, err, sizeof err) : NULL;
            if (!stripped) {
                fprintf(stderr, "tito: %s: %s\n", a, text ? err : strerror(errno));
                rc = -1;
            } else if (tt_write_atomic(b, stripped, strlen(stripped)) != 0) {
                fprintf(stderr, "tito: cannot write %s: %s\n", b, strerror(errno));
                rc = -1;
            }
            *nstubs += blocks;
            free(text);
            free(stripped);
        } else if (is_dir(a)) {
            rc = 0; /* sub-folders are not part of a module's sources */
        } else {
            rc = copy_file(a, b);
        }
        free(names[i]);
        if (rc != 0) {
            for (int k = i + 1; k < n; k++) {
                free(names[k]);
            }
            free(names);
            return 2;
        }
    }
    free(names);
    /* the module's tests (beside its code: the ones that grade it and any others), and the helpers they
     * include, for reading */
    char tdir[4096];
    if (pj(tdir, sizeof tdir, "%s/tests", from, NULL) != 0) {
        return 2;
    }
    n = tt_list_dir(tdir, &names);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && (pj(a, sizeof a, "%s/%s", tdir, names[i]) != 0 ||
                        pj(b, sizeof b, "%s/tests/%s", to, names[i]) != 0 || (!is_dir(a) && copy_file(a, b) != 0))) {
            rc = 2;
        }
        free(names[i]);
    }
    free(names);
    if (rc != 0) {
        return rc;
    }
    const char *helpers[] = {"tt_test.h", "tt_test_fs.h", "tt_golden.h"};
    for (size_t k = 0; k < sizeof helpers / sizeof *helpers; k++) {
        snprintf(a, sizeof a, "%s/tinytorch/tests/%s", src, helpers[k]);
        if (pj(b, sizeof b, "%s/tests/%s", to, helpers[k]) != 0) {
            return 2;
        }
        struct stat sb;
        if (stat(a, &sb) == 0 && copy_file(a, b) != 0) {
            return 2;
        }
    }
    return 0;
}

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The entries of a folder (no dot files), sorted, malloc'd; returns the count. */
static int tt_list_dir(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    int n = 0, cap = 0;
    *names = NULL;
    if (!d) {
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(*names, (size_t)cap * sizeof **names);
            if (!nn) {
                break;
            }
            *names = nn;
        }
        (*names)[n] = strdup(de->d_name);
        if ((*names)[n]) {
            n++;
        }
    }
    closedir(d);
    if (n > 0) {
        qsort(*names, (size_t)n, sizeof **names, cmp_names);
    }
    return n;
}

static int cmd_start(margs *a, bool reset)
{
    tt_progress_db *db = open_db();
    if (!db) {
        return 2;
    }
    int st = state_of(db, a->m->num);
    if (st == 0 && !a->force && !reset) {
        fprintf(stderr,
                "module %02d (%s) is locked: complete module %02d first (tito module complete %02d), or --force\n",
                a->m->num, a->m->title, a->m->num - 1, a->m->num - 1);
        tt_progress_close(db);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", a->dir, a->m->dir);
    if (is_dir(path)) {
        if (!reset) {
            fprintf(stderr, "tito: %s already exists (your work); 'tito module reset %02d --dir %s' starts afresh and "
                            "keeps it aside\n",
                    path, a->m->num, a->dir);
            tt_progress_close(db);
            return 1;
        }
        char aside[4200];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
        snprintf(aside, sizeof aside, "%s.reset-%s", path, stamp);
        if (rename(path, aside) != 0) {
            fprintf(stderr, "tito: cannot move %s aside: %s\n", path, strerror(errno));
            tt_progress_close(db);
            return 2;
        }
        printf("your previous work is kept in %s\n", aside);
    }
    int stubs = 0;
    int rc = write_module(a->m, a->dir, a->solution, &stubs);
    if (rc == 0) {
        char err[1024];
        if ((reset || tt_progress_state(db, a->m->num) != 2) &&
            tt_progress_set(db, a->m->num, 1, a->dir, err, sizeof err) != 0) {
            fprintf(stderr, "tito: %s\n", err);
            rc = 2;
        }
        printf("module %02d (%s) is in %s%s\n", a->m->num, a->m->title, path,
               a->solution ? " (with the reference solution)" : "");
        if (!a->solution) {
            printf("  %d function bod%s to write: look for TODO and '" TT_STUB_TAG "' in the .c files\n", stubs,
                   stubs == 1 ? "y" : "ies");
        }
        printf("  read %s/ABOUT.md, the specification is in %s/tests/\n  then: tito module test %02d --dir %s\n",
               path, path, a->m->num, a->dir);
    }
    tt_progress_close(db);
    return rc;
}

static int cmd_test(margs *a, bool complete)
{
    tt_progress_db *db = open_db();
    if (!db) {
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", a->dir, a->m->dir);
    if (!is_dir(path)) {
        fprintf(stderr, "tito: no %s: start the module first (tito module start %02d --dir %s)\n", path, a->m->num,
                a->dir);
        tt_progress_close(db);
        return 2;
    }
    /* the modules completed in this workspace are graded with the learner's code too */
    unsigned mask = 0, done = completed_mask(db);
    for (int i = 1; i < a->m->num; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", a->dir, tt_modules[i - 1].dir);
        if ((done >> i & 1u) && is_dir(p)) {
            mask |= 1u << i;
        }
    }
    printf("module %02d (%s): your code in %s", a->m->num, a->m->title, path);
    int nmine = 0;
    for (int i = 1; i < a->m->num; i++) {
        if (mask >> i & 1u) {
            printf("%s%02d", nmine++ ? " " : ", and your completed modules ", i);
        }
    }
    printf("; the reference for the rest\n");
    /* a completion stops at module NN's own failures: it is refused whatever the earlier tests say */
    int rc = tt_module_grade(a->m, a->dir, mask, a->quiet,
                             complete ? TT_GRADE_UNTIL_FAIL : a->only ? TT_GRADE_OWN : TT_GRADE_ALL);
    if (rc == 0) {
        printf("ALL TESTS PASSED for module %02d\n", a->m->num);
    } else if (rc == 1) {
        printf("module %02d: not yet - fix the failures above and run 'tito module test %02d --dir %s' again\n",
               a->m->num, a->m->num, a->dir);
    }
    if (complete) {
        if (rc != 0) {
            printf("module %02d NOT completed: its tests must pass with your code first\n", a->m->num);
        } else {
            char err[1024];
            if (tt_progress_set(db, a->m->num, 2, a->dir, err, sizeof err) != 0) {
                fprintf(stderr, "tito: %s\n", err);
                rc = 2;
            } else {
                printf("module %02d COMPLETED (recorded in %s)\n", a->m->num, tt_progress_path());
                for (size_t k = 0; k < sizeof ms_needs / sizeof ms_needs[0]; k++) {
                    if (ms_needs[k].last == a->m->num) {
                        printf("milestone %s %s is unlocked: tito milestone run %s\n", ms_needs[k].id,
                               ms_needs[k].name, ms_needs[k].id);
                    }
                }
                if (a->m->num < TT_MODULE_COUNT) {
                    printf("next: tito module start %02d --dir %s\n", a->m->num + 1, a->dir);
                }
            }
        }
    }
    tt_progress_close(db);
    return rc;
}

static int cmd_view(margs *a)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/tinytorch/src/%s/ABOUT.md", tt_source_dir(), a->m->dir);
    printf("Module %02d: %s   (sources: tinytorch/src/%s)\ngraded by:", a->m->num, a->m->title, a->m->dir);
    for (int k = 0; k < TT_MODULE_MAX_TESTS && a->m->tests[k]; k++) {
        printf(" tests/%s", a->m->tests[k]);
    }
    printf("\n\n");
    char *about = tt_read_text(p, NULL);
    if (!about) {
        fprintf(stderr, "tito: cannot read %s: %s\n", p, strerror(errno));
        return 2;
    }
    fputs(about, stdout);
    free(about);
    return 0;
}

static int cmd_status(margs *a, bool with_milestones)
{
    tt_progress_db *db = open_db();
    if (!db) {
        return 2;
    }
    if (a->json) {
        printf("{\"database\":");
        tt_json_write_string(stdout, tt_progress_path());
        printf(",\"workspace\":");
        tt_json_write_string(stdout, a->dir);
        printf(",\"modules\":[");
        for (int i = 0; i < TT_MODULE_COUNT; i++) {
            char p[4096], ws[4096];
            snprintf(p, sizeof p, "%s/%s", a->dir, tt_modules[i].dir);
            tt_progress_workspace(db, i + 1, ws, sizeof ws);
            printf("%s{\"module\":%d,\"name\":\"%s\",\"state\":\"%s\",\"in_workspace\":%s,\"recorded_workspace\":",
                   i ? "," : "", i + 1, tt_modules[i].dir, state_name[state_of(db, i + 1)],
                   is_dir(p) ? "true" : "false");
            tt_json_write_string(stdout, ws);
            printf("}");
        }
        printf("],\"milestones\":[");
        unsigned done = completed_mask(db);
        for (size_t k = 0; k < sizeof ms_needs / sizeof ms_needs[0]; k++) {
            int ok = 1;
            for (int i = 1; i <= ms_needs[k].last; i++) {
                ok &= (int)(done >> i & 1u);
            }
            printf("%s{\"milestone\":\"%s\",\"needs_modules_through\":%d,\"unlocked\":%s}", k ? "," : "",
                   ms_needs[k].id, ms_needs[k].last, ok ? "true" : "false");
        }
        printf("]}\n");
        tt_progress_close(db);
        return 0;
    }
    int ndone = 0;
    printf("TinyTorch modules (progress: %s)\n\n", tt_progress_path());
    for (int i = 0; i < TT_MODULE_COUNT; i++) {
        int s = state_of(db, i + 1);
        ndone += s == 3;
        printf("  %02d  %-14s %-10s%s\n", i + 1, tt_modules[i].title, state_name[s],
               s == 1 ? "  <- tito module start" : "");
    }
    printf("\n%d of %d modules completed\n", ndone, TT_MODULE_COUNT);
    if (with_milestones) {
        unsigned done = completed_mask(db);
        printf("\nMilestones (tito milestone run NN):\n");
        for (size_t k = 0; k < sizeof ms_needs / sizeof ms_needs[0]; k++) {
            int ok = 1;
            for (int i = 1; i <= ms_needs[k].last; i++) {
                ok &= (int)(done >> i & 1u);
            }
            printf("  %s  %-20s %s (needs modules 01-%02d)\n", ms_needs[k].id, ms_needs[k].name,
                   ok ? "unlocked" : "locked  ", ms_needs[k].last);
        }
    }
    tt_progress_close(db);
    return 0;
}

/* strip -> restore must give every marked file back byte for byte. */
static int cmd_markers(void)
{
    int bad = 0, total = 0;
    for (int i = 0; i < TT_MODULE_COUNT; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/tinytorch/src/%s", tt_source_dir(), tt_modules[i].dir);
        char **names = NULL;
        int n = tt_list_dir(dir, &names), blocks_mod = 0;
        if (n == 0) {
            fprintf(stderr, "tito: no files in %s (set TITO_SOURCE_DIR)\n", dir);
            bad++;
        }
        for (int f = 0; f < n; f++) {
            size_t len = strlen(names[f]);
            if (len > 2 && strcmp(names[f] + len - 2, ".c") == 0) {
                char p[4200], err[256];
                snprintf(p, sizeof p, "%s/%s", dir, names[f]);
                char *ref = tt_read_text(p, NULL);
                int blocks = 0;
                char *s = ref ? tt_strip(ref, i + 1, &blocks, err, sizeof err) : NULL;
                char *r = s ? tt_restore(s, ref, err, sizeof err) : NULL;
                if (!r || strcmp(r, ref) != 0) {
                    printf("MISMATCH %s: %s\n", p, !ref ? strerror(errno) : !r ? err : "restore differs");
                    bad++;
                }
                blocks_mod += blocks;
                free(ref);
                free(s);
                free(r);
            }
            free(names[f]);
        }
        free(names);
        printf("  %02d  %-14s %3d marked bod%s\n", i + 1, tt_modules[i].title, blocks_mod,
               blocks_mod == 1 ? "y" : "ies");
        total += blocks_mod;
    }
    printf("%d marked bodies; strip then restore %s\n", total, bad ? "FAILED" : "reproduces every file byte for byte");
    return bad ? 1 : 0;
}

int tito_cmd_module(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
        return usage_module(argc < 1 ? stderr : stdout);
    }
    const char *sub = argv[0];
    if (strcmp(sub, "demo") == 0 && (argc < 2 || strcmp(argv[1], "list") == 0)) {
        printf("tito module demo NN: each module's own demonstration, no Python needed\n");
        tt_module_demo_list(stdout);
        return argc < 2 ? 2 : 0;
    }
    margs a = {0};
    bool need = strcmp(sub, "list") != 0 && strcmp(sub, "status") != 0 && strcmp(sub, "markers") != 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return usage_module(stdout);
        }
    }
    int prc = parse(argc - 1, argv + 1, &a, need);
    if (prc) {
        return prc;
    }
    if (strcmp(sub, "list") == 0) {
        return cmd_status(&a, false);
    }
    if (strcmp(sub, "status") == 0) {
        return cmd_status(&a, true);
    }
    if (strcmp(sub, "start") == 0) {
        return cmd_start(&a, false);
    }
    if (strcmp(sub, "reset") == 0) { /* keeps the old folder aside, writes a fresh one */
        return cmd_start(&a, true);
    }
    if (strcmp(sub, "test") == 0) {
        return cmd_test(&a, false);
    }
    if (strcmp(sub, "complete") == 0) {
        return cmd_test(&a, true);
    }
    if (strcmp(sub, "view") == 0) {
        return cmd_view(&a);
    }
    if (strcmp(sub, "markers") == 0) {
        return cmd_markers();
    }
    if (strcmp(sub, "demo") == 0) {
        return tt_module_demo(a.m);
    }
    fprintf(stderr, "tito module: unknown command '%s' (list, start, test, complete, reset, view, status, demo)\n", sub);
    return 2;
}

int tito_cmd_status(int argc, char **argv)
{
    margs a = {0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: tito status [--dir D] [--json]\n  your modules (locked/available/started/completed) and "
                   "the milestones they unlock\nexample: tito status\n");
            return 0;
        }
    }
    int prc = parse(argc, argv, &a, false);
    return prc ? prc : cmd_status(&a, true);
}

/* 'tito milestone run NN --dir D [options]': checks the milestone is unlocked, builds the milestone
 * against the learner's completed modules (the reference for the modules it does not need) and runs
 * it with the same options (tito/runner/ms_runner.c). */
int tito_milestone_learner(int argc, char **argv)
{
    const char *dir = NULL, *id = NULL;
    char *rest[64];
    int nrest = 0, part = 0;
    rest[nrest++] = "milestone";
    for (int i = 0; i < argc && nrest < 62; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (!id && argv[i][0] != '-') {
            id = argv[i];
        } else {
            if (strcmp(argv[i], "--part") == 0 && i + 1 < argc) {
                part = atoi(argv[i + 1]);
            }
            rest[nrest++] = argv[i];
        }
    }
    rest[nrest] = NULL;
    if (!dir || !id) {
        fprintf(stderr, "tito: milestone run NN --dir D: which milestone and which workspace?\n");
        return 2;
    }
    int k = -1;
    for (size_t i = 0; i < sizeof ms_needs / sizeof ms_needs[0]; i++) {
        if (atoi(id) == atoi(ms_needs[i].id)) {
            k = (int)i;
        }
    }
    if (k < 0 || ms_needs[k].last > 13) {
        fprintf(stderr, "tito: milestone '%s' cannot run on your code (01..05 can; 06 needs MLPerf EDU)\n", id);
        return 2;
    }
    tt_progress_db *db = open_db();
    if (!db) {
        return 2;
    }
    unsigned done = completed_mask(db), mask = 0;
    tt_progress_close(db);
    /* a part may need fewer modules than the whole milestone (the registry says which) */
    int last = ms_needs[k].last;
    for (int i = 0; i < tt_milestone_count && part > 0; i++) {
        if (atoi(tt_milestones[i]->id) == atoi(ms_needs[k].id) && part <= tt_milestones[i]->n_parts) {
            last = tt_milestone_needs(tt_milestones[i], part);
        }
    }
    char missing[256] = "";
    size_t at = 0;
    int nmiss = 0, first_missing = 0;
    for (int i = 1; i <= last; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, tt_modules[i - 1].dir);
        if (!(done >> i & 1u) || !is_dir(p)) {
            int w = snprintf(missing + at, sizeof missing - at, "%s%02d", nmiss ? ", " : "", i);
            at = w > 0 && (size_t)w < sizeof missing - at ? at + (size_t)w : at;
            first_missing = nmiss++ ? first_missing : i;
            continue;
        }
        mask |= 1u << i;
    }
    if (nmiss) {
        char what[32] = "";
        if (part > 0) {
            snprintf(what, sizeof what, " part %d", part);
        }
        fprintf(stderr,
                "milestone %s%s is locked: it runs on your modules 01-%02d, and module%s %s %s not completed in %s\n"
                "  (tito status shows your progress; next: tito module start %02d --dir %s)\n",
                ms_needs[k].id, what, last, nmiss > 1 ? "s" : "", missing, nmiss > 1 ? "are" : "is", dir,
                first_missing, dir);
        return 1;
    }
    char exe[4096];
    printf("building milestone %s with your modules 01-%02d ...\n", ms_needs[k].id, last);
    fflush(stdout);
    if (tt_build_learner_milestone(dir, mask, atoi(ms_needs[k].id), exe, sizeof exe) != 0) {
        return 2;
    }
    /* the vector fast paths (SIMD convolutions, int8 kernels, AVX GEMM) would otherwise stand in for
     * the portable code the learner wrote; an explicit TT_ISA is kept */
    const char *isa = getenv("TT_ISA");
    if (!isa || !*isa) {
        setenv("TT_ISA", "portable", 1);
    }
    printf("milestone %s on your code (%s; TT_ISA=%s%s)\n", ms_needs[k].id, exe, getenv("TT_ISA"),
           isa && *isa ? "" : ": your portable kernels, not the vector fast paths");
    fflush(stdout);
    execv(exe, rest);
    fprintf(stderr, "tito: cannot run %s: %s\n", exe, strerror(errno));
    return 2;
}
