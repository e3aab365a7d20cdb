/* The one assertion macro of rn's C tests: a failed check prints where and
 * why and counts; main() returns non-zero if `failures` is. */
#ifndef RN_TESTS_CHECK_H
#define RN_TESTS_CHECK_H

#include <stdio.h>

static int failures; /* checks that failed */
static int checks;   /* checks made */

#define CHECK(cond, ...)                                   \
  do {                                                     \
    checks++;                                              \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
      failures++;                                          \
    }                                                      \
  } while (0)

#endif
