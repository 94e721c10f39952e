/* lenet_fashion.c - LeNet-5 on Fashion-MNIST: convolutions, pooling and Adam with a cosine schedule;
 * test accuracy; a self-describing model file (input normalisation and class names included).
 *   usage: lenet_fashion DATA_DIR MODEL.safetensors [EPOCHS [TRAIN_IMAGES]]
 * DATA_DIR holds train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz] (scripts/fetch-data.sh). */
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/tinytorch.h"

static const char *const CLASSES[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

int main(int argc, char **argv)
{
    const float mean = 0.2860f, std = 0.3530f; /* Fashion-MNIST training pixels, scaled to [0, 1] */
    char err[512] = "usage: lenet_fashion DATA_DIR MODEL.safetensors [EPOCHS [TRAIN_IMAGES]]";
    int epochs = argc > 3 ? atoi(argv[3]) : 2;
    long n_train = argc > 4 ? atol(argv[4]) : 0;
    tt_dataset *full, *test;
    if (argc < 3 || epochs < 1 || n_train < 0 || tt_load_mnist(argv[1], "train", mean, std, &full, err, sizeof err) ||
        tt_load_mnist(argv[1], "t10k", mean, std, &test, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    tt_dataset *train = full;
    if (n_train > 0 && n_train < full->len) { /* a shorter run on the first n_train images */
        int64_t *idx = malloc((size_t)n_train * sizeof *idx);
        for (int64_t i = 0; i < n_train; i++) {
            idx[i] = i;
        }
        train = tt_dataset_subset(full, idx, n_train);
        free(idx);
    }
    tt_layer *model = tt_lenet5_new(NULL);
    tt_optimizer *opt = tt_adam(tt_layer_parameters(model), (tt_adam_opts){.lr = 2e-3f});
    tt_dataloader dl;
    tt_dataloader_init(&dl, train, 64, true, false, 1, err, sizeof err);
    tt_scheduler *sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = epochs * tt_dataloader_len(&dl)});
    tt_train_config cfg = {.epochs = epochs, .eval = test, .sched = sched, .name = "fashion-mnist"};
    tt_train_stats st;
    int rc = tt_fit(model, opt, &dl, &cfg, &st);
    printf("LeNet-5, %lld training images, %d epochs: test accuracy %.2f %%, %.0f samples/s\n",
           (long long)train->len, epochs, 100.0 * st.eval_accuracy, st.samples_per_s);
    tt_model_info info = {.data = train, .input_mean = mean, .input_std = std, .class_names = CLASSES};
    if (rc == 0 && tt_model_save(argv[2], model, &info, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        rc = 2;
    }
    tt_scheduler_free(sched);
    tt_dataloader_free(&dl);
    tt_optim_free(opt);
    tt_layer_free(model);
    if (train != full) {
        tt_dataset_free(train);
    }
    tt_dataset_free(full);
    tt_dataset_free(test);
    return rc == 0 ? 0 : rc == 2 ? 2 : 1;
}
