/* Shared between the ONNX importer's files (not part of the public API). */
#ifndef RN_ONNX_INTERNAL_H
#define RN_ONNX_INTERNAL_H

#include "env.h"
#include "onnx.pb-c.h"
#include "status.h"
#include "tensor.h"

/* Converts a TensorProto to a tensor that owns its data. `base_dir` resolves
 * external data (NULL forbids it); `env` gives the tensor size limit (NULL:
 * none). `what` names the tensor in errors. */
rn_status *rn_onnx_tensor_convert(const Onnx__TensorProto *tp, const rn_env *env,
                                  const char *base_dir, const char *what, rn_tensor **out);

#endif
