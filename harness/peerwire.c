/*
 * peerwire.c - a cell's parameters as text (see peerwire.h).
 */
#include <errno.h>
#include <sched.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mono.h"
#include "harness/peerwire.h"

static const char *const known_keys[] = {
	"version",     "role",	     "transport",	"opt_given", "opts",   "pattern",    "msg_bytes",
	"client_cpu",  "server_cpu", "relation",	"wait",	     "warmup", "iterations", "duration_ns",
	"rate",	       "timeout_ms", "interval_ns",	"run_dir",   "tag",    "ctl",	     "ctl_bytes",
	"lim_max",     "lim_unit",   "lim_opts",	"parent",    "priv",   "clock",	     "clock_mult",
	"clock_shift", "precision",  "min_duration_ns", "warmup_ns", NULL,
};

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *q = realloc(b->p, cap);

		if (!q) {
			b->err = -ENOMEM;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
}

static void put_hex(struct buf *b, const char *key, const uint8_t *p, size_t n)
{
	put(b, "%s ", key);
	for (size_t i = 0; i < n; i++)
		put(b, "%02x", p[i]);
	put(b, "\n");
}

static void put_ll_list(struct buf *b, const char *key, const long long *v, size_t n)
{
	put(b, "%s", key);
	for (size_t i = 0; i < n; i++)
		put(b, " %lld", v[i]);
	put(b, "\n");
}

static int finish(struct buf *b, char **out, size_t *outlen)
{
	put(b, "end\n");
	if (b->err) {
		free(b->p);
		return b->err;
	}
	*out = b->p;
	*outlen = b->len;
	return 0;
}

int peerwire_encode(const struct peer_params *p, char **out, size_t *outlen)
{
	const struct cell_config *c = &p->cfg;
	struct buf b = {0};

	put(&b, "version %d\nrole %s\ntransport %s\nopt_given %u\n", PEERWIRE_VERSION,
	    p->role == CHAN_CLIENT ? "client" : "server", c->ops->name, c->opts.given);
	put_ll_list(&b, "opts", c->opts.val, TRANSPORT_MAX_OPTIONS);
	put(&b, "pattern %s\nmsg_bytes %zu\nclient_cpu %d\nserver_cpu %d\nrelation %d\nwait %d\n",
	    pattern_name(c->pattern), c->msg_bytes, c->client_cpu, c->server_cpu, (int)c->relation, (int)c->wait);
	put(&b, "warmup %llu\niterations %llu\nduration_ns %llu\nrate %a\ntimeout_ms %d\ninterval_ns %llu\n",
	    (unsigned long long)c->warmup, (unsigned long long)c->iterations, (unsigned long long)c->duration_ns,
	    c->rate_per_sec, c->timeout_ms, (unsigned long long)c->interval_ns);
	put(&b, "precision %a\nmin_duration_ns %llu\nwarmup_ns %llu\n", c->precision,
	    (unsigned long long)c->min_duration_ns, (unsigned long long)c->warmup_ns);
	put(&b, "run_dir %s\ntag %s\nctl %s\nctl_bytes %zu\nlim_max %zu\nlim_unit %zu\n", p->run_dir, p->tag,
	    p->ctl_path, p->ctl_bytes, p->limits.max_msg_bytes, p->limits.unit_bytes);
	put_ll_list(&b, "lim_opts", p->limits.opt, TRANSPORT_MAX_OPTIONS);
	put(&b, "parent %d\nclock %s\nclock_mult %llu\nclock_shift %u\n", (int)p->parent,
	    p->clock_tsc ? "tsc" : "monotonic", (unsigned long long)p->clock_mult, p->clock_shift);
	if (p->priv)
		put_hex(&b, "priv", p->priv, p->priv_len);
	return finish(&b, out, outlen);
}

/* ---- decoding ---- */

#define MAX_LINES 40

struct lines {
	const char *key[MAX_LINES];
	size_t klen[MAX_LINES];
	const char *val[MAX_LINES];
	size_t vlen[MAX_LINES];
	size_t n;
	char *why;
	size_t whylen;
	int bad;
};

static int fail(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct lines *l, const char *fmt, ...)
{
	va_list ap;

	if (l->bad)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(l->why, l->whylen, fmt, ap);
	va_end(ap);
	l->bad = 1;
	return -EINVAL;
}

static bool key_known(const char *k, size_t n)
{
	for (size_t i = 0; known_keys[i]; i++)
		if (strlen(known_keys[i]) == n && !memcmp(known_keys[i], k, n))
			return true;
	return false;
}

/* Splits text into "key value" lines up to "end"; unknown, repeated or control characters: an error. */
static int split(const char *text, struct lines *l)
{
	const char *p = text;

	for (;;) {
		const char *nl = strchr(p, '\n'), *sp;

		if (!nl)
			return fail(l, "the parameters do not end with a line \"end\"");
		if (nl - p == 3 && !memcmp(p, "end", 3))
			return nl[1] ? fail(l, "text after \"end\"") : 0;
		for (const char *q = p; q < nl; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return fail(l, "a control character in the parameters");
		sp = memchr(p, ' ', (size_t)(nl - p));
		if (!sp || sp == p)
			return fail(l, "a line that is not \"key value\"");
		if (!key_known(p, (size_t)(sp - p)))
			return fail(l, "unknown parameter \"%.*s\"", (int)(sp - p > 32 ? 32 : sp - p), p);
		for (size_t i = 0; i < l->n; i++)
			if (l->klen[i] == (size_t)(sp - p) && !memcmp(l->key[i], p, l->klen[i]))
				return fail(l, "parameter \"%.*s\" given twice", (int)l->klen[i], p);
		if (l->n == MAX_LINES)
			return fail(l, "too many parameters");
		l->key[l->n] = p;
		l->klen[l->n] = (size_t)(sp - p);
		l->val[l->n] = sp + 1;
		l->vlen[l->n] = (size_t)(nl - sp - 1);
		l->n++;
		p = nl + 1;
	}
}

/* The value of key, copied NUL-terminated into out; required keys that are missing: an error. */
static const char *get(struct lines *l, const char *key, char *out, size_t outlen, bool required)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strlen(key) != l->klen[i] || memcmp(l->key[i], key, l->klen[i]))
			continue;
		if (l->vlen[i] >= outlen) {
			fail(l, "parameter %s is too long", key);
			return NULL;
		}
		memcpy(out, l->val[i], l->vlen[i]);
		out[l->vlen[i]] = 0;
		return out;
	}
	if (required)
		fail(l, "parameter %s missing", key);
	return NULL;
}

static long long get_num(struct lines *l, const char *key, long long min, long long max)
{
	char v[32], *end;
	long long x;

	if (!get(l, key, v, sizeof(v), true))
		return min;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max) {
		fail(l, "parameter %s: \"%s\" is not a number in %lld..%lld", key, v, min, max);
		return min;
	}
	return x;
}

static uint64_t get_u64(struct lines *l, const char *key, uint64_t max)
{
	char v[32], *end;
	unsigned long long x;

	if (!get(l, key, v, sizeof(v), true))
		return 0;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x > max) {
		fail(l, "parameter %s: \"%s\" is not a number in 0..%llu", key, v, (unsigned long long)max);
		return 0;
	}
	return x;
}

static void get_ll_list(struct lines *l, const char *key, long long *out, size_t n)
{
	char v[TRANSPORT_MAX_OPTIONS * 24], *p = v, *end;

	if (!get(l, key, v, sizeof(v), true))
		return;
	for (size_t i = 0; i < n; i++) {
		errno = 0;
		out[i] = strtoll(p, &end, 10);
		if (errno || end == p || (*end && *end != ' ')) {
			fail(l, "parameter %s: item %zu is not a number", key, i + 1);
			return;
		}
		p = end;
	}
	if (*p)
		fail(l, "parameter %s: more than %zu items", key, n);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int hex_decode(const char *v, size_t vlen, uint8_t *out, size_t n)
{
	if (vlen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(v[2 * i]), lo = hex_value(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* The raw value of key (not copied), or NULL. */
static const char *raw(const struct lines *l, const char *key, size_t *len)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strlen(key) == l->klen[i] && !memcmp(l->key[i], key, l->klen[i])) {
			*len = l->vlen[i];
			return l->val[i];
		}
	}
	return NULL;
}

static void decode_priv(struct lines *l, struct peer_params *p)
{
	size_t vlen;
	const char *v = raw(l, "priv", &vlen);
	size_t n = p->cfg.ops->priv_size;

	if (!v)
		return;
	p->priv = calloc(1, n ? n : 1);
	if (!p->priv) {
		fail(l, "out of memory");
		return;
	}
	p->priv_len = n;
	if (hex_decode(v, vlen, p->priv, n))
		fail(l, "parameter priv: not %zu bytes of lower-case hex", n);
}

static void decode_cell(struct lines *l, struct peer_params *p)
{
	struct cell_config *c = &p->cfg;
	char v[64];
	double rate;

	if (get(l, "transport", v, sizeof(v), true) && !(c->ops = transport_find(v)))
		fail(l, "unknown transport \"%s\"", v);
	c->opts.given = (unsigned)get_u64(l, "opt_given", (1u << TRANSPORT_MAX_OPTIONS) - 1);
	get_ll_list(l, "opts", c->opts.val, TRANSPORT_MAX_OPTIONS);
	if (get(l, "pattern", v, sizeof(v), true) && pattern_parse(v, &c->pattern))
		fail(l, "unknown pattern \"%s\"", v);
	c->msg_bytes = get_u64(l, "msg_bytes", 1ull << 30);
	if (!l->bad && c->msg_bytes < 1 && !(c->ops && (c->ops->flags & TRANSPORT_NO_PAYLOAD)))
		fail(l, "parameter msg_bytes: 0 bytes for a transport that carries a payload");
	c->client_cpu = (int)get_num(l, "client_cpu", -1, CPU_SETSIZE - 1);
	c->server_cpu = (int)get_num(l, "server_cpu", -1, CPU_SETSIZE - 1);
	c->relation = (enum relation)get_num(l, "relation", 0, REL__COUNT - 1);
	c->wait = (enum chan_wait)get_num(l, "wait", CHAN_WAIT_BLOCK, CHAN_WAIT_POLL);
	c->warmup = get_u64(l, "warmup", 1ull << 40);
	c->iterations = get_u64(l, "iterations", 1ull << 40);
	c->duration_ns = get_u64(l, "duration_ns", 86400ull * 1000000000ull);
	c->timeout_ms = (int)get_num(l, "timeout_ms", 0, 3600 * 1000);
	c->interval_ns = get_u64(l, "interval_ns", 86400ull * 1000000000ull);
	if (get(l, "rate", v, sizeof(v), true)) {
		char *end;

		rate = strtod(v, &end);
		if (end == v || *end || !isfinite(rate) || rate < 0 || rate > 1e9)
			fail(l, "parameter rate: \"%s\" is not a rate in 0..1e9", v);
		c->rate_per_sec = rate;
	}
	c->min_duration_ns = get_u64(l, "min_duration_ns", 86400ull * 1000000000ull);
	c->warmup_ns = get_u64(l, "warmup_ns", 86400ull * 1000000000ull);
	if (get(l, "precision", v, sizeof(v), true)) {
		char *end;
		double pct = strtod(v, &end);

		if (end == v || *end || !isfinite(pct) || pct < 0 || pct >= 1)
			fail(l, "parameter precision: \"%s\" is not a fraction in 0..1", v);
		c->precision = pct;
	}
	if (!l->bad && !c->iterations && !c->duration_ns)
		fail(l, "neither iterations nor a duration");
}

int peerwire_decode(const char *text, struct peer_params *p, char *why, size_t whylen)
{
	struct lines l = {.why = why, .whylen = whylen};
	char v[16];

	memset(p, 0, sizeof(*p));
	if (split(text, &l))
		return -EINVAL;
	if (get_num(&l, "version", 0, 1000) != PEERWIRE_VERSION && !l.bad)
		return fail(&l, "protocol version %s not supported (this is version %d)",
			    get(&l, "version", v, sizeof(v), true), PEERWIRE_VERSION);
	if (get(&l, "role", v, sizeof(v), true)) {
		if (strcmp(v, "client") && strcmp(v, "server"))
			fail(&l, "role \"%s\" is neither client nor server", v);
		p->role = !strcmp(v, "client") ? CHAN_CLIENT : CHAN_SERVER;
	}
	decode_cell(&l, p);
	get(&l, "run_dir", p->run_dir, sizeof(p->run_dir), true);
	get(&l, "tag", p->tag, sizeof(p->tag), true);
	get(&l, "ctl", p->ctl_path, sizeof(p->ctl_path), true);
	p->ctl_bytes = get_u64(&l, "ctl_bytes", 1ull << 40);
	p->limits.max_msg_bytes = get_u64(&l, "lim_max", 1ull << 40);
	p->limits.unit_bytes = get_u64(&l, "lim_unit", 1ull << 40);
	get_ll_list(&l, "lim_opts", p->limits.opt, TRANSPORT_MAX_OPTIONS);
	p->parent = (pid_t)get_num(&l, "parent", 0, 1 << 30);
	if (get(&l, "clock", v, sizeof(v), true) && strcmp(v, "tsc") && strcmp(v, "monotonic"))
		fail(&l, "clock \"%s\" is neither tsc nor monotonic", v);
	p->clock_tsc = !strcmp(v, "tsc");
	p->clock_mult = get_u64(&l, "clock_mult", UINT64_MAX);
	p->clock_shift = (unsigned)get_u64(&l, "clock_shift", 63);
	p->cfg.run_dir = p->run_dir;
	if (!l.bad && p->cfg.ops)
		decode_priv(&l, p);
	if (l.bad) {
		peerwire_release(p);
		return -EINVAL;
	}
	return 0;
}

void peerwire_release(struct peer_params *p)
{
	free(p->priv);
	p->priv = NULL;
	p->priv_len = 0;
}

int peerwire_encode_reply(const void *priv, size_t len, const char *error, char **out, size_t *outlen)
{
	struct buf b = {0};

	if (error)
		put(&b, "error %.*s\n", (int)strcspn(error, "\n"), error);
	else
		put_hex(&b, "priv", priv, len);
	return finish(&b, out, outlen);
}

int peerwire_decode_reply(const char *text, size_t len, uint8_t **priv, char *why, size_t whylen)
{
	size_t n = strlen(text);

	*priv = NULL;
	if (!strncmp(text, "error ", 6)) {
		snprintf(why, whylen, "%.*s", (int)strcspn(text + 6, "\n"), text + 6);
		return -EPROTO;
	}
	if (strncmp(text, "priv ", 5) || n != 5 + 2 * len + 5 || strcmp(text + 5 + 2 * len, "\nend\n")) {
		snprintf(why, whylen, "the server peer's answer is malformed");
		return -EPROTO;
	}
	*priv = calloc(1, len ? len : 1);
	if (!*priv)
		return -ENOMEM;
	if (hex_decode(text + 5, 2 * len, *priv, len)) {
		free(*priv);
		*priv = NULL;
		snprintf(why, whylen, "the server peer's rendezvous is not hex");
		return -EPROTO;
	}
	return 0;
}

static bool ends_with_end(const char *p, size_t n)
{
	return (n == 4 && !memcmp(p, "end\n", 4)) || (n > 4 && !memcmp(p + n - 5, "\nend\n", 5));
}

int peerwire_read(int fd, int timeout_ms, char **text)
{
	uint64_t deadline = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	char *p = malloc(PEERWIRE_MAX_TEXT + 1);
	size_t n = 0;

	if (!p)
		return -ENOMEM;
	while (!ends_with_end(p, n)) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int left = timeout_ms > 0 ? (int)(deadline > mono_ms() ? deadline - mono_ms() : 0) : -1;
		ssize_t got;
		int r = poll(&pf, 1, left);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			return r < 0 ? -errno : -ETIMEDOUT;
		}
		if (n == PEERWIRE_MAX_TEXT) {
			free(p);
			return -EMSGSIZE;
		}
		got = read(fd, p + n, PEERWIRE_MAX_TEXT - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			free(p);
			return got < 0 ? -errno : -EPIPE;
		}
		n += (size_t)got;
	}
	p[n] = 0;
	if (strlen(p) != n) {
		free(p);
		return -EPROTO;
	}
	*text = p;
	return 0;
}

int peerwire_write(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}
