/* data.h - data sets and the data loader (module 05).
 *
 * A data set is a list of samples behind a small vtable, tt_dataset: its length, and a `get_field`
 * that copies field k of sample i into a caller buffer. A sample is a tuple of aligned fields, each
 * float or int32 with its own per-sample shape: (image [1, 28, 28], label) for classification,
 * (x [3], y [2]) for a regression, (tokens [T], targets [T]) for a language model. The in-memory
 * data set (tt_dataset_from_fields; tt_dataset_from_memory for features + label) holds each field in
 * one persistent block [N, numel]; the file loaders below all produce the features + label kind.
 *
 * The loader (tt_dataloader) walks a data set in batches: a seeded shuffle of the sample order at the
 * start of every epoch (the same seed gives the same batches on every machine; epoch e's order depends
 * only on (seed, e), so a loader can be restored mid-epoch), a fixed batch size, and
 * drop_last to skip a final partial batch. Each batch holds every field batched: a step tensor
 * [B, shape...] for a float field, B * numel int32s for an int32 one (x and y name the classic two),
 * all carved from the arena: they vanish at tt_arena_reset(), so the steady state allocates nothing
 * from the heap. An optional transform (augmentation, below) changes field 0 of every batch.
 *
 * Errors from files (missing, truncated, corrupt gzip, bad magic, bad CSV line) never crash: the
 * loaders return -1 and write a message naming the file and what was wrong into err[errlen].
 */
#ifndef TINYTORCH_DATA_H
#define TINYTORCH_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tinytorch/tensor.h"

/* ---- data sets -------------------------------------------------------------------------------- */

/* A data set is a list of samples; each sample is a tuple of aligned values, its fields (features,
 * label, a regression target, a mask ...). Field k has one element type and one per-sample shape for
 * every sample. The classic classification set has two fields: float features [sample_shape...] and
 * an int32 label (a scalar). */
#define TT_DATASET_MAX_FIELDS 8
typedef enum tt_field_type { TT_FIELD_F32 = 0, TT_FIELD_I32 = 1 } tt_field_type;
typedef struct tt_field {
    tt_field_type type;
    int ndim;                           /* dims of one sample's value: 0 (a scalar) .. TT_MAX_DIMS-1 */
    int64_t shape[TT_MAX_DIMS];
    int64_t numel;                      /* values per sample (1 for a scalar) */
} tt_field;

typedef struct tt_dataset tt_dataset;
typedef struct tt_dataset_ops {
    const char *kind;                                         /* "memory", ... */
    /* Copies sample i's features (ds->sample_numel floats) into x and its label into *y (-1 when the
     * set has no int32 scalar label in field 1). */
    void (*get)(const tt_dataset *ds, int64_t i, float *x, int32_t *y);
    void (*destroy)(tt_dataset *ds);                          /* frees everything it owns */
    /* Copies field k of sample i (fields[k].numel floats or int32s) into dst. NULL: the set has only
     * the two classic fields, read through get. */
    void (*get_field)(const tt_dataset *ds, int64_t i, int k, void *dst);
} tt_dataset_ops;

struct tt_dataset {
    const tt_dataset_ops *ops;
    int64_t len;                           /* number of samples */
    int sample_ndim;                       /* dims of field 0 (the features) */
    int64_t sample_shape[TT_MAX_DIMS];
    int64_t sample_numel;                  /* values of field 0 per sample */
    int num_classes;                       /* labels lie in [0, num_classes); 0: no class label */
    int num_fields;                        /* 1 .. TT_DATASET_MAX_FIELDS */
    tt_field fields[TT_DATASET_MAX_FIELDS];
};

/* The in-memory data set: field k's values for all samples in one block data[k] ([len, numel_k]).
 * x and y name the classic fields: x = data[0] when field 0 is float, y = data[1] when field 1 is an
 * int32 scalar (else NULL). */
typedef struct tt_memory_dataset {
    tt_dataset base;
    float *x;
    int32_t *y;
    void *data[TT_DATASET_MAX_FIELDS];
} tt_memory_dataset;

/* Takes ownership of x (len * numel(sample_shape) floats) and y (len labels), both from malloc.
 * Returns NULL (and frees nothing) only on a bad argument; num_classes <= 0 means max(y) + 1.
 * The result is the two-field case of tt_dataset_from_fields. */
tt_dataset *tt_dataset_from_memory(float *x, int32_t *y, int64_t len, int sample_ndim,
                                   const int64_t *sample_shape, int num_classes);
/* A data set of num_fields aligned fields: field k described by fields[k] (type, ndim, shape; numel is
 * computed), its len * numel values in data[k] (float or int32_t), which is copied. When field 1 is an
 * int32 scalar it is the class label (num_classes = max + 1). Returns NULL with a message for a bad
 * description (no fields, too many, a negative size, an overflowing size, NULL data) or no memory.
 * Example, y = A x + b with 3 inputs and 2 outputs:
 *     tt_field f[2] = {{TT_FIELD_F32, 1, {3}}, {TT_FIELD_F32, 1, {2}}};
 *     tt_dataset *ds = tt_dataset_from_fields(N, 2, f, (const void *[]){xs, ys}, err, sizeof err);  */
tt_dataset *tt_dataset_from_fields(int64_t len, int num_fields, const tt_field *fields, const void *const *data,
                                   char *err, size_t errlen);
/* The float tensors t[k] ([len, ...] each, the same len) as the fields of a data set (copied). */
tt_dataset *tt_dataset_from_tensors(int num_tensors, tt_tensor *const *t, char *err, size_t errlen);
/* A new in-memory data set holding copies of samples idx[0..n) of ds (every field), in that order. */
tt_dataset *tt_dataset_subset(const tt_dataset *ds, const int64_t *idx, int64_t n);
void tt_dataset_get(const tt_dataset *ds, int64_t i, float *x, int32_t *y);
/* Field k of sample i into dst (fields[k].numel values of its type); tt_fatal on a bad i or k. */
void tt_dataset_get_field(const tt_dataset *ds, int64_t i, int k, void *dst);
/* Gives field 0 (the features) another per-sample shape with the same numel ([64] -> [1, 8, 8]).
 * Returns 0, or -1 when the numel differs or ndim is outside 0 .. TT_MAX_DIMS-1. */
int tt_dataset_reshape(tt_dataset *ds, int ndim, const int64_t *shape);
void tt_dataset_free(tt_dataset *ds);       /* NULL is fine */
/* Samples per class (counts[num_classes]). */
void tt_dataset_class_counts(const tt_dataset *ds, int64_t *counts);
/* The whole data set's shape, out = [len, sample_shape...]; returns its ndim. */
int tt_dataset_shape(const tt_dataset *ds, int64_t *out);

/* A seeded, stratified split: round(test_fraction * count) samples of every class (at least 1 of a
 * class with >= 2 samples, never all) go to *test, the rest to *train; both are shuffled copies (free
 * them with tt_dataset_free). Same seed, same split. Returns 0, or -1 with a message (fraction outside
 * (0, 1), fewer than 2 samples, no class with 2 samples, out of memory); err may be NULL. */
int tt_dataset_split(const tt_dataset *ds, double test_fraction, uint64_t seed, tt_dataset **train,
                     tt_dataset **test, char *err, size_t errlen);

/* Per-feature standardisation, x -> (x - mean) / std, fitted on one in-memory data set (population
 * std; a constant feature gets std 1) and applied to any with the same sample size (tt_fatal if not). */
typedef struct tt_standardizer {
    int64_t n;           /* features (sample_numel) */
    float *mean, *std;   /* [n] each, malloc'ed */
} tt_standardizer;
int tt_standardizer_fit(tt_standardizer *s, const tt_dataset *ds);     /* 0, or -1 (empty / no memory) */
void tt_standardizer_apply(const tt_standardizer *s, tt_dataset *ds);
/* Fits on train and applies to train and (when not NULL) test. */
int tt_standardize(tt_dataset *train, tt_dataset *test, tt_standardizer *s);
void tt_standardizer_free(tt_standardizer *s);

/* ---- the loader --------------------------------------------------------------------------------- */

typedef struct tt_batch_field {
    tt_tensor *t;        /* a float field: [B, shape...], arena; NULL for an int32 field */
    int32_t *ints;       /* an int32 field: B * numel values, arena; NULL for a float field */
    int64_t ints_per_row;/* an int32 field: numel, the values of one sample (a batch built by hand
                          * may leave it 0: tt_train_step then does not split the batch) */
} tt_batch_field;

typedef struct tt_batch {
    tt_tensor *x;        /* field 0 when float: [B, sample_shape...], arena (else NULL) */
    int32_t *y;          /* field 1 when an int32 scalar: B labels, arena (else NULL) */
    int64_t size;        /* B (the last batch may be smaller unless drop_last) */
    int64_t index;       /* batch number within the epoch, from 0 */
    int num_fields;
    tt_batch_field field[TT_DATASET_MAX_FIELDS];   /* every field, batched */
} tt_batch;

/* ---- augmentation ------------------------------------------------------------------------------- */

/* A transform changes a float batch x [B, ...] in place, drawing any randomness from rng. The loader
 * applies its transform to field 0 of every batch with a generator seeded from (seed, epoch, batch),
 * so augmented runs repeat exactly and resume exactly. Image transforms read x as [B, ..., H, W]
 * (the last two dims). Transforms are made by the constructors below and freed with tt_transform_free
 * (a compose frees its parts). */
typedef struct tt_transform tt_transform;
struct tt_transform {
    const char *name;                                              /* "random_crop", ... */
    void (*apply)(const tt_transform *t, tt_tensor *x, tt_rng *rng);
    void (*destroy)(tt_transform *t);
};
/* Zero-pads every image by `pad` pixels on each side and cuts out an H x W window at a random offset
 * in [0, 2 pad] x [0, 2 pad] (the CIFAR recipe: pad 4, crop 32). pad 0 is the identity. */
tt_transform *tt_random_crop(int pad);
/* Mirrors each image left-right (reverses the last dim) with probability p. */
tt_transform *tt_random_hflip(float p);
/* x -> (x - mean[c]) / std[c] per channel c (dim 1 of x); channels 1 applies one pair to all values.
 * std must be > 0 (tt_fatal otherwise). */
tt_transform *tt_normalize(int channels, const float *mean, const float *std);
/* The transforms ts[0..n) in order; takes ownership of them. */
tt_transform *tt_compose(int n, tt_transform *const *ts);
void tt_transform_apply(const tt_transform *t, tt_tensor *x, tt_rng *rng);
void tt_transform_free(tt_transform *t);   /* NULL is fine */

/* ---- the loader --------------------------------------------------------------------------------- */

typedef struct tt_dataloader {
    const tt_dataset *ds;    /* not owned */
    int64_t batch_size;
    bool shuffle;
    bool drop_last;
    uint64_t seed;           /* epoch e's order is a pure function of (seed, e) */
    int64_t *order;          /* len sample indices, this epoch's order (heap, allocated once) */
    int64_t pos;             /* next position in order */
    int64_t batch_index;     /* next batch within the epoch */
    int64_t epoch;           /* epochs started so far (the current one is number `epoch`, from 1) */
    const tt_transform *transform;   /* applied to field 0 of each batch; NULL: none (not owned) */
} tt_dataloader;

/* Returns 0, or -1 (with a message) for batch_size < 1 or an empty data set. */
int tt_dataloader_init(tt_dataloader *dl, const tt_dataset *ds, int64_t batch_size, bool shuffle,
                       bool drop_last, uint64_t seed, char *err, size_t errlen);
int64_t tt_dataloader_len(const tt_dataloader *dl);   /* batches per epoch */
/* Starts an epoch: rewinds and (if shuffle) draws the order of epoch number ++epoch. */
void tt_dataloader_start_epoch(tt_dataloader *dl);
/* Fills b with the next batch of the epoch; false at the end of the epoch. */
bool tt_dataloader_next(tt_dataloader *dl, tt_batch *b);
void tt_dataloader_free(tt_dataloader *dl);
/* Augments every batch from now on with t (not owned; NULL removes it). Field 0 must be float. */
void tt_dataloader_set_transform(tt_dataloader *dl, const tt_transform *t);

/* The loader's position, all a checkpoint needs to continue a run exactly. Nothing random is carried
 * from batch to batch: epoch e's order is drawn from a generator seeded with a hash of (seed, e), and
 * any per-batch randomness (augmentation) from one seeded with a hash of (seed, e, batch), so
 * (seed, epoch, batch_index) reproduces every later batch bit for bit.
 *     tt_dataloader_state st;  tt_dataloader_get_state(&dl, &st);   ... save st, stop, rebuild ...
 *     tt_dataloader_set_state(&dl, &st, err, sizeof err);           ... tt_dataloader_next() goes on */
typedef struct tt_dataloader_state {
    uint64_t seed;           /* the loader's seed; set_state refuses a different one */
    int64_t epoch;           /* epochs started (0: none yet) */
    int64_t batch_index;     /* batches already handed out in that epoch, 0 .. tt_dataloader_len */
} tt_dataloader_state;
void tt_dataloader_get_state(const tt_dataloader *dl, tt_dataloader_state *st);
/* Puts dl where st says: the next tt_dataloader_next() returns batch st->batch_index of epoch
 * st->epoch, and the next tt_dataloader_start_epoch() starts epoch st->epoch + 1. Returns 0, or -1
 * with a message (another seed, a negative epoch, a batch index outside [0, tt_dataloader_len], a
 * batch index > 0 with epoch 0); dl is unchanged on error. */
int tt_dataloader_set_state(tt_dataloader *dl, const tt_dataloader_state *st, char *err, size_t errlen);
/* Shortcut for set_state with dl's own seed: continue at batch `batch_index` of epoch `epoch`. */
int tt_dataloader_seek(tt_dataloader *dl, int64_t epoch, int64_t batch_index, char *err, size_t errlen);

/* ---- file loaders ------------------------------------------------------------------------------- */

/* Reads a whole file, gunzipping it when it starts with the gzip magic bytes 1f 8b (plain files work
 * too). *data is malloc'ed (caller frees). Errors: missing file, read error, corrupt or truncated gzip,
 * more than TT_READ_FILE_MAX bytes (after decompression). */
#define TT_READ_FILE_MAX ((uint64_t)4 << 30)
int tt_read_file(const char *path, unsigned char **data, size_t *len, char *err, size_t errlen);

/* An IDX file (the MNIST format): magic 00 00 <type> <ndim>, ndim big-endian uint32 sizes, data. */
typedef struct tt_idx {
    int ndim;
    int64_t shape[TT_MAX_DIMS];
    int64_t numel;
    uint8_t type;        /* 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64 */
    float *data;         /* numel values converted to float (malloc'ed) */
} tt_idx;
int tt_idx_read(const char *path, tt_idx *out, char *err, size_t errlen);
void tt_idx_free(tt_idx *idx);

/* MNIST or Fashion-MNIST split `prefix` ("train" or "t10k") from dir: reads
 * <prefix>-images-idx3-ubyte[.gz] and <prefix>-labels-idx1-ubyte[.gz]. Pixels are scaled to
 * (p / 255 - mean) / std (mean 0, std 1 keeps them in [0, 1]). Samples: [1, rows, cols], 10 classes. */
int tt_load_mnist(const char *dir, const char *prefix, float mean, float std, tt_dataset **out,
                  char *err, size_t errlen);

/* A numeric CSV (gzip or plain), one sample per row: fields may be quoted, lines end in LF or CRLF, a
 * UTF-8 byte order mark is skipped, blank lines are ignored. Every feature must be a finite float
 * (denormals are fine); the label an integer >= 0. Errors read "file:line:column: reason".
 * Samples: [columns - 1]. Zero-initialised options mean: label in the last column, header row
 * recognised automatically, scale 1, class count from the largest label. Example:
 *     tt_csv_load("iris.csv", &(tt_csv_opts){.num_classes = 3}, &ds, err, sizeof err);      */
typedef enum tt_csv_header {
    TT_CSV_HEADER_AUTO = 0,  /* the first row is a header when none of its fields is a number */
    TT_CSV_HEADER_YES,       /* the first row is a header */
    TT_CSV_HEADER_NO,        /* every row is data */
} tt_csv_header;
typedef struct tt_csv_opts {
    int label_col;           /* 1-based column of the label; 0 = the last; negative counts from the end */
    tt_csv_header header;
    float scale;             /* features are multiplied by it; 0 means 1 */
    int num_classes;         /* labels >= it are refused (file:line:column); 0 = largest label + 1 */
} tt_csv_opts;
int tt_csv_load(const char *path, const tt_csv_opts *opts, tt_dataset **out, char *err, size_t errlen);
/* The same with positional options: label_col 0-based (negative counts from the end: -1 = last);
 * skip_header treats the first row as a header (otherwise every row is data). */
int tt_load_csv(const char *path, int label_col, bool skip_header, float scale, tt_dataset **out,
                char *err, size_t errlen);

/* TinyDigits from scikit-learn's digits.csv[.gz] (1,797 rows: 64 pixels 0..16, then the label):
 * a stratified, seeded split of 100 samples per class for training and 20 per class for testing,
 * each shuffled; pixels / 16 in [0, 1]. Samples: [1, 8, 8]. */
int tt_load_tinydigits(const char *csv_path, uint64_t seed, tt_dataset **train, tt_dataset **test,
                       char *err, size_t errlen);

#endif
