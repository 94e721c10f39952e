/* token_stats.c - what a batch and a person need around a tokenizer: sequences cut or padded to one
 * length with a mask of the real tokens, and statistics of how a vocabulary fits a text.
 *
 *   pad/truncate:  out = ids[0..length) or ids[n-length..n) (truncate_left); shorter sequences get
 *                  pad_id after (or before, pad_left) the ids; mask = 1 on real tokens, 0 on padding.
 *   statistics:    coverage = distinct ids used / vocab size; fertility = tokens / words;
 *                  compression = bytes / tokens; unknown rate = <unk> ids / tokens.
 */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/tensor.h"
#include "tinytorch/tokenizer.h"

int64_t tt_pad_truncate(const int32_t *ids, int64_t n, const tt_pad_opts *o, int32_t *out, uint8_t *mask)
{
    int64_t L = o->length;
    if (L < 1 || n < 0) {
        tt_fatal("tt_pad_truncate: length %lld, %lld ids (want length >= 1, ids >= 0)", (long long)L, (long long)n);
    }
    int64_t keep = n < L ? n : L;
    const int32_t *src = o->truncate_left ? ids + (n - keep) : ids;
    int64_t at = o->pad_left ? L - keep : 0;   /* where the real tokens start in out */
    for (int64_t t = 0; t < L; t++) {
        bool real = t >= at && t < at + keep;
        out[t] = real ? src[t - at] : o->pad_id;
        if (mask) {
            mask[t] = real;
        }
    }
    return keep;
}

int64_t tt_pad_batch(const int32_t *const *seqs, const int64_t *lens, int64_t n_seq, const tt_pad_opts *o,
                     int32_t *out, uint8_t *mask)
{
    int64_t total = 0;
    for (int64_t i = 0; i < n_seq; i++) {
        total += tt_pad_truncate(seqs[i], lens[i], o, out + i * o->length, mask ? mask + i * o->length : NULL);
    }
    return total;
}

int64_t tt_count_words(const char *text, size_t len)
{
    int64_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
        words += !space && !in_word;
        in_word = !space;
    }
    return words;
}

int tt_vocab_stats_compute(const char *text, size_t bytes, const int32_t *ids, int64_t n, int32_t vocab_size,
                           int32_t unk_id, int64_t *counts, tt_vocab_stats *st)
{
    memset(st, 0, sizeof *st);
    st->vocab_size = vocab_size;
    st->bytes = (int64_t)bytes;
    st->words = tt_count_words(text, bytes);
    st->top_id = -1;
    size_t V = (size_t)(vocab_size > 0 ? vocab_size : 0);
    int64_t *own = counts ? NULL : calloc(V ? V : 1, sizeof *own);
    if (!counts && !own) {
        tt_fatal("tt_vocab_stats_compute: out of memory for %zu counts", V);
    }
    int64_t *cnt = counts ? counts : own;
    memset(cnt, 0, V * sizeof *cnt);
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= vocab_size) {
            st->tokens = i;
            free(own);
            return -1;
        }
        st->unknown += ids[i] == unk_id;
        int64_t c = ++cnt[ids[i]];
        st->used += c == 1;
        if (c > st->top_count || (c == st->top_count && ids[i] < st->top_id)) {
            st->top_count = c;
            st->top_id = ids[i];
        }
    }
    free(own);
    st->tokens = n;
    st->coverage = vocab_size > 0 ? (double)st->used / (double)vocab_size : 0.0;
    st->tokens_per_word = st->words ? (double)n / (double)st->words : 0.0;
    st->bytes_per_token = n ? (double)bytes / (double)n : 0.0;
    st->unknown_rate = n ? (double)st->unknown / (double)n : 0.0;
    return 0;
}
