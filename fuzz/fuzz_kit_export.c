/* fuzz_kit_export.c - the input of `kit export`: an int8 model file read by its checks (format,
 * num_layers, each layer's op) and by module 15's reader, then turned into a C project. Properties:
 * no crash or sanitizer report; a refusal (-1) has a message; an export (0, or 1 when the model does
 * not fit the board) writes model.c, model.h and kit.json, and reports an arena no larger than one
 * buffer per tensor and at least as large as the input. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <sys/stat.h>
#include "fuzz_util.h"
#include "kits/kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out_root[600];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void out_cleanup(void)
{
    nftw(out_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int exists(const char *dir, const char *name)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!out_root[0]) {
        snprintf(out_root, sizeof out_root, "%s/out", fuzz_tmpdir());
        atexit(out_cleanup); /* runs before fuzz_cleanup (registered first), which removes only files */
    }
    const char *p = fuzz_file("in.safetensors", data, size);
    /* the plain layout and the Arduino one take different paths through the writer */
    kit_export_opts o = {.target = "cortex-m4", .format = size % 2 ? "arduino" : "plain"};
    kit_export_report rep;
    char err[512] = "";
    int rc = kit_export(p, out_root, &o, &rep, err, sizeof err);
    FUZZ_CHECK(rc >= -1 && rc <= 1, "kit_export returned %d", rc);
    if (rc == -1) {
        FUZZ_CHECK(err[0] != '\0', "a refusal without a message");
    } else {
        char src[700];
        snprintf(src, sizeof src, size % 2 ? "%s/src" : "%s", out_root);
        FUZZ_CHECK(exists(src, "model.c") && exists(src, "model.h") && exists(out_root, "kit.json"),
                   "an export (rc %d) without model.c, model.h or kit.json", rc);
        FUZZ_CHECK(rep.arena_bytes <= rep.naive_bytes + 4 * (rep.n_ops + 1),
                   "arena %lld bytes above the naive sum %lld", (long long)rep.arena_bytes, (long long)rep.naive_bytes);
        FUZZ_CHECK(rep.arena_bytes >= rep.in_numel && rep.in_numel >= 1 && rep.out_numel >= 1,
                   "arena %lld bytes for a %lld-value input", (long long)rep.arena_bytes, (long long)rep.in_numel);
        FUZZ_CHECK(rc == 0 || strstr(err, "does not fit") != NULL, "rc 1 without 'does not fit': %s", err);
    }
    out_cleanup();
    return 0;
}
