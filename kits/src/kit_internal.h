/* kit_internal.h - helpers shared by the kit sources (not installed). */
#ifndef KITS_INTERNAL_H
#define KITS_INTERNAL_H

#include <stddef.h>
#include <stdio.h>
#include "tinytorch/fileio.h"

int kit_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
FILE *kit_file_open(tt_atomic_file *af, const char *dir, const char *name, char *err, size_t errlen);
int kit_file_close(tt_atomic_file *af, char *err, size_t errlen);
int kit_copy_file(const char *src, const char *dir, const char *name, char *err, size_t errlen);
const char *kit_runtime_dir(void);

#endif
