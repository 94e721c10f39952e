/* machine.c - the fingerprint of the machine and build that produced a measurement (module 19):
 * CPU model and SIMD from /proc/cpuinfo, logical CPUs, the cpufreq governor when readable, the
 * compiler and the flags libtinytorch was built with, and uname. Fields that cannot be read are
 * "unknown"; nothing here fails. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "tinytorch/bench.h"

static void set(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src);
}

/* Copies the value of the first "key<spaces>: value" line of /proc/cpuinfo into out. */
static int cpuinfo_value(const char *key, char *out, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        return -1;
    }
    char line[8192];
    size_t kl = strlen(key);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && (line[kl] == ' ' || line[kl] == '\t' || line[kl] == ':')) {
            char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ') {
                    v++;
                }
                v[strcspn(v, "\n")] = 0;
                snprintf(out, len, "%s", v);
                found = 0;
            }
            break;
        }
    }
    fclose(f);
    return found;
}

/* True when the space-separated list holds the word w. */
static int has_word(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n) {
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) {
            return 1;
        }
    }
    return 0;
}

void tt_machine_fingerprint(tt_machine *m)
{
    memset(m, 0, sizeof *m);
    if (cpuinfo_value("model name", m->cpu_model, sizeof m->cpu_model) != 0) {
        set(m->cpu_model, sizeof m->cpu_model, "unknown");
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->logical_cpus = n > 0 ? (int)n : 0;
    static char flags[8192];
    const char *wanted[] = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni",
                            "amx_tile", "asimd", "sve"};
    if (cpuinfo_value("flags", flags, sizeof flags) == 0 || cpuinfo_value("Features", flags, sizeof flags) == 0) {
        for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
            if (has_word(flags, wanted[i])) {
                size_t used = strlen(m->isa);
                snprintf(m->isa + used, sizeof m->isa - used, "%s%s", used ? " " : "", wanted[i]);
            }
        }
    }
    if (!m->isa[0]) {
        set(m->isa, sizeof m->isa, "unknown");
    }
    FILE *g = fopen("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "r");
    if (g && fgets(m->governor, sizeof m->governor, g)) {
        m->governor[strcspn(m->governor, "\n")] = 0;
    } else {
        set(m->governor, sizeof m->governor, "unknown");
    }
    if (g) {
        fclose(g);
    }
#if defined(__clang__)
    snprintf(m->compiler, sizeof m->compiler, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(m->compiler, sizeof m->compiler, "gcc %s", __VERSION__);
#else
    set(m->compiler, sizeof m->compiler, "unknown");
#endif
    snprintf(m->build_flags, sizeof m->build_flags, "%s%s%s",
#if defined(__OPTIMIZE__)
             "optimised",
#else
             "not optimised",
#endif
#if defined(NDEBUG)
             " NDEBUG",
#else
             "",
#endif
#if defined(TT_HAVE_OPENMP)
             " openmp"
#else
             ""
#endif
    );
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(m->os, sizeof m->os, "%.30s %.40s %.20s", u.sysname, u.release, u.machine);
    } else {
        set(m->os, sizeof m->os, "unknown");
    }
}

/* Appends s as a JSON string (quotes and control characters escaped). */
static size_t put_str(char *buf, size_t len, size_t at, const char *s)
{
    at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *fmt = (c == '"' || c == '\\') ? "\\%c" : c < 0x20 ? "\\u%04x" : "%c";
        at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, fmt, c);
    }
    at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "\"");
    return at;
}

int tt_machine_json(const tt_machine *m, char *buf, size_t len)
{
    const struct { const char *k; const char *v; } f[] = {
        {"cpu_model", m->cpu_model}, {"isa", m->isa}, {"governor", m->governor},
        {"compiler", m->compiler}, {"build_flags", m->build_flags}, {"os", m->os}};
    size_t at = (size_t)snprintf(buf, len, "{\"logical_cpus\": %d", m->logical_cpus);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, ", \"%s\": ", f[i].k);
        at = put_str(buf, len, at, f[i].v);
    }
    at += (size_t)snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "}");
    return (int)at;
}
