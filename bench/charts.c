/*
 * charts.c - the command line and the result files of `plot` and `report`
 * (see charts.h).
 */
#include "bench/charts.h"

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
		case ':':
			die_usage("%s: option '%s' needs a value", cmd, argv[optind - 1]);
		default:
			die_usage("%s: unknown option '%s' (see 'ipcbench %s --help')", cmd, argv[optind - 1], cmd);
		}
	}
	a->paths = argv + optind;
	a->npaths = (size_t)(argc - optind);
}

int charts_load(struct charts *ch, char **paths, size_t n)
{
	char err[512];

	if (plot_files_load(paths, n, &ch->files, err, sizeof(err))) {
		warnx_("%s", err);
		return -1;
	}
	ch->nfiles = n;
	if (plot_set_init(&ch->set, ch->files, n, err, sizeof(err))) {
		warnx_("%s", err);
		plot_files_free(ch->files, n);
		return -1;
	}
	return 0;
}

void charts_release(struct charts *ch)
{
	plot_set_release(&ch->set);
	plot_files_free(ch->files, ch->nfiles);
}
