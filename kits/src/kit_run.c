/* kit_run.c - cross-compile an exported project, run it under qemu-system-arm, compare with TinyTorch. */
#include "kits/kit.h"
#include "kits/dscnn.h"
#include "kit_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tinytorch/data.h"
#include "tinytorch/quant.h"
#include "tinytorch/fileio.h"

typedef struct machine_info { const char *machine, *core; } machine_info;
static const machine_info machines[] = {
    {"mps2-an385", "cortex-m3"}, {"mps2-an386", "cortex-m4"}, {"mps2-an500", "cortex-m7"}, {"mps3-an547", "cortex-m55"},
};

const char *kit_machine_core(const char *machine)
{
    for (size_t i = 0; i < sizeof machines / sizeof *machines; i++) {
        if (strcmp(machines[i].machine, machine) == 0) {
            return machines[i].core;
        }
    }
    return NULL;
}

/* Single-quotes s for sh into out. */
static int shq(const char *s, char *out, size_t outlen)
{
    size_t j = 0;
    if (outlen < 3) {
        return -1;
    }
    out[j++] = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            if (j + 5 >= outlen) {
                return -1;
            }
            memcpy(out + j, "'\\''", 4);
            j += 4;
        } else {
            if (j + 2 >= outlen) {
                return -1;
            }
            out[j++] = *s;
        }
    }
    out[j++] = '\'';
    out[j] = '\0';
    return 0;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int kit_toolchain_ok(const char *machine, char *why, size_t whylen)
{
    if (sh("arm-none-eabi-gcc --version >/dev/null 2>&1") != 0) {
        kit_err(why, whylen, "arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)");
        return 0;
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "qemu-system-arm -M help 2>/dev/null | grep -q '^%s '", machine);
    if (sh("qemu-system-arm --version >/dev/null 2>&1") != 0) {
        kit_err(why, whylen, "qemu-system-arm not found (apt-get install qemu-system-arm)");
        return 0;
    }
    if (sh(cmd) != 0) {
        kit_err(why, whylen, "this qemu-system-arm has no machine %s", machine);
        return 0;
    }
    return 1;
}

static int read_all(const char *path, int8_t *buf, size_t n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return kit_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) {
        return kit_err(err, errlen, "%s: %zu bytes, want %zu (the run stopped early?)", path, got, n);
    }
    return 0;
}

/* Section sizes of an ELF from `arm-none-eabi-size -A`. */
static int elf_sizes(const char *elf_q, kit_run_result *r, char *err, size_t errlen)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "arm-none-eabi-size -A %s 2>&1", elf_q);
    FILE *p = popen(cmd, "r");
    if (!p) {
        return kit_err(err, errlen, "cannot run arm-none-eabi-size");
    }
    char line[512], name[256];
    long long sz, addr;
    r->text = r->data = r->bss = 0;
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line, "%255s %lld %lld", name, &sz, &addr) != 3) {
            continue;
        }
        if (strcmp(name, ".text") == 0 || strcmp(name, ".ARM.exidx") == 0) {
            r->text += sz;
        } else if (strcmp(name, ".data") == 0) {
            r->data += sz;
        } else if (strcmp(name, ".bss") == 0) {
            r->bss += sz;
        }
    }
    if (pclose(p) != 0 || r->text == 0) {
        return kit_err(err, errlen, "%s: arm-none-eabi-size failed", elf_q);
    }
    return 0;
}

int kit_run(const char *dir, const kit_run_opts *opts, kit_run_result *res, char *err, size_t errlen)
{
    kit_run_opts o = *opts;
    memset(res, 0, sizeof *res);
    res->accuracy = -1.0;
    o.images = o.images > 0 ? o.images : 10;
    o.timeout_s = o.timeout_s > 0 ? o.timeout_s : 600;
    const bool host = o.machine && strcmp(o.machine, "host") == 0;
    res->core = host ? "host" : kit_machine_core(o.machine ? o.machine : "");
    if (!res->core) {
        return kit_err(err, errlen, "--machine %s: unknown (mps2-an385, mps2-an386, mps2-an500, mps3-an547, host)",
                       o.machine ? o.machine : "(none)");
    }
    char path[8400], why[256];
    if (!host && !kit_toolchain_ok(o.machine, why, sizeof why)) {
        return kit_err(err, errlen, "%s", why);
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    tt_qmodel *m = tt_qmodel_load(path, err, errlen);
    if (!m) {
        return -1;
    }
    const int64_t n = o.images, in_n = m->in_numel, out_n = m->out_numel;
    int8_t *xq = malloc((size_t)(n * in_n)), *ref = malloc((size_t)(n * out_n)), *got = malloc((size_t)(n * out_n));
    int32_t *labels = NULL;
    int rc = -1;
    tt_dataset *ds = NULL;
    if (!xq || !ref || !got) {
        kit_err(err, errlen, "out of memory for %lld images", (long long)n);
        goto done;
    }
    if (o.data_path) {
        if (!(ds = kit_dataset_load(o.data_path, err, errlen))) {
            goto done;
        }
    } else if (o.mnist_dir && tt_load_mnist(o.mnist_dir, o.mnist_prefix ? o.mnist_prefix : "t10k", (float)o.mean,
                                            (float)(o.std > 0 ? o.std : 1.0), &ds, err, errlen) != 0) {
        goto done;
    }
    if (ds) {
        if (ds->sample_numel != in_n || ds->len < n) {
            kit_err(err, errlen, "%s: %lld images of %lld values; the model wants %lld images of %lld",
                    o.data_path ? o.data_path : o.mnist_dir, (long long)ds->len, (long long)ds->sample_numel,
                    (long long)n, (long long)in_n);
            goto done;
        }
        float *x = malloc((size_t)in_n * sizeof *x);
        labels = malloc((size_t)n * sizeof *labels);
        if (!x || !labels) {
            free(x);
            kit_err(err, errlen, "out of memory");
            goto done;
        }
        for (int64_t i = 0; i < n; i++) {
            tt_dataset_get(ds, i, x, labels + i);
            tt_quantize_i8(x, in_n, tt_qmodel_input_params(m), xq + i * in_n);
        }
        free(x);
    } else {
        uint64_t s = 0x9E3779B97F4A7C15ull;
        for (int64_t i = 0; i < n * in_n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            xq[i] = (int8_t)(s >> 56);
        }
    }
    if (tt_qmodel_forward_q(m, xq, n, ref) != 0) {
        kit_err(err, errlen, "host int8 inference: out of memory");
        goto done;
    }
    char bdir[4096], dq[4096], bq[4096], cmd[16384];
    snprintf(bdir, sizeof bdir, "%s/build-%s", dir, o.machine);
    if (tt_mkdir_p(bdir, err, errlen) != 0 || shq(dir, dq, sizeof dq) != 0 || shq(bdir, bq, sizeof bq) != 0) {
        if (!err[0]) {
            kit_err(err, errlen, "%s: path too long", dir);
        }
        goto done;
    }
    tt_atomic_file af;
    FILE *f = kit_file_open(&af, bdir, "input.bin", err, errlen);
    if (!f) {
        goto done;
    }
    fwrite(xq, 1, (size_t)(n * in_n), f);
    if (kit_file_close(&af, err, errlen) != 0) {
        goto done;
    }
    if (host) {
        snprintf(cmd, sizeof cmd, "make -s -C %s host %s", dq, o.verbose ? "" : ">/dev/null 2>&1");
    } else {
        snprintf(cmd, sizeof cmd, "make -s -C %s MACHINE=%s %s", dq, o.machine, o.verbose ? "" : ">/dev/null 2>&1");
    }
    if (sh(cmd) != 0) {
        kit_err(err, errlen, "%s: the build failed (run: make -C %s %s%s)", dir, dir, host ? "host" : "MACHINE=",
                host ? "" : o.machine);
        goto done;
    }
    remove(strcat(strcpy(path, bdir), "/output.bin"));
    if (host) {
        snprintf(cmd, sizeof cmd, "cd %s && timeout %.0f ./model_host input.bin output.bin >qemu.log 2>&1", bq,
                 o.timeout_s);
    } else {
        snprintf(cmd, sizeof cmd,
                 "cd %s && timeout %.0f qemu-system-arm -M %s -nographic -monitor none -serial none "
                 "-semihosting-config enable=on,target=native -icount shift=0 -kernel model.elf >qemu.log 2>&1",
                 bq, o.timeout_s, o.machine);
    }
    int qrc = sh(cmd);
    snprintf(path, sizeof path, "%s/qemu.log", bdir);
    FILE *lf = fopen(path, "r");
    char line[1024];
    long imgs = -1;
    unsigned long ticks = 0, cticks = 0, cinsns = 0, stack = 0;
    while (lf && fgets(line, sizeof line, lf)) {
        if (strncmp(line, "KIT images=", 11) == 0) {
            sscanf(line, "KIT images=%ld ticks=%lu calib_ticks=%lu calib_insns=%lu stack=%lu", &imgs, &ticks, &cticks,
                   &cinsns, &stack);
        }
    }
    if (lf) {
        fclose(lf);
    }
    if (host && qrc == 0) {
        imgs = (long)n;
        cticks = 1;
    }
    if (qrc != 0 || imgs != n || cticks == 0) {
        kit_err(err, errlen, "%s: the emulated run failed (exit %d%s, %ld of %lld images): see %s", o.machine, qrc,
                qrc == 124 ? ": timed out" : "", imgs, (long long)n, path);
        goto done;
    }
    snprintf(path, sizeof path, "%s/output.bin", bdir);
    if (read_all(path, got, (size_t)(n * out_n), err, errlen) != 0) {
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        int bad = memcmp(got + i * out_n, ref + i * out_n, (size_t)out_n) != 0;
        res->mismatches += bad;
        if (labels) {
            int64_t best = 0;
            for (int64_t c = 1; c < out_n; c++) {
                best = got[i * out_n + c] > got[i * out_n + best] ? c : best;
            }
            res->correct += best == labels[i];
        }
    }
    res->images = n;
    res->bit_exact = res->mismatches == 0;
    res->accuracy = labels ? (double)res->correct / (double)n : -1.0;
    if (host) { /* nothing counted, no ELF to size */
        rc = 0;
        goto done;
    }
    res->insns_per_tick = (double)cinsns / (double)cticks;
    res->instructions_per_inference = (double)ticks * res->insns_per_tick / (double)n;
    res->stack_bytes = (int64_t)stack;
    snprintf(path, sizeof path, "%s/model.elf", bdir);
    char eq[4200];
    if (shq(path, eq, sizeof eq) != 0 || elf_sizes(eq, res, err, errlen) != 0) {
        goto done;
    }
    res->flash_bytes = res->text + res->data;
    res->ram_bytes = res->data + res->bss + res->stack_bytes;
    rc = 0;
done:
    free(xq), free(ref), free(got), free(labels);
    tt_dataset_free(ds);
    tt_qmodel_free(m);
    return rc;
}
