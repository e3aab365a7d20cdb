/* PNG (libpng) and JPEG (libjpeg-turbo) decoding into rn_image.
 *
 * Pixels are presented as PIL presents them, so that preprocessing matches
 * torchvision: PNG gray -> 1 channel, gray+alpha -> 2, palette -> RGB (RGBA
 * with tRNS), RGB -> 3 (4 with tRNS), RGBA -> 4, bit depths < 8 scaled up,
 * 16-bit reduced to the high byte (as PIL's "RGB;16B"/"LA;16B" rawmodes do;
 * PIL opens 16-bit gray as mode I and clips it, rn takes the high byte
 * there too). JPEG keeps libjpeg's defaults (islow IDCT, fancy upsampling),
 * the settings PIL decodes with, so pixels are identical.
 *
 * Input is untrusted: libpng/libjpeg errors longjmp back here and become
 * rn_status errors; sizes are checked before anything is allocated. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "image.h"
#include "status.h"

/* Encoded files larger than this are refused without being read whole. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

static rn_image *image_new(int width, int height, int channels) {
  rn_image *im = calloc(1, sizeof *im);
  if (!im) return NULL;
  im->width = width;
  im->height = height;
  im->channels = channels;
  im->pixels = malloc((size_t)width * (size_t)height * (size_t)channels);
  if (!im->pixels) {
    free(im);
    return NULL;
  }
  return im;
}

void rn_image_free(rn_image *image) {
  if (!image) return;
  free(image->pixels);
  free(image);
}

int rn_image_width(const rn_image *image) { return image ? image->width : 0; }
int rn_image_height(const rn_image *image) { return image ? image->height : 0; }
int rn_image_channels(const rn_image *image) { return image ? image->channels : 0; }
const uint8_t *rn_image_pixels(const rn_image *image) { return image ? image->pixels : NULL; }

static rn_status *check_pixels(const char *name, const char *format, uint64_t width,
                               uint64_t height) {
  if (width == 0 || height == 0)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "%s: %s image has zero size (%llux%llu)", name,
                    format, (unsigned long long)width, (unsigned long long)height);
  if (width * height > (uint64_t)RN_IMAGE_MAX_PIXELS)
    return rn_error(RN_ERR_LIMIT, "%s: %s image is %llux%llu, more than the %lld pixels rn accepts",
                    name, format, (unsigned long long)width, (unsigned long long)height,
                    (long long)RN_IMAGE_MAX_PIXELS);
  return NULL;
}

/* ---------------------------------------------------------------- PNG */

typedef struct png_ctx {
  const char *name;
  const uint8_t *data;
  size_t size, pos;
  png_structp png;
  png_infop info;
  rn_image *image;
  png_bytep *rows;
  rn_status *status;   /* set before longjmp by our own checks */
  int truncated;
  char message[256];   /* libpng's error message */
  char warning[256];   /* its last warning, often the detail of the error */
} png_ctx;

static void png_error_fn(png_structp png, png_const_charp msg) {
  png_ctx *c = png_get_error_ptr(png);
  snprintf(c->message, sizeof c->message, "%s", msg ? msg : "unknown libpng error");
  png_longjmp(png, 1);
}

/* libpng warnings (bad ancillary chunks, ...) are recoverable: PIL ignores
 * them too. The last one is kept: before "Invalid IHDR data" libpng warns
 * what exactly is invalid. */
static void png_warning_fn(png_structp png, png_const_charp msg) {
  png_ctx *c = png_get_error_ptr(png);
  snprintf(c->warning, sizeof c->warning, "%s", msg ? msg : "");
}

static void png_read_fn(png_structp png, png_bytep out, size_t n) {
  png_ctx *c = png_get_io_ptr(png);
  if (n > c->size - c->pos) {
    c->truncated = 1;
    png_error(png, "unexpected end of data");
  }
  memcpy(out, c->data + c->pos, n);
  c->pos += n;
}

/* Runs libpng; returns 0 on error. Everything that must survive a longjmp
 * lives in *c (not in locals of this function, see C11 7.13.2.1). */
static int png_run(png_ctx *c) {
  c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_error_fn, png_warning_fn);
  if (!c->png) {
    c->status = rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot create PNG decoder", c->name);
    return 0;
  }
  c->info = png_create_info_struct(c->png);
  if (!c->info) {
    c->status = rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot create PNG decoder", c->name);
    return 0;
  }
  if (setjmp(png_jmpbuf(c->png))) return 0;
  png_set_read_fn(c->png, c, png_read_fn);
  /* libpng's default limit (1e6 per side) would refuse some images that
   * fit in RN_IMAGE_MAX_PIXELS; the pixel count is checked below instead. */
  png_set_user_limits(c->png, 0x7fffffff, 0x7fffffff);
  png_read_info(c->png, c->info);

  png_uint_32 width, height;
  int bit_depth, color_type, interlace;
  png_get_IHDR(c->png, c->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
  c->status = check_pixels(c->name, "PNG", width, height);
  if (c->status) return 0;

  /* palette -> RGB, gray < 8 bits -> 8 bits (scaled), tRNS -> alpha */
  png_set_expand(c->png);
  if (bit_depth == 16) png_set_strip_16(c->png);
  if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(c->png);
  png_read_update_info(c->png, c->info);

  int channels = png_get_channels(c->png, c->info);
  size_t rowbytes = png_get_rowbytes(c->png, c->info);
  if (channels < 1 || channels > 4 || png_get_bit_depth(c->png, c->info) != 8 ||
      rowbytes != (size_t)width * (size_t)channels) {
    c->status = rn_error(RN_ERR_UNSUPPORTED, "%s: PNG color type %d, bit depth %d not supported",
                         c->name, color_type, bit_depth);
    return 0;
  }
  c->image = image_new((int)width, (int)height, channels);
  c->rows = malloc((size_t)height * sizeof *c->rows);
  if (!c->image || !c->rows) {
    c->status = rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot allocate a %ux%u PNG image", c->name,
                         (unsigned)width, (unsigned)height);
    return 0;
  }
  for (png_uint_32 y = 0; y < height; y++) c->rows[y] = c->image->pixels + (size_t)y * rowbytes;
  png_read_image(c->png, c->rows);
  /* The chunks after the image data are not read: like PIL, a file cut
   * after its last IDAT still yields its (complete) pixels. */
  return 1;
}

static rn_status *decode_png(const uint8_t *data, size_t size, const char *name, rn_image **out) {
  png_ctx c;
  memset(&c, 0, sizeof c);
  c.name = name;
  c.data = data;
  c.size = size;
  int ok = png_run(&c);
  if (c.png) png_destroy_read_struct(&c.png, c.info ? &c.info : NULL, NULL);
  free(c.rows);
  if (ok) {
    *out = c.image;
    return NULL;
  }
  rn_image_free(c.image);
  if (c.status) return c.status;
  if (c.warning[0] && !c.truncated)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "%s: corrupt PNG: %s (%s)", name, c.message,
                    c.warning);
  return rn_error(RN_ERR_INVALID_ARGUMENT, "%s: %s PNG: %s", name,
                  c.truncated ? "truncated" : "corrupt", c.message);
}

/* ---------------------------------------------------------------- JPEG */

typedef struct jpeg_ctx {
  const char *name;
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr jerr;
  jmp_buf jump;
  int created;
  int truncated;
  rn_image *image;
  rn_status *status;
  char message[JMSG_LENGTH_MAX];
} jpeg_ctx;

static void jpeg_error_exit_fn(j_common_ptr cinfo) {
  jpeg_ctx *c = cinfo->client_data;
  (*cinfo->err->format_message)(cinfo, c->message);
  longjmp(c->jump, 1);
}

/* Warnings are recoverable corruption (libjpeg fills in), which PIL accepts,
 * except running out of data: PIL refuses truncated files, and so does rn.
 * Nothing is printed. */
static void jpeg_emit_message_fn(j_common_ptr cinfo, int level) {
  if (level >= 0) return; /* trace messages */
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
    jpeg_ctx *c = cinfo->client_data;
    c->truncated = 1;
    snprintf(c->message, sizeof c->message, "unexpected end of data");
    longjmp(c->jump, 1);
  }
  cinfo->err->num_warnings++;
}

static int jpeg_run(jpeg_ctx *c, const uint8_t *data, size_t size) {
  c->cinfo.err = jpeg_std_error(&c->jerr);
  c->jerr.error_exit = jpeg_error_exit_fn;
  c->jerr.emit_message = jpeg_emit_message_fn;
  c->cinfo.client_data = c;
  if (setjmp(c->jump)) return 0;
  jpeg_create_decompress(&c->cinfo);
  c->created = 1;
  jpeg_mem_src(&c->cinfo, data, (unsigned long)size);
  jpeg_read_header(&c->cinfo, TRUE);

  c->status = check_pixels(c->name, "JPEG", c->cinfo.image_width, c->cinfo.image_height);
  if (c->status) return 0;
  switch (c->cinfo.jpeg_color_space) {
  case JCS_GRAYSCALE:
    c->cinfo.out_color_space = JCS_GRAYSCALE;
    break;
  case JCS_YCbCr:
  case JCS_RGB:
    c->cinfo.out_color_space = JCS_RGB;
    break;
  case JCS_CMYK:
  case JCS_YCCK:
    c->status = rn_error(RN_ERR_UNSUPPORTED, "%s: CMYK JPEG images are not supported", c->name);
    return 0;
  default:
    c->status = rn_error(RN_ERR_UNSUPPORTED, "%s: JPEG with %d color components not supported",
                         c->name, c->cinfo.num_components);
    return 0;
  }
  jpeg_start_decompress(&c->cinfo);
  int channels = c->cinfo.output_components;
  if (channels != 1 && channels != 3) {
    c->status = rn_error(RN_ERR_UNSUPPORTED, "%s: JPEG decodes to %d channels, not supported",
                         c->name, channels);
    return 0;
  }
  c->image = image_new((int)c->cinfo.output_width, (int)c->cinfo.output_height, channels);
  if (!c->image) {
    c->status = rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot allocate a %ux%u JPEG image", c->name,
                         c->cinfo.output_width, c->cinfo.output_height);
    return 0;
  }
  size_t stride = (size_t)c->cinfo.output_width * (size_t)channels;
  while (c->cinfo.output_scanline < c->cinfo.output_height) {
    JSAMPROW row = c->image->pixels + (size_t)c->cinfo.output_scanline * stride;
    jpeg_read_scanlines(&c->cinfo, &row, 1);
  }
  /* jpeg_finish_decompress is not called: the pixels are complete, and a
   * missing EOI marker is no reason to refuse them. */
  return 1;
}

static rn_status *decode_jpeg(const uint8_t *data, size_t size, const char *name, rn_image **out) {
  jpeg_ctx *c = calloc(1, sizeof *c);
  if (!c) return rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot create JPEG decoder", name);
  c->name = name;
  int ok = jpeg_run(c, data, size);
  if (c->created) jpeg_destroy_decompress(&c->cinfo);
  rn_status *st = NULL;
  if (ok) {
    *out = c->image;
  } else {
    rn_image_free(c->image);
    st = c->status ? c->status
                   : rn_error(RN_ERR_INVALID_ARGUMENT, "%s: %s JPEG: %s", name,
                              c->truncated ? "truncated" : "corrupt", c->message);
  }
  free(c);
  return st;
}

/* ---------------------------------------------------------------- entry points */

static int has_prefix(const uint8_t *data, size_t size, const char *magic, size_t n) {
  return size >= n && memcmp(data, magic, n) == 0;
}

/* The format comes from the magic bytes, never from the file name. */
static rn_status *decode(const uint8_t *data, size_t size, const char *name, rn_image **out) {
  if (size == 0) return rn_error(RN_ERR_INVALID_ARGUMENT, "%s: empty file, not an image", name);
  if (has_prefix(data, size, "\x89PNG\r\n\x1a\n", 8)) return decode_png(data, size, name, out);
  if (has_prefix(data, size, "\xff\xd8\xff", 3)) return decode_jpeg(data, size, name, out);
  const char *other = NULL;
  if (has_prefix(data, size, "GIF8", 4)) other = "GIF";
  else if (has_prefix(data, size, "BM", 2)) other = "BMP";
  else if (size >= 12 && !memcmp(data, "RIFF", 4) && !memcmp(data + 8, "WEBP", 4)) other = "WebP";
  else if (has_prefix(data, size, "II*\0", 4) || has_prefix(data, size, "MM\0*", 4)) other = "TIFF";
  if (other)
    return rn_error(RN_ERR_UNSUPPORTED, "%s: %s images are not supported (only PNG and JPEG)", name,
                    other);
  if ((size < 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", size)) ||
      (size < 3 && !memcmp(data, "\xff\xd8\xff", size)))
    return rn_error(RN_ERR_INVALID_ARGUMENT, "%s: truncated image (%zu bytes)", name, size);
  return rn_error(RN_ERR_INVALID_ARGUMENT,
                  "%s: not a PNG or JPEG image (unrecognized first bytes %02x %02x %02x %02x)", name,
                  data[0], size > 1 ? data[1] : 0, size > 2 ? data[2] : 0, size > 3 ? data[3] : 0);
}

rn_status *rn_image_load_memory(const void *bytes, size_t size, rn_image **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_image_load_memory: out is NULL");
  *out = NULL;
  if (!bytes && size)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_image_load_memory: bytes is NULL");
  return decode(bytes, size, "image in memory", out);
}

/* Reads a whole file (regular or not, e.g. a pipe) into memory. */
static rn_status *read_file(const char *path, uint8_t **data_out, size_t *size_out) {
  FILE *f = fopen(path, "rb");
  if (!f) return rn_error(RN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, size = 0;
  uint8_t *data = malloc(cap);
  rn_status *st =
      data ? NULL : rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot allocate memory to read it", path);
  while (!st) {
    if (size == cap) {
      if (cap >= MAX_FILE_BYTES) {
        st = rn_error(RN_ERR_LIMIT, "%s: file larger than %zu bytes, not read", path,
                      MAX_FILE_BYTES);
        break;
      }
      uint8_t *bigger = realloc(data, cap * 2);
      if (!bigger) {
        st = rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot allocate memory to read it", path);
        break;
      }
      data = bigger;
      cap *= 2;
    }
    size_t n = fread(data + size, 1, cap - size, f);
    size += n;
    if (n == 0) {
      if (ferror(f)) st = rn_error(RN_ERR_IO, "%s: read error: %s", path, strerror(errno));
      break;
    }
  }
  fclose(f);
  if (st) {
    free(data);
    return st;
  }
  *data_out = data;
  *size_out = size;
  return NULL;
}

rn_status *rn_image_load_file(const char *path, rn_image **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_image_load_file: out is NULL");
  *out = NULL;
  if (!path) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_image_load_file: path is NULL");
  uint8_t *data = NULL;
  size_t size = 0;
  RN_TRY(read_file(path, &data, &size));
  rn_status *st = decode(data, size, path, out);
  free(data);
  return st;
}
