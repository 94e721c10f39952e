/* cmd_grade.c - 'tito grade DIR [NN ...] [--json]': an instructor grades a learner's workspace.
 * Each module folder in DIR is graded on its own: a library of the learner's files for that module and
 * the reference for every other one (the build of 'tito module test', so one module's bug costs points
 * in that module only), then that module's test files, compiled from the source tree. One point per
 * test case; the cases a test file defines are read from its source, so a case that never ran (the
 * program crashed or a stub aborted before it) still counts in the maximum. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "tinytorch/json.h"
#include "learn.h"

#define MAX_CASES 256

typedef struct gcase {
    char name[96];
    int file;          /* index into the module's runs */
    int state;         /* 0 not run, 1 passed, 2 failed */
    char message[320];
} gcase;

typedef struct gmodule {
    const tt_module_info *m;
    bool submitted;
    const char *status; /* "graded", "compile_error", "not_submitted" */
    int points, max;
    int ncases;
    gcase cases[MAX_CASES];
} gmodule;

static int usage(FILE *f)
{
    fprintf(f,
            "usage: tito grade DIR [NN ...] [--json]\n"
            "  grades the learner's workspace DIR (made by 'tito module start'): every module folder in it\n"
            "  (or only modules NN ...) is built with the learner's code for that module and the reference for\n"
            "  the others, then that module's tests run; one point per test case\n"
            "  --json   one JSON report on stdout (compiler messages go to stderr):\n"
            "           {\"workspace\", \"points\", \"max\", \"modules\": [{\"module\", \"name\", \"status\", \"points\",\n"
            "            \"max\", \"tests\": [{\"module\", \"test\", \"points\", \"max\", \"passed\", \"message\"}]}]}\n"
            "examples:\n"
            "  tito grade submissions/alice                 a table of points per module and the failed cases\n"
            "  tito grade submissions/alice 01 02 --json > alice.json\n"
            "  for d in submissions/*; do tito grade \"$d\" --json > \"$d.json\"; done\n"
            "environment: TITO_SOURCE_DIR (the repository whose tests grade; default the one tito was built\n"
            "  from), CC (default cc)\n"
            "exit status: 0 the workspace was graded (the grade is in the report, whatever it is),\n"
            "  2 usage error, DIR unreadable or without module folders, or the source tree/compiler unusable\n");
    return f == stdout ? 0 : 2;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_ident(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static gcase *add_case(gmodule *g, const char *name, size_t len, int file)
{
    for (int i = 0; i < g->ncases; i++) {
        if (g->cases[i].file == file && strlen(g->cases[i].name) == len && memcmp(g->cases[i].name, name, len) == 0) {
            return &g->cases[i];
        }
    }
    if (g->ncases == MAX_CASES || len == 0 || len >= sizeof g->cases[0].name) {
        return NULL;
    }
    gcase *c = &g->cases[g->ncases++];
    memset(c, 0, sizeof *c);
    memcpy(c->name, name, len);
    c->file = file;
    return c;
}

/* The cases a cmocka test file defines: the first argument of every cmocka_unit_test*(...). */
static int cases_from_source(gmodule *g, const char *path, int file)
{
    char *text = tt_read_text(path, NULL);
    if (!text) {
        return -1;
    }
    for (const char *p = strstr(text, "cmocka_unit_test"); p; p = strstr(p + 1, "cmocka_unit_test")) {
        const char *q = p + strlen("cmocka_unit_test");
        while (is_ident(*q)) {
            q++;
        }
        while (*q == ' ' || *q == '\t' || *q == '\n') {
            q++;
        }
        if (*q != '(') {
            continue;
        }
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n') {
            q++;
        }
        const char *e = q;
        while (is_ident(*e)) {
            e++;
        }
        if (e > q && !(*q >= '0' && *q <= '9')) {
            add_case(g, q, (size_t)(e - q), file);
        }
    }
    free(text);
    return 0;
}

static void append_msg(gcase *c, const char *line)
{
    while (*line == ' ' || *line == '\t') {
        line++;
    }
    if (!*line) {
        return;
    }
    size_t n = strlen(c->message);
    if (n + 4 >= sizeof c->message) {
        return;
    }
    snprintf(c->message + n, sizeof c->message - n, "%s%s", n ? " | " : "", line);
}

/* cmocka's report: "[ RUN      ] name", then the case's messages, then "[       OK ] name" or
 * "[  FAILED  ] name" (or ERROR / SKIPPED). Summary lines repeat failed names after no RUN: ignored. */
static void parse_log(gmodule *g, const tt_test_run *r, int file)
{
    char *log = tt_read_text(r->log, NULL);
    if (!log) {
        return;
    }
    gcase *cur = NULL;
    for (char *line = log; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = 0;
        }
        if (strncmp(line, "[ RUN      ] ", 13) == 0) {
            cur = add_case(g, line + 13, strlen(line + 13), file);
            if (cur) {
                cur->message[0] = 0;
                cur->state = 0;
            }
        } else if (cur && line[0] == '[' && strlen(line) > 13 && line[11] == ']' && line[12] == ' ' &&
                   strcmp(line + 13, cur->name) == 0) {
            if (strncmp(line, "[       OK ]", 12) == 0) {
                cur->state = 1;
                cur->message[0] = 0;
            } else {
                cur->state = 2;
                if (!cur->message[0]) {
                    append_msg(cur, line);
                }
            }
            cur = NULL;
        } else if (cur) {
            append_msg(cur, line);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (cur) { /* the program ended inside this case */
        cur->state = 2;
        char why[96];
        snprintf(why, sizeof why, "the test program stopped in this case%s", r->signal ? "" : " (it exited)");
        if (r->signal) {
            snprintf(why, sizeof why, "the test program stopped in this case (signal %d%s)", r->signal,
                     r->signal == 6 ? ", abort: a stub or tt_fatal" : r->signal == 11 ? ", segmentation fault" : "");
        }
        append_msg(cur, why);
    }
    free(log);
}

static int grade_module(gmodule *g, const char *dir, const char *src)
{
    const tt_module_info *m = g->m;
    tt_test_run runs[TT_MODULE_MAX_TESTS];
    int n = 0;
    for (int k = 0; k < TT_MODULE_MAX_TESTS && m->tests[k]; k++) {
        char p[4096];
        if (!tt_module_test_path(p, sizeof p, src, m, m->tests[k]) || cases_from_source(g, p, k) != 0) {
            fprintf(stderr, "tito grade: cannot read %s: %s (set TITO_SOURCE_DIR to the repository)\n", p,
                    strerror(errno));
            return 2;
        }
    }
    int declared = g->ncases;
    if (!g->submitted) {
        g->status = "not_submitted";
        for (int i = 0; i < g->ncases; i++) {
            snprintf(g->cases[i].message, sizeof g->cases[i].message, "module %02d is not in the workspace", m->num);
        }
    } else {
        int rc = tt_module_run_own(m, dir, 0, runs, &n);
        if (rc == 2) {
            return 2;
        }
        g->status = rc == 1 ? "compile_error" : "graded";
        for (int k = 0; k < n; k++) {
            if (rc == 0 && runs[k].status != 2) {
                parse_log(g, &runs[k], k);
            }
            for (int i = 0; i < g->ncases; i++) {
                gcase *c = &g->cases[i];
                if (c->file != k || c->state != 0) {
                    continue;
                }
                if (rc == 1) {
                    snprintf(c->message, sizeof c->message,
                             "module %02d's code did not compile (the compiler's messages are on stderr)", m->num);
                } else if (runs[k].status == 2) {
                    snprintf(c->message, sizeof c->message,
                             "%s did not link with this code: a function it calls is missing (see %s)", runs[k].file,
                             runs[k].log);
                } else if (runs[k].status == 0 && i < declared) {
                    c->state = -1; /* declared but not in this build (an #if): not part of the grade */
                } else {
                    snprintf(c->message, sizeof c->message, "not run: %s stopped before reaching this case",
                             runs[k].file);
                }
            }
        }
    }
    for (int i = 0; i < g->ncases; i++) {
        if (g->cases[i].state >= 0) {
            g->max++;
            g->points += g->cases[i].state == 1;
        }
    }
    return 0;
}

int tito_cmd_grade(int argc, char **argv)
{
    const char *dir = NULL;
    bool json = false, pick[TT_MODULE_COUNT + 1] = {false}, any_pick = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return usage(stdout);
        }
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "tito grade: unknown option '%s' (tito grade --help)\n", argv[i]);
            return 2;
        } else if (!dir) {
            dir = argv[i];
        } else {
            const tt_module_info *m = tt_module_find(argv[i]);
            if (!m) {
                fprintf(stderr, "tito grade: no module '%s' (01..20 or a name)\n", argv[i]);
                return 2;
            }
            pick[m->num] = any_pick = true;
        }
    }
    if (!dir) {
        return usage(stderr);
    }
    if (!is_dir(dir)) {
        fprintf(stderr, "tito grade: %s is not a folder (the learner's workspace, made by 'tito module start')\n",
                dir);
        return 2;
    }
    const char *src = tt_source_dir();
    static gmodule mods[TT_MODULE_COUNT];
    int nsub = 0;
    for (int i = 0; i < TT_MODULE_COUNT; i++) {
        char p[4096];
        memset(&mods[i], 0, sizeof mods[i]);
        mods[i].m = &tt_modules[i];
        snprintf(p, sizeof p, "%s/%s", dir, tt_modules[i].dir);
        mods[i].submitted = is_dir(p);
        nsub += mods[i].submitted && (!any_pick || pick[i + 1]);
    }
    if (nsub == 0 && !any_pick) {
        fprintf(stderr, "tito grade: %s has no module folder (01_tensor, 02_activations, ...): is it a workspace?\n",
                dir);
        return 2;
    }
    /* the build's messages go to stderr, so stdout holds only the report */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    if (saved < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        fprintf(stderr, "tito grade: cannot redirect output: %s\n", strerror(errno));
        return 2;
    }
    int rc = 0;
    for (int i = 0; i < TT_MODULE_COUNT && rc == 0; i++) {
        if (any_pick ? pick[i + 1] : mods[i].submitted) {
            if (!json) {
                fprintf(stderr, "grading module %02d (%s) ...\n", i + 1, tt_modules[i].title);
            }
            rc = grade_module(&mods[i], dir, src);
        }
    }
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    if (rc != 0) {
        fprintf(stderr, "tito grade: grading stopped by a setup problem (above); no report\n");
        return 2;
    }
    int points = 0, max = 0;
    for (int i = 0; i < TT_MODULE_COUNT; i++) {
        points += mods[i].points;
        max += mods[i].max;
    }
    if (json) {
        printf("{\"workspace\":");
        tt_json_write_string(stdout, dir);
        printf(",\"points\":%d,\"max\":%d,\"modules\":[", points, max);
        int first = 1;
        for (int i = 0; i < TT_MODULE_COUNT; i++) {
            gmodule *g = &mods[i];
            if (!g->status) {
                continue;
            }
            printf("%s{\"module\":%d,\"name\":\"%s\",\"status\":\"%s\",\"points\":%d,\"max\":%d,\"tests\":[",
                   first ? "" : ",", i + 1, g->m->dir, g->status, g->points, g->max);
            first = 0;
            int f2 = 1;
            for (int c = 0; c < g->ncases; c++) {
                gcase *k = &g->cases[c];
                if (k->state < 0) {
                    continue;
                }
                char test[200];
                snprintf(test, sizeof test, "%s:%s", g->m->tests[k->file], k->name);
                printf("%s{\"module\":%d,\"test\":", f2 ? "" : ",", i + 1);
                tt_json_write_string(stdout, test);
                printf(",\"points\":%d,\"max\":1,\"passed\":%s,\"message\":", k->state == 1,
                       k->state == 1 ? "true" : "false");
                tt_json_write_string(stdout, k->message);
                printf("}");
                f2 = 0;
            }
            printf("]}");
        }
        printf("]}\n");
        return 0;
    }
    printf("grade of %s (tests from %s/tinytorch/src/NN_name/tests)\n\n", dir, src);
    for (int i = 0; i < TT_MODULE_COUNT; i++) {
        gmodule *g = &mods[i];
        if (!g->status) {
            continue;
        }
        printf("  %02d  %-14s %3d / %-3d %s\n", i + 1, g->m->title, g->points, g->max,
               strcmp(g->status, "graded") == 0 ? "" : g->status);
        for (int c = 0; c < g->ncases; c++) {
            gcase *k = &g->cases[c];
            if (k->state == 0 || k->state == 2) {
                printf("        FAIL %s:%s  %.160s\n", g->m->tests[k->file], k->name, k->message);
            }
        }
    }
    printf("\ntotal %d / %d points\n", points, max);
    return 0;
}
