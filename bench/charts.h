/*
 * charts.h - what `plot` and `report` share: the same command line
 * (RESULT.json... -o OUT [--size BYTES], and plot's --format) and the same
 * loading of the result files, so both take and refuse input alike.
 */
#ifndef IPCBENCH_CHARTS_H
#define IPCBENCH_CHARTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/analysis/plot.h"

struct charts_args {
	char **paths; /* the result files */
	size_t npaths;
	const char *out;      /* -o: NULL when not given */
	size_t summary_bytes; /* --size: 0 when not given */
	unsigned int formats; /* --format: enum plot_format bits; the caller sets the default */
};

/*
 * Parses the command line of cmd ("plot" or "report").  longopts is the
 * command's own table, so each accepts only what its --help lists; their
 * values are 'o', 's', 'f' and 'h'.  --help prints usage and exits 0;
 * anything wrong is a usage error naming cmd.  Checking that files and -o
 * were given is left to the command, whose messages say what -o names.
 */
void charts_parse_args(struct charts_args *a, const char *cmd, const struct option *longopts, void (*usage)(FILE *),
		       int argc, char **argv);

struct charts {
	struct result_file *files;
	size_t nfiles;
	struct plot_set set; /* points into files, so it is released first */
};

/* Loads paths and indexes their cells; on failure says why on stderr and returns -1. */
int charts_load(struct charts *ch, char **paths, size_t n);
void charts_release(struct charts *ch);

#endif
