/* kit_export.c - int8 model -> self-contained C project (weights, arena plan, runtime, startup). */
#include "kits/kit.h"
#include "kit_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tinytorch/checkpoint.h"
#include "tinytorch/quant.h"

/* Board figures from the vendors' product pages / datasheets:
 *   Arduino Nano 33 BLE Sense: nRF52840, Cortex-M4F 64 MHz, 1 MB flash, 256 KB RAM (Nordic nRF52840 PS v1.7).
 *   Raspberry Pi Pico: RP2040, dual Cortex-M0+ 133 MHz, 264 KB SRAM, 2 MB QSPI flash (RP2040 datasheet).
 *   Seeed XIAO ESP32S3: Xtensa LX7 240 MHz (not an Arm core: sizes only), 8 MB flash, 512 KB SRAM.
 *   STM32L432KC (a 64 KB-RAM part): Cortex-M4F 80 MHz, 256 KB flash, 64 KB SRAM (ST DS11451). */
const kit_board kit_boards[] = {
    {"nano33-ble-sense", "nRF52840", "cortex-m4", 1024 * 1024, 256 * 1024, 64.0},
    {"pico", "RP2040", "cortex-m0plus", 2048 * 1024, 264 * 1024, 133.0},
    {"xiao-esp32s3", "ESP32-S3", "xtensa-lx7", 8192 * 1024, 512 * 1024, 240.0},
    {"stm32l432kc", "STM32L432KC", "cortex-m4", 256 * 1024, 64 * 1024, 80.0},
    {NULL, NULL, NULL, 0, 0, 0.0},
};

const kit_board *kit_board_find(const char *name)
{
    for (const kit_board *b = kit_boards; b->name; b++) {
        if (strcmp(b->name, name) == 0) {
            return b;
        }
    }
    return NULL;
}

int kit_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int64_t up4(int64_t v) { return (v + 3) / 4 * 4; }

int64_t kit_plan_chain(const int64_t *sizes, int n, int64_t *offsets)
{
    int64_t arena = n > 0 ? up4(sizes[0]) : 0;
    for (int i = 0; i + 1 < n; i++) {
        int64_t pair = up4(sizes[i]) + up4(sizes[i + 1]);
        arena = pair > arena ? pair : arena;
    }
    /* even buffers at the bottom, odd ones at the top: neighbours in the chain never meet */
    for (int i = 0; i < n; i++) {
        offsets[i] = i % 2 == 0 ? 0 : arena - up4(sizes[i]);
    }
    return arena;
}

/* Opens dir/name for an atomic write (tinytorch/fileio.h); kit_file_close renames it into place. */
FILE *kit_file_open(tt_atomic_file *af, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        kit_err(err, errlen, "%s/%s: path too long", dir, name);
        af->f = NULL;
        af->path = NULL;
        af->tmp = NULL;
        return NULL;
    }
    return tt_atomic_open(af, path, err, errlen) == 0 ? af->f : NULL;
}

int kit_file_close(tt_atomic_file *af, char *err, size_t errlen)
{
    return tt_atomic_commit(af, err, errlen);
}

int kit_copy_file(const char *src, const char *dir, const char *name, char *err, size_t errlen)
{
    FILE *in = fopen(src, "rb");
    if (!in) {
        return kit_err(err, errlen, "%s: cannot read: %s", src, strerror(errno));
    }
    tt_atomic_file af;
    FILE *out = kit_file_open(&af, dir, name, err, errlen);
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            break;
        }
    }
    int rd = ferror(in);
    fclose(in);
    if (rd) {
        tt_atomic_abort(&af);
        return kit_err(err, errlen, "%s: read error", src);
    }
    return kit_file_close(&af, err, errlen);
}

const char *kit_runtime_dir(void)
{
    const char *e = getenv("KIT_RUNTIME_DIR");
    return e && *e ? e : KIT_RUNTIME_DIR_DEFAULT;
}

/* ---- code generation ---------------------------------------------------------------------------- */

static void emit_i8(FILE *f, const char *name, const int8_t *v, int64_t n)
{
    fprintf(f, "static const int8_t %s[%lld] = {", name, (long long)n);
    for (int64_t i = 0; i < n; i++) {
        fprintf(f, "%s%d,", i % 24 == 0 ? "\n    " : "", v[i]);
    }
    fprintf(f, "\n};\n");
}

static void emit_i32(FILE *f, const char *name, const int32_t *v, int64_t n)
{
    fprintf(f, "static const int32_t %s[%lld] = {", name, (long long)n);
    for (int64_t i = 0; i < n; i++) {
        fprintf(f, "%s%ld,", i % 8 == 0 ? "\n    " : "", (long)v[i]);
    }
    fprintf(f, "\n};\n");
}

static const char *const supported_ops[] = {"conv2d", "linear", "maxpool2", "avgpool", "relu", "flatten"};

/* Checks the file's metadata before loading, for messages that say what to do. The format is read
 * from the header alone (a float checkpoint is not read whole just to be refused); then the file is
 * opened once and each layer looked up on it, not parsed again per layer (4096 parses of a 1 MB
 * header would take minutes). */
static int precheck(const char *qpath, char *err, size_t errlen)
{
    char fmt[64], e2[512];
    if (tt_safetensors_meta(qpath, "format", fmt, sizeof fmt, e2, sizeof e2) != 0 ||
        strcmp(fmt, "tinytorch-int8") != 0) {
        FILE *f = fopen(qpath, "rb");
        if (!f) {
            return kit_err(err, errlen, "%s: cannot read: %s", qpath, strerror(errno));
        }
        fclose(f);
        return kit_err(err, errlen,
                       "%s: not an int8 model (metadata \"format\" is not \"tinytorch-int8\"): a float checkpoint "
                       "must be quantized first: tito quantize %s --calib 256 --out q.safetensors",
                       qpath, qpath);
    }
    tt_safetensors_file *sf = tt_safetensors_open(qpath, e2, sizeof e2);
    if (!sf) {
        return kit_err(err, errlen, "%s", e2);
    }
    int rc = 0;
    const char *v = tt_safetensors_meta_value(sf, "num_layers");
    char *end = NULL;
    long nl = v ? strtol(v, &end, 10) : 0;
    if (!v) {
        rc = kit_err(err, errlen, "%s: metadata \"num_layers\" missing", qpath);
    } else if (*end || nl < 1 || nl > 4096) {
        rc = kit_err(err, errlen, "%s: metadata \"num_layers\" is \"%.200s\": want 1..4096", qpath, v);
    }
    for (long i = 0; rc == 0 && i < nl; i++) {
        char key[64];
        snprintf(key, sizeof key, "layers.%ld", i);
        if (!(v = tt_safetensors_meta_value(sf, key))) {
            rc = kit_err(err, errlen, "%s: metadata \"%s\" missing", qpath, key);
            break;
        }
        size_t w = strcspn(v, " ");
        bool ok = false;
        for (size_t k = 0; k < sizeof supported_ops / sizeof *supported_ops; k++) {
            ok |= strlen(supported_ops[k]) == w && strncmp(v, supported_ops[k], w) == 0;
        }
        if (!ok) {
            rc = kit_err(err, errlen,
                         "%s: layer %ld is op \"%.*s\", which the kit runtime does not support (supported: "
                         "conv2d, linear, maxpool2, avgpool, relu, flatten)",
                         qpath, i, (int)(w < 200 ? w : 200), v);
        }
    }
    tt_safetensors_close(sf);
    return rc;
}

/* The Arduino library's descriptor and example sketch (src/ holds model.c, model.h, kit_rt.h). */
static int write_arduino(const char *out_dir, const char *ex_dir, const char *target, char *err, size_t errlen)
{
    tt_atomic_file af;
    FILE *f = kit_file_open(&af, out_dir, "library.properties", err, errlen);
    if (!f) {
        return -1;
    }
    fprintf(f, "name=KitModel\nversion=1.0.0\nauthor=TinyTorch kit export\nmaintainer=TinyTorch kit export\n"
               "sentence=An int8 TinyTorch model as freestanding C (no malloc, static arena).\n"
               "paragraph=Generated by kit export for %s. Write an image to kit_model_input(), call kit_model_run().\n"
               "category=Data Processing\narchitectures=*\n",
            target);
    if (kit_file_close(&af, err, errlen) != 0) {
        return -1;
    }
    if (!(f = kit_file_open(&af, ex_dir, "KitModel.ino", err, errlen))) {
        return -1;
    }
    fprintf(f, "// KitModel.ino - runs the exported model once a second on a blank image (every input at the\n"
               "// input zero point) and prints the logits and the time one inference took.\n"
               "// Replace the blank image with your sensor's data, quantized: q = round(x / KIT_IN_SCALE) + KIT_IN_ZERO_POINT.\n"
               "#include <model.h>\n\n"
               "void setup()\n{\n    Serial.begin(115200);\n}\n\n"
               "void loop()\n{\n"
               "    int8_t *x = kit_model_input();\n"
               "    for (int i = 0; i < KIT_MODEL_IN; i++) {\n        x[i] = (int8_t)KIT_IN_ZERO_POINT;\n    }\n"
               "    unsigned long t0 = micros();\n"
               "    const int8_t *y = kit_model_run();\n"
               "    unsigned long us = micros() - t0;\n"
               "    for (int i = 0; i < KIT_MODEL_OUT; i++) {\n        Serial.print(y[i]);\n        Serial.print(' ');\n    }\n"
               "    Serial.print(\"| \");\n    Serial.print(us);\n    Serial.println(\" us\");\n"
               "    delay(1000);\n}\n");
    return kit_file_close(&af, err, errlen);
}

typedef struct target_info { const char *target, *board; } target_info;
static const target_info targets[] = {
    {"cortex-m0plus", "pico"}, {"cortex-m3", "stm32l432kc"}, {"cortex-m4", "nano33-ble-sense"},
    {"cortex-m7", "nano33-ble-sense"}, {"cortex-m33", "nano33-ble-sense"}, {"cortex-m55", "nano33-ble-sense"},
};

static const char *const runtime_files[] = {
    "kit_rt.h", "main_host.c", "main_mcu.c", "startup.c", "Makefile",
    "ld/mps2-an385.ld", "ld/mps2-an386.ld", "ld/mps2-an500.ld", "ld/mps3-an547.ld",
};

int kit_export(const char *qpath, const char *out_dir, const kit_export_opts *opts, kit_export_report *rep,
               char *err, size_t errlen)
{
    kit_export_opts o = {"cortex-m4", NULL, "plain", 0, 0};
    if (opts) {
        o = *opts;
        o.target = o.target ? o.target : "cortex-m4";
        o.format = o.format ? o.format : "plain";
    }
    memset(rep, 0, sizeof *rep);
    const char *def_board = NULL;
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        def_board = strcmp(targets[i].target, o.target) == 0 ? targets[i].board : def_board;
    }
    if (!def_board) {
        return kit_err(err, errlen, "--target %s: unknown (cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, "
                                    "cortex-m33, cortex-m55)", o.target);
    }
    const bool arduino = strcmp(o.format, "arduino") == 0;
    if (!arduino && strcmp(o.format, "plain") != 0) {
        return kit_err(err, errlen, "--format %s: unknown (plain, arduino)", o.format);
    }
    const kit_board *board = kit_board_find(o.board ? o.board : def_board);
    if (!board) {
        return kit_err(err, errlen, "--board %s: unknown board (see kit boards)", o.board);
    }
    rep->board = board;
    if (precheck(qpath, err, errlen) != 0) {
        return -1;
    }
    tt_qmodel *m = tt_qmodel_load(qpath, err, errlen);
    if (!m) {
        return -1;
    }
    if (m->in_numel > INT32_MAX / 4 || m->n > 4096) {
        tt_qmodel_free(m);
        return kit_err(err, errlen, "%s: model too large for a microcontroller", qpath);
    }
    if (tt_mkdir_p(out_dir, err, errlen) != 0) {
        tt_qmodel_free(m);
        return -1;
    }
    char sub[4096];
    /* plain: everything at the top; arduino: a library (library.properties, src/, examples/) */
    snprintf(sub, sizeof sub, arduino ? "%s/examples/KitModel" : "%s/ld", out_dir);
    char src_dir[4096];
    snprintf(src_dir, sizeof src_dir, arduino ? "%s/src" : "%s", out_dir);
    if (tt_mkdir_p(src_dir, err, errlen) != 0) {
        tt_qmodel_free(m);
        return -1;
    }
    if (tt_mkdir_p(sub, err, errlen) != 0) {
        tt_qmodel_free(m);
        return -1;
    }
    /* buffers of the chain: the input, then each op's output (flatten and ReLU work in place) */
    int64_t *sizes = calloc((size_t)m->n + 1, sizeof *sizes), *offs = calloc((size_t)m->n + 1, sizeof *offs);
    int *buf_of = calloc((size_t)m->n + 1, sizeof *buf_of); /* buffer holding layer i's output */
    if (!sizes || !offs || !buf_of) {
        free(sizes), free(offs), free(buf_of), tt_qmodel_free(m);
        return kit_err(err, errlen, "out of memory");
    }
    int nb = 1;
    sizes[0] = m->in_numel;
    /* ops used, by tt_qop_kind; KIND_DW: a depthwise conv (its own runtime op) */
    enum { KIND_DW = TT_QOP_AVGPOOL + 1, NKINDS };
    bool used[NKINDS] = {false};
    for (int i = 0; i < m->n; i++) {
        const tt_qlayer *l = &m->layers[i];
        int64_t on = l->out_shape[0] * l->out_shape[1] * l->out_shape[2];
        if (l->kind == TT_QOP_AVGPOOL && l->in_shape[1] * l->in_shape[2] > (1 << 23)) {
            free(sizes), free(offs), free(buf_of), tt_qmodel_free(m);
            return kit_err(err, errlen, "%s: layer %d: an average pool over %lld values overflows the runtime's "
                                        "int32 sum", qpath, i, (long long)(l->in_shape[1] * l->in_shape[2]));
        }
        used[tt_qlayer_depthwise(l) ? KIND_DW : (int)l->kind] = true;
        rep->naive_bytes += on;
        if (l->kind == TT_QOP_FLATTEN || l->kind == TT_QOP_RELU) {
            buf_of[i] = nb - 1;
        } else {
            buf_of[i] = nb;
            sizes[nb++] = on;
            rep->n_ops++;
        }
        if (l->kind == TT_QOP_RELU) {
            rep->n_ops++;
        }
    }
    rep->naive_bytes += m->in_numel;
    rep->arena_bytes = kit_plan_chain(sizes, nb, offs);
    rep->in_numel = m->in_numel;
    rep->out_numel = m->out_numel;
    static const char *const kname[NKINDS] = {"conv", "linear", "maxpool2", "relu", "flatten", "avgpool", "dwconv"};
    for (int k = 0; k < NKINDS; k++) {
        if (used[k] && k != TT_QOP_FLATTEN) {
            size_t len = strlen(rep->ops_used);
            snprintf(rep->ops_used + len, sizeof rep->ops_used - len, "%s%s", len ? " " : "", kname[k]);
        }
    }

    /* model.c */
    tt_atomic_file af;
    FILE *f = kit_file_open(&af, src_dir, "model.c", err, errlen);
    int rc = f ? 0 : -1;
    if (f) {
        fprintf(f, "/* model.c - generated by `kit export` from %s: do not edit.\n"
                   " * Target %s; %d layers; arena %lld bytes (liveness plan; one buffer per tensor would "
                   "need %lld). */\n",
                strrchr(qpath, '/') ? strrchr(qpath, '/') + 1 : qpath, o.target, m->n,
                (long long)rep->arena_bytes, (long long)rep->naive_bytes);
        const char *defs[NKINDS] = {"KIT_OP_CONV", "KIT_OP_LINEAR", "KIT_OP_MAXPOOL2", "KIT_OP_RELU", NULL,
                                    "KIT_OP_AVGPOOL", "KIT_OP_DWCONV"};
        for (int k = 0; k < NKINDS; k++) {
            if (used[k] && defs[k]) {
                fprintf(f, "#define %s 1\n", defs[k]);
            }
        }
        fprintf(f, "#include \"kit_rt.h\"\n#include \"model.h\"\n\n");
        fprintf(f, "static _Alignas(8) int8_t kit_arena[%lld];\n\n", (long long)rep->arena_bytes);
        for (int i = 0; i < m->n; i++) {
            const tt_qlayer *l = &m->layers[i];
            if (l->kind != TT_QOP_CONV && l->kind != TT_QOP_LINEAR) {
                continue;
            }
            char nm[64];
            int64_t kk = tt_qlayer_k(l);
            snprintf(nm, sizeof nm, "l%d_weight", i);
            emit_i8(f, nm, l->weight, l->cout * kk);
            rep->param_bytes += l->cout * kk + 12 * l->cout;
            snprintf(nm, sizeof nm, "l%d_bias", i);
            emit_i32(f, nm, l->bias, l->cout);
            snprintf(nm, sizeof nm, "l%d_mult", i);
            emit_i32(f, nm, l->multiplier, l->cout);
            snprintf(nm, sizeof nm, "l%d_shift", i);
            emit_i32(f, nm, l->shift, l->cout);
            int32_t lo = l->relu ? l->out.zero_point : -128;
            if (tt_qlayer_depthwise(l)) {
                int64_t hp = l->in_shape[1] + 2 * l->padding, wp = l->in_shape[2] + 2 * l->padding;
                fprintf(f, "static const kit_dwconv l%d = {%lld, %lld, %lld, %lld, %lld, %d, %d, %lld, %lld, %d, %ld, "
                           "%ld, %ld, l%d_weight, l%d_bias, l%d_mult, l%d_shift};\n\n",
                        i, (long long)l->cin, (long long)l->in_shape[1], (long long)l->in_shape[2], (long long)l->kh,
                        (long long)l->kw, l->stride, l->padding, (long long)((hp - l->kh) / l->stride + 1),
                        (long long)((wp - l->kw) / l->stride + 1), l->pool ? 1 : 0, (long)l->in.zero_point,
                        (long)l->out.zero_point, (long)lo, i, i, i, i);
            } else if (l->kind == TT_QOP_CONV) {
                int64_t hp = l->in_shape[1] + 2 * l->padding, wp = l->in_shape[2] + 2 * l->padding;
                fprintf(f, "static const kit_conv l%d = {%lld, %lld, %lld, %lld, %lld, %lld, %d, %d, %lld, %lld, %d, "
                           "%ld, %ld, %ld, l%d_weight, l%d_bias, l%d_mult, l%d_shift};\n\n",
                        i, (long long)l->cin, (long long)l->in_shape[1], (long long)l->in_shape[2],
                        (long long)l->cout, (long long)l->kh, (long long)l->kw, l->stride, l->padding,
                        (long long)((hp - l->kh) / l->stride + 1), (long long)((wp - l->kw) / l->stride + 1),
                        l->pool ? 1 : 0, (long)l->in.zero_point, (long)l->out.zero_point, (long)lo, i, i, i, i);
            } else {
                fprintf(f, "static const kit_linear l%d = {%lld, %lld, %ld, %ld, %ld, l%d_weight, l%d_bias, l%d_mult, "
                           "l%d_shift};\n\n",
                        i, (long long)l->cin, (long long)l->cout, (long)l->in.zero_point, (long)l->out.zero_point,
                        (long)lo, i, i, i, i);
            }
        }
        fprintf(f, "#ifdef KIT_POISON\n"
                   "/* Test builds: before each op, every arena byte outside the op's input is overwritten,\n"
                   " * so an op that read anything but its input (an overlap in the plan) changes the logits. */\n"
                   "static void kit_poison(int32_t keep_off, int32_t keep_len)\n{\n"
                   "    for (int32_t i = 0; i < (int32_t)sizeof kit_arena; i++) {\n"
                   "        if (i < keep_off || i >= keep_off + keep_len) {\n"
                   "            kit_arena[i] = (int8_t)(KIT_POISON);\n        }\n    }\n}\n"
                   "#define KIT_KEEP(off, len) kit_poison(off, len)\n#else\n#define KIT_KEEP(off, len) ((void)0)\n"
                   "#endif\n\n");
        fprintf(f, "int8_t *kit_model_input(void) { return kit_arena + %lld; }\n\n", (long long)offs[0]);
        fprintf(f, "const int8_t *kit_model_run(void)\n{\n");
        int cur = 0;
        for (int i = 0; i < m->n; i++) {
            const tt_qlayer *l = &m->layers[i];
            int ob = buf_of[i];
            long long io = offs[cur], oo = offs[ob], il = sizes[cur];
            switch (l->kind) {
            case TT_QOP_CONV:
                fprintf(f, "    KIT_KEEP(%lld, %lld);\n    kit_%sconv_run(&l%d, kit_arena + %lld, kit_arena + %lld);\n",
                        io, il, tt_qlayer_depthwise(l) ? "dw" : "", i, io, oo);
                break;
            case TT_QOP_AVGPOOL:
                fprintf(f, "    KIT_KEEP(%lld, %lld);\n    kit_avgpool_run(%lld, %lld, kit_arena + %lld, kit_arena + %lld);\n",
                        io, il, (long long)l->in_shape[0], (long long)(l->in_shape[1] * l->in_shape[2]), io, oo);
                break;
            case TT_QOP_LINEAR:
                fprintf(f, "    KIT_KEEP(%lld, %lld);\n    kit_linear_run(&l%d, kit_arena + %lld, kit_arena + %lld);\n",
                        io, il, i, io, oo);
                break;
            case TT_QOP_MAXPOOL2:
                fprintf(f, "    KIT_KEEP(%lld, %lld);\n    kit_maxpool2_run(%lld, %lld, %lld, kit_arena + %lld, "
                           "kit_arena + %lld);\n",
                        io, il, (long long)l->in_shape[0], (long long)l->in_shape[1], (long long)l->in_shape[2], io,
                        oo);
                break;
            case TT_QOP_RELU:
                fprintf(f, "    KIT_KEEP(%lld, %lld);\n    kit_relu_run(%lld, %ld, kit_arena + %lld, kit_arena + %lld);\n",
                        io, il, il, (long)l->in.zero_point, io, oo);
                break;
            case TT_QOP_FLATTEN:
                fprintf(f, "    /* layer %d: flatten (the same bytes, read as a vector) */\n", i);
                break;
            }
            cur = ob;
        }
        fprintf(f, "    return kit_arena + %lld;\n}\n", (long long)offs[cur]);
        rc = kit_file_close(&af, err, errlen);
    }
    /* model.h */
    if (rc == 0 && (f = kit_file_open(&af, src_dir, "model.h", err, errlen)) != NULL) {
        fprintf(f, "/* model.h - generated by `kit export`: do not edit. */\n#ifndef KIT_MODEL_H\n#define KIT_MODEL_H\n"
                   "#include <stdint.h>\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
                   "#define KIT_MODEL_IN %lld        /* int8 inputs per image */\n"
                   "#define KIT_MODEL_OUT %lld       /* int8 logits per image */\n"
                   "#define KIT_ARENA_BYTES %lld     /* liveness plan */\n"
                   "#define KIT_NAIVE_BYTES %lld     /* one buffer per tensor */\n"
                   "#define KIT_PARAM_BYTES %lld\n"
                   "#define KIT_IN_SCALE %.9g        /* x_q = round(x / scale) + zero_point */\n"
                   "#define KIT_IN_ZERO_POINT %ld\n#define KIT_OUT_SCALE %.9g\n#define KIT_OUT_ZERO_POINT %ld\n"
                   "/* Where to write the image (KIT_MODEL_IN int8 values, quantized with the input parameters). */\n"
                   "int8_t *kit_model_input(void);\n"
                   "/* Runs the model on the image in kit_model_input(); returns the KIT_MODEL_OUT int8 logits\n"
                   " * (valid until the next call). The run reuses the input's bytes: write a new image before each call. */\n"
                   "const int8_t *kit_model_run(void);\n#ifdef __cplusplus\n}\n#endif\n#endif\n",
                (long long)m->in_numel, (long long)m->out_numel, (long long)rep->arena_bytes,
                (long long)rep->naive_bytes, (long long)rep->param_bytes, (double)m->layers[0].in.scale,
                (long)m->layers[0].in.zero_point, (double)m->layers[m->n - 1].out.scale,
                (long)m->layers[m->n - 1].out.zero_point);
        rc = kit_file_close(&af, err, errlen);
    } else {
        rc = -1;
    }
    /* the runtime, startup, linker scripts, Makefile; the int8 model itself (kit run's reference) */
    for (size_t i = 0; rc == 0 && i < (arduino ? 1 : sizeof runtime_files / sizeof *runtime_files); i++) {
        char src[4096];
        snprintf(src, sizeof src, "%s/%s", kit_runtime_dir(), runtime_files[i]);
        rc = kit_copy_file(src, src_dir, runtime_files[i], err, errlen);
    }
    if (rc == 0 && arduino) {
        rc = write_arduino(out_dir, sub, o.target, err, errlen);
    }
    if (rc == 0) {
        rc = kit_copy_file(qpath, out_dir, "model.safetensors", err, errlen);
    }
    if (rc == 0 && (f = kit_file_open(&af, out_dir, "kit.json", err, errlen)) != NULL) {
        fprintf(f, "{\"target\":\"%s\",\"board\":\"%s\",\"ops\":\"%s\",\"param_bytes\":%lld,\"arena_bytes\":%lld,"
                   "\"naive_bytes\":%lld,\"in_numel\":%lld,\"out_numel\":%lld}\n",
                o.target, board->name, rep->ops_used, (long long)rep->param_bytes, (long long)rep->arena_bytes,
                (long long)rep->naive_bytes, (long long)m->in_numel, (long long)m->out_numel);
        rc = kit_file_close(&af, err, errlen);
    } else if (rc == 0) {
        rc = -1;
    }
    free(sizes), free(offs), free(buf_of);
    tt_qmodel_free(m);
    if (rc != 0) {
        return -1;
    }
    /* the fit: const data must fit the flash, the arena the RAM (code and stack come on top: kit size) */
    int64_t flash = o.flash_bytes > 0 ? o.flash_bytes : board->flash_bytes;
    int64_t ram = o.ram_bytes > 0 ? o.ram_bytes : board->ram_bytes;
    if (rep->param_bytes > flash || rep->arena_bytes > ram) {
        if (rep->param_bytes > flash) {
            kit_err(err, errlen, "the model does not fit %s: its weights alone need %lld bytes of flash, %lld over "
                                 "the %lld available",
                    board->name, (long long)rep->param_bytes, (long long)(rep->param_bytes - flash), (long long)flash);
        } else {
            kit_err(err, errlen, "the model does not fit %s: its arena needs %lld bytes of RAM, %lld over the %lld "
                                 "available",
                    board->name, (long long)rep->arena_bytes, (long long)(rep->arena_bytes - ram), (long long)ram);
        }
        return 1;
    }
    return 0;
}
