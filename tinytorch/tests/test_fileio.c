/* test_fileio.c - the atomic file writer (tinytorch/fileio.h): whole-buffer and streaming writes,
 * an overwrite that keeps the old file until the rename, failures that leave the old file intact and
 * no temporary file behind, folders that cannot be written that give an error naming the path, and
 * tt_mkdir_p (every missing level, a file in the way, a path too long). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tt_test_fs.h"
#include "tinytorch/fileio.h"

static char err[512];

/* Reads the whole file into buf (NUL-terminated); returns its length or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -1;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

static void test_write_whole_buffer(void **state)
{
    (void)state;
    char p[512], buf[256];
    tt_test_path(p, sizeof p, "a.bin");
    const char data[] = "line one\n\0binary\xff tail";
    assert_int_equal(tt_write_file_atomic(p, data, sizeof data, err, sizeof err), 0);
    assert_int_equal(slurp(p, buf, sizeof buf), (long)sizeof data);
    assert_memory_equal(buf, data, sizeof data);
    assert_int_equal(tt_test_dir_entries(), 1); /* the target only: no temporary file left */
    /* an empty buffer makes an empty file; err may be NULL */
    assert_int_equal(tt_write_file_atomic(p, "", 0, NULL, 0), 0);
    assert_int_equal(slurp(p, buf, sizeof buf), 0);
    assert_int_equal(tt_test_dir_entries(), 1);
}

static void test_stream_and_overwrite(void **state)
{
    (void)state;
    char p[512], buf[256];
    tt_test_path(p, sizeof p, "s.json");
    assert_int_equal(tt_write_file_atomic(p, "old\n", 4, err, sizeof err), 0);
    tt_atomic_file af;
    assert_int_equal(tt_atomic_open(&af, p, err, sizeof err), 0);
    assert_non_null(af.f);
    for (int i = 0; i < 3; i++) {
        fprintf(af.f, "{\"i\": %d}\n", i);
    }
    fflush(af.f);
    /* until the commit, readers still see the old file (the new bytes sit in the temporary file) */
    assert_int_equal(slurp(p, buf, sizeof buf), 4);
    assert_string_equal(buf, "old\n");
    assert_int_equal(tt_test_dir_entries(), 2);
    assert_int_equal(tt_atomic_commit(&af, err, sizeof err), 0);
    assert_null(af.f);
    assert_int_equal(slurp(p, buf, sizeof buf), 27);
    assert_string_equal(buf, "{\"i\": 0}\n{\"i\": 1}\n{\"i\": 2}\n");
    assert_int_equal(tt_test_dir_entries(), 1);
}

static void test_abort_keeps_old(void **state)
{
    (void)state;
    char p[512], buf[256];
    tt_test_path(p, sizeof p, "keep.txt");
    assert_int_equal(tt_write_file_atomic(p, "precious", 8, err, sizeof err), 0);
    tt_atomic_file af;
    assert_int_equal(tt_atomic_open(&af, p, err, sizeof err), 0);
    fputs("half a new fi", af.f);
    tt_atomic_abort(&af);
    tt_atomic_abort(&af); /* a second abort is harmless */
    assert_int_equal(slurp(p, buf, sizeof buf), 8);
    assert_string_equal(buf, "precious");
    assert_int_equal(tt_test_dir_entries(), 1);
}

static void test_failed_write_keeps_old(void **state)
{
    (void)state;
    char p[512], buf[256];
    tt_test_path(p, sizeof p, "model.bin");
    assert_int_equal(tt_write_file_atomic(p, "precious", 8, err, sizeof err), 0);
    tt_atomic_file af;
    assert_int_equal(tt_atomic_open(&af, p, err, sizeof err), 0);
    fputs("new contents", af.f);
    /* reading a write-only stream sets its error indicator: the commit must refuse the file */
    assert_int_equal(fgetc(af.f), EOF);
    assert_true(ferror(af.f));
    assert_int_equal(tt_atomic_commit(&af, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "write failed"));
    assert_int_equal(slurp(p, buf, sizeof buf), 8);
    assert_string_equal(buf, "precious");
    assert_int_equal(tt_test_dir_entries(), 1);
}

static void test_rename_failure_leaves_no_temp(void **state)
{
    (void)state;
    char sub[512];
    tt_test_path(sub, sizeof sub, "adir");
    assert_int_equal(mkdir(sub, 0700), 0);
    /* the target is a folder: the rename fails, the folder stays, the temporary file is removed */
    assert_int_equal(tt_write_file_atomic(sub, "x", 1, err, sizeof err), -1);
    assert_int_equal(errno, EISDIR);
    assert_non_null(strstr(err, sub));
    assert_non_null(strstr(err, "write failed"));
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(tt_test_dir_entries(), 1);
    rmdir(sub);
}

static void test_unwritable_folder(void **state)
{
    (void)state;
    char p[512];
    /* a folder that does not exist */
    tt_test_path(p, sizeof p, "missing/x.json");
    assert_int_equal(tt_write_file_atomic(p, "x", 1, err, sizeof err), -1);
    assert_int_equal(errno, ENOENT); /* the cause stays in errno for callers that report it */
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "cannot create"));
    /* a "folder" that is a regular file */
    char file[512];
    tt_test_path(file, sizeof file, "plain");
    assert_int_equal(tt_write_file_atomic(file, "x", 1, err, sizeof err), 0);
    tt_test_path(p, sizeof p, "plain/x.json");
    tt_atomic_file af;
    assert_int_equal(tt_atomic_open(&af, p, err, sizeof err), -1);
    assert_null(af.f);
    assert_non_null(strstr(err, p));
    tt_atomic_abort(&af); /* harmless after a failed open */
    /* a folder without write permission (root may write anyway, so only checked for other users) */
    if (geteuid() != 0) {
        char ro[512];
        tt_test_path(ro, sizeof ro, "ro");
        assert_int_equal(mkdir(ro, 0500), 0);
        tt_test_path(p, sizeof p, "ro/x.json");
        assert_int_equal(tt_write_file_atomic(p, "x", 1, err, sizeof err), -1);
        assert_non_null(strstr(err, p));
        assert_non_null(strstr(err, "cannot create"));
        rmdir(ro);
    }
    /* an empty path */
    assert_int_equal(tt_write_file_atomic("", "x", 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty path"));
    assert_int_equal(tt_test_dir_entries(), 1);
}

/* tt_mkdir_p: every missing level made, an existing folder accepted, a file in the way refused with
 * the path that failed, an over-long path refused. */
static void test_mkdir_p(void **state)
{
    (void)state;
    char a[512], ab[512], abc[512];
    tt_test_path(a, sizeof a, "a");
    tt_test_path(ab, sizeof ab, "a/b");
    tt_test_path(abc, sizeof abc, "a/b/c");
    assert_int_equal(tt_mkdir_p(abc, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(abc, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(tt_mkdir_p(abc, err, sizeof err), 0); /* already there */
    char trailing[600];
    snprintf(trailing, sizeof trailing, "%s/", abc);
    assert_int_equal(tt_mkdir_p(trailing, err, sizeof err), 0);
    /* a regular file where a folder should be: as the last level, and as a parent */
    char f[512], under[600];
    tt_test_path(f, sizeof f, "a/file");
    assert_int_equal(tt_write_file_atomic(f, "x", 1, err, sizeof err), 0);
    assert_int_equal(tt_mkdir_p(f, err, sizeof err), -1);
    assert_non_null(strstr(err, f));
    assert_non_null(strstr(err, "not a directory"));
    snprintf(under, sizeof under, "%s/d", f);
    assert_int_equal(tt_mkdir_p(under, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create directory"));
    assert_non_null(strstr(err, f));
    /* longer than a path can be */
    char *lng = malloc(5000);
    assert_non_null(lng);
    memset(lng, 'x', 4999);
    lng[4999] = '\0';
    char *lerr = malloc(6000); /* the message holds the whole path, then the reason */
    assert_non_null(lerr);
    assert_int_equal(tt_mkdir_p(lng, lerr, 6000), -1);
    assert_non_null(strstr(lerr, "path too long"));
    free(lerr);
    free(lng);
    remove(f);
    rmdir(abc);
    rmdir(ab);
    rmdir(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST_IN_DIR(test_write_whole_buffer),
        TT_TEST_IN_DIR(test_stream_and_overwrite),
        TT_TEST_IN_DIR(test_abort_keeps_old),
        TT_TEST_IN_DIR(test_failed_write_keeps_old),
        TT_TEST_IN_DIR(test_rename_failure_leaves_no_temp),
        TT_TEST_IN_DIR(test_unwritable_folder),
        TT_TEST_IN_DIR(test_mkdir_p),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
