/* checkpoint.c - safetensors save and load (see checkpoint.h for the format and the guarantees).
 *
 * Load reads the whole file, parses the header with the strict JSON reader and validates it into an
 * entry table before copying anything, so a refused file leaves the model untouched. Data is stored
 * little-endian; on a big-endian host the bytes are swapped on the way in and out.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tinytorch/checkpoint.h"
#include "tinytorch/fileio.h"
#include "tinytorch/json.h"

#define ST_MAX_HEADER ((uint64_t)100 << 20) /* the reference implementation's limit: 100 MB */
#define ST_MAX_NUMEL ((uint64_t)1 << 40)

static int ck_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int ck_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap4(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4) {
        unsigned char a = p[i], b = p[i + 1];
        p[i] = p[i + 3];
        p[i + 1] = p[i + 2];
        p[i + 2] = b;
        p[i + 3] = a;
    }
}

/* ---- save ---------------------------------------------------------------------------------------- */

/* Appends s to a growable buffer. */
typedef struct sbuf { char *p; size_t n, cap; bool oom; } sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1) {
            nc *= 2;
        }
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_json_string(sbuf *b, const char *s)
{
    sb_str(b, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char tmp[8];
        if (*c == '"' || *c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*c;
            sb_put(b, tmp, 2);
        } else if (*c < 0x20) {
            snprintf(tmp, sizeof tmp, "\\u%04x", *c);
            sb_str(b, tmp);
        } else {
            sb_put(b, (const char *)c, 1);
        }
    }
    sb_str(b, "\"");
}

int tt_safetensors_save(const char *path, const tt_params *tensors, const tt_kv *meta, int n_meta,
                        char *err, size_t errlen)
{
    for (int i = 0; i < tensors->n; i++) {
        if (strcmp(tensors->names[i], "__metadata__") == 0) {
            return ck_err(err, errlen, "%s: a tensor may not be named __metadata__", path);
        }
        for (int k = 0; k < i; k++) {
            if (strcmp(tensors->names[i], tensors->names[k]) == 0) {
                return ck_err(err, errlen, "%s: two tensors are named \"%s\"", path, tensors->names[i]);
            }
        }
    }
    sbuf h = {0};
    sb_str(&h, "{");
    if (n_meta > 0) {
        sb_str(&h, "\"__metadata__\":{");
        for (int m = 0; m < n_meta; m++) {
            sb_str(&h, m ? "," : "");
            sb_json_string(&h, meta[m].key);
            sb_str(&h, ":");
            sb_json_string(&h, meta[m].value);
        }
        sb_str(&h, "}");
    }
    uint64_t off = 0;
    for (int i = 0; i < tensors->n; i++) {
        const tt_tensor *t = tensors->t[i];
        char tmp[64];
        sb_str(&h, (i || n_meta > 0) ? "," : "");
        sb_json_string(&h, tensors->names[i]);
        sb_str(&h, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            snprintf(tmp, sizeof tmp, "%s%lld", d ? "," : "", (long long)t->shape[d]);
            sb_str(&h, tmp);
        }
        uint64_t bytes = (uint64_t)t->numel * 4u;
        snprintf(tmp, sizeof tmp, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + bytes));
        sb_str(&h, tmp);
        off += bytes;
    }
    sb_str(&h, "}");
    while (!h.oom && h.n % 8 != 0) {
        sb_str(&h, " ");
    }
    if (h.oom) {
        free(h.p);
        return ck_err(err, errlen, "%s: out of memory building the header", path);
    }

    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        free(h.p);
        return -1;
    }
    FILE *f = af.f;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) {
        len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    }
    bool ok = fwrite(len8, 1, 8, f) == 8 && fwrite(h.p, 1, h.n, f) == h.n;
    free(h.p);
    bool le = host_is_le();
    unsigned char *swapbuf = NULL;
    for (int i = 0; ok && i < tensors->n; i++) {
        const tt_tensor *t = tensors->t[i];
        size_t bytes = (size_t)t->numel * 4u;
        if (le) {
            ok = fwrite(t->data, 1, bytes, f) == bytes;
        } else {
            swapbuf = realloc(swapbuf, bytes ? bytes : 1);
            ok = swapbuf != NULL;
            if (ok) {
                memcpy(swapbuf, t->data, bytes);
                swap4(swapbuf, bytes);
                ok = fwrite(swapbuf, 1, bytes, f) == bytes;
            }
        }
    }
    free(swapbuf);
    if (!ok) {
        int e = errno;
        tt_atomic_abort(&af);
        return ck_err(err, errlen, "%s: write failed (%s); the previous file, if any, is unchanged", path,
                      strerror(e));
    }
    return tt_atomic_commit(&af, err, errlen);
}

/* ---- load ---------------------------------------------------------------------------------------- */

typedef struct st_entry {
    const char *name;      /* points into the JSON tree */
    const char *dtype;
    int elsize;
    int ndim;
    int64_t shape[TT_MAX_DIMS];
    uint64_t begin, end;   /* byte offsets in the data section */
} st_entry;

typedef struct st_file {
    unsigned char *bytes;  /* whole file */
    size_t size;
    uint64_t header_len;
    tt_json *header;
    tt_json *meta;         /* "__metadata__" or NULL */
    st_entry *e;           /* file order */
    int n;
    st_entry *by_name;     /* the same entries sorted by name: lookups by binary search */
    const tt_json **meta_by_key; /* meta's members sorted by key */
    int n_meta;
} st_file;

static void st_close(st_file *sf)
{
    free(sf->bytes);
    tt_json_free(sf->header);
    free(sf->e);
    free(sf->by_name);
    free((void *)sf->meta_by_key);
    memset(sf, 0, sizeof *sf);
}

static int cmp_meta_key(const void *a, const void *b)
{
    return strcmp((*(const tt_json *const *)a)->key, (*(const tt_json *const *)b)->key);
}

/* Lookups are binary searches over sorted indexes: a reader asking for each of L layers' entries
 * costs L log n, not L n (4096 linear lookups in a 1 MB header of 10^5 members took seconds). */
static const char *st_meta(const st_file *sf, const char *key)
{
    int lo = 0, hi = sf->n_meta - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(sf->meta_by_key[mid]->key, key);
        if (c == 0) {
            return sf->meta_by_key[mid]->string; /* st_open checked every value is a string */
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return NULL;
}

static const st_entry *st_find(const st_file *sf, const char *name)
{
    int lo = 0, hi = sf->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(sf->by_name[mid].name, name);
        if (c == 0) {
            return &sf->by_name[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return NULL;
}

static int dtype_size(const char *d)
{
    static const struct { const char *name; int size; } table[] = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1},
        {"U64", 8}, {"U32", 4}, {"U16", 2}, {"U8", 1}, {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(d, table[i].name) == 0) {
            return table[i].size;
        }
    }
    return 0;
}

static bool json_uint(const tt_json *j, uint64_t *out)
{
    if (!j || j->type != TT_JSON_NUMBER || j->number < 0 || j->number > 9007199254740992.0 ||
        j->number != (double)(uint64_t)j->number) {
        return false;
    }
    *out = (uint64_t)j->number;
    return true;
}

static int cmp_begin(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end < y->end ? -1 : x->end > y->end);
}

/* Reads exactly n bytes at the current position (false on a short read or an error). */
static bool read_exact(FILE *f, void *buf, size_t n)
{
    return fread(buf, 1, n, f) == n;
}

/* Opens and validates a safetensors file: the 8-byte length and the header are read and checked
 * against the file's size before anything else is allocated; the data section is read only when
 * with_data is set (tt_safetensors_meta needs only the header). */
static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const st_entry *)a)->name, ((const st_entry *)b)->name);
}

static int st_open(const char *path, st_file *sf, bool with_data, char *err, size_t errlen)
{
    memset(sf, 0, sizeof *sf);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return ck_err(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ck_err(err, errlen, "%s: not a regular file", path);
    }
    uint64_t n = (uint64_t)st.st_size;
    unsigned char len8[8];
    if (n < 8 || !read_exact(f, len8, 8)) {
        fclose(f);
        return ck_err(err, errlen, "%s: truncated: %llu bytes, not even the 8-byte header length", path,
                      (unsigned long long)n);
    }
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) {
        hl = (hl << 8) | len8[i];
    }
    if (hl > ST_MAX_HEADER) {
        fclose(f);
        return ck_err(err, errlen, "%s: header length %llu is implausible (not a safetensors file?)", path,
                      (unsigned long long)hl);
    }
    if (hl > n - 8) {
        fclose(f);
        return ck_err(err, errlen, "%s: truncated: the header needs %llu bytes, the file has %llu after the length",
                      path, (unsigned long long)hl, (unsigned long long)(n - 8));
    }
    /* header and (when asked) data in one block laid out as in the file */
    uint64_t keep = with_data ? n : 8 + hl;
    unsigned char *buf = malloc((size_t)keep);
    if (!buf) {
        fclose(f);
        return ck_err(err, errlen, "%s: out of memory reading %llu bytes", path, (unsigned long long)keep);
    }
    memcpy(buf, len8, 8);
    bool ok = read_exact(f, buf + 8, (size_t)(keep - 8));
    fclose(f);
    if (!ok) {
        free(buf);
        return ck_err(err, errlen, "%s: read error (the file shrank while being read?)", path);
    }
    sf->bytes = buf;
    sf->size = (size_t)n;
    if (hl == 0 || buf[8] != '{') {
        ck_err(err, errlen, "%s: the header is not a JSON object (not a safetensors file?)", path);
        st_close(sf);
        return -1;
    }
    sf->header_len = hl;
    char jerr[256];
    sf->header = tt_json_parse_max((const char *)buf + 8, (size_t)hl, TT_SAFETENSORS_MAX_VALUES, jerr, sizeof jerr);
    if (!sf->header) {
        ck_err(err, errlen, "%s: corrupt header JSON (%s)", path, jerr);
        st_close(sf);
        return -1;
    }
    if (sf->header->type != TT_JSON_OBJECT) {
        ck_err(err, errlen, "%s: the header is not a JSON object", path);
        st_close(sf);
        return -1;
    }
    sf->e = calloc((size_t)(sf->header->count ? sf->header->count : 1), sizeof *sf->e);
    if (!sf->e) {
        ck_err(err, errlen, "%s: out of memory", path);
        st_close(sf);
        return -1;
    }
    uint64_t data_size = (uint64_t)n - 8 - hl;
    for (tt_json *k = sf->header->child; k; k = k->next) {
        if (strcmp(k->key, "__metadata__") == 0) {
            if (k->type != TT_JSON_OBJECT || sf->meta) {
                ck_err(err, errlen, "%s: __metadata__ is %s", path, sf->meta ? "given twice" : "not an object");
                st_close(sf);
                return -1;
            }
            for (tt_json *m = k->child; m; m = m->next) {
                if (m->type != TT_JSON_STRING || strlen(m->string) != m->len) {
                    ck_err(err, errlen, "%s: __metadata__ value \"%s\" is not a string (without NULs)", path,
                           m->key);
                    st_close(sf);
                    return -1;
                }
            }
            sf->meta = k;
            continue;
        }
        st_entry *e = &sf->e[sf->n];
        e->name = k->key;
        tt_json *dt = tt_json_get(k, "dtype"), *sh = tt_json_get(k, "shape"), *of = tt_json_get(k, "data_offsets");
        if (k->type != TT_JSON_OBJECT || !dt || !sh || !of) {
            ck_err(err, errlen, "%s: tensor \"%s\": entry needs dtype, shape and data_offsets", path, e->name);
            st_close(sf);
            return -1;
        }
        if (dt->type != TT_JSON_STRING || strlen(dt->string) != dt->len || !(e->elsize = dtype_size(dt->string))) {
            ck_err(err, errlen, "%s: tensor \"%s\": unknown dtype", path, e->name);
            st_close(sf);
            return -1;
        }
        e->dtype = dt->string;
        if (sh->type != TT_JSON_ARRAY || sh->count > TT_MAX_DIMS) {
            ck_err(err, errlen, "%s: tensor \"%s\": shape must be an array of at most %d sizes", path,
                          e->name, TT_MAX_DIMS);
            st_close(sf);
            return -1;
        }
        uint64_t numel = 1, nonzero = 1;
        e->ndim = sh->count;
        int d = 0;
        for (tt_json *s = sh->child; s; s = s->next, d++) {
            uint64_t v;
            if (!json_uint(s, &v) || v > ST_MAX_NUMEL) {
                ck_err(err, errlen, "%s: tensor \"%s\": bad size in shape", path, e->name);
                st_close(sf);
                return -1;
            }
            e->shape[d] = (int64_t)v;
            /* checked before multiplying, so the byte count below cannot wrap (to 0, say) */
            if (v != 0 && nonzero > ST_MAX_NUMEL / v) {
                ck_err(err, errlen, "%s: tensor \"%s\": shape too large", path, e->name);
                st_close(sf);
                return -1;
            }
            nonzero *= v ? v : 1;
            numel *= v;
        }
        if (of->type != TT_JSON_ARRAY || of->count != 2 || !json_uint(tt_json_at(of, 0), &e->begin) ||
            !json_uint(tt_json_at(of, 1), &e->end) || e->end < e->begin) {
            ck_err(err, errlen, "%s: tensor \"%s\": data_offsets must be [begin, end] with begin <= end",
                          path, e->name);
            st_close(sf);
            return -1;
        }
        if (e->end - e->begin != numel * (uint64_t)e->elsize) {
            ck_err(err, errlen, "%s: tensor \"%s\": %llu data bytes for a shape that needs %llu", path,
                          e->name, (unsigned long long)(e->end - e->begin),
                          (unsigned long long)(numel * (uint64_t)e->elsize));
            st_close(sf);
            return -1;
        }
        if (e->end > data_size) {
            ck_err(err, errlen,
                          "%s: truncated: tensor \"%s\" ends at data byte %llu, the file holds %llu data bytes",
                          path, e->name, (unsigned long long)e->end, (unsigned long long)data_size);
            st_close(sf);
            return -1;
        }
        sf->n++;
    }
    /* The data section must be exactly the tensors, packed: no overlap, no hole, nothing after. */
    st_entry *sorted = malloc((size_t)(sf->n ? sf->n : 1) * sizeof *sorted);
    if (!sorted) {
        ck_err(err, errlen, "%s: out of memory", path);
        st_close(sf);
        return -1;
    }
    memcpy(sorted, sf->e, (size_t)sf->n * sizeof *sorted);
    qsort(sorted, (size_t)sf->n, sizeof *sorted, cmp_begin);
    uint64_t at = 0;
    for (int i = 0; i < sf->n; i++) {
        if (sorted[i].begin != at) {
            const char *nm = sorted[i].name;
            bool overlap = sorted[i].begin < at;
            ck_err(err, errlen, "%s: tensor \"%s\" %s at data byte %llu", path, nm,
                          overlap ? "overlaps the previous tensor" : "leaves a gap before it",
                          (unsigned long long)at);
            free(sorted);
            st_close(sf);
            return -1;
        }
        at = sorted[i].end;
    }
    /* Names must be unique: JSON allows repeated members, a checkpoint must not (which one wins?). */
    qsort(sorted, (size_t)sf->n, sizeof *sorted, cmp_name);
    for (int i = 1; i < sf->n; i++) {
        if (strcmp(sorted[i].name, sorted[i - 1].name) == 0) {
            ck_err(err, errlen, "%s: tensor \"%s\" appears twice in the header", path, sorted[i].name);
            free(sorted);
            st_close(sf);
            return -1;
        }
    }
    sf->by_name = sorted;
    if (sf->meta && sf->meta->count > 0) {
        sf->meta_by_key = malloc((size_t)sf->meta->count * sizeof *sf->meta_by_key);
        if (!sf->meta_by_key) {
            ck_err(err, errlen, "%s: out of memory", path);
            st_close(sf);
            return -1;
        }
        for (const tt_json *m = sf->meta->child; m; m = m->next) {
            sf->meta_by_key[sf->n_meta++] = m;
        }
        qsort((void *)sf->meta_by_key, (size_t)sf->n_meta, sizeof *sf->meta_by_key, cmp_meta_key);
    }
    if (at != data_size) {
        ck_err(err, errlen, "%s: %llu bytes after the last tensor (corrupt file?)", path,
                      (unsigned long long)(data_size - at));
        st_close(sf);
        return -1;
    }
    return 0;
}

int tt_safetensors_load(const char *path, const tt_params *into, bool strict, char *err, size_t errlen)
{
    st_file sf;
    if (st_open(path, &sf, true, err, errlen) != 0) {
        return -1;
    }
    const st_entry **match = calloc((size_t)(into->n ? into->n : 1), sizeof *match);
    if (!match) {
        st_close(&sf);
        return ck_err(err, errlen, "%s: out of memory", path);
    }
    int rc = -1;
    for (int i = 0; i < into->n; i++) {
        const tt_tensor *t = into->t[i];
        match[i] = st_find(&sf, into->names[i]);
        const st_entry *e = match[i];
        if (!e) {
            ck_err(err, errlen, "%s: tensor \"%s\" is missing from the file", path, into->names[i]);
            goto done;
        }
        if (strcmp(e->dtype, "F32") != 0) {
            ck_err(err, errlen, "%s: tensor \"%s\" has dtype %s, expected F32", path, e->name, e->dtype);
            goto done;
        }
        bool same = e->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++) {
            same = e->shape[d] == t->shape[d];
        }
        if (!same) {
            char want[96], got[96] = "[";
            size_t pos = 1;
            for (int d = 0; d < e->ndim; d++) {
                pos += (size_t)snprintf(got + pos, sizeof got - pos, d ? ", %lld" : "%lld", (long long)e->shape[d]);
                if (pos >= sizeof got) {
                    pos = sizeof got - 1;
                    break;
                }
            }
            snprintf(got + pos, sizeof got - pos, "]");
            ck_err(err, errlen, "%s: tensor \"%s\" has shape %s in the file, the model expects %s", path,
                   e->name, got, tt_shape_str(t, want, sizeof want));
            goto done;
        }
    }
    if (strict) { /* every tensor of the file is one of the model's (by index: linear, not n x m) */
        bool *used = calloc((size_t)(sf.n ? sf.n : 1), sizeof *used);
        if (!used) {
            ck_err(err, errlen, "%s: out of memory", path);
            goto done;
        }
        for (int i = 0; i < into->n; i++) {
            used[match[i] - sf.by_name] = true;
        }
        for (int k = 0; k < sf.n; k++) {
            if (!used[k]) {
                ck_err(err, errlen, "%s: unexpected tensor \"%s\" (the model has no parameter of that name)",
                       path, sf.by_name[k].name);
                free(used);
                goto done;
            }
        }
        free(used);
    }
    /* Everything checked: copy. */
    const unsigned char *data = sf.bytes + 8 + sf.header_len;
    bool le = host_is_le();
    for (int i = 0; i < into->n; i++) {
        tt_tensor *t = into->t[i];
        size_t bytes = (size_t)(match[i]->end - match[i]->begin);
        memcpy(t->data, data + match[i]->begin, bytes);
        if (!le) {
            swap4((unsigned char *)t->data, bytes);
        }
    }
    rc = 0;
done:
    free(match);
    st_close(&sf);
    return rc;
}

int tt_safetensors_meta(const char *path, const char *key, char *out, size_t outlen, char *err,
                        size_t errlen)
{
    st_file sf;
    if (st_open(path, &sf, false, err, errlen) != 0) {
        return -1;
    }
    const char *v = st_meta(&sf, key);
    int rc = 1;
    if (v) {
        snprintf(out, outlen, "%s", v);
        rc = 0;
    }
    st_close(&sf);
    return rc;
}

/* ---- model + optimizer --------------------------------------------------------------------------- */

static void collect_checkpoint(tt_layer *model, const tt_optimizer *opt, tt_params *all)
{
    tt_params mp, sp;
    tt_params_init(&mp);
    tt_params_init(&sp);
    tt_layer_params(model, &mp);
    tt_layer_buffers(model, &mp); /* BatchNorm running statistics and the like */
    for (int i = 0; i < mp.n; i++) {
        tt_params_add(all, mp.names[i], mp.t[i]);
    }
    if (opt) {
        tt_optim_state(opt, &sp);
        for (int i = 0; i < sp.n; i++) {
            size_t len = strlen(sp.names[i]) + 16;
            char *nm = malloc(len);
            if (!nm) {
                tt_fatal("tt_checkpoint: out of memory");
            }
            snprintf(nm, len, "optimizer.%s", sp.names[i]);
            tt_params_add(all, nm, sp.t[i]);
            free(nm);
        }
    }
    tt_params_free(&mp);
    tt_params_free(&sp);
}

int tt_checkpoint_save(const char *path, tt_layer *model, const tt_optimizer *opt, const tt_kv *meta,
                       int n_meta, char *err, size_t errlen)
{
    tt_params all;
    tt_params_init(&all);
    collect_checkpoint(model, opt, &all);
    int rc = tt_safetensors_save(path, &all, meta, n_meta, err, errlen);
    tt_params_free(&all);
    return rc;
}

int tt_checkpoint_load(const char *path, tt_layer *model, tt_optimizer *opt, char *err, size_t errlen)
{
    tt_params all;
    tt_params_init(&all);
    collect_checkpoint(model, opt, &all);
    /* strict only when the optimizer state is requested too: a weights-only load may ignore it */
    int rc = tt_safetensors_load(path, &all, opt != NULL, err, errlen);
    tt_params_free(&all);
    return rc;
}

/* ---- reading tensors of any of F32 / I32 / I8 (module 15's int8 files) -------------------------- */

struct tt_safetensors_file {
    st_file sf;
    char *path;
};

tt_safetensors_file *tt_safetensors_open(const char *path, char *err, size_t errlen)
{
    tt_safetensors_file *f = calloc(1, sizeof *f);
    char *p = f ? malloc(strlen(path) + 1) : NULL;
    if (!p) {
        free(f);
        ck_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    strcpy(p, path);
    f->path = p;
    if (st_open(path, &f->sf, true, err, errlen) != 0) {
        free(p);
        free(f);
        return NULL;
    }
    return f;
}

void tt_safetensors_close(tt_safetensors_file *f)
{
    if (f) {
        st_close(&f->sf);
        free(f->path);
        free(f);
    }
}


int tt_safetensors_tensor_info(const tt_safetensors_file *f, const char *name, const char **dtype, int64_t *shape)
{
    const st_entry *e = st_find(&f->sf, name);
    if (!e) {
        return -1;
    }
    if (dtype) {
        *dtype = e->dtype;
    }
    if (shape) {
        memcpy(shape, e->shape, (size_t)e->ndim * sizeof *shape);
    }
    return e->ndim;
}

int tt_safetensors_read(const tt_safetensors_file *f, const char *name, const char *dtype, int ndim,
                        const int64_t *shape, void *out, char *err, size_t errlen)
{
    if (strcmp(dtype, "F32") != 0 && strcmp(dtype, "I32") != 0 && strcmp(dtype, "I8") != 0) {
        return ck_err(err, errlen, "%s: tensor \"%s\": reading dtype %s is not supported (F32, I32, I8)", f->path,
                      name, dtype);
    }
    const st_entry *e = st_find(&f->sf, name);
    if (!e) {
        return ck_err(err, errlen, "%s: tensor \"%s\" is missing", f->path, name);
    }
    if (strcmp(e->dtype, dtype) != 0) {
        return ck_err(err, errlen, "%s: tensor \"%s\": dtype %s, want %s", f->path, name, e->dtype, dtype);
    }
    bool same = e->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) {
        same = e->shape[d] == shape[d];
    }
    if (!same) {
        char want[128] = "", got[128] = "";
        for (int d = 0; d < ndim || d < e->ndim; d++) {
            size_t a = strlen(want), b = strlen(got);
            if (d < ndim) {
                snprintf(want + a, sizeof want - a, "%s%lld", d ? ", " : "", (long long)shape[d]);
            }
            if (d < e->ndim) {
                snprintf(got + b, sizeof got - b, "%s%lld", d ? ", " : "", (long long)e->shape[d]);
            }
        }
        return ck_err(err, errlen, "%s: tensor \"%s\": shape [%s] in the file, the model needs [%s]", f->path, name,
                      got, want);
    }
    const size_t bytes = (size_t)(e->end - e->begin);
    memcpy(out, f->sf.bytes + 8 + f->sf.header_len + e->begin, bytes);
    if (!host_is_le() && e->elsize == 4) {
        swap4(out, bytes);
    }
    return 0;
}

const char *tt_safetensors_meta_value(const tt_safetensors_file *f, const char *key)
{
    return st_meta(&f->sf, key);
}
