/*
 * cmd_list.c - `ipcbench list`: every registered transport with its kind,
 * the largest message it carries on this host, and whether it is
 * available here (with the reason when not); `ipcbench list -t NAME` the
 * options one transport takes.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench/cmd.h"
#include "bench/list_guide.h"
#include "common/units.h"
#include "harness/harness.h"
#include "bench/opt.h"

static void list_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench list [--names | --guide] [-t NAME]\n\n"
		   "Lists every transport: name, kind (stream or message), the largest message\n"
		   "it carries on this host, whether it is available, and the limits that apply;\n"
		   "[options] marks a transport that takes options (run -t NAME:KEY=VALUE).\n"
		   "Then the IPC guides' table: who can use each mechanism (related, unrelated\n"
		   "processes, another host), message or stream, one-way or both ways.\n\n"
		   "  --names    print only the names of the available transports, one a line\n"
		   "  --guide    print only the guides' table\n"
		   "  -t NAME    the options of transport NAME: key, type, default, allowed values\n"
		   "  -h, --help this text\n");
}

static const char *const type_names[] = {
	[TOPT_SIZE] = "size", [TOPT_COUNT] = "count", [TOPT_BOOL] = "bool", [TOPT_ENUM] = "enum", [TOPT_USEC] = "usec",
};

/* "4k..256M", "0|1", "fcntl|ofd|flock|lockf" */
static void allowed(const struct transport_option *o, char *out, size_t outlen)
{
	char lo[32], hi[32];

	if (o->type == TOPT_BOOL) {
		snprintf(out, outlen, "0|1");
	} else if (o->type == TOPT_ENUM) {
		out[0] = 0;
		for (size_t i = 0; o->values[i]; i++) {
			size_t len = strlen(out);

			snprintf(out + len, outlen - len, "%s%s", i ? "|" : "", o->values[i]);
		}
	} else {
		transport_option_format(o, o->min, true, lo, sizeof(lo));
		transport_option_format(o, o->max, true, hi, sizeof(hi));
		snprintf(out, outlen, "%s..%s", lo, hi);
	}
}

/* `list -t NAME`: one line per option, and what the host gives by default. */
static int list_options(const char *name)
{
	const struct transport_ops *ops = transport_find(name);
	struct chan_limits lim;
	char why[300];
	size_t n;

	if (!ops)
		die_usage("list: unknown transport '%s' (see 'ipcbench list')", name);
	n = transport_option_count(ops);
	if (!n) {
		printf("%s takes no options\n", ops->name);
		return EXIT_OK;
	}
	cell_probe(ops, &lim, why, sizeof(why));
	printf("%-12s %-6s %-10s %-24s %s\n", "OPTION", "TYPE", "DEFAULT", "ALLOWED", "HELP");
	for (size_t i = 0; i < n; i++) {
		const struct transport_option *o = &ops->options[i];
		char def[64], host[64], allow[200];

		allowed(o, allow, sizeof(allow));
		transport_option_format(o, o->def, true, def, sizeof(def));
		if (o->def_text) {
			transport_option_format(o, lim.opt[i], true, host, sizeof(host));
			snprintf(def, sizeof(def), "%s=%s", o->def_text, host);
		}
		printf("%-12s %-6s %-10s %-24s %s\n", o->name, type_names[o->type], def, allow, o->help);
	}
	printf("\nusage: ipcbench run -t %s:%s=VALUE (a comma list of values sweeps it)\n", ops->name,
	       ops->options[0].name);
	return EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"names", no_argument, NULL, 'n'},	     {"guide", no_argument, NULL, 'g'},
		{"transport", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	     {0},
	};
	bool names_only = false, guide_only = false;
	const char *one = NULL;
	char bad[300];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:ht:", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			one = optarg;
			break;
		case 'n':
			names_only = true;
			break;
		case 'g':
			guide_only = true;
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
	if (one)
		return list_options(one);
	if (guide_only) {
		list_guide(stdout);
		return EXIT_OK;
	}
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
			printf("%-22s %s%s\n", "", ops->summary, transport_option_count(ops) ? " [options]" : "");
	}
	if (!names_only) {
		printf("\n");
		list_guide(stdout);
	}
	return EXIT_OK;
}
