/* Times convolutions with rn-plugin-cpu (argv[1]) and, for the default
 * ResNet-50-like list, rn's reference kernels; prints the median of 20 runs
 * and GFLOP/s. `bench_conv PLUGIN C M HW K STRIDE THREADS [residual|depthwise]`
 * times one convolution (pads k/2; with `residual`, + Add + Relu, fused;
 * `depthwise`: groups = C = M) on the plugin with that many threads.
 * Not a test: `ninja -C build tests/plugins_cpu/bench_conv`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rn.h"

static void die(rn_status *st, const char *what) {
  if (!st) return;
  fprintf(stderr, "%s: %s\n", what, rn_status_message(st));
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* x [1, c, hw, hw] -> Conv(m, k x k, stride, pad k/2, bias); with a
 * residual, then Add(input Z) and Relu (ResNet's last conv of a block,
 * which rn fuses into one FusedConv). */
static rn_model *conv_model(int c, int m, int hw, int k, int stride, int residual, int depthwise) {
  rn_model *model;
  die(rn_model_create("bench", &model), "create");
  int64_t xd[4] = {1, c, hw, hw}, wd[4] = {m, depthwise ? 1 : c, k, k}, bd[1] = {m};
  die(rn_model_add_input(model, "X", RN_DTYPE_FLOAT, 4, xd, NULL), "input");
  rn_tensor *w, *b;
  die(rn_tensor_create(RN_DTYPE_FLOAT, wd, 4, &w), "w");
  die(rn_tensor_create(RN_DTYPE_FLOAT, bd, 1, &b), "b");
  float *wp = rn_tensor_data(w);
  for (int64_t i = 0; i < rn_tensor_numel(w); i++) wp[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  die(rn_model_set_initializer(model, "W", w), "W");
  die(rn_model_set_initializer(model, "B", b), "B");
  rn_tensor_free(w);
  rn_tensor_free(b);
  const char *in[3] = {"X", "W", "B"}, *out = residual ? "C" : "Y";
  int node;
  die(rn_model_add_node(model, "Conv", "", "conv", 3, in, 1, &out, &node), "node");
  int64_t pads[4] = {k / 2, k / 2, k / 2, k / 2};
  die(rn_model_node_set_ints(model, node, "pads", 4, pads), "pads");
  int64_t strides[2] = {stride, stride};
  die(rn_model_node_set_ints(model, node, "strides", 2, strides), "strides");
  if (depthwise) die(rn_model_node_set_int(model, node, "group", c), "group");
  die(rn_model_check_node(model, node), "check");
  if (residual) {
    int64_t ohw = (hw + 2 * (k / 2) - k) / stride + 1, zd[4] = {1, m, ohw, ohw};
    die(rn_model_add_input(model, "Z", RN_DTYPE_FLOAT, 4, zd, NULL), "input Z");
    const char *add_in[2] = {"C", "Z"}, *sum = "S", *y = "Y";
    int add, relu;
    die(rn_model_add_node(model, "Add", "", "add", 2, add_in, 1, &sum, &add), "add");
    die(rn_model_add_node(model, "Relu", "", "relu", 1, &sum, 1, &y, &relu), "relu");
  }
  die(rn_model_add_output(model, "Y"), "output");
  return model;
}

static double median_seconds(const rn_env *env, rn_model *model, int c, int hw, int threads, const int64_t *zdims,
                             const char **placed) {
  rn_session *s;
  rn_session_options *o;
  die(rn_session_options_create(&o), "options");
  die(rn_session_options_set_threads(o, threads), "threads");
  die(rn_session_create(env, model, o, &s), "session");
  rn_session_options_free(o);
  int64_t xd[4] = {1, c, hw, hw};
  rn_tensor *x, *y = NULL;
  die(rn_tensor_create(RN_DTYPE_FLOAT, xd, 4, &x), "x");
  float *xp = rn_tensor_data(x);
  for (int64_t i = 0; i < rn_tensor_numel(x); i++) xp[i] = (float)(i % 17) / 17.0f;
  rn_tensor *z = NULL;
  if (zdims) {
    die(rn_tensor_create(RN_DTYPE_FLOAT, zdims, 4, &z), "z");
    float *zp = rn_tensor_data(z);
    for (int64_t i = 0; i < rn_tensor_numel(z); i++) zp[i] = (float)(i % 13) / 13.0f - 0.5f;
  }
  const char *in[2] = {"X", "Z"}, *out = "Y";
  rn_tensor *ins[2] = {x, z};
  int n_in = zdims ? 2 : 1;
  die(rn_session_run(s, n_in, in, ins, 1, &out, &y), "warm-up"); /* also allocates y */
  /* RN_BENCH_REPS: more runs, e.g. for a profiler (the median is of all). */
  int reps = getenv("RN_BENCH_REPS") ? atoi(getenv("RN_BENCH_REPS")) : 20;
  if (reps < 20) reps = 20;
  double *t = malloc((size_t)reps * sizeof *t);
  if (!t) return 0;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    die(rn_session_run(s, n_in, in, ins, 1, &out, &y), "run");
    t[r] = now() - t0;
  }
  rn_node_info info;
  die(rn_session_node_info(s, 0, &info), "node info");
  static char where[2][64];
  static int slot;
  slot ^= 1;
  snprintf(where[slot], sizeof where[slot], "%s", info.placed_on ? info.placed_on : "?");
  *placed = where[slot];
  rn_tensor_free(x);
  rn_tensor_free(z);
  rn_tensor_free(y);
  rn_session_free(s);
  qsort(t, (size_t)reps, sizeof t[0], cmp);
  double median = (t[(reps - 1) / 2] + t[reps / 2]) / 2;
  free(t);
  return median;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH/rn-plugin-cpu.so\n", argv[0]);
    return 2;
  }
  rn_env *env;
  die(rn_env_create(&env), "env");
  die(rn_env_load_plugin(env, argv[1]), "plugin");
  if (argc == 8 || argc == 9) {
    int c = atoi(argv[2]), m = atoi(argv[3]), hw = atoi(argv[4]), k = atoi(argv[5]), st = atoi(argv[6]);
    int threads = atoi(argv[7]), ohw = (hw + 2 * (k / 2) - k) / st + 1;
    int residual = argc == 9 && strcmp(argv[8], "residual") == 0;
    int depthwise = argc == 9 && strcmp(argv[8], "depthwise") == 0;
    if (depthwise) m = c;
    int64_t zdims[4] = {1, m, ohw, ohw};
    rn_model *model = conv_model(c, m, hw, k, st, residual, depthwise);
    const char *where;
    double t = median_seconds(env, model, c, hw, threads, residual ? zdims : NULL, &where);
    printf("conv %dx%dx%d -> %d k%d s%d%s threads %d (%s): %.3f ms %.2f GFLOP/s\n", c, hw, hw, m, k, st,
           residual ? " +residual+relu" : depthwise ? " depthwise" : "", threads, where, t * 1e3,
           2.0 * m * (depthwise ? 1 : c) * k * k * ohw * ohw / t * 1e-9);
    rn_model_free(model);
    rn_env_free(env);
    return 0;
  }
  const struct {
    const char *name;
    int c, m, hw, k;
  } convs[] = {{"3x3 conv 1x256x14x14 -> 256", 256, 256, 14, 3}, {"1x1 conv 1x1024x14x14 -> 256", 1024, 256, 14, 1},
               {"1x1 conv 1x256x14x14 -> 1024", 256, 1024, 14, 1}};
  for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
    rn_model *m = conv_model(convs[i].c, convs[i].m, convs[i].hw, convs[i].k, 1, 0, 0);
    double flops = 2.0 * convs[i].m * convs[i].c * convs[i].k * convs[i].k * convs[i].hw * convs[i].hw;
    const char *p_ref, *p_plug;
    double ref = median_seconds(NULL, m, convs[i].c, convs[i].hw, 1, NULL, &p_ref);
    double plug = median_seconds(env, m, convs[i].c, convs[i].hw, 1, NULL, &p_plug);
    printf("%-32s reference (%s): %8.3f ms %7.2f GFLOP/s | plugin (%s): %8.3f ms %7.2f GFLOP/s | x%.1f\n",
           convs[i].name, p_ref, ref * 1e3, flops / ref * 1e-9, p_plug, plug * 1e3, flops / plug * 1e-9, ref / plug);
    rn_model_free(m);
  }
  rn_env_free(env);
  return 0;
}
