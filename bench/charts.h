/*
 * charts.h - what `plot` and `report` share: the same command line
 * (RESULT.json... -o OUT [--size BYTES], and plot's --format) and the same
 * handling of signals while gnuplot runs.  Loading the result files is
 * plot_set_load()'s, so both take and refuse input alike.
 */
#ifndef IPCBENCH_CHARTS_H
#define IPCBENCH_CHARTS_H

#include <getopt.h>
#include <signal.h>
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

/*
 * The signal that stopped the command, 0 while none has arrived: plot_opts
 * and html_opts point their stop at it.
 */
extern volatile sig_atomic_t charts_stop;

/*
 * Catches SIGINT, SIGTERM and SIGHUP into charts_stop, so that gnuplot is
 * reaped and temporary files removed before the command ends.  A signal
 * ignored when ipcbench started (nohup, a background job) stays ignored.
 */
void charts_catch_signals(void);

/*
 * When a signal stopped the command: says so on stderr and ends the
 * process by that signal (its default action), as if it had never been
 * caught.  Returns when none arrived.
 */
void charts_exit_if_stopped(const char *cmd);

#endif
