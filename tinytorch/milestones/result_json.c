/* result_json.c - a milestone result as JSON. Keys with dots nest: "a.b" and "a.c" become
 * "a": {"b": .., "c": ..}. Fields keep their first-seen order. A key that is both a value and a
 * prefix of others ("a" and "a.b") keeps the value under "a"."value". */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "result_json.h"
#include "tinytorch/fileio.h"
#include "tinytorch/json.h"

/* Length of the first `depth` components of key (the prefix, without the trailing dot). */
static size_t prefix_len(const char *key, int depth)
{
    size_t i = 0;
    for (int d = 0; d < depth; d++) {
        const char *dot = strchr(key + i, '.');
        if (!dot) {
            return strlen(key);
        }
        i = (size_t)(dot - key) + (d + 1 < depth ? 1 : 0);
    }
    return i;
}

static int components(const char *key)
{
    int n = 1;
    for (const char *c = key; *c; c++) {
        n += *c == '.';
    }
    return n;
}

static void write_value(FILE *f, const tt_milestone_result *r, int i)
{
    if (r->f[i].is_str) {
        tt_json_write_string(f, r->f[i].str);
    } else {
        tt_json_write_number(f, r->f[i].num);
    }
}

/* The component `depth` of key (0-based) into buf. */
static void component(const char *key, int depth, char *buf, size_t len)
{
    const char *s = key;
    for (int d = 0; d < depth; d++) {
        s = strchr(s, '.') + 1;
    }
    const char *e = strchr(s, '.');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n >= len) {
        n = len - 1;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
}

/* Writes the members of the object whose keys start with prefix[0..plen) (depth components). */
static void write_object(FILE *f, const tt_milestone_result *r, const char *prefix, size_t plen, int depth,
                         bool first, int indent)
{
    bool done[TT_MS_MAX_FIELDS] = {false};
    for (int i = 0; i < r->n; i++) {
        const char *k = r->f[i].key;
        if (done[i] || components(k) <= depth || (depth && (strncmp(k, prefix, plen) != 0 || k[plen] != '.'))) {
            continue;
        }
        char name[64];
        component(k, depth, name, sizeof name);
        fprintf(f, "%s\n%*s", first ? "" : ",", indent, "");
        first = false;
        tt_json_write_string(f, name);
        fputs(": ", f);
        size_t sub = prefix_len(k, depth + 1);
        /* is there a deeper key under this name? */
        bool nested = false;
        for (int j = 0; j < r->n; j++) {
            if (components(r->f[j].key) > depth + 1 && strncmp(r->f[j].key, k, sub) == 0 && r->f[j].key[sub] == '.') {
                nested = true;
            }
        }
        if (!nested) {
            write_value(f, r, i);
            done[i] = true;
            continue;
        }
        fputs("{", f);
        bool inner_first = true;
        for (int j = 0; j < r->n; j++) { /* a value at exactly this key */
            if (components(r->f[j].key) == depth + 1 && strncmp(r->f[j].key, k, sub) == 0 && r->f[j].key[sub] == 0) {
                fprintf(f, "\n%*s\"value\": ", indent + 2, "");
                write_value(f, r, j);
                inner_first = false;
                done[j] = true;
            }
        }
        write_object(f, r, k, sub, depth + 1, inner_first, indent + 2);
        fprintf(f, "\n%*s}", indent, "");
        for (int j = 0; j < r->n; j++) {
            if (strncmp(r->f[j].key, k, sub) == 0 && (r->f[j].key[sub] == '.' || r->f[j].key[sub] == 0)) {
                done[j] = true;
            }
        }
    }
}

void tito_write_result(FILE *f, const tt_milestone *m, const tt_milestone_result *r, int exit_code)
{
    fputs("{\n  \"milestone\": ", f);
    tt_json_write_string(f, m->id);
    fputs(",\n  \"name\": ", f);
    tt_json_write_string(f, m->name);
    fputs(",\n  \"year\": ", f);
    tt_json_write_string(f, m->year);
    fprintf(f, ",\n  \"goal_met\": %s,\n  \"exit_code\": %d", exit_code == 0 ? "true" : "false", exit_code);
    write_object(f, r, "", 0, 0, false, 2);
    fputs("\n}\n", f);
}

int tito_save_result(const char *path, const tt_milestone *m, const tt_milestone_result *r, int exit_code,
                     char *err, size_t errlen)
{
    tt_atomic_file af;
    if (tt_atomic_open(&af, path, err, errlen) != 0) {
        return -1;
    }
    tito_write_result(af.f, m, r, exit_code);
    return tt_atomic_commit(&af, err, errlen);
}
