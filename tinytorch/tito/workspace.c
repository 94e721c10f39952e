/* workspace.c - solution markers (strip / restore) and grading a learner's module: a library built from
 * the learner's files for the graded and completed modules and the reference for the rest, then the
 * module's tests and the earlier modules' tests, compiled from the source tree (never from the
 * workspace, so editing a copied test cannot change a grade). Objects are cached under DIR/.tito-build
 * and rebuilt only when their source is newer, so a re-test recompiles just what changed. The tests run
 * with TT_ISA=portable, so no vector fast path stands between them and the learner's portable code. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <signal.h>
#include <strings.h>
#include <unistd.h>

#include "learn.h"
#include "tinytorch/fileio.h"

#ifndef MLSB_SOURCE_DIR
#define MLSB_SOURCE_DIR "."
#endif

/* ---- the module map ---------------------------------------------------------------------------- */

const tt_module_info tt_modules[TT_MODULE_COUNT] = {
    {1, "01_tensor", "Tensor", {"test_tensor.c"}},
    {2, "02_activations", "Activations", {"test_activations.c"}},
    {3, "03_layers", "Layers", {"test_layers.c"}},
    {4, "04_losses", "Losses", {"test_losses.c", "test_golden_core.c"}},
    {5, "05_dataloader", "DataLoader", {"test_data.c", "test_prep.c"}},
    {6, "06_autograd", "Autograd", {"test_autograd.c", "test_backward_hook.c"}},
    {7, "07_optimizers", "Optimizers", {"test_optim.c"}},
    {8, "08_training", "Training", {"test_train.c", "test_checkpoint.c"}},
    {9, "09_convolutions", "Convolutions", {"test_conv.c"}},
    {10, "10_tokenization", "Tokenization", {"test_tokenizer.c"}},
    {11, "11_embeddings", "Embeddings", {"test_embedding.c"}},
    {12, "12_attention", "Attention", {"test_attention.c"}},
    {13, "13_transformers", "Transformers", {"test_transformer.c"}},
    {14, "14_profiling", "Profiling", {"test_profile.c"}},
    {15, "15_quantization", "Quantization", {"test_quant.c"}},
    {16, "16_compression", "Compression", {"test_compress.c"}},
    {17, "17_acceleration", "Acceleration", {"test_gemm_reference.c"}},
    {18, "18_memoization", "Memoization", {"test_kvcache.c"}},
    {19, "19_benchmarking", "Benchmarking", {"test_bench.c"}},
    {20, "20_capstone", "Capstone", {"test_capstone.c"}},
};

const tt_module_info *tt_module_find(const char *q)
{
    if (!q || !*q) {
        return NULL;
    }
    char *end;
    long n = strtol(q, &end, 10);
    if (end != q && (*end == 0 || *end == '_')) {
        return n >= 1 && n <= TT_MODULE_COUNT ? &tt_modules[n - 1] : NULL;
    }
    for (int i = 0; i < TT_MODULE_COUNT; i++) {
        const char *name = strchr(tt_modules[i].dir, '_') + 1;
        if (strcasecmp(q, name) == 0 || strcasecmp(q, tt_modules[i].title) == 0) {
            return &tt_modules[i];
        }
    }
    return NULL;
}

char *tt_module_test_path(char *buf, size_t n, const char *src, const tt_module_info *m, const char *test)
{
    int w = snprintf(buf, n, "%s/tinytorch/src/%s/tests/%s", src, m->dir, test);
    return w >= 0 && (size_t)w < n ? buf : NULL;
}

const char *tt_source_dir(void)
{
    const char *e = getenv("TITO_SOURCE_DIR");
    if (e && *e) {
        return e;
    }
    e = getenv("MLSB_SOURCE_DIR");
    return e && *e ? e : MLSB_SOURCE_DIR;
}

/* ---- files ------------------------------------------------------------------------------------- */

char *tt_read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = cap < ((size_t)1 << 30) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len) {
            *len = n;
        }
    }
    return buf;
}

int tt_write_atomic(const char *path, const char *text, size_t len)
{
    return tt_write_file_atomic(path, text, len, NULL, 0);
}

/* ---- strip / restore --------------------------------------------------------------------------- */

typedef struct sbuf { char *p; size_t n, cap; } sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        char *np = realloc(b->p, cap);
        if (!np) {
            return -1;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

/* The line [s, e) with its leading blanks skipped starts with the marker. */
static int line_is(const char *s, const char *e, const char *marker)
{
    while (s < e && (*s == ' ' || *s == '\t')) {
        s++;
    }
    size_t m = strlen(marker);
    return (size_t)(e - s) >= m && memcmp(s, marker, m) == 0;
}

static int is_ident(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A function header starts at column 0 with an identifier and has '(': the name is the identifier
 * right before the first '('. */
static void header_name(const char *s, const char *e, char *name, size_t len)
{
    if (s >= e || !is_ident(*s) || (*s >= '0' && *s <= '9')) {
        return;
    }
    const char *paren = memchr(s, '(', (size_t)(e - s));
    if (!paren) {
        return;
    }
    const char *q = paren;
    while (q > s && q[-1] == ' ') {
        q--;
    }
    const char *b = q;
    while (b > s && is_ident(b[-1])) {
        b--;
    }
    if (b < q && (size_t)(q - b) < len) {
        memcpy(name, b, (size_t)(q - b));
        name[q - b] = 0;
    }
}

char *tt_strip(const char *text, int module, int *nblocks, char *err, size_t errlen)
{
    sbuf out = {0};
    char fn[128] = "this function";
    int blocks = 0, line = 0, begin_line = 0;
    const char *begin = NULL, *p = text;
    if (sb_add(&out, "", 0) != 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while (*p) {
        const char *e = strchr(p, '\n');
        const char *next = e ? e + 1 : p + strlen(p);
        if (!e) {
            e = next;
        }
        line++;
        if (line_is(p, e, TT_BEGIN_SOLUTION)) {
            if (begin) {
                snprintf(err, errlen, "line %d: BEGIN SOLUTION inside the block opened at line %d", line, begin_line);
                free(out.p);
                return NULL;
            }
            begin = p;
            begin_line = line;
        } else if (line_is(p, e, TT_END_SOLUTION)) {
            if (!begin) {
                snprintf(err, errlen, "line %d: END SOLUTION without a BEGIN SOLUTION", line);
                free(out.p);
                return NULL;
            }
            size_t indent = 0;
            while (begin[indent] == ' ' || begin[indent] == '\t') {
                indent++;
            }
            char stub[512];
            int n = snprintf(stub, sizeof stub,
                             "tt_fatal(\"%s: not implemented yet \xe2\x80\x94 module %02d\"); " TT_STUB_TAG "\n", fn,
                             module);
            if (sb_add(&out, begin, indent) != 0 || sb_add(&out, stub, (size_t)n) != 0) {
                snprintf(err, errlen, "out of memory");
                free(out.p);
                return NULL;
            }
            begin = NULL;
            blocks++;
        } else if (!begin) {
            header_name(p, e, fn, sizeof fn);
            if (sb_add(&out, p, (size_t)(next - p)) != 0) {
                snprintf(err, errlen, "out of memory");
                free(out.p);
                return NULL;
            }
        }
        p = next;
    }
    if (begin) {
        snprintf(err, errlen, "line %d: BEGIN SOLUTION never closed by END SOLUTION", begin_line);
        free(out.p);
        return NULL;
    }
    if (nblocks) {
        *nblocks = blocks;
    }
    return out.p;
}

char *tt_restore(const char *stripped, const char *reference, char *err, size_t errlen)
{
    /* The reference's blocks, in order. */
    const char *blk[1024];
    size_t blen[1024];
    int nb = 0;
    const char *p = reference, *begin = NULL;
    while (*p) {
        const char *e = strchr(p, '\n');
        const char *next = e ? e + 1 : p + strlen(p);
        if (!e) {
            e = next;
        }
        if (line_is(p, e, TT_BEGIN_SOLUTION)) {
            begin = p;
        } else if (begin && line_is(p, e, TT_END_SOLUTION)) {
            if (nb == 1024) {
                snprintf(err, errlen, "more than 1024 solution blocks");
                return NULL;
            }
            blk[nb] = begin;
            blen[nb++] = (size_t)(next - begin);
            begin = NULL;
        }
        p = next;
    }
    sbuf out = {0};
    int used = 0;
    sb_add(&out, "", 0);
    for (p = stripped; *p;) {
        const char *e = strchr(p, '\n');
        const char *next = e ? e + 1 : p + strlen(p);
        if (!e) {
            e = next;
        }
        const char *tag = strstr(p, TT_STUB_TAG);
        int ok;
        if (tag && tag < e) {
            if (used == nb) {
                snprintf(err, errlen, "more stubs than the reference has solution blocks (%d)", nb);
                free(out.p);
                return NULL;
            }
            ok = sb_add(&out, blk[used], blen[used]);
            used++;
        } else {
            ok = sb_add(&out, p, (size_t)(next - p));
        }
        if (ok != 0) {
            snprintf(err, errlen, "out of memory");
            free(out.p);
            return NULL;
        }
        p = next;
    }
    if (used != nb) {
        snprintf(err, errlen, "%d stubs for %d solution blocks in the reference", used, nb);
        free(out.p);
        return NULL;
    }
    return out.p;
}

/* ---- running compilers and tests --------------------------------------------------------------- */

#define MAX_JOBS 512

typedef struct job {
    char *argv[48];
    int argc;
    char *logfile; /* stdout+stderr go here when set */
    int timeout_s;
    bool portable; /* run with TT_ISA=portable (see grade_core) */
} job;

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fputs("tito: out of memory\n", stderr);
        exit(2);
    }
    return d;
}

static char *fmt(const char *f, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return xstrdup(buf);
}

static void job_arg(job *j, const char *a)
{
    if (j->argc < 46) {
        j->argv[j->argc++] = xstrdup(a);
        j->argv[j->argc] = NULL;
    }
}

static void job_free(job *j)
{
    for (int i = 0; i < j->argc; i++) {
        free(j->argv[i]);
    }
    free(j->logfile);
    memset(j, 0, sizeof *j);
}

static pid_t job_spawn(const job *j, const char *cwd)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (cwd && chdir(cwd) != 0) {
            _exit(127);
        }
        if (j->logfile) {
            int fd = open(j->logfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        if (j->timeout_s > 0) {
            alarm((unsigned)j->timeout_s);
        }
        if (j->portable) {
            setenv("TT_ISA", "portable", 1);
        }
        execvp(j->argv[0], j->argv);
        fprintf(stderr, "tito: cannot run %s: %s\n", j->argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Runs the jobs, up to the number of CPUs at a time. Returns the number that failed; ok[i] per job. */
static int run_jobs(job *jobs, int n, int *ok)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int width = ncpu > 0 ? (int)(ncpu > 16 ? 16 : ncpu) : 1;
    pid_t pids[MAX_JOBS];
    int next = 0, running = 0, failed = 0;
    while (next < n || running > 0) {
        while (next < n && running < width) {
            pids[next] = job_spawn(&jobs[next], NULL);
            if (pids[next] < 0) {
                ok[next] = 0;
                failed++;
            } else {
                running++;
            }
            next++;
        }
        int st;
        pid_t done = wait(&st);
        if (done < 0) {
            break;
        }
        for (int i = 0; i < next; i++) {
            if (pids[i] == done) {
                ok[i] = WIFEXITED(st) && WEXITSTATUS(st) == 0;
                failed += !ok[i];
                pids[i] = 0;
                running--;
            }
        }
    }
    return failed;
}

int tito_mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                return -1;
            }
            *s = '/';
        }
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* dst exists and is not older than src. */
static int up_to_date(const char *dst, const char *src)
{
    struct stat a, b;
    if (stat(dst, &a) != 0 || stat(src, &b) != 0) {
        return 0;
    }
    return a.st_mtim.tv_sec > b.st_mtim.tv_sec ||
           (a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec >= b.st_mtim.tv_nsec);
}

static const char *compiler(void)
{
    const char *cc = getenv("CC");
    return cc && *cc ? cc : "cc";
}

static void add_cflags(job *j)
{
    job_arg(j, compiler());
    job_arg(j, "-std=c11");
    job_arg(j, "-O2");
    job_arg(j, "-g");
    job_arg(j, "-Wall");
    job_arg(j, "-Wextra");
    job_arg(j, "-Wno-unknown-pragmas");
    /* a stub leaves the variables around it unused: not worth a screenful of warnings */
    job_arg(j, "-Wno-unused-variable");
    job_arg(j, "-Wno-unused-but-set-variable");
    job_arg(j, "-Wno-unused-function");
    job_arg(j, "-Wno-unused-parameter");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .c files of a folder, sorted; returns the count (at most max). */
static int list_c_files(const char *dir, char **names, int max)
{
    DIR *d = opendir(dir);
    if (!d) {
        return -1;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        size_t l = strlen(de->d_name);
        if (l > 2 && strcmp(de->d_name + l - 2, ".c") == 0 && de->d_name[0] != '.') {
            names[n++] = xstrdup(de->d_name);
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    return n;
}

/* Compiles (what is out of date) and archives the library: the learner's files from DIR/NN_name for
 * the modules in learner_mods, the reference for the rest. 0, 1 (the learner's code did not compile)
 * or 2 (setup problem). */
static int build_library(const char *dir, unsigned learner_mods, const char *lib, bool quiet)
{
    const char *src = tt_source_dir();
    char *build = fmt("%s/.tito-build", dir);
    char *inc = fmt("-I%s/tinytorch/include", src);
    char *srcinc = fmt("-I%s/tinytorch/src", src);
    static job jobs[MAX_JOBS];
    static char *objs[MAX_JOBS];
    static int ok[MAX_JOBS];
    int nj = 0, nobj = 0, rc = 0;

    /* 1. objects: the learner's for their modules, the reference's for the rest, and the helpers
     *    several modules share (src/common, always the reference: index TT_MODULE_COUNT). */
    static const tt_module_info common = {0, "common", "shared helpers", {NULL}};
    for (int i = 0; i <= TT_MODULE_COUNT; i++) {
        const tt_module_info *mi = i < TT_MODULE_COUNT ? &tt_modules[i] : &common;
        int mine = i < TT_MODULE_COUNT && ((learner_mods >> mi->num) & 1u);
        char *from = mine ? fmt("%s/%s", dir, mi->dir) : fmt("%s/tinytorch/src/%s", src, mi->dir);
        char *objdir = fmt("%s/%s/%s", build, mine ? "learner" : "ref", mi->dir);
        char *names[64];
        int nf = list_c_files(from, names, 64);
        if (nf < 0) {
            if (mine) {
                printf("module %02d: %s is missing (tito module start %02d --dir %s writes it)\n", mi->num, from,
                       mi->num, dir);
            } else {
                printf("tito: the source tree has no %s (set TITO_SOURCE_DIR to the repository)\n", from);
            }
            free(from);
            free(objdir);
            rc = 2;
            goto out;
        }
        if (tito_mkdirs(objdir) != 0) {
            printf("tito: cannot create %s: %s\n", objdir, strerror(errno));
            rc = 2;
            goto out;
        }
        for (int f = 0; f < nf; f++) {
            char *c = fmt("%s/%s", from, names[f]);
            /* the module's folder in the object's name: an archive keeps one member per base name,
             * and several modules have a layers.c */
            char *o = fmt("%s/%s-%.*s.o", objdir, mi->dir, (int)(strlen(names[f]) - 2), names[f]);
            if (nobj < MAX_JOBS) {
                objs[nobj++] = o;
            }
            if (!up_to_date(o, c) && nj < MAX_JOBS) {
                job *j = &jobs[nj++];
                add_cflags(j);
                job_arg(j, inc);
                job_arg(j, srcinc);
                char *own = fmt("-I%s/tinytorch/src/%s", src, mi->dir);
                job_arg(j, own);
                free(own);
                job_arg(j, "-c");
                job_arg(j, c);
                job_arg(j, "-o");
                job_arg(j, o);
                if (quiet || !mine) { /* the reference's warnings are not the learner's business */
                    j->logfile = fmt("%s.log", o);
                }
            }
            free(c);
            free(names[f]);
        }
        free(from);
        free(objdir);
    }
    if (nj > 0) {
        if (!quiet) {
            printf("compiling %d file%s with %s ...\n", nj, nj == 1 ? "" : "s", compiler());
        }
        if (run_jobs(jobs, nj, ok) > 0) {
            for (int i = 0; i < nj; i++) {
                if (!ok[i]) {
                    printf("COMPILE ERROR  %s\n", jobs[i].argv[jobs[i].argc - 3]);
                    char *log = jobs[i].logfile ? tt_read_text(jobs[i].logfile, NULL) : NULL;
                    if (log) {
                        fputs(log, stdout);
                        free(log);
                    }
                }
            }
            rc = 1;
        }
        for (int i = 0; i < nj; i++) {
            job_free(&jobs[i]);
        }
        nj = 0;
        if (rc) {
            goto out;
        }
    }

    /* 2. the library. */
    unlink(lib);
    {
        job *j = &jobs[0];
        job_arg(j, "ar");
        job_arg(j, "rcs");
        job_arg(j, lib);
        int first = 0;
        while (first < nobj) {
            /* ar in batches so no command line is too long */
            job_free(j);
            job_arg(j, "ar");
            job_arg(j, "rcs");
            job_arg(j, lib);
            int k = 0;
            while (first < nobj && k < 40) {
                job_arg(j, objs[first++]);
                k++;
            }
            if (run_jobs(j, 1, ok) != 0) {
                printf("tito: ar failed for %s\n", lib);
                job_free(j);
                rc = 2;
                goto out;
            }
        }
        job_free(j);
    }

out:
    for (int i = 0; i < nobj; i++) {
        free(objs[i]);
    }
    free(build);
    free(inc);
    free(srcinc);
    return rc;
}

/* tt_module_grade and tt_module_run_own: build the library, then compile, link and run the tests of
 * modules m..1 (TT_GRADE_OWN: m's alone; TT_GRADE_UNTIL_FAIL: the earlier modules' only if m's pass).
 * With runs set nothing about the tests is printed and each test file's outcome goes into runs[]
 * (*nruns of them). */
static int grade_core(const tt_module_info *m, const char *dir, unsigned learner_mods, bool quiet,
                      tt_grade_scope scope, tt_test_run *runs, int *nruns);

int tt_module_grade(const tt_module_info *m, const char *dir, unsigned learner_mods, bool quiet,
                    tt_grade_scope scope)
{
    return grade_core(m, dir, learner_mods, quiet, scope, NULL, NULL);
}

int tt_module_run_own(const tt_module_info *m, const char *dir, unsigned learner_mods, tt_test_run *runs,
                      int *nruns)
{
    *nruns = 0;
    for (int k = 0; k < TT_MODULE_MAX_TESTS && m->tests[k]; k++) {
        memset(&runs[k], 0, sizeof runs[k]);
        runs[k].file = m->tests[k];
        runs[k].status = 1; /* until it is linked and run */
        *nruns = k + 1;
    }
    int n = *nruns;
    int rc = grade_core(m, dir, learner_mods, true, TT_GRADE_OWN, runs, nruns);
    *nruns = n;
    for (int k = 0; k < n && rc != 0; k++) {
        runs[k].status = 2;
    }
    return rc;
}

static int grade_core(const tt_module_info *m, const char *dir, unsigned learner_mods, bool quiet,
                      tt_grade_scope scope, tt_test_run *runs, int *nruns)
{
    const bool own_only = scope == TT_GRADE_OWN;
    const char *src = tt_source_dir();
    char *build = fmt("%s/.tito-build", dir);
    char *inc = fmt("-I%s/tinytorch/include", src);
    static job jobs[MAX_JOBS];
    static int ok[MAX_JOBS];
    int nj = 0, rc = 0;
    learner_mods |= 1u << m->num;
    char *lib = fmt("%s/libtinytorch-%02d.a", build, m->num);
    rc = build_library(dir, learner_mods, lib, quiet);
    if (rc) {
        free(lib);
        free(build);
        free(inc);
        return rc;
    }

    /* 3. the tests of modules 1..m, compiled from the source tree, linked against the library. */
    char *testdir = fmt("%s/tests", build);
    tito_mkdirs(testdir);
    const char *tests[TT_MODULE_COUNT * TT_MODULE_MAX_TESTS];
    int tmod[TT_MODULE_COUNT * TT_MODULE_MAX_TESTS];
    int nt = 0;
    for (int i = m->num - 1; i >= (own_only ? m->num - 1 : 0); i--) { /* the graded module's own tests first */
        for (int k = 0; k < TT_MODULE_MAX_TESTS && tt_modules[i].tests[k]; k++) {
            tests[nt] = tt_modules[i].tests[k];
            tmod[nt++] = tt_modules[i].num;
        }
    }
    char *defsrc = fmt("-DMLSB_SOURCE_DIR=\"%s\"", src);
    char *defdata = fmt("-DMLSB_TEST_DATA=\"%s/tinytorch/tests/data\"", src);
    char *testinc = fmt("-I%s/tinytorch/tests", src);
    for (int t = 0; t < nt; t++) {
        char *c = fmt("%s/tinytorch/src/%s/tests/%s", src, tt_modules[tmod[t] - 1].dir, tests[t]);
        char *o = fmt("%s/%.*s.o", testdir, (int)(strlen(tests[t]) - 2), tests[t]);
        if (!up_to_date(o, c)) {
            job *j = &jobs[nj++];
            add_cflags(j);
            job_arg(j, inc);
            job_arg(j, testinc);
            job_arg(j, defsrc);
            job_arg(j, defdata);
            job_arg(j, "-c");
            job_arg(j, c);
            job_arg(j, "-o");
            job_arg(j, o);
        }
        free(c);
        free(o);
    }
    if (nj > 0 && run_jobs(jobs, nj, ok) > 0) {
        printf("tito: a test file of the source tree did not compile (is the tree complete?)\n");
        rc = 2;
    }
    for (int i = 0; i < nj; i++) {
        job_free(&jobs[i]);
    }
    nj = 0;
    for (int t = 0; t < nt && rc == 0; t++) {
        job *j = &jobs[nj++];
        job_arg(j, compiler());
        char *o = fmt("%s/%.*s.o", testdir, (int)(strlen(tests[t]) - 2), tests[t]);
        char *exe = fmt("%s/%.*s", testdir, (int)(strlen(tests[t]) - 2), tests[t]);
        job_arg(j, o);
        job_arg(j, lib);
        job_arg(j, "-lcmocka");
        job_arg(j, "-lz");
        job_arg(j, "-lm");
        job_arg(j, "-o");
        job_arg(j, exe);
        j->logfile = fmt("%s.link.log", exe);
        free(o);
        free(exe);
    }
    if (rc == 0 && run_jobs(jobs, nj, ok) > 0) {
        for (int i = 0; i < nj; i++) {
            if (runs && i < *nruns) {
                runs[i].status = ok[i] ? 1 : 2;
                if (!ok[i]) {
                    snprintf(runs[i].log, sizeof runs[i].log, "%s", jobs[i].logfile);
                }
                continue;
            }
            if (!ok[i]) {
                printf("LINK ERROR  %s (a function the tests call is missing):\n", tests[i]);
                char *log = tt_read_text(jobs[i].logfile, NULL);
                if (log) {
                    fputs(log, stdout);
                    free(log);
                }
            }
        }
        if (!runs) { /* a report keeps going: the files that did link still run */
            rc = 1;
        }
    }
    for (int i = 0; i < nj; i++) {
        job_free(&jobs[i]);
    }
    nj = 0;

    /* 4. run them, one at a time (their output is the learner's feedback). */
    int failed = 0;
    for (int t = 0; t < nt && rc == 0; t++) {
        if (runs && t < *nruns && runs[t].status == 2) {
            continue; /* did not link */
        }
        if (scope == TT_GRADE_UNTIL_FAIL && failed && tmod[t] != m->num) {
            printf("the earlier modules' tests were not run: module %02d's own tests fail\n", m->num);
            break;
        }
        job j = {0};
        char *exe = fmt("%s/%.*s", testdir, (int)(strlen(tests[t]) - 2), tests[t]);
        job_arg(&j, exe);
        j.logfile = fmt("%s.log", exe);
        j.timeout_s = 300;
        /* The vector fast paths (AVX2 / AVX-512 convolution, int8 and GEMM kernels, chosen at run time)
         * are the library's, not the course's: with them off, the tests run the portable code a learner
         * writes (im2col, the plain pools, the portable int8 kernel ...) instead of going around it. */
        j.portable = true;
        pid_t pid = job_spawn(&j, testdir);
        int st = 0;
        int good = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        const char *what = tmod[t] == m->num ? "module" : "earlier module";
        if (runs && t < *nruns) {
            runs[t].status = good ? 0 : 1;
            runs[t].signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
            snprintf(runs[t].log, sizeof runs[t].log, "%s", j.logfile);
            failed += !good;
        } else if (good) {
            if (!quiet) {
                printf("PASS  %-24s (%s %02d)\n", tests[t], what, tmod[t]);
            }
        } else {
            failed++;
            printf("FAIL  %-24s (%s %02d)", tests[t], what, tmod[t]);
            if (WIFSIGNALED(st)) {
                printf(" - killed by signal %d%s", WTERMSIG(st),
                       WTERMSIG(st) == SIGALRM ? " (ran past 300 s: an endless loop?)" : "");
            }
            printf("\n");
            if (!quiet) {
                char *log = tt_read_text(j.logfile, NULL);
                if (log) {
                    /* the failing cases and their messages; the full log stays in the file */
                    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
                        if (!strstr(line, "[ RUN      ]") && !strstr(line, "[       OK ]")) {
                            printf("    %s\n", line);
                        }
                    }
                    free(log);
                }
                printf("    (full output: %s)\n", j.logfile);
            }
        }
        job_free(&j);
        free(exe);
    }
    if (rc == 0 && failed && !runs) {
        rc = 1;
    }
    free(testdir);
    free(defsrc);
    free(defdata);
    free(testinc);
    free(lib);
    free(build);
    free(inc);
    return rc;
}

/* ---- a milestone on the learner's library ----------------------------------------------------- */

static int compile_dir(const char *from, const char *objdir, const char *const *flags, int nflags, char **objs,
                       int *nobj, int max)
{
    static job jobs[MAX_JOBS];
    static int ok[MAX_JOBS];
    char *names[128];
    int nf = list_c_files(from, names, 128), nj = 0, rc = 0;
    if (nf < 0 || tito_mkdirs(objdir) != 0) {
        printf("tito: cannot read %s or create %s\n", from, objdir);
        return 2;
    }
    for (int f = 0; f < nf; f++) {
        char *c = fmt("%s/%s", from, names[f]);
        char *o = fmt("%s/%.*s.o", objdir, (int)(strlen(names[f]) - 2), names[f]);
        if (*nobj < max) {
            objs[(*nobj)++] = xstrdup(o);
        }
        if (!up_to_date(o, c) && nj < MAX_JOBS) {
            job *j = &jobs[nj++];
            add_cflags(j);
            for (int k = 0; k < nflags; k++) {
                job_arg(j, flags[k]);
            }
            job_arg(j, "-c");
            job_arg(j, c);
            job_arg(j, "-o");
            job_arg(j, o);
            j->logfile = fmt("%s.log", o);
        }
        free(c);
        free(o);
        free(names[f]);
    }
    if (nj > 0 && run_jobs(jobs, nj, ok) > 0) {
        for (int i = 0; i < nj; i++) {
            if (!ok[i]) {
                printf("tito: %s did not compile (see %s)\n", jobs[i].argv[jobs[i].argc - 3], jobs[i].logfile);
            }
        }
        rc = 2;
    }
    for (int i = 0; i < nj; i++) {
        job_free(&jobs[i]);
    }
    return rc;
}

int tt_build_learner_milestone(const char *dir, unsigned learner_mods, int milestone, char *exe, size_t len)
{
    const char *src = tt_source_dir();
    char *build = fmt("%s/.tito-build", dir);
    char *lib = fmt("%s/libtinytorch-learner.a", build);
    int rc = build_library(dir, learner_mods, lib, false);
    static char *objs[MAX_JOBS];
    int nobj = 0;
    char *fl[4] = {fmt("-I%s/tinytorch/include", src), fmt("-I%s/tinytorch/milestones", src),
                   fmt("-DMLSB_SOURCE_DIR=\"%s\"", src), fmt("-DTT_MS_SYMBOL=tt_milestone_%02d", milestone)};
    char *msdir = fmt("%s/tinytorch/milestones", src);
    char *msfolder = NULL;
    DIR *d = opendir(msdir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (atoi(de->d_name) == milestone && de->d_name[0] != '.' && strchr(de->d_name, '_')) {
            msfolder = fmt("%s/%s", msdir, de->d_name);
        }
    }
    if (d) {
        closedir(d);
    }
    if (rc == 0 && !msfolder) {
        printf("tito: no folder for milestone %02d in %s\n", milestone, msdir);
        rc = 2;
    }
    if (rc == 0) {
        /* ms_common.c and the runner (each alone in its object folder), then the milestone's folder */
        char *od = fmt("%s/ms-objs/%02d", build, milestone);
        char *runner = fmt("%s/tinytorch/tito/runner", src);
        rc = compile_dir(runner, od, (const char *const *)fl, 4, objs, &nobj, MAX_JOBS);
        free(runner);
        if (rc == 0) {
            char *common = fmt("%s/ms_common.c", msdir), *o = fmt("%s/ms_common.o", od);
            job j = {0};
            int ok = 1;
            if (!up_to_date(o, common)) {
                add_cflags(&j);
                for (int k = 0; k < 3; k++) {
                    job_arg(&j, fl[k]);
                }
                job_arg(&j, "-c");
                job_arg(&j, common);
                job_arg(&j, "-o");
                job_arg(&j, o);
                j.logfile = fmt("%s.log", o);
                if (run_jobs(&j, 1, &ok) != 0) {
                    printf("tito: %s did not compile (see %s)\n", common, j.logfile);
                    rc = 2;
                }
                job_free(&j);
            }
            objs[nobj++] = xstrdup(o);
            free(common);
            free(o);
        }
        char *od2 = fmt("%s/ms", od);
        if (rc == 0) {
            rc = compile_dir(msfolder, od2, (const char *const *)fl, 3, objs, &nobj, MAX_JOBS);
        }
        free(od2);
        free(od);
    }
    if (rc == 0) {
        job j = {0};
        int ok = 0;
        char *out = fmt("%s/milestone-%02d", build, milestone);
        job_arg(&j, compiler());
        for (int i = 0; i < nobj && j.argc < 36; i++) {
            job_arg(&j, objs[i]);
        }
        job_arg(&j, lib);
        job_arg(&j, "-lz");
        job_arg(&j, "-lm");
        job_arg(&j, "-o");
        job_arg(&j, out);
        j.logfile = fmt("%s.link.log", out);
        if (run_jobs(&j, 1, &ok) != 0) {
            printf("tito: linking milestone %02d with your library failed (see %s)\n", milestone, j.logfile);
            rc = 2;
        } else if (snprintf(exe, len, "%s", out) >= (int)len) {
            rc = 2;
        }
        job_free(&j);
        free(out);
    }
    for (int i = 0; i < nobj; i++) {
        free(objs[i]);
    }
    for (int k = 0; k < 4; k++) {
        free(fl[k]);
    }
    free(msdir);
    free(msfolder);
    free(lib);
    free(build);
    return rc;
}
