/* Fuzz target: image bytes through decoding and torchvision-style
 * preprocessing (resize + crop + normalize). Errors are fine; crashes,
 * leaks and sanitizer reports are bugs. */
#include <stdint.h>
#include <stdlib.h>

#include "rn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rn_image *image = NULL;
  rn_status *st = rn_image_load_memory(data, size, &image);
  if (!st && (int64_t)rn_image_width(image) * rn_image_height(image) <= (1 << 22)) {
    rn_preprocess pp;
    rn_preprocess_imagenet(&pp, 24, 20); /* small crop: the resize path still runs in full */
    rn_tensor *t = NULL;
    rn_status_free(rn_images_to_tensor(&image, 1, &pp, &t));
    rn_tensor_free(t);
    pp.channels = 1;
    pp.resize = 0;
    rn_status_free(rn_images_to_tensor(&image, 1, &pp, &t));
    rn_tensor_free(t);
  }
  rn_status_free(st);
  rn_image_free(image);
  return 0;
}
