/* rn_lua_load_model (rnrun's path for MODEL.lua): every script of the error
 * corpus (errors/) and of the restricted-mode corpus (restricted/) fails with
 * a status naming the script and the line marked "-- <error" and containing
 * its "-- expect:" text; the scripts in good/ give models that run.
 * Usage: test_lua_script TEST_DIR (RN_LUA_PATH may point at lua/). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "rn_lua.h"

/* The "-- expect:" text and the line marked "-- <error" (0 if none). */
static int expectations(const char *path, char *expect, size_t size) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[1024];
  int n = 0, marked = 0;
  expect[0] = 0;
  while (fgets(line, sizeof line, f)) {
    n++;
    if (!expect[0] && strncmp(line, "-- expect: ", 11) == 0) {
      snprintf(expect, size, "%s", line + 11);
      expect[strcspn(expect, "\r\n")] = 0;
    }
    if (strstr(line, "-- <error")) marked = n;
  }
  fclose(f);
  return marked;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Runs every .lua script of dir/sub through rn_lua_load_model(restricted). */
static int run_corpus(const char *dir, const char *sub, int restricted) {
  char folder[4096];
  snprintf(folder, sizeof folder, "%s/%s", dir, sub);
  DIR *d = opendir(folder);
  CHECK(d != NULL, "cannot open %s", folder);
  if (!d) return 0;
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!ends_with(e->d_name, ".lua")) continue;
    char path[8192], expect[512], where[600];
    snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
    int line = expectations(path, expect, sizeof expect);
    if (line > 0) snprintf(where, sizeof where, "%s:%d:", e->d_name, line);
    else snprintf(where, sizeof where, "%s", e->d_name);
    rn_model *m = (rn_model *)&count; /* must be reset to NULL */
    rn_status *st = rn_lua_load_model(path, restricted, &m);
    const char *msg = st ? rn_status_message(st) : "(no error)";
    CHECK(st != NULL && m == NULL, "%s/%s (restricted %d): no error", sub, e->d_name, restricted);
    CHECK(strstr(msg, where) && strstr(msg, expect), "%s/%s (restricted %d): expected '%s' and '%s' in: %s", sub,
          e->d_name, restricted, where, expect, msg);
    if (st) printf("ok   %s/%s: %s [%s]\n", sub, e->d_name, msg, rn_status_code_name(rn_status_get_code(st)));
    rn_status_free(st);
    if (m != (rn_model *)&count) rn_model_free(m);
    count++;
  }
  closedir(d);
  return count;
}

static rn_model *load_good(const char *dir, const char *name, int restricted) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  rn_model *m = NULL;
  rn_status *st = rn_lua_load_model(path, restricted, &m);
  CHECK(!st && m, "%s: %s", name, st ? rn_status_message(st) : "no model");
  rn_status_free(st);
  return m;
}

static void test_tiny(const char *dir) {
  rn_model *m = load_good(dir, "good/tiny.lua", 1);
  if (!m) return;
  CHECK(rn_model_node_count(m) == 5, "tiny: %d nodes", rn_model_node_count(m));
  CHECK(rn_model_output_count(m) == 1 && strcmp(rn_model_output_name(m, 0), "logits") == 0, "tiny: output");
  const char *labels = rn_model_metadata(m, "rn.labels");
  CHECK(labels && strcmp(labels, "zero,one,two") == 0, "tiny: metadata");
  rn_session *s = NULL;
  rn_status *st = rn_session_create(NULL, m, NULL, &s);
  rn_model_free(m); /* the session keeps what it needs */
  CHECK(!st, "tiny: session: %s", st ? rn_status_message(st) : "");
  rn_status_free(st);
  if (!s) return;
  float x[18];
  for (int i = 0; i < 18; i++) x[i] = 1.0f;
  int64_t dims[4] = {1, 2, 3, 3};
  rn_tensor *in = NULL, *out = NULL;
  st = rn_tensor_wrap(RN_DTYPE_FLOAT, dims, 4, x, sizeof x, &in);
  const char *in_name = "input", *out_name = "logits";
  if (!st) st = rn_session_run(s, 1, &in_name, &in, 1, &out_name, &out);
  CHECK(!st, "tiny: run: %s", st ? rn_status_message(st) : "");
  rn_status_free(st);
  if (out) {
    /* conv of ones: 1, 1, 2, -0.5 -> relu -> 1, 1, 2, 0; fc 0.25 * sum = 1 */
    const float *y = rn_tensor_data(out);
    CHECK(rn_tensor_numel(out) == 3 && fabsf(y[0] - 1) < 1e-6f && fabsf(y[2] - 1) < 1e-6f, "tiny: logits %g %g %g",
          y[0], y[1], y[2]);
  }
  rn_tensor_free(in);
  rn_tensor_free(out);
  rn_session_free(s);
}

static void test_session_script(const char *dir) {
  rn_model *m = load_good(dir, "good/session.lua", 1);
  if (!m) return;
  CHECK(rn_model_node_count(m) >= 2 && rn_model_output_count(m) == 1, "session.lua: graph handed out");
  CHECK(strcmp(rn_model_graph_name(m), "from_session") == 0, "session.lua: name");
  rn_model_free(m);
}

/* The restricted corpus's scripts work when not restricted: the refusals come
 * from the restriction. */
static void test_unrestricted(const char *dir) {
  const char *names[] = {"restricted/io.lua", "restricted/os.lua", "restricted/load.lua", "restricted/debug.lua"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    rn_model *m = load_good(dir, names[i], 0);
    rn_model_free(m);
  }
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  int n = run_corpus(dir, "errors", 1);
  CHECK(n >= 9, "errors/: %d scripts", n);
  n = run_corpus(dir, "errors", 0);
  n = run_corpus(dir, "restricted", 1);
  CHECK(n >= 7, "restricted/: %d scripts", n);
  test_tiny(dir);
  test_session_script(dir);
  test_unrestricted(dir);

  rn_model *m = NULL;
  rn_status *st = rn_lua_load_model("/nonexistent/model.lua", 1, &m);
  CHECK(st && rn_status_get_code(st) == RN_ERR_IO && strstr(rn_status_message(st), "model.lua"),
        "missing script: %s", st ? rn_status_message(st) : "no error");
  rn_status_free(st);
  st = rn_lua_load_model(NULL, 1, &m);
  CHECK(st && rn_status_get_code(st) == RN_ERR_INVALID_ARGUMENT, "NULL path");
  rn_status_free(st);

  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
