/* test_kit_qemu.c - short emulated runs per core: the exported toy CNN (4 images) and the DS-CNN
 * keyword spotter (depthwise convs, global average pool; 3 synthetic samples) cross-compiled with
 * arm-none-eabi-gcc + newlib and run under qemu-system-arm (semihosting file I/O) on mps2-an385
 * (Cortex-M3), mps2-an386 (Cortex-M4), mps2-an500 (Cortex-M7) and mps3-an547 (Cortex-M55): every logit
 * equal to TinyTorch's int8 inference, instructions counted, sizes read from the ELF. Skipped, with
 * the reason, only where the cross toolchain or QEMU is missing (scripts/install-deps.sh installs them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kits/dscnn.h"
#include "kits/kit.h"
#include "kit_test_model.h"

static char dir[256], proj[300], dsproj[300], kws[300], err[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kit_qemu_XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    char q[300];
    snprintf(q, sizeof q, "%s/q.safetensors", dir);
    snprintf(proj, sizeof proj, "%s/proj", dir);
    tt_dataset *ds = tt_test_toy_images(100, 3);
    tt_qmodel_free(kt_make_q(q, ds));
    tt_dataset_free(ds);
    kit_export_report rep;
    if (kit_export(q, proj, NULL, &rep, err, sizeof err) != 0) {
        return -1;
    }
    /* the DS-CNN (untrained, BatchNorm statistics randomised) and 3 synthetic test samples */
    snprintf(q, sizeof q, "%s/dscnn.safetensors", dir);
    snprintf(dsproj, sizeof dsproj, "%s/dscnn", dir);
    snprintf(kws, sizeof kws, "%s/kws.safetensors", dir);
    tt_qmodel_free(kt_make_dscnn_q(q));
    ds = kit_kws_dataset(1001, 3);
    int rc = kit_dataset_save(kws, ds, err, sizeof err);
    tt_dataset_free(ds);
    return rc == 0 && kit_export(q, dsproj, NULL, &rep, err, sizeof err) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void run_on(const char *machine)
{
    char why[256];
    if (!kit_toolchain_ok(machine, why, sizeof why)) {
        fprintf(stderr, "SKIP %s: %s\n", machine, why);
        skip();
    }
    kit_run_opts o = {machine, 4, NULL, "t10k", 0.0, 1.0, 120, false, NULL};
    kit_run_result r;
    int rc = kit_run(proj, &o, &r, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", machine, err);
    }
    assert_int_equal(rc, 0);
    assert_true(r.bit_exact);
    assert_int_equal(r.images, 4);
    assert_int_equal(r.mismatches, 0);
    /* the toy CNN: ~2 k MACs per output pixel row... at least its 17 k multiply-accumulates */
    assert_true(r.instructions_per_inference > 17000 && r.instructions_per_inference < 5e6);
    assert_true(r.text > 2212 && r.flash_bytes >= r.text);
    assert_true(r.bss >= 288 && r.stack_bytes > 0 && r.stack_bytes < 4096);
    assert_true(r.ram_bytes == r.data + r.bss + r.stack_bytes);
    printf("%s (%s): bit-exact, %.0f instructions/inference, flash %lld B, RAM %lld B\n", machine, r.core,
           r.instructions_per_inference, (long long)r.flash_bytes, (long long)r.ram_bytes);
}

/* The DS-CNN on 3 synthetic samples: depthwise convs and the average pool on the core, bit-exact. */
static void run_dscnn_on(const char *machine)
{
    char why[256];
    if (!kit_toolchain_ok(machine, why, sizeof why)) {
        fprintf(stderr, "SKIP %s: %s\n", machine, why);
        skip();
    }
    kit_run_opts o = {machine, 3, NULL, "t10k", 0.0, 1.0, 300, false, kws};
    kit_run_result r;
    int rc = kit_run(dsproj, &o, &r, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", machine, err);
    }
    assert_int_equal(rc, 0);
    assert_true(r.bit_exact);
    assert_int_equal(r.images, 3);
    assert_true(r.accuracy >= 0.0);
    /* at least one instruction per multiply-accumulate (about 2.2 M of them) */
    assert_true(r.instructions_per_inference > 2.2e6 && r.instructions_per_inference < 2e8);
    assert_true(r.bss >= 13440 && r.stack_bytes > 0 && r.stack_bytes < 4096);
    printf("DS-CNN on %s (%s): bit-exact, %.0f instructions/inference, flash %lld B, RAM %lld B\n", machine, r.core,
           r.instructions_per_inference, (long long)r.flash_bytes, (long long)r.ram_bytes);
}

static void test_m3(void **state) { (void)state; run_on("mps2-an385"); run_dscnn_on("mps2-an385"); }
static void test_m4(void **state) { (void)state; run_on("mps2-an386"); run_dscnn_on("mps2-an386"); }
static void test_m7(void **state) { (void)state; run_on("mps2-an500"); run_dscnn_on("mps2-an500"); }
static void test_m55(void **state) { (void)state; run_on("mps3-an547"); run_dscnn_on("mps3-an547"); }

static void test_cli_json(void **state)
{
    (void)state;
    char why[256], cmd[2400];
    if (!kit_toolchain_ok("mps2-an386", why, sizeof why)) {
        fprintf(stderr, "SKIP: %s\n", why);
        skip();
    }
    snprintf(cmd, sizeof cmd, KIT_BIN " run '%s' --machine mps2-an386 --images 2 --json >'%s/r.json'", proj, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "grep -q '\"bit_exact\":true,\"images\":2' '%s/r.json' && grep -q '\"instructions_per_inference\":[1-9]' "
             "'%s/r.json' && grep -q '\"flash_bytes\":[1-9]' '%s/r.json' && grep -q '\"ram_bytes\":[1-9]' '%s/r.json'",
             dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, KIT_BIN " size '%s' --machine mps2-an386 >'%s/s.txt' && grep -q 'stm32l432kc.*fits' '%s/s.txt'",
             proj, dir, dir);
    assert_int_equal(system(cmd), 0);
    /* the same project built for the host with cc */
    snprintf(cmd, sizeof cmd,
             KIT_BIN " run '%s' --machine host --images 20 --json | grep -q '\"bit_exact\":true,\"images\":20'", proj);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, KIT_BIN " run '%s' --machine mps2-an999 2>/dev/null", proj);
    assert_int_equal(WEXITSTATUS(system(cmd)), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_m3), cmocka_unit_test(test_m4), cmocka_unit_test(test_m7),
        cmocka_unit_test(test_m55), cmocka_unit_test(test_cli_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
