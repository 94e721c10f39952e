/* int8_bench.c - LeNet-5 inference on Fashion-MNIST: our int8 model (module 15) against our fp32
 * model, same trained weights, one thread.
 *
 *   int8_bench CKPT DATA_DIR OUT_DIR [seconds_per_window]
 * CKPT: milestone 04's LeNet-5 checkpoint. Writes OUT_DIR/lenet.fp32.safetensors (the weights alone)
 * and OUT_DIR/lenet.int8.safetensors, then prints one JSON line: accuracy of both on the official
 * 10,000-image test set, both file sizes, and images/s at batch 1 and 64 (best of 5 windows, the
 * four measurements' windows interleaved; the float model runs without gradient recording, each
 * step's tensors released; the int8 model's time includes quantizing the input and dequantizing the
 * logits). Calibration: 1,000 training images (every 60th), min-max ranges. BENCH_CPU_TIME=1 in the
 * environment times with the process's CPU clock instead of the wall clock (for a comparison on a
 * machine other jobs are loading).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"
#include "tinytorch/gemm.h"
#include "tinytorch/quant.h"
#include "../bench.h"

static void fp32_forward(tt_layer *m, const float *x, int64_t b, float *y)
{
    tt_arena_mark mk = tt_arena_get_mark();
    tt_tensor *out = tt_layer_forward(m, tt_from_data(TT_SHAPE(b, 1, 28, 28), x));
    memcpy(y, out->data, (size_t)out->numel * sizeof(float));
    tt_arena_release(mk);
}

static double fp32_accuracy(tt_layer *m, const tt_dataset *te)
{
    enum { B = 500 };
    static float x[B * 784], y[B * 10];
    int32_t lab[B];
    int64_t ok = 0;
    for (int64_t i0 = 0; i0 < te->len; i0 += B) {
        int64_t b = te->len - i0 < B ? te->len - i0 : B;
        for (int64_t i = 0; i < b; i++) {
            tt_dataset_get(te, i0 + i, x + i * 784, lab + i);
        }
        fp32_forward(m, x, b, y);
        for (int64_t i = 0; i < b; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) {
                best = y[i * 10 + c] > y[i * 10 + best] ? c : best;
            }
            ok += best == lab[i];
        }
    }
    return (double)ok / (double)te->len;
}

/* The fp32 model or the int8 one over the 64 images in x at batch b (64 / b calls per pass). */
typedef struct runner { tt_layer *f; tt_qmodel *q; } runner;
static void run_once(const runner *r, const float *x, int64_t b, float *y)
{
    if (r->q) {
        tt_qmodel_forward(r->q, x, b, y);
    } else {
        fp32_forward(r->f, x, b, y);
    }
}

/* images/s of one window of about `window` seconds */
static double window_rate(const runner *r, const float *x, int64_t b, double window)
{
    static float y[64 * 10];
    int64_t images = 0;
    double t0 = bench_now(), t;
    do {
        for (int64_t i = 0; i < 64; i += b) {
            run_once(r, x + i * 784, b, y);
        }
        images += 64;
        t = bench_now() - t0;
    } while (t < window);
    return (double)images / t;
}

/* The n runs' best of 5 windows each, the windows interleaved (run 0, 1, .., n-1, run 0, ..): on a
 * shared machine whose speed drifts, every run sees the same stretches of it. */
static void rates(const runner *const *r, const int64_t *b, int n, const float *x, double window, double *best)
{
    for (int i = 0; i < n; i++) {
        best[i] = 0.0;
    }
    for (int w = -1; w < 5; w++) { /* w = -1: warm-up */
        for (int i = 0; i < n; i++) {
            const double v = window_rate(r[i], x, b[i], window);
            best[i] = w >= 0 && v > best[i] ? v : best[i];
        }
    }
}

static long long fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: int8_bench CKPT DATA_DIR OUT_DIR [seconds_per_window]\n");
        return 2;
    }
    const double window = argc > 4 ? atof(argv[4]) : 0.3;
    char err[1024], p[2048];
    tt_set_num_threads(1);
    tt_layer *m = tt_lenet5_new(NULL);
    if (tt_checkpoint_load(argv[1], m, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 2;
    }
    tt_layer_train(m, false);
    tt_dataset *tr, *te;
    snprintf(p, sizeof p, "%s/fashion-mnist", argv[2]);
    if (tt_load_mnist(p, "train", 0.2860f, 0.3530f, &tr, err, sizeof err) != 0 ||
        tt_load_mnist(p, "t10k", 0.2860f, 0.3530f, &te, err, sizeof err) != 0) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 2;
    }
    const int64_t in_shape[3] = {1, 28, 28};
    tt_quant_opts qo = {TT_CALIB_MINMAX, 99.99};
    tt_qmodel *q = tt_quantize_model(m, 3, in_shape, tr, 1000, &qo, err, sizeof err);
    if (!q) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 2;
    }
    /* the two files */
    char p32[2048], p8[2048];
    snprintf(p32, sizeof p32, "%s/lenet.fp32.safetensors", argv[3]);
    snprintf(p8, sizeof p8, "%s/lenet.int8.safetensors", argv[3]);
    tt_params prm;
    tt_params_init(&prm);
    tt_layer_params(m, &prm);
    if (tt_safetensors_save(p32, &prm, NULL, 0, err, sizeof err) != 0 || tt_qmodel_save(q, p8, NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 2;
    }
    tt_params_free(&prm);
    tt_no_grad_begin();
    const double acc32 = fp32_accuracy(m, te), acc8 = tt_qmodel_accuracy(q, te, 256);
    static float x[64 * 784];
    int32_t lab;
    for (int i = 0; i < 64; i++) {
        tt_dataset_get(te, i, x + i * 784, &lab);
    }
    runner rf = {m, NULL}, rq = {NULL, q};
    const runner *rs[4] = {&rf, &rf, &rq, &rq};
    const int64_t bs[4] = {1, 64, 1, 64};
    double v[4];
    rates(rs, bs, 4, x, window, v);
    const double f1 = v[0], f64 = v[1], q1 = v[2], q64 = v[3];
    tt_no_grad_end();
    printf("{\"accuracy_fp32\": %.4f, \"accuracy_int8\": %.4f, \"fp32_bytes\": %lld, \"int8_bytes\": %lld, "
           "\"fp32_b1\": %.1f, \"fp32_b64\": %.1f, \"int8_b1\": %.1f, \"int8_b64\": %.1f, \"kernel\": \"%s\", "
           "\"sgemm\": \"%s\", \"conv\": \"%s\"}\n",
           acc32, acc8, fsize(p32), fsize(p8), f1, f64, q1, q64, tt_q8_kernel(), tt_sgemm_kernel(), tt_conv2d_impl());
    tt_qmodel_free(q);
    tt_layer_free(m);
    tt_dataset_free(tr);
    tt_dataset_free(te);
    return 0;
}
