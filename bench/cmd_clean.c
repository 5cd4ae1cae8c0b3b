/*
 * cmd_clean.c - `ipcbench clean`: removes what dead ipcbench runs left
 * behind (harness/cleanup.h has the rules); `run` does it quietly first.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "harness/cleanup.h"
#include "bench/cmd.h"

static void clean_usage(FILE *f)
{
	fprintf(f, "usage: ipcbench clean [--dry-run] [-v]\n\n"
		   "Removes the leftovers of ipcbench runs that died without cleaning up (killed\n"
		   "with SIGKILL, a crash, a power cut): their run directories under $TMPDIR and\n"
		   "the SysV queues, segments and semaphores and POSIX queues and shared memory\n"
		   "their ledgers list, when these still belong to them, and ipcbench's own\n"
		   "temporary output files whose writer is dead (in $TMPDIR, the current\n"
		   "directory and the floors cache).  A run is alive while it holds the lock on\n"
		   "its directory's marker, whatever its binary is called.  Never touches the\n"
		   "objects of another program or of an ipcbench that is still running; what it\n"
		   "cannot be sure of it leaves, and -v says why.\n\n"
		   "  -n, --dry-run   list what would be removed, remove nothing\n"
		   "  -v, --verbose   list what is removed\n"
		   "  -h, --help      this text\n");
}

static void print_note(const char *what, void *arg)
{
	(void)arg;
	printf("%s\n", what);
}

int cmd_clean(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct cleanup_stats st;
	bool dry = false, verbose = false;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:nvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			clean_usage(stdout);
			return EXIT_OK;
		default:
			die_usage("clean: %s (see 'ipcbench clean --help')",
				  cmd_bad_option(c, argc, argv, (char[300]){0}, 300));
		}
	}
	if (optind < argc)
		die_usage("clean: unexpected argument '%s'", argv[optind]);
	r = cleanup_dead_runs(dry, &st, dry || verbose ? print_note : NULL, NULL);
	if (r < 0) {
		warnx_("clean: cannot read the temporary directory: %s", strerror(-r));
		return EXIT_FAIL;
	}
	printf("%s %u dead run%s: %u kernel object%s, %u file%s%s\n", dry ? "would clean" : "cleaned", st.runs,
	       st.runs == 1 ? "" : "s", st.objects, st.objects == 1 ? "" : "s", st.files, st.files == 1 ? "" : "s",
	       st.skipped ? " (some listed objects were no longer theirs and were left alone)" : "");
	if (st.skipped && !verbose && !dry)
		printf("left alone %u listed object%s that may not be theirs any more (-v says why)\n", st.skipped,
		       st.skipped == 1 ? "" : "s");
	return EXIT_OK;
}
