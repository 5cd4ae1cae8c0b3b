/*
 * plot_select.c - what the chart families share: picking cells, axis
 * units, quoting for gnuplot and data files, data-file headers.
 * Series keep one style (colour, dash type, point type: the palette in
 * scripts/style.gp) in every chart, so a transport looks the same
 * throughout a report.
 */
#include "harness/analysis/plot_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

/* ---- formatting ---- */

const char *plot_relation_title(const char *rel)
{
	enum relation r;

	return relation_parse(rel, &r) ? rel : relation_title(r);
}

/* A file-name-safe tag: "64B", "4KiB", "1MiB". */
void plot_size_tag(int64_t b, char *out, size_t outlen)
{
	char s[32];
	size_t j = 0;

	units_bytes(b, s, sizeof(s));
	for (size_t i = 0; s[i] && j + 1 < outlen; i++)
		if (s[i] != ' ')
			out[j++] = s[i];
	out[j] = '\0';
}

/* Letters, digits, '-', '_' and '.' kept; anything else becomes '_'. */
void plot_safe_tag(const char *s, char *out, size_t outlen)
{
	size_t j = 0;

	for (; *s && j + 1 < outlen; s++) {
		unsigned char ch = (unsigned char)*s;
		bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			    ch == '-' || ch == '_' || ch == '.';

		out[j++] = keep ? (char)ch : '_';
	}
	out[j] = '\0';
}

/* A gnuplot single-quoted string: '' stands for ', control characters dropped. */
void plot_gp_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("''", f);
		else if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* A string column of a data file: double-quoted, no quotes or controls inside. */
void plot_dat_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('\'', f);
		else if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			fputc(*s, f);
	}
	fputc('"', f);
}

void plot_dat_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.10g", v);
	else
		fputs(" NaN", f);
}
/* ---- selecting cells ---- */

/* Is s in the NULL-terminated list? */
static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

bool plot_picked(const struct plot_cell *pc, const struct plot_pick *p)
{
	return pc->ok && (!p->group || !strcmp(pc->group, p->group)) && (!p->bytes || pc->c->msg_bytes == p->bytes) &&
	       (!p->relation || !strcmp(pc->c->relation, p->relation)) &&
	       (p->series == SIZE_MAX || pc->series == p->series) && (!p->hdr || pc->c->lat.hdr) &&
	       (!p->p50 || isfinite(pc->c->lat.pct[0])) &&
	       (!p->rates || (isfinite(pc->c->msgs_per_sec) && isfinite(pc->c->bytes_per_sec))) &&
	       (!p->transports || in_list(p->transports, pc->c->transport));
}

/* The first matching cell of a series (later duplicates of a key are not drawn). */
const struct plot_cell *plot_find_cell(const struct plot_set *ps, const struct plot_pick *p)
{
	for (size_t i = 0; i < ps->ncells; i++)
		if (plot_picked(&ps->cells[i], p))
			return &ps->cells[i];
	return NULL;
}

/* Indexes of the series with a matching cell, in series order. */
size_t plot_pick_series(const struct plot_set *ps, struct plot_pick p, size_t *out)
{
	size_t n = 0;

	for (size_t s = 0; s < ps->nseries; s++) {
		p.series = s;
		if (plot_find_cell(ps, &p))
			out[n++] = s;
	}
	return n;
}

int plot_relation_rank(const char *rel)
{
	enum relation r;

	return relation_parse(rel, &r) ? REL__COUNT : (int)r;
}

static bool seen_str(const char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* Distinct groups in order of appearance. */
size_t plot_list_groups(const struct plot_set *ps, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++)
		if (ps->cells[i].ok && !seen_str(out, n, ps->cells[i].group))
			out[n++] = ps->cells[i].group;
	return n;
}

/* Distinct relations, same CPU first. */
size_t plot_list_relations(const struct plot_set *ps, const struct plot_pick *p, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];
		size_t j;

		if (!plot_picked(pc, p) || seen_str(out, n, pc->c->relation))
			continue;
		for (j = n; j > 0 && plot_relation_rank(out[j - 1]) > plot_relation_rank(pc->c->relation); j--)
			out[j] = out[j - 1];
		out[j] = pc->c->relation;
		n++;
	}
	return n;
}

/* Distinct sizes above 0, ascending. */
size_t plot_list_sizes(const struct plot_set *ps, const struct plot_pick *p, int64_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];
		int64_t b = pc->c->msg_bytes;
		size_t j;
		bool dup = false;

		/* size 0 (a bare wake-up) has no place on a log size axis, and a pick's bytes 0 means any */
		if (!plot_picked(pc, p) || b <= 0)
			continue;
		for (j = 0; j < n && !dup; j++)
			dup = out[j] == b;
		if (dup)
			continue;
		for (j = n; j > 0 && out[j - 1] > b; j--)
			out[j] = out[j - 1];
		out[j] = b;
		n++;
	}
	return n;
}

/* "pingpong" -> "ping-pong"; open-loop groups name their rate. */
void plot_group_title(const struct plot_cell *pc, char *out, size_t outlen)
{
	const struct rf_cell *c = pc->c;
	char r[32];

	if (!strcmp(c->pattern, "pingpong"))
		snprintf(out, outlen, "ping-pong");
	else if (!strcmp(c->pattern, "stream"))
		snprintf(out, outlen, "stream");
	else if (!strcmp(c->pattern, "rate")) {
		units_si(c->rate_target_per_sec, " ", " msgs/s", r, sizeof(r));
		snprintf(out, outlen, "open loop at %s", r);
	} else {
		snprintf(out, outlen, "%s", c->pattern);
	}
}

const char *plot_latency_meaning(const char *pattern)
{
	return !strcmp(pattern, "stream") ? "one-way latency" : "round-trip latency";
}

/* The CPUs when every cell of a chart ran on the same pair: " (CPUs 0,1)". */
void plot_cpus_note(const struct plot_set *ps, const struct plot_pick *p, char *out, size_t outlen)
{
	const struct rf_cell *first = NULL;

	out[0] = '\0';
	for (size_t i = 0; i < ps->ncells; i++) {
		const struct rf_cell *c = ps->cells[i].c;

		if (!plot_picked(&ps->cells[i], p))
			continue;
		if (!first)
			first = c;
		else if (c->client_cpu != first->client_cpu || c->server_cpu != first->server_cpu)
			return;
	}
	if (first && first->client_cpu >= 0 && first->server_cpu >= 0)
		snprintf(out, outlen, " (CPUs %d,%d)", first->client_cpu, first->server_cpu);
}

void plot_chart_names(const struct plot_set *ps, const struct plot_pick *p, const struct plot_cell *any,
		      struct plot_names *n)
{
	plot_safe_tag(p->group, n->gtag, sizeof(n->gtag));
	plot_group_title(any, n->gt, sizeof(n->gt));
	units_bytes(p->bytes, n->sz, sizeof(n->sz));
	plot_size_tag(p->bytes, n->tag, sizeof(n->tag));
	plot_safe_tag(p->relation ? p->relation : "", n->rel, sizeof(n->rel));
	plot_cpus_note(ps, p, n->cpus, sizeof(n->cpus));
}

/* ---- units ---- */

static struct plot_unit time_unit(double typical_ns)
{
	if (typical_ns < 1e3)
		return (struct plot_unit){1, "ns"};
	if (typical_ns < 1e6)
		return (struct plot_unit){1e3, "µs"};
	if (typical_ns < 1e9)
		return (struct plot_unit){1e6, "ms"};
	return (struct plot_unit){1e9, "s"};
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the finite values (NAN when none); sorts v. */
double plot_median(double *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			v[k++] = v[i];
	if (!k)
		return NAN;
	qsort(v, k, sizeof(*v), cmp_double);
	return v[k / 2];
}

double plot_p50(const struct rf_cell *c)
{
	return c->lat.pct[0];
}

double plot_p99(const struct rf_cell *c)
{
	return c->lat.pct[2];
}

/* The unit that suits the p50s of the cells chosen by p. */
struct plot_unit plot_chart_time_unit(const struct plot_set *ps, const struct plot_pick *p)
{
	double *v = calloc(ps->ncells + 1, sizeof(*v));
	size_t n = 0;
	struct plot_unit u;

	if (!v)
		return time_unit(1e3);
	for (size_t i = 0; i < ps->ncells; i++)
		if (plot_picked(&ps->cells[i], p))
			v[n++] = plot_p50(ps->cells[i].c);
	u = time_unit(plot_median(v, n));
	free(v);
	return u;
}

/* The smallest and largest of lo(c) and hi(c) over the chosen cells. */
void plot_extent(const struct plot_set *ps, const struct plot_pick *p, double (*lo)(const struct rf_cell *),
		 double (*hi)(const struct rf_cell *), double *min, double *max)
{
	*min = INFINITY;
	*max = -INFINITY;
	for (size_t i = 0; i < ps->ncells; i++) {
		const struct rf_cell *c = ps->cells[i].c;

		if (!plot_picked(&ps->cells[i], p))
			continue;
		if (lo(c) > 0 && lo(c) < *min)
			*min = lo(c);
		if (isfinite(hi(c)) && hi(c) > *max)
			*max = hi(c);
	}
}

/*
 * A log axis spanning few decades gets labels at 2 and 5 times each power
 * of ten too, so a reader is never left with two labelled tics.
 */
char *plot_log_tics_extra(double lo, double hi, double div)
{
	char *t = NULL;
	size_t len = 0;
	FILE *m;
	const char *sep = "";

	lo /= div;
	hi /= div;
	if (!(lo > 0) || !(hi >= lo) || hi / lo > 3000)
		return strdup("");
	m = open_memstream(&t, &len);
	if (!m)
		return NULL;
	fputs("set ytics add (", m);
	for (int e = (int)floor(log10(lo)); e <= (int)floor(log10(hi)); e++) {
		for (int k = 2; k <= 5; k += 3) {
			double v = k * pow(10, e);

			fprintf(m, v >= 1 ? "%s\"%.0f\" %g" : "%s\"%g\" %g", sep, v, v);
			sep = ", ";
		}
	}
	fputs(")", m);
	fclose(m);
	return t;
}

/* ---- data file headers ---- */

/* Text inside a comment line: nothing that could end the line. */
static void dat_comment(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

void plot_dat_header(struct plot_writer *w, FILE *f, const char *what, const char *columns)
{
	fprintf(f, "# ipcbench %s\n# %s\n# from:", what, w->ps->subtitle);
	for (size_t i = 0; i < w->ps->nfiles; i++) {
		fputc(' ', f);
		dat_comment(f, w->ps->files[i].path);
	}
	fprintf(f, "\n# columns: %s\n", columns);
}

void plot_dat_block(FILE *f, size_t index, const struct plot_series *s, const struct plot_cell *pc)
{
	fprintf(f, "%s# index %zu: %s", index ? "\n\n" : "", index, s->label);
	if (pc) {
		fputs(" (cell ", f);
		dat_comment(f, pc->c->key);
		fprintf(f, ", %" PRId64 " samples)", pc->c->lat.count);
	}
	fputc('\n', f);
}

/* A line chart tall enough for its legend (one column on the right) to fit. */
int plot_line_height(size_t key_entries)
{
	int h = 190 + 21 * (int)key_entries;

	return h < 600 ? 600 : h;
}
