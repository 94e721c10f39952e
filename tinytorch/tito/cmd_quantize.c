/* cmd_quantize.c - `tito quantize`: post-training int8 quantization of a milestone checkpoint
 * (module 15). Everything it computes is a library call (tt_quantize_model, tt_qmodel_accuracy,
 * tt_qmodel_save); this file parses options and prints. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tinytorch/checkpoint.h"
#include "tinytorch/gemm.h"
#include "tinytorch/quant.h"
#include "zoo.h"

#include "commands.h"

static void quantize_usage(FILE *f)
{
    fprintf(f,
            "usage: tito quantize CKPT [options]\n"
            "\n"
            "Quantizes a milestone checkpoint (LeNet-5 or an MLP from 'tito milestone run 04|03 --out DIR') to\n"
            "int8: per-channel symmetric int8 weights, per-tensor asymmetric int8 activations, int32 bias,\n"
            "fixed-point requantization. Reports float and int8 test accuracy and the file sizes.\n"
            "\n"
            "options:\n"
            "  --out FILE         the int8 model (default: CKPT with .int8.safetensors)\n"
            "  --calib N          calibration images from the training set (default 1000)\n"
            "  --method M         activation ranges: minmax (default), percentile, mse\n"
            "  --percentile P     for --method percentile (default 99.99)\n"
            "  --max-drop PTS     exit 1 when int8 accuracy is more than PTS points below float (default 0.5)\n"
            "  --data DIR         data sets (default: $MLSB_DATA, ./data, or the source tree's data/)\n"
            "  --seed S           TinyDigits split seed (default 42, as the milestones)\n"
            "  --qat E            quantization-aware fine-tuning first: E epochs with the weights fake-\n"
            "                     quantized (straight-through estimator), then the same PTQ; prints\n"
            "                     PTQ alone beside it\n"
            "  --qat-lr LR        its learning rate (Adam, cosine to 0; default 1e-4)\n"
            "\n"
            "examples:\n"
            "  tito milestone run 04 --out runs\n"
            "  tito quantize runs/04_cnn_lenet5_fashion_mnist.safetensors --calib 1000 --out lenet.int8.safetensors\n"
            "  tito quantize runs/03_mlp_fashion_mnist.safetensors --method mse\n"
            "\n"
            "exit status: 0 done, 1 done but the accuracy drop exceeds --max-drop, 2 error (nothing written)\n");
}

static int qbad(const char *fmt, const char *arg)
{
    fprintf(stderr, "tito quantize: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'tito quantize --help')\n");
    return 2;
}

static long long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return strcmp(a, b) == 0 ||
           (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

int tito_cmd_quantize(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        quantize_usage(stdout);
        return 0;
    }
    if (argc < 1 || argv[0][0] == '-') {
        return qbad("%s", "which checkpoint? (tito quantize CKPT ...)");
    }
    const char *ckpt = argv[0], *out = NULL, *data = NULL;
    long long n_calib = 1000;
    double max_drop = 0.5;
    unsigned long long seed = 42;
    tt_quant_opts qo = {TT_CALIB_MINMAX, 99.99};
    long long qat_epochs = 0;
    double qat_lr = 1e-4;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            quantize_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--out") && strcmp(a, "--calib") && strcmp(a, "--method") && strcmp(a, "--percentile") &&
            strcmp(a, "--max-drop") && strcmp(a, "--data") && strcmp(a, "--seed") && strcmp(a, "--qat") &&
            strcmp(a, "--qat-lr")) {
            return qbad("unknown option '%s'", a);
        }
        if (!v) {
            return qbad("option '%s' needs a value", a);
        }
        i++;
        char *end;
        errno = 0;
        if (strcmp(a, "--out") == 0) {
            out = v;
        } else if (strcmp(a, "--data") == 0) {
            data = v;
        } else if (strcmp(a, "--calib") == 0) {
            n_calib = strtoll(v, &end, 10);
            if (*end || end == v || errno || n_calib < 1) {
                return qbad("--calib wants a whole number >= 1, not '%s'", v);
            }
        } else if (strcmp(a, "--qat") == 0) {
            qat_epochs = strtoll(v, &end, 10);
            if (*end || end == v || errno || qat_epochs < 1 || qat_epochs > 1000) {
                return qbad("--qat wants epochs from 1 to 1000, not '%s'", v);
            }
        } else if (strcmp(a, "--qat-lr") == 0) {
            qat_lr = strtod(v, &end);
            if (*end || end == v || !(qat_lr > 0.0 && qat_lr < 10.0)) {
                return qbad("--qat-lr wants a rate in (0, 10), not '%s'", v);
            }
        } else if (strcmp(a, "--method") == 0) {
            if (tt_calib_method_parse(v, &qo.calib) != 0) {
                return qbad("--method wants minmax, percentile or mse, not '%s'", v);
            }
        } else if (strcmp(a, "--percentile") == 0) {
            qo.percentile = strtod(v, &end);
            if (*end || end == v || !(qo.percentile > 50.0 && qo.percentile <= 100.0)) {
                return qbad("--percentile wants a number in (50, 100], not '%s'", v);
            }
        } else if (strcmp(a, "--max-drop") == 0) {
            max_drop = strtod(v, &end);
            if (*end || end == v || !(max_drop >= 0.0 && max_drop <= 100.0)) {
                return qbad("--max-drop wants points in [0, 100], not '%s'", v);
            }
        } else {
            seed = strtoull(v, &end, 10);
            if (*end || end == v || errno || v[0] == '-') {
                return qbad("--seed wants a non-negative whole number, not '%s'", v);
            }
        }
    }
    char def_out[4096];
    if (!out) {
        size_t n = strlen(ckpt);
        const char *ext = ".safetensors";
        size_t el = strlen(ext);
        if (n > el && strcmp(ckpt + n - el, ext) == 0) {
            n -= el;
        }
        if (n + 32 > sizeof def_out) {
            return qbad("checkpoint path too long: '%s'", ckpt);
        }
        snprintf(def_out, sizeof def_out, "%.*s.int8.safetensors", (int)n, ckpt);
        out = def_out;
    }
    if (same_file(ckpt, out)) {
        return qbad("--out '%s' is the checkpoint itself: choose another file", out);
    }
    char err[1024];
    tt_layer *model = NULL;
    const tito_zoo_entry *e = tito_zoo_load(ckpt, &model, err, sizeof err);
    if (!e) {
        fprintf(stderr, "tito quantize: %s\n", err);
        return 2;
    }
    tt_dataset *train = NULL, *test = NULL;
    const char *dd = tito_data_dir(data);
    if (tito_zoo_data(e, dd, seed, &train, &test, err, sizeof err) != 0) {
        fprintf(stderr, "tito quantize: %s\n  (scripts/fetch-data.sh puts the data sets under data/; or pass --data DIR)\n",
                err);
        tt_layer_free(model);
        return 2;
    }
    char derived[TITO_ZOO_DERIVED_MAX];
    printf("%s (milestone %s%s) from %s\n", e->name, e->milestone, tito_zoo_derived(e, model, derived, sizeof derived),
           ckpt);
    int rc = 2;
    if (n_calib > train->len) {
        fprintf(stderr, "tito quantize: --calib %lld: the %s training set has %lld images\n", n_calib, e->data,
                (long long)train->len);
    } else {
        double ptq_only = -1.0, af0 = -1.0;
        int qrc = 0;
        if (qat_epochs > 0) {
            /* PTQ of the model as trained, for comparison; then QAT, then the same PTQ */
            tt_qmodel *q0 = tt_quantize_model(model, e->in_ndim, e->in_shape, train, n_calib, &qo, err, sizeof err);
            if (q0) {
                af0 = tito_float_accuracy(model, test);
                ptq_only = tt_qmodel_accuracy(q0, test, 256);
                tt_qmodel_free(q0);
                const char *th = getenv("TT_NUM_THREADS");
                tt_set_num_threads(th && atoi(th) > 0 ? atoi(th) : 1);
                tt_qat_opts qa = {(int)qat_epochs, (float)qat_lr, 64, seed};
                double ql = 0.0;
                qrc = tt_qat_finetune(model, train, &qa, &ql, err, sizeof err);
                if (qrc == 0) {
                    printf("  QAT: %lld epoch%s, lr %g, weights fake-quantized (straight-through estimator), last "
                           "epoch's loss %.4f\n", qat_epochs, qat_epochs > 1 ? "s" : "", qat_lr, ql);
                }
            }
        }
        tt_qmodel *q = qrc != 0 ? NULL
                                : tt_quantize_model(model, e->in_ndim, e->in_shape, train, n_calib, &qo, err, sizeof err);
        if (!q) {
            fprintf(stderr, "tito quantize: %s\n", err);
        } else {
            printf("  calibration: %lld training images, %s ranges; int8 kernels: %s\n", n_calib,
                   tt_calib_method_name(qo.calib), tt_q8_kernel());
            double af = tito_float_accuracy(model, test), aq = tt_qmodel_accuracy(q, test, 256);
            tt_params p;
            tt_params_init(&p);
            tt_layer_params(model, &p);
            const long long fp32_bytes = (long long)tt_params_numel(&p) * 4;
            tt_params_free(&p);
            char src[1200];
            snprintf(src, sizeof src, "%s", ckpt);
            tt_kv meta[] = {{"source", src}, {"model", e->name}, {"calibration", tt_calib_method_name(qo.calib)}};
            if (tt_qmodel_save(q, out, meta, 3, err, sizeof err) != 0) {
                fprintf(stderr, "tito quantize: %s\n", err);
            } else {
                const long long qb = file_size(out);
                if (qat_epochs > 0) {
                    printf("  test accuracy (%lld images): float as trained %.2f %%, int8 PTQ alone %.2f %% (%+.2f "
                           "points); after QAT: float %.2f %%, int8 %.2f %% (%+.2f points vs float as trained)\n",
                           (long long)test->len, 100.0 * af0, 100.0 * ptq_only, 100.0 * (ptq_only - af0), 100.0 * af,
                           100.0 * aq, 100.0 * (aq - af0));
                } else {
                    printf("  test accuracy (%lld images): float %.2f %%, int8 %.2f %% (%+.2f points)\n",
                           (long long)test->len, 100.0 * af, 100.0 * aq, 100.0 * (aq - af));
                }
                printf("  size: fp32 parameters %lld bytes, int8 file %lld bytes (%.2fx smaller)\n", fp32_bytes, qb,
                       (double)fp32_bytes / (double)qb);
                printf("  wrote %s\n", out);
                rc = 100.0 * ((qat_epochs > 0 ? af0 : af) - aq) > max_drop ? 1 : 0;
                if (rc == 1) {
                    printf("  the drop exceeds --max-drop %.2f points (try --method mse or percentile)\n", max_drop);
                }
            }
            tt_qmodel_free(q);
        }
    }
    tt_dataset_free(train);
    tt_dataset_free(test);
    tt_layer_free(model);
    return rc;
}
