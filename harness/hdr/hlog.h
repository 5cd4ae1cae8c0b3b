/*
 * hlog.h - HdrHistogram interval logs (.hlog, format 1.3), as described in
 * docs/hdr.md section 9.
 *
 * The writer produces what Java's HistogramLogWriter does, byte for byte:
 *
 *	#[Logged with <text>]
 *	#[Histogram log format version 1.3]
 *	#[StartTime: 1795243020.000 (seconds since epoch), Sat Nov 21 06:37:00 UTC 2026]
 *	"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *	0.000,1.000,0.003,HISTFAAAACR42pNp...
 *	Tag=io,1.000,1.000,0.000,HISTFAAAACN42pNp...
 *
 * Timestamps are seconds relative to the StartTime (no BaseTime line is
 * written; readers infer relative times from their size), Interval_Max is
 * the histogram's max / 1e6 (ns -> ms), numbers are formatted like Java's
 * %.3f and the histogram is compressed at zlib level 9.
 *
 * The reader follows Java's HistogramLogReader: tokens split on each single
 * ' ', ',' or '\r'; '#' lines are comments, of which "#[StartTime: X" and
 * "#[BaseTime: X" are recognised; the "StartTimestamp" legend is skipped;
 * fields after the histogram are ignored.  Unlike Java, which stops
 * silently at the first line it cannot parse, it reports that line:
 * -EINVAL with "line N: reason".  Blank lines at the end of the file are
 * allowed; one followed by more data is an error (a Java reader stops there).
 *
 * Library code: nothing here prints or exits.  Functions return 0 (or 1,
 * see hlog_read_next) or -errno.
 */
#ifndef IPCBENCH_HLOG_H
#define IPCBENCH_HLOG_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/hdr/hist.h"

#define HLOG_FORMAT_VERSION "1.3"
#define HLOG_MAX_LINE_BYTES (64u << 20) /* longer lines are refused, not read */

struct hlog_writer {
	FILE *f;
	int err; /* first error, sticky: later calls return it */
};

/*
 * Writes the header to f (which the caller keeps owning and closes):
 * "#[Logged with <logged_with>]" (NULL: "ipcbench"), the format version,
 * the StartTime (seconds since the epoch; the date is printed in UTC the
 * way Java's Date.toString() does) and the legend.  -EINVAL when
 * logged_with holds a line break, -EIO on a write error.
 */
int hlog_writer_open(struct hlog_writer *w, FILE *f, double start_time_epoch_s, const char *logged_with);
/* "#<text>" as one line (Java's outputComment); -EINVAL on a line break. */
int hlog_write_comment(struct hlog_writer *w, const char *text);
/*
 * One interval: start in seconds relative to the StartTime, its length in
 * seconds, the histogram and an optional tag (NULL: none; a tag may not be
 * empty or hold ',', ' ', '\r' or '\n': -EINVAL).  -ENOMEM, -EIO.
 */
int hlog_write_interval(struct hlog_writer *w, double start_s, double length_s, const struct hist *h, const char *tag);
/* Flushes; returns the first error of the writer's life, or 0. */
int hlog_writer_finish(struct hlog_writer *w);

struct hlog_reader {
	FILE *f;
	long line;	     /* lines read so far */
	long blank_line;     /* first blank line not yet known to be trailing, or 0 */
	double start_time_s; /* from "#[StartTime:", else the first timestamp */
	double base_time_s;  /* from "#[BaseTime:", else inferred at the first interval */
	bool has_start_time;
	bool has_base_time;
	bool pending; /* buf holds a line not parsed yet */
	char *buf;
	size_t cap;
};

struct hlog_interval {
	char *tag;	    /* NULL when the line has no Tag= (malloc'd) */
	long line;	    /* its line number */
	double timestamp_s; /* column 1 as written */
	double start_s;	    /* timestamp_s + base time: seconds since the epoch */
	double offset_s;    /* start_s - the log's start time */
	double length_s;    /* column 2 */
	double max_field;   /* column 3 (informational, like Java it is not checked) */
	struct hist hist;   /* the decoded histogram, owned by the interval */
};

/* Reads from f, which the caller keeps owning. */
void hlog_reader_init(struct hlog_reader *r, FILE *f);
/*
 * Reads the next interval into *iv (release it with hlog_interval_release).
 * Returns 1 for an interval, 0 at the end of the log, -EINVAL for a line
 * it cannot parse (why: "line N: reason"), -ENOMEM or -EIO (why set too).
 * After an error the reader may be used again: it resumes at the next line.
 */
int hlog_read_next(struct hlog_reader *r, struct hlog_interval *iv, char *why, size_t whylen);
void hlog_interval_release(struct hlog_interval *iv);
void hlog_reader_release(struct hlog_reader *r);

#endif
