/* --summary (per-node table with parameter and MAC totals) and --bench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rnrun.h"

rn_status *rnrun_run_zeros(rn_session *s, const rnrun_input *in, int batch) {
  int64_t dims[4] = {batch, in->channels, in->pp.crop_height, in->pp.crop_width};
  rn_tensor *x = NULL, *y = NULL;
  rn_status *st = rn_tensor_create(RN_DTYPE_FLOAT, dims, 4, &x);
  const char *in_name = in->name, *out_name = rn_session_output_name(s, 0);
  if (!st) st = rn_session_run(s, 1, &in_name, &x, 1, &out_name, &y);
  rn_tensor_free(x);
  rn_tensor_free(y);
  return st;
}

static void group_digits(int64_t v, char *buf, size_t size) {
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%lld", (long long)v);
  size_t len = strlen(tmp), pos = 0;
  for (size_t i = 0; i < len && pos + 2 < size; i++) {
    if (i && (len - i) % 3 == 0 && tmp[0] != '-') buf[pos++] = ',';
    buf[pos++] = tmp[i];
  }
  buf[pos] = 0;
}

int rnrun_summary(rn_session *s, const rn_model *m, const rnrun_input *in) {
  (void)m;
  int batch = in->batch > 0 ? (int)in->batch : 1;
  rn_status *st = rnrun_run_zeros(s, in, batch); /* shapes of a real run */
  if (st) {
    rnrun_error("%s", rn_status_message(st));
    rn_status_free(st);
    return RNRUN_ERR_RUN;
  }
  int64_t total_params = 0, total_macs = 0;
  int shown = 0;
  printf("%-40s %-20s %-22s %12s %15s  %s\n", "node", "op", "output", "params", "MACs", "placed on");
  for (int i = 0; i < rn_session_node_count(s); i++) {
    rn_node_info ni;
    if ((st = rn_session_node_info(s, i, &ni))) {
      rn_status_free(st);
      continue;
    }
    total_params += ni.params;
    total_macs += ni.macs;
    char shape[128] = "?", params[32], macs[32];
    if (ni.rank >= 0) {
      size_t pos = (size_t)snprintf(shape, sizeof shape, "[");
      for (int d = 0; d < ni.rank; d++)
        pos += (size_t)snprintf(shape + pos, sizeof shape - pos, d ? ",%lld" : "%lld", (long long)ni.dims[d]);
      snprintf(shape + pos, sizeof shape - pos, "]%s", ni.folded ? " const" : "");
    }
    group_digits(ni.params, params, sizeof params);
    group_digits(ni.macs, macs, sizeof macs);
    const char *name = ni.name && ni.name[0] ? ni.name : "-";
    printf("%-40.40s %-20.20s %-22.22s %12s %15s  %s\n", name, ni.op_type, shape, params, macs,
           ni.placed_on ? ni.placed_on : "-");
    shown++;
  }
  char p[32], mc[32];
  group_digits(total_params, p, sizeof p);
  group_digits(total_macs, mc, sizeof mc);
  printf("total: %d nodes, %s parameters, %s MACs (%.2f GMACs) at batch %d\n", shown, p, mc,
         (double)total_macs / 1e9, batch);
  return RNRUN_OK;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int rnrun_bench(rn_session *s, const rnrun_input *in, const rnrun_options *o) {
  int batch = in->batch > 0 ? (int)in->batch : (o->n_images > 0 ? o->n_images : 1);
  int warmup = o->bench < 3 ? 1 : 3;
  double *t = malloc(sizeof *t * (size_t)o->bench);
  if (!t) return RNRUN_ERR_RUN;
  bool tty = isatty(fileno(stderr));
  for (int i = -warmup; i < o->bench; i++) {
    double t0 = now_ms();
    rn_status *st = rnrun_run_zeros(s, in, batch);
    double dt = now_ms() - t0;
    if (st) {
      if (tty) fputc('\n', stderr);
      rnrun_error("%s", rn_status_message(st));
      rn_status_free(st);
      free(t);
      return RNRUN_ERR_RUN;
    }
    if (i >= 0) t[i] = dt;
    if (tty) {
      int done = i + warmup + 1, total = o->bench + warmup, width = 30;
      int filled = done * width / total;
      fprintf(stderr, "\r%s [%.*s%*s] %d/%d", i < 0 ? "warm-up" : "bench  ", filled,
              "##############################", width - filled, "", done, total);
      fflush(stderr);
    }
  }
  if (tty) fprintf(stderr, "\r%60s\r", "");
  qsort(t, (size_t)o->bench, sizeof *t, cmp_double);
  double median = o->bench % 2 ? t[o->bench / 2] : (t[o->bench / 2 - 1] + t[o->bench / 2]) / 2;
  int p90i = (int)(0.9 * (o->bench - 1) + 0.5);
  printf("bench: %d runs, batch %d, threads %d: min %.3f ms, median %.3f ms, p90 %.3f ms, max %.3f ms, "
         "%.1f images/s\n",
         o->bench, batch, o->threads, t[0], median, t[p90i], t[o->bench - 1], 1000.0 * batch / median);
  free(t);
  return RNRUN_OK;
}
