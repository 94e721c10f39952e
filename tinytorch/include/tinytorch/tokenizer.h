/* tokenizer.h - text to token ids and back (module 10): a character tokenizer and a byte-level BPE.
 *
 * Char tokenizer: one id per Unicode code point seen when the vocabulary was built (sorted by code
 * point), id 0 = <unk> for anything unseen. Bytes that are not valid UTF-8 are kept as "raw byte"
 * symbols, so decode(encode(s)) == s for any text whose symbols were all seen.
 *
 * Byte-level BPE: ids 0..255 are the 256 bytes, id 256+i is merge i (a pair of earlier ids). Every byte
 * string can be encoded, so decode(encode(s)) == s for ANY input, including bytes never seen in
 * training. Text is first cut into chunks (an optional leading space + a run of letters/digits/UTF-8
 * bytes, or of punctuation, or a run of white space) and merges never cross a chunk boundary.
 * Training repeatedly merges the most frequent adjacent pair (ties: the smallest pair of ids).
 * The vocabulary file is plain text a person can read (see tt_bpe_save).
 *
 * Errors from files return -1 with a message naming the file and line in err.
 */
#ifndef TINYTORCH_TOKENIZER_H
#define TINYTORCH_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- character tokenizer ----------------------------------------------------------------------- */

#define TT_CHAR_UNK 0

typedef struct tt_char_tokenizer {
    int32_t vocab_size;   /* including <unk> */
    uint32_t *symbols;    /* [vocab_size] id -> code point (0x110000 + b for a raw byte b); [0] unused */
    int32_t byte_id[128]; /* fast path: ASCII code point -> id (0 when unseen) */
} tt_char_tokenizer;

/* Builds the vocabulary from text (len bytes). Returns 0, or -1 on out of memory. */
int tt_char_tokenizer_build(tt_char_tokenizer *tok, const char *text, size_t len);
void tt_char_tokenizer_free(tt_char_tokenizer *tok);
/* Writes at most cap ids; returns the number of symbols in text (<= len). */
int64_t tt_char_encode(const tt_char_tokenizer *tok, const char *text, size_t len, int32_t *ids,
                       int64_t cap);
/* Writes at most cap bytes (no terminator added); returns the bytes needed. <unk> decodes to '?'. */
size_t tt_char_decode(const tt_char_tokenizer *tok, const int32_t *ids, int64_t n, char *out,
                      size_t cap);

/* ---- byte-level BPE ---------------------------------------------------------------------------- */

#define TT_BPE_EOW 256         /* word-level BPE: the end-of-word marker </w> (decodes to a space) */

typedef struct tt_bpe {
    int32_t vocab_size;        /* base + n_merges */
    int32_t n_merges;
    int32_t (*merges)[2];      /* [n_merges] pair of ids merged into id base + i */
    uint8_t **bytes;           /* [vocab_size] the byte string of each id */
    int32_t *len;              /* [vocab_size] its length */
    uint64_t *pair_keys;       /* open-addressing table: pair -> merge rank */
    int32_t *pair_rank;
    size_t table_cap;
    bool words;                /* word-level (tt_word_bpe_train) rather than byte-level */
    int32_t base;              /* first merge id: 256, or 257 for word level (ids 0..255 bytes, 256 </w>) */
} tt_bpe;

/* Learns merges from text until the vocabulary has vocab_size ids (>= 256) or no pair occurs twice.
 * Returns 0, or -1 (message in err) on a bad size or out of memory. */
int tt_bpe_train(tt_bpe *bpe, const char *text, size_t len, int32_t vocab_size, char *err,
                 size_t errlen);
/* Word-level BPE (Sennrich et al., 2016): the text is split at white space into words, each word is
 * its bytes followed by </w> (id TT_BPE_EOW), and merges never cross a word. Encoding drops the white
 * space, so decode(encode(s)) is s with every run of white space made one space after each word
 * ("the  cat\n" -> "the cat "). Same encode/decode/save/load/free as the byte-level BPE; the file's
 * first line is "tinytorch-word-bpe 1". vocab_size >= 257. */
int tt_word_bpe_train(tt_bpe *bpe, const char *text, size_t len, int32_t vocab_size, char *err,
                      size_t errlen);
void tt_bpe_free(tt_bpe *bpe);
/* Writes at most cap ids; returns the number of ids (<= len; word level: <= len + 1). */
int64_t tt_bpe_encode(const tt_bpe *bpe, const char *text, size_t len, int32_t *ids, int64_t cap);
/* Writes at most cap bytes; returns the bytes needed. Ids out of range are an error: returns
 * SIZE_MAX. */
size_t tt_bpe_decode(const tt_bpe *bpe, const int32_t *ids, int64_t n, char *out, size_t cap);
/* Vocabulary file: "tinytorch-bpe 1" header, "vocab_size N", then one line per merge
 *   "<new id> <left id> <right id> <token bytes, escaped>"   (load checks the token spells the pair).
 * Written to a temporary file, then renamed. Limits (load refuses, train stops short of them):
 * 2^24 ids, 64 KiB per token, 64 MiB of token bytes in all; errors read "file:line: reason". */
int tt_bpe_save(const tt_bpe *bpe, const char *path, char *err, size_t errlen);
int tt_bpe_load(tt_bpe *bpe, const char *path, char *err, size_t errlen);

/* ---- helpers: fixed lengths and vocabulary statistics ------------------------------------------- */

/* Makes a sequence exactly `length` ids long for a batch: too long -> truncated (keeps the first
 * `length` ids, or the last ones with truncate_left: a language model's most recent context); too
 * short -> filled with pad_id (after the ids, or before them with pad_left). mask[t] = 1 where out[t]
 * is a real token, 0 where it is padding (the key_mask of tt_attn_mask). Returns the real tokens kept. */
typedef struct tt_pad_opts {
    int64_t length;          /* > 0 */
    int32_t pad_id;
    bool pad_left;
    bool truncate_left;
} tt_pad_opts;
int64_t tt_pad_truncate(const int32_t *ids, int64_t n, const tt_pad_opts *o, int32_t *out, uint8_t *mask);
/* The same for n_seq sequences (seqs[i] of lens[i] ids) into out[n_seq, length] and mask[n_seq, length]
 * (mask may be NULL). Returns the total of real tokens kept. */
int64_t tt_pad_batch(const int32_t *const *seqs, const int64_t *lens, int64_t n_seq, const tt_pad_opts *o,
                     int32_t *out, uint8_t *mask);

/* How a tokenizer fits a text: ids = its encoding of text[0..bytes). */
typedef struct tt_vocab_stats {
    int32_t vocab_size;
    int64_t tokens;              /* ids in the encoding */
    int64_t words;               /* white-space separated words in the text */
    int64_t bytes;               /* bytes of the text */
    int32_t used;                /* distinct ids that occur */
    double coverage;             /* used / vocab_size: the share of the vocabulary the text exercises */
    double tokens_per_word;      /* tokens / words (fertility; 1 = a word-level vocabulary) */
    double bytes_per_token;      /* bytes / tokens: the compression ratio (1 = bytes, 4+ = good BPE) */
    int64_t unknown;             /* ids equal to unk_id */
    double unknown_rate;         /* unknown / tokens */
    int32_t top_id;              /* the most frequent id (the smallest on ties), -1 for no tokens */
    int64_t top_count;
} tt_vocab_stats;
/* Counts each id into counts[vocab_size] (zeroed first; NULL: not kept) and fills st. unk_id < 0: the
 * tokenizer has no unknown id (byte-level BPE). Returns 0, or -1 when an id lies outside
 * [0, vocab_size) (st->tokens then holds its position). */
int tt_vocab_stats_compute(const char *text, size_t bytes, const int32_t *ids, int64_t n, int32_t vocab_size,
                           int32_t unk_id, int64_t *counts, tt_vocab_stats *st);
/* White-space separated words in text[0..len). */
int64_t tt_count_words(const char *text, size_t len);

#endif
