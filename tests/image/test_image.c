/* Tests of rn's image API (rn.h "images"), through the public API only.
 *
 *   test_image refs DIR        compare with torchvision's tensors written by
 *                              gen_image_refs.py into DIR (manifest.txt)
 *   test_image malformed DIR   a corpus of broken images (built here with
 *                              libpng/libjpeg): each must be a clear error,
 *                              never a crash; DIR holds temporary files
 *
 * Exit status 0 on success, 1 on failure. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

#include "rn.h"
#include "../check.h"


static void *read_all(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *data = malloc(n > 0 ? (size_t)n : 1);
  if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return data;
}

static int write_all(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  int ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok;
}

static int same_image(const rn_image *a, const rn_image *b) {
  if (rn_image_width(a) != rn_image_width(b) || rn_image_height(a) != rn_image_height(b) ||
      rn_image_channels(a) != rn_image_channels(b))
    return 0;
  size_t n = (size_t)rn_image_width(a) * rn_image_height(a) * rn_image_channels(a);
  return memcmp(rn_image_pixels(a), rn_image_pixels(b), n) == 0;
}

/* ================================================================ refs */

/* Per kind of image (the file name up to the first '_'), the largest error
 * seen, in units of 1/255 before normalization. */
typedef struct kind_stat {
  char kind[32];
  int cases;
  double max_err;
  long differing;
  long elements;
} kind_stat;

static kind_stat kinds[64];
static int n_kinds;

static kind_stat *kind_of(const char *name) {
  char kind[32];
  size_t n = strcspn(name, "_.");
  if (n >= sizeof kind) n = sizeof kind - 1;
  memcpy(kind, name, n);
  kind[n] = 0;
  if (strstr(name, ".jpg")) strncat(kind, " (jpeg)", sizeof kind - strlen(kind) - 1);
  else if (strstr(name, "interlaced")) strncat(kind, " (adam7)", sizeof kind - strlen(kind) - 1);
  for (int i = 0; i < n_kinds; i++)
    if (!strcmp(kinds[i].kind, kind)) return &kinds[i];
  if (n_kinds == 64) return &kinds[63];
  snprintf(kinds[n_kinds].kind, sizeof kinds[n_kinds].kind, "%s", kind);
  return &kinds[n_kinds++];
}

typedef struct ref_case {
  char image[256], ref[256];
  rn_preprocess pp;
} ref_case;

/* Compares t (batch index b) with the reference file; returns 0 on failure. */
static int compare(const char *dir, const ref_case *rc, rn_tensor *t, int b, kind_stat *ks) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, rc->ref);
  size_t size;
  float *ref = read_all(path, &size);
  if (!ref) {
    CHECK(0, "%s: cannot read", path);
    return 0;
  }
  const int64_t *d = rn_tensor_dims(t);
  size_t n = (size_t)(d[1] * d[2] * d[3]);
  int ok = 1;
  if (size != n * sizeof(float)) {
    CHECK(0, "%s: rn made [%lld,%lld,%lld], the reference has %zu floats", rc->image,
          (long long)d[1], (long long)d[2], (long long)d[3], size / sizeof(float));
    free(ref);
    return 0;
  }
  const float *got = (const float *)rn_tensor_data(t) + (size_t)b * n;
  size_t plane = (size_t)(d[2] * d[3]);
  double max_err = 0;
  long differing = 0;
  for (size_t i = 0; i < n; i++) {
    int c = (int)(i / plane);
    double scale = rc->pp.normalize ? rc->pp.std[c] : 1.0; /* back to [0,1] units */
    double err = fabs((double)got[i] - (double)ref[i]) * scale * 255.0;
    if (got[i] != ref[i]) differing++;
    if (err > max_err) max_err = err;
    if (err > 1.0 + 1e-4 && ok) {
      CHECK(0, "%s (%s): element %zu (c %d, y %zu, x %zu): rn %.7g, torchvision %.7g", rc->image,
            rc->ref, i, c, (i % plane) / (size_t)d[3], i % (size_t)d[3], got[i], ref[i]);
      ok = 0;
    }
  }
  if (max_err > ks->max_err) ks->max_err = max_err;
  ks->differing += differing;
  ks->elements += (long)n;
  free(ref);
  return ok;
}

static int run_refs(const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return 1;
  }
  ref_case cases[512];
  int n = 0;
  for (;;) {
    ref_case rc;
    memset(&rc, 0, sizeof rc);
    double m[3], s[3];
    int got = fscanf(f, "%255s %255s %d %d %d %d %d %lf %lf %lf %lf %lf %lf", rc.image, rc.ref,
                     &rc.pp.channels, &rc.pp.resize, &rc.pp.crop_height, &rc.pp.crop_width,
                     &rc.pp.normalize, &m[0], &m[1], &m[2], &s[0], &s[1], &s[2]);
    if (got != 13) break;
    /* torchvision turns Python floats into float32 the same way */
    for (int c = 0; c < 3; c++) {
      rc.pp.mean[c] = (float)m[c];
      rc.pp.std[c] = (float)s[c];
    }
    if (n < 512) cases[n++] = rc;
  }
  fclose(f);
  CHECK(n > 50, "%s: only %d cases", path, n);

  int n_ok = 0;
  for (int i = 0; i < n; i++) {
    ref_case *rc = &cases[i];
    snprintf(path, sizeof path, "%s/%s", dir, rc->image);
    rn_image *img = NULL;
    rn_status *st = rn_image_load_file(path, &img);
    if (st) {
      CHECK(0, "%s: %s", path, rn_status_message(st));
      rn_status_free(st);
      continue;
    }
    /* The ImageNet configuration must be what rn_preprocess_imagenet sets. */
    if (strstr(rc->ref, ".imagenet.")) {
      rn_preprocess pp;
      rn_preprocess_imagenet(&pp, 224, 224);
      CHECK(memcmp(&pp, &rc->pp, sizeof pp) == 0, "rn_preprocess_imagenet(224, 224) differs from "
            "torchvision's Resize(256) + CenterCrop(224) + ImageNet mean/std");
    }
    /* Loading from memory gives the same pixels. */
    if (i % 3 == 0) {
      size_t size;
      void *bytes = read_all(path, &size);
      rn_image *img2 = NULL;
      st = rn_image_load_memory(bytes, size, &img2);
      CHECK(!st && same_image(img, img2), "%s: memory and file decodes differ", path);
      rn_status_free(st);
      rn_image_free(img2);
      free(bytes);
    }
    rn_tensor *t = NULL;
    st = rn_images_to_tensor(&img, 1, &rc->pp, &t);
    if (st) {
      CHECK(0, "%s: %s", path, rn_status_message(st));
      rn_status_free(st);
    } else {
      const int64_t *d = rn_tensor_dims(t);
      CHECK(rn_tensor_rank(t) == 4 && d[0] == 1 && d[1] == rc->pp.channels &&
                rn_tensor_dtype(t) == RN_DTYPE_FLOAT,
            "%s: bad tensor shape", path);
      kind_stat *ks = kind_of(rc->image);
      ks->cases++;
      n_ok += compare(dir, rc, t, 0, ks);
    }
    rn_tensor_free(t);
    rn_image_free(img);
  }

  /* A batch: several images in one [N,C,H,W] tensor, each as alone. */
  {
    int idx[3], k = 0;
    for (int i = 0; i < n && k < 3; i++)
      if (strstr(cases[i].ref, ".imagenet.") && (k == 0 || strstr(cases[i].image, k == 1 ? ".jpg" : "gray")))
        idx[k++] = i;
    rn_image *imgs[3] = {0};
    rn_status *st = NULL;
    for (int j = 0; j < k && !st; j++) {
      snprintf(path, sizeof path, "%s/%s", dir, cases[idx[j]].image);
      st = rn_image_load_file(path, &imgs[j]);
    }
    rn_tensor *t = NULL;
    if (!st) st = rn_images_to_tensor(imgs, k, &cases[idx[0]].pp, &t);
    CHECK(!st && k == 3, "batch: %s", st ? rn_status_message(st) : "too few cases");
    if (!st) {
      kind_stat batch = {"batch", 0, 0, 0, 0};
      CHECK(rn_tensor_dims(t)[0] == k, "batch: N is %lld", (long long)rn_tensor_dims(t)[0]);
      for (int j = 0; j < k; j++) CHECK(compare(dir, &cases[idx[j]], t, j, &batch), "batch image %d", j);
      CHECK(batch.differing == 0, "batch: %ld elements differ from single images' references",
            batch.differing);
    }
    rn_status_free(st);
    rn_tensor_free(t);
    /* Without a crop the sizes differ: a clear error. */
    rn_preprocess pp;
    rn_preprocess_imagenet(&pp, 224, 224);
    pp.crop_height = pp.crop_width = 0;
    st = rn_images_to_tensor(imgs, k, &pp, &t);
    CHECK(st && rn_status_get_code(st) == RN_ERR_INVALID_ARGUMENT, "batch of different sizes");
    if (st) printf("batch of different sizes: %s\n", rn_status_message(st));
    rn_status_free(st);
    for (int j = 0; j < k; j++) rn_image_free(imgs[j]);
  }

  printf("%-22s %6s %12s %14s\n", "image kind", "cases", "max |err|", "elements != ");
  printf("%-22s %6s %12s %14s\n", "", "", "(x 1/255)", "torchvision");
  for (int i = 0; i < n_kinds; i++)
    printf("%-22s %6d %12.6f %8ld/%ld\n", kinds[i].kind, kinds[i].cases, kinds[i].max_err,
           kinds[i].differing, kinds[i].elements);
  printf("%d/%d cases within 1/255 of torchvision\n", n_ok, n);
  return failures ? 1 : 0;
}

/* ================================================================ malformed corpus */

typedef struct buf {
  unsigned char *data;
  size_t size, cap;
} buf;

static void buf_put(buf *b, const void *p, size_t n) {
  if (b->size + n > b->cap) {
    b->cap = (b->size + n) * 2;
    b->data = realloc(b->data, b->cap);
    if (!b->data) abort();
  }
  memcpy(b->data + b->size, p, n);
  b->size += n;
}

static void png_write_fn(png_structp png, png_bytep data, size_t n) {
  buf_put(png_get_io_ptr(png), data, n);
}
static void png_flush_fn(png_structp png) { (void)png; }

/* A PNG in memory (small compression buffer: several IDAT chunks). */
static buf encode_png(const unsigned char *pixels, int w, int h, int color_type, int channels,
                      int interlace) {
  buf b = {0};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) abort();
  png_set_write_fn(png, &b, png_write_fn, png_flush_fn);
  png_set_compression_buffer_size(png, 300);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, color_type,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  int passes = interlace ? png_set_interlace_handling(png) : 1;
  for (int p = 0; p < passes; p++)
    for (int y = 0; y < h; y++) png_write_row(png, pixels + (size_t)y * w * channels);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return b;
}

static buf encode_jpeg(const unsigned char *pixels, int w, int h, int components,
                       J_COLOR_SPACE space, int quality, int progressive) {
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  unsigned char *mem = NULL;
  unsigned long size = 0;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &mem, &size);
  cinfo.image_width = (JDIMENSION)w;
  cinfo.image_height = (JDIMENSION)h;
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * w * components);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  buf b = {0};
  buf_put(&b, mem, size);
  free(mem);
  return b;
}

static uint32_t crc32_png(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return c ^ 0xffffffffu;
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* A PNG signature + IHDR (valid CRC) + some IDAT bytes. */
static buf png_header_only(uint32_t w, uint32_t h, int bit_depth, int color_type) {
  buf b = {0};
  buf_put(&b, "\x89PNG\r\n\x1a\n", 8);
  unsigned char ihdr[4 + 4 + 13 + 4];
  put_be32(ihdr, 13);
  memcpy(ihdr + 4, "IHDR", 4);
  put_be32(ihdr + 8, w);
  put_be32(ihdr + 12, h);
  ihdr[16] = (unsigned char)bit_depth;
  ihdr[17] = (unsigned char)color_type;
  ihdr[18] = ihdr[19] = ihdr[20] = 0;
  put_be32(ihdr + 21, crc32_png(ihdr + 4, 17));
  buf_put(&b, ihdr, sizeof ihdr);
  unsigned char idat[4 + 4 + 16 + 4] = {0, 0, 0, 16, 'I', 'D', 'A', 'T', 0x78, 0x9c};
  put_be32(idat + 24, crc32_png(idat + 4, 20));
  buf_put(&b, idat, sizeof idat);
  return b;
}

/* End of the last IDAT chunk (its CRC included). */
static size_t png_pixels_end(const buf *b) {
  size_t pos = 8, end = 0;
  while (pos + 8 <= b->size) {
    uint32_t len = (uint32_t)b->data[pos] << 24 | (uint32_t)b->data[pos + 1] << 16 |
                   (uint32_t)b->data[pos + 2] << 8 | b->data[pos + 3];
    if (!memcmp(b->data + pos + 4, "IDAT", 4)) end = pos + 12 + len;
    pos += 12 + (size_t)len;
  }
  return end;
}

/* Loads bytes from memory; on error checks the message is there and names
 * the source. Returns the status code (the image, if any, in *out). */
static rn_status_code load_mem(const void *p, size_t n, rn_image **out, const char *what) {
  rn_status *st = rn_image_load_memory(p, n, out);
  rn_status_code code = rn_status_get_code(st);
  if (st) {
    const char *msg = rn_status_message(st);
    CHECK(msg && strstr(msg, "image in memory") && strlen(msg) > 20,
          "%s: unclear message '%s'", what, msg ? msg : "(null)");
    CHECK(*out == NULL, "%s: error but an image", what);
  }
  rn_status_free(st);
  return code;
}

static rn_status_code load_file_expect(const char *path, rn_status_code want, const char *what) {
  rn_image *img = NULL;
  rn_status *st = rn_image_load_file(path, &img);
  rn_status_code code = rn_status_get_code(st);
  CHECK(code == want, "%s: code %s, expected %s (%s)", what, rn_status_code_name(code),
        rn_status_code_name(want), st ? rn_status_message(st) : "loaded");
  if (st) {
    CHECK(strstr(rn_status_message(st), path) != NULL, "%s: message '%s' does not name %s", what,
          rn_status_message(st), path);
    printf("  %-28s -> %s\n", what, rn_status_message(st));
  }
  rn_status_free(st);
  rn_image_free(img);
  return code;
}

/* Every cut of a valid file: an error, or (past the pixel data) the full image. */
static void truncations(const char *what, const buf *b, size_t must_fail_below, const char *dir) {
  rn_image *full = NULL;
  CHECK(load_mem(b->data, b->size, &full, what) == RN_OK, "%s: the intact file fails", what);
  int errors = 0, loaded = 0;
  for (size_t cut = 0; cut < b->size; cut++) {
    rn_image *img = NULL;
    rn_status_code code = load_mem(b->data, cut, &img, what);
    if (code == RN_OK) {
      loaded++;
      CHECK(cut >= must_fail_below, "%s cut at %zu of %zu: loaded", what, cut, b->size);
      CHECK(same_image(img, full), "%s cut at %zu: loaded different pixels", what, cut);
    } else {
      errors++;
      CHECK(code == RN_ERR_INVALID_ARGUMENT, "%s cut at %zu: code %s", what, cut,
            rn_status_code_name(code));
    }
    rn_image_free(img);
  }
  printf("%-28s %6zu bytes: %d cuts refused, %d (after the pixel data) loaded\n", what, b->size,
         errors, loaded);
  /* One cut through a file: the message names the file. */
  char path[1024];
  snprintf(path, sizeof path, "%s/truncated_%s", dir, what);
  if (write_all(path, b->data, must_fail_below / 2))
    load_file_expect(path, RN_ERR_INVALID_ARGUMENT, what);
  rn_image_free(full);
}

/* Random byte corruption: anything but a crash (a checksum or a marker
 * check usually catches it; JPEG entropy data often decodes to noise). */
static void corruptions(const char *what, const buf *b, unsigned seed) {
  srand(seed);
  unsigned char *copy = malloc(b->size);
  int errors = 0;
  for (int i = 0; i < 3000; i++) {
    memcpy(copy, b->data, b->size);
    int flips = 1 + rand() % 4;
    for (int k = 0; k < flips; k++) copy[(size_t)rand() % b->size] = (unsigned char)rand();
    rn_image *img = NULL;
    if (load_mem(copy, b->size, &img, what) != RN_OK) errors++;
    else
      CHECK(rn_image_width(img) > 0 && rn_image_height(img) > 0 && rn_image_pixels(img),
            "%s: corrupted copy loaded as an empty image", what);
    rn_image_free(img);
  }
  printf("%-28s 3000 corrupted copies: %d refused, the rest decoded to noise\n", what, errors);
  free(copy);
}

static int run_malformed(const char *dir) {
  mkdir(dir, 0755);
  enum { W = 37, H = 23 };
  unsigned char rgb[W * H * 3], gray[W * H];
  srand(1);
  for (int i = 0; i < W * H * 3; i++) rgb[i] = (unsigned char)(rand() >> 7);
  for (int i = 0; i < W * H; i++) gray[i] = (unsigned char)(i * 7 + (i / W) * 3);

  buf png = encode_png(rgb, W, H, PNG_COLOR_TYPE_RGB, 3, 0);
  buf png_i = encode_png(gray, W, H, PNG_COLOR_TYPE_GRAY, 1, 1);
  buf jpg = encode_jpeg(rgb, W, H, 3, JCS_RGB, 85, 0);
  buf jpg_p = encode_jpeg(gray, W, H, 1, JCS_GRAYSCALE, 70, 1);

  /* The valid files decode (PNG losslessly). */
  rn_image *img = NULL;
  CHECK(load_mem(png.data, png.size, &img, "png") == RN_OK && rn_image_channels(img) == 3 &&
            rn_image_width(img) == W && !memcmp(rn_image_pixels(img), rgb, sizeof rgb),
        "png round trip");
  rn_image_free(img);
  img = NULL;
  CHECK(load_mem(png_i.data, png_i.size, &img, "png") == RN_OK && rn_image_channels(img) == 1 &&
            !memcmp(rn_image_pixels(img), gray, sizeof gray),
        "interlaced png round trip");
  rn_image_free(img);
  img = NULL;
  CHECK(load_mem(jpg.data, jpg.size, &img, "jpg") == RN_OK && rn_image_channels(img) == 3 &&
            rn_image_width(img) == W && rn_image_height(img) == H,
        "jpeg decode");
  rn_image_free(img);

  truncations("png", &png, png_pixels_end(&png), dir);
  truncations("png_adam7", &png_i, png_pixels_end(&png_i), dir);
  /* JPEG: the entropy data runs up to the EOI marker (2 bytes). */
  truncations("jpeg", &jpg, jpg.size - 2, dir);
  truncations("jpeg_progressive", &jpg_p, jpg_p.size - 2, dir);

  corruptions("png", &png, 2);
  corruptions("png_adam7", &png_i, 3);
  corruptions("jpeg", &jpg, 4);
  corruptions("jpeg_progressive", &jpg_p, 5);

  /* Garbage, bare and behind PNG / JPEG signatures. */
  {
    srand(6);
    unsigned char junk[4096];
    int errors = 0;
    for (int i = 0; i < 600; i++) {
      size_t n = (size_t)rand() % sizeof junk;
      for (size_t k = 0; k < n; k++) junk[k] = (unsigned char)rand();
      if (i % 3 == 1 && n >= 8) memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
      if (i % 3 == 2 && n >= 3) memcpy(junk, "\xff\xd8\xff", 3);
      rn_image *g = NULL;
      if (load_mem(junk, n, &g, "garbage") != RN_OK) errors++;
      rn_image_free(g);
    }
    CHECK(errors == 600, "garbage: %d of 600 refused", errors);
    printf("%-28s 600 buffers: %d refused\n", "garbage", errors);
  }

  /* Files: empty, text, missing, a folder, other formats, huge headers. */
  char path[1024];
  printf("error messages:\n");
  snprintf(path, sizeof path, "%s/empty.png", dir);
  write_all(path, "", 0);
  load_file_expect(path, RN_ERR_INVALID_ARGUMENT, "zero-byte file");
  snprintf(path, sizeof path, "%s/text.jpg", dir);
  const char *text = "This is not an image, only some text.\n";
  write_all(path, text, strlen(text));
  load_file_expect(path, RN_ERR_INVALID_ARGUMENT, "text file");
  snprintf(path, sizeof path, "%s/no_such_file.png", dir);
  load_file_expect(path, RN_ERR_IO, "missing file");
  load_file_expect(dir, RN_ERR_IO, "a folder");
  snprintf(path, sizeof path, "%s/image.gif", dir);
  write_all(path, "GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14);
  load_file_expect(path, RN_ERR_UNSUPPORTED, "GIF file");
  snprintf(path, sizeof path, "%s/sig_only.png", dir);
  write_all(path, "\x89PNG\r\n", 6);
  load_file_expect(path, RN_ERR_INVALID_ARGUMENT, "PNG signature, cut");

  buf huge = png_header_only(100000, 100000, 8, PNG_COLOR_TYPE_RGB);
  snprintf(path, sizeof path, "%s/huge_100000x100000.png", dir);
  write_all(path, huge.data, huge.size);
  load_file_expect(path, RN_ERR_LIMIT, "PNG claiming 100000x100000");
  free(huge.data);
  huge = png_header_only(0x7fffffff, 0x7fffffff, 16, PNG_COLOR_TYPE_RGBA);
  snprintf(path, sizeof path, "%s/huge_2g.png", dir);
  write_all(path, huge.data, huge.size);
  load_file_expect(path, RN_ERR_LIMIT, "PNG claiming (2^31-1)^2");
  free(huge.data);
  huge = png_header_only(0, 10, 8, PNG_COLOR_TYPE_RGB);
  snprintf(path, sizeof path, "%s/zero_width.png", dir);
  write_all(path, huge.data, huge.size);
  load_file_expect(path, RN_ERR_INVALID_ARGUMENT, "PNG of width 0");
  free(huge.data);
  huge = png_header_only(10, 10, 3, PNG_COLOR_TYPE_RGB);
  snprintf(path, sizeof path, "%s/bad_depth.png", dir);
  write_all(path, huge.data, huge.size);
  load_file_expect(path, RN_ERR_INVALID_ARGUMENT, "PNG of bit depth 3");
  free(huge.data);
  /* A palette PNG without its palette. */
  huge = png_header_only(10, 10, 8, PNG_COLOR_TYPE_PALETTE);
  snprintf(path, sizeof path, "%s/no_plte.png", dir);
  write_all(path, huge.data, huge.size);
  load_file_expect(path, RN_ERR_INVALID_ARGUMENT, "palette PNG without PLTE");
  free(huge.data);

  /* A JPEG whose frame header claims 60000x60000. */
  {
    buf j = {0};
    buf_put(&j, jpg.data, jpg.size);
    for (size_t i = 2; i + 9 < j.size; i++)
      if (j.data[i] == 0xff && (j.data[i + 1] == 0xc0 || j.data[i + 1] == 0xc2)) {
        j.data[i + 5] = 0xea, j.data[i + 6] = 0x60; /* height 60000 */
        j.data[i + 7] = 0xea, j.data[i + 8] = 0x60; /* width 60000 */
        break;
      }
    snprintf(path, sizeof path, "%s/huge_60000x60000.jpg", dir);
    write_all(path, j.data, j.size);
    load_file_expect(path, RN_ERR_LIMIT, "JPEG claiming 60000x60000");
    free(j.data);
  }
  /* CMYK JPEG: refused clearly. */
  {
    unsigned char cmyk[W * H * 4];
    for (int i = 0; i < W * H * 4; i++) cmyk[i] = (unsigned char)(i * 13);
    buf j = encode_jpeg(cmyk, W, H, 4, JCS_CMYK, 90, 0);
    snprintf(path, sizeof path, "%s/cmyk.jpg", dir);
    write_all(path, j.data, j.size);
    load_file_expect(path, RN_ERR_UNSUPPORTED, "CMYK JPEG");
    free(j.data);
  }
  /* A PNG under a .jpg name loads (the content decides). */
  snprintf(path, sizeof path, "%s/png_named.jpg", dir);
  write_all(path, png.data, png.size);
  load_file_expect(path, RN_OK, "PNG named .jpg");

  /* API misuse. */
  {
    rn_image *ok = NULL;
    load_mem(png.data, png.size, &ok, "png");
    rn_status *st = rn_image_load_memory(png.data, png.size, NULL);
    CHECK(rn_status_get_code(st) == RN_ERR_INVALID_ARGUMENT, "NULL out");
    rn_status_free(st);
    st = rn_image_load_file(NULL, &img);
    CHECK(rn_status_get_code(st) == RN_ERR_INVALID_ARGUMENT, "NULL path");
    rn_status_free(st);
    rn_preprocess pp;
    rn_preprocess_imagenet(&pp, 224, 224);
    rn_tensor *t = NULL;
    st = rn_images_to_tensor(&ok, 0, &pp, &t);
    CHECK(st && !t, "n = 0");
    rn_status_free(st);
    st = rn_images_to_tensor(&ok, 1, NULL, &t);
    CHECK(st && !t, "NULL options");
    rn_status_free(st);
    pp.channels = 2;
    st = rn_images_to_tensor(&ok, 1, &pp, &t);
    CHECK(st && !t, "2 channels");
    rn_status_free(st);
    pp.channels = 3;
    pp.std[1] = 0;
    st = rn_images_to_tensor(&ok, 1, &pp, &t);
    CHECK(st && !t, "std 0");
    rn_status_free(st);
    rn_image *null_img = NULL;
    rn_preprocess_imagenet(&pp, 224, 224);
    st = rn_images_to_tensor(&null_img, 1, &pp, &t);
    CHECK(st && !t, "NULL image");
    rn_status_free(st);
    pp.resize = 1 << 20; /* 37x23 -> 1684542 x 1048576 */
    st = rn_images_to_tensor(&ok, 1, &pp, &t);
    CHECK(rn_status_get_code(st) == RN_ERR_LIMIT && !t, "huge resize");
    rn_status_free(st);
    CHECK(rn_image_width(NULL) == 0 && rn_image_pixels(NULL) == NULL, "NULL accessors");
    rn_image_free(NULL);
    /* Without resize or crop, the tensor is the image itself. */
    memset(&pp, 0, sizeof pp);
    pp.channels = 3;
    st = rn_images_to_tensor(&ok, 1, &pp, &t);
    CHECK(!st && rn_tensor_dims(t)[2] == H && rn_tensor_dims(t)[3] == W, "no resize, no crop");
    if (!st) {
      const float *x = rn_tensor_data(t);
      int same = 1;
      for (int c = 0; c < 3; c++)
        for (int i = 0; i < W * H; i++) same &= x[c * W * H + i] == (float)rgb[i * 3 + c] / 255.0f;
      CHECK(same, "no resize, no crop: values");
    }
    rn_status_free(st);
    rn_tensor_free(t);
    rn_image_free(ok);
  }

  free(png.data);
  free(png_i.data);
  free(jpg.data);
  free(jpg_p.data);
  printf(failures ? "%d failures\n" : "all malformed images refused cleanly\n", failures);
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "refs")) return run_refs(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "malformed")) return run_malformed(argv[2]);
  fprintf(stderr, "usage: %s refs DIR | malformed DIR\n", argv[0]);
  return 2;
}
