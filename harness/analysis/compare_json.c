/*
 * compare_json.c - a comparison as JSON (schema "ipcbench-compare",
 * docs/ci.md): what CI jobs read.
 */
#include "harness/analysis/compare_out.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"

#define COMPARE_JSON_SCHEMA "ipcbench-compare"
#define COMPARE_JSON_VERSION 1

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
	json_object_set_new(o, "gated",
			    json_boolean(cc->verdict == COMPARE_FAILED || cc->verdict == COMPARE_REGRESSED));
	json_object_set_new(o, "metrics", ms);
	return o;
}

static json_t *side_json(const struct compare_side *l)
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

static json_t *compare_json(const struct compare_view *v, int rc)
{
	const struct compare_result *res = v->res;
	json_t *cells = json_array(), *warns = json_array();
	char line[256];

	for (size_t i = 0; i < res->ncells; i++)
		json_array_append_new(cells, cell_json(&res->cells[i]));
	for (size_t i = 0; i < res->nwarnings; i++)
		json_array_append_new(warns, json_string(res->warnings[i]));
	compare_summary_line(res, line, sizeof(line));
	return json_pack("{s:s,s:i,s:o,s:o,s:o,s:o,s:{s:s,s:o,s:o,s:I,s:I,s:I,s:s,s:i},s:o,s:o}", "schema",
			 COMPARE_JSON_SCHEMA, "schema_version", COMPARE_JSON_VERSION, "base", side_json(v->base), "new",
			 side_json(v->cand), "options", options_json(v->opt), "environment", env_json(res), "summary",
			 "line", line, "cells", counts_json(res->cell_counts), "comparisons",
			 counts_json(res->metric_counts), "tested", (json_int_t)res->ntested, "gated_regressions",
			 (json_int_t)res->regressions, "failed_cells", (json_int_t)res->failed, "gate",
			 res->refused			   ? "refused"
			 : res->regressions || res->failed ? "failed"
							   : "passed",
			 "exit_code", rc, "warnings", warns, "cells", cells);
}

int compare_write_json(const char *path, const struct compare_view *v, int rc, char *err, size_t errlen)
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
	r = outfile_write(path, withnl, strlen(withnl), err, errlen);
	free(withnl);
	free(text);
	return r;
}
