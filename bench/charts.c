/*
 * charts.c - the command line and the signals of `plot` and `report`
 * (see charts.h).
 */
#include "bench/charts.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cmd.h"
#include "bench/opt.h"

static void add_format(void *ctx, const char *name, size_t i, size_t n)
{
	unsigned int *bits = ctx;

	if (!strcmp(name, "png"))
		*bits |= PLOT_PNG;
	else if (!strcmp(name, "svg"))
		*bits |= PLOT_SVG;
	else
		die_usage("plot: --format: unknown format '%s' (png, svg)", name);
}

/* Only plot accepts --format: report always draws SVG, to inline it. */
static unsigned int parse_formats(const char *s)
{
	unsigned int bits = 0;
	char err[200];

	if (opt_each_item(s, "format", add_format, &bits, err, sizeof(err)))
		die_usage("plot: --format: %s", err);
	return bits;
}

void charts_parse_args(struct charts_args *a, const char *cmd, const struct option *longopts, void (*usage)(FILE *),
		       int argc, char **argv)
{
	char err[200];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'f':
			a->formats = parse_formats(optarg);
			break;
		case 's':
			if (opt_parse_size(optarg, &a->summary_bytes, err, sizeof(err)))
				die_usage("%s: --size: %s", cmd, err);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			die_usage("%s: %s (see 'ipcbench %s --help')", cmd,
				  cmd_bad_option(c, argc, argv, (char[300]){0}, 300), cmd);
		}
	}
	a->paths = argv + optind;
	a->npaths = (size_t)(argc - optind);
}

volatile sig_atomic_t charts_stop;

static void on_signal(int sig)
{
	charts_stop = sig;
}

static const int caught[] = {SIGINT, SIGTERM, SIGHUP};

void charts_catch_signals(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		if (sigaction(caught[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(caught[i], &sa, NULL);
	}
}

void charts_exit_if_stopped(const char *cmd)
{
	struct sigaction sa;
	int sig = charts_stop;

	if (!sig)
		return;
	warnx_("%s: interrupted by SIG%s", cmd, sigabbrev_np(sig));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	raise(sig);
	exit(128 + sig);
}
