/*
 * plot_zerocopy.c - chart family 6, the zero-copy chart: stream throughput
 * (bytes/s) against message size for the transports that move pages or
 * make one copy (vmsplice, cma, memfd) and those they are measured
 * against (pipe: two copies through the kernel; shm_ring and shm_spin:
 * two copies through a shared ring), with the copy floors the same run
 * calibrated (context.calibration) drawn as horizontal lines: the
 * shared-memory copy between the placement's CPUs and memcpy on one CPU
 * at each calibrated size.  Where a line overtakes pipe's or shm_ring's
 * (small messages favour the rings, large ones page moves) a crossover is
 * marked and listed in the data file.
 *
 * The transports are known here by name only: the chart reads result
 * files and needs none of them in this build.  One chart per placement
 * (same, cross), drawn when at least two of the six have stream cells at
 * two sizes or more.
 */
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

static const char *const zc_transports[] = {"pipe", "vmsplice", "cma", "memfd", "shm_ring", "shm_spin", NULL};
/* the lines a crossover is taken against */
static const char *const zc_refs[] = {"pipe", "shm_ring", NULL};

#define ZC_FLOOR_SHM 200    /* gnuplot line style of the shm copy floor */
#define ZC_FLOOR_MEMCPY 201 /* ... of the first memcpy floor; 201 to 208 */
#define ZC_CROSS_STYLE 209  /* ... of a crossover mark */

struct zc_floor {
	double bps; /* bytes/s */
	double shm; /* the shm copy floor of the same file, bytes/s (NAN: none) */
	int style;
	char label[160];
};

struct zc_cross {
	double bytes, bps;
	char label[200];
};

struct zc_chart {
	struct plot_pick p;
	size_t *ser, n;
	int64_t *sizes;
	size_t nsz;
	struct zc_floor *floors;
	size_t nfloors;
	struct zc_cross *cross;
	size_t ncross;
	double lo, hi; /* bytes/s over every line, floors included */
	char name[128];
};

static bool is_ref(const char *t)
{
	for (size_t i = 0; zc_refs[i]; i++)
		if (!strcmp(zc_refs[i], t))
			return true;
	return false;
}

static bool file_in_chart(const struct plot_set *ps, const struct plot_pick *p, size_t file)
{
	for (size_t i = 0; i < ps->ncells; i++)
		if (ps->cells[i].file == file && plot_picked(&ps->cells[i], p))
			return true;
	return false;
}

/* The shm copy floor of a file for the placement, bytes/s; NAN when the run has none. */
static double shm_floor(const struct rf_calib *k, const char *relation)
{
	double g = !strcmp(relation, "same") ? k->shm_copy_same_gbps : k->shm_copy_gbps;

	return k->present && isfinite(g) && g > 0 ? g * 1e9 : NAN;
}

static void widen(struct zc_chart *z, double v)
{
	if (!(v > 0) || !isfinite(v))
		return;
	z->lo = fmin(z->lo, v);
	z->hi = fmax(z->hi, v);
}

static void add_floor(struct zc_chart *z, double bps, double shm, int style, const char *what, const char *tag)
{
	struct zc_floor *f = &z->floors[z->nfloors++];
	char v[32];

	units_si(bps, " ", "B/s", v, sizeof(v));
	snprintf(f->label, sizeof(f->label), "floor: %s: %s%s%s%s", what, v, *tag ? " (" : "", tag, *tag ? ")" : "");
	f->bps = bps;
	f->shm = shm;
	f->style = style;
	widen(z, bps);
}

/* The floors of every file with cells in the chart, tagged with the file when there are several. */
static void zc_floors(const struct plot_set *ps, struct zc_chart *z)
{
	size_t nin = 0;

	for (size_t f = 0; f < ps->nfiles; f++)
		nin += file_in_chart(ps, &z->p, f);
	for (size_t f = 0; f < ps->nfiles; f++) {
		const struct rf_calib *k = &ps->files[f].ctx.calib;
		double shm = shm_floor(k, z->p.relation);
		char tag[64] = "", what[96], sz[32];

		if (!k->present || !file_in_chart(ps, &z->p, f))
			continue;
		if (nin > 1)
			plot_file_tag(ps, f, tag, sizeof(tag));
		units_bytes(k->shm_copy_bytes, sz, sizeof(sz));
		snprintf(what, sizeof(what), "shm copy%s%s, %s", k->shm_copy_bytes > 0 ? " " : "",
			 k->shm_copy_bytes > 0 ? sz : "", plot_relation_title(z->p.relation));
		if (isfinite(shm))
			add_floor(z, shm, shm, ZC_FLOOR_SHM, what, tag);
		for (size_t i = 0; i < k->nmemcpy; i++) {
			if (!(k->memcpy_gbps[i] > 0))
				continue;
			units_bytes(k->memcpy_bytes[i], sz, sizeof(sz));
			snprintf(what, sizeof(what), "memcpy %s, one CPU", sz);
			add_floor(z, k->memcpy_gbps[i] * 1e9, shm, ZC_FLOOR_MEMCPY + (int)(i % 8), what, tag);
		}
	}
}

/* bytes/s of series s at size b, NAN when it has no cell there. */
static double rate_at(const struct plot_set *ps, const struct zc_chart *z, size_t s, int64_t b)
{
	struct plot_pick q = z->p;
	const struct plot_cell *pc;

	q.series = s;
	q.bytes = b;
	pc = plot_find_cell(ps, &q);
	return pc && pc->c->bytes_per_sec > 0 ? pc->c->bytes_per_sec : NAN;
}

/* Where series a and b change places, interpolated on the log-log axes. */
static void pair_crossovers(const struct plot_set *ps, struct zc_chart *z, size_t a, size_t b)
{
	double pd = NAN, px = NAN, pya = NAN;

	for (size_t i = 0; i < z->nsz; i++) {
		double ya = rate_at(ps, z, a, z->sizes[i]), yb = rate_at(ps, z, b, z->sizes[i]);
		double x = log((double)z->sizes[i]), d = log(ya / yb), t;
		struct zc_cross *c;

		if (!isfinite(d) || d == 0)
			continue;
		if (isfinite(pd) && (pd < 0) != (d < 0)) {
			t = pd / (pd - d);
			c = &z->cross[z->ncross++];
			c->bytes = exp(px + t * (x - px));
			c->bps = exp(pya + t * (log(ya) - pya));
			snprintf(c->label, sizeof(c->label), "%s passes %s", ps->series[d > 0 ? a : b].label,
				 ps->series[d > 0 ? b : a].label);
		}
		pd = d;
		px = x;
		pya = log(ya);
	}
}

/* Every line against pipe and shm_ring (a pair of those two once). */
static void zc_crossovers(const struct plot_set *ps, struct zc_chart *z)
{
	for (size_t i = 0; i < z->n; i++) {
		for (size_t j = 0; j < z->n; j++) {
			const struct plot_series *a = &ps->series[z->ser[i]], *b = &ps->series[z->ser[j]];

			if (i == j || !is_ref(b->transport) || (is_ref(a->transport) && i < j))
				continue;
			pair_crossovers(ps, z, z->ser[i], z->ser[j]);
		}
	}
}

static void floor_row(FILE *f, double x, double bps, double shm)
{
	fprintf(f, "%.10g", x);
	plot_dat_num(f, bps);
	plot_dat_num(f, NAN);
	plot_dat_num(f, bps / shm);
	fputc('\n', f);
}

/* One block per transport (a row per size), per floor (two rows spanning the axis), then the crossovers. */
static void zc_rows(struct plot_writer *w, FILE *f, struct zc_chart *z, double xmin, double xmax)
{
	const struct plot_set *ps = w->ps;
	size_t idx = 0;

	for (size_t i = 0; i < z->n; i++) {
		plot_dat_block(f, idx++, &ps->series[z->ser[i]], NULL);
		for (size_t s = 0; s < z->nsz; s++) {
			struct plot_pick q = z->p;
			const struct plot_cell *pc;

			q.series = z->ser[i];
			q.bytes = z->sizes[s];
			pc = plot_find_cell(ps, &q);
			if (!pc)
				continue;
			fprintf(f, "%" PRId64, pc->c->msg_bytes);
			plot_dat_num(f, pc->c->bytes_per_sec);
			plot_dat_num(f, pc->c->msgs_per_sec);
			plot_dat_num(f,
				     pc->c->bytes_per_sec / shm_floor(&ps->files[pc->file].ctx.calib, z->p.relation));
			fputc('\n', f);
			widen(z, pc->c->bytes_per_sec);
		}
	}
	for (size_t k = 0; k < z->nfloors; k++) {
		fprintf(f, "\n\n# index %zu: %s\n", idx++, z->floors[k].label);
		floor_row(f, xmin, z->floors[k].bps, z->floors[k].shm);
		floor_row(f, xmax, z->floors[k].bps, z->floors[k].shm);
	}
	if (!z->ncross) {
		fputs("\n\n# no crossovers: no line overtakes pipe's or shm_ring's between two sizes both measured\n",
		      f);
		return;
	}
	fprintf(f,
		"\n\n# index %zu: crossovers; columns: msg_bytes (bytes, interpolated on the log-log axes), "
		"bytes_per_sec (bytes/s), label (who passes whom, growing sizes)\n",
		idx);
	for (size_t k = 0; k < z->ncross; k++) {
		fprintf(f, "%.10g", z->cross[k].bytes);
		plot_dat_num(f, z->cross[k].bps);
		fputc(' ', f);
		plot_dat_quote(f, z->cross[k].label);
		fputc('\n', f);
	}
}

static int zc_data(struct plot_writer *w, struct zc_chart *z, double xmin, double xmax)
{
	struct outfile of;
	FILE *f = plot_open_out(w, &of, z->name, "dat");

	if (!f)
		return -errno;
	plot_dat_header(w, f, "zero-copy chart: stream throughput against message size and the run's copy floors",
			"msg_bytes (bytes), bytes_per_sec (bytes/s), msgs_per_sec (messages/s, NaN for a floor), "
			"of_floor (bytes_per_sec over the shm copy floor of the same run, fraction)");
	fputs("# blocks: one per transport (a row per size), one per floor from context.calibration (a horizontal\n"
	      "# line: two rows at the axis ends), then the crossovers\n",
	      f);
	zc_rows(w, f, z, xmin, xmax);
	return plot_close_out(w, &of);
}

/* The transports' lines, the floors, then the crossover marks with their labels. */
static char *zc_plot(const struct plot_set *ps, const struct zc_chart *z, double div)
{
	char *t = NULL;
	size_t len = 0, idx = z->n;
	FILE *m = open_memstream(&t, &len);

	if (!m)
		return NULL;
	for (size_t i = 0; i < z->n; i++)
		plot_rate_line(m, z->name, &ps->series[z->ser[i]], i, 2, div);
	for (size_t k = 0; k < z->nfloors; k++, idx++) {
		fprintf(m, ", \\\n     '%s.dat' index %zu using 1:($2/%g) with lines ls %d title ", z->name, idx, div,
			z->floors[k].style);
		plot_gp_quote(m, z->floors[k].label);
	}
	if (z->ncross) {
		fprintf(m, ", \\\n     '%s.dat' index %zu using 1:($2/%g) with points ls %d title 'crossover'", z->name,
			idx, div, ZC_CROSS_STYLE);
		fprintf(m,
			", \\\n     '' index %zu using 1:($2/%g):3 with labels left offset 0.8,0.8 font ',8' notitle",
			idx, div);
	}
	fclose(m);
	return t;
}

/* Where each file's floors come from, for the caption. */
static void zc_note(const struct plot_set *ps, const struct zc_chart *z, char *out, size_t outlen)
{
	size_t n = 0, nin = 0;

	for (size_t f = 0; f < ps->nfiles; f++)
		nin += file_in_chart(ps, &z->p, f);
	out[0] = '\0';
	for (size_t f = 0; f < ps->nfiles && n < outlen; f++) {
		const struct rf_calib *k = &ps->files[f].ctx.calib;
		char tag[64] = "";

		if (!file_in_chart(ps, &z->p, f))
			continue;
		if (nin > 1)
			plot_file_tag(ps, f, tag, sizeof(tag));
		n += (size_t)snprintf(out + n, outlen - n, "%s%s%s", n ? " " : "", tag, *tag ? ": " : "");
		if (n >= outlen)
			break;
		if (!k->present)
			n += (size_t)snprintf(out + n, outlen - n, "No floor lines: the run was not calibrated.");
		else if (k->from_cache)
			n += (size_t)snprintf(out + n, outlen - n,
					      "The floors were cached from an earlier calibration (measured %s), "
					      "not measured by this run.",
					      k->measured_at ? k->measured_at : "at an unknown time");
		else
			n += (size_t)snprintf(out + n, outlen - n,
					      "The floors were measured by the same run, at its start (%s, CPUs %s).",
					      k->measured_at ? k->measured_at : "time unknown",
					      k->cpus ? k->cpus : "?");
	}
}

static void zc_release(struct zc_chart *z)
{
	free(z->ser);
	free(z->sizes);
	free(z->floors);
	free(z->cross);
}

static int zc_alloc(const struct plot_set *ps, struct zc_chart *z)
{
	z->ser = calloc(ps->nseries + 1, sizeof(*z->ser));
	z->sizes = calloc(ps->ncells + 1, sizeof(*z->sizes));
	z->floors = calloc(ps->nfiles * (1 + RF_CALIB_MAX_MEMCPY) + 1, sizeof(*z->floors));
	if (!z->ser || !z->sizes || !z->floors)
		return -ENOMEM;
	z->n = plot_pick_series(ps, z->p, z->ser);
	z->nsz = plot_list_sizes(ps, &z->p, z->sizes);
	/* at most one crossover per pair of lines between two sizes */
	z->cross = calloc(z->n * z->n * z->nsz + 1, sizeof(*z->cross));
	return z->cross ? 0 : -ENOMEM;
}

static void zc_vars(struct plot_writer *w, struct zc_chart *z, double xmin, double xmax)
{
	struct plot_unit u = plot_rate_unit(plot_typical_rate(w->ps, &z->p, true));

	plot_var_set(w, "YLABEL", "throughput (%sB/s, log scale)", u.name);
	plot_var_take(w, "YEXTRA", plot_log_tics_extra(z->lo, z->hi, u.div));
	plot_var_take(w, "PLOT", zc_plot(w->ps, z, u.div));
	plot_var_take(w, "XTICS", plot_size_tics(z->sizes, z->nsz));
	plot_var_set(w, "XMIN", "%g", xmin);
	plot_var_set(w, "XMAX", "%g", xmax);
}

/* v as XMIN and XMAX print it ("%g"), so that a floor's ends lie on the axis, not just outside it. */
static double as_printed(double v)
{
	char s[32];

	snprintf(s, sizeof(s), "%g", v);
	return strtod(s, NULL);
}

static int zc_chart(struct plot_writer *w, const struct plot_pick *p)
{
	struct zc_chart z = {.p = *p, .lo = INFINITY, .hi = -INFINITY};
	char rel[32], cpus[32], title[192];
	double xmin, xmax;
	size_t keys;
	int r = zc_alloc(w->ps, &z);

	if (r) {
		zc_release(&z);
		return r;
	}
	plot_safe_tag(p->relation, rel, sizeof(rel));
	snprintf(z.name, sizeof(z.name), "zerocopy-throughput-vs-size-%s", rel);
	plot_cpus_note(w->ps, p, cpus, sizeof(cpus));
	snprintf(title, sizeof(title), "Zero-copy and rings against the copy floor: stream throughput by size, %s%s",
		 plot_relation_title(p->relation), cpus);
	xmin = as_printed((double)z.sizes[0] / 1.5);
	xmax = as_printed((double)z.sizes[z.nsz - 1] * 1.5);
	zc_floors(w->ps, &z);
	zc_crossovers(w->ps, &z);
	r = zc_data(w, &z, xmin, xmax);
	if (!r)
		zc_vars(w, &z, xmin, xmax);
	keys = z.n + z.nfloors + (z.ncross > 0);
	if (!r)
		r = plot_finish_chart(w, PLOT_ZEROCOPY, z.name, title, "zerocopy.gp", 1000, plot_line_height(keys));
	else
		plot_vars_clear(w);
	if (!r)
		zc_note(w->ps, &z, w->ps->charts[w->ps->ncharts - 1].note,
			sizeof(w->ps->charts[w->ps->ncharts - 1].note));
	zc_release(&z);
	return r;
}

/* At least two of the six transports with cells at two sizes or more?  -ENOMEM, 0 or 1. */
static int zc_drawable(const struct plot_set *ps, const struct plot_pick *p)
{
	size_t *ser = calloc(ps->nseries + 1, sizeof(*ser));
	int64_t *sizes = calloc(ps->ncells + 1, sizeof(*sizes));
	const char *seen[sizeof(zc_transports) / sizeof(zc_transports[0])] = {0};
	size_t n, nseen = 0;

	if (!ser || !sizes) {
		free(ser);
		free(sizes);
		return -ENOMEM;
	}
	n = plot_pick_series(ps, *p, ser);
	for (size_t i = 0; i < n; i++) {
		struct plot_pick q = *p;
		const char *t = ps->series[ser[i]].transport;
		bool dup = false;

		q.series = ser[i];
		if (plot_list_sizes(ps, &q, sizes) < 2)
			continue;
		for (size_t j = 0; j < nseen; j++)
			dup |= !strcmp(seen[j], t);
		if (!dup && nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = t;
	}
	free(ser);
	free(sizes);
	return nseen >= 2;
}

int plot_zerocopy_charts(struct plot_writer *w)
{
	static const char *const rels[] = {"same", "cross"};
	int r = 0;

	for (size_t k = 0; k < sizeof(rels) / sizeof(rels[0]) && !r; k++) {
		struct plot_pick p = {.group = "stream",
				      .relation = rels[k],
				      .series = SIZE_MAX,
				      .rates = true,
				      .transports = zc_transports};

		r = zc_drawable(w->ps, &p);
		if (r == 1)
			r = zc_chart(w, &p);
	}
	return r;
}
