/* Fuzz target: an ONNX model from bytes through import, compile and (when
 * small) one run on zero inputs. Any crash, leak or sanitizer report is a
 * bug; errors are fine. */
#include <stdint.h>
#include <stdlib.h>

#include "rn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static rn_env *env;
  if (!env) { /* limits keep hostile shapes from exhausting the fuzzer's memory */
    rn_status_free(rn_env_create(&env));
    rn_status_free(rn_env_set_limit(env, RN_LIMIT_TENSOR_BYTES, 16u << 20));
    rn_status_free(rn_env_set_limit(env, RN_LIMIT_ARENA_BYTES, 64u << 20));
  }
  rn_model *model = NULL;
  rn_session *session = NULL;
  rn_status *st = rn_model_load_memory(env, data, size, NULL, &model);
  if (!st) st = rn_session_create(NULL, model, NULL, &session);
  if (!st) {
    int n_in = rn_session_input_count(session), n_out = rn_session_output_count(session);
    if (n_in <= 8 && n_out <= 8) {
      rn_tensor *ins[8] = {0}, *outs[8] = {0};
      const char *in_names[8], *out_names[8];
      int ok = 1;
      for (int i = 0; i < n_in && ok; i++) {
        rn_value_info info;
        rn_status *e = rn_session_input_info(session, i, &info);
        int64_t dims[RN_MAX_RANK], numel = 1;
        if (e || info.rank < 0 || info.dtype == RN_DTYPE_STRING) ok = 0;
        for (int d = 0; ok && d < info.rank; d++) {
          dims[d] = info.dims[d] < 0 ? 1 : info.dims[d];
          numel *= dims[d] ? dims[d] : 1;
          if (numel > (1 << 16)) ok = 0;
        }
        if (ok) e = rn_tensor_create(info.dtype, dims, info.rank, &ins[i]);
        if (e) ok = 0;
        rn_status_free(e);
        in_names[i] = rn_session_input_name(session, i);
      }
      for (int i = 0; i < n_out; i++) out_names[i] = rn_session_output_name(session, i);
      if (ok) rn_status_free(rn_session_run(session, n_in, in_names, ins, n_out, out_names, outs));
      for (int i = 0; i < 8; i++) {
        rn_tensor_free(ins[i]);
        rn_tensor_free(outs[i]);
      }
    }
  }
  rn_status_free(st);
  rn_session_free(session);
  rn_model_free(model);
  return 0;
}
