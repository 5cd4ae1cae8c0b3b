/*
 * compare.c - regression comparison of result files (see compare.h and
 * docs/ci.md).  The unit of observation is one repetition's summary (its
 * p50, its mean, its throughput): the test asks whether the base's and the
 * new side's repetitions could come from one distribution, not whether
 * single messages differ.
 */
#include "harness/analysis/compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int pct; /* index into schema_pcts, -1: not a percentile */
	bool latency;
} metric_info[COMPARE_METRIC__COUNT] = {
	[COMPARE_P50] = {"p50", 0, true},
	[COMPARE_P99] = {"p99", 2, true},
	[COMPARE_P999] = {"p99.9", 3, true},
	[COMPARE_MEAN] = {"mean", -1, true},
	[COMPARE_ROUND_TRIPS] = {"round_trips_per_sec", -1, false},
	[COMPARE_MSGS] = {"msgs_per_sec", -1, false},
	[COMPARE_BYTES] = {"bytes_per_sec", -1, false},
};

const char *compare_metric_name(enum compare_metric m)
{
	return m < COMPARE_METRIC__COUNT ? metric_info[m].name : "?";
}

bool compare_metric_is_latency(enum compare_metric m)
{
	return m < COMPARE_METRIC__COUNT && metric_info[m].latency;
}

/* ---- matching cells ---- */

static bool streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static bool same_num(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* The transport and its non-default options ("pipe:bufsize=64k"): a cell built without them has none. */
static const char *variant_of(const struct rf_cell *c)
{
	return c->variant ? c->variant : c->transport;
}

/* The cell's identity: what is measured and where (the writer's key, field by field). */
static bool same_identity(const struct rf_cell *a, const struct rf_cell *b)
{
	return streq(variant_of(a), variant_of(b)) && streq(a->pattern, b->pattern) && a->msg_bytes == b->msg_bytes &&
	       streq(a->relation, b->relation) && a->client_cpu == b->client_cpu && a->server_cpu == b->server_cpu &&
	       streq(a->wait, b->wait) && same_num(a->rate_target_per_sec, b->rate_target_per_sec) &&
	       streq(a->peers ? a->peers : "fork", b->peers ? b->peers : "fork") && a->pairs == b->pairs &&
	       a->clients == b->clients;
}

static const char *nz(const char *s)
{
	return s ? s : "null";
}

/* How the cell was measured; false with why set when a knob differs. */
static bool same_knobs(const struct rf_cell *a, const struct rf_cell *b, char *why, size_t len)
{
	if (a->warmup != b->warmup)
		snprintf(why, len, "warmup differs (%lld vs %lld)", (long long)a->warmup, (long long)b->warmup);
	else if (a->iterations_requested != b->iterations_requested)
		snprintf(why, len, "iterations requested differ (%lld vs %lld)", (long long)a->iterations_requested,
			 (long long)b->iterations_requested);
	else if (a->duration_ns_requested != b->duration_ns_requested)
		snprintf(why, len, "duration requested differs (%lld vs %lld ns)", (long long)a->duration_ns_requested,
			 (long long)b->duration_ns_requested);
	else if (!streq(a->clock, b->clock))
		snprintf(why, len, "clock differs (%s vs %s)", nz(a->clock), nz(b->clock));
	else if (!streq(a->kind, b->kind))
		snprintf(why, len, "kind differs (%s vs %s)", nz(a->kind), nz(b->kind));
	else
		return true;
	return false;
}

struct side {
	const struct result_file *f;
	size_t n;
	const char *name; /* "base" or "new" */
};

/* Walks every cell of a side's files: *fi and *ci start at 0; NULL at the end. */
static const struct rf_cell *next_cell(const struct side *s, size_t *fi, size_t *ci)
{
	while (*fi < s->n) {
		if (*ci < s->f[*fi].ncells)
			return &s->f[*fi].cells[(*ci)++];
		(*fi)++;
		*ci = 0;
	}
	return NULL;
}

/* The same walk, only over the cells with like's identity. */
static const struct rf_cell *next_like(const struct side *s, const struct rf_cell *like, size_t *fi, size_t *ci)
{
	const struct rf_cell *c;

	while ((c = next_cell(s, fi, ci)))
		if (same_identity(c, like))
			return c;
	return NULL;
}

static const struct rf_cell *find_cell(const struct side *s, const struct rf_cell *like)
{
	size_t fi = 0, ci = 0;

	return next_like(s, like, &fi, &ci);
}

static bool already_listed(const struct compare_result *res, const struct rf_cell *c)
{
	for (size_t i = 0; i < res->ncells; i++) {
		const struct rf_cell *r = res->cells[i].base ? res->cells[i].base : res->cells[i].cand;

		if (same_identity(r, c))
			return true;
	}
	return false;
}

/* Lists every distinct cell, base order first, then cells only in new. */
static int list_cells(const struct side *base, const struct side *cand, struct compare_result *res)
{
	const struct side *sides[2] = {base, cand};
	const struct rf_cell *c;
	size_t cap = 0;

	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < sides[s]->n; i++)
			cap += sides[s]->f[i].ncells;
	res->cells = calloc(cap ? cap : 1, sizeof(*res->cells));
	if (!res->cells)
		return -ENOMEM;
	for (int s = 0; s < 2; s++) {
		size_t fi = 0, ci = 0;

		while ((c = next_cell(sides[s], &fi, &ci))) {
			struct compare_cell *cc;

			if (already_listed(res, c))
				continue;
			cc = &res->cells[res->ncells++];
			cc->base = find_cell(base, c);
			cc->cand = find_cell(cand, c);
		}
	}
	return 0;
}

/* ---- one side's values of a metric ---- */

static double rep_value(const struct rf_rep *r, enum compare_metric m)
{
	switch (m) {
	case COMPARE_MEAN:
		return r->lat.mean;
	case COMPARE_ROUND_TRIPS:
		return r->round_trips_per_sec;
	case COMPARE_MSGS:
		return r->msgs_per_sec;
	case COMPARE_BYTES:
		return r->bytes_per_sec;
	default:
		return r->lat.pct[metric_info[m].pct];
	}
}

/* A cell written without repetitions reads as one repetition of itself. */
static void cell_as_rep(const struct rf_cell *c, struct rf_rep *r)
{
	memset(r, 0, sizeof(*r));
	r->status = c->status;
	r->round_trips_per_sec = c->round_trips_per_sec;
	r->msgs_per_sec = c->msgs_per_sec;
	r->bytes_per_sec = c->bytes_per_sec;
	r->lat = c->lat;
}

struct values {
	double *v;
	size_t n, cap;
	int64_t min_samples;
};

static int push(struct values *vs, double v, int64_t samples)
{
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 16;
		double *nv = realloc(vs->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n++] = v;
	if (vs->min_samples < 0 || samples < vs->min_samples)
		vs->min_samples = samples;
	return 0;
}

static bool rep_ok(const struct rf_rep *r)
{
	return streq(r->status, "ok");
}

/* One cell's ok repetitions' values of metric m. */
static int gather_cell(const struct rf_cell *c, enum compare_metric m, struct values *vs)
{
	struct rf_rep one;
	const struct rf_rep *reps = c->reps;
	size_t n = c->nreps;

	if (!n) {
		cell_as_rep(c, &one);
		reps = &one;
		n = 1;
	}
	for (size_t k = 0; k < n; k++) {
		double v = rep_value(&reps[k], m);

		if (rep_ok(&reps[k]) && !isnan(v) && push(vs, v, reps[k].lat.count))
			return -ENOMEM;
	}
	return 0;
}

/* Every ok repetition's value of metric m, over all of a side's files. */
static int gather(const struct side *s, const struct rf_cell *like, enum compare_metric m, struct values *vs)
{
	const struct rf_cell *c;
	size_t fi = 0, ci = 0;

	vs->n = 0;
	vs->min_samples = -1;
	while ((c = next_like(s, like, &fi, &ci)))
		if (gather_cell(c, m, vs))
			return -ENOMEM;
	return 0;
}

/* Counts a side's ok and failed repetitions of a cell; checks its knobs agree across files. */
static bool count_reps(const struct side *s, const struct rf_cell *like, size_t *ok, size_t *failed, char *why,
		       size_t len)
{
	const struct rf_cell *c;
	size_t fi = 0, ci = 0;
	char w[160];

	*ok = *failed = 0;
	while ((c = next_like(s, like, &fi, &ci))) {
		if (!same_knobs(like, c, w, sizeof(w))) {
			snprintf(why, len, "%s files disagree: %s", s->name, w);
			return false;
		}
		if (!c->nreps)
			*(streq(c->status, "ok") ? ok : failed) += 1;
		for (size_t k = 0; k < c->nreps; k++)
			*(rep_ok(&c->reps[k]) ? ok : failed) += 1;
	}
	return true;
}

/* ---- verdicts ---- */

static bool metric_applies(const struct rf_cell *c, enum compare_metric m)
{
	bool pingpong = streq(c->pattern, "pingpong");

	if (m == COMPARE_ROUND_TRIPS)
		return pingpong;
	if (m == COMPARE_MSGS || m == COMPARE_BYTES)
		return !pingpong;
	return true;
}

/* Samples one repetition needs behind this metric: 10 / (1 - p) for a percentile. */
static int64_t samples_needed(enum compare_metric m)
{
	double p;

	if (metric_info[m].pct < 0)
		return 1;
	p = schema_pcts[metric_info[m].pct].p / 100.0;
	return (int64_t)ceil(COMPARE_TAIL_SAMPLES / (1.0 - p) - 1e-6);
}

static enum compare_verdict insufficient(struct compare_metric_result *r, const struct compare_options *o,
					 enum compare_metric m)
{
	size_t nb = r->base.n, nc = r->cand.n;
	int64_t need = samples_needed(m);
	int64_t have = r->base.min_samples < r->cand.min_samples ? r->base.min_samples : r->cand.min_samples;

	if (!nb || !nc) {
		snprintf(r->why, sizeof(r->why), "no value in %s", nb ? "new" : "base");
		return COMPARE_INSUFFICIENT;
	}
	if (need > 1 && have < need) {
		snprintf(r->why, sizeof(r->why), "%s needs %lld samples per repetition, has %lld", metric_info[m].name,
			 (long long)need, (long long)have);
		return COMPARE_INSUFFICIENT;
	}
	if (nb < o->min_reps || nc < o->min_reps || compare_min_p(nb, nc) >= o->alpha) {
		snprintf(r->why, sizeof(r->why), "%zu vs %zu repetitions cannot reach p < %g", nb, nc, o->alpha);
		return COMPARE_INSUFFICIENT;
	}
	return COMPARE_VERDICT__COUNT;
}

static enum compare_verdict decide(struct compare_metric_result *r, const struct compare_options *o,
				   enum compare_metric m)
{
	double noise = fmax(r->base.rel_mad, r->cand.rel_mad), ch = r->change;
	bool worse = metric_info[m].latency ? ch > 0 : ch < 0;

	if (isnan(ch)) {
		snprintf(r->why, sizeof(r->why), "the base median is 0");
		return COMPARE_INCONCLUSIVE;
	}
	if (fabs(ch) <= o->threshold) {
		snprintf(r->why, sizeof(r->why), "%+.1f%% is within the %.0f%% threshold", ch * 100,
			 o->threshold * 100);
		return COMPARE_UNCHANGED;
	}
	if (!(r->p_adj < o->alpha)) {
		if (r->p < o->alpha)
			snprintf(r->why, sizeof(r->why),
				 "not significant after the Holm correction (p = %.3g, adjusted %.3g >= %g)", r->p,
				 r->p_adj, o->alpha);
		else
			snprintf(r->why, sizeof(r->why), "not significant (p = %.3g >= %g)", r->p, o->alpha);
		return COMPARE_INCONCLUSIVE;
	}
	if (!(fabs(ch) > o->noise_factor * noise)) {
		snprintf(r->why, sizeof(r->why), "%+.1f%% is within %g x the noise (±%.1f%%)", ch * 100,
			 o->noise_factor, noise * 100);
		return COMPARE_INCONCLUSIVE;
	}
	snprintf(r->why, sizeof(r->why), "%+.1f%%, p = %.3g (adjusted %.3g), noise ±%.1f%%", ch * 100, r->p, r->p_adj,
		 noise * 100);
	return worse ? COMPARE_REGRESSED : COMPARE_IMPROVED;
}

static int compare_metric(const struct side *base, const struct side *cand, const struct rf_cell *like,
			  enum compare_metric m, const struct compare_options *o, struct compare_metric_result *r)
{
	struct values vb = {0}, vc = {0};
	enum compare_verdict v;
	int err;

	r->present = true;
	r->change = r->p = r->p_adj = NAN;
	err = gather(base, like, m, &vb);
	if (!err)
		err = gather(cand, like, m, &vc);
	if (err)
		goto out;
	r->p = compare_mann_whitney(vb.v, vb.n, vc.v, vc.n, &r->exact);
	compare_stats_of(vb.v, vb.n, &r->base);
	compare_stats_of(vc.v, vc.n, &r->cand);
	r->base.min_samples = vb.min_samples;
	r->cand.min_samples = vc.min_samples;
	if (vb.n && vc.n && r->base.median != 0)
		r->change = (r->cand.median - r->base.median) / fabs(r->base.median);
	v = insufficient(r, o, m);
	r->tested = v == COMPARE_VERDICT__COUNT;
	r->verdict = r->tested ? COMPARE_UNCHANGED : v; /* decided once every p is known */
out:
	free(vb.v);
	free(vc.v);
	return err;
}

/* The cell's verdict: regressed, then improved, inconclusive, unchanged, insufficient. */
static enum compare_verdict cell_verdict(const struct compare_cell *cc)
{
	static const enum compare_verdict order[] = {
		COMPARE_REGRESSED,
		COMPARE_IMPROVED,
		COMPARE_INCONCLUSIVE,
		COMPARE_UNCHANGED,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
			if (cc->m[m].present && cc->m[m].verdict == order[i])
				return order[i];
	return COMPARE_INSUFFICIENT;
}

/* The first error text of a side's failed repetitions of a cell ("" when none says why). */
static void first_error(const struct side *s, const struct rf_cell *like, char *out, size_t len)
{
	const struct rf_cell *c;
	size_t fi = 0, ci = 0;

	snprintf(out, len, "%s", "");
	while ((c = next_like(s, like, &fi, &ci))) {
		bool failed = !streq(c->status, "ok");
		const char *why = c->error ? c->error : c->reason;

		for (size_t k = 0; k < c->nreps && !failed; k++)
			failed = !rep_ok(&c->reps[k]);
		if (failed) {
			snprintf(out, len, "%s%s%s", nz(c->status), why ? ": " : "", why ? why : "");
			return;
		}
	}
}

/*
 * Failed: new fails repetitions of a cell whose base repetitions all
 * passed, or passes none where the base passes some.  A cell both sides
 * fail now and then is compared over its ok repetitions (noted).
 */
static bool cand_failed(const struct side *cand, struct compare_cell *cc)
{
	size_t nb = cc->base_reps + cc->base_failed, nc = cc->cand_reps + cc->cand_failed;
	char first[160], base[48];

	if (!cc->cand_failed || (cc->base_failed && cc->cand_reps))
		return false;
	first_error(cand, cc->base, first, sizeof(first));
	if (cc->base_failed)
		snprintf(base, sizeof(base), "%zu of %zu", cc->base_reps, nb);
	else
		snprintf(base, sizeof(base), "all %zu", nb);
	snprintf(cc->reason, sizeof(cc->reason), "%zu of %zu new repetitions failed, %s of base passed%s%s%s",
		 cc->cand_failed, nc, base, first[0] ? " (" : "", first, first[0] ? ")" : "");
	return true;
}

/* Screens a cell before its metrics: incomparable, failed, or COMPARE_VERDICT__COUNT (to compare). */
static enum compare_verdict screen(const struct side *base, const struct side *cand, struct compare_cell *cc)
{
	char w[160];

	if (!cc->base || !cc->cand) {
		snprintf(cc->reason, sizeof(cc->reason), "only in %s", cc->base ? "base" : "new");
		return COMPARE_INCOMPARABLE;
	}
	if (!same_knobs(cc->base, cc->cand, w, sizeof(w))) {
		snprintf(cc->reason, sizeof(cc->reason), "measured differently: %s", w);
		return COMPARE_INCOMPARABLE;
	}
	if (!count_reps(base, cc->base, &cc->base_reps, &cc->base_failed, cc->reason, sizeof(cc->reason)) ||
	    !count_reps(cand, cc->base, &cc->cand_reps, &cc->cand_failed, cc->reason, sizeof(cc->reason)))
		return COMPARE_INCOMPARABLE;
	if (cc->base_reps && cand_failed(cand, cc))
		return COMPARE_FAILED;
	if (!cc->base_reps || !cc->cand_reps) {
		const struct rf_cell *c = cc->base_reps ? cc->cand : cc->base;
		const char *why = c->reason ? c->reason : c->error;

		snprintf(cc->reason, sizeof(cc->reason), "no ok repetition in %s (%s%s%s)",
			 cc->base_reps ? "new" : "base", nz(c->status), why ? ": " : "", why ? why : "");
		return COMPARE_INCOMPARABLE;
	}
	return COMPARE_VERDICT__COUNT;
}

static int compare_cell(const struct side *base, const struct side *cand, const struct compare_options *o,
			struct compare_cell *cc)
{
	enum compare_verdict v = screen(base, cand, cc);
	int err;

	if (v != COMPARE_VERDICT__COUNT) {
		cc->verdict = v;
		return 0;
	}
	if (cc->base_failed || cc->cand_failed)
		snprintf(cc->reason, sizeof(cc->reason), "left out failed repetitions: %zu of base, %zu of new",
			 cc->base_failed, cc->cand_failed);
	for (int m = 0; m < COMPARE_METRIC__COUNT; m++) {
		if (!(o->metrics & (1u << m)) || !metric_applies(cc->base, m))
			continue;
		err = compare_metric(base, cand, cc->base, m, o, &cc->m[m]);
		if (err)
			return err;
	}
	return 0;
}

/* The family: every tested comparison of the run.  Holm's correction keeps the
 * chance of any false "regressed" in the whole run below alpha. */
static int adjust(struct compare_result *res, const struct compare_options *o)
{
	size_t n = 0, k = 0;
	double *p;

	for (size_t i = 0; i < res->ncells; i++)
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
			n += res->cells[i].m[m].tested;
	res->ntested = n;
	p = malloc((n ? n : 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < res->ncells; i++)
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
			if (res->cells[i].m[m].tested)
				p[k++] = res->cells[i].m[m].p;
	if (o->holm && compare_holm(p, n, p)) {
		free(p);
		return -ENOMEM;
	}
	k = 0;
	for (size_t i = 0; i < res->ncells; i++)
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
			if (res->cells[i].m[m].tested)
				res->cells[i].m[m].p_adj = p[k++];
	free(p);
	return 0;
}

static void decide_all(struct compare_result *res, const struct compare_options *o)
{
	for (size_t i = 0; i < res->ncells; i++) {
		struct compare_cell *cc = &res->cells[i];

		if (cc->verdict == COMPARE_INCOMPARABLE || cc->verdict == COMPARE_FAILED)
			continue;
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
			if (cc->m[m].tested)
				cc->m[m].verdict = decide(&cc->m[m], o, m);
		cc->verdict = cell_verdict(cc);
	}
}

/* ---- environment ---- */

enum env_field {
	ENV_HOSTNAME,
	ENV_CPU_MODEL,
	ENV_CPU_COUNT,
	ENV_KERNEL,
	ENV_VIRT,
	ENV_CLOCKSOURCE,
	ENV_CLOCK,
	ENV_BUILD_FLAGS,
	ENV_COMPILER,
	ENV_VERSION,
	ENV_REVISION,
};

#define RF(field) offsetof(struct result_file, field)

static const struct {
	const char *name;
	bool machine;
	size_t off; /* of the char * field in struct result_file */
} env_fields[COMPARE_NENV] = {
	[ENV_HOSTNAME] = {"hostname", false, RF(ctx.hostname)},
	[ENV_CPU_MODEL] = {"cpu_model", true, RF(ctx.cpu_model)},
	[ENV_CPU_COUNT] = {"cpu_count", true, 0},
	[ENV_KERNEL] = {"kernel", true, RF(ctx.kernel)},
	[ENV_VIRT] = {"virtualization", true, RF(ctx.virtualization)},
	[ENV_CLOCKSOURCE] = {"clocksource", false, RF(ctx.clocksource)},
	[ENV_CLOCK] = {"clock", false, RF(ctx.clock_source)},
	[ENV_BUILD_FLAGS] = {"build_flags", false, RF(build_flags)},
	[ENV_COMPILER] = {"compiler", false, RF(compiler)},
	[ENV_VERSION] = {"tool_version", false, RF(tool_version)},
	[ENV_REVISION] = {"git_revision", false, RF(git_revision)},
};

static void env_value(const struct result_file *f, enum env_field e, char *out, size_t len)
{
	const char *s;

	if (e == ENV_CPU_COUNT) {
		if (f->ctx.cpu_count >= 0)
			snprintf(out, len, "%lld", (long long)f->ctx.cpu_count);
		else
			snprintf(out, len, "%s", "");
		return;
	}
	s = *(char *const *)((const char *)f + env_fields[e].off);
	snprintf(out, len, "%s", s ? s : "");
}

/* Every file of a side must come from one machine; other facts may vary (noted). */
static int check_side(const struct side *s, char *err, size_t errlen, struct compare_result *res)
{
	char a[160], b[160];

	for (size_t i = 1; i < s->n; i++) {
		for (int e = 0; e < COMPARE_NENV; e++) {
			env_value(&s->f[0], e, a, sizeof(a));
			env_value(&s->f[i], e, b, sizeof(b));
			if (!strcmp(a, b))
				continue;
			if (env_fields[e].machine) {
				snprintf(err, errlen,
					 "%s: %s differs from %s's (%s: '%s' vs '%s'); one side must come from one "
					 "machine",
					 s->f[i].path, s->name, s->f[0].path, env_fields[e].name, b, a);
				return -EINVAL;
			}
			if (res->nwarnings < COMPARE_MAX_WARNINGS)
				snprintf(res->warnings[res->nwarnings++], sizeof(res->warnings[0]),
					 "the %s files differ in %s ('%s' in %s)", s->name, env_fields[e].name, b,
					 s->f[i].path);
		}
	}
	return 0;
}

static void compare_env(const struct side *base, const struct side *cand, const struct compare_options *o,
			struct compare_result *res)
{
	for (int e = 0; e < COMPARE_NENV; e++) {
		struct compare_env *ev = &res->env[e];

		ev->field = env_fields[e].name;
		ev->machine = env_fields[e].machine;
		env_value(&base->f[0], e, ev->base, sizeof(ev->base));
		env_value(&cand->f[0], e, ev->cand, sizeof(ev->cand));
		ev->differs = strcmp(ev->base, ev->cand) != 0;
		if (ev->differs && ev->machine)
			res->different_machines = true;
	}
	res->refused = res->different_machines && !o->allow_different_machines;
}

static void warn(struct compare_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct compare_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nwarnings >= COMPARE_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(res->warnings[res->nwarnings++], sizeof(res->warnings[0]), fmt, ap);
	va_end(ap);
}

static void tally(struct compare_result *res, const struct compare_options *o)
{
	size_t fewest[2] = {SIZE_MAX, SIZE_MAX};

	for (size_t i = 0; i < res->ncells; i++) {
		const struct compare_cell *cc = &res->cells[i];

		res->cell_counts[cc->verdict]++;
		if (cc->base && cc->cand)
			res->ncommon++;
		if (cc->verdict == COMPARE_INCOMPARABLE || cc->verdict == COMPARE_FAILED) {
			res->metric_counts[cc->verdict]++;
			continue;
		}
		if (cc->base_reps < fewest[0])
			fewest[0] = cc->base_reps;
		if (cc->cand_reps < fewest[1])
			fewest[1] = cc->cand_reps;
		for (int m = 0; m < COMPARE_METRIC__COUNT; m++)
			if (cc->m[m].present)
				res->metric_counts[cc->m[m].verdict]++;
	}
	res->regressions = res->metric_counts[COMPARE_REGRESSED];
	res->failed = res->cell_counts[COMPARE_FAILED];
	if (fewest[0] == SIZE_MAX)
		return;
	if (fewest[0] < o->warn_reps || fewest[1] < o->warn_reps)
		warn(res, "a cell has only %zu (base) and %zu (new) repetitions; %zu or more are recommended",
		     fewest[0], fewest[1], o->warn_reps);
	if (o->holm && res->ntested && compare_min_p(fewest[0], fewest[1]) * (double)res->ntested >= o->alpha)
		warn(res,
		     "%zu vs %zu repetitions give at best p = %.2g; the Holm correction over %zu comparisons "
		     "needs p < %.2g: use more repetitions or fewer cells and metrics",
		     fewest[0], fewest[1], compare_min_p(fewest[0], fewest[1]), res->ntested,
		     o->alpha / (double)res->ntested);
}

static void env_warnings(struct compare_result *res)
{
	if (res->different_machines)
		warn(res, "the machines differ: %s",
		     res->refused ? "not gated (--allow-different-machines gates anyway)"
				  : "gated because --allow-different-machines was given");
	if (res->env[ENV_BUILD_FLAGS].differs || res->env[ENV_COMPILER].differs)
		warn(res, "the builds differ in compiler or flags: a change may come from the build, not the code");
	if (res->env[ENV_CLOCK].differs)
		warn(res, "the timing clocks differ (%s vs %s)", res->env[ENV_CLOCK].base, res->env[ENV_CLOCK].cand);
}

int compare_run(const struct result_file *base, size_t nbase, const struct result_file *cand, size_t ncand,
		const struct compare_options *opt, struct compare_result *res, char *err, size_t errlen)
{
	struct side sb = {base, nbase, "base"}, sc = {cand, ncand, "new"};
	int r;

	memset(res, 0, sizeof(*res));
	if (!nbase || !ncand) {
		snprintf(err, errlen, "no %s result file", nbase ? "new" : "base");
		return -EINVAL;
	}
	r = check_side(&sb, err, errlen, res);
	if (!r)
		r = check_side(&sc, err, errlen, res);
	if (r)
		return r;
	compare_env(&sb, &sc, opt, res);
	env_warnings(res);
	r = list_cells(&sb, &sc, res);
	for (size_t i = 0; !r && i < res->ncells; i++)
		r = compare_cell(&sb, &sc, opt, &res->cells[i]);
	if (!r)
		r = adjust(res, opt);
	if (r) {
		snprintf(err, errlen, "comparing: %s", strerror(-r));
		compare_result_release(res);
		return r;
	}
	decide_all(res, opt);
	tally(res, opt);
	return 0;
}

void compare_result_release(struct compare_result *res)
{
	free(res->cells);
	memset(res, 0, sizeof(*res));
}
