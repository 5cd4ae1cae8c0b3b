/*
 * remote_wire.c - what serve and run --connect share (see remote.h): the
 * address syntax, the token and its proof, the host facts, the frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mono.h"
#include "harness/remote.h"
#include "harness/sysinfo.h"
#include "transports/wskey.h"

int remote_addr_parse(const char *s, struct remote_addr *a, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':');
	char host[64], *end;
	unsigned long port;
	struct in_addr in;

	memset(a, 0, sizeof(*a));
	if (strchr(s, '/')) {
		if (strlen(s) >= sizeof(a->path)) {
			snprintf(err, errlen, "'%s': a Unix socket path of at most %zu bytes", s, sizeof(a->path) - 1);
			return -EINVAL;
		}
		a->is_unix = true;
		snprintf(a->path, sizeof(a->path), "%s", s);
		return 0;
	}
	if (!colon || (size_t)(colon - s) >= sizeof(host) || colon == s) {
		snprintf(err, errlen, "'%s' is neither HOST:PORT (an IPv4 address) nor a Unix socket path", s);
		return -EINVAL;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535 || colon[1] == '-' || colon[1] == '+') {
		snprintf(err, errlen, "'%s': the port must be a number in 0..65535", s);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &in) != 1) {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 address (no names are looked up)", s, host);
		return -EINVAL;
	}
	a->ip = in.s_addr;
	a->port = (uint16_t)port;
	return 0;
}

void remote_addr_format(const struct remote_addr *a, char *out, size_t outlen)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = a->ip};

	if (a->is_unix) {
		snprintf(out, outlen, "%s", a->path);
		return;
	}
	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(out, outlen, "%s:%u", ip, a->port);
}

int remote_token_read(const char *path, char *tok, size_t toklen, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "--token %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		close(fd);
		snprintf(err, errlen, "--token %s: must be a regular file that only its owner can read (chmod 600)",
			 path);
		return -EINVAL;
	}
	n = read(fd, tok, toklen);
	close(fd);
	while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
		n--;
	if (n <= 0 || (size_t)n >= toklen) {
		snprintf(err, errlen, "--token %s: the secret must be 1 to %zu bytes", path, toklen - 1);
		return -EINVAL;
	}
	tok[n] = 0;
	*len = (size_t)n;
	return 0;
}

/* RFC 2104 with SHA-1 (block 64 bytes). */
void remote_hmac_hex(const char *key, size_t keylen, const char *msg, size_t msglen, char out[41])
{
	uint8_t k[64] = {0}, pad[64], inner[WSKEY_SHA1_BYTES], mac[WSKEY_SHA1_BYTES];
	struct wskey_sha1 s;

	if (keylen > sizeof(k)) {
		wskey_sha1_init(&s);
		wskey_sha1_update(&s, key, keylen);
		wskey_sha1_final(&s, k);
	} else {
		memcpy(k, key, keylen);
	}
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	wskey_sha1_init(&s);
	wskey_sha1_update(&s, pad, sizeof(pad));
	wskey_sha1_update(&s, msg, msglen);
	wskey_sha1_final(&s, inner);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	wskey_sha1_init(&s);
	wskey_sha1_update(&s, pad, sizeof(pad));
	wskey_sha1_update(&s, inner, sizeof(inner));
	wskey_sha1_final(&s, mac);
	for (int i = 0; i < WSKEY_SHA1_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

bool remote_equal_ct(const char *a, const char *b, size_t n)
{
	volatile unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void read_line(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "re");

	out[0] = 0;
	if (!f)
		return;
	if (fgets(out, (int)outlen, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

void remote_ident_collect(struct remote_ident *id)
{
	static struct host_info h; /* large: not on the stack */
	struct stat st;

	memset(id, 0, sizeof(*id));
	sysinfo_collect(&h);
	snprintf(id->hostname, sizeof(id->hostname), "%s", h.hostname);
	snprintf(id->kernel, sizeof(id->kernel), "%s", h.kernel);
	snprintf(id->machine, sizeof(id->machine), "%s", h.machine);
	snprintf(id->cpu_model, sizeof(id->cpu_model), "%s", h.cpu_model);
	snprintf(id->virtualization, sizeof(id->virtualization), "%s", h.virtualization);
	snprintf(id->clocksource, sizeof(id->clocksource), "%s", h.clocksource);
	id->cpus_online = h.cpus_online;
	read_line("/proc/sys/kernel/random/boot_id", id->boot_id, sizeof(id->boot_id));
	if (stat("/proc/self/ns/net", &st) == 0)
		snprintf(id->netns, sizeof(id->netns), "%llu", (unsigned long long)st.st_ino);
}

/* A value on one line: control characters become '?' (the facts are the server's, not trusted). */
static int put_kv(char *out, size_t outlen, size_t *n, const char *key, const char *val)
{
	int w = snprintf(out + *n, outlen - *n, "%s %s\n", key, val[0] ? val : "-");

	if (w < 0 || (size_t)w >= outlen - *n)
		return -ENOSPC;
	for (size_t i = *n + strlen(key) + 1; i < *n + (size_t)w - 1; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	*n += (size_t)w;
	return 0;
}

int remote_ident_encode(const struct remote_ident *id, char *out, size_t outlen)
{
	char cpus[16];
	size_t n = strlen(out);
	int r = 0;

	snprintf(cpus, sizeof(cpus), "%d", id->cpus_online);
	r |= put_kv(out, outlen, &n, "hostname", id->hostname);
	r |= put_kv(out, outlen, &n, "boot_id", id->boot_id);
	r |= put_kv(out, outlen, &n, "netns", id->netns);
	r |= put_kv(out, outlen, &n, "kernel", id->kernel);
	r |= put_kv(out, outlen, &n, "machine", id->machine);
	r |= put_kv(out, outlen, &n, "cpu_model", id->cpu_model);
	r |= put_kv(out, outlen, &n, "cpus_online", cpus);
	r |= put_kv(out, outlen, &n, "virtualization", id->virtualization);
	r |= put_kv(out, outlen, &n, "clocksource", id->clocksource);
	return r ? -ENOSPC : 0;
}

void remote_kv(const char *text, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);
	const char *p = text;

	out[0] = 0;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);

		if (ll > kl && !strncmp(p, key, kl) && p[kl] == ' ') {
			size_t vl = ll - kl - 1 < outlen - 1 ? ll - kl - 1 : outlen - 1;

			memcpy(out, p + kl + 1, vl);
			out[vl] = 0;
			if (!strcmp(out, "-"))
				out[0] = 0;
			return;
		}
		p = nl ? nl + 1 : NULL;
	}
}

int remote_ident_decode(const char *text, struct remote_ident *id)
{
	char cpus[16];

	memset(id, 0, sizeof(*id));
	remote_kv(text, "hostname", id->hostname, sizeof(id->hostname));
	remote_kv(text, "boot_id", id->boot_id, sizeof(id->boot_id));
	remote_kv(text, "netns", id->netns, sizeof(id->netns));
	remote_kv(text, "kernel", id->kernel, sizeof(id->kernel));
	remote_kv(text, "machine", id->machine, sizeof(id->machine));
	remote_kv(text, "cpu_model", id->cpu_model, sizeof(id->cpu_model));
	remote_kv(text, "virtualization", id->virtualization, sizeof(id->virtualization));
	remote_kv(text, "clocksource", id->clocksource, sizeof(id->clocksource));
	remote_kv(text, "cpus_online", cpus, sizeof(cpus));
	id->cpus_online = (int)strtol(cpus, NULL, 10);
	return id->boot_id[0] ? 0 : -EPROTO;
}

/* ---- frames ---- */

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int remote_frame_write(int fd, const char *text, size_t len)
{
	uint32_t be = htonl((uint32_t)len);
	int r;

	if (len > REMOTE_FRAME_MAX)
		return -EMSGSIZE;
	r = write_all(fd, &be, sizeof(be));
	return r ? r : write_all(fd, text, len);
}

/* Exactly len bytes by the deadline (0: none). */
static int read_full(int fd, void *p, size_t len, uint64_t deadline)
{
	char *c = p;

	while (len) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		uint64_t now = mono_ms();
		int r = poll(&pf, 1, deadline ? (now < deadline ? (int)(deadline - now) : 0) : -1);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			return -EINTR; /* the caller looks at its stop flag */
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		n = read(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int remote_frame_read(int fd, int timeout_ms, char **text)
{
	uint64_t deadline = timeout_ms > 0 ? mono_ms() + (uint64_t)timeout_ms : 0;
	uint32_t be;
	size_t len;
	char *p;
	int r = read_full(fd, &be, sizeof(be), deadline);

	if (r)
		return r;
	len = ntohl(be);
	if (len > REMOTE_FRAME_MAX)
		return -EMSGSIZE;
	p = malloc(len + 1);
	if (!p)
		return -ENOMEM;
	r = read_full(fd, p, len, deadline);
	if (r) {
		free(p);
		return r;
	}
	p[len] = 0;
	if (strlen(p) != len) {
		free(p);
		return -EPROTO;
	}
	*text = p;
	return 0;
}

void remote_send_error(int fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n = snprintf(msg, sizeof(msg), "error ");

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	n = (int)strlen(msg);
	snprintf(msg + n, sizeof(msg) - (size_t)n, "\n");
	remote_frame_write(fd, msg, strlen(msg));
}
