/* test_robustness.c - hostile input to every TinyTorch reader of outside files: IDX (plain and gzip),
 * CSV, JSON, safetensors and BPE vocabularies. Each case is a reproducer that once crashed, hung,
 * allocated gigabytes or loaded a wrong value; each must now be refused with a message naming the
 * file (and line/column where there is one), or loaded right. The same inputs are replayed by the
 * fuzz harnesses (fuzz/regress/). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "tt_test_fs.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/data.h"
#include "tinytorch/json.h"
#include "tinytorch/tokenizer.h"

static char err[512];
static char path[512];

/* Writes n bytes to tt_test_dir/name; path holds the full name afterwards. */
static const char *put(const char *name, const void *bytes, size_t n)
{
    tt_test_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *put_str(const char *name, const char *s) { return put(name, s, strlen(s)); }

/* Expects `call` to return -1 with err holding both substrings. */
#define EXPECT_REFUSED(call, s1, s2)                                                               \
    do {                                                                                           \
        err[0] = 0;                                                                                \
        assert_int_equal((call), -1);                                                              \
        if (!strstr(err, (s1)) || !strstr(err, (s2))) {                                            \
            fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err, (s1), (s2));                   \
        }                                                                                          \
    } while (0)

/* ---- IDX / MNIST / gzip ---------------------------------------------------------------------------- */

static void test_idx_sizes_overflow(void **state)
{
    (void)state;
    tt_dataset *ds = (tt_dataset *)1;
    /* 16 x 2^31 x 2^29 = 2^64 elements: wrapped to 0 and was accepted, then a wild memcpy */
    const unsigned char img[16] = {0, 0, 8, 3, 0, 0, 0, 0x10, 0x80, 0, 0, 0, 0x20, 0, 0, 0};
    unsigned char lab[24] = {0, 0, 8, 1, 0, 0, 0, 0x10};
    put("w-images-idx3-ubyte", img, sizeof img);
    put("w-labels-idx1-ubyte", lab, sizeof lab);
    EXPECT_REFUSED(tt_load_mnist(tt_test_dir, "w", 0, 1, &ds, err, sizeof err), "w-images-idx3-ubyte", "implausibly large");
    assert_null(ds);
    /* 0 images of 2^31 x 2^31 pixels: a signed overflow in the sample size */
    const unsigned char img0[16] = {0, 0, 8, 3, 0, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0};
    const unsigned char lab0[8] = {0, 0, 8, 1, 0, 0, 0, 0};
    put("z-images-idx3-ubyte", img0, sizeof img0);
    put("z-labels-idx1-ubyte", lab0, sizeof lab0);
    EXPECT_REFUSED(tt_load_mnist(tt_test_dir, "z", 0, 1, &ds, err, sizeof err), "z-images-idx3-ubyte", "implausibly large");
    /* 0 images of 28 x 28 is a valid, empty data set */
    const unsigned char img1[16] = {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28};
    put("e-images-idx3-ubyte", img1, sizeof img1);
    put("e-labels-idx1-ubyte", lab0, sizeof lab0);
    assert_int_equal(tt_load_mnist(tt_test_dir, "e", 0, 1, &ds, err, sizeof err), 0);
    assert_int_equal(ds->len, 0);
    assert_int_equal(ds->sample_numel, 784);
    tt_dataset_free(ds);
}

/* gzip whose inflated bytes are: IDX header claiming n uint8 elements, then `have` zero bytes. */
static const char *put_idx_gz(const char *name, uint32_t n, size_t have)
{
    tt_test_path(path, sizeof path, name);
    gzFile gz = gzopen(path, "wb9");
    assert_non_null(gz);
    unsigned char h[8] = {0, 0, 8, 1, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    assert_int_equal(gzwrite(gz, h, 8), 8);
    static unsigned char zeros[1 << 16];
    for (size_t done = 0; done < have;) {
        unsigned k = (unsigned)(have - done < sizeof zeros ? have - done : sizeof zeros);
        assert_int_equal(gzwrite(gz, zeros, k), (int)k);
        done += k;
    }
    assert_int_equal(gzclose(gz), Z_OK);
    return path;
}

static void test_idx_gzip_header_first(void **state)
{
    (void)state;
    tt_idx idx;
    /* 2^31 elements promised, 100 bytes present: refused as truncated, with only what arrived held */
    EXPECT_REFUSED(tt_idx_read(put_idx_gz("t.gz", 0x80000000u, 100), &idx, err, sizeof err), "t.gz",
                   "truncated: 108 bytes, the header promises 2147483656");
    assert_null(idx.data);
    /* 10 elements promised, 32 MB of zeros after them (a 32 kB archive): refused after reading 1 MiB
     * more, nothing kept (this inflated all 32 MB into memory, 2 GB for a 2 MB archive) */
    EXPECT_REFUSED(tt_idx_read(put_idx_gz("x.gz", 10, 32u << 20), &idx, err, sizeof err), "x.gz",
                   "more than 1048576 trailing bytes after the 18");
    EXPECT_REFUSED(tt_idx_read(put_idx_gz("y.gz", 10, 1000), &idx, err, sizeof err), "y.gz",
                   ": 990 trailing bytes after the 18");
    /* the same promise kept is fine */
    assert_int_equal(tt_idx_read(put_idx_gz("ok.gz", 10, 10), &idx, err, sizeof err), 0);
    assert_int_equal(idx.numel, 10);
    tt_idx_free(&idx);
    /* a plain file is checked against its size before any allocation */
    const unsigned char big[12] = {0, 0, 0x0D, 2, 0, 1, 0, 0, 0, 1, 0, 0}; /* 65536 x 65536 floats */
    EXPECT_REFUSED(tt_idx_read(put("big.idx", big, sizeof big), &idx, err, sizeof err), "big.idx",
                   "truncated: 12 bytes, the header promises 17179869196");
}

/* ---- CSV ------------------------------------------------------------------------------------------ */

static void test_csv_values(void **state)
{
    (void)state;
    tt_dataset *ds;
    /* a float overflow used to load as +inf */
    EXPECT_REFUSED(tt_csv_load(put_str("o.csv", "1,2,0\n3,4e39,1\n"), NULL, &ds, err, sizeof err),
                   "o.csv:2:3: column 2", "\"4e39\" overflows a float");
    EXPECT_REFUSED(tt_csv_load(put_str("i.csv", "1,2,0\n3,1e999,1\n"), NULL, &ds, err, sizeof err),
                   "i.csv:2:3: column 2", "not a finite number");
    EXPECT_REFUSED(tt_csv_load(put_str("n.csv", "1,nan,0\n"), NULL, &ds, err, sizeof err), "n.csv:1:3:",
                   "not a finite number");
    /* scaling may overflow too */
    EXPECT_REFUSED(tt_csv_load(put_str("s.csv", "3e38,0\n"), &(tt_csv_opts){.scale = 10}, &ds, err, sizeof err),
                   "s.csv:1:1: column 1", "scale");
    /* a denormal was refused as "not a finite number"; it is a fine value */
    assert_int_equal(tt_csv_load(put_str("d.csv", "1e-310,1e-40,2\n"), NULL, &ds, err, sizeof err), 0);
    float x[2];
    int32_t y;
    tt_dataset_get(ds, 0, x, &y);
    assert_true(x[0] == 0.0f && x[1] > 0.0f && x[1] < 1e-39f && y == 2);
    tt_dataset_free(ds);
}

static void test_csv_real_files(void **state)
{
    (void)state;
    tt_dataset *ds;
    /* BOM, a header (recognised), quoted fields, CRLF, a quoted header cell with a comma */
    const char *csv = "\xEF\xBB\xBF\"sepal, cm\",width,species\r\n\"5.1\",3.5,0\r\n 4.9 , \"3.0\" ,2\r\n\r\n";
    assert_int_equal(tt_csv_load(put_str("iris.csv", csv), NULL, &ds, err, sizeof err), 0);
    assert_int_equal(ds->len, 2);
    assert_int_equal(ds->sample_numel, 2);
    assert_int_equal(ds->num_classes, 3);
    float x[2];
    int32_t y;
    tt_dataset_get(ds, 1, x, &y);
    assert_true(x[0] == 4.9f && x[1] == 3.0f && y == 2);
    tt_dataset_free(ds);
    /* the caller's class count: a stray label is refused with its place */
    EXPECT_REFUSED(tt_csv_load(path, &(tt_csv_opts){.num_classes = 2}, &ds, err, sizeof err), "iris.csv:3:",
                   "label 2 is outside 0..1 (2 classes)");
    assert_int_equal(tt_csv_load(path, &(tt_csv_opts){.num_classes = 5}, &ds, err, sizeof err), 0);
    assert_int_equal(ds->num_classes, 5);
    tt_dataset_free(ds);
    /* label in the first column (1-based), header forced off: the header is then a bad number */
    EXPECT_REFUSED(tt_csv_load(path, &(tt_csv_opts){.label_col = 1, .header = TT_CSV_HEADER_NO}, &ds, err,
                               sizeof err), "iris.csv:1:1: column 1", "is not a number");
    /* a header with a number in it is not recognised; the message says how to declare it */
    EXPECT_REFUSED(tt_csv_load(put_str("y.csv", "x,2024,label\n1,2,0\n"), NULL, &ds, err, sizeof err),
                   "y.csv:1:1: column 1: \"x\" is not a number", "TT_CSV_HEADER_YES");
    assert_int_equal(tt_csv_load(path, &(tt_csv_opts){.header = TT_CSV_HEADER_YES}, &ds, err, sizeof err), 0);
    tt_dataset_free(ds);
    /* header row and data rows must agree */
    EXPECT_REFUSED(tt_csv_load(put_str("h.csv", "a,b,c\n1,2\n"), NULL, &ds, err, sizeof err), "h.csv:2:1",
                   "2 columns, earlier lines have 3");
    /* quoting mistakes point at the spot */
    EXPECT_REFUSED(tt_csv_load(put_str("q.csv", "1,2\n3,\"4\n"), NULL, &ds, err, sizeof err), "q.csv:2:3:",
                   "unterminated quoted field");
    EXPECT_REFUSED(tt_csv_load(put_str("r.csv", "1,2\n3,\"4\"x,1\n"), NULL, &ds, err, sizeof err), "r.csv:2:6:",
                   "after the closing quote");
    EXPECT_REFUSED(tt_csv_load(put_str("u.csv", "1,2\n3,4\"\n"), NULL, &ds, err, sizeof err), "u.csv:2:4:",
                   "quote inside an unquoted field");
    EXPECT_REFUSED(tt_csv_load(put("z.csv", "1,2\n3,\0\n", 8), NULL, &ds, err, sizeof err), "z.csv:2:3:", "NUL");
    /* a 10^5-column line */
    size_t n = 100000 * 2;
    char *wide = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2) {
        wide[i] = '1';
        wide[i + 1] = ',';
    }
    wide[n - 1] = '\n';
    wide[n] = 0;
    assert_int_equal(tt_csv_load(put_str("w.csv", wide), NULL, &ds, err, sizeof err), 0);
    assert_int_equal(ds->sample_numel, 99999);
    tt_dataset_free(ds);
    free(wide);
}

/* ---- JSON ----------------------------------------------------------------------------------------- */

static void test_json_limits(void **state)
{
    (void)state;
    /* the last two: a member name twice (a reader would see only the first), at any depth */
    const char *bad[] = {"1e999", "[-1e999]", "{\"a\":1E400}", "{\"w\\u0000x\":1}",
                         "{\"dtype\":\"F32\",\"shape\":[],\"dtype\":\"I8\"}", "[{\"a\":{\"b\":1,\"b\":1}}]"};
    const char *why[] = {"out of range", "out of range", "out of range", "NUL",
                         "member \"dtype\" appears twice", "member \"b\" appears twice"};
    for (int i = 0; i < 6; i++) {
        err[0] = 0;
        assert_null(tt_json_parse(bad[i], strlen(bad[i]), err, sizeof err));
        if (!strstr(err, why[i]) || !strstr(err, "line 1, column")) {
            fail_msg("%s: message \"%s\"", bad[i], err);
        }
    }
    const char *ok = "[1e-400, 4.9e-324, \"a\\u0000b\"]";
    tt_json *j = tt_json_parse(ok, strlen(ok), err, sizeof err);
    assert_non_null(j);
    assert_true(tt_json_at(j, 0)->number == 0.0 && tt_json_at(j, 1)->number > 0.0);
    assert_int_equal(tt_json_at(j, 2)->len, 3); /* NUL inside a value is kept, with its length */
    tt_json_free(j);
    ok = "[{\"a\":1,\"b\":2},{\"a\":3}]"; /* the same name in different objects is fine */
    j = tt_json_parse(ok, strlen(ok), err, sizeof err);
    assert_non_null(j);
    tt_json_free(j);
    assert_null(tt_json_parse_max("[1,2,3]", 7, 3, err, sizeof err));
    assert_non_null(strstr(err, "more than 3 values"));
    j = tt_json_parse_max("[1,2,3]", 7, 4, err, sizeof err);
    assert_non_null(j);
    tt_json_free(j);
}

/* ---- safetensors ---------------------------------------------------------------------------------- */

/* A safetensors file from a header string and n data bytes (all 0x3f). */
static const char *put_st(const char *name, const char *header, size_t n)
{
    size_t hl = strlen(header), total = 8 + hl + n;
    unsigned char *b = malloc(total);
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    }
    memcpy(b + 8, header, hl);
    memset(b + 8 + hl, 0x3f, n);
    put(name, b, total);
    free(b);
    return path;
}

#define ST_W "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"

static void test_safetensors_hostile(void **state)
{
    (void)state;
    tt_tensor *w = tt_tensor_new_persistent(1, (const int64_t[]){2});
    tt_params p;
    tt_params_init(&p);
    tt_params_add(&p, "w", w);
    w->data[0] = 7.0f;
    /* sanity: a good file loads */
    assert_int_equal(tt_safetensors_load(put_st("ok.st", "{" ST_W "}", 8), &p, true, err, sizeof err), 0);
    assert_true(w->data[0] != 7.0f);
    w->data[0] = 7.0f;
    /* 2^32 x 2^32 x 4 bytes wrapped to 0 and was accepted */
    const char *wrap = "{" ST_W ",\"v\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                       "\"data_offsets\":[8,8]}}";
    EXPECT_REFUSED(tt_safetensors_load(put_st("wrap.st", wrap, 8), &p, false, err, sizeof err), "wrap.st",
                   "shape too large");
    /* a name given twice */
    const char *dup = "{" ST_W ",\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
    EXPECT_REFUSED(tt_safetensors_load(put_st("dup.st", dup, 16), &p, false, err, sizeof err), "dup.st",
                   "\"w\" appears twice");
    /* "w\u0000x" loaded into w */
    const char *nul = "{\"w\\u0000x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    EXPECT_REFUSED(tt_safetensors_load(put_st("nul.st", nul, 8), &p, false, err, sizeof err), "nul.st", "NUL");
    /* dtype "F32\u0000junk" read as F32 */
    const char *dt = "{\"w\":{\"dtype\":\"F32\\u0000junk\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    EXPECT_REFUSED(tt_safetensors_load(put_st("dt.st", dt, 8), &p, false, err, sizeof err), "dt.st",
                   "unknown dtype");
    /* a header whose tree would be huge is refused after a bounded number of values */
    size_t nv = (1u << 20) + 10, hl = 2 * nv + 16;
    char *h = malloc(hl + 1);
    size_t k = (size_t)sprintf(h, "{\"a\":[");
    for (size_t i = 0; i < nv; i++) {
        h[k++] = '0';
        h[k++] = ',';
    }
    k--;
    k += (size_t)sprintf(h + k, "]}");
    EXPECT_REFUSED(tt_safetensors_load(put_st("many.st", h, 0), &p, false, err, sizeof err), "many.st",
                   "more than 1048576 values");
    free(h);
    /* a header length beyond the file is refused before it is read */
    const unsigned char len_only[9] = {0xff, 0xff, 0x00, 0x00, 0, 0, 0, 0, '{'};
    EXPECT_REFUSED(tt_safetensors_load(put("short.st", len_only, sizeof len_only), &p, false, err, sizeof err),
                   "short.st", "truncated");
    assert_true(w->data[0] == 7.0f); /* no refused file touched the tensor */
    tt_params_free(&p);
    tt_tensor_free(w);
}

/* ---- BPE vocabularies ----------------------------------------------------------------------------- */

static void test_bpe_hostile(void **state)
{
    (void)state;
    tt_bpe b;
    /* a 36-byte file claiming 16,777,216 ids allocated ~700 MB before refusing */
    EXPECT_REFUSED(tt_bpe_load(&b, put_str("v.bpe", "tinytorch-bpe 1\nvocab_size 16777216\n"), err, sizeof err),
                   "v.bpe:2:", "needs 16776960 merge lines");
    /* ids that overflow an int */
    EXPECT_REFUSED(tt_bpe_load(&b, put_str("o.bpe", "tinytorch-bpe 1\nvocab_size 257\n256 99999999999 1 x\n"), err,
                               sizeof err), "o.bpe:3:", "expected");
    /* a token joined to itself doubles each line: refused at 64 KiB, not after 4 GB */
    size_t cap = 1 << 19, n = 0;
    char *f = malloc(cap);
    n += (size_t)sprintf(f, "tinytorch-bpe 1\nvocab_size 276\n");
    for (int i = 0; i < 20; i++) {
        int id = 256 + i, prev = i ? id - 1 : 'a';
        n += (size_t)sprintf(f + n, "%d %d %d ", id, prev, prev);
        size_t len = (size_t)2 << i;
        if (len > (1u << 16)) {
            len = 1; /* the text no longer matters: refused on size first */
        }
        memset(f + n, 'a', len);
        n += len;
        f[n++] = '\n';
    }
    EXPECT_REFUSED(tt_bpe_load(&b, put("d.bpe", f, n), err, sizeof err), "d.bpe:19:",
                   "token 272 would be 131072 bytes");
    free(f);
    /* the token text must spell its pair */
    EXPECT_REFUSED(tt_bpe_load(&b, put_str("t.bpe", "tinytorch-bpe 1\nvocab_size 257\n256 97 98 ba\n"), err,
                               sizeof err), "t.bpe:3:", "does not spell");
    /* a vocabulary with an 8,192-byte token (and longer) saves and loads back */
    size_t tl = 40000;
    char *text = malloc(tl);
    memset(text, 'a', tl);
    assert_int_equal(tt_bpe_train(&b, text, tl, 300, err, sizeof err), 0);
    int32_t longest = 0;
    for (int32_t i = 0; i < b.vocab_size; i++) {
        longest = b.len[i] > longest ? b.len[i] : longest;
    }
    assert_true(longest >= 8192 && longest <= (1 << 16));
    tt_test_path(path, sizeof path, "long.bpe");
    assert_int_equal(tt_bpe_save(&b, path, err, sizeof err), 0);
    tt_bpe c;
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), 0);
    assert_int_equal(c.vocab_size, b.vocab_size);
    for (int32_t i = 0; i < b.vocab_size; i++) {
        assert_int_equal(c.len[i], b.len[i]);
        assert_memory_equal(c.bytes[i], b.bytes[i], (size_t)b.len[i]);
    }
    tt_bpe_free(&b);
    tt_bpe_free(&c);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TT_TEST_IN_DIR(test_idx_sizes_overflow),
        TT_TEST_IN_DIR(test_idx_gzip_header_first),
        TT_TEST_IN_DIR(test_csv_values),
        TT_TEST_IN_DIR(test_csv_real_files),
        cmocka_unit_test(test_json_limits),
        TT_TEST_IN_DIR(test_safetensors_hostile),
        TT_TEST_IN_DIR(test_bpe_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
