/* kws_synth.c - the synthetic keyword-spotting feature set (see kits/dscnn.h): 49 x 10 "MFCC-like"
 * maps, 12 classes, drawn from a seeded generator. Synthetic: it has the shape of the real task's
 * input, not its statistics; accuracies on it say nothing about real speech. */
#include "kits/dscnn.h"

#include <math.h>
#include <stdlib.h>
#include "tinytorch/tensor.h"

enum { T = KIT_KWS_FRAMES, C = KIT_KWS_COEFFS, MAXSEG = 4 };

/* One "phoneme": a Gaussian bump in time (centre and width in frames, relative to the word's centre)
 * times a spectral shape over the coefficients. */
typedef struct seg { float t, width, amp, spec[C]; } seg;
typedef struct word { int n; seg s[MAXSEG]; } word;

static void draw_word(tt_rng *r, word *w)
{
    w->n = 2 + (int)(tt_rng_u32(r) % 3u);
    const float len = 8.0f + 4.0f * (float)w->n; /* frames the word spans */
    for (int j = 0; j < w->n; j++) {
        seg *s = &w->s[j];
        s->t = -0.5f * len + len * ((float)j + 0.5f) / (float)w->n + 1.5f * tt_rng_normal(r);
        s->width = 1.5f + 2.0f * tt_rng_uniform(r);
        s->amp = 0.8f + 0.6f * tt_rng_uniform(r);
        for (int c = 0; c < C; c++) {
            s->spec[c] = tt_rng_normal(r) / (1.0f + 0.25f * (float)c); /* higher coefficients vary less */
        }
        s->spec[0] = fabsf(s->spec[0]) + 1.0f; /* coefficient 0 ~ energy: up while speaking */
    }
}

/* The ten keywords' words: fixed, whatever the data set's seed. */
static const word *keywords(void)
{
    static word kw[KIT_KWS_CLASSES - 2];
    static int ready = 0;
    if (!ready) {
        tt_rng r;
        tt_rng_seed(&r, 0x4B5753594E54ull); /* "KWSYNT" */
        for (int k = 0; k < KIT_KWS_CLASSES - 2; k++) {
            draw_word(&r, &kw[k]);
        }
        ready = 1;
    }
    return kw;
}

const char *kit_kws_class_name(int label)
{
    static const char *const names[KIT_KWS_CLASSES] = {"silence", "unknown", "yes",  "no",   "up",   "down",
                                                        "left",    "right",   "on",   "off",  "stop", "go"};
    return label >= 0 && label < KIT_KWS_CLASSES ? names[label] : "?";
}

void kit_kws_sample(uint64_t seed, int64_t index, float *x, int32_t *label)
{
    tt_rng r;
    tt_rng_seed(&r, seed * 0x9E3779B97F4A7C15ull + (uint64_t)index * 0xD1B54A32D192ED03ull + 1);
    const int lab = (int)(index % KIT_KWS_CLASSES);
    *label = lab;
    /* background: a channel offset per coefficient, a slowly varying energy floor, white noise */
    float offset[C];
    for (int c = 0; c < C; c++) {
        offset[c] = 0.4f * tt_rng_normal(&r) / (1.0f + 0.25f * (float)c);
    }
    const float floor_amp = 0.3f * tt_rng_uniform(&r), floor_phase = 6.2831853f * tt_rng_uniform(&r);
    for (int t = 0; t < T; t++) {
        for (int c = 0; c < C; c++) {
            x[t * C + c] = offset[c] + 0.55f * tt_rng_normal(&r);
        }
        x[t * C] += floor_amp * sinf(floor_phase + 0.2f * (float)t) - 1.0f;
    }
    if (lab == 0) {
        return; /* silence */
    }
    word w;
    if (lab == 1) {
        draw_word(&r, &w); /* unknown: some other word */
    } else {
        w = keywords()[lab - 2];
    }
    const float centre = 24.0f + 4.0f * (2.0f * tt_rng_uniform(&r) - 1.0f) * 1.5f; /* shift up to +-6 frames */
    const float stretch = 0.85f + 0.3f * tt_rng_uniform(&r), gain = 0.7f + 0.6f * tt_rng_uniform(&r);
    for (int j = 0; j < w.n; j++) {
        const seg *s = &w.s[j];
        float spec[C];
        for (int c = 0; c < C; c++) {
            spec[c] = s->spec[c] + 0.35f * tt_rng_normal(&r) / (1.0f + 0.25f * (float)c);
        }
        const float tc = centre + stretch * s->t, wd = stretch * s->width;
        for (int t = 0; t < T; t++) {
            const float d = ((float)t - tc) / wd, env = gain * s->amp * expf(-0.5f * d * d);
            if (env < 1e-4f) {
                continue;
            }
            for (int c = 0; c < C; c++) {
                x[t * C + c] += env * spec[c];
            }
        }
    }
}

tt_dataset *kit_kws_dataset(uint64_t seed, int64_t n)
{
    if (n < 1) {
        return NULL;
    }
    float *x = malloc((size_t)(n * T * C) * sizeof *x);
    int32_t *y = malloc((size_t)n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        kit_kws_sample(seed, i, x + i * T * C, y + i);
    }
    const int64_t shape[3] = {1, T, C};
    tt_dataset *ds = tt_dataset_from_memory(x, y, n, 3, shape, KIT_KWS_CLASSES);
    if (!ds) {
        free(x);
        free(y);
    }
    return ds;
}
