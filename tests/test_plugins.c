/* Plugins through the public API: the example plugin's custom op runs once
 * the plugin is loaded and is refused before; missing, corrupt, foreign and
 * wrong-ABI plugins give messages naming the file and the reason, and a
 * session still falls back to rn's own kernels for standard ops.
 * Usage: test_plugins EXAMPLE_PLUGIN.so WRONG_ABI_PLUGIN.so */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rn.h"
#include "check.h"


static const char *msg(rn_status *st) { return st ? rn_status_message(st) : "ok"; }

/* x [2,3] -> com.example::ScaledTanh(alpha 2, beta 0.5) -> Relu -> y */
static rn_model *build(rn_env *env) {
  rn_model *m = NULL;
  rn_status *st = rn_model_create("custom", &m);
  (void)env;
  int64_t dims[2] = {2, 3};
  int node;
  const char *in[1] = {"x"}, *mid[1] = {"t"}, *out[1] = {"y"};
  if (!st) st = rn_model_set_opset(m, "com.example", 1);
  if (!st) st = rn_model_add_input(m, "x", RN_DTYPE_FLOAT, 2, dims, NULL);
  if (!st) st = rn_model_add_node(m, "ScaledTanh", "com.example", "st", 1, in, 1, mid, &node);
  if (!st) st = rn_model_node_set_float(m, node, "alpha", 2.0f);
  if (!st) st = rn_model_node_set_float(m, node, "beta", 0.5f);
  if (!st) st = rn_model_add_node(m, "Relu", NULL, "relu", 1, mid, 1, out, &node);
  if (!st) st = rn_model_add_output(m, "y");
  CHECK(!st, "build: %s", msg(st));
  rn_status_free(st);
  return m;
}

static void test_custom_op(const char *plugin) {
  rn_model *m = build(NULL);
  rn_session *s = NULL;
  rn_status *st = rn_session_create(NULL, m, NULL, &s);
  CHECK(st && rn_status_get_code(st) == RN_ERR_UNSUPPORTED && strstr(msg(st), "ScaledTanh"),
        "without the plugin: %s", msg(st));
  printf("ok  without the plugin -> %s\n", msg(st));
  rn_status_free(st);

  rn_env *env = NULL;
  rn_status_free(rn_env_create(&env));
  st = rn_env_load_plugin(env, plugin);
  CHECK(!st, "loading %s: %s", plugin, msg(st));
  rn_status_free(st);
  rn_status_free(rn_env_load_plugin(env, plugin)); /* twice: a no-op */
  rn_plugin_info info;
  st = rn_env_plugin_info(env, 0, &info);
  CHECK(!st && rn_env_plugin_count(env) == 1 && info.name && strcmp(info.name, "example") == 0 && info.n_kernels == 1 &&
            info.n_schemas == 1 && !info.error,
        "plugin info");
  rn_status_free(st);
  st = rn_session_create(env, m, NULL, &s);
  CHECK(!st, "with the plugin: %s", msg(st));
  if (!st) {
    float x[6] = {-2, -0.5f, 0, 0.5f, 1, 3};
    int64_t dims[2] = {2, 3};
    rn_tensor *tx, *ty = NULL;
    rn_status_free(rn_tensor_wrap(RN_DTYPE_FLOAT, dims, 2, x, sizeof x, &tx));
    const char *in = "x", *out = "y";
    st = rn_session_run(s, 1, &in, &tx, 1, &out, &ty);
    CHECK(!st, "run: %s", msg(st));
    double worst = 0;
    for (int i = 0; !st && i < 6; i++) {
      double want = 2.0 * tanh(0.5 * x[i]);
      want = want > 0 ? want : 0;
      worst = fmax(worst, fabs(((float *)rn_tensor_data(ty))[i] - want));
    }
    CHECK(!st && worst < 1e-6, "custom op output differs by %g", worst);
    rn_node_info ni;
    rn_status_free(rn_session_node_info(s, 0, &ni));
    CHECK(ni.placed_on && strcmp(ni.placed_on, "example") == 0, "placed on %s", ni.placed_on ? ni.placed_on : "(null)");
    rn_status_free(rn_session_node_info(s, 1, &ni));
    CHECK(ni.placed_on && strcmp(ni.placed_on, "reference") == 0, "Relu placed on %s", ni.placed_on ? ni.placed_on : "(null)");
    printf("ok  with the plugin: ScaledTanh on 'example', Relu on 'reference', max error %.2g\n", worst);
    rn_tensor_free(tx);
    rn_tensor_free(ty);
  }
  rn_status_free(st);
  rn_session_free(s);
  rn_model_free(m);
  rn_env_free(env);
}

static void expect_load_error(const char *path, const char *needle, const char *what) {
  rn_env *env = NULL;
  rn_status_free(rn_env_create(&env));
  rn_status *st = rn_env_load_plugin(env, path);
  CHECK(st && strstr(msg(st), needle) && strstr(msg(st), "plugin"), "%s: %s", what, msg(st));
  printf("ok  %-24s -> %s\n", what, msg(st));
  rn_status_free(st);
  /* The failed attempt is listed with its reason; standard ops still run. */
  rn_plugin_info info;
  st = rn_env_plugin_info(env, 0, &info);
  CHECK(!st && !info.name && info.error && strstr(info.error, needle), "%s: listed", what);
  rn_status_free(st);
  rn_model *m = NULL;
  rn_session *s = NULL;
  int64_t dims[1] = {4};
  const char *in[1] = {"x"}, *out[1] = {"y"};
  int node;
  st = rn_model_create("fallback", &m);
  if (!st) st = rn_model_add_input(m, "x", RN_DTYPE_FLOAT, 1, dims, NULL);
  if (!st) st = rn_model_add_node(m, "Relu", NULL, "r", 1, in, 1, out, &node);
  if (!st) st = rn_model_add_output(m, "y");
  if (!st) st = rn_session_create(env, m, NULL, &s);
  CHECK(!st, "%s: fallback session: %s", what, msg(st));
  rn_status_free(st);
  rn_session_free(s);
  rn_model_free(m);
  rn_env_free(env);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s EXAMPLE_PLUGIN.so WRONG_ABI_PLUGIN.so\n", argv[0]);
    return 2;
  }
  test_custom_op(argv[1]);
  expect_load_error("/nonexistent/rn-plugin-missing.so", "/nonexistent/rn-plugin-missing.so", "missing plugin");
  char corrupt[] = "/tmp/rn-plugin-corrupt-XXXXXX";
  int fd = mkstemp(corrupt);
  if (fd >= 0) {
    if (write(fd, "\x7f" "ELF garbage", 12) != 12) perror("write");
    close(fd);
    expect_load_error(corrupt, "cannot load", "corrupt plugin");
    unlink(corrupt);
  }
  expect_load_error("/lib/x86_64-linux-gnu/libm.so.6", "no symbol 'rn_plugin_entry'", "library that is no plugin");
  expect_load_error(argv[2], "built for plugin ABI 99, this rn speaks ABI 1", "plugin of another ABI");
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all plugin checks passed\n");
  return 0;
}
