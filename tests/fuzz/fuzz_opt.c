/*
 * fuzz_opt.c - libFuzzer target: every command-line value parser, fed the
 * same string.  Whatever they accept must be in range (a size list may
 * start with 0, the wake-up primitives' size; nothing else is 0).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[300], **items;
	size_t v, *list, n;
	uint64_t u;
	double d;
	int c, sv;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (opt_parse_size(s, &v, err, sizeof(err)) == 0 && (v == 0 || v > OPT_MAX_MSG_BYTES))
		abort();
	if (opt_parse_size_list(s, &list, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++)
			if ((list[i] == 0 && i) || list[i] > OPT_MAX_MSG_BYTES || (i && list[i] <= list[i - 1]))
				abort();
		free(list);
	}
	if (opt_parse_duration(s, &u, err, sizeof(err)) == 0 && u == 0)
		abort();
	if (opt_parse_count(s, 1000000, &u, err, sizeof(err)) == 0 && (u == 0 || u > 1000000))
		abort();
	if (opt_parse_rate(s, &d, err, sizeof(err)) == 0 && !(d > 0 && d <= 1e9))
		abort();
	opt_parse_cpus(s, &c, &sv, err, sizeof(err));
	if (opt_split_list(s, "item", &items, &n, err, sizeof(err)) == 0)
		opt_free_list(items, n);
	free(s);
	return 0;
}
