/* fuzz_bpe.c - BPE vocabulary files (byte-level and word-level) through tt_bpe_load. Properties: no
 * crash, sanitizer report or runaway allocation; a refusal has a "file:line" message; an accepted
 * vocabulary decodes what it encodes (decode(encode(s)) == s for a fixed text and for the input itself;
 * word level: s with each run of white space made one space after each word) and saves to a file that
 * loads back to the same vocabulary, of the same kind. */
#include "fuzz_util.h"
#include "tinytorch/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

static void round_trip(const tt_bpe *b, const char *s, size_t n)
{
    int32_t *ids = malloc((n + 2) * sizeof *ids);
    char *back = malloc(2 * n + 2), *want = malloc(2 * n + 2);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) { /* what decode(encode(s)) must be */
        if (!b->words) {
            want[w++] = s[i];
        } else if (!is_ws(s[i])) {
            want[w++] = s[i];
            if (i + 1 == n || is_ws(s[i + 1])) {
                want[w++] = ' ';
            }
        }
    }
    int64_t k = tt_bpe_encode(b, s, n, ids, (int64_t)n + 2);
    FUZZ_CHECK(k >= 0 && k <= (int64_t)n + b->words, "encode gave %lld ids for %zu bytes", (long long)k, n);
    size_t m = tt_bpe_decode(b, ids, k, back, 2 * n + 2);
    FUZZ_CHECK(m == w && memcmp(back, want, w) == 0, "decode(encode(s)) != s (%zu bytes)", n);
    free(ids);
    free(back);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    tt_bpe b;
    const char *p = fuzz_file("in.bpe", data, size);
    if (tt_bpe_load(&b, p, err, sizeof err) != 0) {
        FUZZ_CHECK(strncmp(err, p, strlen(p)) == 0, "message does not name the file: %s", err);
        FUZZ_CHECK(b.bytes == NULL && b.vocab_size == 0, "refused but left a vocabulary");
        return 0;
    }
    static const char text[] = "the cat sat on the mat; aaaa abab \n\t\xc3\xa9t\xc3\xa9 0123 !!";
    round_trip(&b, text, sizeof text - 1);
    round_trip(&b, (const char *)data, size);
    const char *q = fuzz_file("again.bpe", (const uint8_t *)"", 0);
    FUZZ_CHECK(tt_bpe_save(&b, q, err, sizeof err) == 0, "save failed: %s", err);
    tt_bpe c;
    FUZZ_CHECK(tt_bpe_load(&c, q, err, sizeof err) == 0, "saved vocabulary does not load: %s", err);
    FUZZ_CHECK(c.vocab_size == b.vocab_size, "vocab %d became %d", b.vocab_size, c.vocab_size);
    FUZZ_CHECK(c.words == b.words, "a %s vocabulary came back as the other kind", b.words ? "word" : "byte");
    for (int32_t i = 0; i < b.vocab_size; i++) {
        FUZZ_CHECK(c.len[i] == b.len[i] && memcmp(c.bytes[i], b.bytes[i], (size_t)b.len[i]) == 0, "id %d changed", i);
    }
    tt_bpe_free(&c);
    tt_bpe_free(&b);
    return 0;
}
