/*
 * optlist.c - count lists: "1,2,4..64" (see optlist.h).
 */
#include "bench/optlist.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/opt.h"

static int parse_one(const char *s, const char *what, unsigned int max, unsigned int *out, char *err, size_t errlen)
{
	uint64_t v;
	char why[200];

	if (opt_parse_count(s, UINT32_MAX, &v, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (v > max) {
		snprintf(err, errlen, "%s %s is too many (at most %u)", what, s, max);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* One item: a count, or a doubling range LO..HI (HI itself included). */
static int add_item(const char *it, const char *what, unsigned int max, unsigned int *v, size_t *cnt, char *err,
		    size_t errlen)
{
	const char *dots = strstr(it, "..");
	unsigned int lo, hi;
	char first[64];

	if (!dots)
		return parse_one(it, what, max, &v[(*cnt)++], err, errlen);
	if ((size_t)(dots - it) >= sizeof(first)) {
		snprintf(err, errlen, "invalid range '%s'", it);
		return -1;
	}
	memcpy(first, it, (size_t)(dots - it));
	first[dots - it] = '\0';
	if (parse_one(first, what, max, &lo, err, errlen) || parse_one(dots + 2, what, max, &hi, err, errlen))
		return -1;
	if (lo > hi) {
		snprintf(err, errlen, "invalid range '%s': it must go up", it);
		return -1;
	}
	for (unsigned long long x = lo;; x *= 2) {
		v[(*cnt)++] = x < hi ? (unsigned int)x : hi;
		if (x >= hi || *cnt >= OPT_MAX_LIST)
			break;
	}
	return 0;
}

int opt_parse_count_list(const char *s, const char *what, unsigned int max, unsigned int **out, size_t *n, char *err,
			 size_t errlen)
{
	char **items;
	size_t nitems, cnt = 0;
	unsigned int *v;

	if (opt_split_list(s, what, &items, &nitems, err, errlen))
		return -1;
	/* a range adds at most 33 values (doubling within 32 bits) */
	v = calloc(nitems * 34 + 1, sizeof(*v));
	if (!v) {
		opt_free_list(items, nitems);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nitems; i++) {
		if (add_item(items[i], what, max, v, &cnt, err, errlen)) {
			free(v);
			opt_free_list(items, nitems);
			return -1;
		}
	}
	opt_free_list(items, nitems);
	qsort(v, cnt, sizeof(*v), cmp_uint);
	*n = 0;
	for (size_t i = 0; i < cnt; i++)
		if (!*n || v[*n - 1] != v[i])
			v[(*n)++] = v[i];
	*out = v;
	return 0;
}
