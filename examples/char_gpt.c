/* char_gpt.c - a character-level GPT on a text file: a vocabulary of the file's characters, random
 * 64-character windows as a batch of two int32 fields (ids and targets, which tt_train_step can
 * split across threads), AdamW with warm-up and cosine decay, the loss before and after, and a
 * sample of generated text.
 *   usage: char_gpt TEXT_FILE [STEPS]      (STEPS default 200) */
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/tinytorch.h"

/* B random windows of T characters (x) and, for each, the characters one place on (y). */
static void fill_windows(const int32_t *ids, int64_t n, int64_t B, int64_t T, tt_rng *rng, int32_t *x, int32_t *y)
{
    for (int64_t i = 0; i < B; i++) {
        int64_t at = (int64_t)tt_rng_below(rng, (uint32_t)(n - T - 1));
        for (int64_t t = 0; t < T; t++) {
            x[i * T + t] = ids[at + t];
            y[i * T + t] = ids[at + t + 1];
        }
    }
}

int main(int argc, char **argv)
{
    char err[512];
    unsigned char *text;
    size_t len;
    int steps = argc > 2 ? atoi(argv[2]) : 200;
    if (argc < 2 || steps < 1) {
        fprintf(stderr, "usage: char_gpt TEXT_FILE [STEPS]\n");
        return 2;
    }
    if (tt_read_file(argv[1], &text, &len, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    enum { B = 16, T = 64 };
    tt_char_tokenizer tok;
    int32_t *ids = malloc(len * sizeof *ids), *x = malloc((size_t)(B * T) * sizeof *x);
    int32_t *y = malloc((size_t)(B * T) * sizeof *y);
    if (!ids || !x || !y || tt_char_tokenizer_build(&tok, (const char *)text, len) != 0) {
        fprintf(stderr, "char_gpt: out of memory\n");
        return 2;
    }
    const int64_t n = tt_char_encode(&tok, (const char *)text, len, ids, (int64_t)len);
    if (n < T + 2) {
        fprintf(stderr, "%s: %lld characters; need at least %lld\n", argv[1], (long long)n, (long long)T + 2);
        return 2;
    }
    tt_rng rng;
    tt_rng_seed(&rng, 1);
    tt_gpt_config cfg = {.vocab_size = tok.vocab_size, .max_len = T, .dim = 64, .n_layer = 2, .n_head = 4,
                         .tied_head = true};
    tt_gpt *gpt = tt_gpt_new(&cfg, NULL);
    tt_optimizer *opt = tt_adamw(&gpt->params, (tt_adam_opts){.lr = 3e-3f, .weight_decay = 0.1f});
    tt_scheduler *sched = tt_cosine_lr(opt, (tt_cosine_lr_opts){.total_steps = steps, .warmup_steps = steps / 10,
                                                                .min_lr = 3e-4f});
    tt_step_opts so = {.loss = tt_gpt_batch_loss, .clip_norm = 1.0, .sched = sched};
    tt_batch batch = {.size = B, .num_fields = 2,
                      .field = {{.ints = x, .ints_per_row = T}, {.ints = y, .ints_per_row = T}}};
    tt_step_result r;
    double first = 0;
    for (int s = 0; s < steps; s++) {
        fill_windows(ids, n, B, T, &rng, x, y);
        if (tt_train_step(gpt, opt, &batch, &so, &r) != 0) {
            fprintf(stderr, "char_gpt: the loss became %g at step %d\n", r.loss, s);
            return 1;
        }
        first = s == 0 ? r.loss : first;
    }
    printf("%lld characters, vocabulary %d: loss %.3f -> %.3f after %d steps\n", (long long)n,
           (int)tok.vocab_size, first, r.loss, steps);
    int32_t out[T];
    char sample[4 * T + 1];
    tt_gpt_generate(gpt, ids, 8, T - 8, 0.8f, 0, 7, out);
    size_t ns = tt_char_decode(&tok, out, T, sample, sizeof sample - 1);
    sample[ns < sizeof sample ? ns : sizeof sample - 1] = '\0';
    printf("sample: %s\n", sample);
    tt_scheduler_free(sched);
    tt_optim_free(opt);
    tt_gpt_free(gpt);
    tt_char_tokenizer_free(&tok);
    free(ids);
    free(x);
    free(y);
    free(text);
    return r.loss < first ? 0 : 1;
}
