/* file_util.h - reading a whole input file (plans, registry extensions) into memory, and writing a
 * whole output file (fitted links, pictures) so that it is replaced whole or not at all (internal). */
#ifndef MLSYSIM_FILE_UTIL_H
#define MLSYSIM_FILE_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include "mlsysim/fileio.h" /* ms_write_file_atomic, ms_write_bytes_atomic */
#include "mlsysim/registry.h"

/* Reads `path` into a malloc'd buffer (*buf, *len; the caller frees it). max_bytes 0 means no limit.
 * On failure returns MS_ERR_INPUT or MS_ERR_NOMEM with a message naming the file. */
ms_status ms_read_file(const char *path, size_t max_bytes, char **buf, size_t *len, char *err,
                       size_t errlen);

/* Writes text to fp as "# " comment lines, one per line of text (NULL: nothing). */
void ms_write_comment_lines(FILE *fp, const char *text);

#endif
