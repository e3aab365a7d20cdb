/* A small string -> int hash map (open addressing), for name lookups. */
#ifndef RN_CORE_STRMAP_H
#define RN_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rn_strmap {
  const char **keys; /* borrowed: keys must outlive the map */
  int *vals;
  size_t cap, count;
} rn_strmap;

void rn_strmap_init(rn_strmap *m);
void rn_strmap_free(rn_strmap *m);
/* Returns the value for key, or -1. */
int rn_strmap_get(const rn_strmap *m, const char *key);
/* Inserts or replaces; false on out of memory. */
bool rn_strmap_put(rn_strmap *m, const char *key, int val);

#endif
