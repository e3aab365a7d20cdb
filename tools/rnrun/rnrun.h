/* rnrun: classify images with an ONNX model. Shared declarations. */
#ifndef RNRUN_H
#define RNRUN_H

#include <stdbool.h>

#include "rn.h"

/* Exit codes scripts can rely on (also in rnrun --help and the man page). */
enum {
  RNRUN_OK = 0,
  RNRUN_ERR_RUN = 1,    /* inference failed */
  RNRUN_ERR_USAGE = 2,  /* bad command line */
  RNRUN_ERR_MODEL = 3,  /* model missing, unreadable, invalid or unsupported */
  RNRUN_ERR_IMAGE = 4,  /* image missing, unreadable, or not fit for the model */
  RNRUN_ERR_IO = 5      /* an output file could not be written */
};

typedef struct rnrun_options {
  const char *model;
  const char **images;
  int n_images;
  int top;
  const char *labels_file;
  bool json;
  /* preprocessing overrides (0 / false = not given) */
  int resize;
  int crop_h, crop_w;
  int n_mean, n_std;
  float mean[3], std[3];
  bool gray;
  bool no_normalize;
  /* tools */
  bool summary;
  bool no_optimize;     /* --no-optimize: no graph rewrites (BN folding, Conv fusion) */
  int bench;
  int threads;
  const char *device;
  const char *plugins;
  const char *profile;
  const char *dot;
  bool demo;
  bool quiet;  /* classify without printing (the demo prints its own lines) */
  bool list_plugins;
  rn_env *env; /* logging, plugins (made in main) */
} rnrun_options;

/* The model's image input and how images become its tensor. */
typedef struct rnrun_input {
  int index;            /* which session input */
  const char *name;
  int channels;         /* 1 or 3 */
  int64_t batch;        /* fixed batch size, or -1 if dynamic */
  rn_preprocess pp;
} rnrun_input;

/* Prints "rnrun: <message>" to stderr. */
void rnrun_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* rnrun_classify.c */
int rnrun_find_image_input(rn_session *s, const rn_model *m, const rnrun_options *o, rnrun_input *in);
int rnrun_classify(rn_session *s, const rn_model *m, const rnrun_input *in, const rnrun_options *o,
                   const char *const *images, int n_images, int *top1_out);
/* Class names: --labels file, the model's rn.labels metadata, ImageNet for
 * 1000 classes, else NULL (numbers are printed). */
const char *rnrun_label(const rn_model *m, const rnrun_options *o, int n_classes, int index);
void rnrun_labels_free(void);

/* rnrun_report.c */
int rnrun_summary(rn_session *s, const rn_model *m, const rnrun_input *in);
int rnrun_bench(rn_session *s, const rnrun_input *in, const rnrun_options *o);
/* Runs the model once on a zero image batch of `batch` (for --summary / --bench). */
rn_status *rnrun_run_zeros(rn_session *s, const rnrun_input *in, int batch);

/* rnrun_demo.c */
int rnrun_demo(const rnrun_options *o);

#endif
