/* fuzz_util.h - shared by the libFuzzer harnesses: the readers under test take file names, so each
 * input is written to a file in a private temporary directory (removed at exit) and read back from
 * there, through the same code a user's file goes through. */
#ifndef MLSB_FUZZ_UTIL_H
#define MLSB_FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[512];

static inline void fuzz_cleanup(void)
{
    DIR *d = opendir(fuzz_dir);
    if (d) {
        struct dirent *e;
        char p[1024];
        while ((e = readdir(d))) {
            if (e->d_name[0] != '.') {
                snprintf(p, sizeof p, "%s/%s", fuzz_dir, e->d_name);
                remove(p);
            }
        }
        closedir(d);
    }
    rmdir(fuzz_dir);
}

/* The private directory (created on first use). */
static inline const char *fuzz_tmpdir(void)
{
    if (!fuzz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/mlsb_fuzz_XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fuzz_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_cleanup);
    }
    return fuzz_dir;
}

/* Writes data[0..size) to <dir>/name and returns the full path (static storage, one per name slot). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[4][1024];
    static int slot;
    char *p = path[slot++ & 3];
    snprintf(p, sizeof path[0], "%s/%s", fuzz_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz: writing the input file");
        abort();
    }
    return p;
}

/* A property the harness checks failed: report and abort, so libFuzzer saves the input. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
