/* test_serving_validation.c - the published serving measurements (mlsysim/validation/serving.csv)
 * predicted through the engine's inference plan: every row is held out (nothing is fitted), the
 * errors are the ones documented in mlsysim/validation/README.md, and malformed tables are refused
 * naming file, line and column. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mlsysim/mlsysim.h"
#include "mlsysim/engine.h"

#define MEDIAN_TOK_MAX 0.23  /* measured 22.7 % */
#define MEDIAN_TTFT_MAX 0.33 /* measured 32.0 % */

static void test_published_serving(void **s)
{
    (void)s;
    char err[1024], path[1024];
    ms_registry *reg = ms_registry_new(err, sizeof err);
    assert_non_null(reg);
    snprintf(path, sizeof path, "%s/mlsysim/validation/serving.csv", MLSB_SOURCE_DIR);
    ms_serving_validation v;
    assert_int_equal(ms_serving_validation_run(reg, path, &v, err, sizeof err), MS_OK);
    int tok = 0, ttft = 0;
    for (int i = 0; i < v.n; i++) {
        const ms_serving_row *r = &v.rows[i];
        printf("%-26s %-7s measured %10.4g predicted %10.4g error %+6.1f%% (TTFT %.4g s, ITL %.4g s)\n", r->id,
               r->metric ? "TTFT" : "tok/s", r->measured, r->predicted, 100 * r->error, r->ttft_s, r->itl_s);
        assert_true(r->heldout);                     /* the default η, chosen on none of them */
        assert_true(r->predicted > 0 && isfinite(r->predicted));
        assert_true(fabs(r->efficiency - ms_default_efficiency(MS_MODE_INFERENCE)) < 1e-12);
        if (r->metric == MS_SERVE_TOKENS_PER_S_PER_GPU) {
            tok++;
            /* the prediction is the run it describes: batch · output over TTFT + (output-1) ITL */
            double run = r->ttft_s + (r->output_len - 1) * r->itl_s;
            assert_true(fabs(r->predicted - r->batch * (double)r->output_len / run / r->tp) <= 1e-9 * r->predicted);
        } else {
            ttft++;
            assert_true(fabs(r->predicted - r->ttft_s) <= 1e-12);
        }
    }
    assert_true(tok >= 8 && ttft >= 8);
    const ms_serving_stats *st = &v.stats[MS_SERVE_TOKENS_PER_S_PER_GPU][1], *sl = &v.stats[MS_SERVE_TTFT_S][1];
    printf("tokens/s per GPU: %d rows, median %.1f%%, max %.1f%%\n", st->n, 100 * st->median_abs_error, 100 * st->max_abs_error);
    printf("time to first token: %d rows, median %.1f%%, max %.1f%%\n", sl->n, 100 * sl->median_abs_error, 100 * sl->max_abs_error);
    assert_int_equal(st->n, tok);
    assert_int_equal(sl->n, ttft);
    /* the documented figures (validation/README.md), to the nearest percent above */
    assert_true(st->median_abs_error <= MEDIAN_TOK_MAX);
    assert_true(sl->median_abs_error <= MEDIAN_TTFT_MAX);
    ms_serving_validation_free(&v);
    ms_registry_free(reg);
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_bad_serving_tables(void **s)
{
    (void)s;
    char err[1024];
    ms_registry *reg = ms_registry_new(err, sizeof err);
    assert_non_null(reg);
    char dir[] = "/tmp/ms_servtab_XXXXXX", path[256], text[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/serving.csv", dir);
    const char *hdr = "id,model,hardware,precision,tp,batch,input_len,output_len,metric,measured,split,citation\n";
    ms_serving_validation v;
    struct { const char *row, *want; } bad[] = {
        {"a,NoSuchModel,H100,fp8,1,1,128,1,ttft_s,0.007,heldout,c", ":2: column model"},
        {"a,ResNet50,H100,fp8,1,1,128,1,ttft_s,0.007,heldout,c", ":2: column model"},
        {"a,Llama2_7B,NoGPU,fp8,1,1,128,1,ttft_s,0.007,heldout,c", ":2: column hardware"},
        {"a,Llama2_7B,H100,fp7,1,1,128,1,ttft_s,0.007,heldout,c", ":2: column precision"},
        {"a,Llama2_7B,H100,fp8,3,1,128,1,ttft_s,0.007,heldout,c", ":2: column tp"},
        {"a,Llama2_7B,H100,fp8,1,0,128,1,ttft_s,0.007,heldout,c", ":2: column batch"},
        {"a,Llama2_7B,H100,fp8,1,1,1e300,1,ttft_s,0.007,heldout,c", ":2: column input_len"},
        {"a,Llama2_7B,H100,fp8,1,1,128,1,p99_s,0.007,heldout,c", ":2: column metric"},
        {"a,Llama2_7B,H100,fp8,1,1,128,1,ttft_s,-1,heldout,c", ":2: column measured"},
        {"a,Llama2_7B,H100,fp8,1,1,128,1,ttft_s,0.007,fitted,c", ":2: column split"},
        {"a,Llama2_7B,H100,fp8,1,1,128,1,ttft_s,0.007,heldout", ":2: expected 12 columns"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%s%s\n", hdr, bad[i].row);
        write_file(path, text);
        assert_int_equal(ms_serving_validation_run(reg, path, &v, err, sizeof err), MS_ERR_INPUT);
        if (!strstr(err, bad[i].want)) printf("case %zu: %s\n", i, err);
        assert_non_null(strstr(err, bad[i].want));
        assert_null(v.rows);
    }
    write_file(path, "id,model\n");
    assert_int_equal(ms_serving_validation_run(reg, path, &v, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, ":1: header lacks column"));
    assert_int_equal(ms_serving_validation_run(reg, "/nonexistent/serving.csv", &v, err, sizeof err), MS_ERR_INPUT);
    assert_non_null(strstr(err, "/nonexistent/serving.csv"));
    unlink(path);
    rmdir(dir);
    ms_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_serving),
        cmocka_unit_test(test_bad_serving_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
