/*
 * export.c - `ipcbench export`: the format table, the checks every format
 * shares, and the CSV writer.  The JSON formats are in export_json.c, the
 * Prometheus and OpenMetrics text in export_metrics.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness/analysis/export.h"

const char *const export_format_names[EXPORT__COUNT] = {
	[EXPORT_GAB] = "github-action-benchmark", [EXPORT_BENCHER] = "bencher",	      [EXPORT_GBENCH] = "gbench",
	[EXPORT_OPENMETRICS] = "openmetrics",	  [EXPORT_PROMETHEUS] = "prometheus", [EXPORT_CSV] = "csv",
};

int export_format_parse(const char *s, enum export_format *f)
{
	for (int i = 0; i < EXPORT__COUNT; i++) {
		if (!strcmp(s, export_format_names[i])) {
			*f = (enum export_format)i;
			return 0;
		}
	}
	return -1;
}

int export_cell_ok(const struct rf_cell *c)
{
	return c->status && !strcmp(c->status, "ok");
}

double export_pct(const struct rf_cell *c, const char *key)
{
	int i = schema_pct_index(key);

	return i < 0 ? NAN : c->lat.pct[i];
}

double export_cpu_ns(const struct rf_cost *c)
{
	if (!c->present || isnan(c->cpu_ns_per_msg[0]) || isnan(c->cpu_ns_per_msg[1]))
		return NAN;
	return c->cpu_ns_per_msg[0] + c->cpu_ns_per_msg[1];
}

/* A key exported by two files is ambiguous where a format names a benchmark once. */
static int check_unique(const struct result_file *rfs, size_t n, char *err, size_t errlen)
{
	for (size_t a = 0; a < n; a++)
		for (size_t i = 0; i < rfs[a].ncells; i++) {
			const struct rf_cell *c = &rfs[a].cells[i];

			if (!export_cell_ok(c))
				continue;
			for (size_t b = a; b < n; b++)
				for (size_t j = b == a ? i + 1 : 0; j < rfs[b].ncells; j++) {
					if (!export_cell_ok(&rfs[b].cells[j]) || strcmp(c->key, rfs[b].cells[j].key))
						continue;
					snprintf(err, errlen,
						 "cell '%s' is in %s and %s: this format names each cell once "
						 "(export the files one at a time, or use gbench or csv)",
						 c->key, rfs[a].path, rfs[b].path);
					return -EINVAL;
				}
		}
	return 0;
}

/* ---- CSV (RFC 4180 quoting, one header line) ---- */

static void csv_str(FILE *f, const char *s, int last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else if (s) {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.10g", v);
	fputc(',', f);
}

static void csv_int(FILE *f, int64_t v)
{
	if (v >= 0)
		fprintf(f, "%lld", (long long)v);
	fputc(',', f);
}

static const char csv_header[] =
	"file,key,transport,variant,options,kind,pattern,msg_bytes,relation,client_cpu,"
	"server_cpu,wait,iterations,repetitions,p50_ns,p99_ns,p99.9_ns,max_ns,mean_ns,"
	"round_trips_per_sec,msgs_per_sec,bytes_per_sec,vs_floor,cpu_ns_per_msg,status,reason\n";

static void csv_cell(FILE *f, const char *path, const struct rf_cell *c)
{
	int ok = export_cell_ok(c);

	csv_str(f, path, 0);
	csv_str(f, c->key, 0);
	csv_str(f, c->transport, 0);
	csv_str(f, c->variant, 0);
	csv_str(f, c->options, 0);
	csv_str(f, c->kind, 0);
	csv_str(f, c->pattern, 0);
	csv_int(f, c->msg_bytes);
	csv_str(f, c->relation, 0);
	csv_int(f, c->client_cpu);
	csv_int(f, c->server_cpu);
	csv_str(f, c->wait, 0);
	csv_int(f, ok ? c->iterations : -1);
	csv_int(f, (int64_t)c->nreps);
	csv_num(f, ok ? export_pct(c, "p50") : NAN);
	csv_num(f, ok ? export_pct(c, "p99") : NAN);
	csv_num(f, ok ? export_pct(c, "p99.9") : NAN);
	csv_num(f, ok ? c->lat.max : NAN);
	csv_num(f, ok ? c->lat.mean : NAN);
	csv_num(f, ok ? c->round_trips_per_sec : NAN);
	csv_num(f, ok ? c->msgs_per_sec : NAN);
	csv_num(f, ok ? c->bytes_per_sec : NAN);
	csv_num(f, ok ? c->vs_floor : NAN);
	csv_num(f, ok ? export_cpu_ns(&c->cost) : NAN);
	csv_str(f, c->status, 0);
	csv_str(f, c->reason ? c->reason : c->error, 1);
}

static int export_csv(FILE *f, const struct result_file *rfs, size_t n)
{
	fputs(csv_header, f);
	for (size_t a = 0; a < n; a++)
		for (size_t i = 0; i < rfs[a].ncells; i++)
			csv_cell(f, rfs[a].path, &rfs[a].cells[i]);
	return 0;
}

int export_write(FILE *out, const struct result_file *rfs, size_t n, enum export_format fmt, enum export_metric metric,
		 char *err, size_t errlen)
{
	int r;

	if (fmt != EXPORT_GBENCH && fmt != EXPORT_CSV && (r = check_unique(rfs, n, err, errlen)))
		return r;
	switch (fmt) {
	case EXPORT_CSV:
		r = export_csv(out, rfs, n);
		break;
	case EXPORT_OPENMETRICS:
	case EXPORT_PROMETHEUS:
		r = export_metrics(out, rfs, n, fmt == EXPORT_OPENMETRICS, err, errlen);
		break;
	default:
		r = export_json(out, rfs, n, fmt, metric, err, errlen);
		break;
	}
	if (!r && ferror(out)) {
		snprintf(err, errlen, "writing the export: %s", strerror(errno ? errno : EIO));
		r = -EIO;
	}
	return r;
}
