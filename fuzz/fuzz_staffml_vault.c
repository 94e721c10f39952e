/* fuzz_staffml_vault.c - StaffML vault YAML through sml_vault_load_buffer, then lint. Properties:
 * no crash, hang or sanitizer report; every problem is "fuzz.yaml:LINE: field: reason" with a
 * positive line; every loaded question is well-formed (unique id, track, area, level L1-L6, MCQ
 * answer index 0-3, numeric tolerance in (0, 0.5], text fields present); the count of loaded
 * questions plus refused ones never exceeds what the input could hold. */
#include "fuzz_util.h"
#include "staffml/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const char *m)
{
    const char *p = "fuzz.yaml:";
    FUZZ_CHECK(!strncmp(m, p, strlen(p)), "message without the file name: %s", m);
    char *end;
    long line = strtol(m + strlen(p), &end, 10);
    FUZZ_CHECK(line >= 1 && *end == ':', "message without a line: %s", m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sml_vault v;
    sml_vault_init(&v);
    size_t errs = sml_vault_load_buffer(&v, "fuzz.yaml", (const char *)data, size);
    FUZZ_CHECK(errs == v.nerr, "returned %zu errors, recorded %zu", errs, v.nerr);
    for (size_t i = 0; i < v.nerr; i++) check_message(v.errors[i]);
    for (size_t i = 0; i < v.n; i++) {
        const sml_question *q = &v.q[i];
        FUZZ_CHECK(q->id && q->title && q->question && q->answer && q->mistake && q->napkin && q->topic,
                   "question %zu lacks a required field", i);
        FUZZ_CHECK((unsigned)q->track < SML_TRACK_COUNT && (unsigned)q->area < SML_AREA_COUNT &&
                   q->level >= 1 && q->level <= 6, "%s: taxonomy out of range", q->id);
        FUZZ_CHECK(!q->has_mcq || (q->correct >= 0 && q->correct <= 3), "%s: MCQ index", q->id);
        FUZZ_CHECK(!q->has_numeric || (q->tolerance > 0 && q->tolerance <= 0.5 && q->unit),
                   "%s: numeric fields", q->id);
        FUZZ_CHECK(!q->chain || (q->chain_pos >= 1 && q->chain_pos <= 20), "%s: chain position", q->id);
        for (size_t j = 0; j < i; j++) FUZZ_CHECK(strcmp(q->id, v.q[j].id) != 0, "duplicate id %s", q->id);
    }
    sml_lint_report r;
    size_t n = sml_vault_lint(&v, &r);
    FUZZ_CHECK(n == r.n && n >= v.nerr, "lint count %zu, problems %zu, load errors %zu", n, r.n, v.nerr);
    for (size_t i = 0; i < r.n; i++) FUZZ_CHECK(strchr(r.problems[i], ':') != NULL, "lint message: %s", r.problems[i]);
    sml_lint_report_free(&r);
    sml_vault_free(&v);
    return 0;
}
