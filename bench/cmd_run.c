/*
 * cmd_run.c - `ipcbench run`: parses the options into run_options, lets
 * the engine (harness/run.h) run the cells, prints the progress and the
 * table and decides the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bench/cmd.h"
#include "bench/opt.h"
#include "bench/run_live.h"
#include "bench/run_table.h"
#include "bench/optlist.h"
#include "bench/run_connect.h"
#include "bench/topt_spec.h"
#include "common/outfile.h"
#include "common/units.h"
#include "harness/cleanup.h"
#include "harness/hdrout.h"
#include "harness/run.h"
#include "harness/scale.h"
#include "harness/sysinfo.h"

#define DEFAULT_SIZES "64,4k,64k,1M"
#define QUICK_SIZES "64,4k"
#define DEFAULT_DURATION_NS 500000000ull
#define QUICK_DURATION_NS 100000000ull
#define DEFAULT_WARMUP 1000
#define DEFAULT_TIMEOUT_MS 10000

struct run_args {
	struct run_options opt;
	const char *output;
	const char *sizes;	/* parsed once every option is known */
	const char *transports; /* the same */
	const char *rate_arg;	/* as given, for the message that refuses it */
	bool json_stdout;
	bool quiet;
	bool interval_set;
	int client_cpu;
	int server_cpu;
	char **placement_names;
	size_t nplacement_names;
	struct run_live live;	 /* --precision, --min-duration, --json-stream */
	struct run_connect conn; /* --connect, --token */
};

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: ipcbench run [options]\n\n"
		"Runs every chosen transport through the same measured exchange and prints a\n"
		"table; -o/--json write the full result (HDR histograms included) as JSON.\n\n"
		"  -t, --transport LIST   transports, comma-separated (default: every available one;\n"
		"                         'ipcbench list' names them), each with its options as\n"
		"                         NAME:KEY=VALUE:KEY=VALUE ('ipcbench list -t NAME' shows\n"
		"                         them).  A comma item that is a transport name (alone or\n"
		"                         followed by ':') starts a new transport (a bare word\n"
		"                         that is also a value of the last key is that value), one that is\n"
		"                         KEY=VALUE adds a key to the last transport, any other item\n"
		"                         is one more value of the last key: a sweep, like -s.\n"
		"                         Swept keys make their cross product:\n"
		"                           -t pipe:bufsize=64k,1M,tcp:nodelay=0,1   4 variants\n"
		"                           -t tcp:nodelay=0,1,sndbuf=64k,1M         4 variants\n"
		"  -s, --sizes LIST       message sizes: 64,4k,64KiB,1M and doubling ranges 64..1M\n"
		"                         (default " DEFAULT_SIZES "; k = 1024); 0 is a bare\n"
		"                         wake-up, for the wake-up primitives only (sem_posix, ...)\n"
		"  -p, --pattern LIST     pingpong (round trip, default), stream (one way, back to\n"
		"                         back: throughput), rate (open loop at --rate),\n"
		"                         underload (round trips of probes while a third process\n"
		"                         floods the server, at full speed or at --rate)\n"
		"  -n, --iterations N     measured messages per cell (instead of --duration)\n"
		"  -d, --duration TIME    measure each cell for TIME (5s, 200ms, ...; with --precision,\n"
		"                         the most a cell runs)\n" LIVE_USAGE
		"  -w, --warmup N         messages done and discarded first (default %d; %d for\n"
		"                         transports marked slow)\n"
		"      --rate R           messages per second for --pattern rate (underload: of the flood)\n"
		"      --cpus C,S         pin the client to CPU C and the server to CPU S\n"
		"      --placement LIST   same, cross, smt, numa (default cross,same; CPUs chosen\n"
		"                         from the topology)\n"
		"      --wait LIST        block (default), spin (busy-poll; fd transports use\n"
		"                         non-blocking calls), epoll, poll (non-blocking fds\n"
		"                         waited in epoll_wait or poll, as event-loop servers do)\n"
		"      --peers LIST       fork (default: forked children inherit the channel) and/or\n"
		"                         exec (fresh processes that find it by name)\n"
		"      --pairs LIST       N independent client/server pairs of each cell at once\n"
		"                         (1,2,4 or ranges 1..8), spread over the CPUs\n"
		"      --clients LIST     N clients of one server over one channel (1,2,4..64;\n"
		"                         pingpong; transports that serve one client are skipped)\n"
		"  -r, --repeat K         run each cell K times, shuffled and interleaved (default 1)\n"
		"      --seed N           seed of that shuffle (default: random, recorded)\n" CONNECT_USAGE
		"      --timeout TIME     a cell whose peers make no progress this long fails (10s)\n"
		"      --clock SRC        auto (TSC where safe, default) or monotonic\n"
		"  -o, --output FILE      write the result JSON to FILE (atomically)\n"
		"      --json             write the result JSON to stdout (the table goes to stderr)\n"
		"      --hgrm DIR         also write each cell's percentile distribution (.hgrm)\n"
		"      --hlog DIR         also write each cell's interval log (.hlog, format 1.3)\n"
		"      --interval TIME    the interval of those logs (default 1s)\n"
		"      --quick            a fast look: sizes " QUICK_SIZES ", --precision 5%%, 100ms at most\n"
		"      --no-calibrate     do not measure or load this machine's floors (xFLOOR)\n"
		"      --cached-floors    use the floors cached by an earlier run or `ipcbench calibrate`\n"
		"                         instead of measuring them at the start of this run\n"
		"  -q, --quiet            no table, no progress\n"
		"  -h, --help             this text\n\n"
		"Exit status: 0 every cell ok or skipped, 1 a cell failed, 2 bad usage,\n"
		"128+N interrupted by signal N (the cells done so far are written).\n",
		DEFAULT_WARMUP, RUN_SLOW_WARMUP);
}

enum {
	OPT_RATE = 256,
	OPT_CPUS,
	OPT_PLACEMENT,
	OPT_WAIT,
	OPT_PEERS,
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
	OPT_FAULT_FLOORS,
	OPT_FAULT_FLOORS_HIGH,
	OPT_VERSION,
	OPT_PAIRS,
	OPT_CLIENTS,
};

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
	{"peers", required_argument, NULL, OPT_PEERS},
	{"pairs", required_argument, NULL, OPT_PAIRS},
	{"clients", required_argument, NULL, OPT_CLIENTS},
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
	LIVE_LONGOPTS,
	CONNECT_LONGOPTS,
	{"fault-floors-move", no_argument, NULL, OPT_FAULT_FLOORS},
	{"fault-floors-high", no_argument, NULL, OPT_FAULT_FLOORS_HIGH},
	{0},
};

/* -t: transport variants, none twice (bench/topt_spec.h), each a transport and its options */
static void add_transports(struct run_options *o, const char *list)
{
	struct topt_variant *v;
	struct chan_opts *opts;
	char err[600];
	size_t n;

	if (topt_spec_parse(list, &v, &n, err, sizeof(err)))
		die_usage("%s", err);
	o->transports = calloc(n, sizeof(*o->transports));
	opts = calloc(n, sizeof(*opts));
	if (!o->transports || !opts)
		die_usage("out of memory");
	for (size_t i = 0; i < n; i++) {
		o->transports[i] = v[i].ops;
		opts[i] = v[i].opts;
	}
	o->topts = opts;
	o->ntransports = n;
	free(v);
}

static void add_pattern(void *ctx, const char *name, size_t i, size_t n)
{
	struct run_options *o = ctx;
	enum pattern p;

	if (pattern_parse(name, &p))
		die_usage("unknown pattern '%s' (pingpong, stream, rate or underload)", name);
	for (size_t j = 0; j < o->npatterns; j++)
		if (o->patterns[j] == p)
			die_usage("pattern '%s' given twice", name);
	o->patterns[o->npatterns++] = p;
}

static void add_wait(void *ctx, const char *name, size_t i, size_t n)
{
	struct run_options *o = ctx;
	enum chan_wait w;
	const size_t max = sizeof(o->waits) / sizeof(o->waits[0]);

	/* a list longer than the strategies is refused as a whole, before any of its items is judged */
	if (n > max)
		die_usage("--wait takes at most block, spin, epoll and poll");
	if (wait_parse(name, &w))
		die_usage("unknown wait strategy '%s' (block, spin, epoll or poll)", name);
	for (size_t j = 0; j < o->nwaits; j++)
		if (o->waits[j] == w)
			die_usage("wait strategy '%s' given twice", name);
	o->waits[o->nwaits++] = w;
}

static void add_peers(void *ctx, const char *name, size_t i, size_t n)
{
	struct run_options *o = ctx;
	enum peers p;

	(void)i;
	if (n > PEERS__COUNT)
		die_usage("--peers takes fork, exec or both");
	if (peers_parse(name, &p))
		die_usage("unknown peers '%s' (fork or exec)", name);
	for (size_t k = 0; k < o->npeers; k++)
		if (o->peers[k] == p)
			die_usage("peers '%s' given twice", name);
	o->peers[o->npeers++] = p;
}

/* -t, -p and --wait: a malformed list is a usage error; fn judges each item. */
static void parse_list(const char *s, const char *what, opt_item_fn *fn, struct run_options *o)
{
	char err[256];

	if (opt_each_item(s, what, fn, o, err, sizeof(err)))
		die_usage("%s", err);
}

/* --placement names one of these; "unpinned" is what no --cpus and no --placement would mean */
static enum relation placement_relation(const char *name)
{
	enum relation rel;

	if (relation_parse(name, &rel) || rel == REL_UNPINNED || rel == REL_REMOTE)
		die_usage("unknown placement '%s' (same, cross, smt or numa)", name);
	return rel;
}

static void build_placements(struct run_args *a)
{
	struct run_options *o = &a->opt;
	static const char *const dflt[] = {"cross", "same"};
	const char *const *names = a->placement_names ? (const char *const *)a->placement_names : dflt;
	size_t n = a->placement_names ? a->nplacement_names : 2;

	o->placements = calloc(OPT_MAX_LIST, sizeof(*o->placements));
	if (!o->placements)
		die_usage("out of memory");
	if (a->client_cpu >= 0) {
		o->placements[0] =
			(struct placement){a->client_cpu, a->server_cpu, cpu_relation(a->client_cpu, a->server_cpu)};
		o->nplacements = 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		enum relation rel = placement_relation(names[i]);

		for (size_t j = 0; j < o->nplacements; j++)
			if (o->placements[j].relation == rel)
				die_usage("placement '%s' given twice", names[i]);
		if (run_pick_placement(rel, &o->placements[o->nplacements])) {
			if (a->placement_names)
				die_usage("placement '%s' is not possible on this host (%d CPUs online, %d NUMA nodes)",
					  names[i], cpu_count_online(), 1);
			continue; /* a default that the host cannot do (one CPU: no cross) */
		}
		o->nplacements++;
	}
}

/* ---- the options, by group; each returns false for an option not of its group ---- */

/* What is measured: transports, sizes, patterns, placements, waits. */
static bool parse_what(int c, const char *arg, struct run_args *a)
{
	struct run_options *o = &a->opt;
	char err[300];

	switch (c) {
	case 't':
		a->transports = arg;
		return true;
	case 's':
		a->sizes = arg;
		return true;
	case 'p':
		o->npatterns = 0;
		parse_list(arg, "pattern", add_pattern, o);
		return true;
	case OPT_CPUS:
		if (opt_parse_cpus(arg, &a->client_cpu, &a->server_cpu, err, sizeof(err)))
			die_usage("--cpus: %s", err);
		return true;
	case OPT_PLACEMENT:
		if (a->placement_names)
			opt_free_list(a->placement_names, a->nplacement_names);
		a->placement_names = NULL;
		if (opt_split_list(arg, "placement", &a->placement_names, &a->nplacement_names, err, sizeof(err)))
			die_usage("--placement: %s", err);
		return true;
	case OPT_WAIT:
		o->nwaits = 0;
		parse_list(arg, "wait", add_wait, o);
		return true;
	case OPT_PEERS:
		o->npeers = 0;
		parse_list(arg, "peers", add_peers, o);
		return true;
	case OPT_PAIRS:
		free(o->pairs);
		if (opt_parse_count_list(arg, "pairs", SCALE_MAX_PAIRS, &o->pairs, &o->npairs, err, sizeof(err)))
			die_usage("--pairs: %s", err);
		return true;
	case OPT_CLIENTS:
		free(o->clients);
		if (opt_parse_count_list(arg, "clients", SCALE_MAX_CLIENTS, &o->clients, &o->nclients, err,
					 sizeof(err)))
			die_usage("--clients: %s", err);
		return true;
	}
	return false;
}

/* How long and how often: iterations, duration, warm-up, rate, repetitions, seed, timeout, clock. */
static bool parse_how(int c, const char *arg, struct run_args *a)
{
	struct run_options *o = &a->opt;
	char err[300];
	uint64_t v;

	switch (c) {
	case 'n':
		if (opt_parse_count(arg, 1000000000000ull, &o->iterations, err, sizeof(err)))
			die_usage("--iterations: %s", err);
		return true;
	case 'd':
		if (opt_parse_duration(arg, &o->duration_ns, err, sizeof(err)))
			die_usage("--duration: %s", err);
		o->iterations = 0;
		return true;
	case 'w':
		if (opt_parse_count_or_zero(arg, 1000000000ull, &o->warmup, err, sizeof(err)))
			die_usage("--warmup: %s", err);
		o->warmup_given = true;
		return true;
	case OPT_RATE:
		if (opt_parse_rate(arg, &o->rate_per_sec, err, sizeof(err)))
			die_usage("--rate: %s", err);
		a->rate_arg = arg;
		return true;
	case 'r':
		if (opt_parse_count(arg, 1000, &v, err, sizeof(err)))
			die_usage("--repeat: %s", err);
		o->repeat = (unsigned)v;
		return true;
	case OPT_SEED:
		if (opt_parse_count_or_zero(arg, UINT64_MAX, &o->seed, err, sizeof(err)))
			die_usage("--seed: %s", err);
		return true;
	}
	return false;
}

/* The machine: timeout, clock, --quick and the floors. */
static bool parse_machine(int c, const char *arg, struct run_args *a)
{
	struct run_options *o = &a->opt;
	char err[300];
	uint64_t v;

	switch (c) {
	case OPT_TIMEOUT:
		if (opt_parse_duration(arg, &v, err, sizeof(err)))
			die_usage("--timeout: %s", err);
		if (v < 1000000 || v > 3600000000000ull)
			die_usage("--timeout: '%s' must be between 1ms and 1h", arg);
		o->timeout_ms = (int)(v / 1000000);
		return true;
	case OPT_CLOCK:
		if (!strcmp(arg, "auto") || !strcmp(arg, "tsc"))
			o->allow_tsc = true;
		else if (!strcmp(arg, "monotonic"))
			o->allow_tsc = false;
		else
			die_usage("--clock: unknown clock '%s' (auto or monotonic)", arg);
		return true;
	case OPT_QUICK:
		o->quick = true;
		return true;
	case OPT_NO_CALIB:
		o->floors = RUN_FLOORS_NONE;
		return true;
	case OPT_CACHED_FLOORS:
		if (o->floors != RUN_FLOORS_NONE)
			o->floors = RUN_FLOORS_CACHED;
		return true;
	}
	return false;
}

/* What is written: the JSON, the table, the .hgrm and .hlog files. */
static bool parse_output(int c, const char *arg, struct run_args *a)
{
	struct run_options *o = &a->opt;
	char err[300];

	switch (c) {
	case 'o':
		a->output = arg;
		return true;
	case OPT_JSON:
		a->json_stdout = true;
		return true;
	case 'q':
		a->quiet = true;
		return true;
	case OPT_HGRM:
	case OPT_HLOG:
		if (hdrout_check_dir(arg, err, sizeof(err)))
			die_usage("%s: %s", c == OPT_HGRM ? "--hgrm" : "--hlog", err);
		*(c == OPT_HGRM ? &o->hgrm_dir : &o->hlog_dir) = arg;
		return true;
	case OPT_INTERVAL:
		if (opt_parse_duration(arg, &o->interval_ns, err, sizeof(err)))
			die_usage("--interval: %s", err);
		if (o->interval_ns < 1000000)
			die_usage("--interval: '%s' is below the 1ms an interval log can express", arg);
		a->interval_set = true;
		return true;
	}
	return false;
}

/* Floors that move or are beaten, for the tests of those warnings. */
static bool parse_fault(int c, const char *arg, struct run_args *a)
{
	struct run_options *o = &a->opt;

	switch (c) {
	case OPT_FAULT_FLOORS:
		o->fault_floors_move = true;
		return true;
	case OPT_FAULT_FLOORS_HIGH:
		o->fault_floors_high = true;
		return true;
	}
	return false;
}

/* The lists given as strings, and the defaults of what was not given. */
static void apply_defaults(struct run_args *a)
{
	struct run_options *o = &a->opt;
	const char *sizes = a->sizes ? a->sizes : o->quick ? QUICK_SIZES : DEFAULT_SIZES;
	char err[300];

	if (a->transports) {
		add_transports(o, a->transports);
	} else {
		o->transports = calloc(transport_count, sizeof(*o->transports));
		if (!o->transports)
			die_usage("out of memory");
		for (size_t i = 0; i < transport_count; i++)
			o->transports[o->ntransports++] = transport_table[i];
	}
	if (opt_parse_size_list(sizes, &o->sizes, &o->nsizes, err, sizeof(err)))
		die_usage("--sizes: %s", err);
	if (!o->npatterns)
		o->patterns[o->npatterns++] = PATTERN_PINGPONG;
	if (!o->nwaits)
		o->waits[o->nwaits++] = CHAN_WAIT_BLOCK;
	if (!o->npeers)
		o->peers[o->npeers++] = PEERS_FORK;
	run_connect_defaults(&a->conn, o, a->live.precision_set && !a->live.precision_off);
	run_live_defaults(&a->live, o, a->json_stdout);
	if (!o->iterations && !o->duration_ns)
		o->duration_ns = o->quick ? QUICK_DURATION_NS : DEFAULT_DURATION_NS;
	if (!o->warmup_given)
		o->warmup = o->quick ? 100 : DEFAULT_WARMUP;
	if (o->hlog_dir && !a->interval_set)
		o->interval_ns = 1000000000ull;
}

/*
 * Size 0 is a wake-up with no payload.  What can never run is a usage
 * error: size 0 with no wake-up primitive among the transports, or a
 * transport named with -t that runs at none of the sizes given.  In a
 * mix (-t futex,pipe -s 0,64) each runs at the sizes it takes and the
 * other pairs are skipped with the reason, as --wait spin skips what
 * cannot spin: one run then holds the doorbells and the transports side
 * by side.  Without -t, every transport is chosen, and the wake-up
 * primitives show as skipped unless 0 is among the sizes.
 */
static void check_size_zero(const struct run_args *a)
{
	const struct run_options *o = &a->opt;
	bool zero = o->nsizes && o->sizes[0] == 0, payload = o->nsizes > (zero ? 1u : 0u), any_none = false;

	for (size_t i = 0; i < o->ntransports; i++) {
		bool none = o->transports[i]->flags & TRANSPORT_NO_PAYLOAD;

		any_none |= none;
		if (a->transports && none && !zero)
			die_usage("--sizes: %s is a wake-up primitive with no payload: it runs at size 0 only "
				  "(--sizes 0)",
				  o->transports[i]->name);
		if (a->transports && !none && !payload)
			die_usage("--sizes: size 0 is a bare wake-up, for the wake-up primitives only; %s carries a "
				  "payload (1 byte or more)",
				  o->transports[i]->name);
	}
	if (zero && !any_none)
		die_usage("--sizes: size 0 is a bare wake-up, for the wake-up primitives only (sem_posix, sem_sysv, "
			  "futex, condvar, sigqueue)");
}

/* Options that only make sense together, checked once all are known. */
static void check_combinations(struct run_args *a)
{
	struct run_options *o = &a->opt;
	bool has_rate = false, has_underload = false;
	char err[400];

	for (size_t i = 0; i < o->npatterns; i++) {
		has_rate |= o->patterns[i] == PATTERN_RATE;
		has_underload |= o->patterns[i] == PATTERN_UNDERLOAD;
	}
	if (has_rate && !a->rate_arg)
		die_usage("--pattern rate needs --rate MSGS_PER_SEC");
	if (a->rate_arg && !has_rate && !has_underload)
		die_usage("--rate applies only to --pattern rate and underload");
	if (has_rate && run_rate_check(o->rate_per_sec, o->timeout_ms, err, sizeof(err)))
		die_usage("--rate: '%s' %s", a->rate_arg, err);
	if (a->interval_set && !o->hlog_dir)
		die_usage("--interval applies only with --hlog DIR");
	if (o->npairs && o->nclients)
		die_usage("--pairs and --clients cannot be combined: a cell is N pairs or N clients of one server");
	if (a->client_cpu >= 0 && a->placement_names)
		die_usage("--cpus and --placement cannot be combined: --cpus names the placement itself");
	build_placements(a);
	if (!o->nplacements)
		die_usage("no placement is possible on this host");
	if (a->output && outfile_check(a->output, err, sizeof(err)))
		die_usage("--output: %s", err);
}

static void parse_args(int argc, char **argv, struct run_args *a)
{
	char buf[300];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:s:p:n:d:w:r:o:qh", longopts, NULL)) != -1) {
		if (parse_what(c, optarg, a) || parse_how(c, optarg, a) || parse_machine(c, optarg, a) ||
		    parse_output(c, optarg, a) || parse_fault(c, optarg, a) || run_live_option(c, optarg, &a->live) ||
		    run_connect_option(c, optarg, &a->conn))
			continue;
		if (c == 'h') {
			run_usage(stdout);
			exit(EXIT_OK);
		}
		if (c == OPT_VERSION) {
			printf("ipcbench run %s\n", IPCB_VERSION);
			exit(EXIT_OK);
		}
		die_usage("run: %s (see 'ipcbench run --help')", cmd_bad_option(c, argc, argv, buf, sizeof(buf)));
	}
	if (optind < argc)
		die_usage("run: unexpected argument '%s'", argv[optind]);
	apply_defaults(a);
	check_size_zero(a);
	check_combinations(a);
}

static void run_args_release(struct run_args *a)
{
	free(a->opt.transports);
	free((void *)a->opt.topts);
	free(a->opt.sizes);
	free(a->opt.placements);
	free(a->opt.pairs);
	free(a->opt.clients);
	if (a->placement_names)
		opt_free_list(a->placement_names, a->nplacement_names);
}

/* ---- output ---- */

static void on_warn(void *ctx, const char *msg)
{
	warnx_("%s", msg);
}

static void on_signal(int sig)
{
	harness_interrupt(sig);
}

/* A signal ignored at start stays ignored: `nohup ipcbench run`, or a background job of a script. */
static void catch_signal(int sig)
{
	struct sigaction old, sa = {.sa_handler = on_signal};

	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
		return;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the watchdog's poll must wake */
	sigaction(sig, &sa, NULL);
}

static void install_signals(void)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};

	catch_signal(SIGINT);
	catch_signal(SIGTERM);
	catch_signal(SIGHUP);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
}

/* What dead runs left is removed before a new run can trip over it. */
static void clean_first(bool quiet)
{
	struct cleanup_stats st;

	if (cleanup_dead_runs(false, &st, NULL, NULL) == 0 && st.runs && !quiet)
		warnx_("removed the leftovers of %u dead run%s (%u kernel objects)", st.runs, st.runs == 1 ? "" : "s",
		       st.objects);
}

/* "ipcbench run -t pipe ...": the command line, for the result. */
static char *join_argv(int argc, char **argv)
{
	size_t len = sizeof("ipcbench"), off;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	off = (size_t)snprintf(s, len, "ipcbench");
	for (int i = 0; i < argc; i++)
		off += (size_t)snprintf(s + off, len - off, " %s", argv[i]);
	return s;
}

/* -o and --json; nothing measured is lost: when -o cannot be written, the result goes to stdout. */
static int write_result(const struct run_args *a, struct run *run)
{
	char err[600];

	if (a->output && run_write(run, a->output, err, sizeof(err))) {
		warnx_("%s; the result JSON follows on stdout instead", err);
		if (!a->json_stdout && run_write(run, "-", err, sizeof(err)))
			warnx_("%s", err);
		return EXIT_FAIL;
	}
	if (a->json_stdout && run_write(run, "-", err, sizeof(err))) {
		warnx_("%s", err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void run_all(struct run *run, bool tty, struct jsonstream *js)
{
	const struct run_cell *c;

	if (js)
		jsonstream_run_started(js, run);
	while ((c = run_peek(run))) {
		run_table_progress(run->next, run->nsched, c, tty);
		if (js)
			jsonstream_cell_started(js, run, c);
		run_step(run);
		if (js)
			jsonstream_cell_finished(js, run, c);
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	run_finish(run);
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = {.client_cpu = -1, .server_cpu = -1};
	struct run run;
	char err[600], *cmdline;
	bool made[2];
	int rc, sig;

	a.opt.repeat = 1;
	a.opt.timeout_ms = DEFAULT_TIMEOUT_MS;
	a.opt.allow_tsc = true;
	parse_args(argc, argv, &a);
	if (a.opt.seed == 0 && getrandom(&a.opt.seed, sizeof(a.opt.seed), 0) != sizeof(a.opt.seed))
		a.opt.seed = (uint64_t)time(NULL);
	a.opt.seed &= INT64_MAX; /* JSON integers are signed */
	run_connect_open(&a.conn, &a.opt);
	run_live_make_dirs(&a.opt, made);
	if (run_init(&run, &a.opt, on_warn, NULL, err, sizeof(err))) {
		run_live_remove_dirs(&a.opt, made);
		die_usage("run: %s", err);
	}
	if (run_live_open(&a.live, err, sizeof(err))) {
		run_live_remove_dirs(&a.opt, made);
		die_usage("%s", err);
	}

	install_signals();
	clean_first(a.quiet);
	cmdline = join_argv(argc, argv); /* argv[0] is the subcommand, "run" */
	if (run_start(&run, cmdline, err, sizeof(err))) {
		run_live_remove_dirs(&a.opt, made);
		die_usage("%s", err);
	}
	run_all(&run, isatty(STDERR_FILENO) && !a.quiet, a.live.stream ? &a.live.js : NULL);
	run_table_warn_floors(&run.res);
	if (!a.quiet)
		run_table_print(a.json_stdout || (a.live.stream && !a.live.stream_path) ? stderr : stdout,
				run.res.cells, run.res.ncells, a.opt.nwaits > 1, a.opt.npatterns > 1);
	rc = write_result(&a, &run);
	if (rc == EXIT_OK && run.failed)
		rc = EXIT_FAIL;
	/* checked last: a signal during the final calibration or the JSON write counts too */
	sig = harness_interrupted();
	if (sig) {
		warnx_("interrupted by signal %d; %zu cells written", sig, run.res.ncells);
		rc = 128 + sig;
	}
	if (a.live.stream) {
		jsonstream_run_finished(&a.live.js, &run, rc);
		if (jsonstream_close(&a.live.js, err, sizeof(err))) {
			warnx_("%s", err);
			rc = rc == EXIT_OK ? EXIT_FAIL : rc;
		}
	}
	run_release(&run);
	run_connect_close(&a.conn);
	run_args_release(&a);
	free(cmdline);
	return rc;
}
