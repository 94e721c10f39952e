/* file_util.h - reading a whole input file (plans, registry extensions) into memory (internal). */
#ifndef MLSYSIM_FILE_UTIL_H
#define MLSYSIM_FILE_UTIL_H

#include <stddef.h>
#include "mlsysim/registry.h"

/* Reads `path` into a malloc'd buffer (*buf, *len; the caller frees it). max_bytes 0 means no limit.
 * On failure returns MS_ERR_INPUT or MS_ERR_NOMEM with a message naming the file. */
ms_status ms_read_file(const char *path, size_t max_bytes, char **buf, size_t *len, char *err,
                       size_t errlen);

#endif
