/*
 * jsonstream.c - the --json-stream events (see jsonstream.h).  The cell
 * record is resultjson_cell()'s, so the stream and the file cannot differ
 * in shape.
 */
#include "harness/jsonstream.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/resultjson.h"

int jsonstream_open(struct jsonstream *js, const char *path, char *err, size_t errlen)
{
	int fd;

	memset(js, 0, sizeof(*js));
	js->t0 = clock_mono_ns();
	if (!path || !strcmp(path, "-")) {
		js->f = stdout;
		return 0;
	}
	/* written as it goes (a reader follows it), so not through outfile.h's rename; never through a symlink */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || !(js->f = fdopen(fd, "w"))) {
		int e = errno;

		snprintf(err, errlen, "--json-stream: cannot write '%s': %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	js->own = true;
	return 0;
}

/* Adds "event" and "t", writes the object as one line and flushes it; takes o. */
static void emit(struct jsonstream *js, const char *event, json_t *o)
{
	char *line;

	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "t", json_real((double)(clock_mono_ns() - js->t0) / 1e9));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(RESULTJSON_REAL_DIGITS));
	json_decref(o);
	if (!line || fprintf(js->f, "%s\n", line) < 0 || fflush(js->f))
		js->failed = true;
	free(line);
}

void jsonstream_run_started(struct jsonstream *js, const struct run *r)
{
	const struct run_options *o = r->opt;
	json_t *e = json_object();

	json_object_set_new(e, "command_line", json_string(r->res.command_line ? r->res.command_line : ""));
	json_object_set_new(e, "started_at", json_string(r->res.started_at));
	json_object_set_new(e, "hostname", json_string(r->res.host.hostname));
	json_object_set_new(e, "cells", json_integer((json_int_t)r->ncells));
	json_object_set_new(e, "repetitions", json_integer((json_int_t)r->nsched));
	json_object_set_new(e, "precision", o->precision > 0 ? json_real(o->precision) : json_null());
	json_object_set_new(e, "min_duration_ns",
			    o->precision > 0 ? json_integer((json_int_t)o->min_duration_ns) : json_null());
	json_object_set_new(e, "duration_ns", o->iterations ? json_null() : json_integer((json_int_t)o->duration_ns));
	emit(js, "run_started", e);
}

void jsonstream_cell_started(struct jsonstream *js, const struct run *r, const struct run_cell *c)
{
	json_t *e = json_object();

	js->cur = c;
	js->cur_rep = c->nreps + 1;
	js->seen = 0;
	json_object_set_new(e, "key", resultjson_cell_key(c));
	json_object_set_new(e, "repetition", json_integer((json_int_t)js->cur_rep));
	json_object_set_new(e, "of", json_integer((json_int_t)r->opt->repeat));
	json_object_set_new(e, "index", json_integer((json_int_t)r->next));
	json_object_set_new(e, "total", json_integer((json_int_t)r->nsched));
	emit(js, "cell_started", e);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void jsonstream_progress(void *ctx, const struct cell_config *cfg, const struct prec_batch *b, size_t nbatches)
{
	struct jsonstream *js = ctx;
	double p50[PREC_MAX_BATCHES], rel = INFINITY, rate = 0;
	uint64_t samples = 0, ns = 0;
	size_t k = 0;
	json_t *e;

	if (!js->cur || nbatches <= js->seen || nbatches > PREC_MAX_BATCHES)
		return;
	for (size_t i = js->seen; i < nbatches; i++) {
		samples += b[i].n;
		ns += b[i].ns;
		if (!isnan(b[i].p50))
			p50[k++] = b[i].p50;
	}
	rate = ns ? (double)samples * 1e9 / (double)ns : 0;
	qsort(p50, k, sizeof(*p50), cmp_double);
	prec_should_stop(b, nbatches, cfg->pattern == PATTERN_PINGPONG ? PREC_BY_P50 : PREC_BY_RATE, 0, &rel);
	e = json_object();
	json_object_set_new(e, "key", resultjson_cell_key(js->cur));
	json_object_set_new(e, "repetition", json_integer((json_int_t)js->cur_rep));
	json_object_set_new(e, "batches", json_integer((json_int_t)nbatches));
	json_object_set_new(e, "samples", json_integer((json_int_t)samples));
	json_object_set_new(e, "interval_ns", json_integer((json_int_t)ns));
	json_object_set_new(e, "p50_ns", k ? json_real(p50[k / 2]) : json_null());
	json_object_set_new(e, "msgs_per_sec", json_real(rate));
	json_object_set_new(
		e, "metric",
		json_string(prec_metric_name(cfg->pattern == PATTERN_PINGPONG ? PREC_BY_P50 : PREC_BY_RATE)));
	json_object_set_new(e, "precision", isfinite(rel) ? json_real(rel) : json_null());
	json_object_set_new(e, "target", cfg->precision > 0 ? json_real(cfg->precision) : json_null());
	js->seen = nbatches;
	emit(js, "interval", e);
}

void jsonstream_cell_finished(struct jsonstream *js, const struct run *r, const struct run_cell *c)
{
	json_t *e = json_object();

	json_object_set_new(e, "key", resultjson_cell_key(c));
	json_object_set_new(e, "repetition", json_integer((json_int_t)c->nreps));
	json_object_set_new(e, "final", json_boolean(c->nreps >= r->opt->repeat));
	json_object_set_new(e, "cell", resultjson_cell(c));
	js->cur = NULL;
	emit(js, "cell_finished", e);
}

void jsonstream_run_finished(struct jsonstream *js, const struct run *r, int exit_status)
{
	json_t *e = json_object();

	json_object_set_new(e, "finished_at", r->res.finished_at[0] ? json_string(r->res.finished_at) : json_null());
	json_object_set_new(e, "cells", json_integer((json_int_t)r->res.ncells));
	json_object_set_new(e, "exit_status", json_integer(exit_status));
	json_object_set_new(e, "interrupted_by",
			    r->res.interrupted_by ? json_integer(r->res.interrupted_by) : json_null());
	emit(js, "run_finished", e);
}

int jsonstream_close(struct jsonstream *js, char *err, size_t errlen)
{
	if (js->f && js->own && fclose(js->f))
		js->failed = true;
	js->f = NULL;
	if (js->failed) {
		snprintf(err, errlen, "--json-stream: a line could not be written");
		return -EIO;
	}
	return 0;
}
