/* test_failure.c - a rank that dies or hangs mid-run must not hang the job: the survivors exit
 * non-zero with a message, within the timeout, and rank 0's last checkpoint stays intact; and the
 * learner's command, `mpirun -np 2 tito train`, runs end to end.
 * Launches the mpirun jobs itself (with a deadline) and inspects what they leave. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "dist_fixture.h"
#include "tinytorch/checkpoint.h"

static char dir[] = "tt_dist_failXXXXXX";   /* in the working directory (the build tree) */
static char ckpt[512], logpath[512], out[16384];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs argv (a NULL-terminated mpirun command line) with a deadline; returns its exit status
 * (128 + signal if killed, -1 if it had to be killed at the deadline); the job's output is read
 * into `out`. */
static int run_argv(char *const *argv, const char *timeout_env, double deadline_s, double *secs)
{
    double t0 = now_s();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (timeout_env) {
            setenv("TT_DIST_TIMEOUT_S", timeout_env, 1);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0, rc = -1;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (now_s() - t0 > deadline_s) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    *secs = now_s() - t0;
    FILE *f = fopen(logpath, "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = 0;
    if (f) {
        fclose(f);
    }
    return rc;
}

/* mpirun -np 2 dist_worker a1 a2 [a3 [a4]] */
static int run_job(const char *timeout_env, double deadline_s, double *secs, const char *a1, const char *a2,
                   const char *a3, const char *a4)
{
    char *argv[] = {TT_DIST_MPIRUN, "-np", "2", "--oversubscribe", "--allow-run-as-root", TT_DIST_WORKER,
                    (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    return run_argv(argv, timeout_env, deadline_s, secs);
}

/* The checkpoint loads into the model and says which step it holds. */
static long checkpoint_step(void)
{
    char err[512], step[32];
    tt_layer *m = fixture_model(1);
    int rc = tt_checkpoint_load(ckpt, m, NULL, err, sizeof err);
    tt_layer_free(m);
    if (rc != 0) {
        print_error("%s\n", err);
        return -1;
    }
    if (tt_safetensors_meta(ckpt, "step", step, sizeof step, err, sizeof err) != 0) {
        return -1;
    }
    return atol(step);
}

static void test_normal_run(void **state)
{
    (void)state;
    double secs;
    int rc = run_job(NULL, 120, &secs, ckpt, "6", NULL, NULL);
    if (rc != 0) {
        print_error("%s", out);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(checkpoint_step(), 6);
}

static void test_rank_exits(void **state)
{
    (void)state;
    double secs;
    int rc = run_job("20", 90, &secs, ckpt, "40", "5", NULL);
    print_message("rank 1 exits before step 5: job status %d after %.1f s\n", rc, secs);
    assert_true(rc > 0);                     /* non-zero, and not killed at our deadline */
    assert_non_null(strstr(out, "stopping on purpose"));
    /* Intact and loadable. mpirun may stop rank 0 while it writes step 4's checkpoint: the rename
     * never happened then, and step 3's file is what is left. */
    long step = checkpoint_step();
    assert_true(step == 3 || step == 4);
}

static void test_rank_hangs(void **state)
{
    (void)state;
    double secs;
    int rc = run_job("3", 90, &secs, ckpt, "40", "5", "hang");
    print_message("rank 1 hangs before step 5: job status %d after %.1f s\n", rc, secs);
    assert_true(rc > 0);
    assert_non_null(strstr(out, "did not finish within 3 s"));   /* rank 0's message */
    assert_int_equal(checkpoint_step(), 4);
}

/* The command a learner types: `mpirun -np 2 tito train --quick --steps 8` on Fashion-MNIST. */
static void test_tito_train(void **state)
{
    (void)state;
    FILE *f = fopen(MLSB_SOURCE_DIR "/data/fashion-mnist/train-images-idx3-ubyte.gz", "rb");
    if (!f) {
        print_message("data/fashion-mnist absent (run scripts/fetch-data.sh): skipping\n");
        skip();
    }
    fclose(f);
    char *argv[] = {TT_DIST_MPIRUN, "-np", "2", "--oversubscribe", "--allow-run-as-root", TT_DIST_TITO, "train",
                    "--quick", "--steps", "8", "--data", MLSB_SOURCE_DIR "/data", "--out", dir, NULL};
    double secs;
    int rc = run_argv(argv, NULL, 120, &secs);
    if (rc != 0) {
        print_error("%s", out);
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "2 ranks"));
    char path[600], err[512], v[32];
    snprintf(path, sizeof path, "%s/04_cnn_lenet5_fashion_mnist.dist.safetensors", dir);
    assert_int_equal(tt_safetensors_meta(path, "step", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "8");
    assert_int_equal(tt_safetensors_meta(path, "ranks", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "2");
    unlink(path);
    snprintf(path, sizeof path, "%s/04_cnn_lenet5_fashion_mnist.dist.metrics.jsonl", dir);
    unlink(path);
}

/* No argument: the failure tests. "tito": the tito train run alone (CTest labels it slow). */
int main(int argc, char **argv)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(ckpt, sizeof ckpt, "%s/model.safetensors", dir);
    snprintf(logpath, sizeof logpath, "%s/job.log", dir);
    const struct CMUnitTest failures[] = {
        cmocka_unit_test(test_normal_run),
        cmocka_unit_test(test_rank_exits),
        cmocka_unit_test(test_rank_hangs),
    };
    const struct CMUnitTest tito[] = {cmocka_unit_test(test_tito_train)};
    int failed = argc > 1 && strcmp(argv[1], "tito") == 0 ? cmocka_run_group_tests(tito, NULL, NULL)
                                                          : cmocka_run_group_tests(failures, NULL, NULL);
    unlink(ckpt);
    unlink(logpath);
    rmdir(dir);
    return failed;
}
