/* tt_test_fs.h - a scratch directory per test (POSIX), and the cmocka fixtures that give one to each
 * test of a file. Include after defining _POSIX_C_SOURCE. */
#ifndef TT_TEST_FS_H
#define TT_TEST_FS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tinytorch/autograd.h"

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

/* ---- a fresh folder for each test --------------------------------------------------------------- */

/* cmocka_unit_test_setup_teardown(test, tt_test_dir_setup, tt_test_dir_teardown): the test finds an
 * empty folder named in tt_test_dir (/tmp/tt_test_XXXXXX); afterwards it is removed and the step
 * arena rewound. A file with more to reset wraps the two. */
static char tt_test_dir[256] __attribute__((unused));

static inline int tt_test_dir_setup(void **state)
{
    (void)state;
    return tt_test_mkdtemp(tt_test_dir, sizeof tt_test_dir, "tt_test_");
}

static inline int tt_test_dir_teardown(void **state)
{
    (void)state;
    tt_test_rmdir(tt_test_dir);
    tt_arena_reset();
    return 0;
}

/* A cmocka test entry with the two fixtures above. */
#define TT_TEST_IN_DIR(test) cmocka_unit_test_setup_teardown(test, tt_test_dir_setup, tt_test_dir_teardown)

/* tt_test_dir/name into out. */
static inline void tt_test_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tt_test_dir, name);
}

/* Entries in tt_test_dir, "." and ".." left out (a save must leave no temporary file behind); -1
 * when the folder cannot be read, so that no expected count passes by accident. */
static inline int tt_test_dir_entries(void)
{
    DIR *d = opendir(tt_test_dir);
    if (!d) {
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

#endif
