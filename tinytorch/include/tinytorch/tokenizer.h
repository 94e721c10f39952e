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

typedef struct tt_bpe {
    int32_t vocab_size;        /* 256 + n_merges */
    int32_t n_merges;
    int32_t (*merges)[2];      /* [n_merges] pair of ids merged into id 256 + i */
    uint8_t **bytes;           /* [vocab_size] the byte string of each id */
    int32_t *len;              /* [vocab_size] its length */
    uint64_t *pair_keys;       /* open-addressing table: pair -> merge rank */
    int32_t *pair_rank;
    size_t table_cap;
} tt_bpe;

/* Learns merges from text until the vocabulary has vocab_size ids (>= 256) or no pair occurs twice.
 * Returns 0, or -1 (message in err) on a bad size or out of memory. */
int tt_bpe_train(tt_bpe *bpe, const char *text, size_t len, int32_t vocab_size, char *err,
                 size_t errlen);
void tt_bpe_free(tt_bpe *bpe);
/* Writes at most cap ids; returns the number of ids (<= len). */
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

#endif
