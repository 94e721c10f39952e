/* test_tokenizer.c - module 10: char tokenizer and byte-level BPE: round trips on any bytes, merges
 * worked by hand, vocabulary file save/load and its error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/tokenizer.h"

static void test_char_roundtrip(void **state)
{
    (void)state;
    const char *corpus = "Q: what is a roofline?\nA: compute vs bandwidth. \xce\xbb=\xe2\x88\x9e";
    tt_char_tokenizer tok;
    assert_int_equal(tt_char_tokenizer_build(&tok, corpus, strlen(corpus)), 0);
    /* symbols: distinct code points, lambda and infinity are one symbol each */
    int32_t ids[128];
    int64_t n = tt_char_encode(&tok, corpus, strlen(corpus), ids, 128);
    assert_int_equal(n, (int64_t)strlen(corpus) - 3); /* 2-byte + 3-byte symbols */
    for (int64_t i = 0; i < n; i++) {
        assert_true(ids[i] > 0 && ids[i] < tok.vocab_size);
    }
    char out[256];
    size_t m = tt_char_decode(&tok, ids, n, out, sizeof out);
    assert_int_equal(m, strlen(corpus));
    assert_memory_equal(out, corpus, m);
    /* ids are sorted by code point: ' ' (0x20) < '.' < ':' < 'A' */
    int32_t sp, dot;
    tt_char_encode(&tok, " ", 1, &sp, 1);
    tt_char_encode(&tok, ".", 1, &dot, 1);
    assert_true(sp < dot);
    /* unseen symbol -> <unk> -> '?' */
    int32_t z;
    assert_int_equal(tt_char_encode(&tok, "Z", 1, &z, 1), 1);
    assert_int_equal(z, TT_CHAR_UNK);
    assert_int_equal(tt_char_decode(&tok, &z, 1, out, 4), 1);
    assert_int_equal(out[0], '?');
    tt_char_tokenizer_free(&tok);
}

static void test_bpe_hand_worked(void **state)
{
    (void)state;
    /* "aaab aaab aaab": chunks "aaab", " aaab", " aaab". Pair counts: (a,a) 2 per chunk = 6,
     * (a,b) 3, (' ',a) 2. First merge: (97,97) -> 256. Words become [256,a,b], [' ',256,a,b]:
     * (256,a) 3, (a,b) 3 -> tie, the smaller key (97,98) < (256,97) wins: merge 257 = (97,98). */
    const char *text = "aaab aaab aaab";
    tt_bpe b;
    char err[256];
    assert_int_equal(tt_bpe_train(&b, text, strlen(text), 259, err, sizeof err), 0);
    assert_int_equal(b.vocab_size, 259);
    assert_int_equal(b.merges[0][0], 97);
    assert_int_equal(b.merges[0][1], 97);
    assert_int_equal(b.merges[1][0], 97);
    assert_int_equal(b.merges[1][1], 98);
    assert_int_equal(b.merges[2][0], 256); /* (256, 257) occurs 3 times */
    assert_int_equal(b.merges[2][1], 257);
    int32_t ids[32];
    int64_t n = tt_bpe_encode(&b, text, strlen(text), ids, 32);
    /* "aaab" -> [258]; " aaab" -> [' ', 258] twice */
    assert_int_equal(n, 5);
    int32_t want[5] = {258, 32, 258, 32, 258};
    assert_memory_equal(ids, want, sizeof want);
    tt_bpe_free(&b);
}

static void test_bpe_roundtrip_any_bytes(void **state)
{
    (void)state;
    const char *corpus =
        "Q: Why does the KV cache grow with the context?\nA: Each token keeps its keys and values.\n\n"
        "Q: What limits decoding speed?\nA: Memory bandwidth: every weight is read once per token.\n";
    tt_bpe b;
    char err[256];
    assert_int_equal(tt_bpe_train(&b, corpus, strlen(corpus), 300, err, sizeof err), 0);
    assert_true(b.vocab_size > 256);
    /* corpus compresses */
    int32_t *ids = malloc(strlen(corpus) * sizeof *ids);
    int64_t n = tt_bpe_encode(&b, corpus, strlen(corpus), ids, (int64_t)strlen(corpus));
    assert_true(n < (int64_t)strlen(corpus) * 3 / 4);
    free(ids);
    /* random byte strings, including invalid UTF-8, NUL and bytes never seen */
    unsigned seed = 12345;
    for (int trial = 0; trial < 200; trial++) {
        char buf[64];
        size_t len = (size_t)(trial % 64);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            buf[i] = trial % 3 == 0 ? (char)(r & 0xff) : " the KVcaheQ:\n"[r % 14];
        }
        int32_t t[64];
        int64_t k = tt_bpe_encode(&b, buf, len, t, 64);
        assert_true(k <= (int64_t)len);
        char back[64];
        size_t m = tt_bpe_decode(&b, t, k, back, sizeof back);
        assert_int_equal(m, len);
        assert_memory_equal(back, buf, len);
    }
    int32_t bad = b.vocab_size;
    char o[4];
    assert_true(tt_bpe_decode(&b, &bad, 1, o, 4) == SIZE_MAX);
    tt_bpe_free(&b);
}

static void test_bpe_save_load(void **state)
{
    (void)state;
    const char *corpus = "roofline roofline bandwidth bandwidth memory memory \t\n\\ backslash";
    tt_bpe b, c;
    char err[512];
    assert_int_equal(tt_bpe_train(&b, corpus, strlen(corpus), 280, err, sizeof err), 0);
    const char *path = "test_tokenizer_vocab.txt";
    assert_int_equal(tt_bpe_save(&b, path, err, sizeof err), 0);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), 0);
    assert_int_equal(c.vocab_size, b.vocab_size);
    for (int32_t i = 0; i < b.vocab_size; i++) {
        assert_int_equal(c.len[i], b.len[i]);
        assert_memory_equal(c.bytes[i], b.bytes[i], (size_t)b.len[i]);
    }
    /* the file is readable: a merged token shows its text */
    FILE *f = fopen(path, "rb");
    char text[8192];
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = 0;
    fclose(f);
    assert_non_null(strstr(text, "tinytorch-bpe 1"));
    assert_non_null(strstr(text, "roofline"));
    tt_bpe_free(&c);
    /* broken files name the file and line */
    f = fopen(path, "wb");
    fputs("tinytorch-bpe 1\nvocab_size 258\n256 97 98 ab\n257 300 1 x\n", f);
    fclose(f);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "test_tokenizer_vocab.txt:4:"));
    f = fopen(path, "wb");
    fputs("hello\n", f);
    fclose(f);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1: not a tinytorch BPE"));
    f = fopen(path, "wb");
    fputs("tinytorch-bpe 1\nvocab_size 258\n256 97 98 ab\n# one merge short\n", f);
    fclose(f);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "vocab_size says 258"));
    assert_int_equal(tt_bpe_load(&c, "no/such/file.txt", err, sizeof err), -1);
    assert_non_null(strstr(err, "no/such/file.txt"));
    remove(path);
    assert_int_equal(tt_bpe_train(&c, corpus, strlen(corpus), 100, err, sizeof err), -1);
    assert_non_null(strstr(err, "vocab_size"));
    tt_bpe_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_char_roundtrip),
        cmocka_unit_test(test_bpe_hand_worked),
        cmocka_unit_test(test_bpe_roundtrip_any_bytes),
        cmocka_unit_test(test_bpe_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
