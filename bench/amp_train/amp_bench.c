/* amp_bench.c - mixed precision (module 17) on the 784-128-10 MLP and Fashion-MNIST: the same
 * training (seed, batches, SGD) in fp32, bf16 and fp16 (dynamic loss scaling), one thread.
 *   amp_bench DATA_DIR [epochs batch]      default 2 64
 * Per precision, one JSON line: test accuracy after `epochs` epochs, training samples per second
 * (wall, or per CPU-second with BENCH_CPU_TIME=1: bench.h), the peak bytes of the operand copies
 * (tt_amp_copy_bytes_peak), the number of low-precision products per step, skipped steps and the
 * final loss scale. The last line compares bf16 and fp16 with fp32 measured in the same run. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/amp.h"
#include "tinytorch/data.h"
#include "tinytorch/gemm.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "../bench.h"

typedef struct { double acc, rate, cpu_share, loss; int64_t copy_bytes, products_per_step, skipped; float scale; } run_out;

static run_out run(tt_precision prec, tt_dataset *train, tt_dataset *test, int epochs, int64_t batch)
{
    char err[256];
    tt_rng r;
    tt_rng_seed(&r, 1);
    tt_layer *layers[4] = {tt_flatten_new(), tt_linear_new(784, 128, true, TT_INIT_PYTORCH, &r), tt_relu_new(),
                           tt_linear_new(128, 10, true, TT_INIT_PYTORCH, &r)};
    tt_layer *model = tt_sequential_new(4, layers);
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(model, &p);
    tt_optimizer *opt = tt_sgd(&p, (tt_sgd_opts){.lr = 0.05f, .momentum = 0.9f});
    tt_dataloader dl, tl;
    if (tt_dataloader_init(&dl, train, batch, true, true, 7, err, sizeof err) != 0 ||
        tt_dataloader_init(&tl, test, 500, false, false, 0, err, sizeof err) != 0) {
        fprintf(stderr, "amp_bench: %s\n", err);
        exit(2);
    }
    tt_amp amp = tt_amp_init(prec);
    tt_amp_stats_reset();
    run_out o = {0};
    int64_t samples = 0, steps = 0;
    const double t0 = bench_now(), c0 = bench_cpu_s(), w0 = bench_wall_s();
    for (int e = 0; e < epochs; e++) {
        tt_dataloader_start_epoch(&dl);
        tt_batch b;
        while (tt_dataloader_next(&dl, &b)) {
            tt_step_result sr;
            tt_amp_train_step(model, opt, &b, &amp, NULL, &sr);
            o.loss = sr.loss;
            samples += b.size;
            steps++;
        }
    }
    o.rate = (double)samples / (bench_now() - t0);
    o.cpu_share = (bench_cpu_s() - c0) / (bench_wall_s() - w0);
    o.copy_bytes = tt_amp_copy_bytes_peak();
    o.products_per_step = steps ? tt_amp_products() / steps : 0;
    o.skipped = amp.skipped;
    o.scale = amp.scale;
    /* evaluation in fp32 on the fp32 master weights */
    int64_t correct = 0, n = 0;
    tt_no_grad_begin();
    tt_dataloader_start_epoch(&tl);
    tt_batch b;
    while (tt_dataloader_next(&tl, &b)) {
        correct += tt_count_correct(tt_layer_forward(model, b.x), b.y);
        n += b.size;
        tt_arena_reset();
    }
    tt_no_grad_end();
    o.acc = n ? (double)correct / (double)n : 0.0;
    tt_optim_free(opt);
    tt_params_free(&p);
    tt_layer_free(model);
    tt_dataloader_free(&dl);
    tt_dataloader_free(&tl);
    return o;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: amp_bench DATA_DIR [epochs batch]\n");
        return 2;
    }
    const int epochs = argc > 2 ? atoi(argv[2]) : 2;
    const int64_t batch = argc > 3 ? atol(argv[3]) : 64;
    tt_set_num_threads(1);
    char dir[1024], err[512];
    snprintf(dir, sizeof dir, "%s/fashion-mnist", argv[1]);
    tt_dataset *train, *test;
    if (tt_load_mnist(dir, "train", 0.2860f, 0.3530f, &train, err, sizeof err) != 0 ||
        tt_load_mnist(dir, "t10k", 0.2860f, 0.3530f, &test, err, sizeof err) != 0) {
        fprintf(stderr, "amp_bench: %s\n", err);
        return 2;
    }
    run_out o[3];
    for (int p = 0; p < 3; p++) {
        o[p] = run((tt_precision)p, train, test, epochs, batch);
        bench_json j = bench_json_begin(stdout);
        bench_json_str(&j, "precision", tt_precision_name((tt_precision)p));
        bench_json_num(&j, "test_accuracy", "%.4f", o[p].acc);
        bench_json_num(&j, "samples_per_s", "%.1f", o[p].rate);
        bench_json_num(&j, "cpu_percent", "%.0f", 100.0 * o[p].cpu_share);
        bench_json_num(&j, "final_loss", "%.4f", o[p].loss);
        bench_json_num(&j, "operand_copy_bytes_peak", "%lld", (long long)o[p].copy_bytes);
        bench_json_num(&j, "half_products_per_step", "%lld", (long long)o[p].products_per_step);
        bench_json_num(&j, "skipped_steps", "%lld", (long long)o[p].skipped);
        bench_json_num(&j, "loss_scale", "%g", (double)o[p].scale);
        bench_json_str(&j, "gemm", tt_sgemm_kernel());
        bench_json_end(&j);
    }
    bench_json j = bench_json_begin(stdout);
    bench_json_str(&j, "name", "amp_train");
    bench_json_num(&j, "ours", "%.1f", o[1].rate);
    bench_json_num(&j, "anchor", "%.1f", o[0].rate);
    bench_json_str(&j, "unit", bench_uses_cpu_time() ? "samples/cpu-s" : "samples/s");
    bench_json_num(&j, "ratio", "%.3f", o[1].rate / o[0].rate);
    bench_json_num(&j, "ratio_fp16", "%.3f", o[2].rate / o[0].rate);
    bench_json_num(&j, "accuracy_fp32", "%.4f", o[0].acc);
    bench_json_num(&j, "accuracy_bf16", "%.4f", o[1].acc);
    bench_json_num(&j, "accuracy_fp16", "%.4f", o[2].acc);
    bench_json_num(&j, "epochs", "%d", epochs);
    bench_json_num(&j, "batch", "%lld", (long long)batch);
    bench_json_end(&j);
    tt_dataset_free(train);
    tt_dataset_free(test);
    return 0;
}
