/*
 * plot.c - charts from result files (see plot.h): data files, gnuplot
 * scripts filled in from the templates in scripts/, and the gnuplot runs.
 *
 * Every chart is NAME.dat + NAME.gp in the output directory; the script
 * reads only NAME.dat, so the pair can be copied anywhere and re-run.
 * Series keep one style (colour, dash type, point type: the palette in
 * scripts/style.gp) in every chart, so a transport looks the same
 * throughout a report.
 */
#include "harness/analysis/plot.h"
#include "common/units.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/hdr/codec.h"
#include "harness/hdr/hgrm.h"

#ifndef IPCB_DATADIR
#define IPCB_DATADIR "/usr/local/share/ipcbench"
#endif

#define PLOT_NSTYLES 16 /* linetypes defined by scripts/style.gp */
#define PLOT_MAX_VARS 24
#define PLOT_HGRM_TICKS 5 /* ticks per half distance, as .hgrm files */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- formatting ---- */

const char *plot_relation_name(const char *rel)
{
	static const struct {
		const char *rel, *name;
	} names[] = {
		{"same", "same CPU"},	{"smt", "SMT siblings"},  {"cross", "cross-CPU"},
		{"numa", "cross-NUMA"}, {"unpinned", "unpinned"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(rel, names[i].rel))
			return names[i].name;
	return rel;
}

/* A file-name-safe tag: "64B", "4KiB", "1MiB". */
static void size_tag(int64_t b, char *out, size_t outlen)
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
static void safe_tag(const char *s, char *out, size_t outlen)
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
static void gp_quote(FILE *f, const char *s)
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
static void dat_quote(FILE *f, const char *s)
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

static void dat_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.10g", v);
	else
		fputs(" NaN", f);
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

		if (!pc->ok || strcmp(pc->c->transport, t))
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
static void series_file_tag(const struct plot_set *ps, size_t file, char *out, size_t outlen)
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
		if (!strcmp(s->transport, pc->c->transport) && (!by_wait || !strcmp(s->wait, pc->c->wait)) &&
		    (!by_file || s->file == pc->file))
			return i;
	}
	s = &ps->series[ps->nseries];
	s->transport = pc->c->transport;
	s->wait = pc->c->wait;
	s->file = pc->file;
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
	if (by_file && n < sizeof(s->label)) {
		series_file_tag(ps, s->file, tag, sizeof(tag));
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
		by_file = in_several_files(ps, pc->c->transport);
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
		set_err(err, errlen, "out of memory");
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

int plot_set_init(struct plot_set *ps, const struct result_file *files, size_t nfiles, char *err, size_t errlen)
{
	size_t n = 0;

	memset(ps, 0, sizeof(*ps));
	ps->files = files;
	ps->nfiles = nfiles;
	for (size_t f = 0; f < nfiles; f++) {
		if (!files[f].ncells) {
			set_err(err, errlen, "%s: no cells (\"results\" is empty): nothing to plot", files[f].path);
			return -ENODATA;
		}
		n += files[f].ncells;
	}
	ps->cells = calloc(n ? n : 1, sizeof(*ps->cells));
	ps->series = calloc(n ? n : 1, sizeof(*ps->series));
	if (!ps->cells || !ps->series) {
		plot_set_release(ps);
		set_err(err, errlen, "out of memory");
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
		set_err(err, errlen, "%s%sno cell was measured (every cell was skipped or failed): nothing to plot",
			nfiles == 1 ? files[0].path : "", nfiles == 1 ? ": " : "");
		plot_set_release(ps);
		return -ENODATA;
	}
	assign_series(ps);
	make_subtitle(ps);
	return 0;
}

void plot_set_release(struct plot_set *ps)
{
	free(ps->cells);
	free(ps->series);
	free(ps->charts);
	memset(ps, 0, sizeof(*ps));
}

/* ---- finding gnuplot and the templates ---- */

int plot_find_gnuplot(char *path, size_t len)
{
	const char *p = getenv("PATH");

	if (!p || !*p)
		p = "/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");
		struct stat st;

		/* an empty PATH entry is the current directory */
		snprintf(path, len, "%.*s/gnuplot", n ? (int)n : 1, n ? p : ".");
		if (!stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK))
			return 0;
		p += n + (p[n] == ':');
	}
	return -ENOENT;
}

static bool has_templates(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/style.gp", dir);
	return !access(p, R_OK);
}

static int exe_dir(char *out, size_t outlen)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	snprintf(out, outlen, "%s", buf);
	return 0;
}

int plot_find_templates(char *dir, size_t len, char *err, size_t errlen)
{
	static const char *const rel[] = {"../share/ipcbench", "scripts", "../scripts"};
	const char *env = getenv("IPCBENCH_DATADIR");
	char exe[PATH_MAX];

	if (env && *env) {
		snprintf(dir, len, "%s", env);
		if (has_templates(dir))
			return 0;
		set_err(err, errlen, "IPCBENCH_DATADIR=%s holds no gnuplot templates (style.gp)", env);
		return -ENOENT;
	}
	if (!exe_dir(exe, sizeof(exe))) {
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(dir, len, "%s/%s", exe, rel[i]);
			if (has_templates(dir))
				return 0;
		}
	}
	snprintf(dir, len, "%s", IPCB_DATADIR);
	if (has_templates(dir))
		return 0;
	snprintf(dir, len, "scripts");
	if (has_templates(dir))
		return 0;
#ifdef IPCB_SRCDIR
	/* a build run from anywhere: the source tree it was built from */
	snprintf(dir, len, "%s/scripts", IPCB_SRCDIR);
	if (has_templates(dir))
		return 0;
#endif
	set_err(err, errlen,
		"gnuplot templates (style.gp) not found in %s, next to the executable or in "
		"./scripts: run 'make install' or set IPCBENCH_DATADIR to ipcbench's scripts/ directory",
		IPCB_DATADIR);
	return -ENOENT;
}

/* ---- templates ---- */

struct plot_var {
	const char *key;
	char *val; /* malloc'd */
};

struct writer {
	struct plot_set *ps;
	const struct plot_opts *o;
	char tdir[PATH_MAX];
	char *style; /* scripts/style.gp */
	char *err;
	size_t errlen;
	struct plot_var vars[PLOT_MAX_VARS];
	size_t nvars;
};

static char *read_text(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *m;

	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	m = open_memstream(&buf, &len);
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (!m || fclose(m)) {
		set_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	return buf;
}

static void var_set(struct writer *w, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void var_set(struct writer *w, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v = NULL;
	size_t i;

	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		v = NULL;
	va_end(ap);
	for (i = 0; i < w->nvars; i++)
		if (!strcmp(w->vars[i].key, key))
			break;
	if (i == w->nvars) {
		if (i == PLOT_MAX_VARS) {
			free(v);
			return;
		}
		w->nvars++;
	} else {
		free(w->vars[i].val);
	}
	w->vars[i].key = key;
	w->vars[i].val = v;
}

/* Takes ownership of a string built elsewhere. */
static void var_take(struct writer *w, const char *key, char *v)
{
	var_set(w, key, "%s", v ? v : "");
	free(v);
}

static void vars_clear(struct writer *w)
{
	for (size_t i = 0; i < w->nvars; i++)
		free(w->vars[i].val);
	w->nvars = 0;
}

static const char *var_get(const struct writer *w, const char *key, size_t keylen)
{
	for (size_t i = 0; i < w->nvars; i++)
		if (strlen(w->vars[i].key) == keylen && !strncmp(w->vars[i].key, key, keylen))
			return w->vars[i].val ? w->vars[i].val : "";
	return NULL;
}

static size_t placeholder_len(const char *s)
{
	size_t n = 1;

	while ((s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_')
		n++;
	return s[n] == '@' && n > 1 ? n + 1 : 0;
}

/* Copies tmpl to out with every @KEY@ replaced; @STYLE@ is the style template, itself filled in. */
static int fill(struct writer *w, FILE *out, const char *tmpl, const char *tname)
{
	for (const char *s = tmpl; *s; s++) {
		size_t n = *s == '@' ? placeholder_len(s) : 0;
		const char *v;

		if (!n) {
			fputc(*s, out);
			continue;
		}
		if (n == 7 && !strncmp(s, "@STYLE@", 7) && w->style) {
			if (fill(w, out, w->style, "style.gp"))
				return -EINVAL;
			s += n - 1;
			continue;
		}
		v = var_get(w, s + 1, n - 2);
		if (!v) {
			set_err(w->err, w->errlen, "%s/%s: unknown placeholder %.*s", w->tdir, tname, (int)n, s);
			return -EINVAL;
		}
		fputs(v, out);
		s += n - 1;
	}
	return 0;
}

static FILE *open_out(struct writer *w, const char *name, const char *ext)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", w->o->dir, name, ext);
	f = fopen(path, "w");
	if (!f)
		set_err(w->err, w->errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int close_out(struct writer *w, FILE *f, const char *name, const char *ext)
{
	bool bad = ferror(f);

	if (fclose(f) || bad) {
		set_err(w->err, w->errlen, "%s/%s.%s: %s", w->o->dir, name, ext, strerror(errno ? errno : EIO));
		return -EIO;
	}
	return 0;
}

static int write_script(struct writer *w, const char *name, const char *tmpl_name)
{
	char path[PATH_MAX];
	char *tmpl;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/%s", w->tdir, tmpl_name);
	tmpl = read_text(path, w->err, w->errlen);
	if (!tmpl)
		return -ENOENT;
	f = open_out(w, name, "gp");
	if (!f) {
		free(tmpl);
		return -errno;
	}
	r = fill(w, f, tmpl, tmpl_name);
	free(tmpl);
	if (r) {
		fclose(f);
		return r;
	}
	return close_out(w, f, name, "gp");
}

static int add_chart(struct writer *w, enum plot_kind kind, const char *name, const char *title)
{
	struct plot_set *ps = w->ps;
	struct plot_chart *c = realloc(ps->charts, (ps->ncharts + 1) * sizeof(*c));

	if (!c) {
		set_err(w->err, w->errlen, "out of memory");
		return -ENOMEM;
	}
	ps->charts = c;
	c = &ps->charts[ps->ncharts++];
	c->kind = kind;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->title, sizeof(c->title), "%s", title);
	return 0;
}

/* Sets the variables every template uses, writes the script and records the chart. */
static int finish_chart(struct writer *w, enum plot_kind kind, const char *name, const char *title, const char *tmpl,
			int width, int height)
{
	char *t = NULL;
	size_t tl = 0;
	FILE *m = open_memstream(&t, &tl);
	int r;

	if (!m)
		return -ENOMEM;
	gp_quote(m, title);
	fputs(" . \"\\n\" . ", m);
	gp_quote(m, w->ps->subtitle);
	fclose(m);
	var_take(w, "TITLE", t);
	var_set(w, "NAME", "%s", name);
	var_set(w, "WIDTH", "%d", width);
	var_set(w, "HEIGHT", "%d", height);
	r = write_script(w, name, tmpl);
	vars_clear(w);
	return r ? r : add_chart(w, kind, name, title);
}

/* ---- selecting cells ---- */

struct pick {
	const char *group;    /* NULL: any */
	int64_t bytes;	      /* 0: any */
	const char *relation; /* NULL: any */
	size_t series;	      /* SIZE_MAX: any */
	bool hdr;	      /* only cells with a histogram */
	bool p50;	      /* only cells with a p50 */
	bool rates;	      /* only cells with messages/s and bytes/s */
};

static bool picked(const struct plot_cell *pc, const struct pick *p)
{
	return pc->ok && (!p->group || !strcmp(pc->group, p->group)) && (!p->bytes || pc->c->msg_bytes == p->bytes) &&
	       (!p->relation || !strcmp(pc->c->relation, p->relation)) &&
	       (p->series == SIZE_MAX || pc->series == p->series) && (!p->hdr || pc->c->lat.hdr) &&
	       (!p->p50 || isfinite(pc->c->lat.pct[0])) &&
	       (!p->rates || (isfinite(pc->c->msgs_per_sec) && isfinite(pc->c->bytes_per_sec)));
}

/* The first matching cell of a series (later duplicates of a key are not drawn). */
static const struct plot_cell *find_cell(const struct plot_set *ps, const struct pick *p)
{
	for (size_t i = 0; i < ps->ncells; i++)
		if (picked(&ps->cells[i], p))
			return &ps->cells[i];
	return NULL;
}

/* Indexes of the series with a matching cell, in series order. */
static size_t pick_series(const struct plot_set *ps, struct pick p, size_t *out)
{
	size_t n = 0;

	for (size_t s = 0; s < ps->nseries; s++) {
		p.series = s;
		if (find_cell(ps, &p))
			out[n++] = s;
	}
	return n;
}

static int relation_rank(const char *rel)
{
	static const char *const order[] = {"same", "smt", "cross", "numa", "unpinned"};

	for (int i = 0; i < 5; i++)
		if (!strcmp(rel, order[i]))
			return i;
	return 5;
}

static bool seen_str(const char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* Distinct groups in order of appearance. */
static size_t list_groups(const struct plot_set *ps, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++)
		if (ps->cells[i].ok && !seen_str(out, n, ps->cells[i].group))
			out[n++] = ps->cells[i].group;
	return n;
}

/* Distinct relations, same CPU first. */
static size_t list_relations(const struct plot_set *ps, const struct pick *p, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];
		size_t j;

		if (!picked(pc, p) || seen_str(out, n, pc->c->relation))
			continue;
		for (j = n; j > 0 && relation_rank(out[j - 1]) > relation_rank(pc->c->relation); j--)
			out[j] = out[j - 1];
		out[j] = pc->c->relation;
		n++;
	}
	return n;
}

/* Distinct sizes, ascending. */
static size_t list_sizes(const struct plot_set *ps, const struct pick *p, int64_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ps->ncells; i++) {
		const struct plot_cell *pc = &ps->cells[i];
		int64_t b = pc->c->msg_bytes;
		size_t j;
		bool dup = false;

		if (!picked(pc, p))
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
static void group_title(const struct plot_cell *pc, char *out, size_t outlen)
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

static const char *latency_meaning(const char *pattern)
{
	return !strcmp(pattern, "stream") ? "one-way latency" : "round-trip latency";
}

/* The CPUs when every cell of a chart ran on the same pair: " (CPUs 0,1)". */
static void cpus_note(const struct plot_set *ps, const struct pick *p, char *out, size_t outlen)
{
	const struct rf_cell *first = NULL;

	out[0] = '\0';
	for (size_t i = 0; i < ps->ncells; i++) {
		const struct rf_cell *c = ps->cells[i].c;

		if (!picked(&ps->cells[i], p))
			continue;
		if (!first)
			first = c;
		else if (c->client_cpu != first->client_cpu || c->server_cpu != first->server_cpu)
			return;
	}
	if (first && first->client_cpu >= 0 && first->server_cpu >= 0)
		snprintf(out, outlen, " (CPUs %d,%d)", first->client_cpu, first->server_cpu);
}

/* ---- units ---- */

struct unit {
	double div;
	const char *name;
};

static struct unit time_unit(double typical_ns)
{
	if (typical_ns < 1e3)
		return (struct unit){1, "ns"};
	if (typical_ns < 1e6)
		return (struct unit){1e3, "µs"};
	if (typical_ns < 1e9)
		return (struct unit){1e6, "ms"};
	return (struct unit){1e9, "s"};
}

static struct unit rate_unit(double typical)
{
	if (typical >= 1e9)
		return (struct unit){1e9, "G"};
	if (typical >= 1e6)
		return (struct unit){1e6, "M"};
	if (typical >= 1e3)
		return (struct unit){1e3, "k"};
	return (struct unit){1, ""};
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the finite values (NAN when none); sorts v. */
static double median(double *v, size_t n)
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

static double p50(const struct rf_cell *c)
{
	return c->lat.pct[0];
}

static double p99(const struct rf_cell *c)
{
	return c->lat.pct[2];
}

/* The unit that suits the p50s of the cells chosen by p. */
static struct unit chart_time_unit(const struct plot_set *ps, const struct pick *p)
{
	double *v = calloc(ps->ncells + 1, sizeof(*v));
	size_t n = 0;
	struct unit u;

	if (!v)
		return time_unit(1e3);
	for (size_t i = 0; i < ps->ncells; i++)
		if (picked(&ps->cells[i], p))
			v[n++] = p50(ps->cells[i].c);
	u = time_unit(median(v, n));
	free(v);
	return u;
}

/* The smallest and largest of lo(c) and hi(c) over the chosen cells. */
static void extent(const struct plot_set *ps, const struct pick *p, double (*lo)(const struct rf_cell *),
		   double (*hi)(const struct rf_cell *), double *min, double *max)
{
	*min = INFINITY;
	*max = -INFINITY;
	for (size_t i = 0; i < ps->ncells; i++) {
		const struct rf_cell *c = ps->cells[i].c;

		if (!picked(&ps->cells[i], p))
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
static char *log_tics_extra(double lo, double hi, double div)
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

static double lat_min(const struct rf_cell *c)
{
	return c->lat.min;
}

static double lat_max(const struct rf_cell *c)
{
	return c->lat.max;
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

/* ---- data file headers ---- */

/* Text inside a comment line: nothing that could end the line. */
static void dat_comment(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

static void dat_header(struct writer *w, FILE *f, const char *what, const char *columns)
{
	fprintf(f, "# ipcbench %s\n# %s\n# from:", what, w->ps->subtitle);
	for (size_t i = 0; i < w->ps->nfiles; i++) {
		fputc(' ', f);
		dat_comment(f, w->ps->files[i].path);
	}
	fprintf(f, "\n# columns: %s\n", columns);
}

static void dat_block(FILE *f, size_t index, const struct plot_series *s, const struct plot_cell *pc)
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
static int line_height(size_t key_entries)
{
	int h = 190 + 21 * (int)key_entries;

	return h < 600 ? 600 : h;
}

/* ---- chart 1: latency by percentile ---- */

/* One block: the .hgrm rows of the cell's histogram, x capped at the sample count. */
static int percentile_block(struct writer *w, FILE *f, const struct plot_cell *pc, int64_t *nmax)
{
	struct hist h;
	char why[200], *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m;
	int r = hist_decode_base64(&h, pc->c->lat.hdr, why, sizeof(why));

	if (r) {
		set_err(w->err, w->errlen, "%s: %s: histogram: %s", w->ps->files[pc->file].path, pc->c->key, why);
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
	gp_quote(m, s->label);
}

static int percentile_data(struct writer *w, const char *name, const struct pick *p, const size_t *ser, size_t n,
			   int64_t *nmax)
{
	FILE *f = open_out(w, name, "dat");
	int r = 0;

	if (!f)
		return -errno;
	dat_header(w, f, "latency by percentile (.hgrm rows of each cell's HDR histogram)",
		   "percentile (%), one_over_one_minus_p (1/(1-p), capped at the sample count), latency_ns (ns), "
		   "total_count (samples at or below)");
	for (size_t i = 0; i < n && !r; i++) {
		struct pick q = *p;
		const struct plot_cell *pc;

		q.series = ser[i];
		pc = find_cell(w->ps, &q);
		dat_block(f, i, &w->ps->series[ser[i]], pc);
		r = percentile_block(w, f, pc, nmax);
	}
	if (r) {
		fclose(f);
		return r;
	}
	return close_out(w, f, name, "dat");
}

static int percentile_chart(struct writer *w, const struct pick *p)
{
	size_t *ser = calloc(w->ps->nseries + 1, sizeof(*ser)), n;
	const struct plot_cell *any = find_cell(w->ps, p);
	char name[128], title[192], gt[48], sz[32], tag[32], rel[32], cpus[32];
	struct unit u = chart_time_unit(w->ps, p);
	double lo, hi;
	int64_t nmax = 2;
	char *plot = NULL;
	size_t plen = 0;
	FILE *m;
	int r;

	if (!ser)
		return -ENOMEM;
	n = pick_series(w->ps, *p, ser);
	group_title(any, gt, sizeof(gt));
	units_bytes(p->bytes, sz, sizeof(sz));
	size_tag(p->bytes, tag, sizeof(tag));
	safe_tag(p->relation, rel, sizeof(rel));
	cpus_note(w->ps, p, cpus, sizeof(cpus));
	snprintf(name, sizeof(name), "latency-by-percentile-%s-%s-%s", p->group, tag, rel);
	snprintf(title, sizeof(title), "Latency by percentile: %s, %s, %s%s", gt, sz, plot_relation_name(p->relation),
		 cpus);
	r = percentile_data(w, name, p, ser, n, &nmax);
	m = r ? NULL : open_memstream(&plot, &plen);
	for (size_t i = 0; m && i < n; i++)
		percentile_plot_line(m, name, i, &w->ps->series[ser[i]], u.div);
	if (m)
		fclose(m);
	free(ser);
	if (r)
		return r;
	var_take(w, "PLOT", plot);
	var_take(w, "XTICS", nines_tics(nmax));
	var_set(w, "XMAX", "%" PRId64, nmax);
	var_set(w, "YLABEL", "%s (%s, log scale)", latency_meaning(any->c->pattern), u.name);
	extent(w->ps, p, lat_min, lat_max, &lo, &hi);
	var_take(w, "YEXTRA", log_tics_extra(lo, hi, u.div));
	return finish_chart(w, PLOT_PERCENTILE, name, title, "latency-by-percentile.gp", 1000, line_height(n));
}

static int percentile_charts(struct writer *w)
{
	const char **groups = calloc(w->ps->ncells + 1, sizeof(*groups));
	const char **rels = calloc(w->ps->ncells + 1, sizeof(*rels));
	int64_t *sizes = calloc(w->ps->ncells + 1, sizeof(*sizes));
	size_t ng, nr, nsz;
	int r = groups && rels && sizes ? 0 : -ENOMEM;

	ng = r ? 0 : list_groups(w->ps, groups);
	for (size_t g = 0; g < ng && !r; g++) {
		struct pick p = {.group = groups[g], .series = SIZE_MAX, .hdr = true};

		nsz = list_sizes(w->ps, &p, sizes);
		for (size_t s = 0; s < nsz && !r; s++) {
			p.bytes = sizes[s];
			p.relation = NULL;
			nr = list_relations(w->ps, &p, rels);
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

/* ---- charts 2 and 3: against message size ---- */

/* "64 B" 64, "4 KiB" 4096, ...: every size a tic, every other one labelled when crowded. */
static char *size_tics(const int64_t *sizes, size_t n)
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
		dat_num(f, c->lat.pct[0]);
		dat_num(f, c->lat.pct[1]);
		dat_num(f, c->lat.pct[2]);
		dat_num(f, c->lat.pct[3]);
		dat_num(f, c->lat.max);
		fprintf(f, " %" PRId64 "\n", c->lat.count);
		return;
	}
	dat_num(f, c->msgs_per_sec);
	dat_num(f, c->bytes_per_sec);
	dat_num(f, c->lat.pct[0]);
	fputc('\n', f);
}

/* Writes one block per series (rows by size); *has_p99 tells which blocks have a p99 to draw. */
static int vs_size_data(struct writer *w, const char *name, const struct vs_size *k, const struct pick *p,
			const size_t *ser, size_t n, const int64_t *sizes, size_t nsz, bool *has_p99)
{
	FILE *f = open_out(w, name, "dat");

	if (!f)
		return -errno;
	dat_header(w, f, k->what, k->columns);
	for (size_t i = 0; i < n; i++) {
		dat_block(f, i, &w->ps->series[ser[i]], NULL);
		has_p99[i] = false;
		for (size_t s = 0; s < nsz; s++) {
			struct pick q = *p;
			const struct plot_cell *pc;

			q.series = ser[i];
			q.bytes = sizes[s];
			pc = find_cell(w->ps, &q);
			if (!pc)
				continue;
			vs_size_row(f, k, pc->c);
			has_p99[i] |= isfinite(p99(pc->c));
		}
	}
	return close_out(w, f, name, "dat");
}

static void latency_vs_size_plot(FILE *m, const char *name, const struct plot_series *s, size_t i, bool has_p99,
				 double div)
{
	fprintf(m, "%s'%s.dat' index %zu using 1:($2/%g) with linespoints lt %d dt 1 title ", i ? ", \\\n     " : "",
		name, i, div, s->style);
	gp_quote(m, s->label);
	if (has_p99)
		fprintf(m, ", \\\n     '%s.dat' index %zu using 1:($4/%g) with lines lt %d dt 2 notitle", name, i, div,
			s->style);
}

static void throughput_plot(FILE *m, const char *name, const struct plot_series *s, size_t i, int col, double div)
{
	fprintf(m, "%s'%s.dat' index %zu using 1:($%d/%g) with linespoints lt %d title ", i ? ", \\\n     " : "", name,
		i, col, div, s->style);
	gp_quote(m, s->label);
}

/* The median of a column over the chosen cells, to pick a unit. */
static double typical_rate(const struct plot_set *ps, const struct pick *p, bool bytes)
{
	double *v = calloc(ps->ncells + 1, sizeof(*v)), med;
	size_t n = 0;

	if (!v)
		return 1;
	for (size_t i = 0; i < ps->ncells; i++)
		if (picked(&ps->cells[i], p))
			v[n++] = bytes ? ps->cells[i].c->bytes_per_sec : ps->cells[i].c->msgs_per_sec;
	med = median(v, n);
	free(v);
	return med;
}

static void vs_size_names(struct writer *w, const struct pick *p, enum plot_kind kind, char *name, size_t nlen,
			  char *title, size_t tlen)
{
	const struct plot_cell *any = find_cell(w->ps, p);
	char rel[32], gt[48], cpus[32];
	const char *stem = kind == PLOT_VS_SIZE		? "latency-vs-size"
			   : kind == PLOT_BYTES_VS_SIZE ? "throughput-bytes-vs-size"
							: "throughput-msgs-vs-size";

	safe_tag(p->relation, rel, sizeof(rel));
	group_title(any, gt, sizeof(gt));
	cpus_note(w->ps, p, cpus, sizeof(cpus));
	if (kind == PLOT_VS_SIZE) {
		snprintf(name, nlen, "%s-%s-%s", stem, p->group, rel);
		snprintf(title, tlen, "%s p50 and p99 by message size: %s, %s%s",
			 !strcmp(any->c->pattern, "stream") ? "One-way" : "Round-trip", gt,
			 plot_relation_name(p->relation), cpus);
	} else {
		snprintf(name, nlen, "%s-%s", stem, rel);
		snprintf(title, tlen, "Stream throughput (%s) by message size: %s%s",
			 kind == PLOT_BYTES_VS_SIZE ? "bytes/s" : "messages/s", plot_relation_name(p->relation), cpus);
	}
}

static void vs_size_vars(struct writer *w, const struct pick *p, enum plot_kind kind, struct unit *u)
{
	double lo, hi;

	if (kind == PLOT_VS_SIZE) {
		*u = chart_time_unit(w->ps, p);
		var_set(w, "YLABEL", "%s (%s, log scale)", latency_meaning(find_cell(w->ps, p)->c->pattern), u->name);
		extent(w->ps, p, p50, p99_or_p50, &lo, &hi);
	} else if (kind == PLOT_BYTES_VS_SIZE) {
		*u = rate_unit(typical_rate(w->ps, p, true));
		var_set(w, "YLABEL", "throughput (%sB/s, log scale)", u->name);
		extent(w->ps, p, bytes_rate, bytes_rate, &lo, &hi);
	} else {
		*u = rate_unit(typical_rate(w->ps, p, false));
		var_set(w, "YLABEL", "throughput (%s%smessages/s, log scale)", count_word(u->name),
			*u->name ? " " : "");
		extent(w->ps, p, msgs_rate, msgs_rate, &lo, &hi);
	}
	var_take(w, "YEXTRA", log_tics_extra(lo, hi, u->div));
}

static int vs_size_chart(struct writer *w, const struct pick *p, enum plot_kind kind)
{
	const struct vs_size *k = kind == PLOT_VS_SIZE ? &vs_latency : &vs_throughput;
	size_t *ser = calloc(w->ps->nseries + 1, sizeof(*ser)), n, nsz;
	int64_t *sizes = calloc(w->ps->ncells + 1, sizeof(*sizes));
	bool *has_p99 = calloc(w->ps->nseries + 1, sizeof(*has_p99));
	char name[128], title[192], *plot = NULL;
	size_t plen = 0;
	struct unit u;
	FILE *m = NULL;
	int r = ser && sizes && has_p99 ? 0 : -ENOMEM;

	n = r ? 0 : pick_series(w->ps, *p, ser);
	nsz = r ? 0 : list_sizes(w->ps, p, sizes);
	vs_size_names(w, p, kind, name, sizeof(name), title, sizeof(title));
	if (!r)
		r = vs_size_data(w, name, k, p, ser, n, sizes, nsz, has_p99);
	vs_size_vars(w, p, kind, &u);
	m = r ? NULL : open_memstream(&plot, &plen);
	for (size_t i = 0; m && i < n; i++) {
		if (kind == PLOT_VS_SIZE)
			latency_vs_size_plot(m, name, &w->ps->series[ser[i]], i, has_p99[i], u.div);
		else
			throughput_plot(m, name, &w->ps->series[ser[i]], i, kind == PLOT_BYTES_VS_SIZE ? 3 : 2, u.div);
	}
	if (m)
		fclose(m);
	var_take(w, "PLOT", plot);
	var_take(w, "XTICS", nsz ? size_tics(sizes, nsz) : NULL);
	var_set(w, "XMIN", "%g", nsz ? (double)sizes[0] / 1.5 : 1);
	var_set(w, "XMAX", "%g", nsz ? (double)sizes[nsz - 1] * 1.5 : 2);
	free(ser);
	free(sizes);
	free(has_p99);
	if (r) {
		vars_clear(w);
		return r;
	}
	return finish_chart(w, kind, name, title, kind == PLOT_VS_SIZE ? "latency-vs-size.gp" : "throughput-vs-size.gp",
			    1000, line_height(kind == PLOT_VS_SIZE ? n + 2 : n));
}

static int vs_size_charts(struct writer *w)
{
	const char **groups = calloc(w->ps->ncells + 1, sizeof(*groups));
	const char **rels = calloc(w->ps->ncells + 1, sizeof(*rels));
	size_t ng, nr;
	int r = groups && rels ? 0 : -ENOMEM;

	ng = r ? 0 : list_groups(w->ps, groups);
	for (size_t g = 0; g < ng && !r; g++) {
		bool stream = !strcmp(groups[g], "stream");
		struct pick p = {.group = groups[g], .series = SIZE_MAX, .p50 = !stream, .rates = stream};

		nr = list_relations(w->ps, &p, rels);
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

static int bar_size(struct writer *w, const char *group, int64_t *bytes)
{
	int64_t *sizes = calloc(w->ps->ncells + 1, sizeof(*sizes));
	struct pick p = {.group = group, .series = SIZE_MAX, .p50 = true};
	size_t n;
	int r = 0;

	if (!sizes)
		return -ENOMEM;
	n = list_sizes(w->ps, &p, sizes);
	p.bytes = w->o->summary_bytes ? (int64_t)w->o->summary_bytes : 64;
	if (find_cell(w->ps, &p)) {
		*bytes = p.bytes;
	} else if (!w->o->summary_bytes || !n) {
		*bytes = sizes[0]; /* 0 when nothing has a p50: no bar charts */
	} else {
		char s[32];

		units_bytes(p.bytes, s, sizeof(s));
		set_err(w->err, w->errlen, "--size %s: no measured %s cell has that size (measured: ", s, group);
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

struct bar_row {
	size_t series;
	double key; /* sort key: p50 of the first placement */
};

static int cmp_bar_row(const void *a, const void *b)
{
	const struct bar_row *x = a, *y = b;

	if (isfinite(x->key) != isfinite(y->key))
		return isfinite(x->key) ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

/* The series with a cell chosen by p, sorted by the p50 at relation rel0. */
static size_t bar_rows(const struct plot_set *ps, struct pick p, const char *rel0, struct bar_row *rows)
{
	size_t *ser = calloc(ps->nseries + 1, sizeof(*ser)), n;

	if (!ser)
		return 0;
	n = pick_series(ps, p, ser);
	for (size_t i = 0; i < n; i++) {
		struct pick q = p;
		const struct plot_cell *pc;

		q.series = ser[i];
		q.relation = rel0;
		pc = find_cell(ps, &q);
		rows[i].series = ser[i];
		rows[i].key = pc ? p50(pc->c) : NAN;
	}
	free(ser);
	qsort(rows, n, sizeof(*rows), cmp_bar_row);
	return n;
}

static void bar_label(const struct rf_cell *c, char *out, size_t outlen)
{
	char a[32], b[32];

	units_ns(p50(c), UNITS_TEXT, a, sizeof(a));
	units_ns(p99(c), UNITS_TEXT, b, sizeof(b));
	snprintf(out, outlen, "%s | %s", a, b);
}

/* The x range: a decade under the lowest p50, a little room right of the highest p99. */
static void bar_range(struct writer *w, double lo, double hi, double div)
{
	if (!isfinite(lo) || lo <= 0)
		lo = 1;
	if (!isfinite(hi) || hi < lo)
		hi = lo;
	var_set(w, "XMIN", "%g", pow(10, floor(log10(lo / div * 0.9))));
	var_set(w, "XMAX", "%g", hi / div * 1.6);
}

static void bar_extremes(const struct rf_cell *c, double *lo, double *hi)
{
	if (isfinite(p50(c)) && (!isfinite(*lo) || p50(c) < *lo))
		*lo = p50(c);
	if (isfinite(p99(c)) && (!isfinite(*hi) || p99(c) > *hi))
		*hi = p99(c);
	if (isfinite(p50(c)) && (!isfinite(*hi) || p50(c) > *hi))
		*hi = p50(c);
}

static int summary_data(struct writer *w, const char *name, const struct pick *p, const struct bar_row *rows, size_t n,
			double *lo, double *hi)
{
	FILE *f = open_out(w, name, "dat");

	if (!f)
		return -errno;
	dat_header(w, f, "summary at one size, sorted by p50",
		   "row (0 = top), series (label), p50_ns (ns), p99_ns (ns), p99.9_ns (ns), max_ns (ns), "
		   "style (linetype), text (bar label)");
	for (size_t i = 0; i < n; i++) {
		struct pick q = *p;
		const struct plot_cell *pc;
		char text[96];

		q.series = rows[i].series;
		pc = find_cell(w->ps, &q);
		bar_label(pc->c, text, sizeof(text));
		fprintf(f, "%zu ", i);
		dat_quote(f, w->ps->series[rows[i].series].label);
		dat_num(f, p50(pc->c));
		dat_num(f, p99(pc->c));
		dat_num(f, pc->c->lat.pct[3]);
		dat_num(f, pc->c->lat.max);
		fprintf(f, " %d ", w->ps->series[rows[i].series].style);
		dat_quote(f, text);
		fputc('\n', f);
		bar_extremes(pc->c, lo, hi);
	}
	return close_out(w, f, name, "dat");
}

static int summary_chart(struct writer *w, const struct pick *p)
{
	struct bar_row *rows = calloc(w->ps->nseries + 1, sizeof(*rows));
	const struct plot_cell *any = find_cell(w->ps, p);
	char name[128], title[192], gt[48], sz[32], tag[32], rel[32], cpus[32];
	struct unit u = chart_time_unit(w->ps, p);
	double lo = NAN, hi = NAN;
	size_t n;
	int r;

	if (!rows)
		return -ENOMEM;
	n = bar_rows(w->ps, *p, p->relation, rows);
	group_title(any, gt, sizeof(gt));
	units_bytes(p->bytes, sz, sizeof(sz));
	size_tag(p->bytes, tag, sizeof(tag));
	safe_tag(p->relation, rel, sizeof(rel));
	cpus_note(w->ps, p, cpus, sizeof(cpus));
	snprintf(name, sizeof(name), "summary-%s-%s-%s", p->group, tag, rel);
	snprintf(title, sizeof(title), "Every transport at %s: %s, %s%s, sorted by p50", sz, gt,
		 plot_relation_name(p->relation), cpus);
	r = summary_data(w, name, p, rows, n, &lo, &hi);
	free(rows);
	if (r)
		return r;
	bar_range(w, lo, hi, u.div);
	var_set(w, "DIV", "%g", u.div);
	var_set(w, "NROWS", "%zu", n);
	var_set(w, "XLABEL", "%s (%s, log scale): bar p50, whisker to p99", latency_meaning(any->c->pattern), u.name);
	return finish_chart(w, PLOT_SUMMARY, name, title, "summary.gp", 1000, (int)(170 + 38 * n));
}

static int placement_data(struct writer *w, const char *name, const struct pick *p, const char **rels, size_t nr,
			  const struct bar_row *rows, size_t n, double *lo, double *hi)
{
	FILE *f = open_out(w, name, "dat");

	if (!f)
		return -errno;
	dat_header(w, f, "placement effect at one size, sorted by the first placement's p50",
		   "row (0 = top), series (label), then per placement: p50_ns (ns), p99_ns (ns), text (bar label)");
	fprintf(f, "# placements, in column order:");
	for (size_t k = 0; k < nr; k++)
		fprintf(f, " %s", rels[k]);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%zu ", i);
		dat_quote(f, w->ps->series[rows[i].series].label);
		for (size_t k = 0; k < nr; k++) {
			struct pick q = *p;
			const struct plot_cell *pc;
			char text[96];

			q.series = rows[i].series;
			q.relation = rels[k];
			pc = find_cell(w->ps, &q);
			dat_num(f, pc ? p50(pc->c) : NAN);
			dat_num(f, pc ? p99(pc->c) : NAN);
			if (pc)
				bar_label(pc->c, text, sizeof(text));
			fputc(' ', f);
			dat_quote(f, pc ? text : "");
			if (pc)
				bar_extremes(pc->c, lo, hi);
		}
		fputc('\n', f);
	}
	return close_out(w, f, name, "dat");
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

static void placement_bar(FILE *m, const char *name, const struct plot_set *ps, const struct pick *p, const char *rel,
			  size_t k, size_t nr, double div)
{
	static const char *const fills[] = {"fs solid 0.9 border lc 'black'", "fs solid 0.9 border lc 'black'",
					    "fs pattern 5 border lc 'black'", "fs pattern 4 border lc 'black'"};
	struct bar_geom g = bar_geom(k, nr);
	struct pick q = *p;
	char cpus[32];

	q.relation = rel;
	cpus_note(ps, &q, cpus, sizeof(cpus));
	fprintf(m, "%s'%s.dat' using (xmin):($1%+g):(xmin):($%d/%g):($1%+g):($1%+g)%s with boxxyerror ls %zu %s title ",
		k ? ", \\\n     " : "", name, g.off, g.col, div, g.off - g.half, g.off + g.half, k ? "" : ":ytic(2)",
		101 + k % 4, fills[k % 4]);
	gp_quote(m, plot_relation_name(rel));
	fprintf(m, " . ");
	gp_quote(m, cpus);
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
			    const struct pick *p, double div)
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

static int placement_chart(struct writer *w, const struct pick *p, const char **rels, size_t nr)
{
	struct bar_row *rows = calloc(w->ps->nseries + 1, sizeof(*rows));
	const struct plot_cell *any = find_cell(w->ps, p);
	char name[128], title[192], gt[48], sz[32], tag[32];
	struct unit u = chart_time_unit(w->ps, p);
	double lo = NAN, hi = NAN;
	size_t n;
	int r;

	if (!rows)
		return -ENOMEM;
	n = bar_rows(w->ps, *p, rels[0], rows);
	group_title(any, gt, sizeof(gt));
	units_bytes(p->bytes, sz, sizeof(sz));
	size_tag(p->bytes, tag, sizeof(tag));
	snprintf(name, sizeof(name), "placement-%s-%s", p->group, tag);
	snprintf(title, sizeof(title), "Placement effect at %s: %s, p50 by placement", sz, gt);
	r = placement_data(w, name, p, rels, nr, rows, n, &lo, &hi);
	free(rows);
	if (r)
		return r;
	bar_range(w, lo, hi, u.div);
	var_take(w, "PLOT", placement_plot(name, rels, nr, w->ps, p, u.div));
	var_set(w, "NROWS", "%zu", n);
	var_set(w, "XLABEL", "%s (%s, log scale): bar p50, whisker to p99", latency_meaning(any->c->pattern), u.name);
	return finish_chart(w, PLOT_PLACEMENT, name, title, "placement.gp", 1000,
			    (int)(190 + (double)n * (18.0 * (double)nr + 14)));
}

static int bar_charts(struct writer *w)
{
	const char *group = bar_group(w->ps);
	const char **rels = calloc(w->ps->ncells + 1, sizeof(*rels));
	struct pick p = {.group = group, .series = SIZE_MAX, .p50 = true};
	size_t nr;
	int r = rels ? 0 : -ENOMEM;

	if (!group || r) {
		free(rels);
		return r;
	}
	r = bar_size(w, group, &p.bytes);
	nr = r || !p.bytes ? 0 : list_relations(w->ps, &p, rels);
	for (size_t k = 0; k < nr && !r; k++) {
		struct pick q = p;

		q.relation = rels[k];
		r = summary_chart(w, &q);
	}
	if (!r && nr > 1)
		r = placement_chart(w, &p, rels, nr);
	free(rels);
	return r;
}

/* ---- writing and rendering ---- */

static int make_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (!stat(dir, &st)) {
		if (S_ISDIR(st.st_mode))
			return 0;
		set_err(err, errlen, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	if (mkdir(dir, 0777) && errno != EEXIST) {
		int e = errno;

		set_err(err, errlen, "%s: cannot create the directory: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

int plot_write(struct plot_set *ps, const struct plot_opts *o, char *err, size_t errlen)
{
	struct writer w = {.ps = ps, .o = o, .err = err, .errlen = errlen};
	char path[PATH_MAX + 16];
	int r;

	if (o->templates)
		snprintf(w.tdir, sizeof(w.tdir), "%s", o->templates);
	else if ((r = plot_find_templates(w.tdir, sizeof(w.tdir), err, errlen)))
		return r;
	r = make_dir(o->dir, err, errlen);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/style.gp", w.tdir);
	w.style = read_text(path, err, errlen);
	if (!w.style)
		return -ENOENT;
	free(ps->charts);
	ps->charts = NULL;
	ps->ncharts = 0;
	r = percentile_charts(&w);
	if (!r)
		r = vs_size_charts(&w);
	if (!r)
		r = bar_charts(&w);
	vars_clear(&w);
	free(w.style);
	if (r == -ENOMEM)
		set_err(err, errlen, "out of memory");
	return r;
}

/* The line of gnuplot's stderr that says what failed: the one naming a script line, else the first. */
static void gnuplot_reason(const char *out, char *err, size_t errlen)
{
	const char *best = NULL, *first = NULL;

	for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
		size_t n = strcspn(l, "\n");
		const char *s = l + strspn(l, " \t^");

		if (s >= l + n)
			continue;
		if (!first)
			first = l;
		if (!best && memmem(l, n, "\" line ", 7))
			best = l;
	}
	best = best ? best : first;
	if (best)
		set_err(err, errlen, "gnuplot: %.*s", (int)strcspn(best, "\n"), best);
	else
		set_err(err, errlen, "gnuplot failed and said nothing");
}

static char *read_fd_all(int fd)
{
	char *buf = NULL, chunk[4096];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && m)
			fwrite(chunk, 1, (size_t)n, m);
	if (m)
		fclose(m);
	return buf;
}

static void exec_gnuplot(const char *dir, const char *gnuplot, char **argv, int errfd)
{
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	dup2(errfd, 2);
	if (chdir(dir) == 0)
		execv(gnuplot, argv);
	dprintf(2, "cannot run %s in %s: %s\n", gnuplot, dir, strerror(errno));
	_exit(127);
}

/* Runs gnuplot -e "fmt='FMT'" on every script in dir. */
static int run_gnuplot(const struct plot_set *ps, const struct plot_opts *o, const char *gnuplot, const char *fmt,
		       char *err, size_t errlen)
{
	char **argv = calloc(ps->ncharts + 5, sizeof(*argv)), fmtarg[32], *out, (*names)[136];
	int pfd[2], status;
	pid_t pid;

	names = calloc(ps->ncharts + 1, sizeof(*names));
	if (!argv || !names || pipe2(pfd, O_CLOEXEC)) {
		free(argv);
		free(names);
		set_err(err, errlen, "cannot start gnuplot: %s", strerror(errno ? errno : ENOMEM));
		return -EIO;
	}
	snprintf(fmtarg, sizeof(fmtarg), "fmt='%s'", fmt);
	argv[0] = "gnuplot";
	argv[1] = "-e";
	argv[2] = fmtarg;
	for (size_t i = 0; i < ps->ncharts; i++) {
		snprintf(names[i], sizeof(names[i]), "%s.gp", ps->charts[i].name);
		argv[3 + i] = names[i];
	}
	pid = fork();
	if (pid == 0)
		exec_gnuplot(o->dir, gnuplot, argv, pfd[1]);
	close(pfd[1]);
	out = pid > 0 ? read_fd_all(pfd[0]) : NULL;
	close(pfd[0]);
	free(argv);
	free(names);
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		set_err(err, errlen, "cannot run gnuplot: %s", strerror(errno));
		free(out);
		return -EIO;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		gnuplot_reason(out ? out : "", err, errlen);
		free(out);
		return -EIO;
	}
	free(out);
	return 0;
}

/* An image from an earlier run must not pass for this run's. */
static void remove_images(const struct plot_set *ps, const struct plot_opts *o, const char *ext)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < ps->ncharts; i++) {
		snprintf(path, sizeof(path), "%s/%s.%s", o->dir, ps->charts[i].name, ext);
		unlink(path);
	}
}

/* gnuplot can exit 0 without writing an image; every chart must have one. */
static int check_images(const struct plot_set *ps, const struct plot_opts *o, const char *ext, char *err, size_t errlen)
{
	for (size_t i = 0; i < ps->ncharts; i++) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s.%s", o->dir, ps->charts[i].name, ext);
		if (stat(path, &st) || st.st_size == 0) {
			set_err(err, errlen, "gnuplot wrote no %s", path);
			return -EIO;
		}
	}
	return 0;
}

int plot_render(const struct plot_set *ps, const struct plot_opts *o, const char *gnuplot, char *err, size_t errlen)
{
	static const struct {
		unsigned int bit;
		const char *fmt;
	} fmts[] = {{PLOT_PNG, "png"}, {PLOT_SVG, "svg"}};
	int r = 0;

	if (!ps->ncharts)
		return 0;
	for (size_t i = 0; i < 2 && !r; i++) {
		if (!(o->formats & fmts[i].bit))
			continue;
		remove_images(ps, o, fmts[i].fmt);
		r = run_gnuplot(ps, o, gnuplot, fmts[i].fmt, err, errlen);
		if (!r)
			r = check_images(ps, o, fmts[i].fmt, err, errlen);
	}
	return r;
}
