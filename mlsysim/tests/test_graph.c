/* test_graph.c - the layer-graph language (cnn_graph.c): a small hand-worked graph with a
 * rectangular convolution, upsampling and a concat counted exactly; grouped, depthwise and
 * rectangular convolutions, padding modes, residual add and branches; YOLOv8n and DS-CNN against
 * their published counts; training memory from the saved activations; every kind of refusal
 * with its message; `mlsysim graph` prints the same counts. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlsysim/mlsysim.h"
#include "ms_test.h"

/* the built CLI (CMake passes its path: MLSYSIM_CLI) */
static const char *const cli = MLSYSIM_CLI;

static ms_graph_stats eval_ok(const char *spec)
{
    ms_graph_stats s;
    char err[512];
    if (ms_graph_eval(spec, &s, err, sizeof err)) fail_msg("%s: %s", spec, err);
    return s;
}

/* The refusal message of a graph, which must contain `want`. */
static void refused(const char *spec, const char *want)
{
    ms_graph_stats s;
    char err[512] = "";
    assert_int_equal(ms_graph_eval(spec, &s, err, sizeof err), -1);
    if (!strstr(err, want)) fail_msg("%s: got '%s', want '%s'", spec, err, want);
}

/* Hand count (elements per sample), input 2x8x6:
 *   conv 4 k3x1 p1x0 b     out 4x8x6 (rows (8+2-3)/1+1 = 8, columns (6-1)/1+1 = 6)
 *                          params 4*2*3*1 + 4 = 28, MACs 4*2*3 * 48 = 1152, saved 192
 *   as a
 *   conv 8 k1x3 s2x2 same  out 8x4x3 (ceil(8/2), ceil(6/2)), params 8*4*3 = 96, MACs 96 * 12 = 1152,
 *                          saved 96; live 192 + 96 (a is this layer's input)
 *   bn                     params 16, saved 96;  relu in place
 *   upsample               8x8x6 = 384, not saved (a concat follows); live 96 + 384 + a 192 = 672
 *   concat a               12x8x6 = 576 saved; live 384 + 192 + 576 = 1152 (the peak)
 *   conv 3 k1 b            params 3*12 + 3 = 39, MACs 36 * 48 = 1728, saved 144
 * totals: params 179, MACs 4032, saved 96 (input) + 192 + 96 + 96 + 576 + 144 = 1200, 3 layers. */
static void test_hand_worked_graph(void **state)
{
    (void)state;
    ms_graph_stats s = eval_ok("in 2x8x6; conv 4 k3x1 p1x0 b; as a; conv 8 k1x3 s2x2 same; bn; relu; upsample; "
                               "concat a; conv 3 k1 b");
    assert_true(s.params == 179);
    assert_true(s.macs == 4032);
    assert_true(s.saved_act_elems == 1200);
    assert_true(s.peak_live_elems == 1152);
    assert_int_equal(s.layers, 3);
    /* the same graph with a conv after the upsample instead of a concat keeps the upsampled map */
    ms_graph_stats t = eval_ok("in 2x8x6; conv 4 k3x1 p1x0 b; conv 8 k1x3 s2x2 same; bn; relu; upsample; conv 3 k1 b");
    assert_true(t.saved_act_elems == 96 + 192 + 96 + 96 + 384 + 3 * 48);
    /* upsample by 3 */
    t = eval_ok("in 1x2x5; upsample 3; conv 1 k1");
    assert_true(t.macs == 6 * 15);
}

/* Convolution variants: groups, depthwise with a rectangular kernel and stride, padding modes. */
static void test_conv_variants(void **state)
{
    (void)state;
    /* 16 outputs, 4 groups of 8/4 = 2 inputs each, 3x3 on 4x4 (padding 1): 16*2*9 = 288 params */
    ms_graph_stats s = eval_ok("in 8x4x4; conv 16 k3 g4");
    assert_true(s.params == 288 && s.macs == 288 * 16);
    /* depthwise 3x1, stride 1x2: rows (10+2-3)/1+1 = 10, columns (10+0-1)/2+1 = 5; 3 filters of 3 */
    s = eval_ok("in 3x10x10; dw k3x1 s1x2");
    assert_true(s.params == 9 && s.macs == 9 * 50);
    assert_true(s.saved_act_elems == 300 + 150);
    /* valid: (7-3)/2+1 = 3; same: ceil(7/2) = 4; explicit p2: (7+4-3)/2+1 = 5 */
    assert_true(eval_ok("in 1x7x7; conv 1 k3 s2 valid").macs == 9 * 9);
    assert_true(eval_ok("in 1x7x7; conv 1 k3 s2 same").macs == 9 * 16);
    assert_true(eval_ok("in 1x7x7; conv 1 k3 s2 p2").macs == 9 * 25);
    /* DS-CNN's first layer: 10x4 kernel, stride 2, same padding on 49x10 -> 25x5 */
    s = eval_ok("in 1x49x10; conv 64 k10x4 s2 same b");
    assert_true(s.params == 64 * 40 + 64 && s.macs == 64 * 40 * 125);
    /* PyTorch-style default padding (k/2) gives 25x6 instead: the mode matters */
    assert_true(eval_ok("in 1x49x10; conv 64 k10x4 s2 b").macs == 64 * 40 * 150);
    /* maxpool with a rectangular window, stride = window */
    s = eval_ok("in 2x8x6; maxpool k2x3");
    assert_true(s.saved_act_elems == 96 + 2 * (2 * 4 * 2));
}

/* Residual add and branches: `add` needs equal shapes; `from` starts a branch. */
static void test_add_and_branches(void **state)
{
    (void)state;
    ms_graph_stats s = eval_ok("in 4x5x5; as x; conv 4 k3; bn; add x");
    assert_true(s.params == 4 * 4 * 9 + 8);
    assert_true(s.saved_act_elems == 100 * 4);          /* input, conv, bn, sum */
    /* two heads on one trunk: the second starts from the trunk's named output. Live elements per
     * layer: conv 8 k3 192 + 512; head 1: 512 + 1024, then 1024 + 1024 + the trunk 512 it still
     * waits for = 2560 (the peak); head 2: 512 + 320 */
    s = eval_ok("in 3x8x8; conv 8 k3; as trunk; conv 16 k1; conv 16 k1; from trunk; conv 5 k1");
    assert_true(s.params == 8 * 27 + 8 * 16 + 16 * 16 + 8 * 5);
    assert_true(s.macs == 64 * s.params);
    assert_true(s.peak_live_elems == 2560);
    assert_true(s.saved_act_elems == 192 + 512 + 1024 + 1024 + 320);
}

/* YOLOv8n (Ultralytics, yolov8.yaml scale n, 640x640): 3,157,200 parameters exactly as the model
 * summary prints them (BN gamma and beta, the 16 fixed DFL weights); 8.7 GFLOPs as published =
 * 2 x the MACs thop counts (convolutions only) on the fused model, so 2 x our MACs must round to
 * 8.7 at the one decimal the table gives. */
static void test_yolov8n(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "YOLOv8n");
    assert_non_null(m);
    assert_true(m->params == 3157200);
    assert_true(m->saved_act_elems > 0);
    ms_graph_stats s = eval_ok("in 3x640x640; conv 16 k3 s2; bn; silu; conv 32 k3 s2; bn; silu; c2f 32 x1 shortcut; "
                               "conv 64 k3 s2; bn; silu; c2f 64 x2 shortcut; as p3b; conv 128 k3 s2; bn; silu; "
                               "c2f 128 x2 shortcut; as p4b; conv 256 k3 s2; bn; silu; c2f 256 x1 shortcut; sppf 256 k5; "
                               "as p5b; upsample; concat p4b; c2f 128 x1; as h4; upsample; concat p3b; c2f 64 x1; as p3; "
                               "conv 64 k3 s2; bn; silu; concat h4; c2f 128 x1; as p4; conv 128 k3 s2; bn; silu; "
                               "concat p5b; c2f 256 x1; as p5; detect 80 p3 p4 p5");
    assert_true(s.params == 3157200);
    double gflops = 2 * s.macs / 1e9;
    if (fabs(gflops - 8.7) >= 0.05) fail_msg("YOLOv8n: 2 x MACs = %.4f GFLOP, published 8.7", gflops);
    assert_true(fabs(m->fwd_flops - 8.7e9) < 1);           /* the registry keeps the published figure */
    /* the same network on 320x320 has a quarter of the MACs and the same parameters */
    ms_graph_stats q = eval_ok("in 3x320x320; conv 16 k3 s2; bn; silu; conv 32 k3 s2; bn; silu; c2f 32 x1 shortcut; "
                               "conv 64 k3 s2; bn; silu; c2f 64 x2 shortcut; as p3b; conv 128 k3 s2; bn; silu; "
                               "c2f 128 x2 shortcut; as p4b; conv 256 k3 s2; bn; silu; c2f 256 x1 shortcut; sppf 256 k5; "
                               "as p5b; upsample; concat p4b; c2f 128 x1; as h4; upsample; concat p3b; c2f 64 x1; as p3; "
                               "conv 64 k3 s2; bn; silu; concat h4; c2f 128 x1; as p4; conv 128 k3 s2; bn; silu; "
                               "concat p5b; c2f 256 x1; as p5; detect 80 p3 p4 p5");
    assert_true(q.params == s.params);
    assert_true(fabs(q.macs * 4 / s.macs - 1) < 1e-12);
}

/* DS-CNN S (Hello Edge, Zhang et al. 2017): the deployed network (batch norm folded into the conv
 * biases) has 2,624 + 4 x (640 + 4,160) + 780 = 22,604 parameters, and its widest layer keeps
 * 2 x 25x5x64 = 16,000 activations live: 22,604 + 16,000 int8 bytes = 38,604 B, the "38.6 KB"
 * the paper gives for weights and activations. MACs by hand 320,000 + 4 x (72,000 + 512,000) + 768
 * = 2,656,768; 2 x MACs = 5.31 M vs the published 5.4 M operations, which the bias additions
 * (72,012) and the average pool's additions (8,000) bring to 5.39 M. */
static void test_ds_cnn(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "DS_CNN");
    assert_non_null(m);
    assert_true(m->params == 22604);
    assert_true(m->act_peak_bytes == 16000);
    assert_true(fabs((m->params + m->act_peak_bytes) / 1e3 - 38.6) < 0.05);
    ms_graph_stats s = eval_ok("in 1x49x10; conv 64 k10x4 s2 same b; relu; dw k3 b; relu; conv 64 k1 b; relu; "
                               "dw k3 b; relu; conv 64 k1 b; relu; dw k3 b; relu; conv 64 k1 b; relu; "
                               "dw k3 b; relu; conv 64 k1 b; relu; avgpool; fc 12");
    assert_true(s.params == 22604);
    assert_true(s.macs == 2656768);
    assert_true(s.peak_live_elems == 16000);
    assert_int_equal(s.layers, 10);
    double ops = 2 * s.macs + 72012 + 8000;
    assert_true(fabs(ops / 1e6 - 5.4) < 0.05);
    assert_true(fabs(2 * s.macs / m->fwd_flops - 1) < 0.02);
    /* saved per sample: input 490, conv 8,000, 4 x (dw 8,000 + pw 8,000), pooled 64, logits 12 */
    assert_true(s.saved_act_elems == 490 + 9 * 8000 + 64 + 12);
    /* the training form (batch norm after each conv, no conv bias) has 23,180 trainable parameters,
     * the count kits/include/kits/dscnn.h gives for the kits' DS-CNN; that model pads its first conv
     * by 1 (21x5 maps instead of 25x5): 105 positions x (64 x 40 + 4 x (64 x 9 + 64 x 64)) + 768 MACs */
    const char *block = "dw k3; bn; relu; conv 64 k1; bn; relu; ";
    char spec[512];
    snprintf(spec, sizeof spec, "in 1x49x10; conv 64 k10x4 s2 p1; bn; relu; %s%s%s%savgpool; fc 12", block, block, block, block);
    ms_graph_stats k = eval_ok(spec);
    assert_true(k.params == 23180);
    assert_true(k.macs == 105 * (64 * 40 + 4 * (64 * 9 + 64 * 64)) + 768);
    assert_true(k.saved_act_elems == 490 + 2 * 9 * 64 * 105 + 64 + 12);
    /* `mlsysim tiny dscnn ...` finds it by the loose name */
    assert_ptr_equal(ms_registry_model(reg, "dscnn"), m);
}

/* Training memory counts every saved activation of the graph: YOLOv8n, batch 16, fp16. */
static void test_training_memory_from_graph(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "YOLOv8n");
    ms_train_config c;
    ms_train_config_default(&c);
    c.micro_batch = 16;
    c.precision = MS_FP16;
    ms_train_memory tm;
    ms_training_memory(m, &c, &tm);
    assert_true(tm.activations_bytes == m->saved_act_elems * 2.0 * 16);
    /* more than the input images alone, and the weights are a small part at this batch */
    assert_true(m->saved_act_elems > 3 * 640 * 640);
    assert_true(tm.activations_bytes > 10 * tm.weights_bytes);
    /* through the engine (the README's example): batch 64 in fp16 fits a 16 GB T4 with 6.8 GB of
     * activations, batch 256 needs 27.3 GB and does not */
    static ms_plan p;
    static ms_result r;
    ms_plan_init(&p, reg, m, ms_registry_hardware(reg, "T4"));
    p.mode = MS_MODE_TRAINING;
    p.batch_size = 64;
    assert_int_equal(ms_plan_eval(reg, &p, &r), MS_OK);
    double act = 0, total = 0;
    assert_true(ms_result_get(&r, "memory_activations_bytes", &act));
    assert_true(fabs(act - 64 * m->saved_act_elems * 2.0) < 1);
    assert_true(fabs(act / 1e9 - 6.81) < 0.01);
    ms_result_free(&r);
    p.batch_size = 256;
    assert_int_equal(ms_plan_eval(reg, &p, &r), MS_ERR_MEMORY);
    assert_true(ms_result_get(&r, "memory_per_accelerator_bytes", &total));
    assert_true(fabs(total / 1e9 - 27.29) < 0.01);
    ms_result_free(&r);
}

/* Every refusal names the step, what is wrong and what the layer takes. */
static void test_refusals(void **state)
{
    (void)state;
    refused("in 3x8x8; conv 8 k3 q5", "step 2 'conv 8 k3 q5': unknown word 'q5' (conv takes: conv OUT kK[xK]");
    refused("in 3x8x8; conv 8", "missing k (conv OUT kK[xK]");
    refused("in 3x8x8; warp 9", "unknown layer 'warp' (the layers: in conv dw");
    refused("conv 8 k3", "a graph starts with 'in C[xHxW]'");
    refused("in 3x8x8; in 3", "'in' is the first step only");
    refused("in 3x8x8; concat p9", "no earlier output is named 'p9' (named so far: none yet");
    refused("in 3x8x8; as a; conv 4 k3 s2; concat a", "concat joins channels of maps of the same height and width");
    refused("in 3x8x8; as a; conv 4 k3; add a", "a residual add needs equal shapes");
    refused("in 3x8x8; as a; as a", "'a' already names an earlier output");
    refused("in 3x4x4; conv 8 k9x1 p0", "a 9x1 kernel at stride 1x1 does not fit the 4x4 input");
    refused("in 6x8x8; conv 8 k3 g4", "4 groups must divide both the 6 input channels and the 8 output channels");
    refused("in 3x8x8; conv 8 k3 p1 same", "give padding as pP or as same/valid, not both");
    refused("in 3x8x8; conv 8 k3 same valid", "one padding mode only");
    refused("in 3x8x8; conv 8 k3 k5", "given twice");
    refused("in 3x8x8; conv 8 k3x", "expected a whole number or HxW in 'k3x'");
    refused("in 3x8x8; conv 8 k3 p0x1.5", "expected a whole number or HxW in 'p0x1.5'");
    refused("in 3x8x8; upsample 1.5", "whole number");
    refused("in 3x8x8; c2f 16", "missing x");
    refused("in 3x8x8; fc", "missing its number");
    refused("in 3x8x8; conv 0 k3", "out of range");
    refused("in 3x8x8; detect 80", "missing a name");
    refused("in 0x8x8", "expected in C or in CxHxW");
    refused("", "empty graph");
    refused("in 3x100000x100000; conv 100000 k99", "sizes out of range");
    /* the registry refuses a model whose graph does not parse, naming the field */
    char err[512];
    const char *y = "models:\n  - {name: Fake, source: test, kind: cnn, params: 1e6, flops: 1 GFLOP, graph: \"in 3x8x8; conv 8 k3 q5\"}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "g.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "models.Fake.graph"));
    assert_non_null(strstr(err, "unknown word 'q5'"));
    assert_null(ms_registry_model(reg, "Fake"));
}

/* The grammar text lists every layer with its words, from the same table the parser reads. */
static void test_grammar(void **state)
{
    (void)state;
    size_t n = ms_graph_grammar(NULL, 0);
    assert_true(n > 500);
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(ms_graph_grammar(buf, n + 1), n);
    assert_int_equal(strlen(buf), n);
    const char *want[] = {"conv OUT kK[xK]", "upsample [F]", "concat NAME...", "add NAME", "c2f OUT xN [shortcut]",
                          "detect NC NAME...", "dw kK[xK]", "same"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) assert_non_null(strstr(buf, want[i]));
    char small[40];
    assert_int_equal(ms_graph_grammar(small, sizeof small), n);      /* truncated, still terminated */
    assert_true(strlen(small) < sizeof small);
    free(buf);
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

/* `mlsysim graph`: the hand-worked graph's counts as JSON numbers; a refusal exits 1 with the
 * step's message; --help lists the layer table. */
static void test_cli_graph(void **state)
{
    (void)state;
    if (access(cli, X_OK)) fail_msg("%s not built (build the whole tree first)", cli);
    char out[16384];
    assert_int_equal(run("-o json graph 'in 2x8x6; conv 4 k3x1 p1x0 b; as a; conv 8 k1x3 s2x2 same; bn; relu; "
                         "upsample; concat a; conv 3 k1 b'", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"params\": 179,"));
    assert_non_null(strstr(out, "\"macs\": 4032,"));
    assert_non_null(strstr(out, "\"forward_flop\": 8064,"));
    assert_non_null(strstr(out, "\"saved_activation_elements\": 1200,"));
    assert_non_null(strstr(out, "\"peak_live_elements\": 1152,"));
    assert_int_equal(run("graph 'in 3x8x8; conv 8 k3 q5'", out, sizeof out), 1);
    assert_non_null(strstr(out, "mlsysim graph: step 2 'conv 8 k3 q5': unknown word 'q5'"));
    assert_int_equal(run("graph", out, sizeof out), 1);
    assert_non_null(strstr(out, "give one graph in quotes"));
    assert_int_equal(run("graph --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "concat NAME..."));
    assert_non_null(strstr(out, "examples:"));
    /* `tiny dscnn` works as `tiny lenet5` does */
    assert_int_equal(run("-o json tiny dscnn nRF52840", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"memory_weights_bytes\": 22604,"));
    assert_non_null(strstr(out, "\"memory_activations_bytes\": 16000,"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked_graph),
        cmocka_unit_test(test_conv_variants),
        cmocka_unit_test(test_add_and_branches),
        cmocka_unit_test(test_yolov8n),
        cmocka_unit_test(test_ds_cnn),
        cmocka_unit_test(test_training_memory_from_graph),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_grammar),
        cmocka_unit_test(test_cli_graph),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
