/* char_tokenizer.c - one token per Unicode symbol (module 10).
 * Invariant: symbols[1..vocab_size) is sorted ascending and unique; id 0 is <unk>. */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/tokenizer.h"
#include "tinytorch/tensor.h" /* tt_fatal, which the learner's stubs call */
#include "utf8.h"

static int cmp_u32(const void *a, const void *b)
{
    /* TODO: qsort's comparator for code points: negative, 0 or positive as x <, ==, > y. */
    /* BEGIN SOLUTION */
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
    /* END SOLUTION */
}

int tt_char_tokenizer_build(tt_char_tokenizer *tok, const char *text, size_t len)
{
    memset(tok, 0, sizeof *tok);
    const unsigned char *s = (const unsigned char *)text;
    uint32_t *all = malloc((len ? len : 1) * sizeof *all);
    if (!all) {
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t used;
        all[n++] = tt_utf8_next(s + i, len - i, &used);
        i += used;
    }
    qsort(all, n, sizeof *all, cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u == 0 || all[u - 1] != all[i]) {
            all[u++] = all[i];
        }
    }
    tok->symbols = malloc((u + 1) * sizeof *tok->symbols);
    if (!tok->symbols) {
        free(all);
        return -1;
    }
    tok->symbols[0] = 0;
    memcpy(tok->symbols + 1, all, u * sizeof *all);
    free(all);
    tok->vocab_size = (int32_t)u + 1;
    /* TODO: the ASCII fast path: byte_id[code point] = its id, for every symbol below 128. */
    /* BEGIN SOLUTION */
    for (int32_t id = 1; id < tok->vocab_size; id++) {
        if (tok->symbols[id] < 128) {
            tok->byte_id[tok->symbols[id]] = id;
        }
    }
    /* END SOLUTION */
    return 0;
}

void tt_char_tokenizer_free(tt_char_tokenizer *tok)
{
    free(tok->symbols);
    memset(tok, 0, sizeof *tok);
}

static int32_t lookup(const tt_char_tokenizer *tok, uint32_t cp)
{
    /* TODO: ASCII from byte_id; other code points by binary search in symbols[1 .. vocab_size-1]
     * (sorted); TT_CHAR_UNK when absent. */
    /* BEGIN SOLUTION */
    if (cp < 128) {
        return tok->byte_id[cp];
    }
    int32_t lo = 1, hi = tok->vocab_size - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (tok->symbols[mid] == cp) {
            return mid;
        }
        if (tok->symbols[mid] < cp) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return TT_CHAR_UNK;
    /* END SOLUTION */
}

int64_t tt_char_encode(const tt_char_tokenizer *tok, const char *text, size_t len, int32_t *ids,
                       int64_t cap)
{
    const unsigned char *s = (const unsigned char *)text;
    /* TODO: one id per UTF-8 symbol (tt_utf8_next says how many bytes it used); write at most cap
     * ids but return how many the whole text needs. */
    /* BEGIN SOLUTION */
    int64_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t used;
        uint32_t cp = tt_utf8_next(s + i, len - i, &used);
        i += used;
        if (n < cap) {
            ids[n] = lookup(tok, cp);
        }
        n++;
    }
    return n;
    /* END SOLUTION */
}

size_t tt_char_decode(const tt_char_tokenizer *tok, const int32_t *ids, int64_t n, char *out,
                      size_t cap)
{
    /* TODO: each id back to its symbol's UTF-8 bytes ('?' for <unk> and ids out of range); write at
     * most cap bytes, return the bytes needed. */
    /* BEGIN SOLUTION */
    size_t pos = 0;
    for (int64_t i = 0; i < n; i++) {
        unsigned char buf[4];
        int k;
        if (ids[i] <= 0 || ids[i] >= tok->vocab_size) {
            buf[0] = '?';
            k = 1;
        } else {
            k = tt_utf8_put(tok->symbols[ids[i]], buf);
        }
        for (int j = 0; j < k; j++, pos++) {
            if (pos < cap) {
                out[pos] = (char)buf[j];
            }
        }
    }
    return pos;
    /* END SOLUTION */
}
