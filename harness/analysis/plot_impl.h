/*
 * plot_impl.h - what the chart families of plot.h share, inside
 * harness/analysis/ only: the writer that fills templates and writes a
 * chart's files (gnuplot.c), picking cells (plot_select.c), the data-file
 * and gnuplot quoting (plot_select.c) and the bar-chart rows
 * (plot_summary.c).  Each family lives in a file of its own:
 * plot_percentile.c, plot_size.c, plot_summary.c, plot_placement.c,
 * plot_zerocopy.c.
 */
#ifndef IPCBENCH_PLOT_IMPL_H
#define IPCBENCH_PLOT_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/outfile.h"
#include "harness/analysis/plot.h"

#define PLOT_NSTYLES 16 /* linetypes defined by scripts/style.gp */
#define PLOT_MAX_VARS 24
#define PLOT_HGRM_TICKS 5 /* ticks per half distance, as .hgrm files */

void plot_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- the writer (gnuplot.c) ---- */

struct plot_var {
	const char *key;
	char *val; /* malloc'd */
};

struct plot_writer {
	struct plot_set *ps;
	const struct plot_opts *o;
	char tdir[PATH_MAX];
	char *style; /* scripts/style.gp */
	char *err;
	size_t errlen;
	struct plot_var vars[PLOT_MAX_VARS];
	size_t nvars;
};

/* Sets @KEY@ of the next script; var_take takes ownership of v. */
void plot_var_set(struct plot_writer *w, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void plot_var_take(struct plot_writer *w, const char *key, char *v);
void plot_vars_clear(struct plot_writer *w);
/*
 * DIR/NAME.EXT for writing through the one output writer (common/outfile.h):
 * of->f, or NULL with errno and w->err set.  Finish with plot_close_out or
 * outfile_abort.
 */
FILE *plot_open_out(struct plot_writer *w, struct outfile *of, const char *name, const char *ext);
int plot_close_out(struct plot_writer *w, struct outfile *of);
/* Sets the variables every template uses, writes NAME.gp from tmpl and records the chart. */
int plot_finish_chart(struct plot_writer *w, enum plot_kind kind, const char *name, const char *title, const char *tmpl,
		      int width, int height);

/* ---- picking cells (plot_select.c) ---- */

struct plot_pick {
	const char *group;	       /* NULL: any */
	int64_t bytes;		       /* 0: any */
	const char *relation;	       /* NULL: any */
	size_t series;		       /* SIZE_MAX: any */
	bool hdr;		       /* only cells with a histogram */
	bool p50;		       /* only cells with a p50 */
	bool rates;		       /* only cells with messages/s and bytes/s */
	const char *const *transports; /* NULL: any; else only these (NULL-terminated) */
};

bool plot_picked(const struct plot_cell *pc, const struct plot_pick *p);
/* The first matching cell (later duplicates of a key are not drawn). */
const struct plot_cell *plot_find_cell(const struct plot_set *ps, const struct plot_pick *p);
/* Indexes of the series with a matching cell, in series order. */
size_t plot_pick_series(const struct plot_set *ps, struct plot_pick p, size_t *out);
/* Distinct groups in order of appearance, relations nearest first, sizes ascending. */
size_t plot_list_groups(const struct plot_set *ps, const char **out);
size_t plot_list_relations(const struct plot_set *ps, const struct plot_pick *p, const char **out);
size_t plot_list_sizes(const struct plot_set *ps, const struct plot_pick *p, int64_t *out);
/* The file's name without .json, or "file N" when two files share it. */
void plot_file_tag(const struct plot_set *ps, size_t file, char *out, size_t outlen);
void plot_group_title(const struct plot_cell *pc, char *out, size_t outlen);
const char *plot_latency_meaning(const char *pattern);
void plot_cpus_note(const struct plot_set *ps, const struct plot_pick *p, char *out, size_t outlen);

/* The words a chart's file name and title are made of, for the cells p picks. */
struct plot_names {
	char gtag[48]; /* p->group, file-name safe (a pattern from the file: no '/') */
	char gt[48];   /* the group's title: "ping-pong", "open loop at 10 k msgs/s" */
	char sz[32];   /* p->bytes as printed: "4 KiB" */
	char tag[32];  /* p->bytes in a file name: "4KiB" */
	char rel[32];  /* p->relation, file-name safe; "" when p picks any */
	char cpus[32]; /* " (CPUs 0,1)" when every picked cell ran on that pair */
};
/* any: a cell p picks (its pattern titles the group). */
void plot_chart_names(const struct plot_set *ps, const struct plot_pick *p, const struct plot_cell *any,
		      struct plot_names *n);

/* ---- axis units and extents (plot_select.c) ---- */

struct plot_unit {
	double div;
	const char *name;
};

double plot_median(double *v, size_t n);
/* The SI prefix ("", k, M, G) that suits a typical rate. */
struct plot_unit plot_rate_unit(double typical);
/* The median bytes/s (or messages/s) of the cells chosen by p. */
double plot_typical_rate(const struct plot_set *ps, const struct plot_pick *p, bool bytes);
/* gnuplot xtics for a size axis: every size a tic, at most eight labelled (malloc'd). */
char *plot_size_tics(const int64_t *sizes, size_t n);
double plot_p50(const struct rf_cell *c);
double plot_p99(const struct rf_cell *c);
/* The time unit that suits the p50s of the cells chosen by p. */
struct plot_unit plot_chart_time_unit(const struct plot_set *ps, const struct plot_pick *p);
void plot_extent(const struct plot_set *ps, const struct plot_pick *p, double (*lo)(const struct rf_cell *),
		 double (*hi)(const struct rf_cell *), double *min, double *max);
char *plot_log_tics_extra(double lo, double hi, double div);

/* ---- names, quoting, data files (plot_select.c) ---- */

void plot_size_tag(int64_t b, char *out, size_t outlen);
void plot_safe_tag(const char *s, char *out, size_t outlen);
void plot_gp_quote(FILE *f, const char *s);
void plot_dat_quote(FILE *f, const char *s);
void plot_dat_num(FILE *f, double v);
void plot_dat_header(struct plot_writer *w, FILE *f, const char *what, const char *columns);
void plot_dat_block(FILE *f, size_t index, const struct plot_series *s, const struct plot_cell *pc);
int plot_line_height(size_t key_entries);
/* One series' line of a rate chart: NAME.dat index i, column col divided by div. */
void plot_rate_line(FILE *m, const char *name, const struct plot_series *s, size_t i, int col, double div);

/* ---- the chart families ---- */

int plot_percentile_charts(struct plot_writer *w);
int plot_size_charts(struct plot_writer *w);
int plot_bar_charts(struct plot_writer *w);
int plot_zerocopy_charts(struct plot_writer *w);
int plot_tax_charts(struct plot_writer *w);
int plot_clients_charts(struct plot_writer *w);

/* Bar-chart rows (plot_summary.c), shared with the placement chart. */
struct plot_bar_row {
	size_t series;
	double key; /* sort key: p50 of the first placement */
};

size_t plot_bar_rows(const struct plot_set *ps, struct plot_pick p, const char *rel0, struct plot_bar_row *rows);
void plot_bar_label(const struct rf_cell *c, char *out, size_t outlen);
void plot_bar_range(struct plot_writer *w, double lo, double hi, double div);
void plot_bar_extremes(const struct rf_cell *c, double *lo, double *hi);

/* What a bar chart (summary, placement) is drawn from. */
struct plot_bar_chart {
	const struct plot_cell *any; /* a cell of the chart (its pattern) */
	struct plot_bar_row *rows;   /* sorted by p50 at the first placement; malloc'd */
	size_t n;
	struct plot_names nm;
	struct plot_unit u; /* the time unit of the x axis */
	double lo, hi;	    /* the extremes the data file drew (plot_bar_extremes) */
};
/* The rows at placement rel0, the names and the unit of the cells p picks: 0 or -ENOMEM. */
int plot_bar_begin(struct plot_writer *w, const struct plot_pick *p, const char *rel0, struct plot_bar_chart *b);
/* Once the data file is written: the x range, NROWS and XLABEL. */
void plot_bar_vars(struct plot_writer *w, const struct plot_bar_chart *b);
int plot_placement_chart(struct plot_writer *w, const struct plot_pick *p, const char **rels, size_t nr);

#endif
