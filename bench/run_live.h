/*
 * run_live.h - the options of `ipcbench run` that decide how long a cell
 * runs (--precision, --min-duration), what it says while it runs
 * (--json-stream) and the directories its files go to, kept out of cmd_run.c.
 */
#ifndef IPCBENCH_RUN_LIVE_H
#define IPCBENCH_RUN_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "harness/jsonstream.h"
#include "harness/result.h"

/*
 * The main job: every ping-pong median within +-3 % at 95 %, each cell 60 ms
 * to 200 ms; a stream cell at most 100 ms: its throughput's interval is
 * wider, 10 ms batches of a stream swing with the scheduler, and two thirds
 * of the stream cells ran to 200 ms without reaching 3 % (4 % same CPU,
 * 5-25 % across), the largest share of the main job's time.
 */
#define LIVE_PRECISION 0.03
#define LIVE_MIN_DURATION_NS 60000000ull
#define LIVE_MAX_DURATION_NS 200000000ull
#define LIVE_STREAM_MAX_DURATION_NS 100000000ull
/* --quick: +-5 %, 30 ms to 100 ms */
#define LIVE_QUICK_PRECISION 0.05
#define LIVE_QUICK_MIN_DURATION_NS 30000000ull
#define LIVE_QUICK_MAX_DURATION_NS 100000000ull

enum { LIVE_OPT_PRECISION = 512, LIVE_OPT_MIN_DURATION, LIVE_OPT_JSON_STREAM };

#define LIVE_LONGOPTS                                                             \
	{"precision", required_argument, NULL, LIVE_OPT_PRECISION},               \
		{"min-duration", required_argument, NULL, LIVE_OPT_MIN_DURATION}, \
	{                                                                         \
		"json-stream", optional_argument, NULL, LIVE_OPT_JSON_STREAM      \
	}

#define LIVE_USAGE                                                                                \
	"      --precision PCT    measure each cell in batches until the 95 %% confidence\n"      \
	"                         interval of its median (stream: of its throughput) is within\n" \
	"                         +-PCT, between --min-duration and --duration (default 3%%,\n"   \
	"                         60ms to 200ms, stream 100ms; --quick 5%%, 30ms to 100ms);\n"    \
	"                         'off', or -d or -n alone: every cell runs that long\n"          \
	"                         -n alone: every cell runs that long\n"                          \
	"      --min-duration TIME  no cell stops on its precision before TIME\n"                 \
	"      --json-stream[=FILE]  newline-delimited JSON events as the run goes, on stdout\n"  \
	"                         (the table then goes to stderr) or to FILE\n"

struct run_live {
	double precision;
	bool precision_set;
	bool precision_off;
	uint64_t min_duration_ns;
	bool stream;
	const char *stream_path; /* NULL: stdout */
	struct jsonstream js;
};

/* One of LIVE_OPT_*: parsed into l (a bad value is a usage error); false for any other option. */
bool run_live_option(int c, const char *arg, struct run_live *l);
/*
 * Before the duration's own default: decides between a fixed length and
 * --precision (-d or -n alone keep their meaning) and fills o's precision,
 * min_duration_ns and duration_ns (the bound), and hooks the stream's
 * progress into o.  Usage errors die.
 */
void run_live_defaults(struct run_live *l, struct run_options *o, bool json_stdout);
/* Opens the stream, once the run's options are known to be good.  Usage errors die. */
/* Opens the --json-stream file, if asked: 0, or -1 with why. */
int run_live_open(struct run_live *l, char *err, size_t errlen);
/*
 * --hgrm and --hlog DIR: created when missing, once every option is known
 * to be good (created[] says which); removed again, when still empty, if
 * the run cannot start.
 */
void run_live_make_dirs(const struct run_options *o, bool created[2]);
void run_live_remove_dirs(const struct run_options *o, const bool created[2]);

#endif
