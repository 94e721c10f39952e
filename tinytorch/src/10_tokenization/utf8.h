/* utf8.h - the UTF-8 decoding and encoding shared by the tokenizers (internal, module 10).
 * Invalid bytes decode to the out-of-range symbol 0x110000 + byte so they survive a round trip. */
#ifndef TT_UTF8_H
#define TT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define TT_UTF8_RAW_BASE 0x110000u

/* Decodes the symbol at s[0..n); stores its byte length in *used (>= 1). */
static inline uint32_t tt_utf8_next(const unsigned char *s, size_t n, size_t *used)
{
    unsigned c = s[0];
    int need;
    uint32_t cp;
    if (c < 0x80) {
        *used = 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        need = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        need = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        need = 3;
        cp = c & 0x07;
    } else {
        *used = 1;
        return TT_UTF8_RAW_BASE + c;
    }
    if ((size_t)need >= n) {
        *used = 1;
        return TT_UTF8_RAW_BASE + c;
    }
    for (int i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *used = 1;
            return TT_UTF8_RAW_BASE + c;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* reject overlong forms, surrogates and values above U+10FFFF: they would not re-encode the same */
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *used = 1;
        return TT_UTF8_RAW_BASE + c;
    }
    *used = (size_t)need + 1;
    return cp;
}

/* Encodes symbol cp into out (4 bytes room); returns the byte count. */
static inline int tt_utf8_put(uint32_t cp, unsigned char *out)
{
    if (cp >= TT_UTF8_RAW_BASE) {
        out[0] = (unsigned char)(cp - TT_UTF8_RAW_BASE);
        return 1;
    }
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
