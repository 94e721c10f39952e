/* fuzz_registry.c - MLSys·im registry YAML through ms_registry_load_buffer on the built-in registry.
 * Properties: no crash, hang or sanitizer report; a refusal has a message and leaves the registry as
 * it was (same entry counts, H100's figures unchanged: a load applies whole or not at all).
 * Because a refused load must change nothing, one registry serves every refused input; it is built
 * afresh only after an accepted load (building it costs milliseconds, parsing an input microseconds). */
#include "fuzz_util.h"
#include "mlsysim/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ms_registry *r;
    char err[512] = "";
    if (!r) {
        r = ms_registry_new(err, sizeof err);
        FUZZ_CHECK(r != NULL, "registry: %s", err);
    }
    size_t nh = ms_registry_hardware_count(r), nm = ms_registry_model_count(r), nn = ms_registry_node_count(r);
    size_t nf = ms_registry_fabric_count(r), ng = ms_registry_grid_count(r);
    const ms_hardware *h = ms_registry_hardware(r, "H100");
    FUZZ_CHECK(h != NULL, "no H100 in the built-in registry");
    ms_hardware before = *h;
    ms_status st = ms_registry_load_buffer(r, "fuzz.yaml", (const char *)data, size, err, sizeof err);
    FUZZ_CHECK(st == MS_OK || st == MS_ERR_INPUT || st == MS_ERR_NOMEM, "status %d", (int)st);
    if (st == MS_OK) {
        ms_registry_free(r); /* changed as asked: start the next input from the built-in one */
        r = NULL;
        return 0;
    }
    FUZZ_CHECK(err[0] != 0, "refused without a message");
    FUZZ_CHECK(nh == ms_registry_hardware_count(r) && nm == ms_registry_model_count(r) &&
               nn == ms_registry_node_count(r) && nf == ms_registry_fabric_count(r) &&
               ng == ms_registry_grid_count(r), "a refused load changed the entry counts");
    h = ms_registry_hardware(r, "H100");
    FUZZ_CHECK(h && memcmp(h, &before, sizeof before) == 0, "a refused load changed H100");
    return 0;
}
