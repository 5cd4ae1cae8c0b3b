/*
 * plot_summary.c - chart family 4: bars of every series at one size,
 * sorted by p50, and the bar rows the placement chart shares.
 */
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

/* ---- charts 4 and 5: bars at one size ---- */

/* The group the bar charts show: ping-pong, else the first that is not stream. */
static const char *bar_group(const struct plot_set *ps)
{
	const char *first = NULL;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];

		if (!pc->ok || !strcmp(pc->group, "stream"))
			continue;
		if (!strcmp(pc->group, "pingpong"))
			return pc->group;
		if (!first)
			first = pc->group;
	}
	return first;
}

static int bar_size(struct plot_writer *w, const char *group, int64_t *bytes)
{
	int64_t *sizes = calloc(w->ps->ncells + 1, sizeof(*sizes));
	struct plot_pick p = {.group = group, .series = SIZE_MAX, .p50 = true};
	size_t n;
	int r = 0;

	if (!sizes)
		return -ENOMEM;
	n = plot_list_sizes(w->ps, &p, sizes);
	p.bytes = w->o->summary_bytes ? (int64_t)w->o->summary_bytes : 64;
	if (plot_find_cell(w->ps, &p)) {
		*bytes = p.bytes;
	} else if (!w->o->summary_bytes || !n) {
		*bytes = sizes[0]; /* 0 when nothing has a p50: no bar charts */
	} else {
		char s[32];

		units_bytes(p.bytes, s, sizeof(s));
		plot_err(w->err, w->errlen, "--size %s: no measured %s cell has that size (measured: ", s, group);
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(w->err);

			units_bytes(sizes[i], s, sizeof(s));
			snprintf(w->err + l, w->errlen - l, "%s%s", i ? ", " : "", s);
		}
		snprintf(w->err + strlen(w->err), w->errlen - strlen(w->err), ")");
		r = -EINVAL;
	}
	free(sizes);
	return r;
}

static int cmp_bar_row(const void *a, const void *b)
{
	const struct plot_bar_row *x = a, *y = b;

	if (isfinite(x->key) != isfinite(y->key))
		return isfinite(x->key) ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

/* The series with a cell chosen by p, sorted by the p50 at relation rel0. */
size_t plot_bar_rows(const struct plot_set *ps, struct plot_pick p, const char *rel0, struct plot_bar_row *rows)
{
	size_t *ser = calloc(ps->nseries + 1, sizeof(*ser)), n;

	if (!ser)
		return 0;
	n = plot_pick_series(ps, p, ser);
	for (size_t i = 0; i < n; i++) {
		struct plot_pick q = p;
		const struct plot_cell *pc;

		q.series = ser[i];
		q.relation = rel0;
		pc = plot_find_cell(ps, &q);
		rows[i].series = ser[i];
		rows[i].key = pc ? plot_p50(pc->c) : NAN;
	}
	free(ser);
	qsort(rows, n, sizeof(*rows), cmp_bar_row);
	return n;
}

void plot_bar_label(const struct rf_cell *c, char *out, size_t outlen)
{
	char a[32], b[32];

	units_ns(plot_p50(c), UNITS_TEXT, a, sizeof(a));
	units_ns(plot_p99(c), UNITS_TEXT, b, sizeof(b));
	snprintf(out, outlen, "%s | %s", a, b);
}

/* The x range: a decade under the lowest p50, a little room right of the highest p99. */
void plot_bar_range(struct plot_writer *w, double lo, double hi, double div)
{
	if (!isfinite(lo) || lo <= 0)
		lo = 1;
	if (!isfinite(hi) || hi < lo)
		hi = lo;
	plot_var_set(w, "XMIN", "%g", pow(10, floor(log10(lo / div * 0.9))));
	plot_var_set(w, "XMAX", "%g", hi / div * 1.6);
}

void plot_bar_extremes(const struct rf_cell *c, double *lo, double *hi)
{
	if (isfinite(plot_p50(c)) && (!isfinite(*lo) || plot_p50(c) < *lo))
		*lo = plot_p50(c);
	if (isfinite(plot_p99(c)) && (!isfinite(*hi) || plot_p99(c) > *hi))
		*hi = plot_p99(c);
	if (isfinite(plot_p50(c)) && (!isfinite(*hi) || plot_p50(c) > *hi))
		*hi = plot_p50(c);
}

static int summary_data(struct plot_writer *w, const char *name, const struct plot_pick *p,
			const struct plot_bar_row *rows, size_t n, double *lo, double *hi)
{
	struct outfile of;
	FILE *f = plot_open_out(w, &of, name, "dat");

	if (!f)
		return -errno;
	plot_dat_header(w, f, "summary at one size, sorted by p50",
			"row (0 = top), series (label), p50_ns (ns), p99_ns (ns), p99.9_ns (ns), max_ns (ns), "
			"style (linetype), text (bar label)");
	for (size_t i = 0; i < n; i++) {
		struct plot_pick q = *p;
		const struct plot_cell *pc;
		char text[96];

		q.series = rows[i].series;
		pc = plot_find_cell(w->ps, &q);
		plot_bar_label(pc->c, text, sizeof(text));
		fprintf(f, "%zu ", i);
		plot_dat_quote(f, w->ps->series[rows[i].series].label);
		plot_dat_num(f, plot_p50(pc->c));
		plot_dat_num(f, plot_p99(pc->c));
		plot_dat_num(f, pc->c->lat.pct[3]);
		plot_dat_num(f, pc->c->lat.max);
		fprintf(f, " %d ", w->ps->series[rows[i].series].style);
		plot_dat_quote(f, text);
		fputc('\n', f);
		plot_bar_extremes(pc->c, lo, hi);
	}
	return plot_close_out(w, &of);
}

int plot_bar_begin(struct plot_writer *w, const struct plot_pick *p, const char *rel0, struct plot_bar_chart *b)
{
	b->rows = calloc(w->ps->nseries + 1, sizeof(*b->rows));
	if (!b->rows)
		return -ENOMEM;
	b->any = plot_find_cell(w->ps, p);
	b->u = plot_chart_time_unit(w->ps, p);
	b->lo = b->hi = NAN;
	b->n = plot_bar_rows(w->ps, *p, rel0, b->rows);
	plot_chart_names(w->ps, p, b->any, &b->nm);
	return 0;
}

void plot_bar_vars(struct plot_writer *w, const struct plot_bar_chart *b)
{
	plot_bar_range(w, b->lo, b->hi, b->u.div);
	plot_var_set(w, "NROWS", "%zu", b->n);
	plot_var_set(w, "XLABEL", "%s (%s, log scale): bar p50, whisker to p99",
		     plot_latency_meaning(b->any->c->pattern), b->u.name);
}

static int summary_chart(struct plot_writer *w, const struct plot_pick *p)
{
	char name[128], title[192];
	struct plot_bar_chart b;
	int r = plot_bar_begin(w, p, p->relation, &b);

	if (r)
		return r;
	snprintf(name, sizeof(name), "summary-%s-%s-%s", b.nm.gtag, b.nm.tag, b.nm.rel);
	snprintf(title, sizeof(title), "Every transport at %s: %s, %s%s, sorted by p50", b.nm.sz, b.nm.gt,
		 plot_relation_title(p->relation), b.nm.cpus);
	r = summary_data(w, name, p, b.rows, b.n, &b.lo, &b.hi);
	free(b.rows);
	if (r)
		return r;
	plot_bar_vars(w, &b);
	plot_var_set(w, "DIV", "%g", b.u.div);
	return plot_finish_chart(w, PLOT_SUMMARY, name, title, "summary.gp", 1000, (int)(170 + 38 * b.n));
}
int plot_bar_charts(struct plot_writer *w)
{
	const char *group = bar_group(w->ps);
	const char **rels = calloc(w->ps->ncells + 1, sizeof(*rels));
	struct plot_pick p = {.group = group, .series = SIZE_MAX, .p50 = true};
	size_t nr;
	int r = rels ? 0 : -ENOMEM;

	if (!group || r) {
		free(rels);
		return r;
	}
	r = bar_size(w, group, &p.bytes);
	nr = r || !p.bytes ? 0 : plot_list_relations(w->ps, &p, rels);
	for (size_t k = 0; k < nr && !r; k++) {
		struct plot_pick q = p;

		q.relation = rels[k];
		r = summary_chart(w, &q);
	}
	if (!r && nr > 1)
		r = plot_placement_chart(w, &p, rels, nr);
	free(rels);
	return r;
}
