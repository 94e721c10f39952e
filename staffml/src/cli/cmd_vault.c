/* cmd_vault.c - commands over the vault: lint, stats, vault (list / search / show), template,
 * anki. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsysim/registry.h"

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

int cmd_lint(const cli_opts *o)
{
    sml_vault v;
    if (cli_load_vault(o, &v, 1)) {
        fprintf(stderr, "%s\n", v.nerr ? v.errors[0] : "cannot read the vault");
        sml_vault_free(&v);
        return EXIT_DATA;
    }
    sml_lint_report r;
    size_t problems = sml_vault_lint(&v, &r);
    for (size_t i = 0; i < r.n; i++) fprintf(stderr, "%s\n", r.problems[i]);
    if (o->json) {
        printf("{\"questions\": %zu, \"problems\": %zu, \"chains\": %zu, \"numeric\": %zu, "
               "\"numeric_graded\": %zu, \"numeric_rederived\": %zu, \"mcq\": %zu}\n", v.n, problems,
               r.chains, r.numeric, r.numeric_graded, r.numeric_rederived, r.mcq);
    } else {
        printf("Coverage (questions per area x track; levels L1..L6 present as digits)\n");
        printf("%-14s", "area");
        for (int t = 0; t < SML_TRACK_COUNT; t++) printf(" %-14s", sml_track_name((sml_track)t));
        printf("\n");
        for (int a = 0; a < SML_AREA_COUNT; a++) {
            printf("%-14s", sml_area_name((sml_area)a));
            for (int t = 0; t < SML_TRACK_COUNT; t++) {
                int n = 0;
                char lv[8] = "------";
                for (int l = 0; l < SML_LEVEL_COUNT; l++) {
                    n += r.coverage[a][t][l];
                    if (r.coverage[a][t][l]) lv[l] = (char)('1' + l);
                }
                printf(" %3d %-10s", n, lv);
            }
            printf("\n");
        }
        int levels[SML_LEVEL_COUNT] = {0};
        for (size_t i = 0; i < v.n; i++) levels[v.q[i].level - 1]++;
        printf("levels:");
        for (int l = 0; l < SML_LEVEL_COUNT; l++) printf(" L%d %d", l + 1, levels[l]);
        printf("\n%zu questions, %zu chains, %zu numbers (%zu graded answers, %zu re-derived from "
               "formulas), %zu MCQ: %zu problem%s\n", v.n, r.chains, r.numeric, r.numeric_graded,
               r.numeric_rederived, r.mcq, problems, problems == 1 ? "" : "s");
    }
    sml_lint_report_free(&r);
    sml_vault_free(&v);
    return problems ? EXIT_DATA : 0;
}

int cmd_stats(const cli_opts *o)
{
    sml_vault v;
    cli_load_vault(o, &v, 0);
    int areas[SML_AREA_COUNT] = {0}, tracks[SML_TRACK_COUNT] = {0}, levels[SML_LEVEL_COUNT] = {0};
    for (size_t i = 0; i < v.n; i++) {
        areas[v.q[i].area]++;
        tracks[v.q[i].track]++;
        levels[v.q[i].level - 1]++;
    }
    int na = 0, nt = 0, nl = 0;
    for (int i = 0; i < SML_AREA_COUNT; i++) na += areas[i] > 0;
    for (int i = 0; i < SML_TRACK_COUNT; i++) nt += tracks[i] > 0;
    for (int i = 0; i < SML_LEVEL_COUNT; i++) nl += levels[i] > 0;
    size_t chains = sml_vault_chain_count(&v);
    if (o->json) {
        printf("{\"questions\": %zu, \"templates\": %zu, \"chains\": %zu, \"areas\": %d, \"tracks\": %d, "
               "\"levels\": %d, \"errors\": %zu, \"per_area\": {", v.n, sml_template_count(), chains,
               na, nt, nl, v.nerr);
        for (int i = 0; i < SML_AREA_COUNT; i++)
            printf("%s\"%s\": %d", i ? ", " : "", sml_area_name((sml_area)i), areas[i]);
        printf("}, \"per_track\": {");
        for (int i = 0; i < SML_TRACK_COUNT; i++)
            printf("%s\"%s\": %d", i ? ", " : "", sml_track_name((sml_track)i), tracks[i]);
        printf("}, \"per_level\": {");
        for (int i = 0; i < SML_LEVEL_COUNT; i++) printf("%s\"L%d\": %d", i ? ", " : "", i + 1, levels[i]);
        printf("}}\n");
    } else {
        printf("%zu questions, %zu parametric templates, %zu chains\n", v.n, sml_template_count(), chains);
        printf("%d areas, %d tracks, %d levels covered\n", na, nt, nl);
        for (int i = 0; i < SML_TRACK_COUNT; i++) printf("  %-8s %d\n", sml_track_name((sml_track)i), tracks[i]);
    }
    size_t nerr = v.nerr;
    sml_vault_free(&v);
    return nerr ? EXIT_DATA : 0;
}

static void print_question(const sml_question *q, int full)
{
    printf("%s  [%s / %s / L%d]  %s\n", q->id, sml_track_name(q->track), sml_area_name(q->area), q->level, q->title);
    if (!full) return;
    printf("topic: %s\n", q->topic);
    if (q->chain) printf("chain: %s, step %d\n", q->chain, q->chain_pos);
    if (q->scenario) printf("\n%s\n", q->scenario);
    printf("\n%s\n", q->question);
    if (q->has_mcq)
        for (int k = 0; k < 4; k++) printf("  %c) %s\n", 'A' + k, q->options[k]);
    printf("\nAnswer: %s\n", q->answer);
    if (q->has_numeric && q->numeric_graded)
        printf("Numeric: %g %s (within %g %%)\n", q->value, q->unit, q->tolerance * 100);
    else if (q->has_numeric)
        printf("Worked number: %g %s\n", q->value, q->unit);
    if (q->has_mcq) printf("Correct option: %c\n", 'A' + q->correct);
    printf("Napkin math: %s\nCommon mistake: %s\n", q->napkin, q->mistake);
    if (q->source) printf("Source: %s\n", q->source);
}

int cmd_vault(const cli_opts *o)
{
    sml_vault v;
    cli_load_vault(o, &v, 0);   /* problems are reported; the rest still loads */
    int rc = v.nerr ? EXIT_DATA : 0;
    if (o->npos >= 1 && !strcmp(o->pos[0], "show")) {
        const sml_question *q = o->npos >= 2 ? sml_vault_find(&v, o->pos[1]) : NULL;
        if (!q) {
            fprintf(stderr, "staffml: vault show: no question '%s'\n", o->npos >= 2 ? o->pos[1] : "");
            sml_vault_free(&v);
            return EXIT_USAGE;
        }
        print_question(q, 1);
        sml_vault_free(&v);
        return rc;
    }
    const sml_question **list = malloc((v.n ? v.n : 1) * sizeof *list);
    size_t n = 0;
    if (!list) { sml_vault_free(&v); return EXIT_DATA; }
    if (o->npos >= 1 && !strcmp(o->pos[0], "search")) {
        if (o->npos < 2) {
            fprintf(stderr, "staffml: vault search: give the words to look for\n");
            free(list);
            sml_vault_free(&v);
            return EXIT_USAGE;
        }
        char text[512] = "";
        for (int i = 1; i < o->npos; i++) {
            strncat(text, o->pos[i], sizeof text - strlen(text) - 2);
            strcat(text, " ");
        }
        sml_store *s = cli_open_store(o);
        if (!s) { free(list); sml_vault_free(&v); return EXIT_DB; }
        char err[512];
        if (sml_store_index_vault(s, &v, err, sizeof err)) {
            fprintf(stderr, "staffml: %s\n", err);
            sml_store_close(s);
            free(list);
            sml_vault_free(&v);
            return EXIT_DB;
        }
        static char ids[1024][80];
        size_t m = sml_store_search(s, text, ids, 1024, err, sizeof err);
        sml_store_close(s);
        for (size_t i = 0; i < m; i++) {
            const sml_question *q = sml_vault_find(&v, ids[i]);
            if (q && sml_filter_match(&o->filter, q->track, q->area, q->level)) list[n++] = q;
        }
    } else if (o->npos >= 1) {
        fprintf(stderr, "staffml: vault: unknown subcommand '%s' (search TEXT | show ID)\n", o->pos[0]);
        free(list);
        sml_vault_free(&v);
        return EXIT_USAGE;
    } else {
        for (size_t i = 0; i < v.n; i++)
            if (sml_filter_match(&o->filter, v.q[i].track, v.q[i].area, v.q[i].level)) list[n++] = &v.q[i];
    }
    if (o->json) {
        printf("[");
        for (size_t i = 0; i < n; i++) {
            printf("%s{\"id\": ", i ? ", " : "");
            json_str(list[i]->id);
            printf(", \"track\": \"%s\", \"area\": \"%s\", \"level\": %d, \"title\": ",
                   sml_track_name(list[i]->track), sml_area_name(list[i]->area), list[i]->level);
            json_str(list[i]->title);
            printf("}");
        }
        printf("]\n");
    } else {
        for (size_t i = 0; i < n; i++) print_question(list[i], 0);
        printf("%zu question%s\n", n, n == 1 ? "" : "s");
    }
    free(list);
    sml_vault_free(&v);
    return rc;
}

int cmd_template(const cli_opts *o)
{
    if (o->npos == 0 || !strcmp(o->pos[0], "list")) {
        for (size_t i = 0; i < sml_template_count(); i++) {
            const sml_template *t = sml_template_at(i);
            printf("%-24s [%s / %s / L%d]  %s\n", t->id, sml_track_name(t->track), sml_area_name(t->area),
                   t->level, t->title);
        }
        return 0;
    }
    if (strcmp(o->pos[0], "show") || o->npos < 2) {
        fprintf(stderr, "staffml: template: want 'list' or 'show ID [--seed N]'\n");
        return EXIT_USAGE;
    }
    const sml_template *t = sml_template_find(o->pos[1]);
    if (!t) {
        fprintf(stderr, "staffml: template show: no template '%s' (see staffml template list)\n", o->pos[1]);
        return EXIT_USAGE;
    }
    char err[256];
    ms_registry *r = ms_registry_new(err, sizeof err);
    if (!r) { fprintf(stderr, "staffml: registry: %s\n", err); return EXIT_DATA; }
    sml_instance in;
    int rc = sml_template_generate(t, r, (uint64_t)o->seed, &in, err, sizeof err);
    ms_registry_free(r);
    if (rc) { fprintf(stderr, "staffml: %s\n", err); return EXIT_DATA; }
    if (o->json) {
        printf("{\"template\": \"%s\", \"seed\": %lld, \"question\": ", t->id, o->seed);
        json_str(in.question);
        printf(", \"value\": %.10g, \"unit\": \"%s\", \"tolerance\": %g, \"napkin\": ", in.value, in.unit, in.tolerance);
        json_str(in.napkin);
        printf("}\n");
    } else {
        printf("%s\n\nAnswer: %.4g %s\nNapkin math: %s\n", in.question, in.value, in.unit, in.napkin);
    }
    return 0;
}

int cmd_anki(const cli_opts *o)
{
    if (o->npos != 1) {
        fprintf(stderr, "staffml: anki: give the output file (e.g. staffml anki staffml-deck.txt)\n");
        return EXIT_USAGE;
    }
    sml_vault v;
    cli_load_vault(o, &v, 0);
    char err[1200];
    int rc = sml_vault_export_anki(&v, o->pos[0], err, sizeof err);
    if (rc) fprintf(stderr, "staffml: %s\n", err);
    else printf("wrote %zu notes to %s (Anki: File > Import)\n", v.n, o->pos[0]);
    sml_vault_free(&v);
    return rc ? EXIT_DATA : 0;
}
