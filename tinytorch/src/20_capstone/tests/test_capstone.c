/* test_capstone.c - module 20's tools: Pareto dominance, the frontier's JSON and SVG files, and the
 * JSON Schema checker (each keyword accepting a good document and refusing a bad one with the path of
 * the problem), including the shipped submission schema. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tinytorch/capstone.h"
#include "tinytorch/data.h"

static tt_json *parse(const char *s)
{
    char err[256];
    tt_json *j = tt_json_parse(s, strlen(s), err, sizeof err);
    if (!j) {
        fail_msg("test JSON does not parse: %s", err);
    }
    return j;
}

static void test_pareto_dominance(void **state)
{
    (void)state;
    tt_pareto_point p[4] = {
        {"fp32", 0.90, 0.00015, 246824, false},
        {"int8", 0.89, 0.00009, 63414, false},     /* faster and smaller, a little less accurate */
        {"worse", 0.88, 0.00020, 300000, false},   /* dominated by both */
        {"tie-fp32", 0.90, 0.00015, 246824, false} /* equal to fp32: neither dominates the other */
    };
    assert_int_equal(tt_pareto_mark(p, 4), 3);
    assert_true(p[0].on_frontier);
    assert_true(p[1].on_frontier);
    assert_false(p[2].on_frontier);
    assert_true(p[3].on_frontier);
    assert_int_equal(tt_pareto_mark(p, 1), 1);
    /* equal accuracy, one faster and the other smaller: neither dominates (latency counts in "at least
     * as good"); the same size but slower is dominated */
    tt_pareto_point q[3] = {
        {"fast", 0.90, 0.00010, 100000, false},
        {"small", 0.90, 0.00020, 90000, false},
        {"slow", 0.90, 0.00030, 100000, false},
    };
    assert_int_equal(tt_pareto_mark(q, 3), 2);
    assert_true(q[0].on_frontier);
    assert_true(q[1].on_frontier);
    assert_false(q[2].on_frontier);
}

static void test_pareto_files(void **state)
{
    (void)state;
    tt_pareto_point p[2] = {{"fp32 <a&b>", 0.892, 0.00015, 246824, false}, {"int8", 0.8928, 0.00009, 63414, false}};
    assert_int_equal(tt_pareto_mark(p, 2), 1); /* int8 is better on all three here */
    char dir[] = "/tmp/tt_cap_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char jp[64], sp[64], err[512];
    snprintf(jp, sizeof jp, "%s/p.json", dir);
    snprintf(sp, sizeof sp, "%s/p.svg", dir);
    assert_int_equal(tt_pareto_write_json(jp, p, 2, err, sizeof err), 0);
    assert_int_equal(tt_pareto_write_svg(sp, p, 2, err, sizeof err), 0);
    unsigned char *d;
    size_t n;
    assert_int_equal(tt_read_file(jp, &d, &n, err, sizeof err), 0);
    tt_json *j = tt_json_parse((const char *)d, n, err, sizeof err);
    free(d);
    assert_non_null(j);
    const tt_json *pts = tt_json_get(j, "points");
    assert_int_equal(pts->count, 2);
    assert_string_equal(tt_json_get(tt_json_at(pts, 0), "name")->string, "fp32 <a&b>");
    assert_false(tt_json_get(tt_json_at(pts, 0), "on_frontier")->boolean);
    assert_true(tt_json_get(tt_json_at(pts, 1), "on_frontier")->boolean);
    tt_json_free(j);
    assert_int_equal(tt_read_file(sp, &d, &n, err, sizeof err), 0);
    char *svg = calloc(n + 1, 1); /* tt_read_file does not NUL-terminate */
    memcpy(svg, d, n);
    free(d);
    assert_memory_equal(svg, "<svg ", 5);
    assert_non_null(strstr(svg, "</svg>"));
    assert_non_null(strstr(svg, "fp32 &lt;a&amp;b&gt;")); /* the label is escaped */
    assert_null(strstr(svg, "<a&b>"));
    assert_int_equal((int)(strstr(svg, "<circle") != NULL) + (int)(strstr(strstr(svg, "<circle") + 1, "<circle") != NULL), 2);
    free(svg);
    remove(jp);
    remove(sp);
    rmdir(dir);
}

static void expect_invalid(const tt_json *schema, const char *doc, const char *substr)
{
    tt_json *d = parse(doc);
    char err[512] = "";
    int rc = tt_schema_validate(schema, d, err, sizeof err);
    tt_json_free(d);
    if (rc == 0 || !strstr(err, substr)) {
        fail_msg("document %s: want an error containing \"%s\", got rc %d \"%s\"", doc, substr, rc, err);
    }
}

static void test_schema_keywords(void **state)
{
    (void)state;
    tt_json *s = parse("{\"type\": \"object\", \"required\": [\"a\", \"b\"], \"additionalProperties\": false,"
                       " \"properties\": {"
                       "  \"a\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 10},"
                       "  \"b\": {\"enum\": [\"x\", \"y\"]},"
                       "  \"c\": {\"type\": [\"number\", \"null\"]},"
                       "  \"d\": {\"type\": \"array\", \"minItems\": 1, \"items\": {\"type\": \"object\","
                       "         \"required\": [\"n\"], \"properties\": {\"n\": {\"type\": \"string\", \"minLength\": 2}}}},"
                       "  \"e\": {\"const\": 1}}}");
    char err[512];
    tt_json *ok = parse("{\"a\": 3, \"b\": \"x\", \"c\": null, \"d\": [{\"n\": \"ab\"}], \"e\": 1}");
    assert_int_equal(tt_schema_validate(s, ok, err, sizeof err), 0);
    tt_json_free(ok);
    expect_invalid(s, "{\"b\": \"x\"}", "$: the required member \"a\" is missing");
    expect_invalid(s, "{\"a\": 3.5, \"b\": \"x\"}", "$.a: is number, the schema wants integer");
    expect_invalid(s, "{\"a\": 0, \"b\": \"x\"}", "$.a: 0 is below the minimum 1");
    expect_invalid(s, "{\"a\": 11, \"b\": \"x\"}", "$.a: 11 is above the maximum 10");
    expect_invalid(s, "{\"a\": 3, \"b\": \"z\"}", "$.b: is not one of the values");
    expect_invalid(s, "{\"a\": 3, \"b\": \"x\", \"c\": \"s\"}", "$.c: is string");
    expect_invalid(s, "{\"a\": 3, \"b\": \"x\", \"d\": []}", "$.d: has 0 items, fewer than minItems 1");
    expect_invalid(s, "{\"a\": 3, \"b\": \"x\", \"d\": [{\"n\": \"ab\"}, {\"n\": \"a\"}]}", "$.d[1].n: is shorter");
    expect_invalid(s, "{\"a\": 3, \"b\": \"x\", \"d\": [{}]}", "$.d[0]: the required member \"n\"");
    expect_invalid(s, "{\"a\": 3, \"b\": \"x\", \"e\": 2}", "$.e: differs from the schema's const");
    expect_invalid(s, "{\"a\": 3, \"b\": \"x\", \"zz\": 2}", "$.zz: is not a member the schema allows");
    expect_invalid(s, "[1]", "$: is array, the schema wants object");
    tt_json_free(s);
}

static void test_shipped_submission_schema(void **state)
{
    (void)state;
    char schema[1024], dir[] = "/tmp/tt_sub_XXXXXX", doc[64], err[1024];
    snprintf(schema, sizeof schema, "%s/tinytorch/src/20_capstone/submission.schema.json", MLSB_SOURCE_DIR);
    assert_non_null(mkdtemp(dir));
    snprintf(doc, sizeof doc, "%s/s.json", dir);
    const char *good =
        "{\"schema_version\": 1, \"division\": \"closed\","
        " \"system\": {\"cpu_model\": \"x\", \"logical_cpus\": 2, \"compiler\": \"gcc\"},"
        " \"results\": [{\"workload\": \"lenet5\", \"scenario\": \"Offline\", \"mode\": \"accuracy\", \"valid\": true,"
        "   \"metric\": null, \"unit\": \"\", \"accuracy\": 0.892, \"accuracy_target\": 0.883, \"accuracy_target_met\": true,"
        "   \"results_dir\": \"r/lenet5/Offline/accuracy/run_1\"}],"
        " \"pareto\": [{\"name\": \"lenet5\", \"accuracy\": 0.892, \"latency_s\": 0.00015, \"size_bytes\": 246824,"
        "   \"on_frontier\": true}],"
        " \"skipped\": [\"profile (module 14)\"], \"goal_met\": true}";
    FILE *f = fopen(doc, "w");
    fputs(good, f);
    fclose(f);
    assert_int_equal(tt_schema_validate_files(schema, doc, err, sizeof err), 0);
    /* a scenario MLPerf does not have */
    f = fopen(doc, "w");
    const char *p = strstr(good, "\"Offline\"");
    fprintf(f, "%.*s\"Batch\"%s", (int)(p - good), good, p + strlen("\"Offline\""));
    fclose(f);
    assert_int_equal(tt_schema_validate_files(schema, doc, err, sizeof err), -1);
    assert_non_null(strstr(err, "$.results[0].scenario"));
    assert_non_null(strstr(err, doc));
    assert_int_equal(tt_schema_validate_files("/nonexistent.schema.json", doc, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent.schema.json"));
    remove(doc);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pareto_dominance),
        cmocka_unit_test(test_pareto_files),
        cmocka_unit_test(test_schema_keywords),
        cmocka_unit_test(test_shipped_submission_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
