/*
 * outfile.h - the one way ipcbench writes an output file (results, reports,
 * compare summaries, .hgrm and .hlog files, the floors cache).
 *
 * What the target is decides how it is written:
 *   "-"                       standard output, directly;
 *   nothing there yet,        a temporary file next to it (O_EXCL, never
 *   or a regular file         through a symlink), fsync, rename over the
 *                             target, fsync of the directory: a reader sees
 *                             the old file or the new one, never half;
 *   a character device, FIFO  written through directly (-o /dev/null,
 *   or socket                 -o /dev/stdout, a pipe): never replaced;
 *   /dev/stdout, /dev/fd/N,   the descriptor they stand for, directly;
 *   /proc/self/fd/N
 *   another symlink           refused, naming where it points: the user
 *                             names the resolved path to write there;
 *   a directory, block device refused.
 * A new file gets mode 0666 minus the umask; a replaced one keeps its mode.
 * Temporary files are named ".NAME.ipcbench-tmp-PID-RANDOM" so that
 * `ipcbench clean` can tell a dead run's from anything else.
 */
#ifndef IPCBENCH_OUTFILE_H
#define IPCBENCH_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <limits.h>

/* The marker in every temporary file's name. */
#define OUTFILE_TMP_TAG ".ipcbench-tmp-"

struct outfile {
	FILE *f;     /* write here */
	bool atomic; /* a temporary file renamed at commit */
	bool is_stdout;
	char path[PATH_MAX]; /* the target */
	char tmp[PATH_MAX];  /* the temporary file while atomic */
};

/*
 * Checks, without creating anything, that path could be opened: used
 * before a long run so a bad -o fails in a second, not after an hour.
 * 0, or -errno with err a one-line reason naming the path.
 */
int outfile_check(const char *path, char *err, size_t errlen);

/* Opens path as above.  0, or -errno with err set (nothing is left behind). */
int outfile_open(struct outfile *of, const char *path, char *err, size_t errlen);

/*
 * Finishes: flushes, syncs and (atomic) renames into place.  On any error
 * the temporary file is removed and the target is untouched.  0 or -errno.
 */
int outfile_commit(struct outfile *of, char *err, size_t errlen);

/* Gives up: removes the temporary file; the target is untouched. */
void outfile_abort(struct outfile *of);

/* All of buf to path, as one outfile_open/commit.  0 or -errno. */
int outfile_write(const char *path, const void *buf, size_t len, char *err, size_t errlen);

/*
 * Whether a directory entry name is one of ipcbench's temporary files, and
 * the pid that made it (for `ipcbench clean`).
 */
bool outfile_is_tmp(const char *name, int *pid);

#endif
