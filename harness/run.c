/*
 * run.c - the engine's run: schedule, cells, repetitions, floors and the
 * files a run writes (see run.h).
 */
#include "harness/run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/calibrate.h"
#include "harness/clock.h"
#include "harness/resultjson.h"
#include "harness/scale.h"
#include "harness/sysinfo.h"

static void run_warn(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_warn(struct run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!r->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->warn(r->warn_ctx, msg);
}

int run_rate_check(double rate_per_sec, int timeout_ms, char *err, size_t errlen)
{
	double every_s = 1.0 / rate_per_sec, timeout_s = (double)timeout_ms / 1e3;

	/* the watchdog calls a peer hung after timeout_ms without a message: leave it room */
	if (rate_per_sec > 0 && every_s <= timeout_s / 2)
		return 0;
	snprintf(err, errlen,
		 "is one message every %.3g s: a cell whose peers make no progress for %.3g s (the timeout) fails, so "
		 "at least %.3g messages per second (or a longer timeout)",
		 every_s, timeout_s, 2 / timeout_s);
	return -EINVAL;
}

int run_pick_placement(enum relation rel, struct placement *pl)
{
	int cpus[1024], n = cpu_list_online(cpus, 1024);

	if (rel == REL_SAME) {
		if (n < 1)
			return -ENOENT;
		*pl = (struct placement){cpus[0], cpus[0], REL_SAME};
		return 0;
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++) {
			if (i != j && cpu_relation(cpus[i], cpus[j]) == rel) {
				*pl = (struct placement){cpus[i], cpus[j], rel};
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* ---- the schedule ---- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t *make_schedule(size_t ncells, unsigned repeat, uint64_t seed, size_t *n)
{
	size_t total = ncells * repeat, *v = malloc((total ? total : 1) * sizeof(*v));
	uint64_t st = seed;

	if (!v)
		return NULL;
	for (size_t i = 0; i < total; i++)
		v[i] = i % ncells;
	/* shuffle within each round so every cell's repetitions spread over the run */
	for (size_t rnd = 0; repeat > 1 && rnd < repeat; rnd++) {
		size_t *round = v + rnd * ncells;

		for (size_t i = ncells - 1; i > 0; i--) {
			size_t j = (size_t)(splitmix64(&st) % (i + 1)), t = round[i];

			round[i] = round[j];
			round[j] = t;
		}
	}
	*n = total;
	return v;
}

/* ---- the cells ---- */

static void cell_config_from(struct cell_config *cfg, const struct run_options *o, const struct transport_ops *ops)
{
	cfg->ops = ops;
	cfg->warmup = !o->warmup_given && (ops->flags & TRANSPORT_SLOW) ? RUN_SLOW_WARMUP : o->warmup;
	cfg->iterations = o->iterations;
	cfg->duration_ns = o->duration_ns;
	cfg->rate_per_sec = o->rate_per_sec;
	cfg->timeout_ms = o->timeout_ms;
	cfg->run_dir = o->run_dir;
	cfg->interval_ns = o->hlog_dir ? o->interval_ns : 0;
	cfg->precision = o->precision;
	cfg->min_duration_ns = o->min_duration_ns;
	/* a cell that stops on its precision does not spend seconds warming up a 1 MiB exchange */
	cfg->warmup_ns = o->precision > 0 ? PREC_WARMUP_NS : 0;
	cfg->on_progress = o->on_progress;
	cfg->progress_ctx = o->progress_ctx;
	cfg->remote = o->remote;
}

/* A stream cell's own bound, where the run has one (the main job's: see run_live.h). */
static void cell_bound_from(struct cell_config *cfg, const struct run_options *o)
{
	if (cfg->pattern != PATTERN_STREAM || !o->stream_duration_ns || o->iterations)
		return;
	cfg->duration_ns = o->stream_duration_ns;
	if (cfg->min_duration_ns > cfg->duration_ns)
		cfg->min_duration_ns = cfg->duration_ns;
}

/* Cell k of a --pairs or --clients list (k < run_scale_count), else the ordinary one pair. */
static size_t run_scale_count(const struct run_options *o)
{
	return o->npairs ? o->npairs : o->nclients ? o->nclients : 1;
}

static void cell_scale_from(struct cell_config *cfg, const struct run_options *o, size_t k)
{
	cfg->pairs = o->npairs ? o->pairs[k] : 0;
	cfg->clients = !o->npairs && o->nclients ? o->clients[k] : 0;
}

static struct run_cell *build_cells(const struct run_options *o, size_t *n)
{
	size_t np = o->npeers ? o->npeers : 1, ns = run_scale_count(o), k = 0;
	size_t cap = o->npatterns * o->ntransports * o->nsizes * o->nplacements * o->nwaits * np * ns;
	struct run_cell *cells = calloc(cap ? cap : 1, sizeof(*cells));

	if (!cells)
		return NULL;
	for (size_t p = 0; p < o->npatterns; p++)
		for (size_t t = 0; t < o->ntransports; t++)
			for (size_t s = 0; s < o->nsizes; s++)
				for (size_t pl = 0; pl < o->nplacements; pl++)
					for (size_t w = 0; w < o->nwaits * np * ns; w++) {
						struct cell_config *cfg = &cells[k++].cfg;

						cell_config_from(cfg, o, o->transports[t]);
						if (o->topts)
							cfg->opts = o->topts[t];
						cfg->pattern = o->patterns[p];
						cell_bound_from(cfg, o);
						cfg->msg_bytes = o->sizes[s];
						cfg->client_cpu = o->placements[pl].client_cpu;
						cfg->server_cpu = o->placements[pl].server_cpu;
						cfg->relation = o->placements[pl].relation;
						/* w runs over (peers, wait, scale), the last fastest */
						cfg->wait = o->waits[(w / ns) % o->nwaits];
						cfg->peers = o->npeers ? o->peers[w / (ns * o->nwaits)] : PEERS_FORK;
						cell_scale_from(cfg, o, w % ns);
					}
	*n = k;
	return cells;
}

/* The files a run would write: a .hlog that exists already, or a .hgrm that cannot be written, is refused now. */
static int check_outputs(const struct run *r, char *err, size_t errlen)
{
	const struct run_options *o = r->opt;
	int e;

	for (size_t i = 0; i < r->ncells; i++) {
		if (o->hlog_dir && (e = hdrout_hlog_check(o->hlog_dir, &r->cells[i].cfg, err, errlen)))
			return e;
		if (o->hgrm_dir && (e = hdrout_hgrm_check(o->hgrm_dir, &r->cells[i].cfg, err, errlen)))
			return e;
	}
	return 0;
}

int run_init(struct run *r, struct run_options *o, run_warn_fn *warn, void *warn_ctx, char *err, size_t errlen)
{
	int e;

	memset(r, 0, sizeof(*r));
	r->opt = o;
	r->warn = warn;
	r->warn_ctx = warn_ctx;
	for (size_t i = 0; i < o->npatterns; i++)
		if (o->patterns[i] == PATTERN_RATE && (e = run_rate_check(o->rate_per_sec, o->timeout_ms, err, errlen)))
			return e;
	r->cells = build_cells(o, &r->ncells);
	r->sched = make_schedule(r->ncells, o->repeat, o->seed, &r->nsched);
	r->hlogs = calloc(r->ncells ? r->ncells : 1, sizeof(*r->hlogs));
	r->res.cells = calloc(r->ncells ? r->ncells : 1, sizeof(*r->res.cells));
	if (!r->cells || !r->sched || !r->hlogs || !r->res.cells) {
		snprintf(err, errlen, "out of memory for %zu cells", r->ncells);
		return -ENOMEM;
	}
	return check_outputs(r, err, errlen);
}

/* ---- the floors ---- */

/*
 * The machine's floors, for the CPUs the run uses, measured at the start of
 * the run (about half a second; RUN_FLOORS_CACHED reuses the last ones,
 * which `ipcbench calibrate` shows).  Measured, not cached, by default: on
 * the VM this was written on, the cross-CPU cache-line round trip moved
 * between 70, 110 and 360 ns within one hour, so a cached floor made xFLOOR
 * wrong by up to 3x.  A round trip is compared with the bare mechanism of
 * its wait: a futex ping-pong for transports that sleep, a cache-line
 * ping-pong for those that spin; plus, for the payload, two
 * process-to-process copies through shared memory at the measured rate
 * (one each way), which is what no mechanism can beat.
 */
/* The CPU pair the floors are measured on: the first cross-CPU placement, else the first. */
static bool floor_cpus(const struct run_options *o, int *ca, int *cb)
{
	*ca = o->placements[0].client_cpu;
	*cb = o->placements[0].server_cpu;
	for (size_t i = 0; i < o->nplacements; i++) {
		if (o->placements[i].client_cpu != o->placements[i].server_cpu) {
			*ca = o->placements[i].client_cpu;
			*cb = o->placements[i].server_cpu;
			break;
		}
	}
	return *ca >= 0;
}

static void load_floors(struct run *r)
{
	int ca, cb;

	if (r->opt->floors == RUN_FLOORS_NONE || !floor_cpus(r->opt, &ca, &cb))
		return;
	if (calib_get(&r->res.calib, ca, cb, r->opt->floors != RUN_FLOORS_CACHED)) {
		run_warn(r, "calibrate: %s (continuing without floors)", calib_error());
		r->res.calib.valid = false;
	}
}

/* Appends "cache-line ping-pong 370 -> 110 ns" to msg when a and b differ by more than RUN_FLOOR_DRIFT. */
static void note_drift(char *msg, size_t len, const char *what, double a, double b, const char *unit)
{
	size_t n = strlen(msg);

	if (a <= 0 || b <= 0 || (a / b <= RUN_FLOOR_DRIFT && b / a <= RUN_FLOOR_DRIFT))
		return;
	snprintf(msg + n, len - n, "%s%s %.3g -> %.3g %s", n ? ", " : "", what, a, b, unit);
}

static void set_floor(struct run_cell *c, const struct calib *k, bool fault_high);

/*
 * A floor is the best the machine allowed: with the floors measured at both
 * ends of the run, each cell's is the lower round trip (the higher copy
 * rate) of the two, so a hypervisor that slowed the machine for one of the
 * two calibrations does not make a real transport beat its floor.
 */
static void keep_lower(double *a, double b)
{
	if (b > 0 && b < *a)
		*a = b;
}

static void lowest_floors(struct run *r)
{
	const struct calib *e = &r->res.calib_end;
	struct calib lo = r->res.calib;

	if (!e->valid)
		return;
	keep_lower(&lo.cacheline_rtt_ns, e->cacheline_rtt_ns);
	keep_lower(&lo.futex_rtt_ns, e->futex_rtt_ns);
	keep_lower(&lo.cacheline_rtt_same_ns, e->cacheline_rtt_same_ns);
	keep_lower(&lo.futex_rtt_same_ns, e->futex_rtt_same_ns);
	/* a copy rate is a floor from above */
	lo.shm_copy_gbps = e->shm_copy_gbps > lo.shm_copy_gbps ? e->shm_copy_gbps : lo.shm_copy_gbps;
	lo.shm_copy_same_gbps =
		e->shm_copy_same_gbps > lo.shm_copy_same_gbps ? e->shm_copy_same_gbps : lo.shm_copy_same_gbps;
	for (size_t i = 0; i < r->ncells; i++)
		set_floor(&r->cells[i], &lo, r->opt->fault_floors_high);
}

/*
 * Measures the floors again after the cells (when they were measured at the
 * start) and says so when they moved: on a VM the hypervisor can move a
 * virtual CPU mid-run, and every xFLOOR of the run then compares with a
 * floor that no longer holds.  The result keeps both (calibration_end).
 */
static void check_floors_end(struct run *r)
{
	const struct calib *s = &r->res.calib, *e = &r->res.calib_end;
	char msg[400] = "";
	int ca, cb;

	if (!s->valid || s->from_cache || !floor_cpus(r->opt, &ca, &cb))
		return;
	if (calib_get(&r->res.calib_end, ca, cb, true)) {
		run_warn(r, "calibrate (end of run): %s", calib_error());
		r->res.calib_end.valid = false;
		return;
	}
	if (r->opt->fault_floors_move)
		r->res.calib_end.cacheline_rtt_ns *= 2;
	note_drift(msg, sizeof(msg), "cache-line ping-pong", s->cacheline_rtt_ns, e->cacheline_rtt_ns, "ns");
	note_drift(msg, sizeof(msg), "futex ping-pong", s->futex_rtt_ns, e->futex_rtt_ns, "ns");
	note_drift(msg, sizeof(msg), "shm copy", s->shm_copy_gbps, e->shm_copy_gbps, "GB/s");
	if (msg[0])
		run_warn(r,
			 "the floors moved during the run (%s): xFLOOR uses the lower of each; both are in the result",
			 msg);
	lowest_floors(r);
}

static void set_floor(struct run_cell *c, const struct calib *k, bool fault_high)
{
	bool spins = c->cfg.wait == CHAN_WAIT_SPIN || (c->cfg.ops->flags & TRANSPORT_SPIN);
	bool same = c->cfg.client_cpu == c->cfg.server_cpu;

	if (!k->valid || c->cfg.pattern != PATTERN_PINGPONG || c->cfg.client_cpu < 0)
		return;
	double copy_gbps = same ? k->shm_copy_same_gbps : k->shm_copy_gbps;

	if (spins) {
		c->floor_ns = same ? k->cacheline_rtt_same_ns : k->cacheline_rtt_ns;
		c->floor_name = same ? "cache-line ping-pong, one CPU (yielding)" : "cache-line ping-pong";
	} else {
		c->floor_ns = same ? k->futex_rtt_same_ns : k->futex_rtt_ns;
		c->floor_name = same ? "futex ping-pong, one CPU" : "futex ping-pong";
	}
	/* GB/s is bytes per ns; small messages ride in the ping-pong's own line */
	if (copy_gbps > 0 && c->cfg.msg_bytes > 64) {
		c->floor_ns += 2.0 * (double)c->cfg.msg_bytes / copy_gbps;
		c->floor_name =
			spins ? (same ? "cache-line ping-pong, one CPU, + 2 shm copies"
				      : "cache-line ping-pong + 2 shm copies")
			      : (same ? "futex ping-pong, one CPU, + 2 shm copies" : "futex ping-pong + 2 shm copies");
	}
	if (fault_high)
		c->floor_ns *= 1e6;
}

/* ---- the run ---- */

int run_start(struct run *r, const char *command_line, char *err, size_t errlen)
{
	int e = rundir_create(r->run_dir, sizeof(r->run_dir));

	if (e) {
		snprintf(err, errlen, "cannot create the run directory under %s: %s",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(-e));
		return e;
	}
	r->opt->run_dir = r->run_dir;
	for (size_t i = 0; i < r->ncells; i++)
		r->cells[i].cfg.run_dir = r->run_dir;
	clock_setup(r->opt->allow_tsc);
	sysinfo_collect(&r->res.host);
	r->res.command_line = command_line;
	r->res.opt = r->opt;
	result_now_iso(r->res.started_at, sizeof(r->res.started_at));
	load_floors(r);
	for (size_t i = 0; i < r->ncells; i++)
		set_floor(&r->cells[i], &r->res.calib, r->opt->fault_floors_high);
	return 0;
}

const struct run_cell *run_peek(const struct run *r)
{
	if (r->next >= r->nsched || harness_interrupted())
		return NULL;
	return &r->cells[r->sched[r->next]];
}

static void fold_cost(struct cell_result *into, const struct cell_result *r)
{
	for (int s = 0; s < 2; s++) {
		into->cost[s].user_sec += r->cost[s].user_sec;
		into->cost[s].sys_sec += r->cost[s].sys_sec;
		into->cost[s].voluntary_cs += r->cost[s].voluntary_cs;
		into->cost[s].involuntary_cs += r->cost[s].involuntary_cs;
		if (r->cost[s].max_rss_kb > into->cost[s].max_rss_kb)
			into->cost[s].max_rss_kb = r->cost[s].max_rss_kb;
		if (r->cost[s].threads > into->cost[s].threads)
			into->cost[s].threads = r->cost[s].threads; /* the most any repetition ran */
	}
	into->have_cost &= r->have_cost;
}

/* --precision: the repetition's batches join the cell's, and the interval is taken over all of them. */
static void fold_precision(struct cell_result *m, const struct cell_result *r)
{
	struct prec_batch *b;

	if (!m->prec.on || !r->prec.on)
		return;
	m->prec.hit_bound |= r->prec.hit_bound;
	b = realloc(m->batches, (m->nbatches + r->nbatches + 1) * sizeof(*b));
	if (!b)
		return;
	memcpy(b + m->nbatches, r->batches, r->nbatches * sizeof(*b));
	m->batches = b;
	m->nbatches += r->nbatches;
	prec_summarize(m->batches, m->nbatches, &m->prec);
	m->prec.reached = prec_should_stop(m->batches, m->nbatches, m->prec.metric, m->prec.target, NULL);
}

/* Folds one repetition into its cell: histograms merge, summaries are kept. */
static void fold(struct run_cell *c, struct cell_result *r, unsigned repeat)
{
	struct cell_result *m = &c->res;

	if (!c->reps)
		c->reps = calloc(repeat, sizeof(*c->reps));
	rep_summary_from(r, &c->reps[c->nreps++]);
	if (c->nreps == 1) {
		*m = *r; /* takes over r's histogram */
		return;
	}
	hist_add(&m->latency, &r->latency);
	if (r->status != CELL_OK && m->status == CELL_OK) {
		m->status = r->status;
		snprintf(m->reason, sizeof(m->reason), "repetition %zu: %s", c->nreps, r->reason);
	}
	m->count += r->count;
	m->elapsed_ns += r->elapsed_ns;
	if (r->raw_min_ns < m->raw_min_ns)
		m->raw_min_ns = r->raw_min_ns;
	if (r->raw_max_ns > m->raw_max_ns)
		m->raw_max_ns = r->raw_max_ns;
	fold_cost(m, r);
	fold_precision(m, r);
	scale_fold(m->scale, r->scale);
	for (int i = 0; i < TRANSPORT_MAX_COUNTERS; i++)
		m->counters[i] += r->counters[i];
	if (c->cfg.pattern == PATTERN_UNDERLOAD)
		underload_fold(&m->underload, &r->underload, m->elapsed_ns);
	if (m->elapsed_ns) {
		m->msgs_per_sec = (double)m->count / ((double)m->elapsed_ns / 1e9);
		m->bytes_per_sec = m->msgs_per_sec * (double)c->cfg.msg_bytes;
		m->round_trips_per_sec =
			c->cfg.pattern == PATTERN_PINGPONG || c->cfg.pattern == PATTERN_UNDERLOAD ? m->msgs_per_sec : 0;
	}
	if (c->cfg.pattern == PATTERN_RATE) {
		m->rate_achieved_per_sec =
			(m->rate_achieved_per_sec * (double)(c->nreps - 1) + r->rate_achieved_per_sec) /
			(double)c->nreps;
		m->rate_kept_up &= r->rate_kept_up;
	}
	cell_result_release(r);
}

void run_step(struct run *r)
{
	size_t i = r->sched[r->next++];
	struct run_cell *c = &r->cells[i];
	struct cell_result res;
	char err[512];
	int e = cell_run(&c->cfg, &res);

	if (e) {
		res.status = CELL_ERROR;
		snprintf(res.reason, sizeof(res.reason), "harness: %s", strerror(-e));
	}
	if (r->opt->hlog_dir && res.status == CELL_OK &&
	    hdrout_hlog_append(&r->hlogs[i], r->opt->hlog_dir, &c->cfg, &res, err, sizeof(err))) {
		run_warn(r, "%s", err);
		r->failed = true;
	}
	cell_result_release_intervals(&res);
	fold(c, &res, r->opt->repeat);
}

void run_finish(struct run *r)
{
	struct run_result *rr = &r->res;
	char err[512];

	if (r->run_dir[0])
		rundir_remove(r->run_dir);
	if (!harness_interrupted())
		check_floors_end(r);
	/* a signal during the calibration counts as much as one during the cells */
	if (!harness_interrupted())
		result_now_iso(rr->finished_at, sizeof(rr->finished_at));
	/* cells that never ran are left out of the file */
	rr->ncells = 0;
	for (size_t i = 0; i < r->ncells; i++) {
		if (!r->cells[i].nreps)
			continue;
		rr->cells[rr->ncells++] = r->cells[i];
		if (r->cells[i].res.status == CELL_ERROR)
			r->failed = true;
	}
	for (size_t i = 0; r->opt->hgrm_dir && i < rr->ncells; i++) {
		if (rr->cells[i].res.status == CELL_OK &&
		    hdrout_write_hgrm(r->opt->hgrm_dir, &rr->cells[i], err, sizeof(err))) {
			run_warn(r, "%s", err);
			r->failed = true;
		}
	}
}

int run_write(struct run *r, const char *path, char *err, size_t errlen)
{
	r->res.interrupted_by = harness_interrupted();
	if (r->res.interrupted_by)
		r->res.finished_at[0] = '\0'; /* an interrupted run did not finish */
	return resultjson_write(&r->res, path, err, errlen);
}

void run_release(struct run *r)
{
	for (size_t i = 0; r->cells && i < r->ncells; i++) {
		if (r->cells[i].nreps)
			cell_result_release(&r->cells[i].res);
		free(r->cells[i].reps);
	}
	free(r->cells);
	free(r->res.cells);
	free(r->sched);
	free(r->hlogs);
	memset(r, 0, sizeof(*r));
}
