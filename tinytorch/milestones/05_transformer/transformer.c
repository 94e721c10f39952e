/* transformer.c - milestone 05, the Transformer (Vaswani et al., 2017): attention is all you need.
 *
 * Part 1, synthetic sequence tasks. One small causal transformer learns two tasks at once: COPY and
 * REVERSE six letters. A sequence is x1..x6, a task token ([C] or [R]), then the answer; the loss is
 * on the six answer positions only. Test: 200 fresh sequences per task decoded greedily with the KV
 * cache (module 18); a sequence counts only if all six letters are right. Goal >= 95 % each.
 *
 * Part 2, a character-level GPT on text: by default the project's own corpus of questions and answers
 * about ML systems (milestones/05_transformer/tinytalks_mlsys.txt, TinyTalks "Q:"/"A:" format, pairs
 * separated by blank lines); --text FILE trains on any UTF-8 file instead. Every 10th Q/A block is held
 * out for validation (the last 10 % of the text when it has no blank-line blocks). The baseline is a
 * bigram model (next character from the current one, counted on the training text with add-alpha
 * smoothing, the best alpha on validation); the GPT must reach a validation loss clearly below it
 * (goal: <= 0.85 x the bigram loss, in nats per character). The best model (by validation loss) is
 * saved as <out>/05_transformer_lm.safetensors with its vocabulary in the metadata, and a sample is
 * generated with the KV cache.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../ms_common.h"
#include "attn_check.h"
#include "copy_task.h"
#include "tinytorch/kvcache.h"
#include "tinytorch/optim.h"
#include "tinytorch/progress.h"
#include "tinytorch/tokenizer.h"
#include "tinytorch/transformer.h"
#include "tinytorch/fileio.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

/* ---- part 1: copy and reverse --------------------------------------------------------------------- */

/* A batch's loss: the cross-entropy at the answer positions (copy_task.h). */
tt_tensor *tt_ms05_answer_loss(void *model, const tt_batch *b, void *ctx)
{
    const syn_batch *sb = ctx;
    tt_tensor *logits = tt_gpt_forward(model, sb->ids, b->size, SYN_T, NULL); /* [B, T, V] */
    tt_tensor *a = tt_slice(logits, 1, SEQ, SYN_T, 1);                       /* answer positions */
    return tt_cross_entropy(tt_reshape(a, TT_SHAPE(b->size * SEQ, SYN_V)), sb->lab);
}

void tt_ms05_make_example(tt_rng *r, int task, int32_t *ids, int32_t *ans)
{
    for (int i = 0; i < SEQ; i++) {
        ids[i] = 1 + (int32_t)tt_rng_below(r, 26);
    }
    ids[SEQ] = task ? TOK_REV : TOK_COPY;
    for (int i = 0; i < SEQ; i++) {
        ans[i] = task ? ids[SEQ - 1 - i] : ids[i];
    }
    for (int i = 0; i < SEQ - 1; i++) {
        ids[SEQ + 1 + i] = ans[i]; /* teacher forcing: the answer so far */
    }
}

static double eval_task(tt_gpt *g, tt_kv_cache *c, int task, int n, uint64_t seed)
{
    tt_rng r;
    tt_rng_seed(&r, seed);
    int ok = 0;
    for (int k = 0; k < n; k++) {
        int32_t ids[SYN_T], ans[SEQ], out[SEQ + 1 + SEQ];
        tt_ms05_make_example(&r, task, ids, ans);
        tt_gpt_generate_cached(g, c, ids, SEQ + 1, SEQ, 0.0f, 0, 0, out);
        ok += memcmp(out + SEQ + 1, ans, sizeof ans) == 0;
    }
    return (double)ok / n;
}

/* The attention check on the trained copy/reverse model: for n fresh sequences per task, the share of
 * answer queries (position SEQ + i, predicting letter i) whose attention peaks on the letter the task
 * copies (position i for copy, SEQ - 1 - i for reverse): for the best single head, and with the best
 * head chosen per answer position (heads may share the positions out). Both are reported, not goals:
 * the seed-42 quick model's best single head peaks on the source for 60 % (copy) and 54 % (reverse) of
 * the positions. Also each head's entropy at the answer positions, and the causality of the whole
 * model (a goal: no logit may change when later tokens do). */
static bool attention_check(tt_gpt *g, int n, uint64_t seed, tt_milestone_result *res)
{
    int64_t L = g->cfg.n_layer, H = g->cfg.n_head, T = SYN_T;
    float *P = malloc((size_t)(L * H * T * T) * sizeof *P);
    double *hit = calloc((size_t)(L * H), sizeof *hit), *sum_hit = calloc((size_t)(2 * L * H), sizeof *sum_hit);
    double *ent = calloc((size_t)(L * H), sizeof *ent), *sum_ent = calloc((size_t)(L * H), sizeof *sum_ent);
    double *pos_hit = calloc((size_t)(2 * SEQ * L * H), sizeof *pos_hit); /* [task][answer position][head] */
    if (!P || !hit || !sum_hit || !ent || !sum_ent || !pos_hit) {
        fprintf(stderr, "error: out of memory\n");
        free(P), free(hit), free(sum_hit), free(ent), free(sum_ent), free(pos_hit);
        return false;
    }
    tt_rng r;
    tt_rng_seed(&r, seed);
    double maps_diff = 0, leak = 0;
    int64_t q[SEQ], k[SEQ], best;
    for (int task = 0; task < 2; task++) {
        for (int e = 0; e < n; e++) {
            int32_t ids[SYN_T], ans[SEQ];
            tt_ms05_make_example(&r, task, ids, ans);
            double d = tt_ms05_attention_maps(g, ids, T, P);
            maps_diff = d > maps_diff ? d : maps_diff;
            for (int i = 0; i < SEQ; i++) {
                q[i] = SEQ + i;
                k[i] = task ? SEQ - 1 - i : i;
            }
            tt_ms05_position_hits(P, L, H, T, q, k, SEQ, hit, &best);
            tt_ms05_attention_entropy(P, L, H, T, SEQ, ent);
            for (int64_t lh = 0; lh < L * H; lh++) {
                sum_hit[task * L * H + lh] += hit[lh] / n;
                sum_ent[lh] += ent[lh] / (2 * n);
            }
            for (int i = 0; i < SEQ; i++) { /* each answer position on its own */
                tt_ms05_position_hits(P, L, H, T, q + i, k + i, 1, hit, &best);
                for (int64_t lh = 0; lh < L * H; lh++) {
                    pos_hit[(task * SEQ + i) * L * H + lh] += hit[lh] / n;
                }
            }
            if (e < 4) {
                double lk = tt_ms05_future_leak(g, ids, T, seed + (uint64_t)e);
                leak = lk > leak ? lk : leak;
            }
        }
    }
    printf("  attention check (%d sequences per task; heads as L<layer>H<head>):\n", n);
    char key[96];
    bool ok = true;
    for (int task = 0; task < 2; task++) {
        const double *h = sum_hit + task * L * H;
        int64_t b = 0;
        for (int64_t lh = 1; lh < L * H; lh++) {
            b = h[lh] > h[b] ? lh : b;
        }
        char head[32];
        snprintf(head, sizeof head, "L%lldH%lld", (long long)(b / H), (long long)(b % H));
        printf("    %-7s: head %s puts its peak on the letter to %s for %.1f %% of the answer positions\n",
               task ? "reverse" : "copy", head, task ? "reverse" : "copy", 100.0 * h[b]);
        snprintf(key, sizeof key, "attention.%s.best_head", task ? "reverse" : "copy");
        tt_ms_result_str(res, key, head);
        snprintf(key, sizeof key, "attention.%s.peak_share", task ? "reverse" : "copy");
        tt_ms_result_num(res, key, h[b]);
        /* the best head per answer position, and the mean share over the positions */
        double per_pos = 0;
        char heads[8 * SEQ] = "";
        for (int i = 0; i < SEQ; i++) {
            const double *ph = pos_hit + (task * SEQ + i) * L * H;
            int64_t bi = 0;
            for (int64_t lh = 1; lh < L * H; lh++) {
                bi = ph[lh] > ph[bi] ? lh : bi;
            }
            per_pos += ph[bi] / SEQ;
            size_t used = strlen(heads);
            snprintf(heads + used, sizeof heads - used, "%sL%lldH%lld", i ? "," : "", (long long)(bi / H),
                     (long long)(bi % H));
        }
        printf("             best head per answer position (%s): peak on the source for %.1f %%\n", heads,
               100.0 * per_pos);
        snprintf(key, sizeof key, "attention.%s.per_position_heads", task ? "reverse" : "copy");
        tt_ms_result_str(res, key, heads);
        snprintf(key, sizeof key, "attention.%s.per_position_share", task ? "reverse" : "copy");
        tt_ms_result_num(res, key, per_pos);
    }
    printf("    entropy at the answer positions (nats; uniform causal attention: %.3f):", tt_ms05_uniform_entropy(T, SEQ));
    for (int64_t lh = 0; lh < L * H; lh++) {
        snprintf(key, sizeof key, "attention.entropy.L%lldH%lld", (long long)(lh / H), (long long)(lh % H));
        tt_ms_result_num(res, key, sum_ent[lh]);
        printf("%s L%lldH%lld %.3f", lh % H ? "" : "\n     ", (long long)(lh / H), (long long)(lh % H), sum_ent[lh]);
    }
    printf("\n    future leak (largest logit change at positions <= c when tokens after c change): %.3g\n", leak);
    printf("    maps vs the model's forward: largest logit difference %.3g\n", maps_diff);
    tt_ms_result_num(res, "attention.uniform_entropy", tt_ms05_uniform_entropy(T, SEQ));
    tt_ms_result_num(res, "attention.future_leak", leak);
    tt_ms_result_num(res, "attention.maps_vs_forward", maps_diff);
    ok &= tt_ms_check("causal: prefixes unchanged by future", leak == 0.0 ? 1.0 : 0.0, 1.0, true);
    free(P), free(hit), free(sum_hit), free(ent), free(sum_ent), free(pos_hit);
    return ok;
}

static int run_synthetic(const tt_milestone_opts *o, tt_milestone_result *res, bool *met)
{
    int steps = o->quick ? 1500 : 2500, B = 64;
    if (o->epochs > 0) {
        steps = o->epochs * 100;
    }
    tt_rng r;
    tt_rng_seed(&r, o->seed);
    tt_gpt_config cfg = {SYN_V, SYN_T + 1, 64, 2, 4, false, false};
    tt_gpt *g = tt_gpt_new(&cfg, &r);
    tt_optimizer *opt = tt_adamw(&g->params, (tt_adam_opts){.lr = 3e-3f, .beta2 = 0.98f});
    tt_scheduler *sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = steps, .warmup_steps = 50});
    int32_t *ids = malloc((size_t)(B * SYN_T) * sizeof *ids), *lab = malloc((size_t)(B * SEQ) * sizeof *lab);
    if (!ids || !lab) {
        fprintf(stderr, "error: out of memory\n");
        return 2;
    }
    printf("Part 1: copy and reverse %d letters (model %lld parameters, %d steps of %d sequences)\n", SEQ,
           (long long)tt_params_numel(&g->params), steps, B);
    tt_progress pr;
    tt_progress_begin(&pr, stdout, "  train", steps, false);
    double t0 = tt_now_seconds(), loss = 0;
    for (int s = 0; s < steps; s++) {
        for (int b = 0; b < B; b++) {
            tt_ms05_make_example(&r, b & 1, ids + b * SYN_T, lab + b * SEQ);
        }
        tt_batch bt = {.size = B};
        tt_step_result sr;
        tt_train_step(g, opt, &bt, &(tt_step_opts){.loss = tt_ms05_answer_loss, .loss_ctx = &(syn_batch){ids, lab},
                                                   .sched = sched}, &sr);
        loss = sr.loss;
        tt_progress_update(&pr, s + 1, (int64_t)(s + 1) * B, loss);
    }
    tt_progress_end(&pr, NULL);
    tt_kv_cache *c = tt_kv_cache_new(g, 1, SYN_T + 1);
    double acc_copy = eval_task(g, c, 0, 200, o->seed + 1000), acc_rev = eval_task(g, c, 1, 200, o->seed + 2000);
    tt_arena_reset();
    bool a = tt_ms_check("copy: whole-sequence accuracy", acc_copy, 0.95, true);
    bool b = tt_ms_check("reverse: whole-sequence accuracy", acc_rev, 0.95, true);
    bool attn = attention_check(g, o->quick ? 25 : 100, o->seed + 3000, res);
    *met = a && b && attn;
    tt_ms_result_num(res, "sequence_accuracy.copy", acc_copy);
    tt_ms_result_num(res, "sequence_accuracy.reverse", acc_rev);
    tt_ms_result_num(res, "synthetic.final_train_loss", loss);
    tt_ms_result_num(res, "synthetic.train_seconds", tt_now_seconds() - t0);
    tt_kv_cache_free(c);
    tt_scheduler_free(sched);
    tt_optim_free(opt);
    tt_gpt_free(g);
    free(ids);
    free(lab);
    return 0;
}

/* ---- part 2: character-level language model ------------------------------------------------------ */

/* Splits text into train and validation: every 10th blank-line-separated block to validation. */
static void split_text(const char *t, size_t n, char *train, size_t *ntr, char *val, size_t *nva)
{
    *ntr = *nva = 0;
    size_t blocks = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        blocks += t[i] == '\n' && t[i + 1] == '\n';
    }
    if (blocks < 20) {
        size_t cut = n - n / 10;
        while (cut < n && ((unsigned char)t[cut] & 0xC0) == 0x80) {
            cut++; /* do not cut a UTF-8 symbol */
        }
        memcpy(train, t, cut);
        memcpy(val, t + cut, n - cut);
        *ntr = cut;
        *nva = n - cut;
        return;
    }
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= n; i++) {
        bool end = i == n || (i >= 1 && t[i - 1] == '\n' && t[i] == '\n');
        if (!end) {
            continue;
        }
        size_t stop = i == n ? n : i + 1; /* keep the blank line with its block */
        if (k % 10 == 9) {
            memcpy(val + *nva, t + start, stop - start);
            *nva += stop - start;
        } else {
            memcpy(train + *ntr, t + start, stop - start);
            *ntr += stop - start;
        }
        k++;
        start = stop;
        if (stop == n) {
            break;
        }
        i = stop - 1;
    }
}

/* Mean negative log-likelihood (nats) of the bigram model with add-alpha smoothing. */
static double bigram_loss(const int32_t *tr, int64_t ntr, const int32_t *va, int64_t nva, int64_t V,
                          double alpha, double *counts)
{
    memset(counts, 0, (size_t)(V * V) * sizeof *counts);
    for (int64_t i = 0; i + 1 < ntr; i++) {
        counts[tr[i] * V + tr[i + 1]] += 1.0;
    }
    double nll = 0;
    for (int64_t i = 0; i + 1 < nva; i++) {
        double row = 0;
        for (int64_t j = 0; j < V; j++) {
            row += counts[va[i] * V + j];
        }
        nll -= log((counts[va[i] * V + va[i + 1]] + alpha) / (row + alpha * (double)V));
    }
    return nll / (double)(nva - 1);
}

/* Validation loss over non-overlapping windows of length T (the last partial window dropped). */
static double lm_eval(tt_gpt *g, const int32_t *va, int64_t nva, int64_t T, int64_t B)
{
    int64_t nwin = (nva - 1) / T;
    double sum = 0;
    int64_t count = 0;
    tt_no_grad_begin();
    for (int64_t w0 = 0; w0 < nwin; w0 += B) {
        int64_t nb = nwin - w0 < B ? nwin - w0 : B;
        /* consecutive windows: inputs va[w0 T ..), targets the same block shifted by one */
        tt_arena_mark m = tt_arena_get_mark();
        tt_tensor *l = tt_gpt_loss(g, va + w0 * T, va + w0 * T + 1, nb, T);
        sum += (double)tt_item(l) * (double)(nb * T);
        count += nb * T;
        tt_arena_release(m);
    }
    tt_no_grad_end();
    return count ? sum / (double)count : NAN;
}

/* The language model's tokenizer: characters (part 2) or a byte-level BPE trained on the training
 * text (part 3). */
typedef struct lm_tok {
    bool bpe;
    tt_char_tokenizer chr;
    tt_bpe b;
} lm_tok;

static int64_t lm_encode(const lm_tok *t, const char *s, size_t n, int32_t *ids, int64_t cap)
{
    return t->bpe ? tt_bpe_encode(&t->b, s, n, ids, cap) : tt_char_encode(&t->chr, s, n, ids, cap);
}

static size_t lm_decode(const lm_tok *t, const int32_t *ids, int64_t n, char *out, size_t cap)
{
    return t->bpe ? tt_bpe_decode(&t->b, ids, n, out, cap) : tt_char_decode(&t->chr, ids, n, out, cap);
}

/* UTF-8 code points in s[0..n): the characters the character model predicts. */
static int64_t count_chars(const char *s, size_t n)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++) {
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return c;
}

/* The attention check of a language model on its first validation window: each head's mean entropy
 * (printed; the least, mean and largest go to "<prefix>.attention.entropy_{min,mean,max}") and the
 * model's future leak. */
static void lm_attention(tt_gpt *g, const int32_t *va, int64_t T, uint64_t seed, const char *prefix,
                         tt_milestone_result *res)
{
    int64_t L = g->cfg.n_layer, H = g->cfg.n_head;
    float *P = malloc((size_t)(L * H * T * T) * sizeof *P);
    double *ent = malloc((size_t)(L * H) * sizeof *ent);
    if (!P || !ent) {
        free(P);
        free(ent);
        return;
    }
    double diff = tt_ms05_attention_maps(g, va, T, P);
    tt_ms05_attention_entropy(P, L, H, T, 1, ent);
    double leak = tt_ms05_future_leak(g, va, T, seed), lo = INFINITY, hi = 0, mean = 0;
    printf("  attention entropy per head on a validation window (nats; uniform causal: %.2f):",
           tt_ms05_uniform_entropy(T, 1));
    for (int64_t lh = 0; lh < L * H; lh++) {
        printf("%s L%lldH%lld %.2f", lh % H ? "" : "\n   ", (long long)(lh / H), (long long)(lh % H), ent[lh]);
        lo = ent[lh] < lo ? ent[lh] : lo;
        hi = ent[lh] > hi ? ent[lh] : hi;
        mean += ent[lh] / (double)(L * H);
    }
    printf("\n  future leak %.3g, maps vs forward %.3g\n", leak, diff);
    char key[96];
#define ATT_NUM(name, v) (snprintf(key, sizeof key, "%s.attention.%s", prefix, name), tt_ms_result_num(res, key, (v)))
    ATT_NUM("entropy_min", lo);
    ATT_NUM("entropy_mean", mean);
    ATT_NUM("entropy_max", hi);
    ATT_NUM("uniform_entropy", tt_ms05_uniform_entropy(T, 1));
    ATT_NUM("future_leak", leak);
#undef ATT_NUM
    free(P);
    free(ent);
}

/* Part 2 (bpe false) or part 3 (bpe true): the same GPT recipe on the same text and split. */
static int run_lm(const tt_milestone_opts *o, tt_milestone_result *res, bool *met, bool bpe)
{
    char path[4096];
    if (o->text_path) {
        snprintf(path, sizeof path, "%s", o->text_path);
    } else {
        snprintf(path, sizeof path, "%s/tinytorch/milestones/05_transformer/tinytalks_mlsys.txt", MLSB_SOURCE_DIR);
    }
    size_t n;
    unsigned char *bytes;
    char read_err[4200];
    if (tt_read_file(path, &bytes, &n, read_err, sizeof read_err) != 0) {
        fprintf(stderr, "error: %s\n", read_err);
        return 2;
    }
    char *text = (char *)bytes;
    if (n < 1000) {
        fprintf(stderr, "error: %s: %zu bytes of text, need at least 1000 to train and validate\n", path, n);
        free(text);
        return 2;
    }
    lm_tok tok = {.bpe = bpe};
    char *trs = malloc(n), *vas = malloc(n);
    int32_t *tr = malloc(n * sizeof *tr), *va = malloc(n * sizeof *va);
    if (!trs || !vas || !tr || !va || (!bpe && tt_char_tokenizer_build(&tok.chr, text, n) != 0)) {
        fprintf(stderr, "error: out of memory\n");
        return 2;
    }
    size_t ntrs, nvas;
    split_text(text, n, trs, &ntrs, vas, &nvas);
    char terr[256];
    int32_t bpe_vocab = o->quick ? 384 : 512;
    if (bpe && tt_bpe_train(&tok.b, trs, ntrs, bpe_vocab, terr, sizeof terr) != 0) {
        fprintf(stderr, "error: %s\n", terr);
        return 2;
    }
    int64_t ntr = lm_encode(&tok, trs, ntrs, tr, (int64_t)n), nva = lm_encode(&tok, vas, nvas, va, (int64_t)n);
    int64_t V = bpe ? tok.b.vocab_size : tok.chr.vocab_size;
    int64_t T = o->quick ? 64 : 128, B = 16;
    /* losses are compared per character: nats/char = nats/token x tokens/char on the validation text */
    int64_t val_chars = count_chars(vas, nvas);
    double per_char = (double)nva / (double)val_chars;
    char key[96];
    if (bpe) {
        tt_vocab_stats st;
        tt_vocab_stats_compute(vas, nvas, va, nva, (int32_t)V, -1, NULL, &st);
        printf("\nPart 3: GPT on byte-level BPE tokens (vocabulary %lld, trained on the training text) on %s\n",
               (long long)V, path);
        printf("  validation text: %lld tokens for %lld characters (%.2f bytes/token, %.2f tokens/word, "
               "%.0f %% of the vocabulary used)\n", (long long)nva, (long long)val_chars, st.bytes_per_token,
               st.tokens_per_word, 100.0 * st.coverage);
        tt_ms_result_num(res, "bpe.vocab_size", (double)V);
        tt_ms_result_num(res, "bpe.bytes_per_token", st.bytes_per_token);
        tt_ms_result_num(res, "bpe.tokens_per_word", st.tokens_per_word);
        tt_ms_result_num(res, "bpe.vocab_coverage", st.coverage);
        tt_ms_result_num(res, "bpe.train_tokens", (double)ntr);
    } else {
        printf("\nPart 2: character-level GPT on %s\n", path);
        printf("  %zu bytes, vocabulary %lld symbols, %lld train / %lld validation characters\n", n, (long long)V,
               (long long)ntr, (long long)nva);
    }
    if (nva < T + 1 || ntr < T + 1) {
        fprintf(stderr, "error: %s: text too short for windows of %lld characters\n", path, (long long)T);
        return 2;
    }
    double *counts = malloc((size_t)(V * V) * sizeof *counts);
    double big = INFINITY, best_alpha = 0;
    const double alphas[] = {0.01, 0.03, 0.1, 0.3, 1.0};
    for (size_t i = 0; counts && i < sizeof alphas / sizeof alphas[0]; i++) {
        double l = bigram_loss(tr, ntr, va, nva, V, alphas[i], counts);
        if (l < big) {
            big = l;
            best_alpha = alphas[i];
        }
    }
    free(counts);
    printf("  bigram baseline: validation loss %.4f nats/%s (add-%g smoothing, best of 5 on validation)\n", big,
           bpe ? "token" : "char", best_alpha);

    tt_rng r;
    tt_rng_seed(&r, o->seed);
    tt_gpt_config cfg = {V, T, o->quick ? 64 : 128, o->quick ? 2 : 4, 4, true, false};
    tt_gpt *g = tt_gpt_new(&cfg, &r);
    int64_t steps = o->quick ? (bpe ? 60 : 150) : 700; /* quick: smoke runs (part 3 kept short) */
    if (o->epochs > 0) {
        steps = (int64_t)o->epochs * ((ntr + B * T - 1) / (B * T));
    }
    float lr_max = o->quick ? 3e-3f : 1.5e-3f;
    tt_optimizer *opt = tt_adamw(&g->params, (tt_adam_opts){.lr = lr_max, .beta2 = 0.99f, .weight_decay = 0.1f});
    tt_scheduler *sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = steps, .warmup_steps = steps / 20 + 1,
                                                                .min_lr = 0.1f * lr_max});
    printf("  GPT: %lld layers, width %lld, %lld heads, context %lld, %lld parameters; %lld steps of %lldx%lld\n",
           (long long)cfg.n_layer, (long long)cfg.dim, (long long)cfg.n_head, (long long)T,
           (long long)tt_params_numel(&g->params), (long long)steps, (long long)B, (long long)T);
    /* best weights by validation loss */
    float **best = calloc((size_t)g->params.n, sizeof *best);
    for (int i = 0; best && i < g->params.n; i++) {
        best[i] = malloc((size_t)g->params.t[i]->numel * sizeof(float));
        if (!best[i]) {
            fprintf(stderr, "error: out of memory\n");
            return 2;
        }
    }
    int32_t *x = malloc((size_t)(B * T) * sizeof *x), *y = malloc((size_t)(B * T) * sizeof *y);
    if (!best || !x || !y) {
        fprintf(stderr, "error: out of memory\n");
        return 2;
    }
    double best_val = INFINITY, t0 = tt_now_seconds(), train_loss = NAN;
    int64_t best_step = 0, eval_every = o->quick ? 50 : 100;
    for (int64_t s = 0; s < steps; s++) {
        for (int64_t b = 0; b < B; b++) {
            int64_t st = (int64_t)tt_rng_below(&r, (uint32_t)(ntr - T - 1));
            memcpy(x + b * T, tr + st, (size_t)T * sizeof *x);
            memcpy(y + b * T, tr + st + 1, (size_t)T * sizeof *y);
        }
        /* next-character ids and targets as batch fields (a step on several threads splits them) */
        tt_batch bt = {.size = B, .num_fields = 2};
        bt.field[0] = (tt_batch_field){.ints = x, .ints_per_row = T};
        bt.field[1] = (tt_batch_field){.ints = y, .ints_per_row = T};
        tt_step_result sr;
        tt_train_step(g, opt, &bt, &(tt_step_opts){.loss = tt_gpt_batch_loss, .sched = sched}, &sr);
        train_loss = sr.loss;
        if ((s + 1) % eval_every == 0 || s + 1 == steps) {
            double vl = lm_eval(g, va, nva, T, B);
            double el = tt_now_seconds() - t0;
            printf("  step %5lld/%lld  train %.4f  val %.4f  %6.0f tokens/s%s\n", (long long)(s + 1), (long long)steps,
                   train_loss, vl, (double)((s + 1) * B * T) / el, vl < best_val ? "  (best)" : "");
            fflush(stdout);
            if (vl < best_val) {
                best_val = vl;
                best_step = s + 1;
                for (int i = 0; i < g->params.n; i++) {
                    memcpy(best[i], g->params.t[i]->data, (size_t)g->params.t[i]->numel * sizeof(float));
                }
            }
        }
    }
    double train_s = tt_now_seconds() - t0;
    for (int i = 0; i < g->params.n; i++) {
        memcpy(g->params.t[i]->data, best[i], (size_t)g->params.t[i]->numel * sizeof(float));
    }
    *met = tt_ms_check(bpe ? "BPE LM val loss / bigram loss" : "LM validation loss / bigram loss", best_val / big,
                       0.85, false);
    if (bpe) {
        printf("  validation loss %.4f nats/token = %.4f nats/char (step %lld) vs bigram %.4f nats/char\n", best_val,
               best_val * per_char, (long long)best_step, big * per_char);
        tt_ms_result_num(res, "bpe.val_loss_per_token", best_val);
        tt_ms_result_num(res, "bpe.val_loss", best_val * per_char);
        tt_ms_result_num(res, "bpe.bigram_val_loss", big * per_char);
    } else {
        printf("  validation loss %.4f (step %lld) vs bigram %.4f nats/char\n", best_val, (long long)best_step, big);
        tt_ms_result_num(res, "val_loss", best_val);
        tt_ms_result_num(res, "bigram_val_loss", big);
    }
    const char *lp = bpe ? "bpe" : "lm";
#define LM_NUM(name, v) (snprintf(key, sizeof key, "%s.%s", lp, name), tt_ms_result_num(res, key, (v)))
    LM_NUM("train_loss", train_loss);
    LM_NUM("steps", (double)steps);
    LM_NUM("best_step", (double)best_step);
    LM_NUM("params", (double)tt_params_numel(&g->params));
    if (!bpe) {
        LM_NUM("vocab_size", (double)V);
    }
    LM_NUM("train_seconds", train_s);
    LM_NUM("tokens_per_s", (double)(steps * B * T) / train_s);
#undef LM_NUM
    snprintf(key, sizeof key, "%s.text", lp);
    tt_ms_result_str(res, key, path);
    lm_attention(g, va, T, o->seed + 4000, lp, res);

    /* checkpoint: the best weights, the vocabulary (code points) and the config in the metadata */
    int rc = 0;
    char err[512], dir_err[512];
    const char *out = o->out_dir ? o->out_dir : "runs";
    if (tt_mkdir_p(out, dir_err, sizeof dir_err) != 0) {
        fprintf(stderr, "error: %s\n", dir_err);
        rc = 2;
    } else {
        size_t vcap = (size_t)V * 12 + 1;
        char *vocab = malloc(vcap), cfgs[256], vpath[4096];
        size_t pos = 0;
        for (int64_t i = 1; vocab && !bpe && i < V; i++) {
            pos += (size_t)snprintf(vocab + pos, vcap - pos, i > 1 ? ",%u" : "%u", tok.chr.symbols[i]);
        }
        snprintf(cfgs, sizeof cfgs, "{\"vocab_size\": %lld, \"context\": %lld, \"dim\": %lld, \"layers\": %lld, "
                 "\"heads\": %lld, \"tied_head\": true}", (long long)V, (long long)T, (long long)cfg.dim,
                 (long long)cfg.n_layer, (long long)cfg.n_head);
        /* the BPE model's vocabulary is its own file beside the weights */
        snprintf(vpath, sizeof vpath, "%s/05_transformer_bpe.vocab", out);
        if (bpe && vocab) {
            snprintf(vocab, vcap, "05_transformer_bpe.vocab");
        }
        tt_kv meta[3] = {{"model", "tinytorch.gpt"}, {"config", cfgs},
                         {bpe ? "vocab_bpe_file" : "vocab_codepoints", vocab ? vocab : ""}};
        snprintf(path, sizeof path, "%s/05_transformer_%slm.safetensors", out, bpe ? "bpe_" : "");
        if (bpe && tt_bpe_save(&tok.b, vpath, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            rc = 2;
        } else if (tt_safetensors_save(path, &g->params, meta, 3, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            rc = 2;
        } else {
            printf("  checkpoint: %s%s%s\n", path, bpe ? ", vocabulary " : "", bpe ? vpath : "");
            snprintf(key, sizeof key, "%s.checkpoint", lp);
            tt_ms_result_str(res, key, path);
        }
        free(vocab);
    }

    /* a sample, generated with the KV cache */
    const char *prompt = "Q: Why is decoding memory-bound?\nA:";
    int32_t pids[64];
    int64_t np = lm_encode(&tok, prompt, strlen(prompt), pids, 64);
    int64_t nnew = T - np;
    int32_t *gen = malloc((size_t)T * sizeof *gen);
    size_t tcap = (size_t)T * (bpe ? 65536 : 4) + 1;
    char *txt = malloc(tcap);
    if (gen && txt) {
        tt_kv_cache *c = tt_kv_cache_new(g, 1, T);
        tt_gpt_generate_cached(g, c, pids, np, nnew, 0.7f, 8, o->seed, gen);
        size_t k = lm_decode(&tok, gen, T, txt, tcap - 1);
        txt[k < tcap ? k : tcap - 1] = 0;
        printf("  sample (temperature 0.7, top-k 8, KV cache %zu bytes):\n---\n%s\n---\n", tt_kv_cache_bytes(c), txt);
        tt_kv_cache_free(c);
    }
    free(gen);
    free(txt);
    tt_arena_reset();
    for (int i = 0; i < g->params.n; i++) {
        free(best[i]);
    }
    free(best);
    free(x);
    free(y);
    tt_scheduler_free(sched);
    tt_optim_free(opt);
    tt_gpt_free(g);
    if (bpe) {
        tt_bpe_free(&tok.b);
    } else {
        tt_char_tokenizer_free(&tok.chr);
    }
    free(text);
    free(trs);
    free(vas);
    free(tr);
    free(va);
    return rc;
}

/* The parts: 0 goal met, 1 missed, 2 error. */
static int part_synthetic(const tt_milestone_opts *o, tt_milestone_result *res)
{
    bool met = false;
    int rc = run_synthetic(o, res, &met);
    return rc ? rc : !met;
}

static int part_char_lm(const tt_milestone_opts *o, tt_milestone_result *res)
{
    bool met = false;
    int rc = run_lm(o, res, &met, false);
    return rc ? rc : !met;
}

static int part_bpe_lm(const tt_milestone_opts *o, tt_milestone_result *res)
{
    bool met = false;
    int rc = run_lm(o, res, &met, true);
    return rc ? rc : !met;
}

static const tt_milestone_part transformer_parts[] = {
    {"copy and reverse, with the attention check (entropy per head, causality, peak on the source)", 13,
     part_synthetic},
    {"character-level GPT on the Q/A corpus vs a bigram baseline", 13, part_char_lm},
    {"GPT on byte-level BPE tokens of the same corpus vs a bigram baseline", 13, part_bpe_lm},
};

static int run(const tt_milestone_opts *o, tt_milestone_result *res)
{
    return tt_ms_run_declared(o, res, transformer_parts, 3);
}

const tt_milestone tt_milestone_05 = {
    "05", "Transformer", "2017",
    "attention learns copy and reverse (and looks at the right letter); a character GPT and a BPE GPT beat bigram "
    "baselines on the project's own Q/A corpus",
    run, transformer_parts, 3, 13, "val_loss", true, false,
};
