/* Einsum (opset 12): the general case as one loop over the index space of
 * all labels, output labels outermost. Repeated labels within a term take
 * the diagonal (their strides add up); "..." stands for the same broadcast
 * dims in every term, right-aligned; the implicit output is the ellipsis
 * dims followed by the labels that occur once, in character order. */
#include <string.h>

#include "extra_ops.h"

enum { N_LETTERS = 52, MAX_LABELS = N_LETTERS + RN_MAX_RANK, MAX_TERMS = 16 };
/* Largest index space walked (keeps the loop's counters far from overflow). */
#define MAX_SPACE ((int64_t)1 << 50)

typedef struct einsum_plan {
  int n_in;
  int n_labels;                       /* labels in loop order */
  int n_out;                          /* the first n_out labels are the output's */
  int64_t dims[MAX_LABELS];           /* by loop position */
  int64_t strides[MAX_TERMS][MAX_LABELS]; /* per input, by loop position */
  rn_shape out;
} einsum_plan;

static int letter_id(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= 'A' && c <= 'Z') return c - 'A';
  return -1;
}

/* Parses one term (up to ',' or '-' or the end) into label ids; ellipsis
 * dims become ids N_LETTERS + e. `rank` < 0 for the output term. */
static rn_status *parse_term(const rn_op_ctx *ctx, const char **pp, int rank, int e_rank,
                             int *labels, int *n, bool *has_ell) {
  const char *p = *pp;
  int cnt = 0, ell_at = -1;
  int raw[RN_MAX_RANK + 64];
  *has_ell = false;
  for (; *p && *p != ',' && *p != '-'; p++) {
    if (*p == ' ') continue;
    if (*p == '.') {
      if (ell_at >= 0 || strncmp(p, "...", 3) != 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "bad ellipsis in equation");
      ell_at = cnt;
      *has_ell = true;
      p += 2;
      continue;
    }
    int id = letter_id(*p);
    if (id < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "bad character '%c' in equation", *p);
    if (cnt >= RN_MAX_RANK + 63) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "term too long");
    raw[cnt++] = id;
  }
  *pp = p;
  int ne = 0;
  if (rank >= 0) {
    ne = rank - cnt;
    if (ne < 0 || (ne > 0 && ell_at < 0))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "equation term has %d labels for rank %d", cnt,
                         rank);
  } else {
    ne = ell_at >= 0 ? e_rank : 0;
  }
  if (cnt + ne > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "equation term is too long");
  int k = 0;
  for (int i = 0; i <= cnt; i++) {
    if (i == ell_at)
      for (int e = 0; e < ne; e++) labels[k++] = N_LETTERS + (e_rank - ne) + e;
    if (i < cnt) labels[k++] = raw[i];
  }
  *n = k;
  return NULL;
}

static rn_status *einsum_plan_make(const rn_op_ctx *ctx, einsum_plan *pl) {
  const char *eq = rn_attr_string(ctx->node, "equation", NULL);
  if (!eq) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute equation is missing");
  pl->n_in = ctx->n_inputs;
  if (pl->n_in < 1 || pl->n_in > MAX_TERMS)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "%d inputs (1..%d supported)", pl->n_in, MAX_TERMS);
  /* The ellipsis rank: the largest over the terms (rank minus letters). */
  int e_rank = 0;
  {
    const char *p = eq;
    for (int t = 0; t < pl->n_in; t++) {
      int letters = 0;
      bool ell = false;
      for (; *p && *p != ',' && *p != '-'; p++) {
        if (letter_id(*p) >= 0) letters++;
        if (*p == '.') ell = true;
      }
      const rn_tensor *x = ctx->inputs[t];
      if (!x) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d is missing", t);
      if (ell && x->shape.rank - letters > e_rank) e_rank = x->shape.rank - letters;
      if (*p == ',') p++;
    }
  }
  int in_labels[MAX_TERMS][RN_MAX_RANK], in_n[MAX_TERMS];
  int64_t ldim[MAX_LABELS];
  int count[MAX_LABELS] = {0};
  for (int l = 0; l < MAX_LABELS; l++) ldim[l] = -1;
  const char *p = eq;
  for (int t = 0; t < pl->n_in; t++) {
    const rn_tensor *x = ctx->inputs[t];
    bool ell;
    RN_TRY(parse_term(ctx, &p, x->shape.rank, e_rank, in_labels[t], &in_n[t], &ell));
    for (int i = 0; i < in_n[t]; i++) {
      int l = in_labels[t][i];
      int64_t d = x->shape.dims[i];
      count[l]++;
      if (ldim[l] < 0 || ldim[l] == 1)
        ldim[l] = ldim[l] == 1 && l < N_LETTERS && d != 1 ? -2 : (ldim[l] < 0 || d != 1 ? d : 1);
      else if (d != ldim[l] && !(d == 1 && l >= N_LETTERS))
        ldim[l] = -2;
      if (ldim[l] == -2)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "equation label dims disagree in input %d", t);
    }
    if (t + 1 < pl->n_in) {
      if (*p != ',')
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "equation has fewer terms than inputs");
      p++;
    }
  }
  while (*p == ' ') p++;
  int out_labels[MAX_LABELS], n_out = 0;
  if (*p == ',') return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "equation has more terms than inputs");
  if (*p == '-') {
    if (p[1] != '>') return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "bad '->' in equation");
    p += 2;
    bool ell;
    RN_TRY(parse_term(ctx, &p, -1, e_rank, out_labels, &n_out, &ell));
    if (*p) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "trailing characters in equation");
    for (int i = 0; i < n_out; i++) {
      if (count[out_labels[i]] == 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output label not in any input");
      for (int j = 0; j < i; j++)
        if (out_labels[j] == out_labels[i])
          return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output label repeated");
    }
  } else {
    if (*p) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "trailing characters in equation");
    for (int e = 0; e < e_rank; e++)
      if (count[N_LETTERS + e]) out_labels[n_out++] = N_LETTERS + e;
    for (int l = 0; l < N_LETTERS; l++)
      if (count[l] == 1) {
        if (n_out >= RN_MAX_RANK) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank too large");
        out_labels[n_out++] = l;
      }
  }
  /* loop order: output labels, then the summed ones */
  int order[MAX_LABELS], pos[MAX_LABELS], n = 0;
  for (int l = 0; l < MAX_LABELS; l++) pos[l] = -1;
  for (int i = 0; i < n_out; i++) pos[out_labels[i]] = n, order[n++] = out_labels[i];
  for (int l = 0; l < MAX_LABELS; l++)
    if (count[l] && pos[l] < 0) pos[l] = n, order[n++] = l;
  pl->n_labels = n;
  pl->n_out = n_out;
  int64_t space = 1;
  for (int i = 0; i < n; i++) {
    pl->dims[i] = ldim[order[i]];
    if (pl->dims[i] > 0 && space > MAX_SPACE / pl->dims[i])
      return rn_op_error(ctx, RN_ERR_LIMIT, "Einsum index space is too large");
    space *= pl->dims[i];
  }
  pl->out.rank = n_out;
  for (int i = 0; i < n_out; i++) pl->out.dims[i] = pl->dims[i];
  for (int t = 0; t < pl->n_in; t++) {
    const rn_tensor *x = ctx->inputs[t];
    int64_t st[RN_MAX_RANK];
    rn_op_strides(&x->shape, st);
    for (int i = 0; i < n; i++) pl->strides[t][i] = 0;
    for (int i = 0; i < in_n[t]; i++)
      if (x->shape.dims[i] != 1 || pl->dims[pos[in_labels[t][i]]] == 1)
        pl->strides[t][pos[in_labels[t][i]]] += st[i];
  }
  return NULL;
}

static rn_status *einsum_infer(rn_op_ctx *ctx) {
  if (!rn_op_output(ctx, 0)) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output is missing");
  einsum_plan pl;
  RN_TRY(einsum_plan_make(ctx, &pl));
  rn_dtype dt = ctx->inputs[0]->dtype;
  for (int t = 0; t < pl.n_in; t++)
    if (ctx->inputs[t]->dtype != dt)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inputs have different types");
  if (!rn_xops_is_real(dt) && dt != RN_DTYPE_INT32 && dt != RN_DTYPE_INT64 &&
      dt != RN_DTYPE_UINT32 && dt != RN_DTYPE_UINT64)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s is not supported", rn_dtype_name(dt));
  RN_TRY(rn_op_check_shape(ctx, &pl.out, dt));
  rn_op_set_output(ctx, 0, dt, &pl.out);
  return NULL;
}

/* The walk, for element type T with accumulator A. */
#define EINSUM_KERNEL(NAME, T, A)                                                                 \
  static void NAME(const einsum_plan *pl, const void *const *in, T *y) {                         \
    int n = pl->n_labels, nt = pl->n_in;                                                          \
    int64_t osz = 1, isz = 1;                                                                     \
    for (int i = 0; i < pl->n_out; i++) osz *= pl->dims[i];                                       \
    for (int i = pl->n_out; i < n; i++) isz *= pl->dims[i];                                       \
    int64_t idx[MAX_LABELS] = {0}, off[MAX_TERMS] = {0};                                          \
    for (int64_t o = 0; o < osz; o++) {                                                           \
      A acc = 0;                                                                                  \
      for (int64_t r = 0; r < isz; r++) {                                                         \
        A prod = 1;                                                                               \
        for (int t = 0; t < nt; t++) prod *= (A)((const T *)in[t])[off[t]];                       \
        acc += prod;                                                                              \
        /* advance the summed labels (odometer), keeping offsets current */                       \
        for (int d = n - 1; d >= pl->n_out; d--) {                                                \
          if (++idx[d] < pl->dims[d]) {                                                           \
            for (int t = 0; t < nt; t++) off[t] += pl->strides[t][d];                             \
            break;                                                                                \
          }                                                                                       \
          idx[d] = 0;                                                                             \
          for (int t = 0; t < nt; t++) off[t] -= (pl->dims[d] - 1) * pl->strides[t][d];           \
        }                                                                                         \
      }                                                                                           \
      y[o] = (T)acc;                                                                              \
      for (int d = pl->n_out - 1; d >= 0; d--) {                                                  \
        if (++idx[d] < pl->dims[d]) {                                                             \
          for (int t = 0; t < nt; t++) off[t] += pl->strides[t][d];                               \
          break;                                                                                  \
        }                                                                                         \
        idx[d] = 0;                                                                               \
        for (int t = 0; t < nt; t++) off[t] -= (pl->dims[d] - 1) * pl->strides[t][d];             \
      }                                                                                           \
    }                                                                                             \
  }
EINSUM_KERNEL(einsum_f32, float, double)
EINSUM_KERNEL(einsum_f64, double, double)
EINSUM_KERNEL(einsum_u32, uint32_t, uint64_t)
EINSUM_KERNEL(einsum_u64, uint64_t, uint64_t)

static rn_status *einsum_run(rn_op_ctx *ctx) {
  einsum_plan pl;
  RN_TRY(einsum_plan_make(ctx, &pl));
  const void *in[MAX_TERMS];
  for (int t = 0; t < pl.n_in; t++) in[t] = ctx->inputs[t]->data;
  rn_tensor *y = ctx->outputs[0];
  for (int i = 0; i < pl.n_labels; i++)
    if (pl.dims[i] == 0) { /* empty index space: sums are zero */
      memset(y->data, 0, y->nbytes);
      return NULL;
    }
  switch (y->dtype) {
    case RN_DTYPE_FLOAT: einsum_f32(&pl, in, y->data); break;
    case RN_DTYPE_DOUBLE: einsum_f64(&pl, in, y->data); break;
    /* signed integers wrap like unsigned ones (two's complement) */
    case RN_DTYPE_INT32: case RN_DTYPE_UINT32: einsum_u32(&pl, in, y->data); break;
    case RN_DTYPE_INT64: case RN_DTYPE_UINT64: einsum_u64(&pl, in, y->data); break;
    default: return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(y->dtype));
  }
  return NULL;
}

const rn_op_def rn_op_einsum = {
    .domain = "", .op_type = "Einsum", .since_version = 12, .max_version = 21, .min_inputs = 1,
    .max_inputs = MAX_TERMS, .min_outputs = 1, .max_outputs = 1, .infer = einsum_infer,
    .run = einsum_run,
};
