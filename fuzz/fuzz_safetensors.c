/* fuzz_safetensors.c - safetensors checkpoints through tt_safetensors_load (into a small model of
 * three tensors, loose and strict) and tt_safetensors_meta. Properties: no crash or sanitizer report;
 * a refusal has a message naming the file and leaves every tensor exactly as it was. */
#include "fuzz_util.h"
#include "tinytorch/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tt_tensor *w, *b, *e;
static tt_params params;

static void fill(void)
{
    for (int64_t i = 0; i < w->numel; i++) {
        w->data[i] = 0.5f + (float)i;
    }
    for (int64_t i = 0; i < b->numel; i++) {
        b->data[i] = -1.0f - (float)i;
    }
}

static bool untouched(void)
{
    for (int64_t i = 0; i < w->numel; i++) {
        if (w->data[i] != 0.5f + (float)i) {
            return false;
        }
    }
    for (int64_t i = 0; i < b->numel; i++) {
        if (b->data[i] != -1.0f - (float)i) {
            return false;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!w) {
        w = tt_tensor_new_persistent(2, (const int64_t[]){2, 3});
        b = tt_tensor_new_persistent(1, (const int64_t[]){3});
        e = tt_tensor_new_persistent(1, (const int64_t[]){0});
        tt_params_init(&params);
        tt_params_add(&params, "w", w);
        tt_params_add(&params, "b", b);
        tt_params_add(&params, "e", e);
    }
    char err[512] = "";
    const char *p = fuzz_file("in.safetensors", data, size);
    for (int strict = 0; strict < 2; strict++) {
        fill();
        if (tt_safetensors_load(p, &params, strict, err, sizeof err) != 0) {
            FUZZ_CHECK(strncmp(err, p, strlen(p)) == 0, "message does not name the file: %s", err);
            FUZZ_CHECK(untouched(), "a refused file changed a tensor");
        }
    }
    char val[256];
    int rc = tt_safetensors_meta(p, "classes", val, sizeof val, err, sizeof err);
    FUZZ_CHECK(rc >= -1 && rc <= 1, "meta returned %d", rc);
    return 0;
}
