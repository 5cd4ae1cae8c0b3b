/*
 * run_live.c - --precision, --min-duration and --json-stream of `ipcbench
 * run` (see run_live.h and docs/precision.md).
 */
#include "bench/run_live.h"

#include <getopt.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "bench/cmd.h"
#include "bench/opt.h"
#include "harness/hdrout.h"

bool run_live_option(int c, const char *arg, struct run_live *l)
{
	char err[300];

	switch (c) {
	case LIVE_OPT_PRECISION:
		l->precision_off = !strcmp(arg, "off");
		l->precision_set = !l->precision_off;
		if (l->precision_set && opt_parse_percent(arg, &l->precision, err, sizeof(err)))
			die_usage("--precision: %s (or 'off')", err);
		return true;
	case LIVE_OPT_MIN_DURATION:
		if (opt_parse_duration(arg, &l->min_duration_ns, err, sizeof(err)))
			die_usage("--min-duration: %s", err);
		return true;
	case LIVE_OPT_JSON_STREAM:
		if (arg && !arg[0])
			die_usage("--json-stream=: the file name is empty");
		l->stream = true;
		l->stream_path = arg && strcmp(arg, "-") ? arg : NULL;
		return true;
	}
	return false;
}

void run_live_defaults(struct run_live *l, struct run_options *o, bool json_stdout)
{
	bool fixed = o->iterations || (o->duration_ns && !l->precision_set) || l->precision_off;

	if (l->stream && !l->stream_path && json_stdout)
		die_usage("--json and --json-stream both write to stdout: give --json-stream=FILE or -o FILE");
	if (l->precision_set && o->iterations)
		die_usage("--precision and --iterations cannot be combined: a count fixes the length of a cell");
	if (l->stream) {
		o->on_progress = jsonstream_progress;
		o->progress_ctx = &l->js;
	}
	if (fixed) {
		if (l->min_duration_ns)
			die_usage("--min-duration applies only with --precision");
		return;
	}
	o->precision = l->precision_set ? l->precision : o->quick ? LIVE_QUICK_PRECISION : LIVE_PRECISION;
	if (!o->duration_ns) {
		o->duration_ns = o->quick ? LIVE_QUICK_MAX_DURATION_NS : LIVE_MAX_DURATION_NS;
		o->stream_duration_ns = o->quick ? 0 : LIVE_STREAM_MAX_DURATION_NS;
	}
	o->min_duration_ns = l->min_duration_ns ? l->min_duration_ns
			     : o->quick		? LIVE_QUICK_MIN_DURATION_NS
						: LIVE_MIN_DURATION_NS;
	if (o->min_duration_ns > o->duration_ns) {
		/* a default minimum gives way to a shorter bound; one given does not */
		if (l->min_duration_ns)
			die_usage("--min-duration is longer than --duration, the bound of a cell");
		o->min_duration_ns = o->duration_ns;
	}
	if (o->min_duration_ns > o->stream_duration_ns)
		o->stream_duration_ns = 0; /* a minimum given longer than the stream bound holds for stream too */
}

int run_live_open(struct run_live *l, char *err, size_t errlen)
{
	return l->stream ? jsonstream_open(&l->js, l->stream_path, err, errlen) : 0;
}

/*
 * --hgrm and --hlog DIR: created when missing, once every option is known
 * to be good; removed again (when still empty) if the run cannot start.
 */
void run_live_make_dirs(const struct run_options *o, bool created[2])
{
	const char *dirs[2] = {o->hgrm_dir, o->hlog_dir};
	char err[PATH_MAX + 64];

	for (int i = 0; i < 2; i++) {
		created[i] = false;
		if (dirs[i] && (i == 0 || !o->hgrm_dir || strcmp(dirs[0], dirs[1])) &&
		    hdrout_make_dir(dirs[i], &created[i], err, sizeof(err)))
			die_usage("%s: %s", i ? "--hlog" : "--hgrm", err);
	}
}

void run_live_remove_dirs(const struct run_options *o, const bool created[2])
{
	if (created[0])
		rmdir(o->hgrm_dir);
	if (created[1])
		rmdir(o->hlog_dir);
}
