/* kit.h - deploy int8 TinyTorch models to microcontrollers (the `kit` CLI is a thin shell over this).
 *
 * kit_export turns a module-15 int8 model (tito quantize) into a self-contained C project: the weights
 * as const arrays, a freestanding runtime (runtime/kit_rt.h: no malloc, no float) with only the ops the
 * model uses, one static arena planned at export time by liveness analysis, a host main, a semihosting
 * main for Cortex-M under QEMU, CMSIS-style startup code and one linker script per QEMU machine.
 * kit_run cross-compiles that project, runs it under qemu-system-arm and compares every logit with
 * TinyTorch's own int8 inference.
 */
#ifndef KITS_KIT_H
#define KITS_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- boards ------------------------------------------------------------------------------------- */

typedef struct kit_board {
    const char *name, *part, *core;
    int64_t flash_bytes, ram_bytes;
    double clock_mhz;
} kit_board;

/* The named boards (NULL-terminated by name == NULL). */
extern const kit_board kit_boards[];
const kit_board *kit_board_find(const char *name);

/* ---- the arena plan ----------------------------------------------------------------------------- */

/* Plans n buffers of a chain (buffer i is written by step i and read by step i + 1, so buffers i
 * and i + 1 are live together and no others): offsets[i] (4-byte aligned). Returns the arena bytes
 * (the largest adjacent pair, each rounded up to 4). */
int64_t kit_plan_chain(const int64_t *sizes, int n, int64_t *offsets);

/* ---- export ------------------------------------------------------------------------------------- */

typedef struct kit_export_opts {
    const char *target;      /* "cortex-m4" (also cortex-m0plus, -m3, -m7, -m33, -m55) */
    const char *board;       /* NULL: the target's default board */
    const char *format;      /* "plain" (default) or "arduino" (library.properties, src/, examples/) */
    int64_t flash_bytes, ram_bytes; /* > 0: override the board's */
} kit_export_opts;

typedef struct kit_export_report {
    int n_ops;                /* ops emitted (flatten and in-place ReLU cost nothing) */
    int64_t param_bytes;      /* const data: weights, biases, multipliers, shifts */
    int64_t arena_bytes;      /* the planned arena */
    int64_t naive_bytes;      /* one buffer per activation tensor (the sum) */
    int64_t in_numel, out_numel;
    char ops_used[128];       /* "conv linear ..." */
    const kit_board *board;
} kit_export_report;

/* Writes the project into out_dir (created if missing). Returns 0; 1 when the model does not fit the
 * board (the project is still written; err says by how much); -1 on error (err names the file and the
 * field). */
int kit_export(const char *qpath, const char *out_dir, const kit_export_opts *opts, kit_export_report *rep,
               char *err, size_t errlen);

/* ---- run under QEMU ----------------------------------------------------------------------------- */

typedef struct kit_run_opts {
    const char *machine;     /* mps2-an385, mps2-an386, mps2-an500, mps3-an547 */
    int64_t images;          /* default 10 */
    const char *mnist_dir;   /* NULL: seeded pseudo-random inputs (no accuracy) */
    const char *mnist_prefix;/* "t10k" */
    double mean, std;        /* input normalization of the float model (x - mean) / std */
    double timeout_s;        /* QEMU wall-clock limit (default 600) */
    bool verbose;
    const char *data_path;   /* instead of mnist_dir: a labelled set in safetensors (kit_dataset_save, dscnn.h) */
} kit_run_opts;

typedef struct kit_run_result {
    bool bit_exact;
    int64_t images, mismatches, correct;
    double accuracy;         /* < 0 when the inputs carry no labels */
    int64_t flash_bytes, ram_bytes, text, data, bss, stack_bytes;
    double instructions_per_inference, insns_per_tick;
    const char *core;
} kit_run_result;

/* 1 when arm-none-eabi-gcc and qemu-system-arm are on PATH (and the machine is known to QEMU). */
int kit_toolchain_ok(const char *machine, char *why, size_t whylen);
const char *kit_machine_core(const char *machine); /* NULL for an unknown machine */

/* Returns 0 (result filled; bit_exact may be false), or -1 with a message. */
int kit_run(const char *dir, const kit_run_opts *opts, kit_run_result *res, char *err, size_t errlen);

#endif
