/* Embedding rn: load an ONNX model, classify one image, print the top-5.
 * Build against an installed rn:
 *   cc classify.c $(pkg-config --cflags --libs rn) -lm -o classify
 *   ./classify model.onnx image.png */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <rn.h>

static int fail(rn_status *st) {
  fprintf(stderr, "classify: %s\n", rn_status_message(st));
  rn_status_free(st);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.onnx IMAGE\n", argv[0]);
    return 2;
  }
  rn_model *model = NULL;
  rn_session *session = NULL;
  rn_image *image = NULL;
  rn_tensor *input = NULL, *output = NULL;
  rn_status *st = rn_model_load_file(NULL, argv[1], &model);
  if (!st) st = rn_session_create(NULL, model, NULL, &session);
  if (st) return fail(st);

  /* The first input is the image: [N, C, H, W]. */
  rn_value_info info;
  if ((st = rn_session_input_info(session, 0, &info))) return fail(st);
  int h = info.rank == 4 && info.dims[2] > 0 ? (int)info.dims[2] : 224;
  int w = info.rank == 4 && info.dims[3] > 0 ? (int)info.dims[3] : 224;
  rn_preprocess pp;
  rn_preprocess_imagenet(&pp, h, w);
  if (info.rank == 4 && info.dims[1] == 1) { /* a gray model, like the bundled digits demo */
    pp.channels = 1;
    pp.resize = h;
    pp.mean[0] = 0.5f;
    pp.std[0] = 0.5f;
  }
  if ((st = rn_image_load_file(argv[2], &image))) return fail(st);
  if ((st = rn_images_to_tensor(&image, 1, &pp, &input))) return fail(st);

  const char *in_name = rn_session_input_name(session, 0);
  const char *out_name = rn_session_output_name(session, 0);
  if ((st = rn_session_run(session, 1, &in_name, &input, 1, &out_name, &output))) return fail(st);

  /* Softmax over the classes, then the five best. */
  int k = (int)rn_tensor_numel(output);
  const float *logits = rn_tensor_data(output);
  double *p = malloc(sizeof *p * (size_t)k), mx = -INFINITY, z = 0;
  for (int i = 0; i < k; i++) mx = logits[i] > mx ? logits[i] : mx;
  for (int i = 0; i < k; i++) z += (p[i] = exp(logits[i] - mx));
  for (int rank = 0; rank < 5 && rank < k; rank++) {
    int best = 0;
    for (int i = 1; i < k; i++)
      if (p[i] > p[best]) best = i;
    printf("%d. class %d  %.2f%%\n", rank + 1, best, 100 * p[best] / z);
    p[best] = -1;
  }
  free(p);
  rn_tensor_free(output);
  rn_tensor_free(input);
  rn_image_free(image);
  rn_session_free(session);
  rn_model_free(model);
  return 0;
}
