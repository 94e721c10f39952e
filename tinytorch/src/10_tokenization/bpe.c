/* bpe.c - byte-pair encoding (module 10), byte-level and word-level: training, encoding, decoding,
 * vocabulary files.
 *
 * Invariants: ids 0..255 are single bytes; word-level adds id 256, the end-of-word marker </w>, whose
 * byte string is one space. base = 256 or 257; id base+i = merges[i][0] followed by merges[i][1],
 * both < base+i. bytes[id]/len[id] hold every id's byte string. The pair table maps a pair (a, b) to its
 * merge rank i; encoding merges, inside each chunk, the lowest-ranked pair present until none is left,
 * which reproduces training's order.
 * Training cost: O(merges x total length of the distinct chunks); the corpus is reduced to distinct
 * chunks with their counts first, so repeated words cost nothing extra.
 */
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tinytorch/fileio.h"
#include "tinytorch/tokenizer.h"

#define BPE_MAGIC "tinytorch-bpe 1"
#define BPE_WORD_MAGIC "tinytorch-word-bpe 1"
/* Limits, checked before allocating: ids, one token's bytes, all tokens' bytes, a vocabulary file.
 * Real vocabularies are far inside them (GPT-2: 50,257 ids, longest token 128 bytes, 0.4 MB in all). */
#define BPE_MAX_VOCAB (1 << 24)
#define BPE_MAX_TOKEN (1 << 16)
#define BPE_MAX_TOTAL (1 << 26)
#define BPE_MAX_FILE ((uint64_t)1 << 30)

static uint64_t pair_key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---- chunking ---------------------------------------------------------------------------------- */

static int is_space(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Length of the chunk starting at s[0] (n > 0 bytes left). */
static size_t chunk_len(const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (is_space(s[0]) && !(s[0] == ' ' && n > 1 && !is_space(s[1]))) {
        while (i < n && is_space(s[i])) {
            i++;
        }
        if (i < n && i > 1 && s[i - 1] == ' ') {
            i--; /* leave the last space to lead the next word */
        }
        return i;
    }
    if (s[0] == ' ') {
        i = 1;
    }
    int word = is_word(s[i]);
    while (i < n && !is_space(s[i]) && is_word(s[i]) == word) {
        i++;
    }
    return i;
}

/* Word-level chunks: a run of non-space bytes; *skip receives the white space before it. */
static size_t word_chunk(const unsigned char *s, size_t n, size_t *skip)
{
    size_t i = 0;
    while (i < n && is_space(s[i])) {
        i++;
    }
    *skip = i;
    size_t j = i;
    while (j < n && !is_space(s[j])) {
        j++;
    }
    return j - i;
}

/* ---- small tables ------------------------------------------------------------------------------ */

static int table_init(tt_bpe *b, size_t want)
{
    size_t cap = 64;
    while (cap < want * 2) {
        cap *= 2;
    }
    b->pair_keys = malloc(cap * sizeof *b->pair_keys);
    b->pair_rank = malloc(cap * sizeof *b->pair_rank);
    if (!b->pair_keys || !b->pair_rank) {
        return -1;
    }
    for (size_t i = 0; i < cap; i++) {
        b->pair_rank[i] = -1;
    }
    b->table_cap = cap;
    return 0;
}

static void table_put(tt_bpe *b, uint64_t key, int32_t rank)
{
    size_t m = b->table_cap - 1, i = (size_t)hash64(key) & m;
    while (b->pair_rank[i] >= 0 && b->pair_keys[i] != key) {
        i = (i + 1) & m;
    }
    b->pair_keys[i] = key;
    b->pair_rank[i] = rank;
}

static int32_t table_get(const tt_bpe *b, uint64_t key)
{
    size_t m = b->table_cap - 1, i = (size_t)hash64(key) & m;
    while (b->pair_rank[i] >= 0) {
        if (b->pair_keys[i] == key) {
            return b->pair_rank[i];
        }
        i = (i + 1) & m;
    }
    return -1;
}

/* Allocates merges/bytes/len for n merges and fills the 256 byte tokens (and </w> for word level). */
static int bpe_alloc(tt_bpe *b, int32_t n_merges, bool words)
{
    memset(b, 0, sizeof *b);
    b->n_merges = 0;
    b->words = words;
    b->base = words ? TT_BPE_EOW + 1 : 256;
    b->vocab_size = b->base;
    int32_t v = b->base + n_merges;
    b->merges = malloc((size_t)(n_merges ? n_merges : 1) * sizeof *b->merges);
    b->bytes = calloc((size_t)v, sizeof *b->bytes);
    b->len = calloc((size_t)v, sizeof *b->len);
    if (!b->merges || !b->bytes || !b->len || table_init(b, (size_t)n_merges + 1) != 0) {
        return -1;
    }
    for (int i = 0; i < 256; i++) {
        b->bytes[i] = malloc(1);
        if (!b->bytes[i]) {
            return -1;
        }
        b->bytes[i][0] = (uint8_t)i;
        b->len[i] = 1;
    }
    if (words) { /* </w> decodes to the space that ends a word */
        b->bytes[TT_BPE_EOW] = malloc(1);
        if (!b->bytes[TT_BPE_EOW]) {
            return -1;
        }
        b->bytes[TT_BPE_EOW][0] = ' ';
        b->len[TT_BPE_EOW] = 1;
    }
    return 0;
}

/* Appends merge (l, r) as the next id. Caller checked l, r < vocab_size. */
static int bpe_add_merge(tt_bpe *b, int32_t l, int32_t r)
{
    int32_t id = b->vocab_size;
    b->merges[b->n_merges][0] = l;
    b->merges[b->n_merges][1] = r;
    b->len[id] = b->len[l] + b->len[r];
    b->bytes[id] = malloc((size_t)b->len[id]);
    if (!b->bytes[id]) {
        return -1;
    }
    memcpy(b->bytes[id], b->bytes[l], (size_t)b->len[l]);
    memcpy(b->bytes[id] + b->len[l], b->bytes[r], (size_t)b->len[r]);
    table_put(b, pair_key(l, r), b->n_merges);
    b->n_merges++;
    b->vocab_size++;
    return 0;
}

void tt_bpe_free(tt_bpe *b)
{
    if (b->bytes) {
        for (int32_t i = 0; i < b->vocab_size; i++) {
            free(b->bytes[i]);
        }
    }
    free(b->bytes);
    free(b->len);
    free(b->merges);
    free(b->pair_keys);
    free(b->pair_rank);
    memset(b, 0, sizeof *b);
}

/* ---- training ---------------------------------------------------------------------------------- */

typedef struct word { int32_t *ids; int32_t n; int32_t srclen; int64_t count; } word;

/* distinct chunks: hash of (bytes) -> index into words */
typedef struct word_set {
    word *w;
    size_t n, cap;
    int64_t *slot;     /* open addressing: index into w or -1 */
    size_t slot_cap;
    const unsigned char **src; /* chunk start in the text, for comparisons */
} word_set;

static uint64_t hash_bytes(const unsigned char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ s[i]) * 1099511628211ULL;
    }
    return h;
}

/* Counts chunk s[0..n) once more; a new chunk's ids are its bytes, then </w> when eow. */
static int words_add(word_set *ws, const unsigned char *s, size_t n, bool eow)
{
    if (ws->n * 2 >= ws->slot_cap) {
        size_t nc = ws->slot_cap ? ws->slot_cap * 2 : 1024;
        int64_t *ns = malloc(nc * sizeof *ns);
        if (!ns) {
            return -1;
        }
        for (size_t i = 0; i < nc; i++) {
            ns[i] = -1;
        }
        for (size_t k = 0; k < ws->n; k++) {
            size_t i = (size_t)hash_bytes(ws->src[k], (size_t)ws->w[k].srclen) & (nc - 1);
            while (ns[i] >= 0) {
                i = (i + 1) & (nc - 1);
            }
            ns[i] = (int64_t)k;
        }
        free(ws->slot);
        ws->slot = ns;
        ws->slot_cap = nc;
    }
    size_t m = ws->slot_cap - 1, i = (size_t)hash_bytes(s, n) & m;
    while (ws->slot[i] >= 0) {
        word *w = &ws->w[ws->slot[i]];
        if ((size_t)w->srclen == n && memcmp(ws->src[ws->slot[i]], s, n) == 0) {
            w->count++;
            return 0;
        }
        i = (i + 1) & m;
    }
    if (ws->n == ws->cap) {
        size_t nc = ws->cap ? ws->cap * 2 : 1024;
        word *nw = realloc(ws->w, nc * sizeof *nw);
        if (!nw) {
            return -1;
        }
        ws->w = nw;
        const unsigned char **nsrc = realloc(ws->src, nc * sizeof *nsrc);
        if (!nsrc) {
            return -1;
        }
        ws->src = nsrc;
        ws->cap = nc;
    }
    word *w = &ws->w[ws->n];
    w->ids = malloc((n + 1) * sizeof *w->ids);
    if (!w->ids) {
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        w->ids[k] = s[k];
    }
    if (eow) {
        w->ids[n] = TT_BPE_EOW;
    }
    w->n = (int32_t)n + eow;
    w->srclen = (int32_t)n;
    w->count = 1;
    ws->src[ws->n] = s;
    ws->slot[i] = (int64_t)ws->n;
    ws->n++;
    return 0;
}

static void words_free(word_set *ws)
{
    for (size_t k = 0; k < ws->n; k++) {
        free(ws->w[k].ids);
    }
    free(ws->w);
    free(ws->src);
    free(ws->slot);
}

/* pair counts for one round: open addressing, cleared each round */
typedef struct pair_count { uint64_t *key; int64_t *cnt; size_t cap; } pair_count;

static void pc_add(pair_count *pc, uint64_t key, int64_t c)
{
    size_t m = pc->cap - 1, i = (size_t)hash64(key) & m;
    while (pc->cnt[i] != 0 && pc->key[i] != key) {
        i = (i + 1) & m;
    }
    pc->key[i] = key;
    pc->cnt[i] += c;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) {
        snprintf(err, errlen, "%s", msg);
    }
}

static int bpe_train(tt_bpe *b, const char *text, size_t len, int32_t vocab_size, bool words, char *err,
                     size_t errlen)
{
    int32_t base = words ? TT_BPE_EOW + 1 : 256;
    if (vocab_size < base || vocab_size > BPE_MAX_VOCAB) {
        char m[160];
        snprintf(m, sizeof m, "bpe: vocab_size %d out of range [%d, %d] (the %d base ids are %s)", vocab_size, base,
                 BPE_MAX_VOCAB, base, words ? "the 256 bytes and </w>" : "the 256 bytes");
        set_err(err, errlen, m);
        memset(b, 0, sizeof *b);
        return -1;
    }
    int32_t want = vocab_size - base;
    if (bpe_alloc(b, want, words) != 0) {
        tt_bpe_free(b);
        set_err(err, errlen, "bpe: out of memory");
        return -1;
    }
    word_set ws = {0};
    const unsigned char *s = (const unsigned char *)text;
    size_t total = (size_t)base; /* bytes of all tokens */
    for (size_t i = 0; i < len;) {
        size_t skip = 0, n = words ? word_chunk(s + i, len - i, &skip) : chunk_len(s + i, len - i);
        if (n > 0 && words_add(&ws, s + i + skip, n, words) != 0) {
            goto oom;
        }
        i += skip + n;
    }
    size_t distinct_len = 0;
    for (size_t k = 0; k < ws.n; k++) {
        distinct_len += (size_t)ws.w[k].n;
    }
    pair_count pc = {0};
    pc.cap = 64;
    while (pc.cap < distinct_len * 2 + 2) {
        pc.cap *= 2;
    }
    pc.key = malloc(pc.cap * sizeof *pc.key);
    pc.cnt = malloc(pc.cap * sizeof *pc.cnt);
    if (!pc.key || !pc.cnt) {
        free(pc.key);
        free(pc.cnt);
        goto oom;
    }
    for (int32_t it = 0; it < want; it++) {
        memset(pc.cnt, 0, pc.cap * sizeof *pc.cnt);
        for (size_t k = 0; k < ws.n; k++) {
            const word *w = &ws.w[k];
            for (int32_t j = 0; j + 1 < w->n; j++) {
                pc_add(&pc, pair_key(w->ids[j], w->ids[j + 1]), w->count);
            }
        }
        uint64_t best = 0;
        int64_t best_cnt = 0;
        for (size_t i = 0; i < pc.cap; i++) {
            if (pc.cnt[i] > 0 && b->len[pc.key[i] >> 32] + b->len[pc.key[i] & 0xffffffffu] > BPE_MAX_TOKEN) {
                continue; /* a token the vocabulary file could not hold */
            }
            if (pc.cnt[i] > best_cnt || (pc.cnt[i] == best_cnt && best_cnt > 0 && pc.key[i] < best)) {
                best_cnt = pc.cnt[i];
                best = pc.key[i];
            }
        }
        if (best_cnt < 2) {
            break; /* nothing repeats: more merges would only memorise */
        }
        int32_t l = (int32_t)(best >> 32), r = (int32_t)(best & 0xffffffffu), id = b->vocab_size;
        total += (size_t)b->len[l] + (size_t)b->len[r];
        if (total > BPE_MAX_TOTAL) {
            break; /* the vocabulary is as large as a file may hold */
        }
        if (bpe_add_merge(b, l, r) != 0) {
            free(pc.key);
            free(pc.cnt);
            goto oom;
        }
        for (size_t k = 0; k < ws.n; k++) {
            word *w = &ws.w[k];
            int32_t o = 0;
            for (int32_t j = 0; j < w->n; j++) {
                if (j + 1 < w->n && w->ids[j] == l && w->ids[j + 1] == r) {
                    w->ids[o++] = id;
                    j++;
                } else {
                    w->ids[o++] = w->ids[j];
                }
            }
            w->n = o;
        }
    }
    free(pc.key);
    free(pc.cnt);
    words_free(&ws);
    return 0;
oom:
    words_free(&ws);
    tt_bpe_free(b);
    set_err(err, errlen, "bpe: out of memory");
    return -1;
}

int tt_bpe_train(tt_bpe *b, const char *text, size_t len, int32_t vocab_size, char *err, size_t errlen)
{
    return bpe_train(b, text, len, vocab_size, false, err, errlen);
}

int tt_word_bpe_train(tt_bpe *b, const char *text, size_t len, int32_t vocab_size, char *err, size_t errlen)
{
    return bpe_train(b, text, len, vocab_size, true, err, errlen);
}

/* ---- encode / decode --------------------------------------------------------------------------- */

/* Applies merges to ids[0..n) in rank order; returns the new length. */
static int64_t merge_chunk(const tt_bpe *b, int32_t *ids, int64_t n)
{
    while (n > 1) {
        int32_t best_rank = -1;
        for (int64_t j = 0; j + 1 < n; j++) {
            int32_t r = table_get(b, pair_key(ids[j], ids[j + 1]));
            if (r >= 0 && (best_rank < 0 || r < best_rank)) {
                best_rank = r;
            }
        }
        if (best_rank < 0) {
            break;
        }
        int32_t l = b->merges[best_rank][0], rr = b->merges[best_rank][1], id = b->base + best_rank;
        int64_t o = 0;
        for (int64_t j = 0; j < n; j++) {
            if (j + 1 < n && ids[j] == l && ids[j + 1] == rr) {
                ids[o++] = id;
                j++;
            } else {
                ids[o++] = ids[j];
            }
        }
        n = o;
    }
    return n;
}

int64_t tt_bpe_encode(const tt_bpe *b, const char *text, size_t len, int32_t *ids, int64_t cap)
{
    const unsigned char *s = (const unsigned char *)text;
    int64_t out = 0;
    int32_t local[256];
    for (size_t i = 0; i < len;) {
        size_t skip = 0, n = b->words ? word_chunk(s + i, len - i, &skip) : chunk_len(s + i, len - i);
        if (n == 0) { /* white space at the end (word level) */
            i += skip;
            continue;
        }
        i += skip;
        int32_t *buf = local;
        int32_t *heap = NULL;
        if (n + 1 > sizeof local / sizeof local[0]) {
            heap = malloc((n + 1) * sizeof *heap);
            if (!heap) {
                return -1;
            }
            buf = heap;
        }
        for (size_t k = 0; k < n; k++) {
            buf[k] = s[i + k];
        }
        int64_t w = (int64_t)n;
        if (b->words) {
            buf[w++] = TT_BPE_EOW;
        }
        int64_t m = b->n_merges ? merge_chunk(b, buf, w) : w;
        for (int64_t k = 0; k < m; k++, out++) {
            if (out < cap) {
                ids[out] = buf[k];
            }
        }
        free(heap);
        i += n;
    }
    return out;
}

size_t tt_bpe_decode(const tt_bpe *b, const int32_t *ids, int64_t n, char *out, size_t cap)
{
    size_t pos = 0;
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= b->vocab_size) {
            return SIZE_MAX;
        }
        const uint8_t *p = b->bytes[ids[i]];
        for (int32_t k = 0; k < b->len[ids[i]]; k++, pos++) {
            if (pos < cap) {
                out[pos] = (char)p[k];
            }
        }
    }
    return pos;
}

/* ---- vocabulary files -------------------------------------------------------------------------- */

static void write_escaped(FILE *f, const uint8_t *p, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c == '\\') {
            fputs("\\\\", f);
        } else if (c == ' ') {
            fputs("\\s", f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\x%02x", c);
        } else {
            fputc((int)c, f);
        }
    }
}

int tt_bpe_save(const tt_bpe *b, const char *path, char *err, size_t errlen)
{
    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        return -1;
    }
    FILE *f = af.f;
    if (b->words) {
        fprintf(f, "%s\n# word-level BPE: ids 0-255 are bytes, 256 is </w> (written \\s, the space that ends a"
                   " word); each line: new_id left_id right_id token (\\s = space, \\n = newline)\n",
                BPE_WORD_MAGIC);
    } else {
        fprintf(f, "%s\n# byte-level BPE: ids 0-255 are bytes; each line: new_id left_id right_id token"
                   " (\\s = space, \\n = newline)\n", BPE_MAGIC);
    }
    fprintf(f, "vocab_size %d\n", b->vocab_size);
    for (int32_t i = 0; i < b->n_merges; i++) {
        int32_t id = b->base + i;
        fprintf(f, "%d %d %d ", id, b->merges[i][0], b->merges[i][1]);
        write_escaped(f, b->bytes[id], b->len[id]);
        fputc('\n', f);
    }
    return tt_atomic_commit(&af, err, errlen);
}

/* Reads a decimal integer in [lo, hi] at *p (no sign games, no overflow); advances *p. */
static bool read_int(const char **p, const char *end, long lo, long hi, long *out)
{
    const char *q = *p;
    bool neg = q < end && *q == '-';
    q += neg;
    if (q >= end || *q < '0' || *q > '9') {
        return false;
    }
    long v = 0;
    while (q < end && *q >= '0' && *q <= '9') {
        v = v * 10 + (*q - '0');
        if (v > (1L << 40)) {
            return false; /* far outside any range asked for; stop before it could overflow */
        }
        q++;
    }
    v = neg ? -v : v;
    if (v < lo || v > hi) {
        return false;
    }
    *p = q;
    *out = v;
    return true;
}

/* Undoes write_escaped on [p, end) into out (room for end - p bytes); returns the length or -1. */
static long unescape(const char *p, const char *end, uint8_t *out)
{
    long n = 0;
    while (p < end) {
        char c = *p++;
        if (c != '\\') {
            out[n++] = (uint8_t)c;
            continue;
        }
        if (p >= end) {
            return -1;
        }
        c = *p++;
        if (c == '\\') {
            out[n++] = '\\';
        } else if (c == 's') {
            out[n++] = ' ';
        } else if (c == 'n') {
            out[n++] = '\n';
        } else if (c == 't') {
            out[n++] = '\t';
        } else if (c == 'x' && end - p >= 2) {
            int v = 0;
            for (int k = 0; k < 2; k++, p++) {
                int h = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
                if (h < 0) {
                    return -1;
                }
                v = v * 16 + h;
            }
            out[n++] = (uint8_t)v;
        } else {
            return -1;
        }
    }
    return n;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int load_err(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
    if (err && errlen) {
        char what[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "%s:%d: %s", path, line, what);
    }
    return -1;
}

/* Parses a vocabulary held in buf[0..len). Every size is checked against what the text holds and the
 * limits above before anything is allocated for it. */
static int bpe_parse(tt_bpe *b, const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
    long lines_left = 1;
    for (size_t i = 0; i < len; i++) {
        lines_left += buf[i] == '\n';
    }
    uint8_t *tok = malloc(len + 1);
    if (!tok) {
        return load_err(err, errlen, path, 0, "out of memory");
    }
    int rc = -1, lineno = 0;
    long vocab = -1, base = 256;
    bool words = false;
    size_t total = 256;
    const char *p = buf, *stop = buf + len;
    while (p < stop) {
        const char *end = memchr(p, '\n', (size_t)(stop - p));
        const char *next = end ? end + 1 : stop;
        end = end ? end : stop;
        if (end > p && end[-1] == '\r') {
            end--;
        }
        lineno++;
        lines_left--;
        if (lineno == 1) {
            words = (size_t)(end - p) == strlen(BPE_WORD_MAGIC) && memcmp(p, BPE_WORD_MAGIC, strlen(BPE_WORD_MAGIC)) == 0;
            if (!words &&
                ((size_t)(end - p) < strlen(BPE_MAGIC) || memcmp(p, BPE_MAGIC, strlen(BPE_MAGIC)) != 0)) {
                load_err(err, errlen, path, 1, "not a tinytorch BPE vocabulary (want \"%s\" or \"%s\")", BPE_MAGIC,
                         BPE_WORD_MAGIC);
                goto done;
            }
            base = words ? TT_BPE_EOW + 1 : 256;
            total = (size_t)base;
            p = next;
            continue;
        }
        if (end == p || *p == '#') {
            p = next;
            continue;
        }
        if (vocab < 0) {
            const char *q = p + 11;
            if (end - p < 12 || memcmp(p, "vocab_size ", 11) != 0 ||
                !read_int(&q, end, base, BPE_MAX_VOCAB, &vocab) || q != end) {
                load_err(err, errlen, path, lineno, "expected \"vocab_size N\" with N in %ld..%d", base,
                         BPE_MAX_VOCAB);
                goto done;
            }
            /* one line of at least 11 bytes ("256 1 2 ab\n") per merge: refuse before allocating */
            if (vocab - base > lines_left || vocab - base > (long)(len / 8)) {
                load_err(err, errlen, path, lineno,
                         "vocab_size %ld needs %ld merge lines, the file has %ld more lines in %zu bytes", vocab,
                         vocab - base, lines_left, len);
                goto done;
            }
            if (bpe_alloc(b, (int32_t)(vocab - base), words) != 0) {
                load_err(err, errlen, path, lineno, "out of memory");
                goto done;
            }
            p = next;
            continue;
        }
        long id, l, r;
        const char *q = p;
        if (!read_int(&q, end, 0, BPE_MAX_VOCAB, &id) || q >= end || *q++ != ' ' ||
            !read_int(&q, end, 0, BPE_MAX_VOCAB, &l) || q >= end || *q++ != ' ' ||
            !read_int(&q, end, 0, BPE_MAX_VOCAB, &r) || q >= end || *q++ != ' ') {
            load_err(err, errlen, path, lineno, "expected \"new_id left_id right_id token\"");
            goto done;
        }
        if (id != b->vocab_size || id >= vocab || l >= id || r >= id) {
            load_err(err, errlen, path, lineno, "merge %ld %ld %ld out of order or out of range (next id %d,"
                     " vocab_size %ld)", id, l, r, b->vocab_size, vocab);
            goto done;
        }
        size_t tl = (size_t)b->len[l] + (size_t)b->len[r];
        if (tl > BPE_MAX_TOKEN || total + tl > BPE_MAX_TOTAL) {
            load_err(err, errlen, path, lineno, "token %ld would be %zu bytes (limits: %d per token, %d in all)",
                     id, tl, BPE_MAX_TOKEN, BPE_MAX_TOTAL);
            goto done;
        }
        if (bpe_add_merge(b, (int32_t)l, (int32_t)r) != 0) {
            load_err(err, errlen, path, lineno, "out of memory");
            goto done;
        }
        total += tl;
        long n = unescape(q, end, tok);
        if (n != (long)tl || memcmp(tok, b->bytes[id], tl) != 0) {
            load_err(err, errlen, path, lineno, "the token text does not spell ids %ld + %ld", l, r);
            goto done;
        }
        p = next;
    }
    if (vocab < 0) {
        load_err(err, errlen, path, lineno, "missing \"vocab_size\" line");
        goto done;
    }
    if (b->vocab_size != vocab) {
        load_err(err, errlen, path, lineno, "file ends after %d ids, vocab_size says %ld", b->vocab_size, vocab);
        goto done;
    }
    rc = 0;
done:
    free(tok);
    return rc;
}

int tt_bpe_load(tt_bpe *b, const char *path, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err) {
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        }
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > BPE_MAX_FILE) {
        fclose(f);
        return load_err(err, errlen, path, 0, "not a regular file of at most %llu bytes",
                        (unsigned long long)BPE_MAX_FILE);
    }
    size_t len = (size_t)st.st_size;
    char *buf = malloc(len + 1);
    if (!buf) {
        fclose(f);
        return load_err(err, errlen, path, 0, "out of memory");
    }
    bool ok = fread(buf, 1, len, f) == len;
    fclose(f);
    int rc = ok ? bpe_parse(b, path, buf, len, err, errlen) : load_err(err, errlen, path, 0, "read error");
    free(buf);
    if (rc != 0) {
        tt_bpe_free(b);
    }
    return rc;
}
