/* Shared between the ONNX importer's files (not part of the public API). */
#ifndef RN_ONNX_INTERNAL_H
#define RN_ONNX_INTERNAL_H

#include "onnx.pb-c.h"
#include "status.h"
#include "tensor.h"

/* Limits on untrusted models (see docs: reliability). */
#define RN_ONNX_MAX_MODEL_BYTES ((size_t)4 << 30)

/* Converts a TensorProto to a tensor that owns its data. `base_dir` resolves
 * external data (NULL forbids it). `what` names the tensor in errors. */
rn_status *rn_onnx_tensor_convert(const Onnx__TensorProto *tp, const char *base_dir,
                                  const char *what, rn_tensor **out);

#endif
