/* Images -> model input -> top-k classes with labels. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imagenet_labels.h"
#include "rnrun.h"

static bool parse_metadata_floats(const char *s, float *vals, int *n) {
  *n = 0;
  while (s && *s && *n < 3) {
    char *end;
    vals[(*n)++] = strtof(s, &end);
    if (end == s) return false;
    s = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end) return false;
  }
  return *n == 1 || *n == 3;
}

static void fill3(float *vals, int n) {
  if (n == 1) vals[1] = vals[2] = vals[0];
}

int rnrun_find_image_input(rn_session *s, const rn_model *m, const rnrun_options *o, rnrun_input *in) {
  memset(in, 0, sizeof *in);
  in->index = -1;
  for (int i = 0; i < rn_session_input_count(s) && in->index < 0; i++) {
    rn_value_info info;
    rn_status *st = rn_session_input_info(s, i, &info);
    if (st) {
      rn_status_free(st);
      continue;
    }
    if (info.dtype != RN_DTYPE_FLOAT || info.rank != 4) continue;
    if (info.dims[1] >= 0 && info.dims[1] != 1 && info.dims[1] != 3) continue;
    in->index = i;
    in->name = rn_session_input_name(s, i);
    in->channels = info.dims[1] == 1 ? 1 : 3;
    in->batch = info.dims[0];
    int h = (int)info.dims[2], w = (int)info.dims[3];
    if (o->crop_h) {
      if ((h > 0 && h != o->crop_h) || (w > 0 && w != o->crop_w)) {
        rnrun_error("--crop %dx%d does not fit the model's input '%s' of %dx%d", o->crop_h, o->crop_w,
                    in->name, h, w);
        return RNRUN_ERR_USAGE;
      }
      h = o->crop_h;
      w = o->crop_w;
    }
    if (h <= 0 || w <= 0) h = w = 224; /* dynamic spatial size: torchvision's default */
    rn_preprocess_imagenet(&in->pp, h, w);
  }
  if (in->index < 0) {
    rnrun_error("%s: the model has no image-like input (a float32 [N,C,H,W] tensor with C = 1 or 3)",
                o->model);
    return RNRUN_ERR_MODEL;
  }
  rn_preprocess *pp = &in->pp;
  pp->channels = in->channels;
  /* The model's own preprocessing (rn.* metadata), then the flags. */
  const char *v;
  int n;
  if ((v = rn_model_metadata(m, "rn.resize"))) pp->resize = atoi(v);
  if ((v = rn_model_metadata(m, "rn.crop")) && !o->crop_h) {
    int c = atoi(v);
    if (c > 0) pp->crop_height = pp->crop_width = c;
  }
  if ((v = rn_model_metadata(m, "rn.mean")) && parse_metadata_floats(v, pp->mean, &n)) fill3(pp->mean, n);
  if ((v = rn_model_metadata(m, "rn.std")) && parse_metadata_floats(v, pp->std, &n)) fill3(pp->std, n);
  if (o->resize) pp->resize = o->resize;
  if (o->n_mean) {
    memcpy(pp->mean, o->mean, sizeof pp->mean);
    fill3(pp->mean, o->n_mean);
  }
  if (o->n_std) {
    memcpy(pp->std, o->std, sizeof pp->std);
    fill3(pp->std, o->n_std);
  }
  if (o->no_normalize) pp->normalize = 0;
  if (o->gray && in->channels != 1) {
    rnrun_error("--gray: the model's input '%s' takes 3 channels (RGB), not 1", in->name);
    return RNRUN_ERR_IMAGE;
  }
  return RNRUN_OK;
}

/* ---- labels ---- */

static char **file_labels;
static int n_file_labels;
static char **meta_labels;
static int n_meta_labels;
static bool labels_loaded;

void rnrun_labels_free(void) {
  for (int i = 0; i < n_file_labels; i++) free(file_labels[i]);
  for (int i = 0; i < n_meta_labels; i++) free(meta_labels[i]);
  free(file_labels);
  free(meta_labels);
  file_labels = meta_labels = NULL;
  n_file_labels = n_meta_labels = 0;
  labels_loaded = false;
}

static void push(char ***list, int *n, const char *s, size_t len) {
  char **l = realloc(*list, sizeof *l * (size_t)(*n + 1));
  if (!l) return;
  *list = l;
  l[*n] = strndup(s, len);
  if (l[*n]) (*n)++;
}

static int load_labels(const rn_model *m, const rnrun_options *o) {
  if (labels_loaded) return RNRUN_OK;
  labels_loaded = true;
  if (o->labels_file) {
    FILE *f = fopen(o->labels_file, "r");
    if (!f) {
      rnrun_error("--labels %s: %s", o->labels_file, strerror(errno));
      return RNRUN_ERR_USAGE;
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) push(&file_labels, &n_file_labels, line, strcspn(line, "\r\n"));
    fclose(f);
  }
  const char *v = rn_model_metadata(m, "rn.labels");
  while (v && *v) {
    size_t len = strcspn(v, ",");
    push(&meta_labels, &n_meta_labels, v, len);
    v += len + (v[len] == ',');
  }
  return RNRUN_OK;
}

const char *rnrun_label(const rn_model *m, const rnrun_options *o, int n_classes, int index) {
  (void)m;
  (void)o;
  if (index < n_file_labels) return file_labels[index];
  if (n_meta_labels == n_classes && index < n_meta_labels) return meta_labels[index];
  if (n_classes == 1000) return rn_imagenet_labels[index];
  return NULL;
}

/* ---- classification ---- */

static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') printf("\\%c", *c);
    else if (*c < 0x20) printf("\\u%04x", *c);
    else putchar(*c);
  }
  putchar('"');
}

/* Probabilities from a row: kept if it already is a distribution, else softmax. */
static void to_probs(const float *row, int k, double *p) {
  double sum = 0;
  bool in_unit = true;
  for (int i = 0; i < k; i++) {
    if (!(row[i] >= 0 && row[i] <= 1)) in_unit = false;
    sum += row[i];
  }
  if (in_unit && fabs(sum - 1) < 1e-3) {
    for (int i = 0; i < k; i++) p[i] = row[i];
    return;
  }
  double mx = -INFINITY;
  for (int i = 0; i < k; i++) mx = row[i] > mx ? row[i] : mx;
  double z = 0;
  for (int i = 0; i < k; i++) z += (p[i] = exp(row[i] - mx));
  for (int i = 0; i < k; i++) p[i] /= z;
}

static void print_top(const rn_model *m, const rnrun_options *o, const char *image, const float *row,
                      int k, int *top1) {
  double *p = malloc(sizeof *p * (size_t)k);
  int *idx = malloc(sizeof *idx * (size_t)k);
  if (!p || !idx) {
    free(p);
    free(idx);
    return;
  }
  to_probs(row, k, p);
  int top = o->top < k ? o->top : k;
  for (int i = 0; i < k; i++) idx[i] = i;
  for (int i = 0; i < top; i++) /* partial selection sort: top is small */
    for (int j = i + 1; j < k; j++)
      if (p[idx[j]] > p[idx[i]]) {
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
  if (top1) *top1 = idx[0];
  if (o->quiet) {
  } else if (o->json) {
    printf("{\"image\":");
    json_string(image);
    printf(",\"top\":[");
    for (int i = 0; i < top; i++) {
      const char *label = rnrun_label(m, o, k, idx[i]);
      char num[32];
      snprintf(num, sizeof num, "%d", idx[i]);
      printf("%s{\"index\":%d,\"label\":", i ? "," : "", idx[i]);
      json_string(label ? label : num);
      printf(",\"prob\":%.6f}", p[idx[i]]);
    }
    printf("]}\n");
  } else {
    printf("%s\n", image);
    for (int i = 0; i < top; i++) {
      const char *label = rnrun_label(m, o, k, idx[i]);
      printf("  %6.2f%%  %4d  %s\n", 100 * p[idx[i]], idx[i], label ? label : "");
    }
  }
  free(p);
  free(idx);
}

int rnrun_classify(rn_session *s, const rn_model *m, const rnrun_input *in, const rnrun_options *o,
                   const char *const *images, int n_images, int *top1_out) {
  int rc = load_labels(m, o);
  if (rc) return rc;
  rn_image **decoded = calloc((size_t)n_images, sizeof *decoded);
  if (!decoded) return RNRUN_ERR_RUN;
  for (int i = 0; i < n_images && !rc; i++) {
    rn_status *st = rn_image_load_file(images[i], &decoded[i]);
    if (st) {
      rnrun_error("%s", rn_status_message(st));
      rn_status_free(st);
      rc = RNRUN_ERR_IMAGE;
    }
  }
  /* A color image for a one-channel model is a mismatch unless conversion
   * was asked for (--gray) or the model says it takes gray images. */
  const char *color = rn_model_metadata(m, "rn.color");
  bool gray_ok = o->gray || (color && strcmp(color, "gray") == 0);
  for (int i = 0; i < n_images && !rc; i++)
    if (in->channels == 1 && rn_image_channels(decoded[i]) >= 3 && !gray_ok) {
      rnrun_error("%s: a color image, but the model's input '%s' takes 1 channel (pass --gray to convert)",
                  images[i], in->name);
      rc = RNRUN_ERR_IMAGE;
    }
  /* A model exported with a fixed batch runs the images in chunks of it. */
  int chunk = in->batch > 0 ? (int)in->batch : n_images;
  const char *out_name = rn_session_output_name(s, 0);
  for (int start = 0; start < n_images && !rc; start += chunk) {
    int n = n_images - start < chunk ? n_images - start : chunk;
    if (in->batch > 0 && n != chunk) {
      rnrun_error("the model takes batches of exactly %lld images; %d left over", (long long)in->batch, n);
      rc = RNRUN_ERR_IMAGE;
      break;
    }
    rn_tensor *x = NULL, *y = NULL;
    rn_status *st = rn_images_to_tensor(decoded + start, n, &in->pp, &x);
    if (st) {
      rnrun_error("%s", rn_status_message(st));
      rn_status_free(st);
      rc = RNRUN_ERR_IMAGE;
      break;
    }
    const char *in_name = in->name;
    st = rn_session_run(s, 1, &in_name, &x, 1, &out_name, &y);
    if (st) {
      rnrun_error("%s", rn_status_message(st));
      rn_status_free(st);
      rn_tensor_free(x);
      rc = RNRUN_ERR_RUN;
      break;
    }
    /* [N, K] or [N, K, 1, 1]: K classes per image */
    int64_t numel = rn_tensor_numel(y);
    if (rn_tensor_dtype(y) != RN_DTYPE_FLOAT || rn_tensor_rank(y) < 1 || rn_tensor_dims(y)[0] != n ||
        numel % n != 0 || numel / n < 1) {
      rnrun_error("output '%s' is not float32 [N, classes]", out_name);
      rc = RNRUN_ERR_RUN;
    } else {
      int k = (int)(numel / n);
      const float *data = rn_tensor_data(y);
      for (int i = 0; i < n; i++)
        print_top(m, o, images[start + i], data + (size_t)i * (size_t)k, k,
                  top1_out ? &top1_out[start + i] : NULL);
    }
    rn_tensor_free(x);
    rn_tensor_free(y);
  }
  for (int i = 0; i < n_images; i++) rn_image_free(decoded[i]);
  free(decoded);
  return rc;
}
