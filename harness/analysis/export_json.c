/*
 * export_json.c - the JSON exports: github-action-benchmark's custom
 * arrays, the Bencher Metric Format and Google Benchmark's JSON (so that
 * its compare.py compares two runs of ipcbench).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/analysis/export.h"

/* A number, or null when it was not measured (jansson refuses NAN). */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* The mean and sample standard deviation of the repetitions' p50 (NAN below 2). */
static void reps_p50(const struct rf_cell *c, double *mean, double *sd)
{
	int i = schema_pct_index("p50");
	double s = 0, ss = 0;
	size_t n = 0;

	*mean = *sd = NAN;
	for (size_t r = 0; r < c->nreps; r++) {
		double v = c->reps[r].lat.pct[i];

		if (isnan(v))
			continue;
		s += v;
		ss += v * v;
		n++;
	}
	if (n < 2)
		return;
	*mean = s / (double)n;
	*sd = sqrt(fmax(0.0, (ss - s * s / (double)n) / (double)(n - 1)));
}

/* The lowest and highest of the repetitions' message rates (NAN below 2). */
static void reps_rate(const struct rf_cell *c, double *lo, double *hi)
{
	*lo = *hi = NAN;
	if (c->nreps < 2)
		return;
	for (size_t r = 0; r < c->nreps; r++) {
		double v = c->reps[r].msgs_per_sec;

		if (isnan(v))
			continue;
		*lo = isnan(*lo) ? v : fmin(*lo, v);
		*hi = isnan(*hi) ? v : fmax(*hi, v);
	}
}

static json_t *gab_entry(const char *name, const char *unit, double value, const char *range, const char *extra)
{
	json_t *e = json_object();

	json_object_set_new(e, "name", json_string(name));
	json_object_set_new(e, "unit", json_string(unit));
	json_object_set_new(e, "value", jnum(value));
	if (range)
		json_object_set_new(e, "range", json_string(range));
	json_object_set_new(e, "extra", json_string(extra));
	return e;
}

/* github-action-benchmark: customSmallerIsBetter (p50) or customBiggerIsBetter (msgs/s, B/s). */
static void gab_cell(json_t *arr, const struct result_file *rf, const struct rf_cell *c, enum export_metric m)
{
	char extra[512], range[64], name[512];
	double mean, sd;

	snprintf(extra, sizeof(extra), "p99 %.0f ns, p99.9 %.0f ns, max %.0f ns; %lld iterations, %zu repetitions; %s",
		 export_pct(c, "p99"), export_pct(c, "p99.9"), c->lat.max, (long long)c->iterations, c->nreps,
		 rf->ctx.hostname ? rf->ctx.hostname : "?");
	if (m == EXPORT_LATENCY) {
		reps_p50(c, &mean, &sd);
		snprintf(range, sizeof(range), "± %.0f", sd);
		json_array_append_new(arr,
				      gab_entry(c->key, "ns", export_pct(c, "p50"), isnan(sd) ? NULL : range, extra));
		return;
	}
	snprintf(name, sizeof(name), "%s (messages)", c->key);
	json_array_append_new(arr, gab_entry(name, "msgs/s", c->msgs_per_sec, NULL, extra));
	snprintf(name, sizeof(name), "%s (bytes)", c->key);
	json_array_append_new(arr, gab_entry(name, "B/s", c->bytes_per_sec, NULL, extra));
}

static json_t *bmf_measure(double v, double lo, double hi)
{
	json_t *m = json_object();

	json_object_set_new(m, "value", jnum(v));
	if (isfinite(lo) && isfinite(hi)) {
		json_object_set_new(m, "lower_value", json_real(lo));
		json_object_set_new(m, "upper_value", json_real(hi));
	}
	return m;
}

/* Bencher: latency p50 with min and p99 as its bounds; throughput msgs/s with the repetitions' range. */
static void bencher_cell(json_t *root, const struct rf_cell *c)
{
	json_t *b = json_object();
	double lo, hi;

	json_object_set_new(b, "latency", bmf_measure(export_pct(c, "p50"), c->lat.min, export_pct(c, "p99")));
	reps_rate(c, &lo, &hi);
	json_object_set_new(b, "throughput", bmf_measure(c->msgs_per_sec, lo, hi));
	json_object_set_new(root, c->key, b);
}

static json_t *gbench_context(const struct result_file *rf)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "date", json_string(rf->started_at ? rf->started_at : ""));
	json_object_set_new(ctx, "host_name", json_string(rf->ctx.hostname ? rf->ctx.hostname : ""));
	json_object_set_new(ctx, "executable", json_string("ipcbench"));
	json_object_set_new(ctx, "num_cpus", json_integer(rf->ctx.cpu_count > 0 ? rf->ctx.cpu_count : 0));
	json_object_set_new(ctx, "mhz_per_cpu", json_integer(0));
	json_object_set_new(ctx, "cpu_scaling_enabled",
			    json_boolean(rf->ctx.governor && strcmp(rf->ctx.governor, "performance")));
	json_object_set_new(ctx, "caches", json_array());
	json_object_set_new(ctx, "library_build_type", json_string("release"));
	json_object_set_new(ctx, "ipcbench_version", json_string(rf->tool_version ? rf->tool_version : ""));
	json_object_set_new(ctx, "ipcbench_git_revision", json_string(rf->git_revision ? rf->git_revision : ""));
	json_object_set_new(ctx, "ipcbench_result", json_string(rf->path));
	return ctx;
}

struct gb_run {
	const char *name;
	int family;
	int64_t reps, index, iterations;
	double real, cpu, bytes_s, items_s;
	const char *aggregate; /* NULL for an iteration */
};

static json_t *gbench_run(const struct gb_run *g)
{
	json_t *b = json_object();

	json_object_set_new(b, "name", json_string(g->name));
	json_object_set_new(b, "family_index", json_integer(g->family));
	json_object_set_new(b, "per_family_instance_index", json_integer(0));
	json_object_set_new(b, "run_name", json_string(g->name));
	json_object_set_new(b, "run_type", json_string(g->aggregate ? "aggregate" : "iteration"));
	json_object_set_new(b, "repetitions", json_integer(g->reps));
	json_object_set_new(b, "repetition_index", json_integer(g->index));
	json_object_set_new(b, "threads", json_integer(1));
	if (g->aggregate) {
		json_object_set_new(b, "aggregate_name", json_string(g->aggregate));
		json_object_set_new(b, "aggregate_unit", json_string("time"));
	}
	json_object_set_new(b, "iterations", json_integer(g->iterations));
	json_object_set_new(b, "real_time", jnum(g->real));
	json_object_set_new(b, "cpu_time", jnum(g->cpu));
	json_object_set_new(b, "time_unit", json_string("ns"));
	json_object_set_new(b, "bytes_per_second", jnum(g->bytes_s));
	json_object_set_new(b, "items_per_second", jnum(g->items_s));
	return b;
}

/* A repetition's wall time per iteration (a round trip, or a message of a stream). */
static double per_iter(int64_t elapsed_ns, int64_t iterations)
{
	return iterations > 0 ? (double)elapsed_ns / (double)iterations : NAN;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The mean (a 0), median (1) or sample standard deviation (2) of v[0..n), n >= 2; v is sorted. */
static double aggregate_of(int a, double *v, size_t n)
{
	double s = 0, ss = 0, mean;

	qsort(v, n, sizeof(*v), dbl_cmp);
	for (size_t i = 0; i < n; i++) {
		s += v[i];
		ss += v[i] * v[i];
	}
	mean = s / (double)n;
	if (a == 0)
		return mean;
	if (a == 1)
		return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return sqrt(fmax(0.0, (ss - s * mean) / (double)(n - 1)));
}

/* Google Benchmark adds these after the repetitions of a benchmark (when there are two or more). */
static void gbench_aggregates(json_t *arr, struct gb_run *g, double *real, double *cpu, size_t n)
{
	static const char *const names[] = {"mean", "median", "stddev"};

	for (int a = 0; a < 3; a++) {
		g->aggregate = names[a];
		g->real = aggregate_of(a, real, n);
		g->cpu = aggregate_of(a, cpu, n);
		json_array_append_new(arr, gbench_run(g));
	}
	g->aggregate = NULL;
}

/*
 * One benchmark per cell: an iteration run per repetition (real_time the
 * wall time per round trip or message, cpu_time both sides' CPU time per
 * message, or the real time where the cost was not measured), then the
 * aggregates.
 */
static int gbench_cell(json_t *arr, const struct rf_cell *c, int family)
{
	size_t n = c->nreps ? c->nreps : 1;
	double *real = calloc(n, sizeof(*real)), *cpu = calloc(n, sizeof(*cpu));
	struct gb_run g = {.name = c->key, .family = family, .reps = (int64_t)n};

	if (!real || !cpu) {
		free(real);
		free(cpu);
		return -ENOMEM;
	}
	for (size_t r = 0; r < n; r++) {
		const struct rf_rep *rep = c->nreps ? &c->reps[r] : NULL;
		int64_t iters = rep ? rep->iterations : c->iterations;
		double cpu_ns = export_cpu_ns(rep ? &rep->cost : &c->cost);

		g.index = (int64_t)r;
		g.iterations = iters;
		g.real = real[r] = per_iter(rep ? rep->elapsed_ns : c->elapsed_ns, iters);
		g.cpu = cpu[r] = isnan(cpu_ns) ? g.real : cpu_ns;
		g.bytes_s = rep ? rep->bytes_per_sec : c->bytes_per_sec;
		g.items_s = rep ? rep->msgs_per_sec : c->msgs_per_sec;
		json_array_append_new(arr, gbench_run(&g));
	}
	if (n >= 2) {
		g.iterations = c->iterations;
		g.bytes_s = c->bytes_per_sec;
		g.items_s = c->msgs_per_sec;
		gbench_aggregates(arr, &g, real, cpu, n);
	}
	free(real);
	free(cpu);
	return 0;
}

static int export_json_cells(json_t *root, const struct result_file *rfs, size_t n, enum export_format fmt,
			     enum export_metric m)
{
	json_t *benchmarks = fmt == EXPORT_GBENCH ? json_object_get(root, "benchmarks") : root;
	int family = 0;

	for (size_t a = 0; a < n; a++)
		for (size_t i = 0; i < rfs[a].ncells; i++) {
			const struct rf_cell *c = &rfs[a].cells[i];

			if (!export_cell_ok(c))
				continue;
			if (fmt == EXPORT_GAB)
				gab_cell(root, &rfs[a], c, m);
			else if (fmt == EXPORT_BENCHER)
				bencher_cell(root, c);
			else if (gbench_cell(benchmarks, c, family++))
				return -ENOMEM;
		}
	return 0;
}

int export_json(FILE *out, const struct result_file *rfs, size_t n, enum export_format fmt, enum export_metric metric,
		char *err, size_t errlen)
{
	json_t *root;
	int r;

	if (fmt == EXPORT_GAB)
		root = json_array();
	else if (fmt == EXPORT_BENCHER)
		root = json_object();
	else {
		root = json_object();
		json_object_set_new(root, "context", gbench_context(&rfs[0]));
		json_object_set_new(root, "benchmarks", json_array());
	}
	r = export_json_cells(root, rfs, n, fmt, metric);
	if (!r && json_dumpf(root, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0)
		r = -EIO;
	if (!r)
		fputc('\n', out);
	json_decref(root);
	if (r)
		snprintf(err, errlen, "writing the %s export: %s", export_format_names[fmt], strerror(-r));
	return r;
}
