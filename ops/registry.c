/* The table of built-in operators: the union of the groups' lists, built once. */
#include <pthread.h>
#include <stdlib.h>

#include "groups.h"

enum { MAX_BUILTIN_OPS = 1024 };
static const rn_op_def *all_ops[MAX_BUILTIN_OPS];
static int all_count;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void append(const rn_op_def *const *defs, int n) {
  for (int i = 0; i < n && all_count < MAX_BUILTIN_OPS; i++) all_ops[all_count++] = defs[i];
}

static void build_table(void) {
  int n;
  const rn_op_def *const *defs;
  defs = rn_ops_nn(&n);
  append(defs, n);
  defs = rn_ops_math(&n);
  append(defs, n);
  defs = rn_ops_tensor(&n);
  append(defs, n);
  defs = rn_ops_extra(&n);
  append(defs, n);
}

const rn_op_def *const *rn_builtin_ops(int *count) {
  pthread_once(&once, build_table);
  *count = all_count;
  return all_ops;
}
