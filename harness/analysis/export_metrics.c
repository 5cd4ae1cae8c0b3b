/*
 * export_metrics.c - the Prometheus text exports: OpenMetrics 1.0 (with
 * # UNIT and # EOF) and the Prometheus 0.0.4 text a node_exporter
 * textfile collector reads (no timestamps, no EOF).
 *
 * Families, each with one series per measured cell, labelled by the
 * cell's key fields: ipcbench_latency_seconds (a histogram: the HDR
 * histogram's counts at fixed 1-2-5 bounds from 100 ns to 10 s, a value
 * counted below a bound when its HDR slot lies wholly at or below it),
 * ipcbench_messages_total and ipcbench_bytes_total (counters: what the
 * measured iterations moved), ipcbench_messages_per_second and
 * ipcbench_bytes_per_second (gauges), and ipcbench_run_info.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/analysis/export.h"
#include "harness/hdr/hist.h"

struct mx {
	FILE *f;
	const struct result_file *rfs;
	size_t n;
	int om; /* OpenMetrics, not 0.0.4 */
	char *err;
	size_t errlen;
};

static void label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void labels(FILE *f, const struct rf_cell *c, const char *le)
{
	fputs("{transport=", f);
	label_value(f, c->transport);
	fputs(",variant=", f);
	label_value(f, c->variant);
	fputs(",pattern=", f);
	label_value(f, c->pattern);
	fprintf(f, ",size_bytes=\"%lld\",placement=", (long long)c->msg_bytes);
	label_value(f, c->relation);
	fprintf(f, ",client_cpu=\"%d\",server_cpu=\"%d\",wait=", c->client_cpu, c->server_cpu);
	label_value(f, c->wait);
	if (le)
		fprintf(f, ",le=\"%s\"", le);
	fputc('}', f);
}

/* # TYPE (and # UNIT, # HELP): name is the family's name; OpenMetrics counters drop _total there. */
static void family(const struct mx *m, const char *name, const char *type, const char *unit, const char *help)
{
	size_t len = strlen(name);

	if (m->om && !strcmp(type, "counter") && len > 6 && !strcmp(name + len - 6, "_total"))
		len -= 6;
	fprintf(m->f, "# TYPE %.*s %s\n", (int)len, name, type);
	if (m->om && unit)
		fprintf(m->f, "# UNIT %.*s %s\n", (int)len, name, unit);
	fprintf(m->f, "# HELP %.*s %s\n", (int)len, name, help);
}

static void sample(const struct mx *m, const char *name, const struct rf_cell *c, double v)
{
	fputs(name, m->f);
	labels(m->f, c, NULL);
	fprintf(m->f, " %.17g\n", v);
}

/* Bounds in ns: 1, 2, 5 times 100 ns .. 10 s. */
#define MX_NBOUNDS 25
static int64_t bound_ns(int i)
{
	static const int steps[3] = {1, 2, 5};
	int64_t b = 100;

	for (int d = 0; d < i / 3; d++)
		b *= 10;
	return b * steps[i % 3];
}

static int histogram_cell(const struct mx *m, const struct rf_cell *c)
{
	struct hist h;
	struct hist_iter it;
	int64_t below = 0;
	char why[200], le[32];
	bool more;
	int r = resultfile_lat_hist(&c->lat, &h, why, sizeof(why));

	if (r == -ENODATA)
		return 0;
	if (r) {
		snprintf(m->err, m->errlen, "cell '%s': its histogram: %s", c->key, why);
		return r;
	}
	hist_iter_init(&it, &h);
	more = hist_iter_next(&it);
	for (int i = 0; i < MX_NBOUNDS; i++) {
		for (; more && it.value <= bound_ns(i); more = hist_iter_next(&it))
			below = it.cumulative;
		snprintf(le, sizeof(le), "%g", (double)bound_ns(i) / 1e9);
		fputs("ipcbench_latency_seconds_bucket", m->f);
		labels(m->f, c, le);
		fprintf(m->f, " %lld\n", (long long)below);
	}
	fputs("ipcbench_latency_seconds_bucket", m->f);
	labels(m->f, c, "+Inf");
	fprintf(m->f, " %lld\n", (long long)h.total_count);
	sample(m, "ipcbench_latency_seconds_count", c, (double)h.total_count);
	sample(m, "ipcbench_latency_seconds_sum", c, hist_mean(&h) * (double)h.total_count / 1e9);
	hist_release(&h);
	return 0;
}

enum mx_value { MX_MSGS, MX_BYTES, MX_MSGS_S, MX_BYTES_S };

static double value_of(const struct rf_cell *c, enum mx_value v)
{
	switch (v) {
	case MX_MSGS:
		return (double)c->iterations;
	case MX_BYTES:
		return (double)c->iterations * (double)c->msg_bytes;
	case MX_MSGS_S:
		return c->msgs_per_sec;
	default:
		return c->bytes_per_sec;
	}
}

static int each_cell(const struct mx *m, const char *name, int v)
{
	for (size_t a = 0; a < m->n; a++)
		for (size_t i = 0; i < m->rfs[a].ncells; i++) {
			const struct rf_cell *c = &m->rfs[a].cells[i];
			int r;

			if (!export_cell_ok(c))
				continue;
			if (v < 0 && (r = histogram_cell(m, c)))
				return r;
			if (v >= 0 && isfinite(value_of(c, (enum mx_value)v)))
				sample(m, name, c, value_of(c, (enum mx_value)v));
		}
	return 0;
}

static void run_info(const struct mx *m)
{
	family(m, m->om ? "ipcbench_run" : "ipcbench_run_info", m->om ? "info" : "gauge", NULL,
	       "the result files exported, by host and ipcbench version");
	for (size_t a = 0; a < m->n; a++) {
		const struct result_file *rf = &m->rfs[a];

		fputs("ipcbench_run_info{file=", m->f);
		label_value(m->f, rf->path);
		fputs(",host=", m->f);
		label_value(m->f, rf->ctx.hostname);
		fputs(",version=", m->f);
		label_value(m->f, rf->tool_version);
		fputs(",git_revision=", m->f);
		label_value(m->f, rf->git_revision);
		fputs(",started_at=", m->f);
		label_value(m->f, rf->started_at);
		fputs("} 1\n", m->f);
	}
}

int export_metrics(FILE *out, const struct result_file *rfs, size_t n, int openmetrics, char *err, size_t errlen)
{
	static const struct {
		const char *name, *type, *unit, *help;
		int value;
	} fams[] = {
		{"ipcbench_latency_seconds", "histogram", "seconds", "latency of each measured message or round trip",
		 -1},
		{"ipcbench_messages_total", "counter", NULL, "messages sent in the measured iterations", MX_MSGS},
		{"ipcbench_bytes_total", "counter", "bytes", "payload bytes sent in the measured iterations", MX_BYTES},
		{"ipcbench_messages_per_second", "gauge", NULL, "measured message rate", MX_MSGS_S},
		{"ipcbench_bytes_per_second", "gauge", NULL, "measured payload rate", MX_BYTES_S},
	};
	struct mx m = {.f = out, .rfs = rfs, .n = n, .om = openmetrics, .err = err, .errlen = errlen};
	int r;

	run_info(&m);
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		family(&m, fams[i].name, fams[i].type, fams[i].unit, fams[i].help);
		if ((r = each_cell(&m, fams[i].name, fams[i].value)))
			return r;
	}
	if (openmetrics)
		fputs("# EOF\n", out);
	return 0;
}
