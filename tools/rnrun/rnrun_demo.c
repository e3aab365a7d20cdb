/* --demo: the bundled digits models on the bundled held-out samples, with
 * truth (from the file names, digitN_*.png) and accuracy. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rnrun.h"

static const char *demo_models[] = {"digits_resnet.onnx", "digits_effnet.onnx"};

static bool has_file(const char *dir, const char *name) {
  char path[4096];
  struct stat sb;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &sb) == 0;
}

/* RN_DEMO_DIR, then the source tree (a build), then the installed copy. */
static const char *find_demo_dir(void) {
  const char *candidates[] = {getenv("RN_DEMO_DIR"), RNRUN_DEMO_DIR_SOURCE, RNRUN_DEMO_DIR_INSTALLED};
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
    if (candidates[i] && has_file(candidates[i], demo_models[0])) return candidates[i];
  return NULL;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int run_demo_model(const rnrun_options *base, const char *dir, const char *model_file,
                          char **images, int n, int *truth) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, model_file);
  rn_model *model = NULL;
  rn_session_options *so = NULL;
  rn_session *session = NULL;
  rn_status *st = rn_model_load_file(base->env, path, &model);
  if (!st) st = rn_session_options_create(&so);
  if (!st) st = rn_session_options_set_threads(so, base->threads);
  if (!st) st = rn_session_create(base->env, model, so, &session);
  if (st) {
    rnrun_error("%s", rn_status_message(st));
    rn_status_free(st);
    rn_session_options_free(so);
    rn_model_free(model);
    return RNRUN_ERR_MODEL;
  }
  rnrun_options o = *base;
  o.model = path;
  o.quiet = true;
  const char *desc = rn_model_metadata(model, "rn.description");
  printf("model %s%s%s\n", path, desc ? ": " : "", desc ? desc : "");
  rnrun_input in;
  int *pred = calloc((size_t)n, sizeof *pred);
  int rc = pred ? rnrun_find_image_input(session, model, &o, &in) : RNRUN_ERR_RUN;
  if (!rc) rc = rnrun_classify(session, model, &in, &o, (const char *const *)images, n, pred);
  if (!rc) {
    int correct = 0, known = 0;
    for (int i = 0; i < n; i++) {
      const char *base_name = strrchr(images[i], '/') ? strrchr(images[i], '/') + 1 : images[i];
      const char *label = rnrun_label(model, &o, 10, pred[i]);
      if (truth[i] >= 0) {
        known++;
        correct += pred[i] == truth[i];
        printf("  %-22s truth %d  predicted %s  %s\n", base_name, truth[i], label ? label : "?",
               pred[i] == truth[i] ? "ok" : "WRONG");
      } else {
        printf("  %-22s predicted %s\n", base_name, label ? label : "?");
      }
    }
    if (known)
      printf("  accuracy: %d/%d = %.1f%%\n", correct, known, 100.0 * correct / known);
  }
  free(pred);
  rnrun_labels_free();
  rn_session_free(session);
  rn_session_options_free(so);
  rn_model_free(model);
  return rc;
}

int rnrun_demo(const rnrun_options *o) {
  const char *dir = find_demo_dir();
  if (!dir) {
    rnrun_error("the bundled demo (examples/digits) was not found; set RN_DEMO_DIR");
    return RNRUN_ERR_MODEL;
  }
  char samples[4096];
  snprintf(samples, sizeof samples, "%s/samples", dir);
  DIR *d = opendir(samples);
  if (!d) {
    rnrun_error("%s: no samples folder", samples);
    return RNRUN_ERR_IMAGE;
  }
  char **images = NULL;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".png") != 0) continue;
    char **grown = realloc(images, sizeof *images * (size_t)(n + 1));
    if (!grown) break;
    images = grown;
    size_t plen = strlen(samples) + len + 2;
    images[n] = malloc(plen);
    if (!images[n]) break;
    snprintf(images[n], plen, "%s/%s", samples, e->d_name);
    n++;
  }
  closedir(d);
  qsort(images, (size_t)n, sizeof *images, cmp_str);
  int *truth = calloc((size_t)n + 1, sizeof *truth);
  for (int i = 0; truth && i < n; i++) {
    const char *base = strrchr(images[i], '/') + 1;
    truth[i] = strncmp(base, "digit", 5) == 0 && base[5] >= '0' && base[5] <= '9' ? base[5] - '0' : -1;
  }
  printf("rn %s demo: classifying %d held-out handwritten digits (scikit-learn's digits)\n", rn_version(), n);
  int rc = truth ? RNRUN_OK : RNRUN_ERR_RUN;
  for (size_t m = 0; m < sizeof demo_models / sizeof demo_models[0] && !rc; m++)
    if (has_file(dir, demo_models[m])) rc = run_demo_model(o, dir, demo_models[m], images, n, truth);
  for (int i = 0; i < n; i++) free(images[i]);
  free(images);
  free(truth);
  return rc;
}
