/* workload_gpt.c - the causal-LM workload "gpt-char": milestone 05's character GPT answering the
 * project's Q/A corpus (tinytorch/milestones/05_transformer/tinytalks_mlsys.txt).
 *
 * Weights: --checkpoint FILE or <weights>/05_transformer_lm.safetensors, as `tito milestone run 05`
 * writes it (metadata: "model" = "tinytorch.gpt", "config" JSON, "vocab_codepoints"). A file of another
 * model is refused.
 * QSL: one sample per "Q:" of the corpus (at most 128): the prompt "Q: ...\nA:" as token ids, and the
 * corpus's answer after it.
 * SUT: one inference thread; per sample it resets the KV cache, prefills the prompt (one cached pass),
 * takes the greedy next token and reports it with mle_first_token (time to first token), then decodes
 * n_new - 1 more tokens one at a time (time per output token), and completes with the n_new ids.
 * Accuracy: the fraction of answer characters (the first n_new, or fewer for a shorter answer) the SUT
 * generated at the right position. The fp32 reference is the same greedy generation without the KV
 * cache (tt_gpt_generate recomputes the whole prefix per token): the cached SUT must match it.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mle_internal.h"
#include "workload_internal.h"
#include "tinytorch/autograd.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/json.h"
#include "tinytorch/kvcache.h"
#include "tinytorch/transformer.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

#define GPT_MAX_PROMPTS 128
#define GPT_NEW_TOKENS 32

/* Decodes one UTF-8 code point at *p (advancing it); invalid bytes come back as 0x110000 + byte, the
 * tokenizer's raw-byte symbols. */
static uint32_t next_cp(const unsigned char **p, const unsigned char *end)
{
    const unsigned char *s = *p;
    unsigned c = s[0];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || s + n > end) {
        *p = s + 1;
        return 0x110000u + c;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *p = s + 1;
            return 0x110000u + c;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *p = s + n;
    return cp;
}

typedef struct vocab { uint32_t *cp; int32_t *id; int64_t n; } vocab; /* sorted by code point */

static int32_t lookup(const vocab *v, uint32_t cp)
{
    int64_t lo = 0, hi = v->n - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        if (v->cp[mid] == cp) {
            return v->id[mid];
        }
        if (v->cp[mid] < cp) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return 0; /* <unk> */
}

/* Encodes text[0..len) into ids (at most cap); returns the count. */
static int64_t encode(const vocab *v, const char *text, size_t len, int32_t *ids, int64_t cap)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    int64_t n = 0;
    while (p < end && n < cap) {
        ids[n++] = lookup(v, next_cp(&p, end));
    }
    return n;
}

static int64_t json_int(const tt_json *o, const char *k)
{
    const tt_json *x = tt_json_get(o, k);
    return x && x->type == TT_JSON_NUMBER ? (int64_t)x->number : -1;
}

int mle_gpt_open(mle_workload *w, const mle_workload_opts *o, char *err, size_t errlen)
{
    const char *outd = o->out_dir ? o->out_dir : "runs";
    char def[1100];
    snprintf(def, sizeof def, "%s/05_transformer_lm.safetensors", outd);
    struct stat st;
    const char *ck = o->checkpoint ? o->checkpoint : (stat(def, &st) == 0 ? def : NULL);
    if (!ck) {
        snprintf(err, errlen, "gpt-char needs milestone 05's character GPT: run 'tito milestone run 05 --out %s' "
                 "or pass --checkpoint FILE", outd);
        return -1;
    }
    snprintf(w->checkpoint, sizeof w->checkpoint, "%s", ck);
    char model[64], cfgs[512], e[512];
    int rc = tt_safetensors_meta(ck, "model", model, sizeof model, e, sizeof e);
    if (rc != 0 || strcmp(model, "tinytorch.gpt") != 0) {
        snprintf(err, errlen, "%s: %s", ck, rc < 0 ? e : "not a character-GPT checkpoint (metadata \"model\" is not "
                 "\"tinytorch.gpt\"; gpt-char wants the file 'tito milestone run 05' writes)");
        return -1;
    }
    if (tt_safetensors_meta(ck, "config", cfgs, sizeof cfgs, e, sizeof e) != 0) {
        snprintf(err, errlen, "%s: metadata \"config\" is missing", ck);
        return -1;
    }
    tt_json *cj = tt_json_parse(cfgs, strlen(cfgs), e, sizeof e);
    tt_gpt_config cfg = {0};
    if (cj) {
        cfg.vocab_size = json_int(cj, "vocab_size");
        cfg.max_len = json_int(cj, "context");
        cfg.dim = json_int(cj, "dim");
        cfg.n_layer = json_int(cj, "layers");
        cfg.n_head = json_int(cj, "heads");
        const tt_json *t = tt_json_get(cj, "tied_head");
        cfg.tied_head = t && t->type == TT_JSON_BOOL && t->boolean;
    }
    tt_json_free(cj);
    if (!cj || cfg.vocab_size < 2 || cfg.vocab_size > 1 << 20 || cfg.max_len < GPT_NEW_TOKENS + 8 ||
        cfg.max_len > 1 << 16 || cfg.dim < 1 || cfg.dim > 1 << 14 || cfg.n_layer < 1 || cfg.n_layer > 256 ||
        cfg.n_head < 1 || cfg.dim % cfg.n_head != 0) {
        snprintf(err, errlen, "%s: metadata \"config\": vocab_size, context (>= %d), dim, layers, heads out of range",
                 ck, GPT_NEW_TOKENS + 8);
        return -1;
    }
    /* vocabulary: ids 1.. in the order listed */
    size_t vcap = (size_t)cfg.vocab_size * 12 + 16;
    char *vtxt = malloc(vcap);
    vocab v = {malloc((size_t)cfg.vocab_size * sizeof(uint32_t)), malloc((size_t)cfg.vocab_size * sizeof(int32_t)), 0};
    if (!vtxt || !v.cp || !v.id || tt_safetensors_meta(ck, "vocab_codepoints", vtxt, vcap, e, sizeof e) != 0) {
        snprintf(err, errlen, "%s: metadata \"vocab_codepoints\" is missing", ck);
        free(vtxt);
        free(v.cp);
        free(v.id);
        return -1;
    }
    for (char *p = vtxt; *p && v.n < cfg.vocab_size - 1;) {
        char *endp;
        unsigned long cp = strtoul(p, &endp, 10);
        if (endp == p) {
            break;
        }
        v.cp[v.n] = (uint32_t)cp;
        v.id[v.n] = (int32_t)(v.n + 1);
        v.n++;
        p = *endp == ',' ? endp + 1 : endp;
    }
    free(vtxt);
    for (int64_t i = 1; i < v.n; i++) { /* insertion sort by code point (vocabularies are small) */
        for (int64_t k = i; k > 0 && v.cp[k - 1] > v.cp[k]; k--) {
            uint32_t c = v.cp[k];
            v.cp[k] = v.cp[k - 1];
            v.cp[k - 1] = c;
            int32_t d = v.id[k];
            v.id[k] = v.id[k - 1];
            v.id[k - 1] = d;
        }
    }
    tt_rng r;
    tt_rng_seed(&r, 1);
    w->gpt = tt_gpt_new(&cfg, &r);
    if (tt_safetensors_load(ck, &w->gpt->params, false, e, sizeof e) != 0) {
        snprintf(err, errlen, "%s (gpt-char wants the checkpoint 'tito milestone run 05' writes)", e);
        free(v.cp);
        free(v.id);
        return -1;
    }
    w->params = tt_params_numel(&w->gpt->params);
    w->param_bytes = (size_t)w->params * sizeof(float);
    w->n_new = GPT_NEW_TOKENS;
    w->cache = tt_kv_cache_new(w->gpt, 1, cfg.max_len);
    snprintf(w->model_desc, sizeof w->model_desc, "character GPT (%lld layers, dim %lld, %lld heads, context %lld), fp32",
             (long long)cfg.n_layer, (long long)cfg.dim, (long long)cfg.n_head, (long long)cfg.max_len);

    /* prompts from the corpus: "Q: ...\nA:" and the answer line after it */
    const char *src = getenv("MLSB_SOURCE_DIR"); /* the source tree when the binary moved */
    snprintf(w->data_dir, sizeof w->data_dir, "%s/tinytorch/milestones/05_transformer/tinytalks_mlsys.txt",
             src && *src ? src : MLSB_SOURCE_DIR);
    unsigned char *text = NULL;
    size_t len = 0;
    if (tt_read_file(w->data_dir, &text, &len, err, errlen) != 0) {
        free(v.cp);
        free(v.id);
        return -1;
    }
    w->prompts = calloc(GPT_MAX_PROMPTS, sizeof *w->prompts);
    w->answers = calloc(GPT_MAX_PROMPTS, sizeof *w->answers);
    w->prompt_len = calloc(GPT_MAX_PROMPTS, sizeof *w->prompt_len);
    w->answer_len = calloc(GPT_MAX_PROMPTS, sizeof *w->answer_len);
    const int64_t max_prompt = cfg.max_len - w->n_new;
    int32_t *buf = malloc((size_t)(len + 1) * sizeof *buf);
    const char *t = (const char *)text, *end = t + len;
    while (w->prompts && w->answers && w->prompt_len && w->answer_len && buf && w->n_prompts < GPT_MAX_PROMPTS) {
        const char *q = t == (const char *)text && len >= 2 && strncmp(t, "Q:", 2) == 0 ? t : NULL;
        for (const char *s = t; !q && s + 3 < end; s++) {
            if (s[0] == '\n' && s[1] == 'Q' && s[2] == ':') {
                q = s + 1;
            }
        }
        if (!q) {
            break;
        }
        const char *a = strstr(q, "\nA:");
        if (!a || a >= end) {
            break;
        }
        const char *ans = a + 3, *ae = memchr(ans, '\n', (size_t)(end - ans));
        ae = ae ? ae : end;
        int64_t np = encode(&v, q, (size_t)(ans - q), buf, (int64_t)len + 1);
        int64_t keep = np < max_prompt ? np : max_prompt; /* the prompt's last tokens if it is too long */
        int64_t na = encode(&v, ans, (size_t)(ae - ans), buf + np, w->n_new);
        int64_t i = w->n_prompts;
        w->prompts[i] = malloc((size_t)keep * sizeof(int32_t));
        w->answers[i] = malloc((size_t)(na > 0 ? na : 1) * sizeof(int32_t));
        if (!w->prompts[i] || !w->answers[i]) {
            break;
        }
        memcpy(w->prompts[i], buf + np - keep, (size_t)keep * sizeof(int32_t));
        memcpy(w->answers[i], buf + np, (size_t)na * sizeof(int32_t));
        w->prompt_len[i] = keep;
        w->answer_len[i] = na;
        w->n_prompts++;
        t = ae;
    }
    free(buf);
    free(text);
    free(v.cp);
    free(v.id);
    if (w->n_prompts == 0) {
        snprintf(err, errlen, "%s: no \"Q:\" / \"A:\" pairs found", w->data_dir);
        return -1;
    }
    return 0;
}

/* Greedy next token from the last row of logits [1, T, V]. */
static int32_t argmax_last(const tt_tensor *logits, int64_t T, int64_t V)
{
    const float *row = logits->data + (T - 1) * V;
    int32_t best = 0;
    for (int64_t k = 1; k < V; k++) {
        best = row[k] > row[best] ? (int32_t)k : best;
    }
    return best;
}

void *mle_gpt_worker(void *arg)
{
    mle_workload *w = arg;
    const int64_t V = w->gpt->cfg.vocab_size, n_new = w->n_new;
    int32_t *out = malloc((size_t)n_new * sizeof *out);
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->q_len == 0 && !w->stop) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (w->q_len == 0 && w->stop) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        mle_sample s = w->q[w->q_head];
        w->q_head = (w->q_head + 1) % w->q_cap;
        w->q_len--;
        mle_run *run = w->run;
        pthread_mutex_unlock(&w->mu);

        int64_t i = (int64_t)s.index, n = w->prompt_len[i];
        tt_kv_cache_reset(w->cache);
        tt_arena_mark m = tt_arena_get_mark();
        int64_t made = 0;
        if (out) {
            out[0] = argmax_last(tt_gpt_forward_cached(w->gpt, w->cache, w->prompts[i], n), n, V); /* prefill */
            tt_arena_release(m);
            mle_first_token(run, s.id);
            for (made = 1; made < n_new; made++) {
                out[made] = argmax_last(tt_gpt_forward_cached(w->gpt, w->cache, &out[made - 1], 1), 1, V);
                tt_arena_release(m);
            }
        }
        mle_response r = {s.id, out, (size_t)made * sizeof(int32_t), made};
        mle_complete(run, &r, 1);
    }
    free(out);
    return NULL;
}

/* Fraction of answer positions where ids (n_new generated tokens per prompt) match the corpus. */
static double agreement(const mle_workload *w, int32_t *const *gen)
{
    int64_t hit = 0, all = 0;
    for (int64_t i = 0; i < w->n_prompts; i++) {
        for (int64_t k = 0; k < w->answer_len[i] && k < w->n_new; k++) {
            hit += gen[i] && gen[i][k] == w->answers[i][k];
            all++;
        }
    }
    return all ? (double)hit / (double)all : 0.0;
}

int mle_gpt_score(mle_workload *w, const mle_result *r, double *accuracy, char *err, size_t errlen)
{
    if (r->settings.mode != MLE_ACCURACY || r->acc_count != (size_t)w->n_prompts) {
        snprintf(err, errlen, "scoring needs an accuracy-mode result over all %lld prompts", (long long)w->n_prompts);
        return -1;
    }
    int32_t **gen = calloc((size_t)w->n_prompts, sizeof *gen);
    if (!gen) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->acc_count; i++) {
        if (r->acc_size[i] == (size_t)w->n_new * sizeof(int32_t)) {
            gen[i] = (int32_t *)r->acc_data[i]; /* aligned: malloc'ed copy */
        }
    }
    *accuracy = agreement(w, gen);
    free(gen);
    return 0;
}

double mle_gpt_reference(mle_workload *w)
{
    if (isnan(w->ref_accuracy)) {
        int32_t **gen = calloc((size_t)w->n_prompts, sizeof *gen);
        int64_t T = w->gpt->cfg.max_len;
        int32_t *buf = malloc((size_t)T * sizeof *buf);
        pthread_mutex_lock(&w->mu);
        for (int64_t i = 0; gen && buf && i < w->n_prompts; i++) {
            int64_t n = w->prompt_len[i];
            tt_gpt_generate(w->gpt, w->prompts[i], n, w->n_new, 0.0f, 0, 0, buf);
            gen[i] = malloc((size_t)w->n_new * sizeof(int32_t));
            if (gen[i]) {
                memcpy(gen[i], buf + n, (size_t)w->n_new * sizeof(int32_t));
            }
        }
        pthread_mutex_unlock(&w->mu);
        w->ref_accuracy = gen && buf ? agreement(w, gen) : NAN;
        for (int64_t i = 0; gen && i < w->n_prompts; i++) {
            free(gen[i]);
        }
        free(gen);
        free(buf);
    }
    return w->ref_accuracy;
}

void mle_gpt_free(mle_workload *w)
{
    for (int64_t i = 0; i < w->n_prompts; i++) {
        free(w->prompts[i]);
        free(w->answers[i]);
    }
    free(w->prompts);
    free(w->answers);
    free(w->prompt_len);
    free(w->answer_len);
    tt_kv_cache_free(w->cache);
    tt_gpt_free(w->gpt);
}
