/*
 * plot_percentile.c - chart family 1: latency by percentile, one line per
 * series from each cell's HDR histogram (its .hgrm rows).
 */
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "harness/hdr/codec.h"
#include "harness/hdr/hgrm.h"
#include "harness/hdr/hist.h"

static double lat_min(const struct rf_cell *c)
{
	return c->lat.min;
}

static double lat_max(const struct rf_cell *c)
{
	return c->lat.max;
}

/* ---- chart 1: latency by percentile ---- */

/* One block: the .hgrm rows of the cell's histogram, x capped at the sample count. */
static int percentile_block(struct plot_writer *w, FILE *f, const struct plot_cell *pc, int64_t *nmax)
{
	struct hist h;
	char why[200], *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m;
	int r = hist_decode_base64(&h, pc->c->lat.hdr, why, sizeof(why));

	if (r) {
		plot_err(w->err, w->errlen, "%s: %s: histogram: %s", w->ps->files[pc->file].path, pc->c->key, why);
		return -EINVAL;
	}
	m = open_memstream(&buf, &len);
	r = m ? hist_write_hgrm(&h, m, PLOT_HGRM_TICKS, 1.0, true) : -ENOMEM;
	if (m)
		fclose(m);
	if (h.total_count > *nmax)
		*nmax = h.total_count;
	for (line = strtok_r(buf, "\n", &save); !r && line; line = strtok_r(NULL, "\n", &save)) {
		char *e;
		double v = strtod(line, &e), p, x;
		long long cum;

		if (*e != ',')
			continue; /* the header */
		p = strtod(e + 1, &e);
		cum = strtoll(e + 1, NULL, 10);
		x = p < 1.0 ? 1.0 / (1.0 - p) : (double)h.total_count;
		if (x > (double)h.total_count)
			x = (double)h.total_count;
		fprintf(f, "%.10g %.10g %.0f %lld\n", p * 100.0, x, v, cum);
	}
	free(buf);
	hist_release(&h);
	return r;
}

/* "0%" 1, "50%" 2, "90%" 10, ... up to the largest 1/(1-p) a chart reaches. */
static char *nines_tics(int64_t nmax)
{
	/* tic labels are formats to gnuplot: %% prints one % */
	static const char *const label[] = {"50%%",	"90%%",	     "99%%",	   "99.9%%",	 "99.99%%",
					    "99.999%%", "99.9999%%", "99.99999%%", "99.999999%%"};
	char *t = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);
	double x = 10;

	if (!m)
		return NULL;
	fprintf(m, "\"0%%%%\" 1, \"50%%%%\" 2");
	for (int i = 1; i < 9 && x <= (double)nmax * 1.0001; i++, x *= 10)
		fprintf(m, ", \"%s\" %.0f", label[i], x);
	fclose(m);
	return t;
}

static void percentile_plot_line(FILE *m, const char *name, size_t idx, const struct plot_series *s, double div)
{
	fprintf(m, "%s'%s.dat' index %zu using 2:($3/%g) with linespoints lt %d pi 6 title ", idx ? ", \\\n     " : "",
		name, idx, div, s->style);
	plot_gp_quote(m, s->label);
}

static int percentile_data(struct plot_writer *w, const char *name, const struct plot_pick *p, const size_t *ser,
			   size_t n, int64_t *nmax)
{
	struct outfile of;
	FILE *f = plot_open_out(w, &of, name, "dat");
	int r = 0;

	if (!f)
		return -errno;
	plot_dat_header(w, f, "latency by percentile (.hgrm rows of each cell's HDR histogram)",
			"percentile (%), one_over_one_minus_p (1/(1-p), capped at the sample count), latency_ns (ns), "
			"total_count (samples at or below)");
	for (size_t i = 0; i < n && !r; i++) {
		struct plot_pick q = *p;
		const struct plot_cell *pc;

		q.series = ser[i];
		pc = plot_find_cell(w->ps, &q);
		plot_dat_block(f, i, &w->ps->series[ser[i]], pc);
		r = percentile_block(w, f, pc, nmax);
	}
	if (r) {
		outfile_abort(&of);
		return r;
	}
	return plot_close_out(w, &of);
}

static int percentile_chart(struct plot_writer *w, const struct plot_pick *p)
{
	size_t *ser = calloc(w->ps->nseries + 1, sizeof(*ser)), n;
	const struct plot_cell *any = plot_find_cell(w->ps, p);
	char name[128], title[192];
	struct plot_names nm;
	struct plot_unit u = plot_chart_time_unit(w->ps, p);
	double lo, hi;
	int64_t nmax = 2;
	char *plot = NULL;
	size_t plen = 0;
	FILE *m;
	int r;

	if (!ser)
		return -ENOMEM;
	n = plot_pick_series(w->ps, *p, ser);
	plot_chart_names(w->ps, p, any, &nm);
	snprintf(name, sizeof(name), "latency-by-percentile-%s-%s-%s", nm.gtag, nm.tag, nm.rel);
	snprintf(title, sizeof(title), "Latency by percentile: %s, %s, %s%s", nm.gt, nm.sz,
		 plot_relation_title(p->relation), nm.cpus);
	r = percentile_data(w, name, p, ser, n, &nmax);
	m = r ? NULL : open_memstream(&plot, &plen);
	for (size_t i = 0; m && i < n; i++)
		percentile_plot_line(m, name, i, &w->ps->series[ser[i]], u.div);
	if (m)
		fclose(m);
	free(ser);
	if (r)
		return r;
	plot_var_take(w, "PLOT", plot);
	plot_var_take(w, "XTICS", nines_tics(nmax));
	plot_var_set(w, "XMAX", "%" PRId64, nmax);
	plot_var_set(w, "YLABEL", "%s (%s, log scale)", plot_latency_meaning(any->c->pattern), u.name);
	plot_extent(w->ps, p, lat_min, lat_max, &lo, &hi);
	plot_var_take(w, "YEXTRA", plot_log_tics_extra(lo, hi, u.div));
	return plot_finish_chart(w, PLOT_PERCENTILE, name, title, "latency-by-percentile.gp", 1000,
				 plot_line_height(n));
}

int plot_percentile_charts(struct plot_writer *w)
{
	const char **groups = calloc(w->ps->ncells + 1, sizeof(*groups));
	const char **rels = calloc(w->ps->ncells + 1, sizeof(*rels));
	int64_t *sizes = calloc(w->ps->ncells + 1, sizeof(*sizes));
	size_t ng, nr, nsz;
	int r = groups && rels && sizes ? 0 : -ENOMEM;

	ng = r ? 0 : plot_list_groups(w->ps, groups);
	for (size_t g = 0; g < ng && !r; g++) {
		struct plot_pick p = {.group = groups[g], .series = SIZE_MAX, .hdr = true};

		nsz = plot_list_sizes(w->ps, &p, sizes);
		for (size_t s = 0; s < nsz && !r; s++) {
			p.bytes = sizes[s];
			p.relation = NULL;
			nr = plot_list_relations(w->ps, &p, rels);
			for (size_t k = 0; k < nr && !r; k++) {
				p.relation = rels[k];
				r = percentile_chart(w, &p);
			}
		}
	}
	free(groups);
	free(rels);
	free(sizes);
	return r;
}
