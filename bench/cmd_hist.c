/*
 * cmd_hist.c - `ipcbench hist FILE...`: merges the HDR histograms of result
 * files and interval logs (harness/analysis/histset.c) and prints, per group, a
 * header, the summary and the percentile distribution in HdrHistogram's
 * .hgrm layout (or CSV, or a short percentile table), or writes one .hgrm
 * file per group.
 *
 * Exit status: 0 ok, 1 an output could not be written, 2 bad usage or input
 * (a file that cannot be read or merged, a filter that matches nothing).
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/cmd.h"
#include "harness/hdrout.h"
#include "harness/hdr/hgrm.h"
#include "harness/analysis/histset.h"
#include "bench/opt.h"
#include "common/outfile.h"
#include "common/schema.h"

#define TICKS_PER_HALF 5

struct hist_args {
	struct histset_filter filter;
	const char *hgrm_dir;
	bool csv;
	char **pcts; /* --percentiles as given */
	size_t npcts;
	char filters_text[512]; /* the filter options, for "matches nothing" */
};

static const char *const known_patterns[] = {"pingpong", "stream", "rate", NULL};
static const char *const known_waits[] = {"block", "spin", "epoll", "poll", NULL};

static void hist_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench hist FILE... [options]\n\n"
		   "Merges the HDR histograms of result files (JSON from 'run -o') and interval\n"
		   "logs (.hlog from 'run --hlog'), mixed freely, and prints per group a header,\n"
		   "the summary in ns and the percentile distribution in HdrHistogram's .hgrm\n"
		   "layout.  Histograms are merged count by count (never by averaging\n"
		   "percentiles), so runs from several days or machines combine correctly.\n\n"
		   "Groups: result cells by transport, pattern, size, placement relation and wait\n"
		   "(and rate), across all files; CPU numbers are not compared, since they differ\n"
		   "between machines.  An .hlog gives one group of all its intervals per file\n"
		   "name (and tag); logs of the same name merge.  Cells that are not ok are\n"
		   "skipped and counted in the header.\n\n"
		   "  -t, --transport LIST    only these transports\n"
		   "  -p, --pattern LIST      only these patterns (pingpong, stream, rate)\n"
		   "  -s, --size LIST         only these message sizes (64,4k)\n"
		   "      --placement LIST    only these relations (same, cross, smt, numa, unpinned)\n"
		   "      --wait LIST         only block, spin, epoll and/or poll\n"
		   "      --tag TAG           only .hlog intervals tagged TAG\n"
		   "      --hgrm DIR          write DIR/NAME.hgrm per group instead of printing the\n"
		   "                          distribution (NAME as 'run --hgrm' names it, no CPUs)\n"
		   "      --csv               the distribution as CSV (with --hgrm: DIR/NAME.csv)\n"
		   "      --percentiles LIST  a short table of these percentiles (50,99,99.9)\n"
		   "                          instead of the distribution\n"
		   "  -h, --help              this text\n\n"
		   "The filters select .hlog files by their name when it is one 'run --hlog'\n"
		   "wrote; other logs (and, with --tag, result files) are left out.  Lines\n"
		   "starting with '# ' are ipcbench's; the rest is the distribution exactly as\n"
		   "HdrHistogram's outputPercentileDistribution(out, 5, 1.0) writes it.\n\n"
		   "Exit status: 0 ok, 1 an output could not be written, 2 bad usage or input.\n");
}

/* ---- arguments ---- */

static void note_filter(struct hist_args *a, const char *opt, const char *val)
{
	size_t n = strlen(a->filters_text);

	snprintf(a->filters_text + n, sizeof(a->filters_text) - n, "%s--%s %s", n ? " " : "", opt, val);
}

static size_t filter_opt_index(const struct option *longopts, int c)
{
	size_t i = 0;

	while (longopts[i].name && longopts[i].val != c)
		i++;
	return i;
}

static bool is_known(const char *const *known, const char *s)
{
	for (; *known; known++)
		if (!strcmp(*known, s))
			return true;
	return false;
}

static bool is_pattern(const char *s)
{
	return is_known(known_patterns, s);
}

static bool is_wait(const char *s)
{
	return is_known(known_waits, s);
}

/* The names of common/schema.h's enum relation. */
static bool is_relation(const char *s)
{
	enum relation r;

	return relation_parse(s, &r) == 0;
}

/* A comma list; with known != NULL every item must pass it. */
static void parse_list(const char *opt, const char *s, bool (*known)(const char *), char ***items, size_t *n)
{
	char err[200];

	if (*items)
		opt_free_list(*items, *n);
	if (opt_split_list(s, opt + 2, items, n, err, sizeof(err)))
		die_usage("hist: %s: %s", opt, err);
	for (size_t i = 0; known && i < *n; i++)
		if (!known((*items)[i]))
			die_usage("hist: %s: unknown value '%s'", opt, (*items)[i]);
}

static void parse_pcts(struct hist_args *a, const char *s)
{
	parse_list("--percentiles", s, NULL, &a->pcts, &a->npcts);
	for (size_t i = 0; i < a->npcts; i++) {
		char *end;
		double p = strtod(a->pcts[i], &end);

		if (*end || end == a->pcts[i] || !isfinite(p) || p < 0 || p > 100)
			die_usage("hist: --percentiles: '%s' is not a percentile (0 to 100)", a->pcts[i]);
	}
}

static void parse_option(struct hist_args *a, int c, const char *arg)
{
	struct histset_filter *f = &a->filter;
	char err[200];

	switch (c) {
	case 't':
		parse_list("--transport", arg, NULL, &f->transports, &f->ntransports);
		break;
	case 'p':
		parse_list("--pattern", arg, is_pattern, &f->patterns, &f->npatterns);
		break;
	case 's':
		free(f->sizes);
		f->sizes = NULL;
		if (opt_parse_size_list(arg, &f->sizes, &f->nsizes, err, sizeof(err)))
			die_usage("hist: --size: %s", err);
		break;
	case 'P':
		parse_list("--placement", arg, is_relation, &f->relations, &f->nrelations);
		break;
	case 'w':
		parse_list("--wait", arg, is_wait, &f->waits, &f->nwaits);
		break;
	case 'T':
		if (!*arg || strpbrk(arg, ", \r\n"))
			die_usage("hist: --tag: '%s' is not a tag (no comma, space or line break)", arg);
		f->tag = arg;
		break;
	}
}

static void parse_args(struct hist_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"transport", required_argument, NULL, 't'},
		{"pattern", required_argument, NULL, 'p'},
		{"size", required_argument, NULL, 's'},
		{"placement", required_argument, NULL, 'P'},
		{"wait", required_argument, NULL, 'w'},
		{"tag", required_argument, NULL, 'T'},
		{"hgrm", required_argument, NULL, 'H'},
		{"csv", no_argument, NULL, 'c'},
		{"percentiles", required_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c, idx;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:p:s:h", longopts, &idx)) != -1) {
		switch (c) {
		case 'H':
			a->hgrm_dir = optarg;
			break;
		case 'c':
			a->csv = true;
			break;
		case 'q':
			parse_pcts(a, optarg);
			break;
		case 'h':
			hist_usage(stdout);
			exit(EXIT_OK);
		case ':':
		case '?':
			die_usage("hist: %s (see 'ipcbench hist --help')",
				  cmd_bad_option(c, argc, argv, (char[300]){0}, 300));
		default:
			parse_option(a, c, optarg);
			note_filter(a, longopts[filter_opt_index(longopts, c)].name, optarg);
		}
	}
}

static void free_args(struct hist_args *a)
{
	struct histset_filter *f = &a->filter;

	opt_free_list(f->transports, f->ntransports);
	opt_free_list(f->patterns, f->npatterns);
	opt_free_list(f->relations, f->nrelations);
	opt_free_list(f->waits, f->nwaits);
	free(f->sizes);
	if (a->pcts)
		opt_free_list(a->pcts, a->npcts);
}

/* ---- output ---- */

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Input text on one line: control characters become '?'. */
static void put_safe(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void print_cpus(FILE *f, const struct histset_group *g)
{
	fprintf(f, "; grouped by placement relation '");
	put_safe(f, g->known ? g->ident.relation : "?");
	fprintf(f, "' (CPUs ");
	for (size_t i = 0; i < g->ncpus; i++) {
		if (g->cpus[i][0] < 0)
			fprintf(f, "%sunpinned", i ? ", " : "");
		else
			fprintf(f, "%s%d-%d", i ? ", " : "", g->cpus[i][0], g->cpus[i][1]);
	}
	fprintf(f, "%s)", g->more_cpus ? ", ..." : "");
}

/* "2026-11-21T06:37:21.000Z", or seconds when the time is absurd. */
static void fmt_time(double s, char *out, size_t outlen)
{
	struct tm tm;
	time_t t;

	if (!isfinite(s) || s < 0 || s > 253402300799.0) {
		snprintf(out, outlen, "%.3f s after the epoch", s);
		return;
	}
	t = (time_t)floor(s);
	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), outlen - strlen(out), ".%03dZ", (int)floor((s - (double)t) * 1000));
}

static void print_header(FILE *f, const struct histset_group *g)
{
	char when[64];

	if (g->source == HISTSET_HLOG) {
		fmt_time(g->first_s, when, sizeof(when));
		fprintf(f, "# %s: %zu interval%s merged from %zu file%s, over %.3f s from %s\n", g->name, g->merged,
			plural(g->merged), g->nfiles, plural(g->nfiles), g->end_s - g->first_s, when);
		return;
	}
	if (!g->merged) {
		fprintf(f, "# %s: no histogram: %zu cell%s not ok, skipped\n", g->name, g->not_ok, plural(g->not_ok));
		return;
	}
	fprintf(f, "# %s: %zu cell%s merged from %zu file%s", g->name, g->merged, plural(g->merged), g->nfiles,
		plural(g->nfiles));
	print_cpus(f, g);
	if (g->not_ok)
		fprintf(f, "; %zu cell%s not ok, skipped", g->not_ok, plural(g->not_ok));
	fputc('\n', f);
}

static void print_summary(FILE *f, const struct hist *h)
{
	static const double p[] = {50, 90, 99, 99.9, 99.99, 100};
	static const char *const k[] = {"p50", "p90", "p99", "p99.9", "p99.99", "p100"};
	char mean[64], sd[64];

	hist_format_fixed(mean, sizeof(mean), hist_mean(h), 3);
	hist_format_fixed(sd, sizeof(sd), hist_stddev(h), 3);
	fprintf(f, "# summary (ns): count=%lld min=%lld max=%lld mean=%s stddev=%s", (long long)h->total_count,
		(long long)hist_min(h), (long long)hist_max(h), mean, sd);
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		fprintf(f, " %s=%lld", k[i], (long long)hist_value_at_percentile(h, p[i]));
	fputc('\n', f);
}

static void print_pcts(FILE *f, const struct hist *h, const struct hist_args *a)
{
	fprintf(f, a->csv ? "\"Percentile\",\"Value\"\n" : "  Percentile        Value\n");
	for (size_t i = 0; i < a->npcts; i++) {
		long long v = (long long)hist_value_at_percentile(h, strtod(a->pcts[i], NULL));

		fprintf(f, a->csv ? "%s,%lld\n" : "%12s %12lld\n", a->pcts[i], v);
	}
}

/* DIR/NAME.hgrm (or .csv), through the one output writer. */
static int write_hgrm_file(const struct hist_args *a, const struct histset_group *g, char *err, size_t errlen)
{
	struct outfile of;
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/%s.%s", a->hgrm_dir, g->name, a->csv ? "csv" : "hgrm");
	r = outfile_open(&of, path, err, errlen);
	if (r)
		return r;
	r = hist_write_hgrm(&g->hist, of.f, TICKS_PER_HALF, 1.0, a->csv);
	if (r) {
		outfile_abort(&of);
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = outfile_commit(&of, err, errlen);
	if (!r)
		printf("# wrote %s\n", path);
	return r;
}

static int output_group(const struct hist_args *a, const struct histset_group *g)
{
	char err[PATH_MAX + 128];

	print_header(stdout, g);
	if (!g->merged)
		return 0;
	print_summary(stdout, &g->hist);
	if (a->npcts)
		print_pcts(stdout, &g->hist, a);
	if (a->hgrm_dir) {
		if (write_hgrm_file(a, g, err, sizeof(err))) {
			warnx_("hist: writing %s", err);
			return EXIT_FAIL;
		}
		return 0;
	}
	if (!a->npcts && hist_write_hgrm(&g->hist, stdout, TICKS_PER_HALF, 1.0, a->csv)) {
		warnx_("hist: writing the distribution: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

/* Two groups whose names sanitize to the same file would overwrite each other. */
static void check_names(const struct histset *s)
{
	for (size_t i = 0; i < s->ngroups; i++)
		for (size_t j = i + 1; j < s->ngroups; j++)
			if (s->groups[i].merged && s->groups[j].merged && !strcmp(s->groups[i].name, s->groups[j].name))
				die_usage("hist: two groups would both be written to %s (rename an .hlog)",
					  s->groups[i].name);
}

static int output(const struct hist_args *a, const struct histset *s)
{
	int rc = EXIT_OK;

	if (a->hgrm_dir)
		check_names(s);
	for (size_t i = 0; i < s->ngroups && rc == EXIT_OK; i++) {
		if (i)
			putchar('\n');
		rc = output_group(a, &s->groups[i]);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnx_("hist: writing to stdout: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
	return rc;
}

static int load(struct histset *s, const struct hist_args *a, char **paths, size_t n)
{
	char err[1024];

	for (size_t i = 0; i < n; i++) {
		if (histset_add_file(s, paths[i], err, sizeof(err))) {
			warnx_("hist: %s", err);
			return EXIT_USAGE;
		}
	}
	if (!s->ngroups) {
		if (a->filters_text[0])
			warnx_("hist: nothing in the input matches %s", a->filters_text);
		else
			warnx_("hist: no histograms in the input");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_hist(int argc, char **argv)
{
	struct hist_args a = {0};
	struct histset s;
	char err[200];
	bool made;
	int rc;

	parse_args(&a, argc, argv);
	if (optind >= argc)
		die_usage("hist: no input given (usage: ipcbench hist FILE... [options])");
	if (a.hgrm_dir && hdrout_check_dir(a.hgrm_dir, err, sizeof(err)))
		die_usage("hist: --hgrm: %s", err);
	histset_init(&s, &a.filter);
	rc = load(&s, &a, argv + optind, (size_t)(argc - optind));
	/* a missing --hgrm DIR is made once the input is known to be good, as run and plot do */
	if (rc == EXIT_OK && a.hgrm_dir && hdrout_make_dir(a.hgrm_dir, &made, err, sizeof(err))) {
		warnx_("hist: --hgrm: %s", err);
		rc = EXIT_USAGE;
	}
	if (rc == EXIT_OK)
		rc = output(&a, &s);
	histset_release(&s);
	free_args(&a);
	return rc;
}
