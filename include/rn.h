/*
 * rn.h — the public C API of rn, an ONNX-compatible inference runtime.
 *
 * The only header an embedding program includes. All types are opaque.
 *
 * Errors: every function that can fail returns an `rn_status *`. NULL means
 * success; otherwise the caller owns the status, reads its code and message,
 * and frees it with rn_status_free(). Messages say what failed and where
 * (file, node name, op type).
 *
 * Thread-safety: a compiled rn_session may be run from several threads at
 * once (rn_session_run is thread-safe). Models, options and tensors are not
 * synchronized: do not modify one object from two threads at once.
 */
#ifndef RN_H
#define RN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RN_VERSION_MAJOR 0
#define RN_VERSION_MINOR 1
#define RN_VERSION_PATCH 0

#if defined(__GNUC__)
#define RN_API __attribute__((visibility("default")))
#else
#define RN_API
#endif

/* Maximum tensor rank rn handles. */
#define RN_MAX_RANK 8

/* ---------------------------------------------------------------- status */

typedef enum rn_status_code {
  RN_OK = 0,
  RN_ERR_INVALID_ARGUMENT = 1, /* bad argument from the caller */
  RN_ERR_INVALID_MODEL = 2,    /* malformed or inconsistent model */
  RN_ERR_UNSUPPORTED = 3,      /* valid, but rn cannot run it (op, opset, type) */
  RN_ERR_IO = 4,               /* file could not be read */
  RN_ERR_OUT_OF_MEMORY = 5,
  RN_ERR_LIMIT = 6,            /* a configured limit was exceeded */
  RN_ERR_RUNTIME = 7,          /* failure while running */
  RN_ERR_NOT_FOUND = 8         /* a named input/output/plugin does not exist */
} rn_status_code;

typedef struct rn_status rn_status;

RN_API rn_status_code rn_status_get_code(const rn_status *status);
RN_API const char *rn_status_message(const rn_status *status);
RN_API void rn_status_free(rn_status *status);
RN_API const char *rn_status_code_name(rn_status_code code);
/* A new error status (for layers that report errors through rn_status, such
 * as the Lua module); `message` is copied. Never NULL. */
RN_API rn_status *rn_status_create(rn_status_code code, const char *message);

/* Run-time version, "MAJOR.MINOR.PATCH". */
RN_API const char *rn_version(void);

/* ---------------------------------------------------------------- environment */

/* An environment: logging and limits shared by the models and sessions made
 * with it. Optional everywhere (NULL = defaults). Models and sessions copy
 * what they need, so an environment may be freed at any time. */
typedef struct rn_env rn_env;

typedef enum rn_log_level {
  RN_LOG_ERROR = 0,
  RN_LOG_WARNING = 1,
  RN_LOG_INFO = 2,  /* compilation summaries: plans built, nodes folded, arena size */
  RN_LOG_DEBUG = 3
} rn_log_level;

/* Called for every message at or below the configured level; may be called
 * from any thread that uses a model or session of this environment. */
typedef void (*rn_log_fn)(void *user, rn_log_level level, const char *message);

/* Limits on untrusted models (bytes; 0 = no limit). Exceeding one is an
 * RN_ERR_LIMIT error naming the limit. */
typedef enum rn_limit {
  RN_LIMIT_MODEL_BYTES = 0,  /* size of a model file or buffer (default 2 GiB) */
  RN_LIMIT_TENSOR_BYTES = 1, /* any one tensor: initializer, input or computed (default 4 GiB) */
  RN_LIMIT_ARENA_BYTES = 2   /* one run's working memory (default: none) */
} rn_limit;

RN_API rn_status *rn_env_create(rn_env **out);
RN_API void rn_env_free(rn_env *env);
RN_API rn_status *rn_env_set_logger(rn_env *env, rn_log_level level, rn_log_fn fn, void *user);
RN_API rn_status *rn_env_set_limit(rn_env *env, rn_limit limit, uint64_t bytes);

/* Plugins (see rn_plugin.h): shared libraries adding kernels and ops. A
 * plugin loaded into an environment is used by the sessions made with it
 * (or with models loaded with it). Loading the same file twice is a no-op. */
RN_API rn_status *rn_env_load_plugin(rn_env *env, const char *path);
/* Loads every rn-plugin-*.so found in `dirs` (':'-separated), or, if dirs
 * is NULL, on the search path: $RN_PLUGIN_PATH, then the installed plugin
 * folder, then the build tree's. Files that fail to load are logged
 * (warning) and listed with their reason; the call fails only if a folder
 * given explicitly cannot be read. */
RN_API rn_status *rn_env_load_plugins(rn_env *env, const char *dirs);
/* Every plugin load attempted by this environment, loaded or not. */
RN_API int rn_env_plugin_count(const rn_env *env);
typedef struct rn_plugin_info {
  const char *name;    /* NULL if it did not load */
  const char *version;
  const char *path;
  const char *error;   /* why it did not load, or NULL */
  int n_kernels, n_schemas;
} rn_plugin_info;
RN_API rn_status *rn_env_plugin_info(const rn_env *env, int index, rn_plugin_info *info);

/* ---------------------------------------------------------------- tensors */

/* Element types; the values are ONNX TensorProto.DataType's. */
typedef enum rn_dtype {
  RN_DTYPE_UNDEFINED = 0,
  RN_DTYPE_FLOAT = 1,
  RN_DTYPE_UINT8 = 2,
  RN_DTYPE_INT8 = 3,
  RN_DTYPE_UINT16 = 4,
  RN_DTYPE_INT16 = 5,
  RN_DTYPE_INT32 = 6,
  RN_DTYPE_INT64 = 7,
  RN_DTYPE_STRING = 8, /* not supported for computation */
  RN_DTYPE_BOOL = 9,   /* one byte per element, 0 or 1 */
  RN_DTYPE_FLOAT16 = 10,
  RN_DTYPE_DOUBLE = 11,
  RN_DTYPE_UINT32 = 12,
  RN_DTYPE_UINT64 = 13
} rn_dtype;

typedef struct rn_tensor rn_tensor;

/* Size in bytes of one element (0 for undefined/string). */
RN_API size_t rn_dtype_size(rn_dtype dtype);
RN_API const char *rn_dtype_name(rn_dtype dtype);

/* A new zero-filled tensor that owns its memory. */
RN_API rn_status *rn_tensor_create(rn_dtype dtype, const int64_t *dims, int rank,
                                   rn_tensor **out);
/* A tensor over caller memory (not copied, not freed by rn). `data` must hold
 * at least `nbytes` bytes and stay valid while the tensor is used. */
RN_API rn_status *rn_tensor_wrap(rn_dtype dtype, const int64_t *dims, int rank,
                                 void *data, size_t nbytes, rn_tensor **out);
/* Parses a serialized ONNX TensorProto (as in backend-test .pb files).
 * `name_out`, if not NULL, receives the tensor's name (free with free()). */
RN_API rn_status *rn_tensor_from_onnx(const void *bytes, size_t size, rn_tensor **out,
                                      char **name_out);
RN_API void rn_tensor_free(rn_tensor *tensor);

RN_API rn_dtype rn_tensor_dtype(const rn_tensor *tensor);
RN_API int rn_tensor_rank(const rn_tensor *tensor);
/* Returns a pointer to `rank` dims, valid while the tensor lives. */
RN_API const int64_t *rn_tensor_dims(const rn_tensor *tensor);
RN_API int64_t rn_tensor_numel(const rn_tensor *tensor);
RN_API size_t rn_tensor_nbytes(const rn_tensor *tensor);
RN_API void *rn_tensor_data(rn_tensor *tensor);

/* ---------------------------------------------------------------- models */

/* Declared type and shape of a value (model inputs/outputs). `dims` (RN_MAX_RANK entries)
 * receives -1 for dynamic dims; `dim_names`, if not NULL, receives the
 * symbolic name of each dynamic dim (or NULL). Rank -1 = unknown. */
typedef struct rn_value_info {
  rn_dtype dtype;
  int rank;
  int64_t dims[RN_MAX_RANK];
  const char *dim_names[RN_MAX_RANK];
} rn_value_info;


typedef struct rn_model rn_model;

/* Loads an ONNX model (`env` may be NULL). External data files are resolved
 * relative to the model's folder and must stay inside it. */
RN_API rn_status *rn_model_load_file(const rn_env *env, const char *path, rn_model **out);
/* Loads an ONNX model from memory (copied as needed; the buffer can be freed
 * after the call). `base_dir` resolves external data; NULL forbids it. */
RN_API rn_status *rn_model_load_memory(const rn_env *env, const void *bytes, size_t size,
                                       const char *base_dir, rn_model **out);
RN_API void rn_model_free(rn_model *model);

/* Metadata: graph name, producer, and metadata_props by key (NULL if absent). */
RN_API const char *rn_model_graph_name(const rn_model *model);
RN_API const char *rn_model_metadata(const rn_model *model, const char *key);

/* ---------------------------------------------------------------- building and inspecting models */

/* An empty model to build node by node (what the Lua `rn` module uses).
 * Its default opset import is ai.onnx 17. */
RN_API rn_status *rn_model_create(const char *graph_name, rn_model **out);
RN_API rn_status *rn_model_set_opset(rn_model *model, const char *domain, int64_t version);
RN_API rn_status *rn_model_set_metadata(rn_model *model, const char *key, const char *value);
/* A graph input; dims of -1 are dynamic (dim_names, if not NULL, names them). */
RN_API rn_status *rn_model_add_input(rn_model *model, const char *name, rn_dtype dtype, int rank,
                                     const int64_t *dims, const char *const *dim_names);
/* Marks an existing value as a graph output. */
RN_API rn_status *rn_model_add_output(rn_model *model, const char *name);
/* Adds an initializer (the tensor is copied), or replaces the value of an
 * existing one, which must keep its dtype and shape (loading weights). */
RN_API rn_status *rn_model_set_initializer(rn_model *model, const char *name, const rn_tensor *value);
/* Appends a node. Empty or NULL input names are omitted optional inputs.
 * Output names must be new. Node and attribute checks happen in
 * rn_model_check_node, once the attributes are set. */
RN_API rn_status *rn_model_add_node(rn_model *model, const char *op_type, const char *domain,
                                    const char *name, int n_inputs, const char *const *inputs,
                                    int n_outputs, const char *const *outputs, int *index_out);
RN_API rn_status *rn_model_node_set_int(rn_model *model, int node, const char *attr, int64_t value);
RN_API rn_status *rn_model_node_set_float(rn_model *model, int node, const char *attr, float value);
RN_API rn_status *rn_model_node_set_string(rn_model *model, int node, const char *attr, const char *value);
RN_API rn_status *rn_model_node_set_ints(rn_model *model, int node, const char *attr, int n,
                                         const int64_t *values);
RN_API rn_status *rn_model_node_set_floats(rn_model *model, int node, const char *attr, int n,
                                           const float *values);
RN_API rn_status *rn_model_node_set_tensor(rn_model *model, int node, const char *attr,
                                           const rn_tensor *value);
/* Checks a node as a session would (op known at the model's opset, input and
 * output counts, attributes, types and shapes) as far as its inputs' shapes
 * are known (dynamic dims are checked as 1), and records its outputs' types
 * and shapes. Errors name the node and the problem. */
RN_API rn_status *rn_model_check_node(rn_model *model, int node);

/* Inspection. Indices run from 0; strings live as long as the model. */
RN_API int rn_model_input_count(const rn_model *model);
RN_API const char *rn_model_input_name(const rn_model *model, int index);
RN_API int rn_model_output_count(const rn_model *model);
RN_API const char *rn_model_output_name(const rn_model *model, int index);
/* Declared (or, after rn_model_check_node, inferred) type of a value. */
RN_API rn_status *rn_model_value_info(const rn_model *model, const char *name, rn_value_info *info);
RN_API int64_t rn_model_opset(const rn_model *model, const char *domain); /* -1 if not imported */
RN_API int rn_model_node_count(const rn_model *model);
RN_API const char *rn_model_node_name(const rn_model *model, int node);
RN_API const char *rn_model_node_op_type(const rn_model *model, int node);
RN_API const char *rn_model_node_domain(const rn_model *model, int node);
RN_API int rn_model_node_input_count(const rn_model *model, int node);
RN_API const char *rn_model_node_input(const rn_model *model, int node, int k); /* NULL if omitted */
RN_API int rn_model_node_output_count(const rn_model *model, int node);
RN_API const char *rn_model_node_output(const rn_model *model, int node, int k);
/* Attributes: names, and values of the scalar and list kinds. `type` uses
 * ONNX AttributeProto numbering (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS). */
RN_API int rn_model_node_attr_count(const rn_model *model, int node);
RN_API const char *rn_model_node_attr_name(const rn_model *model, int node, int k);
RN_API int rn_model_node_attr_type(const rn_model *model, int node, int k);
RN_API int64_t rn_model_node_attr_int(const rn_model *model, int node, int k);
RN_API float rn_model_node_attr_float(const rn_model *model, int node, int k);
RN_API const char *rn_model_node_attr_string(const rn_model *model, int node, int k);
RN_API int rn_model_node_attr_ints(const rn_model *model, int node, int k, const int64_t **values);
RN_API int rn_model_node_attr_floats(const rn_model *model, int node, int k, const float **values);
RN_API const rn_tensor *rn_model_node_attr_tensor(const rn_model *model, int node, int k);
RN_API int rn_model_initializer_count(const rn_model *model);
RN_API const char *rn_model_initializer_name(const rn_model *model, int index);
/* The initializer's value (owned by the model), or NULL. */
RN_API const rn_tensor *rn_model_initializer(const rn_model *model, const char *name);

/* Serializes the model as ONNX (ModelProto, ir_version 8). */
RN_API rn_status *rn_model_save_file(const rn_model *model, const char *path);
/* ... into a new buffer released with rn_free(). */
RN_API rn_status *rn_model_save_memory(const rn_model *model, void **bytes, size_t *size);
RN_API void rn_free(void *ptr);

/* ---------------------------------------------------------------- sessions */

typedef struct rn_session_options rn_session_options;

RN_API rn_status *rn_session_options_create(rn_session_options **out);
RN_API void rn_session_options_free(rn_session_options *options);
/* Threads that plugin kernels may use (the CPU plugin runs its kernels on
 * its own thread pool); rn's built-in reference kernels run on one thread.
 * 0 = one per core. */
RN_API rn_status *rn_session_options_set_threads(rn_session_options *options, int threads);
/* Graph rewrites at session creation (on by default): BatchNormalization
 * folded into the preceding Conv, and Conv [+ Add] [+ activation] fused into
 * one node (domain "rn", op FusedConv; see docs/DESIGN.md). Off: the graph
 * runs node for node as written. Compile-time constant folding always runs,
 * since shape inference relies on it. */
RN_API rn_status *rn_session_options_set_optimize(rn_session_options *options, int enabled);

/* Record per-node timings of every run (see rn_session_write_profile). */
RN_API rn_status *rn_session_options_set_profiling(rn_session_options *options, int enabled);

typedef struct rn_session rn_session;

/* Compiles `model` for running. `env` and `options` may be NULL (the
 * model's environment and default options). The session keeps what it
 * needs: the model may be freed afterwards. */
RN_API rn_status *rn_session_create(const rn_env *env, const rn_model *model,
                                    const rn_session_options *options, rn_session **out);
RN_API void rn_session_free(rn_session *session);

/* Graph inputs (initializers excluded) and outputs, in model order. */
RN_API int rn_session_input_count(const rn_session *session);
RN_API int rn_session_output_count(const rn_session *session);
RN_API const char *rn_session_input_name(const rn_session *session, int index);
RN_API const char *rn_session_output_name(const rn_session *session, int index);

RN_API rn_status *rn_session_input_info(const rn_session *session, int index,
                                        rn_value_info *info);
RN_API rn_status *rn_session_output_info(const rn_session *session, int index,
                                         rn_value_info *info);

/* Runs the session. `input_names`/`inputs`: n_inputs pairs. For each of the
 * n_outputs names, outputs[i] is either a caller tensor of the right dtype
 * and shape (written in place) or NULL, in which case rn creates the tensor
 * and stores it there (the caller frees it). Thread-safe. */
RN_API rn_status *rn_session_run(rn_session *session, int n_inputs, const char *const *input_names,
                                 rn_tensor *const *inputs, int n_outputs,
                                 const char *const *output_names, rn_tensor **outputs);


/* ---------------------------------------------------------------- introspection */

/* One node of a compiled session, with shapes from the most recent run
 * (or from the model's static input shapes if it has not run yet). */
typedef struct rn_node_info {
  const char *name;    /* valid while the session lives */
  const char *op_type;
  const char *domain;  /* "" for the default ONNX domain */
  rn_dtype dtype;      /* of the first output */
  int rank;            /* of the first output; -1 if not known yet */
  int64_t dims[RN_MAX_RANK];
  int64_t params;      /* elements of float initializers it reads (BatchNorm's
                          running mean/var are buffers, not parameters) */
  int64_t macs;        /* multiply-accumulates (convolutions, matrix products) */
  int folded;          /* 1 if evaluated once at compile time */
  const char *placed_on; /* the plugin whose kernel runs it, "reference" for
                            rn's built-in kernel, "folded", or NULL if no
                            plan exists yet */
} rn_node_info;

RN_API int rn_session_node_count(const rn_session *session);
RN_API rn_status *rn_session_node_info(rn_session *session, int index, rn_node_info *info);
/* Writes the per-node timings recorded since the last call as a Chrome trace
 * (chrome://tracing, Perfetto); needs profiling enabled in the options. */
RN_API rn_status *rn_session_write_profile(rn_session *session, const char *path);
/* Writes the model's graph in Graphviz dot format. */
RN_API rn_status *rn_model_write_dot(const rn_model *model, const char *path);

/* ---------------------------------------------------------------- images */

/* A decoded 8-bit image: height x width x channels (1 gray, 2 gray+alpha,
 * 3 RGB, 4 RGBA), rows top to bottom, channels interleaved. PNG and JPEG
 * (decoded with libpng / libjpeg-turbo). */
typedef struct rn_image rn_image;

RN_API rn_status *rn_image_load_file(const char *path, rn_image **out);
RN_API rn_status *rn_image_load_memory(const void *bytes, size_t size, rn_image **out);
RN_API void rn_image_free(rn_image *image);
RN_API int rn_image_width(const rn_image *image);
RN_API int rn_image_height(const rn_image *image);
RN_API int rn_image_channels(const rn_image *image);
RN_API const uint8_t *rn_image_pixels(const rn_image *image);

/* Preprocessing, identical to torchvision's classification transforms
 * (PIL): convert to gray or RGB, resize the shorter side to `resize`
 * (bilinear with antialias), center-crop to crop_height x crop_width, scale
 * to [0,1], then (if normalize) (x - mean) / std per channel. */
typedef struct rn_preprocess {
  int channels;      /* 1 (gray) or 3 (RGB) */
  int resize;        /* shorter side after resizing; 0 = no resize */
  int crop_height;   /* 0 = no crop */
  int crop_width;
  int normalize;     /* apply mean/std */
  float mean[3];
  float std[3];
} rn_preprocess;

/* ImageNet defaults for a crop of height x width: resize = 256/224 of the
 * crop's shorter side, ImageNet mean/std, RGB. */
RN_API void rn_preprocess_imagenet(rn_preprocess *pp, int height, int width);
/* Converts n images into one float32 NCHW batch tensor. All images must
 * yield the same size (a crop makes sure they do). */
RN_API rn_status *rn_images_to_tensor(rn_image *const *images, int n, const rn_preprocess *pp,
                                      rn_tensor **out);

#ifdef __cplusplus
}
#endif
#endif /* RN_H */
