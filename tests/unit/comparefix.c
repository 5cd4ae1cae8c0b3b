/*
 * comparefix.c - the synthetic result files of the compare test suites
 * (see comparefix.h).
 */
#include "tests/unit/comparefix.h"

#include <math.h>
#include <string.h>

#include "tests/runner.h"

void synth_init(struct synth *s, const char *cpu)
{
	memset(s, 0, sizeof(*s));
	s->f.path = (char *)"synthetic.json";
	s->f.schema_version = 1;
	s->f.git_revision = (char *)"abc";
	s->f.build_flags = (char *)"-O2";
	s->f.ctx.cpu_model = (char *)cpu;
	s->f.ctx.kernel = (char *)"6.1.0";
	s->f.ctx.cpu_count = 2;
	s->f.ctx.virtualization = (char *)"kvm";
	s->f.cells = s->cells;
}

struct rf_cell *synth_cell_add(struct synth *s, const char *transport, const char *pattern, size_t n)
{
	size_t k = s->f.ncells++;
	struct rf_cell *c = &s->cells[k];

	if (k >= MAXCELLS || n > MAXREPS)
		test_fail(__FILE__, __LINE__, "synthetic file: %zu cells of %zu repetitions do not fit", k + 1, n);
	c->key = (char *)transport;
	c->transport = (char *)transport;
	c->kind = (char *)"stream";
	c->pattern = (char *)pattern;
	c->status = (char *)"ok";
	c->wait = (char *)"block";
	c->relation = (char *)"same";
	c->clock = (char *)"tsc";
	c->msg_bytes = 64;
	c->warmup = 1000;
	c->iterations_requested = -1;
	c->duration_ns_requested = 200000000;
	c->rate_target_per_sec = NAN;
	c->reps = s->reps[k];
	c->nreps = n;
	return c;
}

void synth_run(const struct synth *b, const struct synth *n, const struct compare_options *o,
	       struct compare_result *res)
{
	struct compare_options def;
	char err[256] = "";

	if (!o) {
		compare_options_init(&def);
		o = &def;
	}
	if (compare_run(&b->f, 1, &n->f, 1, o, res, err, sizeof(err)))
		test_fail(__FILE__, __LINE__, "compare_run failed: %s", err);
}
