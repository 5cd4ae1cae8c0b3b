/*
 * cmd_compare.c - `ipcbench compare BASE NEW`: the regression gate.  Loads
 * the result files of both sides (several per side, comma-separated, are
 * pooled), lets harness/compare.c judge every cell and metric, and renders
 * the verdicts as a terminal table, Markdown (pull-request comments, job
 * summaries) and JSON (schema "ipcbench-compare", docs/ci.md).
 *
 * Exit status: 0 no gated regression, 1 a gated regression, 2 bad or
 * incomparable input (files that cannot be read, different machines
 * without --allow-different-machines, no cell in common).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/cmd.h"
#include "common/units.h"
#include "harness/analysis/compare.h"
#include "bench/opt.h"
#include "harness/analysis/resultfile.h"

#define COMPARE_JSON_SCHEMA "ipcbench-compare"
#define COMPARE_JSON_VERSION 1
#define MAX_FILES_PER_SIDE 1000

struct compare_args {
	struct compare_options opt;
	const char *base_arg, *new_arg;
	const char *markdown, *json;
	bool quiet;
};

struct loaded {
	const char *arg;
	struct result_file *f;
	size_t n;
};

static void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: ipcbench compare BASE NEW [options]\n\n"
		"Compares two sets of result files cell by cell: per metric the median over\n"
		"repetitions, its spread, the relative change, a Mann-Whitney U test over the\n"
		"repetitions and a verdict (improved, regressed, unchanged, inconclusive,\n"
		"insufficient samples, incomparable).  BASE and NEW are result files of\n"
		"'ipcbench run --repeat K', or comma-separated lists of them (pooled).\n\n"
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
		"  -q, --quiet                no table on stdout\n"
		"  -h, --help                 this text\n\n"
		"Regressed needs p (Holm-adjusted) < alpha, |change| > threshold and |change| > noise factor x the\n"
		"noise; the direction counts (latency up, throughput down).  Tail\n"
		"percentiles need 10/(1-p) samples per repetition.  docs/ci.md explains it.\n\n"
		"Exit status: 0 no regression, 1 a regression, 2 bad or incomparable input.\n",
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
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
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
			die_usage("compare: option '%s' needs a value", argv[optind - 1]);
		default:
			die_usage("compare: unknown option '%s' (see 'ipcbench compare --help')", argv[optind - 1]);
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
static void load_side(const char *arg, struct loaded *l)
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
	if (opt_split_list(arg, "file", &items, &n, err, sizeof(err)))
		die_usage("compare: %s", err);
	if (n > MAX_FILES_PER_SIDE)
		die_usage("compare: %zu files on one side; at most %d", n, MAX_FILES_PER_SIDE);
	l->f = calloc(n, sizeof(*l->f));
	l->n = n;
	for (size_t i = 0; i < n; i++)
		load_one(items[i], &l->f[i]);
	opt_free_list(items, n);
}

static void release_side(struct loaded *l)
{
	for (size_t i = 0; i < l->n; i++)
		resultfile_release(&l->f[i]);
	free(l->f);
}

/* ---- formatting ---- */

static void fmt_value(enum compare_metric m, double v, char *out, size_t len)
{
	char buf[32];

	if (isnan(v)) {
		snprintf(out, len, "-");
		return;
	}
	if (compare_metric_is_latency(m)) {
		units_ns(v, UNITS_ASCII, out, len);
		return;
	}
	units_si(v, "", "", buf, sizeof(buf));
	snprintf(out, len, "%s%s/s", buf, m == COMPARE_BYTES ? "B" : "");
}

static void fmt_change(double ch, char *out, size_t len)
{
	if (isnan(ch))
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%+.1f%%", ch * 100);
}

static void fmt_p(double p, char *out, size_t len)
{
	if (isnan(p))
		snprintf(out, len, "-");
	else if (p < 1e-4)
		snprintf(out, len, "<0.0001");
	else
		snprintf(out, len, "%.4f", p);
}

/* "7.02 us ±1.0%" */
static void fmt_stat(enum compare_metric m, const struct compare_stats *st, char *out, size_t len)
{
	char v[32];

	fmt_value(m, st->median, v, sizeof(v));
	if (isnan(st->rel_mad))
		snprintf(out, len, "%s", v);
	else
		snprintf(out, len, "%s ±%.1f%%", v, st->rel_mad * 100);
}

/* "6.95 us .. 7.10 us" */
static void fmt_range(enum compare_metric m, const struct compare_stats *st, char *out, size_t len)
{
	char lo[32], hi[32];

	fmt_value(m, st->min, lo, sizeof(lo));
	fmt_value(m, st->max, hi, sizeof(hi));
	snprintf(out, len, "%s .. %s", lo, hi);
}

static const char *cell_key(const struct compare_cell *cc)
{
	const struct rf_cell *c = cc->base ? cc->base : cc->cand;

	return c->key;
}

static void summary_line(const struct compare_result *res, char *out, size_t len)
{
	static const enum compare_verdict order[] = {
		COMPARE_REGRESSED,    COMPARE_IMPROVED,	    COMPARE_UNCHANGED,
		COMPARE_INCONCLUSIVE, COMPARE_INSUFFICIENT, COMPARE_INCOMPARABLE,
	};
	size_t off = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%zu %s", i ? ", " : "", res->cell_counts[order[i]],
					compare_verdict_name(order[i]));
	if (off < len)
		snprintf(out + off, len - off, " (%zu cell%s)", res->ncells, res->ncells == 1 ? "" : "s");
}

static const char *gate_text(const struct compare_result *res)
{
	if (res->refused)
		return "refused: the machines differ";
	return res->regressions ? "FAILED" : "passed";
}

/* ---- the terminal table ---- */

static const char *colour_of(enum compare_verdict v)
{
	switch (v) {
	case COMPARE_REGRESSED:
		return "\033[1;31m";
	case COMPARE_IMPROVED:
		return "\033[32m";
	case COMPARE_INCONCLUSIVE:
		return "\033[33m";
	case COMPARE_INSUFFICIENT:
		return "\033[2m";
	case COMPARE_INCOMPARABLE:
		return "\033[35m";
	default:
		return "";
	}
}

static void put_verdict(FILE *f, enum compare_verdict v, bool colour)
{
	if (colour && colour_of(v)[0])
		fprintf(f, "%s%s\033[0m", colour_of(v), compare_verdict_name(v));
	else
		fprintf(f, "%s", compare_verdict_name(v));
}

/* What every renderer needs. */
struct view {
	const struct compare_result *res;
	const struct compare_options *opt;
	const struct loaded *base, *cand;
};

static void print_env(FILE *f, const struct view *v)
{
	const struct loaded *b = v->base, *n = v->cand;

	fprintf(f, "base: %s", b->f[0].path);
	if (b->n > 1)
		fprintf(f, " and %zu more", b->n - 1);
	fprintf(f, " (revision %s)\nnew:  %s", b->f[0].git_revision ? b->f[0].git_revision : "?", n->f[0].path);
	if (n->n > 1)
		fprintf(f, " and %zu more", n->n - 1);
	fprintf(f, " (revision %s)\n", n->f[0].git_revision ? n->f[0].git_revision : "?");
	fprintf(f, "environment: %s\n", v->res->different_machines ? "DIFFERENT MACHINES" : "same machine");
	for (int e = 0; e < COMPARE_NENV; e++) {
		const struct compare_env *ev = &v->res->env[e];

		if (ev->differs)
			fprintf(f, "  %-15s %-30s -> %s%s\n", ev->field, ev->base[0] ? ev->base : "-",
				ev->cand[0] ? ev->cand : "-", ev->machine ? "   (machine)" : "");
		else if (ev->machine)
			fprintf(f, "  %-15s %s\n", ev->field, ev->base[0] ? ev->base : "-");
	}
	fputc('\n', f);
}

static void print_metric(FILE *f, const struct compare_metric_result *r, enum compare_metric m, bool colour)
{
	char sb[48], sc[48], ch[16], p[16], pa[16];

	fmt_stat(m, &r->base, sb, sizeof(sb));
	fmt_stat(m, &r->cand, sc, sizeof(sc));
	fmt_change(r->change, ch, sizeof(ch));
	fmt_p(r->p, p, sizeof(p));
	fmt_p(r->p_adj, pa, sizeof(pa));
	fprintf(f, "  %-20s %-20s %-20s %8s %8s %8s  ", compare_metric_name(m), sb, sc, ch, p, pa);
	put_verdict(f, r->verdict, colour);
	if (r->verdict != COMPARE_UNCHANGED)
		fprintf(f, " (%s)", r->why);
	fputc('\n', f);
}

static void print_cell(FILE *f, const struct compare_cell *cc, bool colour)
{
	fprintf(f, "%s  ", cell_key(cc));
	put_verdict(f, cc->verdict, colour);
	if (cc->verdict == COMPARE_INCOMPARABLE) {
		fprintf(f, ": %s\n", cc->reason);
		return;
	}
	fprintf(f, "  [%zu vs %zu repetitions%s%s]\n", cc->base_reps, cc->cand_reps, cc->reason[0] ? "; " : "",
		cc->reason);
	for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
		if (cc->m[m].present)
			print_metric(f, &cc->m[m], m, colour);
}

static void print_gate(FILE *f, const struct view *v)
{
	const struct compare_result *res = v->res;
	char line[256];

	summary_line(res, line, sizeof(line));
	fprintf(f,
		"\n%s\ngate: %s (%zu regressed comparison%s; threshold %g%%, alpha %g%s over %zu tests, "
		"noise factor %g)\n",
		line, gate_text(res), res->regressions, res->regressions == 1 ? "" : "s", v->opt->threshold * 100,
		v->opt->alpha, v->opt->holm ? " Holm-corrected" : "", res->ntested, v->opt->noise_factor);
}

static void print_table(FILE *f, const struct view *v, bool colour)
{
	const struct compare_result *res = v->res;

	print_env(f, v);
	fprintf(f, "  %-20s %-20s %-20s %8s %8s %8s  %s\n", "METRIC", "BASE median ±MAD", "NEW median ±MAD", "CHANGE",
		"p", "p adj", "VERDICT");
	for (size_t i = 0; i < res->ncells; i++)
		print_cell(f, &res->cells[i], colour);
	for (size_t i = 0; i < res->nwarnings; i++)
		fprintf(f, "warning: %s\n", res->warnings[i]);
	print_gate(f, v);
}

/* ---- Markdown ---- */

/* Writes s with the characters that would break a table cell escaped. */
static void md_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '`' || *s == '*' || *s == '_' || *s == '<' || *s == '>')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
}

static void md_header(FILE *f, const struct view *v)
{
	const struct compare_result *res = v->res;
	char line[256];

	summary_line(res, line, sizeof(line));
	fprintf(f, "### ipcbench compare: %s\n\n", line);
	fprintf(f,
		"**Gate: %s** (%zu regressed comparison%s; threshold %g%%, alpha %g%s over %zu tests, "
		"noise factor %g).  ",
		gate_text(res), res->regressions, res->regressions == 1 ? "" : "s", v->opt->threshold * 100,
		v->opt->alpha, v->opt->holm ? " Holm-corrected" : "", res->ntested, v->opt->noise_factor);
	fprintf(f, "Base: %zu file%s, revision `%s`; new: %zu file%s, revision `%s`.\n\n", v->base->n,
		v->base->n == 1 ? "" : "s", v->base->f[0].git_revision ? v->base->f[0].git_revision : "?", v->cand->n,
		v->cand->n == 1 ? "" : "s", v->cand->f[0].git_revision ? v->cand->f[0].git_revision : "?");
}

static void md_env(FILE *f, const struct view *v)
{
	const struct compare_result *res = v->res;
	bool any = false;

	fprintf(f, "**Environment:** %s", res->different_machines ? "**different machines**" : "same machine");
	for (int e = 0; e < COMPARE_NENV; e++) {
		if (res->env[e].machine && !res->env[e].differs) {
			fprintf(f, "; %s ", res->env[e].field);
			md_put(f, res->env[e].base);
		}
	}
	fprintf(f, ".\n\n");
	for (int e = 0; e < COMPARE_NENV; e++) {
		const struct compare_env *ev = &res->env[e];

		if (!ev->differs)
			continue;
		if (!any)
			fprintf(f, "| differs | base | new |\n|---|---|---|\n");
		any = true;
		fprintf(f, "| %s%s | ", ev->field, ev->machine ? " (machine)" : "");
		md_put(f, ev->base);
		fprintf(f, " | ");
		md_put(f, ev->cand);
		fprintf(f, " |\n");
	}
	if (any)
		fputc('\n', f);
}

static void md_row(FILE *f, const struct compare_cell *cc, enum compare_metric m, bool why)
{
	const struct compare_metric_result *r = &cc->m[m];
	char sb[48], sc[48], rb[64], rc[64], ch[16], p[16], pa[16];

	fmt_stat(m, &r->base, sb, sizeof(sb));
	fmt_stat(m, &r->cand, sc, sizeof(sc));
	fmt_range(m, &r->base, rb, sizeof(rb));
	fmt_range(m, &r->cand, rc, sizeof(rc));
	fmt_change(r->change, ch, sizeof(ch));
	fmt_p(r->p, p, sizeof(p));
	fmt_p(r->p_adj, pa, sizeof(pa));
	fprintf(f, "| `%s` | %s | %s (%s) | %s (%s) | %s | %s | %s | %s%s%s |", cell_key(cc), compare_metric_name(m),
		sb, rb, sc, rc, ch, p, pa, r->verdict == COMPARE_REGRESSED ? "**" : "",
		compare_verdict_name(r->verdict), r->verdict == COMPARE_REGRESSED ? "**" : "");
	if (why) {
		fputc(' ', f);
		md_put(f, r->why);
		fprintf(f, " |");
	}
	fputc('\n', f);
}

static void md_changes(FILE *f, const struct view *v)
{
	const struct compare_result *res = v->res;
	bool any = false;

	fprintf(f, "#### Regressed and improved\n\n");
	for (size_t i = 0; i < res->ncells; i++) {
		const struct compare_cell *cc = &res->cells[i];

		for (int m = 0; m < COMPARE_METRIC__COUNT; m++) {
			if (!cc->m[m].present ||
			    (cc->m[m].verdict != COMPARE_REGRESSED && cc->m[m].verdict != COMPARE_IMPROVED))
				continue;
			if (!any)
				fprintf(f, "| cell | metric | base median ±MAD (min .. max) "
					   "| new median ±MAD (min .. max) | change | p | p adj | verdict |\n"
					   "|---|---|---|---|---|---|---|---|\n");
			any = true;
			md_row(f, cc, m, false);
		}
	}
	fprintf(f, "%s\n", any ? "" : "None: no metric changed significantly beyond the threshold and the noise.\n");
}

static void md_all(FILE *f, const struct view *v)
{
	const struct compare_result *res = v->res;
	size_t n = 0;

	for (size_t i = 0; i < COMPARE_VERDICT__COUNT; i++)
		n += res->metric_counts[i];
	fprintf(f, "<details><summary>All %zu comparisons</summary>\n\n", n);
	fprintf(f, "| cell | metric | base median ±MAD (min .. max) | new median ±MAD (min .. max) | change | p "
		   "| p adj | verdict | why |\n|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < res->ncells; i++) {
		const struct compare_cell *cc = &res->cells[i];

		if (cc->verdict == COMPARE_INCOMPARABLE) {
			fprintf(f, "| `%s` | | | | | | | incomparable | ", cell_key(cc));
			md_put(f, cc->reason);
			fprintf(f, " |\n");
			continue;
		}
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
			if (cc->m[m].present)
				md_row(f, cc, m, true);
	}
	fprintf(f, "\n</details>\n\n");
}

static void md_warnings(FILE *f, const struct view *v)
{
	for (size_t i = 0; i < v->res->nwarnings; i++) {
		fprintf(f, "> warning: ");
		md_put(f, v->res->warnings[i]);
		fprintf(f, "\n");
	}
	if (v->res->nwarnings)
		fputc('\n', f);
	fprintf(f, "<sub>Medians over repetitions; ±MAD is 1.4826 x the median absolute deviation relative to the "
		   "median; p: two-sided Mann-Whitney U over repetitions; p adj: Holm-adjusted over every tested "
		   "comparison.  Regressed needs p adj < alpha, |change| > threshold and > noise factor x the "
		   "larger ±MAD of the two sides.</sub>\n");
}

static void write_markdown(FILE *f, const struct view *v)
{
	md_header(f, v);
	md_env(f, v);
	md_changes(f, v);
	md_all(f, v);
	md_warnings(f, v);
}

/* ---- JSON ---- */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *stats_json(const struct compare_stats *st)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "n", (json_int_t)st->n, "median", jnum(st->median), "min",
			 jnum(st->min), "max", jnum(st->max), "q1", jnum(st->q1), "q3", jnum(st->q3), "rel_mad",
			 jnum(st->rel_mad), "min_samples",
			 st->min_samples >= 0 && st->n ? json_integer(st->min_samples) : json_null());
}

static json_t *metric_json(const struct compare_metric_result *r, enum compare_metric m)
{
	bool lat = compare_metric_is_latency(m);

	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:s,s:s,s:b}", "metric", compare_metric_name(m),
			 "unit",
			 lat		      ? "ns"
			 : m == COMPARE_BYTES ? "bytes/s"
			 : m == COMPARE_MSGS  ? "msgs/s"
					      : "round trips/s",
			 "better", lat ? "lower" : "higher", "base", stats_json(&r->base), "new", stats_json(&r->cand),
			 "change", jnum(r->change), "p_value", jnum(r->p), "p_adjusted", jnum(r->p_adj), "p_exact",
			 r->exact, "tested", r->tested, "verdict", compare_verdict_id(r->verdict), "why", r->why,
			 "gated", r->verdict == COMPARE_REGRESSED);
}

static json_t *cell_json(const struct compare_cell *cc)
{
	const struct rf_cell *c = cc->base ? cc->base : cc->cand;
	json_t *o, *ms = json_array();

	for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
		if (cc->m[m].present)
			json_array_append_new(ms, metric_json(&cc->m[m], m));
	o = json_pack("{s:o,s:o,s:o,s:I,s:{s:o,s:o,s:o},s:o,s:o,s:s,s:o,s:o,s:o}", "key", jstr(c->key), "transport",
		      jstr(c->transport), "pattern", jstr(c->pattern), "msg_bytes", (json_int_t)c->msg_bytes,
		      "placement", "relation", jstr(c->relation), "client_cpu",
		      c->client_cpu >= 0 ? json_integer(c->client_cpu) : json_null(), "server_cpu",
		      c->server_cpu >= 0 ? json_integer(c->server_cpu) : json_null(), "wait", jstr(c->wait),
		      "rate_target_per_sec", jnum(c->rate_target_per_sec), "verdict", compare_verdict_id(cc->verdict),
		      "reason", cc->reason[0] ? json_string(cc->reason) : json_null(), "in_base",
		      json_boolean(cc->base != NULL), "in_new", json_boolean(cc->cand != NULL));
	json_object_set_new(o, "base_repetitions", json_integer((json_int_t)cc->base_reps));
	json_object_set_new(o, "new_repetitions", json_integer((json_int_t)cc->cand_reps));
	json_object_set_new(o, "base_failed_repetitions", json_integer((json_int_t)cc->base_failed));
	json_object_set_new(o, "new_failed_repetitions", json_integer((json_int_t)cc->cand_failed));
	json_object_set_new(o, "metrics", ms);
	return o;
}

static json_t *side_json(const struct loaded *l)
{
	json_t *files = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(files, json_string(l->f[i].path));
	return json_pack("{s:o,s:o,s:o}", "files", files, "git_revision", jstr(l->f[0].git_revision), "started_at",
			 jstr(l->f[0].started_at));
}

static json_t *counts_json(const size_t *counts)
{
	json_t *o = json_object();

	for (int v = 0; v < COMPARE_VERDICT__COUNT; v++)
		json_object_set_new(o, compare_verdict_id(v), json_integer((json_int_t)counts[v]));
	return o;
}

static json_t *env_json(const struct compare_result *res)
{
	json_t *facts = json_array();

	for (int e = 0; e < COMPARE_NENV; e++) {
		const struct compare_env *ev = &res->env[e];

		json_array_append_new(facts,
				      json_pack("{s:s,s:s,s:s,s:b,s:b}", "field", ev->field, "base", ev->base, "new",
						ev->cand, "differs", ev->differs, "machine", ev->machine));
	}
	return json_pack("{s:b,s:b,s:o}", "same_machine", !res->different_machines, "gated", !res->refused, "facts",
			 facts);
}

static json_t *options_json(const struct compare_options *o)
{
	json_t *ms = json_array();

	for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
		if (o->metrics & (1u << m))
			json_array_append_new(ms, json_string(compare_metric_name(m)));
	return json_pack("{s:f,s:f,s:s,s:f,s:o,s:I,s:I,s:f,s:I,s:b}", "threshold", o->threshold, "alpha", o->alpha,
			 "correction", o->holm ? "holm" : "none", "noise_factor", o->noise_factor, "metrics", ms,
			 "min_repetitions", (json_int_t)o->min_reps, "warn_repetitions", (json_int_t)o->warn_reps,
			 "tail_samples_factor", COMPARE_TAIL_SAMPLES, "exact_max_repetitions",
			 (json_int_t)COMPARE_EXACT_MAX, "allow_different_machines", o->allow_different_machines);
}

static json_t *compare_json(const struct view *v, int rc)
{
	const struct compare_result *res = v->res;
	json_t *cells = json_array(), *warns = json_array();
	char line[256];

	for (size_t i = 0; i < res->ncells; i++)
		json_array_append_new(cells, cell_json(&res->cells[i]));
	for (size_t i = 0; i < res->nwarnings; i++)
		json_array_append_new(warns, json_string(res->warnings[i]));
	summary_line(res, line, sizeof(line));
	return json_pack("{s:s,s:i,s:o,s:o,s:o,s:o,s:{s:s,s:o,s:o,s:I,s:I,s:s,s:i},s:o,s:o}", "schema",
			 COMPARE_JSON_SCHEMA, "schema_version", COMPARE_JSON_VERSION, "base", side_json(v->base), "new",
			 side_json(v->cand), "options", options_json(v->opt), "environment", env_json(res), "summary",
			 "line", line, "cells", counts_json(res->cell_counts), "comparisons",
			 counts_json(res->metric_counts), "tested", (json_int_t)res->ntested, "gated_regressions",
			 (json_int_t)res->regressions, "gate",
			 res->refused	    ? "refused"
			 : res->regressions ? "failed"
					    : "passed",
			 "exit_code", rc, "warnings", warns, "cells", cells);
}

/* ---- writing files ---- */

/* Writes text to path atomically (a temporary name in the same directory, then rename); "-": stdout. */
static int write_text(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[4200];
	FILE *f;
	unsigned int rnd = 0;

	if (!strcmp(path, "-")) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
			snprintf(err, errlen, "writing to stdout: %s", strerror(errno));
			return -EIO;
		}
		return 0;
	}
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned int)getpid();
	snprintf(tmp, sizeof(tmp), "%s.%d-%08x.tmp", path, (int)getpid(), rnd);
	f = fopen(tmp, "wx");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fwrite(text, 1, len, f) != len || fflush(f) || fsync(fileno(f))) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -errno;
	}
	return 0;
}

static int write_markdown_file(const char *path, const struct view *v, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	write_markdown(f, v);
	fclose(f);
	r = write_text(path, text, len, err, errlen);
	free(text);
	return r;
}

static int write_json_file(const char *path, const struct view *v, int rc, char *err, size_t errlen)
{
	json_t *doc = compare_json(v, rc);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
	char *withnl;
	int r;

	json_decref(doc);
	if (!text || asprintf(&withnl, "%s\n", text) < 0) {
		free(text);
		snprintf(err, errlen, "%s: cannot build the JSON", path);
		return -ENOMEM;
	}
	r = write_text(path, withnl, strlen(withnl), err, errlen);
	free(withnl);
	free(text);
	return r;
}

/* ---- the command ---- */

/* 2 with err set for input that cannot be gated, else 1 or 0. */
static int exit_code(const struct view *v, char *err, size_t errlen)
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
			 cell_key(&res->cells[0]), res->cells[0].reason);
		return EXIT_USAGE;
	}
	return res->regressions ? EXIT_FAIL : EXIT_OK;
}

static bool want_colour(void)
{
	/* NO_COLOR set at all (even empty) turns colour off */
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

static int write_outputs(const struct compare_args *a, const struct view *v, int rc)
{
	char err[600];

	if (a->markdown && write_markdown_file(a->markdown, v, err, sizeof(err))) {
		warnx_("compare: --markdown %s", err);
		return -1;
	}
	if (a->json && write_json_file(a->json, v, rc, err, sizeof(err))) {
		warnx_("compare: --json %s", err);
		return -1;
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_args a = {0};
	struct loaded base = {0}, cand = {0};
	struct compare_result res;
	struct view v = {&res, &a.opt, &base, &cand};
	char err[600] = "";
	int rc;

	compare_options_init(&a.opt);
	parse_args(argc, argv, &a);
	load_side(a.base_arg, &base);
	load_side(a.new_arg, &cand);
	if (compare_run(base.f, base.n, cand.f, cand.n, &a.opt, &res, err, sizeof(err)))
		die_usage("compare: %s", err);
	rc = exit_code(&v, err, sizeof(err));
	if (!a.quiet && !(a.json && !strcmp(a.json, "-")))
		print_table(stdout, &v, want_colour());
	fflush(stdout);
	if (write_outputs(&a, &v, rc))
		rc = EXIT_USAGE;
	else if (rc == EXIT_USAGE)
		warnx_("%s", err);
	compare_result_release(&res);
	release_side(&base);
	release_side(&cand);
	return rc;
}
