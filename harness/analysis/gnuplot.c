/*
 * gnuplot.c - the gnuplot runner behind plot.h: where the templates are,
 * filling them in, writing each chart's NAME.dat and NAME.gp, and running
 * gnuplot on the scripts.  The one file built with -DIPCB_SRCDIR.
 *
 * Every chart is NAME.dat + NAME.gp in the output directory; the script
 * reads only NAME.dat, so the pair can be copied anywhere and re-run.
 */
#include "harness/analysis/plot_impl.h"
#include "common/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IPCB_DATADIR
#define IPCB_DATADIR "/usr/local/share/ipcbench"
#endif

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
		plot_err(err, errlen, "IPCBENCH_DATADIR=%s holds no gnuplot templates (style.gp)", env);
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
	plot_err(err, errlen,
		 "gnuplot templates (style.gp) not found in %s, next to the executable or in "
		 "./scripts: run 'make install' or set IPCBENCH_DATADIR to ipcbench's scripts/ directory",
		 IPCB_DATADIR);
	return -ENOENT;
}

/* ---- templates ---- */

static char *read_text(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *m;

	if (!f) {
		plot_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	m = open_memstream(&buf, &len);
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (!m || fclose(m)) {
		plot_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	return buf;
}

void plot_var_set(struct plot_writer *w, const char *key, const char *fmt, ...)
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
void plot_var_take(struct plot_writer *w, const char *key, char *v)
{
	plot_var_set(w, key, "%s", v ? v : "");
	free(v);
}

void plot_vars_clear(struct plot_writer *w)
{
	for (size_t i = 0; i < w->nvars; i++)
		free(w->vars[i].val);
	w->nvars = 0;
}

static const char *var_get(const struct plot_writer *w, const char *key, size_t keylen)
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
static int fill(struct plot_writer *w, FILE *out, const char *tmpl, const char *tname)
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
			plot_err(w->err, w->errlen, "%s/%s: unknown placeholder %.*s", w->tdir, tname, (int)n, s);
			return -EINVAL;
		}
		fputs(v, out);
		s += n - 1;
	}
	return 0;
}

FILE *plot_open_out(struct plot_writer *w, struct outfile *of, const char *name, const char *ext)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/%s.%s", w->o->dir, name, ext);
	r = outfile_open(of, path, w->err, w->errlen);
	if (r) {
		errno = -r;
		return NULL;
	}
	return of->f;
}

int plot_close_out(struct plot_writer *w, struct outfile *of)
{
	return outfile_commit(of, w->err, w->errlen) ? -EIO : 0;
}

static int write_script(struct plot_writer *w, const char *name, const char *tmpl_name)
{
	char path[PATH_MAX];
	struct outfile of;
	char *tmpl;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/%s", w->tdir, tmpl_name);
	tmpl = read_text(path, w->err, w->errlen);
	if (!tmpl)
		return -ENOENT;
	f = plot_open_out(w, &of, name, "gp");
	if (!f) {
		free(tmpl);
		return -errno;
	}
	r = fill(w, f, tmpl, tmpl_name);
	free(tmpl);
	if (r) {
		outfile_abort(&of);
		return r;
	}
	return plot_close_out(w, &of);
}

static int add_chart(struct plot_writer *w, enum plot_kind kind, const char *name, const char *title)
{
	struct plot_set *ps = w->ps;
	struct plot_chart *c = realloc(ps->charts, (ps->ncharts + 1) * sizeof(*c));

	if (!c) {
		plot_err(w->err, w->errlen, "out of memory");
		return -ENOMEM;
	}
	ps->charts = c;
	c = &ps->charts[ps->ncharts++];
	c->kind = kind;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->title, sizeof(c->title), "%s", title);
	c->note[0] = '\0'; /* a family that has a note sets it after plot_finish_chart */
	return 0;
}

/* Sets the variables every template uses, writes the script and records the chart. */
int plot_finish_chart(struct plot_writer *w, enum plot_kind kind, const char *name, const char *title, const char *tmpl,
		      int width, int height)
{
	char *t = NULL;
	size_t tl = 0;
	FILE *m = open_memstream(&t, &tl);
	int r;

	if (!m)
		return -ENOMEM;
	plot_gp_quote(m, title);
	fputs(" . \"\\n\" . ", m);
	plot_gp_quote(m, w->ps->subtitle);
	fclose(m);
	plot_var_take(w, "TITLE", t);
	plot_var_set(w, "NAME", "%s", name);
	plot_var_set(w, "WIDTH", "%d", width);
	plot_var_set(w, "HEIGHT", "%d", height);
	r = write_script(w, name, tmpl);
	plot_vars_clear(w);
	return r ? r : add_chart(w, kind, name, title);
}
/* ---- writing and rendering ---- */

static int make_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (!stat(dir, &st)) {
		if (S_ISDIR(st.st_mode))
			return 0;
		plot_err(err, errlen, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	if (mkdir(dir, 0777) && errno != EEXIST) {
		int e = errno;

		plot_err(err, errlen, "%s: cannot create the directory: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

int plot_write(struct plot_set *ps, const struct plot_opts *o, char *err, size_t errlen)
{
	struct plot_writer w = {.ps = ps, .o = o, .err = err, .errlen = errlen};
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
	r = plot_percentile_charts(&w);
	if (!r)
		r = plot_size_charts(&w);
	if (!r)
		r = plot_bar_charts(&w);
	if (!r)
		r = plot_zerocopy_charts(&w);
	if (!r)
		r = plot_tax_charts(&w);
	if (!r)
		r = plot_clients_charts(&w);
	plot_vars_clear(&w);
	free(w.style);
	if (r == -ENOMEM)
		plot_err(err, errlen, "out of memory");
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
		plot_err(err, errlen, "gnuplot: %.*s", (int)strcspn(best, "\n"), best);
	else
		plot_err(err, errlen, "gnuplot failed and said nothing");
}

static bool stopped(const struct plot_opts *o)
{
	return o->stop && *o->stop;
}

/*
 * gnuplot's stderr until it closes it, into *out.  Polls, so that a stop
 * (a signal caught by the command) is seen within a tenth of a second even
 * while gnuplot is silent: -EINTR then.
 */
static int read_output(int fd, const struct plot_opts *o, char **out)
{
	char chunk[4096];
	size_t len = 0;
	FILE *m = open_memstream(out, &len);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r = 0;

	for (;;) {
		ssize_t n;

		if (stopped(o)) {
			r = -EINTR;
			break;
		}
		n = poll(&p, 1, 100);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (m)
			fwrite(chunk, 1, (size_t)n, m);
	}
	if (m)
		fclose(m);
	return r;
}

/* Waits for gnuplot; when stopped, kills it first, so nothing draws on after ipcbench. */
static int reap(pid_t pid, bool kill_it, int *status)
{
	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
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

/* gnuplot -e "fmt='FMT'" and every script, in argv (names holds the script names). */
static char **gnuplot_argv(const struct plot_set *ps, const char *fmtarg, char (**names)[136])
{
	char **argv = calloc(ps->ncharts + 5, sizeof(*argv));

	*names = calloc(ps->ncharts + 1, sizeof(**names));
	if (!argv || !*names) {
		free(argv);
		free(*names);
		return NULL;
	}
	argv[0] = "gnuplot";
	argv[1] = "-e";
	argv[2] = (char *)fmtarg;
	for (size_t i = 0; i < ps->ncharts; i++) {
		snprintf((*names)[i], sizeof((*names)[i]), "%s.gp", ps->charts[i].name);
		argv[3 + i] = (*names)[i];
	}
	return argv;
}

/* Runs gnuplot -e "fmt='FMT'" on every script in dir. */
static int run_gnuplot(const struct plot_set *ps, const struct plot_opts *o, const char *gnuplot, const char *fmt,
		       char *err, size_t errlen)
{
	char fmtarg[32], *out = NULL, **argv;
	char(*names)[136];
	int pfd[2], status, r = 0;
	pid_t pid;

	snprintf(fmtarg, sizeof(fmtarg), "fmt='%s'", fmt);
	argv = gnuplot_argv(ps, fmtarg, &names);
	if (!argv || pipe2(pfd, O_CLOEXEC)) {
		if (argv) {
			free(argv);
			free(names);
		}
		plot_err(err, errlen, "cannot start gnuplot: %s", strerror(errno ? errno : ENOMEM));
		return -EIO;
	}
	pid = stopped(o) ? -1 : fork();
	if (pid == 0)
		exec_gnuplot(o->dir, gnuplot, argv, pfd[1]);
	close(pfd[1]);
	if (pid > 0)
		r = read_output(pfd[0], o, &out);
	close(pfd[0]);
	free(argv);
	free(names);
	if (r == -EINTR || stopped(o)) {
		if (pid > 0)
			reap(pid, true, &status);
		free(out);
		plot_err(err, errlen, "interrupted");
		return -EINTR;
	}
	if (pid < 0 || reap(pid, false, &status) < 0) {
		plot_err(err, errlen, "cannot run gnuplot: %s", strerror(errno));
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
			plot_err(err, errlen, "gnuplot wrote no %s", path);
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
