/* mlp_csv.c - an MLP on a CSV file (a header row, the class in the last column): a seeded, stratified
 * 80/20 split, standardised features, Adam, test accuracy, and a self-describing model file that is
 * loaded back and must score the same.   usage: mlp_csv DATA.csv MODEL.safetensors */
#include <stdio.h>
#include "tinytorch/tinytorch.h"

int main(int argc, char **argv)
{
    char err[512] = "usage: mlp_csv DATA.csv MODEL.safetensors";
    tt_dataset *all, *train, *test;
    tt_standardizer norm;
    if (argc != 3 || tt_load_csv(argv[1], -1, true, 1.0f, &all, err, sizeof err) != 0 ||
        tt_dataset_split(all, 0.2, 42, &train, &test, err, sizeof err) != 0 || tt_standardize(train, test, &norm))
        return fprintf(stderr, "%s\n", err), 2;
    int64_t sizes[3] = {train->sample_numel, 32, train->num_classes};
    tt_layer *model = tt_mlp_new(3, sizes, NULL), *reloaded = tt_mlp_new(3, sizes, NULL);
    tt_optimizer *opt = tt_adam(tt_layer_parameters(model), (tt_adam_opts){.lr = 1e-2f});
    tt_dataloader dl;
    tt_dataloader_init(&dl, train, 32, true, false, 42, err, sizeof err);
    tt_train_config cfg = {.epochs = 20, .eval = test, .quiet = true};
    tt_train_stats st;
    tt_fit(model, opt, &dl, &cfg, &st);
    double acc = -1;
    if (tt_model_save(argv[2], model, &(tt_model_info){.data = train, .norm = &norm}, err, sizeof err) == 0 &&
        tt_checkpoint_load(argv[2], reloaded, NULL, err, sizeof err) == 0)
        tt_evaluate(reloaded, test, 1000, NULL, &acc);
    printf("test accuracy %.2f %%, after reloading %s: %.2f %%\n", 100 * st.eval_accuracy, argv[2], 100 * acc);
    return acc == st.eval_accuracy ? 0 : (fprintf(stderr, "%s\n", err), 1);
}
