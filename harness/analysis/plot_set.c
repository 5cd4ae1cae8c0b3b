/*
 * plot_set.c - the chart-set model (see plot.h): the result files, their cells
 * indexed into series with one label and style each, and the subtitle
 * every chart shares.
 */
#include "harness/analysis/plot_impl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plot_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
/* ---- the set: cells, series, labels ---- */

/* Control characters (a newline in a hostname) become spaces: labels go into comments and titles. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

static void file_tag(const struct result_file *rf, char *out, size_t outlen)
{
	const char *base = strrchr(rf->path, '/');
	size_t n;

	base = base ? base + 1 : rf->path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	snprintf(out, outlen, "%.*s", (int)n, base);
}

static bool cell_ok(const struct rf_cell *c)
{
	return !strcmp(c->status, "ok") && c->lat.count > 0;
}

static void cell_group(const struct rf_cell *c, char *out, size_t outlen)
{
	if (!strcmp(c->pattern, "rate") && isfinite(c->rate_target_per_sec))
		snprintf(out, outlen, "rate-%.0f", c->rate_target_per_sec);
	else
		snprintf(out, outlen, "%s", c->pattern);
}

/* Does transport t have ok cells in more than one file? */
static bool in_several_files(const struct plot_set *ps, const char *t)
{
	size_t first = SIZE_MAX;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];

		if (!pc->ok || strcmp((pc->c->variant ? pc->c->variant : pc->c->transport), t))
			continue;
		if (first == SIZE_MAX)
			first = pc->file;
		else if (pc->file != first)
			return true;
	}
	return false;
}

static bool several_waits(const struct plot_set *ps)
{
	const char *w = NULL;

	for (size_t i = 0; i < ps->ncells; i++) {
		if (!ps->cells[i].ok)
			continue;
		if (!w)
			w = ps->cells[i].c->wait;
		else if (strcmp(w, ps->cells[i].c->wait))
			return true;
	}
	return false;
}

/* Two files with the same base name are told apart by their position. */
void plot_file_tag(const struct plot_set *ps, size_t file, char *out, size_t outlen)
{
	char a[64], b[64];

	file_tag(&ps->files[file], a, sizeof(a));
	for (size_t i = 0; i < ps->nfiles; i++) {
		file_tag(&ps->files[i], b, sizeof(b));
		if (i != file && !strcmp(a, b)) {
			snprintf(out, outlen, "file %zu", file + 1);
			return;
		}
	}
	snprintf(out, outlen, "%s", a);
}

static size_t find_series(struct plot_set *ps, const struct plot_cell *pc, bool by_wait, bool by_file)
{
	struct plot_series *s;

	for (size_t i = 0; i < ps->nseries; i++) {
		s = &ps->series[i];
		if (!strcmp(s->transport, (pc->c->variant ? pc->c->variant : pc->c->transport)) &&
		    (!by_wait || !strcmp(s->wait, pc->c->wait)) && (!by_file || s->file == pc->file) &&
		    s->pairs == pc->c->pairs && s->clients == pc->c->clients)
			return i;
	}
	s = &ps->series[ps->nseries];
	s->transport = (pc->c->variant ? pc->c->variant
				       : pc->c->transport); /* a transport with other options is another series */
	s->wait = pc->c->wait;
	s->file = pc->file;
	s->pairs = pc->c->pairs;
	s->clients = pc->c->clients;
	s->style = (int)(ps->nseries % PLOT_NSTYLES) + 1;
	return ps->nseries++;
}

static void label_series(struct plot_set *ps, struct plot_series *s, bool by_wait, bool by_file)
{
	char tag[64] = "";
	size_t n;

	n = (size_t)snprintf(s->label, sizeof(s->label), "%s", s->transport);
	if (by_wait && n < sizeof(s->label))
		n += (size_t)snprintf(s->label + n, sizeof(s->label) - n, " %s", s->wait);
	if ((s->pairs || s->clients) && n < sizeof(s->label))
		n += (size_t)snprintf(s->label + n, sizeof(s->label) - n, " %lld %s",
				      (long long)(s->pairs ? s->pairs : s->clients), s->pairs ? "pairs" : "clients");
	if (by_file && n < sizeof(s->label)) {
		plot_file_tag(ps, s->file, tag, sizeof(tag));
		snprintf(s->label + n, sizeof(s->label) - n, " (%s)", tag);
	}
	sanitize(s->label);
}

static void assign_series(struct plot_set *ps)
{
	bool by_wait = several_waits(ps);

	for (size_t i = 0; i < ps->ncells; i++) {
		struct plot_cell *pc = &ps->cells[i];
		bool by_file;

		if (!pc->ok)
			continue;
		by_file = in_several_files(ps, (pc->c->variant ? pc->c->variant : pc->c->transport));
		pc->series = find_series(ps, pc, by_wait, by_file);
		label_series(ps, &ps->series[pc->series], by_wait, by_file);
	}
}

/* "2026-11-21T06:45:48Z" -> "2026-11-21 06:45 UTC" */
static void fmt_started(const char *iso, char *out, size_t outlen)
{
	if (iso && strlen(iso) >= 16 && iso[10] == 'T')
		snprintf(out, outlen, "%.10s %.5s UTC", iso, iso + 11);
	else
		snprintf(out, outlen, "%s", str_or(iso, "date unknown"));
}

static void add_host(char *out, size_t outlen, const char *host, size_t *nhosts)
{
	size_t n = strlen(out);

	if (strstr(out, host) || n + 1 >= outlen)
		return;
	if (++*nhosts > 3) {
		if (*nhosts == 4)
			snprintf(out + n, outlen - n, ", ...");
		return;
	}
	snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", host);
}

static void make_subtitle(struct plot_set *ps)
{
	char hosts[128] = "", first[40] = "", last[40] = "", d[40];
	const char *lo = NULL, *hi = NULL;
	size_t nhosts = 0;

	for (size_t i = 0; i < ps->nfiles; i++) {
		const struct result_file *rf = &ps->files[i];

		add_host(hosts, sizeof(hosts), str_or(rf->ctx.hostname, "unknown host"), &nhosts);
		if (rf->started_at && (!lo || strcmp(rf->started_at, lo) < 0))
			lo = rf->started_at;
		if (rf->started_at && (!hi || strcmp(rf->started_at, hi) > 0))
			hi = rf->started_at;
	}
	fmt_started(lo, first, sizeof(first));
	fmt_started(hi, last, sizeof(last));
	if (!strcmp(first, last))
		snprintf(d, sizeof(d), "%s", first);
	else if (!strncmp(first, last, 10) && strlen(last) > 11)
		snprintf(d, sizeof(d), "%.16s to %s", first, last + 11);
	else
		snprintf(d, sizeof(d), "%.10s to %.10s", first, last);
	snprintf(ps->subtitle, sizeof(ps->subtitle), "host%s %s, %s", nhosts > 1 ? "s" : "", hosts, d);
	sanitize(ps->subtitle);
}

int plot_files_load(char *const *paths, size_t n, struct result_file **out, char *err, size_t errlen)
{
	struct result_file *files = calloc(n ? n : 1, sizeof(*files));
	int r;

	*out = NULL;
	if (!files) {
		plot_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		r = resultfile_load(paths[i], &files[i], err, errlen);
		if (r) {
			plot_files_free(files, i);
			return r;
		}
	}
	*out = files;
	return 0;
}

void plot_files_free(struct result_file *files, size_t n)
{
	for (size_t i = 0; files && i < n; i++)
		resultfile_release(&files[i]);
	free(files);
}

/* Every ok cell's histogram must hold its count of values, as hist demands. */
static int check_hists(const struct result_file *rf, char *err, size_t errlen)
{
	char why[256];
	struct hist h;

	for (size_t i = 0; i < rf->ncells; i++) {
		const struct rf_cell *c = &rf->cells[i];
		int r;

		if (strcmp(c->status, "ok"))
			continue;
		r = resultfile_lat_hist(&c->lat, &h, why, sizeof(why));
		if (r == -ENODATA)
			continue;
		if (r) {
			plot_err(err, errlen, "%s: results[%zu].latency_ns.hdr: %s", rf->path, i, why);
			return r;
		}
		hist_release(&h);
	}
	return 0;
}

int plot_set_init(struct plot_set *ps, const struct result_file *files, size_t nfiles, char *err, size_t errlen)
{
	size_t n = 0;

	memset(ps, 0, sizeof(*ps));
	ps->files = files;
	ps->nfiles = nfiles;
	for (size_t f = 0; f < nfiles; f++) {
		if (!files[f].ncells) {
			plot_err(err, errlen, "%s: no cells (\"results\" is empty): nothing to plot", files[f].path);
			return -ENODATA;
		}
		if (check_hists(&files[f], err, errlen))
			return -EINVAL;
		n += files[f].ncells;
	}
	ps->cells = calloc(n ? n : 1, sizeof(*ps->cells));
	ps->series = calloc(n ? n : 1, sizeof(*ps->series));
	if (!ps->cells || !ps->series) {
		plot_set_release(ps);
		plot_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t f = 0; f < nfiles; f++) {
		for (size_t i = 0; i < files[f].ncells; i++) {
			struct plot_cell *pc = &ps->cells[ps->ncells++];

			pc->c = &files[f].cells[i];
			pc->file = f;
			pc->ok = cell_ok(pc->c);
			ps->nok += pc->ok;
			cell_group(pc->c, pc->group, sizeof(pc->group));
		}
	}
	if (!ps->nok) {
		plot_err(err, errlen, "%s%sno cell was measured (every cell was skipped or failed): nothing to plot",
			 nfiles == 1 ? files[0].path : "", nfiles == 1 ? ": " : "");
		plot_set_release(ps);
		return -ENODATA;
	}
	assign_series(ps);
	make_subtitle(ps);
	return 0;
}

int plot_set_load(struct plot_set *ps, char *const *paths, size_t n, char *err, size_t errlen)
{
	struct result_file *files;
	int r;

	memset(ps, 0, sizeof(*ps));
	r = plot_files_load(paths, n, &files, err, errlen);
	if (r)
		return r;
	r = plot_set_init(ps, files, n, err, errlen);
	if (r) {
		plot_files_free(files, n);
		return r;
	}
	ps->owned = files;
	ps->nowned = n;
	return 0;
}

void plot_set_release(struct plot_set *ps)
{
	plot_files_free(ps->owned, ps->nowned);
	free(ps->cells);
	free(ps->series);
	free(ps->charts);
	memset(ps, 0, sizeof(*ps));
}
