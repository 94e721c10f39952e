/* ms_test.h - the fixture MLSys·im's engine tests share: the built-in registry in `reg`, opened by
 * the cmocka group setup (with the reason on stderr when it cannot be) and closed by its teardown:
 *   return cmocka_run_group_tests(tests, setup, teardown);
 * Include after <cmocka.h> and mlsysim/mlsysim.h, in one test file per executable. */
#ifndef MS_TEST_H
#define MS_TEST_H

#include <stdio.h>

static ms_registry *reg;

static int setup(void **state)
{
    (void)state;
    char err[512];
    reg = ms_registry_new(err, sizeof err);
    if (!reg) fprintf(stderr, "registry: %s\n", err);
    return reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ms_registry_free(reg);
    return 0;
}

#endif
