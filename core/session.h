/* Session internals shared by core/session.c and core/introspect.c. */
#ifndef RN_CORE_SESSION_H
#define RN_CORE_SESSION_H

#include <pthread.h>

#include "env.h"
#include "plan.h"

enum { MAX_CACHED_PLANS = 16 };

struct rn_session_options {
  int threads;
  int optimize;
  int profiling;
};

/* One timed node execution (profiling). */
typedef struct rn_profile_event {
  int node;
  double start_us, dur_us;
  long run;
} rn_profile_event;

struct rn_session {
  rn_graph *graph;     /* private copy with ops resolved */
  int *order;          /* nodes needed for the outputs, topologically sorted */
  int n_order;
  bool *feeds_value_input; /* per graph input: read by an op to infer shapes */
  rn_session_options options;
  rn_env env;             /* logging and limits (a copy) */
  pthread_mutex_t lock;   /* guards plans, their pools, counters and events */
  rn_plan *plans[MAX_CACHED_PLANS];
  int n_plans;
  unsigned long clock;
  rn_profile_event *events;
  int n_events, cap_events;
  long n_runs;
};

/* Appends one run's step timings (start/end pairs in microseconds). */
void rn_session_record_profile(rn_session *s, const rn_plan *plan, const double *times);

#endif
