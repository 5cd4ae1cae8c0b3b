/*
 * resultfile.c - strict reader of ipcbench result files (see resultfile.h).
 */
#include "harness/analysis/resultfile.h"
#include "harness/hdr/codec.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

struct rd {
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
};

static void bad(struct rd *rd, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void bad(struct rd *rd, const char *where, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (rd->failed)
		return;
	rd->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(rd->err, rd->errlen, "%s: %s%s%s", rd->path, where, where[0] ? ": " : "", msg);
}

static char *get_str(struct rd *rd, json_t *o, const char *key, const char *where, bool nullable)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (!nullable) {
			char w[160];

			snprintf(w, sizeof(w), "%s%s%s", where, where[0] ? "." : "", key);
			bad(rd, w, "missing (a string is required)");
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		char w[160];

		snprintf(w, sizeof(w), "%s%s%s", where, where[0] ? "." : "", key);
		bad(rd, w, "expected a string");
		return NULL;
	}
	return strdup(json_string_value(v));
}

static double get_num(struct rd *rd, json_t *o, const char *key, const char *where)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (!v || json_is_null(v))
		return NAN;
	if (!json_is_number(v)) {
		char w[160];

		snprintf(w, sizeof(w), "%s.%s", where, key);
		bad(rd, w, "expected a number");
		return NAN;
	}
	d = json_number_value(v);
	if (!isfinite(d)) {
		char w[160];

		snprintf(w, sizeof(w), "%s.%s", where, key);
		bad(rd, w, "not a finite number");
		return NAN;
	}
	return d;
}

/* A non-negative integer, or dflt when null/absent. */
static int64_t get_int(struct rd *rd, json_t *o, const char *key, const char *where, int64_t dflt)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return dflt;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		char w[160];

		snprintf(w, sizeof(w), "%s.%s", where, key);
		bad(rd, w, "expected a non-negative integer");
		return dflt;
	}
	return json_integer_value(v);
}

static json_t *get_obj(struct rd *rd, json_t *o, const char *key, const char *where, bool nullable)
{
	json_t *v = json_object_get(o, key);
	char w[160];

	snprintf(w, sizeof(w), "%s%s%s", where, where[0] ? "." : "", key);
	if (!v || json_is_null(v)) {
		if (!nullable)
			bad(rd, w, "missing (an object is required)");
		return NULL;
	}
	if (!json_is_object(v)) {
		bad(rd, w, "expected an object");
		return NULL;
	}
	return v;
}

static void read_lat(struct rd *rd, json_t *o, const char *where, struct rf_lat *l)
{
	l->count = get_int(rd, o, "count", where, 0);
	l->min = get_num(rd, o, "min", where);
	l->max = get_num(rd, o, "max", where);
	l->mean = get_num(rd, o, "mean", where);
	l->stddev = get_num(rd, o, "stddev", where);
	for (int i = 0; i < SCHEMA_NPCT; i++)
		l->pct[i] = get_num(rd, o, schema_pcts[i].key, where);
	l->hdr = get_str(rd, o, "hdr", where, true);
}

static void read_cost(struct rd *rd, json_t *o, const char *where, struct rf_cost *c)
{
	static const char *const sides[2] = {"client", "server"};
	json_t *cost = get_obj(rd, o, "cost", where, true);
	char w[160];

	c->present = cost != NULL;
	for (int s = 0; s < 2; s++) {
		json_t *side = cost ? get_obj(rd, cost, sides[s], where, true) : NULL;

		snprintf(w, sizeof(w), "%s.cost.%s", where, sides[s]);
		c->cpu_ns_per_msg[s] = side ? get_num(rd, side, "cpu_ns_per_msg", w) : NAN;
		c->cs_per_msg[s] = side ? get_num(rd, side, "cs_per_msg", w) : NAN;
		c->threads[s] = side ? get_int(rd, side, "threads", w, -1) : -1;
	}
}

static void read_rep(struct rd *rd, json_t *o, const char *where, struct rf_rep *r)
{
	json_t *lat;

	if (!json_is_object(o)) {
		bad(rd, where, "expected an object");
		return;
	}
	r->status = get_str(rd, o, "status", where, false);
	r->iterations = get_int(rd, o, "iterations", where, 0);
	r->elapsed_ns = get_int(rd, o, "elapsed_ns", where, 0);
	r->round_trips_per_sec = get_num(rd, o, "round_trips_per_sec", where);
	r->msgs_per_sec = get_num(rd, o, "msgs_per_sec", where);
	r->bytes_per_sec = get_num(rd, o, "bytes_per_sec", where);
	r->rate_achieved_per_sec = get_num(rd, o, "rate_achieved_per_sec", where);
	lat = get_obj(rd, o, "latency_ns", where, false);
	if (lat) {
		char w[160];

		snprintf(w, sizeof(w), "%s.latency_ns", where);
		read_lat(rd, lat, w, &r->lat);
	}
	read_cost(rd, o, where, &r->cost);
}

/* cell.options: an object of scalars, kept as "k=v,k=v"; absent (older files) is NULL: the defaults. */
static char *get_options(struct rd *rd, json_t *o, const char *where)
{
	json_t *opts = get_obj(rd, o, "options", where, true), *v;
	const char *k;
	char *s, w[96];
	size_t len = 0, cap = 1;

	if (!opts)
		return NULL;
	json_object_foreach(opts, k, v) cap += strlen(k) + 2 + (json_is_string(v) ? strlen(json_string_value(v)) : 24);
	s = calloc(1, cap);
	if (!s)
		return NULL;
	json_object_foreach(opts, k, v)
	{
		char num[32];
		const char *text = num;

		if (json_is_string(v))
			text = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			snprintf(num, sizeof(num), "%d", json_is_true(v));
		else {
			snprintf(w, sizeof(w), "%s.options.%s", where, k);
			bad(rd, w, "expected a string, an integer or a boolean");
			free(s);
			return NULL;
		}
		len += (size_t)snprintf(s + len, cap - len, "%s%s=%s", len ? "," : "", k, text);
	}
	return s;
}

/*
 * The transport (the contract field) followed by the options part of
 * "variant" (from its first ':'): a file whose transport was renamed (a
 * script, a test) keeps a consistent variant.  Absent: the transport.
 */
static char *variant_of(struct rd *rd, json_t *o, const char *where, const char *transport)
{
	char *v = get_str(rd, o, "variant", where, true), *out = NULL;
	const char *opts = v ? strchr(v, ':') : NULL;

	if (transport && asprintf(&out, "%s%s", transport, opts ? opts : "") < 0)
		out = NULL;
	free(v);
	return out;
}

static int get_cpu(struct rd *rd, json_t *pl, const char *key, const char *where)
{
	int64_t v = get_int(rd, pl, key, where, -1);

	if (v > 65535) {
		bad(rd, where, "%s %lld is not a CPU number", key, (long long)v);
		return -1;
	}
	return (int)v;
}

/* A boolean of cell.properties: -1 when the object or the key is absent (older files). */
static int get_prop(struct rd *rd, json_t *props, const char *key, const char *where)
{
	json_t *v = props ? json_object_get(props, key) : NULL;
	char w[160];

	if (!v || json_is_null(v))
		return -1;
	if (!json_is_boolean(v)) {
		snprintf(w, sizeof(w), "%s.properties.%s", where, key);
		bad(rd, w, "expected a boolean");
		return -1;
	}
	return json_is_true(v);
}

/* properties and limits.note: what the report's advice says of a transport */
static void read_properties(struct rd *rd, json_t *o, const char *where, struct rf_cell *c)
{
	json_t *props = get_obj(rd, o, "properties", where, true), *lim = get_obj(rd, o, "limits", where, true);
	char w[96];

	c->by_name = get_prop(rd, props, "by_name", where);
	c->network = get_prop(rd, props, "network", where);
	c->one_way = get_prop(rd, props, "one_way", where);
	c->spin = get_prop(rd, props, "spin", where);
	snprintf(w, sizeof(w), "%s.limits", where);
	c->limits_note = lim ? get_str(rd, lim, "note", w, true) : NULL;
}

static void read_member(struct rd *rd, json_t *o, const char *where, struct rf_member *m)
{
	json_t *lat;
	char w[160];

	if (!json_is_object(o)) {
		bad(rd, where, "expected an object");
		return;
	}
	m->index = get_int(rd, o, "index", where, -1);
	m->client_cpu = get_cpu(rd, o, "client_cpu", where);
	m->server_cpu = get_cpu(rd, o, "server_cpu", where);
	m->iterations = get_int(rd, o, "iterations", where, 0);
	m->elapsed_ns = get_int(rd, o, "elapsed_ns", where, 0);
	m->msgs_per_sec = get_num(rd, o, "msgs_per_sec", where);
	m->round_trips_per_sec = get_num(rd, o, "round_trips_per_sec", where);
	lat = get_obj(rd, o, "latency_ns", where, false);
	if (lat) {
		snprintf(w, sizeof(w), "%s.latency_ns", where);
		read_lat(rd, lat, w, &m->lat);
	}
	read_cost(rd, o, where, &m->cost);
}

/* pairs, clients and scale (results/README.md): members 1 and up, mode as the count says. */
static void read_scale(struct rd *rd, json_t *o, const char *where, struct rf_cell *c)
{
	json_t *sc = get_obj(rd, o, "scale", where, true), *f, *per;
	char w[96], *mode;

	c->pairs = get_int(rd, o, "pairs", where, 0);
	c->clients = get_int(rd, o, "clients", where, 0);
	if (c->pairs && c->clients)
		bad(rd, where, "both pairs and clients are set");
	if (!sc || rd->failed)
		return;
	snprintf(w, sizeof(w), "%s.scale", where);
	mode = get_str(rd, sc, "mode", w, false);
	if (mode && strcmp(mode, "pairs") && strcmp(mode, "clients"))
		bad(rd, w, "mode \"%s\" is neither \"pairs\" nor \"clients\"", mode);
	c->scale.present = true;
	c->scale.fan_in = mode && !strcmp(mode, "clients");
	free(mode);
	c->scale.members = get_int(rd, sc, "members", w, -1);
	if (!rd->failed && (c->scale.members < 1 || c->scale.members != (c->scale.fan_in ? c->clients : c->pairs)))
		bad(rd, w, "members %lld does not match the cell's %s", (long long)c->scale.members,
		    c->scale.fan_in ? "clients" : "pairs");
	f = get_obj(rd, sc, "fairness", w, true);
	snprintf(w, sizeof(w), "%s.scale.fairness", where);
	c->scale.min_msgs_per_sec = f ? get_num(rd, f, "min_msgs_per_sec", w) : NAN;
	c->scale.max_msgs_per_sec = f ? get_num(rd, f, "max_msgs_per_sec", w) : NAN;
	c->scale.min_over_max = f ? get_num(rd, f, "min_over_max", w) : NAN;
	c->scale.jain_index = f ? get_num(rd, f, "jain_index", w) : NAN;
	per = json_object_get(sc, "per_member");
	snprintf(w, sizeof(w), "%s.scale.per_member", where);
	if (!per || json_is_null(per) || rd->failed)
		return;
	if (!json_is_array(per) || json_array_size(per) != (size_t)c->scale.members) {
		bad(rd, w, "expected an array of %lld members", (long long)c->scale.members);
		return;
	}
	c->scale.per = calloc(json_array_size(per) + 1, sizeof(*c->scale.per));
	if (!c->scale.per) {
		bad(rd, w, "out of memory");
		return;
	}
	for (size_t i = 0; i < json_array_size(per) && !rd->failed; i++) {
		char mw[128];

		snprintf(mw, sizeof(mw), "%s[%zu]", w, i);
		read_member(rd, json_array_get(per, i), mw, &c->scale.per[i]);
		c->scale.nper = i + 1;
	}
}

/* cell.counters: named non-negative integers; absent or null (older files) is none. */
static void read_counters(struct rd *rd, json_t *o, const char *where, struct rf_cell *c)
{
	json_t *cnt = get_obj(rd, o, "counters", where, true), *v;
	const char *k;
	char w[96];

	if (!cnt || !json_object_size(cnt))
		return;
	snprintf(w, sizeof(w), "%s.counters", where);
	c->counters = calloc(json_object_size(cnt), sizeof(*c->counters));
	if (!c->counters) {
		bad(rd, w, "out of memory");
		return;
	}
	json_object_foreach(cnt, k, v)
	{
		int64_t n = get_int(rd, cnt, k, w, -1);

		if (rd->failed)
			return;
		c->counters[c->ncounters].name = strdup(k);
		c->counters[c->ncounters++].value = n;
	}
}

/* cell.underload: an object for --pattern underload cells, null elsewhere. */
static void read_underload(struct rd *rd, json_t *o, const char *where, struct rf_underload *u)
{
	json_t *ul = get_obj(rd, o, "underload", where, true);
	char w[96];

	u->present = ul != NULL;
	snprintf(w, sizeof(w), "%s.underload", where);
	u->probes = ul ? get_int(rd, ul, "probes", w, -1) : -1;
	u->background_sent = ul ? get_int(rd, ul, "background_sent", w, -1) : -1;
	u->background_received = ul ? get_int(rd, ul, "background_received", w, -1) : -1;
	u->background_lost = ul ? get_int(rd, ul, "background_lost", w, -1) : -1;
	u->background_msgs_per_sec = ul ? get_num(rd, ul, "background_msgs_per_sec", w) : NAN;
	u->background_rate_target_per_sec = ul ? get_num(rd, ul, "background_rate_target_per_sec", w) : NAN;
	u->queued_behind_per_probe = ul ? get_num(rd, ul, "queued_behind_per_probe", w) : NAN;
	u->overtaken_per_probe = ul ? get_num(rd, ul, "overtaken_per_probe", w) : NAN;
}

static void read_cell(struct rd *rd, json_t *o, size_t idx, struct rf_cell *c)
{
	char where[64], w[96];
	json_t *pl, *lat, *reps;

	snprintf(where, sizeof(where), "results[%zu]", idx);
	if (!json_is_object(o)) {
		bad(rd, where, "expected an object");
		return;
	}
	c->key = get_str(rd, o, "key", where, false);
	c->transport = get_str(rd, o, "transport", where, false);
	c->variant = variant_of(rd, o, where, c->transport);
	c->options = get_options(rd, o, where);
	c->raw_transport = get_str(rd, o, "raw_transport", where, true);
	c->kind = get_str(rd, o, "kind", where, false);
	read_properties(rd, o, where, c);
	read_counters(rd, o, where, c);
	read_underload(rd, o, where, &c->underload);
	c->pattern = get_str(rd, o, "pattern", where, false);
	c->status = get_str(rd, o, "status", where, false);
	c->reason = get_str(rd, o, "reason", where, true);
	c->error = get_str(rd, o, "error", where, true);
	c->wait = get_str(rd, o, "wait", where, false);
	c->peers = get_str(rd, o, "peers", where, true); /* older files: fork */
	c->clock = get_str(rd, o, "clock", where, true);
	c->msg_bytes = get_int(rd, o, "msg_bytes", where, -1);
	if (!rd->failed && c->msg_bytes < 0) /* 0: a wake-up primitive's bare wake-up */
		bad(rd, where, "msg_bytes missing or negative");
	pl = get_obj(rd, o, "placement", where, false);
	if (pl) {
		snprintf(w, sizeof(w), "%s.placement", where);
		c->relation = get_str(rd, pl, "relation", w, false);
		c->client_cpu = get_cpu(rd, pl, "client_cpu", w);
		c->server_cpu = get_cpu(rd, pl, "server_cpu", w);
	}
	c->warmup = get_int(rd, o, "warmup", where, 0);
	c->iterations = get_int(rd, o, "iterations", where, 0);
	c->iterations_requested = get_int(rd, o, "iterations_requested", where, -1);
	c->duration_ns_requested = get_int(rd, o, "duration_ns_requested", where, -1);
	c->elapsed_ns = get_int(rd, o, "elapsed_ns", where, 0);
	c->round_trips_per_sec = get_num(rd, o, "round_trips_per_sec", where);
	c->msgs_per_sec = get_num(rd, o, "msgs_per_sec", where);
	c->bytes_per_sec = get_num(rd, o, "bytes_per_sec", where);
	c->rate_target_per_sec = get_num(rd, o, "rate_target_per_sec", where);
	c->rate_achieved_per_sec = get_num(rd, o, "rate_achieved_per_sec", where);
	c->fragments_per_msg = get_int(rd, o, "fragments_per_msg", where, 1);
	c->floor_ns = get_num(rd, o, "floor_ns", where);
	c->vs_floor = get_num(rd, o, "vs_floor", where);
	lat = get_obj(rd, o, "latency_ns", where, false);
	if (lat) {
		snprintf(w, sizeof(w), "%s.latency_ns", where);
		read_lat(rd, lat, w, &c->lat);
	}
	read_cost(rd, o, where, &c->cost);
	read_scale(rd, o, where, c);
	reps = json_object_get(o, "repetitions");
	if (reps && !json_is_null(reps)) {
		if (!json_is_array(reps)) {
			snprintf(w, sizeof(w), "%s.repetitions", where);
			bad(rd, w, "expected an array");
			return;
		}
		c->nreps = json_array_size(reps);
		c->reps = calloc(c->nreps ? c->nreps : 1, sizeof(*c->reps));
		for (size_t i = 0; i < c->nreps && !rd->failed; i++) {
			snprintf(w, sizeof(w), "%s.repetitions[%zu]", where, i);
			read_rep(rd, json_array_get(reps, i), w, &c->reps[i]);
		}
	}
}

static void read_memcpy(struct rd *rd, json_t *cal, struct rf_calib *k)
{
	const char *where = "context.calibration.memcpy";
	json_t *mc = json_object_get(cal, "memcpy");
	char w[96];

	if (!mc || json_is_null(mc))
		return;
	if (!json_is_array(mc)) {
		bad(rd, where, "expected an array");
		return;
	}
	if (json_array_size(mc) > RF_CALIB_MAX_MEMCPY) {
		bad(rd, where, "more than %d entries", RF_CALIB_MAX_MEMCPY);
		return;
	}
	for (size_t i = 0; i < json_array_size(mc) && !rd->failed; i++) {
		json_t *e = json_array_get(mc, i);

		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if (!json_is_object(e)) {
			bad(rd, w, "expected an object");
			return;
		}
		k->memcpy_bytes[i] = get_int(rd, e, "bytes", w, -1);
		k->memcpy_gbps[i] = get_num(rd, e, "gbytes_per_sec", w);
		if (!rd->failed && k->memcpy_bytes[i] < 1)
			bad(rd, w, "bytes missing or below 1");
		k->nmemcpy = i + 1;
	}
}

static void read_calib(struct rd *rd, json_t *ctx, struct rf_calib *k)
{
	const char *where = "context.calibration";
	json_t *cal = get_obj(rd, ctx, "calibration", "context", true), *fc;

	k->shm_copy_bytes = -1;
	k->shm_copy_gbps = k->shm_copy_same_gbps = NAN;
	if (!cal)
		return;
	k->present = true;
	k->cpus = get_str(rd, cal, "cpus", where, true);
	k->measured_at = get_str(rd, cal, "measured_at", where, true);
	k->shm_copy_bytes = get_int(rd, cal, "shm_copy_bytes", where, -1);
	k->shm_copy_gbps = get_num(rd, cal, "shm_copy_gbytes_per_sec", where);
	k->shm_copy_same_gbps = get_num(rd, cal, "shm_copy_same_cpu_gbytes_per_sec", where);
	fc = json_object_get(cal, "from_cache");
	if (fc && !json_is_null(fc) && !json_is_boolean(fc))
		bad(rd, "context.calibration.from_cache", "expected true or false");
	k->from_cache = json_is_true(fc);
	read_memcpy(rd, cal, k);
}

static void read_context(struct rd *rd, json_t *root, struct result_file *rf)
{
	json_t *ctx = get_obj(rd, root, "context", "", false), *tool = get_obj(rd, root, "tool", "", false);
	json_t *cfg = get_obj(rd, root, "config", "", true), *clk;

	if (tool) {
		rf->tool_version = get_str(rd, tool, "version", "tool", true);
		rf->git_revision = get_str(rd, tool, "git_revision", "tool", true);
		rf->build_flags = get_str(rd, tool, "build_flags", "tool", true);
		rf->compiler = get_str(rd, tool, "compiler", "tool", true);
	}
	rf->started_at = get_str(rd, root, "started_at", "", true);
	rf->finished_at = get_str(rd, root, "finished_at", "", true);
	rf->interrupted_by_signal = get_int(rd, root, "interrupted_by_signal", "", 0);
	rf->cfg_warmup = rf->cfg_iterations = rf->cfg_duration_ns = rf->cfg_repeat = -1;
	if (cfg) {
		rf->command_line = get_str(rd, cfg, "command_line", "config", true);
		rf->cfg_warmup = get_int(rd, cfg, "warmup", "config", -1);
		rf->cfg_iterations = get_int(rd, cfg, "iterations", "config", -1);
		rf->cfg_duration_ns = get_int(rd, cfg, "duration_ns", "config", -1);
		rf->cfg_repeat = get_int(rd, cfg, "repeat", "config", -1);
	}
	if (!ctx)
		return;
	rf->ctx.hostname = get_str(rd, ctx, "hostname", "context", true);
	rf->ctx.kernel = get_str(rd, ctx, "kernel", "context", true);
	rf->ctx.cpu_model = get_str(rd, ctx, "cpu_model", "context", true);
	rf->ctx.virtualization = get_str(rd, ctx, "virtualization", "context", true);
	rf->ctx.clocksource = get_str(rd, ctx, "clocksource", "context", true);
	rf->ctx.governor = get_str(rd, ctx, "governor", "context", true);
	rf->ctx.cpu_count = get_int(rd, ctx, "cpu_count", "context", -1);
	clk = get_obj(rd, ctx, "clock", "context", true);
	if (clk)
		rf->ctx.clock_source = get_str(rd, clk, "source", "context.clock", true);
	read_calib(rd, ctx, &rf->ctx.calib);
}

/*
 * Opens path when it is a regular file of at most RESULTFILE_MAX_BYTES: a
 * FIFO, a pipe or a device would hang the reader or feed it without end.
 * The descriptor, or -errno with err set.
 */
static int open_regular(const char *path, size_t *size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	int e;

	if (fd < 0 || fstat(fd, &st) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	e = 0;
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a result file", path);
		e = EISDIR;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (a FIFO, pipe or device is not read)", path);
		e = EINVAL;
	} else if ((size_t)st.st_size > RESULTFILE_MAX_BYTES) {
		snprintf(err, errlen, "%s: %lld bytes is too large for a result file", path, (long long)st.st_size);
		e = EFBIG;
	}
	if (e) {
		close(fd);
		return -e;
	}
	*size = (size_t)st.st_size;
	return fd;
}

/* The whole file (at most its size at open: one that grows is read no further). */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen, int *rc)
{
	size_t size = 0;
	int fd = open_regular(path, &size, err, errlen);
	char *buf;
	ssize_t n = 0;

	*rc = fd < 0 ? fd : 0;
	if (fd < 0)
		return NULL;
	buf = malloc(size + 1);
	for (*len = 0; buf && *len < size; *len += (size_t)n) {
		n = read(fd, buf + *len, size - *len);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			break;
	}
	*rc = !buf ? -ENOMEM : n < 0 ? -errno : 0;
	close(fd);
	if (*rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-*rc));
		free(buf);
		return NULL;
	}
	return buf;
}

int resultfile_load(const char *path, struct result_file *rf, char *err, size_t errlen)
{
	struct rd rd = {.path = path, .err = err, .errlen = errlen};
	json_error_t je;
	json_t *root, *schema, *ver, *results;
	size_t len;
	char *text;
	int rc;

	memset(rf, 0, sizeof(*rf));
	text = read_file(path, &len, err, errlen, &rc);
	if (!text)
		return rc;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!root) {
		snprintf(err, errlen, "%s: not valid JSON (line %d: %s)", path, je.line, je.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		bad(&rd, "", "not an ipcbench result (the top level is not an object)");
		goto out;
	}
	schema = json_object_get(root, "schema");
	ver = json_object_get(root, "schema_version");
	if (!json_is_string(schema) || strcmp(json_string_value(schema), SCHEMA_NAME)) {
		bad(&rd, "", "not an ipcbench result (no \"schema\": \"%s\")", SCHEMA_NAME);
		goto out;
	}
	if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > SCHEMA_VERSION) {
		bad(&rd, "schema_version", "unsupported (this ipcbench reads versions 1 to %d)", SCHEMA_VERSION);
		goto out;
	}
	rf->path = strdup(path);
	rf->schema_version = json_integer_value(ver);
	read_context(&rd, root, rf);
	results = json_object_get(root, "results");
	if (!json_is_array(results)) {
		bad(&rd, "results", "missing or not an array");
		goto out;
	}
	rf->ncells = json_array_size(results);
	rf->cells = calloc(rf->ncells ? rf->ncells : 1, sizeof(*rf->cells));
	for (size_t i = 0; i < rf->ncells && !rd.failed; i++)
		read_cell(&rd, json_array_get(results, i), i, &rf->cells[i]);
out:
	json_decref(root);
	if (rd.failed) {
		resultfile_release(rf);
		return -EINVAL;
	}
	return 0;
}

int resultfile_lat_hist(const struct rf_lat *l, struct hist *h, char *why, size_t whylen)
{
	int r;

	if (!l->hdr)
		return -ENODATA;
	r = hist_decode_base64(h, l->hdr, why, whylen);
	if (r)
		return r;
	if (h->total_count != l->count) {
		snprintf(why, whylen, "holds %lld values, count says %lld", (long long)h->total_count,
			 (long long)l->count);
		hist_release(h);
		return -EINVAL;
	}
	return 0;
}

static void release_lat(struct rf_lat *l)
{
	free(l->hdr);
}

void resultfile_release(struct result_file *rf)
{
	for (size_t i = 0; rf->cells && i < rf->ncells; i++) {
		struct rf_cell *c = &rf->cells[i];

		free(c->key);
		free(c->transport);
		free(c->variant);
		free(c->options);
		free(c->raw_transport);
		free(c->kind);
		free(c->limits_note);
		free(c->pattern);
		free(c->status);
		free(c->reason);
		free(c->error);
		free(c->wait);
		free(c->peers);
		free(c->relation);
		free(c->clock);
		release_lat(&c->lat);
		for (size_t j = 0; c->reps && j < c->nreps; j++) {
			free(c->reps[j].status);
			release_lat(&c->reps[j].lat);
		}
		free(c->reps);
		for (size_t j = 0; j < c->scale.nper; j++)
			release_lat(&c->scale.per[j].lat);
		free(c->scale.per);
		for (size_t j = 0; j < c->ncounters; j++)
			free(c->counters[j].name);
		free(c->counters);
	}
	free(rf->cells);
	free(rf->path);
	free(rf->tool_version);
	free(rf->git_revision);
	free(rf->build_flags);
	free(rf->compiler);
	free(rf->started_at);
	free(rf->finished_at);
	free(rf->command_line);
	free(rf->ctx.hostname);
	free(rf->ctx.kernel);
	free(rf->ctx.cpu_model);
	free(rf->ctx.virtualization);
	free(rf->ctx.clocksource);
	free(rf->ctx.governor);
	free(rf->ctx.clock_source);
	free(rf->ctx.calib.cpus);
	free(rf->ctx.calib.measured_at);
	memset(rf, 0, sizeof(*rf));
}
