/* test_session.c - the drill deck (teaching order) and the mock-interview plan on the shipped vault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "staffml/session.h"
#include "staffml/templates.h"

static sml_vault vault;

static void test_deck_order(void **state)
{
    (void)state;
    sml_deck d;
    assert_int_equal(sml_deck_build(&vault, 1, &d), 0);
    assert_int_equal(d.n, vault.n + sml_template_count());
    for (size_t k = 1; k < d.n; k++) {
        assert_true(d.meta[3 * k + 2] >= d.meta[3 * (k - 1) + 2]);   /* levels never go down */
        /* at one level, a template never comes before a question */
        if (d.meta[3 * k + 2] == d.meta[3 * (k - 1) + 2] && sml_template_find(d.ids[k - 1]))
            assert_non_null(sml_template_find(d.ids[k]));
    }
    const sml_question *q = sml_vault_find(&vault, d.ids[0]);
    assert_non_null(q);
    assert_int_equal(q->level, 1);
    assert_int_equal(d.meta[0], (int)q->track);
    assert_int_equal(d.meta[1], (int)q->area);
    sml_deck_free(&d);
    assert_int_equal(sml_deck_build(&vault, 0, &d), 0);
    assert_int_equal(d.n, vault.n);
    sml_deck_free(&d);
}

static void test_mock_plan(void **state)
{
    (void)state;
    const sml_question *plan[13];
    sml_filter f = SML_FILTER_ANY;
    size_t n = sml_mock_plan(&vault, &f, 9, 12345, plan);
    assert_int_equal(n, 9);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            assert_true(plan[i] != plan[j]);
            assert_true(plan[i]->area != plan[j]->area);   /* 9 <= 13 areas: all different */
        }
    assert_true(plan[0]->level <= 3);
    assert_true(plan[n - 1]->level >= 5);
    f.track = SML_TRACK_TINYML;
    n = sml_mock_plan(&vault, &f, 13, 7, plan);
    assert_int_equal(n, 13);
    for (size_t i = 0; i < n; i++) assert_int_equal(plan[i]->track, SML_TRACK_TINYML);
    /* the same seed gives the same interview */
    const sml_question *again[13];
    assert_int_equal(sml_mock_plan(&vault, &f, 13, 7, again), 13);
    assert_memory_equal(plan, again, sizeof plan);
    f.area = SML_AREA_POWER;
    n = sml_mock_plan(&vault, &f, 3, 7, plan);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) assert_int_equal(plan[i]->area, SML_AREA_POWER);
}

static int setup(void **state)
{
    (void)state;
    sml_vault_init(&vault);
    return sml_vault_load_dir(&vault, MLSB_SOURCE_DIR "/staffml/vault") == 0 && vault.nerr == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sml_vault_free(&vault);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deck_order),
        cmocka_unit_test(test_mock_plan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
