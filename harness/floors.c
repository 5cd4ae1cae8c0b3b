/*
 * floors.c - the floors cache (format, reader, writer and path: floors.h).
 */
#include "harness/floors.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/outfile.h"
#include "harness/clock.h"

const size_t floors_memcpy_bytes[FLOORS_NMEMCPY] = {4096, 65536, 1u << 20, 16u << 20};

static int floors_fail(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int floors_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -(e ? e : EIO);
}

/* ---- the host key ---- */

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

void floors_key_init(struct floors_key *k, int cpu_a, int cpu_b)
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

/* ---- the writer ---- */

/* Appends to out at *n; false when it does not fit. */
static bool append(char *out, size_t outlen, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool append(char *out, size_t outlen, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= outlen)
		return false;
	va_start(ap, fmt);
	w = vsnprintf(out + *n, outlen - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= outlen - *n)
		return false;
	*n += (size_t)w;
	return true;
}

int floors_format(const struct calib *c, const struct floors_key *k, char *out, size_t outlen)
{
	size_t n = 0;
	bool ok;

	ok = append(out, outlen, &n,
		    FLOORS_MAGIC "\ncpu_model %s\nkernel %s\nclock %s\ncpus %s\nmeasured_at %s\n"
				 "clock_read_ns %.17g\ncacheline_rtt_ns %.17g\ncacheline_rtt_same_ns %.17g\n"
				 "futex_rtt_ns %.17g\nfutex_rtt_same_ns %.17g\n",
		    k->cpu_model, k->kernel, k->clock, k->cpus, c->measured_at, c->clock_read_ns, c->cacheline_rtt_ns,
		    c->cacheline_rtt_same_ns, c->futex_rtt_ns, c->futex_rtt_same_ns);
	for (int i = 0; ok && i < FLOORS_NMEMCPY; i++)
		ok = append(out, outlen, &n, "memcpy %zu %.17g\n", c->memcpy_sizes[i], c->memcpy_gbps[i]);
	ok = ok && append(out, outlen, &n, "shm_copy %zu %.17g\nshm_copy_same %zu %.17g\nend\n", c->shm_copy_bytes,
			  c->shm_copy_gbps, c->shm_copy_bytes, c->shm_copy_same_gbps);
	return ok ? (int)n : -ENAMETOOLONG;
}

/* ---- the path ---- */

int floors_dir(char *out, size_t outlen, char *err, size_t errlen)
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
			return floors_fail(err, errlen, ENOENT,
					   "no cache directory: neither XDG_CACHE_HOME nor HOME is set");
		n = snprintf(out, outlen, "%s/.cache/ipcbench", home);
	}
	if (n < 0 || (size_t)n >= outlen)
		return floors_fail(err, errlen, ENAMETOOLONG, "cache directory name too long");
	return 0;
}

static uint32_t fnv1a(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ '\n') * 16777619u;
}

int floors_path(int cpu_a, int cpu_b, char *out, size_t outlen, char *err, size_t errlen)
{
	struct floors_key k;
	char dir[4096];
	uint32_t h = 2166136261u;
	int r = floors_dir(dir, sizeof(dir), err, errlen), n;

	if (r)
		return r;
	floors_key_init(&k, cpu_a, cpu_b);
	h = fnv1a(fnv1a(fnv1a(h, k.cpu_model), k.kernel), k.clock);
	n = snprintf(out, outlen, "%s/floors-%d-%d-%08x", dir, cpu_a, cpu_b, h);
	if (n < 0 || (size_t)n >= outlen)
		return floors_fail(err, errlen, ENAMETOOLONG, "cache file name too long");
	return 0;
}

/* Creates dir and its parent (~/.cache) with mode 0700 where missing. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
	char parent[4096];
	char *slash;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return floors_fail(err, errlen, errno, "mkdir %s: %s", dir, strerror(errno));
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return floors_fail(err, errlen, ENOENT, "mkdir %s: no parent", dir);
	*slash = 0;
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		return floors_fail(err, errlen, errno, "mkdir %s: %s", parent, strerror(errno));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return floors_fail(err, errlen, errno, "mkdir %s: %s", dir, strerror(errno));
	return 0;
}

int floors_save(const struct calib *c, int cpu_a, int cpu_b, char *err, size_t errlen)
{
	char path[4200], dir[4096], text[FLOORS_MAX_BYTES], why[4400];
	struct floors_key k;
	int n, r;

	if (!c->valid)
		return floors_fail(err, errlen, EINVAL, "no valid calibration to save");
	floors_key_init(&k, cpu_a, cpu_b);
	n = floors_format(c, &k, text, sizeof(text));
	if (n < 0)
		return floors_fail(err, errlen, -n, "calibration record too long");
	r = floors_dir(dir, sizeof(dir), err, errlen);
	if (!r)
		r = make_dirs(dir, err, errlen);
	if (!r)
		r = floors_path(cpu_a, cpu_b, path, sizeof(path), err, errlen);
	if (r)
		return r;
	r = outfile_write(path, text, (size_t)n, why, sizeof(why));
	if (r)
		return floors_fail(err, errlen, -r, "writing the floors cache: %s", why);
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

/* A plain decimal (no sign, no hex, no inf/nan), finite, in (0, max]. */
static bool parse_positive(const char *s, double max, double *out)
{
	char *end;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.') || strpbrk(s, "xXpP"))
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return !errno && *end == 0 && isfinite(*out) && *out > 0 && *out <= max;
}

static void read_double(struct reader *r, const char *key, double max, double *out)
{
	const char *v = field(r, key);

	if (v && !parse_positive(v, max, out))
		r->err = -EINVAL;
}

/* "<key> <bytes> <value>" where bytes must be want */
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
	if (errno || *end || n != want || !parse_positive(sp + 1, FLOORS_MAX_GBPS, out))
		r->err = -EINVAL;
}

static void parse_body(struct reader *r, const struct floors_key *k, struct calib *c)
{
	const char *v;

	expect_same(r, "cpu_model", k->cpu_model);
	expect_same(r, "kernel", k->kernel);
	expect_same(r, "clock", k->clock);
	expect_same(r, "cpus", k->cpus);
	v = field(r, "measured_at");
	if (v && snprintf(c->measured_at, sizeof(c->measured_at), "%s", v) >= (int)sizeof(c->measured_at))
		r->err = -EINVAL;
	read_double(r, "clock_read_ns", FLOORS_MAX_NS, &c->clock_read_ns);
	read_double(r, "cacheline_rtt_ns", FLOORS_MAX_NS, &c->cacheline_rtt_ns);
	read_double(r, "cacheline_rtt_same_ns", FLOORS_MAX_NS, &c->cacheline_rtt_same_ns);
	read_double(r, "futex_rtt_ns", FLOORS_MAX_NS, &c->futex_rtt_ns);
	read_double(r, "futex_rtt_same_ns", FLOORS_MAX_NS, &c->futex_rtt_same_ns);
	for (int i = 0; i < FLOORS_NMEMCPY; i++) {
		c->memcpy_sizes[i] = floors_memcpy_bytes[i];
		read_size_double(r, "memcpy", floors_memcpy_bytes[i], &c->memcpy_gbps[i]);
	}
	c->shm_copy_bytes = FLOORS_SHM_COPY_BYTES;
	read_size_double(r, "shm_copy", FLOORS_SHM_COPY_BYTES, &c->shm_copy_gbps);
	read_size_double(r, "shm_copy_same", FLOORS_SHM_COPY_BYTES, &c->shm_copy_same_gbps);
	if (!r->err && strcmp(r->p, "end\n"))
		r->err = -EINVAL;
}

int floors_parse(char *text, const struct floors_key *k, struct calib *c, char *err, size_t errlen)
{
	static const char family[] = "ipcbench-calibration ";
	struct reader r = {.p = text};

	memset(c, 0, sizeof(*c));
	if (strncmp(text, FLOORS_MAGIC "\n", sizeof(FLOORS_MAGIC))) {
		if (!strncmp(text, family, sizeof(family) - 1))
			return floors_fail(err, errlen, ENOENT, "calibration cache of another ipcbench version");
		return floors_fail(err, errlen, EINVAL, "malformed calibration cache at line 1");
	}
	r.p += sizeof(FLOORS_MAGIC);
	parse_body(&r, k, c);
	if (r.err) {
		memset(c, 0, sizeof(*c));
		if (r.err == -EINVAL)
			return floors_fail(err, errlen, EINVAL, "malformed calibration cache at line %d", r.line + 1);
		return floors_fail(err, errlen, ENOENT, "calibration cache is for another host, kernel, clock or cpus");
	}
	snprintf(c->cpus, sizeof(c->cpus), "%s", k->cpus);
	c->valid = true;
	c->from_cache = true;
	return 0;
}

static int read_small_file(const char *path, char *buf, size_t buflen)
{
	struct stat st;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

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

int floors_load(struct calib *c, int cpu_a, int cpu_b, char *err, size_t errlen)
{
	char path[4200], text[FLOORS_MAX_BYTES];
	struct floors_key k;
	int r;

	memset(c, 0, sizeof(*c));
	r = floors_path(cpu_a, cpu_b, path, sizeof(path), err, errlen);
	if (r)
		return r;
	r = read_small_file(path, text, sizeof(text));
	if (r == -ENOENT)
		return floors_fail(err, errlen, ENOENT, "no calibration cached in %s", path);
	if (r)
		return floors_fail(err, errlen, -r, "reading %s: %s", path, strerror(-r));
	floors_key_init(&k, cpu_a, cpu_b);
	return floors_parse(text, &k, c, err, errlen);
}
