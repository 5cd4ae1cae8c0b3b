/*
 * cmd_compare.c - `ipcbench compare BASE NEW`: the regression gate's
 * command line.  Loads the result files of both sides (several per side,
 * comma-separated, are pooled), lets harness/analysis/compare.c judge every
 * cell and metric, and has compare_out.c render the verdicts (terminal
 * table, Markdown, JSON).
 *
 * Exit status: 0 passed, 1 a failed cell or a gated regression, 2 bad or
 * incomparable input (files that cannot be read, different machines
 * without --allow-different-machines, no cell in common).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/cmd.h"
#include "harness/analysis/compare.h"
#include "harness/analysis/compare_out.h"
#include "bench/opt.h"
#include "harness/analysis/resultfile.h"

#define MAX_FILES_PER_SIDE 1000

struct compare_args {
	struct compare_options opt;
	const char *base_arg, *new_arg;
	const char *markdown, *json;
	bool quiet;
};

static void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: ipcbench compare BASE NEW [options]\n\n"
		"Compares two sets of result files cell by cell: per metric the median over\n"
		"repetitions, its spread, the relative change, a Mann-Whitney U test over the\n"
		"repetitions and a verdict (improved, regressed, unchanged, inconclusive,\n"
		"insufficient samples, incomparable, failed).  BASE and NEW are result files\n"
		"of 'ipcbench run --repeat K', or comma-separated lists of them (pooled).\n\n"
		"  --threshold PCT            a regression must exceed PCT percent (default %g)\n"
		"  --alpha A                  significance level of the test (default %g)\n"
		"  --correction holm|none     Holm-Bonferroni over every tested comparison of the\n"
		"                             run (default holm), or none\n"
		"  --noise-factor X           ... and X times the noise: the larger relative MAD\n"
		"                             of the two sides (default %g)\n"
		"  --metrics LIST             p50,p99,p99.9,mean,round_trips_per_sec,msgs_per_sec,\n"
		"                             bytes_per_sec, or latency, throughput, all (default)\n"
		"  --markdown FILE            write a Markdown report (pull requests, job summaries)\n"
		"  --json FILE                write the comparison as JSON ('-': stdout)\n"
		"  --allow-different-machines gate even when CPU, CPU count, kernel or\n"
		"                             virtualization differ\n"
		"  -q, --quiet                no table on stdout (a failed gate: one line on stderr)\n"
		"  -h, --help                 this text\n\n"
		"Regressed needs p (Holm-adjusted) < alpha, |change| > threshold and |change| > noise factor x the\n"
		"noise; the direction counts (latency up, throughput down).  Tail\n"
		"percentiles need 10/(1-p) samples per repetition.  Failed: new fails\n"
		"repetitions (status not ok) of a cell whose base repetitions all pass, or\n"
		"passes none where the base passes some; it gates like regressed.  docs/ci.md\n"
		"explains it.\n\n"
		"Exit status: 0 passed, 1 a failed cell or a regression, 2 bad or incomparable input.\n",
		COMPARE_DEFAULT_THRESHOLD * 100, COMPARE_DEFAULT_ALPHA, COMPARE_DEFAULT_NOISE_FACTOR);
}

/* ---- arguments ---- */

static double parse_real(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && *end == '%' && !strcmp(opt, "--threshold"))
		end++;
	if (end == s || *end || errno || !isfinite(v))
		die_usage("compare: %s: '%s' is not a number", opt, s);
	if (v <= lo || v > hi)
		die_usage("compare: %s: %s is out of range (above %g, at most %g)", opt, s, lo, hi);
	return v;
}

static void add_metric(void *ctx, const char *name, size_t i, size_t n)
{
	struct compare_options *o = ctx;

	if (compare_metric_parse(name, &o->metrics))
		die_usage("compare: --metrics: unknown metric '%s' (p50, p99, p99.9, mean, "
			  "round_trips_per_sec, msgs_per_sec, bytes_per_sec, latency, throughput, all)",
			  name);
}

static void parse_metrics(const char *s, struct compare_options *o)
{
	char err[256];

	o->metrics = 0;
	if (opt_each_item(s, "metric", add_metric, o, err, sizeof(err)))
		die_usage("compare: --metrics: %s", err);
}

enum { OPT_THRESHOLD = 256, OPT_ALPHA, OPT_NOISE, OPT_METRICS, OPT_MARKDOWN, OPT_JSON, OPT_ALLOW, OPT_CORRECTION };

static void parse_args(int argc, char **argv, struct compare_args *a)
{
	static const struct option longopts[] = {
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"alpha", required_argument, NULL, OPT_ALPHA},
		{"noise-factor", required_argument, NULL, OPT_NOISE},
		{"correction", required_argument, NULL, OPT_CORRECTION},
		{"metrics", required_argument, NULL, OPT_METRICS},
		{"markdown", required_argument, NULL, OPT_MARKDOWN},
		{"json", required_argument, NULL, OPT_JSON},
		{"allow-different-machines", no_argument, NULL, OPT_ALLOW},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_THRESHOLD:
			a->opt.threshold = parse_real("--threshold", optarg, 0, 1000) / 100;
			break;
		case OPT_ALPHA:
			a->opt.alpha = parse_real("--alpha", optarg, 0, 0.5);
			break;
		case OPT_NOISE:
			a->opt.noise_factor = parse_real("--noise-factor", optarg, -1e-300, 100);
			break;
		case OPT_CORRECTION:
			if (strcmp(optarg, "holm") && strcmp(optarg, "none"))
				die_usage("compare: --correction: '%s' is not holm or none", optarg);
			a->opt.holm = !strcmp(optarg, "holm");
			break;
		case OPT_METRICS:
			parse_metrics(optarg, &a->opt);
			break;
		case OPT_MARKDOWN:
			a->markdown = optarg;
			break;
		case OPT_JSON:
			a->json = optarg;
			break;
		case OPT_ALLOW:
			a->opt.allow_different_machines = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			compare_usage(stdout);
			exit(EXIT_OK);
		case ':':
		default:
			die_usage("compare: %s (see 'ipcbench compare --help')",
				  cmd_bad_option(c, argc, argv, (char[300]){0}, 300));
		}
	}
	if (argc - optind != 2)
		die_usage("compare: expected BASE and NEW result files, got %d argument%s "
			  "(see 'ipcbench compare --help')",
			  argc - optind, argc - optind == 1 ? "" : "s");
	a->base_arg = argv[optind];
	a->new_arg = argv[optind + 1];
	if (a->markdown && !strcmp(a->markdown, "-"))
		die_usage("compare: --markdown needs a file name");
}

/* ---- loading ---- */

static void load_one(const char *path, struct result_file *f)
{
	char err[512];

	if (resultfile_load(path, f, err, sizeof(err)))
		die_usage("%s", err);
}

/* One file, or a comma-separated list of them (a name that exists is never split). */
static void load_side(const char *arg, struct compare_side *l)
{
	char **items, err[256];
	struct stat st;
	size_t n;

	l->arg = arg;
	if (!stat(arg, &st) || !strchr(arg, ',')) {
		l->f = calloc(1, sizeof(*l->f));
		l->n = 1;
		load_one(arg, l->f);
		return;
	}
	if (opt_split_list_max(arg, "file", MAX_FILES_PER_SIDE, &items, &n, err, sizeof(err)))
		die_usage("compare: %s", err);
	l->f = calloc(n, sizeof(*l->f));
	l->n = n;
	for (size_t i = 0; i < n; i++)
		load_one(items[i], &l->f[i]);
	opt_free_list(items, n);
}

static void release_side(struct compare_side *l)
{
	for (size_t i = 0; i < l->n; i++)
		resultfile_release(&l->f[i]);
	free(l->f);
}

/* ---- the command ---- */

/* 2 with err set for input that cannot be gated, else 1 or 0. */
static int exit_code(const struct compare_view *v, char *err, size_t errlen)
{
	const struct compare_result *res = v->res;
	const char *b = v->base->f[0].path, *n = v->cand->f[0].path;

	if (res->refused) {
		for (int e = 0; e < COMPARE_NENV; e++) {
			const struct compare_env *ev = &res->env[e];

			if (ev->differs && ev->machine) {
				snprintf(err, errlen,
					 "compare: %s and %s come from different machines (%s '%s' vs '%s'); "
					 "not gated (--allow-different-machines gates anyway)",
					 b, n, ev->field, ev->base, ev->cand);
				break;
			}
		}
		return EXIT_USAGE;
	}
	if (!res->ncommon) {
		snprintf(err, errlen, "compare: no cell of %s is in %s: nothing to compare", b, n);
		return EXIT_USAGE;
	}
	if (res->cell_counts[COMPARE_INCOMPARABLE] == res->ncells) {
		snprintf(err, errlen, "compare: no cell of %s can be compared with %s (%s: %s)", b, n,
			 compare_cell_key(&res->cells[0]), res->cells[0].reason);
		return EXIT_USAGE;
	}
	return res->regressions || res->failed ? EXIT_FAIL : EXIT_OK;
}

static bool want_colour(void)
{
	/* NO_COLOR set at all (even empty) turns colour off */
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

static int write_outputs(const struct compare_args *a, const struct compare_view *v, int rc)
{
	char err[600];

	if (a->markdown && compare_write_markdown_file(a->markdown, v, err, sizeof(err))) {
		warnx_("compare: --markdown %s", err);
		return -1;
	}
	if (a->json && compare_write_json(a->json, v, rc, err, sizeof(err))) {
		warnx_("compare: --json %s", err);
		return -1;
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_args a = {0};
	struct compare_side base = {0}, cand = {0};
	struct compare_result res;
	struct compare_view v = {&res, &a.opt, &base, &cand};
	char err[600] = "";
	bool table;
	int rc;

	compare_options_init(&a.opt);
	parse_args(argc, argv, &a);
	load_side(a.base_arg, &base);
	load_side(a.new_arg, &cand);
	if (compare_run(base.f, base.n, cand.f, cand.n, &a.opt, &res, err, sizeof(err)))
		die_usage("compare: %s", err);
	rc = exit_code(&v, err, sizeof(err));
	table = !a.quiet && !(a.json && !strcmp(a.json, "-"));
	if (table)
		compare_print_table(stdout, &v, want_colour());
	fflush(stdout);
	if (write_outputs(&a, &v, rc)) {
		rc = EXIT_USAGE;
	} else if (rc == EXIT_USAGE) {
		warnx_("%s", err);
	} else if (rc == EXIT_FAIL && !table) {
		/* without the table, one line still says why the gate failed */
		compare_gate_reason(&res, err, sizeof(err));
		warnx_("compare: gate failed: %s", err);
	}
	compare_result_release(&res);
	release_side(&base);
	release_side(&cand);
	return rc;
}
