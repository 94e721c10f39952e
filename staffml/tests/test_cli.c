/* test_cli.c - the staffml CLI as the checks and a learner see it: stats --json, fsrs replay
 * --json, a scripted drill (a non-numeric answer is asked again and records nothing), bad
 * options, lint exit codes, a refused database, a mock, and kill -9 in the middle of a drill
 * losing nothing answered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "staffml/fsrs.h"

static char dir[64], db[128];
#define CLI_VAULT MLSB_TEST_DATA "/vault_cli"

typedef struct { pid_t pid; int in, out; } child;

static child spawn(const char *const *argv)
{
    int pin[2], pout[2];
    child c = {-1, -1, -1};
    if (pipe(pin) || pipe(pout)) return c;
    c.pid = fork();
    if (c.pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(pout[1], 2);
        close(pin[1]);
        close(pout[0]);
        setenv("STAFFML_NOW", "1700000000", 1);
        execv(STAFFML_BIN, (char *const *)argv);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    c.in = pin[1];
    c.out = pout[0];
    return c;
}

/* Runs to completion with `input` on stdin; returns the exit status, output in out (malloc'd). */
static int run(const char *const *argv, const char *input, char **out)
{
    child c = spawn(argv);
    if (c.pid < 0) return -1;
    if (input && *input) {
        ssize_t w = write(c.in, input, strlen(input));
        (void)w;
    }
    close(c.in);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(c.out, buf + n, cap - n - 1)) > 0) {
        n += (size_t)r;
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[n] = 0;
    close(c.out);
    int st;
    waitpid(c.pid, &st, 0);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long db_int(const char *sql)
{
    sqlite3 *h;
    long long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void fresh_db(const char *name)
{
    snprintf(db, sizeof db, "%s/%s", dir, name);
}

static void test_stats_json(void **state)
{
    (void)state;
    const char *argv[] = {"staffml", "stats", "--json", NULL};
    char *out;
    int rc = run(argv, NULL, &out);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_int_equal(rc, 0);
    const char *keys[] = {"questions", "templates", "chains", "areas", "tracks", "levels"};
    for (int i = 0; i < 6; i++) assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, keys[i])));
    assert_true(cJSON_GetObjectItem(j, "questions")->valuedouble >= 300);
    assert_true(cJSON_GetObjectItem(j, "templates")->valuedouble >= 30);
    assert_true(cJSON_GetObjectItem(j, "chains")->valuedouble >= 20);
    assert_int_equal(cJSON_GetObjectItem(j, "areas")->valueint, 13);
    assert_int_equal(cJSON_GetObjectItem(j, "tracks")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItem(j, "levels")->valueint, 6);
    cJSON_Delete(j);
    free(out);
}

static void test_fsrs_replay_json(void **state)
{
    (void)state;
    const char *argv[] = {"staffml", "fsrs", "replay", "--ratings", "3,3,1,4", "--elapsed-days", "0,2,5,1",
                          "--params", "default", "--json", NULL};
    char *out;
    assert_int_equal(run(argv, NULL, &out), 0);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    cJSON *rv = cJSON_GetObjectItem(j, "reviews");
    assert_int_equal(cJSON_GetArraySize(rv), 4);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(rv, 0), "retrievability")));
    sml_fsrs_params p;
    sml_fsrs_default_params(&p);
    sml_fsrs_state s = {0, 0};
    const int g[] = {3, 3, 1, 4};
    const double e[] = {0, 2, 5, 1};
    for (int i = 0; i < 4; i++) {
        double rb;
        s = sml_fsrs_review(&p, &s, i > 0, g[i], e[i], &rb);
        cJSON *r = cJSON_GetArrayItem(rv, i);
        assert_float_equal(cJSON_GetObjectItem(r, "stability")->valuedouble, s.stability, 1e-5);
        assert_float_equal(cJSON_GetObjectItem(r, "difficulty")->valuedouble, s.difficulty, 1e-5);
        if (i) assert_float_equal(cJSON_GetObjectItem(r, "retrievability")->valuedouble, rb, 1e-5);
        assert_int_equal(cJSON_GetObjectItem(r, "interval_days")->valueint, sml_fsrs_interval_days(&p, s.stability, 0.9));
    }
    cJSON_Delete(j);
    free(out);
    const char *bad[] = {"staffml", "fsrs", "replay", "--ratings", "3,5", "--elapsed-days", "0,1", NULL};
    assert_int_equal(run(bad, NULL, &out), 1);
    assert_non_null(strstr(out, "want 1 (Again) .. 4 (Easy)"));
    free(out);
}

static void test_drill_scripted(void **state)
{
    (void)state;
    fresh_db("drill.db");
    const char *argv[] = {"staffml", "drill", "--vault", CLI_VAULT, "--db", db, "--no-templates", NULL};
    char *out;
    /* numeric: a word first (asked again, nothing recorded), then 16; MCQ: b; free-form: reveal, 3 */
    int rc = run(argv, "sixteen\n16\nb\n\n3\n", &out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "'sixteen' is not a number"));
    assert_non_null(strstr(out, "Right: the answer is 16 GB"));
    assert_non_null(strstr(out, "Right: B) Compute"));
    assert_non_null(strstr(out, "Grade yourself"));
    free(out);
    assert_int_equal(db_int("SELECT count(*) FROM reviews"), 3);
    assert_int_equal(db_int("SELECT count(*) FROM reviews WHERE card_id='cli-num'"), 1);
    assert_int_equal(db_int("SELECT correct FROM reviews WHERE card_id='cli-num'"), 1);
    assert_int_equal(db_int("SELECT rating FROM reviews WHERE card_id='cli-free'"), 3);
    assert_int_equal(db_int("SELECT correct FROM reviews WHERE card_id='cli-free'"), -1);
    /* nothing is due the same day: the next drill says so */
    rc = run(argv, "", &out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "Nothing more is due"));
    free(out);
    /* a wrong numeric answer is graded Again */
    fresh_db("drill2.db");
    rc = run(argv, "99\nquit\n", &out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "Not quite"));
    free(out);
    assert_int_equal(db_int("SELECT rating FROM reviews WHERE card_id='cli-num'"), 1);
}

static void test_bad_options(void **state)
{
    (void)state;
    char *out;
    const char *a1[] = {"staffml", "drill", "--track", "datacenter", NULL};
    assert_int_equal(run(a1, NULL, &out), 1);
    assert_non_null(strstr(out, "unknown track 'datacenter'"));
    free(out);
    const char *a2[] = {"staffml", "vault", "--area", "vibes", NULL};
    assert_int_equal(run(a2, NULL, &out), 1);
    assert_non_null(strstr(out, "unknown area 'vibes'"));
    free(out);
    const char *a3[] = {"staffml", "frobnicate", NULL};
    assert_int_equal(run(a3, NULL, &out), 1);
    free(out);
    const char *a4[] = {"staffml", "drill", "--help", NULL};
    assert_int_equal(run(a4, NULL, &out), 0);
    assert_non_null(strstr(out, "Exit codes"));
    free(out);
}

static void test_lint_exit_codes(void **state)
{
    (void)state;
    char *out;
    const char *bad[] = {"staffml", "lint", "--vault", MLSB_TEST_DATA "/vault_mixed", NULL};
    assert_int_equal(run(bad, NULL, &out), 2);
    assert_non_null(strstr(out, "b_bad.yaml:3: track:"));
    free(out);
    const char *good[] = {"staffml", "lint", NULL};
    int rc = run(good, NULL, &out);
    if (rc) fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    free(out);
    /* the rest still loads in `vault` */
    const char *v[] = {"staffml", "vault", "--vault", MLSB_TEST_DATA "/vault_mixed", NULL};
    assert_int_equal(run(v, NULL, &out), 2);
    assert_non_null(strstr(out, "t-fine-after-bad"));
    assert_non_null(strstr(out, "3 questions"));
    free(out);
}

static void test_refused_db(void **state)
{
    (void)state;
    fresh_db("junk.db");
    FILE *f = fopen(db, "wb");
    fputs("this is not a database, and it must survive", f);
    fclose(f);
    char *out;
    const char *argv[] = {"staffml", "drill", "--vault", CLI_VAULT, "--db", db, NULL};
    assert_int_equal(run(argv, "16\n", &out), 3);
    assert_non_null(strstr(out, "left as it is"));
    free(out);
    f = fopen(db, "rb");
    char buf[128] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_int_equal(n, strlen("this is not a database, and it must survive"));
}

static void test_mock(void **state)
{
    (void)state;
    fresh_db("mock.db");
    char *out;
    const char *argv[] = {"staffml", "mock", "--vault", CLI_VAULT, "--db", db, "--count", "3", "--json", NULL};
    /* the order is fixed by STAFFML_NOW: free-form (reveal, grade 4), MCQ, numeric */
    int rc = run(argv, "\n4\nb\n16\n", &out);
    assert_int_equal(rc, 0);
    cJSON *j = cJSON_Parse(strstr(out, "\n{\"questions\"") + 1);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "questions")->valueint, 3);
    assert_float_equal(cJSON_GetObjectItem(j, "score")->valuedouble, 3.0, 1e-9);
    cJSON_Delete(j);
    free(out);
    assert_int_equal(db_int("SELECT count(*) FROM mocks"), 1);
    assert_int_equal(db_int("SELECT count(*) FROM reviews WHERE kind='mock'"), 3);
}

/* Reads the child's output until `needle` appears (or EOF). */
static int wait_for(int fd, const char *needle, char *acc, size_t cap, size_t *len)
{
    for (;;) {
        if (strstr(acc, needle)) return 0;
        if (*len + 1 >= cap) return -1;
        ssize_t r = read(fd, acc + *len, cap - *len - 1);
        if (r <= 0) return -1;
        *len += (size_t)r;
        acc[*len] = 0;
    }
}

static void test_kill9_loses_nothing(void **state)
{
    (void)state;
    fresh_db("kill.db");
    const char *argv[] = {"staffml", "drill", "--vault", CLI_VAULT, "--db", db, "--no-templates", NULL};
    child c = spawn(argv);
    assert_true(c.pid > 0);
    static char acc[1 << 16];
    size_t len = 0;
    acc[0] = 0;
    assert_int_equal(wait_for(c.out, "Answer in GB", acc, sizeof acc, &len), 0);
    assert_true(write(c.in, "16\n", 3) == 3);
    assert_int_equal(wait_for(c.out, "Choice A-D", acc, sizeof acc, &len), 0);
    assert_true(write(c.in, "b\n", 2) == 2);
    assert_int_equal(wait_for(c.out, "Your answer (one line", acc, sizeof acc, &len), 0);
    /* two answers saved, the third question on screen: kill without warning */
    kill(c.pid, SIGKILL);
    int st;
    waitpid(c.pid, &st, 0);
    assert_true(WIFSIGNALED(st));
    close(c.in);
    close(c.out);
    assert_int_equal(db_int("SELECT count(*) FROM reviews"), 2);
    assert_int_equal(db_int("SELECT count(*) FROM cards"), 2);
    /* the database is intact and the next drill continues with the unanswered question */
    char *out;
    assert_int_equal(run(argv, "\n4\n", &out), 0);
    assert_non_null(strstr(out, "cli-free"));
    free(out);
    assert_int_equal(db_int("SELECT count(*) FROM reviews"), 3);
    assert_int_equal(db_int("SELECT count(*) FROM reviews WHERE card_id='cli-num'"), 1);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/staffml_cli_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    setenv("XDG_DATA_HOME", dir, 1);   /* search and defaults never touch the user's data */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_json),
        cmocka_unit_test(test_fsrs_replay_json),
        cmocka_unit_test(test_drill_scripted),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_lint_exit_codes),
        cmocka_unit_test(test_refused_db),
        cmocka_unit_test(test_mock),
        cmocka_unit_test(test_kill9_loses_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
