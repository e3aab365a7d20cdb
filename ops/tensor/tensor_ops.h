/* The tensor group (shape and data movement ops): definitions and the
 * helpers its files share. */
#ifndef RN_OPS_TENSOR_OPS_H
#define RN_OPS_TENSOR_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

/* ---- definitions (one per ONNX op and opset range) ---- */
extern const rn_op_def rn_op_identity;
extern const rn_op_def rn_op_constant;
extern const rn_op_def rn_op_constant_of_shape;
extern const rn_op_def rn_op_shape;
extern const rn_op_def rn_op_size;
extern const rn_op_def rn_op_reshape;
extern const rn_op_def rn_op_flatten;
extern const rn_op_def rn_op_squeeze;
extern const rn_op_def rn_op_unsqueeze;
extern const rn_op_def rn_op_concat;
extern const rn_op_def rn_op_split;
extern const rn_op_def rn_op_slice;
extern const rn_op_def rn_op_gather;
extern const rn_op_def rn_op_gather_elements;
extern const rn_op_def rn_op_gather_nd;
extern const rn_op_def rn_op_scatter_elements;
extern const rn_op_def rn_op_scatter;
extern const rn_op_def rn_op_scatter_nd;
extern const rn_op_def rn_op_transpose;
extern const rn_op_def rn_op_expand;
extern const rn_op_def rn_op_tile;
extern const rn_op_def rn_op_range;
extern const rn_op_def rn_op_cast;
extern const rn_op_def rn_op_cast_like;
extern const rn_op_def rn_op_pad;
extern const rn_op_def rn_op_eye_like;
extern const rn_op_def rn_op_trilu;
extern const rn_op_def rn_op_one_hot;
extern const rn_op_def rn_op_depth_to_space;
extern const rn_op_def rn_op_space_to_depth;
extern const rn_op_def rn_op_resize;
extern const rn_op_def rn_op_upsample;
extern const rn_op_def rn_op_nonzero;

/* ---- shared helpers (tensor_util.c) ---- */

/* Rank limit of the internal strided copy (Tile doubles the rank). */
#define RN_TOPS_MAX_COPY_RANK (2 * RN_MAX_RANK)

/* UNSUPPORTED unless t's dtype has a fixed element size (not string). */
rn_status *rn_tops_check_fixed(const rn_op_ctx *ctx, const rn_tensor *t, const char *what);

/* dst (contiguous, dims) <- src read with element strides (may be 0 or
 * negative). es is the element size in bytes; rank <= RN_TOPS_MAX_COPY_RANK. */
void rn_tops_strided_copy(void *dst, const void *src, size_t es, int rank, const int64_t *dims,
                          const int64_t *strides);

/* Copies input to output unless they share memory (views: Reshape, ...). */
void rn_tops_copy_data(rn_tensor *dst, const rn_tensor *src);

/* Fills n elements of es bytes at dst with the element at value. */
void rn_tops_fill(void *dst, const void *value, size_t es, int64_t n);



#endif
