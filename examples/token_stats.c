/* token_stats.c - how three tokenizers fit a text: characters, byte-level BPE and word-level BPE at
 * a few vocabulary sizes. Per tokenizer: tokens, bytes per token (compression), tokens per word
 * (fertility), share of the vocabulary used, and the CPU time to train and to encode.
 *     token_stats FILE [VOCAB ...]      (default vocabularies 384 512 1024) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tinytorch/tokenizer.h"

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void show(const char *name, const char *text, size_t n, const int32_t *ids, int64_t k, int32_t V,
                 int32_t unk, double train_s, double enc_s)
{
    tt_vocab_stats st;
    tt_vocab_stats_compute(text, n, ids, k, V, unk, NULL, &st);
    printf("%-9s V=%5d  %7lld tokens  %5.2f bytes/token  %5.2f tokens/word  %3.0f %% of V used  "
           "train %6.3f s  encode %6.2f ms\n", name, V, (long long)k, st.bytes_per_token, st.tokens_per_word,
           100.0 * st.coverage, train_s, 1e3 * enc_s);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: token_stats FILE [VOCAB ...]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap);
    while (text && (n += fread(text + n, 1, cap - n, f)) == cap) {
        char *t = realloc(text, cap *= 2);
        if (!t) {
            free(text);
        }
        text = t;
    }
    fclose(f);
    int32_t *ids = text ? malloc((n + 2) * sizeof *ids) : NULL;
    if (!ids) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    printf("%s: %zu bytes, %lld words\n", argv[1], n, (long long)tt_count_words(text, n));
    tt_char_tokenizer c;
    double t0 = cpu_s();
    if (tt_char_tokenizer_build(&c, text, n) != 0) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    double t1 = cpu_s();
    int64_t k = tt_char_encode(&c, text, n, ids, (int64_t)n);
    show("char", text, n, ids, k, c.vocab_size, TT_CHAR_UNK, t1 - t0, cpu_s() - t1);
    tt_char_tokenizer_free(&c);
    int nv = argc > 2 ? argc - 2 : 3;
    for (int word = 0; word < 2; word++) {
        for (int i = 0; i < nv; i++) {
            int32_t V = argc > 2 ? (int32_t)atoi(argv[2 + i]) : (int32_t[]){384, 512, 1024}[i];
            tt_bpe b;
            char err[256];
            t0 = cpu_s();
            int rc = word ? tt_word_bpe_train(&b, text, n, V + 1, err, sizeof err)  /* + </w> */
                          : tt_bpe_train(&b, text, n, V, err, sizeof err);
            t1 = cpu_s();
            if (rc != 0) {
                fprintf(stderr, "%s\n", err);
                return 2;
            }
            k = tt_bpe_encode(&b, text, n, ids, (int64_t)n + 2);
            show(word ? "word-BPE" : "byte-BPE", text, n, ids, k, b.vocab_size, -1, t1 - t0, cpu_s() - t1);
            tt_bpe_free(&b);
        }
    }
    free(ids);
    free(text);
    return 0;
}
