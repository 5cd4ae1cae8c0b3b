/*
 * plot_size.c - chart families 2 and 3: against message size, latency
 * (p50 and p99) and stream throughput (bytes/s and messages/s).
 */
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

struct plot_unit plot_rate_unit(double typical)
{
	if (typical >= 1e9)
		return (struct plot_unit){1e9, "G"};
	if (typical >= 1e6)
		return (struct plot_unit){1e6, "M"};
	if (typical >= 1e3)
		return (struct plot_unit){1e3, "k"};
	return (struct plot_unit){1, ""};
}

/* "k" -> "thousand": message counts read better in words. */
static const char *count_word(const char *prefix)
{
	if (!strcmp(prefix, "k"))
		return "thousand";
	if (!strcmp(prefix, "M"))
		return "million";
	if (!strcmp(prefix, "G"))
		return "billion";
	return prefix;
}

static double p99_or_p50(const struct rf_cell *c)
{
	return isfinite(c->lat.pct[2]) ? c->lat.pct[2] : c->lat.pct[0];
}

static double bytes_rate(const struct rf_cell *c)
{
	return c->bytes_per_sec;
}

static double msgs_rate(const struct rf_cell *c)
{
	return c->msgs_per_sec;
}

/* ---- charts 2 and 3: against message size ---- */

/* "64 B" 64, "4 KiB" 4096, ...: every size a tic, every other one labelled when crowded. */
char *plot_size_tics(const int64_t *sizes, size_t n)
{
	char *t = NULL, s[32];
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);
	size_t every = (n + 7) / 8; /* at most eight labels */

	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		units_bytes(sizes[i], s, sizeof(s));
		if ((n - 1 - i) % every)
			fprintf(m, "%s\"\" %" PRId64 " 1", i ? ", " : "", sizes[i]);
		else
			fprintf(m, "%s\"%s\" %" PRId64, i ? ", " : "", s, sizes[i]);
	}
	fclose(m);
	return t;
}

struct vs_size {
	enum plot_kind kind;
	const char *tmpl;
	const char *what; /* data file header */
	const char *columns;
};

static const struct vs_size vs_latency = {
	PLOT_VS_SIZE,
	"latency-vs-size.gp",
	"latency (p50 and p99) against message size",
	"msg_bytes (bytes), p50_ns (ns), p90_ns (ns), p99_ns (ns), p99.9_ns (ns), max_ns (ns), samples (count)",
};

static const struct vs_size vs_throughput = {
	PLOT_BYTES_VS_SIZE,
	NULL,
	"stream throughput against message size",
	"msg_bytes (bytes), msgs_per_sec (messages/s), bytes_per_sec (bytes/s), p50_ns (ns, one way)",
};

static void vs_size_row(FILE *f, const struct vs_size *k, const struct rf_cell *c)
{
	fprintf(f, "%" PRId64, c->msg_bytes);
	if (k == &vs_latency) {
		plot_dat_num(f, c->lat.pct[0]);
		plot_dat_num(f, c->lat.pct[1]);
		plot_dat_num(f, c->lat.pct[2]);
		plot_dat_num(f, c->lat.pct[3]);
		plot_dat_num(f, c->lat.max);
		fprintf(f, " %" PRId64 "\n", c->lat.count);
		return;
	}
	plot_dat_num(f, c->msgs_per_sec);
	plot_dat_num(f, c->bytes_per_sec);
	plot_dat_num(f, c->lat.pct[0]);
	fputc('\n', f);
}

/* Writes one block per series (rows by size); *has_p99 tells which blocks have a p99 to draw. */
static int vs_size_data(struct plot_writer *w, const char *name, const struct vs_size *k, const struct plot_pick *p,
			const size_t *ser, size_t n, const int64_t *sizes, size_t nsz, bool *has_p99)
{
	struct outfile of;
	FILE *f = plot_open_out(w, &of, name, "dat");

	if (!f)
		return -errno;
	plot_dat_header(w, f, k->what, k->columns);
	for (size_t i = 0; i < n; i++) {
		plot_dat_block(f, i, &w->ps->series[ser[i]], NULL);
		has_p99[i] = false;
		for (size_t s = 0; s < nsz; s++) {
			struct plot_pick q = *p;
			const struct plot_cell *pc;

			q.series = ser[i];
			q.bytes = sizes[s];
			pc = plot_find_cell(w->ps, &q);
			if (!pc)
				continue;
			vs_size_row(f, k, pc->c);
			has_p99[i] |= isfinite(plot_p99(pc->c));
		}
	}
	return plot_close_out(w, &of);
}

static void latency_vs_size_plot(FILE *m, const char *name, const struct plot_series *s, size_t i, bool has_p99,
				 double div)
{
	fprintf(m, "%s'%s.dat' index %zu using 1:($2/%g) with linespoints lt %d dt 1 title ", i ? ", \\\n     " : "",
		name, i, div, s->style);
	plot_gp_quote(m, s->label);
	if (has_p99)
		fprintf(m, ", \\\n     '%s.dat' index %zu using 1:($4/%g) with lines lt %d dt 2 notitle", name, i, div,
			s->style);
}

void plot_rate_line(FILE *m, const char *name, const struct plot_series *s, size_t i, int col, double div)
{
	fprintf(m, "%s'%s.dat' index %zu using 1:($%d/%g) with linespoints lt %d title ", i ? ", \\\n     " : "", name,
		i, col, div, s->style);
	plot_gp_quote(m, s->label);
}

/* The median of a column over the chosen cells, to pick a unit. */
double plot_typical_rate(const struct plot_set *ps, const struct plot_pick *p, bool bytes)
{
	double *v = calloc(ps->ncells + 1, sizeof(*v)), med;
	size_t n = 0;

	if (!v)
		return 1;
	for (size_t i = 0; i < ps->ncells; i++)
		if (plot_picked(&ps->cells[i], p))
			v[n++] = bytes ? ps->cells[i].c->bytes_per_sec : ps->cells[i].c->msgs_per_sec;
	med = plot_median(v, n);
	free(v);
	return med;
}

static void vs_size_names(struct plot_writer *w, const struct plot_pick *p, enum plot_kind kind, char *name,
			  size_t nlen, char *title, size_t tlen)
{
	char gtag[48];
	const struct plot_cell *any = plot_find_cell(w->ps, p);
	char rel[32], gt[48], cpus[32];
	const char *stem = kind == PLOT_VS_SIZE		? "latency-vs-size"
			   : kind == PLOT_BYTES_VS_SIZE ? "throughput-bytes-vs-size"
							: "throughput-msgs-vs-size";

	plot_safe_tag(p->relation, rel, sizeof(rel));
	plot_group_title(any, gt, sizeof(gt));
	plot_cpus_note(w->ps, p, cpus, sizeof(cpus));
	if (kind == PLOT_VS_SIZE) {
		plot_safe_tag(p->group, gtag, sizeof(gtag)); /* a pattern from the file: no '/' */
		snprintf(name, nlen, "%s-%s-%s", stem, gtag, rel);
		snprintf(title, tlen, "%s p50 and p99 by message size: %s, %s%s",
			 !strcmp(any->c->pattern, "stream") ? "One-way" : "Round-trip", gt,
			 plot_relation_title(p->relation), cpus);
	} else {
		snprintf(name, nlen, "%s-%s", stem, rel);
		snprintf(title, tlen, "Stream throughput (%s) by message size: %s%s",
			 kind == PLOT_BYTES_VS_SIZE ? "bytes/s" : "messages/s", plot_relation_title(p->relation), cpus);
	}
}

static void vs_size_vars(struct plot_writer *w, const struct plot_pick *p, enum plot_kind kind, struct plot_unit *u)
{
	double lo, hi;

	if (kind == PLOT_VS_SIZE) {
		*u = plot_chart_time_unit(w->ps, p);
		plot_var_set(w, "YLABEL", "%s (%s, log scale)",
			     plot_latency_meaning(plot_find_cell(w->ps, p)->c->pattern), u->name);
		plot_extent(w->ps, p, plot_p50, p99_or_p50, &lo, &hi);
	} else if (kind == PLOT_BYTES_VS_SIZE) {
		*u = plot_rate_unit(plot_typical_rate(w->ps, p, true));
		plot_var_set(w, "YLABEL", "throughput (%sB/s, log scale)", u->name);
		plot_extent(w->ps, p, bytes_rate, bytes_rate, &lo, &hi);
	} else {
		*u = plot_rate_unit(plot_typical_rate(w->ps, p, false));
		plot_var_set(w, "YLABEL", "throughput (%s%smessages/s, log scale)", count_word(u->name),
			     *u->name ? " " : "");
		plot_extent(w->ps, p, msgs_rate, msgs_rate, &lo, &hi);
	}
	plot_var_take(w, "YEXTRA", plot_log_tics_extra(lo, hi, u->div));
}

static int vs_size_chart(struct plot_writer *w, const struct plot_pick *p, enum plot_kind kind)
{
	const struct vs_size *k = kind == PLOT_VS_SIZE ? &vs_latency : &vs_throughput;
	size_t *ser = calloc(w->ps->nseries + 1, sizeof(*ser)), n, nsz;
	int64_t *sizes = calloc(w->ps->ncells + 1, sizeof(*sizes));
	bool *has_p99 = calloc(w->ps->nseries + 1, sizeof(*has_p99));
	char name[128], title[192], *plot = NULL;
	size_t plen = 0;
	struct plot_unit u;
	FILE *m = NULL;
	int r = ser && sizes && has_p99 ? 0 : -ENOMEM;

	n = r ? 0 : plot_pick_series(w->ps, *p, ser);
	nsz = r ? 0 : plot_list_sizes(w->ps, p, sizes);
	vs_size_names(w, p, kind, name, sizeof(name), title, sizeof(title));
	if (!r)
		r = vs_size_data(w, name, k, p, ser, n, sizes, nsz, has_p99);
	vs_size_vars(w, p, kind, &u);
	m = r ? NULL : open_memstream(&plot, &plen);
	for (size_t i = 0; m && i < n; i++) {
		if (kind == PLOT_VS_SIZE)
			latency_vs_size_plot(m, name, &w->ps->series[ser[i]], i, has_p99[i], u.div);
		else
			plot_rate_line(m, name, &w->ps->series[ser[i]], i, kind == PLOT_BYTES_VS_SIZE ? 3 : 2, u.div);
	}
	if (m)
		fclose(m);
	plot_var_take(w, "PLOT", plot);
	plot_var_take(w, "XTICS", nsz ? plot_size_tics(sizes, nsz) : NULL);
	plot_var_set(w, "XMIN", "%g", nsz ? (double)sizes[0] / 1.5 : 1);
	plot_var_set(w, "XMAX", "%g", nsz ? (double)sizes[nsz - 1] * 1.5 : 2);
	free(ser);
	free(sizes);
	free(has_p99);
	if (r) {
		plot_vars_clear(w);
		return r;
	}
	return plot_finish_chart(w, kind, name, title,
				 kind == PLOT_VS_SIZE ? "latency-vs-size.gp" : "throughput-vs-size.gp", 1000,
				 plot_line_height(kind == PLOT_VS_SIZE ? n + 2 : n));
}

int plot_size_charts(struct plot_writer *w)
{
	const char **groups = calloc(w->ps->ncells + 1, sizeof(*groups));
	const char **rels = calloc(w->ps->ncells + 1, sizeof(*rels));
	size_t ng, nr;
	int r = groups && rels ? 0 : -ENOMEM;

	ng = r ? 0 : plot_list_groups(w->ps, groups);
	for (size_t g = 0; g < ng && !r; g++) {
		bool stream = !strcmp(groups[g], "stream");
		struct plot_pick p = {.group = groups[g], .series = SIZE_MAX, .p50 = !stream, .rates = stream};

		nr = plot_list_relations(w->ps, &p, rels);
		for (size_t k = 0; k < nr && !r; k++) {
			p.relation = rels[k];
			if (!stream)
				r = vs_size_chart(w, &p, PLOT_VS_SIZE);
			if (stream && !r)
				r = vs_size_chart(w, &p, PLOT_BYTES_VS_SIZE);
			if (stream && !r)
				r = vs_size_chart(w, &p, PLOT_MSGS_VS_SIZE);
		}
	}
	free(groups);
	free(rels);
	return r;
}
