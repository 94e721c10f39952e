/* data_internal.h - helpers shared by module 05's files (not public): error messages into a
 * caller buffer, and the data-file stream of files.c (plain or gzip, read in pieces). */
#ifndef TT_DATA_INTERNAL_H
#define TT_DATA_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>
#include "tinytorch/data.h"

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int tt__data_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Memory data sets: starts loading the first cache lines of each of the n samples idx[0..n) (every
 * field), so that the misses of a shuffled batch's scattered rows overlap; other sets: nothing. */
void tt__dataset_prefetch(const tt_dataset *ds, const int64_t *idx, int64_t n);

/* A 64-bit seed from (seed, epoch, batch): splitmix64's finaliser over a mix of the three, so
 * neighbouring epochs and batches get unrelated generators. batch 0 of the mix is used for the
 * epoch's order, batch k + 1 for batch k's augmentation. */
static inline uint64_t tt__loader_mix(uint64_t seed, int64_t epoch, int64_t batch)
{
    uint64_t z = seed ^ ((uint64_t)epoch * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)batch * 0xD1B54A32D192ED03ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Field k of ds. Field 0's shape is read from sample_ndim / sample_shape, which code may have reshaped
 * in place (same numel: [784] -> [1, 28, 28]); tt_dataset_reshape is the checked way to do that. */
static inline tt_field tt__field(const tt_dataset *ds, int k)
{
    tt_field f = ds->fields[k];
    if (k == 0) {
        f.ndim = ds->sample_ndim;
        for (int d = 0; d < TT_MAX_DIMS; d++) {
            f.shape[d] = d < ds->sample_ndim ? ds->sample_shape[d] : 0;
        }
    }
    return f;
}

/* A data file opened for reading in pieces; gzip is inflated on the way. */
typedef struct tt__rd {
    gzFile gz;
    const char *path;
    bool is_gzip;
    uint64_t file_size;   /* bytes on disk (0 when unknown) */
    uint64_t pos;         /* (decompressed) bytes delivered so far */
} tt__rd;

int tt__rd_open(tt__rd *r, const char *path, char *err, size_t errlen);
/* Reads up to n bytes; fewer only at the end of the data. Returns the count, or -1 (message in err)
 * on a read error or a corrupt/truncated archive. */
int64_t tt__rd_read(tt__rd *r, void *buf, size_t n, char *err, size_t errlen);
void tt__rd_close(tt__rd *r);
/* Whole file into *data (malloc'ed), refusing more than max_bytes (after decompression). */
int tt__read_all(const char *path, uint64_t max_bytes, unsigned char **data, size_t *len, char *err,
                 size_t errlen);

#endif
