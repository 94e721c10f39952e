/* test_tokenizer.c - module 10: char tokenizer, byte-level and word-level BPE: round trips on any bytes,
 * merges worked by hand, vocabulary file save/load and its error messages; padding/truncation with its
 * mask and vocabulary statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

static void test_word_bpe_hand_worked(void **state)
{
    (void)state;
    /* words "low" x2, "lower": [l o w </w>] x2, [l o w e r </w>]. Pair counts: (l,o) 3, (o,w) 3 -> tie,
     * the smaller key (108,111) wins: 257 = "lo". Then (257,w) 3 -> 258 = "low"; then (258,</w>) 2 ->
     * 259 = "low</w>" (spelled "low "); then every pair occurs once: training stops at 260 ids. */
    const char *text = "low  low\nlower";
    tt_bpe b;
    char err[256];
    assert_int_equal(tt_word_bpe_train(&b, text, strlen(text), 270, err, sizeof err), 0);
    assert_true(b.words);
    assert_int_equal(b.base, 257);
    assert_int_equal(b.vocab_size, 260);
    assert_int_equal(b.merges[0][0], 'l');
    assert_int_equal(b.merges[0][1], 'o');
    assert_int_equal(b.merges[1][0], 257);
    assert_int_equal(b.merges[1][1], 'w');
    assert_int_equal(b.merges[2][0], 258);
    assert_int_equal(b.merges[2][1], TT_BPE_EOW);
    assert_int_equal(b.len[259], 4);
    assert_memory_equal(b.bytes[259], "low ", 4);
    int32_t ids[16];
    int64_t n = tt_bpe_encode(&b, " low lower\n", 11, ids, 16);
    int32_t want[5] = {259, 258, 'e', 'r', TT_BPE_EOW};
    assert_int_equal(n, 5);
    assert_memory_equal(ids, want, sizeof want);
    char out[32];
    size_t m = tt_bpe_decode(&b, ids, n, out, sizeof out);
    assert_int_equal(m, 10);
    assert_memory_equal(out, "low lower ", 10); /* white space became one space after each word */
    tt_bpe_free(&b);
    assert_int_equal(tt_word_bpe_train(&b, text, strlen(text), 256, err, sizeof err), -1);
    assert_non_null(strstr(err, "[257,"));
    tt_bpe_free(&b);
}

/* s with each run of white space dropped and every word followed by one space. */
static size_t words_spaced(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        bool sp = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r';
        if (!sp) {
            out[o++] = s[i];
            if (i + 1 == n || s[i + 1] == ' ' || s[i + 1] == '\n' || s[i + 1] == '\t' || s[i + 1] == '\r') {
                out[o++] = ' ';
            }
        }
    }
    return o;
}

static void test_word_bpe_roundtrip_save_load(void **state)
{
    (void)state;
    const char *corpus =
        "Q: Why does the KV cache grow with the context?\nA: Each token keeps its keys and values.\n\n"
        "Q: What limits decoding speed?\nA: Memory bandwidth: every weight is read once per token.\n";
    tt_bpe b, c;
    char err[512];
    assert_int_equal(tt_word_bpe_train(&b, corpus, strlen(corpus), 330, err, sizeof err), 0);
    /* a word the corpus repeats ("the") becomes one token ending in </w> */
    int32_t id[8];
    assert_int_equal(tt_bpe_encode(&b, "the", 3, id, 8), 1);
    assert_int_equal(b.bytes[id[0]][b.len[id[0]] - 1], ' ');
    unsigned seed = 7;
    for (int trial = 0; trial < 200; trial++) {
        char buf[64], want[130], back[130];
        size_t len = (size_t)(trial % 64);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            buf[i] = trial % 3 == 0 ? (char)(r & 0xff) : " the KVcaheQ:\n"[r % 14];
        }
        int32_t t[80];
        int64_t k = tt_bpe_encode(&b, buf, len, t, 80);
        assert_true(k <= (int64_t)len + 1);
        size_t m = tt_bpe_decode(&b, t, k, back, sizeof back);
        size_t w = words_spaced(buf, len, want);
        assert_int_equal(m, w);
        assert_memory_equal(back, want, w);
    }
    const char *path = "test_tokenizer_word_vocab.txt";
    assert_int_equal(tt_bpe_save(&b, path, err, sizeof err), 0);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), 0);
    assert_true(c.words);
    assert_int_equal(c.vocab_size, b.vocab_size);
    for (int32_t i = 0; i < b.vocab_size; i++) {
        assert_int_equal(c.len[i], b.len[i]);
        assert_memory_equal(c.bytes[i], b.bytes[i], (size_t)b.len[i]);
    }
    tt_bpe_free(&c);
    FILE *f = fopen(path, "wb");
    fputs("tinytorch-word-bpe 1\nvocab_size 300\n257 97 98 ab\n", f);
    fclose(f);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "test_tokenizer_word_vocab.txt:2: vocab_size 300 needs 43 merge lines"));
    f = fopen(path, "wb");
    fputs("tinytorch-word-bpe 1\nvocab_size 258\n257 97 256 a\\x00\n", f);
    fclose(f);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, ":3: the token text does not spell ids 97 + 256"));
    f = fopen(path, "wb");
    fputs("tinytorch-word-bpe 1\nvocab_size 256\n", f);
    fclose(f);
    assert_int_equal(tt_bpe_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: expected \"vocab_size N\" with N in 257.."));
    remove(path);
    tt_bpe_free(&b);
}

static void test_pad_truncate(void **state)
{
    (void)state;
    const int32_t ids[5] = {11, 12, 13, 14, 15};
    int32_t out[8];
    uint8_t mask[8];
    tt_pad_opts o = {.length = 7, .pad_id = 0};
    assert_int_equal(tt_pad_truncate(ids, 5, &o, out, mask), 5);
    assert_memory_equal(out, ((int32_t[]){11, 12, 13, 14, 15, 0, 0}), 7 * sizeof(int32_t));
    assert_memory_equal(mask, ((uint8_t[]){1, 1, 1, 1, 1, 0, 0}), 7);
    o.pad_left = true;
    o.pad_id = -1;
    assert_int_equal(tt_pad_truncate(ids, 5, &o, out, mask), 5);
    assert_memory_equal(out, ((int32_t[]){-1, -1, 11, 12, 13, 14, 15}), 7 * sizeof(int32_t));
    assert_memory_equal(mask, ((uint8_t[]){0, 0, 1, 1, 1, 1, 1}), 7);
    o = (tt_pad_opts){.length = 3};
    assert_int_equal(tt_pad_truncate(ids, 5, &o, out, mask), 3);
    assert_memory_equal(out, ((int32_t[]){11, 12, 13}), 3 * sizeof(int32_t));
    o.truncate_left = true; /* keep the most recent ids */
    assert_int_equal(tt_pad_truncate(ids, 5, &o, out, NULL), 3);
    assert_memory_equal(out, ((int32_t[]){13, 14, 15}), 3 * sizeof(int32_t));
    /* a batch of three: padded, exact, truncated */
    const int32_t *seqs[3] = {ids, ids + 1, ids};
    const int64_t lens[3] = {1, 3, 5};
    int32_t bo[9];
    uint8_t bm[9];
    o = (tt_pad_opts){.length = 3, .pad_id = 99};
    assert_int_equal(tt_pad_batch(seqs, lens, 3, &o, bo, bm), 7);
    assert_memory_equal(bo, ((int32_t[]){11, 99, 99, 12, 13, 14, 11, 12, 13}), sizeof bo);
    assert_memory_equal(bm, ((uint8_t[]){1, 0, 0, 1, 1, 1, 1, 1, 1}), sizeof bm);
}

static void test_vocab_stats(void **state)
{
    (void)state;
    /* char tokenizer on its own text: 16 symbols, 4 words; then on text with unseen letters */
    const char *text = "abc ab\na  abcab";
    tt_char_tokenizer tok;
    assert_int_equal(tt_char_tokenizer_build(&tok, text, strlen(text)), 0);
    assert_int_equal(tok.vocab_size, 6); /* <unk> ' ' '\n' a b c */
    int32_t ids[32];
    int64_t n = tt_char_encode(&tok, text, strlen(text), ids, 32);
    int64_t counts[6];
    tt_vocab_stats st;
    assert_int_equal(tt_vocab_stats_compute(text, strlen(text), ids, n, tok.vocab_size, TT_CHAR_UNK, counts, &st), 0);
    assert_int_equal(st.tokens, 15);
    assert_int_equal(st.words, 4);
    assert_int_equal(st.used, 5);                    /* all but <unk> */
    assert_float_equal(st.coverage, 5.0 / 6.0, 1e-12);
    assert_float_equal(st.tokens_per_word, 15.0 / 4.0, 1e-12);
    assert_float_equal(st.bytes_per_token, 1.0, 1e-12);
    assert_int_equal(st.unknown, 0);
    assert_int_equal(st.top_id, ids[0]);             /* 'a' occurs 5 times */
    assert_int_equal(st.top_count, 5);
    const char *other = "abz zz";
    n = tt_char_encode(&tok, other, strlen(other), ids, 32);
    assert_int_equal(tt_vocab_stats_compute(other, strlen(other), ids, n, tok.vocab_size, TT_CHAR_UNK, NULL, &st), 0);
    assert_int_equal(st.unknown, 3);
    assert_float_equal(st.unknown_rate, 0.5, 1e-12);
    assert_int_equal(st.top_id, TT_CHAR_UNK);
    tt_char_tokenizer_free(&tok);

    /* BPE compresses: more bytes per token than bytes do, fewer tokens per word */
    const char *corpus = "the cache grows with the context; the cache holds keys and values for the context";
    tt_bpe b;
    char err[128];
    assert_int_equal(tt_bpe_train(&b, corpus, strlen(corpus), 300, err, sizeof err), 0);
    int32_t bi[128];
    n = tt_bpe_encode(&b, corpus, strlen(corpus), bi, 128);
    assert_int_equal(tt_vocab_stats_compute(corpus, strlen(corpus), bi, n, b.vocab_size, -1, NULL, &st), 0);
    assert_true(st.bytes_per_token > 1.5);           /* 81 bytes in 46 tokens */
    assert_int_equal(st.words, 15);
    assert_float_equal(st.tokens_per_word, (double)n / 15.0, 1e-12);
    assert_true(st.tokens_per_word < 81.0 / 15.0);   /* fewer tokens per word than bytes per word */
    assert_int_equal(st.unknown, 0);
    bi[3] = b.vocab_size; /* an id outside the vocabulary is refused, with its position */
    assert_int_equal(tt_vocab_stats_compute(corpus, strlen(corpus), bi, n, b.vocab_size, -1, NULL, &st), -1);
    assert_int_equal(st.tokens, 3);
    tt_bpe_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_char_roundtrip),
        cmocka_unit_test(test_bpe_hand_worked),
        cmocka_unit_test(test_bpe_roundtrip_any_bytes),
        cmocka_unit_test(test_bpe_save_load),
        cmocka_unit_test(test_word_bpe_hand_worked),
        cmocka_unit_test(test_word_bpe_roundtrip_save_load),
        cmocka_unit_test(test_pad_truncate),
        cmocka_unit_test(test_vocab_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
