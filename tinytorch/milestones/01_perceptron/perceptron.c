/* perceptron.c - milestone 01, Rosenblatt's perceptron (1958): one neuron, y = sigmoid(w . x + b),
 * learns to separate two Gaussian clusters in the plane.
 *
 * Data: 2 classes, 500 + 500 training and 100 + 100 test points, centres (-1.5, -1.5) and (1.5, 1.5),
 * standard deviation 0.8 per axis (seeded). The best possible accuracy is Phi(1.5*sqrt(2)/0.8) = 99.6 %;
 * goal >= 95 % on the test points. Trained with binary cross-entropy and full-batch gradient descent
 * (the modern reading of the perceptron; module 04's loss and module 07's SGD).
 * Part 1 needs only modules 01-03: the same neuron's forward pass with weights set by hand (w = (1, 1),
 * b = 0, the boundary half-way between the centres) classifies the test points; goal >= 95 %.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "../ms_common.h"

#define N_TRAIN 1000
#define N_TEST 200

static void make_clusters(tt_rng *r, int n, float *x, float *y)
{
    for (int i = 0; i < n; i++) {
        int c = i % 2;
        float m = c ? 1.5f : -1.5f;
        x[2 * i] = m + 0.8f * tt_rng_normal(r);
        x[2 * i + 1] = m + 0.8f * tt_rng_normal(r);
        y[i] = (float)c;
    }
}

static double accuracy(tt_layer *neuron, tt_tensor *x, const float *y, int n)
{
    tt_no_grad_begin();
    tt_tensor *logit = tt_layer_forward(neuron, x);
    int correct = 0;
    for (int i = 0; i < n; i++) {
        correct += (logit->data[i] > 0.0f) == (y[i] > 0.5f);
    }
    tt_no_grad_end();
    return (double)correct / n;
}

/* Binary cross-entropy of the neuron's logits against the 0/1 labels in ctx (one per sample). */
static tt_tensor *perceptron_loss(void *model, const tt_batch *b, void *ctx)
{
    return tt_bce_with_logits(tt_layer_forward(model, b->x), tt_from_data(TT_SHAPE(b->size, 1), ctx));
}

/* Part 1 (modules 01-03 only: tensors, activations, layers; no loss, no autograd): Rosenblatt's neuron
 * with weights set by hand, w = (1, 1), b = 0, the boundary x1 + x2 = 0 half-way between the two
 * centres. Its forward pass sigmoid(w . x + b) > 0.5 classifies the test points; goal >= 95 %. */
static int forward_only(const tt_milestone_opts *o, tt_milestone_result *res)
{
    tt_rng r;
    tt_rng_seed(&r, o->seed);
    float *xtr = malloc(sizeof(float) * 2 * N_TRAIN), *ytr = malloc(sizeof(float) * N_TRAIN);
    float *xte = malloc(sizeof(float) * 2 * N_TEST), *yte = malloc(sizeof(float) * N_TEST);
    if (!xtr || !ytr || !xte || !yte) {
        fprintf(stderr, "error: out of memory\n");
        free(xtr); free(ytr); free(xte); free(yte);
        return 2;
    }
    make_clusters(&r, N_TRAIN, xtr, ytr); /* the same points as part 2: its test set follows */
    make_clusters(&r, N_TEST, xte, yte);
    tt_layer *neuron = tt_linear_new(2, 1, true, TT_INIT_PYTORCH, &r);
    tt_linear_layer *lin = (tt_linear_layer *)neuron;
    lin->weight->data[0] = 1.0f;
    lin->weight->data[1] = 1.0f;
    lin->bias->data[0] = 0.0f;
    tt_set_requires_grad(lin->weight, false); /* nothing to learn here: the forward pass records no graph */
    tt_set_requires_grad(lin->bias, false);
    printf("Part 1 - the forward pass: y = sigmoid(x1 + x2), weights set by hand (no training)\n");
    tt_tensor *y = tt_sigmoid(tt_layer_forward(neuron, tt_from_data(TT_SHAPE(N_TEST, 2), xte)));
    int correct = 0;
    for (int i = 0; i < N_TEST; i++) {
        correct += (y->data[i] > 0.5f) == (yte[i] > 0.5f);
    }
    for (int i = 0; i < 4; i++) {
        printf("  x = (%6.3f, %6.3f)  y = %.4f  -> class %d (label %d)\n", (double)xte[2 * i], (double)xte[2 * i + 1],
               (double)y->data[i], y->data[i] > 0.5f, (int)yte[i]);
    }
    double acc = (double)correct / N_TEST;
    tt_arena_reset();
    bool met = tt_ms_check("forward-only test accuracy", acc, 0.95, true);
    tt_ms_result_num(res, "forward.test_accuracy", acc);
    tt_ms_result_num(res, "forward.goal", 0.95);
    tt_layer_free(neuron);
    free(xtr); free(ytr); free(xte); free(yte);
    return met ? 0 : 1;
}

/* Part 2: the neuron learns its weights (modules 04-08: loss, autograd, SGD, the training step). */
static int perceptron_train(const tt_milestone_opts *o, tt_milestone_result *res)
{
    int epochs = o->epochs > 0 ? o->epochs : (o->quick ? 50 : 200);
    tt_rng r;
    tt_rng_seed(&r, o->seed);
    float *xtr = malloc(sizeof(float) * 2 * N_TRAIN), *ytr = malloc(sizeof(float) * N_TRAIN);
    float *xte = malloc(sizeof(float) * 2 * N_TEST), *yte = malloc(sizeof(float) * N_TEST);
    if (!xtr || !ytr || !xte || !yte) {
        fprintf(stderr, "error: out of memory\n");
        free(xtr); free(ytr); free(xte); free(yte);
        return 2;
    }
    make_clusters(&r, N_TRAIN, xtr, ytr);
    make_clusters(&r, N_TEST, xte, yte);
    tt_layer *neuron = tt_linear_new(2, 1, true, TT_INIT_PYTORCH, &r);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(neuron, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.5f});
    printf("Part 2 - training: %d training / %d test points, %d epochs of full-batch gradient descent\n", N_TRAIN, N_TEST, epochs);
    double loss = NAN;
    for (int e = 0; e < epochs; e++) {
        tt_batch b = {.x = tt_from_data(TT_SHAPE(N_TRAIN, 2), xtr), .size = N_TRAIN};
        tt_step_result r;
        tt_train_step(neuron, opt, &b, &(tt_step_opts){.loss = perceptron_loss, .loss_ctx = ytr}, &r);
        loss = r.loss;
    }
    double acc_tr = accuracy(neuron, tt_from_data(TT_SHAPE(N_TRAIN, 2), xtr), ytr, N_TRAIN);
    double acc = accuracy(neuron, tt_from_data(TT_SHAPE(N_TEST, 2), xte), yte, N_TEST);
    tt_arena_reset();
    tt_linear_layer *lin = (tt_linear_layer *)neuron;
    printf("  learned boundary: %.3f*x1 + %.3f*x2 + %.3f = 0   (final loss %.4f)\n", (double)lin->weight->data[0],
           (double)lin->weight->data[1], (double)lin->bias->data[0], loss);
    printf("  train accuracy %.2f %%\n", 100.0 * acc_tr);
    bool met = tt_ms_check("test accuracy", acc, 0.95, true);
    tt_ms_result_num(res, "test_accuracy", acc);
    tt_ms_result_num(res, "train_accuracy", acc_tr);
    tt_ms_result_num(res, "final_loss", loss);
    tt_ms_result_num(res, "epochs", epochs);
    tt_ms_result_num(res, "params", (double)tt_params_numel(&p));
    tt_ms_result_num(res, "goal.test_accuracy_min", 0.95);
    tt_kv meta[] = {{"milestone", "01"}, {"model", "Linear(2, 1) + sigmoid"}};
    int rc = tt_ms_save(o, "01_perceptron", "", neuron, opt, meta, 2, NULL, res);
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(neuron);
    free(xtr); free(ytr); free(xte); free(yte);
    return rc ? rc : (met ? 0 : 1);
}

static const tt_milestone_part perceptron_parts[] = {
    {"forward pass with hand-set weights, no training, goal >= 95 %", 3, forward_only},
    {"training the neuron by gradient descent, goal >= 95 %", 8, perceptron_train},
};

static int perceptron_run(const tt_milestone_opts *o, tt_milestone_result *res)
{
    printf("Milestone 01 - the Perceptron (Rosenblatt, 1958): one neuron, two clusters\n");
    return tt_ms_run_declared(o, res, perceptron_parts, 2);
}

const tt_milestone tt_milestone_01 = {
    "01", "Perceptron", "1958", "one neuron separates two Gaussian clusters (goal: >= 95 % test accuracy)", perceptron_run,
    perceptron_parts, 2, 8, "test_accuracy", false, false,
};
