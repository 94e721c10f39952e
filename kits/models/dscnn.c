/* dscnn.c - the DS-CNN keyword-spotting model (kits/dscnn.h): built from TinyTorch layers, trained on
 * the synthetic feature set, quantized by module 15, saved for kit export. */
#include "kits/dscnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"
#include "tinytorch/optim.h"
#include "tinytorch/progress.h"
#include "tinytorch/quant.h"
#include "tinytorch/train.h"
#include "../src/kit_internal.h"
#include "tinytorch/fileio.h"

/* ---- the global average pool ---------------------------------------------------------------------- */

static tt_tensor *gap_forward(tt_layer *self, tt_tensor *x)
{
    (void)self;
    if (x->ndim != 4) {
        tt_fatal("GlobalAvgPool2d: input has %d dims, want [N, C, H, W]", x->ndim);
    }
    const int kh = (int)x->shape[2], kw = (int)x->shape[3];
    const tt_conv2d_geom g = {kh, kw, 0, 0, 1, 1, 1}; /* one window: the whole image */
    return tt_avg_pool2d_ex(x, kh, kw, &g);
}

static void gap_destroy(tt_layer *self) { free(self); }

static const tt_layer_ops gap_ops = {"GlobalAvgPool2d", gap_forward, NULL, NULL, gap_destroy, NULL};

tt_layer *kit_global_avgpool_new(void)
{
    tt_layer *l = calloc(1, sizeof *l);
    if (!l) {
        tt_fatal("kit_global_avgpool_new: out of memory");
    }
    l->ops = &gap_ops;
    l->training = true;
    return l;
}

/* ---- the model ------------------------------------------------------------------------------------ */

enum { CH = 64 };

tt_layer *kit_dscnn_new(uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    tt_layer *l[32];
    int n = 0;
    /* the first conv: a 10x4 kernel (10 frames x 4 coefficients), stride 2, padding 1 */
    tt_conv2d_layer *c0 = (tt_conv2d_layer *)tt_conv2d_new(1, CH, 10, 2, 1, 1, 1, false, &r);
    tt_tensor_free(c0->weight);
    c0->weight = tt_tensor_new_persistent(TT_SHAPE(CH, 1, 10, 4));
    c0->weight->name = "weight";
    tt_init_tensor(c0->weight, TT_INIT_PYTORCH, 40, CH * 40, &r);
    tt_set_requires_grad(c0->weight, true);
    c0->kw = 4;
    l[n++] = &c0->base;
    l[n++] = tt_batchnorm2d_new(CH, 0.1f, 1e-5f, true);
    l[n++] = tt_relu_new();
    for (int b = 0; b < 4; b++) {
        l[n++] = tt_conv2d_new(CH, CH, 3, 1, 1, 1, CH, false, &r); /* depthwise 3x3 */
        l[n++] = tt_batchnorm2d_new(CH, 0.1f, 1e-5f, true);
        l[n++] = tt_relu_new();
        l[n++] = tt_conv2d_new(CH, CH, 1, 1, 0, 1, 1, false, &r); /* pointwise 1x1 */
        l[n++] = tt_batchnorm2d_new(CH, 0.1f, 1e-5f, true);
        l[n++] = tt_relu_new();
    }
    l[n++] = kit_global_avgpool_new();
    l[n++] = tt_flatten_new();
    l[n++] = tt_linear_new(CH, KIT_KWS_CLASSES, true, TT_INIT_PYTORCH, &r);
    return tt_sequential_new(n, l);
}

/* ---- data sets as safetensors --------------------------------------------------------------------- */

int kit_dataset_save(const char *path, const tt_dataset *ds, char *err, size_t errlen)
{
    int64_t shape[TT_MAX_DIMS + 1];
    const int nd = tt_dataset_shape(ds, shape);
    tt_tensor *x = tt_tensor_new_persistent(nd, shape), *y = tt_tensor_new_persistent(1, shape);
    for (int64_t i = 0; i < ds->len; i++) {
        int32_t lab;
        tt_dataset_get(ds, i, x->data + i * ds->sample_numel, &lab);
        y->data[i] = (float)lab;
    }
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "x", x);
    tt_params_add(&p, "y", y);
    const tt_kv meta[] = {{"content", "labelled samples: x = features, y = class index"}};
    int rc = tt_safetensors_save(path, &p, meta, 1, err, errlen);
    tt_params_free(&p);
    tt_tensor_free(x);
    tt_tensor_free(y);
    return rc;
}

tt_dataset *kit_dataset_load(const char *path, char *err, size_t errlen)
{
    tt_safetensors_file *f = tt_safetensors_open(path, err, errlen);
    if (!f) {
        return NULL;
    }
    int64_t xs[TT_MAX_DIMS], ys[TT_MAX_DIMS];
    const int xd = tt_safetensors_tensor_info(f, "x", NULL, xs), yd = tt_safetensors_tensor_info(f, "y", NULL, ys);
    tt_dataset *ds = NULL;
    float *x = NULL, *yf = NULL;
    int32_t *y = NULL;
    if (xd < 2 || xd > 4 || yd != 1 || ys[0] != xs[0] || xs[0] < 1) {
        kit_err(err, errlen, "%s: want tensors \"x\" F32 [N, ...] (2 to 4 dims) and \"y\" F32 [N]", path);
        goto done;
    }
    int64_t numel = 1;
    for (int d = 1; d < xd; d++) {
        numel *= xs[d];
    }
    x = malloc((size_t)(xs[0] * numel) * sizeof *x);
    yf = malloc((size_t)xs[0] * sizeof *yf);
    y = malloc((size_t)xs[0] * sizeof *y);
    if (!x || !yf || !y) {
        kit_err(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (tt_safetensors_read(f, "x", "F32", xd, xs, x, err, errlen) != 0 ||
        tt_safetensors_read(f, "y", "F32", 1, ys, yf, err, errlen) != 0) {
        goto done;
    }
    for (int64_t i = 0; i < xs[0]; i++) {
        if (!(yf[i] >= 0.0f && yf[i] < 65536.0f) || yf[i] != floorf(yf[i])) {
            kit_err(err, errlen, "%s: tensor \"y\" entry %lld is %g, want a class index (a whole number >= 0)", path,
                    (long long)i, (double)yf[i]);
            goto done;
        }
        y[i] = (int32_t)yf[i];
    }
    ds = tt_dataset_from_memory(x, y, xs[0], xd - 1, xs + 1, 0);
    if (ds) {
        x = NULL;
        y = NULL;
    } else {
        kit_err(err, errlen, "%s: cannot make a data set of it", path);
    }
done:
    free(x);
    free(yf);
    free(y);
    tt_safetensors_close(f);
    return ds;
}

/* ---- training ------------------------------------------------------------------------------------- */

int kit_dscnn_train(const char *out_dir, const kit_dscnn_opts *opts, kit_dscnn_result *res, char *err,
                    size_t errlen)
{
    kit_dscnn_opts o = {6000, 2000, 8, 64, 3e-3f, 1, 500, 0};
    if (opts) {
        o = *opts;
    }
    memset(res, 0, sizeof *res);
    if (o.n_train < 12 || o.n_test < 1 || o.epochs < 1 || o.batch < 1 || !(o.lr > 0.0f) || o.calib < 1 ||
        o.calib > o.n_train) {
        return kit_err(err, errlen, "dscnn: want at least 12 training samples, 1 test sample, 1 epoch, batch >= 1, "
                                    "lr > 0 and 1 <= calib <= training samples");
    }
    if (tt_mkdir_p(out_dir, err, errlen) != 0) {
        return -1;
    }
    tt_dataset *train = kit_kws_dataset(o.seed, o.n_train), *test = kit_kws_dataset(o.seed + 1000, o.n_test);
    tt_layer *model = kit_dscnn_new(o.seed);
    tt_qmodel *q = NULL;
    tt_dataloader dl;
    bool dl_ok = false;
    int rc = -1;
    if (!train || !test) {
        kit_err(err, errlen, "dscnn: out of memory for the data");
        goto done;
    }
    if (tt_dataloader_init(&dl, train, o.batch, true, false, o.seed, err, errlen) != 0) {
        goto done;
    }
    dl_ok = true;
    const tt_params *p = tt_layer_parameters(model);
    res->params = tt_params_numel(p);
    tt_optimizer *opt = tt_adam(p, (tt_adam_opts){.lr = o.lr});
    tt_scheduler *sch = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = o.epochs * tt_dataloader_len(&dl)});
    const double t0 = tt_now_seconds();
    rc = 0;
    for (int e = 0; e < o.epochs && rc == 0; e++) {
        tt_layer_train(model, true);
        tt_dataloader_start_epoch(&dl);
        double sum = 0.0;
        int64_t nb = 0;
        tt_batch b;
        for (;;) {
            tt_arena_mark mk = tt_arena_get_mark();
            if (!tt_dataloader_next(&dl, &b)) {
                tt_arena_release(mk);
                break;
            }
            tt_optim_zero_grad(opt);
            tt_tensor *loss = tt_cross_entropy(tt_layer_forward(model, b.x), b.y);
            const double lv = loss->data[0];
            if (isfinite(lv)) {
                tt_backward(loss);
            }
            tt_arena_release(mk);
            if (!isfinite(lv)) {
                kit_err(err, errlen, "dscnn: the loss is not finite at epoch %d (try a smaller --lr)", e + 1);
                rc = -1;
                break;
            }
            tt_optim_step(opt);
            tt_scheduler_step(sch);
            sum += lv;
            nb++;
        }
        res->last_loss = nb ? sum / (double)nb : 0.0;
        if (o.verbose) {
            double acc = 0.0;
            tt_evaluate(model, test, 256, NULL, &acc);
            fprintf(stderr, "dscnn: epoch %d/%d  loss %.4f  test accuracy %.4f  (%.0f s)\n", e + 1, o.epochs,
                    res->last_loss, acc, tt_now_seconds() - t0);
        }
    }
    res->train_seconds = tt_now_seconds() - t0;
    tt_scheduler_free(sch);
    tt_optim_free(opt);
    if (rc != 0) {
        goto done;
    }
    rc = -1;
    tt_layer_train(model, false);
    tt_evaluate(model, test, 256, NULL, &res->float_accuracy);
    tt_layer_train(model, false);
    const int64_t in_shape[3] = {1, KIT_KWS_FRAMES, KIT_KWS_COEFFS};
    const tt_quant_opts qo = {TT_CALIB_MINMAX, 99.99};
    if (!(q = tt_quantize_model(model, 3, in_shape, train, o.calib, &qo, err, errlen))) {
        goto done;
    }
    res->int8_accuracy = tt_qmodel_accuracy(q, test, 256);
    char path[4096], fa[32], ia[32];
    snprintf(fa, sizeof fa, "%.4f", res->float_accuracy);
    snprintf(ia, sizeof ia, "%.4f", res->int8_accuracy);
    const tt_kv meta[] = {{"model", "DS-CNN (kits/models/dscnn.c)"},
                          {"data", "synthetic keyword-spotting features (kits/models/kws_synth.c), not speech"},
                          {"float_test_accuracy", fa},
                          {"int8_test_accuracy", ia}};
    snprintf(path, sizeof path, "%s/dscnn.int8.safetensors", out_dir);
    if (tt_qmodel_save(q, path, meta, 4, err, errlen) != 0) {
        goto done;
    }
    snprintf(path, sizeof path, "%s/dscnn.safetensors", out_dir);
    if (tt_checkpoint_save(path, model, NULL, meta, 2, err, errlen) != 0) {
        goto done;
    }
    snprintf(path, sizeof path, "%s/kws_test.safetensors", out_dir);
    if (kit_dataset_save(path, test, err, errlen) != 0) {
        goto done;
    }
    rc = 0;
done:
    if (dl_ok) {
        tt_dataloader_free(&dl);
    }
    tt_qmodel_free(q);
    tt_layer_free(model);
    tt_dataset_free(train);
    tt_dataset_free(test);
    return rc;
}
