/* manifest.c - SHA-256 digests for the provenance manifest (Nettle's SHA-256): a file, a string, and a
 * source tree (sorted paths, so the digest does not depend on directory order). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mle_internal.h"

static void to_hex(const uint8_t d[SHA256_DIGEST_SIZE], char hex[65])
{
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
}

static int hash_file_into(struct sha256_ctx *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        return -1;
    }
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(c, n, buf);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    return 0;
}

int mle_sha256_file(const char *path, char hex[65], char *err, size_t errlen)
{
    struct sha256_ctx c;
    sha256_init(&c);
    if (hash_file_into(&c, path, err, errlen) != 0) {
        return -1;
    }
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&c, SHA256_DIGEST_SIZE, d);
    to_hex(d, hex);
    return 0;
}

void mle_sha256_text(const char *s, char hex[65])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, strlen(s), (const uint8_t *)s);
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&c, SHA256_DIGEST_SIZE, d);
    to_hex(d, hex);
}

typedef struct plist { char **p; size_t n, cap; } plist;

static bool wanted(const char *name)
{
    const char *ext[] = {".c", ".h", ".txt", ".md", ".cmake", ".json", ".yaml"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && strcmp(name + n - k, ext[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int walk(const char *dir, plist *l, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 16) {
        if (d) {
            closedir(d);
        }
        return 0; /* a missing subdirectory contributes nothing */
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
            continue;
        }
        struct stat st;
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk(path, l, depth + 1);
        } else if (S_ISREG(st.st_mode) && wanted(e->d_name)) {
            if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 256;
                char **p = realloc(l->p, cap * sizeof *p);
                if (!p) {
                    rc = -1;
                    break;
                }
                l->p = p;
                l->cap = cap;
            }
            l->p[l->n] = strdup(path);
            rc = l->p[l->n] ? 0 : -1;
            l->n += rc == 0;
        }
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int mle_sha256_tree(const char *root, const char *const *subdirs, int n_subdirs, char hex[65], size_t *files,
                    char *err, size_t errlen)
{
    plist l = {0};
    int rc = 0;
    for (int i = 0; i < n_subdirs && rc == 0; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, subdirs[i]);
        rc = walk(dir, &l, 0);
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: out of memory listing the source tree", root);
    }
    qsort(l.p, l.n, sizeof *l.p, cmp_str);
    struct sha256_ctx c;
    sha256_init(&c);
    size_t skip = strlen(root) + 1;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        const char *rel = strlen(l.p[i]) > skip ? l.p[i] + skip : l.p[i];
        sha256_update(&c, strlen(rel) + 1, (const uint8_t *)rel);
        rc = hash_file_into(&c, l.p[i], err, errlen);
    }
    for (size_t i = 0; i < l.n; i++) {
        free(l.p[i]);
    }
    free(l.p);
    if (rc != 0) {
        return -1;
    }
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&c, SHA256_DIGEST_SIZE, d);
    to_hex(d, hex);
    *files = l.n;
    return 0;
}
