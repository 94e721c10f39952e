/* fuzz_qmodel.c - module 15's int8 model files through tt_qmodel_load. Properties: no crash or
 * sanitizer report; a refusal has a message naming the file; a loaded model is consistent (every
 * layer's input shape is the previous layer's output shape) and runs one image through the int8 path
 * with every output inside int8; saved again and reloaded, it gives the same outputs bit for bit. */
#include "fuzz_util.h"
#include "tinytorch/quant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs stay under 1 MB of activations so one run takes milliseconds. */
#define FUZZ_MAX_NUMEL (1 << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    const char *p = fuzz_file("in.safetensors", data, size);
    tt_qmodel *m = tt_qmodel_load(p, err, sizeof err);
    if (!m) {
        FUZZ_CHECK(strncmp(err, p, strlen(p)) == 0, "message does not name the file: %s", err);
        return 0;
    }
    FUZZ_CHECK(m->n >= 1 && m->in_numel >= 1 && m->out_numel >= 1, "empty model accepted (n %d)", m->n);
    for (int i = 1; i < m->n; i++) {
        const tt_qlayer *a = &m->layers[i - 1], *b = &m->layers[i];
        FUZZ_CHECK(a->out_shape[0] * a->out_shape[1] * a->out_shape[2] ==
                       b->in_shape[0] * b->in_shape[1] * b->in_shape[2],
                   "layer %d reads %lld values, layer %d writes %lld", i,
                   (long long)(b->in_shape[0] * b->in_shape[1] * b->in_shape[2]), i - 1,
                   (long long)(a->out_shape[0] * a->out_shape[1] * a->out_shape[2]));
    }
    /* run one image when the model is small enough to keep the harness fast */
    int64_t biggest = m->in_numel;
    for (int i = 0; i < m->n; i++) {
        const tt_qlayer *l = &m->layers[i];
        int64_t o = l->out_shape[0] * l->out_shape[1] * l->out_shape[2];
        biggest = o > biggest ? o : biggest;
    }
    if (biggest <= FUZZ_MAX_NUMEL) {
        int8_t *x = malloc((size_t)m->in_numel), *y = malloc((size_t)m->out_numel), *y2 = malloc((size_t)m->out_numel);
        FUZZ_CHECK(x && y && y2, "out of memory for %lld inputs", (long long)m->in_numel);
        for (int64_t i = 0; i < m->in_numel; i++) {
            x[i] = (int8_t)(i * 37 + 11);
        }
        if (tt_qmodel_forward_q(m, x, 1, y) == 0) {
            const char *p2 = fuzz_file("again.safetensors", (const uint8_t *)"", 0);
            FUZZ_CHECK(tt_qmodel_save(m, p2, NULL, 0, err, sizeof err) == 0, "saving a loaded model: %s", err);
            tt_qmodel *m2 = tt_qmodel_load(p2, err, sizeof err);
            FUZZ_CHECK(m2, "a saved model does not load back: %s", err);
            FUZZ_CHECK(m2->n == m->n && m2->in_numel == m->in_numel && m2->out_numel == m->out_numel,
                       "reloaded model has another shape");
            FUZZ_CHECK(tt_qmodel_forward_q(m2, x, 1, y2) == 0, "reloaded model does not run");
            FUZZ_CHECK(memcmp(y, y2, (size_t)m->out_numel) == 0, "reloaded model gives other outputs");
            tt_qmodel_free(m2);
        }
        free(x);
        free(y);
        free(y2);
    }
    tt_qmodel_free(m);
    return 0;
}
