/* Concurrent runs of one session: 8 threads x RUNS runs each (default 50),
 * every output bit-identical to a single-threaded reference. Also checks
 * caller-allocated outputs and that a session outlives the model it was made
 * from. Usage: test_session_threads MODEL.onnx [RUNS_PER_THREAD] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rn.h"

enum { THREADS = 8 };
static int runs_per_thread = 50;

static rn_session *session;
static rn_tensor *input;
static rn_tensor *reference;
static const char *in_name, *out_name;

static void *worker(void *arg) {
  long bad = 0;
  (void)arg;
  for (int r = 0; r < runs_per_thread; r++) {
    rn_tensor *y = NULL;
    rn_status *st;
    if (r % 2) { /* every other run writes into a tensor the caller made */
      st = rn_tensor_create(rn_tensor_dtype(reference), rn_tensor_dims(reference),
                            rn_tensor_rank(reference), &y);
      if (!st) st = rn_session_run(session, 1, &in_name, &input, 1, &out_name, &y);
    } else {
      st = rn_session_run(session, 1, &in_name, &input, 1, &out_name, &y);
    }
    if (st) {
      fprintf(stderr, "run failed: %s\n", rn_status_message(st));
      rn_status_free(st);
      bad++;
    } else if (memcmp(rn_tensor_data(y), rn_tensor_data(reference), rn_tensor_nbytes(reference)) != 0) {
      bad++;
    }
    rn_tensor_free(y);
  }
  return (void *)bad;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && (runs_per_thread = atoi(argv[2])) <= 0)) {
    fprintf(stderr, "usage: %s MODEL.onnx [RUNS_PER_THREAD]\n", argv[0]);
    return 2;
  }
  rn_model *model = NULL;
  rn_status *st = rn_model_load_file(NULL, argv[1], &model);
  if (!st) st = rn_session_create(NULL, model, NULL, &session);
  rn_model_free(model); /* the session keeps what it needs */
  if (st) {
    fprintf(stderr, "%s\n", rn_status_message(st));
    return 1;
  }
  rn_value_info info;
  st = rn_session_input_info(session, 0, &info);
  int64_t dims[RN_MAX_RANK];
  for (int d = 0; d < info.rank; d++) dims[d] = info.dims[d] > 0 ? info.dims[d] : 1;
  if (!st) st = rn_tensor_create(RN_DTYPE_FLOAT, dims, info.rank, &input);
  if (st) {
    fprintf(stderr, "%s\n", rn_status_message(st));
    return 1;
  }
  float *x = rn_tensor_data(input);
  uint32_t seed = 42;
  for (int64_t i = 0; i < rn_tensor_numel(input); i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) / (float)(1 << 24) * 2 - 1;
  }
  in_name = rn_session_input_name(session, 0);
  out_name = rn_session_output_name(session, 0);
  if ((st = rn_session_run(session, 1, &in_name, &input, 1, &out_name, &reference))) {
    fprintf(stderr, "%s\n", rn_status_message(st));
    return 1;
  }
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, NULL);
  long bad = 0;
  for (int i = 0; i < THREADS; i++) {
    void *r;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  printf("%d threads x %d runs: %ld mismatches or failures\n", THREADS, runs_per_thread, bad);
  rn_tensor_free(reference);
  rn_tensor_free(input);
  rn_session_free(session);
  return bad ? 1 : 0;
}
