/* fileio.h - the one atomic file writer of the framework and its tools (checkpoints, tokenizer merges,
 * quantized models, roofline / Pareto / result JSON files, tito's workspace files).
 *
 * A save never leaves a half-written file under the target name: the bytes go to a temporary file
 * in the same folder ("<path>.tmp.<pid>.<n>"), which is flushed and fsync'ed, then renamed over the
 * target, and the folder is fsync'ed so the rename itself survives a power cut. Until the rename,
 * readers see the previous file (if any); on any failure the temporary file is removed and the
 * previous file is left as it was.
 *
 * Two ways to use it:
 *   tt_write_file_atomic(path, data, len, err, errlen)          whole buffer in one call
 *   tt_atomic_open(&af, path, ...); fprintf(af.f, ...); ...;    streaming writers (FILE *)
 *   tt_atomic_commit(&af, err, errlen)  or  tt_atomic_abort(&af)
 * tt_mkdir_p(dir, err, errlen) makes the folder a save goes into.
 * All return 0 on success and -1 with a message naming the target path in err (err may be NULL);
 * after a failed open, commit or whole-buffer write, errno holds the cause.
 */
#ifndef TINYTORCH_FILEIO_H
#define TINYTORCH_FILEIO_H

#include <stddef.h>
#include <stdio.h>

typedef struct tt_atomic_file {
    FILE *f;    /* write the contents through this stream (binary mode) */
    char *path; /* the target, copied */
    char *tmp;  /* the temporary file next to it */
} tt_atomic_file;

/* Creates the temporary file next to path and opens af->f on it. On failure af->f is NULL and
 * nothing needs to be aborted. */
int tt_atomic_open(tt_atomic_file *af, const char *path, char *err, size_t errlen);

/* Flushes, fsyncs and closes af->f, renames the temporary file over the target and fsyncs the
 * folder. A stream error seen earlier (ferror) makes it fail too. Always releases af: on failure the
 * temporary file is removed and the target is unchanged. */
int tt_atomic_commit(tt_atomic_file *af, char *err, size_t errlen);

/* Closes af->f, removes the temporary file and releases af; the target is unchanged. Safe on an af
 * whose open failed or that was already committed/aborted. */
void tt_atomic_abort(tt_atomic_file *af);

/* Writes len bytes of data to path atomically (open + fwrite + commit). */
int tt_write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* Creates the folder dir and any missing parents (as `mkdir -p`), mode 0777 less the umask. Returns 0
 * when dir is a folder afterwards, or -1 with a message naming the part that failed. */
int tt_mkdir_p(const char *dir, char *err, size_t errlen);

#endif
