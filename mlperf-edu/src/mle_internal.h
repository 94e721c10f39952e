/* mle_internal.h - helpers shared by MLPerf EDU's sources and its CLI (not part of the public API). */
#ifndef MLE_INTERNAL_H
#define MLE_INTERNAL_H

#include <stddef.h>
#include "mlperf_edu/loadgen.h"
#include "tinytorch/tensor.h"
#include "tinytorch/nn.h"

#define MLE_VERSION "0.1.0"

/* $MLSB_DATA, ./data, the source tree's data/, or /usr/share/datasets: the first holding fashion-mnist/. */
const char *mle_default_data_dir(void);

/* SHA-256 of a file, as 64 hex digits. Returns 0 or -1 (message). */
int mle_sha256_file(const char *path, char hex[65], char *err, size_t errlen);
/* SHA-256 over the .c/.h/.txt/.md/.cmake files under root/<each subdir>, visited in sorted path
 * order, each contributing "<relative path>\0<contents>". *files = how many. Returns 0 or -1. */
int mle_sha256_tree(const char *root, const char *const *subdirs, int n_subdirs, char hex[65], size_t *files,
                    char *err, size_t errlen);
/* SHA-256 of a string. */
void mle_sha256_text(const char *s, char hex[65]);

#endif
