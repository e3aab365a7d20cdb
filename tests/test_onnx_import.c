/* Malformed-model corpus for the ONNX importer: every case must end in a
 * clear error (checked by code and message), never a crash or a leak (the
 * sanitizer build runs this too). Models are built with protobuf-c from the
 * system's onnx.proto, then broken one way each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "rn.h"
#include "check.h"


/* ---- a tiny model: y = Relu(x) + w, x: float[2,3] ---- */

typedef struct model_parts {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opset;
  Onnx__OperatorSetIdProto *opsets[1];
  Onnx__NodeProto relu, add;
  Onnx__NodeProto *nodes[2];
  char *relu_in[1], *relu_out[1], *add_in[2], *add_out[1];
  Onnx__ValueInfoProto x, y;
  Onnx__ValueInfoProto *inputs[1], *outputs[1];
  Onnx__TypeProto xt, yt;
  Onnx__TypeProto__Tensor xtt, ytt;
  Onnx__TensorShapeProto xs;
  Onnx__TensorShapeProto__Dimension d0, d1;
  Onnx__TensorShapeProto__Dimension *dims[2];
  Onnx__TensorProto w;
  Onnx__TensorProto *inits[1];
  int64_t w_dims[2];
  float w_data[6];
  Onnx__StringStringEntryProto ext[3];
  Onnx__StringStringEntryProto *ext_ptrs[3];
} model_parts;

static void build(model_parts *p) {
  memset(p, 0, sizeof *p);
  onnx__model_proto__init(&p->model);
  onnx__graph_proto__init(&p->graph);
  onnx__operator_set_id_proto__init(&p->opset);
  p->opset.domain = "";
  p->opset.has_version = 1;
  p->opset.version = 13;
  p->opsets[0] = &p->opset;
  p->model.has_ir_version = 1;
  p->model.ir_version = 7;
  p->model.n_opset_import = 1;
  p->model.opset_import = p->opsets;
  p->model.graph = &p->graph;
  p->graph.name = "tiny";

  onnx__node_proto__init(&p->relu);
  p->relu.op_type = "Relu";
  p->relu.name = "relu0";
  p->relu_in[0] = "x";
  p->relu_out[0] = "r";
  p->relu.n_input = 1;
  p->relu.input = p->relu_in;
  p->relu.n_output = 1;
  p->relu.output = p->relu_out;
  onnx__node_proto__init(&p->add);
  p->add.op_type = "Add";
  p->add.name = "add0";
  p->add_in[0] = "r";
  p->add_in[1] = "w";
  p->add_out[0] = "y";
  p->add.n_input = 2;
  p->add.input = p->add_in;
  p->add.n_output = 1;
  p->add.output = p->add_out;
  p->nodes[0] = &p->relu;
  p->nodes[1] = &p->add;
  p->graph.n_node = 2;
  p->graph.node = p->nodes;

  onnx__tensor_shape_proto__dimension__init(&p->d0);
  onnx__tensor_shape_proto__dimension__init(&p->d1);
  p->d0.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  p->d0.dim_value = 2;
  p->d1.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  p->d1.dim_value = 3;
  p->dims[0] = &p->d0;
  p->dims[1] = &p->d1;
  onnx__tensor_shape_proto__init(&p->xs);
  p->xs.n_dim = 2;
  p->xs.dim = p->dims;
  onnx__type_proto__tensor__init(&p->xtt);
  p->xtt.has_elem_type = 1;
  p->xtt.elem_type = 1;
  p->xtt.shape = &p->xs;
  onnx__type_proto__init(&p->xt);
  p->xt.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  p->xt.tensor_type = &p->xtt;
  onnx__value_info_proto__init(&p->x);
  p->x.name = "x";
  p->x.type = &p->xt;
  p->ytt = p->xtt;
  p->yt = p->xt;
  p->yt.tensor_type = &p->ytt;
  onnx__value_info_proto__init(&p->y);
  p->y.name = "y";
  p->y.type = &p->yt;
  p->inputs[0] = &p->x;
  p->outputs[0] = &p->y;
  p->graph.n_input = 1;
  p->graph.input = p->inputs;
  p->graph.n_output = 1;
  p->graph.output = p->outputs;

  onnx__tensor_proto__init(&p->w);
  p->w.name = "w";
  p->w.has_data_type = 1;
  p->w.data_type = 1;
  p->w_dims[0] = 2;
  p->w_dims[1] = 3;
  p->w.n_dims = 2;
  p->w.dims = p->w_dims;
  for (int i = 0; i < 6; i++) p->w_data[i] = (float)i * 0.5f;
  p->w.n_float_data = 6;
  p->w.float_data = p->w_data;
  p->inits[0] = &p->w;
  p->graph.n_initializer = 1;
  p->graph.initializer = p->inits;
}

static uint8_t *pack(model_parts *p, size_t *size) {
  *size = onnx__model_proto__get_packed_size(&p->model);
  uint8_t *buf = malloc(*size ? *size : 1);
  onnx__model_proto__pack(&p->model, buf);
  return buf;
}

/* Loads from memory and compiles; returns the status (NULL if both worked). */
static rn_status *load_and_compile(const uint8_t *buf, size_t size, const char *base_dir) {
  rn_model *m = NULL;
  rn_session *s = NULL;
  rn_status *st = rn_model_load_memory(NULL, buf, size, base_dir, &m);
  if (!st) st = rn_session_create(NULL, m, NULL, &s);
  rn_session_free(s);
  rn_model_free(m);
  return st;
}

static void expect_error(model_parts *p, const char *base_dir, rn_status_code code,
                         const char *needle, const char *what) {
  size_t size;
  uint8_t *buf = pack(p, &size);
  rn_status *st = load_and_compile(buf, size, base_dir);
  CHECK(st != NULL, "%s: expected an error, got success", what);
  if (st) {
    CHECK(rn_status_get_code(st) == code, "%s: code %s, expected %s (%s)", what,
          rn_status_code_name(rn_status_get_code(st)), rn_status_code_name(code),
          rn_status_message(st));
    CHECK(strstr(rn_status_message(st), needle) != NULL, "%s: message '%s' lacks '%s'", what,
          rn_status_message(st), needle);
    printf("ok  %-40s -> %s\n", what, rn_status_message(st));
  }
  rn_status_free(st);
  free(buf);
}

static void test_valid_model_runs(void) {
  model_parts p;
  build(&p);
  size_t size;
  uint8_t *buf = pack(&p, &size);
  rn_model *m = NULL;
  rn_session *s = NULL;
  rn_status *st = rn_model_load_memory(NULL, buf, size, NULL, &m);
  if (!st) st = rn_session_create(NULL, m, NULL, &s);
  CHECK(!st, "valid model: %s", rn_status_message(st));
  if (!st) {
    float xd[6] = {-1, 2, -3, 4, -5, 6};
    int64_t dims[2] = {2, 3};
    rn_tensor *x = NULL, *y = NULL;
    st = rn_tensor_wrap(RN_DTYPE_FLOAT, dims, 2, xd, sizeof xd, &x);
    const char *in = "x", *out = "y";
    if (!st) st = rn_session_run(s, 1, &in, &x, 1, &out, &y);
    CHECK(!st, "valid model run: %s", rn_status_message(st));
    if (!st) {
      const float *yd = rn_tensor_data(y);
      for (int i = 0; i < 6; i++) {
        float want = (xd[i] > 0 ? xd[i] : 0) + (float)i * 0.5f;
        CHECK(yd[i] == want, "y[%d] = %g, expected %g", i, yd[i], want);
      }
    }
    /* Wrong input name and wrong shape are caller errors, named. */
    rn_tensor *y2 = NULL;
    const char *bad = "nope";
    rn_status *e = rn_session_run(s, 1, &bad, &x, 1, &out, &y2);
    CHECK(e && rn_status_get_code(e) == RN_ERR_NOT_FOUND && strstr(rn_status_message(e), "nope"),
          "unknown input name: %s", rn_status_message(e));
    rn_status_free(e);
    int64_t bad_dims[2] = {3, 2};
    rn_tensor *xb = NULL;
    rn_status_free(rn_tensor_wrap(RN_DTYPE_FLOAT, bad_dims, 2, xd, sizeof xd, &xb));
    e = rn_session_run(s, 1, &in, &xb, 1, &out, &y2);
    CHECK(e && strstr(rn_status_message(e), "shape"), "wrong input shape: %s", rn_status_message(e));
    rn_status_free(e);
    rn_tensor_free(xb);
    rn_tensor_free(x);
    rn_tensor_free(y);
  }
  rn_status_free(st);
  rn_session_free(s);
  rn_model_free(m);
  free(buf);
}

/* Every prefix of a valid model either loads or fails cleanly. */
static void test_truncations(void) {
  model_parts p;
  build(&p);
  size_t size;
  uint8_t *buf = pack(&p, &size);
  int errors = 0;
  for (size_t n = 0; n < size; n++) {
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, buf, n);
    rn_status *st = load_and_compile(copy, n, NULL);
    if (st) errors++;
    rn_status_free(st);
    free(copy);
  }
  CHECK(errors > 0, "no truncation was rejected");
  printf("ok  %zu truncations: %d rejected cleanly, the rest loaded\n", size, errors);
  /* A truncated file says so. */
  rn_status *st = load_and_compile(buf, size / 2, NULL);
  CHECK(st && strstr(rn_status_message(st), "not a valid ONNX model"), "half model: %s",
        rn_status_message(st));
  rn_status_free(st);
  free(buf);
}

static void test_garbage(void) {
  uint32_t seed = 12345;
  int rejected = 0;
  for (int trial = 0; trial < 2000; trial++) {
    size_t n = 1 + trial % 300;
    uint8_t *g = malloc(n);
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1664525u + 1013904223u;
      g[i] = (uint8_t)(seed >> 24);
    }
    rn_status *st = load_and_compile(g, n, NULL);
    if (st) rejected++;
    rn_status_free(st);
    free(g);
  }
  printf("ok  2000 random buffers: %d rejected, none crashed\n", rejected);
  /* Bit flips of a valid model. */
  model_parts p;
  build(&p);
  size_t size;
  uint8_t *buf = pack(&p, &size);
  for (size_t i = 0; i < size; i++)
    for (int bit = 0; bit < 8; bit++) {
      buf[i] ^= (uint8_t)(1 << bit);
      rn_status_free(load_and_compile(buf, size, NULL));
      buf[i] ^= (uint8_t)(1 << bit);
    }
  printf("ok  %zu single-bit flips: none crashed\n", size * 8);
  free(buf);
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(data, 1, n, f);
    fclose(f);
  }
}

static void test_external_data(void) {
  char dir[] = "/tmp/rn-test-ext-XXXXXX";
  if (!mkdtemp(dir)) return;
  char path[512], outside[512];
  float data[6] = {1, 2, 3, 4, 5, 6};
  snprintf(path, sizeof path, "%s/weights.bin", dir);
  write_file(path, data, sizeof data);
  snprintf(outside, sizeof outside, "%s.outside", dir);
  write_file(outside, data, sizeof data);
  snprintf(path, sizeof path, "%s/link.bin", dir);
  if (symlink(outside, path) != 0) perror("symlink");

  const char *cases[][3] = {
      {"weights.bin", NULL, NULL},  /* valid */
      {"../etc/passwd", "leaves the model's folder", "external data '../etc/passwd'"},
      {"../../etc/passwd", "leaves the model's folder", "external data '../../etc/passwd'"},
      {"/etc/passwd", "must be a relative path", "external data absolute path"},
      {"link.bin", "outside the model's folder", "external data symlink out"},
      {"missing.bin", "missing.bin", "external data missing file"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    model_parts p;
    build(&p);
    p.w.n_float_data = 0;
    p.w.has_data_location = 1;
    p.w.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    onnx__string_string_entry_proto__init(&p.ext[0]);
    p.ext[0].key = "location";
    p.ext[0].value = (char *)cases[c][0];
    p.ext_ptrs[0] = &p.ext[0];
    p.w.n_external_data = 1;
    p.w.external_data = p.ext_ptrs;
    if (!cases[c][1]) {
      size_t size;
      uint8_t *buf = pack(&p, &size);
      rn_status *st = load_and_compile(buf, size, dir);
      CHECK(!st, "valid external data: %s", rn_status_message(st));
      rn_status_free(st);
      printf("ok  external data inside the folder loads\n");
      free(buf);
    } else {
      rn_status_code code = strcmp(cases[c][0], "missing.bin") == 0 ? RN_ERR_IO : RN_ERR_INVALID_MODEL;
      expect_error(&p, dir, code, cases[c][1], cases[c][2]);
    }
  }
  /* Offset past the end of the file. */
  model_parts p;
  build(&p);
  p.w.n_float_data = 0;
  p.w.has_data_location = 1;
  p.w.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  onnx__string_string_entry_proto__init(&p.ext[0]);
  onnx__string_string_entry_proto__init(&p.ext[1]);
  p.ext[0].key = "location";
  p.ext[0].value = "weights.bin";
  p.ext[1].key = "offset";
  p.ext[1].value = "16";
  p.ext_ptrs[0] = &p.ext[0];
  p.ext_ptrs[1] = &p.ext[1];
  p.w.n_external_data = 2;
  p.w.external_data = p.ext_ptrs;
  expect_error(&p, dir, RN_ERR_INVALID_MODEL, "needs 24 at offset 16", "external data offset past end");
  /* No folder given (model from memory): external data is refused. */
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "not loaded from a folder", "external data without a folder");

  unlink(path);
  snprintf(path, sizeof path, "%s/weights.bin", dir);
  unlink(path);
  unlink(outside);
  rmdir(dir);
}

static void test_broken_structure(void) {
  model_parts p;

  build(&p);
  p.w.n_float_data = 5;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "float_data holds 5 values, shape needs 6", "tensor data shorter than shape");

  build(&p);
  p.w.n_float_data = 0;
  p.w.has_raw_data = 1;
  p.w.raw_data.len = 7;
  p.w.raw_data.data = (uint8_t *)p.w_data;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "raw_data holds 7 bytes", "raw_data shorter than shape");

  build(&p);
  p.w_dims[0] = (int64_t)1 << 40;
  p.w_dims[1] = (int64_t)1 << 40;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "overflows", "shape element count overflows");

  build(&p);
  p.w_dims[0] = -2;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "negative", "negative dim in initializer");

  build(&p);
  p.d0.dim_value = -5;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "negative", "negative dim in input type");

  build(&p);
  p.w_dims[0] = (int64_t)1 << 30; /* absurd but representable: data missing */
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "float_data holds 6 values", "absurd dims without data");

  build(&p); /* cycle: relu reads add's output, add reads relu's */
  p.relu_in[0] = "y";
  p.graph.n_input = 0;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "cycle", "graph with a cycle");

  build(&p);
  p.add_in[1] = "nobody";
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "'nobody' is not produced", "input nobody produces");

  build(&p);
  p.add.op_type = "NoSuchOp";
  expect_error(&p, NULL, RN_ERR_UNSUPPORTED, "NoSuchOp", "unknown op");

  build(&p);
  p.add.domain = "com.example";
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "com.example", "domain without opset import");

  build(&p);
  p.opset.version = 99;
  expect_error(&p, NULL, RN_ERR_UNSUPPORTED, "opset 99", "opset the runtime does not know");

  build(&p);
  p.add_out[0] = "r"; /* two producers of 'r' */
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "already produced", "duplicate output names");

  build(&p);
  p.inits[0] = &p.w;
  Onnx__TensorProto *two[2] = {&p.w, &p.w};
  p.graph.initializer = two;
  p.graph.n_initializer = 2;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "appears twice", "duplicate initializer names");

  build(&p); /* alpha is a FLOAT attribute; a STRING one is refused, named */
  Onnx__AttributeProto alpha;
  Onnx__AttributeProto *attrs[1] = {&alpha};
  onnx__attribute_proto__init(&alpha);
  alpha.name = "alpha";
  alpha.has_type = 1;
  alpha.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  alpha.has_s = 1;
  alpha.s.data = (uint8_t *)"0.1";
  alpha.s.len = 3;
  p.relu.op_type = "LeakyRelu";
  p.relu.n_attribute = 1;
  p.relu.attribute = attrs;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "attribute 'alpha' has type STRING, expected FLOAT",
               "attribute of the wrong type");

  build(&p);
  p.model.graph = NULL;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "no graph", "model without a graph");

  build(&p);
  p.w.data_type = 8; /* string */
  expect_error(&p, NULL, RN_ERR_UNSUPPORTED, "string", "string initializer");

  build(&p);
  p.w.data_type = 77;
  expect_error(&p, NULL, RN_ERR_INVALID_MODEL, "data type 77", "unknown data type");
}

static void test_files(void) {
  rn_model *m = NULL;
  rn_status *st = rn_model_load_file(NULL, "/nonexistent/model.onnx", &m);
  CHECK(st && rn_status_get_code(st) == RN_ERR_IO && strstr(rn_status_message(st), "/nonexistent/model.onnx"),
        "missing file: %s", rn_status_message(st));
  rn_status_free(st);
  st = rn_model_load_file(NULL, "/tmp", &m);
  CHECK(st && rn_status_get_code(st) == RN_ERR_IO, "folder as model: %s", rn_status_message(st));
  rn_status_free(st);
  char path[] = "/tmp/rn-test-empty-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) {
    if (write(fd, "garbage\xff\xff", 9) != 9) perror("write");
    close(fd);
    st = rn_model_load_file(NULL, path, &m);
    CHECK(st && strstr(rn_status_message(st), path), "garbage file: %s", rn_status_message(st));
    printf("ok  %-40s -> %s\n", "garbage file", rn_status_message(st));
    rn_status_free(st);
    unlink(path);
  }
}

static int log_count;
static char last_log[1024];
static void capture_log(void *user, rn_log_level level, const char *msg) {
  (void)user;
  (void)level;
  log_count++;
  snprintf(last_log, sizeof last_log, "%s", msg);
}

/* Limits a host sets on an environment, each enforced with a named error. */
static void test_limits(void) {
  model_parts p;
  build(&p);
  size_t size;
  uint8_t *buf = pack(&p, &size);
  struct {
    rn_limit limit;
    uint64_t bytes;
    const char *needle;
  } cases[] = {
      {RN_LIMIT_MODEL_BYTES, 64, "model size limit of 64 bytes"},
      {RN_LIMIT_TENSOR_BYTES, 16, "initializer 'w': 24 bytes exceed the tensor size limit"},
      {RN_LIMIT_ARENA_BYTES, 32, "exceed the arena size limit"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    rn_env *env = NULL;
    rn_model *m = NULL;
    rn_session *s = NULL;
    rn_status *st = rn_env_create(&env);
    if (!st) st = rn_env_set_limit(env, cases[c].limit, cases[c].bytes);
    if (!st) st = rn_model_load_memory(env, buf, size, NULL, &m);
    if (!st) st = rn_session_create(NULL, m, NULL, &s); /* the model's env applies */
    CHECK(st && rn_status_get_code(st) == RN_ERR_LIMIT && strstr(rn_status_message(st), cases[c].needle),
          "limit %d: %s", (int)cases[c].limit, rn_status_message(st));
    if (st) printf("ok  limit %-34d -> %s\n", (int)cases[c].limit, rn_status_message(st));
    rn_status_free(st);
    rn_session_free(s);
    rn_model_free(m);
    rn_env_free(env);
  }
  /* The logger hears about compilation at INFO. */
  rn_env *env = NULL;
  rn_model *m = NULL;
  rn_session *s = NULL;
  rn_status *st = rn_env_create(&env);
  if (!st) st = rn_env_set_logger(env, RN_LOG_INFO, capture_log, NULL);
  if (!st) st = rn_model_load_memory(env, buf, size, NULL, &m);
  if (!st) st = rn_session_create(NULL, m, NULL, &s);
  CHECK(!st && log_count == 1 && strstr(last_log, "plan 1 built: 2 nodes to run"), "logger: %d messages, last '%s' (%s)",
        log_count, last_log, rn_status_message(st));
  rn_status_free(st);
  rn_session_free(s);
  rn_model_free(m);
  rn_env_free(env);
  free(buf);
}

int main(void) {
#ifndef __SANITIZE_ADDRESS__
  /* A hostile model must never make rn allocate what its shapes claim before
   * the data is checked: cap the address space so such a bug fails here.
   * (AddressSanitizer reserves terabytes of address space, so not there.) */
  struct rlimit lim = {(rlim_t)1 << 31, (rlim_t)1 << 31};
  setrlimit(RLIMIT_AS, &lim);
#endif
  test_valid_model_runs();
  test_limits();
  test_broken_structure();
  test_external_data();
  test_truncations();
  test_garbage();
  test_files();
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all importer checks passed\n");
  return 0;
}
