/* The plugin's thread pool: the calling thread plus up to CPU_MAX_THREADS-1
 * workers, shared by every session in the process.
 *
 * OpenBLAS runs single-threaded inside the plugin (see rn_cpu_set_threads):
 * the pool splits each kernel into tasks (column blocks of a GEMM, channel
 * ranges of a depthwise conv...) and every task calls sgemm on its own
 * thread, so the two never oversubscribe the cores.
 *
 * Kernels are short (tens of microseconds to milliseconds), so waking a
 * sleeping worker through a condition variable for each one would cost more
 * than it saves: workers spin for a while after each job, then sleep. Only
 * one job runs at a time; a caller that finds the pool busy (another session
 * running concurrently) runs its tasks itself.
 *
 * Each thread owns a contiguous range of a job's tasks, which it runs from
 * the front; a thread done with its own range takes tasks from the back of
 * the others'. Kernels number their tasks in channel (or position) order,
 * so consecutive layers tend to give a thread the same channels: what one
 * layer wrote stays in that core's L2 for the next (a shared counter, where
 * whichever thread was free took the next task, made half of every
 * layer's input cross from the other core: MobileNet-v2 with 2 threads
 * 4.95 -> 4.71 ms). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

enum { SPIN_NS = 2000000 }; /* how long idle workers spin before sleeping */

/* A thread's share of a job: tasks [start, end), claimed one at a time
 * (claimed < end - start), by the owner from the front and by the others
 * from the back. On its own cache line: the owner updates it per task. */
typedef struct task_range {
  _Alignas(64) atomic_int claimed;
  atomic_int front, back;
  int start, end;
} task_range;

/* One job, on the caller's stack; workers reach it through pool.job. */
typedef struct job {
  cpu_task_fn fn;
  void *ctx;
  int n_tasks, n_threads;
  atomic_int done;
  task_range range[CPU_MAX_THREADS];
} job;

static struct {
  pthread_mutex_t lock; /* guards workers' creation and sleeping */
  pthread_cond_t wake;
  pthread_mutex_t busy; /* held by the thread whose job is running */
  atomic_int n_workers;
  atomic_uint generation; /* changes when a job is published */
  _Atomic(job *) job;     /* the running job, or NULL */
  atomic_int active;      /* workers that may hold a pointer to the job */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs tasks of range r (from the front if `own`, else from the back)
 * until none is left to claim. */
static void run_range(job *j, task_range *r, int own, int thread) {
  while (atomic_fetch_add(&r->claimed, 1) < r->end - r->start) {
    const int i = own ? r->start + atomic_fetch_add(&r->front, 1) : r->end - 1 - atomic_fetch_add(&r->back, 1);
    j->fn(j->ctx, i, thread);
    atomic_fetch_add(&j->done, 1);
  }
}

static void run_tasks(job *j, int thread) {
  run_range(j, &j->range[thread], 1, thread);
  for (int k = 1; k < j->n_threads; k++) run_range(j, &j->range[(thread + k) % j->n_threads], 0, thread);
}

static void *worker_main(void *arg) {
  int thread = (int)(intptr_t)arg; /* 1.. (0 is the caller) */
  unsigned seen = atomic_load(&pool.generation);
  for (;;) {
    int64_t start = now_ns();
    for (int spins = 0; atomic_load(&pool.generation) == seen; spins++) {
      cpu_relax();
      if ((spins & 63) == 63) sched_yield(); /* a thread with work on this core goes first */
      if ((spins & 255) == 255 && now_ns() - start > SPIN_NS) {
        pthread_mutex_lock(&pool.lock);
        while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
      }
    }
    seen = atomic_load(&pool.generation);
    atomic_fetch_add(&pool.active, 1); /* before reading the job: see rn_cpu_parallel */
    job *j = atomic_load(&pool.job);
    /* A job that asked for fewer threads leaves this worker out. */
    if (j && thread < j->n_threads) run_tasks(j, thread);
    atomic_fetch_sub(&pool.active, 1);
  }
  return NULL;
}

/* In a child of fork() only the forking thread exists: forget the workers
 * (and any job) so that the child starts its own. */
static void forget_workers_after_fork(void) {
  pthread_mutex_init(&pool.lock, NULL);
  pthread_cond_init(&pool.wake, NULL);
  pthread_mutex_init(&pool.busy, NULL);
  atomic_store(&pool.n_workers, 0);
  atomic_store(&pool.job, NULL);
  atomic_store(&pool.active, 0);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void) { pthread_atfork(NULL, NULL, forget_workers_after_fork); }

/* Keeps workers off the core of the thread that starts them (the one that
 * will run sessions, usually): otherwise the first wake-up may put a worker
 * on the caller's core, where it runs only while the caller waits, until the
 * scheduler's load balancing moves it (measured: the first ~60 ms of every
 * process at single-thread speed). Only when the process may use more cores
 * than the pool has threads; RN_CPU_NO_AFFINITY=1 turns it off. */
static void set_worker_affinity(pthread_attr_t *attr, int threads) {
#if defined(__linux__)
  cpu_set_t allowed;
  int cpu = sched_getcpu();
  if (getenv("RN_CPU_NO_AFFINITY") || cpu < 0 || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  if (CPU_COUNT(&allowed) < threads || !CPU_ISSET(cpu, &allowed)) return;
  CPU_CLR(cpu, &allowed);
  pthread_attr_setaffinity_np(attr, sizeof allowed, &allowed);
#else
  (void)attr, (void)threads;
#endif
}

/* Starts workers up to `threads` - 1 (never stopped: they sleep when idle). */
void rn_cpu_pool_start(int threads) {
  if (threads > CPU_MAX_THREADS) threads = CPU_MAX_THREADS;
  if (atomic_load(&pool.n_workers) >= threads - 1) return; /* the common case: no lock */
  pthread_once(&atfork_once, register_atfork);
  pthread_mutex_lock(&pool.lock);
  while (pool.n_workers < threads - 1) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    set_worker_affinity(&attr, threads);
    int ok = pthread_create(&t, &attr, worker_main, (void *)(intptr_t)(pool.n_workers + 1)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break; /* fewer threads: still correct */
    pool.n_workers++;
  }
  pthread_mutex_unlock(&pool.lock);
}

void rn_cpu_parallel(int threads, int n_tasks, cpu_task_fn fn, void *ctx) {
  if (n_tasks <= 0) return;
  if (threads > n_tasks) threads = n_tasks;
  if (threads > 1) rn_cpu_pool_start(threads);
  if (threads <= 1 || pool.n_workers == 0 || pthread_mutex_trylock(&pool.busy) != 0) {
    for (int i = 0; i < n_tasks; i++) fn(ctx, i, 0);
    return;
  }
  job j;
  j.fn = fn, j.ctx = ctx, j.n_tasks = n_tasks;
  j.n_threads = threads <= pool.n_workers + 1 ? threads : pool.n_workers + 1;
  atomic_init(&j.done, 0);
  for (int t = 0; t < j.n_threads; t++) {
    task_range *r = &j.range[t];
    r->start = (int)((int64_t)n_tasks * t / j.n_threads), r->end = (int)((int64_t)n_tasks * (t + 1) / j.n_threads);
    atomic_init(&r->claimed, 0), atomic_init(&r->front, 0), atomic_init(&r->back, 0);
  }
  atomic_store(&pool.job, &j);
  pthread_mutex_lock(&pool.lock);
  atomic_fetch_add(&pool.generation, 1);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);
  run_tasks(&j, 0);
  /* A worker still on a task may share this core (a busy machine): yield. */
  for (int spins = 0; atomic_load(&j.done) < n_tasks; spins++) {
    cpu_relax();
    if ((spins & 63) == 63) sched_yield();
  }
  /* j lives on this stack: wait until no worker can still be reading it. */
  atomic_store(&pool.job, NULL);
  while (atomic_load(&pool.active) != 0) cpu_relax();
  pthread_mutex_unlock(&pool.busy);
}
