/*
 * export.h - `ipcbench export`: result files in the formats other tools
 * read (CI dashboards, Google Benchmark's compare.py, Prometheus,
 * spreadsheets).  Everything comes from the result reader
 * (resultfile.h); nothing is measured here.
 *
 * Library code: nothing here prints or exits; errors come back as -errno
 * with a one-line reason in err.
 */
#ifndef IPCBENCH_EXPORT_H
#define IPCBENCH_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "harness/analysis/resultfile.h"

enum export_format {
	EXPORT_GAB,	    /* github-action-benchmark's custom JSON array */
	EXPORT_BENCHER,	    /* Bencher Metric Format */
	EXPORT_GBENCH,	    /* Google Benchmark's JSON */
	EXPORT_OPENMETRICS, /* OpenMetrics text 1.0 */
	EXPORT_PROMETHEUS,  /* Prometheus text 0.0.4 (node_exporter textfile) */
	EXPORT_CSV,	    /* one row per cell, with a header */
	EXPORT__COUNT
};

/* What github-action-benchmark gets: latency (smaller is better) or throughput (bigger). */
enum export_metric {
	EXPORT_LATENCY,
	EXPORT_THROUGHPUT,
};

/* "github-action-benchmark", "bencher", ...: the --format names, in enum order. */
extern const char *const export_format_names[EXPORT__COUNT];
/* 0 and *f set, or -1 for an unknown name. */
int export_format_parse(const char *s, enum export_format *f);

/*
 * Writes the cells of the n loaded files to out in format fmt.  Formats
 * that name a benchmark once (all but gbench and csv) refuse a key that
 * two files share: -EINVAL naming it.  A histogram that does not decode is
 * -EINVAL too.  0, or -errno with err set.
 */
int export_write(FILE *out, const struct result_file *rfs, size_t n, enum export_format fmt, enum export_metric metric,
		 char *err, size_t errlen);

/* ---- between the export files ---- */

/* Whether the cell has figures to export (status "ok"). */
int export_cell_ok(const struct rf_cell *c);
/* The cell's latency percentile by key ("p50"), NAN when absent. */
double export_pct(const struct rf_cell *c, const char *key);
/* CPU time of both sides per message in ns, NAN when not measured. */
double export_cpu_ns(const struct rf_cost *c);
int export_json(FILE *out, const struct result_file *rfs, size_t n, enum export_format fmt, enum export_metric metric,
		char *err, size_t errlen);
int export_metrics(FILE *out, const struct result_file *rfs, size_t n, int openmetrics, char *err, size_t errlen);

#endif
