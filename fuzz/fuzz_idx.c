/* fuzz_idx.c - IDX files (plain or gzip, by magic bytes) through tt_idx_read, and a readable 3-d
 * uint8 one through tt_load_mnist with labels made to match, reading its first and last sample.
 * Properties: no crash, no sanitizer report; a refusal has a message; an accepted file's element
 * count is the product of its sizes. */
#include "fuzz_util.h"
#include "tinytorch/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    tt_idx idx;
    const char *p = fuzz_file("f-images-idx3-ubyte", data, size);
    if (tt_idx_read(p, &idx, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != 0, "refused without a message");
        FUZZ_CHECK(idx.data == NULL, "refused but left data behind");
        return 0;
    }
    int64_t prod = 1;
    for (int d = 0; d < idx.ndim; d++) {
        prod *= idx.shape[d];
    }
    FUZZ_CHECK(prod == idx.numel, "numel %lld, sizes multiply to %lld", (long long)idx.numel, (long long)prod);
    int64_t n = idx.shape[0];
    bool mnist = idx.ndim == 3 && idx.type == 0x08 && n <= 4096;
    tt_idx_free(&idx);
    if (!mnist) {
        return 0;
    }
    uint8_t lab[8 + 4096];
    memcpy(lab, (const uint8_t[]){0, 0, 8, 1, 0, 0, (uint8_t)(n >> 8), (uint8_t)n}, 8);
    for (int64_t i = 0; i < n; i++) {
        lab[8 + i] = (uint8_t)(i % 10);
    }
    fuzz_file("f-labels-idx1-ubyte", lab, 8 + (size_t)n);
    tt_dataset *ds;
    if (tt_load_mnist(fuzz_tmpdir(), "f", 0.5f, 0.5f, &ds, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != 0, "mnist refused without a message");
        return 0;
    }
    FUZZ_CHECK(ds->len == n, "len %lld, want %lld", (long long)ds->len, (long long)n);
    if (n > 0) {
        float *x = malloc((size_t)ds->sample_numel * sizeof(float) + 1);
        int32_t y;
        tt_dataset_get(ds, 0, x, &y);
        tt_dataset_get(ds, n - 1, x, &y);
        FUZZ_CHECK(y == (int32_t)((n - 1) % 10), "label %d", y);
        free(x);
    }
    tt_dataset_free(ds);
    return 0;
}
