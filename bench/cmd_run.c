/*
 * cmd_run.c - `ipcbench run`: builds the cells (transport x pattern x size
 * x placement x wait), runs each --repeat times in a shuffled, interleaved
 * order, prints a table and writes the result JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "harness/calibrate.h"
#include "common/units.h"
#include "harness/cleanup.h"
#include "harness/clock.h"
#include "bench/cmd.h"
#include "harness/harness.h"
#include "bench/hdrout.h"
#include "bench/opt.h"
#include "harness/report.h"
#include "harness/sysinfo.h"

#define DEFAULT_SIZES "64,4k,64k,1M"
#define QUICK_SIZES "64,4k"
#define DEFAULT_DURATION_NS 500000000ull
#define QUICK_DURATION_NS 100000000ull
#define DEFAULT_WARMUP 1000
#define SLOW_WARMUP 20
#define DEFAULT_TIMEOUT_MS 10000

struct run_args {
	struct run_options opt;
	const char *output;
	const char *hgrm_dir;
	const char *hlog_dir;
	uint64_t interval_ns;
	bool json_stdout;
	bool no_calibrate;
	bool cached_floors;
	bool quiet;
	bool warmup_set;
	bool rate_set;
	int client_cpu;
	int server_cpu;
	char **placement_names;
	size_t nplacement_names;
	uint64_t fault_server_exit_after;
	uint64_t fault_server_hang_after;
	bool fault_floors_move; /* the end-of-run floors are doubled, to test the warning */
};

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: ipcbench run [options]\n\n"
		"Runs every chosen transport through the same measured exchange and prints a\n"
		"table; -o/--json write the full result (HDR histograms included) as JSON.\n\n"
		"  -t, --transport LIST   transports, comma-separated (default: every available one;\n"
		"                         'ipcbench list' names them)\n"
		"  -s, --sizes LIST       message sizes: 64,4k,64KiB,1M and doubling ranges 64..1M\n"
		"                         (default " DEFAULT_SIZES "; k = 1024)\n"
		"  -p, --pattern LIST     pingpong (round trip, default), stream (one way, back to\n"
		"                         back: throughput), rate (open loop at --rate)\n"
		"  -n, --iterations N     measured messages per cell (instead of --duration)\n"
		"  -d, --duration TIME    measure each cell for TIME (default 500ms; 5s, 200ms, ...)\n"
		"  -w, --warmup N         messages done and discarded first (default %d; %d for\n"
		"                         transports marked slow)\n"
		"      --rate R           messages per second for --pattern rate\n"
		"      --cpus C,S         pin the client to CPU C and the server to CPU S\n"
		"      --placement LIST   same, cross, smt, numa (default cross,same; CPUs chosen\n"
		"                         from the topology)\n"
		"      --wait LIST        block (default) and/or spin (busy-poll; fd transports\n"
		"                         use non-blocking calls)\n"
		"  -r, --repeat K         run each cell K times, shuffled and interleaved (default 1)\n"
		"      --seed N           seed of that shuffle (default: random, recorded)\n"
		"      --timeout TIME     a cell whose peers make no progress this long fails (10s)\n"
		"      --clock SRC        auto (TSC where safe, default) or monotonic\n"
		"  -o, --output FILE      write the result JSON to FILE (atomically)\n"
		"      --json             write the result JSON to stdout (the table goes to stderr)\n"
		"      --hgrm DIR         also write each cell's percentile distribution (.hgrm)\n"
		"      --hlog DIR         also write each cell's interval log (.hlog, format 1.3)\n"
		"      --interval TIME    the interval of those logs (default 1s)\n"
		"      --quick            a fast look: sizes " QUICK_SIZES ", 100ms per cell\n"
		"      --no-calibrate     do not measure or load this machine's floors (xFLOOR)\n"
		"      --cached-floors    use the floors cached by an earlier run or `ipcbench calibrate`\n"
		"                         instead of measuring them at the start of this run\n"
		"  -q, --quiet            no table, no progress\n"
		"  -h, --help             this text\n\n"
		"Exit status: 0 every cell ok or skipped, 1 a cell failed, 2 bad usage,\n"
		"128+N interrupted by signal N (the cells done so far are written).\n",
		DEFAULT_WARMUP, SLOW_WARMUP);
}

enum {
	OPT_RATE = 256,
	OPT_CPUS,
	OPT_PLACEMENT,
	OPT_WAIT,
	OPT_SEED,
	OPT_TIMEOUT,
	OPT_CLOCK,
	OPT_JSON,
	OPT_QUICK,
	OPT_NO_CALIB,
	OPT_CACHED_FLOORS,
	OPT_HGRM,
	OPT_HLOG,
	OPT_INTERVAL,
	OPT_FAULT,
	OPT_FAULT_HANG,
	OPT_FAULT_FLOORS,
	OPT_VERSION,
};

/* -t: registered transports, none twice (o->transports has room for all of them) */
static void add_transport(void *ctx, const char *name, size_t i, size_t n)
{
	struct run_options *o = ctx;
	const struct transport_ops *t = transport_find(name);

	if (!t)
		die_usage("unknown transport '%s' (see 'ipcbench list')", name);
	for (size_t j = 0; j < o->ntransports; j++)
		if (o->transports[j] == t)
			die_usage("transport '%s' given twice", name);
	o->transports[o->ntransports++] = t;
}

static void add_pattern(void *ctx, const char *name, size_t i, size_t n)
{
	struct run_options *o = ctx;
	enum pattern p;

	if (pattern_parse(name, &p))
		die_usage("unknown pattern '%s' (pingpong, stream or rate)", name);
	for (size_t j = 0; j < o->npatterns; j++)
		if (o->patterns[j] == p)
			die_usage("pattern '%s' given twice", name);
	o->patterns[o->npatterns++] = p;
}

static void add_wait(void *ctx, const char *name, size_t i, size_t n)
{
	struct run_options *o = ctx;
	enum chan_wait w;

	/* a list of more than two is refused as a whole, before any of its items is judged */
	if (n > 2)
		die_usage("--wait takes block, spin or both");
	if (!strcmp(name, "block"))
		w = CHAN_WAIT_BLOCK;
	else if (!strcmp(name, "spin"))
		w = CHAN_WAIT_SPIN;
	else
		die_usage("unknown wait strategy '%s' (block or spin)", name);
	if (o->nwaits == 1 && o->waits[0] == w)
		die_usage("wait strategy '%s' given twice", name);
	o->waits[o->nwaits++] = w;
}

/* -t, -p and --wait: a malformed list is a usage error; fn judges each item. */
static void parse_list(const char *s, const char *what, opt_item_fn *fn, struct run_options *o)
{
	char err[256];

	if (opt_each_item(s, what, fn, o, err, sizeof(err)))
		die_usage("%s", err);
}

/* Picks the CPUs of a placement from the topology; false when the host has none such. */
static bool pick_cpus(const char *rel, struct placement *pl)
{
	int cpus[1024], n = cpu_list_online(cpus, 1024);

	if (!strcmp(rel, "same")) {
		if (n < 1)
			return false;
		*pl = (struct placement){cpus[0], cpus[0], "same"};
		return true;
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++) {
			if (i != j && !strcmp(cpu_relation(cpus[i], cpus[j]), rel)) {
				*pl = (struct placement){cpus[i], cpus[j], cpu_relation(cpus[i], cpus[j])};
				return true;
			}
		}
	}
	return false;
}

static void build_placements(struct run_args *a)
{
	struct run_options *o = &a->opt;
	static const char *const dflt[] = {"cross", "same"};
	const char *const *names = dflt;
	size_t n = 2;

	o->placements = calloc(OPT_MAX_LIST, sizeof(*o->placements));
	if (a->client_cpu >= 0) {
		o->placements[0] =
			(struct placement){a->client_cpu, a->server_cpu, cpu_relation(a->client_cpu, a->server_cpu)};
		o->nplacements = 1;
		return;
	}
	if (a->placement_names) {
		names = (const char *const *)a->placement_names;
		n = a->nplacement_names;
	}
	for (size_t i = 0; i < n; i++) {
		static const char *const known[] = {"same", "cross", "smt", "numa"};
		bool ok = false;

		for (size_t k = 0; k < 4; k++)
			ok |= !strcmp(names[i], known[k]);
		if (!ok)
			die_usage("unknown placement '%s' (same, cross, smt or numa)", names[i]);
		for (size_t j = 0; j < o->nplacements; j++)
			if (!strcmp(o->placements[j].relation, names[i]))
				die_usage("placement '%s' given twice", names[i]);
		if (!pick_cpus(names[i], &o->placements[o->nplacements])) {
			if (a->placement_names)
				die_usage("placement '%s' is not possible on this host (%d CPUs online, %d NUMA nodes)",
					  names[i], cpu_count_online(), 1);
			continue; /* a default that the host cannot do (one CPU: no cross) */
		}
		o->nplacements++;
	}
}

static void parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		{"transport", required_argument, NULL, 't'},
		{"transports", required_argument, NULL, 't'},
		{"sizes", required_argument, NULL, 's'},
		{"size", required_argument, NULL, 's'},
		{"pattern", required_argument, NULL, 'p'},
		{"iterations", required_argument, NULL, 'n'},
		{"duration", required_argument, NULL, 'd'},
		{"warmup", required_argument, NULL, 'w'},
		{"rate", required_argument, NULL, OPT_RATE},
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"placement", required_argument, NULL, OPT_PLACEMENT},
		{"wait", required_argument, NULL, OPT_WAIT},
		{"repeat", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, OPT_SEED},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"clock", required_argument, NULL, OPT_CLOCK},
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, OPT_JSON},
		{"hgrm", required_argument, NULL, OPT_HGRM},
		{"hlog", required_argument, NULL, OPT_HLOG},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"quick", no_argument, NULL, OPT_QUICK},
		{"no-calibrate", no_argument, NULL, OPT_NO_CALIB},
		{"cached-floors", no_argument, NULL, OPT_CACHED_FLOORS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		/* fault injection for the tests; not in --help */
		{"fault-server-exit-after", required_argument, NULL, OPT_FAULT},
		{"fault-server-hang-after", required_argument, NULL, OPT_FAULT_HANG},
		{"fault-floors-move", no_argument, NULL, OPT_FAULT_FLOORS},
		{0},
	};
	struct run_options *o = &a->opt;
	const char *sizes = NULL, *transports = NULL;
	char err[300];
	uint64_t v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+t:s:p:n:d:w:r:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			transports = optarg;
			break;
		case 's':
			sizes = optarg;
			break;
		case 'p':
			o->npatterns = 0;
			parse_list(optarg, "pattern", add_pattern, o);
			break;
		case 'n':
			if (opt_parse_count(optarg, 1000000000000ull, &o->iterations, err, sizeof(err)))
				die_usage("--iterations: %s", err);
			break;
		case 'd':
			if (opt_parse_duration(optarg, &o->duration_ns, err, sizeof(err)))
				die_usage("--duration: %s", err);
			o->iterations = 0;
			break;
		case 'w':
			if (opt_parse_count_or_zero(optarg, 1000000000ull, &o->warmup, err, sizeof(err)))
				die_usage("--warmup: %s", err);
			a->warmup_set = true;
			break;
		case OPT_RATE:
			if (opt_parse_rate(optarg, &o->rate_per_sec, err, sizeof(err)))
				die_usage("--rate: %s", err);
			a->rate_set = true;
			break;
		case OPT_CPUS:
			if (opt_parse_cpus(optarg, &a->client_cpu, &a->server_cpu, err, sizeof(err)))
				die_usage("--cpus: %s", err);
			break;
		case OPT_PLACEMENT:
			if (opt_split_list(optarg, "placement", &a->placement_names, &a->nplacement_names, err,
					   sizeof(err)))
				die_usage("--placement: %s", err);
			break;
		case OPT_WAIT:
			o->nwaits = 0;
			parse_list(optarg, "wait", add_wait, o);
			break;
		case 'r':
			if (opt_parse_count(optarg, 1000, &v, err, sizeof(err)))
				die_usage("--repeat: %s", err);
			o->repeat = (unsigned)v;
			break;
		case OPT_SEED:
			if (opt_parse_count_or_zero(optarg, UINT64_MAX, &o->seed, err, sizeof(err)))
				die_usage("--seed: %s", err);
			break;
		case OPT_TIMEOUT:
			if (opt_parse_duration(optarg, &v, err, sizeof(err)))
				die_usage("--timeout: %s", err);
			if (v < 1000000 || v > 3600000000000ull)
				die_usage("--timeout: '%s' must be between 1ms and 1h", optarg);
			o->timeout_ms = (int)(v / 1000000);
			break;
		case OPT_CLOCK:
			if (!strcmp(optarg, "auto") || !strcmp(optarg, "tsc"))
				o->allow_tsc = true;
			else if (!strcmp(optarg, "monotonic"))
				o->allow_tsc = false;
			else
				die_usage("--clock: unknown clock '%s' (auto or monotonic)", optarg);
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_JSON:
			a->json_stdout = true;
			break;
		case OPT_HGRM:
			if (hdrout_check_dir(optarg, err, sizeof(err)))
				die_usage("--hgrm: %s", err);
			a->hgrm_dir = optarg;
			break;
		case OPT_HLOG:
			if (hdrout_check_dir(optarg, err, sizeof(err)))
				die_usage("--hlog: %s", err);
			a->hlog_dir = optarg;
			break;
		case OPT_INTERVAL:
			if (opt_parse_duration(optarg, &a->interval_ns, err, sizeof(err)))
				die_usage("--interval: %s", err);
			if (a->interval_ns < 1000000)
				die_usage("--interval: '%s' is below the 1ms an interval log can express", optarg);
			break;
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_NO_CALIB:
			a->no_calibrate = true;
			break;
		case OPT_CACHED_FLOORS:
			a->cached_floors = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case OPT_FAULT:
			if (opt_parse_count(optarg, UINT64_MAX, &a->fault_server_exit_after, err, sizeof(err)))
				die_usage("--fault-server-exit-after: %s", err);
			break;
		case OPT_FAULT_FLOORS:
			a->fault_floors_move = true;
			break;
		case OPT_FAULT_HANG:
			if (opt_parse_count(optarg, UINT64_MAX, &a->fault_server_hang_after, err, sizeof(err)))
				die_usage("--fault-server-hang-after: %s", err);
			break;
		case 'h':
			run_usage(stdout);
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("ipcbench run %s\n", IPCB_VERSION);
			exit(EXIT_OK);
		case ':':
			die_usage("run: option '%s' needs a value", argv[optind - 1]);
		default:
			die_usage("run: unknown option '%s' (see 'ipcbench run --help')", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("run: unexpected argument '%s'", argv[optind]);

	/* a list names each transport at most once, so it never needs more room than all of them */
	o->transports = calloc(transport_count, sizeof(*o->transports));
	if (transports) {
		parse_list(transports, "transport", add_transport, o);
	} else {
		for (size_t i = 0; i < transport_count; i++)
			o->transports[o->ntransports++] = transport_table[i];
	}
	if (opt_parse_size_list(sizes	   ? sizes
				: o->quick ? QUICK_SIZES
					   : DEFAULT_SIZES,
				&o->sizes, &o->nsizes, err, sizeof(err)))
		die_usage("--sizes: %s", err);
	if (!o->npatterns)
		o->patterns[o->npatterns++] = PATTERN_PINGPONG;
	if (!o->nwaits)
		o->waits[o->nwaits++] = CHAN_WAIT_BLOCK;
	if (!o->iterations && !o->duration_ns)
		o->duration_ns = o->quick ? QUICK_DURATION_NS : DEFAULT_DURATION_NS;
	if (!a->warmup_set)
		o->warmup = o->quick ? 100 : DEFAULT_WARMUP;
	for (size_t i = 0; i < o->npatterns; i++)
		if (o->patterns[i] == PATTERN_RATE && !a->rate_set)
			die_usage("--pattern rate needs --rate MSGS_PER_SEC");
	if (a->rate_set) {
		bool has_rate = false;

		for (size_t i = 0; i < o->npatterns; i++)
			has_rate |= o->patterns[i] == PATTERN_RATE;
		if (!has_rate)
			die_usage("--rate applies only to --pattern rate");
	}
	if (a->interval_ns && !a->hlog_dir)
		die_usage("--interval applies only with --hlog DIR");
	if (a->hlog_dir && !a->interval_ns)
		a->interval_ns = 1000000000ull;
	if (a->client_cpu >= 0 && a->placement_names)
		die_usage("--cpus and --placement cannot be combined: --cpus names the placement itself");
	build_placements(a);
	if (!o->nplacements)
		die_usage("no placement is possible on this host");
	if (a->output) {
		if (report_check_path(a->output, err, sizeof(err)))
			die_usage("--output: %s", err);
	}
}

static void run_args_release(struct run_args *a)
{
	free(a->opt.transports);
	free(a->opt.sizes);
	free(a->opt.placements);
	if (a->placement_names)
		opt_free_list(a->placement_names, a->nplacement_names);
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
	size_t total = ncells * repeat, *v = malloc(total * sizeof(*v));
	uint64_t st = seed;

	for (size_t i = 0; i < total; i++)
		v[i] = i % ncells;
	if (repeat > 1) {
		/* shuffle within each round so every cell's repetitions spread over the run */
		for (size_t r = 0; r < repeat; r++) {
			size_t *round = v + r * ncells;

			for (size_t i = ncells - 1; i > 0; i--) {
				size_t j = (size_t)(splitmix64(&st) % (i + 1)), t = round[i];

				round[i] = round[j];
				round[j] = t;
			}
		}
	}
	*n = total;
	return v;
}

static struct report_cell *build_cells(const struct run_args *a, size_t *n)
{
	const struct run_options *o = &a->opt;
	size_t cap = o->npatterns * o->ntransports * o->nsizes * o->nplacements * o->nwaits, k = 0;
	struct report_cell *cells = calloc(cap ? cap : 1, sizeof(*cells));

	for (size_t p = 0; p < o->npatterns; p++)
		for (size_t t = 0; t < o->ntransports; t++)
			for (size_t s = 0; s < o->nsizes; s++)
				for (size_t pl = 0; pl < o->nplacements; pl++)
					for (size_t w = 0; w < o->nwaits; w++) {
						struct cell_config *cfg = &cells[k++].cfg;
						const struct transport_ops *ops = o->transports[t];

						cfg->ops = ops;
						cfg->pattern = o->patterns[p];
						cfg->msg_bytes = o->sizes[s];
						cfg->client_cpu = o->placements[pl].client_cpu;
						cfg->server_cpu = o->placements[pl].server_cpu;
						cfg->relation = o->placements[pl].relation;
						cfg->wait = o->waits[w];
						cfg->warmup = !a->warmup_set && (ops->flags & TRANSPORT_SLOW)
								      ? SLOW_WARMUP
								      : o->warmup;
						cfg->iterations = o->iterations;
						cfg->duration_ns = o->duration_ns;
						cfg->rate_per_sec = o->rate_per_sec;
						cfg->timeout_ms = o->timeout_ms;
						cfg->run_dir = o->run_dir;
						cfg->interval_ns = a->hlog_dir ? a->interval_ns : 0;
						cfg->fault_server_exit_after = a->fault_server_exit_after;
						cfg->fault_server_hang_after = a->fault_server_hang_after;
					}
	*n = k;
	return cells;
}

/* Folds one repetition into its cell: histograms merge, summaries are kept. */
static void fold(struct report_cell *c, struct cell_result *r, unsigned repeat)
{
	struct rep_summary *rs;

	if (!c->reps)
		c->reps = calloc(repeat, sizeof(*c->reps));
	rs = &c->reps[c->nreps++];
	rep_summary_from(r, rs);
	if (c->nreps == 1) {
		c->res = *r; /* takes over r's histogram */
		return;
	}
	hist_add(&c->res.latency, &r->latency);
	if (r->status != CELL_OK && c->res.status == CELL_OK) {
		c->res.status = r->status;
		snprintf(c->res.reason, sizeof(c->res.reason), "repetition %zu: %s", c->nreps, r->reason);
	}
	c->res.count += r->count;
	c->res.elapsed_ns += r->elapsed_ns;
	if (r->raw_min_ns < c->res.raw_min_ns)
		c->res.raw_min_ns = r->raw_min_ns;
	if (r->raw_max_ns > c->res.raw_max_ns)
		c->res.raw_max_ns = r->raw_max_ns;
	for (int s = 0; s < 2; s++) {
		c->res.cost[s].user_sec += r->cost[s].user_sec;
		c->res.cost[s].sys_sec += r->cost[s].sys_sec;
		c->res.cost[s].voluntary_cs += r->cost[s].voluntary_cs;
		c->res.cost[s].involuntary_cs += r->cost[s].involuntary_cs;
	}
	c->res.have_cost &= r->have_cost;
	if (c->res.elapsed_ns) {
		double secs = (double)c->res.elapsed_ns / 1e9;

		c->res.msgs_per_sec = (double)c->res.count / secs;
		c->res.bytes_per_sec = c->res.msgs_per_sec * (double)c->cfg.msg_bytes;
		c->res.round_trips_per_sec = c->cfg.pattern == PATTERN_PINGPONG ? c->res.msgs_per_sec : 0;
	}
	if (c->cfg.pattern == PATTERN_RATE) {
		c->res.rate_achieved_per_sec =
			(c->res.rate_achieved_per_sec * (double)(c->nreps - 1) + r->rate_achieved_per_sec) /
			(double)c->nreps;
		c->res.rate_kept_up &= r->rate_kept_up;
	}
	cell_result_release(r);
}

/* ---- output ---- */

static void print_table(FILE *f, const struct report_cell *cells, size_t n, bool show_wait, bool show_pattern)
{
	fprintf(f, "%-20s %s%-9s %-12s %s%9s %9s %9s %9s %10s %7s\n", "TRANSPORT", show_pattern ? "PATTERN  " : "",
		"SIZE", "PLACEMENT", show_wait ? "WAIT  " : "", "p50", "p99", "p99.9", "max", "rt/s", "xFLOOR");
	for (size_t i = 0; i < n; i++) {
		const struct report_cell *c = &cells[i];
		char size[32], place[32], p50[16], p99[16], p999[16], mx[16], rate[16], fl[16];

		if (!c->nreps)
			continue;
		units_bytes((int64_t)c->cfg.msg_bytes, size, sizeof(size));
		if (c->cfg.client_cpu >= 0)
			snprintf(place, sizeof(place), "%s %d,%d", c->cfg.relation, c->cfg.client_cpu,
				 c->cfg.server_cpu);
		else
			snprintf(place, sizeof(place), "%s", c->cfg.relation);
		fprintf(f, "%-20s ", c->cfg.ops->name);
		if (show_pattern)
			fprintf(f, "%-8s ", pattern_name(c->cfg.pattern));
		fprintf(f, "%-9s %-12s ", size, place);
		if (show_wait)
			fprintf(f, "%-5s ", wait_name(c->cfg.wait));
		if (c->res.status != CELL_OK) {
			fprintf(f, "%s: %.90s\n", cell_status_name(c->res.status), c->res.reason);
			continue;
		}
		if (c->res.latency.total_count) {
			units_ns((double)hist_value_at_percentile(&c->res.latency, 50), UNITS_ASCII, p50, sizeof(p50));
			units_ns((double)hist_value_at_percentile(&c->res.latency, 99), UNITS_ASCII, p99, sizeof(p99));
			units_ns((double)hist_value_at_percentile(&c->res.latency, 99.9), UNITS_ASCII, p999,
				 sizeof(p999));
			units_ns((double)hist_max(&c->res.latency), UNITS_ASCII, mx, sizeof(mx));
		} else {
			snprintf(p50, sizeof(p50), "-");
			snprintf(p99, sizeof(p99), "-");
			snprintf(p999, sizeof(p999), "-");
			snprintf(mx, sizeof(mx), "-");
		}
		if (c->cfg.pattern == PATTERN_PINGPONG) {
			units_si(c->res.round_trips_per_sec, "", "", rate, sizeof(rate));
		} else {
			units_si(c->res.bytes_per_sec, "", "", rate, sizeof(rate));
			strncat(rate, "B/s", sizeof(rate) - strlen(rate) - 1);
		}
		if (c->floor_ns > 0 && c->res.latency.total_count)
			snprintf(fl, sizeof(fl), "%.1fx",
				 (double)hist_value_at_percentile(&c->res.latency, 50) / c->floor_ns);
		else
			snprintf(fl, sizeof(fl), "-");
		fprintf(f, "%9s %9s %9s %9s %10s %7s\n", p50, p99, p999, mx, rate, fl);
	}
}

static void progress(size_t i, size_t n, const struct report_cell *c, bool on)
{
	char size[32];

	if (!on)
		return;
	units_bytes((int64_t)c->cfg.msg_bytes, size, sizeof(size));
	fprintf(stderr, "\r\033[K[%zu/%zu] %s %s %s %s %s", i + 1, n, c->cfg.ops->name, pattern_name(c->cfg.pattern),
		size, c->cfg.relation, wait_name(c->cfg.wait));
	fflush(stderr);
}

static void on_signal(int sig)
{
	harness_interrupt(sig);
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the watchdog's poll must wake */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The machine's floors, for the CPUs the run uses, measured at the start of
 * the run (about half a second; --cached-floors reuses the last ones, which
 * `ipcbench calibrate` shows).  Measured, not cached, by default: on the VM
 * this was written on, the cross-CPU cache-line round trip moved between
 * 70, 110 and 360 ns within one hour, so a cached floor made xFLOOR wrong by
 * up to 3x.  A round trip is compared
 * with the bare mechanism of its wait: a futex ping-pong for transports
 * that sleep, a cache-line ping-pong for those that spin; plus, for the
 * payload, two process-to-process copies through shared memory at the
 * measured rate (one each way), which is what no mechanism can beat.
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

static void load_floors(struct run_args *a, struct run_report *rr)
{
	int ca, cb;

	if (a->no_calibrate || !floor_cpus(&a->opt, &ca, &cb))
		return;
	if (calib_get(&rr->calib, ca, cb, !a->cached_floors)) {
		warnx_("calibrate: %s (continuing without floors)", calib_error());
		rr->calib.valid = false;
	}
}

/* Appends "cache-line ping-pong 370 -> 110 ns" to msg when a and b differ by more than FLOOR_DRIFT. */
#define FLOOR_DRIFT 1.5 /* the futex floor alone varies by 25 % between measurements here */
static void note_drift(char *msg, size_t len, const char *what, double a, double b, const char *unit)
{
	size_t n = strlen(msg);

	if (a <= 0 || b <= 0 || (a / b <= FLOOR_DRIFT && b / a <= FLOOR_DRIFT))
		return;
	snprintf(msg + n, len - n, "%s%s %.3g -> %.3g %s", n ? ", " : "", what, a, b, unit);
}

/*
 * Measures the floors again after the cells (when they were measured at the
 * start) and says so when they moved: on a VM the hypervisor can move a
 * virtual CPU mid-run, and every xFLOOR of the run then compares with a
 * floor that no longer holds.  The result keeps both (calibration_end).
 */
static void check_floors_end(struct run_args *a, struct run_report *rr)
{
	const struct calib *s = &rr->calib, *e = &rr->calib_end;
	char msg[400] = "";
	int ca, cb;

	if (!s->valid || s->from_cache || !floor_cpus(&a->opt, &ca, &cb))
		return;
	if (calib_get(&rr->calib_end, ca, cb, true)) {
		warnx_("calibrate (end of run): %s", calib_error());
		rr->calib_end.valid = false;
		return;
	}
	if (a->fault_floors_move)
		rr->calib_end.cacheline_rtt_ns *= 2;
	note_drift(msg, sizeof(msg), "cache-line ping-pong", s->cacheline_rtt_ns, e->cacheline_rtt_ns, "ns");
	note_drift(msg, sizeof(msg), "futex ping-pong", s->futex_rtt_ns, e->futex_rtt_ns, "ns");
	note_drift(msg, sizeof(msg), "shm copy", s->shm_copy_gbps, e->shm_copy_gbps, "GB/s");
	if (msg[0])
		warnx_("the floors moved during the run (%s): xFLOOR uses the first; both are in the result", msg);
}

static void set_floor(struct report_cell *c, const struct calib *k)
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
}

/* What dead runs left is removed before a new run can trip over it. */
static void clean_first(bool quiet)
{
	struct cleanup_stats st;

	if (cleanup_dead_runs(false, &st, NULL, NULL) == 0 && st.runs && !quiet)
		warnx_("removed the leftovers of %u dead run%s (%u kernel objects)", st.runs, st.runs == 1 ? "" : "s",
		       st.objects);
}

static char *join_argv(int argc, char **argv)
{
	size_t len = 16;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	strcpy(s, "ipcbench");
	for (int i = 0; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = {.client_cpu = -1, .server_cpu = -1};
	struct run_report rr = {0};
	struct report_cell *cells;
	size_t ncells, nsched, *sched;
	char run_dir[4096], err[512];
	bool any_error = false, tty;
	FILE *table_out;
	int r, sig, rc;

	a.opt.repeat = 1;
	a.opt.timeout_ms = DEFAULT_TIMEOUT_MS;
	a.opt.allow_tsc = true;
	a.opt.seed = 0;
	parse_args(argc, argv, &a);
	if (a.opt.seed == 0 && getrandom(&a.opt.seed, sizeof(a.opt.seed), 0) != sizeof(a.opt.seed))
		a.opt.seed = (uint64_t)time(NULL);
	a.opt.seed &= INT64_MAX; /* JSON integers are signed */
	table_out = a.json_stdout ? stderr : stdout;
	tty = isatty(STDERR_FILENO) && !a.quiet;

	install_signals();
	clean_first(a.quiet);
	r = rundir_create(run_dir, sizeof(run_dir));
	if (r)
		die_usage("cannot create the run directory under %s: %s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			  strerror(-r));
	a.opt.run_dir = run_dir;
	clock_setup(a.opt.allow_tsc);
	sysinfo_collect(&rr.host);
	rr.command_line = join_argv(argc - 1, argv + 1);
	rr.opt = &a.opt;
	report_now_iso(rr.started_at, sizeof(rr.started_at));

	load_floors(&a, &rr);
	cells = build_cells(&a, &ncells);
	for (size_t i = 0; i < ncells; i++)
		set_floor(&cells[i], &rr.calib);
	sched = make_schedule(ncells, a.opt.repeat, a.opt.seed, &nsched);
	for (size_t i = 0; i < nsched && !harness_interrupted(); i++) {
		struct report_cell *c = &cells[sched[i]];
		struct cell_result res;

		progress(i, nsched, c, tty);
		r = cell_run(&c->cfg, &res);
		if (r) {
			res.status = CELL_ERROR;
			snprintf(res.reason, sizeof(res.reason), "harness: %s", strerror(-r));
		}
		if (a.hlog_dir && res.status == CELL_OK &&
		    hdrout_append_hlog(a.hlog_dir, &c->cfg, &res, err, sizeof(err))) {
			warnx_("%s", err);
			any_error = true;
		}
		cell_result_release_intervals(&res);
		fold(c, &res, a.opt.repeat);
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	rundir_remove(run_dir);
	sig = harness_interrupted();
	rr.interrupted_by = sig;
	if (!sig) {
		check_floors_end(&a, &rr);
		report_now_iso(rr.finished_at, sizeof(rr.finished_at));
	}
	/* cells that never ran are left out of the file */
	rr.cells = calloc(ncells ? ncells : 1, sizeof(*rr.cells));
	for (size_t i = 0; i < ncells; i++) {
		if (!cells[i].nreps)
			continue;
		rr.cells[rr.ncells++] = cells[i];
		if (cells[i].res.status == CELL_ERROR)
			any_error = true;
	}
	for (size_t i = 0; a.hgrm_dir && i < rr.ncells; i++) {
		if (rr.cells[i].res.status == CELL_OK &&
		    hdrout_write_hgrm(a.hgrm_dir, &rr.cells[i], err, sizeof(err))) {
			warnx_("%s", err);
			any_error = true;
		}
	}
	if (!a.quiet)
		print_table(table_out, rr.cells, rr.ncells, a.opt.nwaits > 1, a.opt.npatterns > 1);
	rc = any_error ? EXIT_FAIL : EXIT_OK;
	if (a.output && report_write(&rr, a.output, err, sizeof(err))) {
		/* nothing measured is lost: the result goes to stdout instead */
		warnx_("%s; the result JSON follows on stdout instead", err);
		if (!a.json_stdout && report_write(&rr, "-", err, sizeof(err)))
			warnx_("%s", err);
		rc = EXIT_FAIL;
	} else if (a.json_stdout && report_write(&rr, "-", err, sizeof(err))) {
		warnx_("%s", err);
		rc = EXIT_FAIL;
	}
	if (sig) {
		warnx_("interrupted by signal %d; %zu cells written", sig, rr.ncells);
		rc = 128 + sig;
	}
	for (size_t i = 0; i < ncells; i++) {
		if (cells[i].nreps)
			cell_result_release(&cells[i].res);
		free(cells[i].reps);
	}
	free(cells);
	free(rr.cells);
	free(sched);
	run_args_release(&a);
	free((char *)rr.command_line);
	return rc;
}
