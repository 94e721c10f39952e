/* fuzz_plan.c - MLSys·im plan YAML through ms_plan_load_buffer against the built-in registry.
 * Properties: no crash, hang or sanitizer report (libfyaml's leaks included); a refusal has a
 * message and the status MS_ERR_INPUT or MS_ERR_NOMEM. */
#include "fuzz_util.h"
#include "mlsysim/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ms_registry *reg;
    char err[512] = "";
    if (!reg) {
        reg = ms_registry_new(err, sizeof err);
        FUZZ_CHECK(reg != NULL, "registry: %s", err);
    }
    static ms_plan plan;
    ms_status st = ms_plan_load_buffer(reg, "fuzz.yaml", (const char *)data, size, &plan, err, sizeof err);
    FUZZ_CHECK(st == MS_OK || st == MS_ERR_INPUT || st == MS_ERR_NOMEM, "status %d", (int)st);
    if (st != MS_OK) {
        FUZZ_CHECK(err[0] != 0, "refused without a message");
    }
    return 0;
}
