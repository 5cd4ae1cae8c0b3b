/*
 * cleanup.h - removes what dead ipcbench runs left behind (`ipcbench clean`,
 * also done quietly at the start of every `run`).
 *
 * A run's private directory is $TMPDIR/ipcbench-<pid>-XXXXXX (rundir.c),
 * mode 0700, holding the marker RUNDIR_MARKER that only ipcbench writes;
 * each cell notes its kernel objects in <tag>.ledger there
 * (transports/ledger.h).  Liveness comes from the run itself: a live run
 * holds an flock on its marker (the kernel releases it when the run and
 * its children are gone), never from a pid or a process name, so a renamed
 * binary, a wrapper or a run in another PID namespace stays alive.  A
 * directory that is not ours, not 0700, or has no marker is never touched.
 *
 * For a dead run, each object its ledgers list is looked up: POSIX names
 * (which carry the run's pid) must exist and be ours; SysV objects are
 * found by the key the run picked and must be ours, with the id and no
 * earlier creation time than the ledger recorded (or, when the run died
 * before recording them, created no earlier than the run).  An object that
 * never appeared or is already gone is not counted; one in doubt is left
 * alone and counted in skipped.  Then the directory goes.
 *
 * Also removed: ipcbench's own output temporary files (common/outfile.h)
 * whose writer's pid is dead, in the current directory, $TMPDIR and the
 * floors cache directory.
 */
#ifndef IPCBENCH_CLEANUP_H
#define IPCBENCH_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>

/* The marker file in every run directory, and its first line. */
#define RUNDIR_MARKER "ipcbench-run"
#define RUNDIR_MAGIC "ipcbench run directory 1"

struct cleanup_stats {
	unsigned runs;	  /* dead runs found */
	unsigned objects; /* kernel objects removed */
	unsigned files;	  /* files and directories removed */
	unsigned skipped; /* listed objects left alone (in doubt: perhaps not ours any more) */
	unsigned gone;	  /* listed objects that had already gone or never appeared */
};

/* Called for each action (for --verbose / --dry-run listings); may be NULL. */
typedef void (*cleanup_note_fn)(const char *what, void *arg);

int cleanup_dead_runs(bool dry_run, struct cleanup_stats *st, cleanup_note_fn note, void *arg);

#endif
