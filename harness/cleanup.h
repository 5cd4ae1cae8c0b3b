/*
 * cleanup.h - removes what dead ipcbench runs left behind (`ipcbench clean`,
 * also done quietly at the start of every `run`).
 *
 * A run's private directory is $TMPDIR/ipcbench-<pid>-XXXXXX; each cell
 * notes its kernel objects in <tag>.ledger there (transport.h).  A run is
 * dead when <pid> no longer exists or is no longer an ipcbench process.
 * For a dead run, every object its ledgers list is removed if it still
 * belongs to it: same owner uid, and created no earlier than the run
 * directory (SysV ids are reused by the kernel, so an id alone is not
 * proof); POSIX names carry the run's pid in the name.  Then the directory
 * goes.  Directories of live runs and anything not named by ipcbench are
 * never touched.
 */
#ifndef IPCBENCH_CLEANUP_H
#define IPCBENCH_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>

struct cleanup_stats {
	unsigned runs;	  /* dead runs found */
	unsigned objects; /* kernel objects removed */
	unsigned files;	  /* files and directories removed */
	unsigned skipped; /* listed objects left alone (not ours any more) */
};

/* Called for each action (for --verbose / --dry-run listings); may be NULL. */
typedef void (*cleanup_note_fn)(const char *what, void *arg);

int cleanup_dead_runs(bool dry_run, struct cleanup_stats *st, cleanup_note_fn note, void *arg);

#endif
