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
        cmocka_unit_test_teardown(test_idx_reader, teardown),
        cmocka_unit_test_teardown(test_mnist_loader, teardown),
        cmocka_unit_test_teardown(test_csv_loader, teardown),
        cmocka_unit_test_teardown(test_tinydigits, teardown),
        cmocka_unit_test_teardown(test_fashion_mnist, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
