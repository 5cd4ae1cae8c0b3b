/*
 * hlog.c - HdrHistogram interval logs (.hlog, format 1.3): a writer that
 * matches Java's HistogramLogWriter byte for byte and a reader with Java's
 * HistogramLogReader semantics that reports bad lines instead of stopping
 * silently.  See hlog.h and docs/hdr.md section 9.
 */
#include "harness/hdr/hlog.h"
#include "harness/hdr/codec.h"
#include "harness/hdr/hgrm.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEGEND "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
#define YEAR_S (365 * 24 * 3600.0)
#define NUM_BYTES 400

#ifdef IPCB_VERSION
#define LOGGED_WITH "ipcbench " IPCB_VERSION
#else
#define LOGGED_WITH "ipcbench"
#endif

/* ---- writer ---- */

static bool has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static int writer_status(struct hlog_writer *w)
{
	if (!w->err && ferror(w->f))
		w->err = -EIO;
	return w->err;
}

/* Java's Date.toString() in UTC: "Sat Nov 21 06:37:00 UTC 2026". */
static void java_date(char *buf, size_t size, double epoch_s)
{
	static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)floor(epoch_s);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, "%s %s %02d %02d:%02d:%02d UTC %d", days[tm.tm_wday], months[tm.tm_mon], tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

int hlog_writer_open(struct hlog_writer *w, FILE *f, double start_time_epoch_s, const char *logged_with)
{
	char start[NUM_BYTES], date[64];

	w->f = f;
	w->err = 0;
	if (!logged_with)
		logged_with = LOGGED_WITH;
	if (has_line_break(logged_with) || !isfinite(start_time_epoch_s))
		return w->err = -EINVAL;
	hist_format_fixed(start, sizeof(start), start_time_epoch_s, 3);
	java_date(date, sizeof(date), start_time_epoch_s);
	fprintf(f, "#[Logged with %s]\n", logged_with);
	fprintf(f, "#[Histogram log format version " HLOG_FORMAT_VERSION "]\n");
	fprintf(f, "#[StartTime: %s (seconds since epoch), %s]\n", start, date);
	fprintf(f, LEGEND "\n");
	return writer_status(w);
}

int hlog_write_comment(struct hlog_writer *w, const char *text)
{
	if (w->err)
		return w->err;
	if (has_line_break(text))
		return -EINVAL;
	fprintf(w->f, "#%s\n", text);
	return writer_status(w);
}

static bool tag_ok(const char *tag)
{
	return tag[0] && !strpbrk(tag, ", \r\n");
}

int hlog_write_interval(struct hlog_writer *w, double start_s, double length_s, const struct hist *h, const char *tag)
{
	char start[NUM_BYTES], len[NUM_BYTES], max[NUM_BYTES], *b64;
	int err;

	if (w->err)
		return w->err;
	if ((tag && !tag_ok(tag)) || !isfinite(start_s) || !isfinite(length_s))
		return -EINVAL;
	err = hist_encode_base64(h, 9, &b64);
	if (err)
		return err;
	hist_format_fixed(start, sizeof(start), start_s, 3);
	hist_format_fixed(len, sizeof(len), length_s, 3);
	hist_format_fixed(max, sizeof(max), (double)hist_max(h) / 1e6, 3);
	if (tag)
		fprintf(w->f, "Tag=%s,", tag);
	fprintf(w->f, "%s,%s,%s,%s\n", start, len, max, b64);
	free(b64);
	return writer_status(w);
}

int hlog_writer_finish(struct hlog_writer *w)
{
	if (fflush(w->f) && !w->err)
		w->err = -EIO;
	return writer_status(w);
}

/* ---- reader ---- */

void hlog_reader_init(struct hlog_reader *r, FILE *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
}

void hlog_reader_release(struct hlog_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

void hlog_interval_release(struct hlog_interval *iv)
{
	free(iv->tag);
	hist_release(&iv->hist);
	memset(iv, 0, sizeof(*iv));
}

static int line_fail(long line, int err, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Sets why to "line N: <message>" and returns err. */
static int line_fail(long line, int err, char *why, size_t whylen, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why && whylen)
		snprintf(why, whylen, "line %ld: %s", line, msg);
	return err;
}

static int grow(struct hlog_reader *r, size_t need)
{
	size_t cap = r->cap ? r->cap : 256;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap == r->cap)
		return 0;
	p = realloc(r->buf, cap);
	if (!p)
		return -ENOMEM;
	r->buf = p;
	r->cap = cap;
	return 0;
}

/* Reads one line without its '\n' into r->buf: 1 read, 0 end of file, -errno. */
static int read_line(struct hlog_reader *r, char *why, size_t whylen)
{
	size_t n = 0;
	int c;

	while ((c = getc(r->f)) != EOF && c != '\n') {
		if (n >= HLOG_MAX_LINE_BYTES) {
			while ((c = getc(r->f)) != EOF && c != '\n')
				;
			r->line++;
			return line_fail(r->line, -EINVAL, why, whylen, "longer than %u bytes", HLOG_MAX_LINE_BYTES);
		}
		if (n + 2 > r->cap && grow(r, n + 2))
			return line_fail(r->line + 1, -ENOMEM, why, whylen, "out of memory");
		r->buf[n++] = (char)c;
	}
	if (ferror(r->f))
		return line_fail(r->line + 1, -EIO, why, whylen, "read error");
	if (c == EOF && n == 0)
		return 0;
	if (grow(r, n + 1))
		return line_fail(r->line + 1, -ENOMEM, why, whylen, "out of memory");
	r->buf[n] = '\0';
	r->line++;
	if (memchr(r->buf, '\0', n))
		return line_fail(r->line, -EINVAL, why, whylen, "NUL byte in line");
	return 1;
}

/* Java's Scanner with delimiter [ ,\r\n]: each single delimiter ends a token. */
static char *next_token(char **cursor)
{
	char *t = *cursor, *end;

	if (!t)
		return NULL;
	end = t + strcspn(t, " ,\r");
	*cursor = *end ? end + 1 : NULL;
	*end = '\0';
	return t;
}

/* A plain decimal number: [-+]digits[.digits][(e|E)[-+]digits]. */
static bool parse_double(const char *t, double *out)
{
	const char *p = t;
	char *end;
	bool digits = false;

	if (!t)
		return false;
	p += *p == '-' || *p == '+';
	for (; *p >= '0' && *p <= '9'; p++)
		digits = true;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		p += *p == '-' || *p == '+';
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return false;
	*out = strtod(t, &end);
	return *end == '\0' && isfinite(*out);
}

static bool is_blank(const char *s)
{
	return s[strspn(s, " \t\r")] == '\0';
}

/* "#..." lines: only the start and base times matter. */
static void comment_line(struct hlog_reader *r, char *cursor)
{
	char *tok = next_token(&cursor);
	double x;

	if (!strcmp(tok, "#[StartTime:") && parse_double(next_token(&cursor), &x)) {
		r->start_time_s = x;
		r->has_start_time = true;
	} else if (!strcmp(tok, "#[BaseTime:") && parse_double(next_token(&cursor), &x)) {
		r->base_time_s = x;
		r->has_base_time = true;
	}
}

static const char *const field_names[] = {"StartTimestamp", "Interval_Length", "Interval_Max"};

static int interval_line(struct hlog_reader *r, char *cursor, struct hlog_interval *iv, char *why, size_t whylen)
{
	char *tok = next_token(&cursor), hwhy[160];
	double f[3];
	int err;

	if (!strncmp(tok, "Tag=", 4)) {
		iv->tag = strdup(tok + 4);
		if (!iv->tag)
			return line_fail(r->line, -ENOMEM, why, whylen, "out of memory");
		tok = next_token(&cursor);
	}
	for (int i = 0; i < 3; i++, tok = next_token(&cursor)) {
		if (!parse_double(tok, &f[i]))
			return line_fail(r->line, -EINVAL, why, whylen, "%s: not a number: \"%.40s\"", field_names[i],
					 tok ? tok : "(missing)");
	}
	if (!tok || !*tok)
		return line_fail(r->line, -EINVAL, why, whylen, "no histogram");
	err = hist_decode_base64(&iv->hist, tok, hwhy, sizeof(hwhy));
	if (err)
		return line_fail(r->line, err, why, whylen, "histogram: %s", hwhy);
	iv->line = r->line;
	iv->timestamp_s = f[0];
	iv->length_s = f[1];
	iv->max_field = f[2];
	return 0;
}

/* Java's rules for start and base times, settled at the first interval. */
static void place_interval(struct hlog_reader *r, struct hlog_interval *iv)
{
	if (!r->has_start_time) {
		r->start_time_s = iv->timestamp_s;
		r->has_start_time = true;
	}
	if (!r->has_base_time) {
		r->base_time_s = iv->timestamp_s < r->start_time_s - YEAR_S ? r->start_time_s : 0.0;
		r->has_base_time = true;
	}
	iv->start_s = iv->timestamp_s + r->base_time_s;
	iv->offset_s = iv->start_s - r->start_time_s;
}

/* 1: an interval, 0: not an interval line (comment, legend), -errno. */
static int parse_line(struct hlog_reader *r, struct hlog_interval *iv, char *why, size_t whylen)
{
	char *cursor = r->buf;
	int err;

	if (r->buf[0] == '#') {
		comment_line(r, cursor);
		return 0;
	}
	if (!strncmp(r->buf, "\"StartTimestamp\"", 16))
		return 0;
	err = interval_line(r, cursor, iv, why, whylen);
	if (err) {
		hlog_interval_release(iv);
		return err;
	}
	place_interval(r, iv);
	return 1;
}

int hlog_read_next(struct hlog_reader *r, struct hlog_interval *iv, char *why, size_t whylen)
{
	memset(iv, 0, sizeof(*iv));
	if (why && whylen)
		why[0] = '\0';
	for (;;) {
		int rc = 1;

		if (!r->pending)
			rc = read_line(r, why, whylen);
		r->pending = false;
		if (rc <= 0)
			return rc;
		if (is_blank(r->buf)) {
			if (!r->blank_line)
				r->blank_line = r->line;
			continue;
		}
		if (r->blank_line) {
			long blank = r->blank_line;

			r->blank_line = 0;
			r->pending = true; /* this line is parsed by the next call */
			return line_fail(blank, -EINVAL, why, whylen,
					 "blank line before more data (a Java reader stops here)");
		}
		rc = parse_line(r, iv, why, whylen);
		if (rc)
			return rc;
	}
}
