/*
 * html.h - the HTML report of `ipcbench report`: one self-contained file
 * with the machine facts, the configuration, a summary table of every
 * cell and every chart of plot.h, inlined as SVG.
 *
 * Library code: nothing here prints or exits; errors come back as -errno
 * with a one-line reason in err.
 */
#ifndef IPCBENCH_HTML_H
#define IPCBENCH_HTML_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/analysis/plot.h"

struct html_opts {
	const char *out;      /* the HTML file, written as common/outfile.h says */
	size_t summary_bytes; /* as plot_opts */
	const char *gnuplot;  /* plot_find_gnuplot()'s path */
	/* when it becomes non-zero, gnuplot is killed and reaped, the temporary
	 * directory removed and the target left untouched: -EINTR */
	const volatile sig_atomic_t *stop;
};

/* What went wrong, as the exit codes tell it apart. */
enum html_failure {
	HTML_BAD_INPUT,	  /* the input or -o: exit 2 */
	HTML_FAILED,	  /* gnuplot, or writing: exit 1 */
	HTML_INTERRUPTED, /* *stop was set */
};

/*
 * Draws every chart of ps as SVG in a temporary directory under $TMPDIR
 * (or /tmp), writes the report from them to o->out and removes the
 * directory.  0, or -errno with *why and err set.
 */
int html_report(struct plot_set *ps, const struct html_opts *o, enum html_failure *why, char *err, size_t errlen);

/* s escaped for HTML text and attribute values (the report's sections in other files). */
void html_esc(FILE *f, const char *s);

/* The document itself, the charts' SVG files read from dir. */
int html_write(FILE *f, const struct plot_set *ps, const char *dir, char *err, size_t errlen);

#endif
