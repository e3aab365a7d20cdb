/* rn-bench: times rn_session_run on one model and one input file.
 *
 *   rn-bench MODEL INPUT.bin --batch N --threads N --warmup N --runs N [--output FILE]
 *
 * INPUT.bin is raw little-endian float32 NCHW (bench/export_models.py writes
 * it), its C, H, W taken from the model's input. Prints one JSON line,
 * {"times_ms":[...],"plugins":[...]}, and with --output writes the first
 * output of the last run as raw float32. bench/ort_bench.js is the same
 * program for ONNX Runtime; bench/run.py drives both. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rn.h>

static void errorf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("rn-bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void usage(void) {
  fputs("usage: rn-bench MODEL INPUT.bin --batch N --threads N --warmup N --runs N [--output FILE]\n",
        stderr);
}

static int parse_count(const char *opt, const char *s, int min, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < min || v > INT_MAX) {
    errorf("--%s: expected an integer >= %d, got '%s'", opt, min, s);
    return 0;
  }
  *out = (int)v;
  return 1;
}

static void log_to_stderr(void *user, rn_log_level level, const char *message) {
  (void)user;
  (void)level;
  fprintf(stderr, "rn-bench: %s\n", message);
}

/* Reads the whole file, which must be exactly `nbytes` long. */
static void *read_exact(const char *path, size_t nbytes) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    errorf("%s: %s", path, strerror(errno));
    return NULL;
  }
  void *buf = malloc(nbytes ? nbytes : 1);
  size_t got = buf ? fread(buf, 1, nbytes, f) : 0;
  int extra = fgetc(f) != EOF;
  fclose(f);
  if (!buf || got != nbytes || extra) {
    errorf("%s: expected exactly %zu bytes of float32 input", path, nbytes);
    free(buf);
    return NULL;
  }
  return buf;
}

static int write_all(const char *path, const void *data, size_t nbytes) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, nbytes, f) != nbytes || fclose(f) != 0) {
    errorf("%s: %s", path, strerror(errno));
    if (f) fclose(f);
    return 0;
  }
  return 1;
}

/* Loads every plugin on the search path ($RN_PLUGIN_PATH, the installed
 * folder, then the build tree's), as rnrun does, and prints the names of
 * those that loaded as a JSON array: without the CPU plugin rn runs its
 * single-threaded reference kernels, and the numbers mean something else. */
static rn_status *load_plugins(rn_env *env, char *names, size_t size) {
  rn_status *st = rn_env_load_plugins(env, NULL);
  size_t len = (size_t)snprintf(names, size, "[");
  int loaded = 0;
  for (int i = 0; !st && i < rn_env_plugin_count(env); i++) {
    rn_plugin_info info;
    st = rn_env_plugin_info(env, i, &info);
    if (st || !info.name || len >= size) continue;
    len += (size_t)snprintf(names + len, size - len, "%s\"%s\"", loaded++ ? "," : "", info.name);
  }
  if (len < size) snprintf(names + len, size - len, "]");
  if (!st && !loaded) errorf("warning: no plugin loaded; timing rn's reference kernels");
  return st;
}

int main(int argc, char **argv) {
  int batch = 1, threads = 1, warmup = 1, runs = 10;
  const char *output_path = NULL;
  static const struct option longopts[] = {
      {"batch", required_argument, 0, 'b'},  {"threads", required_argument, 0, 't'},
      {"warmup", required_argument, 0, 'w'}, {"runs", required_argument, 0, 'r'},
      {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    int ok = 1;
    switch (c) {
      case 'b': ok = parse_count("batch", optarg, 1, &batch); break;
      case 't': ok = parse_count("threads", optarg, 1, &threads); break;
      case 'w': ok = parse_count("warmup", optarg, 0, &warmup); break;
      case 'r': ok = parse_count("runs", optarg, 1, &runs); break;
      case 'o': output_path = optarg; break;
      case 'h': usage(); return 0;
      default: ok = 0;
    }
    if (!ok) {
      usage();
      return 2;
    }
  }
  if (argc - optind != 2) {
    usage();
    return 2;
  }
  const char *model_path = argv[optind], *input_path = argv[optind + 1];

  int rc = 1;
  rn_env *env = NULL;
  rn_model *model = NULL;
  rn_session_options *options = NULL;
  rn_session *session = NULL;
  rn_tensor *input = NULL, *output = NULL;
  void *pixels = NULL;
  double *times = NULL;
  char plugins[512];

  rn_status *st = rn_env_create(&env);
  if (!st) st = rn_env_set_logger(env, RN_LOG_WARNING, log_to_stderr, NULL);
  if (!st) st = load_plugins(env, plugins, sizeof plugins);
  if (!st) st = rn_model_load_file(env, model_path, &model);
  if (!st) st = rn_session_options_create(&options);
  if (!st) st = rn_session_options_set_threads(options, threads);
  if (!st) st = rn_session_create(env, model, options, &session);
  if (st) goto fail_status;

  /* [batch, C, H, W]: C, H, W from the model, the batch axis is dynamic. */
  rn_value_info info;
  if ((st = rn_session_input_info(session, 0, &info))) goto fail_status;
  if (info.dtype != RN_DTYPE_FLOAT || info.rank != 4 || info.dims[1] < 1 || info.dims[2] < 1 ||
      info.dims[3] < 1) {
    errorf("%s: expected a float32 [N, C, H, W] input with static C, H, W", model_path);
    goto done;
  }
  int64_t dims[4] = {batch, info.dims[1], info.dims[2], info.dims[3]};
  if (info.dims[0] > 0 && info.dims[0] != batch) {
    errorf("%s: the batch axis is fixed at %lld, not %d", model_path, (long long)info.dims[0], batch);
    goto done;
  }
  size_t nbytes = sizeof(float) * (size_t)(dims[0] * dims[1] * dims[2] * dims[3]);
  if (!(pixels = read_exact(input_path, nbytes))) goto done;
  if ((st = rn_tensor_wrap(RN_DTYPE_FLOAT, dims, 4, pixels, nbytes, &input))) goto fail_status;

  if (!(times = malloc(sizeof *times * (size_t)runs))) {
    errorf("out of memory");
    goto done;
  }
  const char *in_name = rn_session_input_name(session, 0);
  const char *out_name = rn_session_output_name(session, 0);
  /* The first run allocates the output (and builds the plan for this batch
   * size); later runs write into it, as an embedding program would. */
  for (int i = 0; i < warmup + runs; i++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = rn_session_run(session, 1, &in_name, &input, 1, &out_name, &output);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st) goto fail_status;
    if (i >= warmup) times[i - warmup] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;
  }
  if (output_path && !write_all(output_path, rn_tensor_data(output), rn_tensor_nbytes(output))) goto done;

  printf("{\"times_ms\":[");
  for (int i = 0; i < runs; i++) printf("%s%.4f", i ? "," : "", times[i]);
  printf("],\"plugins\":%s}\n", plugins);
  rc = 0;
  goto done;

fail_status:
  errorf("%s", rn_status_message(st));
  rn_status_free(st);
done:
  free(times);
  rn_tensor_free(output);
  rn_tensor_free(input);
  free(pixels);
  rn_session_free(session);
  rn_session_options_free(options);
  rn_model_free(model);
  rn_env_free(env);
  return rc;
}
