/* rnrun: classify images with an ONNX model; the project's front door.
 *   rnrun MODEL IMAGE...     top-k predictions with labels
 *   rnrun --demo             the bundled digits models on the bundled samples */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rn_lua.h"
#include "rnrun.h"

void rnrun_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("rnrun: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void usage(FILE *f) {
  fprintf(f,
"usage: rnrun [options] MODEL.onnx IMAGE...\n"
"       rnrun --demo            (also: rnrun with no arguments)\n"
"Classifies PNG/JPEG images (several images form one batch) and prints the\n"
"top-k classes with probabilities and labels.\n"
"\n"
"Output:\n"
"  -k, --top K          classes per image (default 5)\n"
"  --labels FILE        class names, one per line (default: the model's rn.labels\n"
"                       metadata, ImageNet-1k names for 1000 classes, else numbers)\n"
"  --json               one JSON object per image and line:\n"
"                       {\"image\":..., \"top\":[{\"index\":..,\"label\":..,\"prob\":..}]}\n"
"Preprocessing (default: torchvision's Resize(256/224 of the input) + CenterCrop +\n"
"ImageNet mean/std, or what the model's rn.* metadata says):\n"
"  --resize N           resize the shorter side to N (bilinear, antialiased like PIL)\n"
"  --crop N | HxW       center crop (default: the model's input size)\n"
"  --mean A[,B,C]       per-channel mean     --std A[,B,C]   per-channel std\n"
"  --gray               convert images to one gray channel (model must take 1 channel)\n"
"  --no-normalize       only scale pixels to [0,1]\n"
"Tools:\n"
"  --summary            per-node table of the model as given (graph rewrites off):\n"
"                       name, op, output shape, parameters, MACs, where it would run\n"
"  --no-optimize        no graph rewrites at session creation (BatchNorm folding,\n"
"                       Conv + Add + activation fusion), e.g. to compare\n"
"  --bench N            warm-up, then N timed runs: min/median/p90/max latency\n"
"  --threads N          threads (0 = all cores)\n"
"  --device cpu|auto    where to run (no Vulkan plugin exists yet)\n"
"  --plugins DIR[:DIR]  load plugins from these folders instead of the search path\n"
"                       ($RN_PLUGIN_PATH, the installed and the build tree's); 'none': none\n"
"  --list-plugins       list the plugins found (loaded, or why not) and exit\n"
"  --profile FILE       write per-node times as a Chrome trace (JSON)\n"
"  --dot FILE           write the graph in Graphviz format\n"
"  --demo               run the bundled digits models on the bundled samples\n"
"  -h, --help           this help      --version   print the version\n"
"\n"
"Exit status: 0 ok, 1 inference failed, 2 bad command line, 3 model error,\n"
"4 image error, 5 output file error.\n");
}

static bool parse_int(const char *s, int min, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end || v < min || v > 1 << 20) return false;
  *out = (int)v;
  return true;
}

static bool parse_floats(const char *s, float *vals, int *n) {
  *n = 0;
  const char *p = s;
  while (*n < 3) {
    char *end;
    float v = strtof(p, &end);
    if (end == p) return false;
    vals[(*n)++] = v;
    if (*end == 0) return true;
    if (*end != ',') return false;
    p = end + 1;
  }
  return false;
}

static bool parse_crop(const char *s, int *h, int *w) {
  char *x = strchr(s, 'x');
  if (!x) {
    if (!parse_int(s, 1, h)) return false;
    *w = *h;
    return true;
  }
  char buf[64];
  size_t len = (size_t)(x - s);
  if (len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = 0;
  return parse_int(buf, 1, h) && parse_int(x + 1, 1, w);
}

static void log_to_stderr(void *user, rn_log_level level, const char *message) {
  (void)user;
  fprintf(stderr, "rnrun: %s%s\n", level == RN_LOG_ERROR ? "error: " : level == RN_LOG_WARNING ? "warning: " : "",
          message);
}

/* The environment: warnings to stderr, plugins from --plugins or the search path. */
static int make_env(rnrun_options *o) {
  rn_status *st = rn_env_create(&o->env);
  if (!st) st = rn_env_set_logger(o->env, RN_LOG_WARNING, log_to_stderr, NULL);
  if (!st && !(o->plugins && strcmp(o->plugins, "none") == 0)) st = rn_env_load_plugins(o->env, o->plugins);
  if (st) {
    rnrun_error("--plugins: %s", rn_status_message(st));
    rn_status_free(st);
    rn_env_free(o->env);
    o->env = NULL;
    return RNRUN_ERR_USAGE;
  }
  return RNRUN_OK;
}

static int list_plugins(const rnrun_options *o) {
  int n = rn_env_plugin_count(o->env);
  if (n == 0) printf("no plugins found%s\n", o->plugins ? "" : " (search path: $RN_PLUGIN_PATH, the installed and the build tree's plugin folders)");
  for (int i = 0; i < n; i++) {
    rn_plugin_info info;
    rn_status *st = rn_env_plugin_info(o->env, i, &info);
    if (st) {
      rn_status_free(st);
      continue;
    }
    if (info.name)
      printf("%-12s %-8s %3d kernels %3d ops  %s\n", info.name, info.version ? info.version : "", info.n_kernels,
             info.n_schemas, info.path);
    else
      printf("%-12s %s\n", "(not loaded)", info.error);
  }
  return RNRUN_OK;
}

static int run_model(const rnrun_options *o) {
  size_t len = strlen(o->model);
  rn_model *model = NULL;
  rn_session_options *so = NULL;
  rn_session *session = NULL, *summary_session = NULL;
  rn_status *st;
  if (len > 4 && strcmp(o->model + len - 4, ".lua") == 0)
    st = rn_lua_load_model(o->model, 1, &model); /* restricted: no io/os/require */
  else
    st = rn_model_load_file(o->env, o->model, &model);
  if (!st) st = rn_session_options_create(&so);
  if (!st) st = rn_session_options_set_threads(so, o->threads);
  if (!st && o->profile) st = rn_session_options_set_profiling(so, 1);
  if (!st && o->no_optimize) st = rn_session_options_set_optimize(so, 0);
  if (!st) st = rn_session_create(o->env, model, so, &session);
  /* --summary describes the model as given (its parameter count is the
   * framework's: folding a BatchNorm changes it), so on its own session
   * without rewrites. */
  if (!st && o->summary && !o->no_optimize) {
    st = rn_session_options_set_optimize(so, 0);
    if (!st) st = rn_session_create(o->env, model, so, &summary_session);
  }
  if (st) {
    rnrun_error("%s", rn_status_message(st));
    rn_status_free(st);
    rn_session_free(session);
    rn_session_options_free(so);
    rn_model_free(model);
    return RNRUN_ERR_MODEL;
  }
  int rc = RNRUN_OK;
  rnrun_input in;
  if (o->dot) {
    st = rn_model_write_dot(model, o->dot);
    if (st) {
      rnrun_error("%s", rn_status_message(st));
      rn_status_free(st);
      rc = RNRUN_ERR_IO;
      goto done;
    }
  }
  rc = rnrun_find_image_input(session, model, o, &in);
  if (rc) goto done;
  if (o->n_images > 0) {
    rc = rnrun_classify(session, model, &in, o, o->images, o->n_images, NULL);
    if (rc) goto done;
  }
  if (o->summary && (rc = rnrun_summary(summary_session ? summary_session : session, model, &in))) goto done;
  if (o->bench > 0 && (rc = rnrun_bench(session, &in, o))) goto done;
  if (o->profile) {
    st = rn_session_write_profile(session, o->profile);
    if (st) {
      rnrun_error("%s", rn_status_message(st));
      rn_status_free(st);
      rc = RNRUN_ERR_IO;
    }
  }
done:
  rn_session_free(session);
  rn_session_free(summary_session);
  rn_session_options_free(so);
  rn_model_free(model);
  rnrun_labels_free();
  return rc;
}

static int run_cli_model(rnrun_options *o, int argc, char **argv);

int main(int argc, char **argv) {
  rnrun_options o = {.top = 5, .threads = 0};
  enum { OPT_LABELS = 256, OPT_JSON, OPT_RESIZE, OPT_CROP, OPT_MEAN, OPT_STD, OPT_GRAY,
         OPT_NO_NORMALIZE, OPT_SUMMARY, OPT_BENCH, OPT_THREADS, OPT_DEVICE, OPT_PLUGINS,
         OPT_PROFILE, OPT_DOT, OPT_DEMO, OPT_VERSION, OPT_LIST_PLUGINS, OPT_NO_OPTIMIZE };
  static const struct option longopts[] = {
      {"top", required_argument, 0, 'k'},        {"labels", required_argument, 0, OPT_LABELS},
      {"json", no_argument, 0, OPT_JSON},        {"resize", required_argument, 0, OPT_RESIZE},
      {"crop", required_argument, 0, OPT_CROP},  {"mean", required_argument, 0, OPT_MEAN},
      {"std", required_argument, 0, OPT_STD},    {"gray", no_argument, 0, OPT_GRAY},
      {"no-normalize", no_argument, 0, OPT_NO_NORMALIZE},
      {"summary", no_argument, 0, OPT_SUMMARY},  {"no-optimize", no_argument, 0, OPT_NO_OPTIMIZE},  {"bench", required_argument, 0, OPT_BENCH},
      {"threads", required_argument, 0, OPT_THREADS},
      {"device", required_argument, 0, OPT_DEVICE},
      {"plugins", required_argument, 0, OPT_PLUGINS},
      {"list-plugins", no_argument, 0, OPT_LIST_PLUGINS},
      {"profile", required_argument, 0, OPT_PROFILE},
      {"dot", required_argument, 0, OPT_DOT},    {"demo", no_argument, 0, OPT_DEMO},
      {"help", no_argument, 0, 'h'},             {"version", no_argument, 0, OPT_VERSION},
      {0, 0, 0, 0}};
  opterr = 0; /* we print our own one-line messages */
  int c;
  while ((c = getopt_long(argc, argv, ":k:h", longopts, NULL)) != -1) {
    switch (c) {
      case 'k':
        if (!parse_int(optarg, 1, &o.top)) {
          rnrun_error("--top needs a positive number, got '%s'", optarg);
          return RNRUN_ERR_USAGE;
        }
        break;
      case OPT_LABELS: o.labels_file = optarg; break;
      case OPT_JSON: o.json = true; break;
      case OPT_RESIZE:
        if (!parse_int(optarg, 1, &o.resize)) {
          rnrun_error("--resize needs a positive number, got '%s'", optarg);
          return RNRUN_ERR_USAGE;
        }
        break;
      case OPT_CROP:
        if (!parse_crop(optarg, &o.crop_h, &o.crop_w)) {
          rnrun_error("--crop needs N or HxW, got '%s'", optarg);
          return RNRUN_ERR_USAGE;
        }
        break;
      case OPT_MEAN:
      case OPT_STD: {
        float *vals = c == OPT_MEAN ? o.mean : o.std;
        int *n = c == OPT_MEAN ? &o.n_mean : &o.n_std;
        if (!parse_floats(optarg, vals, n) || (*n != 1 && *n != 3)) {
          rnrun_error("--%s needs 1 or 3 comma-separated numbers, got '%s'",
                      c == OPT_MEAN ? "mean" : "std", optarg);
          return RNRUN_ERR_USAGE;
        }
        for (int i = 0; c == OPT_STD && i < *n; i++)
          if (!(vals[i] > 0)) {
            rnrun_error("--std values must be positive, got '%s'", optarg);
            return RNRUN_ERR_USAGE;
          }
        break;
      }
      case OPT_GRAY: o.gray = true; break;
      case OPT_NO_NORMALIZE: o.no_normalize = true; break;
      case OPT_SUMMARY: o.summary = true; break;
      case OPT_NO_OPTIMIZE: o.no_optimize = true; break;
      case OPT_BENCH:
        if (!parse_int(optarg, 1, &o.bench)) {
          rnrun_error("--bench needs a positive number of runs, got '%s'", optarg);
          return RNRUN_ERR_USAGE;
        }
        break;
      case OPT_THREADS:
        if (!parse_int(optarg, 0, &o.threads)) {
          rnrun_error("--threads needs a number >= 0, got '%s'", optarg);
          return RNRUN_ERR_USAGE;
        }
        break;
      case OPT_DEVICE:
        if (strcmp(optarg, "cpu") != 0 && strcmp(optarg, "auto") != 0 && strcmp(optarg, "vulkan") != 0) {
          rnrun_error("--device must be cpu, vulkan or auto, got '%s'", optarg);
          return RNRUN_ERR_USAGE;
        }
        if (strcmp(optarg, "vulkan") == 0) {
          rnrun_error("--device vulkan: no Vulkan plugin is available in this build");
          return RNRUN_ERR_MODEL;
        }
        o.device = optarg;
        break;
      case OPT_PLUGINS: o.plugins = optarg; break;
      case OPT_LIST_PLUGINS: o.list_plugins = true; break;
      case OPT_PROFILE: o.profile = optarg; break;
      case OPT_DOT: o.dot = optarg; break;
      case OPT_DEMO: o.demo = true; break;
      case OPT_VERSION: printf("rnrun %s\n", rn_version()); return RNRUN_OK;
      case 'h': usage(stdout); return RNRUN_OK;
      case ':':
        rnrun_error("option '%s' needs a value (see rnrun --help)", argv[optind - 1]);
        return RNRUN_ERR_USAGE;
      default:
        rnrun_error("unknown option '%s' (see rnrun --help)", argv[optind - 1]);
        return RNRUN_ERR_USAGE;
    }
  }
  int rc = make_env(&o);
  if (rc) return rc;
  if (o.list_plugins) rc = list_plugins(&o);
  else if (o.demo || optind == argc) rc = rnrun_demo(&o);
  else rc = run_cli_model(&o, argc, argv);
  rn_env_free(o.env);
  return rc;
}

static int run_cli_model(rnrun_options *o, int argc, char **argv) {
  o->model = argv[optind];
  o->images = (const char **)argv + optind + 1;
  o->n_images = argc - optind - 1;
  if (o->n_images == 0 && !o->summary && !o->bench && !o->dot) {
    rnrun_error("no image given: rnrun MODEL IMAGE... (or --summary / --bench N / --dot FILE)");
    return RNRUN_ERR_USAGE;
  }
  return run_model(o);
}
