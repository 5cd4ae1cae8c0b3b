/*
 * compare_out.c - how a comparison reads (see compare_out.h): the terminal
 * table and the Markdown report, and the formatting they and the JSON
 * share.
 */
#include "harness/analysis/compare_out.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/outfile.h"
#include "common/units.h"

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

void compare_fmt_change(double ch, char *out, size_t len)
{
	if (isnan(ch))
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%+.1f%%", ch * 100);
}

void compare_fmt_p(double p, char *out, size_t len)
{
	if (isnan(p))
		snprintf(out, len, "-");
	else if (p < 1e-4)
		snprintf(out, len, "<0.0001");
	else
		snprintf(out, len, "%.4f", p);
}

/* "7.02 us ±1.0%" */
void compare_fmt_stat(enum compare_metric m, const struct compare_stats *st, char *out, size_t len)
{
	char v[32];

	fmt_value(m, st->median, v, sizeof(v));
	if (isnan(st->rel_mad))
		snprintf(out, len, "%s", v);
	else
		snprintf(out, len, "%s ±%.1f%%", v, st->rel_mad * 100);
}

/* "6.95 us .. 7.10 us" */
void compare_fmt_range(enum compare_metric m, const struct compare_stats *st, char *out, size_t len)
{
	char lo[32], hi[32];

	fmt_value(m, st->min, lo, sizeof(lo));
	fmt_value(m, st->max, hi, sizeof(hi));
	snprintf(out, len, "%s .. %s", lo, hi);
}

const char *compare_cell_key(const struct compare_cell *cc)
{
	const struct rf_cell *c = cc->base ? cc->base : cc->cand;

	return c->key;
}

void compare_summary_line(const struct compare_result *res, char *out, size_t len)
{
	static const enum compare_verdict order[] = {
		COMPARE_REGRESSED,    COMPARE_IMPROVED,	    COMPARE_UNCHANGED,
		COMPARE_INCONCLUSIVE, COMPARE_INSUFFICIENT, COMPARE_INCOMPARABLE,
	};
	size_t off = 0;

	/* "N failed, " only when a cell failed: the line reads as before otherwise */
	if (res->failed)
		off += (size_t)snprintf(out, len, "%zu %s, ", res->failed, compare_verdict_name(COMPARE_FAILED));
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%zu %s", i ? ", " : "", res->cell_counts[order[i]],
					compare_verdict_name(order[i]));
	if (off < len)
		snprintf(out + off, len - off, " (%zu cell%s)", res->ncells, res->ncells == 1 ? "" : "s");
}

const char *compare_gate_text(const struct compare_result *res)
{
	if (res->refused)
		return "refused: the machines differ";
	return res->regressions || res->failed ? "FAILED" : "passed";
}

/* "3 failed cells, " or "": the failed cells in the gate lines */
static void fmt_failed(const struct compare_result *res, char *out, size_t len)
{
	if (res->failed)
		snprintf(out, len, "%zu failed cell%s, ", res->failed, res->failed == 1 ? "" : "s");
	else
		snprintf(out, len, "%s", "");
}

void compare_gate_reason(const struct compare_result *res, char *out, size_t len)
{
	const struct compare_cell *first = NULL;
	enum compare_metric fm = COMPARE_METRIC__COUNT;
	size_t more;

	snprintf(out, len, "%s", compare_gate_text(res));
	for (size_t i = 0; i < res->ncells && !first; i++)
		if (res->cells[i].verdict == COMPARE_FAILED)
			first = &res->cells[i];
	for (size_t i = 0; i < res->ncells && !first; i++)
		for (int m = 0; m < COMPARE_METRIC__COUNT && !first; m++)
			if (res->cells[i].m[m].present && res->cells[i].m[m].verdict == COMPARE_REGRESSED) {
				first = &res->cells[i];
				fm = m;
			}
	if (!first)
		return;
	more = res->failed + res->regressions - 1;
	if (fm == COMPARE_METRIC__COUNT)
		snprintf(out, len, "%s failed: %s", compare_cell_key(first), first->reason);
	else
		snprintf(out, len, "%s %s regressed: %s", compare_cell_key(first), compare_metric_name(fm),
			 first->m[fm].why);
	if (more && strlen(out) + 40 < len)
		snprintf(out + strlen(out), len - strlen(out), " (and %zu more failed cell%s or regression%s)", more,
			 more == 1 ? "" : "s", more == 1 ? "" : "s");
}

/* ---- the terminal table ---- */

static const char *colour_of(enum compare_verdict v)
{
	switch (v) {
	case COMPARE_REGRESSED:
	case COMPARE_FAILED:
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

static void print_env(FILE *f, const struct compare_view *v)
{
	const struct compare_side *b = v->base, *n = v->cand;

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

	compare_fmt_stat(m, &r->base, sb, sizeof(sb));
	compare_fmt_stat(m, &r->cand, sc, sizeof(sc));
	compare_fmt_change(r->change, ch, sizeof(ch));
	compare_fmt_p(r->p, p, sizeof(p));
	compare_fmt_p(r->p_adj, pa, sizeof(pa));
	fprintf(f, "  %-20s %-20s %-20s %8s %8s %8s  ", compare_metric_name(m), sb, sc, ch, p, pa);
	put_verdict(f, r->verdict, colour);
	if (r->verdict != COMPARE_UNCHANGED)
		fprintf(f, " (%s)", r->why);
	fputc('\n', f);
}

static void print_cell(FILE *f, const struct compare_cell *cc, bool colour)
{
	fprintf(f, "%s  ", compare_cell_key(cc));
	put_verdict(f, cc->verdict, colour);
	if (cc->verdict == COMPARE_INCOMPARABLE || cc->verdict == COMPARE_FAILED) {
		fprintf(f, ": %s\n", cc->reason);
		return;
	}
	fprintf(f, "  [%zu vs %zu repetitions%s%s]\n", cc->base_reps, cc->cand_reps, cc->reason[0] ? "; " : "",
		cc->reason);
	for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
		if (cc->m[m].present)
			print_metric(f, &cc->m[m], m, colour);
}

static void print_gate(FILE *f, const struct compare_view *v)
{
	const struct compare_result *res = v->res;
	char line[256], failed[32];

	compare_summary_line(res, line, sizeof(line));
	fmt_failed(res, failed, sizeof(failed));
	fprintf(f,
		"\n%s\ngate: %s (%s%zu regressed comparison%s; threshold %g%%, alpha %g%s over %zu tests, "
		"noise factor %g)\n",
		line, compare_gate_text(res), failed, res->regressions, res->regressions == 1 ? "" : "s",
		v->opt->threshold * 100, v->opt->alpha, v->opt->holm ? " Holm-corrected" : "", res->ntested,
		v->opt->noise_factor);
}

void compare_print_table(FILE *f, const struct compare_view *v, bool colour)
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

static void md_header(FILE *f, const struct compare_view *v)
{
	const struct compare_result *res = v->res;
	char line[256], failed[32];

	compare_summary_line(res, line, sizeof(line));
	fmt_failed(res, failed, sizeof(failed));
	fprintf(f, "### ipcbench compare: %s\n\n", line);
	fprintf(f,
		"**Gate: %s** (%s%zu regressed comparison%s; threshold %g%%, alpha %g%s over %zu tests, "
		"noise factor %g).  ",
		compare_gate_text(res), failed, res->regressions, res->regressions == 1 ? "" : "s",
		v->opt->threshold * 100, v->opt->alpha, v->opt->holm ? " Holm-corrected" : "", res->ntested,
		v->opt->noise_factor);
	fprintf(f, "Base: %zu file%s, revision `%s`; new: %zu file%s, revision `%s`.\n\n", v->base->n,
		v->base->n == 1 ? "" : "s", v->base->f[0].git_revision ? v->base->f[0].git_revision : "?", v->cand->n,
		v->cand->n == 1 ? "" : "s", v->cand->f[0].git_revision ? v->cand->f[0].git_revision : "?");
}

static void md_env(FILE *f, const struct compare_view *v)
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

	compare_fmt_stat(m, &r->base, sb, sizeof(sb));
	compare_fmt_stat(m, &r->cand, sc, sizeof(sc));
	compare_fmt_range(m, &r->base, rb, sizeof(rb));
	compare_fmt_range(m, &r->cand, rc, sizeof(rc));
	compare_fmt_change(r->change, ch, sizeof(ch));
	compare_fmt_p(r->p, p, sizeof(p));
	compare_fmt_p(r->p_adj, pa, sizeof(pa));
	fprintf(f, "| `%s` | %s | %s (%s) | %s (%s) | %s | %s | %s | %s%s%s |", compare_cell_key(cc),
		compare_metric_name(m), sb, rb, sc, rc, ch, p, pa, r->verdict == COMPARE_REGRESSED ? "**" : "",
		compare_verdict_name(r->verdict), r->verdict == COMPARE_REGRESSED ? "**" : "");
	if (why) {
		fputc(' ', f);
		md_put(f, r->why);
		fprintf(f, " |");
	}
	fputc('\n', f);
}

/* The cells new fails where the base passes: what fails the gate first. */
static void md_failed(FILE *f, const struct compare_view *v)
{
	const struct compare_result *res = v->res;

	if (!res->failed)
		return;
	fprintf(f, "#### Failed\n\n| cell | why |\n|---|---|\n");
	for (size_t i = 0; i < res->ncells; i++) {
		if (res->cells[i].verdict != COMPARE_FAILED)
			continue;
		fprintf(f, "| `%s` | **failed**: ", compare_cell_key(&res->cells[i]));
		md_put(f, res->cells[i].reason);
		fprintf(f, " |\n");
	}
	fputc('\n', f);
}

static void md_changes(FILE *f, const struct compare_view *v)
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

static void md_all(FILE *f, const struct compare_view *v)
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

		if (cc->verdict == COMPARE_INCOMPARABLE || cc->verdict == COMPARE_FAILED) {
			fprintf(f, "| `%s` | | | | | | | %s | ", compare_cell_key(cc),
				cc->verdict == COMPARE_FAILED ? "**failed**" : "incomparable");
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

static void md_warnings(FILE *f, const struct compare_view *v)
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

void compare_write_markdown(FILE *f, const struct compare_view *v)
{
	md_header(f, v);
	md_env(f, v);
	md_failed(f, v);
	md_changes(f, v);
	md_all(f, v);
	md_warnings(f, v);
}

int compare_write_markdown_file(const char *path, const struct compare_view *v, char *err, size_t errlen)
{
	struct outfile of;
	int r = outfile_open(&of, path, err, errlen);

	if (r)
		return r;
	compare_write_markdown(of.f, v);
	return outfile_commit(&of, err, errlen);
}
