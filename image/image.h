/* The decoded image behind the public rn_image handle (image_decode.c makes
 * it, image_preprocess.c reads it). */
#ifndef RN_IMAGE_IMAGE_H
#define RN_IMAGE_IMAGE_H

#include <stdint.h>

#include "rn.h"

/* Decoders refuse images with more pixels than this before allocating
 * (2^28 pixels = 1 GiB as RGBA), and preprocessing refuses to resize to more. */
#define RN_IMAGE_MAX_PIXELS ((int64_t)1 << 28)

struct rn_image {
  int width;
  int height;
  int channels;    /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
  uint8_t *pixels; /* height x width x channels, rows top to bottom */
};

#endif
