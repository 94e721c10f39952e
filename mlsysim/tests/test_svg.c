/* test_svg.c - the SVG pictures beyond the roofline: the memory breakdown of an evaluated plan
 * (ms_result_memory_svg), a sweep's curves (ms_svg_curves) and validation's predicted against
 * measured (ms_svg_parity). Each picture is checked to be
 * well-formed XML (every tag closed in order, attributes quoted, only the five entities) and to
 * carry the numbers and labels it draws; bar widths are measured against the bytes they stand
 * for; `mlsysim eval --svg-memory` and `mlsysim sweep --svg` write the same pictures to files. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlsysim/mlsysim.h"
#include "mlsysim/engine.h"
#include "ms_test.h"

/* the built CLI (CMake passes its path: MLSYSIM_CLI) */
static const char *const cli = MLSYSIM_CLI;

/* A small well-formedness check: tags nest and close in order, attribute values are quoted, text
 * holds no raw '<' and every '&' starts one of the five XML entities. Returns NULL or the fault. */
static const char *xml_fault(const char *s)
{
    static char why[160];
    char stack[64][32];
    int depth = 0, root_seen = 0;
    for (const char *p = s; *p;) {
        if (*p == '&') {
            static const char *const ents[] = {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;"};
            int ok = 0;
            for (int i = 0; i < 5; i++) ok |= !strncmp(p, ents[i], strlen(ents[i]));
            if (!ok) { snprintf(why, sizeof why, "bare '&' at %ld", (long)(p - s)); return why; }
            p++;
            continue;
        }
        if (*p != '<') {
            if (!depth && !isspace((unsigned char)*p)) { snprintf(why, sizeof why, "text outside the root"); return why; }
            p++;
            continue;
        }
        int closing = p[1] == '/';
        const char *q = p + 1 + closing;
        char name[32];
        size_t n = 0;
        while (isalnum((unsigned char)*q) && n < sizeof name - 1) name[n++] = *q++;
        name[n] = 0;
        if (!n) { snprintf(why, sizeof why, "bad tag at %ld", (long)(p - s)); return why; }
        /* attributes: name="value" ... */
        while (*q && *q != '>' && !(*q == '/' && q[1] == '>')) {
            if (isspace((unsigned char)*q)) { q++; continue; }
            if (closing) { snprintf(why, sizeof why, "attribute on a closing tag"); return why; }
            while (isalnum((unsigned char)*q) || *q == '-' || *q == ':') q++;
            if (*q != '=' || q[1] != '"') { snprintf(why, sizeof why, "unquoted attribute in <%s>", name); return why; }
            q += 2;
            while (*q && *q != '"') {
                if (*q == '<') { snprintf(why, sizeof why, "'<' in an attribute of <%s>", name); return why; }
                q++;
            }
            if (!*q) { snprintf(why, sizeof why, "unterminated attribute"); return why; }
            q++;
        }
        if (!*q) { snprintf(why, sizeof why, "unterminated tag <%s>", name); return why; }
        int self = *q == '/';
        p = q + (self ? 2 : 1);
        if (closing) {
            if (!depth || strcmp(stack[depth - 1], name)) { snprintf(why, sizeof why, "</%s> closes nothing open", name); return why; }
            depth--;
        } else if (!self) {
            if (!depth && root_seen) { snprintf(why, sizeof why, "two roots"); return why; }
            if (depth == 64) { snprintf(why, sizeof why, "too deep"); return why; }
            root_seen = 1;
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
        } else if (!depth) {
            snprintf(why, sizeof why, "empty root");
            return why;
        }
    }
    if (depth) { snprintf(why, sizeof why, "<%s> never closed", stack[depth - 1]); return why; }
    if (!root_seen) return "no root element";
    return NULL;
}

static char *draw(size_t (*f)(const ms_result *, char *, size_t), const ms_result *r)
{
    size_t n = f(r, NULL, 0);
    assert_true(n > 0);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(f(r, buf, n + 1), n);
    assert_int_equal(strlen(buf), n);
    const char *fault = xml_fault(buf);
    if (fault) fail_msg("not well-formed: %s", fault);
    assert_true(!strncmp(buf, "<svg ", 5));
    return buf;
}

/* The width of the <rect> whose <title> starts with `name`, or -1. */
static double rect_width(const char *svg, const char *name)
{
    char want[80];
    snprintf(want, sizeof want, "<title>%s ", name);
    const char *t = strstr(svg, want);
    if (!t) return -1;
    const char *r = t;
    while (r > svg && strncmp(r, "<rect", 5)) r--;
    const char *w = strstr(r, "width=\"");
    return w && w < t ? atof(w + 7) : -1;
}

static ms_plan plan;
static ms_result res;

/* ResNet-50 training on an L4 (24 GB): batch 32 fits, the bar's parts are the result's figures,
 * each part's width is its share of the axis; at batch 2048 it does not fit and says so. */
static void test_memory_svg_training(void **state)
{
    (void)state;
    ms_plan_init(&plan, reg, ms_registry_model(reg, "ResNet50"), ms_registry_hardware(reg, "L4"));
    plan.mode = MS_MODE_TRAINING;
    plan.batch_size = 32;
    assert_int_equal(ms_plan_eval(reg, &plan, &res), MS_OK);
    char *svg = draw(ms_result_memory_svg, &res);
    double wb = 0, ab = 0, total = 0, cap = 0;
    assert_true(ms_result_get(&res, "memory_weights_bytes", &wb) && ms_result_get(&res, "memory_activations_bytes", &ab));
    assert_true(ms_result_get(&res, "memory_per_accelerator_bytes", &total) && ms_result_get(&res, "memory_capacity_bytes", &cap));
    char want[160], h1[64], h2[64];
    ms_fmt_human("x_bytes", total, h1, sizeof h1);
    ms_fmt_human("x_bytes", cap, h2, sizeof h2);
    snprintf(want, sizeof want, "fits: needs %s of %s", h1, h2);
    if (!strstr(svg, want)) fail_msg("missing '%s'", want);
    snprintf(want, sizeof want, "device capacity %s", h2);
    assert_non_null(strstr(svg, want));
    const char *labels[] = {"weights ", "gradients ", "optimizer state ", "activations ", "headroom "};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (!strstr(svg, labels[i])) fail_msg("missing label '%s'", labels[i]);
    assert_null(strstr(svg, "KV cache"));                  /* a CNN keeps none */
    /* widths in proportion to bytes (to the 0.01 px the picture is written at) */
    double ww = rect_width(svg, "weights"), aw = rect_width(svg, "activations");
    assert_true(ww > 0 && aw > 0);
    assert_true(fabs(aw / ww - ab / wb) < 0.01 * (ab / wb) + 0.01 / ww);
    free(svg);
    ms_result_free(&res);

    plan.batch_size = 2048;
    assert_int_equal(ms_plan_eval(reg, &plan, &res), MS_ERR_MEMORY);
    svg = draw(ms_result_memory_svg, &res);
    assert_non_null(strstr(svg, "does not fit: needs"));
    assert_null(strstr(svg, "headroom"));
    free(svg);
    ms_result_free(&res);
}

/* Llama-3-8B decode on an H100 with a 10 % reserve: the KV cache is drawn, the reserve is named
 * with its share; a fleet training step (memory_buffers_bytes) draws too. */
static void test_memory_svg_inference_and_fleet(void **state)
{
    (void)state;
    ms_plan_init(&plan, reg, ms_registry_model(reg, "Llama3_8B"), ms_registry_hardware(reg, "H100"));
    plan.batch_size = 32;
    plan.memory_reserve = 0.1;
    assert_int_equal(ms_plan_eval(reg, &plan, &res), MS_OK);
    char *svg = draw(ms_result_memory_svg, &res);
    assert_non_null(strstr(svg, "KV cache "));
    assert_non_null(strstr(svg, "runtime reserve "));
    assert_non_null(strstr(svg, "(10.0 %)"));
    assert_null(strstr(svg, "gradients"));
    free(svg);
    ms_result_free(&res);

    ms_plan_init(&plan, reg, ms_registry_model(reg, "Llama3_2_1B"), ms_registry_hardware(reg, "H100"));
    plan.mode = MS_MODE_TRAINING;
    plan.batch_size = 8;
    ms_status st = ms_plan_eval(reg, &plan, &res);
    assert_true(st == MS_OK || st == MS_ERR_MEMORY);
    assert_int_equal(ms_result_roofline_svg(&res, NULL, 0), 0);     /* no roofline for the fleet step */
    svg = draw(ms_result_memory_svg, &res);
    assert_non_null(strstr(svg, "optimizer state "));
    free(svg);
    ms_result_free(&res);

    /* a microcontroller keeps its weights in flash: named apart, not in the RAM bar */
    ms_plan_init(&plan, reg, ms_registry_model(reg, "DS_CNN"), ms_registry_hardware(reg, "nRF52840"));
    plan.precision = MS_INT8;
    assert_int_equal(ms_plan_eval(reg, &plan, &res), MS_OK);
    svg = draw(ms_result_memory_svg, &res);
    assert_non_null(strstr(svg, "are read from flash"));
    assert_true(rect_width(svg, "weights") < 0);
    free(svg);
    ms_result_free(&res);

    /* a result without memory figures (an input error) draws nothing */
    ms_result_init(&res, "x");
    assert_int_equal(ms_result_memory_svg(&res, NULL, 0), 0);
    char small[8] = "zzzzzzz";
    assert_int_equal(ms_result_memory_svg(&res, small, sizeof small), 0);
    assert_int_equal(small[0], 0);
    ms_result_free(&res);
}

/* Curves: a geometric x over 1..512 gets a log axis, a narrow one a linear axis; categorical x
 * names appear in order; hollow points are open; labels are escaped; nothing finite, no picture. */
static void test_curves(void **state)
{
    (void)state;
    double x[10], y[10], y2[10];
    unsigned char hollow[10] = {0};
    for (int i = 0; i < 10; i++) x[i] = pow(2, i), y[i] = 0.001 * (i + 1), y2[i] = 0.002 * (i + 1);
    hollow[9] = 1;
    ms_svg_series s[2] = {{"precision=fp16", 10, x, y, hollow}, {"precision=<fp8>", 10, x, y2, NULL}};
    ms_svg_plot p = {"sweep: Llama3_8B on H100", "workload.batch_size", "latency_s (s)", "workload.batch_size",
                     "latency_s", NULL, 0, "open circles: does not fit"};
    size_t n = ms_svg_curves(&p, s, 2, NULL, 0);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(ms_svg_curves(&p, s, 2, buf, n + 1), n);
    const char *fault = xml_fault(buf);
    if (fault) fail_msg("not well-formed: %s", fault);
    assert_non_null(strstr(buf, "workload.batch_size (log scale)"));   /* 1 .. 512 spans decades */
    assert_non_null(strstr(buf, "latency_s (s) (log scale)"));         /* 1 ms .. 20 ms too */
    assert_non_null(strstr(buf, "precision=&lt;fp8&gt;"));
    assert_non_null(strstr(buf, "<title>512: 10 ms (does not fit)</title>"));
    assert_non_null(strstr(buf, "fill=\"white\""));
    assert_int_equal((int)(strstr(buf, "<polyline") != NULL), 1);
    int circles = 0;
    for (const char *q = buf; (q = strstr(q, "<circle")); q++) circles++;
    assert_int_equal(circles, 20);
    free(buf);

    /* linear: 4 .. 8 */
    double lx[3] = {4, 6, 8}, ly[3] = {1, 2, NAN};
    ms_svg_series one = {"", 3, lx, ly, NULL};
    ms_svg_plot lp = {"t", "parallelism.tp", "mfu", "parallelism.tp", "mfu", NULL, 0, NULL};
    n = ms_svg_curves(&lp, &one, 1, NULL, 0);
    buf = malloc(n + 1);
    assert_non_null(buf);
    ms_svg_curves(&lp, &one, 1, buf, n + 1);
    assert_null(xml_fault(buf));
    assert_null(strstr(buf, "log scale"));
    circles = 0;
    for (const char *q = buf; (q = strstr(q, "<circle")); q++) circles++;
    assert_int_equal(circles, 2);                                        /* the NaN point is skipped */
    free(buf);

    /* categorical x */
    const char *names[3] = {"A100", "H100", "B200"};
    double cx[3] = {0, 1, 2}, cy[3] = {3e-3, 2e-3, 1e-3};
    ms_svg_series cs = {"", 3, cx, cy, NULL};
    ms_svg_plot cp = {"t", "hardware.accelerator", "latency_s", "hardware.accelerator", "latency_s", names, 3, NULL};
    n = ms_svg_curves(&cp, &cs, 1, NULL, 0);
    buf = malloc(n + 1);
    assert_non_null(buf);
    ms_svg_curves(&cp, &cs, 1, buf, n + 1);
    assert_null(xml_fault(buf));
    const char *a = strstr(buf, ">A100<"), *h = strstr(buf, ">H100<"), *b = strstr(buf, ">B200<");
    assert_true(a && h && b && a < h && h < b);
    assert_non_null(strstr(buf, "<title>H100: 2 ms</title>"));
    free(buf);

    double nx[1] = {NAN};
    ms_svg_series none = {"", 1, nx, nx, NULL};
    assert_int_equal(ms_svg_curves(&lp, &none, 1, NULL, 0), 0);
}

/* The number of times `what` occurs in s. */
static int count(const char *s, const char *what)
{
    int k = 0;
    for (const char *q = s; (q = strstr(q, what)); q += strlen(what)) k++;
    return k;
}

/* The number after `attr="` in the first `tag` at or after s. */
static double attr_after(const char *s, const char *tag, const char *attr)
{
    const char *t = strstr(s, tag);
    assert_non_null(t);
    char want[32];
    snprintf(want, sizeof want, " %s=\"", attr);
    const char *a = strstr(t, want);
    assert_non_null(a);
    return atof(a + strlen(want));
}

/* Parity: a point on the diagonal sits on it (left panel) and on the 0 % line (right panel);
 * a point 20 % high sits on the +20 % band; held-out points are circles and calibration points
 * squares, in both panels; the tooltips carry label, values and error; labels are escaped;
 * non-finite points are skipped and nothing finite draws nothing. */
static void test_parity(void **state)
{
    (void)state;
    ms_svg_parity_point pts[4] = {
        {"cal <1>", 1000, 1000, 0, 0},
        {"held-20", 100, 120, 1, 1},
        {"held-low", 10000, 9000, 1, 1},
        {"nan", NAN, 5, 0, 1},
    };
    const char *groups[2] = {"A100/Megatron-LM", "H100/NeMo"};
    ms_svg_parity_plot p = {"validation", "tokens/s per accelerator", "tokens_per_s", groups, 2, {0.10, 0.20}, "line one\nline two", pts, 4};
    size_t n = ms_svg_parity(&p, NULL, 0);
    assert_true(n > 0);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(ms_svg_parity(&p, buf, n + 1), n);
    assert_int_equal(strlen(buf), n);
    const char *fault = xml_fault(buf);
    if (fault) fail_msg("not well-formed: %s", fault);
    /* two panels: each point twice; held-out circles (2 x 2), calibration squares (1 x 2) */
    assert_int_equal(count(buf, "fill-opacity=\"0.75\"><title>"), 4);
    assert_int_equal(count(buf, "stroke=\"#000\"><title>"), 2);
    assert_int_equal(count(buf, "cal &lt;1&gt; (calibration): measured 1 k/s, predicted 1 k/s (+0.0 %)</title>"), 2);
    assert_int_equal(count(buf, "held-20 (held out): measured 100 /s, predicted 120 /s (+20.0 %)</title>"), 2);
    assert_int_equal(count(buf, "(-10.0 %)</title>"), 2);
    assert_null(strstr(buf, ">nan"));
    assert_non_null(strstr(buf, "measured tokens/s per accelerator (log scale)"));
    assert_non_null(strstr(buf, ">H100/NeMo<"));
    assert_non_null(strstr(buf, ">line one<"));
    assert_non_null(strstr(buf, ">line two<"));
    /* left panel: 100 .. 10000 over two decades, the plot S = 440 px square from (90, 44); the
     * calibration square (8 px, centred) at 1000 sits on the diagonal: x - 90 = 44 + 440 - y */
    const char *left = strstr(buf, "stroke=\"#000\"><title>cal");
    while (left > buf && strncmp(left, "<rect", 5)) left--;
    double x = attr_after(left, "<rect", "x") + 4, y = attr_after(left, "<rect", "y") + 4;
    assert_true(fabs((x - 90) - (484 - y)) < 0.2);
    assert_true(fabs(x - (90 + 220)) < 0.2);                    /* 1000 is halfway up 100 .. 10000 */
    /* right panel: the calibration square on the 0 % line; held-20's circle on the +20 % band */
    const char *right = strstr(left + 1, "stroke=\"#000\"><title>cal");
    assert_non_null(right);
    while (right > buf && strncmp(right, "<rect", 5)) right--;
    double y0 = attr_after(right, "<rect", "y") + 4;
    const char *zl = strstr(buf, ">+0 %<");
    assert_non_null(zl);
    while (zl > buf && strncmp(zl, "<line", 5)) zl--;
    assert_true(fabs(attr_after(zl, "<line", "y1") - y0) < 0.2);
    const char *h20 = strstr(buf, "held-20 (held out)");
    h20 = strstr(h20 + 1, "held-20 (held out)");                /* the second: the right panel */
    assert_non_null(h20);
    while (h20 > buf && strncmp(h20, "<circle", 7)) h20--;
    double yh = attr_after(h20, "<circle", "cy");
    const char *b20 = strstr(buf, ">+20 %<");
    assert_non_null(b20);
    while (b20 > buf && strncmp(b20, "<line", 5)) b20--;
    assert_true(fabs(attr_after(b20, "<line", "y1") - yh) < 0.2);
    free(buf);

    /* a small buffer: the full length, NUL-terminated */
    char small[64];
    assert_int_equal(ms_svg_parity(&p, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
    /* nothing finite, or no points */
    p.points = pts + 3, p.npoints = 1;
    assert_int_equal(ms_svg_parity(&p, NULL, 0), 0);
    p.points = NULL;
    assert_int_equal(ms_svg_parity(&p, NULL, 0), 0);
}

static int run(const char *args, char *out, size_t cap)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", cli, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The CLI writes the same pictures whole; refusals say why and write nothing. */
static void test_cli_pictures(void **state)
{
    (void)state;
    if (access(cli, X_OK)) fail_msg("%s not built (build the whole tree first)", cli);
    char dir[] = "/tmp/ms_svg_XXXXXX", path[256], args[1024], out[8192];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/mem.svg", dir);
    snprintf(args, sizeof args, "eval ResNet50 L4 --mode training --batch-size 32 --svg-memory '%s'", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    char *svg = slurp(path);
    assert_non_null(svg);
    assert_null(xml_fault(svg));
    assert_non_null(strstr(svg, "activations "));
    /* the library draws the same bytes for the same plan (under the title eval gives it) */
    const ms_model *m = ms_registry_model(reg, "ResNet50");
    const ms_hardware *hw = ms_registry_hardware(reg, "L4");
    ms_plan_init(&plan, reg, m, hw);
    plan.mode = MS_MODE_TRAINING;
    plan.batch_size = 32;
    ms_plan_eval(reg, &plan, &res);
    snprintf(res.title, sizeof res.title, "%s on %s (%s, %s)", m->title, hw->title, ms_mode_name(plan.mode),
             ms_precision_name(plan.precision));
    char *lib = draw(ms_result_memory_svg, &res);
    assert_string_equal(lib, svg);
    free(lib);
    ms_result_free(&res);
    remove(path);

    snprintf(path, sizeof path, "%s/sweep.svg", dir);
    snprintf(args, sizeof args, "sweep Llama3_8B H100 --vary workload.batch_size=1:512:*2 --vary hardware.precision=fp16,fp8 "
                                "--svg '%s' --svg-key throughput_per_s", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    svg = slurp(path);
    assert_non_null(svg);
    assert_null(xml_fault(svg));
    assert_non_null(strstr(svg, "sweep: Llama3_8B on H100"));
    assert_non_null(strstr(svg, "hardware.precision=fp16"));
    assert_non_null(strstr(svg, "hardware.precision=fp8"));
    assert_non_null(strstr(svg, "throughput_per_s"));
    assert_non_null(strstr(svg, "open circles: does not fit"));         /* batch 512 in fp16 does not */
    int circles = 0;
    for (const char *q = svg; (q = strstr(q, "<circle")); q++) circles++;
    assert_int_equal(circles, 20);
    remove(path);

    /* categorical x */
    snprintf(args, sizeof args, "sweep Llama3_8B H100 --vary hardware.accelerator=A100,H100,B200 --svg '%s'", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    svg = slurp(path);
    assert_non_null(svg);
    assert_non_null(strstr(svg, ">B200<"));
    remove(path);

    /* refusals: too many curves, a string key, --svg-key without --svg, a fleet step's roofline */
    snprintf(args, sizeof args, "sweep Llama3_8B H100 --vary workload.batch_size=1,2 --vary workload.seq_len=1,2,3 "
                                "--vary hardware.precision=fp16,fp8,int8 --svg '%s'", path);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "at most 8 curves"));
    snprintf(args, sizeof args, "sweep Llama3_8B H100 --vary workload.batch_size=1,2 --svg '%s' --svg-key bottleneck", path);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "is not a number"));
    assert_int_equal(run("sweep Llama3_8B H100 --vary workload.batch_size=1,2 --svg-key mfu", out, sizeof out), 1);
    assert_non_null(strstr(out, "--svg-key goes with --svg"));
    snprintf(args, sizeof args, "sweep Llama3_8B H100 --vary workload.batch_size=1,2 --svg '%s' --svg-key no_such_key", path);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "no point has a numeric 'no_such_key'"));
    assert_true(access(path, F_OK) != 0);
    snprintf(args, sizeof args, "eval Llama3_8B H100 --svg-memory");
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "--svg-memory needs a file"));
    snprintf(args, sizeof args, "eval Llama3_8B H100 --svg-memory '%s/no/such/dir/m.svg'", dir);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "cannot write the picture"));
    /* a fleet training step has no roofline (exit 1, nothing written) but its memory bar is drawn */
    char roof[300];
    snprintf(roof, sizeof roof, "%s/roof.svg", dir);
    snprintf(args, sizeof args, "eval Llama3_2_1B H100 --mode training --batch-size 8 --svg '%s' --svg-memory '%s'", roof, path);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "no roofline"));
    assert_true(access(roof, F_OK) != 0);
    svg = slurp(path);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "optimizer state "));
    remove(path);
    /* the HTML report carries the memory bar beside the roofline */
    static char html[1 << 16];
    assert_int_equal(run("-o html eval ResNet50 L4 --mode training --batch-size 32", html, sizeof html), 0);
    const char *mem = strstr(html, "<h2>Memory per accelerator</h2>\n<svg ");
    assert_non_null(mem);
    assert_non_null(strstr(html, "<h2>Roofline</h2>"));
    assert_non_null(strstr(mem, "activations "));
    /* validate --svg / --svg-serving: every run twice (both panels), a circle if held out and a
     * square if not, as many as --json counts; --row draws only the runs listed */
    static char js[1 << 23];
    assert_int_equal(run("validate --json", js, sizeof js), 0);
    const char *hj = strstr(js, "\"heldout\":{\"rows\":"), *cj = strstr(js, "\"calibration\":{\"rows\":");
    assert_true(hj && cj);
    int held = atoi(hj + strlen("\"heldout\":{\"rows\":")), calib = atoi(cj + strlen("\"calibration\":{\"rows\":"));
    assert_true(held > 0 && calib > 0);
    char serving[300];
    snprintf(serving, sizeof serving, "%s/serving.svg", dir);
    snprintf(args, sizeof args, "validate --svg '%s' --svg-serving '%s'", path, serving);
    assert_int_equal(run(args, js, sizeof js), 0);
    svg = slurp(path);
    assert_non_null(svg);
    assert_null(xml_fault(svg));
    assert_int_equal(count(svg, " (held out): measured "), 2 * held);
    assert_int_equal(count(svg, " (calibration): measured "), 2 * calib);
    assert_non_null(strstr(svg, ">A100/llm-foundry<"));
    assert_non_null(strstr(svg, "measured tokens/s per accelerator (log scale)"));
    svg = slurp(serving);
    assert_non_null(svg);
    assert_null(xml_fault(svg));
    assert_non_null(strstr(svg, ">trtllm-bench H200<"));
    assert_true(count(svg, " (held out): measured ") > 0);
    remove(serving);
    /* --svg-collectives: every NCCL-tests row in both panels, coloured by generation and the
     * algorithm the prediction ran (NVLink SHARP on H100 nodes) */
    snprintf(args, sizeof args, "validate --svg-collectives '%s'", serving);
    assert_int_equal(run(args, js, sizeof js), 0);
    svg = slurp(serving);
    assert_non_null(svg);
    assert_null(xml_fault(svg));
    assert_int_equal(count(svg, "<title>H100-NVLS-8 (calibration): measured "), 2);
    assert_non_null(strstr(svg, ">H100 nvls<"));
    assert_non_null(strstr(svg, ">A100 ring<"));
    assert_non_null(strstr(svg, "measured bus bandwidth (log scale)"));
    assert_true(count(svg, " (held out): measured ") >= 2 * 8);
    remove(serving);
    snprintf(args, sizeof args, "validate --row FDRY-A100-7B-s --svg '%s'", path);
    assert_int_equal(run(args, js, sizeof js), 0);
    svg = slurp(path);
    assert_non_null(svg);
    int listed = count(svg, " (held out): measured ") + count(svg, " (calibration): measured ");
    assert_true(listed >= 2 && listed % 2 == 0);
    assert_int_equal(count(svg, "<title>FDRY-A100-7B-s"), listed);
    assert_non_null(strstr(svg, "--row FDRY-A100-7B-s)"));
    remove(path);
    /* refusals: no file named; no serving.csv beside a table kept elsewhere */
    assert_int_equal(run("validate --svg", out, sizeof out), 1);
    assert_non_null(strstr(out, "--svg needs a file"));
    char table[300];
    snprintf(table, sizeof table, "%s/runs.csv", dir);
    snprintf(args, sizeof args, "cp '%s/mlsysim/validation/runs.csv' '%s'", MLSB_SOURCE_DIR, table);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "validate --table '%s' --svg-serving '%s'", table, serving);
    assert_int_equal(run(args, js, sizeof js), 1);
    assert_non_null(strstr(js, "no serving.csv beside"));
    assert_true(access(serving, F_OK) != 0);
    snprintf(args, sizeof args, "validate --table '%s' --svg-collectives '%s'", table, serving);
    assert_int_equal(run(args, js, sizeof js), 1);
    assert_non_null(strstr(js, "no collectives.csv beside"));
    assert_true(access(serving, F_OK) != 0);
    /* more stacks than colours: the ninth and later share one, named "other" */
    snprintf(args, sizeof args, "awk -F, 'NR == 1 || /^id,/ { print; next } /^FDRY-A100-/ && n < 12 "
                                "{ sub(\"A100/llm-foundry\", sprintf(\"A100/s%%02d\", n++)); print }' '%s/mlsysim/validation/runs.csv' > '%s'",
             MLSB_SOURCE_DIR, table);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "validate --table '%s' --svg '%s'", table, path);
    assert_int_equal(run(args, js, sizeof js), 0);
    svg = slurp(path);
    assert_non_null(svg);
    assert_non_null(strstr(svg, ">A100/s08<"));
    assert_null(strstr(svg, ">A100/s09<"));
    assert_int_equal(count(svg, ">other<"), 1);
    assert_int_equal(count(svg, " (held out): measured ") + count(svg, " (calibration): measured "), 24);
    remove(path);
    remove(table);
    assert_int_equal(run("validate --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "--svg-serving FILE"));
    assert_non_null(strstr(out, "--svg-collectives FILE"));
    assert_int_equal(run("eval --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "--svg-memory FILE"));
    assert_int_equal(run("sweep --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "--svg FILE"));
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_svg_training),
        cmocka_unit_test(test_memory_svg_inference_and_fleet),
        cmocka_unit_test(test_curves),
        cmocka_unit_test(test_parity),
        cmocka_unit_test(test_cli_pictures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
