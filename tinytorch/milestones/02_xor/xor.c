/* xor.c - milestone 02, the XOR problem (Minsky & Papert, 1969): no single layer can compute XOR, a
 * hidden layer can.
 *
 * Data: the four points (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0 (train = test, as in the original
 * argument). Part 1 trains one neuron (Linear 2->1): a line splits the plane in two, so at most 3 of
 * the 4 points can be right: accuracy <= 75 % (the goal is to SEE that failure). Part 2 trains a
 * 2-4-1 network (tanh hidden layer, Adam): 100 % expected.
 */
#include <math.h>
#include <stdio.h>
#include "../ms_common.h"

static const float XS[8] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float YS[4] = {0, 1, 1, 0};

/* Binary cross-entropy of the model's logits against the 0/1 targets YS. */
static tt_tensor *xor_loss(void *model, const tt_batch *b, void *ctx)
{
    (void)ctx;
    return tt_bce_with_logits(tt_layer_forward(model, b->x), tt_from_data(TT_SHAPE(4, 1), YS));
}

/* Trains `model` on the 4 points for `steps` full-batch steps; returns the final accuracy. */
static double train_xor(tt_layer *model, tt_optimizer *opt, int steps, double *loss_out)
{
    double loss = NAN;
    for (int s = 0; s < steps; s++) {
        tt_batch b = {.x = tt_from_data(TT_SHAPE(4, 2), XS), .size = 4};
        tt_step_result r;
        tt_train_step(model, opt, &b, &(tt_step_opts){.loss = xor_loss}, &r);
        loss = r.loss;
    }
    tt_no_grad_begin();
    tt_tensor *logit = tt_layer_forward(model, tt_from_data(TT_SHAPE(4, 2), XS));
    int correct = 0;
    printf("      x1 x2 | target | output\n");
    for (int i = 0; i < 4; i++) {
        float prob = 1.0f / (1.0f + expf(-logit->data[i]));
        correct += (logit->data[i] > 0.0f) == (YS[i] > 0.5f);
        printf("       %d  %d |   %d    |  %.3f\n", (int)XS[2 * i], (int)XS[2 * i + 1], (int)YS[i], (double)prob);
    }
    tt_no_grad_end();
    tt_arena_reset();
    *loss_out = loss;
    return correct / 4.0;
}

static int xor_run(const tt_milestone_opts *o, tt_milestone_result *res)
{
    int steps = o->epochs > 0 ? o->epochs : (o->quick ? 1000 : 2000);
    tt_rng r;
    tt_rng_seed(&r, o->seed);
    printf("Milestone 02 - XOR (Minsky & Papert, 1969): why networks need hidden layers\n");

    printf("  Part 1: a single layer, Linear(2, 1), %d steps\n", steps);
    tt_layer *single = tt_linear_new(2, 1, true, TT_INIT_PYTORCH, &r);
    tt_params p1;
    tt_params_init(&p1);
    tt_layer_params(single, &p1);
    tt_optimizer *o1 = tt_adam(&p1, (tt_adam_opts){.lr = 0.05f});
    double l1, a1 = train_xor(single, o1, steps, &l1);
    bool fail_seen = tt_ms_check("single layer accuracy", a1, 0.75, false);

    printf("  Part 2: a hidden layer, 2-4-1 with tanh, %d steps\n", steps);
    tt_layer *layers[3] = {tt_linear_new(2, 4, true, TT_INIT_XAVIER_UNIFORM, &r), tt_tanh_new(),
                           tt_linear_new(4, 1, true, TT_INIT_XAVIER_UNIFORM, &r)};
    tt_layer *net = tt_sequential_new(3, layers);
    tt_params p2;
    tt_params_init(&p2);
    tt_layer_params(net, &p2);
    tt_optimizer *o2 = tt_adam(&p2, (tt_adam_opts){.lr = 0.05f});
    double l2, a2 = train_xor(net, o2, steps, &l2);
    bool solved = tt_ms_check("2-4-1 network accuracy", a2, 1.0, true);

    tt_ms_result_num(res, "test_accuracy", a2);
    tt_ms_result_num(res, "single_layer.accuracy", a1);
    tt_ms_result_num(res, "single_layer.final_loss", l1);
    tt_ms_result_num(res, "hidden_layer.accuracy", a2);
    tt_ms_result_num(res, "hidden_layer.final_loss", l2);
    tt_ms_result_num(res, "hidden_layer.params", (double)tt_params_numel(&p2));
    tt_ms_result_num(res, "steps", steps);
    tt_kv meta[] = {{"milestone", "02"}, {"model", "Linear(2, 4) tanh Linear(4, 1)"}};
    int rc = tt_ms_save(o, "02_xor", "", net, o2, meta, 2, NULL, res);
    tt_optim_free(o1);
    tt_optim_free(o2);
    tt_params_free(&p1);
    tt_params_free(&p2);
    tt_layer_free(single);
    tt_layer_free(net);
    return rc ? rc : (fail_seen && solved ? 0 : 1);
}

const tt_milestone tt_milestone_02 = {
    "02", "XOR", "1969", "a single layer fails on XOR (<= 75 %), a 2-4-1 network solves it (100 %)", xor_run,
    NULL, 0, 8, "test_accuracy", false, false,
};
