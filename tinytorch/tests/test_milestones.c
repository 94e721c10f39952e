/* test_milestones.c - smoke runs of milestones 01 (Perceptron), 02 (XOR) and 03 --quick (TinyDigits in
 * full, a short Fashion-MNIST pass), their checkpoints, the JSON result writer (strict JSON, dotted keys
 * nested), and tito's command line (exit codes, argument errors) when the tito binary is built: a
 * milestone run killed mid-training and resumed ends bit-identical to an uninterrupted one; --part;
 * milestone status.
 * The milestones and their result writer come from their library (tinytorch_milestones). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tt_test.h"
#include "tt_test_fs.h"
#include "milestone.h"
#include "ms_common.h"
#include "result_json.h"
#include "tinytorch/json.h"

static tt_milestone_result res;

static int setup(void **state)
{
    memset(&res, 0, sizeof res);
    return tt_test_dir_setup(state);
}

static tt_milestone_opts opts(bool quick, uint64_t seed)
{
    tt_milestone_opts o = {0, seed, MLSB_SOURCE_DIR "/data", tt_test_dir, NULL, quick, 0, false, 0};
    return o;
}

static const char *str_field(const char *key)
{
    for (int i = 0; i < res.n; i++) {
        if (strcmp(res.f[i].key, key) == 0 && res.f[i].is_str) {
            return res.f[i].str;
        }
    }
    return NULL;
}

static void test_perceptron(void **state)
{
    (void)state;
    tt_milestone_opts o = opts(false, 42);
    assert_int_equal(tt_milestone_01.run(&o, &res), 0);
    assert_true(tt_ms_result_get(&res, "test_accuracy", 0) >= 0.95);
    /* part 1, the forward pass with hand-set weights (w = (1, 1), b = 0): the Bayes boundary of the
     * two clusters, so it classifies the test points about as well as the trained neuron */
    assert_true(tt_ms_result_get(&res, "forward.test_accuracy", 0) >= 0.95);
    /* --part 2 runs only the training part */
    static tt_milestone_result only;
    memset(&only, 0, sizeof only);
    o.part = 2;
    assert_int_equal(tt_milestone_01.run(&o, &only), 0);
    assert_true(tt_ms_result_get(&only, "forward.test_accuracy", -1) == -1);
    assert_true(tt_ms_result_get(&only, "test_accuracy", 0) == tt_ms_result_get(&res, "test_accuracy", 1));
    assert_int_equal((int)tt_ms_result_get(&only, "part", 0), 2);
    assert_int_equal(tt_milestone_01.n_parts, 2);
    assert_int_equal(tt_milestone_01.parts[0].needs, 3); /* the forward part: modules 01-03 */
    assert_int_equal(tt_milestone_01.needs, 8);
    /* the checkpoint holds the neuron: load it back into a fresh Linear(2, 1) */
    const char *ck = str_field("checkpoint");
    assert_non_null(ck);
    tt_layer *neuron = tt_linear_new(2, 1, true, TT_INIT_PYTORCH, NULL);
    char err[512];
    assert_int_equal(tt_checkpoint_load(ck, neuron, NULL, err, sizeof err), 0);
    tt_linear_layer *lin = (tt_linear_layer *)neuron;
    /* the clusters lie along the diagonal: both weights positive */
    assert_true(lin->weight->data[0] > 0.5f && lin->weight->data[1] > 0.5f);
    tt_layer_free(neuron);
}

static void test_xor(void **state)
{
    (void)state;
    const uint64_t seeds[4] = {42, 1, 2, 3};
    for (int s = 0; s < 4; s++) {
        memset(&res, 0, sizeof res);
        tt_milestone_opts o = opts(true, seeds[s]);
        assert_int_equal(tt_milestone_02.run(&o, &res), 0);
        assert_true(tt_ms_result_get(&res, "single_layer.accuracy", 1) <= 0.75);
        assert_true(tt_ms_result_get(&res, "hidden_layer.accuracy", 0) == 1.0);
        assert_int_equal((int)tt_ms_result_get(&res, "hidden_layer.params", 0), 17); /* 2*4+4 + 4+1 */
    }
}

static void test_mlp_quick(void **state)
{
    (void)state;
    FILE *f = fopen(MLSB_SOURCE_DIR "/data/digits.csv.gz", "rb");
    FILE *g = fopen(MLSB_SOURCE_DIR "/data/fashion-mnist/train-images-idx3-ubyte.gz", "rb");
    if (!f || !g) {
        if (f) fclose(f);
        if (g) fclose(g);
        print_message("data/ absent (run scripts/fetch-data.sh): skipping\n");
        skip();
    }
    fclose(f);
    fclose(g);
    tt_milestone_opts o = opts(true, 42);
    assert_int_equal(tt_milestone_03.run(&o, &res), 0);
    assert_true(tt_ms_result_get(&res, "tinydigits.test_accuracy", 0) >= 0.90);
    assert_int_equal((int)tt_ms_result_get(&res, "tinydigits.params", 0), 2410); /* 64*32+32+32*10+10 */
    assert_int_equal((int)tt_ms_result_get(&res, "fashion_mnist.params", 0), 101770);
    /* 4,000 images for one epoch already beat chance (10 %) by far on the 10,000 test images */
    assert_true(tt_ms_result_get(&res, "fashion_mnist.test_accuracy", 0) > 0.6);
    /* the metrics log has one strict-JSON line for the Fashion-MNIST epoch */
    const char *logp = str_field("fashion_mnist.metrics_log");
    assert_non_null(logp);
    FILE *lf = fopen(logp, "r");
    char line[1024], err[256];
    assert_non_null(fgets(line, sizeof line, lf));
    fclose(lf);
    tt_json *j = tt_json_parse(line, strlen(line), err, sizeof err);
    assert_non_null(j);
    assert_float_equal(tt_json_get(j, "eval_accuracy")->number,
                       tt_ms_result_get(&res, "fashion_mnist.test_accuracy", -1), 1e-12);
    tt_json_free(j);
    /* the Fashion-MNIST checkpoint describes itself: rebuilt and normalised from its metadata alone it
     * scores what the run reported (up to rounding of the two normalisation orders) */
    tt_model_file mf;
    assert_int_equal(tt_model_load(str_field("fashion_mnist.checkpoint"), &mf, err, sizeof err), 0);
    assert_string_equal(mf.class_names[9], "Ankle boot");
    tt_dataset *te;
    assert_int_equal(tt_load_mnist(MLSB_SOURCE_DIR "/data/fashion-mnist", "t10k", 0.0f, 1.0f, &te, err, sizeof err), 0);
    tt_model_normalize(&mf, ((tt_memory_dataset *)te)->x, te->len, te->sample_numel);
    double acc;
    tt_evaluate(mf.model, te, 1000, NULL, &acc);
    assert_float_equal(acc, tt_ms_result_get(&res, "fashion_mnist.test_accuracy", -1), 0.002);
    tt_dataset_free(te);
    tt_model_file_free(&mf);
    /* the TinyDigits checkpoint loads into the same architecture, optimizer state included */
    tt_rng r;
    tt_rng_seed(&r, 0);
    tt_layer *m = tt_mlp_new(3, (const int64_t[]){64, 32, 10}, &r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(m, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    assert_int_equal(tt_checkpoint_load(str_field("tinydigits.checkpoint"), m, opt, err, sizeof err), 0);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(m);
    /* part 3 (quick: TinyDigits): throughput and accuracy at four batch sizes, and the plot (an SVG
     * document). One epoch of 1,000 images is 63 steps at batch 16 (well above chance) but a single
     * step at batch 1024 (about chance): the lesson of the experiment. */
    const int64_t bs[4] = {16, 64, 256, 1024};
    for (int i = 0; i < 4; i++) {
        char k[64];
        snprintf(k, sizeof k, "batch_size.b%lld.samples_per_s", (long long)bs[i]);
        assert_true(tt_ms_result_get(&res, k, 0) > 0);
        snprintf(k, sizeof k, "batch_size.b%lld.test_accuracy", (long long)bs[i]);
        double a = tt_ms_result_get(&res, k, -1);
        assert_true(a >= 0 && a <= 1);
    }
    assert_true(tt_ms_result_get(&res, "batch_size.b16.test_accuracy", 0) > 0.5);
    assert_true(tt_ms_result_get(&res, "batch_size.b16.test_accuracy", 0) >
                tt_ms_result_get(&res, "batch_size.b1024.test_accuracy", 1));
    const char *svg = str_field("batch_size.plot");
    assert_non_null(svg);
    FILE *sf = fopen(svg, "r");
    assert_non_null(sf);
    char head[128] = "";
    assert_non_null(fgets(head, sizeof head, sf));
    fclose(sf);
    const char *svg_start = "<svg xmlns=\"http://www.w3.org/2000/svg\"";
    assert_true(strncmp(head, svg_start, strlen(svg_start)) == 0);
    /* a missing data directory is an error (2) with a message, not a crash */
    memset(&res, 0, sizeof res);
    o.data_dir = "/nonexistent-data-dir";
    assert_int_equal(tt_milestone_03.run(&o, &res), 2);
}

static void test_result_json(void **state)
{
    (void)state;
    tt_ms_result_num(&res, "test_accuracy", 0.875);
    tt_ms_result_num(&res, "a.b", 1);
    tt_ms_result_str(&res, "name \"quoted\"", "x\ny");
    tt_ms_result_num(&res, "a.c.d", 2);
    tt_ms_result_num(&res, "z", NAN);
    tt_ms_result_num(&res, "a.c", 3); /* a value and a prefix at once */
    tt_ms_result_num(&res, "test_accuracy", 0.9); /* updates in place */
    char path[512], err[512];
    tt_test_path(path, sizeof path, "r.json");
    assert_int_equal(tito_save_result(path, &tt_milestone_01, &res, 1, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    tt_json *j = tt_json_parse(buf, n, err, sizeof err);
    if (!j) {
        fail_msg("not strict JSON: %s\n%.*s", err, (int)n, buf);
    }
    assert_string_equal(tt_json_get(j, "milestone")->string, "01");
    assert_int_equal(tt_json_get(j, "goal_met")->type, TT_JSON_BOOL);
    assert_false(tt_json_get(j, "goal_met")->boolean);
    assert_float_equal(tt_json_get(j, "test_accuracy")->number, 0.9, 0);
    tt_json *a = tt_json_get(j, "a");
    assert_non_null(a);
    assert_float_equal(tt_json_get(a, "b")->number, 1, 0);
    tt_json *c = tt_json_get(a, "c");
    assert_int_equal(c->type, TT_JSON_OBJECT);
    assert_float_equal(tt_json_get(c, "d")->number, 2, 0);
    assert_float_equal(tt_json_get(c, "value")->number, 3, 0);
    assert_int_equal(tt_json_get(j, "z")->type, TT_JSON_NULL);
    assert_string_equal(tt_json_get(j, "name \"quoted\"")->string, "x\ny");
    tt_json_free(j);
}

/* Runs the tito binary next to this test's build directory; returns its exit status or -1. */
static char tito_path[1024];
static int tito(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", tito_path, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_tito_cli(void **state)
{
    (void)state;
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        skip();
    }
    self[n] = 0;
    snprintf(tito_path, sizeof tito_path, "%s/../tito", dirname(self));
    if (access(tito_path, X_OK) != 0) {
        print_message("tito binary not built next to the tests: skipping\n");
        skip();
    }
    assert_int_equal(tito("--version"), 0);
    assert_int_equal(tito("--help"), 0);
    assert_int_equal(tito(""), 2);
    assert_int_equal(tito("milestone list"), 0);
    assert_int_equal(tito("milestone info xor"), 0);
    assert_int_equal(tito("frobnicate"), 2);
    assert_int_equal(tito("milestone run"), 2);
    assert_int_equal(tito("milestone run 99"), 2);
    assert_int_equal(tito("milestone run 01 --epochs"), 2);
    assert_int_equal(tito("milestone run 01 --epochs x3"), 2);
    assert_int_equal(tito("milestone run 01 --epochs 0"), 2);
    assert_int_equal(tito("milestone run 01 --seed -4"), 2);
    assert_int_equal(tito("milestone run 01 --bogus"), 2);
    assert_int_equal(tito("milestone run 01 --data /nonexistent-dir"), 2);
    char args[1024], json[600], err[256];
    tt_test_path(json, sizeof json, "out.json");
    snprintf(args, sizeof args, "milestone run perceptron --epochs 100 --seed 7 --out '%s' --json '%s'", tt_test_dir, json);
    assert_int_equal(tito(args), 0);
    FILE *f = fopen(json, "r");
    assert_non_null(f);
    char buf[4096];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    tt_json *j = tt_json_parse(buf, len, err, sizeof err);
    assert_non_null(j);
    assert_true(tt_json_get(j, "test_accuracy")->number >= 0.95);
    assert_float_equal(tt_json_get(j, "epochs")->number, 100, 0);
    assert_float_equal(tt_json_get(j, "seed")->number, 7, 0);
    tt_json_free(j);
    /* an unwritable --json path is an error */
    snprintf(args, sizeof args, "milestone run 01 --out '%s' --json /nonexistent-dir/r.json", tt_test_dir);
    assert_int_equal(tito(args), 2);
}

/* Starts tito with argv (NULL-terminated) in a child process; returns its pid. */
static pid_t tito_spawn(char *const *argv)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(tito_path, argv);
        _exit(127);
    }
    return pid;
}

static int tito_wait(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static bool same_file(const char *a, const char *b)
{
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    bool same = f && g;
    while (same) {
        int x = fgetc(f), y = fgetc(g);
        same = x == y;
        if (x == EOF) {
            break;
        }
    }
    if (f) fclose(f);
    if (g) fclose(g);
    return same;
}

static double json_number(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    char buf[16384], err[256];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    tt_json *j = tt_json_parse(buf, n, err, sizeof err);
    double v = NAN;
    for (tt_json *o = j; o; ) { /* "a.b": member a, then b */
        const char *dot = strchr(key, '.');
        char part[64];
        snprintf(part, sizeof part, "%.*s", dot ? (int)(dot - key) : (int)strlen(key), key);
        tt_json *c = tt_json_get(o, part);
        if (!c) break;
        if (!dot) { v = c->type == TT_JSON_NUMBER ? c->number : NAN; break; }
        o = c;
        key = dot + 1;
    }
    tt_json_free(j);
    return v;
}

/* tito milestone run 03 --quick --part 1 is killed (SIGKILL) once it has written a training state;
 * --resume finishes it, and the model file and the reported metrics are bit for bit those of an
 * uninterrupted run. Then 'milestone status' and --part's argument checks. */
static void test_tito_resume_after_kill(void **state)
{
    (void)state;
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        skip();
    }
    self[n] = 0;
    snprintf(tito_path, sizeof tito_path, "%s/../tito", dirname(self));
    if (access(tito_path, X_OK) != 0 || access(MLSB_SOURCE_DIR "/data/digits.csv.gz", R_OK) != 0) {
        print_message("tito binary or data/digits.csv.gz absent: skipping\n");
        skip();
    }
    char ref[300], run[300], ref_json[400], run_json[400], state_path[400], a[400], b[400];
    tt_test_path(ref, sizeof ref, "ref");
    tt_test_path(run, sizeof run, "run");
    snprintf(ref_json, sizeof ref_json, "%s/r.json", ref);
    snprintf(run_json, sizeof run_json, "%s/r.json", run);
    snprintf(state_path, sizeof state_path, "%s/03_mlp_tinydigits.state.safetensors", run);
    char *ref_argv[] = {tito_path, "milestone", "run", "03", "--quick", "--part", "1", "--checkpoint-every", "40",
                        "--data", MLSB_SOURCE_DIR "/data", "--out", ref, "--json", ref_json, NULL};
    assert_int_equal(tito_wait(tito_spawn(ref_argv)), 0);
    char *run_argv[] = {tito_path, "milestone", "run", "03", "--quick", "--part", "1", "--checkpoint-every", "40",
                        "--data", MLSB_SOURCE_DIR "/data", "--out", run, "--json", run_json, NULL, NULL};
    pid_t pid = tito_spawn(run_argv);
    for (int i = 0; i < 300000 && access(state_path, F_OK) != 0; i++) {
        nanosleep(&(struct timespec){0, 100000}, NULL);
    }
    kill(pid, SIGKILL);
    int st = tito_wait(pid);
    if (st != 128 + SIGKILL) {
        fail_msg("the run ended (status %d) before it was killed; nothing was tested", st);
    }
    char v[64], err[512];
    assert_int_equal(tt_safetensors_meta(state_path, "done", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "0");
    assert_int_equal(tt_safetensors_meta(state_path, "steps", v, sizeof v, err, sizeof err), 0);
    print_message("killed after step %s of 1280\n", v);
    run_argv[15] = "--resume";
    assert_int_equal(tito_wait(tito_spawn(run_argv)), 0);
    snprintf(a, sizeof a, "%s/03_mlp_tinydigits.safetensors", ref);
    snprintf(b, sizeof b, "%s/03_mlp_tinydigits.safetensors", run);
    assert_true(same_file(a, b));
    const char *keys[] = {"tinydigits.test_accuracy", "tinydigits.test_loss", "tinydigits.train_loss"};
    for (int k = 0; k < 3; k++) {
        double x = json_number(ref_json, keys[k]), y = json_number(run_json, keys[k]);
        assert_false(isnan(x));
        assert_true(x == y);
    }
    assert_true(json_number(run_json, "tinydigits.resumed_at_step") > 0);
    /* the metrics log of the resumed run holds all 40 epochs */
    snprintf(b, sizeof b, "%s/03_mlp_tinydigits.metrics.jsonl", run);
    FILE *f = fopen(b, "r");
    assert_non_null(f);
    int lines = 0;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, 40);
    /* status: no module completed (a fresh progress database), milestone 03 run once in run/ */
    char cmd[2048], out[8192];
    snprintf(cmd, sizeof cmd, "XDG_DATA_HOME='%s' '%s' milestone status --out '%s' 2>&1", tt_test_dir, tito_path, run);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = 0;
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(out, "0 modules completed"));
    assert_non_null(strstr(out, "03 MLP          locked    needs modules 01-08"));
    assert_non_null(strstr(out, "1 run, goal met in 1")); /* the killed run left no result */
    assert_non_null(strstr(out, "01 Perceptron   locked    needs modules 01-08"));
    /* --part: a part the milestone does not have, or a milestone without parts */
    assert_int_equal(tito("milestone run 03 --part 4"), 2);
    assert_int_equal(tito("milestone run 03 --part 0"), 2);
    assert_int_equal(tito("milestone run 02 --part 1"), 2);
    assert_int_equal(tito("milestone run 01 --checkpoint-every 0"), 2);
    /* --resume / --checkpoint-every on a milestone whose training writes no state files: refused, not
     * silently a fresh run (XOR would otherwise run and exit 0) */
    assert_int_equal(tito("milestone run 02 --resume"), 2);
    assert_int_equal(tito("milestone run 02 --checkpoint-every 5"), 2);
    assert_int_equal(tito("milestone info 03"), 0);
}

int main(void)
{
    (void)tt_gradcheck;
    (void)tt_test_input;
    (void)tt_assert_close;
    (void)tt_test_on_error;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_perceptron, setup, tt_test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_xor, setup, tt_test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_mlp_quick, setup, tt_test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_result_json, setup, tt_test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tito_cli, setup, tt_test_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tito_resume_after_kill, setup, tt_test_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
