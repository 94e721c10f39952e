/* test_kit_export.c - kit export: the arena plan never overlaps live buffers; the runtime's
 * requantization equals module 15's operand for operand; the exported C built for the host gives
 * TinyTorch's int8 logits bit for bit (also with the arena poisoned before every op); the Arduino
 * layout builds; bad input (a float checkpoint, an unsupported op, a board too small, bad options) is
 * refused with a message saying what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kits/kit.h"
#include "tinytorch/checkpoint.h"
#include "kit_test_model.h"
#include "../runtime/kit_rt.h"

static char dir[256], qpath[300], err[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kit_export_XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    snprintf(qpath, sizeof qpath, "%s/q.safetensors", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_plan_chain(void **state)
{
    (void)state;
    uint64_t s = 7;
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + trial % 9;
        int64_t sizes[9], offs[9], naive = 0;
        for (int i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            sizes[i] = 1 + (int64_t)(s >> 52);
            naive += (sizes[i] + 3) / 4 * 4;
        }
        int64_t arena = kit_plan_chain(sizes, n, offs);
        assert_true(arena <= naive);
        for (int i = 0; i < n; i++) {
            assert_true(offs[i] >= 0 && offs[i] % 4 == 0 && offs[i] + sizes[i] <= arena);
            if (i + 1 < n) { /* live together: disjoint */
                assert_true(offs[i] + sizes[i] <= offs[i + 1] || offs[i + 1] + sizes[i + 1] <= offs[i]);
            }
        }
    }
    int64_t sizes[3] = {100, 40, 10}, offs[3];
    assert_int_equal(kit_plan_chain(sizes, 3, offs), 140);
}

/* The runtime's requantization against module 15's, on random and extreme operands. */
static void test_requant_matches_module15(void **state)
{
    (void)state;
    uint64_t s = 99;
    const int32_t accs[] = {0, 1, -1, INT32_MAX / 2, INT32_MIN / 2, 123456789, -987654321};
    for (int i = 0; i < 1000000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int32_t acc = i < 7 * 32 ? accs[i % 7] : (int32_t)(s >> 32) >> (int)(s % 12);
        int32_t mult = (int32_t)((1u << 30) + (uint32_t)((s >> 8) & 0x3FFFFFFF));
        int32_t shift = (int32_t)(i % 32) - 30 + (int32_t)((s >> 40) % 30); /* n = 31 + shift in [1, 60] */
        if (31 + shift < 1 || 31 + shift > 62) {
            continue;
        }
        assert_int_equal(kit_requant(acc, mult, shift), tt_requant(acc, mult, shift));
    }
}

static void write_inputs(const char *path, const int8_t *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(x, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Builds the exported project for the host with extra flags, runs it on in.bin, returns the logits. */
static void host_logits(const char *out, const char *flags, int8_t *y, size_t n)
{
    char cmd[2048], path[600];
    snprintf(cmd, sizeof cmd, "make -s -B -C '%s' host HOSTFLAGS='%s' >/dev/null && '%s/build-host/model_host' "
                              "'%s/in.bin' '%s/out.bin' >/dev/null",
             out, flags, out, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/out.bin", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(y, 1, n, f), n);
    fclose(f);
}

static void test_host_bit_exact(void **state)
{
    (void)state;
    tt_dataset *ds = tt_test_toy_images(200, 3);
    tt_qmodel *q = kt_make_q(qpath, ds);
    char out[300];
    snprintf(out, sizeof out, "%s/proj", dir);
    kit_export_report rep;
    assert_int_equal(kit_export(qpath, out, NULL, &rep, err, sizeof err), 0);
    assert_int_equal(rep.in_numel, 144);
    assert_int_equal(rep.out_numel, 4);
    /* buffers: input 144, conv+pool 4x6x6 = 144, conv 6x4x4 = 96 (ReLU in place, flatten free), 16, 4 */
    assert_int_equal(rep.arena_bytes, 288);
    assert_true(rep.naive_bytes > rep.arena_bytes);
    assert_non_null(strstr(rep.ops_used, "conv"));
    assert_non_null(strstr(rep.ops_used, "linear"));

    enum { N = 150 };
    int8_t *xq = malloc(N * 144), ref[N * 4], got[N * 4];
    float x[144];
    int32_t lab;
    for (int i = 0; i < N; i++) {
        tt_dataset_get(ds, 50 + i, x, &lab);
        tt_quantize_i8(x, 144, tt_qmodel_input_params(q), xq + i * 144);
    }
    assert_int_equal(tt_qmodel_forward_q(q, xq, N, ref), 0);
    char in[400];
    snprintf(in, sizeof in, "%s/in.bin", dir);
    write_inputs(in, xq, N * 144);
    host_logits(out, "", got, sizeof got);
    assert_memory_equal(got, ref, sizeof ref);
    /* poisoned arena: every byte outside the op's input overwritten before each op */
    host_logits(out, "-DKIT_POISON=0x5A", got, sizeof got);
    assert_memory_equal(got, ref, sizeof ref);
    host_logits(out, "-DKIT_POISON=-128", got, sizeof got);
    assert_memory_equal(got, ref, sizeof ref);
    /* the poisoning can fail: shifting the last linear's output onto its input changes the logits */
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "cp '%s/model.c' '%s/model.c.orig' && sed -i 's/kit_linear_run(&l4, kit_arena + \\([0-9]*\\), "
                              "kit_arena + [0-9]*)/kit_linear_run(\\&l4, kit_arena + \\1, kit_arena + \\1 + 8)/' '%s/model.c' "
                              "&& ! cmp -s '%s/model.c' '%s/model.c.orig'",
             out, out, out, out, out);
    assert_int_equal(system(cmd), 0);
    host_logits(out, "-DKIT_POISON=0x5A", got, sizeof got);
    assert_memory_not_equal(got, ref, sizeof ref);
    free(xq);
    tt_qmodel_free(q);
    tt_dataset_free(ds);
}

/* The DS-CNN: depthwise convs, BatchNorm folded, global average pool. Exported, built for the host, it
 * gives TinyTorch's int8 logits bit for bit over 200 synthetic test samples, also with the arena
 * poisoned before every op; the logits differ between samples (the check is not met by a constant). */
static void test_dscnn_host_bit_exact(void **state)
{
    (void)state;
    char path[400], out[300];
    snprintf(path, sizeof path, "%s/dscnn.int8.safetensors", dir);
    tt_qmodel *q = kt_make_dscnn_q(path);
    snprintf(out, sizeof out, "%s/dscnn", dir);
    kit_export_report rep;
    assert_int_equal(kit_export(path, out, NULL, &rep, err, sizeof err), 0);
    assert_non_null(strstr(rep.ops_used, "dwconv"));
    assert_non_null(strstr(rep.ops_used, "avgpool"));
    assert_int_equal(rep.in_numel, 490);
    assert_int_equal(rep.out_numel, 12);
    /* the largest neighbours: two 64x21x5 maps (6,720 bytes each) */
    assert_int_equal(rep.arena_bytes, 2 * 6720);
    assert_true(rep.naive_bytes > 8 * 6720);
    /* weights 2560 + 4 x (576 + 4096) + 768, and 12 bytes per output channel */
    assert_int_equal(rep.param_bytes, 2560 + 4 * (576 + 4096) + 768 + 12 * (64 * 9 + 12));
    enum { N = 200 };
    tt_dataset *ds = kit_kws_dataset(1001, N);
    int8_t *xq = malloc(N * 490), ref[N * 12], got[N * 12];
    float x[490];
    int32_t lab;
    for (int i = 0; i < N; i++) {
        tt_dataset_get(ds, i, x, &lab);
        tt_quantize_i8(x, 490, tt_qmodel_input_params(q), xq + i * 490);
    }
    assert_int_equal(tt_qmodel_forward_q(q, xq, N, ref), 0);
    int distinct = 0;
    for (int i = 1; i < N; i++) {
        distinct += memcmp(ref + i * 12, ref, 12) != 0;
    }
    assert_true(distinct > N / 2);
    char in[400];
    snprintf(in, sizeof in, "%s/in.bin", dir);
    write_inputs(in, xq, N * 490);
    host_logits(out, "", got, sizeof got);
    assert_memory_equal(got, ref, sizeof ref);
    host_logits(out, "-DKIT_POISON=0x5A", got, sizeof got);
    assert_memory_equal(got, ref, sizeof ref);
    host_logits(out, "-DKIT_POISON=-128", got, sizeof got);
    assert_memory_equal(got, ref, sizeof ref);
    /* kit run --machine host over the same samples, read from a saved set */
    snprintf(path, sizeof path, "%s/kws.safetensors", dir);
    assert_int_equal(kit_dataset_save(path, ds, err, sizeof err), 0);
    kit_run_opts o = {"host", N, NULL, "t10k", 0.0, 1.0, 120, false, path};
    kit_run_result r;
    assert_int_equal(kit_run(out, &o, &r, err, sizeof err), 0);
    assert_true(r.bit_exact && r.images == N && r.accuracy >= 0.0);
    free(xq);
    tt_qmodel_free(q);
    tt_dataset_free(ds);
}

/* The synthetic set: deterministic, balanced, classes apart; saved and loaded back unchanged; bad
 * files refused with the file and tensor named. */
static void test_kws_data(void **state)
{
    (void)state;
    float a[490], b[490];
    int32_t la, lb;
    kit_kws_sample(5, 17, a, &la);
    kit_kws_sample(5, 17, b, &lb);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(la, 17 % 12);
    kit_kws_sample(6, 17, b, &lb);
    assert_memory_not_equal(a, b, sizeof a);
    assert_string_equal(kit_kws_class_name(0), "silence");
    assert_string_equal(kit_kws_class_name(11), "go");
    /* class means: a keyword's mean map is far from silence's (the words are there, on average) */
    double mean[3][490] = {{0}};
    const int cls[3] = {0, 2, 3};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 40; i++) {
            kit_kws_sample(9, 12 * i + cls[k], a, &la);
            assert_int_equal(la, cls[k]);
            for (int p = 0; p < 490; p++) {
                mean[k][p] += a[p] / 40.0;
            }
        }
    }
    double d02 = 0, d23 = 0;
    for (int p = 0; p < 490; p++) {
        d02 += (mean[0][p] - mean[1][p]) * (mean[0][p] - mean[1][p]);
        d23 += (mean[1][p] - mean[2][p]) * (mean[1][p] - mean[2][p]);
    }
    assert_true(d02 > 10.0 && d23 > 10.0);
    tt_dataset *ds = kit_kws_dataset(2, 30);
    char path[400];
    snprintf(path, sizeof path, "%s/set.safetensors", dir);
    assert_int_equal(kit_dataset_save(path, ds, err, sizeof err), 0);
    tt_dataset *back = kit_dataset_load(path, err, sizeof err);
    assert_non_null(back);
    assert_int_equal(back->len, 30);
    assert_int_equal(back->sample_ndim, 3);
    for (int i = 0; i < 30; i++) {
        tt_dataset_get(ds, i, a, &la);
        tt_dataset_get(back, i, b, &lb);
        assert_memory_equal(a, b, sizeof a);
        assert_int_equal(la, lb);
    }
    tt_dataset_free(back);
    tt_dataset_free(ds);
    /* a model checkpoint is not a data set */
    tt_layer *m = tt_test_toy_cnn();
    snprintf(path, sizeof path, "%s/notdata.safetensors", dir);
    assert_int_equal(tt_checkpoint_save(path, m, NULL, NULL, 0, err, sizeof err), 0);
    tt_layer_free(m);
    assert_null(kit_dataset_load(path, err, sizeof err));
    assert_non_null(strstr(err, "notdata.safetensors"));
    assert_non_null(strstr(err, "\"x\""));
}

static void test_bad_input(void **state)
{
    (void)state;
    char out[300], path[400];
    snprintf(out, sizeof out, "%s/bad", dir);
    kit_export_report rep;
    /* a float checkpoint */
    tt_layer *model = tt_test_toy_cnn();
    snprintf(path, sizeof path, "%s/float.safetensors", dir);
    assert_int_equal(tt_checkpoint_save(path, model, NULL, NULL, 0, err, sizeof err), 0);
    tt_layer_free(model);
    assert_int_equal(kit_export(path, out, NULL, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "tito quantize"));
    /* an op the runtime does not have */
    snprintf(path, sizeof path, "%s/softmax.safetensors", dir);
    const char hdr[] = "{\"__metadata__\":{\"format\":\"tinytorch-int8\",\"num_layers\":\"2\","
                       "\"layers.0\":\"linear relu=1\",\"layers.1\":\"softmax dim=1\"}}";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint64_t len = sizeof hdr - 1;
    unsigned char le[8];
    for (int i = 0; i < 8; i++) {
        le[i] = (unsigned char)(len >> (8 * i));
    }
    fwrite(le, 1, 8, f);
    fwrite(hdr, 1, len, f);
    fclose(f);
    assert_int_equal(kit_export(path, out, NULL, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"softmax\""));
    /* a missing file, an unknown target, board, format */
    snprintf(path, sizeof path, "%s/none.safetensors", dir);
    assert_int_equal(kit_export(path, out, NULL, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "none.safetensors"));
    tt_dataset *ds = tt_test_toy_images(64, 4);
    tt_qmodel_free(kt_make_q(qpath, ds));
    tt_dataset_free(ds);
    kit_export_opts o = {"cortex-a53", NULL, "plain", 0, 0};
    assert_int_equal(kit_export(qpath, out, &o, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "cortex-a53"));
    o.target = "cortex-m4";
    o.board = "uno";
    assert_int_equal(kit_export(qpath, out, &o, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "uno"));
    o.board = NULL;
    o.format = "zip";
    assert_int_equal(kit_export(qpath, out, &o, &rep, err, sizeof err), -1);
    /* a board too small: exit 1 and by how much */
    o.format = "plain";
    o.ram_bytes = 200;
    assert_int_equal(kit_export(qpath, out, &o, &rep, err, sizeof err), 1);
    assert_non_null(strstr(err, "88 over the 200"));
    o.ram_bytes = 0;
    o.flash_bytes = 1000;
    assert_int_equal(kit_export(qpath, out, &o, &rep, err, sizeof err), 1);
    assert_non_null(strstr(err, "flash"));
}

static void test_arduino(void **state)
{
    (void)state;
    char out[300], cmd[2400];
    snprintf(out, sizeof out, "%s/ard", dir);
    kit_export_opts o = {"cortex-m4", NULL, "arduino", 0, 0};
    kit_export_report rep;
    assert_int_equal(kit_export(qpath, out, &o, &rep, err, sizeof err), 0);
    /* the library layout; the sources build as C and link from C++ (as the Arduino IDE does) */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && test -f library.properties && grep -q '^name=KitModel' library.properties && "
             "test -f src/kit_rt.h && grep -q kit_model_run examples/KitModel/KitModel.ino && test ! -e Makefile && "
             "cc -std=c11 -Wall -Wextra -Werror -c src/model.c -o model.o && "
             "printf '#include \"model.h\"\\nint main() { kit_model_input()[0] = 0; return kit_model_run()[0] > 200; }\\n' "
             ">t.cpp && c++ -Isrc t.cpp model.o -o t && ./t",
             out);
    assert_int_equal(system(cmd), 0);
}

static void test_cli(void **state)
{
    (void)state;
    char cmd[1200];
    assert_int_equal(system(KIT_BIN " --help >/dev/null"), 0);
    assert_int_equal(WEXITSTATUS(system(KIT_BIN " frobnicate 2>/dev/null")), 2);
    snprintf(cmd, sizeof cmd, KIT_BIN " export '%s/float.safetensors' --out '%s/c' 2>'%s/e.txt'", dir, dir, dir);
    assert_int_equal(WEXITSTATUS(system(cmd)), 3);
    snprintf(cmd, sizeof cmd, "grep -q 'quantize' '%s/e.txt'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, KIT_BIN " export '%s' --out '%s/c' --ram-kb 0 2>/dev/null", qpath, dir);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, KIT_BIN " export '%s' --out '%s/c' >'%s/o.txt'", qpath, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "grep -q 'arena: 288 bytes' '%s/o.txt'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_chain),
        cmocka_unit_test(test_requant_matches_module15),
        cmocka_unit_test(test_host_bit_exact),
        cmocka_unit_test(test_dscnn_host_bit_exact),
        cmocka_unit_test(test_kws_data),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_arduino),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
