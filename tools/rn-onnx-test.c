/* rn-onnx-test: runs ONNX backend-test folders (model.onnx +
 * test_data_set_N/{input,output}_K.pb) through rn and compares the outputs,
 * like ONNX Runtime's onnx_test_runner. Uses only the public API. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rn.h"

typedef struct options {
  double rtol, atol;
  double tol_max_rel;   /* > 0: |got - want| <= tol_max_rel * max|want| instead */
  bool check_top1;
  bool verbose;
  int threads;
  bool have_filter;
  regex_t filter;
  const char *expect_file;
  rn_env *env; /* plugins (--plugins DIR) */
} options;

typedef struct totals {
  int passed, failed, skipped;
  char **passed_names;
  int n_passed_names, cap_passed_names;
} totals;

static bool is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static rn_status *load_pb(const char *path, rn_tensor **out, char **name) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL; /* caller checks *out */
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
  size_t got = buf ? fread(buf, 1, (size_t)size, f) : 0;
  fclose(f);
  rn_status *st = rn_tensor_from_onnx(buf, got, out, name);
  free(buf);
  return st;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted entries of a folder matching prefix (NULL: all); caller frees. */
static int list_dir(const char *dir, const char *prefix, char ***out) {
  DIR *d = opendir(dir);
  *out = NULL;
  if (!d) return 0;
  int n = 0, cap = 0;
  char **names = NULL;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (prefix && strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      names = realloc(names, sizeof *names * (size_t)cap);
    }
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  *out = names;
  return n;
}

static void free_list(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* input_K.pb / output_K.pb sorted by K (not lexically: input_10 after input_9). */
static int pb_index(const char *name, const char *prefix) {
  return atoi(name + strlen(prefix));
}

typedef struct compare_result {
  bool ok;
  char why[512];
} compare_result;

static void compare(const options *o, const char *name, rn_tensor *got, rn_tensor *want,
                    compare_result *r) {
  r->ok = true;
  r->why[0] = 0;
  if (rn_tensor_dtype(got) != rn_tensor_dtype(want)) {
    r->ok = false;
    snprintf(r->why, sizeof r->why, "output '%s': dtype %s, expected %s", name,
             rn_dtype_name(rn_tensor_dtype(got)), rn_dtype_name(rn_tensor_dtype(want)));
    return;
  }
  int rank = rn_tensor_rank(got);
  bool same_shape = rank == rn_tensor_rank(want);
  for (int d = 0; same_shape && d < rank; d++)
    if (rn_tensor_dims(got)[d] != rn_tensor_dims(want)[d]) same_shape = false;
  if (!same_shape) {
    char a[256] = "", b[256] = "";
    for (int d = 0; d < rank; d++)
      snprintf(a + strlen(a), sizeof a - strlen(a), d ? ",%lld" : "%lld", (long long)rn_tensor_dims(got)[d]);
    for (int d = 0; d < rn_tensor_rank(want); d++)
      snprintf(b + strlen(b), sizeof b - strlen(b), d ? ",%lld" : "%lld", (long long)rn_tensor_dims(want)[d]);
    r->ok = false;
    snprintf(r->why, sizeof r->why, "output '%s': shape [%s], expected [%s]", name, a, b);
    return;
  }
  int64_t n = rn_tensor_numel(got);
  rn_dtype dt = rn_tensor_dtype(got);
  const void *g = rn_tensor_data(got), *w = rn_tensor_data(want);
  if (dt != RN_DTYPE_FLOAT && dt != RN_DTYPE_DOUBLE) {
    if (memcmp(g, w, rn_tensor_nbytes(got)) != 0) {
      size_t es = rn_dtype_size(dt);
      int64_t at = 0;
      while (at < n && memcmp((const char *)g + at * (int64_t)es, (const char *)w + at * (int64_t)es, es) == 0) at++;
      r->ok = false;
      snprintf(r->why, sizeof r->why, "output '%s': %s values differ (first at index %lld)", name,
               rn_dtype_name(dt), (long long)at);
    }
    return;
  }
  double max_want = 0;
  for (int64_t i = 0; i < n; i++) {
    double b = dt == RN_DTYPE_FLOAT ? ((const float *)w)[i] : ((const double *)w)[i];
    if (isfinite(b) && fabs(b) > max_want) max_want = fabs(b);
  }
  double max_err = 0, worst_excess = 0;
  int64_t worst = -1;
  for (int64_t i = 0; i < n; i++) {
    double a = dt == RN_DTYPE_FLOAT ? ((const float *)g)[i] : ((const double *)g)[i];
    double b = dt == RN_DTYPE_FLOAT ? ((const float *)w)[i] : ((const double *)w)[i];
    if (isnan(a) && isnan(b)) continue;
    if (isinf(a) && isinf(b) && (a > 0) == (b > 0)) continue;
    double err = fabs(a - b);
    if (isnan(a) != isnan(b) || isinf(a) != isinf(b)) err = INFINITY;
    double tol = o->tol_max_rel > 0 ? o->tol_max_rel * max_want : o->atol + o->rtol * fabs(b);
    if (err > max_err || (isnan(err))) max_err = err;
    if (!(err <= tol) && (worst < 0 || err - tol > worst_excess)) {
      worst = i;
      worst_excess = err - tol;
    }
  }
  if (worst >= 0) {
    double a = dt == RN_DTYPE_FLOAT ? ((const float *)g)[worst] : ((const double *)g)[worst];
    double b = dt == RN_DTYPE_FLOAT ? ((const float *)w)[worst] : ((const double *)w)[worst];
    r->ok = false;
    snprintf(r->why, sizeof r->why, "output '%s': max abs error %.3g (worst at index %lld: got %.7g, expected %.7g)",
             name, max_err, (long long)worst, a, b);
    return;
  }
  if (o->check_top1 && rank >= 1 && rn_tensor_dims(got)[rank - 1] > 0) {
    int64_t cols = rn_tensor_dims(got)[rank - 1], rows = n / cols;
    for (int64_t row = 0; row < rows; row++) {
      int64_t ag = 0, aw = 0;
      for (int64_t c = 1; c < cols; c++) {
        double vg = dt == RN_DTYPE_FLOAT ? ((const float *)g)[row * cols + c] : ((const double *)g)[row * cols + c];
        double vw = dt == RN_DTYPE_FLOAT ? ((const float *)w)[row * cols + c] : ((const double *)w)[row * cols + c];
        double bg = dt == RN_DTYPE_FLOAT ? ((const float *)g)[row * cols + ag] : ((const double *)g)[row * cols + ag];
        double bw = dt == RN_DTYPE_FLOAT ? ((const float *)w)[row * cols + aw] : ((const double *)w)[row * cols + aw];
        if (vg > bg) ag = c;
        if (vw > bw) aw = c;
      }
      if (ag != aw) {
        r->ok = false;
        snprintf(r->why, sizeof r->why, "output '%s' row %lld: top-1 is %lld, expected %lld", name,
                 (long long)row, (long long)ag, (long long)aw);
        return;
      }
    }
  }
  snprintf(r->why, sizeof r->why, "max abs error %.3g (max |expected| %.3g)", max_err, max_want);
}

typedef enum outcome { PASS, FAIL, SKIP } outcome;

static outcome run_data_set(const options *o, rn_session *s, const char *set_dir, char *why, size_t why_size) {
  char **files;
  int nf = list_dir(set_dir, NULL, &files);
  int n_in = rn_session_input_count(s), n_out = rn_session_output_count(s);
  rn_tensor **ins = calloc((size_t)n_in + 1, sizeof *ins);
  rn_tensor **outs = calloc((size_t)n_out + 1, sizeof *outs);
  rn_tensor **wants = calloc((size_t)n_out + 1, sizeof *wants);
  const char **in_names = calloc((size_t)n_in + 1, sizeof *in_names);
  const char **out_names = calloc((size_t)n_out + 1, sizeof *out_names);
  outcome result = PASS;
  int n_in_files = 0, n_out_files = 0;
  for (int i = 0; i < nf && result == PASS; i++) {
    bool is_in = strncmp(files[i], "input_", 6) == 0, is_out = strncmp(files[i], "output_", 7) == 0;
    if (!is_in && !is_out) continue;
    int k = pb_index(files[i], is_in ? "input_" : "output_");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", set_dir, files[i]);
    rn_tensor *t = NULL;
    char *name = NULL;
    rn_status *st = load_pb(path, &t, &name);
    if (st || !t) {
      snprintf(why, why_size, "%s: %s", files[i], st ? rn_status_message(st) : "unreadable");
      result = st && rn_status_get_code(st) == RN_ERR_UNSUPPORTED ? SKIP : FAIL;
      if (st && strstr(rn_status_message(st), "not a valid ONNX TensorProto")) result = SKIP; /* sequences, maps */
      rn_status_free(st);
      free(name);
      break;
    }
    free(name);
    if (is_in) {
      n_in_files++;
      if (k < 0 || k >= n_in || ins[k]) {
        snprintf(why, why_size, "%s does not match the model's %d inputs", files[i], n_in);
        result = FAIL;
        rn_tensor_free(t);
        break;
      }
      ins[k] = t;
    } else {
      n_out_files++;
      if (k < 0 || k >= n_out || wants[k]) {
        snprintf(why, why_size, "%s does not match the model's %d outputs", files[i], n_out);
        result = FAIL;
        rn_tensor_free(t);
        break;
      }
      wants[k] = t;
    }
  }
  if (result == PASS && n_in_files != n_in) {
    snprintf(why, why_size, "%d input files for %d model inputs", n_in_files, n_in);
    result = FAIL;
  }
  if (result == PASS) {
    for (int i = 0; i < n_in; i++) in_names[i] = rn_session_input_name(s, i);
    for (int i = 0; i < n_out; i++) out_names[i] = rn_session_output_name(s, i);
    rn_status *st = rn_session_run(s, n_in, in_names, ins, n_out, out_names, outs);
    if (st) {
      result = rn_status_get_code(st) == RN_ERR_UNSUPPORTED ? SKIP : FAIL;
      snprintf(why, why_size, "%s", rn_status_message(st));
      rn_status_free(st);
    } else {
      double worst_err_note = 0;
      (void)worst_err_note;
      why[0] = 0;
      for (int i = 0; i < n_out && result == PASS; i++) {
        if (!wants[i]) continue;
        compare_result r;
        compare(o, out_names[i], outs[i], wants[i], &r);
        if (!r.ok) result = FAIL;
        if (!r.ok || i == 0) snprintf(why, why_size, "%s", r.why);
      }
    }
  }
  for (int i = 0; i < n_in; i++) rn_tensor_free(ins[i]);
  for (int i = 0; i < n_out; i++) {
    rn_tensor_free(outs[i]);
    rn_tensor_free(wants[i]);
  }
  free(ins);
  free(outs);
  free(wants);
  free(in_names);
  free(out_names);
  free_list(files, nf);
  return result;
}

static void record_pass(totals *t, const char *name) {
  if (t->n_passed_names == t->cap_passed_names) {
    t->cap_passed_names = t->cap_passed_names ? t->cap_passed_names * 2 : 256;
    t->passed_names = realloc(t->passed_names, sizeof(char *) * (size_t)t->cap_passed_names);
  }
  t->passed_names[t->n_passed_names++] = strdup(name);
}

static void run_test(const options *o, const char *dir, const char *name, totals *t) {
  if (o->have_filter && regexec(&o->filter, name, 0, NULL, 0) != 0) return;
  char path[4096], why[1024] = "";
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rn_model *model = NULL;
  rn_session *session = NULL;
  rn_session_options *opts = NULL;
  outcome result = PASS;
  rn_status *st = rn_model_load_file(o->env, path, &model);
  if (!st) st = rn_session_options_create(&opts);
  if (!st) st = rn_session_options_set_threads(opts, o->threads);
  if (!st) st = rn_session_create(o->env, model, opts, &session);
  if (st) {
    result = rn_status_get_code(st) == RN_ERR_UNSUPPORTED ? SKIP : FAIL;
    snprintf(why, sizeof why, "%s", rn_status_message(st));
    rn_status_free(st);
  } else {
    char **sets;
    int ns = list_dir(dir, "test_data_set_", &sets);
    if (ns == 0) {
      result = SKIP;
      snprintf(why, sizeof why, "no test_data_set_* folders");
    }
    for (int i = 0; i < ns && result == PASS; i++) {
      char set_dir[4096];
      snprintf(set_dir, sizeof set_dir, "%s/%s", dir, sets[i]);
      result = run_data_set(o, session, set_dir, why, sizeof why);
    }
    free_list(sets, ns);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  switch (result) {
    case PASS:
      t->passed++;
      record_pass(t, name);
      if (o->verbose || o->tol_max_rel > 0) printf("pass        %s (%.0f ms) %s\n", name, ms, why);
      else printf("pass        %s\n", name);
      break;
    case FAIL:
      t->failed++;
      printf("FAIL        %s: %s\n", name, why);
      break;
    case SKIP:
      t->skipped++;
      printf("UNSUPPORTED %s: %s\n", name, why);
      break;
  }
  fflush(stdout);
  rn_session_free(session);
  rn_session_options_free(opts);
  rn_model_free(model);
}

static void walk(const options *o, const char *dir, totals *t) {
  char path[4096];
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  if (is_file(path)) {
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    char name[1024];
    snprintf(name, sizeof name, "%s", base);
    /* trailing slash: use the parent component */
    if (!name[0]) snprintf(name, sizeof name, "%s", dir);
    run_test(o, dir, name, t);
    return;
  }
  char **entries;
  int n = list_dir(dir, NULL, &entries);
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, entries[i]);
    if (is_dir(path)) walk(o, path, t);
  }
  free_list(entries, n);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: rn-onnx-test [options] DIR...\n"
          "Runs ONNX backend-test folders (model.onnx + test_data_set_N/{input,output}_K.pb)\n"
          "found under each DIR and compares rn's outputs with the expected ones.\n"
          "  --filter REGEX     only tests whose folder name matches (POSIX extended regex)\n"
          "  --expect FILE      names of tests that must pass (one per line, # comments);\n"
          "                     exit status 1 if any of them does not\n"
          "  --rtol R --atol A  tolerances: |got-want| <= A + R*|want| (default 1e-3, 1e-5)\n"
          "  --tol-max-rel R    instead: |got-want| <= R * max|want| per output\n"
          "  --check-top1       also require the same argmax over the last axis\n"
          "  --threads N        threads per session (0 = all cores)\n"
          "  --plugins DIR[:DIR] load the plugins in these folders (their kernels take the\n"
          "                     nodes they support best; the rest run on rn's reference kernels)\n"
          "  -v, --verbose      print timings and errors of passing tests\n"
          "The last line reads: rn-onnx-test: P passed, F failed, S skipped\n");
}

static int check_expected(const char *file, const totals *t) {
  FILE *f = fopen(file, "r");
  if (!f) {
    fprintf(stderr, "rn-onnx-test: cannot open expectation list '%s': %s\n", file, strerror(errno));
    return 2;
  }
  char line[1024];
  int missing = 0, listed = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n#")] = 0;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
    if (!*p) continue;
    listed++;
    bool found = false;
    for (int i = 0; i < t->n_passed_names && !found; i++) found = strcmp(t->passed_names[i], p) == 0;
    if (!found) {
      printf("REGRESSION  %s: expected to pass\n", p);
      missing++;
    }
  }
  fclose(f);
  printf("rn-onnx-test: %d of %d expected tests passed\n", listed - missing, listed);
  return missing ? 1 : 0;
}

int main(int argc, char **argv) {
  options o = {.rtol = 1e-3, .atol = 1e-5, .threads = 1};
  static const struct option longopts[] = {
      {"filter", required_argument, 0, 'f'}, {"expect", required_argument, 0, 'e'},
      {"rtol", required_argument, 0, 'r'},   {"atol", required_argument, 0, 'a'},
      {"tol-max-rel", required_argument, 0, 'm'}, {"check-top1", no_argument, 0, 't'},
      {"threads", required_argument, 0, 'j'}, {"verbose", no_argument, 0, 'v'},
      {"plugins", required_argument, 0, 'p'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
    switch (c) {
      case 'f':
        if (regcomp(&o.filter, optarg, REG_EXTENDED | REG_NOSUB) != 0) {
          fprintf(stderr, "rn-onnx-test: invalid --filter regex '%s'\n", optarg);
          return 2;
        }
        o.have_filter = true;
        break;
      case 'e': o.expect_file = optarg; break;
      case 'r': o.rtol = atof(optarg); break;
      case 'a': o.atol = atof(optarg); break;
      case 'm': o.tol_max_rel = atof(optarg); break;
      case 't': o.check_top1 = true; break;
      case 'j': o.threads = atoi(optarg); break;
      case 'v': o.verbose = true; break;
      case 'p': {
        rn_status *st = o.env ? NULL : rn_env_create(&o.env);
        if (!st) st = rn_env_load_plugins(o.env, optarg);
        for (int i = 0; !st && i < rn_env_plugin_count(o.env); i++) {
          rn_plugin_info info;
          if (!rn_env_plugin_info(o.env, i, &info))
            fprintf(stderr, "rn-onnx-test: plugin %s\n", info.name ? info.name : info.error);
        }
        if (st) {
          fprintf(stderr, "rn-onnx-test: --plugins: %s\n", rn_status_message(st));
          rn_status_free(st);
          return 2;
        }
        break;
      }
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  totals t = {0};
  for (int i = optind; i < argc; i++) {
    if (!is_dir(argv[i])) {
      fprintf(stderr, "rn-onnx-test: '%s' is not a folder\n", argv[i]);
      return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", argv[i]);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') dir[--len] = 0;
    walk(&o, dir, &t);
  }
  int rc = 0;
  if (o.expect_file) rc = check_expected(o.expect_file, &t);
  else rc = (t.failed || t.skipped) ? 1 : 0;
  printf("rn-onnx-test: %d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
  for (int i = 0; i < t.n_passed_names; i++) free(t.passed_names[i]);
  free(t.passed_names);
  if (o.have_filter) regfree(&o.filter);
  rn_env_free(o.env);
  return rc;
}
