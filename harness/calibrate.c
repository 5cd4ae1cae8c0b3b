/*
 * calibrate.c - the machine's floors and their cache (see calibrate.h).
 *
 * Each measurement forks two processes pinned to the given CPUs that meet
 * at a start barrier, run a bare loop over a shared anonymous mapping made
 * before the fork, and leave their samples in it.  The parent only waits:
 * every child arms alarm() first, so a stuck loop dies instead of hanging
 * the caller.  Ordering traps: the futex word must live in MAP_SHARED
 * memory and use the shared (non-PRIVATE) futex ops; the cache-line loop
 * reads with acquire and writes with release so the values it sees are
 * the ones its peer wrote in order.
 */
#include "harness/calibrate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/clock.h"

#define LINE 64
#define MAX_SAMPLES 200000
#define WARM_RTT 1000
#define BUDGET_SPIN_NS 60000000ull   /* per cache-line run */
#define BUDGET_FUTEX_NS 150000000ull /* per futex run */
#define CHILD_ALARM_S 10
#define SHM_COPY_BYTES ((size_t)1 << 20)
#define SHM_WARM 8
#define SHM_BATCH 8
#define SHM_BATCHES 11
#define MEMCPY_BATCH_BYTES ((size_t)32 << 20)
#define MEMCPY_BATCHES 7
#define STOP UINT64_MAX

static const size_t memcpy_sizes[4] = {4096, 65536, 1u << 20, 16u << 20};

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

static void cacheline_client(struct bench *b)
{
	uint64_t k = 0, start = 0, t0, t1;
	size_t i;

	for (; k < WARM_RTT; k++) {
		atomic_store_explicit(&b->line, 2 * k + 1, memory_order_release);
		while (atomic_load_explicit(&b->line, memory_order_acquire) != 2 * k + 2)
			relax(b);
	}
	start = clock_ticks();
	for (i = 0; i < MAX_SAMPLES; i++, k++) {
		t0 = clock_ticks();
		atomic_store_explicit(&b->line, 2 * k + 1, memory_order_release);
		while (atomic_load_explicit(&b->line, memory_order_acquire) != 2 * k + 2)
			relax(b);
		t1 = clock_ticks();
		b->samples[i] = t1 - t0;
		if (i % 256 == 255 && clock_ticks_to_ns(t1 - start) > BUDGET_SPIN_NS)
			break;
	}
	b->n = i < MAX_SAMPLES ? i + 1 : MAX_SAMPLES;
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

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	struct timespec ts = {1, 0};

	syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* word: 0 the client's turn, 1 the server's, 2 stop.  Every turn wakes. */
static void futex_client(struct bench *b)
{
	uint64_t start = 0, t0, t1;
	size_t i;

	for (long k = -WARM_RTT;; k++) {
		if (k == 0)
			start = clock_ticks();
		t0 = clock_ticks();
		atomic_store(&b->word, 1);
		futex_wake(&b->word);
		while (atomic_load(&b->word) != 0)
			futex_wait(&b->word, 1);
		t1 = clock_ticks();
		if (k < 0)
			continue;
		i = (size_t)k;
		b->samples[i] = t1 - t0;
		if (i + 1 == MAX_SAMPLES || (i % 16 == 15 && clock_ticks_to_ns(t1 - start) > BUDGET_FUTEX_NS)) {
			b->n = i + 1;
			break;
		}
	}
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
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	alarm(CHILD_ALARM_S);
	pin(b, side);
	barrier(b);
	errno = 0;
	fn(b, side);
	_exit(b->err[side] ? 1 : 0);
}

/* ---- the parent ---- */

static int reap_all(pid_t *pid, int *status)
{
	int r = 0;

	for (int i = 0; i < 2; i++) {
		while (pid[i] > 0 && waitpid(pid[i], &status[i], 0) < 0) {
			if (errno != EINTR)
				break;
			/* interrupted (the caller's SIGINT handler): stop both, keep reaping */
			r = -EINTR;
			kill(pid[0], SIGKILL);
			kill(pid[1], SIGKILL);
		}
	}
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

/* The median round trip of a ping-pong, in ns. */
static int rtt(struct bench *b, int cpu_a, int cpu_b, void (*fn)(struct bench *, int), const char *what, double *out)
{
	int r = run_pair(b, cpu_a, cpu_b, fn, what);

	if (r)
		return r;
	if (!b->n)
		return calib_fail(EIO, "%s: no samples", what);
	*out = (double)clock_ticks_to_ns(median_u64(b->samples, b->n));
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

/* ---- the cache ---- */

#define CACHE_MAGIC "ipcbench-calibration 1"
#define CACHE_MAX_BYTES 4096

struct host_key {
	char cpu_model[256];
	char kernel[400];
	char clock[32];
	char cpus[32];
};

/* Keeps a value on one line of the cache file. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void read_cpu_model(char *out, size_t outlen)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(out, outlen, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = 0;
		snprintf(out, outlen, "%s", colon[0] ? colon : "unknown");
		break;
	}
	fclose(f);
}

static void host_key_init(struct host_key *k, int cpu_a, int cpu_b)
{
	struct utsname u;

	read_cpu_model(k->cpu_model, sizeof(k->cpu_model));
	if (uname(&u) == 0)
		snprintf(k->kernel, sizeof(k->kernel), "%s %s", u.release, u.version);
	else
		snprintf(k->kernel, sizeof(k->kernel), "unknown");
	snprintf(k->clock, sizeof(k->clock), "%s", clock_info.read_cost_ns > 0 ? clock_info.name : "unknown");
	snprintf(k->cpus, sizeof(k->cpus), "%d,%d", cpu_a, cpu_b);
	sanitize(k->cpu_model);
	sanitize(k->kernel);
}

static uint32_t fnv1a(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ '\n') * 16777619u;
}

static int cache_dir(char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/') {
		n = snprintf(out, outlen, "%s/ipcbench", xdg);
	} else {
		if (!home || home[0] != '/') {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || home[0] != '/')
			return calib_fail(ENOENT, "no cache directory: neither XDG_CACHE_HOME nor HOME is set");
		n = snprintf(out, outlen, "%s/.cache/ipcbench", home);
	}
	if (n < 0 || (size_t)n >= outlen)
		return calib_fail(ENAMETOOLONG, "cache directory name too long");
	return 0;
}

int calib_cache_path(int cpu_a, int cpu_b, char *out, size_t outlen)
{
	struct host_key k;
	char dir[4096];
	uint32_t h = 2166136261u;
	int r = cache_dir(dir, sizeof(dir)), n;

	if (r)
		return r;
	host_key_init(&k, cpu_a, cpu_b);
	h = fnv1a(fnv1a(fnv1a(h, k.cpu_model), k.kernel), k.clock);
	n = snprintf(out, outlen, "%s/floors-%d-%d-%08x", dir, cpu_a, cpu_b, h);
	if (n < 0 || (size_t)n >= outlen)
		return calib_fail(ENAMETOOLONG, "cache file name too long");
	return 0;
}

/* Creates dir and its parent (~/.cache) with mode 0700 where missing. */
static int make_dirs(const char *dir)
{
	char parent[4096];
	char *slash;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || strlen(dir) >= sizeof(parent))
		return calib_fail(errno, "mkdir %s: %s", dir, strerror(errno));
	strcpy(parent, dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return calib_fail(ENOENT, "mkdir %s: no parent", dir);
	*slash = 0;
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		return calib_fail(errno, "mkdir %s: %s", parent, strerror(errno));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return calib_fail(errno, "mkdir %s: %s", dir, strerror(errno));
	return 0;
}

static int format_cache(const struct calib *c, const struct host_key *k, char *out, size_t outlen)
{
	size_t n = 0;

	n += (size_t)snprintf(out + n, outlen - n,
			      CACHE_MAGIC "\ncpu_model %s\nkernel %s\nclock %s\ncpus %s\nmeasured_at %s\n"
					  "clock_read_ns %.17g\ncacheline_rtt_ns %.17g\ncacheline_rtt_same_ns %.17g\n"
					  "futex_rtt_ns %.17g\nfutex_rtt_same_ns %.17g\n",
			      k->cpu_model, k->kernel, k->clock, k->cpus, c->measured_at, c->clock_read_ns,
			      c->cacheline_rtt_ns, c->cacheline_rtt_same_ns, c->futex_rtt_ns, c->futex_rtt_same_ns);
	for (int i = 0; i < 4 && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "memcpy %zu %.17g\n", c->memcpy_sizes[i], c->memcpy_gbps[i]);
	if (n < outlen)
		n += (size_t)snprintf(out + n, outlen - n, "shm_copy %zu %.17g\nshm_copy_same %zu %.17g\nend\n",
				      c->shm_copy_bytes, c->shm_copy_gbps, c->shm_copy_bytes, c->shm_copy_same_gbps);
	return n < outlen ? (int)n : -ENAMETOOLONG;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -(w < 0 ? errno : EIO);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int calib_save_cached(const struct calib *c, int cpu_a, int cpu_b)
{
	char path[4200], dir[4096], tmp[4300], text[CACHE_MAX_BYTES];
	struct host_key k;
	int fd, n, r;

	if (!c->valid)
		return calib_fail(EINVAL, "no valid calibration to save");
	host_key_init(&k, cpu_a, cpu_b);
	n = format_cache(c, &k, text, sizeof(text));
	if (n < 0)
		return calib_fail(-n, "calibration record too long");
	r = cache_dir(dir, sizeof(dir));
	if (!r)
		r = make_dirs(dir);
	if (!r)
		r = calib_cache_path(cpu_a, cpu_b, path, sizeof(path));
	if (r)
		return r;
	snprintf(tmp, sizeof(tmp), "%s/.floors-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return calib_fail(errno, "mkostemp %s: %s", tmp, strerror(errno));
	r = write_all(fd, text, (size_t)n);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return calib_fail(-r, "writing %s: %s", path, strerror(-r));
	}
	return 0;
}

/* ---- the strict reader ---- */

struct reader {
	char *p; /* the next line */
	int line;
	int err; /* first problem: -EINVAL malformed, -ENOENT another host's */
};

/* The value of the next line, which must be "<key> <value>". */
static char *field(struct reader *r, const char *key)
{
	size_t klen = strlen(key);
	char *nl, *v;

	if (r->err)
		return NULL;
	r->line++;
	nl = strchr(r->p, '\n');
	if (!nl || strncmp(r->p, key, klen) || r->p[klen] != ' ' || nl == r->p + klen + 1) {
		r->err = -EINVAL;
		return NULL;
	}
	*nl = 0;
	v = r->p + klen + 1;
	r->p = nl + 1;
	return v;
}

static void expect_same(struct reader *r, const char *key, const char *want)
{
	const char *v = field(r, key);

	if (v && strcmp(v, want))
		r->err = -ENOENT;
}

static bool parse_positive(const char *s, double *out)
{
	char *end;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return !errno && *end == 0 && isfinite(*out) && *out > 0;
}

static void read_double(struct reader *r, const char *key, double *out)
{
	const char *v = field(r, key);

	if (v && !parse_positive(v, out))
		r->err = -EINVAL;
}

/* "<key> <bytes> <value>" */
static void read_size_double(struct reader *r, const char *key, size_t want, double *out)
{
	char *v = field(r, key), *sp, *end;
	unsigned long long n;

	if (!v)
		return;
	sp = strchr(v, ' ');
	if (!sp || v[0] < '1' || v[0] > '9') {
		r->err = -EINVAL;
		return;
	}
	*sp = 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n != want || !parse_positive(sp + 1, out))
		r->err = -EINVAL;
}

static int parse_cache(char *text, const struct host_key *k, struct calib *c)
{
	struct reader r = {.p = text};
	const char *v;

	if (strncmp(r.p, CACHE_MAGIC "\n", sizeof(CACHE_MAGIC)))
		return -EINVAL;
	r.p += sizeof(CACHE_MAGIC);
	expect_same(&r, "cpu_model", k->cpu_model);
	expect_same(&r, "kernel", k->kernel);
	expect_same(&r, "clock", k->clock);
	expect_same(&r, "cpus", k->cpus);
	v = field(&r, "measured_at");
	if (v && strlen(v) >= sizeof(c->measured_at))
		r.err = -EINVAL;
	else if (v)
		strcpy(c->measured_at, v);
	read_double(&r, "clock_read_ns", &c->clock_read_ns);
	read_double(&r, "cacheline_rtt_ns", &c->cacheline_rtt_ns);
	read_double(&r, "cacheline_rtt_same_ns", &c->cacheline_rtt_same_ns);
	read_double(&r, "futex_rtt_ns", &c->futex_rtt_ns);
	read_double(&r, "futex_rtt_same_ns", &c->futex_rtt_same_ns);
	for (int i = 0; i < 4; i++) {
		c->memcpy_sizes[i] = memcpy_sizes[i];
		read_size_double(&r, "memcpy", memcpy_sizes[i], &c->memcpy_gbps[i]);
	}
	c->shm_copy_bytes = SHM_COPY_BYTES;
	read_size_double(&r, "shm_copy", SHM_COPY_BYTES, &c->shm_copy_gbps);
	read_size_double(&r, "shm_copy_same", SHM_COPY_BYTES, &c->shm_copy_same_gbps);
	if (!r.err && strcmp(r.p, "end\n"))
		r.err = -EINVAL;
	if (r.err == -EINVAL)
		return calib_fail(EINVAL, "malformed calibration cache at line %d", r.line + 1);
	if (r.err)
		return calib_fail(ENOENT, "calibration cache is for another host, kernel, clock or cpus");
	snprintf(c->cpus, sizeof(c->cpus), "%s", k->cpus);
	c->valid = true;
	c->from_cache = true;
	return 0;
}

static int read_small_file(const char *path, char *buf, size_t buflen)
{
	struct stat st;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size >= buflen) {
		close(fd);
		return -EINVAL;
	}
	while (n < buflen - 1) {
		ssize_t got = read(fd, buf + n, buflen - 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = 0;
	return strlen(buf) == n ? 0 : -EINVAL; /* no NUL bytes inside */
}

int calib_load_cached(struct calib *out, int cpu_a, int cpu_b)
{
	char path[4200], text[CACHE_MAX_BYTES];
	struct host_key k;
	int r;

	memset(out, 0, sizeof(*out));
	r = calib_cache_path(cpu_a, cpu_b, path, sizeof(path));
	if (r)
		return r;
	r = read_small_file(path, text, sizeof(text));
	if (r == -ENOENT)
		return calib_fail(ENOENT, "no calibration cached in %s", path);
	if (r)
		return calib_fail(-r, "reading %s: %s", path, strerror(-r));
	host_key_init(&k, cpu_a, cpu_b);
	r = parse_cache(text, &k, out);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
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
