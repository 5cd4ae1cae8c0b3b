/*
 * plot_placement.c - chart family 5: same vs cross CPU (every placement
 * side by side) per series at one size.
 */
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

static int placement_data(struct plot_writer *w, const char *name, const struct plot_pick *p, const char **rels,
			  size_t nr, const struct plot_bar_row *rows, size_t n, double *lo, double *hi)
{
	struct outfile of;
	FILE *f = plot_open_out(w, &of, name, "dat");

	if (!f)
		return -errno;
	plot_dat_header(
		w, f, "placement effect at one size, sorted by the first placement's p50",
		"row (0 = top), series (label), then per placement: p50_ns (ns), p99_ns (ns), text (bar label)");
	fprintf(f, "# placements, in column order:");
	for (size_t k = 0; k < nr; k++)
		fprintf(f, " %s", rels[k]);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%zu ", i);
		plot_dat_quote(f, w->ps->series[rows[i].series].label);
		for (size_t k = 0; k < nr; k++) {
			struct plot_pick q = *p;
			const struct plot_cell *pc;
			char text[96];

			q.series = rows[i].series;
			q.relation = rels[k];
			pc = plot_find_cell(w->ps, &q);
			plot_dat_num(f, pc ? plot_p50(pc->c) : NAN);
			plot_dat_num(f, pc ? plot_p99(pc->c) : NAN);
			if (pc)
				plot_bar_label(pc->c, text, sizeof(text));
			fputc(' ', f);
			plot_dat_quote(f, pc ? text : "");
			if (pc)
				plot_bar_extremes(pc->c, lo, hi);
		}
		fputc('\n', f);
	}
	return plot_close_out(w, &of);
}

struct bar_geom {
	double off;  /* the bar's centre, from the row's centre */
	double half; /* half its height */
	int col;     /* its p50 column; p99 and the label follow */
};

static struct bar_geom bar_geom(size_t k, size_t nr)
{
	double h = 0.8 / (double)nr;

	return (struct bar_geom){-0.4 + h * ((double)k + 0.5), h * 0.45, 3 + 3 * (int)k};
}

static void placement_bar(FILE *m, const char *name, const struct plot_set *ps, const struct plot_pick *p,
			  const char *rel, size_t k, size_t nr, double div)
{
	static const char *const fills[] = {"fs solid 0.9 border lc 'black'", "fs solid 0.9 border lc 'black'",
					    "fs pattern 5 border lc 'black'", "fs pattern 4 border lc 'black'"};
	struct bar_geom g = bar_geom(k, nr);
	struct plot_pick q = *p;
	char cpus[32];

	q.relation = rel;
	plot_cpus_note(ps, &q, cpus, sizeof(cpus));
	fprintf(m, "%s'%s.dat' using (xmin):($1%+g):(xmin):($%d/%g):($1%+g):($1%+g)%s with boxxyerror ls %zu %s title ",
		k ? ", \\\n     " : "", name, g.off, g.col, div, g.off - g.half, g.off + g.half, k ? "" : ":ytic(2)",
		101 + k % 4, fills[k % 4]);
	plot_gp_quote(m, plot_relation_title(rel));
	fprintf(m, " . ");
	plot_gp_quote(m, cpus);
}

static void placement_whisker(FILE *m, size_t k, size_t nr, double div)
{
	struct bar_geom g = bar_geom(k, nr);

	fprintf(m, ", \\\n     '' using ($%d/%g):($1%+g):($%d/%g):($%d/%g) with xerrorbars ls 100 notitle", g.col + 1,
		div, g.off, g.col, div, g.col + 1, div);
	fprintf(m, ", \\\n     '' using (xmax):($1%+g):%d with labels left offset 1.5,0 font ',9' notitle", g.off,
		g.col + 2);
}

/* One bar per placement in each row (p50), whiskers to the p99, the p50 written at the whisker's end. */
static char *placement_plot(const char *name, const char **rels, size_t nr, const struct plot_set *ps,
			    const struct plot_pick *p, double div)
{
	char *t = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);

	if (!m)
		return NULL;
	for (size_t k = 0; k < nr; k++)
		placement_bar(m, name, ps, p, rels[k], k, nr, div);
	for (size_t k = 0; k < nr; k++)
		placement_whisker(m, k, nr, div);
	fputs(", \\\n     keyentry with xerrorbars ls 100 title 'p99 (whisker end)'", m);
	fclose(m);
	return t;
}

int plot_placement_chart(struct plot_writer *w, const struct plot_pick *p, const char **rels, size_t nr)
{
	char name[128], title[192];
	struct plot_bar_chart b;
	int r = plot_bar_begin(w, p, rels[0], &b);

	if (r)
		return r;
	snprintf(name, sizeof(name), "placement-%s-%s", b.nm.gtag, b.nm.tag);
	snprintf(title, sizeof(title), "Placement effect at %s: %s, p50 by placement", b.nm.sz, b.nm.gt);
	r = placement_data(w, name, p, rels, nr, b.rows, b.n, &b.lo, &b.hi);
	free(b.rows);
	if (r)
		return r;
	plot_bar_vars(w, &b);
	plot_var_take(w, "PLOT", placement_plot(name, rels, nr, w->ps, p, b.u.div));
	return plot_finish_chart(w, PLOT_PLACEMENT, name, title, "placement.gp", 1000,
				 (int)(190 + (double)b.n * (18.0 * (double)nr + 14)));
}
