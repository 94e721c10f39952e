/* kit - deploy int8 TinyTorch models to microcontrollers (see kits/ABOUT.md).
 * Exit codes: 0 ok; 1 the model does not fit the board / the emulated run is not bit-exact;
 * 2 usage; 3 bad input or a failed step (message on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kits/dscnn.h"
#include "kits/kit.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kit COMMAND ...\n"
            "  kit export Q.safetensors [--target cortex-m4] [--board NAME] [--out DIR] [--format plain|arduino]\n"
            "             [--flash-kb N] [--ram-kb N]\n"
            "      write a self-contained C project (const weights, static arena, freestanding runtime)\n"
            "  kit run DIR [--machine mps2-an386|host] [--images N] [--mnist DIR [--prefix t10k] [--mean M --std S]]\n"
            "             [--data SET.safetensors] [--timeout S] [--json] [--verbose]\n"
            "      cross-compile DIR, run it under qemu-system-arm (or build it with cc: --machine host), compare every\n"
            "      logit with TinyTorch's int8 inference (inputs: MNIST-format images, a labelled set written by\n"
            "      kit dscnn, or seeded pseudo-random int8 values)\n"
            "  kit size DIR [--machine mps2-an386] [--json]\n"
            "      flash and RAM of the built firmware and whether it fits each named board\n"
            "  kit boards\n"
            "  kit dscnn --out DIR [--train N] [--test N] [--epochs E] [--lr LR] [--batch B] [--seed S] [--calib N]\n"
            "      train the DS-CNN keyword-spotting model on the SYNTHETIC 49x10 feature set, quantize it: writes\n"
            "      DIR/dscnn.int8.safetensors, DIR/dscnn.safetensors, DIR/kws_test.safetensors\n"
            "examples:\n"
            "  tito quantize lenet.safetensors --calib 256 --out q.safetensors\n"
            "  kit export q.safetensors --target cortex-m4 --out lenet-m4\n"
            "  kit export q.safetensors --format arduino --out KitModel   (an Arduino library)\n"
            "  kit run lenet-m4 --machine mps2-an386 --images 100 --json\n"
            "  kit run lenet-m4 --machine host --images 10000 --mnist /usr/share/datasets/fashion-mnist \\\n"
            "      --mean 0.2860 --std 0.3530\n"
            "  kit size lenet-m4\n"
            "  kit dscnn --out kws && kit export kws/dscnn.int8.safetensors --out kws-m4 && \\\n"
            "      kit run kws-m4 --machine mps2-an386 --images 100 --data kws/kws_test.safetensors\n"
            "exit codes: 0 ok, 1 does not fit / not bit-exact, 2 usage, 3 bad input or failed step\n");
}

static int need(int i, int argc, const char *opt)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "kit: %s needs a value\n", opt);
        exit(2);
    }
    return i + 1;
}

static long long num(const char *s, const char *opt, long long lo, long long hi)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end || v < lo || v > hi) {
        fprintf(stderr, "kit: %s %s: want an integer in [%lld, %lld]\n", opt, s, lo, hi);
        exit(2);
    }
    return v;
}

static int cmd_export(int argc, char **argv)
{
    const char *q = NULL, *out = "kit-out";
    kit_export_opts o = {"cortex-m4", NULL, "plain", 0, 0};
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--target") == 0) {
            o.target = argv[i = need(i, argc, "--target")];
        } else if (strcmp(argv[i], "--board") == 0) {
            o.board = argv[i = need(i, argc, "--board")];
        } else if (strcmp(argv[i], "--out") == 0) {
            out = argv[i = need(i, argc, "--out")];
        } else if (strcmp(argv[i], "--format") == 0) {
            o.format = argv[i = need(i, argc, "--format")];
        } else if (strcmp(argv[i], "--flash-kb") == 0) {
            o.flash_bytes = 1024 * num(argv[i = need(i, argc, "--flash-kb")], "--flash-kb", 1, 1 << 30);
        } else if (strcmp(argv[i], "--ram-kb") == 0) {
            o.ram_bytes = 1024 * num(argv[i = need(i, argc, "--ram-kb")], "--ram-kb", 1, 1 << 30);
        } else if (argv[i][0] == '-' || q) {
            fprintf(stderr, "kit export: unexpected argument %s\n", argv[i]);
            return 2;
        } else {
            q = argv[i];
        }
    }
    if (!q) {
        fprintf(stderr, "kit export: no model given (kit export Q.safetensors --out DIR)\n");
        return 2;
    }
    kit_export_report r;
    char err[1024] = "";
    int rc = kit_export(q, out, &o, &r, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "kit export: %s\n", err);
        return 3;
    }
    printf("exported %s -> %s/ (target %s, board %s)\n", q, out, o.target, r.board->name);
    printf("  ops: %s (%d emitted)\n", r.ops_used, r.n_ops);
    printf("  const data: %lld bytes\n", (long long)r.param_bytes);
    printf("  arena: %lld bytes (liveness plan; one buffer per tensor: %lld bytes)\n", (long long)r.arena_bytes,
           (long long)r.naive_bytes);
    if (rc == 1) {
        fprintf(stderr, "kit export: %s\n", err);
        return 1;
    }
    return 0;
}

static void print_fit(const kit_run_result *r, int json)
{
    for (const kit_board *b = kit_boards; b->name; b++) {
        long long fm = (long long)(b->flash_bytes - r->flash_bytes), rm = (long long)(b->ram_bytes - r->ram_bytes);
        if (json) {
            printf("%s{\"board\":\"%s\",\"fits\":%s,\"flash_margin_bytes\":%lld,\"ram_margin_bytes\":%lld}",
                   b == kit_boards ? "" : ",", b->name, fm >= 0 && rm >= 0 ? "true" : "false", fm, rm);
        } else {
            printf("  %-18s %-12s %5lld KB flash %4lld KB RAM: %s (margin %lld B flash, %lld B RAM)\n", b->name,
                   b->part, (long long)b->flash_bytes / 1024, (long long)b->ram_bytes / 1024,
                   fm >= 0 && rm >= 0 ? "fits" : "DOES NOT FIT", fm, rm);
        }
    }
}

static int cmd_run(int argc, char **argv, int size_only)
{
    const char *dir = NULL;
    kit_run_opts o = {"mps2-an386", 10, NULL, "t10k", 0.0, 1.0, 600, false, NULL};
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--machine") == 0) {
            o.machine = argv[i = need(i, argc, "--machine")];
        } else if (strcmp(argv[i], "--images") == 0 && !size_only) {
            o.images = num(argv[i = need(i, argc, "--images")], "--images", 1, 1000000);
        } else if (strcmp(argv[i], "--mnist") == 0 && !size_only) {
            o.mnist_dir = argv[i = need(i, argc, "--mnist")];
        } else if (strcmp(argv[i], "--data") == 0 && !size_only) {
            o.data_path = argv[i = need(i, argc, "--data")];
        } else if (strcmp(argv[i], "--prefix") == 0 && !size_only) {
            o.mnist_prefix = argv[i = need(i, argc, "--prefix")];
        } else if (strcmp(argv[i], "--mean") == 0 && !size_only) {
            o.mean = atof(argv[i = need(i, argc, "--mean")]);
        } else if (strcmp(argv[i], "--std") == 0 && !size_only) {
            o.std = atof(argv[i = need(i, argc, "--std")]);
        } else if (strcmp(argv[i], "--timeout") == 0 && !size_only) {
            o.timeout_s = (double)num(argv[i = need(i, argc, "--timeout")], "--timeout", 1, 86400);
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            o.verbose = true;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "kit %s: unexpected argument %s\n", argv[1], argv[i]);
            return 2;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "kit %s: no project directory given (see kit --help)\n", argv[1]);
        return 2;
    }
    if (o.data_path && o.mnist_dir) {
        fprintf(stderr, "kit %s: --data and --mnist: give one source of inputs\n", argv[1]);
        return 2;
    }
    if (size_only) {
        o.images = 1;
        if (strcmp(o.machine, "host") == 0) {
            fprintf(stderr, "kit size: --machine host: sizes are for an emulated board (mps2-an386, ...)\n");
            return 2;
        }
    }
    kit_run_result r;
    char err[1024] = "";
    if (kit_run(dir, &o, &r, err, sizeof err) != 0) {
        fprintf(stderr, "kit %s: %s\n", argv[1], err);
        return 3;
    }
    if (json) {
        printf("{\"machine\":\"%s\",\"core\":\"%s\",", o.machine, r.core);
        if (!size_only) {
            printf("\"bit_exact\":%s,\"images\":%lld,\"mismatches\":%lld,\"accuracy\":", r.bit_exact ? "true" : "false",
                   (long long)r.images, (long long)r.mismatches);
            if (r.accuracy >= 0) {
                printf("%.4f,", r.accuracy);
            } else {
                printf("null,");
            }
            if (strcmp(r.core, "host") == 0) {
                printf("\"instructions_per_inference\":null,");
            } else {
                printf("\"instructions_per_inference\":%.0f,\"instructions_counted_by\":\"SysTick under qemu -icount "
                       "shift=0, calibrated by a 2000000-instruction loop\",",
                       r.instructions_per_inference);
            }
        }
        if (strcmp(r.core, "host") == 0) {
            printf("\"flash_bytes\":null,\"ram_bytes\":null");
        } else {
            printf("\"flash_bytes\":%lld,\"ram_bytes\":%lld,\"text\":%lld,\"data\":%lld,\"bss\":%lld,"
                   "\"stack_bytes\":%lld",
                   (long long)r.flash_bytes, (long long)r.ram_bytes, (long long)r.text, (long long)r.data,
                   (long long)r.bss, (long long)r.stack_bytes);
        }
        if (size_only) {
            printf(",\"boards\":[");
            print_fit(&r, 1);
            printf("]");
        }
        printf("}\n");
    } else {
        if (!size_only) {
            printf("%s (%s): %lld images, %s (%lld mismatching)\n", o.machine, r.core, (long long)r.images,
                   r.bit_exact ? "bit-exact with TinyTorch's int8 inference" : "NOT bit-exact",
                   (long long)r.mismatches);
            if (r.accuracy >= 0) {
                printf("  accuracy: %.4f\n", r.accuracy);
            }
            if (strcmp(r.core, "host") == 0) {
                return r.bit_exact ? 0 : 1; /* nothing counted or sized on the host */
            }
            printf("  instructions per inference: %.0f (SysTick under -icount shift=0; %.2f instructions per tick)\n",
                   r.instructions_per_inference, r.insns_per_tick);
        }
        printf("  flash: %lld bytes (text+rodata %lld, data %lld)\n", (long long)r.flash_bytes, (long long)r.text,
               (long long)r.data);
        printf("  RAM: %lld bytes (data %lld + bss %lld incl. the arena + stack high-water %lld)\n",
               (long long)r.ram_bytes, (long long)r.data, (long long)r.bss, (long long)r.stack_bytes);
        if (size_only) {
            print_fit(&r, 0);
        }
    }
    return size_only || r.bit_exact ? 0 : 1;
}

static int cmd_dscnn(int argc, char **argv)
{
    const char *out = NULL;
    kit_dscnn_opts o = {6000, 2000, 8, 64, 3e-3f, 1, 500, 1};
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            out = argv[i = need(i, argc, "--out")];
        } else if (strcmp(argv[i], "--train") == 0) {
            o.n_train = num(argv[i = need(i, argc, "--train")], "--train", 12, 10000000);
        } else if (strcmp(argv[i], "--test") == 0) {
            o.n_test = num(argv[i = need(i, argc, "--test")], "--test", 1, 10000000);
        } else if (strcmp(argv[i], "--epochs") == 0) {
            o.epochs = (int)num(argv[i = need(i, argc, "--epochs")], "--epochs", 1, 1000);
        } else if (strcmp(argv[i], "--batch") == 0) {
            o.batch = num(argv[i = need(i, argc, "--batch")], "--batch", 1, 65536);
        } else if (strcmp(argv[i], "--calib") == 0) {
            o.calib = num(argv[i = need(i, argc, "--calib")], "--calib", 1, 10000000);
        } else if (strcmp(argv[i], "--seed") == 0) {
            o.seed = (uint64_t)num(argv[i = need(i, argc, "--seed")], "--seed", 0, 1LL << 62);
        } else if (strcmp(argv[i], "--lr") == 0) {
            char *end;
            const char *v = argv[i = need(i, argc, "--lr")];
            o.lr = strtof(v, &end);
            if (*v == '\0' || *end || !(o.lr > 0.0f) || o.lr > 10.0f) {
                fprintf(stderr, "kit dscnn: --lr %s: want a number in (0, 10]\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "kit dscnn: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "kit dscnn: no output directory given (kit dscnn --out DIR)\n");
        return 2;
    }
    if (o.calib > o.n_train) {
        fprintf(stderr, "kit dscnn: --calib %lld is more than the %lld training samples\n", (long long)o.calib,
                (long long)o.n_train);
        return 2;
    }
    kit_dscnn_result r;
    char err[1024] = "";
    if (kit_dscnn_train(out, &o, &r, err, sizeof err) != 0) {
        fprintf(stderr, "kit dscnn: %s\n", err);
        return 3;
    }
    printf("{\"model\":\"dscnn\",\"data\":\"synthetic\",\"params\":%lld,\"train\":%lld,\"test\":%lld,\"epochs\":%d,"
           "\"last_loss\":%.4f,\"float_accuracy\":%.4f,\"int8_accuracy\":%.4f,\"train_seconds\":%.1f,"
           "\"int8\":\"%s/dscnn.int8.safetensors\",\"test_set\":\"%s/kws_test.safetensors\"}\n",
           (long long)r.params, (long long)o.n_train, (long long)o.n_test, o.epochs, r.last_loss, r.float_accuracy,
           r.int8_accuracy, r.train_seconds, out, out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
    }
    if (strcmp(argv[1], "export") == 0) {
        return cmd_export(argc, argv);
    }
    if (strcmp(argv[1], "run") == 0) {
        return cmd_run(argc, argv, 0);
    }
    if (strcmp(argv[1], "size") == 0) {
        return cmd_run(argc, argv, 1);
    }
    if (strcmp(argv[1], "dscnn") == 0) {
        return cmd_dscnn(argc, argv);
    }
    if (strcmp(argv[1], "boards") == 0) {
        for (const kit_board *b = kit_boards; b->name; b++) {
            printf("%-18s %-12s %-14s %6lld KB flash %5lld KB RAM %6.0f MHz\n", b->name, b->part, b->core,
                   (long long)b->flash_bytes / 1024, (long long)b->ram_bytes / 1024, b->clock_mhz);
        }
        return 0;
    }
    fprintf(stderr, "kit: unknown command %s (see kit --help)\n", argv[1]);
    return 2;
}
