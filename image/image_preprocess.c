/* Image preprocessing, bit-exact with torchvision 0.14 on PIL (Pillow 9.4):
 *
 *   img.convert('L' or 'RGB')
 *   Compose([Resize(R), CenterCrop((H, W)), ToTensor(), Normalize(mean, std)])
 *
 * Resize is Pillow's ImagingResample with the BILINEAR filter: separable
 * (horizontal pass, then vertical), a triangle filter widened by the
 * downscale factor (antialiasing), 22-bit fixed-point coefficients, and
 * rounding to uint8 after each pass. Every detail below (float/double
 * types, rounding, bounds) follows Pillow's Resample.c, because changing
 * any of them changes pixels by one step somewhere. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "status.h"
#include "tensor.h"

/* Pillow: 32 bits minus 8 for the result and 2 for overflow headroom. */
#define PRECISION_BITS (32 - 8 - 2)

/* ---------------------------------------------------------------- options */

void rn_preprocess_imagenet(rn_preprocess *pp, int height, int width) {
  if (!pp) return;
  memset(pp, 0, sizeof *pp);
  int shorter = height < width ? height : width;
  pp->channels = 3;
  pp->resize = (int)((int64_t)shorter * 256 / 224); /* 224 -> 256, as torchvision's recipes */
  pp->crop_height = height;
  pp->crop_width = width;
  pp->normalize = 1;
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
  memcpy(pp->mean, mean, sizeof mean);
  memcpy(pp->std, std, sizeof std);
}

static rn_status *check_options(const rn_preprocess *pp) {
  if (pp->channels != 1 && pp->channels != 3)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "preprocess: channels must be 1 or 3, not %d",
                    pp->channels);
  if (pp->resize < 0 || pp->crop_height < 0 || pp->crop_width < 0)
    return rn_error(RN_ERR_INVALID_ARGUMENT,
                    "preprocess: negative size (resize %d, crop %dx%d)", pp->resize,
                    pp->crop_height, pp->crop_width);
  if ((int64_t)pp->crop_height * pp->crop_width > RN_IMAGE_MAX_PIXELS)
    return rn_error(RN_ERR_LIMIT, "preprocess: crop %dx%d is too large", pp->crop_height,
                    pp->crop_width);
  if (pp->normalize)
    for (int c = 0; c < pp->channels; c++)
      if (!(pp->std[c] != 0.0f) || !isfinite(pp->std[c]) || !isfinite(pp->mean[c]))
        return rn_error(RN_ERR_INVALID_ARGUMENT,
                        "preprocess: channel %d has mean %g, std %g (std must be finite, nonzero)",
                        c, (double)pp->mean[c], (double)pp->std[c]);
  return NULL;
}

/* Size after Resize(R) (torchvision's _compute_resized_output_size): the
 * shorter side becomes R, the longer int(R * long / short). */
static rn_status *resized_size(const rn_image *im, const rn_preprocess *pp, int index, int *rw,
                               int *rh) {
  int w = im->width, h = im->height;
  if (pp->resize == 0) {
    *rw = w;
    *rh = h;
    return NULL;
  }
  int shorter = w <= h ? w : h, longer = w <= h ? h : w;
  /* Python's int/int true division is correctly rounded, as is this. */
  double new_long = (double)((int64_t)pp->resize * longer) / (double)shorter;
  if (new_long >= (double)INT_MAX || (double)pp->resize * new_long > (double)RN_IMAGE_MAX_PIXELS)
    return rn_error(RN_ERR_LIMIT,
                    "image %d: resizing %dx%d to shorter side %d gives more than %lld pixels",
                    index, w, h, pp->resize, (long long)RN_IMAGE_MAX_PIXELS);
  int nl = (int)new_long;
  *rw = w <= h ? pp->resize : nl;
  *rh = w <= h ? nl : pp->resize;
  return NULL;
}

/* ---------------------------------------------------------------- resampling */

typedef struct coeffs {
  int ksize;       /* coefficients per output pixel */
  int *bounds;     /* per output pixel: first input pixel, count */
  int32_t *kk;     /* out_size x ksize fixed-point weights */
} coeffs;

static double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

static void coeffs_free(coeffs *c) {
  free(c->bounds);
  free(c->kk);
}

/* Pillow's precompute_coeffs + normalize_coeffs_8bpc for box [0, in_size). */
static int coeffs_init(coeffs *c, int in_size, int out_size) {
  const float in0 = 0.0f, in1 = (float)in_size; /* Pillow's box is float */
  const double filter_support = 1.0;            /* BILINEAR */
  double scale, filterscale;
  filterscale = scale = (double)(in1 - in0) / out_size;
  if (filterscale < 1.0) filterscale = 1.0;
  double support = filter_support * filterscale;
  int ksize = (int)ceil(support) * 2 + 1;
  c->ksize = ksize;
  c->bounds = malloc((size_t)out_size * 2 * sizeof *c->bounds);
  c->kk = malloc((size_t)out_size * (size_t)ksize * sizeof *c->kk);
  double *k = malloc((size_t)ksize * sizeof *k);
  if (!c->bounds || !c->kk || !k) {
    free(k);
    coeffs_free(c);
    return 0;
  }
  for (int xx = 0; xx < out_size; xx++) {
    double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    double ss = 1.0 / filterscale;
    int xmin = (int)(center - support + 0.5); /* truncation, as in Pillow */
    if (xmin < 0) xmin = 0;
    int xmax = (int)(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    int x;
    for (x = 0; x < xmax; x++) {
      double w = bilinear_filter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (x = 0; x < xmax; x++)
      if (ww != 0.0) k[x] /= ww;
    for (; x < ksize; x++) k[x] = 0;
    int32_t *kq = c->kk + (size_t)xx * ksize;
    for (x = 0; x < ksize; x++)
      kq[x] = k[x] < 0 ? (int32_t)(-0.5 + k[x] * (1 << PRECISION_BITS))
                       : (int32_t)(0.5 + k[x] * (1 << PRECISION_BITS));
    c->bounds[xx * 2 + 0] = xmin;
    c->bounds[xx * 2 + 1] = xmax;
  }
  free(k);
  return 1;
}

static uint8_t clip8(int32_t ss) {
  int32_t v = ss >> PRECISION_BITS; /* Pillow shifts (arithmetic) then clamps */
  return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Horizontal pass over rows [y0, y0 + rows) of src (width in_w) into dst
 * (width out_w, `rows` rows). */
static void resample_horizontal(uint8_t *dst, int out_w, const uint8_t *src, int in_w, int y0,
                                int rows, int nch, const coeffs *c) {
  for (int yy = 0; yy < rows; yy++) {
    const uint8_t *in = src + (size_t)(yy + y0) * in_w * nch;
    uint8_t *out = dst + (size_t)yy * out_w * nch;
    for (int xx = 0; xx < out_w; xx++) {
      int xmin = c->bounds[xx * 2], xmax = c->bounds[xx * 2 + 1];
      const int32_t *k = c->kk + (size_t)xx * c->ksize;
      for (int ch = 0; ch < nch; ch++) {
        int32_t ss = 1 << (PRECISION_BITS - 1);
        for (int x = 0; x < xmax; x++) ss += in[(x + xmin) * nch + ch] * k[x];
        out[xx * nch + ch] = clip8(ss);
      }
    }
  }
}

/* Vertical pass: dst row yy mixes src rows bounds[yy] - y_shift ... */
static void resample_vertical(uint8_t *dst, int out_h, const uint8_t *src, int w, int y_shift,
                              int nch, const coeffs *c) {
  size_t stride = (size_t)w * nch;
  for (int yy = 0; yy < out_h; yy++) {
    int ymin = c->bounds[yy * 2] - y_shift, ymax = c->bounds[yy * 2 + 1];
    const int32_t *k = c->kk + (size_t)yy * c->ksize;
    uint8_t *out = dst + (size_t)yy * stride;
    for (size_t i = 0; i < stride; i++) {
      int32_t ss = 1 << (PRECISION_BITS - 1);
      for (int y = 0; y < ymax; y++) ss += src[(size_t)(y + ymin) * stride + i] * k[y];
      out[i] = clip8(ss);
    }
  }
}

/* Pillow's ImagingResampleInner: a pass runs only if its size changes; the
 * horizontal pass covers only the rows the vertical pass reads. Returns a
 * new buffer (out_w x out_h x nch) or NULL when out of memory. */
static uint8_t *resample(const uint8_t *src, int in_w, int in_h, int out_w, int out_h, int nch) {
  int need_h = out_w != in_w, need_v = out_h != in_h;
  coeffs cv, ch;
  if (!coeffs_init(&cv, in_h, out_h)) return NULL;
  int ybox_first = cv.bounds[0];
  int ybox_last = cv.bounds[out_h * 2 - 2] + cv.bounds[out_h * 2 - 1];
  uint8_t *tmp = NULL, *out = NULL;
  const uint8_t *cur = src;
  int cur_w = in_w, y_shift = 0;
  if (need_h) {
    if (!coeffs_init(&ch, in_w, out_w)) goto done;
    tmp = malloc((size_t)out_w * (size_t)(ybox_last - ybox_first) * nch);
    if (tmp) resample_horizontal(tmp, out_w, src, in_w, ybox_first, ybox_last - ybox_first, nch, &ch);
    coeffs_free(&ch);
    if (!tmp) goto done;
    cur = tmp;
    cur_w = out_w;
    y_shift = ybox_first;
  }
  if (need_v) {
    out = malloc((size_t)cur_w * out_h * nch);
    if (out) resample_vertical(out, out_h, cur, cur_w, y_shift, nch, &cv);
    free(tmp);
  } else if (need_h) {
    out = tmp; /* ybox covers all rows when the height is unchanged */
  } else {
    out = malloc((size_t)in_w * in_h * nch);
    if (out) memcpy(out, src, (size_t)in_w * in_h * nch);
  }
done:
  coeffs_free(&cv);
  return out;
}

/* ---------------------------------------------------------------- pipeline */

/* PIL's convert('L') / convert('RGB'): L = ITU-R 601-2 luma in 16-bit fixed
 * point; gray replicated to RGB; alpha dropped without compositing. */
static uint8_t *convert_channels(const rn_image *im, int nch) {
  size_t n = (size_t)im->width * im->height;
  uint8_t *out = malloc(n * nch);
  if (!out) return NULL;
  const uint8_t *p = im->pixels;
  int ic = im->channels;
  for (size_t i = 0; i < n; i++, p += ic) {
    if (nch == 1) {
      out[i] = ic >= 3 ? (uint8_t)((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16)
                       : p[0];
    } else if (ic >= 3) {
      out[i * 3 + 0] = p[0];
      out[i * 3 + 1] = p[1];
      out[i * 3 + 2] = p[2];
    } else {
      out[i * 3 + 0] = out[i * 3 + 1] = out[i * 3 + 2] = p[0];
    }
  }
  return out;
}

/* Python's int(round(d / 2.0)) for d >= 0: halves round to even. */
static int round_half_even_div2(int d) {
  int q = d / 2;
  if (d % 2 == 0) return q;
  return q % 2 == 0 ? q : q + 1;
}

/* torchvision's center_crop start along one axis of length n cropped to m,
 * in coordinates of the unpadded image: pads (m - n) // 2 before when the
 * image is smaller, then starts at round((padded - m) / 2). */
static int crop_start(int n, int m) {
  int pad_before = m > n ? (m - n) / 2 : 0;
  int pad_after = m > n ? (m - n + 1) / 2 : 0;
  return round_half_even_div2(n + pad_before + pad_after - m) - pad_before;
}

typedef struct plan {
  int rw, rh; /* after resize */
  int oh, ow; /* after crop */
} plan;

static rn_status *make_plan(const rn_image *im, const rn_preprocess *pp, int index, plan *p) {
  if (!im || !im->pixels || im->width <= 0 || im->height <= 0 || im->channels < 1 ||
      im->channels > 4)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "image %d: NULL or empty image", index);
  RN_TRY(resized_size(im, pp, index, &p->rw, &p->rh));
  p->oh = pp->crop_height > 0 ? pp->crop_height : p->rh;
  p->ow = pp->crop_width > 0 ? pp->crop_width : p->rw;
  return NULL;
}

/* Writes one image as C x oh x ow floats at dst. */
static rn_status *preprocess_one(const rn_image *im, const rn_preprocess *pp, const plan *p,
                                 int index, float *dst) {
  int nch = pp->channels;
  uint8_t *conv = convert_channels(im, nch);
  if (!conv) return rn_error(RN_ERR_OUT_OF_MEMORY, "image %d: out of memory converting it", index);
  uint8_t *img = conv;
  if (p->rw != im->width || p->rh != im->height) {
    img = resample(conv, im->width, im->height, p->rw, p->rh, nch);
    free(conv);
    if (!img)
      return rn_error(RN_ERR_OUT_OF_MEMORY, "image %d: out of memory resizing %dx%d to %dx%d",
                      index, im->width, im->height, p->rw, p->rh);
  }
  int top = crop_start(p->rh, p->oh), left = crop_start(p->rw, p->ow);
  size_t plane = (size_t)p->oh * p->ow;
  for (int c = 0; c < nch; c++) {
    /* ToTensor divides in float32; Normalize subtracts and divides in float32. */
    float mean = pp->normalize ? pp->mean[c] : 0.0f;
    float std = pp->normalize ? pp->std[c] : 1.0f;
    float *out = dst + c * plane;
    for (int y = 0; y < p->oh; y++) {
      int sy = y + top;
      for (int x = 0; x < p->ow; x++) {
        int sx = x + left;
        float v = 0.0f; /* padding is black, as torchvision pads with 0 */
        if (sy >= 0 && sy < p->rh && sx >= 0 && sx < p->rw)
          v = (float)img[((size_t)sy * p->rw + sx) * nch + c] / 255.0f;
        out[(size_t)y * p->ow + x] = pp->normalize ? (v - mean) / std : v;
      }
    }
  }
  free(img);
  return NULL;
}

rn_status *rn_images_to_tensor(rn_image *const *images, int n, const rn_preprocess *pp,
                               rn_tensor **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_images_to_tensor: out is NULL");
  *out = NULL;
  if (!images || n <= 0 || !pp)
    return rn_error(RN_ERR_INVALID_ARGUMENT,
                    "rn_images_to_tensor: needs images (n = %d > 0) and preprocess options", n);
  RN_TRY(check_options(pp));
  plan *plans = malloc((size_t)n * sizeof *plans);
  if (!plans) return rn_error(RN_ERR_OUT_OF_MEMORY, "rn_images_to_tensor: out of memory");
  rn_status *st = NULL;
  for (int i = 0; i < n && !st; i++) {
    st = make_plan(images[i], pp, i, &plans[i]);
    if (!st && (plans[i].oh != plans[0].oh || plans[i].ow != plans[0].ow))
      st = rn_error(RN_ERR_INVALID_ARGUMENT,
                    "image %d (%dx%d) becomes %dx%d but image 0 becomes %dx%d: "
                    "a batch needs one size (set a crop)",
                    i, images[i]->width, images[i]->height, plans[i].ow, plans[i].oh,
                    plans[0].ow, plans[0].oh);
  }
  rn_tensor *t = NULL;
  if (!st) {
    int64_t dims[4] = {n, pp->channels, plans[0].oh, plans[0].ow};
    st = rn_tensor_create(RN_DTYPE_FLOAT, dims, 4, &t);
  }
  size_t per_image = st ? 0 : (size_t)pp->channels * plans[0].oh * plans[0].ow;
  for (int i = 0; i < n && !st; i++)
    st = preprocess_one(images[i], pp, &plans[i], i, (float *)t->data + (size_t)i * per_image);
  free(plans);
  if (st) {
    rn_tensor_free(t);
    return st;
  }
  *out = t;
  return NULL;
}
