/*
 * html.c - the HTML report (see html.h): one self-contained file with the
 * machine facts, the configuration, the summary table and every chart of
 * `ipcbench plot`, the charts inlined as SVG.  Nothing in it refers
 * outside the file (no scripts, stylesheets, images or fonts from
 * elsewhere), and it prints readably.  Every string taken from a result
 * file is escaped.
 */
#include "harness/analysis/html.h"
#include "harness/analysis/plot_clients.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/units.h"
#include "harness/analysis/advice.h"

/* ---- HTML helpers ---- */

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
				fputc(*s, f);
		}
	}
}

void html_esc(FILE *f, const char *s)
{
	esc(f, s);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void td(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	esc(f, or_dash(s));
	fputs("</td>", f);
}

static void td_ns(FILE *f, double ns)
{
	char b[32];

	units_ns(ns, UNITS_TEXT, b, sizeof(b));
	td(f, "n", b);
}

static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;"
	"color:#1a1a1a;max-width:1160px;margin:2em auto;padding:0 1em}\n"
	"h1{font-size:1.7em;margin:0 0 .2em}h2{margin-top:2em;border-bottom:2px solid #0072B2}\n"
	".sub{color:#555;margin-top:0}\n"
	"table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.88em}\n"
	"th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}\n"
	"th{background:#eef2f6}tbody tr:nth-child(even){background:#fafafa}\n"
	"tr.grp th{background:#fff;border-bottom:1.5px solid #888;padding-top:.9em;font-weight:600}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.facts th{width:12em;background:none}\n"
	"code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;word-break:break-all}\n"
	"figure{margin:1.5em 0 2.5em;break-inside:avoid;page-break-inside:avoid}\n"
	"figure svg{max-width:100%;height:auto;display:block}\n"
	"figcaption{color:#444;font-size:.9em;margin-top:.3em}\n"
	"nav ol{columns:2;font-size:.9em}.note{color:#555;font-size:.9em}\n"
	"table.advice tbody tr{background:none}table.advice tr.pick td{border-bottom:none}\n"
	"table.advice tr.detail td{color:#444;font-size:.92em;padding-top:0}.limits{color:#666}\n"
	"@media print{body{max-width:none;margin:0;font-size:10pt}nav{display:none}\n"
	"h2{break-before:page;page-break-before:always}h2:first-of-type{break-before:auto}\n"
	"figure{break-before:page;page-break-before:always}h2+figure{break-before:auto;page-break-before:auto}\n"
	"h2{break-after:avoid;page-break-after:avoid}figure svg{max-height:24cm;width:auto}\n"
	"thead{display:table-header-group}\n"
	"tr{break-inside:avoid;page-break-inside:avoid}table{font-size:8.5pt}"
	"a{color:inherit;text-decoration:none}}\n";

/* ---- machine facts and configuration ---- */

static void fact_row(FILE *f, const char *name, const struct plot_set *ps,
		     const char *(*get)(const struct result_file *, char *, size_t))
{
	char buf[256];

	fputs("<tr><th>", f);
	esc(f, name);
	fputs("</th>", f);
	for (size_t i = 0; i < ps->nfiles; i++) {
		fputs("<td>", f);
		esc(f, or_dash(get(&ps->files[i], buf, sizeof(buf))));
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
}

#define FACT_STR(fn, expr)                                                        \
	static const char *fn(const struct result_file *rf, char *b, size_t blen) \
	{                                                                         \
		(void)b;                                                          \
		(void)blen;                                                       \
		return (expr);                                                    \
	}

FACT_STR(f_host, rf->ctx.hostname)
FACT_STR(f_cpu, rf->ctx.cpu_model)
FACT_STR(f_kernel, rf->ctx.kernel)
FACT_STR(f_virt, rf->ctx.virtualization)
FACT_STR(f_clocksource, rf->ctx.clocksource)
FACT_STR(f_governor, rf->ctx.governor)
FACT_STR(f_timer, rf->ctx.clock_source)
FACT_STR(f_compiler, rf->compiler)
FACT_STR(f_flags, rf->build_flags)
FACT_STR(f_started, rf->started_at)
FACT_STR(f_finished, rf->finished_at)
FACT_STR(f_cmdline, rf->command_line)
FACT_STR(f_path, rf->path)

static const char *f_cpus(const struct result_file *rf, char *b, size_t blen)
{
	if (rf->ctx.cpu_count < 0)
		return NULL;
	snprintf(b, blen, "%" PRId64, rf->ctx.cpu_count);
	return b;
}

static const char *f_tool(const struct result_file *rf, char *b, size_t blen)
{
	snprintf(b, blen, "ipcbench %s (%s), schema %" PRId64, or_dash(rf->tool_version), or_dash(rf->git_revision),
		 rf->schema_version);
	return b;
}

static const char *f_measure(const struct result_file *rf, char *b, size_t blen)
{
	char d[32];

	if (rf->cfg_iterations > 0) {
		snprintf(b, blen, "%" PRId64 " messages per cell", rf->cfg_iterations);
	} else if (rf->cfg_duration_ns > 0) {
		units_ns((double)rf->cfg_duration_ns, UNITS_TEXT, d, sizeof(d));
		snprintf(b, blen, "%s per cell", d);
	} else {
		return NULL;
	}
	return b;
}

static const char *f_warmup(const struct result_file *rf, char *b, size_t blen)
{
	if (rf->cfg_warmup < 0)
		return NULL;
	snprintf(b, blen, "%" PRId64 " messages", rf->cfg_warmup);
	return b;
}

static const char *f_repeat(const struct result_file *rf, char *b, size_t blen)
{
	if (rf->cfg_repeat < 0)
		return NULL;
	snprintf(b, blen, "%" PRId64 " time%s, shuffled and interleaved", rf->cfg_repeat,
		 rf->cfg_repeat == 1 ? "" : "s");
	return b;
}

static const char *f_cells(const struct result_file *rf, char *b, size_t blen)
{
	size_t ok = 0, skipped = 0;

	for (size_t i = 0; i < rf->ncells; i++) {
		ok += !strcmp(rf->cells[i].status, "ok");
		skipped += !strcmp(rf->cells[i].status, "skipped");
	}
	snprintf(b, blen, "%zu: %zu measured, %zu skipped, %zu failed or interrupted%s", rf->ncells, ok, skipped,
		 rf->ncells - ok - skipped, rf->interrupted_by_signal ? " (the run was interrupted)" : "");
	return b;
}

static void facts_table(FILE *f, const struct plot_set *ps, bool config)
{
	static const struct {
		const char *name;
		const char *(*get)(const struct result_file *, char *, size_t);
		bool config;
	} rows[] = {
		{"host", f_host, false},	   {"CPU", f_cpu, false},
		{"CPUs online", f_cpus, false},	   {"kernel", f_kernel, false},
		{"virtualization", f_virt, false}, {"clocksource", f_clocksource, false},
		{"governor", f_governor, false},   {"timer", f_timer, false},
		{"tool", f_tool, false},	   {"compiler", f_compiler, false},
		{"build flags", f_flags, false},   {"file", f_path, true},
		{"command", f_cmdline, true},	   {"started", f_started, true},
		{"finished", f_finished, true},	   {"measured", f_measure, true},
		{"warm-up", f_warmup, true},	   {"repeated", f_repeat, true},
		{"cells", f_cells, true},
	};

	fputs("<table class=\"facts\">\n", f);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].config == config)
			fact_row(f, rows[i].name, ps, rows[i].get);
	fputs("</table>\n", f);
}

/* ---- the summary table ---- */

struct row {
	const struct plot_cell *pc;
	size_t group_rank;
};

static size_t group_rank(const struct plot_set *ps, const char *group)
{
	for (size_t i = 0; i < ps->ncells; i++)
		if (!strcmp(ps->cells[i].group, group))
			return i;
	return SIZE_MAX;
}

static int cmp_num(double a, double b)
{
	if (isnan(a) != isnan(b))
		return isnan(a) ? 1 : -1;
	return (a > b) - (a < b);
}

/* By pattern, size and placement, then fastest first. */
static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	const struct rf_cell *c = x->pc->c, *d = y->pc->c;
	int r;

	if (x->group_rank != y->group_rank)
		return x->group_rank < y->group_rank ? -1 : 1;
	if (c->msg_bytes != d->msg_bytes)
		return c->msg_bytes < d->msg_bytes ? -1 : 1;
	r = plot_relation_rank(c->relation) - plot_relation_rank(d->relation);
	if (r)
		return r;
	r = strcmp(c->relation, d->relation);
	return r ? r : cmp_num(c->lat.pct[0], d->lat.pct[0]);
}

static void td_placement(FILE *f, const struct rf_cell *c)
{
	char b[64];

	if (c->client_cpu >= 0 && c->server_cpu >= 0)
		snprintf(b, sizeof(b), "%s %d,%d", c->relation, c->client_cpu, c->server_cpu);
	else
		snprintf(b, sizeof(b), "%s", c->relation);
	td(f, NULL, b);
}

static void td_cost(FILE *f, const struct rf_cost *cost)
{
	char a[32], b[32], s[80];

	if (!cost->present || (isnan(cost->cpu_ns_per_msg[0]) && isnan(cost->cpu_ns_per_msg[1]))) {
		td(f, "n", NULL);
		td(f, "n", NULL);
		return;
	}
	units_ns(cost->cpu_ns_per_msg[0], UNITS_TEXT, a, sizeof(a));
	units_ns(cost->cpu_ns_per_msg[1], UNITS_TEXT, b, sizeof(b));
	snprintf(s, sizeof(s), "%s + %s", a, b);
	if (cost->threads[0] > 0 && cost->threads[1] > 0) {
		size_t n = strlen(s);

		snprintf(s + n, sizeof(s) - n, " (%lld + %lld threads)", (long long)cost->threads[0],
			 (long long)cost->threads[1]);
	}
	td(f, "n", s);
	snprintf(s, sizeof(s), "%.3g + %.3g", cost->cs_per_msg[0], cost->cs_per_msg[1]);
	td(f, "n", s);
}

static void summary_row(FILE *f, const struct plot_set *ps, const struct plot_cell *pc)
{
	const struct rf_cell *c = pc->c;
	char b[48];

	fputs("<tr>", f);
	td(f, NULL, ps->series[pc->series].label);
	td(f, NULL, c->pattern);
	units_bytes(c->msg_bytes, b, sizeof(b));
	td(f, "n", b);
	td_placement(f, c);
	td(f, NULL, c->wait);
	td_ns(f, c->lat.pct[0]);
	td_ns(f, c->lat.pct[2]);
	td_ns(f, c->lat.pct[3]);
	td_ns(f, c->lat.max);
	units_si(c->msgs_per_sec, " ", "msg/s", b, sizeof(b));
	td(f, "n", b);
	units_si(c->bytes_per_sec, " ", "B/s", b, sizeof(b));
	td(f, "n", b);
	td_cost(f, &c->cost);
	fputs("</tr>\n", f);
}

static bool cmp_group(const struct plot_cell *a, const struct plot_cell *b)
{
	return strcmp(a->group, b->group) || a->c->msg_bytes != b->c->msg_bytes ||
	       strcmp(a->c->relation, b->c->relation);
}

/* A heading row for each pattern, size and placement. */
static void group_row(FILE *f, const struct plot_cell *pc)
{
	char b[48];

	fputs("<tr class=\"grp\"><th colspan=\"13\">", f);
	esc(f, pc->group);
	units_bytes(pc->c->msg_bytes, b, sizeof(b));
	fprintf(f, ", %s, ", b);
	esc(f, plot_relation_title(pc->c->relation));
	fputs("</th></tr>\n", f);
}

static void summary_table(FILE *f, const struct plot_set *ps)
{
	struct row *rows = calloc(ps->ncells + 1, sizeof(*rows));
	size_t n = 0;

	if (!rows)
		return;
	for (size_t i = 0; i < ps->ncells; i++) {
		if (!ps->cells[i].ok)
			continue;
		rows[n].pc = &ps->cells[i];
		rows[n++].group_rank = group_rank(ps, ps->cells[i].group);
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	fputs("<p class=\"note\">Latency is the round trip for ping-pong and open-loop cells, one way for stream\n"
	      "cells. CPU and context switches per message: client + server (and the threads each ran).</p>\n"
	      "<table>\n<thead><tr><th>transport</th><th>pattern</th><th>size</th><th>placement</th><th>wait</th>"
	      "<th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>messages/s</th><th>bytes/s</th>"
	      "<th>CPU per msg</th><th>ctx switches per msg</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		if (!i || cmp_group(rows[i - 1].pc, rows[i].pc))
			group_row(f, rows[i].pc);
		summary_row(f, ps, rows[i].pc);
	}
	fputs("</tbody>\n</table>\n", f);
	free(rows);
}

static void td_times(FILE *f, double x)
{
	char b[32];

	if (isnan(x)) {
		td(f, "n", NULL);
		return;
	}
	snprintf(b, sizeof(b), "%.2fx", x);
	td(f, "n", b);
}

/* "Cost of the layer": each library transport's cell over its raw transport's (plot_tax_rows). */
static void tax_table(FILE *f, const struct plot_set *ps)
{
	struct plot_tax_row *rows = calloc(ps->ncells + 1, sizeof(*rows));
	size_t n = rows ? plot_tax_rows(ps, rows) : 0;

	if (!n) {
		free(rows);
		return;
	}
	fputs("<h2 id=\"tax\">Cost of the layer</h2>\n<p class=\"note\">Each library transport against the raw "
	      "transport it sits on, measured in the same run with the same pattern, size, CPUs and wait: its p50 "
	      "and its CPU per message (client + server) as multiples of the raw one's.</p>\n<table>\n<thead><tr>"
	      "<th>transport</th><th>over</th><th>pattern</th><th>size</th><th>placement</th><th>wait</th>"
	      "<th>p50</th><th>raw p50</th><th>p50 multiple</th><th>CPU multiple</th><th>threads</th></tr></thead>\n"
	      "<tbody>\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const struct rf_cell *c = rows[i].pc->c, *r = rows[i].raw->c;
		char b[48];

		fputs("<tr>", f);
		td(f, NULL, c->variant);
		td(f, NULL, r->variant);
		td(f, NULL, c->pattern);
		units_bytes(c->msg_bytes, b, sizeof(b));
		td(f, "n", b);
		td_placement(f, c);
		td(f, NULL, c->wait);
		td_ns(f, c->lat.pct[0]);
		td_ns(f, r->lat.pct[0]);
		td_times(f, rows[i].p50_x);
		td_times(f, rows[i].cpu_x);
		if (c->cost.threads[0] > 0 && c->cost.threads[1] > 0)
			snprintf(b, sizeof(b), "%lld + %lld", (long long)c->cost.threads[0],
				 (long long)c->cost.threads[1]);
		else
			snprintf(b, sizeof(b), "-");
		td(f, "n", b);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	free(rows);
}

/* The cells that were not measured, with their reasons. */
static void unmeasured_table(FILE *f, const struct plot_set *ps)
{
	char b[48];

	if (ps->nok == ps->ncells)
		return;
	fputs("<h3>Cells not measured</h3>\n<table>\n<thead><tr><th>transport</th><th>pattern</th><th>size</th>"
	      "<th>placement</th><th>wait</th><th>status</th><th>reason</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < ps->ncells; i++) {
		const struct rf_cell *c = ps->cells[i].c;

		if (ps->cells[i].ok)
			continue;
		fputs("<tr>", f);
		td(f, NULL, c->transport);
		td(f, NULL, c->pattern);
		units_bytes(c->msg_bytes, b, sizeof(b));
		td(f, "n", b);
		td_placement(f, c);
		td(f, NULL, c->wait);
		td(f, NULL, c->status);
		td(f, NULL, c->reason ? c->reason : c->error);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

/* ---- charts ---- */

static const struct {
	enum plot_kind kind;
	const char *heading;
	const char *caption;
} sections[] = {
	{PLOT_SUMMARY, "Every transport at one size",
	 "Bars: p50; whiskers run on to the p99. Sorted by p50, fastest on top; log scale."},
	{PLOT_PLACEMENT, "Placement: same CPU against cross CPU",
	 "One bar per placement for each transport (p50), whiskers to the p99; log scale."},
	{PLOT_VS_SIZE, "Latency against message size",
	 "p50 solid, p99 dashed in the same colour; both axes log scale."},
	{PLOT_BYTES_VS_SIZE, "Stream throughput (bytes/s)", "One-way back-to-back messages; both axes log scale."},
	{PLOT_MSGS_VS_SIZE, "Stream throughput (messages/s)", "One-way back-to-back messages; both axes log scale."},
	{PLOT_ZEROCOPY, "Zero-copy against the copy floor",
	 "Stream throughput of pipe, vmsplice, cma, memfd, shm_ring and shm_spin (those measured) by message size; "
	 "both axes log scale. The horizontal lines are copy floors from the same run's calibration: the "
	 "shared-memory copy between the placement's CPUs (shm copy, black) and memcpy on one CPU at each "
	 "calibrated size (grey); a transport at a floor moves data as fast as one plain copy. Circles mark "
	 "crossovers, where a line passes pipe's or shm_ring's: small messages favour the rings, large ones "
	 "page moves."},
	{PLOT_TAX, "The framework tax",
	 "Each library transport's p50 (solid) and CPU per message, client + server (dashed), as a multiple of "
	 "the raw transport it sits on, measured in the same run on the same CPUs; 1x is no tax. Log scale."},
	{PLOT_CLIENTS, "Many clients, many pairs",
	 "Upper panel: the aggregate rate of all members (round trips/s for ping-pong); lower panel: the p99 of "
	 "every member's histogram merged; one line per transport, against the number of clients of one server "
	 "(--clients) or of independent pairs (--pairs). Both axes log scale."},
	{PLOT_PERCENTILE, "Latency by percentile",
	 "From each cell's full HDR histogram. Each step right is one more nine; a line ends where its samples run "
	 "out."},
};

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Prefixes the ids of one chart (and the references to them) so charts never share an id. */
static size_t copy_id_ref(FILE *f, const char *s, int idx)
{
	static const char *const refs[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		if (starts(s, refs[i])) {
			fprintf(f, "%sc%d-", refs[i], idx);
			return strlen(refs[i]);
		}
	}
	fputc(*s, f);
	return 1;
}

/* Copies the <svg> opening tag without its xmlns attributes (HTML needs none). */
static const char *copy_svg_tag(FILE *f, const char *s)
{
	while (*s && *s != '>') {
		if (isspace((unsigned char)*s) && starts(s + strspn(s, " \t\r\n"), "xmlns")) {
			const char *q;

			s += strspn(s, " \t\r\n");
			q = strpbrk(s, "\"'");
			if (!q || !(q = strchr(q + 1, *q)))
				return NULL;
			s = q + 1;
			continue;
		}
		fputc(*s == '\n' ? ' ' : *s, f);
		s++;
	}
	return *s ? s : NULL;
}

static int inline_svg(FILE *f, const char *path, const char *title, int idx)
{
	FILE *in = fopen(path, "r");
	char *text = NULL, *s;
	size_t len = 0;
	ssize_t n;

	if (!in)
		return -errno;
	n = getdelim(&text, &len, '\0', in);
	fclose(in);
	s = n > 0 ? strstr(text, "<svg") : NULL;
	if (s)
		s = (char *)copy_svg_tag(f, s);
	if (!s) {
		free(text);
		return -EINVAL;
	}
	fputs(" role=\"img\" aria-label=\"", f);
	esc(f, title);
	fputc('"', f);
	while (*s)
		s += copy_id_ref(f, s, idx);
	fputc('\n', f);
	free(text);
	return 0;
}

static int chart_figure(FILE *f, const struct plot_chart *c, const char *dir, const char *caption, int idx, char *err,
			size_t errlen)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/%s.svg", dir, c->name);
	fprintf(f, "<figure id=\"%s\">\n", c->name);
	r = inline_svg(f, path, c->title, idx);
	if (r) {
		snprintf(err, errlen, "%s: %s", path, r == -EINVAL ? "not an SVG file" : strerror(-r));
		return r;
	}
	fputs("<figcaption>", f);
	esc(f, c->title);
	fputs(". ", f);
	esc(f, caption);
	if (c->note[0]) {
		fputc(' ', f);
		esc(f, c->note);
	}
	fputs("</figcaption>\n</figure>\n", f);
	return 0;
}

static int figures(FILE *f, const struct plot_set *ps, const char *dir, char *err, size_t errlen)
{
	int idx = 0;

	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		bool any = false;

		for (size_t i = 0; i < ps->ncharts; i++) {
			if (ps->charts[i].kind != sections[s].kind)
				continue;
			if (!any)
				fprintf(f, "<h2 id=\"k%zu\">%s</h2>\n", s, sections[s].heading);
			any = true;
			if (chart_figure(f, &ps->charts[i], dir, sections[s].caption, idx++, err, errlen))
				return -EIO;
		}
	}
	return 0;
}

static void contents(FILE *f, const struct plot_set *ps)
{
	fputs("<nav><ol><li><a href=\"#advice\">Which should I use?</a></li><li><a "
	      "href=\"#machine\">Machine</a></li><li><a href=\"#config\">Configuration</a></li>"
	      "<li><a href=\"#summary\">Summary table</a></li><li><a href=\"#tax\">Cost of the layer</a></li>",
	      f);
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		for (size_t i = 0; i < ps->ncharts; i++) {
			if (ps->charts[i].kind == sections[s].kind) {
				fprintf(f, "<li><a href=\"#k%zu\">%s</a></li>", s, sections[s].heading);
				break;
			}
		}
	}
	fputs("</ol></nav>\n", f);
}

int html_write(FILE *f, const struct plot_set *ps, const char *dir, char *err, size_t errlen)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>ipcbench report: ",
	      f);
	esc(f, ps->subtitle);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>ipcbench report</h1>\n<p class=\"sub\">", css);
	esc(f, ps->subtitle);
	fputs("</p>\n", f);
	contents(f, ps);
	advice_section(f, ps);
	fputs("<h2 id=\"machine\">Machine</h2>\n", f);
	facts_table(f, ps, false);
	fputs("<h2 id=\"config\">Configuration</h2>\n", f);
	facts_table(f, ps, true);
	fputs("<h2 id=\"summary\">Summary table</h2>\n", f);
	summary_table(f, ps);
	advice_load_table(f, ps);
	tax_table(f, ps);
	plot_clients_table(f, ps, td);
	unmeasured_table(f, ps);
	if (figures(f, ps, dir, err, errlen))
		return -EIO;
	fputs("</body>\n</html>\n", f);
	return 0;
}
/* ---- temporary directory, atomic output ---- */

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The report file, through the one output writer: a bad -o is bad input. */
static int write_report(const struct html_opts *o, const struct plot_set *ps, const char *dir, enum html_failure *why,
			char *err, size_t errlen)
{
	struct outfile of;
	int r = outfile_open(&of, o->out, err, errlen);

	*why = HTML_BAD_INPUT;
	if (r)
		return r;
	*why = HTML_FAILED;
	r = html_write(of.f, ps, dir, err, errlen);
	if (!r && o->stop && *o->stop) {
		*why = HTML_INTERRUPTED;
		r = -EINTR;
	}
	if (r) {
		outfile_abort(&of);
		return r;
	}
	return outfile_commit(&of, err, errlen);
}

/* The charts as SVG in dir, then the report from them. */
static int draw_and_write(struct plot_set *ps, const struct html_opts *o, const char *dir, enum html_failure *why,
			  char *err, size_t errlen)
{
	struct plot_opts po = {.dir = dir, .formats = PLOT_SVG, .summary_bytes = o->summary_bytes, .stop = o->stop};
	int r = plot_write(ps, &po, err, errlen);

	*why = HTML_BAD_INPUT;
	if (!r && o->stop && *o->stop)
		r = -EINTR;
	if (!r) {
		*why = HTML_FAILED;
		r = plot_render(ps, &po, o->gnuplot, err, errlen);
	}
	if (r == -EINTR) {
		*why = HTML_INTERRUPTED;
		return r;
	}
	return r ? r : write_report(o, ps, dir, why, err, errlen);
}

int html_report(struct plot_set *ps, const struct html_opts *o, enum html_failure *why, char *err, size_t errlen)
{
	const char *t = getenv("TMPDIR");
	char dir[PATH_MAX];
	int r;

	*why = HTML_BAD_INPUT;
	r = outfile_check(o->out, err, errlen);
	if (r)
		return r;
	snprintf(dir, sizeof(dir), "%s/ipcb-report.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		r = -errno;
		*why = HTML_FAILED;
		snprintf(err, errlen, "cannot create a temporary directory %s: %s", dir, strerror(-r));
		return r;
	}
	r = draw_and_write(ps, o, dir, why, err, errlen);
	remove_tree(dir);
	return r;
}
