/* cmd_profile.c - `tito profile`: where a training step of a milestone model spends its time and
 * memory, per layer and per backward op, placed on this machine's measured roofline (module 14).
 * The numbers come from tt_profile_sequential and tt_roofline_cached; this file parses and prints. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/gemm.h"
#include "tinytorch/profile.h"
#include "zoo.h"

#include "commands.h"

static void profile_usage(FILE *f)
{
    fprintf(f,
            "usage: tito profile CKPT|MILESTONE [options]\n"
            "\n"
            "Profiles one training step (forward, cross-entropy, backward) of milestone 04's LeNet-5 or\n"
            "milestone 03's MLP (fresh weights for a milestone number, trained ones from a checkpoint):\n"
            "per layer FLOPs, bytes, forward and backward time, share of the step, achieved GFLOP/s and\n"
            "arithmetic intensity against this machine's roofline (our SGEMM peak and a triad bandwidth,\n"
            "measured once and cached), per backward op calls and time, and the step's arena peak.\n"
            "It times what training runs: a Conv2d + ReLU (+ MaxPool2d(2)) that the Sequential fuses into\n"
            "one kernel is one call, reported on the Conv2d's row (the layers inside it are marked +).\n"
            "\n"
            "options:\n"
            "  --batch N        batch size (default 64)\n"
            "  --steps S        profiled steps after one warm-up (default 20)\n"
            "  --json FILE      write the profile as JSON (per layer: flops, bytes, seconds, ...)\n"
            "  --svg FILE       write the roofline plot (default with --json: FILE with .svg)\n"
            "  --roof FILE      the roofline cache (default ~/.cache/tinytorch/roofline.json)\n"
            "  --remeasure      measure the roof again (and update the cache)\n"
            "  --predict        also print each layer's forward time predicted by the roofline of this\n"
            "                   machine, max(FLOPs / peak, bytes / bandwidth), beside the measured time\n"
            "threads: one, as the milestones (TT_NUM_THREADS=N for more)\n"
            "\n"
            "examples:\n"
            "  tito profile 04\n"
            "  tito profile 04 --batch 128 --json lenet_profile.json\n"
            "  tito profile 04 --predict\n"
            "  tito profile runs/03_mlp_fashion_mnist.safetensors --svg mlp_roofline.svg\n"
            "\n"
            "exit status: 0 done, 2 error\n");
}

static int pbad(const char *fmt, const char *arg)
{
    fprintf(stderr, "tito profile: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'tito profile --help')\n");
    return 2;
}

int tito_cmd_profile(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        profile_usage(stdout);
        return 0;
    }
    if (argc < 1 || argv[0][0] == '-') {
        return pbad("%s", "what to profile? (a checkpoint or a milestone: 03, 04)");
    }
    const char *what = argv[0], *json = NULL, *svg = NULL, *roof = NULL;
    long long batch = 64, steps = 20;
    bool remeasure = false, predict = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--remeasure") == 0 || strcmp(a, "--predict") == 0) {
            *(strcmp(a, "--predict") == 0 ? &predict : &remeasure) = true;
            continue;
        }
        if (strcmp(a, "--batch") && strcmp(a, "--steps") && strcmp(a, "--json") && strcmp(a, "--svg") &&
            strcmp(a, "--roof")) {
            return pbad("unknown option '%s'", a);
        }
        if (!v) {
            return pbad("option '%s' needs a value", a);
        }
        i++;
        char *end;
        errno = 0;
        if (strcmp(a, "--batch") == 0 || strcmp(a, "--steps") == 0) {
            long long x = strtoll(v, &end, 10);
            if (*end || end == v || errno || x < 1 || x > 4096) {
                return pbad(strcmp(a, "--batch") == 0 ? "--batch wants a whole number from 1 to 4096, not '%s'"
                                                      : "--steps wants a whole number from 1 to 4096, not '%s'", v);
            }
            *(strcmp(a, "--batch") == 0 ? &batch : &steps) = x;
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (strcmp(a, "--svg") == 0) {
            svg = v;
        } else {
            roof = v;
        }
    }
    char err[1024], svg_def[4200];
    if (json && !svg) {
        size_t n = strlen(json);
        if (n > 4000) {
            return pbad("--json path too long: '%s'", json);
        }
        if (n > 5 && strcmp(json + n - 5, ".json") == 0) {
            n -= 5;
        }
        snprintf(svg_def, sizeof svg_def, "%.*s.svg", (int)n, json);
        svg = svg_def;
    }
    tt_layer *model = NULL;
    const tito_zoo_entry *e = tito_zoo_milestone(what);
    char *num_end;
    (void)strtol(what, &num_end, 10);
    if (e) {
        model = e->make();
    } else if (*what && !*num_end) {
        return pbad("milestone '%s' has no model to profile here (03: the MLP, 04: LeNet-5), or give a checkpoint",
                    what);
    } else if (!(e = tito_zoo_load(what, &model, err, sizeof err))) {
        fprintf(stderr, "tito profile: %s\n", err);
        return 2;
    }
    const char *th = getenv("TT_NUM_THREADS");
    tt_set_num_threads(th && atoi(th) > 0 ? atoi(th) : 1);
    /* a batch of standard-normal images (profiles do not depend on the values) */
    tt_rng r;
    tt_rng_seed(&r, 1);
    int64_t shape[4] = {batch, e->in_shape[0], e->in_shape[1], e->in_shape[2]};
    tt_tensor *x = tt_randn(4, shape, 0.0f, 1.0f, &r);
    int32_t *labels = malloc((size_t)batch * sizeof *labels);
    for (long long i = 0; labels && i < batch; i++) {
        labels[i] = (int32_t)(i % 10);
    }
    tt_profile p;
    if (!labels || tt_profile_sequential(model, x, labels, (int)steps, &p, err, sizeof err) != 0) {
        fprintf(stderr, "tito profile: %s\n", labels ? err : "out of memory");
        free(labels);
        tt_layer_free(model);
        return 2;
    }
    tt_roofline roofl;
    if (remeasure) {
        tt_roofline_measure(&roofl);
        tt_roofline_store(roof, &roofl);
    } else {
        tt_roofline_cached(roof, &roofl);
    }
    const double step = p.forward_seconds + p.loss_seconds + p.backward_seconds;
    const double ridge = roofl.peak_flops / roofl.bw_bytes_per_s;
    char derived[TITO_ZOO_DERIVED_MAX];
    printf("%s (milestone %s%s), batch %lld, %lld steps: %.3f ms per step (forward %.3f, loss %.3f, backward %.3f)\n",
           e->name, e->milestone, tito_zoo_derived(e, model, derived, sizeof derived), batch, steps, 1e3 * step,
           1e3 * p.forward_seconds, 1e3 * p.loss_seconds, 1e3 * p.backward_seconds);
    printf("roof (%s): peak %.1f GFLOP/s (our SGEMM 512^3, 1 thread), bandwidth %.1f GB/s (triad), ridge %.1f FLOP/B\n",
           roofl.cached ? "cached" : "measured now", roofl.peak_flops * 1e-9, roofl.bw_bytes_per_s * 1e-9, ridge);
    printf("\n  #  layer            MFLOP      KB  fwd ms  bwd ms  share  GFLOP/s  FLOP/B  bound    params\n");
    int any_fused = 0;
    for (int i = 0; i < p.n; i++) {
        const tt_prof_layer *l = &p.layers[i];
        const double in = l->bytes > 0 ? l->flops / l->bytes : 0.0;
        char kind[40];
        snprintf(kind, sizeof kind, "%s%s", l->fused == 0 ? "+ " : "", l->kind);
        any_fused |= l->fused != 1;
        /* a fused group's achieved rate: all its layers' FLOPs over the one call's time */
        const double gfl = tt_prof_call_flops(&p, i);
        if (l->fused == 0) {    /* no call of its own: its time is in the group's row above */
            printf("%3d  %-15s %7.2f %7.1f %7s %7s %6s %8s %7.2f  %-7s %7lld\n", i, kind, l->flops * 1e-6,
                   l->bytes / 1024.0, "-", "-", "-", "-", in, l->flops == 0 ? "-" : in < ridge ? "memory" : "compute",
                   (long long)l->params);
            continue;
        }
        printf("%3d  %-15s %7.2f %7.1f %7.3f %7.3f %5.1f%% %8.2f %7.2f  %-7s %7lld\n", i, kind, l->flops * 1e-6,
               l->bytes / 1024.0, 1e3 * l->seconds, 1e3 * l->backward_seconds,
               100.0 * (l->seconds + l->backward_seconds) / step, l->seconds > 0 ? gfl / l->seconds * 1e-9 : 0.0,
               in, l->flops == 0 ? "-" : in < ridge ? "memory" : "compute", (long long)l->params);
    }
    if (any_fused) {
        printf("  (+ layer: runs inside the fused kernel of the layer above it, as in training; that row's\n"
               "   times and GFLOP/s are the whole group's)\n");
    }
    if (predict) {
        /* the roofline model: this machine's entry is its measured SGEMM peak and triad bandwidth */
        printf("\n  predicted (roofline: max(FLOPs / %.1f GFLOP/s, bytes / %.1f GB/s)) vs measured, forward:\n",
               roofl.peak_flops * 1e-9, roofl.bw_bytes_per_s * 1e-9);
        printf("  #  layer            predicted ms  measured ms  measured/predicted\n");
        double tp = 0.0, tm = 0.0;
        for (int i = 0; i < p.n; i++) {
            const tt_prof_layer *l = &p.layers[i];
            if (l->fused == 0) {
                printf("%3d  + %-13s %12s %12s   (in the fused call above)\n", i, l->kind, "", "");
                continue;
            }
            double pr = 0.0;     /* a fused group: its layers' predictions added, against the one call */
            for (int j = i; j < i + (l->fused > 1 ? l->fused : 1) && j < p.n; j++) {
                pr += tt_roofline_predict(&roofl, p.layers[j].flops, p.layers[j].bytes);
            }
            tp += pr;
            tm += l->seconds;
            printf("%3d  %-15s %12.4f %12.4f %12.1fx\n", i, l->kind, 1e3 * pr, 1e3 * l->seconds,
                   pr > 0 ? l->seconds / pr : 0.0);
        }
        printf("     forward total    %12.4f %12.4f %12.1fx\n", 1e3 * tp, 1e3 * tm, tp > 0 ? tm / tp : 0.0);
        printf("     step (3 x forward, the usual backward = 2 x forward rule) %.4f ms predicted, %.4f ms measured\n",
               3e3 * tp, 1e3 * step);
    }
    printf("\n  backward op        calls  ms/step  share\n");
    for (int i = 0; i < p.n_ops; i++) {
        printf("  %-18s %5lld %8.3f %5.1f%%\n", p.ops[i].op, (long long)p.ops[i].calls, 1e3 * p.ops[i].seconds,
               100.0 * p.ops[i].seconds / step);
    }
    printf("\n  parameters %lld (%.1f KB), arena peak %.2f MiB per step; profiler overhead %+.1f %% of a step "
           "(plain step %.3f ms)\n",
           (long long)p.params, p.param_bytes / 1024.0, (double)p.arena_peak_bytes / 1048576.0,
           100.0 * (step / p.plain_step_seconds - 1.0), 1e3 * p.plain_step_seconds);
    int rc = 0;
    if (json && tt_profile_write_json(&p, &roofl, e->name, json, err, sizeof err) != 0) {
        fprintf(stderr, "tito profile: %s\n", err);
        rc = 2;
    } else if (json) {
        printf("  wrote %s\n", json);
    }
    if (rc == 0 && svg && tt_profile_write_svg(&p, &roofl, e->name, svg, err, sizeof err) != 0) {
        fprintf(stderr, "tito profile: %s\n", err);
        rc = 2;
    } else if (rc == 0 && svg) {
        printf("  wrote %s\n", svg);
    }
    tt_profile_free(&p);
    free(labels);
    tt_layer_free(model);
    tt_arena_reset();
    return rc;
}
