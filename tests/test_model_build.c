/* The model builder (rn_model_create / add_node / check_node) and the
 * inspection getters: a small CNN built by hand runs and gives the values
 * computed here; mistakes are reported at the node that makes them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rn.h"
#include "check.h"


static const char *msg(rn_status *st) { return st ? rn_status_message(st) : "ok"; }

/* input [N,2,3,3] -> Conv(4 filters 1x1, bias) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(3) */
static rn_model *build_cnn(void) {
  rn_model *m = NULL;
  rn_status *st = rn_model_create("tiny_cnn", &m);
  int64_t in_dims[4] = {-1, 2, 3, 3};
  const char *names[4] = {"N", NULL, NULL, NULL};
  if (!st) st = rn_model_add_input(m, "input", RN_DTYPE_FLOAT, 4, in_dims, names);
  float w[8] = {1, 0, 0, 1, 1, 1, -1, 0.5f}, b[4] = {0, 0.5f, -1, 0}, fc[12], fcb[3] = {0.1f, 0.2f, 0.3f};
  for (int i = 0; i < 12; i++) fc[i] = (float)(i % 5) - 2;
  int64_t wd[4] = {4, 2, 1, 1}, bd[1] = {4}, fd[2] = {3, 4}, fbd[1] = {3};
  rn_tensor *tw, *tb, *tf, *tfb;
  rn_tensor_wrap(RN_DTYPE_FLOAT, wd, 4, w, sizeof w, &tw);
  rn_tensor_wrap(RN_DTYPE_FLOAT, bd, 1, b, sizeof b, &tb);
  rn_tensor_wrap(RN_DTYPE_FLOAT, fd, 2, fc, sizeof fc, &tf);
  rn_tensor_wrap(RN_DTYPE_FLOAT, fbd, 1, fcb, sizeof fcb, &tfb);
  if (!st) st = rn_model_set_initializer(m, "conv.weight", tw);
  if (!st) st = rn_model_set_initializer(m, "conv.bias", tb);
  if (!st) st = rn_model_set_initializer(m, "fc.weight", tf);
  if (!st) st = rn_model_set_initializer(m, "fc.bias", tfb);
  rn_tensor_free(tw);
  rn_tensor_free(tb);
  rn_tensor_free(tf);
  rn_tensor_free(tfb);
  int node;
  const char *conv_in[3] = {"input", "conv.weight", "conv.bias"}, *conv_out[1] = {"c"};
  if (!st) st = rn_model_add_node(m, "Conv", "", "conv", 3, conv_in, 1, conv_out, &node);
  int64_t k[2] = {1, 1};
  if (!st) st = rn_model_node_set_ints(m, node, "kernel_shape", 2, k);
  if (!st) st = rn_model_check_node(m, node);
  const char *r_in[1] = {"c"}, *r_out[1] = {"r"};
  if (!st) st = rn_model_add_node(m, "Relu", NULL, NULL, 1, r_in, 1, r_out, &node);
  if (!st) st = rn_model_check_node(m, node);
  const char *p_in[1] = {"r"}, *p_out[1] = {"p"};
  if (!st) st = rn_model_add_node(m, "GlobalAveragePool", NULL, "pool", 1, p_in, 1, p_out, &node);
  if (!st) st = rn_model_check_node(m, node);
  const char *f_in[1] = {"p"}, *f_out[1] = {"f"};
  if (!st) st = rn_model_add_node(m, "Flatten", NULL, "flatten", 1, f_in, 1, f_out, &node);
  if (!st) st = rn_model_check_node(m, node);
  const char *g_in[3] = {"f", "fc.weight", "fc.bias"}, *g_out[1] = {"logits"};
  if (!st) st = rn_model_add_node(m, "Gemm", NULL, "fc", 3, g_in, 1, g_out, &node);
  if (!st) st = rn_model_node_set_int(m, node, "transB", 1);
  if (!st) st = rn_model_check_node(m, node);
  if (!st) st = rn_model_add_output(m, "logits");
  CHECK(!st, "building: %s", msg(st));
  rn_status_free(st);
  return m;
}

static void test_build_and_run(void) {
  rn_model *m = build_cnn();
  rn_value_info info;
  rn_status *st = rn_model_value_info(m, "logits", &info);
  CHECK(!st && info.dtype == RN_DTYPE_FLOAT && info.rank == 2 && info.dims[0] == -1 && info.dims[1] == 3 &&
            info.dim_names[0] && strcmp(info.dim_names[0], "N") == 0,
        "inferred logits type: rank %d dims %lld %lld", info.rank, (long long)info.dims[0], (long long)info.dims[1]);
  rn_status_free(st);
  CHECK(rn_model_node_count(m) == 5 && strcmp(rn_model_node_op_type(m, 0), "Conv") == 0 &&
            strcmp(rn_model_node_name(m, 1), "Relu_1") == 0 && strcmp(rn_model_node_input(m, 4, 1), "fc.weight") == 0,
        "inspection of nodes");
  CHECK(rn_model_initializer_count(m) == 4 && rn_model_initializer(m, "conv.bias") != NULL &&
            rn_model_input_count(m) == 1 && strcmp(rn_model_output_name(m, 0), "logits") == 0,
        "inspection of initializers, inputs, outputs");
  const int64_t *ks;
  CHECK(rn_model_node_attr_count(m, 0) == 1 && rn_model_node_attr_ints(m, 0, 0, &ks) == 2 && ks[0] == 1,
        "inspection of attributes");

  rn_session *s = NULL;
  st = rn_session_create(NULL, m, NULL, &s);
  CHECK(!st, "session: %s", msg(st));
  rn_status_free(st);
  if (s) {
    float x[2 * 2 * 9];
    for (int i = 0; i < 36; i++) x[i] = (float)((i * 7) % 11) - 5;
    int64_t dims[4] = {2, 2, 3, 3};
    rn_tensor *tx, *ty = NULL;
    rn_tensor_wrap(RN_DTYPE_FLOAT, dims, 4, x, sizeof x, &tx);
    const char *in = "input", *out = "logits";
    st = rn_session_run(s, 1, &in, &tx, 1, &out, &ty);
    CHECK(!st, "run: %s", msg(st));
    if (!st) {
      /* the same computation, by hand */
      const float w[8] = {1, 0, 0, 1, 1, 1, -1, 0.5f}, b[4] = {0, 0.5f, -1, 0}, fcb[3] = {0.1f, 0.2f, 0.3f};
      double worst = 0;
      for (int n = 0; n < 2; n++) {
        double pooled[4] = {0};
        for (int o = 0; o < 4; o++)
          for (int p = 0; p < 9; p++) {
            double v = b[o] + w[o * 2] * x[n * 18 + p] + w[o * 2 + 1] * x[n * 18 + 9 + p];
            pooled[o] += (v > 0 ? v : 0) / 9;
          }
        for (int j = 0; j < 3; j++) {
          double want = fcb[j];
          for (int o = 0; o < 4; o++) want += pooled[o] * ((float)((j * 4 + o) % 5) - 2);
          double got = ((const float *)rn_tensor_data(ty))[n * 3 + j];
          worst = fmax(worst, fabs(got - want));
        }
      }
      CHECK(worst < 1e-5, "built model output differs by %g", worst);
      printf("ok  built CNN runs at batch 2, max error %.2g\n", worst);
    }
    rn_status_free(st);
    rn_tensor_free(tx);
    rn_tensor_free(ty);
    rn_session_free(s);
  }
  rn_model_free(m);
}

static void test_mistakes(void) {
  rn_model *m = NULL;
  rn_status_free(rn_model_create("bad", &m));
  int64_t in_dims[4] = {1, 3, 8, 8}, wd[4] = {4, 2, 3, 3};
  rn_status_free(rn_model_add_input(m, "x", RN_DTYPE_FLOAT, 4, in_dims, NULL));
  rn_tensor *w;
  rn_status_free(rn_tensor_create(RN_DTYPE_FLOAT, wd, 4, &w));
  rn_status_free(rn_model_set_initializer(m, "w", w));
  int node;
  const char *ins[2] = {"x", "w"}, *outs[1] = {"y"};
  rn_status *st = rn_model_add_node(m, "Conv", NULL, "conv1", 2, ins, 1, outs, &node);
  if (!st) st = rn_model_check_node(m, node);
  CHECK(st && strstr(msg(st), "node 'conv1' (Conv)"), "channel mismatch: %s", msg(st));
  printf("ok  %-28s -> %s\n", "Conv weight channels", msg(st));
  rn_status_free(st);

  const char *undefined_in[1] = {"nope"}, *o2[1] = {"z"};
  st = rn_model_add_node(m, "Relu", NULL, "r", 1, undefined_in, 1, o2, &node);
  CHECK(st && strstr(msg(st), "'nope' is not defined"), "undefined input: %s", msg(st));
  printf("ok  %-28s -> %s\n", "undefined input", msg(st));
  rn_status_free(st);

  const char *o3[1] = {"y"};
  st = rn_model_add_node(m, "Relu", NULL, "again", 1, ins, 1, o3, &node);
  CHECK(st && strstr(msg(st), "'y' is already defined"), "duplicate output: %s", msg(st));
  rn_status_free(st);

  const char *o4[1] = {"q"};
  st = rn_model_add_node(m, "Frobnicate", NULL, "f", 1, ins, 1, o4, &node);
  if (!st) st = rn_model_check_node(m, node);
  CHECK(st && rn_status_get_code(st) == RN_ERR_UNSUPPORTED && strstr(msg(st), "Frobnicate"), "unknown op: %s", msg(st));
  rn_status_free(st);

  int64_t other[4] = {4, 3, 1, 1};
  rn_tensor *w2;
  rn_status_free(rn_tensor_create(RN_DTYPE_FLOAT, other, 4, &w2));
  st = rn_model_set_initializer(m, "w", w2);
  CHECK(st && strstr(msg(st), "[4,2,3,3]") && strstr(msg(st), "[4,3,1,1]"), "replacing with another shape: %s", msg(st));
  rn_status_free(st);
  rn_tensor_free(w2);
  rn_tensor_free(w);
  rn_model_free(m);
}

int main(void) {
  test_build_and_run();
  test_mistakes();
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all builder checks passed\n");
  return 0;
}
