/* internal.h - helpers shared by the fleet-scale sources (not installed). */
#ifndef MLSYSIM_SCALE_INTERNAL_H
#define MLSYSIM_SCALE_INTERNAL_H

#include <stdio.h>

#include "mlsysim/distributed.h"
#include "mlsysim/registry.h"

/* Resolved architecture numbers (defaults applied). */
typedef struct ms_scale_arch {
    double l, h, a, kv, d, ffn, V, s, E, k, bpp;
    double lb;            /* bytes per element of the linear GEMMs' operands (<= bpp) */
    double kv_dim;        /* kv heads · head dim */
    double mlp_mats;      /* 2 (GeLU MLP) or 3 (gated) */
    double attn_params;   /* per layer: Wq, Wk, Wv, Wo (+ biases) */
    double mlp_params;    /* per layer per expert */
    double norm_params;   /* per layer */
    double embed_params;  /* token (+ position) embedding + untied output layer */
} ms_scale_arch_t;

int ms_scale_arch(const ms_dist_model_t *m, ms_scale_arch_t *x, char *err, size_t errlen);

/* Operator-level selective recompute (MS_DIST_RECOMPUTE_OPS): the weight elements, per token, of
 * the matmuls it recomputes: every second matmul of the layer's forward in the order it runs them,
 * Q, K, V, output projection, then gate, up, down (gated) or in, out (GeLU): K (h·kv_dim), the
 * output projection (h²) and the up or MLP-out projection (k·h·ffn). */
static inline double ms_scale_ops_recompute_wmm(const ms_scale_arch_t *x)
{
    return x->h * x->kv_dim + x->h * x->h + x->k * x->h * x->ffn;
}

/* The linear layers' weight elements of one layer on one expert-parallel rank, before tensor
 * parallelism: Wq, Wk, Wv, Wo and each local expert's MLP matrices (no biases, no norms). What FP8
 * training keeps a cast copy of and casts once per step. */
static inline double ms_scale_linear_weights(const ms_scale_arch_t *x, double ep)
{
    return x->h * (x->h + 2.0 * x->kv_dim) + x->h * x->h + x->E / ep * x->mlp_mats * x->h * x->ffn;
}

/* The ranks a rank's MLP weights are sharded over: a dense MLP's, all zs that hold the same dense
 * weights; a MoE layer's experts, the zs/ep of them that hold the same experts (Megatron-Core's
 * expert-data-parallel group), at least 1. */
static inline double ms_scale_expert_shard_ranks(const ms_scale_arch_t *x, double zs, double ep)
{
    double e = x->E > 1 && ep > 1 ? zs / ep : zs;
    return e > 1 ? e : 1;
}

/* The ranks one ZeRO shard spans: the dp·cp ranks that hold the same weights (context-parallel ranks
 * each reduce a partial gradient of them and shard ZeRO state with the data-parallel ones), or under
 * hybrid sharding shard_group data-parallel ranks of them (when in (0, dp)) with their cp ranks. */
static inline int ms_scale_shard_ranks(const ms_dist_parallel_t *p, int dp, int cp)
{
    return (p->shard_group > 0 && p->shard_group < dp ? p->shard_group : dp) * cp;
}

/* One CSV line split in place (validation tables): fields point into the line. */
#define MS_SCALE_CSV_MAXCOL 128   /* a table may carry columns of its own beside ours */
typedef struct ms_scale_csv_line { int n; char *f[MS_SCALE_CSV_MAXCOL]; } ms_scale_csv_line_t;
/* Splits on commas honouring double quotes ("" is a quote), trims blanks; -1 on too many fields. */
int ms_scale_split_csv(char *s, ms_scale_csv_line_t *out);
/* Lower-case letters and digits of s (no '-', '_', '.', blanks), at most n-1 of them: names compared
 * without regard to case or punctuation ("TRTLLM 0.6" and "trtllm-0.6", "Held-out" and "heldout"). */
void ms_scale_squash(const char *s, char *out, size_t n);
/* A precision as frameworks and benchmark tables write it, into the formats of the compute, the
 * weights and the KV cache: an engine name (fp16, bf16, fp8, int8 ...; ms_precision_parse) for
 * all three; a word that contains fp8, float8, e4m3 or e5m2 (FP8, fp8-hybrid, float8_e4m3fn) FP8,
 * one that contains bf16 or bfloat16 (amp_bf16, torch.bfloat16) BF16, fp16, float16 or half FP16;
 * weight-only quantization (w4a16, awq, gptq, int4_awq, int4_wo; w8a16, int8_wo) 4- or 8-bit
 * weights under 16-bit compute and cache; w8a8 and smoothquant 8-bit weights and compute, a 16-bit
 * cache. 0, or -1 for a word it does not know. */
int ms_scale_precision_word(const char *s, ms_precision *compute, ms_precision *weights, ms_precision *kv);
/* The column of `name` in a header line; -1 when it has none. */
int ms_scale_csv_col(const ms_scale_csv_line_t *hdr, const char *name);
/* One CSV table read line by line: a UTF-8 byte-order mark before the first line (spreadsheets write
 * one), blank lines and '#' comments are skipped, the first other line is the header (hdr), every
 * later one a row (ms_scale_csv_next). Every validation table (runs, collectives, serving, stacks,
 * calibration) is read through it. */
typedef struct ms_scale_csv_file {
    const char *path;
    FILE *fp;
    int lineno;
    char line[4096], hdrline[4096];
    ms_scale_csv_line_t hdr;
} ms_scale_csv_file_t;
enum { MS_SCALE_CSV_NONE = 1, MS_SCALE_CSV_EMPTY = 2 };
/* Opens path and reads its header: 0 (the file stays open: ms_scale_csv_next, fclose(f->fp)),
 * MS_SCALE_CSV_NONE when it does not exist and missing_ok, MS_SCALE_CSV_EMPTY when it holds no
 * header line, else MS_DIST_EIO with the reason (file, line) in err. */
int ms_scale_csv_open(ms_scale_csv_file_t *f, const char *path, int missing_ok, char *err, size_t errlen);
/* The next row into c; exact: it must have as many fields as the header. 1, 0 at the end, -1 (a
 * line longer than the buffer, too many columns, a read error; err names file and line). */
int ms_scale_csv_next(ms_scale_csv_file_t *f, ms_scale_csv_line_t *c, int exact, char *err, size_t errlen);
/* A validation table's split column as people write it, without regard to case, blanks, '-' or
 * '_': 1 held out ("heldout", "held-out", "Held out", "holdout"), 0 calibration ("calibration",
 * "calib"), -1 neither (validation.c). */
int ms_scale_split_word(const char *f);
/* Copies a name column into dst (cap bytes); a name that does not fit is refused ("path:line: column
 * col: '...' is longer than N characters" in err, -1) rather than cut, since a cut name would
 * silently name another entry or none. */
int ms_scale_name_field(char *dst, size_t cap, const char *src, const char *col, const char *path, int lineno,
                        char *err, size_t errlen);
/* Appends a row a validation table leaves out to *list (*n of them): its id, line and the reason
 * "path:line: id: why". 0, or -1 when out of memory. */
int ms_scale_refuse(ms_dist_refused_row_t **list, int *n, const char *path, int lineno, const char *id, const char *why);
void ms_scale_err(char *err, size_t errlen, const char *fmt, ...);

#endif
