/* tt_test_fs.h - a scratch directory per test (POSIX). Include after defining _POSIX_C_SOURCE. */
#ifndef TT_TEST_FS_H
#define TT_TEST_FS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Creates /tmp/<prefix>XXXXXX into dir; returns 0 on success. */
static inline int tt_test_mkdtemp(char *dir, size_t n, const char *prefix)
{
    snprintf(dir, n, "/tmp/%sXXXXXX", prefix);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes the files directly inside dir, then dir itself. */
static inline void tt_test_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] != '.') {
                char p[600];
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                remove(p);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

#endif
