/* test_checkpoint.c - module 08: safetensors save/load. Bit-exact round trips (special values
 * included), a file written from the specification by Python (tests/golden/make_checkpoint_golden.py),
 * refusals (missing tensor, wrong shape, wrong dtype, every truncation, corrupt header, unexpected
 * tensor) that leave the model untouched, atomic saves, and optimizer state that resumes exactly. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tt_test.h"
#include "tt_test_fs.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/optim.h"
#include "tinytorch/conv.h"

#define FIX(name) MLSB_TEST_DATA "/" name

static char err[512];

static tt_tensor *filled(int ndim, const int64_t *shape, uint64_t seed)
{
    tt_tensor *t = tt_tensor_new_persistent(ndim, shape);
    tt_rng r;
    tt_rng_seed(&r, seed);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = tt_rng_normal(&r);
    }
    return t;
}

static void test_round_trip_bit_exact(void **state)
{
    (void)state;
    tt_tensor *a = filled(TT_SHAPE(5, 7), 1), *b = filled(TT_SHAPE(3), 2), *c = filled(0, NULL, 3);
    tt_tensor *e = tt_tensor_new_persistent(TT_SHAPE(0, 4)); /* empty tensor */
    /* special values: -0, +-inf, a NaN with a payload, the smallest denormal, FLT_MAX */
    uint32_t bits[6] = {0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc12345u, 0x00000001u, 0x7f7fffffu};
    memcpy(a->data, bits, sizeof bits);
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "0.weight", a);
    tt_params_add(&p, "0.bias", b);
    tt_params_add(&p, "scale \"quoted\"\\", c);
    tt_params_add(&p, "empty", e);
    char path[512];
    tt_test_path(path, sizeof path, "model.safetensors");
    tt_kv meta[2] = {{"epoch", "4"}, {"note", "line\nbreak \"q\""}};
    assert_int_equal(tt_safetensors_save(path, &p, meta, 2, err, sizeof err), 0);
    assert_int_equal(tt_test_dir_entries(), 1); /* the temporary file was renamed, not left */

    tt_tensor *a2 = tt_tensor_new_persistent(TT_SHAPE(5, 7)), *b2 = tt_tensor_new_persistent(TT_SHAPE(3));
    tt_tensor *c2 = tt_tensor_new_persistent(0, NULL), *e2 = tt_tensor_new_persistent(TT_SHAPE(0, 4));
    tt_params q;
    tt_params_init(&q);
    tt_params_add(&q, "0.bias", b2); /* another order */
    tt_params_add(&q, "empty", e2);
    tt_params_add(&q, "scale \"quoted\"\\", c2);
    tt_params_add(&q, "0.weight", a2);
    assert_int_equal(tt_safetensors_load(path, &q, true, err, sizeof err), 0);
    assert_memory_equal(a2->data, a->data, 35 * 4);
    assert_memory_equal(b2->data, b->data, 3 * 4);
    assert_memory_equal(c2->data, c->data, 4);
    char v[64];
    assert_int_equal(tt_safetensors_meta(path, "note", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "line\nbreak \"q\"");
    assert_int_equal(tt_safetensors_meta(path, "epoch", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "4");
    assert_int_equal(tt_safetensors_meta(path, "absent", v, sizeof v, err, sizeof err), 1);

    /* The layout itself: 8-byte LE length, header a multiple of 8 long, data right after. */
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    assert_int_equal(fread(len8, 1, 8, f), 8);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) {
        hl = hl << 8 | len8[i];
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(hl % 8, 0);
    assert_int_equal((uint64_t)size, 8 + hl + (35 + 3 + 1) * 4);

    tt_params_free(&p);
    tt_params_free(&q);
    tt_tensor_free(a); tt_tensor_free(b); tt_tensor_free(c); tt_tensor_free(e);
    tt_tensor_free(a2); tt_tensor_free(b2); tt_tensor_free(c2); tt_tensor_free(e2);
}

/* Reads "name count v0 v1 ..." lines of data_ckpt_ref.txt for tensor `name`. */
static int read_ref(const char *name, float *out, int max)
{
    FILE *f = fopen(FIX("data_ckpt_ref.txt"), "r");
    assert_non_null(f);
    char nm[64];
    int n, got = -1;
    while (fscanf(f, "%63s %d", nm, &n) == 2) {
        for (int i = 0; i < n; i++) {
            char tok[64];
            assert_int_equal(fscanf(f, "%63s", tok), 1);
            if (strcmp(nm, name) == 0 && i < max) {
                out[i] = strtof(tok, NULL);
            }
        }
        if (strcmp(nm, name) == 0) {
            got = n;
        }
    }
    fclose(f);
    return got;
}

static void test_load_python_file(void **state)
{
    (void)state;
    tt_tensor *w = tt_tensor_new_persistent(TT_SHAPE(3, 4)), *b = tt_tensor_new_persistent(TT_SHAPE(3));
    tt_tensor *s = tt_tensor_new_persistent(0, NULL);
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "layer.weight", w);
    tt_params_add(&p, "layer.bias", b);
    tt_params_add(&p, "scale", s);
    assert_int_equal(tt_safetensors_load(FIX("data_ckpt_ref.safetensors"), &p, true, err, sizeof err), 0);
    float ref[12];
    assert_int_equal(read_ref("layer.weight", ref, 12), 12);
    assert_memory_equal(w->data, ref, sizeof ref); /* %.9g text round-trips float32 exactly */
    assert_int_equal(read_ref("layer.bias", ref, 3), 3);
    assert_true(b->data[0] == 1.0f && signbit(b->data[1]) && isinf(b->data[2]));
    assert_true(s->data[0] == 2.5f);
    char v[16];
    assert_int_equal(tt_safetensors_meta(FIX("data_ckpt_ref.safetensors"), "format", v, sizeof v, err, sizeof err), 0);
    assert_string_equal(v, "pt");
    tt_params_free(&p);
    tt_tensor_free(w); tt_tensor_free(b); tt_tensor_free(s);
}

#define EXPECT_REFUSED(call, s1, s2)                                                               \
    do {                                                                                           \
        err[0] = 0;                                                                                \
        assert_int_equal((call), -1);                                                              \
        if (!strstr(err, (s1)) || !strstr(err, (s2))) {                                            \
            fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err, (s1), (s2));                   \
        }                                                                                          \
    } while (0)

static void test_refusals(void **state)
{
    (void)state;
    tt_tensor *w = tt_tensor_new_persistent(TT_SHAPE(3, 4)), *b = tt_tensor_new_persistent(TT_SHAPE(3));
    tt_tensor *x = tt_tensor_new_persistent(TT_SHAPE(2));
    for (int i = 0; i < 12; i++) {
        w->data[i] = 42.0f;
    }
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "layer.weight", w);
    tt_params_add(&p, "layer.bias", b);
    /* dtype F16 in the file */
    EXPECT_REFUSED(tt_safetensors_load(FIX("data_ckpt_f16.safetensors"), &p, false, err, sizeof err),
                   "data_ckpt_f16.safetensors", "tensor \"layer.bias\" has dtype F16, expected F32");
    assert_true(w->data[0] == 42.0f); /* untouched although layer.weight came first and was fine */
    /* unexpected tensor in strict mode ("scale") */
    EXPECT_REFUSED(tt_safetensors_load(FIX("data_ckpt_ref.safetensors"), &p, true, err, sizeof err),
                   "data_ckpt_ref.safetensors", "unexpected tensor \"scale\"");
    assert_int_equal(tt_safetensors_load(FIX("data_ckpt_ref.safetensors"), &p, false, err, sizeof err), 0);
    /* missing tensor */
    tt_params_add(&p, "layer2.weight", x);
    EXPECT_REFUSED(tt_safetensors_load(FIX("data_ckpt_ref.safetensors"), &p, false, err, sizeof err),
                   "data_ckpt_ref.safetensors", "tensor \"layer2.weight\" is missing");
    tt_params_free(&p);
    /* wrong shape */
    tt_tensor *w2 = tt_tensor_new_persistent(TT_SHAPE(4, 3));
    tt_params_init(&p);
    tt_params_add(&p, "layer.weight", w2);
    EXPECT_REFUSED(tt_safetensors_load(FIX("data_ckpt_ref.safetensors"), &p, false, err, sizeof err),
                   "tensor \"layer.weight\"", "shape [3, 4] in the file, the model expects [4, 3]");
    EXPECT_REFUSED(tt_safetensors_load(FIX("no_such.safetensors"), &p, false, err, sizeof err),
                   "no_such.safetensors", "cannot open");
    EXPECT_REFUSED(tt_safetensors_load(FIX("data_good.csv"), &p, false, err, sizeof err), "data_good.csv",
                   "");
    tt_params_free(&p);
    tt_tensor_free(w); tt_tensor_free(b); tt_tensor_free(x); tt_tensor_free(w2);
}

static void test_truncated_and_corrupt(void **state)
{
    (void)state;
    tt_tensor *w = filled(TT_SHAPE(4, 5), 9), *b = filled(TT_SHAPE(5), 10);
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "w", w);
    tt_params_add(&p, "b", b);
    char path[512], cut[512];
    tt_test_path(path, sizeof path, "full.safetensors");
    tt_test_path(cut, sizeof cut, "cut.safetensors");
    assert_int_equal(tt_safetensors_save(path, &p, NULL, 0, err, sizeof err), 0);
    FILE *f = fopen(path, "rb");
    unsigned char buf[4096];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    tt_tensor *w2 = tt_tensor_new_persistent(TT_SHAPE(4, 5)), *b2 = tt_tensor_new_persistent(TT_SHAPE(5));
    tt_params q;
    tt_params_init(&q);
    tt_params_add(&q, "w", w2);
    tt_params_add(&q, "b", b2);
    /* every strict prefix of the file is refused, naming the file, and changes nothing */
    for (size_t len = 0; len < size; len++) {
        f = fopen(cut, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
        err[0] = 0;
        if (tt_safetensors_load(cut, &q, true, err, sizeof err) != -1) {
            fail_msg("a file cut to %zu of %zu bytes was accepted", len, size);
        }
        assert_non_null(strstr(err, "cut.safetensors"));
        assert_true(w2->data[0] == 0.0f && b2->data[4] == 0.0f);
    }
    /* one extra byte after the data */
    f = fopen(cut, "wb");
    fwrite(buf, 1, size, f);
    fputc(0, f);
    fclose(f);
    EXPECT_REFUSED(tt_safetensors_load(cut, &q, true, err, sizeof err), "cut.safetensors", "1 bytes after");
    /* corrupt header bytes: a brace, a quote, the length field */
    size_t positions[3] = {8, 9, 3};
    for (int k = 0; k < 3; k++) {
        unsigned char bad[4096];
        memcpy(bad, buf, size);
        bad[positions[k]] ^= 0x41;
        f = fopen(cut, "wb");
        fwrite(bad, 1, size, f);
        fclose(f);
        EXPECT_REFUSED(tt_safetensors_load(cut, &q, true, err, sizeof err), "cut.safetensors", "");
    }
    assert_true(w2->data[0] == 0.0f);
    /* then the intact file loads */
    assert_int_equal(tt_safetensors_load(path, &q, true, err, sizeof err), 0);
    assert_memory_equal(w2->data, w->data, 20 * 4);
    tt_params_free(&p);
    tt_params_free(&q);
    tt_tensor_free(w); tt_tensor_free(b); tt_tensor_free(w2); tt_tensor_free(b2);
}

static void test_atomic_save(void **state)
{
    (void)state;
    tt_tensor *w = filled(TT_SHAPE(8), 5);
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "w", w);
    char path[512];
    tt_test_path(path, sizeof path, "keep.safetensors");
    assert_int_equal(tt_safetensors_save(path, &p, NULL, 0, err, sizeof err), 0);
    /* a save that cannot complete (the destination is a directory) leaves no temporary file behind */
    char sub[512];
    tt_test_path(sub, sizeof sub, "adir");
    assert_int_equal(mkdir(sub, 0700), 0);
    int before = tt_test_dir_entries();
    assert_true(before >= 1); /* the folder is readable and holds adir */
    EXPECT_REFUSED(tt_safetensors_save(sub, &p, NULL, 0, err, sizeof err), "adir", "write failed");
    assert_int_equal(tt_test_dir_entries(), before);
    rmdir(sub);
    /* a save into a missing directory fails cleanly */
    EXPECT_REFUSED(tt_safetensors_save("/nonexistent-dir/x.safetensors", &p, NULL, 0, err, sizeof err),
                   "/nonexistent-dir/x.safetensors", "cannot create");
    /* overwriting replaces the old content completely */
    w->data[0] = 123.0f;
    assert_int_equal(tt_safetensors_save(path, &p, NULL, 0, err, sizeof err), 0);
    tt_tensor *w2 = tt_tensor_new_persistent(TT_SHAPE(8));
    tt_params q;
    tt_params_init(&q);
    tt_params_add(&q, "w", w2);
    assert_int_equal(tt_safetensors_load(path, &q, true, err, sizeof err), 0);
    assert_true(w2->data[0] == 123.0f);
    /* duplicate names are refused */
    tt_params_add(&p, "w", w2);
    EXPECT_REFUSED(tt_safetensors_save(path, &p, NULL, 0, err, sizeof err), "keep.safetensors", "two tensors");
    tt_params_free(&p);
    tt_params_free(&q);
    tt_tensor_free(w);
    tt_tensor_free(w2);
}

/* One Adam step of a Linear layer on fixed data. */
static void adam_step(tt_layer *lin, tt_optimizer *opt)
{
    tt_rng r;
    tt_rng_seed(&r, 77);
    tt_tensor *x = tt_randn(TT_SHAPE(6, 4), 0, 1, &r);
    int32_t y[6] = {0, 1, 2, 0, 1, 2};
    tt_optim_zero_grad(opt);
    tt_tensor *loss = tt_cross_entropy(tt_layer_forward(lin, x), y);
    tt_backward(loss);
    tt_optim_step(opt);
    tt_arena_reset();
}

static void test_optimizer_state_resumes(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 3);
    tt_layer *a = tt_linear_new(4, 3, true, TT_INIT_PYTORCH, &r);
    tt_params pa, sa, all;
    tt_params_init(&pa);
    tt_params_init(&sa);
    tt_params_init(&all);
    tt_layer_params(a, &pa);
    tt_optimizer *oa = tt_adam(&pa, (tt_adam_opts){.lr = 0.01f});
    adam_step(a, oa);
    adam_step(a, oa);
    tt_optim_state(oa, &sa);
    for (int i = 0; i < pa.n; i++) {
        tt_params_add(&all, pa.names[i], pa.t[i]);
    }
    for (int i = 0; i < sa.n; i++) {
        char nm[128];
        snprintf(nm, sizeof nm, "optimizer.%s", sa.names[i]);
        tt_params_add(&all, nm, sa.t[i]);
    }
    char path[512];
    tt_test_path(path, sizeof path, "resume.safetensors");
    assert_int_equal(tt_safetensors_save(path, &all, NULL, 0, err, sizeof err), 0);

    /* a fresh model + optimizer, loaded from the file, continues exactly like the original */
    tt_rng_seed(&r, 999);
    tt_layer *b = tt_linear_new(4, 3, true, TT_INIT_PYTORCH, &r);
    tt_params pb, sb, allb;
    tt_params_init(&pb);
    tt_params_init(&sb);
    tt_params_init(&allb);
    tt_layer_params(b, &pb);
    tt_optimizer *ob = tt_adam(&pb, (tt_adam_opts){.lr = 0.01f});
    tt_optim_state(ob, &sb);
    for (int i = 0; i < pb.n; i++) {
        tt_params_add(&allb, pb.names[i], pb.t[i]);
    }
    for (int i = 0; i < sb.n; i++) {
        char nm[128];
        snprintf(nm, sizeof nm, "optimizer.%s", sb.names[i]);
        tt_params_add(&allb, nm, sb.t[i]);
    }
    assert_int_equal(tt_safetensors_load(path, &allb, true, err, sizeof err), 0);
    adam_step(a, oa);
    adam_step(b, ob);
    for (int i = 0; i < pa.n; i++) {
        assert_memory_equal(pa.t[i]->data, pb.t[i]->data, tt_nbytes(pa.t[i]));
    }
    tt_optim_free(oa);
    tt_optim_free(ob);
    tt_params_free(&pa); tt_params_free(&sa); tt_params_free(&all);
    tt_params_free(&pb); tt_params_free(&sb); tt_params_free(&allb);
    tt_layer_free(a);
    tt_layer_free(b);
}

/* Buffers (BatchNorm's running statistics) travel with the model: after a load, eval mode gives the
 * same output as the model that was saved. */
static void test_batchnorm_buffers(void **state)
{
    (void)state;
    char path[600], err[512];
    tt_test_path(path, sizeof path, "bn.safetensors");
    tt_layer *a = tt_sequential_new(1, (tt_layer *[]){tt_batchnorm2d_new(3, 0.1f, 1e-5f, true)});
    tt_layer *b = tt_sequential_new(1, (tt_layer *[]){tt_batchnorm2d_new(3, 0.1f, 1e-5f, true)});
    tt_params buf;
    tt_params_init(&buf);
    tt_layer_buffers(a, &buf);
    assert_int_equal(buf.n, 2);
    assert_string_equal(buf.names[0], "0.running_mean");
    assert_string_equal(buf.names[1], "0.running_var");
    tt_rng r;
    tt_rng_seed(&r, 5);
    tt_tensor *x = tt_randn(TT_SHAPE(4, 3, 5, 5), 2.0f, 3.0f, &r);
    for (int i = 0; i < 3; i++) {          /* training-mode passes move the running statistics */
        tt_layer_forward(a, x);
    }
    assert_true(buf.t[0]->data[0] != 0.0f && buf.t[1]->data[0] != 1.0f);
    assert_int_equal(tt_checkpoint_save(path, a, NULL, NULL, 0, err, sizeof err), 0);
    assert_int_equal(tt_checkpoint_load(path, b, NULL, err, sizeof err), 0);
    tt_layer_train(a, false);
    tt_layer_train(b, false);
    tt_tensor *ya = tt_layer_forward(a, x), *yb = tt_layer_forward(b, x);
    assert_memory_equal(ya->data, yb->data, tt_nbytes(ya));
    tt_params_free(&buf);
    tt_layer_free(a);
    tt_layer_free(b);
}

int main(void)
{
    (void)tt_gradcheck; /* shared helpers this file does not need */
    (void)tt_test_input;
    (void)tt_assert_close;
    (void)tt_test_on_error;
    const struct CMUnitTest tests[] = {
        TT_TEST_IN_DIR(test_round_trip_bit_exact),
        TT_TEST_IN_DIR(test_load_python_file),
        TT_TEST_IN_DIR(test_refusals),
        TT_TEST_IN_DIR(test_truncated_and_corrupt),
        TT_TEST_IN_DIR(test_atomic_save),
        TT_TEST_IN_DIR(test_optimizer_state_resumes),
        TT_TEST_IN_DIR(test_batchnorm_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
