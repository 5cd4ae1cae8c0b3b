/*
 * calibrate.c - the machine's floors (see calibrate.h; the cache is floors.c).
 *
 * Each measurement forks two processes pinned to the given CPUs that meet
 * at a start barrier, run a bare loop over a shared anonymous mapping made
 * before the fork, and leave their samples in it.  The parent only waits,
 * with a deadline: every child arms alarm() first (with SIGALRM set back
 * to its default action), dies with its parent (PR_SET_PDEATHSIG), and the
 * parent kills both when one fails or the deadline passes, so a stuck or
 * stopped loop cannot hang the caller.  Ordering traps: the futex word
 * must live in MAP_SHARED memory and use the shared (non-PRIVATE) futex
 * ops; the cache-line loop reads with acquire and writes with release so
 * the values it sees are the ones its peer wrote in order.
 */
#include "harness/calibrate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/mono.h"
#include "harness/clock.h"
#include "harness/floors.h"

#define LINE 64
#define MAX_SAMPLES 200000
#define WARM_RTT 1000
#define BUDGET_SPIN_NS 60000000ull   /* per cache-line run */
#define BUDGET_FUTEX_NS 150000000ull /* per futex run */
#define CHILD_ALARM_S 10
#define SHM_COPY_BYTES FLOORS_SHM_COPY_BYTES
#define SHM_WARM 8
#define SHM_BATCH 8
#define SHM_BATCHES 11
#define MEMCPY_BATCH_BYTES ((size_t)32 << 20)
#define MEMCPY_BATCHES 7
#define STOP UINT64_MAX
#define SAMPLE_OTHER (1ull << 63) /* in samples[]: a round trip the floor leaves out */

#define RTT_BATCHES 5	   /* a round-trip floor is the lowest of these medians */
#define RTT_MIN_COUNTED 64 /* round trips that count, for a batch's median */
#define PARENT_GRACE_S 1   /* the parent kills what the children's alarm missed */

static const size_t *const memcpy_sizes = floors_memcpy_bytes;

/* The mapping both children share. */
struct bench {
	_Alignas(LINE) _Atomic uint64_t line;		   /* the cache-line ping-pong */
	_Alignas(LINE) _Atomic uint32_t word;		   /* the futex ping-pong */
	_Alignas(LINE) _Atomic uint32_t full[2][LINE / 4]; /* shm copy slot flags, a line each */
	_Alignas(LINE) _Atomic int arrived;		   /* start barrier */
	int cpu[2];
	bool same;
	uint8_t *slots; /* 2 x SHM_COPY_BYTES, shared */
	int err[2];
	char msg[2][160];
	size_t n;		       /* samples[] filled */
	size_t batch_end[RTT_BATCHES]; /* round trips: where each batch ends in samples[] */
	uint64_t samples[MAX_SAMPLES]; /* ticks, or bytes/s for bandwidths */
	double memcpy_gbps[4];
};

static char last_error[300];

const char *calib_error(void)
{
	return last_error;
}

static int calib_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int calib_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return -(err ? err : EIO);
}

/* ---- the children ---- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* On one CPU a poll loop must hand the CPU over or it waits for the tick. */
static inline void relax(const struct bench *b)
{
	if (b->same)
		sched_yield();
	else
		cpu_relax();
}

static void side_error(struct bench *b, int side, const char *what)
{
	b->err[side] = errno ? errno : EIO;
	snprintf(b->msg[side], sizeof(b->msg[side]), "%s: %s", what, strerror(b->err[side]));
}

static void barrier(struct bench *b)
{
	atomic_fetch_add(&b->arrived, 1);
	while (atomic_load(&b->arrived) < 2)
		relax(b);
}

static inline bool cacheline_rtt(struct bench *b, uint64_t k)
{
	atomic_store_explicit(&b->line, 2 * k + 1, memory_order_release);
	while (atomic_load_explicit(&b->line, memory_order_acquire) != 2 * k + 2)
		relax(b);
	return true;
}

/*
 * Times RTT_BATCHES batches of round trips one by one after a warm-up;
 * each batch ends after budget_ns / RTT_BATCHES or its share of samples[].
 * Inlined with a constant rtt, so nothing but the round trip is timed.  A
 * round trip that rtt says is not the one the floor is about is kept with
 * SAMPLE_OTHER set (see futex_rtt).
 */
static inline __attribute__((always_inline)) void timed_batches(struct bench *b, uint64_t budget_ns,
								bool (*rtt)(struct bench *, uint64_t))
{
	const size_t per_batch = MAX_SAMPLES / RTT_BATCHES;
	uint64_t k = 0, start, t0, t1;
	size_t i = 0;

	for (; k < WARM_RTT; k++)
		rtt(b, k);
	for (int batch = 0; batch < RTT_BATCHES; batch++) {
		size_t end = i + per_batch;

		start = clock_ticks();
		for (; i < end; i++, k++) {
			bool counts;

			t0 = clock_ticks();
			counts = rtt(b, k);
			t1 = clock_ticks();
			b->samples[i] = (t1 - t0) | (counts ? 0 : SAMPLE_OTHER);
			if (i % 16 == 15 && clock_ticks_to_ns(t1 - start) > budget_ns / RTT_BATCHES) {
				i++;
				break;
			}
		}
		b->batch_end[batch] = i;
	}
	b->n = i;
}

static void cacheline_client(struct bench *b)
{
	timed_batches(b, BUDGET_SPIN_NS, cacheline_rtt);
	atomic_store_explicit(&b->line, STOP, memory_order_release);
}

static void cacheline_server(struct bench *b)
{
	uint64_t last = 0, v;

	for (;;) {
		while ((v = atomic_load_explicit(&b->line, memory_order_acquire)) == last)
			relax(b);
		if (v == STOP)
			return;
		last = v + 1;
		atomic_store_explicit(&b->line, last, memory_order_release);
	}
}

static void cacheline_side(struct bench *b, int side)
{
	if (side == 0)
		cacheline_client(b);
	else
		cacheline_server(b);
}

/*
 * No timeout: a timed FUTEX_WAIT arms an hrtimer on every wait and made
 * this floor slower than a real pipe.  A lost peer is bounded by the
 * children's alarm() and the parent's deadline (run_pair).
 */
static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT, val, NULL, NULL, 0);
}

/* How many waiters it woke: 0 when the peer was not asleep. */
static long futex_wake(_Atomic uint32_t *w)
{
	return syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * word: 0 the client's turn, 1 the server's, 2 stop.  The floor is the
 * round trip that wakes a sleeper: the server was asleep when the client
 * woke it (FUTEX_WAKE woke one).  When both CPUs stay busy, each side can
 * see the other's turn before it gets to sleep, and the pair settles into
 * a handoff of bare syscalls (under 1 us here, against 30-50 us for a
 * wake-up on this VM); such round trips wake nobody and are marked and
 * left out, or the floor would be that handoff.  The client's own sleep
 * is not required: on one CPU the woken server preempts the client, which
 * then finds its turn without sleeping, and that is the same-CPU round
 * trip of two context switches.
 */
static inline bool futex_rtt(struct bench *b, uint64_t k)
{
	long woke;

	(void)k;
	atomic_store(&b->word, 1);
	woke = futex_wake(&b->word);
	while (atomic_load(&b->word) != 0)
		futex_wait(&b->word, 1);
	return woke == 1;
}

static void futex_client(struct bench *b)
{
	timed_batches(b, BUDGET_FUTEX_NS, futex_rtt);
	atomic_store(&b->word, 2);
	futex_wake(&b->word);
}

static void futex_server(struct bench *b)
{
	uint32_t v;

	for (;;) {
		while ((v = atomic_load(&b->word)) == 0)
			futex_wait(&b->word, 0);
		if (v == 2)
			return;
		atomic_store(&b->word, 0);
		futex_wake(&b->word);
	}
}

static void futex_side(struct bench *b, int side)
{
	if (side == 0)
		futex_client(b);
	else
		futex_server(b);
}

static uint8_t *touched_buffer(size_t len)
{
	uint8_t *p = aligned_alloc(4096, len);

	if (p)
		memset(p, 0x5a, len);
	return p;
}

static uint64_t median_u64(uint64_t *v, size_t n);

/* Bytes per second of one batch of reps copies of len bytes. */
static uint64_t memcpy_batch(uint8_t *dst, const uint8_t *src, size_t len, size_t reps)
{
	uint64_t t0 = clock_ticks(), ns;

	for (size_t r = 0; r < reps; r++) {
		memcpy(dst, src, len);
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	}
	ns = clock_ticks_to_ns(clock_ticks() - t0);
	return ns ? (uint64_t)((double)len * (double)reps * 1e9 / (double)ns) : 0;
}

static void memcpy_side(struct bench *b, int side)
{
	uint64_t rate[MEMCPY_BATCHES];

	if (side != 0)
		return;
	for (int s = 0; s < 4; s++) {
		size_t len = memcpy_sizes[s], reps = MEMCPY_BATCH_BYTES / len;
		uint8_t *src = touched_buffer(len), *dst = touched_buffer(len);

		if (!src || !dst) {
			errno = ENOMEM;
			side_error(b, side, "allocating memcpy buffers");
			return;
		}
		memcpy_batch(dst, src, len, reps); /* warm */
		for (int i = 0; i < MEMCPY_BATCHES; i++)
			rate[i] = memcpy_batch(dst, src, len, reps);
		b->memcpy_gbps[s] = (double)median_u64(rate, MEMCPY_BATCHES) / 1e9;
		free(src);
		free(dst);
	}
}

/* One process copies each message into a slot, the other copies it out. */
static void shm_copy_side(struct bench *b, int side)
{
	const size_t total = SHM_WARM + SHM_BATCH * SHM_BATCHES;
	uint8_t *buf = touched_buffer(SHM_COPY_BYTES);
	uint64_t t0 = 0;

	if (!buf) {
		errno = ENOMEM;
		side_error(b, side, "allocating a 1 MiB buffer");
		return;
	}
	for (size_t i = 0; i < total; i++) {
		_Atomic uint32_t *full = &b->full[i & 1][0];
		uint8_t *slot = b->slots + (i & 1) * SHM_COPY_BYTES;

		if (side == 0) {
			while (atomic_load_explicit(full, memory_order_acquire))
				relax(b);
			memcpy(slot, buf, SHM_COPY_BYTES);
			atomic_store_explicit(full, 1, memory_order_release);
			continue;
		}
		if (i >= SHM_WARM && (i - SHM_WARM) % SHM_BATCH == 0)
			t0 = clock_ticks();
		while (!atomic_load_explicit(full, memory_order_acquire))
			relax(b);
		memcpy(buf, slot, SHM_COPY_BYTES);
		__asm__ __volatile__("" : : "r"(buf) : "memory");
		atomic_store_explicit(full, 0, memory_order_release);
		if (i >= SHM_WARM && (i - SHM_WARM) % SHM_BATCH == SHM_BATCH - 1) {
			uint64_t ns = clock_ticks_to_ns(clock_ticks() - t0);

			b->samples[b->n++] =
				ns ? (uint64_t)((double)(SHM_BATCH * SHM_COPY_BYTES) * 1e9 / (double)ns) : 0;
		}
	}
	free(buf);
}

static void pin(struct bench *b, int side)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(b->cpu[side], &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		char what[64];

		snprintf(what, sizeof(what), "sched_setaffinity cpu %d", b->cpu[side]);
		side_error(b, side, what);
		_exit(1);
	}
}

static void child(struct bench *b, int side, void (*fn)(struct bench *, int), pid_t parent)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t alrm;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* the alarm must end a stuck loop even when the caller ignores or blocks SIGALRM */
	sigaction(SIGALRM, &dfl, NULL);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &alrm, NULL);
	alarm(CHILD_ALARM_S);
	pin(b, side);
	barrier(b);
	errno = 0;
	fn(b, side);
	_exit(b->err[side] ? 1 : 0);
}

/* ---- the parent ---- */

static void kill_all(const pid_t *pid, const bool *done)
{
	for (int i = 0; i < 2; i++)
		if (pid[i] > 0 && !done[i])
			kill(pid[i], SIGKILL);
}

/* Reaps every child not done yet; a signal for the caller kills them first. */
static int reap_blocking(const pid_t *pid, int *status, bool *done)
{
	int r = 0;

	for (int i = 0; i < 2; i++) {
		while (!done[i] && waitpid(pid[i], &status[i], 0) < 0) {
			if (errno != EINTR)
				break;
			/* interrupted (the caller's SIGINT handler): stop both, keep reaping */
			r = -EINTR;
			kill_all(pid, done);
		}
		done[i] = true;
	}
	return r;
}

/*
 * Waits for both children until the deadline, on their pidfds: when one
 * fails its peer is killed at once, and at the deadline both are (a child
 * stopped by SIGSTOP never acts on its alarm).  0, -EINTR (a signal for
 * the caller) or -ETIMEDOUT.  Without pidfds the children's alarm() is
 * the only bound, as it was before pidfds.
 */
static int reap_all(const pid_t *pid, int *status)
{
	uint64_t deadline = mono_ms() + (CHILD_ALARM_S + PARENT_GRACE_S) * 1000u;
	bool done[2] = {pid[0] <= 0, pid[1] <= 0};
	struct pollfd p[2];
	int r = 0;

	for (int i = 0; i < 2; i++)
		p[i] = (struct pollfd){.fd = done[i] ? -1 : (int)syscall(SYS_pidfd_open, pid[i], 0), .events = POLLIN};
	while ((!done[0] || !done[1]) && (done[0] || p[0].fd >= 0) && (done[1] || p[1].fd >= 0)) {
		uint64_t now = mono_ms();

		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(p, 2, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				r = -EINTR;
			break; /* anything else: reap_blocking below */
		}
		for (int i = 0; i < 2; i++) {
			if (done[i] || waitpid(pid[i], &status[i], WNOHANG) != pid[i])
				continue;
			done[i] = true;
			close(p[i].fd);
			p[i].fd = -1;
			if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]))
				kill_all(pid, done); /* its peer would wait for it until the alarm */
		}
	}
	if (r)
		kill_all(pid, done);
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	if (reap_blocking(pid, status, done) && !r)
		r = -EINTR;
	return r;
}

static int child_status(const struct bench *b, int status, int side, const char *what)
{
	if (b->err[side])
		return calib_fail(b->err[side], "%s: %s", what, b->msg[side]);
	if (WIFSIGNALED(status))
		return calib_fail(WTERMSIG(status) == SIGALRM ? ETIMEDOUT : EIO,
				  "%s: a child was killed by signal %d (%s)", what, WTERMSIG(status),
				  WTERMSIG(status) == SIGALRM ? "no progress for 10 s" : strsignal(WTERMSIG(status)));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return calib_fail(EIO, "%s: a child exited with status %d", what, WEXITSTATUS(status));
	return 0;
}

static int run_pair(struct bench *b, int cpu_a, int cpu_b, void (*fn)(struct bench *, int), const char *what)
{
	pid_t pid[2] = {-1, -1}, self = getpid();
	int status[2] = {0, 0}, r;

	atomic_store(&b->line, 0);
	atomic_store(&b->word, 0);
	atomic_store(&b->full[0][0], 0);
	atomic_store(&b->full[1][0], 0);
	atomic_store(&b->arrived, 0);
	b->cpu[0] = cpu_a;
	b->cpu[1] = cpu_b;
	b->same = cpu_a == cpu_b;
	b->err[0] = b->err[1] = 0;
	b->n = 0;
	memset(b->batch_end, 0, sizeof(b->batch_end));
	fflush(NULL);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			child(b, i, fn, self);
		if (pid[i] < 0) {
			r = calib_fail(errno, "%s: fork: %s", what, strerror(errno));
			if (i)
				kill(pid[0], SIGKILL);
			reap_all(pid, status);
			return r;
		}
	}
	r = reap_all(pid, status);
	if (r == -ETIMEDOUT)
		return calib_fail(ETIMEDOUT, "%s: no progress for %d s: its children were killed", what,
				  CHILD_ALARM_S + PARENT_GRACE_S);
	if (r)
		return calib_fail(EINTR, "%s: interrupted", what);
	r = child_status(b, status[0], 0, what);
	if (!r)
		r = child_status(b, status[1], 1, what);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median_u64(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Moves the samples that count to the front of v[0..n), flags cleared; returns how many. */
static size_t keep_counted(uint64_t *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!(v[i] & SAMPLE_OTHER))
			v[k++] = v[i];
	return k;
}

/*
 * The lowest of RTT_BATCHES median round trips of a ping-pong, in ns,
 * over the round trips that count; a batch with fewer than
 * RTT_MIN_COUNTED of them has no median.
 */
static int rtt(struct bench *b, int cpu_a, int cpu_b, void (*fn)(struct bench *, int), const char *what, double *out)
{
	uint64_t best = UINT64_MAX;
	size_t counted = 0;
	int r = run_pair(b, cpu_a, cpu_b, fn, what);

	if (r)
		return r;
	if (!b->n)
		return calib_fail(EIO, "%s: no samples", what);
	/* the lowest batch median: a floor is what the machine allows at its best */
	for (size_t i = 0, from = 0; i < RTT_BATCHES; from = b->batch_end[i++]) {
		size_t n = keep_counted(b->samples + from, b->batch_end[i] - from);
		uint64_t m;

		counted += n;
		if (n < RTT_MIN_COUNTED)
			continue;
		m = median_u64(b->samples + from, n);
		if (m < best)
			best = m;
	}
	if (best == UINT64_MAX)
		return calib_fail(EAGAIN, "%s: only %zu of %zu round trips woke a sleeping peer", what, counted, b->n);
	*out = (double)clock_ticks_to_ns(best);
	return 0;
}

static int shm_copy(struct bench *b, int cpu_a, int cpu_b, double *gbps)
{
	int r = run_pair(b, cpu_a, cpu_b, shm_copy_side, "shm copy");

	if (r)
		return r;
	*gbps = (double)median_u64(b->samples, b->n) / 1e9;
	return 0;
}

static int measure_pair(struct bench *b, struct calib *c, int cpu_a, int cpu_b)
{
	int r;

	r = rtt(b, cpu_a, cpu_a, cacheline_side, "cache-line ping-pong (one cpu)", &c->cacheline_rtt_same_ns);
	if (!r)
		r = rtt(b, cpu_a, cpu_a, futex_side, "futex ping-pong (one cpu)", &c->futex_rtt_same_ns);
	if (!r)
		r = shm_copy(b, cpu_a, cpu_a, &c->shm_copy_same_gbps);
	if (!r)
		r = run_pair(b, cpu_a, cpu_a, memcpy_side, "memcpy");
	if (r)
		return r;
	for (int i = 0; i < 4; i++) {
		c->memcpy_sizes[i] = memcpy_sizes[i];
		c->memcpy_gbps[i] = b->memcpy_gbps[i];
	}
	if (cpu_a == cpu_b) {
		c->cacheline_rtt_ns = c->cacheline_rtt_same_ns;
		c->futex_rtt_ns = c->futex_rtt_same_ns;
		c->shm_copy_gbps = c->shm_copy_same_gbps;
		return 0;
	}
	r = rtt(b, cpu_a, cpu_b, cacheline_side, "cache-line ping-pong", &c->cacheline_rtt_ns);
	if (!r)
		r = rtt(b, cpu_a, cpu_b, futex_side, "futex ping-pong", &c->futex_rtt_ns);
	if (!r)
		r = shm_copy(b, cpu_a, cpu_b, &c->shm_copy_gbps);
	return r;
}

int calib_measure(struct calib *out, int cpu_a, int cpu_b)
{
	size_t slots_bytes = 2 * SHM_COPY_BYTES;
	struct bench *b;
	void *slots;
	int r;

	memset(out, 0, sizeof(*out));
	last_error[0] = 0;
	if (cpu_a < 0 || cpu_b < 0 || cpu_a >= CPU_SETSIZE || cpu_b >= CPU_SETSIZE)
		return calib_fail(EINVAL, "cpus %d,%d: not valid CPU numbers", cpu_a, cpu_b);
	if (clock_info.read_cost_ns <= 0)
		clock_setup(true);
	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return calib_fail(errno, "mmap %zu bytes: %s", sizeof(*b), strerror(errno));
	slots = mmap(NULL, slots_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		r = calib_fail(errno, "mmap %zu bytes: %s", slots_bytes, strerror(errno));
		goto out_unmap_bench;
	}
	memset(slots, 0, slots_bytes);
	b->slots = slots;
	r = measure_pair(b, out, cpu_a, cpu_b);
	if (r)
		goto out_unmap_slots;
	snprintf(out->cpus, sizeof(out->cpus), "%d,%d", cpu_a, cpu_b);
	out->clock_read_ns = clock_info.read_cost_ns;
	out->shm_copy_bytes = SHM_COPY_BYTES;
	result_now_iso(out->measured_at, sizeof(out->measured_at));
	out->valid = true;
out_unmap_slots:
	munmap(slots, slots_bytes);
out_unmap_bench:
	munmap(b, sizeof(*b));
	return r;
}

/* ---- the cache (floors.h) ---- */

int calib_cache_path(int cpu_a, int cpu_b, char *out, size_t outlen)
{
	return floors_path(cpu_a, cpu_b, out, outlen, last_error, sizeof(last_error));
}

int calib_load_cached(struct calib *out, int cpu_a, int cpu_b)
{
	return floors_load(out, cpu_a, cpu_b, last_error, sizeof(last_error));
}

int calib_save_cached(const struct calib *c, int cpu_a, int cpu_b)
{
	return floors_save(c, cpu_a, cpu_b, last_error, sizeof(last_error));
}

int calib_get(struct calib *out, int cpu_a, int cpu_b, bool refresh)
{
	int r;

	if (clock_info.read_cost_ns <= 0)
		clock_setup(true);
	if (!refresh && calib_load_cached(out, cpu_a, cpu_b) == 0)
		return 0;
	r = calib_measure(out, cpu_a, cpu_b);
	if (r)
		return r;
	last_error[0] = 0;
	calib_save_cached(out, cpu_a, cpu_b);
	return 0;
}
