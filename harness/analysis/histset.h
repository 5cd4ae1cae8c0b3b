/*
 * histset.h - merges the HDR histograms of result files and interval logs
 * into groups: the engine behind `ipcbench hist`.
 *
 * A result file's cells are grouped by their identity: transport,
 * pattern, msg_bytes, placement relation, wait and, for the rate pattern,
 * the target rate.  CPU numbers are not part of it (runs on different
 * machines pin different CPUs): cells are grouped by their placement
 * relation and the CPU pairs seen are recorded.  An interval log (.hlog)
 * makes one group per file name stem and tag, holding all its intervals;
 * logs with the same stem (the same cell on other days) merge together.
 *
 * Histograms are merged count by count, never by averaging percentiles,
 * so a group's histogram is the one that recording every value in one
 * place would have given.  Inputs are hostile: anything malformed gives
 * -EINVAL (or -errno) and a one-line reason "FILE: ...".
 *
 * Library code: nothing here prints or exits.
 */
#ifndef IPCBENCH_HISTSET_H
#define IPCBENCH_HISTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/hdr/hist.h"

enum histset_source {
	HISTSET_JSON, /* cells of result files */
	HISTSET_HLOG, /* intervals of .hlog files */
};

/* A cell's identity; strings are owned by the group. */
struct histset_ident {
	char *transport, *pattern, *relation, *wait;
	int64_t msg_bytes;
	double rate_per_sec; /* > 0 only for the rate pattern */
	bool exec;	     /* --peers exec (names: "_exec" after the wait) */
};

/* What to merge; an empty list matches everything. */
struct histset_filter {
	char **transports, **patterns, **relations, **waits;
	size_t ntransports, npatterns, nrelations, nwaits;
	size_t *sizes;
	size_t nsizes;
	const char *tag; /* only .hlog intervals with this tag (JSON cells have none) */
};

#define HISTSET_MAX_CPU_PAIRS 8

struct histset_group {
	char *key;  /* identity, unique in the set */
	char *name; /* file-name safe: "pipe_pingpong_64B_same_block" */
	enum histset_source source;
	bool known; /* ident is set: a JSON cell or an .hlog named like one */
	struct histset_ident ident;
	char *tag;			    /* .hlog: the intervals' tag, NULL when untagged */
	struct hist hist;		    /* the merged histogram, when merged > 0 */
	size_t merged;			    /* histograms merged: cells or intervals */
	size_t not_ok;			    /* JSON cells matched but not ok (no histogram) */
	size_t nfiles;			    /* input files that contributed */
	size_t last_file;		    /* internal: index + 1 of the last one */
	int cpus[HISTSET_MAX_CPU_PAIRS][2]; /* JSON: distinct client, server CPUs (-1: unpinned) */
	size_t ncpus;
	bool more_cpus;	       /* more pairs than fit in cpus[] */
	double first_s, end_s; /* .hlog: first start, last end (seconds since the epoch) */
};

struct histset_file {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct histset {
	struct histset_filter filter;
	struct histset_group *groups;
	size_t ngroups, cap;
	struct histset_file *files; /* inputs added so far */
	size_t nfiles;
};

/* The filter is copied by value; its lists stay the caller's. */
void histset_init(struct histset *s, const struct histset_filter *f);
void histset_release(struct histset *s);

/*
 * Adds one input, a result JSON or an .hlog recognised by its content.
 * 0, or -errno with err "PATH: reason" (the set is then unusable for
 * output, but may be released).  The same file twice is refused.
 */
int histset_add_file(struct histset *s, const char *path, char *err, size_t errlen);

/*
 * dst += src, slot by slot when the layouts are the same (exact).  When
 * dst cannot hold src's values at src's resolution, dst is first widened
 * to a layout covering both (the lowest lowest, the highest highest, the
 * most digits); src's counts are then added by value, as Java's
 * Histogram.add() does.  An empty src changes nothing.  -EOVERFLOW when
 * the total count would overflow, -ENOMEM, -ERANGE (why set).
 */
int histset_merge(struct hist *dst, const struct hist *src, char *why, size_t whylen);

/*
 * Parses a cell name as `run --hgrm/--hlog` writes it
 * ("sysv_mq_rate_64B_cross-0-1_spin_1000ps") into id (malloc'd strings,
 * release with histset_ident_release).  false when it is not one.
 */
bool histset_parse_cell_name(const char *name, struct histset_ident *id);
void histset_ident_release(struct histset_ident *id);

#endif
