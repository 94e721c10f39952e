/* test_data.c - module 05: in-memory data sets, the loader (batching, seeded shuffle, drop_last, no heap
 * in the steady state), IDX / CSV / gzip readers against hand-made fixtures (tests/data/data_*, written by
 * tests/golden/make_data_fixtures.py), their error messages, TinyDigits and Fashion-MNIST from data/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include "tt_test.h"
#include "tinytorch/data.h"
#include "tinytorch/nn.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"

#define FIX(name) MLSB_TEST_DATA "/" name

static int teardown(void **state) { (void)state; tt_arena_reset(); return 0; }

static char err[512];

/* Expects loader call `rc` to fail with a message containing both substrings. */
#define EXPECT_LOAD_ERROR(call, s1, s2)                                                            \
    do {                                                                                           \
        err[0] = 0;                                                                                \
        assert_int_equal((call), -1);                                                              \
        if (!strstr(err, (s1)) || !strstr(err, (s2))) {                                            \
            fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err, (s1), (s2));                   \
        }                                                                                          \
    } while (0)

/* A data set of n samples [2] with x = (i, -i), y = i % 3. */
static tt_dataset *counting_set(int64_t n)
{
    float *x = malloc((size_t)n * 2 * sizeof(float));
    int32_t *y = malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
        x[2 * i] = (float)i;
        x[2 * i + 1] = -(float)i;
        y[i] = (int32_t)(i % 3);
    }
    tt_dataset *ds = tt_dataset_from_memory(x, y, n, 1, (const int64_t[]){2}, 0);
    assert_non_null(ds);
    return ds;
}

static void test_memory_dataset(void **state)
{
    (void)state;
    tt_dataset *ds = counting_set(10);
    assert_int_equal(ds->len, 10);
    assert_int_equal(ds->sample_numel, 2);
    assert_int_equal(ds->num_classes, 3); /* inferred: max label 2 */
    float x[2];
    int32_t y;
    tt_dataset_get(ds, 7, x, &y);
    assert_true(x[0] == 7.0f && x[1] == -7.0f && y == 1);
    int64_t counts[3];
    tt_dataset_class_counts(ds, counts);
    assert_int_equal(counts[0], 4);
    assert_int_equal(counts[1], 3);
    assert_int_equal(counts[2], 3);
    tt_dataset *sub = tt_dataset_subset(ds, (const int64_t[]){9, 0, 4}, 3);
    tt_dataset_get(sub, 0, x, &y);
    assert_true(x[0] == 9.0f && y == 0);
    tt_dataset_get(sub, 2, x, &y);
    assert_true(x[1] == -4.0f && y == 1);
    int64_t shape[TT_MAX_DIMS];
    assert_int_equal(tt_dataset_shape(sub, shape), 2);
    assert_int_equal(shape[0], 3);
    assert_int_equal(shape[1], 2);
    EXPECT_FATAL(tt_dataset_get(ds, 10, x, &y), "out of range");
    tt_dataset_free(sub);
    tt_dataset_free(ds);
}

static void test_loader_batches(void **state)
{
    (void)state;
    tt_dataset *ds = counting_set(10);
    tt_dataloader dl;
    assert_int_equal(tt_dataloader_init(&dl, ds, 4, false, false, 1, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_len(&dl), 3);
    tt_dataloader_start_epoch(&dl);
    tt_batch b;
    int64_t sizes[3], nb = 0;
    while (tt_dataloader_next(&dl, &b)) {
        assert_int_equal(b.x->ndim, 2);
        assert_int_equal(b.x->shape[1], 2);
        assert_int_equal(b.index, nb);
        for (int64_t i = 0; i < b.size; i++) { /* no shuffle: sample 4*nb + i in order */
            assert_true(b.x->data[2 * i] == (float)(4 * nb + i));
            assert_int_equal(b.y[i], (4 * nb + i) % 3);
        }
        sizes[nb++] = b.size;
    }
    assert_int_equal(nb, 3);
    assert_int_equal(sizes[0], 4);
    assert_int_equal(sizes[2], 2); /* partial last batch kept */
    tt_dataloader_free(&dl);

    assert_int_equal(tt_dataloader_init(&dl, ds, 4, false, true, 1, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_len(&dl), 2);
    tt_dataloader_start_epoch(&dl);
    nb = 0;
    while (tt_dataloader_next(&dl, &b)) {
        assert_int_equal(b.size, 4);
        nb++;
    }
    assert_int_equal(nb, 2); /* drop_last dropped the batch of 2 */
    tt_dataloader_free(&dl);

    /* 11 samples: the last batch is one short (3 of 4); drop_last drops it too */
    tt_dataset *ds11 = counting_set(11);
    assert_int_equal(tt_dataloader_init(&dl, ds11, 4, false, true, 1, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_len(&dl), 2);
    tt_dataloader_start_epoch(&dl);
    int64_t seen = 0;
    nb = 0;
    while (tt_dataloader_next(&dl, &b)) {
        assert_int_equal(b.size, 4);
        seen += b.size;
        nb++;
    }
    assert_int_equal(nb, 2);
    assert_int_equal(seen, 8);
    tt_dataloader_free(&dl);
    tt_dataset_free(ds11);

    EXPECT_LOAD_ERROR(tt_dataloader_init(&dl, ds, 0, false, false, 1, err, sizeof err), "batch size", "0");
    tt_dataset_free(ds);
}

/* Visits one epoch and records the order of samples (their x[0]). */
static void epoch_order(tt_dataloader *dl, int64_t *out)
{
    tt_batch b;
    int64_t k = 0;
    tt_dataloader_start_epoch(dl);
    while (tt_dataloader_next(dl, &b)) {
        for (int64_t i = 0; i < b.size; i++) {
            out[k++] = (int64_t)b.x->data[2 * i];
        }
        tt_arena_reset();
    }
}

static void test_loader_shuffle(void **state)
{
    (void)state;
    enum { N = 100 };
    tt_dataset *ds = counting_set(N);
    tt_dataloader a, b, c;
    assert_int_equal(tt_dataloader_init(&a, ds, 7, true, false, 42, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_init(&b, ds, 7, true, false, 42, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_init(&c, ds, 7, true, false, 43, err, sizeof err), 0);
    int64_t oa1[N], oa2[N], ob1[N], oc1[N];
    epoch_order(&a, oa1);
    epoch_order(&a, oa2);
    epoch_order(&b, ob1);
    epoch_order(&c, oc1);
    assert_memory_equal(oa1, ob1, sizeof oa1);       /* same seed, same order */
    assert_memory_not_equal(oa1, oa2, sizeof oa1);   /* a new order each epoch */
    assert_memory_not_equal(oa1, oc1, sizeof oa1);   /* another seed, another order */
    int seen[N] = {0}, moved = 0;
    for (int i = 0; i < N; i++) {
        seen[oa2[i]]++;
        moved += oa1[i] != i;
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(seen[i], 1);                /* a permutation: every sample once */
    }
    assert_true(moved > N / 2);
    /* steady state: a further epoch allocates no arena chunk */
    uint64_t before = tt_arena_heap_allocs();
    epoch_order(&a, oa1);
    assert_int_equal(tt_arena_heap_allocs(), before);
    tt_dataloader_free(&a);
    tt_dataloader_free(&b);
    tt_dataloader_free(&c);
    tt_dataset_free(ds);
}

/* Records the x[0] of every sample the loader hands out until the end of the epoch; returns the count. */
static int64_t rest_of_epoch(tt_dataloader *dl, int64_t *out)
{
    tt_batch b;
    int64_t k = 0;
    while (tt_dataloader_next(dl, &b)) {
        for (int64_t i = 0; i < b.size; i++) {
            out[k++] = (int64_t)b.x->data[2 * i];
        }
        tt_arena_reset();
    }
    return k;
}

/* A loader restored from a state taken mid-epoch hands out exactly the batches the original would have:
 * the rest of that epoch and the epochs after it. */
static void test_loader_state(void **state)
{
    (void)state;
    enum { N = 100 };
    tt_dataset *ds = counting_set(N);
    tt_dataloader a, b, c;
    assert_int_equal(tt_dataloader_init(&a, ds, 7, true, false, 42, err, sizeof err), 0);
    int64_t oa[N], ob[N], tmp[N];
    epoch_order(&a, tmp);                     /* epoch 1 */
    tt_dataloader_start_epoch(&a);            /* epoch 2: five batches in */
    tt_batch bt;
    for (int i = 0; i < 5; i++) {
        assert_true(tt_dataloader_next(&a, &bt));
    }
    tt_dataloader_state st;
    tt_dataloader_get_state(&a, &st);
    assert_int_equal(st.epoch, 2);
    assert_int_equal(st.batch_index, 5);
    assert_true(st.seed == 42);

    /* a fresh loader, restored: the same 65 remaining samples of epoch 2, then the same epoch 3 */
    assert_int_equal(tt_dataloader_init(&b, ds, 7, true, false, 42, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_set_state(&b, &st, err, sizeof err), 0);
    assert_int_equal(rest_of_epoch(&a, oa), N - 35);
    assert_int_equal(rest_of_epoch(&b, ob), N - 35);
    assert_memory_equal(oa, ob, (N - 35) * sizeof(int64_t));
    epoch_order(&a, oa);
    epoch_order(&b, ob);
    assert_int_equal(a.epoch, 3);
    assert_int_equal(b.epoch, 3);
    assert_memory_equal(oa, ob, sizeof oa);

    /* the order is a function of (seed, epoch) alone: seeking straight to epoch 3 gives it too */
    assert_int_equal(tt_dataloader_init(&c, ds, 7, true, false, 42, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_seek(&c, 3, 0, err, sizeof err), 0);
    assert_int_equal(rest_of_epoch(&c, ob), N);
    assert_memory_equal(oa, ob, sizeof oa);
    /* at the end of an epoch (the partial batch handed out): nothing left, the next epoch follows */
    assert_int_equal(tt_dataloader_seek(&c, 3, tt_dataloader_len(&c), err, sizeof err), 0);
    assert_false(tt_dataloader_next(&c, &bt));
    tt_dataloader_start_epoch(&c);
    assert_int_equal(c.epoch, 4);

    /* refused positions leave the loader as it was */
    tt_dataloader_get_state(&c, &st);
    tt_dataloader_state bad = st;
    bad.seed = 7;
    EXPECT_LOAD_ERROR(tt_dataloader_set_state(&c, &bad, err, sizeof err), "seed 7", "seed 42");
    EXPECT_LOAD_ERROR(tt_dataloader_seek(&c, 1, 16, err, sizeof err), "batch 16", "[0, 15]");
    EXPECT_LOAD_ERROR(tt_dataloader_seek(&c, -1, 0, err, sizeof err), "epoch -1", "epoch >= 0");
    EXPECT_LOAD_ERROR(tt_dataloader_seek(&c, 0, 3, err, sizeof err), "epoch 0, batch 3", "before the first");
    tt_dataloader_state now;
    tt_dataloader_get_state(&c, &now);
    assert_memory_equal(&now, &st, sizeof st);
    tt_dataloader_free(&a);
    tt_dataloader_free(&b);
    tt_dataloader_free(&c);
    tt_dataset_free(ds);
}

/* The regression loss of a batch: MSE of the model's prediction against the float target field 1. */
static tt_tensor *mse_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return tt_mse_loss(tt_layer_forward(model, b->x), b->field[1].t);
}

/* A data set of aligned float tensors: y = A x + b (3 inputs, 2 outputs), batched with its fields in
 * step, then fitted with MSE through a Linear layer and Adam: the weights come out as A and b. */
static void test_tensor_dataset_regression(void **state)
{
    (void)state;
    enum { N = 256 };
    const float A[2][3] = {{1.5f, -2.0f, 0.5f}, {0.25f, 1.0f, -1.0f}}, bias[2] = {0.3f, -0.7f};
    tt_tensor *X = tt_tensor_new_persistent(2, (const int64_t[]){N, 3});
    tt_tensor *Y = tt_tensor_new_persistent(2, (const int64_t[]){N, 2});
    tt_rng rng;
    tt_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++) {
            X->data[i * 3 + j] = tt_rng_normal(&rng);
        }
        for (int o = 0; o < 2; o++) {
            float v = bias[o];
            for (int j = 0; j < 3; j++) {
                v += A[o][j] * X->data[i * 3 + j];
            }
            Y->data[i * 2 + o] = v;
        }
    }
    tt_dataset *ds = tt_dataset_from_tensors(2, (tt_tensor *const[]){X, Y}, err, sizeof err);
    assert_non_null(ds);
    assert_int_equal(ds->num_fields, 2);
    assert_int_equal(ds->num_classes, 0);        /* no class label */
    assert_int_equal(ds->fields[1].numel, 2);
    assert_int_equal(ds->sample_numel, 3);

    tt_dataloader dl;
    assert_int_equal(tt_dataloader_init(&dl, ds, 32, true, false, 3, err, sizeof err), 0);
    tt_dataloader_start_epoch(&dl);
    tt_batch b;
    assert_true(tt_dataloader_next(&dl, &b));
    assert_null(b.y);
    assert_int_equal(b.num_fields, 2);
    assert_int_equal(b.field[1].t->shape[0], 32);
    assert_int_equal(b.field[1].t->shape[1], 2);
    for (int i = 0; i < 32; i++) {                /* shuffled, yet every row's x and y still belong together */
        for (int o = 0; o < 2; o++) {
            float v = bias[o];
            for (int j = 0; j < 3; j++) {
                v += A[o][j] * b.x->data[i * 3 + j];
            }
            assert_float_equal(b.field[1].t->data[i * 2 + o], v, 1e-5f);
        }
    }
    tt_arena_reset();

    tt_layer *lin = tt_linear_new(3, 2, true, TT_INIT_PYTORCH, &rng);
    tt_optimizer *opt = tt_adam(tt_layer_parameters(lin), (tt_adam_opts){.lr = 0.05f});
    tt_step_opts so = {.loss = mse_loss};
    tt_step_result r = {0};
    for (int e = 0; e < 60; e++) {
        tt_dataloader_start_epoch(&dl);
        while (tt_dataloader_next(&dl, &b)) {
            assert_int_equal(tt_train_step(lin, opt, &b, &so, &r), 0);
        }
    }
    assert_true(r.loss < 1e-4);
    const tt_linear_layer *L = (const tt_linear_layer *)lin;
    for (int o = 0; o < 2; o++) {
        assert_float_equal(L->bias->data[o], bias[o], 1e-2f);
        for (int j = 0; j < 3; j++) {
            assert_float_equal(L->weight->data[o * 3 + j], A[o][j], 1e-2f);
        }
    }
    tt_optim_free(opt);
    tt_layer_free(lin);
    tt_dataloader_free(&dl);
    tt_dataset_free(ds);
    tt_tensor_free(X);
    tt_tensor_free(Y);
}

/* int32 fields of any shape batch as ints; a subset copies every field; the classic features + label set
 * is the two-field case; bad descriptions are refused with a message. */
static void test_fields_mixed(void **state)
{
    (void)state;
    enum { N = 5, T = 4 };
    int32_t tok[N * T], lab[N];
    float feat[N * 2];
    for (int i = 0; i < N; i++) {
        for (int t = 0; t < T; t++) {
            tok[i * T + t] = 100 * i + t;
        }
        lab[i] = i % 2;
        feat[2 * i] = (float)i;
        feat[2 * i + 1] = 0.5f * (float)i;
    }
    tt_field f[3] = {{TT_FIELD_F32, 1, {2}, 0}, {TT_FIELD_I32, 0, {0}, 0}, {TT_FIELD_I32, 2, {2, 2}, 0}};
    tt_dataset *ds = tt_dataset_from_fields(N, 3, f, (const void *[]){feat, lab, tok}, err, sizeof err);
    assert_non_null(ds);
    assert_int_equal(ds->num_classes, 2);        /* field 1 is an int32 scalar: the label */
    assert_int_equal(ds->fields[2].numel, 4);
    int64_t counts[2];
    tt_dataset_class_counts(ds, counts);
    assert_int_equal(counts[0], 3);
    int32_t row[4];
    tt_dataset_get_field(ds, 3, 2, row);
    assert_int_equal(row[3], 303);
    EXPECT_FATAL(tt_dataset_get_field(ds, 0, 3, row), "field 3 out of range");

    tt_dataset *sub = tt_dataset_subset(ds, (const int64_t[]){4, 1}, 2);
    assert_non_null(sub);
    assert_int_equal(sub->num_fields, 3);
    tt_dataset_get_field(sub, 0, 2, row);
    assert_int_equal(row[0], 400);
    float x[2];
    int32_t y;
    tt_dataset_get(sub, 1, x, &y);
    assert_true(x[1] == 0.5f && y == 1);

    tt_dataloader dl;
    assert_int_equal(tt_dataloader_init(&dl, ds, 2, false, false, 1, err, sizeof err), 0);
    tt_dataloader_start_epoch(&dl);
    tt_batch b;
    assert_true(tt_dataloader_next(&dl, &b));
    assert_true(tt_dataloader_next(&dl, &b)); /* samples 2 and 3 */
    assert_non_null(b.y);
    assert_int_equal(b.y[1], 1);
    assert_null(b.field[2].t);
    assert_int_equal(b.field[2].ints[4 + 2], 302);
    assert_true(b.x->data[2] == 3.0f);
    tt_dataloader_free(&dl);

    /* from_memory is the two-field case */
    tt_dataset *cls = counting_set(4);
    assert_int_equal(cls->num_fields, 2);
    assert_int_equal(cls->fields[1].type, TT_FIELD_I32);
    assert_int_equal(cls->fields[0].numel, 2);

    /* refused descriptions */
    err[0] = 0;
    assert_null(tt_dataset_from_fields(N, 0, f, (const void *[]){feat}, err, sizeof err));
    assert_non_null(strstr(err, "0 fields"));
    tt_field bad = {TT_FIELD_F32, 2, {INT64_MAX / 2, 3}, 0};
    assert_null(tt_dataset_from_fields(N, 1, &bad, (const void *[]){feat}, err, sizeof err));
    assert_non_null(strstr(err, "too large"));
    tt_field big = {TT_FIELD_F32, 1, {1 << 30}, 0};
    assert_null(tt_dataset_from_fields(INT64_MAX / 8, 1, &big, (const void *[]){feat}, err, sizeof err));
    assert_non_null(strstr(err, "overflow"));
    tt_tensor *t1 = tt_tensor_new_persistent(2, (const int64_t[]){3, 2}), *t2 = tt_tensor_new_persistent(1, (const int64_t[]){4});
    assert_null(tt_dataset_from_tensors(2, (tt_tensor *const[]){t1, t2}, err, sizeof err));
    assert_non_null(strstr(err, "tensor 1 has 4 rows, tensor 0 has 3"));
    tt_tensor_free(t1);
    tt_tensor_free(t2);
    tt_dataset_free(cls);
    tt_dataset_free(sub);
    tt_dataset_free(ds);
}

/* A batch [B, C, H, W] filled with 1 + (its flat index): no zeros, every value distinct. */
static tt_tensor *ramp_images(int64_t B, int64_t C, int64_t H, int64_t W)
{
    tt_tensor *x = tt_empty(4, (const int64_t[]){B, C, H, W});
    for (int64_t i = 0; i < x->numel; i++) {
        x->data[i] = 1.0f + (float)i;
    }
    return x;
}

/* Flip twice is the identity, crop with pad 0 is the identity, a padded crop is a shifted copy of the
 * image (the same shift for all its channels, zeros where it left the image), offsets vary. */
static void test_transforms_flip_crop(void **state)
{
    (void)state;
    enum { B = 64, C = 2, H = 5, W = 6, P = 2 };
    tt_tensor *x = ramp_images(B, C, H, W), *x0 = tt_clone(x);
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_transform *flip = tt_random_hflip(1.0f), *crop0 = tt_random_crop(0);
    tt_transform_apply(flip, x, &r);
    assert_true(x->data[0] == x0->data[W - 1]);              /* mirrored */
    assert_true(x->data[W + 2] == x0->data[2 * W - 3]);
    tt_transform_apply(flip, x, &r);
    assert_memory_equal(x->data, x0->data, (size_t)x->numel * sizeof(float));
    tt_transform_apply(crop0, x, &r);
    assert_memory_equal(x->data, x0->data, (size_t)x->numel * sizeof(float));

    /* p = 0.5 flips about half the images; the same seed flips the same ones, so twice is the identity */
    tt_transform *half = tt_random_hflip(0.5f);
    tt_rng_seed(&r, 9);
    tt_transform_apply(half, x, &r);
    int flipped = 0;
    for (int b = 0; b < B; b++) {
        flipped += x->data[b * C * H * W] != x0->data[b * C * H * W];
    }
    assert_true(flipped > B / 4 && flipped < 3 * B / 4);
    tt_rng_seed(&r, 9);
    tt_transform_apply(half, x, &r);
    assert_memory_equal(x->data, x0->data, (size_t)x->numel * sizeof(float));

    tt_transform *crop = tt_random_crop(P);
    tt_transform_apply(crop, x, &r);
    int seen[2 * P + 1][2 * P + 1] = {{0}};
    for (int b = 0; b < B; b++) {
        int matches = 0;
        for (int dy = -P; dy <= P; dy++) {
            for (int dx = -P; dx <= P; dx++) {
                bool ok = true;
                for (int c = 0; c < C && ok; c++) {
                    for (int i = 0; i < H && ok; i++) {
                        for (int j = 0; j < W && ok; j++) {
                            int si = i + dy, sj = j + dx;
                            float want = si >= 0 && si < H && sj >= 0 && sj < W
                                             ? x0->data[((b * C + c) * H + si) * W + sj] : 0.0f;
                            ok = x->data[((b * C + c) * H + i) * W + j] == want;
                        }
                    }
                }
                if (ok) {
                    matches++;
                    seen[dy + P][dx + P]++;
                }
            }
        }
        assert_int_equal(matches, 1);                         /* exactly one shift explains the image */
    }
    int offsets = 0;
    for (int i = 0; i < 2 * P + 1; i++) {
        for (int j = 0; j < 2 * P + 1; j++) {
            offsets += seen[i][j] > 0;
        }
    }
    assert_true(offsets >= 10);                               /* 25 possible; 64 draws see most */

    /* compose: runs its parts in order and frees them */
    tt_transform *id = tt_compose(3, (tt_transform *const[]){tt_random_crop(0), tt_random_hflip(1.0f),
                                                              tt_random_hflip(1.0f)});
    tt_tensor *y = tt_clone(x0);
    tt_transform_apply(id, y, &r);
    assert_memory_equal(y->data, x0->data, (size_t)y->numel * sizeof(float));
    tt_tensor *flat = tt_empty(2, (const int64_t[]){4, 784});
    EXPECT_FATAL(tt_transform_apply(flip, flat, &r), "[B, C, H, W]");
    tt_transform_free(id);
    tt_transform_free(crop);
    tt_transform_free(half);
    tt_transform_free(crop0);
    tt_transform_free(flip);
}

/* Normalise with the data's own per-channel mean and std gives channels of mean 0 and std 1. */
static void test_transforms_normalize(void **state)
{
    (void)state;
    enum { B = 32, C = 3, HW = 64 };
    const float mean[C] = {2.0f, -1.0f, 0.5f}, sd[C] = {3.0f, 0.5f, 1.0f};
    tt_tensor *x = tt_empty(4, (const int64_t[]){B, C, 8, 8});
    tt_rng r;
    tt_rng_seed(&r, 4);
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < HW; i++) {
                x->data[(b * C + c) * HW + i] = mean[c] + sd[c] * tt_rng_normal(&r);
            }
        }
    }
    double m[C] = {0}, v[C] = {0};
    for (int b = 0; b < B; b++) {                             /* the batch's own statistics */
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < HW; i++) {
                m[c] += x->data[(b * C + c) * HW + i] / (double)(B * HW);
            }
        }
    }
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < HW; i++) {
                double d = x->data[(b * C + c) * HW + i] - m[c];
                v[c] += d * d / (double)(B * HW);
            }
        }
    }
    float fm[C], fs[C];
    for (int c = 0; c < C; c++) {
        fm[c] = (float)m[c];
        fs[c] = (float)sqrt(v[c]);
        assert_float_equal(fm[c], mean[c], 0.15f * sd[c]);
    }
    tt_transform *n = tt_normalize(C, fm, fs);
    tt_transform_apply(n, x, &r);
    for (int c = 0; c < C; c++) {
        double s1 = 0, s2 = 0;
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < HW; i++) {
                double t = x->data[(b * C + c) * HW + i];
                s1 += t;
                s2 += t * t;
            }
        }
        s1 /= B * HW;
        assert_float_equal(s1, 0.0, 1e-4);
        assert_float_equal(sqrt(s2 / (B * HW) - s1 * s1), 1.0, 1e-4);
    }
    EXPECT_FATAL(tt_normalize(1, (const float[]){0}, (const float[]){0}), "std[0] = 0");
    tt_tensor *two = tt_empty(4, (const int64_t[]){1, 2, 2, 2});
    EXPECT_FATAL(tt_transform_apply(n, two, &r), "2 channels, the transform 3");
    tt_transform_free(n);
}

/* Augmentation in the loader: the same seed gives the same augmented batches, another seed others,
 * and a loader restored mid-epoch augments the remaining batches exactly as the original did. */
static void test_loader_augment(void **state)
{
    (void)state;
    enum { N = 40, H = 6, W = 6 };
    float *x = malloc(N * H * W * sizeof(float));
    int32_t *y = malloc(N * sizeof(int32_t));
    for (int i = 0; i < N * H * W; i++) {
        x[i] = 1.0f + (float)i;
    }
    for (int i = 0; i < N; i++) {
        y[i] = i % 4;
    }
    tt_dataset *ds = tt_dataset_from_memory(x, y, N, 3, (const int64_t[]){1, H, W}, 4);
    tt_transform *aug = tt_compose(2, (tt_transform *const[]){tt_random_crop(2), tt_random_hflip(0.5f)});
    tt_dataloader a, b, c;
    assert_int_equal(tt_dataloader_init(&a, ds, 8, true, false, 11, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_init(&b, ds, 8, true, false, 11, err, sizeof err), 0);
    assert_int_equal(tt_dataloader_init(&c, ds, 8, true, false, 12, err, sizeof err), 0);
    tt_dataloader_set_transform(&a, aug);
    tt_dataloader_set_transform(&b, aug);
    tt_dataloader_set_transform(&c, aug);
    static float ea[2][N * H * W], eb[N * H * W], ec[N * H * W];
    tt_batch bt;
    for (int e = 0; e < 2; e++) {
        tt_dataloader_start_epoch(&a);
        for (int k = 0; tt_dataloader_next(&a, &bt); k++) {
            memcpy(ea[e] + k * 8 * H * W, bt.x->data, (size_t)bt.x->numel * sizeof(float));
            tt_arena_reset();
        }
    }
    assert_memory_not_equal(ea[0], ea[1], sizeof ea[0]);      /* each epoch augments afresh */
    tt_dataloader_start_epoch(&b);
    tt_dataloader_start_epoch(&c);
    for (int k = 0; tt_dataloader_next(&b, &bt); k++) {
        memcpy(eb + k * 8 * H * W, bt.x->data, (size_t)bt.x->numel * sizeof(float));
        assert_true(tt_dataloader_next(&c, &bt));
        memcpy(ec + k * 8 * H * W, bt.x->data, (size_t)bt.x->numel * sizeof(float));
        tt_arena_reset();
    }
    assert_memory_equal(ea[0], eb, sizeof eb);                /* same seed, same augmented batches */
    assert_memory_not_equal(ea[0], ec, sizeof ec);
    /* restored at epoch 2, batch 3: batches 3 and 4 as the original made them */
    tt_dataloader_free(&c);
    assert_int_equal(tt_dataloader_init(&c, ds, 8, true, false, 11, err, sizeof err), 0);
    tt_dataloader_set_transform(&c, aug);
    assert_int_equal(tt_dataloader_seek(&c, 2, 3, err, sizeof err), 0);
    for (int k = 3; tt_dataloader_next(&c, &bt); k++) {
        assert_memory_equal(bt.x->data, ea[1] + k * 8 * H * W, (size_t)bt.x->numel * sizeof(float));
        tt_arena_reset();
    }
    tt_transform_free(aug);
    tt_dataloader_free(&a);
    tt_dataloader_free(&b);
    tt_dataloader_free(&c);
    tt_dataset_free(ds);
}

static void test_idx_reader(void **state)
{
    (void)state;
    tt_idx idx;
    assert_int_equal(tt_idx_read(FIX("data_int16.idx"), &idx, err, sizeof err), 0);
    assert_int_equal(idx.ndim, 2);
    assert_int_equal(idx.type, 0x0B);
    tt_assert_close(idx.data, (const float[]){-300, 5, 0, 32767}, 4, 0, 0);
    tt_idx_free(&idx);
    assert_int_equal(tt_idx_read(FIX("data_float.idx"), &idx, err, sizeof err), 0);
    tt_assert_close(idx.data, (const float[]){1.5f, -2.25f, 1e-3f}, 3, 0, 0);
    tt_idx_free(&idx);
    EXPECT_LOAD_ERROR(tt_idx_read(FIX("data_trunc.idx"), &idx, err, sizeof err), "data_trunc.idx", "truncated");
    EXPECT_LOAD_ERROR(tt_idx_read(FIX("data_notidx.idx"), &idx, err, sizeof err), "data_notidx.idx",
                      "not an IDX file");
    EXPECT_LOAD_ERROR(tt_idx_read(FIX("no_such_file.idx"), &idx, err, sizeof err), "no_such_file.idx",
                      "cannot open");
    EXPECT_LOAD_ERROR(tt_idx_read(FIX("data_truncated.gz"), &idx, err, sizeof err), "data_truncated.gz",
                      "gzip");
    EXPECT_LOAD_ERROR(tt_idx_read(FIX("data_corrupt.gz"), &idx, err, sizeof err), "data_corrupt.gz", "gzip");
}

static void test_mnist_loader(void **state)
{
    (void)state;
    tt_dataset *ds;
    /* images plain, labels gzip; pixels scaled to (p/255 - 0.5)/0.5 */
    assert_int_equal(tt_load_mnist(MLSB_TEST_DATA, "data_tiny", 0.5f, 0.5f, &ds, err, sizeof err), 0);
    assert_int_equal(ds->len, 3);
    assert_int_equal(ds->sample_ndim, 3);
    assert_int_equal(ds->sample_shape[1], 2);
    assert_int_equal(ds->num_classes, 10);
    float x[4];
    int32_t y;
    tt_dataset_get(ds, 0, x, &y);
    assert_int_equal(y, 7);
    tt_assert_close(x, (const float[]){-1.0f, 1.0f, -0.6f, -0.2f}, 4, 1e-6, 1e-6);
    tt_dataset_get(ds, 2, x, &y);
    assert_int_equal(y, 9);
    tt_dataset_free(ds);
    EXPECT_LOAD_ERROR(tt_load_mnist(MLSB_TEST_DATA, "data_badlabel", 0, 1, &ds, err, sizeof err),
                      "data_badlabel-labels-idx1-ubyte", "label 12");
    EXPECT_LOAD_ERROR(tt_load_mnist(MLSB_TEST_DATA, "data_count", 0, 1, &ds, err, sizeof err), "3 images",
                      "2 labels");
    EXPECT_LOAD_ERROR(tt_load_mnist(MLSB_TEST_DATA, "nothing", 0, 1, &ds, err, sizeof err),
                      "nothing-images-idx3-ubyte", "cannot open");
    assert_null(ds);
}

static void test_csv_loader(void **state)
{
    (void)state;
    tt_dataset *ds;
    assert_int_equal(tt_load_csv(FIX("data_good.csv"), -1, false, 0.5f, &ds, err, sizeof err), 0);
    assert_int_equal(ds->len, 3);
    assert_int_equal(ds->sample_numel, 3);
    float x[3];
    int32_t y;
    tt_dataset_get(ds, 2, x, &y);
    tt_assert_close(x, (const float[]){3.5f, 4.0f, 4.5f}, 3, 0, 0);
    assert_int_equal(y, 2);
    tt_dataset_free(ds);
    assert_int_equal(tt_load_csv(FIX("data_good.csv.gz"), -1, false, 1.0f, &ds, err, sizeof err), 0);
    tt_dataset_get(ds, 1, x, &y);
    assert_true(x[0] == 0.25f && x[1] == 4.0f && y == 0);
    tt_dataset_free(ds);
    assert_int_equal(tt_load_csv(FIX("data_header.csv"), 0, true, 1.0f, &ds, err, sizeof err), 0);
    tt_dataset_get(ds, 0, x, &y);
    assert_true(y == 3 && x[0] == 0.1f && x[1] == 0.2f);
    tt_dataset_free(ds);
    EXPECT_LOAD_ERROR(tt_load_csv(FIX("data_badnum.csv"), -1, false, 1, &ds, err, sizeof err),
                      "data_badnum.csv:2:3: column 2", "\"x5\"");
    EXPECT_LOAD_ERROR(tt_load_csv(FIX("data_short.csv"), -1, false, 1, &ds, err, sizeof err),
                      "data_short.csv:3", "3 columns, earlier lines have 4");
    EXPECT_LOAD_ERROR(tt_load_csv(FIX("data_badlabel.csv"), -1, false, 1, &ds, err, sizeof err),
                      "data_badlabel.csv:2:7: column 4", "not an integer");
    EXPECT_LOAD_ERROR(tt_load_csv(FIX("data_good.csv"), 7, false, 1, &ds, err, sizeof err), "label column 8",
                      "4 columns");
    EXPECT_LOAD_ERROR(tt_load_csv(FIX("data_corrupt.gz"), -1, false, 1, &ds, err, sizeof err), "data_corrupt.gz",
                      "gzip");
}

static void test_tinydigits(void **state)
{
    (void)state;
    const char *path = MLSB_SOURCE_DIR "/data/digits.csv.gz";
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_message("data/digits.csv.gz absent (run scripts/fetch-data.sh): skipping\n");
        skip();
    }
    fclose(f);
    tt_dataset *tr, *te, *tr2, *te2;
    assert_int_equal(tt_load_tinydigits(path, 42, &tr, &te, err, sizeof err), 0);
    assert_int_equal(tr->len, 1000);
    assert_int_equal(te->len, 200);
    assert_int_equal(tr->sample_ndim, 3);
    assert_int_equal(tr->sample_shape[2], 8);
    int64_t c[10];
    tt_dataset_class_counts(tr, c);
    for (int k = 0; k < 10; k++) {
        assert_int_equal(c[k], 100);
    }
    tt_dataset_class_counts(te, c);
    for (int k = 0; k < 10; k++) {
        assert_int_equal(c[k], 20);
    }
    const tt_memory_dataset *m = (const tt_memory_dataset *)tr;
    float mx = 0.0f;
    for (int64_t i = 0; i < 64000; i++) {
        assert_true(m->x[i] >= 0.0f && m->x[i] <= 1.0f);
        mx = m->x[i] > mx ? m->x[i] : mx;
        /* pixels were integers 0..16: every value is a multiple of 1/16 */
        assert_true(m->x[i] * 16.0f == floorf(m->x[i] * 16.0f));
    }
    assert_true(mx == 1.0f);
    /* shuffled: the first 20 labels are not all one class */
    int same = 1;
    for (int i = 1; i < 20; i++) {
        same &= m->y[i] == m->y[0];
    }
    assert_false(same);
    assert_int_equal(tt_load_tinydigits(path, 42, &tr2, &te2, err, sizeof err), 0);
    assert_memory_equal(((tt_memory_dataset *)tr2)->x, m->x, 64000 * sizeof(float));
    tt_dataset_free(tr2);
    tt_dataset_free(te2);
    assert_int_equal(tt_load_tinydigits(path, 7, &tr2, &te2, err, sizeof err), 0);
    assert_memory_not_equal(((tt_memory_dataset *)tr2)->y, m->y, 1000 * sizeof(int32_t));
    tt_dataset_free(tr2);
    tt_dataset_free(te2);
    tt_dataset_free(tr);
    tt_dataset_free(te);
    EXPECT_LOAD_ERROR(tt_load_tinydigits(FIX("data_good.csv"), 42, &tr, &te, err, sizeof err), "data_good.csv",
                      "64");
}

static void test_fashion_mnist(void **state)
{
    (void)state;
    const char *dir = MLSB_SOURCE_DIR "/data/fashion-mnist";
    char p[1024];
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", dir);
    FILE *f = fopen(p, "rb");
    if (!f) {
        print_message("data/fashion-mnist absent (run scripts/fetch-data.sh): skipping\n");
        skip();
    }
    fclose(f);
    tt_dataset *te;
    assert_int_equal(tt_load_mnist(dir, "t10k", 0.0f, 1.0f, &te, err, sizeof err), 0);
    /* the official test split: 10,000 28x28 images, 1,000 per class (Xiao et al., 2017) */
    assert_int_equal(te->len, 10000);
    assert_int_equal(te->sample_shape[1], 28);
    assert_int_equal(te->sample_shape[2], 28);
    int64_t c[10];
    tt_dataset_class_counts(te, c);
    for (int k = 0; k < 10; k++) {
        assert_int_equal(c[k], 1000);
    }
    float x[784];
    int32_t y;
    tt_dataset_get(te, 0, x, &y);
    assert_int_equal(y, 9); /* the first test image is an ankle boot */
    for (int i = 0; i < 784; i++) {
        assert_true(x[i] >= 0.0f && x[i] <= 1.0f);
    }
    tt_dataset_free(te);
}

int main(void)
{
    (void)tt_gradcheck; /* shared helpers this file does not need */
    (void)tt_test_input;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_memory_dataset, teardown),
        cmocka_unit_test_teardown(test_loader_batches, teardown),
        cmocka_unit_test_teardown(test_loader_shuffle, teardown),
        cmocka_unit_test_teardown(test_loader_state, teardown),
        cmocka_unit_test_teardown(test_tensor_dataset_regression, teardown),
        cmocka_unit_test_teardown(test_fields_mixed, teardown),
        cmocka_unit_test_teardown(test_transforms_flip_crop, teardown),
        cmocka_unit_test_teardown(test_transforms_normalize, teardown),
        cmocka_unit_test_teardown(test_loader_augment, teardown),
        cmocka_unit_test_teardown(test_idx_reader, teardown),
        cmocka_unit_test_teardown(test_mnist_loader, teardown),
        cmocka_unit_test_teardown(test_csv_loader, teardown),
        cmocka_unit_test_teardown(test_tinydigits, teardown),
        cmocka_unit_test_teardown(test_fashion_mnist, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
