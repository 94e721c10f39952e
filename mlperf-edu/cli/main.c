/* main.c - the mlperf-edu command line: a thin shell over libmlperf_edu (session.h, report.h).
 *
 * Exit status: 0 success (a VALID result; accuracy target met; verify passed), 1 the command ran but the
 * result is INVALID / the target was missed / verify found a problem, 2 an error (bad arguments, files).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mlperf_edu/report.h"
#include "mlperf_edu/session.h"

static void usage(FILE *f)
{
    fprintf(f,
            "mlperf-edu - MLPerf-style benchmarks of TinyTorch models (a LoadGen in C)\n"
            "\n"
            "usage:\n"
            "  mlperf-edu list                                 the workloads and scenarios\n"
            "  mlperf-edu run WORKLOAD --scenario S [options]   one benchmark run; logs under --out\n"
            "  mlperf-edu sweep WORKLOAD [--latency-ms B]       Server: measured vs predicted max QPS (JSON)\n"
            "  mlperf-edu train WORKLOAD [--seeds N]            time to train to the target accuracy\n"
            "  mlperf-edu report DIR [--format md|html]         summarise DIR's results (+ report.json)\n"
            "  mlperf-edu verify DIR                            compliance checks over DIR's results\n"
            "\n"
            "options of run:\n"
            "  --scenario S       SingleStream | MultiStream | Server | Offline\n"
            "  --mode M           perf (default) | accuracy\n"
            "  --target-qps Q     Server arrival rate / Offline expected rate (> 0)\n"
            "  --latency-ms L     Server latency bound of the 99th percentile (default 10)\n"
            "  --threads N        kernel threads (default 1)\n"
            "  --max-batch B      largest batch the SUT forms (default 1; Offline 64)\n"
            "  --min-duration S   seconds (default 10; --official: 600)\n"
            "  --min-queries N    queries (default 1024; --official: MLPerf's counts)\n"
            "  --official         MLPerf Inference's minimum duration and query counts\n"
            "  --checkpoint F     weights (e.g. runs/04_cnn_lenet5_fashion_mnist.safetensors from\n"
            "                     'tito milestone run 04'); default: train once into --weights DIR.\n"
            "                     gpt-char: runs/05_transformer_lm.safetensors ('tito milestone run 05')\n"
            "  --weights DIR      where trained weights are kept (default runs/)\n"
            "  --data DIR         the folder holding fashion-mnist/ (default: $MLSB_DATA, data/)\n"
            "  --out DIR          results root (default mlperf-results)\n"
            "  --run-id K         writes run_K (default 1)\n"
            "  --seed N           sample-order seed\n"
            "  --quiet            no progress on stderr\n"
            "\n"
            "examples:\n"
            "  mlperf-edu run lenet5 --scenario SingleStream\n"
            "  mlperf-edu run lenet5 --scenario Server --target-qps 1500 --latency-ms 5\n"
            "  mlperf-edu run lenet5 --scenario Offline --mode accuracy\n"
            "  mlperf-edu run gpt-char --scenario SingleStream --checkpoint runs/05_transformer_lm.safetensors\n"
            "  for k in 1 2 3 4 5; do mlperf-edu run lenet5 --scenario Offline --run-id $k; done\n"
            "  mlperf-edu report mlperf-results && mlperf-edu verify mlperf-results\n"
            "  mlperf-edu sweep lenet5 --latency-ms 5\n"
            "\n"
            "exit status: 0 VALID / target met / checks passed, 1 INVALID / missed / a check failed, 2 error\n");
}

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "mlperf-edu: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'mlperf-edu --help')\n");
    return 2;
}

static bool parse_double(const char *s, double *out)
{
    if (!s || !*s) {
        return false;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) {
        return false;
    }
    *out = v;
    return true;
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

typedef struct cli {
    const char *workload, *scenario, *mode, *checkpoint, *weights, *data, *out, *format;
    double target_qps, latency_ms, min_duration, run_seconds, target;
    long threads, max_batch, min_queries, run_id, seeds, steps, max_epochs;
    unsigned long long seed;
    bool have_seed, official, quiet, have_qps;
} cli;

/* Parses options shared by the commands. Returns 0, or 2 after printing the problem. */
static int parse_opts(int argc, char **argv, int first, cli *c)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--official") == 0) {
            c->official = true;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            c->quiet = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            return bad("unexpected argument '%s'", a);
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            return bad("option '%s' needs a value", a);
        }
        i++;
        long n;
        double d;
        if (strcmp(a, "--scenario") == 0) {
            c->scenario = v;
        } else if (strcmp(a, "--mode") == 0) {
            if (strcmp(v, "perf") && strcmp(v, "performance") && strcmp(v, "accuracy")) {
                return bad("--mode wants perf or accuracy, not '%s'", v);
            }
            c->mode = v;
        } else if (strcmp(a, "--target-qps") == 0) {
            if (!parse_double(v, &d) || !(d > 0.0)) {
                return bad("--target-qps wants a number > 0, not '%s'", v);
            }
            c->target_qps = d;
            c->have_qps = true;
        } else if (strcmp(a, "--latency-ms") == 0) {
            if (!parse_double(v, &d) || !(d > 0.0)) {
                return bad("--latency-ms wants a number > 0, not '%s'", v);
            }
            c->latency_ms = d;
        } else if (strcmp(a, "--min-duration") == 0 || strcmp(a, "--run-seconds") == 0) {
            if (!parse_double(v, &d) || d < 0.0 || d > 86400.0) {
                return bad("%s wants seconds from 0 to 86400", a);
            }
            *(strcmp(a, "--min-duration") == 0 ? &c->min_duration : &c->run_seconds) = d;
        } else if (strcmp(a, "--target") == 0) {
            if (!parse_double(v, &d) || !(d > 0.0 && d < 1.0)) {
                return bad("--target wants an accuracy in (0, 1), not '%s'", v);
            }
            c->target = d;
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            c->seed = strtoull(v, &end, 10);
            if (*end || errno || *v == '-') {
                return bad("--seed wants a non-negative whole number, not '%s'", v);
            }
            c->have_seed = true;
        } else if (strcmp(a, "--threads") == 0 || strcmp(a, "--max-batch") == 0 || strcmp(a, "--min-queries") == 0 ||
                   strcmp(a, "--run-id") == 0 || strcmp(a, "--seeds") == 0 || strcmp(a, "--steps") == 0 ||
                   strcmp(a, "--max-epochs") == 0) {
            long hi = strcmp(a, "--min-queries") == 0 ? 100000000L : 4096L;
            if (!parse_long(v, 1, hi, &n)) {
                fprintf(stderr, "mlperf-edu: %s wants a whole number from 1 to %ld, not '%s'\n", a, hi, v);
                return 2;
            }
            long *dst = strcmp(a, "--threads") == 0     ? &c->threads
                        : strcmp(a, "--max-batch") == 0 ? &c->max_batch
                        : strcmp(a, "--min-queries") == 0 ? &c->min_queries
                        : strcmp(a, "--run-id") == 0    ? &c->run_id
                        : strcmp(a, "--seeds") == 0     ? &c->seeds
                        : strcmp(a, "--steps") == 0     ? &c->steps
                                                        : &c->max_epochs;
            *dst = n;
        } else if (strcmp(a, "--checkpoint") == 0) {
            c->checkpoint = v;
        } else if (strcmp(a, "--weights") == 0) {
            c->weights = v;
        } else if (strcmp(a, "--data") == 0) {
            c->data = v;
        } else if (strcmp(a, "--out") == 0) {
            c->out = v;
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "md") && strcmp(v, "html")) {
                return bad("--format wants md or html, not '%s'", v);
            }
            c->format = v;
        } else {
            return bad("unknown option '%s'", a);
        }
    }
    return 0;
}

static int open_workload(const cli *c, mle_workload **w)
{
    mle_workload_opts o = {0};
    o.name = c->workload;
    o.checkpoint = c->checkpoint;
    o.data_dir = c->data;
    o.out_dir = c->weights;
    o.threads = (int)c->threads;
    o.quiet = c->quiet;
    char err[1024];
    if (mle_workload_open(&o, w, err, sizeof err) != 0) {
        fprintf(stderr, "mlperf-edu: %s\n", err);
        return 2;
    }
    return 0;
}

static int cmd_run(const cli *c)
{
    if (!c->scenario) {
        return bad("%s", "run: --scenario is required (SingleStream, MultiStream, Server, Offline)");
    }
    mle_scenario sc;
    if (mle_scenario_parse(c->scenario, &sc) != 0) {
        return bad("unknown scenario '%s' (SingleStream, MultiStream, Server, Offline)", c->scenario);
    }
    if (sc == MLE_SERVER && !c->have_qps && !(c->mode && strcmp(c->mode, "accuracy") == 0)) {
        return bad("%s", "run: Server needs --target-qps Q (Poisson arrivals per second)");
    }
    mle_run_opts ro = {0};
    ro.settings = c->official ? mle_settings_official(sc) : mle_settings_default(sc);
    ro.settings.mode = c->mode && strcmp(c->mode, "accuracy") == 0 ? MLE_ACCURACY : MLE_PERFORMANCE;
    if (c->have_qps) {
        ro.settings.target_qps = c->target_qps;
    }
    if (c->latency_ms > 0.0) {
        ro.settings.target_latency_s = c->latency_ms * 1e-3;
    }
    if (c->min_duration >= 0.0) {
        ro.settings.min_duration_s = c->min_duration;
    }
    if (c->min_queries > 0) {
        ro.settings.min_query_count = (uint64_t)c->min_queries;
    }
    if (c->have_seed) {
        ro.settings.sample_seed = c->seed;
        ro.settings.schedule_seed = c->seed ^ 0x9e3779b97f4a7c15ULL;
    }
    ro.workload = c->workload;
    ro.out_dir = c->out ? c->out : "mlperf-results";
    ro.run_id = (int)c->run_id;
    ro.max_batch = (int)c->max_batch;
    ro.quiet = c->quiet;
    char err[1024];
    if (mle_settings_check(&ro.settings, err, sizeof err) != 0) {
        fprintf(stderr, "mlperf-edu: %s\n", err);
        return 2;
    }
    mle_workload *w;
    int rc = open_workload(c, &w);
    if (rc) {
        return rc;
    }
    mle_outcome out;
    if (mle_session_run(w, &ro, &out, err, sizeof err) != 0) {
        fprintf(stderr, "mlperf-edu: %s\n", err);
        mle_workload_close(w);
        return 2;
    }
    static char text[16384];
    mle_summary_text(&out.result, text, sizeof text);
    fputs(text, stdout);
    bool ok = out.result.valid;
    if (ro.settings.mode == MLE_ACCURACY) {
        printf("\naccuracy %.2f %%  fp32 reference %.2f %%  closed-division target >= %.2f %% (99 %%)  %s\n",
               100.0 * out.accuracy, 100.0 * out.reference_accuracy, 100.0 * out.accuracy_target,
               out.accuracy_target_met ? "met" : "MISSED");
        ok = out.accuracy_target_met;
    }
    if (out.has_prediction) {
        printf("\nmodel vs reality (%s, service %.3f ms, cv %.2f):\n  p99 at %.1f qps: predicted %.3f ms, "
               "measured %.3f ms\n  max qps with p99 <= %.3f ms: predicted %.1f (M/M/1: %.1f)\n",
               out.pred.model, out.pred.service_mean_s * 1e3, out.pred.service_cv, ro.settings.target_qps,
               out.pred.p_s * 1e3, out.result.p99_s * 1e3, ro.settings.target_latency_s * 1e3, out.pred.max_qps,
               out.pred.max_qps_mmc);
    }
    printf("\nlogs: %s\n", out.dir);
    mle_outcome_free(&out);
    mle_workload_close(w);
    return ok ? 0 : 1;
}

static int cmd_sweep(const cli *c)
{
    double bound = (c->latency_ms > 0.0 ? c->latency_ms : 5.0) * 1e-3;
    double run_s = c->run_seconds > 0.0 ? c->run_seconds : 3.0;
    int steps = c->steps > 0 ? (int)c->steps : 6;
    mle_workload *w;
    int rc = open_workload(c, &w);
    if (rc) {
        return rc;
    }
    char err[1024];
    double *svc = NULL;
    size_t n = 0;
    mle_prediction p;
    if (mle_calibrate_service(w, 3.0, &svc, &n, err, sizeof err) != 0 ||
        mle_predict_server(svc, n, 1, 1.0, bound, 0.99, &p, err, sizeof err) != 0) {
        fprintf(stderr, "mlperf-edu: %s\n", err);
        free(svc);
        mle_workload_close(w);
        return 2;
    }
    free(svc);
    if (!c->quiet) {
        fprintf(stderr, "service time %.4f ms (cv %.2f, %zu samples); predicted max qps %.1f (%s), %.1f (M/M/1)\n",
                p.service_mean_s * 1e3, p.service_cv, n, p.max_qps, p.model, p.max_qps_mmc);
    }
    double measured;
    if (mle_find_max_qps(w, bound, 0.5 * p.max_qps, 1.5 * p.max_qps, steps, run_s, c->quiet, &measured, err,
                         sizeof err) != 0) {
        fprintf(stderr, "mlperf-edu: %s\n", err);
        mle_workload_close(w);
        return 2;
    }
    double ratio = p.max_qps > 0 ? measured / p.max_qps : 0.0;
    printf("{\"name\": \"mlperf_server\", \"workload\": \"%s\", \"p99_bound_ms\": %.3f, \"service_mean_ms\": %.4f, "
           "\"service_cv\": %.3f, \"model\": \"%s\", \"predicted_max_qps\": %.1f, \"predicted_max_qps_mmc\": %.1f, "
           "\"measured_max_qps\": %.1f, \"ratio\": %.3f, \"ours\": %.1f, \"anchor\": %.1f, \"unit\": \"queries/s\"}\n",
           c->workload, bound * 1e3, p.service_mean_s * 1e3, p.service_cv, p.model, p.max_qps, p.max_qps_mmc,
           measured, ratio, measured, p.max_qps);
    mle_workload_close(w);
    return 0;
}

static int cmd_train(const cli *c)
{
    mle_workload_opts o = {0};
    o.name = c->workload;
    o.data_dir = c->data;
    o.threads = (int)c->threads;
    o.quiet = c->quiet;
    if (strcmp(c->workload, "lenet5") != 0) {
        return bad("unknown workload '%s' (train has: lenet5)", c->workload);
    }
    double target = c->target > 0.0 ? c->target : 0.89;
    int seeds = c->seeds > 0 ? (int)c->seeds : 1, max_epochs = c->max_epochs > 0 ? (int)c->max_epochs : 10;
    double sum = 0.0;
    int reached = 0;
    printf("time to train LeNet-5 to %.1f %% Fashion-MNIST test accuracy (max %d epochs)\n", 100.0 * target,
           max_epochs);
    for (int k = 0; k < seeds; k++) {
        o.seed = (c->have_seed ? c->seed : 42) + (uint64_t)k;
        double secs, acc;
        int epochs;
        char err[1024];
        int rc = mle_time_to_train(&o, target, max_epochs, &secs, &epochs, &acc, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "mlperf-edu: %s\n", err);
            return 2;
        }
        printf("  seed %llu: %s in %.1f s (%d epoch%s, %.2f %%)\n", (unsigned long long)o.seed,
               rc == 0 ? "reached" : "NOT reached", secs, epochs, epochs > 1 ? "s" : "", 100.0 * acc);
        if (rc == 0) {
            sum += secs;
            reached++;
        }
    }
    if (reached) {
        printf("mean time to train over %d of %d seeds: %.1f s\n", reached, seeds, sum / reached);
    }
    return reached == seeds ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0) {
        printf("mlperf-edu 0.1.0\n");
        return 0;
    }
    if (strcmp(cmd, "list") == 0) {
        printf("workloads:\n");
        for (int i = 0; i < mle_workload_count; i++) {
            printf("  %s\n", mle_workload_names[i]);
        }
        printf("scenarios: SingleStream (p90 latency), MultiStream (8 samples/query, p99), Server (Poisson, p99 "
               "bound), Offline (samples/s)\n");
        return 0;
    }
    bool needs_workload = strcmp(cmd, "run") == 0 || strcmp(cmd, "sweep") == 0 || strcmp(cmd, "train") == 0;
    bool needs_dir = strcmp(cmd, "report") == 0 || strcmp(cmd, "verify") == 0;
    if (!needs_workload && !needs_dir) {
        return bad("unknown command '%s'", cmd);
    }
    if (argc < 3 || argv[2][0] == '-') {
        return bad(needs_dir ? "%s: which results folder?" : "%s: which workload? (mlperf-edu list)", cmd);
    }
    cli c = {0};
    c.min_duration = -1.0;
    c.run_seconds = -1.0;
    c.workload = argv[2];
    if (parse_opts(argc, argv, 3, &c) != 0) {
        return 2;
    }
    if (needs_workload) {
        bool known = false;
        for (int i = 0; i < mle_workload_count; i++) {
            known |= strcmp(c.workload, mle_workload_names[i]) == 0;
        }
        if (!known) {
            return bad("unknown workload '%s' (mlperf-edu list)", c.workload);
        }
    }
    if (strcmp(cmd, "run") == 0) {
        return cmd_run(&c);
    }
    if (strcmp(cmd, "sweep") == 0) {
        return cmd_sweep(&c);
    }
    if (strcmp(cmd, "train") == 0) {
        return cmd_train(&c);
    }
    char err[1024];
    if (strcmp(cmd, "report") == 0) {
        char path[1200];
        int rc = mle_report(c.workload, c.format && strcmp(c.format, "html") == 0, path, sizeof path, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "mlperf-edu: %s\n", err);
            return 2;
        }
        printf("report: %s (and report.json)\n", path);
        return 0;
    }
    int rc = mle_verify(c.workload, stdout, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "mlperf-edu: %s\n", err);
        return 2;
    }
    return rc;
}
