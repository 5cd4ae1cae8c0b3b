/*
 * opt.c - strict parsers for command-line values (see opt.h).
 */
#include "bench/opt.h"
#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/sysinfo.h"

int opt_parse_size(const char *s, size_t *out, char *err, size_t errlen)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{"", 0},    {"b", 0},	 {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
		{"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30},
	};
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0])) {
		snprintf(err, errlen, "invalid size '%s': expected a number such as 64, 4k or 1MiB", s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > OPT_MAX_MSG_BYTES) {
		snprintf(err, errlen, "size '%s' is too large (at most 256 MiB)", s);
		return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix))
			continue;
		if (v > (OPT_MAX_MSG_BYTES >> units[i].shift)) {
			snprintf(err, errlen, "size '%s' is too large (at most 256 MiB)", s);
			return -1;
		}
		v <<= units[i].shift;
		if (v == 0) {
			snprintf(err, errlen, "size '%s' must be at least 1 byte", s);
			return -1;
		}
		*out = (size_t)v;
		return 0;
	}
	snprintf(err, errlen, "invalid size '%s': unknown unit '%s' (use k, KiB, M, MiB, G)", s, end);
	return -1;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int opt_parse_size_list(const char *s, size_t **out, size_t *n, char *err, size_t errlen)
{
	char **items;
	size_t nitems, cnt = 0;
	size_t *v = calloc(OPT_MAX_LIST, sizeof(*v));

	if (!v || opt_split_list(s, "size", &items, &nitems, err, errlen)) {
		free(v);
		return -1;
	}
	for (size_t i = 0; i < nitems; i++) {
		char *dots = strstr(items[i], "..");
		size_t lo, hi;

		if (!dots && !strcmp(items[i], "0")) {
			lo = hi = 0; /* a bare wake-up, no payload: never a range's end */
		} else if (!dots) {
			if (opt_parse_size(items[i], &lo, err, errlen))
				goto fail;
			hi = lo;
		} else {
			*dots = 0;
			if (opt_parse_size(items[i], &lo, err, errlen) || opt_parse_size(dots + 2, &hi, err, errlen))
				goto fail;
			if (lo > hi) {
				snprintf(err, errlen, "invalid size range '%s..%s': the start is above the end",
					 items[i], dots + 2);
				goto fail;
			}
		}
		/* doubling from lo; a range always ends on its end */
		for (size_t x = lo;; x *= 2) {
			size_t val = x > hi ? hi : x;

			if (cnt == OPT_MAX_LIST) {
				snprintf(err, errlen, "too many sizes (at most %d)", OPT_MAX_LIST);
				goto fail;
			}
			v[cnt++] = val;
			if (val == hi)
				break;
		}
	}
	qsort(v, cnt, sizeof(*v), cmp_size);
	*n = 0;
	for (size_t i = 0; i < cnt; i++)
		if (!*n || v[*n - 1] != v[i])
			v[(*n)++] = v[i];
	*out = v;
	opt_free_list(items, nitems);
	return 0;
fail:
	free(v);
	opt_free_list(items, nitems);
	return -1;
}

int opt_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1}, {"m", 60e9}, {"min", 60e9}, {"h", 3600e9},
	};
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.')) {
		snprintf(err, errlen, "invalid duration '%s': expected a time such as 5s, 500ms or 100us", s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || !isfinite(v)) {
		snprintf(err, errlen, "invalid duration '%s'", s);
		return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double t;

		if (strcmp(end, units[i].suffix))
			continue;
		t = v * units[i].mult;
		if (t < 1) {
			snprintf(err, errlen, "duration '%s' must be above zero", s);
			return -1;
		}
		if (t > 7 * 24 * 3600e9) {
			snprintf(err, errlen, "duration '%s' is too long (at most a week)", s);
			return -1;
		}
		*ns = (uint64_t)t;
		return 0;
	}
	snprintf(err, errlen, "invalid duration '%s': unknown unit '%s' (use ns, us, ms, s, m, h)", s, end);
	return -1;
}

int opt_parse_count(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!s || !isdigit((unsigned char)s[0])) {
		snprintf(err, errlen, "invalid count '%s': expected a positive whole number", s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!strcmp(end, "k") || !strcmp(end, "K"))
		mult = 1000;
	else if (!strcmp(end, "M"))
		mult = 1000000;
	else if (!strcmp(end, "G"))
		mult = 1000000000;
	else if (*end) {
		snprintf(err, errlen, "invalid count '%s': expected a positive whole number", s);
		return -1;
	}
	if (errno == ERANGE || v > max / mult) {
		snprintf(err, errlen, "count '%s' is too large (at most %llu)", s, (unsigned long long)max);
		return -1;
	}
	if (v == 0) {
		snprintf(err, errlen, "count '%s' must be at least 1", s);
		return -1;
	}
	*out = v * mult;
	return 0;
}

int opt_parse_count_or_zero(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	if (s && !strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	return opt_parse_count(s, max, out, err, errlen);
}

int opt_parse_rate(const char *s, double *out, char *err, size_t errlen)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.')) {
		snprintf(err, errlen, "invalid rate '%s': expected messages per second, such as 10000 or 2.5k",
			 s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (!strcmp(end, "k"))
		v *= 1e3;
	else if (!strcmp(end, "M"))
		v *= 1e6;
	else if (*end) {
		snprintf(err, errlen, "invalid rate '%s': expected messages per second", s);
		return -1;
	}
	if (errno || !isfinite(v) || v <= 0 || v > 1e9) {
		snprintf(err, errlen, "rate '%s' must be above 0 and at most 1e9 messages per second", s);
		return -1;
	}
	*out = v;
	return 0;
}

int opt_parse_percent(const char *s, double *frac, char *err, size_t errlen)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.')) {
		snprintf(err, errlen, "invalid percentage '%s': expected such as 3%% or 0.5%%", s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if ((*end && strcmp(end, "%")) || errno || !isfinite(v)) {
		snprintf(err, errlen, "invalid percentage '%s': expected such as 3%% or 0.5%%", s);
		return -1;
	}
	if (v <= 0 || v > 50) {
		snprintf(err, errlen, "percentage '%s' must be above 0 and at most 50%%", s);
		return -1;
	}
	*frac = v / 100;
	return 0;
}

static int parse_cpu(const char *s, int *out, char *err, size_t errlen)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0])) {
		snprintf(err, errlen, "invalid CPU '%s': expected a CPU number", s);
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v < 0 || v > 65535) {
		snprintf(err, errlen, "invalid CPU '%s': expected a CPU number", s);
		return -1;
	}
	if (!cpu_online((int)v)) {
		snprintf(err, errlen, "CPU %ld does not exist or is not available to this process (online: %d CPUs)", v,
			 cpu_count_online());
		return -1;
	}
	*out = (int)v;
	return 0;
}

int opt_parse_cpus(const char *s, int *client, int *server, char *err, size_t errlen)
{
	char buf[64];
	char *comma;

	if (!s || snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf) || !(comma = strchr(buf, ','))) {
		snprintf(err, errlen, "invalid --cpus '%s': expected CLIENT,SERVER such as 0,1", s ? s : "");
		return -1;
	}
	*comma = 0;
	if (parse_cpu(buf, client, err, errlen) || parse_cpu(comma + 1, server, err, errlen))
		return -1;
	return 0;
}

int opt_split_list(const char *s, const char *what, char ***items, size_t *n, char *err, size_t errlen)
{
	return opt_split_list_max(s, what, OPT_MAX_LIST, items, n, err, errlen);
}

int opt_split_list_max(const char *s, const char *what, size_t max, char ***items, size_t *n, char *err, size_t errlen)
{
	char **v = calloc(max, sizeof(*v));
	size_t cnt = 0;
	const char *p = s;

	if (!v)
		return -1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 0) {
			snprintf(err, errlen, "empty %s in list '%s'", what, s);
			goto fail;
		}
		if (cnt == max) {
			snprintf(err, errlen, "too many items in %s list (at most %zu)", what, max);
			goto fail;
		}
		v[cnt++] = strndup(p, len);
		if (!comma)
			break;
		p = comma + 1;
	}
	*items = v;
	*n = cnt;
	return 0;
fail:
	opt_free_list(v, cnt);
	return -1;
}

void opt_free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

int opt_each_item(const char *s, const char *what, opt_item_fn *fn, void *ctx, char *err, size_t errlen)
{
	char **items;
	size_t n;

	if (opt_split_list(s, what, &items, &n, err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++)
		fn(ctx, items[i], i, n);
	opt_free_list(items, n);
	return 0;
}
