/*
 * plot.h - charts from loaded result files.
 *
 * For each chart, plot_write() writes NAME.dat (whitespace-separated data
 * with a commented header naming the columns and their units) and NAME.gp
 * (a gnuplot script filled in from the templates under scripts/), so a
 * user can restyle a chart with `gnuplot NAME.gp` without ipcbench.
 * plot_render() runs gnuplot on those scripts for PNG and/or SVG.
 *
 * Library code: nothing here prints or exits; errors come back as -errno
 * with a one-line reason in err.
 */
#ifndef IPCBENCH_PLOT_H
#define IPCBENCH_PLOT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/analysis/resultfile.h"

enum plot_format {
	PLOT_PNG = 1 << 0,
	PLOT_SVG = 1 << 1,
};

enum plot_kind {
	PLOT_PERCENTILE,    /* latency by percentile, one line per series */
	PLOT_VS_SIZE,	    /* p50 and p99 against message size */
	PLOT_BYTES_VS_SIZE, /* stream throughput, bytes/s */
	PLOT_MSGS_VS_SIZE,  /* stream throughput, messages/s */
	PLOT_SUMMARY,	    /* bars: every series at one size, sorted by p50 */
	PLOT_PLACEMENT,	    /* bars: each placement side by side per series */
	PLOT_ZEROCOPY,	    /* stream bytes/s of the page movers and rings against the copy floors */
	PLOT_TAX,	    /* the framework tax: library transports as multiples of their raw one */
	PLOT_CLIENTS,	    /* aggregate throughput and p99 against --clients N or --pairs N */
};

/* One line in the charts: a transport (and wait strategy, and file). */
struct plot_series {
	char label[96];
	const char *transport;
	const char *wait;
	size_t file;
	int style;		/* 1-based gnuplot linetype of the fixed palette */
	int64_t pairs, clients; /* --pairs N / --clients N cells are series of their own; 0 otherwise */
};

/* Every cell of every file, in file order; series is set for ok cells. */
struct plot_cell {
	const struct rf_cell *c;
	size_t file;
	size_t series;
	bool ok;	/* status "ok" with a latency count */
	char group[48]; /* pattern, with the rate target for open-loop cells */
};

struct plot_chart {
	enum plot_kind kind;
	char name[128];	 /* NAME.gp, NAME.dat, NAME.png, NAME.svg */
	char title[192]; /* the chart's first title line */
	char note[256];	 /* what the caption adds for this chart alone ("" when nothing) */
};

struct plot_set {
	const struct result_file *files;
	size_t nfiles;
	struct plot_cell *cells;
	size_t ncells;
	size_t nok;
	struct plot_series *series;
	size_t nseries;
	char subtitle[256];	   /* "host vm, 2026-11-21 06:45 UTC" */
	struct plot_chart *charts; /* filled by plot_write */
	size_t ncharts;
	struct result_file *owned; /* plot_set_load's files, released with the set */
	size_t nowned;
};

struct plot_opts {
	const char *dir;       /* output directory (created if missing) */
	unsigned int formats;  /* enum plot_format bits */
	size_t summary_bytes;  /* 0: 64 B, else the smallest size measured */
	const char *templates; /* NULL: plot_find_templates() */
	/* when it becomes non-zero (a signal arrived), gnuplot is killed and reaped: -EINTR */
	const volatile sig_atomic_t *stop;
};

/* The install hint in every "gnuplot missing" message. */
#define PLOT_GNUPLOT_INSTALL "apt-get install gnuplot-nox"

/* Loads result files (resultfile_load); the first bad one gives its reason in err. */
int plot_files_load(char *const *paths, size_t n, struct result_file **files, char *err, size_t errlen);
void plot_files_free(struct result_file *files, size_t n);

/*
 * Indexes the cells of files (which must outlive the set) into series.
 * -ENODATA when a file holds no cells, or no cell anywhere was measured.
 */
int plot_set_init(struct plot_set *ps, const struct result_file *files, size_t nfiles, char *err, size_t errlen);
/* plot_files_load and plot_set_init in one: the set owns the files. */
int plot_set_load(struct plot_set *ps, char *const *paths, size_t n, char *err, size_t errlen);
void plot_set_release(struct plot_set *ps);

/*
 * The template directory: $IPCBENCH_DATADIR, then next to the executable
 * (../share/ipcbench, scripts, ../scripts), IPCB_DATADIR, ./scripts.
 * -ENOENT with the places tried in err.
 */
int plot_find_templates(char *dir, size_t len, char *err, size_t errlen);
/* gnuplot's path from $PATH; -ENOENT when it is not installed. */
int plot_find_gnuplot(char *path, size_t len);

/*
 * The framework tax (plot_tax.c): each ok cell of a library transport
 * (raw_transport set) paired with its raw transport's ok cell of the same
 * file, pattern, size, placement and wait.  rows holds ps->ncells; the
 * count is returned.  NAN where a figure is missing.
 */
struct plot_tax_row {
	const struct plot_cell *pc, *raw;
	double p50_x; /* p50 over the raw p50 */
	double cpu_x; /* CPU per message (client + server) over the raw one's */
};
size_t plot_tax_rows(const struct plot_set *ps, struct plot_tax_row *rows);

/* Writes every chart's data file and script into o->dir; fills ps->charts. */
int plot_write(struct plot_set *ps, const struct plot_opts *o, char *err, size_t errlen);
/*
 * Runs gnuplot (in o->dir) on every script, once per format.  -EIO with
 * gnuplot's first error line when it fails; -errno when it cannot run;
 * -EINTR when *o->stop was set (gnuplot is killed and reaped first).
 */
int plot_render(const struct plot_set *ps, const struct plot_opts *o, const char *gnuplot, char *err, size_t errlen);

/*
 * A placement relation ("same") in words for a legend ("same CPU"): the
 * title from common/schema.h, or the name itself when it is not one.
 */
const char *plot_relation_title(const char *relation);
/* Its position in enum relation (nearest first); REL__COUNT for other names. */
int plot_relation_rank(const char *relation);

#endif
