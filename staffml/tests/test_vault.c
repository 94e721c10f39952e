/* test_vault.c - vault loading (errors as file:line: field: reason, a bad question or file never
 * stops the rest), the input checks before libfyaml, lint, formulas, answer parsing, and the
 * shipped vault's size and coverage goals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "staffml/vault.h"

static int has_error(const sml_vault *v, const char *needle)
{
    for (size_t i = 0; i < v->nerr; i++)
        if (strstr(v->errors[i], needle)) return 1;
    return 0;
}

static void test_mixed_dir(void **state)
{
    (void)state;
    sml_vault v;
    sml_vault_init(&v);
    assert_int_equal(sml_vault_load_dir(&v, MLSB_TEST_DATA "/vault_mixed"), 0);
    /* both good questions, and the good one after a bad one in the same file */
    assert_int_equal(v.n, 3);
    assert_non_null(sml_vault_find(&v, "t-good-1"));
    assert_non_null(sml_vault_find(&v, "t-fine-after-bad"));
    assert_null(sml_vault_find(&v, "t-bad-track"));
    assert_true(has_error(&v, "b_bad.yaml:3: track: 'datacenter' is not one of"));
    assert_true(has_error(&v, "c_syntax.yaml:4: yaml: flow sequence without a closing bracket"));
    assert_true(has_error(&v, "d_utf8.yaml:1: file: invalid UTF-8"));
    const sml_question *q = sml_vault_find(&v, "t-good-1");
    assert_true(q->has_numeric);
    assert_float_equal(q->value, 128, 0);
    assert_string_equal(q->unit, "KiB");
    assert_int_equal(q->line, 2);
    q = sml_vault_find(&v, "t-good-2");
    assert_true(q->has_mcq);
    assert_int_equal(q->correct, 0);
    assert_int_equal(sml_vault_chain_count(&v), 1);
    sml_vault_free(&v);
}

static void load(sml_vault *v, const char *text)
{
    sml_vault_init(v);
    sml_vault_load_buffer(v, "x.yaml", text, strlen(text));
}

#define BASE "    topic: t\n    title: t\n    question: q\n    answer: a\n    mistake: m\n    napkin: n\n"

static void test_field_errors(void **state)
{
    (void)state;
    sml_vault v;
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L7\n    area: memory\n" BASE);
    assert_true(has_error(&v, "x.yaml:4: level: 'L7' is not L1..L6"));
    sml_vault_free(&v);
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: vibes\n" BASE);
    assert_true(has_error(&v, "x.yaml:5: area: 'vibes' is not one of the 13 areas"));
    sml_vault_free(&v);
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: data\n" BASE "    colour: red\n");
    assert_true(has_error(&v, "x.yaml:12: colour: unknown field"));
    sml_vault_free(&v);
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: data\n" BASE
             "    numeric: {value: abc, unit: GB}\n");
    assert_true(has_error(&v, "numeric.value: 'abc' is not a number"));
    sml_vault_free(&v);
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: data\n" BASE
             "    options: [a, b, c]\n");
    assert_true(has_error(&v, "options: want a sequence of exactly 4"));
    sml_vault_free(&v);
    load(&v, "questions:\n  - id: a\n    level: L1\n    area: data\n" BASE);
    assert_true(has_error(&v, "x.yaml:2: track: missing"));
    sml_vault_free(&v);
    /* duplicate ids: the second is refused with its line */
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: data\n" BASE
             "  - id: a\n    track: edge\n    level: L1\n    area: data\n" BASE);
    assert_int_equal(v.n, 1);
    assert_true(has_error(&v, "x.yaml:12: id: 'a' is used twice"));
    sml_vault_free(&v);
    load(&v, "- just a list\n");
    assert_true(has_error(&v, "questions: want a top-level mapping"));
    sml_vault_free(&v);
}

/* Debian's libfyaml 0.7.12 hangs on "%\xf4"; the check must refuse it before parsing, fast. */
static void test_bad_bytes_refused_fast(void **state)
{
    (void)state;
    const char *cases[] = {"%\xf4", "questions: \xc0\xaf\n", "a: \xed\xa0\x80\n", "a: \xf4\x90\x80\x80\n"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clock_t t0 = clock();
        sml_vault v;
        load(&v, cases[i]);
        assert_int_equal(v.n, 0);
        assert_true(has_error(&v, "invalid UTF-8"));
        assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
        sml_vault_free(&v);
    }
    char nul[] = "questions: []\n\0x";
    sml_vault v;
    sml_vault_init(&v);
    sml_vault_load_buffer(&v, "n.yaml", nul, sizeof nul - 1);
    assert_true(has_error(&v, "n.yaml:2: file: invalid UTF-8 (or NUL)"));
    sml_vault_free(&v);
    /* valid multi-byte text passes */
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: data\n" BASE
             "    source: \"MLSys\xc2\xb7im \xe2\x80\x94 \xf0\x9f\x93\x88\"\n");
    assert_int_equal(v.nerr, 0);
    assert_int_equal(v.n, 1);
    sml_vault_free(&v);
}

/* A NUL spelled as a YAML escape ("\0", "\x00") in a key or value: C strings would read
 * "cloud\0junk" as "cloud" and "id\0x" as the key "id". The question is refused with its line;
 * the rest of the file still loads. A key given twice is a YAML error (libfyaml refuses it). */
static void test_nul_escapes_and_duplicate_keys(void **state)
{
    (void)state;
    sml_vault v;
    load(&v, "questions:\n  - id: a\n    track: \"cloud\\0junk\"\n    level: L1\n    area: data\n" BASE
             "  - id: b\n    track: edge\n    level: L1\n    area: data\n" BASE);
    assert_true(has_error(&v, "x.yaml:3: question: a key or value holds a NUL character"));
    assert_int_equal(v.n, 1);
    assert_string_equal(v.q[0].id, "b");
    sml_vault_free(&v);
    load(&v, "questions:\n  - \"id\\x00z\": a\n    track: cloud\n    level: L1\n    area: data\n" BASE);
    assert_true(has_error(&v, "x.yaml:2: question: a key or value holds a NUL character"));
    assert_int_equal(v.n, 0);
    sml_vault_free(&v);
    load(&v, "questions:\n  - id: a\n    track: cloud\n    track: edge\n    level: L1\n    area: data\n" BASE);
    assert_int_equal(v.n, 0);
    assert_true(v.nerr >= 1 && strstr(v.errors[0], "x.yaml:4: yaml: ") != NULL);
    sml_vault_free(&v);
}

/* A single-quoted string with the '' escape: Debian's libfyaml 0.7.12 misreads some and leaks a
 * buffer doing it. The file is refused with the line before any text is read; double quotes and
 * an empty '' are fine. */
static void test_single_quote_escape(void **state)
{
    (void)state;
    sml_vault v;
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: data\n" BASE
             "    source: 'it''s'\n");
    assert_int_equal(v.n, 0);
    assert_true(has_error(&v, "x.yaml:12: yaml: a single-quoted string holds the '' escape"));
    sml_vault_free(&v);
    load(&v, "questions:\n  - id: a\n    track: cloud\n    level: L1\n    area: data\n" BASE
             "    source: \"it's\"\n    scenario: ''\n");
    assert_int_equal(v.nerr, 0);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.q[0].source, "it's");
    sml_vault_free(&v);
}

static void test_lint(void **state)
{
    (void)state;
    sml_vault v;
    load(&v, "questions:\n"
             "  - id: a\n    track: cloud\n    level: L3\n    area: data\n" BASE
             "    numeric: {value: 100, unit: GB, tolerance: 0.01, formula: \"2*40\"}\n"
             "    chain: {id: c1, position: 1}\n"
             "  - id: b\n    track: cloud\n    level: L2\n    area: data\n" BASE
             "    numeric: {value: 3, unit: parsecs}\n"
             "    chain: {id: c1, position: 3}\n");
    assert_int_equal(v.nerr, 0);
    sml_lint_report r;
    size_t n = sml_vault_lint(&v, &r);
    assert_true(n >= 4);
    int formula = 0, unit = 0, pos = 0, down = 0;
    for (size_t i = 0; i < r.n; i++) {
        formula |= strstr(r.problems[i], "numeric.value: 100 GB, but the formula gives 80") != NULL;
        unit |= strstr(r.problems[i], "'parsecs' is not a known unit") != NULL;
        pos |= strstr(r.problems[i], "chain.position: chain 'c1' has position 3 where 2") != NULL;
        down |= strstr(r.problems[i], "goes down from L3") != NULL;
    }
    assert_true(formula && unit && pos && down);
    assert_int_equal(r.coverage[SML_AREA_DATA][SML_TRACK_CLOUD][2], 1);
    sml_lint_report_free(&r);
    sml_vault_free(&v);
}

/* `check:` is a napkin number lint re-derives but a drill does not grade; not both with numeric. */
static void test_check_numbers(void **state)
{
    (void)state;
    sml_vault v;
    load(&v, "questions:\n  - id: a\n    track: edge\n    level: L2\n    area: power\n" BASE
             "    check: {value: 8, unit: mJ, tolerance: 0.02, formula: \"50e6*8*20e-12*1000\"}\n"
             "  - id: b\n    track: edge\n    level: L2\n    area: power\n" BASE
             "    check: {value: 9, unit: mJ, formula: \"4*2\"}\n"
             "  - id: c\n    track: edge\n    level: L2\n    area: power\n" BASE
             "    numeric: {value: 8, unit: mJ}\n    check: {value: 8, unit: mJ}\n");
    assert_int_equal(v.n, 2);
    assert_true(has_error(&v, "check: a question has either numeric or check, not both"));
    const sml_question *q = sml_vault_find(&v, "a");
    assert_true(q->has_numeric);
    assert_int_equal(q->numeric_graded, 0);
    sml_lint_report r;
    sml_vault_lint(&v, &r);
    assert_int_equal(r.numeric, 2);
    assert_int_equal(r.numeric_graded, 0);
    assert_int_equal(r.numeric_rederived, 1);
    int found = 0;
    for (size_t i = 0; i < r.n; i++) found |= strstr(r.problems[i], "check.value: 9 mJ, but the formula gives 8") != NULL;
    assert_true(found);
    sml_lint_report_free(&r);
    sml_vault_free(&v);
}

static void test_expr(void **state)
{
    (void)state;
    double x;
    char err[128];
    assert_int_equal(sml_eval_expr("2*32*8*128*2/KiB", &x, err, sizeof err), 0);
    assert_float_equal(x, 128, 1e-12);
    assert_int_equal(sml_eval_expr("-(1+2)^2 + sqrt(16) - 2^3^2/512", &x, err, sizeof err), 0);
    assert_float_equal(x, -9 + 4 - 1, 1e-12);
    assert_int_equal(sml_eval_expr("70e9*14/(100*G)", &x, err, sizeof err), 0);
    assert_float_equal(x, 9.8, 1e-12);
    assert_int_equal(sml_eval_expr("1-exp(-24/6.1)", &x, err, sizeof err), 0);
    assert_float_equal(x, 1 - exp(-24 / 6.1), 1e-12);
    assert_int_equal(sml_eval_expr("2*(3", &x, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing ')'"));
    assert_int_equal(sml_eval_expr("2 $ 3", &x, err, sizeof err), -1);
    assert_int_equal(sml_eval_expr("foo(2)", &x, err, sizeof err), -1);
    assert_int_equal(sml_eval_expr("1/0", &x, err, sizeof err), -1);
    char deep[400];
    memset(deep, '(', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    assert_int_equal(sml_eval_expr(deep, &x, err, sizeof err), -1);
}

static void test_answers(void **state)
{
    (void)state;
    double x;
    assert_int_equal(sml_parse_answer_number(" 16 ", "GB", &x), 0);
    assert_float_equal(x, 16, 0);
    assert_int_equal(sml_parse_answer_number("16 gb", "GB", &x), 0);
    assert_int_equal(sml_parse_answer_number("1.6e10", "B", &x), 0);
    assert_int_equal(sml_parse_answer_number("sixteen", "GB", &x), -1);
    assert_int_equal(sml_parse_answer_number("16 TB", "GB", &x), -1);
    assert_int_equal(sml_parse_answer_number("", "GB", &x), -1);
    assert_int_equal(sml_parse_answer_number("40%", "%", &x), 0);
    assert_true(sml_numeric_correct(16.7, 16, 0.05));
    assert_false(sml_numeric_correct(16.9, 16, 0.05));
    assert_int_equal(sml_auto_grade(1, 5, 20), 4);
    assert_int_equal(sml_auto_grade(1, 30, 20), 3);
    assert_int_equal(sml_auto_grade(0, 5, 20), 1);
    assert_int_equal(sml_parse_choice("b"), 1);
    assert_int_equal(sml_parse_choice("D"), 3);
    assert_int_equal(sml_parse_choice("3"), 2);
    assert_int_equal(sml_parse_choice("e"), -1);
    assert_int_equal(sml_parse_choice("ab"), -1);
    sml_track t;
    sml_area a;
    int l;
    assert_int_equal(sml_track_parse("TinyML", &t), 0);
    assert_int_equal(t, SML_TRACK_TINYML);
    assert_int_equal(sml_track_parse("datacenter", &t), -1);
    assert_int_equal(sml_area_parse("cross-cutting", &a), 0);
    assert_int_equal(sml_area_parse("crosscutting", &a), -1);
    assert_int_equal(sml_level_parse("L6", &l), 0);
    assert_int_equal(sml_level_parse("L0", &l), -1);
}

/* The shipped vault: loads without problems, lints clean, and meets the goals. */
static void test_shipped_vault(void **state)
{
    (void)state;
    sml_vault v;
    sml_vault_init(&v);
    assert_int_equal(sml_vault_load_dir(&v, MLSB_SOURCE_DIR "/staffml/vault"), 0);
    for (size_t i = 0; i < v.nerr; i++) fprintf(stderr, "%s\n", v.errors[i]);
    assert_int_equal(v.nerr, 0);
    sml_lint_report r;
    size_t n = sml_vault_lint(&v, &r);
    for (size_t i = 0; i < r.n; i++) fprintf(stderr, "%s\n", r.problems[i]);
    assert_int_equal(n, 0);
    assert_true(v.n >= 300);
    assert_true(r.chains >= 20);
    int areas[SML_AREA_COUNT] = {0}, tracks[SML_TRACK_COUNT] = {0}, levels[SML_LEVEL_COUNT] = {0};
    for (size_t i = 0; i < v.n; i++) {
        areas[v.q[i].area]++;
        tracks[v.q[i].track]++;
        levels[v.q[i].level - 1]++;
    }
    for (int i = 0; i < SML_AREA_COUNT; i++) assert_true(areas[i] > 0);
    for (int i = 0; i < SML_TRACK_COUNT; i++) assert_true(tracks[i] > 0);
    for (int i = 0; i < SML_LEVEL_COUNT; i++) assert_true(levels[i] > 0);
    sml_lint_report_free(&r);
    sml_vault_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_dir),
        cmocka_unit_test(test_field_errors),
        cmocka_unit_test(test_bad_bytes_refused_fast),
        cmocka_unit_test(test_nul_escapes_and_duplicate_keys),
        cmocka_unit_test(test_single_quote_escape),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_check_numbers),
        cmocka_unit_test(test_expr),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_shipped_vault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
