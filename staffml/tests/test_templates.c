/* test_templates.c - every parametric template, for several draws, against an independent hand
 * computation from the registry figures the draw names (formulas written out here, not calls
 * into libmlsysim's physics). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlsysim/registry.h"
#include "staffml/templates.h"

static ms_registry *reg;

static double kv_token_bytes(const ms_model *m, double bytes)
{
    const ms_arch *a = &m->arch;
    double hd = a->head_dim > 0 ? a->head_dim : (double)a->hidden / a->heads;
    return 2.0 * a->layers * a->kv_heads * hd * bytes;
}

static double peak16(const ms_hardware *h) { return h->flops[MS_FP16] > 0 ? h->flops[MS_FP16] : h->flops[MS_BF16]; }

/* Returns the hand-computed answer in the template's unit, or NAN when the id is unknown. */
static double hand(const sml_instance *in)
{
    const char *id = in->template_id;
    const ms_model *m = in->model[0] ? ms_registry_model(reg, in->model) : NULL;
    const ms_hardware *h = in->hw[0] ? ms_registry_hardware(reg, in->hw) : NULL;
    const ms_node *nd = in->node[0] ? ms_registry_node(reg, in->node) : NULL;
#define X(name) sml_instance_x(in, name)
    if (!strcmp(id, "tpl-kv-per-token")) return kv_token_bytes(m, X("bytes")) / 1024;
    if (!strcmp(id, "tpl-kv-batch")) return kv_token_bytes(m, 2) * X("seq") * X("batch") / 1e9;
    if (!strcmp(id, "tpl-weights")) return m->params * X("bytes") / 1e9;
    if (!strcmp(id, "tpl-train-adam")) return 16.0 * m->params / 1e9;
    if (!strcmp(id, "tpl-zero")) {
        double n = X("dp"), z = X("zero"), P = m->params;
        return (2 * P / (z >= 3 ? n : 1) + 2 * P / (z >= 2 ? n : 1) + 12 * P / n) / 1e9;
    }
    if (!strcmp(id, "tpl-max-batch"))
        return floor((h->mem_bytes - m->params * X("wbytes")) / (kv_token_bytes(m, 2) * X("seq")));
    if (!strcmp(id, "tpl-checkpoint-size")) return 14.0 * m->params / 1e9;
    if (!strcmp(id, "tpl-ridge")) return peak16(h) / h->mem_bw_bytes_per_s;
    if (!strcmp(id, "tpl-attainable")) return fmin(peak16(h), X("intensity") * h->mem_bw_bytes_per_s) / 1e12;
    if (!strcmp(id, "tpl-prefill-flops")) {
        const ms_arch *a = &m->arch;
        double hd = a->head_dim > 0 ? a->head_dim : (double)a->hidden / a->heads, S = X("seq");
        return (2 * m->params_matmul * S + S * (S + 1) / 2 * 4 * a->heads * hd * a->layers) / 1e12;
    }
    if (!strcmp(id, "tpl-train-flops")) return 6 * m->params * X("tokens");
    if (!strcmp(id, "tpl-train-days"))
        return 6 * m->params * X("tokens") / (X("gpus") * peak16(h) * X("mfu")) / 86400;
    if (!strcmp(id, "tpl-chinchilla-tokens")) return 20 * sqrt(X("flops") / 120);
    if (!strcmp(id, "tpl-chinchilla-params")) return sqrt(X("flops") / 120);
    if (!strcmp(id, "tpl-decode-ms")) return m->params * X("bytes") / h->mem_bw_bytes_per_s * 1e3;
    if (!strcmp(id, "tpl-decode-tps") || !strcmp(id, "tpl-edge-decode") || !strcmp(id, "tpl-mobile-decode"))
        return h->mem_bw_bytes_per_s / (m->params * X("bytes"));
    if (!strcmp(id, "tpl-itl-kv"))
        return (2 * m->params + kv_token_bytes(m, 2) * X("seq") * X("batch")) / h->mem_bw_bytes_per_s * 1e3;
    if (!strcmp(id, "tpl-ttft")) {
        const ms_arch *a = &m->arch;
        double hd = a->head_dim > 0 ? a->head_dim : (double)a->hidden / a->heads, S = X("seq");
        double f = 2 * m->params_matmul * S + S * (S + 1) / 2 * 4 * a->heads * hd * a->layers;
        return f / (peak16(h) * X("mfu")) * 1e3;
    }
    if (!strncmp(id, "tpl-allreduce", 13) || !strcmp(id, "tpl-reduce-scatter") || !strcmp(id, "tpl-all-gather")) {
        double n = X("n"), M = 2 * m->params, bw = nd->intra_bw_bytes_per_s, al = X("alpha");
        if (!strcmp(id, "tpl-allreduce-ring")) return (2 * (n - 1) / n * M / bw + 2 * (n - 1) * al) * 1e3;
        if (!strcmp(id, "tpl-allreduce-tree")) return 2 * ceil(log2(n)) * (al + M / bw) * 1e3;
        return ((n - 1) / n * M / bw + (n - 1) * al) * 1e3;
    }
    if (!strcmp(id, "tpl-ring-bytes")) return 2 * (X("n") - 1) / X("n") * 2 * m->params / 1e9;
    if (!strcmp(id, "tpl-cluster-mtbf")) return X("mtbf_h") / X("gpus");
    if (!strcmp(id, "tpl-failure-prob")) return 100 * (1 - exp(-X("hours") / (X("mtbf_h") / X("gpus"))));
    if (!strcmp(id, "tpl-young-daly")) {
        double delta = 14 * m->params / X("bw"), mtbf = 50000.0 / X("gpus") * 3600;
        return sqrt(2 * delta * mtbf) / 60;
    }
    if (!strcmp(id, "tpl-checkpoint-write")) return 14 * m->params / X("bw");
    if (!strcmp(id, "tpl-mcu-weights")) return m->params / 1024;
    if (!strcmp(id, "tpl-mcu-latency") || !strcmp(id, "tpl-mcu-energy")) {
        double t = m->fwd_flops / (h->flops[MS_INT8] * 0.5) + h->dispatch_s;
        return !strcmp(id, "tpl-mcu-latency") ? t * 1e3 : h->tdp_w * t * 1e3;
    }
    if (!strcmp(id, "tpl-speculative")) {
        double a = X("alpha"), k = X("k");
        return (1 - pow(a, k + 1)) / (1 - a);
    }
    if (!strcmp(id, "tpl-quantize")) return m->params * X("bytes") / 1e9;
    if (!strcmp(id, "tpl-mmc-util")) return 100 * X("lambda") * X("service_s") / X("c");
    if (!strcmp(id, "tpl-mmc-wait")) {
        /* Erlang C by its textbook sum */
        double lam = X("lambda"), mu = 1 / X("service_s"), c = X("c"), A = lam / mu, rho = A / c;
        double sum = 0, term = 1;
        for (int k = 0; k < (int)c; k++) {
            if (k) term *= A / k;
            sum += term;
        }
        double last = term * A / c;   /* A^c / c! */
        double C = last / (1 - rho) / (sum + last / (1 - rho));
        return C / (c * mu - lam) * 1e3;
    }
    if (!strcmp(id, "tpl-edge-energy-token")) return h->tdp_w * m->params * 0.5 / h->mem_bw_bytes_per_s;
    if (!strcmp(id, "tpl-carbon")) {
        const ms_grid *g = ms_registry_grid_at(reg, (size_t)X("grid"));
        double pue = g->pue > 0 ? g->pue : 1;
        return X("gpus") * h->tdp_w * X("days") * 24 / 1000 * pue * g->carbon_g_per_kwh / 1e6;
    }
#undef X
    return NAN;
}

static void test_every_template_by_hand(void **state)
{
    (void)state;
    assert_true(sml_template_count() >= 30);
    for (size_t i = 0; i < sml_template_count(); i++) {
        const sml_template *t = sml_template_at(i);
        for (uint64_t seed = 1; seed <= 4; seed++) {
            sml_instance in;
            char err[256];
            assert_int_equal(sml_template_generate(t, reg, seed * 7919, &in, err, sizeof err), 0);
            double want = hand(&in);
            if (!isfinite(want) || fabs(in.value - want) > 1e-9 * fabs(want) + 1e-12) {
                fprintf(stderr, "%s seed %llu: template %.10g, hand %.10g (%s)\n", t->id,
                        (unsigned long long)seed, in.value, want, in.question);
                fail();
            }
            assert_true(in.value > 0);
            assert_true(sml_unit_known(in.unit));
            assert_true(strlen(in.question) > 20 && strlen(in.napkin) > 10);
        }
        assert_null(sml_template_find("no-such-template"));
        assert_ptr_equal(sml_template_find(t->id), t);
    }
}

static void test_seed_reproducible(void **state)
{
    (void)state;
    const sml_template *t = sml_template_find("tpl-kv-batch");
    assert_non_null(t);
    sml_instance a, b, c;
    char err[128];
    assert_int_equal(sml_template_generate(t, reg, 42, &a, err, sizeof err), 0);
    assert_int_equal(sml_template_generate(t, reg, 42, &b, err, sizeof err), 0);
    assert_string_equal(a.question, b.question);
    assert_float_equal(a.value, b.value, 0);
    /* different seeds eventually give different draws */
    int differ = 0;
    for (uint64_t s = 1; s < 20 && !differ; s++) {
        assert_int_equal(sml_template_generate(t, reg, s, &c, err, sizeof err), 0);
        differ = strcmp(c.question, a.question) != 0;
    }
    assert_true(differ);
}

/* A worked example checked against numbers written down by hand: Llama 3 8B (32 layers, 8 KV
 * heads of 128 dims) in fp16 stores 2 x 32 x 8 x 128 x 2 B = 131,072 B = 128 KiB per token. */
static void test_kv_worked_example(void **state)
{
    (void)state;
    const ms_model *m = ms_registry_model(reg, "Llama3_8B");
    assert_non_null(m);
    assert_float_equal(kv_token_bytes(m, 2) / 1024, 128.0, 1e-9);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    reg = ms_registry_new(err, sizeof err);
    return reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ms_registry_free(reg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_template_by_hand),
        cmocka_unit_test(test_seed_reproducible),
        cmocka_unit_test(test_kv_worked_example),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
