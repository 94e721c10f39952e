/* fileio.h - writing an output file so that it is replaced whole or not at all. MLSys·im's fitted
 * links and pictures use it, and so do the tools built on the library (StaffML's exports). */
#ifndef MLSYSIM_FILEIO_H
#define MLSYSIM_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the file at path whole: fill(fp, ctx) writes the contents into a temporary beside it
 * (path.tmp.PID), which is flushed to disk (fsync) and renamed over path, and the folder synced, so
 * an existing file is replaced whole or not at all. A nonzero return of fill, or a stream error,
 * abandons the write. 0 ok; -1 with "PATH: cannot create|write: reason" (or "PATH: path too long")
 * in err and the temporary removed. */
int ms_write_file_atomic(const char *path, int (*fill)(FILE *fp, const void *ctx), const void *ctx, char *err,
                         size_t errlen);

/* ms_write_file_atomic of the `len` bytes at `data`. */
int ms_write_bytes_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
