/*
 * resultjson.c - writes the result JSON (the only file that includes
 * jansson for writing, with jsonstream.c's event lines).  Field names and shapes: results/README.md.  Every
 * key is always present; a value that does not apply is null, so readers
 * see a stable shape.
 */
#include "harness/resultjson.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/outfile.h"
#include "harness/clock.h"
#include "harness/hdr/codec.h"
#include "harness/remote.h"
#include "harness/scale.h"

#ifndef IPCB_VERSION
#define IPCB_VERSION "0"
#endif
#include "gitrev.h"

#ifndef IPCB_BUILD_FLAGS
#define IPCB_BUILD_FLAGS ""
#endif

/* ---- small builders ---- */

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *num_or_null(double v, bool present)
{
	return present ? json_real(v) : json_null();
}

static json_t *lat_json(const struct lat_summary *s, bool with_raw)
{
	json_t *o = json_object();
	bool any = s->count > 0;

	json_object_set_new(o, "unit", json_string("ns"));
	json_object_set_new(o, "count", json_integer(s->count));
	json_object_set_new(o, "min", any ? json_integer(s->min) : json_null());
	json_object_set_new(o, "max", any ? json_integer(s->max) : json_null());
	json_object_set_new(o, "mean", num_or_null(s->mean, any));
	json_object_set_new(o, "stddev", num_or_null(s->stddev, any));
	for (int i = 0; i < SCHEMA_NPCT; i++)
		json_object_set_new(o, schema_pcts[i].key, any ? json_integer(s->pct[i]) : json_null());
	if (with_raw) {
		json_object_set_new(o, "raw_min", any ? json_integer(s->raw_min) : json_null());
		json_object_set_new(o, "raw_max", any ? json_integer(s->raw_max) : json_null());
		json_object_set_new(o, "out_of_range", json_integer(s->out_of_range));
	}
	return o;
}

static json_t *side_cost_json(const struct side_cost *c, uint64_t msgs)
{
	json_t *o = json_object();
	double n = msgs ? (double)msgs : 1.0;

	json_object_set_new(o, "user_sec", json_real(c->user_sec));
	json_object_set_new(o, "sys_sec", json_real(c->sys_sec));
	json_object_set_new(o, "voluntary_cs", json_integer(c->voluntary_cs));
	json_object_set_new(o, "involuntary_cs", json_integer(c->involuntary_cs));
	json_object_set_new(o, "cpu_ns_per_msg", json_real((c->user_sec + c->sys_sec) * 1e9 / n));
	json_object_set_new(o, "cs_per_msg", json_real((double)(c->voluntary_cs + c->involuntary_cs) / n));
	json_object_set_new(o, "threads", c->threads > 0 ? json_integer(c->threads) : json_null());
	json_object_set_new(o, "max_rss_kb", c->max_rss_kb > 0 ? json_integer(c->max_rss_kb) : json_null());
	return o;
}

static json_t *cost_json(const struct side_cost cost[2], bool have, uint64_t msgs)
{
	json_t *o;

	if (!have)
		return json_null();
	o = json_object();
	json_object_set_new(o, "messages", json_integer((json_int_t)msgs));
	json_object_set_new(o, "client", side_cost_json(&cost[CHAN_CLIENT], msgs));
	json_object_set_new(o, "server", side_cost_json(&cost[CHAN_SERVER], msgs));
	return o;
}

static json_t *rep_json(const struct rep_summary *r, enum pattern p)
{
	json_t *o = json_object();
	bool ok = r->status == CELL_OK;

	json_object_set_new(o, "status", json_string(cell_status_name(r->status)));
	json_object_set_new(o, "reason", ok ? json_null() : str_or_null(r->reason));
	json_object_set_new(o, "iterations", json_integer((json_int_t)r->count));
	json_object_set_new(o, "elapsed_ns", json_integer((json_int_t)r->elapsed_ns));
	json_object_set_new(o, "round_trips_per_sec", num_or_null(r->round_trips_per_sec, ok && p == PATTERN_PINGPONG));
	json_object_set_new(o, "msgs_per_sec", num_or_null(r->msgs_per_sec, ok));
	json_object_set_new(o, "bytes_per_sec", num_or_null(r->bytes_per_sec, ok));
	json_object_set_new(o, "rate_achieved_per_sec", num_or_null(r->rate_achieved_per_sec, ok && p == PATTERN_RATE));
	json_object_set_new(o, "latency_ns", lat_json(&r->lat, true));
	json_object_set_new(o, "cost", cost_json(r->cost, r->have_cost && ok, r->count));
	return o;
}

/* The identity of a cell: every knob that changes what is measured. */
json_t *resultjson_cell_key(const struct run_cell *c)
{
	char key[512], variant[300];

	transport_variant_name(c->cfg.ops, &c->cfg.opts, false, variant, sizeof(variant));
	snprintf(key, sizeof(key), "%s/%s/%zu/%s:%d,%d/%s", variant, pattern_name(c->cfg.pattern), c->cfg.msg_bytes,
		 relation_name(c->cfg.relation), c->cfg.client_cpu, c->cfg.server_cpu, wait_name(c->cfg.wait));
	if (c->cfg.pattern == PATTERN_RATE || (c->cfg.pattern == PATTERN_UNDERLOAD && c->cfg.rate_per_sec > 0)) {
		size_t n = strlen(key);

		snprintf(key + n, sizeof(key) - n, "/rate=%.0f", c->cfg.rate_per_sec);
	}
	if (c->cfg.peers != PEERS_FORK) { /* fork, the default, keeps the keys of older files */
		size_t n = strlen(key);

		snprintf(key + n, sizeof(key) - n, "/peers=%s", peers_name(c->cfg.peers));
	}
	if (c->cfg.pairs || c->cfg.clients) {
		size_t n = strlen(key);

		snprintf(key + n, sizeof(key) - n, "/%s=%u", c->cfg.pairs ? "pairs" : "clients",
			 c->cfg.pairs ? c->cfg.pairs : c->cfg.clients);
	}
	return json_string(key);
}

/* Every option the transport declares, with its effective value (what probe() says the host applied). */
static json_t *options_json(const struct run_cell *c)
{
	const struct transport_ops *ops = c->cfg.ops;
	json_t *o = json_object();

	for (size_t i = 0; i < transport_option_count(ops) && i < TRANSPORT_MAX_OPTIONS; i++) {
		const struct transport_option *opt = &ops->options[i];
		long long v = c->res.limits.opt[i];
		char text[64];
		json_t *j;

		if (opt->type == TOPT_ENUM) {
			transport_option_format(opt, v, false, text, sizeof(text));
			j = json_string(text);
		} else if (opt->type == TOPT_BOOL) {
			j = json_boolean(v);
		} else {
			j = json_integer((json_int_t)v);
		}
		json_object_set_new(o, opt->name, j);
	}
	return o;
}

static json_t *estimate_json(const struct prec_estimate *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "under_sampled", json_boolean(!e->stated));
	json_object_set_new(o, "precision", e->stated && isfinite(e->rel) ? json_real(e->rel) : json_null());
	json_object_set_new(o, "center", e->stated ? json_real(e->center) : json_null());
	json_object_set_new(o, "low", e->stated ? json_real(e->lo) : json_null());
	json_object_set_new(o, "high", e->stated ? json_real(e->hi) : json_null());
	json_object_set_new(o, "batches", json_integer((json_int_t)e->nbatches));
	json_object_set_new(o, "samples_per_batch_needed", json_integer((json_int_t)e->need));
	json_object_set_new(o, "why", e->stated ? json_null() : json_string(e->why));
	return o;
}

/* --precision: what the cell reached (null when it ran a fixed duration or count). */
static json_t *precision_json(const struct run_cell *c)
{
	const struct prec_result *p = &c->res.prec;
	bool lat = p->metric == PREC_BY_P50;
	json_t *o;

	if (!p->on)
		return json_null();
	o = json_object();
	json_object_set_new(o, "target", json_real(p->target));
	json_object_set_new(o, "confidence", json_real(0.95));
	json_object_set_new(o, "metric", json_string(prec_metric_name(p->metric)));
	json_object_set_new(o, "reached", json_boolean(p->reached));
	json_object_set_new(o, "hit_bound", json_boolean(p->hit_bound));
	json_object_set_new(o, "batches", json_integer((json_int_t)p->nbatches));
	json_object_set_new(o, "batch_ns", json_integer((json_int_t)p->batch_ns));
	json_object_set_new(o, "min_duration_ns", json_integer((json_int_t)c->cfg.min_duration_ns));
	json_object_set_new(o, "max_duration_ns", json_integer((json_int_t)c->cfg.duration_ns));
	json_object_set_new(o, "p50", lat ? estimate_json(&p->p50) : json_null());
	json_object_set_new(o, "p99", lat ? estimate_json(&p->p99) : json_null());
	json_object_set_new(o, "p99.9", lat ? estimate_json(&p->p999) : json_null());
	json_object_set_new(o, "throughput", estimate_json(&p->rate));
	return o;
}

/* The guides' properties of the transport, from its flags: who can use it and how it waits. */
static json_t *properties_json(const struct transport_ops *ops)
{
	json_t *p = json_object();

	json_object_set_new(p, "by_name", json_boolean(ops->flags & TRANSPORT_BY_NAME));
	json_object_set_new(p, "network", json_boolean(ops->flags & TRANSPORT_NETWORK));
	json_object_set_new(p, "one_way", json_boolean(ops->flags & TRANSPORT_ONE_WAY));
	json_object_set_new(p, "spin", json_boolean(ops->flags & TRANSPORT_SPIN));
	return p;
}

/* [1,2,4] or null when the list is empty */
static json_t *uint_list_json(const unsigned int *v, size_t n)
{
	json_t *a;

	if (!n)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

/* A histogram's summary with its encoded counts ("hdr"), as the cell's latency_ns. */
static json_t *hist_json(const struct hist *h, int64_t raw_min, int64_t raw_max, bool ok)
{
	struct lat_summary ls;
	char *b64 = NULL;
	json_t *lat;

	lat_summary_from(h, &ls);
	ls.raw_min = raw_min;
	ls.raw_max = raw_max;
	lat = lat_json(&ls, true);
	if (ok && hist_encode_base64(h, 6, &b64) == 0)
		json_object_set_new(lat, "hdr", json_string(b64));
	else
		json_object_set_new(lat, "hdr", json_null());
	free(b64);
	return lat;
}

/* --pairs / --clients: the members' own shares and the fairness between them (null otherwise). */
static json_t *scale_json(const struct run_cell *c)
{
	const struct scale_result *s = c->res.scale;
	bool pp = c->cfg.pattern == PATTERN_PINGPONG;
	json_t *o, *f, *ms;

	if (!s || c->res.status != CELL_OK)
		return json_null();
	o = json_object();
	f = json_object();
	ms = json_array();
	json_object_set_new(o, "mode", json_string(s->fan_in ? "clients" : "pairs"));
	json_object_set_new(o, "members", json_integer(s->n));
	json_object_set_new(f, "min_msgs_per_sec", json_real(s->min_msgs_per_sec));
	json_object_set_new(f, "max_msgs_per_sec", json_real(s->max_msgs_per_sec));
	json_object_set_new(f, "min_over_max",
			    num_or_null(s->min_msgs_per_sec / s->max_msgs_per_sec, s->max_msgs_per_sec > 0));
	json_object_set_new(f, "jain_index", json_real(s->jain_index));
	json_object_set_new(o, "fairness", f);
	for (unsigned int i = 0; i < s->n; i++) {
		const struct scale_member *m = &s->m[i];
		json_t *j = json_object();

		json_object_set_new(j, "index", json_integer(i));
		json_object_set_new(j, "client_cpu", m->client_cpu >= 0 ? json_integer(m->client_cpu) : json_null());
		json_object_set_new(j, "server_cpu", m->server_cpu >= 0 ? json_integer(m->server_cpu) : json_null());
		json_object_set_new(j, "iterations", json_integer((json_int_t)m->count));
		json_object_set_new(j, "elapsed_ns", json_integer((json_int_t)m->elapsed_ns));
		json_object_set_new(j, "msgs_per_sec", json_real(m->msgs_per_sec));
		json_object_set_new(j, "round_trips_per_sec", num_or_null(m->msgs_per_sec, pp));
		json_object_set_new(j, "latency_ns", hist_json(&m->latency, m->raw_min_ns, m->raw_max_ns, true));
		json_object_set_new(j, "cost", cost_json(m->cost, m->have_cost, m->count));
		json_array_append_new(ms, j);
	}
	json_object_set_new(o, "per_member", ms);
	return o;
}

/* The transport's named counters (transport.h), each by name: {} for a transport that counts nothing. */
static json_t *counters_json(const struct run_cell *c)
{
	json_t *o = json_object();

	for (size_t i = 0; i < transport_counter_count(c->cfg.ops); i++)
		json_object_set_new(o, c->cfg.ops->counters[i], json_integer((json_int_t)c->res.counters[i]));
	return o;
}

/* PATTERN_UNDERLOAD: what the background sender did and what the probes waited behind; null elsewhere. */
static json_t *underload_json(const struct run_cell *c)
{
	const struct underload_result *u = &c->res.underload;
	double probes = u->probes ? (double)u->probes : 1;
	json_t *o;

	if (c->cfg.pattern != PATTERN_UNDERLOAD || c->res.status != CELL_OK)
		return json_null();
	o = json_object();
	json_object_set_new(o, "probes", json_integer((json_int_t)u->probes));
	json_object_set_new(o, "background_sent", json_integer((json_int_t)u->bg_sent));
	json_object_set_new(o, "background_received", json_integer((json_int_t)u->bg_received));
	json_object_set_new(o, "background_lost", json_integer((json_int_t)u->bg_lost));
	json_object_set_new(o, "background_msgs_per_sec", json_real(u->bg_msgs_per_sec));
	json_object_set_new(o, "background_rate_target_per_sec",
			    num_or_null(c->cfg.rate_per_sec, c->cfg.rate_per_sec > 0));
	json_object_set_new(o, "queued_behind_per_probe", json_real((double)u->queued_behind / probes));
	json_object_set_new(o, "overtaken_per_probe", json_real((double)u->overtaken / probes));
	return o;
}

json_t *resultjson_cell(const struct run_cell *c)
{
	const struct cell_config *cfg = &c->cfg;
	const struct cell_result *res = &c->res;
	bool ok = res->status == CELL_OK;
	json_t *o = json_object(), *pl = json_object(), *lim = json_object(), *lat, *reps;
	char variant[300];

	json_object_set_new(o, "key", resultjson_cell_key(c));
	json_object_set_new(o, "transport", json_string(cfg->ops->name));
	transport_variant_name(cfg->ops, &cfg->opts, true, variant, sizeof(variant));
	json_object_set_new(o, "variant", json_string(variant));
	json_object_set_new(o, "options", options_json(c));
	json_object_set_new(o, "raw_transport", str_or_null(cfg->ops->raw_of ? cfg->ops->raw_of(&cfg->opts) : NULL));
	json_object_set_new(o, "kind", json_string(cfg->ops->kind == CHAN_STREAM ? "stream" : "message"));
	json_object_set_new(o, "properties", properties_json(cfg->ops));
	json_object_set_new(o, "pattern", json_string(pattern_name(cfg->pattern)));
	json_object_set_new(o, "msg_bytes", json_integer((json_int_t)cfg->msg_bytes));
	json_object_set_new(o, "status", json_string(cell_status_name(res->status)));
	json_object_set_new(o, "reason", res->status == CELL_SKIPPED ? str_or_null(res->reason) : json_null());
	json_object_set_new(o, "error",
			    res->status == CELL_ERROR || res->status == CELL_INTERRUPTED ? str_or_null(res->reason)
											 : json_null());
	json_object_set_new(pl, "client_cpu", cfg->client_cpu >= 0 ? json_integer(cfg->client_cpu) : json_null());
	json_object_set_new(pl, "server_cpu", cfg->server_cpu >= 0 ? json_integer(cfg->server_cpu) : json_null());
	json_object_set_new(pl, "relation", json_string(relation_name(cfg->relation)));
	json_object_set_new(o, "placement", pl);
	json_object_set_new(o, "wait", json_string(wait_name(cfg->wait)));
	json_object_set_new(o, "peers", json_string(peers_name(cfg->peers)));
	json_object_set_new(o, "clock", json_string(res->clock ? res->clock : clock_info.name));
	json_object_set_new(o, "warmup", json_integer((json_int_t)cfg->warmup));
	json_object_set_new(o, "warmup_done", json_integer((json_int_t)res->warmup_done));
	json_object_set_new(o, "iterations", json_integer((json_int_t)res->count));
	json_object_set_new(o, "iterations_requested",
			    cfg->iterations ? json_integer((json_int_t)cfg->iterations) : json_null());
	json_object_set_new(o, "duration_ns_requested",
			    cfg->iterations ? json_null() : json_integer((json_int_t)cfg->duration_ns));
	json_object_set_new(o, "elapsed_ns", json_integer((json_int_t)res->elapsed_ns));
	json_object_set_new(o, "round_trips_per_sec",
			    num_or_null(res->round_trips_per_sec,
					ok && (cfg->pattern == PATTERN_PINGPONG || cfg->pattern == PATTERN_UNDERLOAD)));
	json_object_set_new(o, "msgs_per_sec", num_or_null(res->msgs_per_sec, ok));
	json_object_set_new(o, "bytes_per_sec", num_or_null(res->bytes_per_sec, ok));
	json_object_set_new(o, "rate_target_per_sec", num_or_null(cfg->rate_per_sec, cfg->pattern == PATTERN_RATE));
	json_object_set_new(o, "rate_achieved_per_sec",
			    num_or_null(res->rate_achieved_per_sec, ok && cfg->pattern == PATTERN_RATE));
	json_object_set_new(o, "rate_kept_up",
			    ok && cfg->pattern == PATTERN_RATE ? json_boolean(res->rate_kept_up) : json_null());
	json_object_set_new(o, "fragments_per_msg", json_integer(res->fragments_per_msg));
	json_object_set_new(lim, "max_msg_bytes",
			    res->limits.max_msg_bytes ? json_integer((json_int_t)res->limits.max_msg_bytes)
						      : json_null());
	json_object_set_new(lim, "unit_bytes",
			    res->limits.unit_bytes ? json_integer((json_int_t)res->limits.unit_bytes) : json_null());
	json_object_set_new(lim, "note", str_or_null(res->limits.note));
	json_object_set_new(o, "limits", lim);
	json_object_set_new(o, "counters", counters_json(c));
	json_object_set_new(o, "underload", underload_json(c));

	lat = hist_json(&res->latency, res->raw_min_ns, res->raw_max_ns, ok);
	json_object_set_new(lat, "meaning",
			    json_string(cfg->pattern == PATTERN_PINGPONG    ? "round trip"
					: cfg->pattern == PATTERN_UNDERLOAD ? "round trip of a probe under load"
					: cfg->pattern == PATTERN_RATE	    ? "one way, from the intended send time"
									    : "one way"));
	json_object_set_new(o, "latency_ns", lat);
	json_object_set_new(o, "floor_ns", c->floor_ns > 0 ? json_real(c->floor_ns) : json_null());
	json_object_set_new(o, "floor", c->floor_ns > 0 ? str_or_null(c->floor_name) : json_null());
	json_object_set_new(o, "vs_floor", run_cell_vs_floor(c) > 0 ? json_real(run_cell_vs_floor(c)) : json_null());
	json_object_set_new(o, "cost", cost_json(res->cost, res->have_cost && ok, res->count));
	json_object_set_new(o, "precision", ok ? precision_json(c) : json_null());
	json_object_set_new(o, "pairs", cfg->pairs ? json_integer(cfg->pairs) : json_null());
	json_object_set_new(o, "clients", cfg->clients ? json_integer(cfg->clients) : json_null());
	json_object_set_new(o, "scale", scale_json(c));
	reps = json_array();
	for (size_t i = 0; i < c->nreps; i++)
		json_array_append_new(reps, rep_json(&c->reps[i], cfg->pattern));
	json_object_set_new(o, "repetitions", reps);
	return o;
}

static json_t *tool_json(void)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string("ipcbench"));
	json_object_set_new(o, "version", json_string(IPCB_VERSION));
	json_object_set_new(o, "git_revision", json_string(IPCB_GIT_REV));
#ifdef __VERSION__
	json_object_set_new(o, "compiler", json_string(__VERSION__));
#endif
	json_object_set_new(o, "build_flags", json_string(IPCB_BUILD_FLAGS));
	return o;
}

static json_t *calib_json(const struct calib *k)
{
	json_t *o, *mc;

	if (!k->valid)
		return json_null();
	o = json_object();
	mc = json_array();
	json_object_set_new(o, "cpus", json_string(k->cpus));
	json_object_set_new(o, "measured_at", json_string(k->measured_at));
	json_object_set_new(o, "clock_read_ns", json_real(k->clock_read_ns));
	json_object_set_new(o, "cacheline_rtt_ns", json_real(k->cacheline_rtt_ns));
	json_object_set_new(o, "futex_rtt_ns", json_real(k->futex_rtt_ns));
	json_object_set_new(o, "cacheline_rtt_same_cpu_ns", json_real(k->cacheline_rtt_same_ns));
	json_object_set_new(o, "futex_rtt_same_cpu_ns", json_real(k->futex_rtt_same_ns));
	for (int i = 0; i < 4 && k->memcpy_sizes[i]; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "bytes", json_integer((json_int_t)k->memcpy_sizes[i]));
		json_object_set_new(e, "gbytes_per_sec", json_real(k->memcpy_gbps[i]));
		json_array_append_new(mc, e);
	}
	json_object_set_new(o, "memcpy", mc);
	json_object_set_new(o, "shm_copy_bytes", json_integer((json_int_t)k->shm_copy_bytes));
	json_object_set_new(o, "shm_copy_gbytes_per_sec", json_real(k->shm_copy_gbps));
	json_object_set_new(o, "shm_copy_same_cpu_gbytes_per_sec", json_real(k->shm_copy_same_gbps));
	json_object_set_new(o, "from_cache", json_boolean(k->from_cache));
	return o;
}

static json_t *context_json(const struct run_result *rr)
{
	const struct host_info *h = &rr->host;
	json_t *o = json_object(), *lim = json_object(), *ck = json_object();

	json_object_set_new(o, "hostname", json_string(h->hostname));
	json_object_set_new(o, "kernel", json_string(h->kernel));
	json_object_set_new(o, "kernel_version", json_string(h->kernel_version));
	json_object_set_new(o, "machine", json_string(h->machine));
	json_object_set_new(o, "cpu_model", json_string(h->cpu_model));
	json_object_set_new(o, "cpu_count", json_integer(h->cpus_online));
	json_object_set_new(o, "cpus_configured", json_integer(h->cpus_configured));
	json_object_set_new(o, "numa_nodes", json_integer(h->numa_nodes));
	json_object_set_new(o, "virtualization", json_string(h->virtualization));
	json_object_set_new(o, "clocksource", json_string(h->clocksource));
	json_object_set_new(o, "governor", str_or_null(h->governor));
	json_object_set_new(o, "mqueue_mounted", json_boolean(h->mqueue_mounted));
	for (size_t i = 0; i < h->nlimits; i++)
		json_object_set_new(lim, h->limits[i].name, str_or_null(h->limits[i].value));
	json_object_set_new(o, "ipc_limits", lim);
	json_object_set_new(ck, "source", json_string(clock_info.name));
	json_object_set_new(ck, "read_ns", json_real(clock_info.read_cost_ns));
	json_object_set_new(ck, "monotonic_read_ns", json_real(clock_info.mono_read_cost_ns));
	json_object_set_new(ck, "tsc_hz", clock_info.tsc ? json_real(clock_info.tsc_hz) : json_null());
	json_object_set_new(ck, "tsc_check_error_ppm",
			    clock_info.tsc ? json_real(clock_info.check_error_ppm) : json_null());
	json_object_set_new(ck, "why_not_tsc", str_or_null(clock_info.why_not_tsc));
	json_object_set_new(o, "clock", ck);
	json_object_set_new(o, "calibration", calib_json(&rr->calib));
	json_object_set_new(o, "calibration_end", calib_json(&rr->calib_end));
	return o;
}

/* run --connect: the server's address and host facts, and whether it is another host. */
static json_t *server_json(const struct run_result *rr)
{
	const struct remote_conn *rc = rr->opt ? rr->opt->remote : NULL;
	const struct remote_ident *p;
	json_t *o;

	if (!rc)
		return json_null();
	p = &rc->peer;
	o = json_object();
	json_object_set_new(o, "address", json_string(rc->addr));
	json_object_set_new(o, "other_host", json_boolean(rc->other_host));
	json_object_set_new(o, "hostname", json_string(p->hostname));
	json_object_set_new(o, "boot_id", json_string(p->boot_id));
	json_object_set_new(o, "netns", json_string(p->netns));
	json_object_set_new(o, "kernel", json_string(p->kernel));
	json_object_set_new(o, "machine", json_string(p->machine));
	json_object_set_new(o, "cpu_model", json_string(p->cpu_model));
	json_object_set_new(o, "cpu_count", json_integer(p->cpus_online));
	json_object_set_new(o, "virtualization", json_string(p->virtualization));
	json_object_set_new(o, "clocksource", json_string(p->clocksource));
	return o;
}

static json_t *config_json(const struct run_result *rr)
{
	const struct run_options *op = rr->opt;
	json_t *o = json_object(), *a;

	json_object_set_new(o, "command_line", str_or_null(rr->command_line));
	a = json_array();
	for (size_t i = 0; i < op->ntransports; i++)
		json_array_append_new(a, json_string(op->transports[i]->name));
	json_object_set_new(o, "transports", a);
	a = json_array();
	for (size_t i = 0; i < op->nsizes; i++)
		json_array_append_new(a, json_integer((json_int_t)op->sizes[i]));
	json_object_set_new(o, "sizes_bytes", a);
	a = json_array();
	for (size_t i = 0; i < op->npatterns; i++)
		json_array_append_new(a, json_string(pattern_name(op->patterns[i])));
	json_object_set_new(o, "patterns", a);
	a = json_array();
	for (size_t i = 0; i < op->nplacements; i++) {
		json_t *p = json_object();

		json_object_set_new(p, "client_cpu",
				    op->placements[i].client_cpu >= 0 ? json_integer(op->placements[i].client_cpu)
								      : json_null());
		json_object_set_new(p, "server_cpu",
				    op->placements[i].server_cpu >= 0 ? json_integer(op->placements[i].server_cpu)
								      : json_null());
		json_object_set_new(p, "relation", json_string(relation_name(op->placements[i].relation)));
		json_array_append_new(a, p);
	}
	json_object_set_new(o, "placements", a);
	a = json_array();
	for (size_t i = 0; i < op->nwaits; i++)
		json_array_append_new(a, json_string(wait_name(op->waits[i])));
	json_object_set_new(o, "waits", a);
	a = json_array();
	for (size_t i = 0; i < op->npeers; i++)
		json_array_append_new(a, json_string(peers_name(op->peers[i])));
	json_object_set_new(o, "peers", a);
	json_object_set_new(o, "pairs", uint_list_json(op->pairs, op->npairs));
	json_object_set_new(o, "clients", uint_list_json(op->clients, op->nclients));
	json_object_set_new(o, "warmup", json_integer((json_int_t)op->warmup));
	json_object_set_new(o, "iterations", op->iterations ? json_integer((json_int_t)op->iterations) : json_null());
	json_object_set_new(o, "duration_ns", op->iterations ? json_null() : json_integer((json_int_t)op->duration_ns));
	json_object_set_new(o, "rate_per_sec", op->rate_per_sec > 0 ? json_real(op->rate_per_sec) : json_null());
	json_object_set_new(o, "precision", op->precision > 0 ? json_real(op->precision) : json_null());
	json_object_set_new(o, "min_duration_ns",
			    op->precision > 0 ? json_integer((json_int_t)op->min_duration_ns) : json_null());
	json_object_set_new(o, "stream_duration_ns",
			    op->stream_duration_ns ? json_integer((json_int_t)op->stream_duration_ns) : json_null());
	json_object_set_new(o, "repeat", json_integer(op->repeat));
	json_object_set_new(o, "seed", json_integer((json_int_t)op->seed));
	json_object_set_new(o, "timeout_ms", json_integer(op->timeout_ms));
	json_object_set_new(o, "clock", json_string(op->allow_tsc ? "auto" : "monotonic"));
	json_object_set_new(o, "quick", json_boolean(op->quick));
	json_object_set_new(o, "histogram",
			    json_pack("{s:I,s:I,s:i}", "lowest_ns", (json_int_t)HIST_LOWEST, "highest_ns",
				      (json_int_t)HIST_HIGHEST, "significant_digits", HIST_DIGITS));
	return o;
}

static json_t *result_json(const struct run_result *rr)
{
	json_t *o = json_object(), *cells = json_array(), *errs = json_array();

	json_object_set_new(o, "schema", json_string(SCHEMA_NAME));
	json_object_set_new(o, "schema_version", json_integer(SCHEMA_VERSION));
	json_object_set_new(o, "tool", tool_json());
	json_object_set_new(o, "started_at", json_string(rr->started_at));
	json_object_set_new(o, "finished_at", str_or_null(rr->finished_at));
	json_object_set_new(o, "interrupted_by_signal",
			    rr->interrupted_by ? json_integer(rr->interrupted_by) : json_null());
	json_object_set_new(o, "context", context_json(rr));
	json_object_set_new(o, "config", config_json(rr));
	json_object_set_new(o, "server", server_json(rr));
	for (size_t i = 0; i < rr->ncells; i++)
		json_array_append_new(cells, resultjson_cell(&rr->cells[i]));
	json_object_set_new(o, "results", cells);
	for (size_t i = 0; i < rr->nerrors; i++)
		json_array_append_new(errs, json_string(rr->errors[i]));
	json_object_set_new(o, "errors", errs);
	return o;
}

/* All of text to fd, through EINTR: a signal during the write must not cost the result. */
static int write_all(int fd, const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

int resultjson_write(const struct run_result *rr, const char *path, char *err, size_t errlen)
{
	json_t *doc = result_json(rr);
	char *text =
		json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(RESULTJSON_REAL_DIGITS));
	struct outfile of;
	size_t len;
	int r;

	json_decref(doc);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = strlen(text);
	text[len++] = '\n'; /* json_dumps leaves room: replaces the NUL */
	r = outfile_open(&of, path, err, errlen);
	if (r)
		goto out_free;
	/* the text goes straight to the descriptor (nothing is buffered yet), retrying EINTR */
	r = fflush(of.f) ? -errno : write_all(fileno(of.f), text, len);
	if (r) {
		outfile_abort(&of);
		snprintf(err, errlen, "%s: %s", strcmp(path, "-") ? path : "standard output", strerror(-r));
		goto out_free;
	}
	r = outfile_commit(&of, err, errlen);
out_free:
	free(text);
	return r;
}
