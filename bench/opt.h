/*
 * opt.h - strict parsers for command-line values.  Each returns 0, or -1
 * with err holding a one-line message that names the bad value.
 */
#ifndef IPCBENCH_OPT_H
#define IPCBENCH_OPT_H

#include <stddef.h>
#include <stdint.h>

#define OPT_MAX_MSG_BYTES ((size_t)256 << 20) /* 256 MiB: larger is refused as absurd */
#define OPT_MAX_LIST 256

/* "64", "4k", "4K", "4KiB", "4kb", "1M", "1MiB", "1G": binary multiples (k = 1024). */
int opt_parse_size(const char *s, size_t *out, char *err, size_t errlen);
/*
 * Comma list of sizes and doubling ranges "64..1M"; sorted, duplicates removed.  *out is malloc'd.
 * A bare "0" item is size 0 (the wake-up primitives' only size); a range never starts or ends at 0.
 */
int opt_parse_size_list(const char *s, size_t **out, size_t *n, char *err, size_t errlen);
/* "5s", "500ms", "250us", "100ns", "2m", "1h", a bare number is seconds ("1.5"). > 0 */
int opt_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen);
/* A positive count: digits with an optional k/M/G (x1000) suffix; <= max. */
int opt_parse_count(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);
/* The same, or exactly "0", for options where zero has a meaning (no warm-up, a random seed). */
int opt_parse_count_or_zero(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);
/* A positive real: "20000", "1e5", "2.5k". */
int opt_parse_rate(const char *s, double *out, char *err, size_t errlen);
/* A percentage "2%", "0.5%" or "2" (percent), above 0 and at most 50: *frac = 0.02. */
int opt_parse_percent(const char *s, double *frac, char *err, size_t errlen);
/* "C,S": two online CPUs. */
int opt_parse_cpus(const char *s, int *client, int *server, char *err, size_t errlen);
/* Splits a comma list; an empty item is an error.  Free with opt_free_list. */
int opt_split_list(const char *s, const char *what, char ***items, size_t *n, char *err, size_t errlen);
/* The same with at most max items instead of OPT_MAX_LIST. */
int opt_split_list_max(const char *s, const char *what, size_t max, char ***items, size_t *n, char *err, size_t errlen);
void opt_free_list(char **items, size_t n);
/*
 * Splits a comma list as opt_split_list does, then calls fn for each item in
 * order with its index and the number of items.  A malformed list is refused
 * (-1, err set) before fn sees any item.  fn judges each item itself: the
 * commands refuse a bad one with die_usage, so the message names it in full.
 */
typedef void opt_item_fn(void *ctx, const char *item, size_t i, size_t n);
int opt_each_item(const char *s, const char *what, opt_item_fn *fn, void *ctx, char *err, size_t errlen);

#endif
