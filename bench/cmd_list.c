/*
 * cmd_list.c - `ipcbench list`: every registered transport with its kind,
 * the largest message it carries on this host, and whether it is
 * available here (with the reason when not).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench/cmd.h"
#include "common/units.h"
#include "harness/harness.h"
#include "bench/opt.h"

static void list_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench list [--names]\n\n"
		   "Lists every transport: name, kind (stream or message), the largest message\n"
		   "it carries on this host, whether it is available, and the limits that apply.\n\n"
		   "  --names    print only the names of the available transports, one a line\n"
		   "  -h, --help this text\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"names", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	bool names_only = false;
	char bad[300];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			names_only = true;
			break;
		case 'h':
			list_usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("ipcbench list %s\n", IPCB_VERSION);
			return EXIT_OK;
		default:
			die_usage("list: %s (see 'ipcbench list --help')",
				  cmd_bad_option(c, argc, argv, bad, sizeof(bad)));
		}
	}
	if (optind < argc)
		die_usage("list: unexpected argument '%s'", argv[optind]);
	if (!names_only)
		printf("%-22s %-8s %-10s %-10s %s\n", "TRANSPORT", "KIND", "MAX MSG", "AVAILABLE", "LIMITS / REASON");
	for (size_t i = 0; i < transport_count; i++) {
		const struct transport_ops *ops = transport_table[i];
		struct chan_limits lim;
		char why[300], max[32];
		int r = cell_probe(ops, &lim, why, sizeof(why));

		if (names_only) {
			if (!r)
				printf("%s\n", ops->name);
			continue;
		}
		if (lim.max_msg_bytes)
			units_bytes((int64_t)lim.max_msg_bytes, max, sizeof(max));
		else
			snprintf(max, sizeof(max), "any");
		printf("%-22s %-8s %-10s %-10s %s%s%s\n", ops->name, ops->kind == CHAN_STREAM ? "stream" : "message",
		       r ? "-" : max, r ? "no" : "yes", r ? why : lim.note,
		       (ops->flags & TRANSPORT_SLOW) ? " [slow]" : "",
		       (ops->flags & TRANSPORT_SPIN) ? " [busy-polls: burns a CPU per side]" : "");
		if (!names_only && ops->summary)
			printf("%-22s %s\n", "", ops->summary);
	}
	return EXIT_OK;
}
