/*
 * compare_out.h - the outputs of a comparison (compare.h): the terminal
 * table, the Markdown report (pull-request comments, job summaries) and
 * the JSON (schema "ipcbench-compare", docs/ci.md).  Files are written
 * through common/outfile.h ("-" is standard output).
 *
 * Library code: nothing here exits; the table goes to the FILE it is given.
 */
#ifndef IPCBENCH_COMPARE_OUT_H
#define IPCBENCH_COMPARE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/analysis/compare.h"

/* One side: the files given as one argument (comma-separated: pooled). */
struct compare_side {
	const char *arg;
	struct result_file *f;
	size_t n;
};

/* What every output needs. */
struct compare_view {
	const struct compare_result *res;
	const struct compare_options *opt;
	const struct compare_side *base, *cand;
};

/* The table on a terminal; colour: ANSI colours for the verdicts. */
void compare_print_table(FILE *f, const struct compare_view *v, bool colour);
/* The Markdown report, to f or to path. */
void compare_write_markdown(FILE *f, const struct compare_view *v);
int compare_write_markdown_file(const char *path, const struct compare_view *v, char *err, size_t errlen);
/* The JSON, with the command's exit code in it. */
int compare_write_json(const char *path, const struct compare_view *v, int exit_code, char *err, size_t errlen);

/* ---- the formatting the outputs share ---- */

/* The cell's key, from whichever side has it. */
const char *compare_cell_key(const struct compare_cell *cc);
/* "1 regressed, 0 improved, ... (12 cells)" */
void compare_summary_line(const struct compare_result *res, char *out, size_t len);
/* "passed", "FAILED", or why it was refused */
const char *compare_gate_text(const struct compare_result *res);
/* Why the gate failed in one line: the first failed cell's reason, else the first regressed metric's */
void compare_gate_reason(const struct compare_result *res, char *out, size_t len);
/* "7.02 us ±1.0%", "6.95 us .. 7.10 us", "+3.1%", "0.0123" */
void compare_fmt_stat(enum compare_metric m, const struct compare_stats *st, char *out, size_t len);
void compare_fmt_range(enum compare_metric m, const struct compare_stats *st, char *out, size_t len);
void compare_fmt_change(double ch, char *out, size_t len);
void compare_fmt_p(double p, char *out, size_t len);

#endif
