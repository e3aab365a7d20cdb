/* Tensors as core and kernels see them. The public rn_tensor is this struct. */
#ifndef RN_CORE_TENSOR_H
#define RN_CORE_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rn.h"

typedef struct rn_shape {
  int rank;
  int64_t dims[RN_MAX_RANK];
} rn_shape;

struct rn_tensor {
  rn_dtype dtype;
  rn_shape shape;
  void *data;      /* NULL while only the type/shape is known (shape inference) */
  size_t nbytes;   /* bytes of data: numel * dtype size */
  bool owns_data;  /* data was allocated by rn and is freed with the tensor */
  int refcount;    /* constants are shared between a model and its sessions */
};

/* Number of elements; -1 if a dim is negative or the product overflows. */
int64_t rn_shape_numel(const rn_shape *shape);
/* Number of bytes for shape x dtype, or false on overflow / bad dims. */
bool rn_shape_nbytes(const rn_shape *shape, rn_dtype dtype, size_t *nbytes);
bool rn_shape_equal(const rn_shape *a, const rn_shape *b);
/* Formats "[1,3,224,224]" into buf; returns buf. */
const char *rn_shape_str(const rn_shape *shape, char *buf, size_t size);
rn_shape rn_shape_make(int rank, const int64_t *dims);

/* A tensor with no data (type and shape only). */
rn_tensor *rn_tensor_new_info(rn_dtype dtype, const rn_shape *shape);
/* A zero-filled owned tensor; NULL on overflow or out of memory. */
rn_tensor *rn_tensor_new(rn_dtype dtype, const rn_shape *shape);
/* A deep copy (owns its data). */
rn_tensor *rn_tensor_clone(const rn_tensor *t);
rn_tensor *rn_tensor_retain(rn_tensor *t);
/* Drops one reference; frees at zero. Same as rn_tensor_free. */
void rn_tensor_release(rn_tensor *t);

/* Reads element i of an integer tensor (int64/int32/...) as int64. */
int64_t rn_tensor_get_int(const rn_tensor *t, int64_t i);
/* Reads element i of any numeric tensor (float16 included) as double. */
double rn_tensor_get_double(const rn_tensor *t, int64_t i);
/* Stores v as element i of `data` of type dt: float types round, integer
 * types saturate to int64 then wrap to their width (numpy's astype), NaN
 * becomes 0, bool is v != 0. Never undefined behaviour. */
void rn_store_double(void *data, rn_dtype dt, int64_t i, double v);
/* float16 <-> float32 (IEEE half, round to nearest even). */
float rn_half_to_float(uint16_t h);
uint16_t rn_float_to_half(float f);

/* Strided helpers for broadcasting (numpy rules). */
bool rn_broadcast_shapes(const rn_shape *a, const rn_shape *b, rn_shape *out);

#endif
