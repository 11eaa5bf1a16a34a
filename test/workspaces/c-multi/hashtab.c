#include "minivm.h"
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ull; }
  return h;
}

void ht_init(hashtab *h, size_t n) {
  h->nbuckets = n ? n : 16;
  h->buckets = calloc(h->nbuckets, sizeof *h->buckets);
  h->count = 0;
}

static void ht_rehash(hashtab *h) {
  size_t n = h->nbuckets * 2;
  entry **nb = calloc(n, sizeof *nb);
  for (size_t i = 0; i < h->nbuckets; i++) {
    entry *e = h->buckets[i];
    while (e) {
      entry *next = e->next;
      size_t j = fnv1a(e->key) % n;
      e->next = nb[j];
      nb[j] = e;
      e = next;
    }
  }
  free(h->buckets);
  h->buckets = nb;
  h->nbuckets = n;
}

long *ht_get(hashtab *h, const char *key) {
  for (entry *e = h->buckets[fnv1a(key) % h->nbuckets]; e; e = e->next)
    if (strcmp(e->key, key) == 0) return &e->value;
  return NULL;
}

void ht_set(hashtab *h, const char *key, long value) {
  long *v = ht_get(h, key);
  if (v) { *v = value; return; }
  if (h->count + 1 > h->nbuckets * 3 / 4) ht_rehash(h);
  entry *e = malloc(sizeof *e);
  e->key = strdup(key);
  e->value = value;
  size_t i = fnv1a(key) % h->nbuckets;
  e->next = h->buckets[i];
  h->buckets[i] = e;
  h->count++;
}

void ht_free(hashtab *h) {
  for (size_t i = 0; i < h->nbuckets; i++) {
    entry *e = h->buckets[i];
    while (e) { entry *n = e->next; free(e->key); free(e); e = n; }
  }
  free(h->buckets);
  h->buckets = NULL;
  h->nbuckets = h->count = 0;
}
