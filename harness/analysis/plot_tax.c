/*
 * plot_tax.c - chart family 7: the framework tax.  A library transport
 * (D-Bus, RPC, HTTP over a socket) names in its result the raw transport
 * it sits on (raw_transport); each of its cells is paired with the raw
 * transport's cell of the same file, pattern, size, placement (the same
 * CPUs) and wait, and its p50 and CPU per message (client + server) are
 * given as multiples of the raw one's.  The report's "cost of the layer"
 * table (html.c) lists the pairs; the chart draws the p50 multiple
 * (solid) and the CPU multiple (dashed) against message size, one line
 * per library transport, per pattern and placement.
 */
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double cpu_per_msg(const struct rf_cell *c)
{
	if (!c->cost.present || isnan(c->cost.cpu_ns_per_msg[0]) || isnan(c->cost.cpu_ns_per_msg[1]))
		return NAN;
	return c->cost.cpu_ns_per_msg[0] + c->cost.cpu_ns_per_msg[1];
}

static bool same_cell(const struct plot_cell *a, const struct plot_cell *b)
{
	const struct rf_cell *x = a->c, *y = b->c;

	return a->file == b->file && !strcmp(x->pattern, y->pattern) && x->msg_bytes == y->msg_bytes &&
	       !strcmp(x->relation, y->relation) && x->client_cpu == y->client_cpu && x->server_cpu == y->server_cpu &&
	       !strcmp(x->wait, y->wait);
}

size_t plot_tax_rows(const struct plot_set *ps, struct plot_tax_row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];

		if (!pc->ok || !pc->c->raw_transport)
			continue;
		for (size_t j = 0; j < ps->ncells; j++) {
			const struct plot_cell *raw = &ps->cells[j];
			double a = cpu_per_msg(pc->c), b = cpu_per_msg(raw->c);

			if (!raw->ok || strcmp(raw->c->variant, pc->c->raw_transport) || !same_cell(pc, raw))
				continue;
			rows[n] = (struct plot_tax_row){.pc = pc, .raw = raw};
			rows[n].p50_x = plot_p50(raw->c) > 0 ? plot_p50(pc->c) / plot_p50(raw->c) : NAN;
			rows[n].cpu_x = b > 0 && !isnan(a) ? a / b : NAN;
			n++;
			break;
		}
	}
	return n;
}

/* The distinct variants of rows picked by group and relation, in order of appearance. */
static size_t tax_variants(const struct plot_tax_row *rows, size_t n, const char *group, const char *rel,
			   const char **out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const char *v = rows[i].pc->c->variant;
		bool seen = false;

		if (strcmp(rows[i].pc->group, group) || strcmp(rows[i].pc->c->relation, rel))
			continue;
		for (size_t j = 0; j < k && !seen; j++)
			seen = !strcmp(out[j], v);
		if (!seen)
			out[k++] = v;
	}
	return k;
}

static int tax_data(struct plot_writer *w, const char *name, const struct plot_tax_row *rows, size_t n,
		    const char *group, const char *rel, const char **vars, size_t nv, double *ymax)
{
	struct outfile of;
	FILE *f = plot_open_out(w, &of, name, "dat");

	if (!f)
		return -errno;
	plot_dat_header(w, f, "the framework tax: each library transport over its raw transport, same run",
			"msg_bytes (bytes), p50_x (p50 / raw p50), cpu_x (CPU per msg / raw's), raw (its raw "
			"transport); one index per library transport");
	for (size_t v = 0; v < nv; v++) {
		fprintf(f, "%s# ", v ? "\n\n" : "");
		plot_dat_quote(f, vars[v]);
		fputc('\n', f);
		for (size_t i = 0; i < n; i++) {
			const struct plot_tax_row *r = &rows[i];

			if (strcmp(r->pc->c->variant, vars[v]) || strcmp(r->pc->group, group) ||
			    strcmp(r->pc->c->relation, rel))
				continue;
			fprintf(f, "%lld", (long long)r->pc->c->msg_bytes);
			plot_dat_num(f, r->p50_x);
			plot_dat_num(f, r->cpu_x);
			fputc(' ', f);
			plot_dat_quote(f, r->raw->c->variant);
			fputc('\n', f);
			if (r->p50_x > *ymax)
				*ymax = r->p50_x;
			if (r->cpu_x > *ymax)
				*ymax = r->cpu_x;
		}
	}
	return plot_close_out(w, &of);
}

static char *tax_plot(const char *name, const char **vars, size_t nv)
{
	char *t = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);

	if (!m)
		return NULL;
	for (size_t v = 0; v < nv; v++) {
		fprintf(m, "%s'%s.dat' index %zu using 1:2 with linespoints ls %zu lw 2 dt 1 title ",
			v ? ", \\\n     " : "", name, v, 1 + v % PLOT_NSTYLES);
		plot_gp_quote(m, vars[v]);
		fprintf(m, ", \\\n     '' index %zu using 1:3 with linespoints ls %zu lw 1 dt 2 notitle", v,
			1 + v % PLOT_NSTYLES);
	}
	fclose(m);
	return t;
}

static int tax_chart(struct plot_writer *w, const struct plot_tax_row *rows, size_t n, const char *group,
		     const char *rel)
{
	const char **vars = calloc(n, sizeof(*vars));
	char name[128], gtag[48], rtag[32], title[192];
	double ymax = 1;
	size_t nv;
	int r;

	if (!vars)
		return -ENOMEM;
	nv = tax_variants(rows, n, group, rel, vars);
	plot_safe_tag(group, gtag, sizeof(gtag));
	plot_safe_tag(rel, rtag, sizeof(rtag));
	snprintf(name, sizeof(name), "tax-%s-%s", gtag, rtag);
	snprintf(title, sizeof(title), "The framework tax: %s, %s, as a multiple of the raw transport", group,
		 plot_relation_title(rel));
	r = tax_data(w, name, rows, n, group, rel, vars, nv, &ymax);
	if (!r) {
		plot_var_set(w, "YMAX", "%g", ymax * 1.5);
		plot_var_take(w, "PLOT", tax_plot(name, vars, nv));
		r = plot_finish_chart(w, PLOT_TAX, name, title, "tax.gp", 1000, 600);
	}
	free(vars);
	return r;
}

int plot_tax_charts(struct plot_writer *w)
{
	struct plot_tax_row *rows = calloc(w->ps->ncells + 1, sizeof(*rows));
	size_t n;
	int r = 0;

	if (!rows)
		return -ENOMEM;
	n = plot_tax_rows(w->ps, rows);
	for (size_t i = 0; i < n && !r; i++) {
		bool first = true;

		/* one chart per pattern and placement: at the first row that has them */
		for (size_t j = 0; j < i && first; j++)
			first = strcmp(rows[j].pc->group, rows[i].pc->group) ||
				strcmp(rows[j].pc->c->relation, rows[i].pc->c->relation);
		if (first)
			r = tax_chart(w, rows, n, rows[i].pc->group, rows[i].pc->c->relation);
	}
	free(rows);
	return r;
}
