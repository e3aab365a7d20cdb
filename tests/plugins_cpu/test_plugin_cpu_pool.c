/* rn-plugin-cpu's thread pool under the uses that could break it: sessions
 * run concurrently from several threads (one job at a time holds the pool,
 * the others run their tasks themselves), and a fork() after the pool's
 * workers exist (the child has none of them and must run on its own; the
 * pool also forgets, in the child, a job that was running at the fork). Every result must equal
 * the single-threaded one bit for bit: tasks split work, never reorder sums. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rn.h"

static void die(rn_status *st, const char *what) {
  if (!st) return;
  fprintf(stderr, "FAIL %s: %s\n", what, rn_status_message(st));
  exit(1);
}

/* X [1, 16, 28, 28] -> Conv 3x3 (32) -> Relu -> Conv 1x1 (16). */
static rn_model *make_model(void) {
  rn_model *m;
  die(rn_model_create("pool", &m), "create");
  int64_t xd[4] = {1, 16, 28, 28}, w1d[4] = {32, 16, 3, 3}, w2d[4] = {16, 32, 1, 1};
  die(rn_model_add_input(m, "X", RN_DTYPE_FLOAT, 4, xd, NULL), "input");
  rn_tensor *w1, *w2;
  die(rn_tensor_create(RN_DTYPE_FLOAT, w1d, 4, &w1), "w1");
  die(rn_tensor_create(RN_DTYPE_FLOAT, w2d, 4, &w2), "w2");
  float *p = rn_tensor_data(w1);
  for (int64_t i = 0; i < rn_tensor_numel(w1); i++) p[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
  p = rn_tensor_data(w2);
  for (int64_t i = 0; i < rn_tensor_numel(w2); i++) p[i] = (float)((i * 53) % 97) / 97.0f - 0.5f;
  die(rn_model_set_initializer(m, "W1", w1), "W1");
  die(rn_model_set_initializer(m, "W2", w2), "W2");
  rn_tensor_free(w1);
  rn_tensor_free(w2);
  const char *c1[2] = {"X", "W1"}, *o1 = "H", *r1 = "HR", *c2[2] = {"HR", "W2"}, *o2 = "Y";
  int n;
  int64_t pads[4] = {1, 1, 1, 1};
  die(rn_model_add_node(m, "Conv", "", "conv1", 2, c1, 1, &o1, &n), "conv1");
  die(rn_model_node_set_ints(m, n, "pads", 4, pads), "pads");
  die(rn_model_add_node(m, "Relu", "", "relu", 1, &o1, 1, &r1, &n), "relu");
  die(rn_model_add_node(m, "Conv", "", "conv2", 2, c2, 1, &o2, &n), "conv2");
  die(rn_model_add_output(m, "Y"), "output");
  return m;
}

static rn_env *env;
static rn_model *model;
static rn_tensor *input, *expected;

static rn_session *make_session(int threads) {
  rn_session_options *o;
  rn_session *s;
  die(rn_session_options_create(&o), "options");
  die(rn_session_options_set_threads(o, threads), "threads");
  die(rn_session_create(env, model, o, &s), "session");
  rn_session_options_free(o);
  return s;
}

static rn_tensor *run(rn_session *s) {
  const char *in = "X", *out = "Y";
  rn_tensor *y = NULL;
  die(rn_session_run(s, 1, &in, &input, 1, &out, &y), "run");
  return y;
}

static int same(rn_tensor *a, rn_tensor *b) {
  return rn_tensor_numel(a) == rn_tensor_numel(b) &&
         memcmp(rn_tensor_data(a), rn_tensor_data(b), (size_t)rn_tensor_numel(a) * sizeof(float)) == 0;
}

static void *runner(void *arg) {
  rn_session *s = arg;
  for (int i = 0; i < 50; i++) {
    rn_tensor *y = run(s);
    if (!same(y, expected)) {
      fprintf(stderr, "FAIL concurrent run %d differs from the single-threaded result\n", i);
      exit(1);
    }
    rn_tensor_free(y);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH/rn-plugin-cpu.so\n", argv[0]);
    return 2;
  }
  die(rn_env_create(&env), "env");
  die(rn_env_load_plugin(env, argv[1]), "plugin");
  model = make_model();
  int64_t xd[4] = {1, 16, 28, 28};
  die(rn_tensor_create(RN_DTYPE_FLOAT, xd, 4, &input), "x");
  float *xp = rn_tensor_data(input);
  for (int64_t i = 0; i < rn_tensor_numel(input); i++) xp[i] = (float)((i * 29) % 113) / 113.0f - 0.5f;

  rn_session *one = make_session(1), *two = make_session(2);
  expected = run(one);
  rn_tensor *y = run(two);
  if (!same(y, expected)) {
    fprintf(stderr, "FAIL 2 threads differ from 1\n");
    return 1;
  }
  rn_tensor_free(y);

  /* Three threads share one 2-thread session, a fourth runs another. */
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, runner, i < 3 ? two : one);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);

  /* fork() with the pool's workers alive: the child runs (with 2 threads)
   * and exits; a hang is caught by the alarm, a wrong result by the status. */
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    rn_tensor *yc = run(two);
    _exit(same(yc, expected) ? 0 : 3);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "FAIL the forked child's run (status 0x%x)\n", status);
    return 1;
  }
  rn_tensor_free(expected);
  rn_tensor_free(input);
  rn_session_free(one);
  rn_session_free(two);
  rn_model_free(model);
  rn_env_free(env);
  printf("plugin-cpu pool: concurrent runs and a forked child agree with one thread\n");
  return 0;
}
