/* fuzz_registry.c - MLSys·im registry YAML through ms_registry_load_buffer on a fresh built-in
 * registry. Properties: no crash, hang or sanitizer report; a refusal has a message and leaves the
 * registry as it was (same entry counts, H100's figures unchanged: a load applies whole or not at all). */
#include "fuzz_util.h"
#include "mlsysim/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    ms_registry *r = ms_registry_new(err, sizeof err);
    FUZZ_CHECK(r != NULL, "registry: %s", err);
    size_t nh = ms_registry_hardware_count(r), nm = ms_registry_model_count(r), nn = ms_registry_node_count(r);
    size_t nf = ms_registry_fabric_count(r), ng = ms_registry_grid_count(r);
    const ms_hardware *h = ms_registry_hardware(r, "H100");
    FUZZ_CHECK(h != NULL, "no H100 in the built-in registry");
    ms_hardware before = *h;
    ms_status st = ms_registry_load_buffer(r, "fuzz.yaml", (const char *)data, size, err, sizeof err);
    FUZZ_CHECK(st == MS_OK || st == MS_ERR_INPUT || st == MS_ERR_NOMEM, "status %d", (int)st);
    if (st != MS_OK) {
        FUZZ_CHECK(err[0] != 0, "refused without a message");
        FUZZ_CHECK(nh == ms_registry_hardware_count(r) && nm == ms_registry_model_count(r) &&
                   nn == ms_registry_node_count(r) && nf == ms_registry_fabric_count(r) &&
                   ng == ms_registry_grid_count(r), "a refused load changed the entry counts");
        h = ms_registry_hardware(r, "H100");
        FUZZ_CHECK(h && memcmp(h, &before, sizeof before) == 0, "a refused load changed H100");
    }
    ms_registry_free(r);
    return 0;
}
