/* test_parsers.c - malformed outside input to the plan and registry readers: every reproducer of a
 * parser fault kept as a regression test. Each input must be refused with a message naming the
 * file and line (never a hang, crash, leak or half-applied registry). Run under ASan/UBSan in the
 * sanitizer pass, which also checks that failed parses free everything libfyaml allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlsysim/mlsysim.h"
#include "mlsysim/yaml_text.h"
#include "ms_test.h"

static ms_plan plan;

/* Loads `len` bytes as a plan and as a registry file; both must refuse them, naming `want`. */
static void expect_refused(const char *bytes, size_t len, const char *want)
{
    char err[1024] = "";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", bytes, len, &plan, err, sizeof err), MS_ERR_INPUT);
    if (!strstr(err, want)) fprintf(stderr, "plan error: %s (want %s)\n", err, want);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "in.yaml:"));
    err[0] = 0;
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", bytes, len, err, sizeof err), MS_ERR_INPUT);
    if (!strstr(err, want)) fprintf(stderr, "registry error: %s (want %s)\n", err, want);
    assert_non_null(strstr(err, want));
}

/* "%\xf4": a directive line followed by invalid UTF-8 loops forever inside libfyaml 0.7.12. */
static void test_invalid_utf8_is_refused_before_parsing(void **state)
{
    (void)state;
    expect_refused("%\xf4", 2, "invalid UTF-8");
    expect_refused("version: \"1.0\"\nname: \xc3\x28\n", 24, "in.yaml:2:7: invalid UTF-8");
    expect_refused("a: \xed\xa0\x80\n", 7, "invalid UTF-8");          /* a UTF-16 surrogate */
    expect_refused("a: \xc0\xaf\n", 6, "invalid UTF-8");              /* an overlong '/' */
    expect_refused("a: \xf4\x90\x80\x80\n", 8, "invalid UTF-8");      /* past U+10FFFF */
    expect_refused("a: \xe2\x82", 5, "invalid UTF-8");                /* cut short */
    expect_refused("a: b\0c\n", 7, "NUL byte");
    /* well-formed multi-byte text still loads */
    const char *y = "version: \"1.0\"\nname: \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n"
                    "workload: {model: Llama3_8B}\nhardware: {accelerator: H100}\n";
    char err[512] = "";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_OK);
    assert_string_equal(plan.name, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_size_is_bounded(void **state)
{
    (void)state;
    size_t n = ((size_t)8 << 20) + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    expect_refused(big, n, "larger than");
    free(big);
}

/* Syntax errors of every kind fail cleanly (the sanitizer pass checks nothing leaks). */
static void test_syntax_errors_free_everything(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a: [1, 2\n", "a: {b: c\n", "key: \"unterminated\n", "- a\nb: c\n", "\t- x\n",
        "%YAML 1.1\n%YAML 1.1\n---\na\n", "{a: 1, a: 2}\n", "\"\\u", "'", "%", "%\xc3\xa9",
        "%YAML 2.0\n---\na\n", "a: |\n  x\n b\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", bad[i], strlen(bad[i]), &plan, err, sizeof err),
                         MS_ERR_INPUT);
        assert_non_null(strstr(err, "in.yaml:"));
        assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", bad[i], strlen(bad[i]), err, sizeof err),
                         MS_ERR_INPUT);
    }
    char deep[300];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    char err[512];
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", deep, strlen(deep), &plan, err, sizeof err), MS_ERR_INPUT);
}

/* The helpers StaffML's vault shares (mlsysim/yaml_text.h): a syntax error's place and reason
 * without libfyaml's prefixes, explicit '?' keys refused, the first bad UTF-8 byte, the misread ''
 * escape. */
static void test_yaml_text_helpers(void **state)
{
    (void)state;
    ms_yaml_error e;
    const char *open_list = "a: 1\nb: [1, 2\n";
    assert_null(ms_yaml_build(open_list, strlen(open_list), &e));
    assert_true(e.line >= 2);
    assert_true(e.col > 0);
    assert_non_null(e.reason);
    assert_true(e.reason[0] != 0);
    assert_null(strstr(e.reason, "error: "));
    assert_null(strstr(e.reason, ">:"));
    assert_true(e.reason[0] < '0' || e.reason[0] > '9'); /* the place is not left in the reason */
    /* an explicit '?' key is refused before libfyaml 0.7.12 sees it (it crashes on "? a: \t:"), at
     * the line's start or after '- ' entries, but a block scalar's text may begin with '? ' */
    static const struct { const char *text; int line; } keys[] = {
        {"? a: \t:", 1}, {"x:\n- ? a: \t:\n", 2}, {"a: 1\n  ?\n", 2}, {"a: |\n  ? text\n\n  more\nb: 1\n", 0},
        {"a: >-\n  ? text\n? b: 1\n", 3}, {"q: \"why?\"\nr: ?x\n", 0}, {"- |2\n  ? text\n", 0},
        {": ? a: \t:", 1}, {"- : ? a: \t:", 1}, {"a: b ? c\n", 0}, {":x ?\n", 0},
        {"--- &a : ? :\n", 1}, {"x: 1\n!!map ?\n", 2}, {"q: Why? Because\n", 0}, {"*a ? x\n", 1},
        {"-x: 1 ?\n", 0}, {"---x ?\n", 0}, {"a:\t: ? a:\t:", 1}, {"q: [1, ? x]\n", 1}, {"a: 1 # ? no\n", 0},
        {"a: 'it ? s' # ? c\n", 0}, {"a: \"x\\\" ? \" # ? y\n", 0}, {"a: b # c\n? d\n", 2},
        {"a: b\r? c: 1\r", 2}, {"a: b\r\n? c: 1\r\n", 2}, {"a: |\r\n  ? t\r\nb: 1\r\n", 0},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        assert_int_equal(ms_yaml_explicit_key_line(keys[k].text, strlen(keys[k].text)), keys[k].line);
        struct fy_document *q = ms_yaml_build(keys[k].text, strlen(keys[k].text), &e);
        if (keys[k].line) {
            assert_null(q);
            assert_int_equal(e.line, keys[k].line);
            assert_non_null(strstr(e.reason, "explicit mapping key"));
        } else {
            assert_non_null(q);
            fy_document_destroy(q);
        }
    }
    const char *ok = "a: 'x'\nb: 'it''s'\n";
    struct fy_document *d = ms_yaml_build(ok, strlen(ok), &e);
    assert_non_null(d);
    struct fy_node *root = fy_document_root(d);
    assert_int_equal(ms_yaml_quote_escape(fy_node_mapping_lookup_by_string(root, "a", -1), ok, strlen(ok)), 0);
    assert_int_equal(ms_yaml_quote_escape(fy_node_mapping_lookup_by_string(root, "b", -1), ok, strlen(ok)), 1);
    assert_int_equal(ms_yaml_quote_escape(root, ok, strlen(ok)), 0); /* not a scalar */
    fy_document_destroy(d);
    assert_int_equal(ms_yaml_utf8_invalid_at("ab\xc3\xa9", 4), 4);
    assert_int_equal(ms_yaml_utf8_invalid_at("ab\xc3", 3), 2);
    assert_int_equal(ms_yaml_utf8_invalid_at("a\0b", 3), 1);
    assert_int_equal(ms_yaml_line_at("a\nb\nc", 4), 3);
}

/* nodes x per_node was an int product: 65536 x 65536 wrapped to a count of 1 (well, 0 -> 1). */
static void test_node_product_in_64_bits(void **state)
{
    (void)state;
    const char *y = "version: \"1.0\"\nname: n\nworkload: {model: Llama3_8B}\n"
                    "hardware: {accelerator: H100, nodes: 65536, per_node: 65536}\n";
    char err[512] = "";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "in.yaml:4: hardware.nodes"));
    assert_non_null(strstr(err, "4294967296"));
    y = "version: \"1.0\"\nname: n\nworkload: {model: Llama3_8B}\n"
        "hardware: {accelerator: H100, nodes: 1000, per_node: 8}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_OK);
    assert_int_equal(plan.count, 8000);
}

/* A quantity whose value overflows to infinity is refused, not stored as inf. */
static void test_overflowing_quantities(void **state)
{
    (void)state;
    double v = 0;
    char err[256];
    assert_int_equal(ms_parse_quantity("1e300 EFLOPS", "flop/s", &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(ms_parse_quantity("1e999 B", "bytes", &v, err, sizeof err), -1);
    assert_int_equal(ms_parse_quantity("1.7e308 TB/s", "bytes/s", &v, err, sizeof err), -1);
    assert_int_equal(ms_parse_quantity("1e300 B", "bytes", &v, err, sizeof err), 0);
    assert_true(isfinite(v));
    const char *y = "hardware:\n  - {name: Big, source: test, flops: {fp16: 1e300 EFLOPS}, memory: 80 GB, memory_bw: 3 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "in.yaml:2: hardware.Big.flops.fp16"));
    assert_null(ms_registry_hardware(reg, "Big"));
    y = "version: \"1.0\"\nname: n\nworkload: {model: Llama3_8B}\n"
        "hardware: {accelerator: H100, intra_bw: 1e300 PB/s}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "hardware.intra_bw"));
}

/* A registry file applies whole or not at all: a bad override of H100 leaves H100 as it was, and
 * entries before the bad one in the same file are not added either. */
static void test_registry_load_is_all_or_nothing(void **state)
{
    (void)state;
    const ms_hardware *h = ms_registry_hardware(reg, "H100");
    assert_non_null(h);
    ms_hardware before = *h;
    size_t nh = ms_registry_hardware_count(reg), nm = ms_registry_model_count(reg);
    const char *y =
        "hardware:\n"
        "  - {name: NewChip, source: test, flops: {fp16: 100 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n"
        "  - {name: H100, source: test, flops: {fp16: 989 TFLOPS}, memory: 80 GB, memory_bw: fast}\n"
        "models:\n"
        "  - {name: NewNet, source: test, kind: mlp, params: 1000, flops: 2000 FLOP}\n";
    char err[512] = "";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "in.yaml:3: hardware.H100.memory_bw"));
    h = ms_registry_hardware(reg, "H100");
    assert_non_null(h);
    assert_memory_equal(h, &before, sizeof before);
    assert_true(h->mem_bw_bytes_per_s > 3e12);
    assert_null(ms_registry_hardware(reg, "NewChip"));
    assert_null(ms_registry_model(reg, "NewNet"));
    assert_int_equal(ms_registry_hardware_count(reg), nh);
    assert_int_equal(ms_registry_model_count(reg), nm);
    /* the same file without the bad field applies whole */
    y = "hardware:\n"
        "  - {name: NewChip, source: test, flops: {fp16: 100 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_OK);
    assert_non_null(ms_registry_hardware(reg, "NewChip"));
    assert_int_equal(ms_registry_hardware_count(reg), nh + 1);
}

/* Registry strictness: a quantity needs its unit; a transformer's published parameter count must
 * agree with its architecture; YAML aliases resolve (and cannot blow up). */
static void test_registry_strictness(void **state)
{
    (void)state;
    char err[512] = "";
    const char *y = "hardware:\n  - {name: Tiny1, source: test, flops: {fp16: 1 TFLOPS}, memory: 16, memory_bw: 1 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "in.yaml:2: hardware.Tiny1.memory: '16' needs a unit"));
    assert_null(ms_registry_hardware(reg, "Tiny1"));
    y = "hardware:\n  - {name: Tiny1, source: test, flops: {fp16: 1 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s, sram: 0}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_OK);
    /* aliases: a list of at most 6 names, each with a letter or digit; then found by any of them */
    static const struct { const char *aliases, *want; } al[] = {
        {"Tiny One", "hardware.Tiny2.aliases: a list of other names"},
        {"[a, b, c, d, e, f, g]", "hardware.Tiny2.aliases: 7 names (at most 6)"},
        {"[Tiny Two, '-_']", "hardware.Tiny2.aliases[1]: name '-_' is empty (a name needs a letter or digit)"},
        {"[\"Tiny\\tTwo\"]", "hardware.Tiny2.aliases[0]: a name may not hold control characters (byte 0x09)"},
        {"[[x]]", "hardware.Tiny2.aliases[0]"},
    };
    char yy[512];
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++) {
        snprintf(yy, sizeof yy, "hardware:\n  - {name: Tiny2, source: test, flops: {fp16: 1 TFLOPS}, memory: 16 GB, "
                 "memory_bw: 1 TB/s, aliases: %s}\n", al[i].aliases);
        assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", yy, strlen(yy), err, sizeof err), MS_ERR_INPUT);
        if (!strstr(err, al[i].want)) printf("aliases %zu: %s\n", i, err);
        assert_non_null(strstr(err, al[i].want));
        assert_null(ms_registry_hardware(reg, "Tiny2"));
    }
    y = "hardware:\n  - {name: Tiny2, source: test, flops: {fp16: 1 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s,"
        " aliases: [Vendor Tiny 2 16GB, T2-16GB]}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_OK);
    assert_non_null(ms_registry_hardware(reg, "Tiny2"));
    assert_ptr_equal(ms_registry_hardware(reg, "t2 16gb"), ms_registry_hardware(reg, "Tiny2"));
    assert_ptr_equal(ms_registry_hardware(reg, "NVIDIA T2-16GB"), ms_registry_hardware(reg, "Tiny2"));   /* a maker's word before it */
    /* a published count 8000x off the architecture (GPT-2 small's arch has 124M) */
    y = "models:\n  - {name: Liar, source: test, kind: transformer, params: 1e12,\n"
        "     arch: {layers: 12, hidden: 768, heads: 12, ffn: 3072, vocab: 50257, max_pos: 1024, bias: true, layernorm: true, tied_embeddings: true}}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "models.Liar: params 1e+12 disagrees"));
    assert_null(ms_registry_model(reg, "Liar"));
    y = "models:\n  - {name: Honest, source: test, kind: transformer, params: 124439808,\n"
        "     arch: {layers: 12, hidden: 768, heads: 12, ffn: 3072, vocab: 50257, max_pos: 1024, bias: true, layernorm: true, tied_embeddings: true}}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_OK);
    /* aliases resolve into copies of their anchors */
    y = "version: \"1.0\"\nname: al\nworkload: {model: Llama3_8B, batch_size: &n 4}\n"
        "hardware: {accelerator: H100, count: *n, per_node: *n}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_OK);
    assert_int_equal(plan.count, 4);
    assert_int_equal(plan.batch_size, 4);
    y = "a: *nope\n";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "names no anchor"));
    /* an alias name that libfyaml 0.7.12 would read as a path (and overrun its buffer on) */
    y = "- */666666666666666666666666666666666666666666666666666666666666666666666666666666666666666\n";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "alias name may hold only"));
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    /* "billion laughs": 10 levels of 10 aliases would be 10^10 nodes */
    char lol[2048];
    size_t n = (size_t)snprintf(lol, sizeof lol, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
        n += (size_t)snprintf(lol + n, sizeof lol - n, "a%d: &a%d [", i, i);
        for (int k = 0; k < 10; k++) n += (size_t)snprintf(lol + n, sizeof lol - n, "%s*a%d", k ? ", " : "", i - 1);
        n += (size_t)snprintf(lol + n, sizeof lol - n, "]\n");
    }
    assert_true(n < sizeof lol);
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", lol, n, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "aliases expand"));
}

/* A NUL character spelled as an escape ("\0", "\x00") in a key or value: C strings would cut
 * "H100\0junk" to "H100" and accept it. Refused with the line, in plans and registries. */
static void test_nul_escape_is_refused(void **state)
{
    (void)state;
    const char *y = "version: \"1.0\"\nname: n\nworkload: {model: Llama3_8B}\nhardware: {accelerator: \"H100\\0junk\"}\n";
    expect_refused(y, strlen(y), "in.yaml:4: a key or value holds a NUL character");
    y = "version: \"1.0\"\nname: n\nworkload: {model: Llama3_8B}\nhardware: {\"count\\x00\": 8, accelerator: H100}\n";
    expect_refused(y, strlen(y), "NUL character");
    y = "hardware:\n  - {name: \"Chip\\0X\", source: test, flops: {fp16: 1 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n";
    expect_refused(y, strlen(y), "in.yaml:2: a key or value holds a NUL character");
    /* through an alias too */
    y = "version: \"1.0\"\nname: &a \"n\\0\"\nworkload: {model: *a}\n";
    expect_refused(y, strlen(y), "NUL character");
}

/* A single-quoted string with the '' escape: libfyaml 0.7.12 misreads some (' ''''''a' as " ''''")
 * and leaks a buffer doing it (found by fuzzing the plan reader). Refused with the line, before
 * its text is read; an empty '' and double-quoted text are fine. */
static void test_single_quote_escape_is_refused(void **state)
{
    (void)state;
    const char *y = ": :\n'''''''''''''''''''''''''''''': :\n";
    expect_refused(y, strlen(y), "in.yaml:2: a single-quoted string holds the '' escape");
    y = "version: \"1.0\"\nname: 'it''s'\nworkload: {model: Llama3_8B}\nhardware: {accelerator: H100}\n";
    expect_refused(y, strlen(y), "in.yaml:2: a single-quoted string holds the '' escape");
    char err[512] = "";
    y = "version: '1.0'\nname: \"it's\"\nworkload: {model: Llama3_8B}\nhardware: {accelerator: 'H100'}\n"
        "ops: {region: ''}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "in.yaml:5: ops.region"));   /* '' read as the empty name, not refused as an escape */
    y = "version: '1.0'\nname: \"it's\"\nworkload: {model: Llama3_8B}\nhardware: {accelerator: 'H100'}\n";
    assert_int_equal(ms_plan_load_buffer(reg, "in.yaml", y, strlen(y), &plan, err, sizeof err), MS_OK);
    assert_string_equal(plan.name, "it's");
}

/* Registry names: empty (or only the separators names ignore) and control characters are refused;
 * one file names each entry of a section once (a later file may still override). */
static void test_registry_names(void **state)
{
    (void)state;
    char err[512] = "";
    size_t nh = ms_registry_hardware_count(reg);
    const char *y = "hardware:\n  - {name: \"\", source: test, flops: {fp16: 1 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "in.yaml:2: hardware[0]: name '' is empty"));
    y = "hardware:\n  - {name: \"_-\", source: test, flops: {fp16: 1 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "is empty"));
    y = "grids:\n  - {name: \"Q\\tC\", source: test, carbon_g_per_kwh: 30}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "control characters"));
    y = "hardware:\n"
        "  - {name: Twin-1, source: a, flops: {fp16: 1 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n"
        "  - {name: twin_1, source: b, flops: {fp16: 2 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", y, strlen(y), err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "in.yaml:3: hardware.twin_1: 'twin_1' is given twice in this file (also at line 2"));
    assert_null(ms_registry_hardware(reg, "Twin-1"));
    assert_int_equal(ms_registry_hardware_count(reg), nh);
    /* the same name in a later file overrides, as before */
    y = "hardware:\n  - {name: Twin-1, source: a, flops: {fp16: 1 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "a.yaml", y, strlen(y), err, sizeof err), MS_OK);
    y = "hardware:\n  - {name: twin_1, source: b, flops: {fp16: 2 TFLOPS}, memory: 16 GB, memory_bw: 1 TB/s}\n";
    assert_int_equal(ms_registry_load_buffer(reg, "b.yaml", y, strlen(y), err, sizeof err), MS_OK);
    assert_int_equal(ms_registry_hardware_count(reg), nh + 1);
    assert_true(ms_registry_hardware(reg, "Twin-1")->flops[MS_FP16] == 2e12);
    /* more entries in one section of one file than the bound: refused before any is read */
    size_t cap = (size_t)(MS_REGISTRY_MAX_FILE_ENTRIES + 1) * 4 + 16, n = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    n += (size_t)snprintf(big + n, cap - n, "grids:\n");
    for (int i = 0; i <= MS_REGISTRY_MAX_FILE_ENTRIES; i++) n += (size_t)snprintf(big + n, cap - n, "- 1\n");
    assert_int_equal(ms_registry_load_buffer(reg, "in.yaml", big, n, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "entries in one file (at most"));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_utf8_is_refused_before_parsing),
        cmocka_unit_test(test_size_is_bounded),
        cmocka_unit_test(test_syntax_errors_free_everything),
        cmocka_unit_test(test_yaml_text_helpers),
        cmocka_unit_test(test_node_product_in_64_bits),
        cmocka_unit_test(test_overflowing_quantities),
        cmocka_unit_test(test_registry_load_is_all_or_nothing),
        cmocka_unit_test(test_registry_strictness),
        cmocka_unit_test(test_nul_escape_is_refused),
        cmocka_unit_test(test_registry_names),
        cmocka_unit_test(test_single_quote_escape_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
