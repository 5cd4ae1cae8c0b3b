/*
 * ledger.c - the ledger's kinds, writer and strict reader (ledger.h).
 */
#include "transports/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const ledger_kind_names[LEDGER__COUNT] = {
	[LEDGER_SYSV_MSG] = "sysv_msg", [LEDGER_SYSV_SHM] = "sysv_shm",	  [LEDGER_SYSV_SEM] = "sysv_sem",
	[LEDGER_POSIX_MQ] = "posix_mq", [LEDGER_POSIX_SHM] = "posix_shm", [LEDGER_POSIX_SEM] = "posix_sem",
	[LEDGER_PROCESS] = "process",
};

int ledger_kind_parse(const char *s, enum ledger_kind *k)
{
	for (int i = 0; i < LEDGER__COUNT; i++) {
		if (!strcmp(s, ledger_kind_names[i])) {
			*k = (enum ledger_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* "/" then 1..LEDGER_NAME_MAX-1 of [A-Za-z0-9._-]: a name with no path in it. */
static bool posix_name_ok(const char *s, size_t len)
{
	if (len < 2 || len > LEDGER_NAME_MAX || s[0] != '/')
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return !(len == 2 && s[1] == '.') && strcmp(s, "/..");
}

/* A command name as /proc/PID/comm shows it: 1..15 of [A-Za-z0-9._-]. */
static bool comm_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 15 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int ledger_format(const struct ledger_entry *e, char *out, size_t outlen)
{
	const char *kind;
	int n;

	if ((unsigned)e->kind >= LEDGER__COUNT)
		return -EINVAL;
	kind = ledger_kind_names[e->kind];
	if (e->kind == LEDGER_PROCESS) {
		if (e->state != LEDGER_MADE || e->id <= 0 || e->ctime < 0 || !comm_ok(e->name))
			return -EINVAL;
		n = snprintf(out, outlen, "%s pid=%d start=%" PRId64 " %s\n", kind, e->id, e->ctime, e->name);
	} else if (!ledger_kind_is_sysv(e->kind)) {
		if (e->state != LEDGER_INTENT || !posix_name_ok(e->name, strlen(e->name)))
			return -EINVAL;
		n = snprintf(out, outlen, "%s %s\n", kind, e->name);
	} else if (!e->key) {
		return -EINVAL;
	} else if (e->state == LEDGER_MADE) {
		if (e->id < 0 || e->ctime < 0)
			return -EINVAL;
		n = snprintf(out, outlen, "%s key=0x%08" PRIx32 " id=%d ctime=%" PRId64 "\n", kind, e->key, e->id,
			     e->ctime);
	} else {
		n = snprintf(out, outlen, "%s key=0x%08" PRIx32 "%s\n", kind, e->key,
			     e->state == LEDGER_TAKEN ? " taken" : "");
	}
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : n;
}

int ledger_append(const char *path, const struct ledger_entry *e)
{
	char line[LEDGER_NAME_MAX + 64];
	int n = ledger_format(e, line, sizeof(line)), fd, r = 0;
	ssize_t w;

	if (n < 0)
		return n;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* one write: a reader sees a whole line or none of it */
	do
		w = write(fd, line, (size_t)n);
	while (w < 0 && errno == EINTR);
	if (w != n)
		r = w < 0 ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

/* A decimal in [0, max] that is all of s[0..len). */
static bool parse_dec(const char *s, size_t len, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (!len || len > 19 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "key=0x%08x" then "", " taken" or " id=N ctime=T" */
static int parse_sysv(const char *s, struct ledger_entry *e)
{
	const char *id, *ct;
	int64_t v;
	char *end;

	if (strncmp(s, "key=0x", 6) || strspn(s + 6, "0123456789abcdef") != 8)
		return -EINVAL;
	e->key = (uint32_t)strtoul(s + 6, &end, 16);
	if (!e->key || end != s + 14)
		return -EINVAL;
	s += 14;
	e->state = LEDGER_INTENT;
	if (!*s)
		return 0;
	if (!strcmp(s, " taken")) {
		e->state = LEDGER_TAKEN;
		return 0;
	}
	if (strncmp(s, " id=", 4))
		return -EINVAL;
	id = s + 4;
	ct = strstr(id, " ctime=");
	if (!ct || !parse_dec(id, (size_t)(ct - id), INT32_MAX, &v))
		return -EINVAL;
	e->id = (int)v;
	if (!parse_dec(ct + 7, strlen(ct + 7), INT64_MAX, &e->ctime))
		return -EINVAL;
	e->state = LEDGER_MADE;
	return 0;
}

/* "pid=N start=T comm" */
static int parse_process(const char *s, struct ledger_entry *e)
{
	const char *st, *cm;
	int64_t v;

	if (strncmp(s, "pid=", 4))
		return -EINVAL;
	st = strstr(s, " start=");
	if (!st || !parse_dec(s + 4, (size_t)(st - s - 4), INT32_MAX, &v) || !v)
		return -EINVAL;
	e->id = (int)v;
	cm = strchr(st + 7, ' ');
	if (!cm || !parse_dec(st + 7, (size_t)(cm - st - 7), INT64_MAX, &e->ctime) || !comm_ok(cm + 1))
		return -EINVAL;
	memcpy(e->name, cm + 1, strlen(cm + 1) + 1);
	e->state = LEDGER_MADE;
	return 0;
}

int ledger_parse_line(const char *line, struct ledger_entry *e)
{
	const char *sp = strchr(line, ' ');
	char kind[16];

	memset(e, 0, sizeof(*e));
	if (!sp || (size_t)(sp - line) >= sizeof(kind))
		return -EINVAL;
	memcpy(kind, line, (size_t)(sp - line));
	kind[sp - line] = 0;
	if (ledger_kind_parse(kind, &e->kind))
		return -EINVAL;
	if (ledger_kind_is_sysv(e->kind))
		return parse_sysv(sp + 1, e);
	if (e->kind == LEDGER_PROCESS)
		return parse_process(sp + 1, e);
	if (!posix_name_ok(sp + 1, strlen(sp + 1)))
		return -EINVAL;
	memcpy(e->name, sp + 1, strlen(sp + 1) + 1);
	e->state = LEDGER_INTENT;
	return 0;
}

/* The entry e is a later fact about, or NULL. */
static struct ledger_entry *find(struct ledger *l, const struct ledger_entry *e)
{
	for (size_t i = 0; i < l->n; i++) {
		struct ledger_entry *x = &l->e[i];

		if (x->kind != e->kind)
			continue;
		if (e->kind == LEDGER_PROCESS	   ? x->id == e->id
		    : ledger_kind_is_sysv(e->kind) ? x->key == e->key
						   : !strcmp(x->name, e->name))
			return x;
	}
	return NULL;
}

static void add(struct ledger *l, const struct ledger_entry *e)
{
	struct ledger_entry *x = find(l, e);

	if (!x) {
		if (l->n == LEDGER_MAX_ENTRIES) {
			l->bad++;
			return;
		}
		l->e[l->n++] = *e;
		return;
	}
	/* taken is final; made adds the id and time to the intent */
	if (x->state == LEDGER_TAKEN || e->state == LEDGER_INTENT)
		return;
	if (x->state == LEDGER_MADE && e->state == LEDGER_MADE && (x->id != e->id || x->ctime != e->ctime)) {
		if (e->kind == LEDGER_PROCESS) {
			/* the pid came back with another start: it was reused, the earlier process is gone */
			*x = *e;
			return;
		}
		/* two made lines that disagree: in doubt, never ours */
		*x = (struct ledger_entry){.kind = x->kind, .state = LEDGER_TAKEN, .key = x->key};
		return;
	}
	*x = *e;
}

void ledger_parse(const char *buf, size_t len, struct ledger *l)
{
	char line[LEDGER_NAME_MAX + 64];
	struct ledger_entry e;
	size_t i = 0;

	l->n = 0;
	l->bad = 0;
	if (len > LEDGER_MAX_BYTES) {
		len = LEDGER_MAX_BYTES;
		l->bad++;
	}
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;

		/* a last line without its newline was cut short by a kill: bad */
		if (!nl || n >= sizeof(line) || memchr(buf + i, 0, n)) {
			l->bad++;
		} else {
			memcpy(line, buf + i, n);
			line[n] = 0;
			if (ledger_parse_line(line, &e))
				l->bad++;
			else
				add(l, &e);
		}
		i += n + 1;
	}
}

int ledger_read(const char *path, struct ledger *l)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), r = 0;

	l->n = 0;
	l->bad = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(LEDGER_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (n <= LEDGER_MAX_BYTES) {
		ssize_t got = read(fd, buf + n, LEDGER_MAX_BYTES + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = -errno;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (!r)
		ledger_parse(buf, n, l);
	free(buf);
	return r;
}

uint32_t ledger_new_key(void)
{
	uint32_t k = 0;

	for (uint32_t i = 1; k == 0 || k == UINT32_MAX; i++) {
		if (getrandom(&k, sizeof(k), 0) != sizeof(k))
			k = ((uint32_t)time(NULL) ^ (uint32_t)getpid() << 16) * 2654435761u + i * 40503u;
	}
	return k;
}
