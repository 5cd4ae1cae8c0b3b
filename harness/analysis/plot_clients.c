/*
 * plot_clients.c - chart family 8, many members: how a mechanism's cost
 * grows as its work grows.  A --clients N cell is N clients of one server
 * on one channel; a --pairs N cell is N independent pairs at once.  Per
 * mode, pattern, size and placement one chart draws, against N (log
 * scale), the aggregate throughput (round trips/s for ping-pong, messages/s
 * otherwise) in the upper panel and the merged p99 in the lower one, one
 * line per transport (and wait, when the cells ran more than one).  The
 * report's table lists every such cell with its members' fairness.
 * Drawn only when the files hold such cells.
 */
#include "harness/analysis/plot_clients.h"
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

/* What one chart is drawn from: the mode and the pattern, size and placement of its cells. */
struct cl_key {
	bool fan_in;
	const char *group;
	int64_t bytes;
	const char *relation;
};

struct cl_line {
	const struct rf_cell *first; /* its variant and wait name the line */
	size_t *cells;		     /* indexes into ps->cells, by members ascending */
	size_t n;
};

static int64_t members(const struct rf_cell *c)
{
	return c->clients ? c->clients : c->pairs;
}

static bool is_pingpong(const struct rf_cell *c)
{
	return !strcmp(c->pattern, "pingpong");
}

/* The aggregate rate: round trips/s for ping-pong, messages/s otherwise. */
static double agg_rate(const struct rf_cell *c)
{
	return is_pingpong(c) ? c->round_trips_per_sec : c->msgs_per_sec;
}

static bool scale_cell(const struct plot_cell *pc)
{
	return pc->ok && members(pc->c) > 0;
}

static bool in_chart(const struct plot_cell *pc, const struct cl_key *k)
{
	return scale_cell(pc) && (pc->c->clients > 0) == k->fan_in && !strcmp(pc->group, k->group) &&
	       pc->c->msg_bytes == k->bytes && !strcmp(pc->c->relation, k->relation);
}

static struct cl_key key_of(const struct plot_cell *pc)
{
	return (struct cl_key){pc->c->clients > 0, pc->group, pc->c->msg_bytes, pc->c->relation};
}

static bool same_line(const struct rf_cell *a, const struct rf_cell *b)
{
	return !strcmp(a->variant, b->variant) && !strcmp(a->wait, b->wait);
}

/* Does the chart hold cells of more than one wait?  Then a line's label names its wait. */
static bool several_waits(const struct plot_set *ps, const struct cl_key *k)
{
	const char *w = NULL;

	for (size_t i = 0; i < ps->ncells; i++) {
		if (!in_chart(&ps->cells[i], k))
			continue;
		if (w && strcmp(w, ps->cells[i].c->wait))
			return true;
		w = ps->cells[i].c->wait;
	}
	return false;
}

static size_t chart_cells(const struct plot_set *ps, const struct cl_key *k)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++)
		n += in_chart(&ps->cells[i], k);
	return n;
}

static const struct plot_set *sort_ps;

static int by_members(const void *a, const void *b)
{
	int64_t x = members(sort_ps->cells[*(const size_t *)a].c), y = members(sort_ps->cells[*(const size_t *)b].c);

	return (x > y) - (x < y);
}

/* The chart's lines, each with its cells by members (a repeated count: the first cell). */
static size_t chart_lines(const struct plot_set *ps, const struct cl_key *k, struct cl_line *lines)
{
	size_t nl = 0;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];
		size_t l = 0;
		bool dup = false;

		if (!in_chart(pc, k))
			continue;
		while (l < nl && !same_line(lines[l].first, pc->c))
			l++;
		if (l == nl)
			lines[nl++] = (struct cl_line){.first = pc->c, .cells = lines[l].cells};
		for (size_t j = 0; j < lines[l].n && !dup; j++)
			dup = members(ps->cells[lines[l].cells[j]].c) == members(pc->c);
		if (!dup)
			lines[l].cells[lines[l].n++] = i;
	}
	sort_ps = ps;
	for (size_t l = 0; l < nl; l++)
		qsort(lines[l].cells, lines[l].n, sizeof(size_t), by_members);
	return nl;
}

static void line_label(const struct cl_line *l, bool waits, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s", l->first->variant, waits ? " " : "", waits ? l->first->wait : "");
}

static int cl_data(struct plot_writer *w, const char *name, const struct cl_line *lines, size_t nl, bool waits)
{
	struct outfile of;
	FILE *f = plot_open_out(w, &of, name, "dat");
	char label[160];

	if (!f)
		return -errno;
	plot_dat_header(w, f, "many members: aggregate throughput and p99 against the number of members",
			"members (clients or pairs), rate (aggregate round trips/s for pingpong, else msgs/s), "
			"p50_ns, p99_ns (merged over the members), jain (Jain's index of the members' rates), "
			"min_rate, max_rate (the slowest and fastest member, msgs/s); one index per transport");
	for (size_t l = 0; l < nl; l++) {
		line_label(&lines[l], waits, label, sizeof(label));
		fprintf(f, "%s# index %zu: ", l ? "\n\n" : "", l);
		plot_dat_quote(f, label);
		fputc('\n', f);
		for (size_t i = 0; i < lines[l].n; i++) {
			const struct rf_cell *c = w->ps->cells[lines[l].cells[i]].c;

			fprintf(f, "%lld", (long long)members(c));
			plot_dat_num(f, agg_rate(c));
			plot_dat_num(f, plot_p50(c));
			plot_dat_num(f, plot_p99(c));
			plot_dat_num(f, c->scale.present ? c->scale.jain_index : NAN);
			plot_dat_num(f, c->scale.present ? c->scale.min_msgs_per_sec : NAN);
			plot_dat_num(f, c->scale.present ? c->scale.max_msgs_per_sec : NAN);
			fputc('\n', f);
		}
	}
	return plot_close_out(w, &of);
}

/* The two panels' plot commands: rates (with the legend) and p99s (col 4 over div). */
static char *cl_plot(const char *name, const struct cl_line *lines, size_t nl, bool waits, int col, double div)
{
	char *t = NULL, label[160];
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);

	if (!m)
		return NULL;
	for (size_t l = 0; l < nl; l++) {
		fprintf(m, "%s'%s.dat' index %zu using 1:($%d/%g) with linespoints ls %zu title ",
			l ? ", \\\n     " : "", name, l, col, div, 1 + l % PLOT_NSTYLES);
		line_label(&lines[l], waits, label, sizeof(label));
		plot_gp_quote(m, label);
	}
	fclose(m);
	return t;
}

/* Every members count of the chart as an x tic; the x range a little beyond them. */
static void cl_xaxis(struct plot_writer *w, const struct cl_line *lines, size_t nl)
{
	int64_t lo = INT64_MAX, hi = 0, seen[64];
	size_t ns = 0;
	char *t = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);

	for (size_t l = 0; l < nl; l++)
		for (size_t i = 0; i < lines[l].n; i++) {
			int64_t v = members(w->ps->cells[lines[l].cells[i]].c);
			bool dup = false;

			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
			for (size_t j = 0; j < ns && !dup; j++)
				dup = seen[j] == v;
			if (!dup && ns < 64)
				seen[ns++] = v;
		}
	plot_var_set(w, "XMIN", "%g", (double)lo / 1.3);
	plot_var_set(w, "XMAX", "%g", (double)hi * 1.3);
	if (!m)
		return;
	fputs("set xtics (", m);
	for (size_t j = 0; j < ns; j++)
		fprintf(m, "%s\"%lld\" %lld", j ? ", " : "", (long long)seen[j], (long long)seen[j]);
	fputs(")", m);
	fclose(m);
	plot_var_take(w, "XTICS", t);
}

static int cl_chart(struct plot_writer *w, const struct cl_key *k, const struct plot_cell *any)
{
	size_t m = chart_cells(w->ps, k);
	struct cl_line *lines = calloc(m + 1, sizeof(*lines));
	size_t *idx = calloc(m * m + 1, sizeof(*idx));
	struct plot_pick p = {.group = k->group, .bytes = k->bytes, .relation = k->relation, .series = SIZE_MAX};
	const char *mode = k->fan_in ? "clients" : "pairs";
	char name[128], title[192], gt[48], gtag[48], sz[32], tag[32], rtag[32];
	bool waits = several_waits(w->ps, k);
	struct plot_unit u;
	size_t nl;
	int r;

	if (!lines || !idx) {
		free(lines);
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m; i++) /* at most m lines of at most m cells */
		lines[i].cells = idx + i * m;
	nl = chart_lines(w->ps, k, lines);
	u = plot_chart_time_unit(w->ps, &p);
	plot_group_title(any, gt, sizeof(gt));
	plot_safe_tag(k->group, gtag, sizeof(gtag));
	units_bytes(k->bytes, sz, sizeof(sz));
	plot_size_tag(k->bytes, tag, sizeof(tag));
	plot_safe_tag(k->relation, rtag, sizeof(rtag));
	snprintf(name, sizeof(name), "%s-%s-%s-%s", mode, gtag, tag, rtag);
	snprintf(title, sizeof(title), "Many %s: %s, %s, %s: aggregate throughput and p99", mode, gt, sz,
		 plot_relation_title(k->relation));
	r = cl_data(w, name, lines, nl, waits);
	if (!r) {
		cl_xaxis(w, lines, nl);
		plot_var_set(w, "XLABEL", "%s (log scale)", k->fan_in ? "clients of one server" : "independent pairs");
		plot_var_set(w, "RATELABEL", "%s (aggregate)", is_pingpong(any->c) ? "round trips/s" : "messages/s");
		plot_var_set(w, "TAILLABEL", "p99 %s (%s)", plot_latency_meaning(any->c->pattern), u.name);
		plot_var_take(w, "PLOT_RATE", cl_plot(name, lines, nl, waits, 2, 1));
		plot_var_take(w, "PLOT_TAIL", cl_plot(name, lines, nl, waits, 4, u.div));
		r = plot_finish_chart(w, PLOT_CLIENTS, name, title, "clients.gp", 1000, plot_line_height(nl) + 200);
	}
	free(lines);
	free(idx);
	return r;
}

int plot_clients_charts(struct plot_writer *w)
{
	const struct plot_set *ps = w->ps;
	int r = 0;

	for (size_t i = 0; i < ps->ncells && !r; i++) {
		struct cl_key k;
		bool first = scale_cell(&ps->cells[i]);

		if (!first)
			continue;
		k = key_of(&ps->cells[i]);
		for (size_t j = 0; j < i && first; j++)
			first = !in_chart(&ps->cells[j], &k);
		if (first)
			r = cl_chart(w, &k, &ps->cells[i]);
	}
	return r;
}

/* ---- the report's table ---- */

static int by_row(const void *a, const void *b)
{
	const struct rf_cell *x = (*(const struct plot_cell *const *)a)->c,
			     *y = (*(const struct plot_cell *const *)b)->c;
	int d = (x->clients > 0) - (y->clients > 0);

	if (!d)
		d = strcmp(x->variant, y->variant);
	if (!d)
		d = strcmp(x->pattern, y->pattern);
	if (!d)
		d = (x->msg_bytes > y->msg_bytes) - (x->msg_bytes < y->msg_bytes);
	if (!d)
		d = strcmp(x->relation, y->relation);
	if (!d)
		d = strcmp(x->wait, y->wait);
	if (!d)
		d = (members(x) > members(y)) - (members(x) < members(y));
	return d;
}

static void td_num(FILE *f, void (*td)(FILE *, const char *, const char *), int decimals, double v)
{
	char b[48];

	if (isfinite(v))
		snprintf(b, sizeof(b), "%.*f", decimals, v);
	td(f, "n", isfinite(v) ? b : NULL);
}

static void cl_row(FILE *f, const struct rf_cell *c, void (*td)(FILE *, const char *, const char *))
{
	char b[64];

	fputs("<tr>", f);
	td(f, NULL, c->variant);
	td(f, NULL, c->clients ? "clients" : "pairs");
	snprintf(b, sizeof(b), "%lld", (long long)members(c));
	td(f, "n", b);
	td(f, NULL, c->pattern);
	units_bytes(c->msg_bytes, b, sizeof(b));
	td(f, "n", b);
	if (c->client_cpu >= 0 && c->server_cpu >= 0)
		snprintf(b, sizeof(b), "%s %d,%d", c->relation, c->client_cpu, c->server_cpu);
	else
		snprintf(b, sizeof(b), "%s", c->relation);
	td(f, NULL, b);
	td(f, NULL, c->wait);
	td_num(f, td, 0, agg_rate(c));
	units_ns(plot_p50(c), UNITS_TEXT, b, sizeof(b));
	td(f, "n", b);
	units_ns(plot_p99(c), UNITS_TEXT, b, sizeof(b));
	td(f, "n", b);
	td_num(f, td, 3, c->scale.present ? c->scale.jain_index : NAN);
	td_num(f, td, 0, c->scale.present ? c->scale.min_msgs_per_sec : NAN);
	td_num(f, td, 0, c->scale.present ? c->scale.max_msgs_per_sec : NAN);
	fputs("</tr>\n", f);
}

void plot_clients_table(FILE *f, const struct plot_set *ps, void (*td)(FILE *f, const char *cls, const char *s))
{
	const struct plot_cell **rows = calloc(ps->ncells + 1, sizeof(*rows));
	size_t n = 0;

	for (size_t i = 0; rows && i < ps->ncells; i++)
		if (scale_cell(&ps->cells[i]))
			rows[n++] = &ps->cells[i];
	if (!n) {
		free(rows);
		return;
	}
	qsort(rows, n, sizeof(*rows), by_row);
	fputs("<h2 id=\"clients\">Many clients, many pairs</h2>\n<p class=\"note\">Cells of --clients N (N clients "
	      "of one server on one channel) and --pairs N (N independent pairs at once): the aggregate rate over "
	      "the longest member's measured phase (round trips/s for ping-pong, else messages/s), the latency of "
	      "every member's histogram merged, and the fairness between the members: Jain's index of their rates "
	      "(1 = even, 1/N = one member got it all) and the slowest and fastest member's messages/s.</p>\n"
	      "<table>\n<thead><tr><th>transport</th><th>mode</th><th>members</th><th>pattern</th><th>size</th>"
	      "<th>placement</th><th>wait</th><th>aggregate /s</th><th>p50</th><th>p99</th><th>Jain's index</th>"
	      "<th>min member /s</th><th>max member /s</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < n; i++)
		cl_row(f, rows[i]->c, td);
	fputs("</tbody>\n</table>\n", f);
	free(rows);
}
