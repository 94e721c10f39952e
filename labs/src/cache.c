/* cache.c - the reply cache: POST replies keyed by (path, body bytes).
 *
 * Every endpoint is a pure function of its request, so an identical request (a slider moved
 * back, a page reloaded, many students on the same preset) gets the stored reply instead of a
 * new evaluation. Invariants: a slot holds a complete 200 reply for exactly its key (compared
 * byte for byte, not only by hash); slots are direct-mapped by hash and a new entry replaces
 * the old one; each slot has its own lock, so readers of different slots never contend; the
 * cache never holds more than LABS_CACHE_SLOTS x LABS_CACHE_MAX_REPLY bytes of replies. */
#include "labs_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pthread_mutex_t lock;
    uint64_t hash;
    char *key;          /* path '\0' body */
    size_t klen;
    char *val;          /* the reply body */
    size_t vlen;
} slot;

struct labs_cache {
    slot slots[LABS_CACHE_SLOTS];
};

static uint64_t fnv1a(const char *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t key_hash(const char *path, const char *body, size_t len)
{
    return fnv1a(body, len, fnv1a(path, strlen(path) + 1, 14695981039346656037ULL));
}

static int key_equal(const slot *s, uint64_t h, const char *path, const char *body, size_t len)
{
    size_t pl = strlen(path) + 1;
    return s->key && s->hash == h && s->klen == pl + len && !memcmp(s->key, path, pl) &&
           !memcmp(s->key + pl, body, len);
}

labs_cache *labs_cache_new(void)
{
    labs_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    for (size_t i = 0; i < LABS_CACHE_SLOTS; i++) pthread_mutex_init(&c->slots[i].lock, NULL);
    return c;
}

void labs_cache_free(labs_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < LABS_CACHE_SLOTS; i++) {
        free(c->slots[i].key);
        free(c->slots[i].val);
        pthread_mutex_destroy(&c->slots[i].lock);
    }
    free(c);
}

int labs_cache_get(labs_cache *c, const char *path, const char *body, size_t len, labs_reply *r)
{
    if (!c) return 0;
    uint64_t h = key_hash(path, body, len);
    slot *s = &c->slots[h % LABS_CACHE_SLOTS];
    int hit = 0;
    pthread_mutex_lock(&s->lock);
    if (key_equal(s, h, path, body, len) && (r->body = malloc(s->vlen + 1))) {
        memcpy(r->body, s->val, s->vlen + 1);
        r->len = s->vlen;
        r->status = 200;
        hit = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return hit;
}

void labs_cache_put(labs_cache *c, const char *path, const char *body, size_t len, const labs_reply *r)
{
    if (!c || r->status != 200 || r->len > LABS_CACHE_MAX_REPLY) return;
    size_t pl = strlen(path) + 1;
    char *key = malloc(pl + len), *val = malloc(r->len + 1);
    if (!key || !val) {
        free(key);
        free(val);
        return;
    }
    memcpy(key, path, pl);
    if (len) memcpy(key + pl, body, len);
    memcpy(val, r->body, r->len + 1);
    uint64_t h = key_hash(path, body, len);
    slot *s = &c->slots[h % LABS_CACHE_SLOTS];
    pthread_mutex_lock(&s->lock);
    free(s->key);
    free(s->val);
    s->hash = h;
    s->key = key;
    s->klen = pl + len;
    s->val = val;
    s->vlen = r->len;
    pthread_mutex_unlock(&s->lock);
}
