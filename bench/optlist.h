/*
 * optlist.h - the count lists of --pairs and --clients: "1,2,4..64"
 * (items and doubling ranges, like --sizes), sorted, duplicates removed.
 */
#ifndef IPCBENCH_OPTLIST_H
#define IPCBENCH_OPTLIST_H

#include <stddef.h>

/* 0, or -1 with err naming the bad item; every value is 1..max.  *out is malloc'd. */
int opt_parse_count_list(const char *s, const char *what, unsigned int max, unsigned int **out, size_t *n, char *err,
			 size_t errlen);

#endif
