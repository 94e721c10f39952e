/* fuzz_csv.c - CSV data sets through tt_csv_load with three option sets (defaults; label first,
 * header, 4 classes; the positional tt_load_csv with a scale). Properties: no crash or sanitizer
 * report; a refusal has a "file:line..." message; an accepted file has only finite features and
 * labels inside the class count. */
#include <math.h>
#include "fuzz_util.h"
#include "tinytorch/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, tt_dataset *ds, const char *err, const char *path)
{
    if (rc != 0) {
        FUZZ_CHECK(ds == NULL, "refused but returned a data set");
        FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0, "message does not name the file: %s", err);
        return;
    }
    const tt_memory_dataset *m = (const tt_memory_dataset *)ds;
    FUZZ_CHECK(ds->len > 0 && ds->sample_numel >= 1, "empty data set accepted");
    for (int64_t i = 0; i < ds->len * ds->sample_numel; i++) {
        FUZZ_CHECK(isfinite(m->x[i]), "feature %lld is %g", (long long)i, (double)m->x[i]);
    }
    for (int64_t i = 0; i < ds->len; i++) {
        FUZZ_CHECK(m->y[i] >= 0 && m->y[i] < ds->num_classes, "label %d of %d classes", m->y[i], ds->num_classes);
    }
    tt_dataset_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    tt_dataset *ds;
    const char *p = fuzz_file("in.csv", data, size);
    int rc = tt_csv_load(p, NULL, &ds, err, sizeof err);
    check(rc, ds, err, p);
    rc = tt_csv_load(p, &(tt_csv_opts){.label_col = 1, .header = TT_CSV_HEADER_YES, .num_classes = 4}, &ds, err,
                     sizeof err);
    check(rc, ds, err, p);
    rc = tt_load_csv(p, -2, false, 1e30f, &ds, err, sizeof err);
    check(rc, ds, err, p);
    return 0;
}
